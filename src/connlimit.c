/* connlimit.c - open connections per address and per network: a chained
 * hash table of counts, an entry freed when its count drops to zero, so
 * the table holds only what is open now. */
#include "connlimit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct connlimit_node {
	struct connlimit_node *next;
	bool net; /* a network's count, not an address's */
	struct netaddr a;
	unsigned n;
};

void
connlimit_init(struct connlimit *c, unsigned per_addr, unsigned per_net)
{
	memset(c->buckets, 0, sizeof(c->buckets));
	c->per_addr = per_addr;
	c->per_net = per_net;
	c->nodes = 0;
	pthread_mutex_init(&c->lock, NULL);
}

void
connlimit_free(struct connlimit *c)
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < CONNLIMIT_BUCKETS; i++) {
		while (c->buckets[i] != NULL) {
			struct connlimit_node *n = c->buckets[i];

			c->buckets[i] = n->next;
			free(n);
		}
	}
	c->nodes = 0;
	pthread_mutex_unlock(&c->lock);
}

void
connlimit_network(const struct netaddr *a, struct netaddr *net)
{
	size_t keep = a->family == AF_INET ? 3 : 8;

	*net = *a;
	memset(net->bytes + keep, 0, sizeof(net->bytes) - keep);
}

static size_t
bucket_of(bool net, const struct netaddr *a)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)net;
	size_t i;

	h = (h ^ (uint64_t)a->family) * 1099511628211ULL;
	for (i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 1099511628211ULL;
	return (size_t)(h % CONNLIMIT_BUCKETS);
}

/* The node of (net, a); the caller holds the lock. */
static struct connlimit_node **
find(struct connlimit *c, bool net, const struct netaddr *a)
{
	struct connlimit_node **p = &c->buckets[bucket_of(net, a)];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->net == net && (*p)->a.family == a->family &&
		    memcmp((*p)->a.bytes, a->bytes, sizeof(a->bytes)) == 0)
			break;
	return p;
}

/* Adds one to the count of (net, a); the caller holds the lock. Returns 0
 * or -1 (out of memory). */
static int
add(struct connlimit *c, bool net, const struct netaddr *a)
{
	struct connlimit_node **p = find(c, net, a), *n;

	if (*p != NULL) {
		(*p)->n++;
		return 0;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	n->net = net;
	n->a = *a;
	n->n = 1;
	*p = n;
	c->nodes++;
	return 0;
}

static void
drop(struct connlimit *c, bool net, const struct netaddr *a)
{
	struct connlimit_node **p = find(c, net, a), *n = *p;

	if (n == NULL)
		return;
	if (--n->n == 0) {
		*p = n->next;
		free(n);
		c->nodes--;
	}
}

static unsigned
count_of(struct connlimit *c, bool net, const struct netaddr *a)
{
	struct connlimit_node *n = *find(c, net, a);

	return n != NULL ? n->n : 0;
}

/* The caller holds the lock. */
static enum connlimit_result
check(struct connlimit *c, const struct netaddr *a, const struct netaddr *net)
{
	if (c->per_addr != 0 && count_of(c, false, a) >= c->per_addr)
		return CONNLIMIT_ADDR;
	if (c->per_net != 0 && count_of(c, true, net) >= c->per_net)
		return CONNLIMIT_NET;
	return CONNLIMIT_OK;
}

/* The caller holds the lock. */
static enum connlimit_result
add_both(struct connlimit *c, const struct netaddr *a, const struct netaddr *net)
{
	if (add(c, false, a) == -1)
		return CONNLIMIT_NOMEM;
	if (add(c, true, net) == -1) {
		drop(c, false, a);
		return CONNLIMIT_NOMEM;
	}
	return CONNLIMIT_OK;
}

/* Checks a and its network against the limits and, when take and they
 * allow it, counts one more connection of each. */
static enum connlimit_result
admit(struct connlimit *c, const struct netaddr *a, bool take)
{
	enum connlimit_result res;
	struct netaddr net;

	connlimit_network(a, &net);
	pthread_mutex_lock(&c->lock);
	if ((res = check(c, a, &net)) == CONNLIMIT_OK && take)
		res = add_both(c, a, &net);
	pthread_mutex_unlock(&c->lock);
	return res;
}

enum connlimit_result
connlimit_acquire(struct connlimit *c, const struct netaddr *a)
{
	return admit(c, a, true);
}

enum connlimit_result
connlimit_check(struct connlimit *c, const struct netaddr *a)
{
	return admit(c, a, false);
}

void
connlimit_release(struct connlimit *c, const struct netaddr *a)
{
	struct netaddr net;

	connlimit_network(a, &net);
	pthread_mutex_lock(&c->lock);
	drop(c, false, a);
	drop(c, true, &net);
	pthread_mutex_unlock(&c->lock);
}
