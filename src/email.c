/* email.c - email address syntax and normalisation (ICU for NFC and case). */
#include "email.h"

#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "form.h"

static bool
label_valid(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c >= 0x80))
			return false;
	}
	return true;
}

bool
email_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *at, *d, *end = s + len;
	size_t i, llen, labels = 0;

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
	for (d = at + 1; d < end; labels++) {
		const unsigned char *dot = memchr(d, '.', (size_t)(end - d));
		const unsigned char *lend = dot ? dot : end;

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
			if (!letter)
				return false;
			d = end;
		} else {
			d = dot + 1;
			if (d == end)
				return false;
		}
	}
	return labels >= 2;
}

char *
email_normalize(struct arena *a, const char *s, size_t len, size_t *outlen)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfc;
	UChar *u, *n, *l;
	int32_t ulen, nlen, llen, olen;
	char *out;

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
