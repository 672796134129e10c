/* e2e_search.c - end-to-end tests of /search on the running binary (SQLite,
 * or PostgreSQL with HOLOS_TEST_PG): word forms in English, Russian and
 * Ukrainian, a petition found only while it is public, and odd queries
 * answered 200 or 400, never 500. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define MOD_EMAIL "moderator@example.org"
#define STARTER_EMAIL "starter@example.org"
#define PASSWORD "correct horse battery staple"

static struct server *srv;

static const char ru_md[] =
    "---\ntitle: Верните троллейбусы в город\nto: Мэр города; Городская "
    "дума\ngoal: 100\nlang: ru\nslug: trolleybus-ru\n---\nМы требуем вернуть "
    "троллейбусы на улицы.\n";
static const char uk_md[] =
    "---\ntitle: Свободу полоненим\nto: Президент України\ngoal: 100\n"
    "lang: uk\nslug: vyazni-uk\n---\nМи вимагаємо **звільнення** в’язнів "
    "[Кремля](https://example.org/kreml).\n";

static int
import(struct server *s, const char *name, const char *md)
{
	char path[512];
	struct hbuf out = { 0 }, err = { 0 };
	int rc;

	snprintf(path, sizeof path, "%s/%s.md", s->root, name);
	if (write_file(path, md, strlen(md)) != 0)
		return -1;
	const char *argv[] = { "import", "--data", s->data, path, NULL };
	rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fprintf(stderr, "import %s: %d: %s\n", name, rc,
		    err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);
	return rc == 0 ? 0 : -1;
}

static int
prepare(struct server *s)
{
	if (import(s, "ru", ru_md) != 0 || import(s, "uk", uk_md) != 0)
		return -1;
	if (harness_user_add(s, MOD_EMAIL, "moderator", PASSWORD) != 0 ||
	    harness_user_add(s, STARTER_EMAIL, "starter", PASSWORD) != 0)
		return -1;
	return 0;
}

/* GET /search?q= with q percent-encoded (n bytes); returns the status and
 * the body in *body (malloc'd) when body is not NULL. */
static long
search(const char *q, size_t n, char **body)
{
	struct client *c = client_new(srv);
	struct hbuf path = { 0 };
	struct resp r;
	long st;
	size_t i;

	hbuf_puts(&path, "/search?q=");
	for (i = 0; i < n; i++)
		hbuf_printf(&path, "%%%02X", (unsigned char)q[i]);
	assert_int_equal(client_get(c, path.data, &r), CURLE_OK);
	st = r.status;
	if (body != NULL)
		*body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	hbuf_free(&path);
	client_free(c);
	return st;
}

/* Whether searching q lists the petition slug. */
static bool
finds(const char *q, const char *slug)
{
	char *body = NULL, want[256];
	long st = search(q, strlen(q), &body);
	bool found;

	if (st != 200)
		fail_msg("search %s: status %ld", q, st);
	snprintf(want, sizeof want, "href=\"/p/%s\"", slug);
	found = strstr(body, want) != NULL;
	free(body);
	return found;
}

static void
test_word_forms(void **state)
{
	(void)state;
	/* Snowball's Russian stemmer: another case of the same noun. */
	assert_true(finds("троллейбусов", "trolleybus-ru"));
	assert_true(finds("Троллейбус", "trolleybus-ru"));
	/* English: accused and accusations share their stem. */
	assert_true(finds("accused", SEED_SLUG));
	assert_false(finds("accused", "trolleybus-ru"));
	/* Ukrainian by prefix, whatever the apostrophe. */
	assert_true(finds("в'язні", "vyazni-uk"));
	assert_true(finds("в’язні", "vyazni-uk"));
	assert_true(finds("вʼязні", "vyazni-uk"));
	assert_true(finds("вязні", "vyazni-uk"));
	/* Addressees are searched too. */
	assert_true(finds("думы", "trolleybus-ru"));
	/* Every word must match. */
	assert_false(finds("троллейбусов accused", "trolleybus-ru"));
}

static void
test_snippet_marks(void **state)
{
	(void)state;
	char *body = NULL;

	assert_int_equal(search("кремля", strlen("кремля"), &body), 200);
	assert_non_null(strstr(body, "<mark>Кремля</mark>"));
	/* The excerpt is the text as read, without Markdown's marks. */
	assert_non_null(strstr(body, "вимагаємо звільнення в’язнів"));
	assert_null(strstr(body, "**"));
	assert_null(strstr(body, "[<mark>Кремля"));
	free(body);
	/* The query is shown back escaped, in the search field. */
	assert_int_equal(search("<b>x", 4, &body), 200);
	assert_null(strstr(body, "<b>x"));
	free(body);
}

/* A petition is found once it is approved, no longer while hidden, and
 * again once restored: the index follows its life. */
static void
test_only_public(void **state)
{
	(void)state;
	struct client *starter = client_signed_in(srv, STARTER_EMAIL, PASSWORD);
	struct client *mod = client_signed_in(srv, MOD_EMAIL, PASSWORD);
	struct hbuf b = { 0 };
	struct resp r;
	char *tok, *loc, *slug, path[256];

	assert_non_null(starter);
	assert_non_null(mod);
	tok = client_page_csrf(starter, "/start");
	form_add(&b, "csrf", tok);
	form_add(&b, "title", "Protect the zubrobison meadows");
	form_add(&b, "to_name_1", "Forest Agency");
	form_add(&b, "body", "The zubrobison meadows must stay wild.");
	form_add(&b, "goal", "100");
	form_add(&b, "lang", "en");
	form_add(&b, "action", "submit");
	assert_int_equal(client_post(starter, "/start", b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 303);
	loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_int_equal(strncmp(loc, "/me/p/", 6), 0);
	slug = strndup(loc + 6, strcspn(loc + 6, "/?"));
	free(loc);
	free(tok);
	resp_free(&r);
	hbuf_free(&b);
	/* Waiting for moderation: not found. */
	assert_false(finds("zubrobison", slug));

	const char *actions[][2] = { { "approve", NULL },
		{ "hide", "offensive" }, { "restore", NULL } };
	const bool found[] = { true, false, true };
	for (size_t i = 0; i < 3; i++) {
		tok = client_page_csrf(mod, "/admin");
		form_add(&b, "csrf", tok);
		form_add(&b, "action", actions[i][0]);
		/* The version of the text the moderator read. */
		snprintf(path, sizeof path, "/admin/p/%s", slug);
		assert_int_equal(client_get(mod, path, &r), CURLE_OK);
		char *version = html_hidden(r.body.data, "version");
		resp_free(&r);
		if (version != NULL)
			form_add(&b, "version", version);
		free(version);
		if (actions[i][1] != NULL)
			form_add(&b, "reason", actions[i][1]);
		snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
		assert_int_equal(client_post(mod, path, b.data, b.len, NULL, &r),
		    CURLE_OK);
		if (r.status != 303)
			fail_msg("%s: %ld", actions[i][0], r.status);
		resp_free(&r);
		hbuf_free(&b);
		free(tok);
		if (finds("zubrobison", slug) != found[i])
			fail_msg("after %s: found %d", actions[i][0], !found[i]);
	}
	/* Hidden behind the index's back (by the database alone): the
	 * results check the state themselves. */
	snprintf(path, sizeof path,
	    "UPDATE petitions SET state = 'hidden' WHERE slug = '%s'", slug);
	assert_int_equal(server_db_exec(srv, path), 0);
	assert_false(finds("zubrobison", slug));
	free(slug);
	client_free(starter);
	client_free(mod);
}

static void
test_odd_queries(void **state)
{
	(void)state;
	static const char *const odd[] = { "\"", "*", "NEAR(", "-", "-x",
		"NEAR(a b", "a AND", "OR", "NOT", "\"unbalanced", "'", "\\",
		"a:b", "!", "<->", "&|", "^", "()", "{}", "title:x", "%", "x*",
		"\xe2\x80\x99", "\xee\x80\x80x\xee\x80\x81", "a\tb" };
	char *big, *body;
	long st;
	size_t i;

	for (i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		st = search(odd[i], strlen(odd[i]), NULL);
		if (st != 200 && st != 400)
			fail_msg("query \"%s\": %ld", odd[i], st);
	}
	/* Invalid UTF-8 is not text: the query counts as absent (http.c),
	 * and the page offers the empty search form. */
	st = search("\xff\xfe", 2, &body);
	if (st != 200 && st != 400)
		fail_msg("invalid UTF-8: %ld", st);
	assert_non_null(strstr(body, "name=\"q\""));
	free(body);
	st = search("abc\xc3", 4, NULL);
	if (st != 200 && st != 400)
		fail_msg("cut UTF-8: %ld", st);
	/* 10 KB of text. */
	big = malloc(10 * 1024);
	assert_non_null(big);
	for (i = 0; i < 10 * 1024; i++)
		big[i] = "word "[i % 5];
	st = search(big, 10 * 1024, NULL);
	if (st != 200 && st != 400)
		fail_msg("10 KB: %ld", st);
	free(big);
	/* Pages: a number from 1, nothing else. */
	struct client *c = client_new(srv);
	struct resp r;
	static const char *const pages[] = { "0", "-1", "x", "99999999999",
		"1e3" };
	for (i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		char path[64];

		snprintf(path, sizeof path, "/search?q=x&page=%s", pages[i]);
		client_get(c, path, &r);
		assert_int_equal(r.status, 400);
		resp_free(&r);
	}
	client_get(c, "/search?q=accused&page=2", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	client_get(c, "/search", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "name=\"q\""));
	resp_free(&r);
	client_free(c);
}

static void
test_languages(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;

	client_get(c,
	    "/search?q=%D1%82%D1%80%D0%BE%D0%BB%D0%BB%D0%B5%D0%B9"
	    "%D0%B1%D1%83%D1%81%D0%BE%D0%B2&lang=ru",
	    &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "<html lang=\"ru\""));
	assert_non_null(strstr(r.body.data, "Найдена 1 петиция."));
	resp_free(&r);
	client_get(c, "/search?q=zzzqqq&lang=uk", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "Петицій не знайдено."));
	resp_free(&r);
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_forms),
		cmocka_unit_test(test_snippet_marks),
		cmocka_unit_test(test_only_public),
		cmocka_unit_test(test_odd_queries),
		cmocka_unit_test(test_languages),
	};
	server_group(&srv, NULL, prepare);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
