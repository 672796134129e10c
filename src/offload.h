/* offload.h - slow work (a password hash: 64 MiB and tens of milliseconds
 * of Argon2id) done on a worker thread while its request is parked, so the
 * few request threads keep serving pages during a burst of logins. */
#ifndef HOLOS_OFFLOAD_H
#define HOLOS_OFFLOAD_H

#include "http.h"

/* Jobs waiting at once at the most. */
#define OFFLOAD_QUEUE 256

/* Starts the worker. Returns 0, or -1 (logged; offload_submit() then
 * refuses). */
int offload_start(void);

/* Runs what is queued, then stops the worker and waits for it. */
void offload_stop(void);

/* Parks r and runs fn(arg) on the worker; r's handler then runs again with
 * r->job == arg. arg (and what fn uses of r, such as its arena) must live
 * as long as r. Returns 0, or -1 when the queue is full or no worker runs:
 * nothing was parked, and the caller does the work itself. */
int offload_submit(struct request *r, void (*fn)(void *), void *arg);

#endif
