/* test_qr.c - qr.c: codes decode with zbarimg to the exact URL from the
 * PNG and from a rasterised PDF; the SVG draws the same modules; limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/qr.c"

#include <cairo-pdf.h>

#include "render.h"

#define URL "https://petitions.example.org/p/kremlin-prisoners-covid19"

static void
decode_png(const struct qr *q, int module_px, const char *want)
{
	struct buf png;
	char *path, *got;

	buf_init(&png);
	assert_int_equal(qr_png(q, module_px, &png), 0);
	path = tmp_write(png.data, png.len, ".png");
	got = zbar_read(path);
	assert_true(has_line(got, want));
	/* One code, nothing else read into it. */
	assert_int_equal(strlen(got), strlen(want) + 1);
	unlink(path);
	free(path);
	free(got);
	buf_reset(&png);
}

static void
test_png_decodes(void **state)
{
	struct qr q;

	(void)state;
	assert_int_equal(qr_encode(&q, URL, strlen(URL)), QR_OK);
	assert_true(q.size >= 21 && (q.size - 17) % 4 == 0);
	decode_png(&q, 4, URL);
	decode_png(&q, 2, URL);
	qr_free(&q);
	assert_null(q.dark);
	qr_free(&q); /* twice is harmless */
}

/* The longest URL allowed still makes a code that decodes exactly, query
 * string and mixed case included. */
static void
test_longest_url_decodes(void **state)
{
	char url[QR_URL_MAX + 1];
	struct qr q;
	size_t i;

	(void)state;
	strcpy(url, "https://Example.org/verify?root=");
	for (i = strlen(url); i < QR_URL_MAX; i++)
		url[i] = "0123456789abcdefXYZ-_~%"[i % 23];
	url[QR_URL_MAX] = '\0';
	assert_int_equal(qr_encode(&q, url, QR_URL_MAX), QR_OK);
	decode_png(&q, 3, url);
	qr_free(&q);
}

static void
test_limits(void **state)
{
	static const struct {
		const char *url;
		enum qr_status want;
	} cases[] = {
		{ "", QR_EMPTY },
		{ "javascript:alert(1)", QR_NOT_URL },
		{ "ftp://example.org/", QR_NOT_URL },
		{ "http://", QR_NOT_URL },
		{ "https://example.org/a b", QR_NOT_URL },
		{ "https://example.org/\n", QR_NOT_URL },
		{ "https://пример.рф/", QR_NOT_URL },
		{ "https://example.org/\x7f", QR_NOT_URL },
		{ "HTTPS://EXAMPLE.ORG/", QR_OK },
		{ "http://a", QR_OK },
	};
	char big[QR_URL_MAX + 2];
	struct qr q = { 7, (unsigned char *)"x" };
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum qr_status st =
		    qr_encode(&q, cases[i].url, strlen(cases[i].url));

		if (st != cases[i].want)
			fail_msg("%s: got %s", cases[i].url, qr_status_text(st));
		if (st == QR_OK)
			qr_free(&q);
		assert_null(q.dark);
		assert_int_equal(q.size, 0);
	}
	assert_int_equal(qr_encode(&q, NULL, 0), QR_EMPTY);
	memset(big, 'a', sizeof(big));
	memcpy(big, "https://", 8);
	assert_int_equal(qr_encode(&q, big, QR_URL_MAX + 1), QR_TOO_LONG);
	assert_int_equal(qr_encode(&q, big, QR_URL_MAX), QR_OK);
	qr_free(&q);

	/* An empty code and bad module sizes draw nothing. */
	buf_init(&b);
	assert_int_equal(qr_svg(&q, &b), -1);
	assert_int_equal(qr_png(&q, 4, &b), -1);
	assert_int_equal(qr_encode(&q, URL, strlen(URL)), QR_OK);
	assert_int_equal(qr_png(&q, 0, &b), -1);
	assert_int_equal(qr_png(&q, QR_PNG_MODULE_MAX + 1, &b), -1);
	assert_int_equal(b.len, 0);
	qr_free(&q);
	for (i = 0; i <= QR__MAX; i++)
		assert_non_null(qr_status_text((enum qr_status)i));
}

/* The SVG's path, read back module by module, is the code with its quiet
 * zone; the PNG's pixels are too. */
static void
test_svg_and_png_match_modules(void **state)
{
	struct qr q;
	struct buf b;
	unsigned char *seen;
	const char *p;
	int side, x, y, n, px = 3;
	cairo_surface_t *img;
	char *path;

	(void)state;
	assert_int_equal(qr_encode(&q, URL, strlen(URL)), QR_OK);
	side = q.size + 2 * QR_QUIET;
	buf_init(&b);
	assert_int_equal(qr_svg(&q, &b), 0);
	assert_non_null(
	    strstr(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(b.data, "</svg>\n"));
	seen = calloc((size_t)side * side, 1);
	p = strstr(b.data, " d=\"") + 4;
	while (sscanf(p, "M%d %dh%d", &x, &y, &n) == 3) {
		assert_true(x >= QR_QUIET && y >= QR_QUIET &&
		    x + n <= side - QR_QUIET && y < side - QR_QUIET);
		while (n-- > 0)
			seen[y * side + x++] = 1;
		p = strchr(p, 'z') + 1;
	}
	assert_string_equal(p, "\"/></svg>\n");
	for (y = 0; y < side; y++)
		for (x = 0; x < side; x++) {
			int in = x >= QR_QUIET && y >= QR_QUIET &&
			    x < side - QR_QUIET && y < side - QR_QUIET;
			int want = in ?
			    q.dark[(y - QR_QUIET) * q.size + (x - QR_QUIET)] :
			    0;
			assert_int_equal(seen[y * side + x], want);
		}
	buf_reset(&b);

	assert_int_equal(qr_png(&q, px, &b), 0);
	path = tmp_write(b.data, b.len, ".png");
	img = png_read(path);
	assert_int_equal(cairo_image_surface_get_width(img), side * px);
	assert_int_equal(cairo_image_surface_get_height(img), side * px);
	for (y = 0; y < side * px; y++)
		for (x = 0; x < side * px; x++) {
			int mx = x / px - QR_QUIET, my = y / px - QR_QUIET;
			int dark = mx >= 0 && my >= 0 && mx < q.size &&
			    my < q.size && q.dark[my * q.size + mx];

			assert_int_equal(pixel_at(img, x, y),
			    dark ? 0x000000 : 0xffffff);
		}
	cairo_surface_destroy(img);
	unlink(path);
	free(path);
	free(seen);
	buf_reset(&b);
	qr_free(&q);
}

static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	buf_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* Drawn into a PDF at 3 cm, the vector code decodes from a 150 dpi
 * rendering of the page. */
static void
test_pdf_decodes(void **state)
{
	struct qr q;
	struct buf pdf;
	cairo_surface_t *s;
	cairo_t *cr;
	char *path, *png, cmd[512], *got;

	(void)state;
	assert_int_equal(qr_encode(&q, URL, strlen(URL)), QR_OK);
	buf_init(&pdf);
	s = cairo_pdf_surface_create_for_stream(pdf_write, &pdf, 595, 842);
	cr = cairo_create(s);
	qr_draw(&q, cr, 300, 500, 85);
	cairo_set_source_rgb(cr, 0, 0, 0); /* state kept: still drawable */
	cairo_rectangle(cr, 10, 10, 5, 5);
	cairo_fill(cr);
	assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(s);
	assert_true(buf_ok(&pdf));
	path = tmp_write(pdf.data, pdf.len, ".pdf");
	assert_true(asprintf(&png, "%s-page", path) > 0);
	snprintf(cmd, sizeof(cmd), "pdftoppm -r 150 -png -singlefile '%s' '%s'",
	    path, png);
	free(run_out(cmd));
	free(png);
	assert_true(asprintf(&png, "%s-page.png", path) > 0);
	got = zbar_read(png);
	assert_true(has_line(got, URL));
	unlink(png);
	unlink(path);
	free(got);
	free(png);
	free(path);
	buf_reset(&pdf);
	qr_free(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png_decodes),
		cmocka_unit_test(test_longest_url_decodes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_svg_and_png_match_modules),
		cmocka_unit_test(test_pdf_decodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
