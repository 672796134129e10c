/* e2e_account.c - end-to-end tests of accounts for people who start
 * petitions: sign-up with email verification and password reset, through
 * the real binary and a real SMTP server (smtpd.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <jansson.h>

#include "harness.h"

#define WAIT_MS 10000
#define PASSWORD "correct horse battery staple"
#define NEW_PASSWORD "a brand new password for holos"

/* One test's world: a holos server and an SMTP server. */
static struct mailworld fx;

/* smtpd.py on a port of its choice and holos sending to it; rate ("N/S")
 * turns the rate limits on with that many requests per client, NULL leaves
 * them off as the harness does. */
static void
start_both(const char *rate)
{
	const char *args[] = { rate ? "--rate-limit" : NULL, "on", "--rate-ip",
		rate, NULL };
	assert_int_equal(mailworld_start(&fx, args, NULL), 0);
}

/* ---- catalogue ---- */

static void
assert_shows_literal(const char *html, const char *text)
{
	if (!html_shows_text(html, text))
		fail_msg("the page does not show \"%s\":\n%s", text, html);
}

/* ---- requests ---- */

/* GETs form_path with c for its form token, then POSTs body (urlencoded,
 * without csrf) and the token to post_path. Fills *r. */
static void
post_with_token(struct client *c, const char *form_path, const char *post_path,
    const struct hbuf *body, struct resp *r)
{
	char *tok = client_page_csrf(c, form_path);
	struct hbuf b = { 0 };
	if (body != NULL && body->len > 0)
		hbuf_append(&b, body->data, body->len);
	form_add(&b, "csrf", tok);
	assert_int_equal(client_post(c, post_path, b.data, b.len, NULL, r),
	    CURLE_OK);
	hbuf_free(&b);
	free(tok);
}

/* Signs up with c on a page in lang (NULL: none chosen). Fills *r. */
static void
signup(struct client *c, const char *lang, const char *name, const char *email,
    const char *password, struct resp *r)
{
	char path[64];
	snprintf(path, sizeof path,
	    lang != NULL ? "/signup?lang=%s" : "/signup", lang);
	struct hbuf b = { 0 };
	if (name != NULL)
		form_add(&b, "name", name);
	if (email != NULL)
		form_add(&b, "email", email);
	if (password != NULL)
		form_add(&b, "password", password);
	post_with_token(c, path, "/signup", &b, r);
	hbuf_free(&b);
}

/* Asks for a reset link for email with c. Fills *r. */
static void
reset_ask(struct client *c, const char *email, struct resp *r)
{
	struct hbuf b = { 0 };
	form_add(&b, "email", email);
	post_with_token(c, "/reset", "/reset", &b, r);
	hbuf_free(&b);
}

/* The status of GET /admin: 302 signed out, 403 for a starter. */
static long
admin_status(struct client *c)
{
	struct resp r;
	assert_int_equal(client_get(c, "/admin", &r), CURLE_OK);
	long st = r.status;
	resp_free(&r);
	return st;
}

/* ---- mail ---- */

/* How many messages went to rcpt so far. */
static int
mail_count_to(const char *rcpt)
{
	int k = 0;
	while (maildir_find_nth(&fx.mail, rcpt, k + 1, 0) != 0)
		k++;
	return k;
}

/* Waits for the k-th message to rcpt and parses it. */
static json_t *
mail_get(const char *rcpt, int k)
{
	int i = maildir_find_nth(&fx.mail, rcpt, k, WAIT_MS);
	if (i == 0)
		fail_msg("message %d for %s did not come within %d ms", k, rcpt,
		    WAIT_MS);
	json_t *m = mail_parse(&fx.mail, i);
	assert_non_null(m);
	return m;
}

/* The link path (prefix on) in both parts of m, which must agree. */
static char *
mail_link(json_t *m, const char *prefix)
{
	const char *text = mail_part(m, "text/plain");
	const char *html = mail_part(m, "text/html");
	assert_non_null(text);
	assert_non_null(html);
	char *link = link_path(text, fx.srv.base, prefix);
	if (link == NULL)
		fail_msg("no %s%s link in the text part:\n%s", fx.srv.base,
		    prefix, text);
	char *hl = link_path(html, fx.srv.base, prefix);
	char *hd = hl != NULL ? html_decode(hl) : NULL;
	if (hd == NULL || strcmp(hd, link) != 0)
		fail_msg("the HTML part links to %s, the text part to %s",
		    hd ? hd : "(nothing)", link);
	free(hd);
	free(hl);
	return link;
}

/* The token of a /verify/ or /reset/ path, malloc'd. */
static char *
path_token(const char *path)
{
	const char *t = strchr(path + 1, '/') + 1;
	return strndup(t, strcspn(t, "?"));
}

/* Rows of kind "account" in `holos outbox list`. */
static int
outbox_account_rows(void)
{
	struct outbox_row *rows;
	int n = outbox_list(&fx.srv, &rows);
	if (n < 0)
		fail_msg("holos outbox list failed (see above)");
	n = outbox_rows_in(rows, n, NULL, 0, " account ");
	free(rows);
	return n;
}

/* Checks the subject of m: the catalogue's key of lang with site "Holos". */
static void
assert_subject(json_t *m, const char *lang, const char *key)
{
	char *pat = catalogue_lang(lang, key);
	char *want = msg_arg(pat, "site", "Holos");
	const char *got = mail_header(m, "subject");
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("Subject \"%s\", wanted \"%s\"", got ? got : "(none)",
		    want);
	const char *cl = mail_header(m, "content-language");
	if (cl == NULL || strcmp(cl, lang) != 0)
		fail_msg("Content-Language \"%s\", wanted %s",
		    cl ? cl : "(none)", lang);
	free(want);
	free(pat);
}

/* Signs up email on a page in lang and verifies it through the mailed
 * link with c, which is then signed in. Returns the link (malloc'd). */
static char *
signup_verified(struct client *c, const char *lang, const char *email,
    const char *password)
{
	struct resp r;
	signup(c, lang, "Olena Test", email, password, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	json_t *m = mail_get(email, 1);
	char *link = mail_link(m, "/verify/");
	json_decref(m);
	client_press_button(c, link, &r);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	return link;
}

/* ---- the tests ---- */

#define FLOW_EMAIL "acct-flow@example.org"

static void
test_signup_verify_flow(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c = client_new(&fx.srv);
	struct resp r;

	/* The login page leads here, and here is a form. */
	client_get_expect(c, "/login", 200, &r);
	assert_non_null(strstr(r.body.data, "href=\"/signup\""));
	assert_non_null(strstr(r.body.data, "href=\"/reset\""));
	resp_free(&r);

	signup(c, "ru", "Мария Иванова", FLOW_EMAIL, PASSWORD, &r);
	assert_int_equal(r.status, 200);
	assert_page_shows(r.body.data, "ru", "acct_signup_sent_title");
	assert_non_null(strstr(r.body.data, FLOW_EMAIL));
	char *cookie = resp_header(&r, "Set-Cookie");
	if (cookie != NULL && strstr(cookie, "holos_session") != NULL)
		fail_msg("signing up started a session: %s", cookie);
	free(cookie);
	resp_free(&r);
	assert_int_equal(admin_status(c), 302);

	/* The mail is in Russian, the language of the sign-up. */
	json_t *m = mail_get(FLOW_EMAIL, 1);
	assert_subject(m, "ru", "acct_mail_verify_subject");
	char *link = mail_link(m, "/verify/");
	assert_non_null(strstr(link, "lang=ru"));
	const char *text = mail_part(m, "text/plain");
	/* The name typed at sign-up is whoever typed the address's: it is
	 * not in the mail to that address. */
	assert_null(strstr(text, "Мария"));
	assert_null(strstr(mail_part(m, "text/html"), "Мария"));
	assert_null(strstr(mail_header(m, "to"), "Мария"));
	char *intro = catalogue_lang("ru", "acct_mail_verify_intro");
	char *intro_site = msg_arg(intro, "site", "Holos");
	assert_non_null(strstr(text, intro_site));
	json_decref(m);

	/* Opening the link twice changes nothing: a page with a button. */
	for (int i = 0; i < 2; i++) {
		client_get_expect(c, link, 200, &r);
		assert_page_shows(r.body.data, "ru", "acct_verify_button");
		resp_free(&r);
	}
	assert_int_equal(admin_status(c), 302);

	/* The button verifies and signs in. */
	client_get_expect(c, link, 200, &r);
	char *csrf = html_csrf(r.body.data);
	char *action = html_form_action(r.body.data);
	assert_non_null(csrf);
	assert_non_null(action);
	resp_free(&r);
	struct hbuf b = { 0 };
	form_add(&b, "csrf", csrf);
	assert_int_equal(client_post(c, action, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_string_equal(loc, "/me");
	free(loc);
	cookie = resp_header(&r, "Set-Cookie");
	assert_non_null(cookie);
	assert_non_null(strstr(cookie, "holos_session="));
	assert_non_null(strstr(cookie, "HttpOnly"));
	assert_non_null(strstr(cookie, "SameSite=Lax"));
	free(cookie);
	resp_free(&r);
	/* A starter's session: signed in, but not a moderator. */
	assert_int_equal(admin_status(c), 403);

	/* The link is spent: 410 for the button and for the page. */
	assert_int_equal(client_post(c, action, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 410);
	assert_page_shows(r.body.data, "ru", "acct_link_used_heading");
	resp_free(&r);
	client_get_expect(c, link, 410, &r);
	assert_page_shows(r.body.data, "ru", "acct_link_used_heading");
	resp_free(&r);

	/* A link holos never made: 404. */
	client_get_expect(c,
	    "/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?lang=ru", 404,
	    &r);
	assert_page_shows(r.body.data, "ru", "acct_link_unknown_heading");
	resp_free(&r);
	/* A reset link is no verification link. */
	struct client *other = client_new(&fx.srv);
	reset_ask(other, FLOW_EMAIL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	m = mail_get(FLOW_EMAIL, 2);
	char *reset = mail_link(m, "/reset/");
	json_decref(m);
	char *tok = path_token(reset);
	char vpath[128];
	snprintf(vpath, sizeof vpath, "/verify/%s", tok);
	client_get_expect(other, vpath, 404, &r);
	resp_free(&r);

	/* Signed in with the password too. */
	assert_int_equal(client_login(other, FLOW_EMAIL, PASSWORD), 303);
	assert_int_equal(admin_status(other), 403);

	char *vtok = path_token(link);
	const char *secrets[] = { FLOW_EMAIL, PASSWORD, vtok, tok, NULL };
	assert_log_lacks(&fx.srv, secrets);

	free(vtok);
	free(tok);
	free(reset);
	client_free(other);
	hbuf_free(&b);
	free(action);
	free(csrf);
	free(intro_site);
	free(intro);
	free(link);
	client_free(c);
	fx.passed = true;
}

#define DUP_EMAIL "acct-dup@example.org"

static void
test_signup_existing_looks_alike(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c1 = client_new(&fx.srv), *c2 = client_new(&fx.srv);
	struct resp r1, r2;

	signup(c1, "en", "First Person", DUP_EMAIL, PASSWORD, &r1);
	/* Again, by someone else, with another name and password. */
	signup(c2, "en", "Second Person", DUP_EMAIL, "another password 123",
	    &r2);
	assert_int_equal(r1.status, 200);
	assert_int_equal(r2.status, r1.status);
	if (strcmp(r1.body.data, r2.body.data) != 0)
		fail_msg("a sign-up with a taken address answers differently:\n%s\n----\n%s",
		    r1.body.data, r2.body.data);
	resp_free(&r1);
	resp_free(&r2);

	/* The first got a link; the second a note with sign-in and reset
	 * links and no verification link. */
	json_t *m = mail_get(DUP_EMAIL, 1);
	assert_subject(m, "en", "acct_mail_verify_subject");
	char *link = mail_link(m, "/verify/");
	json_decref(m);
	m = mail_get(DUP_EMAIL, 2);
	assert_subject(m, "en", "acct_mail_exists_subject");
	const char *text = mail_part(m, "text/plain");
	char *v = link_path(text, fx.srv.base, "/verify/");
	if (v != NULL)
		fail_msg("the note to an existing account carries a verification link %s",
		    v);
	char *lg = mail_link(m, "/login");
	char *rs = mail_link(m, "/reset");
	/* Neither name is in it: both were typed by whoever typed the
	 * address. */
	assert_null(strstr(text, "First Person"));
	assert_null(strstr(text, "Second Person"));
	json_decref(m);

	/* The account is the first one: its password works, the other not. */
	struct client *c3 = client_new(&fx.srv);
	assert_int_equal(client_login(c3, DUP_EMAIL, "another password 123"),
	    422);
	assert_int_equal(client_login(c3, DUP_EMAIL, PASSWORD), 303);
	/* The note's links lead to the sign-in and reset pages. */
	struct resp r;
	client_get_expect(c3, lg, 200, &r);
	resp_free(&r);
	client_get_expect(c3, rs, 200, &r);
	resp_free(&r);

	free(rs);
	free(lg);
	free(link);
	client_free(c3);
	client_free(c2);
	client_free(c1);
	fx.passed = true;
}

#define BAD_EMAIL "acct-bad@example.org"

static void
test_signup_validation(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c = client_new(&fx.srv);
	struct resp r;

	/* A short password. */
	signup(c, "en", "Ann", BAD_EMAIL, "short", &r);
	assert_int_equal(r.status, 422);
	assert_shows_literal(r.body.data, "Use at least 10 characters.");
	assert_shows_literal(r.body.data, "There is 1 problem");
	assert_non_null(strstr(r.body.data, "aria-invalid=\"true\""));
	assert_non_null(strstr(r.body.data, "href=\"#password\""));
	/* What was typed stays, except the password. */
	assert_non_null(strstr(r.body.data, "value=\"" BAD_EMAIL "\""));
	assert_null(strstr(r.body.data, "short"));
	resp_free(&r);

	/* Not an address; no name. */
	signup(c, "en", NULL, "not an address", PASSWORD, &r);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "en", "err_email");
	assert_page_shows(r.body.data, "en", "err_required");
	assert_shows_literal(r.body.data, "There are 2 problems");
	resp_free(&r);

	/* The password is the address; the name is an address. */
	signup(c, "en", "ann@example.org", BAD_EMAIL, " ACCT-bad@Example.org",
	    &r);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "en", "acct_err_password_email");
	assert_page_shows(r.body.data, "en", "acct_err_name_email");
	resp_free(&r);

	/* Too long: a name over 100 characters, a password over 1024. */
	char name[120], pw[1100];
	memset(name, 'n', 101);
	name[101] = '\0';
	memset(pw, 'p', 1025);
	pw[1025] = '\0';
	signup(c, "en", name, BAD_EMAIL, pw, &r);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "en", "err_too_long");
	assert_shows_literal(r.body.data, "Use at most 1,024 characters.");
	resp_free(&r);

	/* In Russian. */
	signup(c, "ru", "Анна", BAD_EMAIL, "коротко", &r);
	assert_int_equal(r.status, 422);
	assert_shows_literal(r.body.data,
	    "Пароль должен быть не короче 10 символов.");
	assert_shows_literal(r.body.data, "В форме 1 ошибка");
	assert_non_null(strstr(r.body.data, "<html lang=\"ru\">"));
	resp_free(&r);
	signup(c, "ru", "", "нет", PASSWORD, &r);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "ru", "err_email");
	assert_page_shows(r.body.data, "ru", "err_required");
	resp_free(&r);

	/* And Ukrainian. */
	signup(c, "uk", "Ганна", BAD_EMAIL, "коротко", &r);
	assert_int_equal(r.status, 422);
	assert_shows_literal(r.body.data,
	    "Пароль має містити щонайменше 10 символів.");
	resp_free(&r);

	/* Nothing was created or mailed: the address is still free. */
	assert_int_equal(outbox_account_rows(), 0);
	signup(c, "en", "Ann", BAD_EMAIL, PASSWORD, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	json_t *m = mail_get(BAD_EMAIL, 1);
	assert_subject(m, "en", "acct_mail_verify_subject");
	json_decref(m);

	client_free(c);
	fx.passed = true;
}

static void
test_csrf_refused(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c = client_new(&fx.srv);
	struct resp r;
	const char *bodies[][2] = {
		{ "/signup",
		    "name=Ann&email=csrf%40example.org&password=correct+horse+battery" },
		{ "/reset", "email=csrf%40example.org" },
		{ "/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "" },
		{ "/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		    "password=correct+horse+battery" },
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		/* No token, then a forged one. */
		for (int forged = 0; forged < 2; forged++) {
			struct hbuf b = { 0 };
			hbuf_puts(&b, bodies[i][1]);
			if (forged)
				hbuf_puts(&b,
				    b.len ? "&csrf=1700000000.AAAA" :
					    "csrf=1700000000.AAAA");
			assert_int_equal(client_post(c, bodies[i][0],
					     b.data ? b.data : "", b.len, NULL,
					     &r),
			    CURLE_OK);
			if (r.status != 403)
				fail_msg("POST %s without a good token: %ld, wanted 403",
				    bodies[i][0], r.status);
			assert_page_shows(r.body.data, "en", "err_csrf");
			resp_free(&r);
			hbuf_free(&b);
		}
	}
	/* A token from another site's page is refused too (Origin). */
	client_get_expect(c, "/signup", 200, &r);
	char *tok = html_csrf(r.body.data);
	resp_free(&r);
	struct hbuf b = { 0 };
	form_add(&b, "email", "csrf@example.org");
	form_add(&b, "csrf", tok);
	const char *hdr[] = { "Origin: https://evil.example", NULL };
	assert_int_equal(client_post_headers(c, "/reset", b.data, b.len, hdr,
			     &r),
	    CURLE_OK);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	/* A form not sent as a form: 415. */
	assert_int_equal(client_post(c, "/reset", b.data, b.len, "text/plain",
			     &r),
	    CURLE_OK);
	assert_int_equal(r.status, 415);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	assert_int_equal(outbox_account_rows(), 0);
	client_free(c);
	fx.passed = true;
}

#define RESET_EMAIL "acct-reset@example.org"
#define NOBODY_EMAIL "acct-nobody@example.org"

/* body with the value of every csrf input blanked, malloc'd. */
static char *
without_tokens(const char *body)
{
	struct hbuf b = { 0 };
	const char *p = body, *q;
	while ((q = strstr(p, "name=\"csrf\" value=\"")) != NULL) {
		q += strlen("name=\"csrf\" value=\"");
		hbuf_append(&b, p, (size_t)(q - p));
		p = strchr(q, '"');
		assert_non_null(p);
	}
	hbuf_puts(&b, p);
	return b.data;
}

static void
test_reset_flow(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c = client_new(&fx.srv);
	struct resp r, ru, rk;

	/* An account made in Ukrainian, signed in on two browsers. */
	char *vlink = signup_verified(c, "uk", RESET_EMAIL, PASSWORD);
	assert_int_equal(admin_status(c), 403);
	struct client *c2 = client_new(&fx.srv);
	assert_int_equal(client_login(c2, RESET_EMAIL, PASSWORD), 303);
	assert_int_equal(admin_status(c2), 403);

	/* Unknown and known addresses get the same answer; only the known
	 * gets mail, in the account's language. */
	struct client *asker = client_new(&fx.srv);
	reset_ask(asker, NOBODY_EMAIL, &ru);
	reset_ask(asker, RESET_EMAIL, &rk);
	assert_int_equal(ru.status, 200);
	assert_int_equal(rk.status, ru.status);
	char *bu = without_tokens(ru.body.data),
	     *bk = without_tokens(rk.body.data);
	if (strcmp(bu, bk) != 0)
		fail_msg("reset answers differ:\n%s\n----\n%s", bu, bk);
	assert_page_shows(ru.body.data, "en", "acct_reset_sent_title");
	free(bu);
	free(bk);
	resp_free(&ru);
	resp_free(&rk);
	json_t *m = mail_get(RESET_EMAIL, 2);
	assert_subject(m, "uk", "acct_mail_reset_subject");
	char *link = mail_link(m, "/reset/");
	assert_non_null(strstr(link, "lang=uk"));
	json_decref(m);
	assert_int_equal(mail_count_to(NOBODY_EMAIL), 0);
	assert_int_equal(outbox_account_rows(), 2);

	/* The link opens a form (twice: a GET uses nothing). */
	client_get_expect(asker, link, 200, &r);
	resp_free(&r);
	client_get_expect(asker, link, 200, &r);
	assert_page_shows(r.body.data, "uk", "acct_newpw_heading");
	assert_non_null(strstr(r.body.data, "autocomplete=\"new-password\""));
	char *tok = html_csrf(r.body.data);
	char *action = html_form_action(r.body.data);
	assert_non_null(tok);
	assert_non_null(action);
	resp_free(&r);

	/* A bad password is refused in the page's language, and the link
	 * still works. */
	struct hbuf b = { 0 };
	form_add(&b, "password", "short");
	form_add(&b, "csrf", tok);
	assert_int_equal(client_post(asker, action, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 422);
	assert_shows_literal(r.body.data,
	    "Пароль має містити щонайменше 10 символів.");
	resp_free(&r);
	hbuf_free(&b);
	form_add(&b, "password", RESET_EMAIL);
	form_add(&b, "csrf", tok);
	assert_int_equal(client_post(asker, action, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 422);
	assert_page_shows(r.body.data, "uk", "acct_err_password_email");
	resp_free(&r);
	hbuf_free(&b);

	/* The new password: then to the sign-in page. */
	form_add(&b, "password", NEW_PASSWORD);
	form_add(&b, "csrf", tok);
	assert_int_equal(client_post(asker, action, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_string_equal(loc, "/login?reset=1");
	free(loc);
	resp_free(&r);
	/* The sign-in page it leads to says the password changed. */
	client_get_expect(asker, "/login?reset=1&lang=uk", 200, &r);
	assert_page_shows(r.body.data, "uk", "acct_reset_done");
	resp_free(&r);

	/* Every session ended. */
	assert_int_equal(admin_status(c), 302);
	assert_int_equal(admin_status(c2), 302);
	/* The old password fails, the new one signs in. */
	assert_int_equal(client_login(c, RESET_EMAIL, PASSWORD), 422);
	assert_int_equal(client_login(c, RESET_EMAIL, NEW_PASSWORD), 303);
	assert_int_equal(admin_status(c), 403);

	/* The link works once. */
	assert_int_equal(client_post(asker, action, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 410);
	assert_page_shows(r.body.data, "uk", "acct_link_used_heading");
	resp_free(&r);
	client_get_expect(asker, link, 410, &r);
	resp_free(&r);
	assert_int_equal(client_login(c2, RESET_EMAIL, NEW_PASSWORD), 303);
	/* A link holos never made: 404. */
	client_get_expect(asker,
	    "/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 404, &r);
	resp_free(&r);

	char *rtok = path_token(link), *vtok = path_token(vlink);
	const char *secrets[] = { RESET_EMAIL, NOBODY_EMAIL, PASSWORD,
		NEW_PASSWORD, rtok, vtok, NULL };
	assert_log_lacks(&fx.srv, secrets);

	free(vtok);
	free(rtok);
	hbuf_free(&b);
	free(action);
	free(tok);
	free(link);
	free(vlink);
	client_free(asker);
	client_free(c2);
	client_free(c);
	fx.passed = true;
}

#define LIMIT_EMAIL "acct-limit@example.org"

static void
test_reset_limit_per_account(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c = client_new(&fx.srv);
	struct resp r;
	char *first = NULL;

	char *vlink = signup_verified(c, "en", LIMIT_EMAIL, PASSWORD);
	assert_int_equal(outbox_account_rows(), 1);
	/* Four requests within the hour, each answered alike; the fourth
	 * sends nothing. */
	for (int i = 0; i < 4; i++) {
		struct client *x = client_new(&fx.srv);
		reset_ask(x, LIMIT_EMAIL, &r);
		assert_int_equal(r.status, 200);
		char *body = without_tokens(r.body.data);
		if (first == NULL)
			first = body;
		else if (strcmp(first, body) != 0)
			fail_msg("request %d answers differently", i + 1);
		else
			free(body);
		resp_free(&r);
		client_free(x);
	}
	assert_int_equal(outbox_account_rows(), 1 + 3);
	json_decref(mail_get(LIMIT_EMAIL, 4));
	assert_int_equal(mail_count_to(LIMIT_EMAIL), 4);
	/* A new password set through one of the three links revokes the
	 * other two: a link left in a mailbox cannot undo it. */
	{
		char *links[3], *tok, *action;
		struct hbuf b = { 0 };

		for (int k = 0; k < 3; k++) {
			json_t *lm = mail_get(LIMIT_EMAIL, 2 + k);
			links[k] = mail_link(lm, "/reset/");
			json_decref(lm);
		}
		client_get_expect(c, links[1], 200, &r);
		tok = html_csrf(r.body.data);
		action = html_form_action(r.body.data);
		resp_free(&r);
		form_add(&b, "password", NEW_PASSWORD);
		form_add(&b, "csrf", tok);
		assert_int_equal(client_post(c, action, b.data, b.len, NULL, &r),
		    CURLE_OK);
		assert_int_equal(r.status, 303);
		resp_free(&r);
		client_get_expect(c, links[0], 410, &r);
		resp_free(&r);
		client_get_expect(c, links[2], 410, &r);
		resp_free(&r);
		assert_int_equal(client_post(c, links[2], b.data, b.len, NULL,
				     &r),
		    CURLE_OK);
		assert_int_equal(r.status, 410);
		resp_free(&r);
		hbuf_free(&b);
		free(tok);
		free(action);
		for (int k = 0; k < 3; k++)
			free(links[k]);
	}
	/* Other accounts are not held back by it. */
	char *vlink2 =
	    signup_verified(c, "en", "acct-limit-2@example.org", PASSWORD);
	reset_ask(c, "acct-limit-2@example.org", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	json_t *m = mail_get("acct-limit-2@example.org", 2);
	assert_subject(m, "en", "acct_mail_reset_subject");
	json_decref(m);
	free(vlink2);
	free(first);
	free(vlink);
	client_free(c);
	fx.passed = true;
}

static void
test_reset_rate_per_client(void **state)
{
	(void)state;
	start_both("2/60");
	struct client *c = client_new(&fx.srv);
	struct resp r;
	for (int i = 0; i < 2; i++) {
		reset_ask(c, NOBODY_EMAIL, &r);
		assert_int_equal(r.status, 200);
		resp_free(&r);
	}
	reset_ask(c, NOBODY_EMAIL, &r);
	assert_int_equal(r.status, 429);
	char *ra = resp_header(&r, "Retry-After");
	assert_non_null(ra);
	free(ra);
	resp_free(&r);
	client_free(c);
	fx.passed = true;
}

#define RESEND_EMAIL "acct-resend@example.org"

static void
test_verify_resend(void **state)
{
	(void)state;
	start_both(NULL);
	struct client *c = client_new(&fx.srv);
	struct resp r;

	/* Signed out, the resend asks to sign in. */
	assert_int_equal(client_post(c, "/verify", "csrf=x", 6, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 302);
	resp_free(&r);

	signup(c, "en", "Resend Test", RESEND_EMAIL, PASSWORD, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	json_t *m = mail_get(RESEND_EMAIL, 1);
	char *link1 = mail_link(m, "/verify/");
	json_decref(m);

	/* Not yet verified, but signed in: an unknown link offers a new one. */
	assert_int_equal(client_login(c, RESEND_EMAIL, PASSWORD), 303);
	const char *bogus =
	    "/verify/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";
	client_get_expect(c, bogus, 404, &r);
	assert_page_shows(r.body.data, "en", "acct_resend_button");
	char *tok = html_csrf(r.body.data);
	char *action = html_form_action(r.body.data);
	assert_non_null(tok);
	assert_string_equal(action, "/verify");
	resp_free(&r);

	/* A token not bound to the session is refused. */
	client_get_expect(c, "/signup", 200, &r);
	char *loose = html_csrf(r.body.data);
	resp_free(&r);
	struct hbuf b = { 0 };
	form_add(&b, "csrf", loose);
	assert_int_equal(client_post(c, "/verify", b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	hbuf_free(&b);

	/* The bound one sends a fresh link; again at once is too soon. */
	form_add(&b, "csrf", tok);
	assert_int_equal(client_post(c, "/verify", b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_shows_literal(r.body.data,
	    "We have sent a new link to your email address. It works for 48 hours.");
	resp_free(&r);
	assert_int_equal(client_post(c, "/verify", b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 429);
	assert_page_shows(r.body.data, "en", "acct_resend_wait");
	char *ra = resp_header(&r, "Retry-After");
	assert_non_null(ra);
	assert_true(atoi(ra) >= 1 && atoi(ra) <= 60);
	free(ra);
	resp_free(&r);
	assert_int_equal(outbox_account_rows(), 2);

	m = mail_get(RESEND_EMAIL, 2);
	assert_subject(m, "en", "acct_mail_verify_subject");
	char *link2 = mail_link(m, "/verify/");
	json_decref(m);
	assert_string_not_equal(link1, link2);
	assert_int_equal(mail_count_to(RESEND_EMAIL), 2);

	/* The new link verifies; the resend then says so. */
	client_press_button(c, link2, &r);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	assert_int_equal(admin_status(c), 403);

	hbuf_free(&b);
	free(loose);
	free(link2);
	free(action);
	free(tok);
	free(link1);
	client_free(c);
	fx.passed = true;
}

int
main(void)
{
	if (smtpd_available() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		mailworld_test(test_signup_verify_flow, &fx),
		mailworld_test(test_signup_existing_looks_alike, &fx),
		mailworld_test(test_signup_validation, &fx),
		mailworld_test(test_csrf_refused, &fx),
		mailworld_test(test_reset_flow, &fx),
		mailworld_test(test_reset_limit_per_account, &fx),
		mailworld_test(test_reset_rate_per_client, &fx),
		mailworld_test(test_verify_resend, &fx),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
