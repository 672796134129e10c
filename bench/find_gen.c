/* find_gen.c - a holos database for the listing and search benchmark
 * (bench/find.sh): N published petitions in English, Russian and Ukrainian
 * with texts made from bench/find/{en,ru,uk}.txt, then S confirmed
 * signatures spread over them.
 *
 *   find_gen DB ROOT PETITIONS SIGNATURES
 *
 * The petitions are written by holos's own store_petition_create() (as
 * `holos import` does: the row, its addressees, its search document), so
 * the database is what holos writes. The signatures are written straight
 * into SQLite, 100,000 rows a transaction, with what the counts, listings
 * and search read: petition, number, a random email hash, country, state
 * and time, and the counter row to match; their personal data is NULL, as
 * after holos's retention has erased it. Running again on the same
 * database adds signatures up to SIGNATURES (the petitions are made only
 * once). Zipf's law spreads them: the most signed petition has about a
 * tenth, most have a few hundred. One in 37 open or closed petitions is
 * marked delivered (delivered_at), so the waiting list has some. Last,
 * holos's store_log_build() writes each petition's transparency log of
 * its signatures, as `holos serve` would at its first start. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "petition.h"
#include "store.h"

#define CHUNK 100000 /* signature rows a transaction */
#define MAX_ITEMS 64 /* lines of one section of a text file */

enum section {
	SEC_TITLES,
	SEC_ADDRESSEES,
	SEC_PLACES,
	SEC_PARAGRAPHS,
	SEC__MAX
};

static const char *const section_names[SEC__MAX] = { "[titles]", "[addressees]",
	"[places]", "[paragraphs]" };

/* One language's texts. */
struct texts {
	const char *lang;
	char *items[SEC__MAX][MAX_ITEMS];
	size_t n[SEC__MAX];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: the same database from the same arguments. */
static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng_next() % n);
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads ROOT/bench/find/LANG.txt into t. Returns 0 or -1. */
static int
texts_load(const char *root, const char *lang, struct texts *t)
{
	char path[4096], line[8192];
	int sec = -1;
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->lang = lang;
	snprintf(path, sizeof(path), "%s/bench/find/%s.txt", root, lang);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "find_gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '[') {
			for (sec = 0; sec < SEC__MAX; sec++)
				if (strcmp(line, section_names[sec]) == 0)
					break;
			if (sec == SEC__MAX)
				sec = -1;
			continue;
		}
		if (sec < 0 || t->n[sec] == MAX_ITEMS)
			continue;
		t->items[sec][t->n[sec]++] = strdup(line);
	}
	fclose(f);
	for (sec = 0; sec < SEC__MAX; sec++)
		if (t->n[sec] == 0) {
			fprintf(stderr, "find_gen: %s: no %s\n", path,
			    section_names[sec]);
			return -1;
		}
	return 0;
}

static void
texts_free(struct texts *t)
{
	for (int s = 0; s < SEC__MAX; s++)
		for (size_t i = 0; i < t->n[s]; i++)
			free(t->items[s][i]);
}

/* A random line of section s with %s (if any) replaced by place, into
 * out. */
static void
pick(const struct texts *t, enum section s, const char *place, char *out,
    size_t len)
{
	const char *fmt = t->items[s][rng_below(t->n[s])];
	const char *at = strstr(fmt, "%s");

	if (at == NULL)
		snprintf(out, len, "%s", fmt);
	else
		snprintf(out, len, "%.*s%s%s", (int)(at - fmt), fmt, place,
		    at + 2);
}

/* Makes petition i of n in t's language through the store. Returns 0 or
 * -1. */
static int
petition_make(struct store *s, const struct texts *t, size_t i, int64_t now)
{
	static const int64_t goals[] = { 100, 500, 1000, 5000, 15000, 100000 };
	char title[512], slug[64], body[16384], to_name[3][256];
	struct addressee to[3];
	struct petition p;
	const char *place = t->items[SEC_PLACES][rng_below(t->n[SEC_PLACES])];
	size_t nto = 1 + rng_below(3), np = 3 + rng_below(4), o = 0, k;
	unsigned roll = (unsigned)rng_below(100);
	int64_t id;

	memset(&p, 0, sizeof(p));
	pick(t, SEC_TITLES, place, title, sizeof(title));
	snprintf(slug, sizeof(slug), "bench-%s-%06zu", t->lang, i);
	for (k = 0; k < np && o < sizeof(body); k++) {
		const char *para =
		    t->items[SEC_PARAGRAPHS][rng_below(t->n[SEC_PARAGRAPHS])];

		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s%s",
		    k ? "\n\n" : "", para);
	}
	for (k = 0; k < nto; k++) {
		pick(t, SEC_ADDRESSEES, place, to_name[k], sizeof(to_name[k]));
		to[k].name = to_name[k];
		to[k].description = "";
	}
	p.slug = slug;
	p.title = title;
	p.body_md = body;
	p.lang = t->lang;
	p.to = to;
	p.nto = nto;
	p.goal = goals[rng_below(sizeof(goals) / sizeof(goals[0]))];
	/* Most are open; some closed, some won. */
	p.state = roll < 85 ? PETITION_OPEN :
	    roll < 95	    ? PETITION_CLOSED :
			      PETITION_VICTORY;
	p.created_at = now - (int64_t)rng_below(730 * 86400);
	if (store_petition_create(s, &p, &id) != STORE_OK) {
		fprintf(stderr, "find_gen: cannot create %s\n", slug);
		return -1;
	}
	return 0;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "find_gen: %s: %s\n", sql,
		    err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Adds signatures to the petitions of db until they have total between
 * them, spread by Zipf's law over the petitions in a random order.
 * Returns 0 or -1. */
static int
signatures_add(sqlite3 *db, int64_t total)
{
	static const char *const countries[] = { "UA", "UA", "UA", "RU", "RU",
		"GB", "DE", "PL", "US", "FR", "LT", "GE" };
	sqlite3_stmt *ids = NULL, *ins = NULL, *cnt = NULL;
	int64_t *pid = NULL, *pcreated = NULL, have = 0, now = time(NULL);
	size_t n = 0, cap = 0, i, in_tx = 0;
	unsigned char *hashes = NULL;
	double hsum = 0, t0 = now_s();
	int ret = -1;

	if (sqlite3_prepare_v2(db,
		"SELECT p.id, p.created_at, (SELECT COALESCE(MAX(seq), 0)"
		" FROM signatures s WHERE s.petition_id = p.id) FROM petitions p"
		" ORDER BY p.id",
		-1, &ids, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"INSERT INTO signatures (petition_id, seq, email_hash, pii,"
		" country, public_name, updates, comment, state, created_at,"
		" confirmed_at) VALUES (?1, ?2, ?3, NULL, ?4, 0, 0, '',"
		" 'confirmed', ?5, ?5)",
		-1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"INSERT INTO petition_counts (petition_id, node, confirmed)"
		" VALUES (?1, 'local', ?2) ON CONFLICT (petition_id, node)"
		" DO UPDATE SET confirmed = excluded.confirmed",
		-1, &cnt, NULL) != SQLITE_OK) {
		fprintf(stderr, "find_gen: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(ids) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			pid = realloc(pid, cap * 2 * sizeof(*pid));
			pcreated = realloc(pcreated, cap * sizeof(*pcreated));
			if (pid == NULL || pcreated == NULL)
				goto out;
		}
		pid[2 * n] = sqlite3_column_int64(ids, 0);
		pcreated[n] = sqlite3_column_int64(ids, 1);
		pid[2 * n + 1] = sqlite3_column_int64(ids, 2);
		have += pid[2 * n + 1];
		n++;
	}
	sqlite3_finalize(ids);
	ids = NULL;
	if (n == 0 || have >= total) {
		ret = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		hsum += 1.0 / (double)(i + 1);
	if (exec(db, "BEGIN") == -1)
		goto out;
	for (i = 0; i < n; i++) {
		/* Rank: petition ids are in creation order, so a stride
		 * scatters the popular ones over time and languages. */
		size_t rank = (i * 7919) % n;
		int64_t want =
		    (int64_t)((double)total / hsum / (double)(rank + 1));
		int64_t seq = pid[2 * i + 1], k, age;

		if (want <= seq)
			continue;
		if ((hashes = realloc(hashes, (size_t)(want - seq) * 32)) ==
		    NULL)
			goto out;
		for (k = 0; k < (want - seq) * 4; k++) {
			uint64_t v = rng_next();

			memcpy(hashes + k * 8, &v, 8);
		}
		qsort(hashes, (size_t)(want - seq), 32, hash_cmp);
		age = now - pcreated[i] > 1 ? now - pcreated[i] : 1;
		for (k = 0; seq + k < want; k++) {
			/* One in fifty within the last day: trending. */
			int64_t at = rng_below(50) == 0 ?
			    now - (int64_t)rng_below(86400) :
			    pcreated[i] + (int64_t)rng_below((size_t)age);

			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, pid[2 * i]);
			sqlite3_bind_int64(ins, 2, seq + k + 1);
			sqlite3_bind_blob(ins, 3, hashes + k * 32, 32,
			    SQLITE_STATIC);
			sqlite3_bind_text(ins, 4,
			    countries[rng_below(
				sizeof(countries) / sizeof(countries[0]))],
			    -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 5, at);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				fprintf(stderr, "find_gen: insert: %s\n",
				    sqlite3_errmsg(db));
				goto out;
			}
			if (++in_tx == CHUNK) {
				if (exec(db, "COMMIT") == -1 ||
				    exec(db, "BEGIN") == -1)
					goto out;
				in_tx = 0;
			}
		}
		have += want - seq;
		sqlite3_reset(cnt);
		sqlite3_bind_int64(cnt, 1, pid[2 * i]);
		sqlite3_bind_int64(cnt, 2, want);
		if (sqlite3_step(cnt) != SQLITE_DONE) {
			fprintf(stderr, "find_gen: count: %s\n",
			    sqlite3_errmsg(db));
			goto out;
		}
	}
	/* The country rows holos keeps beside the count (migration 0026),
	 * recounted whole: the generator may run again on its database. */
	if (exec(db, "COMMIT") == -1 ||
	    exec(db,
		"INSERT INTO petition_countries (petition_id, country, node,"
		" confirmed) SELECT petition_id, CASE WHEN country GLOB"
		" '[A-Z][A-Z]' THEN country ELSE '--' END, 'local', COUNT(*)"
		" FROM signatures WHERE state = 'confirmed' GROUP BY 1, 2"
		" ON CONFLICT (petition_id, country, node) DO UPDATE SET"
		" confirmed = excluded.confirmed") == -1)
		goto out;
	printf("find_gen: %lld signatures over %zu petitions (%.1f s)\n",
	    (long long)have, n, now_s() - t0);
	ret = 0;
out:
	if (ret == -1)
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(hashes);
	free(pid);
	free(pcreated);
	sqlite3_finalize(ids);
	sqlite3_finalize(ins);
	sqlite3_finalize(cnt);
	return ret;
}

int
main(int argc, char **argv)
{
	static const char *const langs[] = { "en", "ru", "uk" };
	struct texts t[3];
	struct store *s = NULL;
	sqlite3 *db = NULL;
	char migrations[4096];
	int64_t npet, nsig, now = time(NULL), have = 0;
	double t0;
	int version, ret = 1, loaded = 0, built = 0;
	char *end;

	if (argc != 5) {
		fprintf(stderr,
		    "usage: find_gen DB ROOT PETITIONS SIGNATURES\n"
		    "Makes the holos SQLite database DB (migrations and texts "
		    "from the\nsource tree ROOT) with PETITIONS published "
		    "petitions in en, ru and uk,\nthen adds signatures until "
		    "they have SIGNATURES between them.\n");
		return 2;
	}
	npet = strtoll(argv[3], &end, 10);
	if (*end != '\0' || npet < 1 || npet > 1000000)
		return fprintf(stderr, "find_gen: bad PETITIONS\n"), 2;
	nsig = strtoll(argv[4], &end, 10);
	if (*end != '\0' || nsig < 0 || nsig > 100000000)
		return fprintf(stderr, "find_gen: bad SIGNATURES\n"), 2;
	log_set_level(LOG_WARN);
	for (; loaded < 3; loaded++)
		if (texts_load(argv[2], langs[loaded], &t[loaded]) == -1)
			goto out;
	snprintf(migrations, sizeof(migrations), "%s/migrations/sqlite",
	    argv[2]);
	if (store_open(argv[1], migrations, "bench", &s) == -1 ||
	    store_migrate(s, &version) != STORE_OK)
		goto out;
	{
		struct arena *a = arena_new();
		struct petition *ps;
		size_t n = 0;

		if (a == NULL ||
		    store_petition_public(s, a, &ps, &n) != STORE_OK) {
			arena_free(a);
			goto out;
		}
		have = (int64_t)n;
		arena_free(a);
	}
	t0 = now_s();
	for (int64_t i = have; i < npet; i++)
		if (petition_make(s, &t[i % 3], (size_t)i, now) == -1)
			goto out;
	if (have < npet)
		printf("find_gen: %lld petitions made (%.1f s)\n",
		    (long long)(npet - have), now_s() - t0);
	store_close(s);
	s = NULL;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "find_gen: cannot open %s\n", argv[1]);
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	/* Durability does not matter while filling: the run is thrown away
	 * if the machine dies. A big cache keeps the indexes in memory. */
	if (exec(db, "PRAGMA journal_mode=WAL") == -1 ||
	    exec(db, "PRAGMA synchronous=OFF") == -1 ||
	    exec(db, "PRAGMA cache_size=-2097152") == -1 ||
	    signatures_add(db, nsig) == -1)
		goto out;
	/* One in 37 open or closed petitions handed over a month after it
	 * started, for the waiting list (the catalogue reads delivered_at;
	 * the letters themselves do not matter here). */
	if (exec(db,
		"UPDATE petitions SET delivered_at = created_at + 30 * 86400"
		" WHERE id % 37 = 0 AND state IN ('open', 'closed')"
		" AND delivered_at IS NULL") == -1)
		goto out;
	/* The closed and won ones are past the retention period: mark them
	 * erased, as holos's retention would have (their signatures carry no
	 * personal data already), so the benchmark's server does not erase
	 * them while it is measured. */
	/* Their end mail went long ago, as it would have on a real site. */
	if (exec(db,
		"UPDATE petitions SET end_mailed = state WHERE state IN"
		" ('closed', 'victory')") == -1)
		goto out;
	if (exec(db,
		"UPDATE petitions SET purged_at = updated_at + 90 * 86400"
		" WHERE state IN ('closed', 'victory') AND purged_at IS NULL"
		" AND updated_at + 90 * 86400 <= CAST(strftime('%s', 'now')"
		" AS INTEGER)") == -1)
		goto out;
	/* No big WAL for holos to replay, and the data on disk. */
	if (exec(db, "PRAGMA synchronous=FULL") == -1 ||
	    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == -1)
		goto out;
	sqlite3_close(db);
	db = NULL;
	/* Each petition's transparency log of its signatures, by holos's
	 * own code, as `holos serve` builds it at its first start. */
	t0 = now_s();
	if (store_open(argv[1], migrations, "bench", &s) == -1 ||
	    store_log_build(s, &built) != STORE_OK)
		goto out;
	if (built > 0)
		printf("find_gen: %d petitions' logs built (%.1f s)\n", built,
		    now_s() - t0);
	ret = 0;
out:
	sqlite3_close(db);
	store_close(s);
	for (int i = 0; i < loaded; i++)
		texts_free(&t[i]);
	return ret;
}
