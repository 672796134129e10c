/* harness.h - runs the real holos binary and talks to it over HTTP for the
 * end-to-end tests. */
#ifndef HOLOS_E2E_HARNESS_H
#define HOLOS_E2E_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>

#define SEED_PATH "seed/petition.md"
#define SEED_SLUG "kremlin-prisoners-covid19"
#define SEED_TITLE \
	"The prisoners of the Kremlin are defenseless against COVID-19. We have to be their voice!"
#define SEED_GOAL 15000
/* Signatures count when made, not after email confirmation: the signing
 * tests are about the form; e2e_confirm.c covers the confirmation. */
#define COUNT_ON_SIGN "--count-on-sign"

/* A growable byte buffer, always NUL-terminated once anything was added.
 * Allocation failure aborts: this is test code. */
struct hbuf {
	char *data;
	size_t len, cap;
};

void hbuf_append(struct hbuf *b, const void *p, size_t n);
void hbuf_puts(struct hbuf *b, const char *s);
void hbuf_printf(struct hbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hbuf_free(struct hbuf *b);

/* A multipart/form-data body, part by part, with HARNESS_BOUNDARY; post it
 * with Content-Type HARNESS_MULTIPART. A file part's name and type are what
 * a client claims (holos reads neither). */
#define HARNESS_BOUNDARY "holosTestBoundary7MA4YWxkTrZu0gW"
#define HARNESS_MULTIPART "multipart/form-data; boundary=" HARNESS_BOUNDARY
void multipart_field(struct hbuf *b, const char *name, const char *value);
void multipart_file(struct hbuf *b, const char *name, const char *filename,
    const char *type, const void *data, size_t len);
void multipart_end(struct hbuf *b);

/* One server process. root is a fresh mkdtemp directory; the data dir is
 * root/data (deliberately not created, so the server must create it) and
 * the server's stderr goes to root/server.log, outside the data dir. */
struct server {
	char root[256];
	char data[300];
	char log[300];
	char base[64]; /* http://127.0.0.1:PORT, no trailing slash */
	int port;
	pid_t pid;
	bool keep; /* set when something failed: the root is left for a look */
	const char *args[24]; /* extra serve arguments, NULL-terminated */
	/* Under PostgreSQL (harness_pg()): the DSN of this server's own
	 * database, passed as --db; "" on SQLite. */
	char db[512];
	bool db_owned; /* made by server_init(), dropped by server_cleanup() */
};

/* The DSN of the PostgreSQL server the e2e tests run against (env
 * HOLOS_TEST_PG, its maintenance database), or NULL: tests run on SQLite.
 * Under PostgreSQL every server_init() creates a fresh database for its
 * server (holos_t_PID_N), server_start() passes it as --db, restarts reuse
 * it, and cli_run() adds --db when its --data is a server's. Tests of
 * SQLite files skip themselves when this is not NULL. */
const char *harness_pg(void);
/* The cluster's folder for scripts/pg.sh restart (env HOLOS_TEST_PG_DIR),
 * or NULL. */
const char *harness_pg_dir(void);
/* Runs sql on the PostgreSQL database dsn and returns the first column of
 * the first row as a number; -1 (with a message) when it fails. */
long long pg_scalar(const char *dsn, const char *sql);
/* Appends to out the text of every column of every table of s's database,
 * bytea shown with its printable bytes as they are, for checks that no
 * personal data is stored in the clear. Returns 0 or -1. */
int server_db_dump(const struct server *s, struct hbuf *out);
/* Makes s use the database of with (both then write one database, as nodes
 * of a cluster do); s's own fresh database is dropped. Call before
 * server_start(s). Returns 0 or -1. */
int server_share_db(struct server *s, const struct server *with);
/* Makes s use SQLite in its data dir even under PostgreSQL. Call before
 * server_start(s). */
void server_use_sqlite(struct server *s);
/* A port nobody listens on now, on 127.0.0.1; -1 when none. */
int harness_free_port(void);
/* A connection to s that has had one request answered (so the server has
 * accepted and counts it) and stays open, kept alive: close() it. Returns
 * its descriptor, or -1. */
int harness_hold_conn(const struct server *s);
/* n connections held so into fds; fails the test when one cannot be. */
void harness_hold_conns(const struct server *s, int *fds, int n);

/* The binary under test: $HOLOS_BIN, or build/asan/holos. */
const char *harness_bin(void);

/* Zeroes s, makes its temp root and records extra serve arguments (a
 * NULL-terminated list, may be NULL). Returns 0, or -1 with a message. */
int server_init(struct server *s, const char *const *args);
/* Picks a free port, starts the server and waits (10 s at most) until
 * GET /healthz answers 200. On failure prints the log, kills the process
 * and returns -1. */
int server_start(struct server *s);
/* SIGTERM, then waits (10 s at most). Returns 0 only when the exit status
 * is 0 and the log shows no sanitizer report; otherwise prints the log and
 * returns -1. */
int server_stop(struct server *s);
/* server_stop() then server_start() on the same data dir (a new port).
 * Returns 0 or -1. */
int server_restart(struct server *s);
/* Stops (if running) and removes the temp root, unless a failure (or
 * HOLOS_E2E_KEEP in the environment) asks to keep it. Returns the stop
 * result. */
int server_cleanup(struct server *s);
/* Concatenated contents of root/server.log; the caller frees the buffer. */
int server_read_log(const struct server *s, struct hbuf *out);
/* Everything a test group usually needs: init with args and the seed,
 * then start. Returns a malloc'd server or NULL. */
struct server *server_new_seeded(const char *const *extra);
/* server_cleanup() then free(). Returns the cleanup result. */
int server_free(struct server *s);

/* A response: status, raw header block of the final response, body. */
struct resp {
	long status;
	CURLcode rc;
	long num_connects; /* new connections made for this request */
	struct hbuf headers;
	struct hbuf body;
};

void resp_free(struct resp *r);
/* Value of the last header called name (case-insensitive), trimmed, as a
 * malloc'd string; NULL when absent. */
char *resp_header(const struct resp *r, const char *name);
/* All values of the headers called name joined by "\n"; malloc'd, never
 * NULL (empty when absent). */
char *resp_header_all(const struct resp *r, const char *name);

/* A simulated browser: one CURL handle with its own cookie engine, so
 * connections and cookies persist across requests. */
struct client {
	CURL *curl;
	const struct server *srv;
};

struct client *client_new(const struct server *s);
void client_free(struct client *c);
/* GET path (starting with "/"). Fills *r (resp_free it). Returns r->rc. */
CURLcode client_get(struct client *c, const char *path, struct resp *r);
/* GET path with extra request headers ("Name: value", NULL-terminated). */
CURLcode client_get_headers(struct client *c, const char *path,
    const char *const *headers, struct resp *r);
/* POST len bytes of body as application/x-www-form-urlencoded (or ctype
 * when not NULL). Redirects are not followed. */
CURLcode client_post(struct client *c, const char *path, const char *body,
    size_t len, const char *ctype, struct resp *r);
/* Like client_post but with a suppressed Expect: 100-continue header, as a
 * browser sends it. */
CURLcode client_post_noexpect(struct client *c, const char *path,
    const char *body, size_t len, struct resp *r);

/* Like client_post, with extra request headers ("Name: value", NULL-
 * terminated). */
CURLcode client_post_headers(struct client *c, const char *path,
    const char *body, size_t len, const char *const *headers, struct resp *r);

/* POSTs bodies[i] (urlencoded) to path from clients[i], all n at once on
 * a curl multi handle, and fills rs[i]. Returns 0, or -1 when the multi
 * transfer itself failed. */
int client_post_many(struct client *const *clients, const char *path,
    const struct hbuf *bodies, struct resp *rs, size_t n);

/* The value of the input called name in html (name="N" value="V"),
 * malloc'd; NULL when absent. */
char *html_hidden(const char *html, const char *name);
/* The value of the first attribute attr="V" in html, malloc'd; NULL when
 * absent. */
char *html_attr_value(const char *html, const char *attr);
/* The value of the hidden csrf input in html, malloc'd; NULL when absent. */
char *html_csrf(const char *html);
/* html with the entities &amp; &lt; &gt; &quot; &#NN; &#xNN; decoded,
 * malloc'd. */
char *html_decode(const char *html);
/* s escaped the way holos escapes text (& < > " ' `), malloc'd. */
char *html_escape(const char *s);

/* Appends key=value (value percent-encoded) to an urlencoded body. */
void form_add(struct hbuf *b, const char *key, const char *value);
/* Appends key=raw (raw used as is, already encoded); just key when raw is NULL. */
void form_add_raw(struct hbuf *b, const char *key, const char *raw);

/* The fields of the signing form; NULL fields are left out of the body. */
struct signer {
	const char *first_name, *last_name, *email, *country, *comment,
	    *public_, *updates;
	const char *extra; /* appended raw ("k=v&k2=v2"), may be NULL */
};

/* A valid signer with the given email. */
struct signer signer_default(const char *email);
/* Appends the urlencoded form for s, then csrf when not NULL. */
void form_sign(struct hbuf *b, const struct signer *s, const char *csrf);
/* GETs the page with c for a token, then POSTs the form to /p/SLUG/sign.
 * Fills *r (resp_free it) and returns r->status (-1 without a token). */
long client_sign(struct client *c, const char *slug, const struct signer *s,
    struct resp *r);

/* GETs the petition's page with c, returning the csrf token (malloc'd) or
 * NULL. */
char *client_fetch_csrf(struct client *c, const char *slug);
/* GETs /p/SLUG.json with a throwaway handle; returns count or -1. */
long petition_count(const struct server *s, const char *slug);

/* A message from locales/en.json, malloc'd; NULL (with a message) when the
 * catalogue or the key is missing. */
char *catalogue_get(const char *key);
/* The same from locales/LANG.json. */
char *catalogue_lang(const char *lang, const char *key);
/* Whether html shows the catalogue message: either verbatim as holos
 * escapes it, or after decoding entities (and ICU's '' quoting). */
bool html_shows_text(const char *html, const char *text);

/* Formats an ICU MessageFormat pattern the way holos does in English:
 * {x}, {x, number} and {x, plural, =N {…} one {…} other {…}} with # are
 * supported, numbers get "," grouping. names and values hold n arguments.
 * Returns a malloc'd string. */
char *msg_format(const char *pattern, const char *const *names,
    const long *values, size_t n);
/* The catalogue's count_line for count and goal, malloc'd, or NULL. */
char *expected_count_line(long count, long goal);
/* The decoded text of the element with id="count" in html, malloc'd, or
 * NULL. */
char *html_count_line(const char *html);

/* Runs the binary under test with argv (argv[0] is the first argument,
 * not the program name; NULL-terminated), 10 s at most. Captures stdout
 * and stderr (each may be NULL). Returns the exit status, 128+signal when
 * killed by a signal, or -1 when it could not run. */
int cli_run(const char *const *argv, struct hbuf *out, struct hbuf *err);
/* cli_run() with env ("NAME=value" strings, NULL-terminated) set in the
 * command's environment after the harness's own settings, so it can also
 * replace those (HOLOS_POW_BITS, …). */
int cli_run_env(const char *const *argv, const char *const *env,
    struct hbuf *out, struct hbuf *err);

/* Writes len bytes to path. Returns 0 or -1. */
int write_file(const char *path, const char *data, size_t len);
/* 1 when the file at path contains needle, 0 when not, -1 when it cannot
 * be read. */
int file_contains(const char *path, const void *needle, size_t n);
/* Whether any regular file under dir (recursively) contains needle. The
 * name of the first such file is stored in found (may be NULL). */
bool dir_contains(const char *dir, const void *needle, size_t n, char *found,
    size_t foundsz);

/* Ends a test program with the number of failed tests. After a failure
 * it skips exit handlers: a failed cmocka assertion jumps past the frees,
 * and LeakSanitizer's report would bury the failure. */
int harness_finish(int failed);

/* Sleeps ms milliseconds. */
void pause_ms(long ms);

/* Monotonic milliseconds. */
long long now_ms(void);

/* A running smtpd.py. */
struct smtpd {
	pid_t pid;
	int port;
	char dir[400]; /* the maildir: dir/new/N.eml and N.env */
};

/* Debian's python, which has python3-aiosmtpd (a pyenv one may be first on
 * PATH without it), and the test SMTP server. */
#define HARNESS_PYTHON "/usr/bin/python3"
#define HARNESS_SMTPD "tests/smtp/smtpd.py"

/* 0 when smtpd.py can run here (Debian's python3-aiosmtpd); otherwise -1
 * with a message saying what to install. */
int smtpd_available(void);

/* Starts smtpd.py on port (0: the kernel picks) with maildir dir and extra
 * arguments (NULL-terminated, may be NULL); waits for "ready PORT". Its
 * stderr goes to dir.log. Returns 0, or -1 with a message. */
int smtpd_start(struct smtpd *s, const char *dir, int port,
    const char *const *extra);
/* SIGTERM and wait. Returns 0 when it stopped cleanly (or never ran). */
int smtpd_stop(struct smtpd *s);
/* How many messages the maildir holds (N.eml files in new/). */
int maildir_count(const struct smtpd *s);
/* Waits (ms at most) until at least n messages arrived; returns the count. */
int maildir_wait(const struct smtpd *s, int n, long ms);
/* The envelope of message i (1-based) into out. Returns 0 or -1. */
int maildir_env(const struct smtpd *s, int i, struct hbuf *out);
/* The number of the message whose envelope has RCPT TO: <rcpt>, waiting
 * ms at most; 0 when none came. */
int maildir_find(const struct smtpd *s, const char *rcpt, long ms);
/* The same for the k-th message (1-based) to rcpt. */
int maildir_find_nth(const struct smtpd *s, const char *rcpt, int k, long ms);
/* Waits ms while the maildir holds n messages and returns how many it
 * holds then (early, once another arrived): for "nothing more comes". */
int maildir_quiet(const struct smtpd *s, int n, long ms);
/* Message i parsed by Python's email package as JSON {names, headers (lower
 * case), to, type, defects, parts [{type, cte, text}]}; the caller
 * json_decref()s it. NULL (with a message) when it cannot be parsed. */
json_t *mail_parse(const struct smtpd *s, int i);
/* A decoded header of a parsed message, or NULL when absent. */
const char *mail_header(json_t *m, const char *lower_name);
/* The decoded text of the first part of type (e.g. "text/plain"), or NULL. */
const char *mail_part(json_t *m, const char *type);
/* The first link in text that starts with base and then prefix ("/c/"),
 * as a path from prefix on (query kept), malloc'd; NULL when none. */
char *link_path(const char *text, const char *base, const char *prefix);
/* Reads a whole file into out (NUL-terminated). Returns 0 or -1. */
int slurp(const char *path, struct hbuf *out);
/* How often needle occurs in s. */
int count_of(const char *s, const char *needle);
/* Runs argv (argv[0] a full path) with stdin from /dev/null, stdout into
 * out, 10 s at most. Returns the exit status, or -1. */
int run_capture(const char *const *argv, struct hbuf *out);
/* The same with standard error into out too. */
int run_capture_all(const char *const *argv, struct hbuf *out);

/* holos user add for s's data (and database) with the password on standard
 * input. Returns the exit status (0 made, 1 refused), or -1. */
int harness_user_add(const struct server *s, const char *email,
    const char *role, const char *password);
/* Signs c in through the login form, and for a moderator or admin made by
 * harness_user_add() through the second factor too: enrolled at the first
 * sign-in (/me/2fa, the secret kept here), a TOTP code computed with
 * liboath at every later one (never one step twice). Returns the status
 * of the POST (303 when signed in), or -1 when the form could not be had. */
long client_login(struct client *c, const char *email, const char *password);
/* The rest of a sign-in after the login form's answer r (the POST of
 * email's password): the second factor as client_login() does it. Returns
 * the final status (303 when signed in). */
long harness_login_finish(struct client *c, const char *email, struct resp *r);
/* Enrols email's account (signed in with c) in two-step sign-in through
 * /me/2fa, keeping the secret. Returns the POST's status (200). */
long harness_twofa_enrol(struct client *c, const char *email);
/* Forgets email's secret (after holos user reset-2fa). */
void harness_twofa_forget(const struct server *s, const char *email);
/* The six-digit TOTP code of secret for time step step, into out (liboath).
 * Returns 0 or -1. */
int harness_totp_code(const unsigned char *secret, size_t len, long long step,
    char out[7]);

/* Runs one SQL statement on s's database (SQLite file or its PostgreSQL
 * database), for states no page brings about in a test's time (a closing
 * date in the past). Returns 0 or -1 with a message. */
int server_db_exec(const struct server *s, const char *sql);
/* The first column of the first row of sql on s's database (SQLite or
 * PostgreSQL) as a number; -1 (with a message) when it fails. */
long long server_db_scalar(const struct server *s, const char *sql);

/* A holos server that sends its mail to a smtpd.py of its own. */
struct mailworld {
	struct server srv;
	struct smtpd mail; /* its maildir: srv.root/mail */
	char url[64];	   /* smtp://127.0.0.1:PORT, holos's --smtp */
	bool passed;	   /* set at a test's end; else the root is kept */
};

/* Starts smtpd.py (with smtpd_extra, may be NULL) on a port of its
 * choice, then holos with --smtp to it and args (NULL-terminated, may be
 * NULL). Returns 0, or -1 with a message. */
int mailworld_start(struct mailworld *w, const char *const *args,
    const char *const *smtpd_extra);
/* Stops both; keeps the root for a look unless w->passed. Returns 0, or
 * -1 when either did not stop cleanly. */
int mailworld_end(struct mailworld *w);

/* ---- for many tests ---- */

/* A group of tests that share one server: server_group() says how to make
 * it, server_group_setup() and server_group_teardown() are the group's
 * fixtures for cmocka_run_group_tests(). The setup starts
 * server_new_seeded(extra) into *srv, then runs then(*srv) when not NULL
 * (accounts, files); the teardown frees it. */
void server_group(struct server **srv, const char *const *extra,
    int (*then)(struct server *));
int server_group_setup(void **state);
int server_group_teardown(void **state);

/* Per-test fixtures for tests with a mailworld of their own, given as the
 * test's prestate (cmocka_unit_test_prestate_setup_teardown): the setup
 * zeroes the world, the teardown is mailworld_end(). */
int mailworld_setup(void **state);
int mailworld_teardown(void **state);
/* Such a test: f with the world w (a struct mailworld *). */
#define mailworld_test(f, w)                                         \
	cmocka_unit_test_prestate_setup_teardown(f, mailworld_setup, \
	    mailworld_teardown, w)

/* The action of the first <form method="post"> in html, entities decoded,
 * malloc'd; NULL when there is none. */
char *html_form_action(const char *html);

/* pattern with its first {name} replaced by value, malloc'd (for catalogue
 * texts with an argument that msg_format() need not handle). */
char *msg_arg(const char *pattern, const char *name, const char *value);

/* How often needle occurs in s's log. */
int server_log_count(const struct server *s, const char *needle);
/* Waits (ms at most) until needle occurs in s's log more than above times;
 * returns how often it occurs then. */
int server_log_wait(const struct server *s, const char *needle, int above,
    long ms);

/* Polls petition_count() until it is want (ms at most); returns the last
 * count. For counts a background job of holos changes soon. */
long petition_count_wait(const struct server *s, const char *slug, long want,
    long ms);

/* Signs slug as who with a fresh client of s, first GETting the page with
 * ?lang=lang as a visitor choosing a language does (lang NULL: no choice).
 * Returns the status (-1 when a page could not be had); *location gets the
 * Location header (malloc'd, may be NULL) when location is not NULL. */
long sign_fresh(const struct server *s, const char *slug,
    const struct signer *who, const char *lang, char **location);

/* Signs slug as who with a fresh client of s, the form token csrf (NULL:
 * the page's own) and one more request header (NULL: none; e.g.
 * "X-Forwarded-For: ADDR" behind a trusted proxy). Returns the status, 0
 * when no answer came, -1 without a form token. */
long sign_with_header(const struct server *s, const char *slug,
    const struct signer *who, const char *csrf, const char *header);

/* A row of `holos outbox list`. */
struct outbox_row {
	long long id;
	char state[16]; /* queued, sending, sent, dead */
	int attempts;
	char line[512]; /* the whole line (its kind, the error) */
};

/* Runs `holos outbox list` for s and stores its rows in *rows (a malloc'd
 * array; free it). Returns how many, or -1 with a message. */
int outbox_list(const struct server *s, struct outbox_row **rows);
/* How many of the n rows are in state (NULL: any) after at least
 * min_attempts attempts, with word in their line (NULL: any; " update ",
 * " account "). */
int outbox_rows_in(const struct outbox_row *rows, int n, const char *state,
    int min_attempts, const char *word);

/* ---- for cmocka tests: these fail the running test ---- */

/* GETs path with c into *r (resp_free it), insisting on status. */
void client_get_expect(struct client *c, const char *path, long status,
    struct resp *r);
/* The form token of the page at path as c sees it (status 200), malloc'd. */
char *client_page_csrf(struct client *c, const char *path);
/* A new client of s signed in as email with password (the login answers
 * 303). */
struct client *client_signed_in(const struct server *s, const char *email,
    const char *password);
/* GETs path with c until the page (status 200) holds needle, ms at most,
 * for what a background job of holos shows soon. Returns the page
 * (malloc'd), or NULL when needle never came. */
char *client_page_until(struct client *c, const char *path, const char *needle,
    long ms);
/* GETs the page at path (200, with a form token, a post form and a
 * button), then presses the button: POSTs the token to the form's action.
 * Fills *r (resp_free it) and returns the POST's status. */
long client_press_button(struct client *c, const char *path, struct resp *r);
/* Finds the mail to rcpt in m (ms at most), GETs its link that starts with
 * c's server base and prefix ("/c/") and presses the button there.
 * Returns the POST's status. */
long mail_follow(struct client *c, const struct smtpd *m, const char *rcpt,
    const char *prefix, long ms);

/* html shows the catalogue message key of lang (html_shows_text()). */
void assert_page_shows(const char *html, const char *lang, const char *key);
/* s's log holds none of needles (NULL-terminated: addresses, passwords,
 * link tokens); a hit is shown with its line. */
void assert_log_lacks(const struct server *s, const char *const *needles);

#endif
