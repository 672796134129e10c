/* page_search.c - /search?q=…: the public petitions whose title, addressees
 * or text hold the query's words, best first, with excerpts. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "log.h"
#include "markdown.h"
#include "page.h"
#include "search_snippet.h"
#include "search_text.h"

#define SEARCH_PER_PAGE 20
#define SEARCH_PAGES_MAX 500 /* ?page= beyond this is refused */
#define SEARCH_SNIPPET_WORDS 30

/* The result's excerpt as HTML: the words of sq marked. NULL when the text
 * cannot be analysed (then the card has none). */
static const char *
snippet_html(struct request *r, struct search_text *st, const char *lang,
    const char *text, const struct search_query *sq, size_t words)
{
	struct buf b;
	const char *s;
	int l = search_lang_from_code(lang);

	s = search_snippet(r->arena, st, l < 0 ? SEARCH_LANG_EN : l, text,
	    strlen(text), sq, words);
	if (s == NULL)
		return NULL;
	buf_init(&b);
	search_snippet_html(&b, s, strlen(s));
	return buf_to_arena(&b, r->arena);
}

/* A petition's text as its reader sees it: Markdown's marks (emphasis,
 * headings, a link's brackets) are not words to show in an excerpt.
 * Falls back to the source when out of memory. */
static const char *
body_text(struct request *r, const char *md)
{
	struct buf b;
	const char *s;

	buf_init(&b);
	if (markdown_text(md, strlen(md), &b) == -1) {
		buf_reset(&b);
		return md;
	}
	s = buf_to_arena(&b, r->arena);
	return s != NULL ? s : md;
}

int
page_search_run(struct request *r, const char *q, struct search_query *sq,
    int page, int per_page, struct petition **ps, size_t *n, int64_t *total)
{
	enum store_status st;

	if (strlen(q) > PAGE_SEARCH_MAX) {
		page_error(r, 400, "err_search_long");
		return -1;
	}
	switch (search_query_parse(r->arena, q, strlen(q), sq)) {
	case SEARCH_OK: break;
	case SEARCH_EMPTY: return 0;
	case SEARCH_INVALID:
		page_error(r, 400, "err_search_invalid");
		return -1;
	default: page_error(r, 500, "err_internal"); return -1;
	}
	st = store_search(site.store, r->arena, sq, (size_t)per_page,
	    (size_t)(page - 1) * (size_t)per_page, ps, n, total);
	if (st != STORE_OK) {
		page_store_failed(r, st);
		return -1;
	}
	return 1;
}

void
page_search(struct request *r)
{
	const char *q = http_query(r, "q");
	struct search_query sq;
	struct search_text *st = NULL;
	struct petition *ps = NULL;
	size_t n = 0, i;
	int64_t total = 0;
	int page;
	json_t *ctx, *list;
	const char *title;

	page_begin(r);
	title = i18n_text(r->lang, "search_title");
	if ((page = page_number(http_query(r, "page"), SEARCH_PAGES_MAX)) < 0) {
		page_error(r, 400, "err_search_page");
		return;
	}
	ctx = page_context(r, title);
	json_object_set_new(ctx, "q", json_string(""));
	if (q == NULL || *q == '\0') {
		page_render(r, 200, "search", ctx);
		return;
	}
	switch (page_search_run(r, q, &sq, page, SEARCH_PER_PAGE, &ps, &n,
	    &total)) {
	case 1: break;
	case 0:
		json_object_set_new(ctx, "q", json_string(q));
		json_object_set_new(ctx, "no_words", json_true());
		page_render(r, 200, "search", ctx);
		return;
	default: json_decref(ctx); return;
	}
	json_object_set_new(ctx, "q", json_string(q));
	if (n > 0 && (st = search_text_new()) == NULL) {
		json_decref(ctx);
		page_error(r, 500, "err_internal");
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		json_t *card = page_card(r, &ps[i]);
		const char *t, *s;

		if (card == NULL)
			continue;
		t = snippet_html(r, st, ps[i].lang, ps[i].title, &sq, 64);
		s = snippet_html(r, st, ps[i].lang, body_text(r, ps[i].body_md),
		    &sq, SEARCH_SNIPPET_WORDS);
		if (t != NULL)
			json_object_set_new(card, "title_html", json_string(t));
		if (s != NULL)
			json_object_set_new(card, "snippet_html",
			    json_string(s));
		json_array_append_new(list, card);
	}
	search_text_free(st);
	{
		struct msgfmt_arg arg = MSGFMT_NUM("n", total);
		const char *found =
		    i18n_format(r->arena, r->lang, "search_found", &arg, 1);

		json_object_set_new(ctx, "found",
		    json_string(found ? found : ""));
	}
	json_object_set_new(ctx, "searched", json_true());
	json_object_set_new(ctx, "results", list);
	json_object_set_new(ctx, "has_results", json_boolean(n > 0));
	json_object_set_new(ctx, "truncated", json_boolean(sq.truncated));
	page_pager(r, ctx, page, total, SEARCH_PER_PAGE,
	    arena_printf(r->arena, "/search?q=%s&", page_urlenc(r, q)));
	page_render(r, 200, "search", ctx);
}
