/* pow.c - hashcash challenges, their single-use check, and difficulty that
 * rises under a burst from few networks. */
#include "pow.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"

#define POW_MAX_AGE 3600   /* a page older than this asks again */
#define USED_CAP (1 << 20) /* spent challenges per generation */
#define RECENT 256	   /* networks remembered per petition */
#define PETITIONS 64	   /* petitions tracked for bursts */

static int base_bits, extra_bits;

/* Spent challenges: two generations of 64-bit fingerprints; the older is
 * dropped when the newer fills or ages past POW_MAX_AGE, so memory stays
 * at 16 MB whatever the load. */
static struct {
	pthread_mutex_t lock;
	uint64_t *gen[2];
	size_t used[2];
	time_t started;
} spent = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Recent signing networks per petition. */
static struct {
	pthread_mutex_t lock;
	struct {
		int64_t id;
		uint64_t nets[RECENT];
		size_t n, next;
		int bits;
		time_t computed;
	} p[PETITIONS];
} recent = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
pow_configure(int base, int extra)
{
	base_bits = base;
	extra_bits = extra;
}

int
pow_enabled(void)
{
	return base_bits > 0;
}

/* A keyed BLAKE2b-128 of the challenge: one is made for every page view,
 * and BLAKE2b does in one block what HMAC-SHA-256 does in four. */
static void
mac_of(const char *msg, size_t len, char out[23])
{
	unsigned char mac[16];

	crypto_misc_hash("pow", msg, len, mac, sizeof(mac));
	sodium_bin2base64(out, 23, mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
pow_challenge(struct buf *out, int64_t petition_id, time_t now)
{
	unsigned char rnd[8];
	char head[128], mac[23];
	int n;

	randombytes_buf(rnd, sizeof(rnd));
	n = snprintf(head, sizeof(head),
	    "%" PRId64 ".%" PRId64 ".%d."
	    "%02x%02x%02x%02x%02x%02x%02x%02x",
	    petition_id, (int64_t)now, pow_bits(petition_id), rnd[0], rnd[1],
	    rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	mac_of(head, (size_t)n, mac);
	buf_append(out, head, (size_t)n);
	buf_putc(out, '.');
	buf_puts(out, mac);
}

static int
leading_zero_bits(const unsigned char *h, size_t n)
{
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (h[i] == 0) {
			bits += 8;
			continue;
		}
		for (unsigned char m = 0x80; m && !(h[i] & m); m >>= 1)
			bits++;
		break;
	}
	return bits;
}

/* Adds fingerprint f to the spent set; false when it was there. */
static bool
spend(uint64_t f, time_t now)
{
	size_t g, i;
	bool fresh = true;

	pthread_mutex_lock(&spent.lock);
	if (spent.gen[0] == NULL) {
		spent.gen[0] = calloc(USED_CAP, sizeof(uint64_t));
		spent.gen[1] = calloc(USED_CAP, sizeof(uint64_t));
		spent.started = now;
	}
	if (spent.gen[0] == NULL || spent.gen[1] == NULL) {
		pthread_mutex_unlock(&spent.lock);
		return true; /* no memory: the proof still had its cost */
	}
	f |= 1; /* never 0, the empty slot */
	for (g = 0; g < 2 && fresh; g++)
		for (i = f & (USED_CAP - 1); spent.gen[g][i] != 0;
		     i = (i + 1) & (USED_CAP - 1))
			if (spent.gen[g][i] == f) {
				fresh = false;
				break;
			}
	if (fresh) {
		if (spent.used[0] * 2 > USED_CAP ||
		    now - spent.started > POW_MAX_AGE) {
			uint64_t *old = spent.gen[1];

			spent.gen[1] = spent.gen[0];
			spent.used[1] = spent.used[0];
			memset(old, 0, USED_CAP * sizeof(uint64_t));
			spent.gen[0] = old;
			spent.used[0] = 0;
			spent.started = now;
		}
		for (i = f & (USED_CAP - 1); spent.gen[0][i] != 0;
		     i = (i + 1) & (USED_CAP - 1))
			;
		spent.gen[0][i] = f;
		spent.used[0]++;
	}
	pthread_mutex_unlock(&spent.lock);
	return fresh;
}

enum pow_result
pow_verify(const char *ch, size_t clen, const char *nonce, size_t nlen,
    int64_t petition_id, time_t now)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	const char *dot;
	char mac[23], head[128];
	long long id, ts;
	int bits, n;
	size_t i, hlen;

	if (!pow_enabled())
		return POW_OK;
	if (clen == 0 || nlen == 0 || nlen > 20)
		return POW_MISSING;
	for (i = 0; i < nlen; i++)
		if (nonce[i] < '0' || nonce[i] > '9')
			return POW_BAD;
	if (clen >= sizeof(head) || (dot = memrchr(ch, '.', clen)) == NULL)
		return POW_BAD;
	hlen = (size_t)(dot - ch);
	memcpy(head, ch, hlen);
	head[hlen] = '\0';
	mac_of(head, hlen, mac);
	if (clen - hlen - 1 != strlen(mac) ||
	    sodium_memcmp(mac, dot + 1, strlen(mac)) != 0)
		return POW_BAD;
	if (sscanf(head, "%lld.%lld.%d.%n", &id, &ts, &bits, &n) != 3 ||
	    id != petition_id)
		return POW_BAD;
	if (now - ts > POW_MAX_AGE || ts > now + 60)
		return POW_EXPIRED;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)ch, clen);
	crypto_hash_sha256_update(&st, (const unsigned char *)":", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)nonce, nlen);
	crypto_hash_sha256_final(&st, h);
	if (leading_zero_bits(h, sizeof(h)) < bits)
		return POW_BAD;
	{
		/* The challenge spends, whatever nonce comes with it. */
		unsigned char fp[8];
		uint64_t f;

		crypto_generichash(fp, sizeof(fp), (const unsigned char *)ch,
		    clen, NULL, 0);
		memcpy(&f, fp, sizeof(f));
		if (!spend(f, now))
			return POW_REUSED;
	}
	return POW_OK;
}

static size_t
slot_of(int64_t id)
{
	size_t i, oldest = 0;

	for (i = 0; i < PETITIONS; i++)
		if (recent.p[i].id == id)
			return i;
	for (i = 0; i < PETITIONS; i++) {
		if (recent.p[i].id == 0)
			break;
		if (recent.p[i].computed < recent.p[oldest].computed)
			oldest = i;
	}
	i = i < PETITIONS ? i : oldest;
	memset(&recent.p[i], 0, sizeof(recent.p[i]));
	recent.p[i].id = id;
	return i;
}

void
pow_note(int64_t petition_id, const struct netaddr *client)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i, keep = client->family == AF_INET ? 3 : 6, k;

	for (i = 0; i < keep; i++) {
		h ^= client->bytes[i];
		h *= 1099511628211ULL;
	}
	pthread_mutex_lock(&recent.lock);
	k = slot_of(petition_id);
	recent.p[k].nets[recent.p[k].next] = h;
	recent.p[k].next = (recent.p[k].next + 1) % RECENT;
	if (recent.p[k].n < RECENT)
		recent.p[k].n++;
	pthread_mutex_unlock(&recent.lock);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
pow_bits(int64_t petition_id)
{
	uint64_t sorted[RECENT];
	size_t k, n, i, run = 1, top = 1;
	time_t now = time(NULL);
	int bits;

	if (!pow_enabled())
		return 0;
	pthread_mutex_lock(&recent.lock);
	k = slot_of(petition_id);
	if (recent.p[k].computed == now) {
		bits = recent.p[k].bits;
		pthread_mutex_unlock(&recent.lock);
		return bits;
	}
	n = recent.p[k].n;
	memcpy(sorted, recent.p[k].nets, n * sizeof(sorted[0]));
	/* The share of the busiest network among the last signatures: a
	 * quarter raises the work by half the headroom, half raises it all
	 * the way. */
	qsort(sorted, n, sizeof(sorted[0]), cmp_u64);
	for (i = 1; i < n; i++) {
		run = sorted[i] == sorted[i - 1] ? run + 1 : 1;
		if (run > top)
			top = run;
	}
	bits = base_bits;
	if (n >= 32 && top * 2 >= n)
		bits += extra_bits;
	else if (n >= 32 && top * 4 >= n)
		bits += extra_bits / 2;
	recent.p[k].bits = bits;
	recent.p[k].computed = now;
	pthread_mutex_unlock(&recent.lock);
	return bits;
}
