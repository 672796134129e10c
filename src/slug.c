/* slug.c - the address of a new petition, made from its title by ICU's
 * transliteration. */
#include "slug.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "form.h"
#include "log.h"

#define SLUG_RULES "Any-Latin; Latin-ASCII; Lower"
#define SLUG_EMPTY "petition"
/* Transliteration may grow a text (one CJK character becomes a syllable
 * and a space); the buffer starts at this many units per input unit and is
 * doubled while ICU asks for more. */
#define SLUG_GROWTH 8
#define SLUG_INPUT_MAX 4096 /* bytes of title looked at */

/* Keeps [a-z0-9] of ASCII text s, every other run one '-', into out. */
static void
slug_squeeze(const char *s, size_t len, char out[SLUG_MAX + 1])
{
	char buf[SLUG_MAX + 2];
	size_t i, n = 0;
	bool dash = false;

	for (i = 0; i < len && n <= SLUG_MAX; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			dash = n > 0;
			continue;
		}
		if (dash) {
			buf[n++] = '-';
			dash = false;
			if (n > SLUG_MAX)
				break;
		}
		buf[n++] = c;
	}
	/* One character past SLUG_MAX tells whether the cut falls inside a
	 * word: then it moves back to the last '-' before it. */
	if (n > SLUG_MAX) {
		size_t cut = SLUG_MAX;

		if (buf[SLUG_MAX] != '-') {
			while (cut > 0 && buf[cut] != '-')
				cut--;
			if (cut == 0)
				cut = SLUG_MAX;
		}
		n = cut;
	}
	while (n > 0 && buf[n - 1] == '-')
		n--;
	if (n == 0) {
		memcpy(out, SLUG_EMPTY, sizeof(SLUG_EMPTY));
		return;
	}
	memcpy(out, buf, n);
	out[n] = '\0';
}

int
slug_from_title(const char *title, size_t len, char out[SLUG_MAX + 1])
{
	static const char rules[] = SLUG_RULES;
	UChar id[sizeof(rules)], *u = NULL;
	UTransliterator *t = NULL;
	UErrorCode e = U_ZERO_ERROR;
	int32_t ulen, cap, limit, alen;
	char *ascii = NULL;
	int ret = -1;

	memcpy(out, SLUG_EMPTY, sizeof(SLUG_EMPTY));
	if (len > SLUG_INPUT_MAX) {
		/* Only the start can reach the slug; cut at a character. */
		len = SLUG_INPUT_MAX;
		while (len > 0 && ((unsigned char)title[len] & 0xC0) == 0x80)
			len--;
	}
	if (!form_utf8_valid(title, len))
		return -1;
	u_uastrcpy(id, rules);
	cap = (int32_t)len * SLUG_GROWTH + 16;
	for (;;) {
		UChar *g;

		if ((g = realloc(u, (size_t)cap * sizeof(UChar))) == NULL)
			goto out;
		u = g;
		e = U_ZERO_ERROR;
		u_strFromUTF8(u, cap, &ulen, title, (int32_t)len, &e);
		if (U_FAILURE(e))
			goto out;
		if (t == NULL &&
		    (t = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL,
			 &e)) == NULL)
			goto out;
		limit = ulen;
		utrans_transUChars(t, u, &ulen, cap, 0, &limit, &e);
		if (e != U_BUFFER_OVERFLOW_ERROR || cap > (1 << 20))
			break;
		cap *= 2;
	}
	if (U_FAILURE(e))
		goto out;
	/* Latin-ASCII leaves what it cannot map (emoji, symbols) as it was:
	 * the UTF-8 of those is dropped by slug_squeeze with the rest. */
	e = U_ZERO_ERROR;
	if ((ascii = malloc((size_t)ulen * 3 + 1)) == NULL)
		goto out;
	u_strToUTF8(ascii, ulen * 3 + 1, &alen, u, ulen, &e);
	if (U_FAILURE(e))
		goto out;
	slug_squeeze(ascii, (size_t)alen, out);
	ret = 0;
out:
	if (ret == -1)
		log_warn("slug", "error=\"transliteration failed\" icu=%s",
		    u_errorName(e));
	if (t != NULL)
		utrans_close(t);
	free(ascii);
	free(u);
	return ret;
}
