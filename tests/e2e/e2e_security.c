/* e2e_security.c - end-to-end tests of CSRF, limits, escaping, traversal,
 * headers, connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *const count_on_sign[] = { COUNT_ON_SIGN, NULL };

#define PAGE_PATH "/p/" SEED_SLUG
#define SIGN_PATH "/p/" SEED_SLUG "/sign"

static struct server *srv;

/* The value of directive name in a CSP, malloc'd ("" when absent). */
static char *
csp_directive(const char *csp, const char *name)
{
	size_t nl = strlen(name);
	const char *p = csp;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if (strncasecmp(p, name, nl) == 0 &&
		    (p[nl] == ' ' || p + nl == end))
			return strndup(p + nl, (size_t)(end - p - nl));
		p = end;
	}
	return strdup("");
}

static void
assert_security_headers(const struct resp *r, const char *what)
{
	char *csp = resp_header(r, "Content-Security-Policy");
	if (csp == NULL)
		fail_msg("%s: no Content-Security-Policy", what);
	if (strstr(csp, "frame-ancestors 'none'") == NULL)
		fail_msg("%s: CSP lacks frame-ancestors 'none': %s", what, csp);
	char *script = csp_directive(csp, "script-src");
	if (*script == '\0') {
		free(script);
		script = csp_directive(csp, "default-src");
	}
	if (*script == '\0')
		fail_msg("%s: CSP restricts no scripts: %s", what, csp);
	if (strstr(script, "'unsafe-inline'") != NULL)
		fail_msg("%s: script-src allows 'unsafe-inline': %s", what, csp);
	char *xcto = resp_header(r, "X-Content-Type-Options");
	if (xcto == NULL || strcasecmp(xcto, "nosniff") != 0)
		fail_msg("%s: X-Content-Type-Options is %s", what,
		    xcto ? xcto : "absent");
	char *rp = resp_header(r, "Referrer-Policy");
	if (rp == NULL || *rp == '\0')
		fail_msg("%s: no Referrer-Policy", what);
	free(csp);
	free(script);
	free(xcto);
	free(rp);
}

/* POSTs a valid form for email with csrf (NULL: none) from c, asserts the
 * status and that the count did not move unless it was a 303. */
static void
post_with_token(struct client *c, const char *email, const char *csrf, long want)
{
	long before = petition_count(srv, SEED_SLUG);
	struct hbuf b = { 0 };
	struct signer s = signer_default(email);
	form_sign(&b, &s, csrf);
	struct resp r;
	assert_int_equal(client_post(c, SIGN_PATH, b.data, b.len, NULL, &r),
	    CURLE_OK);
	if (r.status != want)
		fail_msg("csrf \"%s\": status %ld, wanted %ld",
		    csrf ? csrf : "(none)", r.status, want);
	assert_int_equal(petition_count(srv, SEED_SLUG),
	    want == 303 ? before + 1 : before);
	resp_free(&r);
	hbuf_free(&b);
}

static void
test_csrf_missing(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	post_with_token(c, "csrf-missing@example.org", NULL, 403);
	post_with_token(c, "csrf-missing@example.org", "", 403);
	free(tok);
	client_free(c);
}

static void
test_csrf_forged(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	post_with_token(c, "csrf-forged@example.org",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 403);
	/* One character changed. */
	char *bad = strdup(tok);
	size_t n = strlen(bad);
	bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A';
	post_with_token(c, "csrf-forged@example.org", bad, 403);
	/* Truncated, and with junk appended. */
	bad[n - 1] = '\0';
	post_with_token(c, "csrf-forged@example.org", bad, 403);
	free(bad);
	size_t ln = strlen(tok) + 2;
	char *longer = malloc(ln);
	snprintf(longer, ln, "%sx", tok);
	post_with_token(c, "csrf-forged@example.org", longer, 403);
	free(longer);
	/* The genuine token still works. */
	post_with_token(c, "csrf-forged@example.org", tok, 303);
	free(tok);
	client_free(c);
}

/* POSTs a valid form with a fresh token and the given extra header. */
static long
post_with_header(const char *email, const char *header)
{
	struct signer s = signer_default(email);
	long status = sign_with_header(srv, SEED_SLUG, &s, NULL, header);
	assert_true(status > 0);
	return status;
}

static void
test_cross_origin_post(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	/* A form on another site posting here, with a token it fetched. */
	assert_int_equal(post_with_header("cross-origin@example.org",
			     "Origin: https://evil.example"),
	    403);
	assert_int_equal(post_with_header("cross-origin@example.org",
			     "Origin: null"),
	    403);
	assert_int_equal(post_with_header("cross-origin@example.org",
			     "Sec-Fetch-Site: cross-site"),
	    403);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	/* Our own origin is fine. */
	char origin[128];
	snprintf(origin, sizeof origin, "Origin: %s", srv->base);
	assert_int_equal(post_with_header("same-origin@example.org", origin),
	    303);
	assert_int_equal(post_with_header("same-site@example.org",
			     "Sec-Fetch-Site: same-origin"),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 2);
}

/* A valid form padded by an ignored field to total bytes. */
static struct hbuf
big_form(const char *csrf, size_t total)
{
	struct hbuf b = { 0 };
	struct signer s = signer_default("big-body@example.org");
	form_sign(&b, &s, csrf);
	hbuf_puts(&b, "&pad=");
	while (b.len < total) {
		char chunk[4096];
		size_t n =
		    total - b.len < sizeof chunk ? total - b.len : sizeof chunk;
		memset(chunk, 'x', n);
		hbuf_append(&b, chunk, n);
	}
	return b;
}

/* GET of the petition page with one extra header of n bytes of value:
 * the status. */
static long
get_with_header(const char *name, size_t n)
{
	struct hbuf h = { 0 };
	hbuf_printf(&h, "%s: x=", name);
	for (size_t i = 0; i < n; i++)
		hbuf_puts(&h, "a");
	const char *const headers[] = { h.data, NULL };
	struct client *c = client_new(srv);
	struct resp r;
	client_get_headers(c, "/p/" SEED_SLUG, headers, &r);
	long st = r.status;
	resp_free(&r);
	client_free(c);
	hbuf_free(&h);
	return st;
}

/* A request's head lives in the connection's 16 KiB of memory: cookies
 * of up to about 7,500 bytes (libmicrohttpd parses them there a second
 * time) and other headers of up to about 15,000 are served; far larger
 * ones are refused with 431, and the server goes on serving. */
static void
test_head_limits(void **state)
{
	static const struct {
		const char *name;
		size_t len;
		long status;
	} cases[] = {
		{ "Cookie", 7000, 200 }, { "X-Padding", 14000, 200 },
		{ "Cookie", 9000, 431 }, { "X-Padding", 17000, 431 },
		{ "X-Padding", 100000, 431 },
		{ "Cookie", 200, 200 }, /* and the server still serves */
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long st = get_with_header(cases[i].name, cases[i].len);
		if (st != cases[i].status)
			fail_msg("%s of %zu bytes: status %ld, wanted %ld",
			    cases[i].name, cases[i].len, st, cases[i].status);
	}
}

static void
test_body_too_large(void **state)
{
	(void)state;
	long before = petition_count(srv, SEED_SLUG);
	struct client *c = client_new(srv);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	const size_t sizes[] = { 2u * 1024 * 1024, 260u * 1024 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct hbuf b = big_form(tok, sizes[i]);
		struct resp r;
		client_post(c, SIGN_PATH, b.data, b.len, NULL, &r);
		if (r.status != 413)
			fail_msg("%zu-byte body: status %ld, wanted 413", b.len,
			    r.status);
		assert_security_headers(&r, "POST sign (413)");
		resp_free(&r);
		/* As a browser sends it, without Expect: 100-continue. The
		 * server may close while we still send, but it must answer 413. */
		client_post_noexpect(c, SIGN_PATH, b.data, b.len, &r);
		if (r.status != 413)
			fail_msg("%zu-byte body without Expect: status %ld (%s), wanted 413",
			    b.len, r.status, curl_easy_strerror(r.rc));
		resp_free(&r);
		hbuf_free(&b);
	}
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	/* The server is still fine. */
	struct resp r;
	assert_int_equal(client_get(c, "/healthz", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	free(tok);
	client_free(c);
}

static void
test_xss_escaped(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct signer s = signer_default("not-an-email");
	s.first_name = "<script>alert(1)</script>";
	s.last_name = "\"><img src=x onerror=alert(2)>";
	s.comment = "</textarea><script>alert(3)</script>";
	struct resp r;
	assert_int_equal(client_sign(c, SEED_SLUG, &s, &r), 422);
	const char *html = r.body.data;
	assert_null(strstr(html, "<script>alert(1)"));
	assert_null(strstr(html, "<img src=x"));
	assert_null(strstr(html, "<script>alert(3)"));
	assert_null(strstr(html, "</textarea><script>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(
	    strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
	resp_free(&r);
	client_free(c);
}

static void
test_traversal(void **state)
{
	(void)state;
	const char *paths[] = {
		"/static/../Makefile",
		"/static/%2e%2e/Makefile",
		"/static/..%2fMakefile",
		"/static/%2e%2e%2fsrc%2fmain.c",
		"/../../etc/passwd",
		"/static/../../../../etc/passwd",
		"/static/%2E%2E/%2E%2E/etc/passwd",
		"/static//etc/passwd",
		"/static/..\\Makefile",
		"/static/.%2e/Makefile",
		"/static/",
		"/static/.",
	};
	struct client *c = client_new(srv);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct resp r;
		assert_int_equal(client_get(c, paths[i], &r), CURLE_OK);
		if (r.status != 404)
			fail_msg("GET %s: status %ld, wanted 404", paths[i],
			    r.status);
		assert_null(strstr(r.body.data, "root:x:0:0"));
		assert_null(strstr(r.body.data, ".POSIX:"));
		assert_null(strstr(r.body.data, "#include"));
		resp_free(&r);
	}
	client_free(c);
}

static void
test_security_headers(void **state)
{
	(void)state;
	const char *paths[] = { "/", PAGE_PATH, PAGE_PATH "/thanks",
		"/p/no-such-petition", "/static/../Makefile" };
	struct client *c = client_new(srv);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct resp r;
		assert_int_equal(client_get(c, paths[i], &r), CURLE_OK);
		char what[128];
		snprintf(what, sizeof what, "GET %s (%ld)", paths[i], r.status);
		assert_security_headers(&r, what);
		resp_free(&r);
	}
	/* The 422 and 403 pages too. */
	struct signer s = signer_default("bad email");
	struct resp r;
	assert_int_equal(client_sign(c, SEED_SLUG, &s, &r), 422);
	assert_security_headers(&r, "POST sign (422)");
	resp_free(&r);
	struct hbuf b = { 0 };
	s = signer_default("no-token@example.org");
	form_sign(&b, &s, NULL);
	assert_int_equal(client_post(c, SIGN_PATH, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 403);
	assert_security_headers(&r, "POST sign (403)");
	resp_free(&r);
	hbuf_free(&b);
	client_free(c);
}

/* Sends method path with c and asserts a 405 whose Allow lists allow. */
static void
assert_405(struct client *c, const char *method, const char *path,
    const char *allow)
{
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	struct resp r;
	CURLcode rc = strcmp(method, "POST") == 0 ?
	    client_post(c, path, "a=1", 3, NULL, &r) :
	    client_get(c, path, &r);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	assert_int_equal(rc, CURLE_OK);
	if (r.status != 405)
		fail_msg("%s %s: status %ld, wanted 405", method, path,
		    r.status);
	char what[128];
	snprintf(what, sizeof what, "%s %s (405)", method, path);
	assert_security_headers(&r, what);
	char *a = resp_header(&r, "Allow");
	if (a == NULL || strstr(a, allow) == NULL)
		fail_msg("%s %s: Allow is %s, wanted it to list %s", method,
		    path, a ? a : "absent", allow);
	free(a);
	resp_free(&r);
}

static void
test_method_not_allowed(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	assert_405(c, "POST", "/", "GET");
	assert_405(c, "DELETE", PAGE_PATH, "GET");
	assert_405(c, "PUT", SIGN_PATH, "POST");
	assert_405(c, "GET", SIGN_PATH, "POST");
	assert_405(c, "TRACE", "/", "GET");
	client_free(c);
}

static void
assert_no_connection_close(const struct resp *r, const char *what)
{
	char *conn = resp_header(r, "Connection");
	if (conn != NULL && strcasestr(conn, "close") != NULL)
		fail_msg("%s says Connection: %s", what, conn);
	free(conn);
}

static void
test_keep_alive(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	assert_int_equal(client_get(c, PAGE_PATH, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.num_connects, 1);
	assert_no_connection_close(&r, "GET page");
	char *tok = html_csrf(r.body.data);
	assert_non_null(tok);
	resp_free(&r);

	assert_int_equal(client_get(c, "/", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_no_connection_close(&r, "GET /");
	if (r.num_connects != 0)
		fail_msg("second GET opened %ld new connection(s)",
		    r.num_connects);
	resp_free(&r);

	/* A POST and its redirect stay on the connection as well. */
	struct hbuf b = { 0 };
	struct signer s = signer_default("keep-alive@example.org");
	form_sign(&b, &s, tok);
	assert_int_equal(client_post(c, SIGN_PATH, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 303);
	assert_no_connection_close(&r, "POST sign");
	assert_int_equal(r.num_connects, 0);
	resp_free(&r);
	assert_int_equal(client_get(c, PAGE_PATH "/thanks", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.num_connects, 0);
	resp_free(&r);

	/* And after an error page. */
	assert_int_equal(client_get(c, "/p/no-such-petition", &r), CURLE_OK);
	assert_int_equal(r.status, 404);
	assert_no_connection_close(&r, "GET 404");
	resp_free(&r);
	assert_int_equal(client_get(c, "/healthz", &r), CURLE_OK);
	assert_int_equal(r.num_connects, 0);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	client_free(c);
}

/* Connects a raw socket to s, optionally sends req, then waits (10 s at
 * most) for the server to close. Returns the milliseconds it took, or -1
 * when the connection stayed open. */
static long long
idle_close_ms(const struct server *s, const char *req)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		fail_msg("connect to port %d: %s", s->port, strerror(errno));
	long long start = now_ms();
	if (req != NULL)
		assert_int_equal(send(fd, req, strlen(req), 0),
		    (ssize_t)strlen(req));
	long long took = -1;
	while (now_ms() - start < 10000) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n = poll(&p, 1, (int)(10000 - (now_ms() - start)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		char buf[4096];
		ssize_t k = recv(fd, buf, sizeof buf, 0);
		if (k > 0)
			continue; /* a 408 or similar before closing is fine */
		took = now_ms() - start;
		break;
	}
	close(fd);
	return took;
}

/* A second server with a short idle timeout and a small body limit, so a
 * failing test still stops it. */
static int
limits_setup(void **state)
{
	const char *extra[] = { "--idle-timeout", "2", "--max-body", "4096",
		COUNT_ON_SIGN, NULL };
	*state = server_new_seeded(extra);
	return *state != NULL ? 0 : -1;
}

static int
limits_teardown(void **state)
{
	return server_free(*state);
}

static void
test_idle_and_max_body(void **state)
{
	struct server *s = *state;

	long long ms = idle_close_ms(s, NULL);
	if (ms < 0 || ms > 5500)
		fail_msg("idle connection closed after %lld ms (idle timeout 2 s)",
		    ms);
	/* A request that starts and stalls is cut off too. */
	ms = idle_close_ms(s, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	if (ms < 0 || ms > 5500)
		fail_msg("stalled request closed after %lld ms (idle timeout 2 s)",
		    ms);
	/* A body that stops arriving. */
	ms = idle_close_ms(s,
	    "POST " SIGN_PATH " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 1000\r\n\r\nfirst_name=Slow");
	if (ms < 0 || ms > 5500)
		fail_msg("stalled body closed after %lld ms (idle timeout 2 s)",
		    ms);
	/* A kept-alive connection after a complete response. */
	ms = idle_close_ms(s,
	    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	if (ms < 0 || ms > 5500)
		fail_msg("idle kept-alive connection closed after %lld ms (idle timeout 2 s)",
		    ms);

	/* --max-body lowers the limit. */
	struct client *c = client_new(s);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	assert_non_null(tok);
	struct hbuf b = big_form(tok, 5000);
	struct resp r;
	client_post_noexpect(c, SIGN_PATH, b.data, b.len, &r);
	if (r.status != 413)
		fail_msg("5000-byte body with --max-body 4096: status %ld, wanted 413",
		    r.status);
	resp_free(&r);
	hbuf_free(&b);
	b = big_form(tok, 3000);
	assert_int_equal(client_post(c, SIGN_PATH, b.data, b.len, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 303);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csrf_missing),
		cmocka_unit_test(test_csrf_forged),
		cmocka_unit_test(test_cross_origin_post),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_head_limits),
		cmocka_unit_test(test_xss_escaped),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_security_headers),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test_setup_teardown(test_idle_and_max_body,
		    limits_setup, limits_teardown),
	};
	server_group(&srv, count_on_sign, NULL);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
