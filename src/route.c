/* route.c - the table from method and path to handler. */
#include "route.h"

#include <string.h>

#include "crypto.h"
#include "page.h"
#include "petition.h"

enum match {
	MATCH_EXACT,  /* the path is the pattern */
	MATCH_PREFIX, /* the pattern, then anything: r->rest */
	MATCH_SLUG,   /* prefix, a slug, then the suffix exactly */
	MATCH_TOKEN,  /* prefix, then an emailed token: r->token */
};

struct route_def {
	enum match match;
	const char *prefix;
	const char *suffix;
	enum http_method method; /* GET also answers HEAD */
	void (*handler)(struct request *);
};

static const struct route_def routes[ROUTE__MAX] = {
	[ROUTE_HOME] = { MATCH_EXACT, "/", NULL, HTTP_GET, page_home },
	[ROUTE_HEALTHZ] = { MATCH_EXACT, "/healthz", NULL, HTTP_GET,
	    page_healthz },
	[ROUTE_STATIC] = { MATCH_PREFIX, "/static/", NULL, HTTP_GET,
	    page_static },
	[ROUTE_PETITION] = { MATCH_SLUG, "/p/", "", HTTP_GET,
	    page_petition_show },
	[ROUTE_PETITION_JSON] = { MATCH_SLUG, "/p/", ".json", HTTP_GET,
	    page_petition_json },
	[ROUTE_SIGN] = { MATCH_SLUG, "/p/", "/sign", HTTP_POST,
	    page_petition_sign },
	[ROUTE_THANKS] = { MATCH_SLUG, "/p/", "/thanks", HTTP_GET,
	    page_petition_thanks },
	[ROUTE_METRICS] = { MATCH_EXACT, "/metrics", NULL, HTTP_GET,
	    page_metrics },
	[ROUTE_CONFIRM] = { MATCH_TOKEN, "/c/", NULL, HTTP_GET,
	    page_confirm_show },
	[ROUTE_CONFIRM_POST] = { MATCH_TOKEN, "/c/", NULL, HTTP_POST,
	    page_confirm_post },
	[ROUTE_UNSUBSCRIBE] = { MATCH_TOKEN, "/u/", NULL, HTTP_GET,
	    page_unsubscribe_show },
	[ROUTE_UNSUBSCRIBE_POST] = { MATCH_TOKEN, "/u/", NULL, HTTP_POST,
	    page_unsubscribe_post },
	[ROUTE_LOGIN] = { MATCH_EXACT, "/login", NULL, HTTP_GET,
	    page_login_show },
	[ROUTE_LOGIN_POST] = { MATCH_EXACT, "/login", NULL, HTTP_POST,
	    page_login_post },
	[ROUTE_LOGOUT] = { MATCH_EXACT, "/logout", NULL, HTTP_POST,
	    page_logout },
	[ROUTE_ADMIN] = { MATCH_EXACT, "/admin", NULL, HTTP_GET, page_admin },
	[ROUTE_ADMIN_PETITION] = { MATCH_SLUG, "/admin/p/", "", HTTP_GET,
	    page_admin_petition },
	[ROUTE_ADMIN_INVALIDATE] = { MATCH_SLUG, "/admin/p/", "/invalidate",
	    HTTP_POST, page_admin_invalidate },
	[ROUTE_ADMIN_MODERATE] = { MATCH_SLUG, "/admin/p/", "/moderate",
	    HTTP_POST, page_admin_moderate },
	[ROUTE_SIGNUP] = { MATCH_EXACT, "/signup", NULL, HTTP_GET,
	    page_signup_show },
	[ROUTE_SIGNUP_POST] = { MATCH_EXACT, "/signup", NULL, HTTP_POST,
	    page_signup_post },
	[ROUTE_VERIFY] = { MATCH_TOKEN, "/verify/", NULL, HTTP_GET,
	    page_verify_show },
	[ROUTE_VERIFY_POST] = { MATCH_TOKEN, "/verify/", NULL, HTTP_POST,
	    page_verify_post },
	[ROUTE_VERIFY_RESEND] = { MATCH_EXACT, "/verify", NULL, HTTP_POST,
	    page_verify_resend },
	[ROUTE_RESET] = { MATCH_EXACT, "/reset", NULL, HTTP_GET,
	    page_reset_show },
	[ROUTE_RESET_POST] = { MATCH_EXACT, "/reset", NULL, HTTP_POST,
	    page_reset_post },
	[ROUTE_RESET_TOKEN] = { MATCH_TOKEN, "/reset/", NULL, HTTP_GET,
	    page_reset_token_show },
	[ROUTE_RESET_TOKEN_POST] = { MATCH_TOKEN, "/reset/", NULL, HTTP_POST,
	    page_reset_token_post },
	[ROUTE_START] = { MATCH_EXACT, "/start", NULL, HTTP_GET,
	    page_start_show },
	[ROUTE_START_POST] = { MATCH_EXACT, "/start", NULL, HTTP_POST,
	    page_start_post },
	[ROUTE_PREVIEW] = { MATCH_EXACT, "/preview", NULL, HTTP_POST,
	    page_preview },
	[ROUTE_EDIT] = { MATCH_SLUG, "/me/p/", "/edit", HTTP_GET,
	    page_edit_show },
	[ROUTE_EDIT_POST] = { MATCH_SLUG, "/me/p/", "/edit", HTTP_POST,
	    page_edit_post },
	[ROUTE_ME] = { MATCH_EXACT, "/me", NULL, HTTP_GET, page_me },
	[ROUTE_ME_PETITION] = { MATCH_SLUG, "/me/p/", "", HTTP_GET,
	    page_me_petition },
	[ROUTE_ME_CSV] = { MATCH_SLUG, "/me/p/", "/signers.csv", HTTP_GET,
	    page_me_csv },
	[ROUTE_ME_UPDATE] = { MATCH_SLUG, "/me/p/", "/update", HTTP_POST,
	    page_me_update },
	[ROUTE_ME_STATE] = { MATCH_SLUG, "/me/p/", "/state", HTTP_POST,
	    page_me_state },
};

static const char *const route_names[ROUTE__MAX + 1] = {
	[ROUTE_HOME] = "home",
	[ROUTE_HEALTHZ] = "healthz",
	[ROUTE_STATIC] = "static",
	[ROUTE_PETITION] = "petition",
	[ROUTE_PETITION_JSON] = "petition_json",
	[ROUTE_SIGN] = "sign",
	[ROUTE_THANKS] = "thanks",
	[ROUTE_METRICS] = "metrics",
	[ROUTE_CONFIRM] = "confirm",
	[ROUTE_CONFIRM_POST] = "confirm_post",
	[ROUTE_UNSUBSCRIBE] = "unsubscribe",
	[ROUTE_UNSUBSCRIBE_POST] = "unsubscribe_post",
	[ROUTE_LOGIN] = "login",
	[ROUTE_LOGIN_POST] = "login_post",
	[ROUTE_LOGOUT] = "logout",
	[ROUTE_ADMIN] = "admin",
	[ROUTE_ADMIN_PETITION] = "admin_petition",
	[ROUTE_ADMIN_INVALIDATE] = "admin_invalidate",
	[ROUTE_ADMIN_MODERATE] = "admin_moderate",
	[ROUTE_SIGNUP] = "signup",
	[ROUTE_SIGNUP_POST] = "signup_post",
	[ROUTE_VERIFY] = "verify",
	[ROUTE_VERIFY_POST] = "verify_post",
	[ROUTE_VERIFY_RESEND] = "verify_resend",
	[ROUTE_RESET] = "reset",
	[ROUTE_RESET_POST] = "reset_post",
	[ROUTE_RESET_TOKEN] = "reset_token",
	[ROUTE_RESET_TOKEN_POST] = "reset_token_post",
	[ROUTE_START] = "start",
	[ROUTE_START_POST] = "start_post",
	[ROUTE_PREVIEW] = "preview",
	[ROUTE_EDIT] = "edit",
	[ROUTE_EDIT_POST] = "edit_post",
	[ROUTE_ME] = "me",
	[ROUTE_ME_PETITION] = "me_petition",
	[ROUTE_ME_CSV] = "me_csv",
	[ROUTE_ME_UPDATE] = "me_update",
	[ROUTE_ME_STATE] = "me_state",
	[ROUTE__MAX] = "none",
};

const char *
route_name(int route)
{
	return route >= 0 && route <= ROUTE__MAX ? route_names[route] : "none";
}

static bool
route_match(const struct route_def *d, struct request *r)
{
	size_t plen = strlen(d->prefix), len = strlen(r->path);

	switch (d->match) {
	case MATCH_EXACT: return strcmp(r->path, d->prefix) == 0;
	case MATCH_PREFIX:
		if (strncmp(r->path, d->prefix, plen) != 0)
			return false;
		r->rest = r->path + plen;
		return true;
	case MATCH_SLUG: {
		size_t slen = strlen(d->suffix), n;

		if (len <= plen + slen || strncmp(r->path, d->prefix, plen) ||
		    strcmp(r->path + len - slen, d->suffix) != 0)
			return false;
		n = len - plen - slen;
		if (!petition_slug_valid(r->path + plen, n))
			return false;
		r->slug = arena_strndup(r->arena, r->path + plen, n);
		return r->slug != NULL;
	}
	case MATCH_TOKEN:
		if (strncmp(r->path, d->prefix, plen) != 0 ||
		    !crypto_token_valid(r->path + plen, len - plen))
			return false;
		r->token = r->path + plen;
		return true;
	}
	return false;
}

void
route_dispatch(struct request *r)
{
	const struct route_def *found = NULL;
	int i;

	for (i = 0; i < ROUTE__MAX; i++) {
		if (!route_match(&routes[i], r))
			continue;
		found = &routes[i];
		if (r->method == found->method ||
		    (r->method == HTTP_HEAD && found->method == HTTP_GET))
			break;
	}
	r->route = found != NULL ? (int)(found - routes) : ROUTE__MAX;
	if (found == NULL) {
		page_error(r, 404, "err_not_found");
		return;
	}
	if (i == ROUTE__MAX) {
		http_header_add(r, "Allow",
		    found->method == HTTP_POST ? "POST" : "GET, HEAD");
		page_error(r, 405, "err_method");
		return;
	}
	if (r->body_too_large) {
		http_header_add(r, "Connection", "close");
		page_error(r, 413, "err_body_too_large");
		return;
	}
	found->handler(r);
}
