/* translog.h - the byte formats of the petition logs, in one place: leaf
 * inputs for signatures and removals, RFC 6962's TreeHeadSignature input
 * and its Ed25519 signature, the log key in DATA/log.key, the removal
 * reason codes, and the standard base64 of the log API. The server, the
 * audit client and docs/transparency.md follow this file. */
#ifndef HOLOS_TRANSLOG_H
#define HOLOS_TRANSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TRANSLOG_VERSION 0
#define TRANSLOG_SECRET_BYTES 32     /* a signer's receipt secret */
#define TRANSLOG_COMMITMENT_BYTES 32 /* SHA-256 of the secret */
#define TRANSLOG_HASH_BYTES 32
/* Leaf inputs, all integers big-endian:
 *   signature: version u8 = 0, type u8 = 0, timestamp u64 (ms since the
 *     epoch), commitment [32], country [2] (ISO 3166 alpha-2, "--": none)
 *   removal: version u8 = 0, type u8 = 1, timestamp u64, removed_index u64
 *     (the leaf index of the removed signature), reason u8 */
#define TRANSLOG_SIGNATURE_LEAF_BYTES (1 + 1 + 8 + 32 + 2)
#define TRANSLOG_REMOVAL_LEAF_BYTES (1 + 1 + 8 + 8 + 1)
#define TRANSLOG_LEAF_MAX TRANSLOG_SIGNATURE_LEAF_BYTES
/* RFC 6962 section 3.5 TreeHeadSignature: version u8 = 0, signature_type
 * u8 = 1 (tree_hash), timestamp u64 (ms), tree_size u64, root [32]. */
#define TRANSLOG_STH_INPUT_BYTES (1 + 1 + 8 + 8 + 32)
#define TRANSLOG_PUBLIC_KEY_BYTES 32 /* Ed25519 */
#define TRANSLOG_SIGNATURE_BYTES 64  /* Ed25519 */
#define TRANSLOG_NO_COUNTRY "--"
#define TRANSLOG_SITE_MAX 2048 /* bytes of a site's URL in a receipt */
#define TRANSLOG_SLUG_MAX 80
/* Characters of the base64 of n bytes, without the NUL. */
#define TRANSLOG_B64_LEN(n) (4 * (((n) + 2) / 3))

enum translog_leaf_type {
	TRANSLOG_LEAF_SIGNATURE = 0,
	TRANSLOG_LEAF_REMOVAL = 1,
	TRANSLOG_LEAF__MAX
};

/* Why a signature left the count: the codes removal leaves carry. They
 * are published: never renumber, only add. */
enum translog_reason {
	TRANSLOG_REASON_FRAUD = 0,
	TRANSLOG_REASON_BOT = 1,
	TRANSLOG_REASON_DUPLICATE_PERSON = 2,
	TRANSLOG_REASON_DISPOSABLE = 3,
	TRANSLOG_REASON_OTHER = 4,
	TRANSLOG_REASON_WITHDRAWN = 5, /* by the signer, not a moderator */
	TRANSLOG_REASON__MAX
};

/* One leaf, either kind: the fields of the other kind are ignored. */
struct translog_leaf {
	enum translog_leaf_type type;
	uint64_t timestamp; /* ms since the epoch */
	/* TRANSLOG_LEAF_SIGNATURE */
	unsigned char commitment[TRANSLOG_COMMITMENT_BYTES];
	char country[2]; /* "UA", or "--"; not NUL-terminated */
	/* TRANSLOG_LEAF_REMOVAL */
	uint64_t removed_index;
	enum translog_reason reason;
};

/* A signed tree head's content. */
struct translog_sth {
	uint64_t timestamp; /* ms since the epoch */
	uint64_t tree_size;
	unsigned char root[TRANSLOG_HASH_BYTES];
};

/* The log's signing key: an Ed25519 key pair and its id. */
struct translog_key {
	unsigned char pk[TRANSLOG_PUBLIC_KEY_BYTES];
	unsigned char sk[64];
	unsigned char id[TRANSLOG_HASH_BYTES]; /* SHA-256 of pk */
};

/* A signer's receipt, as the confirmed page offers it for download:
 *   {"site":"https://example.org","petition":"SLUG","leaf_index":41,
 *    "secret":B64 (32 bytes)}
 * (other members are ignored). The secret proves which leaf is the
 * signer's; only its commitment is in the log. */
struct translog_receipt {
	char site[TRANSLOG_SITE_MAX + 1]; /* http(s)://host[:port][/path] */
	char petition[TRANSLOG_SLUG_MAX + 1];
	uint64_t leaf_index;
	unsigned char secret[TRANSLOG_SECRET_BYTES];
};

/* The reason's name as the store, the forms and the page know it
 * ("fraud", …, "withdrawn"), or NULL for a value out of range. */
const char *translog_reason_name(enum translog_reason r);

/* The reason named s (len bytes), or -1 when there is none. */
int translog_reason_parse(const char *s, size_t len);

/* True when a moderator may give the reason (withdrawn is the signer's). */
bool translog_reason_moderator(enum translog_reason r);

/* SHA-256 of a receipt secret: what a signature leaf carries. */
void translog_commitment(const unsigned char secret[TRANSLOG_SECRET_BYTES],
    unsigned char out[TRANSLOG_COMMITMENT_BYTES]);

/* True when c is two ASCII capitals or "--". */
bool translog_country_valid(const char c[2]);

/* Writes leaf's input to out. Returns its length, or 0 when the leaf
 * cannot be written (unknown type or reason, invalid country). */
size_t translog_leaf_encode(const struct translog_leaf *leaf,
    unsigned char out[TRANSLOG_LEAF_MAX]);

/* Reads a leaf input. Returns 0, or -1 when p is not exactly one valid
 * leaf: another version, an unknown type or reason, a wrong length for its
 * type, a country that is neither two ASCII capitals nor "--". */
int translog_leaf_parse(const unsigned char *p, size_t len,
    struct translog_leaf *out);

/* Writes the 50-byte TreeHeadSignature input of sth to out. */
void translog_sth_encode(const struct translog_sth *sth,
    unsigned char out[TRANSLOG_STH_INPUT_BYTES]);

/* Signs sth's TreeHeadSignature input with key (Ed25519, deterministic). */
void translog_sth_sign(const struct translog_key *key,
    const struct translog_sth *sth, unsigned char sig[TRANSLOG_SIGNATURE_BYTES]);

/* True when sig is pk's signature of sth's TreeHeadSignature input. */
bool translog_sth_verify(const unsigned char pk[TRANSLOG_PUBLIC_KEY_BYTES],
    const struct translog_sth *sth,
    const unsigned char sig[TRANSLOG_SIGNATURE_BYTES]);

/* SHA-256 of a public key: the key_id the API publishes. */
void translog_key_id(const unsigned char pk[TRANSLOG_PUBLIC_KEY_BYTES],
    unsigned char out[TRANSLOG_HASH_BYTES]);

/* Loads DATA/log.key (the 32-byte Ed25519 seed), making it on first start,
 * and handled exactly like secret.key (crypto_key_file(): mode 0600,
 * refused when others may read it). Every node of a cluster needs the
 * same file. Returns 0, or -1 with a logged reason. */
int translog_key_load(const char *data_dir, struct translog_key *out);

/* Derives the key pair from a 32-byte seed (tests and tools). */
void translog_key_from_seed(const unsigned char seed[32],
    struct translog_key *out);

/* True when s (len bytes) can be a site's base URL: http:// or https://,
 * then printable ASCII without spaces, quotes or backslashes, at most
 * TRANSLOG_SITE_MAX bytes. */
bool translog_site_valid(const char *s, size_t len);

/* Appends the receipt's JSON to out (check buf_ok()). */
void translog_receipt_encode(struct buf *out, const struct translog_receipt *r);

/* Reads a receipt's JSON (len bytes). Returns 0, or -1 with *why set to a
 * static phrase ("secret is not 32 bytes of base64", …) when it is not
 * JSON, a member is missing or malformed, or the site or petition is not
 * valid. */
int translog_receipt_parse(const char *json, size_t len,
    struct translog_receipt *out, const char **why);

/* Writes the standard base64 (RFC 4648 section 4, padded) of n bytes and a
 * NUL to out, which has room for TRANSLOG_B64_LEN(n) + 1 characters. */
void translog_b64_encode(char *out, const unsigned char *p, size_t n);

/* Decodes standard base64 strictly: the RFC 4648 alphabet only, padded to
 * a multiple of four, no spaces or line breaks, unused bits zero. Writes
 * the bytes to out (room for cap) and their number to *outlen. Returns 0,
 * or -1 when s is malformed or decodes to more than cap bytes. */
int translog_b64_decode(const char *s, size_t len, unsigned char *out,
    size_t cap, size_t *outlen);

#endif
