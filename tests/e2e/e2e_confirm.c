/* e2e_confirm.c - end-to-end tests of email confirmation, the default: pending
 * signatures, the link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PT_EMAIL "confirm-plaintext-5678@example.org"
#define PT_FIRST "Ermengarde"
#define PT_LAST "Fitzsimmonds"

static struct server *srv;

/* The path (from "/c/") of the last confirmation link the server logged,
 * malloc'd, or NULL. Without --smtp the links are logged by design. */
static char *
last_link_path(void)
{
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(srv, &log), 0);
	char *path = NULL;
	for (const char *p = strstr(log.data, "link="); p != NULL;
	     p = strstr(p + 1, "link=")) {
		const char *c = strstr(p, "/c/");
		const char *end = p + strcspn(p, " \n");
		if (c != NULL && c < end) {
			free(path);
			path = strndup(c, (size_t)(end - c));
		}
	}
	hbuf_free(&log);
	return path;
}

/* Signs as who with a fresh client and returns the new link's path. */
static char *
sign_pending(const struct signer *who)
{
	char *before = last_link_path();
	struct client *c = client_new(srv);
	struct resp r;
	long st = client_sign(c, SEED_SLUG, who, &r);
	if (st != 303)
		fail_msg("sign: status %ld, wanted 303", st);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_non_null(strstr(loc, "/p/" SEED_SLUG "/thanks"));
	free(loc);
	resp_free(&r);
	client_free(c);
	/* The link is logged once the letter is written, maybe just after. */
	char *link = NULL;
	long long end = now_ms() + 5000;
	while (now_ms() < end) {
		link = last_link_path();
		if (link != NULL &&
		    (before == NULL || strcmp(link, before) != 0))
			break;
		free(link);
		link = NULL;
		pause_ms(20);
	}
	free(before);
	if (link == NULL)
		fail_msg("no new confirmation link in the server log");
	return link;
}

/* POSTs the confirmation form at path (query dropped) with csrf (NULL:
 * none) and returns the status. */
static long
post_confirm(struct client *c, const char *path, const char *csrf)
{
	char *action = strdup(path);
	action[strcspn(action, "?")] = '\0';
	struct hbuf b = { 0 };
	if (csrf != NULL)
		form_add(&b, "csrf", csrf);
	struct resp r;
	assert_int_equal(client_post(c, action, b.data ? b.data : "", b.len,
			     NULL, &r),
	    CURLE_OK);
	long st = r.status;
	resp_free(&r);
	hbuf_free(&b);
	free(action);
	return st;
}

/* Opens the confirmation page at link with c and returns its form token
 * (malloc'd). */
static char *
link_csrf(struct client *c, const char *link)
{
	struct resp r;
	assert_int_equal(client_get(c, link, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	char *tok = html_csrf(r.body.data);
	assert_non_null(tok);
	resp_free(&r);
	return tok;
}

static void
test_pending_until_confirmed(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	struct signer who = signer_default("confirm-me@example.org");
	char *link = sign_pending(&who);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);

	/* Opening the link (as a mail scanner would) changes nothing. */
	struct client *c = client_new(srv);
	struct resp r;
	char *tok = link_csrf(c, link);
	assert_int_equal(client_get(c, link, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);

	/* The button counts it, once. */
	long st = post_confirm(c, link, tok);
	if (st != 200 && st != 303)
		fail_msg("confirming: status %ld", st);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	st = post_confirm(c, link, tok);
	if (st != 200 && st != 303)
		fail_msg("confirming again: status %ld", st);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	assert_int_equal(client_get(c, link, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	/* And the address is taken now, though the answer does not say so
	 * (its owner is told by mail: e2e_guard.c). */
	struct client *c2 = client_new(srv);
	assert_int_equal(client_sign(c2, SEED_SLUG, &who, &r), 303);
	resp_free(&r);
	client_free(c2);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	free(tok);
	free(link);
	client_free(c);
}

static void
test_confirm_needs_csrf(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	struct signer who = signer_default("confirm-csrf@example.org");
	char *link = sign_pending(&who);
	struct client *c = client_new(srv);
	assert_int_equal(post_confirm(c, link, NULL), 403);
	assert_int_equal(post_confirm(c, link,
			     "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    403);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	free(link);
	client_free(c);
}

static void
test_unknown_token(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	struct client *c = client_new(srv);
	struct resp r;
	const char *bogus = "/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(client_get(c, bogus, &r), CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	/* With a genuine token from a page, the POST still finds nothing. */
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	assert_int_equal(post_confirm(c, bogus, tok), 404);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	free(tok);
	client_free(c);
}

static void
test_no_plaintext_in_data_dir(void **state)
{
	(void)state;
	struct signer who = signer_default(PT_EMAIL);
	who.first_name = PT_FIRST;
	who.last_name = PT_LAST;
	int sent = server_log_count(srv, "kind=confirm result=sent");
	free(sign_pending(&who));
	/* Let the letter go out first: it passes through the outbox. */
	assert_true(server_log_wait(srv, "kind=confirm result=sent", sent,
			5000) > sent);
	/* Personal data is encrypted at rest in the database and its WAL,
	 * the letter waiting in the outbox table included. (Without --smtp,
	 * the letters themselves are dropped in DATA/outbox/ as .eml files
	 * for the trial set-up: that folder is a mailbox, not storage.) */
	const char *needles[] = { PT_EMAIL, PT_FIRST, PT_LAST };
	if (harness_pg() != NULL) {
		/* PostgreSQL: every column of every table, as stored. */
		struct hbuf dump = { 0 };
		assert_int_equal(server_db_dump(srv, &dump), 0);
		assert_non_null(strstr(dump.data, SEED_SLUG));
		for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
			if (strstr(dump.data, needles[i]) != NULL)
				fail_msg("%s holds \"%s\" in plain text",
				    srv->db, needles[i]);
		hbuf_free(&dump);
		return;
	}
	const char *files[] = { "holos.db", "holos.db-wal" };
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", srv->data, files[f]);
		for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
			int hit =
			    file_contains(path, needles[i], strlen(needles[i]));
			if (hit == -1)
				fail_msg("cannot read %s", path);
			if (hit == 1)
				fail_msg("%s contains \"%s\" in plain text",
				    path, needles[i]);
		}
	}
}

/* A pending signature does not confirm once its petition is past its
 * closing date or hidden; its link stays unused and works again when the
 * petition is open again. */
static void
test_no_confirm_when_closed(void **state)
{
	(void)state;
	struct signer a = signer_default("late-a@example.org");
	struct signer b = signer_default("late-b@example.org");
	char *la = sign_pending(&a), *lb = sign_pending(&b);
	struct client *c = client_new(srv);
	char *csrf = client_fetch_csrf(c, SEED_SLUG);
	long before = petition_count(srv, SEED_SLUG);

	assert_non_null(csrf);
	assert_int_equal(server_db_exec(srv,
			     "UPDATE petitions SET closes_at = 1000 WHERE slug = '" SEED_SLUG
			     "'"),
	    0);
	assert_int_equal(post_confirm(c, la, csrf), 409);
	assert_int_equal(server_db_exec(srv,
			     "UPDATE petitions SET closes_at = NULL, state = "
			     "'hidden' WHERE slug = '" SEED_SLUG "'"),
	    0);
	assert_int_equal(post_confirm(c, lb, csrf), 409);
	assert_int_equal(server_db_exec(srv,
			     "UPDATE petitions SET state = 'open' WHERE slug = '" SEED_SLUG
			     "'"),
	    0);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	assert_int_equal(post_confirm(c, la, csrf), 303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	free(csrf);
	free(la);
	free(lb);
	client_free(c);
}

/* A confirmation while the server holds many connections: its reply is
 * written from the writer (server.c: past 128 connections a request
 * thread), the same 303 on a connection that goes on; a second click gets
 * the page saying it is done, whole. */
static void
test_confirm_many_connections(void **state)
{
	(void)state;
	const char *const args[] = { "--threads", "1", "--per-ip-limit", "200",
		NULL };
	struct server *busy = server_new_seeded(args);
	assert_non_null(busy);
	struct server *saved = srv;
	srv = busy;
	enum { HELD = 150 };
	int held[HELD];
	harness_hold_conns(busy, held, HELD);
	struct signer who = signer_default("busy-confirm@example.org");
	char *link = sign_pending(&who);
	struct client *c = client_new(busy);
	struct resp r;
	char *tok = link_csrf(c, link);
	assert_int_equal(post_confirm(c, link, tok), 303);
	assert_int_equal(petition_count(busy, SEED_SLUG), 1);
	assert_int_equal(client_get(c, "/p/" SEED_SLUG ".json", &r), CURLE_OK);
	assert_int_equal(r.num_connects, 0);
	resp_free(&r);
	assert_int_equal(post_confirm(c, link, tok), 200);
	assert_int_equal(petition_count(busy, SEED_SLUG), 1);
	for (int i = 0; i < HELD; i++)
		close(held[i]);
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(busy, &log), 0);
	/* The signature's reply or the first confirmation's, or both (one
	 * committed before its request thread let it go is sent by it). */
	assert_true(count_of(log.data, " direct=1") >= 1);
	assert_null(strstr(log.data, "module=mhd"));
	hbuf_free(&log);
	free(tok);
	free(link);
	client_free(c);
	srv = saved;
	assert_int_equal(server_free(busy), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_until_confirmed),
		cmocka_unit_test(test_confirm_needs_csrf),
		cmocka_unit_test(test_unknown_token),
		cmocka_unit_test(test_no_plaintext_in_data_dir),
		cmocka_unit_test(test_no_confirm_when_closed),
		cmocka_unit_test(test_confirm_many_connections),
	};
	server_group(&srv, NULL, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
