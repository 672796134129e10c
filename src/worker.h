/* worker.h - a background thread with its lock and wake-up condition,
 * started and stopped the same way by every module that keeps one. */
#ifndef HOLOS_WORKER_H
#define HOLOS_WORKER_H

#include <pthread.h>
#include <stdbool.h>

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

#endif
