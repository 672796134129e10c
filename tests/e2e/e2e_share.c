/* e2e_share.c - end-to-end tests of what spreads a petition: the share
 * image (og:image) and its meta tags, the share buttons' links, the QR
 * codes read back by zbarimg, and the refusals of each for bad slugs and
 * hidden petitions. */
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
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "harness.h"

static struct server *srv;

#define CYR_SLUG "chistaya-voda"
#define CYR_TITLE "Чистая вода в каждой школе Харькова и области"
#define HIDDEN_SLUG "hidden-one"
#define HOSTILE_SLUG "quoted-title"

static int
import_md(struct server *s, const char *name, const char *md)
{
	char path[512];
	struct hbuf out = { 0 }, err = { 0 };
	int rc;

	snprintf(path, sizeof path, "%s/%s.md", s->root, name);
	if (write_file(path, md, strlen(md)) == -1)
		return -1;
	const char *argv[] = { "import", "--data", s->data, path, NULL };
	rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fprintf(stderr, "import %s: %d: %s\n", name, rc,
		    err.data ? err.data : "");
	hbuf_free(&out);
	hbuf_free(&err);
	return rc == 0 ? 0 : -1;
}

static int
setup_petitions(struct server *s)
{
	if (import_md(s, CYR_SLUG,
		"---\ntitle: " CYR_TITLE "\nto: Министерство образования\n"
		"goal: 100\nlang: ru\nslug: " CYR_SLUG "\n---\nТекст.\n") == -1 ||
	    import_md(s, HOSTILE_SLUG,
		"---\ntitle: Stop \"this\" <b>now</b> & more\nto: Someone\n"
		"goal: 100\nlang: en\nslug: " HOSTILE_SLUG
		"\n---\nText.\n") == -1 ||
	    import_md(s, HIDDEN_SLUG,
		"---\ntitle: Soon hidden\nto: Someone\ngoal: 100\nlang: en\n"
		"slug: " HIDDEN_SLUG "\n---\nText.\n") == -1)
		return -1;
	return server_db_exec(s,
	    "UPDATE petitions SET state = 'hidden' WHERE slug = '" HIDDEN_SLUG
	    "'");
}

struct png_read {
	const unsigned char *p;
	size_t len, off;
};

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_read *r = closure;

	if (r->len - r->off < len)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->p + r->off, len);
	r->off += len;
	return CAIRO_STATUS_SUCCESS;
}

/* The PNG in body decoded, as an RGB24 surface; fails the test when it
 * is not a PNG. */
static cairo_surface_t *
png_decode(const struct hbuf *body)
{
	struct png_read r = { (const unsigned char *)body->data, body->len, 0 };
	cairo_surface_t *s =
	    cairo_image_surface_create_from_png_stream(png_read, &r);

	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		fail_msg("not a PNG (%zu bytes)", body->len);
	return s;
}

/* Pixels of a and b (same size) in rows y0..y1 whose colour differs by
 * more than tol in any channel. */
static long
pixels_differ(cairo_surface_t *a, cairo_surface_t *b, int y0, int y1, int tol)
{
	int w = cairo_image_surface_get_width(a);
	int sa = cairo_image_surface_get_stride(a);
	int sb = cairo_image_surface_get_stride(b);
	unsigned char *da, *db;
	long n = 0;
	int x, y, c;

	cairo_surface_flush(a);
	cairo_surface_flush(b);
	da = cairo_image_surface_get_data(a);
	db = cairo_image_surface_get_data(b);
	for (y = y0; y < y1; y++) {
		uint32_t *pa = (uint32_t *)(da + (size_t)y * (size_t)sa);
		uint32_t *pb = (uint32_t *)(db + (size_t)y * (size_t)sb);

		for (x = 0; x < w; x++)
			for (c = 0; c < 24; c += 8) {
				int d = (int)((pa[x] >> c) & 0xff) -
				    (int)((pb[x] >> c) & 0xff);

				if (d > tol || d < -tol) {
					n++;
					break;
				}
			}
	}
	return n;
}

static cairo_surface_t *
get_png(const char *path, struct resp *r)
{
	struct client *c = client_new(srv);

	assert_int_equal(client_get(c, path, r), CURLE_OK);
	client_free(c);
	if (r->status != 200)
		fail_msg("GET %s: %ld", path, r->status);
	char *ct = resp_header(r, "Content-Type");
	assert_non_null(ct);
	assert_string_equal(ct, "image/png");
	free(ct);
	return png_decode(&r->body);
}

/* The content of the meta tag whose attribute attr is name, decoded,
 * malloc'd; NULL when absent. */
static char *
meta(const char *html, const char *attr, const char *name)
{
	char needle[160];
	const char *p, *c, *q;

	snprintf(needle, sizeof needle, "<meta %s=\"%s\" content=\"", attr,
	    name);
	if ((p = strstr(html, needle)) == NULL)
		return NULL;
	c = p + strlen(needle);
	if ((q = strchr(c, '"')) == NULL)
		return NULL;
	char *raw = strndup(c, (size_t)(q - c));
	char *dec = html_decode(raw);
	free(raw);
	return dec;
}

static void
test_meta_tags(void **state)
{
	(void)state;
	static const char *const langs[] = { "en", "ru", "uk" };
	struct client *c = client_new(srv);
	struct resp r;
	size_t i;

	for (i = 0; i < 3; i++) {
		char path[128], want[256];

		snprintf(path, sizeof path, "/p/%s?lang=%s", SEED_SLUG,
		    langs[i]);
		assert_int_equal(client_get(c, path, &r), CURLE_OK);
		assert_int_equal(r.status, 200);
		snprintf(want, sizeof want, "%s/p/%s/share.png?lang=%s",
		    srv->base, SEED_SLUG, langs[i]);
		char *img = meta(r.body.data, "property", "og:image");
		assert_non_null(img);
		assert_string_equal(img, want);
		free(img);
		char *w = meta(r.body.data, "property", "og:image:width");
		char *h = meta(r.body.data, "property", "og:image:height");
		char *card = meta(r.body.data, "name", "twitter:card");
		assert_non_null(w);
		assert_non_null(h);
		assert_non_null(card);
		assert_string_equal(w, "1200");
		assert_string_equal(h, "630");
		assert_string_equal(card, "summary_large_image");
		free(w);
		free(h);
		free(card);
		/* The share box links the codes. */
		snprintf(want, sizeof want, "href=\"/p/%s/qr.svg\"", SEED_SLUG);
		assert_non_null(strstr(r.body.data, want));
		snprintf(want, sizeof want, "href=\"/p/%s/qr.png\"", SEED_SLUG);
		assert_non_null(strstr(r.body.data, want));
		resp_free(&r);
	}
	client_free(c);
}

/* The decoded href of the share button of network name, malloc'd, or
 * NULL. */
static char *
share_href(const char *html, const char *name)
{
	char needle[96], *raw, *dec;
	const char *p, *q;

	snprintf(needle, sizeof needle, "share__a--%s\" href=\"", name);
	if ((p = strstr(html, needle)) == NULL)
		return NULL;
	p += strlen(needle);
	if ((q = strchr(p, '"')) == NULL)
		return NULL;
	raw = strndup(p, (size_t)(q - p));
	dec = html_decode(raw);
	free(raw);
	return dec;
}

/* Parameter key of link, percent-decoded by libcurl, malloc'd; NULL when
 * the link has no such parameter. */
static char *
link_param(const char *link, const char *key)
{
	char needle[32], *v, *out;
	const char *p;
	size_t n;
	int len;

	snprintf(needle, sizeof needle, "?%s=", key);
	if ((p = strstr(link, needle)) == NULL) {
		needle[0] = '&';
		if ((p = strstr(link, needle)) == NULL)
			return NULL;
	}
	p += strlen(needle);
	n = strcspn(p, "&");
	if ((v = curl_easy_unescape(NULL, p, (int)n, &len)) == NULL)
		return NULL;
	out = strndup(v, (size_t)len);
	curl_free(v);
	return out;
}

/* Each share button's link carries the petition's title and address,
 * percent-encoded whole: quotes, angle brackets, ampersands, spaces and
 * Cyrillic come back intact from the network's side, and nothing in the
 * link can end its parameter or the attribute early. */
static void
test_share_links(void **state)
{
	(void)state;
	static const struct {
		const char *slug, *title;
	} cases[] = {
		{ HOSTILE_SLUG, "Stop \"this\" <b>now</b> & more" },
		{ CYR_SLUG, CYR_TITLE },
	};
	static const struct {
		const char *name, *prefix, *url_key, *title_key;
	} nets[] = {
		{ "email", "mailto:?", "body", "subject" },
		{ "telegram", "https://t.me/share/url?", "url", "text" },
		{ "facebook", "https://www.facebook.com/sharer/sharer.php?",
		    "u", NULL },
		{ "x", "https://x.com/intent/tweet?", "url", "text" },
		{ "whatsapp", "https://wa.me/?", NULL, "text" },
	};
	struct client *c = client_new(srv);
	struct resp r;
	size_t i, j;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[128], url[256], both[512];

		snprintf(path, sizeof path, "/p/%s", cases[i].slug);
		snprintf(url, sizeof url, "%s/p/%s", srv->base, cases[i].slug);
		snprintf(both, sizeof both, "%s %s", cases[i].title, url);
		assert_int_equal(client_get(c, path, &r), CURLE_OK);
		assert_int_equal(r.status, 200);
		for (j = 0; j < sizeof nets / sizeof nets[0]; j++) {
			char *href = share_href(r.body.data, nets[j].name);
			char *v;

			assert_non_null(href);
			assert_int_equal(strncmp(href, nets[j].prefix,
					     strlen(nets[j].prefix)),
			    0);
			/* Only the separators are left bare. */
			assert_null(
			    strpbrk(href + strlen(nets[j].prefix), " \"'<>#"));
			if (nets[j].url_key != NULL) {
				v = link_param(href, nets[j].url_key);
				assert_non_null(v);
				assert_string_equal(v, url);
				free(v);
			}
			if (nets[j].title_key != NULL) {
				v = link_param(href, nets[j].title_key);
				assert_non_null(v);
				/* WhatsApp has one text: the title, then the
				 * address. */
				assert_string_equal(v,
				    nets[j].url_key != NULL ? cases[i].title :
							      both);
				free(v);
			}
			free(href);
		}
		resp_free(&r);
	}
	client_free(c);
}

/* 1200×630; the same bytes (and a 304) while the count stays within its
 * step; other pixels once a signature moves it to the next. */
static void
test_share_png_steps(void **state)
{
	(void)state;
	char path[128];
	struct resp a, b, c304;

	snprintf(path, sizeof path, "/p/%s/share.png?lang=en", SEED_SLUG);
	cairo_surface_t *before = get_png(path, &a);
	assert_int_equal(cairo_image_surface_get_width(before), 1200);
	assert_int_equal(cairo_image_surface_get_height(before), 630);
	char *etag = resp_header(&a, "ETag");
	char *cc = resp_header(&a, "Cache-Control");
	assert_non_null(etag);
	assert_non_null(cc);
	assert_non_null(strstr(cc, "max-age="));
	free(cc);

	/* Asked again: the cached drawing, and a 304 for the validator. */
	cairo_surface_t *again = get_png(path, &b);
	assert_int_equal(a.body.len, b.body.len);
	assert_memory_equal(a.body.data, b.body.data, a.body.len);
	cairo_surface_destroy(again);
	resp_free(&b);
	{
		char inm[200];
		struct client *cl = client_new(srv);

		snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
		const char *hdrs[] = { inm, NULL };
		assert_int_equal(client_get_headers(cl, path, hdrs, &c304),
		    CURLE_OK);
		assert_int_equal(c304.status, 304);
		assert_int_equal(c304.body.len, 0);
		resp_free(&c304);
		client_free(cl);
	}

	/* One signature: 0 → 1 crosses a step (exact below 100). */
	long n0 = petition_count(srv, SEED_SLUG);
	struct signer who = signer_default("share-step@example.org");
	assert_int_equal(sign_fresh(srv, SEED_SLUG, &who, NULL, NULL), 303);
	assert_int_equal(petition_count_wait(srv, SEED_SLUG, n0 + 1, 5000),
	    n0 + 1);
	cairo_surface_t *after = get_png(path, &b);
	assert_int_equal(cairo_image_surface_get_width(after), 1200);
	assert_int_equal(cairo_image_surface_get_height(after), 630);
	char *etag2 = resp_header(&b, "ETag");
	assert_non_null(etag2);
	assert_string_not_equal(etag, etag2);
	/* The count's line and the bar, at the bottom, changed. */
	assert_true(pixels_differ(before, after, 400, 630, 0) > 100);
	free(etag);
	free(etag2);
	cairo_surface_destroy(before);
	cairo_surface_destroy(after);
	resp_free(&a);
	resp_free(&b);

	/* In another language: other words on the image. */
	snprintf(path, sizeof path, "/p/%s/share.png?lang=ru", SEED_SLUG);
	cairo_surface_t *ru = get_png(path, &a);
	snprintf(path, sizeof path, "/p/%s/share.png?lang=en", SEED_SLUG);
	cairo_surface_t *en = get_png(path, &b);
	assert_true(pixels_differ(ru, en, 400, 630, 0) > 100);
	cairo_surface_destroy(ru);
	cairo_surface_destroy(en);
	resp_free(&a);
	resp_free(&b);
}

/* The title drawn as share.c draws it (DejaVu Sans bold, 60 px, wrapped
 * to 1072 px, at most four lines, white at (64, 108) on the brand
 * colour) onto a fresh 1200×630 surface. Sets *unknown to the number of
 * glyphs no font had. */
static cairo_surface_t *
render_title(const char *title, int *unknown)
{
	cairo_surface_t *s =
	    cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1200, 630);
	cairo_t *cr = cairo_create(s);
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_new();

	cairo_set_source_rgb(cr, 0x15 / 255.0, 0x32 / 255.0, 0x4f / 255.0);
	cairo_paint(cr);
	pango_cairo_context_set_resolution(pango_layout_get_context(l), 72);
	pango_layout_context_changed(l);
	pango_font_description_set_family(fd,
	    "DejaVu Sans, Noto Sans, sans-serif");
	pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	pango_font_description_set_absolute_size(fd, 60 * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, 1072 * PANGO_SCALE);
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_height(l, -4);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(l, title, -1);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, 64, 108);
	pango_cairo_show_layout(cr, l);
	*unknown = pango_layout_get_unknown_glyphs_count(l);
	g_object_unref(l);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

/* A Cyrillic title comes out as letters, not boxes: the image's title
 * matches a render of the same text whose every glyph was found, and
 * does not match one of the same length in characters no font has. */
static void
test_cyrillic_title(void **state)
{
	(void)state;
	char path[128];
	struct resp r;
	int unknown = -1, boxes = -1;

	snprintf(path, sizeof path, "/p/%s/share.png?lang=ru", CYR_SLUG);
	cairo_surface_t *img = get_png(path, &r);
	cairo_surface_t *want = render_title(CYR_TITLE, &unknown);
	assert_int_equal(unknown, 0);
	/* The title's rows: under the site's name, above the count. */
	long diff = pixels_differ(img, want, 100, 400, 8);
	if (diff > 50)
		fail_msg("the title differs from its render in %ld pixels",
		    diff);
	/* Plane 15's private use characters: in no font, drawn as boxes. */
	struct hbuf t = { 0 };
	for (int i = 0; i < 40; i++)
		hbuf_puts(&t, i % 8 == 7 ? " " : "\xf3\xb0\x80\x80");
	cairo_surface_t *box = render_title(t.data, &boxes);
	assert_true(boxes > 0);
	assert_true(pixels_differ(img, box, 100, 400, 8) > 1000);
	hbuf_free(&t);
	cairo_surface_destroy(img);
	cairo_surface_destroy(want);
	cairo_surface_destroy(box);
	resp_free(&r);
	assert_int_equal(server_log_count(srv, "unknown_glyphs"), 0);
}

/* zbarimg reads the PNG code back as the petition's address. */
static void
test_qr_decodes(void **state)
{
	(void)state;
	char path[128], file[400], want[256];
	struct resp r;
	struct hbuf out = { 0 };

	snprintf(path, sizeof path, "/p/%s/qr.png", SEED_SLUG);
	cairo_surface_t *s = get_png(path, &r);
	cairo_surface_destroy(s);
	char *cc = resp_header(&r, "Cache-Control");
	assert_non_null(cc);
	assert_non_null(strstr(cc, "max-age="));
	free(cc);
	snprintf(file, sizeof file, "%s/qr.png", srv->root);
	assert_int_equal(write_file(file, r.body.data, r.body.len), 0);
	resp_free(&r);
	const char *argv[] = { "/usr/bin/zbarimg", "--raw", "-q", file, NULL };
	if (access(argv[0], X_OK) != 0)
		fail_msg("zbarimg is missing: apt-get install zbar-tools "
			 "(scripts/deps.sh)");
	assert_int_equal(run_capture(argv, &out), 0);
	snprintf(want, sizeof want, "%s/p/%s\n", srv->base, SEED_SLUG);
	assert_non_null(out.data);
	assert_string_equal(out.data, want);
	hbuf_free(&out);

	/* The SVG: one self-contained picture, no script. */
	struct client *c = client_new(srv);
	snprintf(path, sizeof path, "/p/%s/qr.svg", SEED_SLUG);
	assert_int_equal(client_get(c, path, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	char *ct = resp_header(&r, "Content-Type");
	assert_non_null(ct);
	assert_string_equal(ct, "image/svg+xml");
	free(ct);
	assert_non_null(strstr(r.body.data, "<svg"));
	assert_null(strstr(r.body.data, "<script"));
	resp_free(&r);
	client_free(c);
}

/* Bad slugs, petitions nobody may see and other methods: the same
 * answers as the page's, never an image. */
static void
test_refusals(void **state)
{
	(void)state;
	static const char *const kinds[] = { "share.png", "qr.svg", "qr.png",
		"embed", "badge.svg", "image.jpg", "image.webp" };
	static const struct {
		const char *slug;
		long status;
	} cases[] = {
		{ "no-such-petition", 404 },
		{ "%FF%FE", 404 },
		{ "Bad_Slug", 404 },
		{ "a/../../etc", 404 },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxx",
		    404 },
		{ HIDDEN_SLUG, 410 },
	};
	struct client *c = client_new(srv);
	struct resp r;
	size_t i, k;

	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			char path[400];

			snprintf(path, sizeof path, "/p/%s/%s?lang=ru",
			    cases[i].slug, kinds[k]);
			assert_int_equal(client_get(c, path, &r), CURLE_OK);
			if (r.status != cases[i].status)
				fail_msg("GET %s: %ld, wanted %ld", path,
				    r.status, cases[i].status);
			char *ct = resp_header(&r, "Content-Type");
			assert_non_null(ct);
			assert_non_null(strstr(ct, "text/html"));
			free(ct);
			resp_free(&r);
		}
	/* A language that is no language: the default one's image. */
	{
		char path[128];

		snprintf(path, sizeof path, "/p/%s/share.png?lang=%%FF%%00xx",
		    SEED_SLUG);
		cairo_surface_t *s = get_png(path, &r);
		cairo_surface_destroy(s);
		resp_free(&r);
	}
	{
		char path[128];

		snprintf(path, sizeof path, "/p/%s/share.png", SEED_SLUG);
		assert_int_equal(client_post(c, path, "a=b", 3, NULL, &r),
		    CURLE_OK);
		assert_int_equal(r.status, 405);
		resp_free(&r);
	}
	client_free(c);
}

/* The widget: its own policy lets any site frame it; the page's does not.
 * Title, count, progress and a sign button that leaves the frame. */
static void
test_embed(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	char want[256];

	assert_int_equal(client_get(c, "/p/" SEED_SLUG "/embed?lang=uk", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	char *csp = resp_header(&r, "Content-Security-Policy");
	char *xfo = resp_header(&r, "X-Frame-Options");
	assert_non_null(csp);
	assert_non_null(strstr(csp, "frame-ancestors *"));
	assert_null(strstr(csp, "script-src"));
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_null(xfo);
	free(csp);
	assert_non_null(strstr(r.body.data, "<html lang=\"uk\""));
	assert_non_null(strstr(r.body.data, "<progress"));
	assert_non_null(strstr(r.body.data, "id=\"count\""));
	snprintf(want, sizeof want,
	    "href=\"%s/p/%s?lang=uk#sign\" target=\"_blank\"", srv->base,
	    SEED_SLUG);
	assert_non_null(strstr(r.body.data, want));
	char *cta = catalogue_lang("uk", "sign_cta");
	assert_true(html_shows_text(r.body.data, cta));
	free(cta);
	assert_null(strstr(r.body.data, "<script"));
	resp_free(&r);

	/* The rest of the site may not be framed. */
	assert_int_equal(client_get(c, "/p/" SEED_SLUG "?lang=en", &r),
	    CURLE_OK);
	csp = resp_header(&r, "Content-Security-Policy");
	xfo = resp_header(&r, "X-Frame-Options");
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_string_equal(xfo, "DENY");
	free(csp);
	free(xfo);
	/* The page's Embed box gives the snippets. */
	char *page = html_decode(r.body.data);
	snprintf(want, sizeof want, "<iframe src=\"%s/p/%s/embed?lang=en\"",
	    srv->base, SEED_SLUG);
	assert_non_null(strstr(page, want));
	snprintf(want, sizeof want, "(%s/p/%s/badge.svg?lang=en)", srv->base,
	    SEED_SLUG);
	assert_non_null(strstr(page, want));
	free(page);
	resp_free(&r);

	/* A title with quotes and markup: escaped in the widget, and twice
	 * in the snippet (once for the embedding page, once for this). */
	assert_int_equal(client_get(c, "/p/" HOSTILE_SLUG "/embed", &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "<b>now"));
	assert_non_null(strstr(r.body.data, "&lt;b&gt;now"));
	resp_free(&r);
	assert_int_equal(client_get(c, "/p/" HOSTILE_SLUG, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "<b>now"));
	assert_non_null(strstr(r.body.data,
	    "title=&quot;Stop &amp;quot;this&amp;quot; &amp;lt;b&amp;gt;now"));
	resp_free(&r);
	client_free(c);
}

/* The badge: an SVG with the count in the reader's language, escaped,
 * cache-friendly, a new ETag when the count moves. */
static void
test_badge(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct resp r;
	char inm[128];

	assert_int_equal(client_get(c, "/p/" HOSTILE_SLUG "/badge.svg?lang=ru",
			     &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	char *ct = resp_header(&r, "Content-Type");
	char *cc = resp_header(&r, "Cache-Control");
	char *etag = resp_header(&r, "ETag");
	assert_string_equal(ct, "image/svg+xml");
	assert_non_null(strstr(cc, "max-age="));
	assert_non_null(etag);
	free(ct);
	free(cc);
	assert_non_null(strstr(r.body.data, "<svg"));
	assert_non_null(strstr(r.body.data, "подписи"));
	assert_non_null(strstr(r.body.data, ">0</text>"));
	assert_null(strstr(r.body.data, "<script"));
	resp_free(&r);
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *hdrs[] = { inm, NULL };
	assert_int_equal(client_get_headers(c,
			     "/p/" HOSTILE_SLUG "/badge.svg?lang=ru", hdrs, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 304);
	resp_free(&r);
	struct signer who = signer_default("badge@example.org");
	assert_int_equal(sign_fresh(srv, HOSTILE_SLUG, &who, NULL, NULL), 303);
	assert_int_equal(petition_count_wait(srv, HOSTILE_SLUG, 1, 5000), 1);
	assert_int_equal(client_get_headers(c,
			     "/p/" HOSTILE_SLUG "/badge.svg?lang=ru", hdrs, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, ">1</text>"));
	resp_free(&r);
	free(etag);
	client_free(c);
}

/* Public counts by country: a table and a server-drawn SVG chart, names
 * in the reader's language; a country with fewer than three confirmed
 * signatures is counted under "Other countries". */
static void
test_countries(void **state)
{
	(void)state;
	static const char *const who[][2] = {
		{ "ua1@example.org", "UA" },
		{ "ua2@example.org", "UA" },
		{ "ua3@example.org", "UA" },
		{ "de1@example.org", "DE" },
		{ "fr1@example.org", "FR" },
	};
	struct client *c = client_new(srv);
	struct resp r;
	size_t i;

	/* None yet: no section. */
	assert_int_equal(client_get(c, "/p/" CYR_SLUG "?lang=ru", &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "id=\"countries-h\""));
	resp_free(&r);
	for (i = 0; i < sizeof who / sizeof who[0]; i++) {
		struct signer s = signer_default(who[i][0]);

		s.country = who[i][1];
		assert_int_equal(sign_fresh(srv, CYR_SLUG, &s, NULL, NULL), 303);
	}
	assert_int_equal(petition_count_wait(srv, CYR_SLUG, 5, 5000), 5);
	/* The page is rendered again within its cache's few seconds. */
	for (int tries = 0; tries < 40; tries++) {
		assert_int_equal(client_get(c, "/p/" CYR_SLUG "?lang=ru", &r),
		    CURLE_OK);
		if (strstr(r.body.data, "id=\"countries-h\"") != NULL)
			break;
		resp_free(&r);
		pause_ms(250);
	}
	assert_non_null(strstr(r.body.data, "id=\"countries-h\""));
	char *heading = catalogue_lang("ru", "countries_heading");
	char *other = catalogue_lang("ru", "countries_other");
	assert_true(html_shows_text(r.body.data, heading));
	/* The table: Ukraine 3, the two lone countries together. */
	assert_non_null(strstr(r.body.data,
	    "<tr><th scope=\"row\">Украина</th><td>3</td></tr>"));
	char row[256];
	snprintf(row, sizeof row,
	    "<tr><th scope=\"row\">%s</th><td>2</td></tr>", other);
	assert_non_null(strstr(r.body.data, row));
	{
		/* Not in the section (the sign form lists every country). */
		const char *sec = strstr(r.body.data, "id=\"countries-h\"");
		const char *sec_end = strstr(sec, "</section>");
		char *part = strndup(sec, (size_t)(sec_end - sec));

		assert_null(strstr(part, "Германия"));
		assert_null(strstr(part, "Франция"));
		free(part);
	}
	/* The chart: an SVG drawn by the server, one bar per row. */
	const char *svg = strstr(r.body.data,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart--bars\"");
	assert_non_null(svg);
	const char *end = strstr(svg, "</svg>");
	assert_non_null(end);
	char *chart = strndup(svg, (size_t)(end - svg));
	assert_int_equal(count_of(chart, "<rect "), 2);
	assert_non_null(strstr(chart, "role=\"img\""));
	assert_non_null(strstr(chart, ">Украина</text>"));
	assert_null(strstr(chart, "<script"));
	free(chart);
	free(heading);
	free(other);
	resp_free(&r);
	client_free(c);
}

int
main(void)
{
	static const char *const extra[] = { COUNT_ON_SIGN, NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_tags),
		cmocka_unit_test(test_share_links),
		cmocka_unit_test(test_share_png_steps),
		cmocka_unit_test(test_cyrillic_title),
		cmocka_unit_test(test_qr_decodes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_embed),
		cmocka_unit_test(test_badge),
		cmocka_unit_test(test_countries),
	};
	int failed;

	server_group(&srv, extra, setup_petitions);
	failed = cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown);
	/* The fonts the comparisons loaded, so the leak check sees none. */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
	return harness_finish(failed);
}
