/* e2e_pow.c - end-to-end tests of the sign form's proof of work: a solved
 * challenge counts at once, a missing or reused one waits for email, the
 * work grows when one network signs in a burst, and the challenge comes
 * apart from the page, which is the same for every reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "harness.h"

static struct server *srv;

static int
zero_bits(const unsigned char *h)
{
	int z = 0;
	for (int i = 0; i < 32; i++) {
		if (h[i] == 0) {
			z += 8;
			continue;
		}
		for (unsigned m = 0x80; m && !(h[i] & m); m >>= 1)
			z++;
		break;
	}
	return z;
}

/* Finds a nonce the way static/pow.js does. */
static long
solve(const char *challenge)
{
	int bits = atoi(strchr(strchr(challenge, '.') + 1, '.') + 1);
	char buf[512];
	unsigned char h[32];

	for (long n = 0; n < 100000000L; n++) {
		int len = snprintf(buf, sizeof buf, "%s:%ld", challenge, n);
		crypto_hash_sha256(h, (unsigned char *)buf, (size_t)len);
		if (zero_bits(h) >= bits)
			return n;
	}
	return -1;
}

/* A nonce that does not solve challenge (checked, not assumed). */
static long
wrong_nonce(const char *challenge)
{
	int bits = atoi(strchr(strchr(challenge, '.') + 1, '.') + 1);
	char buf[512];
	unsigned char h[32];

	for (long n = 1;; n++) {
		int len = snprintf(buf, sizeof buf, "%s:%ld", challenge, n);
		crypto_hash_sha256(h, (unsigned char *)buf, (size_t)len);
		if (zero_bits(h) < bits)
			return n;
	}
}

/* A challenge as pow.c writes it: ID.TIME.BITS.RANDOM.MAC. */
static bool
challenge_shaped(const char *s)
{
	int id, t, bits, end = 0;
	char rnd[17], mac[23];

	return sscanf(s, "%d.%d.%d.%16[0-9a-f].%22[A-Za-z0-9_-]%n", &id, &t,
		   &bits, rnd, mac, &end) == 5 &&
	    s[end] == '\0';
}

/* GETs the page as a browser from addr would, then the challenge its form
 * asks for when touched (static/pow.js); returns the challenge and the
 * form token (both malloc'd). */
static void
fetch_form(const char *addr, char **challenge, char **csrf)
{
	struct client *c = client_new(srv);
	char xff[96];
	snprintf(xff, sizeof xff, "X-Forwarded-For: %s", addr);
	const char *h[] = { xff, NULL };
	struct resp r;
	client_get_headers(c, "/p/" SEED_SLUG, h, &r);
	assert_int_equal(r.status, 200);
	/* The page holds no challenge, only where to ask for one. */
	char *inline_pow = html_hidden(r.body.data, "pow");
	assert_string_equal(inline_pow, "");
	free(inline_pow);
	assert_non_null(
	    strstr(r.body.data, "data-src=\"/p/" SEED_SLUG "/pow\""));
	*csrf = html_hidden(r.body.data, "csrf");
	assert_non_null(*csrf);
	resp_free(&r);
	client_get_headers(c, "/p/" SEED_SLUG "/pow", h, &r);
	assert_int_equal(r.status, 200);
	*challenge = strdup(r.body.data);
	assert_true(challenge_shaped(*challenge));
	resp_free(&r);
	client_free(c);
}

static long
sign(const char *addr, const char *email, const char *csrf, const char *pow,
    const char *nonce)
{
	struct signer s = signer_default(email);
	struct hbuf pw = { 0 };
	char xff[96];

	if (pow != NULL) {
		form_add(&pw, "pow", pow);
		form_add(&pw, "pow_nonce", nonce);
		s.extra = pw.data;
	}
	snprintf(xff, sizeof xff, "X-Forwarded-For: %s", addr);
	long st = sign_with_header(srv, SEED_SLUG, &s, csrf, xff);
	hbuf_free(&pw);
	return st;
}

static void
test_solved_counts_missing_waits(void **state)
{
	(void)state;
	char *ch, *csrf, nonce[32];
	long before = petition_count(srv, SEED_SLUG);

	fetch_form("100.80.1.1", &ch, &csrf);
	long n = solve(ch);
	assert_true(n >= 0);
	snprintf(nonce, sizeof nonce, "%ld", n);
	assert_int_equal(sign("100.80.1.1", "solved@example.org", csrf, ch,
			     nonce),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	/* The same challenge again: accepted, but it waits for email. */
	assert_int_equal(sign("100.80.1.2", "reused@example.org", csrf, ch,
			     nonce),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	/* No proof (no JavaScript): likewise. */
	assert_int_equal(sign("100.80.1.3", "nojs@example.org", csrf, NULL,
			     NULL),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	/* A wrong nonce: likewise. */
	free(ch);
	free(csrf);
	fetch_form("100.80.1.4", &ch, &csrf);
	snprintf(nonce, sizeof nonce, "%ld", wrong_nonce(ch));
	assert_int_equal(sign("100.80.1.4", "wrong@example.org", csrf, ch,
			     nonce),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	free(ch);
	free(csrf);
}

static void
test_burst_raises_the_work(void **state)
{
	(void)state;
	char *ch, *csrf, email[64];

	fetch_form("100.81.1.1", &ch, &csrf);
	int before = atoi(strchr(strchr(ch, '.') + 1, '.') + 1);
	assert_int_equal(before, 8);
	free(ch);
	/* One network signs in a burst. */
	for (int i = 0; i < 40; i++) {
		snprintf(email, sizeof email, "burst%d@example.org", i);
		assert_int_equal(sign("198.18.5.9", email, csrf, NULL, NULL),
		    303);
	}
	free(csrf);
	/* Within a second the page asks more of everyone. */
	long long end = now_ms() + 3000;
	int after = before;
	while (after <= before && now_ms() < end) {
		fetch_form("100.81.1.2", &ch, &csrf);
		after = atoi(strchr(strchr(ch, '.') + 1, '.') + 1);
		free(ch);
		free(csrf);
	}
	assert_true(after >= before + 4);
}

/* The page is the same bytes for every reader; each ask for a challenge
 * gets a new one, never cached; a challenge is only for a petition. */
static void
test_challenge_apart_from_page(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp a, b;
	int same = 0;

	/* Two readers from two networks, within one second (the live
	 * values change by the second): a few tries for a second's edge. */
	for (int i = 0; i < 5 && !same; i++) {
		const char *ha[] = { "X-Forwarded-For: 100.82.1.1", NULL };
		const char *hb[] = { "X-Forwarded-For: 100.83.1.1", NULL };
		client_get_headers(c, "/p/" SEED_SLUG, ha, &a);
		client_get_headers(c, "/p/" SEED_SLUG, hb, &b);
		assert_int_equal(a.status, 200);
		assert_int_equal(b.status, 200);
		same = a.body.len == b.body.len &&
		    memcmp(a.body.data, b.body.data, a.body.len) == 0;
		resp_free(&a);
		resp_free(&b);
	}
	assert_true(same);

	client_get(c, "/p/" SEED_SLUG "/pow", &a);
	client_get(c, "/p/" SEED_SLUG "/pow", &b);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.status, 200);
	assert_true(challenge_shaped(a.body.data));
	assert_true(challenge_shaped(b.body.data));
	assert_string_not_equal(a.body.data, b.body.data);
	char *cc = resp_header(&a, "Cache-Control");
	assert_string_equal(cc, "no-store");
	free(cc);
	char *ct = resp_header(&a, "Content-Type");
	assert_non_null(strstr(ct, "text/plain"));
	free(ct);
	resp_free(&a);
	resp_free(&b);

	/* No petition, no challenge: unknown, malformed or oversized slugs
	 * and bytes that are not UTF-8 get a 404, never a challenge. */
	static const char *const bad[] = { "/p/no-such-petition/pow",
		"/p/%FF%FE/pow", "/p/../pow", "/p//pow",
		"/p/" SEED_SLUG "/pow/x", NULL };
	for (size_t i = 0; bad[i] != NULL; i++) {
		client_get(c, bad[i], &a);
		assert_int_equal(a.status, 404);
		assert_false(challenge_shaped(a.body.data));
		resp_free(&a);
	}
	struct hbuf longp = { 0 };
	hbuf_puts(&longp, "/p/");
	for (int i = 0; i < 3000; i++)
		hbuf_puts(&longp, "a");
	hbuf_puts(&longp, "/pow");
	client_get(c, longp.data, &a);
	assert_true(a.status == 404 || a.status == 414);
	resp_free(&a);
	hbuf_free(&longp);
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_solved_counts_missing_waits),
		cmocka_unit_test(test_burst_raises_the_work),
		cmocka_unit_test(test_challenge_apart_from_page),
	};
	static const char *const args[] = { COUNT_ON_SIGN, "--pow-bits", "8",
		"--trusted-proxy", "127.0.0.1", NULL };

	if (sodium_init() < 0)
		return 1;
	server_group(&srv, args, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
