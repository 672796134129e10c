/* offload.h - slow work (a password hash: 64 MiB and tens of milliseconds
 * of Argon2id) done on a worker thread while its request is parked, so the
 * few request threads keep serving pages during a burst of logins. */
#ifndef HOLOS_OFFLOAD_H
#define HOLOS_OFFLOAD_H

#include "http.h"

/* Jobs waiting at once at the most, and the longest wait a new job may
 * expect (the jobs ahead of it times the recent time of one): the last in
 * the queue is answered within about OFFLOAD_WAIT_MS on a fast machine or
 * a slow one. More are refused at once (offload_submit() returns -1) and
 * their requests answered 503: never run on a request thread, which would
 * stall the pages behind a flood of logins. */
#define OFFLOAD_QUEUE 64
#define OFFLOAD_WAIT_MS 2000
/* What a job is taken to cost before any has been timed: on the slow side,
 * so that a burst at start-up does not queue more than a slow machine can
 * answer in time; the measured times take over within a few jobs. */
#define OFFLOAD_FIRST_MS 1000

/* Starts the worker. Returns 0, or -1 (logged; offload_submit() then
 * refuses). */
int offload_start(void);

/* Runs what is queued, then stops the worker and waits for it. */
void offload_stop(void);

/* Parks r and runs fn(arg) on the worker, when the queue has room (see
 * OFFLOAD_WAIT_MS); r's handler then runs again with
 * r->job == arg. arg (and what fn uses of r, such as its arena) must live
 * as long as r. Returns 0, or -1 when the queue is full or no worker runs:
 * nothing was parked, and the caller answers at once (503 with
 * Retry-After), never doing the work on the request thread. */
int offload_submit(struct request *r, void (*fn)(void *), void *arg);

#endif
