/* qr.c - QR codes of URLs as SVG, PNG and cairo drawings. */
#include "qr.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "draw.h"

static const char *const status_text[QR__MAX] = {
	[QR_OK] = "ok",
	[QR_EMPTY] = "no URL",
	[QR_TOO_LONG] = "URL longer than 512 bytes",
	[QR_NOT_URL] =
	    "not an http://, https:// or otpauth:// URL in printable ASCII",
	[QR_NO_MEMORY] = "out of memory",
};

const char *
qr_status_text(enum qr_status s)
{
	return (unsigned)s < QR__MAX ? status_text[s] : "unknown status";
}

static enum qr_status
url_check(const char *url, size_t len)
{
	size_t i;

	if (url == NULL || len == 0)
		return QR_EMPTY;
	if (len > QR_URL_MAX)
		return QR_TOO_LONG;
	if (!(len > 7 && strncasecmp(url, "http://", 7) == 0) &&
	    !(len > 8 && strncasecmp(url, "https://", 8) == 0) &&
	    /* guard: a second factor's secret for authenticator apps */
	    !(len > 15 && strncasecmp(url, "otpauth://totp/", 15) == 0))
		return QR_NOT_URL;
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] > '~')
			return QR_NOT_URL;
	return QR_OK;
}

enum qr_status
qr_encode(struct qr *q, const char *url, size_t len)
{
	char s[QR_URL_MAX + 1];
	enum qr_status st;
	QRcode *c;
	size_t n, i;

	q->size = 0;
	q->dark = NULL;
	if ((st = url_check(url, len)) != QR_OK)
		return st;
	memcpy(s, url, len);
	s[len] = '\0';
	/* Version 0: the smallest that holds it; 8-bit mode with numeric and
	 * alphanumeric runs where they are shorter, case kept. */
	if ((c = QRcode_encodeString(s, 0, QR_ECLEVEL_Q, QR_MODE_8, 1)) == NULL)
		return QR_NO_MEMORY;
	n = (size_t)c->width * (size_t)c->width;
	if ((q->dark = malloc(n)) == NULL) {
		QRcode_free(c);
		return QR_NO_MEMORY;
	}
	for (i = 0; i < n; i++)
		q->dark[i] = c->data[i] & 1;
	q->size = c->width;
	QRcode_free(c);
	return QR_OK;
}

void
qr_free(struct qr *q)
{
	free(q->dark);
	q->dark = NULL;
	q->size = 0;
}

/* Calls f for each horizontal run of dark modules: row y, columns
 * [x, x + n). Runs make the SVG and the PDF path small. */
static void
qr_runs(const struct qr *q, void (*f)(void *ctx, int x, int y, int n), void *ctx)
{
	int x, y, start;

	for (y = 0; y < q->size; y++) {
		for (x = 0; x < q->size;) {
			if (!q->dark[(size_t)y * (size_t)q->size + (size_t)x]) {
				x++;
				continue;
			}
			start = x;
			while (x < q->size &&
			    q->dark[(size_t)y * (size_t)q->size + (size_t)x])
				x++;
			f(ctx, start, y, x - start);
		}
	}
}

static void
svg_run(void *ctx, int x, int y, int n)
{
	buf_printf(ctx, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, n, n);
}

int
qr_svg(const struct qr *q, struct buf *out)
{
	int side;

	if (q->dark == NULL)
		return -1;
	side = q->size + 2 * QR_QUIET;
	/* 8 px a module by default; the viewBox lets a poster scale it. */
	buf_printf(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"",
	    side, side, side * 8, side * 8, side, side);
	qr_runs(q, svg_run, out);
	buf_puts(out, "\"/></svg>\n");
	return buf_ok(out) ? 0 : -1;
}

static void
cairo_run(void *ctx, int x, int y, int n)
{
	cairo_rectangle(ctx, x + QR_QUIET, y + QR_QUIET, n, 1);
}

void
qr_draw(const struct qr *q, cairo_t *cr, double x, double y, double side)
{
	double unit;

	if (q->dark == NULL)
		return;
	unit = side / (q->size + 2 * QR_QUIET);
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, 0, 0, side, side);
	cairo_fill(cr);
	cairo_scale(cr, unit, unit);
	cairo_new_path(cr);
	qr_runs(q, cairo_run, cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
	cairo_fill(cr);
	cairo_restore(cr);
}

int
qr_png(const struct qr *q, int module_px, struct buf *out)
{
	cairo_surface_t *s;
	cairo_t *cr;
	int side, rc;

	if (q->dark == NULL || module_px < 1 || module_px > QR_PNG_MODULE_MAX)
		return -1;
	side = (q->size + 2 * QR_QUIET) * module_px;
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side);
	cr = cairo_create(s);
	/* Whole pixels per module: no grey edges for a scanner to doubt. */
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
	qr_draw(q, cr, 0, 0, side);
	rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? draw_png(s, out) : -1;
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	return rc;
}
