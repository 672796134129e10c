/* e2e_export.c - end-to-end tests of a petition's exports (`holos export`
 * and the dashboard's download, as CSV and JSON: who may have them, what
 * they never hold), of signatures on paper, and of the closure and victory
 * mail across a kill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
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
		/* The comment shown where the name is (social.md's consent). */
		sg.extra = signers[i].public_ ? "public_comment=1" : NULL;
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

/* ---- signatures on paper ---- */

/* POSTs body (the form token added) to path with c; returns the status
 * and the Location in *loc when not NULL. */
static long
post_form(struct client *c, const char *page, const char *path, const char *body)
{
	char *csrf = client_page_csrf(c, page);
	struct hbuf b = { 0 };
	struct resp r;
	hbuf_puts(&b, body);
	hbuf_puts(&b, "&csrf=");
	hbuf_puts(&b, csrf);
	assert_int_equal(client_post(c, path, b.data, b.len, NULL, &r),
	    CURLE_OK);
	long st = r.status;
	resp_free(&r);
	hbuf_free(&b);
	free(csrf);
	return st;
}

/* The paper_count of /api/v1/petitions/SLUG and of /p/SLUG.json, which
 * must agree; the online counts must stay online_want. */
static long
paper_count(long online_want)
{
	struct client *c = client_new(srv);
	struct resp r;
	json_t *a, *b;
	client_get_expect(c, "/api/v1/petitions/" SLUG, 200, &r);
	a = json_loads(r.body.data, 0, NULL);
	resp_free(&r);
	client_get_expect(c, "/p/" SLUG ".json", 200, &r);
	b = json_loads(r.body.data, 0, NULL);
	resp_free(&r);
	client_free(c);
	assert_non_null(a);
	assert_non_null(b);
	long n = (long)json_integer_value(json_object_get(a, "paper_count"));
	assert_int_equal(json_integer_value(json_object_get(b, "paper_count")),
	    n);
	assert_int_equal(json_integer_value(json_object_get(a, "count")),
	    online_want);
	assert_int_equal(json_integer_value(json_object_get(b, "count")),
	    online_want);
	json_decref(a);
	json_decref(b);
	return n;
}

static void
test_paper(void **state)
{
	(void)state;
	const char *page = "/me/p/" SLUG "/paper";
	const char *add = "/me/p/" SLUG "/paper";
	const char *rm = "/me/p/" SLUG "/paper/remove";
	struct client *st = client_signed_in(srv, STARTER, PASSWORD);
	struct client *mod = client_signed_in(srv, MODERATOR, PASSWORD);
	struct client *other = client_signed_in(srv, OTHER, PASSWORD);
	struct client *anon = client_new(srv);
	struct resp r;
	char body[2400], future[16], big[1100];

	assert_int_equal(paper_count(NSIGNERS), 0);
	/* Only the starter and moderators. */
	client_get_expect(other, page, 403, &r);
	resp_free(&r);
	client_get_expect(anon, page, 302, &r);
	resp_free(&r);
	client_get_expect(st, "/me/p/no-such-petition/paper", 404, &r);
	resp_free(&r);
	client_get_expect(st, "/me/p/" SLUG, 200, &r);
	assert_non_null(strstr(r.body.data, page));
	resp_free(&r);

	/* Hostile and out-of-range input: 4xx, nothing recorded. */
	time_t t = time(NULL) + 3 * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(future, sizeof future, "%Y-%m-%d", &tm);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	static const char *const bad_counts[] = { "0", "1000001", "12a", "-5",
		"1e3", "99999999999999999999", "" };
	for (size_t i = 0; i < sizeof bad_counts / sizeof *bad_counts; i++) {
		snprintf(body, sizeof body, "count=%s&day=2026-11-20&place=x",
		    bad_counts[i]);
		assert_int_equal(post_form(st, page, add, body), 422);
	}
	const char *bad_days[] = { future, "2026-02-30", "1989-12-31",
		"2026-1-05", "20261105", "", "2026-11-20T00:00" };
	for (size_t i = 0; i < sizeof bad_days / sizeof *bad_days; i++) {
		snprintf(body, sizeof body, "count=5&day=%s&place=x",
		    bad_days[i]);
		assert_int_equal(post_form(st, page, add, body), 422);
	}
	assert_int_equal(post_form(st, page, add, "count=5&day=2026-11-20"),
	    422);
	snprintf(body, sizeof body, "count=5&day=2026-11-20&place=%.201s", big);
	assert_int_equal(post_form(st, page, add, body), 422);
	snprintf(body, sizeof body,
	    "count=5&day=2026-11-20&place=x&note=%.1001s", big);
	assert_int_equal(post_form(st, page, add, body), 422);
	assert_int_equal(post_form(st, page, add,
			     "count=5&day=2026-11-20&place=%FF%FE"),
	    422);
	assert_int_equal(client_post(st, add, "count=5&day=2026-11-20&place=x",
			     30, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 403); /* no form token */
	resp_free(&r);
	assert_int_equal(post_form(other, "/me", add,
			     "count=5&day=2026-11-20&place=x"),
	    403);
	assert_int_equal(paper_count(NSIGNERS), 0);

	/* The starter records 120 at a rally, a moderator one more. */
	assert_int_equal(post_form(st, page, add,
			     "count=120&day=2026-11-20&place=%D0%9C%D0%B8%D1%82"
			     "%D0%B8%D0%BD%D0%B3+%3Cb%3E&note=box+1"),
	    303);
	assert_int_equal(post_form(mod, page, add,
			     "count=1&day=2026-11-21&place=Office"),
	    303);
	assert_int_equal(paper_count(NSIGNERS), 121);
	client_get_expect(st, page, 200, &r);
	assert_non_null(strstr(r.body.data, "Митинг &lt;b&gt;"));
	assert_non_null(strstr(r.body.data, "121 signatures on paper in all"));
	/* No remove form for a starter. */
	assert_null(strstr(r.body.data, "/paper/remove"));
	resp_free(&r);

	/* The page: online and paper apart, in each language. */
	static const struct {
		const char *lang, *want;
	} lines[] = {
		{ "en", "4 online + 121 signatures on paper" },
		{ "ru", "4 онлайн + 121 подпись на бумаге" },
		{ "uk", "4 онлайн + 121 підпис на папері" },
	};
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof path, "/p/%s?lang=%s", SLUG,
		    lines[i].lang);
		client_get_expect(anon, path, 200, &r);
		if (strstr(r.body.data, lines[i].want) == NULL)
			fail_msg("no \"%s\" on the %s page", lines[i].want,
			    lines[i].lang);
		resp_free(&r);
	}

	/* A moderator removes the rally's batch, with a reason. The latest
	 * day comes first: the rally's (day 20) is the second form. */
	client_get_expect(mod, page, 200, &r);
	const char *key = "name=\"batch\" value=\"";
	char *id = strstr(r.body.data, key);
	assert_non_null(id);
	id = strstr(id + 1, key);
	assert_non_null(id);
	long rally = atol(id + strlen(key));
	resp_free(&r);
	snprintf(body, sizeof body, "batch=%ld", rally);
	assert_int_equal(post_form(mod, page, rm, body), 422); /* no reason */
	snprintf(body, sizeof body, "batch=%ld&reason=Counted+twice", rally);
	assert_int_equal(post_form(st, page, rm, body), 403); /* a starter */
	assert_int_equal(post_form(mod, page, rm, "batch=abc&reason=x"), 400);
	assert_int_equal(post_form(mod, page, rm, "batch=999999&reason=x"), 404);
	assert_int_equal(post_form(mod, page, rm, body), 303);
	assert_int_equal(post_form(mod, page, rm, body), 404); /* once */
	assert_int_equal(paper_count(NSIGNERS), 1);

	/* Both batches and the removal are in the audit log. */
	client_get_expect(mod, "/admin", 200, &r);
	assert_int_equal(count_of(r.body.data, "paper_added"), 2);
	assert_int_equal(count_of(r.body.data, "paper_removed"), 1);
	assert_non_null(strstr(r.body.data, "Counted twice"));
	resp_free(&r);

	client_free(st);
	client_free(mod);
	client_free(other);
	client_free(anon);
}

/* ---- a paper batch's scanned file ---- */

#define MULTIPART HARNESS_MULTIPART
#define OTHER_SLUG "export-other-park"
#define SCAN_MAX (10 * 1024 * 1024)

/* A batch as multipart/form-data: count, day, place and the form token
 * (left out when NULL), then the file "scan" (left out when data is NULL;
 * filename may be empty, as a browser sends no file chosen). */
static void
scan_body(struct hbuf *b, const char *csrf, const char *count,
    const char *filename, const void *data, size_t len)
{
	multipart_field(b, "count", count);
	multipart_field(b, "day", "2026-11-25");
	multipart_field(b, "place", "Market square");
	if (csrf != NULL)
		multipart_field(b, "csrf", csrf);
	/* The name and type a client claims count for nothing. */
	if (data != NULL)
		multipart_file(b, "scan", filename, "application/pdf", data,
		    len);
	multipart_end(b);
}

/* Sends a batch of count with the file data from c in lang; returns the
 * status, the reply in *r. */
static long
scan_post(struct client *c, const char *lang, const char *count,
    const char *filename, const void *data, size_t len, struct resp *r)
{
	char *csrf = client_page_csrf(c, "/me/p/" SLUG "/paper");
	struct hbuf b = { 0 };
	char path[128];

	assert_non_null(csrf);
	scan_body(&b, csrf, count, filename, data, len);
	snprintf(path, sizeof path, "/me/p/%s/paper?lang=%s", SLUG, lang);
	assert_int_equal(client_post(c, path, b.data, b.len, MULTIPART, r),
	    CURLE_OK);
	hbuf_free(&b);
	free(csrf);
	return r->status;
}

/* A batch that must be refused with status and the message key in lang;
 * nothing recorded. */
static void
scan_refused(struct client *c, const char *lang, const void *data, size_t len,
    const char *filename, long status, const char *key)
{
	struct resp r;
	long before = paper_count(NSIGNERS);

	if (scan_post(c, lang, "7", filename, data, len, &r) != status)
		fail_msg("%s: %ld, not %ld", key, r.status, status);
	assert_page_shows(r.body.data, lang, key);
	resp_free(&r);
	assert_int_equal(paper_count(NSIGNERS), before);
}

/* The id of the newest batch whose row shows text, from the paper page. */
static long
batch_with(struct client *c, const char *text)
{
	struct resp r;
	client_get_expect(c, "/me/p/" SLUG "/paper", 200, &r);
	const char *at = strstr(r.body.data, text);
	assert_non_null(at);
	/* The row's id="paper-ID" comes before its cells. */
	const char *row = NULL;
	for (const char *p = r.body.data;
	     (p = strstr(p, "<tr id=\"paper-")) && p < at; p++)
		row = p;
	assert_non_null(row);
	long id = atol(row + strlen("<tr id=\"paper-"));
	resp_free(&r);
	return id;
}

/* GETs batch id's scan of slug with c: the status, the reply in *r. */
static long
scan_get(struct client *c, const char *slug, const char *batch, struct resp *r)
{
	char path[256];
	snprintf(path, sizeof path, "/me/p/%s/paper/scan?batch=%s", slug, batch);
	assert_int_equal(client_get(c, path, r), CURLE_OK);
	return r->status;
}

/* The scan of batch id downloaded by c: the bytes and the headers. */
static void
scan_check_download(struct client *c, long id, const char *mime,
    const char *ext, const void *want, size_t len)
{
	char batch[32], disp[160];
	struct resp r;

	snprintf(batch, sizeof batch, "%ld", id);
	assert_int_equal(scan_get(c, SLUG, batch, &r), 200);
	char *ct = resp_header(&r, "Content-Type");
	char *cd = resp_header(&r, "Content-Disposition");
	char *ns = resp_header(&r, "X-Content-Type-Options");
	char *cc = resp_header(&r, "Cache-Control");
	assert_string_equal(ct, mime);
	snprintf(disp, sizeof disp, "attachment; filename=\"%s-paper-%ld.%s\"",
	    SLUG, id, ext);
	assert_string_equal(cd, disp);
	assert_string_equal(ns, "nosniff");
	assert_string_equal(cc, "no-store");
	assert_int_equal(r.body.len, len);
	assert_memory_equal(r.body.data, want, len);
	free(ct);
	free(cd);
	free(ns);
	free(cc);
	resp_free(&r);
}

static void
test_paper_scan(void **state)
{
	(void)state;
	static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer "
				  "<< >>\n%%EOF\n";
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
		0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0,
		0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55, 0, 0, 0, 0, 'I',
		'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
	static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16,
		'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9 };
	struct client *st = client_signed_in(srv, STARTER, PASSWORD);
	struct client *mod = client_signed_in(srv, MODERATOR, PASSWORD);
	struct client *other = client_signed_in(srv, OTHER, PASSWORD);
	struct client *anon = client_new(srv);
	struct resp r;
	long base = paper_count(NSIGNERS);

	/* The form sends files. */
	client_get_expect(st, "/me/p/" SLUG "/paper", 200, &r);
	assert_non_null(strstr(r.body.data, "enctype=\"multipart/form-data\""));
	assert_non_null(strstr(r.body.data, "name=\"scan\" type=\"file\""));
	resp_free(&r);

	/* A PDF from the starter, a PNG from a moderator under a name that
	 * is not UTF-8 (never kept), a JPEG; a form with no file chosen. */
	assert_int_equal(scan_post(st, "en", "11", "sheets.pdf", pdf,
			     sizeof pdf - 1, &r),
	    303);
	resp_free(&r);
	assert_int_equal(scan_post(mod, "ru", "12", "\xff\xfe/../x.png", png,
			     sizeof png, &r),
	    303);
	resp_free(&r);
	assert_int_equal(scan_post(st, "uk", "13", "a.jpg", jpeg, sizeof jpeg,
			     &r),
	    303);
	resp_free(&r);
	assert_int_equal(scan_post(st, "en", "14", "", "", 0, &r), 303);
	resp_free(&r);
	assert_int_equal(paper_count(NSIGNERS), base + 50);
	client_get_expect(st, "/me/p/" SLUG "/paper", 200, &r);
	assert_int_equal(count_of(r.body.data, "/paper/scan?batch="), 3);
	resp_free(&r);

	/* Hostile files: refused in the sender's language, nothing kept. */
	scan_refused(st, "ru", "GIF89a\x01\x00\x01\x00%%EOF", 16, "x.pdf", 422,
	    "paper_err_scan_type");
	scan_refused(st, "uk", "<html>%PDF-1.4 %%EOF</html>", 27, "x.pdf", 422,
	    "paper_err_scan_type");
	/* Cut short: a PDF without its end, a PNG without IEND, a JPEG
	 * without its end marker. */
	scan_refused(st, "en", pdf, sizeof pdf / 2, "x.pdf", 422,
	    "paper_err_scan_type");
	scan_refused(st, "ru", png, sizeof png - 6, "x.png", 422,
	    "paper_err_scan_type");
	scan_refused(st, "uk", jpeg, sizeof jpeg - 2, "x.jpg", 422,
	    "paper_err_scan_type");
	scan_refused(st, "en", "", 0, "empty.pdf", 422, "paper_err_scan_empty");
	scan_refused(st, "ru", "", 0, "\xc3\x28", 422, "paper_err_scan_empty");
	{
		/* One byte over 10 MB, a real PDF's start and end. */
		size_t n = SCAN_MAX + 1;
		char *big = malloc(n);
		assert_non_null(big);
		memset(big, ' ', n);
		memcpy(big, "%PDF-1.4\n", 9);
		memcpy(big + n - 6, "%%EOF\n", 6);
		scan_refused(st, "uk", big, n, "big.pdf", 422,
		    "paper_err_scan_size");
		/* Exactly 10 MB is taken, and comes back whole. */
		memcpy(big + n - 7, "%%EOF\n", 6);
		assert_int_equal(scan_post(st, "en", "15", "big.pdf", big,
				     n - 1, &r),
		    303);
		resp_free(&r);
		long id = batch_with(st, "<td>15</td>");
		scan_check_download(mod, id, "application/pdf", "pdf", big,
		    n - 1);
		free(big);
		/* A body past the route's limit: 413 before it is read. */
		char *huge = malloc(12 << 20);
		assert_non_null(huge);
		memset(huge, 'a', 12 << 20);
		assert_int_equal(client_post(st, "/me/p/" SLUG "/paper", huge,
				     12 << 20, MULTIPART, &r),
		    CURLE_OK);
		assert_int_equal(r.status, 413);
		resp_free(&r);
		free(huge);
		client_free(st);
		st = client_signed_in(srv, STARTER, PASSWORD);
	}
	{
		/* A body that ends inside the file; a boundary never met;
		 * no form token. */
		char *csrf = client_page_csrf(st, "/me/p/" SLUG "/paper");
		struct hbuf b = { 0 };
		long before = paper_count(NSIGNERS);
		scan_body(&b, csrf, "9", "x.pdf", pdf, sizeof pdf - 1);
		assert_int_equal(client_post(st, "/me/p/" SLUG "/paper?lang=ru",
				     b.data, b.len - 30, MULTIPART, &r),
		    CURLE_OK);
		assert_int_equal(r.status, 400);
		assert_page_shows(r.body.data, "ru", "paper_err_upload");
		resp_free(&r);
		assert_int_equal(client_post(st, "/me/p/" SLUG "/paper", b.data,
				     b.len,
				     "multipart/form-data; boundary=other", &r),
		    CURLE_OK);
		assert_true(r.status >= 400 && r.status < 500);
		resp_free(&r);
		hbuf_free(&b);
		scan_body(&b, NULL, "9", "x.pdf", pdf, sizeof pdf - 1);
		assert_int_equal(client_post(st, "/me/p/" SLUG "/paper", b.data,
				     b.len, MULTIPART, &r),
		    CURLE_OK);
		assert_int_equal(r.status, 403);
		resp_free(&r);
		hbuf_free(&b);
		free(csrf);
		assert_int_equal(paper_count(NSIGNERS), before);
	}

	/* Downloads: the starter's and the moderator's, byte for byte. */
	long pdf_id = batch_with(st, "<td>11</td>");
	long png_id = batch_with(mod, "<td>12</td>");
	long jpeg_id = batch_with(st, "<td>13</td>");
	long none_id = batch_with(st, "<td>14</td>");
	scan_check_download(st, pdf_id, "application/pdf", "pdf", pdf,
	    sizeof pdf - 1);
	scan_check_download(mod, pdf_id, "application/pdf", "pdf", pdf,
	    sizeof pdf - 1);
	scan_check_download(st, png_id, "image/png", "png", png, sizeof png);
	scan_check_download(mod, jpeg_id, "image/jpeg", "jpg", jpeg,
	    sizeof jpeg);

	/* Nobody else: the public, another starter, on the petition or with
	 * the batch id on their own petition; ids that are not there. */
	char id[32];
	snprintf(id, sizeof id, "%ld", pdf_id);
	assert_int_equal(scan_get(anon, SLUG, id, &r), 302);
	assert_true(r.body.len == 0 ||
	    memmem(r.body.data, r.body.len, "%PDF", 4) == NULL);
	resp_free(&r);
	assert_int_equal(scan_get(other, SLUG, id, &r), 403);
	resp_free(&r);
	{
		char path[400], src[512];
		snprintf(path, sizeof path, "%s/%s.md", srv->root, OTHER_SLUG);
		snprintf(src, sizeof src,
		    "---\ntitle: Another park\nto: City Council\ngoal: 100\n"
		    "lang: en\nslug: %s\n---\nText.\n",
		    OTHER_SLUG);
		assert_int_equal(write_file(path, src, strlen(src)), 0);
		const char *argv[] = { "import", "--data", srv->data, "--owner",
			OTHER, path, NULL };
		assert_int_equal(cli_run(argv, NULL, NULL), 0);
	}
	assert_int_equal(scan_get(other, OTHER_SLUG, id, &r), 404);
	resp_free(&r);
	assert_int_equal(scan_get(mod, OTHER_SLUG, id, &r), 404);
	resp_free(&r);
	snprintf(id, sizeof id, "%ld", none_id);
	assert_int_equal(scan_get(st, SLUG, id, &r), 404);
	resp_free(&r);
	static const char *const bad_ids[] = { "abc", "0", "-1", "999999999",
		"1%00", "99999999999999999999", "" };
	for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
		assert_int_equal(scan_get(st, SLUG, bad_ids[i], &r), 404);
		resp_free(&r);
	}

	/* holos backup (SQLite; PostgreSQL has pg_dump) holds the scans:
	 * they are rows of the database. */
	if (harness_pg() == NULL) {
		char dest[400], db[450];
		struct hbuf copy = { 0 };
		snprintf(dest, sizeof dest, "%s/paper-backup", srv->root);
		const char *argv[] = { "backup", "--data", srv->data, dest,
			NULL };
		assert_int_equal(cli_run(argv, NULL, NULL), 0);
		snprintf(db, sizeof db, "%s/holos.db", dest);
		assert_int_equal(slurp(db, &copy), 0);
		assert_non_null(memmem(copy.data, copy.len, png, sizeof png));
		assert_non_null(
		    memmem(copy.data, copy.len, pdf, sizeof pdf - 1));
		hbuf_free(&copy);
	}

	/* A removed batch's scan goes with it. */
	snprintf(id, sizeof id, "%ld", pdf_id);
	char body[96];
	snprintf(body, sizeof body, "batch=%ld&reason=Duplicate+sheets", pdf_id);
	assert_int_equal(post_form(mod, "/me/p/" SLUG "/paper",
			     "/me/p/" SLUG "/paper/remove", body),
	    303);
	assert_int_equal(scan_get(st, SLUG, id, &r), 404);
	resp_free(&r);
	assert_int_equal(scan_get(mod, SLUG, id, &r), 404);
	resp_free(&r);
	if (harness_pg() != NULL) {
		char sql[128];
		snprintf(sql, sizeof sql,
		    "SELECT COUNT(*) FROM paper_scans WHERE batch_id = %ld",
		    pdf_id);
		assert_int_equal(pg_scalar(srv->db, sql), 0);
	}

	client_free(st);
	client_free(mod);
	client_free(other);
	client_free(anon);
}

/* ---- the dashboard's signers.csv, streamed by the exports' code ---- */

/* The CSV cells of one line of csv starting at line (up to its CRLF),
 * each checked: a cell quoted, its first character never one a
 * spreadsheet takes for a formula unless an apostrophe comes first.
 * Returns how many cells. */
static int
cells_formula_safe(const char *line)
{
	int n = 0;
	const char *p = line;

	for (;;) {
		n++;
		if (*p == '"') {
			p++;
			if (strchr("=+-@\t\r", *p) != NULL && *p != '\0')
				fail_msg("a formula in a cell: %.60s", p);
			for (;; p++) {
				assert_true(*p != '\0');
				if (p[0] == '"' && p[1] == '"')
					p++;
				else if (p[0] == '"')
					break;
			}
			p++;
		} else {
			/* Only a number or a day is unquoted. */
			while (*p != ',' && *p != '\r' && *p != '\0') {
				assert_true(strchr("0123456789-", *p) != NULL);
				p++;
			}
		}
		if (*p != ',')
			break;
		p++;
	}
	assert_true(p[0] == '\r' && p[1] == '\n');
	return n;
}

static void
test_signers_csv(void **state)
{
	(void)state;
	/* Two more who show their name, each a formula of another kind. */
	static const char *const firsts[] = { "-2+3", "+SUM(A1:A9)" };
	for (size_t i = 0; i < 2; i++) {
		char email[64];
		snprintf(email, sizeof email, "export-f%zu@example.org", i);
		struct signer sg = signer_default(email);
		sg.first_name = firsts[i];
		sg.last_name = i == 0 ? "@Mention" : "=1+1";
		sg.country = "NL";
		sg.public_ = "1";
		assert_int_equal(sign_fresh(srv, SLUG, &sg, NULL, NULL), 303);
	}
	struct client *st = client_signed_in(srv, STARTER, PASSWORD);
	struct resp r, e;
	client_get_expect(st, "/me/p/" SLUG "/signers.csv", 200, &r);
	/* Made as it is sent: chunked, no length known before. */
	char *te = resp_header(&r, "Transfer-Encoding");
	char *cl = resp_header(&r, "Content-Length");
	char *ct = resp_header(&r, "Content-Type");
	char *cd = resp_header(&r, "Content-Disposition");
	assert_non_null(te);
	assert_string_equal(te, "chunked");
	assert_null(cl);
	assert_string_equal(ct, "text/csv; charset=utf-8");
	assert_string_equal(cd, "attachment; filename=\"" SLUG "-signers.csv\"");
	free(te);
	free(cl);
	free(ct);
	free(cd);
	const char *csv = r.body.data;
	const char *head =
	    "\"Number\",\"First name\",\"Last name\",\"Country\",\"Signed\"\r\n";
	assert_true(strncmp(csv, head, strlen(head)) == 0);
	/* The five who agreed to show their name; never the withheld one,
	 * a comment or an address. */
	assert_int_equal(count_of(csv, "\r\n"), 1 + 5);
	static const char *const rows[] = {
		"1,\"'=HYPERLINK(\"\"http://evil.example/\"\";\"\"x\"\")\","
		"\"Formula\",\"DE\",",
		"2,\"Олена\",\"Коваленко-Шевчук\",\"UA\",",
		"4,\"Anna\",\"'@Shown\",\"FR\",",
		"5,\"'-2+3\",\"'@Mention\",\"NL\",",
		"6,\"'+SUM(A1:A9)\",\"'=1+1\",\"NL\",",
	};
	client_get_expect(st, "/me/p/" SLUG "/export.csv", 200, &e);
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const char *line = strstr(csv, rows[i]);
		if (line == NULL || (line != csv && line[-1] != '\n'))
			fail_msg("no line %s in:\n%s", rows[i], csv);
		const char *d = line + strlen(rows[i]);
		assert_true(d[4] == '-' && d[7] == '-' && d[10] == '\r' &&
		    d[11] == '\n');
		/* The same cells as the export's row, which adds the
		 * comment. */
		const char *x = strstr(e.body.data, rows[i]);
		assert_non_null(x);
		assert_memory_equal(x, line, strlen(rows[i]) + 10);
		assert_int_equal(x[strlen(rows[i]) + 10], ',');
	}
	for (const char *p = csv; *p != '\0'; p = strstr(p, "\r\n") + 2)
		assert_int_equal(cells_formula_safe(p), 5);
	assert_null(strstr(csv, "Withheld"));
	assert_null(strstr(csv, "secret remark"));
	assert_null(strstr(csv, "plain words"));
	assert_null(strstr(csv, "@example"));
	resp_free(&e);
	resp_free(&r);
	/* In the reader's language. */
	client_get_expect(st, "/me/p/" SLUG "/signers.csv?lang=ru", 200, &r);
	char *num = catalogue_lang("ru", "me_csv_number");
	assert_non_null(num);
	assert_true(strncmp(r.body.data + 1, num, strlen(num)) == 0);
	free(num);
	resp_free(&r);
	client_free(st);
}

/* ---- the end mail: closure and victory, once, across a kill ---- */

#define WAIT_MS 30000
#define END_A "end-a@example.org" /* asked for updates */
#define END_B "end-b@example.org" /* asked for updates */
#define END_C "end-c@example.org" /* did not */
#define END_CLOSED "end-closed"
#define END_WON "end-won"
#define VICTORY_NOTE "The council kept the park."

static struct mailworld mw;

static int
mails_to(const char *rcpt)
{
	int k = 0;
	while (maildir_find_nth(&mw.mail, rcpt, k + 1, 0) > 0)
		k++;
	return k;
}

/* How many distinct messages (by Message-ID) reached rcpt, each the
 * closure of END_CLOSED or the victory of END_WON; *won (may be NULL)
 * gets how many of them are the victory's. Fails on anything else. */
static int
end_distinct(const char *rcpt, int *won)
{
	char ids[16][256];
	int n = 0, k, i, w = 0;

	for (k = 1; (i = maildir_find_nth(&mw.mail, rcpt, k, 0)) > 0; k++) {
		json_t *m = mail_parse(&mw.mail, i);
		assert_non_null(m);
		const char *id = mail_header(m, "message-id");
		const char *text = mail_part(m, "text/plain");
		assert_non_null(id);
		assert_non_null(text);
		bool victory = strstr(text, VICTORY_NOTE) != NULL;
		if (!victory && strstr(text, "The end of " END_CLOSED) == NULL)
			fail_msg("an unexpected mail to %s:\n%s", rcpt, text);
		int seen = 0;
		for (int j = 0; j < n; j++)
			seen |= strcmp(ids[j], id) == 0;
		if (!seen) {
			assert_true(n < 16);
			snprintf(ids[n++], sizeof ids[0], "%s", id);
			w += victory;
		}
		json_decref(m);
	}
	if (won != NULL)
		*won = w;
	return n;
}

static void
end_import(const char *slug)
{
	char path[400], src[512];
	snprintf(path, sizeof path, "%s/%s.md", mw.srv.root, slug);
	snprintf(src, sizeof src,
	    "---\ntitle: The end of %s\nto: City Council\ngoal: 100\n"
	    "lang: en\nslug: %s\n---\nText.\n",
	    slug, slug);
	assert_int_equal(write_file(path, src, strlen(src)), 0);
	const char *argv[] = { "import", "--data", mw.srv.data, "--owner",
		STARTER, path, NULL };
	assert_int_equal(cli_run(argv, NULL, NULL), 0);
	static const char *const who[] = { END_A, END_B, END_C };
	for (int i = 0; i < 3; i++) {
		struct signer sg = signer_default(who[i]);
		sg.updates = i < 2 ? "1" : NULL;
		if (sign_fresh(&mw.srv, slug, &sg, NULL, NULL) != 303)
			fail_msg("signing %s as %s failed", slug, who[i]);
	}
}

static void
end_move(struct client *st, const char *slug, const char *action)
{
	char page[128], path[128];
	snprintf(page, sizeof page, "/me/p/%s", slug);
	snprintf(path, sizeof path, "/me/p/%s/state", slug);
	char *csrf = client_page_csrf(st, page);
	struct hbuf b = { 0 };
	struct resp r;
	form_add(&b, "action", action);
	if (strcmp(action, "victory") == 0)
		form_add(&b, "note", VICTORY_NOTE);
	form_add(&b, "confirm", "1");
	form_add(&b, "csrf", csrf);
	assert_int_equal(client_post(st, path, b.data, b.len, NULL, &r),
	    CURLE_OK);
	if (r.status != 303)
		fail_msg("%s %s: %ld", action, slug, r.status);
	resp_free(&r);
	hbuf_free(&b);
	free(csrf);
}

static void
test_end_mail(void **state)
{
	(void)state;
	/* One node name across restarts (a new port each time): it takes
	 * back at once what it was sending when it died. */
	const char *args[] = { COUNT_ON_SIGN, "--rate-limit", "off",
		"--min-form-seconds", "0", "--pow-bits", "0", "--node",
		"end-node", NULL };
	assert_int_equal(mailworld_start(&mw, args, NULL), 0);
	struct server *s = &mw.srv;
	assert_int_equal(harness_user_add(s, STARTER, "starter", PASSWORD), 0);
	end_import(END_CLOSED);
	end_import(END_WON);
	assert_int_equal(maildir_count(&mw.mail), 0);

	/* One closes, one wins; the server is killed at once, before (or
	 * while) the mail goes out. */
	struct client *st = client_signed_in(s, STARTER, PASSWORD);
	end_move(st, END_CLOSED, "close");
	end_move(st, END_WON, "victory");
	client_free(st);
	int status = 0;
	assert_int_equal(kill(s->pid, SIGKILL), 0);
	assert_true(waitpid(s->pid, &status, 0) > 0);
	s->pid = 0;
	assert_int_equal(server_start(s), 0);

	/* After the restart: each opted-in signer gets both, once. A
	 * message whose attempt the kill cut short may come again, with the
	 * same Message-ID (docs/architecture.md, Mail): one message. */
	long long until = now_ms() + WAIT_MS;
	while (end_distinct(END_A, NULL) + end_distinct(END_B, NULL) < 4 &&
	    now_ms() < until)
		pause_ms(200);
	(void)maildir_quiet(&mw.mail, maildir_count(&mw.mail), 3000);
	int won = 0;
	assert_int_equal(end_distinct(END_A, &won), 2);
	assert_int_equal(won, 1);
	assert_int_equal(end_distinct(END_B, &won), 2);
	assert_int_equal(won, 1);
	assert_int_equal(mails_to(END_C), 0);
	int total = maildir_count(&mw.mail);

	/* And across another restart, nothing again. */
	assert_int_equal(server_restart(s), 0);
	assert_int_equal(maildir_quiet(&mw.mail, total, 4000), total);
	mw.passed = true;
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
		cmocka_unit_test(test_paper),
		cmocka_unit_test(test_paper_scan),
		cmocka_unit_test(test_signers_csv),
		mailworld_test(test_end_mail, &mw),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, server_group_teardown));
}
