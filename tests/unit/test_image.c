/* test_image.c - image.c: what an upload is refused for, what comes back
 * (widths, share crop, upright, sRGB) and that no metadata survives, as
 * exiftool reads it. Every test image is made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../src/image.c"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include <zlib.h>

/* --- Making test images ------------------------------------------------ */

struct bytes {
	unsigned char *p;
	size_t len;
};

static void
bytes_free(struct bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static void
bytes_add(struct bytes *b, const void *p, size_t n)
{
	assert_non_null(b->p = realloc(b->p, b->len + n + 1));
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
bytes_be(struct bytes *b, uint32_t v, int n)
{
	unsigned char c[4];
	int i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	bytes_add(b, c, (size_t)n);
}

/* Pixels from a function of (x, y) into an encoded image, by libvips's own
 * savers (".jpg[Q=90]", ".png", ".webp"). */
typedef void (*paint_fn)(int x, int y, int w, int h, unsigned char *px);

static struct bytes
make_image(int w, int h, int bands, paint_fn paint, const char *suffix)
{
	unsigned char *px = malloc((size_t)w * h * bands);
	struct bytes out = { 0 };
	VipsImage *img;
	void *buf;
	size_t len;
	int x, y;

	assert_non_null(px);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			paint(x, y, w, h, px + ((size_t)y * w + x) * bands);
	img = vips_image_new_from_memory_copy(px, (size_t)w * h * bands, w, h,
	    bands, VIPS_FORMAT_UCHAR);
	assert_non_null(img);
	if (vips_image_write_to_buffer(img, suffix, &buf, &len, NULL) != 0)
		fail_msg("encode %s: %s", suffix, vips_error_buffer());
	bytes_add(&out, buf, len);
	g_free(buf);
	g_object_unref(img);
	free(px);
	return out;
}

/* Left half red, right half blue. */
static void
paint_halves(int x, int y, int w, int h, unsigned char *px)
{
	(void)y;
	(void)h;
	px[0] = x < w / 2 ? 255 : 0;
	px[1] = 0;
	px[2] = x < w / 2 ? 0 : 255;
}

/* Smooth colour ramps: cheap to encode, yet every part of the picture
 * differs, so a wrong scale or crop shows. */
static void
paint_ramps(int x, int y, int w, int h, unsigned char *px)
{
	px[0] = (unsigned char)(x * 255 / w);
	px[1] = (unsigned char)(y * 255 / h);
	px[2] = (unsigned char)((x + y) * 255 / (w + h));
}

/* Something a JPEG cannot squeeze to nothing. */
static void
paint_noise(int x, int y, int w, int h, unsigned char *px)
{
	uint32_t v = (uint32_t)(x * 7919 + y * 104729 + w + h);

	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	px[0] = (unsigned char)v;
	px[1] = (unsigned char)(v >> 8);
	px[2] = (unsigned char)(x + y);
}

static void
paint_red(int x, int y, int w, int h, unsigned char *px)
{
	(void)x;
	(void)y;
	(void)w;
	(void)h;
	px[0] = 255;
	px[1] = 0;
	px[2] = 0;
}

/* RGBA: left half transparent, right half opaque green. */
static void
paint_alpha(int x, int y, int w, int h, unsigned char *px)
{
	(void)y;
	(void)h;
	px[0] = 0;
	px[1] = 200;
	px[2] = 0;
	px[3] = x < w / 2 ? 0 : 255;
}

#define GPS_MARK "holos-test-XMP-marker"
#define COMMENT_MARK "holos-test-comment-marker"

/* An APP1 EXIF segment written by hand (big-endian TIFF): IFD0 with the
 * orientation and a GPS IFD (55°45'21" N, 37°37'12" E). */
static void
exif_segment(struct bytes *seg, int orientation)
{
	struct bytes t = { 0 };

	bytes_add(&t, "MM\0*", 4);
	bytes_be(&t, 8, 4);
	/* IFD0 at 8: two entries. */
	bytes_be(&t, 2, 2);
	bytes_be(&t, 0x0112, 2); /* Orientation, SHORT */
	bytes_be(&t, 3, 2);
	bytes_be(&t, 1, 4);
	bytes_be(&t, (uint32_t)orientation, 2);
	bytes_be(&t, 0, 2);
	bytes_be(&t, 0x8825, 2); /* GPS IFD pointer, LONG */
	bytes_be(&t, 4, 2);
	bytes_be(&t, 1, 4);
	bytes_be(&t, 38, 4);
	bytes_be(&t, 0, 4);
	/* GPS IFD at 38: four entries, rationals after it at 92. */
	bytes_be(&t, 4, 2);
	bytes_be(&t, 0x0001, 2); /* GPSLatitudeRef "N" */
	bytes_be(&t, 2, 2);
	bytes_be(&t, 2, 4);
	bytes_add(&t, "N\0\0\0", 4);
	bytes_be(&t, 0x0002, 2); /* GPSLatitude, 3 RATIONAL */
	bytes_be(&t, 5, 2);
	bytes_be(&t, 3, 4);
	bytes_be(&t, 92, 4);
	bytes_be(&t, 0x0003, 2); /* GPSLongitudeRef "E" */
	bytes_be(&t, 2, 2);
	bytes_be(&t, 2, 4);
	bytes_add(&t, "E\0\0\0", 4);
	bytes_be(&t, 0x0004, 2); /* GPSLongitude */
	bytes_be(&t, 5, 2);
	bytes_be(&t, 3, 4);
	bytes_be(&t, 116, 4);
	bytes_be(&t, 0, 4);
	assert_int_equal(t.len, 92);
	bytes_be(&t, 55, 4);
	bytes_be(&t, 1, 4);
	bytes_be(&t, 45, 4);
	bytes_be(&t, 1, 4);
	bytes_be(&t, 2100, 4);
	bytes_be(&t, 100, 4);
	bytes_be(&t, 37, 4);
	bytes_be(&t, 1, 4);
	bytes_be(&t, 37, 4);
	bytes_be(&t, 1, 4);
	bytes_be(&t, 1200, 4);
	bytes_be(&t, 100, 4);

	bytes_add(seg, "\xff\xe1", 2);
	bytes_be(seg, (uint32_t)(2 + 6 + t.len), 2);
	bytes_add(seg, "Exif\0\0", 6);
	bytes_add(seg, t.p, t.len);
	bytes_free(&t);
}

/* An XMP packet with a location in it, and a JPEG comment. */
static void
xmp_and_comment(struct bytes *seg)
{
	static const char ns[] = "http://ns.adobe.com/xap/1.0/";
	static const char xmp[] =
	    "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
	    "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
	    "<rdf:Description rdf:about='' "
	    "xmlns:dc='http://purl.org/dc/elements/1.1/'>"
	    "<dc:description>" GPS_MARK "</dc:description>"
	    "</rdf:Description></rdf:RDF></x:xmpmeta>";
	static const char com[] = COMMENT_MARK;

	bytes_add(seg, "\xff\xe1", 2);
	bytes_be(seg, (uint32_t)(2 + sizeof(ns) + strlen(xmp)), 2);
	bytes_add(seg, ns, sizeof(ns));
	bytes_add(seg, xmp, strlen(xmp));
	bytes_add(seg, "\xff\xfe", 2);
	bytes_be(seg, (uint32_t)(2 + strlen(com)), 2);
	bytes_add(seg, com, strlen(com));
}

/* The JPEG with segments put in after its SOI and APP0 (JFIF). */
static struct bytes
jpeg_insert(const struct bytes *jpeg, const struct bytes *seg)
{
	struct bytes out = { 0 };
	size_t at = 2;

	assert_memory_equal(jpeg->p, "\xff\xd8", 2);
	if (jpeg->p[2] == 0xff && jpeg->p[3] == 0xe0)
		at = 4 + ((size_t)jpeg->p[4] << 8 | jpeg->p[5]);
	bytes_add(&out, jpeg->p, at);
	bytes_add(&out, seg->p, seg->len);
	bytes_add(&out, jpeg->p + at, jpeg->len - at);
	return out;
}

static void
png_chunk(struct bytes *b, const char *type, const void *data, size_t len)
{
	uLong crc = crc32(0, (const Bytef *)type, 4);

	crc = crc32(crc, data, (uInt)len);
	bytes_be(b, (uint32_t)len, 4);
	bytes_add(b, type, 4);
	bytes_add(b, data, len);
	bytes_be(b, (uint32_t)crc, 4);
}

/* A grey PNG claiming w x h: the header says so, and the zlib stream holds
 * the first rows (at most a megabyte) of a picture all of one colour, as a
 * bomb would (its whole would be w*h bytes once decoded). */
static struct bytes
png_bomb(uint32_t w, uint32_t h)
{
	struct bytes b = { 0 }, ihdr = { 0 };
	size_t rows = h < 50 ? h : 50;
	size_t raw_len = rows * (w + 1) < (1 << 20) ? rows * (w + 1) : 1 << 20;
	unsigned char *raw = calloc(raw_len, 1);
	uLongf zlen = compressBound(raw_len);
	unsigned char *z = malloc(zlen);

	assert_non_null(raw);
	assert_non_null(z);
	assert_int_equal(compress2(z, &zlen, raw, raw_len, 9), Z_OK);
	bytes_add(&b, "\x89PNG\r\n\x1a\n", 8);
	bytes_be(&ihdr, w, 4);
	bytes_be(&ihdr, h, 4);
	bytes_add(&ihdr, "\x08\x00\x00\x00\x00", 5); /* 8-bit grey */
	png_chunk(&b, "IHDR", ihdr.p, ihdr.len);
	png_chunk(&b, "IDAT", z, zlen);
	png_chunk(&b, "IEND", "", 0);
	bytes_free(&ihdr);
	free(raw);
	free(z);
	return b;
}

/* --- Reading results --------------------------------------------------- */

static VipsImage *
decode(const struct image_blob *blob)
{
	VipsImage *img =
	    vips_image_new_from_buffer(blob->data, blob->len, "", NULL);

	if (img == NULL)
		fail_msg("output does not decode: %s", vips_error_buffer());
	return img;
}

static void
pixel(VipsImage *img, int x, int y, double rgb[3])
{
	double *v;
	int n;

	if (vips_getpoint(img, &v, &n, x, y, NULL) != 0)
		fail_msg("getpoint: %s", vips_error_buffer());
	assert_true(n >= 3);
	memcpy(rgb, v, 3 * sizeof(double));
	g_free(v);
}

static void
assert_colour(VipsImage *img, int x, int y, int r, int g, int b, int tol)
{
	double p[3];

	pixel(img, x, y, p);
	if (fabs(p[0] - r) > tol || fabs(p[1] - g) > tol || fabs(p[2] - b) > tol)
		fail_msg("pixel (%d,%d) = %.0f,%.0f,%.0f, want %d,%d,%d", x, y,
		    p[0], p[1], p[2], r, g, b);
}

/* Every blob decodes to what it says, in the format it says. */
static void
check_blobs(const struct image_result *r)
{
	enum image_format f;
	size_t i;

	for (i = 0; i <= r->nvariants; i++) {
		const struct image_blob *b =
		    i < r->nvariants ? &r->variant[i] : &r->share;
		VipsImage *img;

		assert_non_null(b->data);
		assert_int_equal(image_sniff(b->data, b->len, &f), IMAGE_OK);
		assert_int_equal(f, b->format);
		img = decode(b);
		assert_int_equal(vips_image_get_width(img), b->width);
		assert_int_equal(vips_image_get_height(img), b->height);
		assert_int_equal(vips_image_get_bands(img), 3);
		g_object_unref(img);
	}
}

/* Runs exiftool over the blobs (written to files) and returns its JSON:
 * one object per file with every tag, grouped ("EXIF:GPSLatitude"). */
static json_t *
exiftool(const struct bytes *in, const struct image_result *r)
{
	char cmd[4096] = "exiftool -j -a -u -G ", names[8][32];
	size_t i, n = 0;
	json_error_t err;
	json_t *j;
	FILE *p;

	for (i = 0; i < (r ? r->nvariants + 1 : 1); i++) {
		const void *data = r == NULL ? in->p :
		    i < r->nvariants	     ? r->variant[i].data :
					       r->share.data;
		size_t len = r == NULL ? in->len :
		    i < r->nvariants   ? r->variant[i].len :
					 r->share.len;
		FILE *f;
		int fd;

		snprintf(names[n], sizeof(names[n]), "/tmp/holos-img-XXXXXX");
		assert_true((fd = mkstemp(names[n])) != -1);
		assert_non_null(f = fdopen(fd, "wb"));
		assert_int_equal(fwrite(data, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		strcat(cmd, names[n++]);
		strcat(cmd, " ");
	}
	strcat(cmd, "2>/dev/null");
	if ((p = popen(cmd, "r")) == NULL)
		fail_msg("cannot run exiftool");
	j = json_loadf(p, 0, &err);
	pclose(p);
	for (i = 0; i < n; i++)
		unlink(names[i]);
	if (j == NULL || !json_is_array(j) || json_array_size(j) != n)
		fail_msg("exiftool gave no JSON for %zu files (installed? "
			 "scripts/deps.sh adds libimage-exiftool-perl)",
		    n);
	return j;
}

/* The tag groups that carry metadata a person could be found by. */
static bool
is_metadata(const char *key)
{
	static const char *const groups[] = { "EXIF:", "XMP", "IPTC:", "ICC",
		"Photoshop:", "MakerNotes:", "GPS", "Composite:GPS",
		"File:Comment", "PNG:TextualData", "PNG:Comment" };
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strncmp(key, groups[i], strlen(groups[i])) == 0)
			return true;
	return strstr(key, "GPS") != NULL;
}

static bool
contains(const void *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* --- Tests ------------------------------------------------------------- */

static int
setup_vips(void **state)
{
	(void)state;
	image_prepare();
	return image_init("test_image");
}

static int
teardown_vips(void **state)
{
	(void)state;
	image_shutdown();
	return 0;
}

/* None of libvips' optional modules (ImageMagick, Poppler, OpenSlide …)
 * is in the process: image_prepare() keeps VIPS_INIT() from loading them. */
static void
test_no_modules_loaded(void **state)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int libs = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, "vips-modules") != NULL ||
		    strstr(line, "libMagick") != NULL ||
		    strstr(line, "libpoppler") != NULL)
			fail_msg("loaded: %s", line);
		libs += strstr(line, "libvips.so") != NULL;
	}
	fclose(f);
	assert_true(libs > 0);
}

static void
test_sniff(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		enum image_status want;
		enum image_format fmt;
	} cases[] = {
		{ "\xff\xd8\xff\xe0", 4, IMAGE_OK, IMAGE_JPEG },
		{ "\x89PNG\r\n\x1a\n", 8, IMAGE_OK, IMAGE_PNG },
		{ "RIFF\x10\0\0\0WEBPVP8 ", 16, IMAGE_OK, IMAGE_WEBP },
		{ "RIFF\x10\0\0\0WAVEfmt ", 16, IMAGE_NOT_IMAGE, 0 },
		{ "GIF89a\x01\0\x01\0", 10, IMAGE_UNSUPPORTED, 0 },
		{ "GIF87a\x01\0\x01\0", 10, IMAGE_UNSUPPORTED, 0 },
		{ "BM\x3a\0\0\0", 6, IMAGE_UNSUPPORTED, 0 },
		{ "II*\0\x08\0\0\0", 8, IMAGE_UNSUPPORTED, 0 },
		{ "\0\0\0\x18"
		  "ftypheic",
		    12, IMAGE_UNSUPPORTED, 0 },
		{ "\0\0\0\x1c"
		  "ftypavif",
		    12, IMAGE_UNSUPPORTED, 0 },
		{ "<svg xmlns=", 11, IMAGE_UNSUPPORTED, 0 },
		{ "%PDF-1.7\n", 9, IMAGE_NOT_IMAGE, 0 },
		{ "hello, world\n", 13, IMAGE_NOT_IMAGE, 0 },
		{ "\xff\xd8", 2, IMAGE_NOT_IMAGE, 0 }, /* too short */
		{ "", 0, IMAGE_EMPTY, 0 },
	};
	enum image_format f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum image_status st =
		    image_sniff(cases[i].bytes, cases[i].len, &f);

		if (st != cases[i].want)
			fail_msg("case %zu: %s, want %s", i,
			    image_status_name(st),
			    image_status_name(cases[i].want));
		if (st == IMAGE_OK)
			assert_int_equal(f, cases[i].fmt);
	}
}

/* The case: an upload with GPS EXIF comes back without it, and
 * without XMP or a comment either, in every output. */
static void
test_metadata_stripped(void **state)
{
	struct bytes jpeg = make_image(1600, 1200, 3, paint_ramps, ".jpg[Q=90]");
	struct bytes seg = { 0 }, in;
	struct arena *a = arena_new();
	struct image_result r;
	json_t *j, *o;
	const char *key;
	json_t *v;
	size_t i;

	(void)state;
	exif_segment(&seg, 1);
	xmp_and_comment(&seg);
	in = jpeg_insert(&jpeg, &seg);
	/* exiftool sees the location in what was sent … */
	j = exiftool(&in, NULL);
	o = json_array_get(j, 0);
	assert_non_null(json_object_get(o, "EXIF:GPSLatitude"));
	assert_non_null(json_object_get(o, "EXIF:GPSLongitude"));
	assert_non_null(json_object_get(o, "XMP:Description"));
	assert_non_null(json_object_get(o, "File:Comment"));
	json_decref(j);
	assert_true(contains(in.p, in.len, GPS_MARK));

	assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
	assert_int_equal(r.nvariants, 6);
	check_blobs(&r);
	/* … and nothing of it in anything that comes back. */
	j = exiftool(NULL, &r);
	json_array_foreach(j, i, o)
	{
		json_object_foreach(o, key, v)
		{
			if (is_metadata(key))
				fail_msg("output %zu still has %s", i, key);
		}
	}
	json_decref(j);
	for (i = 0; i <= r.nvariants; i++) {
		const struct image_blob *b =
		    i < r.nvariants ? &r.variant[i] : &r.share;

		assert_false(contains(b->data, b->len, "Exif"));
		assert_false(contains(b->data, b->len, GPS_MARK));
		assert_false(contains(b->data, b->len, COMMENT_MARK));
		assert_false(contains(b->data, b->len, "xap/1.0"));
	}
	arena_free(a);
	bytes_free(&jpeg);
	bytes_free(&seg);
	bytes_free(&in);
}

/* Orientation 6 (turn 90° clockwise to view): stored landscape, red on
 * the left, comes back portrait with red on top, and without the tag. */
static void
test_orientation_applied(void **state)
{
	struct bytes jpeg = make_image(400, 200, 3, paint_halves, ".jpg[Q=95]");
	struct bytes seg = { 0 }, in;
	struct arena *a = arena_new();
	struct image_result r;
	VipsImage *img;
	size_t i;

	(void)state;
	exif_segment(&seg, 6);
	in = jpeg_insert(&jpeg, &seg);
	assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
	assert_int_equal(r.width, 200);
	assert_int_equal(r.height, 400);
	/* 200 wide: below the narrowest width, so given at its own. */
	assert_int_equal(r.nvariants, 2);
	check_blobs(&r);
	for (i = 0; i < r.nvariants; i++) {
		assert_int_equal(r.variant[i].width, 200);
		assert_int_equal(r.variant[i].height, 400);
		img = decode(&r.variant[i]);
		assert_int_equal(vips_image_get_orientation(img), 1);
		assert_colour(img, 100, 50, 255, 0, 0, 40);
		assert_colour(img, 100, 350, 0, 0, 255, 40);
		g_object_unref(img);
	}
	/* The share crop is cut from the upright picture's middle: the
	 * boundary between red (top) and blue runs across it. At 200 wide
	 * it is 200 x 105: not enlarged. */
	assert_int_equal(r.share.width, 200);
	assert_int_equal(r.share.height, 105);
	img = decode(&r.share);
	assert_colour(img, 100, 5, 255, 0, 0, 40);
	assert_colour(img, 100, 100, 0, 0, 255, 40);
	g_object_unref(img);
	arena_free(a);
	bytes_free(&jpeg);
	bytes_free(&seg);
	bytes_free(&in);
}

/* The widths promised for srcset, for each input format. */
static void
test_widths(void **state)
{
	static const struct {
		int w, h;
		const char *suffix;
		enum image_format fmt;
		int nwidths;
		int widths[4], heights[4];
		int share_w, share_h; /* the share crop, never enlarged */
	} cases[] = {
		{ 2000, 1000, ".jpg", IMAGE_JPEG, 3, { 480, 960, 1200 },
		    { 240, 480, 600 }, 1200, 630 },
		{ 1200, 800, ".png", IMAGE_PNG, 3, { 480, 960, 1200 },
		    { 320, 640, 800 }, 1200, 630 },
		{ 600, 400, ".png", IMAGE_PNG, 2, { 480, 600 }, { 320, 400 },
		    600, 315 },
		{ 960, 540, ".webp", IMAGE_WEBP, 2, { 480, 960 }, { 270, 540 },
		    960, 504 },
		/* Taller than IMAGE_TALL times a width: narrower there. */
		{ 300, 3000, ".webp", IMAGE_WEBP, 2, { 192, 300 },
		    { 1920, 3000 }, 300, 157 },
		{ 1000, 8000, ".jpg", IMAGE_JPEG, 3, { 240, 480, 600 },
		    { 1920, 3840, 4800 }, 600, 315 },
		{ 300, 200, ".jpg", IMAGE_JPEG, 1, { 300 }, { 200 }, 300, 157 },
		{ 5000, 200, ".jpg", IMAGE_JPEG, 3, { 480, 960, 1200 },
		    { 19, 38, 48 }, 380, 200 },
	};
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bytes in = make_image(cases[i].w, cases[i].h, 3,
		    paint_ramps, cases[i].suffix);
		struct arena *a = arena_new();
		struct image_result r;

		if (image_process(a, in.p, in.len, &r) != IMAGE_OK)
			fail_msg("case %zu refused", i);
		assert_int_equal(r.source, cases[i].fmt);
		assert_int_equal(r.width, cases[i].w);
		assert_int_equal(r.height, cases[i].h);
		assert_int_equal(r.nvariants, 2 * (size_t)cases[i].nwidths);
		for (k = 0; k < cases[i].nwidths; k++) {
			const struct image_blob *wb = &r.variant[2 * k];
			const struct image_blob *jb = &r.variant[2 * k + 1];

			assert_int_equal(wb->format, IMAGE_WEBP);
			assert_int_equal(jb->format, IMAGE_JPEG);
			if (wb->width != cases[i].widths[k] ||
			    jb->width != cases[i].widths[k] ||
			    abs(wb->height - cases[i].heights[k]) > 1 ||
			    abs(jb->height - cases[i].heights[k]) > 1)
				fail_msg("case %zu width %d: %dx%d and %dx%d",
				    i, cases[i].widths[k], wb->width,
				    wb->height, jb->width, jb->height);
		}
		assert_int_equal(r.share.format, IMAGE_PNG);
		if (abs(r.share.width - cases[i].share_w) > 1 ||
		    abs(r.share.height - cases[i].share_h) > 1)
			fail_msg("case %zu share crop %dx%d, not %dx%d", i,
			    r.share.width, r.share.height, cases[i].share_w,
			    cases[i].share_h);
		check_blobs(&r);
		arena_free(a);
		bytes_free(&in);
	}
}

/* Truncated files of each format are refused as corrupt, whether the cut
 * falls in the pixels or in the header. */
static void
test_truncated(void **state)
{
	static const char *const suffixes[] = { ".jpg[Q=90]", ".png", ".webp" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		struct bytes in =
		    make_image(500, 400, 3, paint_noise, suffixes[i]);
		struct arena *a = arena_new();
		struct image_result r;
		enum image_status st;

		st = image_process(a, in.p, in.len * 6 / 10, &r);
		if (st != IMAGE_CORRUPT)
			fail_msg("%s cut at 60%%: %s", suffixes[i],
			    image_status_name(st));
		assert_int_equal(r.nvariants, 0);
		assert_null(r.share.data);
		st = image_process(a, in.p, 40, &r);
		if (st != IMAGE_CORRUPT)
			fail_msg("%s cut at 40 bytes: %s", suffixes[i],
			    image_status_name(st));
		/* The whole file is fine. */
		assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
		arena_free(a);
		bytes_free(&in);
	}
}

/* Dimensions are refused from the header, before any decoding: a
 * 100000 x 100000 PNG (ten gigapixels) in a few kilobytes. */
static void
test_png_bomb(void **state)
{
	static const struct {
		uint32_t w, h;
	} bombs[] = {
		{ 100000, 100000 }, { 10001, 10 }, /* one side too long */
		{ 10, 10001 }, { 8000, 7000 },	   /* 56 megapixels */
		{ 1u << 30, 1 }, /* beyond what libpng takes */
	};
	struct arena *a = arena_new();
	struct image_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		struct bytes in = png_bomb(bombs[i].w, bombs[i].h);
		enum image_status st = image_process(a, in.p, in.len, &r);

		assert_true(in.len < 64 * 1024);
		if (i < 4 && st != IMAGE_TOO_MANY_PIXELS)
			fail_msg("bomb %ux%u: %s", bombs[i].w, bombs[i].h,
			    image_status_name(st));
		/* libpng itself may refuse the last one first. */
		if (i == 4 && st != IMAGE_TOO_MANY_PIXELS && st != IMAGE_CORRUPT)
			fail_msg("bomb %ux%u: %s", bombs[i].w, bombs[i].h,
			    image_status_name(st));
		bytes_free(&in);
	}
	/* The same builder at a sane size is accepted, so what is refused
	 * above is the size and nothing else. */
	{
		struct bytes in = png_bomb(640, 50);

		assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
		assert_int_equal(r.width, 640);
		check_blobs(&r); /* grey in, sRGB out */
		bytes_free(&in);
	}
	arena_free(a);
}

static void
test_refused(void **state)
{
	/* The smallest GIF: 1x1, one colour. */
	static const unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 1, 0,
		1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x2c, 0, 0, 0, 0,
		1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b };
	static const char text[] = "This is not a picture, whatever its "
				   "name or Content-Type says.\n";
	struct arena *a = arena_new();
	struct image_result r;
	struct bytes big = { 0 }, jpeg;
	unsigned char *junk;

	(void)state;
	assert_int_equal(image_process(a, gif, sizeof(gif), &r),
	    IMAGE_UNSUPPORTED);
	assert_int_equal(image_process(a, text, strlen(text), &r),
	    IMAGE_NOT_IMAGE);
	assert_int_equal(image_process(a, "%PDF-1.4\n%", 10, &r),
	    IMAGE_NOT_IMAGE);
	assert_int_equal(image_process(a, "", 0, &r), IMAGE_EMPTY);
	/* A JPEG signature over junk decodes to nothing. */
	assert_int_equal(image_process(a, "\xff\xd8\xff\xe0junkjunkjunk", 16,
			     &r),
	    IMAGE_CORRUPT);
	/* A real JPEG padded past 10 MB: refused for its size alone. */
	jpeg = make_image(64, 64, 3, paint_red, ".jpg");
	bytes_add(&big, jpeg.p, jpeg.len);
	assert_non_null(junk = calloc(1, IMAGE_MAX_BYTES + 1 - jpeg.len));
	bytes_add(&big, junk, IMAGE_MAX_BYTES + 1 - jpeg.len);
	assert_int_equal(image_process(a, big.p, big.len, &r), IMAGE_TOO_BIG);
	/* Exactly the limit is not too big (and the JPEG decodes: the
	 * padding after its end is ignored). */
	assert_int_equal(image_process(a, big.p, IMAGE_MAX_BYTES, &r), IMAGE_OK);
	free(junk);
	bytes_free(&big);
	bytes_free(&jpeg);
	arena_free(a);
}

/* A picture with a Display P3 profile comes back in sRGB: the pixels are
 * converted, not just the profile dropped. Pure sRGB red is about
 * (234, 51, 35) in P3; read without its profile it would stay so. */
static void
test_profile_to_srgb(void **state)
{
	struct bytes srgb = make_image(640, 400, 3, paint_red, ".png"),
		     in = { 0 };
	struct arena *a = arena_new();
	struct image_result r;
	VipsImage *img, *p3;
	void *buf;
	size_t len;

	(void)state;
	img = vips_image_new_from_buffer(srgb.p, srgb.len, "", NULL);
	assert_non_null(img);
	if (vips_icc_transform(img, &p3, "p3", "input_profile", "srgb",
		"intent", VIPS_INTENT_RELATIVE, NULL) != 0)
		fail_msg("icc_transform: %s", vips_error_buffer());
	assert_true(vips_image_get_typeof(p3, VIPS_META_ICC_NAME) != 0);
	assert_colour(p3, 10, 10, 234, 51, 35, 6);
	assert_int_equal(vips_jpegsave_buffer(p3, &buf, &len, "Q", 95, NULL), 0);
	bytes_add(&in, buf, len);
	g_free(buf);
	g_object_unref(p3);
	g_object_unref(img);

	assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
	img = decode(&r.variant[1]);
	assert_false(vips_image_get_typeof(img, VIPS_META_ICC_NAME) != 0);
	assert_colour(img, 100, 100, 255, 0, 0, 8);
	g_object_unref(img);
	arena_free(a);
	bytes_free(&srgb);
	bytes_free(&in);
}

/* Transparency is flattened onto white; every output has 3 bands. */
static void
test_alpha_flattened(void **state)
{
	struct bytes in = make_image(600, 300, 4, paint_alpha, ".png");
	struct arena *a = arena_new();
	struct image_result r;
	VipsImage *img;

	(void)state;
	assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
	check_blobs(&r);
	img = decode(&r.variant[0]);
	assert_colour(img, 50, 100, 255, 255, 255, 4);
	assert_colour(img, 400, 100, 0, 200, 0, 8);
	g_object_unref(img);
	arena_free(a);
	bytes_free(&in);
}

/* A CMYK JPEG (as print workflows make) comes back as RGB. */
static void
test_cmyk(void **state)
{
	struct bytes in = { 0 };
	struct arena *a = arena_new();
	struct image_result r;
	unsigned char px[64 * 48 * 4];
	VipsImage *img, *cmyk;
	void *buf;
	size_t len, i;

	(void)state;
	/* Cyan ink only: 100% C, no M, Y or K. */
	for (i = 0; i < sizeof(px); i += 4) {
		px[i] = 255;
		px[i + 1] = px[i + 2] = px[i + 3] = 0;
	}
	img = vips_image_new_from_memory(px, sizeof(px), 64, 48, 4,
	    VIPS_FORMAT_UCHAR);
	assert_int_equal(vips_copy(img, &cmyk, "interpretation",
			     VIPS_INTERPRETATION_CMYK, NULL),
	    0);
	assert_int_equal(vips_jpegsave_buffer(cmyk, &buf, &len, NULL), 0);
	bytes_add(&in, buf, len);
	g_free(buf);
	g_object_unref(cmyk);
	g_object_unref(img);
	assert_int_equal(image_process(a, in.p, in.len, &r), IMAGE_OK);
	check_blobs(&r);
	img = decode(&r.variant[1]);
	{
		double p[3];

		/* Cyan: little red, much green and blue. */
		pixel(img, 32, 24, p);
		if (!(p[0] < 100 && p[1] > 120 && p[2] > 180))
			fail_msg("cyan came back as %.0f,%.0f,%.0f", p[0], p[1],
			    p[2]);
	}
	g_object_unref(img);
	arena_free(a);
	bytes_free(&in);
}

struct worker {
	const struct bytes *in;
	struct arena *a;
	struct image_result r;
	enum image_status st;
};

static void *
work(void *arg)
{
	struct worker *w = arg;

	w->st = image_process(w->a, w->in->p, w->in->len, &w->r);
	return NULL;
}

/* Several request threads at once: each gets the same, correct result. */
static void
test_threads(void **state)
{
	struct bytes in = make_image(1300, 900, 3, paint_ramps, ".jpg");
	struct worker w[4];
	pthread_t t[4];
	size_t i, k;

	(void)state;
	for (i = 0; i < 4; i++) {
		w[i].in = &in;
		assert_non_null(w[i].a = arena_new());
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(w[i].st, IMAGE_OK);
		assert_int_equal(w[i].r.nvariants, w[0].r.nvariants);
		for (k = 0; k < w[i].r.nvariants; k++) {
			assert_int_equal(w[i].r.variant[k].len,
			    w[0].r.variant[k].len);
			assert_memory_equal(w[i].r.variant[k].data,
			    w[0].r.variant[k].data, w[0].r.variant[k].len);
		}
		arena_free(w[i].a);
	}
	bytes_free(&in);
}

static void
test_status_table(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < IMAGE_STATUS__MAX; s++) {
		assert_non_null(image_status_name((enum image_status)s));
		assert_non_null(image_status_key((enum image_status)s));
	}
	assert_int_equal(image_status_http(IMAGE_OK), 200);
	for (s = IMAGE_EMPTY; s < IMAGE_INTERNAL; s++) {
		assert_int_equal(image_status_http((enum image_status)s), 422);
		assert_true(strncmp(image_status_key((enum image_status)s),
				"err_image_", 10) == 0);
	}
	assert_int_equal(image_status_http(IMAGE_INTERNAL), 500);
	assert_string_equal(image_format_mime(IMAGE_WEBP), "image/webp");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_modules_loaded),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_metadata_stripped),
		cmocka_unit_test(test_orientation_applied),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_png_bomb),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_profile_to_srgb),
		cmocka_unit_test(test_alpha_flattened),
		cmocka_unit_test(test_cmyk),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_status_table),
	};

	return cmocka_run_group_tests(tests, setup_vips, teardown_vips);
}
