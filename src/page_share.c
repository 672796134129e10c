/* page_share.c - what carries a petition beyond its page: the share image
 * (og:image), QR codes of its address for posters and leaflets, and the
 * files of its image (page_image.c takes the upload). */
#include <cairo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counts.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "petition.h"
#include "qr.h"
#include "share.h"
#include "tmpl.h"

/* Share images kept drawn: one per petition, language and step is what a
 * busy site asks for again and again; the least recently used goes. */
#define SHARE_CACHE 64
#define SHARE_KEY 160

/* A PNG module of the QR code: a 33-module code is then 328 px square
 * with its quiet zone, enough for a poster printed at 300 dpi. */
#define QR_PNG_MODULE 8

/* A crawler may keep a share image for minutes: the count on it is
 * rounded anyway. A code's address does not change. */
#define SHARE_CACHE_CONTROL "public, max-age=300"
#define QR_CACHE_CONTROL "public, max-age=86400"

/* An image URL that names the version it was made for may be kept for
 * good: a new upload gets a new version. Without one, a few minutes. */
#define IMMUTABLE "public, max-age=31536000, immutable"
#define MUTABLE "public, max-age=300"

/* A badge in a README is fetched through caches (GitHub's camo): five
 * minutes, then the ETag saves the bytes. */
#define BADGE_CACHE_CONTROL "public, max-age=300"

struct share_entry {
	char key[SHARE_KEY];
	unsigned char *png;
	size_t len;
	uint64_t used;
};

static struct {
	pthread_mutex_t lock;
	struct share_entry e[SHARE_CACHE];
	uint64_t clock;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Copies the cached PNG of key into out. Returns true when it was there. */
static bool
cache_get(const char *key, struct buf *out)
{
	bool hit = false;
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < SHARE_CACHE; i++)
		if (cache.e[i].png != NULL && strcmp(cache.e[i].key, key) == 0) {
			buf_append(out, cache.e[i].png, cache.e[i].len);
			cache.e[i].used = ++cache.clock;
			hit = true;
			break;
		}
	pthread_mutex_unlock(&cache.lock);
	return hit;
}

/* Keeps a copy of png under key in place of the least recently used. Out
 * of memory, nothing is kept. */
static void
cache_put(const char *key, const void *png, size_t len)
{
	struct share_entry *old = NULL;
	unsigned char *copy;
	size_t i;

	if (strlen(key) >= SHARE_KEY || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, png, len);
	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < SHARE_CACHE; i++) {
		struct share_entry *e = &cache.e[i];

		if (e->png != NULL && strcmp(e->key, key) == 0) {
			old = e; /* drawn twice at once: keep one */
			break;
		}
		if (old == NULL || e->png == NULL ||
		    (old->png != NULL && e->used < old->used))
			old = e;
	}
	free(old->png);
	snprintf(old->key, SHARE_KEY, "%s", key);
	old->png = copy;
	old->len = len;
	old->used = ++cache.clock;
	pthread_mutex_unlock(&cache.lock);
}

void
page_share_free(void)
{
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < SHARE_CACHE; i++) {
		free(cache.e[i].png);
		cache.e[i].png = NULL;
	}
	pthread_mutex_unlock(&cache.lock);
}

/* Sets the validators of a reply that is an image. */
static void
validators(struct request *r, const char *etag, const char *cache_control)
{
	http_header_add(r, "ETag", etag);
	http_header_add(r, "Cache-Control", cache_control);
}

/* Answers 304 when the client holds etag already. */
static bool
not_modified(struct request *r, const char *etag, const char *cache_control)
{
	const char *inm = http_header(r, "If-None-Match");

	if (inm == NULL || strcmp(inm, etag) != 0)
		return false;
	validators(r, etag, cache_control);
	r->status = 304;
	return true;
}

/* FNV-1a of s, for a validator that changes with a text. */
static uint32_t
text_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct png_read {
	const unsigned char *p;
	size_t len, off;
};

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_read *pr = closure;

	if (pr->len - pr->off < len)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, pr->p + pr->off, len);
	pr->off += len;
	return CAIRO_STATUS_SUCCESS;
}

/* The petition image's share crop (image.c made it, a PNG) as RGB pixels
 * in r's arena for bg. Returns 0, or -1 when there is none or it does not
 * decode: the card is drawn on the brand colour then. */
static int
load_bg(struct request *r, int64_t petition_id, struct share_bg *bg)
{
	struct image_file f;
	struct png_read pr;
	cairo_surface_t *s;
	unsigned char *px, *data;
	int w, h, stride, x, y, rc = -1;

	if (store_image_file(site.store, r->arena, petition_id, "share.png",
		&f) != STORE_OK)
		return -1;
	pr = (struct png_read){ f.data, f.len, 0 };
	s = cairo_image_surface_create_from_png_stream(png_read, &pr);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		goto out;
	w = cairo_image_surface_get_width(s);
	h = cairo_image_surface_get_height(s);
	if (w < 1 || h < 1 || w > SHARE_BG_MAX || h > SHARE_BG_MAX ||
	    (px = arena_alloc(r->arena, (size_t)w * (size_t)h * 3)) == NULL)
		goto out;
	cairo_surface_flush(s);
	data = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	/* cairo's pixels are native-endian xRGB (the crop has no alpha). */
	for (y = 0; y < h; y++) {
		const uint32_t *in =
		    (const uint32_t *)(data + (size_t)y * (size_t)stride);
		unsigned char *o = px + (size_t)y * (size_t)w * 3;

		for (x = 0; x < w; x++) {
			o[3 * x] = (unsigned char)(in[x] >> 16);
			o[3 * x + 1] = (unsigned char)(in[x] >> 8);
			o[3 * x + 2] = (unsigned char)in[x];
		}
	}
	*bg = (struct share_bg){ px, w, h, (size_t)w * 3, 3 };
	rc = 0;
out:
	cairo_surface_destroy(s);
	return rc;
}

void
page_share_png(struct request *r)
{
	struct petition p;
	struct petition_image img;
	struct share_card card;
	struct share_step st;
	struct share_bg bg;
	const char *key, *etag;
	bool ended;

	page_begin(r);
	if (page_petition_load(r, &p) == -1)
		return;
	ended = !petition_is_open(&p, (int64_t)time(NULL));
	st = share_step_of(p.count, p.goal);
	if (store_image_get(site.store, r->arena, p.id, &img) != STORE_OK)
		img.version = 0; /* none (or unknown: the plain card) */
	/* What the pixels depend on: the petition as edited, its image, the
	 * language, the step. A count within the step draws the same
	 * image. */
	key = arena_printf(r->arena, "%lld-%lld-%lld-%s-%lld-%d-%lld-%d",
	    (long long)p.id, (long long)p.updated_at, (long long)img.version,
	    r->lang, (long long)st.shown, st.over, (long long)st.next_goal,
	    ended);
	etag = arena_printf(r->arena, "\"s%s\"", key);
	if (not_modified(r, etag, SHARE_CACHE_CONTROL))
		return;
	if (cache_get(key, &r->out))
		goto done;
	memset(&card, 0, sizeof(card));
	card.lang = r->lang;
	card.site_name = site.name;
	card.title = p.title;
	card.count = p.count;
	card.goal = p.goal;
	card.ended = ended;
	if (img.version != 0 && load_bg(r, p.id, &bg) == 0)
		card.bg = &bg;
	if (share_png(&card, &r->out) == -1 || !buf_ok(&r->out)) {
		buf_reset(&r->out);
		page_error(r, 500, "err_internal");
		return;
	}
	cache_put(key, r->out.data, r->out.len);
done:
	r->status = 200;
	r->content_type = "image/png";
	validators(r, etag, SHARE_CACHE_CONTROL);
}

/* The code of the petition's address and a validator for it, or -1
 * after an error page. */
static int
petition_qr(struct request *r, struct qr *q, bool svg, const char **etag)
{
	struct petition p;
	const char *url;
	enum qr_status s;

	page_begin(r);
	if (page_petition_load(r, &p) == -1)
		return -1;
	url = page_url(r, arena_printf(r->arena, "/p/%s", p.slug));
	if ((s = qr_encode(q, url, strlen(url))) != QR_OK) {
		/* Only a --base-url far too long for a code gets here. */
		log_error("share", "slug=%s error=\"%s\"", p.slug,
		    qr_status_text(s));
		page_error(r, 500, "err_internal");
		return -1;
	}
	*etag = arena_printf(r->arena, "\"q%c%08x\"", svg ? 's' : 'p',
	    (unsigned)text_hash(url));
	return 0;
}

static void
qr_reply(struct request *r, bool svg)
{
	struct qr q = { 0, NULL };
	const char *etag;
	int rc;

	if (petition_qr(r, &q, svg, &etag) == -1)
		return;
	/* The address never changes with the count or the language. */
	if (not_modified(r, etag, QR_CACHE_CONTROL)) {
		qr_free(&q);
		return;
	}
	rc = svg ? qr_svg(&q, &r->out) : qr_png(&q, QR_PNG_MODULE, &r->out);
	qr_free(&q);
	if (rc == -1 || !buf_ok(&r->out)) {
		buf_reset(&r->out);
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
	r->content_type = svg ? "image/svg+xml" : "image/png";
	validators(r, etag, QR_CACHE_CONTROL);
}

void
page_qr_svg(struct request *r)
{
	qr_reply(r, true);
}

void
page_qr_png(struct request *r)
{
	qr_reply(r, false);
}

/* Serves one width of the image in format ext. */
static void
image_reply(struct request *r, const char *ext)
{
	struct petition_image img;
	struct image_file f;
	struct petition p;
	const char *q = http_query(r, "w"), *v = http_query(r, "v"), *name;
	const char *etag, *inm, *cc;
	char *end;
	long want = 0;
	size_t i;

	page_begin(r);
	if (page_petition_load(r, &p) == -1)
		return;
	switch (store_image_get(site.store, r->arena, p.id, &img)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return;
	default: page_unavailable(r); return;
	}
	if (q != NULL) {
		want = strtol(q, &end, 10);
		if (*q == '\0' || *end != '\0' || want < 1 || want > 100000) {
			page_error(r, 404, "err_not_found");
			return;
		}
	}
	/* The width asked for, or without one the widest. */
	name = NULL;
	for (i = 0; i < img.nfiles; i++) {
		const char *dot = strrchr(img.files[i].name, '.');

		if (dot == NULL || strcmp(dot + 1, ext) != 0)
			continue;
		if (want == 0 || img.files[i].width == want)
			name = img.files[i].name;
	}
	if (name == NULL) {
		page_error(r, 404, "err_not_found");
		return;
	}
	etag = arena_printf(r->arena, "\"i%lld-%s\"", (long long)img.version,
	    name);
	cc = v != NULL && strtoll(v, NULL, 10) == img.version ? IMMUTABLE :
								MUTABLE;
	inm = http_header(r, "If-None-Match");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		r->status = 304;
		http_header_add(r, "ETag", etag);
		http_header_add(r, "Cache-Control", cc);
		return;
	}
	switch (store_image_file(site.store, r->arena, p.id, name, &f)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return;
	default: page_unavailable(r); return;
	}
	buf_append(&r->out, f.data, f.len);
	if (!buf_ok(&r->out)) {
		buf_reset(&r->out);
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
	r->content_type = f.mime;
	http_header_add(r, "ETag", etag);
	http_header_add(r, "Cache-Control", cc);
}

void
page_image_webp(struct request *r)
{
	image_reply(r, "webp");
}

void
page_image_jpg(struct request *r)
{
	image_reply(r, "jpg");
}

/* The widget's policy: its own files only, no script at all, and any site
 * may frame it (the rest of the site may be framed by none). */
#define EMBED_CSP                                                      \
	"default-src 'none'; style-src 'self'; img-src 'self' data:; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors *"

/* The count line and the progress of p in r's language, as the page
 * shows them. */
static void
count_text(struct request *r, const struct petition *p, const char **line,
    int *progress)
{
	int64_t next = petition_next_goal(p->count, p->goal);
	struct msgfmt_arg args[2] = {
		MSGFMT_NUM("count", p->count),
		MSGFMT_NUM("goal", next),
	};

	*line = i18n_format(r->arena, r->lang, "count_line", args, 2);
	if (*line == NULL)
		*line = i18n_number(r->arena, r->lang, p->count);
	*progress = petition_progress(p->count, next);
}

void
page_embed(struct request *r)
{
	struct petition p;
	const char *line, *url;
	json_t *ctx;
	int progress;

	page_begin(r);
	if (page_petition_load(r, &p) == -1)
		return;
	count_text(r, &p, &line, &progress);
	url = page_url(r,
	    arena_printf(r->arena, "/p/%s?lang=%s", p.slug, r->lang));
	ctx = page_context(r, p.title);
	json_object_set_new(ctx, "embed",
	    json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "title", p.title, "lang",
		p.lang, "url", url, "count_line", line ? line : "", "progress",
		progress, "is_open", petition_is_open(&p, (int64_t)time(NULL))));
	buf_reset(&r->out);
	if (json_object_get(ctx, "embed") == NULL ||
	    tmpl_render(site.tmpl, "embed", ctx, &r->out) == -1 ||
	    !buf_ok(&r->out)) {
		json_decref(ctx);
		buf_reset(&r->out);
		page_error(r, 500, "err_internal");
		return;
	}
	json_decref(ctx);
	r->status = 200;
	r->content_type = "text/html; charset=utf-8";
	http_header_add(r, "Content-Security-Policy", EMBED_CSP);
	/* Other sites show it on busy pages: a minute's lag is fine. */
	http_header_add(r, "Cache-Control", "public, max-age=60");
}

/* The width in pixels a badge gives text: about 7 px a character at
 * 11 px Verdana or DejaVu Sans, and a margin. */
static int
badge_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n * 7 + 12;
}

void
page_badge_svg(struct request *r)
{
	struct petition p;
	const char *label, *count, *etag, *inm;
	int lw, cw;

	page_begin(r);
	if (page_petition_load(r, &p) == -1)
		return;
	label = i18n_text(r->lang, "badge_label");
	count = i18n_number(r->arena, r->lang, p.count);
	if (label == NULL || count == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	etag = arena_printf(r->arena, "\"b%lld-%lld-%s\"", (long long)p.id,
	    (long long)p.count, r->lang);
	inm = http_header(r, "If-None-Match");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		r->status = 304;
		validators(r, etag, BADGE_CACHE_CONTROL);
		return;
	}
	lw = badge_width(label);
	cw = badge_width(count);
	buf_printf(&r->out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"20\" role=\"img\" aria-label=\"",
	    lw + cw);
	buf_append_html(&r->out, label, strlen(label));
	buf_puts(&r->out, ": ");
	buf_append_html(&r->out, count, strlen(count));
	buf_puts(&r->out, "\"><title>");
	buf_append_html(&r->out, label, strlen(label));
	buf_puts(&r->out, ": ");
	buf_append_html(&r->out, count, strlen(count));
	buf_printf(&r->out,
	    "</title><rect width=\"%d\" height=\"20\" rx=\"3\" fill=\"#555\"/>"
	    "<rect x=\"%d\" width=\"%d\" height=\"20\" rx=\"3\" "
	    "fill=\"#15324f\"/><rect x=\"%d\" width=\"4\" height=\"20\" "
	    "fill=\"#15324f\"/><g fill=\"#fff\" text-anchor=\"middle\" "
	    "font-family=\"Verdana,DejaVu Sans,sans-serif\" "
	    "font-size=\"11\"><text x=\"%d\" y=\"14\">",
	    lw, lw, cw, lw, lw / 2);
	buf_append_html(&r->out, label, strlen(label));
	buf_printf(&r->out, "</text><text x=\"%d\" y=\"14\">", lw + cw / 2);
	buf_append_html(&r->out, count, strlen(count));
	buf_puts(&r->out, "</text></g></svg>\n");
	if (!buf_ok(&r->out)) {
		buf_reset(&r->out);
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
	r->content_type = "image/svg+xml";
	validators(r, etag, BADGE_CACHE_CONTROL);
}
