/* e2e_export.c - end-to-end tests of a petition's exports: `holos export`
 * and the dashboard's download, as CSV and JSON, who may have them, and
 * what they never hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"
#define STARTER "export-starter@example.org"
#define OTHER "export-other@example.org"
#define MODERATOR "export-mod@example.org"
#define SLUG "export-park"
#define TITLE "Keep the Park Green"

static struct server *srv;
/* What `holos export` wrote, for the dashboard's to match. */
static char *cli_csv, *cli_json;

/* The signers: a formula for a name, a Cyrillic name, a name withheld
 * with a comment that must not leave, a comment that is a formula. */
static const struct {
	const char *first, *last, *email, *country, *comment;
	bool public_;
} signers[] = {
	{ "=HYPERLINK(\"http://evil.example/\";\"x\")", "Formula",
	    "export-a@example.org", "DE", "plain words", true },
	{ "Олена", "Коваленко-Шевчук", "export-b@example.org", "UA",
	    "Слава, \"мир\"", true },
	{ "Carl", "Withheld", "export-c@example.org", "PL", "secret remark",
	    false },
	{ "Anna", "@Shown", "export-d@example.org", "FR", "-2+3", true },
};
#define NSIGNERS (sizeof(signers) / sizeof(signers[0]))

static int
world(struct server *s)
{
	char path[400], src[512];

	if (harness_user_add(s, STARTER, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, OTHER, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, MODERATOR, "moderator", PASSWORD) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s.md", s->root, SLUG);
	snprintf(src, sizeof src,
	    "---\ntitle: %s\nto: City Council\ngoal: 100\nlang: en\n"
	    "slug: %s\n---\nNo car park on the green.\n",
	    TITLE, SLUG);
	if (write_file(path, src, strlen(src)) != 0)
		return -1;
	const char *argv[] = { "import", "--data", s->data, "--owner", STARTER,
		path, NULL };
	if (cli_run(argv, NULL, NULL) != 0)
		return -1;
	for (size_t i = 0; i < NSIGNERS; i++) {
		struct signer sg = signer_default(signers[i].email);
		sg.first_name = signers[i].first;
		sg.last_name = signers[i].last;
		sg.country = signers[i].country;
		sg.comment = signers[i].comment;
		sg.public_ = signers[i].public_ ? "1" : NULL;
		if (sign_fresh(s, SLUG, &sg, NULL, NULL) != 303)
			return -1;
	}
	return 0;
}

/* ---- a small RFC 4180 reader ---- */

#define MAXROWS 16
#define MAXCELLS 8

struct csv {
	char *cell[MAXROWS][MAXCELLS];
	int ncells[MAXROWS];
	int nrows;
};

/* Parses text strictly: every line ends in CRLF, quotes doubled inside
 * quoted cells. Fails the test on anything else. */
static void
csv_parse(const char *text, struct csv *c)
{
	const char *p = text;

	memset(c, 0, sizeof(*c));
	while (*p != '\0') {
		int row = c->nrows++;
		assert_true(row < MAXROWS);
		for (;;) {
			struct hbuf cell = { 0 };
			hbuf_puts(&cell, "");
			if (*p == '"') {
				p++;
				for (;;) {
					assert_true(*p != '\0');
					if (*p == '"' && p[1] == '"') {
						hbuf_append(&cell, "\"", 1);
						p += 2;
					} else if (*p == '"') {
						p++;
						break;
					} else
						hbuf_append(&cell, p++, 1);
				}
			} else {
				while (*p != ',' && *p != '\r' && *p != '\0') {
					assert_true(*p != '"' && *p != '\n');
					hbuf_append(&cell, p++, 1);
				}
			}
			assert_true(c->ncells[row] < MAXCELLS);
			c->cell[row][c->ncells[row]++] = cell.data;
			if (*p == ',') {
				p++;
				continue;
			}
			assert_true(p[0] == '\r' && p[1] == '\n');
			p += 2;
			break;
		}
	}
}

static void
csv_free(struct csv *c)
{
	for (int i = 0; i < c->nrows; i++)
		for (int j = 0; j < c->ncells[i]; j++)
			free(c->cell[i][j]);
}

/* What no export may hold. */
static void
check_private(const char *text)
{
	for (size_t i = 0; i < NSIGNERS; i++)
		if (strstr(text, signers[i].email) != NULL)
			fail_msg("an email address in an export:\n%s", text);
	assert_null(strstr(text, "@example.org"));
	assert_null(strstr(text, "Withheld"));
	assert_null(strstr(text, "secret remark"));
	assert_null(strstr(text, "127.0.0.1"));
}

static void
check_csv(const char *text)
{
	struct csv c;

	check_private(text);
	csv_parse(text, &c);
	assert_int_equal(c.nrows, 1 + (int)NSIGNERS);
	assert_string_equal(c.cell[0][0], "Number");
	assert_string_equal(c.cell[0][1], "First name");
	assert_string_equal(c.cell[0][5], "Comment");
	for (int i = 0; i < c.nrows; i++)
		assert_int_equal(c.ncells[i], 6);
	/* Rows in the order of signing, numbered from 1. */
	for (size_t i = 0; i < NSIGNERS; i++) {
		char n[8];
		snprintf(n, sizeof n, "%zu", i + 1);
		assert_string_equal(c.cell[i + 1][0], n);
		assert_string_equal(c.cell[i + 1][3], signers[i].country);
		assert_int_equal(strlen(c.cell[i + 1][4]), 10); /* YYYY-MM-DD */
	}
	/* A formula stays text. */
	assert_string_equal(c.cell[1][1],
	    "'=HYPERLINK(\"http://evil.example/\";\"x\")");
	assert_string_equal(c.cell[1][2], "Formula");
	assert_string_equal(c.cell[1][5], "plain words");
	/* Cyrillic as it was written, quotes kept. */
	assert_string_equal(c.cell[2][1], "Олена");
	assert_string_equal(c.cell[2][2], "Коваленко-Шевчук");
	assert_string_equal(c.cell[2][5], "Слава, \"мир\"");
	/* Withheld: no name, no comment, the rest. */
	assert_string_equal(c.cell[3][1], "");
	assert_string_equal(c.cell[3][2], "");
	assert_string_equal(c.cell[3][5], "");
	assert_string_equal(c.cell[4][2], "'@Shown");
	assert_string_equal(c.cell[4][5], "'-2+3");
	csv_free(&c);
}

static void
check_json(const char *text)
{
	json_error_t err;
	json_t *a, *o;

	check_private(text);
	if ((a = json_loads(text, 0, &err)) == NULL)
		fail_msg("the export is no JSON (%s at %d):\n%s", err.text,
		    err.line, text);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), NSIGNERS);
	for (size_t i = 0; i < NSIGNERS; i++) {
		o = json_array_get(a, i);
		assert_int_equal(json_integer_value(
				     json_object_get(o, "number")),
		    (json_int_t)(i + 1));
		assert_string_equal(json_string_value(
					json_object_get(o, "country")),
		    signers[i].country);
		assert_int_equal(strlen(json_string_value(
				     json_object_get(o, "signed"))),
		    10);
		assert_int_equal(json_object_size(o), 6);
		if (!signers[i].public_) {
			assert_true(
			    json_is_null(json_object_get(o, "first_name")));
			assert_true(
			    json_is_null(json_object_get(o, "last_name")));
			assert_true(json_is_null(json_object_get(o, "comment")));
			continue;
		}
		assert_string_equal(json_string_value(
					json_object_get(o, "first_name")),
		    signers[i].first);
		assert_string_equal(json_string_value(
					json_object_get(o, "last_name")),
		    signers[i].last);
		assert_string_equal(json_string_value(
					json_object_get(o, "comment")),
		    signers[i].comment);
	}
	json_decref(a);
}

/* `holos export` of SLUG in format; its stdout or --out file. */
static char *
cli_export(const char *format, bool to_file)
{
	char out[400];
	struct hbuf o = { 0 }, e = { 0 };
	snprintf(out, sizeof out, "%s/export.%s", srv->root, format);
	const char *with_out[] = { "export", SLUG, "--format", format, "--data",
		srv->data, "--out", out, NULL };
	const char *to_stdout[] = { "export", "--data", srv->data, SLUG,
		"--format", format, NULL };
	int rc = cli_run(to_file ? with_out : to_stdout, &o, &e);
	if (rc != 0)
		fail_msg("holos export: %d\n%s", rc, e.data ? e.data : "");
	/* Quiet when standard error is no terminal. */
	assert_true(e.len == 0 || strstr(e.data, "[#") == NULL);
	hbuf_free(&e);
	if (!to_file) {
		hbuf_puts(&o, "");
		return o.data;
	}
	hbuf_free(&o);
	assert_int_equal(slurp(out, &o), 0);
	unlink(out);
	return o.data;
}

static void
test_cli(void **state)
{
	(void)state;
	char *csv = cli_export("csv", true), *csv2 = cli_export("csv", false);
	check_csv(csv);
	assert_string_equal(csv, csv2);
	char *json = cli_export("json", true);
	check_json(json);
	cli_csv = csv;
	cli_json = json;
	free(csv2);

	/* Usage errors: 2; a petition that is not there: 1, no file left. */
	char out[400];
	snprintf(out, sizeof out, "%s/none.csv", srv->root);
	const char *bad_format[] = { "export", SLUG, "--format", "xml",
		"--data", srv->data, NULL };
	const char *bad_slug[] = { "export", "../etc", "--format", "csv",
		"--data", srv->data, NULL };
	const char *missing[] = { "export", "no-such-petition", "--format",
		"csv", "--data", srv->data, "--out", out, NULL };
	assert_int_equal(cli_run(bad_format, NULL, NULL), 2);
	assert_int_equal(cli_run(bad_slug, NULL, NULL), 2);
	assert_int_equal(cli_run(missing, NULL, NULL), 1);
	assert_int_equal(access(out, F_OK), -1);

	/* The heading in Russian with --lang ru. */
	struct hbuf o = { 0 }, e = { 0 };
	const char *ru[] = { "export", SLUG, "--format", "csv", "--lang", "ru",
		"--data", srv->data, NULL };
	if (cli_run(ru, &o, &e) != 0)
		fail_msg("holos export --lang ru: %s", e.data ? e.data : "");
	hbuf_free(&e);
	hbuf_puts(&o, "");
	const char *want = "\"Номер\",\"Имя\",\"Фамилия\"";
	assert_int_equal(strncmp(o.data, want, strlen(want)), 0);
	hbuf_free(&o);
}

/* GETs the export with c; the body into *body when 200. Returns the
 * status. */
static long
fetch(struct client *c, const char *slug, const char *ext, char **body)
{
	char url[256];
	struct resp r;
	snprintf(url, sizeof url, "/me/p/%s/export.%s", slug, ext);
	assert_int_equal(client_get(c, url, &r), CURLE_OK);
	long st = r.status;
	if (st == 200) {
		char *ct = resp_header(&r, "Content-Type");
		char *cd = resp_header(&r, "Content-Disposition");
		char *cc = resp_header(&r, "Cache-Control");
		assert_non_null(ct);
		assert_string_equal(ct,
		    strcmp(ext, "csv") == 0 ? "text/csv; charset=utf-8" :
					      "application/json");
		assert_non_null(cd);
		assert_non_null(strstr(cd, "attachment"));
		assert_string_equal(cc, "no-store");
		free(ct);
		free(cd);
		free(cc);
		hbuf_puts(&r.body, "");
		*body = strdup(r.body.data);
	}
	resp_free(&r);
	return st;
}

static void
test_dashboard(void **state)
{
	(void)state;
	char *csv = NULL, *json = NULL, *mcsv = NULL, *mjson = NULL;
	assert_non_null(cli_csv);
	assert_non_null(cli_json);
	struct client *st = client_signed_in(srv, STARTER, PASSWORD);
	struct client *mod = client_signed_in(srv, MODERATOR, PASSWORD);
	struct client *other = client_signed_in(srv, OTHER, PASSWORD);
	struct client *anon = client_new(srv);

	assert_int_equal(fetch(st, SLUG, "csv", &csv), 200);
	check_csv(csv);
	assert_string_equal(csv, cli_csv);
	assert_int_equal(fetch(st, SLUG, "json", &json), 200);
	check_json(json);
	assert_string_equal(json, cli_json);
	/* A moderator gets the same, nothing more. */
	assert_int_equal(fetch(mod, SLUG, "csv", &mcsv), 200);
	assert_string_equal(mcsv, csv);
	assert_int_equal(fetch(mod, SLUG, "json", &mjson), 200);
	assert_string_equal(mjson, json);
	/* Another starter, a visitor, no such petition. */
	assert_int_equal(fetch(other, SLUG, "csv", NULL), 403);
	assert_int_equal(fetch(other, SLUG, "json", NULL), 403);
	assert_int_equal(fetch(anon, SLUG, "csv", NULL), 302);
	assert_int_equal(fetch(st, "no-such-petition", "json", NULL), 404);
	assert_int_equal(fetch(st, "BAD..slug", "csv", NULL), 404);

	/* The dashboard links to both. */
	struct resp r;
	client_get_expect(st, "/me/p/" SLUG, 200, &r);
	assert_non_null(strstr(r.body.data, "/me/p/" SLUG "/export.csv"));
	assert_non_null(strstr(r.body.data, "/me/p/" SLUG "/export.json"));
	resp_free(&r);
	client_free(st);
	client_free(mod);
	client_free(other);
	client_free(anon);
	free(csv);
	free(json);
	free(mcsv);
	free(mjson);
	free(cli_csv);
	free(cli_json);
}

static int
group_setup(void **state)
{
	const char *extra[] = { COUNT_ON_SIGN, "--rate-limit", "off",
		"--min-form-seconds", "0", "--pow-bits", "0", NULL };
	server_group(&srv, extra, world);
	return server_group_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_dashboard),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, server_group_teardown));
}
