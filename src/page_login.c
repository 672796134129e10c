/* page_login.c - signing in (/login, the password checked on the offload
 * worker while the request is parked) and out (POST /logout). */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "offload.h"
#include "page.h"

#define COOKIE_SESSION PAGE_COOKIE_SESSION

enum login_field { L_EMAIL, L_PASSWORD, L_CSRF, L_NEXT, L__MAX };

static const struct form_spec login_form[L__MAX] = {
	[L_EMAIL] = { "email", FORM_LINE, 254, true, NULL },
	[L_PASSWORD] = { "password", FORM_SECRET, 1024, true, NULL },
	[L_CSRF] = PAGE_CSRF_FIELD,
	[L_NEXT] = { "next", FORM_TOKEN, 512, false, NULL },
};
const char *
page_safe_next(const char *s, size_t len)
{
	if (len == 0 || s[0] != '/' ||
	    (len > 1 && (s[1] == '/' || s[1] == '\\')) ||
	    !form_text_valid(s, len, false))
		return "";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"')
			return "";
	return s;
}

static void
render_login(struct request *r, int status, const char *next,
    const char *error_key)
{
	json_t *ctx;

	page_begin(r);
	ctx = page_context(r, i18n_text(r->lang, "login_title"));
	json_object_set_new(ctx, "login",
	    json_pack("{s:s, s:s, s:s?, s:b}", "csrf", page_form_token(r, ""),
		"next", next, "error",
		error_key ? i18n_text(r->lang, error_key) : NULL, "reset",
		http_query(r, "reset") != NULL));
	page_render(r, status, "login", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_login_show(struct request *r)
{
	const char *next = http_query(r, "next");

	render_login(r, 200,
	    page_safe_next(next ? next : "", next ? strlen(next) : 0), NULL);
}

/* A login's work, done on the offload worker: the password hash. */
struct login_job {
	const char *email, *password;
	size_t elen, plen;
	const char *next;
	enum login_result result;
	struct user u;
	const char *known_cookie; /* this browser's, or NULL */
	char known[ACCOUNT_KNOWN_CHARS + 1];
	struct arena *arena;
};

static void
login_work(void *arg)
{
	struct login_job *j = arg;

	j->result = account_login(site.store, j->arena, j->email, j->elen,
	    j->password, j->plen, j->known_cookie, &j->u, j->known);
}

/* The answer once the password was checked. */
static void
login_finish(struct request *r, struct login_job *j)
{
	const char *next = j->next;

	switch (j->result) {
	case LOGIN_OK: break;
	case LOGIN_LOCKED:
		log_info("login", "result=locked");
		render_login(r, 429, next, "login_locked");
		return;
	case LOGIN_WRONG:
		log_info("login", "result=wrong");
		render_login(r, 422, next, "login_wrong");
		return;
	default: page_unavailable(r); return;
	}
	log_info("login", "result=ok user=%lld", (long long)j->u.id);
	page_login_done(r, &j->u, j->known, next);
}

void
page_login_done(struct request *r, const struct user *u, const char *known,
    const char *next)
{
	char cookie[ACCOUNT_SESSION_CHARS + 1],
	    pending[ACCOUNT_PENDING_CHARS + 1];
	struct user_totp t;

	/* guard: an account with a second factor gets its session only
	 * after the code (page_totp.c); this browser holds a short-lived
	 * signed note of whose code it owes. */
	switch (store_totp_get(site.store, r->arena, u->id, &t)) {
	case STORE_OK:
	case STORE_NOTFOUND: break;
	default: page_unavailable(r); return;
	}
	if (t.enabled_at != 0) {
		account_pending_new(u->id,
		    (int64_t)time(NULL) + ACCOUNT_PENDING_TTL, pending);
		http_header_add(r, "Set-Cookie",
		    arena_printf(r->arena,
			ACCOUNT_PENDING_COOKIE "=%s; Path=/login; Max-Age=%d; "
					       "HttpOnly; SameSite=Strict%s",
			pending, ACCOUNT_PENDING_TTL,
			site.secure_cookies ? "; Secure" : ""));
		page_see_other(r,
		    *next == '\0' ? "/login/2fa" :
				    arena_printf(r->arena, "/login/2fa?next=%s",
					page_urlenc(r, next)));
		return;
	}
	if (account_session_start(site.store, u->id, cookie) == -1) {
		page_unavailable(r);
		return;
	}
	page_login_grant(r, u, cookie, known, next);
	sodium_memzero(cookie, sizeof(cookie));
}

void
page_login_grant(struct request *r, const struct user *u, const char *cookie,
    const char *known, const char *next)
{
	/* This browser may try the right password while others' guesses
	 * lock the account. */
	http_header_add(r, "Set-Cookie",
	    arena_printf(r->arena,
		ACCOUNT_KNOWN_COOKIE "=%s; Path=/login; Max-Age=31536000; "
				     "HttpOnly; SameSite=Strict%s",
		known, site.secure_cookies ? "; Secure" : ""));
	page_session_cookie(r, cookie);
	if (*next == '\0')
		next = u->role >= ROLE_MODERATOR ? "/admin" : "/me";
	page_see_other(r, next);
}

void
page_login_post(struct request *r)
{
	struct form_value v[L__MAX];
	struct login_job *j;
	const char *next;

	if (r->job != NULL) {
		/* The worker has checked the password. */
		login_finish(r, r->job);
		return;
	}
	page_begin(r);
	if (page_form_read(r, login_form, L__MAX, v) == -1)
		return;
	if (!page_csrf_check(r, &v[L_CSRF], ""))
		return;
	/* A next that is not text is dropped, never rendered. */
	next = v[L_NEXT].err == FORM_OK ?
	    page_safe_next(v[L_NEXT].s, v[L_NEXT].len) :
	    "";
	if (page_rate_check(r, 0) == -1)
		return;
	if (v[L_EMAIL].err != FORM_OK || v[L_PASSWORD].err != FORM_OK) {
		render_login(r, 422, next, "login_wrong");
		return;
	}
	if ((j = arena_alloc(r->arena, sizeof(*j))) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	memset(j, 0, sizeof(*j));
	j->email = v[L_EMAIL].s;
	j->elen = v[L_EMAIL].len;
	j->password = v[L_PASSWORD].s;
	j->plen = v[L_PASSWORD].len;
	j->next = next;
	j->known_cookie = http_cookie(r, ACCOUNT_KNOWN_COOKIE);
	j->arena = r->arena;
	/* The hash takes tens of milliseconds: on the worker, with the
	 * request parked. When the worker's queue is full the answer comes at
	 * once: the form again, try in a few seconds. */
	if (offload_submit(r, login_work, j) == 0)
		return;
	log_warn("login", "result=busy");
	render_login(r, 503, next, "acct_busy");
	http_header_add(r, "Retry-After", "5");
}

void
page_logout(struct request *r)
{
	const char *cookie = http_cookie(r, COOKIE_SESSION);
	struct form_value v[1];
	char binding[33] = "";

	page_begin(r);
	if (page_form_read(r, page_button_form, 1, v) == -1)
		return;
	/* The token is bound to the session it ends. */
	if (cookie != NULL && crypto_token_valid(cookie, strlen(cookie)))
		account_binding(cookie, binding);
	if (!page_csrf_check(r, &v[0], binding))
		return;
	if (cookie == NULL) {
		/* No session to end: as refused as a forged request. */
		page_error(r, 403, "err_csrf");
		return;
	}
	account_logout(site.store, cookie);
	http_header_add(r, "Set-Cookie",
	    COOKIE_SESSION "=; Path=/; Max-Age=0; "
			   "HttpOnly; SameSite=Lax");
	r->status = 303;
	http_header_add(r, "Location", "/");
}
