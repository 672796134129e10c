/* render.h - what the tests of the renderers (test_qr.c, test_share.c,
 * test_deliver.c) share: temporary files, running Debian's zbarimg,
 * pdftoppm and pdftotext on them, reading PNGs back, loading the
 * catalogues. Included after the module under test. */
#ifndef HOLOS_TEST_RENDER_H
#define HOLOS_TEST_RENDER_H

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/buf.h"
#include "../../src/draw.h"
#include "../../src/i18n.h"

/* Each test uses some of these. */
#define HELPER static __attribute__((unused))

/* Writes n bytes to a new temporary file named like /tmp/holos-XXXXXX.suffix;
 * returns its malloc'd path. */
HELPER char *
tmp_write(const void *data, size_t n, const char *suffix)
{
	char *path;
	FILE *f;
	int fd;

	assert_true(asprintf(&path, "/tmp/holos-XXXXXX%s", suffix) > 0);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Runs a shell command and returns its standard output (malloc'd), or
 * fails the test when it exits non-zero. */
HELPER char *
run_out(const char *cmd)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *p;
	int st;

	buf_init(&b);
	buf_append(&b, "", 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_append(&b, chunk, n);
	st = pclose(p);
	if (st != 0)
		fail_msg("'%s' exited with %d", cmd, st);
	assert_true(buf_ok(&b));
	return buf_steal(&b, NULL);
}

/* What zbarimg reads from an image file: one line per code found. */
HELPER char *
zbar_read(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	    "zbarimg --quiet --raw -Sdisable "
	    "-Sqrcode.enable '%s' 2>/dev/null",
	    path);
	return run_out(cmd);
}

/* True when line (without its newline) is one of the lines of text. */
HELPER int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Reads a PNG file back as a cairo image surface (destroy it). */
HELPER cairo_surface_t *
png_read(const char *path)
{
	cairo_surface_t *s = cairo_image_surface_create_from_png(path);

	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	return s;
}

struct png_src {
	const unsigned char *p;
	size_t left;
};

HELPER cairo_status_t
png_src_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_src *src = closure;

	if (len > src->left)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, src->p, len);
	src->p += len;
	src->left -= len;
	return CAIRO_STATUS_SUCCESS;
}

/* Decodes a PNG in memory as a cairo image surface (destroy it). */
HELPER cairo_surface_t *
png_decode(const struct buf *png)
{
	struct png_src src = { (const unsigned char *)png->data, png->len };
	cairo_surface_t *s =
	    cairo_image_surface_create_from_png_stream(png_src_read, &src);

	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	return s;
}

/* The pixel (x, y) of an RGB24 or ARGB32 image surface. */
HELPER uint32_t
pixel_at(cairo_surface_t *s, int x, int y)
{
	const unsigned char *row = cairo_image_surface_get_data(s) +
	    (size_t)y * (size_t)cairo_image_surface_get_stride(s);

	return ((const uint32_t *)row)[x] & 0xffffff;
}

/* Group setup: the real catalogues, for the words on the images. */
HELPER int
i18n_setup(void **state)
{
	char err[512];

	(void)state;
	if (i18n_load("locales", "en", err, sizeof(err)) == -1) {
		fprintf(stderr, "i18n_load: %s\n", err);
		return -1;
	}
	return 0;
}

/* Group teardown: catalogues and fonts freed, so the leak check sees only
 * the module's own leaks. */
HELPER int
render_teardown(void **state)
{
	(void)state;
	i18n_free();
	draw_release(true);
	return 0;
}

#endif
