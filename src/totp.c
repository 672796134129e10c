/* totp.c - TOTP secrets and codes through liboath, recovery codes. */
#include "totp.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ready = -1;

static void
oath_start(void)
{
	oath_ready = oath_init() == OATH_OK ? 0 : -1;
}

void
totp_secret_new(unsigned char out[TOTP_SECRET_BYTES])
{
	randombytes_buf(out, TOTP_SECRET_BYTES);
}

char *
totp_base32(struct arena *a, const unsigned char *secret, size_t len)
{
	char *out = NULL, *copy = NULL;
	size_t olen = 0, i, n = 0;

	pthread_once(&oath_once, oath_start);
	if (oath_ready != 0 ||
	    oath_base32_encode((const char *)secret, len, &out, &olen) !=
		OATH_OK)
		return NULL;
	/* No padding: apps take the letters alone. */
	while (olen > 0 && out[olen - 1] == '=')
		olen--;
	if ((copy = arena_alloc(a, olen + 1)) != NULL) {
		for (i = 0; i < olen; i++)
			copy[n++] = out[i];
		copy[n] = '\0';
	}
	sodium_memzero(out, olen);
	free(out);
	return copy;
}

/* Appends s percent-encoded (all but unreserved characters). */
static void
put_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			buf_putc(b, (char)*p);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

char *
totp_uri(struct arena *a, const unsigned char *secret, size_t len,
    const char *issuer, const char *account)
{
	const char *b32 = totp_base32(a, secret, len);
	struct buf b;
	char *out;

	if (b32 == NULL)
		return NULL;
	/* The format authenticator apps read (Google Authenticator's "Key
	 * Uri Format"): otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=… */
	buf_init(&b);
	buf_puts(&b, "otpauth://totp/");
	put_encoded(&b, issuer);
	buf_putc(&b, ':');
	put_encoded(&b, account);
	buf_printf(&b, "?secret=%s&issuer=", b32);
	put_encoded(&b, issuer);
	buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS,
	    TOTP_STEP);
	out = buf_ok(&b) ? arena_strndup(a, b.data, b.len) : NULL;
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_reset(&b);
	return out;
}

bool
totp_check(const unsigned char *secret, size_t len, const char *code,
    int64_t now, int64_t *step)
{
	char digits[TOTP_DIGITS + 1], other[TOTP_DIGITS + 1];
	size_t n = 0;
	int64_t s;
	const char *p;

	for (p = code; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p < '0' || *p > '9' || n == TOTP_DIGITS)
			return false;
		digits[n++] = *p;
	}
	if (n != TOTP_DIGITS)
		return false;
	digits[n] = '\0';
	pthread_once(&oath_once, oath_start);
	if (oath_ready != 0 ||
	    oath_totp_validate((const char *)secret, len, (time_t)now,
		TOTP_STEP, 0, TOTP_WINDOW, digits) < 0)
		return false;
	/* Which step it was, for the replay check: the window's codes made
	 * again (liboath's own counter is one off). */
	for (s = now / TOTP_STEP - TOTP_WINDOW;
	     s <= now / TOTP_STEP + TOTP_WINDOW; s++)
		if (oath_totp_generate((const char *)secret, len,
			(time_t)(s * TOTP_STEP), TOTP_STEP, 0, TOTP_DIGITS,
			other) == OATH_OK &&
		    sodium_memcmp(other, digits, TOTP_DIGITS) == 0) {
			*step = s;
			return true;
		}
	return false;
}

/* Recovery codes use these 31 letters and digits: none that read alike
 * (0/o, 1/l/i). */
static const char recovery_alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";

/* The 16 letters of a code, without dashes and spaces, lower case, into
 * out; false when it is not a code's shape. */
static bool
recovery_normal(const char *code, size_t len, char out[TOTP_RECOVERY_CHARS])
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = code[i];
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '\0' || strchr(recovery_alphabet, c) == NULL ||
		    n == TOTP_RECOVERY_CHARS)
			return false;
		out[n++] = c;
	}
	return n == TOTP_RECOVERY_CHARS;
}

bool
totp_recovery_hash(const char *code, size_t len, unsigned char out[32])
{
	char norm[TOTP_RECOVERY_CHARS];

	if (!recovery_normal(code, len, norm))
		return false;
	crypto_misc_hash("totp-recovery", norm, sizeof(norm), out, 32);
	sodium_memzero(norm, sizeof(norm));
	return true;
}

void
totp_recovery_new(char codes[][TOTP_RECOVERY_CHARS + 4],
    unsigned char hashes[][32])
{
	size_t i, j, n;
	uint32_t k;

	for (i = 0; i < TOTP_RECOVERY_CODES; i++) {
		for (j = 0, n = 0; j < TOTP_RECOVERY_CHARS; j++) {
			if (j > 0 && j % 4 == 0)
				codes[i][n++] = '-';
			k = randombytes_uniform(sizeof(recovery_alphabet) - 1);
			codes[i][n++] = recovery_alphabet[k];
		}
		codes[i][n] = '\0';
		(void)totp_recovery_hash(codes[i], n, hashes[i]);
	}
}
