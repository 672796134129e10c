/* route.c - the table from method and path to handler, made from
 * ROUTE_LIST (route.h), and the dispatch through it. */
#include "route.h"

#include <string.h>

#include "crypto.h"
#include "form.h"
#include "image.h"
#include "page.h"
#include "paper.h"
#include "petition.h"

enum match {
	MATCH_EXACT,  /* the path is the pattern */
	MATCH_PREFIX, /* the pattern, then anything: r->rest */
	MATCH_SLUG,   /* prefix, a slug, then the suffix exactly */
	MATCH_TOKEN,  /* prefix, then an emailed token: r->token */
};

struct route_def {
	enum match match;
	const char *prefix;
	const char *suffix;
	enum http_method method; /* GET also answers HEAD */
	void (*handler)(struct request *);
};

/* clang-format off */
static const struct route_def routes[ROUTE__MAX] = {
#define ROUTE_DEF(id, name, method, match, prefix, suffix, handler, csrf) \
	[ROUTE_##id] = { MATCH_##match, prefix, suffix, HTTP_##method,    \
		handler },
	ROUTE_LIST(ROUTE_DEF)
#undef ROUTE_DEF
};
/* clang-format on */

static const char *const route_names[ROUTE__MAX] = {
#define ROUTE_NAME(id, name, method, match, prefix, suffix, handler, csrf) \
	[ROUTE_##id] = name,
	ROUTE_LIST(ROUTE_NAME)
#undef ROUTE_NAME
};

const char *
route_name(int route)
{
	return route >= 0 && route < ROUTE__MAX ? route_names[route] : "none";
}

static bool
route_match(const struct route_def *d, struct request *r)
{
	size_t plen = strlen(d->prefix), len = strlen(r->path);

	switch (d->match) {
	case MATCH_EXACT: return strcmp(r->path, d->prefix) == 0;
	case MATCH_PREFIX:
		if (strncmp(r->path, d->prefix, plen) != 0)
			return false;
		r->rest = r->path + plen;
		return true;
	case MATCH_SLUG: {
		size_t slen = strlen(d->suffix), n;

		if (len <= plen + slen || strncmp(r->path, d->prefix, plen) ||
		    strcmp(r->path + len - slen, d->suffix) != 0)
			return false;
		n = len - plen - slen;
		if (!petition_slug_valid(r->path + plen, n))
			return false;
		r->slug = arena_strndup(r->arena, r->path + plen, n);
		return r->slug != NULL;
	}
	case MATCH_TOKEN:
		if (strncmp(r->path, d->prefix, plen) != 0 ||
		    !crypto_token_valid(r->path + plen, len - plen))
			return false;
		r->token = r->path + plen;
		return true;
	}
	return false;
}

void
route_dispatch(struct request *r)
{
	const struct route_def *found = NULL;
	int i;

	/* A path that is not text (%FF, %00, %0A once decoded) names nothing
	 * here. */
	if (!form_text_valid(r->path, strlen(r->path), false)) {
		r->route = ROUTE__MAX;
		page_error(r, 404, "err_not_found");
		return;
	}
	for (i = 0; i < ROUTE__MAX; i++) {
		if (!route_match(&routes[i], r))
			continue;
		found = &routes[i];
		if (r->method == found->method ||
		    (r->method == HTTP_HEAD && found->method == HTTP_GET))
			break;
	}
	r->route = found != NULL ? (int)(found - routes) : ROUTE__MAX;
	if (found == NULL) {
		page_error(r, 404, "err_not_found");
		return;
	}
	if (i == ROUTE__MAX) {
		http_header_add(r, "Allow",
		    found->method == HTTP_POST ? "POST" : "GET, HEAD");
		page_error(r, 405, "err_method");
		return;
	}
	if (r->body_too_large) {
		http_header_add(r, "Connection", "close");
		page_error(r, 413, "err_body_too_large");
		return;
	}
	found->handler(r);
}

/* The routes that take an upload, each with its file's limit: the body may
 * hold that and, around it, the multipart envelope and the plain fields. */
static const struct {
	int route;
	size_t file_max;
} uploads[] = {
	{ ROUTE_ME_IMAGE, IMAGE_MAX_BYTES }, /* spread: the petition image */
	{ ROUTE_PAPER_ADD, PAPER_SCAN_MAX }, /* paper: a batch's scan */
};

size_t
route_body_max(enum http_method method, const char *path, size_t max_body)
{
	size_t i, len = strlen(path);

	for (i = 0; i < sizeof(uploads) / sizeof(uploads[0]); i++) {
		const struct route_def *d = &routes[uploads[i].route];
		size_t plen = strlen(d->prefix), slen = strlen(d->suffix),
		       upload = uploads[i].file_max + (64 << 10);

		if (method != d->method || len <= plen + slen ||
		    strncmp(path, d->prefix, plen) != 0 ||
		    strcmp(path + len - slen, d->suffix) != 0 ||
		    !petition_slug_valid(path + plen, len - plen - slen))
			continue;
		return upload > max_body ? upload : max_body;
	}
	return max_body;
}
