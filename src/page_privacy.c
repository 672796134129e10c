/* page_privacy.c - signers and their own data: the privacy page, and
 * withdrawing a signature with the link of its confirmation mail (a GET
 * shows a button, only the POST withdraws). */
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "page.h"

enum withdraw_view {
	WV_ASK,	    /* the button */
	WV_DONE,    /* withdrawn (now, or before) */
	WV_UNKNOWN, /* no such link */
	WV__MAX
};

static const struct page_link_state views[WV__MAX] = {
	[WV_ASK] = { "ask", 200 },
	[WV_DONE] = { "done", 200 },
	[WV_UNKNOWN] = { "unknown", 404 },
};

static void
withdraw_render(struct request *r, enum withdraw_view v,
    const struct token_info *info)
{
	page_link_render(r, "withdraw", "withdraw", "withdraw_title", &views[v],
	    info);
}

/* The signature the link names, as the page shows it. Returns the view,
 * or WV__MAX when the store cannot answer (the error page is written). */
static enum withdraw_view
withdraw_lookup(struct request *r, struct token_info *info)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	enum store_status st;

	crypto_token_hash(r->token, strlen(r->token), hash);
	memset(info, 0, sizeof(*info));
	st = store_token_lookup(site.store, r->arena, hash, info);
	if (st != STORE_OK && st != STORE_NOTFOUND) {
		page_unavailable(r);
		return WV__MAX;
	}
	if (st == STORE_NOTFOUND || info->purpose == NULL ||
	    strcmp(info->purpose, "confirm") != 0)
		return WV_UNKNOWN;
	return info->state == SIGNATURE_INVALID ? WV_DONE : WV_ASK;
}

void
page_withdraw_show(struct request *r)
{
	struct token_info info;
	enum withdraw_view v;

	page_begin(r);
	if ((v = withdraw_lookup(r, &info)) != WV__MAX)
		withdraw_render(r, v, &info);
}

void
page_withdraw_post(struct request *r)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct token_info info;
	struct withdrawal w;
	enum withdraw_view view;

	page_begin(r);
	if (page_button_post(r, "") == -1)
		return;
	if ((view = withdraw_lookup(r, &info)) == WV__MAX)
		return;
	if (view != WV_ASK) {
		withdraw_render(r, view, &info);
		return;
	}
	crypto_token_hash(r->token, strlen(r->token), hash);
	switch (store_signature_withdraw(site.store, hash, (int64_t)time(NULL),
	    &w)) {
	case STORE_OK:
		log_info("withdraw", "slug=%s counted=%d removal_leaf=%d",
		    info.slug, w.counted, w.removal_leaf);
		withdraw_render(r, WV_DONE, &info);
		break;
	case STORE_NOTFOUND: withdraw_render(r, WV_DONE, &info); break;
	case STORE_UNAVAILABLE: page_unavailable(r); break;
	default: page_error(r, 500, "err_internal"); break;
	}
}

void
page_privacy(struct request *r)
{
	struct msgfmt_arg a = MSGFMT_NUM("days", site.retain_days);
	const char *how_long;
	json_t *ctx;

	page_begin(r);
	how_long = i18n_format(r->arena, r->lang, "privacy_how_long", &a, 1);
	ctx = page_context(r, i18n_text(r->lang, "privacy_title"));
	json_object_set_new(ctx, "privacy",
	    json_pack("{s:s}", "how_long", how_long ? how_long : ""));
	page_render(r, 200, "privacy", ctx);
}
