/* page_confirm.c - the links sent by email: confirming a signature (a GET
 * shows a button, only the POST confirms, so a scanner that fetches links
 * changes nothing) and leaving update mail with one click. */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "signq.h"
#include "translog.h"

enum confirm_view {
	VIEW_ASK,  /* the button */
	VIEW_DONE, /* confirmed already */
	VIEW_EXPIRED,
	VIEW_UNKNOWN,
	VIEW_LEFT, /* unsubscribed already */
	VIEW__MAX
};

static const struct page_link_state views[VIEW__MAX] = {
	[VIEW_ASK] = { "ask", 200 },
	[VIEW_DONE] = { "done", 200 },
	[VIEW_EXPIRED] = { "expired", 410 },
	[VIEW_UNKNOWN] = { "unknown", 404 },
	[VIEW_LEFT] = { "left", 200 },
};

/* Looks the token up; fills info and returns how the page should look. */
static enum confirm_view
confirm_view(struct request *r, const char *purpose, struct token_info *info,
    enum store_status *st)
{
	unsigned char hash[CRYPTO_HASH_BYTES];

	crypto_token_hash(r->token, strlen(r->token), hash);
	memset(info, 0, sizeof(*info));
	*st = store_token_lookup(site.store, r->arena, hash, info);
	if (*st != STORE_OK || strcmp(info->purpose, purpose) != 0)
		return VIEW_UNKNOWN;
	if (strcmp(purpose, "unsubscribe") == 0)
		return info->updates ? VIEW_ASK : VIEW_LEFT;
	if (info->used_at != 0 || info->state == SIGNATURE_CONFIRMED)
		return VIEW_DONE;
	if (info->expires_at != 0 && info->expires_at <= (int64_t)time(NULL))
		return VIEW_EXPIRED;
	if (info->state != SIGNATURE_PENDING)
		return VIEW_UNKNOWN;
	return VIEW_ASK;
}

static void
render_view(struct request *r, const char *tmpl, enum confirm_view v,
    const struct token_info *info, const char *title_key)
{
	page_link_render(r, tmpl, "confirm", title_key, &views[v],
	    v != VIEW_UNKNOWN ? info : NULL);
}

/* The page a mailed link of kind opens ("confirm" or "unsubscribe": the
 * token's purpose and the template's name), titled title_key. */
static void
show_link(struct request *r, const char *kind, const char *title_key)
{
	struct token_info info;
	enum store_status st;
	enum confirm_view v;

	page_begin(r);
	v = confirm_view(r, kind, &info, &st);
	if (st != STORE_OK && st != STORE_NOTFOUND) {
		page_unavailable(r);
		return;
	}
	render_view(r, kind, v, &info, title_key);
}

void
page_confirm_show(struct request *r)
{
	show_link(r, "confirm", "confirm_title");
}

/* What a parked confirmation keeps. */
struct confirm_job {
	struct signq_item it; /* first: page_submit() parks this */
	struct token_info info;
	/* The signer's receipt secret: its commitment goes into the log
	 * leaf, the secret to the signer once (docs/transparency.md). */
	unsigned char secret[TRANSLOG_SECRET_BYTES];
};

static void
confirm_finish(struct request *r, struct confirm_job *job)
{
	if (!page_store_ok(r, job->it.status))
		return;
	switch (job->it.op.result) {
	case WRITE_OK:
		log_info("confirm", "slug=%s result=confirmed", job->info.slug);
		if (job->it.op.leaf_index >= 0)
			page_receipt_set(r, job->info.slug,
			    job->it.op.leaf_index, job->secret);
		sodium_memzero(job->secret, sizeof(job->secret));
		page_see_other(r,
		    arena_printf(r->arena, "/p/%s/thanks?state=confirmed",
			job->info.slug));
		break;
	case WRITE_TOKEN_USED:
		render_view(r, "confirm", VIEW_DONE, &job->info,
		    "confirm_title");
		break;
	case WRITE_TOKEN_EXPIRED:
		render_view(r, "confirm", VIEW_EXPIRED, &job->info,
		    "confirm_title");
		break;
	case WRITE_PETITION_CLOSED:
		log_info("confirm", "slug=%s result=closed", job->info.slug);
		page_error(r, 409, "err_closed");
		break;
	default:
		render_view(r, "confirm", VIEW_UNKNOWN, &job->info,
		    "confirm_title");
		break;
	}
}

void
page_confirm_post(struct request *r)
{
	struct confirm_job *job = r->job;
	enum store_status st;
	enum confirm_view view;

	page_begin(r);
	if (job != NULL) {
		confirm_finish(r, job);
		return;
	}
	if (page_button_post(r, "") == -1)
		return;
	if ((job = arena_alloc(r->arena, sizeof(*job))) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	view = confirm_view(r, "confirm", &job->info, &st);
	if (st != STORE_OK && st != STORE_NOTFOUND) {
		page_unavailable(r);
		return;
	}
	if (view != VIEW_ASK) {
		render_view(r, "confirm", view, &job->info, "confirm_title");
		return;
	}
	job->it.op.kind = WRITE_CONFIRM;
	job->it.op.now = (int64_t)time(NULL);
	crypto_token_hash(r->token, strlen(r->token), job->it.op.token_hash);
	randombytes_buf(job->secret, sizeof(job->secret));
	translog_commitment(job->secret, job->it.op.commitment);
	if (page_submit(r, &job->it) == -1) {
		http_header_add(r, "Retry-After", "2");
		page_error(r, 503, "err_busy");
	}
}

void
page_unsubscribe_show(struct request *r)
{
	show_link(r, "unsubscribe", "unsub_title");
}

/* One POST unsubscribes (RFC 8058): mail providers send it without any form
 * token, so the secret token in the URL is the whole authorisation: the one
 * POST without page_csrf_check() (ROUTE_CSRF_LINK in route.h). */
void
page_unsubscribe_post(struct request *r)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct token_info info;
	enum store_status st;
	enum confirm_view v;

	page_begin(r);
	v = confirm_view(r, "unsubscribe", &info, &st);
	if (v == VIEW_UNKNOWN) {
		render_view(r, "unsubscribe", v, &info, "unsub_title");
		return;
	}
	crypto_token_hash(r->token, strlen(r->token), hash);
	if (!page_store_ok(r,
		store_unsubscribe(site.store, hash, (int64_t)time(NULL))))
		return;
	log_info("unsubscribe", "slug=%s result=ok", info.slug);
	render_view(r, "unsubscribe", VIEW_DONE, &info, "unsub_title");
}
