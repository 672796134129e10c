/* page_home.c - the home page and the listings of petitions, the cards
 * and pagers they share with search, and the health check. */
#include <string.h>

#include "buf.h"
#include "counts.h"
#include "i18n.h"
#include "page.h"

const char *
page_urlenc(struct request *r, const char *s)
{
	struct buf b;
	const char *out;

	buf_init(&b);
	buf_append_urlenc(&b, s, strlen(s));
	out = buf_ok(&b) ?
	    arena_strndup(r->arena, b.data ? b.data : "", b.len) :
	    "";
	buf_reset(&b);
	return out;
}

json_t *
page_card(struct request *r, struct petition *p)
{
	struct msgfmt_arg args[2];
	const char *line;
	int64_t next;
	json_t *card, *to;
	size_t i;

	if (counts_get(p->id, &p->count) == -1)
		return NULL;
	next = petition_next_goal(p->count, p->goal);
	args[0] = (struct msgfmt_arg){ .name = "count",
		.type = MSGFMT_NUMBER,
		.num = (double)p->count };
	args[1] = (struct msgfmt_arg){ .name = "goal",
		.type = MSGFMT_NUMBER,
		.num = (double)next };
	line = i18n_format(r->arena, r->lang, "count_line", args, 2);
	card = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s}",
	    "slug", p->slug, "title", p->title, "lang", p->lang, "url",
	    arena_printf(r->arena, "/p/%s", p->slug), "count_line",
	    line ? line : "", "progress", petition_progress(p->count, next),
	    "count", (json_int_t)p->count, "next_goal", (json_int_t)next,
	    "state", petition_state_name(p->state));
	if (card == NULL)
		return NULL;
	if (p->nto > 0) {
		struct buf b;

		buf_init(&b);
		to = json_array();
		for (i = 0; i < p->nto; i++) {
			json_array_append_new(to, json_string(p->to[i].name));
			if (i > 0)
				buf_puts(&b, "; ");
			buf_puts(&b, p->to[i].name);
		}
		json_object_set_new(card, "addressees", to);
		json_object_set_new(card, "has_addressees", json_true());
		json_object_set_new(card, "addressees_line",
		    json_stringn(b.data ? b.data : "", buf_ok(&b) ? b.len : 0));
		buf_reset(&b);
	}
	json_object_set_new(card, "closed",
	    json_boolean(p->state == PETITION_CLOSED));
	json_object_set_new(card, "victory",
	    json_boolean(p->state == PETITION_VICTORY));
	return card;
}

void
page_pager(struct request *r, json_t *ctx, int page, int64_t total,
    int per_page, const char *base)
{
	int64_t pages = (total + per_page - 1) / per_page;
	struct msgfmt_arg args[2];
	const char *line;
	json_t *pager;

	if (pages <= 1)
		return;
	args[0] = (struct msgfmt_arg){ .name = "page",
		.type = MSGFMT_NUMBER,
		.num = (double)page };
	args[1] = (struct msgfmt_arg){ .name = "pages",
		.type = MSGFMT_NUMBER,
		.num = (double)pages };
	line = i18n_format(r->arena, r->lang, "pager_line", args, 2);
	pager = json_pack("{s:s}", "line", line ? line : "");
	if (page > 1)
		json_object_set_new(pager, "prev_url",
		    json_string(
			arena_printf(r->arena, "%spage=%d", base, page - 1)));
	if (page < pages)
		json_object_set_new(pager, "next_url",
		    json_string(
			arena_printf(r->arena, "%spage=%d", base, page + 1)));
	json_object_set_new(ctx, "pager", pager);
}

void
page_home(struct request *r)
{
	struct petition *ps;
	json_t *ctx, *list;
	size_t n, i;

	page_begin(r);
	switch (
	    store_petition_list(site.store, r->arena, PETITION_OPEN, &ps, &n)) {
	case STORE_OK: break;
	case STORE_UNAVAILABLE:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	default: page_error(r, 500, "err_internal"); return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		if (counts_get(ps[i].id, &ps[i].count) == -1)
			continue;
		int64_t next = petition_next_goal(ps[i].count, ps[i].goal);
		struct msgfmt_arg args[2] = {
			{ .name = "count",
			    .type = MSGFMT_NUMBER,
			    .num = (double)ps[i].count },
			{ .name = "goal",
			    .type = MSGFMT_NUMBER,
			    .num = (double)next },
		};
		const char *line =
		    i18n_format(r->arena, r->lang, "count_line", args, 2);

		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:s, s:s, s:i, "
			      "s:I, s:I}",
			"slug", ps[i].slug, "title", ps[i].title, "url",
			arena_printf(r->arena, "/p/%s", ps[i].slug),
			"count_line", line ? line : "", "progress",
			petition_progress(ps[i].count, next), "count",
			(json_int_t)ps[i].count, "next_goal", (json_int_t)next));
	}
	ctx = page_context(r, NULL);
	json_object_set_new(ctx, "has_petitions", json_boolean(n > 0));
	json_object_set_new(ctx, "petitions", list);
	page_render(r, 200, "home", ctx);
}

void
page_healthz(struct request *r)
{
	struct petition *ps;
	size_t n;
	enum store_status st;

	/* A cheap query proves the database answers. */
	st = store_petition_list(site.store, r->arena, PETITION_DRAFT, &ps, &n);
	http_header_add(r, "Cache-Control", "no-store");
	page_json(r, st == STORE_OK ? 200 : 503,
	    json_pack("{s:s, s:s}", "status",
		st == STORE_OK ? "ok" : "unavailable", "store",
		store_status_name(st)));
}
