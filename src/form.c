/* form.c - urlencoded parsing and declared, validated form fields. */
#include "form.h"

#include <string.h>

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
form_decode(struct arena *a, const char *s, size_t len, size_t *outlen)
{
	char *out = arena_alloc(a, len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int h, l;

			if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0)
				return NULL;
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

bool
form_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned cp;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

bool
form_id_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 18 || s[0] == '0')
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int64_t
form_digits(const char *s, size_t len, size_t maxlen)
{
	int64_t n = 0;
	size_t i;

	if (len == 0 || len > maxlen || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

bool
form_text_valid(const char *str, size_t len, bool multiline)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	if (!form_utf8_valid(str, len))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7F) {
			if (multiline &&
			    (s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
				continue;
			return false;
		}
		/* C1 controls are U+0080..U+009F: 0xC2 0x80..0x9F. */
		if (s[i] == 0xC2 && i + 1 < len && s[i + 1] <= 0x9F)
			return false;
	}
	return true;
}

size_t
form_utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* The length of the white space (ASCII, no-break, the Unicode spaces up
 * to U+200B, the ideographic space and the byte-order mark) that starts
 * s, or, when at_end, that ends s; 0 when there is none. */
static size_t
space_len(const char *str, size_t len, bool at_end)
{
	static const char *const spaces[] = {
		" ",
		"\t",
		"\n",
		"\r",
		"\xC2\xA0",
		"\xE2\x80\x80",
		"\xE2\x80\x81",
		"\xE2\x80\x82",
		"\xE2\x80\x83",
		"\xE2\x80\x84",
		"\xE2\x80\x85",
		"\xE2\x80\x86",
		"\xE2\x80\x87",
		"\xE2\x80\x88",
		"\xE2\x80\x89",
		"\xE2\x80\x8A",
		"\xE2\x80\x8B",
		"\xE2\x80\xAF",
		"\xE3\x80\x80",
		"\xEF\xBB\xBF",
	};
	size_t i, n;

	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		n = strlen(spaces[i]);
		if (n <= len &&
		    memcmp(at_end ? str + len - n : str, spaces[i], n) == 0)
			return n;
	}
	return 0;
}

/* Trims white space from both ends of the value and ends it with a NUL
 * there, so that what a handler reads as a C string is exactly what was
 * checked. */
static void
trim_value(struct form_value *v)
{
	const char *s = v->s;
	size_t len = v->len, n;

	while ((n = space_len(s, len, false)) > 0) {
		s += n;
		len -= n;
	}
	while ((n = space_len(s, len, true)) > 0)
		len -= n;
	/* Only a decoded value (arena memory) can have had a tail cut. */
	if (s[len] != '\0')
		((char *)s)[len] = '\0';
	v->s = s;
	v->len = len;
}

/* s's line breaks, CR LF or a lone CR, as LF, folded in place (a browser
 * sends a textarea's line breaks as CR LF; each counts once). Returns the
 * new length. */
static size_t
fold_lf(char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		s[n++] = c == '\r' ? '\n' : c;
		if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
			i++;
	}
	s[n] = '\0';
	return n;
}

static enum form_error
field_check(const struct form_spec *spec, struct form_value *v)
{
	switch (spec->kind) {
	case FORM_CHECKBOX:
		v->checked = v->present && v->len > 0;
		return FORM_OK;
	case FORM_TOKEN: {
		size_t i;

		if (!v->present || v->len == 0)
			return spec->required ? FORM_MISSING : FORM_OK;
		for (i = 0; i < v->len; i++)
			if ((unsigned char)v->s[i] <= 0x20 ||
			    (unsigned char)v->s[i] >= 0x7F)
				return FORM_BAD_TEXT;
		return v->len > spec->max_chars ? FORM_TOO_LONG : FORM_OK;
	}
	case FORM_SECRET:
		if (!form_text_valid(v->s, v->len, false))
			return FORM_BAD_TEXT;
		if (v->len == 0)
			return spec->required ? FORM_MISSING : FORM_OK;
		return form_utf8_chars(v->s, v->len) > spec->max_chars ?
		    FORM_TOO_LONG :
		    FORM_OK;
	case FORM_LINE:
	case FORM_TEXT:
		if (!form_text_valid(v->s, v->len, spec->kind == FORM_TEXT))
			return FORM_BAD_TEXT;
		/* Text with a length was decoded into the arena: writable. */
		if (spec->kind == FORM_TEXT && v->len > 0)
			v->len = fold_lf((char *)v->s, v->len);
		trim_value(v);
		if (v->len == 0)
			return spec->required ? FORM_MISSING : FORM_OK;
		if (form_utf8_chars(v->s, v->len) > spec->max_chars)
			return FORM_TOO_LONG;
		if (spec->valid != NULL && !spec->valid(v->s, v->len))
			return FORM_INVALID;
		return FORM_OK;
	case FORM_KIND__MAX: break;
	}
	return FORM_INVALID;
}

int
form_parse(struct arena *a, const char *body, size_t len,
    const struct form_spec *specs, size_t n, struct form_value *out)
{
	const char *p = body, *end = body + len;
	size_t i;
	int errors = 0;

	memset(out, 0, n * sizeof(*out));
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pair_end = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pair_end - p));
		const char *kend = eq ? eq : pair_end;
		char *key;
		size_t klen;

		if ((key = form_decode(a, p, (size_t)(kend - p), &klen)) == NULL)
			goto next; /* a malformed key cannot be declared */
		for (i = 0; i < n; i++) {
			if (strlen(specs[i].name) != klen ||
			    memcmp(specs[i].name, key, klen) != 0)
				continue;
			if (out[i].present)
				break;
			out[i].present = true;
			if (eq == NULL) {
				out[i].s = "";
				out[i].len = 0;
			} else if ((out[i].s = form_decode(a, eq + 1,
					(size_t)(pair_end - eq - 1),
					&out[i].len)) == NULL) {
				/* A broken %-escape is bad text, not absence. */
				out[i].s = "";
				out[i].len = 0;
				out[i].err = FORM_BAD_TEXT;
			}
			break;
		}
next:
		p = amp ? amp + 1 : end;
	}
	for (i = 0; i < n; i++) {
		if (!out[i].present) {
			out[i].s = "";
			out[i].len = 0;
		}
		if (out[i].err == FORM_OK)
			out[i].err = field_check(&specs[i], &out[i]);
		if (out[i].err != FORM_OK)
			errors++;
	}
	return errors;
}

const char *
form_error_key(enum form_error e)
{
	static const char *const keys[FORM__MAX] = {
		[FORM_OK] = NULL,
		[FORM_MISSING] = "err_required",
		[FORM_TOO_LONG] = "err_too_long",
		[FORM_BAD_TEXT] = "err_invalid_text",
		[FORM_INVALID] = "err_invalid_text",
	};

	return (unsigned)e < FORM__MAX ? keys[e] : "err_invalid_text";
}
