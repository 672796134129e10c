/* harness.c - starts and stops the real holos binary, HTTP clients and helpers
 * for e2e tests. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <liboath/oath.h>
#include <libpq-fe.h>
#include <sqlite3.h>

/* How long a request, a command or a server's start or exit may take
 * before the test fails: make test runs several end-to-end files at once
 * against sanitised servers, two cores between them, so a step that takes
 * a second alone can take ten. */
#define WAIT_MS 30000
#define START_MS WAIT_MS

/* What a sanitizer writes into the server's log when it finds something;
 * "WARNING: ThreadSanitizer" covers a race, a lock-order inversion and the
 * rest of ThreadSanitizer's reports. */
static const char *const sanitizer_marks[] = {
	"AddressSanitizer",
	"runtime error",
	"LeakSanitizer",
	"UndefinedBehaviorSanitizer",
	"WARNING: ThreadSanitizer",
	"ThreadSanitizer: reported",
	"FATAL: ThreadSanitizer",
};

/* ---- buffers ---- */

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return q;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
hbuf_append(struct hbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
hbuf_puts(struct hbuf *b, const char *s)
{
	hbuf_append(b, s, strlen(s));
}

void
hbuf_printf(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *tmp = xrealloc(NULL, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	hbuf_append(b, tmp, (size_t)n);
	free(tmp);
}

void
multipart_field(struct hbuf *b, const char *name, const char *value)
{
	hbuf_printf(b,
	    "--" HARNESS_BOUNDARY "\r\nContent-Disposition: form-data; "
	    "name=\"%s\"\r\n\r\n%s\r\n",
	    name, value);
}

void
multipart_file(struct hbuf *b, const char *name, const char *filename,
    const char *type, const void *data, size_t len)
{
	hbuf_printf(b,
	    "--" HARNESS_BOUNDARY "\r\nContent-Disposition: form-data; "
	    "name=\"%s\"; filename=\"",
	    name);
	/* Appended as bytes: a test's file name may be no text at all. */
	hbuf_puts(b, filename);
	hbuf_printf(b, "\"\r\nContent-Type: %s\r\n\r\n", type);
	hbuf_append(b, data, len);
	hbuf_puts(b, "\r\n");
}

void
multipart_end(struct hbuf *b)
{
	hbuf_puts(b, "--" HARNESS_BOUNDARY "--\r\n");
}

void
hbuf_free(struct hbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
harness_finish(int failed)
{
	if (failed != 0) {
		fflush(NULL);
		_exit(failed > 125 ? 125 : failed);
	}
	return 0;
}

/* ---- files ---- */

int
slurp(const char *path, struct hbuf *out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		hbuf_append(out, chunk, n);
	fclose(f);
	hbuf_append(out, "", 0);
	return 0;
}

int
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	int rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int
file_contains(const char *path, const void *needle, size_t n)
{
	struct hbuf b = { 0 };
	int hit;

	if (slurp(path, &b) != 0)
		return -1;
	hit = b.len > 0 && memmem(b.data, b.len, needle, n) != NULL;
	hbuf_free(&b);
	return hit;
}

bool
dir_contains(const char *dir, const void *needle, size_t n, char *found,
    size_t foundsz)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool hit = false;
	struct dirent *e;
	while (!hit && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			hit = dir_contains(path, needle, n, found, foundsz);
		} else if (S_ISREG(st.st_mode)) {
			struct hbuf b = { 0 };
			if (slurp(path, &b) == 0 &&
			    memmem(b.data, b.len, needle, n) != NULL) {
				hit = true;
				if (found != NULL)
					snprintf(found, foundsz, "%s", path);
			}
			hbuf_free(&b);
		}
	}
	closedir(d);
	return hit;
}

static int
remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d == NULL)
			return -1;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			char sub[1024];
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			remove_tree(sub);
		}
		closedir(d);
		return rmdir(path);
	}
	return unlink(path);
}

/* ---- PostgreSQL ---- */

const char *
harness_pg(void)
{
	const char *d = getenv("HOLOS_TEST_PG");
	return d != NULL && *d != '\0' ? d : NULL;
}

const char *
harness_pg_dir(void)
{
	const char *d = getenv("HOLOS_TEST_PG_DIR");
	return d != NULL && *d != '\0' ? d : NULL;
}

/* base with its database name replaced by db (a query string is kept). */
static void
dsn_with_db(const char *base, const char *db, char *out, size_t n)
{
	const char *host = strstr(base, "://");
	const char *query = strchr(base, '?');
	const char *slash = host != NULL ? strchr(host + 3, '/') : NULL;
	size_t keep = slash != NULL && (query == NULL || slash < query) ?
	    (size_t)(slash - base) :
	    query != NULL ? (size_t)(query - base) :
			    strlen(base);
	snprintf(out, n, "%.*s/%s%s", (int)keep, base, db,
	    query != NULL ? query : "");
}

static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
pg_connect(const char *dsn)
{
	const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *const vals[] = { "5", dsn, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: PostgreSQL: %s",
		    c ? PQerrorMessage(c) : "no memory\n");
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, pg_quiet, NULL);
	return c;
}

long long
pg_scalar(const char *dsn, const char *sql)
{
	PGconn *c = pg_connect(dsn);
	if (c == NULL)
		return -1;
	long long v = -1;
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		v = 0;
	else
		fprintf(stderr, "harness: PostgreSQL: %s: %s", sql,
		    PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* Which server's database cli_run() passes for a --data folder. */
#define MAX_DBS 64
static struct {
	char data[300];
	char db[512];
} dbs[MAX_DBS];

static void
db_forget(const struct server *s)
{
	for (size_t i = 0; i < MAX_DBS; i++)
		if (dbs[i].data[0] != '\0' && strcmp(dbs[i].data, s->data) == 0)
			dbs[i].data[0] = '\0';
}

static void
db_remember(const struct server *s)
{
	db_forget(s);
	for (size_t i = 0; i < MAX_DBS; i++) {
		if (dbs[i].data[0] == '\0') {
			snprintf(dbs[i].data, sizeof dbs[i].data, "%s", s->data);
			snprintf(dbs[i].db, sizeof dbs[i].db, "%s", s->db);
			return;
		}
	}
}

static const char *
db_of_data(const char *data)
{
	for (size_t i = 0; i < MAX_DBS; i++)
		if (dbs[i].data[0] != '\0' && strcmp(dbs[i].data, data) == 0)
			return dbs[i].db;
	return NULL;
}

/* The database name at the end of a DSN. */
static void
db_name(const char *dsn, char *out, size_t n)
{
	const char *slash = strrchr(dsn, '/');
	const char *name = slash != NULL ? slash + 1 : dsn;
	snprintf(out, n, "%.*s", (int)strcspn(name, "?"), name);
}

/* A fresh database for s. Returns 0 or -1. */
static int
db_create(struct server *s)
{
	static int made;
	char name[64], sql[128];
	snprintf(name, sizeof name, "holos_t_%d_%d", (int)getpid(), ++made);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (pg_scalar(harness_pg(), sql) != 0)
		return -1;
	dsn_with_db(harness_pg(), name, s->db, sizeof s->db);
	s->db_owned = true;
	db_remember(s);
	return 0;
}

static void
db_drop(struct server *s)
{
	char name[128], sql[200];
	db_name(s->db, name, sizeof name);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    name);
	pg_scalar(harness_pg(), sql);
	db_forget(s);
	s->db[0] = '\0';
	s->db_owned = false;
}

int
server_share_db(struct server *s, const struct server *with)
{
	if (with->db[0] == '\0')
		return -1;
	if (s->db_owned)
		db_drop(s);
	snprintf(s->db, sizeof s->db, "%s", with->db);
	db_remember(s);
	return 0;
}

void
server_use_sqlite(struct server *s)
{
	if (s->db_owned)
		db_drop(s);
	db_forget(s);
	s->db[0] = '\0';
}

int
server_db_dump(const struct server *s, struct hbuf *out)
{
	PGconn *c = pg_connect(s->db);
	if (c == NULL)
		return -1;
	int rc = 0;
	PGresult *cols = PQexec(c,
	    "SELECT quote_ident(table_name), quote_ident(column_name), "
	    "data_type FROM information_schema.columns WHERE table_schema = current_schema() "
	    "ORDER BY table_name, ordinal_position");
	if (PQresultStatus(cols) != PGRES_TUPLES_OK) {
		fprintf(stderr, "harness: PostgreSQL: %s",
		    PQresultErrorMessage(cols));
		rc = -1;
	}
	for (int i = 0; rc == 0 && i < PQntuples(cols); i++) {
		char sql[512];
		const char *col = PQgetvalue(cols, i, 1);
		bool bytea = strcmp(PQgetvalue(cols, i, 2), "bytea") == 0;
		snprintf(sql, sizeof sql,
		    "SELECT string_agg(%s%s%s, E'\\n') FROM %s",
		    bytea ? "encode(" : "", col,
		    bytea ? ", 'escape')" : "::text", PQgetvalue(cols, i, 0));
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "harness: PostgreSQL: %s: %s", sql,
			    PQresultErrorMessage(r));
			rc = -1;
		} else if (PQntuples(r) > 0) {
			hbuf_puts(out, PQgetvalue(r, 0, 0));
			hbuf_puts(out, "\n");
		}
		PQclear(r);
	}
	hbuf_append(out, "", 0);
	PQclear(cols);
	PQfinish(c);
	return rc;
}

/* ---- server process ---- */

const char *
harness_bin(void)
{
	const char *b = getenv("HOLOS_BIN");
	return b != NULL && *b != '\0' ? b : "build/asan/holos";
}

static void
harness_global_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	signal(SIGPIPE, SIG_IGN);
	/* Servers and commands hash passwords with 8 MiB, not 64: the tests
	 * sign in hundreds of times; the cost is the same code with another
	 * number (a test may set its own). */
	setenv("HOLOS_PASSWORD_MEMORY", "8", 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(curl_global_cleanup);
}

int
server_init(struct server *s, const char *const *args)
{
	harness_global_init();
	memset(s, 0, sizeof *s);
	const char *tmp = getenv("TMPDIR");
	snprintf(s->root, sizeof s->root, "%s/holos-e2e-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(s->root) == NULL) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", s->root,
		    strerror(errno));
		return -1;
	}
	snprintf(s->data, sizeof s->data, "%s/data", s->root);
	snprintf(s->log, sizeof s->log, "%s/server.log", s->root);
	size_t i = 0;
	for (; args != NULL && args[i] != NULL; i++) {
		if (i + 1 >= sizeof s->args / sizeof s->args[0]) {
			fprintf(stderr, "harness: too many server arguments\n");
			return -1;
		}
		s->args[i] = args[i];
	}
	s->args[i] = NULL;
	if (harness_pg() != NULL && db_create(s) == -1) {
		fprintf(stderr, "harness: cannot create a database on %s\n",
		    harness_pg());
		return -1;
	}
	return 0;
}

/* NAME=value settings for the next cli_run() (cli_run_env()). */
static const char *const *child_env;

/* Runs in the child before exec. Drops settings a developer's shell may
 * carry, so a test never reaches a real database or mail server. */
static void
child_prepare(void)
{
	/* If the test program dies, its servers must not linger. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	static const char *const vars[] = { "HOLOS_LISTEN", "HOLOS_BASE_URL",
		"HOLOS_LANG", "HOLOS_SITE_NAME", "HOLOS_DATA", "HOLOS_DB",
		"HOLOS_COUNT_ON_SIGN", "HOLOS_SMTP", "HOLOS_MAIL_FROM",
		"HOLOS_NODE" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	/* Tests sign fast from one address; the tests of the limits turn
	 * them on with --rate-limit on. */
	setenv("HOLOS_RATE_LIMIT", "off", 1);
	/* Likewise the minimum time before a sign form may come back. */
	setenv("HOLOS_MIN_FORM_SECONDS", "0", 1);
	/* And the proof of work, which a test client does not do. */
	setenv("HOLOS_POW_BITS", "0", 1);
	/* What cli_run_env() asks for comes last, over the above. */
	for (size_t i = 0; child_env != NULL && child_env[i] != NULL; i++)
		putenv((char *)child_env[i]);
}

/* Binds 127.0.0.1:0 and returns the port the kernel chose, or -1. */
int
harness_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int port = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A running holos holds its info lines up to --log-flush (100 ms by
 * default) to write several at once: a reader of its log waits that long
 * and a little more before reading. */
#define LOG_SETTLE_MS 250

int
server_read_log(const struct server *s, struct hbuf *out)
{
	if (s->pid > 0)
		pause_ms(LOG_SETTLE_MS);
	return slurp(s->log, out);
}

#define LOG_LINES 150

/* Where to start showing the log: at the first sanitizer report, else
 * LOG_LINES lines before the end. */
static const char *
log_excerpt(const struct hbuf *b)
{
	const char *first = NULL;
	for (size_t i = 0;
	     i < sizeof sanitizer_marks / sizeof sanitizer_marks[0]; i++) {
		const char *m = strstr(b->data, sanitizer_marks[i]);
		if (m != NULL && (first == NULL || m < first))
			first = m;
	}
	const char *p = first != NULL ? first : b->data + b->len;
	int lines = 0, want = first != NULL ? 2 : LOG_LINES + 1;
	while (p > b->data && lines < want)
		if (*--p == '\n')
			lines++;
	return p > b->data ? p + 1 : b->data;
}

/* Prints why and the telling part of the log, and keeps the temp root for
 * a closer look. */
static void
print_log(struct server *s, const char *why)
{
	struct hbuf b = { 0 };
	s->keep = true;
	fprintf(stderr, "harness: %s\n---- %s ----\n", why, s->log);
	if (server_read_log(s, &b) == 0) {
		const char *from = log_excerpt(&b);
		if (from > b.data)
			fprintf(stderr, "[… earlier lines omitted …]\n");
		/* At most 300 lines from there. */
		const char *to = from;
		for (int n = 0; to != NULL && n < 300; n++) {
			to = strchr(to, '\n');
			if (to != NULL)
				to++;
		}
		fwrite(from, 1, to != NULL ? (size_t)(to - from) : strlen(from),
		    stderr);
		if (to != NULL && *to != '\0')
			fprintf(stderr, "[… more in the log …]\n");
	}
	fprintf(stderr, "---- end of log (kept in %s) ----\n", s->root);
	hbuf_free(&b);
}

static size_t
discard_cb(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

/* Waits for pid to exit, at most ms. Returns 0 with *status, or -1. */
static int
wait_exit(pid_t pid, int *status, long ms)
{
	long long end = now_ms() + ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= end)
			return -1;
		pause_ms(10);
	}
}

int
server_start(struct server *s)
{
	harness_global_init();
	s->port = harness_free_port();
	if (s->port < 0) {
		fprintf(stderr, "harness: no free port: %s\n", strerror(errno));
		return -1;
	}
	snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
	char listen[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);

	const char *argv[32];
	size_t n = 0;
	argv[n++] = harness_bin();
	argv[n++] = "serve";
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--data";
	argv[n++] = s->data;
	if (s->db[0] != '\0') {
		argv[n++] = "--db";
		argv[n++] = s->db;
	}
	for (size_t i = 0; s->args[i] != NULL && n < 31; i++)
		argv[n++] = s->args[i];
	argv[n] = NULL;

	int logfd =
	    open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		fprintf(stderr, "harness: open %s: %s\n", s->log,
		    strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(logfd);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		child_prepare();
		execv(argv[0], (char *const *)argv);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	s->pid = pid;

	CURL *h = curl_easy_init();
	char url[128];
	snprintf(url, sizeof url, "%s/healthz", s->base);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	long long end = now_ms() + START_MS;
	int rc = -1;
	while (now_ms() < end) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			s->pid = 0;
			print_log(s,
			    "server exited before it answered /healthz");
			break;
		}
		long code = 0;
		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) ==
			CURLE_OK &&
		    code == 200) {
			rc = 0;
			break;
		}
		pause_ms(25);
	}
	curl_easy_cleanup(h);
	if (rc != 0 && s->pid > 0) {
		kill(s->pid, SIGKILL);
		int st;
		waitpid(s->pid, &st, 0);
		s->pid = 0;
		print_log(s,
		    "server did not answer /healthz with 200 within 30 s");
	}
	return rc;
}

int
server_stop(struct server *s)
{
	if (s->pid <= 0)
		return 0;
	int status = 0;
	kill(s->pid, SIGTERM);
	if (wait_exit(s->pid, &status, WAIT_MS) != 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
		print_log(s, "server did not exit within 30 s of SIGTERM");
		return -1;
	}
	s->pid = 0;
	int rc = 0;
	char why[128] = "";
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			snprintf(why, sizeof why,
			    "server killed by signal %d after SIGTERM",
			    WTERMSIG(status));
		else
			snprintf(why, sizeof why,
			    "server exited with status %d after SIGTERM",
			    WEXITSTATUS(status));
		rc = -1;
	}
	struct hbuf log = { 0 };
	if (server_read_log(s, &log) == 0) {
		for (size_t i = 0;
		     i < sizeof sanitizer_marks / sizeof sanitizer_marks[0];
		     i++) {
			if (strstr(log.data, sanitizer_marks[i]) != NULL) {
				snprintf(why, sizeof why,
				    "server log contains \"%s\"",
				    sanitizer_marks[i]);
				rc = -1;
				break;
			}
		}
	}
	hbuf_free(&log);
	if (rc != 0)
		print_log(s, why);
	return rc;
}

int
server_restart(struct server *s)
{
	if (server_stop(s) != 0)
		return -1;
	return server_start(s);
}

int
server_cleanup(struct server *s)
{
	int rc = server_stop(s);
	if (s->root[0] != '\0' && !s->keep && getenv("HOLOS_E2E_KEEP") == NULL)
		remove_tree(s->root);
	s->root[0] = '\0';
	if (s->db_owned && (s->keep || getenv("HOLOS_E2E_KEEP") != NULL))
		fprintf(stderr, "harness: database kept: %s\n", s->db);
	else if (s->db_owned)
		db_drop(s);
	db_forget(s);
	return rc;
}

struct server *
server_new_seeded(const char *const *extra)
{
	const char *args[24];
	size_t n = 0;
	args[n++] = "--seed";
	args[n++] = SEED_PATH;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	struct server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (server_init(s, args) != 0 || server_start(s) != 0) {
		server_cleanup(s);
		free(s);
		return NULL;
	}
	return s;
}

int
server_free(struct server *s)
{
	if (s == NULL)
		return 0;
	int rc = server_cleanup(s);
	free(s);
	return rc;
}

/* ---- HTTP client ---- */

static size_t
body_cb(char *p, size_t sz, size_t n, void *u)
{
	hbuf_append(u, p, sz * n);
	return sz * n;
}

/* Keeps only the final response's header block (after 100 Continue). */
static size_t
header_cb(char *p, size_t sz, size_t n, void *u)
{
	struct hbuf *h = u;
	if (sz * n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		h->len = 0;
	hbuf_append(h, p, sz * n);
	return sz * n;
}

void
resp_free(struct resp *r)
{
	hbuf_free(&r->headers);
	hbuf_free(&r->body);
	memset(r, 0, sizeof *r);
}

/* Collects the header lines called name into all and/or last; returns how many. */
static size_t
header_each(const struct resp *r, const char *name, struct hbuf *all,
    char **last)
{
	size_t count = 0, nl = strlen(name);
	const char *p = r->headers.data;
	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1, *e = p + len;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v &&
			    (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (all != NULL) {
				if (count > 0)
					hbuf_puts(all, "\n");
				hbuf_append(all, v, (size_t)(e - v));
			}
			if (last != NULL) {
				free(*last);
				*last = xstrndup(v, (size_t)(e - v));
			}
			count++;
		}
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

char *
resp_header(const struct resp *r, const char *name)
{
	char *last = NULL;
	header_each(r, name, NULL, &last);
	return last;
}

char *
resp_header_all(const struct resp *r, const char *name)
{
	struct hbuf all = { 0 };
	header_each(r, name, &all, NULL);
	hbuf_append(&all, "", 0);
	return all.data;
}

struct client *
client_new(const struct server *s)
{
	harness_global_init();
	struct client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->srv = s;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return NULL;
	}
	curl_easy_setopt(c->curl, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "*");
	/* Send traversal paths as written instead of letting curl squash them. */
	curl_easy_setopt(c->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, header_cb);
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

static CURLcode
client_perform(struct client *c, const char *path, struct resp *r,
    struct curl_slist *hdrs)
{
	memset(r, 0, sizeof *r);
	char url[2048];
	snprintf(url, sizeof url, "%s%s", c->srv->base, path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	r->rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &r->num_connects);
	hbuf_append(&r->body, "", 0);
	hbuf_append(&r->headers, "", 0);
	if (r->rc != CURLE_OK)
		fprintf(stderr, "harness: %s: %s\n", url,
		    curl_easy_strerror(r->rc));
	return r->rc;
}

CURLcode
client_get(struct client *c, const char *path, struct resp *r)
{
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	return client_perform(c, path, r, NULL);
}

CURLcode
client_get_headers(struct client *c, const char *path,
    const char *const *headers, struct resp *r)
{
	struct curl_slist *h = NULL;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		h = curl_slist_append(h, headers[i]);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	CURLcode rc = client_perform(c, path, r, h);
	curl_slist_free_all(h);
	return rc;
}

static CURLcode
post(struct client *c, const char *path, const char *body, size_t len,
    const char *ctype, bool noexpect, const char *const *extra, struct resp *r)
{
	struct curl_slist *h = NULL;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		h = curl_slist_append(h, extra[i]);
	char ct[256];
	if (ctype != NULL) {
		snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
		h = curl_slist_append(h, ct);
	}
	if (noexpect)
		h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	CURLcode rc = client_perform(c, path, r, h);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(h);
	return rc;
}

CURLcode
client_post(struct client *c, const char *path, const char *body, size_t len,
    const char *ctype, struct resp *r)
{
	return post(c, path, body, len, ctype, false, NULL, r);
}

CURLcode
client_post_noexpect(struct client *c, const char *path, const char *body,
    size_t len, struct resp *r)
{
	return post(c, path, body, len, NULL, true, NULL, r);
}

CURLcode
client_post_headers(struct client *c, const char *path, const char *body,
    size_t len, const char *const *headers, struct resp *r)
{
	return post(c, path, body, len, NULL, false, headers, r);
}

int
client_post_many(struct client *const *clients, const char *path,
    const struct hbuf *bodies, struct resp *rs, size_t n)
{
	CURLM *m = curl_multi_init();
	if (m == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		CURL *h = clients[i]->curl;
		char url[2048];
		snprintf(url, sizeof url, "%s%s", clients[i]->srv->base, path);
		memset(&rs[i], 0, sizeof rs[i]);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &rs[i].body);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &rs[i].headers);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodies[i].len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, bodies[i].data);
		curl_multi_add_handle(m, h);
	}
	int running = 1, rc = 0;
	long long end = now_ms() + WAIT_MS;
	while (running > 0) {
		if (curl_multi_perform(m, &running) != CURLM_OK ||
		    now_ms() > end) {
			rc = -1;
			break;
		}
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		for (size_t i = 0; i < n; i++)
			if (msg->msg == CURLMSG_DONE &&
			    msg->easy_handle == clients[i]->curl)
				rs[i].rc = msg->data.result;
	}
	for (size_t i = 0; i < n; i++) {
		CURL *h = clients[i]->curl;
		curl_multi_remove_handle(m, h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs[i].status);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		hbuf_append(&rs[i].body, "", 0);
		hbuf_append(&rs[i].headers, "", 0);
	}
	curl_multi_cleanup(m);
	return rc;
}

/* ---- HTML ---- */

char *
html_escape(const char *s)
{
	struct hbuf b = { 0 };
	for (; *s; s++) {
		switch (*s) {
		case '&': hbuf_puts(&b, "&amp;"); break;
		case '<': hbuf_puts(&b, "&lt;"); break;
		case '>': hbuf_puts(&b, "&gt;"); break;
		case '"': hbuf_puts(&b, "&quot;"); break;
		case '\'': hbuf_puts(&b, "&#39;"); break;
		case '`': hbuf_puts(&b, "&#96;"); break;
		default: hbuf_append(&b, s, 1); break;
		}
	}
	hbuf_append(&b, "", 0);
	return b.data;
}

static void
put_utf8(struct hbuf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	hbuf_append(b, u, n);
}

char *
html_decode(const char *html)
{
	static const struct {
		const char *name;
		const char *text;
	} named[] = {
		{ "&amp;", "&" },
		{ "&lt;", "<" },
		{ "&gt;", ">" },
		{ "&quot;", "\"" },
		{ "&apos;", "'" },
		{ "&nbsp;", "\xC2\xA0" },
	};
	struct hbuf b = { 0 };
	const char *p = html;
	while (*p) {
		if (*p != '&') {
			hbuf_append(&b, p++, 1);
			continue;
		}
		bool done = false;
		for (size_t i = 0; i < sizeof named / sizeof named[0] && !done;
		     i++) {
			size_t n = strlen(named[i].name);
			if (strncmp(p, named[i].name, n) == 0) {
				hbuf_puts(&b, named[i].text);
				p += n;
				done = true;
			}
		}
		if (!done && p[1] == '#') {
			char *end;
			bool hex = p[2] == 'x' || p[2] == 'X';
			unsigned long cp =
			    strtoul(p + (hex ? 3 : 2), &end, hex ? 16 : 10);
			if (end != p + (hex ? 3 : 2) && *end == ';' && cp > 0 &&
			    cp < 0x110000) {
				put_utf8(&b, cp);
				p = end + 1;
				done = true;
			}
		}
		if (!done)
			hbuf_append(&b, p++, 1);
	}
	hbuf_append(&b, "", 0);
	return b.data;
}

char *
html_attr_value(const char *html, const char *attr)
{
	char pat[64];
	snprintf(pat, sizeof pat, " %s=\"", attr);
	const char *p = strstr(html, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	const char *e = strchr(p, '"');
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

char *
html_hidden(const char *html, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof pat, "name=\"%s\" value=\"", name);
	const char *p = strstr(html, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	const char *e = strchr(p, '"');
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

char *
html_csrf(const char *html)
{
	const char *p = html;
	while ((p = strstr(p, "name=\"csrf\"")) != NULL) {
		const char *tag = p;
		while (tag > html && *tag != '<')
			tag--;
		const char *end = strchr(p, '>');
		if (*tag == '<' && end != NULL &&
		    strncasecmp(tag, "<input", 6) == 0) {
			char *t = xstrndup(tag, (size_t)(end - tag));
			char *v = strstr(t, " value=\"");
			char *res = NULL;
			if (v != NULL) {
				v += 8;
				char *q = strchr(v, '"');
				if (q != NULL) {
					*q = '\0';
					res = html_decode(v);
				}
			}
			free(t);
			if (res != NULL)
				return res;
		}
		p++;
	}
	return NULL;
}

bool
html_shows_text(const char *html, const char *text)
{
	char *esc = html_escape(text);
	bool ok = strstr(html, esc) != NULL;
	free(esc);
	if (ok)
		return true;
	char *dec = html_decode(html);
	ok = strstr(dec, text) != NULL;
	if (!ok && strstr(text, "''") != NULL) {
		/* ICU MessageFormat writes a literal apostrophe as ''. */
		struct hbuf t = { 0 };
		for (const char *p = text; *p; p++) {
			hbuf_append(&t, p, 1);
			if (p[0] == '\'' && p[1] == '\'')
				p++;
		}
		ok = strstr(dec, t.data) != NULL;
		hbuf_free(&t);
	}
	free(dec);
	return ok;
}

/* ---- forms, petitions, catalogue ---- */

void
form_add_raw(struct hbuf *b, const char *key, const char *raw)
{
	if (b->len > 0)
		hbuf_puts(b, "&");
	hbuf_puts(b, key);
	if (raw != NULL) {
		hbuf_puts(b, "=");
		hbuf_puts(b, raw);
	}
}

void
form_add(struct hbuf *b, const char *key, const char *value)
{
	char *enc = curl_easy_escape(NULL, value, (int)strlen(value));
	form_add_raw(b, key, enc);
	curl_free(enc);
}

char *
client_fetch_csrf(struct client *c, const char *slug)
{
	char path[512];
	snprintf(path, sizeof path, "/p/%s", slug);
	struct resp r;
	client_get(c, path, &r);
	char *tok = r.status == 200 ? html_csrf(r.body.data) : NULL;
	if (tok == NULL)
		fprintf(stderr, "harness: GET %s gave %ld and no csrf token\n",
		    path, r.status);
	resp_free(&r);
	return tok;
}

struct signer
signer_default(const char *email)
{
	return (struct signer){
		.first_name = "Anna",
		.last_name = "Tester",
		.email = email,
		.country = "UA",
		.public_ = "1",
		.updates = "1",
	};
}

void
form_sign(struct hbuf *b, const struct signer *s, const char *csrf)
{
	const struct {
		const char *key, *value;
	} f[] = {
		{ "first_name", s->first_name },
		{ "last_name", s->last_name },
		{ "email", s->email },
		{ "country", s->country },
		{ "comment", s->comment },
		{ "public", s->public_ },
		{ "updates", s->updates },
		{ "csrf", csrf },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].value != NULL)
			form_add(b, f[i].key, f[i].value);
	if (s->extra != NULL)
		form_add_raw(b, s->extra, NULL);
}

long
client_sign(struct client *c, const char *slug, const struct signer *s,
    struct resp *r)
{
	memset(r, 0, sizeof *r);
	char *tok = client_fetch_csrf(c, slug);
	if (tok == NULL) {
		r->status = -1;
		return -1;
	}
	struct hbuf body = { 0 };
	form_sign(&body, s, tok);
	char path[512];
	snprintf(path, sizeof path, "/p/%s/sign", slug);
	client_post(c, path, body.data, body.len, NULL, r);
	hbuf_free(&body);
	free(tok);
	return r->status;
}

long
petition_count(const struct server *s, const char *slug)
{
	struct client *c = client_new(s);
	char path[512];
	snprintf(path, sizeof path, "/p/%s.json", slug);
	struct resp r;
	long count = -1;
	if (client_get(c, path, &r) == CURLE_OK && r.status == 200) {
		json_error_t err;
		json_t *j = json_loadb(r.body.data, r.body.len, 0, &err);
		json_t *n = json_object_get(j, "count");
		if (json_is_integer(n))
			count = (long)json_integer_value(n);
		else
			fprintf(stderr, "harness: %s: no integer count in %s\n",
			    path, r.body.data);
		json_decref(j);
	}
	resp_free(&r);
	client_free(c);
	return count;
}

char *
catalogue_lang(const char *lang, const char *key)
{
	char path[64];
	json_error_t err;

	snprintf(path, sizeof path, "locales/%s.json", lang);
	json_t *cat = json_load_file(path, 0, &err);
	if (cat == NULL) {
		fprintf(stderr, "harness: %s: %s (line %d)\n", path, err.text,
		    err.line);
		return NULL;
	}
	json_t *v = json_object_get(cat, key);
	char *s = NULL;
	if (json_is_string(v))
		s = xstrndup(json_string_value(v), json_string_length(v));
	else
		fprintf(stderr, "harness: %s has no string \"%s\"\n", path, key);
	json_decref(cat);
	return s;
}

char *
catalogue_get(const char *key)
{
	return catalogue_lang("en", key);
}

/* ---- message formats ---- */

static void
put_number(struct hbuf *b, long v)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
	if (v < 0)
		hbuf_puts(b, "-");
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			hbuf_puts(b, ",");
		hbuf_append(b, digits + i, 1);
	}
}

/* The end of the {…} block starting at p (which points at '{'). */
static const char *
block_end(const char *p, const char *end)
{
	int depth = 0;
	for (; p < end; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return end;
}

static void
format_range(struct hbuf *out, const char *p, const char *end,
    const char *const *names, const long *values, size_t n, const long *hash)
{
	while (p < end) {
		if (*p == '\'' && p + 1 < end && p[1] == '\'') {
			hbuf_puts(out, "'");
			p += 2;
		} else if (*p == '#' && hash != NULL) {
			put_number(out, *hash);
			p++;
		} else if (*p == '{') {
			const char *close = block_end(p, end);
			const char *q = p + 1;
			while (q < close && *q == ' ')
				q++;
			const char *name = q;
			while (q < close && *q != ',' && *q != ' ' && *q != '}')
				q++;
			size_t nl = (size_t)(q - name);
			long v = 0;
			for (size_t i = 0; i < n; i++)
				if (strlen(names[i]) == nl &&
				    strncmp(names[i], name, nl) == 0)
					v = values[i];
			while (q < close && (*q == ' ' || *q == ','))
				q++;
			if (strncmp(q, "plural", 6) == 0) {
				q = strchr(q, ',');
				q = q != NULL && q < close ? q + 1 : close;
				const char *pick = NULL, *pick_end = NULL,
					   *other = NULL, *other_end = NULL;
				char exact[32];
				snprintf(exact, sizeof exact, "=%ld", v);
				while (q < close) {
					while (q < close &&
					    (*q == ' ' || *q == '\n'))
						q++;
					const char *sel = q;
					while (
					    q < close && *q != '{' && *q != ' ')
						q++;
					size_t sl = (size_t)(q - sel);
					while (q < close && *q != '{')
						q++;
					if (q >= close)
						break;
					const char *be = block_end(q, close);
					bool is_exact = sl == strlen(exact) &&
					    strncmp(sel, exact, sl) == 0;
					bool is_one = sl == 3 &&
					    strncmp(sel, "one", 3) == 0 &&
					    v == 1;
					/* An exact =N wins over the category
					 * "one". */
					if (is_exact ||
					    (is_one && pick == NULL)) {
						pick = q + 1;
						pick_end = be;
					}
					if (sl == 5 &&
					    strncmp(sel, "other", 5) == 0) {
						other = q + 1;
						other_end = be;
					}
					q = be + 1;
				}
				if (pick == NULL) {
					pick = other;
					pick_end = other_end;
				}
				if (pick != NULL)
					format_range(out, pick, pick_end, names,
					    values, n, &v);
			} else {
				put_number(out, v);
			}
			p = close + 1;
		} else {
			hbuf_append(out, p++, 1);
		}
	}
}

char *
msg_format(const char *pattern, const char *const *names, const long *values,
    size_t n)
{
	struct hbuf out = { 0 };
	format_range(&out, pattern, pattern + strlen(pattern), names, values, n,
	    NULL);
	hbuf_append(&out, "", 0);
	return out.data;
}

char *
expected_count_line(long count, long goal)
{
	char *pat = catalogue_get("count_line");
	if (pat == NULL)
		return NULL;
	const char *names[] = { "count", "goal" };
	const long values[] = { count, goal };
	char *s = msg_format(pat, names, values, 2);
	free(pat);
	return s;
}

char *
html_count_line(const char *html)
{
	const char *p = strstr(html, "id=\"count\"");
	if (p == NULL)
		return NULL;
	p = strchr(p, '>');
	if (p == NULL)
		return NULL;
	p++;
	const char *e = strchr(p, '<');
	if (e == NULL)
		return NULL;
	while (p < e && (*p == ' ' || *p == '\n'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\n'))
		e--;
	char *raw = xstrndup(p, (size_t)(e - p));
	char *dec = html_decode(raw);
	free(raw);
	return dec;
}

/* ---- command line ---- */

int
cli_run(const char *const *argv, struct hbuf *out, struct hbuf *err)
{
	harness_global_init();
	const char *av[32];
	size_t n = 0;
	av[n++] = harness_bin();
	const char *data = NULL;
	bool has_db = false;
	for (size_t i = 0; argv[i] != NULL && n < 31; i++) {
		if (strcmp(argv[i], "--data") == 0 && argv[i + 1] != NULL)
			data = argv[i + 1];
		has_db = has_db || strcmp(argv[i], "--db") == 0;
		av[n++] = argv[i];
	}
	/* Under PostgreSQL a command on a server's data folder works on that
	 * server's database. */
	const char *db = data != NULL && !has_db ? db_of_data(data) : NULL;
	if (db != NULL && n < 30) {
		av[n++] = "--db";
		av[n++] = db;
	}
	av[n] = NULL;

	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		child_prepare();
		execv(av[0], (char *const *)av);
		dprintf(2, "harness: exec %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	struct hbuf *dst[2] = { out, err };
	struct hbuf sink = { 0 };
	int open_fds = 2;
	long long end = now_ms() + WAIT_MS;
	bool timeout = false;
	while (open_fds > 0) {
		long long left = end - now_ms();
		if (left <= 0) {
			timeout = true;
			break;
		}
		if (poll(fds, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			char chunk[4096];
			ssize_t k = read(fds[i].fd, chunk, sizeof chunk);
			if (k > 0) {
				hbuf_append(dst[i] ? dst[i] : &sink, chunk,
				    (size_t)k);
			} else if (k == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	hbuf_free(&sink);
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int status;
	if (timeout ||
	    wait_exit(pid, &status, end - now_ms() > 0 ? end - now_ms() : 1) !=
		0) {
		fprintf(stderr, "harness: %s %s did not finish within 30 s\n",
		    av[0], av[1] ? av[1] : "");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (out != NULL)
		hbuf_append(out, "", 0);
	if (err != NULL)
		hbuf_append(err, "", 0);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int
cli_run_env(const char *const *argv, const char *const *env, struct hbuf *out,
    struct hbuf *err)
{
	child_env = env;
	int st = cli_run(argv, out, err);
	child_env = NULL;
	return st;
}

/* ---- a real SMTP server for the tests (tests/smtp/smtpd.py) ---- */

#define PYTHON HARNESS_PYTHON
#define SMTPD HARNESS_SMTPD

/* Parses one message with Python's email package (policy.default decodes
 * encoded-words, quoted-printable and base64) and prints it as JSON. */
static const char mail_script[] =
    "import sys, json, email, email.policy\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "m = email.message_from_bytes(raw, policy=email.policy.default)\n"
    "to = m['To']\n"
    "out = {\n"
    "    'names': list(m.keys()),\n"
    "    'headers': {k.lower(): str(v) for k, v in m.items()},\n"
    "    'to': [a.addr_spec for a in to.addresses] if to is not None else [],\n"
    "    'type': m.get_content_type(),\n"
    "    'defects': [repr(d) for d in m.defects],\n"
    "    'parts': [],\n"
    "}\n"
    "for p in m.walk():\n"
    "    if p.is_multipart():\n"
    "        continue\n"
    "    out['parts'].append({'type': p.get_content_type(),\n"
    "        'cte': str(p.get('Content-Transfer-Encoding', '')),\n"
    "        'text': p.get_content()})\n"
    "print(json.dumps(out))\n";

/* How often needle occurs in s. */
int
count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(s, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

/* run_capture(), with standard error into out too when both. */
static int
capture(const char *const *argv, struct hbuf *out, bool both)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(p[1], 1);
		if (both)
			dup2(p[1], 2);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	long long end = now_ms() + WAIT_MS;
	struct pollfd pfd = { p[0], POLLIN, 0 };
	for (;;) {
		long long left = end - now_ms();
		if (left <= 0)
			break;
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		char chunk[4096];
		ssize_t k = read(p[0], chunk, sizeof chunk);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		hbuf_append(out, chunk, (size_t)k);
	}
	close(p[0]);
	hbuf_append(out, "", 0);
	int st = 0;
	while (now_ms() < end && waitpid(pid, &st, WNOHANG) == 0)
		pause_ms(10);
	if (now_ms() >= end) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fprintf(stderr, "harness: %s did not finish within 30 s\n",
		    argv[0]);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
run_capture(const char *const *argv, struct hbuf *out)
{
	return capture(argv, out, false);
}

int
run_capture_all(const char *const *argv, struct hbuf *out)
{
	return capture(argv, out, true);
}

/* ---- the SMTP server ---- */

/* Starts smtpd.py on port (0: the kernel picks) with maildir dir and extra
 * arguments (NULL-terminated, may be NULL); waits for "ready PORT". Its
 * stderr goes to dir.log. Returns 0, or -1 with a message. */
int
smtpd_start(struct smtpd *s, const char *dir, int port, const char *const *extra)
{
	char portarg[16], logpath[450];
	const char *argv[24];
	size_t n = 0;

	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	snprintf(portarg, sizeof portarg, "%d", port);
	snprintf(logpath, sizeof logpath, "%s.log", dir);
	argv[n++] = PYTHON;
	argv[n++] = SMTPD;
	argv[n++] = "--port";
	argv[n++] = portarg;
	argv[n++] = "--maildir";
	argv[n++] = s->dir;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	if ((s->pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (s->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(p[1], 1);
		if (logfd >= 0)
			dup2(logfd, 2);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	char line[64];
	size_t got = 0;
	struct pollfd pfd = { p[0], POLLIN, 0 };
	long long end = now_ms() + WAIT_MS;
	while (got < sizeof line - 1 && memchr(line, '\n', got) == NULL) {
		long long left = end - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			break;
		ssize_t k = read(p[0], line + got, sizeof line - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	line[got] = '\0';
	close(p[0]);
	if (sscanf(line, "ready %d", &s->port) != 1 || s->port <= 0 ||
	    (port != 0 && s->port != port)) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
		fprintf(stderr,
		    "harness: %s did not get ready (said \"%s\"; see %s)\n",
		    SMTPD, line, logpath);
		return -1;
	}
	return 0;
}

/* SIGTERM and wait. Returns 0 when it stopped cleanly (or never ran). */
int
smtpd_stop(struct smtpd *s)
{
	if (s->pid <= 0)
		return 0;
	int st = 0;
	kill(s->pid, SIGTERM);
	long long end = now_ms() + WAIT_MS;
	pid_t r;
	while ((r = waitpid(s->pid, &st, WNOHANG)) == 0 && now_ms() < end)
		pause_ms(10);
	if (r != s->pid) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &st, 0);
		s->pid = 0;
		fprintf(stderr, "harness: smtpd.py did not stop on SIGTERM\n");
		return -1;
	}
	s->pid = 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* How many messages the maildir holds (N.eml files in new/). */
int
maildir_count(const struct smtpd *s)
{
	char path[450];
	snprintf(path, sizeof path, "%s/new", s->dir);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Waits (ms at most) until at least n messages arrived; returns the count. */
int
maildir_wait(const struct smtpd *s, int n, long ms)
{
	long long end = now_ms() + ms;
	int have;
	while ((have = maildir_count(s)) < n && now_ms() < end)
		pause_ms(20);
	return have;
}

/* The envelope of message i (1-based) into out. Returns 0 or -1. */
int
maildir_env(const struct smtpd *s, int i, struct hbuf *out)
{
	char path[450];
	snprintf(path, sizeof path, "%s/new/%d.env", s->dir, i);
	return slurp(path, out);
}

int
maildir_find_nth(const struct smtpd *s, const char *rcpt, int k, long ms)
{
	char want[300];
	snprintf(want, sizeof want, "RCPT TO: <%s>\n", rcpt);
	long long end = now_ms() + ms;
	for (;;) {
		int n = maildir_count(s), seen = 0;
		for (int i = 1; i <= n; i++) {
			struct hbuf env = { 0 };
			bool hit = maildir_env(s, i, &env) == 0 &&
			    strstr(env.data, want) != NULL;
			hbuf_free(&env);
			if (hit && ++seen == k)
				return i;
		}
		if (now_ms() >= end)
			return 0;
		pause_ms(20);
	}
}

int
maildir_find(const struct smtpd *s, const char *rcpt, long ms)
{
	return maildir_find_nth(s, rcpt, 1, ms);
}

int
maildir_quiet(const struct smtpd *s, int n, long ms)
{
	long long end = now_ms() + ms;
	int have;
	while ((have = maildir_count(s)) == n && now_ms() < end)
		pause_ms(50);
	return have;
}

/* Message i parsed by mail_script; the caller json_decref()s it. NULL (with a
 * message) when it cannot be parsed. */
json_t *
mail_parse(const struct smtpd *s, int i)
{
	char path[450];
	snprintf(path, sizeof path, "%s/new/%d.eml", s->dir, i);
	const char *argv[] = { PYTHON, "-c", mail_script, path, NULL };
	struct hbuf out = { 0 };
	int st = run_capture(argv, &out);
	if (st != 0) {
		fprintf(stderr,
		    "parsing %s with python's email package: status %d\n", path,
		    st);
		hbuf_free(&out);
		return NULL;
	}
	json_error_t err;
	json_t *j = json_loadb(out.data, out.len, 0, &err);
	if (j == NULL)
		fprintf(stderr, "parsing %s: bad JSON from python: %s\n", path,
		    err.text);
	hbuf_free(&out);
	return j;
}

/* A decoded header of a parsed message, or NULL when absent. */
const char *
mail_header(json_t *m, const char *lower_name)
{
	return json_string_value(
	    json_object_get(json_object_get(m, "headers"), lower_name));
}

/* The decoded text of the first part of type (e.g. "text/plain"), or NULL. */
const char *
mail_part(json_t *m, const char *type)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(m, "parts"), i, p)
	{
		const char *t = json_string_value(json_object_get(p, "type"));
		if (t != NULL && strcmp(t, type) == 0)
			return json_string_value(json_object_get(p, "text"));
	}
	return NULL;
}

/* The first link in text that starts with base and then prefix ("/c/"),
 * as a path from prefix on (query kept), malloc'd; NULL when none. */
char *
link_path(const char *text, const char *base, const char *prefix)
{
	char start[128];
	snprintf(start, sizeof start, "%s%s", base, prefix);
	const char *p = text != NULL ? strstr(text, start) : NULL;
	if (p == NULL)
		return NULL;
	p += strlen(base);
	size_t n = strcspn(p, " \t\r\n\"'<>");
	return strndup(p, n);
}

/* ---- accounts ---- */

/* ---- the second factor of the accounts the tests made ---- */

/* Each moderator's and admin's TOTP secret once the harness enrolled it,
 * and the last time step it answered with (a code is good once). */
static struct twofa {
	char data[300];
	char email[128];
	bool moderates;
	unsigned char secret[64];
	size_t slen;
	long long last_step;
	/* The recovery codes shown at enrolment, and how many were used. */
	char recovery[10][24];
	int nrecovery, used_recovery;
} twofas[128];
static size_t ntwofa;

/* email as holos keys it: trimmed, lower case. */
static void
twofa_key(const char *email, char *out, size_t len)
{
	size_t n = 0;
	while (*email == ' ')
		email++;
	for (; *email != '\0' && n + 1 < len; email++)
		out[n++] =
		    (char)(*email >= 'A' && *email <= 'Z' ? *email - 'A' + 'a' :
							    *email);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static struct twofa *
twofa_find(const struct server *s, const char *email)
{
	char key[128];
	twofa_key(email, key, sizeof key);
	for (size_t i = 0; i < ntwofa; i++)
		if (strcmp(twofas[i].data, s->data) == 0 &&
		    strcmp(twofas[i].email, key) == 0)
			return &twofas[i];
	return NULL;
}

static void
twofa_note(const struct server *s, const char *email, bool moderates)
{
	struct twofa *t = twofa_find(s, email);
	if (t == NULL && ntwofa < sizeof(twofas) / sizeof(twofas[0]))
		t = &twofas[ntwofa++];
	if (t == NULL)
		return;
	memset(t, 0, sizeof(*t));
	snprintf(t->data, sizeof t->data, "%s", s->data);
	twofa_key(email, t->email, sizeof t->email);
	t->moderates = moderates;
}

void
harness_twofa_forget(const struct server *s, const char *email)
{
	struct twofa *t = twofa_find(s, email);
	if (t != NULL) {
		t->slen = 0;
		t->last_step = 0;
		t->nrecovery = t->used_recovery = 0;
	}
}

int
harness_totp_code(const unsigned char *secret, size_t len, long long step,
    char out[7])
{
	static int ready;
	if (!ready && oath_init() == OATH_OK)
		ready = 1;
	return oath_totp_generate((const char *)secret, len,
		   (time_t)(step * 30), 30, 0, 6, out) == OATH_OK ?
	    0 :
	    -1;
}

/* The next code t may answer with: a step after its last one and no more
 * than one ahead of now. When that step has not come yet, one of the
 * recovery codes (a sign-in with one is as good); with none left, it waits
 * for the clock (up to 30 s). code has room for a recovery code. */
static void
twofa_next_code(struct twofa *t, char code[24])
{
	long long step = (long long)time(NULL) / 30;
	if (step <= t->last_step)
		step = t->last_step + 1;
	if ((long long)time(NULL) / 30 < step - 1 &&
	    t->used_recovery < t->nrecovery) {
		snprintf(code, 24, "%s", t->recovery[t->used_recovery++]);
		return;
	}
	while ((long long)time(NULL) / 30 < step - 1)
		pause_ms(200);
	t->last_step = step;
	if (harness_totp_code(t->secret, t->slen, step, code) != 0)
		fail_msg("liboath cannot make a code");
}

/* POSTs the code form at path (its csrf and next fields kept) with code;
 * the answer's body goes to *page (malloc'd) when page is not NULL. */
static long
post_code(struct client *c, const char *path, const char *code, char **page)
{
	struct resp r;
	struct hbuf b = { 0 };
	client_get(c, path, &r);
	if (r.status != 200) {
		long st = r.status;
		resp_free(&r);
		return st == 0 ? -1 : st;
	}
	char *tok = html_hidden(r.body.data, "csrf");
	char *next = html_hidden(r.body.data, "next");
	char *action = html_form_action(r.body.data);
	resp_free(&r);
	if (tok == NULL || action == NULL) {
		free(tok);
		free(next);
		free(action);
		return -1;
	}
	form_add(&b, "code", code);
	form_add(&b, "csrf", tok);
	if (next != NULL)
		form_add(&b, "next", next);
	client_post(c, action, b.data, b.len, NULL, &r);
	long st = r.status;
	if (page != NULL)
		*page = r.body.data != NULL ?
		    xstrndup(r.body.data, r.body.len) :
		    NULL;
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	free(next);
	free(action);
	return st;
}

/* Keeps the recovery codes listed on page (the enrolment's answer). */
static void
twofa_keep_recovery(struct twofa *t, const char *page)
{
	const char *p =
	    page != NULL ? strstr(page, "id=\"recovery-codes\"") : NULL;
	const char *end = p != NULL ? strstr(p, "</ul>") : NULL;

	t->nrecovery = t->used_recovery = 0;
	while (p != NULL && t->nrecovery < 10 &&
	    (p = strstr(p, "<li><code>")) != NULL && p < end) {
		p += 10;
		size_t n = strcspn(p, "<");
		if (n > 0 && n < sizeof t->recovery[0])
			snprintf(t->recovery[t->nrecovery++],
			    sizeof t->recovery[0], "%.*s", (int)n, p);
	}
}

long
harness_twofa_enrol(struct client *c, const char *email)
{
	struct twofa *t = twofa_find(c->srv, email);
	struct resp r;
	char code[24];
	if (t == NULL)
		return -1;
	client_get(c, "/me/2fa", &r);
	char *secret = r.status == 200 ?
	    html_attr_value(r.body.data, "data-secret") :
	    NULL;
	resp_free(&r);
	if (secret == NULL)
		return -1;
	char *raw = NULL;
	size_t rawlen = 0;
	if (oath_init() != OATH_OK ||
	    oath_base32_decode(secret, strlen(secret), &raw, &rawlen) !=
		OATH_OK ||
	    rawlen > sizeof t->secret) {
		free(secret);
		free(raw);
		return -1;
	}
	memcpy(t->secret, raw, rawlen);
	t->slen = rawlen;
	t->last_step = 0;
	t->nrecovery = t->used_recovery = 0; /* enrolment takes a TOTP code */
	free(raw);
	free(secret);
	twofa_next_code(t, code);
	char *page = NULL;
	long st = post_code(c, "/me/2fa", code, &page);
	twofa_keep_recovery(t, page);
	free(page);
	return st;
}

long
harness_login_finish(struct client *c, const char *email, struct resp *r)
{
	struct twofa *t = twofa_find(c->srv, email);
	char *loc = resp_header(r, "Location");
	char code[24];
	long st = r->status;
	if (st != 303 || loc == NULL || t == NULL) {
		free(loc);
		return st;
	}
	if (strncmp(loc, "/login/2fa", 10) == 0) {
		if (t->slen == 0) {
			free(loc);
			fail_msg("%s owes a second factor the harness never "
				 "enrolled",
			    email);
		}
		twofa_next_code(t, code);
		st = post_code(c, loc, code, NULL);
	} else if (t->moderates && t->slen == 0) {
		/* Signed in, not enrolled yet: enrol, as moderating asks. */
		long e = harness_twofa_enrol(c, email);
		if (e != 200)
			fail_msg("enrolling %s in two-step sign-in: status %ld",
			    email, e);
	}
	free(loc);
	return st;
}

int
harness_user_add(const struct server *s, const char *email, const char *role,
    const char *password)
{
	int in[2];
	pid_t pid;
	int st;

	if (pipe(in) != 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		dup2(in[0], STDIN_FILENO);
		close(in[1]);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		/* Under PostgreSQL the account goes to the server's database. */
		if (s->db[0] != '\0')
			execl(harness_bin(), harness_bin(), "user", "add",
			    "--data", s->data, "--db", s->db, "--email", email,
			    "--role", role, (char *)NULL);
		else
			execl(harness_bin(), harness_bin(), "user", "add",
			    "--data", s->data, "--email", email, "--role", role,
			    (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	if (pid < 0 || write(in[1], password, strlen(password)) < 0 ||
	    write(in[1], "\n", 1) < 0) {
		close(in[1]);
		return -1;
	}
	close(in[1]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		twofa_note(s, email, strcmp(role, "starter") != 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long
client_login(struct client *c, const char *email, const char *password)
{
	struct resp r;
	struct hbuf b = { 0 };
	char *tok;
	long st;

	client_get(c, "/login", &r);
	tok = r.status == 200 ? html_hidden(r.body.data, "csrf") : NULL;
	resp_free(&r);
	if (tok == NULL)
		return -1;
	form_add(&b, "email", email);
	form_add(&b, "password", password);
	form_add(&b, "csrf", tok);
	client_post(c, "/login", b.data, b.len, NULL, &r);
	st = harness_login_finish(c, email, &r);
	resp_free(&r);
	hbuf_free(&b);
	free(tok);
	return st;
}

int
server_db_exec(const struct server *s, const char *sql)
{
	char path[400];
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	if (s->db[0] != '\0')
		return pg_scalar(s->db, sql) < 0 ? -1 : 0;
	snprintf(path, sizeof path, "%s/holos.db", s->data);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "harness: cannot open %s\n", path);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "harness: %s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

long long
server_db_scalar(const struct server *s, const char *sql)
{
	char path[400];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (s->db[0] != '\0')
		return pg_scalar(s->db, sql);
	snprintf(path, sizeof path, "%s/holos.db", s->data);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "harness: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int
smtpd_available(void)
{
	const char *check[] = { PYTHON, "-c", "import aiosmtpd", NULL };
	struct hbuf out = { 0 };
	int rc = run_capture(check, &out);

	hbuf_free(&out);
	if (rc != 0)
		fprintf(stderr,
		    "harness: %s cannot import aiosmtpd: install "
		    "python3-aiosmtpd (sh scripts/deps.sh)\n",
		    PYTHON);
	return rc == 0 ? 0 : -1;
}

int
mailworld_start(struct mailworld *w, const char *const *args,
    const char *const *smtpd_extra)
{
	const char *all[16];
	char dir[sizeof w->mail.dir];
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	all[n++] = "--smtp";
	all[n++] = w->url; /* filled in below, before the server starts */
	for (size_t i = 0; args != NULL && args[i] != NULL && n < 15; i++)
		all[n++] = args[i];
	all[n] = NULL;
	if (server_init(&w->srv, all) != 0)
		return -1;
	snprintf(dir, sizeof dir, "%s/mail", w->srv.root);
	if (smtpd_start(&w->mail, dir, 0, smtpd_extra) != 0)
		return -1;
	snprintf(w->url, sizeof w->url, "smtp://127.0.0.1:%d", w->mail.port);
	return server_start(&w->srv);
}

int
mailworld_end(struct mailworld *w)
{
	int rc = smtpd_stop(&w->mail);

	if (!w->passed)
		w->srv.keep = true;
	if (w->srv.keep && w->srv.root[0] != '\0')
		fprintf(stderr, "harness: kept %s for a look\n", w->srv.root);
	if (server_cleanup(&w->srv) != 0)
		rc = -1;
	return rc;
}

/* ---- for many tests ---- */

static struct {
	struct server **srv;
	const char *const *extra;
	int (*then)(struct server *);
} group;

void
server_group(struct server **srv, const char *const *extra,
    int (*then)(struct server *))
{
	group.srv = srv;
	group.extra = extra;
	group.then = then;
}

int
server_group_setup(void **state)
{
	(void)state;
	*group.srv = server_new_seeded(group.extra);
	if (*group.srv == NULL)
		return -1;
	if (group.then != NULL && group.then(*group.srv) != 0) {
		fprintf(stderr, "harness: the group's setup failed\n");
		(*group.srv)->keep = true;
		return -1;
	}
	return 0;
}

int
server_group_teardown(void **state)
{
	(void)state;
	int rc = server_free(*group.srv);
	*group.srv = NULL;
	return rc;
}

int
mailworld_setup(void **state)
{
	memset(*state, 0, sizeof(struct mailworld));
	return 0;
}

int
mailworld_teardown(void **state)
{
	return mailworld_end(*state);
}

char *
html_form_action(const char *html)
{
	const char *f = strstr(html, "<form method=\"post\"");
	const char *a = f != NULL ? strstr(f, "action=\"") : NULL;
	const char *close = f != NULL ? strchr(f, '>') : NULL;
	if (a == NULL || a > close)
		return NULL;
	a += 8;
	const char *e = strchr(a, '"');
	if (e == NULL)
		return NULL;
	char *raw = xstrndup(a, (size_t)(e - a));
	char *dec = html_decode(raw);
	free(raw);
	return dec;
}

char *
msg_arg(const char *pattern, const char *name, const char *value)
{
	char ph[64];
	snprintf(ph, sizeof ph, "{%s}", name);
	const char *p = strstr(pattern, ph);
	struct hbuf b = { 0 };
	if (p == NULL) {
		hbuf_puts(&b, pattern);
		return b.data;
	}
	hbuf_append(&b, pattern, (size_t)(p - pattern));
	hbuf_puts(&b, value);
	hbuf_puts(&b, p + strlen(ph));
	return b.data;
}

int
server_log_count(const struct server *s, const char *needle)
{
	struct hbuf log = { 0 };
	int n = server_read_log(s, &log) == 0 ? count_of(log.data, needle) : 0;
	hbuf_free(&log);
	return n;
}

int
server_log_wait(const struct server *s, const char *needle, int above, long ms)
{
	long long end = now_ms() + ms;
	struct hbuf log = { 0 };
	int n = 0;
	/* Polls the log as it is; the last look waits for held lines. */
	while (now_ms() < end) {
		n = slurp(s->log, &log) == 0 ? count_of(log.data, needle) : 0;
		hbuf_free(&log);
		if (n > above)
			return n;
		pause_ms(20);
	}
	return server_log_count(s, needle);
}

long
petition_count_wait(const struct server *s, const char *slug, long want, long ms)
{
	long long end = now_ms() + ms;
	long n;
	while ((n = petition_count(s, slug)) != want && now_ms() < end)
		pause_ms(50);
	return n;
}

long
sign_fresh(const struct server *s, const char *slug, const struct signer *who,
    const char *lang, char **location)
{
	struct client *c = client_new(s);
	struct resp r;
	long st = 0;
	if (location != NULL)
		*location = NULL;
	if (c == NULL)
		return -1;
	if (lang != NULL) {
		char path[256];
		snprintf(path, sizeof path, "/p/%s?lang=%s", slug, lang);
		if (client_get(c, path, &r) != CURLE_OK || r.status != 200) {
			fprintf(stderr, "harness: GET %s: status %ld\n", path,
			    r.status);
			st = -1;
		}
		resp_free(&r);
	}
	if (st == 0) {
		st = client_sign(c, slug, who, &r);
		if (location != NULL)
			*location = resp_header(&r, "Location");
		resp_free(&r);
	}
	client_free(c);
	return st;
}

long
sign_with_header(const struct server *s, const char *slug,
    const struct signer *who, const char *csrf, const char *header)
{
	struct client *c = client_new(s);
	char *own = NULL, path[256];
	struct hbuf b = { 0 };
	struct resp r;
	long st = -1;
	if (c == NULL)
		return -1;
	if (csrf == NULL)
		csrf = own = client_fetch_csrf(c, slug);
	if (csrf != NULL) {
		const char *const h[] = { header, NULL };
		form_sign(&b, who, csrf);
		snprintf(path, sizeof path, "/p/%s/sign", slug);
		st = client_post_headers(c, path, b.data, b.len, h, &r) ==
			CURLE_OK ?
		    r.status :
		    0;
		resp_free(&r);
	}
	hbuf_free(&b);
	free(own);
	client_free(c);
	return st;
}

int
outbox_list(const struct server *s, struct outbox_row **rows)
{
	const char *argv[] = { "outbox", "--data", s->data, "list", NULL };
	struct hbuf out = { 0 }, err = { 0 };
	int n = 0, cap = 0;
	*rows = NULL;
	int st = cli_run(argv, &out, &err);
	if (st != 0) {
		fprintf(stderr, "harness: holos outbox list: status %d: %s\n",
		    st, err.data ? err.data : "");
		hbuf_free(&out);
		hbuf_free(&err);
		return -1;
	}
	const char *p = strchr(out.data, '\n'); /* past the heading */
	for (p = p != NULL ? p + 1 : ""; *p != '\0';) {
		size_t len = strcspn(p, "\n");
		struct outbox_row r;
		snprintf(r.line, sizeof r.line, "%.*s", (int)len, p);
		if (sscanf(r.line, "%lld %15s %d", &r.id, r.state,
			&r.attempts) == 3) {
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				*rows = xrealloc(*rows,
				    (size_t)cap * sizeof **rows);
			}
			(*rows)[n++] = r;
		}
		p += len + (p[len] == '\n');
	}
	hbuf_free(&out);
	hbuf_free(&err);
	return n;
}

int
outbox_rows_in(const struct outbox_row *rows, int n, const char *state,
    int min_attempts, const char *word)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if ((state == NULL || strcmp(rows[i].state, state) == 0) &&
		    rows[i].attempts >= min_attempts &&
		    (word == NULL || strstr(rows[i].line, word) != NULL))
			k++;
	return k;
}

/* ---- for cmocka tests: these fail the running test ---- */

void
client_get_expect(struct client *c, const char *path, long status,
    struct resp *r)
{
	assert_int_equal(client_get(c, path, r), CURLE_OK);
	if (r->status != status)
		fail_msg("GET %s: status %ld, wanted %ld:\n%.2000s", path,
		    r->status, status, r->body.data ? r->body.data : "");
}

char *
client_page_csrf(struct client *c, const char *path)
{
	struct resp r;
	client_get_expect(c, path, 200, &r);
	char *tok = html_csrf(r.body.data);
	if (tok == NULL)
		fail_msg("no form token on %s:\n%.2000s", path, r.body.data);
	resp_free(&r);
	return tok;
}

struct client *
client_signed_in(const struct server *s, const char *email, const char *password)
{
	struct client *c = client_new(s);
	assert_non_null(c);
	long st = client_login(c, email, password);
	if (st != 303)
		fail_msg("signing in as %s: status %ld, wanted 303", email, st);
	return c;
}

char *
client_page_until(struct client *c, const char *path, const char *needle,
    long ms)
{
	long long end = now_ms() + ms;
	for (;;) {
		struct resp r;
		client_get_expect(c, path, 200, &r);
		char *page = strstr(r.body.data, needle) != NULL ?
		    xstrndup(r.body.data, r.body.len) :
		    NULL;
		resp_free(&r);
		if (page != NULL || now_ms() >= end)
			return page;
		pause_ms(100);
	}
}

long
client_press_button(struct client *c, const char *path, struct resp *r)
{
	struct resp g;
	client_get_expect(c, path, 200, &g);
	char *tok = html_csrf(g.body.data);
	char *action = html_form_action(g.body.data);
	if (tok == NULL || action == NULL ||
	    strstr(g.body.data, "<button") == NULL)
		fail_msg("%s has no form with a token and a button:\n%.2000s",
		    path, g.body.data);
	resp_free(&g);
	struct hbuf b = { 0 };
	form_add(&b, "csrf", tok);
	assert_int_equal(client_post(c, action, b.data, b.len, NULL, r),
	    CURLE_OK);
	hbuf_free(&b);
	free(action);
	free(tok);
	return r->status;
}

long
mail_follow(struct client *c, const struct smtpd *m, const char *rcpt,
    const char *prefix, long ms)
{
	int i = maildir_find(m, rcpt, ms);
	if (i == 0)
		fail_msg("no mail to %s within %ld ms", rcpt, ms);
	json_t *msg = mail_parse(m, i);
	assert_non_null(msg);
	char *link =
	    link_path(mail_part(msg, "text/plain"), c->srv->base, prefix);
	if (link == NULL)
		fail_msg("the mail to %s has no %s%s link", rcpt, c->srv->base,
		    prefix);
	struct resp r;
	long st = client_press_button(c, link, &r);
	resp_free(&r);
	free(link);
	json_decref(msg);
	return st;
}

void
assert_page_shows(const char *html, const char *lang, const char *key)
{
	char *text = catalogue_lang(lang, key);
	assert_non_null(text);
	if (!html_shows_text(html, text))
		fail_msg("the page does not show %s.%s \"%s\":\n%s", lang, key,
		    text, html);
	free(text);
}

void
assert_log_lacks(const struct server *s, const char *const *needles)
{
	struct hbuf log = { 0 };
	assert_int_equal(server_read_log(s, &log), 0);
	for (size_t i = 0; needles != NULL && needles[i] != NULL; i++) {
		const char *hit = strstr(log.data, needles[i]);
		if (hit == NULL)
			continue;
		const char *bol = hit;
		while (bol > log.data && bol[-1] != '\n')
			bol--;
		fail_msg("the server log contains \"%s\":\n%.*s", needles[i],
		    (int)strcspn(bol, "\n"), bol);
	}
	hbuf_free(&log);
}

int
harness_hold_conn(const struct server *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	char buf[8192];
	const char *req = "GET /p/" SEED_SLUG ".json HTTP/1.1\r\n"
			  "Host: 127.0.0.1\r\n\r\n";
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_port = htons((uint16_t)s->port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto fail;
	/* The head and as much body as its Content-Length says. */
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			goto fail;
		got += (size_t)n;
		buf[got] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		char *cl = strcasestr(buf, "\r\nContent-Length:");
		if (end != NULL && cl != NULL &&
		    got >= (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10))
			break;
		if (got == sizeof buf - 1)
			goto fail;
	}
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

void
harness_hold_conns(const struct server *s, int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if ((fds[i] = harness_hold_conn(s)) < 0)
			fail_msg("cannot hold connection %d open", i);
}
