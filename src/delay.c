/* delay.c - requests parked until a moment, in a table ordered by nothing:
 * the thread scans it (it is small) for what is due and for the next
 * deadline. */
#include "delay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

const char delay_job = 0;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	struct {
		struct request *r;
		struct timespec until;
	} slot[DELAY_MAX];
	size_t n;
} d = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool
due(const struct timespec *t, const struct timespec *now)
{
	return t->tv_sec < now->tv_sec ||
	    (t->tv_sec == now->tv_sec && t->tv_nsec <= now->tv_nsec);
}

static void *
delay_loop(void *arg)
{
	struct timespec now, next;
	size_t i;

	(void)arg;
	pthread_mutex_lock(&d.lock);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		next.tv_sec = now.tv_sec + 60;
		next.tv_nsec = now.tv_nsec;
		for (i = 0; i < d.n;) {
			if (d.stopping || due(&d.slot[i].until, &now)) {
				http_resume(d.slot[i].r);
				d.slot[i] = d.slot[--d.n];
				continue;
			}
			if (!due(&next, &d.slot[i].until))
				next = d.slot[i].until;
			i++;
		}
		if (d.stopping)
			break;
		pthread_cond_timedwait(&d.wake, &d.lock, &next);
	}
	pthread_mutex_unlock(&d.lock);
	return NULL;
}

int
delay_start(void)
{
	pthread_condattr_t attr;

	if (d.running)
		return 0;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d.wake, &attr);
	pthread_condattr_destroy(&attr);
	d.stopping = false;
	d.n = 0;
	if (pthread_create(&d.thread, NULL, delay_loop, NULL) != 0) {
		pthread_cond_destroy(&d.wake);
		goto fail;
	}
	d.running = true;
	return 0;
fail:
	log_error("delay", "error=\"cannot start the thread\"");
	return -1;
}

void
delay_stop(void)
{
	if (!d.running)
		return;
	pthread_mutex_lock(&d.lock);
	d.stopping = true;
	pthread_cond_signal(&d.wake);
	pthread_mutex_unlock(&d.lock);
	pthread_join(d.thread, NULL);
	pthread_cond_destroy(&d.wake);
	d.running = false;
}

int
delay_park(struct request *r, const struct timespec *until)
{
	int ret = -1;

	pthread_mutex_lock(&d.lock);
	if (d.running && !d.stopping && d.n < DELAY_MAX) {
		r->job = (void *)&delay_job;
		/* Suspended before the thread can see it: a resume never
		 * comes first. */
		http_suspend(r);
		d.slot[d.n].r = r;
		d.slot[d.n].until = *until;
		d.n++;
		pthread_cond_signal(&d.wake);
		ret = 0;
	}
	pthread_mutex_unlock(&d.lock);
	return ret;
}
