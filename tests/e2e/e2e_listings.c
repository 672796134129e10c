/* e2e_listings.c - end-to-end tests of the home page's sections and of
 * /petitions: trending and most signed from the live counts, newest,
 * victories, filters by state and language, pages, and refused values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 5000

static struct server *srv;

static const char ru_md[] =
    "---\ntitle: Верните троллейбусы в город\nto: Мэр города; Городская "
    "дума\ngoal: 100\nlang: ru\nslug: trolleybus-ru\n---\nМы требуем вернуть "
    "троллейбусы на улицы.\n";

static int
prepare(struct server *s)
{
	char path[512], sql[8192];
	struct hbuf out = { 0 }, err = { 0 };
	int rc, i, o;

	snprintf(path, sizeof path, "%s/ru.md", s->root);
	if (write_file(path, ru_md, strlen(ru_md)) != 0)
		return -1;
	const char *argv[] = { "import", "--data", s->data, path, NULL };
	rc = cli_run(argv, &out, &err);
	hbuf_free(&out);
	hbuf_free(&err);
	if (rc != 0)
		return -1;
	/* 25 more open Ukrainian petitions and one won, written straight
	 * into the database (the catalogue sees them within a second). */
	o = snprintf(sql, sizeof sql,
	    "INSERT INTO petitions (slug, title, body_md, lang, goal, state,"
	    " created_at, updated_at) VALUES ");
	for (i = 0; i < 26; i++)
		o += snprintf(sql + o, sizeof sql - (size_t)o,
		    "%s('uk-%02d', 'Петиція номер %02d', 'Текст.', 'uk', 100,"
		    " '%s', %d, %d)",
		    i ? ", " : "", i, i, i == 25 ? "victory" : "open",
		    1600000000 + i, 1600000000 + i);
	return server_db_exec(s, sql);
}

static char *
get(const char *path, long want)
{
	struct client *c = client_new(srv);
	struct resp r;
	char *body;

	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	if (r.status != want)
		fail_msg("GET %s: %ld, wanted %ld", path, r.status, want);
	body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	client_free(c);
	return body;
}

/* The slug of the first card after needle in html, malloc'd. */
static char *
first_card(const char *html, const char *needle)
{
	const char *p = strstr(html, needle);

	if (p == NULL || (p = strstr(p, "href=\"/p/")) == NULL)
		return NULL;
	p += 9;
	return strndup(p, strcspn(p, "\""));
}

/* Waits until GET path shows needle (the catalogue reads a change within
 * a second); returns the page. */
static char *
get_until(const char *path, const char *needle)
{
	long long end = now_ms() + WAIT_MS;
	char *body;

	for (;;) {
		body = get(path, 200);
		if (strstr(body, needle) != NULL || now_ms() > end)
			return body;
		free(body);
		pause_ms(200);
	}
}

static void
test_sections(void **state)
{
	(void)state;
	struct signer a = signer_default("a@example.org");
	struct signer b = signer_default("b@example.org");
	char *home, *slug;

	assert_int_equal(sign_fresh(srv, "trolleybus-ru", &a, NULL, NULL), 303);
	assert_int_equal(sign_fresh(srv, "trolleybus-ru", &b, NULL, NULL), 303);
	home = get_until("/", "id=\"home-trending\"");
	/* Trending: the only petition signed today, first. */
	slug = first_card(home, "id=\"home-trending\"");
	assert_non_null(slug);
	assert_string_equal(slug, "trolleybus-ru");
	free(slug);
	/* Each petition shows once on the page. */
	assert_int_equal(count_of(home, "href=\"/p/trolleybus-ru\""), 1);
	/* Newest: the last written. */
	slug = first_card(home, "id=\"home-newest\"");
	if (slug == NULL)
		fail_msg("no newest section:\n%s", home);
	free(slug);
	/* The victory in its own section, with its addressees' line absent
	 * (it has none) and the card's state. */
	slug = first_card(home, "id=\"home-victory\"");
	assert_non_null(slug);
	assert_string_equal(slug, "uk-25");
	free(slug);
	assert_non_null(strstr(home, "To: Мэр города; Городская дума"));
	free(home);
}

static void
test_lists(void **state)
{
	(void)state;
	char *page, *slug;

	page = get_until("/petitions?sort=signatures", "uk-24");
	slug = first_card(page, "class=\"plist\"");
	assert_non_null(slug);
	assert_string_equal(slug, "trolleybus-ru");
	free(slug);
	free(page);
	/* Newest first, Ukrainian only: 25 open + 1 won, 20 a page. */
	page = get("/petitions?sort=newest&lang=uk", 200);
	slug = first_card(page, "class=\"plist\"");
	assert_string_equal(slug, "uk-25");
	free(slug);
	assert_null(strstr(page, "trolleybus-ru"));
	assert_int_equal(count_of(page, "class=\"card plist__item\""), 20);
	assert_non_null(strstr(page, "rel=\"next\""));
	free(page);
	page = get("/petitions?sort=newest&lang=uk&page=2", 200);
	assert_int_equal(count_of(page, "class=\"card plist__item\""), 6);
	assert_non_null(strstr(page, "rel=\"prev\""));
	assert_null(strstr(page, "rel=\"next\""));
	free(page);
	/* States. */
	page = get("/petitions?state=victory", 200);
	assert_int_equal(count_of(page, "class=\"card plist__item\""), 1);
	free(page);
	page = get("/petitions?state=closed&lang=en", 200);
	assert_int_equal(count_of(page, "class=\"card plist__item\""), 0);
	free(page);
	/* Past the last page: an empty page, not an error. */
	page = get("/petitions?page=50", 200);
	assert_int_equal(count_of(page, "class=\"card plist__item\""), 0);
	free(page);
}

static void
test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = { "/petitions?sort=x",
		"/petitions?state=draft", "/petitions?state=hidden",
		"/petitions?state=pending", "/petitions?lang=xx",
		"/petitions?lang=%FF", "/petitions?page=0", "/petitions?page=-3",
		"/petitions?page=1x", "/petitions?sort=%22%27%3C" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct client *c = client_new(srv);
		struct resp r;

		assert_int_equal(client_get(c, bad[i], &r), CURLE_OK);
		/* %FF is not text: it counts as absent (200). */
		if (r.status != 400 &&
		    !(strstr(bad[i], "%FF") && r.status == 200))
			fail_msg("%s: %ld", bad[i], r.status);
		resp_free(&r);
		client_free(c);
	}
}

/* A hidden petition leaves the lists. */
static void
test_hidden_leaves(void **state)
{
	(void)state;
	char *page;

	assert_int_equal(server_db_exec(srv,
			     "UPDATE petitions SET state = 'hidden',"
			     " updated_at = updated_at + 1 WHERE slug = 'uk-03'"),
	    0);
	long long end = now_ms() + WAIT_MS;
	for (;;) {
		page = get("/petitions?lang=uk&page=2", 200);
		if (strstr(page, "uk-03") == NULL || now_ms() > end)
			break;
		free(page);
		pause_ms(200);
	}
	assert_null(strstr(page, "uk-03"));
	free(page);
}

/* Whether body (len bytes) is well-formed XML, by xmllint. */
static bool
xml_ok(const char *body)
{
	char path[600];
	struct hbuf out = { 0 };
	int rc;

	snprintf(path, sizeof path, "%s/check.xml", srv->root);
	if (write_file(path, body, strlen(body)) != 0)
		return false;
	const char *argv[] = { "/usr/bin/xmllint", "--noout", path, NULL };
	rc = run_capture_all(argv, &out);
	if (rc != 0)
		fprintf(stderr, "xmllint: %s\n", out.data ? out.data : "");
	hbuf_free(&out);
	return rc == 0;
}

/* robots.txt, the sitemap and the feeds, after test_hidden_leaves. */
static void
test_feeds(void **state)
{
	(void)state;
	char *body;

	body = get("/robots.txt", 200);
	assert_non_null(strstr(body, "Sitemap: http://127.0.0.1:"));
	assert_non_null(strstr(body, "Disallow: /admin"));
	free(body);
	/* Every public petition in each language, with its alternates. */
	body = get("/sitemap.xml", 200);
	assert_true(xml_ok(body));
	assert_non_null(strstr(body, "/p/trolleybus-ru?lang=en</loc>"));
	assert_non_null(strstr(body, "/p/trolleybus-ru?lang=ru</loc>"));
	assert_non_null(strstr(body, "/p/trolleybus-ru?lang=uk</loc>"));
	assert_non_null(strstr(body, "hreflang=\"uk\" href=\"http://127.0.0.1"));
	assert_int_equal(count_of(body, "/p/" SEED_SLUG "?lang=ru</loc>"), 1);
	assert_null(strstr(body, "/p/uk-03?"));
	free(body);
	/* New petitions. */
	body = get("/feed.atom", 200);
	assert_true(xml_ok(body));
	assert_non_null(
	    strstr(body, "<feed xmlns=\"http://www.w3.org/2005/Atom\""));
	assert_non_null(strstr(body, "/p/trolleybus-ru</id>"));
	assert_null(strstr(body, "/p/uk-03<"));
	free(body);
	/* A petition's updates and responses; linked from its page. */
	body = get("/p/" SEED_SLUG "/feed.atom", 200);
	assert_true(xml_ok(body));
	free(body);
	body = get("/p/" SEED_SLUG, 200);
	assert_non_null(strstr(body, "/p/" SEED_SLUG "/feed.atom\""));
	assert_non_null(strstr(body, "/feed.atom\""));
	free(body);
	free(get("/p/no-such-petition/feed.atom", 404));
	free(get("/p/uk-03/feed.atom", 410));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_hidden_leaves),
		cmocka_unit_test(test_feeds),
	};
	const char *extra[] = { COUNT_ON_SIGN, NULL };

	server_group(&srv, extra, prepare);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
