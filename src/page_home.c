/* page_home.c - the list of open petitions, and the health check. */
#include <string.h>

#include "counts.h"
#include "i18n.h"
#include "page.h"

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
