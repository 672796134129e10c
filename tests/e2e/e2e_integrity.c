/* e2e_integrity.c - hostile input against the real server: paths and
 * queries that are not text, secrets in paths kept out of the log, form
 * values padded with white space (trimmed, then checked, then stored as
 * checked) and a moderation action with a trailing space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "correct horse battery staple"
#define MOD_EMAIL "moderator@example.org"
#define PAGE_PATH "/p/" SEED_SLUG

static const char *const count_on_sign[] = { COUNT_ON_SIGN, NULL };

static struct server *srv;

static int
add_moderator(struct server *s)
{
	return harness_user_add(s, MOD_EMAIL, "moderator", PASSWORD) == 0 ? 0 :
									    -1;
}

/* The first column of the first row of sql on s's database, as a number;
 * -1 when it cannot be had. */
static long long
db_scalar(const struct server *s, const char *sql)
{
	char path[400];
	struct hbuf out = { 0 };
	long long v = -1;

	if (harness_pg() != NULL)
		return pg_scalar(s->db, sql);
	snprintf(path, sizeof path, "%s/holos.db", s->data);
	const char *argv[] = { "/usr/bin/sqlite3", path, sql, NULL };
	if (run_capture(argv, &out) == 0 && out.data != NULL)
		v = strtoll(out.data, NULL, 10);
	hbuf_free(&out);
	return v;
}

/* GET path; returns the status and the body (malloc'd) in *body when not
 * NULL. */
static long
get(struct client *c, const char *path, const char *const *headers, char **body)
{
	struct resp r;
	long st;

	assert_int_equal(client_get_headers(c, path, headers, &r), CURLE_OK);
	st = r.status;
	if (body != NULL)
		*body = strdup(r.body.data ? r.body.data : "");
	resp_free(&r);
	return st;
}

/* Paths and queries that are not text: 404 for a path, the query value
 * (a NUL in it too) ignored, never a 500; the login form keeps its token
 * whatever next is. */
static void
test_not_text_in_url(void **state)
{
	static const char *const not_found[] = { "/%FF", "/p/%FF", "/%C0%AF",
		"/p/" SEED_SLUG "%FF", "/static/%FF", "/c/%FF", "/%0A",
		"/p/%ED%A0%80/sign", NULL };
	static const char *const fine[] = { "/login?next=/%FF",
		"/login?next=%2F%FF%FE", PAGE_PATH "?lang=%FF",
		PAGE_PATH "/thanks?state=%FF", "/?lang=%C3%28", NULL };
	struct client *c = client_new(srv);
	char *body, *tok;
	long st;

	(void)state;
	for (int i = 0; not_found[i] != NULL; i++) {
		st = get(c, not_found[i], NULL, NULL);
		if (st != 404 && st != 400)
			fail_msg("GET %s: %ld, wanted 400 or 404", not_found[i],
			    st);
	}
	for (int i = 0; fine[i] != NULL; i++) {
		st = get(c, fine[i], NULL, &body);
		if (st != 200)
			fail_msg("GET %s: %ld, wanted 200", fine[i], st);
		if (strncmp(fine[i], "/login", 6) == 0) {
			tok = html_csrf(body);
			if (tok == NULL || *tok == '\0')
				fail_msg("GET %s: the login form has no token",
				    fine[i]);
			free(tok);
		}
		free(body);
	}
	/* A query value with a NUL byte is not text either: neither the whole
	 * nor the part before the NUL is read. */
	{
		char *plain, *uk, *cut;

		/* Before ?lang=uk: its answer sets the language cookie. */
		assert_int_equal(get(c, PAGE_PATH, NULL, &plain), 200);
		assert_int_equal(get(c, PAGE_PATH "?lang=uk%00x", NULL, &cut),
		    200);
		assert_int_equal(get(c, PAGE_PATH "?lang=uk", NULL, &uk), 200);
		assert_non_null(strstr(uk, "<html lang=\"uk\""));
		assert_null(strstr(plain, "<html lang=\"uk\""));
		assert_null(strstr(cut, "<html lang=\"uk\""));
		free(plain);
		free(uk);
		free(cut);
	}
	/* A cookie that is not text is no cookie. */
	{
		const char *h[] = { "Cookie: holos_session=\xff\xfe; "
				    "holos_lang=\xc3\x28",
			NULL };

		assert_int_equal(get(c, PAGE_PATH, h, NULL), 200);
		long st_me = get(c, "/me", h, NULL);

		if (st_me != 302 && st_me != 303)
			fail_msg("GET /me with such a cookie: %ld", st_me);
	}
	/* A next that is not text, posted with the login form: the form comes
	 * back with its token. */
	{
		struct hbuf b = { 0 };
		struct resp r;

		assert_int_equal(get(c, "/login", NULL, &body), 200);
		tok = html_csrf(body);
		free(body);
		assert_non_null(tok);
		form_add(&b, "csrf", tok);
		form_add(&b, "email", "nobody@example.org");
		form_add(&b, "password", "wrong password here");
		form_add_raw(&b, "next", "%2F%FF");
		assert_int_equal(client_post(c, "/login", b.data, b.len, NULL,
				     &r),
		    CURLE_OK);
		assert_int_equal(r.status, 422);
		free(tok);
		tok = html_csrf(r.body.data);
		if (tok == NULL || *tok == '\0')
			fail_msg("POST /login with next=%%FF: no token");
		free(tok);
		resp_free(&r);
		hbuf_free(&b);
	}
	client_free(c);
	assert_int_equal(server_log_count(srv, "status=500"), 0);
}

/* A token in a path never reaches the log, whether or not a route took
 * it: a link copied with the punctuation after it, or under another
 * prefix. */
static void
test_token_not_logged(void **state)
{
	static const char tok[] = "Zq3xY_8kLmN0pQrStUvWxYz0123456789abcdEFGhij";
	static const char *const fmt[] = { "/c/%s.", "/c/%s)", "/verify/%s,",
		"/reset/%s", "/u/%s%%22", "/x/%s/y", "/%s", NULL };
	struct client *c = client_new(srv);
	char path[128];

	(void)state;
	assert_int_equal(strlen(tok), 43);
	for (int i = 0; fmt[i] != NULL; i++) {
		snprintf(path, sizeof path, fmt[i], tok);
		long st = get(c, path, NULL, NULL);
		if (st >= 500)
			fail_msg("GET %s: %ld", path, st);
	}
	/* A path with a line feed writes one log line. */
	get(c, "/a%0Alevel=error%20module=forged", NULL, NULL);
	client_free(c);
	/* The lines are written before the replies go. */
	assert_int_equal(server_log_count(srv, tok), 0);
	assert_int_equal(server_log_count(srv, "Zq3xY_8kLmN0pQ"), 0);
	assert_int_equal(server_log_count(srv, "\nlevel=error module=forged"),
	    0);
	assert_true(server_log_count(srv, "[token]") >= 7);
}

/* White space around a value is trimmed before any check, and what is
 * stored is what was checked: a comment padded past its limit, a country
 * with spaces after it. */
static void
test_form_padding(void **state)
{
	struct hbuf comment = { 0 };
	struct signer s;
	long before, n;

	(void)state;
	hbuf_puts(&comment, "short");
	for (int i = 0; i < 80000; i++)
		hbuf_puts(&comment, " ");
	s = signer_default("padded@example.org");
	s.comment = comment.data;
	s.country = "DE   ";
	before = db_scalar(srv, "SELECT COUNT(*) FROM signatures");
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &s, NULL, NULL), 303);
	assert_int_equal(db_scalar(srv, "SELECT COUNT(*) FROM signatures"),
	    before + 1);
	n = db_scalar(srv,
	    "SELECT length(comment) FROM signatures ORDER BY id DESC LIMIT 1");
	assert_int_equal(n, 5);
	assert_int_equal(db_scalar(srv,
			     "SELECT COUNT(*) FROM signatures WHERE "
			     "country = 'DE'"),
	    1);
	/* Padding with other white space (no-break and ideographic spaces)
	 * goes the same way. */
	s = signer_default("padded2@example.org");
	s.country = "FR\xc2\xa0\xe3\x80\x80";
	s.comment = "\xc2\xa0 ok \xe3\x80\x80";
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &s, NULL, NULL), 303);
	assert_int_equal(db_scalar(srv,
			     "SELECT COUNT(*) FROM signatures WHERE "
			     "country = 'FR' AND comment = 'ok'"),
	    1);
	/* Over the limit once trimmed: refused. */
	hbuf_free(&comment);
	for (int i = 0; i < 501; i++)
		hbuf_puts(&comment, "x");
	hbuf_puts(&comment, "   ");
	s = signer_default("padded3@example.org");
	s.comment = comment.data;
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &s, NULL, NULL), 422);
	hbuf_free(&comment);
}

/* A moderation action with a trailing space is the action; one that names
 * none is refused. Neither reads past the table of actions. */
static void
test_moderation_action_padded(void **state)
{
	struct client *c = client_signed_in(srv, MOD_EMAIL, PASSWORD);
	static const char *const actions[] = { "restore ", " restore",
		"restore\t", "approve  ", "nothing ", NULL };

	(void)state;
	assert_non_null(c);
	for (int i = 0; actions[i] != NULL; i++) {
		struct hbuf b = { 0 };
		struct resp r;
		char *tok = client_page_csrf(c, "/admin");

		assert_non_null(tok);
		form_add(&b, "csrf", tok);
		form_add(&b, "action", actions[i]);
		assert_int_equal(client_post(c,
				     "/admin/p/" SEED_SLUG "/moderate", b.data,
				     b.len, NULL, &r),
		    CURLE_OK);
		/* The seed petition is open: neither restoring nor approving
		 * applies (409); an unknown action is bad input (422). */
		if (r.status != 409 && r.status != 422)
			fail_msg("action \"%s\": %ld", actions[i], r.status);
		resp_free(&r);
		hbuf_free(&b);
		free(tok);
	}
	client_free(c);
}

#define HAPROXY "/usr/sbin/haproxy"
#define HAPROXY_CFG "docs/deploy/haproxy.cfg"
#define HAPROXY_NODE_CFG "docs/deploy/haproxy-node.cfg"

/* Sends req as is to 127.0.0.1:port and returns what comes back within
 * 3 s (until the peer closes), malloc'd; "" when it cannot connect. */
static char *
raw_exchange(int port, const char *req, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct hbuf out = { 0 };
	long long end = now_ms() + 3000;
	char chunk[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    write(fd, req, len) != (ssize_t)len) {
		close(fd);
		return strdup(""); /* not listening (yet) */
	}
	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		if ((n = read(fd, chunk, sizeof chunk)) <= 0)
			break;
		hbuf_append(&out, chunk, (size_t)n);
	}
	close(fd);
	hbuf_puts(&out, "");
	return out.data;
}

/* A port's address in a haproxy file, and the free port it becomes. */
struct port_swap {
	const char *from;
	int port;
};

/* Starts haproxy on file (its addresses swapped as swap says) in the new
 * folder root (a mkdtemp() template), and waits until the balancer's
 * port lb passes GET /healthz. Returns its pid; fails the test when it
 * cannot start. */
static pid_t
haproxy_start(const char *file, const struct port_swap *swap, size_t n, int lb,
    char *root)
{
	char cfg[300], hlog[300], to[32], req[256];
	struct hbuf t = { 0 };
	pid_t pid;
	char *got;

	assert_non_null(mkdtemp(root));
	snprintf(cfg, sizeof cfg, "%s/haproxy.cfg", root);
	snprintf(hlog, sizeof hlog, "%s/haproxy.log", root);
	assert_int_equal(slurp(file, &t), 0);
	for (size_t i = 0; i < n; i++) {
		char *p;

		snprintf(to, sizeof to, "127.0.0.1:%d", swap[i].port);
		while ((p = strstr(t.data, swap[i].from)) != NULL) {
			struct hbuf m = { 0 };

			hbuf_append(&m, t.data, (size_t)(p - t.data));
			hbuf_puts(&m, to);
			hbuf_puts(&m, p + strlen(swap[i].from));
			hbuf_free(&t);
			t = m;
		}
	}
	assert_int_equal(write_file(cfg, t.data, t.len), 0);
	hbuf_free(&t);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(hlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(HAPROXY, HAPROXY, "-db", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	/* Wait for it to pass a request. */
	for (long long end = now_ms() + 10000; now_ms() < end; pause_ms(50)) {
		snprintf(req, sizeof req,
		    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: "
		    "close\r\n\r\n");
		got = raw_exchange(lb, req, strlen(req));
		bool up = strncmp(got, "HTTP/1.1 200", 12) == 0;
		free(got);
		if (up)
			break;
	}
	return pid;
}

/* Stops haproxy pid and removes its folder root. */
static void
haproxy_stop(pid_t pid, const char *root)
{
	char path[300];
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	snprintf(path, sizeof path, "%s/haproxy.cfg", root);
	unlink(path);
	snprintf(path, sizeof path, "%s/haproxy.log", root);
	unlink(path);
	rmdir(root);
}

/* docs/deploy/haproxy.cfg in front of the group's server (the balancer on
 * a free port, both node lines pointing at the one server): a request
 * with two differing Content-Length headers is refused by haproxy and
 * never reaches holos; an ordinary one passes. */
static void
test_proxy_framing(void **state)
{
	char root[] = "/tmp/holos-haproxy-XXXXXX", req[1024];
	int lb = harness_free_port(), before;
	pid_t pid;
	char *got;

	(void)state;
	if (access(HAPROXY, X_OK) != 0) {
		print_message("skipped: %s is not installed\n", HAPROXY);
		skip();
	}
	/* The file names its ports in these words only. */
	const struct port_swap swap[] = { { "127.0.0.1:8080", lb },
		{ "127.0.0.1:8081", srv->port },
		{ "127.0.0.1:8082", srv->port } };
	pid = haproxy_start(HAPROXY_CFG, swap, 3, lb, root);
	before = server_log_count(srv, "path=/framing-probe");
	/* Two lengths that differ: the body is 5 bytes by one, 40 by the
	 * other. */
	snprintf(req, sizeof req,
	    "POST /framing-probe HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 5\r\nContent-Length: 40\r\n\r\n"
	    "a=b&cGET /framing-probe HTTP/1.1\r\nX: y\r\n\r\n");
	got = raw_exchange(lb, req, strlen(req));
	if (strncmp(got, "HTTP/1.1 400", 12) != 0)
		fail_msg("two Content-Length headers through haproxy: %.80s",
		    got);
	free(got);
	/* The same with a length beside chunked framing: whatever haproxy
	 * does, holos sees one well-framed request at most. */
	snprintf(req, sizeof req,
	    "POST /framing-probe HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n"
	    "3\r\na=b\r\n0\r\n\r\n");
	got = raw_exchange(lb, req, strlen(req));
	free(got);
	/* An ordinary request passes. */
	snprintf(req, sizeof req,
	    "GET /p/" SEED_SLUG " HTTP/1.1\r\nHost: x\r\nConnection: "
	    "close\r\n\r\n");
	got = raw_exchange(lb, req, strlen(req));
	if (strncmp(got, "HTTP/1.1 200", 12) != 0)
		fail_msg("a petition page through haproxy: %.80s", got);
	free(got);
	/* holos saw at most the chunked request, never a smuggled one. */
	assert_true(server_log_count(srv, "path=/framing-probe") - before <= 1);
	haproxy_stop(pid, root);
}

/* docs/deploy/haproxy-node.cfg in front of a node with --listen-post: the
 * page comes from the first listener, the signature goes to the second
 * (the access log says so), is counted, and names the client haproxy
 * forwarded. */
static void
test_proxy_post_listener(void **state)
{
	char root[] = "/tmp/holos-haproxy-XXXXXX", listen_post[32];
	int lb = harness_free_port(), post = harness_free_port();

	(void)state;
	if (access(HAPROXY, X_OK) != 0) {
		print_message("skipped: %s is not installed\n", HAPROXY);
		skip();
	}
	assert_true(lb > 0 && post > 0 && lb != post);
	snprintf(listen_post, sizeof listen_post, "127.0.0.1:%d", post);
	const char *const args[] = { COUNT_ON_SIGN, "--listen-post",
		listen_post, "--trusted-proxy", "127.0.0.1/32", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	const struct port_swap swap[] = { { "127.0.0.1:8080", lb },
		{ "127.0.0.1:8081", s->port }, { "127.0.0.1:8091", post } };
	pid_t pid = haproxy_start(HAPROXY_NODE_CFG, swap, 3, lb, root);
	struct server via = *s;
	via.port = lb;
	snprintf(via.base, sizeof via.base, "http://127.0.0.1:%d", lb);
	struct client *c = client_new(&via);
	struct signer sg = signer_default("through-haproxy@example.org");
	struct resp r;
	assert_int_equal(client_sign(c, SEED_SLUG, &sg, &r), 303);
	resp_free(&r);
	client_free(c);
	assert_int_equal(petition_count(s, SEED_SLUG), 1);
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(s, &log), 0);
	const char *line = strstr(log.data,
	    "method=POST path=/p/" SEED_SLUG "/sign status=303");
	assert_non_null(line);
	const char *eol = strchr(line, '\n');
	const char *mark = strstr(line, " listener=post");
	assert_true(mark != NULL && (eol == NULL || mark < eol));
	line = strstr(log.data, "method=GET path=/p/" SEED_SLUG " status=200");
	assert_non_null(line);
	eol = strchr(line, '\n');
	mark = strstr(line, " listener=post");
	assert_true(mark == NULL || (eol != NULL && mark > eol));
	hbuf_free(&log);
	haproxy_stop(pid, root);
	assert_int_equal(server_free(s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_text_in_url),
		cmocka_unit_test(test_token_not_logged),
		cmocka_unit_test(test_form_padding),
		cmocka_unit_test(test_moderation_action_padded),
		cmocka_unit_test(test_proxy_framing),
		cmocka_unit_test(test_proxy_post_listener),
	};

	server_group(&srv, count_on_sign, add_moderator);
	return harness_finish(cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown));
}
