/* ratelimit.c - token buckets in a fixed-size table; the oldest buckets
 * give way when it fills, so memory stays bounded under any attack. */
#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define TABLE_SIZE 65536 /* buckets; a power of two */
#define PROBE 8
#define STRIPES 64
#define REGION (TABLE_SIZE / STRIPES)

struct bucket {
	uint64_t key; /* 0: empty */
	double tokens;
	double stamp; /* monotonic seconds of the last update */
};

static struct rl_rule rules[RL__MAX];
static struct bucket table[TABLE_SIZE];
static pthread_mutex_t stripes[STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_locks(void)
{
	int i;

	for (i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
}

void
ratelimit_configure(const struct rl_rule r[RL__MAX])
{
	pthread_once(&once, init_locks);
	memcpy(rules, r, sizeof(rules));
}

int
ratelimit_parse(const char *s, struct rl_rule *r)
{
	char *end;
	double n, p;

	if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		r->burst = 0;
		r->period = 1;
		return 0;
	}
	n = strtod(s, &end);
	if (end == s || *end != '/' || !(n >= 1 && n <= 1e9))
		return -1;
	p = strtod(end + 1, &end);
	if (*end != '\0' || !(p > 0 && p <= 86400 * 7))
		return -1;
	r->burst = n;
	r->period = p;
	return 0;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a over the scope and the key bytes; never 0. */
static uint64_t
key_hash(enum rl_scope scope, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)scope;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/* Finds or claims the bucket for key; the caller holds its stripe. A new
 * bucket starts full. */
static struct bucket *
bucket_get(uint64_t key, const struct rl_rule *r, double now)
{
	size_t base = (size_t)(key & (TABLE_SIZE - 1)), i, victim = base;
	size_t region = base & ~(size_t)(REGION - 1);
	double oldest = INFINITY;

	/* Probes wrap within the key's stripe region. */
	for (i = 0; i < PROBE; i++) {
		size_t at = region | ((base + i) & (REGION - 1));
		struct bucket *b = &table[at];

		if (b->key == key)
			return b;
		if (b->key == 0) {
			victim = at;
			break;
		}
		if (b->stamp < oldest) {
			oldest = b->stamp;
			victim = at;
		}
	}
	table[victim].key = key;
	table[victim].tokens = r->burst;
	table[victim].stamp = now;
	return &table[victim];
}

/* The stripe of a key: all probes of a key stay within one stripe's
 * region, so one lock guards them. */
static pthread_mutex_t *
stripe_of(uint64_t key)
{
	return &stripes[(key & (TABLE_SIZE - 1)) / REGION];
}

/* The scopes a kind of request takes from. */
#define SCOPES_WRITE \
	((1u << RL_IP) | (1u << RL_NET) | (1u << RL_PETITION) | (1u << RL_SITE))
#define SCOPES_API ((1u << RL_API_IP) | (1u << RL_API_NET))
#define SCOPES_LIKE \
	((1u << RL_LIKE_IP) | (1u << RL_LIKE_NET) | (1u << RL_LIKE_SITE))
#define SCOPES_REPORT ((1u << RL_REPORT_IP) | (1u << RL_REPORT_NET))

/* ratelimit_take() at monotonic second now (the unit test passes its
 * own), from the buckets of the scopes in mask. */
static bool
take_at(const struct netaddr *client, int64_t petition_id, double now,
    unsigned mask, int *retry_after)
{
	uint64_t keys[RL__MAX];
	struct bucket *b[RL__MAX] = { NULL };
	pthread_mutex_t *locks[RL__MAX];
	double wait = 0;
	bool ok = true;
	int i, j;

	pthread_once(&once, init_locks);
	{
		struct netaddr net = *client;
		size_t keep = client->family == AF_INET ? 3 : 6;

		memset(net.bytes + keep, 0, sizeof(net.bytes) - keep);
		keys[RL_IP] = key_hash(RL_IP, client, sizeof(*client));
		keys[RL_NET] = key_hash(RL_NET, &net, sizeof(net));
		keys[RL_PETITION] =
		    key_hash(RL_PETITION, &petition_id, sizeof(petition_id));
		keys[RL_SITE] = key_hash(RL_SITE, "site", 4);
		keys[RL_API_IP] = key_hash(RL_API_IP, client, sizeof(*client));
		keys[RL_API_NET] = key_hash(RL_API_NET, &net, sizeof(net));
		keys[RL_LIKE_IP] = key_hash(RL_LIKE_IP, client, sizeof(*client));
		keys[RL_LIKE_NET] = key_hash(RL_LIKE_NET, &net, sizeof(net));
		keys[RL_LIKE_SITE] = key_hash(RL_LIKE_SITE, "site", 4);
		keys[RL_REPORT_IP] =
		    key_hash(RL_REPORT_IP, client, sizeof(*client));
		keys[RL_REPORT_NET] = key_hash(RL_REPORT_NET, &net, sizeof(net));
	}
	/* Lock the stripes in address order, each once. */
	for (i = 0; i < RL__MAX; i++)
		locks[i] = rules[i].burst > 0 && (mask & (1u << i)) != 0 &&
			(i != RL_PETITION || petition_id != 0) ?
		    stripe_of(keys[i]) :
		    NULL;
	for (i = 0; i < STRIPES; i++) {
		for (j = 0; j < RL__MAX; j++) {
			if (locks[j] == &stripes[i]) {
				pthread_mutex_lock(&stripes[i]);
				break;
			}
		}
	}
	for (i = 0; i < RL__MAX; i++) {
		double rate;

		if (locks[i] == NULL)
			continue;
		b[i] = bucket_get(keys[i], &rules[i], now);
		rate = rules[i].burst / rules[i].period;
		/* now was read before the lock: another thread may have
		 * stamped the bucket later, and that is no reason to take
		 * tokens away. */
		b[i]->tokens = fmin(rules[i].burst,
		    b[i]->tokens + fmax(now - b[i]->stamp, 0) * rate);
		b[i]->stamp = fmax(now, b[i]->stamp);
		if (b[i]->tokens < 1.0) {
			ok = false;
			wait = fmax(wait, (1.0 - b[i]->tokens) / rate);
		}
	}
	if (ok)
		for (i = 0; i < RL__MAX; i++)
			if (b[i] != NULL)
				b[i]->tokens -= 1.0;
	for (i = STRIPES - 1; i >= 0; i--) {
		for (j = 0; j < RL__MAX; j++) {
			if (locks[j] == &stripes[i]) {
				pthread_mutex_unlock(&stripes[i]);
				break;
			}
		}
	}
	if (!ok)
		*retry_after = (int)ceil(wait);
	return ok;
}

bool
ratelimit_take(const struct netaddr *client, int64_t petition_id,
    int *retry_after)
{
	return take_at(client, petition_id, now_seconds(), SCOPES_WRITE,
	    retry_after);
}

bool
ratelimit_take_api(const struct netaddr *client, int *retry_after)
{
	return take_at(client, 0, now_seconds(), SCOPES_API, retry_after);
}

bool
ratelimit_take_like(const struct netaddr *client, int *retry_after)
{
	return take_at(client, 0, now_seconds(), SCOPES_LIKE, retry_after);
}

bool
ratelimit_take_report(const struct netaddr *client, int *retry_after)
{
	return take_at(client, 0, now_seconds(), SCOPES_REPORT, retry_after);
}

void
ratelimit_free(void)
{
	memset(table, 0, sizeof(table));
}
