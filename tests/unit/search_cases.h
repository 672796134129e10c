/* search_cases.h - what search must answer on either backend: the same
 * petitions, the same readers' queries (word forms, apostrophes, folding,
 * ranking, odd ones) and the same answers, for test_search_sqlite.c and
 * test_search_pg.c. Include after cmocka.h and buf.h. */
#ifndef HOLOS_TEST_SEARCH_CASES_H
#define HOLOS_TEST_SEARCH_CASES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct search_fixture {
	int64_t id;
	const char *lang, *state, *title, *to, *body;
};

/* The petitions; drafts are stored but never indexed. */
static const struct search_fixture search_fixtures[] = {
	{ 1, "en", "open", "Drop the accusations against the journalists",
	    "The Prosecutor General", "The charges are false." },
	{ 2, "ru", "open", "Верните троллейбусы в наш город", "Мэру",
	    "Троллейбусы ездили по городу сорок лет. Ёлка у мэрии." },
	{ 3, "uk", "open", "Свободу в’язням Кремля", "Президенту",
	    "Політичні вʼязні мають бути звільнені. Петиція про в'язнів." },
	{ 4, "en", "hidden", "Hidden accusations", "Nobody", "Accused." },
	{ 5, "ru", "draft", "Черновик про троллейбусы", "", "Accused." },
	{ 6, "en", "closed", "Bicycle lanes now", "The Council",
	    "Safer streets for everyone." },
	{ 7, "en", "victory", "Safer streets", "The Council",
	    "We need bicycle lanes, now." },
	{ 8, "en", "open", "Not and or near", "", "" },
	/* The same word with each way of writing the apostrophe. */
	{ 100, "uk", "open", "До п'ятниці", "", "" },
	{ 101, "uk", "open", "До п\u2019ятниці", "", "" },
	{ 102, "uk", "open", "До п\u02BCятниці", "", "" },
	{ 103, "uk", "open", "До п\u02B9ятниці", "", "" },
	{ 104, "uk", "open", "До п`ятниці", "", "" },
};

#define FRIDAY "104 103 102 101 100"

/* A reader's query and the ids it finds, best first ("" for none), or
 * "EMPTY" (no word in it) or "INVALID" (not UTF-8). */
static const struct {
	const char *q, *want;
} search_cases[] = {
	/* The three: word forms are found, not only prefixes. */
	{ "accused", "1" },
	{ "троллейбусов", "2" },
	{ "в'язні", "3" },
	{ "Петиції", "3" },
	{ "journalist charged", "1" },
	/* Every word must be found in the petition. */
	{ "accused троллейбусов", "" },
	{ "giraffe", "" },
	/* The query's language is not asked (an English reader's Russian
	 * query finds the Russian petition), and each petition is matched in
	 * its own: the Russian "петиция" finds the Ukrainian "Петиція" by its
	 * prefix "петиц", not by a Russian stem. */
	{ "Троллейбусов город", "2" },
	{ "accusations", "1" },
	{ "петиция", "3" },
	/* Any apostrophe, or none, on either side. */
	{ "п'ятниця", FRIDAY },
	{ "п\u2019ятниця", FRIDAY },
	{ "п\u02BCятниця", FRIDAY },
	{ "п\u02B9ятниця", FRIDAY },
	{ "п`ятниця", FRIDAY },
	{ "пятниця", FRIDAY },
	{ "в\u2019язнів", "3" },
	{ "в\u02BCязнів", "3" },
	{ "в`язнів", "3" },
	{ "вязнів", "3" },
	/* Case, ё for е and е for ё, compatibility forms. */
	{ "ACCUSED", "1" },
	{ "елка", "2" },
	{ "ЁЛКИ", "2" },
	{ "ＪＯＵＲＮＡＬＩＳＴＳ", "1" },
	/* Hidden and draft petitions never appear. */
	{ "hidden", "" },
	{ "nobody", "" },
	{ "черновик", "" },
	/* A title word ranks above an addressee's, which ranks above the
	 * text's. */
	{ "bicycle", "6 7" },
	{ "safer streets", "7 6" },
	/* Operators and syntax typed by a reader are words or nothing. */
	{ "NOT", "8" },
	{ "NOT OR AND NEAR(", "8" },
	{ "-accused", "1" },
	{ "accused -journalists", "1" },
	{ "!accused", "1" },
	{ "accused & | <-> journalists:*", "1" },
	{ "title:accused", "" },
	{ "\"accused\" OR \"bicycle\"", "" },
	{ "accus*", "1" },
	{ "(accused)", "1" },
	{ "' OR 1=1 --", "" },
	{ "a;DROP TABLE petitions;--", "" },
	/* Nothing but syntax: no word. */
	{ "\"", "EMPTY" },
	{ "*", "EMPTY" },
	{ "-", "EMPTY" },
	{ "(", "EMPTY" },
	{ ")", "EMPTY" },
	{ "^", "EMPTY" },
	{ "{}", "EMPTY" },
	{ ":", "EMPTY" },
	{ "+", "EMPTY" },
	{ "!", "EMPTY" },
	{ "&", "EMPTY" },
	{ "|", "EMPTY" },
	{ ":*", "EMPTY" },
	{ "<->", "EMPTY" },
	{ "\"\"", "EMPTY" },
	{ "'", "EMPTY" },
	{ "\\", "EMPTY" },
	{ "%_", "EMPTY" },
	{ "\"*\"", "EMPTY" },
	{ "\xEE\x80\x80", "EMPTY" },
	{ "\xF0\x9F\x98\x80", "EMPTY" },
	/* Odd, but words: a valid query either way. */
	{ "NEAR(", "8" },
	{ "NEAR(a b", "" },
	{ "NEAR(\"a\" \"b\", 2)", "" },
	{ "{a b}:x", "" },
	{ "\"unterminated", "" },
	{ "a\\b", "" },
	{ "\u05e6\u05d4\"\u05dc", "" },
	/* Not UTF-8: the page answers 400. */
	{ "abc\xff", "INVALID" },
	{ "\xed\xa0\x80", "INVALID" },
	{ "\xc0\xaf", "INVALID" },
	{ "caf\xc3", "INVALID" },
};

/* A backend's answer to a query of len bytes, as in search_cases. */
typedef const char *(*search_find_fn)(const char *q, size_t len);

/* Runs a query's expression (search_sqlite_match() or search_pg_tsquery())
 * on a backend: the ids found, best first, space-separated, into out. */
typedef void (*search_run_fn)(const char *expr, char *out, size_t size);

/* The answer to a query as search_cases has it: run's, or the refusal.
 * expr makes the backend's expression. Static until the next call. */
static const char *
search_cases_find(char *(*expr)(struct arena *, const struct search_query *),
    search_run_fn run, const char *q, size_t len)
{
	static char out[512];
	struct arena *a = arena_new();
	struct search_query sq;
	enum search_status s;
	char *e;

	switch ((s = search_query_parse(a, q, len, &sq))) {
	case SEARCH_OK:
		e = expr(a, &sq);
		assert_non_null(e);
		run(e, out, sizeof(out));
		break;
	case SEARCH_EMPTY: snprintf(out, sizeof(out), "EMPTY"); break;
	case SEARCH_INVALID: snprintf(out, sizeof(out), "INVALID"); break;
	default: fail_msg("query status %d", s);
	}
	arena_free(a);
	return out;
}

static void
search_cases_run(search_find_fn find)
{
	size_t i;

	for (i = 0; i < sizeof(search_cases) / sizeof(search_cases[0]); i++) {
		const char *got =
		    find(search_cases[i].q, strlen(search_cases[i].q));

		if (strcmp(got, search_cases[i].want) != 0)
			fail_msg("query \"%s\": found \"%s\", want \"%s\"",
			    search_cases[i].q, got, search_cases[i].want);
	}
	/* A NUL inside a query is not its end. */
	assert_string_equal(find("accused\0", 8), "1");
}

/* Thousands of queries made of both backends' syntax, words and stray
 * bytes: each is refused as not UTF-8 exactly when it is not (form.c's
 * check is the judge), and otherwise runs (find fails the test on a
 * database error). */
static void
search_cases_generated(search_find_fn find, int rounds)
{
	static const char *const parts[] = { "\"", "*", "(", ")", "NEAR", "AND",
		"OR", "NOT", "-", "+", "^", ":", "{", "}", ",", "'", "\u2019",
		" ", "a", "accused", "в'язні", "title", "!", "&", "|", "<->",
		":*", "\xEE\x80\x80", "\xEE\x80\x81", "\xff", "\xd0", "\0",
		"\\", "троллейбусов", "0", "\t" };
	const size_t nparts = sizeof(parts) / sizeof(parts[0]);
	uint32_t x = 2463534242u; /* xorshift32: the same queries each run */
	char q[256];
	int round;

	for (round = 0; round < rounds; round++) {
		size_t len = 0, k, n;
		const char *got;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		n = 1 + x % 12;
		for (k = 0; k < n; k++) {
			const char *p;
			size_t pl;

			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			p = parts[x % nparts];
			pl = *p == '\0' ? 1 : strlen(p);
			memcpy(q + len, p, pl);
			len += pl;
		}
		got = find(q, len);
		if (form_utf8_valid(q, len) != (strcmp(got, "INVALID") != 0))
			fail_msg("generated query %d: %s", round, got);
	}
}

/* 10 KB queries: of words and syntax (at most SEARCH_QUERY_WORDS words
 * reach the database, and it runs), and of syntax alone. */
static void
search_cases_long(search_find_fn find)
{
	struct buf b;
	int i;

	buf_init(&b);
	buf_puts(&b, "accused ");
	for (i = 0; b.len < 10240; i++)
		buf_printf(&b, "NEAR(\"w%d\" * -x%d) | w%d:* & ", i, i, i);
	assert_string_equal(find(b.data, b.len), "");
	buf_reset(&b);
	for (i = 0; i < 10240; i++)
		buf_putc(&b, "\"*()!&|:"[i % 8]);
	assert_string_equal(find(b.data, b.len), "EMPTY");
	buf_reset(&b);
}

#endif
