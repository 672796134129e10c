/* sweep.h - closing petitions whose closing date has come. Signing stops
 * at that second anyway (petition_is_open()); the sweep records the
 * transition to closed, on one node of a cluster only. */
#ifndef HOLOS_SWEEP_H
#define HOLOS_SWEEP_H

#include <stdint.h>

#include "store.h"

#define SWEEP_INTERVAL_MS 30000

/* Closes every open petition due at now (actor "system", reason
 * "closing_date"). Returns how many it closed, or -1 when the store
 * failed (logged). */
int sweep_run_once(struct store *s, int64_t now);

/* Runs sweep_run_once() in a thread every SWEEP_INTERVAL_MS. Returns 0 or
 * -1 (logged). */
int sweep_start(struct store *s);
void sweep_stop(void);

#endif
