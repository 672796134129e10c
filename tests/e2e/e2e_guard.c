/* e2e_guard.c - end-to-end tests of what an answer must not tell: signing
 * answers alike for a new, a pending and a confirmed address (the address's
 * owner hears which by mail), login alike for an address with an account
 * and one without, lock included, and a locked-out owner still gets in
 * from a known browser or with a mailed sign-in link; through a real SMTP
 * server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pthread.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 10000

static struct mailworld fx;

#define PASSWORD "correct horse battery staple"
#define OWNER_EMAIL "guard-owner@example.org"
#define NOBODY_EMAIL "guard-nobody@example.org"
#define MOD_EMAIL "guard-mod@example.org"

static int
group_setup(void **state)
{
	const char *args[] = { "--seed", SEED_PATH, "--rate-limit", "off",
		"--min-form-seconds", "0", "--pow-bits", "0", "--trusted-proxy",
		"127.0.0.1/32", NULL };

	(void)state;
	if (smtpd_available() != 0 || mailworld_start(&fx, args, NULL) != 0)
		return -1;
	if (harness_user_add(&fx.srv, OWNER_EMAIL, "starter", PASSWORD) != 0)
		return -1;
	return harness_user_add(&fx.srv, MOD_EMAIL, "moderator", PASSWORD) == 0 ?
	    0 :
	    -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return mailworld_end(&fx);
}

/* An answer with what differs between any two requests taken out: the
 * Date header, and form tokens and proof-of-work challenges in a page. */
static char *
answer_text(const struct resp *r)
{
	struct hbuf out = { 0 };
	const char *p = r->headers.data, *eol;

	hbuf_printf(&out, "%ld\n", r->status);
	while (p != NULL && *p != '\0') {
		eol = strchr(p, '\n');
		size_t n = eol != NULL ? (size_t)(eol - p + 1) : strlen(p);
		if (strncasecmp(p, "Date:", 5) != 0)
			hbuf_append(&out, p, n);
		p += n;
	}
	hbuf_puts(&out, "\n");
	p = r->body.data != NULL ? r->body.data : "";
	/* Values of hidden inputs (the csrf token, the challenge) vary. */
	const char *marks[] = { "name=\"csrf\" value=\"",
		"name=\"pow\" value=\"", "data-pow=\"", NULL };
	for (;;) {
		const char *hit = NULL, *m = NULL;
		for (size_t i = 0; marks[i] != NULL; i++) {
			const char *h = strstr(p, marks[i]);
			if (h != NULL && (hit == NULL || h < hit)) {
				hit = h;
				m = marks[i];
			}
		}
		if (hit == NULL)
			break;
		hit += strlen(m);
		hbuf_append(&out, p, (size_t)(hit - p));
		hbuf_puts(&out, "TOKEN");
		p = hit + strcspn(hit, "\"");
	}
	hbuf_puts(&out, p);
	return out.data;
}

/* Signs the seed petition as who from a fresh browser; returns the POST's
 * answer and the page it sends to, each as answer_text(), in *post and
 * *page. */
static void
sign_answer(const struct signer *who, char **post, char **page)
{
	struct client *c = client_new(&fx.srv);
	struct resp r;

	assert_int_equal(client_sign(c, SEED_SLUG, who, &r), 303);
	*post = answer_text(&r);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	resp_free(&r);
	assert_int_equal(client_get(c, loc, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	*page = answer_text(&r);
	resp_free(&r);
	free(loc);
	client_free(c);
}

static void
assert_same(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		fail_msg("%s differs:\n--- new address\n%s\n--- this one\n%s",
		    what, a, b);
}

/* Makes the last mail to every signature of the seed petition look an
 * hour old, as if the resend window had passed. */
static void
age_mail(void)
{
	assert_int_equal(server_db_exec(&fx.srv,
			     "UPDATE signatures SET last_mail_at ="
			     " last_mail_at - 3600"),
	    0);
}

#define NEW_EMAIL "guard-new@example.org"
#define PENDING_EMAIL "guard-pending@example.org"
#define CONFIRMED_EMAIL "guard-confirmed@example.org"
/* What the stranger types: none of it may reach the owner's mail. */
#define STRANGER_NAME "Mallory Typedname"
#define STRANGER_COMMENT "Visit evil.example for a prize"

static void
test_sign_answers_alike(void **state)
{
	(void)state;
	fx.passed = false;
	long before = petition_count(&fx.srv, SEED_SLUG);
	struct signer pend = signer_default(PENDING_EMAIL);
	struct signer conf = signer_default(CONFIRMED_EMAIL);
	char *post[6], *page[6];

	/* A pending address and a confirmed one. */
	sign_answer(&pend, &post[0], &page[0]);
	sign_answer(&conf, &post[1], &page[1]);
	assert_same("the answer to a second new address", post[0], post[1]);
	assert_same("the page after a second new address", page[0], page[1]);
	struct client *c = client_new(&fx.srv);
	long st = mail_follow(c, &fx.mail, CONFIRMED_EMAIL, "/c/", WAIT_MS);
	if (st != 200 && st != 303)
		fail_msg("confirming: status %ld", st);
	client_free(c);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before + 1);
	assert_true(maildir_find(&fx.mail, PENDING_EMAIL, WAIT_MS) > 0);
	age_mail();
	int mails = maildir_count(&fx.mail);

	/* Now a new one, the pending one again and the confirmed one again,
	 * the last two by a stranger with words of their own. */
	struct signer fresh = signer_default(NEW_EMAIL);
	pend.first_name = conf.first_name = STRANGER_NAME;
	pend.comment = conf.comment = STRANGER_COMMENT;
	sign_answer(&fresh, &post[2], &page[2]);
	sign_answer(&pend, &post[3], &page[3]);
	sign_answer(&conf, &post[4], &page[4]);
	/* Within the window, again: no mail, the same answer. */
	sign_answer(&conf, &post[5], &page[5]);
	for (int i = 3; i < 6; i++) {
		assert_same("the answer", post[2], post[i]);
		assert_same("the page it leads to", page[2], page[i]);
	}
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before + 1);

	/* The owners hear it by mail: the new address its link, the pending
	 * one its link again, the confirmed one that it signed. */
	assert_true(maildir_wait(&fx.mail, mails + 3, WAIT_MS) >= mails + 3);
	assert_int_equal(maildir_quiet(&fx.mail, mails + 3, 1500), mails + 3);
	assert_true(maildir_find(&fx.mail, NEW_EMAIL, WAIT_MS) > 0);
	int again = maildir_find_nth(&fx.mail, PENDING_EMAIL, 2, WAIT_MS);
	assert_true(again > 0);
	json_t *m = mail_parse(&fx.mail, again);
	assert_non_null(m);
	const char *text = mail_part(m, "text/plain");
	assert_non_null(text);
	assert_non_null(strstr(text, "/c/"));
	assert_null(strstr(text, STRANGER_NAME));
	assert_null(strstr(text, STRANGER_COMMENT));
	json_decref(m);
	/* The new link confirms the pending signature. */
	c = client_new(&fx.srv);
	m = mail_parse(&fx.mail, again);
	char *link = link_path(mail_part(m, "text/plain"), fx.srv.base, "/c/");
	assert_non_null(link);
	struct resp r;
	st = client_press_button(c, link, &r);
	resp_free(&r);
	if (st != 200 && st != 303)
		fail_msg("confirming with the link sent again: status %ld", st);
	free(link);
	json_decref(m);
	client_free(c);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before + 2);

	int told = maildir_find_nth(&fx.mail, CONFIRMED_EMAIL, 2, WAIT_MS);
	assert_true(told > 0);
	m = mail_parse(&fx.mail, told);
	assert_non_null(m);
	text = mail_part(m, "text/plain");
	assert_non_null(text);
	char *subject = catalogue_get("signed_mail_subject");
	char *want = msg_arg(subject, "title", SEED_TITLE);
	if (strcmp(mail_header(m, "subject"), want) != 0)
		fail_msg("subject \"%s\", wanted \"%s\"",
		    mail_header(m, "subject"), want);
	/* No link that would confirm, and nothing the stranger typed. */
	assert_null(strstr(text, "/c/"));
	assert_non_null(strstr(text, "/p/" SEED_SLUG));
	assert_null(strstr(text, STRANGER_NAME));
	assert_null(strstr(text, STRANGER_COMMENT));
	assert_null(strstr(mail_part(m, "text/html"), STRANGER_NAME));
	free(subject);
	free(want);
	json_decref(m);
	assert_int_equal(maildir_find_nth(&fx.mail, CONFIRMED_EMAIL, 3, 200), 0);
	for (int i = 0; i < 6; i++) {
		free(post[i]);
		free(page[i]);
	}
	const char *needles[] = { NEW_EMAIL, PENDING_EMAIL, CONFIRMED_EMAIL,
		NULL };
	assert_log_lacks(&fx.srv, needles);
	fx.passed = true;
}

/* A mail bomb: signing again and again with someone's address mails them
 * at most once per window, however it is answered. */
static void
test_sign_again_mails_once(void **state)
{
	(void)state;
	fx.passed = false;
	struct signer who = signer_default("guard-bomb@example.org");
	char *post, *page;

	for (int i = 0; i < 8; i++) {
		sign_answer(&who, &post, &page);
		free(post);
		free(page);
	}
	assert_true(
	    maildir_find(&fx.mail, "guard-bomb@example.org", WAIT_MS) > 0);
	pause_ms(1000);
	assert_int_equal(maildir_find_nth(&fx.mail, "guard-bomb@example.org", 2,
			     200),
	    0);
	fx.passed = true;
}

/* ---- login ---- */

/* c's requests come from addr (behind the trusted proxy). */
static struct curl_slist *
client_from(struct client *c, const char *addr)
{
	char line[64];
	struct curl_slist *h;

	snprintf(line, sizeof line, "X-Forwarded-For: %s", addr);
	h = curl_slist_append(NULL, line);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	return h;
}

/* POSTs the login form as c; returns the answer as answer_text(). */
static char *
login_answer(struct client *c, const char *email, const char *password,
    long *status)
{
	struct resp r;
	struct hbuf b = { 0 };

	client_get(c, "/login", &r);
	assert_int_equal(r.status, 200);
	char *tok = html_hidden(r.body.data, "csrf");
	assert_non_null(tok);
	resp_free(&r);
	form_add(&b, "email", email);
	form_add(&b, "password", password);
	form_add(&b, "csrf", tok);
	client_post(c, "/login", b.data, b.len, NULL, &r);
	*status = r.status;
	char *text = answer_text(&r);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return text;
}

/* An attacker's guess from a fresh browser at address addr. */
static char *
guess(const char *email, const char *password, const char *addr, long *status)
{
	struct client *c = client_new(&fx.srv);
	struct curl_slist *h = client_from(c, addr);
	char *text = login_answer(c, email, password, status);

	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	client_free(c);
	return text;
}

/* Asks for a sign-in link for email as c; returns the answer. */
static char *
link_answer(struct client *c, const char *email)
{
	struct resp r;
	struct hbuf b = { 0 };

	client_get(c, "/login/link", &r);
	assert_int_equal(r.status, 200);
	char *tok = html_hidden(r.body.data, "csrf");
	assert_non_null(tok);
	resp_free(&r);
	form_add(&b, "email", email);
	form_add(&b, "csrf", tok);
	client_post(c, "/login/link", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	char *text = answer_text(&r);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return text;
}

static void
test_login_tells_nothing(void **state)
{
	(void)state;
	fx.passed = false;
	long st, st2;
	char addr[32];

	/* The owner's browser signed in once, before the attack. */
	struct client *known = client_new(&fx.srv);
	free(login_answer(known, OWNER_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);

	/* A wrong password and an address without an account: the same
	 * answer. */
	char *a = guess(OWNER_EMAIL, "wrong guess 0", "10.20.0.1", &st);
	char *b = guess(NOBODY_EMAIL, "wrong guess 0", "10.20.0.1", &st2);
	assert_int_equal(st, 422);
	assert_int_equal(st2, 422);
	assert_same("a wrong password and no account", a, b);
	free(a);
	free(b);
	/* Four more failures each, every one from another network: the
	 * sixth attempt, even with the right password, is locked out, and
	 * the lock reads the same for both. */
	for (int i = 1; i < 5; i++) {
		snprintf(addr, sizeof addr, "10.20.%d.1", i);
		free(guess(OWNER_EMAIL, "wrong guess", addr, &st));
		assert_int_equal(st, 422);
		free(guess(NOBODY_EMAIL, "wrong guess", addr, &st));
		assert_int_equal(st, 422);
	}
	a = guess(OWNER_EMAIL, PASSWORD, "10.20.9.1", &st);
	b = guess(NOBODY_EMAIL, PASSWORD, "10.20.9.1", &st2);
	assert_int_equal(st, 429);
	assert_int_equal(st2, 429);
	assert_same("the lock of an account and of no account", a, b);
	free(a);
	free(b);

	/* The owner's browser still gets in with the right password. */
	free(login_answer(known, OWNER_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	client_free(known);

	/* A new browser asks for a sign-in link: answered as for an address
	 * without an account, and only the owner gets mail. */
	int mails = maildir_count(&fx.mail);
	struct client *fresh = client_new(&fx.srv);
	struct client *other = client_new(&fx.srv);
	a = link_answer(fresh, OWNER_EMAIL);
	b = link_answer(other, NOBODY_EMAIL);
	assert_same("a sign-in link for an account and for none", a, b);
	free(a);
	free(b);
	client_free(other);
	int i = maildir_find_nth(&fx.mail, OWNER_EMAIL, 1, WAIT_MS);
	assert_true(i > 0);
	assert_int_equal(maildir_quiet(&fx.mail, mails + 1, 1000), mails + 1);
	assert_int_equal(maildir_find(&fx.mail, NOBODY_EMAIL, 100), 0);
	json_t *m = mail_parse(&fx.mail, i);
	assert_non_null(m);
	char *link =
	    link_path(mail_part(m, "text/plain"), fx.srv.base, "/login/link/");
	assert_non_null(link);
	json_decref(m);
	/* Opening it changes nothing; the button signs in. */
	struct resp r;
	client_get_expect(fresh, "/me", 302, &r);
	resp_free(&r);
	assert_int_equal(client_press_button(fresh, link, &r), 303);
	resp_free(&r);
	client_get_expect(fresh, "/me", 200, &r);
	resp_free(&r);
	/* Once only. */
	struct client *again = client_new(&fx.srv);
	client_get_expect(again, link, 410, &r);
	resp_free(&r);
	client_free(again);
	/* That browser is a known one now: signed out, its right password
	 * gets through the lock. */
	char *csrf = client_page_csrf(fresh, "/me");
	struct hbuf body = { 0 };
	form_add(&body, "csrf", csrf);
	client_post(fresh, "/logout", body.data, body.len, NULL, &r);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	hbuf_free(&body);
	free(csrf);
	free(login_answer(fresh, OWNER_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	/* Still locked for everyone else. */
	free(guess(OWNER_EMAIL, PASSWORD, "10.20.10.1", &st));
	assert_int_equal(st, 429);
	client_free(fresh);
	free(link);
	const char *needles[] = { OWNER_EMAIL, NOBODY_EMAIL, PASSWORD, NULL };
	assert_log_lacks(&fx.srv, needles);
	fx.passed = true;
}

/* Hostile input to the sign-in link form and its link. */
static void
test_signin_link_hostile(void **state)
{
	(void)state;
	fx.passed = false;
	struct client *c = client_new(&fx.srv);
	struct resp r;
	struct hbuf b = { 0 };

	char *tok = client_page_csrf(c, "/login/link");
	/* Not an address, far too long, invalid UTF-8: 422, never a 500. */
	const char *bad[] = { "not-an-address", "%FF%FE@example.org", NULL };
	for (size_t i = 0; bad[i] != NULL; i++) {
		hbuf_free(&b);
		form_add_raw(&b, "email", bad[i]);
		form_add(&b, "csrf", tok);
		client_post(c, "/login/link", b.data, b.len, NULL, &r);
		assert_int_equal(r.status, 422);
		resp_free(&r);
	}
	hbuf_free(&b);
	hbuf_puts(&b, "email=");
	for (int i = 0; i < 5000; i++)
		hbuf_puts(&b, "a");
	hbuf_puts(&b, "%40example.org");
	form_add(&b, "csrf", tok);
	client_post(c, "/login/link", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 422);
	resp_free(&r);
	hbuf_free(&b);
	/* A link holos never made: 404; a malformed one: 404. */
	client_get_expect(c,
	    "/login/link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 404, &r);
	resp_free(&r);
	client_get(c, "/login/link/%FF", &r);
	assert_true(r.status == 404 || r.status == 400);
	resp_free(&r);
	free(tok);
	client_free(c);
	fx.passed = true;
}

/* ---- the second factor ---- */

/* POSTs code to the code form at path as c; returns the status and, when
 * body is not NULL, the page (malloc'd). */
static long
post_code(struct client *c, const char *path, const char *code, char **body)
{
	struct resp r;
	struct hbuf b = { 0 };

	client_get(c, path, &r);
	assert_int_equal(r.status, 200);
	char *tok = html_hidden(r.body.data, "csrf");
	assert_non_null(tok);
	resp_free(&r);
	form_add(&b, "code", code);
	form_add(&b, "csrf", tok);
	client_post(c, path, b.data, b.len, NULL, &r);
	long st = r.status;
	if (body != NULL)
		*body = strdup(r.body.data != NULL ? r.body.data : "");
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return st;
}

/* A fresh browser past the password, at the code form. */
static struct client *
at_code_form(void)
{
	struct client *c = client_new(&fx.srv);
	struct resp r;
	long st;

	free(login_answer(c, MOD_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	/* No session yet: moderation is out of reach. */
	client_get_expect(c, "/admin", 302, &r);
	resp_free(&r);
	return c;
}

static void
code_of(const unsigned char *secret, size_t len, long long step, char out[7])
{
	assert_int_equal(harness_totp_code(secret, len, step, out), 0);
}

/* The secret of the setup page's data-secret (base32, RFC 4648). */
static size_t
secret_of(const char *b32, unsigned char *out)
{
	const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned long acc = 0;
	size_t n = 0;
	int bits = 0;

	for (const char *p = b32; *p != '\0'; p++) {
		const char *k = strchr(al, *p);
		assert_non_null(k);
		acc = (acc << 5) | (unsigned long)(k - al);
		bits += 5;
		if (bits >= 8) {
			out[n++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return n;
}

static void
test_second_factor(void **state)
{
	(void)state;
	fx.passed = false;
	struct client *c = client_new(&fx.srv);
	struct resp r;
	long st;
	char code[7], *page;

	/* Signed in with the password alone, a moderator must enrol before
	 * moderating. */
	free(login_answer(c, MOD_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 303);
	char *to = resp_header(&r, "Location");
	assert_string_equal(to, "/me/2fa");
	free(to);
	resp_free(&r);
	client_get_expect(c, "/me/2fa", 200, &r);
	assert_non_null(strstr(r.body.data, "class=\"totp__qr\""));
	char *b32 = html_attr_value(r.body.data, "data-secret");
	assert_non_null(b32);
	resp_free(&r);
	unsigned char secret[64];
	size_t slen = secret_of(b32, secret);
	assert_int_equal(slen, 20);
	/* A wrong code does not enable it. */
	assert_int_equal(post_code(c, "/me/2fa", "000000", NULL), 422);
	long long step = (long long)time(NULL) / 30;
	code_of(secret, slen, step, code);
	assert_int_equal(post_code(c, "/me/2fa", code, &page), 200);
	/* Ten recovery codes, shown once. */
	assert_int_equal(count_of(page, "<li><code>"), 10);
	const char *p = strstr(page, "<li><code>") + 10;
	char *rc1 = strndup(p, strcspn(p, "<"));
	free(page);
	client_get_expect(c, "/admin", 200, &r);
	resp_free(&r);
	client_get_expect(c, "/me/2fa", 200, &r);
	assert_null(strstr(r.body.data, "class=\"totp__qr\""));
	assert_null(strstr(r.body.data, rc1));
	resp_free(&r);
	client_free(c);

	/* A new browser: the code after the password; the enrolment's code
	 * again is a replay. */
	c = at_code_form();
	assert_int_equal(post_code(c, "/login/2fa", code, NULL), 422);
	code_of(secret, slen, step + 1, code);
	assert_int_equal(post_code(c, "/login/2fa", code, NULL), 303);
	client_get_expect(c, "/admin", 200, &r);
	resp_free(&r);
	client_free(c);
	/* The same code from elsewhere within its window: refused. */
	c = at_code_form();
	assert_int_equal(post_code(c, "/login/2fa", code, NULL), 422);
	client_free(c);

	/* A recovery code, once. */
	c = at_code_form();
	assert_int_equal(post_code(c, "/login/2fa", rc1, NULL), 303);
	client_get_expect(c, "/admin", 200, &r);
	resp_free(&r);
	client_free(c);
	c = at_code_form();
	assert_int_equal(post_code(c, "/login/2fa", rc1, NULL), 422);

	/* Guessing: a few wrong codes lock the second factor, then even a
	 * right one waits. */
	for (int i = 0; i < 5; i++) {
		st = post_code(c, "/login/2fa", "123456", NULL);
		assert_true(st == 422 || st == 429);
	}
	code_of(secret, slen, (long long)time(NULL) / 30 + 1, code);
	assert_int_equal(post_code(c, "/login/2fa", code, NULL), 429);
	client_free(c);

	/* An admin resets it for a locked-out moderator: the password alone
	 * signs in again, and moderating asks to enrol anew. */
	const char *argv[] = { "user", "reset-2fa", "--data", fx.srv.data,
		MOD_EMAIL, NULL };
	struct hbuf out = { 0 }, err = { 0 };
	assert_int_equal(cli_run(argv, &out, &err), 0);
	hbuf_free(&out);
	hbuf_free(&err);
	c = client_new(&fx.srv);
	free(login_answer(c, MOD_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	client_get(c, "/admin", &r);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	/* Hostile codes: too long, not digits. */
	assert_int_equal(post_code(c, "/me/2fa",
			     "12345678901234567890123456789012345678901234",
			     NULL),
	    422);
	assert_int_equal(post_code(c, "/me/2fa", "12 34 5x", NULL), 422);
	client_free(c);
	free(rc1);
	free(b32);
	const char *needles[] = { MOD_EMAIL, PASSWORD, NULL };
	assert_log_lacks(&fx.srv, needles);
	fx.passed = true;
}

/* ---- moderating through the starters' pages ---- */

#define MOD2_EMAIL "guard-mod2@example.org"
#define ADMIN2_EMAIL "guard-admin2@example.org"

/* GETs path as c and insists on the answer /admin gives a moderator or
 * admin without a second factor: 303 to /me/2fa. */
static void
sent_to_enrol(struct client *c, const char *path, struct resp *r)
{
	char *to = resp_header(r, "Location");

	if (r->status != 303 || to == NULL || strcmp(to, "/me/2fa") != 0)
		fail_msg("%s: %ld to %s, not 303 to /me/2fa", path, r->status,
		    to != NULL ? to : "(none)");
	free(to);
	(void)c;
}

static long
get_status(struct client *c, const char *path, bool enrol)
{
	struct resp r;
	long st;

	client_get(c, path, &r);
	if (enrol)
		sent_to_enrol(c, path, &r);
	st = r.status;
	resp_free(&r);
	return st;
}

/* POSTs fields (name, value pairs, NULL-ended) and a form token to path. */
static long
post_status(struct client *c, const char *path, bool enrol,
    const char *const *fields)
{
	struct hbuf b = { 0 };
	struct resp r;
	long st;
	char *tok = client_page_csrf(c, "/me");

	for (size_t i = 0; fields[i] != NULL; i += 2)
		form_add(&b, fields[i], fields[i + 1]);
	form_add(&b, "csrf", tok);
	client_post(c, path, b.data, b.len, NULL, &r);
	if (enrol)
		sent_to_enrol(c, path, &r);
	st = r.status;
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return st;
}

#define SP "/me/p/" SEED_SLUG

/* A moderator or admin signed in with the password alone may not moderate
 * anyone's petition through the pages its starter uses (hide comments,
 * paper batches, exports, delivery) any more than at /admin; enrolled,
 * they may. Enrolling ends the account's other sessions. */
static void
test_moderating_takes_second_factor(void **state)
{
	(void)state;
	fx.passed = false;
	static const char *const gets[] = { SP "/paper",
		SP "/paper/scan?batch=1", SP "/export.csv", SP "/export.json",
		SP "/delivery.pdf", NULL };
	static const char *const hide_f[] = { "id", "999999", "action", "hide",
		"back", "me", NULL };
	static const char *const unhide_f[] = { "id", "999999", "action",
		"unhide", "back", "admin", NULL };
	static const char *const remove_f[] = { "batch", "999999", "reason",
		"a mistake", NULL };
	static const char *const addr_f[] = { NULL };
	struct client *c, *other;
	struct resp r;
	long st;

	assert_int_equal(harness_user_add(&fx.srv, MOD2_EMAIL, "moderator",
			     PASSWORD),
	    0);
	assert_int_equal(harness_user_add(&fx.srv, ADMIN2_EMAIL, "admin",
			     PASSWORD),
	    0);

	/* Unenrolled: every path answers as /admin does. */
	c = client_new(&fx.srv);
	free(login_answer(c, MOD2_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	other = client_new(&fx.srv);
	free(login_answer(other, MOD2_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	get_status(c, "/admin", true);
	for (size_t i = 0; gets[i] != NULL; i++)
		get_status(c, gets[i], true);
	post_status(c, SP "/comments", true, hide_f);
	post_status(c, SP "/comments", true, unhide_f);
	post_status(c, SP "/paper/remove", true, remove_f);
	post_status(c, SP "/addressees", true, addr_f);
	post_status(c, SP "/deliver", true, addr_f);
	/* An admin: the starter's own dashboard of another's petition too. */
	struct client *a = client_new(&fx.srv);
	free(login_answer(a, ADMIN2_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 303);
	get_status(a, SP, true);
	get_status(a, SP "/signers.csv", true);
	get_status(a, SP "/paper", true);
	static const char *const state_f[] = { "action", "close", NULL };
	post_status(a, SP "/state", true, state_f);
	client_free(a);

	/* Enrolled: the same pages serve the moderator, and the session of
	 * the other browser, begun without the second factor, is over. */
	client_get_expect(other, "/me", 200, &r);
	resp_free(&r);
	assert_int_equal(harness_twofa_enrol(c, MOD2_EMAIL), 200);
	client_get(other, "/me", &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	client_get(other, "/admin", &r);
	assert_int_equal(r.status, 302);
	resp_free(&r);
	client_free(other);
	client_get_expect(c, "/me", 200, &r);
	resp_free(&r);
	assert_int_equal(get_status(c, "/admin", false), 200);
	assert_int_equal(get_status(c, SP "/paper", false), 200);
	assert_int_equal(get_status(c, SP "/export.csv", false), 200);
	assert_int_equal(get_status(c, SP "/paper/scan?batch=1", false), 404);
	/* Past the check: no such comment, no such batch. */
	assert_int_equal(post_status(c, SP "/comments", false, hide_f), 404);
	assert_int_equal(post_status(c, SP "/paper/remove", false, remove_f),
	    404);
	client_free(c);
	fx.passed = true;
}

/* ---- the password reset, hashed off the request threads ---- */

#define RESET_EMAIL "guard-reset@example.org"
#define RESET_NEW "a brand new passphrase here"
#define RESET_BURST 20
#define RESET_PAGE_MAX_MS 2000

/* Page views by a thread of their own while a burst is under way: from
 * go until the burst's clients are done (about as long as the POSTs). */
struct page_watch {
	struct client *c;
	const char *path;
	atomic_bool go;
	int views, bad;
	long long worst_ms;
};

static void *
watch_page(void *arg)
{
	struct page_watch *w = arg;

	while (!atomic_load(&w->go))
		pause_ms(1);
	pause_ms(50);
	for (int i = 0; i < 10; i++) {
		struct resp r;
		long long t0 = now_ms(), ms;

		if (client_get(w->c, w->path, &r) != CURLE_OK || r.status != 200)
			w->bad++;
		ms = now_ms() - t0;
		if (ms > w->worst_ms)
			w->worst_ms = ms;
		w->views++;
		resp_free(&r);
		pause_ms(20);
	}
	return NULL;
}

/* Asks for a reset link for RESET_EMAIL; returns its path (malloc'd). */
static char *
reset_link(int nth)
{
	struct client *c = client_new(&fx.srv);
	struct hbuf b = { 0 };
	struct resp r;
	char *tok = client_page_csrf(c, "/reset");

	form_add(&b, "email", RESET_EMAIL);
	form_add(&b, "csrf", tok);
	client_post(c, "/reset", b.data, b.len, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	client_free(c);
	int i = maildir_find_nth(&fx.mail, RESET_EMAIL, nth, WAIT_MS);
	assert_true(i > 0);
	json_t *m = mail_parse(&fx.mail, i);
	assert_non_null(m);
	char *link =
	    link_path(mail_part(m, "text/plain"), fx.srv.base, "/reset/");
	assert_non_null(link);
	json_decref(m);
	return link;
}

/* A reset sets the new password (the old one no longer signs in); a burst
 * of reset POSTs, each a password hash, leaves the petition page quick:
 * the hashes run on the worker, not on the threads serving pages. */
static void
test_reset_offloaded(void **state)
{
	(void)state;
	fx.passed = false;
	struct client *cs[RESET_BURST + 1];
	struct hbuf bodies[RESET_BURST + 1];
	struct resp rs[RESET_BURST + 1];
	struct resp r;
	long st;

	assert_int_equal(harness_user_add(&fx.srv, RESET_EMAIL, "starter",
			     PASSWORD),
	    0);
	char *link = reset_link(1);
	for (int i = 0; i < RESET_BURST; i++) {
		cs[i] = client_new(&fx.srv);
		char *tok = client_page_csrf(cs[i], link);
		memset(&bodies[i], 0, sizeof bodies[i]);
		form_add(&bodies[i], "password", RESET_NEW);
		form_add(&bodies[i], "csrf", tok);
		free(tok);
	}
	/* The page view rides in the same burst. */
	long long t0 = now_ms();
	struct client *viewer = client_new(&fx.srv);
	client_get_expect(viewer, "/p/" SEED_SLUG, 200, &r);
	resp_free(&r);
	long long quiet = now_ms() - t0;
	pthread_t t;
	struct page_watch w = { .c = viewer, .path = "/p/" SEED_SLUG };
	atomic_store(&w.go, false);
	assert_int_equal(pthread_create(&t, NULL, watch_page, &w), 0);
	atomic_store(&w.go, true);
	assert_int_equal(client_post_many(cs, link, bodies, rs, RESET_BURST), 0);
	pthread_join(t, NULL);
	print_message("reset burst: page views %d, slowest %lld ms (quiet %lld "
		      "ms)\n",
	    w.views, w.worst_ms, quiet);
	assert_true(w.views > 0);
	assert_int_equal(w.bad, 0);
	if (w.worst_ms >= RESET_PAGE_MAX_MS + quiet)
		fail_msg("a page view took %lld ms during a reset burst",
		    w.worst_ms);
	/* One reset took; the rest found the link spent (or the worker
	 * full: 503 with Retry-After); none failed otherwise. */
	int done = 0;
	for (int i = 0; i < RESET_BURST; i++) {
		if (rs[i].status == 303)
			done++;
		else if (rs[i].status == 503) {
			char *ra = resp_header(&rs[i], "Retry-After");
			assert_non_null(ra);
			free(ra);
		} else if (rs[i].status != 410 && rs[i].status != 404)
			fail_msg("reset POST answered %ld", rs[i].status);
		resp_free(&rs[i]);
		hbuf_free(&bodies[i]);
		client_free(cs[i]);
	}
	assert_int_equal(done, 1);
	free(link);
	struct client *c = client_new(&fx.srv);
	free(login_answer(c, RESET_EMAIL, PASSWORD, &st));
	assert_int_equal(st, 422);
	client_free(c);
	c = client_new(&fx.srv);
	free(login_answer(c, RESET_EMAIL, RESET_NEW, &st));
	assert_int_equal(st, 303);
	client_free(c);
	client_free(viewer);
	const char *needles[] = { RESET_NEW, NULL };
	assert_log_lacks(&fx.srv, needles);
	fx.passed = true;
}

/* With proofs of work off (--pow-bits 0) the form asks for none and the
 * server mints none. */
static void
test_no_challenge_when_off(void **state)
{
	(void)state;
	struct client *c = client_new(&fx.srv);
	struct resp r;

	client_get(c, "/p/" SEED_SLUG, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "name=\"pow"));
	resp_free(&r);
	client_get(c, "/p/" SEED_SLUG "/pow", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_answers_alike),
		cmocka_unit_test(test_sign_again_mails_once),
		cmocka_unit_test(test_login_tells_nothing),
		cmocka_unit_test(test_signin_link_hostile),
		cmocka_unit_test(test_second_factor),
		cmocka_unit_test(test_moderating_takes_second_factor),
		cmocka_unit_test(test_reset_offloaded),
		cmocka_unit_test(test_no_challenge_when_off),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, group_teardown));
}
