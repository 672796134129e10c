/* e2e_petition.c - end-to-end tests of the read-only pages: health, home,
 * petition, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

static struct server *srv;

/* Asserts that r's Content-Type starts with prefix. */
static void
assert_ctype(const struct resp *r, const char *prefix)
{
	char *ct = resp_header(r, "Content-Type");
	assert_non_null(ct);
	if (strncmp(ct, prefix, strlen(prefix)) != 0)
		fail_msg("Content-Type is \"%s\", wanted \"%s…\"", ct, prefix);
	free(ct);
}

/* The content attribute of <meta property="PROP" …>, malloc'd, or NULL. */
static char *
meta_property(const char *html, const char *prop)
{
	char needle[128];
	snprintf(needle, sizeof needle, "property=\"%s\"", prop);
	const char *p = strstr(html, needle);
	if (p == NULL)
		return NULL;
	const char *tag = p;
	while (tag > html && *tag != '<')
		tag--;
	const char *end = strchr(p, '>');
	if (end == NULL)
		return NULL;
	const char *c = strstr(tag, "content=\"");
	if (c == NULL || c > end)
		return NULL;
	c += strlen("content=\"");
	const char *q = strchr(c, '"');
	if (q == NULL || q > end)
		return NULL;
	char *raw = strndup(c, (size_t)(q - c));
	char *dec = html_decode(raw);
	free(raw);
	return dec;
}

static void
test_healthz(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/healthz", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	json_error_t err;
	json_t *j = json_loads(r.body.data, 0, &err);
	if (j == NULL)
		fail_msg("/healthz body is not JSON: %s", r.body.data);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "ok");
	json_decref(j);
	resp_free(&r);
	client_free(c);
}

static void
test_seed_page(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" SEED_SLUG, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_ctype(&r, "text/html");
	const char *html = r.body.data;
	assert_non_null(strstr(html, "<html lang=\"en\""));
	if (!html_shows_text(html, SEED_TITLE))
		fail_msg("petition page lacks the title");
	assert_non_null(strstr(html, "15,000"));
	/* The count line states that nobody signed yet, next to the goal. */
	char *want = expected_count_line(0, SEED_GOAL);
	char *line = html_count_line(html);
	assert_non_null(want);
	assert_non_null(strstr(want, "15,000"));
	if (line == NULL)
		fail_msg("petition page has no id=\"count\" element");
	assert_string_equal(line, want);

	/* Open Graph meta for link previews. */
	char *og_title = meta_property(html, "og:title");
	char *og_url = meta_property(html, "og:url");
	char *og_desc = meta_property(html, "og:description");
	char *og_type = meta_property(html, "og:type");
	assert_non_null(og_title);
	assert_non_null(og_url);
	assert_non_null(og_desc);
	assert_non_null(og_type);
	assert_non_null(strstr(og_title, SEED_TITLE));
	const char *tail = "/p/" SEED_SLUG;
	assert_true(strlen(og_url) > strlen(tail));
	assert_string_equal(og_url + strlen(og_url) - strlen(tail), tail);
	assert_true(strncmp(og_url, "http", 4) == 0);
	assert_true(strlen(og_desc) > 0);

	/* The signing form with its hidden token. */
	assert_non_null(strstr(html, "action=\"/p/" SEED_SLUG "/sign\""));
	char *tok = html_csrf(html);
	assert_non_null(tok);
	assert_true(strlen(tok) >= 16);
	free(tok);
	free(og_title);
	free(og_url);
	free(og_desc);
	free(og_type);
	free(want);
	free(line);
	resp_free(&r);
	client_free(c);
}

static void
test_home_lists_petition(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_ctype(&r, "text/html");
	if (!html_shows_text(r.body.data, SEED_TITLE))
		fail_msg("home page lacks the seed petition's title");
	assert_non_null(strstr(r.body.data, "/p/" SEED_SLUG "\""));
	char *want = expected_count_line(0, SEED_GOAL);
	assert_non_null(want);
	if (!html_shows_text(r.body.data, want))
		fail_msg("home page lacks the count line \"%s\"", want);
	free(want);
	resp_free(&r);
	client_free(c);
}

static void
test_json(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" SEED_SLUG ".json", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_ctype(&r, "application/json");
	json_error_t err;
	json_t *j = json_loads(r.body.data, 0, &err);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", err.text, r.body.data);
	assert_string_equal(json_string_value(json_object_get(j, "slug")),
	    SEED_SLUG);
	assert_string_equal(json_string_value(json_object_get(j, "title")),
	    SEED_TITLE);
	assert_true(json_is_integer(json_object_get(j, "count")));
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "goal")),
	    SEED_GOAL);
	assert_int_equal(json_integer_value(json_object_get(j, "next_goal")),
	    SEED_GOAL);
	assert_true(json_is_string(json_object_get(j, "state")));
	assert_true(json_string_length(json_object_get(j, "state")) > 0);
	json_t *upd = json_object_get(j, "updated");
	assert_non_null(upd);
	assert_false(json_is_null(upd));
	json_decref(j);
	resp_free(&r);
	client_free(c);
}

static void
test_unknown_petition(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/p/no-such-petition", &r), CURLE_OK);
	assert_int_equal(r.status, 404);
	assert_ctype(&r, "text/html");
	assert_non_null(strstr(r.body.data, "<html"));
	resp_free(&r);
	assert_int_equal(client_get(c, "/p/no-such-petition.json", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	assert_int_equal(client_get(c, "/p/no-such-petition/thanks", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	assert_int_equal(client_get(c, "/no-such-page", &r), CURLE_OK);
	assert_int_equal(r.status, 404);
	assert_ctype(&r, "text/html");
	resp_free(&r);
	client_free(c);
}

static void
test_thanks_page(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" SEED_SLUG "/thanks", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_ctype(&r, "text/html");
	if (!html_shows_text(r.body.data, SEED_TITLE))
		fail_msg("thanks page lacks the petition's title");
	resp_free(&r);
	client_free(c);
}

static void
test_static_css(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, "/static/style.css", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_ctype(&r, "text/css");
	char *cc = resp_header(&r, "Cache-Control");
	assert_non_null(cc);
	assert_true(strlen(cc) > 0);
	assert_true(r.body.len > 0);
	free(cc);
	resp_free(&r);
	assert_int_equal(client_get(c, "/static/no-such-file.css", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	client_free(c);
}

#define TINY_SLUG "tiny-goal"
#define TINY_TITLE "Tom & Jerry <b>bold</b> \"quoted\""

static const char tiny_md[] =
    "---\n"
    "title: " TINY_TITLE "\n"
    "to: Mayor <i>X</i>; Council\n"
    "goal: 2\n"
    "lang: en\n"
    "slug: " TINY_SLUG "\n"
    "---\n"
    "Body with <script>alert('body')</script> and [a link](javascript:alert(1)) "
    "and <img src=x onerror=alert(2)>.\n"
    "\n"
    "**Bold** text.\n";

/* A server seeded with a hostile petition whose goal is 2. */
static int
tiny_setup(void **state)
{
	static char seed[400];
	struct server *s = calloc(1, sizeof *s);
	if (s == NULL || server_init(s, NULL) != 0)
		goto fail;
	snprintf(seed, sizeof seed, "%s/tiny.md", s->root);
	if (write_file(seed, tiny_md, sizeof tiny_md - 1) != 0)
		goto fail;
	s->args[0] = "--seed";
	s->args[1] = seed;
	s->args[2] = COUNT_ON_SIGN;
	s->args[3] = NULL;
	if (server_start(s) != 0)
		goto fail;
	*state = s;
	return 0;
fail:
	server_free(s);
	return -1;
}

static int
own_server_teardown(void **state)
{
	return server_free(*state);
}

static json_t *
get_json(const struct server *s, const char *path)
{
	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	json_error_t err;
	json_t *j = json_loads(r.body.data, 0, &err);
	if (j == NULL)
		fail_msg("%s: not JSON: %s", path, r.body.data);
	resp_free(&r);
	client_free(c);
	return j;
}

static void
test_hostile_petition_escaped(void **state)
{
	struct server *s = *state;
	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" TINY_SLUG, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	const char *html = r.body.data;
	/* Title and addressees are text. */
	assert_non_null(strstr(html,
	    "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot;"));
	assert_null(strstr(html, "<b>bold</b>"));
	assert_null(strstr(html, "<i>X</i>"));
	/* The body is Markdown in safe mode: no raw HTML, no javascript: links. */
	assert_non_null(strstr(html, "<strong>Bold</strong>"));
	assert_null(strstr(html, "<script>alert"));
	assert_null(strstr(html, "<img src=x"));
	assert_null(strstr(html, "javascript:"));
	char *desc = meta_property(html, "og:description");
	assert_non_null(desc);
	assert_null(strstr(desc, "<"));
	free(desc);
	resp_free(&r);

	json_t *j = get_json(s, "/p/" TINY_SLUG ".json");
	assert_string_equal(json_string_value(json_object_get(j, "title")),
	    TINY_TITLE);
	json_decref(j);

	/* The home page escapes it as well. */
	assert_int_equal(client_get(c, "/", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "Tom &amp; Jerry &lt;b&gt;"));
	assert_null(strstr(r.body.data, "<b>bold</b>"));
	resp_free(&r);
	client_free(c);
}

static void
test_goal_ladder(void **state)
{
	struct server *s = *state;
	for (int i = 0; i < 2; i++) {
		char email[64];
		snprintf(email, sizeof email, "ladder-%d@example.org", i);
		struct signer who = signer_default(email);
		struct client *c = client_new(s);
		struct resp r;
		assert_int_equal(client_sign(c, TINY_SLUG, &who, &r), 303);
		resp_free(&r);
		client_free(c);
	}
	/* The goal is reached: the goal stays, the next goal moves past it. */
	json_t *j = get_json(s, "/p/" TINY_SLUG ".json");
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "goal")), 2);
	long next = (long)json_integer_value(json_object_get(j, "next_goal"));
	json_decref(j);
	if (next <= 2)
		fail_msg("next_goal is %ld after reaching the goal of 2", next);

	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" TINY_SLUG, &r), CURLE_OK);
	char *want = expected_count_line(2, next);
	char *line = html_count_line(r.body.data);
	assert_non_null(want);
	assert_non_null(line);
	assert_string_equal(line, want);
	free(want);
	free(line);
	resp_free(&r);
	client_free(c);
}

static int
base_url_setup(void **state)
{
	const char *extra[] = { "--base-url", "https://petitions.example.org",
		NULL };
	*state = server_new_seeded(extra);
	return *state != NULL ? 0 : -1;
}

static void
test_base_url(void **state)
{
	struct server *s = *state;
	struct client *c = client_new(s);
	struct resp r;
	assert_int_equal(client_get(c, "/p/" SEED_SLUG, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	char *url = meta_property(r.body.data, "og:url");
	assert_non_null(url);
	assert_string_equal(url, "https://petitions.example.org/p/" SEED_SLUG);
	free(url);
	assert_non_null(strstr(r.body.data,
	    "<link rel=\"canonical\" href=\"https://petitions.example.org/p/" SEED_SLUG
	    "\">"));
	resp_free(&r);
	/* With an https site every cookie is Secure (?lang= sets one too). */
	assert_int_equal(client_get(c, "/p/" SEED_SLUG "?lang=en", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	char *sc = resp_header_all(&r, "Set-Cookie");
	for (char *line = strtok(sc, "\n"); line != NULL;
	     line = strtok(NULL, "\n"))
		if (strcasestr(line, "Secure") == NULL)
			fail_msg("cookie without Secure on an https site: %s",
			    line);
	free(sc);
	resp_free(&r);
	assert_int_equal(client_get(c, "/", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(
	    strstr(r.body.data, "href=\"https://petitions.example.org/\""));
	resp_free(&r);
	client_free(c);
}

/* The petition page stays under 50 KB uncompressed, images aside, in each
 * language: what a phone on a slow network loads before it can sign. The
 * style sheet and scripts are cached static files, never inline. */
#define PAGE_WEIGHT_MAX 50000

static void
test_page_weight(void **state)
{
	(void)state;
	static const char *const langs[] = { "en", "ru", "uk" };
	struct client *c = client_new(srv);

	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		char path[128];
		struct resp r;

		snprintf(path, sizeof(path), "/p/%s?lang=%s", SEED_SLUG,
		    langs[i]);
		assert_int_equal(client_get(c, path, &r), CURLE_OK);
		assert_int_equal(r.status, 200);
		print_message("page weight %s: %zu bytes\n", langs[i],
		    r.body.len);
		if (r.body.len >= PAGE_WEIGHT_MAX)
			fail_msg("the %s page is %zu bytes (limit %d)",
			    langs[i], r.body.len, PAGE_WEIGHT_MAX);
		assert_null(strstr(r.body.data, "<style"));
		assert_null(strstr(r.body.data, " style=\""));
		resp_free(&r);
	}
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_seed_page),
		cmocka_unit_test(test_home_lists_petition),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_unknown_petition),
		cmocka_unit_test(test_thanks_page),
		cmocka_unit_test(test_static_css),
		cmocka_unit_test(test_page_weight),
		cmocka_unit_test_setup_teardown(test_hostile_petition_escaped,
		    tiny_setup, own_server_teardown),
		cmocka_unit_test_setup_teardown(test_goal_ladder, tiny_setup,
		    own_server_teardown),
		cmocka_unit_test_setup_teardown(test_base_url, base_url_setup,
		    own_server_teardown),
	};
	server_group(&srv, NULL, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
