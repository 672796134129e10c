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

#include <libpq-fe.h>
#include <sqlite3.h>

#include "harness.h"

#define WAIT_MS 15000

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

/* /privacy in three languages, linked from every page's footer and from
 * the sign form. */
static void
test_privacy_page(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	const char *langs[] = { "en", "ru", "uk" };
	struct resp r;
	char path[64];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/privacy?lang=%s", langs[i]);
		client_get_expect(c, path, 200, &r);
		assert_page_shows(r.body.data, langs[i], "privacy_stored");
		assert_page_shows(r.body.data, langs[i], "privacy_who");
		resp_free(&r);
	}
	client_get_expect(c, "/privacy?lang=en", 200, &r);
	assert_non_null(strstr(r.body.data, "90 days after a petition closes"));
	resp_free(&r);
	client_get_expect(c, "/?lang=en", 200, &r);
	assert_non_null(strstr(r.body.data, "<a href=\"/privacy\">"));
	resp_free(&r);
	client_get_expect(c, "/p/" SEED_SLUG, 200, &r);
	const char *form = strstr(r.body.data, "sign__privacy");
	assert_non_null(form);
	assert_non_null(strstr(form, "<a href=\"/privacy\">"));
	resp_free(&r);
	client_free(c);
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

/* ---- retention ---- */

#define STARTER "retain-starter@example.org"
#define PASSWORD "correct horse battery staple"
#define GONE "retain-gone"
#define KEPT "retain-kept"

static struct mailworld w;

/* The signers: two of the petition that closes, one of the one that
 * stays open until later. Every value is unique, so a scan finds only
 * its own. */
enum { G1, G2, K1, SIGNERS };
static const struct {
	const char *slug, *first, *last, *email, *comment;
	bool confirm;
} who[SIGNERS] = {
	[G1] = { GONE, "Gwendolyn", "Erasmusgoneby", "g1-gone@example.org",
	    "Gwendolyns-own-words-here", true },
	[G2] = { GONE, "Horatio", "Vanishingpending", "g2-gone@example.org",
	    "Horatios-pending-words", false },
	[K1] = { KEPT, "Keeperina", "Staysalonger", "k1-kept@example.org",
	    "Keeperinas-kept-words", true },
};

/* The first column of the first row of sql (SQLite) or pgsql (PostgreSQL)
 * on s's database, as text into out; "" for NULL or no row. Returns 0 or
 * -1. */
static int
db_text(const struct server *s, const char *sql, const char *pgsql, char *out,
    size_t len)
{
	*out = '\0';
	if (s->db[0] != '\0') {
		PGconn *c = PQconnectdb(s->db);
		PGresult *r;
		int ret = -1;

		if (PQstatus(c) == CONNECTION_OK) {
			r = PQexec(c, pgsql);
			if (PQresultStatus(r) == PGRES_TUPLES_OK) {
				if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
					snprintf(out, len, "%s",
					    PQgetvalue(r, 0, 0));
				ret = 0;
			} else
				fprintf(stderr, "%s: %s", pgsql,
				    PQresultErrorMessage(r));
			PQclear(r);
		}
		PQfinish(c);
		return ret;
	}
	char path[400];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ret = -1;

	snprintf(path, sizeof path, "%s/holos.db", s->data);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(st);

		if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
			snprintf(out, len, "%s",
			    (const char *)sqlite3_column_text(st, 0));
		ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
	}
	if (ret == -1)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

/* The same as a number (-1 when it fails). */
static long long
db_number(const struct server *s, const char *sql)
{
	char v[64];

	if (db_text(s, sql, sql, v, sizeof v) == -1)
		return -1;
	return strtoll(v, NULL, 10);
}

/* hex into bytes; returns how many. */
static size_t
unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (n < max && sscanf(hex + 2 * n, "%2x", &v) == 1)
		out[n++] = (unsigned char)v;
	return n;
}

/* What a scan looks for of one signer: the clear values and the stored
 * bytes of its sealed data and email hash. */
struct traces {
	unsigned char pii[512], hash[64];
	size_t pii_len, hash_len;
	bool quiet; /* hits expected */
};

static void
traces_read(const struct server *s, int k, struct traces *t)
{
	char sql[512], pgsql[512], hex[1100];
	const char *const cols[2][2] = { { "hex(pii)", "encode(pii, 'hex')" },
		{ "hex(email_hash)", "encode(email_hash, 'hex')" } };

	for (int c = 0; c < 2; c++) {
		const char *fmt =
		    "SELECT %s FROM signatures WHERE comment = '%s'";

		snprintf(sql, sizeof sql, fmt, cols[c][0], who[k].comment);
		snprintf(pgsql, sizeof pgsql, fmt, cols[c][1], who[k].comment);
		assert_int_equal(db_text(s, sql, pgsql, hex, sizeof hex), 0);
		assert_true(strlen(hex) >= 64);
		if (c == 0)
			t->pii_len = unhex(hex, t->pii, sizeof t->pii);
		else
			t->hash_len = unhex(hex, t->hash, sizeof t->hash);
	}
}

/* Whether anything of signer k is left: in every file of the data folder
 * (the database, its WAL, mail files) byte for byte on SQLite, in every
 * column of every table on PostgreSQL. */
static bool
traces_left(const struct server *s, int k, const struct traces *t)
{
	/* The positive control expects hits: they are not news. */
	FILE *say = t->quiet ? fopen("/dev/null", "w") : NULL;

	if (say == NULL)
		say = stderr;
	const char *clear[] = { who[k].first, who[k].last, who[k].email,
		who[k].comment };
	char found[400] = "";
	bool any = false;

	if (s->db[0] != '\0') {
		struct hbuf dump = { 0 };

		assert_int_equal(server_db_dump(s, &dump), 0);
		for (size_t i = 0; i < 4; i++)
			if (strstr(dump.data, clear[i]) != NULL) {
				fprintf(say, "left in the database: %s\n",
				    clear[i]);
				any = true;
			}
		hbuf_free(&dump);
		char sql[256];
		snprintf(sql, sizeof sql,
		    "SELECT COUNT(*) FROM signatures WHERE comment = '%s' OR"
		    " (pii IS NOT NULL AND seq = 0)",
		    who[k].comment);
		if (db_number(s, sql) != 0)
			any = true;
	}
	for (size_t i = 0; i < 4; i++)
		if (dir_contains(s->data, clear[i], strlen(clear[i]), found,
			sizeof found)) {
			fprintf(say, "%s left in %s\n", clear[i], found);
			any = true;
		}
	if (dir_contains(s->data, t->pii, t->pii_len, found, sizeof found)) {
		fprintf(say, "sealed data of %s left in %s\n", who[k].email,
		    found);
		any = true;
	}
	if (dir_contains(s->data, t->hash, t->hash_len, found, sizeof found)) {
		fprintf(say, "email hash of %s left in %s\n", who[k].email,
		    found);
		any = true;
	}
	if (say != stderr)
		fclose(say);
	return any;
}

/* Writes a petition owned by STARTER and imports it. */
static void
import_owned(const struct server *s, const char *slug)
{
	char path[400], src[512];
	snprintf(path, sizeof path, "%s/%s.md", s->root, slug);
	snprintf(src, sizeof src,
	    "---\ntitle: Petition %s\nto: City council\ngoal: 100\n"
	    "lang: en\nslug: %s\n---\nPlease act.\n",
	    slug, slug);
	assert_int_equal(write_file(path, src, strlen(src)), 0);
	const char *argv[] = { "import", "--data", s->data, "--owner", STARTER,
		path, NULL };
	assert_int_equal(cli_run(argv, NULL, NULL), 0);
}

/* Closes slug as if it closed days ago, its end mail sent then (no page
 * brings that about). */
static void
close_days_ago(const struct server *s, const char *slug, int days)
{
	char sql[256];

	snprintf(sql, sizeof sql,
	    "UPDATE petitions SET state = 'closed', end_mailed = 'closed',"
	    " updated_at = %lld WHERE slug = '%s'",
	    (long long)time(NULL) - (long long)days * 86400, slug);
	assert_int_equal(server_db_exec(s, sql), 0);
}

/* The starter posts a response to slug; returns the status. */
static long
post_response(const struct server *s, const char *slug, const char *title)
{
	struct client *c = client_signed_in(s, STARTER, PASSWORD);
	char path[256];
	struct hbuf b = { 0 };
	struct resp r;

	snprintf(path, sizeof path, "/me/p/%s", slug);
	char *csrf = client_page_csrf(c, path);
	form_add(&b, "kind", "response");
	form_add(&b, "title", title);
	form_add(&b, "body", "We will act.");
	form_add(&b, "author", "Mayor Smith");
	form_add(&b, "csrf", csrf);
	snprintf(path, sizeof path, "/me/p/%s/update", slug);
	assert_int_equal(client_post(c, path, b.data, b.len, NULL, &r),
	    CURLE_OK);
	long st = r.status;
	resp_free(&r);
	hbuf_free(&b);
	free(csrf);
	client_free(c);
	return st;
}

/* --retain-days after a petition closes, its signers' personal data is
 * erased (by holos purge, and by a serving holos at start and hourly):
 * nothing of them is left in the database, its WAL or the data folder,
 * while the count, the countries and other petitions' signers stay; the
 * page says when; a response that comes later reaches only signers whose
 * data is kept. */
static void
test_retention(void **state)
{
	(void)state;
	const char *args[] = { "--rate-limit", "off", "--retain-days", "30",
		NULL };
	struct server *s = &w.srv;
	struct traces t[SIGNERS] = { 0 };
	struct hbuf out = { 0 }, err = { 0 };
	struct resp r;
	char sql[256];

	if (smtpd_available() != 0)
		skip();
	assert_int_equal(mailworld_start(&w, args, NULL), 0);
	assert_int_equal(harness_user_add(s, STARTER, "starter", PASSWORD), 0);
	import_owned(s, GONE);
	import_owned(s, KEPT);
	for (int k = 0; k < SIGNERS; k++) {
		struct signer sg = signer_default(who[k].email);

		sg.first_name = who[k].first;
		sg.last_name = who[k].last;
		sg.comment = who[k].comment;
		sg.country = "DE";
		sg.updates = "1";
		sg.public_ = "1";
		assert_int_equal(sign_fresh(s, who[k].slug, &sg, NULL, NULL),
		    303);
		if (who[k].confirm) {
			struct client *c = client_new(s);
			assert_int_equal(mail_follow(c, &w.mail, who[k].email,
					     "/c/", WAIT_MS),
			    303);
			client_free(c);
		}
	}
	assert_int_equal(petition_count_wait(s, GONE, 1, WAIT_MS), 1);
	assert_int_equal(petition_count_wait(s, KEPT, 1, WAIT_MS), 1);
	for (int k = 0; k < SIGNERS; k++)
		traces_read(s, k, &t[k]);

	/* GONE closed 31 days ago; its mail was sent as long ago. */
	assert_int_equal(server_stop(s), 0);
	close_days_ago(s, GONE, 31);
	close_days_ago(s, KEPT, 29); /* not yet due */
	snprintf(sql, sizeof sql, "UPDATE outbox SET updated_at = %lld",
	    (long long)time(NULL) - 31LL * 86400);
	assert_int_equal(server_db_exec(s, sql), 0);
	const char *purge[] = { "purge", "--data", s->data, "--retain-days",
		"30", NULL };
	assert_int_equal(cli_run(purge, &out, &err), 0);
	assert_non_null(strstr(out.data,
	    "erased the signers of 1 petition (2 signatures), 3 sent or dead"));
	hbuf_free(&out);
	hbuf_free(&err);
	assert_false(traces_left(s, G1, &t[G1]));
	assert_false(traces_left(s, G2, &t[G2]));
	/* The scan finds what is there: the other petition's signer. */
	t[K1].quiet = true;
	if (harness_pg() == NULL)
		assert_true(traces_left(s, K1, &t[K1]));
	t[K1].quiet = false;
	assert_int_equal(db_number(s, "SELECT COUNT(*) FROM outbox"), 0);
	assert_int_equal(db_number(s,
			     "SELECT COUNT(*) FROM tokens t JOIN signatures g"
			     " ON g.id = t.subject JOIN petitions p"
			     " ON p.id = g.petition_id WHERE p.slug = '" GONE
			     "'"),
	    0);
	/* What stays: the count, the countries. */
	assert_int_equal(db_number(s,
			     "SELECT COUNT(*) FROM signatures g JOIN petitions p"
			     " ON p.id = g.petition_id WHERE p.slug = '" GONE
			     "' AND g.country = 'DE'"),
	    2);
	/* Once is enough: nothing more is due. */
	assert_int_equal(cli_run(purge, &out, &err), 0);
	assert_non_null(strstr(out.data, "erased the signers of 0 petitions"));
	hbuf_free(&out);
	hbuf_free(&err);

	assert_int_equal(server_start(s), 0);
	assert_int_equal(petition_count(s, GONE), 1);
	struct client *c = client_new(s);
	client_get_expect(c, "/p/" GONE, 200, &r);
	assert_non_null(strstr(r.body.data, "were erased on"));
	assert_null(strstr(r.body.data, who[G1].first));
	resp_free(&r);
	client_get_expect(c, "/p/" KEPT, 200, &r);
	assert_non_null(strstr(r.body.data, "will be erased on"));
	assert_non_null(
	    strstr(r.body.data, "30 days after the petition closed"));
	resp_free(&r);

	/* A response now is published, and mailed only to kept signers. */
	int before = maildir_count(&w.mail);
	assert_int_equal(post_response(s, GONE, "Late answer"), 303);
	assert_int_equal(maildir_quiet(&w.mail, before, 3000), before);
	client_get_expect(c, "/p/" GONE, 200, &r);
	assert_non_null(strstr(r.body.data, "Late answer"));
	resp_free(&r);
	client_free(c);
	assert_int_equal(post_response(s, KEPT, "Timely answer"), 303);
	assert_true(maildir_find_nth(&w.mail, who[K1].email, 2, WAIT_MS) > 0);

	/* A serving holos erases at start (and every hour): KEPT, closed 29
	 * days ago, is due under --retain-days 28. */
	assert_int_equal(server_stop(s), 0);
	for (int i = 0; s->args[i] != NULL; i++)
		if (strcmp(s->args[i], "30") == 0)
			s->args[i] = "28";
	assert_int_equal(server_start(s), 0);
	long long end = now_ms() + WAIT_MS;
	while (
	    db_number(s,
		"SELECT COUNT(*) FROM signatures WHERE pii IS NOT NULL") != 0 &&
	    now_ms() < end)
		pause_ms(100);
	assert_int_equal(server_stop(s), 0);
	assert_false(traces_left(s, K1, &t[K1]));
	w.passed = true;
}

/* ---- withdrawing ---- */

static struct mailworld w2;

/* The path of the link to prefix in the last mail to rcpt, malloc'd. */
static char *
mailed_link(struct mailworld *mw, const char *rcpt, const char *prefix)
{
	int i = maildir_find(&mw->mail, rcpt, WAIT_MS);
	json_t *m;
	char *link;

	assert_true(i > 0);
	m = mail_parse(&mw->mail, i);
	assert_non_null(m);
	const char *text = mail_part(m, "text/plain");
	assert_non_null(text);
	link = link_path(text, mw->srv.base, prefix);
	const char *html = mail_part(m, "text/html");
	assert_non_null(html);
	assert_non_null(strstr(html, prefix));
	json_decref(m);
	assert_non_null(link);
	return link;
}

/* The log's size as /p/SLUG.json says, -1 when absent. */
static long
log_size(const struct server *s, const char *slug)
{
	struct client *c = client_new(s);
	char path[256];
	struct resp r;
	long v = -1;

	snprintf(path, sizeof path, "/p/%s.json", slug);
	client_get_expect(c, path, 200, &r);
	const char *p = strstr(r.body.data, "\"log_size\":");
	if (p != NULL)
		v = strtol(p + strlen("\"log_size\":"), NULL, 10);
	resp_free(&r);
	client_free(c);
	return v;
}

/* The confirmed signatures the country rows hold, over all nodes. */
#define COUNTRY_ROWS \
	"SELECT COALESCE(SUM(confirmed), 0) FROM petition_countries"

/* The link in the confirmation mail withdraws a signature: a counted one
 * leaves the count and the log gets a removal leaf; a pending one can no
 * longer be confirmed; the signer's data and links go (the link then
 * answers 404, saying it is spent); the address may sign again. */
static void
test_withdraw(void **state)
{
	(void)state;
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		NULL };
	struct server *s = &w2.srv;
	struct signer a = signer_default("withdraw-a@example.org");
	struct signer b = signer_default("withdraw-b@example.org");
	struct resp r;

	if (smtpd_available() != 0)
		skip();
	assert_int_equal(mailworld_start(&w2, args, NULL), 0);
	a.comment = "Withdrawing-words-of-A";
	assert_int_equal(sign_fresh(s, SEED_SLUG, &a, NULL, NULL), 303);
	assert_int_equal(sign_fresh(s, SEED_SLUG, &b, NULL, NULL), 303);
	struct client *c = client_new(s);
	assert_int_equal(mail_follow(c, &w2.mail, a.email, "/c/", WAIT_MS), 303);
	assert_int_equal(petition_count_wait(s, SEED_SLUG, 1, WAIT_MS), 1);
	assert_int_equal(log_size(s, SEED_SLUG), 1);
	assert_int_equal(db_number(s, COUNTRY_ROWS), 1);

	char *wa = mailed_link(&w2, a.email, "/w/");
	char *ca = mailed_link(&w2, a.email, "/c/");
	client_get_expect(c, wa, 200, &r);
	assert_page_shows(r.body.data, "en", "withdraw_ask");
	resp_free(&r);
	assert_int_equal(client_press_button(c, wa, &r), 200);
	assert_page_shows(r.body.data, "en", "withdraw_done_heading");
	resp_free(&r);
	assert_int_equal(petition_count_wait(s, SEED_SLUG, 0, WAIT_MS), 0);
	assert_int_equal(log_size(s, SEED_SLUG), 2); /* the removal leaf */
	/* Its country row too (the page's countries). */
	assert_int_equal(db_number(s, COUNTRY_ROWS), 0);
	/* The link went with the data: it says it is spent. */
	client_get_expect(c, wa, 404, &r);
	assert_page_shows(r.body.data, "en", "withdraw_unknown");
	resp_free(&r);
	/* Its data is gone with it. */
	assert_int_equal(db_number(s,
			     "SELECT COUNT(*) FROM signatures WHERE comment ="
			     " 'Withdrawing-words-of-A' OR (state = 'invalid'"
			     " AND pii IS NOT NULL)"),
	    0);
	(void)ca;

	/* A pending signature: withdrawn, its confirmation link is dead. */
	char *wb = mailed_link(&w2, b.email, "/w/");
	char *cb = mailed_link(&w2, b.email, "/c/");
	assert_int_equal(client_press_button(c, wb, &r), 200);
	resp_free(&r);
	client_get_expect(c, cb, 404, &r);
	resp_free(&r);
	assert_int_equal(petition_count(s, SEED_SLUG), 0);
	assert_int_equal(log_size(s, SEED_SLUG), 2);

	/* The address may sign again. */
	assert_int_equal(sign_fresh(s, SEED_SLUG, &a, NULL, NULL), 303);
	client_get_expect(c, "/w/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    404, &r);
	resp_free(&r);
	const char *secrets[] = { wa + 3, wb + 3, NULL };
	assert_log_lacks(s, secrets);
	free(wa);
	free(wb);
	free(ca);
	free(cb);
	client_free(c);
	w2.passed = true;
}

int
main(void)
{
	/* One server for the files, in this order. */
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_mail_files_expire),
		cmocka_unit_test(test_privacy_page),
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
	const struct CMUnitTest retention[] = {
		mailworld_test(test_retention, &w),
		mailworld_test(test_withdraw, &w2),
	};
	failed += cmocka_run_group_tests(retention, NULL, NULL);
	return harness_finish(failed);
}
