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

/* Runs loghead_run_once() every LOGHEAD_INTERVAL_MS in a thread. Needs the
 * key loaded. Returns 0, or -1 (logged). */
int loghead_start(struct store *s);
void loghead_stop(void);

/* The current time in milliseconds since the epoch. */
int64_t loghead_now_ms(void);

#endif
