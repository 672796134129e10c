/* e2e_i18n.c - end-to-end tests of languages: negotiation by parameter,
 * cookie and Accept-Language, plural and number formats on the page,
 * country names, petition translations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define NBSP "\xc2\xa0"
#define RU_LINE "0 людей подписали. Следующая цель: 15" NBSP "000"
#define UK_LINE "0 людей підписали. Наступна мета: 15" NBSP "000"
#define EN_LINE "0 people have signed. Next goal: 15,000"
#define SEED_PATH_ "/p/" SEED_SLUG

static struct server *srv;

/* GETs path with the given headers from a fresh client (or c when given)
 * and asserts status 200 and that the count line is want. */
static void
expect_line(struct client *c, const char *path, const char *const *headers,
    const char *want)
{
	struct client *own = c ? NULL : client_new(srv);
	struct resp r;

	client_get_headers(c ? c : own, path, headers, &r);
	if (r.status != 200)
		fail_msg("GET %s: status %ld", path, r.status);
	char *line = html_count_line(r.body.data);
	if (line == NULL || strcmp(line, want) != 0)
		fail_msg("GET %s (%s): count line \"%s\", want \"%s\"", path,
		    headers && headers[0] ? headers[0] : "no header",
		    line ? line : "(none)", want);
	free(line);
	resp_free(&r);
	if (own)
		client_free(own);
}

static void
test_by_parameter(void **state)
{
	(void)state;
	expect_line(NULL, SEED_PATH_ "?lang=ru", NULL, RU_LINE);
	expect_line(NULL, SEED_PATH_ "?lang=uk", NULL, UK_LINE);
	expect_line(NULL, SEED_PATH_ "?lang=en", NULL, EN_LINE);
	/* An unknown language falls back to the default. */
	expect_line(NULL, SEED_PATH_ "?lang=xx", NULL, EN_LINE);
}

static void
test_by_header(void **state)
{
	(void)state;
	const char *ru[] = { "Accept-Language: ru-RU,ru;q=0.9,en;q=0.5", NULL };
	const char *uk[] = { "Accept-Language: de, uk;q=0.8, ru;q=0.3", NULL };
	const char *en[] = { "Accept-Language: fr-CH, fr;q=0.9", NULL };
	expect_line(NULL, SEED_PATH_, ru, RU_LINE);
	expect_line(NULL, SEED_PATH_, uk, UK_LINE);
	expect_line(NULL, SEED_PATH_, en, EN_LINE);
}

static void
test_by_cookie(void **state)
{
	(void)state;
	const char *ru[] = { "Cookie: holos_lang=ru", NULL };
	const char *uk_over_header[] = { "Cookie: holos_lang=uk",
		"Accept-Language: ru", NULL };
	expect_line(NULL, SEED_PATH_, ru, RU_LINE);
	/* The cookie beats the header, the parameter beats the cookie. */
	expect_line(NULL, SEED_PATH_, uk_over_header, UK_LINE);
	expect_line(NULL, SEED_PATH_ "?lang=en", uk_over_header, EN_LINE);
}

static void
test_switcher_sets_cookie(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;

	client_get(c, SEED_PATH_ "?lang=uk", &r);
	assert_int_equal(r.status, 200);
	char *cookie = resp_header(&r, "Set-Cookie");
	assert_non_null(cookie);
	assert_non_null(strstr(cookie, "holos_lang=uk"));
	assert_non_null(strstr(cookie, "SameSite=Lax"));
	free(cookie);
	/* The page shows the switcher and the alternates in every language. */
	assert_non_null(strstr(r.body.data, "<html lang=\"uk\""));
	assert_non_null(strstr(r.body.data, "hreflang=\"ru\""));
	assert_non_null(strstr(r.body.data, "hreflang=\"en\""));
	assert_non_null(strstr(r.body.data, "Русский"));
	assert_non_null(strstr(r.body.data, "English"));
	resp_free(&r);
	/* The same browser, no parameter: still Ukrainian. */
	expect_line(c, SEED_PATH_, NULL, UK_LINE);
	client_free(c);
}

static void
test_malformed_accept_language(void **state)
{
	(void)state;
	const char *junk[] = { "Accept-Language: ;;;q=abc", NULL };
	const char *eq[] = { "Accept-Language: ru;q=, uk;q=5, =;=;", NULL };
	char *commas = malloc(10 * 1024 + 32);
	assert_non_null(commas);
	strcpy(commas, "Accept-Language: ");
	memset(commas + strlen(commas), ',', 10 * 1024);
	commas[17 + 10 * 1024] = '\0';
	const char *many[] = { commas, NULL };
	expect_line(NULL, SEED_PATH_, junk, EN_LINE);
	expect_line(NULL, SEED_PATH_, eq, EN_LINE);
	expect_line(NULL, SEED_PATH_, many, EN_LINE);
	free(commas);
}

static void
test_countries_in_language(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	const char *uk[] = { "Accept-Language: uk-UA,uk;q=0.9", NULL };
	struct resp r;

	client_get_headers(c, SEED_PATH_, uk, &r);
	assert_int_equal(r.status, 200);
	/* Named in Ukrainian, and the region of the header is preselected. */
	assert_non_null(
	    strstr(r.body.data, "<option value=\"UA\" selected>Україна\n"));
	assert_non_null(strstr(r.body.data, ">Німеччина\n"));
	/* Sorted by the language's collation: Австралія before Японія. */
	char *a = strstr(r.body.data, ">Австралія\n");
	char *z = strstr(r.body.data, ">Японія\n");
	assert_non_null(a);
	assert_non_null(z);
	assert_true(a < z);
	resp_free(&r);
	client_free(c);
}

static void
test_error_page_in_language(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;

	client_get(c, "/p/no-such-petition?lang=ru", &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body.data, "Страница не найдена"));
	assert_non_null(strstr(r.body.data, "<html lang=\"ru\""));
	resp_free(&r);
	client_free(c);
}

static void
test_translation(void **state)
{
	(void)state;
	char path[512], tr[512];
	struct hbuf out = { 0 }, err = { 0 };
	const char *main_md =
	    "---\ntitle: Clean water for every school\nto: Ministry of Education\n"
	    "goal: 100\nlang: en\nslug: clean-water\n---\nEvery school needs "
	    "clean water.\n";
	const char *ru_md =
	    "---\ntitle: Чистая вода в каждой школе\n---\nКаждой школе нужна "
	    "*чистая* вода.\n";

	snprintf(path, sizeof path, "%s/clean-water.md", srv->root);
	snprintf(tr, sizeof tr, "%s/clean-water.ru.md", srv->root);
	assert_int_equal(write_file(path, main_md, strlen(main_md)), 0);
	assert_int_equal(write_file(tr, ru_md, strlen(ru_md)), 0);
	const char *argv[] = { "import", "--data", srv->data, path, NULL };
	int rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fail_msg("import: %d: %s", rc, err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);

	struct client *c = client_new(srv);
	struct resp r;
	client_get(c, "/p/clean-water?lang=ru", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "Чистая вода в каждой школе"));
	assert_non_null(strstr(r.body.data, "<em>чистая</em>"));
	assert_null(strstr(r.body.data, "Every school needs"));
	resp_free(&r);
	/* No Ukrainian translation: the original, with a note in Ukrainian. */
	client_get(c, "/p/clean-water?lang=uk", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "Clean water for every school"));
	assert_non_null(strstr(r.body.data, "мовою оригіналу"));
	assert_non_null(strstr(r.body.data, "англійська"));
	resp_free(&r);
	/* In the original's language there is no note. */
	client_get(c, "/p/clean-water?lang=en", &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "original language"));
	resp_free(&r);
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_parameter),
		cmocka_unit_test(test_by_header),
		cmocka_unit_test(test_by_cookie),
		cmocka_unit_test(test_switcher_sets_cookie),
		cmocka_unit_test(test_malformed_accept_language),
		cmocka_unit_test(test_countries_in_language),
		cmocka_unit_test(test_error_page_in_language),
		cmocka_unit_test(test_translation),
	};
	server_group(&srv, NULL, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
