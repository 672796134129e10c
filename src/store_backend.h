/* store_backend.h - what a storage backend gives store.c: connections, one
 * prepared statement at a time on each (prepare by id, bind by type, step,
 * read columns), and the few writes whose shape differs between dialects.
 * store.c writes every operation once above this; a backend holds SQL
 * dialect and connections, not policy. */
#ifndef HOLOS_STORE_BACKEND_H
#define HOLOS_STORE_BACKEND_H

#include "search_text.h"
#include "store.h"

/* Every statement, numbered. Those of store.c's table have one SQL text
 * for both dialects ($N placeholders; SQLite's backend reads them as ?N);
 * a backend may give its own text for one of them (its dialect table), or
 * "" for "nothing to run here". The last ones exist in one dialect only:
 * their text is in that backend's table. */
enum stmt {
	ST_BEGIN,	   /* a write transaction */
	ST_BEGIN_READ,	   /* reads of rows written together */
	ST_BEGIN_SNAPSHOT, /* the reads of one report */
	ST_COMMIT,
	ST_ROLLBACK,
	ST_MIGRATE_LOCK,
	ST_MIGRATE_TABLE,
	ST_MIGRATE_VERSION,
	ST_MIGRATE_RECORD,
	ST_PETITION_INSERT,
	ST_ADDRESSEE_INSERT,
	ST_TRANSLATION_INSERT,
	ST_PETITION_BY_SLUG,
	ST_PETITION_BY_ID,
	ST_ADDRESSEES,
	ST_TRANSLATION,
	ST_PETITION_LIST,
	ST_PETITION_LIST_OWNER,
	ST_PETITION_QUEUE,
	ST_PETITION_DUE,
	ST_PETITION_UPDATE,
	ST_ADDRESSEES_SHELVE,
	ST_ADDRESSEES_SHELVED_DELETE,
	ST_PETITION_MOVE,
	ST_TRANSITION_INSERT,
	ST_TRANSITION_LIST,
	ST_COUNT,
	ST_COUNT_ADD,
	ST_COUNTRY_ADD,
	ST_COUNTRY_INVALIDATED,
	ST_TOKEN_GET,
	ST_TOKEN_USE,
	ST_SIG_CONFIRM,
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
	ST_INV_REMOVED,
	ST_REMOVALS,
	ST_AUDIT,
	ST_AUDIT_LIST,
	ST_USER_INSERT,
	ST_USER_BY_EMAIL,
	ST_USER_BY_ID,
	ST_USER_VERIFY,
	ST_USER_PASSWORD,
	ST_USER_SESSIONS_END,
	ST_USER_TOKEN_INSERT,
	ST_USER_TOKEN_PEEK,
	ST_USER_TOKEN_CONSUME,
	ST_SESSION_INSERT,
	ST_SESSION_USER,
	ST_SESSION_DELETE,
	ST_UPDATE_INSERT,
	ST_UPDATE_LIST,
	ST_UPDATE_MAIL_NEXT,
	ST_UPDATE_RECIPIENTS,
	ST_UPDATE_CURSOR,
	ST_STATS_STATES,
	ST_STATS_DAYS,
	ST_STATS_COUNTRIES,
	ST_SIGNERS_PUBLIC,
	/* mail: addresses refused for good (hard bounces) */
	ST_SUPPRESS_ADD,
	ST_SUPPRESS_HAS,
	ST_SUPPRESS_LIST,
	ST_SUPPRESS_DELETE,
	/* The verifiable log (docs/transparency.md). */
	ST_LOG_TREE_INIT,
	ST_LOG_TREE_LOCK,
	ST_LOG_TREE_SET,
	ST_LOG_TREE_GET,
	ST_LOG_LEAF_INSERT,
	ST_LOG_LEAF_INSERT_ROWS,
	ST_LOG_NODES,
	ST_LOG_NODE_PUT,
	ST_LOG_COUNT,
	ST_LOG_REMOVED,
	ST_LOG_UNSIGNED,
	ST_LOG_STH_SET,
	ST_LOG_ENTRIES,
	ST_LOG_FIND,
	ST_LOG_UNHASHED,
	ST_LOG_HASH_LOCK,
	ST_LOG_HASH_ADD,
	ST_LOG_HASHED_SET,
	ST_LOG_MISSING,
	ST_LOG_COUNTED,
	ST_LOG_INVALID,
	/* privacy: retention */
	ST_RETAIN_DUE,
	ST_RETAIN_SIGNATURES,
	ST_RETAIN_TOKENS,
	ST_RETAIN_MARK,
	ST_RETAIN_OUTBOX,
	ST_CHECKPOINT,
	ST_WAL_CHECKPOINT,
	/* privacy: a signer withdraws */
	ST_WITHDRAW_FIND,
	ST_WITHDRAW_MARK,
	ST_WITHDRAW_LEAF,
	ST_WITHDRAW_TOKENS,
	/* Search (find): a petition's document, a query's results. */
	ST_SEARCH_INDEX,
	ST_SEARCH_UNINDEX,
	ST_SEARCH,
	ST_SEARCH_COUNT,
	ST_SEARCH_PUBLIC_IDS,
	/* Delivery: the pack's signers, addressees' emails, responses,
	 * milestones, paper signatures. */
	ST_DELIVER_SIGNERS,
	ST_DELIVER_SIGNERS_COUNT,
	/* integrity: reset links revoked with a new password; a confirmation
	 * only while its petition is open. */
	ST_USER_RESET_TOKENS_END,
	ST_SIG_PETITION_OPEN,
	/* spread: the petition image */
	ST_IMAGE_UPSERT,
	ST_IMAGE_FILES_DELETE,
	ST_IMAGE_FILE_INSERT,
	ST_IMAGE_GET,
	ST_IMAGE_FILES,
	ST_IMAGE_FILE,
	/* find: the listings' catalogue */
	ST_PUBLIC_LIST,
	ST_PUBLIC_ADDRESSEES,
	ST_PUBLIC_VERSION,
	ST_ADDRESSEE_EMAILS,
	ST_ADDRESSEE_EMAIL_SET,
	ST_DELIVERY_INSERT,
	ST_PETITION_DELIVERED,
	ST_DELIVERY_BY_TOKEN,
	ST_DELIVERY_LIST,
	ST_RESPONSE_INSERT,
	ST_RESPONSE_PENDING,
	ST_RESPONSE_GET,
	ST_RESPONSE_DECIDE,
	ST_MILESTONES,
	ST_GOAL_MAILED,
	ST_END_MAILED,
	ST_END_DUE,
	/* PostgreSQL's own: the write batch over arrays, the seq lock. */
	ST_PG_CUSTOM_PLANS,
	ST_PG_SEQ_LOCK,
	ST_PG_SEQ_LAST,
	ST_PG_SIG_FIND_MANY,
	ST_PG_SIGNATURE_INSERT_MANY,
	ST_PG_SIG_MAILED_MANY,
	ST_PG_TOKEN_INSERT_MANY,
	ST_PG_OUTBOX_INSERT_MANY,
	ST_PG_INV_MARK,
	/* SQLite's own: the write batch row by row. */
	ST_SQ_SIGNATURE_INSERT,
	ST_SQ_SIG_BY_HASH,
	ST_SQ_SIG_MAILED,
	ST_SQ_TOKEN_INSERT,
	ST_SQ_INV_TEMP,
	ST_SQ_INV_CLEAR,
	ST_SQ_INV_SEQ,
	ST_SQ_INV_COUNT,
	ST_SQ_INV_MARK,
	/* social: drafts kept once, deleted by their starter. */
	ST_DRAFT_SAME,
	ST_DRAFT_DELETE_TRANSITIONS,
	ST_DRAFT_DELETE,
	/* report: notice and action (docs/report.md). */
	ST_REPORT_INSERT,
	ST_REPORT_COMMENT,
	ST_REPORT_OPEN,
	ST_REPORT_TARGET,
	ST_REPORT_RESOLVE,
	ST_RETAIN_REPORTS,
	ST_RETAIN_SUPPRESSIONS,
	ST_SEALED_LIST_REPORTS,
	ST_SEALED_SET_REPORTS,
	/* find: the petitions waiting for a response. */
	ST_PUBLIC_WAITING,
	/* keys: the sealed columns walked, the address hashes recomputed */
	ST_SEALED_LIST_SIG,
	ST_SEALED_LIST_OUTBOX,
	ST_SEALED_LIST_USERS,
	ST_SEALED_LIST_ADDR,
	ST_SEALED_SET_SIG,
	ST_SEALED_SET_OUTBOX,
	ST_SEALED_SET_USERS,
	ST_SEALED_SET_ADDR,
	ST_EMAIL_HASH_SET_SIG,
	ST_EMAIL_HASH_SET_USERS,
	ST_DATA_TASK_GET,
	ST_DATA_TASK_SET,
	ST_MYDATA_LIST,
	ST_MYDATA_TOKEN,
	/* social proof: recent signers, comments, likes, hiding. */
	ST_SOCIAL_RECENT,
	ST_SOCIAL_COMMENTS_NEW,
	ST_SOCIAL_COMMENTS_TOP,
	ST_SOCIAL_COMMENTS_ALL,
	ST_SOCIAL_COMMENTS_COUNT,
	ST_SOCIAL_COMMENT_SHOWN,
	ST_SOCIAL_LIKE_INSERT,
	ST_SOCIAL_LIKE_ADD,
	ST_SOCIAL_COMMENT_HIDE,
	ST_SOCIAL_COMMENT_UNHIDE,
	/* export: every counted signature, names only where agreed */
	ST_EXPORT_SIGNERS,
	/* export: signatures on paper, apart from the online count */
	ST_PAPER_INSERT,
	ST_PAPER_LIST,
	ST_PAPER_REMOVE,
	ST_PAPER_COUNT,
	/* guard: failed logins per address, known or not. */
	ST_LOGIN_GUARD_GET,
	ST_LOGIN_GUARD_FAILED,
	ST_LOGIN_GUARD_PRUNE,
	ST_LOGIN_GUARD_CLEAR,
	ST_LOGIN_GUARD_CLEAR_USER,
	/* guard: the second factor */
	ST_TOTP_GET,
	ST_TOTP_BEGIN,
	ST_TOTP_ENABLE,
	ST_TOTP_ACCEPT,
	ST_TOTP_FAILED,
	ST_TOTP_DELETE,
	ST_RECOVERY_CLEAR,
	ST_RECOVERY_INSERT,
	ST_RECOVERY_USE,
	ST_SEALED_LIST_TOTP,
	ST_SEALED_SET_TOTP,
	/* paper: a batch's scanned file */
	ST_PAPER_SCAN_INSERT,
	ST_PAPER_SCAN_GET,
	ST_PAPER_SCAN_DELETE,
	ST_RETAIN_PAPER_SCANS,
	ST__MAX
};

/* What one step of a statement gave. */
enum store_step {
	STEP_ROW,	  /* a row is ready to read */
	STEP_DONE,	  /* no (more) rows */
	STEP_DUPLICATE,	  /* a unique key is taken (not logged) */
	STEP_UNAVAILABLE, /* the database is out of reach or busy (logged) */
	STEP_ERROR	  /* anything else (logged) */
};

/* A backend's connection; store.c keeps a pool of them. */
struct store_conn;

struct store_backend {
	const char *name;
	/* Several processes (nodes) write the same database. */
	bool shared;
	/* How often a write batch that lost a lock race is tried. */
	int write_tries;
	/* ST__MAX texts: this dialect's own statements, and those of
	 * store.c's it writes differently ("" where it runs nothing); NULL
	 * where store.c's text serves. */
	const char *const *dialect;

	/* Opens one connection; sql[id] is the text of each statement in
	 * this dialect. Returns NULL with the reason logged. */
	struct store_conn *(*conn_open)(const char *dsn, const char *const *sql);
	void (*conn_close)(struct store_conn *);
	/* Before each use: 0, or -1 when the database cannot be reached
	 * (logged). NULL: always ready. */
	int (*conn_ready)(struct store_conn *);
	/* After each use: ends the statement and any transaction left. */
	void (*conn_release)(struct store_conn *);
	/* When the operation about to run on the connection began to wait
	 * for its turn to write (mono_ms()), so that the time waited counts
	 * against the busy timeout; 0 when it is not waiting. NULL: the
	 * backend has no turn. */
	void (*conn_wait_since)(struct store_conn *, int64_t ms);

	/* Makes statement id the connection's current one, its parameters
	 * unbound (the previous statement ends). Returns 0, or -1 logged. */
	int (*prepare)(struct store_conn *, enum stmt id);
	/* Bind the next parameter; NULL text or blob binds SQL NULL. The
	 * value must live until the statement is done. */
	void (*bind_int)(struct store_conn *, int64_t v);
	void (*bind_text)(struct store_conn *, const char *s);
	void (*bind_blob)(struct store_conn *, const void *p, size_t len);
	/* Runs the statement (on the first call) or moves to its next row;
	 * what names the operation in the log. */
	enum store_step (*step)(struct store_conn *, const char *what);
	/* Columns of the current row: text valid until the next step (NULL
	 * for SQL NULL, *len its size); an integer (a boolean is 0 or 1); a
	 * blob copied into the arena (*out NULL for SQL NULL; -1 when out of
	 * memory). */
	const char *(*col_text)(struct store_conn *, int col, size_t *len);
	int64_t (*col_int)(struct store_conn *, int col);
	int (*col_blob)(struct store_conn *, struct arena *, int col,
	    const unsigned char **out, size_t *len);
	/* The rows the last statement changed. */
	int64_t (*changes)(struct store_conn *);

	/* Runs a migration script (several statements, no parameters). */
	enum store_status (
	    *script)(struct store_conn *, const char *sql, const char *file);
	/* The write batch, inside store.c's transaction: write_begin (may be
	 * NULL) sees the whole batch first, then write_signs writes each run
	 * [lo, hi) of signing ops, setting each op's result, sig.seq and
	 * petition_id as store_write_batch() documents. */
	enum store_status (
	    *write_begin)(struct store_conn *, struct write_op *, size_t n);
	enum store_status (*write_signs)(struct store_conn *, struct write_op *,
	    size_t lo, size_t hi);
	/* Inserts a batch of update mail and its unsubscribe tokens. */
	enum store_status (*mail_rows)(struct store_conn *,
	    const struct update_mail *, size_t n, int64_t now);
	/* Marks the signatures inv matches invalid (reason, invalidation id)
	 * and sets inv->removed and inv->uncounted. */
	enum store_status (
	    *inv_mark)(struct store_conn *, struct invalidation *, int64_t id);
	/* Search: what ST_SEARCH_INDEX binds as $2, $3 and $4 for a
	 * petition's title, addressees (one per line) and text in lang
	 * (in[3], UTF-8), into out[3] from the arena. Returns 0, or -1 when
	 * a text is not UTF-8 or the analysis or memory fails. */
	int (*search_doc)(struct arena *, enum search_lang lang,
	    const char *const in[3], const char *out[3]);
	/* What ST_SEARCH and ST_SEARCH_COUNT bind as $1 for a query (from
	 * search_query_parse() with SEARCH_OK), from the arena; NULL when
	 * memory is short. */
	char *(*search_match)(struct arena *, const struct search_query *q);
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

/* qsort()'s order, by petition id, of records whose first member is an
 * int64_t petition id. */
static inline int
store_petition_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* True when any byte of h is set: an all-zero hash means "none". */
static inline bool
store_hash_set(const unsigned char h[STORE_HASH_BYTES])
{
	size_t i;

	for (i = 0; i < STORE_HASH_BYTES; i++)
		if (h[i] != 0)
			return true;
	return false;
}

#endif
