/* counts.h - live signature counts in memory. Loaded from the store on a
 * petition's first use, advanced by the signature writer after each commit,
 * so a page never waits for the database and never shows a count ahead of
 * what is on disk. */
#ifndef HOLOS_COUNTS_H
#define HOLOS_COUNTS_H

#include <stdint.h>

#include "store.h"

/* Starts empty, reading missing counts from s. Returns 0 or -1 (OOM). */
int counts_init(struct store *s);
void counts_free(void);

/* Sets *count to the petition's confirmed count, loading it from the store
 * the first time. Returns 0, or -1 when the store cannot say (logged). */
int counts_get(int64_t petition_id, int64_t *count);

/* Like counts_get(), also giving the unix time of the last commit this
 * process saw for the petition (0 when none since start). */
int counts_get_changed(int64_t petition_id, int64_t *count, int64_t *changed);

/* Like counts_get_changed(), also giving the size of the petition's log
 * that the count reflects (docs/transparency.md): the two are read as one
 * pair, never one before and one after a commit. changed may be NULL. */
int counts_get_log(int64_t petition_id, int64_t *count, int64_t *log_size,
    int64_t *changed);

/* The signature writer brackets each commit with these: a first load of a
 * count waits until no commit is under way, so it can neither miss nor
 * double a batch. Between them it calls counts_set() for what committed. */
void counts_commit_begin(void);
/* Sets a loaded petition's count and log size to what a commit left (its
 * transaction read both); ignored when an older commit's pair arrives
 * after a newer one. */
void counts_set(int64_t petition_id, int64_t count, int64_t log_size);
void counts_commit_end(void);

/* Sets a function called (on the thread that made it) after a count in
 * memory changed: a commit, a refresh that saw other nodes' signatures, a
 * reset. It must be cheap and must not call back into counts. NULL: none.
 * Set it before the writer and the refresh start. */
void counts_on_change(void (*fn)(void));

/* Forgets every loaded count (after invalidations by another process);
 * they are read again on next use. */
void counts_reset(void);

/* How often a node on a shared database re-reads its counts: another
 * node's signatures show here within this (plus one query per loaded
 * petition). */
#define COUNTS_REFRESH_MS 250

/* Re-reads the count of every loaded petition from the store, under the
 * commit lock, so it never races a commit of this process (it sees a batch
 * wholly or not at all, and counts_set() cannot undo it). For a
 * database other processes write too. Returns 0, or -1 when some count
 * could not be read (it keeps its old value; logged once per outage). */
int counts_refresh(void);

/* Starts a thread calling counts_refresh() every interval_ms. Returns 0,
 * or -1 when the thread cannot start. */
int counts_refresh_start(unsigned interval_ms);

/* Stops that thread and waits for it; a no-op when none runs. */
void counts_refresh_stop(void);

#endif
