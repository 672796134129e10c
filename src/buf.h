/* buf.h - growable byte buffers, length-carrying strings, HTML escaping. */
#ifndef HOLOS_BUF_H
#define HOLOS_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* A string that carries its length; s need not be NUL-terminated. */
struct str {
	const char *s;
	size_t len;
};

#define STR(lit) ((struct str){ (lit), sizeof(lit) - 1 })

/* A malloc'd growable buffer. data is always NUL-terminated when len > 0
 * or after any append. A failed append sets oom and makes later appends
 * no-ops, so callers check once at the end with buf_ok(). */
struct buf {
	char *data;
	size_t len, cap;
	bool oom;
};

void buf_init(struct buf *b);
/* Frees the data; the buffer is empty and usable again. */
void buf_reset(struct buf *b);
/* Hands the data to the caller (free() it) and leaves b empty. May return
 * NULL for an empty buffer. */
char *buf_steal(struct buf *b, size_t *len);
/* b's bytes copied into a as a NUL-terminated string, and b reset.
 * Returns NULL when b ran out of memory, or a did. */
char *buf_to_arena(struct buf *b, struct arena *a);
bool buf_ok(const struct buf *b);

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends n bytes of s escaped for HTML text and attribute values:
 * & < > " ' and ` become entities. */
void buf_append_html(struct buf *b, const char *s, size_t n);

/* Appends s escaped as the inside of a JSON string (no quotes). */
void buf_append_json(struct buf *b, const char *s, size_t n);

/* Appends s percent-encoded for a URL query component (RFC 3986
 * unreserved characters are kept). */
void buf_append_urlenc(struct buf *b, const char *s, size_t n);
/* Appends s as one CSV cell, always quoted (RFC 4180). A value a
 * spreadsheet would take for a formula (= + - @ tab CR first) gets a
 * leading apostrophe, so it stays text. */
void buf_append_csv(struct buf *b, const char *s, size_t n);

#endif
