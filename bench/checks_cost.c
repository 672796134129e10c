/* checks_cost.c - what the fraud checks cost an honest signature on the
 * server, measured in a loop over holos's own code: the four rate-limit
 * buckets, the disposable/allow/block lookup, the form-time check and the
 * proof-of-work verification (hashing, HMAC and the spent-challenge set).
 * Build and run from the repository root with bench/checks.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "guard.h"
#include "netaddr.h"
#include "pow.h"
#include "ratelimit.h"
#include <sodium.h>

#define N 200000
/* Verifying costs one hash whatever the difficulty: solve few, cheaply. */
#define NPOW 50000

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Finds a nonce as static/pow.js does. */
static long
solve(const char *ch, int bits)
{
	unsigned char h[32];
	char buf[512];

	for (long n = 0;; n++) {
		int len = snprintf(buf, sizeof(buf), "%s:%ld", ch, n), z = 0;

		crypto_hash_sha256(h, (unsigned char *)buf, (size_t)len);
		for (int i = 0; i < 32; i++) {
			if (h[i] == 0) {
				z += 8;
				continue;
			}
			for (unsigned m = 0x80; m && !(h[i] & m); m >>= 1)
				z++;
			break;
		}
		if (z >= bits)
			return n;
	}
}

int
main(int argc, char **argv)
{
	static char chs[NPOW][128], nonces[NPOW][24];
	struct rl_rule rules[RL__MAX] = { { 1e9, 1 }, { 1e9, 1 }, { 1e9, 1 },
		{ 1e9, 1 } };
	char dir[] = "/tmp/holos-checks-XXXXXX", err[256], tok[128];
	struct netaddr a;
	double t0, t_rate, t_guard, t_time, t_pow;
	int wait, bits = argc > 1 ? atoi(argv[1]) : 8;
	int64_t shown;
	long i;

	if (mkdtemp(dir) == NULL || crypto_init(dir) == -1 ||
	    guard_load(".", dir, err, sizeof(err)) == -1) {
		fprintf(stderr, "checks_cost: %s\n", err);
		return 1;
	}
	ratelimit_configure(rules);
	pow_configure(bits, 0);
	for (i = 0; i < NPOW; i++) {
		struct buf b;

		buf_init(&b);
		pow_challenge(&b, 1, time(NULL));
		snprintf(chs[i], sizeof(chs[i]), "%s", b.data);
		buf_reset(&b);
	}
	fprintf(stderr, "checks_cost: solving %d challenges of %d bits…\n",
	    NPOW, bits);
	for (i = 0; i < NPOW; i++)
		snprintf(nonces[i], sizeof(nonces[i]), "%ld",
		    solve(chs[i], bits));

	t0 = now_s();
	for (i = 0; i < N; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		netaddr_parse(ip, strlen(ip), &a);
		if (!ratelimit_take(&a, 1, &wait))
			return 1;
	}
	t_rate = (now_s() - t0) / N;
	t0 = now_s();
	for (i = 0; i < N; i++)
		if (guard_check(i & 1 ? "someone@example.org" :
					"x@sub.mailinator.com",
			&a) == GUARD__MAX)
			return 1;
	t_guard = (now_s() - t0) / N;
	{
		struct buf b;

		buf_init(&b);
		crypto_csrf_token(&b, "", time(NULL));
		snprintf(tok, sizeof(tok), "%s", b.data);
		buf_reset(&b);
	}
	t0 = now_s();
	for (i = 0; i < N; i++)
		if (!crypto_csrf_check(tok, strlen(tok), "", time(NULL)) ||
		    crypto_csrf_time(tok, strlen(tok), &shown) != 0)
			return 1;
	t_time = (now_s() - t0) / N;
	t0 = now_s();
	for (i = 0; i < NPOW; i++)
		if (pow_verify(chs[i], strlen(chs[i]), nonces[i],
			strlen(nonces[i]), 1, time(NULL)) != POW_OK)
			return 1;
	t_pow = (now_s() - t0) / NPOW;
	printf("per signature: rate limits %.2f us, lists %.2f us, form token "
	       "and time %.2f us, proof of work (%d bits) %.2f us; all %.2f us\n",
	    t_rate * 1e6, t_guard * 1e6, t_time * 1e6, bits, t_pow * 1e6,
	    (t_rate + t_guard + t_time + t_pow) * 1e6);
	return 0;
}
