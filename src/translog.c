/* translog.c - leaf inputs, tree head signatures, the log key, reason
 * codes and base64 of the petition logs. */
#include "translog.h"

#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "petition.h"

static const struct {
	const char *name;
	bool moderator;
} reasons[TRANSLOG_REASON__MAX] = {
	[TRANSLOG_REASON_FRAUD] = { "fraud", true },
	[TRANSLOG_REASON_BOT] = { "bot", true },
	[TRANSLOG_REASON_DUPLICATE_PERSON] = { "duplicate_person", true },
	[TRANSLOG_REASON_DISPOSABLE] = { "disposable", true },
	[TRANSLOG_REASON_OTHER] = { "other", true },
	[TRANSLOG_REASON_WITHDRAWN] = { "withdrawn", false },
};

const char *
translog_reason_name(enum translog_reason r)
{
	if ((int)r < 0 || r >= TRANSLOG_REASON__MAX)
		return NULL;
	return reasons[r].name;
}

int
translog_reason_parse(const char *s, size_t len)
{
	int r;

	for (r = 0; r < TRANSLOG_REASON__MAX; r++)
		if (strlen(reasons[r].name) == len &&
		    memcmp(reasons[r].name, s, len) == 0)
			return r;
	return -1;
}

bool
translog_reason_moderator(enum translog_reason r)
{
	return (int)r >= 0 && r < TRANSLOG_REASON__MAX && reasons[r].moderator;
}

void
translog_commitment(const unsigned char secret[TRANSLOG_SECRET_BYTES],
    unsigned char out[TRANSLOG_COMMITMENT_BYTES])
{
	crypto_hash_sha256(out, secret, TRANSLOG_SECRET_BYTES);
}

bool
translog_country_valid(const char c[2])
{
	if (c[0] == '-' && c[1] == '-')
		return true;
	return c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

size_t
translog_leaf_encode(const struct translog_leaf *leaf,
    unsigned char out[TRANSLOG_LEAF_MAX])
{
	out[0] = TRANSLOG_VERSION;
	out[1] = (unsigned char)leaf->type;
	put_u64(out + 2, leaf->timestamp);
	switch (leaf->type) {
	case TRANSLOG_LEAF_SIGNATURE:
		if (!translog_country_valid(leaf->country))
			return 0;
		memcpy(out + 10, leaf->commitment, TRANSLOG_COMMITMENT_BYTES);
		memcpy(out + 10 + TRANSLOG_COMMITMENT_BYTES, leaf->country, 2);
		return TRANSLOG_SIGNATURE_LEAF_BYTES;
	case TRANSLOG_LEAF_REMOVAL:
		if (translog_reason_name(leaf->reason) == NULL)
			return 0;
		put_u64(out + 10, leaf->removed_index);
		out[18] = (unsigned char)leaf->reason;
		return TRANSLOG_REMOVAL_LEAF_BYTES;
	default: return 0;
	}
}

int
translog_leaf_parse(const unsigned char *p, size_t len,
    struct translog_leaf *out)
{
	if (len < 2 || p[0] != TRANSLOG_VERSION)
		return -1;
	memset(out, 0, sizeof(*out));
	switch (p[1]) {
	case TRANSLOG_LEAF_SIGNATURE:
		if (len != TRANSLOG_SIGNATURE_LEAF_BYTES ||
		    !translog_country_valid(
			(const char *)p + 10 + TRANSLOG_COMMITMENT_BYTES))
			return -1;
		out->type = TRANSLOG_LEAF_SIGNATURE;
		memcpy(out->commitment, p + 10, TRANSLOG_COMMITMENT_BYTES);
		memcpy(out->country, p + 10 + TRANSLOG_COMMITMENT_BYTES, 2);
		break;
	case TRANSLOG_LEAF_REMOVAL:
		if (len != TRANSLOG_REMOVAL_LEAF_BYTES ||
		    p[18] >= TRANSLOG_REASON__MAX)
			return -1;
		out->type = TRANSLOG_LEAF_REMOVAL;
		out->removed_index = get_u64(p + 10);
		out->reason = (enum translog_reason)p[18];
		break;
	default: return -1;
	}
	out->timestamp = get_u64(p + 2);
	return 0;
}

void
translog_sth_encode(const struct translog_sth *sth,
    unsigned char out[TRANSLOG_STH_INPUT_BYTES])
{
	out[0] = TRANSLOG_VERSION;
	out[1] = 1; /* signature_type: tree_hash */
	put_u64(out + 2, sth->timestamp);
	put_u64(out + 10, sth->tree_size);
	memcpy(out + 18, sth->root, TRANSLOG_HASH_BYTES);
}

void
translog_sth_sign(const struct translog_key *key,
    const struct translog_sth *sth, unsigned char sig[TRANSLOG_SIGNATURE_BYTES])
{
	unsigned char m[TRANSLOG_STH_INPUT_BYTES];

	translog_sth_encode(sth, m);
	crypto_sign_detached(sig, NULL, m, sizeof(m), key->sk);
}

bool
translog_sth_verify(const unsigned char pk[TRANSLOG_PUBLIC_KEY_BYTES],
    const struct translog_sth *sth,
    const unsigned char sig[TRANSLOG_SIGNATURE_BYTES])
{
	unsigned char m[TRANSLOG_STH_INPUT_BYTES];

	translog_sth_encode(sth, m);
	return crypto_sign_verify_detached(sig, m, sizeof(m), pk) == 0;
}

void
translog_key_id(const unsigned char pk[TRANSLOG_PUBLIC_KEY_BYTES],
    unsigned char out[TRANSLOG_HASH_BYTES])
{
	crypto_hash_sha256(out, pk, TRANSLOG_PUBLIC_KEY_BYTES);
}

void
translog_key_from_seed(const unsigned char seed[32], struct translog_key *out)
{
	crypto_sign_seed_keypair(out->pk, out->sk, seed);
	translog_key_id(out->pk, out->id);
}

int
translog_key_load(const char *data_dir, struct translog_key *out)
{
	unsigned char seed[crypto_sign_SEEDBYTES];

	if (crypto_key_file(data_dir, "log.key", seed, sizeof(seed)) == -1)
		return -1;
	translog_key_from_seed(seed, out);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

void
translog_b64_encode(char *out, const unsigned char *p, size_t n)
{
	sodium_bin2base64(out, TRANSLOG_B64_LEN(n) + 1, p, n,
	    sodium_base64_VARIANT_ORIGINAL);
}

static bool
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
translog_b64_decode(const char *s, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	size_t i, pad = 0;

	/* Checked here first: libsodium's decoder takes some bytes >= 0x80
	 * for alphabet characters where char is signed. */
	if (len % 4 != 0)
		return -1;
	if (len > 0 && s[len - 1] == '=')
		pad = (len > 1 && s[len - 2] == '=') ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!b64_char(s[i]))
			return -1;
	if (len / 4 * 3 - pad > cap)
		return -1;
	if (sodium_base642bin(out, cap, s, len, NULL, outlen, NULL,
		sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return 0;
}

bool
translog_site_valid(const char *s, size_t len)
{
	size_t i, scheme;

	if (len > TRANSLOG_SITE_MAX)
		return false;
	if (len > 7 && memcmp(s, "http://", 7) == 0)
		scheme = 7;
	else if (len > 8 && memcmp(s, "https://", 8) == 0)
		scheme = 8;
	else
		return false;
	for (i = scheme; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

void
translog_receipt_encode(struct buf *out, const struct translog_receipt *r)
{
	char secret[TRANSLOG_B64_LEN(TRANSLOG_SECRET_BYTES) + 1];

	translog_b64_encode(secret, r->secret, sizeof(r->secret));
	buf_puts(out, "{\"site\":\"");
	buf_append_json(out, r->site, strlen(r->site));
	buf_puts(out, "\",\"petition\":\"");
	buf_append_json(out, r->petition, strlen(r->petition));
	buf_printf(out, "\",\"leaf_index\":%llu,\"secret\":\"%s\"}\n",
	    (unsigned long long)r->leaf_index, secret);
	sodium_memzero(secret, sizeof(secret));
}

int
translog_receipt_parse(const char *json, size_t len,
    struct translog_receipt *out, const char **why)
{
	json_t *o, *site, *slug, *index, *secret;
	size_t n;

	memset(out, 0, sizeof(*out));
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (o == NULL || !json_is_object(o)) {
		*why = "not a JSON object";
		goto fail;
	}
	site = json_object_get(o, "site");
	slug = json_object_get(o, "petition");
	index = json_object_get(o, "leaf_index");
	secret = json_object_get(o, "secret");
	if (!json_is_string(site) ||
	    !translog_site_valid(json_string_value(site),
		json_string_length(site))) {
		*why = "site is not an http(s) address";
		goto fail;
	}
	if (!json_is_string(slug) ||
	    !petition_slug_valid(json_string_value(slug),
		json_string_length(slug))) {
		*why = "petition is not a petition's address";
		goto fail;
	}
	if (!json_is_integer(index) || json_integer_value(index) < 0) {
		*why = "leaf_index is not a number";
		goto fail;
	}
	if (!json_is_string(secret) ||
	    translog_b64_decode(json_string_value(secret),
		json_string_length(secret), out->secret, sizeof(out->secret),
		&n) == -1 ||
	    n != sizeof(out->secret)) {
		*why = "secret is not 32 bytes of base64";
		goto fail;
	}
	memcpy(out->site, json_string_value(site), json_string_length(site));
	memcpy(out->petition, json_string_value(slug), json_string_length(slug));
	out->leaf_index = (uint64_t)json_integer_value(index);
	json_decref(o);
	return 0;
fail:
	json_decref(o);
	sodium_memzero(out->secret, sizeof(out->secret));
	return -1;
}
