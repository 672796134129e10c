/* e2e_admin.c - end-to-end tests of signing in and of moderation: roles,
 * refusals, lockout, trending sources and bulk invalidation from the admin
 * pages, the audit log. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"

static struct server *srv;

/* The group's accounts. */
static int
add_users(struct server *s)
{
	if (harness_user_add(s, "mod@example.org", "moderator", PASSWORD) != 0 ||
	    harness_user_add(s, "starter@example.org", "starter", PASSWORD) !=
		0 ||
	    harness_user_add(s, "locked@example.org", "admin", PASSWORD) != 0)
		return -1;
	/* The same email twice is refused. */
	if (harness_user_add(s, "MOD@example.org ", "admin", PASSWORD) != 1)
		return -1;
	return 0;
}

/* Signs in c; returns the status of the POST. */
static long
login(struct client *c, const char *email, const char *password)
{
	struct resp r;
	struct hbuf b = { 0 };

	client_get(c, "/login?next=/admin", &r);
	assert_int_equal(r.status, 200);
	char *tok = html_hidden(r.body.data, "csrf");
	assert_non_null(tok);
	resp_free(&r);
	form_add(&b, "email", email);
	form_add(&b, "password", password);
	form_add(&b, "csrf", tok);
	form_add(&b, "next", "/admin");
	client_post(c, "/login", b.data, b.len, NULL, &r);
	long st = r.status;
	char *to = resp_header(&r, "Location");
	bool second = to != NULL && strncmp(to, "/login/2fa", 10) == 0;
	free(to);
	/* A moderator's second factor, answered by the harness. */
	long done = harness_login_finish(c, email, &r);
	if (st == 303 && !second) {
		char *cookie = resp_header(&r, "Set-Cookie");
		assert_non_null(cookie);
		assert_non_null(strstr(cookie, "HttpOnly"));
		assert_non_null(strstr(cookie, "SameSite=Lax"));
		free(cookie);
	}
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return done;
}

static void
test_logged_out_sent_to_login(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;

	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 302);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_non_null(strstr(loc, "/login?next=/admin"));
	free(loc);
	resp_free(&r);
	client_get(c, "/admin/p/" SEED_SLUG, &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	client_free(c);
}

static void
test_wrong_and_unknown_look_alike(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	char *msg = catalogue_get("login_wrong");

	assert_int_equal(login(c, "mod@example.org", "not the password"), 422);
	assert_int_equal(login(c, "nobody@example.org", "not the password"),
	    422);
	/* Both say the same thing. */
	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	free(msg);
	client_free(c);
}

/* c's requests come from addr (behind the trusted proxy), so each client
 * has rate limits of its own. */
static void
client_from(struct client *c, struct curl_slist **h, const char *addr)
{
	char line[64];

	snprintf(line, sizeof line, "X-Forwarded-For: %s", addr);
	*h = curl_slist_append(NULL, line);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, *h);
}

static void
test_lockout(void **state)
{
	(void)state;
	struct client *c = client_new(srv), *owner = client_new(srv),
		      *d = client_new(srv);
	struct curl_slist *hc, *ho, *hd;

	client_from(c, &hc, "10.9.0.1");
	client_from(owner, &ho, "10.9.1.1");
	client_from(d, &hd, "10.9.2.1");
	/* The owner's browser signed in once before. */
	assert_int_equal(login(owner, "locked@example.org", PASSWORD), 303);
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(c, "locked@example.org", "wrong guess"),
		    422);
	/* Locked now: even the right password waits, from another
	 * browser ... */
	assert_int_equal(login(c, "locked@example.org", PASSWORD), 429);
	/* ... but not from the owner's, which signed in before. */
	assert_int_equal(login(owner, "locked@example.org", PASSWORD), 303);
	/* An address without an account locks alike: no answer tells
	 * whether it has one. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(d, "nobody-locked@example.org",
				     "wrong guess"),
		    422);
	assert_int_equal(login(d, "nobody-locked@example.org", PASSWORD), 429);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(owner->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hc);
	curl_slist_free_all(ho);
	curl_slist_free_all(hd);
	client_free(c);
	client_free(owner);
	client_free(d);
}

static void
test_starter_cannot_moderate(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;

	assert_int_equal(login(c, "starter@example.org", PASSWORD), 303);
	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	client_free(c);
}

static long
sign_from(const char *addr, const char *email)
{
	struct signer s = signer_default(email);
	char xff[96];

	snprintf(xff, sizeof xff, "X-Forwarded-For: %s", addr);
	return sign_with_header(srv, SEED_SLUG, &s, NULL, xff);
}

static void
test_moderator_invalidates(void **state)
{
	(void)state;
	struct client *c = client_new(srv), *other = client_new(srv);
	struct resp r;
	char email[64];

	long before = petition_count(srv, SEED_SLUG);
	for (int i = 0; i < 4; i++) {
		snprintf(email, sizeof email, "f%d@farm.example", i);
		assert_int_equal(sign_from("203.0.113.20", email), 303);
	}
	assert_int_equal(sign_from("198.51.100.3", "fine@example.net"), 303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 5);

	assert_int_equal(login(c, "mod@example.org", PASSWORD), 303);
	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "/admin/p/" SEED_SLUG));
	resp_free(&r);
	/* Trending, as JSON. */
	client_get(c, "/admin/p/" SEED_SLUG "?format=json", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data,
	    "{\"source\":\"203.0.113.0/24\",\"signatures\":4"));
	assert_non_null(strstr(r.body.data,
	    "{\"source\":\"farm.example\",\"signatures\":4"));
	resp_free(&r);
	/* The form, with this session's token. */
	client_get(c, "/admin/p/" SEED_SLUG, &r);
	assert_int_equal(r.status, 200);
	char *tok = html_hidden(r.body.data, "csrf");
	assert_non_null(tok);
	resp_free(&r);
	struct hbuf b = { 0 };
	form_add(&b, "reason", "fraud");
	form_add(&b, "domain", "farm.example");
	form_add(&b, "note", "one farm");
	form_add(&b, "csrf", tok);
	/* Another session's page cannot use this token. */
	assert_int_equal(login(other, "mod@example.org", PASSWORD), 303);
	client_post(other, "/admin/p/" SEED_SLUG "/invalidate", b.data, b.len,
	    NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 5);
	/* Its own session can: the count drops at once, by exactly four. */
	client_post(c, "/admin/p/" SEED_SLUG "/invalidate", b.data, b.len, NULL,
	    &r);
	/* Post/Redirect/Get: the result is a page of its own, so a reload
	 * does not send the invalidation again. */
	assert_int_equal(r.status, 303);
	char *loc = resp_header(&r, "Location");
	assert_string_equal(loc, "/admin/p/" SEED_SLUG "?invalidated=4");
	resp_free(&r);
	client_get(c, loc, &r);
	free(loc);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "4 signatures were invalidated"));
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	/* The public page says so, by category, at once. */
	client_get(other, "/p/" SEED_SLUG, &r);
	assert_non_null(strstr(r.body.data, "class=\"removals\""));
	assert_non_null(strstr(r.body.data, "4 signatures: fraudulent"));
	resp_free(&r);
	/* The audit log has it, naming who. */
	client_get(c, "/admin", &r);
	assert_non_null(strstr(r.body.data, "<td>invalidate</td>"));
	assert_non_null(strstr(r.body.data, "domain&#61;farm.example") ||
	    strstr(r.body.data, "domain=farm.example"));
	resp_free(&r);
	/* Signing out ends the session. */
	client_get(c, "/admin", &r);
	char *out = html_hidden(r.body.data, "csrf");
	resp_free(&r);
	assert_non_null(out);
	struct hbuf lb = { 0 };
	form_add(&lb, "csrf", out);
	client_post(c, "/logout", lb.data, lb.len, NULL, &r);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	hbuf_free(&lb);
	free(out);
	client_free(c);
	client_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logged_out_sent_to_login),
		cmocka_unit_test(test_wrong_and_unknown_look_alike),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_starter_cannot_moderate),
		cmocka_unit_test(test_moderator_invalidates),
	};
	static const char *const args[] = { COUNT_ON_SIGN, "--trusted-proxy",
		"127.0.0.1", NULL };

	server_group(&srv, args, add_users);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
