/* form.h - declared form fields: each key has a validator; undeclared keys
 * are dropped before a handler sees the form. */
#ifndef HOLOS_FORM_H
#define HOLOS_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum form_error {
	FORM_OK,
	FORM_MISSING, /* required and absent or blank */
	FORM_TOO_LONG,
	FORM_BAD_TEXT, /* invalid UTF-8 or control characters */
	FORM_INVALID,  /* the field's own validator said no */
	FORM__MAX
};

/* The catalogue key that tells a user about e: "err_required",
 * "err_too_long", "err_invalid_text"; for FORM_INVALID (whose message
 * depends on the field) "err_invalid_text" too; NULL for FORM_OK. */
const char *form_error_key(enum form_error e);

enum form_kind {
	FORM_LINE,     /* one line of text, trimmed of white space */
	FORM_TEXT,     /* multi-line text: \n and \t allowed, trimmed; its
			* line breaks (CR LF, a lone CR) become LF */
	FORM_CHECKBOX, /* present and not "" means true */
	FORM_TOKEN,    /* opaque ASCII, not trimmed */
	FORM_SECRET,   /* a password: any text, never trimmed */
	FORM_KIND__MAX
};

struct form_spec {
	const char *name;
	enum form_kind kind;
	size_t max_chars; /* in Unicode code points */
	bool required;
	/* Optional extra check on the decoded, trimmed value. */
	bool (*valid)(const char *s, size_t len);
};

struct form_value {
	const char *s; /* decoded, from the arena, NUL-terminated at len:
			* trimmed (FORM_LINE, FORM_TEXT) before it was
			* checked, so s is exactly what was checked */
	size_t len;
	bool present;
	bool checked; /* FORM_CHECKBOX */
	enum form_error err;
};

/* Parses an application/x-www-form-urlencoded body against n specs: each
 * value is decoded, trimmed (lines and texts), then checked (text, length,
 * validator), and out[i].s holds exactly what was checked. out[i]
 * answers specs[i]; keys without a spec are dropped, a key given twice keeps
 * its first value. Returns the number of fields in error (0 when all is
 * well), or -1 when out of memory. Strings come from the arena. */
int form_parse(struct arena *a, const char *body, size_t len,
    const struct form_spec *specs, size_t n, struct form_value *out);

/* Percent-decodes s ('+' is a space) into the arena. Returns NULL on a
 * malformed escape or when out of memory. */
char *form_decode(struct arena *a, const char *s, size_t len, size_t *outlen);

/* True when s is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF). */
bool form_utf8_valid(const char *s, size_t len);

/* True when s is valid UTF-8 without control characters (C0, DEL, C1);
 * multiline allows \n, \r and \t. */
bool form_text_valid(const char *s, size_t len, bool multiline);

/* True when s is a positive id in decimal: 1 to 18 digits, no sign, no
 * leading zero. */
bool form_id_valid(const char *s, size_t len);

/* The value of s, 1 to maxlen decimal digits and nothing else (maxlen at
 * most 18; leading zeros allowed). Returns it, or -1. */
int64_t form_digits(const char *s, size_t len, size_t maxlen);

/* Number of code points in valid UTF-8. */
size_t form_utf8_chars(const char *s, size_t len);

#endif
