/* connlimit.h - open connections counted per client address and per
 * network (/24 for IPv4, /64 for IPv6), with a cap on each, so many
 * addresses of one network cannot take every connection between them. */
#ifndef HOLOS_CONNLIMIT_H
#define HOLOS_CONNLIMIT_H

#include <pthread.h>
#include <stddef.h>

#include "netaddr.h"

#define CONNLIMIT_BUCKETS 1024

enum connlimit_result {
	CONNLIMIT_OK,
	CONNLIMIT_ADDR, /* the address has per_addr open already */
	CONNLIMIT_NET,	/* its network has per_net open already */
	CONNLIMIT_NOMEM,
	CONNLIMIT__MAX
};

struct connlimit_node;

/* Fill per_addr and per_net (0: no cap) and call connlimit_init(). */
struct connlimit {
	unsigned per_addr, per_net;
	/* private */
	pthread_mutex_t lock;
	struct connlimit_node *buckets[CONNLIMIT_BUCKETS];
	size_t nodes;
};

/* Prepares c with its caps. Never fails. */
void connlimit_init(struct connlimit *c, unsigned per_addr, unsigned per_net);

/* Frees every count left (at shutdown). */
void connlimit_free(struct connlimit *c);

/* Counts one more connection of a when neither a nor its network is at
 * its cap. Returns CONNLIMIT_OK (counted: call connlimit_release() once
 * for it) or the reason it was not counted. Thread-safe. */
enum connlimit_result connlimit_acquire(struct connlimit *c,
    const struct netaddr *a);

/* Whether one more connection of a would be within the caps, counting
 * nothing: CONNLIMIT_OK, CONNLIMIT_ADDR or CONNLIMIT_NET. */
enum connlimit_result connlimit_check(struct connlimit *c,
    const struct netaddr *a);

/* Forgets one connection of a counted by connlimit_acquire() or
 * connlimit_add(). */
void connlimit_release(struct connlimit *c, const struct netaddr *a);

/* The network of a as connection limits see it: the address with all but
 * its first 24 (IPv4) or 64 (IPv6) bits cleared. */
void connlimit_network(const struct netaddr *a, struct netaddr *net);

#endif
