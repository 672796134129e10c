/* test_form.c - form.c: urlencoded decoding, UTF-8 and control checks, declared
 * fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../src/form.c"

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

/* Decodes a literal; returns NULL on a malformed escape. */
static char *
decode(struct arena *a, const char *s, size_t *outlen)
{
	return form_decode(a, s, strlen(s), outlen);
}

static void
test_decode(void **state)
{
	static const struct {
		const char *in;
		const char *want;
		size_t wantlen;
	} ok[] = {
		{ "", "", 0 },
		{ "abc", "abc", 3 },
		{ "a+b", "a b", 3 },
		{ "+++", "   ", 3 },
		{ "%41", "A", 1 },
		{ "%41%42c", "ABc", 3 },
		{ "%2b", "+", 1 },
		{ "%2B+%2b", "+ +", 3 },
		{ "%d0%96", "\xd0\x96", 2 },
		{ "%D0%96", "\xd0\x96", 2 },
		{ "a%00b", "a\0b", 3 },
		{ "%25", "%", 1 },
		{ "%2541", "%41", 3 }, /* decoded once only */
		{ "x=y&z", "x=y&z", 5 },
	};
	static const char *const bad[] = {
		"%",
		"%4",
		"a%4",
		"%zz",
		"%4z",
		"%z4",
		"a%",
		"abc%2",
		"%%41",
		"% 41",
		"%-1",
		"%+1",
	};
	struct arena *a = *state;
	size_t i, len;
	char *out;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		len = 12345;
		out = decode(a, ok[i].in, &len);
		if (out == NULL)
			fail_msg("form_decode(\"%s\") failed", ok[i].in);
		assert_int_equal(len, ok[i].wantlen);
		assert_memory_equal(out, ok[i].want, len);
		assert_int_equal(out[len], '\0');
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (decode(a, bad[i], &len) != NULL)
			fail_msg("form_decode(\"%s\") should fail", bad[i]);
	/* The length given bounds the escape: "%41" cut to "%4" is bad. */
	assert_null(form_decode(a, "%41", 2, &len));
	assert_non_null(form_decode(a, "%41", 3, &len));
	assert_int_equal(len, 1);
}

struct bytes {
	const char *s;
	size_t len;
};
#define B(lit)                         \
	{                              \
		(lit), sizeof(lit) - 1 \
	}

static void
test_utf8_valid(void **state)
{
	static const struct bytes good[] = {
		B(""), B("plain ascii"), B("caf\xc3\xa9"),
		B("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"),
		B("\xc2\x80"),	       /* U+0080, smallest 2-byte */
		B("\xdf\xbf"),	       /* U+07FF */
		B("\xe0\xa0\x80"),     /* U+0800, smallest 3-byte */
		B("\xed\x9f\xbf"),     /* U+D7FF, below the surrogates */
		B("\xee\x80\x80"),     /* U+E000, above the surrogates */
		B("\xef\xbf\xbf"),     /* U+FFFF */
		B("\xf0\x90\x80\x80"), /* U+10000, smallest 4-byte */
		B("\xf0\x9f\x98\x80"), /* emoji */
		B("\xf4\x8f\xbf\xbf"), /* U+10FFFF, the last */
		B("a\0b"),	       /* NUL is valid UTF-8 */
	};
	static const struct bytes bad[] = {
		B("\xc0\x80"),	       /* overlong NUL */
		B("\xc1\xbf"),	       /* overlong */
		B("\xe0\x80\x80"),     /* overlong 3-byte */
		B("\xe0\x9f\xbf"),     /* overlong U+07FF */
		B("\xf0\x80\x80\x80"), /* overlong 4-byte */
		B("\xf0\x8f\xbf\xbf"), /* overlong U+FFFF */
		B("\xed\xa0\x80"),     /* U+D800, surrogate */
		B("\xed\xbf\xbf"),     /* U+DFFF, surrogate */
		B("\xf4\x90\x80\x80"), /* U+110000 */
		B("\xf5\x80\x80\x80"), B("\xf5"), B("\xf8\x88\x80\x80\x80"),
		B("\xff"), B("\xfe"), B("\x80"),
		B("a\xbf"),		  /* lone continuation bytes */
		B("\xc3"), B("a\xc3"),	  /* truncated 2-byte */
		B("\xe2\x82"), B("\xe2"), /* truncated 3-byte */
		B("\xf0\x9f\x98"), B("\xf0\x9f"), B("\xf0"),
		B("\xc3\x28"), /* bad continuation */
		B("\xe2\x28\xa1"), B("\xe2\x82\x28"), B("\xf0\x28\x8c\xbc"),
		B("\xf0\x9f\x98\x28"),
		B("\xc3\xa9\xc3"), /* good then truncated */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!form_utf8_valid(good[i].s, good[i].len))
			fail_msg("good[%zu] rejected", i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (form_utf8_valid(bad[i].s, bad[i].len))
			fail_msg("bad[%zu] accepted", i);
	/* A sequence cut by the length is truncated even if bytes follow. */
	assert_false(form_utf8_valid("\xc3\xa9", 1));
	assert_false(form_utf8_valid("\xe2\x82\xac", 2));
	assert_true(form_utf8_valid("\xe2\x82\xac", 3));
}

static void
test_text_valid(void **state)
{
	static const struct {
		struct bytes b;
		bool line, multi;
	} cases[] = {
		{ B("hello world"), true, true },
		{ B("caf\xc3\xa9 \xd0\x96"), true, true },
		{ B("a\nb"), false, true },
		{ B("a\r\nb"), false, true },
		{ B("a\tb"), false, true },
		{ B("\x01"), false, false },
		{ B("a\x01"), false, false },
		{ B("a\x1f"), false, false },
		{ B("a\x1b[31m"), false, false }, /* ESC */
		{ B("a\x7f"), false, false },	  /* DEL */
		{ B("a\0b"), false, false },
		{ B("a\xc2\x85z"), false, false }, /* U+0085 NEL */
		{ B("\xc2\x80"), false, false },   /* U+0080 */
		{ B("\xc2\x9f"), false, false },   /* U+009F */
		{ B("\xc2\xa0"), true, true },	   /* U+00A0 is text */
		{ B("\xc2\xa9"), true, true },	   /* U+00A9 */
		{ B("\xc0\x8a"), false, false },   /* overlong \n */
		{ B("\xed\xa0\x80"), false, false },
		{ B("\xf5"), false, false },
		{ B("\xd0"), false, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (form_text_valid(cases[i].b.s, cases[i].b.len, false) !=
		    cases[i].line)
			fail_msg("case %zu single-line: want %d", i,
			    cases[i].line);
		if (form_text_valid(cases[i].b.s, cases[i].b.len, true) !=
		    cases[i].multi)
			fail_msg("case %zu multiline: want %d", i,
			    cases[i].multi);
	}
}

static void
test_utf8_chars(void **state)
{
	(void)state;
	assert_int_equal(form_utf8_chars("", 0), 0);
	assert_int_equal(form_utf8_chars("abc", 3), 3);
	assert_int_equal(form_utf8_chars("caf\xc3\xa9", 5), 4);
	assert_int_equal(form_utf8_chars("\xd0\x96\xd0\x96", 4), 2);
	assert_int_equal(form_utf8_chars("\xe2\x82\xac", 3), 1);
	assert_int_equal(form_utf8_chars("\xf0\x9f\x98\x80!", 5), 2);
}

enum { F_NAME, F_COMMENT, F_AGREE, F_TOKEN, F_CITY, F__MAX };

static bool
no_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return false;
	return true;
}

static const struct form_spec specs[F__MAX] = {
	[F_NAME] = { "name", FORM_LINE, 10, true, NULL },
	[F_COMMENT] = { "comment", FORM_TEXT, 500, false, NULL },
	[F_AGREE] = { "agree", FORM_CHECKBOX, 0, false, NULL },
	[F_TOKEN] = { "csrf", FORM_TOKEN, 8, true, NULL },
	[F_CITY] = { "city", FORM_LINE, 20, false, no_digits },
};

/* Parses body against specs; returns form_parse()'s result. */
static int
parse(struct arena *a, const char *body, struct form_value out[F__MAX])
{
	return form_parse(a, body, strlen(body), specs, F__MAX, out);
}

static void
assert_value(const struct form_value *v, const char *want)
{
	assert_int_equal(v->len, strlen(want));
	assert_memory_equal(v->s, want, v->len);
}

static void
test_parse_basic(void **state)
{
	struct arena *a = *state;
	struct form_value v[F__MAX];

	assert_int_equal(parse(a,
			     "name=Ann+Lee&comment=Hi%21%0Athere&"
			     "agree=on&csrf=abc.def&city=Kyiv",
			     v),
	    0);
	assert_value(&v[F_NAME], "Ann Lee");
	assert_true(v[F_NAME].present);
	assert_int_equal(v[F_NAME].err, FORM_OK);
	assert_value(&v[F_COMMENT], "Hi!\nthere");
	assert_true(v[F_AGREE].present);
	assert_true(v[F_AGREE].checked);
	assert_value(&v[F_TOKEN], "abc.def");
	assert_value(&v[F_CITY], "Kyiv");
	/* Values are NUL-terminated. */
	assert_int_equal(v[F_NAME].s[v[F_NAME].len], '\0');
	assert_string_equal(v[F_COMMENT].s, "Hi!\nthere");

	/* Order does not matter; encoded keys are decoded. */
	assert_int_equal(parse(a, "csrf=t&%6eame=Bo", v), 0);
	assert_value(&v[F_NAME], "Bo");
	assert_false(v[F_AGREE].present);
	assert_false(v[F_AGREE].checked);
	assert_false(v[F_COMMENT].present);
	assert_value(&v[F_COMMENT], "");
	assert_non_null(v[F_CITY].s);
	assert_value(&v[F_CITY], "");
}

static void
test_parse_undeclared_and_duplicates(void **state)
{
	struct arena *a = *state;
	struct form_value v[F__MAX];

	/* Undeclared keys are dropped: no error, no effect. */
	assert_int_equal(parse(a,
			     "evil=%3Cscript%3E&name=A&csrf=t&"
			     "names=X&nam=Y&NAME=Z&=empty&&",
			     v),
	    0);
	assert_value(&v[F_NAME], "A");
	/* A key with a malformed escape is dropped too. */
	assert_int_equal(parse(a, "na%zzme=B&name=A&csrf=t", v), 0);
	assert_value(&v[F_NAME], "A");
	/* A key given twice keeps its first value. */
	assert_int_equal(parse(a, "name=First&csrf=t&name=Second", v), 0);
	assert_value(&v[F_NAME], "First");
	assert_int_equal(parse(a, "name=&csrf=t&name=Second", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_MISSING);
	assert_value(&v[F_NAME], "");
	/* ...even when the first is broken. */
	assert_int_equal(parse(a, "name=%zz&csrf=t&name=Good", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_BAD_TEXT);
	/* An empty body leaves the required fields missing. */
	assert_int_equal(parse(a, "", v), 2);
	assert_int_equal(v[F_NAME].err, FORM_MISSING);
	assert_int_equal(v[F_TOKEN].err, FORM_MISSING);
	assert_int_equal(v[F_COMMENT].err, FORM_OK);
	assert_int_equal(v[F_CITY].err, FORM_OK);
	assert_int_equal(v[F_AGREE].err, FORM_OK);
}

static void
test_parse_bad_escapes(void **state)
{
	static const char *const bodies[] = {
		"name=%4&csrf=t",
		"name=A%4&csrf=t",
		"name=%zz&csrf=t",
		"name=%&csrf=t",
		"csrf=t&name=abc%",
		"csrf=t&name=%4",
	};
	struct arena *a = *state;
	struct form_value v[F__MAX];
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (parse(a, bodies[i], v) != 1)
			fail_msg("\"%s\": want one error", bodies[i]);
		assert_true(v[F_NAME].present);
		assert_int_equal(v[F_NAME].err, FORM_BAD_TEXT);
		assert_int_equal(v[F_TOKEN].err, FORM_OK);
	}
}

static void
test_parse_bad_text(void **state)
{
	static const char *const names[] = {
		"%C0%80",
		"%ED%A0%80",
		"%F5%80%80%80",
		"%C3",
		"a%E2%82",
		"%F0%9F%98",
		"%FF",
		"%80",
		"a%01b",
		"a%7Fb",
		"a%C2%85b",
		"a%0Ab",
		"a%0Db",
		"a%09b",
		"a%00b",
		"%1B",
	};
	struct arena *a = *state;
	struct form_value v[F__MAX];
	char body[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(body, sizeof(body), "csrf=t&name=%s", names[i]);
		if (parse(a, body, v) != 1 || v[F_NAME].err != FORM_BAD_TEXT)
			fail_msg("name=%s: want FORM_BAD_TEXT, got %d",
			    names[i], v[F_NAME].err);
		/* The same bytes in the optional single-line field. */
		snprintf(body, sizeof(body), "csrf=t&name=A&city=%s", names[i]);
		if (parse(a, body, v) != 1 || v[F_CITY].err != FORM_BAD_TEXT)
			fail_msg("city=%s: want FORM_BAD_TEXT, got %d",
			    names[i], v[F_CITY].err);
	}
	/* Multiline text takes \n, \r\n (as \n) and \t but no other
	 * controls. */
	assert_int_equal(parse(a, "csrf=t&name=A&comment=a%0Ab%0D%0Ac%09d", v),
	    0);
	assert_value(&v[F_COMMENT], "a\nb\nc\td");
	assert_int_equal(parse(a, "csrf=t&name=A&comment=a%01b", v), 1);
	assert_int_equal(v[F_COMMENT].err, FORM_BAD_TEXT);
	assert_int_equal(parse(a, "csrf=t&name=A&comment=a%C2%85b", v), 1);
	assert_int_equal(v[F_COMMENT].err, FORM_BAD_TEXT);
	assert_int_equal(parse(a, "csrf=t&name=A&comment=%ED%A0%80", v), 1);
	assert_int_equal(v[F_COMMENT].err, FORM_BAD_TEXT);
	/* Tokens are printable ASCII without spaces. */
	assert_int_equal(parse(a, "name=A&csrf=a+b", v), 1);
	assert_int_equal(v[F_TOKEN].err, FORM_BAD_TEXT);
	assert_int_equal(parse(a, "name=A&csrf=%C3%A9", v), 1);
	assert_int_equal(v[F_TOKEN].err, FORM_BAD_TEXT);
	assert_int_equal(parse(a, "name=A&csrf=a%7F", v), 1);
	assert_int_equal(v[F_TOKEN].err, FORM_BAD_TEXT);
}

/* Appends n copies of the UTF-8 sequence u, percent-encoded. */
static void
repeat_enc(char *out, size_t cap, const char *u, size_t n)
{
	size_t i, o = strlen(out);
	const unsigned char *p;

	for (i = 0; i < n; i++)
		for (p = (const unsigned char *)u; *p != '\0'; p++) {
			assert_true(o + 4 < cap);
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
		}
}

static void
test_parse_lengths(void **state)
{
	struct arena *a = *state;
	struct form_value v[F__MAX];
	char body[8192];

	/* name: 10 code points, not bytes. */
	assert_int_equal(parse(a, "csrf=t&name=0123456789", v), 0);
	assert_int_equal(parse(a, "csrf=t&name=0123456789A", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_TOO_LONG);
	strcpy(body, "csrf=t&name=");
	repeat_enc(body, sizeof(body), "\xd0\x96", 10); /* 20 bytes */
	assert_int_equal(parse(a, body, v), 0);
	assert_int_equal(v[F_NAME].len, 20);
	strcpy(body, "csrf=t&name=");
	repeat_enc(body, sizeof(body), "\xf0\x9f\x98\x80", 10); /* 40 bytes */
	assert_int_equal(parse(a, body, v), 0);
	strcpy(body, "csrf=t&name=");
	repeat_enc(body, sizeof(body), "\xd0\x96", 11);
	assert_int_equal(parse(a, body, v), 1);
	assert_int_equal(v[F_NAME].err, FORM_TOO_LONG);

	/* comment: 500 Cyrillic letters are fine, 501 are too long. */
	strcpy(body, "csrf=t&name=A&comment=");
	repeat_enc(body, sizeof(body), "\xd1\x8f", 500);
	assert_int_equal(parse(a, body, v), 0);
	assert_int_equal(v[F_COMMENT].len, 1000);
	assert_int_equal(form_utf8_chars(v[F_COMMENT].s, v[F_COMMENT].len), 500);
	strcpy(body, "csrf=t&name=A&comment=");
	repeat_enc(body, sizeof(body), "\xd1\x8f", 501);
	assert_int_equal(parse(a, body, v), 1);
	assert_int_equal(v[F_COMMENT].err, FORM_TOO_LONG);

	/* Surrounding white space does not count towards the limit. */
	assert_int_equal(parse(a, "csrf=t&name=++0123456789++", v), 0);
	assert_value(&v[F_NAME], "0123456789");

	/* Tokens: max_chars bytes. */
	assert_int_equal(parse(a, "name=A&csrf=12345678", v), 0);
	assert_int_equal(parse(a, "name=A&csrf=123456789", v), 1);
	assert_int_equal(v[F_TOKEN].err, FORM_TOO_LONG);
}

static void
test_parse_trim_and_required(void **state)
{
	struct arena *a = *state;
	struct form_value v[F__MAX];

	assert_int_equal(parse(a, "csrf=t&name=++Ann+Lee%20+&city=+Lviv+", v),
	    0);
	assert_value(&v[F_NAME], "Ann Lee");
	assert_value(&v[F_CITY], "Lviv");
	/* A tab is a control character on one line, even at the edge. */
	assert_int_equal(parse(a, "csrf=t&name=%09Ann", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_BAD_TEXT);
	assert_int_equal(parse(a,
			     "csrf=t&name=A&comment=%0A%0A++Hello%0Aworld"
			     "%0D%0A%09",
			     v),
	    0);
	assert_value(&v[F_COMMENT], "Hello\nworld");
	/* A textarea's line breaks, CR LF or a lone CR, arrive as LF and
	 * count once against its limit; a single line's CR is bad text. */
	assert_int_equal(parse(a,
			     "csrf=t&name=A&comment=a%0D%0Ab%0Dc%0D%0A%0D%0Ad"
			     "%0A%0De",
			     v),
	    0);
	assert_value(&v[F_COMMENT], "a\nb\nc\n\nd\n\ne");
	{
		char body[2048];
		int n = snprintf(body, sizeof(body), "csrf=t&name=A&comment=");

		for (int i = 0; i < 250; i++)
			n += snprintf(body + n, sizeof(body) - (size_t)n,
			    "x%%0D%%0A");
		assert_int_equal(parse(a, body, v), 0);
		assert_int_equal(v[F_COMMENT].len, 499);
		n += snprintf(body + n, sizeof(body) - (size_t)n, "yz");
		assert_int_equal(parse(a, body, v), 1);
		assert_int_equal(v[F_COMMENT].err, FORM_TOO_LONG);
	}
	assert_int_equal(parse(a, "csrf=t&name=Ann%0D", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_BAD_TEXT);
	/* Blank counts as missing when required. */
	assert_int_equal(parse(a, "csrf=t&name=+++", v), 1);
	assert_true(v[F_NAME].present);
	assert_int_equal(v[F_NAME].err, FORM_MISSING);
	assert_int_equal(parse(a, "csrf=t&name", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_MISSING);
	assert_int_equal(parse(a, "csrf=t&name=", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_MISSING);
	/* A single-line field with a trailing newline is still bad text. */
	assert_int_equal(parse(a, "csrf=t&name=Ann%0A", v), 1);
	assert_int_equal(v[F_NAME].err, FORM_BAD_TEXT);
	/* Tokens are not trimmed. */
	assert_int_equal(parse(a, "name=A&csrf=", v), 1);
	assert_int_equal(v[F_TOKEN].err, FORM_MISSING);
	assert_int_equal(parse(a, "name=A&csrf=+t", v), 1);
	assert_int_equal(v[F_TOKEN].err, FORM_BAD_TEXT);
	/* The field's own validator runs on the trimmed value. */
	assert_int_equal(parse(a, "csrf=t&name=A&city=Lviv2", v), 1);
	assert_int_equal(v[F_CITY].err, FORM_INVALID);
	assert_int_equal(parse(a, "csrf=t&name=A&city=+Lviv+", v), 0);
	/* ...and not on an absent optional field. */
	assert_int_equal(parse(a, "csrf=t&name=A&city=++", v), 0);
	assert_int_equal(v[F_CITY].err, FORM_OK);
}

static void
test_parse_checkbox(void **state)
{
	struct arena *a = *state;
	struct form_value v[F__MAX];

	assert_int_equal(parse(a, "csrf=t&name=A&agree=on", v), 0);
	assert_true(v[F_AGREE].checked);
	assert_int_equal(parse(a, "csrf=t&name=A&agree=1", v), 0);
	assert_true(v[F_AGREE].checked);
	assert_int_equal(parse(a, "csrf=t&name=A&agree=", v), 0);
	assert_true(v[F_AGREE].present);
	assert_false(v[F_AGREE].checked);
	assert_int_equal(parse(a, "csrf=t&name=A&agree", v), 0);
	assert_false(v[F_AGREE].checked);
	assert_int_equal(parse(a, "csrf=t&name=A", v), 0);
	assert_false(v[F_AGREE].present);
	assert_false(v[F_AGREE].checked);
	/* First value wins here too. */
	assert_int_equal(parse(a, "csrf=t&name=A&agree=&agree=on", v), 0);
	assert_false(v[F_AGREE].checked);
	/* A checked box left over from a previous parse is cleared. */
	assert_int_equal(parse(a, "csrf=t&name=A&agree=on", v), 0);
	assert_int_equal(parse(a, "csrf=t&name=A", v), 0);
	assert_false(v[F_AGREE].checked);
}

/* The body need not be NUL-terminated: only len bytes are read. */
static void
test_parse_length_bound(void **state)
{
	static const char src[] = "csrf=t&name=Ann&name=Bob";
	struct arena *a = *state;
	struct form_value v[F__MAX];
	char *body = malloc(15);

	assert_non_null(body);
	memcpy(body, src, 15); /* "csrf=t&name=Ann", no NUL */
	assert_int_equal(form_parse(a, body, 15, specs, F__MAX, v), 0);
	assert_value(&v[F_NAME], "Ann");
	assert_int_equal(form_parse(a, body, 14, specs, F__MAX, v), 0);
	assert_value(&v[F_NAME], "An");
	free(body);
}

static void
test_error_keys(void **state)
{
	(void)state;
	assert_null(form_error_key(FORM_OK));
	assert_string_equal(form_error_key(FORM_MISSING), "err_required");
	assert_string_equal(form_error_key(FORM_TOO_LONG), "err_too_long");
	assert_string_equal(form_error_key(FORM_BAD_TEXT), "err_invalid_text");
	assert_string_equal(form_error_key(FORM_INVALID), "err_invalid_text");
	assert_string_equal(form_error_key(FORM__MAX), "err_invalid_text");
}

static void
test_digits(void **state)
{
	/* Not NUL-ended: the length is all that is read. */
	const char digits[] = "0123456789012345678901";

	(void)state;
	assert_int_equal(form_digits("7", 1, 1), 7);
	assert_int_equal(form_digits("007", 3, 3), 7);
	assert_int_equal(form_digits("15000", 5, 8), 15000);
	assert_int_equal(form_digits(digits, 18, 18), 12345678901234567LL);
	assert_int_equal(form_digits("999999999999999999", 18, 18),
	    999999999999999999LL);
	/* The longest kept short of overflow, and maxlen itself. */
	assert_int_equal(form_digits(digits, 19, 19), -1);
	assert_int_equal(form_digits("15000", 5, 4), -1);
	assert_int_equal(form_digits("", 0, 8), -1);
	assert_int_equal(form_digits("12a", 3, 8), -1);
	assert_int_equal(form_digits("-1", 2, 8), -1);
	assert_int_equal(form_digits("+1", 2, 8), -1);
	assert_int_equal(form_digits(" 1", 2, 8), -1);
	assert_int_equal(form_digits("1\0", 2, 8), -1);
	assert_int_equal(form_digits("\xd9\xa1", 2, 8), -1); /* Arabic one */
	assert_int_equal(form_digits("12", 1, 8), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decode, setup_arena,
		    teardown_arena),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_utf8_chars),
		cmocka_unit_test(test_error_keys),
		cmocka_unit_test(test_digits),
		cmocka_unit_test_setup_teardown(test_parse_basic, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_undeclared_and_duplicates,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_bad_escapes,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_bad_text,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_lengths, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_trim_and_required,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_checkbox,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_parse_length_bound,
		    setup_arena, teardown_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
