/* ticker.c - a periodic background thread. */
#include "ticker.h"

#include <time.h>

#include "log.h"
#include "mono.h"

static void *
ticker_loop(void *p)
{
	struct ticker *t = p;
	struct timespec until;

	pthread_mutex_lock(&t->w.lock);
	while (!t->w.stopping) {
		t->kicked = false;
		pthread_mutex_unlock(&t->w.lock);
		t->run(t->arg);
		pthread_mutex_lock(&t->w.lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		mono_add_ms(&until, (int64_t)t->interval_ms);
		while (!t->w.stopping && !t->kicked &&
		    pthread_cond_timedwait(&t->w.wake, &t->w.lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&t->w.lock);
	return NULL;
}

int
ticker_start(struct ticker *t)
{
	if (t->w.running)
		return 0;
	pthread_mutex_init(&t->w.lock, NULL);
	t->kicked = false;
	if (t->interval_ms == 0)
		t->interval_ms = 1;
	if (worker_start(&t->w, t->name, ticker_loop, t) == -1) {
		pthread_mutex_destroy(&t->w.lock);
		return -1;
	}
	log_info("ticker", "name=%s event=started interval_ms=%u", t->name,
	    t->interval_ms);
	return 0;
}

void
ticker_kick(struct ticker *t)
{
	if (!t->w.running)
		return;
	pthread_mutex_lock(&t->w.lock);
	t->kicked = true;
	pthread_cond_signal(&t->w.wake);
	pthread_mutex_unlock(&t->w.lock);
}

bool
ticker_stopping(struct ticker *t)
{
	bool stop;

	pthread_mutex_lock(&t->w.lock);
	stop = t->w.stopping;
	pthread_mutex_unlock(&t->w.lock);
	return stop;
}

void
ticker_stop(struct ticker *t)
{
	if (!t->w.running)
		return;
	worker_stop(&t->w);
	pthread_mutex_destroy(&t->w.lock);
}
