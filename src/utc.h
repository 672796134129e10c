/* utc.h - a time as text, in UTC, in the few formats holos writes. */
#ifndef HOLOS_UTC_H
#define HOLOS_UTC_H

#include <stdint.h>

enum utc_format {
	UTC_DAY,  /* 2026-12-02 */
	UTC_ISO,  /* 2026-12-02T19:32:20Z (RFC 3339: JSON, Atom) */
	UTC_TEXT, /* 2026-12-02 19:32:20Z (pages) */
	UTC_HTTP, /* Wed, 02 Dec 2026 19:32:20 GMT (RFC 9110 headers) */
	UTC__MAX
};

/* Room for any of the formats and the NUL. */
#define UTC_CHARS 32

/* Writes t (seconds since 1970) in format f into out and returns out; ""
 * when t is beyond what the C library can break down. */
const char *utc_format(char out[UTC_CHARS], enum utc_format f, int64_t t);

struct buf;

/* The same appended to b (a failure is b's, seen by buf_ok()). */
void utc_append(struct buf *b, enum utc_format f, int64_t t);

#endif
