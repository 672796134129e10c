/* test_search_snippet.c - search_snippet.c: the excerpt with the most query
 * words, its markers, and the HTML they become. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/search_snippet.c"

static struct search_text *ST;

/* The snippet of text (in lang) for query q, as HTML (static until the
 * next call). */
static const char *
snip(enum search_lang lang, const char *text, const char *q, size_t max)
{
	static char out[2048];
	struct arena *a = arena_new();
	struct search_query sq;
	struct buf b;
	char *s;

	assert_int_equal(search_query_parse(a, q, strlen(q), &sq), SEARCH_OK);
	s = search_snippet(a, ST, lang, text, strlen(text), &sq, max);
	assert_non_null(s);
	buf_init(&b);
	search_snippet_html(&b, s, strlen(s));
	snprintf(out, sizeof(out), "%s", b.len > 0 ? b.data : "");
	buf_reset(&b);
	arena_free(a);
	return out;
}

static int
setup(void **state)
{
	(void)state;
	return (ST = search_text_new()) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	search_text_free(ST);
	return 0;
}

static void
test_word_forms(void **state)
{
	(void)state;
	assert_string_equal(snip(SEARCH_LANG_RU, "Верните троллейбусы!",
				"троллейбусов", 10),
	    "Верните <mark>троллейбусы</mark>!");
	assert_string_equal(snip(SEARCH_LANG_EN,
				"They were accused; the accusations are false.",
				"accused", 20),
	    "They were <mark>accused</mark>; the <mark>accusations</mark> "
	    "are false.");
	assert_string_equal(snip(SEARCH_LANG_UK, "«Свободу в’язням»", "вʼязні",
				10),
	    "«Свободу <mark>в’язням</mark>»");
}

/* The window of max words with the most distinct query words, cut with an
 * ellipsis where the text goes on. */
static void
test_window(void **state)
{
	const char *text = "one two three four five six seven eight nine ten "
			   "alpha beta gamma delta";

	(void)state;
	assert_string_equal(snip(SEARCH_LANG_EN, text, "beta delta", 4),
	    "…alpha <mark>beta</mark> gamma <mark>delta</mark>");
	assert_string_equal(snip(SEARCH_LANG_EN, text, "four", 3),
	    "…two three <mark>four</mark>…");
	/* Two distinct words beat one word twice; the first such window. */
	assert_string_equal(snip(SEARCH_LANG_EN, "a a x x x x b c x x", "a b c",
				3),
	    "…x <mark>b</mark> <mark>c</mark>…");
	/* No match: the start. */
	assert_string_equal(snip(SEARCH_LANG_EN, text, "zebra", 2), "one two…");
	assert_string_equal(snip(SEARCH_LANG_EN, "", "zebra", 2), "");
	assert_string_equal(snip(SEARCH_LANG_EN, "...", "zebra", 2), "");
}

/* The text is escaped; its own marker characters are dropped, so only
 * holos's markers become <mark>. */
static void
test_html(void **state)
{
	struct buf b;

	(void)state;
	assert_string_equal(snip(SEARCH_LANG_EN,
				"<script>x</script> " SEARCH_MARK_OPEN
				"fake" SEARCH_MARK_CLOSE " & bicycle \"'",
				"bicycle", 20),
	    "&lt;script&gt;x&lt;/script&gt; fake &amp; <mark>bicycle</mark> "
	    "&quot;&#39;");
	buf_init(&b);
	/* Stray markers: a close without an open, an open never closed, a
	 * language tag (U+E011), a byte that is not UTF-8. */
	search_snippet_html(&b,
	    SEARCH_MARK_CLOSE "a" SEARCH_MARK_OPEN "b" SEARCH_MARK_OPEN
			      "c\xEE\x80\x91\xff",
	    16);
	assert_string_equal(b.data, "a<mark>bc\xEF\xBF\xBD</mark>");
	buf_reset(&b);
}

static void
test_refusals(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;

	(void)state;
	assert_int_equal(search_query_parse(a, "x", 1, &q), SEARCH_OK);
	assert_null(search_snippet(a, ST, SEARCH_LANG_EN, "x\xff", 2, &q, 5));
	assert_null(search_snippet(a, ST, SEARCH_LANG_EN, "x", 1, &q, 0));
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_forms),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
