/* e2e_social.c - what a visitor, a starter and a moderator meet on the way
 * to and around a petition, through the real server: the header's account
 * link, "Started" counted from publication, drafts sent twice and deleted,
 * an unsubscribe link opened again, the reject form's empty choice. Mail
 * goes through a real SMTP server. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"
#define MOD_EMAIL "moderator@example.org"
#define STARTER_EMAIL "starter@example.org"
#define OTHER_EMAIL "other@example.org"
#define WAIT_MS 10000

static struct mailworld w;

/* holos with --smtp to a fresh smtpd.py, the seed petition, a moderator
 * and two verified starters. */
static int
setup(void **state)
{
	static const char *const args[] = { "--seed", SEED_PATH, NULL };

	(void)state;
	if (mailworld_start(&w, args, NULL) != 0)
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

static struct client *
signed_in(const char *email)
{
	return client_signed_in(&w.srv, email, PASSWORD);
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

/* Sends the /start form (title, one decision maker, body) with action;
 * returns the status and the Location (malloc'd or NULL). */
static long
send_start(struct client *c, const char *title, const char *body,
    const char *action, char **location)
{
	struct hbuf b = { 0 };
	char *tok = client_page_csrf(c, "/start");
	long st;

	form_add(&b, "csrf", tok);
	form_add(&b, "title", title);
	form_add(&b, "to_name_1", "City council");
	form_add(&b, "body", body);
	form_add(&b, "goal", "100");
	form_add(&b, "lang", "en");
	form_add(&b, "action", action);
	st = post(c, "/start", &b, location);
	free(tok);
	hbuf_free(&b);
	return st;
}

/* The slug in a Location of /me/p/SLUG…, malloc'd. */
static char *
slug_of(const char *location)
{
	assert_non_null(location);
	assert_int_equal(strncmp(location, "/me/p/", 6), 0);
	return strndup(location + 6, strcspn(location + 6, "/?"));
}

/* A moderator's action on a petition; returns the status. */
static long
moderate(struct client *c, const char *slug, const char *action)
{
	char path[256];
	struct hbuf b = { 0 };
	struct resp r;
	char *tok, *version;
	long st;

	/* A decision names the text it was made on: the page's version. */
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	client_get_expect(c, path, 200, &r);
	tok = html_csrf(r.body.data);
	version = html_hidden(r.body.data, "version");
	resp_free(&r);
	assert_non_null(tok);
	form_add(&b, "csrf", tok);
	form_add(&b, "action", action);
	if (version != NULL)
		form_add(&b, "version", version);
	free(version);
	snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
	st = post(c, path, &b, NULL);
	free(tok);
	hbuf_free(&b);
	return st;
}

/* The header links to /login for a visitor and to /me for someone signed
 * in: on the cached petition page as on any other. */
static void
test_header_account_link(void **state)
{
	static const char *const paths[] = { "/p/" SEED_SLUG, "/?lang=en",
		"/p/" SEED_SLUG "?lang=ru", "/login?lang=en" };
	struct client *anon = client_new(&w.srv);
	struct client *me = signed_in(STARTER_EMAIL);

	(void)state;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char *html = get_page(anon, paths[i], 200);
		const char *lang = strstr(paths[i], "lang=ru") ? "ru" : "en";
		char *in = catalogue_lang(lang, "nav_login");
		char *want;

		assert_true(
		    asprintf(&want, "<a href=\"/login\">%s</a>", in) > 0);
		if (strstr(html, want) == NULL)
			fail_msg("%s for a visitor has no %s", paths[i], want);
		assert_null(strstr(html, "<a href=\"/me\">"));
		free(want);
		free(in);
		free(html);

		html = get_page(me, paths[i], 200);
		in = catalogue_lang(lang, "nav_my");
		assert_true(asprintf(&want, "<a href=\"/me\">%s</a>", in) > 0);
		if (strstr(html, want) == NULL)
			fail_msg("%s signed in has no %s", paths[i], want);
		assert_null(strstr(html, "<a href=\"/login\">"));
		free(want);
		free(in);
		free(html);
	}
	/* The cached page keeps no one's link: the visitor's again. */
	char *html = get_page(anon, "/p/" SEED_SLUG "?lang=en", 200);
	assert_non_null(strstr(html, "<a href=\"/login\">"));
	free(html);
	client_free(anon);
	client_free(me);
	w.passed = true;
}

/* "Started … ago" counts from publication, not from the draft. */
static void
test_started_from_publication(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	char *loc = NULL, *slug, path[256], sql[512];

	(void)state;
	assert_int_equal(send_start(starter, "Mend the old bridge",
			     "The bridge is **unsafe**.", "save", &loc),
	    303);
	slug = slug_of(loc);
	free(loc);
	/* The draft was written 40 days ago. */
	snprintf(sql, sizeof sql,
	    "UPDATE petitions SET created_at = created_at - 40 * 86400 "
	    "WHERE slug = '%s'",
	    slug);
	assert_int_equal(server_db_exec(&w.srv, sql), 0);
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	struct hbuf b = { 0 };
	char *tok = client_page_csrf(starter, path);
	form_add(&b, "csrf", tok);
	form_add(&b, "title", "Mend the old bridge");
	form_add(&b, "to_name_1", "City council");
	form_add(&b, "body", "The bridge is **unsafe**.");
	form_add(&b, "goal", "100");
	form_add(&b, "lang", "en");
	form_add(&b, "action", "submit");
	assert_int_equal(post(starter, path, &b, NULL), 303);
	hbuf_free(&b);
	free(tok);
	assert_int_equal(moderate(mod, slug, "approve"), 303);

	snprintf(path, sizeof path, "/p/%s", slug);
	struct client *anon = client_new(&w.srv);
	char *html = get_page(anon, path, 200);
	client_free(anon);
	const char *started = strstr(html, "class=\"petition__started\"");
	assert_non_null(started);
	size_t len = strcspn(started, "\n");
	char *line = strndup(started, len);
	/* Published a moment ago: neither days nor a month. */
	if (strstr(line, "day") != NULL || strstr(line, "month") != NULL ||
	    strstr(line, "week") != NULL)
		fail_msg("started counts from the draft: %s", line);
	free(line);
	free(html);
	free(slug);
	client_free(starter);
	client_free(mod);
	w.passed = true;
}

/* The same /start form sent twice keeps one petition, submitted or not;
 * a draft can be deleted, after a tick that says it cannot be undone, by
 * its starter only. */
static void
test_drafts_once_and_deleted(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *other = signed_in(OTHER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	char *loc1 = NULL, *loc2 = NULL, *slug, path[256];

	(void)state;
	/* Submitted twice (a double click): one petition waits. */
	assert_int_equal(send_start(starter, "Lights on the towpath",
			     "Dark at five.", "submit", &loc1),
	    303);
	assert_int_equal(send_start(starter, "Lights on the towpath",
			     "Dark at five.", "submit", &loc2),
	    303);
	assert_string_equal(loc1, loc2);
	char *queue = get_page(mod, "/admin", 200);
	assert_int_equal(count_of(queue, ">Lights on the towpath<"), 1);
	free(queue);
	free(loc1);
	free(loc2);

	/* Saved twice: one draft. */
	assert_int_equal(send_start(starter, "A bench by the pond",
			     "Somewhere to sit.", "save", &loc1),
	    303);
	assert_int_equal(send_start(starter, "A bench by the pond",
			     "Somewhere to sit.", "save", &loc2),
	    303);
	assert_string_equal(loc1, loc2);
	char *list = get_page(starter, "/me", 200);
	assert_int_equal(count_of(list, ">A bench by the pond<"), 1);
	free(list);
	slug = slug_of(loc1);
	free(loc1);
	free(loc2);

	/* The edit page offers deletion, with the tick. */
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	char *edit = get_page(starter, path, 200);
	assert_page_shows(edit, "en", "me_delete_confirm");
	assert_non_null(strstr(edit, "name=\"action\" value=\"delete\""));
	free(edit);

	struct hbuf b = { 0 };
	char *tok = client_page_csrf(starter, path);
	snprintf(path, sizeof path, "/me/p/%s/state", slug);
	form_add(&b, "csrf", tok);
	form_add(&b, "action", "delete");
	/* Without the tick: nothing happens. */
	struct resp r;
	assert_int_equal(client_post(starter, path, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "en", "me_err_delete_confirm");
	resp_free(&r);
	form_add(&b, "confirm", "1");
	/* Not someone else's. */
	char *otok = client_page_csrf(other, "/me");
	struct hbuf ob = { 0 };
	form_add(&ob, "csrf", otok);
	form_add(&ob, "action", "delete");
	form_add(&ob, "confirm", "1");
	long st = post(other, path, &ob, NULL);
	assert_true(st == 403 || st == 404);
	hbuf_free(&ob);
	free(otok);
	/* Ticked: gone, and the list says so. */
	char *loc = NULL;
	assert_int_equal(post(starter, path, &b, &loc), 303);
	assert_string_equal(loc, "/me?deleted=1");
	free(loc);
	hbuf_free(&b);
	free(tok);
	list = get_page(starter, "/me?deleted=1", 200);
	assert_page_shows(list, "en", "me_deleted");
	assert_null(strstr(list, ">A bench by the pond<"));
	free(list);
	snprintf(path, sizeof path, "/me/p/%s/edit", slug);
	free(get_page(starter, path, 404));
	/* Recorded in the audit log, as the starter's. */
	char *audit = get_page(mod, "/admin", 200);
	assert_non_null(strstr(audit, "petition_deleted"));
	free(audit);
	/* A submitted petition is not a draft: it cannot be deleted. */
	free(slug);
	client_free(starter);
	client_free(other);
	client_free(mod);
	w.passed = true;
}

/* An unsubscribe link opened again says so instead of asking again. */
static void
test_unsubscribe_again(void **state)
{
	struct client *c = client_new(&w.srv);
	struct signer s = signer_default("leaver@example.org");
	struct resp r;

	(void)state;
	s.updates = "1";
	assert_int_equal(client_sign(c, SEED_SLUG, &s, &r), 303);
	resp_free(&r);
	int k = maildir_find(&w.mail, "leaver@example.org", WAIT_MS);
	assert_true(k > 0);
	json_t *m = mail_parse(&w.mail, k);
	const char *lu = mail_header(m, "list-unsubscribe");
	assert_non_null(lu);
	char *path = link_path(lu, w.srv.base, "/u/");
	assert_non_null(path);
	json_decref(m);

	char *html = get_page(c, path, 200);
	assert_page_shows(html, "en", "unsub_ask");
	free(html);
	/* The button's POST (RFC 8058: the link is the authority). */
	assert_int_equal(client_post(c, path, "", 0, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_page_shows(r.body.data, "en", "unsub_done");
	resp_free(&r);
	/* Opened again: already done, no button. */
	html = get_page(c, path, 200);
	assert_page_shows(html, "en", "unsub_left");
	char *ask = catalogue_get("unsub_ask");
	assert_false(html_shows_text(html, ask));
	free(ask);
	assert_null(strstr(html, "<form method=\"post\""));
	free(html);
	free(path);
	client_free(c);
	w.passed = true;
}

/* The reject and hide forms preselect no reason: the first choice is an
 * empty one, and sending it is refused. */
static void
test_reject_preselects_nothing(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	char *loc = NULL, *slug, path[256];

	(void)state;
	assert_int_equal(send_start(starter, "Fix the playground swings",
			     "Broken since May.", "submit", &loc),
	    303);
	slug = slug_of(loc);
	free(loc);
	snprintf(path, sizeof path, "/admin/p/%s", slug);
	char *html = get_page(mod, path, 200);
	const char *sel = strstr(html, "id=\"reject-reason\"");
	assert_non_null(sel);
	const char *first = strstr(sel, "<option");
	assert_non_null(first);
	assert_int_equal(strncmp(first, "<option value=\"\">", 17), 0);
	const char *end = strstr(sel, "</select>");
	assert_non_null(end);
	for (const char *p = sel;
	     (p = strstr(p, " selected")) != NULL && p < end; p++)
		fail_msg("the reject form preselects a reason");
	free(html);
	/* Sent without a reason: refused. */
	struct hbuf b = { 0 };
	char *tok = client_page_csrf(mod, "/admin");
	form_add(&b, "csrf", tok);
	form_add(&b, "action", "reject");
	form_add(&b, "reason", "");
	form_add(&b, "note", "Please say where.");
	snprintf(path, sizeof path, "/admin/p/%s/moderate", slug);
	assert_int_equal(post(mod, path, &b, NULL), 422);
	hbuf_free(&b);
	free(tok);
	free(slug);
	client_free(starter);
	client_free(mod);
	w.passed = true;
}

/* ---- social proof: recent signers, comments ---- */

/* Signs the seed petition as who and confirms through the mailed link. */
static void
sign_confirmed(const struct signer *who)
{
	struct client *c = client_new(&w.srv);
	struct resp r;

	assert_int_equal(client_sign(c, SEED_SLUG, who, &r), 303);
	resp_free(&r);
	assert_int_equal(mail_follow(c, &w.mail, who->email, "/c/", WAIT_MS),
	    303);
	client_free(c);
}

/* The first event of /p/SEED/events?lang=en whose data holds needle,
 * waiting ms at most; the data malloc'd, NULL when none came. */
static char *
event_with(const char *needle, long ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long long end = now_ms() + ms;
	struct hbuf in = { 0 };
	char req[256], buf[4096];
	char *found = NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)w.srv.port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	int n = snprintf(req, sizeof req,
	    "GET /p/%s/events?lang=en HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Accept: text/event-stream\r\n\r\n",
	    SEED_SLUG);
	assert_int_equal(write(fd, req, (size_t)n), n);
	while (found == NULL && now_ms() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t k = recv(fd, buf, sizeof buf, 0);
		if (k <= 0)
			break;
		hbuf_append(&in, buf, (size_t)k);
		/* The last whole event that holds needle. */
		const char *p = in.data, *sep;
		while ((p = strstr(p, "data: ")) != NULL &&
		    (sep = strstr(p, "\n\n")) != NULL) {
			char *ev = strndup(p + 6, (size_t)(sep - p - 6));
			if (strstr(ev, needle) != NULL) {
				free(found);
				found = ev;
			} else
				free(ev);
			p = sep + 2;
		}
	}
	close(fd);
	hbuf_free(&in);
	return found;
}

/* Signers who agreed to show their name are listed on the page and in
 * the live events, by the first word of their first name, newest first;
 * others are not; names are escaped. */
static void
test_recent_signers(void **state)
{
	struct signer a = signer_default("anna.recent@example.org");
	struct signer h = signer_default("hidden.recent@example.org");
	struct signer x = signer_default("evil.recent@example.org");
	struct client *c = client_new(&w.srv);

	(void)state;
	a.first_name = "Ганна Марія";
	a.country = "UA";
	sign_confirmed(&a);
	h.first_name = "Secretive";
	h.public_ = NULL;
	sign_confirmed(&h);
	x.first_name = "<b>Bob</b>\xc2\xa0Smith";
	x.country = "DE";
	sign_confirmed(&x);

	/* The page (cached for a few seconds) comes to show them. */
	char *html = client_page_until(c, "/p/" SEED_SLUG "?lang=en",
	    "&lt;b&gt;Bob&lt;/b&gt;</span>", 8000);
	assert_non_null(html);
	const char *list = strstr(html, "id=\"recent-signers\"");
	assert_non_null(list);
	const char *bob = strstr(list, "&lt;b&gt;Bob&lt;/b&gt;</span>");
	const char *anna = strstr(list, ">Ганна</span>");
	assert_non_null(anna);
	/* Newest first; the first word only. */
	assert_true(bob < anna);
	assert_null(strstr(html, "Марія"));
	assert_null(strstr(html, "Secretive"));
	assert_null(strstr(html, "<b>Bob"));
	assert_non_null(strstr(list, "Germany"));
	free(html);

	/* The live event carries them, keeping its other fields. */
	char *ev = event_with("Ганна", 8000);
	assert_non_null(ev);
	json_t *j = json_loads(ev, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_integer(json_object_get(j, "count")));
	assert_true(json_is_integer(json_object_get(j, "goal")));
	assert_true(json_is_integer(json_object_get(j, "next_goal")));
	json_t *rec = json_object_get(j, "recent");
	assert_true(json_is_array(rec));
	assert_true(json_array_size(rec) >= 2 && json_array_size(rec) <= 10);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(rec, 0), "name")),
	    "<b>Bob</b>");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(rec, 0),
				    "country_name")),
	    "Germany");
	assert_null(strstr(ev, "Secretive"));
	json_decref(j);
	free(ev);
	client_free(c);
	w.passed = true;
}

/* The id of the comment whose text (as the page escapes it) is text, from
 * its element id="comment-ID" (or "c-ID" on the lists to manage); 0 when
 * the page does not show it. */
static long
comment_id_of(const char *html, const char *prefix, const char *text)
{
	const char *t = strstr(html, text), *p = NULL, *q;
	char pat[32];

	if (t == NULL)
		return 0;
	snprintf(pat, sizeof pat, "id=\"%s-", prefix);
	for (q = html; (q = strstr(q, pat)) != NULL && q < t; q++)
		p = q;
	return p != NULL ? strtol(p + strlen(pat), NULL, 10) : 0;
}

/* POSTs a like of comment id (a raw, already encoded value) with c and
 * the page's form token; returns the status, the body in *body (malloc'd)
 * when body is not NULL. */
static long
like(struct client *c, const char *slug, const char *id, bool json, char **body)
{
	char path[256];
	struct hbuf b = { 0 };
	const char *hdr[] = { "Accept: application/json", NULL };
	struct resp r;
	char *tok;
	long st;

	snprintf(path, sizeof path, "/p/%s", slug);
	tok = client_page_csrf(c, path);
	form_add(&b, "csrf", tok);
	form_add_raw(&b, "id", id);
	snprintf(path, sizeof path, "/p/%s/like", slug);
	assert_int_equal(client_post_headers(c, path, b.data, b.len,
			     json ? hdr : NULL, &r),
	    CURLE_OK);
	st = r.status;
	if (body != NULL)
		*body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return st;
}

/* Hides or shows again comment id of slug as c; returns the status and
 * the Location in *loc (malloc'd) when loc is not NULL. */
static long
hide(struct client *c, const char *slug, long id, const char *action,
    const char *back, char **loc)
{
	char path[256], num[32];
	struct hbuf b = { 0 };
	char *tok = client_page_csrf(c, "/me");
	long st;

	snprintf(num, sizeof num, "%ld", id);
	form_add(&b, "csrf", tok);
	form_add(&b, "id", num);
	form_add(&b, "action", action);
	form_add(&b, "back", back);
	snprintf(path, sizeof path, "/me/p/%s/comments", slug);
	st = post(c, path, &b, loc);
	hbuf_free(&b);
	free(tok);
	return st;
}

/* The comments signers agreed to show are on the page and in the API,
 * escaped, signed with the first name only when that was agreed too; a
 * like counts once per browser, refuses what is not a shown comment; a
 * moderator hides a comment (gone from page and API at once, in the audit
 * log) and shows it again; another starter cannot. */
static void
test_comments(void **state)
{
	struct signer a = signer_default("olena.comment@example.org");
	struct signer p = signer_default("private.comment@example.org");
	struct signer n = signer_default("noname.comment@example.org");
	struct client *c = client_new(&w.srv);
	struct client *c2 = client_new(&w.srv);
	struct client *mod = signed_in(MOD_EMAIL);
	struct client *other = signed_in(OTHER_EMAIL);
	char *html, *body, num[32];
	struct resp r;

	(void)state;
	a.first_name = "Олена Іванівна";
	a.comment = "Because <script>alert(1)</script> matters";
	a.extra = "public_comment=1";
	sign_confirmed(&a);
	p.comment = "A private reason";
	sign_confirmed(&p);
	n.public_ = NULL;
	n.country = "DE";
	n.comment = "Shown without a name";
	n.extra = "public_comment=1";
	sign_confirmed(&n);

	html = client_page_until(c, "/p/" SEED_SLUG "?lang=en",
	    "Shown without a name", 8000);
	assert_non_null(html);
	assert_non_null(strstr(html,
	    "Because &lt;script&gt;alert(1)&lt;/script&gt; matters"));
	assert_null(strstr(html, "<script>alert(1)"));
	assert_null(strstr(html, "A private reason"));
	char *anon = catalogue_get("comment_anonymous");
	char *want = msg_arg(anon, "country", "Germany");
	assert_true(html_shows_text(html, want));
	free(anon);
	free(want);
	assert_non_null(strstr(html, "Олена, Ukraine"));
	assert_null(strstr(html, "Іванівна"));
	long ida = comment_id_of(html, "comment", "Because &lt;script&gt;");
	long idn = comment_id_of(html, "comment", "Shown without a name");
	assert_true(ida > 0 && idn > ida);
	/* Each can be reported (page_report.c). */
	snprintf(num, sizeof num, "/report?comment=%ld\"", ida);
	assert_non_null(strstr(html, num));
	free(html);

	/* The API: the same comments, no last name, no private one. */
	client_get_expect(c, "/api/v1/petitions/" SEED_SLUG, 200, &r);
	json_t *j = json_loads(r.body.data, 0, NULL);
	resp_free(&r);
	assert_non_null(j);
	json_t *cs = json_object_get(j, "comments");
	assert_true(json_is_array(cs));
	assert_int_equal(json_array_size(cs), 2);
	assert_true(
	    json_is_null(json_object_get(json_array_get(cs, 0), "first_name")));
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(cs, 1),
				    "first_name")),
	    "Олена");
	assert_true(json_array_size(json_object_get(j, "recent_signers")) > 0);
	char *dump = json_dumps(j, 0);
	assert_null(strstr(dump, "private reason"));
	free(dump);
	json_decref(j);

	/* A like: once per browser, with or without the script. */
	snprintf(num, sizeof num, "%ld", ida);
	assert_int_equal(like(c, SEED_SLUG, num, false, NULL), 303);
	assert_int_equal(like(c, SEED_SLUG, num, true, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	assert_int_equal(json_integer_value(json_object_get(j, "likes")), 1);
	assert_true(json_is_false(json_object_get(j, "added")));
	json_decref(j);
	assert_int_equal(like(c2, SEED_SLUG, num, true, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	assert_int_equal(json_integer_value(json_object_get(j, "likes")), 2);
	assert_true(json_is_true(json_object_get(j, "added")));
	json_decref(j);
	/* What is not a shown comment: unknown, private, malformed. */
	assert_int_equal(like(c, SEED_SLUG, "999999", true, NULL), 404);
	snprintf(num, sizeof num, "%ld", ida + 1);
	assert_int_equal(like(c, SEED_SLUG, num, true, NULL), 404);
	static const char *const bad[] = { "", "abc", "-1", "0", "01", "1e3",
		"%ff%fe", "%00", "1234567890123456789012345678901234567890" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (like(c, SEED_SLUG, bad[i], false, NULL) != 422)
			fail_msg("a like of id=%s was not refused", bad[i]);

	/* A moderator hides it: gone from the page and the API at once,
	 * recorded; a like of it is refused. */
	client_get_expect(mod, "/admin/p/" SEED_SLUG "/comments", 200, &r);
	assert_non_null(strstr(r.body.data, "Shown without a name"));
	assert_null(strstr(r.body.data, "A private reason"));
	resp_free(&r);
	char *loc = NULL;
	assert_int_equal(hide(mod, SEED_SLUG, ida, "hide", "admin", &loc), 303);
	assert_non_null(loc);
	assert_int_equal(strncmp(loc,
			     "/admin/p/" SEED_SLUG "/comments?comment=hidden",
			     strlen("/admin/p/" SEED_SLUG
				    "/comments?comment=hidden")),
	    0);
	free(loc);
	html = get_page(c, "/p/" SEED_SLUG "?lang=en", 200);
	assert_null(strstr(html, "Because &lt;script&gt;"));
	assert_non_null(strstr(html, "Shown without a name"));
	free(html);
	client_get_expect(c, "/api/v1/petitions/" SEED_SLUG, 200, &r);
	assert_null(strstr(r.body.data, "Because <script>"));
	resp_free(&r);
	snprintf(num, sizeof num, "%ld", ida);
	assert_int_equal(like(c2, SEED_SLUG, num, true, NULL), 404);
	client_get_expect(mod, "/admin/p/" SEED_SLUG "/comments", 200, &r);
	char *by = catalogue_get("me_actor_you");
	assert_non_null(strstr(r.body.data, by));
	free(by);
	resp_free(&r);
	html = get_page(mod, "/admin", 200);
	assert_non_null(strstr(html, "comment_hidden"));
	free(html);
	/* Hiding it again finds nothing to hide. */
	assert_int_equal(hide(mod, SEED_SLUG, ida, "hide", "admin", NULL), 404);
	/* Another starter may not touch the seed's comments. */
	assert_int_equal(hide(other, SEED_SLUG, idn, "hide", "me", NULL), 403);
	/* Shown again. */
	assert_int_equal(hide(mod, SEED_SLUG, ida, "unhide", "admin", NULL),
	    303);
	html = get_page(c, "/p/" SEED_SLUG "?lang=en", 200);
	assert_non_null(strstr(html, "Because &lt;script&gt;"));
	free(html);
	html = get_page(mod, "/admin", 200);
	assert_non_null(strstr(html, "comment_shown"));
	free(html);

	client_free(c);
	client_free(c2);
	client_free(mod);
	client_free(other);
	w.passed = true;
}

/* The starter's dashboard lists every comment signers agreed to show,
 * a page at a time, and hides one. */
static void
test_comments_dashboard(void **state)
{
	struct client *starter = signed_in(STARTER_EMAIL);
	struct client *mod = signed_in(MOD_EMAIL);
	char *loc = NULL, *slug, path[256], sql[4096];
	struct hbuf q = { 0 };

	(void)state;
	assert_int_equal(send_start(starter, "Benches in the square",
			     "Somewhere to rest.", "submit", &loc),
	    303);
	slug = slug_of(loc);
	free(loc);
	assert_int_equal(moderate(mod, slug, "approve"), 303);
	/* 25 comments at once, as the store keeps them. */
	hbuf_printf(&q,
	    "INSERT INTO signatures (petition_id, seq, email_hash, country, "
	    "state, created_at, confirmed_at, comment, public_comment, lang) "
	    "VALUES ");
	for (int i = 1; i <= 25; i++)
		hbuf_printf(&q,
		    "%s((SELECT id FROM petitions WHERE slug = '%s'), %d, "
		    "'bulk-%d', 'UA', 'confirmed', %d, %d, 'Bulk comment "
		    "%02d.', TRUE, 'en')",
		    i > 1 ? ", " : "", slug, i, i, 1000 + i, 1000 + i, i);
	assert_int_equal(server_db_exec(&w.srv, q.data), 0);
	hbuf_free(&q);
	(void)sql;

	snprintf(path, sizeof path, "/me/p/%s", slug);
	char *html = get_page(starter, path, 200);
	/* Newest first: 25 down to 6 on the first page. */
	assert_non_null(strstr(html, "Bulk comment 25."));
	assert_non_null(strstr(html, "Bulk comment 06."));
	assert_null(strstr(html, "Bulk comment 05."));
	assert_non_null(strstr(html, "cpage=2"));
	long id = comment_id_of(html, "c", "Bulk comment 24.");
	assert_true(id > 0);
	free(html);
	snprintf(path, sizeof path, "/me/p/%s?cpage=2", slug);
	html = get_page(starter, path, 200);
	assert_non_null(strstr(html, "Bulk comment 05."));
	assert_non_null(strstr(html, "Bulk comment 01."));
	free(html);
	/* Hostile page numbers: the first page. */
	snprintf(path, sizeof path, "/me/p/%s?cpage=%%ff", slug);
	free(get_page(starter, path, 200));
	snprintf(path, sizeof path, "/me/p/%s?cpage=99999999999", slug);
	free(get_page(starter, path, 200));

	/* The starter hides one; the dashboard says who. */
	assert_int_equal(hide(starter, slug, id, "hide", "me", &loc), 303);
	snprintf(path, sizeof path, "/me/p/%s?comment=hidden", slug);
	assert_int_equal(strncmp(loc, path, strlen(path)), 0);
	free(loc);
	snprintf(path, sizeof path, "/me/p/%s", slug);
	html = get_page(starter, path, 200);
	assert_non_null(strstr(html, "mcomment--hidden"));
	assert_non_null(strstr(html, "value=\"unhide\""));
	free(html);
	snprintf(path, sizeof path, "/p/%s", slug);
	struct client *anon = client_new(&w.srv);
	html = get_page(anon, path, 200);
	assert_null(strstr(html, "Bulk comment 24."));
	assert_non_null(strstr(html, "Bulk comment 25."));
	free(html);
	/* A starter cannot reach the moderators' list. */
	snprintf(path, sizeof path, "/admin/p/%s/comments", slug);
	free(get_page(starter, path, 403));
	client_free(anon);
	free(slug);
	client_free(starter);
	client_free(mod);
	w.passed = true;
}

/* A flood of likes from many addresses (behind a trusted proxy) meets the
 * site-wide limit: most are refused at once with 429, and page views keep
 * being answered quickly meanwhile. */
static void
test_like_flood(void **state)
{
	/* A site-wide limit below the pace of one client, so a short flood
	 * meets it. */
	static const char *const args[] = { "--rate-limit", "on",
		"--like-rate-site", "10/1", "--trusted-proxy", "127.0.0.1/32",
		COUNT_ON_SIGN, NULL };
	struct server *s = server_new_seeded(args);
	struct signer a = signer_default("flood.comment@example.org");
	struct resp r;
	enum { LIKES = 100 };

	(void)state;
	assert_non_null(s);
	struct client *c = client_new(s);
	a.comment = "Liked by a crowd";
	a.extra = "public_comment=1";
	assert_int_equal(client_sign(c, SEED_SLUG, &a, &r), 303);
	resp_free(&r);
	char *html =
	    client_page_until(c, "/p/" SEED_SLUG, "Liked by a crowd", 8000);
	assert_non_null(html);
	long id = comment_id_of(html, "comment", "Liked by a crowd");
	char *tok = html_csrf(html);
	assert_true(id > 0 && tok != NULL);
	free(html);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = 0, limited = 0, other = 0;
		struct hbuf b = { 0 };
		char num[32], xff[64], path[128];

		snprintf(num, sizeof num, "%ld", id);
		form_add(&b, "csrf", tok);
		form_add(&b, "id", num);
		snprintf(path, sizeof path, "/p/%s/like", SEED_SLUG);
		/* One connection; each like a new browser (no cookie). */
		struct client *l = client_new(s);
		for (int i = 0; i < LIKES; i++) {
			struct resp lr;
			curl_easy_setopt(l->curl, CURLOPT_COOKIELIST, "ALL");
			snprintf(xff, sizeof xff, "X-Forwarded-For: 10.%d.%d.7",
			    i / 200, i % 200);
			const char *hdr[] = { xff, "Accept: application/json",
				NULL };
			if (client_post_headers(l, path, b.data, b.len, hdr,
				&lr) != CURLE_OK)
				other++;
			else if (lr.status == 200)
				ok++;
			else if (lr.status == 429)
				limited++;
			else
				other++;
			resp_free(&lr);
		}
		client_free(l);
		hbuf_free(&b);
		fprintf(stderr, "likes: %d counted, %d limited, %d other\n", ok,
		    limited, other);
		_exit(ok > 0 && limited > 0 && other == 0 ? 0 : 1);
	}
	/* Page views while the likes pour in. */
	long long worst = 0;
	int views = 0, st = 0;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		long long t0 = now_ms();
		client_get_expect(c, "/p/" SEED_SLUG, 200, &r);
		resp_free(&r);
		long long took = now_ms() - t0;
		if (took > worst)
			worst = took;
		views++;
		pause_ms(20);
	}
	fprintf(stderr, "page views: %d, the slowest %lld ms\n", views, worst);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(views > 0);
	assert_true(worst < 2000);
	/* Counted likes stayed within what the limit lets through. */
	client_get_expect(c, "/api/v1/petitions/" SEED_SLUG, 200, &r);
	json_t *j = json_loads(r.body.data, 0, NULL);
	resp_free(&r);
	json_int_t likes = json_integer_value(
	    json_object_get(json_array_get(json_object_get(j, "comments"), 0),
		"likes"));
	json_decref(j);
	assert_true(likes > 0 && likes < LIKES);
	free(tok);
	client_free(c);
	assert_int_equal(server_free(s), 0);
	w.passed = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_account_link),
		cmocka_unit_test(test_started_from_publication),
		cmocka_unit_test(test_drafts_once_and_deleted),
		cmocka_unit_test(test_unsubscribe_again),
		cmocka_unit_test(test_reject_preselects_nothing),
		cmocka_unit_test(test_recent_signers),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_comments_dashboard),
		cmocka_unit_test(test_like_flood),
	};
	return harness_finish(cmocka_run_group_tests(tests, setup, teardown));
}
