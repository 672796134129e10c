/* crypto.h - the site secret and what is derived from it: CSRF tokens,
 * sealed personal data, keyed email hashes. All primitives are libsodium's. */
#ifndef HOLOS_CRYPTO_H
#define HOLOS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"

#define CRYPTO_HASH_BYTES 32
#define CRYPTO_COOKIE_CHARS 22 /* base64url of 16 random bytes */
#define CRYPTO_CSRF_MAX_AGE (12 * 3600)

/* Initialises libsodium and loads DIR/secret.key, creating it (32 random
 * bytes, mode 0600) when absent. Returns 0, or -1 with a logged reason
 * (unreadable, wrong size, wrong permissions). Call once at start-up. */
int crypto_init(const char *data_dir);

/* Reads the len-byte key in the file at path into key; when there is no
 * such file, makes one: len random bytes, mode 0600, on disk (fsync)
 * before it is used. A file that group or others may read or write, or
 * of another size, is refused. Returns 0, or -1 with a logged reason.
 * Needs sodium_init() first. */
int crypto_key_file(const char *path, unsigned char *key, size_t len);

/* Reads the whole of a file holding a secret (the site secret, a DKIM
 * key) into buf, refusing it when its mode lets the group or others in
 * (mode & 077: such a secret must be taken as known), when it is not a
 * regular file, or when it is larger than cap. Returns the number of bytes
 * read, or -1: with errno ENOENT and nothing logged when the file does not
 * exist, otherwise with a logged reason. */
ssize_t crypto_secret_file_read(const char *path, void *buf, size_t cap);

/* Fills out with CRYPTO_COOKIE_CHARS + 1 bytes: a fresh random value for a
 * cookie (128 bits, base64url), NUL-terminated. */
void crypto_new_cookie(char out[CRYPTO_COOKIE_CHARS + 1]);

/* Appends to out a form token: "TIME.MAC", MAC being HMAC-SHA-256 under a
 * key derived from the site secret over TIME and binding. binding is ""
 * for forms anyone may post (the sign form: its page can then be cached
 * and shared), or a session id for forms of a signed-in user. TIME is the
 * second the form was made, which the bot checks read back. Any holos
 * process with the same secret accepts it. */
void crypto_csrf_token(struct buf *out, const char *binding, time_t now);

/* The time a token was made, without checking it (check first). Returns
 * 0, or -1 when token has no time. */
int crypto_csrf_time(const char *token, size_t len, int64_t *out);

/* Returns true when token was made by crypto_csrf_token() for binding no
 * more than CRYPTO_CSRF_MAX_AGE seconds before now (and not from the
 * future). */
bool crypto_csrf_check(const char *token, size_t token_len, const char *binding,
    time_t now);

#define CRYPTO_TOKEN_CHARS 43 /* base64url of 32 random bytes */

/* Makes a fresh secret for a link sent by email: 32 random bytes as
 * CRYPTO_TOKEN_CHARS base64url characters and a NUL. */
void crypto_token_new(char out[CRYPTO_TOKEN_CHARS + 1]);

/* True when s has the shape of a token (so it is worth a lookup). */
bool crypto_token_valid(const char *s, size_t len);

/* The keyed hash under which a token is stored: the database never holds
 * the token itself. */
void crypto_token_hash(const char *token, size_t len,
    unsigned char out[CRYPTO_HASH_BYTES]);

/* HMAC-SHA-256 of msg under a key derived from the site secret for
 * purpose ("pow", …): purposes never share a key. Writes 32 bytes. */
void crypto_misc_mac(const char *purpose, const void *msg, size_t len,
    unsigned char out[32]);

/* Keyed BLAKE2b of msg (outlen 16 to 64 bytes) under a key derived for
 * purpose: a fast MAC for values made on every request. */
void crypto_misc_hash(const char *purpose, const void *msg, size_t len,
    unsigned char *out, size_t outlen);

/* Writes the keyed BLAKE2b hash of an already normalised email to out. The
 * key is derived from the site secret, so the hash is useless without it. */
void crypto_email_hash(const char *email, size_t len,
    unsigned char out[CRYPTO_HASH_BYTES]);

/* Seals plaintext with XSalsa20-Poly1305 under the personal-data key.
 * Returns a malloc'd nonce||ciphertext of *outlen bytes (caller frees),
 * or NULL when out of memory. */
unsigned char *crypto_seal(const void *plain, size_t len, size_t *outlen);

/* Opens what crypto_seal() made. Returns a malloc'd plaintext of *outlen
 * bytes plus a NUL (caller frees), or NULL when the box is forged,
 * truncated or sealed under another key. */
char *crypto_open(const unsigned char *box, size_t len, size_t *outlen);

/* Appends the lowercase hex of n bytes to out. */
void crypto_hex(struct buf *out, const unsigned char *p, size_t n);

#endif
