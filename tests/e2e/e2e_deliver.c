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
    const char *owner)
{
	char path[400], src[1024];
	snprintf(path, sizeof path, "%s/%s.md", s->root, slug);
	snprintf(src, sizeof src,
	    "---\ntitle: %s\nto: %s; %s\ngoal: 100\nlang: en\nslug: %s\n---\n"
	    "Please repair it before winter.\n",
	    title, TO1, TO2, slug);
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
	    import_owned(s, SLUG, TITLE, STARTER) != 0)
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

/* The text of pages from..to (0: all) of the PDF at path, malloc'd. */
static char *
pdf_text(const char *path, int page)
{
	struct hbuf out = { 0 };
	char n[16];
	snprintf(n, sizeof n, "%d", page);
	const char *all[] = { "/usr/bin/pdftotext", "-enc", "UTF-8", path, "-",
		NULL };
	const char *one[] = { "/usr/bin/pdftotext", "-enc", "UTF-8", "-f", n,
		"-l", n, path, "-", NULL };
	if (run_capture(page == 0 ? all : one, &out) != 0)
		fail_msg("pdftotext %s failed", path);
	hbuf_puts(&out, "");
	return out.data;
}

static int
pdf_pages(const char *path)
{
	struct hbuf out = { 0 };
	const char *argv[] = { "/usr/bin/pdfinfo", path, NULL };
	assert_int_equal(run_capture(argv, &out), 0);
	const char *p = strstr(out.data, "Pages:");
	assert_non_null(p);
	int n = atoi(p + 6);
	hbuf_free(&out);
	return n;
}

/* The pack at path: title, count, every addressee, the Russian name and
 * no withheld one, text on every page, the QR code to the page. */
static void
check_pack(const char *path)
{
	char *text = pdf_text(path, 0);
	if (strstr(text, TITLE) == NULL)
		fail_msg("no title in the pack:\n%s", text);
	assert_non_null(strstr(text, TO1));
	assert_non_null(strstr(text, TO2));
	assert_non_null(strstr(text, "3 signatures"));
	assert_non_null(strstr(text, "Мария Иванова"));
	assert_non_null(strstr(text, "Anna Shown"));
	assert_null(strstr(text, "Hidden"));
	assert_null(strstr(text, "@example.org"));
	free(text);

	int pages = pdf_pages(path);
	assert_true(pages >= 2);
	for (int i = 1; i <= pages; i++) {
		char *t = pdf_text(path, i);
		size_t k, printable = 0;
		for (k = 0; t[k] != '\0'; k++)
			if (t[k] > ' ')
				printable++;
		if (printable < 10)
			fail_msg("page %d of %d has no text", i, pages);
		free(t);
	}

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
	};
	return harness_finish(
	    cmocka_run_group_tests(tests, group_setup, server_group_teardown));
}
