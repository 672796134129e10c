/* totp.h - the second factor of moderators and admins: TOTP (RFC 6238,
 * liboath) secrets, their otpauth:// URI and codes, and one-time recovery
 * codes. */
#ifndef HOLOS_TOTP_H
#define HOLOS_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define TOTP_SECRET_BYTES 20 /* 160 bits, as RFC 4226 recommends */
#define TOTP_STEP 30	     /* seconds a code lives */
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1 /* steps either side accepted (clock drift) */
#define TOTP_RECOVERY_CODES 10
#define TOTP_RECOVERY_CHARS 16 /* four groups of four: "abcd-efgh-…" */
#define TOTP_MAX_FAILED 5      /* wrong codes in a row lock the … */
#define TOTP_LOCK_SECONDS 900  /* … second factor for this long */

/* A new random secret into out. */
void totp_secret_new(unsigned char out[TOTP_SECRET_BYTES]);

/* The secret in base32 (RFC 4648, no padding), as authenticator apps
 * take it typed, from the arena; NULL when out of memory. */
char *totp_base32(struct arena *a, const unsigned char *secret, size_t len);

/* The otpauth:// URI of a secret for account (the address) at issuer (the
 * site's name), both percent-encoded, from the arena; NULL when out of
 * memory. */
char *totp_uri(struct arena *a, const unsigned char *secret, size_t len,
    const char *issuer, const char *account);

/* Whether code (TOTP_DIGITS digits, spaces allowed between) is the
 * secret's code for a step within TOTP_WINDOW of now's; *step gets that
 * step, which the caller must refuse when it was used already (replay).
 * Returns false for anything else. */
bool totp_check(const unsigned char *secret, size_t len, const char *code,
    int64_t now, int64_t *step);

/* TOTP_RECOVERY_CODES new recovery codes (each TOTP_RECOVERY_CHARS + 3
 * characters with dashes, and a NUL) into codes, and the keyed hash of
 * each one's normal form into hashes. */
void totp_recovery_new(char codes[][TOTP_RECOVERY_CHARS + 4],
    unsigned char hashes[][32]);

/* The keyed hash of a recovery code as typed (dashes, spaces and case
 * ignored) into out. Returns false when it cannot be one (wrong length or
 * letters), so nothing need be looked up. */
bool totp_recovery_hash(const char *code, size_t len, unsigned char out[32]);

#endif
