/* e2e_smtp.c - end-to-end tests of confirmation mail through a real SMTP server
 * (smtpd.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#define WAIT_MS 10000

/* One test's world: a holos server and, usually, an SMTP server. */
static struct mailworld fx;

/* Checks what every message must be: one recipient in the envelope and in
 * To, no Bcc or Cc, no parser defects. */
static void
assert_one_recipient(const struct smtpd *s, int i, json_t *m, const char *rcpt)
{
	struct hbuf env = { 0 };
	assert_int_equal(maildir_env(s, i, &env), 0);
	char want[300];
	snprintf(want, sizeof want, "RCPT TO: <%s>\n", rcpt);
	if (count_of(env.data, "RCPT TO:") != 1 ||
	    strstr(env.data, want) == NULL)
		fail_msg("message %d: envelope should name only <%s>:\n%s", i,
		    rcpt, env.data);
	hbuf_free(&env);

	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(m, "names"), k, v)
	{
		const char *name = json_string_value(v);
		if (strcasecmp(name, "Bcc") == 0 ||
		    strcasecmp(name, "Cc") == 0 ||
		    strcasecmp(name, "Resent-To") == 0)
			fail_msg("message %d has a %s header", i, name);
	}
	json_t *to = json_object_get(m, "to");
	if (json_array_size(to) != 1 ||
	    strcmp(json_string_value(json_array_get(to, 0)), rcpt) != 0) {
		char *dump = json_dumps(to, 0);
		fail_msg("message %d: To should hold only %s, holds %s (To: %s)",
		    i, rcpt, dump, mail_header(m, "to"));
	}
	if (json_array_size(json_object_get(m, "defects")) != 0) {
		char *dump = json_dumps(json_object_get(m, "defects"), 0);
		fail_msg("message %d: the email package found defects: %s", i,
		    dump);
	}
}

/* ---- holos ---- */

/* Makes the temp root with the server arguments and the maildir path
 * root/mail. Fails the test when it cannot. */
static void
fixture_init(const char *const *args)
{
	assert_int_equal(server_init(&fx.srv, args), 0);
	snprintf(fx.mail.dir, sizeof fx.mail.dir, "%s/mail", fx.srv.root);
}

/* The usual world: smtpd.py with extra arguments on a port of its choice,
 * holos with --smtp pointing at it and extra server arguments. */
static void
start_both(const char *const *smtpd_extra, const char *const *holos_extra)
{
	const char *args[16];
	size_t n = 0;
	args[n++] = "--seed";
	args[n++] = SEED_PATH;
	for (size_t i = 0;
	     holos_extra != NULL && holos_extra[i] != NULL && n < 13; i++)
		args[n++] = holos_extra[i];
	args[n] = NULL;
	assert_int_equal(mailworld_start(&fx, args, smtpd_extra), 0);
}

/* Signs the seed petition as who with a fresh client, first choosing lang
 * (NULL: none) the way a visitor does (sign_fresh()). */
static long
sign_as(const struct signer *who, const char *lang, char **location)
{
	return sign_fresh(&fx.srv, SEED_SLUG, who, lang, location);
}

/* Signs and insists on 303 to the thanks page with ?state=state. */
static void
sign_expect(const struct signer *who, const char *lang, const char *state)
{
	char *loc = NULL;
	long st = sign_as(who, lang, &loc);
	if (st != 303)
		fail_msg("signing as %s: status %ld, wanted 303", who->email,
		    st);
	char want[256];
	snprintf(want, sizeof want, "/p/%s/thanks?state=%s", SEED_SLUG, state);
	if (loc == NULL || strstr(loc, want) == NULL)
		fail_msg("signing as %s: Location %s, wanted %s", who->email,
		    loc ? loc : "(none)", want);
	free(loc);
}

/* POSTs the confirmation form to action with csrf; fills *r. */
static void
post_csrf(struct client *c, const char *action, const char *csrf, struct resp *r)
{
	struct hbuf b = { 0 };
	form_add(&b, "csrf", csrf);
	assert_int_equal(client_post(c, action, b.data, b.len, NULL, r),
	    CURLE_OK);
	hbuf_free(&b);
}

/* `holos outbox list` into *rows, the array it held before freed. */
static int
relist(struct outbox_row **rows)
{
	free(*rows);
	int n = outbox_list(&fx.srv, rows);
	if (n < 0)
		fail_msg("holos outbox list failed (see above)");
	return n;
}

static void
rows_print(const struct outbox_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(stderr, "  %s\n", rows[i].line);
}

/* The server log must not hold the addresses, the secret link tokens, nor
 * any confirm_link= line (links are logged only without --smtp). */
static void
assert_log_clean(const char *const *emails, const char *const *secrets)
{
	static const char *const links[] = { "confirm_link=", NULL };
	assert_log_lacks(&fx.srv, links);
	assert_log_lacks(&fx.srv, emails);
	assert_log_lacks(&fx.srv, secrets);
}

/* The token of a /c/ or /u/ path (between the prefix and "?"), malloc'd. */
static char *
path_token(const char *path)
{
	const char *t = path + 3;
	return strndup(t, strcspn(t, "?"));
}

/* ---- the tests ---- */

#define FLOW_EMAIL "smtp-flow-4711@example.org"

static void
test_full_flow_ru(void **state)
{
	(void)state;
	start_both(NULL, NULL);
	long before = petition_count(&fx.srv, SEED_SLUG);
	assert_true(before >= 0);

	struct signer who = signer_default(FLOW_EMAIL);
	who.first_name = "Мария";
	sign_expect(&who, "ru", "pending");
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before);

	int i = maildir_find(&fx.mail, FLOW_EMAIL, WAIT_MS);
	if (i == 0)
		fail_msg("no message for %s within %d ms", FLOW_EMAIL, WAIT_MS);
	json_t *m = mail_parse(&fx.mail, i);
	assert_one_recipient(&fx.mail, i, m, FLOW_EMAIL);

	/* Headers. */
	char *pat = catalogue_lang("ru", "mail_confirm_subject");
	char *subject = msg_arg(pat, "title", SEED_TITLE);
	const char *got = mail_header(m, "subject");
	if (got == NULL || strcmp(got, subject) != 0)
		fail_msg("Subject decodes to \"%s\", wanted \"%s\"",
		    got ? got : "(none)", subject);
	const char *mid = mail_header(m, "message-id");
	assert_non_null(mid);
	size_t ml = strlen(mid);
	if (ml < 5 || mid[0] != '<' || mid[ml - 1] != '>' ||
	    strchr(mid, '@') == NULL)
		fail_msg("Message-ID \"%s\" is not <left@right>", mid);
	const char *cl = mail_header(m, "content-language");
	if (cl == NULL || strcmp(cl, "ru") != 0)
		fail_msg("Content-Language is \"%s\", wanted ru",
		    cl ? cl : "(none)");
	assert_string_equal(json_string_value(json_object_get(m, "type")),
	    "multipart/alternative");
	assert_non_null(mail_header(m, "date"));
	assert_non_null(mail_header(m, "from"));

	/* Both parts carry the same link; the text part greets in Russian. */
	const char *text = mail_part(m, "text/plain");
	const char *html = mail_part(m, "text/html");
	assert_non_null(text);
	assert_non_null(html);
	char *link = link_path(text, fx.srv.base, "/c/");
	if (link == NULL)
		fail_msg("no %s/c/ link in the text part:\n%s", fx.srv.base,
		    text);
	assert_non_null(strstr(link, "lang=ru"));
	char *html_link = link_path(html, fx.srv.base, "/c/");
	char *html_link_dec = html_link != NULL ? html_decode(html_link) : NULL;
	if (html_link_dec == NULL || strcmp(html_link_dec, link) != 0)
		fail_msg("the HTML part links to %s, the text part to %s",
		    html_link_dec ? html_link_dec : "(nothing)", link);
	/* The name typed into the form is a stranger's text to whoever owns
	 * the address: it appears nowhere in the mail. */
	assert_null(strstr(text, "Мария"));
	assert_null(strstr(html, "Мария"));
	assert_null(strstr(mail_header(m, "to"), "Мария"));
	assert_non_null(strstr(text, SEED_TITLE));

	/* Opening the link, twice, changes nothing. */
	struct client *c = client_new(&fx.srv);
	struct resp r;
	assert_int_equal(client_get(c, link, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	char *csrf = html_csrf(r.body.data);
	char *action = html_form_action(r.body.data);
	assert_non_null(csrf);
	assert_non_null(action);
	char *button = catalogue_lang("ru", "confirm_button");
	if (!html_shows_text(r.body.data, button))
		fail_msg("the confirmation page has no Russian button \"%s\"",
		    button);
	assert_non_null(strstr(r.body.data, "<button"));
	resp_free(&r);
	assert_int_equal(client_get(c, link, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before);

	/* The button counts it. */
	post_csrf(c, action, csrf, &r);
	assert_int_equal(r.status, 303);
	char *loc = resp_header(&r, "Location");
	char want[256];
	snprintf(want, sizeof want, "/p/%s/thanks?state=confirmed", SEED_SLUG);
	if (loc == NULL || strstr(loc, want) == NULL)
		fail_msg("confirming: Location %s, wanted %s",
		    loc ? loc : "(none)", want);
	free(loc);
	resp_free(&r);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before + 1);

	/* Again: the "already confirmed" page, not a second count. */
	post_csrf(c, action, csrf, &r);
	assert_int_equal(r.status, 200);
	char *done = catalogue_lang("ru", "confirm_done");
	if (!html_shows_text(r.body.data, done))
		fail_msg("a second POST does not show \"%s\"", done);
	resp_free(&r);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before + 1);
	assert_int_equal(client_get(c, link, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before + 1);

	/* Exactly one message went out. */
	assert_int_equal(maildir_count(&fx.mail), 1);
	char *tok = path_token(link);
	const char *emails[] = { FLOW_EMAIL, NULL };
	const char *secrets[] = { tok, NULL };
	assert_log_clean(emails, secrets);

	free(tok);
	free(done);
	free(button);
	free(action);
	free(csrf);
	client_free(c);
	free(html_link_dec);
	free(html_link);
	free(link);
	free(subject);
	free(pat);
	json_decref(m);
	fx.passed = true;
}

#define INJ_EMAIL "smtp-inject@example.org"
#define INJ_EMAIL2 "smtp-inject-2@example.org"
#define INJ_EMAIL3 "smtp-inject-3@example.org"

/* Checks the message for rcpt: one recipient, no Bcc, nothing for x@y. */
static void
check_injected(const char *rcpt)
{
	int i = maildir_find(&fx.mail, rcpt, WAIT_MS);
	if (i == 0)
		fail_msg("no message for %s", rcpt);
	json_t *m = mail_parse(&fx.mail, i);
	assert_one_recipient(&fx.mail, i, m, rcpt);
	json_decref(m);
}

static void
test_header_injection(void **state)
{
	(void)state;
	start_both(NULL, NULL);

	/* CR LF in the name: percent-encoded in the form as %0D%0A. */
	struct signer who = signer_default(INJ_EMAIL);
	who.first_name = "Ann\r\nBcc: x@y";
	int accepted = 0;
	char *loc = NULL;
	long st = sign_as(&who, NULL, &loc);
	free(loc);
	if (st != 422 && st != 303)
		fail_msg("a name with CR LF: status %ld, wanted 422 (or 303 and a clean message)",
		    st);
	if (st == 303) {
		check_injected(INJ_EMAIL);
	} else {
		/* Refused: then a name that passes, with the header in plain text. */
		who.first_name = "Ann Bcc: x@y";
		sign_expect(&who, NULL, "pending");
		check_injected(INJ_EMAIL);
	}
	accepted++;

	/* A last name in the same way, and quoting games in the display name. */
	struct signer who2 = signer_default(INJ_EMAIL2);
	who2.last_name = "Tester\r\nBcc: x@y";
	st = sign_as(&who2, NULL, NULL);
	if (st != 422 && st != 303)
		fail_msg("a last name with CR LF: status %ld", st);
	if (st == 303) {
		check_injected(INJ_EMAIL2);
		accepted++;
	}
	struct signer who3 = signer_default(INJ_EMAIL3);
	who3.first_name = "Ann\" <x@y>, \"Bcc: x@y";
	st = sign_as(&who3, NULL, NULL);
	if (st != 422 && st != 303)
		fail_msg("a name with quotes and brackets: status %ld", st);
	if (st == 303) {
		check_injected(INJ_EMAIL3);
		accepted++;
	}

	/* The address itself cannot smuggle a header. */
	struct signer who4 =
	    signer_default("smtp-inject-4@example.org\r\nBcc: x@y");
	assert_int_equal(sign_as(&who4, NULL, NULL), 422);

	/* One message per accepted signature, none for a refused one, and
	 * nothing ever went to x@y; let stragglers arrive first. */
	pause_ms(300);
	int n = maildir_count(&fx.mail);
	assert_int_equal(n, accepted);
	for (int i = 1; i <= n; i++) {
		struct hbuf env = { 0 };
		assert_int_equal(maildir_env(&fx.mail, i, &env), 0);
		if (strstr(env.data, "x@y") != NULL)
			fail_msg("message %d went to x@y:\n%s", i, env.data);
		hbuf_free(&env);
	}
	const char *emails[] = { INJ_EMAIL, INJ_EMAIL2, INJ_EMAIL3, NULL };
	assert_log_clean(emails, NULL);
	fx.passed = true;
}

#define TTL_EMAIL "smtp-ttl@example.org"

static void
test_expired_link(void **state)
{
	(void)state;
	const char *extra[] = { "--confirm-ttl", "1", NULL };
	start_both(NULL, extra);
	long before = petition_count(&fx.srv, SEED_SLUG);

	struct signer who = signer_default(TTL_EMAIL);
	sign_expect(&who, NULL, "pending");
	int i = maildir_find(&fx.mail, TTL_EMAIL, WAIT_MS);
	if (i == 0)
		fail_msg("no message for %s", TTL_EMAIL);
	json_t *m = mail_parse(&fx.mail, i);
	char *link = link_path(mail_part(m, "text/plain"), fx.srv.base, "/c/");
	assert_non_null(link);

	/* The link works for a second: poll until it has gone (3 s at most). */
	struct client *c = client_new(&fx.srv);
	struct resp r;
	long long end = now_ms() + 3000;
	for (;;) {
		assert_int_equal(client_get(c, link, &r), CURLE_OK);
		if (r.status != 200 || now_ms() >= end)
			break;
		resp_free(&r);
		pause_ms(100);
	}
	if (r.status != 410)
		fail_msg("GET of a link past --confirm-ttl 1: status %ld, wanted 410",
		    r.status);
	char petition[256];
	snprintf(petition, sizeof petition, "href=\"/p/%s\"", SEED_SLUG);
	if (strstr(r.body.data, petition) == NULL)
		fail_msg("the expired page does not link back to /p/%s",
		    SEED_SLUG);
	char *heading = catalogue_get("confirm_expired_heading");
	assert_non_null(heading);
	assert_true(html_shows_text(r.body.data, heading));
	resp_free(&r);

	/* Nor does the button count it. */
	char *csrf = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(csrf);
	char *action = strndup(link, strcspn(link, "?"));
	post_csrf(c, action, csrf, &r);
	assert_int_equal(r.status, 410);
	assert_non_null(strstr(r.body.data, petition));
	resp_free(&r);
	assert_int_equal(petition_count(&fx.srv, SEED_SLUG), before);

	char *tok = path_token(link);
	const char *emails[] = { TTL_EMAIL, NULL };
	const char *secrets[] = { tok, NULL };
	assert_log_clean(emails, secrets);
	free(tok);
	free(action);
	free(csrf);
	free(heading);
	client_free(c);
	free(link);
	json_decref(m);
	fx.passed = true;
}

#define RESEND_EMAIL "smtp-resend@example.org"

static void
test_resend_waits(void **state)
{
	(void)state;
	start_both(NULL, NULL);
	struct signer who = signer_default(RESEND_EMAIL);
	sign_expect(&who, NULL, "pending");
	/* Answered as a new address is (e2e_guard.c compares the bytes). */
	sign_expect(&who, NULL, "pending");
	/* The first link arrives; no second one within 2 s. (The other half,
	 * a new link after 10 minutes, is in e2e_guard.c.) */
	if (maildir_wait(&fx.mail, 1, WAIT_MS) < 1)
		fail_msg("no message for %s", RESEND_EMAIL);
	assert_int_equal(maildir_quiet(&fx.mail, 1, 2000), 1);
	/* A third try neither. */
	sign_expect(&who, NULL, "pending");
	pause_ms(300);
	assert_int_equal(maildir_count(&fx.mail), 1);
	const char *emails[] = { RESEND_EMAIL, NULL };
	assert_log_clean(emails, NULL);
	fx.passed = true;
}

#define UNSUB_EMAIL "smtp-unsub@example.org"
#define NOUPD_EMAIL "smtp-no-updates@example.org"

static void
test_unsubscribe_one_click(void **state)
{
	(void)state;
	start_both(NULL, NULL);
	struct signer who = signer_default(UNSUB_EMAIL);
	who.updates = "1";
	sign_expect(&who, NULL, "pending");
	int i = maildir_find(&fx.mail, UNSUB_EMAIL, WAIT_MS);
	if (i == 0)
		fail_msg("no message for %s", UNSUB_EMAIL);
	json_t *m = mail_parse(&fx.mail, i);

	const char *lu = mail_header(m, "list-unsubscribe");
	const char *lup = mail_header(m, "list-unsubscribe-post");
	if (lu == NULL)
		fail_msg("no List-Unsubscribe header with updates=1");
	if (lup == NULL || strcmp(lup, "List-Unsubscribe=One-Click") != 0)
		fail_msg("List-Unsubscribe-Post is \"%s\"",
		    lup ? lup : "(none)");
	size_t ll = strlen(lu);
	if (ll < 3 || lu[0] != '<' || lu[ll - 1] != '>')
		fail_msg("List-Unsubscribe \"%s\" is not <URL>", lu);
	char *url = strndup(lu + 1, ll - 2);
	char prefix[128];
	snprintf(prefix, sizeof prefix, "%s/u/", fx.srv.base);
	if (strncmp(url, prefix, strlen(prefix)) != 0)
		fail_msg("List-Unsubscribe URL %s does not start with %s", url,
		    prefix);
	const char *path = url + strlen(fx.srv.base);

	/* What a mail provider does (RFC 8058): POST, no cookie, no token. */
	struct client *c = client_new(&fx.srv);
	struct resp r;
	const char *body = "List-Unsubscribe=One-Click";
	assert_int_equal(client_post(c, path, body, strlen(body), NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	char *done = catalogue_get("unsub_done");
	assert_non_null(done);
	if (!html_shows_text(r.body.data, done))
		fail_msg("the one-click POST does not show \"%s\"", done);
	resp_free(&r);
	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	/* Without updates, no unsubscribe header. */
	struct signer quiet = signer_default(NOUPD_EMAIL);
	quiet.updates = NULL;
	sign_expect(&quiet, NULL, "pending");
	int k = maildir_find(&fx.mail, NOUPD_EMAIL, WAIT_MS);
	if (k == 0)
		fail_msg("no message for %s", NOUPD_EMAIL);
	json_t *m2 = mail_parse(&fx.mail, k);
	if (mail_header(m2, "list-unsubscribe") != NULL)
		fail_msg("List-Unsubscribe without updates=1: %s",
		    mail_header(m2, "list-unsubscribe"));

	char *tok = path_token(path);
	const char *emails[] = { UNSUB_EMAIL, NOUPD_EMAIL, NULL };
	const char *secrets[] = { tok, NULL };
	assert_log_clean(emails, secrets);
	free(tok);
	json_decref(m2);
	free(done);
	client_free(c);
	free(url);
	json_decref(m);
	fx.passed = true;
}

#define DOWN_N 5

static void
test_smtp_down_then_up(void **state)
{
	(void)state;
	int port = harness_free_port();
	assert_true(port > 0);
	snprintf(fx.url, sizeof fx.url, "smtp://127.0.0.1:%d", port);
	const char *args[] = { "--seed", SEED_PATH, "--smtp", fx.url,
		"--mail-retry", "1", NULL };
	fixture_init(args);
	assert_int_equal(server_start(&fx.srv), 0);

	char emails[DOWN_N][64];
	const char *elist[DOWN_N + 1];
	for (int i = 0; i < DOWN_N; i++) {
		snprintf(emails[i], sizeof emails[i],
		    "smtp-down-%d@example.org", i);
		elist[i] = emails[i];
		struct signer who = signer_default(emails[i]);
		/* Signing never waits for mail. */
		sign_expect(&who, NULL, "pending");
	}
	elist[DOWN_N] = NULL;

	/* Every message has been tried and is queued for a retry. */
	struct outbox_row *rows = NULL;
	int n = 0;
	long long end = now_ms() + WAIT_MS;
	do {
		n = relist(&rows);
		if (n == DOWN_N &&
		    outbox_rows_in(rows, n, "queued", 1, NULL) == DOWN_N)
			break;
		pause_ms(100);
	} while (now_ms() < end);
	if (n != DOWN_N ||
	    outbox_rows_in(rows, n, "queued", 1, NULL) != DOWN_N) {
		rows_print(rows, n);
		fail_msg("wanted %d messages queued after at least one attempt",
		    DOWN_N);
	}
	/* A confirmation waits as what makes it, a few hundred bytes, and
	 * is composed when sent (the composed mail took about 3 KB). */
	long long sealed = server_db_scalar(&fx.srv,
	    "SELECT MAX(LENGTH(sealed)) FROM outbox WHERE kind = 'confirm'");
	printf("# a queued confirmation takes %lld bytes\n", sealed);
	assert_true(sealed > 0 && sealed < 1024);

	/* The hard way down: no chance to finish anything. */
	assert_int_equal(kill(fx.srv.pid, SIGKILL), 0);
	int st;
	assert_int_equal(waitpid(fx.srv.pid, &st, 0), fx.srv.pid);
	fx.srv.pid = 0;
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	char dir[sizeof fx.mail.dir];
	snprintf(dir, sizeof dir, "%s", fx.mail.dir);
	assert_int_equal(smtpd_start(&fx.mail, dir, port, NULL), 0);
	assert_int_equal(server_start(&fx.srv), 0);

	if (maildir_wait(&fx.mail, DOWN_N, 15000) < DOWN_N) {
		n = relist(&rows);
		rows_print(rows, n);
		fail_msg("only %d of %d messages arrived after the restart",
		    maildir_count(&fx.mail), DOWN_N);
	}
	/* Nothing more comes: each exactly once. */
	int total = maildir_quiet(&fx.mail, DOWN_N, 3000);
	if (total != DOWN_N)
		fail_msg("%d messages arrived for %d signatures", total, DOWN_N);

	int seen[DOWN_N] = { 0 };
	char *mids[DOWN_N] = { NULL };
	for (int i = 1; i <= total; i++) {
		struct hbuf env = { 0 };
		assert_int_equal(maildir_env(&fx.mail, i, &env), 0);
		assert_int_equal(count_of(env.data, "RCPT TO:"), 1);
		int who = -1;
		for (int k = 0; k < DOWN_N; k++) {
			char want[128];
			snprintf(want, sizeof want, "RCPT TO: <%s>\n",
			    emails[k]);
			if (strstr(env.data, want) != NULL)
				who = k;
		}
		if (who < 0)
			fail_msg("message %d is for nobody who signed:\n%s", i,
			    env.data);
		seen[who]++;
		hbuf_free(&env);
		json_t *m = mail_parse(&fx.mail, i);
		const char *mid = mail_header(m, "message-id");
		assert_non_null(mid);
		mids[i - 1] = strdup(mid);
		json_decref(m);
	}
	for (int k = 0; k < DOWN_N; k++)
		if (seen[k] != 1)
			fail_msg("%s got %d messages, wanted 1", emails[k],
			    seen[k]);
	for (int a = 0; a < total; a++)
		for (int b = a + 1; b < total; b++)
			if (strcmp(mids[a], mids[b]) == 0)
				fail_msg("messages %d and %d share Message-ID %s",
				    a + 1, b + 1, mids[a]);

	n = relist(&rows);
	if (n != DOWN_N || outbox_rows_in(rows, n, "sent", 1, NULL) != DOWN_N) {
		rows_print(rows, n);
		fail_msg("wanted all %d messages sent in the outbox", DOWN_N);
	}
	assert_log_clean(elist, NULL);
	for (int k = 0; k < DOWN_N; k++)
		free(mids[k]);
	free(rows);
	fx.passed = true;
}

#define DEAD_EMAIL "smtp-reject-me@example.org"
#define LIVE_EMAIL1 "smtp-live-1@example.org"
#define LIVE_EMAIL2 "smtp-live-2@example.org"

/* Waits until the outbox has dead rows with attempts exactly attempts and
 * sent rows as given; returns the dead row's index in rows, or fails. */
static int
wait_outbox(struct outbox_row **rows, int *n, int dead, int attempts, int sent)
{
	long long end = now_ms() + WAIT_MS;
	for (;;) {
		*n = relist(rows);
		int d = 0, at = 0;
		for (int i = 0; i < *n; i++)
			if (strcmp((*rows)[i].state, "dead") == 0) {
				d++;
				at = i;
			}
		if (d == dead &&
		    outbox_rows_in(*rows, *n, "sent", 1, NULL) == sent &&
		    (dead == 0 || (*rows)[at].attempts == attempts))
			return at;
		if (now_ms() >= end)
			break;
		pause_ms(100);
	}
	rows_print(*rows, *n);
	fail_msg("wanted %d dead (attempts %d) and %d sent", dead, attempts,
	    sent);
	return 0;
}

static void
test_dead_letter(void **state)
{
	(void)state;
	const char *sx[] = { "--reject-rcpt", "reject-me", NULL };
	const char *hx[] = { "--mail-retry", "1", NULL };
	start_both(sx, hx);

	const char *addrs[] = { LIVE_EMAIL1, DEAD_EMAIL, LIVE_EMAIL2, NULL };
	for (size_t i = 0; addrs[i] != NULL; i++) {
		struct signer who = signer_default(addrs[i]);
		sign_expect(&who, NULL, "pending");
	}
	/* 550 is permanent: dead at once, while the others go out. */
	struct outbox_row *rows = NULL;
	int n;
	int d = wait_outbox(&rows, &n, 1, 1, 2);
	long long dead_id = rows[d].id;
	assert_int_equal(maildir_count(&fx.mail), 2);
	assert_true(maildir_find(&fx.mail, LIVE_EMAIL1, 0) > 0);
	assert_true(maildir_find(&fx.mail, LIVE_EMAIL2, 0) > 0);
	assert_int_equal(maildir_find(&fx.mail, DEAD_EMAIL, 0), 0);

	/* Re-queued by hand with the server down: attempts start again from
	 * 0, and `holos outbox send` tries once more (still 550: dead again). */
	assert_int_equal(server_stop(&fx.srv), 0);
	const char *retry[] = { "outbox", "--data", fx.srv.data, "retry",
		"dead", NULL };
	struct hbuf out = { 0 };
	assert_int_equal(cli_run(retry, &out, NULL), 0);
	if (strstr(out.data, "queued 1 message again") == NULL)
		fail_msg("holos outbox retry dead said: %s", out.data);
	hbuf_free(&out);
	n = relist(&rows);
	bool found = false;
	for (int i = 0; i < n; i++)
		if (rows[i].id == dead_id) {
			found = true;
			if (strcmp(rows[i].state, "queued") != 0 ||
			    rows[i].attempts != 0)
				fail_msg("after retry: %s (wanted queued, 0 attempts)",
				    rows[i].line);
		}
	assert_true(found);
	const char *send[] = { "outbox", "--data", fx.srv.data, "--smtp",
		fx.url, "send", NULL };
	struct hbuf err = { 0 };
	int st = cli_run(send, &out, &err);
	if (st != 0)
		fail_msg("holos outbox send: status %d: %s", st,
		    err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);
	d = wait_outbox(&rows, &n, 1, 1, 2);
	assert_int_equal(rows[d].id, dead_id);
	assert_int_equal(maildir_count(&fx.mail), 2);

	/* And with the server running, its worker takes the retried one. */
	assert_int_equal(server_start(&fx.srv), 0);
	int deaths = server_log_count(&fx.srv, "result=dead");
	assert_int_equal(cli_run(retry, &out, NULL), 0);
	assert_non_null(strstr(out.data, "queued 1 message again"));
	hbuf_free(&out);
	assert_int_equal(server_log_wait(&fx.srv, "result=dead", deaths,
			     WAIT_MS),
	    deaths + 1);
	d = wait_outbox(&rows, &n, 1, 1, 2);
	assert_int_equal(rows[d].id, dead_id);
	assert_int_equal(maildir_count(&fx.mail), 2);

	/* The address stays out of the log and, sealed, out of the database
	 * (the SMTP error stored with the message included). */
	assert_log_clean(addrs, NULL);
	const char *files[] = { "holos.db", "holos.db-wal" };
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", fx.srv.data, files[f]);
		if (file_contains(path, DEAD_EMAIL, strlen(DEAD_EMAIL)) == 1)
			fail_msg("%s contains %s in plain text", path,
			    DEAD_EMAIL);
	}
	for (int i = 0; i < n; i++)
		if (strstr(rows[i].line, DEAD_EMAIL) != NULL)
			fail_msg("holos outbox list shows the address: %s",
			    rows[i].line);
	free(rows);
	fx.passed = true;
}

int
main(void)
{
	if (smtpd_available() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		mailworld_test(test_full_flow_ru, &fx),
		mailworld_test(test_header_injection, &fx),
		mailworld_test(test_expired_link, &fx),
		mailworld_test(test_resend_waits, &fx),
		mailworld_test(test_unsubscribe_one_click, &fx),
		mailworld_test(test_smtp_down_then_up, &fx),
		mailworld_test(test_dead_letter, &fx),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
