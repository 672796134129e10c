/* page_log.c - the petitions' log API, in Certificate Transparency's v1
 * names under each petition (docs/transparency.md): the key, the newest
 * signed head, consistency and audit proofs, and the leaves. Every answer
 * is JSON; bad arguments are 400 with {"error": …}. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "loghead.h"
#include "merkle.h"
#include "page.h"
#include "ratelimit.h"
#include "translog.h"

/* Leaves one get-entries call gives at most (fewer is allowed, as in CT). */
#define LOG_ENTRIES_MAX 1000

/* Answers for a fixed tree size never change. */
#define CACHE_FOREVER "public, max-age=31536000, immutable"

static void
log_fail(struct request *r, int status, const char *why)
{
	http_header_add(r, "Cache-Control", "no-store");
	page_json(r, status, json_pack("{s:s}", "error", why));
}

/* The log's reads share the open API's limits per client and per network
 * (--api-rate-ip, --api-rate-net): a monitor reading entries at two calls
 * a second is never refused, a flood is at once, before any database
 * read. Returns 0, or -1 having answered 429 with Retry-After (holos
 * audit waits that long and asks again). */
static int
log_admit(struct request *r)
{
	int wait = 1;

	if (ratelimit_take_api(&r->addr, &wait))
		return 0;
	http_header_add(r, "Retry-After",
	    arena_printf(r->arena, "%d", wait > 0 ? wait : 1));
	log_fail(r, 429, "too many requests; try again after Retry-After");
	return -1;
}

/* Replies for a store operation that failed (st, not STORE_OK): 503 with
 * Retry-After when the database is unavailable or a lookup by hash would
 * have to scan a catch-up's backlog (store_log_find()), 500 otherwise. */
static void
log_store_failed(struct request *r, enum store_status st)
{
	if (st == STORE_UNAVAILABLE) {
		http_header_add(r, "Retry-After", "5");
		log_fail(r, 503, "unavailable for now; try again shortly");
	} else {
		log_fail(r, 500, "internal error");
	}
}

/* The petition the path names, if its log is public and the client is
 * within its rate: sets *id and *created (unix seconds). Otherwise
 * replies and returns -1. */
static int
log_petition(struct request *r, int64_t *id, int64_t *created)
{
	enum store_status st;
	struct petition p;

	if (log_admit(r) == -1)
		return -1;
	switch (
	    (st = store_petition_by_slug(site.store, r->arena, r->slug, &p))) {
	case STORE_OK: break;
	case STORE_NOTFOUND: log_fail(r, 404, "no such petition"); return -1;
	default: log_store_failed(r, st); return -1;
	}
	if (p.state == PETITION_DRAFT || p.state == PETITION_PENDING ||
	    p.state == PETITION_REJECTED) {
		log_fail(r, 404, "no such petition");
		return -1;
	}
	if (p.state == PETITION_HIDDEN) {
		log_fail(r, 410, "the petition is hidden");
		return -1;
	}
	*id = p.id;
	*created = p.created_at;
	return 0;
}

/* Reads query parameter name as a decimal integer from 0 to INT64_MAX
 * (digits only: no sign, space or exponent). Otherwise replies 400 and
 * returns -1. */
static int
log_arg(struct request *r, const char *name, int64_t *out)
{
	const char *s = http_query(r, name), *p;
	uint64_t v = 0;

	if (s == NULL || *s == '\0') {
		log_fail(r, 400, arena_printf(r->arena, "%s is missing", name));
		return -1;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - s >= 19) {
			log_fail(r, 400,
			    arena_printf(r->arena,
				"%s is not a number from 0 to %lld", name,
				(long long)INT64_MAX));
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > (uint64_t)INT64_MAX) {
		log_fail(r, 400,
		    arena_printf(r->arena, "%s is too large", name));
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

/* The log's size now; -1 after replying with the failure. */
static int64_t
log_size(struct request *r, int64_t id)
{
	enum store_status st;
	int64_t count, size;

	if ((st = store_log_count(site.store, id, &count, &size)) != STORE_OK) {
		log_store_failed(r, st);
		return -1;
	}
	return size;
}

static json_t *
b64_json(struct request *r, const unsigned char *p, size_t n)
{
	char *s = arena_alloc(r->arena, TRANSLOG_B64_LEN(n) + 1);

	if (s == NULL)
		return NULL;
	translog_b64_encode(s, p, n);
	return json_string(s);
}

static json_t *
hashes_json(struct request *r, const unsigned char (*h)[32], size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, b64_json(r, h[i], 32));
	return a;
}

void
page_log_key(struct request *r)
{
	const struct translog_key *k = loghead_key();
	unsigned char id[TRANSLOG_HASH_BYTES];

	page_begin(r);
	if (k == NULL) {
		log_fail(r, 503, "the log key is not loaded");
		return;
	}
	translog_key_id(k->pk, id);
	http_header_add(r, "Cache-Control", "public, max-age=3600");
	page_json(r, 200,
	    json_pack("{s:s, s:o, s:o}", "algorithm", "ed25519", "key",
		b64_json(r, k->pk, sizeof(k->pk)), "key_id",
		b64_json(r, id, sizeof(id))));
}

void
page_log_sth(struct request *r)
{
	const struct translog_key *k = loghead_key();
	unsigned char sig[TRANSLOG_SIGNATURE_BYTES];
	struct translog_sth sth;
	enum store_status st;
	struct log_tree t;
	int64_t id, created;

	page_begin(r);
	if (log_petition(r, &id, &created) == -1)
		return;
	switch ((st = store_log_tree(site.store, id, &t))) {
	case STORE_OK: break;
	case STORE_NOTFOUND: t.sth_size = -1; break;
	default: log_store_failed(r, st); return;
	}
	if (t.sth_size >= 0) {
		sth.timestamp = (uint64_t)t.sth_timestamp;
		sth.tree_size = (uint64_t)t.sth_size;
		memcpy(sth.root, t.sth_root, sizeof(sth.root));
		memcpy(sig, t.sth_signature, sizeof(sig));
	} else {
		/* Nothing signed yet: the empty tree, as of the petition's
		 * start, signed here (Ed25519 is deterministic, so every
		 * node gives the same). */
		if (k == NULL) {
			log_fail(r, 503, "the log key is not loaded");
			return;
		}
		sth.timestamp = (uint64_t)created * 1000;
		sth.tree_size = 0;
		merkle_hash_empty(sth.root);
		translog_sth_sign(k, &sth, sig);
	}
	http_header_add(r, "Cache-Control", "public, max-age=1");
	page_json(r, 200,
	    json_pack("{s:I, s:I, s:o, s:o}", "tree_size",
		(json_int_t)sth.tree_size, "timestamp",
		(json_int_t)sth.timestamp, "sha256_root_hash",
		b64_json(r, sth.root, sizeof(sth.root)), "tree_head_signature",
		b64_json(r, sig, sizeof(sig))));
}

void
page_log_consistency(struct request *r)
{
	unsigned char proof[MERKLE_PROOF_MAX][32];
	int64_t id, created, first, second, size;
	enum store_status st;
	size_t len = 0;

	page_begin(r);
	if (log_petition(r, &id, &created) == -1 ||
	    log_arg(r, "first", &first) == -1 ||
	    log_arg(r, "second", &second) == -1 ||
	    (size = log_size(r, id)) == -1)
		return;
	if (first == 0 || first > second || second > size) {
		log_fail(r, 400,
		    arena_printf(r->arena,
			"need 0 < first <= second <= %lld (the log's size)",
			(long long)size));
		return;
	}
	if (first < second &&
	    (st = store_log_consistency(site.store, id, first, second, proof,
		 &len)) != STORE_OK) {
		log_store_failed(r, st);
		return;
	}
	http_header_add(r, "Cache-Control", CACHE_FOREVER);
	page_json(r, 200,
	    json_pack("{s:o}", "consistency",
		hashes_json(r, (const unsigned char(*)[32])proof, len)));
}

void
page_log_proof(struct request *r)
{
	unsigned char hash[TRANSLOG_HASH_BYTES], path[MERKLE_PROOF_MAX][32];
	int64_t id, created, tree_size, size, index;
	enum store_status st;
	const char *h;
	size_t len = 0, hlen = 0;

	page_begin(r);
	if (log_petition(r, &id, &created) == -1)
		return;
	h = http_query(r, "hash");
	if (h == NULL ||
	    translog_b64_decode(h, strlen(h), hash, sizeof(hash), &hlen) == -1 ||
	    hlen != sizeof(hash)) {
		log_fail(r, 400,
		    "hash is not the standard base64 of 32 bytes (escape + "
		    "as %2B)");
		return;
	}
	if (log_arg(r, "tree_size", &tree_size) == -1 ||
	    (size = log_size(r, id)) == -1)
		return;
	if (tree_size == 0 || tree_size > size) {
		log_fail(r, 400,
		    arena_printf(r->arena,
			"need 0 < tree_size <= %lld (the log's size)",
			(long long)size));
		return;
	}
	switch ((st = store_log_find(site.store, id, hash, tree_size, &index))) {
	case STORE_OK: break;
	case STORE_NOTFOUND:
		log_fail(r, 404, "no leaf with that hash in that tree");
		return;
	default: log_store_failed(r, st); return;
	}
	if ((st = store_log_proof(site.store, id, index, tree_size, path,
		 &len)) != STORE_OK) {
		log_store_failed(r, st);
		return;
	}
	http_header_add(r, "Cache-Control", CACHE_FOREVER);
	page_json(r, 200,
	    json_pack("{s:I, s:o}", "leaf_index", (json_int_t)index,
		"audit_path",
		hashes_json(r, (const unsigned char(*)[32])path, len)));
}

void
page_log_entries(struct request *r)
{
	int64_t id, created, start, end, size;
	enum store_status st;
	struct log_entry *es;
	json_t *a;
	size_t n, i;
	bool cut;

	page_begin(r);
	if (log_petition(r, &id, &created) == -1 ||
	    log_arg(r, "start", &start) == -1 ||
	    log_arg(r, "end", &end) == -1 || (size = log_size(r, id)) == -1)
		return;
	if (start > end || start >= size) {
		log_fail(r, 400,
		    arena_printf(r->arena,
			"need start <= end and start < %lld (the log's size)",
			(long long)size));
		return;
	}
	if (end - start >= LOG_ENTRIES_MAX)
		end = start + LOG_ENTRIES_MAX - 1;
	/* Up to the end of the log: the answer may grow later. */
	cut = end >= size;
	if (cut)
		end = size - 1;
	if ((st = store_log_entries(site.store, r->arena, id, start, end, &es,
		 &n)) != STORE_OK) {
		log_store_failed(r, st);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a,
		    json_pack("{s:o}", "leaf_input",
			b64_json(r, es[i].input, es[i].len)));
	http_header_add(r, "Cache-Control",
	    cut ? "public, max-age=1" : CACHE_FOREVER);
	page_json(r, 200, json_pack("{s:o}", "entries", a));
}
