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
#include "signq.h"
#include "counts.h"

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

/* Puts the reader's translation of the petition's title and text in place
 * of the original when there is one; otherwise returns a note, in the
 * reader's language, that the original is shown. */
static const char *
petition_localise(struct request *r, struct petition *p)
{
	struct translation t;
	struct msgfmt_arg arg = { .name = "language", .type = MSGFMT_STRING };

	if (strcmp(r->lang, p->lang) == 0)
		return NULL;
	switch (store_petition_translation(site.store, r->arena, p->id, r->lang,
	    &t)) {
	case STORE_OK:
		p->title = t.title;
		p->body_md = t.body_md;
		p->lang = t.lang;
		return NULL;
	case STORE_NOTFOUND:
		break;
	default:
		log_warn("petition", "slug=%s lang=%s error=\"translation lookup "
		    "failed\"", p->slug, r->lang);
		break;
	}
	arg.str = i18n_language_name(r->arena, r->lang, p->lang);
	return i18n_format(r->arena, r->lang, "shown_in_original", &arg, 1);
}

static json_t *
petition_context(struct request *r, struct petition *p, bool body)
{
	const char *url = page_url(r, arena_printf(r->arena, "/p/%s", p->slug));
	const char *note = petition_localise(r, p), *started;
	struct msgfmt_arg when[2] = {
		{ .name = "date", .type = MSGFMT_DATE,
		    .num = (double)p->created_at * 1000.0 },
		{ .name = "ago", .type = MSGFMT_STRING },
	};
	json_t *o, *to;
	struct buf b;
	size_t i;

	to = json_array();
	for (i = 0; i < p->nto; i++) {
		json_t *a = json_pack("{s:s}", "name", p->to[i].name);

		if (p->to[i].description && *p->to[i].description)
			json_object_set_new(a, "description",
			    json_string(p->to[i].description));
		json_array_append_new(to, a);
	}
	when[1].str = i18n_relative(r->arena, r->lang,
	    p->created_at - (int64_t)time(NULL));
	started = i18n_format(r->arena, r->lang, "petition_started", when, 2);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:s}",
	    "slug", p->slug, "title", p->title, "url", url, "lang", p->lang,
	    "to", to, "is_open", petition_is_open(p),
	    "share", share_links(r, url, p->title),
	    "started", started ? started : "");
	if (note != NULL)
		json_object_set_new(o, "original_note", json_string(note));
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
		if (counts_get(p->id, &p->count) == -1) {
			http_header_add(r, "Retry-After", "5");
			page_error(r, 503, "err_internal");
			return -1;
		}
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
render_petition(struct request *r, int status, struct petition *p,
    const struct form_value *vals, const char *const errs[F__MAX])
{
	json_t *ctx, *pc;

	page_begin(r);
	pc = petition_context(r, p, true);
	ctx = page_context(r, json_string_value(json_object_get(pc, "title")));
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
	json_t *ctx, *pc;

	page_begin(r);
	if (load_petition(r, &p) == -1)
		return;
	pc = petition_context(r, &p, false);
	ctx = page_context(r, json_string_value(json_object_get(pc, "title")));
	json_object_set_new(ctx, "petition", pc);
	page_render(r, 200, "thanks", ctx);
}

/* Seals the signer's personal data: first name, last name, email and
 * address, NUL-separated, into the arena. */
static unsigned char *
seal_pii(struct request *r, const struct form_value *v, const char *email,
    size_t elen, size_t *len)
{
	unsigned char *box, *copy = NULL;
	struct buf b;

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
	if (box != NULL && (copy = arena_alloc(r->arena, *len)) != NULL)
		memcpy(copy, box, *len);
	free(box);
	return copy;
}

/* What a parked signing request keeps until the writer has committed. */
struct sign_job {
	struct signq_item it;
	struct request *r;
	struct petition p;
	struct form_value v[F__MAX];
};

static void
sign_park(struct signq_item *it)
{
	http_suspend(((struct sign_job *)it)->r);
}

static void
sign_done(struct signq_item *it)
{
	http_resume(((struct sign_job *)it)->r);
}

/* The second half of signing, once the writer has decided. */
static void
sign_finish(struct request *r, struct sign_job *job)
{
	const char *errs[F__MAX] = { NULL };

	switch (job->it.result) {
	case STORE_OK:
		log_info("sign", "slug=%s seq=%lld", job->p.slug,
		    (long long)job->it.sig.seq);
		r->status = 303;
		http_header_add(r, "Location", arena_printf(r->arena,
		    "/p/%s/thanks", job->p.slug));
		http_header_add(r, "Cache-Control", "no-store");
		break;
	case STORE_DUPLICATE:
		log_info("sign", "slug=%s result=duplicate", job->p.slug);
		errs[F_EMAIL] = "err_duplicate";
		if (counts_get(job->p.id, &job->p.count) == -1)
			job->p.count = 0;
		render_petition(r, 422, &job->p, job->v, errs);
		break;
	case STORE_UNAVAILABLE:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_busy");
		break;
	default:
		page_error(r, 500, "err_internal");
		break;
	}
}

void
page_petition_sign(struct request *r)
{
	struct form_value *v;
	const char *errs[F__MAX] = { NULL };
	struct sign_job *job = r->job;
	struct signature *sig;
	const char *cookie;
	char *email;
	size_t elen, i;
	int nerr;

	page_begin(r);
	if (job != NULL) {
		sign_finish(r, job);
		return;
	}
	if ((job = arena_alloc(r->arena, sizeof(*job))) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	v = job->v;
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
	if (load_petition(r, &job->p) == -1)
		return;
	if (!petition_is_open(&job->p)) {
		page_error(r, 409, "err_closed");
		return;
	}
	for (i = 0; i < F__MAX; i++)
		errs[i] = error_key((enum sign_field)i, v[i].err);
	if (nerr > 0) {
		render_petition(r, 422, &job->p, v, errs);
		return;
	}
	email = email_normalize(r->arena, v[F_EMAIL].s, v[F_EMAIL].len, &elen);
	if (email == NULL) {
		errs[F_EMAIL] = "err_email";
		render_petition(r, 422, &job->p, v, errs);
		return;
	}
	sig = &job->it.sig;
	sig->petition_id = job->p.id;
	crypto_email_hash(email, elen, sig->email_hash);
	if ((sig->pii = seal_pii(r, v, email, elen, &sig->pii_len)) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	sig->country = v[F_COUNTRY].s;
	sig->comment = v[F_COMMENT].s;
	sig->public_name = v[F_PUBLIC].checked;
	sig->updates = v[F_UPDATES].checked;
	/* Until email confirmation exists a signature counts when signed. */
	sig->state = SIGNATURE_CONFIRMED;
	sig->created_at = (int64_t)time(NULL);
	job->r = r;
	job->it.park = sign_park;
	job->it.done = sign_done;
	r->job = job;
	if (signq_submit(&job->it) == -1) {
		/* Full: refuse now rather than accept and drop later. */
		r->job = NULL;
		log_warn("sign", "slug=%s result=queue_full", job->p.slug);
		http_header_add(r, "Retry-After", "2");
		page_error(r, 503, "err_busy");
	}
}
