/* image.c - the petition image with libvips: sniff the bytes, check the
 * header's dimensions, decode once into a bounded working copy, then encode
 * the srcset widths and the share crop from it. */
#include "image.h"

#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include <webp/encode.h>

#include "log.h"

#define JPEG_QUALITY 82
#define WEBP_QUALITY 80
#define PNG_COMPRESSION 6

static const int widths[IMAGE_NWIDTHS] = IMAGE_WIDTHS;

/* One image at a time: decoding the largest upload takes up to about 60 MB
 * (bench/image_rss.c), and two at once must not double that in a
 * server with a 150 MB budget. Uploads are rare; a second one waits. */
static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;

/* The working copy covers the widest variant and the share crop. */
#define MASTER_WIDTH                                     \
	(IMAGE_SHARE_WIDTH > widths[IMAGE_NWIDTHS - 1] ? \
		IMAGE_SHARE_WIDTH :                      \
		widths[IMAGE_NWIDTHS - 1])
#define MASTER_HEIGHT (IMAGE_TALL * widths[IMAGE_NWIDTHS - 1])

static const struct {
	const char *name, *key;
	int http;
} statuses[IMAGE_STATUS__MAX] = {
	[IMAGE_OK] = { "ok", "", 200 },
	[IMAGE_EMPTY] = { "empty", "err_image_empty", 422 },
	[IMAGE_TOO_BIG] = { "too_big", "err_image_too_big", 422 },
	[IMAGE_NOT_IMAGE] = { "not_image", "err_image_not_image", 422 },
	[IMAGE_UNSUPPORTED] = { "unsupported", "err_image_unsupported", 422 },
	[IMAGE_TOO_MANY_PIXELS] = { "too_many_pixels",
	    "err_image_too_many_pixels", 422 },
	[IMAGE_CORRUPT] = { "corrupt", "err_image_corrupt", 422 },
	[IMAGE_INTERNAL] = { "internal", "err_internal", 500 },
};

typedef int (*loader_fn)(void *buf, size_t len, VipsImage **out, ...);

static const struct {
	const char *mime;
	const char *loader; /* the libvips class family left unblocked */
	loader_fn load;
} formats[IMAGE_FORMAT__MAX] = {
	[IMAGE_JPEG] = { "image/jpeg", "VipsForeignLoadJpeg",
	    vips_jpegload_buffer },
	[IMAGE_PNG] = { "image/png", "VipsForeignLoadPng", vips_pngload_buffer },
	[IMAGE_WEBP] = { "image/webp", "VipsForeignLoadWebp",
	    vips_webpload_buffer },
};

/* Signatures at the start of a file. A format of -1 is a picture we do
 * not take: the person gets "unsupported" rather than "not an image". */
static const struct {
	size_t off, len;
	const char *bytes;
	int format;
} magics[] = {
	{ 0, 3, "\xff\xd8\xff", IMAGE_JPEG },
	{ 0, 8, "\x89PNG\r\n\x1a\n", IMAGE_PNG },
	{ 8, 4, "WEBP", IMAGE_WEBP }, /* with "RIFF" at 0, checked below */
	{ 0, 6, "GIF87a", -1 },
	{ 0, 6, "GIF89a", -1 },
	{ 0, 2, "BM", -1 },
	{ 0, 4, "II*\0", -1 }, /* TIFF, and most camera raw files */
	{ 0, 4, "MM\0*", -1 },
	{ 4, 4, "ftyp", -1 },	  /* HEIC, AVIF */
	{ 0, 2, "\xff\x0a", -1 }, /* JPEG XL */
	{ 4, 8, "JXL \r\n\x87\n", -1 },
	{ 4, 8, "jP  \r\n\x87\n", -1 }, /* JPEG 2000 */
	{ 0, 4, "8BPS", -1 },		/* Photoshop */
	{ 0, 4, "\0\0\1\0", -1 },	/* ICO */
	{ 0, 4, "<svg", -1 },
};

/* libvips reports warnings (a corrupt JPEG marker …) through GLib; they
 * go to the structured log instead of raw lines on stderr. */
static void
on_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer data)
{
	char clean[160];
	size_t i;

	(void)domain;
	(void)level;
	(void)data;
	for (i = 0; i + 1 < sizeof(clean) && message[i] != '\0'; i++)
		clean[i] = message[i] >= ' ' && message[i] < 0x7f &&
			message[i] != '"' ?
		    message[i] :
		    '?';
	clean[i] = '\0';
	log_debug("image", "vips=\"%s\"", clean);
}

void
image_prepare(void)
{
	/* libvips loads its optional modules (ImageMagick, Poppler,
	 * OpenSlide, libheif, libjxl) from $VIPSHOME/lib at VIPS_INIT(). None
	 * of them may decode an upload (image_init() blocks them), and
	 * loading them took a fifth of holos' start-up and mapped a hundred
	 * more libraries into a process that takes uploads: a prefix with
	 * no lib folder loads none. */
	setenv("VIPSHOME", "/nonexistent", 1);
}

int
image_init(const char *argv0)
{
	int f;

	if (VIPS_INIT(argv0 != NULL ? argv0 : "holos") != 0) {
		log_error("image", "error=\"libvips did not start\"");
		return -1;
	}
	g_log_set_handler("VIPS",
	    G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
		G_LOG_LEVEL_DEBUG,
	    on_glib_log, NULL);
	/* One worker per pipeline and nothing cached: uploads are rare, and
	 * the server's memory budget matters more than their speed. */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	/* Only three decoders can ever see uploaded bytes. */
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (f = 0; f < IMAGE_FORMAT__MAX; f++)
		vips_operation_block_set(formats[f].loader, FALSE);
	return 0;
}

void
image_shutdown(void)
{
	vips_shutdown();
}

enum image_status
image_sniff(const void *buf, size_t len, enum image_format *fmt)
{
	const unsigned char *b = buf;
	size_t i;

	if (len == 0)
		return IMAGE_EMPTY;
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (len < magics[i].off + magics[i].len ||
		    memcmp(b + magics[i].off, magics[i].bytes, magics[i].len) !=
			0)
			continue;
		if (magics[i].format == IMAGE_WEBP && memcmp(b, "RIFF", 4) != 0)
			continue;
		if (magics[i].format < 0)
			return IMAGE_UNSUPPORTED;
		*fmt = (enum image_format)magics[i].format;
		return IMAGE_OK;
	}
	return IMAGE_NOT_IMAGE;
}

/* Logs and clears what libvips said about a failure. */
static void
log_vips(const char *what, enum image_status st)
{
	char *e = vips_error_buffer_copy();
	size_t i;

	for (i = 0; e != NULL && e[i] != '\0'; i++)
		if (e[i] < ' ' || e[i] == '"' || e[i] == 0x7f)
			e[i] = ' ';
	log_info("image", "result=%s step=%s vips=\"%.200s\"",
	    statuses[st].name, what, e != NULL ? e : "");
	g_free(e);
}

/* What the header says, read before any pixel is decoded. */
struct header {
	int width, height; /* upright */
	bool icc;	   /* an embedded colour profile */
};

/* Reads the header only (the loaders are lazy) and checks the size. */
static enum image_status
check_header(const void *buf, size_t len, enum image_format fmt,
    struct header *h)
{
	VipsImage *head = NULL;
	int64_t pixels;

	if (formats[fmt].load((void *)buf, len, &head, "access",
		VIPS_ACCESS_SEQUENTIAL, NULL) != 0) {
		log_vips("header", IMAGE_CORRUPT);
		return IMAGE_CORRUPT;
	}
	h->width = vips_image_get_width(head);
	h->height = vips_image_get_height(head);
	if (vips_image_get_orientation_swap(head)) {
		h->width = vips_image_get_height(head);
		h->height = vips_image_get_width(head);
	}
	h->icc = vips_image_get_typeof(head, VIPS_META_ICC_NAME) != 0;
	g_object_unref(head);
	pixels = (int64_t)h->width * h->height;
	if (h->width > IMAGE_MAX_SIDE || h->height > IMAGE_MAX_SIDE ||
	    pixels > IMAGE_MAX_PIXELS) {
		log_info("image", "result=too_many_pixels width=%d height=%d",
		    h->width, h->height);
		return IMAGE_TOO_MANY_PIXELS;
	}
	return IMAGE_OK;
}

/* Drops every piece of metadata (EXIF and its GPS, XMP, IPTC, the colour
 * profile once applied, comments, PNG text …) from an image nothing has
 * used yet, so none can reach an encoder; the savers' strip is a second
 * line, not to be trusted alone (libvips 8.14's WebP saver kept the sRGB
 * profile and made up an EXIF block of its own). */
static void
drop_metadata(VipsImage *img)
{
	gchar **fields = vips_image_get_fields(img);
	size_t i;

	/* Built-in fields (width, bands …) are not in the table that
	 * vips_image_remove() edits, so they stay. */
	for (i = 0; fields[i] != NULL; i++)
		(void)vips_image_remove(img, fields[i]);
	g_strfreev(fields);
}

/* Decodes the whole image once, upright and in sRGB, shrunk to the
 * smallest size that still covers both the widest srcset width and the
 * share crop (never enlarged), and no taller than the tallest variant: at
 * most 6.3 megapixels (10,000 x 630, a panorama) whatever the original,
 * and about 2 for a photograph, which bounds the memory every later step
 * needs. The decode happens in vips_image_copy_memory(), so a truncated
 * file fails there. */
static enum image_status
decode_master(const void *buf, size_t len, const struct header *h,
    VipsImage **master)
{
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx, 4);
	double s = fmin(fmax((double)MASTER_WIDTH / h->width,
			    (double)IMAGE_SHARE_HEIGHT / h->height),
	    (double)MASTER_HEIGHT / h->height);
	enum image_status st = IMAGE_INTERNAL;
	const char *step = "decode";
	VipsImage *in;
	int rc;

	*master = NULL;
	if (s > 1)
		s = 1;
	/* The box is in upright terms: thumbnail swaps it for a rotated
	 * original itself. fail_on reaches the loader only through
	 * option_string (libvips 8.14's thumbnail does not pass its own on).
	 * An embedded profile is converted to sRGB; without one the pixels
	 * are sRGB already, and asking for an export anyway would shift
	 * saturated colours (8.14 goes through D65 XYZ into a D50 PCS). */
	if (h->icc)
		rc = vips_thumbnail_buffer((void *)buf, len, &t[0],
		    (int)ceil(h->width * s), "height", (int)ceil(h->height * s),
		    "size", VIPS_SIZE_DOWN, "option_string",
		    "fail_on=truncated", "export_profile", "srgb", NULL);
	else
		rc = vips_thumbnail_buffer((void *)buf, len, &t[0],
		    (int)ceil(h->width * s), "height", (int)ceil(h->height * s),
		    "size", VIPS_SIZE_DOWN, "option_string",
		    "fail_on=truncated", NULL);
	if (rc != 0) {
		st = IMAGE_CORRUPT;
		goto fail;
	}
	in = t[0];
	step = "convert";
	if (vips_colourspace(in, &t[1], VIPS_INTERPRETATION_sRGB, NULL) != 0)
		goto fail;
	in = t[1];
	if (vips_image_hasalpha(in)) {
		VipsArrayDouble *white =
		    vips_array_double_newv(3, 255.0, 255.0, 255.0);

		rc = vips_flatten(in, &t[2], "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
		if (rc != 0)
			goto fail;
		in = t[2];
	}
	if (vips_cast(in, &t[3], VIPS_FORMAT_UCHAR, NULL) != 0)
		goto fail;
	step = "decode";
	if ((*master = vips_image_copy_memory(t[3])) == NULL) {
		st = IMAGE_CORRUPT;
		goto fail;
	}
	drop_metadata(*master);
	g_object_unref(ctx);
	return IMAGE_OK;
fail:
	log_vips(step, st);
	g_object_unref(ctx);
	return st;
}

enum save_kind { SAVE_WEBP, SAVE_JPEG, SAVE_PNG, SAVE__MAX };

/* WebP straight from libwebp: libvips 8.14's saver writes an EXIF chunk of
 * its own making even when told to strip. The result is a simple lossy
 * WebP with no metadata chunk at all. *buf is g_malloc'd. */
static int
encode_webp(VipsImage *in, void **buf, size_t *len)
{
	uint8_t *webp = NULL;
	size_t size;
	void *rgb;
	int w = vips_image_get_width(in), h = vips_image_get_height(in);

	if ((rgb = vips_image_write_to_memory(in, &size)) == NULL)
		return -1;
	if (size != (size_t)w * h * 3)
		*len = 0;
	else
		*len = WebPEncodeRGB(rgb, w, h, w * 3, WEBP_QUALITY, &webp);
	g_free(rgb);
	if (*len == 0) {
		WebPFree(webp);
		return -1;
	}
	*buf = g_memdup2(webp, *len);
	WebPFree(webp);
	return 0;
}

/* Encodes in without any metadata and copies the bytes into the arena. */
static int
encode(struct arena *a, VipsImage *in, enum save_kind kind,
    struct image_blob *out)
{
	void *buf = NULL;
	size_t len = 0;
	unsigned char *copy;
	int rc = -1;

	switch (kind) {
	case SAVE_WEBP:
		rc = encode_webp(in, &buf, &len);
		out->format = IMAGE_WEBP;
		break;
	case SAVE_JPEG:
		rc = vips_jpegsave_buffer(in, &buf, &len, "Q", JPEG_QUALITY,
		    "strip", TRUE, "optimize_coding", TRUE, "interlace", TRUE,
		    NULL);
		out->format = IMAGE_JPEG;
		break;
	case SAVE_PNG:
		rc = vips_pngsave_buffer(in, &buf, &len, "strip", TRUE,
		    "compression", PNG_COMPRESSION, NULL);
		out->format = IMAGE_PNG;
		break;
	case SAVE__MAX: break;
	}
	copy = rc == 0 ? arena_memdup(a, buf, len) : NULL;
	g_free(buf);
	if (copy == NULL)
		return -1;
	out->data = copy;
	out->len = len;
	out->width = vips_image_get_width(in);
	out->height = vips_image_get_height(in);
	return 0;
}

/* One srcset width, as WebP and JPEG, unless the picture is no wider
 * there than at the width before (it is not enlarged). Returns 0 or -1. */
static int
make_width(struct arena *a, VipsImage *master, int width,
    struct image_result *out)
{
	VipsImage *img;
	int rc = -1;

	if (vips_thumbnail_image(master, &img, width, "height",
		IMAGE_TALL * width, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
		NULL) != 0)
		return -1;
	if (out->nvariants > 0 &&
	    vips_image_get_width(img) <= out->variant[out->nvariants - 1].width) {
		rc = 0;
	} else if (encode(a, img, SAVE_WEBP, &out->variant[out->nvariants]) ==
		0 &&
	    encode(a, img, SAVE_JPEG, &out->variant[out->nvariants + 1]) == 0) {
		out->nvariants += 2;
		rc = 0;
	}
	g_object_unref(img);
	return rc;
}

/* The share crop: the largest centred rectangle of the share image's
 * shape, cut first and then scaled down (never up: share.c scales the
 * background to cover the card when it draws it, so enlarging here would
 * only store a bigger file and cost a bigger encode). */
static int
make_share(struct arena *a, VipsImage *master, struct image_result *out)
{
	VipsImage *region, *img;
	int mw = vips_image_get_width(master),
	    mh = vips_image_get_height(master);
	int cw = mw, ch = mh, rc;

	if ((int64_t)mw * IMAGE_SHARE_HEIGHT > (int64_t)mh * IMAGE_SHARE_WIDTH)
		cw = (int)((int64_t)mh * IMAGE_SHARE_WIDTH / IMAGE_SHARE_HEIGHT);
	else
		ch = (int)((int64_t)mw * IMAGE_SHARE_HEIGHT / IMAGE_SHARE_WIDTH);
	if (cw < 1)
		cw = 1;
	if (ch < 1)
		ch = 1;
	if (vips_crop(master, &region, (mw - cw) / 2, (mh - ch) / 2, cw, ch,
		NULL) != 0)
		return -1;
	/* Rounding may leave the shape a pixel off: crop trims it. */
	rc = vips_thumbnail_image(region, &img, IMAGE_SHARE_WIDTH, "height",
	    IMAGE_SHARE_HEIGHT, "size", VIPS_SIZE_DOWN, "crop",
	    VIPS_INTERESTING_CENTRE, "no_rotate", TRUE, NULL);
	g_object_unref(region);
	if (rc != 0)
		return -1;
	rc = encode(a, img, SAVE_PNG, &out->share);
	g_object_unref(img);
	return rc;
}

enum image_status
image_process(struct arena *a, const void *buf, size_t len,
    struct image_result *out)
{
	VipsImage *master = NULL;
	enum image_status st;
	enum image_format fmt;
	struct header h;
	int i;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return IMAGE_EMPTY;
	if (len > IMAGE_MAX_BYTES) {
		log_info("image", "result=too_big bytes=%zu", len);
		return IMAGE_TOO_BIG;
	}
	if ((st = image_sniff(buf, len, &fmt)) != IMAGE_OK) {
		log_info("image", "result=%s bytes=%zu", statuses[st].name, len);
		return st;
	}
	pthread_mutex_lock(&one_at_a_time);
	if ((st = check_header(buf, len, fmt, &h)) != IMAGE_OK)
		goto fail;
	if ((st = decode_master(buf, len, &h, &master)) != IMAGE_OK)
		goto fail;
	st = IMAGE_INTERNAL;
	for (i = 0; i < IMAGE_NWIDTHS; i++)
		if (make_width(a, master, widths[i], out) == -1)
			goto fail;
	if (make_share(a, master, out) == -1)
		goto fail;
	g_object_unref(master);
	/* Give the decoder's buffers back to the system: an upload is rare,
	 * and the server should not keep its peak until the next one. */
	malloc_trim(0);
	pthread_mutex_unlock(&one_at_a_time);
	out->source = fmt;
	out->width = h.width;
	out->height = h.height;
	log_info("image", "result=ok format=%s bytes=%zu width=%d height=%d",
	    formats[fmt].mime, len, h.width, h.height);
	return IMAGE_OK;
fail:
	if (st == IMAGE_INTERNAL)
		log_vips("encode", st);
	if (master != NULL)
		g_object_unref(master);
	malloc_trim(0);
	pthread_mutex_unlock(&one_at_a_time);
	memset(out, 0, sizeof(*out));
	return st;
}

const char *
image_status_name(enum image_status s)
{
	return s < IMAGE_STATUS__MAX ? statuses[s].name : "?";
}

const char *
image_status_key(enum image_status s)
{
	return s < IMAGE_STATUS__MAX ? statuses[s].key : "err_internal";
}

int
image_status_http(enum image_status s)
{
	return s < IMAGE_STATUS__MAX ? statuses[s].http : 500;
}

const char *
image_format_mime(enum image_format f)
{
	return f < IMAGE_FORMAT__MAX ? formats[f].mime :
				       "application/octet-stream";
}
