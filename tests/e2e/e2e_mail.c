/* e2e_mail.c - mail that arrives, end to end against a real SMTP server
 * (smtpd.py). DKIM: holos started with --dkim-key and --dkim-selector
 * sends a confirmation mail; an independent verifier (dkimpy, Debian's
 * python3-dkim) checks the caught message against the key's DNS record,
 * given to it in place of DNS, and a copy with its subject changed must
 * fail; bad key settings stop holos with a message. Hard bounces: an
 * address refused with 550 at RCPT TO is suppressed, not tried again, and
 * listed by `holos outbox suppressed`; `unsuppress` lifts it. Sessions:
 * a queue of mail goes over a few connections kept open, not one per
 * message (the DKIM and session cases depend on no database, so they run
 * on SQLite only). A SIGKILL while the senders are busy loses no confirmation, and
 * a message sent twice (it was in flight at the kill) keeps its
 * Message-ID. A batch sent while the database is locked past its busy
 * timeout is recorded once the lock goes, and not sent again. While the
 * signature writer is saturated, the mail waits --mail-yield seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"

#define WAIT_MS 10000
#define SELECTOR "holos1"
#define SENDER "petitions@example.org"

static struct mailworld fx;
static char keydir[64], key[128], record[128];

/* dkimpy checks each file named after the record's: "pass" or "fail" per
 * file. The record answers for SELECTOR._domainkey.example.org only. */
static const char verifier[] =
    "import sys, dkim\n"
    "record = open(sys.argv[1], 'rb').read().strip()\n"
    "def dns(name, timeout=5):\n"
    "    name = name.decode() if isinstance(name, bytes) else name\n"
    "    if name.rstrip('.') == '" SELECTOR "._domainkey.example.org':\n"
    "        return record\n"
    "    return None\n"
    "for f in sys.argv[2:]:\n"
    "    m = open(f, 'rb').read()\n"
    "    print('pass' if dkim.verify(m, dnsfunc=dns) else 'fail')\n";

/* A 2048-bit key (mode 0600) and its DNS record, as an operator makes
 * them. */
static int
setup_key(void **state)
{
	char cmd[1024];

	(void)state;
	snprintf(keydir, sizeof keydir, "/tmp/holos-e2e-dkim-XXXXXX");
	if (mkdtemp(keydir) == NULL)
		return -1;
	snprintf(key, sizeof key, "%s/dkim.key", keydir);
	snprintf(record, sizeof record, "%s/record.txt", keydir);
	snprintf(cmd, sizeof cmd,
	    "umask 077 && openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out %s 2>/dev/null && "
	    "{ printf 'v=DKIM1; k=rsa; p='; openssl pkey -in %s -pubout "
	    "-outform DER 2>/dev/null | base64 -w0; } > %s",
	    key, key, record);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown_key(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", keydir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs the verifier over files (NULL-terminated); its output into out. */
static int
verify_files(const char *const *files, struct hbuf *out)
{
	const char *argv[8];
	char script[160];
	size_t n = 0;

	snprintf(script, sizeof script, "%s/verify.py", keydir);
	if (write_file(script, verifier, strlen(verifier)) != 0)
		return -1;
	argv[n++] = HARNESS_PYTHON;
	argv[n++] = script;
	argv[n++] = record;
	for (size_t i = 0; files[i] != NULL && n < 7; i++)
		argv[n++] = files[i];
	argv[n] = NULL;
	return run_capture_all(argv, out);
}

/* The confirmation mail of a signature is signed with d=example.org and
 * s=SELECTOR, verifies, and fails once its subject is changed. */
static void
test_confirmation_signed(void **state)
{
	struct mailworld *w = *state;

	if (harness_pg() != NULL)
		skip();
	const char *args[] = { "--seed", SEED_PATH, "--mail-from", SENDER,
		"--dkim-key", key, "--dkim-selector", SELECTOR, NULL };
	struct signer who = signer_default("dkim.reader@example.net");
	struct hbuf eml = { 0 }, out = { 0 };
	char path[600], tampered[600];

	assert_int_equal(mailworld_start(w, args, NULL), 0);
	assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "ru", NULL), 303);
	int i = maildir_find(&w->mail, who.email, WAIT_MS);
	assert_true(i > 0);
	snprintf(path, sizeof path, "%s/new/%d.eml", w->mail.dir, i);
	assert_int_equal(slurp(path, &eml), 0);
	if (strncmp(eml.data, "DKIM-Signature:", 15) != 0)
		fail_msg("the message does not start with its signature:\n%.300s",
		    eml.data);
	assert_non_null(strstr(eml.data, "d=example.org"));
	assert_non_null(strstr(eml.data, "s=" SELECTOR));

	/* The same message with one more character in the subject. */
	char *subj = strstr(eml.data, "\nSubject:");
	assert_non_null(subj);
	size_t at = (size_t)(subj - eml.data) + 9;
	struct hbuf bad = { 0 };
	hbuf_append(&bad, eml.data, at);
	hbuf_puts(&bad, "X");
	hbuf_append(&bad, eml.data + at, eml.len - at);
	snprintf(tampered, sizeof tampered, "%s/tampered.eml", w->srv.root);
	assert_int_equal(write_file(tampered, bad.data, bad.len), 0);

	const char *files[] = { path, tampered, NULL };
	assert_int_equal(verify_files(files, &out), 0);
	if (strcmp(out.data, "pass\nfail\n") != 0)
		fail_msg("dkimpy said (signed, tampered):\n%s", out.data);
	hbuf_free(&bad);
	hbuf_free(&eml);
	hbuf_free(&out);
	w->passed = true;
}

/* A key without a selector, a key others can read and a file that is not
 * a key stop `holos outbox send` (the server's mail set-up) with status 1
 * and a message naming the problem. */
static void
test_bad_settings_refused(void **state)
{
	char loose[160], junk[160], data[160];
	struct hbuf err = { 0 };

	(void)state;
	snprintf(data, sizeof data, "%s/data", keydir);
	snprintf(loose, sizeof loose, "%s/loose.key", keydir);
	snprintf(junk, sizeof junk, "%s/junk.key", keydir);
	struct hbuf k = { 0 };
	assert_int_equal(slurp(key, &k), 0);
	assert_int_equal(write_file(loose, k.data, k.len), 0);
	assert_int_equal(chmod(loose, 0644), 0);
	assert_int_equal(write_file(junk, "not a key\n", 10), 0);
	assert_int_equal(chmod(junk, 0600), 0);
	hbuf_free(&k);

	const char *alone[] = { "outbox", "send", "--data", data, "--mail-from",
		SENDER, "--dkim-key", key, NULL };
	assert_int_equal(cli_run(alone, NULL, &err), 1);
	assert_non_null(strstr(err.data, "--dkim-selector"));
	hbuf_free(&err);

	const char *open_key[] = { "outbox", "send", "--data", data,
		"--mail-from", SENDER, "--dkim-key", loose, "--dkim-selector",
		SELECTOR, NULL };
	assert_int_equal(cli_run(open_key, NULL, &err), 1);
	assert_non_null(strstr(err.data, "loose.key"));
	hbuf_free(&err);

	const char *not_key[] = { "outbox", "send", "--data", data,
		"--mail-from", SENDER, "--dkim-key", junk, "--dkim-selector",
		SELECTOR, NULL };
	assert_int_equal(cli_run(not_key, NULL, &err), 1);
	assert_non_null(strstr(err.data, "junk.key"));
	hbuf_free(&err);

	const char *bad_sel[] = { "outbox", "send", "--data", data,
		"--mail-from", SENDER, "--dkim-key", key, "--dkim-selector",
		"bad selector!", NULL };
	assert_int_equal(cli_run(bad_sel, NULL, &err), 1);
	hbuf_free(&err);
}

/* The keyed hash's listing and lookups of `holos outbox`, as text. */
static int
outbox_cli(const struct server *srv, const char *verb, const char *email,
    struct hbuf *out)
{
	const char *argv[] = { "outbox", "--data", srv->data, verb, email,
		NULL };
	return cli_run(argv, out, NULL);
}

/* A 550 to RCPT TO suppresses the address: the message is dead, the
 * address listed, and a retry does not reach the mail server again until
 * the address is unsuppressed. */
static void
test_hard_bounce_suppressed(void **state)
{
	struct mailworld *w = *state;
	const char *args[] = { "--seed", SEED_PATH, "--mail-attempts", "3",
		NULL };
	const char *smtpd_extra[] = { "--reject-rcpt", "bounce.me", NULL };
	struct signer who = signer_default("Bounce.Me@Example.org");
	struct hbuf out = { 0 };

	assert_int_equal(mailworld_start(w, args, smtpd_extra), 0);
	assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "en", NULL), 303);
	assert_int_equal(server_log_wait(&w->srv, "event=suppressed", 0,
			     WAIT_MS),
	    1);
	assert_int_equal(server_log_count(&w->srv, "result=refused"), 1);
	assert_int_equal(server_log_count(&w->srv, "bounce.me"), 0);

	/* Listed, by hash and reply; found by any spelling of the address. */
	assert_int_equal(outbox_cli(&w->srv, "suppressed", NULL, &out), 0);
	assert_non_null(strstr(out.data, "550"));
	assert_non_null(strstr(out.data, "1 suppressed address\n"));
	assert_null(strstr(out.data, "bounce.me"));
	hbuf_free(&out);
	assert_int_equal(outbox_cli(&w->srv, "suppressed",
			     "bounce.me@EXAMPLE.org", &out),
	    0);
	assert_string_equal(out.data, "bounce.me@example.org is suppressed\n");
	hbuf_free(&out);
	assert_int_equal(outbox_cli(&w->srv, "suppressed", "other@example.org",
			     &out),
	    0);
	assert_string_equal(out.data, "other@example.org is not suppressed\n");
	hbuf_free(&out);
	assert_int_equal(outbox_cli(&w->srv, "suppressed", "not an address",
			     &out),
	    2);
	hbuf_free(&out);

	/* Queued again by an operator: dead at once, the server not asked. */
	assert_int_equal(outbox_cli(&w->srv, "retry", "dead", &out), 0);
	hbuf_free(&out);
	assert_int_equal(server_log_wait(&w->srv, "refused for good before", 0,
			     WAIT_MS),
	    1);
	assert_int_equal(server_log_count(&w->srv, "result=refused"), 1);

	/* Lifted: the next retry asks the server again (and is refused). */
	assert_int_equal(outbox_cli(&w->srv, "unsuppress",
			     "bounce.me@example.org", &out),
	    0);
	assert_string_equal(out.data,
	    "bounce.me@example.org will be mailed again\n");
	hbuf_free(&out);
	assert_int_equal(outbox_cli(&w->srv, "retry", "dead", &out), 0);
	hbuf_free(&out);
	assert_int_equal(server_log_wait(&w->srv, "result=refused", 1, WAIT_MS),
	    2);
	assert_int_equal(maildir_count(&w->mail), 0);
	w->passed = true;
}

/* Two letters to a refused address sent in one batch: the relay is asked
 * once, and the second letter is not tried after the first's 550 (the
 * senders look up a batch's recipients before sending it). */
static void
test_hard_bounce_once_per_batch(void **state)
{
	struct mailworld *w = *state;
	const char *args[] = { "--seed", SEED_PATH, "--mail-attempts", "3",
		NULL };
	const char *smtpd_extra[] = { "--reject-rcpt", "bounce.me", NULL };
	struct signer who = signer_default("bounce.me@example.org");
	struct hbuf out = { 0 };
	char path[400];
	static const char md[] = "---\ntitle: A second petition\nto: The "
				 "council\ngoal: 100\nlang: en\nslug: "
				 "second\n---\nA second text.\n";
	long code = 0;

	assert_int_equal(mailworld_start(w, args, smtpd_extra), 0);
	snprintf(path, sizeof path, "%s/second.md", w->srv.root);
	assert_int_equal(write_file(path, md, strlen(md)), 0);
	const char *imp[] = { "import", "--data", w->srv.data, path, NULL };
	assert_int_equal(cli_run(imp, NULL, NULL), 0);

	/* One letter refused, the other then not tried. */
	assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "en", NULL), 303);
	assert_int_equal(server_log_wait(&w->srv, "event=suppressed", 0,
			     WAIT_MS),
	    1);
	/* The server learns of the imported petition within a second. */
	for (int i = 0; i < 40 && code != 303; i++) {
		code = sign_fresh(&w->srv, "second", &who, "en", NULL);
		if (code != 303)
			pause_ms(100);
	}
	assert_int_equal(code, 303);
	assert_int_equal(server_log_wait(&w->srv, "refused for good before", 0,
			     WAIT_MS),
	    1);

	/* Both queued again at once: one claim, one question to the relay. */
	assert_int_equal(outbox_cli(&w->srv, "unsuppress",
			     "bounce.me@example.org", &out),
	    0);
	hbuf_free(&out);
	assert_int_equal(outbox_cli(&w->srv, "retry", "dead", &out), 0);
	assert_string_equal(out.data, "queued 2 messages again\n");
	hbuf_free(&out);
	assert_int_equal(server_log_wait(&w->srv, "refused for good before", 1,
			     WAIT_MS),
	    2);
	assert_int_equal(server_log_count(&w->srv, "result=refused"), 2);
	assert_int_equal(maildir_count(&w->mail), 0);
	w->passed = true;
}

/* 20 confirmations arrive once each over at most --mail-senders (3)
 * SMTP sessions: the senders keep their connections between messages. */
static void
test_sessions_reused(void **state)
{
	struct mailworld *w = *state;

	if (harness_pg() != NULL)
		skip();
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		"--mail-senders", "3", NULL };
	enum { N = 30 };
	char peers[N][64];
	int npeers = 0;

	assert_int_equal(mailworld_start(w, args, NULL), 0);
	for (int i = 0; i < N; i++) {
		char email[64];
		snprintf(email, sizeof email, "session.%d@example.net", i);
		struct signer who = signer_default(email);
		assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "en",
				     NULL),
		    303);
	}
	assert_int_equal(maildir_wait(&w->mail, N, WAIT_MS), N);
	assert_int_equal(maildir_quiet(&w->mail, N, 500), N);
	for (int i = 1; i <= N; i++) {
		struct hbuf env = { 0 };
		char path[600], peer[64];
		snprintf(path, sizeof path, "%s/new/%d.peer", w->mail.dir, i);
		assert_int_equal(slurp(path, &env), 0);
		assert_int_equal(sscanf(env.data, "%63s", peer), 1);
		int k;
		for (k = 0; k < npeers && strcmp(peers[k], peer) != 0; k++)
			;
		if (k == npeers)
			snprintf(peers[npeers++], sizeof peers[0], "%s", peer);
		hbuf_free(&env);
	}
	for (int i = 0; i < N; i++) {
		char email[64];
		snprintf(email, sizeof email, "session.%d@example.net", i);
		assert_true(maildir_find(&w->mail, email, 0) > 0);
	}
	if (npeers > 3)
		fail_msg("%d messages came over %d connections, wanted at most 3",
		    N, npeers);
	w->passed = true;
}

/* The index of the recipient of message i among the KILL_N addresses
 * "killed.K@example.net", or -1. */
static int
kill_rcpt(const struct smtpd *m, int i)
{
	struct hbuf env = { 0 };
	const char *p;
	int k = -1;

	if (maildir_env(m, i, &env) == 0 &&
	    (p = strstr(env.data, "RCPT TO: <killed.")) != NULL)
		k = atoi(p + 17);
	hbuf_free(&env);
	return k;
}

/* The Message-ID of message i as it came (not unfolded: holos writes it on
 * one line), malloc'd, or NULL. Read here rather than through Python's
 * email package: the test reads a hundred messages. */
static char *
raw_message_id(const struct smtpd *m, int i)
{
	char path[600];
	struct hbuf raw = { 0 };
	char *id = NULL;
	const char *p;

	snprintf(path, sizeof path, "%s/new/%d.eml", m->dir, i);
	if (slurp(path, &raw) == 0 && raw.data != NULL &&
	    (p = strcasestr(raw.data, "\nMessage-ID:")) != NULL) {
		p += 12;
		p += strspn(p, " \t");
		id = strndup(p, strcspn(p, "\r\n"));
	}
	hbuf_free(&raw);
	return id;
}

enum { KILL_N = 60 };

/* Confirmations queued while the mail server was down; it comes back,
 * and holos is killed (SIGKILL) once some have arrived, with its senders
 * busy, then started again: every confirmation arrives, and any address
 * that got two got the same Message-ID twice. */
static void
test_kill_while_sending(void **state)
{
	struct mailworld *w = *state;
	/* One node name across the restart, as a node keeps its own. */
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		"--mail-retry", "1", "--node", "mail-1", NULL };
	char *ids[KILL_N] = { 0 };
	int got[KILL_N] = { 0 }, port, dups = 0;
	char dir[sizeof w->mail.dir];

	assert_int_equal(mailworld_start(w, args, NULL), 0);
	port = w->mail.port;
	snprintf(dir, sizeof dir, "%s", w->mail.dir);
	assert_int_equal(smtpd_stop(&w->mail), 0);
	for (int i = 0; i < KILL_N; i++) {
		char email[64];
		snprintf(email, sizeof email, "killed.%d@example.net", i);
		struct signer who = signer_default(email);
		assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "en",
				     NULL),
		    303);
	}
	assert_int_equal(smtpd_start(&w->mail, dir, port, NULL), 0);
	assert_true(maildir_wait(&w->mail, 5, 3 * WAIT_MS) >= 5);
	int status = 0, before = maildir_count(&w->mail);
	assert_int_equal(kill(w->srv.pid, SIGKILL), 0);
	assert_true(waitpid(w->srv.pid, &status, 0) > 0);
	w->srv.pid = 0;
	if (before >= KILL_N)
		fail_msg("all %d arrived before the kill: nothing was in flight",
		    before);
	/* What reached the mail server before the restart: only those can
	 * come twice (sent, their outcome not yet committed). */
	pause_ms(200);
	int arrived = maildir_count(&w->mail);
	assert_int_equal(server_start(&w->srv), 0);

	/* Every address gets its confirmation. */
	long long end = now_ms() + 6 * WAIT_MS;
	int have = 0;
	for (int seen = 1; have < KILL_N && now_ms() < end;) {
		int n = maildir_count(&w->mail);
		for (; seen <= n; seen++) {
			int k = kill_rcpt(&w->mail, seen);
			assert_true(k >= 0 && k < KILL_N);
			char *id = raw_message_id(&w->mail, seen);
			if (id == NULL || id[0] != '<')
				fail_msg("message %d has no Message-ID", seen);
			if (got[k]++ == 0) {
				ids[k] = id;
				have++;
			} else {
				dups++;
				if (strcmp(ids[k], id) != 0)
					fail_msg("killed.%d got two Message-IDs: "
						 "%s and %s",
					    k, ids[k], id);
				free(id);
			}
		}
		if (have < KILL_N)
			pause_ms(50);
	}
	if (have < KILL_N)
		fail_msg("%d of %d confirmations arrived after the restart",
		    have, KILL_N);
	printf("# %d of %d had arrived before the restart; %d came twice\n",
	    arrived, KILL_N, dups);
	assert_true(dups <= arrived);
	for (int k = 0; k < KILL_N; k++)
		free(ids[k]);
	w->passed = true;
}

/* Rows of the outbox in state st. */
static long long
outbox_in(struct mailworld *w, const char *st)
{
	char sql[128];

	snprintf(sql, sizeof sql,
	    "SELECT COUNT(*) FROM outbox WHERE state = '%s'", st);
	return server_db_scalar(&w->srv, sql);
}

/* The mail server holds its reply to DATA 2 s; meanwhile, once the
 * message is claimed, another connection takes SQLite's write lock and
 * keeps it 9 s, past holos's busy timeout (5 s) after the reply. The
 * sender must record the batch when the lock goes: before, the record
 * was given up and the mail sent again an hour later. */
static void
test_record_after_busy(void **state)
{
	struct mailworld *w = *state;
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		NULL };
	const char *slow[] = { "--data-delay", "2", NULL };
	struct signer who = signer_default("busy@example.net");
	char path[400];
	sqlite3 *db = NULL;
	long long end;

	if (harness_pg() != NULL)
		skip();
	assert_int_equal(mailworld_start(w, args, slow), 0);
	assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "en", NULL), 303);
	end = now_ms() + WAIT_MS;
	while (outbox_in(w, "sending") < 1 && now_ms() < end)
		pause_ms(20);
	assert_int_equal(outbox_in(w, "sending"), 1);
	snprintf(path, sizeof path, "%s/holos.db", w->srv.data);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	pause_ms(9000);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_true(server_log_count(&w->srv, "cannot record a batch yet") > 0);
	end = now_ms() + WAIT_MS;
	while (outbox_in(w, "sent") < 1 && now_ms() < end)
		pause_ms(50);
	assert_int_equal(outbox_in(w, "sent"), 1);
	assert_int_equal(outbox_in(w, "sending"), 0);
	pause_ms(500);
	assert_int_equal(maildir_count(&w->mail), 1);
	w->passed = true;
}

/* Signs one more for "NAME.I@example.net". */
static void
sign_one(struct mailworld *w, const char *name, int i)
{
	char email[64];

	snprintf(email, sizeof email, "%s.%d@example.net", name, i);
	struct signer who = signer_default(email);
	assert_int_equal(sign_fresh(&w->srv, SEED_SLUG, &who, "en", NULL), 303);
}

/* A holos whose signature writer reports itself saturated from the start
 * (HOLOS_TEST_SIGNQ_BUSY=1, read by the sanitised builds only: a spike that
 * saturates the writer cannot be made on every machine the tests run on). */
static int
start_saturated(struct mailworld *w, const char *yield)
{
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		"--mail-yield", yield, NULL };
	int rc;

	setenv("HOLOS_TEST_SIGNQ_BUSY", "1", 1);
	rc = mailworld_start(w, args, NULL);
	unsetenv("HOLOS_TEST_SIGNQ_BUSY");
	return rc;
}

/* While the writer is saturated the mail waits --mail-yield seconds from
 * the hold's beginning, then all of it goes; once the senders have caught
 * up, the next letter is held again. */
static void
test_mail_waits_for_signing(void **state)
{
	struct mailworld *w = *state;
	long long t;

	if (harness_pg() != NULL)
		skip();
	/* The stand-in saturation begins with the writer, so the first hold
	 * begins with the senders' first round, at start-up: it is timed
	 * from before the start. */
	t = now_ms();
	assert_int_equal(start_saturated(w, "5"), 0);
	sign_one(w, "held", 0);
	assert_int_equal(server_log_wait(&w->srv, "event=held ", 0, WAIT_MS), 1);
	sign_one(w, "held", 1);
	sign_one(w, "held", 2);
	if (now_ms() < t + 2500)
		pause_ms((long)(t + 2500 - now_ms()));
	if (now_ms() < t + 4500)
		assert_int_equal(maildir_count(&w->mail), 0);
	else
		print_message("start-up took %lld ms: the mail's wait not "
			      "checked\n",
		    now_ms() - t);
	assert_int_equal(maildir_wait(&w->mail, 3, WAIT_MS), 3);
	assert_int_equal(server_log_count(&w->srv, "event=hold_ended"), 1);
	for (int i = 0; i < 3; i++) {
		char email[64];
		snprintf(email, sizeof email, "held.%d@example.net", i);
		assert_true(maildir_find(&w->mail, email, 0) > 0);
	}
	/* Caught up (a sender found nothing left to claim): the next
	 * letter is held again, and goes out when that hold runs out. */
	sign_one(w, "held", 3);
	assert_int_equal(maildir_wait(&w->mail, 4, WAIT_MS), 4);
	assert_true(server_log_count(&w->srv, "event=held ") >= 2);
	assert_true(server_log_count(&w->srv, "event=hold_ended") >= 2);
	w->passed = true;
}

/* --mail-yield 0: the mail never waits for the writer. */
static void
test_mail_yield_off(void **state)
{
	struct mailworld *w = *state;

	if (harness_pg() != NULL)
		skip();
	assert_int_equal(start_saturated(w, "0"), 0);
	sign_one(w, "unheld", 0);
	assert_int_equal(maildir_wait(&w->mail, 1, WAIT_MS), 1);
	assert_true(maildir_find(&w->mail, "unheld.0@example.net", 0) > 0);
	assert_int_equal(server_log_count(&w->srv, "event=held"), 0);
	w->passed = true;
}

int
main(void)
{
	if (smtpd_available() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		mailworld_test(test_confirmation_signed, &fx),
		cmocka_unit_test(test_bad_settings_refused),
		mailworld_test(test_hard_bounce_suppressed, &fx),
		mailworld_test(test_hard_bounce_once_per_batch, &fx),
		mailworld_test(test_sessions_reused, &fx),
		mailworld_test(test_kill_while_sending, &fx),
		mailworld_test(test_record_after_busy, &fx),
		mailworld_test(test_mail_waits_for_signing, &fx),
		mailworld_test(test_mail_yield_off, &fx),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, setup_key, teardown_key));
}
