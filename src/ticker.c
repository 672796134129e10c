/* ticker.c - a periodic background thread. */
#include "ticker.h"

#include <time.h>

#include "log.h"

static void *
ticker_loop(void *p)
{
	struct ticker *t = p;
	struct timespec until;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		t->kicked = false;
		pthread_mutex_unlock(&t->lock);
		t->run(t->arg);
		pthread_mutex_lock(&t->lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += t->interval_ms / 1000;
		until.tv_nsec += (long)(t->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!t->stopping && !t->kicked &&
		    pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int
ticker_start(struct ticker *t)
{
	pthread_condattr_t attr;

	if (t->running)
		return 0;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&t->lock, NULL);
	t->stopping = t->kicked = false;
	if (t->interval_ms == 0)
		t->interval_ms = 1;
	if (pthread_create(&t->thread, NULL, ticker_loop, t) != 0) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		goto fail;
	}
	t->running = true;
	log_info("ticker", "name=%s event=started interval_ms=%u", t->name,
	    t->interval_ms);
	return 0;
fail:
	log_error("ticker", "name=%s error=\"cannot start the thread\"",
	    t->name);
	return -1;
}

void
ticker_kick(struct ticker *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->kicked = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

bool
ticker_stopping(struct ticker *t)
{
	bool stop;

	pthread_mutex_lock(&t->lock);
	stop = t->stopping;
	pthread_mutex_unlock(&t->lock);
	return stop;
}

void
ticker_stop(struct ticker *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	t->running = false;
}
