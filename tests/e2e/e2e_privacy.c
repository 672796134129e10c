/* e2e_privacy.c - end-to-end tests of how personal data is kept: the modes
 * of the data folder and the database files, the trial mode's mail files
 * removed after 7 days, and /metrics only for --metrics-allow. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct server *srv;

/* The permission bits of path; -1 when it is not there. */
static int
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

/* Asserts path exists with exactly mode. */
static void
assert_mode(const char *path, int mode)
{
	int m = mode_of(path);

	if (m != mode)
		fprintf(stderr, "%s: mode %o, expected %o\n", path, m, mode);
	assert_int_equal(m, mode);
}

/* The names of the .eml files in dir, n at most, into names[]; returns
 * how many. */
static int
mail_files(const char *dir, char names[][300], int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		size_t len = strlen(de->d_name);

		if (len > 4 && strcmp(de->d_name + len - 4, ".eml") == 0)
			snprintf(names[n++], 300, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	return n;
}

/* Sets path's times to days ago. */
static void
age_file(const char *path, int days)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)days * 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Signs the seed petition as email (pending: a confirmation mail is
 * written to DATA/outbox). */
static void
sign_as(const struct server *s, const char *email)
{
	struct signer who = signer_default(email);

	assert_int_equal(sign_fresh(s, SEED_SLUG, &who, NULL, NULL), 303);
}

/* Waits (ms at most) until dir holds n .eml files; returns how many. */
static int
mail_files_wait(const char *dir, int n, long ms)
{
	char names[16][300];
	long long end = now_ms() + ms;
	int got;

	while ((got = mail_files(dir, names, 16)) != n && now_ms() < end)
		pause_ms(50);
	return got;
}

/* The data folder, the database and its WAL, the key and the mail files
 * are the owner's only: made so, and made so again when found otherwise. */
static void
test_file_modes(void **state)
{
	(void)state;
	struct server *s = srv;
	char path[400], outbox[400], names[4][300];

	sign_as(s, "modes@example.org");
	snprintf(outbox, sizeof outbox, "%s/outbox", s->data);
	assert_int_equal(mail_files_wait(outbox, 1, 10000), 1);
	assert_mode(s->data, 0700);
	assert_mode(outbox, 0700);
	assert_int_equal(mail_files(outbox, names, 4), 1);
	assert_mode(names[0], 0600);
	snprintf(path, sizeof path, "%s/secret.key", s->data);
	assert_mode(path, 0600);
	if (harness_pg() == NULL) {
		snprintf(path, sizeof path, "%s/holos.db", s->data);
		assert_mode(path, 0600);
		snprintf(path, sizeof path, "%s/holos.db-wal", s->data);
		assert_mode(path, 0600);
		/* A file an older holos left readable by others. */
		assert_int_equal(server_stop(s), 0);
		snprintf(path, sizeof path, "%s/holos.db", s->data);
		assert_int_equal(chmod(path, 0644), 0);
		assert_int_equal(server_start(s), 0);
		assert_mode(path, 0600);
	}
}

/* Without --smtp mail goes to DATA/outbox as .eml files; a file older than 7
 * days is removed by `holos purge` and by a serving holos, a newer one kept. */
static void
test_mail_files_expire(void **state)
{
	(void)state;
	struct server *s = srv;
	char outbox[400], names[4][300], kept[300];
	struct hbuf out = { 0 }, err = { 0 };

	/* test_file_modes's signer wrote the first. */
	snprintf(outbox, sizeof outbox, "%s/outbox", s->data);
	sign_as(s, "new-mail@example.org");
	assert_int_equal(mail_files_wait(outbox, 2, 10000), 2);
	assert_int_equal(server_stop(s), 0);

	assert_int_equal(mail_files(outbox, names, 4), 2);
	age_file(names[0], 8);
	age_file(names[1], 6);
	snprintf(kept, sizeof kept, "%s", names[1]);
	const char *purge[] = { "purge", "--data", s->data, NULL };
	assert_int_equal(cli_run(purge, &out, &err), 0);
	assert_non_null(strstr(out.data, "removed 1 mail file"));
	assert_int_equal(mail_files(outbox, names, 4), 1);
	assert_string_equal(names[0], kept);
	hbuf_free(&out);
	hbuf_free(&err);

	/* A serving holos sweeps at start, then hourly. */
	age_file(kept, 7);
	assert_int_equal(server_start(s), 0);
	assert_int_equal(mail_files_wait(outbox, 0, 10000), 0);
}

/* GETs /metrics from 127.0.0.1 with an X-Forwarded-For (NULL: none);
 * returns the status. */
static long
metrics_status(const struct server *s, const char *xff)
{
	struct client *c = client_new(s);
	char header[128];
	const char *headers[] = { header, NULL };
	struct resp r;
	long status;

	snprintf(header, sizeof header, "X-Forwarded-For: %s", xff ? xff : "");
	client_get_headers(c, "/metrics", xff ? headers : NULL, &r);
	status = r.status;
	if (status == 200)
		assert_non_null(
		    strstr(r.body.data, "holos_http_requests_total"));
	else
		assert_null(strstr(r.body.data, "holos_http_requests_total"));
	resp_free(&r);
	client_free(c);
	return status;
}

/* Behind a trusted proxy the client the proxy names counts, not the proxy:
 * a proxy on 127.0.0.1 must not open /metrics to everyone it forwards. */
static void
test_metrics_allow(void **state)
{
	(void)state;
	static const char *const args[] = { "--metrics-allow",
		"10.0.0.0/8,2001:db8::/32", "--trusted-proxy", "127.0.0.1",
		NULL };
	struct server *s = server_new_seeded(args);

	assert_non_null(s);
	assert_int_equal(metrics_status(s, NULL), 404);
	assert_int_equal(metrics_status(s, "10.1.2.3"), 200);
	assert_int_equal(metrics_status(s, "2001:db8::7"), 200);
	assert_int_equal(metrics_status(s, "203.0.113.5"), 404);
	/* Only the last hop counts: a client's own entries are forged. */
	assert_int_equal(metrics_status(s, "10.1.2.3, 203.0.113.5"), 404);
	assert_int_equal(server_free(s), 0);
}

/* A bad list is a usage error naming the flag or the variable. */
static void
test_metrics_allow_bad(void **state)
{
	(void)state;
	static const char *const bad[] = { "10.0.0.0/33", "10.0.0.1,,::1",
		"localhost" };
	struct hbuf out = { 0 }, err = { 0 };
	char dir[] = "/tmp/holos-privacy-XXXXXX";

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { "serve", "--data", dir,
			"--metrics-allow", bad[i], NULL };

		assert_int_equal(cli_run(argv, &out, &err), 2);
		assert_non_null(strstr(err.data, "--metrics-allow"));
		hbuf_free(&out);
		hbuf_free(&err);
	}
	const char *argv[] = { "serve", "--data", dir, NULL };
	const char *env[] = { "HOLOS_METRICS_ALLOW=10.0.0.0/99", NULL };
	assert_int_equal(cli_run_env(argv, env, &out, &err), 2);
	assert_non_null(strstr(err.data, "HOLOS_METRICS_ALLOW"));
	hbuf_free(&out);
	hbuf_free(&err);
	rmdir(dir);
}

int
main(void)
{
	/* One server for the files, in this order. */
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_mail_files_expire),
	};
	const struct CMUnitTest others[] = {
		cmocka_unit_test(test_metrics_allow),
		cmocka_unit_test(test_metrics_allow_bad),
	};
	int failed;

	server_group(&srv, NULL, NULL);
	failed = cmocka_run_group_tests(files, server_group_setup,
	    server_group_teardown);
	failed += cmocka_run_group_tests(others, NULL, NULL);
	return harness_finish(failed);
}
