/* log_fill.c - grows a petition's verifiable log in a stopped holos's
 * SQLite database to N signature leaves, fast, for bench/log.sh.
 *
 * Usage: log_fill DB SLUG N [SAMPLE]
 *
 * With SAMPLE, the leaf hashes of 10,000 of the new leaves picked at
 * random (reservoir sampling), URL-escaped standard base64 one a line, go
 * to the file SAMPLE, for bench/log_proof.lua's get-proof-by-hash
 * requests.
 *
 * The rows are exactly what holos's own appends store (store.c's
 * log_append()): leaves encoded by translog_leaf_encode() with their
 * merkle_hash_leaf() hash and seq = the leaf's index + 1 (the signatures
 * bench/fill.c writes), every complete subtree of a stored level
 * (merkle_level_stored()) from merkle.c's own merkle_append_frontier()
 * into log_nodes, and the size and root in log_trees, with the same column
 * values and the same SQL as store.c, in transactions of 100,000 leaves.
 * Each transaction also indexes its leaves' hashes in log_hashes and moves
 * log_trees.hashed, as store_log_hash() in a running holos would. Only the
 * commitments are random (no signer holds their secrets) and every leaf's
 * country is "UA", as fill.c's signatures. Run fill.c to N first, and `holos
 * audit` agrees with the page (docs/performance.md). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "merkle.h"
#include "translog.h"

#define CHUNK 100000 /* leaves per transaction */
#define SAMPLE 10000 /* leaf hashes written to SAMPLE */

struct sql_store {
	sqlite3 *db;
	sqlite3_stmt *node_put, *node_get, *leaf_get;
	int64_t petition_id;
};

static uint64_t rng_state;

/* xorshift64*: random enough that 256-bit commitments never collide. */
static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "log_fill: %s: %s\n", sql,
		    err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* The nodes of stored levels only (merkle_get_tiled()'s raw). */
static int
node_raw(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	struct sql_store *s = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *g = ids[i].level == 0 ? s->leaf_get : s->node_get;

		sqlite3_reset(g);
		sqlite3_bind_int64(g, 1, s->petition_id);
		if (ids[i].level == 0) {
			sqlite3_bind_int64(g, 2, (int64_t)ids[i].index);
		} else {
			sqlite3_bind_int64(g, 2, ids[i].level);
			sqlite3_bind_int64(g, 3, (int64_t)ids[i].index);
		}
		if (sqlite3_step(g) != SQLITE_ROW ||
		    sqlite3_column_bytes(g, 0) != MERKLE_HASH_BYTES)
			return -1;
		memcpy(out[i], sqlite3_column_blob(g, 0), MERKLE_HASH_BYTES);
	}
	return 0;
}

static int
node_get(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	return merkle_get_tiled(node_raw, ctx, ids, n, out);
}

static int
node_put(void *ctx, const struct merkle_node *ids,
    const unsigned char (*hashes)[MERKLE_HASH_BYTES], size_t n)
{
	struct sql_store *s = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		/* Level 0 is the leaves' own hash column, and the levels
		 * below MERKLE_TILE are not stored (as store.c). */
		if (ids[i].level == 0 || !merkle_level_stored(ids[i].level))
			continue;
		sqlite3_reset(s->node_put);
		sqlite3_bind_int64(s->node_put, 1, s->petition_id);
		sqlite3_bind_int64(s->node_put, 2, ids[i].level);
		sqlite3_bind_int64(s->node_put, 3, (int64_t)ids[i].index);
		sqlite3_bind_blob(s->node_put, 4, hashes[i], MERKLE_HASH_BYTES,
		    SQLITE_STATIC);
		if (sqlite3_step(s->node_put) != SQLITE_DONE) {
			fprintf(stderr, "log_fill: node: %s\n",
			    sqlite3_errmsg(s->db));
			return -1;
		}
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

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	fprintf(stderr, "log_fill: %s: %s\n", sql, sqlite3_errmsg(db));
	return -1;
}

/* Writes the hashes as URL-escaped base64 lines to path. */
static int
sample_write(const char *path, const unsigned char (*h)[MERKLE_HASH_BYTES],
    size_t n)
{
	char b64[TRANSLOG_B64_LEN(MERKLE_HASH_BYTES) + 1];
	FILE *fp = fopen(path, "w");
	size_t i;

	if (fp == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		translog_b64_encode(b64, h[i], MERKLE_HASH_BYTES);
		for (const char *c = b64; *c != '\0'; c++) {
			if (*c == '+')
				fputs("%2B", fp);
			else if (*c == '/')
				fputs("%2F", fp);
			else if (*c == '=')
				fputs("%3D", fp);
			else
				fputc(*c, fp);
		}
		fputc('\n', fp);
	}
	return fclose(fp) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct sql_store ss = { 0 };
	struct merkle_store st = { .ctx = &ss, .get = node_get, .put = node_put };
	struct merkle_frontier f;
	struct translog_leaf leaf;
	unsigned char(*hashes)[MERKLE_HASH_BYTES] = NULL, (*picked)[32] = NULL;
	int64_t seen = 0;
	unsigned char input[TRANSLOG_LEAF_MAX], root[MERKLE_HASH_BYTES];
	sqlite3_stmt *sel = NULL, *leaf_ins = NULL, *tree_set = NULL,
		     *hash_add = NULL;
	int64_t have = 0, target, ms;
	sqlite3 *db = NULL;
	double t0;
	size_t len;
	int ret = 1;
	char *end;

	if (argc != 4 && argc != 5) {
		fprintf(stderr,
		    "usage: log_fill DB SLUG N [SAMPLE]\n"
		    "Appends signature leaves to petition SLUG's log in the "
		    "holos database DB\nuntil it has N. Stop holos first.\n");
		return 2;
	}
	target = strtoll(argv[3], &end, 10);
	if (*end != '\0' || target < 0 || target > 100000000) {
		fprintf(stderr, "log_fill: N must be 0..100000000, not %s\n",
		    argv[3]);
		return 2;
	}
	rng_state =
	    (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "log_fill: cannot open %s\n", argv[1]);
		goto out;
	}
	ss.db = db;
	sqlite3_busy_timeout(db, 5000);
	if (exec(db, "PRAGMA journal_mode=WAL") == -1 ||
	    exec(db, "PRAGMA synchronous=OFF") == -1 ||
	    exec(db, "PRAGMA cache_size=-1048576") == -1)
		goto out;
	if (prepare(db, "SELECT id FROM petitions WHERE slug = ?1", &sel) == -1)
		goto out;
	sqlite3_bind_text(sel, 1, argv[2], -1, SQLITE_STATIC);
	if (sqlite3_step(sel) != SQLITE_ROW) {
		fprintf(stderr, "log_fill: no petition %s in %s\n", argv[2],
		    argv[1]);
		goto out;
	}
	ss.petition_id = sqlite3_column_int64(sel, 0);
	sqlite3_finalize(sel);
	sel = NULL;
	/* store.c's statements (store_sql[]), in SQLite's dialect. */
	if (prepare(db,
		"INSERT INTO log_leaves (petition_id, idx, leaf_input,"
		" leaf_hash, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
		&leaf_ins) == -1 ||
	    prepare(db,
		"INSERT INTO log_hashes (petition_id, hash_prefix, idx)"
		" SELECT petition_id, substr(leaf_hash, 1, 8), idx FROM"
		" log_leaves WHERE petition_id = ?1 AND idx >= ?2 AND idx < ?3"
		" ON CONFLICT DO NOTHING",
		&hash_add) == -1 ||
	    prepare(db,
		"INSERT INTO log_nodes (petition_id, level, idx, hash)"
		" VALUES (?1, ?2, ?3, ?4)",
		&ss.node_put) == -1 ||
	    prepare(db,
		"SELECT hash FROM log_nodes WHERE petition_id = ?1"
		" AND level = ?2 AND idx = ?3",
		&ss.node_get) == -1 ||
	    prepare(db,
		"SELECT leaf_hash FROM log_leaves WHERE petition_id = ?1"
		" AND idx = ?2",
		&ss.leaf_get) == -1 ||
	    prepare(db,
		"INSERT INTO log_trees (petition_id, size, root, hashed)"
		" VALUES (?1, ?2, ?3, ?2) ON CONFLICT (petition_id) DO UPDATE"
		" SET size = excluded.size, root = excluded.root,"
		" hashed = excluded.hashed",
		&tree_set) == -1 ||
	    prepare(db, "SELECT size FROM log_trees WHERE petition_id = ?1",
		&sel) == -1)
		goto out;
	sqlite3_bind_int64(sel, 1, ss.petition_id);
	if (sqlite3_step(sel) == SQLITE_ROW)
		have = sqlite3_column_int64(sel, 0);
	sqlite3_finalize(sel);
	sel = NULL;
	if (have > target) {
		fprintf(stderr, "log_fill: the log has %lld leaves already\n",
		    (long long)have);
		goto out;
	}
	if (merkle_frontier_load(&f, &st, (uint64_t)have) == -1) {
		fprintf(stderr, "log_fill: cannot read the log's right edge\n");
		goto out;
	}
	if ((hashes = calloc(CHUNK, sizeof(*hashes))) == NULL ||
	    (picked = calloc(SAMPLE, sizeof(*picked))) == NULL)
		goto out;
	memset(&leaf, 0, sizeof(leaf));
	leaf.type = TRANSLOG_LEAF_SIGNATURE;
	memcpy(leaf.country, "UA", 2);
	ms = (int64_t)time(NULL) * 1000;
	t0 = now_s();
	while (have < target) {
		int64_t n = target - have < CHUNK ? target - have : CHUNK, i;

		if (exec(db, "BEGIN IMMEDIATE") == -1)
			goto out;
		for (i = 0; i < n; i++) {
			for (size_t k = 0; k < sizeof(leaf.commitment); k += 8) {
				uint64_t v = rng_next();

				memcpy(leaf.commitment + k, &v, 8);
			}
			leaf.timestamp = (uint64_t)(ms + (have + i) / 100);
			len = translog_leaf_encode(&leaf, input);
			merkle_hash_leaf(input, len, hashes[i]);
			/* Reservoir sampling: each leaf kept with the same
			 * chance. */
			if (seen < SAMPLE)
				memcpy(picked[seen], hashes[i], 32);
			else if ((int64_t)(rng_next() % (uint64_t)(seen + 1)) <
			    SAMPLE)
				memcpy(picked[rng_next() % SAMPLE], hashes[i],
				    32);
			seen++;
			sqlite3_reset(leaf_ins);
			sqlite3_bind_int64(leaf_ins, 1, ss.petition_id);
			sqlite3_bind_int64(leaf_ins, 2, have + i);
			sqlite3_bind_blob(leaf_ins, 3, input, (int)len,
			    SQLITE_STATIC);
			sqlite3_bind_blob(leaf_ins, 4, hashes[i],
			    MERKLE_HASH_BYTES, SQLITE_STATIC);
			sqlite3_bind_int64(leaf_ins, 5, have + i + 1);
			if (sqlite3_step(leaf_ins) != SQLITE_DONE) {
				fprintf(stderr, "log_fill: leaf: %s\n",
				    sqlite3_errmsg(db));
				exec(db, "ROLLBACK");
				goto out;
			}
		}
		if (merkle_append_frontier(&st, &f,
			(const unsigned char(*)[MERKLE_HASH_BYTES])hashes,
			(size_t)n) == -1) {
			exec(db, "ROLLBACK");
			goto out;
		}
		merkle_frontier_root(&f, root);
		sqlite3_reset(hash_add);
		sqlite3_bind_int64(hash_add, 1, ss.petition_id);
		sqlite3_bind_int64(hash_add, 2, have);
		sqlite3_bind_int64(hash_add, 3, have + n);
		if (sqlite3_step(hash_add) != SQLITE_DONE) {
			fprintf(stderr, "log_fill: hashes: %s\n",
			    sqlite3_errmsg(db));
			exec(db, "ROLLBACK");
			goto out;
		}
		have += n;
		sqlite3_reset(tree_set);
		sqlite3_bind_int64(tree_set, 1, ss.petition_id);
		sqlite3_bind_int64(tree_set, 2, have);
		sqlite3_bind_blob(tree_set, 3, root, MERKLE_HASH_BYTES,
		    SQLITE_STATIC);
		if (sqlite3_step(tree_set) != SQLITE_DONE) {
			fprintf(stderr, "log_fill: tree: %s\n",
			    sqlite3_errmsg(db));
			exec(db, "ROLLBACK");
			goto out;
		}
		if (exec(db, "COMMIT") == -1)
			goto out;
	}
	if (exec(db, "PRAGMA synchronous=FULL") == -1 ||
	    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == -1)
		goto out;
	if (argc == 5 &&
	    sample_write(argv[4],
		(const unsigned char(*)[MERKLE_HASH_BYTES])picked,
		(size_t)(seen < SAMPLE ? seen : SAMPLE)) == -1) {
		fprintf(stderr, "log_fill: cannot write %s\n", argv[4]);
		goto out;
	}
	printf("log_fill: %s's log has %lld leaves (%.1f s)\n", argv[2],
	    (long long)have, now_s() - t0);
	ret = 0;
out:
	free(hashes);
	free(picked);
	sqlite3_finalize(sel);
	sqlite3_finalize(leaf_ins);
	sqlite3_finalize(tree_set);
	sqlite3_finalize(hash_add);
	sqlite3_finalize(ss.node_put);
	sqlite3_finalize(ss.node_get);
	sqlite3_finalize(ss.leaf_get);
	sqlite3_close(db);
	return ret;
}
