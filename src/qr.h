/* qr.h - QR codes of URLs (libqrencode) as SVG, as PNG and drawn on a
 * cairo context, for posters, leaflets and the delivery pack. */
#ifndef HOLOS_QR_H
#define HOLOS_QR_H

#include <cairo.h>
#include <stddef.h>

#include "buf.h"

/* The longest URL a code is made for, in bytes. A page's or verify page's
 * address is far shorter; a longer one would make a code too dense to scan
 * from paper. */
#define QR_URL_MAX 512

/* Light modules around the code, as ISO/IEC 18004 asks. */
#define QR_QUIET 4

/* The largest PNG module, in pixels. */
#define QR_PNG_MODULE_MAX 32

enum qr_status {
	QR_OK,
	QR_EMPTY,     /* no URL */
	QR_TOO_LONG,  /* over QR_URL_MAX bytes */
	QR_NOT_URL,   /* not http:// or https://, or a byte outside
		       * printable ASCII (percent-encode it first) */
	QR_NO_MEMORY, /* or libqrencode failed */
	QR__MAX
};

/* One code: its modules without the quiet zone. */
struct qr {
	int size;	     /* modules per side */
	unsigned char *dark; /* size * size, row by row: 1 dark, 0 light */
};

/* A short English description of s for logs and the command line; never
 * NULL. */
const char *qr_status_text(enum qr_status s);

/* Encodes the len bytes of url at error-correction level Q (a quarter of
 * the code may be lost: posters get scuffed) into q. Returns QR_OK, or
 * another status with q left empty ({0, NULL}). Free q with qr_free(). */
enum qr_status qr_encode(struct qr *q, const char *url, size_t len);

/* Frees q's modules and empties it. An empty q is a no-op. */
void qr_free(struct qr *q);

/* Appends a self-contained SVG of q (quiet zone included, one path, crisp
 * edges) to out. Returns 0, or -1 when q is empty or out of memory. */
int qr_svg(const struct qr *q, struct buf *out);

/* Appends a PNG of q with modules of module_px pixels (1 to
 * QR_PNG_MODULE_MAX) and the quiet zone to out. Returns 0, or -1 when q is
 * empty, module_px is out of range or cairo fails. */
int qr_png(const struct qr *q, int module_px, struct buf *out);

/* Draws q with its quiet zone into the square at (x, y) of side side on
 * cr, in cr's units: a light square, then the dark modules as one filled
 * path, so no seams show between them. cr's state is kept. */
void qr_draw(const struct qr *q, cairo_t *cr, double x, double y, double side);

#endif
