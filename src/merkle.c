/* merkle.c - RFC 6962 Merkle trees from stored subtree hashes: append,
 * roots, audit paths, consistency proofs, and their verification.
 *
 * The tree of RFC 6962 section 2.1 over leaves d[0..n-1]: MTH({}) is
 * SHA-256(""), a leaf hashes as SHA-256(0x00 || d), and a list of n > 1
 * leaves splits at k, the largest power of two below n, into
 * SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). So every left part is a
 * complete subtree of 2^l leaves starting at a multiple of 2^l, and only
 * the right edge of a tree may be incomplete.
 *
 * Storage. Node (l, i) is the hash of the complete subtree over leaves
 * [i * 2^l, (i + 1) * 2^l); level 0 holds the leaf hashes. A node is
 * written once, when its last leaf arrives, and never changes: appending
 * leaf n (0-based) completes the leaf and one node for each trailing one
 * bit of n, since each such bit closes a left sibling waiting at that
 * level (leaf 5 = 101b completes (0,5) and (1,2); leaf 7 = 111b completes
 * (0,7), (1,3), (2,1) and (3,0)). Over n leaves that is fewer than 2n
 * nodes in all, and nothing is ever rewritten, so appending is
 * O(log n) writes worst case and amortised O(1).
 *
 * Tiles. A database keeps only levels 0 and MERKLE_TILE and above: a node
 * of levels 1 to MERKLE_TILE - 1 is the hash of at most 8 leaves side by
 * side, cheaper to recompute when read than to write with every batch of
 * signatures (seven in eight of the nodes appends complete are below
 * level 4). merkle_get_tiled() turns a get of any nodes into a get of
 * stored ones, expanding each low node into its leaves and folding them;
 * everything below works on any node as before.
 *
 * The frontier. The right edge of a tree of n leaves is one complete node
 * per set bit l of n: (l, (n >> l) - 1). Those popcount(n) <= 64 hashes
 * are all an append needs (the new leaf merges with them from the bottom
 * up, like a binary counter carrying) and all a root needs (folded from
 * the lowest level up). A batch of k leaves, a whole group commit, costs
 * one read of the frontier and writes of about 2k nodes; a client that
 * only recomputes roots keeps just the frontier: O(log n) memory however
 * many entries it streams.
 *
 * Incomplete subtrees are never stored: MTH of a right-edge range
 * [lo, n) is the fold of the complete nodes given by the set bits of
 * n - lo, highest first, exactly the split rule above applied
 * recursively. An audit path or a consistency proof is a list of
 * MTH(range) for ranges the recursion of PATH or SUBPROOF visits; all of
 * them are complete nodes except at most one range that ends at n (once
 * the recursion goes left, everything below is complete). So a proof is
 * planned first, as at most 2 * 64 node ids, read with one get (one SQL
 * query), then folded: O(log n) reads whatever the tree size, and proofs
 * for any older size m come from the same immutable nodes.
 *
 * Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 to the
 * letter; it needs no store. */
#include "merkle.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Nodes one plan may read: a proof's complete nodes plus the pieces of
 * its one incomplete range, or a root's pieces. */
#define PLAN_MAX (2 * MERKLE_LEVELS)
/* Nodes an append hands to put at once. */
#define PUT_CHUNK 256

/* A proof in the making: the ranges it needs, root to leaf, each as a
 * run of node ids in ids[]. */
struct plan {
	struct merkle_node ids[PLAN_MAX];
	size_t nids;
	struct {
		size_t first, count;
	} el[MERKLE_PROOF_MAX];
	size_t nel;
};

/* Nodes completed by an append, waiting for put. */
struct put_buf {
	const struct merkle_store *st;
	struct merkle_node ids[PUT_CHUNK];
	unsigned char h[PUT_CHUNK][MERKLE_HASH_BYTES];
	size_t n;
};

void
merkle_hash_leaf(const void *input, size_t len,
    unsigned char out[MERKLE_HASH_BYTES])
{
	static const unsigned char prefix = 0x00;
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, input, len);
	crypto_hash_sha256_final(&st, out);
}

void
merkle_hash_children(const unsigned char left[MERKLE_HASH_BYTES],
    const unsigned char right[MERKLE_HASH_BYTES],
    unsigned char out[MERKLE_HASH_BYTES])
{
	unsigned char in[1 + 2 * MERKLE_HASH_BYTES];

	/* Copied first: out may be left or right. */
	in[0] = 0x01;
	memcpy(in + 1, left, MERKLE_HASH_BYTES);
	memcpy(in + 1 + MERKLE_HASH_BYTES, right, MERKLE_HASH_BYTES);
	crypto_hash_sha256(out, in, sizeof(in));
}

void
merkle_hash_empty(unsigned char out[MERKLE_HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)"", 0);
}

/* The largest power of two below n (n >= 2): where MTH splits. */
static uint64_t
split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

void
merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

int
merkle_frontier_load(struct merkle_frontier *f, const struct merkle_store *st,
    uint64_t size)
{
	struct merkle_node ids[MERKLE_LEVELS];
	unsigned char got[MERKLE_LEVELS][MERKLE_HASH_BYTES];
	size_t n = 0, i;
	unsigned l;

	for (l = 0; l < MERKLE_LEVELS; l++)
		if ((size >> l) & 1)
			ids[n++] = (struct merkle_node){ l, (size >> l) - 1 };
	if (n > 0 && st->get(st->ctx, ids, n, got) == -1)
		return -1;
	merkle_frontier_init(f);
	f->size = size;
	for (i = 0; i < n; i++)
		memcpy(f->h[ids[i].level], got[i], MERKLE_HASH_BYTES);
	return 0;
}

static int
put_flush(struct put_buf *pb)
{
	if (pb->n == 0)
		return 0;
	if (pb->st->put(pb->st->ctx, pb->ids,
		(const unsigned char(*)[MERKLE_HASH_BYTES])pb->h, pb->n) == -1)
		return -1;
	pb->n = 0;
	return 0;
}

static int
put_add(struct put_buf *pb, unsigned level, uint64_t index,
    const unsigned char h[MERKLE_HASH_BYTES])
{
	if (pb->n == PUT_CHUNK && put_flush(pb) == -1)
		return -1;
	pb->ids[pb->n] = (struct merkle_node){ level, index };
	memcpy(pb->h[pb->n], h, MERKLE_HASH_BYTES);
	pb->n++;
	return 0;
}

/* Appends a leaf to f like a binary counter: the new leaf merges with the
 * frontier node of each level whose bit of size is set (the carry), and
 * settles at the first clear bit. Each node it completes goes to pb when
 * pb is not NULL. */
static int
frontier_push(struct merkle_frontier *f,
    const unsigned char leaf[MERKLE_HASH_BYTES], struct put_buf *pb)
{
	unsigned char cur[MERKLE_HASH_BYTES];
	uint64_t n = f->size;
	unsigned l = 0;

	if (n == UINT64_MAX)
		return -1;
	memcpy(cur, leaf, MERKLE_HASH_BYTES);
	if (pb != NULL && put_add(pb, 0, n, cur) == -1)
		return -1;
	while ((n >> l) & 1) {
		merkle_hash_children(f->h[l], cur, cur);
		l++;
		if (pb != NULL && put_add(pb, l, n >> l, cur) == -1)
			return -1;
	}
	memcpy(f->h[l], cur, MERKLE_HASH_BYTES);
	f->size = n + 1;
	return 0;
}

int
merkle_frontier_push(struct merkle_frontier *f,
    const unsigned char leaf_hash[MERKLE_HASH_BYTES])
{
	return frontier_push(f, leaf_hash, NULL);
}

void
merkle_frontier_root(const struct merkle_frontier *f,
    unsigned char out[MERKLE_HASH_BYTES])
{
	unsigned char r[MERKLE_HASH_BYTES];
	bool any = false;
	unsigned l;

	for (l = 0; l < MERKLE_LEVELS; l++) {
		if (!((f->size >> l) & 1))
			continue;
		if (any) {
			merkle_hash_children(f->h[l], r, r);
		} else {
			memcpy(r, f->h[l], MERKLE_HASH_BYTES);
			any = true;
		}
	}
	if (any)
		memcpy(out, r, MERKLE_HASH_BYTES);
	else
		merkle_hash_empty(out);
}

int
merkle_append_frontier(const struct merkle_store *st, struct merkle_frontier *f,
    const unsigned char (*leaf_hashes)[MERKLE_HASH_BYTES], size_t count)
{
	struct merkle_frontier next = *f;
	struct put_buf pb;
	size_t i;

	if (count > UINT64_MAX - f->size)
		return -1;
	pb.st = st;
	pb.n = 0;
	for (i = 0; i < count; i++)
		if (frontier_push(&next, leaf_hashes[i], &pb) == -1)
			return -1;
	if (put_flush(&pb) == -1)
		return -1;
	*f = next;
	return 0;
}

int
merkle_append(const struct merkle_store *st, uint64_t size,
    const unsigned char (*leaf_hashes)[MERKLE_HASH_BYTES], size_t count,
    unsigned char root[MERKLE_HASH_BYTES])
{
	struct merkle_frontier f;

	if (merkle_frontier_load(&f, st, size) == -1 ||
	    merkle_append_frontier(st, &f, leaf_hashes, count) == -1)
		return -1;
	if (root != NULL)
		merkle_frontier_root(&f, root);
	return 0;
}

bool
merkle_level_stored(unsigned level)
{
	return level == 0 || level >= MERKLE_TILE;
}

/* Nodes merkle_get_tiled() hands to raw at once. */
#define RAW_MAX (2 * MERKLE_LEVELS)

int
merkle_get_tiled(int (*raw)(void *ctx, const struct merkle_node *ids, size_t n,
		     unsigned char (*out)[MERKLE_HASH_BYTES]),
    void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	struct merkle_node want[RAW_MAX];
	unsigned char got[RAW_MAX][MERKLE_HASH_BYTES];
	size_t i, first = 0, nw = 0, w, need, j, width, span;
	unsigned l = 0, fl;

	for (i = 0;; i++) {
		need = 0;
		if (i < n) {
			l = ids[i].level;
			if (l >= MERKLE_LEVELS)
				return -1;
			need = merkle_level_stored(l) ? 1 : (size_t)1 << l;
		}
		if (i == n || nw + need > RAW_MAX) {
			if (nw > 0 && raw(ctx, want, nw, got) == -1)
				return -1;
			/* Each derived node folds its leaves pairwise, level
			 * by level, into the first of them. */
			for (w = 0; first < i; first++) {
				fl = ids[first].level;
				span = merkle_level_stored(fl) ?
				    1 :
				    (size_t)1 << fl;
				for (width = span; width > 1; width /= 2)
					for (j = 0; j < width / 2; j++)
						merkle_hash_children(got[w +
									 2 * j],
						    got[w + 2 * j + 1],
						    got[w + j]);
				memcpy(out[first], got[w], MERKLE_HASH_BYTES);
				w += span;
			}
			nw = 0;
			if (i == n)
				return 0;
		}
		if (merkle_level_stored(l)) {
			want[nw++] = ids[i];
			continue;
		}
		if (ids[i].index > (UINT64_MAX >> l))
			return -1;
		for (j = 0; j < need; j++)
			want[nw++] =
			    (struct merkle_node){ 0, (ids[i].index << l) + j };
	}
}

/* Adds to p the range [lo, hi) of a tree's recursion: one node when it is
 * complete, else the complete nodes of the set bits of hi - lo, highest
 * first (lo is a multiple of the largest of them, as the split rule
 * leaves it). */
static int
plan_range(struct plan *p, uint64_t lo, uint64_t hi)
{
	uint64_t size = hi - lo;
	size_t first = p->nids;
	int l;

	if (p->nel == MERKLE_PROOF_MAX)
		return -1;
	for (l = MERKLE_LEVELS - 1; l >= 0; l--) {
		if (!((size >> l) & 1))
			continue;
		if (p->nids == PLAN_MAX)
			return -1;
		p->ids[p->nids++] = (struct merkle_node){ (unsigned)l, lo >> l };
		lo += (uint64_t)1 << l;
	}
	p->el[p->nel].first = first;
	p->el[p->nel].count = p->nids - first;
	p->nel++;
	return 0;
}

/* One step down MTH's split of [lo, hi) at k = split(hi - lo): into the
 * left part [lo, lo + k), whose sibling [lo + k, hi) joins the proof, or
 * into the right part, whose sibling [lo, lo + k) does. */
static int
plan_descend(struct plan *p, uint64_t *lo, uint64_t *hi, bool left)
{
	uint64_t k = split(*hi - *lo);

	if (left) {
		if (plan_range(p, *lo + k, *hi) == -1)
			return -1;
		*hi = *lo + k;
	} else {
		if (plan_range(p, *lo, *lo + k) == -1)
			return -1;
		*lo += k;
	}
	return 0;
}

/* Reads p's nodes with one get and folds each range into its hash, out
 * in leaf-to-root order (the reverse of planning). */
static int
plan_run(const struct merkle_store *st, const struct plan *p,
    unsigned char out[][MERKLE_HASH_BYTES], size_t *len)
{
	unsigned char got[PLAN_MAX][MERKLE_HASH_BYTES];
	unsigned char r[MERKLE_HASH_BYTES];
	size_t e, i;

	if (p->nids > 0 && st->get(st->ctx, p->ids, p->nids, got) == -1)
		return -1;
	for (e = 0; e < p->nel; e++) {
		size_t first = p->el[e].first, count = p->el[e].count;

		memcpy(r, got[first + count - 1], MERKLE_HASH_BYTES);
		for (i = count - 1; i > 0; i--)
			merkle_hash_children(got[first + i - 1], r, r);
		memcpy(out[p->nel - 1 - e], r, MERKLE_HASH_BYTES);
	}
	*len = p->nel;
	return 0;
}

int
merkle_root(const struct merkle_store *st, uint64_t size,
    unsigned char out[MERKLE_HASH_BYTES])
{
	unsigned char r[1][MERKLE_HASH_BYTES];
	struct plan p;
	size_t len;

	if (size == 0) {
		merkle_hash_empty(out);
		return 0;
	}
	p.nids = p.nel = 0;
	if (plan_range(&p, 0, size) == -1 || plan_run(st, &p, r, &len) == -1)
		return -1;
	memcpy(out, r[0], MERKLE_HASH_BYTES);
	return 0;
}

int
merkle_inclusion_proof(const struct merkle_store *st, uint64_t index,
    uint64_t size, unsigned char path[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES],
    size_t *len)
{
	uint64_t lo = 0, hi = size;
	struct plan p;

	if (index >= size)
		return -1;
	p.nids = p.nel = 0;
	/* PATH(m, D[n]): the sibling of each subtree on the way down. */
	while (hi - lo > 1)
		if (plan_descend(&p, &lo, &hi, index < lo + split(hi - lo)) ==
		    -1)
			return -1;
	return plan_run(st, &p, path, len);
}

int
merkle_consistency_proof(const struct merkle_store *st, uint64_t m, uint64_t n,
    unsigned char proof[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES], size_t *len)
{
	uint64_t lo = 0, hi = n;
	bool b = true, left;
	struct plan p;

	if (m == 0 || m > n)
		return -1;
	p.nids = p.nel = 0;
	/* SUBPROOF(m, D[n], true), unrolled: lo < m <= hi throughout, and b
	 * turns false once the old tree's edge is inside a right part. */
	while (m != hi) {
		left = m <= lo + split(hi - lo);
		if (plan_descend(&p, &lo, &hi, left) == -1)
			return -1;
		b = b && left;
	}
	if (!b && plan_range(&p, lo, hi) == -1)
		return -1;
	return plan_run(st, &p, proof, len);
}

bool
merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char leaf_hash[MERKLE_HASH_BYTES],
    const unsigned char (*path)[MERKLE_HASH_BYTES], size_t len,
    const unsigned char root[MERKLE_HASH_BYTES])
{
	unsigned char r[MERKLE_HASH_BYTES];
	uint64_t fn = index, sn;
	size_t i;

	if (index >= size)
		return false;
	sn = size - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_BYTES);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_hash_children(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_hash_children(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MERKLE_HASH_BYTES) == 0;
}

bool
merkle_verify_consistency(uint64_t m, uint64_t n,
    const unsigned char root_m[MERKLE_HASH_BYTES],
    const unsigned char root_n[MERKLE_HASH_BYTES],
    const unsigned char (*proof)[MERKLE_HASH_BYTES], size_t len)
{
	unsigned char fr[MERKLE_HASH_BYTES], sr[MERKLE_HASH_BYTES];
	const unsigned char *c;
	uint64_t fn, sn;
	size_t i, start;

	if (m == 0 || m > n)
		return false;
	if (m == n)
		return len == 0 &&
		    memcmp(root_m, root_n, MERKLE_HASH_BYTES) == 0;
	if (len == 0)
		return false;
	/* When m is a power of two the old root is itself a node of the new
	 * tree and the proof leaves it out: it comes first, as if
	 * prepended. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, MERKLE_HASH_BYTES);
		start = 0;
	} else {
		memcpy(fr, proof[0], MERKLE_HASH_BYTES);
		start = 1;
	}
	memcpy(sr, fr, MERKLE_HASH_BYTES);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (i = start; i < len; i++) {
		c = proof[i];
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_hash_children(c, fr, fr);
			merkle_hash_children(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_hash_children(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root_m, MERKLE_HASH_BYTES) == 0 &&
	    memcmp(sr, root_n, MERKLE_HASH_BYTES) == 0;
}

void
merkle_mem_init(struct merkle_mem *m)
{
	memset(m, 0, sizeof(*m));
}

void
merkle_mem_free(struct merkle_mem *m)
{
	unsigned l;

	for (l = 0; l < MERKLE_LEVELS; l++)
		free(m->level[l].h);
	merkle_mem_init(m);
}

static int
mem_get(void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES])
{
	struct merkle_mem *m = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ids[i].level >= MERKLE_LEVELS ||
		    ids[i].index >= m->level[ids[i].level].len)
			return -1;
		memcpy(out[i], m->level[ids[i].level].h[ids[i].index],
		    MERKLE_HASH_BYTES);
	}
	return 0;
}

static int
mem_put(void *ctx, const struct merkle_node *ids,
    const unsigned char (*hashes)[MERKLE_HASH_BYTES], size_t n)
{
	struct merkle_mem *m = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned l = ids[i].level;

		if (l >= MERKLE_LEVELS || ids[i].index != m->level[l].len)
			return -1;
		if (m->level[l].len == m->level[l].cap) {
			uint64_t cap =
			    m->level[l].cap ? 2 * m->level[l].cap : 64;
			void *h;

			if (cap > SIZE_MAX / MERKLE_HASH_BYTES ||
			    (h = realloc(m->level[l].h,
				 (size_t)cap * MERKLE_HASH_BYTES)) == NULL)
				return -1;
			m->level[l].h = h;
			m->level[l].cap = cap;
		}
		memcpy(m->level[l].h[m->level[l].len++], hashes[i],
		    MERKLE_HASH_BYTES);
	}
	return 0;
}

struct merkle_store
merkle_mem_store(struct merkle_mem *m)
{
	return (struct merkle_store){ m, mem_get, mem_put };
}
