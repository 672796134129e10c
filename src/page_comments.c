/* page_comments.c - "Why I signed" (docs/social.md): the comments signers
 * agreed to show, on the petition's page (newest, and the most liked) and
 * in the API; a like, once per browser and rate limited; hiding and
 * showing again by the petition's starter or a moderator, each recorded in
 * the audit log; the list of every comment on the starter's dashboard and
 * for moderators. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "pagecache.h"
#include "ratelimit.h"
#include "social.h"

#define NEWEST_SHOWN 10 /* comments on the page, newest first */
#define TOP_SHOWN 3	/* and the most liked */
#define PER_PAGE 20	/* a page of the dashboard's list */
#define PAGES_MAX 100000
#define API_SHOWN 50
/* The browser's id for likes: random, no personal data; the store keeps
 * only its keyed hash. */
#define BROWSER_COOKIE "holos_bid"
#define BROWSER_COOKIE_AGE (400 * 86400)

/* Who wrote a comment, as the page says it: the first name when the
 * signer agreed to show it, and the country. */
static const char *
comment_by(struct request *r, const struct comment_row *c)
{
	char first[SOCIAL_NAME_MAX];
	const char *country = i18n_country_name(r->lang, c->country);
	struct msgfmt_arg a[2] = {
		MSGFMT_STR("name", first),
		MSGFMT_STR("country", country ? country : c->country),
	};
	const char *s;

	if (c->pii != NULL && social_first_name(c->pii, c->pii_len, first) == 0)
		s = i18n_format(r->arena, r->lang, "comment_by", a, 2);
	else
		s = i18n_format(r->arena, r->lang, "comment_anonymous", &a[1],
		    1);
	return s ? s : "";
}

static const char *
likes_text(struct request *r, int64_t likes)
{
	struct msgfmt_arg a = MSGFMT_NUM("n", likes);
	const char *s = i18n_format(r->arena, r->lang, "comment_likes", &a, 1);

	return s ? s : "";
}

/* The comments as the page shows them, ids prefixed by list so a comment
 * in both lists stays two elements. */
static json_t *
comments_json(struct request *r, const struct comment_row *c, size_t n,
    const char *list)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr,
		    json_pack("{s:I, s:s, s:s, s:s, s:I, s:s}", "id",
			(json_int_t)c[i].id, "anchor",
			arena_printf(r->arena, "%s-%lld", list,
			    (long long)c[i].id),
			"by", comment_by(r, &c[i]), "text", c[i].comment,
			"likes", (json_int_t)c[i].likes, "likes_text",
			likes_text(r, c[i].likes)));
	return arr;
}

void
page_comments_public(struct request *r, const struct petition *p, json_t *o)
{
	struct comment_row *nw, *top;
	size_t nn = 0, nt = 0;

	if (store_comments(site.store, r->arena, p->id, COMMENTS_NEWEST,
		NEWEST_SHOWN, 0, &nw, &nn) != STORE_OK)
		return;
	/* The most liked are worth a list of their own only beside more
	 * comments than they are. */
	if (nn >= NEWEST_SHOWN &&
	    store_comments(site.store, r->arena, p->id, COMMENTS_TOP, TOP_SHOWN,
		0, &top, &nt) != STORE_OK)
		nt = 0;
	json_object_set_new(o, "has_comments", json_boolean(nn > 0));
	json_object_set_new(o, "comments_new",
	    comments_json(r, nw, nn, "comment"));
	json_object_set_new(o, "has_top", json_boolean(nt > 0));
	if (nt > 0)
		json_object_set_new(o, "comments_top",
		    comments_json(r, top, nt, "top"));
	json_object_set_new(o, "like_action",
	    json_string(arena_printf(r->arena, "/p/%s/like", p->slug)));
}

/* ---- a like ---- */

enum like_field { L_CSRF, L_ID, L__MAX };

static const struct form_spec like_form[L__MAX] = {
	[L_CSRF] = PAGE_CSRF_FIELD,
	[L_ID] = { "id", FORM_LINE, 18, true, form_id_valid },
};

/* The browser's id from its cookie, or a new one set in the reply. */
static const char *
browser_id(struct request *r)
{
	const char *c = http_cookie(r, BROWSER_COOKIE);
	char fresh[CRYPTO_COOKIE_CHARS + 1];
	size_t i;

	if (c != NULL && strlen(c) == CRYPTO_COOKIE_CHARS) {
		for (i = 0; c[i] != '\0'; i++)
			if (!((c[i] >= 'A' && c[i] <= 'Z') ||
				(c[i] >= 'a' && c[i] <= 'z') ||
				(c[i] >= '0' && c[i] <= '9') || c[i] == '-' ||
				c[i] == '_'))
				break;
		if (c[i] == '\0')
			return c;
	}
	crypto_new_cookie(fresh);
	http_header_add(r, "Set-Cookie",
	    arena_printf(r->arena,
		BROWSER_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; "
			       "SameSite=Lax%s",
		fresh, BROWSER_COOKIE_AGE,
		site.secure_cookies ? "; Secure" : ""));
	return arena_strdup(r->arena, fresh);
}

/* Whether the client asked for JSON (the page's script) rather than a
 * page. */
static bool
wants_json(struct request *r)
{
	const char *a = http_header(r, "Accept");

	return a != NULL && strstr(a, "application/json") != NULL;
}

void
page_comment_like(struct request *r)
{
	unsigned char liker[STORE_HASH_BYTES];
	struct form_value v[L__MAX];
	struct petition p;
	const char *bid;
	int64_t id, likes = 0;
	bool added = false;
	int wait = 1;

	page_begin(r);
	if (page_form_read(r, like_form, L__MAX, v) == -1)
		return;
	if (!page_csrf_check(r, &v[L_CSRF], ""))
		return;
	if (v[L_ID].err != FORM_OK) {
		page_error(r, 422, "err_comment_unknown");
		return;
	}
	id = strtoll(v[L_ID].s, NULL, 10);
	/* Refused before the store is asked: a flood of likes reads
	 * nothing. */
	if (!ratelimit_take_like(&r->addr, &wait)) {
		log_info("comments", "slug=%s result=limited retry_after=%d",
		    r->slug, wait);
		page_rate_refused(r, wait, "err_rate");
		return;
	}
	switch (store_petition_by_slug(site.store, r->arena, r->slug, &p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return;
	default: page_unavailable(r); return;
	}
	if (p.state != PETITION_OPEN && p.state != PETITION_CLOSED &&
	    p.state != PETITION_VICTORY) {
		page_error(r, 404, "err_not_found");
		return;
	}
	bid = browser_id(r);
	social_liker_hash(bid, strlen(bid), liker);
	switch (store_comment_like(site.store, p.id, id, liker,
	    (int64_t)time(NULL), &likes, &added)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_comment_unknown"); return;
	default: page_unavailable(r); return;
	}
	http_header_add(r, "Cache-Control", "no-store");
	if (wants_json(r)) {
		page_json(r, 200,
		    json_pack("{s:I, s:I, s:s, s:b}", "id", (json_int_t)id,
			"likes", (json_int_t)likes, "likes_text",
			likes_text(r, likes), "added", added));
		return;
	}
	/* Without the script: back to the comment. The page is cached for a
	 * few seconds and shows the like once it is rendered again. */
	r->status = 303;
	http_header_add(r, "Location",
	    arena_printf(r->arena, "/p/%s#comment-%lld", p.slug, (long long)id));
}

/* ---- hiding, and the lists of every comment ---- */

enum hide_field { H_CSRF, H_ID, H_ACTION, H_BACK, H__MAX };

static bool
action_ok(const char *s, size_t len)
{
	(void)len;
	return strcmp(s, "hide") == 0 || strcmp(s, "unhide") == 0;
}

static bool
back_ok(const char *s, size_t len)
{
	(void)len;
	return strcmp(s, "me") == 0 || strcmp(s, "admin") == 0;
}

static const struct form_spec hide_form[H__MAX] = {
	[H_CSRF] = PAGE_CSRF_FIELD,
	[H_ID] = { "id", FORM_LINE, 18, true, form_id_valid },
	[H_ACTION] = { "action", FORM_LINE, 8, true, action_ok },
	[H_BACK] = { "back", FORM_LINE, 8, false, back_ok },
};

void
page_comment_hide(struct request *r)
{
	struct form_value v[H__MAX];
	struct petition p;
	char binding[33];
	struct user u;
	const char *actor;
	bool hide, admin;
	int64_t id;

	if (page_post_begin(r, ROLE_STARTER, &u, binding, hide_form, H__MAX, v,
		H_CSRF) == -1)
		return;
	if (page_petition_managed(r, &u, &p, "comments") == -1 ||
	    page_rate_check(r, 0) == -1)
		return;
	if (v[H_ID].err != FORM_OK || v[H_ACTION].err != FORM_OK) {
		page_error(r, 422, "err_comment_unknown");
		return;
	}
	id = strtoll(v[H_ID].s, NULL, 10);
	hide = strcmp(v[H_ACTION].s, "hide") == 0;
	admin = v[H_BACK].err == FORM_OK && v[H_BACK].len > 0 &&
	    strcmp(v[H_BACK].s, "admin") == 0 && u.role >= ROLE_MODERATOR;
	actor = page_actor(r, u.id);
	switch (store_comment_hide(site.store, p.id, id, hide, actor,
	    (int64_t)time(NULL))) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_comment_unknown"); return;
	default: page_unavailable(r); return;
	}
	log_info("comments", "action=%s slug=%s comment=%lld actor=%s",
	    hide ? "hide" : "unhide", p.slug, (long long)id, actor);
	/* Gone from the page at once, not after the cache's few seconds. */
	pagecache_invalidate(p.id);
	page_see_other(r,
	    arena_printf(r->arena, "%s/p/%s%s?comment=%s#c-%lld",
		admin ? "/admin" : "/me", p.slug, admin ? "/comments" : "",
		hide ? "hidden" : "shown", (long long)id));
}

/* Who hid a comment, as the list says it to u. */
static const char *
hidden_by(struct request *r, const struct user *u, const struct petition *p,
    const struct comment_row *c)
{
	const char *me = page_actor(r, u->id);
	const char *owner = page_actor(r, p->owner_id);
	const char *who = i18n_text(r->lang,
	    strcmp(c->hidden_by, me) == 0	 ? "me_actor_you" :
		strcmp(c->hidden_by, owner) == 0 ? "me_actor_starter" :
						   "me_actor_moderator");
	struct msgfmt_arg a[2] = {
		MSGFMT_STR("who", who ? who : ""),
		{ .name = "date",
		    .type = MSGFMT_DATE,
		    .num = (double)c->hidden_at * 1000.0 },
	};
	const char *s =
	    i18n_format(r->arena, r->lang, "me_comment_hidden_by", a, 2);

	return s ? s : "";
}

int
page_comments_manage(struct request *r, const struct user *u,
    const struct petition *p, const char *csrf, bool admin, json_t *o)
{
	struct comment_row *c;
	struct msgfmt_arg a = { .name = "n", .type = MSGFMT_NUMBER };
	const char *q = http_query(r, "cpage"), *base;
	int64_t total = 0;
	json_t *items, *cm;
	size_t n = 0, i;
	int page = page_number(q, PAGES_MAX);

	if (page == -1)
		page = 1;
	if (store_comments_count(site.store, p->id, &total) != STORE_OK ||
	    store_comments(site.store, r->arena, p->id, COMMENTS_ALL, PER_PAGE,
		(int64_t)(page - 1) * PER_PAGE, &c, &n) != STORE_OK)
		return -1;
	items = json_array();
	for (i = 0; i < n; i++) {
		bool hidden = c[i].hidden_at != 0;

		json_array_append_new(items,
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id",
			(json_int_t)c[i].id, "by", comment_by(r, &c[i]), "text",
			c[i].comment, "likes_text", likes_text(r, c[i].likes),
			"state",
			hidden ? hidden_by(r, u, p, &c[i]) :
				 i18n_text(r->lang, "me_comment_state"),
			"act", hidden ? "unhide" : "hide", "act_label",
			i18n_text(r->lang,
			    hidden ? "me_comment_unhide" : "me_comment_hide"),
			"hidden", hidden));
	}
	a.num = (double)total;
	cm = json_pack("{s:o, s:b, s:s, s:s, s:s, s:s}", "items", items,
	    "has_items", n > 0, "count_line",
	    i18n_format(r->arena, r->lang, "me_comments_count", &a, 1),
	    "action", arena_printf(r->arena, "/me/p/%s/comments", p->slug),
	    "csrf", csrf, "back", admin ? "admin" : "me");
	if ((q = http_query(r, "comment")) != NULL)
		json_object_set_new(cm, "notice",
		    json_string(i18n_text(r->lang,
			strcmp(q, "hidden") == 0 ? "me_comment_was_hidden" :
						   "me_comment_was_shown")));
	base = arena_printf(r->arena, "%s/p/%s%s?", admin ? "/admin" : "/me",
	    p->slug, admin ? "/comments" : "");
	page_pager(r, cm, page, total, PER_PAGE,
	    arena_printf(r->arena, "%sc", base));
	json_object_set_new(o, "comments", cm);
	return 0;
}

void
page_admin_comments(struct request *r)
{
	char binding[33];
	struct petition p;
	struct user u;
	json_t *ctx, *o;
	struct msgfmt_arg a = { .name = "title", .type = MSGFMT_STRING };
	const char *title;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1 ||
	    page_petition_managed(r, &u, &p, "comments") == -1)
		return;
	a.str = p.title;
	title = i18n_format(r->arena, r->lang, "admin_comments_title", &a, 1);
	o = json_pack("{s:s, s:s}", "slug", p.slug, "title", title ? title : "");
	if (page_comments_manage(r, &u, &p, page_form_token(r, binding), true,
		o) == -1) {
		json_decref(o);
		page_unavailable(r);
		return;
	}
	ctx = page_context(r, title ? title : "");
	json_object_set_new(ctx, "me", o);
	page_render(r, 200, "admin_comments", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}
