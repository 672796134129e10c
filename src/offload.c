/* offload.c - one worker thread and a ring of parked requests' jobs. */
#include "offload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "worker.h"

static struct {
	struct worker w;
	struct {
		struct request *r;
		void (*fn)(void *);
		void *arg;
	} ring[OFFLOAD_QUEUE];
	size_t head, n;
} o = { .w.lock = PTHREAD_MUTEX_INITIALIZER };

static void *
offload_loop(void *unused)
{
	(void)unused;
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
		pthread_mutex_unlock(&o.w.lock);
		fn(arg);
		http_resume(r);
		pthread_mutex_lock(&o.w.lock);
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
	if (o.w.running && !o.w.stopping && o.n < OFFLOAD_QUEUE) {
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
