/* e2e_sign.c - end-to-end tests of signing: success, duplicates and form
 * validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *const count_on_sign[] = { COUNT_ON_SIGN, NULL };

#define SIGN_PATH "/p/" SEED_SLUG "/sign"

static struct server *srv;

/* Signs as s with a fresh client and asserts the status; the count must
 * rise by one on 303 and stay put otherwise. Returns the response body
 * (malloc'd) for further checks. */
static char *
sign_expect(const struct signer *s, long want)
{
	long before = petition_count(srv, SEED_SLUG);
	assert_true(before >= 0);
	struct client *c = client_new(srv);
	struct resp r;
	long got = client_sign(c, SEED_SLUG, s, &r);
	if (got != want)
		fail_msg("sign as \"%s\" <%s>: status %ld, wanted %ld; body:\n%.2000s",
		    s->first_name ? s->first_name : "(none)",
		    s->email ? s->email : "(none)", got, want,
		    r.body.data ? r.body.data : "");
	long after = petition_count(srv, SEED_SLUG);
	assert_int_equal(after, want == 303 ? before + 1 : before);
	char *body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	client_free(c);
	return body;
}

/* Asserts that a 422 page is the petition form marking a field invalid. */
static void
assert_form_error(const char *html)
{
	assert_non_null(strstr(html, "aria-invalid=\"true\""));
	/* The whole petition again, its text and addressees, not only the
	 * form. */
	assert_non_null(strstr(html, "We call on international organizations"));
	char *tok = html_csrf(html);
	assert_non_null(tok);
	free(tok);
}

/* The opening tag of the form control with id, malloc'd, or NULL. */
static char *
field_tag(const char *html, const char *id)
{
	char needle[64];
	snprintf(needle, sizeof needle, " id=\"%s\"", id);
	for (const char *p = strstr(html, needle); p != NULL;
	     p = strstr(p + 1, needle)) {
		const char *tag = p;
		while (tag > html && *tag != '<')
			tag--;
		if (strncmp(tag, "<input", 6) != 0 &&
		    strncmp(tag, "<select", 7) != 0 &&
		    strncmp(tag, "<textarea", 9) != 0)
			continue;
		const char *end = strchr(p, '>');
		if (end != NULL)
			return strndup(tag, (size_t)(end - tag + 1));
	}
	return NULL;
}

/* Asserts whether the control with id is marked aria-invalid. */
static void
assert_field(const char *html, const char *id, bool invalid)
{
	char *tag = field_tag(html, id);
	if (tag == NULL)
		fail_msg("no form control with id \"%s\"", id);
	bool marked = strstr(tag, "aria-invalid=\"true\"") != NULL;
	if (marked != invalid)
		fail_msg("field %s is%s marked invalid: %s", id,
		    marked ? "" : " not", tag);
	free(tag);
}

static void
assert_catalogue_shown(const char *html, const char *key)
{
	char *msg = catalogue_get(key);
	assert_non_null(msg);
	if (!html_shows_text(html, msg))
		fail_msg("page does not show %s \"%s\"", key, msg);
	free(msg);
}

static void
test_sign_ok(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	assert_int_equal(before, 0);
	struct client *c = client_new(srv);
	struct resp r;
	struct signer s = signer_default("first-signer@example.org");
	s.comment = "Free them all.";
	assert_int_equal(client_sign(c, SEED_SLUG, &s, &r), 303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	/* Absolute or not, with a query or not, it is the thanks page. */
	const char *tail = "/p/" SEED_SLUG "/thanks";
	char *path = strdup(loc);
	path[strcspn(path, "?")] = '\0';
	size_t ll = strlen(path), tl = strlen(tail);
	if (ll < tl || strcmp(path + ll - tl, tail) != 0)
		fail_msg("Location is %s, wanted %s", loc, tail);
	free(path);
	resp_free(&r);

	/* The redirect target renders. */
	const char *rel = strstr(loc, "/p/");
	assert_non_null(rel);
	assert_int_equal(client_get(c, rel, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(petition_count(srv, SEED_SLUG), 1);

	/* The page now counts one signature. */
	assert_int_equal(client_get(c, "/p/" SEED_SLUG, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	char *want = expected_count_line(1, SEED_GOAL);
	char *line = html_count_line(r.body.data);
	assert_non_null(want);
	if (line == NULL)
		fail_msg("petition page has no id=\"count\" element");
	assert_string_equal(line, want);
	free(want);
	free(line);
	free(loc);
	resp_free(&r);
	client_free(c);
}

static void
test_sign_without_checkboxes(void **state)
{
	(void)state;
	struct signer s = signer_default("no-checkboxes@example.org");
	s.public_ = NULL;
	s.updates = NULL;
	free(sign_expect(&s, 303));
}

static void
test_duplicate_email(void **state)
{
	(void)state;
	struct signer s = signer_default("foo@example.org");
	free(sign_expect(&s, 303));
	const char *dups[] = {
		"foo@example.org",
		"Foo@Example.org",
		" Foo@Example.org ",
		"FOO@EXAMPLE.ORG",
	};
	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
		s = signer_default(dups[i]);
		s.first_name = "Second";
		char *html = sign_expect(&s, 422);
		assert_catalogue_shown(html, "err_duplicate");
		/* The page again, with the count as it stands. */
		char *line = html_count_line(html);
		char *want = expected_count_line(petition_count(srv, SEED_SLUG),
		    SEED_GOAL);
		assert_non_null(line);
		assert_non_null(want);
		assert_string_equal(line, want);
		free(line);
		free(want);
		free(html);
	}
}

/* Asserts that the form preselects country code, and only it. */
static void
assert_country_picked(const char *html, const char *code)
{
	char want[64];
	const char *p = strstr(html, "\" selected>");

	snprintf(want, sizeof want, "<option value=\"%s\" selected>", code);
	if (strstr(html, want) == NULL)
		fail_msg("%s is not preselected", code);
	assert_non_null(p);
	assert_null(strstr(p + 1, "\" selected>"));
}

static void
test_invalid_email(void **state)
{
	(void)state;
	struct signer s = signer_default("not-an-email");
	s.first_name = "Zoë O'Brien & Co";
	s.last_name = "Kept-Lastname";
	s.comment = "A comment that must survive the error.";
	char *html = sign_expect(&s, 422);
	assert_form_error(html);
	assert_field(html, "email", true);
	assert_field(html, "last_name", false);
	assert_field(html, "country", false);
	assert_catalogue_shown(html, "err_email");
	/* The typed values come back, escaped. */
	assert_true(html_shows_text(html, "Zoë O'Brien & Co"));
	assert_non_null(strstr(html, "Zoë O&#39;Brien &amp; Co"));
	assert_non_null(strstr(html, "Kept-Lastname"));
	assert_non_null(strstr(html, "not-an-email"));
	assert_non_null(strstr(html, "A comment that must survive the error."));
	free(html);
	/* The country typed comes back preselected, and only it, one 422
	 * after another with the form's list shared between them. */
	const char *picks[] = { "PL", "DE", "PL" };
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		s = signer_default("not-an-email");
		s.country = picks[i];
		html = sign_expect(&s, 422);
		assert_country_picked(html, picks[i]);
		free(html);
	}

	const char *bad[] = { "", "a@", "@example.org", "a b@example.org",
		"a@@example.org", "foo@example.org\r\nBcc: x@example.org" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = signer_default(bad[i]);
		html = sign_expect(&s, 422);
		assert_field(html, "email", true);
		assert_field(html, "first_name", false);
		free(html);
	}
}

static void
test_missing_fields(void **state)
{
	(void)state;
	const char *ids[] = { "first_name", "last_name", "email", "country" };
	for (int i = 0; i < 4; i++) {
		char email[64];
		snprintf(email, sizeof email, "missing-%d@example.org", i);
		struct signer s = signer_default(email);
		switch (i) {
		case 0: s.first_name = NULL; break;
		case 1: s.last_name = NULL; break;
		case 2: s.email = NULL; break;
		case 3: s.country = NULL; break;
		}
		char *html = sign_expect(&s, 422);
		assert_form_error(html);
		for (int j = 0; j < 4; j++)
			assert_field(html, ids[j], i == j);
		assert_catalogue_shown(html, "err_required");
		free(html);
	}
	/* Present but empty or blank counts as missing. */
	struct signer s = signer_default("blank-name@example.org");
	s.first_name = "";
	char *html = sign_expect(&s, 422);
	assert_field(html, "first_name", true);
	free(html);
	s.first_name = "   ";
	html = sign_expect(&s, 422);
	assert_field(html, "first_name", true);
	free(html);
}

static void
test_bad_country(void **state)
{
	(void)state;
	const char *bad[] = { "XX", "Ukraine", "U", "ZZZ" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct signer s = signer_default("bad-country@example.org");
		s.country = bad[i];
		char *html = sign_expect(&s, 422);
		assert_field(html, "country", true);
		assert_field(html, "email", false);
		free(html);
	}
}

static void
test_comment_length(void **state)
{
	(void)state;
	char comment[1024];
	memset(comment, 'a', 501);
	comment[501] = '\0';
	struct signer s = signer_default("long-comment@example.org");
	s.comment = comment;
	char *html = sign_expect(&s, 422);
	assert_field(html, "comment", true);
	assert_field(html, "first_name", false);
	free(html);

	comment[500] = '\0';
	s = signer_default("comment-500@example.org");
	s.comment = comment;
	free(sign_expect(&s, 303));
}

static void
test_comment_500_multibyte(void **state)
{
	(void)state;
	/* The limit counts characters, not bytes: 500 × "я" is 1000 bytes. */
	char comment[1024];
	for (int i = 0; i < 500; i++)
		memcpy(comment + 2 * i, "я", 2);
	comment[1000] = '\0';
	struct signer s = signer_default("comment-cyrillic@example.org");
	s.comment = comment;
	free(sign_expect(&s, 303));
}

/* POSTs a form whose first_name is given already percent-encoded. */
static void
sign_raw_first_name(const char *raw, const char *email, long want)
{
	long before = petition_count(srv, SEED_SLUG);
	struct client *c = client_new(srv);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	struct hbuf b = { 0 };
	form_add_raw(&b, "first_name", raw);
	struct signer s = signer_default(email);
	s.first_name = NULL;
	form_sign(&b, &s, tok);
	struct resp r;
	assert_int_equal(client_post(c, SIGN_PATH, b.data, b.len, NULL, &r),
	    CURLE_OK);
	if (r.status != want)
		fail_msg("first_name=%s: status %ld, wanted %ld", raw, r.status,
		    want);
	if (want == 422) {
		/* The echoed value must not smuggle a NUL byte into the HTML. */
		bool nul = memchr(r.body.data, '\0', r.body.len) != NULL;
		for (size_t i = 0; i < r.body.len; i++)
			if (r.body.data[i] == '\0')
				r.body.data[i] = '?';
		assert_field(r.body.data, "first_name", true);
		assert_field(r.body.data, "last_name", false);
		if (nul)
			fail_msg("first_name=%s: 422 page contains a NUL byte",
			    raw);
	}
	assert_int_equal(petition_count(srv, SEED_SLUG),
	    want == 303 ? before + 1 : before);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	client_free(c);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	sign_raw_first_name("%C3%28", "bad-utf8@example.org", 422);
	sign_raw_first_name("Ann%C0%80a", "overlong@example.org", 422);
	sign_raw_first_name("%ED%A0%80", "surrogate@example.org", 422);
	sign_raw_first_name("Ann%FF", "ff-byte@example.org", 422);
}

static void
test_control_chars(void **state)
{
	(void)state;
	sign_raw_first_name("Ann%01a", "ctrl-01@example.org", 422);
	sign_raw_first_name("Ann%00a", "ctrl-00@example.org", 422);
	sign_raw_first_name("Ann%0Aa", "ctrl-0a@example.org", 422);
	sign_raw_first_name("Ann%7Fa", "ctrl-7f@example.org", 422);
}

static void
test_valid_unicode_and_plus(void **state)
{
	(void)state;
	/* '+' is a space in urlencoded forms; Cyrillic is fine. */
	sign_raw_first_name("%D0%90%D0%BD%D0%BD%D0%B0+Maria",
	    "cyrillic@example.org", 303);
}

static void
test_extra_field_ignored(void **state)
{
	(void)state;
	struct signer s = signer_default("extra-field@example.org");
	s.extra = "is_admin=1&count=999999&state=closed";
	free(sign_expect(&s, 303));
}

static void
test_repeated_field(void **state)
{
	(void)state;
	/* A field sent twice must not let a second value slip past validation:
	 * whatever the server picks, the result is a clean 303 or 422. */
	long before = petition_count(srv, SEED_SLUG);
	struct client *c = client_new(srv);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	struct hbuf b = { 0 };
	struct signer s = signer_default("repeat@example.org");
	form_sign(&b, &s, tok);
	form_add(&b, "email", "not-an-email");
	struct resp r;
	assert_int_equal(client_post(c, SIGN_PATH, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_true(r.status == 303 || r.status == 422);
	assert_int_equal(petition_count(srv, SEED_SLUG),
	    r.status == 303 ? before + 1 : before);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	client_free(c);
}

#define CONCURRENT 24

/* Signs from CONCURRENT clients at once; email(i) gives each one's email.
 * Fills status[i]. */
static void
sign_concurrently(const char *(*email)(size_t i, char *buf, size_t sz),
    long status[CONCURRENT])
{
	struct client *cs[CONCURRENT];
	struct hbuf bodies[CONCURRENT] = { 0 };
	struct resp rs[CONCURRENT];
	for (size_t i = 0; i < CONCURRENT; i++) {
		cs[i] = client_new(srv);
		char *tok = client_fetch_csrf(cs[i], SEED_SLUG);
		assert_non_null(tok);
		char buf[64];
		struct signer s = signer_default(email(i, buf, sizeof buf));
		form_sign(&bodies[i], &s, tok);
		free(tok);
	}
	assert_int_equal(client_post_many(cs, SIGN_PATH, bodies, rs, CONCURRENT),
	    0);
	for (size_t i = 0; i < CONCURRENT; i++) {
		if (rs[i].rc != CURLE_OK)
			fail_msg("concurrent signer %zu: %s", i,
			    curl_easy_strerror(rs[i].rc));
		status[i] = rs[i].status;
		resp_free(&rs[i]);
		hbuf_free(&bodies[i]);
		client_free(cs[i]);
	}
}

static const char *
distinct_email(size_t i, char *buf, size_t sz)
{
	snprintf(buf, sz, "concurrent-%zu@example.org", i);
	return buf;
}

static const char *
same_email(size_t i, char *buf, size_t sz)
{
	/* The same address, spelt differently by some. */
	snprintf(buf, sz, "%s", i % 2 ? "Race@Example.org" : "race@example.org");
	return buf;
}

static void
test_concurrent_signatures(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	long status[CONCURRENT];
	sign_concurrently(distinct_email, status);
	for (size_t i = 0; i < CONCURRENT; i++)
		if (status[i] != 303)
			fail_msg("concurrent signer %zu: status %ld, wanted 303",
			    i, status[i]);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + CONCURRENT);
}

static void
test_concurrent_duplicates(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	long status[CONCURRENT];
	sign_concurrently(same_email, status);
	int ok = 0, dup = 0;
	for (size_t i = 0; i < CONCURRENT; i++) {
		if (status[i] == 303)
			ok++;
		else if (status[i] == 422)
			dup++;
		else
			fail_msg("racing signer %zu: status %ld, wanted 303 or 422",
			    i, status[i]);
	}
	if (ok != 1)
		fail_msg("%d of %d racing signers with one email got 303, wanted exactly 1",
		    ok, CONCURRENT);
	assert_int_equal(dup, CONCURRENT - 1);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
}

/* Connections held open while signing: more than a server of one request
 * thread holds before it writes a parked request's reply from the writer
 * (server.c, 128 a thread). */
#define HELD_CONNS 150

/* The Location of r is the petition's thanks page. */
static void
assert_thanks(const struct resp *r)
{
	char *loc = resp_header(r, "Location");
	assert_non_null(loc);
	if (strstr(loc, "/p/" SEED_SLUG "/thanks?") == NULL)
		fail_msg("Location is %s, wanted the thanks page", loc);
	free(loc);
}

/* Whether r says the connection closes after it. */
static bool
resp_closes(const struct resp *r)
{
	char *v = resp_header(r, "Connection");
	bool closes = v != NULL && strcasecmp(v, "close") == 0;
	free(v);
	return closes;
}

/* Signs as sg from c, posting the form with the extra request headers
 * (NULL-terminated). Fills *r; returns its status. */
static long
sign_with_headers(struct client *c, const struct signer *sg,
    const char *const *headers, struct resp *r)
{
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	struct hbuf body = { 0 };
	form_sign(&body, sg, tok);
	client_post_headers(c, SIGN_PATH, body.data, body.len, headers, r);
	hbuf_free(&body);
	free(tok);
	return r->status;
}

/* The next request from c, a GET of the petition's JSON, is served, on a
 * new connection or not (connects: 1 or 0). */
static void
assert_next_request(struct client *c, long connects)
{
	struct resp r;
	assert_int_equal(client_get(c, "/p/" SEED_SLUG ".json", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.num_connects, connects);
	resp_free(&r);
}

/* Signs as email from c: a 303 to the thanks page on a connection kept
 * alive, which then serves the next request. */
static void
sign_kept_alive(struct client *c, const char *email)
{
	struct signer sg = signer_default(email);
	struct resp r;

	assert_int_equal(client_sign(c, SEED_SLUG, &sg, &r), 303);
	assert_thanks(&r);
	assert_false(resp_closes(&r));
	char *csp = resp_header(&r, "Content-Security-Policy");
	assert_non_null(csp);
	free(csp);
	resp_free(&r);
	assert_next_request(c, 0);
}

/* With many connections open, a signature's reply is written as soon as
 * the writer has committed it, from there, and the connection goes on
 * with the server; with few it comes from the request thread. Either way
 * the signer sees the same 303 on a kept-alive connection, one that asked
 * to close is closed, and a reply too big to write so (the form again,
 * for a duplicate) comes whole. */
static void
test_sign_many_connections(void **state)
{
	(void)state;
	const char *const args[] = { COUNT_ON_SIGN, "--threads", "1",
		"--per-ip-limit", "0", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	struct resp r;
	struct signer sg;

	/* Few connections: kept alive. */
	struct client *c = client_new(s);
	sign_kept_alive(c, "few-connections@example.org");
	client_free(c);

	/* Many: the same reply, at once, and the connection serves the
	 * next request (three times over: it is given back each time). */
	int held[HELD_CONNS];
	harness_hold_conns(s, held, HELD_CONNS);
	c = client_new(s);
	for (int i = 0; i < 3; i++) {
		char email[64];
		snprintf(email, sizeof email, "many-connections-%d@example.org",
		    i);
		sign_kept_alive(c, email);
	}
	assert_int_equal(petition_count(s, SEED_SLUG), 4);
	/* A client that asks to close is answered so, and closed. */
	sg = signer_default("closing@example.org");
	const char *const closing[] = { "Connection: close", NULL };
	assert_int_equal(sign_with_headers(c, &sg, closing, &r), 303);
	assert_thanks(&r);
	assert_true(resp_closes(&r));
	resp_free(&r);
	assert_next_request(c, 1);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 5);

	/* A duplicate: the form again, too big for the writer to send, comes
	 * whole from the request thread. */
	c = client_new(s);
	assert_int_equal(client_sign(c, SEED_SLUG, &sg, &r), 422);
	assert_form_error(r.body.data);
	assert_non_null(strstr(r.body.data, "</html>"));
	resp_free(&r);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 5);
	for (int i = 0; i < HELD_CONNS; i++)
		close(held[i]);

	/* The log tells which replies went out so (of the four that could:
	 * one whose commit came before its request thread had let it go is
	 * sent by that thread, as with few connections); libmicrohttpd had
	 * no complaint. */
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(s, &log), 0);
	int direct = count_of(log.data, " direct=1");
	assert_true(direct >= 1 && direct <= 4);
	assert_non_null(strstr(log.data, "status=303 bytes=0"));
	assert_null(strstr(log.data, "module=mhd"));
	hbuf_free(&log);
	assert_int_equal(server_free(s), 0);
}

/* The server s as seen on its second listener, port. */
static struct server
post_view(const struct server *s, int port)
{
	struct server v = *s;

	v.port = port;
	snprintf(v.base, sizeof v.base, "http://127.0.0.1:%d", port);
	return v;
}

/* A connection held open to s as harness_hold_conn() holds it, tried for
 * up to 2 s while s still counts one just closed. Returns it, or -1. */
static int
hold_retry(const struct server *s)
{
	int fd = -1;

	for (int i = 0; i < 100 && (fd = harness_hold_conn(s)) < 0; i++)
		pause_ms(20);
	return fd;
}

/* The address of a second listener on a free port, for server_with_post(). */
static char listen_post[32];

/* Starts a seeded server with extra's arguments (at most 12) and a second
 * listener on a free port, *port, at listen_post. */
static struct server *
server_with_post(const char *const *extra, int *port)
{
	static const char *args[16];
	size_t n = 0;

	*port = harness_free_port();
	assert_true(*port > 0);
	snprintf(listen_post, sizeof listen_post, "127.0.0.1:%d", *port);
	for (; extra[n] != NULL && n < 12; n++)
		args[n] = extra[n];
	args[n++] = "--listen-post";
	args[n++] = listen_post;
	args[n] = NULL;
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	return s;
}

/* A second listener (--listen-post), where a proxy routes the POSTs: a
 * signature posted there is signed and counted on a kept-alive
 * connection, also while the first listener holds many connections (the
 * reply then goes out from the writer, the socket back to the listener
 * it came from); the caps per address and --max-connections count the
 * connections of both. */
static void
test_sign_post_listener(void **state)
{
	(void)state;
	int port;
	const char *const args[] = { COUNT_ON_SIGN, "--threads", "1",
		"--per-ip-limit", "0", NULL };
	struct server *s = server_with_post(args, &port);
	struct server post = post_view(s, port);

	struct client *c = client_new(&post);
	sign_kept_alive(c, "second-listener@example.org");
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);

	int held[HELD_CONNS];
	harness_hold_conns(s, held, HELD_CONNS);
	c = client_new(&post);
	for (int i = 0; i < 4; i++) {
		char email[64];
		snprintf(email, sizeof email, "second-busy-%d@example.org", i);
		sign_kept_alive(c, email);
	}
	client_free(c);
	for (int i = 0; i < HELD_CONNS; i++)
		close(held[i]);
	assert_int_equal(petition_count(&post, SEED_SLUG), 5);
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(s, &log), 0);
	char want[64];
	snprintf(want, sizeof want, "listen_post=%s ", listen_post);
	assert_non_null(strstr(log.data, want));
	assert_true(count_of(log.data, " direct=1") >= 1);
	assert_null(strstr(log.data, "module=mhd"));
	hbuf_free(&log);
	assert_int_equal(server_free(s), 0);

	/* Two connections allowed an address: both held on the first
	 * listener, the second refuses a third; one closed, it serves. */
	const char *const capped[] = { COUNT_ON_SIGN, "--per-ip-limit", "2",
		NULL };
	s = server_with_post(capped, &port);
	post = post_view(s, port);
	/* The start's own check may hold a place a moment longer. */
	int a = hold_retry(s), b = hold_retry(s);
	assert_true(a >= 0 && b >= 0);
	int third = harness_hold_conn(&post);
	assert_true(third < 0);
	close(a);
	assert_true((third = hold_retry(&post)) >= 0);
	close(third);
	close(b);
	assert_int_equal(server_read_log(s, &log), 0);
	assert_non_null(strstr(log.data, "event=refused reason=per_address"));
	hbuf_free(&log);
	assert_int_equal(server_free(s), 0);

	/* --max-connections counts the connections of both listeners. */
	const char *const total[] = { COUNT_ON_SIGN, "--threads", "1",
		"--per-ip-limit", "0", "--max-connections", "4", NULL };
	s = server_with_post(total, &port);
	post = post_view(s, port);
	int open[4];
	for (int i = 0; i < 4; i++)
		assert_true((open[i] = hold_retry(i < 3 ? s : &post)) >= 0);
	assert_true(harness_hold_conn(&post) < 0);
	close(open[0]);
	assert_true((open[0] = hold_retry(&post)) >= 0);
	for (int i = 0; i < 4; i++)
		close(open[i]);
	assert_int_equal(server_read_log(s, &log), 0);
	assert_non_null(
	    strstr(log.data, "event=refused reason=max_connections"));
	hbuf_free(&log);
	assert_int_equal(server_free(s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_ok),
		cmocka_unit_test(test_sign_without_checkboxes),
		cmocka_unit_test(test_duplicate_email),
		cmocka_unit_test(test_invalid_email),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_bad_country),
		cmocka_unit_test(test_comment_length),
		cmocka_unit_test(test_comment_500_multibyte),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_valid_unicode_and_plus),
		cmocka_unit_test(test_extra_field_ignored),
		cmocka_unit_test(test_repeated_field),
		cmocka_unit_test(test_concurrent_signatures),
		cmocka_unit_test(test_concurrent_duplicates),
		cmocka_unit_test(test_sign_many_connections),
		cmocka_unit_test(test_sign_post_listener),
	};
	server_group(&srv, count_on_sign, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
