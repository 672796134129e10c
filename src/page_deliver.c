/* page_deliver.c - handing a petition over: the delivery pack's PDF for its
 * starter and moderators. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counts.h"
#include "draw.h"
#include "log.h"
#include "pack.h"
#include "page.h"

/* Packs written at once by this process: each holds a page of signers,
 * fonts and a cairo surface, so a burst cannot take the memory budget. */
#define PACKS_AT_ONCE 1

static atomic_int packs_running;

static void
unavailable(struct request *r)
{
	http_header_add(r, "Retry-After", "5");
	page_error(r, 503, "err_unavailable");
}

/* Loads the petition of r->slug if u started it or moderates. Otherwise
 * replies (404, 403 or 503) and returns -1. */
static int
load_allowed(struct request *r, const struct user *u, struct petition *p)
{
	switch (store_petition_by_slug(site.store, r->arena, r->slug, p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return -1;
	default: unavailable(r); return -1;
	}
	if (u->role < ROLE_MODERATOR &&
	    (p->owner_id == 0 || p->owner_id != u->id)) {
		log_info("deliver", "slug=%s user=%lld result=forbidden",
		    p->slug, (long long)u->id);
		page_error(r, 403, "err_forbidden");
		return -1;
	}
	return 0;
}

/* Open, closed and won petitions have signers to hand over. */
static bool
has_signers(enum petition_state st)
{
	return st == PETITION_OPEN || st == PETITION_CLOSED ||
	    st == PETITION_VICTORY;
}

static int
file_write(void *ctx, const unsigned char *data, size_t len)
{
	return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

void
page_deliver_pdf(struct request *r)
{
	struct pack_request q = { 0 };
	enum deliver_status st;
	char binding[33];
	struct petition p;
	struct stat sb;
	struct user u;
	int64_t count = 0;
	FILE *f;
	int fd;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1 ||
	    load_allowed(r, &u, &p) == -1)
		return;
	if (!has_signers(p.state)) {
		page_error(r, 409, "deliver_err_state");
		return;
	}
	if (counts_get(p.id, &count) == -1) {
		unavailable(r);
		return;
	}
	if (atomic_fetch_add(&packs_running, 1) >= PACKS_AT_ONCE) {
		atomic_fetch_sub(&packs_running, 1);
		http_header_add(r, "Retry-After", "30");
		page_error(r, 503, "deliver_err_busy");
		return;
	}
	/* The PDF goes to an unlinked file and is sent from there: a pack of a
	 * million signers never sits in memory. */
	if ((f = tmpfile()) == NULL) {
		atomic_fetch_sub(&packs_running, 1);
		log_error("deliver", "slug=%s error=\"no temporary file\"",
		    p.slug);
		page_error(r, 500, "err_internal");
		return;
	}
	q.p = &p;
	q.count = count;
	q.lang = r->lang;
	q.site_name = site.name;
	q.url = arena_printf(r->arena, "%s/p/%s", site.base_url, p.slug);
	q.now = (int64_t)time(NULL);
	st = pack_write(site.store, &q, file_write, f);
	/* This request thread's fonts: not kept for a pack made rarely. */
	draw_release(false);
	atomic_fetch_sub(&packs_running, 1);
	if (st == DELIVER_OK && fflush(f) != 0)
		st = DELIVER_WRITE;
	if (st != DELIVER_OK || fstat(fileno(f), &sb) == -1 ||
	    (fd = dup(fileno(f))) == -1) {
		fclose(f);
		log_error("deliver", "slug=%s status=\"%s\"", p.slug,
		    deliver_status_text(st));
		if (st == DELIVER_SIGNERS)
			unavailable(r);
		else
			page_error(r, 500, "err_internal");
		return;
	}
	fclose(f);
	log_info("deliver", "action=pdf slug=%s user=%lld bytes=%lld", p.slug,
	    (long long)u.id, (long long)sb.st_size);
	r->status = 200;
	r->content_type = "application/pdf";
	r->has_file = true;
	r->file_fd = fd;
	r->file_len = (uint64_t)sb.st_size;
	http_header_add(r, "Content-Disposition",
	    arena_printf(r->arena, "attachment; filename=\"%s-delivery.pdf\"",
		p.slug));
	http_header_add(r, "Cache-Control", "no-store");
}
