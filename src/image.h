/* image.h - the petition image: a JPEG, PNG or WebP checked, turned upright,
 * stripped of every piece of metadata and re-encoded at a few widths for
 * srcset, plus a 1200x630 crop for the share image (libvips). */
#ifndef HOLOS_IMAGE_H
#define HOLOS_IMAGE_H

#include <stddef.h>

#include "arena.h"

/* Limits on what is accepted, checked in this order: bytes before
 * anything is parsed, then the dimensions in the header before a single
 * pixel is decoded (a "PNG bomb" of 100000x100000 in a few kilobytes is
 * refused there). 50 megapixels is more than any phone camera gives; a
 * side of 10,000 px refuses absurd strips. */
#define IMAGE_MAX_BYTES (10 * 1024 * 1024)
#define IMAGE_MAX_SIDE 10000
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define IMAGE_MAX_PIXELS 50000000
#else
/* The fuzzing build (make fuzzers) runs the same checks on a budget of
 * 256 x 256 pixels, as libvips's own fuzzers do, so that an input costs
 * milliseconds, not the seconds a 50-megapixel picture of a few kilobytes
 * takes to decode, scale and encode: the fuzzer spends its time in the
 * parsers (a strip of 2,000 x 32 still makes all three widths).
 * test_image checks the real limit. */
#define IMAGE_MAX_PIXELS (256 * 256)
#endif

/* The widths made for srcset, narrowest first. Nothing is ever enlarged:
 * an original narrower than a width gives its own width instead, once, so
 * a 600 px picture comes at 480 and 600. A variant is at most IMAGE_TALL
 * times as tall as the width it is for: a taller strip comes narrower (a
 * 1:8 strip at 240, 480 and 600), which bounds the memory it takes. The
 * widths actually made are in the result; srcset gives those. */
#define IMAGE_WIDTHS           \
	{                      \
		480, 960, 1200 \
	}
#define IMAGE_NWIDTHS 3
#define IMAGE_TALL 4

/* The share image's background: exactly this size, the largest centred
 * rectangle of its shape, scaled (enlarged when the original is smaller). */
#define IMAGE_SHARE_WIDTH 1200
#define IMAGE_SHARE_HEIGHT 630

enum image_status {
	IMAGE_OK,
	IMAGE_EMPTY,	       /* no bytes at all */
	IMAGE_TOO_BIG,	       /* over IMAGE_MAX_BYTES */
	IMAGE_NOT_IMAGE,       /* no picture format we know of */
	IMAGE_UNSUPPORTED,     /* a picture, but GIF, HEIC, TIFF, BMP … */
	IMAGE_TOO_MANY_PIXELS, /* over IMAGE_MAX_SIDE or IMAGE_MAX_PIXELS */
	IMAGE_CORRUPT,	       /* truncated, or does not decode */
	IMAGE_INTERNAL,	       /* out of memory or an encoder failed */
	IMAGE_STATUS__MAX
};

enum image_format { IMAGE_JPEG, IMAGE_PNG, IMAGE_WEBP, IMAGE_FORMAT__MAX };

/* One encoded picture. data lives in the arena given to image_process(). */
struct image_blob {
	enum image_format format;
	int width, height;
	const unsigned char *data;
	size_t len;
};

struct image_result {
	enum image_format source; /* what was sent, by its bytes */
	int width, height;	  /* the original, upright */
	/* For each width made, narrowest first: WebP then JPEG (quality
	 * 80 and 82, progressive JPEG), 3 colour bands in sRGB, any
	 * transparency flattened onto white. */
	size_t nvariants;
	struct image_blob variant[2 * IMAGE_NWIDTHS];
	/* The share card's background: the largest centred crop of the
	 * card's shape, scaled down to IMAGE_SHARE_WIDTH x IMAGE_SHARE_HEIGHT
	 * but never enlarged (the card scales it when it draws it), PNG,
	 * RGB: cairo reads it with cairo_image_surface_create_from_png_stream(). */
	struct image_blob share;
};

/* Sets what libvips reads from the environment at image_init(): called
 * before any thread exists (setenv() is not thread-safe). */
void image_prepare(void);

/* Starts libvips once for the process, before any thread calls
 * image_process(): one worker thread per pipeline, no operation cache, and
 * every loader but JPEG, PNG and WebP blocked (so ImageMagick, SVG, PDF and
 * the rest can never be reached, whatever the bytes say). Returns 0, or -1
 * with a logged reason. */
int image_init(const char *argv0);

/* Stops libvips. Call once, after every image_process() has returned. */
void image_shutdown(void);

/* The format by the first bytes alone (never a name or a Content-Type).
 * Returns IMAGE_OK with *fmt set, or IMAGE_EMPTY, IMAGE_UNSUPPORTED (a
 * picture format we do not take) or IMAGE_NOT_IMAGE. */
enum image_status image_sniff(const void *buf, size_t len,
    enum image_format *fmt);

/* Checks and re-encodes an uploaded image: see the limits and outputs
 * above. Metadata (EXIF, GPS, XMP, IPTC, comments) is gone from every
 * output; the EXIF orientation is applied first, and an embedded colour
 * profile is converted to sRGB before it goes too. Safe to call from
 * several threads after image_init(); the decoding itself runs one call
 * at a time (the others wait), so memory peaks once, at about 60 MB above
 * the process's size for the largest uploads. Returns IMAGE_OK with out
 * filled, every blob in arena a; otherwise the reason, with out zeroed and
 * nothing left to free. */
enum image_status image_process(struct arena *a, const void *buf, size_t len,
    struct image_result *out);

/* A short name for logs ("too_many_pixels"), and the message catalogue key
 * a page shows ("err_image_too_many_pixels"). */
const char *image_status_name(enum image_status s);
const char *image_status_key(enum image_status s);

/* The HTTP status a page answers: 422 for what the upload was, 500 for
 * IMAGE_INTERNAL, 200 for IMAGE_OK. */
int image_status_http(enum image_status s);

/* "image/jpeg", "image/png", "image/webp". */
const char *image_format_mime(enum image_format f);

#endif
