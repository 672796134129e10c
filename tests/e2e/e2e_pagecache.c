/* e2e_pagecache.c - end-to-end tests of the petition page cache's key: a
 * page is cached per resolved language, so rotating the region of
 * Accept-Language (en-DE, en-FR, … and every other pair of letters) cannot
 * flush the cache, while each region still gets its country preselected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define PAGE "/p/" SEED_SLUG

static struct server *srv;

/* The country preselected in html, as "XX", or "" when none. */
static void
selected_country(const char *html, char out[3])
{
	const char *p = strstr(html, "\" selected>");
	out[0] = '\0';
	if (p != NULL && p - html >= 2 && p[-3] == '"') {
		out[0] = p[-2];
		out[1] = p[-1];
		out[2] = '\0';
	}
}

static void
test_regions_share_one_page(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	char header[64], sel[3];
	int renders_before, renders, preselected = 0, requests = 0;
	long long start;

	/* The first view renders the page for English. */
	assert_int_equal(client_get(c, PAGE "?lang=en", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	renders_before = server_log_count(srv, "event=render");
	assert_true(renders_before >= 1);

	/* Every two-letter region in turn. */
	start = now_ms();
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			snprintf(header, sizeof header,
			    "Accept-Language: en-%c%c", a, b);
			const char *const hs[] = { header, NULL };
			assert_int_equal(client_get_headers(c, PAGE, hs, &r),
			    CURLE_OK);
			assert_int_equal(r.status, 200);
			requests++;
			selected_country(r.body.data, sel);
			/* A region that is a country is preselected; any
			 * other leaves the list unchosen. */
			if (sel[0] != '\0') {
				assert_int_equal(sel[0], a);
				assert_int_equal(sel[1], b);
				preselected++;
			}
			assert_int_equal(count_of(r.body.data, " selected>"),
			    sel[0] != '\0' ? 1 : 0);
			resp_free(&r);
		}
	}
	long long took = now_ms() - start;
	renders = server_log_count(srv, "event=render") - renders_before;
	printf("# %d regions (%d countries): %d renders in %lld ms\n", requests,
	    preselected, renders, took);
	assert_true(preselected > 200);
	/* The page expires every 5 s and is rendered again then; a render
	 * per region would be hundreds. */
	if (renders > took / 5000 + 2)
		fail_msg("%d renders for %d regions", renders, requests);
	client_free(c);
}

static void
test_cached_page_is_the_page(void **state)
{
	(void)state;
	/* The spliced page is what a fresh render gives: the same bytes
	 * for the same region, twice, and the one option chosen. */
	struct client *c = client_new(srv);
	struct resp r1, r2;
	const char *const hs[] = { "Accept-Language: uk-UA,uk;q=0.9", NULL };
	assert_int_equal(client_get_headers(c, PAGE, hs, &r1), CURLE_OK);
	assert_int_equal(client_get_headers(c, PAGE, hs, &r2), CURLE_OK);
	assert_int_equal(r1.status, 200);
	assert_non_null(strstr(r1.body.data, "<option value=\"UA\" selected>"));
	assert_int_equal(count_of(r1.body.data, " selected>"), 1);
	/* No marker byte reaches a reader. */
	assert_null(memchr(r1.body.data, '\x02', r1.body.len));
	assert_null(memchr(r1.body.data, '\x03', r1.body.len));
	char *f1 = html_csrf(r1.body.data), *f2 = html_csrf(r2.body.data);
	assert_non_null(f1);
	assert_non_null(f2);
	free(f1);
	free(f2);
	resp_free(&r1);
	resp_free(&r2);
	client_free(c);
}

/* A reply made once for static bytes is sent again only with the same
 * headers: the same bytes under other headers get their own. */
static void
test_reused_reply_keeps_its_headers(void **state)
{
	(void)state;
	/* One client, one kept-alive connection: every request below is
	 * served by the same request thread, which keeps its replies. */
	struct client *c = client_new(srv);
	struct resp r, first;
	char *v;

	assert_int_equal(client_get(c, "/static/style.css?v=1", &first),
	    CURLE_OK);
	assert_int_equal(first.status, 200);
	for (int i = 0; i < 3; i++) {
		/* The same file, without and with ?v=: its Cache-Control. */
		assert_int_equal(client_get(c, "/static/style.css", &r),
		    CURLE_OK);
		assert_int_equal(r.status, 200);
		v = resp_header(&r, "Cache-Control");
		assert_string_equal(v, "public, max-age=3600");
		free(v);
		assert_int_equal(r.body.len, first.body.len);
		assert_memory_equal(r.body.data, first.body.data, r.body.len);
		resp_free(&r);
		assert_int_equal(client_get(c, "/static/style.css?v=1", &r),
		    CURLE_OK);
		v = resp_header(&r, "Cache-Control");
		assert_string_equal(v, "public, max-age=31536000, immutable");
		free(v);
		assert_memory_equal(r.body.data, first.body.data, r.body.len);
		assert_int_equal(r.num_connects, 0);
		resp_free(&r);
	}
	resp_free(&first);
	/* The page in Russian: chosen by ?lang= it sets the language's
	 * cookie; then chosen by that cookie, the same page sets none. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(client_get(c, PAGE "?lang=ru", &r), CURLE_OK);
		assert_int_equal(r.status, 200);
		v = resp_header_all(&r, "Set-Cookie");
		assert_non_null(strstr(v, "holos_lang=ru"));
		free(v);
		assert_non_null(strstr(r.body.data, "<html lang=\"ru\""));
		resp_free(&r);
		assert_int_equal(client_get(c, PAGE, &r), CURLE_OK);
		assert_int_equal(r.status, 200);
		v = resp_header_all(&r, "Set-Cookie");
		assert_string_equal(v, "");
		free(v);
		v = resp_header(&r, "Vary");
		assert_string_equal(v, "Accept-Language, Cookie");
		free(v);
		assert_non_null(strstr(r.body.data, "<html lang=\"ru\""));
		assert_int_equal(r.num_connects, 0);
		resp_free(&r);
	}
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions_share_one_page),
		cmocka_unit_test(test_cached_page_is_the_page),
		cmocka_unit_test(test_reused_reply_keeps_its_headers),
	};
	/* The cache's renders are logged at the debug level. */
	setenv("HOLOS_LOG_LEVEL", "debug", 1);
	server_group(&srv, NULL, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
