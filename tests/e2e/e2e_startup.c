/* e2e_startup.c - end-to-end tests of how holos starts: its options (one
 * checked parser for flags and environment alike) and its start-up table
 * (each step made to fail in turn must leave holos exiting 1, promptly,
 * with a message, every step before it stopped again, no thread left). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "harness.h"

/* From the failed step to the end of the unwinding: thread joins and
 * frees, milliseconds even on a busy machine. A stop that waits on a thread
 * that never ends is the fault looked for. */
#define UNWIND_MS 2000

static struct server *scratch;

static int
group_setup(void **state)
{
	(void)state;
	if ((scratch = calloc(1, sizeof(*scratch))) == NULL ||
	    server_init(scratch, NULL) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return server_free(scratch);
}

static bool
has_sanitizer_report(const char *s)
{
	return strstr(s, "AddressSanitizer") != NULL ||
	    strstr(s, "LeakSanitizer") != NULL ||
	    strstr(s, "runtime error") != NULL;
}

/* Runs holos with argv and env (may be NULL); asserts a usage error (exit
 * 2) whose message names what (a --flag or a variable). */
static void
expect_usage_error(const char *const *argv, const char *const *env,
    const char *what)
{
	struct hbuf out = { 0 }, err = { 0 };
	int st = cli_run_env(argv, env, &out, &err);
	const char *e = err.data ? err.data : "";

	if (st != 2 || strstr(e, what) == NULL ||
	    strstr(e, "bad value") == NULL || has_sanitizer_report(e))
		fail_msg("holos %s %s (env %s): exit %d, wanted 2 and a "
			 "message naming %s\nstderr:\n%s",
		    argv[0], argv[1] ? argv[1] : "", env ? env[0] : "-", st,
		    what, e);
	hbuf_free(&out);
	hbuf_free(&err);
}

/* holos migrate reads every option (they are common to all commands) and
 * ends at once: a cheap probe of the option parser. */
static void
expect_accepted(const char *const *extra, const char *const *env)
{
	const char *argv[16] = { "migrate", "--data", scratch->data, NULL };
	char db[400];
	size_t n = 3;
	struct hbuf out = { 0 }, err = { 0 };

	/* Its own SQLite file: the probe is about options, not storage. */
	snprintf(db, sizeof(db), "%s/probe.db", scratch->root);
	argv[n++] = "--db";
	argv[n++] = db;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	int st = cli_run_env(argv, env, &out, &err);
	if (st != 0)
		fail_msg("holos migrate %s (env %s): exit %d, wanted 0\n%s",
		    extra && extra[0] ? extra[0] : "", env ? env[0] : "-", st,
		    err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);
}

/* Every number option refuses what is not a whole number in its range,
 * naming the option; the environment's values get the same check. */
static void
test_options_checked(void **state)
{
	(void)state;
	if (harness_pg() != NULL)
		skip(); /* no storage here: once, on SQLite, is enough */
	static const struct {
		const char *flag;
		const char *too_big; /* one past the largest value */
	} numbers[] = {
		{ "--threads", "257" },
		{ "--max-body", "67108865" },
		{ "--idle-timeout", "3601" },
		{ "--per-ip-limit", "1000001" },
		{ "--max-connections", "1000001" },
		{ "--queue", "10000001" },
		{ "--batch", "100001" },
		{ "--confirm-ttl", "31536001" },
		{ "--mail-retry", "86401" },
		{ "--mail-attempts", "101" },
		{ "--min-form-seconds", "3601" },
		{ "--pow-bits", "25" },
		{ "--heartbeat", "301" },
	};
	static const char *const junk[] = { "abc", "-1", "12x", " 5", "+5", "",
		"99999999999999999999999" };

	/* The parser is one: every kind of junk through one flag, */
	for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
		const char *argv[] = { "migrate", "--data", scratch->data,
			"--queue", junk[j], NULL };
		expect_usage_error(argv, NULL, "--queue");
	}
	/* and each number option's own range. */
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		const char *argv[] = { "serve", "--data", scratch->data,
			numbers[i].flag, numbers[i].too_big, NULL };
		expect_usage_error(argv, NULL, numbers[i].flag);
	}

	/* A heartbeat of 0 s would be a busy loop: 1 s at least. */
	const char *beat[] = { "serve", "--data", scratch->data, "--heartbeat",
		"0", NULL };
	expect_usage_error(beat, NULL, "--heartbeat");

	/* Values with a meaning of their own. */
	const char *rate[] = { "migrate", "--rate-ip", "ten", NULL };
	expect_usage_error(rate, NULL, "--rate-ip");
	const char *onoff[] = { "migrate", "--rate-limit", "maybe", NULL };
	expect_usage_error(onoff, NULL, "--rate-limit");
	const char *proxy[] = { "migrate", "--trusted-proxy", "10.0.0.0/99",
		NULL };
	expect_usage_error(proxy, NULL, "--trusted-proxy");

	/* The environment: the same errors, naming the variable. Before, a
	 * bad number was read as 0 (and HOLOS_POW_BITS above 24 was cut
	 * down in silence). */
	static const char *const bad_env[][2] = {
		{ "HOLOS_POW_BITS=abc", "HOLOS_POW_BITS" },
		{ "HOLOS_POW_BITS=25", "HOLOS_POW_BITS" },
		{ "HOLOS_POW_BITS=-3", "HOLOS_POW_BITS" },
		{ "HOLOS_MIN_FORM_SECONDS=3s", "HOLOS_MIN_FORM_SECONDS" },
		{ "HOLOS_MIN_FORM_SECONDS=3601", "HOLOS_MIN_FORM_SECONDS" },
		{ "HOLOS_COUNT_ON_SIGN=yes", "HOLOS_COUNT_ON_SIGN" },
		{ "HOLOS_RATE_LIMIT=of", "HOLOS_RATE_LIMIT" },
	};
	for (size_t i = 0; i < sizeof(bad_env) / sizeof(bad_env[0]); i++) {
		const char *env[] = { bad_env[i][0], NULL };
		const char *argv[] = { "serve", "--data", scratch->data, NULL };
		expect_usage_error(argv, env, bad_env[i][1]);
	}

	/* Good values still pass, from both places. */
	static const char *const good_env[] = { "HOLOS_POW_BITS=24",
		"HOLOS_MIN_FORM_SECONDS=0", "HOLOS_COUNT_ON_SIGN=1",
		"HOLOS_COUNT_ON_SIGN=0", "HOLOS_RATE_LIMIT=on",
		"HOLOS_RATE_LIMIT=off", "HOLOS_POW_BITS=" /* unset */ };
	for (size_t i = 0; i < sizeof(good_env) / sizeof(good_env[0]); i++) {
		const char *env[] = { good_env[i], NULL };
		expect_accepted(NULL, env);
	}
	const char *good[] = { "--threads", "0", "--max-body", "1024",
		"--pow-bits", "24", "--rate-ip", "5/10", "--rate-site", "off",
		"--count-on-sign", "--trusted-proxy", "10.0.0.0/8", NULL };
	expect_accepted(good, NULL);
}

/* ---- the start-up table ---- */

/* A share folder like the checkout's, with one of its parts replaced:
 * made under the scratch root, entries of the checkout linked in. */
static void
make_share(const char *dir, const char *broken)
{
	static const char *const parts[] = { "templates", "static", "locales",
		"migrations", "lists" };
	char cwd[512], from[700], to[700];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(to, sizeof(to), "%s/%s", dir, parts[i]);
		if (strcmp(parts[i], broken) == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", cwd, parts[i]);
		assert_int_equal(symlink(from, to), 0);
	}
}

/* The same folder, then its part broken holds links to every file of the
 * checkout's part and one bad file name with content. */
static void
make_share_with_bad_file(const char *dir, const char *part, const char *name,
    const char *content)
{
	static const char *const files[][2] = {
		{ "locales", "en.json" },
		{ "locales", "ru.json" },
		{ "locales", "uk.json" },
	};
	char cwd[512], path[700], from[700];

	make_share(dir, part);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/%s", dir, part);
	assert_int_equal(mkdir(path, 0700), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(files[i][0], part) != 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s/%s", cwd, part, files[i][1]);
		snprintf(path, sizeof(path), "%s/%s/%s", dir, part, files[i][1]);
		assert_int_equal(symlink(from, path), 0);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, part, name);
	assert_int_equal(write_file(path, content, strlen(content)), 0);
}

/* How a test makes one step fail. */
struct step_case {
	const char *step; /* its name in holos's table (main.c) */
	/* Makes a real cause in dir (the case's own folder; the data folder
	 * is dir/data) and adds serve arguments to args; NULL: the step is
	 * named in HOLOS_TEST_FAIL_START instead, for failures nothing
	 * outside can cause (a thread that cannot start, memory that runs
	 * out), which the sanitised builds the tests run honour. */
	void (*arrange)(const char *dir, const char **args, size_t *n);
};

static char busy_listen[32];

static void
fail_data(const char *dir, const char **args, size_t *n)
{
	static char data[800];
	char file[700];

	/* A data folder inside a regular file cannot be made. */
	snprintf(file, sizeof(file), "%s/a-file", dir);
	assert_int_equal(write_file(file, "x", 1), 0);
	snprintf(data, sizeof(data), "%s/data", file);
	args[(*n)++] = "--data";
	args[(*n)++] = data;
}

static void
fail_crypto(const char *dir, const char **args, size_t *n)
{
	char path[700];

	(void)args;
	(void)n;
	/* A secret key of the wrong size is refused, never replaced. */
	snprintf(path, sizeof(path), "%s/data", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/data/secret.key", dir);
	assert_int_equal(write_file(path, "short", 5), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

static void
fail_i18n(const char *dir, const char **args, size_t *n)
{
	static char share[700];

	/* A catalogue without the default language's keys. */
	snprintf(share, sizeof(share), "%s/share", dir);
	make_share_with_bad_file(share, "locales", "de.json",
	    "{\"site_title\": \"Holos\"}\n");
	args[(*n)++] = "--share";
	args[(*n)++] = share;
}

static void
fail_templates(const char *dir, const char **args, size_t *n)
{
	static char share[700];
	char path[800];

	/* The checkout's templates and one with an unclosed section. */
	snprintf(share, sizeof(share), "%s/share", dir);
	make_share(share, "templates");
	snprintf(path, sizeof(path), "%s/templates", share);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/templates/broken.html", share);
	assert_int_equal(write_file(path, "{{#open}}never closed\n", 22), 0);
	args[(*n)++] = "--share";
	args[(*n)++] = share;
}

static void
fail_static(const char *dir, const char **args, size_t *n)
{
	static char share[700];

	/* No static/ at all. */
	snprintf(share, sizeof(share), "%s/share", dir);
	make_share(share, "static");
	args[(*n)++] = "--share";
	args[(*n)++] = share;
}

static void
fail_guard(const char *dir, const char **args, size_t *n)
{
	char path[700];

	(void)args;
	(void)n;
	snprintf(path, sizeof(path), "%s/data", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/data/blocklist.txt", dir);
	assert_int_equal(write_file(path, "nonsense here\n", 14), 0);
}

static void
fail_store(const char *dir, const char **args, size_t *n)
{
	static char db[700];

	if (harness_pg() != NULL)
		return; /* a server that refuses the connection, given above */

	/* A file that is not a database. */
	snprintf(db, sizeof(db), "%s/not-a-database.db", dir);
	assert_int_equal(write_file(db, "this is not a database, not at all\n",
			     35),
	    0);
	args[(*n)++] = "--db";
	args[(*n)++] = db;
}

static void
fail_seed(const char *dir, const char **args, size_t *n)
{
	static char seed[700];

	snprintf(seed, sizeof(seed), "%s/no-such-petition.md", dir);
	args[(*n)++] = "--seed";
	args[(*n)++] = seed;
}

static void
fail_mail(const char *dir, const char **args, size_t *n)
{
	(void)dir;
	args[(*n)++] = "--smtp";
	args[(*n)++] = "ftp://mail.example.org";
}

static void
fail_server(const char *dir, const char **args, size_t *n)
{
	(void)dir;
	/* A port another socket listens on (not shared: no SO_REUSEPORT). */
	args[(*n)++] = "--listen";
	args[(*n)++] = busy_listen;
}

static void
fail_loghead(const char *dir, const char **args, size_t *n)
{
	char path[700];

	(void)args;
	(void)n;
	/* A log key others may read is refused, never used or replaced. */
	snprintf(path, sizeof(path), "%s/data", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/data/log.key", dir);
	assert_int_equal(write_file(path, "0123456789abcdef0123456789abcdef",
			     32),
	    0);
	assert_int_equal(chmod(path, 0644), 0);
}

/* In the order of holos's table; test_every_step_covered() holds the two
 * to each other. */
static const struct step_case cases[] = {
	{ "log", NULL },
	{ "data", fail_data },
	{ "crypto", fail_crypto },
	{ "i18n", fail_i18n },
	{ "templates", fail_templates },
	{ "static", fail_static },
	{ "guard", fail_guard },
	{ "store", fail_store },
	{ "seed", fail_seed },
	{ "site", NULL },
	{ "mail", fail_mail },
	{ "counts", NULL },
	{ "outbox", NULL },
	{ "fanout", NULL },
	{ "handover", NULL },
	{ "signq", NULL },
	{ "refresh", NULL },
	{ "sweep", NULL },
	{ "retain", NULL },
	{ "loghead", fail_loghead },
	{ "delay", NULL },
	{ "offload", NULL },
	{ "events", NULL },
	{ "media", NULL },
	{ "server", fail_server },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* The time of the first log line holding needle, in milliseconds of the
 * day (ts=YYYY-MM-DDTHH:MM:SS.mmmZ); -1 when there is none. */
static long long
log_ms(const char *log, const char *needle)
{
	const char *p = strstr(log, needle), *ts;
	int h, m, sec, ms;

	if (p == NULL)
		return -1;
	while (p > log && p[-1] != '\n')
		p--;
	if ((ts = strstr(p, "ts=")) == NULL || (ts = strchr(ts, 'T')) == NULL ||
	    sscanf(ts, "T%d:%d:%d.%dZ", &h, &m, &sec, &ms) != 4)
		return -1;
	return ((h * 60LL + m) * 60 + sec) * 1000 + ms;
}

/* "step=NAME event=started" */
static bool
log_started(const char *log, const char *step)
{
	char want[64];

	snprintf(want, sizeof(want), " step=%s event=started", step);
	return strstr(log, want) != NULL;
}

/* A holos that starts: its debug log names each step as it starts, in
 * order, and the test has a way to fail each of them. A step added to the
 * table without a case here fails this test. It also stops with every
 * thread joined. */
static void
test_every_step_covered(void **state)
{
	(void)state;
	struct server s;
	struct hbuf log = { 0 };
	const char *at;
	size_t i;

	assert_int_equal(server_init(&s, NULL), 0);
	setenv("HOLOS_LOG_LEVEL", "debug", 1);
	int started = server_start(&s);
	unsetenv("HOLOS_LOG_LEVEL");
	assert_int_equal(started, 0);
	assert_int_equal(server_stop(&s), 0);
	assert_int_equal(server_read_log(&s, &log), 0);
	at = log.data;
	for (i = 0; i < NCASES; i++) {
		char want[64];
		const char *p;

		snprintf(want, sizeof(want), " step=%s event=started",
		    cases[i].step);
		if ((p = strstr(at, want)) == NULL)
			fail_msg("step %s did not start (or not after %s)",
			    cases[i].step, i > 0 ? cases[i - 1].step : "-");
		at = p + 1;
	}
	/* No started step beyond the cases. */
	size_t nstarted = 0;
	for (const char *line = log.data; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char l[512];

		snprintf(l, sizeof(l), "%.*s", (int)len, line);
		if (strstr(l, "module=serve ") && strstr(l, " event=started"))
			nstarted++;
		line = end ? end + 1 : NULL;
	}
	if (nstarted != NCASES)
		fail_msg("%zu start-up steps, %zu failure cases: a step without "
			 "a case?\n%s",
		    nstarted, (size_t)NCASES, log.data);
	assert_non_null(strstr(log.data, "event=stopped threads=1"));
	hbuf_free(&log);
	assert_int_equal(server_cleanup(&s), 0);
}

/* Each step in turn: holos exits 1 within UNWIND_MS of the failure, says
 * which part could not start, starts nothing after it, stops everything
 * before it (one thread left at the end), and the sanitizers have nothing
 * to say (LeakSanitizer runs at that exit). */
static void
test_each_step_fails_cleanly(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof(a);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(busy_listen, sizeof(busy_listen), "127.0.0.1:%d",
	    ntohs(a.sin_port));

	for (size_t i = 0; i < NCASES; i++) {
		char dir[400], data[500], listen_on[32], fail_env[64];
		char nowhere[96];
		const char *args[24];
		const char *env[] = { "HOLOS_LOG_LEVEL=debug", NULL, NULL };
		struct hbuf out = { 0 }, err = { 0 };
		size_t n = 0;

		snprintf(dir, sizeof(dir), "%s/fail-%s", scratch->root,
		    cases[i].step);
		assert_int_equal(mkdir(dir, 0700), 0);
		snprintf(data, sizeof(data), "%s/data", dir);
		snprintf(listen_on, sizeof(listen_on), "127.0.0.1:%d",
		    harness_free_port());
		args[n++] = "serve";
		/* Given first: a case's own --listen or --data comes later
		 * and wins. */
		args[n++] = "--listen";
		args[n++] = listen_on;
		args[n++] = "--data";
		args[n++] = data;
		/* Under PostgreSQL each step stops beside a pool of
		 * connections (the store case: one that cannot connect). */
		if (harness_pg() != NULL) {
			snprintf(nowhere, sizeof(nowhere),
			    "postgres://holos@127.0.0.1:%d/nowhere",
			    harness_free_port());
			args[n++] = "--db";
			args[n++] = strcmp(cases[i].step, "store") == 0 ?
			    nowhere :
			    scratch->db;
		}
		if (cases[i].arrange != NULL) {
			cases[i].arrange(dir, args, &n);
		} else {
			snprintf(fail_env, sizeof(fail_env),
			    "HOLOS_TEST_FAIL_START=%s", cases[i].step);
			env[1] = fail_env;
		}
		args[n] = NULL;

		int st = cli_run_env(args, env, &out, &err);
		const char *e = err.data ? err.data : "";
		char want[80];

		/* cli_run() gives up after 10 s: a hang is not exit 1. */
		if (st != 1)
			fail_msg("step %s: exit %d, wanted 1\nstderr:\n%s",
			    cases[i].step, st, e);
		if (has_sanitizer_report(e))
			fail_msg("step %s: sanitizer report:\n%s",
			    cases[i].step, e);
		snprintf(want, sizeof(want), "step=%s error=\"cannot start\"",
		    cases[i].step);
		if (strstr(e, "holos: cannot start ") == NULL ||
		    strstr(e, want) == NULL)
			fail_msg("step %s: no message naming it\n%s",
			    cases[i].step, e);
		/* The steps before it started, it and those after did not. */
		for (size_t j = 0; j < NCASES; j++)
			if (log_started(e, cases[j].step) != (j < i))
				fail_msg("step %s failing: step %s %s\n%s",
				    cases[i].step, cases[j].step,
				    j < i ? "did not start" : "started", e);
		if (strstr(e, "event=stopped threads=1") == NULL)
			fail_msg("step %s: threads left running\n%s",
			    cases[i].step, e);
		long long failed_at = log_ms(e, want);
		long long stopped_at = log_ms(e, "event=stopped threads=");
		long long unwind = stopped_at - failed_at;
		if (unwind < 0)
			unwind += 86400000; /* past midnight */
		if (failed_at < 0 || stopped_at < 0 || unwind > UNWIND_MS)
			fail_msg("step %s: %lld ms from the failure to the end "
				 "of the unwinding\n%s",
			    cases[i].step, unwind, e);
		hbuf_free(&out);
		hbuf_free(&err);
	}
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_checked),
		cmocka_unit_test(test_every_step_covered),
		cmocka_unit_test(test_each_step_fails_cleanly),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, group_teardown));
}
