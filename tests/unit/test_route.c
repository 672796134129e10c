/* test_route.c - route.c: every route of the table by method and path,
 * HEAD, 404 and 405 with Allow, 413, slug and token syntax, hostile paths.
 * A request whose body was too large is answered 413 once its route is
 * known, before any handler runs: that is how the route a path finds is
 * seen here without running its page. Error pages render for real
 * (templates/, locales/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/route.c"
#include "i18n.h"
#include "tmpl.h"

/* A token as mail links carry it: CRYPTO_TOKEN_CHARS base64url characters. */
#define TOKEN "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234"

static struct tmpl_set *templates;

static int
group_setup(void **state)
{
	char err[512];

	(void)state;
	if (strlen(TOKEN) != CRYPTO_TOKEN_CHARS) {
		fprintf(stderr, "TOKEN is not %d characters\n",
		    CRYPTO_TOKEN_CHARS);
		return -1;
	}
	if (i18n_load("locales", "en", err, sizeof(err)) == -1 ||
	    (templates = tmpl_set_new()) == NULL ||
	    tmpl_set_load_dir(templates, "templates", err, sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	site.tmpl = templates;
	site.name = "Holos";
	site.base_url = "http://127.0.0.1:8080";
	site.origin = site.base_url;
	site.host = "127.0.0.1";
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tmpl_set_free(templates);
	i18n_free();
	return 0;
}

/* A connection with nothing in it: no headers, no cookies, no query. */
static const char *
lookup_none(void *conn, enum http_kind kind, const char *name, size_t *len)
{
	(void)conn;
	(void)len;
	(void)kind;
	(void)name;
	return NULL;
}

static const struct http_io io_none = { .lookup = lookup_none };

/* Dispatches method path with no connection behind it (no headers, no
 * cookies, no query). A too large body stops it after the lookup. */
static struct request *
dispatch(enum http_method method, const char *path, bool too_large)
{
	struct arena *a = arena_new();
	struct request *r;

	assert_non_null(a);
	r = arena_alloc(a, sizeof(*r));
	assert_non_null(r);
	r->arena = a;
	r->io = &io_none;
	r->method = method;
	r->method_name = method == HTTP_GET ? "GET" :
	    method == HTTP_HEAD		    ? "HEAD" :
	    method == HTTP_POST		    ? "POST" :
					      "PUT";
	r->path = arena_strdup(a, path);
	r->body_too_large = too_large;
	r->status = 200;
	r->route = -1;
	buf_init(&r->body);
	buf_init(&r->out);
	route_dispatch(r);
	return r;
}

static void
request_done(struct request *r)
{
	struct arena *a = r->arena;

	buf_reset(&r->body);
	buf_reset(&r->out);
	arena_free(a);
}

/* The value of the reply header name, or NULL. */
static const char *
reply_header(const struct request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static const char *
method_text(enum http_method m)
{
	return m == HTTP_GET ? "GET" :
	    m == HTTP_HEAD   ? "HEAD" :
	    m == HTTP_POST   ? "POST" :
			       "OTHER";
}

/* Each route with a path that reaches it; what the path part becomes. */
static const struct {
	enum route route;
	enum http_method method;
	const char *path;
	const char *slug, *rest, *token;
} reach[] = {
	{ ROUTE_HOME, HTTP_GET, "/", NULL, NULL, NULL },
	{ ROUTE_HEALTHZ, HTTP_GET, "/healthz", NULL, NULL, NULL },
	{ ROUTE_STATIC, HTTP_GET, "/static/style.css", NULL, "style.css", NULL },
	{ ROUTE_PETITION, HTTP_GET, "/p/save-the-park", "save-the-park", NULL,
	    NULL },
	{ ROUTE_PETITION_JSON, HTTP_GET, "/p/save-the-park.json",
	    "save-the-park", NULL, NULL },
	{ ROUTE_SIGN, HTTP_POST, "/p/save-the-park/sign", "save-the-park", NULL,
	    NULL },
	{ ROUTE_THANKS, HTTP_GET, "/p/save-the-park/thanks", "save-the-park",
	    NULL, NULL },
	{ ROUTE_POW, HTTP_GET, "/p/save-the-park/pow", "save-the-park", NULL,
	    NULL },
	{ ROUTE_METRICS, HTTP_GET, "/metrics", NULL, NULL, NULL },
	{ ROUTE_CONFIRM, HTTP_GET, "/c/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_CONFIRM_POST, HTTP_POST, "/c/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_UNSUBSCRIBE, HTTP_GET, "/u/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_UNSUBSCRIBE_POST, HTTP_POST, "/u/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_LOGIN, HTTP_GET, "/login", NULL, NULL, NULL },
	{ ROUTE_LOGIN_POST, HTTP_POST, "/login", NULL, NULL, NULL },
	{ ROUTE_LOGOUT, HTTP_POST, "/logout", NULL, NULL, NULL },
	{ ROUTE_ADMIN, HTTP_GET, "/admin", NULL, NULL, NULL },
	{ ROUTE_ADMIN_PETITION, HTTP_GET, "/admin/p/save-the-park",
	    "save-the-park", NULL, NULL },
	{ ROUTE_ADMIN_INVALIDATE, HTTP_POST,
	    "/admin/p/save-the-park/invalidate", "save-the-park", NULL, NULL },
	{ ROUTE_ADMIN_MODERATE, HTTP_POST, "/admin/p/save-the-park/moderate",
	    "save-the-park", NULL, NULL },
	{ ROUTE_SIGNUP, HTTP_GET, "/signup", NULL, NULL, NULL },
	{ ROUTE_SIGNUP_POST, HTTP_POST, "/signup", NULL, NULL, NULL },
	{ ROUTE_VERIFY, HTTP_GET, "/verify/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_VERIFY_POST, HTTP_POST, "/verify/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_VERIFY_RESEND, HTTP_POST, "/verify", NULL, NULL, NULL },
	{ ROUTE_RESET, HTTP_GET, "/reset", NULL, NULL, NULL },
	{ ROUTE_RESET_POST, HTTP_POST, "/reset", NULL, NULL, NULL },
	{ ROUTE_RESET_TOKEN, HTTP_GET, "/reset/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_RESET_TOKEN_POST, HTTP_POST, "/reset/" TOKEN, NULL, NULL,
	    TOKEN },
	{ ROUTE_START, HTTP_GET, "/start", NULL, NULL, NULL },
	{ ROUTE_START_POST, HTTP_POST, "/start", NULL, NULL, NULL },
	{ ROUTE_PREVIEW, HTTP_POST, "/preview", NULL, NULL, NULL },
	{ ROUTE_EDIT, HTTP_GET, "/me/p/save-the-park/edit", "save-the-park",
	    NULL, NULL },
	{ ROUTE_EDIT_POST, HTTP_POST, "/me/p/save-the-park/edit",
	    "save-the-park", NULL, NULL },
	{ ROUTE_ME, HTTP_GET, "/me", NULL, NULL, NULL },
	{ ROUTE_ME_PETITION, HTTP_GET, "/me/p/save-the-park", "save-the-park",
	    NULL, NULL },
	{ ROUTE_ME_CSV, HTTP_GET, "/me/p/save-the-park/signers.csv",
	    "save-the-park", NULL, NULL },
	{ ROUTE_ME_UPDATE, HTTP_POST, "/me/p/save-the-park/update",
	    "save-the-park", NULL, NULL },
	{ ROUTE_ME_STATE, HTTP_POST, "/me/p/save-the-park/state",
	    "save-the-park", NULL, NULL },
	/* spread */
	{ ROUTE_SHARE_PNG, HTTP_GET, "/p/save-the-park/share.png",
	    "save-the-park", NULL, NULL },
	{ ROUTE_QR_SVG, HTTP_GET, "/p/save-the-park/qr.svg", "save-the-park",
	    NULL, NULL },
	{ ROUTE_QR_PNG, HTTP_GET, "/p/save-the-park/qr.png", "save-the-park",
	    NULL, NULL },
	/* find */
	{ ROUTE_SEARCH, HTTP_GET, "/search", NULL, NULL, NULL },
	/* Delivery. */
	{ ROUTE_DELIVER_PDF, HTTP_GET, "/me/p/save-the-park/delivery.pdf",
	    "save-the-park", NULL, NULL },
	/* privacy */
	{ ROUTE_WITHDRAW, HTTP_GET, "/w/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_WITHDRAW_POST, HTTP_POST, "/w/" TOKEN, NULL, NULL, TOKEN },
	{ ROUTE_PRIVACY, HTTP_GET, "/privacy", NULL, NULL, NULL },
	/* spread: the petition image */
	{ ROUTE_ME_IMAGE, HTTP_POST, "/me/p/save-the-park/image",
	    "save-the-park", NULL, NULL },
	{ ROUTE_IMAGE_WEBP, HTTP_GET, "/p/save-the-park/image.webp",
	    "save-the-park", NULL, NULL },
	{ ROUTE_IMAGE_JPG, HTTP_GET, "/p/save-the-park/image.jpg",
	    "save-the-park", NULL, NULL },
	{ ROUTE_PETITIONS, HTTP_GET, "/petitions", NULL, NULL, NULL },
	{ ROUTE_EMBED, HTTP_GET, "/p/save-the-park/embed", "save-the-park",
	    NULL, NULL },
	{ ROUTE_BADGE_SVG, HTTP_GET, "/p/save-the-park/badge.svg",
	    "save-the-park", NULL, NULL },
	{ ROUTE_API_PETITIONS, HTTP_GET, "/api/v1/petitions", NULL, NULL, NULL },
	{ ROUTE_API_PETITION, HTTP_GET, "/api/v1/petitions/save-the-park",
	    "save-the-park", NULL, NULL },
	{ ROUTE_API_SIGNATURES, HTTP_GET,
	    "/api/v1/petitions/save-the-park/signatures", "save-the-park", NULL,
	    NULL },
	{ ROUTE_API_STATS, HTTP_GET, "/api/v1/stats", NULL, NULL, NULL },
	{ ROUTE_ROBOTS, HTTP_GET, "/robots.txt", NULL, NULL, NULL },
	{ ROUTE_SITEMAP, HTTP_GET, "/sitemap.xml", NULL, NULL, NULL },
	{ ROUTE_FEED, HTTP_GET, "/feed.atom", NULL, NULL, NULL },
	{ ROUTE_PETITION_FEED, HTTP_GET, "/p/save-the-park/feed.atom",
	    "save-the-park", NULL, NULL },
	{ ROUTE_API_OPENAPI, HTTP_GET, "/api/v1/openapi.json", NULL, NULL,
	    NULL },
	/* log */
	{ ROUTE_LOG_KEY, HTTP_GET, "/log/key", NULL, NULL, NULL },
	{ ROUTE_LOG_STH, HTTP_GET, "/p/save-the-park/log/get-sth",
	    "save-the-park", NULL, NULL },
	{ ROUTE_LOG_CONSISTENCY, HTTP_GET,
	    "/p/save-the-park/log/get-sth-consistency", "save-the-park", NULL,
	    NULL },
	{ ROUTE_LOG_PROOF, HTTP_GET, "/p/save-the-park/log/get-proof-by-hash",
	    "save-the-park", NULL, NULL },
	{ ROUTE_LOG_ENTRIES, HTTP_GET, "/p/save-the-park/log/get-entries",
	    "save-the-park", NULL, NULL },
	{ ROUTE_LOG_VERIFY, HTTP_GET, "/p/save-the-park/verify",
	    "save-the-park", NULL, NULL },
	/* live count */
	{ ROUTE_EVENTS, HTTP_GET, "/p/save-the-park/events", "save-the-park",
	    NULL, NULL },
	{ ROUTE_DELIVER_ADDRESSEES, HTTP_POST, "/me/p/save-the-park/addressees",
	    "save-the-park", NULL, NULL },
	{ ROUTE_DELIVER_NOW, HTTP_POST, "/me/p/save-the-park/deliver",
	    "save-the-park", NULL, NULL },
	{ ROUTE_DELIVER_LINK_PDF, HTTP_GET,
	    "/d/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ ROUTE_RESPONSE, HTTP_GET,
	    "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ ROUTE_RESPONSE_POST, HTTP_POST,
	    "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ ROUTE_RESPONSES, HTTP_GET, "/admin/p/save-the-park/responses",
	    "save-the-park", NULL, NULL },
	{ ROUTE_RESPONSES_POST, HTTP_POST, "/admin/p/save-the-park/responses",
	    "save-the-park", NULL, NULL },
	/* reports, exports, comments, data requests, paper, sign-in links, the
	 * second factor */
	{ ROUTE_REPORT, HTTP_GET, "/p/save-the-park/report", "save-the-park",
	    NULL, NULL },
	{ ROUTE_REPORT_POST, HTTP_POST, "/p/save-the-park/report",
	    "save-the-park", NULL, NULL },
	{ ROUTE_REPORTS, HTTP_GET, "/admin/reports", NULL, NULL, NULL },
	{ ROUTE_REPORTS_POST, HTTP_POST, "/admin/reports", NULL, NULL, NULL },
	{ ROUTE_EXPORT_CSV, HTTP_GET, "/me/p/save-the-park/export.csv",
	    "save-the-park", NULL, NULL },
	{ ROUTE_EXPORT_JSON, HTTP_GET, "/me/p/save-the-park/export.json",
	    "save-the-park", NULL, NULL },
	{ ROUTE_COMMENT_LIKE, HTTP_POST, "/p/save-the-park/like",
	    "save-the-park", NULL, NULL },
	{ ROUTE_COMMENT_HIDE, HTTP_POST, "/me/p/save-the-park/comments",
	    "save-the-park", NULL, NULL },
	{ ROUTE_ADMIN_COMMENTS, HTTP_GET, "/admin/p/save-the-park/comments",
	    "save-the-park", NULL, NULL },
	{ ROUTE_MYDATA, HTTP_GET, "/privacy/data", NULL, NULL, NULL },
	{ ROUTE_MYDATA_POST, HTTP_POST, "/privacy/data", NULL, NULL, NULL },
	{ ROUTE_PAPER, HTTP_GET, "/me/p/save-the-park/paper", "save-the-park",
	    NULL, NULL },
	{ ROUTE_PAPER_ADD, HTTP_POST, "/me/p/save-the-park/paper",
	    "save-the-park", NULL, NULL },
	{ ROUTE_PAPER_REMOVE, HTTP_POST, "/me/p/save-the-park/paper/remove",
	    "save-the-park", NULL, NULL },
	{ ROUTE_PAPER_SCAN, HTTP_GET, "/me/p/save-the-park/paper/scan",
	    "save-the-park", NULL, NULL },
	{ ROUTE_SIGNIN_LINK, HTTP_GET, "/login/link", NULL, NULL, NULL },
	{ ROUTE_SIGNIN_LINK_POST, HTTP_POST, "/login/link", NULL, NULL, NULL },
	{ ROUTE_SIGNIN_TOKEN, HTTP_GET, "/login/link/" TOKEN, NULL, NULL,
	    TOKEN },
	{ ROUTE_SIGNIN_TOKEN_POST, HTTP_POST, "/login/link/" TOKEN, NULL, NULL,
	    TOKEN },
	{ ROUTE_TOTP_LOGIN, HTTP_GET, "/login/2fa", NULL, NULL, NULL },
	{ ROUTE_TOTP_LOGIN_POST, HTTP_POST, "/login/2fa", NULL, NULL, NULL },
	{ ROUTE_TOTP_SETUP, HTTP_GET, "/me/2fa", NULL, NULL, NULL },
	{ ROUTE_TOTP_SETUP_POST, HTTP_POST, "/me/2fa", NULL, NULL, NULL },
};

#define NREACH (sizeof(reach) / sizeof(reach[0]))

static void
assert_part(const char *what, const char *got, const char *want,
    const char *path)
{
	if (want == NULL && got != NULL)
		fail_msg("%s: %s is \"%s\", wanted none", path, what, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("%s: %s is \"%s\", wanted \"%s\"", path, what,
		    got ? got : "(none)", want);
}

static void
test_every_route_reached(void **state)
{
	bool seen[ROUTE__MAX] = { false };

	(void)state;
	for (size_t i = 0; i < NREACH; i++) {
		struct request *r =
		    dispatch(reach[i].method, reach[i].path, true);

		if (r->route != (int)reach[i].route)
			fail_msg("%s %s: route %s, wanted %s",
			    method_text(reach[i].method), reach[i].path,
			    route_name(r->route), route_name(reach[i].route));
		assert_int_equal(r->status, 413);
		assert_part("slug", r->slug, reach[i].slug, reach[i].path);
		assert_part("rest", r->rest, reach[i].rest, reach[i].path);
		assert_part("token", r->token, reach[i].token, reach[i].path);
		seen[reach[i].route] = true;
		request_done(r);
	}
	/* A route added to the table gets a line above. */
	for (int k = 0; k < ROUTE__MAX; k++)
		if (!seen[k])
			fail_msg("route %s (%d) is not reached by any path here",
			    route_name(k), k);
}

static void
test_head_is_get(void **state)
{
	(void)state;
	for (size_t i = 0; i < NREACH; i++) {
		if (reach[i].method != HTTP_GET)
			continue;
		struct request *r = dispatch(HTTP_HEAD, reach[i].path, true);

		if (r->route != (int)reach[i].route)
			fail_msg("HEAD %s: route %s, wanted %s", reach[i].path,
			    route_name(r->route), route_name(reach[i].route));
		assert_int_equal(r->status, 413);
		request_done(r);
	}
}

/* Whether method reaches path in reach[]. */
static bool
reaches(enum http_method m, const char *path)
{
	for (size_t i = 0; i < NREACH; i++)
		if (strcmp(reach[i].path, path) == 0 &&
		    (reach[i].method == m ||
			(m == HTTP_HEAD && reach[i].method == HTTP_GET)))
			return true;
	return false;
}

static void
test_wrong_method_405(void **state)
{
	static const enum http_method methods[] = { HTTP_GET, HTTP_HEAD,
		HTTP_POST, HTTP_OTHER };

	(void)state;
	/* Each path with each method it does not take: 405, and Allow
	 * names the one it takes (the paths with both a GET and a POST
	 * route are left out: see below). */
	for (size_t i = 0; i < NREACH; i++) {
		bool get = reaches(HTTP_GET, reach[i].path);
		bool post = reaches(HTTP_POST, reach[i].path);

		if (get && post)
			continue;
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]);
		     m++) {
			if (reaches(methods[m], reach[i].path))
				continue;
			struct request *r =
			    dispatch(methods[m], reach[i].path, false);
			const char *allow = reply_header(r, "Allow");

			if (r->status != 405)
				fail_msg("%s %s: status %d, wanted 405",
				    method_text(methods[m]), reach[i].path,
				    r->status);
			assert_non_null(allow);
			assert_string_equal(allow, post ? "POST" : "GET, HEAD");
			/* The error page is a page, in the default
			 * language; the JSON paths' errors are JSON. */
			size_t plen = strlen(reach[i].path);
			if (strncmp(reach[i].path, "/api/", 5) == 0 ||
			    (plen > 5 &&
				strcmp(reach[i].path + plen - 5, ".json") == 0))
				assert_non_null(strstr(r->out.data,
				    "{\"error\":{\"code\":\"method_not_allowed\""));
			else
				assert_non_null(strstr(r->out.data, "<html"));
			assert_string_equal(r->lang, "en");
			request_done(r);
		}
	}
}

static void
test_both_methods_other_405(void **state)
{
	static const char *const paths[] = { "/login", "/signup", "/reset",
		"/start", "/c/" TOKEN, "/u/" TOKEN, "/verify/" TOKEN,
		"/reset/" TOKEN, "/me/p/save-the-park/edit" };

	(void)state;
	/* Neither GET nor POST: still 405 with an Allow header (naming the
	 * methods of the last route that matched the path). */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct request *r = dispatch(HTTP_OTHER, paths[i], false);

		assert_int_equal(r->status, 405);
		assert_non_null(reply_header(r, "Allow"));
		request_done(r);
	}
}

static void
test_unknown_404(void **state)
{
	static const char *const paths[] = {
		"",
		"//",
		"/nope",
		"/index.html",
		"/healthz/",
		"/login/",
		"/LOGIN",
		"/admin/",
		"/static",
		"/p",
		"/p/",
		"/p/.json",
		"/p//sign",
		"/P/save-the-park",
		"/p/save-the-park/",
		"/p/save-the-park/unknown",
		"/p/save-the-park.json.json",
		"/p/save-the-park/sign/",
		"/p/a/b/sign",
		"/admin/p/",
		"/admin/p/save-the-park/",
		"/me/p/",
		"/me/p/save-the-park/edit/",
		"/me/p/save-the-park/signers.csv.bak",
		"/c/",
		"/c/" TOKEN "/",
		"/u/short",
		"/verify/",
		"/reset/" TOKEN "x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		/* 404 comes before 413: no route, nothing to refuse. */
		struct request *r = dispatch(HTTP_GET, paths[i], true);

		if (r->status != 404)
			fail_msg("GET \"%s\": status %d (route %s), wanted 404",
			    paths[i], r->status, route_name(r->route));
		assert_int_equal(r->route, ROUTE__MAX);
		assert_null(reply_header(r, "Allow"));
		request_done(r);
		r = dispatch(HTTP_POST, paths[i], false);
		assert_int_equal(r->status, 404);
		request_done(r);
	}
}

static void
test_slug_syntax(void **state)
{
	char longest[128], path[160];
	static const char *const bad[] = {
		"Save-The-Park",
		"save_the_park",
		"-save",
		"save-",
		"-",
		"save the park",
		"save%20the%20park",
		"sav\xc3\xa9",
		"save.the.park",
		"..",
		"save/../admin",
		"save\tpark",
	};

	(void)state;
	/* The shortest and the longest, digits and doubled dashes. */
	static const char *const good[] = { "a", "0", "a--b", "covid-19",
		"2024" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(path, sizeof(path), "/p/%s/sign", good[i]);
		struct request *r = dispatch(HTTP_POST, path, true);

		assert_int_equal(r->route, ROUTE_SIGN);
		assert_string_equal(r->slug, good[i]);
		request_done(r);
	}
	memset(longest, 'a', 80);
	longest[80] = '\0';
	snprintf(path, sizeof(path), "/p/%s", longest);
	struct request *r = dispatch(HTTP_GET, path, true);
	assert_int_equal(r->route, ROUTE_PETITION);
	request_done(r);
	snprintf(path, sizeof(path), "/p/%sa", longest);
	r = dispatch(HTTP_GET, path, true);
	assert_int_equal(r->status, 404);
	request_done(r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/p/%s", bad[i]);
		r = dispatch(HTTP_GET, path, true);
		if (r->status != 404)
			fail_msg("GET %s: status %d (route %s), wanted 404",
			    path, r->status, route_name(r->route));
		request_done(r);
		snprintf(path, sizeof(path), "/admin/p/%s/moderate", bad[i]);
		r = dispatch(HTTP_POST, path, true);
		assert_int_equal(r->status, 404);
		request_done(r);
	}
}

static void
test_token_syntax(void **state)
{
	char path[160];
	static const char *const bad[] = {
		"",
		"abc",
		TOKEN "A",				      /* one too many */
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_0123", /* one short */
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_0123=", /* padding */
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ+/01234", /* not url */
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_0123.",
		"../../../../../../../../../../../etc/passwd",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static const char *const prefixes[] = { "/c/", "/u/",
			"/verify/", "/reset/" };
		for (size_t p = 0; p < 4; p++) {
			snprintf(path, sizeof(path), "%s%s", prefixes[p],
			    bad[i]);
			struct request *r = dispatch(HTTP_GET, path, true);

			if (r->status != 404)
				fail_msg("GET %s: status %d (route %s), wanted 404",
				    path, r->status, route_name(r->route));
			request_done(r);
		}
	}
}

static void
test_hostile_paths(void **state)
{
	char *huge = malloc(70000);
	static const char *const paths[] = {
		"/p/save-the-park/../../admin",
		"/admin/p/../../metrics",
		"/p/%2e%2e/sign",
		"/p/save-the-park\r\nSet-Cookie: x=1",
		"/p/save-the-park\x01",
		"/\xff\xfe",
		"/p/\xd0\xbf\xd0\xb5\xd1\x82\xd0\xb8\xd1\x86\xd0\xb8\xd1\x8f",
		"/metrics/../admin",
		"/./healthz",
		"http://evil.example/",
		"*",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct request *r = dispatch(HTTP_GET, paths[i], false);

		if (r->status != 404)
			fail_msg("GET \"%s\": status %d (route %s), wanted 404",
			    paths[i], r->status, route_name(r->route));
		request_done(r);
	}
	/* A very long path: no route, no crash. */
	assert_non_null(huge);
	memcpy(huge, "/p/", 3);
	memset(huge + 3, 'a', 70000 - 4);
	huge[70000 - 1] = '\0';
	struct request *r = dispatch(HTTP_GET, huge, false);
	assert_int_equal(r->status, 404);
	request_done(r);
	free(huge);
	/* Under /static/ the router hands on the rest as it is: keeping it
	 * inside the static folder is page_static()'s rule (the files are
	 * a fixed table read at start; e2e_security tests the traversal). */
	r = dispatch(HTTP_GET, "/static/../src/main.c", true);
	assert_int_equal(r->route, ROUTE_STATIC);
	assert_string_equal(r->rest, "../src/main.c");
	request_done(r);
}

static void
test_too_large_413(void **state)
{
	(void)state;
	/* Found, method right, body too large: 413 and the connection
	 * closes. */
	struct request *r = dispatch(HTTP_POST, "/p/save-the-park/sign", true);
	assert_int_equal(r->status, 413);
	assert_int_equal(r->route, ROUTE_SIGN);
	assert_non_null(reply_header(r, "Connection"));
	assert_string_equal(reply_header(r, "Connection"), "close");
	request_done(r);
	/* The wrong method is told first. */
	r = dispatch(HTTP_GET, "/p/save-the-park/sign", true);
	assert_int_equal(r->status, 405);
	assert_null(reply_header(r, "Connection"));
	request_done(r);
}

/* spread: the image upload alone may send more than --max-body. */
static void
test_body_max(void **state)
{
	const size_t dflt = 262144, up = IMAGE_MAX_BYTES + (64 << 10);

	(void)state;
	assert_int_equal(route_body_max(HTTP_POST, "/me/p/save-the-park/image",
			     dflt),
	    up);
	/* A --max-body above it wins. */
	assert_int_equal(route_body_max(HTTP_POST, "/me/p/save-the-park/image",
			     64 << 20),
	    64 << 20);
	assert_int_equal(route_body_max(HTTP_GET, "/me/p/save-the-park/image",
			     dflt),
	    dflt);
	assert_int_equal(route_body_max(HTTP_POST, "/p/save-the-park/sign",
			     dflt),
	    dflt);
	assert_int_equal(route_body_max(HTTP_POST, "/me/p/image", dflt), dflt);
	assert_int_equal(route_body_max(HTTP_POST, "/me/p//image", dflt), dflt);
	assert_int_equal(route_body_max(HTTP_POST, "/me/p/a/../../start/image",
			     dflt),
	    dflt);
	assert_int_equal(route_body_max(HTTP_POST,
			     "/me/p/save-the-park/image/x", dflt),
	    dflt);
	assert_int_equal(route_body_max(HTTP_POST, "/start", dflt), dflt);
	/* paper: a batch's form, which may carry its scan. */
	assert_int_equal(route_body_max(HTTP_POST, "/me/p/save-the-park/paper",
			     dflt),
	    PAPER_SCAN_MAX + (64 << 10));
	assert_int_equal(route_body_max(HTTP_POST,
			     "/me/p/save-the-park/paper/remove", dflt),
	    dflt);
	assert_int_equal(route_body_max(HTTP_GET, "/me/p/save-the-park/paper",
			     dflt),
	    dflt);
	assert_int_equal(route_body_max(HTTP_POST, "/me/p/../paper", dflt),
	    dflt);
}

static void
test_route_names(void **state)
{
	(void)state;
	for (int i = 0; i < ROUTE__MAX; i++) {
		const char *n = route_name(i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_string_not_equal(n, "none");
		for (int j = 0; j < i; j++)
			if (strcmp(route_name(j), n) == 0)
				fail_msg("routes %d and %d are both \"%s\"", j,
				    i, n);
		/* A metrics label: lower case, digits, underscores. */
		assert_int_equal(strspn(n,
				     "abcdefghijklmnopqrstuvwxyz_0123456789"),
		    strlen(n));
	}
	assert_string_equal(route_name(ROUTE__MAX), "none");
	assert_string_equal(route_name(-1), "none");
	assert_string_equal(route_name(ROUTE__MAX + 1), "none");
	assert_string_equal(route_name(ROUTE_SIGN), "sign");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_reached),
		cmocka_unit_test(test_head_is_get),
		cmocka_unit_test(test_wrong_method_405),
		cmocka_unit_test(test_both_methods_other_405),
		cmocka_unit_test(test_unknown_404),
		cmocka_unit_test(test_slug_syntax),
		cmocka_unit_test(test_token_syntax),
		cmocka_unit_test(test_hostile_paths),
		cmocka_unit_test(test_too_large_413),
		cmocka_unit_test(test_route_names),
		cmocka_unit_test(test_body_max),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
