/* account.h - accounts and sessions: Argon2id passwords, session cookies
 * known to the store only by their hash, login with lockout. */
#ifndef HOLOS_ACCOUNT_H
#define HOLOS_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define ACCOUNT_SESSION_CHARS 43 /* base64url of 32 random bytes */
#define ACCOUNT_SESSION_TTL (14 * 86400)
#define ACCOUNT_MAX_FAILED 5	 /* failures in a row that lock … */
#define ACCOUNT_LOCK_SECONDS 900 /* … for this long */

enum login_result {
	LOGIN_OK,
	LOGIN_WRONG, /* no such account or a wrong password: the
		      * same answer, so no one learns which */
	LOGIN_LOCKED,
	LOGIN_UNAVAILABLE,
	LOGIN__MAX
};

#define ACCOUNT_HASH_CHARS 128	/* crypto_pwhash_STRBYTES */
#define ACCOUNT_PASSWORD_MIN 10 /* characters a password needs at least */

struct account_new {
	const char *email;    /* as typed; normalised here */
	const char *password; /* NUL-terminated */
	enum user_role role;
	const char *name; /* public name, may be "" */
	const char *lang; /* their mail's language */
	bool verified;	  /* made by an operator */
};

/* Sets the memory, in MiB (8 to 1024), of the password hashes made from
 * now on, and of the one checked for an unknown account (made once, on
 * first use). The default is libsodium's interactive 64 MiB. */
void account_set_memory(unsigned long mib);

/* Hashes password with Argon2id (one hash at a time: each takes the memory
 * account_set_memory() gave) into out. Returns 0, or -1 (logged). */
int account_hash_password(const char *password, size_t len,
    char out[ACCOUNT_HASH_CHARS]);

/* Creates an account (the email normalised, hashed and sealed; the password
 * hashed with Argon2id) and sets *id (id may be NULL). Returns 0, 1 when
 * the email has an account, or -1 (logged) when the email is not an
 * address or the store fails. */
int account_create(struct store *s, const struct account_new *n, int64_t *id);

/* holos user add --email E --role R: reads the password from standard
 * input (one line; the terminal does not echo it) and creates the account.
 * Returns the exit status after printing. */
int account_cmd(struct store *s, int argc, char **argv);

extern const char account_usage[];

/* The cookie a browser keeps once it has signed in to an account: it lets
 * the right password through while the account is locked by others'
 * guesses. ACCOUNT_KNOWN_CHARS characters and a NUL. */
#define ACCOUNT_KNOWN_COOKIE "holos_known"
#define ACCOUNT_KNOWN_CHARS 43

/* Checks email and password; on LOGIN_OK fills user and writes the
 * browser's known-account cookie into known (ACCOUNT_KNOWN_CHARS + 1
 * bytes); the session is the caller's to start (after a second factor,
 * page_login_done()). After ACCOUNT_MAX_FAILED failures in a row an address is
 * locked for ACCOUNT_LOCK_SECONDS (LOGIN_LOCKED, at once, for an address with
 * an account or without one alike: the failures are the store's, per address,
 * and both cases read, hash and write the same), except for a browser
 * whose known_cookie (may be NULL) says it signed in to that account
 * before. */
enum login_result account_login(struct store *s, struct arena *a,
    const char *email, size_t elen, const char *password, size_t plen,
    const char *known_cookie, struct user *user, char *known);

/* The cookie of a sign-in waiting for its second factor: the account,
 * good until expires, under a keyed hash. ACCOUNT_PENDING_CHARS characters
 * and a NUL into out. */
#define ACCOUNT_PENDING_COOKIE "holos_2fa"
#define ACCOUNT_PENDING_CHARS 43
#define ACCOUNT_PENDING_TTL 300
void account_pending_new(int64_t user_id, int64_t expires, char *out);

/* The account of a second-factor cookie made before and still good at
 * now, or 0 (none, forged, expired). */
int64_t account_pending_user(const char *cookie, int64_t now);

/* The known-account cookie for the account of email (normalised), into out
 * (ACCOUNT_KNOWN_CHARS + 1 bytes): for a browser that signed in another
 * way (a mailed sign-in link). */
void account_known_new(const char *email, char *out);

/* The user of a session cookie; returns 0, 1 when the cookie is unknown or
 * expired, -1 when the store cannot say. */
int account_session(struct store *s, struct arena *a, const char *cookie,
    struct user *out);

/* Ends the session of a cookie (a no-op for an unknown one). */
void account_logout(struct store *s, const char *cookie);

/* The value a session's forms bind their tokens to: a hash of the cookie,
 * as text, into out (at least 33 bytes). */
void account_binding(const char *cookie, char *out);

#define ACCOUNT_PASSWORD_MAX 1024      /* characters a password may have */
#define ACCOUNT_VERIFY_TTL (48 * 3600) /* a verification link works … */
#define ACCOUNT_RESET_TTL 3600	       /* … and a password reset link */

enum account_password_check {
	ACCOUNT_PASSWORD_OK,
	ACCOUNT_PASSWORD_SHORT,	   /* fewer than ACCOUNT_PASSWORD_MIN */
	ACCOUNT_PASSWORD_LONG,	   /* more than ACCOUNT_PASSWORD_MAX */
	ACCOUNT_PASSWORD_IS_EMAIL, /* the account's own address */
	ACCOUNT_PASSWORD__MAX
};

/* Whether password (len bytes of valid UTF-8) may be an account's password;
 * email is the account's normalised address (NULL: not known). */
enum account_password_check account_password_check(struct arena *a,
    const char *password, size_t len, const char *email);

/* Starts a session for user id: writes a fresh cookie value into cookie
 * (ACCOUNT_SESSION_CHARS + 1 bytes). Returns 0, or -1 when the store
 * fails (logged). */
int account_session_start(struct store *s, int64_t id, char *cookie);

/* What an account link that the store no longer knows had been. */
enum account_link_state {
	ACCOUNT_LINK_UNKNOWN, /* not one holos made for this purpose */
	ACCOUNT_LINK_EXPIRED, /* made here, and past its time */
	ACCOUNT_LINK_SPENT,   /* made here, in time: so used already */
	ACCOUNT_LINK__MAX
};

/* Makes the secret of a mailed account link (CRYPTO_TOKEN_CHARS + NUL, as
 * crypto_token_new()): 128 random bits, the expiry and a keyed hash over
 * both and the purpose, so a link the store has forgotten can still be
 * told apart from one that never existed. The store keeps only its
 * crypto_token_hash(). */
void account_link_new(enum user_token_purpose purpose, int64_t expires,
    char *out);

/* What a link is, judged from the link alone (see account_link_new()):
 * call it when the store does not find the link. */
enum account_link_state account_link_state(const char *token,
    enum user_token_purpose purpose, int64_t now);

/* A small limit on mail sent to one account, in this process: returns true
 * and records a send when fewer than max (at most 5) were recorded for
 * kind and key within the last window seconds; otherwise false, with
 * *retry_after (may be NULL) the seconds until one is allowed. The table
 * is bounded: under a flood the oldest entries give way. */
bool account_mail_take(const char *kind, const void *key, size_t len, int max,
    int64_t window, int64_t now, int64_t *retry_after);

/* The address of account u, opened from its seal, in a; NULL when it
 * cannot be opened or a is out of memory. */
char *account_email(struct arena *a, const struct user *u);

#endif
