/* test_email.c - email.c: address syntax and the normal form for duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/email.c"

static int
setup_arena(void **state)
{
	*state = arena_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown_arena(void **state)
{
	arena_free(*state);
	return 0;
}

static bool
valid(const char *s)
{
	return email_valid(s, strlen(s));
}

static void
test_valid_table(void **state)
{
	static const char *const good[] = {
		"a@b.co",
		"ann@example.org",
		"Ann.Lee@Example.ORG",
		"ann+petitions@example.org",
		"first.last@sub.domain.example.com",
		"o'brien@example.ie",
		"user_name-1@my-host.example",
		"1234@example.org",
		"ann@xn--e1afmkfd.xn--p1ai",
		/* user@пример.рф */
		"user@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
		"\xd1\x80\xd1\x84",
		/* иван@пример.рф */
		"\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@"
		"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
		"\xd1\x80\xd1\x84",
		"caf\xc3\xa9@example.fr",
	};
	static const char *const bad[] = {
		"",
		"@",
		"ann",
		"ann.example.org", /* no @ */
		"@example.org",	   /* empty local part */
		"ann@",		   /* empty domain */
		"ann@localhost",   /* one label */
		"ann@example",
		"ann@example.",	    /* trailing dot */
		"ann@.example.org", /* leading dot */
		"ann@example..org", /* empty label */
		".ann@example.org", /* local part dots */
		"ann.@example.org",
		"ann@-example.org", /* label edges */
		"ann@example-.org",
		"ann@example.-org",
		"ann@example.org-",
		"ann@exa_mple.org",
		"ann@exa mple.org", /* spaces */
		"an n@example.org",
		" ann@example.org",
		"ann@example.org ",
		"\"ann\"@example.org", /* quotes */
		"\"a b\"@example.org",
		"a\"b@example.org",
		"ann@b@example.org", /* two @ */
		"a(b)@example.org",
		"a<b>@example.org",
		"a,b@example.org",
		"a;b@example.org",
		"a:b@example.org",
		"a\\b@example.org",
		"a[b]@example.org",
		"ann@[127.0.0.1]",
		"ann@example.o",     /* one-letter top level */
		"ann\t@example.org", /* controls */
		"ann\x01@example.org",
		"ann\x7f@example.org",
		"ann@example.org\n",
		"ann\xc2\x85@example.org", /* C1 */
		"ann\xc3@example.org",	   /* bad UTF-8 */
		"ann@ex\xed\xa0\x80.org",
		"ann@example.org\xc0\xae",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!valid(good[i]))
			fail_msg("\"%s\" should be valid", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid(bad[i]))
			fail_msg("\"%s\" should be invalid", bad[i]);
	/* NUL inside the given length is a control character. */
	assert_false(email_valid("ann\0x@example.org", 17));
	/* Only len bytes are looked at. */
	assert_true(email_valid("ann@example.org junk", 15));
	assert_false(email_valid("ann@example.org", 13)); /* "ann@example.o" */
}

static void
test_valid_lengths(void **state)
{
	char s[400];
	size_t n;

	(void)state;
	/* Local part: 64 bytes at most. */
	memset(s, 'a', 64);
	strcpy(s + 64, "@example.org");
	assert_true(valid(s));
	memset(s, 'a', 65);
	strcpy(s + 65, "@example.org");
	assert_false(valid(s));

	/* Labels: 63 bytes at most. */
	strcpy(s, "a@");
	memset(s + 2, 'b', 63);
	strcpy(s + 65, ".org");
	assert_true(valid(s));
	strcpy(s, "a@");
	memset(s + 2, 'b', 64);
	strcpy(s + 66, ".org");
	assert_false(valid(s));

	/* The whole address: 254 bytes fine, 255 too long.
	 * 64 + "@" + 63 "." 63 "." 61 = 254. */
	memset(s, 'a', 64);
	n = 64;
	s[n++] = '@';
	memset(s + n, 'b', 63);
	n += 63;
	s[n++] = '.';
	memset(s + n, 'c', 63);
	n += 63;
	s[n++] = '.';
	memset(s + n, 'd', 61);
	n += 61;
	s[n] = '\0';
	assert_int_equal(strlen(s), EMAIL_MAX);
	assert_true(valid(s));
	s[n++] = 'd';
	s[n] = '\0';
	assert_int_equal(strlen(s), 255);
	assert_false(valid(s));
	/* Many short labels: still the byte limit. */
	strcpy(s, "a@");
	for (n = 2; n < 260; n += 2)
		strcpy(s + n, "b.");
	strcpy(s + n, "org");
	assert_true(strlen(s) > EMAIL_MAX);
	assert_false(valid(s));
}

/* email.c says "the top-level domain has no digits only": an address at
 * a bare IP address or a numeric top level cannot be delivered to. */
static void
test_valid_numeric_tld(void **state)
{
	static const char *const bad[] = {
		"ann@192.168.1.10",
		"ann@10.0.0.10",
		"ann@example.123",
		"ann@example.42",
	};
	size_t i;

	(void)state;
	assert_true(valid("ann@example.c0m"));
	assert_true(valid("ann@123.example.org"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid(bad[i]))
			fail_msg("\"%s\" should be invalid", bad[i]);
}

/* Normalises a literal and checks the result. */
static void
check_norm(struct arena *a, const char *in, const char *want)
{
	size_t len = 9999;
	char *got = email_normalize(a, in, strlen(in), &len);

	if (got == NULL)
		fail_msg("email_normalize(\"%s\") returned NULL", in);
	if (len != strlen(want) || strcmp(got, want) != 0)
		fail_msg("email_normalize(\"%s\") = \"%s\" (%zu), want \"%s\"",
		    in, got, len, want);
}

static void
test_normalize(void **state)
{
	struct arena *a = *state;

	check_norm(a, "foo@example.org", "foo@example.org");
	check_norm(a, " Foo@Example.ORG ", "foo@example.org");
	check_norm(a, "\t\r\n Foo@Example.ORG\r\n", "foo@example.org");
	check_norm(a, "  FOO@EXAMPLE.ORG", "foo@example.org");
	/* Dots and +tags are different mailboxes; kept. */
	check_norm(a, "A.B+Tag@Example.org", "a.b+tag@example.org");
	/* NFD e + U+0301 becomes NFC U+00E9. */
	check_norm(a, "Rene\xcc\x81@example.fr", "ren\xc3\xa9@example.fr");
	check_norm(a, "ren\xc3\xa9@example.fr", "ren\xc3\xa9@example.fr");
	/* Upper case NFC É -> é; decomposed É -> é. */
	check_norm(a, "REN\xc3\x89@example.fr", "ren\xc3\xa9@example.fr");
	check_norm(a, "RENE\xcc\x81@example.fr", "ren\xc3\xa9@example.fr");
	/* Cyrillic: ИВАН@ПРИМЕР.РФ -> иван@xn--e1afmkfd.xn--p1ai (the
	 * domain in A-labels). */
	check_norm(a,
	    "\xd0\x98\xd0\x92\xd0\x90\xd0\x9d@"
	    "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0.\xd0\xa0\xd0\xa4",
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@xn--e1afmkfd.xn--p1ai");
	/* Ukrainian Ї -> ї. */
	check_norm(a, "\xd0\x87@example.ua", "\xd1\x97@example.ua");
	/* Locale-independent: I -> i, not Turkish dotless ı. */
	check_norm(a, "IVAN@EXAMPLE.ORG", "ivan@example.org");
	/* Emoji and other non-cased text pass through. */
	check_norm(a, "\xf0\x9f\x98\x80@example.org",
	    "\xf0\x9f\x98\x80@example.org");
	/* Empty after trimming is "" rather than a failure. */
	check_norm(a, "   ", "");
}

static void
test_normalize_same_signer(void **state)
{
	static const char *const same[] = {
		"ren\xc3\xa9@example.fr",
		" REN\xc3\x89@EXAMPLE.FR",
		"Rene\xcc\x81@Example.Fr",
		"RENE\xcc\x81@example.fr\n",
	};
	struct arena *a = *state;
	const char *first = NULL;
	size_t i, len;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *n = email_normalize(a, same[i], strlen(same[i]), &len);

		assert_non_null(n);
		if (first == NULL)
			first = n;
		assert_string_equal(n, first);
	}
}

static void
test_normalize_invalid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		{ "ann\xc3@example.org", 16 },
		{ "\xc0\x80@example.org", 14 },
		{ "\xed\xa0\x80@example.org", 15 },
		{ "ann@example.org\xff", 16 },
		{ "\xf5\x80\x80\x80", 4 },
		{ "ann@example.org\xe2\x82", 17 },
	};
	struct arena *a = *state;
	char big[4 * EMAIL_MAX + 2];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (email_normalize(a, bad[i].s, bad[i].len, &len) != NULL)
			fail_msg("bad[%zu] normalised", i);
	/* Far longer than any address: refused. */
	memset(big, 'A', sizeof(big));
	assert_null(email_normalize(a, big, sizeof(big), &len));
}

/* Long inputs and growing case maps stay inside the buffers (ASan). */
static void
test_normalize_growth(void **state)
{
	struct arena *a = *state;
	char in[4 * EMAIL_MAX + 1];
	size_t i, len;
	char *out;

	/* U+0130 (İ) lower-cases to i + U+0307: 2 bytes become 3. */
	for (i = 0; i + 2 <= 4 * EMAIL_MAX; i += 2)
		memcpy(in + i, "\xc4\xb0", 2);
	out = email_normalize(a, in, i, &len);
	assert_non_null(out);
	assert_int_equal(len, i / 2 * 3);
	assert_memory_equal(out, "i\xcc\x87", 3);
	assert_int_equal(out[len], '\0');
	/* U+FB03 (ﬃ) is its own lower case but NFC keeps it. */
	out = email_normalize(a, "\xef\xac\x83@x.org", 9, &len);
	assert_non_null(out);
	assert_string_equal(out, "\xef\xac\x83@x.org");
}

/* One mailbox, one normal form, however its domain is written: UTS #46
 * folds case, width and the ideographic full stop, and a U-label and its
 * A-label are the same domain (issue: two signers from one address). */
static void
test_idna_same_signer(void **state)
{
	static const char *const same[] = {
		"ann@b\xc3\xbc"
		"cher.example", /* bücher, NFC */
		"ann@bu\xcc\x88"
		"cher.example", /* bücher, NFD */
		"ann@xn--bcher-kva.example", "Ann@XN--BCHER-KVA.EXAMPLE",
		" ANN@B\xc3\x9c"
		"CHER.Example\n", /* BÜCHER */
		"ann@\xef\xbd\x82\xc3\xbc\xef\xbd\x83\xef\xbd\x88\xef\xbd\x85"
		"\xef\xbd\x92\xef\xbc\x8e\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81"
		"\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85", /* full width */
		"ann@b\xc3\xbc"
		"cher\xe3\x80\x82"
		"example", /* 。 */
	};
	struct arena *a = *state;
	size_t i, len;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *n = email_normalize(a, same[i], strlen(same[i]), &len);

		if (n == NULL)
			fail_msg("same[%zu] not normalised", i);
		if (strcmp(n, "ann@xn--bcher-kva.example") != 0)
			fail_msg("same[%zu] = \"%s\"", i, n);
		assert_int_equal(len, strlen(n));
		if (same[i][0] != ' ' && !valid(same[i]))
			fail_msg("same[%zu] should be valid", i);
	}
	/* Non-transitional: ß and ς stay themselves (IDNA2008), so
	 * straße.de is not strasse.de. */
	check_norm(a,
	    "a@stra\xc3\x9f"
	    "e.de",
	    "a@xn--strae-oqa.de");
	check_norm(a, "a@strasse.de", "a@strasse.de");
	/* Invisible characters UTS #46 maps to nothing go. */
	check_norm(a,
	    "a@exam\xc2\xad"
	    "ple.org",
	    "a@example.org");
}

/* Labels whose Punycode is longer than their UTF-8, mixing scripts. */
#define LONG_ALABEL                                            \
	"\xc3\xbc\xea\xb0\x80\xd1\x8f\xea\xb0\x80\xe3\x81\x82" \
	"cb\xc4\x81\xe4\xb8\x80"                               \
	"cb\xea\xb0\x80\xd1\x8f"                               \
	"ca\xe1\xb8\x81"                                       \
	"cba\xe4\xb8\x80\xe1\xb8\x81\xc3\xa9\xc4\x81"          \
	"ccacbc\xc4\x81"                                       \
	"\xd1\x8f\xc3\xbc"                                     \
	"c\xe3\x81\x82"
#define GROWING_LABEL                                    \
	"\xe3\x81\x82\xd1\x8f\xc3\xbc"                   \
	"a\xe4\xb8\x80"                                  \
	"a\xe4\xb8\x80"                                  \
	"cc\xea\xb0\x80\xe3\x81\x82\xe1\xb8\x81\xd1\x8f" \
	"aacccca"

/* A domain IDNA refuses is refused by email_valid() (the sign form's
 * validator: "invalid address") and by email_normalize(). */
static void
test_idna_invalid(void **state)
{
	static const char *const bad[] = {
		"ann@\xe2\x98\x83.com",		/* ☃: DISALLOWED */
		"ann@\xf0\x9f\x98\x80.example", /* emoji: DISALLOWED */
		"ann@\xe2\x92\x88.com",		/* ⒈ maps to "1." */
		"ann@xn--zz.example",		/* bad Punycode */
		"ann@xn--.example",
		"ann@xn--o38h.example",	      /* valid Punycode of an emoji */
		"ann@x\xe2\x80\x8dy.example", /* ZWJ out of context */
		"ann@ab--cd.b\xc3\xbc"
		"cher.example", /* "--" at 3-4 */
		"ann@b\xc3\xbc"
		"_cher.example", /* not LDH after IDNA */
		"ann@b\xc3\xbc"
		" cher.example",
		"ann@-b\xc3\xbc"
		"cher.example", /* hyphen at an edge */
		"ann@b\xc3\xbc"
		"cher-.example",
	};
	struct arena *a = *state;
	char s[512];
	size_t i, n, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (valid(bad[i]))
			fail_msg("bad[%zu] \"%s\" should be invalid", i, bad[i]);
		if (email_normalize(a, bad[i], strlen(bad[i]), &len) != NULL)
			fail_msg("bad[%zu] \"%s\" normalised", i, bad[i]);
	}
	/* Empty labels: refused by the syntax check on the A-label form. */
	assert_false(valid("ann@b\xc3\xbc"
			   "cher..example"));
	assert_false(valid("ann@.b\xc3\xbc"
			   "cher.example"));
	assert_false(valid("ann@b\xc3\xbc"
			   "cher.example."));
	assert_false(valid("ann@b\xc3\xbc"
			   "cher\xef\xbc\x8e\xef\xbc\x8e"
			   "example")); /* two full-width dots */
	/* A label of 61 bytes as typed is 70 octets as an A-label. */
	assert_false(valid("ann@" LONG_ALABEL ".de"));
	assert_null(email_normalize(a, "ann@" LONG_ALABEL ".de",
	    strlen("ann@" LONG_ALABEL ".de"), &len));
	/* One of 35 bytes becomes 49 octets: fine alone, but five of them
	 * make an address of 247 bytes as typed and 317 in A-labels. */
	check_norm(a, "ann@" GROWING_LABEL ".de",
	    "ann@xn--aaccaacccca-shb671ifa3879gbbzcga2618kba69329b.de");
	assert_true(valid("ann@" GROWING_LABEL ".de"));
	memset(s, 'a', 64);
	n = 64;
	s[n++] = '@';
	for (i = 0; i < 5; i++) {
		memcpy(s + n, GROWING_LABEL ".", strlen(GROWING_LABEL) + 1);
		n += strlen(GROWING_LABEL) + 1;
	}
	strcpy(s + n, "de");
	assert_int_equal(strlen(s), 247);
	assert_false(valid(s));
}

/* ASCII domains keep the normal form and the validity they had, so the
 * hashes of signatures already stored still find their duplicates. */
static void
test_idna_ascii_unchanged(void **state)
{
	static const struct {
		const char *in, *want;
	} same[] = {
		{ "foo@example.org", "foo@example.org" },
		{ "Foo@Sub.Example.ORG", "foo@sub.example.org" },
		{ "a.b+tag@my-host.example", "a.b+tag@my-host.example" },
		{ "1234@123.example.org", "1234@123.example.org" },
		/* "--" in positions 3-4 of a plain ASCII label: IDNA would
		 * refuse it, but it was accepted before and still is. */
		{ "ann@ab--cd.example", "ann@ab--cd.example" },
		{ "ann@xn--e1afmkfd.xn--p1ai", "ann@xn--e1afmkfd.xn--p1ai" },
		{ "ren\xc3\xa9@Example.FR", "ren\xc3\xa9@example.fr" },
	};
	struct arena *a = *state;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		check_norm(a, same[i].in, same[i].want);
		if (!valid(same[i].in))
			fail_msg("\"%s\" should be valid", same[i].in);
	}
	assert_false(valid("ann@exa_mple.org"));
}

/* An address stored in the earlier normal form (NFC and lower case over
 * the whole address) reaches the present one when normalised again: what
 * a re-hash of stored addresses would rely on. */
static void
test_idna_from_old_form(void **state)
{
	static const char *const raw[] = {
		"ANN@B\xc3\x9c"
		"CHER.EXAMPLE",
		"\xd0\x98\xd0\x92\xd0\x90\xd0\x9d@"
		"\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0.\xd0\xa0\xd0\xa4",
		"a@STRA\xc3\x9f"
		"E.DE",
		"Foo@Example.ORG",
		"x@\xc4\xb0stanbul.example", /* İ lower-cases to i + U+0307 */
	};
	struct arena *a = *state;
	size_t i, olen, nlen, len;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		char *old = fold_case(a, raw[i], strlen(raw[i]), &olen);
		char *now = email_normalize(a, raw[i], strlen(raw[i]), &nlen);
		char *again;

		assert_non_null(old);
		if (now == NULL)
			fail_msg("raw[%zu] not normalised", i);
		again = email_normalize(a, old, olen, &len);
		if (again == NULL || strcmp(again, now) != 0)
			fail_msg("raw[%zu]: old form \"%s\" gives \"%s\", "
				 "want \"%s\"",
			    i, old, again ? again : "(null)", now);
	}
}

static void
test_domain_to_ascii(void **state)
{
	char out[EMAIL_DOMAIN_MAX + 1], in[600];

	(void)state;
	assert_int_equal(email_domain_to_ascii("Example.ORG", 11, out), 11);
	assert_string_equal(out, "example.org");
	/* Only len bytes. */
	assert_int_equal(email_domain_to_ascii("b\xc3\xbc"
					       "cher.de!!",
			     10, out),
	    16);
	assert_string_equal(out, "xn--bcher-kva.de");
	assert_int_equal(email_domain_to_ascii("a\0b.de", 6, out), -1);
	/* 253 octets fit, 254 do not; through IDNA as well. */
	memset(in, 'a', 253);
	for (size_t i = 63; i < 253; i += 64)
		in[i] = '.';
	assert_int_equal(email_domain_to_ascii(in, 253, out), 253);
	in[253] = 'a';
	assert_int_equal(email_domain_to_ascii(in, 254, out), -1);
	memcpy(in, "\xc3\xbc", 2);
	assert_int_equal(email_domain_to_ascii(in, 253, out), -1);
	assert_int_equal(email_domain_to_ascii(in, 600, out), -1);
	assert_int_equal(email_domain_to_ascii("", 0, out), 0);
	assert_string_equal(out, "");
}

static void
test_needs_smtputf8(void **state)
{
	static const struct {
		const char *s;
		bool want;
	} cases[] = {
		{ "ann@example.org", false },
		{ "ann@xn--bcher-kva.example", false },
		{ "ann@b\xc3\xbc"
		  "cher.example",
		    true }, /* not yet A-labels */
		{ "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@xn--e1afmkfd.xn--p1ai",
		    true },
		{ "caf\xc3\xa9@example.fr", true },
	};
	struct arena *a = *state;
	size_t i, len;
	char *n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (email_needs_smtputf8(cases[i].s, strlen(cases[i].s)) !=
		    cases[i].want)
			fail_msg("\"%s\": want %d", cases[i].s, cases[i].want);
	/* In the normal form an international domain needs nothing. */
	n = email_normalize(a,
	    "ann@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5"
	    "\xd1\x80.\xd1\x80\xd1\x84",
	    strlen("ann@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5"
		   "\xd1\x80.\xd1\x80\xd1\x84"),
	    &len);
	assert_non_null(n);
	assert_false(email_needs_smtputf8(n, len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_table),
		cmocka_unit_test(test_valid_lengths),
		cmocka_unit_test(test_valid_numeric_tld),
		cmocka_unit_test_setup_teardown(test_normalize, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_normalize_same_signer,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_normalize_invalid,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_normalize_growth,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_idna_same_signer,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_idna_invalid, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_idna_ascii_unchanged,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_idna_from_old_form,
		    setup_arena, teardown_arena),
		cmocka_unit_test(test_domain_to_ascii),
		cmocka_unit_test_setup_teardown(test_needs_smtputf8,
		    setup_arena, teardown_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
