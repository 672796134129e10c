/* worker.c - the start and the stop every background thread shares. */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
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

/* Makes l's key at the first call of any thread. Returns whether there is
 * one. */
static bool
local_ready(struct worker_local *l)
{
	if (!atomic_load_explicit(&l->made, memory_order_acquire)) {
		pthread_mutex_lock(&l->lock);
		if (!atomic_load_explicit(&l->made, memory_order_relaxed)) {
			l->ok = pthread_key_create(&l->key, l->gone) == 0;
			atomic_store_explicit(&l->made, true,
			    memory_order_release);
		}
		pthread_mutex_unlock(&l->lock);
	}
	return l->ok;
}

void *
worker_local_peek(struct worker_local *l)
{
	return local_ready(l) ? pthread_getspecific(l->key) : NULL;
}

void *
worker_local_get(struct worker_local *l, size_t size)
{
	void *v;

	if (!local_ready(l))
		return NULL;
	if ((v = pthread_getspecific(l->key)) != NULL)
		return v;
	if ((v = calloc(1, size)) == NULL)
		return NULL;
	if (pthread_setspecific(l->key, v) != 0) {
		free(v);
		return NULL;
	}
	return v;
}
