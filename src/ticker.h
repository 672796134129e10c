/* ticker.h - a background thread that runs a function every so often, or
 * at once when kicked, until stopped. */
#ifndef HOLOS_TICKER_H
#define HOLOS_TICKER_H

#include <stdbool.h>

#include "worker.h"

struct ticker {
	const char *name; /* for logs */
	unsigned interval_ms;
	void (*run)(void *arg); /* called on the ticker's thread */
	void *arg;
	/* private */
	struct worker w;
	bool kicked;
};

/* Starts t's thread (fill name, interval_ms, run and arg first): run(arg)
 * at once, then every interval_ms or on ticker_kick(). Returns 0, or -1
 * when the thread cannot start (logged). */
int ticker_start(struct ticker *t);

/* Makes the thread run again soon. Cheap; any thread. */
void ticker_kick(struct ticker *t);

/* True once ticker_stop() was called: a long run checks it between
 * steps. */
bool ticker_stopping(struct ticker *t);

/* Lets a run in progress finish, stops the thread and waits for it; a
 * no-op when it is not running. */
void ticker_stop(struct ticker *t);

#endif
