/* page_totp.c - the second factor: /login/2fa (the code after the
 * password or the mailed link, before the session) and /me/2fa
 * (enrolment: the secret as a QR code and as text, confirmed with a code;
 * ten recovery codes shown once). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "qr.h"
#include "totp.h"

enum code_field { C_CODE, C_CSRF, C_NEXT, C__MAX };

static const struct form_spec code_form[C__MAX] = {
	[C_CODE] = { "code", FORM_LINE, 40, true, NULL },
	[C_CSRF] = PAGE_CSRF_FIELD,
	[C_NEXT] = { "next", FORM_TOKEN, 512, false, NULL },
};

/* The page: heading, paragraphs, perhaps the code form (action, its token
 * bound to binding, the next page), an error and links. */
static json_t *
totp_ctx(struct request *r, const char *heading_key, const char *action,
    const char *binding, const char *next, const char *error_key)
{
	json_t *t = json_pack("{s:s, s:[], s:[], s:o}", "heading",
	    i18n_text(r->lang, heading_key), "paras", "links", "codes",
	    json_array());

	if (action != NULL) {
		json_t *f = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s}", "form",
		    1, "action", action, "csrf", page_form_token(r, binding),
		    "next", next != NULL ? next : "", "label",
		    i18n_text(r->lang, "totp_code_label"), "button",
		    i18n_text(r->lang, "totp_code_button"));

		json_object_update(t, f);
		json_decref(f);
	}
	if (error_key != NULL)
		json_object_set_new(t, "error",
		    json_string(i18n_text(r->lang, error_key)));
	return t;
}

static void
render(struct request *r, int status, json_t *t)
{
	json_t *ctx =
	    page_context(r, json_string_value(json_object_get(t, "heading")));

	json_object_set_new(ctx, "totp", t);
	page_render(r, status, "totp", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

/* Whether code is right for t's secret (a step not used before) or is
 * one of the account's unused recovery codes; either is used up here. */
static bool
code_good(struct request *r, int64_t user_id, const struct user_totp *t,
    const char *code, size_t len, bool *recovery)
{
	unsigned char hash[32];
	char *secret;
	size_t slen;
	int64_t step;
	bool ok = false;

	*recovery = false;
	if ((secret = crypto_open(t->sealed, t->sealed_len, &slen)) == NULL)
		return false;
	if (totp_check((unsigned char *)secret, slen, code, (int64_t)time(NULL),
		&step))
		/* A replay (the step was used) is a wrong code. */
		ok = store_totp_accept(site.store, user_id, step) == STORE_OK;
	else if (totp_recovery_hash(code, len, hash))
		ok = *recovery = store_recovery_use(site.store, user_id, hash,
				     (int64_t)time(NULL)) == STORE_OK;
	sodium_memzero(secret, slen);
	free(secret);
	(void)r;
	return ok;
}

/* ---- /login/2fa ---- */

static void
to_login(struct request *r)
{
	page_see_other(r, "/login");
}

void
page_totp_login_show(struct request *r)
{
	const char *next = http_query(r, "next");

	page_begin(r);
	if (account_pending_user(http_cookie(r, ACCOUNT_PENDING_COOKIE),
		(int64_t)time(NULL)) == 0) {
		to_login(r);
		return;
	}
	next = page_safe_next(next ? next : "", next ? strlen(next) : 0);
	json_t *t =
	    totp_ctx(r, "totp_login_heading", "/login/2fa", "", next, NULL);
	page_para_add(t, i18n_text(r->lang, "totp_login_text"));
	render(r, 200, t);
}

void
page_totp_login_post(struct request *r)
{
	struct form_value v[C__MAX];
	char cookie[ACCOUNT_SESSION_CHARS + 1], known[ACCOUNT_KNOWN_CHARS + 1];
	int64_t id, now = (int64_t)time(NULL);
	struct user_totp t;
	const char *next, *email;
	struct user u;
	bool recovery;
	json_t *ctx;

	page_begin(r);
	if (page_form_read(r, code_form, C__MAX, v) == -1 ||
	    !page_csrf_check(r, &v[C_CSRF], "") || page_rate_check(r, 0) == -1)
		return;
	next = v[C_NEXT].err == FORM_OK ?
	    page_safe_next(v[C_NEXT].s, v[C_NEXT].len) :
	    "";
	if ((id = account_pending_user(http_cookie(r, ACCOUNT_PENDING_COOKIE),
		 now)) == 0) {
		to_login(r);
		return;
	}
	switch (store_user_by_id(site.store, r->arena, id, &u)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: to_login(r); return;
	default: page_unavailable(r); return;
	}
	switch (store_totp_get(site.store, r->arena, id, &t)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: to_login(r); return;
	default: page_unavailable(r); return;
	}
	if (t.enabled_at == 0) {
		to_login(r);
		return;
	}
	/* Guessing codes: a few wrong ones lock the second factor a while,
	 * whoever asks. */
	if (t.locked_until > now) {
		log_info("login", "user=%lld result=second_factor_locked",
		    (long long)id);
		render(r, 429,
		    totp_ctx(r, "totp_login_heading", "/login/2fa", "", next,
			"totp_locked"));
		return;
	}
	if (v[C_CODE].err != FORM_OK ||
	    !code_good(r, id, &t, v[C_CODE].s, v[C_CODE].len, &recovery)) {
		(void)store_totp_failed(site.store, id, now, TOTP_MAX_FAILED,
		    TOTP_LOCK_SECONDS);
		log_info("login", "user=%lld result=second_factor_wrong",
		    (long long)id);
		ctx = totp_ctx(r, "totp_login_heading", "/login/2fa", "", next,
		    "totp_wrong");
		page_para_add(ctx, i18n_text(r->lang, "totp_login_text"));
		render(r, 422, ctx);
		return;
	}
	log_info("login", "result=ok user=%lld second_factor=%s", (long long)id,
	    recovery ? "recovery" : "totp");
	if (recovery)
		(void)store_audit(site.store, page_actor(r, id),
		    "recovery_code_used", page_actor(r, id), "", now);
	if ((email = account_email(r->arena, &u)) == NULL ||
	    account_session_start(site.store, id, cookie) == -1) {
		page_unavailable(r);
		return;
	}
	account_known_new(email, known);
	http_header_add(r, "Set-Cookie",
	    ACCOUNT_PENDING_COOKIE "=; Path=/login; Max-Age=0; HttpOnly; "
				   "SameSite=Strict");
	page_login_grant(r, &u, cookie, known, next);
	sodium_memzero(cookie, sizeof(cookie));
}

/* ---- /me/2fa ---- */

/* The setup page for the secret waiting in t (made now when there is
 * none): the otpauth:// URI as a QR code, the secret as text, the form. */
static void
render_setup(struct request *r, const struct user *u, const char *binding,
    int status, const char *error_key)
{
	unsigned char fresh[TOTP_SECRET_BYTES], *box;
	struct user_totp t;
	const char *email, *uri, *b32;
	char *secret = NULL, *shown;
	size_t slen = 0, blen, i, n;
	struct qr q = { 0, NULL };
	struct buf svg;
	json_t *ctx;

	switch (store_totp_get(site.store, r->arena, u->id, &t)) {
	case STORE_OK:
		secret = crypto_open(t.sealed, t.sealed_len, &slen);
		break;
	case STORE_NOTFOUND: break;
	default: page_unavailable(r); return;
	}
	if (secret == NULL) {
		totp_secret_new(fresh);
		if ((box = crypto_seal(fresh, sizeof(fresh), &blen)) == NULL ||
		    store_totp_begin(site.store, u->id, box, blen,
			(int64_t)time(NULL)) != STORE_OK) {
			log_error("totp", "error=\"cannot keep a secret\"");
			free(box);
			sodium_memzero(fresh, sizeof(fresh));
			page_unavailable(r);
			return;
		}
		free(box);
		if ((secret = malloc(sizeof(fresh))) == NULL) {
			sodium_memzero(fresh, sizeof(fresh));
			page_unavailable(r);
			return;
		}
		memcpy(secret, fresh, sizeof(fresh));
		slen = sizeof(fresh);
		sodium_memzero(fresh, sizeof(fresh));
	}
	email = account_email(r->arena, u);
	b32 = totp_base32(r->arena, (unsigned char *)secret, slen);
	uri = totp_uri(r->arena, (unsigned char *)secret, slen, site.name,
	    email != NULL ? email : "");
	sodium_memzero(secret, slen);
	free(secret);
	if (b32 == NULL || uri == NULL) {
		log_error("totp", "error=\"cannot make the secret's text\"");
		page_unavailable(r);
		return;
	}
	buf_init(&svg);
	if (qr_encode(&q, uri, strlen(uri)) != QR_OK || qr_svg(&q, &svg) == -1) {
		log_error("totp", "error=\"cannot draw the QR code\"");
		qr_free(&q);
		buf_reset(&svg);
		page_unavailable(r);
		return;
	}
	qr_free(&q);
	/* The secret in groups of four, easier to type. */
	n = strlen(b32);
	shown = arena_alloc(r->arena, n + n / 4 + 1);
	for (i = 0, blen = 0; shown != NULL && i < n; i++) {
		if (i > 0 && i % 4 == 0)
			shown[blen++] = ' ';
		shown[blen++] = b32[i];
	}
	if (shown != NULL)
		shown[blen] = '\0';
	ctx = totp_ctx(r, "totp_setup_heading", "/me/2fa", binding, NULL,
	    error_key);
	page_para_add(ctx, i18n_text(r->lang, "totp_setup_text"));
	json_object_set_new(ctx, "qr", json_stringn(svg.data, svg.len));
	json_object_set_new(ctx, "secret", json_string(b32));
	json_object_set_new(ctx, "secret_shown",
	    json_string(shown != NULL ? shown : b32));
	buf_reset(&svg);
	render(r, status, ctx);
}

void
page_totp_setup_show(struct request *r)
{
	char binding[33];
	struct user_totp t;
	struct user u;
	json_t *ctx;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1)
		return;
	switch (store_totp_get(site.store, r->arena, u.id, &t)) {
	case STORE_OK:
	case STORE_NOTFOUND: break;
	default: page_unavailable(r); return;
	}
	if (t.enabled_at != 0) {
		ctx = totp_ctx(r, "totp_setup_heading", NULL, binding, NULL,
		    NULL);
		page_para_add(ctx, i18n_text(r->lang, "totp_enabled_text"));
		page_link_add(r, ctx,
		    u.role >= ROLE_MODERATOR ? "/admin" : "/me", "acct_to_me");
		render(r, 200, ctx);
		return;
	}
	render_setup(r, &u, binding, 200, NULL);
}

void
page_totp_setup_post(struct request *r)
{
	char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_CHARS + 4];
	char cookie[ACCOUNT_SESSION_CHARS + 1];
	unsigned char hashes[TOTP_RECOVERY_CODES][32];
	struct form_value v[C__MAX];
	int64_t step, now = (int64_t)time(NULL);
	char binding[33], *secret;
	struct user_totp t;
	struct user u;
	size_t slen, i;
	bool ok;
	json_t *ctx;

	if (page_post_begin(r, ROLE_STARTER, &u, binding, code_form, C__MAX, v,
		C_CSRF) == -1 ||
	    page_rate_check(r, 0) == -1)
		return;
	switch (store_totp_get(site.store, r->arena, u.id, &t)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: render_setup(r, &u, binding, 422, NULL); return;
	default: page_unavailable(r); return;
	}
	if (t.enabled_at != 0) {
		page_error(r, 409, "totp_already");
		return;
	}
	if (t.locked_until > now) {
		render_setup(r, &u, binding, 429, "totp_locked");
		return;
	}
	if ((secret = crypto_open(t.sealed, t.sealed_len, &slen)) == NULL) {
		page_unavailable(r);
		return;
	}
	ok = v[C_CODE].err == FORM_OK &&
	    totp_check((unsigned char *)secret, slen, v[C_CODE].s, now, &step);
	sodium_memzero(secret, slen);
	free(secret);
	if (!ok) {
		(void)store_totp_failed(site.store, u.id, now, TOTP_MAX_FAILED,
		    TOTP_LOCK_SECONDS);
		render_setup(r, &u, binding, 422, "totp_wrong");
		return;
	}
	totp_recovery_new(codes, hashes);
	switch (store_totp_enable(site.store, u.id, step, now,
	    (const unsigned char(*)[32])hashes, TOTP_RECOVERY_CODES)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 409, "totp_already"); goto out;
	default: page_unavailable(r); goto out;
	}
	/* Every other session of the account ended with the enrolment; this
	 * browser goes on under a fresh one. */
	if (account_session_start(site.store, u.id, cookie) == -1) {
		page_unavailable(r);
		goto out;
	}
	page_session_cookie(r, cookie);
	account_binding(cookie, binding);
	(void)store_audit(site.store, page_actor(r, u.id), "totp_enabled",
	    page_actor(r, u.id), "", now);
	log_info("account", "event=totp_enabled user=%lld", (long long)u.id);
	ctx = totp_ctx(r, "totp_codes_heading", NULL, binding, NULL, NULL);
	page_para_add(ctx, i18n_text(r->lang, "totp_codes_text"));
	for (i = 0; i < TOTP_RECOVERY_CODES; i++)
		json_array_append_new(json_object_get(ctx, "codes"),
		    json_string(codes[i]));
	json_object_set_new(ctx, "has_codes", json_true());
	page_link_add(r, ctx, u.role >= ROLE_MODERATOR ? "/admin" : "/me",
	    "acct_to_me");
	render(r, 200, ctx);
out:
	sodium_memzero(codes, sizeof(codes));
	sodium_memzero(hashes, sizeof(hashes));
	sodium_memzero(cookie, sizeof(cookie));
}
