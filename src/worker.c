/* worker.c - the start and the stop every background thread shares. */
#include "worker.h"

#include <stdio.h>
#include <time.h>

#include "log.h"

void
worker_name(pthread_t thread, const char *name)
{
	char comm[16]; /* the kernel's limit, with the NUL */

	snprintf(comm, sizeof(comm), "holos-%s", name);
	(void)pthread_setname_np(thread, comm);
}

int
worker_start(struct worker *w, const char *name, void *(*loop)(void *),
    void *arg)
{
	pthread_condattr_t attr;

	if (w->running)
		return 0;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	w->stopping = false;
	if (pthread_create(&w->thread, NULL, loop, arg) != 0) {
		pthread_cond_destroy(&w->wake);
		goto fail;
	}
	worker_name(w->thread, name);
	w->running = true;
	return 0;
fail:
	log_error(name, "error=\"cannot start the thread\"");
	return -1;
}

void
worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	w->running = false;
}
