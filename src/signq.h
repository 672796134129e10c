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

/* The upper bounds of commit_hist's buckets, in seconds; the last bucket
 * is +Inf. */
extern const double signq_commit_buckets[12];

#endif
