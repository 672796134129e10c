/* metrics.h - request counters by route and status, and the Prometheus text
 * exposition of them and of the signature writer's figures. */
#ifndef HOLOS_METRICS_H
#define HOLOS_METRICS_H

#include "buf.h"

/* Sets how routes are named in the exposition (main.c passes route_name(),
 * which the metrics cannot call by name: the router is above them). Call
 * once before serving; until then routes show as numbers. */
void metrics_configure(const char *(*namer)(int route));

/* Counts one reply. Lock-free; route is an enum route (ROUTE__MAX for
 * none). */
void metrics_request(int route, int status);

/* Appends every metric in Prometheus text format 0.0.4 to out. */
void metrics_render(struct buf *out);

#endif
