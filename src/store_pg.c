/* store_pg.c - the PostgreSQL backend: any number of nodes on one database,
 * each with libpq connections and their prepared statements; a lost
 * database gives STORE_UNAVAILABLE and a connection reconnects by itself
 * once it is back. A batch's new signatures, tokens and mail go in with a
 * few statements over arrays (unnest), whatever the batch's size. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "mono.h"
#include "search_pg.h"
#include "store_backend.h"

/* After a failed reconnect a connection waits this long before trying
 * again, so requests during an outage fail at once instead of queueing
 * behind connect attempts. */
#define RECONNECT_BACKOFF_MS 250
/* Tries of a batch that lost a deadlock or serialisation race to another
 * node; it is rolled back whole, so trying again is safe. */
#define BATCH_TRIES 3
/* pg_advisory_xact_lock key serialising migrations: "holos" in ASCII. */
#define MIGRATE_LOCK "448545976179"
/* Parameters of one statement: the most, ST_LOG_LEAF_INSERT_ROWS's 80. */
#define MAX_PARAMS 80

/* PostgreSQL's texts where they differ from store.c's, then its own, in
 * the order of enum stmt. */
static const char *const pg_sql[ST__MAX] = {
	/* Two reads without a transaction around them: a petition's
	 * addressees are written with it, and the signing path reads a
	 * petition on every request. */
	[ST_BEGIN_READ] = "",
	[ST_BEGIN_SNAPSHOT] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	[ST_MIGRATE_LOCK] = "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")",
	/* No randomblob(): 32 bytes no one can tie to an address. */
	[ST_RETAIN_SIGNATURES] =
	    "UPDATE signatures SET pii = NULL, comment = '', net = '',"
	    " domain = '', public_name = FALSE, updates = FALSE,"
	    " email_hash = sha256(convert_to(random()::text || id::text ||"
	    " clock_timestamp()::text, 'UTF8')) WHERE id IN (SELECT id FROM"
	    " signatures WHERE petition_id = $1 AND pii IS NOT NULL"
	    " ORDER BY id LIMIT $2)",
	/* The write transaction's statements are planned for their values
	 * each time: a plan kept from when the table was small would scan it
	 * (a generic plan made on an empty signatures table looks up an email
	 * by reading every row of its petition). */
	[ST_PG_CUSTOM_PLANS] = "SET LOCAL plan_cache_mode = force_custom_plan",
	/* seq: the petition's row is the per-petition lock; see
	 * seq_reserve(). NO KEY UPDATE leaves the foreign-key checks of
	 * signature inserts (KEY SHARE) unblocked. */
	[ST_PG_SEQ_LOCK] =
	    "SELECT id FROM petitions WHERE id = $1 FOR NO KEY UPDATE",
	[ST_PG_SEQ_LAST] =
	    "SELECT COALESCE(MAX(seq), 0) FROM signatures WHERE petition_id = $1",
	/* $1 petitions and $2 email hashes: the signatures they name, each
	 * with its place in the arrays (1-based). LIMIT keeps the subquery
	 * apart, so each pair is one index lookup whatever the planner
	 * believes of the table's size. */
	[ST_PG_SIG_FIND_MANY] =
	    "SELECT u.i, s.id, s.state, s.last_mail_at FROM unnest($1::bigint[],"
	    " $2::bytea[]) WITH ORDINALITY AS u(p, h, i) CROSS JOIN LATERAL"
	    " (SELECT id, state, last_mail_at FROM signatures"
	    " WHERE petition_id = u.p AND email_hash = u.h LIMIT 1) s",
	/* A run of new signatures in one statement: $1..$17 are arrays of one
	 * length, a column each; rows go in in array order, and each comes
	 * back with its place in the arrays (1-based). */
	[ST_PG_SIGNATURE_INSERT_MANY] =
	    "WITH t AS (SELECT * FROM unnest($1::bigint[], $2::bigint[],"
	    " $3::bytea[], $4::bytea[], $5::text[], $6::boolean[],"
	    " $7::boolean[], $8::text[], $9::text[], $10::bigint[],"
	    " $11::bigint[], $12::text[], $13::bigint[], $14::integer[],"
	    " $15::text[], $16::text[], $17::boolean[]) WITH ORDINALITY AS"
	    " u(petition_id, seq,"
	    " email_hash, pii, country, public_name, updates, comment, state,"
	    " created_at, confirmed_at, lang, last_mail_at, flags, net, domain,"
	    " public_comment, i)), ins AS (INSERT INTO signatures (petition_id,"
	    " seq, email_hash, pii, country, public_name, updates, comment,"
	    " state, created_at, confirmed_at, lang, last_mail_at, flags, net,"
	    " domain, public_comment)"
	    " SELECT petition_id, seq, email_hash, pii, country, public_name,"
	    " updates, comment, state, created_at, confirmed_at, lang,"
	    " last_mail_at, flags, net, domain, public_comment FROM t ORDER BY i"
	    " ON CONFLICT (petition_id, email_hash) DO NOTHING"
	    " RETURNING id, petition_id, seq)"
	    " SELECT t.i, ins.id FROM ins JOIN t ON t.petition_id ="
	    " ins.petition_id AND t.seq = ins.seq",
	/* $1 signatures, $2 when each was mailed; no id twice. */
	[ST_PG_SIG_MAILED_MANY] =
	    "UPDATE signatures s SET last_mail_at = u.at"
	    " FROM unnest($1::bigint[], $2::bigint[]) AS u(id, at)"
	    " WHERE s.id = u.id",
	/* $1..$5: arrays of one length, a column each. */
	[ST_PG_TOKEN_INSERT_MANY] =
	    "INSERT INTO tokens (hash, purpose, subject, created_at, expires_at)"
	    " SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[],"
	    " $4::bigint[], $5::bigint[])",
	/* Mail in array order, each with its own time: $1 Message-IDs, $2
	 * kinds, $3 sealed messages, $4 times. */
	[ST_PG_OUTBOX_INSERT_MANY] =
	    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
	    " created_at, updated_at) SELECT m, k, b, 'queued', n, n, n"
	    " FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])"
	    " WITH ORDINALITY AS u(m, k, b, n, i) ORDER BY i",
	/* Marks and counts in one statement: the rows are locked as they are
	 * matched, so a moderator on another node cannot count them twice.
	 * $2 domain, $3 net (NULL: any), $4 from, $5 to (0: open), $6 the
	 * list of seqs (NULL: any). */
	[ST_PG_INV_MARK] =
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
};

/* The parameters of one statement: text, or binary for bytea. */
struct params {
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	int n;
};

/* The petitions a batch signs: the last seq each holds. */
struct batch_petition {
	int64_t petition_id; /* first: store_petition_id_cmp() */
	int64_t seq;	     /* the last seq given out */
};

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

/* What a batch works in, one entry per op, kept with the connection. */
struct batch {
	size_t cap;
	struct batch_petition *bp;
	size_t nb;
	struct sign_row *rows;
	struct sign_key *keys;
	size_t *ins; /* the ops whose rows the insert adds, in order */
	size_t nins;
};

struct store_conn {
	PGconn *pg;
	const char *const *sql; /* every statement in this dialect */
	bool prepared[ST__MAX]; /* statement i is prepared on pg */
	bool used;		/* a statement went through since ready */
	bool down;		/* the outage is logged already */
	int64_t retry_at;	/* monotonic ms before which no reconnect */
	/* The statement running for store.c. */
	enum stmt cur;
	struct params p;
	PGresult *res; /* NULL until the first step */
	int row, nrows;
	struct batch b;
};

/* The next parameter's slot. Statements and their bindings are the
 * code's own, so more than MAX_PARAMS is a broken invariant. */
static int
p_next(struct params *p)
{
	if (p->n >= MAX_PARAMS)
		fatal("store", "backend=pg error=\"more than %d parameters\"",
		    MAX_PARAMS);
	return p->n++;
}

static void
p_int(struct params *p, int64_t v)
{
	int i = p_next(p);

	snprintf(p->num[i], sizeof(p->num[0]), "%" PRId64, v);
	p->v[i] = p->num[i];
	p->len[i] = 0;
	p->fmt[i] = 0;
}

/* NULL becomes SQL NULL. */
static void
p_text(struct params *p, const char *s)
{
	int i = p_next(p);

	p->v[i] = s;
	p->len[i] = 0;
	p->fmt[i] = 0;
}

/* Binary, for bytea; NULL becomes SQL NULL. */
static void
p_blob(struct params *p, const void *b, size_t len)
{
	int i = p_next(p);

	p->v[i] = b;
	p->len[i] = (int)len;
	p->fmt[i] = 1;
}

/* An integer or boolean column of a result ("t" and "f" read 1 and 0). */
static int64_t
res_int(const PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);

	if (*v == 't' || *v == 'f')
		return *v == 't';
	return strtoll(v, NULL, 10);
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
pg_fail(struct store_conn *c, const PGresult *res, const char *what)
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
			    "backend=pg op=%s sqlstate=%s error=\"%s\"", what,
			    state ? state : "-",
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
pg_ready(struct store_conn *c)
{
	char clean[256];

	c->used = false;
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
			    "backend=pg event=unreachable error=\"%s\"",
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
conn_run(struct store_conn *c, enum stmt id, const struct params *p,
    const char *what, enum store_status *st)
{
	char name[16];
	PGresult *res = NULL;
	ExecStatusType es;
	int tries;

	snprintf(name, sizeof(name), "holos_%d", (int)id);
	for (tries = 0;; tries++) {
		if (!c->prepared[id]) {
			res = PQprepare(c->pg, name, c->sql[id], 0, NULL);
			c->prepared[id] =
			    PQresultStatus(res) == PGRES_COMMAND_OK;
			if (c->prepared[id]) {
				PQclear(res);
				res = NULL;
			}
		}
		if (c->prepared[id]) {
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
		if (pg_ready(c) == -1)
			break;
	}
	*st = pg_fail(c, res, what);
	PQclear(res);
	return NULL;
}

/* Runs a statement for its effect. */
static enum store_status
conn_exec(struct store_conn *c, enum stmt id, const struct params *p,
    const char *what)
{
	enum store_status st;

	PQclear(conn_run(c, id, p, what, &st));
	return st;
}

/* ---- store.c's statements ---- */

static int
pg_prepare(struct store_conn *c, enum stmt id)
{
	PQclear(c->res);
	c->res = NULL;
	c->cur = id;
	c->p.n = 0;
	return 0;
}

static void
pg_bind_int(struct store_conn *c, int64_t v)
{
	p_int(&c->p, v);
}

static void
pg_bind_text(struct store_conn *c, const char *s)
{
	p_text(&c->p, s);
}

static void
pg_bind_blob(struct store_conn *c, const void *p, size_t len)
{
	p_blob(&c->p, p, len);
}

/* The first step runs the statement; libpq hands over a result whole or
 * not at all, so a read that failed half-way is an error, never a shorter
 * list. */
static enum store_step
pg_step(struct store_conn *c, const char *what)
{
	enum store_status st;

	if (c->res == NULL) {
		if ((c->res = conn_run(c, c->cur, &c->p, what, &st)) == NULL)
			return st == STORE_DUPLICATE ? STEP_DUPLICATE :
			    st == STORE_UNAVAILABLE  ? STEP_UNAVAILABLE :
						       STEP_ERROR;
		c->row = -1;
		c->nrows = PQntuples(c->res);
	}
	return ++c->row < c->nrows ? STEP_ROW : STEP_DONE;
}

static const char *
pg_col_text(struct store_conn *c, int col, size_t *len)
{
	*len = 0;
	if (PQgetisnull(c->res, c->row, col))
		return NULL;
	*len = (size_t)PQgetlength(c->res, c->row, col);
	return PQgetvalue(c->res, c->row, col);
}

static int64_t
pg_col_int(struct store_conn *c, int col)
{
	return res_int(c->res, c->row, col);
}

/* bytea comes in text form ("\x…"). */
static int
pg_col_blob(struct store_conn *c, struct arena *a, int col,
    const unsigned char **out, size_t *len)
{
	unsigned char *raw, *copy;
	size_t n;

	*out = NULL;
	*len = 0;
	if (PQgetisnull(c->res, c->row, col))
		return 0;
	if ((raw = PQunescapeBytea((const unsigned char *)PQgetvalue(c->res,
				       c->row, col),
		 &n)) == NULL)
		return -1;
	if ((copy = arena_alloc(a, n ? n : 1)) != NULL) {
		memcpy(copy, raw, n);
		*out = copy;
		*len = n;
	}
	PQfreemem(raw);
	return copy != NULL ? 0 : -1;
}

static int64_t
pg_changes(struct store_conn *c)
{
	return c->res != NULL ? atoi(PQcmdTuples(c->res)) : 0;
}

/* ---- connections ---- */

static void
batch_free(struct batch *b)
{
	free(b->bp);
	free(b->rows);
	free(b->keys);
	free(b->ins);
	memset(b, 0, sizeof(*b));
}

static void
pg_close(struct store_conn *c)
{
	PQclear(c->res);
	PQfinish(c->pg);
	batch_free(&c->b);
	free(c);
}

/* Opens a connection with holos's defaults in front of the DSN, so the DSN
 * can override each: a short connect timeout (a request never waits long
 * for a database that is gone) and TCP keepalives (a silent peer is
 * noticed). */
static struct store_conn *
pg_open(const char *dsn, const char *const *sql)
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
	struct store_conn *c;
	char clean[256];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->sql = sql;
	if ((c->pg = PQconnectdbParams(keys, vals, 1)) == NULL)
		goto fail;
	/* Kept across PQreset(): it belongs to the PGconn. */
	PQsetNoticeProcessor(c->pg, notice_log, NULL);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password. */
		log_error("store", "backend=pg op=open error=\"%s\"",
		    log_clean(clean, sizeof(clean), PQerrorMessage(c->pg)));
		goto fail;
	}
	log_debug("store", "backend=pg op=connect host=%s port=%s db=%s",
	    PQhost(c->pg), PQport(c->pg), PQdb(c->pg));
	return c;
fail:
	pg_close(c);
	return NULL;
}

/* An op that failed half-way may leave a transaction open. */
static void
pg_release(struct store_conn *c)
{
	PQclear(c->res);
	c->res = NULL;
	if (PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		(void)conn_exec(c, ST_ROLLBACK, NULL, "rollback");
}

/* A migration is a script of DDL, so it goes through the simple protocol;
 * everything else holos sends is prepared. */
static enum store_status
pg_script(struct store_conn *c, const char *sql, const char *file)
{
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType es = PQresultStatus(res);
	enum store_status st = STORE_OK;

	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK &&
	    (st = pg_fail(c, res, file)) == STORE_DUPLICATE)
		st = STORE_ERROR;
	PQclear(res);
	return st;
}

/* ---- arrays ---- */

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

/* bytea's hex form, "\x..."; its backslash escaped inside the quotes.
 * NULL for SQL NULL. */
static void
array_add_bytea(struct buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (p == NULL) {
		array_add_text(b, NULL);
		return;
	}
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

/* 0 becomes NULL: "none" for an optional time. */
static void
array_add_int_or_null(struct buf *b, int64_t v)
{
	if (v != 0)
		array_add_int(b, v);
	else
		array_add_text(b, NULL);
}

static void
arrays_init(struct buf *ar, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_init(&ar[i]);
}

static void
arrays_free(struct buf *ar, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_reset(&ar[i]);
}

/* Closes the n arrays and runs statement id with them as its parameters;
 * NULL with *st set when it failed or memory ran out. */
static PGresult *
arrays_run(struct store_conn *c, enum stmt id, struct buf *ar, size_t n,
    const char *what, enum store_status *st)
{
	struct params q = { .n = 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (ar[i].len == 0)
			buf_putc(&ar[i], '{');
		buf_putc(&ar[i], '}');
		if (!buf_ok(&ar[i])) {
			log_error("store", "backend=pg op=%s error=\"%s\"",
			    what, "out of memory");
			*st = STORE_ERROR;
			return NULL;
		}
		p_text(&q, ar[i].data);
	}
	return conn_run(c, id, &q, what, st);
}

/* The columns of ST_PG_TOKEN_INSERT_MANY and ST_PG_OUTBOX_INSERT_MANY. */
enum { TA_HASH, TA_PURPOSE, TA_SUBJECT, TA_CREATED, TA_EXPIRES, TA__MAX };
enum { OA_IDS, OA_KINDS, OA_MAILS, OA_AT, OA__MAX };

/* The tokens and mail of a batch, as arrays, and how many rows each. */
struct extras {
	struct buf ta[TA__MAX], oa[OA__MAX];
	size_t ntok, nmail;
};

static void
token_add(struct extras *x, const unsigned char *hash, const char *purpose,
    int64_t subject, int64_t now, int64_t expires)
{
	array_add_bytea(&x->ta[TA_HASH], hash, STORE_HASH_BYTES);
	array_add_text(&x->ta[TA_PURPOSE], purpose);
	array_add_int(&x->ta[TA_SUBJECT], subject);
	array_add_int(&x->ta[TA_CREATED], now);
	array_add_int_or_null(&x->ta[TA_EXPIRES], expires);
	x->ntok++;
}

static void
mail_add(struct extras *x, const struct outbox_new *m, int64_t now)
{
	if (m->sealed == NULL)
		return;
	array_add_text(&x->oa[OA_IDS], m->message_id);
	array_add_text(&x->oa[OA_KINDS], m->kind);
	array_add_bytea(&x->oa[OA_MAILS], m->sealed, m->sealed_len);
	array_add_int(&x->oa[OA_AT], now);
	x->nmail++;
}

/* Inserts the tokens and the mail gathered in x, a statement each, and
 * frees x's arrays. */
static enum store_status
extras_write(struct store_conn *c, struct extras *x, const char *what)
{
	enum store_status st = STORE_OK;

	if (x->ntok > 0)
		PQclear(arrays_run(c, ST_PG_TOKEN_INSERT_MANY, x->ta, TA__MAX,
		    what, &st));
	if (st == STORE_OK && x->nmail > 0)
		PQclear(arrays_run(c, ST_PG_OUTBOX_INSERT_MANY, x->oa, OA__MAX,
		    what, &st));
	arrays_free(x->ta, TA__MAX);
	arrays_free(x->oa, OA__MAX);
	return st;
}

/* ---- the write batch ---- */

static struct batch_petition *
batch_find(struct batch *b, int64_t id)
{
	size_t i;

	for (i = 0; i < b->nb; i++)
		if (b->bp[i].petition_id == id)
			return &b->bp[i];
	return NULL;
}

/* Makes room in b for a batch of n ops; what it held is not kept.
 * Returns 0, or -1 when out of memory. */
static int
batch_grow(struct batch *b, size_t n)
{
	if (n <= b->cap)
		return 0;
	batch_free(b);
	b->bp = calloc(n, sizeof(*b->bp));
	b->rows = calloc(n, sizeof(*b->rows));
	b->keys = calloc(n, sizeof(*b->keys));
	b->ins = calloc(n, sizeof(*b->ins));
	if (b->bp == NULL || b->rows == NULL || b->keys == NULL ||
	    b->ins == NULL) {
		batch_free(b);
		return -1;
	}
	b->cap = n;
	return 0;
}

/* seq: a petition's signatures are numbered 1, 2, 3… in commit order, the
 * order of the future verifiable log. Each batch locks the rows of the
 * petitions it signs (in id order, so two nodes cannot deadlock), then
 * reads the last seq in a new statement (so it sees what the previous
 * holder committed) and numbers only the rows that really went in. The
 * lock is taken once per batch, not per signature: nodes take turns per
 * petition at the rate of commits, and group commit keeps batches large.
 * (A global BIGSERIAL would need no lock but leaves gaps and numbers out of
 * commit order, which a log reader would have to wait out.) The
 * statements of the write transaction are planned for their values. */
static enum store_status
pg_write_begin(struct store_conn *c, struct write_op *ops, size_t n)
{
	struct batch *b = &c->b;
	struct params q;
	PGresult *res;
	enum store_status st;
	size_t i;

	if (batch_grow(b, n ? n : 1) == -1)
		return STORE_ERROR;
	b->nb = 0;
	for (i = 0; i < n; i++)
		if (ops[i].kind == WRITE_SIGN &&
		    batch_find(b, ops[i].sig.petition_id) == NULL)
			b->bp[b->nb++].petition_id = ops[i].sig.petition_id;
	qsort(b->bp, b->nb, sizeof(*b->bp), store_petition_id_cmp);
	if ((st = conn_exec(c, ST_PG_CUSTOM_PLANS, NULL, "write_batch")) !=
	    STORE_OK)
		return st;
	for (i = 0; i < b->nb; i++) {
		q.n = 0;
		p_int(&q, b->bp[i].petition_id);
		if ((st = conn_exec(c, ST_PG_SEQ_LOCK, &q, "seq_lock")) !=
			STORE_OK ||
		    (res = conn_run(c, ST_PG_SEQ_LAST, &q, "seq_last", &st)) ==
			NULL)
			return st;
		b->bp[i].seq = PQntuples(res) > 0 ? res_int(res, 0, 0) : 0;
		PQclear(res);
	}
	return STORE_OK;
}

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
sign_rows_find(struct store_conn *c, const struct write_op *ops, size_t lo,
    size_t hi, struct sign_row *rows)
{
	struct buf ar[2];
	struct sign_row *r;
	PGresult *res;
	enum store_status st;
	size_t i, k;
	int j;

	arrays_init(ar, 2);
	for (i = lo; i < hi; i++) {
		array_add_int(&ar[0], ops[i].sig.petition_id);
		array_add_bytea(&ar[1], ops[i].sig.email_hash, STORE_HASH_BYTES);
	}
	res = arrays_run(c, ST_PG_SIG_FIND_MANY, ar, 2, "sig_find", &st);
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

/* The columns of ST_PG_SIGNATURE_INSERT_MANY. */
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
	SA_PUBLIC_COMMENT,
	SA__MAX
};

static void
sign_row_add(struct buf ar[SA__MAX], const struct write_op *op)
{
	const struct signature *sig = &op->sig;

	array_add_int(&ar[SA_PETITION], sig->petition_id);
	array_add_int(&ar[SA_SEQ], sig->seq);
	array_add_bytea(&ar[SA_HASH], sig->email_hash, sizeof(sig->email_hash));
	array_add_bytea(&ar[SA_PII], sig->pii, sig->pii_len);
	array_add_text(&ar[SA_COUNTRY], sig->country);
	array_add_text(&ar[SA_PUBLIC], sig->public_name ? "t" : "f");
	array_add_text(&ar[SA_UPDATES], sig->updates ? "t" : "f");
	array_add_text(&ar[SA_COMMENT], sig->comment ? sig->comment : "");
	array_add_text(&ar[SA_STATE], signature_state_name(sig->state));
	array_add_int(&ar[SA_CREATED], sig->created_at);
	array_add_int_or_null(&ar[SA_CONFIRMED],
	    sig->state == SIGNATURE_CONFIRMED ? sig->created_at : 0);
	array_add_text(&ar[SA_LANG], sig->lang ? sig->lang : "en");
	array_add_int_or_null(&ar[SA_MAILED],
	    op->mail.sealed != NULL ? op->now : 0);
	array_add_int(&ar[SA_FLAGS], sig->flags);
	array_add_text(&ar[SA_NET], sig->net ? sig->net : "");
	array_add_text(&ar[SA_DOMAIN], sig->domain ? sig->domain : "");
	array_add_text(&ar[SA_PUBLIC_COMMENT], sig->public_comment ? "t" : "f");
}

/* Decides each op of the run in order, as if its rows went in one by one:
 * a new email is numbered and queued for the insert (ar, b->ins); one taken
 * already is a duplicate, or a pending one gets its link again (a fresh
 * token and the op's mail), at most once per resend window. */
static void
sign_plan(struct write_op *ops, size_t lo, size_t hi, struct batch *b,
    struct buf ar[SA__MAX])
{
	struct write_op *op;
	struct sign_row *r;
	size_t i;

	b->nins = 0;
	for (i = lo; i < hi; i++) {
		op = &ops[i];
		r = &b->rows[b->rows[i].first];
		if (!r->exists) {
			op->sig.seq = ++batch_find(b, op->sig.petition_id)->seq;
			op->result = WRITE_OK;
			if (op->sig.state == SIGNATURE_CONFIRMED)
				op->petition_id = op->sig.petition_id;
			r->exists = true;
			r->state = op->sig.state;
			r->mailed = op->mail.sealed != NULL;
			r->mailed_at = op->now;
			sign_row_add(ar, op);
			b->ins[b->nins++] = i;
		} else if (r->state == SIGNATURE_PENDING &&
		    op->mail.sealed != NULL) {
			if (r->mailed && r->mailed_at >= op->resend_before) {
				op->result = WRITE_RESEND_LATER;
			} else {
				op->result = WRITE_RESENT;
				r->mailed = r->resent = true;
				r->mailed_at = op->now;
			}
		} else if (r->state == SIGNATURE_CONFIRMED &&
		    op->told.sealed != NULL &&
		    !(r->mailed && r->mailed_at >= op->resend_before)) {
			op->result = WRITE_TOLD;
			r->mailed = r->resent = true;
			r->mailed_at = op->now;
		} else {
			op->result = WRITE_DUPLICATE;
		}
	}
}

/* Inserts the run's new signatures and notes their ids. The seq locks keep
 * every other insert of these petitions' rows out, so none conflicts; if
 * one does all the same, the batch is tried again (the conflicting row is
 * committed by then, and found). */
static enum store_status
sign_insert(struct store_conn *c, struct batch *b, struct buf ar[SA__MAX])
{
	PGresult *res;
	enum store_status st;
	int64_t i;
	int j;

	if (b->nins == 0)
		return STORE_OK;
	if ((res = arrays_run(c, ST_PG_SIGNATURE_INSERT_MANY, ar, SA__MAX,
		 "write_sign", &st)) == NULL)
		return st;
	if ((size_t)PQntuples(res) != b->nins) {
		log_info("store", "backend=pg op=write_sign event=conflict");
		st = STORE_UNAVAILABLE;
	}
	for (j = 0; j < PQntuples(res) && st == STORE_OK; j++) {
		i = res_int(res, j, 0);
		if (i < 1 || (size_t)i > b->nins)
			st = STORE_ERROR;
		else
			b->rows[b->ins[i - 1]].id = res_int(res, j, 1);
	}
	PQclear(res);
	return st;
}

/* Writes the tokens and mail of the run's new and re-sent signatures, and
 * when the re-sent ones were mailed: one statement each. */
static enum store_status
sign_extras(struct store_conn *c, const struct write_op *ops, size_t lo,
    size_t hi, const struct sign_row *rows)
{
	const struct write_op *op;
	const struct sign_row *r;
	struct extras x = { .ntok = 0 };
	struct buf ma[2];
	enum store_status st;
	size_t i, nmailed = 0;

	arrays_init(x.ta, TA__MAX);
	arrays_init(x.oa, OA__MAX);
	arrays_init(ma, 2);
	for (i = lo; i < hi; i++) {
		op = &ops[i];
		r = &rows[rows[i].first];
		if (op->result == WRITE_OK) {
			if (op->sig.state == SIGNATURE_PENDING &&
			    store_hash_set(op->token_hash))
				token_add(&x, op->token_hash, "confirm", r->id,
				    op->now, op->token_expires);
			if (store_hash_set(op->unsub_hash))
				token_add(&x, op->unsub_hash, "unsubscribe",
				    r->id, op->now, 0);
		} else if (op->result == WRITE_RESENT) {
			token_add(&x, op->token_hash, "confirm", r->id, op->now,
			    op->token_expires);
		} else if (op->result == WRITE_TOLD) {
			mail_add(&x, &op->told, op->now);
			continue;
		} else {
			continue;
		}
		mail_add(&x, &op->mail, op->now);
	}
	/* One entry per re-sent row: its last mail time. */
	for (i = lo; i < hi; i++)
		if (rows[i].first == i && rows[i].resent) {
			array_add_int(&ma[0], rows[i].id);
			array_add_int(&ma[1], rows[i].mailed_at);
			nmailed++;
		}
	st = extras_write(c, &x, "write_sign");
	if (st == STORE_OK && nmailed > 0)
		PQclear(arrays_run(c, ST_PG_SIG_MAILED_MANY, ma, 2,
		    "sig_mailed", &st));
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
pg_write_signs(struct store_conn *c, struct write_op *ops, size_t lo, size_t hi)
{
	struct batch *b = &c->b;
	struct buf ar[SA__MAX];
	enum store_status st;

	sign_rows_init(ops, lo, hi, b->rows, b->keys);
	if ((st = sign_rows_find(c, ops, lo, hi, b->rows)) != STORE_OK)
		return st;
	arrays_init(ar, SA__MAX);
	sign_plan(ops, lo, hi, b, ar);
	st = sign_insert(c, b, ar);
	arrays_free(ar, SA__MAX);
	if (st != STORE_OK)
		return st;
	return sign_extras(c, ops, lo, hi, b->rows);
}

/* A batch of update mail and its unsubscribe tokens, one statement each
 * whatever the size of the batch. */
static enum store_status
pg_mail_rows(struct store_conn *c, const struct update_mail *msgs, size_t n,
    int64_t now)
{
	struct extras x = { .ntok = 0 };
	size_t i;

	arrays_init(x.ta, TA__MAX);
	arrays_init(x.oa, OA__MAX);
	for (i = 0; i < n; i++) {
		mail_add(&x, &msgs[i].mail, now);
		if (store_hash_set(msgs[i].unsub_hash))
			token_add(&x, msgs[i].unsub_hash, "unsubscribe",
			    msgs[i].signature_id, now, 0);
	}
	return extras_write(c, &x, "update_mail_commit");
}

/* The criteria as ST_PG_INV_MARK's parameters; the list of seqs goes as an
 * array literal. */
static enum store_status
pg_inv_mark(struct store_conn *c, struct invalidation *inv, int64_t id)
{
	struct params q = { .n = 0 };
	struct buf list;
	PGresult *res;
	enum store_status st;
	size_t i;

	buf_init(&list);
	for (i = 0; i < inv->nseqs; i++)
		array_add_int(&list, inv->seqs[i]);
	buf_putc(&list, '}');
	if (!buf_ok(&list)) {
		buf_reset(&list);
		return STORE_ERROR;
	}
	p_int(&q, inv->petition_id);
	p_text(&q, inv->domain);
	p_text(&q, inv->net);
	p_int(&q, inv->from);
	p_int(&q, inv->to);
	p_text(&q, inv->nseqs > 0 ? list.data : NULL);
	p_text(&q, inv->reason);
	p_int(&q, id);
	res = conn_run(c, ST_PG_INV_MARK, &q, "invalidate", &st);
	buf_reset(&list);
	if (res == NULL)
		return st;
	inv->removed = res_int(res, 0, 0);
	inv->uncounted = res_int(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

/* Each column's tsvector literal with its weight: A the title, B the
 * addressees, C the text (ST_SEARCH_INDEX joins them). */
static int
pg_search_doc(struct arena *a, enum search_lang lang, const char *const in[3],
    const char *out[3])
{
	struct search_text *st;
	struct search_field f;
	size_t i;
	int ret = 0;

	if ((st = search_text_new()) == NULL)
		return -1;
	for (i = 0; i < 3 && ret == 0; i++) {
		f.text = in[i];
		f.len = strlen(in[i]);
		f.weight = "ABC"[i];
		if ((out[i] = search_pg_tsvector(a, st, lang, &f, 1)) == NULL)
			ret = -1;
	}
	search_text_free(st);
	return ret;
}

const struct store_backend store_pg_backend = {
	.name = "pg",
	.shared = true,
	.write_tries = BATCH_TRIES,
	.dialect = pg_sql,
	.conn_open = pg_open,
	.conn_close = pg_close,
	.conn_ready = pg_ready,
	.conn_release = pg_release,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_int = pg_col_int,
	.col_blob = pg_col_blob,
	.changes = pg_changes,
	.script = pg_script,
	.write_begin = pg_write_begin,
	.write_signs = pg_write_signs,
	.mail_rows = pg_mail_rows,
	.inv_mark = pg_inv_mark,
	.search_doc = pg_search_doc,
	.search_match = search_pg_tsquery,
};
