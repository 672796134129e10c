/* e2e_crash.c - end-to-end tests of what a signature survives: SIGKILL,
 * SIGTERM under load, a full queue, a full disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define SIGN_PATH "/p/" SEED_SLUG "/sign"
#define SQLITE3 "/usr/bin/sqlite3"

/* ---- the database, seen from outside the server ---- */

/* Runs sqlite3 read-only on db with sql and stores its output, stdout and
 * stderr together, in out. Returns the exit status, or -1. */
static int
db_run(const char *db, const char *sql, struct hbuf *out)
{
	/* Read-only, so the check cannot itself repair or checkpoint what
	 * the server left. */
	const char *argv[] = { SQLITE3, "-readonly", "-batch", "-noheader",
		"-cmd", ".timeout 5000", db, sql, NULL };
	return run_capture_all(argv, out);
}

/* What the signature tables say, read straight from the file. */
struct db_state {
	long rows;	/* signatures */
	long hashes;	/* distinct email hashes among them */
	long max_seq;	/* highest seq: rows when the log has no gap */
	long counted;	/* sum of petition_counts.confirmed */
	long confirmed; /* signatures in state confirmed */
};

/* Reads the signature tables of the server's database and asserts
 * PRAGMA integrity_check is "ok". when names the moment for messages. */
static struct db_state
db_check(const struct server *s, const char *when)
{
	if (harness_pg() != NULL) {
		/* PostgreSQL checks its own pages; the numbers must agree. */
		struct db_state st = {
			.rows = (long)pg_scalar(s->db,
			    "SELECT count(*) FROM signatures"),
			.hashes = (long)pg_scalar(s->db,
			    "SELECT count(DISTINCT (petition_id, email_hash)) FROM signatures"),
			.max_seq = (long)pg_scalar(s->db,
			    "SELECT coalesce(max(seq), 0) FROM signatures"),
			.counted = (long)pg_scalar(s->db,
			    "SELECT coalesce(sum(confirmed), 0) FROM petition_counts"),
			.confirmed = (long)pg_scalar(s->db,
			    "SELECT count(*) FROM signatures WHERE state = 'confirmed'"),
		};
		if (st.rows < 0 || st.hashes < 0 || st.max_seq < 0 ||
		    st.counted < 0 || st.confirmed < 0)
			fail_msg("%s: cannot read %s", when, s->db);
		return st;
	}
	char db[400];
	snprintf(db, sizeof db, "%s/holos.db", s->data);
	struct hbuf out = { 0 };
	int rc = db_run(db, "PRAGMA integrity_check;", &out);
	if (rc != 0 || strcmp(out.data, "ok\n") != 0)
		fail_msg("%s: integrity_check of %s (exit %d): %s", when, db,
		    rc, out.data);
	hbuf_free(&out);

	struct db_state st = { 0 };
	rc = db_run(db,
	    "SELECT count(*), count(DISTINCT email_hash), coalesce(max(seq), 0),"
	    " (SELECT coalesce(sum(confirmed), 0) FROM petition_counts),"
	    " coalesce(sum(state = 'confirmed'), 0) FROM signatures;",
	    &out);
	if (rc != 0 ||
	    sscanf(out.data, "%ld|%ld|%ld|%ld|%ld", &st.rows, &st.hashes,
		&st.max_seq, &st.counted, &st.confirmed) != 5)
		fail_msg("%s: sqlite3 on %s (exit %d): %s", when, db, rc,
		    out.data);
	hbuf_free(&out);
	return st;
}

/* Asserts the tables agree with each other and with the count the server
 * shows: every row once, every row counted, the log without gaps. */
static void
assert_db_consistent(const struct server *s, long shown, const char *when)
{
	struct db_state st = db_check(s, when);
	if (st.rows != st.hashes)
		fail_msg("%s: %ld signature rows but %ld distinct email hashes",
		    when, st.rows, st.hashes);
	if (st.counted != st.rows || st.confirmed != st.rows)
		fail_msg("%s: %ld signature rows (%ld confirmed) but petition_counts sums to %ld",
		    when, st.rows, st.confirmed, st.counted);
	if (st.max_seq != st.rows)
		fail_msg("%s: %ld signature rows but the highest seq is %ld",
		    when, st.rows, st.max_seq);
	if (shown != st.rows)
		fail_msg("%s: the JSON count is %ld but the database holds %ld signatures",
		    when, shown, st.rows);
}

/* ---- signing ---- */

/* An urlencoded sign form for email with token. */
static void
sign_body(struct hbuf *b, const char *email, const char *token)
{
	struct signer who = signer_default(email);
	form_sign(b, &who, token);
}

/* POSTs the sign form for email with c and token; fills *r (resp_free it)
 * and returns the status, 0 when no answer came. */
static long
sign_with(struct client *c, const char *email, const char *token, struct resp *r)
{
	struct hbuf b = { 0 };
	sign_body(&b, email, token);
	CURLcode rc = client_post(c, SIGN_PATH, b.data, b.len, NULL, r);
	hbuf_free(&b);
	return rc == CURLE_OK ? r->status : 0;
}

static char *
fetch_token(const struct server *s)
{
	struct client *c = client_new(s);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	client_free(c);
	if (tok == NULL)
		fail_msg("no csrf token from GET /p/%s", SEED_SLUG);
	return tok;
}

/* A message from locales/LANG.json, malloc'd. */
static char *
locale_text(const char *lang, const char *key)
{
	char path[64];
	snprintf(path, sizeof path, "locales/%s.json", lang);
	json_error_t err;
	json_t *cat = json_load_file(path, 0, &err);
	if (cat == NULL)
		fail_msg("%s: %s (line %d)", path, err.text, err.line);
	json_t *v = json_object_get(cat, key);
	if (!json_is_string(v))
		fail_msg("%s has no string \"%s\"", path, key);
	char *s = strdup(json_string_value(v));
	json_decref(cat);
	return s;
}

/* Asserts r is an HTML page showing text as holos escapes it. */
static void
assert_html_shows(const struct resp *r, const char *text, const char *what)
{
	char *ct = resp_header(r, "Content-Type");
	if (ct == NULL || strncmp(ct, "text/html", 9) != 0)
		fail_msg("%s: Content-Type %s, wanted an HTML page", what,
		    ct ? ct : "(none)");
	free(ct);
	char *esc = html_escape(text);
	if (strstr(r->body.data, esc) == NULL)
		fail_msg("%s: the page does not show \"%s\":\n%.1500s", what,
		    esc, r->body.data);
	free(esc);
}

/* Asserts a 503 carries Retry-After with a number of seconds. */
static void
assert_retry_after(const struct resp *r, const char *what)
{
	char *ra = resp_header(r, "Retry-After");
	if (ra == NULL || ra[0] < '0' || ra[0] > '9' ||
	    ra[strspn(ra, "0123456789")] != '\0')
		fail_msg("%s: status %ld with Retry-After %s, wanted a number of seconds",
		    what, r->status, ra ? ra : "(none)");
	free(ra);
}

/* ---- 1. SIGKILL while signing ---- */

#define KILL_THREADS 8
#define KILL_PER_THREAD 4000 /* an upper bound; a round ends at the kill */
#define RESIGN_LAST 16	     /* acknowledged just before the kill, per thread */
#define RESIGN_STRIDE 10     /* and every tenth of the others */

static const char *const kill_args[] = { "--seed", SEED_PATH, COUNT_ON_SIGN,
	NULL };

/* One signing client: posts unique emails until the server goes away. */
struct signing_thread {
	pthread_t thread;
	struct client *client;
	const char *token;
	int round, id;
	atomic_bool *stop;
	size_t sent;
	long status[KILL_PER_THREAD]; /* 0: sent, no answer */
};

static void
kill_email(char *buf, size_t sz, int round, int id, size_t n)
{
	snprintf(buf, sz, "kill-r%d-t%d-n%zu@example.org", round, id, n);
}

static void *
signing_loop(void *arg)
{
	struct signing_thread *t = arg;
	while (t->sent < KILL_PER_THREAD && !atomic_load(t->stop)) {
		char email[96];
		kill_email(email, sizeof email, t->round, t->id, t->sent);
		struct resp r;
		long st = sign_with(t->client, email, t->token, &r);
		resp_free(&r);
		t->status[t->sent++] = st;
		if (st == 0)
			break; /* the server is gone */
	}
	return NULL;
}

/* KILL_THREADS signing_loop()s on s, signing emails of round with token
 * until *stop; the array is calloc'd (free it after signers_join()). */
static struct signing_thread *
signers_start(const struct server *s, const char *token, int round,
    atomic_bool *stop)
{
	struct signing_thread *ts = calloc(KILL_THREADS, sizeof *ts);
	assert_non_null(ts);
	for (int i = 0; i < KILL_THREADS; i++) {
		ts[i].client = client_new(s);
		ts[i].token = token;
		ts[i].round = round;
		ts[i].id = i;
		ts[i].stop = stop;
		assert_int_equal(pthread_create(&ts[i].thread, NULL,
				     signing_loop, &ts[i]),
		    0);
	}
	return ts;
}

/* Sets *stop and waits for the signers. */
static void
signers_join(struct signing_thread *ts, atomic_bool *stop)
{
	atomic_store(stop, true);
	for (int i = 0; i < KILL_THREADS; i++) {
		pthread_join(ts[i].thread, NULL);
		client_free(ts[i].client);
	}
}

/* Re-signs each email in the list and returns how many gave 422; fails on
 * anything but 303 or 422, and on 303 when must_exist. */
static size_t
resign_all(const struct server *s, const char *token, char (*emails)[96],
    size_t n, bool must_exist, const char *dup_text)
{
	struct client *c = client_new(s);
	size_t dups = 0;
	for (size_t i = 0; i < n; i++) {
		struct resp r;
		long st = sign_with(c, emails[i], token, &r);
		if (st == 422) {
			char what[160];
			snprintf(what, sizeof what, "re-signing %s", emails[i]);
			assert_html_shows(&r, dup_text, what);
			dups++;
		} else if (st != 303 || must_exist) {
			fail_msg("re-signing %s %s: status %ld, wanted %s:\n%.1000s",
			    emails[i],
			    must_exist ? "(acknowledged before the kill)" :
					 "(unanswered)",
			    st, must_exist ? "422 duplicate" : "303 or 422",
			    r.body.data ? r.body.data : "");
		}
		resp_free(&r);
	}
	client_free(c);
	return dups;
}

/* Starts s again after round and returns the count it shows, which the
 * database must agree with; when names the moment for messages. */
static long
restart_checked(struct server *s, size_t round, char *when, size_t n)
{
	assert_int_equal(server_start(s), 0);
	snprintf(when, n, "round %zu after the restart", round);
	long count = petition_count(s, SEED_SLUG);
	assert_db_consistent(s, count, when);
	return count;
}

static void
test_sigkill_while_signing(void **state)
{
	struct server *s = *state;
	static const long delays_ms[] = { 30, 100, 300, 700 };
	char *dup_text = catalogue_get("err_duplicate");
	assert_non_null(dup_text);
	long known = 0; /* signatures certainly stored, over all rounds */
	long acked_all = 0;
	long long started = now_ms();

	for (size_t round = 0; round < sizeof delays_ms / sizeof delays_ms[0];
	     round++) {
		char *token = fetch_token(s);
		atomic_bool stop = false;
		struct signing_thread *ts =
		    signers_start(s, token, (int)round, &stop);
		pause_ms(delays_ms[round]);
		int killed = kill(s->pid, SIGKILL), status = 0;
		pid_t reaped = waitpid(s->pid, &status, 0);
		/* Killed on purpose: the harness must not stop it again. */
		s->pid = 0;
		signers_join(ts, &stop);
		assert_int_equal(killed, 0);
		assert_true(reaped > 0);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail_msg("round %zu: the server ended with status %#x before the kill",
			    round, status);

		/* Sort the emails: acknowledged (303) or not. */
		size_t total = 0;
		for (int i = 0; i < KILL_THREADS; i++)
			total += ts[i].sent;
		char(*sample)[96] = calloc(total + 1, 96);
		char(*unknown)[96] = calloc(total + 1, 96);
		assert_non_null(sample);
		assert_non_null(unknown);
		size_t na = 0, ns = 0, nu = 0;
		for (int i = 0; i < KILL_THREADS; i++) {
			size_t ti = 0, tn = 0;
			for (size_t j = 0; j < ts[i].sent; j++)
				tn += ts[i].status[j] == 303;
			for (size_t j = 0; j < ts[i].sent; j++) {
				long st = ts[i].status[j];
				if (st == 303) {
					na++;
					/* The count proves them all; one by
					 * one, the last before the kill and a
					 * spread of the rest. */
					if (tn - ti <= RESIGN_LAST ||
					    ti % RESIGN_STRIDE == 0)
						kill_email(sample[ns++], 96,
						    (int)round, i, j);
					ti++;
				} else {
					if (st != 0)
						fail_msg("round %zu: a new email got %ld before the "
							 "kill, wanted 303",
						    round, st);
					kill_email(unknown[nu++], 96,
					    (int)round, i, j);
				}
			}
		}
		free(ts);
		acked_all += (long)na;
		fprintf(stderr,
		    "round %zu: killed after %ld ms: %zu acknowledged, %zu unanswered\n",
		    round, delays_ms[round], na, nu);

		char when[64];
		long count = restart_checked(s, round, when, sizeof when);
		if (count < known + (long)na)
			fail_msg("%s: count %ld, but %ld signatures were acknowledged",
			    when, count, known + (long)na);
		if (count > known + (long)(na + nu))
			fail_msg("%s: count %ld, but only %ld signatures were ever sent",
			    when, count, known + (long)(na + nu));

		/* The acknowledged signatures are there: the sample one by one. */
		free(token);
		token = fetch_token(s);
		resign_all(s, token, sample, ns, true, dup_text);
		assert_int_equal(petition_count(s, SEED_SLUG), count);
		/* The unanswered ones may or may not be; those that are make up
		 * the rest of the count exactly. */
		size_t present =
		    resign_all(s, token, unknown, nu, false, dup_text);
		if (count != known + (long)(na + present))
			fail_msg("%s: count %ld, but %ld acknowledged and %zu of the unanswered "
				 "are stored",
			    when, count, known + (long)na, present);
		known += (long)(na + nu);
		assert_int_equal(petition_count(s, SEED_SLUG), known);
		free(sample);
		free(unknown);
		free(token);
	}
	fprintf(stderr, "%ld signatures acknowledged over all rounds, %lld ms\n",
	    acked_all, now_ms() - started);
	if (acked_all == 0)
		fail_msg(
		    "no signature was acknowledged before any kill: the test proves nothing");

	/* A clean stop leaves the same state. */
	assert_int_equal(server_stop(s), 0);
	assert_db_consistent(s, known, "after the last clean stop");
	free(dup_text);
}

static int
kill_setup(void **state)
{
	struct server *s = calloc(1, sizeof *s);
	if (s == NULL || server_init(s, kill_args) != 0 ||
	    server_start(s) != 0) {
		if (s != NULL)
			server_cleanup(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int
server_teardown(void **state)
{
	return server_free(*state);
}

/* ---- 2. SIGTERM while signing ---- */

#define TERM_ROUND0 100 /* emails of these rounds differ from the kill's */

/* Signers keep their connections busy while holos gets SIGTERM: it must
 * drain and exit 0 with a clean log, a request it no longer takes gets
 * 503 (never a crash), and every signature it acknowledged is stored. */
static void
test_sigterm_while_signing(void **state)
{
	struct server *s = *state;
	static const long delays_ms[] = { 50, 150, 400, 800, 1200 };
	long known = 0, acked_all = 0;

	for (size_t round = 0; round < sizeof delays_ms / sizeof delays_ms[0];
	     round++) {
		char *token = fetch_token(s);
		atomic_bool stop = false;
		struct signing_thread *ts =
		    signers_start(s, token, TERM_ROUND0 + (int)round, &stop);
		pause_ms(delays_ms[round]);
		/* server_stop() sends SIGTERM and wants exit status 0 and no
		 * sanitizer report in the log. */
		int stopped = server_stop(s);
		signers_join(ts, &stop);
		if (stopped != 0)
			fail_msg("round %zu: holos did not stop cleanly on SIGTERM while "
				 "signers were busy (its log is above)",
			    round);
		long na = 0, nr = 0, nu = 0;
		for (int i = 0; i < KILL_THREADS; i++) {
			for (size_t j = 0; j < ts[i].sent; j++) {
				long st = ts[i].status[j];
				if (st == 303)
					na++;
				else if (st == 503)
					nr++;
				else if (st == 0)
					nu++;
				else
					fail_msg("round %zu: a new email got %ld while holos "
						 "stopped, wanted 303, 503 or no answer",
					    round, st);
			}
		}
		free(ts);
		free(token);
		acked_all += na;
		fprintf(stderr,
		    "round %zu: SIGTERM after %ld ms: %ld acknowledged, %ld refused, "
		    "%ld unanswered\n",
		    round, delays_ms[round], na, nr, nu);

		char when[64];
		long count = restart_checked(s, round, when, sizeof when);
		/* Refused ones were never written; unanswered ones may be. */
		if (count < known + na || count > known + na + nu)
			fail_msg("%s: count %ld, wanted %ld acknowledged and at most %ld "
				 "unanswered on top of %ld",
			    when, count, na, nu, known);
		known = count;
	}
	if (acked_all == 0)
		fail_msg(
		    "no signature was acknowledged before any SIGTERM: the test "
		    "proves nothing");
}

/* ---- 3. a full queue answers 503 ---- */

static const char *const busy_args[] = { COUNT_ON_SIGN, "--queue", "1",
	"--batch", "1",
	/* Every request of the burst comes from 127.0.0.1. */
	"--per-ip-limit", "0", NULL };

static int
busy_setup(void **state)
{
	*state = server_new_seeded(busy_args);
	return *state != NULL ? 0 : -1;
}

/* Fires n sign requests at once, every other one in Russian; checks each
 * answer and returns how many were 303. *busy gets the number of 503s. */
static long
sign_burst(struct server *s, const char *token, size_t n, int burst, long *busy)
{
	char *busy_en = locale_text("en", "err_busy");
	char *busy_ru = locale_text("ru", "err_busy");
	struct client **cs = calloc(n, sizeof *cs);
	struct hbuf *bodies = calloc(n, sizeof *bodies);
	struct resp *rs = calloc(n, sizeof *rs);
	assert_non_null(cs);
	assert_non_null(bodies);
	assert_non_null(rs);
	struct curl_slist *ru = curl_slist_append(NULL, "Accept-Language: ru");
	struct curl_slist *en = curl_slist_append(NULL, "Accept-Language: en");
	for (size_t i = 0; i < n; i++) {
		cs[i] = client_new(s);
		curl_easy_setopt(cs[i]->curl, CURLOPT_HTTPHEADER,
		    i % 2 ? ru : en);
		char email[96];
		snprintf(email, sizeof email, "burst-%d-%zu@example.org", burst,
		    i);
		sign_body(&bodies[i], email, token);
	}
	assert_int_equal(client_post_many(cs, SIGN_PATH, bodies, rs, n), 0);
	long ok = 0;
	*busy = 0;
	for (size_t i = 0; i < n; i++) {
		char what[96];
		snprintf(what, sizeof what, "burst %d request %zu (%s)", burst,
		    i, i % 2 ? "ru" : "en");
		if (rs[i].rc != CURLE_OK)
			fail_msg("%s: %s", what, curl_easy_strerror(rs[i].rc));
		if (rs[i].status == 303) {
			ok++;
		} else if (rs[i].status == 503) {
			(*busy)++;
			assert_retry_after(&rs[i], what);
			assert_html_shows(&rs[i], i % 2 ? busy_ru : busy_en,
			    what);
		} else {
			fail_msg("%s: status %ld, wanted 303 or 503:\n%.1000s",
			    what, rs[i].status, rs[i].body.data);
		}
		resp_free(&rs[i]);
		hbuf_free(&bodies[i]);
		curl_easy_setopt(cs[i]->curl, CURLOPT_HTTPHEADER, NULL);
		client_free(cs[i]);
	}
	curl_slist_free_all(ru);
	curl_slist_free_all(en);
	free(cs);
	free(bodies);
	free(rs);
	free(busy_en);
	free(busy_ru);
	return ok;
}

static void
test_full_queue_503(void **state)
{
	struct server *s = *state;
	static const size_t bursts[] = { 200, 600 };
	char *token = fetch_token(s);
	long ok_all = 0, busy = 0;
	for (size_t b = 0; b < sizeof bursts / sizeof bursts[0] && busy == 0;
	     b++) {
		long ok = sign_burst(s, token, bursts[b], (int)b, &busy);
		ok_all += ok;
		fprintf(stderr, "burst of %zu: %ld × 303, %ld × 503\n",
		    bursts[b], ok, busy);
		/* No accepted signature is dropped, none counted twice. */
		long count = petition_count(s, SEED_SLUG);
		if (count != ok_all)
			fail_msg("burst of %zu: count %ld, but %ld signatures got 303",
			    bursts[b], count, ok_all);
		assert_db_consistent(s, count, "after the burst");
	}
	if (busy == 0)
		fail_msg("no 503 at all with --queue 1 --batch 1 and bursts of up to %zu requests",
		    bursts[sizeof bursts / sizeof bursts[0] - 1]);

	/* The rush over, signing works again. */
	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(sign_with(c, "after-the-rush@example.org", token, &r),
	    303);
	resp_free(&r);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), ok_all + 1);
	free(token);
}

/* ---- 4. a full disk ---- */

struct disk {
	struct server *s;
	char mnt[280];
	char filler[300];
	bool mounted;
};

static const char *const disk_args[] = { "--seed", SEED_PATH, COUNT_ON_SIGN,
	NULL };

/* The data dir lives in a tmpfs of its own, which the test then fills. */
static int
disk_setup(void **state)
{
	struct disk *d = calloc(1, sizeof *d);
	if (d == NULL)
		return -1;
	d->s = calloc(1, sizeof *d->s);
	if (d->s == NULL || server_init(d->s, disk_args) != 0) {
		free(d->s);
		free(d);
		return -1;
	}
	snprintf(d->mnt, sizeof d->mnt, "%s/disk", d->s->root);
	snprintf(d->filler, sizeof d->filler, "%s/filler", d->mnt);
	snprintf(d->s->data, sizeof d->s->data, "%s/data", d->mnt);
	*state = d;
	return 0;
}

static int
disk_teardown(void **state)
{
	struct disk *d = *state;
	/* The server first: it holds files on the mount. */
	int rc = server_stop(d->s);
	if (d->mounted && umount(d->mnt) != 0) {
		fprintf(stderr, "umount %s: %s; detaching it\n", d->mnt,
		    strerror(errno));
		if (umount2(d->mnt, MNT_DETACH) != 0) {
			fprintf(stderr, "umount2 %s: %s\n", d->mnt,
			    strerror(errno));
			rc = -1;
		}
	}
	d->mounted = false;
	if (server_free(d->s) != 0)
		rc = -1;
	free(d);
	return rc;
}

/* Writes to path until the file system refuses; returns the bytes written. */
static long
fill_disk(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	static char chunk[64 * 1024];
	memset(chunk, 'x', sizeof chunk);
	long total = 0;
	size_t size = sizeof chunk;
	/* 64 KiB at a time, then smaller to fill the last pages; a 3 MiB
	 * tmpfs takes fewer than a thousand writes. */
	for (int i = 0; i < 100000 && size > 0; i++) {
		ssize_t k = write(fd, chunk, size);
		if (k > 0) {
			total += k;
		} else if (k < 0 && errno == ENOSPC) {
			size /= 2;
		} else if (k < 0 && errno != EINTR) {
			fail_msg("write %s: %s", path, strerror(errno));
		}
	}
	if (size != 0)
		fail_msg("%s: never got ENOSPC after %ld bytes", path, total);
	fsync(fd);
	close(fd);
	return total;
}

/* Asserts the server still runs and answers reads. */
static void
assert_alive(struct server *s, const char *when)
{
	int status;
	if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
		s->pid = 0;
		fail_msg("%s: the server died (status %#x)", when, status);
	}
	struct client *c = client_new(s);
	struct resp r;
	if (client_get(c, "/healthz", &r) != CURLE_OK)
		fail_msg("%s: GET /healthz got no answer", when);
	if (r.status != 200)
		fprintf(stderr, "%s: GET /healthz gave %ld: %s\n", when,
		    r.status, r.body.data);
	resp_free(&r);
	if (client_get(c, "/p/" SEED_SLUG, &r) != CURLE_OK || r.status != 200)
		fail_msg("%s: GET /p/%s gave %ld", when, SEED_SLUG, r.status);
	resp_free(&r);
	client_free(c);
}

#define DISK_BEFORE 3
/* Refusals wanted on the full disk, and the most signatures tried for
 * them: SQLite's WAL, copied back by its own thread, is used again from
 * its start, so a few signatures still fit in its file before one must
 * grow it. */
#define DISK_DURING 3
#define DISK_TRIES 400

static void
test_disk_full(void **state)
{
	struct disk *d = *state;
	struct server *s = d->s;
	if (harness_pg() != NULL) {
		/* The database is PostgreSQL's, not on this tmpfs. */
		print_message(
		    "disk full: SQLite only, skipped under PostgreSQL\n");
		skip();
	}
	if (mkdir(d->mnt, 0700) != 0)
		fail_msg("mkdir %s: %s", d->mnt, strerror(errno));
	if (mount("tmpfs", d->mnt, "tmpfs", 0, "size=3m,mode=0700") != 0)
		fail_msg("mount -t tmpfs -o size=3m tmpfs %s: %s (this test needs root and "
			 "CAP_SYS_ADMIN)",
		    d->mnt, strerror(errno));
	d->mounted = true;
	assert_int_equal(server_start(s), 0);

	char *token = fetch_token(s);
	char *unavailable_en = locale_text("en", "err_unavailable");
	struct client *c = client_new(s);
	struct resp r;
	for (int i = 0; i < DISK_BEFORE; i++) {
		char email[64];
		snprintf(email, sizeof email, "disk-before-%d@example.org", i);
		if (sign_with(c, email, token, &r) != 303)
			fail_msg("sign %s with room on the disk: %ld", email,
			    r.status);
		resp_free(&r);
	}
	long acked = DISK_BEFORE;
	assert_int_equal(petition_count(s, SEED_SLUG), acked);

	long filled = fill_disk(d->filler);
	fprintf(stderr, "filler: %ld bytes, the tmpfs is full\n", filled);

	/* Now every write must either fail visibly or be really stored. */
	long refused = 0, tried = 0;
	char failed[DISK_DURING][64];
	for (int i = 0; i < DISK_TRIES && refused < DISK_DURING; i++) {
		char email[64], what[128];
		snprintf(email, sizeof email, "disk-full-%d@example.org", i);
		snprintf(what, sizeof what, "sign %s on a full disk", email);
		long st = sign_with(c, email, token, &r);
		if (st == 0)
			fail_msg("%s: no answer (did the server crash?)", what);
		if (st == 303) {
			/* Acknowledged on a full disk: then it must be in the file. */
			acked++;
			assert_db_consistent(s, acked, what);
		} else if (st == 503) {
			/* A full disk is a passing condition: 503, try again. */
			assert_retry_after(&r, what);
			assert_html_shows(&r, unavailable_en, what);
			snprintf(failed[refused++], 64, "%s", email);
		} else {
			fail_msg("%s: status %ld, wanted 303 or 503:\n%.1000s",
			    what, st, r.body.data);
		}
		resp_free(&r);
		assert_alive(s, what);
		assert_int_equal(petition_count(s, SEED_SLUG), acked);
		tried++;
	}
	fprintf(stderr, "full disk: %ld of %ld signatures refused\n", refused,
	    tried);
	if (refused == 0)
		fail_msg(
		    "every signature got 303 on a full tmpfs: the disk was never full?");
	/* The WAL's copy failed too, and was not tried again at once: a line
	 * every few seconds in the log, not one every 50 ms. */
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(s, &log), 0);
	int copies = count_of(log.data, "op=checkpoint");
	hbuf_free(&log);
	if (copies > 2)
		fail_msg("%d failed WAL copies logged on the full disk", copies);

	/* Room again: what was acknowledged is intact, nothing else is. */
	if (unlink(d->filler) != 0)
		fail_msg("unlink %s: %s", d->filler, strerror(errno));
	assert_alive(s, "after freeing the disk");
	long count = petition_count(s, SEED_SLUG);
	assert_int_equal(count, acked);
	assert_db_consistent(s, count, "after freeing the disk");

	/* What failed was not stored, so it can be signed now. */
	for (long i = 0; i < refused; i++) {
		long st = sign_with(c, failed[i], token, &r);
		if (st != 303)
			fail_msg("sign %s again after freeing the disk: status %ld, wanted 303 (it "
				 "was refused while the disk was full):\n%.1000s",
			    failed[i], st, r.body.data ? r.body.data : "");
		resp_free(&r);
		acked++;
	}
	if (sign_with(c, "disk-after@example.org", token, &r) != 303)
		fail_msg("sign after freeing the disk: status %ld:\n%.1000s",
		    r.status, r.body.data ? r.body.data : "");
	resp_free(&r);
	acked++;
	count = petition_count(s, SEED_SLUG);
	assert_int_equal(count, acked);
	assert_db_consistent(s, count, "after signing again");

	/* And all of it survives a restart. */
	assert_int_equal(server_restart(s), 0);
	count = petition_count(s, SEED_SLUG);
	assert_int_equal(count, acked);
	assert_db_consistent(s, count, "after the restart");
	client_free(c);
	free(token);
	free(unavailable_en);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigkill_while_signing,
		    kill_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_while_signing,
		    kill_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_503, busy_setup,
		    server_teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, disk_setup,
		    disk_teardown),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
