/* store.h - the storage interface. Handlers call these functions and never
 * learn which backend runs; store_sqlite.c is the first backend and a
 * PostgreSQL one can sit beside it (store_open() picks by the DSN). */
#ifndef HOLOS_STORE_H
#define HOLOS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "petition.h"

enum store_status {
	STORE_OK,
	STORE_NOTFOUND,
	STORE_DUPLICATE,	/* a unique key (slug, email on a petition) */
	STORE_UNAVAILABLE,	/* the database cannot be reached or is busy */
	STORE_ERROR,		/* anything else; details are logged */
	STORE__MAX
};

struct store;

/* The operations a backend provides; store.c dispatches to them. */
struct store_ops {
	const char *name;
	int (*open)(const char *dsn, const char *migrations_dir,
	    struct store **out);
	void (*close)(struct store *);
	enum store_status (*migrate)(struct store *, int *version);
	enum store_status (*petition_create)(struct store *,
	    const struct petition *, int64_t *id);
	enum store_status (*petition_by_slug)(struct store *, struct arena *,
	    const char *slug, struct petition *out);
	enum store_status (*petition_list)(struct store *, struct arena *,
	    enum petition_state, struct petition **out, size_t *n);
	enum store_status (*signature_add_batch)(struct store *,
	    struct signature *, size_t n, enum store_status *results);
	enum store_status (*petition_count)(struct store *, int64_t id,
	    int64_t *count);
	enum store_status (*petition_translation)(struct store *,
	    struct arena *, int64_t petition_id, const char *lang,
	    struct translation *out);
};

/* Every backend starts with this, so store.c can find its ops. */
struct store {
	const struct store_ops *ops;
};

/* Opens the database named by dsn: "sqlite:PATH" or a plain PATH for SQLite.
 * migrations_dir holds the backend's NNNN_name.sql files. Does not migrate.
 * Returns 0, or -1 with the reason logged. Free with store_close(). */
int store_open(const char *dsn, const char *migrations_dir, struct store **out);

/* Closes the database; NULL is a no-op. */
void store_close(struct store *s);

/* Applies every migration newer than the recorded version, each in its own
 * transaction, and sets *version to the version now in force. A database
 * newer than this program knows gives STORE_ERROR with a clear log line. */
enum store_status store_migrate(struct store *s, int *version);

/* Inserts a petition with its addressees; *id is set on STORE_OK.
 * STORE_DUPLICATE when the slug is taken. */
enum store_status store_petition_create(struct store *s,
    const struct petition *p, int64_t *id);

/* Fills out (strings in arena) for the petition with this slug; count is
 * left 0 (counts.c has it). STORE_NOTFOUND when there is none. */
enum store_status store_petition_by_slug(struct store *s, struct arena *a,
    const char *slug, struct petition *out);

/* Lists petitions in one state, newest first (without addressees). *out is
 * an array of *n from the arena. */
enum store_status store_petition_list(struct store *s, struct arena *a,
    enum petition_state state, struct petition **out, size_t *n);

/* Fills out (strings in arena) with the petition's text in lang.
 * STORE_NOTFOUND when it has no such translation. */
enum store_status store_petition_translation(struct store *s, struct arena *a,
    int64_t petition_id, const char *lang, struct translation *out);

/* Durably records n signatures in one transaction (group commit) and
 * advances the counts of the confirmed ones in the same transaction.
 * results[i] is STORE_OK (sigs[i].seq set) or STORE_DUPLICATE (that email
 * hash has signed that petition already, possibly earlier in this batch).
 * Returns STORE_OK once the transaction is on disk; any other status means
 * nothing of the batch was written and results[] is undefined. */
enum store_status store_signature_add_batch(struct store *s,
    struct signature *sigs, size_t n, enum store_status *results);

/* The petition's confirmed count as stored (the sum of the per-node counter
 * rows). For loading the in-memory counts; pages never call it. */
enum store_status store_petition_count(struct store *s, int64_t id,
    int64_t *count);

/* A short English name for a status, for logs. */
const char *store_status_name(enum store_status st);

#endif
