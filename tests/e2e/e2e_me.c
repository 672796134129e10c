/* e2e_me.c - end-to-end tests of the starter's dashboard: who may see it,
 * confirmed and pending figures, the chart and countries, the signers' CSV,
 * updates mailed once to each opted-in signer in their language with a
 * working one-click unsubscribe, responses, the starter's state changes,
 * `holos import --owner`, and mailing in batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "mail_fanout.h"

#define WAIT_MS 15000
#define PASSWORD "correct horse battery staple"
#define STARTER "me-starter@example.org"
#define OTHER "me-other@example.org"
#define ADMIN "me-admin@example.org"
#define SLUG "me-bridge"
#define TITLE "Repair the Old Bridge"
#define SLUG2 "me-park"
#define TITLE2 "Keep the Park Green"

/* The group's world: holos delivering to smtpd.py. Signatures count only
 * once their link is followed (no --count-on-sign). */
static struct mailworld w;
static int expected; /* messages the maildir should hold by now */

/* The server the helpers talk to: w.srv, or test_batches' own. */
static struct server *srv = &w.srv;

/* The signers of SLUG. */
enum who { A, B, C, D, E, F, WHO__MAX };

static const struct {
	const char *first, *last, *email, *country, *lang;
	bool public_, updates, confirm;
} signers[WHO__MAX] = {
	[A] = { "Anna", "Tester", "me-a@example.org", "UA", "en", true, true,
	    true },
	[B] = { "Мария", "Иванова", "me-b@example.org", "DE", "ru", true, true,
	    true },
	[C] = { "Carl", "Private", "me-c@example.org", "UA", "en", false, true,
	    true },
	[D] = { "Dora", "Pending", "me-d@example.org", "PL", "en", true, true,
	    false },
	[E] = { "Eve", "Quiet", "me-e@example.org", "PL", "en", true, false,
	    true },
	[F] = { "=HYPERLINK(\"http://evil.example\")", "+cmd",
	    "me-f@example.org", "UA", "en", true, false, true },
};

/* ---- helpers ---- */

/* Writes a petition file into dir and imports it with --owner; returns the
 * exit status, with stderr in err (may be NULL). */
static int
import_owned(const struct server *s, const char *slug, const char *title,
    const char *owner, struct hbuf *err)
{
	char path[400], src[1024];
	snprintf(path, sizeof path, "%s/%s.md", s->root, slug);
	snprintf(src, sizeof src,
	    "---\ntitle: %s\nto: City council\ngoal: 100\nlang: en\nslug: %s\n---\n"
	    "Please repair it before winter.\n",
	    title, slug);
	if (write_file(path, src, strlen(src)) != 0)
		return -1;
	const char *argv[] = { "import", "--data", s->data, "--owner", owner,
		path, NULL };
	return cli_run(argv, NULL, err);
}

static struct client *
client_as(const char *email)
{
	return client_signed_in(srv, email, PASSWORD);
}

/* POSTs an update (author may be NULL, csrf NULL: none) to slug. */
static long
post_update(struct client *c, const char *slug, const char *kind,
    const char *title, const char *body, const char *author, const char *csrf,
    struct resp *r)
{
	struct hbuf b = { 0 };
	char path[256];
	form_add(&b, "kind", kind);
	form_add(&b, "title", title);
	form_add(&b, "body", body);
	if (author != NULL)
		form_add(&b, "author", author);
	if (csrf != NULL)
		form_add(&b, "csrf", csrf);
	snprintf(path, sizeof path, "/me/p/%s/update", slug);
	assert_int_equal(client_post(c, path, b.data, b.len, NULL, r), CURLE_OK);
	hbuf_free(&b);
	return r->status;
}

/* POSTs a state action (note may be NULL, csrf NULL: none) and returns the
 * status; the response is freed unless r is given. */
static long
post_state_confirm(struct client *c, const char *slug, const char *action,
    const char *note, const char *csrf, bool confirm, struct resp *r)
{
	struct hbuf b = { 0 };
	struct resp own;
	char path[256];
	form_add(&b, "action", action);
	if (confirm)
		form_add(&b, "confirm", "1");
	if (note != NULL)
		form_add(&b, "note", note);
	if (csrf != NULL)
		form_add(&b, "csrf", csrf);
	snprintf(path, sizeof path, "/me/p/%s/state", slug);
	struct resp *rr = r != NULL ? r : &own;
	assert_int_equal(client_post(c, path, b.data, b.len, NULL, rr),
	    CURLE_OK);
	hbuf_free(&b);
	long st = rr->status;
	if (r == NULL)
		resp_free(&own);
	return st;
}

/* The same without the tick that confirms a move that cannot be undone. */
static long
post_state(struct client *c, const char *slug, const char *action,
    const char *note, const char *csrf, struct resp *r)
{
	return post_state_confirm(c, slug, action, note, csrf, false, r);
}

/* Signs slug as signer k with a fresh client, in the signer's language. */
static void
sign_as(const char *slug, enum who k)
{
	struct signer s = signer_default(signers[k].email);
	s.first_name = signers[k].first;
	s.last_name = signers[k].last;
	s.country = signers[k].country;
	s.public_ = signers[k].public_ ? "1" : NULL;
	s.updates = signers[k].updates ? "1" : NULL;
	long st = sign_fresh(srv, slug, &s, signers[k].lang, NULL);
	if (st != 303)
		fail_msg("signing as %s: status %ld", signers[k].email, st);
	expected++; /* the confirmation link */
}

/* Follows the confirmation link mailed to email: GET, then the button. */
static void
confirm(const char *email)
{
	struct client *c = client_new(srv);
	long st = mail_follow(c, &w.mail, email, "/c/", WAIT_MS);
	if (st != 303)
		fail_msg("confirming %s: status %ld", email, st);
	client_free(c);
}

/* How many outbox rows are still queued or sending, and how many are of
 * kind "update" (all states). */
static void
outbox_rows(int *waiting, int *updates)
{
	struct outbox_row *rows;
	int n = outbox_list(srv, &rows);
	if (n < 0)
		fail_msg("holos outbox list failed (see above)");
	*waiting = outbox_rows_in(rows, n, "queued", 0, NULL) +
	    outbox_rows_in(rows, n, "sending", 0, NULL);
	*updates = outbox_rows_in(rows, n, NULL, 0, " update ");
	free(rows);
}

/* Waits until the maildir holds expected messages and the outbox has
 * nothing left to send; then a moment for stragglers, and the count must
 * still be expected. */
static void
mail_settle(void)
{
	int have = maildir_wait(&w.mail, expected, WAIT_MS);
	if (have < expected)
		fail_msg("%d messages arrived, wanted %d", have, expected);
	long long end = now_ms() + WAIT_MS;
	int waiting, updates;
	for (;;) {
		outbox_rows(&waiting, &updates);
		if (waiting == 0 || now_ms() > end)
			break;
		pause_ms(100);
	}
	assert_int_equal(waiting, 0);
	have = maildir_quiet(&w.mail, expected, 500);
	if (have != expected)
		fail_msg("%d messages arrived, wanted exactly %d", have,
		    expected);
}

/* msg_arg() that frees pattern. */
static char *
replace_arg(char *pattern, const char *name, const char *value)
{
	char *s = msg_arg(pattern, name, value);
	free(pattern);
	return s;
}

/* The one recipient of message i (envelope), malloc'd. */
static char *
rcpt_of(int i)
{
	struct hbuf env = { 0 };
	assert_int_equal(maildir_env(&w.mail, i, &env), 0);
	if (count_of(env.data, "RCPT TO:") != 1)
		fail_msg("message %d has more than one recipient:\n%s", i,
		    env.data);
	const char *p = strstr(env.data, "RCPT TO: <") + 10;
	char *s = strndup(p, strcspn(p, ">"));
	hbuf_free(&env);
	return s;
}

static int
who_of(const char *email)
{
	for (int k = 0; k < WHO__MAX; k++)
		if (strcmp(signers[k].email, email) == 0)
			return k;
	return -1;
}

/* Checks messages from..to (1-based, inclusive) are the update titled
 * update (or a response by author) to exactly the signers in want, once
 * each, in each one's language. Fills unsub[k] (malloc'd, may be NULL)
 * with the path of the one-click link of signer k's message. */
static void
check_update_mail(int from, int to, const char *update, const char *author,
    const bool *want, char **unsub)
{
	int got[WHO__MAX] = { 0 };
	for (int i = from; i <= to; i++) {
		char *rcpt = rcpt_of(i);
		int k = who_of(rcpt);
		if (k < 0 || !want[k])
			fail_msg("message %d went to %s, who should not get this update",
			    i, rcpt);
		got[k]++;
		json_t *m = mail_parse(&w.mail, i);
		assert_non_null(m);
		const char *lang = signers[k].lang;
		char *subject = catalogue_lang(lang,
		    author != NULL ? "mail_update_response_subject" :
				     "mail_update_subject");
		subject = replace_arg(subject, "title", TITLE);
		subject = replace_arg(subject, "update", update);
		if (author != NULL)
			subject = replace_arg(subject, "author", author);
		const char *got_subject = mail_header(m, "subject");
		if (got_subject == NULL || strcmp(got_subject, subject) != 0)
			fail_msg("message %d to %s: Subject \"%s\", wanted \"%s\"",
			    i, rcpt, got_subject ? got_subject : "(none)",
			    subject);
		const char *cl = mail_header(m, "content-language");
		if (cl == NULL || strcmp(cl, lang) != 0)
			fail_msg("message %d to %s: Content-Language %s, wanted %s",
			    i, rcpt, cl ? cl : "(none)", lang);
		const char *text = mail_part(m, "text/plain");
		const char *html = mail_part(m, "text/html");
		assert_non_null(text);
		assert_non_null(html);
		if (strstr(text, signers[k].first) == NULL)
			fail_msg("message %d does not greet %s", i,
			    signers[k].first);
		assert_non_null(strstr(text, update));
		char petition[128];
		snprintf(petition, sizeof petition, "/p/%s?lang=%s", SLUG, lang);
		assert_non_null(strstr(text, petition));
		/* Nobody else's address is in it. */
		for (int j = 0; j < WHO__MAX; j++)
			if (j != k && strstr(text, signers[j].email) != NULL)
				fail_msg("message %d to %s holds %s", i, rcpt,
				    signers[j].email);
		const char *lu = mail_header(m, "list-unsubscribe");
		const char *lup = mail_header(m, "list-unsubscribe-post");
		if (lu == NULL || lup == NULL ||
		    strcmp(lup, "List-Unsubscribe=One-Click") != 0)
			fail_msg("message %d has no one-click List-Unsubscribe",
			    i);
		char *path = link_path(lu, srv->base, "/u/");
		assert_non_null(path);
		/* The same link is in both parts. */
		assert_non_null(strstr(text, path));
		char *hpath = link_path(html, srv->base, "/u/");
		assert_non_null(hpath);
		char *hdec = html_decode(hpath);
		assert_string_equal(hdec, path);
		free(hdec);
		free(hpath);
		if (unsub != NULL)
			unsub[k] = path;
		else
			free(path);
		free(subject);
		free(rcpt);
		json_decref(m);
	}
	for (int k = 0; k < WHO__MAX; k++)
		if (got[k] != (want[k] ? 1 : 0))
			fail_msg("%s got the update %d times, wanted %d",
			    signers[k].email, got[k], want[k] ? 1 : 0);
}

/* The server log must not hold any signer's address. */
static void
assert_log_clean(void)
{
	const char *emails[WHO__MAX + 1];
	for (int k = 0; k < WHO__MAX; k++)
		emails[k] = signers[k].email;
	emails[WHO__MAX] = NULL;
	assert_log_lacks(srv, emails);
}

/* ---- the group ---- */

static int
group_setup(void **state)
{
	(void)state;
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		NULL };
	if (mailworld_start(&w, args, NULL) != 0)
		return -1;
	if (harness_user_add(srv, STARTER, "starter", PASSWORD) != 0 ||
	    harness_user_add(srv, OTHER, "starter", PASSWORD) != 0 ||
	    harness_user_add(srv, ADMIN, "admin", PASSWORD) != 0)
		return -1;
	if (import_owned(&w.srv, SLUG, TITLE, STARTER, NULL) != 0 ||
	    import_owned(&w.srv, SLUG2, TITLE2, " Me-Starter@Example.org",
		NULL) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	w.passed = true; /* the group's root is not kept for a look */
	return mailworld_end(&w);
}

/* ---- the tests ---- */

static void
test_logged_out(void **state)
{
	(void)state;
	static const char *const paths[] = { "/me", "/me/p/" SLUG,
		"/me/p/" SLUG "/signers.csv" };
	struct client *c = client_new(srv);
	struct resp r;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		client_get_expect(c, paths[i], 302, &r);
		char *loc = resp_header(&r, "Location");
		char want[256];
		snprintf(want, sizeof want, "/login?next=%s", paths[i]);
		if (loc == NULL || strstr(loc, want) == NULL)
			fail_msg("GET %s: Location %s, wanted %s", paths[i],
			    loc ? loc : "(none)", want);
		free(loc);
		resp_free(&r);
	}
	assert_int_equal(post_update(c, SLUG, "update", "T", "B", NULL, "x", &r),
	    302);
	resp_free(&r);
	assert_int_equal(post_state(c, SLUG, "close", NULL, "x", NULL), 302);
	client_free(c);
}

static void
test_others_forbidden(void **state)
{
	(void)state;
	struct client *c = client_as(OTHER);
	struct resp r;
	/* Their own list does not show it. */
	client_get_expect(c, "/me", 200, &r);
	assert_null(strstr(r.body.data, SLUG));
	char *csrf = html_csrf(r.body.data);
	assert_non_null(csrf);
	resp_free(&r);
	client_get_expect(c, "/me/p/" SLUG, 403, &r);
	assert_null(strstr(r.body.data, "me-confirmed"));
	resp_free(&r);
	client_get_expect(c, "/me/p/" SLUG "/signers.csv", 403, &r);
	resp_free(&r);
	/* With a form token of their own session: still not theirs. */
	assert_int_equal(post_update(c, SLUG, "update", "Hijack", "Body", NULL,
			     csrf, &r),
	    403);
	resp_free(&r);
	assert_int_equal(post_state(c, SLUG, "close", NULL, csrf, NULL), 403);
	assert_int_equal(post_state(c, SLUG2, "victory", "won", csrf, NULL),
	    403);
	free(csrf);
	client_free(c);

	/* An admin may look; an unknown petition is 404 for the owner. */
	c = client_as(ADMIN);
	client_get_expect(c, "/me/p/" SLUG, 200, &r);
	resp_free(&r);
	client_free(c);
	c = client_as(STARTER);
	client_get_expect(c, "/me/p/no-such-petition", 404, &r);
	resp_free(&r);
	/* Nothing changed. */
	client_get_expect(c, "/me/p/" SLUG, 200, &r);
	char *none = catalogue_get("me_updates_empty");
	assert_true(html_shows_text(r.body.data, none));
	free(none);
	assert_non_null(strstr(r.body.data, "me-state--open"));
	resp_free(&r);
	client_free(c);
}

static void
test_import_owner_unknown(void **state)
{
	(void)state;
	struct hbuf err = { 0 };
	assert_int_equal(import_owned(&w.srv, "me-nobody", "Nobody's",
			     "nobody@example.org", &err),
	    1);
	if (err.data == NULL || strstr(err.data, "no account") == NULL)
		fail_msg("holos import --owner with an unknown email said: %s",
		    err.data ? err.data : "(nothing)");
	hbuf_free(&err);
	assert_int_equal(import_owned(&w.srv, "me-nobody", "Nobody's",
			     "not an address", &err),
	    1);
	assert_non_null(strstr(err.data, "not an email address"));
	hbuf_free(&err);
	struct client *c = client_new(srv);
	struct resp r;
	client_get_expect(c, "/p/me-nobody", 404, &r);
	resp_free(&r);
	client_free(c);
}

static void
test_dashboard_figures(void **state)
{
	(void)state;
	for (int k = 0; k < WHO__MAX; k++)
		sign_as(SLUG, k);
	for (int k = 0; k < WHO__MAX; k++)
		if (signers[k].confirm)
			confirm(signers[k].email);

	struct client *c = client_as(STARTER);
	struct resp r;
	client_get_expect(c, "/me/p/" SLUG, 200, &r);
	const char *h = r.body.data;
	assert_non_null(strstr(h, "id=\"me-confirmed\">5<"));
	assert_non_null(strstr(h, "id=\"me-pending\">1<"));
	/* One day, one bar, in an accessible SVG. */
	const char *svg = strstr(h,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"");
	const char *end = svg ? strstr(svg, "</svg>") : NULL;
	assert_non_null(end);
	char *chart = strndup(svg, (size_t)(end - svg));
	assert_int_equal(count_of(chart, "<rect"), 1);
	assert_non_null(strstr(chart, "role=\"img\""));
	assert_non_null(strstr(chart, "<title id=\"me-chart-title\">"));
	assert_non_null(strstr(chart, ": 6</title></rect>"));
	free(chart);
	assert_int_equal(count_of(h, "<rect"), 1);
	/* Confirmed signatures per country, largest first. */
	assert_int_equal(count_of(h, "data-country=\""), 3);
	const char *ua = strstr(h,
	    "data-country=\"UA\"><th scope=\"row\">Ukraine</th><td>3</td>");
	const char *de = strstr(h,
	    "data-country=\"DE\"><th scope=\"row\">Germany</th><td>1</td>");
	const char *pl = strstr(h,
	    "data-country=\"PL\"><th scope=\"row\">Poland</th><td>1</td>");
	assert_non_null(ua);
	assert_non_null(de);
	assert_non_null(pl);
	assert_true(ua < de && de < pl);
	resp_free(&r);
	/* Country names in the reader's language. */
	client_get_expect(c, "/me/p/" SLUG "?lang=ru", 200, &r);
	assert_non_null(strstr(r.body.data,
	    "data-country=\"UA\"><th scope=\"row\">Украина</th><td>3</td>"));
	resp_free(&r);
	client_get_expect(c, "/me?lang=en", 200, &r);
	/* The list: state, count, dashboard and public links, no edit. */
	assert_non_null(strstr(r.body.data, TITLE));
	assert_non_null(strstr(r.body.data, "href=\"/me/p/" SLUG "\""));
	assert_non_null(strstr(r.body.data, "href=\"/p/" SLUG "\""));
	assert_null(strstr(r.body.data, "/me/p/" SLUG "/edit"));
	assert_non_null(strstr(r.body.data, "<td>5</td>"));
	assert_non_null(strstr(r.body.data, "href=\"/start\""));
	/* Made by an operator, the account is verified. */
	assert_null(strstr(r.body.data, "action=\"/verify\""));
	resp_free(&r);
	client_free(c);
}

/* The CSV line that starts with prefix, or NULL. */
static const char *
csv_line(const char *csv, const char *prefix)
{
	for (const char *p = csv; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
		p = strstr(p, "\r\n");
		p = p ? p + 2 : NULL;
	}
	return NULL;
}

static void
test_csv(void **state)
{
	(void)state;
	struct client *c = client_as(STARTER);
	struct resp r;
	client_get_expect(c, "/me/p/" SLUG "/signers.csv", 200, &r);
	char *ct = resp_header(&r, "Content-Type");
	char *cd = resp_header(&r, "Content-Disposition");
	char *cc = resp_header(&r, "Cache-Control");
	assert_string_equal(ct, "text/csv; charset=utf-8");
	assert_string_equal(cd, "attachment; filename=\"" SLUG "-signers.csv\"");
	assert_string_equal(cc, "no-store");
	free(ct);
	free(cd);
	free(cc);
	const char *csv = r.body.data;
	/* No BOM; a header and exactly the confirmed signers who agreed to
	 * show their name: A, B, E and F (numbers 1, 2, 5, 6). */
	assert_true((unsigned char)csv[0] != 0xEF);
	const char *head =
	    "\"Number\",\"First name\",\"Last name\",\"Country\",\"Signed\"\r\n";
	assert_true(strncmp(csv, head, strlen(head)) == 0);
	assert_int_equal(count_of(csv, "\r\n"), 5);
	static const char *const rows[] = {
		"1,\"Anna\",\"Tester\",\"UA\",",
		"2,\"Мария\",\"Иванова\",\"DE\",",
		"5,\"Eve\",\"Quiet\",\"PL\",",
		/* Quotes doubled; formulas kept as text by an apostrophe. */
		"6,\"'=HYPERLINK(\"\"http://evil.example\"\")\",\"'+cmd\",\"UA\",",
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *line = csv_line(csv, rows[i]);
		if (line == NULL)
			fail_msg("the CSV has no line %s:\n%s", rows[i], csv);
		/* The date: YYYY-MM-DD and the line's end. */
		const char *d = line + strlen(rows[i]);
		assert_true(d[4] == '-' && d[7] == '-' && d[10] == '\r' &&
		    d[11] == '\n');
	}
	assert_null(strstr(csv, "Carl"));
	assert_null(strstr(csv, "Dora"));
	assert_null(strchr(csv, '@'));
	assert_null(strstr(csv, "127.0.0.1"));
	resp_free(&r);
	client_free(c);
}

static void
test_update_mailed_once(void **state)
{
	(void)state;
	mail_settle(); /* the confirmations */
	int before = maildir_count(&w.mail);
	struct client *c = client_as(STARTER);
	struct resp r;
	char *csrf = client_page_csrf(c, "/me/p/" SLUG);

	assert_int_equal(post_update(c, SLUG, "update", "Bridge news one",
			     "We **met** the council today. "
			     "![the council](https://tracker.example/p.gif)",
			     NULL, csrf, &r),
	    303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_non_null(strstr(loc, "/me/p/" SLUG "?posted=1"));
	free(loc);
	resp_free(&r);

	/* Confirmed signers who asked for updates: A, B and C. */
	expected += 3;
	mail_settle();
	bool want[WHO__MAX] = { [A] = true, [B] = true, [C] = true };
	char *unsub[WHO__MAX] = { NULL };
	check_update_mail(before + 1, expected, "Bridge news one", NULL, want,
	    unsub);
	json_t *m = mail_parse(&w.mail, before + 1);
	assert_non_null(
	    strstr(mail_part(m, "text/html"), "<strong>met</strong>"));
	/* An image in an update is a link in its mail: opening the mail
	 * loads nothing from elsewhere. */
	assert_null(strstr(mail_part(m, "text/html"), "<img"));
	assert_non_null(strstr(mail_part(m, "text/html"),
	    "<a href=\"https://tracker.example/p.gif\">the council</a>"));
	/* The text part reads as text: no Markdown asterisks. */
	assert_non_null(
	    strstr(mail_part(m, "text/plain"), "We met the council today."));
	assert_null(strstr(mail_part(m, "text/plain"), "**"));
	json_decref(m);

	client_get_expect(c, "/me/p/" SLUG "?posted=1", 200, &r);
	char *posted = catalogue_get("me_update_posted");
	assert_true(html_shows_text(r.body.data, posted));
	free(posted);
	assert_true(html_shows_text(r.body.data, "Sent to 3 signers."));
	assert_non_null(strstr(r.body.data, "me-update--update"));
	resp_free(&r);
	client_free(c);

	/* A restart sends nothing again. */
	assert_int_equal(server_restart(&w.srv), 0);
	pause_ms(1500);
	int waiting, updates;
	outbox_rows(&waiting, &updates);
	assert_int_equal(updates, 3);
	mail_settle();

	/* One click (as a mail provider does it) and A gets no more. */
	for (int k = 0; k < WHO__MAX; k++)
		assert_true((unsub[k] != NULL) == want[k]);
	c = client_new(srv);
	const char *one = "List-Unsubscribe=One-Click";
	assert_int_equal(client_post(c, unsub[A], one, strlen(one), NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	client_free(c);
	for (int k = 0; k < WHO__MAX; k++)
		free(unsub[k]);

	c = client_as(STARTER);
	free(csrf);
	csrf = client_page_csrf(c, "/me/p/" SLUG);
	before = maildir_count(&w.mail);
	assert_int_equal(post_update(c, SLUG, "update", "Bridge news two",
			     "Works start soon.", NULL, csrf, &r),
	    303);
	resp_free(&r);
	expected += 2;
	mail_settle();
	bool want2[WHO__MAX] = { [B] = true, [C] = true };
	check_update_mail(before + 1, expected, "Bridge news two", NULL, want2,
	    NULL);
	free(csrf);
	client_free(c);
	assert_log_clean();
}

static void
test_response(void **state)
{
	(void)state;
	struct client *c = client_as(STARTER);
	struct resp r;
	char *csrf = client_page_csrf(c, "/me/p/" SLUG);

	/* A response needs to say who answered. */
	assert_int_equal(post_update(c, SLUG, "response", "The council answers",
			     "We will repair it.", NULL, csrf, &r),
	    422);
	char *msg = catalogue_get("me_err_author");
	assert_true(html_shows_text(r.body.data, msg));
	free(msg);
	/* What was typed is kept. */
	assert_non_null(strstr(r.body.data, "value=\"The council answers\""));
	assert_non_null(
	    strstr(r.body.data, "<option value=\"response\" selected>"));
	resp_free(&r);
	/* Bad kinds and missing titles are refused too. */
	assert_int_equal(post_update(c, SLUG, "advert", "T", "B", NULL, csrf,
			     &r),
	    422);
	resp_free(&r);
	assert_int_equal(post_update(c, SLUG, "update", "", "B", NULL, csrf, &r),
	    422);
	resp_free(&r);
	char longer[10002];
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(post_update(c, SLUG, "update", "T", longer, NULL, csrf,
			     &r),
	    422);
	msg = catalogue_get("err_too_long");
	assert_true(html_shows_text(r.body.data, msg));
	free(msg);
	resp_free(&r);
	longer[201] = '\0';
	assert_int_equal(post_update(c, SLUG, "update", longer, "B", NULL, csrf,
			     &r),
	    422);
	resp_free(&r);
	assert_int_equal(post_update(c, SLUG, "update", "T", "bell \a", NULL,
			     csrf, &r),
	    422);
	resp_free(&r);

	int before = maildir_count(&w.mail);
	assert_int_equal(post_update(c, SLUG, "response", "The council answers",
			     "We will repair it.", "Mayor Smith", csrf, &r),
	    303);
	resp_free(&r);
	expected += 2;
	mail_settle();
	bool want[WHO__MAX] = { [B] = true, [C] = true };
	check_update_mail(before + 1, expected, "The council answers",
	    "Mayor Smith", want, NULL);

	client_get_expect(c, "/me/p/" SLUG, 200, &r);
	const char *resp = strstr(r.body.data, "me-update--response");
	assert_non_null(resp);
	assert_non_null(strstr(resp, "Response from Mayor Smith"));
	/* Newest first, and the other two are updates. */
	assert_int_equal(count_of(r.body.data, "me-update--update"), 2);
	assert_true(resp < strstr(r.body.data, "me-update--update"));
	resp_free(&r);
	free(csrf);
	client_free(c);
}

static void
test_state_changes(void **state)
{
	(void)state;
	struct client *c = client_as(STARTER);
	struct resp r;
	char *csrf = client_page_csrf(c, "/me/p/" SLUG2);

	/* No form token, or one of another session: refused. */
	assert_int_equal(post_state(c, SLUG2, "close", NULL, NULL, NULL), 403);
	assert_int_equal(post_update(c, SLUG2, "update", "T", "B", NULL, NULL,
			     &r),
	    403);
	resp_free(&r);
	struct client *admin = client_as(ADMIN);
	char *admin_csrf = client_page_csrf(admin, "/me");
	assert_int_equal(post_state(c, SLUG2, "close", NULL, admin_csrf, NULL),
	    403);
	free(admin_csrf);
	client_free(admin);
	struct client *visitor = client_new(srv);
	char *sign_csrf = client_fetch_csrf(visitor, SLUG2);
	assert_non_null(sign_csrf);
	assert_int_equal(post_state(c, SLUG2, "close", NULL, sign_csrf, NULL),
	    403);

	/* Withdrawing is for petitions waiting for moderation. */
	assert_int_equal(post_state(c, SLUG2, "withdraw", NULL, csrf, NULL),
	    409);
	/* Victory needs a note. */
	assert_int_equal(post_state(c, SLUG2, "victory", NULL, csrf, &r), 422);
	char *msg = catalogue_get("me_err_note");
	assert_true(html_shows_text(r.body.data, msg));
	free(msg);
	resp_free(&r);
	assert_int_equal(post_state(c, SLUG2, "victory", "   ", csrf, NULL),
	    422);
	char note[1002];
	memset(note, 'n', sizeof note - 1);
	note[sizeof note - 1] = '\0';
	assert_int_equal(post_state(c, SLUG2, "victory", note, csrf, NULL), 422);
	assert_int_equal(post_state(c, SLUG2, "close", note, csrf, NULL), 422);
	assert_int_equal(post_state(c, SLUG2, "explode", NULL, csrf, NULL), 400);

	/* Closing cannot be undone: the form says so, and without its tick
	 * nothing happens. */
	client_get_expect(c, "/me/p/" SLUG2, 200, &r);
	assert_page_shows(r.body.data, "en", "me_close_confirm");
	assert_non_null(strstr(r.body.data,
	    "name=\"confirm\" type=\"checkbox\" value=\"1\" required"));
	resp_free(&r);
	assert_int_equal(post_state(c, SLUG2, "close", NULL, csrf, &r), 422);
	assert_page_shows(r.body.data, "en", "me_err_close_confirm");
	assert_non_null(strstr(r.body.data, "id=\"me-state\">Open<"));
	resp_free(&r);

	/* Close, ticked: signing stops. */
	assert_int_equal(post_state_confirm(c, SLUG2, "close", NULL, csrf, true,
			     &r),
	    303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_non_null(strstr(loc, "/me/p/" SLUG2 "?changed=1"));
	free(loc);
	resp_free(&r);
	client_get_expect(c, "/me/p/" SLUG2, 200, &r);
	assert_non_null(strstr(r.body.data, "id=\"me-state\">Closed<"));
	resp_free(&r);
	struct hbuf b = { 0 };
	struct signer s = signer_default("me-late@example.org");
	form_sign(&b, &s, sign_csrf);
	assert_int_equal(client_post(visitor, "/p/" SLUG2 "/sign", b.data,
			     b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 409);
	resp_free(&r);
	hbuf_free(&b);
	free(sign_csrf);
	client_free(visitor);
	assert_int_equal(post_state(c, SLUG2, "close", NULL, csrf, NULL), 409);
	assert_int_equal(post_state(c, SLUG2, "withdraw", NULL, csrf, NULL),
	    409);

	/* Victory from closed, with a note; then nothing more to do. */
	assert_int_equal(post_state(c, SLUG2, "victory",
			     "The council voted for the park.", csrf, NULL),
	    303);
	assert_int_equal(post_state(c, SLUG2, "victory", "Again", csrf, NULL),
	    409);
	client_get_expect(c, "/me/p/" SLUG2, 200, &r);
	assert_non_null(strstr(r.body.data, "id=\"me-state\">Victory<"));
	assert_non_null(strstr(r.body.data, "The council voted for the park."));
	assert_int_equal(count_of(r.body.data, "<td>you</td>"), 2);
	assert_null(strstr(r.body.data, "name=\"action\" value=\"close\""));
	resp_free(&r);
	free(csrf);
	client_free(c);
}

/* ---- mailing in batches, without SMTP: messages become .eml files ---- */

/* The .eml files in dir but the starter's: returns how many, and sets *distinct
 * to the number of different To: addresses among them. */
static int
eml_recipients(const char *dir, int *distinct)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **seen = NULL;
	int n = 0, nseen = 0;
	*distinct = 0;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		char path[700];
		struct hbuf f = { 0 };
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (slurp(path, &f) != 0)
			continue;
		/* The starter's own mail (the goals reached) is not an
		 * update's. */
		if (strstr(f.data, STARTER) != NULL) {
			hbuf_free(&f);
			continue;
		}
		n++;
		const char *to = strstr(f.data, "\r\nTo: ");
		const char *lt = to ? strchr(to, '<') : NULL;
		if (lt != NULL) {
			char *addr = strndup(lt + 1, strcspn(lt + 1, ">"));
			bool dup = false;
			for (int i = 0; i < nseen && !dup; i++)
				dup = strcmp(seen[i], addr) == 0;
			if (dup) {
				free(addr);
			} else {
				seen = realloc(seen,
				    (size_t)(nseen + 1) * sizeof *seen);
				seen[nseen++] = addr;
			}
		}
		hbuf_free(&f);
	}
	closedir(d);
	for (int i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	*distinct = nseen;
	return n;
}

static void
test_batches(void **state)
{
	(void)state;
	/* Twice a batch exactly: the third batch finds no one left and marks
	 * the mailing done. Signatures count on signing here. */
	enum { N = 2 * FANOUT_BATCH, PAR = 50 };
	const char *extra[] = { COUNT_ON_SIGN, "--rate-limit", "off",
		"--min-form-seconds", "0", "--pow-bits", "0", NULL };
	struct server *s = server_new_seeded(extra);
	assert_non_null(s);
	srv = s;
	assert_int_equal(harness_user_add(srv, STARTER, "starter", PASSWORD), 0);
	assert_int_equal(import_owned(s, SLUG, TITLE, STARTER, NULL), 0);

	struct client *cs[PAR];
	struct hbuf bodies[PAR];
	struct resp rs[PAR];
	for (int i = 0; i < PAR; i++)
		cs[i] = client_new(s);
	char *tok = client_fetch_csrf(cs[0], SLUG);
	assert_non_null(tok);
	for (int done = 0; done < N; done += PAR) {
		for (int i = 0; i < PAR; i++) {
			char email[64];
			snprintf(email, sizeof email,
			    "me-batch-%03d@example.org", done + i);
			struct signer sg = signer_default(email);
			memset(&bodies[i], 0, sizeof bodies[i]);
			form_sign(&bodies[i], &sg, tok);
		}
		assert_int_equal(client_post_many(cs, "/p/" SLUG "/sign",
				     bodies, rs, PAR),
		    0);
		for (int i = 0; i < PAR; i++) {
			if (rs[i].status != 303)
				fail_msg("signature %d: status %ld", done + i,
				    rs[i].status);
			resp_free(&rs[i]);
			hbuf_free(&bodies[i]);
		}
	}
	free(tok);
	for (int i = 0; i < PAR; i++)
		client_free(cs[i]);
	assert_int_equal(petition_count(s, SLUG), N);

	struct client *c = client_as(STARTER);
	char *csrf = client_page_csrf(c, "/me/p/" SLUG);
	struct resp r;
	assert_int_equal(post_update(c, SLUG, "update", "To everyone",
			     "Thank you all.", NULL, csrf, &r),
	    303);
	resp_free(&r);
	free(csrf);

	/* Wait for the dashboard to say it is done, then count the files. */
	char done_text[64];
	snprintf(done_text, sizeof done_text, "Sent to %d signers.", N);
	char *page = client_page_until(c, "/me/p/" SLUG, done_text, 30000);
	if (page == NULL)
		fail_msg("the dashboard never said \"%s\"", done_text);
	free(page);
	int waiting, updates;
	outbox_rows(&waiting, &updates);
	assert_int_equal(updates, N);
	long long end = now_ms() + WAIT_MS;
	while (waiting > 0 && now_ms() < end) {
		pause_ms(100);
		outbox_rows(&waiting, &updates);
	}
	assert_int_equal(waiting, 0);
	char dir[400];
	snprintf(dir, sizeof dir, "%s/outbox", s->data);
	int distinct;
	assert_int_equal(eml_recipients(dir, &distinct), N);
	assert_int_equal(distinct, N);
	client_free(c);
	srv = &w.srv;
	assert_int_equal(server_free(s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logged_out),
		cmocka_unit_test(test_others_forbidden),
		cmocka_unit_test(test_import_owner_unknown),
		cmocka_unit_test(test_dashboard_figures),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_update_mailed_once),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_state_changes),
		cmocka_unit_test(test_batches),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, group_teardown));
}
