/* delay.c - requests parked until a moment, in a table ordered by nothing:
 * the thread scans it (it is small) for what is due and for the next
 * deadline. */
#include "delay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "worker.h"

const char delay_job = 0;

static struct {
	struct worker w;
	struct {
		struct request *r;
		struct timespec until;
	} slot[DELAY_MAX];
	size_t n;
} d = { .w.lock = PTHREAD_MUTEX_INITIALIZER };

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
	pthread_mutex_lock(&d.w.lock);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		next.tv_sec = now.tv_sec + 60;
		next.tv_nsec = now.tv_nsec;
		for (i = 0; i < d.n;) {
			if (d.w.stopping || due(&d.slot[i].until, &now)) {
				http_resume(d.slot[i].r);
				d.slot[i] = d.slot[--d.n];
				continue;
			}
			if (!due(&next, &d.slot[i].until))
				next = d.slot[i].until;
			i++;
		}
		if (d.w.stopping)
			break;
		pthread_cond_timedwait(&d.w.wake, &d.w.lock, &next);
	}
	pthread_mutex_unlock(&d.w.lock);
	return NULL;
}

/* The thread resumes every parked request before it returns, so the
 * table is empty for the next start. */
int
delay_start(void)
{
	return worker_start(&d.w, "delay", delay_loop, NULL);
}

void
delay_stop(void)
{
	worker_stop(&d.w);
}

int
delay_park(struct request *r, const struct timespec *until)
{
	int ret = -1;

	pthread_mutex_lock(&d.w.lock);
	if (d.w.running && !d.w.stopping && d.n < DELAY_MAX) {
		r->job = (void *)&delay_job;
		/* Suspended before the thread can see it: a resume never
		 * comes first. */
		http_suspend(r);
		d.slot[d.n].r = r;
		d.slot[d.n].until = *until;
		d.n++;
		pthread_cond_signal(&d.w.wake);
		ret = 0;
	}
	pthread_mutex_unlock(&d.w.lock);
	return ret;
}
