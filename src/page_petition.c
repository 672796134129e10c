/* page_petition.c - the petition page, its JSON, signing and thanks. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "crypto.h"
#include "email.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "markdown.h"
#include "page.h"

enum sign_field {
	F_FIRST_NAME,
	F_LAST_NAME,
	F_EMAIL,
	F_COUNTRY,
	F_COMMENT,
	F_PUBLIC,
	F_UPDATES,
	F_CSRF,
	F__MAX
};

static bool
country_ok(const char *s, size_t len)
{
	return i18n_country_valid(s, len);
}

/* The sign form, declared: anything else in a POST is dropped. */
static const struct form_spec sign_form[F__MAX] = {
	[F_FIRST_NAME] = { "first_name", FORM_LINE, 100, true, NULL },
	[F_LAST_NAME] = { "last_name", FORM_LINE, 100, true, NULL },
	[F_EMAIL] = { "email", FORM_LINE, EMAIL_MAX, true, email_valid },
	[F_COUNTRY] = { "country", FORM_LINE, 2, true, country_ok },
	[F_COMMENT] = { "comment", FORM_TEXT, 500, false, NULL },
	[F_PUBLIC] = { "public", FORM_CHECKBOX, 0, false, NULL },
	[F_UPDATES] = { "updates", FORM_CHECKBOX, 0, false, NULL },
	[F_CSRF] = { "csrf", FORM_TOKEN, 128, true, NULL },
};

/* The message key for a field's error; FORM_INVALID depends on the field. */
static const char *
error_key(enum sign_field f, enum form_error e)
{
	switch (e) {
	case FORM_OK:
		return NULL;
	case FORM_MISSING:
		return "err_required";
	case FORM_TOO_LONG:
		return "err_too_long";
	case FORM_BAD_TEXT:
		return "err_invalid_text";
	case FORM_INVALID:
	case FORM__MAX:
		break;
	}
	return f == F_EMAIL ? "err_email" : f == F_COUNTRY ? "err_country" :
	    "err_invalid_text";
}

static json_t *
share_links(struct request *r, const char *url, const char *title)
{
	struct buf b;
	json_t *share;

	buf_init(&b);
#define ENC(s) buf_append_urlenc(&b, (s), strlen(s))
	buf_puts(&b, "mailto:?subject=");
	ENC(title);
	buf_puts(&b, "&body=");
	ENC(url);
	share = json_pack("{s:s%}", "email", b.data, b.len);
	buf_reset(&b);
	buf_puts(&b, "https://t.me/share/url?url=");
	ENC(url);
	buf_puts(&b, "&text=");
	ENC(title);
	json_object_set_new(share, "telegram", json_stringn(b.data, b.len));
	buf_reset(&b);
	buf_puts(&b, "https://wa.me/?text=");
	ENC(title);
	ENC(" ");
	ENC(url);
	json_object_set_new(share, "whatsapp", json_stringn(b.data, b.len));
	buf_reset(&b);
	buf_puts(&b, "https://www.facebook.com/sharer/sharer.php?u=");
	ENC(url);
	json_object_set_new(share, "facebook", json_stringn(b.data, b.len));
	buf_reset(&b);
	buf_puts(&b, "https://x.com/intent/tweet?url=");
	ENC(url);
	buf_puts(&b, "&text=");
	ENC(title);
	json_object_set_new(share, "x", json_stringn(b.data, b.len));
#undef ENC
	buf_reset(&b);
	(void)r;
	return share;
}

/* The numbers of a petition as the page shows them. */
static void
petition_numbers(struct request *r, const struct petition *p, json_t *o)
{
	int64_t next = petition_next_goal(p->count, p->goal);
	struct msgfmt_arg args[2] = {
		{ .name = "count", .type = MSGFMT_NUMBER, .num = (double)p->count },
		{ .name = "goal", .type = MSGFMT_NUMBER, .num = (double)next },
	};
	const char *line = i18n_format(r->arena, r->lang, "count_line", args, 2);

	json_object_set_new(o, "count", json_integer(p->count));
	json_object_set_new(o, "count_text", json_string(i18n_number(r->arena,
	    r->lang, p->count)));
	json_object_set_new(o, "goal", json_integer(p->goal));
	json_object_set_new(o, "next_goal", json_integer(next));
	json_object_set_new(o, "next_goal_text", json_string(i18n_number(
	    r->arena, r->lang, next)));
	json_object_set_new(o, "count_line", json_string(line ? line : ""));
	json_object_set_new(o, "progress", json_integer(petition_progress(
	    p->count, next)));
}

static json_t *
petition_context(struct request *r, const struct petition *p, bool body)
{
	const char *url = page_url(r, arena_printf(r->arena, "/p/%s", p->slug));
	json_t *o, *to;
	struct buf b;
	size_t i;

	to = json_array();
	for (i = 0; i < p->nto; i++)
		json_array_append_new(to, json_pack("{s:s, s:s}", "name",
		    p->to[i].name, "description", p->to[i].description));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o}",
	    "slug", p->slug, "title", p->title, "url", url, "lang", p->lang,
	    "to", to, "is_open", petition_is_open(p),
	    "share", share_links(r, url, p->title));
	petition_numbers(r, p, o);
	buf_init(&b);
	if (body && markdown_render(p->body_md, strlen(p->body_md), &b) == 0)
		json_object_set_new(o, "body_html", json_stringn(b.data, b.len));
	buf_reset(&b);
	if (markdown_summary(p->body_md, strlen(p->body_md), 200, &b) == 0)
		json_object_set_new(o, "description", json_stringn(b.data,
		    b.len));
	buf_reset(&b);
	return o;
}

/* The sign form's context: values typed so far and their errors. vals is
 * NULL for a fresh form. */
static json_t *
form_context(struct request *r, const struct petition *p,
    const struct form_value *vals, const char *const errs[F__MAX])
{
	json_t *form, *values, *errors, *countries, *c;
	const char *pick = NULL;
	char region[3];
	struct buf tok;
	size_t i;
	int nerr = 0;

	buf_init(&tok);
	crypto_csrf_token(&tok, r->csrf_cookie, time(NULL));
	values = json_object();
	errors = json_object();
	for (i = 0; i < F__MAX; i++) {
		if (i == F_CSRF)
			continue;
		if (sign_form[i].kind == FORM_CHECKBOX)
			json_object_set_new(values, sign_form[i].name,
			    json_boolean(vals ? vals[i].checked : false));
		else if (vals == NULL || vals[i].err == FORM_BAD_TEXT)
			/* Bytes that failed validation are not echoed back. */
			json_object_set_new(values, sign_form[i].name,
			    json_string(""));
		else
			json_object_set_new(values, sign_form[i].name,
			    json_stringn(vals[i].s, vals[i].len));
		if (errs != NULL && errs[i] != NULL) {
			const char *m = i18n_text(r->lang, errs[i]);

			json_object_set_new(errors, sign_form[i].name,
			    json_string(m ? m : errs[i]));
			nerr++;
		}
	}
	if (vals != NULL && vals[F_COUNTRY].len == 2)
		pick = vals[F_COUNTRY].s;
	if (pick == NULL) {
		i18n_accept_region(http_header(r, "Accept-Language"), region);
		pick = region;
	}
	countries = json_array();
	json_array_foreach(i18n_countries(r->lang), i, c) {
		const char *code = json_string_value(json_object_get(c, "code"));

		json_array_append_new(countries, json_pack("{s:s, s:O, s:b}",
		    "code", code, "name", json_object_get(c, "name"),
		    "selected", strcmp(code, pick) == 0));
	}
	form = json_pack("{s:s, s:s%, s:o, s:o, s:b, s:o}",
	    "action", arena_printf(r->arena, "/p/%s/sign", p->slug),
	    "csrf", tok.data, tok.len, "values", values, "errors", errors,
	    "has_errors", nerr > 0, "countries", countries);
	buf_reset(&tok);
	if (nerr > 0) {
		struct msgfmt_arg n = { .name = "n", .type = MSGFMT_NUMBER,
		    .num = nerr };
		const char *s = i18n_format(r->arena, r->lang, "error_summary",
		    &n, 1);

		json_object_set_new(form, "error_summary", json_string(s ? s :
		    ""));
	}
	return form;
}

/* Loads the petition named in the path, or replies with an error page and
 * returns -1. */
static int
load_petition(struct request *r, struct petition *p)
{
	switch (store_petition_by_slug(site.store, r->arena, r->slug, p)) {
	case STORE_OK:
		if (p->state == PETITION_DRAFT || p->state == PETITION_PENDING ||
		    p->state == PETITION_REJECTED) {
			page_error(r, 404, "err_not_found");
			return -1;
		}
		if (p->state == PETITION_HIDDEN) {
			page_error(r, 410, "err_not_found");
			return -1;
		}
		return 0;
	case STORE_NOTFOUND:
		page_error(r, 404, "err_not_found");
		return -1;
	case STORE_UNAVAILABLE:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_internal");
		return -1;
	default:
		page_error(r, 500, "err_internal");
		return -1;
	}
}

static void
render_petition(struct request *r, int status, const struct petition *p,
    const struct form_value *vals, const char *const errs[F__MAX])
{
	json_t *ctx, *pc;

	page_begin(r);
	pc = petition_context(r, p, true);
	ctx = page_context(r, p->title);
	json_object_set(json_object_get(ctx, "page"), "description",
	    json_object_get(pc, "description"));
	json_object_set_new(ctx, "petition", pc);
	json_object_set_new(ctx, "form", form_context(r, p, vals, errs));
	page_render(r, status, "petition", ctx);
}

void
page_petition_show(struct request *r)
{
	struct petition p;

	page_begin(r);
	if (load_petition(r, &p) == 0)
		render_petition(r, 200, &p, NULL, NULL);
}

void
page_petition_json(struct request *r)
{
	struct petition p;
	char updated[32];
	struct tm tm;
	time_t t;

	page_begin(r);
	if (load_petition(r, &p) == -1)
		return;
	t = (time_t)p.updated_at;
	gmtime_r(&t, &tm);
	strftime(updated, sizeof(updated), "%Y-%m-%dT%H:%M:%SZ", &tm);
	page_json(r, 200, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s}",
	    "slug", p.slug, "title", p.title, "count", (json_int_t)p.count,
	    "goal", (json_int_t)p.goal,
	    "next_goal", (json_int_t)petition_next_goal(p.count, p.goal),
	    "state", petition_state_name(p.state), "updated", updated));
}

void
page_petition_thanks(struct request *r)
{
	struct petition p;
	json_t *ctx;

	page_begin(r);
	if (load_petition(r, &p) == -1)
		return;
	ctx = page_context(r, p.title);
	json_object_set_new(ctx, "petition", petition_context(r, &p, false));
	page_render(r, 200, "thanks", ctx);
}

/* Seals the signer's personal data: first name, last name, email and
 * address, NUL-separated. */
static unsigned char *
seal_pii(struct request *r, const struct form_value *v, const char *email,
    size_t elen, size_t *len)
{
	struct buf b;
	unsigned char *box;

	buf_init(&b);
	buf_append(&b, v[F_FIRST_NAME].s, v[F_FIRST_NAME].len);
	buf_putc(&b, '\0');
	buf_append(&b, v[F_LAST_NAME].s, v[F_LAST_NAME].len);
	buf_putc(&b, '\0');
	buf_append(&b, email, elen);
	buf_putc(&b, '\0');
	buf_puts(&b, r->ip);
	box = buf_ok(&b) ? crypto_seal(b.data, b.len, len) : NULL;
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_reset(&b);
	return box;
}

void
page_petition_sign(struct request *r)
{
	struct form_value v[F__MAX];
	const char *errs[F__MAX] = { NULL };
	struct signature sig;
	struct petition p;
	const char *cookie;
	unsigned char *pii = NULL;
	char *email;
	size_t elen, i;
	int64_t count;
	int nerr;

	page_begin(r);
	nerr = form_parse(r->arena, r->body.data ? r->body.data : "",
	    r->body.len, sign_form, F__MAX, v);
	if (nerr == -1) {
		page_error(r, 500, "err_internal");
		return;
	}
	/* The token must match the cookie the browser sent, not one that
	 * page_begin() just made. */
	cookie = http_cookie(r, "holos_csrf");
	if (v[F_CSRF].err != FORM_OK || !crypto_csrf_check(v[F_CSRF].s,
	    v[F_CSRF].len, cookie, time(NULL))) {
		log_info("sign", "slug=%s result=csrf_refused", r->slug);
		page_error(r, 403, "err_csrf");
		return;
	}
	if (load_petition(r, &p) == -1)
		return;
	if (!petition_is_open(&p)) {
		page_error(r, 409, "err_closed");
		return;
	}
	for (i = 0; i < F__MAX; i++)
		errs[i] = error_key((enum sign_field)i, v[i].err);
	if (nerr > 0) {
		render_petition(r, 422, &p, v, errs);
		return;
	}
	email = email_normalize(r->arena, v[F_EMAIL].s, v[F_EMAIL].len, &elen);
	if (email == NULL) {
		errs[F_EMAIL] = "err_email";
		render_petition(r, 422, &p, v, errs);
		return;
	}
	memset(&sig, 0, sizeof(sig));
	sig.petition_id = p.id;
	crypto_email_hash(email, elen, sig.email_hash);
	if ((pii = seal_pii(r, v, email, elen, &sig.pii_len)) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	sig.pii = pii;
	sig.country = v[F_COUNTRY].s;
	sig.comment = v[F_COMMENT].s;
	sig.public_name = v[F_PUBLIC].checked;
	sig.updates = v[F_UPDATES].checked;
	/* Until email confirmation exists a signature counts when signed. */
	sig.state = SIGNATURE_CONFIRMED;
	sig.created_at = (int64_t)time(NULL);
	switch (store_signature_add(site.store, &sig, &count)) {
	case STORE_OK:
		log_info("sign", "slug=%s seq=%lld count=%lld", p.slug,
		    (long long)sig.seq, (long long)count);
		r->status = 303;
		http_header_add(r, "Location", arena_printf(r->arena,
		    "/p/%s/thanks", p.slug));
		http_header_add(r, "Cache-Control", "no-store");
		break;
	case STORE_DUPLICATE:
		log_info("sign", "slug=%s result=duplicate", p.slug);
		errs[F_EMAIL] = "err_duplicate";
		render_petition(r, 422, &p, v, errs);
		break;
	case STORE_UNAVAILABLE:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_internal");
		break;
	default:
		page_error(r, 500, "err_internal");
		break;
	}
	free(pii);
}
