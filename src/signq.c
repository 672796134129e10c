/* signq.c - the signature queue and its group-commit writer thread. */
#include "signq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counts.h"
#include "log.h"
#include "mono.h"
#include "worker.h"

const double signq_commit_buckets[12] = {
	0.0005,
	0.001,
	0.0025,
	0.005,
	0.01,
	0.025,
	0.05,
	0.1,
	0.25,
	0.5,
	1.0,
	1e300,
};

static struct {
	struct worker w;
	struct store *store;
	struct signq_item **ring;
	size_t cap, head, len, max_batch;
	struct signq_stats st;
	struct signq_load load; /* the writer's own */
} q = { .w.lock = PTHREAD_MUTEX_INITIALIZER };

/* What the writer's load says, for other threads: q.load's busy_since and
 * last_ms as it last noted them. */
static _Atomic int64_t busy_since_ms, last_batch_ms;
/* HOLOS_TEST_SIGNQ_BUSY=1: the writer reports itself saturated from its
 * start. A saturated writer cannot be arranged from outside on every
 * machine the tests run on; only the sanitised builds, which the tests
 * run, read the variable. */
static _Atomic int64_t test_busy_since;

/* Opens l's next window at now_ms. */
static void
window_open(struct signq_load *l, int64_t now_ms)
{
	l->win_start = now_ms;
	l->commit_us = l->items = l->batches = 0;
}

void
signq_load_note(struct signq_load *l, int64_t now_ms, size_t n,
    int64_t commit_us)
{
	int64_t span = now_ms - l->win_start;

	if (l->win_start == 0 || now_ms - l->last_ms > 2 * SIGNQ_WINDOW_MS) {
		/* The first batch, or the first after a pause: whatever
		 * came before is over. */
		window_open(l, now_ms);
		l->busy_since = 0;
		l->calm = 0;
	} else if (span >= SIGNQ_WINDOW_MS) {
		int64_t least =
		    l->busy_since != 0 ? SIGNQ_CALM_BATCH : SIGNQ_BUSY_BATCH;
		bool busy = l->batches > 0 &&
		    (double)l->commit_us >=
			SIGNQ_BUSY_DUTY * 1000.0 * (double)span &&
		    l->items >= least * l->batches;

		if (busy) {
			l->calm = 0;
			if (l->busy_since == 0)
				l->busy_since = l->win_start;
		} else if (l->busy_since != 0 &&
		    ++l->calm >= SIGNQ_CALM_WINDOWS) {
			l->busy_since = 0;
			l->calm = 0;
		}
		window_open(l, now_ms);
	}
	l->commit_us += commit_us;
	l->items += (int64_t)n;
	l->batches++;
	l->last_ms = now_ms;
}

int64_t
signq_load_busy_since(const struct signq_load *l, int64_t now_ms)
{
	if (l->busy_since == 0 || now_ms - l->last_ms > 2 * SIGNQ_WINDOW_MS)
		return 0;
	return l->busy_since;
}

int64_t
signq_busy_since(void)
{
	int64_t t = atomic_load(&test_busy_since);

	if (t != 0)
		return t;

	struct signq_load l = {
		.busy_since = atomic_load(&busy_since_ms),
		.last_ms = atomic_load(&last_batch_ms),
	};

	return signq_load_busy_since(&l, mono_ms());
}

static double
elapsed(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void
stats_batch(size_t n, double secs)
{
	size_t b = 0, lim = 1;
	int i;

	while (b < 7 && n > lim) {
		b++;
		lim = lim == 1 ? 10 : lim * 10;
	}
	q.st.batch_hist[b]++;
	q.st.batches++;
	q.st.commit_seconds += secs;
	for (i = 0; i < 12; i++)
		if (secs <= signq_commit_buckets[i])
			break;
	q.st.commit_hist[i < 12 ? i : 11]++;
}

/* Commits one batch and tells each item how it went. */
static void
write_batch(struct signq_item **items, struct write_op *ops, size_t n)
{
	struct timespec t0;
	enum store_status st;
	size_t i, ok = 0, refused = 0;
	double secs;

	for (i = 0; i < n; i++)
		ops[i] = items[i]->op;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	counts_commit_begin();
	st = store_write_batch(q.store, ops, n);
	if (st == STORE_OK)
		for (i = 0; i < n; i++)
			if (ops[i].petition_id != 0)
				counts_set(ops[i].petition_id,
				    ops[i].count_after, ops[i].log_size_after);
	counts_commit_end();
	secs = elapsed(&t0);
	signq_load_note(&q.load, mono_ms(), n, (int64_t)(secs * 1e6));
	atomic_store(&busy_since_ms, q.load.busy_since);
	atomic_store(&last_batch_ms, q.load.last_ms);
	for (i = 0; i < n; i++) {
		items[i]->status = st;
		items[i]->op.result = ops[i].result;
		items[i]->op.petition_id = ops[i].petition_id;
		items[i]->op.sig.seq = ops[i].sig.seq;
		items[i]->op.leaf_index = ops[i].leaf_index;
		if (st != STORE_OK)
			continue;
		if (ops[i].result == WRITE_OK || ops[i].result == WRITE_RESENT)
			ok++;
		else
			refused++;
	}
	pthread_mutex_lock(&q.w.lock);
	stats_batch(n, secs);
	q.st.committed += ok;
	q.st.duplicates += refused;
	if (st != STORE_OK)
		q.st.failed += n;
	pthread_mutex_unlock(&q.w.lock);
	if (st != STORE_OK)
		log_error("signq", "batch=%zu error=%s", n,
		    store_status_name(st));
	else
		log_debug("signq", "batch=%zu ok=%zu refused=%zu ms=%.2f", n,
		    ok, refused, secs * 1000);
	for (i = 0; i < n; i++)
		items[i]->done(items[i]);
}

static void *
writer(void *arg)
{
	struct signq_item **items;
	struct write_op *ops;
	size_t n, i;

	(void)arg;
	items = calloc(q.max_batch, sizeof(*items));
	ops = calloc(q.max_batch, sizeof(*ops));
	if (items == NULL || ops == NULL)
		fatal("signq", "error=\"out of memory\"");
	for (;;) {
		pthread_mutex_lock(&q.w.lock);
		while (q.len == 0 && !q.w.stopping)
			pthread_cond_wait(&q.w.wake, &q.w.lock);
		if (q.len == 0 && q.w.stopping) {
			pthread_mutex_unlock(&q.w.lock);
			break;
		}
		n = q.len < q.max_batch ? q.len : q.max_batch;
		for (i = 0; i < n; i++) {
			items[i] = q.ring[q.head];
			q.head = (q.head + 1) % q.cap;
		}
		q.len -= n;
		pthread_mutex_unlock(&q.w.lock);
		write_batch(items, ops, n);
	}
	free(items);
	free(ops);
	return NULL;
}

int
signq_start(struct store *s, size_t capacity, size_t max_batch)
{
	q.store = s;
	q.cap = capacity;
	q.max_batch = max_batch;
	q.head = q.len = 0;
	memset(&q.st, 0, sizeof(q.st));
	memset(&q.load, 0, sizeof(q.load));
	atomic_store(&busy_since_ms, 0);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	{
		const char *v = getenv("HOLOS_TEST_SIGNQ_BUSY");

		atomic_store(&test_busy_since,
		    v != NULL && strcmp(v, "1") == 0 ? mono_ms() : 0);
	}
#endif
	if ((q.ring = calloc(capacity, sizeof(*q.ring))) == NULL)
		return -1;
	if (worker_start(&q.w, "signq", writer, NULL) == -1) {
		free(q.ring);
		q.ring = NULL;
		return -1;
	}
	return 0;
}

int
signq_submit(struct signq_item *it)
{
	pthread_mutex_lock(&q.w.lock);
	if (!q.w.running || q.w.stopping || q.len == q.cap) {
		pthread_mutex_unlock(&q.w.lock);
		return -1;
	}
	it->park(it);
	q.ring[(q.head + q.len) % q.cap] = it;
	q.len++;
	pthread_cond_signal(&q.w.wake);
	pthread_mutex_unlock(&q.w.lock);
	return 0;
}

void
signq_stop(void)
{
	if (!q.w.running)
		return;
	worker_stop(&q.w);
	atomic_store(&busy_since_ms, 0);
	atomic_store(&test_busy_since, 0);
	free(q.ring);
	q.ring = NULL;
}

void
signq_stats(struct signq_stats *out)
{
	pthread_mutex_lock(&q.w.lock);
	*out = q.st;
	out->depth = q.len;
	out->capacity = q.cap;
	pthread_mutex_unlock(&q.w.lock);
}
