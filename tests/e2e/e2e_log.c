/* e2e_log.c - end-to-end tests of the verifiable log (docs/transparency.md)
 * through the real binary: signatures made with the real form appear as
 * leaves, `holos audit` agrees with the page's count before and after a
 * bulk invalidation, the API refuses hostile arguments with 400 JSON, a
 * tampered leaf or stored hash and a forked log make the audit fail. On
 * SQLite, and on PostgreSQL (with a second node) when HOLOS_TEST_PG is
 * set. */
#include <errno.h>
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
#include <jansson.h>

#include "harness.h"

static struct server *srv;

/* GETs path from s and parses the body as JSON (NULL when it is not). */
static json_t *
get_json(const struct server *s, const char *path, long *status,
    char **cache_control)
{
	struct client *c = client_new(s);
	struct resp r;
	json_t *o;

	client_get(c, path, &r);
	*status = r.status;
	if (cache_control != NULL)
		*cache_control = resp_header(&r, "Cache-Control");
	o = r.body.data != NULL ? json_loads(r.body.data, 0, NULL) : NULL;
	resp_free(&r);
	client_free(c);
	return o;
}

static long long
json_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* The page's count and log size. */
static void
page_numbers(const struct server *s, long long *count, long long *log_size)
{
	char path[256];
	long status;
	json_t *o;

	snprintf(path, sizeof path, "/p/%s.json", SEED_SLUG);
	o = get_json(s, path, &status, NULL);
	assert_int_equal(status, 200);
	assert_non_null(o);
	*count = json_num(o, "count");
	*log_size = json_num(o, "log_size");
	json_decref(o);
}

/* The newest signed head's size. */
static long long
sth_size(const struct server *s)
{
	char path[256];
	long status;
	long long n;
	json_t *o;

	snprintf(path, sizeof path, "/p/%s/log/get-sth", SEED_SLUG);
	o = get_json(s, path, &status, NULL);
	assert_int_equal(status, 200);
	assert_non_null(o);
	n = json_num(o, "tree_size");
	json_decref(o);
	return n;
}

/* Waits until the signed head covers the page's log (ms at most); returns
 * how long it took, or -1. */
static long long
wait_signed(const struct server *s, long ms)
{
	long long t0 = now_ms(), count, size;

	page_numbers(s, &count, &size);
	while (now_ms() - t0 < ms) {
		if (sth_size(s) >= size)
			return now_ms() - t0;
		pause_ms(100);
	}
	return -1;
}

/* Runs holos audit against s; returns its exit status, the report in out
 * (may be NULL). */
static int
audit(const struct server *s, const char *state, struct hbuf *out)
{
	const char *argv[] = { "audit", s->base, SEED_SLUG, "--state", state,
		NULL };
	struct hbuf o = { 0 }, e = { 0 };
	int rc;

	if (state == NULL)
		argv[3] = NULL;
	rc = cli_run(argv, &o, &e);
	if (rc != 0)
		fprintf(stderr, "holos audit (%d):\n%s%s", rc,
		    o.data ? o.data : "", e.data ? e.data : "");
	if (out != NULL) {
		hbuf_puts(out, o.data ? o.data : "");
		hbuf_puts(out, e.data ? e.data : "");
	}
	hbuf_free(&o);
	hbuf_free(&e);
	return rc;
}

/* Signs n times through the real form with addresses at domain. */
static void
sign_n(const struct server *s, int n, const char *domain)
{
	static int serial;
	char email[128];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(email, sizeof email, "signer%d.%d@%s", (int)getpid(),
		    ++serial, domain);
		struct signer who = signer_default(email);
		assert_int_equal(sign_fresh(s, SEED_SLUG, &who, NULL, NULL),
		    303);
	}
}

static int
group_setup(void **state)
{
	static const char *const extra[] = { COUNT_ON_SIGN, NULL };

	(void)state;
	srv = server_new_seeded(extra);
	return srv != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return server_free(srv) == 0 ? 0 : -1;
}

/* ---- the API ---- */

static void
expect_400(const char *path)
{
	char *cc = NULL;
	long status;
	json_t *o = get_json(srv, path, &status, &cc);

	if (status != 400 || o == NULL ||
	    !json_is_string(json_object_get(o, "error")))
		fail_msg("%s: status %ld, not a 400 with a JSON error", path,
		    status);
	assert_non_null(cc);
	assert_string_equal(cc, "no-store");
	free(cc);
	json_decref(o);
}

static void
test_api(void **state)
{
	static const char *const bad[] = {
		"get-sth-consistency?first=1",
		"get-sth-consistency?first=abc&second=2",
		"get-sth-consistency?first=-1&second=2",
		"get-sth-consistency?first=0&second=2",
		"get-sth-consistency?first=3&second=2",
		"get-sth-consistency?first=1&second=99999999999999999999999",
		"get-sth-consistency?first=1&second=9223372036854775808",
		"get-sth-consistency?first=1&second=9223372036854775807",
		"get-sth-consistency?first=1e3&second=2000",
		"get-sth-consistency?first=+1&second=2",
		"get-entries?start=0",
		"get-entries?start=2&end=1",
		"get-entries?start=1000000&end=1000001",
		"get-entries?start=%FF%FE&end=1",
		"get-entries?start=0&end=%C3%28",
		"get-proof-by-hash?hash=AAAA&tree_size=1",
		"get-proof-by-hash?hash=not*base64&tree_size=1",
		"get-proof-by-hash?hash=%FF%FE%FD&tree_size=1",
		"get-proof-by-hash?tree_size=1",
		"get-proof-by-hash?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		"&tree_size=0",
		"get-proof-by-hash?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		"&tree_size=18446744073709551616",
	};
	char path[512], *cc = NULL;
	long status;
	json_t *o, *e;
	size_t i;

	(void)state;
	/* The key: 32 bytes of base64, its id the SHA-256 of it. */
	o = get_json(srv, "/log/key", &status, &cc);
	assert_int_equal(status, 200);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "algorithm")),
	    "ed25519");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "key"))),
	    44);
	assert_non_null(strstr(cc, "max-age"));
	free(cc);
	json_decref(o);

	sign_n(srv, 3, "example.com");
	assert_true(wait_signed(srv, 5000) >= 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof path, "/p/%s/log/%s", SEED_SLUG, bad[i]);
		expect_400(path);
	}
	/* The verify page: verify.js, the form it needs, its messages in
	 * the reader's language; the petition page links to it. */
	{
		struct client *c = client_new(srv);
		struct resp r;
		char *ok = catalogue_lang("ru", "verify_msg_ok");

		snprintf(path, sizeof path, "/p/%s/verify?lang=ru", SEED_SLUG);
		client_get_expect(c, path, 200, &r);
		assert_non_null(strstr(r.body.data, "/static/verify.js"));
		assert_non_null(strstr(r.body.data, "id=\"verify-form\""));
		assert_non_null(
		    strstr(r.body.data, "data-slug=\"" SEED_SLUG "\""));
		assert_non_null(strstr(r.body.data, "id=\"receipt\""));
		assert_non_null(strstr(r.body.data, "data-msg-not-yours="));
		assert_non_null(ok);
		assert_true(html_shows_text(r.body.data, ok));
		free(ok);
		resp_free(&r);
		snprintf(path, sizeof path, "/p/%s", SEED_SLUG);
		client_get_expect(c, path, 200, &r);
		assert_non_null(strstr(r.body.data, "id=\"verifiable-count\""));
		snprintf(path, sizeof path, "/p/%s/verify\"", SEED_SLUG);
		assert_non_null(strstr(r.body.data, path));
		resp_free(&r);
		client_free(c);
	}
	/* A hash no leaf has: 404, not a proof. */
	snprintf(path, sizeof path,
	    "/p/%s/log/get-proof-by-hash?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAA%%3D&tree_size=1",
	    SEED_SLUG);
	json_decref(get_json(srv, path, &status, NULL));
	assert_int_equal(status, 404);
	/* No such petition. */
	json_decref(
	    get_json(srv, "/p/no-such-petition/log/get-sth", &status, NULL));
	assert_int_equal(status, 404);

	/* Entries: at most 1,000 a call, an end past the log cut short, and
	 * a range inside the log cached for good. */
	snprintf(path, sizeof path, "/p/%s/log/get-entries?start=0&end=2",
	    SEED_SLUG);
	o = get_json(srv, path, &status, &cc);
	assert_int_equal(status, 200);
	e = json_object_get(o, "entries");
	assert_true(json_array_size(e) == 3);
	assert_non_null(strstr(cc, "immutable"));
	free(cc);
	json_decref(o);
	snprintf(path, sizeof path,
	    "/p/%s/log/get-entries?start=1&end=9223372036854775807", SEED_SLUG);
	o = get_json(srv, path, &status, &cc);
	assert_int_equal(status, 200);
	assert_true(json_array_size(json_object_get(o, "entries")) >= 2);
	assert_null(strstr(cc, "immutable"));
	free(cc);
	json_decref(o);
	/* A consistency proof between two sizes, cached for good. */
	snprintf(path, sizeof path,
	    "/p/%s/log/get-sth-consistency?first=1&second=3", SEED_SLUG);
	o = get_json(srv, path, &status, &cc);
	assert_int_equal(status, 200);
	assert_true(json_array_size(json_object_get(o, "consistency")) > 0);
	assert_non_null(strstr(cc, "immutable"));
	free(cc);
	json_decref(o);
	/* The head: refreshed each second. */
	snprintf(path, sizeof path, "/p/%s/log/get-sth", SEED_SLUG);
	o = get_json(srv, path, &status, &cc);
	assert_int_equal(status, 200);
	assert_string_equal(cc, "public, max-age=1");
	assert_int_equal(strlen(json_string_value(
			     json_object_get(o, "tree_head_signature"))),
	    88);
	free(cc);
	json_decref(o);
}

/* ---- the petition page's "Verifiable count" line ---- */

/* The newest head as get-sth gives it. */
static void
sth_now(const struct server *s, long long *size, long long *timestamp)
{
	char path[256];
	long status;
	json_t *o;

	snprintf(path, sizeof path, "/p/%s/log/get-sth", SEED_SLUG);
	o = get_json(s, path, &status, NULL);
	assert_int_equal(status, 200);
	assert_non_null(o);
	*size = json_num(o, "tree_size");
	*timestamp = json_num(o, "timestamp");
	json_decref(o);
}

/* Copies the text between from (after its end) and to in *p, decoded,
 * moving *p past to; NULL when either is missing. */
static char *
cut(const char **p, const char *from, const char *to)
{
	const char *a = strstr(*p, from), *b;
	char *raw, *text;

	if (a == NULL)
		return NULL;
	a += strlen(from);
	if ((b = strstr(a, to)) == NULL)
		return NULL;
	raw = strndup(a, (size_t)(b - a));
	text = html_decode(raw);
	free(raw);
	*p = b + strlen(to);
	return text;
}

struct log_line {
	char *size_text, *iso, *time_text, *doc_href;
};

static void
log_line_free(struct log_line *l)
{
	free(l->size_text);
	free(l->iso);
	free(l->time_text);
	free(l->doc_href);
	memset(l, 0, sizeof(*l));
}

/* The line as the petition page shows it in lang. */
static void
page_log_line(const struct server *s, const char *lang, struct log_line *l)
{
	struct client *c = client_new(s);
	struct resp r;
	char path[256], *verify_text;
	const char *p;

	snprintf(path, sizeof path, "/p/%s?lang=%s", SEED_SLUG, lang);
	client_get_expect(c, path, 200, &r);
	assert_non_null(p = strstr(r.body.data, "id=\"verifiable-count\""));
	l->size_text = cut(&p, "/log/get-sth\">", "<time");
	l->iso = cut(&p, "datetime=\"", "\"");
	l->time_text = cut(&p, ">", "</time>");
	/* Then the verify page's link, then the document's. */
	verify_text = cut(&p, "/verify\">", "</a>");
	assert_non_null(verify_text);
	free(verify_text);
	l->doc_href = cut(&p, "<a href=\"", "\"");
	assert_non_null(l->size_text);
	assert_non_null(l->iso);
	assert_non_null(l->time_text);
	assert_non_null(l->doc_href);
	resp_free(&r);
	client_free(c);
}

/* The line's words for a head of n entries in en and ru: the link's
 * words, a colon, then log_line_size (Russian plural forms by hand). */
static char *
expected_size_text(const char *lang, long long n)
{
	char *head = catalogue_lang(lang, "log_line_head"), *text;
	char *en = NULL;
	const char *ru;
	size_t len;

	assert_non_null(head);
	if (strcmp(lang, "ru") == 0) {
		long m10 = (long)(n % 10), m100 = (long)(n % 100);

		ru = m10 == 1 && m100 != 11 ? "запись" :
		    m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14) ?
					      "записи" :
					      "записей";
		len = strlen(head) + 128;
		text = malloc(len);
		snprintf(text, len, "%s</a>: %lld %s по состоянию на ", head, n,
		    ru);
	} else {
		char *pat = catalogue_lang(lang, "log_line_size");
		const char *names[] = { "size" };
		const long values[] = { (long)n };

		assert_non_null(pat);
		en = msg_format(pat, names, values, 1);
		free(pat);
		len = strlen(head) + strlen(en) + 16;
		text = malloc(len);
		snprintf(text, len, "%s</a>: %s ", head, en);
	}
	free(en);
	free(head);
	return text;
}

/* Waits until the page's line in lang shows the newest head; fails after
 * 5 s. */
static void
expect_log_line(const char *lang)
{
	struct log_line l = { 0 };
	long long size, ts, t0 = now_ms();
	char iso[32], *want;
	time_t t;
	struct tm tm;

	for (;;) {
		sth_now(srv, &size, &ts);
		t = (time_t)(ts / 1000);
		gmtime_r(&t, &tm);
		strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
		want = expected_size_text(lang, size);
		page_log_line(srv, lang, &l);
		if (strcmp(l.iso, iso) == 0 && strcmp(l.size_text, want) == 0)
			break;
		if (now_ms() - t0 > 5000)
			fail_msg("%s: the page shows \"%s\" at %s, get-sth %lld "
				 "entries at %s (\"%s\")",
			    lang, l.size_text, l.iso, size, iso, want);
		free(want);
		log_line_free(&l);
		pause_ms(100);
	}
	free(want);
	/* The time in the page's language, with its zone. */
	if (strlen(l.time_text) < 6 ||
	    (strstr(l.time_text, "г.") == NULL) != (strcmp(lang, "ru") != 0))
		fail_msg("%s: the time reads \"%s\"", lang, l.time_text);
	/* What the log proves: served here, not a dead link. */
	{
		struct client *c = client_new(srv);
		struct resp r;
		char *type;

		assert_true(
		    strncmp(l.doc_href, "/static/transparency.md", 23) == 0);
		client_get_expect(c, l.doc_href, 200, &r);
		assert_non_null(type = resp_header(&r, "Content-Type"));
		assert_non_null(strstr(type, "text/plain"));
		assert_non_null(
		    strstr(r.body.data, "# A count anyone can verify"));
		free(type);
		resp_free(&r);
		client_free(c);
	}
	log_line_free(&l);
}

/* The line follows the newest signed head: its size (plural forms) and
 * time, in English and Russian, before the first signature (the empty
 * tree at the petition's start) and after new heads, though the page is
 * cached. */
static void
test_page_line(void **state)
{
	long long size, ts;

	(void)state;
	sth_now(srv, &size, &ts);
	expect_log_line("en");
	expect_log_line("ru");
	sign_n(srv, 1, "example.com");
	assert_true(wait_signed(srv, 5000) >= 0);
	expect_log_line("ru");
	expect_log_line("en");
	sign_n(srv, 4, "example.com");
	assert_true(wait_signed(srv, 5000) >= 0);
	expect_log_line("en");
	expect_log_line("ru");
	{
		long long size2, ts2;

		sth_now(srv, &size2, &ts2);
		assert_true(size2 >= size + 5);
		assert_true(ts2 > ts);
	}
}

/* ---- the audit ---- */

static void
test_audit_count(void **state)
{
	char statefile[400];
	struct hbuf out = { 0 };
	long long count, size, took;

	(void)state;
	snprintf(statefile, sizeof statefile, "%s/audit.json", srv->root);
	sign_n(srv, 4, "example.com");
	/* The log grows with the count, before any head is signed. */
	page_numbers(srv, &count, &size);
	assert_true(count >= 7);
	assert_int_equal(count, size);
	/* A signature is in a signed head within 2 s (some slack for a
	 * loaded machine). */
	took = wait_signed(srv, 5000);
	assert_true(took >= 0);
	assert_int_equal(audit(srv, statefile, &out), 0);
	assert_non_null(strstr(out.data, "OK"));
	hbuf_free(&out);
	/* Again, with the saved head: consistent. */
	sign_n(srv, 2, "example.com");
	assert_true(wait_signed(srv, 5000) >= 0);
	assert_int_equal(audit(srv, statefile, NULL), 0);
}

/* The log's reads share the open API's rate limit: over it, 429 with
 * Retry-After and a JSON error, before any database read; holos audit
 * waits as told and asks again, so a monitor still finishes. */
static void
test_rate_limited(void **state)
{
	static const char *const extra[] = { COUNT_ON_SIGN, "--rate-limit",
		"on", "--api-rate-ip", "1/3", NULL };
	struct server *s;
	char statefile[400], *cc = NULL;
	struct hbuf out = { 0 };
	long status;
	json_t *o;

	(void)state;
	assert_non_null(s = server_new_seeded(extra));
	snprintf(statefile, sizeof statefile, "%s/audit.json", s->root);
	sign_n(s, 3, "example.com");
	/* The head is signed within a second or two; waiting without
	 * asking lets the bucket fill too. */
	pause_ms(3500);
	/* One at once, then one every three seconds: the audit's second
	 * call (the head, then the entries) runs into the limit and waits
	 * it out. */
	assert_int_equal(audit(s, statefile, &out), 0);
	assert_non_null(strstr(out.data, "OK"));
	hbuf_free(&out);
	assert_true(server_log_count(s, "status=429") > 0);
	o = get_json(s, "/p/" SEED_SLUG "/log/get-sth", &status, &cc);
	assert_int_equal(status, 429);
	assert_non_null(o);
	assert_true(json_is_string(json_object_get(o, "error")));
	assert_non_null(cc);
	assert_string_equal(cc, "no-store");
	free(cc);
	json_decref(o);
	assert_int_equal(server_log_count(s, "status=500"), 0);
	assert_int_equal(server_free(s), 0);
}

static void
test_invalidation(void **state)
{
	char statefile[400];
	long long count0, size0, count, size;
	struct hbuf o = { 0 }, e = { 0 };
	long long t0;

	(void)state;
	snprintf(statefile, sizeof statefile, "%s/audit.json", srv->root);
	sign_n(srv, 3, "spam.example.net");
	page_numbers(srv, &count0, &size0);
	const char *argv[] = { "invalidate", "--data", srv->data, SEED_SLUG,
		"--reason", "bot", "--domain", "spam.example.net", NULL };
	assert_int_equal(cli_run(argv, &o, &e), 0);
	hbuf_free(&o);
	hbuf_free(&e);
	/* The server sees the other process's change: three fewer, three
	 * removal leaves more, as one pair. */
	for (t0 = now_ms(); now_ms() - t0 < 5000; pause_ms(100)) {
		page_numbers(srv, &count, &size);
		if (size == size0 + 3)
			break;
	}
	assert_int_equal(count, count0 - 3);
	assert_int_equal(size, size0 + 3);
	assert_true(wait_signed(srv, 5000) >= 0);
	assert_int_equal(audit(srv, statefile, NULL), 0);
}

/* Runs sql on srv's database. */
static void
db(const char *sql)
{
	assert_int_equal(server_db_exec(srv, sql), 0);
}

static void
test_tamper(void **state)
{
	char statefile[400];
	struct hbuf out = { 0 };

	(void)state;
	snprintf(statefile, sizeof statefile, "%s/audit.json", srv->root);
	assert_true(wait_signed(srv, 5000) >= 0);
	assert_int_equal(audit(srv, statefile, NULL), 0);
	/* A leaf's bytes changed under a signed head: the root recomputed
	 * from the entries is not the signed one. */
	db("CREATE TABLE leaves_saved AS SELECT petition_id, idx, leaf_input,"
	   " leaf_hash FROM log_leaves");
	db("UPDATE log_leaves SET leaf_input = (SELECT l2.leaf_input FROM"
	   " log_leaves l2 WHERE l2.petition_id = log_leaves.petition_id"
	   " AND l2.idx = 1) WHERE idx = 0");
	assert_int_not_equal(audit(srv, NULL, &out), 0);
	hbuf_free(&out);
	db("UPDATE log_leaves SET leaf_input = (SELECT s.leaf_input FROM"
	   " leaves_saved s WHERE s.petition_id = log_leaves.petition_id AND"
	   " s.idx = log_leaves.idx)");
	assert_int_equal(audit(srv, NULL, NULL), 0);
	/* A stored hash changed: the audit path of leaf 0 (whose sibling it
	 * is) no longer leads to the signed root. */
	db("UPDATE log_leaves SET leaf_hash = (SELECT l2.leaf_hash FROM"
	   " log_leaves l2 WHERE l2.petition_id = log_leaves.petition_id"
	   " AND l2.idx = 2) WHERE idx = 1");
	assert_int_not_equal(audit(srv, NULL, &out), 0);
	hbuf_free(&out);
	db("UPDATE log_leaves SET leaf_hash = (SELECT s.leaf_hash FROM"
	   " leaves_saved s WHERE s.petition_id = log_leaves.petition_id AND"
	   " s.idx = log_leaves.idx)");
	assert_int_equal(audit(srv, statefile, NULL), 0);
}

/* Copies srv's log key to s: the nodes of a site share it. */
static void
share_log_key(const struct server *s)
{
	char a[400], b[400], buf[64];
	int in, out;
	ssize_t n;

	assert_true(mkdir(s->data, 0700) == 0 || errno == EEXIST);
	snprintf(a, sizeof a, "%s/log.key", srv->data);
	snprintf(b, sizeof b, "%s/log.key", s->data);
	assert_true((in = open(a, O_RDONLY)) >= 0);
	assert_true((out = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_true((n = read(in, buf, sizeof buf)) == 32);
	assert_true(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
}

/* A log rebuilt with another history (here by holos migrate, from the
 * same signatures with new commitments and the removals last), signed with
 * the same key: the audit's saved head catches it. */
static void
test_fork(void **state)
{
	const char *argv[] = { "migrate", "--data", srv->data, NULL };
	char statefile[400];
	struct hbuf out = { 0 }, err = { 0 };
	long long count, size, t0;

	(void)state;
	snprintf(statefile, sizeof statefile, "%s/audit.json", srv->root);
	assert_true(wait_signed(srv, 5000) >= 0);
	assert_int_equal(audit(srv, statefile, NULL), 0);
	page_numbers(srv, &count, &size);
	db("DELETE FROM log_hashes");
	db("DELETE FROM log_nodes");
	db("DELETE FROM log_leaves");
	db("DELETE FROM log_trees");
	assert_int_equal(cli_run(argv, &out, &err), 0);
	/* The command built the log and indexed every leaf before it
	 * returned, so the server's tree-head signer has none to catch up
	 * while readers come. */
	char want[64];
	snprintf(want, sizeof want, "log leaves indexed: %lld\n", size);
	assert_non_null(strstr(out.data, want));
	assert_int_equal(server_db_scalar(srv,
			     "SELECT count(*) FROM log_hashes"),
	    size);
	hbuf_free(&out);
	hbuf_free(&err);
	/* Signed anew at the same size. */
	for (t0 = now_ms(); now_ms() - t0 < 5000 && sth_size(srv) != size;)
		pause_ms(100);
	assert_int_equal(sth_size(srv), size);
	/* The page read the log while it was gone (its size 0) and keeps
	 * that for a few seconds: wait for it to say the size again. */
	for (t0 = now_ms(); now_ms() - t0 < 10000;) {
		long long c, z;
		page_numbers(srv, &c, &z);
		if (z == size)
			break;
		pause_ms(200);
	}
	/* The rebuilt log passes on its own ... */
	assert_int_equal(audit(srv, NULL, NULL), 0);
	/* ... but not against the head saved from the first one. */
	assert_int_equal(audit(srv, statefile, &out), 1);
	assert_non_null(strstr(out.data, "rewritten"));
	hbuf_free(&out);
}

/* Two nodes on one PostgreSQL database: both sign, both serve the same
 * newest head, and the audit holds against either. */
static void
test_two_nodes(void **state)
{
	static const char *const extra[] = { COUNT_ON_SIGN, NULL };
	struct server *two;
	char statefile[400], statefile2[400];
	long long c1, s1, c2, s2, t0;

	(void)state;
	if (harness_pg() == NULL) {
		skip();
		return;
	}
	snprintf(statefile, sizeof statefile, "%s/audit.json", srv->root);
	snprintf(statefile2, sizeof statefile2, "%s/audit2.json", srv->root);
	assert_non_null(two = calloc(1, sizeof(*two)));
	assert_int_equal(server_init(two, extra), 0);
	assert_int_equal(server_share_db(two, srv), 0);
	share_log_key(two);
	{
		char a[400], b[400], buf[64];
		int in, out;
		ssize_t n;

		snprintf(a, sizeof a, "%s/secret.key", srv->data);
		snprintf(b, sizeof b, "%s/secret.key", two->data);
		assert_true((in = open(a, O_RDONLY)) >= 0);
		assert_true(
		    (out = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
		assert_true((n = read(in, buf, sizeof buf)) > 0);
		assert_true(write(out, buf, (size_t)n) == n);
		close(in);
		close(out);
	}
	assert_int_equal(server_start(two), 0);
	sign_n(srv, 3, "example.com");
	sign_n(two, 3, "example.com");
	sign_n(srv, 2, "example.com");
	for (t0 = now_ms(); now_ms() - t0 < 5000; pause_ms(100)) {
		page_numbers(srv, &c1, &s1);
		page_numbers(two, &c2, &s2);
		if (s1 == s2 && c1 == c2)
			break;
	}
	assert_int_equal(s1, s2);
	assert_int_equal(c1, c2);
	assert_true(wait_signed(srv, 5000) >= 0);
	assert_true(wait_signed(two, 5000) >= 0);
	assert_int_equal(audit(srv, statefile, NULL), 0);
	assert_int_equal(audit(two, statefile2, NULL), 0);
	assert_int_equal(sth_size(srv), sth_size(two));
	/* Either node's head is consistent with the other's earlier one. */
	sign_n(two, 2, "example.com");
	assert_true(wait_signed(srv, 5000) >= 0);
	assert_int_equal(audit(two, statefile2, NULL), 0);
	assert_int_equal(audit(srv, statefile, NULL), 0);
	assert_int_equal(server_free(two), 0);
}

/* ---- receipts ---- */

/* The receipt the thanks page at path offers c, written to file; 0, or
 * -1 when the page has none. */
static int
save_receipt(struct client *c, const char *path, const char *file)
{
	const char *p, *end;
	char cmd[1400];
	struct resp r;
	int rc = -1;

	client_get_expect(c, path, 200, &r);
	p = strstr(r.body.data, "href=\"data:application/json;base64,");
	if (p != NULL) {
		p += strlen("href=\"data:application/json;base64,");
		end = strchr(p, '"');
		assert_non_null(end);
		assert_non_null(strstr(r.body.data, "id=\"receipt-code\""));
		snprintf(cmd, sizeof cmd, "printf '%%s' '%.*s' | base64 -d > %s",
		    (int)(end - p), p, file);
		assert_int_equal(system(cmd), 0);
		rc = 0;
	}
	resp_free(&r);
	return rc;
}

static int
verify(const char *file, struct hbuf *out)
{
	const char *argv[] = { "verify", file, "--wait", "8", NULL };
	struct hbuf o = { 0 }, e = { 0 };
	int rc = cli_run(argv, &o, &e);

	if (rc != 0)
		fprintf(stderr, "holos verify (%d):\n%s%s", rc,
		    o.data ? o.data : "", e.data ? e.data : "");
	if (out != NULL)
		hbuf_puts(out, o.data ? o.data : "");
	hbuf_free(&o);
	hbuf_free(&e);
	return rc;
}

/* Counted on signing: the thanks page offers the receipt once, and it
 * verifies with holos verify. */
static void
test_receipt_counted(void **state)
{
	char file[400], email[64], *loc;
	struct client *c = client_new(srv);
	struct resp r;

	(void)state;
	snprintf(file, sizeof file, "%s/receipt.json", srv->root);
	snprintf(email, sizeof email, "receipt%d@example.com", (int)getpid());
	struct signer who = signer_default(email);
	assert_int_equal(client_sign(c, SEED_SLUG, &who, &r), 303);
	assert_non_null(loc = resp_header(&r, "Location"));
	resp_free(&r);
	assert_int_equal(save_receipt(c, loc, file), 0);
	/* Shown once. */
	assert_int_equal(save_receipt(c, loc, file), -1);
	free(loc);
	client_free(c);
	assert_int_equal(verify(file, NULL), 0);
	/* A receipt whose secret is not the leaf's: refused. */
	{
		struct hbuf text = { 0 };
		json_t *o;
		char *t;

		assert_int_equal(slurp(file, &text), 0);
		assert_non_null(o = json_loads(text.data, 0, NULL));
		json_object_set_new(o, "secret",
		    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
		assert_non_null(t = json_dumps(o, 0));
		assert_int_equal(write_file(file, t, strlen(t)), 0);
		free(t);
		json_decref(o);
		hbuf_free(&text);
		assert_int_equal(verify(file, NULL), 1);
	}
}

/* Confirmed by email: the confirmed page offers the receipt. */
static void
test_receipt_confirmed(void **state)
{
	struct server *s = server_new_seeded(NULL);
	char file[400], email[64], *link = NULL, *loc;
	struct hbuf log = { 0 };
	struct client *c;
	struct resp r;
	const char *p;

	(void)state;
	assert_non_null(s);
	snprintf(file, sizeof file, "%s/receipt.json", s->root);
	snprintf(email, sizeof email, "confirm%d@example.com", (int)getpid());
	struct signer who = signer_default(email);
	assert_int_equal(sign_fresh(s, SEED_SLUG, &who, NULL, NULL), 303);
	assert_int_equal(server_read_log(s, &log), 0);
	assert_non_null(p = strstr(log.data, "link="));
	assert_non_null(p = strstr(p, "/c/"));
	link = strndup(p, strcspn(p, " \n"));
	hbuf_free(&log);
	c = client_new(s);
	assert_int_equal(client_press_button(c, link, &r), 303);
	assert_non_null(loc = resp_header(&r, "Location"));
	assert_non_null(strstr(loc, "state=confirmed"));
	resp_free(&r);
	assert_int_equal(save_receipt(c, loc, file), 0);
	free(loc);
	free(link);
	client_free(c);
	assert_int_equal(verify(file, NULL), 0);
	assert_int_equal(server_free(s), 0);
}

/* HOLOS_BENCH_NO_LOG (bench/log.sh) is refused on an ordinary data
 * folder, and with any value but 1: a site cannot lose its log by a stray
 * variable. */
static void
test_bench_no_log_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "HOLOS_BENCH_NO_LOG=1", NULL },
		{ "HOLOS_BENCH_NO_LOG=yes", "bench-no-log" },
	};
	char dir[400], mark[450], listen[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hbuf o = { 0 }, e = { 0 };

		snprintf(dir, sizeof dir, "%s/nolog%zu", srv->root, i);
		assert_int_equal(mkdir(dir, 0700), 0);
		if (bad[i][1] != NULL) {
			snprintf(mark, sizeof mark, "%s/%s", dir, bad[i][1]);
			assert_int_equal(write_file(mark, "", 0), 0);
		}
		snprintf(listen, sizeof listen, "127.0.0.1:%d",
		    harness_free_port());
		const char *argv[] = { "serve", "--data", dir, "--listen",
			listen, NULL };
		const char *env[] = { bad[i][0], NULL };
		int rc = cli_run_env(argv, env, &o, &e);

		if (rc == 0 || e.data == NULL ||
		    strstr(e.data, "HOLOS_BENCH_NO_LOG is for benchmarks") ==
			NULL)
			fail_msg("%s: exit %d, stderr:\n%s", bad[i][0], rc,
			    e.data ? e.data : "");
		hbuf_free(&o);
		hbuf_free(&e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_line),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_audit_count),
		cmocka_unit_test(test_rate_limited),
		cmocka_unit_test(test_invalidation),
		cmocka_unit_test(test_receipt_counted),
		cmocka_unit_test(test_receipt_confirmed),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_bench_no_log_refused),
	};

	return harness_finish(cmocka_run_group_tests_name("e2e_log", tests,
	    group_setup, group_teardown));
}
