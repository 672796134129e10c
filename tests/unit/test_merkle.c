/* test_merkle.c - merkle.c: the RFC 6962 vectors, random trees against a
 * naive implementation of RFC 6962's definitions, tampered proofs, store
 * failures and the largest tree sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/merkle.c"

#define VECTORS "tests/data/rfc6962"
#define HB MERKLE_HASH_BYTES

/* The largest random tree, and the sizes checked exhaustively. */
#define BIG 10000
#define SMALL 96
#define FLIP_MAX 20

/* ---- helpers -------------------------------------------------------- */

/* A deterministic generator (splitmix64): the same trees every run. */
static uint64_t rng_state = 0x686f6c6f73ULL;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
hex(char *out, const unsigned char *h)
{
	size_t i;

	for (i = 0; i < HB; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static void
assert_hash(const unsigned char *got, const unsigned char *want,
    const char *what, uint64_t a, uint64_t b)
{
	char g[2 * HB + 1], w[2 * HB + 1];

	if (memcmp(got, want, HB) == 0)
		return;
	hex(g, got);
	hex(w, want);
	fail_msg("%s (%llu, %llu): got %s, want %s", what,
	    (unsigned long long)a, (unsigned long long)b, g, w);
}

/* ---- the naive implementation -------------------------------------- */

/* RFC 6962 section 2.1 as written: recursive MTH, PATH and SUBPROOF over
 * the leaf inputs, with its own hashing; only MTH of a range is memoised
 * (open addressing on (lo, hi)), so that thousands of proofs stay quick. */
struct leaf {
	unsigned char d[40];
	size_t len;
};

static struct leaf *leaves;

struct memo {
	uint64_t lo, hi;
	unsigned char h[HB];
	bool used;
};

#define MEMO_CAP (1u << 19)
static struct memo *memo;

static void
naive_sha(unsigned char out[HB], unsigned char prefix, const void *a,
    size_t alen, const void *b, size_t blen)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, a, alen);
	crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

/* "the largest power of two smaller than n" (n > 1) */
static uint64_t
naive_k(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void
naive_mth(uint64_t lo, uint64_t hi, unsigned char out[HB])
{
	unsigned char l[HB], r[HB];
	uint64_t n = hi - lo, k, slot;

	if (n == 0) {
		crypto_hash_sha256(out, (const unsigned char *)"", 0);
		return;
	}
	if (n == 1) {
		naive_sha(out, 0x00, leaves[lo].d, leaves[lo].len, "", 0);
		return;
	}
	slot = (lo * 0x9e3779b97f4a7c15ULL ^ hi * 0xc2b2ae3d27d4eb4fULL) %
	    MEMO_CAP;
	while (memo[slot].used) {
		if (memo[slot].lo == lo && memo[slot].hi == hi) {
			memcpy(out, memo[slot].h, HB);
			return;
		}
		slot = (slot + 1) % MEMO_CAP;
	}
	k = naive_k(n);
	naive_mth(lo, lo + k, l);
	naive_mth(lo + k, hi, r);
	naive_sha(out, 0x01, l, HB, r, HB);
	memo[slot].lo = lo;
	memo[slot].hi = hi;
	memcpy(memo[slot].h, out, HB);
	memo[slot].used = true;
}

struct hlist {
	unsigned char h[MERKLE_PROOF_MAX][HB];
	size_t n;
};

static void
hlist_add(struct hlist *l, uint64_t lo, uint64_t hi)
{
	assert_true(l->n < MERKLE_PROOF_MAX);
	naive_mth(lo, hi, l->h[l->n++]);
}

/* PATH(m, D[lo:hi]) */
static void
naive_path(uint64_t m, uint64_t lo, uint64_t hi, struct hlist *out)
{
	uint64_t n = hi - lo, k;

	if (n == 1)
		return;
	k = naive_k(n);
	if (m < k) {
		naive_path(m, lo, lo + k, out);
		hlist_add(out, lo + k, hi);
	} else {
		naive_path(m - k, lo + k, hi, out);
		hlist_add(out, lo, lo + k);
	}
}

/* SUBPROOF(m, D[lo:hi], b) */
static void
naive_subproof(uint64_t m, uint64_t lo, uint64_t hi, bool b, struct hlist *out)
{
	uint64_t n = hi - lo, k;

	if (m == n) {
		if (!b)
			hlist_add(out, lo, hi);
		return;
	}
	k = naive_k(n);
	if (m <= k) {
		naive_subproof(m, lo, lo + k, b, out);
		hlist_add(out, lo + k, hi);
	} else {
		naive_subproof(m - k, lo + k, hi, false, out);
		hlist_add(out, lo, lo + k);
	}
}

/* ---- the RFC 6962 vectors ------------------------------------------- */

/* The leaves of the reference tree the vectors were made from. */
static const char *const ref_leaves[] = { "", "00", "10", "2021", "3031",
	"40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" };

static struct merkle_mem ref_mem;
static struct merkle_store ref_st;

static void
ref_build(void)
{
	unsigned char h[8][HB], d[16];
	size_t i, len;

	merkle_mem_init(&ref_mem);
	ref_st = merkle_mem_store(&ref_mem);
	for (i = 0; i < 8; i++) {
		assert_int_equal(sodium_hex2bin(d, sizeof(d), ref_leaves[i],
				     strlen(ref_leaves[i]), NULL, &len, NULL),
		    0);
		merkle_hash_leaf(d, len, h[i]);
	}
	assert_int_equal(merkle_append(&ref_st, 0,
			     (const unsigned char(*)[HB])h, 8, NULL),
	    0);
}

/* A hash as a vector gives it: standard base64 of any length. */
struct vhash {
	unsigned char b[64];
	size_t len;
};

static void
vhash_get(json_t *v, struct vhash *out)
{
	const char *s = json_string_value(v);

	out->len = 0;
	if (json_is_null(v))
		return;
	assert_non_null(s);
	assert_int_equal(sodium_base642bin(out->b, sizeof(out->b), s, strlen(s),
			     NULL, &out->len, NULL,
			     sodium_base64_VARIANT_ORIGINAL),
	    0);
}

/* A root the verifier can be handed. holos reads only 32-byte hashes;
 * the vectors also hold roots of other lengths ("don't care 2") where
 * only their equality matters, so those map to a 32-byte stand-in that no
 * real hash equals and that keeps equal roots equal. */
static void
vroot(json_t *v, unsigned char out[HB])
{
	struct vhash h;

	vhash_get(v, &h);
	if (h.len == HB)
		memcpy(out, h.b, HB);
	else
		naive_sha(out, 0xff, "not a 32-byte hash", 18, h.b, h.len);
}

/* A leaf hash or proof: refused (false) unless every hash is 32 bytes,
 * as the audit client refuses them. */
static bool
vproof(json_t *v, struct hlist *out)
{
	struct vhash h;
	size_t i;
	json_t *e;

	out->n = 0;
	if (json_is_null(v))
		return true;
	assert_true(json_is_array(v));
	if (json_array_size(v) > MERKLE_PROOF_MAX)
		return false;
	json_array_foreach(v, i, e)
	{
		vhash_get(e, &h);
		if (h.len != HB)
			return false;
		memcpy(out->h[out->n++], h.b, HB);
	}
	return true;
}

/* The text of the vector being read: jansson stops at 2^63 - 1, and the
 * vectors hold indexes up to 2^64 - 1, so numbers are read from it. */
static char *vtext;

static uint64_t
vnum(json_t *o, const char *key)
{
	char pat[32], *p, *end;
	unsigned long long v;

	assert_true(json_is_number(json_object_get(o, key)));
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(vtext, pat);
	assert_non_null(p);
	p += strlen(pat);
	while (*p == ' ')
		p++;
	assert_true(*p >= '0' && *p <= '9');
	errno = 0;
	v = strtoull(p, &end, 10);
	assert_int_equal(errno, 0);
	return v;
}

/* start % BIT_CEIL(end - start) == 0: [start, end) is a node-aligned
 * range of the log (a subtree in the vectors' sense). */
static bool
range_valid(uint64_t start, uint64_t end)
{
	uint64_t size, c = 1;

	if (start > end)
		return false;
	if (start == 0)
		return true;
	size = end - start;
	if (size > (UINT64_MAX >> 1) + 1)
		return false;
	while (c < size)
		c <<= 1;
	return start % c == 0;
}

static bool
run_inclusion(json_t *o, bool subtree)
{
	unsigned char root[HB], leaf[HB];
	uint64_t idx = vnum(o, "leafIdx"), start = 0, end;
	struct hlist proof;
	struct vhash lh;

	if (subtree) {
		start = vnum(o, "start");
		end = vnum(o, "end");
		/* A range holds its leaves: index - start in a tree of
		 * end - start leaves. */
		if (start >= end || !range_valid(start, end) || idx < start ||
		    idx >= end)
			return false;
	} else {
		end = vnum(o, "treeSize");
	}
	vhash_get(json_object_get(o, "leafHash"), &lh);
	if (lh.len != HB || !vproof(json_object_get(o, "proof"), &proof))
		return false;
	memcpy(leaf, lh.b, HB);
	vroot(json_object_get(o, "root"), root);
	return merkle_verify_inclusion(idx - start, end - start, leaf,
	    (const unsigned char(*)[HB])proof.h, proof.n, root);
}

static bool
run_consistency(json_t *o, bool subtree)
{
	unsigned char r1[HB], r2[HB], empty[HB];
	uint64_t m, n, start = 0;
	struct hlist proof;

	if (subtree) {
		start = vnum(o, "start");
		m = vnum(o, "end");
		n = vnum(o, "size");
	} else {
		m = vnum(o, "size1");
		n = vnum(o, "size2");
	}
	if (!vproof(json_object_get(o, "proof"), &proof))
		return false;
	vroot(json_object_get(o, "root1"), r1);
	vroot(json_object_get(o, "root2"), r2);
	if (subtree) {
		if (m > n || !range_valid(start, m))
			return false;
		/* An empty range is part of any tree: its hash must be
		 * MTH({}) and there is nothing to prove. */
		if (start == m) {
			merkle_hash_empty(empty);
			return proof.n == 0 && memcmp(r1, empty, HB) == 0;
		}
		/* [0, m) is the tree of size m: RFC 6962's own proof. Ranges
		 * further right have no counterpart in a log's API. */
		if (start != 0)
			fail_msg("a subtree consistency vector from %llu",
			    (unsigned long long)start);
	}
	return merkle_verify_consistency(m, n, r1, r2,
	    (const unsigned char(*)[HB])proof.h, proof.n);
}

/* A happy path is a proof from the reference tree: ours must be the same,
 * hash for hash, and so must the roots. */
static void
regenerate(json_t *o, const char *kind)
{
	unsigned char got[MERKLE_PROOF_MAX][HB], root[HB], want[HB];
	struct hlist proof;
	size_t len, i;

	assert_true(vproof(json_object_get(o, "proof"), &proof));
	if (strcmp(kind, "inclusion") == 0) {
		uint64_t idx = vnum(o, "leafIdx"), n = vnum(o, "treeSize");

		assert_int_equal(merkle_inclusion_proof(&ref_st, idx, n, got,
				     &len),
		    0);
		assert_int_equal(merkle_root(&ref_st, n, root), 0);
		vroot(json_object_get(o, "root"), want);
		assert_hash(root, want, "reference root", n, 0);
		vroot(json_object_get(o, "leafHash"), want);
		assert_hash(ref_mem.level[0].h[idx], want, "reference leaf",
		    idx, 0);
	} else {
		uint64_t m = vnum(o, "size1"), n = vnum(o, "size2");

		assert_int_equal(merkle_consistency_proof(&ref_st, m, n, got,
				     &len),
		    0);
		assert_int_equal(merkle_root(&ref_st, m, root), 0);
		vroot(json_object_get(o, "root1"), want);
		assert_hash(root, want, "reference root", m, 0);
		assert_int_equal(merkle_root(&ref_st, n, root), 0);
		vroot(json_object_get(o, "root2"), want);
		assert_hash(root, want, "reference root", n, 0);
	}
	assert_int_equal(len, proof.n);
	for (i = 0; i < len; i++)
		assert_hash(got[i], proof.h[i], "reference proof", i, len);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static char *paths[1024];
static size_t npaths;

static int
collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t len = strlen(path);

	(void)st;
	(void)ftw;
	if (flag == FTW_F && len > 5 && strcmp(path + len - 5, ".json") == 0) {
		assert_true(npaths < sizeof(paths) / sizeof(paths[0]));
		paths[npaths++] = strdup(path);
	}
	return 0;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_rfc6962_vectors(void **state)
{
	static const char *const kinds[] = { "inclusion", "consistency",
		"subtreeinclusion", "subtreeconsistency" };
	size_t i, k, seen[4] = { 0 }, happy = 0, regenerated = 0;

	(void)state;
	ref_build();
	assert_int_equal(nftw(VECTORS, collect, 16, FTW_PHYS), 0);
	qsort(paths, npaths, sizeof(paths[0]), path_cmp);
	for (i = 0; i < npaths; i++) {
		const char *rel = paths[i] + strlen(VECTORS) + 1;
		json_error_t err;
		json_t *o;
		bool ok, want_err, sub;

		for (k = 0; k < 4; k++)
			if (strncmp(rel, kinds[k], strlen(kinds[k])) == 0 &&
			    rel[strlen(kinds[k])] == '/')
				break;
		if (k == 4)
			fail_msg("%s: not a kind of vector", paths[i]);
		vtext = slurp(paths[i]);
		o = json_loads(vtext, JSON_DECODE_INT_AS_REAL, &err);
		if (o == NULL)
			fail_msg("%s: %s", paths[i], err.text);
		want_err = json_is_true(json_object_get(o, "wantErr"));
		sub = k >= 2;
		ok = (k % 2 == 0) ? run_inclusion(o, sub) :
				    run_consistency(o, sub);
		if (ok == want_err)
			fail_msg("%s: %s, want %s", paths[i],
			    ok ? "accepted" : "refused",
			    want_err ? "refused" : "accepted");
		if (!want_err)
			happy++;
		/* The numbered directories' happy paths are proofs from
		 * the reference tree. */
		if (k < 2 && rel[strlen(kinds[k]) + 1] >= '0' &&
		    rel[strlen(kinds[k]) + 1] <= '9' &&
		    strstr(rel, "/happy-path.json") != NULL) {
			regenerate(o, kinds[k]);
			regenerated++;
		}
		seen[k]++;
		json_decref(o);
		free(vtext);
		free(paths[i]);
	}
	/* Every file was read: 518 vectors, all four kinds. */
	assert_int_equal(npaths, 518);
	for (k = 0; k < 4; k++)
		assert_true(seen[k] > 0);
	assert_int_equal(regenerated, 10);
	assert_true(happy >= 20);
	merkle_mem_free(&ref_mem);
}

/* The reference tree's roots of every size, as RFC 6962's test suite
 * lists them. */
static void
test_reference_roots(void **state)
{
	static const char *const want[] = {
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	unsigned char root[HB], w[HB];
	char h[2 * HB + 1];
	uint64_t n;

	(void)state;
	ref_build();
	merkle_root(&ref_st, 0, root);
	hex(h, root);
	assert_string_equal(h,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	for (n = 1; n <= 8; n++) {
		assert_int_equal(merkle_root(&ref_st, n, root), 0);
		assert_int_equal(sodium_hex2bin(w, HB, want[n - 1], 2 * HB,
				     NULL, NULL, NULL),
		    0);
		assert_hash(root, w, "reference root", n, 0);
	}
	merkle_mem_free(&ref_mem);
}

/* ---- random trees against the naive implementation ----------------- */

static struct merkle_mem big_mem;
static struct merkle_store big_st;
/* The naive roots of every prefix: roots[n] is MTH(D[0:n]). */
static unsigned char (*roots)[HB];

static int
big_setup(void **state)
{
	unsigned char(*lh)[HB];
	struct merkle_frontier f;
	unsigned char r[HB];
	uint64_t n = 0, i;

	(void)state;
	leaves = calloc(BIG, sizeof(*leaves));
	memo = calloc(MEMO_CAP, sizeof(*memo));
	roots = calloc(BIG + 1, HB);
	lh = calloc(BIG, HB);
	if (leaves == NULL || memo == NULL || roots == NULL || lh == NULL)
		return -1;
	for (i = 0; i < BIG; i++) {
		leaves[i].len = rng() % (sizeof(leaves[i].d) + 1);
		randombytes_buf_deterministic(leaves[i].d, leaves[i].len,
		    (unsigned char[32]){ (unsigned char)i,
			(unsigned char)(i >> 8) });
		/* A few repeated inputs: a log may hold equal leaves. */
		if (i > 0 && rng() % 50 == 0)
			leaves[i] = leaves[rng() % i];
		merkle_hash_leaf(leaves[i].d, leaves[i].len, lh[i]);
	}
	for (i = 0; i <= BIG; i++)
		naive_mth(0, i, roots[i]);
	merkle_mem_init(&big_mem);
	big_st = merkle_mem_store(&big_mem);
	merkle_frontier_init(&f);
	/* Batches of random sizes, as group commits come: one at a time,
	 * dozens, hundreds; half through a kept frontier. */
	while (n < BIG) {
		uint64_t k = 1 + rng() % (rng() % 4 == 0 ? 400 : 9);

		if (k > BIG - n)
			k = BIG - n;
		if (rng() % 2) {
			if (merkle_append(&big_st, n,
				(const unsigned char(*)[HB])lh + n, k, r) != 0)
				return -1;
			if (merkle_frontier_load(&f, &big_st, n + k) != 0)
				return -1;
		} else {
			if (merkle_append_frontier(&big_st, &f,
				(const unsigned char(*)[HB])lh + n, k) != 0)
				return -1;
			merkle_frontier_root(&f, r);
		}
		n += k;
		if (f.size != n || memcmp(r, roots[n], HB) != 0)
			return -1;
	}
	free(lh);
	return 0;
}

static int
big_teardown(void **state)
{
	(void)state;
	merkle_mem_free(&big_mem);
	free(leaves);
	free(memo);
	free(roots);
	return 0;
}

/* Nodes: exactly the complete subtrees, each its naive MTH. */
static void
test_stored_nodes(void **state)
{
	unsigned char want[HB];
	uint64_t i;
	unsigned l;

	(void)state;
	for (l = 0; l < MERKLE_LEVELS; l++) {
		assert_int_equal(big_mem.level[l].len, (uint64_t)BIG >> l);
		for (i = 0; i < big_mem.level[l].len; i++) {
			naive_mth(i << l, (i + 1) << l, want);
			assert_hash(big_mem.level[l].h[i], want, "node", l, i);
		}
	}
}

/* Every prefix's root, from the store, equals the naive one; so does a
 * frontier pushed a leaf at a time. */
static void
test_roots(void **state)
{
	struct merkle_frontier f;
	unsigned char r[HB];
	uint64_t n;

	(void)state;
	merkle_frontier_init(&f);
	for (n = 0; n <= BIG; n++) {
		assert_int_equal(merkle_root(&big_st, n, r), 0);
		assert_hash(r, roots[n], "root", n, 0);
		merkle_frontier_root(&f, r);
		assert_hash(r, roots[n], "frontier root", n, 0);
		if (n < BIG)
			assert_int_equal(merkle_frontier_push(&f,
					     big_mem.level[0].h[n]),
			    0);
	}
}

static void
check_inclusion(uint64_t i, uint64_t n)
{
	unsigned char got[MERKLE_PROOF_MAX][HB];
	struct hlist want = { .n = 0 };
	size_t len, j;

	assert_int_equal(merkle_inclusion_proof(&big_st, i, n, got, &len), 0);
	naive_path(i, 0, n, &want);
	if (len != want.n)
		fail_msg("path (%llu, %llu): %zu hashes, want %zu",
		    (unsigned long long)i, (unsigned long long)n, len, want.n);
	for (j = 0; j < len; j++)
		assert_hash(got[j], want.h[j], "path", i, n);
	if (!merkle_verify_inclusion(i, n, big_mem.level[0].h[i],
		(const unsigned char(*)[HB])got, len, roots[n]))
		fail_msg("path (%llu, %llu) refused", (unsigned long long)i,
		    (unsigned long long)n);
}

static void
check_consistency(uint64_t m, uint64_t n)
{
	unsigned char got[MERKLE_PROOF_MAX][HB];
	struct hlist want = { .n = 0 };
	size_t len, j;

	assert_int_equal(merkle_consistency_proof(&big_st, m, n, got, &len), 0);
	naive_subproof(m, 0, n, true, &want);
	if (len != want.n)
		fail_msg("proof (%llu, %llu): %zu hashes, want %zu",
		    (unsigned long long)m, (unsigned long long)n, len, want.n);
	for (j = 0; j < len; j++)
		assert_hash(got[j], want.h[j], "consistency", m, n);
	if (!merkle_verify_consistency(m, n, roots[m], roots[n],
		(const unsigned char(*)[HB])got, len))
		fail_msg("consistency (%llu, %llu) refused",
		    (unsigned long long)m, (unsigned long long)n);
}

/* Small trees: every pair. */
static void
test_small_all_pairs(void **state)
{
	uint64_t n, i;

	(void)state;
	for (n = 1; n <= SMALL; n++) {
		for (i = 0; i < n; i++)
			check_inclusion(i, n);
		for (i = 1; i <= n; i++)
			check_consistency(i, n);
	}
}

/* The largest trees: every leaf's path and every older size's proof. */
static void
test_large_trees(void **state)
{
	static const uint64_t sizes[] = { 4097, BIG };
	uint64_t i;
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (i = 0; i < sizes[s]; i++)
			check_inclusion(i, sizes[s]);
		for (i = 1; i <= sizes[s]; i++)
			check_consistency(i, sizes[s]);
	}
}

/* A store that keeps only merkle_level_stored() levels, as the database
 * does: its raw get refuses the others, and merkle_get_tiled() computes
 * them from the leaves. */
static int tiled_raw_calls;

static int
tiled_raw(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	size_t i;

	tiled_raw_calls++;
	if (n > 2 * MERKLE_LEVELS)
		return -1;
	for (i = 0; i < n; i++)
		if (!merkle_level_stored(ids[i].level))
			return -1;
	return mem_get(ctx, ids, n, out);
}

static int
tiled_get(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	return merkle_get_tiled(tiled_raw, ctx, ids, n, out);
}

/* Roots, audit paths and consistency proofs from the tiled store equal
 * the full store's, for every pair of small sizes and for random pairs
 * in the big tree; a whole level below MERKLE_TILE reads in pieces. */
static void
test_tiled(void **state)
{
	struct merkle_store tiled = { &big_mem, tiled_get, NULL };
	unsigned char a[MERKLE_PROOF_MAX][HB], b[MERKLE_PROOF_MAX][HB];
	struct merkle_node ids[40];
	unsigned char got[40][HB];
	size_t la, lb, j, k;
	uint64_t n, i, m;

	(void)state;
	assert_true(merkle_level_stored(0));
	assert_false(merkle_level_stored(1));
	assert_false(merkle_level_stored(MERKLE_TILE - 1));
	assert_true(merkle_level_stored(MERKLE_TILE));
	for (n = 1; n <= BIG; n = n <= SMALL ? n + 1 : n * 3 + 7) {
		assert_int_equal(merkle_root(&tiled, n, a[0]), 0);
		assert_hash(a[0], roots[n], "tiled root", n, 0);
		for (k = 0; k < (n <= SMALL ? n : 200); k++) {
			i = n <= SMALL ? k : rng() % n;
			assert_int_equal(merkle_inclusion_proof(&tiled, i, n, a,
					     &la),
			    0);
			assert_int_equal(merkle_inclusion_proof(&big_st, i, n,
					     b, &lb),
			    0);
			assert_int_equal(la, lb);
			for (j = 0; j < la; j++)
				assert_hash(a[j], b[j], "tiled path", i, n);
			m = i + 1;
			assert_int_equal(merkle_consistency_proof(&tiled, m, n,
					     a, &la),
			    0);
			assert_int_equal(merkle_consistency_proof(&big_st, m, n,
					     b, &lb),
			    0);
			assert_int_equal(la, lb);
			for (j = 0; j < la; j++)
				assert_hash(a[j], b[j], "tiled proof", m, n);
		}
	}
	/* 40 nodes of level 3 need 320 leaves: three raw reads. */
	for (j = 0; j < 40; j++)
		ids[j] = (struct merkle_node){ 3, j * 7 };
	tiled_raw_calls = 0;
	assert_int_equal(tiled_get(&big_mem, ids, 40, got), 0);
	assert_int_equal(tiled_raw_calls, 3);
	for (j = 0; j < 40; j++)
		assert_hash(got[j], big_mem.level[3].h[j * 7], "level 3", j, 0);
	/* Beyond the leaves, or beyond the levels: refused. */
	ids[0] = (struct merkle_node){ 2, BIG };
	assert_int_equal(tiled_get(&big_mem, ids, 1, got), -1);
	ids[0] = (struct merkle_node){ 2, UINT64_MAX };
	assert_int_equal(tiled_get(&big_mem, ids, 1, got), -1);
	ids[0] = (struct merkle_node){ MERKLE_LEVELS, 0 };
	assert_int_equal(tiled_get(&big_mem, ids, 1, got), -1);
}

/* A proof for (i, n) verifies for nothing else: no other index, no other
 * size with that size's root, no single flipped bit. */
static void
tamper_inclusion(uint64_t i, uint64_t n, bool flips)
{
	unsigned char p[MERKLE_PROOF_MAX][HB];
	const unsigned char *leaf = big_mem.level[0].h[i];
	const uint64_t other_i[] = { i - 1, i + 1, i ^ 1, i ^ 2, i ^ 4, n,
		n + 1, UINT64_MAX, (uint64_t)1 << 63 };
	const uint64_t other_n[] = { n - 1, n + 1, 2 * n, n / 2, n + 2, n - 2 };
	size_t len, j, b;

	assert_int_equal(merkle_inclusion_proof(&big_st, i, n, p, &len), 0);
	for (j = 0; j < sizeof(other_i) / sizeof(other_i[0]); j++)
		if (other_i[j] != i &&
		    merkle_verify_inclusion(other_i[j], n, leaf,
			(const unsigned char(*)[HB])p, len, roots[n]))
			fail_msg("path (%llu, %llu) accepted for index %llu",
			    (unsigned long long)i, (unsigned long long)n,
			    (unsigned long long)other_i[j]);
	for (j = 0; j < sizeof(other_n) / sizeof(other_n[0]); j++) {
		uint64_t s = other_n[j];

		if (s != n && s >= 1 && s <= BIG &&
		    merkle_verify_inclusion(i, s, leaf,
			(const unsigned char(*)[HB])p, len, roots[s]))
			fail_msg("path (%llu, %llu) accepted for size %llu",
			    (unsigned long long)i, (unsigned long long)n,
			    (unsigned long long)s);
	}
	/* A hash more or less. */
	assert_false(merkle_verify_inclusion(i, n, leaf,
	    (const unsigned char(*)[HB])p, len + 1, roots[n]));
	if (len > 0)
		assert_false(merkle_verify_inclusion(i, n, leaf,
		    (const unsigned char(*)[HB])p, len - 1, roots[n]));
	if (!flips)
		return;
	for (j = 0; j < len; j++)
		for (b = 0; b < 8 * HB; b++) {
			p[j][b / 8] ^= (unsigned char)(1 << (b % 8));
			if (merkle_verify_inclusion(i, n, leaf,
				(const unsigned char(*)[HB])p, len, roots[n]))
				fail_msg("path (%llu, %llu) with bit %zu of "
					 "hash %zu flipped accepted",
				    (unsigned long long)i,
				    (unsigned long long)n, b, j);
			p[j][b / 8] ^= (unsigned char)(1 << (b % 8));
		}
	assert_true(merkle_verify_inclusion(i, n, leaf,
	    (const unsigned char(*)[HB])p, len, roots[n]));
}

static void
tamper_consistency(uint64_t m, uint64_t n, bool flips)
{
	unsigned char p[MERKLE_PROOF_MAX][HB];
	const uint64_t other_m[] = { m - 1, m + 1, m ^ 1, m ^ 2, m ^ 4, 0,
		n + 1, 2 * m };
	const uint64_t other_n[] = { n - 1, n + 1, 2 * n, n / 2, n + 2, n - 2 };
	size_t len, j, b;

	assert_int_equal(merkle_consistency_proof(&big_st, m, n, p, &len), 0);
	for (j = 0; j < sizeof(other_m) / sizeof(other_m[0]); j++) {
		uint64_t s = other_m[j];

		if (s != m && s <= BIG &&
		    merkle_verify_consistency(s, n, roots[s], roots[n],
			(const unsigned char(*)[HB])p, len))
			fail_msg("proof (%llu, %llu) accepted from %llu",
			    (unsigned long long)m, (unsigned long long)n,
			    (unsigned long long)s);
	}
	for (j = 0; j < sizeof(other_n) / sizeof(other_n[0]); j++) {
		uint64_t s = other_n[j];

		if (s != n && s <= BIG &&
		    merkle_verify_consistency(m, s, roots[m], roots[s],
			(const unsigned char(*)[HB])p, len))
			fail_msg("proof (%llu, %llu) accepted to %llu",
			    (unsigned long long)m, (unsigned long long)n,
			    (unsigned long long)s);
	}
	/* Swapped or wrong roots, a hash more or less. */
	if (m != n) {
		assert_false(merkle_verify_consistency(m, n, roots[n], roots[m],
		    (const unsigned char(*)[HB])p, len));
		assert_false(merkle_verify_consistency(m, n, roots[m], roots[m],
		    (const unsigned char(*)[HB])p, len));
		assert_false(merkle_verify_consistency(m, n, roots[m], roots[n],
		    (const unsigned char(*)[HB])p, len - 1));
	}
	assert_false(merkle_verify_consistency(m, n, roots[m], roots[n],
	    (const unsigned char(*)[HB])p, len + 1));
	if (!flips)
		return;
	for (j = 0; j < len; j++)
		for (b = 0; b < 8 * HB; b++) {
			p[j][b / 8] ^= (unsigned char)(1 << (b % 8));
			if (merkle_verify_consistency(m, n, roots[m], roots[n],
				(const unsigned char(*)[HB])p, len))
				fail_msg("proof (%llu, %llu) with bit %zu of "
					 "hash %zu flipped accepted",
				    (unsigned long long)m,
				    (unsigned long long)n, b, j);
			p[j][b / 8] ^= (unsigned char)(1 << (b % 8));
		}
	assert_true(merkle_verify_consistency(m, n, roots[m], roots[n],
	    (const unsigned char(*)[HB])p, len));
}

static void
test_tampered_proofs(void **state)
{
	uint64_t n, i, s;
	unsigned char r[HB];
	unsigned char p[MERKLE_PROOF_MAX][HB];
	size_t len, b;

	(void)state;
	/* Every bit of every proof of the small trees... */
	for (n = 1; n <= FLIP_MAX; n++) {
		for (i = 0; i < n; i++)
			tamper_inclusion(i, n, true);
		for (i = 1; i <= n; i++)
			tamper_consistency(i, n, true);
	}
	/* ...every proof of the larger ones with wrong indexes and sizes,
	 * and random proofs of the largest with every bit. */
	for (n = FLIP_MAX + 1; n <= SMALL; n++) {
		for (i = 0; i < n; i++)
			tamper_inclusion(i, n, false);
		for (i = 1; i <= n; i++)
			tamper_consistency(i, n, false);
	}
	for (s = 0; s < 6; s++) {
		n = 1 + rng() % BIG;
		tamper_inclusion(rng() % n, n, true);
		tamper_consistency(1 + rng() % n, n, true);
	}
	/* The leaf hash and the roots: every bit counts too. */
	assert_int_equal(merkle_inclusion_proof(&big_st, 77, 1000, p, &len), 0);
	for (b = 0; b < 8 * HB; b++) {
		memcpy(r, big_mem.level[0].h[77], HB);
		r[b / 8] ^= (unsigned char)(1 << (b % 8));
		assert_false(merkle_verify_inclusion(77, 1000, r,
		    (const unsigned char(*)[HB])p, len, roots[1000]));
		memcpy(r, roots[1000], HB);
		r[b / 8] ^= (unsigned char)(1 << (b % 8));
		assert_false(
		    merkle_verify_inclusion(77, 1000, big_mem.level[0].h[77],
			(const unsigned char(*)[HB])p, len, r));
	}
	assert_int_equal(merkle_consistency_proof(&big_st, 300, 1000, p, &len),
	    0);
	for (b = 0; b < 8 * HB; b++) {
		memcpy(r, roots[300], HB);
		r[b / 8] ^= (unsigned char)(1 << (b % 8));
		assert_false(merkle_verify_consistency(300, 1000, r,
		    roots[1000], (const unsigned char(*)[HB])p, len));
		memcpy(r, roots[1000], HB);
		r[b / 8] ^= (unsigned char)(1 << (b % 8));
		assert_false(merkle_verify_consistency(300, 1000, roots[300], r,
		    (const unsigned char(*)[HB])p, len));
	}
}

/* Requests that have no proof. */
static void
test_proof_arguments(void **state)
{
	unsigned char p[MERKLE_PROOF_MAX][HB], r[HB];
	size_t len = 99;

	(void)state;
	assert_int_equal(merkle_inclusion_proof(&big_st, 0, 0, p, &len), -1);
	assert_int_equal(merkle_inclusion_proof(&big_st, 5, 5, p, &len), -1);
	assert_int_equal(merkle_inclusion_proof(&big_st, UINT64_MAX, 5, p, &len),
	    -1);
	assert_int_equal(merkle_consistency_proof(&big_st, 0, 5, p, &len), -1);
	assert_int_equal(merkle_consistency_proof(&big_st, 6, 5, p, &len), -1);
	assert_int_equal(merkle_consistency_proof(&big_st, 5, 5, p, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_inclusion_proof(&big_st, 0, 1, p, &len), 0);
	assert_int_equal(len, 0);
	/* Beyond the stored tree: nodes are missing. */
	assert_int_equal(merkle_inclusion_proof(&big_st, 0, BIG + 1, p, &len),
	    -1);
	assert_int_equal(merkle_consistency_proof(&big_st, 5, BIG + 1, p, &len),
	    -1);
	assert_int_equal(merkle_root(&big_st, BIG + 1, r), -1);
	/* Verification refuses the impossible. */
	assert_false(merkle_verify_inclusion(0, 0, r, NULL, 0, r));
	assert_false(merkle_verify_consistency(0, 0, r, r, NULL, 0));
	assert_false(merkle_verify_consistency(0, 3, r, r, NULL, 0));
	assert_false(merkle_verify_consistency(4, 3, r, r, NULL, 0));
	assert_true(merkle_verify_consistency(3, 3, r, r, NULL, 0));
	assert_false(merkle_verify_consistency(3, 3, r, r,
	    (const unsigned char(*)[HB])p, 1));
	assert_false(
	    merkle_verify_consistency(3, 4, roots[3], roots[4], NULL, 0));
}

/* ---- stores that fail, and the largest sizes ------------------------ */

/* Wraps the mem store; the call numbered fail_at (from 1) fails. */
struct flaky {
	struct merkle_mem mem;
	struct merkle_store inner;
	int calls, fail_at, gets, puts;
	size_t most;
};

static int
flaky_get(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[HB])
{
	struct flaky *f = ctx;

	f->gets++;
	if (n > f->most)
		f->most = n;
	if (++f->calls == f->fail_at)
		return -1;
	return f->inner.get(f->inner.ctx, ids, n, out);
}

static int
flaky_put(void *ctx, const struct merkle_node *ids,
    const unsigned char (*h)[HB], size_t n)
{
	struct flaky *f = ctx;

	f->puts++;
	if (++f->calls == f->fail_at)
		return -1;
	return f->inner.put(f->inner.ctx, ids, h, n);
}

static void
test_store_failures(void **state)
{
	unsigned char lh[700][HB], r[HB], p[MERKLE_PROOF_MAX][HB];
	struct merkle_store st;
	struct merkle_frontier fr, before;
	struct flaky f;
	size_t i, len, nodes = 0;

	(void)state;
	for (i = 0; i < 700; i++)
		memcpy(lh[i], big_mem.level[0].h[i], HB);
	memset(&f, 0, sizeof(f));
	merkle_mem_init(&f.mem);
	f.inner = merkle_mem_store(&f.mem);
	st = (struct merkle_store){ &f, flaky_get, flaky_put };

	/* One batch of 300 onto 0 leaves: no read (nothing to read), the
	 * nodes in chunks of PUT_CHUNK. */
	assert_int_equal(merkle_append(&st, 0, (const unsigned char(*)[HB])lh,
			     300, r),
	    0);
	assert_hash(r, roots[300], "root", 300, 0);
	assert_int_equal(f.gets, 0);
	for (i = 0; i < MERKLE_LEVELS; i++)
		nodes += (size_t)300 >> i;
	assert_int_equal(f.puts, (nodes + PUT_CHUNK - 1) / PUT_CHUNK);
	/* The next batch reads the frontier once: popcount(300) nodes. */
	f.gets = f.puts = 0;
	f.most = 0;
	assert_int_equal(merkle_append(&st, 300,
			     (const unsigned char(*)[HB])lh + 300, 1, r),
	    0);
	assert_hash(r, roots[301], "root", 301, 0);
	assert_int_equal(f.gets, 1);
	assert_int_equal(f.most, 4);
	/* A proof is one read. */
	f.gets = 0;
	assert_int_equal(merkle_inclusion_proof(&st, 5, 301, p, &len), 0);
	assert_int_equal(merkle_consistency_proof(&st, 7, 301, p, &len), 0);
	assert_int_equal(merkle_root(&st, 301, r), 0);
	assert_int_equal(f.gets, 3);

	/* A failing read or write fails the operation. */
	f.calls = 0;
	f.fail_at = 1;
	assert_int_equal(merkle_append(&st, 301,
			     (const unsigned char(*)[HB])lh + 301, 5, r),
	    -1);
	assert_int_equal(f.mem.level[0].len, 301);
	f.calls = 0;
	f.fail_at = 2; /* the first put */
	assert_int_equal(merkle_append(&st, 301,
			     (const unsigned char(*)[HB])lh + 301, 5, r),
	    -1);
	assert_int_equal(f.mem.level[0].len, 301);
	f.fail_at = 1;
	f.calls = 0;
	assert_int_equal(merkle_inclusion_proof(&st, 5, 301, p, &len), -1);
	f.calls = 0;
	assert_int_equal(merkle_consistency_proof(&st, 5, 301, p, &len), -1);
	f.calls = 0;
	assert_int_equal(merkle_root(&st, 301, r), -1);
	f.calls = 0;
	f.fail_at = 1;
	assert_int_equal(merkle_frontier_load(&fr, &st, 301), -1);

	/* A kept frontier survives a failed append unchanged. */
	f.fail_at = 0;
	assert_int_equal(merkle_frontier_load(&fr, &st, 301), 0);
	before = fr;
	f.calls = 0;
	f.fail_at = 2; /* the second chunk of puts */
	assert_int_equal(merkle_append_frontier(&st, &fr,
			     (const unsigned char(*)[HB])lh + 301, 399),
	    -1);
	assert_memory_equal(&fr, &before, sizeof(fr));
	merkle_mem_free(&f.mem);

	/* The mem store refuses nodes out of order. */
	merkle_mem_init(&f.mem);
	st = merkle_mem_store(&f.mem);
	assert_int_equal(st.put(st.ctx, &(struct merkle_node){ 0, 1 },
			     (const unsigned char(*)[HB])lh, 1),
	    -1);
	assert_int_equal(st.put(st.ctx, &(struct merkle_node){ 64, 0 },
			     (const unsigned char(*)[HB])lh, 1),
	    -1);
	assert_int_equal(st.get(st.ctx, &(struct merkle_node){ 0, 0 }, 1, p),
	    -1);
	merkle_mem_free(&f.mem);
}

/* A store of made-up nodes for trees of any size: it checks that every
 * node asked for is complete in the tree of size limit. */
struct fake {
	uint64_t limit;
	size_t most;
	bool bad;
};

static int
fake_get(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[HB])
{
	struct fake *f = ctx;
	size_t i;

	if (n > f->most)
		f->most = n;
	for (i = 0; i < n; i++) {
		uint64_t last;

		if (ids[i].level >= MERKLE_LEVELS ||
		    ids[i].index > (UINT64_MAX >> ids[i].level) - 1)
			f->bad = true;
		last = ((ids[i].index + 1) << ids[i].level) - 1;
		if (last >= f->limit)
			f->bad = true;
		memset(out[i], 0, HB);
		memcpy(out[i], &ids[i].index, sizeof(ids[i].index));
		out[i][31] = (unsigned char)ids[i].level;
	}
	return 0;
}

static int
fake_put(void *ctx, const struct merkle_node *ids, const unsigned char (*h)[HB],
    size_t n)
{
	(void)ctx;
	(void)ids;
	(void)h;
	(void)n;
	return 0;
}

static void
test_largest_sizes(void **state)
{
	const uint64_t sizes[] = { UINT64_MAX, UINT64_MAX - 1,
		(uint64_t)1 << 63, ((uint64_t)1 << 63) + 1,
		((uint64_t)1 << 63) - 1, 0x5555555555555555ULL };
	unsigned char p[MERKLE_PROOF_MAX][HB], r[HB];
	struct fake fk = { 0 };
	struct merkle_store st = { &fk, fake_get, fake_put };
	struct merkle_frontier f;
	size_t s, len;
	int j;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s];
		const uint64_t probes[] = { 0, 1, n / 2, n / 3, n - 2, n - 1 };

		fk.limit = n;
		for (j = 0; j < 6; j++) {
			assert_int_equal(merkle_inclusion_proof(&st, probes[j],
					     n, p, &len),
			    0);
			assert_true(len <= 64);
			if (probes[j] == 0)
				assert_int_equal(len,
				    64 - __builtin_clzll(n - 1));
			assert_int_equal(merkle_consistency_proof(&st,
					     probes[j] + 1, n, p, &len),
			    0);
			assert_true(len <= MERKLE_PROOF_MAX);
		}
		assert_int_equal(merkle_root(&st, n, r), 0);
		assert_false(fk.bad);
		assert_true(fk.most <= 2 * MERKLE_LEVELS);
	}
	/* A full tree takes no more leaves. */
	fk.limit = UINT64_MAX;
	assert_int_equal(merkle_frontier_load(&f, &st, UINT64_MAX), 0);
	assert_int_equal(merkle_frontier_push(&f, r), -1);
	assert_int_equal(merkle_append(&st, UINT64_MAX,
			     (const unsigned char(*)[HB])p, 1, r),
	    -1);
	assert_int_equal(merkle_append(&st, UINT64_MAX - 1,
			     (const unsigned char(*)[HB])p, 1, r),
	    0);
	assert_int_equal(merkle_append(&st, UINT64_MAX - 1,
			     (const unsigned char(*)[HB])p, 2, r),
	    -1);
}

/* The hashes themselves, byte for byte. */
static void
test_hashes(void **state)
{
	unsigned char l[HB], r[HB], h[HB], in[65];
	char x[2 * HB + 1];

	(void)state;
	merkle_hash_leaf("", 0, h);
	hex(x, h);
	/* SHA-256 of the single byte 0x00. */
	assert_string_equal(x,
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	memset(l, 0xaa, HB);
	memset(r, 0x55, HB);
	merkle_hash_children(l, r, h);
	in[0] = 1;
	memcpy(in + 1, l, HB);
	memcpy(in + 33, r, HB);
	crypto_hash_sha256(l, in, sizeof(in));
	assert_memory_equal(h, l, HB);
	/* The output may be an input. */
	memset(l, 0xaa, HB);
	merkle_hash_children(l, r, l);
	assert_memory_equal(h, l, HB);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_reference_roots),
		cmocka_unit_test(test_rfc6962_vectors),
		cmocka_unit_test(test_stored_nodes),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_small_all_pairs),
		cmocka_unit_test(test_large_trees),
		cmocka_unit_test(test_tiled),
		cmocka_unit_test(test_tampered_proofs),
		cmocka_unit_test(test_proof_arguments),
		cmocka_unit_test(test_store_failures),
		cmocka_unit_test(test_largest_sizes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, big_setup, big_teardown);
}
