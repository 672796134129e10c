/* test_search_sqlite.c - search_sqlite.c on a real SQLite: the tokenizer in
 * an FTS5 table made by docs/search-sqlite.sql, and search_cases.h's
 * queries however odd through MATCH expressions; highlights, refusals,
 * re-indexing. */
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
#include "search_cases.h"
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
add(const struct search_fixture *f)
{
	const char *fields[3] = { f->title, f->to, f->body };
	struct arena *a = arena_new();
	sqlite3_stmt *st;
	int i, l = search_lang_from_code(f->lang);

	assert_true(l >= 0);
	assert_int_equal(sqlite3_prepare_v2(DB,
			     "INSERT INTO petitions (id, lang, state) "
			     "VALUES (?1, ?2, ?3)",
			     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, f->id);
	sqlite3_bind_text(st, 2, f->lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->state, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	if (strcmp(f->state, "draft") != 0) {
		assert_int_equal(sqlite3_prepare_v2(DB, SQL_INDEX, -1, &st,
				     NULL),
		    SQLITE_OK);
		sqlite3_bind_int64(st, 1, f->id);
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

static const char *
find_len(const char *q, size_t len)
{
	return search_cases_find(search_sqlite_match, run_match, q, len);
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
	for (size_t i = 0;
	     i < sizeof(search_fixtures) / sizeof(search_fixtures[0]); i++)
		add(&search_fixtures[i]);
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

static void
test_cases(void **state)
{
	(void)state;
	search_cases_run(find_len);
}

static void
test_cases_generated(void **state)
{
	(void)state;
	search_cases_generated(find_len, 3000);
}

/* 10 KB: the MATCH of at most SEARCH_QUERY_WORDS words stays small. */
static void
test_long_query(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;
	struct buf b;
	char *match;
	int i;

	(void)state;
	search_cases_long(find_len);
	buf_init(&b);
	for (i = 0; b.len < 10240; i++)
		buf_printf(&b, "%dпетиція ", i);
	assert_int_equal(search_query_parse(a, b.data, b.len, &q), SEARCH_OK);
	assert_int_equal(q.nwords, SEARCH_QUERY_WORDS);
	match = search_sqlite_match(a, &q);
	assert_non_null(match);
	assert_true(strlen(match) < 4096);
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
	static const struct search_fixture forged = { 9, "en", "open",
		"<b>x</b> " SEARCH_MARK_OPEN "fake" SEARCH_MARK_CLOSE " tandem",
		"", "" };
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
	add(&forged);
	h = marked("highlight(petition_search, 0, ?3, ?4)", 9, "tandem");
	assert_string_equal(h, "&lt;b&gt;x&lt;/b&gt; fake <mark>tandem</mark>");
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
	static const struct search_fixture old = { 10, "en", "open",
		"Old words", "", "" };
	static const struct search_fixture edited = { 10, "en", "open",
		"New words", "", "" };

	(void)state;
	add(&old);
	assert_string_equal(find("old"), "10");
	/* The store's edit: the same statement again (petitions row kept). */
	exec("DELETE FROM petitions WHERE id = 10");
	add(&edited);
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
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_cases_generated),
		cmocka_unit_test(test_long_query),
		cmocka_unit_test(test_match_text),
		cmocka_unit_test(test_highlight),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reindex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
