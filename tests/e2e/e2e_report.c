/* e2e_report.c - notice and action end to end (docs/report.md): the Report
 * link, the form and its hostile inputs, the budgets per address and per
 * network, a flood from many addresses while pages are read, the
 * moderators' queue grouped by target, decisions with a statement of
 * reasons (audit-logged), the outcome mail through the real SMTP test
 * server with nothing a stranger typed in it, and the reporter's address
 * erased by retention. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"

#define MOD_EMAIL "moderator@example.org"
#define PASSWORD "correct horse battery"
#define REPORTER "reporter@example.org"
#define LATE_REPORTER "late-reporter@example.org"
#define STARTER "starter@example.org"
#define NOTE "NOTE-TYPED-BY-A-STRANGER <b>bold</b>"
#define STATEMENT "STATEMENT-BY-THE-MODERATOR"
#define COMMENT "COMMENT-TEXT-TO-HIDE"
#define WAIT_MS 15000
/* A page read while reports flood in answers within this (generous: the
 * machine is shared and the server may run under ASan). */
#define PAGE_MAX_MS 5000
#define FLOOD 120

static struct mailworld w;
/* The moderator, signed in once (a password hash is slow on purpose). */
static struct client *mod;
static const char *const args[] = { "--seed", SEED_PATH, COUNT_ON_SIGN,
	"--trusted-proxy", "127.0.0.1/32", "--rate-limit", "on", NULL };

/* holos with its own smtpd.py, the seed petition, a moderator, and a
 * signer's comment: signature 1, the first of this database. */
static int
setup(void **state)
{
	struct signer s = signer_default("commenter@example.org");

	(void)state;
	if (mailworld_start(&w, args, NULL) != 0 ||
	    harness_user_add(&w.srv, MOD_EMAIL, "moderator", PASSWORD) != 0)
		return -1;
	s.comment = COMMENT;
	s.extra = "public_comment=1"; /* shown on the page */
	return sign_fresh(&w.srv, SEED_SLUG, &s, NULL, NULL) == 303 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	if (mod != NULL)
		client_free(mod);
	return mailworld_end(&w);
}

/* The moderator's client, signed in on first use. */
static struct client *
moderator(void)
{
	if (mod == NULL) {
		mod = client_new(&w.srv);
		assert_int_equal(client_login(mod, MOD_EMAIL, PASSWORD), 303);
	}
	return mod;
}

/* The X-Forwarded-For of the clients made by client_from(): the harness's
 * GET and POST set their own header lists, so the address goes with each
 * request. */
static struct {
	const struct client *c;
	char line[80];
} from[FLOOD + 8];

/* A client whose requests come (through the trusted proxy) from addr; h
 * gets the header list for a request made directly on its handle. */
static struct client *
client_from(const char *addr, struct curl_slist **h)
{
	struct client *c = client_new(&w.srv);

	for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
		if (from[i].c == NULL) {
			from[i].c = c;
			snprintf(from[i].line, sizeof from[i].line,
			    "X-Forwarded-For: %s", addr);
			*h = curl_slist_append(NULL, from[i].line);
			curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, *h);
			return c;
		}
	fail_msg("too many clients");
	return NULL;
}

static void
client_done(struct client *c, struct curl_slist *h)
{
	for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
		if (from[i].c == c)
			from[i].c = NULL;
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	client_free(c);
}

/* The request headers of c: its address, when it has one. */
static const char *const *
headers_of(const struct client *c, const char *hs[2])
{
	hs[0] = hs[1] = NULL;
	for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
		if (from[i].c == c)
			hs[0] = from[i].line;
	return hs;
}

/* GET path, insisting on status; the body, malloc'd. */
static char *
get_page(struct client *c, const char *path, long status)
{
	const char *hs[2];
	struct resp r;
	char *body;

	assert_int_equal(client_get_headers(c, path, headers_of(c, hs), &r),
	    CURLE_OK);
	if (r.status != status)
		fail_msg("GET %s: %ld, wanted %ld\n%s", path, r.status, status,
		    r.body.data ? r.body.data : "");
	body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	return body;
}

static long
post(struct client *c, const char *path, const struct hbuf *b, char **body)
{
	const char *hs[2];
	struct resp r;
	long st;

	assert_int_equal(client_post_headers(c, path, b->data ? b->data : "",
			     b->len, headers_of(c, hs), &r),
	    CURLE_OK);
	st = r.status;
	if (body != NULL)
		*body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	return st;
}

/* The number sql (one row, one column) gives on the server's database. */
static long long
db_number(const char *sql)
{
	char path[400];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (w.srv.db[0] != '\0')
		return pg_scalar(w.srv.db, sql);
	snprintf(path, sizeof path, "%s/holos.db", w.srv.data);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Sends a report of the seed petition (comment NULL) or of a comment, with
 * the form's own token; returns the status. */
static long
report(struct client *c, const char *comment, const char *reason,
    const char *note, const char *email)
{
	char path[160];
	struct hbuf b = { 0 };
	char *page, *tok;
	long st;

	snprintf(path, sizeof path, "/p/%s/report%s%s", SEED_SLUG,
	    comment ? "?comment=" : "", comment ? comment : "");
	page = get_page(c, path, 200);
	tok = html_csrf(page);
	assert_non_null(tok);
	form_add(&b, "csrf", tok);
	if (reason != NULL)
		form_add(&b, "reason", reason);
	if (note != NULL)
		form_add(&b, "note", note);
	if (email != NULL)
		form_add(&b, "email", email);
	if (comment != NULL)
		form_add(&b, "comment", comment);
	snprintf(path, sizeof path, "/p/%s/report", SEED_SLUG);
	st = post(c, path, &b, NULL);
	hbuf_free(&b);
	free(tok);
	free(page);
	return st;
}

static void
test_link_and_form(void **state)
{
	(void)state;
	static const char *const langs[][2] = { { "en", "report_heading" },
		{ "ru", "report_heading" }, { "uk", "report_heading" } };
	struct curl_slist *h;
	struct client *c = client_from("10.1.0.1", &h);
	char path[160], *page;

	snprintf(path, sizeof path, "/p/%s", SEED_SLUG);
	page = get_page(c, path, 200);
	snprintf(path, sizeof path, "href=\"/p/%s/report\"", SEED_SLUG);
	assert_non_null(strstr(page, path));
	free(page);
	for (size_t i = 0; i < 3; i++) {
		char *want = catalogue_lang(langs[i][0], langs[i][1]);

		snprintf(path, sizeof path, "/p/%s/report?lang=%s", SEED_SLUG,
		    langs[i][0]);
		page = get_page(c, path, 200);
		assert_true(html_shows_text(page, want));
		/* Every reason of the list, as a radio button. */
		assert_int_equal(count_of(page, "name=\"reason\""), 6);
		free(want);
		free(page);
	}
	/* The privacy page says what happens to a reporter's data. */
	{
		char *want = catalogue_get("privacy_reports");

		page = get_page(c, "/privacy?lang=en", 200);
		assert_true(html_shows_text(page, want));
		free(want);
		free(page);
	}
	/* Unknown petitions and comments: 404. */
	free(get_page(c, "/p/no-such-petition/report", 404));
	snprintf(path, sizeof path, "/p/%s/report?comment=999999", SEED_SLUG);
	free(get_page(c, path, 404));
	snprintf(path, sizeof path, "/p/%s/report?comment=abc", SEED_SLUG);
	free(get_page(c, path, 404));
	snprintf(path, sizeof path, "/p/%s/report?comment=0", SEED_SLUG);
	free(get_page(c, path, 404));
	client_done(c, h);
}

/* Imports a petition from Markdown md into the server's database. */
static void
import_md(const char *name, const char *md)
{
	char path[512];
	struct hbuf out = { 0 }, err = { 0 };

	snprintf(path, sizeof path, "%s/%s.md", w.srv.root, name);
	assert_int_equal(write_file(path, md, strlen(md)), 0);
	const char *argv[] = { "import", "--data", w.srv.data, path, NULL };
	if (cli_run(argv, &out, &err) != 0)
		fail_msg("import %s: %s", name, err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);
}

#define OTHER_SLUG "another-petition"

/* A comment id that names no comment of the petition shown on its page
 * (not an id, not text, another petition's comment, a hidden one) is
 * answered 404 with the reason in the reader's language, on the form
 * (GET) as on its POST; never the petition's own form. */
static void
test_comment_not_reportable(void **state)
{
	(void)state;
	static const char *const bad[] = { "%FF", "1%FF", "%C3%28", "1%0A",
		"%01", "%7F", "abc", "0", "-1", "%2B1", "1.5", "%201", "1e3",
		"0x1", "99999999999999999999",
		"1000000000000000000000000000000000000000000000000000000000000",
		"999999" };
	static const char *const langs[] = { "en", "ru", "uk" };
	struct signer who = signer_default("other-commenter@example.org");
	struct curl_slist *h;
	struct client *c = client_from("10.8.0.1", &h);
	char path[400], other[32], hidden[32], *page;
	long long id;

	/* Another petition's public comment, and a hidden one of this. */
	import_md(OTHER_SLUG,
	    "---\ntitle: Another petition\nto: Someone\ngoal: 100\n"
	    "lang: en\nslug: " OTHER_SLUG "\n---\nText.\n");
	who.comment = "A COMMENT OF ANOTHER PETITION";
	who.extra = "public_comment=1";
	assert_int_equal(sign_fresh(&w.srv, OTHER_SLUG, &who, NULL, NULL), 303);
	id = db_number(
	    "SELECT MAX(s.id) FROM signatures s JOIN petitions p"
	    " ON p.id = s.petition_id WHERE p.slug = '" OTHER_SLUG "'");
	assert_true(id > 0);
	snprintf(other, sizeof other, "%lld", id);
	who = signer_default("hidden-commenter@example.org");
	who.comment = "A HIDDEN COMMENT";
	who.extra = "public_comment=1";
	assert_int_equal(sign_fresh(&w.srv, SEED_SLUG, &who, NULL, NULL), 303);
	id = db_number("SELECT MAX(id) FROM signatures WHERE comment ="
		       " 'A HIDDEN COMMENT'");
	assert_true(id > 0);
	snprintf(hidden, sizeof hidden, "%lld", id);
	/* Reportable until hidden: */
	snprintf(path, sizeof path, "/p/%s/report?comment=%s", SEED_SLUG,
	    hidden);
	free(get_page(c, path, 200));
	snprintf(path, sizeof path,
	    "UPDATE signatures SET comment_hidden_at = %lld WHERE id = %s",
	    (long long)time(NULL), hidden);
	assert_int_equal(server_db_exec(&w.srv, path), 0);

	for (size_t l = 0; l < 3; l++) {
		char *want = catalogue_lang(langs[l], "report_err_comment");
		const char *ids[sizeof bad / sizeof bad[0] + 2];
		size_t n = 0;

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
			ids[n++] = bad[i];
		ids[n++] = other;
		ids[n++] = hidden;
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof path,
			    "/p/%s/report?lang=%s&comment=%s", SEED_SLUG,
			    langs[l], ids[i]);
			page = get_page(c, path, 404);
			if (!html_shows_text(page, want))
				fail_msg("GET %s: not the message in %s", path,
				    langs[l]);
			assert_null(strstr(page, "name=\"reason\""));
			free(page);
		}
		free(want);
	}
	/* An empty value names none: the petition's form. */
	snprintf(path, sizeof path, "/p/%s/report?comment=", SEED_SLUG);
	free(get_page(c, path, 200));

	/* The POST: the petition's form token, then a comment of another
	 * petition, a hidden one, one that is not text. */
	{
		const char *posted[] = { other, hidden, NULL };
		char *tok, *body = NULL;

		/* (in English again: the language chosen last stays) */
		snprintf(path, sizeof path, "/p/%s/report?lang=en", SEED_SLUG);
		page = get_page(c, path, 200);
		tok = html_csrf(page);
		assert_non_null(tok);
		snprintf(path, sizeof path, "/p/%s/report", SEED_SLUG);
		for (size_t i = 0; i < 3; i++) {
			struct hbuf b = { 0 };
			char *want = catalogue_lang("en", "report_err_comment");

			form_add(&b, "csrf", tok);
			form_add(&b, "reason", "spam");
			if (posted[i] != NULL)
				form_add(&b, "comment", posted[i]);
			else
				form_add_raw(&b, "comment", "%FF");
			assert_int_equal(post(c, path, &b, &body), 404);
			assert_true(html_shows_text(body, want));
			free(body);
			free(want);
			hbuf_free(&b);
		}
		free(tok);
		free(page);
	}
	/* Nothing of these was filed. */
	assert_int_equal(db_number("SELECT COUNT(*) FROM reports"), 0);
	client_done(c, h);
}

static void
test_hostile_input(void **state)
{
	(void)state;
	struct curl_slist *h;
	struct client *c = client_from("10.2.0.1", &h);
	char path[160], *body = NULL, long_note[1100];
	struct hbuf b = { 0 };

	/* No token: refused before anything is read. */
	snprintf(path, sizeof path, "/p/%s/report", SEED_SLUG);
	form_add(&b, "reason", "spam");
	assert_int_equal(post(c, path, &b, NULL), 403);
	hbuf_free(&b);
	/* A reason not in the list, none, an over-long note, a bad address,
	 * invalid UTF-8: 422 with the form again. (Each takes from the
	 * address's budget: five, so a fresh address for the last ones.) */
	assert_int_equal(report(c, NULL, "not-a-reason", "x", NULL), 422);
	assert_int_equal(report(c, NULL, NULL, "x", NULL), 422);
	memset(long_note, 'x', 1001);
	long_note[1001] = '\0';
	assert_int_equal(report(c, NULL, "spam", long_note, NULL), 422);
	assert_int_equal(report(c, NULL, "spam", "x", "not an address"), 422);
	client_done(c, h);
	c = client_from("10.2.1.1", &h);
	{
		char *page, *tok;

		snprintf(path, sizeof path, "/p/%s/report", SEED_SLUG);
		page = get_page(c, path, 200);
		tok = html_csrf(page);
		form_add(&b, "csrf", tok);
		form_add(&b, "reason", "spam");
		form_add_raw(&b, "note", "%FF%FE");
		assert_int_equal(post(c, path, &b, &body), 422);
		assert_non_null(strstr(body, "error-summary"));
		free(body);
		hbuf_free(&b);
		/* A comment id that is not a number. */
		form_add(&b, "csrf", tok);
		form_add(&b, "reason", "spam");
		form_add(&b, "comment", "1 OR 1=1");
		assert_int_equal(post(c, path, &b, NULL), 404);
		hbuf_free(&b);
		free(tok);
		free(page);
	}
	client_done(c, h);
}

/* Per address, per network and apart from signing: the sixth report from
 * one address in ten minutes is 429; another network is not held back;
 * the same address still signs. */
static void
test_rate(void **state)
{
	(void)state;
	struct curl_slist *h;
	struct client *c = client_from("10.3.0.1", &h);
	struct signer s = signer_default("rate-signer@example.org");
	char hdr[64];

	for (int i = 0; i < 5; i++)
		assert_int_equal(report(c, NULL, "other", "rate", NULL), 303);
	assert_int_equal(report(c, NULL, "other", "rate", NULL), 429);
	client_done(c, h);
	/* The network's budget (20) is apart from the address's. */
	for (int i = 2; i < 5; i++) {
		char addr[32];

		snprintf(addr, sizeof addr, "10.3.0.%d", i);
		c = client_from(addr, &h);
		assert_int_equal(report(c, NULL, "other", "rate", NULL), 303);
		client_done(c, h);
	}
	c = client_from("10.4.0.1", &h);
	assert_int_equal(report(c, NULL, "other", "rate", NULL), 303);
	client_done(c, h);
	/* Reports do not spend the signing budget. */
	snprintf(hdr, sizeof hdr, "X-Forwarded-For: 10.3.0.1");
	assert_int_equal(sign_with_header(&w.srv, SEED_SLUG, &s, NULL, hdr),
	    303);
}

struct watch {
	volatile int stop;
	long long worst;
	int reads;
	bool failed;
};

static void *
watch_pages(void *arg)
{
	struct watch *wt = arg;
	struct client *c = client_new(&w.srv);
	char path[160];

	snprintf(path, sizeof path, "/p/%s", SEED_SLUG);
	while (!wt->stop) {
		struct resp r;
		long long t0 = now_ms(), dt;

		if (client_get(c, path, &r) != CURLE_OK || r.status != 200)
			wt->failed = true;
		resp_free(&r);
		dt = now_ms() - t0;
		if (dt > wt->worst)
			wt->worst = dt;
		wt->reads++;
		pause_ms(20);
	}
	client_free(c);
	return NULL;
}

/* FLOOD reports at once from as many addresses in 60 networks: each is
 * filed (303), held back (429) or told to come back (503 with
 * Retry-After), never anything else, and the petition page answers
 * throughout. */
static void
test_flood(void **state)
{
	(void)state;
	struct client *cs[FLOOD];
	struct curl_slist *hs[FLOOD];
	struct hbuf bodies[FLOOD];
	struct resp rs[FLOOD];
	struct watch wt = { 0 };
	pthread_t th;
	char path[160], addr[32], *tok;
	int filed = 0, busy = 0;

	snprintf(path, sizeof path, "/p/%s/report", SEED_SLUG);
	{
		struct client *c = client_new(&w.srv);
		char *page = get_page(c, path, 200);

		tok = html_csrf(page);
		free(page);
		client_free(c);
	}
	for (size_t i = 0; i < FLOOD; i++) {
		snprintf(addr, sizeof addr, "10.%zu.%zu.9", 100 + i % 60,
		    i / 60);
		cs[i] = client_from(addr, &hs[i]);
		memset(&bodies[i], 0, sizeof bodies[i]);
		form_add(&bodies[i], "csrf", tok);
		form_add(&bodies[i], "reason", "spam");
		form_add(&bodies[i], "note", "flood");
	}
	assert_int_equal(pthread_create(&th, NULL, watch_pages, &wt), 0);
	pause_ms(100);
	assert_int_equal(client_post_many(cs, path, bodies, rs, FLOOD), 0);
	pause_ms(100);
	wt.stop = 1;
	pthread_join(th, NULL);
	for (size_t i = 0; i < FLOOD; i++) {
		if (rs[i].status == 303)
			filed++;
		else if (rs[i].status == 503) {
			char *ra = resp_header(&rs[i], "Retry-After");

			assert_non_null(ra);
			free(ra);
			busy++;
		} else if (rs[i].status != 429)
			fail_msg("report #%zu: %ld", i, rs[i].status);
		resp_free(&rs[i]);
		hbuf_free(&bodies[i]);
		client_done(cs[i], hs[i]);
	}
	free(tok);
	print_message("flood: %d filed, %d busy; %d page reads, the slowest "
		      "%lld ms\n",
	    filed, busy, wt.reads, wt.worst);
	assert_true(filed > 0);
	assert_false(wt.failed);
	assert_true(wt.reads > 0);
	if (wt.worst > PAGE_MAX_MS)
		fail_msg("a page read took %lld ms during the flood", wt.worst);
}

/* The moderator's decision on the group whose form holds petition (and
 * comment, NULL for the petition's). Returns the status. */
static long
decide_why(struct client *m, const char *comment, const char *outcome,
    const char *statement, const char *reason, char **body)
{
	char *page = get_page(m, "/admin/reports", 200), *tok;
	struct hbuf b = { 0 };
	long st;

	tok = html_csrf(page);
	assert_non_null(tok);
	form_add(&b, "csrf", tok);
	form_add(&b, "petition", "1");
	if (comment != NULL)
		form_add(&b, "comment", comment);
	if (outcome != NULL)
		form_add(&b, "outcome", outcome);
	if (statement != NULL)
		form_add(&b, "statement", statement);
	if (reason != NULL)
		form_add(&b, "reason", reason);
	st = post(m, "/admin/reports", &b, body);
	hbuf_free(&b);
	free(tok);
	free(page);
	return st;
}

/* decide_why() without a moderation reason. */
static long
decide(struct client *m, const char *comment, const char *outcome,
    const char *statement)
{
	return decide_why(m, comment, outcome, statement, NULL, NULL);
}

/* A comment reported and removed; the petition's reports dismissed with
 * a statement; the reporter who left an address told by mail, in their
 * language, with the site's own words only; the decision in the audit
 * log; a second decision on the same reports refused. */
static void
test_queue_and_outcome(void **state)
{
	(void)state;
	struct curl_slist *h;
	struct client *c;
	char *page, *want;
	int n;

	c = client_from("10.5.0.1", &h);
	assert_int_equal(report(c, "1", "hate", NOTE, NULL), 303);
	client_done(c, h);
	c = client_from("10.5.1.1", &h);
	{
		/* The reporter writes in Ukrainian: the mail is Ukrainian. */
		char path[160];

		snprintf(path, sizeof path, "/p/%s?lang=uk", SEED_SLUG);
		free(get_page(c, path, 200));
	}
	assert_int_equal(report(c, NULL, "illegal", NOTE, REPORTER), 303);
	client_done(c, h);

	/* Only moderators see the queue. */
	c = client_new(&w.srv);
	{
		struct resp r;

		assert_int_equal(client_get(c, "/admin/reports", &r), CURLE_OK);
		assert_int_equal(r.status, 302);
		resp_free(&r);
	}
	client_free(c);
	moderator();
	page = get_page(mod, "/admin/reports", 200);
	/* Grouped by target: the comment (its text shown, escaped) and the
	 * petition, each with its count and the notes. */
	assert_non_null(strstr(page, COMMENT));
	assert_non_null(strstr(page, "NOTE-TYPED-BY-A-STRANGER &lt;b&gt;"));
	assert_null(strstr(page, "<b>bold</b>"));
	assert_non_null(strstr(page, "name=\"comment\" value=\"1\""));
	want = catalogue_get("report_reason_hate");
	assert_non_null(strstr(page, want));
	free(want);
	free(page);

	/* A decision needs a statement of reasons and an outcome. */
	assert_int_equal(decide(mod, "1", "hide", NULL), 422);
	assert_int_equal(decide(mod, "1", NULL, STATEMENT), 422);
	assert_int_equal(decide(mod, "1", "burn", STATEMENT), 422);
	/* The comment hidden: off the page, marked in the database, and no
	 * longer open to reports. */
	assert_int_equal(decide(mod, "1", "hide", STATEMENT), 303);
	assert_int_equal(db_number("SELECT COUNT(*) FROM signatures WHERE"
				   " id = 1 AND comment_hidden_at IS NOT NULL"),
	    1);
	{
		char path[160];

		snprintf(path, sizeof path, "/p/%s/report?comment=1", SEED_SLUG);
		free(get_page(mod, path, 404));
	}
	/* Decided once: a second decision finds nothing open. */
	assert_int_equal(decide(mod, "1", "dismiss", STATEMENT), 409);

	/* The petition's reports dismissed: the reporter is told. */
	assert_int_equal(decide(mod, NULL, "dismiss", STATEMENT), 303);
	n = maildir_find(&w.mail, REPORTER, WAIT_MS);
	assert_true(n > 0);
	{
		json_t *m = mail_parse(&w.mail, n);
		const char *text, *subject;
		char *outcome =
		    catalogue_lang("uk", "report_mail_outcome_dismiss");

		assert_non_null(m);
		text = mail_part(m, "text/plain");
		subject = mail_header(m, "subject");
		assert_non_null(text);
		assert_non_null(subject);
		assert_non_null(strstr(text, outcome));
		/* Nothing a stranger or the moderator typed. */
		assert_null(strstr(text, "NOTE-TYPED"));
		assert_null(strstr(text, STATEMENT));
		assert_null(strstr(text, "Kremlin"));
		assert_null(strstr(subject, "Kremlin"));
		{
			const char *html = mail_part(m, "text/html");

			if (html != NULL) {
				assert_null(strstr(html, "NOTE-TYPED"));
				assert_null(strstr(html, STATEMENT));
				assert_null(strstr(html, "Kremlin"));
			}
		}
		free(outcome);
		json_decref(m);
	}
	/* One mail to the reporter, none to anyone else of these reports. */
	assert_int_equal(maildir_quiet(&w.mail, maildir_count(&w.mail), 500),
	    maildir_count(&w.mail));

	/* Audit-logged, with the outcome. */
	page = get_page(mod, "/admin", 200);
	assert_true(count_of(page, "report_resolved") >= 2);
	assert_non_null(strstr(page, "outcome=hide reports=1"));
	assert_non_null(strstr(page, "comment:1"));
	assert_non_null(strstr(page, "comment_hidden"));
	free(page);
	/* The queue is empty of these. */
	page = get_page(mod, "/admin/reports", 200);
	assert_null(strstr(page, COMMENT));
	free(page);
}

/* A reporter's address is erased with retention: a report older than
 * --retain-days, decided after `holos purge`, mails nobody. */
static void
test_retention(void **state)
{
	(void)state;
	struct curl_slist *h;
	struct client *c;
	struct hbuf out = { 0 }, err = { 0 };
	char sql[160];
	int before;

	c = client_from("10.6.0.1", &h);
	assert_int_equal(report(c, NULL, "spam", "old", LATE_REPORTER), 303);
	client_done(c, h);
	snprintf(sql, sizeof sql,
	    "UPDATE reports SET created_at = %lld WHERE state = 'open'",
	    (long long)time(NULL) - 100LL * 86400);
	assert_int_equal(server_db_exec(&w.srv, sql), 0);
	{
		const char *purge[] = { "purge", "--data", w.srv.data, NULL };

		assert_int_equal(cli_run(purge, &out, &err), 0);
	}
	/* Its address and note are gone from the database. */
	assert_int_equal(db_number("SELECT COUNT(*) FROM reports WHERE"
				   " email_sealed IS NOT NULL OR note = 'old'"),
	    0);
	hbuf_free(&out);
	hbuf_free(&err);
	before = maildir_count(&w.mail);
	moderator();
	assert_int_equal(decide(mod, NULL, "other", STATEMENT), 303);
	assert_int_equal(maildir_quiet(&w.mail, before, 1500), before);
	assert_int_equal(maildir_find(&w.mail, LATE_REPORTER, 100), 0);
}

/* Hiding the petition for reports: the moderator chooses the reason
 * (none, or one not in the list: 422), not the first reporter; the page
 * answers 410 with that reason, and the starter's mail gives it with the
 * moderator's statement. */
static void
test_hide_petition(void **state)
{
	(void)state;
	struct curl_slist *h;
	struct client *c;
	char path[160], *body = NULL, *want, *first;

	/* The petition has a starter, who is told. */
	assert_int_equal(harness_user_add(&w.srv, STARTER, "starter", PASSWORD),
	    0);
	assert_int_equal(server_db_exec(&w.srv,
			     "UPDATE petitions SET owner_id ="
			     " (SELECT MAX(id) FROM users) WHERE id = 1"),
	    0);
	c = client_from("10.7.0.1", &h);
	assert_int_equal(report(c, NULL, "spam", "first", NULL), 303);
	client_done(c, h);
	c = client_from("10.7.1.1", &h);
	assert_int_equal(report(c, NULL, "illegal", "hide it", NULL), 303);
	client_done(c, h);
	moderator();
	/* The queue offers the reasons, none chosen. */
	body = get_page(mod, "/admin/reports", 200);
	assert_non_null(strstr(body, "name=\"reason\""));
	assert_null(strstr(body, " selected"));
	free(body);
	assert_int_equal(decide_why(mod, NULL, "hide", STATEMENT, NULL, &body),
	    422);
	assert_page_shows(body, "en", "report_need_reason");
	free(body);
	assert_int_equal(decide_why(mod, NULL, "hide", STATEMENT, "burn", NULL),
	    422);
	assert_int_equal(decide_why(mod, NULL, "hide", STATEMENT, "offensive",
			     NULL),
	    303);
	assert_int_equal(db_number("SELECT COUNT(*) FROM petitions WHERE id = 1"
				   " AND state = 'hidden'"
				   " AND reason = 'offensive'"),
	    1);
	snprintf(path, sizeof path, "/p/%s?lang=uk", SEED_SLUG);
	body = get_page(c = client_new(&w.srv), path, 410);
	want = catalogue_lang("uk", "mod_reason_offensive");
	first = catalogue_lang("uk", "mod_reason_spam");
	assert_true(html_shows_text(body, want));
	assert_false(html_shows_text(body, first));
	free(want);
	free(first);
	free(body);
	client_free(c);
	snprintf(path, sizeof path, "/p/%s", SEED_SLUG);
	free(get_page(mod, path, 410));
	/* The starter's mail: the moderator's reason and statement. */
	{
		int n = maildir_find(&w.mail, STARTER, WAIT_MS);
		json_t *m;
		const char *text;

		assert_true(n > 0);
		m = mail_parse(&w.mail, n);
		assert_non_null(m);
		text = mail_part(m, "text/plain");
		assert_non_null(text);
		want = catalogue_lang("en", "mod_reason_offensive");
		first = catalogue_lang("en", "mod_reason_spam");
		assert_non_null(strstr(text, want));
		assert_null(strstr(text, first));
		assert_non_null(strstr(text, STATEMENT));
		free(want);
		free(first);
		json_decref(m);
	}
	/* A hidden petition takes no more reports. */
	snprintf(path, sizeof path, "/p/%s/report", SEED_SLUG);
	free(get_page(mod, path, 410));
	w.passed = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_and_form),
		cmocka_unit_test(test_comment_not_reportable),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_queue_and_outcome),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_hide_petition),
	};

	if (smtpd_available() != 0)
		return harness_finish(1);
	return harness_finish(cmocka_run_group_tests(tests, setup, teardown));
}
