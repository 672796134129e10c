/* e2e_start.c - end-to-end tests of starting a petition: the form for
 * signed-in starters, drafts that stay private, editing by the owner only,
 * every validation rule, the live preview rendered as the petition page
 * renders, form tokens, slugs and submission for moderation. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"
#define ANN "ann@example.org"
#define BOB "bob@example.org"
#define MOD "mod@example.org"
#define CAROL "carol@example.org" /* made unverified by add_users */

/* The slug the seed's title gives (the seed itself is imported under its
 * own). */
#define SEED_TITLE_SLUG \
	"the-prisoners-of-the-kremlin-are-defenseless-against-covid"

static struct server *srv;

/* The group's accounts. */
static int
add_users(struct server *s)
{
	if (harness_user_add(s, ANN, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, BOB, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, MOD, "moderator", PASSWORD) != 0 ||
	    harness_user_add(s, CAROL, "starter", PASSWORD) != 0)
		return -1;
	/* Accounts made by an operator are verified; an account made by
	 * signing up is not until its link is opened. */
	return server_db_exec(s,
	    "UPDATE users SET verified_at = NULL "
	    "WHERE id = (SELECT max(id) FROM users)");
}

/* A client of s signed in as email. */
static struct client *
signed_in_to(const struct server *s, const char *email)
{
	struct client *c = client_new(s);
	struct hbuf b = { 0 };
	struct resp r;

	client_get(c, "/login?next=/start", &r);
	assert_int_equal(r.status, 200);
	char *tok = html_hidden(r.body.data, "csrf");
	assert_non_null(tok);
	resp_free(&r);
	form_add(&b, "email", email);
	form_add(&b, "password", PASSWORD);
	form_add(&b, "csrf", tok);
	form_add(&b, "next", "/start");
	client_post(c, "/login", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return c;
}

static struct client *
signed_in(const char *email)
{
	return signed_in_to(srv, email);
}

/* The text of the seed petition: what follows its front matter. */
static char *
seed_body(void)
{
	struct hbuf f = { 0 };

	assert_int_equal(slurp(SEED_PATH, &f), 0);
	const char *p = strstr(f.data, "\n---\n");
	assert_non_null(p);
	char *body = strdup(p + 5);
	hbuf_free(&f);
	assert_non_null(body);
	return body;
}

/* A petition as the form sends it; NULL fields are left out. */
struct draft {
	const char *title;
	const char *to[10][2]; /* name, description */
	const char *body;
	const char *goal, *lang, *closes;
	const char *action;
};

static struct draft
draft_default(const char *title)
{
	struct draft d = {
		.title = title,
		.to = { { "United Nations", "" },
		    { "Council of Europe",
			"The continent's human rights body" } },
		.body = "We ask for *one* thing.\n\n- release them",
		.goal = "100",
		.lang = "en",
		.closes = "",
		.action = "save",
	};
	return d;
}

static void
draft_form(struct hbuf *b, const struct draft *d, const char *csrf)
{
	char key[32];

	if (csrf != NULL)
		form_add(b, "csrf", csrf);
	if (d->title != NULL)
		form_add(b, "title", d->title);
	for (int i = 0; i < 10; i++) {
		if (d->to[i][0] != NULL) {
			snprintf(key, sizeof key, "to_name_%d", i + 1);
			form_add(b, key, d->to[i][0]);
		}
		if (d->to[i][1] != NULL) {
			snprintf(key, sizeof key, "to_desc_%d", i + 1);
			form_add(b, key, d->to[i][1]);
		}
	}
	if (d->body != NULL)
		form_add(b, "body", d->body);
	if (d->goal != NULL)
		form_add(b, "goal", d->goal);
	if (d->lang != NULL)
		form_add(b, "lang", d->lang);
	if (d->closes != NULL)
		form_add(b, "closes", d->closes);
	if (d->action != NULL)
		form_add(b, "action", d->action);
}

/* POSTs d to path from c with a fresh token of the page at form_path
 * (NULL: path). Fills r; returns its status. */
static long
post_draft(struct client *c, const char *path, const char *form_path,
    const struct draft *d, const char *const *headers, struct resp *r)
{
	struct hbuf b = { 0 };
	char *tok = client_page_csrf(c, form_path != NULL ? form_path : path);

	draft_form(&b, d, tok);
	if (headers != NULL)
		client_post_headers(c, path, b.data, b.len, headers, r);
	else
		client_post(c, path, b.data, b.len, NULL, r);
	hbuf_free(&b);
	free(tok);
	return r->status;
}

/* Saves a new draft from c and returns its slug (malloc'd). */
static char *
new_draft(struct client *c, const struct draft *d)
{
	struct resp r;

	assert_int_equal(post_draft(c, "/start", NULL, d, NULL, &r), 303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	resp_free(&r);
	assert_int_equal(strncmp(loc, "/me/p/", 6), 0);
	char *end = strstr(loc, "/edit?saved=1");
	assert_non_null(end);
	char *slug = strndup(loc + 6, (size_t)(end - loc - 6));
	free(loc);
	return slug;
}

static char *
edit_path(const char *slug)
{
	char *p;

	assert_true(asprintf(&p, "/me/p/%s/edit", slug) > 0);
	return p;
}

/* YYYY-MM-DD of today (UTC) plus days, and of the same day next year plus
 * days. */
static void
day_from_today(int days, bool next_year, char out[16])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	if (next_year)
		tm.tm_year++;
	t = timegm(&tm) + (time_t)days * 86400;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* A string of n copies of s, malloc'd. */
static char *
repeat(const char *s, int n)
{
	struct hbuf b = { 0 };

	for (int i = 0; i < n; i++)
		hbuf_puts(&b, s);
	if (b.data == NULL)
		return strdup("");
	return b.data;
}

static void
test_logged_out_sent_to_login(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;

	client_get(c, "/start", &r);
	assert_int_equal(r.status, 302);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_non_null(strstr(loc, "/login?next=/start"));
	free(loc);
	resp_free(&r);
	client_post(c, "/start", "title=x", 7, NULL, &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	client_post(c, "/preview", "body=x", 6, NULL, &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	client_get(c, "/me/p/" SEED_SLUG "/edit", &r);
	assert_int_equal(r.status, 302);
	loc = resp_header(&r, "Location");
	assert_non_null(strstr(loc, "/login?next=/me/p/" SEED_SLUG "/edit"));
	free(loc);
	resp_free(&r);
	client_free(c);
}

static void
test_form_shown(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	struct resp r;

	client_get(c, "/start", &r);
	assert_int_equal(r.status, 200);
	char *cc = resp_header_all(&r, "Cache-Control");
	assert_non_null(strstr(cc, "no-store"));
	free(cc);
	/* One row, the rest for "add another" (a button that sends the
	 * form without a script). */
	assert_non_null(strstr(r.body.data, "name=\"to_name_1\""));
	char *tmpl = strstr(r.body.data, "<template class=\"to-row-template\">");
	assert_non_null(tmpl);
	char *row2 = strstr(r.body.data, "id=\"to_name_2\"");
	assert_true(row2 != NULL && row2 > tmpl);
	assert_int_equal(count_of(r.body.data,
			     "<template class=\"to-row-template\">"),
	    9);
	assert_non_null(strstr(r.body.data,
	    "type=\"submit\" name=\"action\" value=\"add\" id=\"to-add\""));
	assert_non_null(strstr(r.body.data,
	    "name=\"goal\" type=\"text\" "
	    "inputmode=\"numeric\" value=\"100\""));
	assert_non_null(strstr(r.body.data,
	    "<option value=\"en\" lang=\"en\" "
	    "selected>"));
	assert_non_null(strstr(r.body.data, "/static/start.js?v="));
	assert_non_null(strstr(r.body.data, "aria-live=\"polite\""));
	assert_page_shows(r.body.data, "en", "start_submit");
	resp_free(&r);
	/* The script is served. */
	client_get(c, "/static/start.js", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "/preview"));
	resp_free(&r);
	client_free(c);
}

static void
test_draft_of_the_seed_text(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	char *body = seed_body();
	struct draft d = draft_default(SEED_TITLE);
	struct resp r;

	d.body = body;
	d.to[0][0] = "United Nations";
	d.to[0][1] = "";
	d.to[1][0] = "Council of Europe";
	d.to[1][1] = "Strasbourg";
	/* A blank row between filled ones is ignored. */
	d.to[3][0] = "European Union";
	d.to[4][0] = "OSCE";
	d.to[4][1] = "Organization for Security & Co-operation in Europe";
	char *slug = new_draft(c, &d);
	assert_string_equal(slug, SEED_TITLE_SLUG);
	char *path = edit_path(slug);
	char *saved;
	assert_true(asprintf(&saved, "%s?saved=1", path) > 0);
	client_get(c, saved, &r);
	assert_int_equal(r.status, 200);
	assert_page_shows(r.body.data, "en", "start_saved");
	assert_true(html_shows_text(r.body.data, SEED_TITLE));
	char *esc = html_escape(body);
	/* The text comes back as stored: the trailing line break aside. */
	esc[strlen(esc) - 1] = '\0';
	assert_non_null(strstr(r.body.data, esc));
	free(esc);
	assert_non_null(strstr(r.body.data,
	    "name=\"to_name_1\" type=\"text\" "
	    "value=\"United Nations\""));
	assert_non_null(strstr(r.body.data,
	    "name=\"to_name_2\" type=\"text\" "
	    "value=\"Council of Europe\""));
	assert_non_null(strstr(r.body.data,
	    "name=\"to_desc_2\" type=\"text\" "
	    "value=\"Strasbourg\""));
	assert_non_null(strstr(r.body.data,
	    "name=\"to_name_3\" type=\"text\" "
	    "value=\"European Union\""));
	assert_non_null(strstr(r.body.data,
	    "name=\"to_name_4\" type=\"text\" "
	    "value=\"OSCE\""));
	assert_non_null(strstr(r.body.data,
	    "value=\"Organization for Security "
	    "&amp; Co-operation in Europe\""));
	resp_free(&r);
	/* Without ?saved=1 there is no notice. */
	client_get(c, path, &r);
	assert_int_equal(r.status, 200);
	assert_false(html_shows_text(r.body.data, "Your draft is saved."));
	resp_free(&r);

	/* A draft is not public. */
	struct client *anon = client_new(srv);
	char *pub;
	assert_true(asprintf(&pub, "/p/%s", slug) > 0);
	client_get(anon, pub, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	free(pub);
	assert_true(asprintf(&pub, "/p/%s.json", slug) > 0);
	client_get(anon, pub, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	free(pub);
	client_get(anon, "/", &r);
	assert_null(strstr(r.body.data, slug));
	resp_free(&r);
	client_free(anon);

	/* The same form sent again (a double click, a reload) keeps the
	 * one draft. */
	char *again = new_draft(c, &d);
	assert_string_equal(again, slug);
	free(again);
	/* The same title with another text gets the next free slug. */
	d.body = "Another text under the same title.";
	char *slug2 = new_draft(c, &d);
	assert_string_equal(slug2, SEED_TITLE_SLUG "-2");
	d.body = "A third text under the same title.";
	char *slug3 = new_draft(c, &d);
	assert_string_equal(slug3, SEED_TITLE_SLUG "-3");
	free(slug2);
	free(slug3);
	free(saved);
	free(path);
	free(slug);
	free(body);
	client_free(c);
}

static void
test_edit_own_draft(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	struct draft d = draft_default("Clean water for Riverside");
	char tomorrow[16];
	struct resp r;

	char *slug = new_draft(c, &d);
	assert_string_equal(slug, "clean-water-for-riverside");
	char *path = edit_path(slug);
	day_from_today(1, false, tomorrow);
	d.title = "Clean water for Riverside, now";
	d.to[0][0] = "City Council";
	d.to[0][1] = "Riverside";
	d.to[1][0] = NULL;
	d.to[1][1] = NULL;
	d.body = "Changed **text**.";
	d.goal = "2500";
	d.lang = "uk";
	d.closes = tomorrow;
	assert_int_equal(post_draft(c, path, NULL, &d, NULL, &r), 303);
	char *loc = resp_header(&r, "Location");
	char *want;
	assert_true(asprintf(&want, "%s?saved=1", path) > 0);
	assert_string_equal(loc, want);
	free(loc);
	resp_free(&r);
	client_get(c, want, &r);
	assert_int_equal(r.status, 200);
	assert_true(
	    html_shows_text(r.body.data, "Clean water for Riverside, now"));
	assert_non_null(strstr(r.body.data, "value=\"City Council\""));
	assert_non_null(strstr(r.body.data, "value=\"Riverside\""));
	assert_null(strstr(r.body.data, "value=\"Council of Europe\""));
	assert_null(strstr(r.body.data, "value=\"United Nations\""));
	assert_non_null(strstr(r.body.data, ">Changed **text**.</textarea>"));
	assert_non_null(strstr(r.body.data, "value=\"2500\""));
	assert_non_null(strstr(r.body.data,
	    "<option value=\"uk\" lang=\"uk\" "
	    "selected>"));
	char *closes;
	assert_true(asprintf(&closes, "value=\"%s\"", tomorrow) > 0);
	assert_non_null(strstr(r.body.data, closes));
	free(closes);
	resp_free(&r);
	/* The slug stays what it was. */
	client_get(c, "/me/p/clean-water-for-riverside-now/edit", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	/* A preview from the edit page stores nothing. */
	d.body = "Not *saved*";
	d.action = "preview";
	assert_int_equal(post_draft(c, path, NULL, &d, NULL, &r), 200);
	assert_non_null(strstr(r.body.data, "<p>Not <em>saved</em></p>"));
	resp_free(&r);
	client_get(c, path, &r);
	assert_non_null(strstr(r.body.data, ">Changed **text**.</textarea>"));
	resp_free(&r);
	free(want);
	free(path);
	free(slug);
	client_free(c);
}

static void
test_others_refused(void **state)
{
	(void)state;
	struct client *ann = signed_in(ANN), *bob = signed_in(BOB);
	struct client *mod = signed_in(MOD);
	struct draft d = draft_default("Ann's own petition");
	struct resp r;

	char *slug = new_draft(ann, &d);
	char *path = edit_path(slug);
	client_get(bob, path, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	client_get(mod, path, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	/* With a good token of Bob's own session, still no. */
	d.title = "Taken over by Bob";
	assert_int_equal(post_draft(bob, path, "/start", &d, NULL, &r), 403);
	resp_free(&r);
	assert_int_equal(post_draft(mod, path, "/start", &d, NULL, &r), 403);
	resp_free(&r);
	client_get(ann, path, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "Taken over by Bob"));
	resp_free(&r);
	/* No such petition; an imported one has no owner. */
	client_get(ann, "/me/p/no-such-petition/edit", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	client_get(ann, "/me/p/" SEED_SLUG "/edit", &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	free(path);
	free(slug);
	client_free(ann);
	client_free(bob);
	client_free(mod);
}

/* Posts d to /start and expects 422 with the message key beside the
 * field, in the summary, and what was typed kept. */
static void
expect_refused(struct client *c, const struct draft *d, const char *key)
{
	struct resp r;

	if (post_draft(c, "/start", NULL, d, NULL, &r) != 422) {
		fprintf(stderr, "expected 422 for %s, got %ld\n", key, r.status);
		fail();
	}
	assert_page_shows(r.body.data, "en", key);
	assert_non_null(strstr(r.body.data, "class=\"error-summary\""));
	assert_non_null(strstr(r.body.data, "aria-invalid=\"true\""));
	if (d->title != NULL && *d->title != '\0')
		assert_true(html_shows_text(r.body.data, d->title));
	resp_free(&r);
}

static void
test_validation(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	char day[16];
	struct draft d;

	d = draft_default("");
	expect_refused(c, &d, "start_err_title_required");
	d = draft_default(NULL);
	expect_refused(c, &d, "start_err_title_required");
	char *t121 = repeat("t", 121);
	d = draft_default(t121);
	expect_refused(c, &d, "start_err_title_long");
	free(t121);

	d = draft_default("No one to ask");
	memset(d.to, 0, sizeof d.to);
	expect_refused(c, &d, "start_err_to_required");
	d.to[0][0] = "  ";
	d.to[1][0] = "";
	expect_refused(c, &d, "start_err_to_required");
	d = draft_default("A description alone");
	d.to[2][1] = "Nobody's description";
	expect_refused(c, &d, "start_err_to_desc_alone");
	char *n201 = repeat("n", 201), *n300 = repeat("d", 301);
	d = draft_default("Long names");
	d.to[1][0] = n201;
	expect_refused(c, &d, "start_err_to_name_long");
	d = draft_default("Long descriptions");
	d.to[0][1] = n300;
	expect_refused(c, &d, "start_err_to_desc_long");
	free(n201);
	free(n300);
	/* Ten decision makers at most: an eleventh is not a field. */
	d = draft_default("Eleven rows");
	{
		struct resp r;
		struct hbuf b = { 0 };
		char *tok = client_page_csrf(c, "/start");
		draft_form(&b, &d, tok);
		form_add(&b, "to_name_11", "The eleventh");
		client_post(c, "/start", b.data, b.len, NULL, &r);
		assert_int_equal(r.status, 303);
		resp_free(&r);
		hbuf_free(&b);
		free(tok);
	}

	d = draft_default("No text");
	d.body = "";
	expect_refused(c, &d, "start_err_body_required");
	d.body = NULL;
	expect_refused(c, &d, "start_err_body_required");
	d.body = " \r\n\t ";
	expect_refused(c, &d, "start_err_body_required");

	d = draft_default("Bad goals");
	d.goal = "0";
	expect_refused(c, &d, "start_err_goal");
	d.goal = "10000001";
	expect_refused(c, &d, "start_err_goal");
	d.goal = "abc";
	expect_refused(c, &d, "start_err_goal");
	d.goal = "1,000";
	expect_refused(c, &d, "start_err_goal");
	d.goal = "-5";
	expect_refused(c, &d, "start_err_goal");

	d = draft_default("Bad language");
	d.lang = "de";
	expect_refused(c, &d, "start_err_lang");
	d.lang = "";
	expect_refused(c, &d, "start_err_lang");
	d.lang = NULL;
	expect_refused(c, &d, "start_err_lang");

	d = draft_default("Bad dates");
	d.closes = "2030-02-30";
	expect_refused(c, &d, "start_err_closes_format");
	d.closes = "31.12.2030";
	expect_refused(c, &d, "start_err_closes_format");
	d.closes = "tomorrow";
	expect_refused(c, &d, "start_err_closes_format");
	day_from_today(0, false, day);
	d.closes = day;
	expect_refused(c, &d, "start_err_closes_range");
	day_from_today(-1, false, day);
	expect_refused(c, &d, "start_err_closes_range");
	day_from_today(1, true, day);
	expect_refused(c, &d, "start_err_closes_range");

	/* Control characters are refused, and not echoed back. */
	d = draft_default("Bell\x07 title");
	{
		struct resp r;
		assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r),
		    422);
		assert_page_shows(r.body.data, "en", "err_invalid_text");
		assert_null(strstr(r.body.data, "Bell\x07"));
		resp_free(&r);
	}

	/* Several problems at once: each has its message, and the summary
	 * counts them. */
	d = draft_default("");
	d.body = "";
	d.goal = "x";
	{
		struct resp r;
		assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r),
		    422);
		assert_non_null(strstr(r.body.data,
		    "There are 3 problems with your petition"));
		assert_non_null(strstr(r.body.data, "href=\"#title\""));
		assert_non_null(strstr(r.body.data, "href=\"#body\""));
		assert_non_null(strstr(r.body.data, "href=\"#goal\""));
		resp_free(&r);
	}

	/* In Russian. */
	{
		static const char *const ru[] = { "Accept-Language: ru", NULL };
		struct client *rc = signed_in(ANN);
		struct resp r;

		d = draft_default("");
		assert_int_equal(post_draft(rc, "/start", NULL, &d, ru, &r),
		    422);
		assert_page_shows(r.body.data, "ru", "start_err_title_required");
		assert_non_null(strstr(r.body.data, "В петиции 1 ошибка"));
		resp_free(&r);
		d = draft_default("Слишком большая цель");
		d.goal = "20000000";
		assert_int_equal(post_draft(rc, "/start", NULL, &d, ru, &r),
		    422);
		assert_page_shows(r.body.data, "ru", "start_err_goal");
		assert_true(
		    html_shows_text(r.body.data, "Слишком большая цель"));
		resp_free(&r);
		client_free(rc);
	}

	/* The edges that pass. */
	d = draft_default("Edges that pass");
	d.goal = "1";
	free(new_draft(c, &d));
	d.goal = "10000000";
	day_from_today(1, false, day);
	d.closes = day;
	free(new_draft(c, &d));
	day_from_today(0, true, day);
	d.closes = day;
	d.goal = "";
	char *slug = new_draft(c, &d);
	char *path = edit_path(slug);
	struct resp r;
	client_get(c, path, &r);
	/* An empty goal is the default one. */
	assert_non_null(strstr(r.body.data, "value=\"100\""));
	resp_free(&r);
	free(path);
	free(slug);
	client_free(c);
}

static void
test_title_length_in_characters(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	struct draft d;
	struct resp r;

	/* 120 Cyrillic letters are 240 bytes: characters are counted. */
	char *t120 = repeat("Ж", 120), *t121 = repeat("Ж", 121);
	d = draft_default(t120);
	char *slug = new_draft(c, &d);
	char *path = edit_path(slug);
	client_get(c, path, &r);
	assert_int_equal(r.status, 200);
	assert_true(html_shows_text(r.body.data, t120));
	resp_free(&r);
	d = draft_default(t121);
	expect_refused(c, &d, "start_err_title_long");
	/* Nor may an edit make it longer. */
	assert_int_equal(post_draft(c, path, NULL, &d, NULL, &r), 422);
	assert_page_shows(r.body.data, "en", "start_err_title_long");
	resp_free(&r);
	free(path);
	free(slug);
	free(t120);
	free(t121);
	client_free(c);
}

/* 500 lines of "a" sent with CR LF, then n - 1000 Cyrillic letters: n
 * characters once each line break counts one. */
static char *
body_of(int n)
{
	char *lines = repeat("a\r\n", 500), *tail = repeat("я", n - 1000);
	char *s;

	assert_true(asprintf(&s, "%s%s", lines, tail) > 0);
	free(lines);
	free(tail);
	return s;
}

static void
test_body_length(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	char *ok = body_of(10000), *over = body_of(10001);
	struct draft d = draft_default("Ten thousand characters");
	struct resp r;

	d.body = ok;
	char *slug = new_draft(c, &d);
	char *path = edit_path(slug);
	client_get(c, path, &r);
	assert_int_equal(r.status, 200);
	/* Stored with LF line breaks. */
	assert_non_null(strstr(r.body.data, ">a\na\na\n"));
	resp_free(&r);
	d.body = over;
	expect_refused(c, &d, "start_err_body_long");
	/* The refused text is kept for the writer to shorten. */
	assert_int_equal(post_draft(c, path, NULL, &d, NULL, &r), 422);
	assert_non_null(strstr(r.body.data, "яяяя</textarea>"));
	resp_free(&r);

	/* The preview has the same limit. */
	char *tok = client_page_csrf(c, "/start");
	struct hbuf b = { 0 };
	form_add(&b, "csrf", tok);
	form_add(&b, "body", ok);
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	hbuf_free(&b);
	form_add(&b, "csrf", tok);
	form_add(&b, "body", over);
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "en", "start_err_body_long");
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	free(path);
	free(slug);
	free(ok);
	free(over);
	client_free(c);
}

/* The first <article …> … </article> of html, malloc'd. */
static char *
article_of(const char *html)
{
	const char *a = strstr(html, "<article");
	assert_non_null(a);
	a = strchr(a, '>') + 1;
	const char *e = strstr(a, "</article>");
	assert_non_null(e);
	return strndup(a, (size_t)(e - a));
}

static void
test_preview(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN), *anon = client_new(srv);
	char *body = seed_body();
	struct hbuf b = { 0 };
	struct resp r, page;

	/* The seed petition's public page, rendered from the same Markdown. */
	client_get(anon, "/p/" SEED_SLUG, &page);
	assert_int_equal(page.status, 200);
	char *tok = client_page_csrf(c, "/start");
	form_add(&b, "csrf", tok);
	form_add(&b, "body", body);
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	char *ct = resp_header(&r, "Content-Type");
	assert_string_equal(ct, "text/html; charset=utf-8");
	free(ct);
	char *cc = resp_header_all(&r, "Cache-Control");
	assert_non_null(strstr(cc, "no-store"));
	free(cc);
	assert_true(r.body.len > 1000);
	/* Just the fragment, and verbatim what the petition page shows. */
	assert_null(strstr(r.body.data, "<html"));
	assert_int_equal(strncmp(r.body.data, "<p>", 3), 0);
	assert_non_null(strstr(page.body.data, r.body.data));
	char *art = article_of(page.body.data);
	assert_non_null(strstr(art, r.body.data));
	free(art);
	resp_free(&r);
	hbuf_free(&b);

	/* Windows line breaks render the same. */
	struct hbuf crlf = { 0 };
	for (const char *p = body; *p; p++) {
		if (*p == '\n')
			hbuf_puts(&crlf, "\r");
		hbuf_append(&crlf, p, 1);
	}
	form_add(&b, "csrf", tok);
	form_add(&b, "body", crlf.data);
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(page.body.data, r.body.data));
	resp_free(&r);
	hbuf_free(&b);
	hbuf_free(&crlf);

	/* Raw HTML never passes through. */
	form_add(&b, "csrf", tok);
	form_add(&b, "body",
	    "Hi <script>alert(1)</script> "
	    "[x](javascript:alert(1)) <img src=x onerror=alert(1)>");
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "<script"));
	assert_null(strstr(r.body.data, "<img"));
	assert_null(strstr(r.body.data, "javascript:"));
	resp_free(&r);
	hbuf_free(&b);

	/* An empty text is an empty preview. */
	form_add(&b, "csrf", tok);
	form_add(&b, "body", "");
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	resp_free(&r);
	hbuf_free(&b);

	/* Without a token, with another session's, or not as a form. */
	form_add(&b, "body", "x");
	client_post(c, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	struct client *bob = signed_in(BOB);
	form_add(&b, "csrf", tok);
	form_add(&b, "body", "x");
	client_post(bob, "/preview", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	client_post(c, "/preview", b.data, b.len, "text/plain", &r);
	assert_int_equal(r.status, 415);
	resp_free(&r);
	/* A cross-site page cannot use it either. */
	static const char *const evil[] = { "Origin: https://evil.example",
		NULL };
	client_post_headers(c, "/preview", b.data, b.len, evil, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	client_free(bob);

	/* Without a script: the Preview button shows the form again with
	 * the same rendering, and stores nothing. */
	struct draft d = draft_default("Only a preview");
	d.body = body;
	d.action = "preview";
	assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r), 200);
	art = article_of(page.body.data);
	/* The page's article holds the same HTML as the preview region. */
	const char *region = strstr(r.body.data, "id=\"preview\"");
	assert_non_null(region);
	assert_non_null(strstr(region, "<p>An immediate reaction"));
	char *trimmed = strdup(art);
	/* Compare from the first element to the last. */
	char *first = strstr(trimmed, "<p>");
	char *last = strstr(first, "</ul>");
	assert_non_null(last);
	last[5] = '\0';
	assert_non_null(strstr(region, first));
	free(trimmed);
	free(art);
	assert_true(html_shows_text(r.body.data, "Only a preview"));
	resp_free(&r);
	client_get(c, "/me/p/only-a-preview/edit", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);

	resp_free(&page);
	free(tok);
	free(body);
	client_free(anon);
	client_free(c);
}

static void
test_form_token(void **state)
{
	(void)state;
	struct client *ann = signed_in(ANN), *bob = signed_in(BOB);
	struct draft d = draft_default("Tokens matter");
	struct hbuf b = { 0 };
	struct resp r;

	/* None. */
	draft_form(&b, &d, NULL);
	client_post(ann, "/start", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	assert_page_shows(r.body.data, "en", "err_csrf");
	resp_free(&r);
	hbuf_free(&b);
	/* Another session's. */
	char *bobs = client_page_csrf(bob, "/start");
	draft_form(&b, &d, bobs);
	client_post(ann, "/start", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	/* One not bound to any session (the sign-in page's). */
	struct client *anon = client_new(srv);
	char *anons = client_page_csrf(anon, "/login");
	draft_form(&b, &d, anons);
	client_post(ann, "/start", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	/* A damaged one. */
	char *mine = client_page_csrf(ann, "/start");
	mine[strlen(mine) - 2] ^= 1;
	draft_form(&b, &d, mine);
	client_post(ann, "/start", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	/* Not a form. */
	free(mine);
	mine = client_page_csrf(ann, "/start");
	draft_form(&b, &d, mine);
	client_post(ann, "/start", b.data, b.len, "multipart/form-data", &r);
	assert_int_equal(r.status, 415);
	resp_free(&r);
	hbuf_free(&b);
	/* Nothing was saved. */
	client_get(ann, "/me/p/tokens-matter/edit", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	/* The edit form checks it too. */
	char *slug = new_draft(ann, &d);
	char *path = edit_path(slug);
	d.title = "Changed without a token";
	draft_form(&b, &d, NULL);
	client_post(ann, path, b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	draft_form(&b, &d, bobs);
	client_post(ann, path, b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);
	client_get(ann, path, &r);
	assert_null(strstr(r.body.data, "Changed without a token"));
	resp_free(&r);
	free(path);
	free(slug);
	free(mine);
	free(anons);
	free(bobs);
	client_free(anon);
	client_free(ann);
	client_free(bob);
}

static void
test_submit_for_moderation(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	struct draft d = draft_default("Submit me");
	struct resp r;

	char *slug = new_draft(c, &d);
	char *path = edit_path(slug);
	d.action = "submit";
	d.title = "Submit me, edited";
	assert_int_equal(post_draft(c, path, NULL, &d, NULL, &r), 303);
	char *loc = resp_header(&r, "Location");
	assert_string_equal(loc, "/me/p/submit-me");
	free(loc);
	resp_free(&r);
	/* Waiting for moderation: no longer editable, and not public. */
	client_get(c, path, &r);
	assert_int_equal(r.status, 409);
	assert_page_shows(r.body.data, "en", "start_locked_title");
	resp_free(&r);
	d.action = "save";
	assert_int_equal(post_draft(c, path, "/start", &d, NULL, &r), 409);
	resp_free(&r);
	struct client *anon = client_new(srv);
	client_get(anon, "/p/submit-me", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	client_free(anon);

	/* Straight from the new form: saved and submitted at once. */
	d = draft_default("Submitted at once");
	d.action = "submit";
	assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r), 303);
	loc = resp_header(&r, "Location");
	assert_string_equal(loc, "/me/p/submitted-at-once");
	free(loc);
	resp_free(&r);
	client_get(c, "/me/p/submitted-at-once/edit", &r);
	assert_int_equal(r.status, 409);
	resp_free(&r);
	/* A refused form submits nothing. */
	d = draft_default("");
	d.action = "submit";
	assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r), 422);
	resp_free(&r);
	free(path);
	free(slug);
	client_free(c);
}

static void
test_unverified_cannot_submit(void **state)
{
	(void)state;
	struct client *c = signed_in(CAROL);
	struct draft d = draft_default("Verify me first");
	struct resp r;

	d.action = "submit";
	assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r), 403);
	assert_page_shows(r.body.data, "en", "start_err_verify");
	assert_non_null(strstr(r.body.data, "class=\"error-summary\""));
	/* The draft is kept, and the form now edits it. */
	assert_non_null(
	    strstr(r.body.data, "action=\"/me/p/verify-me-first/edit\""));
	assert_true(html_shows_text(r.body.data, "Verify me first"));
	resp_free(&r);
	client_get(c, "/me/p/verify-me-first/edit", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* From the edit form too; saving alone is fine. */
	assert_int_equal(post_draft(c, "/me/p/verify-me-first/edit", NULL, &d,
			     NULL, &r),
	    403);
	assert_page_shows(r.body.data, "en", "start_err_verify");
	resp_free(&r);
	d.action = "save";
	assert_int_equal(post_draft(c, "/me/p/verify-me-first/edit", NULL, &d,
			     NULL, &r),
	    303);
	resp_free(&r);
	client_get(c, "/me/p/verify-me-first/edit", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	client_free(c);
}

static void
test_rejected_petition(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	struct draft d = draft_default("Sent back once");
	struct resp r;

	d.action = "submit";
	assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r), 303);
	resp_free(&r);
	/* A moderator sends it back. */
	assert_int_equal(server_db_exec(srv,
			     "UPDATE petitions SET state = 'rejected', "
			     "reason = 'unclear', note = 'Say <who> should act.' "
			     "WHERE slug = 'sent-back-once'"),
	    0);
	client_get(c, "/me/p/sent-back-once/edit", &r);
	assert_int_equal(r.status, 200);
	assert_page_shows(r.body.data, "en", "start_rejected_heading");
	char *label = catalogue_lang("en", "mod_reason_unclear");
	char *line;
	assert_true(asprintf(&line, "Reason: %s", label) > 0);
	assert_true(html_shows_text(r.body.data, line));
	free(line);
	free(label);
	assert_non_null(strstr(r.body.data, "Say &lt;who&gt; should act."));
	resp_free(&r);
	/* In Russian, the reason too. */
	client_get(c, "/me/p/sent-back-once/edit?lang=ru", &r);
	assert_page_shows(r.body.data, "ru", "mod_reason_unclear");
	resp_free(&r);
	client_get(c, "/me/p/sent-back-once/edit?lang=en", &r);
	resp_free(&r);
	/* Changed and saved, it stays with the moderator's word … */
	d.action = "save";
	d.title = "Sent back once, now clear";
	assert_int_equal(post_draft(c, "/me/p/sent-back-once/edit", NULL, &d,
			     NULL, &r),
	    303);
	resp_free(&r);
	client_get(c, "/me/p/sent-back-once/edit", &r);
	assert_int_equal(r.status, 200);
	assert_true(html_shows_text(r.body.data, "Sent back once, now clear"));
	assert_page_shows(r.body.data, "en", "start_rejected_heading");
	resp_free(&r);
	/* … until it is submitted again. */
	d.action = "submit";
	assert_int_equal(post_draft(c, "/me/p/sent-back-once/edit", NULL, &d,
			     NULL, &r),
	    303);
	resp_free(&r);
	client_get(c, "/me/p/sent-back-once/edit", &r);
	assert_int_equal(r.status, 409);
	resp_free(&r);
	client_free(c);
}

static void
test_rate_limited(void **state)
{
	(void)state;
	static const char *const args[] = { "--rate-limit", "on", NULL };
	struct server *s = server_new_seeded(args);
	struct draft d = draft_default("Again and again");
	struct resp r;
	int i;

	assert_non_null(s);
	assert_int_equal(harness_user_add(s, ANN, "starter", PASSWORD), 0);
	struct client *c = signed_in_to(s, ANN);
	/* Saving is limited … */
	for (i = 0; i < 30; i++) {
		assert_true(post_draft(c, "/start", NULL, &d, NULL, &r) == 303 ||
		    r.status == 429);
		long st = r.status;
		if (st == 429) {
			char *ra = resp_header(&r, "Retry-After");
			assert_non_null(ra);
			free(ra);
		}
		resp_free(&r);
		if (st == 429)
			break;
	}
	assert_true(i < 30);
	/* … previews are not: they store nothing. */
	d.action = "preview";
	for (i = 0; i < 15; i++) {
		assert_int_equal(post_draft(c, "/start", NULL, &d, NULL, &r),
		    200);
		resp_free(&r);
	}
	char *tok = client_page_csrf(c, "/start");
	struct hbuf b = { 0 };
	form_add(&b, "csrf", tok);
	form_add(&b, "body", "*typing*");
	for (i = 0; i < 15; i++) {
		client_post(c, "/preview", b.data, b.len, NULL, &r);
		assert_int_equal(r.status, 200);
		resp_free(&r);
	}
	hbuf_free(&b);
	free(tok);
	client_free(c);
	assert_int_equal(server_free(s), 0);
}

static void
test_slugs_transliterated(void **state)
{
	(void)state;
	struct client *c = signed_in(ANN);
	struct draft d = draft_default("Свобода политзаключённым!");

	char *slug = new_draft(c, &d);
	assert_string_equal(slug, "svoboda-politzaklucennym");
	free(slug);
	d.title = "Київ — це Україна";
	slug = new_draft(c, &d);
	assert_string_equal(slug, "kiiv-ce-ukraina");
	free(slug);
	/* Nothing Latin in it at all. */
	d.title = "\xf0\x9f\x8c\x8d\xf0\x9f\x95\x8a";
	slug = new_draft(c, &d);
	assert_string_equal(slug, "petition");
	free(slug);
	d.body = "Another text.";
	slug = new_draft(c, &d);
	assert_string_equal(slug, "petition-2");
	free(slug);
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logged_out_sent_to_login),
		cmocka_unit_test(test_form_shown),
		cmocka_unit_test(test_draft_of_the_seed_text),
		cmocka_unit_test(test_edit_own_draft),
		cmocka_unit_test(test_others_refused),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_title_length_in_characters),
		cmocka_unit_test(test_body_length),
		cmocka_unit_test(test_preview),
		cmocka_unit_test(test_form_token),
		cmocka_unit_test(test_submit_for_moderation),
		cmocka_unit_test(test_unverified_cannot_submit),
		cmocka_unit_test(test_rejected_petition),
		cmocka_unit_test(test_slugs_transliterated),
		cmocka_unit_test(test_rate_limited),
	};
	server_group(&srv, NULL, add_users);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
