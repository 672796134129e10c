/* mono.h - the monotonic clock in milliseconds: for intervals, timeouts
 * and "at most once a second", never for a date (utc.h). */
#ifndef HOLOS_MONO_H
#define HOLOS_MONO_H

#include <stdint.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
int64_t mono_ms(void);
/* The same in microseconds, for timing what takes a few milliseconds. */
int64_t mono_us(void);

/* Moves t ms milliseconds on: a CLOCK_MONOTONIC time, as the workers'
 * pthread_cond_timedwait() and the parked replies take it, or a time of
 * any other clock (the arithmetic is the same). */
void mono_add_ms(struct timespec *t, int64_t ms);

/* The CLOCK_MONOTONIC time of a mono_ms() value. */
struct timespec mono_at(int64_t ms);

#endif
