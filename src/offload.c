/* offload.c - one worker thread and a ring of parked requests' jobs. */
#include "offload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	struct {
		struct request *r;
		void (*fn)(void *);
		void *arg;
	} ring[OFFLOAD_QUEUE];
	size_t head, n;
} o = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

static void *
offload_loop(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&o.lock);
	for (;;) {
		while (o.n == 0 && !o.stopping)
			pthread_cond_wait(&o.wake, &o.lock);
		if (o.n == 0)
			break; /* stopping, and nothing left */
		struct request *r = o.ring[o.head].r;
		void (*fn)(void *) = o.ring[o.head].fn;
		void *arg = o.ring[o.head].arg;

		o.head = (o.head + 1) % OFFLOAD_QUEUE;
		o.n--;
		pthread_mutex_unlock(&o.lock);
		fn(arg);
		http_resume(r);
		pthread_mutex_lock(&o.lock);
	}
	pthread_mutex_unlock(&o.lock);
	return NULL;
}

int
offload_start(void)
{
	if (o.running)
		return 0;
	o.stopping = false;
	o.head = o.n = 0;
	if (pthread_create(&o.thread, NULL, offload_loop, NULL) != 0) {
		log_error("offload", "error=\"cannot start the thread\"");
		return -1;
	}
	o.running = true;
	return 0;
}

void
offload_stop(void)
{
	if (!o.running)
		return;
	pthread_mutex_lock(&o.lock);
	o.stopping = true;
	pthread_cond_signal(&o.wake);
	pthread_mutex_unlock(&o.lock);
	pthread_join(o.thread, NULL);
	o.running = false;
}

int
offload_submit(struct request *r, void (*fn)(void *), void *arg)
{
	int ret = -1;

	pthread_mutex_lock(&o.lock);
	if (o.running && !o.stopping && o.n < OFFLOAD_QUEUE) {
		r->job = arg;
		/* Parked before the worker can see it: the resume comes
		 * after. */
		http_suspend(r);
		o.ring[(o.head + o.n) % OFFLOAD_QUEUE].r = r;
		o.ring[(o.head + o.n) % OFFLOAD_QUEUE].fn = fn;
		o.ring[(o.head + o.n) % OFFLOAD_QUEUE].arg = arg;
		o.n++;
		pthread_cond_signal(&o.wake);
		ret = 0;
	}
	pthread_mutex_unlock(&o.lock);
	return ret;
}
