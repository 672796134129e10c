/* merkle.h - the Merkle tree of RFC 6962 section 2.1 over a per-petition
 * log: tree hashes, audit paths and consistency proofs from stored subtree
 * hashes, and their verification (RFC 9162 sections 2.1.3.2, 2.1.4.2).
 * Storage-agnostic: nodes are read and written through struct
 * merkle_store, which the store implements in SQL and merkle_mem in
 * memory. The design is explained at the top of merkle.c. */
#ifndef HOLOS_MERKLE_H
#define HOLOS_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_BYTES 32
/* Levels of a tree of up to 2^64 - 1 leaves: 0 (leaves) to 63. */
#define MERKLE_LEVELS 64
/* The longest audit path or consistency proof (RFC 9162: at most
 * ceil(log2(n)) hashes, a consistency proof at most one more). */
#define MERKLE_PROOF_MAX (MERKLE_LEVELS + 1)

/* A complete subtree: the hash of leaves [index * 2^level,
 * (index + 1) * 2^level). Level 0 holds the leaf hashes. */
struct merkle_node {
	unsigned level;
	uint64_t index;
};

/* Where the complete subtrees live. Nodes never change once written, so
 * a store may cache them freely. ctx is the backend's (a connection and a
 * petition id, say); merkle.c never looks inside. */
struct merkle_store {
	void *ctx;
	/* Reads the hashes of the n nodes ids[0..n-1] into out[0..n-1], in
	 * that order (n is at most 2 * MERKLE_LEVELS: one query serves a
	 * whole proof). Returns 0, or -1 when any node is missing or the read
	 * fails; out is then undefined. */
	int (*get)(void *ctx, const struct merkle_node *ids, size_t n,
	    unsigned char (*out)[MERKLE_HASH_BYTES]);
	/* Stores n newly completed nodes (ids[i] has hash hashes[i]), in
	 * the order they completed: within a level, by increasing index. A
	 * node is put once. Returns 0, or -1 when the write fails. */
	int (*put)(void *ctx, const struct merkle_node *ids,
	    const unsigned char (*hashes)[MERKLE_HASH_BYTES], size_t n);
};

/* Levels a store keeps: the leaves (0) and MERKLE_TILE and above. A node
 * at levels 1 to MERKLE_TILE - 1 is the hash of at most 2^(MERKLE_TILE - 1)
 * consecutive leaves, computed when read (merkle_get_tiled()): seven in
 * eight of the nodes an append makes are never written, and a read costs
 * a short run of leaves instead. */
#define MERKLE_TILE 4

/* True when stores keep the nodes of level (see MERKLE_TILE). */
bool merkle_level_stored(unsigned level);

/* A merkle_store get for a store that keeps only merkle_level_stored()
 * levels: reads the n nodes ids[0..n-1] into out[0..n-1] through raw,
 * which is asked only for stored levels, at most 2 * MERKLE_LEVELS nodes
 * a call (raw's contract is get's), and computes every lower node from
 * its leaves. Returns 0, or -1 when raw fails or an id is out of range;
 * out is then undefined. */
int merkle_get_tiled(int (*raw)(void *ctx, const struct merkle_node *ids,
			 size_t n, unsigned char (*out)[MERKLE_HASH_BYTES]),
    void *ctx, const struct merkle_node *ids, size_t n,
    unsigned char (*out)[MERKLE_HASH_BYTES]);

/* The right edge of a tree of size leaves: for each set bit l of size,
 * the hash of the complete node (l, (size >> l) - 1). Enough to append
 * and to compute the root without reading anything else. */
struct merkle_frontier {
	uint64_t size;
	unsigned char h[MERKLE_LEVELS][MERKLE_HASH_BYTES];
};

/* SHA-256(0x00 || input): the hash of one leaf. */
void merkle_hash_leaf(const void *input, size_t len,
    unsigned char out[MERKLE_HASH_BYTES]);

/* SHA-256(0x01 || left || right): the hash of an inner node. */
void merkle_hash_children(const unsigned char left[MERKLE_HASH_BYTES],
    const unsigned char right[MERKLE_HASH_BYTES],
    unsigned char out[MERKLE_HASH_BYTES]);

/* SHA-256 of nothing: the root of the empty tree. */
void merkle_hash_empty(unsigned char out[MERKLE_HASH_BYTES]);

/* Makes f the frontier of the empty tree. */
void merkle_frontier_init(struct merkle_frontier *f);

/* Reads the frontier of the tree of size leaves from st (one get of
 * popcount(size) nodes). Returns 0, or -1 when the store fails. */
int merkle_frontier_load(struct merkle_frontier *f,
    const struct merkle_store *st, uint64_t size);

/* Appends one leaf hash without storing anything: for clients that only
 * recompute roots (O(log n) memory for any number of leaves). Returns 0,
 * or -1 when the tree is full (2^64 - 1 leaves). */
int merkle_frontier_push(struct merkle_frontier *f,
    const unsigned char leaf_hash[MERKLE_HASH_BYTES]);

/* The root of the tree f describes (merkle_hash_empty() for no leaves). */
void merkle_frontier_root(const struct merkle_frontier *f,
    unsigned char out[MERKLE_HASH_BYTES]);

/* Appends count leaf hashes to the tree of size leaves held in st: one
 * get of the frontier, then puts of every node the new leaves complete
 * (about 2 * count, in chunks). When root is not NULL, it receives the
 * new root (of size + count leaves). Returns 0, or -1 when the store fails
 * or the tree would overflow; the store may then hold some of the new
 * nodes, which the caller's transaction rolls back. */
int merkle_append(const struct merkle_store *st, uint64_t size,
    const unsigned char (*leaf_hashes)[MERKLE_HASH_BYTES], size_t count,
    unsigned char root[MERKLE_HASH_BYTES]);

/* Like merkle_append(), from and into a frontier the caller keeps (the
 * store's cache of a busy log saves the get). f must describe the tree
 * in st; on failure f is left as it was. */
int merkle_append_frontier(const struct merkle_store *st,
    struct merkle_frontier *f,
    const unsigned char (*leaf_hashes)[MERKLE_HASH_BYTES], size_t count);

/* The root of the first size leaves of the tree in st (any size up to the
 * stored one: old roots stay computable). Returns 0, or -1 when a node is
 * missing or the store fails. */
int merkle_root(const struct merkle_store *st, uint64_t size,
    unsigned char out[MERKLE_HASH_BYTES]);

/* The audit path PATH(index, D[size]) into path (leaf to root), its
 * length in *len. One get of at most 2 * MERKLE_LEVELS nodes. Returns 0,
 * or -1 when index >= size, a node is missing or the store fails. */
int merkle_inclusion_proof(const struct merkle_store *st, uint64_t index,
    uint64_t size, unsigned char path[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES],
    size_t *len);

/* The consistency proof PROOF(m, D[n]) into proof, its length in *len
 * (0 when m == n). Returns 0, or -1 when m is 0, m > n, a node is missing
 * or the store fails. */
int merkle_consistency_proof(const struct merkle_store *st, uint64_t m,
    uint64_t n, unsigned char proof[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES],
    size_t *len);

/* True when path proves that the leaf with hash leaf_hash is at index in
 * the tree of size leaves whose root is root. */
bool merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char leaf_hash[MERKLE_HASH_BYTES],
    const unsigned char (*path)[MERKLE_HASH_BYTES], size_t len,
    const unsigned char root[MERKLE_HASH_BYTES]);

/* True when proof shows that the tree of size m with root root_m is a
 * prefix of the tree of size n with root root_n. m == n needs an empty
 * proof and equal roots; m == 0 is refused (there is nothing to prove). */
bool merkle_verify_consistency(uint64_t m, uint64_t n,
    const unsigned char root_m[MERKLE_HASH_BYTES],
    const unsigned char root_n[MERKLE_HASH_BYTES],
    const unsigned char (*proof)[MERKLE_HASH_BYTES], size_t len);

/* An in-memory store: every complete node, level by level. For tests and
 * tools; a petition's log lives in the database. */
struct merkle_mem {
	struct {
		unsigned char (*h)[MERKLE_HASH_BYTES];
		uint64_t len, cap;
	} level[MERKLE_LEVELS];
};

void merkle_mem_init(struct merkle_mem *m);
/* Frees the nodes; m is empty and usable again. */
void merkle_mem_free(struct merkle_mem *m);
/* A store reading and writing m (which must outlive it). Its put refuses
 * a node out of order (index != the level's length) and fails when out of
 * memory. */
struct merkle_store merkle_mem_store(struct merkle_mem *m);

#endif
