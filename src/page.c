/* page.c - what every page shares: language, CSRF cookie, the common
 * template context, rendering, error pages and JSON replies. */
#include "page.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "crypto.h"
#include "email.h"
#include "form.h"
#include "i18n.h"
#include "lifecycle.h"
#include "log.h"
#include "petition.h"
#include "ratelimit.h"
#include "signq.h"
#include "upload.h"
#include "utc.h"

#define COOKIE_LANG "holos_lang"

void
page_begin(struct request *r)
{
	const char *q = http_query(r, "lang");

	if (r->lang != NULL)
		return;
	r->lang = i18n_negotiate(q, http_cookie(r, COOKIE_LANG),
	    http_header(r, "Accept-Language"));
	if (q != NULL && i18n_match(q, strlen(q)) != NULL)
		http_header_add(r, "Set-Cookie",
		    arena_printf(r->arena,
			COOKIE_LANG
			"=%s; Path=/; Max-Age=31536000; SameSite=Lax%s",
			r->lang, site.secure_cookies ? "; Secure" : ""));
	http_header_add(r, "Vary", "Accept-Language, Cookie");
}

const char *
page_url(struct request *r, const char *path)
{
	return arena_printf(r->arena, "%s%s", site.base_url, path);
}

void
page_account_link(struct request *r, const char **href, const char **label)
{
	const char *cookie = http_cookie(r, PAGE_COOKIE_SESSION);
	/* The cookie alone decides: no lookup on every page. A stale one
	 * leads to /me, which asks to sign in. */
	bool in = cookie != NULL && *cookie != '\0';
	const char *t;

	page_begin(r);
	*href = in ? "/me" : "/login";
	t = i18n_text(r->lang, in ? "nav_my" : "nav_login");
	*label = t != NULL ? t : *href;
}

json_t *
page_context(struct request *r, const char *title)
{
	const char *account_href, *account_label;
	json_t *ctx, *langs, *l;
	size_t i;
	/* The context holds text only: a path that is not UTF-8 (%FF in the
	 * URL, on its way to a 404) gives the site's links instead. */
	const char *path =
	    form_utf8_valid(r->path, strlen(r->path)) ? r->path : "/";

	page_begin(r);
	langs = json_array();
	json_array_foreach(i18n_languages(), i, l)
	{
		const char *code = json_string_value(json_object_get(l, "code"));

		json_array_append_new(langs,
		    json_pack("{s:s, s:O, s:s, s:b}", "code", code, "name",
			json_object_get(l, "name"), "url",
			arena_printf(r->arena, "%s%s?lang=%s", site.base_url,
			    path, code),
			"current", strcmp(code, r->lang) == 0));
	}
	ctx = json_pack("{s:s, s:O, s:{s:s, s:s}, s:o, s:{s:s, s:s}, s:s}",
	    "lang", r->lang, "t", i18n_strings(r->lang), "site", "name",
	    site.name, "base_url", site.base_url, "langs", langs, "page",
	    "title", title ? title : site.name, "url", page_url(r, path),
	    "static_version", site.static_version);
	page_account_link(r, &account_href, &account_label);
	json_object_set_new(ctx, "account",
	    json_pack("{s:s, s:s}", "href", account_href, "label",
		account_label));
	return ctx;
}

void
page_render(struct request *r, int status, const char *name, json_t *ctx)
{
	buf_reset(&r->out);
	if (ctx == NULL || tmpl_render(site.tmpl, name, ctx, &r->out) == -1 ||
	    !buf_ok(&r->out)) {
		log_error("page", "template=%s error=\"render failed\"", name);
		buf_reset(&r->out);
		buf_puts(&r->out, "Internal error\n");
		r->status = 500;
		r->content_type = "text/plain; charset=utf-8";
		json_decref(ctx);
		return;
	}
	json_decref(ctx);
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
	http_header_add(r, "Cache-Control", "private, no-cache");
}

static void
job_park(struct signq_item *it)
{
	http_suspend(it->arg);
}

static void
job_done(struct signq_item *it)
{
	http_finish(it->arg);
}

int
page_submit(struct request *r, struct signq_item *it)
{
	it->park = job_park;
	it->done = job_done;
	it->arg = r;
	r->job = it;
	if (signq_submit(it) == -1) {
		r->job = NULL;
		return -1;
	}
	return 0;
}

int
page_rate_check(struct request *r, int64_t petition_id)
{
	char path[256];
	int wait = 1;

	if (ratelimit_take(&r->addr, petition_id, &wait))
		return 0;
	log_path(path, sizeof(path), r->path);
	log_info("ratelimit", "path=%s result=limited retry_after=%d", path,
	    wait);
	page_rate_refused(r, wait, "err_rate");
	return -1;
}

void
page_rate_refused(struct request *r, int wait, const char *message_key)
{
	http_header_add(r, "Retry-After",
	    arena_printf(r->arena, "%d", wait > 0 ? wait : 1));
	page_error(r, 429, message_key);
}

bool
page_form_encoded(struct request *r)
{
	static const char want[] = "application/x-www-form-urlencoded";
	const char *ct = http_header(r, "Content-Type");
	size_t n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* True when a state-changing request comes from another site: its Origin
 * (or, without one, Sec-Fetch-Site) names a site other than the base URL.
 * Requests without either (scripts, old browsers) pass: the form token is
 * their check. */
static bool
cross_site(struct request *r)
{
	const char *origin = http_header(r, "Origin");
	const char *fetch = http_header(r, "Sec-Fetch-Site");

	if (origin != NULL)
		return strcmp(origin, site.origin) != 0;
	return fetch != NULL && strcmp(fetch, "cross-site") == 0;
}

void
page_error(struct request *r, int status, const char *key)
{
	const char *msg;

	page_begin(r);
	msg = i18n_text(r->lang, key);
	page_error_text(r, status, msg ? msg : key);
}

/* Whether r asked for JSON: the API (/api/) and /p/SLUG.json get their
 * errors as JSON too. */
static bool
wants_json(const struct request *r)
{
	size_t n = strlen(r->path);

	return strncmp(r->path, "/api/", 5) == 0 ||
	    (n > 5 && strcmp(r->path + n - 5, ".json") == 0);
}

/* The error's code in a JSON answer, by status. */
static const char *
error_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 410: return "gone";
	case 413: return "too_large";
	case 429: return "rate_limited";
	case 503: return "unavailable";
	default: return status >= 500 ? "internal" : "error";
	}
}

void
page_error_text(struct request *r, int status, const char *msg)
{
	const char *title;
	json_t *ctx;

	page_begin(r);
	if (wants_json(r)) {
		page_json(r, status,
		    json_pack("{s:{s:s, s:s}}", "error", "code",
			error_code(status), "message", msg));
		http_header_add(r, "Access-Control-Allow-Origin", "*");
		http_header_add(r, "Cache-Control", "no-store");
		return;
	}
	title = i18n_text(r->lang,
	    status == 404 ? "title_not_found" : "title_error");
	ctx = page_context(r, title);
	json_object_set_new(ctx, "status", json_integer(status));
	json_object_set_new(ctx, "message", json_string(msg));
	json_object_set_new(ctx, "title", json_string(title ? title : ""));
	page_render(r, status, "error", ctx);
}

void
page_json(struct request *r, int status, json_t *obj)
{
	char *s;

	buf_reset(&r->out);
	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT)) == NULL) {
		r->status = 500;
		r->content_type = "text/plain; charset=utf-8";
		buf_puts(&r->out, "Internal error\n");
		json_decref(obj);
		return;
	}
	buf_puts(&r->out, s);
	buf_putc(&r->out, '\n');
	free(s);
	json_decref(obj);
	r->status = status;
	r->content_type = "application/json";
}

int
page_session(struct request *r, struct user *u, char binding[33])
{
	const char *cookie = http_cookie(r, PAGE_COOKIE_SESSION);

	binding[0] = '\0';
	switch (account_session(site.store, r->arena, cookie, u)) {
	case 0: account_binding(cookie, binding); return 0;
	case 1: return 1;
	default: return -1;
	}
}

void
page_unavailable(struct request *r)
{
	http_header_add(r, "Retry-After", "5");
	page_error(r, 503, "err_unavailable");
}

bool
page_store_ok(struct request *r, enum store_status st)
{
	if (st == STORE_OK)
		return true;
	page_unavailable(r);
	return false;
}

int
page_upload_read(struct request *r, struct upload *u, struct form_value *v,
    const char *module, const char *malformed_key)
{
	int n;

	if (!upload_is_multipart(r))
		/* Sent without its file: its token is checked all the same,
		 * then the caller refuses or accepts the missing file. */
		return page_form_read(r, u->spec, u->nspec, v);
	switch (upload_read(r, u, v, &n)) {
	case UPLOAD_OK: return n;
	case UPLOAD_MALFORMED:
		log_info(module, "slug=%s result=malformed", r->slug);
		page_error(r, 400, malformed_key);
		return -1;
	default: page_error(r, 500, "err_internal"); return -1;
	}
}

int
page_petition_move(struct request *r, const struct petition *p, int64_t uid,
    enum petition_state to, const char *reason, const char *note,
    const char *module, const char *action, const char *conflict_key)
{
	struct transition t = { .petition_id = p->id,
		.from = p->state,
		.to = to,
		.actor = page_actor(r, uid),
		.reason = reason,
		.note = note,
		.at = (int64_t)time(NULL) };

	switch (lifecycle_move(site.store, &t)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 409, conflict_key); return -1;
	default: page_unavailable(r); return -1;
	}
	log_info(module, "action=%s slug=%s from=%s to=%s actor=%s", action,
	    p->slug, petition_state_name(t.from), petition_state_name(t.to),
	    t.actor);
	return 0;
}

void
page_error_summary(struct request *r, json_t *form, const char *key, size_t nerr)
{
	struct msgfmt_arg n = MSGFMT_NUM("n", nerr);
	const char *s = i18n_format(r->arena, r->lang, key, &n, 1);

	json_object_set_new(form, "error_summary",
	    json_string(s != NULL ? s : ""));
}

void
page_para_add(json_t *m, const char *s)
{
	json_array_append_new(json_object_get(m, "paras"), json_string(s));
}

void
page_link_add(struct request *r, json_t *m, const char *url, const char *key)
{
	json_array_append_new(json_object_get(m, "links"),
	    json_pack("{s:s, s:s}", "url", url, "text",
		i18n_text(r->lang, key)));
}

void
page_store_failed(struct request *r, enum store_status st)
{
	if (st == STORE_UNAVAILABLE)
		page_unavailable(r);
	else
		page_error(r, 500, "err_internal");
}

void
page_see_other(struct request *r, const char *location)
{
	r->status = 303;
	http_header_add(r, "Location", location);
	http_header_add(r, "Cache-Control", "no-store");
}

/* guard: moderating takes a second factor (with --require-2fa); one not
 * enrolled yet is sent to enrol first (303 to /me/2fa). Returns 0, or -1
 * after replying. */
static int
second_factor_check(struct request *r, const struct user *u)
{
	struct user_totp t;

	if (!site.require_2fa)
		return 0;
	memset(&t, 0, sizeof(t));
	switch (store_totp_get(site.store, r->arena, u->id, &t)) {
	case STORE_OK:
	case STORE_NOTFOUND: break;
	default: page_unavailable(r); return -1;
	}
	if (t.enabled_at == 0) {
		page_see_other(r, "/me/2fa");
		return -1;
	}
	return 0;
}

/* The petition of r->slug into p when u is its starter or of role least
 * or above; otherwise replies and returns -1. Acting by role on another's
 * petition is moderating: it takes the second factor as /admin does. */
static int
petition_load_for(struct request *r, const struct user *u, enum user_role least,
    struct petition *p, const char *module)
{
	switch (store_petition_by_slug(site.store, r->arena, r->slug, p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return -1;
	default: page_unavailable(r); return -1;
	}
	if (p->owner_id != 0 && p->owner_id == u->id)
		return 0; /* its starter */
	if (u->role < least) {
		log_info(module, "slug=%s user=%lld result=forbidden", p->slug,
		    (long long)u->id);
		page_error(r, 403, "err_forbidden");
		return -1;
	}
	if (second_factor_check(r, u) == -1) {
		log_info(module,
		    "slug=%s user=%lld result=second_factor_missing", p->slug,
		    (long long)u->id);
		return -1;
	}
	return 0;
}

int
page_petition_managed(struct request *r, const struct user *u,
    struct petition *p, const char *module)
{
	return petition_load_for(r, u, ROLE_MODERATOR, p, module);
}

int
page_petition_owned(struct request *r, const struct user *u, struct petition *p,
    const char *module)
{
	return petition_load_for(r, u, ROLE_ADMIN, p, module);
}

int
page_require(struct request *r, enum user_role role, struct user *u,
    char binding[33])
{
	switch (page_session(r, u, binding)) {
	case 0: break;
	case 1:
		r->status = 302;
		http_header_add(r, "Location",
		    arena_printf(r->arena, "/login?next=%s", r->path));
		http_header_add(r, "Cache-Control", "no-store");
		return -1;
	default: page_unavailable(r); return -1;
	}
	if (u->role < role) {
		page_error(r, 403, "err_forbidden");
		return -1;
	}
	if (role >= ROLE_MODERATOR && second_factor_check(r, u) == -1)
		return -1;
	return 0;
}

int
page_post_begin(struct request *r, enum user_role role, struct user *u,
    char binding[33], const struct form_spec *spec, size_t n,
    struct form_value *v, size_t csrf)
{
	page_begin(r);
	if (page_require(r, role, u, binding) == -1 ||
	    page_form_read(r, spec, n, v) == -1 ||
	    !page_csrf_check(r, &v[csrf], binding))
		return -1;
	return 0;
}

int
page_form_post(struct request *r, const struct form_spec *spec, size_t n,
    struct form_value *v, size_t csrf, const char *binding)
{
	int nerr;

	if ((nerr = page_form_read(r, spec, n, v)) == -1)
		return -1;
	if (!page_csrf_check(r, &v[csrf], binding) ||
	    page_rate_check(r, 0) == -1)
		return -1;
	return nerr;
}

const struct form_spec page_button_form[1] = {
	PAGE_CSRF_FIELD,
};

int
page_button_post(struct request *r, const char *binding)
{
	struct form_value v[1];

	if (page_form_post(r, page_button_form, 1, v, 0, binding) == -1)
		return -1;
	return 0;
}

const struct form_spec page_email_form[PAGE_EMAIL__MAX] = {
	[PAGE_EMAIL] = { "email", FORM_LINE, EMAIL_MAX, true, email_valid },
	[PAGE_EMAIL_CSRF] = PAGE_CSRF_FIELD,
};

int
page_email_post(struct request *r, struct form_value v[PAGE_EMAIL__MAX],
    char **email, size_t *len)
{
	if (page_form_post(r, page_email_form, PAGE_EMAIL__MAX, v,
		PAGE_EMAIL_CSRF, "") == -1)
		return -1;
	*email = v[PAGE_EMAIL].err == FORM_OK ?
	    email_normalize(r->arena, v[PAGE_EMAIL].s, v[PAGE_EMAIL].len, len) :
	    NULL;
	return *email != NULL && email_valid(*email, *len) ? 0 : 1;
}

void
page_link_render(struct request *r, const char *tmpl, const char *key,
    const char *title_key, const struct page_link_state *state,
    const struct token_info *info)
{
	json_t *ctx, *o;

	page_begin(r);
	ctx = page_context(r, i18n_text(r->lang, title_key));
	o = json_pack("{s:s, s:b, s:s, s:s}", "view", state->name, state->name,
	    1, "action", r->path, "csrf", page_form_token(r, ""));
	if (o != NULL && info != NULL && info->slug != NULL) {
		json_object_set_new(o, "title", json_string(info->title));
		json_object_set_new(o, "title_lang",
		    json_string(info->title_lang ? info->title_lang : ""));
		json_object_set_new(o, "petition_url",
		    json_string(arena_printf(r->arena, "/p/%s", info->slug)));
	}
	json_object_set_new(ctx, key, o);
	page_render(r, state->status, tmpl, ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

const char *
page_form_token(struct request *r, const char *binding)
{
	struct buf b;
	const char *t;

	buf_init(&b);
	crypto_csrf_token(&b, binding, time(NULL));
	t = buf_to_arena(&b, r->arena);
	return t != NULL ? t : "";
}

bool
page_csrf_check(struct request *r, const struct form_value *token,
    const char *binding)
{
	const char *why = NULL;
	char path[256];

	if (token->err != FORM_OK || token->s == NULL)
		why = "missing";
	else if (!crypto_csrf_check(token->s, token->len, binding, time(NULL)))
		why = "bad";
	else if (cross_site(r))
		why = "cross_site";
	if (why == NULL)
		return true;
	log_path(path, sizeof(path), r->path);
	log_info("csrf", "method=%s path=%s result=refused reason=%s",
	    r->method_name, path, why);
	page_error(r, 403, "err_csrf");
	return false;
}

const char *
page_actor(struct request *r, int64_t user_id)
{
	return arena_printf(r->arena, "user:%lld", (long long)user_id);
}

const char *
page_iso_time(struct request *r, int64_t t)
{
	char s[UTC_CHARS];

	return arena_strdup(r->arena, utc_format(s, UTC_TEXT, t));
}

void
page_session_cookie(struct request *r, const char *cookie)
{
	http_header_add(r, "Set-Cookie",
	    arena_printf(r->arena,
		PAGE_COOKIE_SESSION "=%s; Path=/; Max-Age=%d; HttpOnly; "
				    "SameSite=Lax%s",
		cookie, ACCOUNT_SESSION_TTL,
		site.secure_cookies ? "; Secure" : ""));
}

int
page_form_read(struct request *r, const struct form_spec *spec, size_t n,
    struct form_value *v)
{
	int nerr;

	if (!page_form_encoded(r)) {
		page_error(r, 415, "err_media_type");
		return -1;
	}
	nerr = form_parse(r->arena, r->body.data ? r->body.data : "",
	    r->body.len, spec, n, v);
	if (nerr == -1)
		page_error(r, 500, "err_internal");
	return nerr;
}
