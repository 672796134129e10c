/* test_netaddr.c - netaddr.c: addresses, CIDR ranges, client networks and
 * the client behind trusted proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/netaddr.c"

/* Parses s, which must be an address. */
static struct netaddr
addr(const char *s)
{
	struct netaddr a;

	assert_int_equal(netaddr_parse(s, strlen(s), &a), 0);
	return a;
}

static struct cidr
range(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(s, &c), 0);
	return c;
}

/* a as text. */
static const char *
text(const struct netaddr *a)
{
	static char out[INET6_ADDRSTRLEN];

	netaddr_format(a, out, sizeof(out));
	return out;
}

static void
test_ipv4(void **state)
{
	static const uint8_t want[4] = { 203, 0, 113, 7 };
	struct netaddr a = addr("203.0.113.7");

	(void)state;
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.bytes, want, 4);
	/* The rest is zero, so equal addresses compare equal as bytes. */
	for (size_t i = 4; i < sizeof(a.bytes); i++)
		assert_int_equal(a.bytes[i], 0);
	assert_string_equal(text(&a), "203.0.113.7");
	a = addr("0.0.0.0");
	assert_string_equal(text(&a), "0.0.0.0");
	a = addr("255.255.255.255");
	assert_string_equal(text(&a), "255.255.255.255");
	a = addr("9.10.99.100");
	assert_string_equal(text(&a), "9.10.99.100");
	/* Too small a buffer for the fast path: inet_ntop() says "-". */
	char small[8];
	netaddr_format(&a, small, sizeof(small));
	assert_string_equal(small, "-");
}

static void
test_ipv6(void **state)
{
	struct netaddr a = addr("2001:db8::1");

	(void)state;
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.bytes[0], 0x20);
	assert_int_equal(a.bytes[1], 0x01);
	assert_int_equal(a.bytes[2], 0x0d);
	assert_int_equal(a.bytes[3], 0xb8);
	assert_int_equal(a.bytes[15], 1);
	assert_string_equal(text(&a), "2001:db8::1");
	/* The long form is the same address, shown short. */
	a = addr("2001:0db8:0000:0000:0000:0000:0000:0001");
	assert_string_equal(text(&a), "2001:db8::1");
	a = addr("::1");
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(text(&a), "::1");
	a = addr("::");
	assert_string_equal(text(&a), "::");
	a = addr("FE80::ABCD");
	assert_string_equal(text(&a), "fe80::abcd");
}

static void
test_mapped_is_ipv4(void **state)
{
	struct netaddr a = addr("::ffff:192.0.2.1");
	struct netaddr b = addr("192.0.2.1");

	(void)state;
	/* A dual-stack socket shows IPv4 clients this way: they must get
	 * the same buckets and networks as over IPv4. */
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(&a, &b, sizeof(a));
	a = addr("::ffff:c000:0201");
	assert_memory_equal(&a, &b, sizeof(a));
	/* Only ::ffff:0:0/96 is IPv4: the old compatible form is not. */
	a = addr("::192.0.2.1");
	assert_int_equal(a.family, AF_INET6);
}

static void
test_only_len_bytes(void **state)
{
	const char *s = "198.51.100.23, 10.0.0.1";
	struct netaddr a;

	(void)state;
	/* The length bounds the text: a list can be parsed in place. */
	assert_int_equal(netaddr_parse(s, 13, &a), 0);
	assert_string_equal(text(&a), "198.51.100.23");
	assert_int_equal(netaddr_parse(s + 15, 8, &a), 0);
	assert_string_equal(text(&a), "10.0.0.1");
	assert_int_equal(netaddr_parse(s, 14, &a), -1); /* the comma */
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"1.2.3",
		"1.2.3.4.5",
		"1.2.3.256",
		"1.2.3.-1",
		"256.0.0.1",
		" 1.2.3.4",
		"1.2.3.4 ",
		"1.2.3.4/24",
		"1.2.3.4:80",
		"[2001:db8::1]",
		"2001:db8::1::2",
		"2001:db8:::1",
		"gggg::1",
		"1:2:3:4:5:6:7:8:9",
		"fe80::1%eth0",
		"localhost",
		"0x7f.0.0.1",
		"::ffff:1.2.3.256",
		"unknown",
	};
	char longer[128];
	struct netaddr a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (netaddr_parse(bad[i], strlen(bad[i]), &a) != -1)
			fail_msg("\"%s\" parsed as an address", bad[i]);
	}
	/* Nothing longer than the longest address is even looked at. */
	memset(longer, '1', sizeof(longer));
	assert_int_equal(netaddr_parse(longer, sizeof(longer), &a), -1);
	snprintf(longer, sizeof(longer), "%s",
	    "0000:0000:0000:0000:0000:ffff:255.255.255.255x");
	assert_int_equal(netaddr_parse(longer, strlen(longer), &a), -1);
	assert_int_equal(netaddr_parse("1.2.3.4", 0, &a), -1);
}

static void
test_cidr_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/8x",
		"10.0.0.0/8/8",
		"10.0.0/8",
		"2001:db8::/129",
		"2001:db8::/",
		"example.org/24",
	};
	struct cidr c;

	(void)state;
	c = range("10.0.0.0/8");
	assert_int_equal(c.addr.family, AF_INET);
	assert_int_equal(c.bits, 8);
	/* A bare address is a range of one. */
	assert_int_equal(range("192.0.2.1").bits, 32);
	assert_int_equal(range("2001:db8::1").bits, 128);
	assert_int_equal(range("0.0.0.0/0").bits, 0);
	assert_int_equal(range("::/0").bits, 0);
	assert_int_equal(range("2001:db8::/32").bits, 32);
	assert_int_equal(range("2001:db8::/128").bits, 128);
	/* A mapped range is an IPv4 range: its bits count from 32. */
	c = range("::ffff:10.0.0.0/8");
	assert_int_equal(c.addr.family, AF_INET);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("\"%s\" parsed as a range", bad[i]);
	}
}

/* A list of ranges holds an address when one of them does; none when the
 * list is empty (NULL). */
static void
test_cidr_any(void **state)
{
	struct cidr v[3];
	struct netaddr a;

	(void)state;
	v[0] = range("10.0.0.0/8");
	v[1] = range("2001:db8::/32");
	v[2] = range("192.168.16.0/20");
	a = addr("192.168.20.1");
	assert_true(cidr_any(v, 3, &a));
	assert_false(cidr_any(v, 2, &a));
	a = addr("2001:db8::1");
	assert_true(cidr_any(v, 3, &a));
	assert_false(cidr_any(v, 1, &a));
	a = addr("172.16.0.1");
	assert_false(cidr_any(v, 3, &a));
	assert_false(cidr_any(NULL, 0, &a));
}

static void
test_cidr_contains(void **state)
{
	struct cidr c;
	struct netaddr a;

	(void)state;
	c = range("10.0.0.0/8");
	a = addr("10.255.1.2");
	assert_true(cidr_contains(&c, &a));
	a = addr("11.0.0.1");
	assert_false(cidr_contains(&c, &a));
	a = addr("9.255.255.255");
	assert_false(cidr_contains(&c, &a));

	/* A prefix that ends inside a byte. */
	c = range("192.168.16.0/20");
	a = addr("192.168.31.255");
	assert_true(cidr_contains(&c, &a));
	a = addr("192.168.16.0");
	assert_true(cidr_contains(&c, &a));
	a = addr("192.168.32.0");
	assert_false(cidr_contains(&c, &a));
	a = addr("192.168.15.255");
	assert_false(cidr_contains(&c, &a));

	/* Host bits in the range itself do not matter. */
	c = range("10.1.2.3/8");
	a = addr("10.9.9.9");
	assert_true(cidr_contains(&c, &a));

	/* /32 and /0. */
	c = range("203.0.113.7");
	a = addr("203.0.113.7");
	assert_true(cidr_contains(&c, &a));
	a = addr("203.0.113.8");
	assert_false(cidr_contains(&c, &a));
	c = range("0.0.0.0/0");
	a = addr("198.51.100.1");
	assert_true(cidr_contains(&c, &a));

	/* IPv6, and never across families. */
	c = range("2001:db8:abcd::/48");
	a = addr("2001:db8:abcd:ffff::1");
	assert_true(cidr_contains(&c, &a));
	a = addr("2001:db8:abce::1");
	assert_false(cidr_contains(&c, &a));
	c = range("2001:db8::/33");
	a = addr("2001:db8:7fff::1");
	assert_true(cidr_contains(&c, &a));
	a = addr("2001:db8:8000::1");
	assert_false(cidr_contains(&c, &a));
	c = range("::/0");
	a = addr("10.0.0.1");
	assert_false(cidr_contains(&c, &a));
	c = range("0.0.0.0/0");
	a = addr("::1");
	assert_false(cidr_contains(&c, &a));
	/* A mapped client is in an IPv4 range. */
	c = range("192.0.2.0/24");
	a = addr("::ffff:192.0.2.77");
	assert_true(cidr_contains(&c, &a));
}

static void
test_network(void **state)
{
	char out[64];
	struct netaddr a;

	(void)state;
	a = addr("203.0.113.77");
	netaddr_network(&a, out, sizeof(out));
	assert_string_equal(out, "203.0.113.0/24");
	a = addr("2001:db8:1:2:3:4:5:6");
	netaddr_network(&a, out, sizeof(out));
	assert_string_equal(out, "2001:db8:1::/48");
	a = addr("::ffff:198.51.100.9");
	netaddr_network(&a, out, sizeof(out));
	assert_string_equal(out, "198.51.100.0/24");
	/* The address itself is left as it was. */
	assert_string_equal(text(&a), "198.51.100.9");
	/* A short buffer gets a cut, terminated string. */
	a = addr("203.0.113.77");
	netaddr_network(&a, out, 8);
	assert_string_equal(out, "203.0.1");
}

/* The client netaddr_forwarded() finds for peer and xff with the trusted
 * ranges listed in trust (comma-separated, may be ""). */
static const char *
forwarded(const char *peer, const char *xff, const char *trust)
{
	struct cidr t[8];
	size_t n = 0;
	char list[256], *save = NULL;
	struct netaddr a = addr(peer);

	snprintf(list, sizeof(list), "%s", trust);
	for (char *p = strtok_r(list, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save))
		t[n++] = range(p);
	netaddr_forwarded(&a, xff, t, n);
	return text(&a);
}

static void
test_forwarded_untrusted_peer(void **state)
{
	(void)state;
	/* Without trusted proxies, or from a peer that is not one, the
	 * header is the client's to forge and is ignored. */
	assert_string_equal(forwarded("198.51.100.7", "1.1.1.1", ""),
	    "198.51.100.7");
	assert_string_equal(forwarded("198.51.100.7", "1.1.1.1", "10.0.0.0/8"),
	    "198.51.100.7");
	assert_string_equal(forwarded("10.0.0.2", NULL, "10.0.0.0/8"),
	    "10.0.0.2");
}

static void
test_forwarded_rightmost_untrusted(void **state)
{
	(void)state;
	assert_string_equal(forwarded("10.0.0.2", "198.51.100.7", "10.0.0.0/8"),
	    "198.51.100.7");
	/* Entries left of the first untrusted hop are forgeable. */
	assert_string_equal(forwarded("10.0.0.2",
				"1.1.1.1, 198.51.100.7, 10.0.0.9", "10.0.0.0/8"),
	    "198.51.100.7");
	assert_string_equal(forwarded("10.0.0.2", "1.1.1.1,198.51.100.7",
				"10.0.0.0/8"),
	    "198.51.100.7");
	/* Two layers of proxies, each trusted. */
	assert_string_equal(forwarded("10.0.0.2",
				"203.0.113.5, 172.16.0.4, 10.0.0.3",
				"10.0.0.0/8,172.16.0.0/12"),
	    "203.0.113.5");
	/* Every hop trusted: the leftmost is the client. */
	assert_string_equal(forwarded("10.0.0.2", "10.0.0.4, 10.0.0.3",
				"10.0.0.0/8"),
	    "10.0.0.4");
}

static void
test_forwarded_spaces_and_families(void **state)
{
	(void)state;
	assert_string_equal(forwarded("10.0.0.2", " \t198.51.100.7 \t",
				"10.0.0.0/8"),
	    "198.51.100.7");
	assert_string_equal(forwarded("::1", "2001:db8::7", "::1"),
	    "2001:db8::7");
	assert_string_equal(forwarded("10.0.0.2", "::ffff:198.51.100.7",
				"10.0.0.0/8"),
	    "198.51.100.7");
	assert_string_equal(forwarded("::ffff:10.0.0.2", "2001:db8::7",
				"10.0.0.0/8"),
	    "2001:db8::7");
}

static void
test_forwarded_garbage(void **state)
{
	(void)state;
	/* Garbage ends the walk at the last good hop: the proxy itself when
	 * the proxy's own entry is garbage, */
	assert_string_equal(forwarded("10.0.0.2", "198.51.100.7, unknown",
				"10.0.0.0/8"),
	    "10.0.0.2");
	assert_string_equal(forwarded("10.0.0.2", "198.51.100.7:4711",
				"10.0.0.0/8"),
	    "10.0.0.2");
	/* else the last trusted hop read. */
	assert_string_equal(forwarded("10.0.0.2", "garbage, 10.0.0.5",
				"10.0.0.0/8"),
	    "10.0.0.5");
	assert_string_equal(forwarded("10.0.0.2", "", "10.0.0.0/8"), "10.0.0.2");
	assert_string_equal(forwarded("10.0.0.2", ",", "10.0.0.0/8"),
	    "10.0.0.2");
	assert_string_equal(forwarded("10.0.0.2", "198.51.100.7,", "10.0.0.0/8"),
	    "10.0.0.2");
	assert_string_equal(forwarded("10.0.0.2", ",198.51.100.7", "10.0.0.0/8"),
	    "198.51.100.7");
	assert_string_equal(forwarded("10.0.0.2", "   ", "10.0.0.0/8"),
	    "10.0.0.2");
}

static void
test_forwarded_long_header(void **state)
{
	struct cidr t = range("10.0.0.0/8");
	struct netaddr a = addr("10.0.0.2");
	size_t n = 0, cap = 200000;
	char *xff = malloc(cap);

	(void)state;
	assert_non_null(xff);
	/* Thousands of forged entries, then the real client and the
	 * trusted hops: read from the right, in one pass. */
	while (n + 16 < cap / 2)
		n += (size_t)sprintf(xff + n, "1.2.3.%zu, ", n % 250);
	n += (size_t)sprintf(xff + n, "198.51.100.7");
	while (n + 16 < cap)
		n += (size_t)sprintf(xff + n, ", 10.%zu.0.1", n % 250);
	netaddr_forwarded(&a, xff, &t, 1);
	assert_string_equal(text(&a), "198.51.100.7");
	free(xff);
}

/* --metrics-allow's lists: replaced whole, "none" empty, every entry
 * checked, a bad list leaving the old one. */
static void
test_cidr_set(void **state)
{
	(void)state;
	struct cidr_set set = { .n = 0 };
	struct netaddr a;
	char many[64 * 40] = "";

	assert_int_equal(cidr_set_parse("127.0.0.1/32,::1/128", &set), 0);
	assert_int_equal(set.n, 2);
	a = addr("127.0.0.1");
	assert_true(cidr_set_contains(&set, &a));
	a = addr("::1");
	assert_true(cidr_set_contains(&set, &a));
	a = addr("127.0.0.2");
	assert_false(cidr_set_contains(&set, &a));
	assert_int_equal(cidr_set_parse("10.0.0.0/8", &set), 0);
	assert_int_equal(set.n, 1);
	a = addr("10.9.8.7");
	assert_true(cidr_set_contains(&set, &a));
	static const char *const bad[] = { "", ",", "10.0.0.0/8,",
		",10.0.0.0/8", "10.0.0.0/8,,::1", "10.0.0.0/33", "10.0.0.0/8 ",
		"host", "none,10.0.0.0/8",
		"1111111111111111111111111111111111111111111111111111111111111111"
		"1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cidr_set_parse(bad[i], &set), -1);
		assert_int_equal(set.n, 1); /* left alone */
	}
	for (int i = 0; i < CIDR_SET_MAX + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "%s10.0.%d.0/24", i ? "," : "", i);
	assert_int_equal(cidr_set_parse(many, &set), -1);
	*strrchr(many, ',') = '\0';
	assert_int_equal(cidr_set_parse(many, &set), 0);
	assert_int_equal(set.n, CIDR_SET_MAX);
	assert_int_equal(cidr_set_parse("none", &set), 0);
	assert_int_equal(set.n, 0);
	a = addr("127.0.0.1");
	assert_false(cidr_set_contains(&set, &a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_mapped_is_ipv4),
		cmocka_unit_test(test_only_len_bytes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_cidr_any),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_forwarded_untrusted_peer),
		cmocka_unit_test(test_forwarded_rightmost_untrusted),
		cmocka_unit_test(test_forwarded_spaces_and_families),
		cmocka_unit_test(test_forwarded_garbage),
		cmocka_unit_test(test_forwarded_long_header),
		cmocka_unit_test(test_cidr_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
