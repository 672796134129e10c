/* e2e_cli.c - end-to-end tests of the command line: help, unknown commands,
 * import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "harness.h"

/* A scratch server record: its temp root holds data dirs and files. */
static int
scratch_setup(void **state)
{
	struct server *s = calloc(1, sizeof *s);
	if (s == NULL || server_init(s, NULL) != 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int
scratch_teardown(void **state)
{
	return server_free(*state);
}

/* Runs argv and asserts the exit status; out and err may be NULL. */
static void
run_expect(const char *const *argv, int want, struct hbuf *out, struct hbuf *err)
{
	struct hbuf o = { 0 }, e = { 0 };
	int st = cli_run(argv, &o, &e);
	if (st != want) {
		fail_msg("holos %s %s: exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s",
		    argv[0], argv[1] ? argv[1] : "", st, want,
		    o.data ? o.data : "", e.data ? e.data : "");
	}
	if (out != NULL)
		*out = o;
	else
		hbuf_free(&o);
	if (err != NULL)
		*err = e;
	else
		hbuf_free(&e);
}

/* Asserts the exit status is non-zero and not a crash (signal, sanitizer). */
static void
run_expect_failure(const char *const *argv, struct hbuf *err)
{
	struct hbuf o = { 0 }, e = { 0 };
	int st = cli_run(argv, &o, &e);
	if (st <= 0 || st >= 126)
		fail_msg("holos %s: exit %d, wanted a plain failure\nstderr:\n%s",
		    argv[0], st, e.data ? e.data : "");
	if (e.data != NULL &&
	    (strstr(e.data, "AddressSanitizer") ||
		strstr(e.data, "runtime error") ||
		strstr(e.data, "LeakSanitizer")))
		fail_msg("holos %s: sanitizer report:\n%s", argv[0], e.data);
	hbuf_free(&o);
	if (err != NULL)
		*err = e;
	else
		hbuf_free(&e);
}

static void
test_help(void **state)
{
	(void)state;
	struct hbuf out = { 0 }, err = { 0 };
	const char *help[] = { "--help", NULL };
	run_expect(help, 0, &out, &err);
	struct hbuf all = { 0 };
	hbuf_puts(&all, out.data ? out.data : "");
	hbuf_puts(&all, err.data ? err.data : "");
	assert_non_null(strstr(all.data, "serve"));
	assert_non_null(strstr(all.data, "import"));
	hbuf_free(&out);
	hbuf_free(&err);
	hbuf_free(&all);

	const char *serve_help[] = { "serve", "--help", NULL };
	run_expect(serve_help, 0, &out, &err);
	hbuf_puts(&all, out.data ? out.data : "");
	hbuf_puts(&all, err.data ? err.data : "");
	assert_non_null(strstr(all.data, "--listen"));
	assert_non_null(strstr(all.data, "--data"));
	hbuf_free(&out);
	hbuf_free(&err);
	hbuf_free(&all);
}

static void
test_unknown_subcommand(void **state)
{
	(void)state;
	struct hbuf err = { 0 };
	const char *argv[] = { "no-such-command", NULL };
	run_expect(argv, 2, NULL, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
	const char *opt[] = { "serve", "--no-such-option", NULL };
	run_expect_failure(opt, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
}

static void
test_import(void **state)
{
	struct server *s = *state;
	const char *imp[] = { "import", "--data", s->data, SEED_PATH, NULL };
	run_expect(imp, 0, NULL, NULL);

	/* The same slug again is refused, with a reason. */
	struct hbuf err = { 0 };
	run_expect_failure(imp, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);

	/* A file without front matter. */
	char path[400];
	snprintf(path, sizeof path, "%s/no-front-matter.md", s->root);
	const char *md = "# Just a heading\n\nSome text without front matter.\n";
	assert_int_equal(write_file(path, md, strlen(md)), 0);
	const char *bad[] = { "import", "--data", s->data, path, NULL };
	run_expect_failure(bad, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);

	/* Unterminated front matter. */
	snprintf(path, sizeof path, "%s/open-front-matter.md", s->root);
	md =
	    "---\nslug: half-open\ntitle: Half open\ngoal: 10\nlang: en\n\nBody.\n";
	assert_int_equal(write_file(path, md, strlen(md)), 0);
	run_expect_failure(bad, &err);
	hbuf_free(&err);

	/* A missing file. */
	snprintf(path, sizeof path, "%s/does-not-exist.md", s->root);
	run_expect_failure(bad, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);

	/* The server (without --seed) serves exactly the imported petition. */
	assert_int_equal(server_start(s), 0);
	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" SEED_SLUG ".json", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(client_get(c, "/p/half-open.json", &r), CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 0);
	assert_int_equal(server_stop(s), 0);
}

/* The commands that read their own options (export, deliver, user):
 * --help to stdout with 0; an unknown option, a bad value, a required
 * option missing, or no SLUG or two: 2 with the usage on stderr; main's
 * options anywhere on the line. */
static void
test_command_options(void **state)
{
	struct server *s = *state;
	struct hbuf out = { 0 }, err = { 0 };
	char pdf[400];

	const char *help[][4] = {
		{ "export", "--help", NULL },
		{ "deliver", "-h", NULL },
		{ "user", "--help", NULL },
	};
	const char *want[] = { "usage: holos export", "usage: holos deliver",
		"usage: holos user" };
	for (size_t i = 0; i < 3; i++) {
		run_expect(help[i], 0, &out, &err);
		assert_non_null(out.data);
		assert_non_null(strstr(out.data, want[i]));
		hbuf_free(&out);
		hbuf_free(&err);
	}

	snprintf(pdf, sizeof pdf, "%s/pack.pdf", s->root);
	/* (No option without its value at the end of a line: the harness
	 * may append --db there.) */
	const char *bad[][12] = {
		{ "export", "--data", s->data, "x", "--format", "csv",
		    "--colour", "red", NULL },
		{ "export", "--data", s->data, "x", "--format=", NULL },
		{ "export", "--data", s->data, "x", NULL },
		{ "export", "--data", s->data, "--format", "csv", NULL },
		{ "deliver", "--data", s->data, "x", NULL },
		{ "deliver", "--data", s->data, "x", "y", "--out", pdf, NULL },
		{ "user", "add", "--data", s->data, "--email", "a@example.org",
		    "--role", "admin", "--nickname", "x", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run_expect(bad[i], 2, &out, &err);
		assert_non_null(err.data);
		if (strstr(err.data, "usage: holos") == NULL)
			fail_msg("holos %s case %zu: no usage in:\n%s",
			    bad[i][0], i, err.data);
		hbuf_free(&out);
		hbuf_free(&err);
	}
	assert_int_equal(access(pdf, F_OK), -1);

	/* Options by their whole names only: getopt_long() would take a
	 * prefix, and "--password" would be read as main's
	 * "--password-memory". Unknown options are named in holos's own
	 * words. */
	const char *abbr[][12] = {
		{ "user", "add", "--data", s->data, "--email", "a@example.org",
		    "--role", "admin", "--password", "secret", NULL },
		{ "export", "--data", s->data, "x", "--form", "csv", NULL },
		{ "deliver", "--data", s->data, "x", "--ou", pdf, NULL },
		{ "user", "add", "--dat", s->data, "--email", "a@example.org",
		    "--role", "admin", NULL },
		{ "serve", "--data", s->data, "--threa", "1", NULL },
		{ "serve", "--data", s->data, "--list", "127.0.0.1:1", NULL },
		{ "serve", "--data", s->data, "--max-bod=5", NULL },
		{ "trending", "--data", s->data, "x", "--hour", "2", NULL },
		{ "export", "--data", s->data, "x", "--colour=red", NULL },
		{ "serve", "--data", s->data, "-z", NULL },
	};
	const char *said[] = { "holos user: --password is not an option\n",
		"holos export: --form is not an option; did you mean --format?",
		"holos deliver: --ou is not an option; did you mean --out?",
		"holos user: --dat is not an option; did you mean --data?",
		"holos serve: --threa is not an option; did you mean --threads?",
		/* The prefix of two options (--listen, --listen-post). */
		"holos serve: --list is not an option\n",
		"holos serve: --max-bod is not an option; did you mean --max-body?",
		"holos trending: --hour is not an option; did you mean --hours?",
		"holos export: --colour is not an option\n",
		"holos serve: -z is not an option\n" };
	for (size_t i = 0; i < sizeof abbr / sizeof abbr[0]; i++) {
		run_expect(abbr[i], 2, &out, &err);
		assert_non_null(err.data);
		if (strstr(err.data, said[i]) == NULL ||
		    strstr(err.data, "usage: holos") == NULL ||
		    strstr(err.data, "bad value") != NULL)
			fail_msg("holos %s case %zu: wanted \"%s\" and usage "
				 "in:\n%s",
			    abbr[i][0], i, said[i], err.data);
		hbuf_free(&out);
		hbuf_free(&err);
	}
	assert_int_equal(access(pdf, F_OK), -1);

	/* main's --site-name and --base-url before and after the operand:
	 * read, skipped, and the petition looked up. */
	const char *mainopts[] = { "export", "--site-name", "Holos", "nosuch",
		"--base-url", "http://example.org", "--data", s->data,
		"--format", "json", NULL };
	run_expect(mainopts, 1, &out, &err);
	assert_non_null(err.data);
	assert_non_null(strstr(err.data, "nosuch: no such petition"));
	hbuf_free(&out);
	hbuf_free(&err);
}

static void
test_serve_bad_arguments(void **state)
{
	struct server *s = *state;
	/* A port somebody else listens on: fail at once, do not hang. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	char listen_on[32];
	snprintf(listen_on, sizeof listen_on, "127.0.0.1:%d", ntohs(a.sin_port));
	struct hbuf err = { 0 };
	const char *busy[] = { "serve", "--listen", listen_on, "--data",
		s->data, NULL };
	run_expect_failure(busy, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
	close(fd);

	/* The address of a running holos: refused too, not shared. */
	struct server *running = server_new_seeded(NULL);
	assert_non_null(running);
	snprintf(listen_on, sizeof listen_on, "127.0.0.1:%d", running->port);
	const char *taken[] = { "serve", "--listen", listen_on, "--data",
		s->data, NULL };
	run_expect_failure(taken, &err);
	assert_non_null(strstr(err.data, "cannot listen"));
	hbuf_free(&err);
	assert_int_equal(server_free(running), 0);

	const char *bad_listen[] = { "serve", "--listen", "not-an-address",
		"--data", s->data, NULL };
	run_expect_failure(bad_listen, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
	/* The second listener: an address, not the first's, free. */
	const char *bad_post[] = { "serve", "--listen", "127.0.0.1:1",
		"--listen-post", "not-an-address", "--data", s->data, NULL };
	run_expect_failure(bad_post, &err);
	assert_non_null(strstr(err.data, "listen_post=not-an-address"));
	hbuf_free(&err);
	int free_port = harness_free_port();
	assert_true(free_port > 0);
	char same[32];
	snprintf(same, sizeof same, "127.0.0.1:%d", free_port);
	const char *same_post[] = { "serve", "--listen", same, "--listen-post",
		same, "--data", s->data, NULL };
	run_expect_failure(same_post, &err);
	assert_non_null(strstr(err.data, "the same address as --listen"));
	hbuf_free(&err);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	a.sin_port = 0;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 1), 0);
	len = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(listen_on, sizeof listen_on, "127.0.0.1:%d", ntohs(a.sin_port));
	const char *busy_post[] = { "serve", "--listen", same, "--listen-post",
		listen_on, "--data", s->data, NULL };
	run_expect_failure(busy_post, &err);
	assert_non_null(strstr(err.data, "cannot listen"));
	hbuf_free(&err);
	close(fd);
	const char *bad_body[] = { "serve", "--listen", "127.0.0.1:1", "--data",
		s->data, "--max-body", "lots", NULL };
	run_expect_failure(bad_body, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
	const char *bad_idle[] = { "serve", "--listen", "127.0.0.1:1", "--data",
		s->data, "--idle-timeout", "-5", NULL };
	run_expect_failure(bad_idle, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
	const char *no_seed[] = { "serve", "--listen", "127.0.0.1:1", "--data",
		s->data, "--seed", "/nonexistent/petition.md", NULL };
	run_expect_failure(no_seed, &err);
	assert_true(err.len > 0);
	hbuf_free(&err);
	/* Argon2id's memory: 8 to 1024 MiB. */
	static const char *const memories[] = { "4", "1025", "lots", "-8", "" };
	for (size_t i = 0; i < sizeof memories / sizeof memories[0]; i++) {
		const char *bad_memory[] = { "serve", "--listen", "127.0.0.1:1",
			"--data", s->data, "--password-memory", memories[i],
			NULL };
		run_expect_failure(bad_memory, &err);
		if (strstr(err.data, "password-memory") == NULL)
			fail_msg("--password-memory %s: \"%s\"", memories[i],
			    err.data);
		hbuf_free(&err);
	}
}

/* A password hash names its own cost: accounts made at 8 MiB and at 64 MiB
 * both sign in to a server that makes new ones at 64. */
static void
test_password_memory(void **state)
{
	(void)state;
	static const char *const args[] = { "--password-memory", "64", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	assert_int_equal(harness_user_add(s, "cheap@example.org", "starter",
			     "a long enough password"),
	    0);
	setenv("HOLOS_PASSWORD_MEMORY", "64", 1);
	assert_int_equal(harness_user_add(s, "dear@example.org", "starter",
			     "another long password"),
	    0);
	setenv("HOLOS_PASSWORD_MEMORY", "8", 1);
	struct client *c =
	    client_signed_in(s, "cheap@example.org", "a long enough password");
	client_free(c);
	c = client_signed_in(s, "dear@example.org", "another long password");
	client_free(c);
	assert_int_equal(server_free(s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_unknown_subcommand),
		cmocka_unit_test_setup_teardown(test_import, scratch_setup,
		    scratch_teardown),
		cmocka_unit_test_setup_teardown(test_command_options,
		    scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_serve_bad_arguments,
		    scratch_setup, scratch_teardown),
		cmocka_unit_test(test_password_memory),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
