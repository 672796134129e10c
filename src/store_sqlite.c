/* store_sqlite.c - the SQLite backend: WAL, synchronous=FULL, foreign keys;
 * connections with their prepared statements, and the writes that SQLite
 * does row by row (a batch's signatures, update mail, an invalidation). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "mono.h"
#include "search_sqlite.h"
#include "store_backend.h"

#define BUSY_TIMEOUT_MS 5000

/* SQLite's texts where they differ from store.c's, then its own. */
static const char *const sq_sql[ST__MAX] = {
	/* Takes the write lock at once: a transaction that reads first and
	 * writes later could find another writer in between. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	/* After a retention purge: the WAL's copies of the pages before it
	 * go, the file cut to nothing. */
	[ST_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
	[ST_WAL_CHECKPOINT] = "PRAGMA wal_checkpoint(PASSIVE)",
	/* The due queued rows are read in the order of outbox_due, only as
	 * many as asked; with the two conditions OR'ed in one WHERE, SQLite
	 * read every due row and sorted them all, so that each claim cost
	 * as much as the queue was long (20 ms and the write lock held, with
	 * 50,000 queued) and mail that fell behind fell further behind. The
	 * rows whose lease ran out are the few in flight at most. */
	[ST_OUTBOX_CLAIM] =
	    "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
	    " updated_at = $1, claimed_by = $4 WHERE id IN (SELECT id FROM"
	    " (SELECT id, next_at FROM outbox"
	    " WHERE state = 'sending' AND updated_at < $3"
	    " UNION ALL SELECT id, next_at FROM (SELECT id, next_at FROM outbox"
	    " WHERE state = 'queued' AND next_at <= $1"
	    " ORDER BY next_at, id LIMIT $2))"
	    " ORDER BY next_at, id LIMIT $2) RETURNING id, message_id, kind,"
	    " state, attempts, next_at, created_at, updated_at, sealed",
	/* The words of the partial index signatures_updates. */
	[ST_UPDATE_RECIPIENTS] =
	    "SELECT id, pii, lang FROM signatures WHERE petition_id = $1"
	    " AND updates = 1 AND state = 'confirmed' AND id > $2"
	    " AND created_at <= $3 ORDER BY id LIMIT $4",
	/* SQLite's default order is the bytes'. */
	[ST_STATS_COUNTRIES] =
	    "SELECT NULLIF(country, '--'), SUM(confirmed) FROM petition_countries"
	    " WHERE petition_id = $1 GROUP BY country HAVING SUM(confirmed) > 0"
	    " ORDER BY 2 DESC, country",
	/* The write lock (BEGIN IMMEDIATE) already keeps other appenders
	 * out; SQLite has no FOR UPDATE. */
	[ST_LOG_TREE_LOCK] = "SELECT size FROM log_trees WHERE petition_id = $1",
	[ST_LOG_HASH_LOCK] =
	    "SELECT hashed, size FROM log_trees WHERE petition_id = $1",
	/* Search (find): the FTS5 table petition_search, rowid the
	 * petition's id, each column's value from search_sqlite_document();
	 * bm25 counts a title word ten times a word of the text, an
	 * addressee four (docs/search.md). */
	[ST_SEARCH_INDEX] =
	    "INSERT OR REPLACE INTO petition_search (rowid, title, addressees,"
	    " body) VALUES ($1, $2, $3, $4)",
	[ST_SEARCH_UNINDEX] = "DELETE FROM petition_search WHERE rowid = $1",
	[ST_SEARCH] =
	    "SELECT p.id, p.slug, p.title, p.body_md, p.lang, p.goal, p.state,"
	    " p.created_at, p.updated_at, COALESCE(p.closes_at, 0),"
	    " COALESCE(p.owner_id, 0), p.reason, p.note,"
	    " COALESCE((SELECT MIN(t.at) FROM transitions t"
	    " WHERE t.petition_id = p.id AND t.to_state = 'open'),"
	    " p.created_at) FROM petition_search"
	    " JOIN petitions p ON p.id = petition_search.rowid"
	    " WHERE petition_search MATCH $1"
	    " AND p.state IN ('open', 'closed', 'victory')"
	    " ORDER BY bm25(petition_search, 10.0, 4.0, 1.0), p.id DESC"
	    " LIMIT $2 OFFSET $3",
	[ST_SEARCH_COUNT] =
	    "SELECT COUNT(*) FROM petition_search JOIN petitions p"
	    " ON p.id = petition_search.rowid WHERE petition_search MATCH $1"
	    " AND p.state IN ('open', 'closed', 'victory')",
	/* The next seq of the petition, in the insert itself: the write
	 * lock keeps every other writer out until the commit. */
	[ST_SQ_SIGNATURE_INSERT] =
	    "INSERT INTO signatures (petition_id, seq, email_hash, pii, country,"
	    " public_name, updates, comment, state, created_at, confirmed_at,"
	    " lang, last_mail_at, flags, net, domain, public_comment)"
	    " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM signatures"
	    " WHERE petition_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15, ?16)"
	    " ON CONFLICT (petition_id, email_hash) DO NOTHING RETURNING id, seq",
	[ST_SQ_SIG_BY_HASH] = "SELECT id, state, last_mail_at FROM signatures"
			      " WHERE petition_id = ?1 AND email_hash = ?2",
	[ST_SQ_SIG_MAILED] =
	    "UPDATE signatures SET last_mail_at = ?1 WHERE id = ?2",
	[ST_SQ_TOKEN_INSERT] =
	    "INSERT INTO tokens (hash, purpose, subject, created_at, expires_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SQ_INV_TEMP] =
	    "CREATE TEMP TABLE IF NOT EXISTS inv_seqs (seq INTEGER PRIMARY KEY)",
	[ST_SQ_INV_CLEAR] = "DELETE FROM temp.inv_seqs",
	[ST_SQ_INV_SEQ] =
	    "INSERT OR IGNORE INTO temp.inv_seqs (seq) VALUES (?1)",
	/* ?2 domain, ?3 net, ?4 from, ?5 to, ?6 whether a list was given. */
	[ST_SQ_INV_COUNT] =
	    "SELECT COUNT(*), COALESCE(SUM(state = 'confirmed'), 0)"
	    " FROM signatures WHERE petition_id = ?1 AND state != 'invalid'"
	    " AND (?2 IS NULL OR domain = ?2) AND (?3 IS NULL OR net = ?3)"
	    " AND (?4 = 0 OR created_at >= ?4) AND (?5 = 0 OR created_at < ?5)"
	    " AND (?6 = 0 OR seq IN (SELECT seq FROM temp.inv_seqs))",
	[ST_SQ_INV_MARK] =
	    "UPDATE signatures SET state = 'invalid', invalid_reason = ?7,"
	    " invalidation_id = ?8 WHERE petition_id = ?1 AND state != 'invalid'"
	    " AND (?2 IS NULL OR domain = ?2) AND (?3 IS NULL OR net = ?3)"
	    " AND (?4 = 0 OR created_at >= ?4) AND (?5 = 0 OR created_at < ?5)"
	    " AND (?6 = 0 OR seq IN (SELECT seq FROM temp.inv_seqs))",
};

struct store_conn {
	sqlite3 *db;
	const char *const *sql; /* every statement in this dialect */
	sqlite3_stmt *st[ST__MAX];
	sqlite3_stmt *cur;  /* the statement running */
	int nbind;	    /* parameters bound so far */
	bool row;	    /* its last step gave a row */
	int64_t busy_since; /* mono_ms() of the first try, while busy */
	int64_t wait_since; /* when the operation began to wait; 0: now */
};

static enum store_step
sq_step_status(struct store_conn *c, int rc, const char *what)
{
	int ext = sqlite3_extended_errcode(c->db);

	if (rc == SQLITE_ROW)
		return STEP_ROW;
	if (rc == SQLITE_DONE)
		return STEP_DONE;
	if (rc == SQLITE_CONSTRAINT &&
	    (ext == SQLITE_CONSTRAINT_UNIQUE ||
		ext == SQLITE_CONSTRAINT_PRIMARYKEY))
		return STEP_DUPLICATE;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		log_warn("store", "backend=sqlite op=%s error=busy", what);
		return STEP_UNAVAILABLE;
	}
	log_error("store", "backend=sqlite op=%s rc=%d error=\"%s\"", what, rc,
	    sqlite3_errmsg(c->db));
	/* The disk, not the data: it may come back, so callers answer 503
	 * and the transaction left nothing behind. */
	if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN)
		return STEP_UNAVAILABLE;
	return STEP_ERROR;
}

/* The status of a step of this file's own statements that did not give
 * what it should have. */
static enum store_status
sq_status(struct store_conn *c, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_ERROR;
	switch (sq_step_status(c, rc, what)) {
	case STEP_DUPLICATE: return STORE_DUPLICATE;
	case STEP_UNAVAILABLE: return STORE_UNAVAILABLE;
	default: return STORE_ERROR;
	}
}

/* Ends the running statement. An INSERT or UPDATE … RETURNING is complete
 * only once stepped to its end. */
static void
sq_end(struct store_conn *c)
{
	if (c->cur == NULL)
		return;
	if (c->row && !sqlite3_stmt_readonly(c->cur))
		while (sqlite3_step(c->cur) == SQLITE_ROW)
			;
	sqlite3_reset(c->cur);
	c->cur = NULL;
	c->row = false;
}

/* Makes statement id the running one, prepared on first use (after the
 * migrations made the tables), its parameters cleared. store.c's $N are
 * read as ?N, which binds parameter N whatever the order of first use.
 * Returns NULL when it cannot be prepared (logged). */
static sqlite3_stmt *
sq_stmt(struct store_conn *c, enum stmt id)
{
	char *sql, *p;
	bool quoted = false;
	int rc;

	sq_end(c);
	if (c->st[id] == NULL) {
		if ((sql = strdup(c->sql[id])) == NULL)
			return NULL;
		for (p = sql; *p != '\0'; p++) {
			if (*p == '\'')
				quoted = !quoted;
			else if (!quoted && *p == '$' && p[1] >= '0' &&
			    p[1] <= '9')
				*p = '?';
		}
		rc = sqlite3_prepare_v3(c->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL);
		free(sql);
		if (rc != SQLITE_OK) {
			log_error("store",
			    "backend=sqlite op=prepare stmt=%d error=\"%s\"",
			    (int)id, sqlite3_errmsg(c->db));
			return NULL;
		}
	}
	sqlite3_clear_bindings(c->st[id]);
	c->cur = c->st[id];
	c->nbind = 0;
	return c->cur;
}

static int
sq_prepare(struct store_conn *c, enum stmt id)
{
	return sq_stmt(c, id) != NULL ? 0 : -1;
}

static void
sq_bind_int(struct store_conn *c, int64_t v)
{
	sqlite3_bind_int64(c->cur, ++c->nbind, v);
}

static void
sq_bind_text(struct store_conn *c, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(c->cur, ++c->nbind);
	else
		sqlite3_bind_text(c->cur, ++c->nbind, s, -1, SQLITE_STATIC);
}

static void
sq_bind_blob(struct store_conn *c, const void *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(c->cur, ++c->nbind);
	else
		sqlite3_bind_blob(c->cur, ++c->nbind, p, (int)len,
		    SQLITE_STATIC);
}

static enum store_step
sq_step(struct store_conn *c, const char *what)
{
	enum store_step st = sq_step_status(c, sqlite3_step(c->cur), what);

	c->row = st == STEP_ROW;
	return st;
}

static const char *
sq_col_text(struct store_conn *c, int col, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(c->cur, col);

	*len = t != NULL ? (size_t)sqlite3_column_bytes(c->cur, col) : 0;
	return (const char *)t;
}

static int64_t
sq_col_int(struct store_conn *c, int col)
{
	return sqlite3_column_int64(c->cur, col);
}

static int
sq_col_blob(struct store_conn *c, struct arena *a, int col,
    const unsigned char **out, size_t *len)
{
	const void *b = sqlite3_column_blob(c->cur, col);
	unsigned char *copy;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(c->cur, col) == SQLITE_NULL)
		return 0;
	*len = (size_t)sqlite3_column_bytes(c->cur, col);
	if ((copy = arena_alloc(a, *len ? *len : 1)) == NULL)
		return -1;
	if (*len > 0)
		memcpy(copy, b, *len);
	*out = copy;
	return 0;
}

static int64_t
sq_changes(struct store_conn *c)
{
	return sqlite3_changes(c->db);
}

/* Runs a script (a migration, the pragmas) statement by statement, each
 * prepared. */
static enum store_status
sq_script(struct store_conn *c, const char *sql, const char *file)
{
	const char *tail = sql;
	sqlite3_stmt *st;
	int rc;

	while (*tail != '\0') {
		st = NULL;
		rc = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
		if (rc == SQLITE_OK) {
			if (st == NULL) /* trailing comment or space */
				break;
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			log_error("store",
			    "backend=sqlite op=script file=%s error=\"%s\"",
			    file, sqlite3_errmsg(c->db));
			return STORE_ERROR;
		}
	}
	return STORE_OK;
}

/* The database and its WAL hold the site's personal data: the owner's only,
 * even when an older holos or a restored backup left them readable by
 * others (new ones are made so under main()'s umask). Never fails: a file
 * that is not there yet is made with the right mode. */
static void
sq_tighten(const char *path)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char name[4096];
	struct stat sb;
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, ext[i]) >=
		    (int)sizeof(name))
			return;
		if (stat(name, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 077) != 0 && chmod(name, 0600) == -1)
			log_warn("store", "backend=sqlite op=chmod error=\"%s\"",
			    strerror(errno));
	}
}

/* SQLite's busy handler while another process (a holos command, or
 * another serve by mistake) holds the write lock: tries again every half
 * millisecond until BUSY_TIMEOUT_MS after the operation began to wait
 * (its wait for the turn included). sqlite3_busy_timeout()'s own
 * handler sleeps up to 100 ms between tries, so a writer that commits
 * often keeps it out for much longer than the lock is ever held. The
 * threads of this process take their turn before the lock (store.c). */
static int
sq_busy(void *arg, int count)
{
	struct store_conn *c = arg;
	struct timespec pause = { 0, 500 * 1000 };

	if (count == 0)
		c->busy_since = c->wait_since != 0 ? c->wait_since : mono_ms();
	if (mono_ms() - c->busy_since >= BUSY_TIMEOUT_MS)
		return 0;
	nanosleep(&pause, NULL);
	return 1;
}

static void
sq_wait_since(struct store_conn *c, int64_t ms)
{
	c->wait_since = ms;
}

static struct store_conn *
sq_open(const char *path, const char *const *sql)
{
	/* secure_delete: erased personal data (a withdrawn signature, a
	 * retention purge) is overwritten with zeros in the file rather than
	 * left in free space. wal_autocheckpoint: the WAL is copied back
	 * after 8,000 pages (32 MB) rather than SQLite's 1,000; the same hot
	 * pages (counts, index roots) written by every batch are copied once
	 * per checkpoint, so fewer checkpoints copy less: signing in the site
	 * configuration went from about 3,100-3,400 to 3,800-4,100 a second
	 * (docs/performance.md). While serving, a thread of its own copies
	 * it back every 50 ms (ST_WAL_CHECKPOINT), and this rarely finds
	 * anything left to copy. Old page images stay in the WAL until it
	 * wraps; the retention purge truncates it (ST_CHECKPOINT). */
	static const char pragmas[] =
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
	    " PRAGMA secure_delete=ON; PRAGMA wal_autocheckpoint=8000";
	struct store_conn *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->sql = sql;
	rc = sqlite3_open_v2(path, &c->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		log_error("store", "backend=sqlite op=open path=%s error=\"%s\"",
		    path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sq_tighten(path);
	/* Every connection may read or write the search table. */
	if (search_sqlite_register(c->db) == -1)
		goto fail;
	sqlite3_busy_handler(c->db, sq_busy, c);
	sqlite3_extended_result_codes(c->db, 0);
	if (sq_script(c, pragmas, "pragmas") != STORE_OK)
		goto fail;
	return c;
fail:
	sqlite3_close(c->db);
	free(c);
	return NULL;
}

static void
sq_close(struct store_conn *c)
{
	int i;

	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static void
sq_release(struct store_conn *c)
{
	int i;

	sq_end(c);
	for (i = 0; i < ST__MAX; i++)
		if (c->st[i] != NULL)
			sqlite3_reset(c->st[i]);
	if (!sqlite3_get_autocommit(c->db) && sq_stmt(c, ST_ROLLBACK) != NULL) {
		(void)sqlite3_step(c->cur);
		sq_end(c);
	}
}

/* Steps a bound statement of this file's that returns no rows. */
static enum store_status
sq_done(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? STORE_OK : sq_status(c, rc, what);
}

static enum store_status
token_insert(struct store_conn *c, const unsigned char *hash,
    const char *purpose, int64_t subject, int64_t now, int64_t expires)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(c, ST_SQ_TOKEN_INSERT)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, subject);
	sqlite3_bind_int64(st, 4, now);
	if (expires > 0)
		sqlite3_bind_int64(st, 5, expires);
	return sq_done(c, st, "token_insert");
}

static enum store_status
outbox_insert(struct store_conn *c, const struct outbox_new *m, int64_t now)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(c, ST_OUTBOX_INSERT)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(st, 1, m->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, m->sealed, (int)m->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	return sq_done(c, st, "outbox_insert");
}

/* A signature whose email hash is taken: a pending one gets its link again
 * (a fresh token and the op's mail), a confirmed one's owner the op's
 * "signed already" letter, each at most once per resend window. */
static enum store_status
sign_again(struct store_conn *c, struct write_op *op)
{
	enum signature_state state;
	enum store_status ret;
	sqlite3_stmt *st;
	int64_t id, last;
	bool recent;
	int rc;

	if ((st = sq_stmt(c, ST_SQ_SIG_BY_HASH)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, op->sig.petition_id);
	sqlite3_bind_blob(st, 2, op->sig.email_hash, STORE_HASH_BYTES,
	    SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return sq_status(c, rc, "write_sign");
	id = sqlite3_column_int64(st, 0);
	last = sqlite3_column_int64(st, 2);
	state = signature_state_parse((const char *)sqlite3_column_text(st, 1));
	recent = sqlite3_column_type(st, 2) != SQLITE_NULL &&
	    last >= op->resend_before;
	op->result = WRITE_DUPLICATE;
	if (state == SIGNATURE_PENDING && op->mail.sealed != NULL) {
		if (recent) {
			op->result = WRITE_RESEND_LATER;
			return STORE_OK;
		}
		if ((ret = token_insert(c, op->token_hash, "confirm", id,
			 op->now, op->token_expires)) != STORE_OK ||
		    (ret = outbox_insert(c, &op->mail, op->now)) != STORE_OK)
			return ret;
		op->result = WRITE_RESENT;
	} else if (state == SIGNATURE_CONFIRMED && op->told.sealed != NULL &&
	    !recent) {
		if ((ret = outbox_insert(c, &op->told, op->now)) != STORE_OK)
			return ret;
		op->result = WRITE_TOLD;
	} else {
		return STORE_OK;
	}
	if ((st = sq_stmt(c, ST_SQ_SIG_MAILED)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, op->now);
	sqlite3_bind_int64(st, 2, id);
	return sq_done(c, st, "write_sign");
}

static enum store_status
write_sign(struct store_conn *c, struct write_op *op)
{
	struct signature *sig = &op->sig;
	enum store_status ret;
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if ((st = sq_stmt(c, ST_SQ_SIGNATURE_INSERT)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, sig->petition_id);
	sqlite3_bind_blob(st, 2, sig->email_hash, sizeof(sig->email_hash),
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, sig->pii, (int)sig->pii_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sig->country, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, sig->public_name);
	sqlite3_bind_int(st, 6, sig->updates);
	sqlite3_bind_text(st, 7, sig->comment ? sig->comment : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 8, signature_state_name(sig->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, sig->created_at);
	if (sig->state == SIGNATURE_CONFIRMED)
		sqlite3_bind_int64(st, 10, sig->created_at);
	sqlite3_bind_text(st, 11, sig->lang ? sig->lang : "en", -1,
	    SQLITE_STATIC);
	if (op->mail.sealed != NULL)
		sqlite3_bind_int64(st, 12, op->now);
	sqlite3_bind_int(st, 13, sig->flags);
	sqlite3_bind_text(st, 14, sig->net ? sig->net : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, sig->domain ? sig->domain : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 16, sig->public_comment);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) /* ON CONFLICT DO NOTHING */
		return sign_again(c, op);
	if (rc != SQLITE_ROW)
		return sq_status(c, rc, "write_sign");
	id = sqlite3_column_int64(st, 0);
	sig->seq = sqlite3_column_int64(st, 1);
	if ((ret = sq_done(c, st, "write_sign")) != STORE_OK)
		return ret;
	op->result = WRITE_OK;
	if (sig->state == SIGNATURE_CONFIRMED)
		op->petition_id = sig->petition_id;
	if (sig->state == SIGNATURE_PENDING && store_hash_set(op->token_hash) &&
	    (ret = token_insert(c, op->token_hash, "confirm", id, op->now,
		 op->token_expires)) != STORE_OK)
		return ret;
	if (store_hash_set(op->unsub_hash) &&
	    (ret = token_insert(c, op->unsub_hash, "unsubscribe", id, op->now,
		 0)) != STORE_OK)
		return ret;
	if (op->mail.sealed != NULL)
		return outbox_insert(c, &op->mail, op->now);
	return STORE_OK;
}

/* One signature after another: each insert numbers its row itself. */
static enum store_status
sq_write_signs(struct store_conn *c, struct write_op *ops, size_t lo, size_t hi)
{
	enum store_status ret = STORE_OK;
	size_t i;

	for (i = lo; i < hi && ret == STORE_OK; i++)
		ret = write_sign(c, &ops[i]);
	return ret;
}

static enum store_status
sq_mail_rows(struct store_conn *c, const struct update_mail *msgs, size_t n,
    int64_t now)
{
	enum store_status ret = STORE_OK;
	size_t i;

	for (i = 0; i < n && ret == STORE_OK; i++) {
		if (msgs[i].mail.sealed != NULL)
			ret = outbox_insert(c, &msgs[i].mail, now);
		if (ret == STORE_OK && store_hash_set(msgs[i].unsub_hash))
			ret = token_insert(c, msgs[i].unsub_hash, "unsubscribe",
			    msgs[i].signature_id, now, 0);
	}
	return ret;
}

/* Binds the criteria shared by ST_SQ_INV_COUNT and ST_SQ_INV_MARK. */
static void
bind_criteria(sqlite3_stmt *st, const struct invalidation *inv)
{
	sqlite3_bind_int64(st, 1, inv->petition_id);
	if (inv->domain != NULL)
		sqlite3_bind_text(st, 2, inv->domain, -1, SQLITE_STATIC);
	if (inv->net != NULL)
		sqlite3_bind_text(st, 3, inv->net, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, inv->from);
	sqlite3_bind_int64(st, 5, inv->to);
	sqlite3_bind_int(st, 6, inv->nseqs > 0);
}

/* The list goes into a temporary table; the rows are counted, then
 * marked, under the write lock, so nothing changes in between. */
static enum store_status
sq_inv_mark(struct store_conn *c, struct invalidation *inv, int64_t id)
{
	sqlite3_stmt *st;
	size_t i;

	if ((st = sq_stmt(c, ST_SQ_INV_TEMP)) == NULL ||
	    sqlite3_step(st) != SQLITE_DONE ||
	    (st = sq_stmt(c, ST_SQ_INV_CLEAR)) == NULL ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	for (i = 0; i < inv->nseqs; i++) {
		if ((st = sq_stmt(c, ST_SQ_INV_SEQ)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, inv->seqs[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	if ((st = sq_stmt(c, ST_SQ_INV_COUNT)) == NULL)
		goto fail;
	bind_criteria(st, inv);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	inv->removed = sqlite3_column_int64(st, 0);
	inv->uncounted = sqlite3_column_int64(st, 1);
	if ((st = sq_stmt(c, ST_SQ_INV_MARK)) == NULL)
		goto fail;
	bind_criteria(st, inv);
	sqlite3_bind_text(st, 7, inv->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, id);
	if (sqlite3_step(st) == SQLITE_DONE)
		return STORE_OK;
fail:
	return sq_status(c, sqlite3_errcode(c->db), "invalidate");
}

/* Each column's value: the text behind the language tag the "holos"
 * tokenizer reads. */
static int
sq_search_doc(struct arena *a, enum search_lang lang, const char *const in[3],
    const char *out[3])
{
	size_t i, len;

	for (i = 0; i < 3; i++)
		if ((out[i] = search_sqlite_document(a, lang, in[i],
			 strlen(in[i]), &len)) == NULL)
			return -1;
	return 0;
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.shared = false,
	.write_tries = 1,
	.dialect = sq_sql,
	.conn_open = sq_open,
	.conn_close = sq_close,
	.conn_release = sq_release,
	.conn_wait_since = sq_wait_since,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.col_text = sq_col_text,
	.col_int = sq_col_int,
	.col_blob = sq_col_blob,
	.changes = sq_changes,
	.script = sq_script,
	.write_signs = sq_write_signs,
	.mail_rows = sq_mail_rows,
	.inv_mark = sq_inv_mark,
	.search_doc = sq_search_doc,
	.search_match = search_sqlite_match,
};
