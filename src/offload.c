/* offload.c - one worker thread and a ring of parked requests' jobs. */
#include "offload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define OFFLOAD_NICE 10

static struct {
	struct worker w;
	struct {
		struct request *r;
		void (*fn)(void *);
		void *arg;
	} ring[OFFLOAD_QUEUE];
	size_t head, n;
	double job_ms; /* the recent time of one job (a moving average) */
} o = { .w.lock = PTHREAD_MUTEX_INITIALIZER, .job_ms = OFFLOAD_FIRST_MS };

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void *
offload_loop(void *unused)
{
	(void)unused;
	/* The hashes yield the processor to the request threads: a page
	 * view never waits behind a login's 64 MiB of Argon2id. (Linux nices
	 * a thread by its id.) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), OFFLOAD_NICE) != 0)
		log_warn("offload", "error=\"cannot lower the priority\"");
	pthread_mutex_lock(&o.w.lock);
	for (;;) {
		while (o.n == 0 && !o.w.stopping)
			pthread_cond_wait(&o.w.wake, &o.w.lock);
		if (o.n == 0)
			break; /* stopping, and nothing left */
		struct request *r = o.ring[o.head].r;
		void (*fn)(void *) = o.ring[o.head].fn;
		void *arg = o.ring[o.head].arg;

		o.head = (o.head + 1) % OFFLOAD_QUEUE;
		o.n--;
		struct timespec t0;
		double ms;

		pthread_mutex_unlock(&o.w.lock);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fn(arg);
		ms = ms_since(&t0);
		http_resume(r);
		pthread_mutex_lock(&o.w.lock);
		o.job_ms = (o.job_ms * 3 + ms) / 4;
	}
	pthread_mutex_unlock(&o.w.lock);
	return NULL;
}

/* The thread runs every job queued before it returns, so the ring is
 * empty for the next start. */
void
offload_stop(void)
{
	worker_stop(&o.w);
}

int
offload_start(void)
{
	return worker_start(&o.w, "offload", offload_loop, NULL);
}

int
offload_submit(struct request *r, void (*fn)(void *), void *arg)
{
	int ret = -1;

	pthread_mutex_lock(&o.w.lock);
	/* One job is always taken, however slow: a lone login goes
	 * through. */
	if (o.w.running && !o.w.stopping && o.n < OFFLOAD_QUEUE &&
	    (o.n == 0 || (double)(o.n + 1) * o.job_ms <= OFFLOAD_WAIT_MS)) {
		r->job = arg;
		/* Parked before the worker can see it: the resume comes
		 * after. */
		http_suspend(r);
		o.ring[(o.head + o.n) % OFFLOAD_QUEUE].r = r;
		o.ring[(o.head + o.n) % OFFLOAD_QUEUE].fn = fn;
		o.ring[(o.head + o.n) % OFFLOAD_QUEUE].arg = arg;
		o.n++;
		pthread_cond_signal(&o.w.wake);
		ret = 0;
	}
	pthread_mutex_unlock(&o.w.lock);
	return ret;
}
