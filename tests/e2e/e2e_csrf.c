/* e2e_csrf.c - end-to-end tests of the one CSRF check: every POST route of
 * the route table (ROUTE_LIST in src/route.h, walked here, so a new route
 * is tested the day it is added) refuses a missing, forged or cross-site
 * token with 403, and takes a good one; signing out included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "route.h"

#define EMAIL "csrf-admin@example.org"
#define PASSWORD "correct horse battery staple"
/* The shape of an emailed token (43 base64url characters), known to no
 * one: a route reads the form's token before it looks the link up. */
#define SOME_TOKEN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define EVIL_ORIGIN "Origin: https://evil.example"

/* A route as the table declares it; the handler is not needed here. */
struct route_info {
	const char *name, *method, *match, *prefix, *suffix, *csrf;
};

#define ROUTE_INFO(id, name, method, match, prefix, suffix, handler, csrf) \
	{ name, #method, #match, prefix, suffix, #csrf },
static const struct route_info routes[] = { ROUTE_LIST(ROUTE_INFO) };
#undef ROUTE_INFO
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* The routes that may change state without a form token, each with its
 * reason: adding one means adding it here too. */
static const char *const link_only[] = {
	"unsubscribe_post", /* RFC 8058 one-click: no form, no token */
};

static struct server *srv;

static int
group_setup(void **state)
{
	(void)state;
	srv = server_new_seeded(NULL);
	if (srv == NULL)
		return -1;
	return harness_user_add(srv, EMAIL, "admin", PASSWORD) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return server_free(srv);
}

/* A client signed in as the admin, who may use every page. */
static struct client *
signed_in(void)
{
	struct client *c = client_new(srv);

	if (client_login(c, EMAIL, PASSWORD) != 303)
		fail_msg("cannot sign in as %s", EMAIL);
	return c;
}

/* A page's form token: from /admin, bound to c's session; from /login,
 * bound to none (the forms anyone may post). malloc'd. */
static char *
token_from(struct client *c, const char *path)
{
	struct resp r;
	char *t;

	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	t = html_csrf(r.body.data);
	if (t == NULL)
		fail_msg("no form token on %s", path);
	resp_free(&r);
	return t;
}

/* A path the route matches. */
static void
route_path(const struct route_info *ri, char *out, size_t n)
{
	if (strcmp(ri->match, "SLUG") == 0)
		snprintf(out, n, "%s%s%s", ri->prefix, SEED_SLUG, ri->suffix);
	else if (strcmp(ri->match, "TOKEN") == 0)
		snprintf(out, n, "%s%s", ri->prefix, SOME_TOKEN);
	else if (strcmp(ri->match, "PREFIX") == 0)
		snprintf(out, n, "%sx", ri->prefix);
	else
		snprintf(out, n, "%s", ri->prefix);
}

/* POSTs body (urlencoded) with header (may be NULL) and says whether the
 * answer is the CSRF refusal: 403 with the catalogue's err_csrf. */
static bool
refused(struct client *c, const char *path, const char *body,
    const char *header, long *status)
{
	const char *hdr[] = { header, NULL };
	struct resp r;
	char *msg = catalogue_get("err_csrf");
	bool no;

	assert_int_equal(client_post_headers(c, path, body, strlen(body),
			     header ? hdr : NULL, &r),
	    CURLE_OK);
	*status = r.status;
	no = r.status == 403 && r.body.data != NULL &&
	    html_shows_text(r.body.data, msg);
	resp_free(&r);
	free(msg);
	return no;
}

static bool
is_link_only(const char *name)
{
	for (size_t i = 0; i < sizeof(link_only) / sizeof(link_only[0]); i++)
		if (strcmp(link_only[i], name) == 0)
			return true;
	return false;
}

/* Every POST route: no token, a forged one, and good ones sent from
 * another site are all refused; a good one from this site is not. */
static void
test_every_post_route_checks(void **state)
{
	(void)state;
	size_t nform = 0;
	/* One session for the walk: a refused request leaves it as it was,
	 * and the one route that ends it (signing out) gets its own. */
	struct client *walker = signed_in();

	for (size_t i = 0; i < NROUTES; i++) {
		const struct route_info *ri = &routes[i];
		char path[256], body[300];
		long st;

		if (strcmp(ri->method, "POST") != 0) {
			if (strcmp(ri->csrf, "NONE") != 0)
				fail_msg("GET route %s declares a CSRF check",
				    ri->name);
			continue;
		}
		route_path(ri, path, sizeof(path));
		if (strcmp(ri->csrf, "LINK") == 0) {
			if (!is_link_only(ri->name))
				fail_msg("POST %s (%s) changes state without a "
					 "form token: say why in link_only[]",
				    path, ri->name);
			continue;
		}
		if (strcmp(ri->csrf, "FORM") != 0)
			fail_msg("POST %s (%s) declares no CSRF check", path,
			    ri->name);
		nform++;

		bool ends_session = strcmp(ri->name, "logout") == 0;
		struct client *c = ends_session ? signed_in() : walker;
		char *session = token_from(c, "/admin");
		char *anyone = token_from(c, "/login");
		const char *bad[][2] = {
			{ "", NULL },
			{ "csrf=", NULL },
			{ "csrf=1700000000.AAAAAAAAAAAAAAAA", NULL },
			{ "csrf=not-a-token", NULL },
			{ session, EVIL_ORIGIN },
			{ anyone, EVIL_ORIGIN },
			{ session, "Sec-Fetch-Site: cross-site" },
			{ anyone, "Sec-Fetch-Site: cross-site" },
		};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			bool tok = bad[k][0] == session || bad[k][0] == anyone;

			snprintf(body, sizeof(body), "%s%s", tok ? "csrf=" : "",
			    bad[k][0]);
			if (!refused(c, path, body, bad[k][1], &st))
				fail_msg("POST %s (%s) with %s%s: %ld, wanted "
					 "403 and the CSRF message",
				    path, ri->name,
				    tok ? "a good token" : "body ",
				    bad[k][1] ? " from another site" : body, st);
		}
		/* The same tokens from this site: one of them is right for
		 * the form (which one depends on whether it is bound to the
		 * session), and the route takes it. */
		bool taken = false;
		const char *good[] = { session, anyone };
		for (size_t k = 0; k < 2 && !taken; k++) {
			snprintf(body, sizeof(body), "csrf=%s", good[k]);
			taken = !refused(c, path, body, NULL, &st);
		}
		if (!taken)
			fail_msg("POST %s (%s) refuses every token: is it "
				 "checking the right binding?",
			    path, ri->name);
		free(session);
		free(anyone);
		if (ends_session)
			client_free(c);
	}
	client_free(walker);
	/* The walk saw the table: the sign form, the login form, … */
	assert_true(nform >= 10);
}

/* Signing out needs the session's token from this site, like every form,
 * and a refused attempt leaves the session as it was. */
static void
test_logout_needs_token(void **state)
{
	(void)state;
	struct client *c = signed_in();
	char *session = token_from(c, "/admin");
	char *anyone = token_from(c, "/login");
	char body[300];
	struct resp r;
	long st;

	assert_true(refused(c, "/logout", "", NULL, &st));
	snprintf(body, sizeof(body), "csrf=%s", anyone);
	assert_true(refused(c, "/logout", body, NULL, &st));
	snprintf(body, sizeof(body), "csrf=%s", session);
	assert_true(refused(c, "/logout", body, EVIL_ORIGIN, &st));
	/* Still signed in. */
	assert_int_equal(client_get(c, "/admin", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	assert_false(refused(c, "/logout", body, NULL, &st));
	assert_int_equal(st, 303);
	assert_int_equal(client_get(c, "/admin", &r), CURLE_OK);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	free(session);
	free(anyone);
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_post_route_checks),
		cmocka_unit_test(test_logout_needs_token),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, group_teardown));
}
