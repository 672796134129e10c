/* store_sqlite.c - the SQLite backend: WAL, synchronous=FULL, foreign keys,
 * a small pool of connections with their prepared statements. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"

static enum store_status sqlite_outbox_add(struct store *,
    const struct outbox_new *, int64_t);

#define POOL_SIZE 4
#define BUSY_TIMEOUT_MS 5000
/* The counter row a single SQLite node writes; PostgreSQL nodes use their
 * own names so that no row is hot. */
#define NODE_NAME "local"

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_PETITION_INSERT,
	ST_ADDRESSEE_INSERT,
	ST_PETITION_BY_SLUG,
	ST_PETITION_BY_ID,
	ST_ADDRESSEES,
	ST_PETITION_LIST,
	ST_COUNT,
	ST_SIGNATURE_INSERT,
	ST_COUNT_ADD,
	ST_TRANSLATION_INSERT,
	ST_TRANSLATION,
	ST_BEGIN_READ,
	ST_SIG_BY_HASH,
	ST_SIG_MAILED,
	ST_SIG_CONFIRM,
	ST_TOKEN_INSERT,
	ST_TOKEN_GET,
	ST_TOKEN_USE,
	ST_TOKEN_INFO,
	ST_UNSUBSCRIBE,
	ST_OUTBOX_INSERT,
	ST_OUTBOX_RECOVER,
	ST_OUTBOX_DUE,
	ST_OUTBOX_MARK,
	ST_OUTBOX_SENT,
	ST_OUTBOX_RESCHEDULE,
	ST_OUTBOX_LIST,
	ST_OUTBOX_RETRY_ONE,
	ST_OUTBOX_RETRY_ALL,
	ST_TREND_NET,
	ST_TREND_DOMAIN,
	ST_INV_TEMP,
	ST_INV_CLEAR,
	ST_INV_SEQ,
	ST_INV_COUNT,
	ST_INV_RECORD,
	ST_INV_MARK,
	ST_AUDIT,
	ST_REMOVALS,
	ST_USER_INSERT,
	ST_USER_BY_EMAIL,
	ST_USER_OK,
	ST_USER_FAILED,
	ST_SESSION_INSERT,
	ST_SESSION_USER,
	ST_SESSION_DELETE,
	ST_AUDIT_LIST,
	/* 0006_lifecycle */
	ST_USER_BY_ID,
	ST_USER_TOKEN_INSERT,
	ST_USER_TOKEN_PEEK,
	ST_USER_TOKEN_CONSUME,
	ST_USER_VERIFY,
	ST_USER_PASSWORD,
	ST_USER_SESSIONS_END,
	ST_PETITION_UPDATE,
	ST_ADDRESSEES_DELETE,
	ST_PETITION_MOVE,
	ST_TRANSITION_INSERT,
	ST_TRANSITION_LIST,
	ST_PETITION_LIST_OWNER,
	ST_PETITION_QUEUE,
	ST_PETITION_DUE,
	ST_UPDATE_INSERT,
	ST_UPDATE_LIST,
	ST_UPDATE_MAIL_NEXT,
	ST_UPDATE_RECIPIENTS,
	ST_UPDATE_CURSOR,
	ST_STATS_STATES,
	ST_STATS_DAYS,
	ST_STATS_COUNTRIES,
	ST_SIGNERS_PUBLIC,
	ST__MAX
};

/* The petition columns row_petition() reads, in its order. */
#define PETITION_COLS                                                \
	"p.id, p.slug, p.title, p.body_md, p.lang, p.goal, p.state," \
	" p.created_at, p.updated_at, COALESCE(p.closes_at, 0),"     \
	" COALESCE(p.owner_id, 0), p.reason, p.note"

/* The account columns row_user() reads, in its order. */
#define USER_COLS                                                             \
	"u.id, u.role, u.password, u.failed, u.locked_until, u.name, u.lang," \
	" COALESCE(u.verified_at, 0), u.email_sealed"

/* The update columns row_update() reads, in its order. */
#define UPDATE_COLS                                                  \
	"id, petition_id, kind, author, title, body_md, created_at," \
	" mail_cursor, mail_done, mailed"

static const char *const stmt_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PETITION_INSERT] =
	    "INSERT INTO petitions (slug, title, body_md, lang, goal, state,"
	    " created_at, updated_at, owner_id, closes_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
	[ST_ADDRESSEE_INSERT] =
	    "INSERT INTO addressees (petition_id, pos, name, description)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_PETITION_BY_SLUG] =
	    "SELECT " PETITION_COLS ", COALESCE(u.name, '') FROM petitions p"
	    " LEFT JOIN users u ON u.id = p.owner_id WHERE p.slug = ?1",
	[ST_PETITION_BY_ID] =
	    "SELECT " PETITION_COLS ", COALESCE(u.name, '') FROM petitions p"
	    " LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = ?1",
	[ST_ADDRESSEES] =
	    "SELECT name, description FROM addressees WHERE petition_id = ?1"
	    " ORDER BY pos",
	[ST_PETITION_LIST] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.state = ?1"
	    " ORDER BY p.created_at DESC, p.id DESC LIMIT 200",
	[ST_COUNT] = "SELECT COALESCE(SUM(confirmed), 0) FROM petition_counts"
		     " WHERE petition_id = ?1",
	[ST_SIGNATURE_INSERT] =
	    "INSERT INTO signatures (petition_id, seq, email_hash, pii, country,"
	    " public_name, updates, comment, state, created_at, confirmed_at,"
	    " lang, last_mail_at, flags, net, domain)"
	    " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM signatures"
	    " WHERE petition_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15)"
	    " ON CONFLICT (petition_id, email_hash) DO NOTHING RETURNING id, seq",
	[ST_COUNT_ADD] =
	    "INSERT INTO petition_counts (petition_id, node, confirmed)"
	    " VALUES (?1, '" NODE_NAME "', ?2) ON CONFLICT (petition_id, node)"
	    " DO UPDATE SET confirmed = confirmed + excluded.confirmed",
	[ST_TRANSLATION_INSERT] =
	    "INSERT INTO petition_translations (petition_id, lang, title,"
	    " body_md) VALUES (?1, ?2, ?3, ?4)",
	[ST_TRANSLATION] =
	    "SELECT lang, title, body_md FROM petition_translations"
	    " WHERE petition_id = ?1 AND lang = ?2",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_SIG_BY_HASH] = "SELECT id, state, last_mail_at FROM signatures"
			   " WHERE petition_id = ?1 AND email_hash = ?2",
	[ST_SIG_MAILED] =
	    "UPDATE signatures SET last_mail_at = ?1 WHERE id = ?2",
	[ST_SIG_CONFIRM] =
	    "UPDATE signatures SET state = 'confirmed', confirmed_at = ?1"
	    " WHERE id = ?2 AND state = 'pending' RETURNING petition_id",
	[ST_TOKEN_INSERT] =
	    "INSERT INTO tokens (hash, purpose, subject, created_at, expires_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_TOKEN_GET] = "SELECT purpose, subject, COALESCE(expires_at, 0),"
			 " COALESCE(used_at, 0) FROM tokens WHERE hash = ?1",
	[ST_TOKEN_USE] =
	    "UPDATE tokens SET used_at = ?1 WHERE hash = ?2 AND used_at IS NULL",
	[ST_TOKEN_INFO] =
	    "SELECT t.subject, t.purpose, COALESCE(t.expires_at, 0),"
	    " COALESCE(t.used_at, 0), p.slug, p.title, s.lang, s.state, p.lang"
	    " FROM tokens t JOIN signatures s ON s.id = t.subject"
	    " JOIN petitions p ON p.id = s.petition_id WHERE t.hash = ?1",
	[ST_UNSUBSCRIBE] =
	    "UPDATE signatures SET updates = 0 WHERE id = (SELECT subject FROM"
	    " tokens WHERE hash = ?1 AND purpose = 'unsubscribe')",
	[ST_OUTBOX_INSERT] =
	    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, 'queued', ?4, ?4, ?4)",
	[ST_OUTBOX_RECOVER] =
	    "UPDATE outbox SET state = 'queued' WHERE state = 'sending'",
	[ST_OUTBOX_DUE] =
	    "SELECT id, message_id, kind, sealed, attempts, next_at, created_at"
	    " FROM outbox WHERE state = 'queued' AND next_at <= ?1"
	    " ORDER BY next_at, id LIMIT ?2",
	[ST_OUTBOX_MARK] =
	    "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
	    " updated_at = ?1 WHERE id = ?2 AND state = 'queued'",
	[ST_OUTBOX_SENT] =
	    "UPDATE outbox SET state = 'sent', sealed = NULL, sent_at = ?1,"
	    " updated_at = ?1, last_error = '' WHERE id = ?2",
	[ST_OUTBOX_RESCHEDULE] =
	    "UPDATE outbox SET state = ?1, next_at = ?2, last_error = ?3,"
	    " updated_at = ?4 WHERE id = ?5",
	[ST_OUTBOX_LIST] =
	    "SELECT id, message_id, kind, state, attempts, next_at, created_at,"
	    " updated_at, COALESCE(sent_at, 0), last_error FROM outbox"
	    " ORDER BY id DESC LIMIT 500",
	[ST_OUTBOX_RETRY_ONE] =
	    "UPDATE outbox SET state = 'queued', attempts = 0, next_at = ?1,"
	    " updated_at = ?1 WHERE id = ?2 AND state = 'dead'",
	[ST_OUTBOX_RETRY_ALL] =
	    "UPDATE outbox SET state = 'queued', attempts = 0, next_at = ?1,"
	    " updated_at = ?1 WHERE state = 'dead'",
	[ST_TREND_NET] =
	    "SELECT net, COUNT(*) FROM signatures WHERE petition_id = ?1"
	    " AND created_at >= ?2 AND state != 'invalid' GROUP BY net"
	    " ORDER BY 2 DESC, 1 LIMIT 100",
	[ST_TREND_DOMAIN] =
	    "SELECT domain, COUNT(*) FROM signatures WHERE petition_id = ?1"
	    " AND created_at >= ?2 AND state != 'invalid' GROUP BY domain"
	    " ORDER BY 2 DESC, 1 LIMIT 100",
	[ST_INV_TEMP] =
	    "CREATE TEMP TABLE IF NOT EXISTS inv_seqs (seq INTEGER PRIMARY KEY)",
	[ST_INV_CLEAR] = "DELETE FROM temp.inv_seqs",
	[ST_INV_SEQ] = "INSERT OR IGNORE INTO temp.inv_seqs (seq) VALUES (?1)",
	/* ?2 domain, ?3 net, ?4 from, ?5 to, ?6 whether a list was given. */
	[ST_INV_COUNT] =
	    "SELECT COUNT(*), COALESCE(SUM(state = 'confirmed'), 0)"
	    " FROM signatures WHERE petition_id = ?1 AND state != 'invalid'"
	    " AND (?2 IS NULL OR domain = ?2) AND (?3 IS NULL OR net = ?3)"
	    " AND (?4 = 0 OR created_at >= ?4) AND (?5 = 0 OR created_at < ?5)"
	    " AND (?6 = 0 OR seq IN (SELECT seq FROM temp.inv_seqs))",
	[ST_INV_RECORD] =
	    "INSERT INTO invalidations (petition_id, reason, criteria, note,"
	    " removed, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_INV_MARK] =
	    "UPDATE signatures SET state = 'invalid', invalid_reason = ?7,"
	    " invalidation_id = ?8 WHERE petition_id = ?1 AND state != 'invalid'"
	    " AND (?2 IS NULL OR domain = ?2) AND (?3 IS NULL OR net = ?3)"
	    " AND (?4 = 0 OR created_at >= ?4) AND (?5 = 0 OR created_at < ?5)"
	    " AND (?6 = 0 OR seq IN (SELECT seq FROM temp.inv_seqs))",
	[ST_AUDIT] = "INSERT INTO audit_log (at, actor, action, subject, detail)"
		     " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_REMOVALS] =
	    "SELECT reason, SUM(removed) FROM invalidations WHERE petition_id = ?1"
	    " GROUP BY reason HAVING SUM(removed) > 0 ORDER BY 2 DESC, 1",
	[ST_USER_INSERT] =
	    "INSERT INTO users (email_hash, email_sealed, password, role,"
	    " verified_at, created_at, name, lang)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_USER_BY_EMAIL] =
	    "SELECT " USER_COLS " FROM users u WHERE u.email_hash = ?1",
	[ST_USER_OK] = "UPDATE users SET failed = 0 WHERE id = ?1",
	/* ?2 now, ?3 failures that lock, ?4 lock seconds. */
	[ST_USER_FAILED] =
	    "UPDATE users SET locked_until = CASE WHEN failed + 1 >= ?3"
	    " THEN ?2 + ?4 ELSE locked_until END,"
	    " failed = CASE WHEN failed + 1 >= ?3 THEN 0 ELSE failed + 1 END"
	    " WHERE id = ?1",
	[ST_SESSION_INSERT] =
	    "INSERT INTO sessions (hash, user_id, created_at, expires_at)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_SESSION_USER] =
	    "SELECT " USER_COLS " FROM sessions s JOIN users u"
	    " ON u.id = s.user_id WHERE s.hash = ?1 AND s.expires_at > ?2",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = ?1",
	[ST_AUDIT_LIST] =
	    "SELECT at, actor, action, subject, detail FROM audit_log"
	    " ORDER BY id DESC LIMIT 200",
	[ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = ?1",
	[ST_USER_TOKEN_INSERT] =
	    "INSERT INTO user_tokens (hash, purpose, user_id, created_at,"
	    " expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* ?3 now: a link is good while unused and expires_at is ahead. */
	[ST_USER_TOKEN_PEEK] =
	    "SELECT user_id FROM user_tokens WHERE hash = ?1 AND purpose = ?2"
	    " AND used_at IS NULL AND expires_at > ?3",
	[ST_USER_TOKEN_CONSUME] =
	    "UPDATE user_tokens SET used_at = ?3 WHERE hash = ?1"
	    " AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3"
	    " RETURNING user_id",
	[ST_USER_VERIFY] =
	    "UPDATE users SET verified_at = COALESCE(verified_at, ?2)"
	    " WHERE id = ?1",
	[ST_USER_PASSWORD] =
	    "UPDATE users SET password = ?2, failed = 0, locked_until = 0"
	    " WHERE id = ?1",
	[ST_USER_SESSIONS_END] = "DELETE FROM sessions WHERE user_id = ?1",
	[ST_PETITION_UPDATE] =
	    "UPDATE petitions SET title = ?2, body_md = ?3, lang = ?4,"
	    " goal = ?5, closes_at = ?6, updated_at = ?7 WHERE id = ?1"
	    " AND state IN ('draft', 'rejected')",
	[ST_ADDRESSEES_DELETE] = "DELETE FROM addressees WHERE petition_id = ?1",
	/* ?2 the state it must be in, ?3 the new one. */
	[ST_PETITION_MOVE] =
	    "UPDATE petitions SET state = ?3, reason = ?4, note = ?5,"
	    " updated_at = ?6 WHERE id = ?1 AND state = ?2",
	[ST_TRANSITION_INSERT] =
	    "INSERT INTO transitions (petition_id, from_state, to_state, actor,"
	    " reason, note, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_TRANSITION_LIST] =
	    "SELECT petition_id, from_state, to_state, actor, reason, note, at"
	    " FROM transitions WHERE petition_id = ?1 ORDER BY id",
	[ST_PETITION_LIST_OWNER] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.owner_id = ?1"
	    " ORDER BY p.created_at DESC, p.id DESC",
	[ST_PETITION_QUEUE] =
	    "SELECT " PETITION_COLS " FROM petitions p"
	    " WHERE p.state = 'pending' ORDER BY p.updated_at, p.id",
	[ST_PETITION_DUE] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.state = 'open'"
	    " AND p.closes_at IS NOT NULL AND p.closes_at <= ?1"
	    " ORDER BY p.closes_at, p.id",
	[ST_UPDATE_INSERT] =
	    "INSERT INTO updates (petition_id, kind, author, title, body_md,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_UPDATE_LIST] =
	    "SELECT " UPDATE_COLS " FROM updates WHERE petition_id = ?1"
	    " ORDER BY created_at DESC, id DESC",
	[ST_UPDATE_MAIL_NEXT] =
	    "SELECT " UPDATE_COLS " FROM updates WHERE mail_done = 0"
	    " ORDER BY id LIMIT 1",
	/* Written so that the partial index signatures_updates serves it. */
	[ST_UPDATE_RECIPIENTS] =
	    "SELECT id, pii, lang FROM signatures WHERE petition_id = ?1"
	    " AND updates = 1 AND state = 'confirmed' AND id > ?2"
	    " AND created_at <= ?3 ORDER BY id LIMIT ?4",
	/* ?2 the cursor it must still have: one batch, queued once. */
	[ST_UPDATE_CURSOR] =
	    "UPDATE updates SET mail_cursor = ?3, mail_done = ?4,"
	    " mailed = mailed + ?5 WHERE id = ?1 AND mail_cursor = ?2",
	[ST_STATS_STATES] =
	    "SELECT state, COUNT(*) FROM signatures WHERE petition_id = ?1"
	    " GROUP BY state",
	[ST_STATS_DAYS] =
	    "SELECT created_at / 86400 * 86400 AS day, COUNT(*) FROM signatures"
	    " WHERE petition_id = ?1 AND state IN ('pending', 'confirmed')"
	    " GROUP BY day ORDER BY day",
	[ST_STATS_COUNTRIES] =
	    "SELECT country, COUNT(*) FROM signatures WHERE petition_id = ?1"
	    " AND state = 'confirmed' GROUP BY country ORDER BY 2 DESC, 1",
	[ST_SIGNERS_PUBLIC] =
	    "SELECT seq, pii, country, created_at FROM signatures"
	    " WHERE petition_id = ?1 AND state = 'confirmed' AND public_name = 1"
	    " AND seq > ?2 ORDER BY seq LIMIT ?3",
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST__MAX];
	int busy;
};

struct store_sqlite {
	struct store base; /* must be first */
	char *path;
	char *migrations_dir;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct conn conns[POOL_SIZE];
};

static struct store_sqlite *
sq(struct store *s)
{
	return (struct store_sqlite *)s;
}

static enum store_status
sq_status(sqlite3 *db, int rc, const char *what)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		log_warn("store", "backend=sqlite op=%s error=busy", what);
		return STORE_UNAVAILABLE;
	}
	if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN) {
		/* The disk, not the data: it may come back, so callers answer
		 * 503 and the transaction left nothing behind. */
		log_error("store", "backend=sqlite op=%s rc=%d error=\"%s\"",
		    what, rc, sqlite3_errmsg(db));
		return STORE_UNAVAILABLE;
	}
	log_error("store", "backend=sqlite op=%s rc=%d error=\"%s\"", what, rc,
	    sqlite3_errmsg(db));
	return STORE_ERROR;
}

static int
conn_open(struct conn *c, const char *path)
{
	static const char *const pragmas[] = {
		"PRAGMA journal_mode=WAL",
		"PRAGMA synchronous=FULL",
		"PRAGMA foreign_keys=ON",
		"PRAGMA temp_store=MEMORY",
	};
	size_t i;
	int rc;

	rc = sqlite3_open_v2(path, &c->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		log_error("store", "backend=sqlite op=open path=%s error=\"%s\"",
		    path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(c->db, 0);
	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		sqlite3_stmt *st = NULL;

		rc = sqlite3_prepare_v2(c->db, pragmas[i], -1, &st, NULL);
		if (rc == SQLITE_OK) {
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			log_error("store",
			    "backend=sqlite op=pragma sql=\"%s\" "
			    "error=\"%s\"",
			    pragmas[i], sqlite3_errmsg(c->db));
			goto fail;
		}
	}
	return 0;
fail:
	sqlite3_close(c->db);
	c->db = NULL;
	return -1;
}

static void
conn_close(struct conn *c)
{
	int i;

	for (i = 0; i < ST__MAX; i++) {
		sqlite3_finalize(c->st[i]);
		c->st[i] = NULL;
	}
	sqlite3_close(c->db);
	c->db = NULL;
}

/* Statements are prepared on first use, after migrations made the tables. */
static sqlite3_stmt *
conn_stmt(struct conn *c, enum stmt id)
{
	if (c->st[id] == NULL &&
	    sqlite3_prepare_v3(c->db, stmt_sql[id], -1,
		SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL) != SQLITE_OK) {
		log_error("store",
		    "backend=sqlite op=prepare stmt=%d error=\"%s\"", (int)id,
		    sqlite3_errmsg(c->db));
		return NULL;
	}
	sqlite3_reset(c->st[id]);
	sqlite3_clear_bindings(c->st[id]);
	return c->st[id];
}

static struct conn *
pool_get(struct store_sqlite *s)
{
	struct conn *c = NULL;
	int i;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (i = 0; i < POOL_SIZE; i++) {
			if (!s->conns[i].busy) {
				c = &s->conns[i];
				c->busy = 1;
				goto out;
			}
		}
		pthread_cond_wait(&s->freed, &s->lock);
	}
out:
	pthread_mutex_unlock(&s->lock);
	return c;
}

static void
pool_put(struct store_sqlite *s, struct conn *c)
{
	int i;

	for (i = 0; i < ST__MAX; i++)
		if (c->st[i] != NULL)
			sqlite3_reset(c->st[i]);
	pthread_mutex_lock(&s->lock);
	c->busy = 0;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

/* Runs a statement that returns no rows (BEGIN, COMMIT, ROLLBACK). */
static int
conn_exec(struct conn *c, enum stmt id)
{
	sqlite3_stmt *st = conn_stmt(c, id);
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* node is ignored: one SQLite file has one writer, counted as NODE_NAME. */
static int
sqlite_open(const char *dsn, const char *migrations_dir, const char *node,
    struct store **out)
{
	struct store_sqlite *s;
	int i;

	(void)node;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->path = strdup(dsn);
	s->migrations_dir = strdup(migrations_dir);
	if (s->path == NULL || s->migrations_dir == NULL)
		goto fail;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	for (i = 0; i < POOL_SIZE; i++)
		if (conn_open(&s->conns[i], dsn) == -1)
			goto fail;
	*out = &s->base;
	return 0;
fail:
	for (i = 0; i < POOL_SIZE; i++)
		if (s->conns[i].db != NULL)
			conn_close(&s->conns[i]);
	free(s->path);
	free(s->migrations_dir);
	free(s);
	return -1;
}

static void
sqlite_close(struct store *base)
{
	struct store_sqlite *s = sq(base);
	int i;

	for (i = 0; i < POOL_SIZE; i++)
		conn_close(&s->conns[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	free(s->path);
	free(s->migrations_dir);
	free(s);
}

/* One migration file: NNNN_name.sql. */
struct migration {
	int version;
	char name[NAME_MAX + 1];
};

static int
migration_cmp(const void *a, const void *b)
{
	return ((const struct migration *)a)->version -
	    ((const struct migration *)b)->version;
}

/* Lists dir's migrations sorted by version. Returns the count or -1. */
static int
migrations_list(const char *dir, struct migration *out, int max)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL) {
		log_error("store", "op=migrate dir=%s error=\"%s\"", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *end;
		long v;

		if (len < 9 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		v = strtol(de->d_name, &end, 10);
		if (end != de->d_name + 4 || *end != '_' || v <= 0)
			continue;
		if (n == max)
			break;
		out[n].version = (int)v;
		snprintf(out[n].name, sizeof(out[n].name), "%s", de->d_name);
		n++;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), migration_cmp);
	return n;
}

static char *
file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)len + 1)) != NULL) {
		if (fread(p, 1, (size_t)len, f) != (size_t)len) {
			free(p);
			p = NULL;
		} else {
			p[len] = '\0';
		}
	}
	fclose(f);
	return p;
}

/* Runs a whole migration script, statement by statement, each prepared. */
static int
script_run(sqlite3 *db, const char *sql, const char *file)
{
	const char *tail = sql;

	while (*tail != '\0') {
		sqlite3_stmt *st = NULL;
		int rc;

		rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			log_error("store", "op=migrate file=%s error=\"%s\"",
			    file, sqlite3_errmsg(db));
			return -1;
		}
		if (st == NULL) /* trailing comment or space */
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			log_error("store", "op=migrate file=%s error=\"%s\"",
			    file, sqlite3_errmsg(db));
			return -1;
		}
	}
	return 0;
}

static int
db_step_simple(sqlite3 *db, const char *sql, int64_t bind, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (bind >= 0)
		sqlite3_bind_int64(st, 1, bind);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out != NULL)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static enum store_status
sqlite_migrate(struct store *base, int *version)
{
	struct store_sqlite *s = sq(base);
	struct migration m[256];
	struct conn *c = pool_get(s);
	sqlite3 *db = c->db;
	int64_t current = 0;
	int n, i;
	enum store_status ret = STORE_ERROR;

	if ((n = migrations_list(s->migrations_dir, m, 256)) == -1)
		goto out;
	if (db_step_simple(db,
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		" applied_at INTEGER NOT NULL)",
		-1, NULL) == -1 ||
	    db_step_simple(db,
		"SELECT COALESCE(MAX(version), 0) FROM "
		"schema_migrations",
		-1, &current) == -1) {
		sq_status(db, sqlite3_errcode(db), "migrate");
		goto out;
	}
	if (n > 0 && current > m[n - 1].version) {
		log_error("store",
		    "op=migrate error=\"database schema version "
		    "%lld is newer than this holos knows (%d); upgrade holos\"",
		    (long long)current, m[n - 1].version);
		goto out;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		char *sql;
		sqlite3_stmt *st = NULL;
		int ok;

		if (m[i].version <= current)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->migrations_dir,
		    m[i].name);
		if ((sql = file_read(path)) == NULL) {
			log_error("store", "op=migrate file=%s error=\"%s\"",
			    path, strerror(errno));
			goto out;
		}
		ok = db_step_simple(db, "BEGIN IMMEDIATE", -1, NULL) == 0 &&
		    script_run(db, sql, path) == 0 &&
		    sqlite3_prepare_v2(db,
			"INSERT INTO schema_migrations "
			"(version, name, applied_at) VALUES (?1, ?2, ?3)",
			-1, &st, NULL) == SQLITE_OK;
		if (ok) {
			sqlite3_bind_int(st, 1, m[i].version);
			sqlite3_bind_text(st, 2, m[i].name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
			ok = sqlite3_step(st) == SQLITE_DONE;
		}
		sqlite3_finalize(st);
		free(sql);
		if (!ok || db_step_simple(db, "COMMIT", -1, NULL) == -1) {
			log_error("store", "op=migrate file=%s error=\"%s\"",
			    m[i].name, sqlite3_errmsg(db));
			db_step_simple(db, "ROLLBACK", -1, NULL);
			goto out;
		}
		log_info("store", "op=migrate applied=%s", m[i].name);
		current = m[i].version;
	}
	*version = (int)current;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_create(struct store *base, const struct petition *p, int64_t *id)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t i;
	int rc;

	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_create");
		goto out;
	}
	if ((st = conn_stmt(c, ST_PETITION_INSERT)) == NULL)
		goto rollback;
	sqlite3_bind_text(st, 1, p->slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->body_md, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->lang, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, p->goal);
	sqlite3_bind_text(st, 6, petition_state_name(p->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->created_at);
	if (p->owner_id != 0)
		sqlite3_bind_int64(st, 8, p->owner_id);
	if (p->closes_at != 0)
		sqlite3_bind_int64(st, 9, p->closes_at);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		ret = STORE_DUPLICATE;
		goto rollback;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "petition_create");
		goto rollback;
	}
	*id = sqlite3_last_insert_rowid(c->db);
	for (i = 0; i < p->nto; i++) {
		if ((st = conn_stmt(c, ST_ADDRESSEE_INSERT)) == NULL)
			goto rollback;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, p->to[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4,
		    p->to[i].description ? p->to[i].description : "", -1,
		    SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			ret = sq_status(c->db, rc, "addressee_insert");
			goto rollback;
		}
	}
	for (i = 0; i < p->ntr; i++) {
		if ((st = conn_stmt(c, ST_TRANSLATION_INSERT)) == NULL)
			goto rollback;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_text(st, 2, p->tr[i].lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->tr[i].title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, p->tr[i].body_md, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			ret = rc == SQLITE_CONSTRAINT ?
			    STORE_DUPLICATE :
			    sq_status(c->db, rc, "translation_insert");
			goto rollback;
		}
	}
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_create");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static const char *
col_text(struct arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return arena_strndup(a, t ? (const char *)t : "",
	    (size_t)sqlite3_column_bytes(st, i));
}

/* Reads the PETITION_COLS of a row; the count is not among them (counts.c
 * keeps it), nor the addressees. owner_name is "" unless the caller reads
 * it. Returns 0, or -1 when out of memory or the row is bad. */
static int
row_petition(struct arena *a, sqlite3_stmt *st, struct petition *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	p->slug = col_text(a, st, 1);
	p->title = col_text(a, st, 2);
	p->body_md = col_text(a, st, 3);
	p->lang = col_text(a, st, 4);
	p->goal = sqlite3_column_int64(st, 5);
	p->state =
	    petition_state_parse((const char *)sqlite3_column_text(st, 6));
	p->created_at = sqlite3_column_int64(st, 7);
	p->updated_at = sqlite3_column_int64(st, 8);
	p->closes_at = sqlite3_column_int64(st, 9);
	p->owner_id = sqlite3_column_int64(st, 10);
	p->reason = col_text(a, st, 11);
	p->note = col_text(a, st, 12);
	p->owner_name = "";
	if (p->slug == NULL || p->title == NULL || p->body_md == NULL ||
	    p->lang == NULL || p->reason == NULL || p->note == NULL ||
	    p->state == PETITION__MAX)
		return -1;
	return 0;
}

/* Makes room for one more element of size in *arr (arena), doubling *cap.
 * Returns 0, or -1 when out of memory. */
static int
grow(struct arena *a, void **arr, size_t *cap, size_t n, size_t size)
{
	void *bigger;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 16;
	if ((bigger = arena_alloc(a, *cap * size)) == NULL)
		return -1;
	if (n)
		memcpy(bigger, *arr, n * size);
	*arr = bigger;
	return 0;
}

/* Copies a blob column into the arena; *len gets its size. Returns NULL
 * when out of memory (a NULL column gives a non-NULL empty copy). */
static const unsigned char *
col_blob(struct arena *a, sqlite3_stmt *st, int i, size_t *len)
{
	const void *blob = sqlite3_column_blob(st, i);
	unsigned char *copy;

	*len = (size_t)sqlite3_column_bytes(st, i);
	if ((copy = arena_alloc(a, *len ? *len : 1)) != NULL && *len)
		memcpy(copy, blob, *len);
	return copy;
}

/* Reads every row of a bound petition statement into an arena array. */
static enum store_status
petitions_read(struct conn *c, struct arena *a, sqlite3_stmt *st,
    const char *what, struct petition **out, size_t *n)
{
	struct petition *ps = NULL;
	size_t np = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(a, (void **)&ps, &cap, np, sizeof(*ps)) == -1 ||
		    row_petition(a, st, &ps[np]) == -1)
			return STORE_ERROR;
		np++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (rc != SQLITE_DONE)
		return sq_status(c->db, rc, what);
	*out = ps;
	*n = np;
	return STORE_OK;
}

static enum store_status petition_get(struct store *, struct arena *,
    const char *, int64_t, struct petition *);

static enum store_status
sqlite_petition_by_slug(struct store *base, struct arena *a, const char *slug,
    struct petition *out)
{
	return petition_get(base, a, slug, 0, out);
}

static enum store_status
sqlite_petition_by_id(struct store *base, struct arena *a, int64_t id,
    struct petition *out)
{
	return petition_get(base, a, NULL, id, out);
}

/* The petition with this slug (or, slug NULL, this id) and its
 * addressees, read in one snapshot. */
static enum store_status
petition_get(struct store *base, struct arena *a, const char *slug, int64_t id,
    struct petition *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct addressee *to = NULL;
	size_t nto = 0, cap = 0;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	/* Both reads in one snapshot. */
	if ((rc = conn_exec(c, ST_BEGIN_READ)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_get");
		goto out;
	}
	if ((st = conn_stmt(c,
		 slug != NULL ? ST_PETITION_BY_SLUG : ST_PETITION_BY_ID)) ==
	    NULL)
		goto end;
	if (slug != NULL)
		sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
		goto end;
	}
	if (rc != SQLITE_ROW) {
		ret = sq_status(c->db, rc, "petition_get");
		goto end;
	}
	if (row_petition(a, st, out) == -1 ||
	    (out->owner_name = col_text(a, st, 13)) == NULL)
		goto end;
	if ((st = conn_stmt(c, ST_ADDRESSEES)) == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, out->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(a, (void **)&to, &cap, nto, sizeof(*to)) == -1 ||
		    (to[nto].name = col_text(a, st, 0)) == NULL ||
		    (to[nto].description = col_text(a, st, 1)) == NULL)
			goto end;
		nto++;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "addressees");
		goto end;
	}
	out->to = to;
	out->nto = nto;
	ret = STORE_OK;
end:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_list(struct store *base, struct arena *a,
    enum petition_state state, struct petition **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_PETITION_LIST)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, petition_state_name(state), -1, SQLITE_STATIC);
	ret = petitions_read(c, a, st, "petition_list", out, n);
out:
	pool_put(s, c);
	return ret;
}

/* Adds the confirmed signatures of one petition to this node's counter. */
static int
count_add(struct conn *c, int64_t petition_id, int64_t n)
{
	sqlite3_stmt *st;

	if (n == 0)
		return SQLITE_OK;
	if ((st = conn_stmt(c, ST_COUNT_ADD)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, petition_id);
	sqlite3_bind_int64(st, 2, n);
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

static bool
hash_set(const unsigned char h[STORE_HASH_BYTES])
{
	size_t i;

	for (i = 0; i < STORE_HASH_BYTES; i++)
		if (h[i] != 0)
			return true;
	return false;
}

static int
token_insert(struct conn *c, const unsigned char *hash, const char *purpose,
    int64_t subject, int64_t now, int64_t expires)
{
	sqlite3_stmt *st;

	if ((st = conn_stmt(c, ST_TOKEN_INSERT)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, subject);
	sqlite3_bind_int64(st, 4, now);
	if (expires > 0)
		sqlite3_bind_int64(st, 5, expires);
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

static int
outbox_insert(struct conn *c, const struct outbox_new *m, int64_t now)
{
	sqlite3_stmt *st;

	if ((st = conn_stmt(c, ST_OUTBOX_INSERT)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_text(st, 1, m->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, m->sealed, (int)m->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

/* A signature whose email hash is taken: a pending one gets its link again
 * (a fresh token and the op's mail), at most once per resend window. */
static int
sign_again(struct conn *c, struct write_op *op)
{
	sqlite3_stmt *st;
	int64_t id, last;
	int rc;

	if ((st = conn_stmt(c, ST_SIG_BY_HASH)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, op->sig.petition_id);
	sqlite3_bind_blob(st, 2, op->sig.email_hash, STORE_HASH_BYTES,
	    SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
	id = sqlite3_column_int64(st, 0);
	last = sqlite3_column_int64(st, 2);
	if (signature_state_parse((const char *)sqlite3_column_text(st, 1)) !=
		SIGNATURE_PENDING ||
	    op->mail.sealed == NULL) {
		op->result = WRITE_DUPLICATE;
		return SQLITE_OK;
	}
	if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
	    last >= op->resend_before) {
		op->result = WRITE_RESEND_LATER;
		return SQLITE_OK;
	}
	sqlite3_reset(st);
	if ((rc = token_insert(c, op->token_hash, "confirm", id, op->now,
		 op->token_expires)) != SQLITE_OK ||
	    (rc = outbox_insert(c, &op->mail, op->now)) != SQLITE_OK)
		return rc;
	if ((st = conn_stmt(c, ST_SIG_MAILED)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, op->now);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return SQLITE_ERROR;
	op->result = WRITE_RESENT;
	return SQLITE_OK;
}

static int
write_sign(struct conn *c, struct write_op *op)
{
	struct signature *sig = &op->sig;
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if ((st = conn_stmt(c, ST_SIGNATURE_INSERT)) == NULL)
		return SQLITE_ERROR;
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
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) { /* ON CONFLICT DO NOTHING */
		sqlite3_reset(st);
		return sign_again(c, op);
	}
	if (rc != SQLITE_ROW)
		return rc;
	id = sqlite3_column_int64(st, 0);
	sig->seq = sqlite3_column_int64(st, 1);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return rc;
	op->result = WRITE_OK;
	if (sig->state == SIGNATURE_CONFIRMED)
		op->petition_id = sig->petition_id;
	if (sig->state == SIGNATURE_PENDING && hash_set(op->token_hash) &&
	    (rc = token_insert(c, op->token_hash, "confirm", id, op->now,
		 op->token_expires)) != SQLITE_OK)
		return rc;
	if (hash_set(op->unsub_hash) &&
	    (rc = token_insert(c, op->unsub_hash, "unsubscribe", id, op->now,
		 0)) != SQLITE_OK)
		return rc;
	if (op->mail.sealed != NULL &&
	    (rc = outbox_insert(c, &op->mail, op->now)) != SQLITE_OK)
		return rc;
	return SQLITE_OK;
}

static int
write_confirm(struct conn *c, struct write_op *op)
{
	sqlite3_stmt *st;
	int64_t subject, expires, used;
	int rc;

	if ((st = conn_stmt(c, ST_TOKEN_GET)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_blob(st, 1, op->token_hash, STORE_HASH_BYTES,
	    SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE ||
	    (rc == SQLITE_ROW &&
		strcmp((const char *)sqlite3_column_text(st, 0), "confirm") !=
		    0)) {
		op->result = WRITE_TOKEN_UNKNOWN;
		return SQLITE_OK;
	}
	if (rc != SQLITE_ROW)
		return rc;
	subject = sqlite3_column_int64(st, 1);
	expires = sqlite3_column_int64(st, 2);
	used = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (used != 0) {
		op->result = WRITE_TOKEN_USED;
		return SQLITE_OK;
	}
	if (expires != 0 && expires <= op->now) {
		op->result = WRITE_TOKEN_EXPIRED;
		return SQLITE_OK;
	}
	if ((st = conn_stmt(c, ST_TOKEN_USE)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, op->now);
	sqlite3_bind_blob(st, 2, op->token_hash, STORE_HASH_BYTES,
	    SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return SQLITE_ERROR;
	if ((st = conn_stmt(c, ST_SIG_CONFIRM)) == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, op->now);
	sqlite3_bind_int64(st, 2, subject);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		op->petition_id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		return rc;
	/* Confirmed by another link already: confirmed all the same. */
	op->result = WRITE_OK;
	return SQLITE_OK;
}

/* The count changes of a batch, summed per petition. */
struct delta {
	int64_t petition_id;
	int64_t n;
};

static enum store_status
sqlite_write_batch(struct store *base, struct write_op *ops, size_t n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct delta *d = NULL;
	enum store_status ret = STORE_ERROR;
	size_t i, j, nd = 0;
	int rc;

	if ((d = calloc(n ? n : 1, sizeof(*d))) == NULL)
		goto out;
	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "write_batch");
		goto out;
	}
	for (i = 0; i < n; i++) {
		ops[i].petition_id = 0;
		rc = ops[i].kind == WRITE_SIGN ? write_sign(c, &ops[i]) :
						 write_confirm(c, &ops[i]);
		if (rc != SQLITE_OK) {
			ret = sq_status(c->db, rc,
			    ops[i].kind == WRITE_SIGN ? "write_sign" :
							"write_confirm");
			goto rollback;
		}
		if (ops[i].petition_id == 0)
			continue;
		for (j = 0; j < nd && d[j].petition_id != ops[i].petition_id;
		     j++)
			;
		if (j == nd)
			d[nd++].petition_id = ops[i].petition_id;
		d[j].n++;
	}
	for (j = 0; j < nd; j++) {
		if (count_add(c, d[j].petition_id, d[j].n) != SQLITE_OK) {
			ret = sq_status(c->db, sqlite3_errcode(c->db),
			    "count_add");
			goto rollback;
		}
	}
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "write_commit");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	free(d);
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_token_lookup(struct store *base, struct arena *a,
    const unsigned char *hash, struct token_info *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_TOKEN_INFO)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sq_status(c->db, rc, "token_lookup");
		goto out;
	}
	out->signature_id = sqlite3_column_int64(st, 0);
	out->purpose = col_text(a, st, 1);
	out->expires_at = sqlite3_column_int64(st, 2);
	out->used_at = sqlite3_column_int64(st, 3);
	out->slug = col_text(a, st, 4);
	out->title = col_text(a, st, 5);
	out->lang = col_text(a, st, 6);
	out->state =
	    signature_state_parse((const char *)sqlite3_column_text(st, 7));
	out->title_lang = col_text(a, st, 8);
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_unsubscribe(struct store *base, const unsigned char *hash, int64_t now)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	(void)now;
	if ((st = conn_stmt(c, ST_UNSUBSCRIBE)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "unsubscribe");
		goto out;
	}
	ret = sqlite3_changes(c->db) > 0 ? STORE_OK : STORE_NOTFOUND;
out:
	pool_put(s, c);
	return ret;
}

/* Runs a statement without rows; *changes gets the rows it touched. */
static enum store_status
exec_changes(struct store_sqlite *s, enum stmt id, int64_t a1, int64_t a2,
    int *changes, const char *what)
{
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, id)) == NULL)
		goto out;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a1);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, a2);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, what);
		goto out;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(c->db);
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_outbox_recover(struct store *base, int *n)
{
	return exec_changes(sq(base), ST_OUTBOX_RECOVER, 0, 0, n,
	    "outbox_recover");
}

static enum store_status
sqlite_outbox_claim(struct store *base, struct arena *a, int64_t now,
    size_t max, struct outbox_msg **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct outbox_msg *ms;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0, i;
	int rc;

	*n = 0;
	if ((ms = arena_alloc(a, (max ? max : 1) * sizeof(*ms))) == NULL)
		goto out;
	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "outbox_claim");
		goto out;
	}
	if ((st = conn_stmt(c, ST_OUTBOX_DUE)) == NULL)
		goto rollback;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 3);
		size_t blen = (size_t)sqlite3_column_bytes(st, 3);
		unsigned char *copy = arena_alloc(a, blen ? blen : 1);

		memset(&ms[k], 0, sizeof(ms[k]));
		ms[k].id = sqlite3_column_int64(st, 0);
		ms[k].message_id = col_text(a, st, 1);
		ms[k].kind = col_text(a, st, 2);
		if (copy == NULL || ms[k].message_id == NULL)
			goto rollback;
		if (blob != NULL) {
			memcpy(copy, blob, blen);
			ms[k].sealed = copy;
			ms[k].sealed_len = blen;
		}
		ms[k].attempts = sqlite3_column_int(st, 4) + 1;
		ms[k].next_at = sqlite3_column_int64(st, 5);
		ms[k].created_at = sqlite3_column_int64(st, 6);
		ms[k].state = OUTBOX_SENDING;
		k++;
	}
	sqlite3_reset(st);
	for (i = 0; i < k; i++) {
		if ((st = conn_stmt(c, ST_OUTBOX_MARK)) == NULL)
			goto rollback;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, ms[i].id);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			ret = sq_status(c->db, rc, "outbox_mark");
			goto rollback;
		}
	}
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "outbox_claim");
		goto rollback;
	}
	*out = ms;
	*n = k;
	ret = STORE_OK;
	goto out;
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_outbox_finish(struct store *base, int64_t id, enum outbox_state state,
    int64_t next_at, const char *error, int64_t now)
{
	struct store_sqlite *s = sq(base);
	struct conn *c;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if (state == OUTBOX_SENT)
		return exec_changes(s, ST_OUTBOX_SENT, now, id, NULL,
		    "outbox_sent");
	c = pool_get(s);
	if ((st = conn_stmt(c, ST_OUTBOX_RESCHEDULE)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, outbox_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next_at);
	sqlite3_bind_text(st, 3, error ? error : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, id);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "outbox_finish");
		goto out;
	}
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum outbox_state
outbox_state_parse(const char *name)
{
	int i;

	for (i = 0; i < OUTBOX__MAX; i++)
		if (name != NULL &&
		    strcmp(outbox_state_name((enum outbox_state)i), name) == 0)
			return (enum outbox_state)i;
	return OUTBOX__MAX;
}

static enum store_status
sqlite_outbox_list(struct store *base, struct arena *a, struct outbox_msg **out,
    size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct outbox_msg *ms;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0;
	int rc;

	if ((ms = arena_alloc(a, 500 * sizeof(*ms))) == NULL ||
	    (st = conn_stmt(c, ST_OUTBOX_LIST)) == NULL)
		goto out;
	while (k < 500 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ms[k].id = sqlite3_column_int64(st, 0);
		ms[k].message_id = col_text(a, st, 1);
		ms[k].kind = col_text(a, st, 2);
		ms[k].state = outbox_state_parse(
		    (const char *)sqlite3_column_text(st, 3));
		ms[k].attempts = sqlite3_column_int(st, 4);
		ms[k].next_at = sqlite3_column_int64(st, 5);
		ms[k].created_at = sqlite3_column_int64(st, 6);
		ms[k].updated_at = sqlite3_column_int64(st, 7);
		ms[k].sent_at = sqlite3_column_int64(st, 8);
		ms[k].last_error = col_text(a, st, 9);
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (k < 500 && rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "outbox_list");
		goto out;
	}
	*out = ms;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_outbox_retry(struct store *base, int64_t id, int64_t now, int *n)
{
	return id == 0 ? exec_changes(sq(base), ST_OUTBOX_RETRY_ALL, now, 0, n,
			     "outbox_retry") :
			 exec_changes(sq(base), ST_OUTBOX_RETRY_ONE, now, id, n,
			     "outbox_retry");
}

static enum store_status
sqlite_petition_count(struct store *base, int64_t id, int64_t *count)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_COUNT)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		ret = sq_status(c->db, rc, "count");
		goto out;
	}
	*count = sqlite3_column_int64(st, 0);
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_translation(struct store *base, struct arena *a,
    int64_t petition_id, const char *lang, struct translation *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_TRANSLATION)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	sqlite3_bind_text(st, 2, lang, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sq_status(c->db, rc, "translation");
		goto out;
	}
	out->lang = col_text(a, st, 0);
	out->title = col_text(a, st, 1);
	out->body_md = col_text(a, st, 2);
	ret = out->lang && out->title && out->body_md ? STORE_OK : STORE_ERROR;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_trending(struct store *base, struct arena *a, int64_t petition_id,
    int64_t since, bool by_domain, struct trend_row **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct trend_row *rows;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0;
	int rc;

	if ((rows = arena_alloc(a, 100 * sizeof(*rows))) == NULL ||
	    (st = conn_stmt(c, by_domain ? ST_TREND_DOMAIN : ST_TREND_NET)) ==
		NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	sqlite3_bind_int64(st, 2, since);
	while (k < 100 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows[k].key = col_text(a, st, 0);
		rows[k].n = sqlite3_column_int64(st, 1);
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (k < 100 && rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "trending");
		goto out;
	}
	*out = rows;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

/* Binds the criteria shared by ST_INV_COUNT and ST_INV_MARK. */
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

static enum store_status
sqlite_invalidate(struct store *base, struct invalidation *inv)
{
	struct store_sqlite *s = sq(base);
	struct conn *c;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	char criteria[512];
	int64_t id;
	size_t i;
	int rc;

	if (inv->domain == NULL && inv->net == NULL && inv->from == 0 &&
	    inv->to == 0 && inv->nseqs == 0) {
		log_error("store", "op=invalidate error=\"no criterion\"");
		return STORE_ERROR;
	}
	snprintf(criteria, sizeof(criteria),
	    "domain=%s net=%s from=%lld "
	    "to=%lld list=%zu",
	    inv->domain ? inv->domain : "-", inv->net ? inv->net : "-",
	    (long long)inv->from, (long long)inv->to, inv->nseqs);
	c = pool_get(s);
	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "invalidate");
		goto out;
	}
	if (conn_exec(c, ST_INV_TEMP) != SQLITE_OK ||
	    conn_exec(c, ST_INV_CLEAR) != SQLITE_OK)
		goto fail;
	for (i = 0; i < inv->nseqs; i++) {
		if ((st = conn_stmt(c, ST_INV_SEQ)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, inv->seqs[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	if ((st = conn_stmt(c, ST_INV_COUNT)) == NULL)
		goto fail;
	bind_criteria(st, inv);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	inv->removed = sqlite3_column_int64(st, 0);
	inv->uncounted = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if ((st = conn_stmt(c, ST_INV_RECORD)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, inv->petition_id);
	sqlite3_bind_text(st, 2, inv->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, criteria, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, inv->note ? inv->note : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, inv->removed);
	sqlite3_bind_text(st, 6, inv->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, inv->now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	id = sqlite3_last_insert_rowid(c->db);
	if ((st = conn_stmt(c, ST_INV_MARK)) == NULL)
		goto fail;
	bind_criteria(st, inv);
	sqlite3_bind_text(st, 7, inv->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (count_add(c, inv->petition_id, -inv->uncounted) != SQLITE_OK)
		goto fail;
	if ((st = conn_stmt(c, ST_AUDIT)) == NULL)
		goto fail;
	{
		char subject[64], detail[700];

		snprintf(subject, sizeof(subject), "petition:%lld",
		    (long long)inv->petition_id);
		snprintf(detail, sizeof(detail),
		    "reason=%s %s removed=%lld "
		    "uncounted=%lld",
		    inv->reason, criteria, (long long)inv->removed,
		    (long long)inv->uncounted);
		sqlite3_bind_int64(st, 1, inv->now);
		sqlite3_bind_text(st, 2, inv->actor, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, "invalidate", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, subject, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, detail, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "invalidate");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
fail:
	ret = sq_status(c->db, sqlite3_errcode(c->db), "invalidate");
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_removals(struct store *base, struct arena *a, int64_t petition_id,
    struct removal_row **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct removal_row *rows;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0;
	int rc;

	if ((rows = arena_alloc(a, 8 * sizeof(*rows))) == NULL ||
	    (st = conn_stmt(c, ST_REMOVALS)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	while (k < 8 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows[k].reason = col_text(a, st, 0);
		rows[k].n = sqlite3_column_int64(st, 1);
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (k < 8 && rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "removals");
		goto out;
	}
	*out = rows;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_user_create(struct store *base, const struct user_new *u, int64_t *id)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_USER_INSERT)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, u->email_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, u->sealed, (int)u->sealed_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->password, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, user_role_name(u->role), -1, SQLITE_STATIC);
	if (u->verified)
		sqlite3_bind_int64(st, 5, u->now);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, u->now);
	sqlite3_bind_text(st, 7, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, u->lang, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		ret = STORE_DUPLICATE;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "user_create");
		goto out;
	}
	*id = sqlite3_last_insert_rowid(c->db);
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

/* Steps a bound statement that reads the USER_COLS of one account. */
static enum store_status
user_row(struct conn *c, sqlite3_stmt *st, struct arena *a, struct user *out)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return sq_status(c->db, rc, "user");
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	out->role = user_role_parse((const char *)sqlite3_column_text(st, 1));
	out->password = col_text(a, st, 2);
	out->failed = sqlite3_column_int(st, 3);
	out->locked_until = sqlite3_column_int64(st, 4);
	out->name = col_text(a, st, 5);
	out->lang = col_text(a, st, 6);
	out->verified_at = sqlite3_column_int64(st, 7);
	out->email_sealed = col_blob(a, st, 8, &out->email_sealed_len);
	return out->password != NULL && out->name != NULL &&
		out->lang != NULL && out->email_sealed != NULL &&
		out->role != ROLE__MAX ?
	    STORE_OK :
	    STORE_ERROR;
}

static enum store_status
sqlite_user_by_email(struct store *base, struct arena *a,
    const unsigned char *email_hash, struct user *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_USER_BY_EMAIL)) != NULL) {
		sqlite3_bind_blob(st, 1, email_hash, STORE_HASH_BYTES,
		    SQLITE_STATIC);
		ret = user_row(c, st, a, out);
	}
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_user_by_id(struct store *base, struct arena *a, int64_t id,
    struct user *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_USER_BY_ID)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		ret = user_row(c, st, a, out);
	}
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_user_login_result(struct store *base, int64_t id, bool ok, int64_t now,
    int max_failed, int64_t lock_seconds)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ok ? ST_USER_OK : ST_USER_FAILED)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (!ok) {
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, max_failed);
		sqlite3_bind_int64(st, 4, lock_seconds);
	}
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "user_login_result");
		goto out;
	}
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_session_create(struct store *base, const unsigned char *hash,
    int64_t user_id, int64_t now, int64_t expires)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_SESSION_INSERT)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, expires);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "session_create");
		goto out;
	}
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_session_user(struct store *base, struct arena *a,
    const unsigned char *hash, int64_t now, struct user *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_SESSION_USER)) != NULL) {
		sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		ret = user_row(c, st, a, out);
	}
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_session_delete(struct store *base, const unsigned char *hash)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_SESSION_DELETE)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "session_delete");
		goto out;
	}
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_audit(struct store *base, const char *actor, const char *action,
    const char *subject, const char *detail, int64_t now)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_AUDIT)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject ? subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "audit");
		goto out;
	}
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_audit_list(struct store *base, struct arena *a, struct audit_row **out,
    size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct audit_row *rows;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0;
	int rc;

	if ((rows = arena_alloc(a, 200 * sizeof(*rows))) == NULL ||
	    (st = conn_stmt(c, ST_AUDIT_LIST)) == NULL)
		goto out;
	while (k < 200 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows[k].at = sqlite3_column_int64(st, 0);
		rows[k].actor = col_text(a, st, 1);
		rows[k].action = col_text(a, st, 2);
		rows[k].subject = col_text(a, st, 3);
		rows[k].detail = col_text(a, st, 4);
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (k < 200 && rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "audit_list");
		goto out;
	}
	*out = rows;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

/* Steps a bound statement that returns no rows. */
static enum store_status
step_done(struct conn *c, sqlite3_stmt *st, const char *what)
{
	int rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return sq_status(c->db, rc, what);
	return STORE_OK;
}

/* The status of the statement that failed in a transaction. */
static enum store_status
tx_status(struct conn *c, const char *what)
{
	int rc = sqlite3_errcode(c->db);

	return sq_status(c->db, rc == SQLITE_OK ? SQLITE_ERROR : rc, what);
}

static enum store_status
sqlite_user_token_create(struct store *base, const unsigned char *hash,
    enum user_token_purpose purpose, int64_t user_id, int64_t now,
    int64_t expires)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_USER_TOKEN_INSERT)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_token_purpose_name(purpose), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, user_id);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires);
	ret = step_done(c, st, "user_token_create");
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_user_token_use(struct store *base, const unsigned char *hash,
    enum user_token_purpose purpose, bool consume, int64_t now, int64_t *user_id)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int64_t id;
	int rc;

	if ((st = conn_stmt(c,
		 consume ? ST_USER_TOKEN_CONSUME : ST_USER_TOKEN_PEEK)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_token_purpose_name(purpose), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sq_status(c->db, rc, "user_token_use");
		goto out;
	}
	id = sqlite3_column_int64(st, 0);
	/* The UPDATE … RETURNING is complete only once stepped to its end. */
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "user_token_use");
		goto out;
	}
	*user_id = id;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_user_verify(struct store *base, int64_t id, int64_t now)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_USER_VERIFY)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((ret = step_done(c, st, "user_verify")) == STORE_OK &&
	    sqlite3_changes(c->db) == 0)
		ret = STORE_NOTFOUND;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_user_set_password(struct store *base, int64_t id, const char *password)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "user_set_password");
		goto out;
	}
	if ((st = conn_stmt(c, ST_USER_PASSWORD)) == NULL)
		goto rollback;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, password, -1, SQLITE_STATIC);
	if ((ret = step_done(c, st, "user_set_password")) != STORE_OK)
		goto rollback;
	if (sqlite3_changes(c->db) == 0) {
		ret = STORE_NOTFOUND;
		goto rollback;
	}
	if ((st = conn_stmt(c, ST_USER_SESSIONS_END)) == NULL) {
		ret = STORE_ERROR;
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((ret = step_done(c, st, "user_set_password")) != STORE_OK)
		goto rollback;
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "user_set_password");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_update(struct store *base, const struct petition *p)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t i;
	int rc;

	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_update");
		goto out;
	}
	if ((st = conn_stmt(c, ST_PETITION_UPDATE)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, p->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->body_md, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->lang, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, p->goal);
	if (p->closes_at != 0)
		sqlite3_bind_int64(st, 6, p->closes_at);
	sqlite3_bind_int64(st, 7, p->updated_at);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(c->db) == 0) {
		ret = STORE_NOTFOUND;
		goto rollback;
	}
	if ((st = conn_stmt(c, ST_ADDRESSEES_DELETE)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, p->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	for (i = 0; i < p->nto; i++) {
		if ((st = conn_stmt(c, ST_ADDRESSEE_INSERT)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, p->id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, p->to[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4,
		    p->to[i].description ? p->to[i].description : "", -1,
		    SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_update");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
fail:
	ret = tx_status(c, "petition_update");
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_transition(struct store *base, const struct transition *t)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	const char *reason = t->reason ? t->reason : "";
	const char *note = t->note ? t->note : "";
	char action[64], subject[64], *detail = NULL;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	snprintf(action, sizeof(action), "petition_%s",
	    petition_state_name(t->to) ? petition_state_name(t->to) : "?");
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)t->petition_id);
	/* "reason: note", or whichever of them is set. */
	if (asprintf(&detail, "%s%s%s", reason, *reason && *note ? ": " : "",
		note) == -1) {
		detail = NULL;
		goto out;
	}
	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_transition");
		goto out;
	}
	if ((st = conn_stmt(c, ST_PETITION_MOVE)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, t->petition_id);
	sqlite3_bind_text(st, 2, petition_state_name(t->from), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, petition_state_name(t->to), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, t->at);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(c->db) == 0) {
		ret = STORE_NOTFOUND;
		goto rollback;
	}
	if ((st = conn_stmt(c, ST_TRANSITION_INSERT)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, t->petition_id);
	sqlite3_bind_text(st, 2, petition_state_name(t->from), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, petition_state_name(t->to), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, t->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, t->at);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if ((st = conn_stmt(c, ST_AUDIT)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, t->at);
	sqlite3_bind_text(st, 2, t->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_transition");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
fail:
	ret = tx_status(c, "petition_transition");
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	free(detail);
	return ret;
}

static enum store_status
sqlite_petition_list_owner(struct store *base, struct arena *a,
    int64_t owner_id, struct petition **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_PETITION_LIST_OWNER)) != NULL) {
		sqlite3_bind_int64(st, 1, owner_id);
		ret = petitions_read(c, a, st, "petition_list_owner", out, n);
	}
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_queue(struct store *base, struct arena *a,
    struct petition **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_PETITION_QUEUE)) != NULL)
		ret = petitions_read(c, a, st, "petition_queue", out, n);
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_due(struct store *base, struct arena *a, int64_t now,
    struct petition **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_PETITION_DUE)) != NULL) {
		sqlite3_bind_int64(st, 1, now);
		ret = petitions_read(c, a, st, "petition_due", out, n);
	}
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_transition_list(struct store *base, struct arena *a, int64_t petition_id,
    struct transition **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct transition *ts = NULL;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0, cap = 0;
	int rc;

	if ((st = conn_stmt(c, ST_TRANSITION_LIST)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct transition *t;

		if (grow(a, (void **)&ts, &cap, k, sizeof(*ts)) == -1)
			goto out;
		t = &ts[k];
		t->petition_id = sqlite3_column_int64(st, 0);
		t->from = petition_state_parse(
		    (const char *)sqlite3_column_text(st, 1));
		t->to = petition_state_parse(
		    (const char *)sqlite3_column_text(st, 2));
		t->actor = col_text(a, st, 3);
		t->reason = col_text(a, st, 4);
		t->note = col_text(a, st, 5);
		t->at = sqlite3_column_int64(st, 6);
		if (t->actor == NULL || t->reason == NULL || t->note == NULL)
			goto out;
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "transition_list");
		goto out;
	}
	*out = ts;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_update_create(struct store *base, const struct update *u, int64_t *id)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;

	if ((st = conn_stmt(c, ST_UPDATE_INSERT)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, u->petition_id);
	sqlite3_bind_text(st, 2, update_kind_name(u->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->author ? u->author : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->body_md, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, u->created_at);
	if ((ret = step_done(c, st, "update_create")) == STORE_OK)
		*id = sqlite3_last_insert_rowid(c->db);
out:
	pool_put(s, c);
	return ret;
}

/* Reads the UPDATE_COLS of a row. Returns 0, or -1 when out of memory or
 * the row is bad. */
static int
row_update(struct arena *a, sqlite3_stmt *st, struct update *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	u->petition_id = sqlite3_column_int64(st, 1);
	u->kind = update_kind_parse((const char *)sqlite3_column_text(st, 2));
	u->author = col_text(a, st, 3);
	u->title = col_text(a, st, 4);
	u->body_md = col_text(a, st, 5);
	u->created_at = sqlite3_column_int64(st, 6);
	u->mail_cursor = sqlite3_column_int64(st, 7);
	u->mail_done = sqlite3_column_int(st, 8) != 0;
	u->mailed = sqlite3_column_int64(st, 9);
	return u->author != NULL && u->title != NULL && u->body_md != NULL &&
		u->kind != UPDATE__MAX ?
	    0 :
	    -1;
}

static enum store_status
sqlite_update_list(struct store *base, struct arena *a, int64_t petition_id,
    struct update **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct update *us = NULL;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0, cap = 0;
	int rc;

	if ((st = conn_stmt(c, ST_UPDATE_LIST)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(a, (void **)&us, &cap, k, sizeof(*us)) == -1 ||
		    row_update(a, st, &us[k]) == -1)
			goto out;
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "update_list");
		goto out;
	}
	*out = us;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_update_mail_next(struct store *base, struct arena *a, struct update *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	if ((st = conn_stmt(c, ST_UPDATE_MAIL_NEXT)) == NULL)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sq_status(c->db, rc, "update_mail_next");
		goto out;
	}
	ret = row_update(a, st, out) == 0 ? STORE_OK : STORE_ERROR;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_update_recipients(struct store *base, struct arena *a,
    int64_t petition_id, int64_t after_id, int64_t created_before, size_t max,
    struct recipient **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct recipient *rs = NULL;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0, cap = 0;
	int rc;

	if ((st = conn_stmt(c, ST_UPDATE_RECIPIENTS)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, created_before);
	sqlite3_bind_int64(st, 4, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct recipient *r;

		if (grow(a, (void **)&rs, &cap, k, sizeof(*rs)) == -1)
			goto out;
		r = &rs[k];
		r->signature_id = sqlite3_column_int64(st, 0);
		r->pii = col_blob(a, st, 1, &r->pii_len);
		r->lang = col_text(a, st, 2);
		if (r->pii == NULL || r->lang == NULL)
			goto out;
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "update_recipients");
		goto out;
	}
	*out = rs;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_update_mail_commit(struct store *base, int64_t update_id,
    int64_t old_cursor, int64_t new_cursor, bool done,
    const struct update_mail *msgs, size_t n, int64_t now)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t i;
	int rc;

	if ((rc = conn_exec(c, ST_BEGIN)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "update_mail_commit");
		goto out;
	}
	if ((st = conn_stmt(c, ST_UPDATE_CURSOR)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, update_id);
	sqlite3_bind_int64(st, 2, old_cursor);
	sqlite3_bind_int64(st, 3, new_cursor);
	sqlite3_bind_int(st, 4, done);
	sqlite3_bind_int64(st, 5, (int64_t)n);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(c->db) == 0) {
		ret = STORE_DUPLICATE;
		goto rollback;
	}
	for (i = 0; i < n; i++) {
		if (outbox_insert(c, &msgs[i].mail, now) != SQLITE_OK ||
		    token_insert(c, msgs[i].unsub_hash, "unsubscribe",
			msgs[i].signature_id, now, 0) != SQLITE_OK)
			goto fail;
	}
	if ((rc = conn_exec(c, ST_COMMIT)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "update_mail_commit");
		goto rollback;
	}
	ret = STORE_OK;
	goto out;
fail:
	ret = tx_status(c, "update_mail_commit");
rollback:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_petition_stats(struct store *base, struct arena *a, int64_t petition_id,
    struct petition_stats *out)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct petition_stats ps;
	size_t cap = 0;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	int rc;

	memset(&ps, 0, sizeof(ps));
	/* The three reads in one snapshot. */
	if ((rc = conn_exec(c, ST_BEGIN_READ)) != SQLITE_OK) {
		ret = sq_status(c->db, rc, "petition_stats");
		goto out;
	}
	if ((st = conn_stmt(c, ST_STATS_STATES)) == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, petition_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(st, 1);

		switch (signature_state_parse(
		    (const char *)sqlite3_column_text(st, 0))) {
		case SIGNATURE_PENDING: ps.pending = k; break;
		case SIGNATURE_CONFIRMED: ps.confirmed = k; break;
		case SIGNATURE_INVALID: ps.invalid = k; break;
		default: break;
		}
	}
	if (rc != SQLITE_DONE)
		goto failed;
	if ((st = conn_stmt(c, ST_STATS_DAYS)) == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, petition_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(a, (void **)&ps.days, &cap, ps.ndays,
			sizeof(*ps.days)) == -1)
			goto end;
		ps.days[ps.ndays].day = sqlite3_column_int64(st, 0);
		ps.days[ps.ndays].n = sqlite3_column_int64(st, 1);
		ps.ndays++;
	}
	if (rc != SQLITE_DONE)
		goto failed;
	if ((st = conn_stmt(c, ST_STATS_COUNTRIES)) == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, petition_id);
	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct country_row *r;

		if (grow(a, (void **)&ps.countries, &cap, ps.ncountries,
			sizeof(*ps.countries)) == -1)
			goto end;
		r = &ps.countries[ps.ncountries];
		if ((r->country = col_text(a, st, 0)) == NULL)
			goto end;
		r->n = sqlite3_column_int64(st, 1);
		ps.ncountries++;
	}
	if (rc != SQLITE_DONE)
		goto failed;
	*out = ps;
	ret = STORE_OK;
	goto end;
failed:
	/* A step that failed is an error, not a smaller figure. */
	ret = sq_status(c->db, rc, "petition_stats");
end:
	conn_exec(c, ST_ROLLBACK);
out:
	pool_put(s, c);
	return ret;
}

static enum store_status
sqlite_signers_public(struct store *base, struct arena *a, int64_t petition_id,
    int64_t after_seq, size_t max, struct signer_row **out, size_t *n)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	struct signer_row *rows = NULL;
	sqlite3_stmt *st;
	enum store_status ret = STORE_ERROR;
	size_t k = 0, cap = 0;
	int rc;

	if ((st = conn_stmt(c, ST_SIGNERS_PUBLIC)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, petition_id);
	sqlite3_bind_int64(st, 2, after_seq);
	sqlite3_bind_int64(st, 3, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct signer_row *r;

		if (grow(a, (void **)&rows, &cap, k, sizeof(*rows)) == -1)
			goto out;
		r = &rows[k];
		r->seq = sqlite3_column_int64(st, 0);
		r->pii = col_blob(a, st, 1, &r->pii_len);
		r->country = col_text(a, st, 2);
		r->created_at = sqlite3_column_int64(st, 3);
		if (r->pii == NULL || r->country == NULL)
			goto out;
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (rc != SQLITE_DONE) {
		ret = sq_status(c->db, rc, "signers_public");
		goto out;
	}
	*out = rows;
	*n = k;
	ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.migrate = sqlite_migrate,
	.petition_create = sqlite_petition_create,
	.petition_by_slug = sqlite_petition_by_slug,
	.petition_by_id = sqlite_petition_by_id,
	.petition_list = sqlite_petition_list,
	.write_batch = sqlite_write_batch,
	.token_lookup = sqlite_token_lookup,
	.unsubscribe = sqlite_unsubscribe,
	.outbox_recover = sqlite_outbox_recover,
	.outbox_claim = sqlite_outbox_claim,
	.outbox_finish = sqlite_outbox_finish,
	.outbox_list = sqlite_outbox_list,
	.outbox_retry = sqlite_outbox_retry,
	.trending = sqlite_trending,
	.invalidate = sqlite_invalidate,
	.removals = sqlite_removals,
	.user_create = sqlite_user_create,
	.user_by_email = sqlite_user_by_email,
	.user_login_result = sqlite_user_login_result,
	.session_create = sqlite_session_create,
	.session_user = sqlite_session_user,
	.session_delete = sqlite_session_delete,
	.audit = sqlite_audit,
	.audit_list = sqlite_audit_list,
	.petition_count = sqlite_petition_count,
	.petition_translation = sqlite_petition_translation,
	.user_by_id = sqlite_user_by_id,
	.user_token_create = sqlite_user_token_create,
	.user_token_use = sqlite_user_token_use,
	.user_verify = sqlite_user_verify,
	.user_set_password = sqlite_user_set_password,
	.petition_update = sqlite_petition_update,
	.petition_transition = sqlite_petition_transition,
	.petition_list_owner = sqlite_petition_list_owner,
	.petition_queue = sqlite_petition_queue,
	.petition_due = sqlite_petition_due,
	.transition_list = sqlite_transition_list,
	.update_create = sqlite_update_create,
	.update_list = sqlite_update_list,
	.update_mail_next = sqlite_update_mail_next,
	.update_recipients = sqlite_update_recipients,
	.update_mail_commit = sqlite_update_mail_commit,
	.petition_stats = sqlite_petition_stats,
	.signers_public = sqlite_signers_public,
	.outbox_add = sqlite_outbox_add,
};

/* One message queued on its own, due now. */
static enum store_status
sqlite_outbox_add(struct store *base, const struct outbox_new *m, int64_t now)
{
	struct store_sqlite *s = sq(base);
	struct conn *c = pool_get(s);
	enum store_status ret = STORE_ERROR;
	sqlite3_stmt *st;
	int rc;

	if ((st = conn_stmt(c, ST_OUTBOX_INSERT)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, m->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, m->sealed, (int)m->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = sqlite3_step(st)) == SQLITE_CONSTRAINT)
		ret = STORE_DUPLICATE;
	else if (rc != SQLITE_DONE)
		ret = sq_status(c->db, rc, "outbox_add");
	else
		ret = STORE_OK;
out:
	pool_put(s, c);
	return ret;
}
