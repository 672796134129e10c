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

/* Reads the len-byte key in the file name of the folder data_dir into key;
 * when there is no such file, makes one: len random bytes, mode 0600, on
 * disk (fsync) before it is used. A file that group or others may read or
 * write, or of another size, is refused. Returns 0, or -1 with a logged
 * reason. */
int crypto_key_file(const char *data_dir, const char *name, unsigned char *key,
    size_t len);

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

/* Opens what crypto_seal() made, under the current sealing key or, while
 * a rotation runs, the old one. Returns a malloc'd plaintext of *outlen
 * bytes plus a NUL (caller frees), or NULL when the box is forged,
 * truncated or sealed under another key. */
char *crypto_open(const unsigned char *box, size_t len, size_t *outlen);

/* ---- keys: the rotation of the sealing key (docs/keys.md) ---- */

/* The sealing key's files in the data folder: seal.key (the current key;
 * until the first rotation there is none and the key is derived from
 * secret.key) and seal.key.old (the key a rotation is moving away from,
 * present only while it runs). */
#define CRYPTO_SEAL_KEY "seal.key"
#define CRYPTO_SEAL_KEY_OLD "seal.key.old"
#define CRYPTO_SEAL_KEY_BYTES 32
/* How often a process looks whether a rotation changed the key files,
 * before sealing or opening: a new key is in use everywhere this long
 * after it appears. */
#define CRYPTO_KEYS_LOOK_MS 500

/* Takes the data folder's key lock (DATA/rekey.lock, flock), held by a
 * rotation and a backup. Returns the descriptor (close it to release), or
 * -1 with errno EWOULDBLOCK when another process holds it, or another
 * errno when it cannot be opened. */
int crypto_keys_lock(const char *data_dir);

/* Reads the key files again now (after this process changed them). */
void crypto_keys_refresh(void);

/* True when the keys include an old one (a rotation is running). */
bool crypto_keys_rotating(void);

/* Copies the sealing key derived from secret.key into out (what data
 * sealed before any rotation is sealed under). Returns 0. */
int crypto_keys_export_derived(unsigned char out[CRYPTO_SEAL_KEY_BYTES]);

/* Moves box to the current key: when it opens only with the old key,
 * seals its plaintext again under the current one into *out (malloc'd,
 * *outlen bytes; caller frees). When plain_out is not NULL the plaintext
 * is handed over too (malloc'd, NUL after *plain_len bytes; caller wipes
 * and frees). Returns 1 (resealed), 0 (already under the current key:
 * *out NULL), or -1 when it opens with neither or memory is short. */
int crypto_reseal(const unsigned char *box, size_t len, unsigned char **out,
    size_t *outlen, char **plain_out, size_t *plain_len);

/* Appends the lowercase hex of n bytes to out. */
void crypto_hex(struct buf *out, const unsigned char *p, size_t n);

#endif
