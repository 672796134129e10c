/* delay.h - parks a request until a set moment and then resumes it: for
 * answers that must not come sooner than a fixed time (so that how long
 * the work took tells nothing), without holding one of the few request
 * threads meanwhile. */
#ifndef HOLOS_DELAY_H
#define HOLOS_DELAY_H

#include <time.h>

#include "http.h"

/* Requests parked at once at the most; more are answered without delay. */
#define DELAY_MAX 4096

/* What r->job points to when a delayed request runs again: its reply is
 * ready, the handler returns at once. */
extern const char delay_job;

/* Starts the thread that resumes parked requests. Returns 0, or -1 when it
 * cannot start (logged; delay_park() then refuses). */
int delay_start(void);

/* Resumes every parked request now and stops the thread. */
void delay_stop(void);

/* Parks r, whose reply the handler has filled in, until the CLOCK_MONOTONIC
 * time until; the handler then returns, and runs again with r->job ==
 * &delay_job once the time has come. Returns 0, or -1 when r cannot be
 * parked (no thread, table full): the caller answers now. */
int delay_park(struct request *r, const struct timespec *until);

#endif
