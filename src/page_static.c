/* page_static.c - files from static/ (and the few documents pages link,
 * such as docs/transparency.md), read into memory at start and served from
 * there: a path that is not one of them cannot reach the disk. */
#include <dirent.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "page.h"

#define STATIC_MAX_FILES 64
#define STATIC_MAX_BYTES (4 * 1024 * 1024)

struct static_file {
	char name[NAME_MAX + 1];
	char *data;
	size_t len;
	const char *type;
	char etag[24];
};

static struct static_file files[STATIC_MAX_FILES];
static size_t nfiles;

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
	{ ".json", "application/json" },
	/* Documents from docs/ (Markdown reads as plain text). */
	{ ".md", "text/plain; charset=utf-8" },
};

static const char *
type_of(const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/* Reads the file at path into the next slot, served as name. Returns 0,
 * or -1 (logged). */
static int
load_file(const char *path, const char *name, crypto_generichash_state *all)
{
	struct static_file *f;
	unsigned char h[8];
	FILE *fp;
	long len;
	size_t i;

	if (nfiles == STATIC_MAX_FILES) {
		log_error("static", "file=%s error=\"too many files\"", path);
		return -1;
	}
	f = &files[nfiles];
	snprintf(f->name, sizeof(f->name), "%s", name);
	if ((fp = fopen(path, "rb")) == NULL) {
		log_error("static", "file=%s error=\"cannot open\"", path);
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    len > STATIC_MAX_BYTES || fseek(fp, 0, SEEK_SET) != 0 ||
	    (f->data = malloc((size_t)len + 1)) == NULL ||
	    fread(f->data, 1, (size_t)len, fp) != (size_t)len) {
		fclose(fp);
		free(f->data);
		f->data = NULL;
		log_error("static", "file=%s error=\"cannot read\"", path);
		return -1;
	}
	fclose(fp);
	f->len = (size_t)len;
	f->type = type_of(f->name);
	crypto_generichash(h, sizeof(h), (unsigned char *)f->data, f->len, NULL,
	    0);
	snprintf(f->etag, sizeof(f->etag), "\"");
	for (i = 0; i < sizeof(h); i++)
		snprintf(f->etag + 1 + 2 * i, 3, "%02x", h[i]);
	strcat(f->etag, "\"");
	crypto_generichash_update(all, (unsigned char *)f->name,
	    strlen(f->name));
	crypto_generichash_update(all, (unsigned char *)f->data, f->len);
	nfiles++;
	return 0;
}

int
page_static_load(const char *dir, const char *const *extra)
{
	crypto_generichash_state all;
	unsigned char h[16];
	struct dirent *de;
	const char *base;
	DIR *d;
	size_t i;

	if ((d = opendir(dir)) == NULL) {
		log_error("static", "dir=%s error=\"cannot open\"", dir);
		return -1;
	}
	crypto_generichash_init(&all, NULL, 0, sizeof(h));
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.' || type_of(de->d_name) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (load_file(path, de->d_name, &all) == -1)
			goto fail;
	}
	closedir(d);
	d = NULL;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		base = strrchr(extra[i], '/');
		base = base != NULL ? base + 1 : extra[i];
		if (type_of(base) == NULL) {
			log_error("static", "file=%s error=\"unknown type\"",
			    extra[i]);
			goto fail;
		}
		if (load_file(extra[i], base, &all) == -1)
			goto fail;
	}
	crypto_generichash_final(&all, h, sizeof(h));
	for (i = 0; i < 8; i++)
		snprintf(site.static_version + 2 * i, 3, "%02x", h[i]);
	log_info("static", "dir=%s files=%zu version=%s", dir, nfiles,
	    site.static_version);
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	page_static_free();
	return -1;
}

void
page_static_free(void)
{
	size_t i;

	for (i = 0; i < nfiles; i++)
		free(files[i].data);
	memset(files, 0, sizeof(files));
	nfiles = 0;
}

void
page_static(struct request *r)
{
	const char *inm = http_header(r, "If-None-Match");
	size_t i;

	/* Only exact names of loaded files match: "..", "%2e%2e" and
	 * sub-paths all fall through to 404. */
	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, r->rest) == 0)
			break;
	if (i == nfiles) {
		page_error(r, 404, "err_not_found");
		return;
	}
	http_header_add(r, "ETag", files[i].etag);
	/* Pages link static files with ?v=VERSION, so a changed file has a
	 * new URL and the old one may be kept for long. */
	http_header_add(r, "Cache-Control",
	    http_query(r, "v") != NULL ? "public, max-age=31536000, immutable" :
					 "public, max-age=3600");
	if (inm != NULL && strcmp(inm, files[i].etag) == 0) {
		r->status = 304;
		return;
	}
	r->status = 200;
	r->content_type = files[i].type;
	r->static_body = files[i].data;
	r->static_len = files[i].len;
}
