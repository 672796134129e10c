/* page_image.c - the petition image: the starter's upload (multipart/form-
 * data, read by libmicrohttpd's post processor, checked and re-encoded by
 * image.c) and its srcset for the pages (page_share.c serves the files). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "image.h"
#include "log.h"
#include "page.h"
#include "pagecache.h"
#include "petition.h"
#include "upload.h"

/* The alt text, in characters: a sentence or two. */
#define ALT_MAX 250

/* The bytes a plain field of the upload may have before it is checked: a
 * form token, and the alt text in the longest UTF-8. */
#define TEXT_BYTES 2048

enum image_field { I_ALT, I_CSRF, I__MAX };

static const struct form_spec image_form[I__MAX] = {
	[I_ALT] = { "alt", FORM_LINE, ALT_MAX, true, NULL },
	[I_CSRF] = PAGE_CSRF_FIELD,
};

/* The files of res as the store keeps them, names and types in the
 * arena. Returns 0 or -1 (out of memory). */
static int
image_files(struct request *r, const struct image_result *res,
    struct petition_image *img)
{
	static const char *const ext[IMAGE_FORMAT__MAX] = {
		[IMAGE_JPEG] = "jpg",
		[IMAGE_PNG] = "png",
		[IMAGE_WEBP] = "webp",
	};
	size_t i;

	for (i = 0; i < res->nvariants && img->nfiles < STORE_IMAGE_FILES - 1;
	     i++) {
		const struct image_blob *b = &res->variant[i];
		struct image_file *f = &img->files[img->nfiles++];

		f->name =
		    arena_printf(r->arena, "%d.%s", b->width, ext[b->format]);
		f->mime = image_format_mime(b->format);
		f->width = b->width;
		f->height = b->height;
		f->data = b->data;
		f->len = b->len;
		if (f->name == NULL)
			return -1;
	}
	img->files[img->nfiles++] = (struct image_file){ "share.png",
		image_format_mime(IMAGE_PNG), res->share.width,
		res->share.height, res->share.data, res->share.len };
	return 0;
}

void
page_image_upload(struct request *r)
{
	struct form_value v[I__MAX];
	struct image_result res;
	struct petition_image img;
	enum image_status st;
	struct upload u;
	struct petition p;
	struct user usr;
	char binding[33];
	int nerr;

	page_begin(r);
	upload_init(&u, image_form, I__MAX, "image", IMAGE_MAX_BYTES,
	    TEXT_BYTES);
	if (page_require(r, ROLE_STARTER, &usr, binding) == -1 ||
	    (nerr = page_upload_read(r, &u, v, "image", "err_image_form")) ==
		-1 ||
	    !page_csrf_check(r, &v[I_CSRF], binding) ||
	    page_petition_owned(r, &usr, &p, "image") == -1 ||
	    page_rate_check(r, 0) == -1)
		goto out;
	if (v[I_ALT].err != FORM_OK) {
		page_error(r, 422,
		    v[I_ALT].err == FORM_MISSING ? "err_image_alt" :
						   form_error_key(v[I_ALT].err));
		goto out;
	}
	if (!u.has_file || u.file.len == 0) {
		page_error(r, 422, "err_image_empty");
		goto out;
	}
	st = image_process(r->arena, u.file.data, u.file.len, &res);
	log_info("image", "slug=%s bytes=%zu result=%s", p.slug, u.file.len,
	    image_status_name(st));
	if (st != IMAGE_OK) {
		page_error(r, image_status_http(st), image_status_key(st));
		goto out;
	}
	memset(&img, 0, sizeof(img));
	img.petition_id = p.id;
	img.alt = v[I_ALT].s;
	img.width = res.width;
	img.height = res.height;
	if (image_files(r, &res, &img) == -1) {
		page_error(r, 500, "err_internal");
		goto out;
	}
	if (store_image_put(site.store, &img) != STORE_OK) {
		page_unavailable(r);
		goto out;
	}
	log_info("image", "action=upload slug=%s user=%lld width=%d height=%d",
	    p.slug, (long long)usr.id, res.width, res.height);
	pagecache_invalidate(p.id);
	page_see_other(r, arena_printf(r->arena, "/me/p/%s?image=1", p.slug));
out:
	upload_free(&u);
	(void)nerr;
}

/* The srcset of the files of img in format ext ("webp", "jpg"), in r's
 * arena; NULL when there are none. *widest gets the widest's URL. */
static const char *
srcset(struct request *r, const char *slug, const struct petition_image *img,
    const char *ext, const char **widest)
{
	struct buf b;
	const char *out = NULL, *suffix;
	size_t i;

	buf_init(&b);
	suffix = arena_printf(r->arena, ".%s", ext);
	for (i = 0; i < img->nfiles; i++) {
		const struct image_file *f = &img->files[i];
		size_t n = strlen(f->name), sl = strlen(suffix);
		const char *url;

		if (n <= sl || strcmp(f->name + n - sl, suffix) != 0)
			continue;
		url = arena_printf(r->arena, "/p/%s/image.%s?w=%d&v=%lld", slug,
		    ext, f->width, (long long)img->version);
		if (b.len > 0)
			buf_puts(&b, ", ");
		buf_printf(&b, "%s %dw", url, f->width);
		*widest = url;
	}
	if (buf_ok(&b) && b.len > 0)
		out = arena_strndup(r->arena, b.data, b.len);
	buf_reset(&b);
	return out;
}

json_t *
page_image_json(struct request *r, const char *slug, int64_t petition_id)
{
	struct petition_image img;
	const char *webp, *jpg, *wide_webp = NULL, *wide_jpg = NULL;
	int h = 0, w = 0;
	size_t i;

	if (store_image_get(site.store, r->arena, petition_id, &img) != STORE_OK)
		return NULL;
	webp = srcset(r, slug, &img, "webp", &wide_webp);
	jpg = srcset(r, slug, &img, "jpg", &wide_jpg);
	if (webp == NULL || jpg == NULL)
		return NULL;
	/* The widest JPEG's size, for the space the page keeps for it. */
	for (i = 0; i < img.nfiles; i++)
		if (img.files[i].width >= w &&
		    strstr(img.files[i].name, ".jpg") != NULL) {
			w = img.files[i].width;
			h = img.files[i].height;
		}
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "alt", img.alt,
	    "srcset_webp", webp, "srcset_jpg", jpg, "src", wide_jpg, "width", w,
	    "height", h);
}
