/* page_home.c - the home page and the listings of petitions, the cards
 * and pagers they share with search, and the health check. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "catalog.h"
#include "counts.h"
#include "i18n.h"
#include "page.h"

int
page_number(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 1;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > max)
		return -1;
	return (int)v;
}

const char *
page_urlenc(struct request *r, const char *s)
{
	struct buf b;
	const char *out;

	buf_init(&b);
	buf_append_urlenc(&b, s, strlen(s));
	out = buf_to_arena(&b, r->arena);
	return out != NULL ? out : "";
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
	args[0] = MSGFMT_NUM("count", p->count);
	args[1] = MSGFMT_NUM("goal", next);
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
	args[0] = MSGFMT_NUM("page", page);
	args[1] = MSGFMT_NUM("pages", pages);
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

/* On the card of a petition waiting for a response (it->waiting_since),
 * since when: "Delivered 12 days ago, no response yet". */
static void
card_waiting(struct request *r, json_t *card, const struct catalog_item *it)
{
	struct msgfmt_arg arg;
	int64_t days = ((int64_t)time(NULL) - it->waiting_since) / 86400;
	const char *line;

	if (it->waiting_since <= 0)
		return;
	arg = MSGFMT_NUM("days", days > 0 ? days : 0);
	line = i18n_format(r->arena, r->lang, "card_waiting", &arg, 1);
	if (line != NULL)
		json_object_set_new(card, "waiting_line", json_string(line));
}

/* The petitions of one home section, headed with the text of
 * "home_<sort's name>": up to HOME_SECTION of sort's order (open ones, but for
 * victories and those waiting for a response, open or closed) not shown in an
 * earlier section, whose ids are added to shown; those waiting for a response
 * are shown whatever came before, with since when. Returns the section, or NULL
 * when it is empty or the catalogue cannot be read (*failed set). */
#define HOME_SECTION 5
#define HOME_SHOWN (5 * HOME_SECTION)

static json_t *
home_section(struct request *r, enum catalog_sort sort, int64_t *shown,
    size_t *nshown, bool *failed)
{
	struct catalog_filter f = { sort == CATALOG_VICTORY ? PETITION_VICTORY :
		    sort == CATALOG_WAITING		    ? PETITION__MAX :
							      PETITION_OPEN,
		NULL };
	struct catalog_item *it;
	size_t n, i, k;
	int64_t total;
	json_t *list;

	if (catalog_list(r->arena, sort, &f, 0, HOME_SHOWN, &it, &n, &total) ==
	    -1) {
		*failed = true;
		return NULL;
	}
	list = json_array();
	for (i = 0; i < n && json_array_size(list) < HOME_SECTION; i++) {
		json_t *card;

		for (k = 0; k < *nshown && shown[k] != it[i].p.id; k++)
			;
		if ((k < *nshown && sort != CATALOG_WAITING) ||
		    (card = page_card(r, &it[i].p)) == NULL)
			continue;
		if (k == *nshown)
			shown[(*nshown)++] = it[i].p.id;
		if (sort == CATALOG_WAITING)
			card_waiting(r, card, &it[i]);
		json_array_append_new(list, card);
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "id", catalog_sort_name(sort),
	    "heading",
	    i18n_text(r->lang,
		arena_printf(r->arena, "home_%s", catalog_sort_name(sort))),
	    "more_url",
	    arena_printf(r->arena, "/petitions?sort=%s%s",
		catalog_sort_name(sort),
		sort == CATALOG_VICTORY ? "&state=victory" : ""),
	    "cards", list);
}

void
page_home(struct request *r)
{
	int64_t shown[HOME_SHOWN];
	size_t nshown = 0, i;
	bool failed = false;
	json_t *ctx, *list, *sec;

	page_begin(r);
	list = json_array();
	/* A section a sort, in the order of enum catalog_sort. */
	for (i = 0; i < CATALOG_SORT__MAX; i++)
		if ((sec = home_section(r, (enum catalog_sort)i, shown, &nshown,
			 &failed)) != NULL)
			json_array_append_new(list, sec);
	if (failed) {
		json_decref(list);
		page_unavailable(r);
		return;
	}
	ctx = page_context(r, NULL);
	json_object_set_new(ctx, "has_petitions", json_boolean(nshown > 0));
	json_object_set_new(ctx, "sections", list);
	page_render(r, 200, "home", ctx);
}

#define LIST_PER_PAGE 20
#define LIST_PAGES_MAX 5000

int
page_list_params(struct request *r, enum catalog_sort *sort,
    struct catalog_filter *f)
{
	const char *sort_q = http_query(r, "sort"),
		   *state_q = http_query(r, "state"),
		   *lang_q = http_query(r, "lang");

	if (sort_q != NULL && *sort_q != '\0' &&
	    (*sort = catalog_sort_parse(sort_q)) == CATALOG_SORT__MAX)
		goto bad;
	if (state_q != NULL && *state_q != '\0') {
		f->state = petition_state_parse(state_q);
		if (f->state != PETITION_OPEN && f->state != PETITION_CLOSED &&
		    f->state != PETITION_VICTORY)
			goto bad;
	}
	if (lang_q != NULL && *lang_q != '\0' &&
	    ((f->lang = i18n_match(lang_q, strlen(lang_q))) == NULL ||
		strcmp(f->lang, lang_q) != 0))
		goto bad;
	return 0;
bad:
	page_error(r, 400, "err_list_param");
	return -1;
}

void
page_petitions(struct request *r)
{
	static const char *const states[] = { "open", "closed", "victory" };
	struct catalog_filter f = { PETITION__MAX, NULL };
	enum catalog_sort sort = CATALOG_NEWEST;
	struct catalog_item *it;
	size_t n, i;
	int64_t total;
	int page;
	json_t *ctx, *list, *opts;
	struct buf base;
	const char *base_s;

	page_begin(r);
	if (page_list_params(r, &sort, &f) == -1)
		return;
	if ((page = page_number(http_query(r, "page"), LIST_PAGES_MAX)) < 0) {
		page_error(r, 400, "err_search_page");
		return;
	}
	if (catalog_list(r->arena, sort, &f, (size_t)(page - 1) * LIST_PER_PAGE,
		LIST_PER_PAGE, &it, &n, &total) == -1) {
		page_unavailable(r);
		return;
	}
	ctx = page_context(r, i18n_text(r->lang, "list_title"));
	list = json_array();
	for (i = 0; i < n; i++) {
		json_t *card = page_card(r, &it[i].p);

		if (card == NULL)
			continue;
		if (sort == CATALOG_WAITING)
			card_waiting(r, card, &it[i]);
		json_array_append_new(list, card);
	}
	json_object_set_new(ctx, "cards", list);
	json_object_set_new(ctx, "has_cards", json_boolean(n > 0));
	/* The form's choices, the current one selected. */
	opts = json_array();
	for (i = 0; i < CATALOG_SORT__MAX; i++)
		json_array_append_new(opts,
		    json_pack("{s:s, s:s, s:b}", "value",
			catalog_sort_name((enum catalog_sort)i), "label",
			i18n_text(r->lang,
			    arena_printf(r->arena, "list_sort_%s",
				catalog_sort_name((enum catalog_sort)i))),
			"selected", (size_t)sort == i));
	json_object_set_new(ctx, "sorts", opts);
	opts = json_array();
	for (i = 0; i < 3; i++)
		json_array_append_new(opts,
		    json_pack("{s:s, s:s, s:b}", "value", states[i], "label",
			i18n_text(r->lang,
			    arena_printf(r->arena, "list_state_%s", states[i])),
			"selected",
			f.state != PETITION__MAX &&
			    strcmp(petition_state_name(f.state), states[i]) ==
				0));
	json_object_set_new(ctx, "states", opts);
	opts = json_array();
	{
		const json_t *l;
		size_t k;

		json_array_foreach(i18n_languages(), k, l)
		{
			const char *code =
			    json_string_value(json_object_get(l, "code"));

			json_array_append_new(opts,
			    json_pack("{s:s, s:O, s:b}", "value", code, "label",
				json_object_get(l, "name"), "selected",
				f.lang != NULL && strcmp(f.lang, code) == 0));
		}
	}
	json_object_set_new(ctx, "langs_filter", opts);
	buf_init(&base);
	buf_printf(&base, "/petitions?sort=%s&", catalog_sort_name(sort));
	if (f.state != PETITION__MAX)
		buf_printf(&base, "state=%s&", petition_state_name(f.state));
	if (f.lang != NULL)
		buf_printf(&base, "lang=%s&", f.lang);
	if ((base_s = buf_to_arena(&base, r->arena)) == NULL)
		base_s = "/petitions?";
	page_pager(r, ctx, page, total, LIST_PER_PAGE, base_s);
	page_render(r, 200, "petitions", ctx);
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
