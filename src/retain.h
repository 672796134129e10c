/* retain.h - personal data leaves on schedule: the trial mode's mail files
 * after RETAIN_MAIL_FILE_DAYS, and (retain_run_once()) whatever the
 * retention rules say is due. */
#ifndef HOLOS_RETAIN_H
#define HOLOS_RETAIN_H

#include <stdint.h>

#include "store.h"

#define RETAIN_MAIL_FILE_DAYS 7
#define RETAIN_INTERVAL_MS (3600 * 1000)
#define RETAIN_BATCH 500 /* signatures erased per transaction */

struct retain_config {
	struct store *store;
	const char *outbox_dir; /* DATA/outbox: the .eml files of trial mode */
	int64_t retain_days;	/* after a petition closes */
};

/* What one run erased. */
struct retain_result {
	int mail_files;	    /* .eml files removed */
	int petitions;	    /* petitions whose signers were erased */
	int64_t signatures; /* signatures erased */
	int64_t mail_rows;  /* sent and dead mail deleted */
};

/* Removes the .eml files (and left-over temporary files) in dir last
 * written before now - max_age seconds. A missing dir holds none. Returns
 * how many it removed, or -1 when dir cannot be read (logged). */
int retain_mail_files(const char *dir, int64_t now, int64_t max_age);

/* Erases everything due at now under c's rules and fills *out: the mail
 * files, then (when c->store is set) the signers of every petition that
 * stopped taking signatures c->retain_days or more days before now, sent
 * and dead mail as old, and SQLite's WAL. Returns 0, or -1 when a part
 * failed (logged; the rest was still tried). */
int retain_run_once(const struct retain_config *c, int64_t now,
    struct retain_result *out);

/* Runs retain_run_once() at start and every RETAIN_INTERVAL_MS in a thread
 * of its own, with a copy of c (whose strings must outlive retain_stop()).
 * Returns 0 or -1 (logged). */
int retain_start(const struct retain_config *c);
void retain_stop(void);

#endif
