/* paper.h - the rules of signatures collected on paper: what a batch may
 * hold, and the line that shows them beside the online count. No HTTP, no
 * SQL. */
#ifndef HOLOS_PAPER_H
#define HOLOS_PAPER_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* A batch counts 1 to PAPER_COUNT_MAX signatures. */
#define PAPER_COUNT_MAX 1000000
/* Lengths in code points. */
#define PAPER_PLACE_MAX 200
#define PAPER_NOTE_MAX 1000
#define PAPER_REASON_MAX 500
/* The earliest day a batch may carry. */
#define PAPER_DAY_MIN_YEAR 1990
/* A batch's scanned file: 10 MB at most (the server holds an upload
 * whole in memory, as it does the petition image). */
#define PAPER_SCAN_MAX (10 * 1024 * 1024)

/* What a scan may be, told by its bytes. */
enum paper_scan_kind {
	PAPER_SCAN_NONE, /* no scan, or not one of the others */
	PAPER_SCAN_PDF,
	PAPER_SCAN_JPEG,
	PAPER_SCAN_PNG,
	PAPER_SCAN__MAX
};

/* The kind of the len bytes at data, by their first bytes (the format's
 * signature) and their last (its end: "%%EOF" in a PDF's last kilobyte, a
 * JPEG's end-of-image marker, a PNG's IEND chunk), so a file cut short is
 * refused too. Never by a name or a Content-Type. PAPER_SCAN_NONE for
 * anything else, or over PAPER_SCAN_MAX bytes. */
enum paper_scan_kind paper_scan_detect(const void *data, size_t len);

/* The kind's name as the store keeps it ("pdf", "jpeg", "png"; "" for
 * PAPER_SCAN_NONE), and back (PAPER_SCAN_NONE for any other text). */
const char *paper_scan_name(enum paper_scan_kind k);
enum paper_scan_kind paper_scan_parse(const char *name);

/* The kind's media type and a file name extension ("pdf", "jpg", "png");
 * NULL for PAPER_SCAN_NONE. */
const char *paper_scan_mime(enum paper_scan_kind k);
const char *paper_scan_ext(enum paper_scan_kind k);

/* The count of len bytes of s: decimal digits only, 1..PAPER_COUNT_MAX.
 * Returns it, or -1 for anything else. */
int64_t paper_count_parse(const char *s, size_t len);

/* The day YYYY-MM-DD in len bytes of s (a real calendar day, the year from
 * PAPER_DAY_MIN_YEAR): its start, UTC, in unix seconds. Returns -1 for
 * anything else. Whether it is in the future is the caller's check. */
int64_t paper_day_parse(const char *s, size_t len);

/* "N online + M on paper" in lang: online is the online count as text (it
 * may be a page cache marker), paper the paper count. In the arena; ""
 * when it cannot be made. */
const char *paper_line(struct arena *a, const char *lang, const char *online,
    int64_t paper);

/* "M signatures on paper in all" in lang, in the arena. */
const char *paper_total_line(struct arena *a, const char *lang, int64_t paper);

#endif
