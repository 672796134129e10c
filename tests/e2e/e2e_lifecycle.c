/* e2e_lifecycle.c - a petition's life through the real server: the seed
 * petition started on the web by a new user, approved and signed; rejection
 * and resubmission; hiding (410) and restoring; the closing date; and what
 * each role may not do. Mail goes through a real SMTP server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"
#define MOD_EMAIL "moderator@example.org"
#define STARTER_EMAIL "starter@example.org"
#define OTHER_EMAIL "other@example.org"
#define WAIT_MS 10000

static struct mailworld w;

/* holos with --smtp to a fresh smtpd.py, no petition imported, a
 * moderator and two verified starters made with the real command. */
static int
setup(void **state)
{
	(void)state;
	if (mailworld_start(&w, NULL, NULL) != 0)
		return -1;
	if (harness_user_add(&w.srv, MOD_EMAIL, "moderator", PASSWORD) != 0 ||
	    harness_user_add(&w.srv, STARTER_EMAIL, "starter", PASSWORD) != 0 ||
	    harness_user_add(&w.srv, OTHER_EMAIL, "starter", PASSWORD) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return mailworld_end(&w);
}

/* GET path with c, insisting on status; returns the body (malloc'd). */
static char *
get_page(struct client *c, const char *path, long status)
{
	struct resp r;
	char *body;

	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	if (r.status != status)
		fail_msg("GET %s: status %ld, wanted %ld\n%s", path, r.status,
		    status, r.body.data ? r.body.data : "");
	body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	return body;
}

/* Whether GET path with c shows needle within WAIT_MS (for what a
 * background job does soon). */
static bool
page_soon(struct client *c, const char *path, const char *needle)
{
	char *page = client_page_until(c, path, needle, WAIT_MS);
	bool seen = page != NULL;

	free(page);
	return seen;
}

/* POSTs body to path; returns the status, *location the Location header
 * (malloc'd or NULL) when location is not NULL. */
static long
post(struct client *c, const char *path, const struct hbuf *body,
    char **location)
{
	struct resp r;
	long st;

	assert_int_equal(client_post(c, path, body->data ? body->data : "",
			     body->len, NULL, &r),
	    CURLE_OK);
	st = r.status;
	if (location != NULL)
		*location = resp_header(&r, "Location");
	resp_free(&r);
	return st;
}

struct draft {
	const char *title;
	const char *to[6]; /* NULL-terminated */
	const char *body;
	const char *goal;
	const char *lang;
	const char *closes; /* NULL: none */
};

/* Sends the /start form (or the edit form at path) with action; returns
 * the status and the slug the Location names (malloc'd) in *slug. */
static long
send_petition(struct client *c, const char *path, const struct draft *d,
    const char *action, char **slug)
{
	struct hbuf b = { 0 };
	char *tok = client_page_csrf(c, path), *loc = NULL, key[32];
	long st;

	form_add(&b, "csrf", tok);
	form_add(&b, "title", d->title);
	for (int i = 0; d->to[i] != NULL; i++) {
		snprintf(key, sizeof key, "to_name_%d", i + 1);
		form_add(&b, key, d->to[i]);
	}
	form_add(&b, "body", d->body);
	form_add(&b, "goal", d->goal);
	form_add(&b, "lang", d->lang);
	if (d->closes != NULL)
		form_add(&b, "closes", d->closes);
	form_add(&b, "action", action);
	st = post(c, path, &b, &loc);
	if (slug != NULL) {
		*slug = NULL;
		if (loc != NULL && strncmp(loc, "/me/p/", 6) == 0)
			*slug = strndup(loc + 6, strcspn(loc + 6, "/?"));
	}
	free(loc);
	free(tok);
	hbuf_free(&b);
	return st;
}

/* The version field of the petition's admin page as c sees it now
 * (malloc'd), or NULL when the page cannot be had. */
static char *
admin_version(struct client *c, const char *slug)
{
	char path[256];
	struct resp r;
	char *v = NULL;

	snprintf(path, sizeof path, "/admin/p/%s", slug);
	if (client_get(c, path, &r) == CURLE_OK && r.status == 200)
		v = html_hidden(r.body.data, "version");
	resp_free(&r);
	return v;
}

/* A moderator's action on a petition, made on the text of version (NULL:
 * as the admin page shows it now); returns the status. */
static long
moderate_on(struct client *c, const char *slug, const char *action,
    const char *reason, const char *note, const char *version)
{
	char path[256];
	struct hbuf b = { 0 };
	char *tok, *seen = version == NULL ? admin_version(c, slug) : NULL;
	long st;

	tok = client_page_csrf(c, "/admin"); /* any form token of the session */
	form_add(&b, "csrf", tok);
	form_add(&b, "action", action);
	if (version != NULL || seen != NULL)
		form_add(&b, "version", version != NULL ? version : seen);
	if (reason != NULL)
		form_add(&b, "reason", reason);
	if (note != NULL)
		form_add(&b, "note", note);
	snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
	st = post(c, path, &b, NULL);
	free(seen);
	free(tok);
	hbuf_free(&b);
	return st;
}

/* A moderator's action on a petition as its page shows it now; returns
 * the status. */
static long
moderate(struct client *c, const char *slug, const char *action,
    const char *reason, const char *note)
{
	return moderate_on(c, slug, action, reason, note, NULL);
}

/* The starter's own move on their petition (withdraw, close, victory);
 * returns the status. */
static long
starter_move(struct client *c, const char *slug, const char *action,
    const char *note)
{
	char path[256];
	struct hbuf b = { 0 };
	char *tok;
	long st;

	snprintf(path, sizeof path, "/me/p/%s", slug);
	tok = client_page_csrf(c, path);
	form_add(&b, "csrf", tok);
	form_add(&b, "action", action);
	if (note != NULL)
		form_add(&b, "note", note);
	snprintf(path, sizeof path, "/me/p/%s/state", slug);
	st = post(c, path, &b, NULL);
	free(tok);
	hbuf_free(&b);
	return st;
}

static struct client *
signed_in(const char *email)
{
	return client_signed_in(&w.srv, email, PASSWORD);
}

/* The seed file's front matter value of key (malloc'd) and its body. */
static char *
seed_field(const char *seed, const char *key)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof want, "\n%s: ", key);
	p = strstr(seed, want);
	assert_non_null(p);
	p += strlen(want);
	return strndup(p, strcspn(p, "\n"));
}

/* The status of GET path for a fresh visitor. */
static long
status_of(const char *path)
{
	struct client *c = client_new(&w.srv);
	struct resp r;
	long st;

	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	st = r.status;
	resp_free(&r);
	client_free(c);
	return st;
}

/* Follows the link of the mail to rcpt whose path starts with prefix:
 * GET shows a button, the POST acts. Returns the POST's status. */
static long
follow_mail(struct client *c, const char *rcpt, const char *prefix)
{
	return mail_follow(c, &w.mail, rcpt, prefix, WAIT_MS);
}

/* Waits for a mail to rcpt whose plain text contains needle; returns its
 * subject (malloc'd), or NULL when none came. */
static char *
mail_with(const char *rcpt, const char *needle)
{
	char want[300];

	snprintf(want, sizeof want, "RCPT TO: <%s>\n", rcpt);
	for (long long end = now_ms() + WAIT_MS; now_ms() < end; pause_ms(50)) {
		int n = maildir_count(&w.mail);

		for (int i = 1; i <= n; i++) {
			struct hbuf env = { 0 };
			bool to = maildir_env(&w.mail, i, &env) == 0 &&
			    strstr(env.data, want) != NULL;
			hbuf_free(&env);
			if (!to)
				continue;
			json_t *m = mail_parse(&w.mail, i);
			const char *text = m ? mail_part(m, "text/plain") : NULL;
			char *subject = NULL;
			if (text != NULL && strstr(text, needle) != NULL)
				subject = strdup(mail_header(m, "subject"));
			json_decref(m);
			if (subject != NULL)
				return subject;
		}
	}
	return NULL;
}

/* The journey: a new user signs up, verifies the address, starts
 * the seed petition through the web form; a moderator finds it in the
 * queue, sees it as it will appear and approves it; a signer signs and
 * confirms; the count shows it, in Russian too. */
static void
test_seed_petition_through_the_web(void **state)
{
	struct hbuf seedf = { 0 }, b = { 0 };
	struct client *starter = client_new(&w.srv), *mod, *signer;
	struct draft d;
	char *title, *to, *goal, *body, *slug = NULL, *html, *tok, path[256];
	const char *tos[6] = { 0 };
	long want;
	int n = 0;

	(void)state;
	assert_int_equal(slurp(SEED_PATH, &seedf), 0);
	title = seed_field(seedf.data, "title");
	to = seed_field(seedf.data, "to");
	goal = seed_field(seedf.data, "goal");
	body = strdup(strstr(strstr(seedf.data, "---\n") + 4, "---\n") + 4);
	for (char *save = NULL, *t = strtok_r(to, ";", &save);
	     t != NULL && n < 5; t = strtok_r(NULL, ";", &save))
		tos[n++] = t + strspn(t, " ");

	/* Sign-up and verification. */
	tok = client_page_csrf(starter, "/signup");
	form_add(&b, "csrf", tok);
	form_add(&b, "name", "Olena Kovalenko");
	form_add(&b, "email", "olena@example.org");
	form_add(&b, "password", PASSWORD);
	assert_int_equal(post(starter, "/signup", &b, NULL), 200);
	free(tok);
	hbuf_free(&b);
	assert_int_equal(follow_mail(starter, "olena@example.org", "/verify/"),
	    303);

	/* The petition, written and submitted on the web. */
	d = (struct draft){ .title = title,
		.body = body,
		.goal = goal,
		.lang = "en" };
	memcpy(d.to, tos, sizeof(tos));
	assert_int_equal(send_petition(starter, "/start", &d, "submit", &slug),
	    303);
	assert_non_null(slug);
	snprintf(path, sizeof path, "/p/%s", slug);
	assert_int_equal(status_of(path), 404); /* pending: not public */

	/* Moderation: in the queue, shown as it will appear, approved. */
	mod = signed_in(MOD_EMAIL);
	html = get_page(mod, "/admin", 200);
	assert_true(html_shows_text(html, title));
	free(html);
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	html = get_page(mod, path, 200);
	assert_non_null(strstr(html,
	    "An immediate reaction of international "
	    "organizations and leaders of nations is required."));
	assert_true(html_shows_text(html, "Council of Europe"));
	free(html);
	assert_int_equal(moderate(mod, slug, "approve", NULL, NULL), 303);

	/* Public now, started by the new user, at 0 of 15,000. */
	snprintf(path, sizeof path, "/p/%s?lang=ru", slug);
	html = get_page(starter, path, 200);
	assert_true(html_shows_text(html,
	    "0 людей подписали. Следующая цель: 15\u00a0000"));
	assert_true(html_shows_text(html, "Olena Kovalenko"));
	free(html);

	/* Signed and confirmed: the count is 1. */
	signer = client_new(&w.srv);
	struct signer s = signer_default("signer@example.org");
	struct resp r;
	assert_int_equal(client_sign(signer, slug, &s, &r), 303);
	resp_free(&r);
	assert_int_equal(follow_mail(signer, "signer@example.org", "/c/"), 303);
	want = 1;
	assert_int_equal(petition_count(&w.srv, slug), want);

	/* Every transition is recorded, with who. */
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	html = get_page(mod, path, 200);
	assert_non_null(strstr(html, "<td>draft</td><td>pending</td>"));
	assert_non_null(strstr(html, "<td>pending</td><td>open</td>"));
	free(html);

	free(title);
	free(to);
	free(goal);
	free(body);
	free(slug);
	hbuf_free(&seedf);
	client_free(starter);
	client_free(mod);
	client_free(signer);
	w.passed = true;
}

/* Submits d from starter and has mod approve it: an open petition. Returns
 * its slug (malloc'd). */
static char *
open_petition(struct client *starter, struct client *mod, const struct draft *d)
{
	char *slug = NULL;

	assert_int_equal(send_petition(starter, "/start", d, "submit", &slug),
	    303);
	assert_non_null(slug);
	assert_int_equal(moderate(mod, slug, "approve", NULL, NULL), 303);
	return slug;
}

static const struct draft plain = {
	.title = "Open the city library on Sundays",
	.to = { "City council", NULL },
	.body = "The library is closed on **Sundays**, when most of us are "
		"free.",
	.goal = "500",
	.lang = "en",
};

/* Rejected with a reason and a note the starter reads, edited,
 * resubmitted, approved. */
static void
test_reject_edit_resubmit(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	struct draft d = plain;
	char *slug = NULL, *html, path[256];

	(void)state;
	assert_int_equal(send_petition(starter, "/start", &d, "submit", &slug),
	    303);
	assert_non_null(slug);
	/* A rejection needs a reason and a note. */
	assert_int_equal(moderate(mod, slug, "reject", NULL, "x"), 422);
	assert_int_equal(moderate(mod, slug, "reject", "unclear", NULL), 422);
	assert_int_equal(moderate(mod, slug, "reject", "no-such", "x"), 422);
	assert_int_equal(moderate(mod, slug, "reject", "unclear",
			     "Say which library."),
	    303);
	/* The starter is told by mail, with the reason and the note. */
	char *subject = mail_with(STARTER_EMAIL, "Say which library.");
	assert_non_null(subject);
	assert_non_null(strstr(subject, "needs changes"));
	free(subject);
	snprintf(path, sizeof path, "/p/%s", slug);
	assert_int_equal(status_of(path), 404);

	/* The starter sees why, edits and sends it again. */
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	html = get_page(starter, path, 200);
	assert_true(html_shows_text(html, "Say which library."));
	free(html);
	d.title = "Open the Central City Library on Sundays";
	assert_int_equal(send_petition(starter, path, &d, "submit", NULL), 303);

	assert_int_equal(moderate(mod, slug, "approve", NULL, NULL), 303);
	subject = mail_with(STARTER_EMAIL, "It is public now");
	assert_non_null(subject);
	assert_non_null(strstr(subject, "Open the Central City Library"));
	free(subject);
	/* Approving twice: the second finds it open already. */
	assert_int_equal(moderate(mod, slug, "approve", NULL, NULL), 409);
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	html = get_page(mod, path, 200);
	assert_non_null(strstr(html, "<td>pending</td><td>rejected</td>"));
	assert_non_null(strstr(html, "<td>rejected</td><td>pending</td>"));
	free(html);
	snprintf(path, sizeof path, "/p/%s", slug);
	html = get_page(starter, path, 200);
	assert_true(
	    html_shows_text(html, "Open the Central City Library on Sundays"));
	free(html);
	free(slug);
	client_free(starter);
	client_free(mod);
	w.passed = true;
}

/* Hidden: the page, its JSON and signing answer 410 with the reason;
 * restored: back. */
static void
test_hide_and_restore(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	struct client *v = client_new(&w.srv);
	struct draft d = plain;
	char *slug = NULL, *html, path[256], *csrf;
	struct signer s = signer_default("late@example.org");
	struct hbuf b = { 0 };

	(void)state;
	d.title = "Plant trees along the river";
	slug = open_petition(starter, mod, &d);
	snprintf(path, sizeof path, "/p/%s", slug);
	csrf = client_fetch_csrf(v, slug);
	assert_non_null(csrf);
	assert_int_equal(moderate(mod, slug, "hide", NULL, NULL), 422);
	assert_int_equal(moderate(mod, slug, "hide", "offensive", ""), 303);
	html = get_page(v, path, 410);
	assert_true(html_shows_text(html, "offensive or hateful content"));
	/* Headed as removed, not as a failure of the site. */
	assert_page_shows(html, "en", "title_removed");
	char *wrong = catalogue_get("title_error");
	assert_false(html_shows_text(html, wrong));
	free(wrong);
	free(html);
	snprintf(path, sizeof path, "/p/%s.json", slug);
	assert_int_equal(status_of(path), 410);
	/* A form fetched before the hiding cannot sign now. */
	form_sign(&b, &s, csrf);
	snprintf(path, sizeof path, "/p/%s/sign", slug);
	assert_int_equal(post(v, path, &b, NULL), 410);
	hbuf_free(&b);
	/* Approving a hidden petition is not a move there is. */
	assert_int_equal(moderate(mod, slug, "approve", NULL, NULL), 409);
	assert_int_equal(moderate(mod, slug, "restore", NULL, NULL), 303);
	snprintf(path, sizeof path, "/p/%s", slug);
	assert_int_equal(status_of(path), 200);
	free(csrf);
	free(slug);
	client_free(starter);
	client_free(mod);
	client_free(v);
	w.passed = true;
}

/* Sets the petition's closing date to when, straight in the database:
 * the test's way of letting time pass. */
static void
set_closes_at(const char *slug, long long when)
{
	char sql[256];

	snprintf(sql, sizeof sql,
	    "UPDATE petitions SET closes_at = %lld "
	    "WHERE slug = '%s'",
	    when, slug);
	assert_int_equal(server_db_exec(&w.srv, sql), 0);
}

/* A closing date: shown on the page; once it passes, signing is refused
 * at once and the sweep records the petition closed. */
static void
test_closing_date(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	struct client *v = client_new(&w.srv);
	struct draft d = plain;
	char *slug = NULL, *html, path[256], closes[16];
	struct signer s = signer_default("closing@example.org");
	struct resp r;
	time_t t = time(NULL) + 7 * 86400;
	struct tm tm;

	(void)state;
	gmtime_r(&t, &tm);
	strftime(closes, sizeof closes, "%Y-%m-%d", &tm);
	d.title = "Keep the night buses running";
	d.closes = closes;
	slug = open_petition(starter, mod, &d);
	snprintf(path, sizeof path, "/p/%s", slug);
	html = get_page(v, path, 200);
	assert_non_null(strstr(html, "petition__closes"));
	free(html);

	set_closes_at(slug, (long long)time(NULL) - 1);
	assert_int_equal(client_sign(v, slug, &s, &r), 409);
	resp_free(&r);
	/* The JSON says closed at once, before the sweep has recorded it
	 * (its cached copy is at most a few seconds old). */
	snprintf(path, sizeof path, "/p/%s.json", slug);
	assert_true(page_soon(v, path, "\"state\":\"closed\""));
	/* The sweep runs at start, beside the first requests: after a
	 * restart it soon records the move, as "system". */
	assert_int_equal(server_restart(&w.srv), 0);
	client_free(mod);
	mod = signed_in(MOD_EMAIL);
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	assert_true(page_soon(mod, path,
	    "<td>system</td><td>open</td><td>closed</td>"));
	free(slug);
	client_free(starter);
	client_free(mod);
	client_free(v);
	w.passed = true;
}

/* A petition closed by another process (another node of a cluster, a
 * command on the database): this one refuses its signatures within
 * about a second, though it signs from its own copy of the petition. */
static void
test_closed_elsewhere(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	struct client *v = client_new(&w.srv);
	struct draft d = plain;
	char *slug = NULL, sql[256], email[64];
	struct signer s;
	struct resp r;
	int status = 0, n = 0;

	(void)state;
	d.title = "Light the path through the park";
	slug = open_petition(starter, mod, &d);
	s = signer_default("first@example.org");
	assert_int_equal(client_sign(v, slug, &s, &r), 303);
	resp_free(&r);
	/* As another process closes it: its row, not this process's
	 * lifecycle. */
	snprintf(sql, sizeof sql,
	    "UPDATE petitions SET state = 'closed', updated_at = updated_at + 1"
	    " WHERE slug = '%s'",
	    slug);
	assert_int_equal(server_db_exec(&w.srv, sql), 0);
	for (long long end = now_ms() + WAIT_MS; now_ms() < end; pause_ms(100)) {
		snprintf(email, sizeof email, "later%d@example.org", n++);
		s = signer_default(email);
		status = client_sign(v, slug, &s, &r);
		resp_free(&r);
		if (status != 303)
			break;
	}
	assert_int_equal(status, 409);
	free(slug);
	client_free(starter);
	client_free(mod);
	client_free(v);
	w.passed = true;
}

/* What each role may not do: 302 to the login page, or 403; never 500. */
static void
test_refusals(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *other = signed_in(OTHER_EMAIL);
	struct client *anon = client_new(&w.srv);
	struct draft d = plain;
	char *slug = NULL, path[256], *loc = NULL, *tok;
	struct hbuf b = { 0 };
	struct resp r;

	(void)state;
	d.title = "Light the school crossing";
	assert_int_equal(send_petition(starter, "/start", &d, "submit", &slug),
	    303);
	/* Logged out: to the login page, coming back after. */
	const char *paths[] = { "/start", "/me", "/admin" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(client_get(anon, paths[i], &r), CURLE_OK);
		assert_int_equal(r.status, 302);
		loc = resp_header(&r, "Location");
		assert_non_null(loc);
		assert_non_null(strstr(loc, "/login?next="));
		free(loc);
		resp_free(&r);
	}
	snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
	form_add(&b, "action", "approve");
	form_add(&b, "csrf", "1.x");
	assert_int_equal(post(anon, path, &b, NULL), 302);
	hbuf_free(&b);

	/* Signing in without a target leads to the user's own home: a
	 * starter's dashboard list, a moderator's queue. */
	const char *who[][2] = { { OTHER_EMAIL, "/me" },
		{ MOD_EMAIL, "/admin" } };
	for (size_t i = 0; i < 2; i++) {
		struct client *c = client_new(&w.srv);
		tok = client_page_csrf(c, "/login");
		form_add(&b, "email", who[i][0]);
		form_add(&b, "password", PASSWORD);
		form_add(&b, "csrf", tok);
		assert_int_equal(post(c, "/login", &b, &loc), 303);
		assert_non_null(loc);
		assert_string_equal(loc, who[i][1]);
		free(loc);
		free(tok);
		hbuf_free(&b);
		client_free(c);
	}

	/* A starter cannot moderate, not even with a valid form token of
	 * their own session. */
	assert_int_equal(status_of("/admin"), 302);
	free(get_page(starter, "/admin", 403));
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	tok = client_page_csrf(starter, "/start");
	form_add(&b, "csrf", tok);
	form_add(&b, "action", "approve");
	snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
	assert_int_equal(post(starter, path, &b, NULL), 403);
	hbuf_free(&b);
	free(tok);

	/* Another starter cannot edit it nor see its dashboard. */
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	free(get_page(other, path, 403));
	snprintf(path, sizeof path, "/me/p/%s", slug);
	free(get_page(other, path, 403));

	/* A moderator's form without its token: 403. */
	struct client *mod = signed_in(MOD_EMAIL);
	form_add(&b, "action", "approve");
	snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
	assert_int_equal(post(mod, path, &b, NULL), 403);
	hbuf_free(&b);
	assert_int_equal(moderate(mod, slug, "nonsense", NULL, NULL), 422);
	assert_int_equal(moderate(mod, "no-such-petition", "approve", NULL,
			     NULL),
	    404);
	free(slug);
	client_free(starter);
	client_free(other);
	client_free(anon);
	client_free(mod);
	w.passed = true;
}

/* A starter takes a submitted petition back to draft, edits it, sends it
 * again; once open it cannot be withdrawn or edited, only closed or won. */
static void
test_withdraw_and_starter_moves(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	struct draft d = plain;
	char *slug = NULL, *html, path[256];

	(void)state;
	char *read;

	d.title = "Repair the bridge on Mill Street";
	assert_int_equal(send_petition(starter, "/start", &d, "submit", &slug),
	    303);
	assert_non_null(slug);
	/* The moderator opens it ... */
	read = admin_version(mod, slug);
	assert_non_null(read);
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	free(get_page(starter, path, 409)); /* pending: locked */
	assert_int_equal(starter_move(starter, slug, "withdraw", NULL), 303);
	html = get_page(starter, path, 200); /* a draft again */
	free(html);
	d.body = "The bridge on **Mill Street** has been closed for a year.";
	assert_int_equal(send_petition(starter, path, &d, "submit", NULL), 303);
	/* ... and approves what they read, which is no longer the text: the
	 * approval is refused (an approval without a version too) and the
	 * petition stays pending. */
	assert_int_equal(moderate_on(mod, slug, "approve", NULL, NULL, read),
	    409);
	assert_int_equal(moderate_on(mod, slug, "approve", NULL, NULL, ""), 409);
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	html = get_page(mod, path, 200);
	assert_non_null(strstr(html, "id=\"state\""));
	assert_null(strstr(html, "<td>pending</td><td>open</td>"));
	free(html);
	free(read);
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	assert_int_equal(moderate(mod, slug, "approve", NULL, NULL), 303);
	/* Open: no withdrawing, no editing; victory needs a note. */
	assert_int_equal(starter_move(starter, slug, "withdraw", NULL), 409);
	free(get_page(starter, path, 409));
	assert_int_equal(starter_move(starter, slug, "victory", NULL), 422);
	assert_int_equal(starter_move(starter, slug, "victory",
			     "The council voted the repairs."),
	    303);
	snprintf(path, sizeof path, "/p/%s", slug);
	html = get_page(starter, path, 200);
	assert_true(html_shows_text(html, "The council voted the repairs."));
	free(html);
	/* The history holds every move with who made it. */
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	html = get_page(mod, path, 200);
	assert_non_null(strstr(html, "<td>pending</td><td>draft</td>"));
	assert_non_null(strstr(html, "<td>open</td><td>victory</td>"));
	free(html);
	free(slug);
	client_free(starter);
	client_free(mod);
	w.passed = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed_petition_through_the_web,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_edit_resubmit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hide_and_restore, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_closing_date, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_closed_elsewhere, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_and_starter_moves,
		    setup, teardown),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
