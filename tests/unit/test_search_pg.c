/* test_search_pg.c - search_pg.c: the tsvector and tsquery literals, and,
 * when HOLOS_TEST_PG holds a maintenance DSN, the statements of
 * docs/search-pg.sql on a real PostgreSQL (in a schema of their own, made
 * and dropped) with search_cases.h's queries, as on SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "../../src/search_pg.c"
#include "form.h"
#include "named_sql.h"
#include "search_cases.h"

#define SQL_FILE "docs/search-pg.sql"

static struct search_text *ST;
static PGconn *PG;
static char SCHEMA[32];
static char *SQL_INDEX, *SQL_SEARCH, *SQL_COUNT, *SQL_UNINDEX;

/* ---- the literals, without a database ---- */

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
	ST = NULL;
	return 0;
}

/* The tsvector of a title, addressees and text in lang. */
static char *
vector(struct arena *a, enum search_lang lang, const char *title,
    const char *to, const char *body)
{
	struct search_field f[3] = {
		{ title, strlen(title), 'A' },
		{ to, strlen(to), 'B' },
		{ body, strlen(body), 'C' },
	};
	char *v = search_pg_tsvector(a, ST, lang, f, 3);

	assert_non_null(v);
	return v;
}

static void
test_vector_text(void **state)
{
	struct arena *a = arena_new();
	struct search_field bad[] = { { "x", 1, 'E' } };
	struct search_field invalid[] = { { "x\xff", 2, 'A' } };

	(void)state;
	assert_string_equal(vector(a, SEARCH_LANG_EN, "Accused!", "The Mayor",
				"accusations"),
	    "'en:accus':1A 'en:the':2B 'en:mayor':3B 'en:accus':4C");
	assert_string_equal(vector(a, SEARCH_LANG_UK, "в’язні", "", ""),
	    "'uk:вязні':1A");
	assert_string_equal(vector(a, SEARCH_LANG_RU, "", "...", ""), "");
	assert_null(search_pg_tsvector(a, ST, SEARCH_LANG_EN, bad, 1));
	assert_null(search_pg_tsvector(a, ST, SEARCH_LANG_EN, invalid, 1));
	arena_free(a);
}

static void
test_query_text(void **state)
{
	struct arena *a = arena_new();
	struct search_query q;
	const char *s = "Accused в’язні";

	(void)state;
	assert_int_equal(search_query_parse(a, s, strlen(s), &q), SEARCH_OK);
	assert_string_equal(search_pg_tsquery(a, &q),
	    "('en:accus' | 'ru:accused' | 'uk:accus':*) & "
	    "('en:вязні' | 'ru:вязні' | 'uk:вязн':*)");
	q.nwords = 0;
	assert_null(search_pg_tsquery(a, &q));
	arena_free(a);
}

static void
test_quote(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	lexeme_quote(&b, "a'b\\c''", 7);
	assert_string_equal(b.data, "'a''b\\\\c'''''");
	buf_reset(&b);
}

/* ---- on PostgreSQL ---- */

static PGresult *
pg_run(const char *sql, int n, const char *const *params, ExecStatusType ok)
{
	PGresult *r = PQexecParams(PG, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != ok)
		fail_msg("%s: %s", sql, PQerrorMessage(PG));
	return r;
}

static void
pg_exec(const char *sql)
{
	PQclear(pg_run(sql, 0, NULL, PGRES_COMMAND_OK));
}

static void
add(const struct search_fixture *f)
{
	struct arena *a = arena_new();
	const char *p[3] = { arena_printf(a, "%lld", (long long)f->id), f->lang,
		f->state };

	PQclear(pg_run("INSERT INTO petitions (id, lang, state) "
		       "VALUES ($1, $2, $3)",
	    3, p, PGRES_COMMAND_OK));
	if (strcmp(f->state, "draft") != 0) {
		p[1] = vector(a, search_lang_from_code(f->lang), f->title,
		    f->to, f->body);
		PQclear(pg_run(SQL_INDEX, 2, p, PGRES_COMMAND_OK));
	}
	arena_free(a);
}

/* Runs the search statement for a tsquery literal; its ids best first into
 * out. Fails the test on any PostgreSQL error. */
static void
run_query(const char *tsq, char *out, size_t size)
{
	const char *p[3] = { tsq, "100", "0" };
	PGresult *r = pg_run(SQL_SEARCH, 3, p, PGRES_TUPLES_OK);
	size_t n = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < PQntuples(r); i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s",
		    n > 0 ? " " : "", PQgetvalue(r, i, 0));
	PQclear(r);
	r = pg_run(SQL_COUNT, 1, p, PGRES_TUPLES_OK);
	assert_int_equal(atoi(PQgetvalue(r, 0, 0)), i);
	PQclear(r);
}

static const char *
find_len(const char *q, size_t len)
{
	return search_cases_find(search_pg_tsquery, run_query, q, len);
}

static const char *
find(const char *q)
{
	return find_len(q, strlen(q));
}

static int
pg_setup(void **state)
{
	char sql[160], *schema;
	PGresult *r;

	if (setup(state) != 0)
		return -1;
	PG = PQconnectdb(getenv("HOLOS_TEST_PG"));
	if (PQstatus(PG) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(PG));
		return -1;
	}
	r = PQexec(PG, "SET client_min_messages = warning");
	PQclear(r);
	snprintf(SCHEMA, sizeof(SCHEMA), "holos_search_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s; SET search_path TO %s",
	    SCHEMA, SCHEMA);
	r = PQexec(PG, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s", PQerrorMessage(PG));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	/* The columns of migrations/pg's petitions that search reads. */
	pg_exec("CREATE TABLE petitions (id BIGINT PRIMARY KEY, lang TEXT "
		"NOT NULL, state TEXT NOT NULL)");
	schema = named_sql(SQL_FILE, "schema");
	r = PQexec(PG, schema);
	free(schema);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "schema: %s", PQerrorMessage(PG));
		PQclear(r);
		return -1;
	}
	PQclear(r);
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
pg_teardown(void **state)
{
	char sql[128];
	PGresult *r;

	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", SCHEMA);
	r = PQexec(PG, sql);
	PQclear(r);
	PQfinish(PG);
	free(SQL_INDEX);
	free(SQL_UNINDEX);
	free(SQL_SEARCH);
	free(SQL_COUNT);
	return teardown(state);
}

static void
test_pg_cases(void **state)
{
	(void)state;
	search_cases_run(find_len);
}

static void
test_pg_cases_generated(void **state)
{
	(void)state;
	search_cases_generated(find_len, 1000);
}

/* Unindexing takes a petition out of the results. */
static void
test_pg_unindex(void **state)
{
	const char *p[1] = { "7" };

	(void)state;
	assert_string_equal(find("bicycle"), "6 7");
	PQclear(pg_run(SQL_UNINDEX, 1, p, PGRES_COMMAND_OK));
	assert_string_equal(find("bicycle"), "6");
}

/* A 10 KB query runs; a long document's positions and repeated words stay
 * within PostgreSQL's limits. */
static void
test_pg_long(void **state)
{
	struct arena *a = arena_new();
	struct buf b;
	PGresult *r;
	const char *p[1];
	int i;

	(void)state;
	search_cases_long(find_len);
	buf_init(&b);
	for (i = 0; i < 20000; i++)
		buf_puts(&b, i % 2 ? "bicycle " : "lane ");
	p[0] = vector(a, SEARCH_LANG_EN, "Long", "", b.data);
	r = pg_run("SELECT length(CAST($1 AS tsvector))", 1, p, PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "3");
	PQclear(r);
	/* Lexemes holding ' and \ survive the quoting. */
	buf_reset(&b);
	lexeme_quote(&b, "a'b\\c", 5);
	p[0] = b.data;
	r = pg_run("SELECT strip(CAST($1 AS tsvector))::text", 1, p,
	    PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "'a''b\\\\c'");
	PQclear(r);
	buf_reset(&b);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_text),
		cmocka_unit_test(test_query_text),
		cmocka_unit_test(test_quote),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test(test_pg_cases),
		cmocka_unit_test(test_pg_cases_generated),
		cmocka_unit_test(test_pg_unindex),
		cmocka_unit_test(test_pg_long),
	};
	const char *pg = getenv("HOLOS_TEST_PG");
	int failed;

	failed =
	    cmocka_run_group_tests_name("search_pg", tests, setup, teardown);
	if (pg == NULL || *pg == '\0') {
		printf("search_pg on PostgreSQL: skipped (set HOLOS_TEST_PG to "
		       "a maintenance DSN to run it)\n");
		return failed;
	}
	failed += cmocka_run_group_tests_name("search_pg_postgresql", pg_tests,
	    pg_setup, pg_teardown);
	return failed;
}
