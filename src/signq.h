/* signq.h - the write queue of the signature path and its group-commit
 * writer. Request threads validate a signature (or a confirmation) and hand
 * it over; one writer thread commits whole batches in single transactions,
 * advances the in-memory counts and then wakes the waiting requests. A
 * signer hears "signed" only after the commit is on disk. */
#ifndef HOLOS_SIGNQ_H
#define HOLOS_SIGNQ_H

#include <stddef.h>
#include <stdint.h>

#include "petition.h"
#include "store.h"

struct signq_item {
	struct write_op op;	  /* its pointers must live until done runs */
	enum store_status status; /* OUT: STORE_OK when the batch
				   * committed; op.result then says more */
	/* Called on the queue's lock just before the item becomes visible to
	 * the writer (the request suspends itself here), then from the writer
	 * thread once the item's fate is known. */
	void (*park)(struct signq_item *);
	void (*done)(struct signq_item *);
	void *arg;
};

struct signq_stats {
	uint64_t committed;  /* writes that took effect */
	uint64_t duplicates; /* writes refused (duplicate, bad token…) */
	uint64_t batches;
	uint64_t failed;	  /* items whose batch did not commit */
	uint64_t batch_hist[8];	  /* sizes 1, 2-10, 11-100, 101-1000, … */
	double commit_seconds;	  /* total time in commits */
	uint64_t commit_hist[12]; /* commit latency buckets, see signq.c */
	size_t depth;		  /* items waiting now */
	size_t capacity;
};

/* Starts the writer for store s with room for capacity waiting items and
 * batches of at most max_batch. Returns 0, or -1 when the thread cannot
 * start. */
int signq_start(struct store *s, size_t capacity, size_t max_batch);

/* Queues it. Returns 0 (park and later done will be called), or -1 when
 * the queue is full or stopping: nothing was queued, nothing is called,
 * and the request should answer 503. */
int signq_submit(struct signq_item *it);

/* Commits everything already queued, then stops the writer. Submissions
 * after this call fail. */
void signq_stop(void);

/* A snapshot of the counters, for /metrics. */
void signq_stats(struct signq_stats *out);

/* Whether the writer is saturated: in a window of SIGNQ_WINDOW_MS it
 * committed at least SIGNQ_BUSY_DUTY of the time in batches of at least
 * SIGNQ_BUSY_BATCH on average, and it stays so until SIGNQ_CALM_WINDOWS
 * windows in a row fall below that duty or batches of SIGNQ_CALM_BATCH,
 * or it has had nothing to commit for two windows: signers queue behind
 * its commits, and any CPU taken elsewhere comes off the signing.
 * (Committing all the time alone says little: the writer commits back to
 * back whenever one signature came in during the last commit.) The writer
 * feeds one of these after each commit; the functions are pure, for the
 * tests. */
#define SIGNQ_WINDOW_MS 200
#define SIGNQ_BUSY_DUTY 0.9
#define SIGNQ_BUSY_BATCH 16
#define SIGNQ_CALM_BATCH 8
#define SIGNQ_CALM_WINDOWS 5

struct signq_load {
	int64_t win_start; /* ms; 0 before the first batch */
	int64_t commit_us; /* in this window */
	int64_t items, batches;
	int64_t busy_since; /* ms the saturation began, 0 when not saturated */
	int calm;	    /* windows in a row below it since */
	int64_t last_ms;    /* when the last batch ended */
};

/* Notes a batch of n that ended at now_ms (mono_ms()) after committing
 * for commit_us microseconds. */
void signq_load_note(struct signq_load *l, int64_t now_ms, size_t n,
    int64_t commit_us);

/* When the present saturation began (a mono_ms() value), or 0 when the
 * writer is not saturated: not in the last window it closed, or idle for
 * two windows since its last batch. */
int64_t signq_load_busy_since(const struct signq_load *l, int64_t now_ms);

/* signq_load_busy_since() of the running writer, from any thread; 0 when
 * no writer runs. */
int64_t signq_busy_since(void);

/* The upper bounds of commit_hist's buckets, in seconds; the last bucket
 * is +Inf. */
extern const double signq_commit_buckets[12];

#endif
