/* e2e_ops.c - end-to-end tests of what operators rely on: /metrics, the
 * migrate command, a database newer than the binary, graceful shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct server *srv;

/* The value of the first sample line starting with name in a Prometheus
 * text body; -1 when absent. */
static double
metric(const char *body, const char *name)
{
	const char *p = body;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == body || p[-1] == '\n') &&
		    (p[n] == ' ' || p[n] == '{')) {
			const char *sp = strchr(p, ' ');
			return sp ? strtod(sp + 1, NULL) : -1;
		}
		p += n;
	}
	return -1;
}

static void
test_metrics(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct signer s = signer_default("metrics@example.org");
	struct resp r;

	assert_int_equal(client_sign(c, SEED_SLUG, &s, &r), 303);
	resp_free(&r);
	client_get(c, "/metrics", &r);
	assert_int_equal(r.status, 200);
	char *ct = resp_header(&r, "Content-Type");
	assert_non_null(ct);
	assert_non_null(strstr(ct, "text/plain"));
	free(ct);
	/* Requests by route and status, writes, batches, queue, latency. */
	assert_non_null(strstr(r.body.data,
	    "holos_http_requests_total{route=\"sign\",status=\"303\"} 1\n"));
	assert_non_null(strstr(r.body.data,
	    "holos_http_requests_total{route=\"petition\",status=\"200\"}"));
	assert_true(
	    metric(r.body.data, "holos_signatures_committed_total") >= 1);
	assert_true(metric(r.body.data, "holos_batch_size_count") >= 1);
	assert_true(metric(r.body.data, "holos_commit_seconds_count") >= 1);
	assert_true(metric(r.body.data, "holos_commit_seconds_sum") > 0);
	assert_true(metric(r.body.data, "holos_signq_depth") == 0);
	assert_true(metric(r.body.data, "holos_signq_capacity") > 0);
	assert_non_null(
	    strstr(r.body.data, "# TYPE holos_commit_seconds histogram"));
	resp_free(&r);
	client_free(c);
}

static void
test_migrate_command(void **state)
{
	(void)state;
	struct hbuf out = { 0 }, err = { 0 };
	const char *argv[] = { "migrate", "--data", srv->data, NULL };

	assert_int_equal(cli_run(argv, &out, &err), 0);
	assert_non_null(strstr(out.data, "up to date"));
	hbuf_free(&out);
	hbuf_free(&err);
}

static void
test_newer_schema_refused(void **state)
{
	(void)state;
	char dir[512], db[600], cmd[1024];
	struct hbuf out = { 0 }, err = { 0 };

	/* A copy of a migrated database, marked with a future version. */
	snprintf(dir, sizeof dir, "%s/newer", srv->root);
	assert_int_equal(mkdir(dir, 0700), 0);
	const char *mig[] = { "migrate", "--data", dir, NULL };
	assert_int_equal(cli_run(mig, &out, &err), 0);
	hbuf_free(&out);
	hbuf_free(&err);
	snprintf(db, sizeof db, "%s/holos.db", dir);
	snprintf(cmd, sizeof cmd,
	    "sqlite3 '%s' \"INSERT INTO schema_migrations "
	    "VALUES (9999, '9999_future.sql', 0)\"",
	    db);
	assert_int_equal(system(cmd), 0);
	int rc = cli_run(mig, &out, &err);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(err.data, "newer than this holos"));
	hbuf_free(&out);
	hbuf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_migrate_command),
		cmocka_unit_test(test_newer_schema_refused),
	};
	static const char *const args[] = { COUNT_ON_SIGN, NULL };

	server_group(&srv, args, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
