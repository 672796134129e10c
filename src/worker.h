/* worker.h - a background thread with its lock and wake-up condition,
 * started and stopped the same way by every module that keeps one. */
#ifndef HOLOS_WORKER_H
#define HOLOS_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Initialise lock with PTHREAD_MUTEX_INITIALIZER (or pthread_mutex_init)
 * before anything uses it; worker_start() does the rest. The thread's loop
 * returns once it sees stopping, read under lock. */
struct worker {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC, for timed waits */
	pthread_t thread;
	bool running;  /* written by start and stop only */
	bool stopping; /* under lock */
};

/* Starts w's thread running loop(arg). Returns 0 (also when it runs
 * already), or -1 when it cannot start (logged under name). */
int worker_start(struct worker *w, const char *name, void *(*loop)(void *),
    void *arg);

/* Names thread "holos-NAME" (cut to the kernel's 15 bytes), as top -H,
 * ps -L and perf show it; a failure is ignored. */
void worker_name(pthread_t thread, const char *name);

/* Sets stopping, wakes the thread and waits for it to return; a no-op when
 * it is not running. */
void worker_stop(struct worker *w);

/* A value of a module's own for each thread that asks (thread-specific
 * data): made zeroed by the thread's first worker_local_get(), handed to
 * gone() at the thread's end. Define one as a static with
 * WORKER_LOCAL(gone). */
struct worker_local {
	pthread_mutex_t lock;
	pthread_key_t key;
	atomic_bool made; /* key tried; ok says whether it was made */
	bool ok;
	void (*gone)(void *);
};
#define WORKER_LOCAL(fn)                                        \
	{                                                       \
		.lock = PTHREAD_MUTEX_INITIALIZER, .gone = (fn) \
	}

/* The calling thread's value, or NULL when it has none yet. */
void *worker_local_peek(struct worker_local *l);

/* The calling thread's value, made of size zeroed bytes when it has none.
 * Returns NULL when out of memory or when no key could be made. */
void *worker_local_get(struct worker_local *l, size_t size);

#endif
