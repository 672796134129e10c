/* loghead.h - the signer of the petitions' tree heads: the log key
 * (DATA/log.key) and a thread that signs, at most once a second per
 * petition, the newest state of every log that grew (docs/transparency.md).
 * Whichever process grows a log leaves it for signing in the database;
 * every node may sign it, and a head only ever replaces a smaller one. */
#ifndef HOLOS_LOGHEAD_H
#define HOLOS_LOGHEAD_H

#include <stdint.h>

#include "store.h"
#include "translog.h"

#define LOGHEAD_INTERVAL_MS 1000
/* Logs signed per store read. */
#define LOGHEAD_BATCH 256

/* Loads the key from data_dir (made on first start, mode 0600, refused
 * when others may read it) for loghead_key(). Returns 0, or -1 (logged). */
int loghead_key_load(const char *data_dir);

/* The loaded key, or NULL before loghead_key_load(). */
const struct translog_key *loghead_key(void);

/* Signs the newest state of every log whose signed head is smaller, with
 * the time now_ms. Returns how many heads it stored, or -1 when the store
 * failed (logged). */
int loghead_run_once(struct store *s, int64_t now_ms);

/* Runs loghead_run_once() every LOGHEAD_INTERVAL_MS in a thread, after
 * store_log_hash() (the leaf-hash index's catching up). Needs the
 * key loaded. Returns 0, or -1 (logged). */
int loghead_start(struct store *s);
void loghead_stop(void);

/* How long loghead_shown() keeps a petition's head before reading it
 * again: the petition page's "Verifiable count" line lags a new head by at
 * most this. */
#define LOGHEAD_SHOWN_MS 500

/* The newest signed head of a petition as pages show it: its tree size and
 * time (ms since the epoch), read from the store at most once every
 * LOGHEAD_SHOWN_MS per petition (a few hundred recently shown petitions are
 * kept; a head this process signs shows at the next view). Returns 1 with both
 * set, 0 when none is signed yet (get-sth then answers the empty tree at the
 * petition's start), or -1 when the store failed and nothing was kept (logged).
 */
int loghead_shown(struct store *s, int64_t petition_id, int64_t now_ms,
    int64_t *size, int64_t *timestamp);

/* The current time in milliseconds since the epoch. */
int64_t loghead_now_ms(void);

#endif
