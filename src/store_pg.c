/* store_pg.c - the PostgreSQL backend: any number of nodes on one database,
 * each with a small pool of libpq connections and their prepared
 * statements; a lost database gives STORE_UNAVAILABLE and the pool
 * reconnects by itself once it is back. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "store.h"

static enum store_status pg_outbox_add(struct store *,
    const struct outbox_new *, int64_t);

#define POOL_SIZE 4
/* After a failed reconnect a connection waits this long before trying
 * again, so requests during an outage fail at once instead of queueing
 * behind connect attempts. */
#define RECONNECT_BACKOFF_MS 250
/* A message 'sending' for longer than this was left by a node that died
 * during the attempt; any node may claim it again (same Message-ID). A live
 * node's attempts take at most CLAIM_BATCH × the SMTP timeout (10 min). */
#define OUTBOX_LEASE 3600
/* Tries of a batch that lost a deadlock or serialisation race to another
 * node; it is rolled back whole, so trying again is safe. */
#define BATCH_TRIES 3
/* pg_advisory_xact_lock key serialising migrations: "holos" in ASCII. */
#define MIGRATE_LOCK "448545976179"
#define MAX_PARAMS 16

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
	ST_CUSTOM_PLANS,
	ST_SEQ_LOCK,
	ST_SEQ_LAST,
	ST_SIGNATURE_INSERT_MANY,
	ST_COUNT_ADD,
	ST_TRANSLATION_INSERT,
	ST_TRANSLATION,
	ST_SIG_FIND_MANY,
	ST_SIG_MAILED_MANY,
	ST_SIG_CONFIRM,
	ST_TOKEN_INSERT_MANY,
	ST_OUTBOX_INSERT_AT_MANY,
	ST_TOKEN_GET,
	ST_TOKEN_USE,
	ST_TOKEN_INFO,
	ST_UNSUBSCRIBE,
	ST_OUTBOX_INSERT,
	ST_OUTBOX_RECOVER,
	ST_OUTBOX_CLAIM,
	ST_OUTBOX_SENT,
	ST_OUTBOX_RESCHEDULE,
	ST_OUTBOX_LIST,
	ST_OUTBOX_RETRY_ONE,
	ST_OUTBOX_RETRY_ALL,
	ST_TREND_NET,
	ST_TREND_DOMAIN,
	ST_INV_RECORD,
	ST_INV_MARK,
	ST_INV_REMOVED,
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
	ST_BEGIN_SNAPSHOT,
	ST_USER_BY_ID,
	ST_USER_TOKEN_INSERT,
	ST_USER_TOKEN_USE,
	ST_USER_TOKEN_GET,
	ST_USER_VERIFY,
	ST_USER_PASSWORD,
	ST_USER_SESSIONS_END,
	ST_PETITION_UPDATE,
	ST_ADDRESSEES_DELETE,
	ST_PETITION_MOVE,
	ST_TRANSITION_INSERT,
	ST_PETITION_LIST_OWNER,
	ST_PETITION_QUEUE,
	ST_PETITION_DUE,
	ST_TRANSITION_LIST,
	ST_UPDATE_INSERT,
	ST_UPDATE_LIST,
	ST_UPDATE_NEXT,
	ST_UPDATE_RECIPIENTS,
	ST_UPDATE_CURSOR,
	ST_OUTBOX_INSERT_MANY,
	ST_UNSUB_INSERT_MANY,
	ST_STATS_STATES,
	ST_STATS_DAYS,
	ST_STATS_COUNTRIES,
	ST_SIGNERS_PUBLIC,
	ST__MAX
};

/* The columns row_petition() reads: what every petition reader fills. */
#define PETITION_COLS                                                \
	"p.id, p.slug, p.title, p.body_md, p.lang, p.goal, p.state," \
	" p.created_at, p.updated_at, COALESCE(p.closes_at, 0),"     \
	" COALESCE(p.owner_id, 0), p.reason, p.note"
/* The columns row_user() reads. */
#define USER_COLS                                                             \
	"u.id, u.role, u.password, u.failed, u.locked_until, u.name, u.lang," \
	" COALESCE(u.verified_at, 0), u.email_sealed"

static const char *const stmt_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PETITION_INSERT] =
	    "INSERT INTO petitions (slug, title, body_md, lang, goal, state,"
	    " created_at, updated_at, owner_id, closes_at) VALUES ($1, $2, $3,"
	    " $4, $5, $6, $7, $7, $8, $9) RETURNING id",
	[ST_ADDRESSEE_INSERT] =
	    "INSERT INTO addressees (petition_id, pos, name, description)"
	    " VALUES ($1, $2, $3, $4)",
	[ST_PETITION_BY_SLUG] =
	    "SELECT " PETITION_COLS ", COALESCE(u.name, '')"
	    " FROM petitions p LEFT JOIN users u ON u.id = p.owner_id"
	    " WHERE p.slug = $1",
	[ST_PETITION_BY_ID] =
	    "SELECT " PETITION_COLS ", COALESCE(u.name, '')"
	    " FROM petitions p LEFT JOIN users u ON u.id = p.owner_id"
	    " WHERE p.id = $1",
	[ST_ADDRESSEES] =
	    "SELECT name, description FROM addressees WHERE petition_id = $1"
	    " ORDER BY pos",
	[ST_PETITION_LIST] =
	    "SELECT " PETITION_COLS " FROM petitions p WHERE p.state = $1"
	    " ORDER BY p.created_at DESC, p.id DESC LIMIT 200",
	[ST_COUNT] = "SELECT COALESCE(SUM(confirmed), 0) FROM petition_counts"
		     " WHERE petition_id = $1",
	/* The write transaction's statements are planned for their values
	 * each time: a plan kept from when the table was small would scan it
	 * (a generic plan made on an empty signatures table looks up an email
	 * by reading every row of its petition). */
	[ST_CUSTOM_PLANS] = "SET LOCAL plan_cache_mode = force_custom_plan",
	/* seq: the petition's row is the per-petition lock; see
	 * seq_reserve(). NO KEY UPDATE leaves the foreign-key checks of
	 * signature inserts (KEY SHARE) unblocked. */
	[ST_SEQ_LOCK] =
	    "SELECT id FROM petitions WHERE id = $1 FOR NO KEY UPDATE",
	[ST_SEQ_LAST] =
	    "SELECT COALESCE(MAX(seq), 0) FROM signatures WHERE petition_id = $1",
	/* A run of new signatures in one statement: $1..$16 are arrays of one
	 * length, a column each; rows go in in array order, and each comes
	 * back with its place in the arrays (1-based). */
	[ST_SIGNATURE_INSERT_MANY] =
	    "WITH t AS (SELECT * FROM unnest($1::bigint[], $2::bigint[],"
	    " $3::bytea[], $4::bytea[], $5::text[], $6::boolean[],"
	    " $7::boolean[], $8::text[], $9::text[], $10::bigint[],"
	    " $11::bigint[], $12::text[], $13::bigint[], $14::integer[],"
	    " $15::text[], $16::text[]) WITH ORDINALITY AS u(petition_id, seq,"
	    " email_hash, pii, country, public_name, updates, comment, state,"
	    " created_at, confirmed_at, lang, last_mail_at, flags, net, domain,"
	    " i)), ins AS (INSERT INTO signatures (petition_id, seq,"
	    " email_hash, pii, country, public_name, updates, comment, state,"
	    " created_at, confirmed_at, lang, last_mail_at, flags, net, domain)"
	    " SELECT petition_id, seq, email_hash, pii, country, public_name,"
	    " updates, comment, state, created_at, confirmed_at, lang,"
	    " last_mail_at, flags, net, domain FROM t ORDER BY i"
	    " ON CONFLICT (petition_id, email_hash) DO NOTHING"
	    " RETURNING id, petition_id, seq)"
	    " SELECT t.i, ins.id FROM ins JOIN t ON t.petition_id ="
	    " ins.petition_id AND t.seq = ins.seq",
	[ST_COUNT_ADD] =
	    "INSERT INTO petition_counts (petition_id, node, confirmed)"
	    " VALUES ($1, $2, $3) ON CONFLICT (petition_id, node) DO UPDATE"
	    " SET confirmed = petition_counts.confirmed + excluded.confirmed",
	[ST_TRANSLATION_INSERT] =
	    "INSERT INTO petition_translations (petition_id, lang, title,"
	    " body_md) VALUES ($1, $2, $3, $4)",
	[ST_TRANSLATION] =
	    "SELECT lang, title, body_md FROM petition_translations"
	    " WHERE petition_id = $1 AND lang = $2",
	/* $1 petitions and $2 email hashes: the signatures they name, each
	 * with its place in the arrays (1-based). LIMIT keeps the subquery
	 * apart, so each pair is one index lookup whatever the planner
	 * believes of the table's size. */
	[ST_SIG_FIND_MANY] =
	    "SELECT u.i, s.id, s.state, s.last_mail_at FROM unnest($1::bigint[],"
	    " $2::bytea[]) WITH ORDINALITY AS u(p, h, i) CROSS JOIN LATERAL"
	    " (SELECT id, state, last_mail_at FROM signatures"
	    " WHERE petition_id = u.p AND email_hash = u.h LIMIT 1) s",
	/* $1 signatures, $2 when each was mailed; no id twice. */
	[ST_SIG_MAILED_MANY] =
	    "UPDATE signatures s SET last_mail_at = u.at"
	    " FROM unnest($1::bigint[], $2::bigint[]) AS u(id, at)"
	    " WHERE s.id = u.id",
	[ST_SIG_CONFIRM] =
	    "UPDATE signatures SET state = 'confirmed', confirmed_at = $1"
	    " WHERE id = $2 AND state = 'pending' RETURNING petition_id",
	/* $1..$5: arrays of one length, a column each. */
	[ST_TOKEN_INSERT_MANY] =
	    "INSERT INTO tokens (hash, purpose, subject, created_at, expires_at)"
	    " SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[],"
	    " $4::bigint[], $5::bigint[])",
	/* Mail in array order, each with its own time: $1 Message-IDs, $2
	 * kinds, $3 sealed messages, $4 times. */
	[ST_OUTBOX_INSERT_AT_MANY] =
	    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
	    " created_at, updated_at) SELECT m, k, b, 'queued', n, n, n"
	    " FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])"
	    " WITH ORDINALITY AS u(m, k, b, n, i) ORDER BY i",
	[ST_TOKEN_GET] = "SELECT purpose, subject, COALESCE(expires_at, 0),"
			 " COALESCE(used_at, 0) FROM tokens WHERE hash = $1",
	[ST_TOKEN_USE] =
	    "UPDATE tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL",
	[ST_TOKEN_INFO] =
	    "SELECT t.subject, t.purpose, COALESCE(t.expires_at, 0),"
	    " COALESCE(t.used_at, 0), p.slug, p.title, s.lang, s.state, p.lang"
	    " FROM tokens t JOIN signatures s ON s.id = t.subject"
	    " JOIN petitions p ON p.id = s.petition_id WHERE t.hash = $1",
	[ST_UNSUBSCRIBE] =
	    "UPDATE signatures SET updates = false WHERE id = (SELECT subject"
	    " FROM tokens WHERE hash = $1 AND purpose = 'unsubscribe')",
	[ST_OUTBOX_INSERT] =
	    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
	    " created_at, updated_at) VALUES ($1, $2, $3, 'queued', $4, $4, $4)",
	[ST_OUTBOX_RECOVER] =
	    "UPDATE outbox SET state = 'queued' WHERE state = 'sending'"
	    " AND updated_at < $1",
	/* One statement: the rows are locked, marked and returned together,
	 * and rows another node has locked are skipped, not waited for. */
	[ST_OUTBOX_CLAIM] =
	    "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
	    " updated_at = $1 WHERE id IN (SELECT id FROM outbox"
	    " WHERE (state = 'queued' AND next_at <= $1)"
	    " OR (state = 'sending' AND updated_at < $3)"
	    " ORDER BY next_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
	    " RETURNING id, message_id, kind, sealed, attempts, next_at,"
	    " created_at",
	[ST_OUTBOX_SENT] =
	    "UPDATE outbox SET state = 'sent', sealed = NULL, sent_at = $1,"
	    " updated_at = $1, last_error = '' WHERE id = $2",
	[ST_OUTBOX_RESCHEDULE] =
	    "UPDATE outbox SET state = $1, next_at = $2, last_error = $3,"
	    " updated_at = $4 WHERE id = $5",
	[ST_OUTBOX_LIST] =
	    "SELECT id, message_id, kind, state, attempts, next_at, created_at,"
	    " updated_at, COALESCE(sent_at, 0), last_error FROM outbox"
	    " ORDER BY id DESC LIMIT 500",
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
	/* Marks and counts in one statement: the rows are locked as they are
	 * matched, so a moderator on another node cannot count them twice.
	 * $2 domain, $3 net (NULL: any), $4 from, $5 to (0: open), $6 the
	 * list of seqs (NULL: any). */
	[ST_INV_MARK] =
	    "WITH old AS (SELECT id, state FROM signatures WHERE petition_id = $1"
	    " AND state <> 'invalid' AND ($2::text IS NULL OR domain = $2)"
	    " AND ($3::text IS NULL OR net = $3)"
	    " AND ($4::bigint = 0 OR created_at >= $4)"
	    " AND ($5::bigint = 0 OR created_at < $5)"
	    " AND ($6::bigint[] IS NULL OR seq = ANY ($6)) FOR UPDATE),"
	    " marked AS (UPDATE signatures s SET state = 'invalid',"
	    " invalid_reason = $7, invalidation_id = $8 FROM old"
	    " WHERE s.id = old.id RETURNING old.state)"
	    " SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'confirmed')"
	    " FROM marked",
	[ST_INV_REMOVED] = "UPDATE invalidations SET removed = $1 WHERE id = $2",
	[ST_AUDIT] = "INSERT INTO audit_log (at, actor, action, subject, detail)"
		     " VALUES ($1, $2, $3, $4, $5)",
	[ST_REMOVALS] =
	    "SELECT reason, SUM(removed) FROM invalidations WHERE petition_id = $1"
	    " GROUP BY reason HAVING SUM(removed) > 0 ORDER BY 2 DESC, 1 LIMIT 8",
	[ST_USER_INSERT] =
	    "INSERT INTO users (email_hash, email_sealed, password, role,"
	    " verified_at, created_at, name, lang)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
	[ST_USER_BY_EMAIL] =
	    "SELECT " USER_COLS " FROM users u WHERE u.email_hash = $1",
	[ST_USER_OK] = "UPDATE users SET failed = 0 WHERE id = $1",
	/* $2 now, $3 failures that lock, $4 lock seconds; both SET
	 * expressions see the old failed. */
	[ST_USER_FAILED] =
	    "UPDATE users SET locked_until = CASE WHEN failed + 1 >= $3::int"
	    " THEN $2::bigint + $4::bigint ELSE locked_until END,"
	    " failed = CASE WHEN failed + 1 >= $3::int THEN 0 ELSE failed + 1"
	    " END WHERE id = $1",
	[ST_SESSION_INSERT] =
	    "INSERT INTO sessions (hash, user_id, created_at, expires_at)"
	    " VALUES ($1, $2, $3, $4)",
	[ST_SESSION_USER] =
	    "SELECT " USER_COLS " FROM sessions s JOIN users u"
	    " ON u.id = s.user_id WHERE s.hash = $1 AND s.expires_at > $2",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = $1",
	[ST_AUDIT_LIST] =
	    "SELECT at, actor, action, subject, detail FROM audit_log"
	    " ORDER BY id DESC LIMIT 200",
	/* The reads of one report see one moment. */
	[ST_BEGIN_SNAPSHOT] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	[ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = $1",
	[ST_USER_TOKEN_INSERT] =
	    "INSERT INTO user_tokens (hash, purpose, user_id, created_at,"
	    " expires_at) VALUES ($1, $2, $3, $4, $5)",
	/* Checked and consumed in one statement: of two nodes presenting the
	 * same link, the second waits for the first's commit, then finds
	 * used_at set and gets no row. */
	[ST_USER_TOKEN_USE] =
	    "UPDATE user_tokens SET used_at = $3 WHERE hash = $1"
	    " AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
	    " RETURNING user_id",
	[ST_USER_TOKEN_GET] =
	    "SELECT user_id FROM user_tokens WHERE hash = $1 AND purpose = $2"
	    " AND used_at IS NULL AND expires_at > $3",
	[ST_USER_VERIFY] =
	    "UPDATE users SET verified_at = COALESCE(verified_at, $2)"
	    " WHERE id = $1",
	[ST_USER_PASSWORD] =
	    "UPDATE users SET password = $2, failed = 0, locked_until = 0"
	    " WHERE id = $1",
	[ST_USER_SESSIONS_END] = "DELETE FROM sessions WHERE user_id = $1",
	/* Only a text nobody has approved yet may change: the state is
	 * checked by the update itself, so a submission committed meanwhile
	 * by another node wins. */
	[ST_PETITION_UPDATE] =
	    "UPDATE petitions SET title = $2, body_md = $3, lang = $4,"
	    " goal = $5, closes_at = $6, updated_at = $7 WHERE id = $1"
	    " AND state IN ('draft', 'rejected')",
	[ST_ADDRESSEES_DELETE] = "DELETE FROM addressees WHERE petition_id = $1",
	/* Moves a petition only from the state its mover saw: of two nodes
	 * moving it at once, the second finds the state changed and gets no
	 * row. */
	[ST_PETITION_MOVE] =
	    "UPDATE petitions SET state = $3, reason = $4, note = $5,"
	    " updated_at = $6 WHERE id = $1 AND state = $2",
	[ST_TRANSITION_INSERT] =
	    "INSERT INTO transitions (petition_id, from_state, to_state, actor,"
	    " reason, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
	[ST_TRANSITION_LIST] =
	    "SELECT petition_id, from_state, to_state, actor, reason, note, at"
	    " FROM transitions WHERE petition_id = $1 ORDER BY id",
	[ST_UPDATE_INSERT] =
	    "INSERT INTO updates (petition_id, kind, author, title, body_md,"
	    " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	[ST_UPDATE_LIST] =
	    "SELECT id, petition_id, kind, author, title, body_md, created_at,"
	    " mail_cursor, mail_done, mailed FROM updates"
	    " WHERE petition_id = $1 ORDER BY created_at DESC, id DESC",
	[ST_UPDATE_NEXT] =
	    "SELECT id, petition_id, kind, author, title, body_md, created_at,"
	    " mail_cursor, mail_done, mailed FROM updates WHERE NOT mail_done"
	    " ORDER BY id LIMIT 1",
	[ST_UPDATE_RECIPIENTS] =
	    "SELECT id, pii, lang FROM signatures WHERE petition_id = $1"
	    " AND updates AND state = 'confirmed' AND id > $2"
	    " AND created_at <= $3 ORDER BY id LIMIT $4",
	/* Advances the cursor only from where this batch started: a node
	 * that queued the same batch first has moved it, and this one gets
	 * no row (it waits for that node's commit, then re-checks). */
	[ST_UPDATE_CURSOR] =
	    "UPDATE updates SET mail_cursor = $3, mail_done = $4,"
	    " mailed = mailed + $5 WHERE id = $1 AND mail_cursor = $2",
	/* A whole batch of mail in one statement: $1 Message-IDs, $2 kinds,
	 * $3 sealed messages, as arrays of one length. */
	[ST_OUTBOX_INSERT_MANY] =
	    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
	    " created_at, updated_at) SELECT m, k, b, 'queued', $4, $4, $4"
	    " FROM unnest($1::text[], $2::text[], $3::bytea[])"
	    " WITH ORDINALITY AS t(m, k, b, i) ORDER BY i",
	/* $1 token hashes, $2 their signatures. */
	[ST_UNSUB_INSERT_MANY] =
	    "INSERT INTO tokens (hash, purpose, subject, created_at)"
	    " SELECT h, 'unsubscribe', s, $3"
	    " FROM unnest($1::bytea[], $2::bigint[]) AS t(h, s)",
	[ST_STATS_STATES] =
	    "SELECT state, COUNT(*) FROM signatures WHERE petition_id = $1"
	    " GROUP BY state",
	[ST_STATS_DAYS] =
	    "SELECT created_at / 86400 * 86400, COUNT(*) FROM signatures"
	    " WHERE petition_id = $1 AND state IN ('pending', 'confirmed')"
	    " GROUP BY 1 ORDER BY 1",
	/* Codes in byte order, as SQLite sorts them. */
	[ST_STATS_COUNTRIES] =
	    "SELECT country, COUNT(*) FROM signatures WHERE petition_id = $1"
	    " AND state = 'confirmed' GROUP BY country"
	    " ORDER BY 2 DESC, country COLLATE \"C\"",
	[ST_SIGNERS_PUBLIC] =
	    "SELECT seq, pii, country, created_at FROM signatures"
	    " WHERE petition_id = $1 AND state = 'confirmed' AND public_name"
	    " AND seq > $2 ORDER BY seq LIMIT $3",
};

struct conn {
	PGconn *pg;
	bool prepared[ST__MAX]; /* statement i is prepared on pg */
	bool busy;
	bool used;	    /* a statement went through since pool_get() */
	bool down;	    /* the outage is logged already */
	long long retry_at; /* monotonic ms before which no reconnect */
};

struct store_pg {
	struct store base; /* must be first */
	char *migrations_dir;
	char *node;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct conn conns[POOL_SIZE];
};

/* The parameters of one statement: text, or binary for bytea. */
struct params {
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	int n;
};

static struct store_pg *
pg(struct store *s)
{
	return (struct store_pg *)s;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
p_int(struct params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, v);
	p->v[p->n] = p->num[p->n];
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

/* NULL becomes SQL NULL. */
static void
p_text(struct params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

static void
p_bool(struct params *p, bool b)
{
	p_text(p, b ? "t" : "f");
}

/* 0 becomes SQL NULL: "none" for an optional id or time. */
static void
p_int_or_null(struct params *p, int64_t v)
{
	if (v != 0)
		p_int(p, v);
	else
		p_text(p, NULL);
}

/* Binary, for bytea; NULL becomes SQL NULL. */
static void
p_blob(struct params *p, const void *b, size_t len)
{
	p->v[p->n] = b;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

static int64_t
res_int(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *
res_text(struct arena *a, const PGresult *r, int row, int col)
{
	return arena_strndup(a, PQgetvalue(r, row, col),
	    (size_t)PQgetlength(r, row, col));
}

/* A bytea column (text format) copied into the arena; NULL for SQL NULL or
 * when out of memory (then *len is 0). */
static const unsigned char *
res_blob(struct arena *a, const PGresult *r, int row, int col, size_t *len)
{
	unsigned char *raw, *copy;
	size_t n;

	*len = 0;
	if (PQgetisnull(r, row, col) ||
	    (raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col),
		 &n)) == NULL)
		return NULL;
	if ((copy = arena_alloc(a, n ? n : 1)) != NULL) {
		memcpy(copy, raw, n);
		*len = n;
	}
	PQfreemem(raw);
	return copy;
}

/* A server message fit for a key="value" log field: quotes and line breaks
 * become spaces. Messages name objects, never the values of parameters. */
static const char *
log_clean(char *buf, size_t size, const char *msg)
{
	size_t i;

	snprintf(buf, size, "%s", msg != NULL ? msg : "");
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '"' || buf[i] == '\n' || buf[i] == '\r' ||
		    buf[i] == '\\')
			buf[i] = ' ';
	while (i > 0 && buf[i - 1] == ' ')
		buf[--i] = '\0';
	return buf;
}

/* Whether a failure means "try again later" rather than a bug: the
 * connection is gone, the server is shutting down or starting, too many
 * connections, or a lock race was lost to another node. */
static bool
sqlstate_transient(const char *st)
{
	return st == NULL || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P", 3) == 0 || strcmp(st, "53300") == 0 ||
	    strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strcmp(st, "55P03") == 0;
}

/* Classifies and logs a failed statement (res may be NULL). */
static enum store_status
pg_fail(struct conn *c, const PGresult *res, const char *what)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char clean[256];

	if (msg == NULL)
		msg = PQerrorMessage(c->pg);
	if (state != NULL && strcmp(state, "23505") == 0)
		return STORE_DUPLICATE;
	if (PQstatus(c->pg) != CONNECTION_OK || sqlstate_transient(state)) {
		if (!c->down)
			log_warn("store",
			    "backend=pg op=%s sqlstate=%s "
			    "error=\"%s\"",
			    what, state ? state : "-",
			    log_clean(clean, sizeof(clean), msg));
		if (PQstatus(c->pg) != CONNECTION_OK)
			c->down = true;
		return STORE_UNAVAILABLE;
	}
	log_error("store", "backend=pg op=%s sqlstate=%s error=\"%s\"", what,
	    state, log_clean(clean, sizeof(clean), msg));
	return STORE_ERROR;
}

/* Opens (or re-opens) c's connection when it is broken, or still inside a
 * transaction that could not be rolled back. Returns 0 when it is usable,
 * -1 when the database cannot be reached (logged once per outage) or the
 * last attempt was too recent. Blocks for at most the connect_timeout of
 * the DSN. */
static int
conn_ready(struct conn *c)
{
	char clean[256];

	if (PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		return 0;
	if (mono_ms() < c->retry_at)
		return -1;
	PQreset(c->pg);
	memset(c->prepared, 0, sizeof(c->prepared));
	if (PQstatus(c->pg) != CONNECTION_OK) {
		c->retry_at = mono_ms() + RECONNECT_BACKOFF_MS;
		if (!c->down)
			log_warn("store",
			    "backend=pg event=unreachable "
			    "error=\"%s\"",
			    log_clean(clean, sizeof(clean),
				PQerrorMessage(c->pg)));
		c->down = true;
		return -1;
	}
	if (c->down)
		log_info("store", "backend=pg event=reconnected");
	c->down = false;
	return 0;
}

/* Server notices ("relation exists, skipping") are for debugging only. */
static void
notice_log(void *arg, const char *msg)
{
	char clean[256];

	(void)arg;
	log_debug("store", "backend=pg notice=\"%s\"",
	    log_clean(clean, sizeof(clean), msg));
}

/* Opens a connection with holos's defaults in front of the DSN, so the DSN
 * can override each: a short connect timeout (a request never waits long
 * for a database that is gone) and TCP keepalives (a silent peer is
 * noticed). Returns the connection (check PQstatus), NULL when out of
 * memory. */
static PGconn *
conn_connect(const char *dsn)
{
	static const char *const keys[] = {
		"connect_timeout",
		"keepalives_idle",
		"keepalives_interval",
		"keepalives_count",
		"application_name",
		"client_encoding",
		"dbname",
		NULL,
	};
	const char *vals[] = { "2", "10", "5", "3", "holos", "UTF8", dsn, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	/* Kept across PQreset(): it belongs to the PGconn. */
	if (c != NULL)
		PQsetNoticeProcessor(c, notice_log, NULL);
	return c;
}

/* Prepares statement id on c unless it is already. Returns NULL, or the
 * failed result. */
static PGresult *
conn_prepare(struct conn *c, enum stmt id, const char *name)
{
	PGresult *res;

	if (c->prepared[id])
		return NULL;
	res = PQprepare(c->pg, name, stmt_sql[id], 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return res;
	PQclear(res);
	c->prepared[id] = true;
	return NULL;
}

/* Runs statement id (prepared on first use on this connection) with p
 * (NULL: none). Returns the result, which the caller PQclear()s, or NULL
 * with *st set: STORE_DUPLICATE for a unique violation (not logged),
 * STORE_UNAVAILABLE when the database is out of reach or a lock race was
 * lost, STORE_ERROR otherwise (logged). When the first statement an op
 * sends finds the connection broken (the server restarted since it was
 * last used), the connection is reset and the statement sent once more:
 * every op that writes more than one row starts with BEGIN, so nothing of
 * it can have happened. */
static PGresult *
conn_run(struct conn *c, enum stmt id, const struct params *p, const char *what,
    enum store_status *st)
{
	char name[16];
	PGresult *res;
	ExecStatusType es;
	int tries;

	snprintf(name, sizeof(name), "holos_%d", (int)id);
	for (tries = 0;; tries++) {
		if ((res = conn_prepare(c, id, name)) == NULL) {
			res = PQexecPrepared(c->pg, name, p ? p->n : 0,
			    p ? p->v : NULL, p ? p->len : NULL,
			    p ? p->fmt : NULL, 0);
			es = PQresultStatus(res);
			if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK) {
				c->used = true;
				*st = STORE_OK;
				return res;
			}
		}
		if (tries > 0 || c->used || PQstatus(c->pg) == CONNECTION_OK)
			break;
		PQclear(res);
		res = NULL;
		c->retry_at = 0;
		if (conn_ready(c) == -1)
			break;
	}
	*st = pg_fail(c, res, what);
	PQclear(res);
	return NULL;
}

/* Runs a statement for its effect; *changes (may be NULL) gets the rows it
 * touched. */
static enum store_status
conn_exec(struct conn *c, enum stmt id, const struct params *p,
    const char *what, int *changes)
{
	enum store_status st;
	PGresult *res = conn_run(c, id, p, what, &st);

	if (res != NULL && changes != NULL)
		*changes = atoi(PQcmdTuples(res));
	PQclear(res);
	return st;
}

static void
pool_put(struct store_pg *s, struct conn *c)
{
	/* An op that failed half-way may leave a transaction open. */
	if (PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		conn_exec(c, ST_ROLLBACK, NULL, "rollback", NULL);
	pthread_mutex_lock(&s->lock);
	c->busy = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

/* Takes a free connection (waiting for one), reconnecting it if needed.
 * Returns STORE_OK with *out set, or STORE_UNAVAILABLE with the connection
 * already given back. */
static enum store_status
pool_get(struct store_pg *s, struct conn **out)
{
	struct conn *c = NULL;
	int i;

	pthread_mutex_lock(&s->lock);
	while (c == NULL) {
		for (i = 0; i < POOL_SIZE && c == NULL; i++)
			if (!s->conns[i].busy)
				c = &s->conns[i];
		if (c == NULL)
			pthread_cond_wait(&s->freed, &s->lock);
	}
	c->busy = true;
	pthread_mutex_unlock(&s->lock);
	c->used = false;
	if (conn_ready(c) == -1) {
		pool_put(s, c);
		return STORE_UNAVAILABLE;
	}
	*out = c;
	return STORE_OK;
}

static void
conn_close(struct conn *c)
{
	PQfinish(c->pg);
	c->pg = NULL;
}

static int
pg_open(const char *dsn, const char *migrations_dir, const char *node,
    struct store **out)
{
	struct store_pg *s;
	char clean[256];
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->migrations_dir = strdup(migrations_dir);
	s->node = strdup(node != NULL && *node != '\0' ? node : "local");
	if (s->migrations_dir == NULL || s->node == NULL)
		goto fail;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	for (i = 0; i < POOL_SIZE; i++) {
		if ((s->conns[i].pg = conn_connect(dsn)) == NULL)
			goto fail;
		if (PQstatus(s->conns[i].pg) != CONNECTION_OK) {
			/* libpq's message names host and port, never the
			 * password. */
			log_error("store", "backend=pg op=open error=\"%s\"",
			    log_clean(clean, sizeof(clean),
				PQerrorMessage(s->conns[i].pg)));
			goto fail;
		}
	}
	log_info("store",
	    "backend=pg op=open host=%s port=%s db=%s node=%s "
	    "pool=%d",
	    PQhost(s->conns[0].pg), PQport(s->conns[0].pg),
	    PQdb(s->conns[0].pg), s->node, POOL_SIZE);
	*out = &s->base;
	return 0;
fail:
	for (i = 0; i < POOL_SIZE; i++)
		conn_close(&s->conns[i]);
	free(s->migrations_dir);
	free(s->node);
	free(s);
	return -1;
}

static void
pg_close(struct store *base)
{
	struct store_pg *s = pg(base);
	int i;

	for (i = 0; i < POOL_SIZE; i++)
		conn_close(&s->conns[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	free(s->migrations_dir);
	free(s->node);
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
		log_error("store", "backend=pg op=migrate dir=%s error=\"%s\"",
		    dir, strerror(errno));
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

/* Runs sql (one or more statements, no parameters) for its effect. A
 * migration is a script of DDL, so it goes through the simple protocol;
 * everything else holos sends is prepared. *value (may be NULL) gets the
 * first column of the first row. Returns 0, or -1 with the failure logged
 * and *st set. */
static int
script_run(struct conn *c, const char *sql, const char *what, int64_t *value,
    enum store_status *st)
{
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType es = PQresultStatus(res);

	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
		*st = pg_fail(c, res, what);
		if (*st == STORE_DUPLICATE)
			*st = STORE_ERROR;
		PQclear(res);
		return -1;
	}
	if (value != NULL)
		*value = PQntuples(res) > 0 ? res_int(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

/* Records migration m as applied. Returns 0, or -1 with *st set. */
static int
migration_record(struct conn *c, const struct migration *m,
    enum store_status *st)
{
	struct params q = { .n = 0 };
	PGresult *res;
	int ok;

	p_int(&q, m->version);
	p_text(&q, m->name);
	p_int(&q, (int64_t)time(NULL));
	res = PQexecParams(c->pg,
	    "INSERT INTO schema_migrations (version, "
	    "name, applied_at) VALUES ($1, $2, $3)",
	    q.n, NULL, q.v, q.len, q.fmt, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		*st = pg_fail(c, res, "migrate");
	PQclear(res);
	return ok ? 0 : -1;
}

/* Applies the pending migrations, each in its own transaction under an
 * advisory lock, so nodes starting together apply each one exactly once:
 * the second waits, then finds the version already recorded. */
static enum store_status
pg_migrate(struct store *base, int *version)
{
	struct store_pg *s = pg(base);
	struct migration m[256];
	struct conn *c;
	enum store_status ret;
	int64_t current = 0;
	int n, i;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	ret = STORE_ERROR;
	if ((n = migrations_list(s->migrations_dir, m, 256)) == -1)
		goto out;
	for (;;) {
		char path[PATH_MAX];
		char *script;

		if (script_run(c, "BEGIN", "migrate", NULL, &ret) == -1 ||
		    script_run(c,
			"SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")",
			"migrate_lock", NULL, &ret) == -1 ||
		    script_run(c,
			"CREATE TABLE IF NOT EXISTS schema_migrations "
			"(version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
			"applied_at BIGINT NOT NULL)",
			"migrate", NULL, &ret) == -1 ||
		    script_run(c,
			"SELECT COALESCE(MAX(version), 0) FROM "
			"schema_migrations",
			"migrate", &current, &ret) == -1)
			goto out;
		ret = STORE_ERROR;
		if (n > 0 && current > m[n - 1].version) {
			log_error("store",
			    "backend=pg op=migrate error=\"database "
			    "schema version %lld is newer than this holos knows "
			    "(%d); upgrade holos\"",
			    (long long)current, m[n - 1].version);
			goto out;
		}
		for (i = 0; i < n && m[i].version <= current; i++)
			;
		if (i == n) {
			if (script_run(c, "COMMIT", "migrate", NULL, &ret) == -1)
				goto out;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", s->migrations_dir,
		    m[i].name);
		if ((script = file_read(path)) == NULL) {
			log_error("store",
			    "backend=pg op=migrate file=%s "
			    "error=\"%s\"",
			    path, strerror(errno));
			goto out;
		}
		if (script_run(c, script, m[i].name, NULL, &ret) == -1 ||
		    migration_record(c, &m[i], &ret) == -1 ||
		    script_run(c, "COMMIT", "migrate", NULL, &ret) == -1) {
			free(script);
			goto out;
		}
		free(script);
		log_info("store", "backend=pg op=migrate applied=%s", m[i].name);
	}
	*version = (int)current;
	ret = STORE_OK;
out:
	pool_put(s, c); /* rolls back what is still open */
	return ret;
}

static enum store_status
pg_petition_create(struct store *base, const struct petition *p, int64_t *id)
{
	struct store_pg *s = pg(base);
	struct params q;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	size_t i;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((ret = conn_exec(c, ST_BEGIN, NULL, "petition_create", NULL)) !=
	    STORE_OK)
		goto out;
	q.n = 0;
	p_text(&q, p->slug);
	p_text(&q, p->title);
	p_text(&q, p->body_md);
	p_text(&q, p->lang);
	p_int(&q, p->goal);
	p_text(&q, petition_state_name(p->state));
	p_int(&q, p->created_at);
	p_int_or_null(&q, p->owner_id);
	p_int_or_null(&q, p->closes_at);
	if ((res = conn_run(c, ST_PETITION_INSERT, &q, "petition_create",
		 &ret)) == NULL)
		goto out;
	*id = res_int(res, 0, 0);
	PQclear(res);
	for (i = 0; i < p->nto; i++) {
		q.n = 0;
		p_int(&q, *id);
		p_int(&q, (int64_t)i);
		p_text(&q, p->to[i].name);
		p_text(&q, p->to[i].description ? p->to[i].description : "");
		if ((ret = conn_exec(c, ST_ADDRESSEE_INSERT, &q,
			 "addressee_insert", NULL)) != STORE_OK)
			goto out;
	}
	for (i = 0; i < p->ntr; i++) {
		q.n = 0;
		p_int(&q, *id);
		p_text(&q, p->tr[i].lang);
		p_text(&q, p->tr[i].title);
		p_text(&q, p->tr[i].body_md);
		if ((ret = conn_exec(c, ST_TRANSLATION_INSERT, &q,
			 "translation_insert", NULL)) != STORE_OK)
			goto out;
	}
	ret = conn_exec(c, ST_COMMIT, NULL, "petition_create", NULL);
out:
	pool_put(s, c); /* rolls back on failure */
	return ret;
}

/* Reads the PETITION_COLS of a row; the addressees and the count are not
 * among them (counts.c keeps the count). Returns 0, or -1 when out of
 * memory or the state is unknown. */
static int
row_petition(struct arena *a, const PGresult *r, int row, struct petition *p)
{
	memset(p, 0, sizeof(*p));
	p->id = res_int(r, row, 0);
	p->slug = res_text(a, r, row, 1);
	p->title = res_text(a, r, row, 2);
	p->body_md = res_text(a, r, row, 3);
	p->lang = res_text(a, r, row, 4);
	p->goal = res_int(r, row, 5);
	p->state = petition_state_parse(PQgetvalue(r, row, 6));
	p->created_at = res_int(r, row, 7);
	p->updated_at = res_int(r, row, 8);
	p->closes_at = res_int(r, row, 9);
	p->owner_id = res_int(r, row, 10);
	p->reason = res_text(a, r, row, 11);
	p->note = res_text(a, r, row, 12);
	if (p->slug == NULL || p->title == NULL || p->body_md == NULL ||
	    p->lang == NULL || p->reason == NULL || p->note == NULL ||
	    p->state == PETITION__MAX) {
		log_error("store", "backend=pg op=petition_row error=\"%s\"",
		    p->state == PETITION__MAX ? "unknown state" :
						"out of memory");
		return -1;
	}
	return 0;
}

/* Two reads without a transaction around them: a petition's addressees
 * are written with it and never change on their own. */
static enum store_status petition_get(struct store *, struct arena *,
    const char *, int64_t, struct petition *);

static enum store_status
pg_petition_by_slug(struct store *base, struct arena *a, const char *slug,
    struct petition *out)
{
	return petition_get(base, a, slug, 0, out);
}

static enum store_status
pg_petition_by_id(struct store *base, struct arena *a, int64_t id,
    struct petition *out)
{
	return petition_get(base, a, NULL, id, out);
}

/* The petition with this slug (or, slug NULL, this id) and its
 * addressees. */
static enum store_status
petition_get(struct store *base, struct arena *a, const char *slug, int64_t id,
    struct petition *out)
{
	struct store_pg *s = pg(base);
	struct addressee *to = NULL;
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res = NULL;
	enum store_status ret;
	int i, n;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if (slug != NULL)
		p_text(&q, slug);
	else
		p_int(&q, id);
	if ((res = conn_run(c,
		 slug != NULL ? ST_PETITION_BY_SLUG : ST_PETITION_BY_ID, &q,
		 "petition_get", &ret)) == NULL)
		goto out;
	ret = STORE_NOTFOUND;
	if (PQntuples(res) == 0)
		goto out;
	ret = STORE_ERROR;
	if (row_petition(a, res, 0, out) == -1 ||
	    (out->owner_name = res_text(a, res, 0, 13)) == NULL)
		goto out;
	PQclear(res);
	q.n = 0;
	p_int(&q, out->id);
	if ((res = conn_run(c, ST_ADDRESSEES, &q, "addressees", &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	n = PQntuples(res);
	if (n > 0 && (to = arena_alloc(a, (size_t)n * sizeof(*to))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		to[i].name = res_text(a, res, i, 0);
		to[i].description = res_text(a, res, i, 1);
		if (to[i].name == NULL || to[i].description == NULL)
			goto out;
	}
	out->to = to;
	out->nto = (size_t)n;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

/* Runs a petition list statement (PETITION_COLS) and reads every row.
 * libpq hands over a result whole or not at all, so a read that failed
 * half-way is an error here, never a shorter list. */
static enum store_status
petition_rows(struct store_pg *s, struct arena *a, enum stmt id,
    const struct params *q, const char *what, struct petition **out, size_t *n)
{
	struct petition *ps = NULL;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, rows;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((res = conn_run(c, id, q, what, &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	rows = PQntuples(res);
	if (rows > 0 &&
	    (ps = arena_alloc(a, (size_t)rows * sizeof(*ps))) == NULL)
		goto out;
	for (i = 0; i < rows; i++)
		if (row_petition(a, res, i, &ps[i]) == -1)
			goto out;
	*out = ps;
	*n = (size_t)rows;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_petition_list(struct store *base, struct arena *a, enum petition_state state,
    struct petition **out, size_t *n)
{
	struct params q = { .n = 0 };

	p_text(&q, petition_state_name(state));
	return petition_rows(pg(base), a, ST_PETITION_LIST, &q, "petition_list",
	    out, n);
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

static enum store_status
outbox_insert(struct conn *c, const struct outbox_new *m, int64_t now)
{
	struct params q = { .n = 0 };

	p_text(&q, m->message_id);
	p_text(&q, m->kind);
	p_blob(&q, m->sealed, m->sealed_len);
	p_int(&q, now);
	return conn_exec(c, ST_OUTBOX_INSERT, &q, "outbox_insert", NULL);
}

/* The petitions a batch touches: the last seq each holds (signing), the
 * confirmed signatures to add to this node's counter. */
struct batch_petition {
	int64_t petition_id;
	int64_t seq; /* the last seq given out */
	int64_t confirmed;
	bool signs;
};

static struct batch_petition *
batch_find(struct batch_petition *bp, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bp[i].petition_id == id)
			return &bp[i];
	return NULL;
}

static int
batch_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct batch_petition *)a)->petition_id;
	int64_t y = ((const struct batch_petition *)b)->petition_id;

	return (x > y) - (x < y);
}

/* seq: a petition's signatures are numbered 1, 2, 3… in commit order, the
 * order of the future verifiable log. Each batch locks the rows of the
 * petitions it signs (in id order, so two nodes cannot deadlock), then
 * reads the last seq in a new statement (so it sees what the previous
 * holder committed) and numbers only the rows that really went in. The
 * lock is taken once per batch, not per signature: nodes take turns per
 * petition at the rate of commits, and group commit keeps batches large.
 * (A global BIGSERIAL would need no lock but leaves gaps and numbers out of
 * commit order, which a log reader would have to wait out.) */
static enum store_status
seq_reserve(struct conn *c, struct batch_petition *bp, size_t n)
{
	struct params q;
	PGresult *res;
	enum store_status st;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!bp[i].signs)
			continue;
		q.n = 0;
		p_int(&q, bp[i].petition_id);
		if ((st = conn_exec(c, ST_SEQ_LOCK, &q, "seq_lock", NULL)) !=
		    STORE_OK)
			return st;
		if ((res = conn_run(c, ST_SEQ_LAST, &q, "seq_last", &st)) ==
		    NULL)
			return st;
		bp[i].seq = PQntuples(res) > 0 ? res_int(res, 0, 0) : 0;
		PQclear(res);
	}
	return STORE_OK;
}

/* The array literals of a batch statement; defined with the update mail. */
static void array_add_text(struct buf *, const char *);
static void array_add_bytea(struct buf *, const unsigned char *, size_t);
static void array_add_int(struct buf *, int64_t);
static void array_close(struct buf *);

/* A bytea element, NULL for SQL NULL. */
static void
array_add_blob(struct buf *b, const unsigned char *p, size_t n)
{
	if (p == NULL)
		array_add_text(b, NULL);
	else
		array_add_bytea(b, p, n);
}

/* Closes n arrays. Returns 0, or -1 when out of memory. */
static int
arrays_close(struct buf *ar, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		array_close(&ar[i]);
		if (!buf_ok(&ar[i]))
			return -1;
	}
	return 0;
}

static void
arrays_free(struct buf *ar, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_reset(&ar[i]);
}

/* Runs statement id with the n arrays as its parameters. */
static PGresult *
arrays_run(struct conn *c, enum stmt id, struct buf *ar, size_t n,
    const char *what, enum store_status *st)
{
	struct params q = { .n = 0 };
	size_t i;

	if (arrays_close(ar, n) == -1) {
		*st = STORE_ERROR;
		return NULL;
	}
	for (i = 0; i < n; i++)
		p_text(&q, ar[i].data);
	return conn_run(c, id, &q, what, st);
}

/* The signature row an email names, as the ops of a run before the current
 * one left it: found in the table, or inserted by an earlier op of the run.
 * Kept at the run's first op with that email. */
struct sign_row {
	size_t first; /* the run's first op with this email */
	int64_t id;   /* 0 until inserted */
	int64_t mailed_at;
	enum signature_state state;
	bool exists;
	bool mailed; /* mailed_at is set */
	bool resent; /* mailed_at changed by this run */
};

/* Sorts a run's emails so that equal ones (and their first op) meet. */
struct sign_key {
	int64_t petition_id;
	const unsigned char *hash;
	size_t op;
};

static int
sign_key_cmp(const void *a, const void *b)
{
	const struct sign_key *x = a, *y = b;
	int d;

	if (x->petition_id != y->petition_id)
		return (x->petition_id > y->petition_id) -
		    (x->petition_id < y->petition_id);
	if ((d = memcmp(x->hash, y->hash, STORE_HASH_BYTES)) != 0)
		return d;
	return (x->op > y->op) - (x->op < y->op);
}

/* Points each op of the run [lo, hi) at the run's first op with its email
 * and clears what the run knows of the rows. */
static void
sign_rows_init(const struct write_op *ops, size_t lo, size_t hi,
    struct sign_row *rows, struct sign_key *keys)
{
	size_t i, first = 0;

	for (i = lo; i < hi; i++) {
		keys[i - lo].petition_id = ops[i].sig.petition_id;
		keys[i - lo].hash = ops[i].sig.email_hash;
		keys[i - lo].op = i;
		memset(&rows[i], 0, sizeof(rows[i]));
	}
	qsort(keys, hi - lo, sizeof(*keys), sign_key_cmp);
	for (i = 0; i < hi - lo; i++) {
		if (i == 0 || keys[i].petition_id != keys[i - 1].petition_id ||
		    memcmp(keys[i].hash, keys[i - 1].hash, STORE_HASH_BYTES) !=
			0)
			first = keys[i].op;
		rows[keys[i].op].first = first;
	}
}

/* Reads the signatures the run's emails name already, in one statement. */
static enum store_status
sign_rows_find(struct conn *c, const struct write_op *ops, size_t lo, size_t hi,
    struct sign_row *rows)
{
	struct buf ar[2];
	struct sign_row *r;
	PGresult *res;
	enum store_status st;
	size_t i, k;
	int j;

	buf_init(&ar[0]);
	buf_init(&ar[1]);
	for (i = lo; i < hi; i++) {
		array_add_int(&ar[0], ops[i].sig.petition_id);
		array_add_bytea(&ar[1], ops[i].sig.email_hash, STORE_HASH_BYTES);
	}
	res = arrays_run(c, ST_SIG_FIND_MANY, ar, 2, "sig_find", &st);
	arrays_free(ar, 2);
	if (res == NULL)
		return st;
	for (j = 0; j < PQntuples(res); j++) {
		k = lo + (size_t)res_int(res, j, 0) - 1;
		if (k < lo || k >= hi)
			continue;
		r = &rows[rows[k].first];
		r->exists = true;
		r->id = res_int(res, j, 1);
		r->state = signature_state_parse(PQgetvalue(res, j, 2));
		r->mailed = !PQgetisnull(res, j, 3);
		r->mailed_at = r->mailed ? res_int(res, j, 3) : 0;
	}
	PQclear(res);
	return STORE_OK;
}

/* The columns of ST_SIGNATURE_INSERT_MANY. */
enum {
	SA_PETITION,
	SA_SEQ,
	SA_HASH,
	SA_PII,
	SA_COUNTRY,
	SA_PUBLIC,
	SA_UPDATES,
	SA_COMMENT,
	SA_STATE,
	SA_CREATED,
	SA_CONFIRMED,
	SA_LANG,
	SA_MAILED,
	SA_FLAGS,
	SA_NET,
	SA_DOMAIN,
	SA__MAX
};

static void
sign_row_add(struct buf ar[SA__MAX], const struct write_op *op)
{
	const struct signature *sig = &op->sig;

	array_add_int(&ar[SA_PETITION], sig->petition_id);
	array_add_int(&ar[SA_SEQ], sig->seq);
	array_add_bytea(&ar[SA_HASH], sig->email_hash, sizeof(sig->email_hash));
	array_add_blob(&ar[SA_PII], sig->pii, sig->pii_len);
	array_add_text(&ar[SA_COUNTRY], sig->country);
	array_add_text(&ar[SA_PUBLIC], sig->public_name ? "t" : "f");
	array_add_text(&ar[SA_UPDATES], sig->updates ? "t" : "f");
	array_add_text(&ar[SA_COMMENT], sig->comment ? sig->comment : "");
	array_add_text(&ar[SA_STATE], signature_state_name(sig->state));
	array_add_int(&ar[SA_CREATED], sig->created_at);
	if (sig->state == SIGNATURE_CONFIRMED)
		array_add_int(&ar[SA_CONFIRMED], sig->created_at);
	else
		array_add_text(&ar[SA_CONFIRMED], NULL);
	array_add_text(&ar[SA_LANG], sig->lang ? sig->lang : "en");
	if (op->mail.sealed != NULL)
		array_add_int(&ar[SA_MAILED], op->now);
	else
		array_add_text(&ar[SA_MAILED], NULL);
	array_add_int(&ar[SA_FLAGS], sig->flags);
	array_add_text(&ar[SA_NET], sig->net ? sig->net : "");
	array_add_text(&ar[SA_DOMAIN], sig->domain ? sig->domain : "");
}

/* What a batch's signing runs work in, one entry per op. */
struct sign_work {
	struct sign_row *rows;
	struct sign_key *keys;
	size_t *ins; /* the ops whose rows the insert adds, in order */
	size_t nins;
};

/* Decides each op of the run in order, as if its rows went in one by one:
 * a new email is numbered and queued for the insert (ar, w->ins); one taken
 * already is a duplicate, or a pending one gets its link again (a fresh
 * token and the op's mail), at most once per resend window. */
static void
sign_plan(struct write_op *ops, size_t lo, size_t hi, struct sign_work *w,
    struct batch_petition *bp, size_t nb, struct buf ar[SA__MAX])
{
	struct write_op *op;
	struct sign_row *r;
	struct batch_petition *b;
	size_t i;

	w->nins = 0;
	for (i = lo; i < hi; i++) {
		op = &ops[i];
		r = &w->rows[w->rows[i].first];
		if (!r->exists) {
			b = batch_find(bp, nb, op->sig.petition_id);
			op->sig.seq = ++b->seq;
			op->result = WRITE_OK;
			if (op->sig.state == SIGNATURE_CONFIRMED)
				op->petition_id = op->sig.petition_id;
			r->exists = true;
			r->state = op->sig.state;
			r->mailed = op->mail.sealed != NULL;
			r->mailed_at = op->now;
			sign_row_add(ar, op);
			w->ins[w->nins++] = i;
		} else if (r->state != SIGNATURE_PENDING ||
		    op->mail.sealed == NULL) {
			op->result = WRITE_DUPLICATE;
		} else if (r->mailed && r->mailed_at >= op->resend_before) {
			op->result = WRITE_RESEND_LATER;
		} else {
			op->result = WRITE_RESENT;
			r->mailed = r->resent = true;
			r->mailed_at = op->now;
		}
	}
}

/* Inserts the run's new signatures and notes their ids. The seq locks keep
 * every other insert of these petitions' rows out, so none conflicts; if
 * one does all the same, the batch is tried again (the conflicting row is
 * committed by then, and found). */
static enum store_status
sign_insert(struct conn *c, struct sign_work *w, struct buf ar[SA__MAX])
{
	PGresult *res;
	enum store_status st;
	int64_t i;
	int j;

	if (w->nins == 0)
		return STORE_OK;
	if ((res = arrays_run(c, ST_SIGNATURE_INSERT_MANY, ar, SA__MAX,
		 "write_sign", &st)) == NULL)
		return st;
	st = STORE_OK;
	if ((size_t)PQntuples(res) != w->nins) {
		log_info("store", "backend=pg op=write_sign event=conflict");
		st = STORE_UNAVAILABLE;
	}
	for (j = 0; j < PQntuples(res) && st == STORE_OK; j++) {
		i = res_int(res, j, 0);
		if (i < 1 || (size_t)i > w->nins)
			st = STORE_ERROR;
		else
			w->rows[w->ins[i - 1]].id = res_int(res, j, 1);
	}
	PQclear(res);
	return st;
}

/* The columns of ST_TOKEN_INSERT_MANY and ST_OUTBOX_INSERT_AT_MANY. */
enum {
	TA_HASH,
	TA_PURPOSE,
	TA_SUBJECT,
	TA_CREATED,
	TA_EXPIRES,
	TA__MAX
};
enum {
	OA_IDS,
	OA_KINDS,
	OA_MAILS,
	OA_AT,
	OA__MAX
};

static void
token_add(struct buf ta[TA__MAX], const unsigned char *hash,
    const char *purpose, int64_t subject, int64_t now, int64_t expires)
{
	array_add_bytea(&ta[TA_HASH], hash, STORE_HASH_BYTES);
	array_add_text(&ta[TA_PURPOSE], purpose);
	array_add_int(&ta[TA_SUBJECT], subject);
	array_add_int(&ta[TA_CREATED], now);
	if (expires > 0)
		array_add_int(&ta[TA_EXPIRES], expires);
	else
		array_add_text(&ta[TA_EXPIRES], NULL);
}

static void
mail_add(struct buf oa[OA__MAX], const struct outbox_new *m, int64_t now)
{
	array_add_text(&oa[OA_IDS], m->message_id);
	array_add_text(&oa[OA_KINDS], m->kind);
	array_add_blob(&oa[OA_MAILS], m->sealed, m->sealed_len);
	array_add_int(&oa[OA_AT], now);
}

/* Writes the tokens and mail of the run's new and re-sent signatures, and
 * when the re-sent ones were mailed: one statement each. */
static enum store_status
sign_extras(struct conn *c, const struct write_op *ops, size_t lo, size_t hi,
    const struct sign_row *rows)
{
	struct buf ta[TA__MAX], oa[OA__MAX], ma[2];
	const struct write_op *op;
	const struct sign_row *r;
	PGresult *res = NULL;
	enum store_status st = STORE_OK;
	size_t i, k, ntok = 0, nmail = 0, nmailed = 0;

	for (k = 0; k < TA__MAX; k++)
		buf_init(&ta[k]);
	for (k = 0; k < OA__MAX; k++)
		buf_init(&oa[k]);
	buf_init(&ma[0]);
	buf_init(&ma[1]);
	for (i = lo; i < hi; i++) {
		op = &ops[i];
		r = &rows[rows[i].first];
		if (op->result == WRITE_OK) {
			if (op->sig.state == SIGNATURE_PENDING &&
			    hash_set(op->token_hash)) {
				token_add(ta, op->token_hash, "confirm", r->id,
				    op->now, op->token_expires);
				ntok++;
			}
			if (hash_set(op->unsub_hash)) {
				token_add(ta, op->unsub_hash, "unsubscribe",
				    r->id, op->now, 0);
				ntok++;
			}
		} else if (op->result == WRITE_RESENT) {
			token_add(ta, op->token_hash, "confirm", r->id, op->now,
			    op->token_expires);
			ntok++;
		} else {
			continue;
		}
		if (op->mail.sealed != NULL) {
			mail_add(oa, &op->mail, op->now);
			nmail++;
		}
	}
	/* One entry per re-sent row: its last mail time. */
	for (i = lo; i < hi; i++)
		if (rows[i].first == i && rows[i].resent) {
			array_add_int(&ma[0], rows[i].id);
			array_add_int(&ma[1], rows[i].mailed_at);
			nmailed++;
		}
	if (ntok > 0 &&
	    (res = arrays_run(c, ST_TOKEN_INSERT_MANY, ta, TA__MAX,
		 "token_insert", &st)) == NULL)
		goto out;
	PQclear(res);
	res = NULL;
	if (nmail > 0 &&
	    (res = arrays_run(c, ST_OUTBOX_INSERT_AT_MANY, oa, OA__MAX,
		 "outbox_insert", &st)) == NULL)
		goto out;
	PQclear(res);
	res = NULL;
	if (nmailed > 0 &&
	    (res = arrays_run(c, ST_SIG_MAILED_MANY, ma, 2, "sig_mailed",
		 &st)) == NULL)
		goto out;
out:
	PQclear(res);
	arrays_free(ta, TA__MAX);
	arrays_free(oa, OA__MAX);
	arrays_free(ma, 2);
	return st;
}

/* Writes the run of signing ops [lo, hi) with a fixed number of
 * statements whatever its length: what the emails name already, the new
 * rows, their tokens, their mail, the re-sent ones' mail times. Results
 * and seq are those of writing the ops one by one in order; the unique
 * index on (petition, email hash) still decides a duplicate between
 * nodes. */
static enum store_status
sign_run(struct conn *c, struct write_op *ops, size_t lo, size_t hi,
    struct sign_work *w, struct batch_petition *bp, size_t nb)
{
	struct buf ar[SA__MAX];
	enum store_status st;
	size_t k;

	sign_rows_init(ops, lo, hi, w->rows, w->keys);
	if ((st = sign_rows_find(c, ops, lo, hi, w->rows)) != STORE_OK)
		return st;
	for (k = 0; k < SA__MAX; k++)
		buf_init(&ar[k]);
	sign_plan(ops, lo, hi, w, bp, nb, ar);
	st = sign_insert(c, w, ar);
	arrays_free(ar, SA__MAX);
	if (st != STORE_OK)
		return st;
	return sign_extras(c, ops, lo, hi, w->rows);
}

static enum store_status
write_confirm(struct conn *c, struct write_op *op)
{
	struct params q = { .n = 0 };
	PGresult *res;
	enum store_status st;
	int64_t subject, expires, used;
	int changed = 0;

	p_blob(&q, op->token_hash, STORE_HASH_BYTES);
	if ((res = conn_run(c, ST_TOKEN_GET, &q, "token_get", &st)) == NULL)
		return st;
	if (PQntuples(res) == 0 ||
	    strcmp(PQgetvalue(res, 0, 0), "confirm") != 0) {
		PQclear(res);
		op->result = WRITE_TOKEN_UNKNOWN;
		return STORE_OK;
	}
	subject = res_int(res, 0, 1);
	expires = res_int(res, 0, 2);
	used = res_int(res, 0, 3);
	PQclear(res);
	if (used != 0) {
		op->result = WRITE_TOKEN_USED;
		return STORE_OK;
	}
	if (expires != 0 && expires <= op->now) {
		op->result = WRITE_TOKEN_EXPIRED;
		return STORE_OK;
	}
	q.n = 0;
	p_int(&q, op->now);
	p_blob(&q, op->token_hash, STORE_HASH_BYTES);
	if ((st = conn_exec(c, ST_TOKEN_USE, &q, "token_use", &changed)) !=
	    STORE_OK)
		return st;
	if (changed == 0) {
		/* Another node used it between our read and our update (the
		 * update waited for its commit). */
		op->result = WRITE_TOKEN_USED;
		return STORE_OK;
	}
	q.n = 0;
	p_int(&q, op->now);
	p_int(&q, subject);
	if ((res = conn_run(c, ST_SIG_CONFIRM, &q, "sig_confirm", &st)) == NULL)
		return st;
	if (PQntuples(res) > 0)
		op->petition_id = res_int(res, 0, 0);
	PQclear(res);
	/* Confirmed by another link already: confirmed all the same. */
	op->result = WRITE_OK;
	return STORE_OK;
}

/* Adds n (may be negative) to this node's counter row of a petition:
 * only this node writes that row, so it is never contended. */
static enum store_status
count_add(struct store_pg *s, struct conn *c, int64_t petition_id, int64_t n)
{
	struct params q = { .n = 0 };

	if (n == 0)
		return STORE_OK;
	p_int(&q, petition_id);
	p_text(&q, s->node);
	p_int(&q, n);
	return conn_exec(c, ST_COUNT_ADD, &q, "count_add", NULL);
}

/* One try of a whole batch in one transaction. Each run of signing ops
 * between confirmations is written together; a confirmation on its own. */
static enum store_status
batch_try(struct store_pg *s, struct conn *c, struct write_op *ops, size_t n,
    struct batch_petition *bp, struct sign_work *w)
{
	struct batch_petition *b;
	enum store_status st;
	size_t i, j, end, nb = 0;

	for (i = 0; i < n; i++) {
		ops[i].petition_id = 0;
		ops[i].sig.seq = 0;
		if (ops[i].kind != WRITE_SIGN)
			continue;
		if ((b = batch_find(bp, nb, ops[i].sig.petition_id)) == NULL) {
			b = &bp[nb++];
			memset(b, 0, sizeof(*b));
			b->petition_id = ops[i].sig.petition_id;
		}
		b->signs = true;
	}
	qsort(bp, nb, sizeof(*bp), batch_cmp);
	if ((st = conn_exec(c, ST_BEGIN, NULL, "write_batch", NULL)) !=
		STORE_OK ||
	    (st = conn_exec(c, ST_CUSTOM_PLANS, NULL, "write_batch", NULL)) !=
		STORE_OK ||
	    (st = seq_reserve(c, bp, nb)) != STORE_OK)
		return st;
	for (i = 0; i < n; i = end) {
		if (ops[i].kind == WRITE_SIGN) {
			for (end = i; end < n && ops[end].kind == WRITE_SIGN;
			     end++)
				;
			st = sign_run(c, ops, i, end, w, bp, nb);
		} else {
			end = i + 1;
			st = write_confirm(c, &ops[i]);
		}
		if (st == STORE_DUPLICATE) {
			log_error("store",
			    "backend=pg op=write_batch "
			    "error=\"unexpected duplicate key\"");
			return STORE_ERROR;
		}
		if (st != STORE_OK)
			return st;
		for (j = i; j < end; j++) {
			if (ops[j].petition_id == 0)
				continue;
			if ((b = batch_find(bp, nb, ops[j].petition_id)) ==
			    NULL) {
				b = &bp[nb++];
				memset(b, 0, sizeof(*b));
				b->petition_id = ops[j].petition_id;
			}
			b->confirmed++;
		}
	}
	for (i = 0; i < nb; i++)
		if ((st = count_add(s, c, bp[i].petition_id, bp[i].confirmed)) !=
		    STORE_OK)
			return st;
	return conn_exec(c, ST_COMMIT, NULL, "write_commit", NULL);
}

/* Group commit: the whole batch in one transaction, this node's counter
 * rows included. A batch that lost a lock race to another node (deadlock,
 * serialisation) is rolled back and tried again; a lost connection is not
 * retried here (the commit may or may not have happened; the unique index
 * makes the signer's retry harmless). */
static enum store_status
pg_write_batch(struct store *base, struct write_op *ops, size_t n)
{
	struct store_pg *s = pg(base);
	struct batch_petition *bp;
	struct sign_work w;
	struct conn *c;
	enum store_status st = STORE_ERROR;
	size_t m = n ? n : 1;
	int tries;

	/* At most one entry per op. */
	bp = calloc(m, sizeof(*bp));
	w.rows = calloc(m, sizeof(*w.rows));
	w.keys = calloc(m, sizeof(*w.keys));
	w.ins = calloc(m, sizeof(*w.ins));
	if (bp == NULL || w.rows == NULL || w.keys == NULL || w.ins == NULL)
		goto out;
	if ((st = pool_get(s, &c)) != STORE_OK)
		goto out;
	for (tries = 1;; tries++) {
		st = batch_try(s, c, ops, n, bp, &w);
		if (st == STORE_OK || PQstatus(c->pg) != CONNECTION_OK ||
		    st != STORE_UNAVAILABLE || tries == BATCH_TRIES)
			break;
		conn_exec(c, ST_ROLLBACK, NULL, "write_rollback", NULL);
		log_info("store",
		    "backend=pg op=write_batch event=retry try=%d", tries + 1);
	}
	pool_put(s, c); /* rolls back on failure */
out:
	free(bp);
	free(w.rows);
	free(w.keys);
	free(w.ins);
	return st;
}

static enum store_status
pg_token_lookup(struct store *base, struct arena *a, const unsigned char *hash,
    struct token_info *out)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_blob(&q, hash, STORE_HASH_BYTES);
	if ((res = conn_run(c, ST_TOKEN_INFO, &q, "token_lookup", &ret)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	out->signature_id = res_int(res, 0, 0);
	out->purpose = res_text(a, res, 0, 1);
	out->expires_at = res_int(res, 0, 2);
	out->used_at = res_int(res, 0, 3);
	out->slug = res_text(a, res, 0, 4);
	out->title = res_text(a, res, 0, 5);
	out->lang = res_text(a, res, 0, 6);
	out->state = signature_state_parse(PQgetvalue(res, 0, 7));
	out->title_lang = res_text(a, res, 0, 8);
	ret = out->purpose && out->slug && out->title && out->lang ?
	    STORE_OK :
	    STORE_ERROR;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

/* Runs one statement for its effect on a pooled connection. */
static enum store_status
pool_exec(struct store_pg *s, enum stmt id, const struct params *q,
    const char *what, int *changes)
{
	struct conn *c;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	ret = conn_exec(c, id, q, what, changes);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_unsubscribe(struct store *base, const unsigned char *hash, int64_t now)
{
	struct params q = { .n = 0 };
	enum store_status ret;
	int changed = 0;

	(void)now;
	p_blob(&q, hash, STORE_HASH_BYTES);
	ret = pool_exec(pg(base), ST_UNSUBSCRIBE, &q, "unsubscribe", &changed);
	if (ret == STORE_OK && changed == 0)
		ret = STORE_NOTFOUND;
	return ret;
}

/* Only messages older than the lease: another node may be sending the
 * rest right now. */
static enum store_status
pg_outbox_recover(struct store *base, int *n)
{
	struct params q = { .n = 0 };

	p_int(&q, (int64_t)time(NULL) - OUTBOX_LEASE);
	return pool_exec(pg(base), ST_OUTBOX_RECOVER, &q, "outbox_recover", n);
}

static enum store_status
pg_outbox_claim(struct store *base, struct arena *a, int64_t now, size_t max,
    struct outbox_msg **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct outbox_msg *ms;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, rows;

	*n = 0;
	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, now);
	p_int(&q, (int64_t)max);
	p_int(&q, now - OUTBOX_LEASE);
	if ((res = conn_run(c, ST_OUTBOX_CLAIM, &q, "outbox_claim", &ret)) ==
	    NULL)
		goto out;
	ret = STORE_ERROR;
	rows = PQntuples(res);
	if ((ms = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*ms))) ==
	    NULL)
		goto out;
	for (i = 0; i < rows; i++) {
		ms[i].id = res_int(res, i, 0);
		ms[i].message_id = res_text(a, res, i, 1);
		ms[i].kind = res_text(a, res, i, 2);
		ms[i].sealed = res_blob(a, res, i, 3, &ms[i].sealed_len);
		ms[i].attempts = (int)res_int(res, i, 4);
		ms[i].next_at = res_int(res, i, 5);
		ms[i].created_at = res_int(res, i, 6);
		ms[i].state = OUTBOX_SENDING;
		/* Claimed already: a message that cannot be copied here is
		 * sent again after the lease. */
		if (ms[i].message_id == NULL || ms[i].kind == NULL)
			goto out;
	}
	*out = ms;
	*n = (size_t)rows;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_outbox_finish(struct store *base, int64_t id, enum outbox_state state,
    int64_t next_at, const char *error, int64_t now)
{
	struct params q = { .n = 0 };

	if (state == OUTBOX_SENT) {
		p_int(&q, now);
		p_int(&q, id);
		return pool_exec(pg(base), ST_OUTBOX_SENT, &q, "outbox_sent",
		    NULL);
	}
	p_text(&q, outbox_state_name(state));
	p_int(&q, next_at);
	p_text(&q, error ? error : "");
	p_int(&q, now);
	p_int(&q, id);
	return pool_exec(pg(base), ST_OUTBOX_RESCHEDULE, &q, "outbox_finish",
	    NULL);
}

static enum outbox_state
outbox_state_parse(const char *name)
{
	int i;

	for (i = 0; i < OUTBOX__MAX; i++)
		if (strcmp(outbox_state_name((enum outbox_state)i), name) == 0)
			return (enum outbox_state)i;
	return OUTBOX__MAX;
}

static enum store_status
pg_outbox_list(struct store *base, struct arena *a, struct outbox_msg **out,
    size_t *n)
{
	struct store_pg *s = pg(base);
	struct outbox_msg *ms;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, rows;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((res = conn_run(c, ST_OUTBOX_LIST, NULL, "outbox_list", &ret)) ==
	    NULL)
		goto out;
	ret = STORE_ERROR;
	rows = PQntuples(res);
	if ((ms = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*ms))) ==
	    NULL)
		goto out;
	for (i = 0; i < rows; i++) {
		ms[i].id = res_int(res, i, 0);
		ms[i].message_id = res_text(a, res, i, 1);
		ms[i].kind = res_text(a, res, i, 2);
		ms[i].state = outbox_state_parse(PQgetvalue(res, i, 3));
		ms[i].attempts = (int)res_int(res, i, 4);
		ms[i].next_at = res_int(res, i, 5);
		ms[i].created_at = res_int(res, i, 6);
		ms[i].updated_at = res_int(res, i, 7);
		ms[i].sent_at = res_int(res, i, 8);
		ms[i].last_error = res_text(a, res, i, 9);
		if (ms[i].message_id == NULL || ms[i].kind == NULL ||
		    ms[i].last_error == NULL)
			goto out;
	}
	*out = ms;
	*n = (size_t)rows;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_outbox_retry(struct store *base, int64_t id, int64_t now, int *n)
{
	struct params q = { .n = 0 };

	p_int(&q, now);
	if (id == 0)
		return pool_exec(pg(base), ST_OUTBOX_RETRY_ALL, &q,
		    "outbox_retry", n);
	p_int(&q, id);
	return pool_exec(pg(base), ST_OUTBOX_RETRY_ONE, &q, "outbox_retry", n);
}

static enum store_status
pg_petition_count(struct store *base, int64_t id, int64_t *count)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, id);
	if ((res = conn_run(c, ST_COUNT, &q, "count", &ret)) != NULL) {
		*count = PQntuples(res) > 0 ? res_int(res, 0, 0) : 0;
		PQclear(res);
	}
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_petition_translation(struct store *base, struct arena *a,
    int64_t petition_id, const char *lang, struct translation *out)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	p_text(&q, lang);
	if ((res = conn_run(c, ST_TRANSLATION, &q, "translation", &ret)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	out->lang = res_text(a, res, 0, 0);
	out->title = res_text(a, res, 0, 1);
	out->body_md = res_text(a, res, 0, 2);
	ret = out->lang && out->title && out->body_md ? STORE_OK : STORE_ERROR;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_trending(struct store *base, struct arena *a, int64_t petition_id,
    int64_t since, bool by_domain, struct trend_row **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct trend_row *rows;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	p_int(&q, since);
	if ((res = conn_run(c, by_domain ? ST_TREND_DOMAIN : ST_TREND_NET, &q,
		 "trending", &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((rows = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*rows))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		rows[i].n = res_int(res, i, 1);
		if ((rows[i].key = res_text(a, res, i, 0)) == NULL)
			goto out;
	}
	*out = rows;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

/* The seqs as a PostgreSQL array literal, "{1,2,3}" (arena), or NULL. */
static const char *
seq_array(struct arena *a, const int64_t *seqs, size_t n)
{
	char *p, *out;
	size_t i;

	if ((out = p = arena_alloc(a, n * 21 + 3)) == NULL)
		return NULL;
	*p++ = '{';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%" PRId64, i ? "," : "", seqs[i]);
	*p++ = '}';
	*p = '\0';
	return out;
}

/* Binds the criteria of ST_INV_MARK ($1 to $6). */
static int
inv_criteria(struct arena *a, struct params *q, const struct invalidation *inv)
{
	const char *list = NULL;

	if (inv->nseqs > 0 &&
	    (list = seq_array(a, inv->seqs, inv->nseqs)) == NULL)
		return -1;
	p_int(q, inv->petition_id);
	p_text(q, inv->domain);
	p_text(q, inv->net);
	p_int(q, inv->from);
	p_int(q, inv->to);
	p_text(q, list);
	return 0;
}

static enum store_status
pg_invalidate(struct store *base, struct invalidation *inv)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct arena *a = NULL;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	char criteria[512], subject[64], detail[700];
	int64_t id;

	if (inv->domain == NULL && inv->net == NULL && inv->from == 0 &&
	    inv->to == 0 && inv->nseqs == 0) {
		log_error("store",
		    "backend=pg op=invalidate error=\"no "
		    "criterion\"");
		return STORE_ERROR;
	}
	snprintf(criteria, sizeof(criteria),
	    "domain=%s net=%s from=%lld "
	    "to=%lld list=%zu",
	    inv->domain ? inv->domain : "-", inv->net ? inv->net : "-",
	    (long long)inv->from, (long long)inv->to, inv->nseqs);
	if ((a = arena_new()) == NULL)
		return STORE_ERROR;
	if ((ret = pool_get(s, &c)) != STORE_OK) {
		arena_free(a);
		return ret;
	}
	if ((ret = conn_exec(c, ST_BEGIN, NULL, "invalidate", NULL)) != STORE_OK)
		goto out;
	p_int(&q, inv->petition_id);
	p_text(&q, inv->reason);
	p_text(&q, criteria);
	p_text(&q, inv->note ? inv->note : "");
	p_text(&q, inv->actor);
	p_int(&q, inv->now);
	if ((res = conn_run(c, ST_INV_RECORD, &q, "invalidate", &ret)) == NULL)
		goto out;
	id = res_int(res, 0, 0);
	PQclear(res);
	q.n = 0;
	ret = STORE_ERROR;
	if (inv_criteria(a, &q, inv) == -1)
		goto out;
	p_text(&q, inv->reason);
	p_int(&q, id);
	if ((res = conn_run(c, ST_INV_MARK, &q, "invalidate", &ret)) == NULL)
		goto out;
	inv->removed = res_int(res, 0, 0);
	inv->uncounted = res_int(res, 0, 1);
	PQclear(res);
	q.n = 0;
	p_int(&q, inv->removed);
	p_int(&q, id);
	if ((ret = conn_exec(c, ST_INV_REMOVED, &q, "invalidate", NULL)) !=
		STORE_OK ||
	    (ret = count_add(s, c, inv->petition_id, -inv->uncounted)) !=
		STORE_OK)
		goto out;
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)inv->petition_id);
	snprintf(detail, sizeof(detail),
	    "reason=%s %s removed=%lld "
	    "uncounted=%lld",
	    inv->reason, criteria, (long long)inv->removed,
	    (long long)inv->uncounted);
	q.n = 0;
	p_int(&q, inv->now);
	p_text(&q, inv->actor);
	p_text(&q, "invalidate");
	p_text(&q, subject);
	p_text(&q, detail);
	if ((ret = conn_exec(c, ST_AUDIT, &q, "invalidate", NULL)) != STORE_OK)
		goto out;
	ret = conn_exec(c, ST_COMMIT, NULL, "invalidate", NULL);
out:
	if (ret == STORE_DUPLICATE)
		ret = STORE_ERROR;
	pool_put(s, c); /* rolls back on failure */
	arena_free(a);
	return ret;
}

static enum store_status
pg_removals(struct store *base, struct arena *a, int64_t petition_id,
    struct removal_row **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct removal_row *rows;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	if ((res = conn_run(c, ST_REMOVALS, &q, "removals", &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((rows = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*rows))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		rows[i].n = res_int(res, i, 1);
		if ((rows[i].reason = res_text(a, res, i, 0)) == NULL)
			goto out;
	}
	*out = rows;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_user_create(struct store *base, const struct user_new *u, int64_t *id)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_blob(&q, u->email_hash, STORE_HASH_BYTES);
	p_blob(&q, u->sealed, u->sealed_len);
	p_text(&q, u->password);
	p_text(&q, user_role_name(u->role));
	if (u->verified)
		p_int(&q, u->now);
	else
		p_text(&q, NULL);
	p_int(&q, u->now);
	p_text(&q, u->name ? u->name : "");
	p_text(&q, u->lang ? u->lang : "en");
	if ((res = conn_run(c, ST_USER_INSERT, &q, "user_create", &ret)) !=
	    NULL) {
		*id = res_int(res, 0, 0);
		PQclear(res);
	}
	pool_put(s, c);
	return ret;
}

/* Reads the USER_COLS of the account that statement id finds with q. */
static enum store_status
user_row(struct store_pg *s, enum stmt id, struct arena *a,
    const struct params *q, struct user *out)
{
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((res = conn_run(c, id, q, "user", &ret)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->id = res_int(res, 0, 0);
	out->role = user_role_parse(PQgetvalue(res, 0, 1));
	out->password = res_text(a, res, 0, 2);
	out->failed = (int)res_int(res, 0, 3);
	out->locked_until = res_int(res, 0, 4);
	out->name = res_text(a, res, 0, 5);
	out->lang = res_text(a, res, 0, 6);
	out->verified_at = res_int(res, 0, 7);
	out->email_sealed = res_blob(a, res, 0, 8, &out->email_sealed_len);
	ret = out->password != NULL && out->role != ROLE__MAX &&
		out->name != NULL && out->lang != NULL &&
		out->email_sealed != NULL ?
	    STORE_OK :
	    STORE_ERROR;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_user_by_email(struct store *base, struct arena *a,
    const unsigned char *email_hash, struct user *out)
{
	struct params q = { .n = 0 };

	p_blob(&q, email_hash, STORE_HASH_BYTES);
	return user_row(pg(base), ST_USER_BY_EMAIL, a, &q, out);
}

static enum store_status
pg_user_by_id(struct store *base, struct arena *a, int64_t id, struct user *out)
{
	struct params q = { .n = 0 };

	p_int(&q, id);
	return user_row(pg(base), ST_USER_BY_ID, a, &q, out);
}

static enum store_status
pg_user_login_result(struct store *base, int64_t id, bool ok, int64_t now,
    int max_failed, int64_t lock_seconds)
{
	struct params q = { .n = 0 };

	p_int(&q, id);
	if (ok)
		return pool_exec(pg(base), ST_USER_OK, &q, "user_login_result",
		    NULL);
	p_int(&q, now);
	p_int(&q, max_failed);
	p_int(&q, lock_seconds);
	return pool_exec(pg(base), ST_USER_FAILED, &q, "user_login_result",
	    NULL);
}

static enum store_status
pg_session_create(struct store *base, const unsigned char *hash,
    int64_t user_id, int64_t now, int64_t expires)
{
	struct params q = { .n = 0 };

	p_blob(&q, hash, STORE_HASH_BYTES);
	p_int(&q, user_id);
	p_int(&q, now);
	p_int(&q, expires);
	return pool_exec(pg(base), ST_SESSION_INSERT, &q, "session_create",
	    NULL);
}

static enum store_status
pg_session_user(struct store *base, struct arena *a, const unsigned char *hash,
    int64_t now, struct user *out)
{
	struct params q = { .n = 0 };

	p_blob(&q, hash, STORE_HASH_BYTES);
	p_int(&q, now);
	return user_row(pg(base), ST_SESSION_USER, a, &q, out);
}

static enum store_status
pg_session_delete(struct store *base, const unsigned char *hash)
{
	struct params q = { .n = 0 };

	p_blob(&q, hash, STORE_HASH_BYTES);
	return pool_exec(pg(base), ST_SESSION_DELETE, &q, "session_delete",
	    NULL);
}

static enum store_status
pg_audit(struct store *base, const char *actor, const char *action,
    const char *subject, const char *detail, int64_t now)
{
	struct params q = { .n = 0 };

	p_int(&q, now);
	p_text(&q, actor);
	p_text(&q, action);
	p_text(&q, subject ? subject : "");
	p_text(&q, detail ? detail : "");
	return pool_exec(pg(base), ST_AUDIT, &q, "audit", NULL);
}

static enum store_status
pg_audit_list(struct store *base, struct arena *a, struct audit_row **out,
    size_t *n)
{
	struct store_pg *s = pg(base);
	struct audit_row *rows;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((res = conn_run(c, ST_AUDIT_LIST, NULL, "audit_list", &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((rows = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*rows))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		rows[i].at = res_int(res, i, 0);
		rows[i].actor = res_text(a, res, i, 1);
		rows[i].action = res_text(a, res, i, 2);
		rows[i].subject = res_text(a, res, i, 3);
		rows[i].detail = res_text(a, res, i, 4);
		if (rows[i].actor == NULL || rows[i].action == NULL ||
		    rows[i].subject == NULL || rows[i].detail == NULL)
			goto out;
	}
	*out = rows;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_user_token_create(struct store *base, const unsigned char *hash,
    enum user_token_purpose purpose, int64_t user_id, int64_t now,
    int64_t expires)
{
	struct params q = { .n = 0 };

	p_blob(&q, hash, STORE_HASH_BYTES);
	p_text(&q, user_token_purpose_name(purpose));
	p_int(&q, user_id);
	p_int(&q, now);
	p_int(&q, expires);
	return pool_exec(pg(base), ST_USER_TOKEN_INSERT, &q,
	    "user_token_create", NULL);
}

static enum store_status
pg_user_token_use(struct store *base, const unsigned char *hash,
    enum user_token_purpose purpose, bool consume, int64_t now, int64_t *user_id)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_blob(&q, hash, STORE_HASH_BYTES);
	p_text(&q, user_token_purpose_name(purpose));
	p_int(&q, now);
	if ((res = conn_run(c, consume ? ST_USER_TOKEN_USE : ST_USER_TOKEN_GET,
		 &q, "user_token_use", &ret)) == NULL)
		goto out;
	if (PQntuples(res) == 0)
		ret = STORE_NOTFOUND;
	else
		*user_id = res_int(res, 0, 0);
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_user_verify(struct store *base, int64_t id, int64_t now)
{
	struct params q = { .n = 0 };
	enum store_status ret;
	int changed = 0;

	p_int(&q, id);
	p_int(&q, now);
	ret = pool_exec(pg(base), ST_USER_VERIFY, &q, "user_verify", &changed);
	if (ret == STORE_OK && changed == 0)
		ret = STORE_NOTFOUND;
	return ret;
}

static enum store_status
pg_user_set_password(struct store *base, int64_t id, const char *password)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	enum store_status ret;
	int changed = 0;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((ret = conn_exec(c, ST_BEGIN, NULL, "user_set_password", NULL)) !=
	    STORE_OK)
		goto out;
	p_int(&q, id);
	p_text(&q, password);
	if ((ret = conn_exec(c, ST_USER_PASSWORD, &q, "user_set_password",
		 &changed)) != STORE_OK)
		goto out;
	if (changed == 0) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	q.n = 0;
	p_int(&q, id);
	if ((ret = conn_exec(c, ST_USER_SESSIONS_END, &q, "user_set_password",
		 NULL)) != STORE_OK)
		goto out;
	ret = conn_exec(c, ST_COMMIT, NULL, "user_set_password", NULL);
out:
	pool_put(s, c); /* rolls back on failure */
	return ret;
}

static enum store_status
pg_petition_update(struct store *base, const struct petition *p)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	enum store_status ret;
	size_t i;
	int changed = 0;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((ret = conn_exec(c, ST_BEGIN, NULL, "petition_update", NULL)) !=
	    STORE_OK)
		goto out;
	p_int(&q, p->id);
	p_text(&q, p->title);
	p_text(&q, p->body_md);
	p_text(&q, p->lang);
	p_int(&q, p->goal);
	p_int_or_null(&q, p->closes_at);
	p_int(&q, p->updated_at);
	if ((ret = conn_exec(c, ST_PETITION_UPDATE, &q, "petition_update",
		 &changed)) != STORE_OK)
		goto out;
	if (changed == 0) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	q.n = 0;
	p_int(&q, p->id);
	if ((ret = conn_exec(c, ST_ADDRESSEES_DELETE, &q, "petition_update",
		 NULL)) != STORE_OK)
		goto out;
	for (i = 0; i < p->nto; i++) {
		q.n = 0;
		p_int(&q, p->id);
		p_int(&q, (int64_t)i);
		p_text(&q, p->to[i].name);
		p_text(&q, p->to[i].description ? p->to[i].description : "");
		if ((ret = conn_exec(c, ST_ADDRESSEE_INSERT, &q,
			 "petition_update", NULL)) != STORE_OK)
			goto out;
	}
	ret = conn_exec(c, ST_COMMIT, NULL, "petition_update", NULL);
out:
	if (ret == STORE_DUPLICATE)
		ret = STORE_ERROR;
	pool_put(s, c); /* rolls back on failure */
	return ret;
}

/* The audit detail of a transition: "reason: note", or whichever of them
 * is not empty. Returns a malloc'd string, NULL when out of memory. */
static char *
transition_detail(const char *reason, const char *note)
{
	size_t len = strlen(reason) + strlen(note) + 3;
	char *d;

	if ((d = malloc(len)) == NULL)
		return NULL;
	snprintf(d, len, "%s%s%s", reason,
	    *reason != '\0' && *note != '\0' ? ": " : "", note);
	return d;
}

static enum store_status
pg_petition_transition(struct store *base, const struct transition *t)
{
	struct store_pg *s = pg(base);
	const char *from = petition_state_name(t->from);
	const char *to = petition_state_name(t->to);
	const char *reason = t->reason ? t->reason : "";
	const char *note = t->note ? t->note : "";
	struct params q = { .n = 0 };
	struct conn *c;
	enum store_status ret;
	char action[32], subject[32], *detail;
	int changed = 0;

	if (from == NULL || to == NULL) {
		log_error("store",
		    "backend=pg op=petition_transition "
		    "error=\"unknown state\"");
		return STORE_ERROR;
	}
	if ((detail = transition_detail(reason, note)) == NULL)
		return STORE_ERROR;
	snprintf(action, sizeof(action), "petition_%s", to);
	snprintf(subject, sizeof(subject), "petition:%lld",
	    (long long)t->petition_id);
	if ((ret = pool_get(s, &c)) != STORE_OK) {
		free(detail);
		return ret;
	}
	if ((ret = conn_exec(c, ST_BEGIN, NULL, "petition_transition", NULL)) !=
	    STORE_OK)
		goto out;
	p_int(&q, t->petition_id);
	p_text(&q, from);
	p_text(&q, to);
	p_text(&q, reason);
	p_text(&q, note);
	p_int(&q, t->at);
	if ((ret = conn_exec(c, ST_PETITION_MOVE, &q, "petition_transition",
		 &changed)) != STORE_OK)
		goto out;
	if (changed == 0) {
		ret = STORE_NOTFOUND;
		goto out;
	}
	q.n = 0;
	p_int(&q, t->petition_id);
	p_text(&q, from);
	p_text(&q, to);
	p_text(&q, t->actor);
	p_text(&q, reason);
	p_text(&q, note);
	p_int(&q, t->at);
	if ((ret = conn_exec(c, ST_TRANSITION_INSERT, &q, "petition_transition",
		 NULL)) != STORE_OK)
		goto out;
	q.n = 0;
	p_int(&q, t->at);
	p_text(&q, t->actor);
	p_text(&q, action);
	p_text(&q, subject);
	p_text(&q, detail);
	if ((ret = conn_exec(c, ST_AUDIT, &q, "petition_transition", NULL)) !=
	    STORE_OK)
		goto out;
	ret = conn_exec(c, ST_COMMIT, NULL, "petition_transition", NULL);
out:
	if (ret == STORE_DUPLICATE)
		ret = STORE_ERROR;
	pool_put(s, c); /* rolls back on failure */
	free(detail);
	return ret;
}

static enum store_status
pg_petition_list_owner(struct store *base, struct arena *a, int64_t owner_id,
    struct petition **out, size_t *n)
{
	struct params q = { .n = 0 };

	p_int(&q, owner_id);
	return petition_rows(pg(base), a, ST_PETITION_LIST_OWNER, &q,
	    "petition_list_owner", out, n);
}

static enum store_status
pg_petition_queue(struct store *base, struct arena *a, struct petition **out,
    size_t *n)
{
	return petition_rows(pg(base), a, ST_PETITION_QUEUE, NULL,
	    "petition_queue", out, n);
}

static enum store_status
pg_petition_due(struct store *base, struct arena *a, int64_t now,
    struct petition **out, size_t *n)
{
	struct params q = { .n = 0 };

	p_int(&q, now);
	return petition_rows(pg(base), a, ST_PETITION_DUE, &q, "petition_due",
	    out, n);
}

static enum store_status
pg_transition_list(struct store *base, struct arena *a, int64_t petition_id,
    struct transition **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct transition *ts;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	if ((res = conn_run(c, ST_TRANSITION_LIST, &q, "transition_list",
		 &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((ts = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*ts))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		ts[i].petition_id = res_int(res, i, 0);
		ts[i].from = petition_state_parse(PQgetvalue(res, i, 1));
		ts[i].to = petition_state_parse(PQgetvalue(res, i, 2));
		ts[i].actor = res_text(a, res, i, 3);
		ts[i].reason = res_text(a, res, i, 4);
		ts[i].note = res_text(a, res, i, 5);
		ts[i].at = res_int(res, i, 6);
		if (ts[i].from == PETITION__MAX || ts[i].to == PETITION__MAX ||
		    ts[i].actor == NULL || ts[i].reason == NULL ||
		    ts[i].note == NULL)
			goto out;
	}
	*out = ts;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_update_create(struct store *base, const struct update *u, int64_t *id)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, u->petition_id);
	p_text(&q, update_kind_name(u->kind));
	p_text(&q, u->author ? u->author : "");
	p_text(&q, u->title);
	p_text(&q, u->body_md);
	p_int(&q, u->created_at);
	if ((res = conn_run(c, ST_UPDATE_INSERT, &q, "update_create", &ret)) !=
	    NULL) {
		*id = res_int(res, 0, 0);
		PQclear(res);
	}
	pool_put(s, c);
	return ret;
}

/* Reads the columns of ST_UPDATE_LIST and _NEXT. Returns 0 or -1. */
static int
row_update(struct arena *a, const PGresult *r, int row, struct update *u)
{
	memset(u, 0, sizeof(*u));
	u->id = res_int(r, row, 0);
	u->petition_id = res_int(r, row, 1);
	u->kind = update_kind_parse(PQgetvalue(r, row, 2));
	u->author = res_text(a, r, row, 3);
	u->title = res_text(a, r, row, 4);
	u->body_md = res_text(a, r, row, 5);
	u->created_at = res_int(r, row, 6);
	u->mail_cursor = res_int(r, row, 7);
	u->mail_done = PQgetvalue(r, row, 8)[0] == 't';
	u->mailed = res_int(r, row, 9);
	return u->kind == UPDATE__MAX || u->author == NULL ||
		u->title == NULL || u->body_md == NULL ?
	    -1 :
	    0;
}

static enum store_status
pg_update_list(struct store *base, struct arena *a, int64_t petition_id,
    struct update **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct update *us;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	if ((res = conn_run(c, ST_UPDATE_LIST, &q, "update_list", &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((us = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*us))) == NULL)
		goto out;
	for (i = 0; i < k; i++)
		if (row_update(a, res, i, &us[i]) == -1)
			goto out;
	*out = us;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_update_mail_next(struct store *base, struct arena *a, struct update *out)
{
	struct store_pg *s = pg(base);
	struct conn *c;
	PGresult *res;
	enum store_status ret;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((res = conn_run(c, ST_UPDATE_NEXT, NULL, "update_mail_next",
		 &ret)) == NULL)
		goto out;
	if (PQntuples(res) == 0)
		ret = STORE_NOTFOUND;
	else if (row_update(a, res, 0, out) == -1)
		ret = STORE_ERROR;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

static enum store_status
pg_update_recipients(struct store *base, struct arena *a, int64_t petition_id,
    int64_t after_id, int64_t created_before, size_t max,
    struct recipient **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct recipient *rs;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	p_int(&q, after_id);
	p_int(&q, created_before);
	p_int(&q, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	if ((res = conn_run(c, ST_UPDATE_RECIPIENTS, &q, "update_recipients",
		 &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((rs = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*rs))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		rs[i].signature_id = res_int(res, i, 0);
		rs[i].pii = res_blob(a, res, i, 1, &rs[i].pii_len);
		rs[i].lang = res_text(a, res, i, 2);
		if ((rs[i].pii == NULL && !PQgetisnull(res, i, 1)) ||
		    rs[i].lang == NULL)
			goto out;
	}
	*out = rs;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

/* Arrays for a batch statement, as PostgreSQL array literals in text form
 * ("{...}"): elements are appended, then the literal is closed. */
static void
array_sep(struct buf *b)
{
	buf_putc(b, b->len == 0 ? '{' : ',');
}

static void
array_add_text(struct buf *b, const char *s)
{
	array_sep(b);
	if (s == NULL) {
		buf_puts(b, "NULL");
		return;
	}
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* bytea's hex form, "\x..."; its backslash escaped inside the quotes. */
static void
array_add_bytea(struct buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	array_sep(b);
	buf_puts(b, "\"\\\\x");
	for (i = 0; i < n; i++) {
		buf_putc(b, hex[p[i] >> 4]);
		buf_putc(b, hex[p[i] & 15]);
	}
	buf_putc(b, '"');
}

static void
array_add_int(struct buf *b, int64_t v)
{
	array_sep(b);
	buf_printf(b, "%" PRId64, v);
}

static void
array_close(struct buf *b)
{
	if (b->len == 0)
		buf_putc(b, '{');
	buf_putc(b, '}');
}

/* The five arrays of a batch of update mail. */
enum {
	AR_IDS,
	AR_KINDS,
	AR_MAILS,
	AR_HASHES,
	AR_SUBJECTS,
	AR__MAX
};

/* Fills the arrays from msgs; *nmail and *ntok count the rows of each
 * insert. Returns 0, or -1 when out of memory. */
static int
update_mail_arrays(struct buf ar[AR__MAX], const struct update_mail *msgs,
    size_t n, size_t *nmail, size_t *ntok)
{
	size_t i;
	int k;

	*nmail = *ntok = 0;
	for (i = 0; i < n; i++) {
		if (msgs[i].mail.sealed != NULL) {
			array_add_text(&ar[AR_IDS], msgs[i].mail.message_id);
			array_add_text(&ar[AR_KINDS], msgs[i].mail.kind);
			array_add_bytea(&ar[AR_MAILS], msgs[i].mail.sealed,
			    msgs[i].mail.sealed_len);
			(*nmail)++;
		}
		if (hash_set(msgs[i].unsub_hash)) {
			array_add_bytea(&ar[AR_HASHES], msgs[i].unsub_hash,
			    STORE_HASH_BYTES);
			array_add_int(&ar[AR_SUBJECTS], msgs[i].signature_id);
			(*ntok)++;
		}
	}
	for (k = 0; k < AR__MAX; k++) {
		array_close(&ar[k]);
		if (!buf_ok(&ar[k]))
			return -1;
	}
	return 0;
}

/* Inserts a batch's mail and unsubscribe tokens, one statement each
 * whatever the size of the batch. A key taken already (a Message-ID, a
 * token) is an error here: only a moved cursor means "queued elsewhere". */
static enum store_status
update_mail_rows(struct conn *c, const struct buf ar[AR__MAX], size_t nmail,
    size_t ntok, int64_t now)
{
	struct params q = { .n = 0 };
	enum store_status st = STORE_OK;

	p_text(&q, ar[AR_IDS].data);
	p_text(&q, ar[AR_KINDS].data);
	p_text(&q, ar[AR_MAILS].data);
	p_int(&q, now);
	if (nmail > 0)
		st = conn_exec(c, ST_OUTBOX_INSERT_MANY, &q,
		    "update_mail_commit", NULL);
	q.n = 0;
	p_text(&q, ar[AR_HASHES].data);
	p_text(&q, ar[AR_SUBJECTS].data);
	p_int(&q, now);
	if (st == STORE_OK && ntok > 0)
		st = conn_exec(c, ST_UNSUB_INSERT_MANY, &q,
		    "update_mail_commit", NULL);
	if (st == STORE_DUPLICATE) {
		log_error("store",
		    "backend=pg op=update_mail_commit "
		    "error=\"unexpected duplicate key\"");
		st = STORE_ERROR;
	}
	return st;
}

/* The cursor update decides: of two nodes queuing the same batch, the
 * second waits for the first's commit, finds the cursor moved and writes
 * nothing. */
static enum store_status
pg_update_mail_commit(struct store *base, int64_t update_id, int64_t old_cursor,
    int64_t new_cursor, bool done, const struct update_mail *msgs, size_t n,
    int64_t now)
{
	struct store_pg *s = pg(base);
	struct buf ar[AR__MAX];
	struct params q = { .n = 0 };
	struct conn *c = NULL;
	enum store_status ret = STORE_ERROR;
	size_t nmail, ntok;
	int k, changed = 0;

	for (k = 0; k < AR__MAX; k++)
		buf_init(&ar[k]);
	if (update_mail_arrays(ar, msgs, n, &nmail, &ntok) == -1) {
		log_error("store",
		    "backend=pg op=update_mail_commit "
		    "error=\"out of memory\"");
		goto out;
	}
	if ((ret = pool_get(s, &c)) != STORE_OK)
		goto out;
	if ((ret = conn_exec(c, ST_BEGIN, NULL, "update_mail_commit", NULL)) !=
	    STORE_OK)
		goto out;
	p_int(&q, update_id);
	p_int(&q, old_cursor);
	p_int(&q, new_cursor);
	p_bool(&q, done);
	p_int(&q, (int64_t)n);
	if ((ret = conn_exec(c, ST_UPDATE_CURSOR, &q, "update_mail_commit",
		 &changed)) != STORE_OK)
		goto out;
	if (changed == 0) {
		ret = STORE_DUPLICATE;
		goto out;
	}
	if ((ret = update_mail_rows(c, ar, nmail, ntok, now)) != STORE_OK)
		goto out;
	ret = conn_exec(c, ST_COMMIT, NULL, "update_mail_commit", NULL);
out:
	if (c != NULL)
		pool_put(s, c); /* rolls back on failure */
	for (k = 0; k < AR__MAX; k++)
		buf_reset(&ar[k]);
	return ret;
}

/* Three reads of one snapshot, so the figures agree with each other. */
static enum store_status
pg_petition_stats(struct store *base, struct arena *a, int64_t petition_id,
    struct petition_stats *out)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct conn *c;
	PGresult *res = NULL;
	enum store_status ret;
	int i, k;

	memset(out, 0, sizeof(*out));
	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	if ((ret = conn_exec(c, ST_BEGIN_SNAPSHOT, NULL, "petition_stats",
		 NULL)) != STORE_OK)
		goto out;
	p_int(&q, petition_id);
	if ((res = conn_run(c, ST_STATS_STATES, &q, "petition_stats", &ret)) ==
	    NULL)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		switch (signature_state_parse(PQgetvalue(res, i, 0))) {
		case SIGNATURE_PENDING:
			out->pending = res_int(res, i, 1);
			break;
		case SIGNATURE_CONFIRMED:
			out->confirmed = res_int(res, i, 1);
			break;
		case SIGNATURE_INVALID:
			out->invalid = res_int(res, i, 1);
			break;
		default: break;
		}
	}
	PQclear(res);
	if ((res = conn_run(c, ST_STATS_DAYS, &q, "petition_stats", &ret)) ==
	    NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((out->days = arena_alloc(a,
		 (size_t)(k ? k : 1) * sizeof(*out->days))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		out->days[i].day = res_int(res, i, 0);
		out->days[i].n = res_int(res, i, 1);
	}
	out->ndays = (size_t)k;
	PQclear(res);
	if ((res = conn_run(c, ST_STATS_COUNTRIES, &q, "petition_stats",
		 &ret)) == NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((out->countries = arena_alloc(a,
		 (size_t)(k ? k : 1) * sizeof(*out->countries))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		out->countries[i].n = res_int(res, i, 1);
		if ((out->countries[i].country = res_text(a, res, i, 0)) == NULL)
			goto out;
	}
	out->ncountries = (size_t)k;
	ret = conn_exec(c, ST_COMMIT, NULL, "petition_stats", NULL);
out:
	PQclear(res);
	pool_put(s, c); /* ends the snapshot on failure */
	if (ret != STORE_OK)
		memset(out, 0, sizeof(*out));
	return ret;
}

static enum store_status
pg_signers_public(struct store *base, struct arena *a, int64_t petition_id,
    int64_t after_seq, size_t max, struct signer_row **out, size_t *n)
{
	struct store_pg *s = pg(base);
	struct params q = { .n = 0 };
	struct signer_row *rs;
	struct conn *c;
	PGresult *res;
	enum store_status ret;
	int i, k;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	p_int(&q, petition_id);
	p_int(&q, after_seq);
	p_int(&q, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	if ((res = conn_run(c, ST_SIGNERS_PUBLIC, &q, "signers_public", &ret)) ==
	    NULL)
		goto out;
	ret = STORE_ERROR;
	k = PQntuples(res);
	if ((rs = arena_alloc(a, (size_t)(k ? k : 1) * sizeof(*rs))) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		rs[i].seq = res_int(res, i, 0);
		rs[i].pii = res_blob(a, res, i, 1, &rs[i].pii_len);
		rs[i].country = res_text(a, res, i, 2);
		rs[i].created_at = res_int(res, i, 3);
		if ((rs[i].pii == NULL && !PQgetisnull(res, i, 1)) ||
		    rs[i].country == NULL)
			goto out;
	}
	*out = rs;
	*n = (size_t)k;
	ret = STORE_OK;
out:
	PQclear(res);
	pool_put(s, c);
	return ret;
}

const struct store_ops store_pg_ops = {
	.name = "pg",
	.shared = true,
	.open = pg_open,
	.close = pg_close,
	.migrate = pg_migrate,
	.petition_create = pg_petition_create,
	.petition_by_slug = pg_petition_by_slug,
	.petition_by_id = pg_petition_by_id,
	.petition_list = pg_petition_list,
	.write_batch = pg_write_batch,
	.token_lookup = pg_token_lookup,
	.unsubscribe = pg_unsubscribe,
	.outbox_recover = pg_outbox_recover,
	.outbox_claim = pg_outbox_claim,
	.outbox_finish = pg_outbox_finish,
	.outbox_list = pg_outbox_list,
	.outbox_retry = pg_outbox_retry,
	.trending = pg_trending,
	.invalidate = pg_invalidate,
	.removals = pg_removals,
	.user_create = pg_user_create,
	.user_by_email = pg_user_by_email,
	.user_login_result = pg_user_login_result,
	.session_create = pg_session_create,
	.session_user = pg_session_user,
	.session_delete = pg_session_delete,
	.audit = pg_audit,
	.audit_list = pg_audit_list,
	.petition_count = pg_petition_count,
	.petition_translation = pg_petition_translation,
	.user_by_id = pg_user_by_id,
	.user_token_create = pg_user_token_create,
	.user_token_use = pg_user_token_use,
	.user_verify = pg_user_verify,
	.user_set_password = pg_user_set_password,
	.petition_update = pg_petition_update,
	.petition_transition = pg_petition_transition,
	.petition_list_owner = pg_petition_list_owner,
	.petition_queue = pg_petition_queue,
	.petition_due = pg_petition_due,
	.transition_list = pg_transition_list,
	.update_create = pg_update_create,
	.update_list = pg_update_list,
	.update_mail_next = pg_update_mail_next,
	.update_recipients = pg_update_recipients,
	.update_mail_commit = pg_update_mail_commit,
	.petition_stats = pg_petition_stats,
	.signers_public = pg_signers_public,
	.outbox_add = pg_outbox_add,
};

/* One message queued on its own, due now. */
static enum store_status
pg_outbox_add(struct store *base, const struct outbox_new *m, int64_t now)
{
	struct store_pg *s = pg(base);
	enum store_status ret;
	struct conn *c;

	if ((ret = pool_get(s, &c)) != STORE_OK)
		return ret;
	ret = outbox_insert(c, m, now);
	pool_put(s, c);
	return ret;
}
