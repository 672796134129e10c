/* fill.c - fills a petition in a stopped holos's database to N signatures. */

/* Rows are confirmed, all from UA, with random email hashes and
 * sealed-looking pii, written in big transactions; the petition's counter
 * row is set to match and its country row moved with it. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 100000  /* rows per transaction */
#define PII_BYTES 120 /* about what holos seals for one signer */

struct row {
	unsigned char hash[32];
};

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

/* Inserting hashes in order keeps the unique index's pages hot. */
static int
row_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "fill: %s: %s\n", sql,
		    err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t
query_int(sqlite3 *db, const char *sql, int64_t bind, int *ok)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	*ok = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "fill: %s: %s\n", sql, sqlite3_errmsg(db));
		return 0;
	}
	sqlite3_bind_int64(st, 1, bind);
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		*ok = 1;
	}
	sqlite3_finalize(st);
	return v;
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *sel = NULL, *cnt = NULL, *cty = NULL;
	struct row *rows = NULL;
	unsigned char pii[PII_BYTES];
	int64_t petition_id, have, target, others, t = (int64_t)time(NULL);
	double t0;
	int ok, ret = 1;
	char *end;

	if (argc != 4) {
		fprintf(stderr,
		    "usage: fill DB SLUG N\n"
		    "Adds random confirmed signatures to petition SLUG in the "
		    "holos database\nDB until it has N, and sets its count to "
		    "N. Stop holos first.\n");
		return 2;
	}
	target = strtoll(argv[3], &end, 10);
	if (*end != '\0' || target < 0 || target > 100000000) {
		fprintf(stderr, "fill: N must be 0..100000000, not %s\n",
		    argv[3]);
		return 2;
	}
	rng_state =
	    (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "fill: cannot open %s: %s\n", argv[1],
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	/* Durability does not matter while filling: the run is thrown away
	 * if the machine dies. A big cache keeps the indexes in memory. */
	if (exec(db, "PRAGMA journal_mode=WAL") == -1 ||
	    exec(db, "PRAGMA synchronous=OFF") == -1 ||
	    exec(db, "PRAGMA cache_size=-1048576") == -1)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT id FROM petitions WHERE slug = ?1",
		-1, &sel, NULL) != SQLITE_OK) {
		fprintf(stderr, "fill: %s (is %s a holos database?)\n",
		    sqlite3_errmsg(db), argv[1]);
		goto out;
	}
	sqlite3_bind_text(sel, 1, argv[2], -1, SQLITE_STATIC);
	if (sqlite3_step(sel) != SQLITE_ROW) {
		fprintf(stderr, "fill: no petition %s in %s\n", argv[2],
		    argv[1]);
		goto out;
	}
	petition_id = sqlite3_column_int64(sel, 0);
	sqlite3_finalize(sel); /* an open read would block the checkpoint */
	sel = NULL;
	have = query_int(db,
	    "SELECT COALESCE(MAX(seq), 0) FROM signatures "
	    "WHERE petition_id = ?1",
	    petition_id, &ok);
	if (!ok)
		goto out;
	if (have > target) {
		fprintf(stderr,
		    "fill: %s has %lld signatures already, more "
		    "than %lld\n",
		    argv[2], (long long)have, (long long)target);
		goto out;
	}
	others = query_int(db,
	    "SELECT COALESCE(SUM(confirmed), 0) FROM "
	    "petition_counts WHERE petition_id = ?1 AND node <> 'local'",
	    petition_id, &ok);
	if (!ok)
		goto out;
	if (sqlite3_prepare_v2(db,
		"INSERT INTO signatures (petition_id, seq,"
		" email_hash, pii, country, public_name, updates, comment, state,"
		" created_at, confirmed_at) VALUES (?1, ?2, ?3, ?4, 'UA', 0, 0, '',"
		" 'confirmed', ?5, ?5)",
		-1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"INSERT INTO petition_counts (petition_id,"
		" node, confirmed) VALUES (?1, 'local', ?2) ON CONFLICT"
		" (petition_id, node) DO UPDATE SET confirmed = excluded.confirmed",
		-1, &cnt, NULL) != SQLITE_OK ||
	    /* The page's countries, as holos moves them with the count. */
	    sqlite3_prepare_v2(db,
		"INSERT INTO petition_countries (petition_id, country, node,"
		" confirmed) VALUES (?1, 'UA', 'local', ?2) ON CONFLICT"
		" (petition_id, country, node) DO UPDATE SET confirmed ="
		" petition_countries.confirmed + excluded.confirmed",
		-1, &cty, NULL) != SQLITE_OK) {
		fprintf(stderr, "fill: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	if ((rows = malloc(CHUNK * sizeof(*rows))) == NULL) {
		fprintf(stderr, "fill: out of memory\n");
		goto out;
	}
	t0 = now_s();
	while (have < target) {
		int64_t n = target - have < CHUNK ? target - have : CHUNK;

		for (int64_t i = 0; i < n; i++)
			rng_fill(rows[i].hash, 32);
		qsort(rows, (size_t)n, sizeof(*rows), row_cmp);
		if (exec(db, "BEGIN IMMEDIATE") == -1)
			goto out;
		for (int64_t i = 0; i < n; i++) {
			rng_fill(pii, sizeof(pii));
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, petition_id);
			sqlite3_bind_int64(ins, 2, have + i + 1);
			sqlite3_bind_blob(ins, 3, rows[i].hash, 32,
			    SQLITE_STATIC);
			sqlite3_bind_blob(ins, 4, pii, sizeof(pii),
			    SQLITE_STATIC);
			sqlite3_bind_int64(ins, 5, t);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				fprintf(stderr, "fill: insert: %s\n",
				    sqlite3_errmsg(db));
				exec(db, "ROLLBACK");
				goto out;
			}
		}
		have += n;
		sqlite3_reset(cnt);
		sqlite3_bind_int64(cnt, 1, petition_id);
		sqlite3_bind_int64(cnt, 2, have - others);
		sqlite3_reset(cty);
		sqlite3_bind_int64(cty, 1, petition_id);
		sqlite3_bind_int64(cty, 2, n);
		if (sqlite3_step(cnt) != SQLITE_DONE ||
		    sqlite3_step(cty) != SQLITE_DONE) {
			fprintf(stderr, "fill: count: %s\n", sqlite3_errmsg(db));
			exec(db, "ROLLBACK");
			goto out;
		}
		if (exec(db, "COMMIT") == -1)
			goto out;
	}
	/* Leave no big WAL for holos to replay, and the data on disk: else
	 * the kernel writes gigabytes back while the next run measures. */
	if (exec(db, "PRAGMA synchronous=FULL") == -1 ||
	    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == -1)
		goto out;
	printf("fill: %s has %lld signatures (%.1f s)\n", argv[2],
	    (long long)have, now_s() - t0);
	ret = 0;
out:
	free(rows);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_finalize(cnt);
	sqlite3_finalize(cty);
	sqlite3_close(db);
	return ret;
}
