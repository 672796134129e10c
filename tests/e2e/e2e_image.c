/* e2e_image.c - end-to-end tests of the petition image: a starter uploads
 * one as multipart/form-data, its GPS EXIF is gone from every file served
 * (exiftool reads them), the page gives the widths in srcset, the share
 * image takes it as background; a truncated JPEG, a PNG bomb, a non-image
 * and an image over 10 MB are refused with 422 in the reader's language;
 * the token, the owner and the body limit of other routes hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <cmocka.h>
#include <vips/vips.h>
#include <zlib.h>

#include "harness.h"

#define STARTER "image-starter@example.org"
#define OTHER "image-other@example.org"
#define PASSWORD "correct horse battery staple"
#define SLUG "clean-wells"
#define MULTIPART HARNESS_MULTIPART

static struct server *srv;
static struct hbuf jpeg_gps; /* a JPEG with GPS EXIF, made once */

static int
import_owned(struct server *s)
{
	char path[512];
	struct hbuf out = { 0 }, err = { 0 };
	const char *md = "---\ntitle: Clean wells for every village\nto: The "
			 "district council\ngoal: 100\nlang: en\nslug: " SLUG
			 "\n---\nEvery village needs a clean well.\n";
	int rc;

	if (harness_user_add(s, STARTER, "starter", PASSWORD) != 0 ||
	    harness_user_add(s, OTHER, "starter", PASSWORD) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/" SLUG ".md", s->root);
	if (write_file(path, md, strlen(md)) == -1)
		return -1;
	const char *argv[] = { "import", "--data", s->data, "--owner", STARTER,
		path, NULL };
	rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fprintf(stderr, "import: %d: %s\n", rc,
		    err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);
	return rc == 0 ? 0 : -1;
}

/* A 1600×900 JPEG of a gradient (so it does not compress to nothing),
 * then GPS coordinates written into its EXIF by exiftool. */
static int
make_jpeg_gps(void)
{
	VipsImage *x = NULL, *band = NULL, *img = NULL;
	void *buf = NULL;
	size_t len = 0;
	char path[512];
	struct hbuf out = { 0 };
	int rc = -1;

	if (vips_xyz(&x, 1600, 900, NULL) != 0 ||
	    vips_extract_band(x, &band, 0, NULL) != 0 ||
	    vips_linear1(band, &img, 255.0 / 1600, 0, "uchar", TRUE, NULL) != 0 ||
	    vips_jpegsave_buffer(img, &buf, &len, "Q", 85, NULL) != 0)
		goto out;
	snprintf(path, sizeof path, "%s/gps.jpg", srv->root);
	if (write_file(path, buf, len) == -1)
		goto out;
	const char *argv[] = { "/usr/bin/exiftool", "-q", "-overwrite_original",
		"-GPSLatitude=50.4501", "-GPSLatitudeRef=N",
		"-GPSLongitude=30.5234", "-GPSLongitudeRef=E",
		"-Make=HolosTestCam", path, NULL };
	if (run_capture(argv, &out) != 0) {
		fprintf(stderr, "exiftool failed: %s\n",
		    out.data ? out.data : "");
		goto out;
	}
	rc = slurp(path, &jpeg_gps);
out:
	hbuf_free(&out);
	g_free(buf);
	if (img != NULL)
		g_object_unref(img);
	if (band != NULL)
		g_object_unref(band);
	if (x != NULL)
		g_object_unref(x);
	return rc;
}

static struct client *starter(const char *email, char **csrf);

static int
group_then(struct server *s)
{
	if (import_owned(s) == -1)
		return -1;
	if (VIPS_INIT("e2e_image") != 0)
		return -1;
	return make_jpeg_gps();
}

/* exiftool's GPS and camera tags of bytes, "" when none (malloc'd). */
static char *
exif_gps(const char *data, size_t len, const char *ext)
{
	char path[512];
	struct hbuf out = { 0 };
	static int n;

	snprintf(path, sizeof path, "%s/check-%d.%s", srv->root, n++, ext);
	assert_int_equal(write_file(path, data, len), 0);
	const char *argv[] = { "/usr/bin/exiftool", "-s", "-GPS:all", "-Make",
		"-Model", path, NULL };
	assert_int_equal(run_capture(argv, &out), 0);
	char *s = strdup(out.data ? out.data : "");
	hbuf_free(&out);
	return s;
}

/* A multipart body: csrf and alt (each left out when NULL), then the file
 * (left out when data is NULL). */
static void
multipart(struct hbuf *b, const char *csrf, const char *alt,
    const char *filename, const void *data, size_t len)
{
	if (csrf != NULL)
		multipart_field(b, "csrf", csrf);
	if (alt != NULL)
		multipart_field(b, "alt", alt);
	if (data != NULL)
		multipart_file(b, "image", filename, "application/octet-stream",
		    data, len);
	multipart_end(b);
}

/* The owner's session, signed in once for every test (a sign-in costs
 * an Argon2id hash). */
static struct client *owner;
static char *owner_csrf;

/* A client signed in as email, with the dashboard's form token. */
static struct client *
starter(const char *email, char **csrf)
{
	struct client *c = client_new(srv);
	struct resp r;

	assert_int_equal(client_login(c, email, PASSWORD), 303);
	assert_int_equal(client_get(c, "/me", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	*csrf = html_csrf(r.body.data);
	assert_non_null(*csrf);
	resp_free(&r);
	return c;
}

static long
upload(struct client *c, const char *lang, const char *csrf, const char *alt,
    const void *data, size_t len, struct resp *r)
{
	struct hbuf b = { 0 };
	char path[128];

	multipart(&b, csrf, alt, "photo.jpg", data, len);
	snprintf(path, sizeof path, "/me/p/" SLUG "/image%s%s",
	    lang ? "?lang=" : "", lang ? lang : "");
	assert_int_equal(client_post(c, path, b.data, b.len, MULTIPART, r),
	    CURLE_OK);
	hbuf_free(&b);
	return r->status;
}

/* The value of attribute attr of the first element that has it after
 * from in html, malloc'd, entities decoded; NULL when none. */
static char *
attr_after(const char *html, const char *from, const char *attr)
{
	const char *p = strstr(html, from), *q;
	char needle[64];

	if (p == NULL)
		return NULL;
	snprintf(needle, sizeof needle, " %s=\"", attr);
	if ((p = strstr(p, needle)) == NULL)
		return NULL;
	p += strlen(needle);
	if ((q = strchr(p, '"')) == NULL)
		return NULL;
	char *raw = strndup(p, (size_t)(q - p));
	char *dec = html_decode(raw);
	free(raw);
	return dec;
}

static void
test_upload_strips_gps(void **state)
{
	(void)state;
	char *tags;
	const char *csrf = owner_csrf;
	struct resp r;

	/* The original carries the coordinates and the camera. */
	tags = exif_gps(jpeg_gps.data, jpeg_gps.len, "jpg");
	assert_non_null(strstr(tags, "GPSLatitude"));
	assert_non_null(strstr(tags, "HolosTestCam"));
	free(tags);

	struct client *c = owner;
	struct resp before;
	struct client *anon = client_new(srv);
	assert_int_equal(client_get(anon, "/p/" SLUG "/share.png", &before),
	    CURLE_OK);
	assert_int_equal(before.status, 200);

	assert_int_equal(upload(c, NULL, csrf, "A well in a village square",
			     jpeg_gps.data, jpeg_gps.len, &r),
	    303);
	char *loc = resp_header(&r, "Location");
	assert_non_null(loc);
	assert_string_equal(loc, "/me/p/" SLUG "?image=1");
	free(loc);
	resp_free(&r);

	/* The page: a picture with both formats in srcset, and the alt. */
	assert_int_equal(client_get(anon, "/p/" SLUG, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "<picture>"));
	char *alt = attr_after(r.body.data, "<picture>", "alt");
	assert_non_null(alt);
	assert_string_equal(alt, "A well in a village square");
	free(alt);
	char *webp =
	    attr_after(r.body.data, "<source type=\"image/webp\"", "srcset");
	char *jpg = attr_after(r.body.data, "<img src=", "srcset");
	assert_non_null(webp);
	assert_non_null(jpg);
	assert_non_null(strstr(webp, "/p/" SLUG "/image.webp?w=480&v=1 480w"));
	assert_non_null(strstr(webp, "960w"));
	assert_non_null(strstr(webp, "1200w"));
	assert_non_null(strstr(jpg, "/p/" SLUG "/image.jpg?w=1200&v=1 1200w"));
	free(webp);
	free(jpg);
	resp_free(&r);

	/* Every width in both formats: no GPS, no camera. */
	static const int widths[] = { 480, 960, 1200 };
	for (size_t i = 0; i < 3; i++)
		for (int f = 0; f < 2; f++) {
			char path[128];
			const char *ext = f ? "jpg" : "webp";

			snprintf(path, sizeof path,
			    "/p/" SLUG "/image.%s?w=%d&v=1", ext, widths[i]);
			assert_int_equal(client_get(anon, path, &r), CURLE_OK);
			assert_int_equal(r.status, 200);
			char *ct = resp_header(&r, "Content-Type");
			char *cc = resp_header(&r, "Cache-Control");
			assert_string_equal(ct, f ? "image/jpeg" : "image/webp");
			assert_non_null(strstr(cc, "immutable"));
			free(ct);
			free(cc);
			tags = exif_gps(r.body.data, r.body.len, ext);
			if (strstr(tags, "GPS") != NULL ||
			    strstr(tags, "HolosTestCam") != NULL)
				fail_msg("%s still has: %s", path, tags);
			free(tags);
			assert_null(memmem(r.body.data, r.body.len, "Exif", 4));
			resp_free(&r);
		}
	/* An unknown width, a bad one: 404. */
	assert_int_equal(client_get(anon, "/p/" SLUG "/image.jpg?w=123", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	assert_int_equal(client_get(anon, "/p/" SLUG "/image.jpg?w=12ab", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	assert_int_equal(client_get(anon, "/p/" SLUG "/image.jpg?w=-480", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	/* A query that is not text is ignored (the widest). */
	assert_int_equal(client_get(anon, "/p/" SLUG "/image.jpg?w=%FF", &r),
	    CURLE_OK);
	assert_true(r.status == 200 || r.status == 404);
	resp_free(&r);

	/* The share image is drawn on it now. */
	struct resp after;
	assert_int_equal(client_get(anon, "/p/" SLUG "/share.png", &after),
	    CURLE_OK);
	assert_int_equal(after.status, 200);
	assert_false(before.body.len == after.body.len &&
	    memcmp(before.body.data, after.body.data, before.body.len) == 0);
	char *e1 = resp_header(&before, "ETag"),
	     *e2 = resp_header(&after, "ETag");
	assert_string_not_equal(e1, e2);
	free(e1);
	free(e2);
	resp_free(&before);
	resp_free(&after);

	/* The dashboard shows it and says it was saved. */
	assert_int_equal(client_get(c, "/me/p/" SLUG "?image=1", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "class=\"me-image\""));
	char *saved = catalogue_get("me_image_saved");
	assert_true(html_shows_text(r.body.data, saved));
	free(saved);
	resp_free(&r);
	client_free(anon);
}

/* A PNG of w×h declared in its header: a real IHDR (CRC and all), one
 * tiny IDAT and IEND. It decodes to nothing of that size. */
static void
png_bomb(struct hbuf *b, uint32_t w, uint32_t h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
		0x1a, '\n' };
	unsigned char ihdr[4 + 4 + 13 + 4], *p = ihdr;
	unsigned long crc;

	hbuf_append(b, sig, 8);
	*p++ = 0, *p++ = 0, *p++ = 0, *p++ = 13;
	memcpy(p, "IHDR", 4), p += 4;
	*p++ = (unsigned char)(w >> 24), *p++ = (unsigned char)(w >> 16);
	*p++ = (unsigned char)(w >> 8), *p++ = (unsigned char)w;
	*p++ = (unsigned char)(h >> 24), *p++ = (unsigned char)(h >> 16);
	*p++ = (unsigned char)(h >> 8), *p++ = (unsigned char)h;
	*p++ = 8, *p++ = 2, *p++ = 0, *p++ = 0, *p++ = 0;
	crc = crc32(0, ihdr + 4, 17);
	*p++ = (unsigned char)(crc >> 24), *p++ = (unsigned char)(crc >> 16);
	*p++ = (unsigned char)(crc >> 8), *p++ = (unsigned char)crc;
	hbuf_append(b, ihdr, sizeof ihdr);
	static const unsigned char idat[] = { 0, 0, 0, 10, 'I', 'D', 'A', 'T',
		0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4 };
	hbuf_append(b, idat, sizeof idat);
	static const unsigned char iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
		0xae, 0x42, 0x60, 0x82 };
	hbuf_append(b, iend, sizeof iend);
}

static void
assert_refused(struct client *c, const char *csrf, const void *data, size_t len,
    const char *lang, const char *key)
{
	struct resp r;
	char *msg = catalogue_lang(lang, key);

	assert_non_null(msg);
	assert_int_equal(upload(c, lang, csrf, "Alt", data, len, &r), 422);
	if (!html_shows_text(r.body.data, msg))
		fail_msg("the refusal does not say \"%s\"", msg);
	resp_free(&r);
	free(msg);
}

static void
test_refusals(void **state)
{
	(void)state;
	const char *csrf = owner_csrf;
	struct client *c = owner;
	struct hbuf bomb = { 0 }, big = { 0 };

	/* A JPEG cut short. */
	assert_refused(c, csrf, jpeg_gps.data, jpeg_gps.len * 6 / 10, "ru",
	    "err_image_corrupt");
	/* 100,000 × 100,000 px in a few bytes. */
	png_bomb(&bomb, 100000, 100000);
	assert_refused(c, csrf, bomb.data, bomb.len, "uk",
	    "err_image_too_many_pixels");
	hbuf_free(&bomb);
	/* Not a picture at all. */
	assert_refused(c, csrf, "%PDF-1.4\nnot an image at all\n", 28, "en",
	    "err_image_not_image");
	assert_refused(c, csrf, "\xff\xfe<svg onload=alert(1)>", 24, "ru",
	    "err_image_not_image");
	/* Over 10 MB, under the route's limit: the upload's own refusal. */
	hbuf_append(&big, jpeg_gps.data, jpeg_gps.len);
	while (big.len <= 10 * 1024 * 1024)
		hbuf_append(&big, jpeg_gps.data,
		    jpeg_gps.len < 1 << 20 ? jpeg_gps.len : 1 << 20);
	assert_refused(c, csrf, big.data, big.len, "en", "err_image_too_big");
	hbuf_free(&big);

	/* No alt text, no file. */
	struct resp r;
	assert_int_equal(upload(c, "en", csrf, NULL, jpeg_gps.data,
			     jpeg_gps.len, &r),
	    422);
	char *msg = catalogue_get("err_image_alt");
	assert_true(html_shows_text(r.body.data, msg));
	free(msg);
	resp_free(&r);
	assert_int_equal(upload(c, "en", csrf, "   ", jpeg_gps.data,
			     jpeg_gps.len, &r),
	    422);
	resp_free(&r);
	assert_int_equal(upload(c, "en", csrf, "Alt", NULL, 0, &r), 422);
	msg = catalogue_get("err_image_empty");
	assert_true(html_shows_text(r.body.data, msg));
	free(msg);
	resp_free(&r);
	/* Alt text that is not UTF-8. */
	assert_int_equal(upload(c, "en", csrf, "bad \xc3\x28 text",
			     jpeg_gps.data, jpeg_gps.len, &r),
	    422);
	resp_free(&r);

	/* A body that ends inside a part; a boundary that never comes. */
	{
		struct hbuf b = { 0 };

		multipart(&b, csrf, "Alt", "x.jpg", jpeg_gps.data, jpeg_gps.len);
		assert_int_equal(client_post(c, "/me/p/" SLUG "/image", b.data,
				     b.len / 2, MULTIPART, &r),
		    CURLE_OK);
		assert_true(r.status == 400 || r.status == 422);
		resp_free(&r);
		assert_int_equal(client_post(c, "/me/p/" SLUG "/image", b.data,
				     b.len,
				     "multipart/form-data; boundary=other", &r),
		    CURLE_OK);
		assert_true(r.status >= 400 && r.status < 500);
		resp_free(&r);
		hbuf_free(&b);
	}
	/* Without the token, with another's: 403. */
	assert_int_equal(upload(c, "en", NULL, "Alt", jpeg_gps.data,
			     jpeg_gps.len, &r),
	    403);
	resp_free(&r);

	char *other_csrf;
	struct client *o = starter(OTHER, &other_csrf);
	assert_int_equal(upload(o, "en", other_csrf, "Alt", jpeg_gps.data,
			     jpeg_gps.len, &r),
	    403);
	resp_free(&r);
	client_free(o);
	free(other_csrf);

	/* Signed out: to the login page. */
	struct client *anon = client_new(srv);
	assert_int_equal(upload(anon, "en", "x", "Alt", jpeg_gps.data,
			     jpeg_gps.len, &r),
	    302);
	resp_free(&r);
	client_free(anon);
}

/* The 10 MB limit is the upload's alone: a megabyte to the sign form is
 * still 413, and more than the upload's limit is refused there too. */
static void
test_body_limits(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	size_t n = 1 << 20;
	char *body = malloc(12 << 20);

	assert_non_null(body);
	memset(body, 'a', 12 << 20);
	memcpy(body, "first_name=", 11);
	assert_int_equal(client_post(c, "/p/" SLUG "/sign", body, n, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	client_free(c);
	c = client_new(srv);
	assert_int_equal(client_post(c, "/me/p/" SLUG "/image", body, 12 << 20,
			     MULTIPART, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	client_free(c);
	free(body);
}

static int
setup(void **state)
{
	if (server_group_setup(state) != 0)
		return -1;
	owner = starter(STARTER, &owner_csrf);
	return 0;
}

static int
teardown(void **state)
{
	client_free(owner);
	free(owner_csrf);
	return server_group_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upload_strips_gps),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_body_limits),
	};
	int failed;

	server_group(&srv, NULL, group_then);
	failed = cmocka_run_group_tests(tests, setup, teardown);
	hbuf_free(&jpeg_gps);
	vips_shutdown();
	return harness_finish(failed);
}
