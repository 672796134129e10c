/* test_slug.c - slug.c: addresses made from titles in any script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/slug.c"
#include "petition.h"

#define SEED_TITLE                                              \
	"The prisoners of the Kremlin are defenseless against " \
	"COVID-19. We have to be their voice!"

/* The slug of s, checked to be a valid slug of at most SLUG_MAX. */
static const char *
slug(const char *s)
{
	static char out[SLUG_MAX + 1];

	assert_int_equal(slug_from_title(s, strlen(s), out), 0);
	assert_true(strlen(out) <= SLUG_MAX);
	assert_true(petition_slug_valid(out, strlen(out)));
	return out;
}

static void
test_seed_title(void **state)
{
	(void)state;
	/* 60 characters would end inside "19": the cut moves back to the
	 * dash before it. */
	assert_string_equal(slug(SEED_TITLE),
	    "the-prisoners-of-the-kremlin-are-defenseless-against-covid");
	assert_string_equal(slug("Save the Hedgehogs"), "save-the-hedgehogs");
}

static void
test_russian(void **state)
{
	(void)state;
	assert_string_equal(slug("Свобода политзаключённым!"),
	    "svoboda-politzaklucennym");
	assert_string_equal(slug("Узники Кремля беззащитны перед COVID-19"),
	    "uzniki-kremla-bezzasitny-pered-covid-19");
}

static void
test_ukrainian(void **state)
{
	(void)state;
	/* ї, є, ґ, щ lose their marks: plain ASCII remains. */
	assert_string_equal(slug("Київ — це Україна"), "kiiv-ce-ukraina");
	assert_string_equal(slug("Ґанок, їжак і щастя"), "ganok-izak-i-sasta");
}

static void
test_other_scripts(void **state)
{
	(void)state;
	assert_string_equal(slug("Ärger über die Straße"),
	    "arger-uber-die-strasse");
	assert_string_equal(slug("Ελληνικά"), "ellenika");
	assert_string_equal(slug("北京"), "bei-jing");
}

static void
test_empty_results(void **state)
{
	(void)state;
	/* Emoji and punctuation have no Latin form. */
	assert_string_equal(slug("\xf0\x9f\x98\x80\xf0\x9f\x8e\x89"),
	    "petition");
	assert_string_equal(slug("!!! ??? ..."), "petition");
	assert_string_equal(slug(""), "petition");
	assert_string_equal(slug("  --  "), "petition");
	/* Emoji between words are one separator. */
	assert_string_equal(slug("Clean \xf0\x9f\x8c\x8a seas"), "clean-seas");
}

static void
test_runs_and_ends(void **state)
{
	(void)state;
	assert_string_equal(slug("  --Hello,   World!--  "), "hello-world");
	assert_string_equal(slug("a&b/c"), "a-b-c");
	assert_string_equal(slug("COVID-19"), "covid-19");
}

static void
test_long(void **state)
{
	char title[1200], want[SLUG_MAX + 1];
	size_t i;

	(void)state;
	/* One word longer than a slug: cut at SLUG_MAX. */
	memset(title, 'a', 200);
	title[200] = '\0';
	memset(want, 'a', SLUG_MAX);
	want[SLUG_MAX] = '\0';
	assert_string_equal(slug(title), want);
	/* Words: the cut falls at a dash. */
	title[0] = '\0';
	for (i = 0; i < 30; i++)
		strcat(title, "word ");
	assert_string_equal(slug(title),
	    "word-word-word-word-word-word-word-word-word-word-word-word");
	/* A word that ends exactly at SLUG_MAX is kept whole. */
	memset(title, 'b', 60);
	strcpy(title + 60, " tail");
	memset(want, 'b', SLUG_MAX);
	want[SLUG_MAX] = '\0';
	assert_string_equal(slug(title), want);
	/* Long Cyrillic: two bytes a letter, more letters in Latin. */
	title[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(title, "щука ");
	assert_true(strlen(slug(title)) <= SLUG_MAX);
	assert_int_equal(strncmp(slug(title), "suka-suka-", 10), 0);
	/* A title far beyond any form still gives a slug. */
	{
		static char huge[20000];

		for (i = 0; i + 3 < sizeof(huge); i += 2)
			memcpy(huge + i, "\xd1\x89", 2); /* щ */
		huge[i] = '\0';
		assert_true(strlen(slug(huge)) <= SLUG_MAX);
	}
}

static void
test_invalid_utf8(void **state)
{
	char out[SLUG_MAX + 1];

	(void)state;
	assert_int_equal(slug_from_title("ab\xff", 3, out), -1);
	assert_string_equal(out, "petition");
	assert_int_equal(slug_from_title("\xd1", 1, out), -1);
	assert_string_equal(out, "petition");
}

static void
test_suffix_stays_valid(void **state)
{
	char s[SLUG_MAX + 16];

	(void)state;
	/* The page adds "-2", "-3", … to a taken slug. */
	snprintf(s, sizeof(s), "%s-%d", slug(SEED_TITLE), 12345);
	assert_true(petition_slug_valid(s, strlen(s)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_title),
		cmocka_unit_test(test_russian),
		cmocka_unit_test(test_ukrainian),
		cmocka_unit_test(test_other_scripts),
		cmocka_unit_test(test_empty_results),
		cmocka_unit_test(test_runs_and_ends),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_suffix_stays_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
