/* e2e_deliver.c - end-to-end tests of handing a petition over: the
 * delivery pack from the dashboard and from `holos deliver`, read back
 * with poppler's pdftotext and zbar's zbarimg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <unistd.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"
#define STARTER "deliver-starter@example.org"
#define OTHER "deliver-other@example.org"
#define MODERATOR "deliver-mod@example.org"
#define SLUG "deliver-bridge"
#define TITLE "Repair the Old Bridge"
#define TO1 "Городская дума"
#define TO2 "Mayor of Springfield"

static struct server *srv;

/* The signers: a Russian name shown, a name withheld, a shown one. */
static const struct {
	const char *first, *last, *email, *country;
	bool public_;
} signers[] = {
	{ "Мария", "Иванова", "deliver-a@example.org", "UA", true },
	{ "Carl", "Hidden", "deliver-b@example.org", "DE", false },
	{ "Anna", "Shown", "deliver-c@example.org", "PL", true },
};
#define NSIGNERS (sizeof(signers) / sizeof(signers[0]))

static int
import_owned(const struct server *s, const char *slug, const char *title,
    const char *owner, int goal)
{
	char path[400], src[1024];
	snprintf(path, sizeof path, "%s/%s.md", s->root, slug);
	snprintf(src, sizeof src,
	    "---\ntitle: %s\nto: %s; %s\ngoal: %d\nlang: en\nslug: %s\n---\n"
	    "Please repair it before winter.\n",
	    title, TO1, TO2, goal, slug);
	if (write_file(path, src, strlen(src)) != 0)
		return -1;
	const char *argv[] = { "import", "--data", s->data, "--owner", owner,
		path, NULL };
	return cli_run(argv, NULL, NULL);
}

static int
world(struct server *s)
{
	if (harness_user_add(s, STARTER, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, OTHER, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, MODERATOR, "moderator", PASSWORD) != 0 ||
	    import_owned(s, SLUG, TITLE, STARTER, 100) != 0)
		return -1;
	for (size_t i = 0; i < NSIGNERS; i++) {
		struct signer sg = signer_default(signers[i].email);
		sg.first_name = signers[i].first;
		sg.last_name = signers[i].last;
		sg.country = signers[i].country;
		sg.public_ = signers[i].public_ ? "1" : NULL;
		if (sign_fresh(s, SLUG, &sg, NULL, NULL) != 303)
			return -1;
	}
	return 0;
}

/* The text of the PDF at path, malloc'd: pdftotext ends each page with a
 * form feed. */
static char *
pdf_text(const char *path)
{
	struct hbuf out = { 0 };
	const char *argv[] = { "/usr/bin/pdftotext", "-enc", "UTF-8", path, "-",
		NULL };
	if (run_capture(argv, &out) != 0)
		fail_msg("pdftotext %s failed", path);
	hbuf_puts(&out, "");
	return out.data;
}

/* The newest signed tree head, as signed_head() read it. */
static char head_hex[65];
static long long head_size;

/* Waits until the petition's signed tree head covers its three
 * signatures; writes its root in hex to hex[65] and returns its size. */
static long long
signed_head(char hex[65])
{
	long long t0 = now_ms(), size = 0;
	const char *b64;
	struct hbuf out = { 0 };
	json_t *o = NULL;

	for (;;) {
		struct client *c = client_new(srv);
		struct resp r;

		client_get_expect(c, "/p/" SLUG "/log/get-sth", 200, &r);
		json_decref(o);
		o = json_loads(r.body.data, 0, NULL);
		resp_free(&r);
		client_free(c);
		assert_non_null(o);
		size = json_integer_value(json_object_get(o, "tree_size"));
		if (size >= (long long)NSIGNERS)
			break;
		if (now_ms() - t0 > 10000)
			fail_msg("no tree head of %d entries within 10 s",
			    (int)NSIGNERS);
		pause_ms(100);
	}
	b64 = json_string_value(json_object_get(o, "sha256_root_hash"));
	assert_non_null(b64);
	assert_int_equal(strspn(b64,
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			     "wxyz0123456789+/="),
	    strlen(b64));
	char cmd[256];
	snprintf(cmd, sizeof cmd,
	    "printf %%s '%s' | base64 -d | od -An -v -tx1 | tr -d ' \\n'", b64);
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	assert_int_equal(run_capture(sh, &out), 0);
	assert_non_null(out.data);
	assert_true(strlen(out.data) >= 64);
	memcpy(hex, out.data, 64);
	hex[64] = '\0';
	hbuf_free(&out);
	json_decref(o);
	return size;
}

/* text with every run of white space made one space (squeeze) or taken
 * out, in place. */
static void
squash(char *text, bool squeeze)
{
	char *w = text;
	bool space = false;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\f' ||
		    *p == '\r') {
			space = true;
			continue;
		}
		if (space && squeeze && w != text)
			*w++ = ' ';
		space = false;
		*w++ = *p;
	}
	*w = '\0';
}

/* The pack at path: title, count, every addressee, the Russian name and
 * no withheld one, text on every page, the QR codes to the page and to
 * its verify page, the newest signed tree head's root and size beside
 * the second. */
static void
check_pack(const char *path)
{
	char *text = pdf_text(path), *hex = head_hex;
	long long size = head_size;
	if (strstr(text, TITLE) == NULL)
		fail_msg("no title in the pack:\n%s", text);
	assert_non_null(strstr(text, TO1));
	assert_non_null(strstr(text, TO2));
	assert_non_null(strstr(text, "3 signatures"));
	assert_non_null(strstr(text, "Мария Иванова"));
	assert_non_null(strstr(text, "Anna Shown"));
	assert_null(strstr(text, "Hidden"));
	assert_null(strstr(text, "@example.org"));
	{
		char *cover = strndup(text, strcspn(text, "\f")), label[128];

		squash(cover, true);
		snprintf(label, sizeof label,
		    "Root of the signature log (%lld entries):", size);
		if (strstr(cover, label) == NULL)
			fail_msg("no \"%s\" on the cover:\n%s", label, cover);
		squash(cover, false);
		if (strstr(cover, hex) == NULL)
			fail_msg("the root %s is not on the cover:\n%s", hex,
			    cover);
		free(cover);
	}
	/* Text on every page. */
	int pages = 0;
	for (const char *t = text; *t != '\0'; pages++) {
		size_t k, printable = 0, n = strcspn(t, "\f");
		for (k = 0; k < n; k++)
			if (t[k] > ' ')
				printable++;
		if (printable < 10)
			fail_msg("page %d has no text", pages + 1);
		t += n;
		if (*t == '\f')
			t++;
	}
	assert_true(pages >= 2);
	free(text);

	char png[600], prefix[512];
	snprintf(prefix, sizeof prefix, "%s.cover", path);
	snprintf(png, sizeof png, "%s.png", prefix);
	const char *ppm[] = { "/usr/bin/pdftoppm", "-png", "-r", "150", "-f",
		"1", "-l", "1", "-singlefile", path, prefix, NULL };
	struct hbuf out = { 0 };
	assert_int_equal(run_capture(ppm, &out), 0);
	hbuf_free(&out);
	const char *zbar[] = { "/usr/bin/zbarimg", "--raw", "-q", png, NULL };
	assert_int_equal(run_capture(zbar, &out), 0);
	char want[256];
	snprintf(want, sizeof want, "%s/p/%s\n", srv->base, SLUG);
	if (out.data == NULL || strstr(out.data, want) == NULL)
		fail_msg("the QR code says \"%s\", wanted \"%s\"",
		    out.data ? out.data : "", want);
	snprintf(want, sizeof want, "%s/p/%s/verify\n", srv->base, SLUG);
	if (strstr(out.data, want) == NULL)
		fail_msg("the QR codes say \"%s\", none \"%s\"", out.data, want);
	hbuf_free(&out);
	unlink(png);
}

/* GETs the dashboard's PDF as email into path; returns the status. */
static long
fetch_pdf(const char *email, const char *slug, const char *path)
{
	struct client *c =
	    email ? client_signed_in(srv, email, PASSWORD) : client_new(srv);
	char url[256];
	struct resp r;
	snprintf(url, sizeof url, "/me/p/%s/delivery.pdf", slug);
	assert_int_equal(client_get(c, url, &r), CURLE_OK);
	long st = r.status;
	if (st == 200) {
		char *ct = resp_header(&r, "Content-Type");
		assert_non_null(ct);
		assert_string_equal(ct, "application/pdf");
		free(ct);
		assert_int_equal(memcmp(r.body.data, "%PDF-", 5), 0);
		assert_int_equal(write_file(path, r.body.data, r.body.len), 0);
	}
	resp_free(&r);
	client_free(c);
	return st;
}

static void
test_pdf_dashboard(void **state)
{
	(void)state;
	char path[400];
	snprintf(path, sizeof path, "%s/dashboard.pdf", srv->root);
	head_size = signed_head(head_hex);
	assert_int_equal(fetch_pdf(STARTER, SLUG, path), 200);
	check_pack(path);
	/* A moderator may have it too; another starter and a visitor not. */
	assert_int_equal(fetch_pdf(MODERATOR, SLUG, path), 200);
	assert_int_equal(fetch_pdf(OTHER, SLUG, path), 403);
	assert_int_equal(fetch_pdf(NULL, SLUG, path), 302);
	assert_int_equal(fetch_pdf(STARTER, "no-such-petition", path), 404);
	assert_int_equal(fetch_pdf(STARTER, "BAD..slug", path), 404);
	/* The dashboard links to it. */
	struct client *c = client_signed_in(srv, STARTER, PASSWORD);
	struct resp r;
	client_get_expect(c, "/me/p/" SLUG, 200, &r);
	assert_non_null(strstr(r.body.data, "/me/p/" SLUG "/delivery.pdf"));
	resp_free(&r);
	client_free(c);
}

static void
test_pdf_cli(void **state)
{
	(void)state;
	char path[400];
	struct hbuf out = { 0 }, err = { 0 };
	snprintf(path, sizeof path, "%s/cli.pdf", srv->root);
	head_size = signed_head(head_hex);
	const char *argv[] = { "deliver", "--data", srv->data, "--base-url",
		srv->base, SLUG, "--out", path, NULL };
	int rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fail_msg("holos deliver: %d\n%s", rc, err.data ? err.data : "");
	/* Not a terminal: quiet. */
	assert_true(err.data == NULL || strstr(err.data, "[#") == NULL);
	check_pack(path);
	hbuf_free(&out);
	hbuf_free(&err);

	/* Usage errors and an unknown petition. */
	const char *noout[] = { "deliver", "--data", srv->data, SLUG, NULL };
	assert_int_equal(cli_run(noout, NULL, NULL), 2);
	const char *badslug[] = { "deliver", "--data", srv->data, "../x",
		"--out", path, NULL };
	assert_int_equal(cli_run(badslug, NULL, NULL), 2);
	const char *none[] = { "deliver", "--data", srv->data, "nothing-here",
		"--out", path, NULL };
	assert_int_equal(cli_run(none, NULL, NULL), 1);
}

/* ---- handing over: threshold, letter, response, approval, end mail ---- */

#define WAIT_MS 20000
#define MAYOR "mayor@example.org"
#define SIGNER_A "deliver-upd@example.org"
#define SIGNER_B "deliver-quiet@example.org"
#define RESPONSE_TEXT "We will repair the bridge in spring."

static struct mailworld mw;

/* GETs path as c until it holds needle (or lacks it, when absent). */
static char *
page_until(struct client *c, const char *path, const char *needle)
{
	char *page = client_page_until(c, path, needle, WAIT_MS);
	if (page == NULL)
		fail_msg("%s never showed \"%s\"", path, needle);
	return page;
}

/* How many messages went to rcpt. */
static int
mails_to(const char *rcpt)
{
	int k = 0;
	while (maildir_find_nth(&mw.mail, rcpt, k + 1, 0) > 0)
		k++;
	return k;
}

static void
sign_one(const char *email, const char *first, bool updates)
{
	struct signer sg = signer_default(email);
	sg.first_name = first;
	sg.last_name = "Tester";
	sg.public_ = "1";
	sg.updates = updates ? "1" : NULL;
	if (sign_fresh(&mw.srv, SLUG, &sg, "ru", NULL) != 303)
		fail_msg("signing as %s failed", email);
}

static void
post_form(struct client *c, const char *path, struct hbuf *b, long want,
    struct resp *r)
{
	assert_int_equal(client_post(c, path, b->data, b->len, NULL, r),
	    CURLE_OK);
	if (r->status != want)
		fail_msg("POST %s: %ld, wanted %ld\n%s", path, r->status, want,
		    r->body.data ? r->body.data : "");
}

/* GETs path until it lacks needle (WAIT_MS at most); fails when it
 * never does. */
static void
page_without(struct client *c, const char *path, const char *needle)
{
	long long end = now_ms() + WAIT_MS;
	struct resp r;

	for (;;) {
		assert_int_equal(client_get(c, path, &r), CURLE_OK);
		assert_int_equal(r.status, 200);
		bool gone = strstr(r.body.data, needle) == NULL;
		resp_free(&r);
		if (gone)
			return;
		if (now_ms() > end)
			fail_msg("%s still shows \"%s\"", path, needle);
		pause_ms(200);
	}
}

/* The delivered petition waits for a response: on the home page, in
 * /petitions?sort=waiting with since when (in Russian too), in the API. */
static void
waiting_shows(void)
{
	struct client *c = client_new(&mw.srv);
	const char *ru[] = { "Accept-Language: ru", NULL };
	struct resp r;

	/* The public clock runs from the petition's first delivery. */
	assert_int_equal(server_db_exec(&mw.srv,
			     "UPDATE petitions SET delivered_at = delivered_at"
			     " - 3 * 86400 WHERE slug = '" SLUG "'"),
	    0);
	char *list = page_until(c, "/petitions?sort=waiting",
	    "Delivered 3 days ago, no response yet");
	assert_non_null(strstr(list, "href=\"/p/" SLUG "\""));
	free(list);
	char *home = page_until(c, "/", "Waiting longest for a response");
	assert_non_null(strstr(strstr(home, "Waiting longest for a response"),
	    "href=\"/p/" SLUG "\""));
	free(home);
	assert_int_equal(client_get_headers(c, "/petitions?sort=waiting", ru,
			     &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "Передана 3 дня назад"));
	resp_free(&r);
	assert_int_equal(client_get(c, "/api/v1/petitions?sort=waiting", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body.data, 0, NULL);
	assert_non_null(j);
	json_t *ps = json_object_get(j, "petitions");
	assert_int_equal(json_array_size(ps), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(ps, 0), "slug")),
	    SLUG);
	assert_non_null(json_string_value(
	    json_object_get(json_array_get(ps, 0), "waiting_since")));
	json_decref(j);
	resp_free(&r);
	client_free(c);
}

/* Its response approved, the petition leaves the waiting list, and the
 * home page's section, empty, is not shown. */
static void
waiting_left(void)
{
	struct client *c = client_new(&mw.srv);
	struct resp r;

	page_without(c, "/petitions?sort=waiting", "href=\"/p/" SLUG "\"");
	page_without(c, "/", "Waiting longest for a response");
	assert_int_equal(client_get(c, "/api/v1/petitions?sort=waiting", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "\"petitions\":[]"));
	resp_free(&r);
	client_free(c);
}

static void
test_handover(void **state)
{
	(void)state;
	const char *args[] = { COUNT_ON_SIGN, "--rate-limit", "off",
		"--min-form-seconds", "0", "--pow-bits", "0",
		"--response-threshold", "2", NULL };
	assert_int_equal(mailworld_start(&mw, args, NULL), 0);
	struct server *s = &mw.srv;
	assert_int_equal(harness_user_add(s, STARTER, "starter", PASSWORD), 0);
	assert_int_equal(harness_user_add(s, MODERATOR, "moderator", PASSWORD),
	    0);
	/* The goal is the threshold: the starter hears of it. */
	assert_int_equal(import_owned(s, SLUG, TITLE, STARTER, 2), 0);

	/* The starter gives the first addressee an address. */
	struct client *st = client_signed_in(s, STARTER, PASSWORD);
	char *csrf = client_page_csrf(st, "/me/p/" SLUG);
	struct hbuf b = { 0 };
	struct resp r;
	form_add(&b, "email0", MAYOR);
	form_add(&b, "csrf", csrf);
	post_form(st, "/me/p/" SLUG "/addressees", &b, 303, &r);
	resp_free(&r);
	hbuf_free(&b);
	/* A bad address is refused. */
	form_add(&b, "email0", "not an address");
	form_add(&b, "csrf", csrf);
	post_form(st, "/me/p/" SLUG "/addressees", &b, 422, &r);
	resp_free(&r);
	hbuf_free(&b);
	/* Never public. */
	struct client *v = client_new(s);
	client_get_expect(v, "/p/" SLUG, 200, &r);
	assert_null(strstr(r.body.data, MAYOR));
	assert_null(strstr(r.body.data, "id=\"clock\""));
	resp_free(&r);

	/* The threshold is reached: delivered on its own. */
	sign_one(SIGNER_A, "Анна", true);
	sign_one(SIGNER_B, "Boris", false);
	int m = maildir_find(&mw.mail, MAYOR, WAIT_MS);
	if (m == 0)
		fail_msg("no letter reached the addressee");
	json_t *msg = mail_parse(&mw.mail, m);
	assert_non_null(msg);
	const char *text = mail_part(msg, "text/plain");
	assert_non_null(text);
	assert_non_null(strstr(text, TITLE));
	assert_non_null(strstr(text, "2"));
	char *pdf = link_path(text, s->base, "/d/");
	char *respond = link_path(text, s->base, "/r/");
	assert_non_null(pdf);
	assert_non_null(respond);
	json_decref(msg);

	/* The public clock, counting days. */
	free(page_until(v, "/p/" SLUG, "no response yet"));
	assert_int_equal(server_db_exec(s,
			     "UPDATE deliveries SET created_at = created_at - "
			     "3 * 86400"),
	    0);
	free(page_until(v, "/p/" SLUG, "3 days ago"));
	waiting_shows();

	/* The pack through the letter's link; an unknown link is 404. */
	client_get_expect(v, pdf, 200, &r);
	assert_int_equal(memcmp(r.body.data, "%PDF-", 5), 0);
	resp_free(&r);
	client_get_expect(v, "/d/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    404, &r);
	resp_free(&r);

	/* The addressee answers without an account. */
	char *rcsrf = client_page_csrf(v, respond);
	form_add(&b, "author", "Mayor Quimby");
	form_add(&b, "body", "");
	form_add(&b, "csrf", rcsrf);
	post_form(v, respond, &b, 422, &r);
	resp_free(&r);
	hbuf_free(&b);
	form_add(&b, "author", "Mayor Quimby");
	form_add(&b, "body", RESPONSE_TEXT);
	form_add(&b, "csrf", rcsrf);
	post_form(v, respond, &b, 200, &r);
	assert_non_null(strstr(r.body.data, "response-sent"));
	resp_free(&r);
	hbuf_free(&b);
	free(rcsrf);
	client_get_expect(v, "/p/" SLUG, 200, &r);
	assert_null(strstr(r.body.data, RESPONSE_TEXT));
	resp_free(&r);

	/* A moderator approves it. */
	struct client *mod = client_signed_in(s, MODERATOR, PASSWORD);
	client_get_expect(mod, "/admin/p/" SLUG "/responses", 200, &r);
	assert_non_null(strstr(r.body.data, RESPONSE_TEXT));
	char *id = html_hidden(r.body.data, "id");
	char *mcsrf = html_csrf(r.body.data);
	assert_non_null(id);
	resp_free(&r);
	form_add(&b, "id", id);
	form_add(&b, "action", "approve");
	form_add(&b, "csrf", mcsrf);
	post_form(mod, "/admin/p/" SLUG "/responses", &b, 303, &r);
	resp_free(&r);
	/* Twice is refused. */
	post_form(mod, "/admin/p/" SLUG "/responses", &b, 409, &r);
	resp_free(&r);
	hbuf_free(&b);
	free(id);
	free(mcsrf);
	char *page = page_until(v, "/p/" SLUG, RESPONSE_TEXT);
	assert_null(strstr(page, "no response yet"));
	free(page);
	waiting_left();

	/* The opted-in signer gets the response, the other nothing. */
	if (maildir_find(&mw.mail, SIGNER_A, WAIT_MS) == 0)
		fail_msg("the response never reached the opted-in signer");

	/* The starter declares victory: the opted-in signer hears of it. */
	csrf = (free(csrf), client_page_csrf(st, "/me/p/" SLUG));
	form_add(&b, "action", "victory");
	form_add(&b, "note", "The council voted the money.");
	form_add(&b, "csrf", csrf);
	post_form(st, "/me/p/" SLUG "/state", &b, 303, &r);
	resp_free(&r);
	hbuf_free(&b);
	if (maildir_find_nth(&mw.mail, SIGNER_A, 2, WAIT_MS) == 0)
		fail_msg("the victory mail never came");
	/* A won petition: no next goal, closed once, the victory shown. */
	page = page_until(v, "/p/" SLUG, "notice--victory");
	assert_null(strstr(page, "Next goal"));
	assert_null(strstr(page, "<progress"));
	assert_int_equal(count_of(page, "This petition is closed"), 1);
	assert_non_null(strstr(page, "2 people signed."));
	free(page);
	/* The starter was told of the goal, once. */
	int sm = maildir_find(&mw.mail, STARTER, WAIT_MS);
	if (sm == 0)
		fail_msg("the starter never heard of the goal");
	msg = mail_parse(&mw.mail, sm);
	assert_non_null(
	    strstr(mail_header(msg, "subject"), "reached 2 signatures"));
	json_decref(msg);

	/* Across a restart nothing is sent again. */
	client_free(st);
	client_free(mod);
	client_free(v);
	free(csrf);
	assert_int_equal(server_restart(s), 0);
	pause_ms(3000);
	assert_int_equal(mails_to(SIGNER_A), 2);
	assert_int_equal(mails_to(SIGNER_B), 0);
	assert_int_equal(mails_to(MAYOR), 1);
	assert_int_equal(mails_to(STARTER), 1);
	int a2 = maildir_find_nth(&mw.mail, SIGNER_A, 2, 0);
	msg = mail_parse(&mw.mail, a2);
	assert_non_null(strstr(mail_part(msg, "text/plain"),
	    "The council voted the money."));
	json_decref(msg);

	/* The process stopped after the victory was recorded and before its
	 * mail was queued: the next start queues it, once. */
	assert_int_equal(server_stop(s), 0);
	assert_int_equal(server_db_exec(s,
			     "UPDATE petitions SET end_mailed = ''"
			     " WHERE slug = '" SLUG "'"),
	    0);
	assert_int_equal(server_start(s), 0);
	if (maildir_find_nth(&mw.mail, SIGNER_A, 3, WAIT_MS) == 0)
		fail_msg("a victory whose mail was not queued stayed unmailed");
	msg = mail_parse(&mw.mail, maildir_find_nth(&mw.mail, SIGNER_A, 3, 0));
	assert_non_null(strstr(mail_part(msg, "text/plain"),
	    "The council voted the money."));
	json_decref(msg);
	pause_ms(3000);
	assert_int_equal(mails_to(SIGNER_A), 3);
	assert_int_equal(mails_to(SIGNER_B), 0);
	assert_int_equal(server_db_scalar(s,
			     "SELECT COUNT(*) FROM petitions WHERE slug = '" SLUG
			     "' AND end_mailed = 'victory'"),
	    1);
	free(pdf);
	free(respond);
	mw.passed = true;
}

static int
handover_teardown(void **state)
{
	(void)state;
	return mailworld_end(&mw);
}

static int
group_setup(void **state)
{
	const char *extra[] = { COUNT_ON_SIGN, "--rate-limit", "off",
		"--min-form-seconds", "0", "--pow-bits", "0", NULL };
	server_group(&srv, extra, world);
	return server_group_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf_dashboard),
		cmocka_unit_test(test_pdf_cli),
		cmocka_unit_test_teardown(test_handover, handover_teardown),
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, server_group_teardown));
}
