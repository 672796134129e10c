/* test_mail_smtp.c - mail_smtp.c against a real server (tests/smtp/smtpd.py),
 * all modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../src/mail_smtp.c"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "mail_message.h"

/* Debian's python, which has python3-aiosmtpd; a pyenv one may be first
 * on PATH without it. */
#define PYTHON "/usr/bin/python3"
#define SMTPD "tests/smtp/smtpd.py"
#define READY_MS 10000

static char tmp[PATH_MAX], cert[PATH_MAX + 16], key[PATH_MAX + 16];
static int nservers;

/* A running smtpd.py and its maildir. */
struct server {
	pid_t pid;
	int port;
	char dir[PATH_MAX + 16];
};

/* Reads a whole file, NUL-terminated; NULL when it cannot. */
static char *
slurp(const char *path, size_t *lenp)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf_init(&b);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	buf_putc(&b, '\0');
	assert_true(buf_ok(&b));
	if (lenp)
		*lenp = b.len - 1;
	return buf_steal(&b, NULL);
}

/* Runs argv with stdin from /dev/null and stdout into a malloc'd string;
 * stderr is kept unless quiet. *status gets the wait status. */
static char *
run(char *const argv[], bool quiet, int *status)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int p[2], null;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(p[1], 1);
		if (quiet)
			dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	buf_init(&b);
	while ((n = read(p[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		buf_append(&b, chunk, (size_t)n);
	}
	close(p[0]);
	while (waitpid(pid, status, 0) == -1)
		assert_int_equal(errno, EINTR);
	buf_putc(&b, '\0');
	assert_true(buf_ok(&b));
	return buf_steal(&b, NULL);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
group_setup(void **state)
{
	char *check[] = { PYTHON, "-c", "import aiosmtpd", NULL };
	char *openssl[] = {
		"/usr/bin/openssl",
		"req",
		"-x509",
		"-newkey",
		"rsa:2048",
		"-nodes",
		"-subj",
		"/CN=localhost",
		"-days",
		"1",
		"-addext",
		"subjectAltName=DNS:localhost,IP:127.0.0.1",
		"-keyout",
		key,
		"-out",
		cert,
		NULL,
	};
	char *out;
	int st;

	(void)state;
	out = run(check, true, &st);
	free(out);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr,
		    "test_smtp: %s cannot import aiosmtpd: "
		    "install python3-aiosmtpd (sh scripts/deps.sh)\n",
		    PYTHON);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/holos-smtp-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmp) == NULL)
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmp);
	snprintf(key, sizeof(key), "%s/key.pem", tmp);
	out = run(openssl, true, &st);
	free(out);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr,
		    "test_smtp: openssl req failed (install openssl)\n");
		rm_tree(tmp);
		return -1;
	}
	/* A peer closing early must fail the send, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	return smtp_global_init();
}

static int
group_teardown(void **state)
{
	(void)state;
	smtp_global_cleanup();
	rm_tree(tmp);
	return 0;
}

/* Starts smtpd.py with extra arguments on a port the kernel picks and
 * waits for its "ready PORT" line. */
static int
server_start(void **state, const char *const extra[])
{
	struct server *s = calloc(1, sizeof(*s));
	char *argv[32], line[64];
	size_t n = 0, i, got = 0;
	int p[2], null;
	ssize_t k;
	struct pollfd pfd;

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "%s/mail%d", tmp, ++nservers);
	argv[n++] = PYTHON;
	argv[n++] = SMTPD;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--maildir";
	argv[n++] = s->dir;
	for (i = 0; extra[i] != NULL; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	if ((s->pid = fork()) == 0) {
		null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(s->pid > 0);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		if (poll(&pfd, 1, READY_MS) != 1)
			break;
		if ((k = read(p[0], line + got, sizeof(line) - 1 - got)) <= 0)
			break;
		got += (size_t)k;
	}
	line[got] = '\0';
	close(p[0]);
	if (sscanf(line, "ready %d", &s->port) != 1 || s->port <= 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		fprintf(stderr,
		    "test_smtp: %s did not get ready (said \"%s\")\n", SMTPD,
		    line);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int
server_stop(void **state)
{
	struct server *s = *state;
	int st = 0;

	if (s == NULL)
		return 0;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &st, 0) == -1 && errno == EINTR)
		;
	rm_tree(s->dir);
	free(s);
	*state = NULL;
	/* smtpd.py must stop cleanly on SIGTERM. */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
start_plain(void **state)
{
	const char *const a[] = {
		"--reject-rcpt",
		"reject",
		"--tempfail-rcpt",
		"later",
		NULL,
	};

	return server_start(state, a);
}

static int
start_starttls(void **state)
{
	const char *const a[] = {
		"--tls-cert",
		cert,
		"--tls-key",
		key,
		"--require-starttls",
		NULL,
	};

	return server_start(state, a);
}

static int
start_implicit(void **state)
{
	const char *const a[] = {
		"--tls-cert",
		cert,
		"--tls-key",
		key,
		"--implicit-tls",
		NULL,
	};

	return server_start(state, a);
}

/* The password has characters that must be percent-encoded in a URL. */
static int
start_auth_tls(void **state)
{
	const char *const a[] = {
		"--tls-cert",
		cert,
		"--tls-key",
		key,
		"--implicit-tls",
		"--auth-user",
		"mailer@holos",
		"--auth-pass",
		"p:ss w%rd/S3cret",
		NULL,
	};

	return server_start(state, a);
}

static int
start_auth_starttls(void **state)
{
	const char *const a[] = {
		"--tls-cert",
		cert,
		"--tls-key",
		key,
		"--require-starttls",
		"--auth-user",
		"mailer",
		"--auth-pass",
		"S3cret",
		"--auth-exclude",
		"PLAIN",
		NULL,
	};

	return server_start(state, a);
}

/* --- helpers --- */

static const char *subject =
    "Подтвердите подпись под петицией «Сохраним городской парк» — "
    "осталось совсем немного";
static const char *text_body =
    "Здравствуйте, Анна!\n\nЧтобы подпись засчитали, откройте ссылку:\n"
    "https://holos.example/c/abc\n.\nFrom the team\n";

/* A composed message to anna@example.org. */
static char *
message(size_t *len)
{
	struct mail m = {
		.from_name = "Холос",
		.from_addr = "noreply@holos.example",
		.to_name = "Анна\r\nBcc: x@y",
		.to_addr = "anna@example.org",
		.subject = subject,
		.text = text_body,
		.html = "<p>Здравствуйте, Анна!</p>\n",
		.message_id = "<0123456789abcdef@holos.example>",
		.lang = "ru",
		.list_unsubscribe = "https://holos.example/u/abc",
		.date = 1700000000,
	};
	struct buf b;

	buf_init(&b);
	assert_int_equal(mail_compose(&m, &b), 0);
	return buf_steal(&b, len);
}

static enum smtp_result
send_to(const char *url, const char *rcpt, bool insecure, const char *ca,
    char *err, size_t errlen)
{
	struct smtp_config c = {
		.url = url,
		.helo = "holos.test",
		.timeout_ms = 5000,
		.insecure_tls = insecure,
		.ca_file = ca,
	};
	enum smtp_result r;
	size_t len;
	char *msg = message(&len);

	r = smtp_send(&c, "noreply@holos.example", rcpt, msg, len, err, errlen);
	free(msg);
	return r;
}

/* Asserts that message n arrived at s: its envelope is exactly env and
 * its bytes are exactly what mail_compose() made (modulo the random
 * boundary, which differs per call, so it is compared as decoded by
 * Python's email package, an independent MIME parser). */
static void
assert_received(const struct server *s, int n, const char *env)
{
	static const char script[] =
	    "import email, email.policy, sys\n"
	    "m = email.message_from_binary_file(open(sys.argv[1], 'rb'),"
	    " policy=email.policy.default)\n"
	    "assert not m.defects, m.defects\n"
	    "for k, v in m.items():\n"
	    "    assert not getattr(v, 'defects', ()), (k, v.defects)\n"
	    "to = m['to'].addresses[0]\n"
	    "out = [m['subject'], to.display_name, to.addr_spec,"
	    " m['content-language'], m['auto-submitted'],"
	    " m['list-unsubscribe'], m['list-unsubscribe-post'],"
	    " str(len(m.get_all('to'))), str(m.get_all('bcc')),"
	    " m.get_body(('plain',)).get_content().replace('\\r\\n', '\\n'),"
	    " m.get_body(('html',)).get_content().replace('\\r\\n', '\\n')]\n"
	    "sys.stdout.buffer.write('\\x1e'.join(out).encode('utf-8'))\n";
	char path[PATH_MAX + 64], want[2048], *got, *dec;
	char *argv[] = { PYTHON, "-c", (char *)script, path, NULL };
	int st;

	snprintf(path, sizeof(path), "%s/new/%d.env", s->dir, n);
	got = slurp(path, NULL);
	if (got == NULL)
		fail_msg("%s missing", path);
	/* The server records MAIL's parameters (SIZE from libcurl) on a
	 * line of their own; these tests check the addresses. */
	char *opt = strstr(got, "MAIL OPTIONS: ");
	if (opt != NULL) {
		char *eol = strchr(opt, '\n');
		memmove(opt, eol != NULL ? eol + 1 : opt + strlen(opt),
		    strlen(eol != NULL ? eol + 1 : opt + strlen(opt)) + 1);
	}
	assert_string_equal(got, env);
	free(got);

	snprintf(path, sizeof(path), "%s/new/%d.eml", s->dir, n);
	got = slurp(path, NULL);
	if (got == NULL)
		fail_msg("%s missing", path);
	assert_non_null(strstr(got,
	    "\r\nMessage-ID: <0123456789abcdef@holos.example>\r\n"));
	free(got);

	dec = run(argv, false, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(want, sizeof(want),
	    "%s\x1e"
	    "Анна Bcc: x@y\x1e"
	    "anna@example.org\x1e"
	    "ru\x1e"
	    "auto-generated\x1e"
	    "<https://holos.example/u/abc>\x1e"
	    "List-Unsubscribe=One-Click\x1e"
	    "1\x1e"
	    "None\x1e"
	    "%s\x1e"
	    "<p>Здравствуйте, Анна!</p>\n",
	    subject, text_body);
	assert_string_equal(dec, want);
	free(dec);
}

static void
assert_nothing_received(const struct server *s)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/new/1.eml", s->dir);
	assert_int_equal(stat(path, &st), -1);
}

static int saved_stderr = -1;
static char logpath[PATH_MAX + 16];

/* Sends log lines (stderr) to a file until log_end(); no assertion may
 * run in between, or its message would land in the file. */
static void
log_begin(void)
{
	int fd;

	snprintf(logpath, sizeof(logpath), "%s/log.txt", tmp);
	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(saved_stderr != -1 && fd != -1);
	dup2(fd, 2);
	close(fd);
}

static char *
log_end(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	return slurp(logpath, NULL);
}

static char *
url_for(const struct server *s, const char *scheme, const char *userinfo)
{
	static char url[256];

	snprintf(url, sizeof(url), "%s://%s%s127.0.0.1:%d", scheme,
	    userinfo ? userinfo : "", userinfo ? "@" : "", s->port);
	return url;
}

static long
ms_since(const struct timespec *t0)
{
	return elapsed_ms(t0);
}

/* --- tests --- */

static void
test_plain(void **state)
{
	struct server *s = *state;
	char err[256] = "x", *log;
	enum smtp_result r;

	log_begin();
	r = send_to(url_for(s, "smtp", NULL), "anna@example.org", false, NULL,
	    err, sizeof(err));
	log = log_end();
	assert_int_equal(r, SMTP_SENT);
	assert_string_equal(err, "");
	assert_received(s, 1,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: no\n");
	/* The log names the domain only. */
	assert_non_null(
	    strstr(log, "module=smtp result=sent domain=example.org"));
	assert_null(strstr(log, "anna"));
	assert_null(strstr(log, "noreply"));
	free(log);
}

/* Bytes arrive exactly as given: curl dot-stuffs lines starting with "."
 * and the server undoes it. */
static void
test_transparency(void **state)
{
	static const char raw[] = "Subject: dots\r\n\r\n.\r\n..two\r\n"
				  ". space\r\nFrom me\r\nlast.\r\n";
	struct server *s = *state;
	struct smtp_config c = { .timeout_ms = 5000 };
	char err[256], path[PATH_MAX + 64], *got;
	size_t len;

	c.url = url_for(s, "smtp", NULL);
	assert_int_equal(smtp_send(&c, "a@example.org", "b@example.net", raw,
			     sizeof(raw) - 1, err, sizeof(err)),
	    SMTP_SENT);
	snprintf(path, sizeof(path), "%s/new/1.eml", s->dir);
	got = slurp(path, &len);
	assert_non_null(got);
	assert_int_equal(len, sizeof(raw) - 1);
	assert_memory_equal(got, raw, len);
	free(got);
}

static void
test_rcpt_refused(void **state)
{
	struct server *s = *state;
	char err[256], *log;
	enum smtp_result r;

	log_begin();
	r = send_to(url_for(s, "smtp", NULL), "reject.me@example.org", false,
	    NULL, err, sizeof(err));
	log = log_end();
	assert_int_equal(r, SMTP_REFUSED);
	assert_string_equal(err, "RCPT refused: 550 5.1.1 Mailbox unavailable");
	assert_non_null(
	    strstr(log, "result=refused domain=example.org code=550"));
	assert_null(strstr(log, "reject.me"));
	free(log);

	log_begin();
	r = send_to(url_for(s, "smtp", NULL), "later@example.org", false, NULL,
	    err, sizeof(err));
	log = log_end();
	assert_int_equal(r, SMTP_TEMPFAIL);
	assert_string_equal(err, "RCPT refused: 451 4.3.0 Try again later");
	assert_non_null(
	    strstr(log, "result=tempfail domain=example.org code=451"));
	assert_null(strstr(log, "later@"));
	free(log);

	/* Never reaches the wire: SMTP command injection through RCPT. */
	assert_int_equal(send_to(url_for(s, "smtp", NULL),
			     "a@example.org>\r\nRCPT TO:<b@example.org", false,
			     NULL, err, sizeof(err)),
	    SMTP_PERMFAIL);
	assert_string_equal(err, "unusable envelope address");
	assert_nothing_received(s);
}

/* Against a server without STARTTLS: TLS required means no mail, and
 * credentials are never sent in clear. */
static void
test_tls_policy(void **state)
{
	struct server *s = *state;
	char err[256], *log;
	enum smtp_result r;

	assert_int_equal(send_to(url_for(s, "smtp+starttls", NULL),
			     "anna@example.org", true, NULL, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	assert_string_not_equal(err, "");
	log_begin();
	r = send_to(url_for(s, "smtp", "mailer:Pa55word"), "anna@example.org",
	    true, NULL, err, sizeof(err));
	log = log_end();
	assert_int_equal(r, SMTP_TEMPFAIL);
	assert_null(strstr(err, "Pa55word"));
	assert_null(strstr(log, "Pa55word"));
	free(log);
	assert_nothing_received(s);
}

static void
test_starttls(void **state)
{
	struct server *s = *state;
	char err[256];

	assert_int_equal(send_to(url_for(s, "smtp+starttls", NULL),
			     "anna@example.org", true, NULL, err, sizeof(err)),
	    SMTP_SENT);
	assert_received(s, 1,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: yes\n");
	/* Plain smtp:// takes STARTTLS when offered. */
	assert_int_equal(send_to(url_for(s, "smtp", NULL), "anna@example.org",
			     true, NULL, err, sizeof(err)),
	    SMTP_SENT);
	assert_received(s, 2,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: yes\n");
	/* The certificate is checked unless told otherwise... */
	assert_int_equal(send_to(url_for(s, "smtp+starttls", NULL),
			     "anna@example.org", false, NULL, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "certificate"));
	/* ...and passes with the right CA. */
	assert_int_equal(send_to(url_for(s, "smtp+starttls", NULL),
			     "anna@example.org", false, cert, err, sizeof(err)),
	    SMTP_SENT);
	assert_received(s, 3,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: yes\n");
}

static void
test_implicit_tls(void **state)
{
	struct server *s = *state;
	char err[256];

	assert_int_equal(send_to(url_for(s, "smtps", NULL), "anna@example.org",
			     true, NULL, err, sizeof(err)),
	    SMTP_SENT);
	assert_received(s, 1,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: yes\n");
}

static void
test_auth(void **state)
{
	struct server *s = *state;
	char err[256], *log;
	enum smtp_result r;

	/* user "mailer@holos", password "p:ss w%rd/S3cret", percent-encoded. */
	assert_int_equal(send_to(url_for(s, "smtps",
				     "mailer%40holos:p%3Ass%20w%25rd%2FS3cret"),
			     "anna@example.org", true, NULL, err, sizeof(err)),
	    SMTP_SENT);
	assert_received(s, 1,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: yes\nAUTH: mailer@holos\n");

	/* A wrong password is our problem, not the message's: retry later. */
	log_begin();
	r = send_to(url_for(s, "smtps", "mailer%40holos:Wr0ngSecret"),
	    "anna@example.org", true, NULL, err, sizeof(err));
	log = log_end();
	assert_int_equal(r, SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "535"));
	assert_null(strstr(err, "Wr0ngSecret"));
	assert_null(strstr(log, "Wr0ngSecret"));
	assert_null(strstr(log, "anna"));
	free(log);

	/* No credentials: 530 at MAIL FROM is about us too. */
	assert_int_equal(send_to(url_for(s, "smtps", NULL), "anna@example.org",
			     true, NULL, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "530"));
}

static void
test_auth_starttls(void **state)
{
	struct server *s = *state;
	char err[256];

	/* smtp:// with credentials insists on STARTTLS, and aiosmtpd only
	 * offers AUTH after it; this server offers LOGIN only. */
	assert_int_equal(send_to(url_for(s, "smtp", "mailer:S3cret"),
			     "anna@example.org", true, NULL, err, sizeof(err)),
	    SMTP_SENT);
	assert_received(s, 1,
	    "MAIL FROM: <noreply@holos.example>\n"
	    "RCPT TO: <anna@example.org>\nTLS: yes\nAUTH: mailer\n");
}

/* A port where nobody listens: refused at once. */
static void
test_not_running(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct timespec t0;
	char url[64], err[256];
	int fd;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(send_to(url, "anna@example.org", false, NULL, err,
			     sizeof(err)),
	    SMTP_TEMPFAIL);
	assert_in_range(ms_since(&t0), 0, 2000);
	assert_non_null(strstr(err, "onnect"));
}

/* A server that accepts connections and never speaks: the timeout. */
static void
test_timeout(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct smtp_config c = { .timeout_ms = 400 };
	struct timespec t0;
	char url[64], err[256];
	int fd;
	long ms;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
	c.url = url;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(smtp_send(&c, "a@example.org", "b@example.org",
			     "x\r\n", 3, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	ms = ms_since(&t0);
	close(fd);
	assert_in_range(ms, 350, 3000);
	assert_non_null(strstr(err, "imeout") ? strstr(err, "imeout") :
						strstr(err, "imed out"));
}

static void
test_config(void **state)
{
	static const char *const bad[] = {
		"",
		"http://relay",
		"relay:25",
		"smtp://relay/path",
		"smtp://relay/?q=1",
		"smtp://relay#frag",
		"smtp://",
		"smtp://us:Secret1@/",
		"smtp+starttls://us:Secret1@:x",
		"smtp://us:Secret1%0d%0aQUIT@relay",
	};
	static const char *const good[] = {
		"smtp://relay",
		"smtp://relay:587",
		"SMTP://relay:25/",
		"smtps://relay:465",
		"smtp+starttls://relay:587",
		"smtp://user:Secret1@relay:587",
		"smtps://u%40x:p%3A%2F@relay",
		"smtp://[::1]:25",
	};
	struct smtp_config c = { 0 };
	struct target t;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.url = bad[i];
		if (smtp_config_check(&c, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_string_not_equal(err, "");
		assert_null(strstr(err, "Secret1"));
	}
	c.url = NULL;
	assert_int_equal(smtp_config_check(&c, err, sizeof(err)), -1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c.url = good[i];
		if (smtp_config_check(&c, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
		assert_string_equal(err, "");
	}
	c.url = "smtp://relay";
	c.helo = "bad helo\r\nQUIT";
	assert_int_equal(smtp_config_check(&c, err, sizeof(err)), -1);
	c.helo = "mail.holos.example";
	assert_int_equal(smtp_config_check(&c, err, sizeof(err)), 0);

	/* What the URL turns into. */
	c.url = "smtps://u%40x:p%3A%2F@relay";
	assert_int_equal(target_parse(&c, &t, err, sizeof(err)), 0);
	assert_string_equal(t.user, "u@x");
	assert_string_equal(t.pass, "p:/");
	assert_int_equal(t.use_ssl, CURLUSESSL_ALL);
	target_free(&t);
	c.url = "smtp://relay";
	assert_int_equal(target_parse(&c, &t, err, sizeof(err)), 0);
	assert_null(t.user);
	assert_int_equal(t.use_ssl, CURLUSESSL_TRY);
	target_free(&t);
	c.url = "smtp://user:pw@relay";
	assert_int_equal(target_parse(&c, &t, err, sizeof(err)), 0);
	assert_int_equal(t.use_ssl, CURLUSESSL_ALL);
	target_free(&t);
	c.url = "smtp+starttls://relay:587";
	c.helo = NULL;
	assert_int_equal(target_parse(&c, &t, err, sizeof(err)), 0);
	assert_int_equal(t.use_ssl, CURLUSESSL_ALL);
	{
		char *u;

		assert_int_equal(curl_url_get(t.url, CURLUPART_URL, &u, 0),
		    CURLUE_OK);
		assert_string_equal(u, "smtp://relay:587/");
		curl_free(u);
	}
	target_free(&t);

	assert_string_equal(smtp_result_name(SMTP_SENT), "sent");
	assert_string_equal(smtp_result_name(SMTP_REFUSED), "refused");
	assert_string_equal(smtp_result_name(SMTP_TEMPFAIL), "tempfail");
	assert_string_equal(smtp_result_name(SMTP_PERMFAIL), "permfail");
	assert_string_equal(smtp_result_name(SMTP__MAX), "unknown");
}

static void
test_classify(void **state)
{
	struct trace tr = { "RCPT", "", false };

	(void)state;
	assert_int_equal(classify(CURLE_OK, 250, &tr), SMTP_SENT);
	/* The address's own: a hard bounce. */
	assert_int_equal(classify(CURLE_SEND_ERROR, 550, &tr), SMTP_REFUSED);
	assert_int_equal(classify(CURLE_SEND_ERROR, 551, &tr), SMTP_REFUSED);
	assert_int_equal(classify(CURLE_SEND_ERROR, 553, &tr), SMTP_REFUSED);
	/* Full, relay denied: permanent, but not the address's fault. */
	assert_int_equal(classify(CURLE_SEND_ERROR, 552, &tr), SMTP_PERMFAIL);
	assert_int_equal(classify(CURLE_SEND_ERROR, 554, &tr), SMTP_PERMFAIL);
	assert_int_equal(classify(CURLE_SEND_ERROR, 450, &tr), SMTP_TEMPFAIL);
	assert_int_equal(classify(CURLE_SEND_ERROR, 530, &tr), SMTP_TEMPFAIL);
	memcpy(tr.verb, "DATA", 5);
	assert_int_equal(classify(CURLE_WEIRD_SERVER_REPLY, 554, &tr),
	    SMTP_PERMFAIL);
	memcpy(tr.verb, "MAIL", 5);
	assert_int_equal(classify(CURLE_SEND_ERROR, 553, &tr), SMTP_PERMFAIL);
	/* 5xx to the greeting, EHLO or STARTTLS: the relay, not the mail. */
	tr.verb[0] = '\0';
	assert_int_equal(classify(CURLE_WEIRD_SERVER_REPLY, 554, &tr),
	    SMTP_TEMPFAIL);
	memcpy(tr.verb, "EHLO", 5);
	assert_int_equal(classify(CURLE_REMOTE_ACCESS_DENIED, 550, &tr),
	    SMTP_TEMPFAIL);
	memcpy(tr.verb, "AUTH", 5);
	assert_int_equal(classify(CURLE_LOGIN_DENIED, 535, &tr), SMTP_TEMPFAIL);
	assert_int_equal(classify(CURLE_OPERATION_TIMEDOUT, 0, &tr),
	    SMTP_TEMPFAIL);
}

static void
test_redact(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "550 5.1.1 <ann@example.org>: Recipient address rejected",
		    "550 5.1.1 <*@example.org>: Recipient address rejected" },
		{ "550 ann.lee+x@example.org unknown",
		    "550 *@example.org unknown" },
		{ "550 \"quoted\" user", "550 'quoted' user" },
		{ "bad\r\nline\x01\xff", "bad??line??" },
		{ "@", "*@" },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out[0] = '\0';
		append_redacted(out, sizeof(out), cases[i].in);
		assert_string_equal(out, cases[i].want);
	}
	/* Truncates to fit. */
	out[0] = '\0';
	append_redacted(out, 6, "abcdefgh");
	assert_string_equal(out, "abcde");
}

static void
test_envelope(void **state)
{
	static const char *const bad[] = {
		"",
		"a",
		"@b",
		"a@",
		"a@b@c",
		"a b@c",
		"<a@b>",
		"a@b\r\n",
		"a@b\nRCPT TO:<c@d>",
		"a\x7f@b",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (envelope_ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_true(envelope_ok("a@b"));
	assert_true(envelope_ok("аня@пример.рф"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test_setup_teardown(test_plain, start_plain,
		    server_stop),
		cmocka_unit_test_setup_teardown(test_transparency, start_plain,
		    server_stop),
		cmocka_unit_test_setup_teardown(test_rcpt_refused, start_plain,
		    server_stop),
		cmocka_unit_test_setup_teardown(test_tls_policy, start_plain,
		    server_stop),
		cmocka_unit_test_setup_teardown(test_starttls, start_starttls,
		    server_stop),
		cmocka_unit_test_setup_teardown(test_implicit_tls,
		    start_implicit, server_stop),
		cmocka_unit_test_setup_teardown(test_auth, start_auth_tls,
		    server_stop),
		cmocka_unit_test_setup_teardown(test_auth_starttls,
		    start_auth_starttls, server_stop),
		cmocka_unit_test(test_not_running),
		cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
