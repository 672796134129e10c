/* crypto.c - the site secret and the keys derived from it. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "form.h"
#include "log.h"
#include "mono.h"

/* Subkey ids for crypto_kdf: never renumber, stored data depends on them. */
enum crypto_subkey {
	KEY_CSRF = 1,
	KEY_PII = 2,
	KEY_EMAIL = 3,
	KEY_TOKEN = 4,
	KEY_MISC = 5,
};

static const char kdf_context[crypto_kdf_CONTEXTBYTES] = "holos_v1";

static unsigned char key_csrf[crypto_auth_hmacsha256_KEYBYTES];
/* The personal-data key derived from secret.key: the sealing key until
 * the first rotation makes a seal.key. */
static unsigned char key_pii_derived[crypto_secretbox_KEYBYTES];
static unsigned char key_email[crypto_generichash_KEYBYTES];
static unsigned char key_token[crypto_generichash_KEYBYTES];
static unsigned char key_misc[crypto_auth_hmacsha256_KEYBYTES];

ssize_t
crypto_secret_file_read(const char *path, void *buf, size_t cap)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -1;
		goto fail_errno;
	}
	if (fstat(fd, &st) == -1)
		goto fail_errno_close;
	/* Group or others may read it, or replace it: as good as known. */
	if (st.st_mode & 077) {
		close(fd);
		log_error("crypto",
		    "error=\"key file readable by others\" "
		    "path=%s hint=\"chmod 600\"",
		    path);
		errno = EACCES;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > cap) {
		close(fd);
		log_error("crypto",
		    "error=\"key file must be a file of at most %zu bytes\" "
		    "path=%s",
		    cap, path);
		errno = EFBIG;
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, (char *)buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_errno_close;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
fail_errno_close:
	close(fd);
fail_errno:
	log_error("crypto", "error=\"%s\" path=%s", strerror(errno), path);
	return -1;
}

int
crypto_key_file(const char *data_dir, const char *name, unsigned char *key,
    size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (sodium_init() < 0) {
		log_error("crypto", "error=\"sodium_init failed\"");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir, name) >=
	    sizeof(path)) {
		log_error("crypto", "error=\"path too long\" dir=%s", data_dir);
		return -1;
	}
	n = crypto_secret_file_read(path, key, len);
	if (n == -1 && errno == ENOENT) {
		/* Written whole to a file of this process's own, then linked
		 * into place: processes starting together on one data folder
		 * (nodes, `holos migrate` beside `holos serve`) never read a
		 * half-written key, and the one whose link loses reads the
		 * winner's. */
		char tmp[PATH_MAX];
		int won;

		if (snprintf(tmp, sizeof(tmp), "%s.new.%ld", path,
			(long)getpid()) >= (int)sizeof(tmp)) {
			errno = ENAMETOOLONG;
			goto fail_errno;
		}
		randombytes_buf(key, len);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd == -1)
			goto fail_errno;
		n = write(fd, key, len);
		if (n != (ssize_t)len || fsync(fd) == -1) {
			close(fd);
			unlink(tmp);
			goto fail_errno;
		}
		close(fd);
		won = link(tmp, path) == 0;
		if (!won && errno != EEXIST) {
			unlink(tmp);
			goto fail_errno;
		}
		unlink(tmp);
		if (won) {
			log_info("crypto", "event=key_created path=%s", path);
			return 0;
		}
		n = crypto_secret_file_read(path, key, len);
	}
	if (n == -1)
		return -1;
	if (n != (ssize_t)len) {
		log_error("crypto",
		    "error=\"key file must be %zu bytes\" path=%s", len, path);
		return -1;
	}
	return 0;
fail_errno:
	log_error("crypto", "error=\"%s\" path=%s", strerror(errno), path);
	return -1;
}

/* ---- the sealing keys: seal.key, and seal.key.old while a rotation
 * runs (docs/keys.md) ---- */

/* What a key file was when it was read: a rotation replaces it by rename,
 * so a new inode or time says it changed. */
struct key_stamp {
	bool exists;
	ino_t ino;
	struct timespec mtime;
};

static struct {
	bool loaded;
	unsigned char cur[crypto_secretbox_KEYBYTES];
	unsigned char old[crypto_secretbox_KEYBYTES];
	bool has_old;
	struct key_stamp stamp[2]; /* seal.key, seal.key.old */
} ring;
static pthread_rwlock_t ring_lock = PTHREAD_RWLOCK_INITIALIZER;
static char keys_dir[PATH_MAX];
/* CLOCK_MONOTONIC milliseconds of the last look at the key files. */
static atomic_llong ring_checked_ms;

static const char *const ring_files[2] = { CRYPTO_SEAL_KEY,
	CRYPTO_SEAL_KEY_OLD };

static void
stamp_take(const char *name, struct key_stamp *out)
{
	char path[PATH_MAX];
	struct stat st;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", keys_dir, name) <
		sizeof(path) &&
	    stat(path, &st) == 0) {
		out->exists = true;
		out->ino = st.st_ino;
		out->mtime = st.st_mtim;
	}
}

static bool
stamp_same(const struct key_stamp *a, const struct key_stamp *b)
{
	return a->exists == b->exists && a->ino == b->ino &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Reads the sealing keys into ring (the write lock held). A file that is
 * absent is no key; one that cannot be read keeps what was there (logged).
 * Returns 0, or -1 when the first load cannot read a file. */
static int
ring_load(void)
{
	unsigned char k[2][crypto_secretbox_KEYBYTES];
	struct key_stamp st[2];
	char path[PATH_MAX];
	bool have[2] = { false, false };
	ssize_t n;
	int i;

	for (i = 0; i < 2; i++) {
		stamp_take(ring_files[i], &st[i]);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", keys_dir,
			ring_files[i]) >= sizeof(path))
			return -1;
		n = crypto_secret_file_read(path, k[i], sizeof(k[i]));
		if (n == -1 && errno == ENOENT) {
			st[i].exists = false;
			continue;
		}
		if (n != (ssize_t)sizeof(k[i])) {
			if (n != -1)
				log_error("crypto",
				    "error=\"key file must be %zu bytes\" "
				    "path=%s",
				    sizeof(k[i]), path);
			sodium_memzero(k, sizeof(k));
			return ring.loaded ? 0 : -1;
		}
		have[i] = true;
	}
	memcpy(ring.cur, have[0] ? k[0] : key_pii_derived, sizeof(ring.cur));
	ring.has_old = have[1];
	if (have[1])
		memcpy(ring.old, k[1], sizeof(ring.old));
	else
		sodium_memzero(ring.old, sizeof(ring.old));
	memcpy(ring.stamp, st, sizeof(st));
	if (ring.loaded)
		log_info("crypto", "event=seal_keys_loaded old=%s",
		    have[1] ? "yes" : "no");
	ring.loaded = true;
	sodium_memzero(k, sizeof(k));
	return 0;
}

/* Looks at the key files again when min_ms have passed since the last
 * look, and reloads them when a rotation changed them. */
static void
ring_refresh(long long min_ms)
{
	long long now = mono_ms(), last = atomic_load(&ring_checked_ms);
	struct key_stamp st[2];
	bool same;

	if (keys_dir[0] == '\0' || now - last < min_ms ||
	    !atomic_compare_exchange_strong(&ring_checked_ms, &last, now))
		return;
	stamp_take(ring_files[0], &st[0]);
	stamp_take(ring_files[1], &st[1]);
	pthread_rwlock_rdlock(&ring_lock);
	same = stamp_same(&st[0], &ring.stamp[0]) &&
	    stamp_same(&st[1], &ring.stamp[1]);
	pthread_rwlock_unlock(&ring_lock);
	if (same)
		return;
	pthread_rwlock_wrlock(&ring_lock);
	(void)ring_load();
	pthread_rwlock_unlock(&ring_lock);
}

void
crypto_keys_refresh(void)
{
	atomic_store(&ring_checked_ms, 0);
	ring_refresh(0);
}

int
crypto_keys_lock(const char *data_dir)
{
	char path[PATH_MAX];
	int fd, e;

	if ((size_t)snprintf(path, sizeof(path), "%s/rekey.lock", data_dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno;
		close(fd);
		errno = e == EWOULDBLOCK ? EWOULDBLOCK : e;
		return -1;
	}
	return fd;
}

bool
crypto_keys_rotating(void)
{
	bool r;

	pthread_rwlock_rdlock(&ring_lock);
	r = ring.has_old;
	pthread_rwlock_unlock(&ring_lock);
	return r;
}

int
crypto_keys_export_derived(unsigned char out[CRYPTO_SEAL_KEY_BYTES])
{
	memcpy(out, key_pii_derived, CRYPTO_SEAL_KEY_BYTES);
	return 0;
}

int
crypto_init(const char *data_dir)
{
	unsigned char master[crypto_kdf_KEYBYTES];

	if (crypto_key_file(data_dir, "secret.key", master, sizeof(master)) ==
	    -1)
		return -1;
	crypto_kdf_derive_from_key(key_csrf, sizeof(key_csrf), KEY_CSRF,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_pii_derived, sizeof(key_pii_derived),
	    KEY_PII, kdf_context, master);
	crypto_kdf_derive_from_key(key_email, sizeof(key_email), KEY_EMAIL,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_token, sizeof(key_token), KEY_TOKEN,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_misc, sizeof(key_misc), KEY_MISC,
	    kdf_context, master);
	sodium_memzero(master, sizeof(master));
	snprintf(keys_dir, sizeof(keys_dir), "%s", data_dir);
	pthread_rwlock_wrlock(&ring_lock);
	ring.loaded = false;
	if (ring_load() == -1) {
		pthread_rwlock_unlock(&ring_lock);
		return -1;
	}
	pthread_rwlock_unlock(&ring_lock);
	return 0;
}

/* Writes the unpadded base64url of n (at most 32) random bytes to out,
 * which holds outlen bytes. */
static void
random_b64(char *out, size_t outlen, size_t n)
{
	unsigned char raw[32];

	randombytes_buf(raw, n);
	sodium_bin2base64(out, outlen, raw, n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void
crypto_new_cookie(char out[CRYPTO_COOKIE_CHARS + 1])
{
	random_b64(out, CRYPTO_COOKIE_CHARS + 1, 16);
}

static void
crypto_csrf_mac(unsigned char mac[crypto_auth_hmacsha256_BYTES], const char *ts,
    size_t tslen, const char *binding)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key_csrf, sizeof(key_csrf));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"csrf:", 5);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, tslen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)":", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)binding,
	    strlen(binding));
	crypto_auth_hmacsha256_final(&st, mac);
}

void
crypto_csrf_token(struct buf *out, const char *binding, time_t now)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[32],
	    b64[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	int n;

	n = snprintf(ts, sizeof(ts), "%" PRId64, (int64_t)now);
	crypto_csrf_mac(mac, ts, (size_t)n, binding);
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf_append(out, ts, (size_t)n);
	buf_putc(out, '.');
	buf_puts(out, b64);
}

/* True when s holds only the base64url alphabet. libsodium's decoder reads
 * some other bytes as '_' (those >= 0x80 where char is signed), so
 * anything that will be decoded is checked here first. */
static bool
b64url_only(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The encoded MAC: 43 characters of unpadded base64url. */
#define CSRF_MAC_CHARS                                           \
	(sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, \
	     sodium_base64_VARIANT_URLSAFE_NO_PADDING) -         \
	    1)

/* Reads a form token's time, the 1 to 18 digits before its dot, into *ts
 * and their count into *tslen. Returns 0, or -1 when there is no such
 * time. */
static int
csrf_split(const char *token, size_t len, int64_t *ts, size_t *tslen)
{
	const char *dot = memchr(token, '.', len);

	if (dot == NULL)
		return -1;
	*tslen = (size_t)(dot - token);
	return (*ts = form_digits(token, *tslen, 18)) == -1 ? -1 : 0;
}

bool
crypto_csrf_check(const char *token, size_t len, const char *binding, time_t now)
{
	unsigned char want[crypto_auth_hmacsha256_BYTES];
	unsigned char got[crypto_auth_hmacsha256_BYTES];
	size_t tslen, gotlen;
	int64_t ts;

	if (binding == NULL || token == NULL ||
	    csrf_split(token, len, &ts, &tslen) == -1)
		return false;
	if (ts > (int64_t)now + 300 || (int64_t)now - ts > CRYPTO_CSRF_MAX_AGE)
		return false;
	/* Exactly the unpadded base64url of the MAC, nothing more. */
	if (len - tslen - 1 != CSRF_MAC_CHARS ||
	    !b64url_only(token + tslen + 1, CSRF_MAC_CHARS))
		return false;
	if (sodium_base642bin(got, sizeof(got), token + tslen + 1,
		len - tslen - 1, NULL, &gotlen, NULL,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    gotlen != sizeof(got))
		return false;
	crypto_csrf_mac(want, token, tslen, binding);
	return sodium_memcmp(want, got, sizeof(got)) == 0;
}

void
crypto_token_new(char out[CRYPTO_TOKEN_CHARS + 1])
{
	random_b64(out, CRYPTO_TOKEN_CHARS + 1, 32);
}

bool
crypto_token_valid(const char *s, size_t len)
{
	return s != NULL && len == CRYPTO_TOKEN_CHARS && b64url_only(s, len);
}

void
crypto_token_hash(const char *token, size_t len,
    unsigned char out[CRYPTO_HASH_BYTES])
{
	crypto_generichash(out, CRYPTO_HASH_BYTES, (const unsigned char *)token,
	    len, key_token, sizeof(key_token));
}

int
crypto_csrf_time(const char *token, size_t len, int64_t *out)
{
	size_t tslen;

	return csrf_split(token, len, out, &tslen);
}

void
crypto_misc_mac(const char *purpose, const void *msg, size_t len,
    unsigned char out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key_misc, sizeof(key_misc));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose,
	    strlen(purpose) + 1);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, out);
}

void
crypto_misc_hash(const char *purpose, const void *msg, size_t len,
    unsigned char *out, size_t outlen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, key_misc, crypto_generichash_KEYBYTES,
	    outlen);
	crypto_generichash_update(&st, (const unsigned char *)purpose,
	    strlen(purpose) + 1);
	crypto_generichash_update(&st, msg, len);
	crypto_generichash_final(&st, out, outlen);
}

void
crypto_email_hash(const char *email, size_t len,
    unsigned char out[CRYPTO_HASH_BYTES])
{
	crypto_generichash(out, CRYPTO_HASH_BYTES, (const unsigned char *)email,
	    len, key_email, sizeof(key_email));
}

unsigned char *
crypto_seal(const void *plain, size_t len, size_t *outlen)
{
	size_t total =
	    crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	unsigned char *box;

	if ((box = malloc(total)) == NULL)
		return NULL;
	/* A rotation's new key is taken up within a second (docs/keys.md). */
	ring_refresh(CRYPTO_KEYS_LOOK_MS);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	pthread_rwlock_rdlock(&ring_lock);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len,
	    box, ring.cur);
	pthread_rwlock_unlock(&ring_lock);
	*outlen = total;
	return box;
}

/* Opens box into plain (plen bytes) with the current key, then the old
 * one. Returns 1 (current), 2 (old) or 0 (neither). */
static int
ring_open(unsigned char *plain, const unsigned char *box, size_t len)
{
	int r = 0;

	pthread_rwlock_rdlock(&ring_lock);
	if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
		len - crypto_secretbox_NONCEBYTES, box, ring.cur) == 0)
		r = 1;
	else if (ring.has_old &&
	    crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
		len - crypto_secretbox_NONCEBYTES, box, ring.old) == 0)
		r = 2;
	pthread_rwlock_unlock(&ring_lock);
	return r;
}

/* Opens box into a malloc'd plaintext (plus a NUL); *which as ring_open().
 * NULL when it cannot be opened or memory is short. */
static char *
box_open(const unsigned char *box, size_t len, size_t *outlen, int *which)
{
	size_t plen;
	char *plain;

	*which = 0;
	if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return NULL;
	plen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	if ((plain = malloc(plen + 1)) == NULL)
		return NULL;
	ring_refresh(CRYPTO_KEYS_LOOK_MS);
	if ((*which = ring_open((unsigned char *)plain, box, len)) == 0) {
		/* Sealed by a rotation this process has not seen yet? */
		ring_refresh(100);
		*which = ring_open((unsigned char *)plain, box, len);
	}
	if (*which == 0) {
		free(plain);
		return NULL;
	}
	plain[plen] = '\0';
	*outlen = plen;
	return plain;
}

char *
crypto_open(const unsigned char *box, size_t len, size_t *outlen)
{
	int which;

	return box_open(box, len, outlen, &which);
}

int
crypto_reseal(const unsigned char *box, size_t len, unsigned char **out,
    size_t *outlen, char **plain_out, size_t *plain_len)
{
	size_t plen;
	char *plain;
	int which;

	*out = NULL;
	if ((plain = box_open(box, len, &plen, &which)) == NULL)
		return -1;
	if (which == 2 && (*out = crypto_seal(plain, plen, outlen)) == NULL) {
		sodium_memzero(plain, plen);
		free(plain);
		return -1;
	}
	if (plain_out != NULL) {
		*plain_out = plain;
		*plain_len = plen;
	} else {
		sodium_memzero(plain, plen);
		free(plain);
	}
	return which == 2 ? 1 : 0;
}

void
crypto_hex(struct buf *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		char h[2] = { hex[p[i] >> 4], hex[p[i] & 15] };
		buf_append(out, h, 2);
	}
}
