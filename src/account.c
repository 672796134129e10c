/* account.c - accounts, passwords and sessions. */
#include "account.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "email.h"
#include "form.h"
#include "log.h"

/* Argon2id at libsodium's interactive setting takes 64 MiB: one hash at a
 * time keeps a burst of logins from taking the machine's memory. */
static pthread_mutex_t hash_lock = PTHREAD_MUTEX_INITIALIZER;

/* Argon2id's memory for new hashes (account_set_memory()). A stored hash
 * names its own cost, so a hash made at another setting still verifies. */
static size_t hash_memory = crypto_pwhash_MEMLIMIT_INTERACTIVE;

/* A hash of a random password, checked when an account does not exist. */
static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_make(void)
{
	char pw[32];

	randombytes_buf(pw, sizeof(pw));
	if (crypto_pwhash_str(dummy, pw, sizeof(pw),
		crypto_pwhash_OPSLIMIT_INTERACTIVE, hash_memory) != 0)
		dummy[0] = '\0';
}

void
account_set_memory(unsigned long mib)
{
	hash_memory = (size_t)mib << 20;
}

static void
session_hash(const char *cookie, unsigned char out[CRYPTO_HASH_BYTES])
{
	crypto_token_hash(cookie, strlen(cookie), out);
}

int
account_hash_password(const char *password, size_t len,
    char out[ACCOUNT_HASH_CHARS])
{
	int rc;

	pthread_mutex_lock(&hash_lock);
	rc = crypto_pwhash_str(out, password, len,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE, hash_memory);
	pthread_mutex_unlock(&hash_lock);
	if (rc != 0) {
		log_error("account", "error=\"password hashing failed\"");
		return -1;
	}
	return 0;
}

int
account_create(struct store *s, const struct account_new *n, int64_t *idp)
{
	struct user_new u;
	char pw[crypto_pwhash_STRBYTES];
	unsigned char *sealed = NULL;
	struct arena *a = NULL;
	size_t elen, slen;
	char *norm;
	const char *email = n->email;
	int64_t id;
	int ret = -1;

	if ((a = arena_new()) == NULL)
		goto out;
	norm = email_normalize(a, email, strlen(email), &elen);
	if (norm == NULL || !email_valid(norm, elen)) {
		log_error("account", "error=\"not an email address\"");
		goto out;
	}
	if (account_hash_password(n->password, strlen(n->password), pw) == -1)
		goto out;
	memset(&u, 0, sizeof(u));
	crypto_email_hash(norm, elen, u.email_hash);
	if ((sealed = crypto_seal(norm, elen, &slen)) == NULL)
		goto out;
	u.sealed = sealed;
	u.sealed_len = slen;
	u.password = pw;
	u.role = n->role;
	u.name = n->name != NULL ? n->name : "";
	u.lang = n->lang != NULL ? n->lang : "en";
	u.verified = n->verified;
	u.now = (int64_t)time(NULL);
	switch (store_user_create(s, &u, &id)) {
	case STORE_OK:
		log_info("account", "event=created id=%lld role=%s",
		    (long long)id, user_role_name(n->role));
		if (idp != NULL)
			*idp = id;
		ret = 0;
		break;
	case STORE_DUPLICATE: ret = 1; break;
	default: break;
	}
out:
	sodium_memzero(pw, sizeof(pw));
	free(sealed);
	arena_free(a);
	return ret;
}

/* The known-account cookie: 16 random bytes and a keyed hash of them with
 * the account's email hash, base64url. */
#define KNOWN_RANDOM 16
#define KNOWN_MAC 16

static void
known_mac(const unsigned char hash[CRYPTO_HASH_BYTES],
    const unsigned char *nonce, unsigned char out[KNOWN_MAC])
{
	unsigned char in[CRYPTO_HASH_BYTES + KNOWN_RANDOM];

	memcpy(in, hash, CRYPTO_HASH_BYTES);
	memcpy(in + CRYPTO_HASH_BYTES, nonce, KNOWN_RANDOM);
	crypto_misc_hash("account-known-browser", in, sizeof(in), out,
	    KNOWN_MAC);
}

static void
known_new(const unsigned char hash[CRYPTO_HASH_BYTES], char *out)
{
	unsigned char raw[KNOWN_RANDOM + KNOWN_MAC];

	randombytes_buf(raw, KNOWN_RANDOM);
	known_mac(hash, raw, raw + KNOWN_RANDOM);
	sodium_bin2base64(out, ACCOUNT_KNOWN_CHARS + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static bool
known_ok(const unsigned char hash[CRYPTO_HASH_BYTES], const char *cookie)
{
	unsigned char raw[KNOWN_RANDOM + KNOWN_MAC], mac[KNOWN_MAC];
	size_t len;

	if (cookie == NULL || strlen(cookie) != ACCOUNT_KNOWN_CHARS ||
	    sodium_base642bin(raw, sizeof(raw), cookie, strlen(cookie), NULL,
		&len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw))
		return false;
	known_mac(hash, raw, mac);
	return sodium_memcmp(mac, raw + KNOWN_RANDOM, KNOWN_MAC) == 0;
}

enum login_result
account_login(struct store *s, struct arena *a, const char *email, size_t elen,
    const char *password, size_t plen, const char *known_cookie,
    struct user *user, char *known)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	int64_t now = (int64_t)time(NULL), locked_until;
	enum store_status st;
	const char *pw;
	size_t nlen;
	char *norm;
	int ok;

	norm = email_normalize(a, email, elen, &nlen);
	if (norm == NULL)
		return LOGIN_WRONG;
	crypto_email_hash(norm, nlen, hash);
	/* The same reads, the same hash and the same write whether the
	 * address has an account or not: failures are counted per address
	 * in the store (login_guard), so the lock, its answer and the time
	 * it takes say nothing of an account. */
	if (store_login_guard(s, hash, &locked_until) != STORE_OK)
		return LOGIN_UNAVAILABLE;
	st = store_user_by_email(s, a, hash, user);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		return LOGIN_UNAVAILABLE;
	/* Locked by failures, perhaps someone else's: a browser that signed
	 * in to this account before may still try. */
	if (locked_until > now && !known_ok(hash, known_cookie))
		return LOGIN_LOCKED;
	if (st == STORE_OK) {
		pw = user->password;
	} else {
		pthread_once(&dummy_once, dummy_make);
		pw = dummy;
	}
	pthread_mutex_lock(&hash_lock);
	ok = crypto_pwhash_str_verify(pw, password, plen) == 0;
	pthread_mutex_unlock(&hash_lock);
	if (st != STORE_OK && ok) {
		log_warn("account", "event=dummy_matched");
		ok = 0;
	}
	if (store_login_guard_result(s, hash, ok, now, ACCOUNT_MAX_FAILED,
		ACCOUNT_LOCK_SECONDS) != STORE_OK)
		return LOGIN_UNAVAILABLE;
	if (!ok)
		return LOGIN_WRONG;
	known_new(hash, known);
	return LOGIN_OK;
}

/* The second-factor step's cookie: the account, its expiry (big-endian)
 * and a keyed hash of both, base64url. */
#define PENDING_MAC 16

void
account_pending_new(int64_t user_id, int64_t expires, char *out)
{
	unsigned char raw[16 + PENDING_MAC];
	int i;

	for (i = 0; i < 8; i++) {
		raw[i] = (unsigned char)((uint64_t)user_id >> (56 - 8 * i));
		raw[8 + i] = (unsigned char)((uint64_t)expires >> (56 - 8 * i));
	}
	crypto_misc_hash("login-second-factor", raw, 16, raw + 16, PENDING_MAC);
	sodium_bin2base64(out, ACCOUNT_PENDING_CHARS + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int64_t
account_pending_user(const char *cookie, int64_t now)
{
	unsigned char raw[16 + PENDING_MAC], mac[PENDING_MAC];
	uint64_t id = 0, e = 0;
	size_t len;
	int i;

	if (cookie == NULL || strlen(cookie) != ACCOUNT_PENDING_CHARS ||
	    sodium_base642bin(raw, sizeof(raw), cookie, strlen(cookie), NULL,
		&len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw))
		return 0;
	crypto_misc_hash("login-second-factor", raw, 16, mac, PENDING_MAC);
	if (sodium_memcmp(mac, raw + 16, PENDING_MAC) != 0)
		return 0;
	for (i = 0; i < 8; i++) {
		id = (id << 8) | raw[i];
		e = (e << 8) | raw[8 + i];
	}
	return (int64_t)e > now ? (int64_t)id : 0;
}

void
account_known_new(const char *email, char *out)
{
	unsigned char hash[CRYPTO_HASH_BYTES];

	crypto_email_hash(email, strlen(email), hash);
	known_new(hash, out);
}

int
account_session_start(struct store *s, int64_t id, char *cookie)
{
	unsigned char sh[CRYPTO_HASH_BYTES];
	int64_t now = (int64_t)time(NULL);

	crypto_token_new(cookie);
	session_hash(cookie, sh);
	if (store_session_create(s, sh, id, now, now + ACCOUNT_SESSION_TTL) !=
	    STORE_OK) {
		sodium_memzero(cookie, ACCOUNT_SESSION_CHARS + 1);
		return -1;
	}
	return 0;
}

int
account_session(struct store *s, struct arena *a, const char *cookie,
    struct user *out)
{
	unsigned char sh[CRYPTO_HASH_BYTES];

	if (cookie == NULL || !crypto_token_valid(cookie, strlen(cookie)))
		return 1;
	session_hash(cookie, sh);
	switch (store_session_user(s, a, sh, (int64_t)time(NULL), out)) {
	case STORE_OK: return 0;
	case STORE_NOTFOUND: return 1;
	default: return -1;
	}
}

void
account_logout(struct store *s, const char *cookie)
{
	unsigned char sh[CRYPTO_HASH_BYTES];

	if (cookie == NULL || !crypto_token_valid(cookie, strlen(cookie)))
		return;
	session_hash(cookie, sh);
	(void)store_session_delete(s, sh);
}

void
account_binding(const char *cookie, char *out)
{
	unsigned char sh[CRYPTO_HASH_BYTES];
	size_t i;

	session_hash(cookie, sh);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", sh[i]);
}

enum account_password_check
account_password_check(struct arena *a, const char *password, size_t len,
    const char *email)
{
	size_t chars = form_utf8_chars(password, len), nlen;
	char *norm;

	if (chars < ACCOUNT_PASSWORD_MIN)
		return ACCOUNT_PASSWORD_SHORT;
	if (chars > ACCOUNT_PASSWORD_MAX)
		return ACCOUNT_PASSWORD_LONG;
	/* The address is the first thing anyone would try: compared in its
	 * normal form, so case and spaces around it do not hide it. */
	if (email != NULL && len <= EMAIL_MAX + 64 &&
	    (norm = email_normalize(a, password, len, &nlen)) != NULL &&
	    strcmp(norm, email) == 0)
		return ACCOUNT_PASSWORD_IS_EMAIL;
	return ACCOUNT_PASSWORD_OK;
}

/* An account link's 32 bytes: random, expiry (big-endian seconds) and a
 * keyed hash of both under the purpose's name. */
#define LINK_RANDOM 16
#define LINK_MAC 8

static void
link_mac(enum user_token_purpose purpose, const unsigned char *raw,
    unsigned char out[LINK_MAC])
{
	unsigned char full[16];
	char what[32];

	snprintf(what, sizeof(what), "account-link-%s",
	    user_token_purpose_name(purpose));
	crypto_misc_hash(what, raw, LINK_RANDOM + 8, full, sizeof(full));
	memcpy(out, full, LINK_MAC);
}

void
account_link_new(enum user_token_purpose purpose, int64_t expires, char *out)
{
	unsigned char raw[LINK_RANDOM + 8 + LINK_MAC];
	uint64_t e = (uint64_t)expires;
	int i;

	randombytes_buf(raw, LINK_RANDOM);
	for (i = 0; i < 8; i++)
		raw[LINK_RANDOM + i] = (unsigned char)(e >> (56 - 8 * i));
	link_mac(purpose, raw, raw + LINK_RANDOM + 8);
	sodium_bin2base64(out, CRYPTO_TOKEN_CHARS + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

enum account_link_state
account_link_state(const char *token, enum user_token_purpose purpose,
    int64_t now)
{
	unsigned char raw[LINK_RANDOM + 8 + LINK_MAC], mac[LINK_MAC];
	enum account_link_state ret = ACCOUNT_LINK_UNKNOWN;
	uint64_t e = 0;
	size_t len;
	int i;

	if (token == NULL || !crypto_token_valid(token, strlen(token)) ||
	    sodium_base642bin(raw, sizeof(raw), token, strlen(token), NULL,
		&len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw))
		return ACCOUNT_LINK_UNKNOWN;
	link_mac(purpose, raw, mac);
	if (sodium_memcmp(mac, raw + LINK_RANDOM + 8, LINK_MAC) == 0) {
		for (i = 0; i < 8; i++)
			e = (e << 8) | raw[LINK_RANDOM + i];
		ret = (int64_t)e <= now ? ACCOUNT_LINK_EXPIRED :
					  ACCOUNT_LINK_SPENT;
	}
	sodium_memzero(raw, sizeof(raw));
	return ret;
}

/* The mail limiter: a bounded table of keys (keyed hashes, so it holds no
 * address) with the times of their last sends. */
#define LIMIT_SLOTS 4096 /* a power of two */
#define LIMIT_PROBE 8
#define LIMIT_TIMES 5

struct limit_slot {
	unsigned char key[16];
	int64_t until;		 /* 0, or when the slot may be reused */
	int64_t at[LIMIT_TIMES]; /* send times, 0: none */
};

static struct limit_slot limits[LIMIT_SLOTS];
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

bool
account_mail_take(const char *kind, const void *key, size_t len, int max,
    int64_t window, int64_t now, int64_t *retry_after)
{
	unsigned char k[16];
	struct limit_slot *slot = NULL, *victim = NULL;
	crypto_generichash_state st;
	int64_t oldest = 0;
	size_t base, i;
	int n = 0, j, free_j = -1;
	bool ok;

	if (max > LIMIT_TIMES)
		max = LIMIT_TIMES;
	crypto_generichash_init(&st, NULL, 0, sizeof(k));
	crypto_generichash_update(&st, (const unsigned char *)kind,
	    strlen(kind) + 1);
	crypto_generichash_update(&st, key, len);
	crypto_generichash_final(&st, k, sizeof(k));
	base = ((size_t)k[0] | (size_t)k[1] << 8) & (LIMIT_SLOTS - 1);
	pthread_mutex_lock(&limit_lock);
	for (i = 0; i < LIMIT_PROBE; i++) {
		struct limit_slot *c = &limits[(base + i) & (LIMIT_SLOTS - 1)];

		if (c->until > now && memcmp(c->key, k, sizeof(k)) == 0) {
			slot = c;
			break;
		}
		if (victim == NULL || c->until < victim->until)
			victim = c;
	}
	if (slot == NULL) {
		/* A free slot, or the one whose last send is oldest. */
		slot = victim;
		memset(slot, 0, sizeof(*slot));
		memcpy(slot->key, k, sizeof(k));
	}
	for (j = 0; j < LIMIT_TIMES; j++) {
		if (slot->at[j] > now - window) {
			n++;
			if (oldest == 0 || slot->at[j] < oldest)
				oldest = slot->at[j];
		} else if (free_j == -1 || slot->at[j] < slot->at[free_j]) {
			free_j = j;
		}
	}
	ok = n < max && free_j != -1;
	if (ok) {
		slot->at[free_j] = now;
		if (slot->until < now + window)
			slot->until = now + window;
	} else if (retry_after != NULL) {
		*retry_after = oldest + window - now;
		if (*retry_after < 1)
			*retry_after = 1;
	}
	pthread_mutex_unlock(&limit_lock);
	return ok;
}

const char account_usage[] =
    "usage: holos user add [--data DIR] --email ADDRESS --role ROLE\n"
    "       holos user reset-2fa [--data DIR] ADDRESS\n"
    "\n"
    "add creates an account; ROLE is starter, moderator or admin. The password\n"
    "is read from standard input (at least 10 characters), never from the\n"
    "command line, so it stays out of shell history and the process list.\n"
    "reset-2fa removes an account's second factor and recovery codes (for one\n"
    "who lost both); a moderator or admin then enrols again before moderating.\n";

/* holos user reset-2fa ADDRESS. Returns the exit status after printing. */
static int
reset_2fa(struct store *s, const char *email)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct arena *a;
	struct user u;
	size_t len;
	char *norm;
	int rc = 1;

	if ((a = arena_new()) == NULL)
		return 1;
	norm = email_normalize(a, email, strlen(email), &len);
	if (norm == NULL || !email_valid(norm, len)) {
		fprintf(stderr, "holos user: not an email address\n");
		goto out;
	}
	crypto_email_hash(norm, len, hash);
	switch (store_user_by_email(s, a, hash, &u)) {
	case STORE_OK: break;
	case STORE_NOTFOUND:
		fprintf(stderr, "holos user: no account has that address\n");
		goto out;
	default: fprintf(stderr, "holos user: the store failed\n"); goto out;
	}
	switch (store_totp_reset(s, u.id)) {
	case STORE_OK:
		log_info("account", "event=reset_2fa user=%lld",
		    (long long)u.id);
		(void)store_audit(s, "operator", "reset_2fa",
		    arena_printf(a, "user:%lld", (long long)u.id), "",
		    (int64_t)time(NULL));
		printf("holos user: the second factor of account %lld was "
		       "removed\n",
		    (long long)u.id);
		rc = 0;
		break;
	case STORE_NOTFOUND:
		printf("holos user: account %lld has no second factor\n",
		    (long long)u.id);
		rc = 0;
		break;
	default: fprintf(stderr, "holos user: the store failed\n"); break;
	}
out:
	arena_free(a);
	return rc;
}

/* Reads one line from standard input without echo on a terminal. */
static int
read_password(char *out, size_t len)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "Password: ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (fgets(out, (int)len, stdin) == NULL)
		out[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return (int)n;
}

int
account_cmd(struct store *s, int argc, char **argv)
{
	const char *email = NULL, *rolename = NULL;
	const struct cli_opt opts[] = {
		{ "email", &email, false },
		{ "role", &rolename, false },
	};
	char pw[1024];
	enum user_role role;
	int len, rc;

	if ((rc = cli_options(argc, argv, opts, 2, -1, account_usage)) != -1)
		return rc;
	if (optind == argc - 2 && strcmp(argv[optind], "reset-2fa") == 0 &&
	    email == NULL && rolename == NULL)
		return reset_2fa(s, argv[optind + 1]);
	if (optind != argc - 1 || strcmp(argv[optind], "add") != 0 ||
	    email == NULL || rolename == NULL)
		goto usage;
	if ((role = user_role_parse(rolename)) == ROLE__MAX) {
		fprintf(stderr, "holos user: unknown role \"%s\"\n", rolename);
		return 2;
	}
	len = read_password(pw, sizeof(pw));
	if (len < 10) {
		fprintf(stderr,
		    "holos user: the password needs at least 10 "
		    "characters\n");
		sodium_memzero(pw, sizeof(pw));
		return 1;
	}
	{
		struct account_new n = { .email = email,
			.password = pw,
			.role = role,
			.name = "",
			.lang = "en",
			.verified = true };

		rc = account_create(s, &n, NULL);
	}
	sodium_memzero(pw, sizeof(pw));
	if (rc == 1) {
		fprintf(stderr,
		    "holos user: that email has an account already\n");
		return 1;
	}
	if (rc == -1) {
		fprintf(stderr,
		    "holos user: cannot create the account (see the "
		    "log)\n");
		return 1;
	}
	printf("created %s account\n", user_role_name(role));
	return 0;
usage:
	fputs(account_usage, stderr);
	return 2;
}

char *
account_email(struct arena *a, const struct user *u)
{
	char *plain, *copy;
	size_t len;

	if (u->email_sealed == NULL ||
	    (plain = crypto_open(u->email_sealed, u->email_sealed_len, &len)) ==
		NULL)
		return NULL;
	copy = arena_strndup(a, plain, len);
	sodium_memzero(plain, len);
	free(plain);
	return copy;
}
