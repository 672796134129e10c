/* sqlite_ceiling.c - the raw durable-insert ceiling for holos's signatures. */

/* holos's own signature INSERT and counter update, 1,000 rows per
 * transaction, WAL and synchronous=FULL, on one connection, on a database
 * made by `holos migrate` + `holos import`. With -m confirm, the rows a
 * signature waiting for email confirmation writes instead: the signature
 * (pending, with its language, network and domain), its confirmation
 * token and its sealed mail in the outbox (-o bytes), and no count. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The statements of src/store_sqlite.c, verbatim, so that the ceiling pays
 * for exactly what holos pays for: the seq subquery, both unique indexes,
 * ON CONFLICT, RETURNING and the per-node counter row. */
static const char sql_insert[] =
    "INSERT INTO signatures (petition_id, seq, email_hash, pii, country,"
    " public_name, updates, comment, state, created_at, confirmed_at)"
    " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM signatures"
    " WHERE petition_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT (petition_id, email_hash) DO NOTHING RETURNING seq";
/* The confirmation mode's statements, as in src/store_sqlite.c and
 * src/store.c. */
static const char sql_insert_pending[] =
    "INSERT INTO signatures (petition_id, seq, email_hash, pii, country,"
    " public_name, updates, comment, state, created_at, confirmed_at,"
    " lang, last_mail_at, flags, net, domain)"
    " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM signatures"
    " WHERE petition_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " ?11, ?12, ?13, ?14, ?15)"
    " ON CONFLICT (petition_id, email_hash) DO NOTHING RETURNING id, seq";
static const char sql_token[] =
    "INSERT INTO tokens (hash, purpose, subject, created_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_outbox[] =
    "INSERT INTO outbox (message_id, kind, sealed, state, next_at,"
    " created_at, updated_at) VALUES (?1, ?2, ?3, 'queued', ?4, ?4, ?4)";
static const char sql_count[] =
    "INSERT INTO petition_counts (petition_id, node, confirmed)"
    " VALUES (?1, 'local', ?2) ON CONFLICT (petition_id, node)"
    " DO UPDATE SET confirmed = confirmed + excluded.confirmed";
/* The country rows move with the count (every row here is from UA). */
static const char sql_country[] =
    "INSERT INTO petition_countries (petition_id, country, node, confirmed)"
    " VALUES (?1, 'UA', 'local', ?2) ON CONFLICT (petition_id, country, node)"
    " DO UPDATE SET confirmed = confirmed + excluded.confirmed";

static uint64_t rng_state;

/* xorshift64*: fast, and random enough that 256-bit hashes never collide. */
static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void
rng_fill(unsigned char *p, size_t n)
{
	while (n > 0) {
		uint64_t v = rng_next();
		size_t k = n < 8 ? n : 8;

		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql,
		    err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sqlite_ceiling [-s SECONDS] [-b BATCH] "
	    "[-p PII_BYTES] [-n MAX_ROWS] [-m confirm [-o MAIL_BYTES]] "
	    "DB SLUG\n"
	    "Inserts signatures for petition SLUG into the holos database DB "
	    "for SECONDS\n(default 10) in transactions of BATCH rows "
	    "(default 1000), WAL, synchronous=FULL. -m confirm: pending "
	    "signatures,\neach with its token and outbox row of MAIL_BYTES "
	    "(default 1500).\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *cnt = NULL, *sel = NULL, *tok = NULL,
		     *obx = NULL, *cty = NULL;
	double seconds = 10, t0, t1;
	long batch = 1000, pii_bytes = 120, max_rows = 5000000;
	long mail_bytes = 1500;
	int confirm = 0;
	static unsigned char mail[65536];
	long rows = 0, dups = 0, batches = 0;
	int64_t petition_id, id;
	unsigned char hash[32], pii[4096];
	int ch, rc, ret = 1;

	while ((ch = getopt(argc, argv, "s:b:p:n:m:o:")) != -1) {
		switch (ch) {
		case 's': seconds = atof(optarg); break;
		case 'b': batch = atol(optarg); break;
		case 'p': pii_bytes = atol(optarg); break;
		case 'n': max_rows = atol(optarg); break;
		case 'm':
			if (strcmp(optarg, "confirm") != 0)
				usage();
			confirm = 1;
			break;
		case 'o': mail_bytes = atol(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 2 || seconds <= 0 || seconds > 600 || batch < 1 ||
	    batch > 1000000 || pii_bytes < 1 || pii_bytes > (long)sizeof(pii) ||
	    max_rows < 1 || mail_bytes < 1 || mail_bytes > (long)sizeof(mail))
		usage();
	rng_state =
	    (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
	if (sqlite3_open_v2(argv[optind], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "sqlite_ceiling: cannot open %s: %s\n",
		    argv[optind], db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	/* The pragmas holos's store sets on each connection. */
	if (exec(db, "PRAGMA journal_mode=WAL") == -1 ||
	    exec(db, "PRAGMA synchronous=FULL") == -1 ||
	    exec(db, "PRAGMA foreign_keys=ON") == -1 ||
	    exec(db, "PRAGMA temp_store=MEMORY") == -1)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT id FROM petitions WHERE slug = ?1",
		-1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, confirm ? sql_insert_pending : sql_insert,
		-1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql_token, -1, &tok, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql_outbox, -1, &obx, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql_count, -1, &cnt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql_country, -1, &cty, NULL) != SQLITE_OK) {
		fprintf(stderr,
		    "sqlite_ceiling: %s (is %s a holos "
		    "database?)\n",
		    sqlite3_errmsg(db), argv[optind]);
		goto out;
	}
	sqlite3_bind_text(sel, 1, argv[optind + 1], -1, SQLITE_STATIC);
	if (sqlite3_step(sel) != SQLITE_ROW) {
		fprintf(stderr, "sqlite_ceiling: no petition %s in %s\n",
		    argv[optind + 1], argv[optind]);
		goto out;
	}
	petition_id = sqlite3_column_int64(sel, 0);
	t0 = now_s();
	t1 = t0;
	while (t1 - t0 < seconds && rows < max_rows) {
		long added = 0;

		if (exec(db, "BEGIN IMMEDIATE") == -1)
			goto out;
		for (long i = 0; i < batch; i++) {
			int64_t t = (int64_t)time(NULL);

			rng_fill(hash, sizeof(hash));
			rng_fill(pii, (size_t)pii_bytes);
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, petition_id);
			sqlite3_bind_blob(ins, 2, hash, sizeof(hash),
			    SQLITE_STATIC);
			sqlite3_bind_blob(ins, 3, pii, (int)pii_bytes,
			    SQLITE_STATIC);
			sqlite3_bind_text(ins, 4, "UA", -1, SQLITE_STATIC);
			sqlite3_bind_int(ins, 5, 0);
			sqlite3_bind_int(ins, 6, 0);
			sqlite3_bind_text(ins, 7, "", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 8,
			    confirm ? "pending" : "confirmed", -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(ins, 9, t);
			if (confirm) {
				sqlite3_bind_null(ins, 10);
				sqlite3_bind_text(ins, 11, "en", -1,
				    SQLITE_STATIC);
				sqlite3_bind_int64(ins, 12, t);
				sqlite3_bind_int(ins, 13, 0);
				sqlite3_bind_text(ins, 14, "203.0.113.0/24", -1,
				    SQLITE_STATIC);
				sqlite3_bind_text(ins, 15, "example.org", -1,
				    SQLITE_STATIC);
			} else {
				sqlite3_bind_int64(ins, 10, t);
			}
			rc = sqlite3_step(ins);
			if (rc == SQLITE_DONE) {
				dups++;
				continue;
			}
			if (rc != SQLITE_ROW) {
				fprintf(stderr, "sqlite_ceiling: insert: %s\n",
				    sqlite3_errmsg(db));
				goto out;
			}
			id = sqlite3_column_int64(ins, 0);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				fprintf(stderr, "sqlite_ceiling: insert: %s\n",
				    sqlite3_errmsg(db));
				goto out;
			}
			if (confirm) {
				char msgid[64];

				rng_fill(hash, sizeof(hash));
				sqlite3_reset(tok);
				sqlite3_bind_blob(tok, 1, hash, sizeof(hash),
				    SQLITE_STATIC);
				sqlite3_bind_text(tok, 2, "confirm", -1,
				    SQLITE_STATIC);
				sqlite3_bind_int64(tok, 3, id);
				sqlite3_bind_int64(tok, 4, t);
				sqlite3_bind_int64(tok, 5, t + 7 * 86400);
				rng_fill(mail, (size_t)mail_bytes);
				snprintf(msgid, sizeof(msgid),
				    "<%016llx%016llx@holos.example>",
				    (unsigned long long)rng_next(),
				    (unsigned long long)rng_next());
				sqlite3_reset(obx);
				sqlite3_bind_text(obx, 1, msgid, -1,
				    SQLITE_TRANSIENT);
				sqlite3_bind_text(obx, 2, "confirm", -1,
				    SQLITE_STATIC);
				sqlite3_bind_blob(obx, 3, mail, (int)mail_bytes,
				    SQLITE_STATIC);
				sqlite3_bind_int64(obx, 4, t);
				if (sqlite3_step(tok) != SQLITE_DONE ||
				    sqlite3_step(obx) != SQLITE_DONE) {
					fprintf(stderr,
					    "sqlite_ceiling: token/outbox: "
					    "%s\n",
					    sqlite3_errmsg(db));
					goto out;
				}
			}
			added++;
		}
		sqlite3_reset(cnt);
		sqlite3_bind_int64(cnt, 1, petition_id);
		sqlite3_bind_int64(cnt, 2, added);
		sqlite3_reset(cty);
		sqlite3_bind_int64(cty, 1, petition_id);
		sqlite3_bind_int64(cty, 2, added);
		if (!confirm &&
		    (sqlite3_step(cnt) != SQLITE_DONE ||
			sqlite3_step(cty) != SQLITE_DONE)) {
			fprintf(stderr, "sqlite_ceiling: count: %s\n",
			    sqlite3_errmsg(db));
			goto out;
		}
		if (exec(db, "COMMIT") == -1)
			goto out;
		rows += added;
		batches++;
		t1 = now_s();
	}
	{
		struct rusage ru;
		double cpu;

		getrusage(RUSAGE_SELF, &ru);
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		printf("rows=%ld duplicates=%ld batches=%ld batch=%ld "
		       "pii_bytes=%ld mode=%s seconds=%.3f rows_per_s=%.0f "
		       "cpu_us_per_row=%.1f\n",
		    rows, dups, batches, batch, pii_bytes,
		    confirm ? "confirm" : "count", t1 - t0,
		    (double)rows / (t1 - t0),
		    rows > 0 ? cpu * 1e6 / (double)rows : 0.0);
	}
	ret = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_finalize(cnt);
	sqlite3_finalize(cty);
	sqlite3_finalize(tok);
	sqlite3_finalize(obx);
	sqlite3_close(db);
	return ret;
}
