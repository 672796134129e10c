/* test_search_sqlite.c - search_sqlite.c on a real SQLite: the tokenizer in
 * an FTS5 table made by docs/search-sqlite.sql, the MATCH expressions of
 * reader's queries however odd, ranking, highlights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/search_sqlite.c"
#include "form.h"
#include "named_sql.h"
#include "search_snippet.h"

#define SQL_FILE "docs/search-sqlite.sql"

static sqlite3 *DB;
static char *SQL_INDEX, *SQL_SEARCH, *SQL_COUNT, *SQL_UNINDEX;

static void
exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(DB, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* Adds a petition and, unless it is a draft, indexes it as the store will. */
static void
add(int64_t id, const char *lang, const char *state, const char *title,
    const char *to, const char *body)
{
	const char *fields[3] = { title, to, body };
	struct arena *a = arena_new();
	sqlite3_stmt *st;
	int i, l = search_lang_from_code(lang);

	assert_true(l >= 0);
	assert_int_equal(sqlite3_prepare_v2(DB,
			     "INSERT INTO petitions (id, lang, state) "
			     "VALUES (?1, ?2, ?3)",
			     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	if (strcmp(state, "draft") != 0) {
		assert_int_equal(sqlite3_prepare_v2(DB, SQL_INDEX, -1, &st,
				     NULL),
		    SQLITE_OK);
		sqlite3_bind_int64(st, 1, id);
		for (i = 0; i < 3; i++) {
			size_t n;
			char *v = search_sqlite_document(a, l, fields[i],
			    strlen(fields[i]), &n);

			assert_non_null(v);
			sqlite3_bind_text(st, i + 2, v, (int)n,
			    SQLITE_TRANSIENT);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			fail_msg("index: %s", sqlite3_errmsg(DB));
		sqlite3_finalize(st);
	}
	arena_free(a);
}

/* Runs the search statement for a MATCH expression; its ids best first,
 * space-separated, into out. Fails the test on any SQLite error. */
static void
run_match(const char *match, char *out, size_t size)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int rc, rows = 0;

	out[0] = '\0';
	if (sqlite3_prepare_v2(DB, SQL_SEARCH, -1, &st, NULL) != SQLITE_OK)
		fail_msg("search: %s", sqlite3_errmsg(DB));
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, 100);
	sqlite3_bind_int(st, 3, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n += (size_t)snprintf(out + n, size - n, "%s%lld",
		    n > 0 ? " " : "", (long long)sqlite3_column_int64(st, 0));
		rows++;
	}
	if (rc != SQLITE_DONE)
		fail_msg("MATCH %s: %s", match, sqlite3_errmsg(DB));
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(DB, SQL_COUNT, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), rows);
	sqlite3_finalize(st);
}

/* The ids a reader's query finds, best first ("3 1"; "" for none), or
 * "EMPTY" / "INVALID" when the query is refused. */
static const char *
find_len(const char *q, size_t len)
{
	static char out[512];
	struct arena *a = arena_new();
	struct search_query sq;
	enum search_status s;
	char *match;

	switch ((s = search_query_parse(a, q, len, &sq))) {
	case SEARCH_OK:
		match = search_sqlite_match(a, &sq);
		assert_non_null(match);
		run_match(match, out, sizeof(out));
		break;
	case SEARCH_EMPTY: snprintf(out, sizeof(out), "EMPTY"); break;
	case SEARCH_INVALID: snprintf(out, sizeof(out), "INVALID"); break;
	default: fail_msg("query status %d", s);
	}
	arena_free(a);
	return out;
}

static const char *
find(const char *q)
{
	return find_len(q, strlen(q));
}

static int
setup(void **state)
{
	char *schema;

	(void)state;
	if (sqlite3_open(":memory:", &DB) != SQLITE_OK ||
	    search_sqlite_register(DB) != 0)
		return -1;
	exec("CREATE TABLE petitions (id INTEGER PRIMARY KEY, lang TEXT, "
	     "state TEXT)");
	schema = named_sql(SQL_FILE, "schema");
	exec(schema);
	free(schema);
	SQL_INDEX = named_sql(SQL_FILE, "index");
	SQL_UNINDEX = named_sql(SQL_FILE, "unindex");
	SQL_SEARCH = named_sql(SQL_FILE, "search");
	SQL_COUNT = named_sql(SQL_FILE, "count");
	add(1, "en", "open", "Drop the accusations against the journalists",
	    "The Prosecutor General", "The charges are false.");
	add(2, "ru", "open", "Верните троллейбусы в наш город", "Мэру",
	    "Троллейбусы ездили по городу сорок лет. Ёлка у мэрии.");
	add(3, "uk", "open", "Свободу в’язням Кремля", "Президенту",
	    "Політичні вʼязні мають бути звільнені. Петиція про в'язнів.");
	add(4, "en", "hidden", "Hidden accusations", "Nobody", "Accused.");
	add(5, "ru", "draft", "Черновик про троллейбусы", "", "Accused.");
	add(6, "en", "closed", "Bicycle lanes now", "The Council",
	    "Safer streets for everyone.");
	add(7, "en", "victory", "Safer streets", "The Council",
	    "We need bicycle lanes, now.");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(SQL_INDEX);
	free(SQL_UNINDEX);
	free(SQL_SEARCH);
	free(SQL_COUNT);
	sqlite3_close(DB);
	return 0;
}

/* The three: word forms are found, not only prefixes. */
static void
test_word_forms(void **state)
{
	(void)state;
	assert_string_equal(find("accused"), "1");
	assert_string_equal(find("троллейбусов"), "2");
	assert_string_equal(find("в'язні"), "3");
	assert_string_equal(find("Петиції"), "3");
	assert_string_equal(find("journalist charged"), "1");
	/* Every word must be found in the petition. */
	assert_string_equal(find("accused троллейбусов"), "");
	assert_string_equal(find("giraffe"), "");
}

/* The query's language is unknown (the interface is only a hint, and
 * search_query_parse() takes none): a Russian query finds the Russian
 * petition as an English reader's would, and an English query only the
 * English ones. */
static void
test_language_of_query(void **state)
{
	(void)state;
	assert_string_equal(find("Троллейбусов город"), "2");
	assert_string_equal(find("accusations"), "1");
	/* Russian stems for Russian petitions only: the Ukrainian petition's
	 * "Петиція" is not matched by the Russian "петиция" via a stem, but
	 * by its prefix "петиц". */
	assert_string_equal(find("петиция"), "3");
}

/* Any apostrophe on either side: one word. */
static void
test_apostrophes(void **state)
{
	static const char *const apos[] = { "'", "\u2019", "\u02BC", "\u02B9",
		"`" };
	char text[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "До п%sятниці", apos[i]);
		add(100 + (int64_t)i, "uk", "open", text, "", "");
	}
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "п%sятниця", apos[i]);
		assert_string_equal(find(text), "104 103 102 101 100");
	}
	assert_string_equal(find("пятниця"), "104 103 102 101 100");
	for (j = 0; j < 5; j++) {
		char q[64];

		snprintf(q, sizeof(q), "в%sязнів", apos[j]);
		assert_string_equal(find(q), "3");
	}
}

/* Case, ё for е and е for ё, compatibility forms. */
static void
test_folding(void **state)
{
	(void)state;
	assert_string_equal(find("ACCUSED"), "1");
	assert_string_equal(find("елка"), "2");
	assert_string_equal(find("ЁЛКИ"), "2");
	assert_string_equal(find("ＪＯＵＲＮＡＬＩＳＴＳ"), "1");
}

/* Hidden and draft petitions never appear, whatever the index holds. */
static void
test_not_public(void **state)
{
	(void)state;
	assert_string_equal(find("hidden"), "");
	assert_string_equal(find("nobody"), "");
	assert_string_equal(find("черновик"), "");
}

/* A title word ranks above the same word in the text. */
static void
test_ranking(void **state)
{
	(void)state;
	assert_string_equal(find("bicycle"), "6 7");
	assert_string_equal(find("safer streets"), "7 6");
	assert_string_equal(find("council"), "7 6");
}

/* Operators and syntax typed by a reader are words or nothing. */
static void
test_syntax_is_text(void **state)
{
	(void)state;
	add(8, "en", "open", "Not and or near", "", "");
	assert_string_equal(find("NOT"), "8");
	assert_string_equal(find("NOT OR AND NEAR("), "8");
	assert_string_equal(find("-accused"), "1");
	assert_string_equal(find("accused -journalists"), "1");
	assert_string_equal(find("title:accused"), "");
	assert_string_equal(find("\"accused\" OR \"bicycle\""), "");
	assert_string_equal(find("accus*"), "1");
	assert_string_equal(find("(accused)"), "1");
}

/* Each odd query is a clean refusal or a valid MATCH, never an SQLite
 * error (run_match fails the test on one). */
static void
test_odd_queries(void **state)
{
	static const char *const empty[] = { "\"", "*", "-", "(", ")", "^", "{",
		"}", ":", "+", "\"\"", "'", "\\", "%", "_", "\"*\"",
		"\xEE\x80\x80", "\xF0\x9F\x98\x80" };
	static const char *const runs[] = { "NEAR(", "NEAR(a b", "a AND", "OR",
		"NOT NOT", "a\"b", "{a b}:x", "x* y*", "a - b",
		"\"unterminated", "col:\"x\"", "a;DROP TABLE petitions;--",
		"' OR 1=1 --", "NEAR(\"a\" \"b\", 2)", "\u05e6\u05d4\"\u05dc" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		assert_string_equal(find(empty[i]), "EMPTY");
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const char *r = find(runs[i]);

		assert_string_not_equal(r, "EMPTY");
		assert_string_not_equal(r, "INVALID");
	}
	assert_string_equal(find("abc\xff"), "INVALID");
	assert_string_equal(find("\xed\xa0\x80"), "INVALID");
	assert_string_equal(find("\xc0\xaf"), "INVALID");
	assert_string_equal(find_len("accused\0", 8), "1");
	/* The petitions table is still there. */
	assert_string_equal(find("accused"), "1");
}

/* Thousands of queries made of search syntax, words and stray bytes: each
 * is refused as not UTF-8 exactly when it is not, and otherwise runs. */
static void
test_odd_queries_generated(void **state)
{
	static const char *const parts[] = { "\"", "*", "(", ")", "NEAR", "AND",
		"OR", "NOT", "-", "+", "^", ":", "{", "}", ",", "'", "\u2019",
		" ", "a", "accused", "в'язні", "title", "body", "\xEE\x80\x80",
		"\xEE\x80\x81", "\xff", "\xd0", "\0", "\\", "троллейбусов", "0",
		"\t" };
	const size_t nparts = sizeof(parts) / sizeof(parts[0]);
	uint32_t x = 2463534242u; /* xorshift32: the same queries each run */
	char q[256];
	int round;

	(void)state;
	for (round = 0; round < 3000; round++) {
		size_t len = 0, k, parts_n;
		const char *r;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		parts_n = 1 + x % 12;
		for (k = 0; k < parts_n; k++) {
			const char *p;
			size_t pl;

			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			p = parts[x % nparts];
			pl = *p == '\0' ? 1 : strlen(p);
			memcpy(q + len, p, pl);
			len += pl;
		}
		r = find_len(q, len);
		if (!form_utf8_valid(q, len))
			assert_string_equal(r, "INVALID");
		else
			assert_string_not_equal(r, "INVALID");
	}
}

/* 10 KB of words: at most SEARCH_QUERY_WORDS of them reach the MATCH, and
 * it runs. */
static void
test_long_query(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;
	struct buf b;
	char *match, out[64];
	int i;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "accused ");
	for (i = 0; b.len < 10240; i++)
		buf_printf(&b, "NEAR(\"w%d\" * -x%d) ", i, i);
	assert_int_equal(search_query_parse(a, b.data, b.len, &q), SEARCH_OK);
	assert_int_equal(q.nwords, SEARCH_QUERY_WORDS);
	match = search_sqlite_match(a, &q);
	assert_non_null(match);
	assert_true(strlen(match) < 4096);
	run_match(match, out, sizeof(out));
	assert_string_equal(out, "");
	buf_reset(&b);
	for (i = 0; i < 10240; i++)
		buf_putc(&b, "\"*()"[i % 4]);
	assert_string_equal(find_len(b.data, b.len), "EMPTY");
	buf_reset(&b);
	arena_free(a);
}

static void
test_match_text(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;
	const char *s = "Accused в’язні", *hebrew = "\u05e6\u05d4\"\u05dc";

	(void)state;
	assert_int_equal(search_query_parse(a, s, strlen(s), &q), SEARCH_OK);
	assert_string_equal(search_sqlite_match(a, &q),
	    "(\"en:accus\" OR \"ru:accused\" OR \"uk:accus\" *) AND "
	    "(\"en:вязні\" OR \"ru:вязні\" OR \"uk:вязн\" *)");
	/* A '"' inside a word (Hebrew gershayim) is doubled. */
	assert_int_equal(search_query_parse(a, hebrew, strlen(hebrew), &q),
	    SEARCH_OK);
	assert_non_null(strstr(search_sqlite_match(a, &q),
	    "\"en:\u05e6\u05d4\"\"\u05dc\""));
	q.nwords = 0;
	assert_null(search_sqlite_match(a, &q));
	arena_free(a);
}

/* One column through highlight() or snippet() with the markers, as HTML. */
static char *
marked(const char *fn, int64_t id, const char *query)
{
	struct arena *a = arena_new();
	struct search_query q;
	sqlite3_stmt *st;
	struct buf b;
	char *sql, *out;

	assert_int_equal(search_query_parse(a, query, strlen(query), &q),
	    SEARCH_OK);
	sql = arena_printf(a,
	    "SELECT %s FROM petition_search WHERE petition_search MATCH ?1 "
	    "AND rowid = ?2",
	    fn);
	assert_int_equal(sqlite3_prepare_v2(DB, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, search_sqlite_match(a, &q), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, SEARCH_MARK_OPEN, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, SEARCH_MARK_CLOSE, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	buf_init(&b);
	search_snippet_html(&b, (const char *)sqlite3_column_text(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	arena_free(a);
	out = buf_steal(&b, NULL);
	assert_non_null(out);
	return out;
}

/* FTS5's highlight() and snippet() find the words by the tokenizer's
 * offsets; the markers become <mark> after escaping, the language tag
 * goes, and marker characters typed by a petition's author are gone before
 * they are stored. */
static void
test_highlight(void **state)
{
	char *h;

	(void)state;
	h = marked("highlight(petition_search, 0, ?3, ?4)", 2, "троллейбусов");
	assert_string_equal(h, "Верните <mark>троллейбусы</mark> в наш город");
	free(h);
	h = marked("highlight(petition_search, 0, ?3, ?4)", 3, "в'язні");
	assert_string_equal(h, "Свободу <mark>в’язням</mark> Кремля");
	free(h);
	h = marked("snippet(petition_search, 2, ?3, ?4, '…', 4)", 3, "петиція");
	assert_string_equal(h,
	    "…звільнені. <mark>Петиція</mark> про в&#39;язнів.");
	free(h);
	add(9, "en", "open",
	    "<b>x</b> " SEARCH_MARK_OPEN "fake" SEARCH_MARK_CLOSE " bicycle",
	    "", "");
	h = marked("highlight(petition_search, 0, ?3, ?4)", 9, "bicycle");
	assert_string_equal(h, "&lt;b&gt;x&lt;/b&gt; fake <mark>bicycle</mark>");
	free(h);
}

/* A document must carry its language; a bad tokenizer argument is
 * refused. Neither breaks the connection. */
static void
test_refusals(void **state)
{
	(void)state;
	assert_int_not_equal(sqlite3_exec(DB,
				 "INSERT INTO petition_search (rowid, title, "
				 "addressees, body) VALUES (50, 'plain', '', '')",
				 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(DB,
				 "CREATE VIRTUAL TABLE t USING fts5(a, "
				 "tokenize = 'holos extra')",
				 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_string_equal(find("plain"), "");
	assert_string_equal(find("accused"), "1");
}

/* An edit replaces the indexed words; unindexing removes them. */
static void
test_reindex(void **state)
{
	sqlite3_stmt *st;

	(void)state;
	add(10, "en", "open", "Old words", "", "");
	assert_string_equal(find("old"), "10");
	/* The store's edit: the same statement again (petitions row kept). */
	exec("DELETE FROM petitions WHERE id = 10");
	add(10, "en", "open", "New words", "", "");
	assert_string_equal(find("old"), "");
	assert_string_equal(find("new words"), "10");
	assert_int_equal(sqlite3_prepare_v2(DB, SQL_UNINDEX, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, 10);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_string_equal(find("new"), "");
	exec("INSERT INTO petition_search (petition_search) "
	     "VALUES ('integrity-check')");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_forms),
		cmocka_unit_test(test_language_of_query),
		cmocka_unit_test(test_apostrophes),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_not_public),
		cmocka_unit_test(test_ranking),
		cmocka_unit_test(test_syntax_is_text),
		cmocka_unit_test(test_odd_queries),
		cmocka_unit_test(test_odd_queries_generated),
		cmocka_unit_test(test_long_query),
		cmocka_unit_test(test_match_text),
		cmocka_unit_test(test_highlight),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reindex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
