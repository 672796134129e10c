/* store.c - the storage operations, each written once above the backends
 * (store_backend.h): one table of statements in one SQL text, the row
 * readers, the connection pool, transactions, and the rules of audit text,
 * invalidation criteria and migrations. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "log.h"
#include "merkle.h"
#include "mono.h"
#include "search_text.h"
#include "store_backend.h"
#include "translog.h"

#define STORE_POOL 4
/* A message 'sending' for longer than this on a shared database was left
 * by a node that died during the attempt; any node may claim it again
 * (same Message-ID). A live node's attempts take at most a claim batch
 * times the SMTP timeout (10 min). */
#define OUTBOX_LEASE 3600
#define MIGRATIONS_MAX 256
/* The migration that makes the search index: the petitions already there
 * are indexed in its transaction. */
#define SEARCH_MIGRATION 10

/* The columns read_petition() reads, in its order; the last is when the
 * petition was first published (opened), or its creation for one imported
 * open. SQLite's ST_SEARCH (store_sqlite.c) spells the same list out. */
#define PETITION_COLS                                                \
	"p.id, p.slug, p.title, p.body_md, p.lang, p.goal, p.state," \
	" p.created_at, p.updated_at, COALESCE(p.closes_at, 0),"     \
	" COALESCE(p.owner_id, 0), p.reason, p.note,"                \
	" COALESCE((SELECT MIN(t.at) FROM transitions t"             \
	" WHERE t.petition_id = p.id AND t.to_state = 'open'),"      \
	" p.created_at)"
/* The columns read_user() reads. */
#define USER_COLS                                                             \
	"u.id, u.role, u.password, u.failed, u.locked_until, u.name, u.lang," \
	" COALESCE(u.verified_at, 0), u.email_sealed"
/* The columns read_update() reads. */
#define UPDATE_COLS                                                  \
	"id, petition_id, kind, author, title, body_md, created_at," \
	" mail_cursor, mail_done, mailed"
/* The columns read_outbox() reads (the claim adds sealed). */
#define OUTBOX_COLS \
	"id, message_id, kind, state, attempts, next_at, created_at, updated_at"

/* Every statement, once. Booleans are written TRUE/FALSE (SQLite reads
 * them as 1/0) and casts as CAST(), which both dialects take. The dialect
 * tables of store_sqlite.c and store_pg.c replace a text only where the
 * dialects really differ:
 *   ST_BEGIN            SQLite: BEGIN IMMEDIATE (take the write lock now)
 *   ST_BEGIN_READ       PostgreSQL: none (see its table)
 *   ST_BEGIN_SNAPSHOT   PostgreSQL: REPEATABLE READ, READ ONLY
 *   ST_MIGRATE_LOCK     PostgreSQL: an advisory lock; SQLite: none
 *   ST_OUTBOX_CLAIM     SQLite: without FOR UPDATE SKIP LOCKED
 *   ST_UPDATE_RECIPIENTS SQLite: updates = 1, its partial index's words
 *   ST_STATS_COUNTRIES  SQLite: no COLLATE "C" (its order is bytes)
 *   ST_RETAIN_SIGNATURES PostgreSQL: sha256() of random() for randomblob()
 *   ST_CHECKPOINT SQLite: the WAL checkpointed and truncated
 *   ST_WAL_CHECKPOINT SQLite: the WAL copied back as far as it can be
 *                       at once, writers not stopped
 *   ST_SEARCH_INDEX, ST_SEARCH_UNINDEX, ST_SEARCH, ST_SEARCH_COUNT
 *                       SQLite: its FTS5 table petition_search */
/* Delivery: a delivery's and a response's columns. */
#define DELIVERY_COLS \
	"id, petition_id, pos, name, count, created_at, expires_at"
#define RESPONSE_COLS                                              \
	"r.id, r.delivery_id, r.petition_id, r.author, r.body_md," \
	" r.created_at, d.name FROM responses r JOIN deliveries d" \
	" ON d.id = r.delivery_id"

static const char *const store_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_BEGIN_SNAPSHOT] = "BEGIN",
	[ST_MIGRATE_TABLE] =
	    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER"
	    " PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_MIGRATE_LOCK] = "",
	[ST_MIGRATE_VERSION] =
	    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	[ST_MIGRATE_RECORD] =
	    "INSERT INTO schema_migrations (version, name, applied_at)"
	    " VALUES ($1, $2, $3)",
	[ST_PETITION_INSERT] =
	    "INSERT INTO petitions (slug, title, body_md, lang, goal, state,"
	    " created_at, updated_at, owner_id, closes_at) VALUES ($1, $2, $3,"
	    " $4, $5, $6, $7, $7, $8, $9) RETURNING id",
	/* An addressee kept through an edit (the same name) keeps the email
	 * address the starter gave it: store_petition_update() shelves the
	 * old rows at negative positions first. */
	[ST_ADDRESSEE_INSERT] =
	    "INSERT INTO addressees (petition_id, pos, name, description,"
	    " email_sealed) VALUES ($1, $2, $3, $4, (SELECT email_sealed FROM"
	    " addressees WHERE petition_id = $1 AND pos < 0 AND name = $3"
	    " ORDER BY pos DESC LIMIT 1))",
	[ST_TRANSLATION_INSERT] =
	    "INSERT INTO petition_translations (petition_id, lang, title,"
	    " body_md) VALUES ($1, $2, $3, $4)",
	[ST_PETITION_BY_SLUG] =
	    "SELECT " PETITION_COLS ", COALESCE(u.name, '') FROM petitions p"
	    " LEFT JOIN users u ON u.id = p.owner_id WHERE p.slug = $1",
	[ST_PETITION_BY_ID] =
	    "SELECT " PETITION_COLS ", COALESCE(u.name, '') FROM petitions p"
	    " LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = $1",
	[ST_ADDRESSEES] =
	    "SELECT name, description FROM addressees WHERE petition_id = $1"
	    " ORDER BY pos",
	[ST_TRANSLATION] =
	    "SELECT lang, title, body_md FROM petition_translations"
	    " WHERE petition_id = $1 AND lang = $2",
	[ST_PETITION_LIST] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.state = $1"
	    " ORDER BY p.created_at DESC, p.id DESC LIMIT 200",
	[ST_PETITION_LIST_OWNER] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.owner_id = $1"
	    " ORDER BY p.created_at DESC, p.id DESC",
	[ST_PETITION_QUEUE] =
	    "SELECT " PETITION_COLS " FROM petitions p"
	    " WHERE p.state = 'pending' ORDER BY p.updated_at, p.id",
	[ST_PETITION_DUE] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.state = 'open'"
	    " AND p.closes_at IS NOT NULL AND p.closes_at <= $1"
	    " ORDER BY p.closes_at, p.id",
	/* Only a text nobody has approved yet may change: the state is
	 * checked by the update itself, so a submission committed meanwhile
	 * by another node wins. */
	[ST_PETITION_UPDATE] =
	    "UPDATE petitions SET title = $2, body_md = $3, lang = $4,"
	    " goal = $5, closes_at = $6, updated_at = $7 WHERE id = $1"
	    " AND state IN ('draft', 'rejected')",
	[ST_ADDRESSEES_SHELVE] =
	    "UPDATE addressees SET pos = -1 - pos WHERE petition_id = $1",
	[ST_ADDRESSEES_SHELVED_DELETE] =
	    "DELETE FROM addressees WHERE petition_id = $1 AND pos < 0",
	/* Moves a petition only from the state its mover saw ($2): of two
	 * moving it at once, the second finds the state changed. */
	[ST_PETITION_MOVE] =
	    "UPDATE petitions SET state = $3, reason = $4, note = $5,"
	    " updated_at = $6 WHERE id = $1 AND state = $2",
	[ST_TRANSITION_INSERT] =
	    "INSERT INTO transitions (petition_id, from_state, to_state, actor,"
	    " reason, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	[ST_TRANSITION_LIST] =
	    "SELECT petition_id, from_state, to_state, actor, reason, note, at"
	    " FROM transitions WHERE petition_id = $1 ORDER BY id",
	[ST_COUNT] = "SELECT COALESCE(SUM(confirmed), 0) FROM petition_counts"
		     " WHERE petition_id = $1",
	/* Each node writes only its own counter row, so none is hot. */
	[ST_COUNT_ADD] =
	    "INSERT INTO petition_counts (petition_id, node, confirmed)"
	    " VALUES ($1, $2, $3) ON CONFLICT (petition_id, node) DO UPDATE"
	    " SET confirmed = petition_counts.confirmed + excluded.confirmed",
	/* The same by country ('--' for none), for the page's countries. */
	[ST_COUNTRY_ADD] =
	    "INSERT INTO petition_countries (petition_id, country, node,"
	    " confirmed) VALUES ($1, $2, $3, $4) ON CONFLICT (petition_id,"
	    " country, node) DO UPDATE SET confirmed ="
	    " petition_countries.confirmed + excluded.confirmed",
	/* What invalidation $3 took off each country: the signatures it
	 * marked that had been confirmed (state was pending or confirmed;
	 * only a confirmation sets confirmed_at). */
	[ST_COUNTRY_INVALIDATED] =
	    "SELECT country, COUNT(*) FROM signatures WHERE invalidation_id = $1"
	    " AND confirmed_at IS NOT NULL GROUP BY country",
	[ST_TOKEN_GET] = "SELECT purpose, subject, COALESCE(expires_at, 0),"
			 " COALESCE(used_at, 0) FROM tokens WHERE hash = $1",
	[ST_TOKEN_USE] =
	    "UPDATE tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL",
	[ST_SIG_CONFIRM] =
	    "UPDATE signatures SET state = 'confirmed', confirmed_at = $1"
	    " WHERE id = $2 AND state = 'pending' RETURNING petition_id, seq,"
	    " country",
	[ST_TOKEN_INFO] =
	    "SELECT t.subject, t.purpose, COALESCE(t.expires_at, 0),"
	    " COALESCE(t.used_at, 0), p.slug, p.title, s.lang, s.state, p.lang,"
	    " s.updates FROM tokens t JOIN signatures s ON s.id = t.subject"
	    " JOIN petitions p ON p.id = s.petition_id WHERE t.hash = $1",
	[ST_UNSUBSCRIBE] =
	    "UPDATE signatures SET updates = FALSE WHERE id = (SELECT subject"
	    " FROM tokens WHERE hash = $1 AND purpose = 'unsubscribe')",
	[ST_OUTBOX_INSERT] =
	    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
	    " created_at, updated_at) VALUES ($1, $2, $3, 'queued', $4, $4, $4)",
	/* $1: messages left 'sending' before then went with a dead node. */
	[ST_OUTBOX_RECOVER] =
	    "UPDATE outbox SET state = 'queued' WHERE state = 'sending'"
	    " AND (updated_at < $1 OR claimed_by = $2)",
	/* One statement: the rows are marked and returned together, and rows
	 * another node has locked are skipped, not waited for. $3: a message
	 * 'sending' since before then is claimed again. Each kind of due row
	 * is read in the order of outbox_due and only as many as asked: with
	 * the two conditions OR'ed in one WHERE, the
	 * planner read and sorted every due row (45 ms with 50,000 queued,
	 * against 4 ms), so that mail that fell behind fell further behind.
	 * The rows a branch locks and the outer LIMIT leaves are free again
	 * at the statement's end. SQLite has its own text. */
	[ST_OUTBOX_CLAIM] =
	    "WITH lapsed AS (SELECT id, next_at FROM outbox"
	    " WHERE state = 'sending' AND updated_at < $3"
	    " ORDER BY next_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
	    " due AS (SELECT id, next_at FROM outbox"
	    " WHERE state = 'queued' AND next_at <= $1"
	    " ORDER BY next_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
	    " pick AS (SELECT id FROM (SELECT id, next_at FROM lapsed"
	    " UNION ALL SELECT id, next_at FROM due) AS u"
	    " ORDER BY next_at, id LIMIT $2)"
	    " UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
	    " updated_at = $1, claimed_by = $4 WHERE id IN (SELECT id FROM pick)"
	    " RETURNING " OUTBOX_COLS ", sealed",
	[ST_OUTBOX_SENT] =
	    "UPDATE outbox SET state = 'sent', sealed = NULL, sent_at = $1,"
	    " updated_at = $1, last_error = '' WHERE id = $2",
	[ST_OUTBOX_RESCHEDULE] =
	    "UPDATE outbox SET state = $1, next_at = $2, last_error = $3,"
	    " updated_at = $4 WHERE id = $5",
	[ST_OUTBOX_LIST] =
	    "SELECT " OUTBOX_COLS ", COALESCE(sent_at, 0), last_error"
	    " FROM outbox ORDER BY id DESC LIMIT 500",
	[ST_OUTBOX_RETRY_ONE] =
	    "UPDATE outbox SET state = 'queued', attempts = 0, next_at = $1,"
	    " updated_at = $1 WHERE id = $2 AND state = 'dead'",
	[ST_OUTBOX_RETRY_ALL] =
	    "UPDATE outbox SET state = 'queued', attempts = 0, next_at = $1,"
	    " updated_at = $1 WHERE state = 'dead'",
	[ST_TREND_NET] =
	    "SELECT net, COUNT(*) FROM signatures WHERE petition_id = $1"
	    " AND created_at >= $2 AND state <> 'invalid' GROUP BY net"
	    " ORDER BY 2 DESC, 1 LIMIT 100",
	[ST_TREND_DOMAIN] =
	    "SELECT domain, COUNT(*) FROM signatures WHERE petition_id = $1"
	    " AND created_at >= $2 AND state <> 'invalid' GROUP BY domain"
	    " ORDER BY 2 DESC, 1 LIMIT 100",
	[ST_INV_RECORD] =
	    "INSERT INTO invalidations (petition_id, reason, criteria, note,"
	    " removed, actor, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6)"
	    " RETURNING id",
	[ST_INV_REMOVED] = "UPDATE invalidations SET removed = $1 WHERE id = $2",
	/* What the public page lists: the eight largest reasons. */
	[ST_REMOVALS] =
	    "SELECT reason, SUM(removed) FROM invalidations WHERE petition_id = $1"
	    " GROUP BY reason HAVING SUM(removed) > 0 ORDER BY 2 DESC, 1"
	    " LIMIT 8",
	[ST_AUDIT] = "INSERT INTO audit_log (at, actor, action, subject, detail)"
		     " VALUES ($1, $2, $3, $4, $5)",
	[ST_AUDIT_LIST] =
	    "SELECT at, actor, action, subject, detail FROM audit_log"
	    " ORDER BY id DESC LIMIT 200",
	[ST_USER_INSERT] =
	    "INSERT INTO users (email_hash, email_sealed, password, role,"
	    " verified_at, created_at, name, lang)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
	[ST_USER_BY_EMAIL] =
	    "SELECT " USER_COLS " FROM users u WHERE u.email_hash = $1",
	[ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = $1",
	[ST_USER_VERIFY] =
	    "UPDATE users SET verified_at = COALESCE(verified_at, $2)"
	    " WHERE id = $1",
	[ST_USER_PASSWORD] =
	    "UPDATE users SET password = $2, failed = 0, locked_until = 0"
	    " WHERE id = $1",
	[ST_USER_SESSIONS_END] = "DELETE FROM sessions WHERE user_id = $1",
	[ST_USER_TOKEN_INSERT] =
	    "INSERT INTO user_tokens (hash, purpose, user_id, created_at,"
	    " expires_at) VALUES ($1, $2, $3, $4, $5)",
	/* $3 now: a link is good while unused and expires_at is ahead. */
	[ST_USER_TOKEN_PEEK] =
	    "SELECT user_id FROM user_tokens WHERE hash = $1 AND purpose = $2"
	    " AND used_at IS NULL AND expires_at > $3",
	/* Checked and consumed in one statement: of two presenting the same
	 * link at once, the second finds used_at set and gets no row. */
	[ST_USER_TOKEN_CONSUME] =
	    "UPDATE user_tokens SET used_at = $3 WHERE hash = $1"
	    " AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
	    " RETURNING user_id",
	[ST_SESSION_INSERT] =
	    "INSERT INTO sessions (hash, user_id, created_at, expires_at)"
	    " VALUES ($1, $2, $3, $4)",
	[ST_SESSION_USER] =
	    "SELECT " USER_COLS " FROM sessions s JOIN users u"
	    " ON u.id = s.user_id WHERE s.hash = $1 AND s.expires_at > $2",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = $1",
	[ST_UPDATE_INSERT] =
	    "INSERT INTO updates (petition_id, kind, author, title, body_md,"
	    " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	[ST_UPDATE_LIST] =
	    "SELECT " UPDATE_COLS " FROM updates WHERE petition_id = $1"
	    " ORDER BY created_at DESC, id DESC",
	[ST_UPDATE_MAIL_NEXT] =
	    "SELECT " UPDATE_COLS " FROM updates WHERE mail_done = FALSE"
	    " ORDER BY id LIMIT 1",
	/* Written so that the partial index signatures_updates serves it. */
	[ST_UPDATE_RECIPIENTS] =
	    "SELECT id, pii, lang FROM signatures WHERE petition_id = $1"
	    " AND updates = TRUE AND state = 'confirmed' AND id > $2"
	    " AND created_at <= $3 ORDER BY id LIMIT $4",
	/* Advances the cursor only from where this batch started ($2): a node
	 * that queued the same batch first has moved it, and this one changes
	 * no row. */
	[ST_UPDATE_CURSOR] =
	    "UPDATE updates SET mail_cursor = $3, mail_done = $4,"
	    " mailed = mailed + $5 WHERE id = $1 AND mail_cursor = $2",
	[ST_STATS_STATES] =
	    "SELECT state, COUNT(*) FROM signatures WHERE petition_id = $1"
	    " GROUP BY state",
	[ST_STATS_DAYS] =
	    "SELECT created_at / 86400 * 86400, COUNT(*) FROM signatures"
	    " WHERE petition_id = $1 AND state IN ('pending', 'confirmed')"
	    " GROUP BY 1 ORDER BY 1",
	/* From the counter rows ('--' is no country); codes in byte order,
	 * whatever the database's collation. */
	[ST_STATS_COUNTRIES] =
	    "SELECT NULLIF(country, '--'), SUM(confirmed) FROM petition_countries"
	    " WHERE petition_id = $1 GROUP BY country HAVING SUM(confirmed) > 0"
	    " ORDER BY 2 DESC, country COLLATE \"C\"",
	[ST_SIGNERS_PUBLIC] =
	    "SELECT seq, pii, country, created_at FROM signatures"
	    " WHERE petition_id = $1 AND state = 'confirmed'"
	    " AND public_name = TRUE AND seq > $2 ORDER BY seq LIMIT $3",
	/* mail: addresses refused for good (hard bounces) */
	[ST_SUPPRESS_ADD] =
	    "INSERT INTO mail_suppressions (email_hash, reason, created_at)"
	    " VALUES ($1, $2, $3) ON CONFLICT (email_hash) DO NOTHING",
	[ST_SUPPRESS_HAS] =
	    "SELECT 1 FROM mail_suppressions WHERE email_hash = $1",
	[ST_SUPPRESS_LIST] =
	    "SELECT email_hash, reason, created_at FROM mail_suppressions"
	    " ORDER BY created_at DESC, email_hash LIMIT 1000",
	[ST_SUPPRESS_DELETE] =
	    "DELETE FROM mail_suppressions WHERE email_hash = $1",
	/* The verifiable log (docs/transparency.md). A petition's row in
	 * log_trees is made by its first append; locking it orders the
	 * appends of every process (SQLite: the write lock does). */
	[ST_LOG_TREE_INIT] =
	    "INSERT INTO log_trees (petition_id, size, root) VALUES ($1, 0, $2)"
	    " ON CONFLICT (petition_id) DO NOTHING",
	[ST_LOG_TREE_LOCK] =
	    "SELECT size FROM log_trees WHERE petition_id = $1 FOR UPDATE",
	[ST_LOG_TREE_SET] =
	    "UPDATE log_trees SET size = $2, root = $3 WHERE petition_id = $1",
	[ST_LOG_TREE_GET] =
	    "SELECT size, root, sth_size, sth_timestamp, sth_root,"
	    " sth_signature FROM log_trees WHERE petition_id = $1",
	[ST_LOG_LEAF_INSERT] =
	    "INSERT INTO log_leaves (petition_id, idx, leaf_input, leaf_hash,"
	    " seq) VALUES ($1, $2, $3, $4, $5)",
	/* LOG_LEAF_ROWS leaves at once: a batch's leaves in a few statements
	 * (log_leaves_insert()). */
	[ST_LOG_LEAF_INSERT_ROWS] =
	    "INSERT INTO log_leaves (petition_id, idx, leaf_input, leaf_hash,"
	    " seq) VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10),"
	    " ($11, $12, $13, $14, $15), ($16, $17, $18, $19, $20),"
	    " ($21, $22, $23, $24, $25), ($26, $27, $28, $29, $30),"
	    " ($31, $32, $33, $34, $35), ($36, $37, $38, $39, $40),"
	    " ($41, $42, $43, $44, $45), ($46, $47, $48, $49, $50),"
	    " ($51, $52, $53, $54, $55), ($56, $57, $58, $59, $60),"
	    " ($61, $62, $63, $64, $65), ($66, $67, $68, $69, $70),"
	    " ($71, $72, $73, $74, $75), ($76, $77, $78, $79, $80)",
	/* The hashes of $3 nodes in one statement (a whole proof, root or
	 * frontier): $2 lists them as LOG_NODE_KEY-character keys, each the
	 * level in 2 decimal digits and the index in 20, so that one text
	 * parameter carries any list in both dialects. A row per key found
	 * (its position i from 0, in any order). Level 0 is the leaves' hash
	 * column. */
	[ST_LOG_NODES] =
	    "WITH RECURSIVE k (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k"
	    " WHERE i + 1 < $3), v (i, level, idx) AS (SELECT i,"
	    " CAST(substr(CAST($2 AS TEXT), 22 * i + 1, 2) AS INTEGER),"
	    " CAST(substr(CAST($2 AS TEXT), 22 * i + 3, 20) AS BIGINT) FROM k)"
	    " SELECT v.i, n.hash FROM v JOIN log_nodes n ON n.petition_id = $1"
	    " AND n.level = v.level AND n.idx = v.idx"
	    " UNION ALL SELECT v.i, l.leaf_hash FROM v JOIN log_leaves l"
	    " ON l.petition_id = $1 AND l.idx = v.idx WHERE v.level = 0",
	[ST_LOG_NODE_PUT] =
	    "INSERT INTO log_nodes (petition_id, level, idx, hash)"
	    " VALUES ($1, $2, $3, $4)",
	/* The count and the log size in one statement: one snapshot, and
	 * both change in the same transactions. */
	[ST_LOG_COUNT] =
	    "SELECT (SELECT COALESCE(SUM(confirmed), 0) FROM petition_counts"
	    " WHERE petition_id = $1), COALESCE((SELECT size FROM log_trees"
	    " WHERE petition_id = $1), 0)",
	/* The signature leaves an invalidation removes, in log order. */
	[ST_LOG_REMOVED] = "SELECT l.idx FROM signatures s JOIN log_leaves l"
			   " ON l.petition_id = s.petition_id AND l.seq = s.seq"
			   " WHERE s.invalidation_id = $1 ORDER BY l.idx",
	[ST_LOG_UNSIGNED] =
	    "SELECT petition_id, size, root FROM log_trees"
	    " WHERE sth_size < size ORDER BY petition_id LIMIT $1",
	/* A head only ever replaces a smaller one: two nodes signing at once
	 * cannot make the published tree shrink. */
	[ST_LOG_STH_SET] =
	    "UPDATE log_trees SET sth_size = $2, sth_timestamp = $3,"
	    " sth_root = $4, sth_signature = $5 WHERE petition_id = $1"
	    " AND sth_size < $2",
	[ST_LOG_ENTRIES] =
	    "SELECT leaf_input FROM log_leaves WHERE petition_id = $1"
	    " AND idx >= $2 AND idx <= $3 ORDER BY idx",
	/* $4 is the first 8 bytes of the hash $2: log_hashes indexes only
	 * those, and only the leaves below log_trees.hashed; at most $5 of
	 * the leaves after it (about a second of signing, or a catch-up's
	 * backlog) are scanned (migration 0025). The second column is how
	 * many of the tree's leaves are not indexed. */
	[ST_LOG_FIND] =
	    "SELECT COALESCE(MIN(idx), -1), (SELECT $3 - hashed FROM log_trees"
	    " WHERE petition_id = $1) FROM (SELECT h.idx FROM log_hashes h"
	    " JOIN log_leaves l ON l.petition_id = h.petition_id"
	    " AND l.idx = h.idx WHERE h.petition_id = $1 AND h.hash_prefix = $4"
	    " AND h.idx < $3 AND l.leaf_hash = $2 UNION ALL SELECT idx"
	    " FROM log_leaves WHERE petition_id = $1 AND idx >= (SELECT hashed"
	    " FROM log_trees WHERE petition_id = $1) AND idx < $3 AND idx <"
	    " (SELECT hashed FROM log_trees WHERE petition_id = $1) + $5"
	    " AND leaf_hash = $2) AS f",
	/* The hash index's catching up (store_log_hash()): the logs with
	 * leaves after their watermark, then one of them locked, then its
	 * leaves [$2, $3) added. */
	[ST_LOG_UNHASHED] =
	    "SELECT petition_id FROM log_trees WHERE hashed < size"
	    " ORDER BY petition_id LIMIT $1",
	[ST_LOG_HASH_LOCK] =
	    "SELECT hashed, size FROM log_trees WHERE petition_id = $1"
	    " FOR UPDATE",
	[ST_LOG_HASH_ADD] =
	    "INSERT INTO log_hashes (petition_id, hash_prefix, idx)"
	    " SELECT petition_id, substr(leaf_hash, 1, 8), idx FROM log_leaves"
	    " WHERE petition_id = $1 AND idx >= $2 AND idx < $3"
	    " ON CONFLICT DO NOTHING",
	[ST_LOG_HASHED_SET] =
	    "UPDATE log_trees SET hashed = $2 WHERE petition_id = $1",
	/* Petitions signed before the log existed: counted signatures and
	 * no log yet. */
	[ST_LOG_MISSING] =
	    "SELECT p.id FROM petitions p WHERE NOT EXISTS (SELECT 1 FROM"
	    " log_trees t WHERE t.petition_id = p.id) AND EXISTS (SELECT 1"
	    " FROM signatures s WHERE s.petition_id = p.id"
	    " AND s.confirmed_at IS NOT NULL) ORDER BY p.id",
	[ST_LOG_COUNTED] =
	    "SELECT seq, country, confirmed_at FROM signatures"
	    " WHERE petition_id = $1 AND confirmed_at IS NOT NULL AND seq > $2"
	    " ORDER BY seq LIMIT $3",
	[ST_LOG_INVALID] =
	    "SELECT l.idx, s.invalid_reason, COALESCE(i.created_at, 0)"
	    " FROM signatures s JOIN log_leaves l ON l.petition_id ="
	    " s.petition_id AND l.seq = s.seq LEFT JOIN invalidations i"
	    " ON i.id = s.invalidation_id WHERE s.petition_id = $1"
	    " AND s.state = 'invalid' AND l.idx > $2 ORDER BY l.idx LIMIT $3",
	/* privacy: retention (docs/privacy.md). A petition that stopped
	 * taking signatures moved there at updated_at (nothing else changes
	 * it then); it is due once that is before $1 and it was not erased
	 * since. */
	[ST_RETAIN_DUE] =
	    "SELECT id FROM petitions WHERE state IN ('closed', 'victory',"
	    " 'hidden') AND updated_at <= $1"
	    " AND COALESCE(purged_at, 0) < updated_at ORDER BY id LIMIT 100",
	/* What is left of a signature: its number, state, country, language
	 * and times. The email hash would still tell whether an address
	 * signed: a random one keeps the row unique. */
	[ST_RETAIN_SIGNATURES] =
	    "UPDATE signatures SET pii = NULL, comment = '', net = '',"
	    " domain = '', public_name = FALSE, updates = FALSE,"
	    " email_hash = randomblob(32) WHERE id IN (SELECT id FROM"
	    " signatures WHERE petition_id = $1 AND pii IS NOT NULL"
	    " ORDER BY id LIMIT $2)",
	[ST_RETAIN_TOKENS] =
	    "DELETE FROM tokens WHERE purpose IN ('confirm', 'unsubscribe')"
	    " AND subject IN (SELECT id FROM signatures WHERE petition_id = $1)",
	[ST_RETAIN_MARK] = "UPDATE petitions SET purged_at = $2 WHERE id = $1",
	/* Sent mail keeps no body already; a dead one does until now. */
	[ST_RETAIN_OUTBOX] = "DELETE FROM outbox WHERE state IN ('sent', 'dead')"
			     " AND updated_at < $1",
	[ST_CHECKPOINT] = "",
	[ST_WAL_CHECKPOINT] = "",
	/* privacy: a signer withdraws with the secret of their confirmation
	 * mail. The mark moves only from the state read ($2): of two
	 * withdrawals at once, the second changes nothing. */
	[ST_WITHDRAW_FIND] =
	    "SELECT s.id, s.petition_id, s.seq, s.state, s.country FROM tokens t"
	    " JOIN signatures s ON s.id = t.subject WHERE t.hash = $1"
	    " AND t.purpose = 'confirm'",
	[ST_WITHDRAW_MARK] =
	    "UPDATE signatures SET state = 'invalid', invalid_reason ="
	    " 'withdrawn', pii = NULL, comment = '', net = '', domain = '',"
	    " public_name = FALSE, updates = FALSE, email_hash = $3"
	    " WHERE id = $1 AND state = $2",
	[ST_WITHDRAW_LEAF] = "SELECT idx FROM log_leaves WHERE petition_id = $1"
			     " AND seq = $2",
	[ST_WITHDRAW_TOKENS] = "DELETE FROM tokens WHERE subject = $1"
			       " AND purpose IN ('confirm', 'unsubscribe')",
	/* Search (find): PostgreSQL's texts; SQLite has its FTS5 table
	 * (store_sqlite.c). The document is three tsvector literals made by
	 * search_pg_tsvector() with weights A (title), B (addressees) and C
	 * (text); || numbers each one's positions on after the last. The
	 * results check the state, so a petition hidden before its document
	 * is removed never shows. */
	[ST_SEARCH_INDEX] =
	    "UPDATE petitions SET search = CAST($2 AS tsvector) ||"
	    " CAST($3 AS tsvector) || CAST($4 AS tsvector) WHERE id = $1",
	[ST_SEARCH_UNINDEX] = "UPDATE petitions SET search = '' WHERE id = $1",
	[ST_SEARCH] =
	    "SELECT " PETITION_COLS " FROM petitions p, CAST($1 AS tsquery) q"
	    " WHERE p.search @@ q AND p.state IN ('open', 'closed', 'victory')"
	    " ORDER BY ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', p.search, q) DESC,"
	    " p.id DESC LIMIT $2 OFFSET $3",
	[ST_SEARCH_COUNT] =
	    "SELECT COUNT(*) FROM petitions p WHERE p.search @@"
	    " CAST($1 AS tsquery) AND p.state IN ('open', 'closed', 'victory')",
	[ST_SEARCH_PUBLIC_IDS] =
	    "SELECT id FROM petitions WHERE state IN ('open', 'closed',"
	    " 'victory') ORDER BY id",
	/* Delivery. */
	[ST_DELIVER_SIGNERS] =
	    "SELECT seq, pii, country, created_at, comment FROM signatures"
	    " WHERE petition_id = $1 AND state = 'confirmed'"
	    " AND public_name = TRUE AND seq > $2 ORDER BY seq LIMIT $3",
	[ST_DELIVER_SIGNERS_COUNT] =
	    "SELECT COUNT(*) FROM signatures WHERE petition_id = $1"
	    " AND state = 'confirmed' AND public_name = TRUE",
	[ST_ADDRESSEE_EMAILS] = "SELECT pos, name, email_sealed FROM addressees"
				" WHERE petition_id = $1 ORDER BY pos",
	[ST_ADDRESSEE_EMAIL_SET] = "UPDATE addressees SET email_sealed = $3"
				   " WHERE petition_id = $1 AND pos = $2",
	[ST_DELIVERY_INSERT] =
	    "INSERT INTO deliveries (petition_id, pos, name, token_hash, count,"
	    " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
	    " ON CONFLICT (petition_id, pos) DO NOTHING",
	[ST_PETITION_DELIVERED] = "UPDATE petitions SET delivered_at ="
				  " COALESCE(delivered_at, $2) WHERE id = $1",
	[ST_DELIVERY_BY_TOKEN] =
	    "SELECT " DELIVERY_COLS " FROM deliveries WHERE token_hash = $1",
	[ST_DELIVERY_LIST] = "SELECT " DELIVERY_COLS " FROM deliveries"
			     " WHERE petition_id = $1 ORDER BY pos",
	[ST_RESPONSE_INSERT] =
	    "INSERT INTO responses (delivery_id, petition_id, author, body_md,"
	    " state, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)"
	    " RETURNING id",
	[ST_RESPONSE_PENDING] =
	    "SELECT " RESPONSE_COLS " WHERE r.petition_id = $1 AND r.state ="
	    " 'pending' ORDER BY r.id",
	[ST_RESPONSE_GET] =
	    "SELECT " RESPONSE_COLS " WHERE r.id = $1 AND r.state = 'pending'",
	[ST_RESPONSE_DECIDE] =
	    "UPDATE responses SET state = $2, decided_at = $3, update_id = $4"
	    " WHERE id = $1 AND state = 'pending'",
	[ST_MILESTONES] =
	    "SELECT id, goal, goal_mailed, COALESCE(owner_id, 0),"
	    " COALESCE(delivered_at, 0) FROM petitions WHERE state = 'open'"
	    " ORDER BY id",
	[ST_GOAL_MAILED] = "UPDATE petitions SET goal_mailed = $3"
			   " WHERE id = $1 AND goal_mailed = $2",
	[ST_END_MAILED] = "UPDATE petitions SET end_mailed = $2"
			  " WHERE id = $1 AND end_mailed <> $2",
	[ST_END_DUE] =
	    "SELECT id, state FROM petitions WHERE state IN ('closed',"
	    " 'victory') AND end_mailed <> state ORDER BY id LIMIT 100",
	/* integrity */
	[ST_USER_RESET_TOKENS_END] = "DELETE FROM user_tokens WHERE user_id = $1"
				     " AND purpose IN ('reset', 'signin')",
	[ST_SIG_PETITION_OPEN] =
	    "SELECT 1 FROM signatures s JOIN petitions p ON p.id = s.petition_id"
	    " WHERE s.id = $1 AND p.state = 'open'"
	    " AND (p.closes_at IS NULL OR p.closes_at > $2)",
	/* spread: the petition image. Each upload advances the version. */
	[ST_IMAGE_UPSERT] =
	    "INSERT INTO petition_images (petition_id, alt, width, height,"
	    " version) VALUES ($1, $2, $3, $4, 1) ON CONFLICT (petition_id)"
	    " DO UPDATE SET alt = $2, width = $3, height = $4,"
	    " version = petition_images.version + 1",
	[ST_IMAGE_FILES_DELETE] =
	    "DELETE FROM petition_image_files WHERE petition_id = $1",
	[ST_IMAGE_FILE_INSERT] =
	    "INSERT INTO petition_image_files (petition_id, name, mime, width,"
	    " height, data) VALUES ($1, $2, $3, $4, $5, $6)",
	[ST_IMAGE_GET] =
	    "SELECT alt, width, height, version FROM petition_images"
	    " WHERE petition_id = $1",
	[ST_IMAGE_FILES] =
	    "SELECT name, mime, width, height FROM petition_image_files"
	    " WHERE petition_id = $1 ORDER BY width, name",
	[ST_IMAGE_FILE] =
	    "SELECT name, mime, width, height, data FROM petition_image_files"
	    " WHERE petition_id = $1 AND name = $2",
	/* The listings' catalogue (catalog.c): every public petition and
	 * its addressees, and a cheap sign that any petition changed. */
	[ST_PUBLIC_LIST] =
	    "SELECT " PETITION_COLS " FROM petitions p"
	    " WHERE p.state IN ('open', 'closed', 'victory') ORDER BY p.id",
	[ST_PUBLIC_ADDRESSEES] =
	    "SELECT a.petition_id, a.name, a.description FROM addressees a"
	    " JOIN petitions p ON p.id = a.petition_id"
	    " WHERE p.state IN ('open', 'closed', 'victory')"
	    " ORDER BY a.petition_id, a.pos",
	[ST_PUBLIC_VERSION] =
	    "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(updated_at), 0),"
	    " COALESCE(SUM(delivered_at), 0)"
	    " + (SELECT COALESCE(MAX(id), 0) FROM updates)"
	    " FROM petitions",
	/* social: drafts kept once, deleted by their starter. */
	[ST_DRAFT_SAME] =
	    "SELECT id, slug, state FROM petitions WHERE owner_id = $1"
	    " AND state IN ('draft', 'pending') AND title = $2"
	    " AND body_md = $3"
	    " ORDER BY id DESC LIMIT 1",
	[ST_DRAFT_DELETE_TRANSITIONS] =
	    "DELETE FROM transitions WHERE petition_id = $1 AND EXISTS"
	    " (SELECT 1 FROM petitions WHERE id = $1 AND owner_id = $2"
	    " AND state = 'draft')",
	[ST_DRAFT_DELETE] = "DELETE FROM petitions WHERE id = $1"
			    " AND owner_id = $2 AND state = 'draft'",
	/* find: delivered, open or closed, and no response published (an
	 * update of kind response: approved, or posted by the starter). */
	[ST_PUBLIC_WAITING] =
	    "SELECT p.id, p.delivered_at FROM petitions p"
	    " WHERE p.delivered_at IS NOT NULL AND p.state IN ('open', 'closed')"
	    " AND NOT EXISTS (SELECT 1 FROM updates u WHERE u.petition_id = p.id"
	    " AND u.kind = 'response') ORDER BY p.id",
	/* social proof (docs/social.md): the newest confirmed signers who
	 * agreed to show their name; the comments their signers agreed to
	 * show (the name only with that consent too), newest and most
	 * liked, hidden ones left out but for the dashboard. */
	[ST_SOCIAL_RECENT] =
	    "SELECT pii, country FROM signatures WHERE petition_id = $1"
	    " AND state = 'confirmed' AND public_name = TRUE"
	    " AND pii IS NOT NULL ORDER BY confirmed_at DESC, seq DESC"
	    " LIMIT $2",
	[ST_SOCIAL_COMMENTS_NEW] =
	    "SELECT id, CASE WHEN public_name = TRUE THEN pii END, country,"
	    " comment, likes, confirmed_at, comment_hidden_at, comment_hidden_by"
	    " FROM signatures WHERE petition_id = $1 AND state = 'confirmed'"
	    " AND public_comment = TRUE AND comment <> ''"
	    " AND comment_hidden_at IS NULL"
	    " ORDER BY confirmed_at DESC, id DESC LIMIT $2",
	[ST_SOCIAL_COMMENTS_TOP] =
	    "SELECT id, CASE WHEN public_name = TRUE THEN pii END, country,"
	    " comment, likes, confirmed_at, comment_hidden_at, comment_hidden_by"
	    " FROM signatures WHERE petition_id = $1 AND state = 'confirmed'"
	    " AND public_comment = TRUE AND comment <> ''"
	    " AND comment_hidden_at IS NULL AND likes > 0"
	    " ORDER BY likes DESC, confirmed_at DESC, id DESC LIMIT $2",
	[ST_SOCIAL_COMMENTS_ALL] =
	    "SELECT id, CASE WHEN public_name = TRUE THEN pii END, country,"
	    " comment, likes, confirmed_at, comment_hidden_at, comment_hidden_by"
	    " FROM signatures WHERE petition_id = $1 AND state = 'confirmed'"
	    " AND public_comment = TRUE AND comment <> ''"
	    " ORDER BY confirmed_at DESC, id DESC LIMIT $2 OFFSET $3",
	[ST_SOCIAL_COMMENTS_COUNT] =
	    "SELECT COUNT(*) FROM signatures WHERE petition_id = $1"
	    " AND state = 'confirmed' AND public_comment = TRUE"
	    " AND comment <> ''",
	[ST_SOCIAL_COMMENT_SHOWN] =
	    "SELECT likes FROM signatures WHERE id = $1 AND petition_id = $2"
	    " AND state = 'confirmed' AND public_comment = TRUE"
	    " AND comment <> '' AND comment_hidden_at IS NULL",
	[ST_SOCIAL_LIKE_INSERT] =
	    "INSERT INTO comment_likes (signature_id, liker, created_at)"
	    " VALUES ($1, $2, $3) ON CONFLICT (signature_id, liker) DO NOTHING",
	[ST_SOCIAL_LIKE_ADD] =
	    "UPDATE signatures SET likes = likes + 1 WHERE id = $1",
	[ST_SOCIAL_COMMENT_HIDE] =
	    "UPDATE signatures SET comment_hidden_at = $3,"
	    " comment_hidden_by = $4 WHERE id = $1 AND petition_id = $2"
	    " AND state = 'confirmed' AND public_comment = TRUE"
	    " AND comment <> '' AND comment_hidden_at IS NULL",
	[ST_SOCIAL_COMMENT_UNHIDE] =
	    "UPDATE signatures SET comment_hidden_at = NULL,"
	    " comment_hidden_by = NULL WHERE id = $1 AND petition_id = $2"
	    " AND comment_hidden_at IS NOT NULL",
	/* export: every counted signature; the sealed names only where the
	 * signer agreed to show their name, the comment only where they
	 * agreed to show it and no one hid it. */
	[ST_EXPORT_SIGNERS] =
	    "SELECT seq, CASE WHEN public_name = TRUE THEN pii END, country,"
	    " created_at, CASE WHEN public_comment = TRUE AND comment_hidden_at"
	    " IS NULL THEN comment ELSE '' END"
	    " FROM signatures WHERE petition_id = $1 AND state = 'confirmed'"
	    " AND seq > $2 ORDER BY seq LIMIT $3",
	/* guard: failed logins per address, known or not. */
	[ST_LOGIN_GUARD_GET] =
	    "SELECT locked_until FROM login_guard WHERE email_hash = $1",
	/* $2 now, $3 failures that lock, $4 lock seconds; the SET
	 * expressions see the old row. */
	[ST_LOGIN_GUARD_FAILED] =
	    "INSERT INTO login_guard (email_hash, failed, locked_until,"
	    " updated_at) VALUES ($1, 1, 0, $2) ON CONFLICT (email_hash) DO"
	    " UPDATE SET locked_until = CASE WHEN login_guard.failed + 1 >="
	    " CAST($3 AS INTEGER) THEN CAST($2 AS BIGINT) + CAST($4 AS BIGINT)"
	    " ELSE login_guard.locked_until END, failed = CASE WHEN"
	    " login_guard.failed + 1 >= CAST($3 AS INTEGER) THEN 0 ELSE"
	    " login_guard.failed + 1 END, updated_at = $2",
	/* $1: rows last failed and unlocked before this are forgotten. */
	[ST_LOGIN_GUARD_PRUNE] = "DELETE FROM login_guard WHERE updated_at < $1"
				 " AND locked_until < $1",
	/* A success starts the count again; a lock others' guesses caused
	 * stays until its time (the owner got in past it). */
	[ST_LOGIN_GUARD_CLEAR] =
	    "UPDATE login_guard SET failed = 0 WHERE email_hash = $1",
	[ST_LOGIN_GUARD_CLEAR_USER] =
	    "DELETE FROM login_guard WHERE email_hash ="
	    " (SELECT email_hash FROM users WHERE id = $1)",
	/* guard: the second factor */
	[ST_TOTP_GET] = "SELECT sealed, enabled_at, last_step, failed,"
			" locked_until FROM user_totp WHERE user_id = $1",
	/* A new secret only while none is enabled. */
	[ST_TOTP_BEGIN] =
	    "INSERT INTO user_totp (user_id, sealed, created_at) VALUES ($1,"
	    " $2, $3) ON CONFLICT (user_id) DO UPDATE SET sealed = $2,"
	    " created_at = $3, failed = 0 WHERE user_totp.enabled_at IS NULL",
	[ST_TOTP_ENABLE] =
	    "UPDATE user_totp SET enabled_at = $2, last_step = $3, failed = 0"
	    " WHERE user_id = $1 AND enabled_at IS NULL",
	/* A step is accepted once: of two presenting the same code, the
	 * second finds last_step moved. */
	[ST_TOTP_ACCEPT] = "UPDATE user_totp SET last_step = $2, failed = 0"
			   " WHERE user_id = $1 AND enabled_at IS NOT NULL"
			   " AND last_step < $2",
	/* $2 now, $3 failures that lock, $4 lock seconds. */
	[ST_TOTP_FAILED] =
	    "UPDATE user_totp SET locked_until = CASE WHEN failed + 1 >="
	    " CAST($3 AS INTEGER) THEN CAST($2 AS BIGINT) + CAST($4 AS BIGINT)"
	    " ELSE locked_until END, failed = CASE WHEN failed + 1 >="
	    " CAST($3 AS INTEGER) THEN 0 ELSE failed + 1 END WHERE user_id = $1",
	[ST_TOTP_DELETE] = "DELETE FROM user_totp WHERE user_id = $1",
	[ST_RECOVERY_CLEAR] = "DELETE FROM user_recovery WHERE user_id = $1",
	[ST_RECOVERY_INSERT] =
	    "INSERT INTO user_recovery (hash, user_id) VALUES ($1, $2)",
	[ST_SEALED_LIST_TOTP] = "SELECT user_id, 0, sealed, NULL FROM user_totp"
				" WHERE user_id > $1 ORDER BY user_id LIMIT $2",
	[ST_SEALED_SET_TOTP] = "UPDATE user_totp SET sealed = $2"
			       " WHERE user_id = $1 AND sealed = $3",
	[ST_RECOVERY_USE] = "UPDATE user_recovery SET used_at = $3"
			    " WHERE hash = $1 AND user_id = $2"
			    " AND used_at IS NULL",
	/* keys: the sealed columns walked in key order, a value replaced
	 * only where it is still the one read */
	[ST_SEALED_LIST_SIG] = "SELECT id, 0, pii, email_hash FROM signatures"
			       " WHERE id > $1 AND pii IS NOT NULL"
			       " ORDER BY id LIMIT $2",
	[ST_SEALED_LIST_OUTBOX] = "SELECT id, 0, sealed, NULL FROM outbox"
				  " WHERE id > $1 AND sealed IS NOT NULL"
				  " ORDER BY id LIMIT $2",
	[ST_SEALED_LIST_USERS] = "SELECT id, 0, email_sealed, email_hash"
				 " FROM users WHERE id > $1"
				 " ORDER BY id LIMIT $2",
	[ST_SEALED_LIST_ADDR] =
	    "SELECT petition_id, pos, email_sealed, NULL FROM addressees"
	    " WHERE email_sealed IS NOT NULL AND (petition_id > $1"
	    " OR (petition_id = $1 AND pos > $2))"
	    " ORDER BY petition_id, pos LIMIT $3",
	[ST_SEALED_SET_SIG] = "UPDATE signatures SET pii = $2"
			      " WHERE id = $1 AND pii = $3",
	[ST_SEALED_SET_OUTBOX] = "UPDATE outbox SET sealed = $2"
				 " WHERE id = $1 AND sealed = $3",
	[ST_SEALED_SET_USERS] = "UPDATE users SET email_sealed = $2"
				" WHERE id = $1 AND email_sealed = $3",
	[ST_SEALED_SET_ADDR] = "UPDATE addressees SET email_sealed = $3"
			       " WHERE petition_id = $1 AND pos = $2"
			       " AND email_sealed = $4",
	[ST_EMAIL_HASH_SET_SIG] = "UPDATE signatures SET email_hash = $2"
				  " WHERE id = $1 AND email_hash = $3",
	[ST_EMAIL_HASH_SET_USERS] = "UPDATE users SET email_hash = $2"
				    " WHERE id = $1 AND email_hash = $3",
	[ST_DATA_TASK_GET] = "SELECT done_at FROM data_tasks WHERE name = $1",
	[ST_MYDATA_LIST] =
	    "SELECT s.id, p.slug, p.title, s.state, s.comment, s.created_at,"
	    " s.pii FROM signatures s JOIN petitions p ON p.id = s.petition_id"
	    " WHERE s.email_hash = $1 AND s.state IN ('pending', 'confirmed')"
	    " AND s.pii IS NOT NULL ORDER BY s.created_at, s.id LIMIT $2",
	[ST_MYDATA_TOKEN] = "INSERT INTO tokens (hash, purpose, subject,"
			    " created_at, expires_at)"
			    " VALUES ($1, 'confirm', $2, $3, $4)",
	[ST_DATA_TASK_SET] = "INSERT INTO data_tasks (name, done_at)"
			     " VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
	/* report: notice and action (docs/report.md). */
	[ST_REPORT_INSERT] =
	    "INSERT INTO reports (petition_id, comment_id, reason, note,"
	    " email_sealed, lang, created_at) VALUES ($1, $2, $3, $4, $5, $6,"
	    " $7)",
	[ST_REPORT_COMMENT] =
	    "SELECT id FROM signatures WHERE id = $1 AND petition_id = $2"
	    " AND state = 'confirmed' AND comment <> ''"
	    " AND public_comment = TRUE AND comment_hidden_at IS NULL",
	[ST_REPORT_OPEN] =
	    "SELECT r.id, r.petition_id, r.comment_id, r.reason, r.note,"
	    " r.created_at, CASE WHEN r.email_sealed IS NULL THEN 0 ELSE 1"
	    " END, p.slug, p.title, p.state, COALESCE(s.comment, '')"
	    " FROM reports r JOIN petitions p ON p.id = r.petition_id"
	    " LEFT JOIN signatures s ON s.id = r.comment_id"
	    " AND s.petition_id = r.petition_id WHERE r.state = 'open'"
	    " ORDER BY r.petition_id, r.comment_id, r.id LIMIT $1",
	[ST_REPORT_TARGET] =
	    "SELECT id, email_sealed, lang, reason FROM reports"
	    " WHERE state = 'open' AND petition_id = $1 AND comment_id = $2"
	    " ORDER BY id",
	[ST_REPORT_RESOLVE] =
	    "UPDATE reports SET state = 'resolved', outcome = $2,"
	    " statement = $3, resolved_by = $4, resolved_at = $5,"
	    " email_sealed = NULL WHERE id = $1 AND state = 'open'",
	/* A reporter's address and note are kept --retain-days at most. */
	[ST_RETAIN_REPORTS] =
	    "UPDATE reports SET email_sealed = NULL, note = ''"
	    " WHERE created_at <= $1 AND (email_sealed IS NOT NULL"
	    " OR note <> '')",
	/* A hard bounce is remembered --retain-days: the keyed hash of an
	 * address is personal data too, and an address may come back. */
	[ST_RETAIN_SUPPRESSIONS] =
	    "DELETE FROM mail_suppressions WHERE created_at <= $1",
	/* holos rekey walks the reporters' sealed addresses too. */
	[ST_SEALED_LIST_REPORTS] =
	    "SELECT id, 0, email_sealed, NULL FROM reports WHERE id > $1"
	    " AND email_sealed IS NOT NULL ORDER BY id LIMIT $2",
	[ST_SEALED_SET_REPORTS] = "UPDATE reports SET email_sealed = $2"
				  " WHERE id = $1 AND email_sealed = $3",
	/* export: signatures on paper, apart from the online count */
	[ST_PAPER_INSERT] =
	    "INSERT INTO paper_batches (petition_id, count, day, place, note,"
	    " scan, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	    " RETURNING id",
	[ST_PAPER_LIST] =
	    "SELECT id, count, day, place, note, CASE WHEN EXISTS (SELECT 1"
	    " FROM paper_scans s WHERE s.batch_id = paper_batches.id) THEN scan"
	    " ELSE '' END, actor, created_at"
	    " FROM paper_batches WHERE petition_id = $1 AND removed_at IS NULL"
	    " ORDER BY day DESC, id DESC LIMIT $2",
	[ST_PAPER_REMOVE] =
	    "UPDATE paper_batches SET removed_at = $3, removed_reason = $4"
	    " WHERE id = $2 AND petition_id = $1 AND removed_at IS NULL",
	[ST_PAPER_COUNT] = "SELECT COALESCE(SUM(count), 0) FROM paper_batches"
			   " WHERE petition_id = $1 AND removed_at IS NULL",
	/* paper: a batch's scanned file */
	[ST_PAPER_SCAN_INSERT] =
	    "INSERT INTO paper_scans (batch_id, data) VALUES ($1, $2)",
	[ST_PAPER_SCAN_GET] =
	    "SELECT b.scan, s.data FROM paper_batches b"
	    " JOIN paper_scans s ON s.batch_id = b.id"
	    " WHERE b.petition_id = $1 AND b.id = $2 AND b.removed_at IS NULL",
	[ST_PAPER_SCAN_DELETE] = "DELETE FROM paper_scans WHERE batch_id = $1",
	[ST_RETAIN_PAPER_SCANS] =
	    "DELETE FROM paper_scans WHERE batch_id IN"
	    " (SELECT id FROM paper_batches WHERE petition_id = $1)",
};

struct store {
	const struct store_backend *be;
	const char *sql[ST__MAX]; /* store_sql[] in this backend's dialect */
	char *node;		  /* this node's counter rows */
	char *migrations_dir;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct store_conn *conn[STORE_POOL];
	bool busy[STORE_POOL];
	bool no_log; /* store_bench_no_log() */
	/* Writes of this process, one at a time and in the order they
	 * asked (see turn_take()), under lock. */
	bool turn_held;
	struct turn_waiter *turn_head, *turn_tail;
	pthread_cond_t turn; /* on CLOCK_MONOTONIC */
};

/* A thread waiting for the turn, on its own stack. */
struct turn_waiter {
	struct turn_waiter *next;
	bool granted;
};

/* An operation's connection and how it went so far. The first failure
 * sticks: later statements are skipped, and q_close() rolls back. */
struct q {
	struct store *s;
	struct store_conn *c;
	int slot;
	struct arena *a; /* where row_text() and row_blob() copy to */
	const char *what;
	enum store_status st;
	bool tx;	 /* a transaction is open */
	bool turn;	 /* holds the store's turn to write */
	int64_t since;	 /* mono_ms() when the operation began */
	int64_t changes; /* rows the last statement changed */
};

/* Fills one element from the current row. Returns 0, or -1 when the row
 * holds what no element can (an unknown state). */
typedef int (*row_reader)(struct q *, void *);

/* The index of name in names[n], or n when it is not there. */
static int
name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n && name != NULL; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return i;
	return n;
}

const char *
store_status_name(enum store_status st)
{
	/* In the order of enum store_status. */
	static const char *const names[STORE__MAX] = { "ok", "not_found",
		"duplicate", "unavailable", "error" };

	return (unsigned)st < STORE__MAX ? names[st] : "?";
}

static const char *const role_names[ROLE__MAX] = {
	[ROLE_STARTER] = "starter",
	[ROLE_MODERATOR] = "moderator",
	[ROLE_ADMIN] = "admin",
};

enum user_role
user_role_parse(const char *name)
{
	return (enum user_role)name_index(role_names, ROLE__MAX, name);
}

const char *
user_role_name(enum user_role r)
{
	return (unsigned)r < ROLE__MAX ? role_names[r] : "?";
}

static const char *const token_purposes[USER_TOKEN__MAX] = {
	[USER_TOKEN_VERIFY] = "verify",
	[USER_TOKEN_RESET] = "reset",
	[USER_TOKEN_SIGNIN] = "signin",
};

const char *
user_token_purpose_name(enum user_token_purpose p)
{
	return (unsigned)p < USER_TOKEN__MAX ? token_purposes[p] : "?";
}

static const char *const update_kinds[UPDATE__MAX] = {
	[UPDATE_NEWS] = "update",
	[UPDATE_RESPONSE] = "response",
};

enum update_kind
update_kind_parse(const char *name)
{
	return (enum update_kind)name_index(update_kinds, UPDATE__MAX, name);
}

const char *
update_kind_name(enum update_kind k)
{
	return (unsigned)k < UPDATE__MAX ? update_kinds[k] : "?";
}

static const char *const outbox_states[OUTBOX__MAX] = {
	[OUTBOX_QUEUED] = "queued",
	[OUTBOX_SENDING] = "sending",
	[OUTBOX_SENT] = "sent",
	[OUTBOX_DEAD] = "dead",
};

const char *
outbox_state_name(enum outbox_state st)
{
	return (unsigned)st < OUTBOX__MAX ? outbox_states[st] : "?";
}

/* ---- the pool ---- */

int
store_open(const char *dsn, const char *migrations_dir, const char *node,
    struct store **out)
{
	const struct store_backend *be = &store_sqlite_backend;
	pthread_condattr_t ca;
	struct store *s;
	int i;

	if (strncmp(dsn, "postgres://", 11) == 0 ||
	    strncmp(dsn, "postgresql://", 13) == 0)
		be = &store_pg_backend;
	else if (strncmp(dsn, "sqlite:", 7) == 0)
		dsn += 7;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->be = be;
	for (i = 0; i < ST__MAX; i++)
		s->sql[i] =
		    be->dialect[i] != NULL ? be->dialect[i] : store_sql[i];
	/* One SQLite file has one writer: its counter row is "local". */
	s->node = strdup(
	    be->shared && node != NULL && *node != '\0' ? node : "local");
	s->migrations_dir = strdup(migrations_dir);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->turn, &ca);
	pthread_condattr_destroy(&ca);
	if (s->node == NULL || s->migrations_dir == NULL)
		goto fail;
	for (i = 0; i < STORE_POOL; i++)
		if ((s->conn[i] = be->conn_open(dsn, s->sql)) == NULL)
			goto fail;
	log_info("store", "backend=%s op=open node=%s pool=%d", be->name,
	    s->node, STORE_POOL);
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void
store_bench_no_log(struct store *s)
{
	s->no_log = true;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < STORE_POOL; i++)
		if (s->conn[i] != NULL)
			s->be->conn_close(s->conn[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	pthread_cond_destroy(&s->turn);
	free(s->node);
	free(s->migrations_dir);
	free(s);
}

bool
store_shared(const struct store *s)
{
	return s->be->shared;
}

static void
pool_put(struct store *s, int slot)
{
	s->be->conn_release(s->conn[slot]);
	pthread_mutex_lock(&s->lock);
	s->busy[slot] = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

/* Takes a free connection (waiting for one) that is ready for use.
 * Returns STORE_OK, or STORE_UNAVAILABLE with nothing taken. */
static enum store_status
q_open(struct q *q, struct store *s, struct arena *a, const char *what)
{
	int i;

	memset(q, 0, sizeof(*q));
	q->since = mono_ms();
	q->s = s;
	q->a = a;
	q->what = what;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (i = 0; i < STORE_POOL && s->busy[i]; i++)
			;
		if (i < STORE_POOL)
			break;
		pthread_cond_wait(&s->freed, &s->lock);
	}
	s->busy[i] = true;
	pthread_mutex_unlock(&s->lock);
	if (s->be->conn_ready != NULL && s->be->conn_ready(s->conn[i]) == -1) {
		pool_put(s, i);
		return q->st = STORE_UNAVAILABLE;
	}
	q->c = s->conn[i];
	q->slot = i;
	return STORE_OK;
}

/* ---- statements ---- */

/* Records the operation's first failure, logging why when given (a
 * backend logs its own). Returns -1. */
static int
q_fail(struct q *q, enum store_status st, const char *why)
{
	if (q->st == STORE_OK && why != NULL)
		log_error("store", "backend=%s op=%s error=\"%s\"",
		    q->s->be->name, q->what, why);
	if (q->st == STORE_OK)
		q->st = st;
	return -1;
}

/* Moves to the next row: 1 a row is ready, 0 no more, -1 failed. */
static int
q_next(struct q *q)
{
	const struct store_backend *be = q->s->be;

	switch (be->step(q->c, q->what)) {
	case STEP_ROW: return 1;
	case STEP_DONE: q->changes = be->changes(q->c); return 0;
	case STEP_DUPLICATE: return q_fail(q, STORE_DUPLICATE, NULL);
	case STEP_UNAVAILABLE: return q_fail(q, STORE_UNAVAILABLE, NULL);
	default: return q_fail(q, STORE_ERROR, NULL);
	}
}

/* Runs statement id with its parameters, typed by sig: i int64_t, d int
 * (or bool), z int64_t with 0 for NULL, t text (NULL for NULL), h a hash
 * of STORE_HASH_BYTES, b a blob and its size_t length. Returns 1 when a
 * row is ready, 0 when done, -1 when it (or an earlier statement) failed. */
static int
q_vrun(struct q *q, enum stmt id, const char *sig, va_list ap)
{
	const struct store_backend *be = q->s->be;
	const void *p;
	int64_t v;

	if (q->st != STORE_OK)
		return -1;
	if (q->s->sql[id][0] == '\0') /* nothing to run in this dialect */
		return 0;
	if (be->prepare(q->c, id) == -1)
		return q_fail(q, STORE_ERROR, NULL);
	for (; *sig != '\0'; sig++) {
		switch (*sig) {
		case 'i': be->bind_int(q->c, va_arg(ap, int64_t)); break;
		case 'd': be->bind_int(q->c, va_arg(ap, int)); break;
		case 'z':
			if ((v = va_arg(ap, int64_t)) != 0)
				be->bind_int(q->c, v);
			else
				be->bind_text(q->c, NULL);
			break;
		case 't': be->bind_text(q->c, va_arg(ap, const char *)); break;
		case 'h':
			p = va_arg(ap, const unsigned char *);
			be->bind_blob(q->c, p, STORE_HASH_BYTES);
			break;
		case 'b':
			p = va_arg(ap, const void *);
			be->bind_blob(q->c, p, va_arg(ap, size_t));
			break;
		default: fatal("store", "bad signature \"%s\"", sig);
		}
	}
	return q_next(q);
}

static int
q_run(struct q *q, enum stmt id, const char *sig, ...)
{
	va_list ap;
	int r;

	va_start(ap, sig);
	r = q_vrun(q, id, sig, ap);
	va_end(ap);
	return r;
}

/* Runs an insert that returns the new row's id; 0 when it failed. */
static int64_t
q_id(struct q *q, enum stmt id, const char *sig, ...)
{
	va_list ap;
	int r;

	va_start(ap, sig);
	r = q_vrun(q, id, sig, ap);
	va_end(ap);
	if (r == 0)
		q_fail(q, STORE_ERROR, "no id returned");
	return r == 1 ? q->s->be->col_int(q->c, 0) : 0;
}

/* The turn to write. On a database only this process writes (SQLite),
 * the threads that write queue here first, each served in the order it
 * came. Left to SQLite, a thread that finds the write lock taken sleeps
 * for 1, 2, 5 … up to 100 ms between tries, and the signature writer,
 * which begins its next batch the moment it commits the last, kept the
 * mail senders waiting for seconds (and they it, for a sleep). A thread
 * waits TURN_WAIT_MS at most from when its operation began (for a
 * connection of the pool, the turn and SQLite's lock together: the
 * backend counts its busy timeout from the same moment), and then fails
 * as unavailable, as it did when busy. Several nodes
 * (PostgreSQL) lock rows, not the database: no turn. */
#define TURN_WAIT_MS 5000

static void
turn_take(struct q *q)
{
	struct store *s = q->s;
	struct turn_waiter me = { NULL, false };
	struct timespec until = mono_at(q->since + TURN_WAIT_MS);

	if (s->be->shared || q->turn || q->st != STORE_OK)
		return;
	pthread_mutex_lock(&s->lock);
	if (!s->turn_held && s->turn_head == NULL) {
		s->turn_held = true;
		me.granted = true;
	} else {
		if (s->turn_tail != NULL)
			s->turn_tail->next = &me;
		else
			s->turn_head = &me;
		s->turn_tail = &me;
		while (!me.granted &&
		    pthread_cond_timedwait(&s->turn, &s->lock, &until) == 0)
			;
		if (!me.granted) { /* out of the queue: nobody hands it on */
			struct turn_waiter **pp = &s->turn_head, *prev = NULL;

			while (*pp != &me) {
				prev = *pp;
				pp = &(*pp)->next;
			}
			*pp = me.next;
			if (s->turn_tail == &me)
				s->turn_tail = prev;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!me.granted) {
		q_fail(q, STORE_UNAVAILABLE, "no turn to write in time (busy)");
		return;
	}
	q->turn = true;
	if (s->be->conn_wait_since != NULL)
		s->be->conn_wait_since(q->c, q->since);
}

/* Hands the turn to the first waiting, if any. */
static void
turn_give(struct q *q)
{
	struct store *s = q->s;
	struct turn_waiter *w;

	if (!q->turn)
		return;
	if (s->be->conn_wait_since != NULL)
		s->be->conn_wait_since(q->c, 0);
	pthread_mutex_lock(&s->lock);
	if ((w = s->turn_head) != NULL) {
		s->turn_head = w->next;
		if (s->turn_head == NULL)
			s->turn_tail = NULL;
		w->granted = true;
		pthread_cond_broadcast(&s->turn);
	} else {
		s->turn_held = false;
	}
	pthread_mutex_unlock(&s->lock);
	q->turn = false;
}

static void
q_begin(struct q *q, enum stmt id)
{
	if (id == ST_BEGIN)
		turn_take(q);
	if (q_run(q, id, "") == 0 && q->s->sql[id][0] != '\0')
		q->tx = true;
}

static void
q_commit(struct q *q)
{
	if (q->tx && q_run(q, ST_COMMIT, "") == 0) {
		q->tx = false;
		turn_give(q);
	}
}

/* Gives the connection back, rolling back what is still open (a failure,
 * or a read). Returns the operation's status. */
static enum store_status
q_close(struct q *q)
{
	enum store_status st = q->st;

	if (q->c == NULL)
		return st;
	if (q->tx) {
		q->st = STORE_OK;
		(void)q_run(q, ST_ROLLBACK, "");
		q->st = st;
	}
	turn_give(q);
	pool_put(q->s, q->slot);
	q->c = NULL;
	return st;
}

/* ---- rows ---- */

static int64_t
row_int(struct q *q, int col)
{
	return q->s->be->col_int(q->c, col);
}

/* Column col as text valid until the next step; "" for NULL. */
static const char *
row_str(struct q *q, int col)
{
	size_t len;
	const char *t = q->s->be->col_text(q->c, col, &len);

	return t != NULL ? t : "";
}

/* Column col copied into the arena; "" for NULL, NULL when out of memory
 * (the operation fails). */
static const char *
row_text(struct q *q, int col)
{
	size_t len = 0;
	const char *t = q->s->be->col_text(q->c, col, &len);
	char *copy =
	    arena_strndup(q->a, t != NULL ? t : "", t != NULL ? len : 0);

	if (copy == NULL)
		q_fail(q, STORE_ERROR, "out of memory");
	return copy;
}

/* A blob column copied into the arena; NULL (and *len 0) for NULL. */
static const unsigned char *
row_blob(struct q *q, int col, size_t *len)
{
	const unsigned char *p = NULL;

	*len = 0;
	if (q->s->be->col_blob(q->c, q->a, col, &p, len) == -1)
		q_fail(q, STORE_ERROR, "out of memory");
	return p;
}

/* Reads the rows of the running statement (r: what it gave first) into an
 * arena array of elements of size bytes, *out, *n. */
static void
q_rows(struct q *q, int r, row_reader fn, size_t size, void *out, size_t *n)
{
	char *arr = NULL, *bigger;
	size_t k = 0, cap = 0;

	for (; r == 1; r = q_next(q)) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			if ((bigger = arena_alloc(q->a, cap * size)) == NULL) {
				q_fail(q, STORE_ERROR, "out of memory");
				return;
			}
			if (k > 0)
				memcpy(bigger, arr, k * size);
			arr = bigger;
		}
		memset(arr + k * size, 0, size);
		if (fn(q, arr + k * size) == -1)
			q_fail(q, STORE_ERROR, "unexpected value in a row");
		if (q->st != STORE_OK)
			return;
		k++;
	}
	/* A step that failed is an error, not a shorter list. */
	if (q->st != STORE_OK)
		return;
	if (arr == NULL && (arr = arena_alloc(q->a, size)) == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		return;
	}
	memcpy(out, &arr, sizeof(arr));
	*n = k;
}

/* Runs statement id on a connection of its own and reads every row. */
static enum store_status
list(struct store *s, struct arena *a, const char *what, row_reader fn,
    size_t size, void *out, size_t *n, enum stmt id, const char *sig, ...)
{
	struct q q;
	va_list ap;
	int r;

	if (q_open(&q, s, a, what) != STORE_OK)
		return q.st;
	va_start(ap, sig);
	r = q_vrun(&q, id, sig, ap);
	va_end(ap);
	q_rows(&q, r, fn, size, out, n);
	return q_close(&q);
}

/* Runs statement id and reads its one row; STORE_NOTFOUND for none. */
static enum store_status
one(struct store *s, struct arena *a, const char *what, row_reader fn,
    void *out, enum stmt id, const char *sig, ...)
{
	struct q q;
	va_list ap;
	int r;

	if (q_open(&q, s, a, what) != STORE_OK)
		return q.st;
	va_start(ap, sig);
	r = q_vrun(&q, id, sig, ap);
	va_end(ap);
	if (r == 0)
		q.st = STORE_NOTFOUND;
	else if (r == 1 && fn(&q, out) == -1)
		q_fail(&q, STORE_ERROR, "unexpected value in a row");
	return q_close(&q);
}

/* Runs statement id for its effect, in the store's turn to write;
 * *changes (may be NULL) gets how many rows it changed. */
static enum store_status
exec(struct store *s, const char *what, int64_t *changes, enum stmt id,
    const char *sig, ...)
{
	struct q q;
	va_list ap;

	if (q_open(&q, s, NULL, what) != STORE_OK)
		return q.st;
	turn_take(&q);
	va_start(ap, sig);
	(void)q_vrun(&q, id, sig, ap);
	va_end(ap);
	if (changes != NULL)
		*changes = q.changes;
	return q_close(&q);
}

/* An operation that changed no row found nothing to change. */
static enum store_status
found(enum store_status st, int64_t changed)
{
	return st == STORE_OK && changed == 0 ? STORE_NOTFOUND : st;
}

/* ---- the row readers: one per kind of row ---- */

/* The PETITION_COLS of a row; neither the count (counts.c keeps it) nor
 * the addressees. */
static int
read_petition(struct q *q, void *out)
{
	struct petition *p = out;

	p->id = row_int(q, 0);
	p->slug = row_text(q, 1);
	p->title = row_text(q, 2);
	p->body_md = row_text(q, 3);
	p->lang = row_text(q, 4);
	p->goal = row_int(q, 5);
	p->state = petition_state_parse(row_str(q, 6));
	p->created_at = row_int(q, 7);
	p->updated_at = row_int(q, 8);
	p->closes_at = row_int(q, 9);
	p->owner_id = row_int(q, 10);
	p->reason = row_text(q, 11);
	p->note = row_text(q, 12);
	p->published_at = row_int(q, 13);
	p->owner_name = "";
	return p->state == PETITION__MAX ? -1 : 0;
}

static int
read_addressee(struct q *q, void *out)
{
	struct addressee *to = out;

	to->name = row_text(q, 0);
	to->description = row_text(q, 1);
	return 0;
}

static int
read_translation(struct q *q, void *out)
{
	struct translation *t = out;

	t->lang = row_text(q, 0);
	t->title = row_text(q, 1);
	t->body_md = row_text(q, 2);
	return 0;
}

/* The USER_COLS of a row. */
static int
read_user(struct q *q, void *out)
{
	struct user *u = out;

	memset(u, 0, sizeof(*u));
	u->id = row_int(q, 0);
	u->role = user_role_parse(row_str(q, 1));
	u->password = row_text(q, 2);
	u->failed = (int)row_int(q, 3);
	u->locked_until = row_int(q, 4);
	u->name = row_text(q, 5);
	u->lang = row_text(q, 6);
	u->verified_at = row_int(q, 7);
	u->email_sealed = row_blob(q, 8, &u->email_sealed_len);
	return u->role == ROLE__MAX || u->email_sealed == NULL ? -1 : 0;
}

/* The UPDATE_COLS of a row. */
static int
read_update(struct q *q, void *out)
{
	struct update *u = out;

	memset(u, 0, sizeof(*u));
	u->id = row_int(q, 0);
	u->petition_id = row_int(q, 1);
	u->kind = update_kind_parse(row_str(q, 2));
	u->author = row_text(q, 3);
	u->title = row_text(q, 4);
	u->body_md = row_text(q, 5);
	u->created_at = row_int(q, 6);
	u->mail_cursor = row_int(q, 7);
	u->mail_done = row_int(q, 8) != 0;
	u->mailed = row_int(q, 9);
	return u->kind == UPDATE__MAX ? -1 : 0;
}

/* The OUTBOX_COLS of a row, then sealed (a claim) or sent_at and
 * last_error (the list). */
static int
read_outbox(struct q *q, void *out)
{
	struct outbox_msg *m = out;

	m->id = row_int(q, 0);
	m->message_id = row_text(q, 1);
	m->kind = row_text(q, 2);
	m->state = (enum outbox_state)name_index(outbox_states, OUTBOX__MAX,
	    row_str(q, 3));
	m->attempts = (int)row_int(q, 4);
	m->next_at = row_int(q, 5);
	m->created_at = row_int(q, 6);
	m->updated_at = row_int(q, 7);
	return 0;
}

static int
read_outbox_claimed(struct q *q, void *out)
{
	struct outbox_msg *m = out;

	read_outbox(q, m);
	m->sealed = row_blob(q, 8, &m->sealed_len);
	return 0;
}

static int
read_outbox_listed(struct q *q, void *out)
{
	struct outbox_msg *m = out;

	read_outbox(q, m);
	m->sent_at = row_int(q, 8);
	m->last_error = row_text(q, 9);
	return 0;
}

static int
read_trend(struct q *q, void *out)
{
	struct trend_row *t = out;

	t->key = row_text(q, 0);
	t->n = row_int(q, 1);
	return 0;
}

static int
read_removal(struct q *q, void *out)
{
	struct removal_row *r = out;

	r->reason = row_text(q, 0);
	r->n = row_int(q, 1);
	return 0;
}

static int
read_audit(struct q *q, void *out)
{
	struct audit_row *r = out;

	r->at = row_int(q, 0);
	r->actor = row_text(q, 1);
	r->action = row_text(q, 2);
	r->subject = row_text(q, 3);
	r->detail = row_text(q, 4);
	return 0;
}

static int
read_transition(struct q *q, void *out)
{
	struct transition *t = out;

	t->petition_id = row_int(q, 0);
	t->from = petition_state_parse(row_str(q, 1));
	t->to = petition_state_parse(row_str(q, 2));
	t->actor = row_text(q, 3);
	t->reason = row_text(q, 4);
	t->note = row_text(q, 5);
	t->at = row_int(q, 6);
	return t->from == PETITION__MAX || t->to == PETITION__MAX ? -1 : 0;
}

static int
read_token(struct q *q, void *out)
{
	struct token_info *t = out;

	t->signature_id = row_int(q, 0);
	t->purpose = row_text(q, 1);
	t->expires_at = row_int(q, 2);
	t->used_at = row_int(q, 3);
	t->slug = row_text(q, 4);
	t->title = row_text(q, 5);
	t->lang = row_text(q, 6);
	t->state = signature_state_parse(row_str(q, 7));
	t->title_lang = row_text(q, 8);
	t->updates = row_int(q, 9) != 0;
	return 0;
}

static int
read_recipient(struct q *q, void *out)
{
	struct recipient *r = out;

	r->signature_id = row_int(q, 0);
	r->pii = row_blob(q, 1, &r->pii_len);
	r->lang = row_text(q, 2);
	return 0;
}

static int
read_signer(struct q *q, void *out)
{
	struct signer_row *r = out;

	r->seq = row_int(q, 0);
	r->pii = row_blob(q, 1, &r->pii_len);
	r->country = row_text(q, 2);
	r->created_at = row_int(q, 3);
	return 0;
}

static int
read_deliver_signer(struct q *q, void *out)
{
	struct signer_row *r = out;

	read_signer(q, out);
	r->comment = row_text(q, 4);
	return 0;
}

static int
read_addressee_email(struct q *q, void *out)
{
	struct addressee_email *e = out;

	e->pos = (int)row_int(q, 0);
	e->name = row_text(q, 1);
	e->sealed = row_blob(q, 2, &e->sealed_len);
	return 0;
}

static int
read_delivery(struct q *q, void *out)
{
	struct delivery *d = out;

	d->id = row_int(q, 0);
	d->petition_id = row_int(q, 1);
	d->pos = (int)row_int(q, 2);
	d->name = row_text(q, 3);
	d->count = row_int(q, 4);
	d->created_at = row_int(q, 5);
	d->expires_at = row_int(q, 6);
	return 0;
}

static int
read_response(struct q *q, void *out)
{
	struct response *r = out;

	r->id = row_int(q, 0);
	r->delivery_id = row_int(q, 1);
	r->petition_id = row_int(q, 2);
	r->author = row_text(q, 3);
	r->body_md = row_text(q, 4);
	r->created_at = row_int(q, 5);
	r->to_name = row_text(q, 6);
	return 0;
}

static int
read_end_due(struct q *q, void *out)
{
	struct end_due *e = out;

	e->petition_id = row_int(q, 0);
	e->state = petition_state_parse(row_text(q, 1));
	return 0;
}

static int
read_milestone(struct q *q, void *out)
{
	struct milestone *m = out;

	m->petition_id = row_int(q, 0);
	m->goal = row_int(q, 1);
	m->goal_mailed = row_int(q, 2);
	m->owner_id = row_int(q, 3);
	m->delivered_at = row_int(q, 4);
	return 0;
}

static int
read_day(struct q *q, void *out)
{
	struct day_row *d = out;

	d->day = row_int(q, 0);
	d->n = row_int(q, 1);
	return 0;
}

static int
read_country(struct q *q, void *out)
{
	struct country_row *c = out;

	c->country = row_text(q, 0);
	c->n = row_int(q, 1);
	return 0;
}

static int
read_suppression(struct q *q, void *out)
{
	struct suppression *r = out;
	size_t len;

	r->email_hash = row_blob(q, 0, &len);
	if (r->email_hash != NULL && len != STORE_HASH_BYTES)
		r->email_hash = NULL;
	r->reason = row_text(q, 1);
	r->created_at = row_int(q, 2);
	return 0;
}

static int
read_nothing(struct q *q, void *out)
{
	(void)q;
	(void)out;
	return 0;
}

/* ---- migrations ---- */

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

/* The whole file, NUL-terminated (free it), or NULL with errno set. */
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

/* ---- search (find) ---- */

/* The states whose petitions the search index holds: the public ones. */
static bool
search_public(enum petition_state st)
{
	return st == PETITION_OPEN || st == PETITION_CLOSED ||
	    st == PETITION_VICTORY;
}

/* Makes the search index agree with petition id as q's connection sees it
 * (inside q's transaction): its document written when it is public,
 * removed otherwise. The first failure sticks to q. */
static void
search_sync(struct q *q, int64_t id)
{
	struct arena *keep = q->a, *a;
	struct petition p;
	struct addressee *to = NULL;
	struct buf names;
	const char *in[3], *doc[3];
	size_t nto = 0, i;
	int lang, r;

	if (q->st != STORE_OK)
		return;
	if ((a = arena_new()) == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		return;
	}
	q->a = a;
	memset(&p, 0, sizeof(p));
	r = q_run(q, ST_PETITION_BY_ID, "i", id);
	if (r == 1 && read_petition(q, &p) == -1)
		q_fail(q, STORE_ERROR, "unexpected value in a row");
	if (q->st != STORE_OK || r == 0 || !search_public(p.state)) {
		(void)q_run(q, ST_SEARCH_UNINDEX, "i", id);
		goto done;
	}
	q_rows(q, q_run(q, ST_ADDRESSEES, "i", id), read_addressee, sizeof(*to),
	    &to, &nto);
	buf_init(&names);
	for (i = 0; i < nto; i++) {
		buf_puts(&names, to[i].name);
		buf_putc(&names, '\n');
	}
	buf_putc(&names, '\0');
	in[0] = p.title;
	in[1] = buf_ok(&names) ? names.data : NULL;
	in[2] = p.body_md;
	/* A language search has no analysis for is read as English: its
	 * words are still found whole. */
	if ((lang = search_lang_from_code(p.lang)) < 0)
		lang = SEARCH_LANG_EN;
	if (q->st == STORE_OK && in[1] != NULL &&
	    q->s->be->search_doc(a, (enum search_lang)lang, in, doc) == 0)
		(void)q_run(q, ST_SEARCH_INDEX, "ittt", id, doc[0], doc[1],
		    doc[2]);
	else
		q_fail(q, STORE_ERROR, "search document");
	buf_reset(&names);
done:
	q->a = keep;
	arena_free(a);
}

static int
read_id(struct q *q, void *out)
{
	*(int64_t *)out = row_int(q, 0);
	return 0;
}

/* Indexes every public petition (inside q's transaction). */
static void
search_reindex(struct q *q)
{
	struct arena *keep = q->a, *a;
	int64_t *ids = NULL;
	size_t n = 0, i;

	if (q->st != STORE_OK)
		return;
	if ((a = arena_new()) == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		return;
	}
	q->a = a;
	q_rows(q, q_run(q, ST_SEARCH_PUBLIC_IDS, ""), read_id, sizeof(*ids),
	    &ids, &n);
	q->a = keep;
	for (i = 0; i < n && q->st == STORE_OK; i++)
		search_sync(q, ids[i]);
	arena_free(a);
}

struct public_addressee {
	int64_t petition_id;
	struct addressee to;
};

static int
read_public_addressee(struct q *q, void *out)
{
	struct public_addressee *pa = out;

	pa->petition_id = row_int(q, 0);
	pa->to.name = row_text(q, 1);
	pa->to.description = row_text(q, 2);
	return 0;
}

enum store_status
store_petition_public(struct store *s, struct arena *a, struct petition **out,
    size_t *n)
{
	struct public_addressee *pa = NULL;
	struct petition *ps = NULL;
	size_t npa = 0, i, k = 0, j;
	struct q q;

	*out = NULL;
	*n = 0;
	if (q_open(&q, s, a, "petition_public") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN_SNAPSHOT);
	q_rows(&q, q_run(&q, ST_PUBLIC_LIST, ""), read_petition, sizeof(*ps),
	    &ps, n);
	q_rows(&q, q_run(&q, ST_PUBLIC_ADDRESSEES, ""), read_public_addressee,
	    sizeof(*pa), &pa, &npa);
	q_commit(&q);
	if (q.st == STORE_OK) {
		/* Both lists are in petition id order: one pass. */
		for (i = 0; i < *n; i++) {
			while (k < npa && pa[k].petition_id < ps[i].id)
				k++;
			for (j = k; j < npa && pa[j].petition_id == ps[i].id;
			     j++)
				;
			if (j == k)
				continue;
			ps[i].to = arena_alloc(a, (j - k) * sizeof(*ps[i].to));
			if (ps[i].to == NULL) {
				q_fail(&q, STORE_ERROR, "out of memory");
				break;
			}
			for (ps[i].nto = 0; k < j; k++)
				ps[i].to[ps[i].nto++] = pa[k].to;
		}
		*out = ps;
	}
	if (q.st != STORE_OK)
		*n = 0;
	return q_close(&q);
}

enum store_status
store_petition_version(struct store *s, int64_t v[4])
{
	struct q q;

	if (q_open(&q, s, NULL, "petition_version") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_PUBLIC_VERSION, "") == 1) {
		v[0] = row_int(&q, 0);
		v[1] = row_int(&q, 1);
		v[2] = row_int(&q, 2);
		v[3] = row_int(&q, 3);
	}
	return q_close(&q);
}

static int
read_waiting(struct q *q, void *out)
{
	struct waiting_row *w = out;

	w->petition_id = row_int(q, 0);
	w->delivered_at = row_int(q, 1);
	return 0;
}

enum store_status
store_petition_waiting(struct store *s, struct arena *a,
    struct waiting_row **out, size_t *n)
{
	return list(s, a, "petition_waiting", read_waiting, sizeof(**out), out,
	    n, ST_PUBLIC_WAITING, "");
}

enum store_status
store_search_reindex(struct store *s)
{
	struct q q;

	if (q_open(&q, s, NULL, "search_reindex") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	search_reindex(&q);
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_search(struct store *s, struct arena *a, const struct search_query *sq,
    size_t limit, size_t offset, struct petition **out, size_t *n,
    int64_t *total)
{
	const char *match;
	struct q q;

	*n = 0;
	*total = 0;
	if ((match = s->be->search_match(a, sq)) == NULL) {
		log_error("store", "op=search error=\"no match expression\"");
		return STORE_ERROR;
	}
	if (q_open(&q, s, a, "search") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN_SNAPSHOT);
	if (q_run(&q, ST_SEARCH_COUNT, "t", match) == 1)
		*total = row_int(&q, 0);
	if (*total > 0 && (int64_t)offset < *total)
		q_rows(&q,
		    q_run(&q, ST_SEARCH, "tii", match, (int64_t)limit,
			(int64_t)offset),
		    read_petition, sizeof(**out), out, n);
	q_commit(&q);
	return q_close(&q);
}

/* Each pending migration in a transaction of its own, under the dialect's
 * lock (SQLite's write lock, PostgreSQL's advisory lock), so nodes starting
 * together apply each exactly once: the second waits, then finds the
 * version recorded. */
enum store_status
store_migrate(struct store *s, int *version)
{
	struct migration m[MIGRATIONS_MAX];
	char path[PATH_MAX], *script;
	int64_t current = 0;
	struct q q;
	int n, i;

	if ((n = migrations_list(s->migrations_dir, m, MIGRATIONS_MAX)) == -1)
		return STORE_ERROR;
	if (q_open(&q, s, NULL, "migrate") != STORE_OK)
		return q.st;
	for (;;) {
		q_begin(&q, ST_BEGIN);
		(void)q_run(&q, ST_MIGRATE_LOCK, "");
		(void)q_run(&q, ST_MIGRATE_TABLE, "");
		if (q_run(&q, ST_MIGRATE_VERSION, "") == 1) {
			current = row_int(&q, 0);
			/* Finished, so that a script may drop a table (an
			 * active statement locks them all in SQLite). */
			(void)q_next(&q);
		}
		if (q.st != STORE_OK)
			break;
		if (n > 0 && current > m[n - 1].version) {
			log_error("store",
			    "op=migrate error=\"database schema version %lld "
			    "is newer than this holos knows (%d); upgrade "
			    "holos\"",
			    (long long)current, m[n - 1].version);
			q.st = STORE_ERROR;
			break;
		}
		for (i = 0; i < n && m[i].version <= current; i++)
			;
		if (i == n) {
			q_commit(&q);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", s->migrations_dir,
		    m[i].name);
		if ((script = file_read(path)) == NULL) {
			log_error("store", "op=migrate file=%s error=\"%s\"",
			    path, strerror(errno));
			q.st = STORE_ERROR;
			break;
		}
		q.st = s->be->script(q.c, script, m[i].name);
		free(script);
		if (m[i].version == SEARCH_MIGRATION)
			search_reindex(&q);
		(void)q_run(&q, ST_MIGRATE_RECORD, "dti", m[i].version,
		    m[i].name, (int64_t)time(NULL));
		q_commit(&q);
		if (q.st != STORE_OK)
			break;
		log_info("store", "backend=%s op=migrate applied=%s",
		    s->be->name, m[i].name);
	}
	if (q.st == STORE_DUPLICATE)
		q.st = STORE_ERROR;
	if (q.st == STORE_OK)
		*version = (int)current;
	return q_close(&q);
}

/* ---- petitions ---- */

static void
addressees_insert(struct q *q, int64_t id, const struct petition *p)
{
	size_t i;

	for (i = 0; i < p->nto; i++)
		(void)q_run(q, ST_ADDRESSEE_INSERT, "iitt", id, (int64_t)i,
		    p->to[i].name,
		    p->to[i].description ? p->to[i].description : "");
}

enum store_status
store_petition_create(struct store *s, const struct petition *p, int64_t *id)
{
	struct q q;
	int64_t pid;
	size_t i;

	if (q_open(&q, s, NULL, "petition_create") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	pid = q_id(&q, ST_PETITION_INSERT, "ttttitizz", p->slug, p->title,
	    p->body_md, p->lang, p->goal, petition_state_name(p->state),
	    p->created_at, p->owner_id, p->closes_at);
	addressees_insert(&q, pid, p);
	for (i = 0; i < p->ntr; i++)
		(void)q_run(&q, ST_TRANSLATION_INSERT, "ittt", pid,
		    p->tr[i].lang, p->tr[i].title, p->tr[i].body_md);
	search_sync(&q, pid);
	q_commit(&q);
	if (q.st == STORE_OK)
		*id = pid;
	return q_close(&q);
}

/* The petition with this slug (or, slug NULL, this id) and its
 * addressees, in one snapshot where the dialect needs one to see them
 * together. */
static enum store_status
petition_fetch(struct store *s, struct arena *a, const char *slug, int64_t id,
    struct petition *out)
{
	struct q q;
	int r;

	if (q_open(&q, s, a, "petition_get") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN_READ);
	r = slug != NULL ? q_run(&q, ST_PETITION_BY_SLUG, "t", slug) :
			   q_run(&q, ST_PETITION_BY_ID, "i", id);
	if (r == 0)
		q.st = STORE_NOTFOUND;
	if (r == 1) {
		memset(out, 0, sizeof(*out));
		if (read_petition(&q, out) == -1)
			q_fail(&q, STORE_ERROR, "unknown state");
		out->owner_name = row_text(&q, 14);
		q_rows(&q, q_run(&q, ST_ADDRESSEES, "i", out->id),
		    read_addressee, sizeof(*out->to), &out->to, &out->nto);
	}
	return q_close(&q);
}

enum store_status
store_petition_by_slug(struct store *s, struct arena *a, const char *slug,
    struct petition *out)
{
	return petition_fetch(s, a, slug, 0, out);
}

enum store_status
store_petition_by_id(struct store *s, struct arena *a, int64_t id,
    struct petition *out)
{
	return petition_fetch(s, a, NULL, id, out);
}

enum store_status
store_petition_list(struct store *s, struct arena *a, enum petition_state st,
    struct petition **out, size_t *n)
{
	return list(s, a, "petition_list", read_petition, sizeof(**out), out, n,
	    ST_PETITION_LIST, "t", petition_state_name(st));
}

enum store_status
store_petition_list_owner(struct store *s, struct arena *a, int64_t owner_id,
    struct petition **out, size_t *n)
{
	return list(s, a, "petition_list_owner", read_petition, sizeof(**out),
	    out, n, ST_PETITION_LIST_OWNER, "i", owner_id);
}

enum store_status
store_petition_queue(struct store *s, struct arena *a, struct petition **out,
    size_t *n)
{
	return list(s, a, "petition_queue", read_petition, sizeof(**out), out,
	    n, ST_PETITION_QUEUE, "");
}

enum store_status
store_petition_due(struct store *s, struct arena *a, int64_t now,
    struct petition **out, size_t *n)
{
	return list(s, a, "petition_due", read_petition, sizeof(**out), out, n,
	    ST_PETITION_DUE, "i", now);
}

enum store_status
store_petition_translation(struct store *s, struct arena *a,
    int64_t petition_id, const char *lang, struct translation *out)
{
	return one(s, a, "translation", read_translation, out, ST_TRANSLATION,
	    "it", petition_id, lang);
}

enum store_status
store_petition_count(struct store *s, int64_t id, int64_t *count)
{
	struct q q;

	if (q_open(&q, s, NULL, "count") != STORE_OK)
		return q.st;
	*count = q_run(&q, ST_COUNT, "i", id) == 1 ? row_int(&q, 0) : 0;
	return q_close(&q);
}

enum store_status
store_petition_update(struct store *s, const struct petition *p)
{
	struct q q;

	if (q_open(&q, s, NULL, "petition_update") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_PETITION_UPDATE, "itttizi", p->id, p->title,
	    p->body_md, p->lang, p->goal, p->closes_at, p->updated_at);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	(void)q_run(&q, ST_ADDRESSEES_SHELVE, "i", p->id);
	addressees_insert(&q, p->id, p);
	(void)q_run(&q, ST_ADDRESSEES_SHELVED_DELETE, "i", p->id);
	search_sync(&q, p->id);
	q_commit(&q);
	if (q.st == STORE_DUPLICATE)
		q.st = STORE_ERROR;
	return q_close(&q);
}

enum store_status
store_petition_transition(struct store *s, const struct transition *t)
{
	const char *from = petition_state_name(t->from);
	const char *to = petition_state_name(t->to);
	const char *reason = t->reason ? t->reason : "";
	const char *note = t->note ? t->note : "";
	char action[64], subject[64], *detail;
	struct q q;

	if (from == NULL || to == NULL) {
		log_error("store",
		    "op=petition_transition "
		    "error=\"unknown state\"");
		return STORE_ERROR;
	}
	snprintf(action, sizeof(action), "petition_%s", to);
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)t->petition_id);
	/* The audit detail: "reason: note", or whichever of them is set. */
	if (asprintf(&detail, "%s%s%s", reason, *reason && *note ? ": " : "",
		note) == -1)
		return STORE_ERROR;
	if (q_open(&q, s, NULL, "petition_transition") == STORE_OK) {
		q_begin(&q, ST_BEGIN);
		(void)q_run(&q, ST_PETITION_MOVE, "itttti", t->petition_id,
		    from, to, reason, note, t->at);
		if (q.st == STORE_OK && q.changes == 0)
			q.st = STORE_NOTFOUND;
		(void)q_run(&q, ST_TRANSITION_INSERT, "ittttti", t->petition_id,
		    from, to, t->actor, reason, note, t->at);
		(void)q_run(&q, ST_AUDIT, "itttt", t->at, t->actor, action,
		    subject, detail);
		search_sync(&q, t->petition_id);
		q_commit(&q);
		if (q.st == STORE_DUPLICATE)
			q.st = STORE_ERROR;
		(void)q_close(&q);
	}
	free(detail);
	return q.st;
}

enum store_status
store_transition_list(struct store *s, struct arena *a, int64_t petition_id,
    struct transition **out, size_t *n)
{
	return list(s, a, "transition_list", read_transition, sizeof(**out),
	    out, n, ST_TRANSITION_LIST, "i", petition_id);
}

/* ---- signing and confirming ---- */

/* Adds n (may be negative) to this node's counter row of a petition. */
static void
count_add(struct q *q, int64_t petition_id, int64_t n)
{
	if (n != 0)
		(void)q_run(q, ST_COUNT_ADD, "iti", petition_id, q->s->node, n);
}

/* Adds n (may be negative) to this node's row of a petition's country (as
 * log_country() gives it). */
static void
country_add(struct q *q, int64_t petition_id, const char country[2], int64_t n)
{
	char c[3] = { country[0], country[1], '\0' };

	if (n != 0)
		(void)q_run(q, ST_COUNTRY_ADD, "itti", petition_id, c,
		    q->s->node, n);
}

/* A signature's country as its leaf carries it: two ASCII capitals, or
 * "--" for none or anything else. */
static void
log_country(const char *c, char out[2])
{
	if (c != NULL && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' &&
	    c[1] <= 'Z' && c[2] == '\0') {
		out[0] = c[0];
		out[1] = c[1];
	} else {
		out[0] = out[1] = '-';
	}
}

/* Confirms the signature op's token names; country gets its country
 * when it starts to count. */
static void
write_confirm(struct q *q, struct write_op *op, char country[2])
{
	int64_t subject, expires, used;
	int r;

	if ((r = q_run(q, ST_TOKEN_GET, "h", op->token_hash)) == -1)
		return;
	if (r == 0 || strcmp(row_str(q, 0), "confirm") != 0) {
		op->result = WRITE_TOKEN_UNKNOWN;
		return;
	}
	subject = row_int(q, 1);
	expires = row_int(q, 2);
	used = row_int(q, 3);
	if (used != 0) {
		op->result = WRITE_TOKEN_USED;
		return;
	}
	if (expires != 0 && expires <= op->now) {
		op->result = WRITE_TOKEN_EXPIRED;
		return;
	}
	/* A petition closed, hidden or past its closing date takes no more
	 * signatures, confirmed late ones included; the link stays unused. */
	if ((r = q_run(q, ST_SIG_PETITION_OPEN, "ii", subject, op->now)) == -1)
		return;
	if (r == 0) {
		op->result = WRITE_PETITION_CLOSED;
		return;
	}
	if (q_run(q, ST_TOKEN_USE, "ih", op->now, op->token_hash) == 0 &&
	    q->changes == 0) {
		/* Another node used it between our read and our update (the
		 * update waited for its commit). */
		op->result = WRITE_TOKEN_USED;
		return;
	}
	if (q_run(q, ST_SIG_CONFIRM, "ii", op->now, subject) == 1) {
		op->petition_id = row_int(q, 0);
		op->sig.seq = row_int(q, 1);
		log_country(row_str(q, 2), country);
	}
	/* Confirmed by another link already: confirmed all the same. */
	op->result = WRITE_OK;
}

/* The confirmed count each petition of a batch gains. */
struct delta {
	int64_t petition_id; /* first: store_petition_id_cmp() */
	int64_t n;
};

/* ---- the verifiable log: appends ---- */

/* Rows an append or a build reads or writes per statement batch. */
#define LOG_CHUNK 1000

/* The milliseconds since the epoch: a leaf's and a head's timestamp. */
static int64_t
log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* merkle.c's view of one petition's nodes on an operation's connection:
 * level 0 is the leaves' own hash column, levels MERKLE_TILE and above
 * log_nodes; the levels between are computed from the leaves
 * (merkle_get_tiled()). */
struct log_nodes {
	struct q *q;
	int64_t petition_id;
};

/* Bytes of a leaf hash in log_hashes.hash_prefix, the column
 * get-proof-by-hash looks up. */
#define LOG_HASH_PREFIX 8
/* Characters of one node's key in ST_LOG_NODES's list. */
#define LOG_NODE_KEY 22
/* Nodes one ST_LOG_NODES reads at most (merkle.h: a get asks for at most
 * 2 * MERKLE_LEVELS). */
#define LOG_NODES_MAX (2 * MERKLE_LEVELS)

/* Reads up to LOG_NODES_MAX nodes with one statement. */
static int
log_nodes_read(struct q *q, int64_t petition_id, const struct merkle_node *ids,
    size_t n, unsigned char (*out)[MERKLE_HASH_BYTES])
{
	char keys[LOG_NODES_MAX * LOG_NODE_KEY + 1];
	bool seen[LOG_NODES_MAX] = { false };
	const unsigned char *h;
	size_t i, k = 0, len;
	int64_t at;
	int r;

	for (i = 0; i < n; i++) {
		if (ids[i].level >= MERKLE_LEVELS || ids[i].index > INT64_MAX) {
			q_fail(q, STORE_ERROR, "a log node is out of range");
			return -1;
		}
		snprintf(keys + i * LOG_NODE_KEY, LOG_NODE_KEY + 1,
		    "%02u%020llu", ids[i].level,
		    (unsigned long long)ids[i].index);
	}
	for (r = q_run(q, ST_LOG_NODES, "iti", petition_id, keys, (int64_t)n);
	     r == 1; r = q_next(q), k++) {
		at = row_int(q, 0);
		h = row_blob(q, 1, &len);
		if (q->st != STORE_OK)
			return -1;
		if (at < 0 || at >= (int64_t)n || seen[at]) {
			q_fail(q, STORE_ERROR, "a log node row is out of place");
			return -1;
		}
		seen[at] = true;
		if (h == NULL) {
			q_fail(q, STORE_ERROR, "a log node is missing");
			return -1;
		}
		if (len != MERKLE_HASH_BYTES) {
			q_fail(q, STORE_ERROR, "a log node is not a hash");
			return -1;
		}
		memcpy(out[at], h, MERKLE_HASH_BYTES);
	}
	if (r == -1)
		return -1;
	if (k != n) {
		q_fail(q, STORE_ERROR, "a log node is missing");
		return -1;
	}
	return 0;
}

/* Reads stored nodes only (merkle_get_tiled()'s raw). */
static int
log_node_raw(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	struct log_nodes *l = ctx;
	size_t i, m;

	for (i = 0; i < n; i += m) {
		m = n - i < LOG_NODES_MAX ? n - i : LOG_NODES_MAX;
		if (log_nodes_read(l->q, l->petition_id, ids + i, m, out + i) ==
		    -1)
			return -1;
	}
	return 0;
}

static int
log_node_get(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	return merkle_get_tiled(log_node_raw, ctx, ids, n, out);
}

/* Writes the nodes of stored levels above the leaves: a leaf's hash is
 * its own row's, and the levels below MERKLE_TILE are not kept. */
static int
log_node_put(void *ctx, const struct merkle_node *ids,
    const unsigned char (*hashes)[MERKLE_HASH_BYTES], size_t n)
{
	struct log_nodes *l = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i].level > 0 && merkle_level_stored(ids[i].level) &&
		    q_run(l->q, ST_LOG_NODE_PUT, "idib", l->petition_id,
			(int)ids[i].level, (int64_t)ids[i].index, hashes[i],
			(size_t)MERKLE_HASH_BYTES) == -1)
			return -1;
	return 0;
}

static struct merkle_store
log_store(struct log_nodes *l, struct q *q, int64_t petition_id)
{
	l->q = q;
	l->petition_id = petition_id;
	return (struct merkle_store){ .ctx = l,
		.get = log_node_get,
		.put = log_node_put };
}

/* Leaves one ST_LOG_LEAF_INSERT_ROWS writes (5 parameters each: the
 * backends bind at most 80). */
#define LOG_LEAF_ROWS 16

/* Inserts the rows of leaves idx .. idx + n - 1 of a petition's log (n is
 * 1 or LOG_LEAF_ROWS): inputs[i] of lens[i] bytes, hashes[i], seqs[i] (0 or
 * seqs NULL: none). The parameters are bound in a loop, which q_run()'s
 * signature cannot say. Returns 0, or -1 with the failure in q. */
static int
log_leaves_insert(struct q *q, int64_t petition_id, int64_t idx,
    const unsigned char (*inputs)[TRANSLOG_LEAF_MAX], const size_t *lens,
    const unsigned char (*hashes)[MERKLE_HASH_BYTES], const int64_t *seqs,
    size_t n)
{
	const struct store_backend *be = q->s->be;
	size_t i;

	if (q->st != STORE_OK)
		return -1;
	if (be->prepare(q->c,
		n == 1 ? ST_LOG_LEAF_INSERT : ST_LOG_LEAF_INSERT_ROWS) == -1)
		return q_fail(q, STORE_ERROR, NULL);
	for (i = 0; i < n; i++) {
		be->bind_int(q->c, petition_id);
		be->bind_int(q->c, idx + (int64_t)i);
		be->bind_blob(q->c, inputs[i], lens[i]);
		be->bind_blob(q->c, hashes[i], MERKLE_HASH_BYTES);
		if (seqs != NULL && seqs[i] != 0)
			be->bind_int(q->c, seqs[i]);
		else
			be->bind_text(q->c, NULL);
	}
	return q_next(q) == -1 ? -1 : 0;
}

/* Takes the petition's log for this transaction (its row locked, made
 * first when new) and returns its size, or -1 when it failed. */
static int64_t
log_lock(struct q *q, int64_t petition_id)
{
	unsigned char empty[MERKLE_HASH_BYTES];

	merkle_hash_empty(empty);
	(void)q_run(q, ST_LOG_TREE_INIT, "ih", petition_id, empty);
	if (q_run(q, ST_LOG_TREE_LOCK, "i", petition_id) != 1) {
		q_fail(q, STORE_ERROR, "the log row is missing");
		return -1;
	}
	return row_int(q, 0);
}

/* Appends n leaves to the locked log of size leaves: their rows (seqs[i]
 * the signature of a signature leaf, 0 for none), the nodes they complete
 * and the new size and root. Returns 0, or -1 with the failure in q. */
static int
log_append(struct q *q, int64_t petition_id, int64_t size,
    const struct translog_leaf *leaves, const int64_t *seqs, size_t n)
{
	unsigned char(*hashes)[MERKLE_HASH_BYTES], root[MERKLE_HASH_BYTES];
	unsigned char(*inputs)[TRANSLOG_LEAF_MAX] = NULL;
	struct arena *own = NULL;
	struct merkle_store st;
	struct log_nodes l;
	size_t i, m, *lens = NULL;
	int ret = -1;

	if (n == 0)
		return 0;
	/* The nodes read are copied somewhere: an operation without an arena
	 * gets one for the append. */
	if (q->a == NULL && (q->a = own = arena_new()) == NULL)
		return q_fail(q, STORE_ERROR, "out of memory");
	if ((hashes = calloc(n, sizeof(*hashes))) == NULL ||
	    (inputs = calloc(n, sizeof(*inputs))) == NULL ||
	    (lens = calloc(n, sizeof(*lens))) == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((lens[i] = translog_leaf_encode(&leaves[i], inputs[i])) ==
		    0) {
			q_fail(q, STORE_ERROR, "a log leaf cannot be encoded");
			goto fail;
		}
		merkle_hash_leaf(inputs[i], lens[i], hashes[i]);
	}
	/* LOG_LEAF_ROWS rows a statement, the rest one by one. */
	for (i = 0; i < n; i += m) {
		m = n - i >= LOG_LEAF_ROWS ? LOG_LEAF_ROWS : 1;
		if (log_leaves_insert(q, petition_id, size + (int64_t)i,
			(const unsigned char(*)[TRANSLOG_LEAF_MAX])inputs + i,
			lens + i,
			(const unsigned char(*)[MERKLE_HASH_BYTES])hashes + i,
			seqs != NULL ? seqs + i : NULL, m) == -1)
			goto fail;
	}
	st = log_store(&l, q, petition_id);
	if (merkle_append(&st, (uint64_t)size, hashes, n, root) == -1) {
		q_fail(q, STORE_ERROR, "the log cannot grow");
		goto fail;
	}
	if (q_run(q, ST_LOG_TREE_SET, "iih", petition_id, size + (int64_t)n,
		root) == -1)
		goto fail;
	ret = 0;
fail:
	free(hashes);
	free(inputs);
	free(lens);
	if (own != NULL) {
		arena_free(own);
		q->a = NULL;
	}
	return ret;
}

/* Appends a signature leaf for every op of the batch that started to
 * count, petition by petition in id order (so two nodes lock their logs
 * in the same order), each petition's in the batch's order, and sets
 * each such op's leaf_index. d[nd] names the petitions. */
static void
log_batch(struct q *q, struct write_op *ops, size_t n, struct delta *d,
    size_t nd, char (*country)[2])
{
	struct translog_leaf *leaves;
	int64_t *seqs, size, ms = log_now_ms();
	size_t i, j, k;

	if (q->st != STORE_OK || nd == 0 || q->s->no_log)
		return;
	qsort(d, nd, sizeof(*d), store_petition_id_cmp);
	leaves = calloc(n, sizeof(*leaves));
	seqs = calloc(n, sizeof(*seqs));
	if (leaves == NULL || seqs == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		goto done;
	}
	for (j = 0; j < nd && q->st == STORE_OK; j++) {
		if ((size = log_lock(q, d[j].petition_id)) == -1)
			break;
		for (i = k = 0; i < n; i++) {
			if (ops[i].petition_id != d[j].petition_id)
				continue;
			leaves[k].type = TRANSLOG_LEAF_SIGNATURE;
			leaves[k].timestamp = (uint64_t)ms;
			if (store_hash_set(ops[i].commitment))
				memcpy(leaves[k].commitment, ops[i].commitment,
				    TRANSLOG_COMMITMENT_BYTES);
			else
				randombytes_buf(leaves[k].commitment,
				    TRANSLOG_COMMITMENT_BYTES);
			memcpy(leaves[k].country, country[i], 2);
			seqs[k] = ops[i].sig.seq;
			ops[i].leaf_index = size + (int64_t)k;
			k++;
		}
		(void)log_append(q, d[j].petition_id, size, leaves, seqs, k);
	}
done:
	free(leaves);
	free(seqs);
}

/* After the counts moved: each petition's count and log size as the batch
 * leaves them, for its ops. */
static void
log_batch_counts(struct q *q, struct write_op *ops, size_t n,
    const struct delta *d, size_t nd)
{
	int64_t count, size;
	size_t i, j;

	for (j = 0; j < nd && q->st == STORE_OK; j++) {
		if (q_run(q, ST_LOG_COUNT, "i", d[j].petition_id) != 1)
			break;
		count = row_int(q, 0);
		size = row_int(q, 1);
		for (i = 0; i < n; i++)
			if (ops[i].petition_id == d[j].petition_id) {
				ops[i].count_after = count;
				ops[i].log_size_after = size;
			}
	}
}

/* Appends a removal leaf for every signature leaf invalidation id
 * removed (in log order), with the reason's code. */
static void
log_removals(struct q *q, const struct invalidation *inv, int64_t id)
{
	struct translog_leaf *leaves = NULL, *bigger;
	size_t n = 0, cap = 0;
	int64_t size, ms = log_now_ms();
	int reason, r;

	if (q->st != STORE_OK)
		return;
	if ((reason = translog_reason_parse(inv->reason, strlen(inv->reason))) <
	    0)
		reason = TRANSLOG_REASON_OTHER;
	for (r = q_run(q, ST_LOG_REMOVED, "i", id); r == 1; r = q_next(q)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((bigger = realloc(leaves, cap * sizeof(*leaves))) ==
			    NULL) {
				q_fail(q, STORE_ERROR, "out of memory");
				goto done;
			}
			leaves = bigger;
		}
		memset(&leaves[n], 0, sizeof(leaves[n]));
		leaves[n].type = TRANSLOG_LEAF_REMOVAL;
		leaves[n].timestamp = (uint64_t)ms;
		leaves[n].removed_index = (uint64_t)row_int(q, 0);
		leaves[n].reason = (enum translog_reason)reason;
		n++;
	}
	if (q->st != STORE_OK || n == 0)
		goto done;
	if ((int64_t)n != inv->uncounted)
		log_warn("store",
		    "op=invalidate petition=%lld removal_leaves=%zu "
		    "uncounted=%lld note=\"signatures counted without a leaf\"",
		    (long long)inv->petition_id, n, (long long)inv->uncounted);
	if ((size = log_lock(q, inv->petition_id)) != -1)
		(void)log_append(q, inv->petition_id, size, leaves, NULL, n);
done:
	free(leaves);
}

/* A counted op's petition and country, for batch_countries(). */
struct petition_country {
	int64_t petition_id;
	char country[2];
};

static int
petition_country_cmp(const void *x, const void *y)
{
	const struct petition_country *a = x, *b = y;

	if (a->petition_id != b->petition_id)
		return a->petition_id < b->petition_id ? -1 : 1;
	return memcmp(a->country, b->country, 2);
}

/* Moves the country rows by what a batch counted: each petition and
 * country of its counted ops once, in sorted order (so that concurrent
 * batches of several nodes take those rows' locks in one order). */
static void
batch_countries(struct q *q, const struct write_op *ops, size_t n,
    char (*country)[2])
{
	struct petition_country *pc;
	size_t i, k = 0, run;

	if (q->st != STORE_OK)
		return;
	if ((pc = malloc((n ? n : 1) * sizeof(*pc))) == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		if (ops[i].petition_id != 0) {
			pc[k].petition_id = ops[i].petition_id;
			memcpy(pc[k++].country, country[i], 2);
		}
	qsort(pc, k, sizeof(*pc), petition_country_cmp);
	for (i = 0; i < k && q->st == STORE_OK; i += run) {
		for (run = 1; i + run < k &&
		     petition_country_cmp(&pc[i], &pc[i + run]) == 0;
		     run++)
			;
		country_add(q, pc[i].petition_id, pc[i].country, (int64_t)run);
	}
	free(pc);
}

/* One try of a whole batch in one transaction: each run of signing ops
 * between confirmations is the backend's to write, a confirmation is
 * written here, and then the counts move. */
static void
batch_try(struct q *q, struct write_op *ops, size_t n, struct delta *d,
    char (*country)[2])
{
	const struct store_backend *be = q->s->be;
	size_t i, j, end, nd = 0;

	for (i = 0; i < n; i++) {
		ops[i].petition_id = 0;
		ops[i].sig.seq = 0;
		ops[i].leaf_index = -1;
		ops[i].count_after = ops[i].log_size_after = 0;
	}
	q_begin(q, ST_BEGIN);
	if (q->st == STORE_OK && be->write_begin != NULL)
		q->st = be->write_begin(q->c, ops, n);
	for (i = 0; i < n && q->st == STORE_OK; i = end) {
		if (ops[i].kind == WRITE_SIGN) {
			for (end = i; end < n && ops[end].kind == WRITE_SIGN;
			     end++)
				;
			q->st = be->write_signs(q->c, ops, i, end);
		} else {
			end = i + 1;
			write_confirm(q, &ops[i], country[i]);
		}
	}
	if (q->st == STORE_DUPLICATE)
		q_fail(q, STORE_ERROR, "unexpected duplicate key");
	for (i = 0; i < n; i++) {
		if (ops[i].petition_id == 0)
			continue;
		for (j = 0; j < nd && d[j].petition_id != ops[i].petition_id;
		     j++)
			;
		if (j == nd) {
			d[nd].petition_id = ops[i].petition_id;
			d[nd++].n = 0;
		}
		d[j].n++;
	}
	for (i = 0; i < n; i++)
		if (ops[i].petition_id != 0 && ops[i].kind == WRITE_SIGN)
			log_country(ops[i].sig.country, country[i]);
	log_batch(q, ops, n, d, nd, country);
	for (j = 0; j < nd; j++)
		count_add(q, d[j].petition_id, d[j].n);
	batch_countries(q, ops, n, country);
	log_batch_counts(q, ops, n, d, nd);
	q_commit(q);
}

/* A batch that lost a lock race to another node (deadlock, serialisation)
 * is rolled back and tried again; a lost connection is not (the commit may
 * or may not have happened; the unique index makes the signer's retry
 * harmless). */
enum store_status
store_write_batch(struct store *s, struct write_op *ops, size_t n)
{
	char(*country)[2];
	struct arena *a;
	struct delta *d;
	struct q q;
	int tries;

	d = calloc(n ? n : 1, sizeof(*d));
	country = calloc(n ? n : 1, sizeof(*country));
	a = arena_new();
	if (d == NULL || country == NULL || a == NULL) {
		free(d);
		free(country);
		arena_free(a);
		return STORE_ERROR;
	}
	if (q_open(&q, s, a, "write_batch") == STORE_OK) {
		for (tries = 1;; tries++) {
			batch_try(&q, ops, n, d, country);
			if (q.st != STORE_UNAVAILABLE ||
			    tries >= s->be->write_tries)
				break;
			q.st = STORE_OK;
			(void)q_run(&q, ST_ROLLBACK, "");
			if (q.st != STORE_OK) {
				q.st = STORE_UNAVAILABLE;
				break;
			}
			q.tx = false;
			log_info("store",
			    "backend=%s op=write_batch event=retry try=%d",
			    s->be->name, tries + 1);
		}
		(void)q_close(&q);
	}
	free(d);
	free(country);
	arena_free(a);
	return q.st;
}

enum store_status
store_token_lookup(struct store *s, struct arena *a, const unsigned char *hash,
    struct token_info *out)
{
	return one(s, a, "token_lookup", read_token, out, ST_TOKEN_INFO, "h",
	    hash);
}

enum store_status
store_unsubscribe(struct store *s, const unsigned char *hash, int64_t now)
{
	int64_t changed = 0;
	enum store_status st =
	    exec(s, "unsubscribe", &changed, ST_UNSUBSCRIBE, "h", hash);

	(void)now;
	return found(st, changed);
}

/* ---- the outbox ---- */

/* On a single node every message 'sending' at start was left by a crash.
 * On a shared database, those this node claimed (it restarted: they were
 * in its hands) and those older than the lease (a node that never came
 * back). */
enum store_status
store_outbox_recover(struct store *s, int *n)
{
	int64_t changed = 0;
	enum store_status st =
	    exec(s, "outbox_recover", &changed, ST_OUTBOX_RECOVER, "it",
		s->be->shared ? (int64_t)time(NULL) - OUTBOX_LEASE : INT64_MAX,
		s->node);

	*n = (int)changed;
	return st;
}

static int
claimed_cmp(const void *a, const void *b)
{
	const struct outbox_msg *x = a, *y = b;

	if (x->next_at != y->next_at)
		return (x->next_at > y->next_at) - (x->next_at < y->next_at);
	return (x->id > y->id) - (x->id < y->id);
}

/* A single node never takes back its own messages in flight; on a shared
 * database a message 'sending' for longer than the lease is another's. */
enum store_status
store_outbox_claim(struct store *s, struct arena *a, int64_t now, size_t max,
    struct outbox_msg **out, size_t *n)
{
	enum store_status st;
	struct q q;

	*n = 0;
	/* An UPDATE … RETURNING: in the store's turn to write. */
	if ((st = q_open(&q, s, a, "outbox_claim")) != STORE_OK)
		return st;
	turn_take(&q);
	q_rows(&q,
	    q_run(&q, ST_OUTBOX_CLAIM, "iiit", now, (int64_t)max,
		s->be->shared ? now - OUTBOX_LEASE : INT64_MIN, s->node),
	    read_outbox_claimed, sizeof(**out), out, n);
	st = q_close(&q);
	if (st == STORE_OK)
		qsort(*out, *n, sizeof(**out), claimed_cmp);
	return st;
}

enum store_status
store_outbox_finish(struct store *s, int64_t id, enum outbox_state state,
    int64_t next_at, const char *error, int64_t now)
{
	if (state == OUTBOX_SENT)
		return exec(s, "outbox_sent", NULL, ST_OUTBOX_SENT, "ii", now,
		    id);
	return exec(s, "outbox_finish", NULL, ST_OUTBOX_RESCHEDULE, "titii",
	    outbox_state_name(state), next_at, error ? error : "", now, id);
}

enum store_status
store_outbox_finish_batch(struct store *s, const struct outbox_outcome *o,
    size_t n, int64_t now)
{
	struct q q;
	size_t i;

	if (n == 0)
		return STORE_OK;
	if (q_open(&q, s, NULL, "outbox_finish") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	for (i = 0; i < n && q.st == STORE_OK; i++) {
		if (o[i].state == OUTBOX_SENT)
			(void)q_run(&q, ST_OUTBOX_SENT, "ii", now, o[i].id);
		else
			(void)q_run(&q, ST_OUTBOX_RESCHEDULE, "titii",
			    outbox_state_name(o[i].state), o[i].next_at,
			    o[i].error ? o[i].error : "", now, o[i].id);
	}
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_outbox_list(struct store *s, struct arena *a, struct outbox_msg **out,
    size_t *n)
{
	return list(s, a, "outbox_list", read_outbox_listed, sizeof(**out), out,
	    n, ST_OUTBOX_LIST, "");
}

enum store_status
store_outbox_retry(struct store *s, int64_t id, int64_t now, int *n)
{
	int64_t changed = 0;
	enum store_status st = id == 0 ?
	    exec(s, "outbox_retry", &changed, ST_OUTBOX_RETRY_ALL, "i", now) :
	    exec(s, "outbox_retry", &changed, ST_OUTBOX_RETRY_ONE, "ii", now,
		id);

	*n = (int)changed;
	return st;
}

enum store_status
store_outbox_add(struct store *s, const struct outbox_new *m, int64_t now)
{
	return exec(s, "outbox_add", NULL, ST_OUTBOX_INSERT, "ttbi",
	    m->message_id, m->kind, (const void *)m->sealed, m->sealed_len, now);
}

/* ---- suppressed addresses ---- */

enum store_status
store_suppress_add(struct store *s,
    const unsigned char email_hash[STORE_HASH_BYTES], const char *reason,
    int64_t now)
{
	return exec(s, "suppress_add", NULL, ST_SUPPRESS_ADD, "hti", email_hash,
	    reason, now);
}

enum store_status
store_suppress_has(struct store *s,
    const unsigned char email_hash[STORE_HASH_BYTES])
{
	return one(s, NULL, "suppress_has", read_nothing, NULL, ST_SUPPRESS_HAS,
	    "h", email_hash);
}

enum store_status
store_suppress_find(struct store *s,
    const unsigned char (*hashes)[STORE_HASH_BYTES], size_t n, bool *found)
{
	struct q q;
	size_t i;

	for (i = 0; i < n; i++)
		found[i] = false;
	if (n == 0)
		return STORE_OK;
	if (q_open(&q, s, NULL, "suppress_find") != STORE_OK)
		return q.st;
	for (i = 0; i < n && q.st == STORE_OK; i++)
		found[i] = q_run(&q, ST_SUPPRESS_HAS, "h", hashes[i]) == 1;
	return q_close(&q);
}

enum store_status
store_suppress_list(struct store *s, struct arena *a, struct suppression **out,
    size_t *n)
{
	return list(s, a, "suppress_list", read_suppression, sizeof(**out), out,
	    n, ST_SUPPRESS_LIST, "");
}

enum store_status
store_suppress_delete(struct store *s,
    const unsigned char email_hash[STORE_HASH_BYTES], int *n)
{
	int64_t changed = 0;
	enum store_status st = exec(s, "suppress_delete", &changed,
	    ST_SUPPRESS_DELETE, "h", email_hash);

	*n = (int)changed;
	return st;
}

/* ---- review ---- */

enum store_status
store_trending(struct store *s, struct arena *a, int64_t petition_id,
    int64_t since, bool by_domain, struct trend_row **out, size_t *n)
{
	return list(s, a, "trending", read_trend, sizeof(**out), out, n,
	    by_domain ? ST_TREND_DOMAIN : ST_TREND_NET, "ii", petition_id,
	    since);
}

/* Countries log_country() tells apart: two capitals, and "--". */
#define COUNTRY_CODES (26 * 26 + 1)

/* Takes what invalidation id removed off its petition's country rows. */
static void
countries_invalidated(struct q *q, const struct invalidation *inv, int64_t id)
{
	struct {
		char c[2];
		int64_t n;
	} by[COUNTRY_CODES];
	size_t nby = 0, i;
	int64_t total = 0;
	char c[2];
	int r;

	if (q->st != STORE_OK)
		return;
	for (r = q_run(q, ST_COUNTRY_INVALIDATED, "i", id); r == 1;
	     r = q_next(q)) {
		log_country(row_str(q, 0), c);
		for (i = 0; i < nby && memcmp(by[i].c, c, 2) != 0; i++)
			;
		if (i == nby) { /* nby < COUNTRY_CODES: each code once */
			memcpy(by[nby].c, c, 2);
			by[nby++].n = 0;
		}
		by[i].n += row_int(q, 1);
	}
	for (i = 0; i < nby; i++) {
		country_add(q, inv->petition_id, by[i].c, -by[i].n);
		total += by[i].n;
	}
	if (q->st == STORE_OK && total != inv->uncounted)
		log_warn("store",
		    "op=invalidate petition=%lld by_country=%lld "
		    "uncounted=%lld note=\"country rows and count differ\"",
		    (long long)inv->petition_id, (long long)total,
		    (long long)inv->uncounted);
}

bool
store_invalidation_valid(const struct invalidation *inv)
{
	return inv->domain != NULL || inv->net != NULL || inv->from != 0 ||
	    inv->to != 0 || inv->nseqs > 0;
}

enum store_status
store_invalidate(struct store *s, struct invalidation *inv)
{
	char criteria[512], subject[64], detail[700];
	struct q q;
	int64_t id;

	if (!store_invalidation_valid(inv)) {
		log_error("store", "op=invalidate error=\"no criterion\"");
		return STORE_ERROR;
	}
	snprintf(criteria, sizeof(criteria),
	    "domain=%s net=%s from=%lld to=%lld list=%zu",
	    inv->domain ? inv->domain : "-", inv->net ? inv->net : "-",
	    (long long)inv->from, (long long)inv->to, inv->nseqs);
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)inv->petition_id);
	if (q_open(&q, s, NULL, "invalidate") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	id = q_id(&q, ST_INV_RECORD, "itttti", inv->petition_id, inv->reason,
	    criteria, inv->note ? inv->note : "", inv->actor, inv->now);
	if (q.st == STORE_OK)
		q.st = s->be->inv_mark(q.c, inv, id);
	(void)q_run(&q, ST_INV_REMOVED, "ii", inv->removed, id);
	count_add(&q, inv->petition_id, -inv->uncounted);
	countries_invalidated(&q, inv, id);
	log_removals(&q, inv, id);
	snprintf(detail, sizeof(detail),
	    "reason=%s %s removed=%lld uncounted=%lld", inv->reason, criteria,
	    (long long)inv->removed, (long long)inv->uncounted);
	(void)q_run(&q, ST_AUDIT, "itttt", inv->now, inv->actor, "invalidate",
	    subject, detail);
	q_commit(&q);
	if (q.st == STORE_DUPLICATE)
		q.st = STORE_ERROR;
	return q_close(&q);
}

enum store_status
store_removals(struct store *s, struct arena *a, int64_t petition_id,
    struct removal_row **out, size_t *n)
{
	return list(s, a, "removals", read_removal, sizeof(**out), out, n,
	    ST_REMOVALS, "i", petition_id);
}

enum store_status
store_audit(struct store *s, const char *actor, const char *action,
    const char *subject, const char *detail, int64_t now)
{
	return exec(s, "audit", NULL, ST_AUDIT, "itttt", now, actor, action,
	    subject ? subject : "", detail ? detail : "");
}

enum store_status
store_audit_list(struct store *s, struct arena *a, struct audit_row **out,
    size_t *n)
{
	return list(s, a, "audit_list", read_audit, sizeof(**out), out, n,
	    ST_AUDIT_LIST, "");
}

/* ---- accounts ---- */

enum store_status
store_user_create(struct store *s, const struct user_new *u, int64_t *id)
{
	struct q q;
	int64_t uid;

	if (q_open(&q, s, NULL, "user_create") != STORE_OK)
		return q.st;
	uid = q_id(&q, ST_USER_INSERT, "hbttzitt", u->email_hash,
	    (const void *)u->sealed, u->sealed_len, u->password,
	    user_role_name(u->role), u->verified ? u->now : (int64_t)0, u->now,
	    u->name ? u->name : "", u->lang ? u->lang : "en");
	if (q.st == STORE_OK)
		*id = uid;
	return q_close(&q);
}

enum store_status
store_user_by_id(struct store *s, struct arena *a, int64_t id, struct user *out)
{
	return one(s, a, "user", read_user, out, ST_USER_BY_ID, "i", id);
}

enum store_status
store_user_by_email(struct store *s, struct arena *a,
    const unsigned char *email_hash, struct user *out)
{
	return one(s, a, "user", read_user, out, ST_USER_BY_EMAIL, "h",
	    email_hash);
}

enum store_status
store_login_guard(struct store *s, const unsigned char *email_hash,
    int64_t *locked_until)
{
	struct q q;

	*locked_until = 0;
	if (q_open(&q, s, NULL, "login_guard") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_LOGIN_GUARD_GET, "h", email_hash) == 1)
		*locked_until = row_int(&q, 0);
	return q_close(&q);
}

enum store_status
store_login_guard_result(struct store *s, const unsigned char *email_hash,
    bool ok, int64_t now, int max_failed, int64_t lock_seconds)
{
	struct q q;

	if (ok)
		return exec(s, "login_guard", NULL, ST_LOGIN_GUARD_CLEAR, "h",
		    email_hash);
	if (q_open(&q, s, NULL, "login_guard") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_LOGIN_GUARD_FAILED, "hidi", email_hash, now,
	    max_failed, lock_seconds);
	(void)q_run(&q, ST_LOGIN_GUARD_PRUNE, "i", now - STORE_LOGIN_GUARD_KEEP);
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_session_create(struct store *s, const unsigned char *hash,
    int64_t user_id, int64_t now, int64_t expires)
{
	return exec(s, "session_create", NULL, ST_SESSION_INSERT, "hiii", hash,
	    user_id, now, expires);
}

enum store_status
store_session_user(struct store *s, struct arena *a, const unsigned char *hash,
    int64_t now, struct user *out)
{
	return one(s, a, "user", read_user, out, ST_SESSION_USER, "hi", hash,
	    now);
}

enum store_status
store_session_delete(struct store *s, const unsigned char *hash)
{
	return exec(s, "session_delete", NULL, ST_SESSION_DELETE, "h", hash);
}

enum store_status
store_user_token_create(struct store *s, const unsigned char *hash,
    enum user_token_purpose purpose, int64_t user_id, int64_t now,
    int64_t expires)
{
	return exec(s, "user_token_create", NULL, ST_USER_TOKEN_INSERT, "htiii",
	    hash, user_token_purpose_name(purpose), user_id, now, expires);
}

enum store_status
store_user_token_use(struct store *s, const unsigned char *hash,
    enum user_token_purpose purpose, bool consume, int64_t now, int64_t *user_id)
{
	struct q q;
	int r;

	if (q_open(&q, s, NULL, "user_token_use") != STORE_OK)
		return q.st;
	r = q_run(&q, consume ? ST_USER_TOKEN_CONSUME : ST_USER_TOKEN_PEEK,
	    "hti", hash, user_token_purpose_name(purpose), now);
	if (r == 1)
		*user_id = row_int(&q, 0);
	else if (r == 0)
		q.st = STORE_NOTFOUND;
	return q_close(&q);
}

enum store_status
store_user_verify(struct store *s, int64_t id, int64_t now)
{
	int64_t changed = 0;
	enum store_status st =
	    exec(s, "user_verify", &changed, ST_USER_VERIFY, "ii", id, now);

	return found(st, changed);
}

enum store_status
store_user_set_password(struct store *s, int64_t id, const char *password)
{
	struct q q;

	if (q_open(&q, s, NULL, "user_set_password") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_USER_PASSWORD, "it", id, password);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	(void)q_run(&q, ST_USER_SESSIONS_END, "i", id);
	/* Every other reset link of the account dies with the old password:
	 * one left in a mailbox would undo the new one. */
	(void)q_run(&q, ST_USER_RESET_TOKENS_END, "i", id);
	/* A new password ends the lock others' guesses caused. */
	(void)q_run(&q, ST_LOGIN_GUARD_CLEAR_USER, "i", id);
	q_commit(&q);
	return q_close(&q);
}

/* ---- guard: the second factor ---- */

enum store_status
store_totp_get(struct store *s, struct arena *a, int64_t user_id,
    struct user_totp *out)
{
	struct q q;
	int r;

	memset(out, 0, sizeof(*out));
	if (q_open(&q, s, a, "totp_get") != STORE_OK)
		return q.st;
	if ((r = q_run(&q, ST_TOTP_GET, "i", user_id)) == 1) {
		out->sealed = row_blob(&q, 0, &out->sealed_len);
		out->enabled_at = row_int(&q, 1);
		out->last_step = row_int(&q, 2);
		out->failed = (int)row_int(&q, 3);
		out->locked_until = row_int(&q, 4);
		if (out->sealed == NULL)
			q.st = STORE_ERROR;
	} else if (r == 0) {
		q.st = STORE_NOTFOUND;
	}
	return q_close(&q);
}

enum store_status
store_totp_begin(struct store *s, int64_t user_id, const unsigned char *sealed,
    size_t len, int64_t now)
{
	return exec(s, "totp_begin", NULL, ST_TOTP_BEGIN, "ibi", user_id,
	    sealed, len, now);
}

enum store_status
store_totp_enable(struct store *s, int64_t user_id, int64_t step, int64_t now,
    const unsigned char (*hashes)[32], size_t n)
{
	struct q q;
	size_t i;

	if (q_open(&q, s, NULL, "totp_enable") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_TOTP_ENABLE, "iii", user_id, now, step);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	(void)q_run(&q, ST_RECOVERY_CLEAR, "i", user_id);
	for (i = 0; i < n; i++)
		(void)q_run(&q, ST_RECOVERY_INSERT, "hi", hashes[i], user_id);
	/* As a new password does: a session begun without the second factor
	 * (one a thief holds) ends with its enrolment. */
	(void)q_run(&q, ST_USER_SESSIONS_END, "i", user_id);
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_totp_accept(struct store *s, int64_t user_id, int64_t step)
{
	enum store_status st;
	int64_t n = 0;

	st = exec(s, "totp_accept", &n, ST_TOTP_ACCEPT, "ii", user_id, step);
	return found(st, n);
}

enum store_status
store_totp_failed(struct store *s, int64_t user_id, int64_t now, int max_failed,
    int64_t lock_seconds)
{
	return exec(s, "totp_failed", NULL, ST_TOTP_FAILED, "iidi", user_id,
	    now, max_failed, lock_seconds);
}

enum store_status
store_recovery_use(struct store *s, int64_t user_id, const unsigned char *hash,
    int64_t now)
{
	enum store_status st;
	int64_t n = 0;

	st = exec(s, "recovery_use", &n, ST_RECOVERY_USE, "hii", hash, user_id,
	    now);
	return found(st, n);
}

enum store_status
store_totp_reset(struct store *s, int64_t user_id)
{
	enum store_status st;
	struct q q;
	int64_t n;

	if (q_open(&q, s, NULL, "totp_reset") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_TOTP_DELETE, "i", user_id);
	n = q.changes;
	(void)q_run(&q, ST_RECOVERY_CLEAR, "i", user_id);
	q_commit(&q);
	st = q_close(&q);
	return found(st, n);
}

/* ---- updates ---- */

enum store_status
store_update_create(struct store *s, const struct update *u, int64_t *id)
{
	struct q q;
	int64_t uid;

	if (q_open(&q, s, NULL, "update_create") != STORE_OK)
		return q.st;
	uid = q_id(&q, ST_UPDATE_INSERT, "itttti", u->petition_id,
	    update_kind_name(u->kind), u->author ? u->author : "", u->title,
	    u->body_md, u->created_at);
	if (q.st == STORE_OK)
		*id = uid;
	return q_close(&q);
}

enum store_status
store_update_list(struct store *s, struct arena *a, int64_t petition_id,
    struct update **out, size_t *n)
{
	return list(s, a, "update_list", read_update, sizeof(**out), out, n,
	    ST_UPDATE_LIST, "i", petition_id);
}

enum store_status
store_update_mail_next(struct store *s, struct arena *a, struct update *out)
{
	return one(s, a, "update_mail_next", read_update, out,
	    ST_UPDATE_MAIL_NEXT, "");
}

enum store_status
store_update_recipients(struct store *s, struct arena *a, int64_t petition_id,
    int64_t after_id, int64_t created_before, size_t max,
    struct recipient **out, size_t *n)
{
	return list(s, a, "update_recipients", read_recipient, sizeof(**out),
	    out, n, ST_UPDATE_RECIPIENTS, "iiii", petition_id, after_id,
	    created_before, max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

/* The cursor update decides: of two nodes queuing the same batch, the
 * second waits for the first's commit, finds the cursor moved and writes
 * nothing. */
enum store_status
store_update_mail_commit(struct store *s, int64_t update_id, int64_t old_cursor,
    int64_t new_cursor, bool done, const struct update_mail *msgs, size_t n,
    int64_t now)
{
	struct q q;

	if (q_open(&q, s, NULL, "update_mail_commit") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_UPDATE_CURSOR, "iiidi", update_id, old_cursor,
	    new_cursor, done, (int64_t)n);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_DUPLICATE;
	if (q.st == STORE_OK && n > 0 &&
	    (q.st = s->be->mail_rows(q.c, msgs, n, now)) == STORE_DUPLICATE) {
		/* A key taken already (a Message-ID, a token) is an error
		 * here: only a moved cursor means "queued elsewhere". */
		q.st = STORE_OK;
		q_fail(&q, STORE_ERROR, "unexpected duplicate key");
	}
	q_commit(&q);
	return q_close(&q);
}

/* The three reads of one snapshot, so the figures agree. */
enum store_status
store_petition_stats(struct store *s, struct arena *a, int64_t petition_id,
    struct petition_stats *out)
{
	struct petition_stats ps;
	struct q q;
	int r;

	memset(&ps, 0, sizeof(ps));
	if (q_open(&q, s, a, "petition_stats") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN_SNAPSHOT);
	for (r = q_run(&q, ST_STATS_STATES, "i", petition_id); r == 1;
	     r = q_next(&q)) {
		switch (signature_state_parse(row_str(&q, 0))) {
		case SIGNATURE_PENDING: ps.pending = row_int(&q, 1); break;
		case SIGNATURE_CONFIRMED: ps.confirmed = row_int(&q, 1); break;
		case SIGNATURE_INVALID: ps.invalid = row_int(&q, 1); break;
		default: break;
		}
	}
	q_rows(&q, q_run(&q, ST_STATS_DAYS, "i", petition_id), read_day,
	    sizeof(*ps.days), &ps.days, &ps.ndays);
	q_rows(&q, q_run(&q, ST_STATS_COUNTRIES, "i", petition_id),
	    read_country, sizeof(*ps.countries), &ps.countries, &ps.ncountries);
	if (q.st == STORE_OK)
		*out = ps;
	return q_close(&q);
}

enum store_status
store_signers_public(struct store *s, struct arena *a, int64_t petition_id,
    int64_t after_seq, size_t max, struct signer_row **out, size_t *n)
{
	return list(s, a, "signers_public", read_signer, sizeof(**out), out, n,
	    ST_SIGNERS_PUBLIC, "iii", petition_id, after_seq,
	    max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

/* ---- the verifiable log: reads, heads, the build ---- */

enum store_status
store_log_count(struct store *s, int64_t petition_id, int64_t *count,
    int64_t *log_size)
{
	struct q q;

	if (q_open(&q, s, NULL, "log_count") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_LOG_COUNT, "i", petition_id) == 1) {
		*count = row_int(&q, 0);
		*log_size = row_int(&q, 1);
	}
	return q_close(&q);
}

/* Copies a hash column into out; -1 (the operation fails) when it is not
 * len bytes. A NULL column leaves out zero. */
static int
row_hash(struct q *q, int col, unsigned char *out, size_t len)
{
	const unsigned char *p;
	size_t n;

	memset(out, 0, len);
	p = row_blob(q, col, &n);
	if (p == NULL)
		return q->st == STORE_OK ? 0 : -1;
	if (n != len)
		return q_fail(q, STORE_ERROR, "a log hash has a wrong size");
	memcpy(out, p, len);
	return 0;
}

enum store_status
store_log_tree(struct store *s, int64_t petition_id, struct log_tree *out)
{
	struct arena *a;
	struct q q;
	int r;

	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	memset(out, 0, sizeof(*out));
	if (q_open(&q, s, a, "log_tree") == STORE_OK) {
		r = q_run(&q, ST_LOG_TREE_GET, "i", petition_id);
		if (r == 0)
			q.st = STORE_NOTFOUND;
		if (r == 1) {
			out->petition_id = petition_id;
			out->size = row_int(&q, 0);
			(void)row_hash(&q, 1, out->root, sizeof(out->root));
			out->sth_size = row_int(&q, 2);
			out->sth_timestamp = row_int(&q, 3);
			(void)row_hash(&q, 4, out->sth_root,
			    sizeof(out->sth_root));
			(void)row_hash(&q, 5, out->sth_signature,
			    sizeof(out->sth_signature));
		}
		(void)q_close(&q);
	}
	arena_free(a);
	return q.st;
}

static int
read_log_tree(struct q *q, void *out)
{
	struct log_tree *t = out;

	t->petition_id = row_int(q, 0);
	t->size = row_int(q, 1);
	t->sth_size = -1;
	return row_hash(q, 2, t->root, sizeof(t->root));
}

enum store_status
store_log_unsigned(struct store *s, struct arena *a, size_t max,
    struct log_tree **out, size_t *n)
{
	return list(s, a, "log_unsigned", read_log_tree, sizeof(**out), out, n,
	    ST_LOG_UNSIGNED, "i", max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

enum store_status
store_log_sign(struct store *s, int64_t petition_id, int64_t size,
    int64_t timestamp, const unsigned char root[32],
    const unsigned char signature[64])
{
	unsigned char again[MERKLE_HASH_BYTES];
	struct merkle_store st;
	struct log_nodes l;
	struct arena *a;
	struct q q;

	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if (q_open(&q, s, a, "log_sign") == STORE_OK) {
		st = log_store(&l, &q, petition_id);
		if (merkle_root(&st, (uint64_t)size, again) == -1)
			q_fail(&q, STORE_ERROR, "the log's root cannot be read");
		else if (memcmp(again, root, sizeof(again)) != 0)
			q_fail(&q, STORE_ERROR,
			    "the log's nodes do not give its root");
		(void)q_run(&q, ST_LOG_STH_SET, "iiibb", petition_id, size,
		    timestamp, root, (size_t)MERKLE_HASH_BYTES, signature,
		    (size_t)64);
		(void)q_close(&q);
	}
	arena_free(a);
	return q.st;
}

static int
read_log_entry(struct q *q, void *out)
{
	struct log_entry *e = out;

	e->input = row_blob(q, 0, &e->len);
	return e->input != NULL ? 0 : -1;
}

enum store_status
store_log_entries(struct store *s, struct arena *a, int64_t petition_id,
    int64_t start, int64_t end, struct log_entry **out, size_t *n)
{
	return list(s, a, "log_entries", read_log_entry, sizeof(**out), out, n,
	    ST_LOG_ENTRIES, "iii", petition_id, start, end);
}

/* Opens q for a proof of the first size leaves of the petition's log and
 * makes st its nodes. STORE_NOTFOUND when the log is smaller. */
static enum store_status
log_proof_open(struct q *q, struct store *s, struct arena *a,
    struct log_nodes *l, struct merkle_store *st, int64_t petition_id,
    int64_t size)
{
	if (q_open(q, s, a, "log_proof") != STORE_OK)
		return q->st;
	if (q_run(q, ST_LOG_COUNT, "i", petition_id) == 1 &&
	    row_int(q, 1) < size)
		q->st = STORE_NOTFOUND;
	*st = log_store(l, q, petition_id);
	return q->st;
}

enum store_status
store_log_proof(struct store *s, int64_t petition_id, int64_t index,
    int64_t size, unsigned char (*path)[32], size_t *len)
{
	struct merkle_store st;
	struct log_nodes l;
	struct arena *a;
	struct q q;

	if (index < 0 || index >= size)
		return STORE_NOTFOUND;
	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if (log_proof_open(&q, s, a, &l, &st, petition_id, size) == STORE_OK &&
	    merkle_inclusion_proof(&st, (uint64_t)index, (uint64_t)size, path,
		len) == -1)
		q_fail(&q, STORE_ERROR, "no audit path");
	(void)q_close(&q);
	arena_free(a);
	return q.st;
}

enum store_status
store_log_consistency(struct store *s, int64_t petition_id, int64_t first,
    int64_t second, unsigned char (*proof)[32], size_t *len)
{
	struct merkle_store st;
	struct log_nodes l;
	struct arena *a;
	struct q q;

	if (first <= 0 || first > second)
		return STORE_NOTFOUND;
	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if (log_proof_open(&q, s, a, &l, &st, petition_id, second) == STORE_OK &&
	    merkle_consistency_proof(&st, (uint64_t)first, (uint64_t)second,
		proof, len) == -1)
		q_fail(&q, STORE_ERROR, "no consistency proof");
	(void)q_close(&q);
	arena_free(a);
	return q.st;
}

/* Leaves past the hash index that a lookup by hash scans at most: a
 * second of signing fits many times over; a catch-up's backlog (after an
 * upgrade) does not, and a lookup that could be in it is answered
 * "unavailable" rather than left to scan millions of leaves. */
#ifndef LOG_FIND_TAIL
#define LOG_FIND_TAIL 100000
#endif

enum store_status
store_log_find(struct store *s, int64_t petition_id,
    const unsigned char hash[32], int64_t size, int64_t *index)
{
	struct q q;

	if (q_open(&q, s, NULL, "log_find") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_LOG_FIND, "ihibi", petition_id, hash, size, hash,
		(size_t)LOG_HASH_PREFIX, (int64_t)LOG_FIND_TAIL) == 1) {
		*index = row_int(&q, 0);
		/* Not found, but perhaps in the leaves not scanned. */
		if (*index < 0 && row_int(&q, 1) > LOG_FIND_TAIL) {
			log_warn("store",
			    "op=log_find petition=%lld unindexed=%lld "
			    "note=\"the hash index is catching up\"",
			    (long long)petition_id, (long long)row_int(&q, 1));
			q.st = STORE_UNAVAILABLE;
		} else if (*index < 0) {
			q.st = STORE_NOTFOUND;
		}
	}
	return q_close(&q);
}

/* Leaves one transaction of store_log_hash() indexes at most, and how
 * long one call goes on indexing: a chunk holds the write lock for a few
 * hundred milliseconds at most (its index entries are random, so a
 * smaller one writes each index page for fewer of them: 10,000 indexed
 * half as many a second), signatures and other writes slip in between,
 * and a long catch-up (a log built by an upgrade) leaves the caller time
 * to sign tree heads. */
#define LOG_HASH_CHUNK 25000
#define LOG_HASH_BUDGET_MS 800
/* A backlog of no more than LOG_HASH_CHUNK (the few seconds of signing
 * since the last call) is indexed in slices of about this many
 * microseconds each: signatures wait for the write lock behind each
 * transaction, and a second of signing at 2,000/s into an index of a few
 * hundred thousand entries took 40-110 ms in one (docs/performance.md).
 * Slices write some index pages twice or more in a second: about half
 * as many pages again at that size, fewer on a larger index. */
#define LOG_HASH_SLICE_US 4000
#define LOG_HASH_SLICE_MIN 32

/* What indexing one leaf took lately, in nanoseconds (0: not measured
 * yet): the size of the next slice. Shared by the process's stores; a
 * guess off by a few times only makes slices longer or shorter. */
static _Atomic int64_t log_hash_ns;

/* The leaves of the next slice. */
static int64_t
log_hash_slice(void)
{
	int64_t ns = atomic_load_explicit(&log_hash_ns, memory_order_relaxed);
	int64_t n = ns > 0 ? (int64_t)LOG_HASH_SLICE_US * 1000 / ns : 256;

	return n < LOG_HASH_SLICE_MIN ? LOG_HASH_SLICE_MIN :
	    n > LOG_HASH_CHUNK	      ? LOG_HASH_CHUNK :
					n;
}

/* Indexes one slice, or up to LOG_HASH_CHUNK of a larger backlog, of one
 * petition's leaves after its watermark in one transaction, adding how
 * many to *added. Returns whether leaves are left after it. */
static bool
log_hash_one(struct q *q, int64_t petition_id, int64_t *added)
{
	int64_t from = 0, to = 0, size = 0, n, t0 = mono_us();

	q_begin(q, ST_BEGIN);
	/* Nothing when the log is gone or another node caught up. */
	if (q_run(q, ST_LOG_HASH_LOCK, "i", petition_id) == 1 &&
	    (from = row_int(q, 0)) < (size = row_int(q, 1))) {
		n = size - from > LOG_HASH_CHUNK ? LOG_HASH_CHUNK :
						   log_hash_slice();
		to = size - from > n ? from + n : size;
		(void)q_run(q, ST_LOG_HASH_ADD, "iii", petition_id, from, to);
		(void)q_run(q, ST_LOG_HASHED_SET, "ii", petition_id, to);
	}
	q_commit(q); /* on failure q_close() rolls back */
	if (q->st != STORE_OK || to <= from)
		return false;
	*added += to - from;
	/* A slice's cost a leaf, weighed in gently (a chunk's is lower). */
	if (to - from < LOG_HASH_CHUNK) {
		int64_t ns = (mono_us() - t0) * 1000 / (to - from);
		int64_t old =
		    atomic_load_explicit(&log_hash_ns, memory_order_relaxed);

		atomic_store_explicit(&log_hash_ns,
		    old > 0 ? (old * 3 + ns) / 4 : ns, memory_order_relaxed);
	}
	return to < size;
}

enum store_status
store_log_hash(struct store *s, size_t max, int64_t *added)
{
	int64_t *ids = NULL, start;
	struct arena *a;
	size_t n = 0, i;
	struct q q;

	*added = 0;
	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if (list(s, a, "log_unhashed", read_id, sizeof(*ids), &ids, &n,
		ST_LOG_UNHASHED, "i",
		max > INT64_MAX ? INT64_MAX : (int64_t)max) != STORE_OK ||
	    n == 0) {
		arena_free(a);
		return n == 0 ? STORE_OK : STORE_ERROR;
	}
	start = mono_ms();
	if (q_open(&q, s, a, "log_hash") == STORE_OK)
		for (i = 0; i < n && q.st == STORE_OK; i++)
			/* A log's chunks and slices while time is left;
			 * the write turn goes to whoever waits between
			 * them (turn_take()). */
			while (log_hash_one(&q, ids[i], added) &&
			    mono_ms() - start < LOG_HASH_BUDGET_MS)
				;
	(void)q_close(&q);
	arena_free(a);
	return q.st;
}

/* Builds one petition's log in its own transaction; nothing when another
 * process has begun it meanwhile. */
static void
log_build_one(struct q *q, int64_t petition_id)
{
	struct translog_leaf *leaves;
	int64_t *seqs, size, after, total = 0;
	const char *reason;
	size_t n;
	int r, code;

	leaves = calloc(LOG_CHUNK, sizeof(*leaves));
	seqs = calloc(LOG_CHUNK, sizeof(*seqs));
	if (leaves == NULL || seqs == NULL) {
		q_fail(q, STORE_ERROR, "out of memory");
		goto done;
	}
	q_begin(q, ST_BEGIN);
	if ((size = log_lock(q, petition_id)) != 0)
		goto commit; /* failed, or built by another process */
	for (after = 0;;) {
		n = 0;
		for (r = q_run(q, ST_LOG_COUNTED, "iii", petition_id, after,
			 (int64_t)LOG_CHUNK);
		     r == 1; r = q_next(q)) {
			memset(&leaves[n], 0, sizeof(leaves[n]));
			leaves[n].type = TRANSLOG_LEAF_SIGNATURE;
			seqs[n] = after = row_int(q, 0);
			log_country(row_str(q, 1), leaves[n].country);
			leaves[n].timestamp = (uint64_t)row_int(q, 2) * 1000;
			/* A receipt no one holds: nobody can open it. */
			randombytes_buf(leaves[n].commitment,
			    TRANSLOG_COMMITMENT_BYTES);
			n++;
		}
		if (q->st != STORE_OK || n == 0 ||
		    log_append(q, petition_id, total, leaves, seqs, n) == -1)
			break;
		total += (int64_t)n;
	}
	for (after = -1; q->st == STORE_OK;) {
		n = 0;
		for (r = q_run(q, ST_LOG_INVALID, "iii", petition_id, after,
			 (int64_t)LOG_CHUNK);
		     r == 1; r = q_next(q)) {
			memset(&leaves[n], 0, sizeof(leaves[n]));
			leaves[n].type = TRANSLOG_LEAF_REMOVAL;
			after = row_int(q, 0);
			leaves[n].removed_index = (uint64_t)after;
			reason = row_str(q, 1);
			code = translog_reason_parse(reason, strlen(reason));
			leaves[n].reason = code < 0 ?
			    TRANSLOG_REASON_OTHER :
			    (enum translog_reason)code;
			leaves[n].timestamp = (uint64_t)row_int(q, 2) * 1000;
			n++;
		}
		if (q->st != STORE_OK || n == 0 ||
		    log_append(q, petition_id, total, leaves, NULL, n) == -1)
			break;
		total += (int64_t)n;
	}
commit:
	q_commit(q);
	if (q->st == STORE_OK && size == 0)
		log_info("store", "op=log_build petition=%lld leaves=%lld",
		    (long long)petition_id, (long long)total);
done:
	free(leaves);
	free(seqs);
}

enum store_status
store_log_build(struct store *s, int *built)
{
	struct arena *a;
	int64_t *ids = NULL, *bigger;
	size_t n = 0, cap = 0, i;
	struct q q;
	int r;

	*built = 0;
	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if (q_open(&q, s, a, "log_build") != STORE_OK) {
		arena_free(a);
		return q.st;
	}
	for (r = q_run(&q, ST_LOG_MISSING, ""); r == 1; r = q_next(&q)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((bigger = realloc(ids, cap * sizeof(*ids))) == NULL) {
				q_fail(&q, STORE_ERROR, "out of memory");
				break;
			}
			ids = bigger;
		}
		ids[n++] = row_int(&q, 0);
	}
	for (i = 0; i < n && q.st == STORE_OK; i++) {
		log_build_one(&q, ids[i]);
		if (q.st == STORE_OK)
			(*built)++;
	}
	free(ids);
	(void)q_close(&q);
	arena_free(a);
	return q.st;
}

/* ---- privacy: retention ---- */

enum store_status
store_retain_due(struct store *s, struct arena *a, int64_t cutoff,
    int64_t **ids, size_t *n)
{
	return list(s, a, "retain_due", read_id, sizeof(**ids), ids, n,
	    ST_RETAIN_DUE, "i", cutoff);
}

enum store_status
store_retain_petition(struct store *s, int64_t petition_id, int batch,
    int64_t now, int64_t *erased, bool *done)
{
	char subject[64];
	struct q q;
	int64_t changed;

	*erased = 0;
	*done = false;
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)petition_id);
	if (q_open(&q, s, NULL, "retain_petition") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_RETAIN_SIGNATURES, "id", petition_id, batch);
	changed = q.changes;
	/* The last batch: the links go too, and the petition is marked. */
	if (q.st == STORE_OK && changed < batch) {
		(void)q_run(&q, ST_RETAIN_TOKENS, "i", petition_id);
		/* paper: the scans show the paper signers' names. */
		(void)q_run(&q, ST_RETAIN_PAPER_SCANS, "i", petition_id);
		(void)q_run(&q, ST_RETAIN_MARK, "ii", petition_id, now);
		(void)q_run(&q, ST_AUDIT, "itttt", now, "system", "retain",
		    subject, "signers' personal data erased");
		*done = true;
	}
	q_commit(&q);
	if (q.st == STORE_OK)
		*erased = changed;
	else
		*done = false;
	return q_close(&q);
}

enum store_status
store_retain_outbox(struct store *s, int64_t cutoff, int64_t *deleted)
{
	return exec(s, "retain_outbox", deleted, ST_RETAIN_OUTBOX, "i", cutoff);
}

enum store_status
store_compact(struct store *s)
{
	return exec(s, "compact", NULL, ST_CHECKPOINT, "");
}

enum store_status
store_checkpoint(struct store *s, int64_t *frames, int64_t *copied)
{
	struct q q;

	*frames = *copied = 0;
	/* Not in the turn to write: the point is that the writer goes on. */
	if (q_open(&q, s, NULL, "checkpoint") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_WAL_CHECKPOINT, "") == 1) {
		*frames = row_int(&q, 1);
		*copied = row_int(&q, 2);
	}
	return q_close(&q);
}
/* Delivery. */

enum store_status
store_deliver_signers(struct store *s, struct arena *a, int64_t petition_id,
    int64_t after_seq, size_t max, struct signer_row **out, size_t *n)
{
	return list(s, a, "deliver_signers", read_deliver_signer, sizeof(**out),
	    out, n, ST_DELIVER_SIGNERS, "iii", petition_id, after_seq,
	    max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

enum store_status
store_export_signers(struct store *s, struct arena *a, int64_t petition_id,
    int64_t after_seq, size_t max, struct signer_row **out, size_t *n)
{
	return list(s, a, "export_signers", read_deliver_signer, sizeof(**out),
	    out, n, ST_EXPORT_SIGNERS, "iii", petition_id, after_seq,
	    max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

enum store_status
store_deliver_signers_count(struct store *s, int64_t petition_id, int64_t *n)
{
	struct q q;

	if (q_open(&q, s, NULL, "deliver_signers_count") != STORE_OK)
		return q.st;
	*n = q_run(&q, ST_DELIVER_SIGNERS_COUNT, "i", petition_id) == 1 ?
	    row_int(&q, 0) :
	    0;
	return q_close(&q);
}

enum store_status
store_signature_withdraw(struct store *s, const unsigned char *token_hash,
    int64_t now, struct withdrawal *out)
{
	unsigned char random_hash[STORE_HASH_BYTES];
	struct translog_leaf leaf;
	char subject[64], detail[64], country[2];
	const char *state;
	int64_t id, size;
	struct q q;

	memset(out, 0, sizeof(*out));
	/* The address's hash goes with the rest: the same address may sign
	 * again. */
	randombytes_buf(random_hash, sizeof(random_hash));
	if (q_open(&q, s, NULL, "withdraw") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	if (q_run(&q, ST_WITHDRAW_FIND, "h", token_hash) != 1) {
		if (q.st == STORE_OK)
			q.st = STORE_NOTFOUND;
		return q_close(&q);
	}
	id = row_int(&q, 0);
	out->petition_id = row_int(&q, 1);
	out->seq = row_int(&q, 2);
	state = row_str(&q, 3);
	log_country(row_str(&q, 4), country);
	out->counted = strcmp(state, "confirmed") == 0;
	if (!out->counted && strcmp(state, "pending") != 0) {
		q.st = STORE_NOTFOUND; /* withdrawn or removed already */
		return q_close(&q);
	}
	(void)q_run(&q, ST_WITHDRAW_MARK, "ith", id,
	    out->counted ? "confirmed" : "pending", random_hash);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	if (out->counted) {
		count_add(&q, out->petition_id, -1);
		country_add(&q, out->petition_id, country, -1);
		/* With the verifiable log, a removal leaf says why it left. */
		if (q_run(&q, ST_WITHDRAW_LEAF, "ii", out->petition_id,
			out->seq) == 1) {
			memset(&leaf, 0, sizeof(leaf));
			leaf.type = TRANSLOG_LEAF_REMOVAL;
			leaf.timestamp = (uint64_t)log_now_ms();
			leaf.removed_index = (uint64_t)row_int(&q, 0);
			leaf.reason = TRANSLOG_REASON_WITHDRAWN;
			if ((size = log_lock(&q, out->petition_id)) != -1)
				(void)log_append(&q, out->petition_id, size,
				    &leaf, NULL, 1);
			out->removal_leaf = q.st == STORE_OK;
		}
	}
	(void)q_run(&q, ST_WITHDRAW_TOKENS, "i", id);
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)out->petition_id);
	snprintf(detail, sizeof(detail), "signature %lld withdrawn",
	    (long long)out->seq);
	(void)q_run(&q, ST_AUDIT, "itttt", now, "signer", "withdraw", subject,
	    detail);
	q_commit(&q);
	if (q.st != STORE_OK)
		memset(out, 0, sizeof(*out));
	return q_close(&q);
}

/* ---- spread: counts by country, the petition image ---- */

enum store_status
store_petition_countries(struct store *s, struct arena *a, int64_t petition_id,
    struct country_row **out, size_t *n)
{
	return list(s, a, "petition_countries", read_country, sizeof(**out),
	    out, n, ST_STATS_COUNTRIES, "i", petition_id);
}

enum store_status
store_image_put(struct store *s, const struct petition_image *img)
{
	struct q q;
	size_t i;

	if (img->nfiles > STORE_IMAGE_FILES)
		return STORE_ERROR;
	if (q_open(&q, s, NULL, "image_put") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_IMAGE_UPSERT, "itdd", img->petition_id, img->alt,
	    img->width, img->height);
	(void)q_run(&q, ST_IMAGE_FILES_DELETE, "i", img->petition_id);
	for (i = 0; i < img->nfiles; i++) {
		const struct image_file *f = &img->files[i];

		(void)q_run(&q, ST_IMAGE_FILE_INSERT, "ittddb",
		    img->petition_id, f->name, f->mime, f->width, f->height,
		    (const void *)f->data, f->len);
	}
	q_commit(&q);
	return q_close(&q);
}

static int
read_image_file(struct q *q, void *out)
{
	struct image_file *f = out;

	memset(f, 0, sizeof(*f));
	f->name = row_text(q, 0);
	f->mime = row_text(q, 1);
	f->width = (int)row_int(q, 2);
	f->height = (int)row_int(q, 3);
	return 0;
}

static int
read_image_file_data(struct q *q, void *out)
{
	struct image_file *f = out;

	(void)read_image_file(q, out);
	f->data = row_blob(q, 4, &f->len);
	return f->data != NULL ? 0 : -1;
}

enum store_status
store_image_get(struct store *s, struct arena *a, int64_t petition_id,
    struct petition_image *out)
{
	struct image_file *files = NULL;
	struct q q;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (q_open(&q, s, a, "image_get") != STORE_OK)
		return q.st;
	r = q_run(&q, ST_IMAGE_GET, "i", petition_id);
	if (r == 0 && q.st == STORE_OK)
		q.st = STORE_NOTFOUND;
	if (r == 1) {
		out->petition_id = petition_id;
		out->alt = row_text(&q, 0);
		out->width = (int)row_int(&q, 1);
		out->height = (int)row_int(&q, 2);
		out->version = row_int(&q, 3);
		q_rows(&q, q_run(&q, ST_IMAGE_FILES, "i", petition_id),
		    read_image_file, sizeof(*files), &files, &n);
		if (q.st == STORE_OK) {
			if (n > STORE_IMAGE_FILES)
				n = STORE_IMAGE_FILES;
			if (n > 0)
				memcpy(out->files, files, n * sizeof(*files));
			out->nfiles = n;
		}
	}
	return q_close(&q);
}

enum store_status
store_image_file(struct store *s, struct arena *a, int64_t petition_id,
    const char *name, struct image_file *out)
{
	return one(s, a, "image_file", read_image_file_data, out, ST_IMAGE_FILE,
	    "it", petition_id, name);
}

/* ---- social: drafts ---- */

enum store_status
store_draft_same(struct store *s, struct arena *a, int64_t owner_id,
    const char *title, const char *body_md, int64_t *id, const char **slug,
    enum petition_state *state)
{
	struct q q;
	int r;

	if (q_open(&q, s, a, "draft_same") != STORE_OK)
		return q.st;
	r = q_run(&q, ST_DRAFT_SAME, "itt", owner_id, title, body_md);
	if (r == 0)
		q.st = STORE_NOTFOUND;
	if (r == 1) {
		*id = row_int(&q, 0);
		*slug = row_text(&q, 1);
		*state = petition_state_parse(row_str(&q, 2));
	}
	return q_close(&q);
}

enum store_status
store_draft_delete(struct store *s, int64_t id, int64_t owner_id,
    const char *actor, int64_t now)
{
	char subject[64];
	struct q q;

	snprintf(subject, sizeof(subject), "petition:%lld", (long long)id);
	if (q_open(&q, s, NULL, "draft_delete") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_DRAFT_DELETE_TRANSITIONS, "ii", id, owner_id);
	(void)q_run(&q, ST_DRAFT_DELETE, "ii", id, owner_id);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	(void)q_run(&q, ST_AUDIT, "itttt", now, actor, "petition_deleted",
	    subject, "");
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_addressee_emails(struct store *s, struct arena *a, int64_t petition_id,
    struct addressee_email **out, size_t *n)
{
	return list(s, a, "addressee_emails", read_addressee_email,
	    sizeof(**out), out, n, ST_ADDRESSEE_EMAILS, "i", petition_id);
}

enum store_status
store_addressee_email_set(struct store *s, int64_t petition_id, int pos,
    const unsigned char *sealed, size_t len)
{
	int64_t changes = 0;
	enum store_status st;

	st = exec(s, "addressee_email_set", &changes, ST_ADDRESSEE_EMAIL_SET,
	    "idb", petition_id, pos, (const void *)sealed, len);
	return st == STORE_OK && changes == 0 ? STORE_NOTFOUND : st;
}

enum store_status
store_deliver(struct store *s, int64_t petition_id,
    const struct delivery_new *d, size_t n, int64_t count, int64_t now,
    int64_t expires, const char *actor, size_t *made)
{
	char subject[64], detail[64];
	struct q q;
	size_t i, k = 0;

	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)petition_id);
	if (q_open(&q, s, NULL, "deliver") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	for (i = 0; i < n && q.st == STORE_OK; i++) {
		(void)q_run(&q, ST_DELIVERY_INSERT, "idthiii", petition_id,
		    d[i].pos, d[i].name, d[i].token_hash, count, now, expires);
		if (q.st != STORE_OK || q.changes == 0)
			continue; /* delivered to this addressee before */
		(void)q_run(&q, ST_OUTBOX_INSERT, "ttbi", d[i].mail.message_id,
		    d[i].mail.kind, (const void *)d[i].mail.sealed,
		    d[i].mail.sealed_len, now);
		k++;
	}
	if (k > 0) {
		(void)q_run(&q, ST_PETITION_DELIVERED, "ii", petition_id, now);
		snprintf(detail, sizeof(detail), "addressees=%zu count=%lld", k,
		    (long long)count);
		(void)q_run(&q, ST_AUDIT, "itttt", now, actor,
		    "petition_delivered", subject, detail);
	}
	q_commit(&q);
	if (q.st == STORE_OK)
		*made = k;
	return q_close(&q);
}

enum store_status
store_delivery_by_token(struct store *s, struct arena *a,
    const unsigned char *hash, struct delivery *out)
{
	return one(s, a, "delivery_by_token", read_delivery, out,
	    ST_DELIVERY_BY_TOKEN, "h", hash);
}

enum store_status
store_deliveries(struct store *s, struct arena *a, int64_t petition_id,
    struct delivery **out, size_t *n)
{
	return list(s, a, "deliveries", read_delivery, sizeof(**out), out, n,
	    ST_DELIVERY_LIST, "i", petition_id);
}

enum store_status
store_response_create(struct store *s, const struct response *r, int64_t *id)
{
	struct q q;
	int64_t rid;

	if (q_open(&q, s, NULL, "response_create") != STORE_OK)
		return q.st;
	rid = q_id(&q, ST_RESPONSE_INSERT, "iitti", r->delivery_id,
	    r->petition_id, r->author, r->body_md, r->created_at);
	if (q.st == STORE_OK)
		*id = rid;
	return q_close(&q);
}

enum store_status
store_responses_pending(struct store *s, struct arena *a, int64_t petition_id,
    struct response **out, size_t *n)
{
	return list(s, a, "responses_pending", read_response, sizeof(**out),
	    out, n, ST_RESPONSE_PENDING, "i", petition_id);
}

enum store_status
store_response_decide(struct store *s, int64_t id, int64_t petition_id,
    bool approve, const char *title, const char *actor, int64_t now,
    int64_t *update_id)
{
	char subject[64], detail[64];
	struct response r;
	struct arena *a;
	struct q q;
	int64_t uid = 0;

	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if (q_open(&q, s, a, "response_decide") != STORE_OK) {
		arena_free(a);
		return q.st;
	}
	q_begin(&q, ST_BEGIN);
	if (q_run(&q, ST_RESPONSE_GET, "i", id) != 1) {
		if (q.st == STORE_OK)
			q.st = STORE_NOTFOUND;
	} else {
		read_response(&q, &r);
		if (r.petition_id != petition_id)
			q.st = STORE_NOTFOUND;
	}
	if (q.st == STORE_OK && approve)
		uid = q_id(&q, ST_UPDATE_INSERT, "itttti", petition_id,
		    "response", r.author, title, r.body_md, now);
	(void)q_run(&q, ST_RESPONSE_DECIDE, "itiz", id,
	    approve ? "approved" : "rejected", now, uid);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)petition_id);
	snprintf(detail, sizeof(detail), "response=%lld", (long long)id);
	(void)q_run(&q, ST_AUDIT, "itttt", now, actor,
	    approve ? "response_approved" : "response_rejected", subject,
	    detail);
	q_commit(&q);
	if (q.st == STORE_OK && update_id != NULL)
		*update_id = uid;
	q_close(&q);
	arena_free(a);
	return q.st;
}

enum store_status
store_milestones(struct store *s, struct arena *a, struct milestone **out,
    size_t *n)
{
	return list(s, a, "milestones", read_milestone, sizeof(**out), out, n,
	    ST_MILESTONES, "");
}

enum store_status
store_end_due(struct store *s, struct arena *a, struct end_due **out, size_t *n)
{
	return list(s, a, "end_due", read_end_due, sizeof(**out), out, n,
	    ST_END_DUE, "");
}

enum store_status
store_goal_mailed(struct store *s, int64_t petition_id, int64_t old_goal,
    int64_t new_goal, const struct outbox_new *m, int64_t now)
{
	struct q q;

	if (q_open(&q, s, NULL, "goal_mailed") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_GOAL_MAILED, "iii", petition_id, old_goal, new_goal);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_DUPLICATE;
	if (m != NULL && m->sealed != NULL)
		(void)q_run(&q, ST_OUTBOX_INSERT, "ttbi", m->message_id,
		    m->kind, (const void *)m->sealed, m->sealed_len, now);
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_end_update(struct store *s, int64_t petition_id, const char *state,
    const struct update *u, int64_t *id)
{
	struct q q;
	int64_t uid = 0;

	if (q_open(&q, s, NULL, "end_update") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_END_MAILED, "it", petition_id, state);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	if (q.st == STORE_OK)
		uid = q_id(&q, ST_UPDATE_INSERT, "itttti", petition_id,
		    update_kind_name(u->kind), u->author ? u->author : "",
		    u->title, u->body_md, u->created_at);
	q_commit(&q);
	if (q.st == STORE_OK && id != NULL)
		*id = uid;
	return q_close(&q);
}

/* ---- social proof (docs/social.md) ---- */

static int
read_recent(struct q *q, void *out)
{
	struct recent_row *r = out;

	r->pii = row_blob(q, 0, &r->pii_len);
	r->country = row_text(q, 1);
	return 0;
}

enum store_status
store_social_recent(struct store *s, struct arena *a, int64_t petition_id,
    size_t max, struct recent_row **out, size_t *n)
{
	return list(s, a, "social_recent", read_recent, sizeof(**out), out, n,
	    ST_SOCIAL_RECENT, "ii", petition_id,
	    max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

static int
read_comment(struct q *q, void *out)
{
	struct comment_row *r = out;

	r->id = row_int(q, 0);
	r->pii = row_blob(q, 1, &r->pii_len);
	r->country = row_text(q, 2);
	r->comment = row_text(q, 3);
	r->likes = row_int(q, 4);
	r->at = row_int(q, 5);
	r->hidden_at = row_int(q, 6);
	r->hidden_by = row_text(q, 7);
	return 0;
}

enum store_status
store_comments(struct store *s, struct arena *a, int64_t petition_id,
    enum comment_order order, size_t max, int64_t offset,
    struct comment_row **out, size_t *n)
{
	int64_t lim = max > INT64_MAX ? INT64_MAX : (int64_t)max;

	switch (order) {
	case COMMENTS_NEWEST:
		return list(s, a, "comments", read_comment, sizeof(**out), out,
		    n, ST_SOCIAL_COMMENTS_NEW, "ii", petition_id, lim);
	case COMMENTS_TOP:
		return list(s, a, "comments", read_comment, sizeof(**out), out,
		    n, ST_SOCIAL_COMMENTS_TOP, "ii", petition_id, lim);
	case COMMENTS_ALL:
		return list(s, a, "comments", read_comment, sizeof(**out), out,
		    n, ST_SOCIAL_COMMENTS_ALL, "iii", petition_id, lim,
		    offset < 0 ? 0 : offset);
	default: return STORE_ERROR;
	}
}

enum store_status
store_comments_count(struct store *s, int64_t petition_id, int64_t *n)
{
	struct q q;

	if (q_open(&q, s, NULL, "comments_count") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_SOCIAL_COMMENTS_COUNT, "i", petition_id) == 1)
		*n = row_int(&q, 0);
	return q_close(&q);
}

enum store_status
store_comment_like(struct store *s, int64_t petition_id, int64_t id,
    const unsigned char *liker, int64_t now, int64_t *likes, bool *added)
{
	struct q q;
	int r;

	*added = false;
	if (q_open(&q, s, NULL, "comment_like") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	r = q_run(&q, ST_SOCIAL_COMMENT_SHOWN, "ii", id, petition_id);
	if (r == 0)
		q.st = STORE_NOTFOUND;
	else if (r == 1)
		*likes = row_int(&q, 0);
	if (q_run(&q, ST_SOCIAL_LIKE_INSERT, "ihi", id, liker, now) == 0 &&
	    q.changes == 1) {
		(void)q_run(&q, ST_SOCIAL_LIKE_ADD, "i", id);
		if (q.st == STORE_OK) {
			*added = true;
			(*likes)++;
		}
	}
	q_commit(&q);
	if (q.st != STORE_OK)
		*added = false;
	return q_close(&q);
}

enum store_status
store_comment_hide(struct store *s, int64_t petition_id, int64_t id, bool hide,
    const char *actor, int64_t now)
{
	char subject[48], detail[48];
	struct q q;

	snprintf(subject, sizeof(subject), "comment:%lld", (long long)id);
	snprintf(detail, sizeof(detail), "petition:%lld",
	    (long long)petition_id);
	if (q_open(&q, s, NULL, "comment_hide") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	if (hide)
		(void)q_run(&q, ST_SOCIAL_COMMENT_HIDE, "iiit", id, petition_id,
		    now, actor);
	else
		(void)q_run(&q, ST_SOCIAL_COMMENT_UNHIDE, "ii", id, petition_id);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	(void)q_run(&q, ST_AUDIT, "itttt", now, actor,
	    hide ? "comment_hidden" : "comment_shown", subject, detail);
	q_commit(&q);
	return q_close(&q);
}

/* ---- keys: the sealed columns ---- */

static const struct {
	const char *name;
	enum stmt list, set;
	bool two_keys;
} sealed_cols[SEALED__MAX] = {
	[SEALED_SIGNATURES] = { "signatures.pii", ST_SEALED_LIST_SIG,
	    ST_SEALED_SET_SIG, false },
	[SEALED_OUTBOX] = { "outbox.sealed", ST_SEALED_LIST_OUTBOX,
	    ST_SEALED_SET_OUTBOX, false },
	[SEALED_USERS] = { "users.email_sealed", ST_SEALED_LIST_USERS,
	    ST_SEALED_SET_USERS, false },
	[SEALED_ADDRESSEES] = { "addressees.email_sealed", ST_SEALED_LIST_ADDR,
	    ST_SEALED_SET_ADDR, true },
	[SEALED_REPORTS] = { "reports.email_sealed", ST_SEALED_LIST_REPORTS,
	    ST_SEALED_SET_REPORTS, false },
	[SEALED_TOTP] = { "user_totp.sealed", ST_SEALED_LIST_TOTP,
	    ST_SEALED_SET_TOTP, false },
};

const char *
sealed_column_name(enum sealed_column c)
{
	return (unsigned)c < SEALED__MAX ? sealed_cols[c].name : "?";
}

static int
read_sealed(struct q *q, void *out)
{
	struct sealed_row *r = out;
	size_t hlen;

	r->k1 = row_int(q, 0);
	r->k2 = row_int(q, 1);
	r->box = row_blob(q, 2, &r->len);
	r->email_hash = row_blob(q, 3, &hlen);
	if (r->email_hash != NULL && hlen != STORE_HASH_BYTES)
		r->email_hash = NULL;
	return 0;
}

enum store_status
store_sealed_list(struct store *s, struct arena *a, enum sealed_column c,
    int64_t k1, int64_t k2, size_t limit, struct sealed_row **out, size_t *n)
{
	if ((unsigned)c >= SEALED__MAX)
		return STORE_ERROR;
	if (sealed_cols[c].two_keys)
		return list(s, a, "sealed_list", read_sealed, sizeof(**out),
		    out, n, sealed_cols[c].list, "iii", k1, k2, (int64_t)limit);
	return list(s, a, "sealed_list", read_sealed, sizeof(**out), out, n,
	    sealed_cols[c].list, "ii", k1, (int64_t)limit);
}

enum store_status
store_sealed_replace(struct store *s, enum sealed_column c,
    const struct sealed_row *rows, size_t n, size_t *changed)
{
	struct q q;
	size_t i;

	*changed = 0;
	if ((unsigned)c >= SEALED__MAX)
		return STORE_ERROR;
	if (q_open(&q, s, NULL, "sealed_replace") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	for (i = 0; i < n && q.st == STORE_OK; i++) {
		if (rows[i].nbox == NULL)
			continue;
		if (sealed_cols[c].two_keys)
			(void)q_run(&q, sealed_cols[c].set, "iibb", rows[i].k1,
			    rows[i].k2, (const void *)rows[i].nbox, rows[i].nlen,
			    (const void *)rows[i].box, rows[i].len);
		else
			(void)q_run(&q, sealed_cols[c].set, "ibb", rows[i].k1,
			    (const void *)rows[i].nbox, rows[i].nlen,
			    (const void *)rows[i].box, rows[i].len);
		*changed += (size_t)q.changes;
	}
	q_commit(&q);
	if (q.st != STORE_OK)
		*changed = 0;
	return q_close(&q);
}

enum store_status
store_email_hash_replace(struct store *s, enum sealed_column c, int64_t k1,
    const unsigned char *old, const unsigned char *hash)
{
	struct q q;

	if (c != SEALED_SIGNATURES && c != SEALED_USERS)
		return STORE_ERROR;
	if (q_open(&q, s, NULL, "email_hash_replace") != STORE_OK)
		return q.st;
	(void)q_run(&q,
	    c == SEALED_SIGNATURES ? ST_EMAIL_HASH_SET_SIG :
				     ST_EMAIL_HASH_SET_USERS,
	    "ihh", k1, hash, old);
	return q_close(&q);
}

enum store_status
store_data_task_done(struct store *s, const char *name, bool *done)
{
	struct q q;

	*done = false;
	if (q_open(&q, s, NULL, "data_task_done") != STORE_OK)
		return q.st;
	*done = q_run(&q, ST_DATA_TASK_GET, "t", name) == 1;
	return q_close(&q);
}

enum store_status
store_data_task_mark(struct store *s, const char *name, int64_t now)
{
	struct q q;

	if (q_open(&q, s, NULL, "data_task_mark") != STORE_OK)
		return q.st;
	(void)q_run(&q, ST_DATA_TASK_SET, "ti", name, now);
	return q_close(&q);
}

/* ---- report: notice and action (docs/report.md) ---- */

static int
read_report(struct q *q, void *out)
{
	struct report_row *r = out;

	r->id = row_int(q, 0);
	r->petition_id = row_int(q, 1);
	r->comment_id = row_int(q, 2);
	r->reason = row_text(q, 3);
	r->note = row_text(q, 4);
	r->created_at = row_int(q, 5);
	r->has_email = row_int(q, 6) != 0;
	r->slug = row_text(q, 7);
	r->title = row_text(q, 8);
	r->state = petition_state_parse(row_str(q, 9));
	r->comment = row_text(q, 10);
	return r->state == PETITION__MAX ? -1 : 0;
}

static int
read_reporter(struct q *q, void *out)
{
	struct report_reporter *r = out;

	r->id = row_int(q, 0);
	r->email_sealed = row_blob(q, 1, &r->email_sealed_len);
	r->lang = row_text(q, 2);
	r->reason = row_text(q, 3);
	return 0;
}

enum store_status
store_report_add(struct store *s, const struct report_new *r)
{
	return exec(s, "report_add", NULL, ST_REPORT_INSERT, "iittbti",
	    r->petition_id, r->comment_id, r->reason, r->note,
	    (const void *)r->email_sealed, r->email_sealed_len, r->lang,
	    r->created_at);
}

enum store_status
store_report_comment(struct store *s, int64_t petition_id, int64_t comment_id)
{
	struct arena *a;
	int64_t *ids = NULL;
	size_t n = 0;
	enum store_status st;

	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	st = list(s, a, "report_comment", read_id, sizeof(*ids), &ids, &n,
	    ST_REPORT_COMMENT, "ii", comment_id, petition_id);
	arena_free(a);
	return st == STORE_OK && n == 0 ? STORE_NOTFOUND : st;
}

enum store_status
store_report_open(struct store *s, struct arena *a, size_t max,
    struct report_row **out, size_t *n)
{
	return list(s, a, "report_open", read_report, sizeof(**out), out, n,
	    ST_REPORT_OPEN, "i", (int64_t)max);
}

enum store_status
store_report_target(struct store *s, struct arena *a, int64_t petition_id,
    int64_t comment_id, struct report_reporter **out, size_t *n)
{
	return list(s, a, "report_target", read_reporter, sizeof(**out), out, n,
	    ST_REPORT_TARGET, "ii", petition_id, comment_id);
}

enum store_status
store_report_resolve(struct store *s, const struct report_resolution *res,
    size_t *resolved)
{
	char subject[64], detail[96], hdetail[48];
	struct q q;
	size_t i, k = 0;

	if (res->comment_id != 0)
		snprintf(subject, sizeof(subject), "comment:%lld",
		    (long long)res->comment_id);
	else
		snprintf(subject, sizeof(subject), "petition:%lld",
		    (long long)res->petition_id);
	if (q_open(&q, s, NULL, "report_resolve") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	for (i = 0; i < res->n && q.st == STORE_OK; i++) {
		(void)q_run(&q, ST_REPORT_RESOLVE, "ittti", res->ids[i],
		    res->outcome, res->statement, res->actor, res->now);
		if (q.st != STORE_OK || q.changes == 0)
			continue; /* another moderator resolved it */
		k++;
		if (res->mails != NULL && res->mails[i].sealed != NULL)
			(void)q_run(&q, ST_OUTBOX_INSERT, "ttbi",
			    res->mails[i].message_id, res->mails[i].kind,
			    (const void *)res->mails[i].sealed,
			    res->mails[i].sealed_len, res->now);
	}
	if (q.st == STORE_OK && k == 0)
		q.st = STORE_NOTFOUND;
	/* Hidden as a moderator hides a comment on the page (one that is
	 * hidden already stays so): the text stays for the record until
	 * retention, off the page. */
	if (q.st == STORE_OK && res->hide_comment && res->comment_id != 0) {
		(void)q_run(&q, ST_SOCIAL_COMMENT_HIDE, "iiit", res->comment_id,
		    res->petition_id, res->now, res->actor);
		if (q.st == STORE_OK && q.changes > 0) {
			snprintf(hdetail, sizeof(hdetail), "petition:%lld",
			    (long long)res->petition_id);
			(void)q_run(&q, ST_AUDIT, "itttt", res->now, res->actor,
			    "comment_hidden", subject, hdetail);
		}
	}
	snprintf(detail, sizeof(detail), "outcome=%s reports=%zu", res->outcome,
	    k);
	(void)q_run(&q, ST_AUDIT, "itttt", res->now, res->actor,
	    "report_resolved", subject, detail);
	q_commit(&q);
	if (q.st == STORE_OK && resolved != NULL)
		*resolved = k;
	return q_close(&q);
}

enum store_status
store_retain_reports(struct store *s, int64_t cutoff, int64_t *erased)
{
	return exec(s, "retain_reports", erased, ST_RETAIN_REPORTS, "i", cutoff);
}

enum store_status
store_retain_suppressions(struct store *s, int64_t cutoff, int64_t *erased)
{
	return exec(s, "retain_suppressions", erased, ST_RETAIN_SUPPRESSIONS,
	    "i", cutoff);
}

/* ---- export: signatures on paper ---- */

static int
read_paper(struct q *q, void *out)
{
	struct paper_batch *b = out;

	b->id = row_int(q, 0);
	b->count = row_int(q, 1);
	b->day = row_text(q, 2);
	b->place = row_text(q, 3);
	b->note = row_text(q, 4);
	b->scan = row_text(q, 5);
	b->actor = row_text(q, 6);
	b->created_at = row_int(q, 7);
	return 0;
}

enum store_status
store_paper_add(struct store *s, int64_t petition_id,
    const struct paper_batch *b, int64_t *id)
{
	char subject[64], detail[96];
	struct q q;
	int64_t made;

	if (q_open(&q, s, NULL, "paper_add") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	made = q_id(&q, ST_PAPER_INSERT, "iittttti", petition_id, b->count,
	    b->day, b->place, b->note, b->scan_len > 0 ? b->scan : "", b->actor,
	    b->created_at);
	if (b->scan_len > 0)
		(void)q_run(&q, ST_PAPER_SCAN_INSERT, "ib", made, b->scan_data,
		    b->scan_len);
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)petition_id);
	snprintf(detail, sizeof(detail), "batch=%lld count=%lld day=%s",
	    (long long)made, (long long)b->count, b->day);
	(void)q_run(&q, ST_AUDIT, "itttt", b->created_at, b->actor,
	    "paper_added", subject, detail);
	q_commit(&q);
	if (q.st == STORE_OK && id != NULL)
		*id = made;
	return q_close(&q);
}

enum store_status
store_paper_list(struct store *s, struct arena *a, int64_t petition_id,
    size_t max, struct paper_batch **out, size_t *n)
{
	return list(s, a, "paper_list", read_paper, sizeof(**out), out, n,
	    ST_PAPER_LIST, "ii", petition_id,
	    max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

enum store_status
store_paper_remove(struct store *s, int64_t petition_id, int64_t id,
    const char *actor, const char *reason, int64_t now)
{
	char subject[64], detail[600];
	struct q q;

	if (q_open(&q, s, NULL, "paper_remove") != STORE_OK)
		return q.st;
	q_begin(&q, ST_BEGIN);
	(void)q_run(&q, ST_PAPER_REMOVE, "iiit", petition_id, id, now, reason);
	if (q.st == STORE_OK && q.changes == 0)
		q.st = STORE_NOTFOUND;
	/* What a removed batch's scan showed is not kept. */
	(void)q_run(&q, ST_PAPER_SCAN_DELETE, "i", id);
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)petition_id);
	snprintf(detail, sizeof(detail), "batch=%lld reason=%s", (long long)id,
	    reason);
	(void)q_run(&q, ST_AUDIT, "itttt", now, actor, "paper_removed", subject,
	    detail);
	q_commit(&q);
	return q_close(&q);
}

enum store_status
store_paper_count(struct store *s, int64_t petition_id, int64_t *count)
{
	struct q q;

	if (q_open(&q, s, NULL, "paper_count") != STORE_OK)
		return q.st;
	*count = q_run(&q, ST_PAPER_COUNT, "i", petition_id) == 1 ?
	    row_int(&q, 0) :
	    0;
	return q_close(&q);
}

enum store_status
store_paper_scan(struct store *s, struct arena *a, int64_t petition_id,
    int64_t id, const char **kind, const unsigned char **data, size_t *len)
{
	struct q q;

	*kind = "";
	*data = NULL;
	*len = 0;
	if (q_open(&q, s, a, "paper_scan") != STORE_OK)
		return q.st;
	if (q_run(&q, ST_PAPER_SCAN_GET, "ii", petition_id, id) == 1) {
		*kind = row_text(&q, 0);
		*data = row_blob(&q, 1, len);
	} else if (q.st == STORE_OK) {
		q.st = STORE_NOTFOUND;
	}
	return q_close(&q);
}

/* ---- keys: a signer's own data, asked for by mail ---- */

static int
read_mydata(struct q *q, void *out)
{
	struct mydata_row *r = out;

	r->id = row_int(q, 0);
	r->slug = row_text(q, 1);
	r->title = row_text(q, 2);
	r->confirmed = strcmp(row_str(q, 3), "confirmed") == 0;
	r->comment = row_text(q, 4);
	r->created_at = row_int(q, 5);
	r->pii = row_blob(q, 6, &r->pii_len);
	return 0;
}

enum store_status
store_mydata_list(struct store *s, struct arena *a,
    const unsigned char *email_hash, size_t max, struct mydata_row **out,
    size_t *n)
{
	return list(s, a, "mydata_list", read_mydata, sizeof(**out), out, n,
	    ST_MYDATA_LIST, "hi", email_hash, (int64_t)max);
}

enum store_status
store_mydata_token(struct store *s, const unsigned char *hash,
    int64_t signature_id, int64_t now, int64_t expires_at)
{
	struct q q;

	if (q_open(&q, s, NULL, "mydata_token") != STORE_OK)
		return q.st;
	(void)q_run(&q, ST_MYDATA_TOKEN, "hiii", hash, signature_id, now,
	    expires_at);
	return q_close(&q);
}
