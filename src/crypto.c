/* crypto.c - the site secret and the keys derived from it. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

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
static unsigned char key_pii[crypto_secretbox_KEYBYTES];
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
crypto_key_file(const char *path, unsigned char *key, size_t len)
{
	ssize_t n;
	int fd;

	n = crypto_secret_file_read(path, key, len);
	if (n == -1 && errno == ENOENT) {
		randombytes_buf(key, len);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1)
			goto fail_errno;
		n = write(fd, key, len);
		if (n != (ssize_t)len || fsync(fd) == -1) {
			close(fd);
			unlink(path);
			goto fail_errno;
		}
		close(fd);
		log_info("crypto", "event=key_created path=%s", path);
		return 0;
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

int
crypto_init(const char *data_dir)
{
	unsigned char master[crypto_kdf_KEYBYTES];
	char path[PATH_MAX];

	if (sodium_init() < 0) {
		log_error("crypto", "error=\"sodium_init failed\"");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/secret.key", data_dir) >=
	    sizeof(path))
		return -1;
	if (crypto_key_file(path, master, sizeof(master)) == -1)
		return -1;
	crypto_kdf_derive_from_key(key_csrf, sizeof(key_csrf), KEY_CSRF,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_pii, sizeof(key_pii), KEY_PII,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_email, sizeof(key_email), KEY_EMAIL,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_token, sizeof(key_token), KEY_TOKEN,
	    kdf_context, master);
	crypto_kdf_derive_from_key(key_misc, sizeof(key_misc), KEY_MISC,
	    kdf_context, master);
	sodium_memzero(master, sizeof(master));
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

bool
crypto_csrf_check(const char *token, size_t len, const char *binding, time_t now)
{
	unsigned char want[crypto_auth_hmacsha256_BYTES];
	unsigned char got[crypto_auth_hmacsha256_BYTES];
	const char *dot;
	size_t tslen, gotlen;
	int64_t ts = 0;
	size_t i;

	if (binding == NULL || token == NULL)
		return false;
	if ((dot = memchr(token, '.', len)) == NULL)
		return false;
	tslen = (size_t)(dot - token);
	if (tslen == 0 || tslen > 18)
		return false;
	for (i = 0; i < tslen; i++) {
		if (token[i] < '0' || token[i] > '9')
			return false;
		ts = ts * 10 + (token[i] - '0');
	}
	if (ts > (int64_t)now + 300 || (int64_t)now - ts > CRYPTO_CSRF_MAX_AGE)
		return false;
	/* Exactly the unpadded base64url of the MAC, nothing more. */
	if (len - tslen - 1 != CSRF_MAC_CHARS ||
	    !b64url_only(token + tslen + 1, CSRF_MAC_CHARS))
		return false;
	if (sodium_base642bin(got, sizeof(got), dot + 1, len - tslen - 1, NULL,
		&gotlen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
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
	const char *dot = memchr(token, '.', len);
	int64_t t = 0;
	const char *p;

	if (dot == NULL || dot == token || dot - token > 18)
		return -1;
	for (p = token; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		t = t * 10 + (*p - '0');
	}
	*out = t;
	return 0;
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
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len,
	    box, key_pii);
	*outlen = total;
	return box;
}

char *
crypto_open(const unsigned char *box, size_t len, size_t *outlen)
{
	size_t plen;
	char *plain;

	if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return NULL;
	plen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	if ((plain = malloc(plen + 1)) == NULL)
		return NULL;
	if (crypto_secretbox_open_easy((unsigned char *)plain,
		box + crypto_secretbox_NONCEBYTES,
		len - crypto_secretbox_NONCEBYTES, box, key_pii) != 0) {
		free(plain);
		return NULL;
	}
	plain[plen] = '\0';
	*outlen = plen;
	return plain;
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
