/* e2e_persist.c - end-to-end tests of what survives a restart and what may
 * never reach the disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "harness.h"

static const char *const count_on_sign[] = { COUNT_ON_SIGN, NULL };

#define PT_EMAIL "plaintext-check-1234@example.org"
#define PT_FIRST "Zebulonius"
#define PT_LAST "Quaxworthington"

/* Each test gets its own server, so a failure leaves no process behind. */
static int
server_setup(void **state)
{
	*state = server_new_seeded(count_on_sign);
	return *state != NULL ? 0 : -1;
}

static int
server_teardown(void **state)
{
	return server_free(*state);
}

static void
sign_ok(struct server *s, const struct signer *who)
{
	struct client *c = client_new(s);
	struct resp r;
	long st = client_sign(c, SEED_SLUG, who, &r);
	if (st != 303)
		fail_msg("sign: status %ld, wanted 303:\n%.2000s", st,
		    r.body.data ? r.body.data : "");
	resp_free(&r);
	client_free(c);
}

static void
test_restart_keeps_data(void **state)
{
	struct server *s = *state;
	struct signer who = signer_default("restart@example.org");
	sign_ok(s, &who);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);

	/* Started again with --seed: the petition exists, so no second import. */
	assert_int_equal(server_restart(s), 0);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);

	/* The duplicate check still knows the signer, so the key survived. */
	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(client_sign(c, SEED_SLUG, &who, &r), 422);
	resp_free(&r);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);

	/* The home page lists the petition once. */
	assert_int_equal(client_get(c, "/", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	const char *first = strstr(r.body.data, "/p/" SEED_SLUG "\"");
	assert_non_null(first);
	assert_null(strstr(first + 1, "/p/" SEED_SLUG "\""));
	resp_free(&r);
	client_free(c);

	/* And once more, after a new signature. */
	who = signer_default("restart-2@example.org");
	sign_ok(s, &who);
	assert_int_equal(server_restart(s), 0);
	assert_int_equal(petition_count(s, SEED_SLUG), 2);
}

/* Asserts that no file in the data dir holds any of the personal data,
 * nor (under PostgreSQL) any column of the server's database. */
static void
assert_no_plaintext(const struct server *s, const char *when)
{
	const char *needles[] = { PT_EMAIL, "plaintext-check-1234", PT_FIRST,
		PT_LAST };
	struct hbuf dump = { 0 };
	if (harness_pg() != NULL) {
		assert_int_equal(server_db_dump(s, &dump), 0);
		/* The dump works: the public petition is stored in the clear. */
		if (strstr(dump.data, SEED_SLUG) == NULL)
			fail_msg("%s: the slug is nowhere in %s; is the dump broken?",
			    when, s->db);
		for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
			if (strstr(dump.data, needles[i]) != NULL)
				fail_msg("%s: %s holds \"%s\" in plain text",
				    when, s->db, needles[i]);
		hbuf_free(&dump);
	} else if (!dir_contains(s->data, SEED_SLUG, strlen(SEED_SLUG), NULL,
		       0)) {
		/* The scan itself works: the public petition is stored in the clear. */
		fail_msg("%s: the slug is nowhere in %s; is the scan broken?",
		    when, s->data);
	}
	for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
		char found[1024] = "";
		if (dir_contains(s->data, needles[i], strlen(needles[i]), found,
			sizeof found))
			fail_msg("%s: %s contains \"%s\" in plain text", when,
			    found, needles[i]);
	}
}

static void
test_encrypted_at_rest(void **state)
{
	struct server *s = *state;
	struct signer who = signer_default(PT_EMAIL);
	who.first_name = PT_FIRST;
	who.last_name = PT_LAST;
	sign_ok(s, &who);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);
	assert_no_plaintext(s, "while running");
	assert_int_equal(server_stop(s), 0);
	assert_no_plaintext(s, "after stop");

	/* Logs never carry a whole email address. */
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(s, &log), 0);
	if (strstr(log.data, PT_EMAIL) != NULL)
		fail_msg("server.log contains the signer's email");
	hbuf_free(&log);

	/* The key is there and private to its owner. */
	char key[400];
	snprintf(key, sizeof key, "%s/secret.key", s->data);
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	if ((st.st_mode & 077) != 0)
		fail_msg("secret.key has mode %03o, readable by others",
		    st.st_mode & 0777);

	/* Still decryptable after a restart: the duplicate is recognised. */
	assert_int_equal(server_start(s), 0);
	struct client *c = client_new(s);
	struct resp r;
	who = signer_default(" Plaintext-Check-1234@Example.org ");
	assert_int_equal(client_sign(c, SEED_SLUG, &who, &r), 422);
	resp_free(&r);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restart_keeps_data,
		    server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_encrypted_at_rest,
		    server_setup, server_teardown),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
