/* e2e_keys.c - keys and backups against the real binary: holos backup
 * under signing load restored into a fresh data folder, holos rekey while
 * signing goes on (interrupted, refused twice, resumed), and the address
 * hashes of internationalised domains. */
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct server *srv;

/* ---- signing load ---- */

struct load {
	pthread_t thread;
	const struct server *s;
	const char *tag;
	atomic_bool stop;
	atomic_long ok;
	long other;
};

static void *
load_loop(void *arg)
{
	struct load *l = arg;
	struct client *c = client_new(l->s);

	/* Bounded in count and time, whatever the test does. */
	for (long n = 0; n < 2000 && !atomic_load(&l->stop); n++) {
		char email[64], first[32];
		struct resp r = { 0 };
		struct signer sg;

		snprintf(email, sizeof email, "%s-%ld@example.org", l->tag, n);
		for (char *q = email; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
		snprintf(first, sizeof first, "%s%ld", l->tag, n);
		sg = signer_default(email);
		sg.first_name = first;
		if (client_sign(c, SEED_SLUG, &sg, &r) == 303)
			atomic_fetch_add(&l->ok, 1);
		else
			l->other++;
		resp_free(&r);
		pause_ms(5);
	}
	client_free(c);
	return NULL;
}

static void
load_start(struct load *l, const struct server *s, const char *tag)
{
	memset(l, 0, sizeof(*l));
	l->s = s;
	l->tag = tag;
	assert_int_equal(pthread_create(&l->thread, NULL, load_loop, l), 0);
}

static long
load_stop(struct load *l)
{
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	assert_int_equal(l->other, 0);
	return atomic_load(&l->ok);
}

/* Waits until the load has made n signatures (30 s at most). */
static void
load_wait(struct load *l, long n)
{
	long long end = now_ms() + 30000;

	while (atomic_load(&l->ok) < n && now_ms() < end)
		pause_ms(20);
	assert_true(atomic_load(&l->ok) >= n);
}

static void
path_join(char *out, size_t n, const char *a, const char *b)
{
	snprintf(out, n, "%s/%s", a, b);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
copy_file(const char *from, const char *to)
{
	struct hbuf b = { 0 };

	assert_int_equal(slurp(from, &b), 0);
	assert_int_equal(write_file(to, b.data, b.len), 0);
	assert_int_equal(chmod(to, 0600), 0);
	hbuf_free(&b);
}

/* The SQLite file's answer to sql, a number. */
static long long
sqlite_scalar(const char *db, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *h;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* ---- holos backup ---- */

static void
test_backup_restore(void **state)
{
	(void)state;
	char dest[400], p[600], db[600];
	struct hbuf out = { 0 }, err = { 0 };
	struct load l;

	if (harness_pg() != NULL) {
		/* PostgreSQL: pg_dump, and a message that says so. */
		snprintf(dest, sizeof dest, "%s/backup", srv->root);
		const char *argv[] = { "backup", "--data", srv->data, dest,
			NULL };
		assert_int_equal(cli_run(argv, &out, &err), 2);
		assert_non_null(strstr(err.data, "pg_dump"));
		assert_non_null(strstr(err.data, "docs/deploy.md"));
		assert_int_equal(access(dest, F_OK), -1);
		hbuf_free(&out);
		hbuf_free(&err);
		return;
	}
	long before = petition_count(srv, SEED_SLUG);
	load_start(&l, srv, "backup");
	load_wait(&l, 10);
	snprintf(dest, sizeof dest, "%s/backup", srv->root);
	const char *argv[] = { "backup", "--data", srv->data, dest, NULL };
	int rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fail_msg("holos backup: %d\n%s", rc, err.data ? err.data : "");
	/* It refuses a folder that is not empty. */
	hbuf_free(&err);
	assert_int_equal(cli_run(argv, NULL, &err), 1);
	assert_non_null(strstr(err.data, "not empty"));
	load_wait(&l, atomic_load(&l.ok) + 5);
	long made = load_stop(&l);
	long after = petition_count(srv, SEED_SLUG);
	assert_int_equal(after, before + made);

	/* The folder, its files, the manifest that checks. */
	assert_int_equal(mode_of(dest), 0700);
	const char *files[] = { "holos.db", "secret.key", "log.key",
		"MANIFEST" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		path_join(p, sizeof p, dest, files[i]);
		assert_int_equal(mode_of(p), 0600);
	}
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
	    "cd '%s' && grep -v '^#' MANIFEST | sha256sum -c --quiet --strict",
	    dest);
	assert_int_equal(system(cmd), 0);
	path_join(p, sizeof p, dest, "MANIFEST");
	assert_int_equal(file_contains(p, "  secret.key\n", 13), 1);
	assert_int_equal(file_contains(p, "  log.key\n", 10), 1);

	/* The copy holds one commit's state: what was counted before, and
	 * not what came after. */
	path_join(db, sizeof db, dest, "holos.db");
	long long in_copy = sqlite_scalar(db,
	    "SELECT COUNT(*) FROM signatures s JOIN petitions p"
	    " ON p.id = s.petition_id WHERE p.slug = '" SEED_SLUG
	    "' AND s.state = 'confirmed'");
	assert_true(in_copy >= before + 10);
	assert_true(in_copy < after);

	/* Restored into a fresh data folder, holos serves the same. */
	struct server r;
	assert_int_equal(server_init(&r,
			     (const char *const[]){ COUNT_ON_SIGN, NULL }),
	    0);
	assert_int_equal(mkdir(r.data, 0700), 0);
	const char *restore[] = { "holos.db", "secret.key", "log.key" };
	for (size_t i = 0; i < 3; i++) {
		char to[600];
		path_join(p, sizeof p, dest, restore[i]);
		path_join(to, sizeof to, r.data, restore[i]);
		copy_file(p, to);
	}
	assert_int_equal(server_start(&r), 0);
	assert_int_equal(petition_count(&r, SEED_SLUG), in_copy);
	struct client *c = client_new(&r);
	struct resp page = { 0 };
	client_get_expect(c, "/p/" SEED_SLUG, 200, &page);
	assert_non_null(strstr(page.body.data, "Kremlin"));
	resp_free(&page);
	/* Its log still holds up: the count is what the log says. */
	hbuf_free(&out);
	hbuf_free(&err);
	const char *audit[] = { "audit", r.base, SEED_SLUG, NULL };
	rc = cli_run(audit, &out, &err);
	if (rc != 0)
		fail_msg("holos audit of the restored site: %d\n%s\n%s", rc,
		    out.data ? out.data : "", err.data ? err.data : "");
	/* And it takes signatures on. */
	struct signer sg = signer_default("after-restore@example.org");
	assert_int_equal(client_sign(c, SEED_SLUG, &sg, &page), 303);
	resp_free(&page);
	client_free(c);
	assert_int_equal(petition_count(&r, SEED_SLUG), in_copy + 1);
	assert_int_equal(server_cleanup(&r), 0);
	hbuf_free(&out);
	hbuf_free(&err);
}

/* ---- holos rekey ---- */

/* Every sealed value in s's database, hex, one a line. */
static void
sealed_values(const struct server *s, struct hbuf *out)
{
	char dbpath[400];

	if (harness_pg() != NULL) {
		const char *argv[] = { "/usr/bin/psql", "-At", "-d", s->db, "-c",
			"SELECT encode(pii, 'hex') FROM signatures"
			" WHERE pii IS NOT NULL UNION ALL"
			" SELECT encode(sealed, 'hex') FROM outbox"
			" WHERE sealed IS NOT NULL UNION ALL"
			" SELECT encode(email_sealed, 'hex') FROM users"
			" UNION ALL SELECT encode(email_sealed, 'hex')"
			" FROM addressees WHERE email_sealed IS NOT NULL",
			NULL };
		assert_int_equal(run_capture(argv, out), 0);
	} else {
		snprintf(dbpath, sizeof dbpath, "%s/holos.db", s->data);
		const char *argv[] = { "/usr/bin/sqlite3", dbpath,
			"SELECT hex(pii) FROM signatures WHERE pii IS NOT NULL"
			" UNION ALL SELECT hex(sealed) FROM outbox"
			" WHERE sealed IS NOT NULL UNION ALL"
			" SELECT hex(email_sealed) FROM users UNION ALL"
			" SELECT hex(email_sealed) FROM addressees"
			" WHERE email_sealed IS NOT NULL",
			NULL };
		assert_int_equal(run_capture(argv, out), 0);
	}
	hbuf_puts(out, "");
}

/* How many of the sealed values (hex lines) open under key; what they
 * hold is appended to plain (NULs as '|') when it is not NULL. */
static int
opened_by(const char *lines, const unsigned char *key, int *total,
    struct hbuf *plain_out)
{
	int n = 0;

	*total = 0;
	for (const char *p = lines; *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		unsigned char box[8192], plain[8192];
		size_t blen;

		if (len > 0 &&
		    sodium_hex2bin(box, sizeof box, p, len, NULL, &blen,
			NULL) == 0 &&
		    blen > crypto_secretbox_NONCEBYTES +
			    crypto_secretbox_MACBYTES) {
			(*total)++;
			if (crypto_secretbox_open_easy(plain,
				box + crypto_secretbox_NONCEBYTES,
				blen - crypto_secretbox_NONCEBYTES, box,
				key) == 0) {
				n++;
				size_t pl = blen - crypto_secretbox_NONCEBYTES -
				    crypto_secretbox_MACBYTES;
				for (size_t k = 0; plain_out != NULL && k < pl;
				     k++)
					if (plain[k] == '\0')
						plain[k] = '|';
				if (plain_out != NULL) {
					hbuf_append(plain_out, plain, pl);
					hbuf_puts(plain_out, "\n");
				}
			}
		}
		p += len + (e != NULL);
	}
	return n;
}

/* The first names of the petition's public signers as the server reads
 * them from their seals (every page of the API), "|"-joined, malloc'd. */
static char *
api_names(const struct server *s)
{
	struct hbuf names = { 0 };
	struct client *c = client_new(s);
	long long after = 0;

	hbuf_puts(&names, "|");
	for (int page = 0; page < 100; page++) {
		char path[200];
		struct resp r = { 0 };
		json_error_t je;

		snprintf(path, sizeof path,
		    "/api/v1/petitions/%s/signatures?after=%lld", SEED_SLUG,
		    after);
		client_get_expect(c, path, 200, &r);
		json_t *o = json_loads(r.body.data, 0, &je), *v;
		size_t i;
		assert_non_null(o);
		json_array_foreach(json_object_get(o, "signatures"), i, v)
		{
			hbuf_puts(&names,
			    json_string_value(json_object_get(v, "first_name")));
			hbuf_puts(&names, "|");
		}
		json_t *next = json_object_get(o, "next_after");
		bool more = json_is_integer(next);
		if (more)
			after = json_integer_value(next);
		json_decref(o);
		resp_free(&r);
		if (!more)
			break;
	}
	client_free(c);
	return names.data;
}

static void
test_rekey(void **state)
{
	(void)state;
	char oldp[600], curp[600], cmd[1600];
	unsigned char oldkey[32];
	struct hbuf out = { 0 }, err = { 0 }, b = { 0 };
	struct load l;
	int total;

	/* Some signers before the rotation (a previous test made some). */
	struct signer sg = signer_default("before-rekey@example.org");
	sg.first_name = "Beforerekey";
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &sg, NULL, NULL), 303);

	/* A first run stopped after one batch: the rotation is under way,
	 * both keys are there, and the site reads and writes meanwhile. */
	const char *one[] = { "rekey", "--data", srv->data, "--batches", "1",
		NULL };
	int rc = cli_run(one, &out, &err);
	if (rc != 0)
		fail_msg("holos rekey --batches 1: %d\n%s", rc,
		    err.data ? err.data : "");
	assert_non_null(strstr(out.data, "stopped after 1 batch"));
	path_join(oldp, sizeof oldp, srv->data, "seal.key.old");
	path_join(curp, sizeof curp, srv->data, "seal.key");
	assert_int_equal(mode_of(oldp), 0600);
	assert_int_equal(mode_of(curp), 0600);
	assert_int_equal(slurp(oldp, &b), 0);
	assert_int_equal(b.len, 32);
	memcpy(oldkey, b.data, 32);
	hbuf_free(&b);
	sg = signer_default("midway@example.org");
	sg.first_name = "Midwayrekey";
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &sg, NULL, NULL), 303);
	char *names = api_names(srv);
	assert_non_null(strstr(names, "|Beforerekey|"));
	assert_non_null(strstr(names, "|Midwayrekey|"));
	free(names);

	/* A second rotation while one runs is refused. */
	snprintf(cmd, sizeof cmd,
	    "flock '%s/rekey.lock' '%s' rekey --data '%s'%s%s"
	    " >'%s/refused.out' 2>&1",
	    srv->data, harness_bin(), srv->data,
	    harness_pg() != NULL ? " --db " : "",
	    harness_pg() != NULL ? srv->db : "", srv->root);
	assert_int_not_equal(system(cmd), 0);
	path_join(cmd, sizeof cmd, srv->root, "refused.out");
	assert_int_equal(file_contains(cmd, "refused", 7), 1);
	assert_int_equal(access(oldp, F_OK), 0);

	/* Resumed while signing goes on, it finishes. */
	load_start(&l, srv, "Duringrekey");
	load_wait(&l, 5);
	hbuf_free(&out);
	hbuf_free(&err);
	const char *all[] = { "rekey", "--data", srv->data, NULL };
	rc = cli_run(all, &out, &err);
	if (rc != 0)
		fail_msg("holos rekey: %d\n%s\n%s", rc,
		    out.data ? out.data : "", err.data ? err.data : "");
	assert_non_null(strstr(out.data, "resuming"));
	assert_non_null(strstr(out.data, "old key is removed"));
	load_wait(&l, atomic_load(&l.ok) + 5);
	long during = load_stop(&l);
	assert_int_equal(access(oldp, F_OK), -1);

	/* Nothing is sealed under the old key any more, and everything
	 * opens under the new one: the signers of before, midway, during
	 * and after. */
	sg = signer_default("after-rekey@example.org");
	sg.first_name = "Afterrekey";
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &sg, NULL, NULL), 303);
	unsigned char newkey[32];
	assert_int_equal(slurp(curp, &b), 0);
	assert_int_equal(b.len, 32);
	memcpy(newkey, b.data, 32);
	hbuf_free(&b);
	struct hbuf plain = { 0 };
	sealed_values(srv, &b);
	assert_int_equal(opened_by(b.data, oldkey, &total, NULL), 0);
	assert_true(total > during);
	assert_int_equal(opened_by(b.data, newkey, &total, &plain), total);
	hbuf_puts(&plain, "");
	assert_non_null(strstr(plain.data, "Beforerekey|"));
	assert_non_null(strstr(plain.data, "Midwayrekey|"));
	assert_non_null(strstr(plain.data, "Duringrekey0|"));
	snprintf(cmd, sizeof cmd, "Duringrekey%ld|", during - 1);
	assert_non_null(strstr(plain.data, cmd));
	assert_non_null(strstr(plain.data, "Afterrekey|"));
	hbuf_free(&plain);
	hbuf_free(&b);
	/* The server, which served through it, reads them all. */
	names = api_names(srv);
	assert_non_null(strstr(names, "|Beforerekey|"));
	assert_non_null(strstr(names, "|Midwayrekey|"));
	assert_non_null(strstr(names, "|Duringrekey0|"));
	assert_non_null(strstr(names, "|Afterrekey|"));
	free(names);
	hbuf_free(&out);
	hbuf_free(&err);
}

/* ---- internationalised addresses ---- */

static struct mailworld w;

/* The keyed hash holos stores for an address in normal form, made here
 * from the data folder's secret.key the way crypto.c derives it. */
static void
email_hash_hex(const struct server *s, const char *norm, char hex[65])
{
	unsigned char master[32], key[crypto_generichash_KEYBYTES], h[32];
	char path[400];
	struct hbuf b = { 0 };

	snprintf(path, sizeof path, "%s/secret.key", s->data);
	assert_int_equal(slurp(path, &b), 0);
	assert_int_equal(b.len, 32);
	memcpy(master, b.data, 32);
	hbuf_free(&b);
	crypto_kdf_derive_from_key(key, sizeof key, 3, "holos_v1", master);
	crypto_generichash(h, sizeof h, (const unsigned char *)norm,
	    strlen(norm), key, sizeof key);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

static long long
db_count(const struct server *s, const char *where)
{
	char sql[400], db[400];

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM signatures WHERE %s",
	    where);
	if (harness_pg() != NULL)
		return pg_scalar(s->db, sql);
	snprintf(db, sizeof db, "%s/holos.db", s->data);
	return sqlite_scalar(db, sql);
}

/* A bytea literal of hex in s's dialect. */
static void
hex_literal(char *out, size_t n, const char *hex)
{
	if (harness_pg() != NULL)
		snprintf(out, n, "decode('%s', 'hex')", hex);
	else
		snprintf(out, n, "X'%s'", hex);
}

static long
sign_as(const char *email)
{
	struct signer sg = signer_default(email);
	return sign_fresh(&w.srv, SEED_SLUG, &sg, NULL, NULL);
}

/* ---- a signer's data by mail ---- */

/* POSTs email to /privacy/data with c's token. Returns the status. */
static long
ask_data(struct client *c, const char *email_raw, struct resp *r)
{
	char *csrf = client_page_csrf(c, "/privacy/data");
	struct hbuf body = { 0 };

	if (email_raw != NULL)
		form_add_raw(&body, "email", email_raw);
	form_add(&body, "csrf", csrf);
	free(csrf);
	client_post(c, "/privacy/data", body.data, body.len, NULL, r);
	hbuf_free(&body);
	return r->status;
}

static void
mydata_checks(void)
{
	struct client *c = client_new(&w.srv);
	struct resp r = { 0 };

	/* Linked from the privacy page. */
	client_get_expect(c, "/privacy", 200, &r);
	assert_non_null(strstr(r.body.data, "href=\"/privacy/data\""));
	resp_free(&r);
	client_get_expect(c, "/privacy/data", 200, &r);
	assert_page_shows(r.body.data, "en", "mydata_intro");
	resp_free(&r);

	struct signer sg = signer_default("zed@example.org");
	sg.first_name = "Zedfirst";
	sg.last_name = "Zedlast";
	sg.comment = "Zed's own words";
	assert_int_equal(sign_fresh(&w.srv, SEED_SLUG, &sg, NULL, NULL), 303);
	/* The confirmation mail links the page. */
	int n = maildir_find(&w.mail, "zed@example.org", 15000);
	assert_true(n > 0);
	json_t *m = mail_parse(&w.mail, n);
	assert_non_null(m);
	assert_non_null(strstr(mail_part(m, "text/plain"), "/privacy/data"));
	json_decref(m);

	/* Known and unknown addresses get the same page. */
	assert_int_equal(ask_data(c, "zed%40example.org", &r), 200);
	assert_page_shows(r.body.data, "en", "mydata_sent_text");
	resp_free(&r);
	assert_int_equal(ask_data(c, "nobody-here%40example.org", &r), 200);
	assert_page_shows(r.body.data, "en", "mydata_sent_text");
	resp_free(&r);

	/* The mail, to that address only: the petition, the date, the name
	 * and comment given, a withdrawal link that works. */
	n = maildir_find_nth(&w.mail, "zed@example.org", 2, 15000);
	if (n <= 0)
		fail_msg("no data mail to zed@example.org");
	m = mail_parse(&w.mail, n);
	assert_non_null(m);
	assert_non_null(strstr(mail_header(m, "subject"), "Your data"));
	const char *text = mail_part(m, "text/plain");
	assert_non_null(text);
	assert_non_null(strstr(text, "Kremlin"));
	assert_non_null(strstr(text, "Zedfirst Zedlast"));
	assert_non_null(strstr(text, "Zed's own words"));
	time_t now = time(NULL);
	struct tm tm;
	char day[16];
	gmtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	assert_non_null(strstr(text, day));
	char *wpath = link_path(text, w.srv.base, "/w/");
	assert_non_null(wpath);
	json_decref(m);
	client_get_expect(c, wpath, 200, &r);
	assert_page_shows(r.body.data, "en", "withdraw_title");
	resp_free(&r);
	free(wpath);
	assert_int_equal(maildir_find(&w.mail, "nobody-here@example.org", 1500),
	    0);

	/* Asked again at once: the same page, no second mail. */
	int before = maildir_count(&w.mail);
	assert_int_equal(ask_data(c, "zed%40example.org", &r), 200);
	assert_page_shows(r.body.data, "en", "mydata_sent_text");
	resp_free(&r);
	assert_int_equal(maildir_quiet(&w.mail, before, 1500), before);

	/* Hostile input: 4xx with a message, never a mail. */
	char big[400];
	memset(big, 'a', 300);
	strcpy(big + 300, "%40example.org");
	assert_int_equal(ask_data(c, big, &r), 422);
	resp_free(&r);
	assert_int_equal(ask_data(c, "%FF%FE%40example.org", &r) / 100, 4);
	resp_free(&r);
	assert_int_equal(ask_data(c, "not-an-address", &r), 422);
	assert_page_shows(r.body.data, "en", "err_email");
	resp_free(&r);
	assert_int_equal(ask_data(c, NULL, &r), 422);
	resp_free(&r);
	struct hbuf body = { 0 };
	form_add(&body, "email", "zed@example.org");
	client_post(c, "/privacy/data", body.data, body.len, NULL, &r);
	assert_int_equal(r.status / 100, 4); /* no form token */
	resp_free(&r);
	hbuf_free(&body);
	assert_int_equal(maildir_quiet(&w.mail, before, 500), before);
	const char *secrets[] = { "zed@example.org", NULL };
	assert_log_lacks(&w.srv, secrets);
	client_free(c);
}

static void
test_idna(void **state)
{
	(void)state;
	/* Without --count-on-sign: each new signer gets a confirmation
	 * mail, and the rows are counted in the database. */
	const char *args[] = { "--rate-limit", "off", "--seed", SEED_PATH,
		NULL };
	const char *extra[] = { "--smtputf8", NULL };
	struct hbuf env = { 0 };

	assert_int_equal(mailworld_start(&w, args, extra), 0);
	long long before = db_count(&w.srv, "1 = 1");

	/* One signer, however the domain is written: U-labels, capitals,
	 * A-labels, full-width letters and full stop. */
	assert_int_equal(sign_as("ann@bücher.example"), 303);
	const char *same[] = { "ann@BÜCHER.example",
		"ann@xn--bcher-kva.example", "ANN@XN--BCHER-KVA.EXAMPLE",
		"ann@\xef\xbd\x82\xc3\xbc\xef\xbd\x83\xef\xbd\x88\xef\xbd\x85"
		"\xef\xbd\x92\xef\xbc\x8e"
		"example" };
	for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
		/* Found as a duplicate, or answered as a new one would be
		 * (with a mail to the owner): counted once either way. */
		long st = sign_as(same[i]);
		if (st != 303 && st != 422)
			fail_msg("%s: %ld", same[i], st);
	}
	assert_int_equal(db_count(&w.srv, "1 = 1"), before + 1);

	/* A throw-away domain in full-width letters is still one. */
	struct signer sg =
	    signer_default("x@\xef\xbd\x8d\xef\xbd\x81\xef\xbd\x89"
			   "\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x8e"
			   "\xef\xbd\x81\xef\xbd\x94\xef\xbd\x8f"
			   "\xef\xbd\x92.com");
	assert_int_equal(sign_fresh(&w.srv, SEED_SLUG, &sg, NULL, NULL), 422);

	/* Mail goes to the A-label form, without SMTPUTF8; an address
	 * whose local part is not ASCII gets SMTPUTF8. */
	int n = maildir_find(&w.mail, "ann@xn--bcher-kva.example", 15000);
	assert_true(n > 0);
	assert_int_equal(maildir_env(&w.mail, n, &env), 0);
	assert_null(strstr(env.data, "SMTPUTF8"));
	hbuf_free(&env);
	assert_int_equal(sign_as("jos\xc3\xa9@example.org"), 303);
	n = maildir_find(&w.mail, "jos\xc3\xa9@example.org", 15000);
	if (n <= 0)
		fail_msg("no mail to a UTF-8 local part");
	assert_int_equal(maildir_env(&w.mail, n, &env), 0);
	assert_non_null(strstr(env.data, "SMTPUTF8"));
	hbuf_free(&env);

	/* An address stored before, hashed under its Unicode domain, is
	 * found again after holos migrate recomputes the hashes. */
	char newh[65], oldh[65], lit_new[160], lit_old[160], sql[600];
	assert_int_equal(sign_as("bob@bücher.example"), 303);
	email_hash_hex(&w.srv, "bob@xn--bcher-kva.example", newh);
	email_hash_hex(&w.srv, "bob@bücher.example", oldh);
	hex_literal(lit_new, sizeof lit_new, newh);
	hex_literal(lit_old, sizeof lit_old, oldh);
	snprintf(sql, sizeof sql, "email_hash = %s", lit_new);
	assert_int_equal(db_count(&w.srv, sql), 1);
	snprintf(sql, sizeof sql,
	    "UPDATE signatures SET email_hash = %s WHERE email_hash = %s",
	    lit_old, lit_new);
	assert_int_equal(server_db_exec(&w.srv, sql), 0);
	assert_int_equal(server_db_exec(&w.srv, "DELETE FROM data_tasks"), 0);
	struct hbuf out = { 0 }, err = { 0 };
	const char *migrate[] = { "migrate", "--data", w.srv.data, NULL };
	int rc = cli_run(migrate, &out, &err);
	if (rc != 0)
		fail_msg("holos migrate: %d\n%s", rc, err.data ? err.data : "");
	assert_non_null(strstr(out.data, "address hashes recomputed: 1,"));
	snprintf(sql, sizeof sql, "email_hash = %s", lit_new);
	assert_int_equal(db_count(&w.srv, sql), 1);
	snprintf(sql, sizeof sql, "email_hash = %s", lit_old);
	assert_int_equal(db_count(&w.srv, sql), 0);
	long long rows = db_count(&w.srv, "1 = 1");
	long st = sign_as("bob@xn--bcher-kva.example");
	assert_true(st == 303 || st == 422);
	assert_int_equal(db_count(&w.srv, "1 = 1"), rows);
	/* Run again, it has nothing left to do. */
	hbuf_free(&out);
	hbuf_free(&err);
	assert_int_equal(cli_run(migrate, &out, &err), 0);
	assert_null(strstr(out.data, "recomputed"));
	hbuf_free(&out);
	hbuf_free(&err);
	mydata_checks();
	w.passed = true;
}

int
main(void)
{
	const char *extra[] = { COUNT_ON_SIGN, "--rate-limit", "off", NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_restore),
		cmocka_unit_test(test_rekey),
	};

	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest idna[] = {
		mailworld_test(test_idna, &w),
	};
	int failed;

	server_group(&srv, extra, NULL);
	failed = cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown);
	failed += cmocka_run_group_tests(idna, NULL, NULL);
	return harness_finish(failed);
}
