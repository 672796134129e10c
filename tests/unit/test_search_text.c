/* test_search_text.c - search_text.c: words, folding, apostrophes, stems
 * and prefixes in en, ru and uk, and reading a reader's query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/search_text.c"
#include "buf.h"

static struct search_text *ST;

struct collect {
	struct buf b;
	char ranges[64][32];
	size_t n;
};

static int
collect_term(void *ctx, const char *term, size_t len, size_t start, size_t end)
{
	struct collect *c = ctx;

	if (c->b.len > 0)
		buf_putc(&c->b, ' ');
	buf_append(&c->b, term, len);
	if (c->n < 64)
		snprintf(c->ranges[c->n++], 32, "%zu-%zu", start, end);
	return 0;
}

/* The terms of text in lang, space-separated (static until the next call). */
static const char *
terms(enum search_lang lang, const char *text)
{
	static struct collect c;

	buf_reset(&c.b);
	c.n = 0;
	assert_int_equal(search_text_terms(ST, lang, text, strlen(text),
			     collect_term, &c),
	    0);
	return c.b.len > 0 ? c.b.data : "";
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
test_lang_codes(void **state)
{
	(void)state;
	assert_int_equal(search_lang_from_code("en"), SEARCH_LANG_EN);
	assert_int_equal(search_lang_from_code("ru"), SEARCH_LANG_RU);
	assert_int_equal(search_lang_from_code("uk"), SEARCH_LANG_UK);
	assert_int_equal(search_lang_from_code("de"), -1);
	assert_int_equal(search_lang_from_code(""), -1);
	assert_int_equal(search_lang_from_code(NULL), -1);
	assert_string_equal(search_lang_code(SEARCH_LANG_UK), "uk");
}

/* The word forms: Snowball conflates them in en and ru. */
static void
test_stems(void **state)
{
	(void)state;
	assert_string_equal(terms(SEARCH_LANG_EN, "accused accusations"),
	    "en:accus en:accus");
	assert_string_equal(terms(SEARCH_LANG_EN, "Petitions petition"),
	    "en:petit en:petit");
	assert_string_equal(terms(SEARCH_LANG_RU, "Троллейбусов троллейбусы"),
	    "ru:троллейбус ru:троллейбус");
	assert_string_equal(terms(SEARCH_LANG_RU, "политзаключённых"),
	    "ru:политзаключен");
	/* Ukrainian has no stemmer: the word is kept whole. */
	assert_string_equal(terms(SEARCH_LANG_UK, "Петиції"), "uk:петиції");
	/* A stemmer leaves another alphabet's words as they are. */
	assert_string_equal(terms(SEARCH_LANG_EN, "троллейбусы"),
	    "en:троллейбусы");
	assert_string_equal(terms(SEARCH_LANG_RU, "accused"), "ru:accused");
}

/* Every way of writing the Ukrainian apostrophe is one word, the same
 * term, and the same as leaving it out. */
static void
test_apostrophes(void **state)
{
	static const char *const apos[] = { "'", "\u2019", "\u02BC", "\u02B9",
		"`", "\u00B4", "\u2032", "\u2018", "\u02BB", "\u201B",
		"\uFF07" };
	char text[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(apos) / sizeof(apos[0]); i++) {
		snprintf(text, sizeof(text), "В%sязні, в%sязнів!", apos[i],
		    apos[i]);
		assert_string_equal(terms(SEARCH_LANG_UK, text),
		    "uk:вязні uk:вязнів");
	}
	assert_string_equal(terms(SEARCH_LANG_UK, "вязні"), "uk:вязні");
	/* English too: the possessive and contractions are one word. */
	assert_string_equal(terms(SEARCH_LANG_EN, "people\u2019s don't"),
	    "en:peopl en:dont");
	/* Quotation marks around a word are not part of it. */
	assert_string_equal(terms(SEARCH_LANG_EN, "\u2018quoted\u2019 'x'"),
	    "en:quot en:x");
}

/* Case folding with NFKC: capitals, compatibility forms, ß; ё is е (a
 * Russian reader often types е); stress marks go; й, ї, є, ґ stay. */
static void
test_folding(void **state)
{
	(void)state;
	assert_string_equal(terms(SEARCH_LANG_UK, "ПЕТИЦІЯ Ґанок Їжак Єдність"),
	    "uk:петиція uk:ґанок uk:їжак uk:єдність");
	assert_string_equal(terms(SEARCH_LANG_UK, "Йде"), "uk:йде");
	assert_string_equal(terms(SEARCH_LANG_EN, "ＡＣＣＵＳＥＤ"), "en:accus");
	assert_string_equal(terms(SEARCH_LANG_EN, "Straße ﬁre"),
	    "en:strass en:fire");
	assert_string_equal(terms(SEARCH_LANG_RU, "Ёлка елка"), "ru:елк ru:елк");
	assert_string_equal(terms(SEARCH_LANG_UK, "Ёж"), "uk:еж");
	/* е + combining diaeresis is ё, which is е. */
	assert_string_equal(terms(SEARCH_LANG_UK, "е\u0308ж"), "uk:еж");
	/* A stress mark (U+0301) and a soft hyphen inside a word. */
	assert_string_equal(terms(SEARCH_LANG_RU, "за\u0301мок"), "ru:замок");
	assert_string_equal(terms(SEARCH_LANG_UK, "пе\u00ADтиція"),
	    "uk:петиція");
	/* Latin letters keep their accents: é is not e. */
	assert_string_equal(terms(SEARCH_LANG_UK, "café"), "uk:café");
}

/* ICU's word boundaries: punctuation, hyphens and spaces separate words;
 * numbers are words. */
static void
test_words(void **state)
{
	(void)state;
	assert_string_equal(terms(SEARCH_LANG_EN, "COVID-19: free them!"),
	    "en:covid en:19 en:free en:them");
	assert_string_equal(terms(SEARCH_LANG_UK, "північно-західний"),
	    "uk:північно uk:західний");
	assert_string_equal(terms(SEARCH_LANG_EN, "3.14 and 1,000"),
	    "en:3.14 en:and en:1,000");
	assert_string_equal(terms(SEARCH_LANG_EN, "  \t\n...!?\"*()- "), "");
	assert_string_equal(terms(SEARCH_LANG_EN, ""), "");
	/* Holos's markers are not words and do not join words. */
	assert_string_equal(terms(SEARCH_LANG_EN,
				SEARCH_MARK_OPEN "free" SEARCH_MARK_CLOSE
						 "them"),
	    "en:free en:them");
	assert_string_equal(terms(SEARCH_LANG_EN, "日本語 テスト"),
	    "en:日本語 en:テスト");
}

/* A term tells the bytes of its word in the text. */
static void
test_offsets(void **state)
{
	static struct collect c;
	const char *text = "«Троллейбусы» — в’язнів";

	(void)state;
	buf_init(&c.b);
	assert_int_equal(search_text_terms(ST, SEARCH_LANG_UK, text,
			     strlen(text), collect_term, &c),
	    0);
	assert_int_equal(c.n, 2);
	/* « is 2 bytes, Троллейбусы 22, "» — " 7, в’язнів 15. */
	assert_string_equal(c.ranges[0], "2-24");
	assert_string_equal(c.ranges[1], "31-46");
	buf_reset(&c.b);
}

static void
test_long_word(void **state)
{
	char word[300], want[300];

	(void)state;
	memset(word, 'a', 200);
	word[200] = '\0';
	memcpy(want, "uk:", 3);
	memset(want + 3, 'a', SEARCH_WORD_MAX);
	want[3 + SEARCH_WORD_MAX] = '\0';
	assert_string_equal(terms(SEARCH_LANG_UK, word), want);
	/* Cut at code points, not bytes. */
	word[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(word, "ж");
	assert_int_equal(strlen(terms(SEARCH_LANG_UK, word)),
	    3 + SEARCH_WORD_MAX * 2);
}

static int
stop_at_two(void *ctx, const char *term, size_t len, size_t start, size_t end)
{
	int *n = ctx;

	(void)term;
	(void)len;
	(void)start;
	(void)end;
	return ++*n == 2 ? 42 : 0;
}

static void
test_bad_text(void **state)
{
	static const char *const bad[] = { "abc\xff", "\xc0\x80",
		"\xed\xa0\x80", "\xe2\x82", "ok \xf5\x80\x80\x80" };
	size_t i;
	int n = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(search_text_terms(ST, SEARCH_LANG_EN, bad[i],
				     strlen(bad[i]), collect_term, NULL),
		    -1);
	/* The callback's non-zero return stops and is returned. */
	assert_int_equal(search_text_terms(ST, SEARCH_LANG_EN, "a b c d", 7,
			     stop_at_two, &n),
	    42);
	assert_int_equal(n, 2);
}

static void
test_prefix_len(void **state)
{
	(void)state;
	assert_int_equal(search_prefix_len(1), 1);
	assert_int_equal(search_prefix_len(4), 4);
	assert_int_equal(search_prefix_len(5), 4);
	assert_int_equal(search_prefix_len(6), 4);
	assert_int_equal(search_prefix_len(7), 5);
	assert_int_equal(search_prefix_len(12), 10);
}

/* Whether query q finds a document in lang made of text. */
static bool
finds(const char *q, enum search_lang lang, const char *text)
{
	struct arena *a = arena_new();
	struct search_query sq;
	const char *doc;
	bool all = true;
	size_t i;

	assert_non_null(a);
	assert_int_equal(search_query_parse(a, q, strlen(q), &sq), SEARCH_OK);
	doc = arena_strdup(a, terms(lang, text));
	for (i = 0; i < sq.nwords; i++) {
		const char *t = doc;
		bool found = false;

		while (*t != '\0' && !found) {
			size_t n = strcspn(t, " ");

			found = search_word_matches(&sq.words[i], lang, t, n);
			t += n + (t[n] == ' ');
		}
		all = all && found;
	}
	arena_free(a);
	return all;
}

/* Ukrainian: the query word's first max(n - 2, 4) letters (all of a short
 * word) as a prefix of the document's word. */
static void
test_ukrainian_prefix(void **state)
{
	static const char *const prisoners[] = { "в'язні", "в’язнів", "вʼязням",
		"в'язнями", "вязнів" };
	static const char *const petition[] = { "петиція", "петиції", "петицію",
		"петицією", "петицій" };
	size_t i, j;

	(void)state;
	for (i = 0; i < 5; i++) {
		assert_true(finds("в'язні", SEARCH_LANG_UK, prisoners[i]));
		assert_true(finds("в’язнів", SEARCH_LANG_UK, prisoners[i]));
		assert_true(finds("вʼязням", SEARCH_LANG_UK, prisoners[i]));
		for (j = 0; j < 5; j++)
			assert_true(
			    finds(petition[j], SEARCH_LANG_UK, petition[i]));
	}
	assert_true(finds("тролейбусів", SEARCH_LANG_UK, "тролейбуси"));
	assert_true(finds("суд", SEARCH_LANG_UK, "суду"));
	/* The price of a fixed prefix: a three-letter ending leaves a letter
	 * too many ("вязня"), and a short word is its own prefix. A reader's
	 * query is most often the dictionary form, whose ending is short. */
	assert_false(finds("в'язнями", SEARCH_LANG_UK, "в'язні"));
	assert_false(finds("суду", SEARCH_LANG_UK, "суд"));
	/* Words of one or two letters match whole, not as prefixes. */
	assert_false(finds("в", SEARCH_LANG_UK, "вода"));
	assert_true(finds("в", SEARCH_LANG_UK, "в"));
}

/* The three examples, and a query's language unknown: each word is
 * read in every language and a document is matched in its own. */
static void
test_query_forms(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;
	const char *s = "Accused «в’язні»!";

	(void)state;
	assert_int_equal(search_query_parse(a, s, strlen(s), &q), SEARCH_OK);
	assert_int_equal(q.nwords, 2);
	assert_false(q.truncated);
	assert_string_equal(q.words[0].form[SEARCH_LANG_EN], "en:accus");
	assert_string_equal(q.words[0].form[SEARCH_LANG_RU], "ru:accused");
	assert_string_equal(q.words[0].form[SEARCH_LANG_UK], "uk:accus");
	assert_false(q.words[0].prefix[SEARCH_LANG_EN]);
	assert_false(q.words[0].prefix[SEARCH_LANG_RU]);
	assert_true(q.words[0].prefix[SEARCH_LANG_UK]);
	assert_string_equal(q.words[1].form[SEARCH_LANG_RU], "ru:вязні");
	assert_string_equal(q.words[1].form[SEARCH_LANG_UK], "uk:вязн");
	arena_free(a);

	assert_true(finds("accused", SEARCH_LANG_EN, "False accusations"));
	assert_true(
	    finds("троллейбусов", SEARCH_LANG_RU, "Верните троллейбусы"));
	assert_true(finds("в'язні", SEARCH_LANG_UK, "Свободу в’язнів"));
	assert_true(finds("ёлка", SEARCH_LANG_RU, "елки"));
	assert_true(finds("елки", SEARCH_LANG_RU, "Ёлка"));
	/* Every word must be there. */
	assert_false(finds("accused innocent", SEARCH_LANG_EN, "accusations"));
	/* Another language's form does not match: "accus" as a Russian
	 * document's term would be a different word. */
	assert_false(finds("accused", SEARCH_LANG_RU, "accusations"));
}

static enum search_status
parse(struct arena *a, const char *q, size_t len, struct search_query *out)
{
	return search_query_parse(a, q, len, out);
}

static void
test_query_odd(void **state)
{
	static const char *const empty[] = { "", " ", "\"", "*", "-", "(", ")",
		"^", ":", "\"\"*()-+", "' ’ ʼ", SEARCH_MARK_OPEN,
		"\xF0\x9F\x98\x80" };
	static const char *const invalid[] = { "abc\xff", "\xc0\x80",
		"\xed\xa0\x80", "caf\xc3", "\xf4\x90\x80\x80" };
	struct arena *a = arena_new();
	struct search_query q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		assert_int_equal(parse(a, empty[i], strlen(empty[i]), &q),
		    SEARCH_EMPTY);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		assert_int_equal(parse(a, invalid[i], strlen(invalid[i]), &q),
		    SEARCH_INVALID);
		assert_int_equal(q.nwords, 0);
	}
	/* A NUL inside is not a word character, not the end. */
	assert_int_equal(parse(a, "a\0b", 3, &q), SEARCH_OK);
	assert_int_equal(q.nwords, 2);
	/* Operators are words like any other; their syntax is not. */
	assert_int_equal(parse(a, "NEAR(", 5, &q), SEARCH_OK);
	assert_int_equal(q.nwords, 1);
	assert_string_equal(q.words[0].form[SEARCH_LANG_EN], "en:near");
	assert_int_equal(parse(a, "NOT a OR b AND NEAR(c", 21, &q), SEARCH_OK);
	assert_int_equal(q.nwords, 7);
	assert_string_equal(q.words[0].form[SEARCH_LANG_EN], "en:not");
	/* Repeats, in any case, are one word. */
	assert_int_equal(parse(a, "Free free FREE", 14, &q), SEARCH_OK);
	assert_int_equal(q.nwords, 1);
	arena_free(a);
}

/* 10 KB of words: the first SEARCH_QUERY_WORDS distinct ones are read, the
 * rest only checked to be UTF-8. */
static void
test_query_long(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b);
	for (i = 0; b.len < 10240; i++)
		buf_printf(&b, "слово%d ", i);
	assert_int_equal(parse(a, b.data, b.len, &q), SEARCH_OK);
	assert_int_equal(q.nwords, SEARCH_QUERY_WORDS);
	assert_true(q.truncated);
	assert_string_equal(q.words[31].form[SEARCH_LANG_RU], "ru:слово31");
	/* Exactly SEARCH_QUERY_WORDS is not truncated. */
	buf_reset(&b);
	for (i = 0; i < SEARCH_QUERY_WORDS; i++)
		buf_printf(&b, "w%d w%d ", i, i);
	assert_int_equal(parse(a, b.data, b.len, &q), SEARCH_OK);
	assert_int_equal(q.nwords, SEARCH_QUERY_WORDS);
	assert_false(q.truncated);
	/* A bad byte at the very end of 10 KB is still seen. */
	buf_reset(&b);
	for (i = 0; b.len < 10240; i++)
		buf_puts(&b, "word ");
	buf_putc(&b, '\xff');
	assert_int_equal(parse(a, b.data, b.len, &q), SEARCH_INVALID);
	buf_reset(&b);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang_codes),
		cmocka_unit_test(test_stems),
		cmocka_unit_test(test_apostrophes),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_long_word),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_prefix_len),
		cmocka_unit_test(test_ukrainian_prefix),
		cmocka_unit_test(test_query_forms),
		cmocka_unit_test(test_query_odd),
		cmocka_unit_test(test_query_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
