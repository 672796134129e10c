/* e2e_pow.c - end-to-end tests of the sign form's proof of work: a solved
 * challenge counts at once, a missing or reused one waits for email, and
 * the work grows when one network signs in a burst. */
#include <setjmp.h>
#include <stdarg.h>
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

/* GETs the page as a browser from addr would; returns its challenge and
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
	*challenge = html_hidden(r.body.data, "pow");
	*csrf = html_hidden(r.body.data, "csrf");
	assert_non_null(*challenge);
	assert_non_null(*csrf);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_solved_counts_missing_waits),
		cmocka_unit_test(test_burst_raises_the_work),
	};
	static const char *const args[] = { COUNT_ON_SIGN, "--pow-bits", "8",
		"--trusted-proxy", "127.0.0.1", NULL };

	if (sodium_init() < 0)
		return 1;
	server_group(&srv, args, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
