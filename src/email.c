/* email.c - email address syntax and normalisation (ICU for NFC and case,
 * libidn2 for internationalised domains). */
#include "email.h"

#include <idn2.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "form.h"

#define LDH "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

static bool
label_valid(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* A domain in A-labels: two or more labels, the last not all digits. */
static bool
domain_valid(const char *str, size_t len)
{
	const unsigned char *d = (const unsigned char *)str, *end = d + len;
	size_t labels = 0;

	while (d < end) {
		const unsigned char *dot = memchr(d, '.', (size_t)(end - d));
		const unsigned char *lend = dot ? dot : end;

		labels++;
		if (!label_valid(d, (size_t)(lend - d)))
			return false;
		if (dot == NULL) {
			/* A top-level domain: two or more characters, not all
			 * digits (that would be an IP address). */
			const unsigned char *c;
			bool letter = false;

			if (lend - d < 2)
				return false;
			for (c = d; c < lend; c++)
				letter = letter || !(*c >= '0' && *c <= '9');
			return letter && labels >= 2;
		}
		d = dot + 1;
	}
	return false; /* empty, or a trailing dot */
}

bool
email_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *at;
	char dom[EMAIL_DOMAIN_MAX + 1];
	size_t i, llen;
	int dlen;

	if (len == 0 || len > EMAIL_MAX || !form_text_valid(str, len, false))
		return false;
	if ((at = memchr(s, '@', len)) == NULL)
		return false;
	llen = (size_t)(at - s);
	if (llen == 0 || llen > 64)
		return false;
	for (i = 0; i < llen; i++)
		if (s[i] <= ' ' || strchr("()<>[]\\,;:\"@", s[i]) != NULL)
			return false;
	if (s[0] == '.' || s[llen - 1] == '.')
		return false;
	dlen = email_domain_to_ascii((const char *)at + 1, len - llen - 1, dom);
	if (dlen < 0 || llen + 1 + (size_t)dlen > EMAIL_MAX)
		return false;
	return domain_valid(dom, (size_t)dlen);
}

/* IDNA has work to do: a non-ASCII byte, or a label claiming to be an
 * A-label (whose Punycode must then decode to a valid U-label). */
static bool
domain_needs_idna(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return true;
		if ((i == 0 || s[i - 1] == '.') && len - i >= 4 &&
		    (s[i] == 'x' || s[i] == 'X') &&
		    (s[i + 1] == 'n' || s[i + 1] == 'N') && s[i + 2] == '-' &&
		    s[i + 3] == '-')
			return true;
	}
	return false;
}

int
email_domain_to_ascii(const char *s, size_t len, char out[EMAIL_DOMAIN_MAX + 1])
{
	char in[4 * EMAIL_MAX + 1];
	const char *src = s;
	char *ascii = NULL;
	size_t i, n = len;

	if (memchr(s, '\0', len) != NULL)
		return -1;
	if (domain_needs_idna(s, len)) {
		if (len >= sizeof(in))
			return -1;
		memcpy(in, s, len);
		in[len] = '\0';
		/* Not IDN2_USE_STD3_ASCII_RULES: with it libidn2 drops a
		 * disallowed ASCII character ("exa_mple" would become
		 * "example") instead of refusing it. */
		if (idn2_to_ascii_8z(in, &ascii,
			IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
			return -1;
		src = ascii;
		n = strlen(ascii);
		/* Only letters, digits, '-' and '.' can be delivered to; a
		 * label with anything else in it would not decode as
		 * Punycode when normalised again. */
		if (strspn(ascii, LDH ".") != n)
			goto fail;
	}
	if (n > EMAIL_DOMAIN_MAX)
		goto fail;
	for (i = 0; i < n; i++) {
		char c = src[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	idn2_free(ascii);
	return (int)n;
fail:
	idn2_free(ascii);
	return -1;
}

bool
email_needs_smtputf8(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* NFC, then full lower case: the local part's normal form. */
static char *
fold_case(struct arena *a, const char *s, size_t len, size_t *outlen)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfc;
	UChar *u, *n, *l;
	int32_t ulen, nlen, llen, olen;
	char *out;

	/* UTF-16 never needs more units than UTF-8 has bytes; NFC and case
	 * mapping can grow a string, so allow three times as much. */
	ulen = (int32_t)len + 1;
	if ((u = arena_alloc(a, (size_t)ulen * sizeof(UChar))) == NULL ||
	    (n = arena_alloc(a, (size_t)ulen * 3 * sizeof(UChar))) == NULL ||
	    (l = arena_alloc(a, (size_t)ulen * 9 * sizeof(UChar))) == NULL)
		return NULL;
	u_strFromUTF8(u, ulen, &ulen, s, (int32_t)len, &e);
	if (U_FAILURE(e))
		return NULL;
	nfc = unorm2_getNFCInstance(&e);
	nlen = unorm2_normalize(nfc, u, ulen, n, ((int32_t)len + 1) * 3, &e);
	if (U_FAILURE(e))
		return NULL;
	llen = u_strToLower(l, ((int32_t)len + 1) * 9, n, nlen, "", &e);
	if (U_FAILURE(e))
		return NULL;
	if ((out = arena_alloc(a, (size_t)llen * 3 + 1)) == NULL)
		return NULL;
	u_strToUTF8(out, llen * 3 + 1, &olen, l, llen, &e);
	if (U_FAILURE(e))
		return NULL;
	out[olen] = '\0';
	*outlen = (size_t)olen;
	return out;
}

char *
email_normalize(struct arena *a, const char *s, size_t len, size_t *outlen)
{
	char dom[EMAIL_DOMAIN_MAX + 1];
	const char *at;
	size_t llen, nlen;
	char *local, *out;
	int dlen;

	while (
	    len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		len--;
	}
	while (len > 0 &&
	    (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
		s[len - 1] == '\n'))
		len--;
	if (len > 4 * EMAIL_MAX || !form_utf8_valid(s, len))
		return NULL;
	at = memrchr(s, '@', len);
	llen = at != NULL ? (size_t)(at - s) : len;
	if ((local = fold_case(a, s, llen, &nlen)) == NULL)
		return NULL;
	if (at == NULL) {
		*outlen = nlen;
		return local;
	}
	if ((dlen = email_domain_to_ascii(at + 1, len - llen - 1, dom)) < 0)
		return NULL;
	if ((out = arena_alloc(a, nlen + 1 + (size_t)dlen + 1)) == NULL)
		return NULL;
	memcpy(out, local, nlen);
	out[nlen] = '@';
	memcpy(out + nlen + 1, dom, (size_t)dlen + 1);
	*outlen = nlen + 1 + (size_t)dlen;
	return out;
}
