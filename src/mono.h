/* mono.h - the monotonic clock in milliseconds: for intervals, timeouts
 * and "at most once a second", never for a date (utc.h). */
#ifndef HOLOS_MONO_H
#define HOLOS_MONO_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
int64_t mono_ms(void);

#endif
