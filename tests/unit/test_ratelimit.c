/* test_ratelimit.c - ratelimit.c: token buckets per client, network,
 * petition and site, with the time passed in (take_at), never slept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/ratelimit.c"

/* Rules with only the given scope on: burst per period seconds. */
static void
only(enum rl_scope scope, double burst, double period)
{
	struct rl_rule r[RL__MAX];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < RL__MAX; i++)
		r[i].period = 1;
	r[scope].burst = burst;
	r[scope].period = period;
	ratelimit_configure(r);
}

static struct netaddr
ip(const char *s)
{
	struct netaddr a;

	assert_int_equal(netaddr_parse(s, strlen(s), &a), 0);
	return a;
}

/* One take for client s at second t; retry_after in *retry (may be NULL)
 * when refused. */
static bool
take(const char *s, int64_t petition, double t, int *retry)
{
	struct netaddr a = ip(s);
	int r = -1;
	bool ok = take_at(&a, petition, t, SCOPES_WRITE, &r);

	if (retry != NULL)
		*retry = r;
	if (ok)
		assert_int_equal(r, -1); /* untouched when allowed */
	return ok;
}

static int
setup(void **state)
{
	(void)state;
	ratelimit_free();
	return 0;
}

static void
test_parse(void **state)
{
	static const char *const bad[] = { "", "10", "10/", "/60", "0/60",
		"0.5/60", "-1/60", "10/0", "10/-5", "10/604801", "10/60x",
		"x/60", "1e10/60", "10 /60", "on", "OFF", "nan/60", "10/nan",
		"inf/60", "10/inf" };
	struct rl_rule r;

	(void)state;
	assert_int_equal(ratelimit_parse("10/60", &r), 0);
	assert_true(r.burst == 10 && r.period == 60);
	assert_int_equal(ratelimit_parse("1/0.5", &r), 0);
	assert_true(r.burst == 1 && r.period == 0.5);
	assert_int_equal(ratelimit_parse("1000000000/604800", &r), 0);
	assert_int_equal(ratelimit_parse("off", &r), 0);
	assert_true(r.burst == 0);
	assert_int_equal(ratelimit_parse("0", &r), 0);
	assert_true(r.burst == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.burst = 7;
		if (ratelimit_parse(bad[i], &r) != -1)
			fail_msg("\"%s\" parsed as a rule", bad[i]);
	}
}

static void
test_burst_then_refill(void **state)
{
	int retry;

	(void)state;
	/* One token each 32 s (powers of two keep the sums exact). */
	only(RL_IP, 2, 64);
	assert_true(take("198.51.100.7", 0, 1000, NULL));
	assert_true(take("198.51.100.7", 0, 1000, NULL));
	assert_false(take("198.51.100.7", 0, 1000, &retry));
	assert_int_equal(retry, 32);
	/* 8 s later a quarter of a token is back: 24 s to wait. */
	assert_false(take("198.51.100.7", 0, 1008, &retry));
	assert_int_equal(retry, 24);
	/* Whole seconds, rounded up: never too early. */
	assert_false(take("198.51.100.7", 0, 1031.5, &retry));
	assert_int_equal(retry, 1);
	assert_true(take("198.51.100.7", 0, 1032, NULL));
	assert_false(take("198.51.100.7", 0, 1032, &retry));
	assert_int_equal(retry, 32);
}

static void
test_refill_capped_at_burst(void **state)
{
	(void)state;
	only(RL_IP, 3, 60);
	assert_true(take("198.51.100.7", 0, 0, NULL));
	/* A day idle refills the bucket, to its burst and no further. */
	for (int i = 0; i < 3; i++)
		assert_true(take("198.51.100.7", 0, 86400, NULL));
	assert_false(take("198.51.100.7", 0, 86400, NULL));
}

static void
test_refused_takes_nothing(void **state)
{
	struct rl_rule r[RL__MAX] = {
		[RL_IP] = { 2, 4096 },
		[RL_NET] = { 0, 1 },
		[RL_PETITION] = { 0, 1 },
		[RL_SITE] = { 1, 1 },
	};
	int retry;

	(void)state;
	ratelimit_configure(r);
	assert_true(take("198.51.100.7", 0, 0, NULL));
	/* The site bucket refuses: the client's bucket keeps its token. */
	assert_false(take("198.51.100.7", 0, 0, &retry));
	assert_int_equal(retry, 1);
	assert_false(take("198.51.100.7", 0, 0.5, NULL));
	assert_true(take("198.51.100.7", 0, 1, NULL));
	/* Now the client's own bucket is the one that is empty. */
	assert_false(take("198.51.100.7", 0, 2, &retry));
	assert_int_equal(retry, 2046);
}

static void
test_retry_is_the_longest_wait(void **state)
{
	struct rl_rule r[RL__MAX] = {
		[RL_IP] = { 1, 16 },
		[RL_NET] = { 1, 128 },
		[RL_PETITION] = { 1, 1024 },
		[RL_SITE] = { 0, 1 },
	};
	int retry;

	(void)state;
	ratelimit_configure(r);
	assert_true(take("198.51.100.7", 5, 0, NULL));
	assert_false(take("198.51.100.7", 5, 0, &retry));
	assert_int_equal(retry, 1024);
}

static void
test_network_scope(void **state)
{
	(void)state;
	only(RL_NET, 2, 3600);
	/* One /24 shares a bucket, */
	assert_true(take("203.0.113.1", 0, 0, NULL));
	assert_true(take("203.0.113.200", 0, 0, NULL));
	assert_false(take("203.0.113.77", 0, 0, NULL));
	/* the next /24 has its own, */
	assert_true(take("203.0.114.1", 0, 0, NULL));
	/* an IPv4 client over IPv6 is the same client, */
	assert_false(take("::ffff:203.0.113.9", 0, 0, NULL));
	/* and IPv6 goes by /48. */
	assert_true(take("2001:db8:1:1::1", 0, 0, NULL));
	assert_true(take("2001:db8:1:ffff::2", 0, 0, NULL));
	assert_false(take("2001:db8:1::3", 0, 0, NULL));
	assert_true(take("2001:db8:2::1", 0, 0, NULL));
}

/* The API's reads have buckets of their own: per address and per network,
 * apart from the state-changing requests'. */
static void
test_api_scopes(void **state)
{
	struct rl_rule r[RL__MAX];
	struct netaddr a = ip("203.0.113.1"), b = ip("203.0.113.2"),
		       c = ip("198.51.100.1");
	int retry = -1;

	(void)state;
	memset(r, 0, sizeof(r));
	for (int i = 0; i < RL__MAX; i++)
		r[i].period = 1;
	r[RL_IP] = (struct rl_rule){ 1, 60 };
	r[RL_API_IP] = (struct rl_rule){ 2, 60 };
	r[RL_API_NET] = (struct rl_rule){ 3, 60 };
	ratelimit_configure(r);
	assert_true(take_at(&a, 0, 0, SCOPES_API, &retry));
	assert_true(take_at(&a, 0, 0, SCOPES_API, &retry));
	assert_false(take_at(&a, 0, 0, SCOPES_API, &retry));
	assert_int_equal(retry, 30); /* 2 a minute: one in 30 s */
	/* The address's write bucket is untouched, and a write takes
	 * nothing from the API's. */
	assert_true(take_at(&a, 0, 0, SCOPES_WRITE, &retry));
	assert_false(take_at(&a, 0, 0, SCOPES_WRITE, &retry));
	/* Another address of the network: its own bucket, the network's
	 * last token. */
	assert_true(take_at(&b, 0, 0, SCOPES_API, &retry));
	assert_false(take_at(&b, 0, 0, SCOPES_API, &retry));
	assert_int_equal(retry, 20); /* the network's: 3 a minute */
	/* Another network is not touched. */
	assert_true(take_at(&c, 0, 0, SCOPES_API, &retry));
	/* Refilled in time. */
	assert_true(take_at(&a, 0, 30, SCOPES_API, &retry));
}

static void
test_client_scope(void **state)
{
	(void)state;
	only(RL_IP, 1, 3600);
	assert_true(take("203.0.113.1", 0, 0, NULL));
	assert_false(take("203.0.113.1", 0, 0, NULL));
	assert_true(take("203.0.113.2", 0, 0, NULL));
	assert_true(take("2001:db8::1", 0, 0, NULL));
	assert_false(take("2001:db8::1", 0, 0, NULL));
	assert_true(take("2001:db8::2", 0, 0, NULL));
}

static void
test_petition_scope(void **state)
{
	(void)state;
	only(RL_PETITION, 2, 3600);
	assert_true(take("203.0.113.1", 7, 0, NULL));
	assert_true(take("198.51.100.1", 7, 0, NULL));
	assert_false(take("192.0.2.1", 7, 0, NULL));
	assert_true(take("192.0.2.1", 8, 0, NULL));
	/* Requests for no petition have no petition bucket. */
	for (int i = 0; i < 10; i++)
		assert_true(take("192.0.2.1", 0, 0, NULL));
}

static void
test_site_scope(void **state)
{
	(void)state;
	only(RL_SITE, 3, 3600);
	assert_true(take("203.0.113.1", 1, 0, NULL));
	assert_true(take("2001:db8::1", 2, 0, NULL));
	assert_true(take("198.51.100.1", 0, 0, NULL));
	assert_false(take("192.0.2.1", 3, 0, NULL));
}

static void
test_off(void **state)
{
	struct rl_rule r[RL__MAX];

	(void)state;
	for (int i = 0; i < RL__MAX; i++)
		assert_int_equal(ratelimit_parse("off", &r[i]), 0);
	ratelimit_configure(r);
	for (int i = 0; i < 1000; i++)
		assert_true(take("203.0.113.1", 1, 0, NULL));
	/* No bucket was even made. */
	for (size_t i = 0; i < TABLE_SIZE; i++)
		assert_int_equal(table[i].key, 0);
}

static void
test_clock_behind_takes_nothing(void **state)
{
	(void)state;
	only(RL_IP, 2, 64);
	/* A thread that read the clock before another but locked the
	 * bucket after it: the moment between them is no reason to take
	 * more than its one token. */
	assert_true(take("198.51.100.7", 0, 100, NULL));
	assert_true(take("198.51.100.7", 0, 99, NULL));
	assert_false(take("198.51.100.7", 0, 100, NULL));
	assert_true(take("198.51.100.7", 0, 132, NULL));
}

/* The bucket slot a client's own (RL_IP) key starts probing at. */
static size_t
home_slot(const struct netaddr *a)
{
	return (size_t)(key_hash(RL_IP, a, sizeof(*a)) & (TABLE_SIZE - 1));
}

static void
test_eviction_takes_the_oldest(void **state)
{
	struct netaddr c[PROBE + 1];
	size_t n = 0;
	int retry;

	(void)state;
	only(RL_IP, 1, 3600);
	/* PROBE + 1 clients (10.x.y.z) whose buckets all start at one
	 * slot. */
	c[n++] = ip("10.0.0.1");
	for (uint32_t i = 2; n < PROBE + 1 && i < (1u << 24); i++) {
		c[n] = c[0];
		c[n].bytes[1] = (uint8_t)(i >> 16);
		c[n].bytes[2] = (uint8_t)(i >> 8);
		c[n].bytes[3] = (uint8_t)i;
		if (home_slot(&c[n]) == home_slot(&c[0]))
			n++;
	}
	assert_int_equal(n, PROBE + 1);
	/* Each takes its one token, the first longest ago. */
	for (size_t i = 0; i < PROBE; i++)
		assert_true(take_at(&c[i], 0, (double)i, SCOPES_WRITE, &retry));
	assert_false(take_at(&c[0], 0, 10, SCOPES_WRITE, &retry));
	assert_false(take_at(&c[1], 0, 11, SCOPES_WRITE, &retry));
	/* One more client: the oldest bucket (now c[2]'s) gives way, and
	 * only it. */
	assert_true(take_at(&c[PROBE], 0, 12, SCOPES_WRITE, &retry));
	assert_true(take_at(&c[2], 0, 13, SCOPES_WRITE, &retry));
	for (size_t i = 0; i < PROBE + 1; i++)
		if (i != 3) /* c[2] came back in c[3]'s place */
			assert_false(
			    take_at(&c[i], 0, 14, SCOPES_WRITE, &retry));
}

static void
test_table_bounded_under_many_keys(void **state)
{
	struct netaddr first = ip("2001:db8::1"), a;
	size_t used = 0;
	int retry;

	(void)state;
	only(RL_IP, 1, 3600);
	assert_true(take_at(&first, 0, 0, SCOPES_WRITE, &retry));
	assert_false(take_at(&first, 0, 0, SCOPES_WRITE, &retry));
	/* Four tables' worth of new clients, a distinct address each, as a
	 * spoofed flood would send: each is allowed (a new bucket starts
	 * full) and memory stays the one table. */
	a = first;
	for (uint32_t i = 1; i <= 4 * TABLE_SIZE; i++) {
		memcpy(a.bytes + 12, &i, sizeof(i));
		if (!take_at(&a, 0, 1 + (double)i / TABLE_SIZE, SCOPES_WRITE,
			&retry))
			fail_msg("client %u refused", (unsigned)i);
	}
	for (size_t i = 0; i < TABLE_SIZE; i++)
		used += table[i].key != 0;
	assert_true(used > TABLE_SIZE * 9 / 10);
	assert_true(used <= TABLE_SIZE);
	/* The first client's bucket, the oldest, gave way: the price of a
	 * bounded table is a fresh burst for whoever is forgotten. */
	assert_true(take_at(&first, 0, 10, SCOPES_WRITE, &retry));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse, setup),
		cmocka_unit_test_setup(test_burst_then_refill, setup),
		cmocka_unit_test_setup(test_refill_capped_at_burst, setup),
		cmocka_unit_test_setup(test_refused_takes_nothing, setup),
		cmocka_unit_test_setup(test_retry_is_the_longest_wait, setup),
		cmocka_unit_test_setup(test_network_scope, setup),
		cmocka_unit_test_setup(test_api_scopes, setup),
		cmocka_unit_test_setup(test_client_scope, setup),
		cmocka_unit_test_setup(test_petition_scope, setup),
		cmocka_unit_test_setup(test_site_scope, setup),
		cmocka_unit_test_setup(test_off, setup),
		cmocka_unit_test_setup(test_clock_behind_takes_nothing, setup),
		cmocka_unit_test_setup(test_eviction_takes_the_oldest, setup),
		cmocka_unit_test_setup(test_table_bounded_under_many_keys,
		    setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
