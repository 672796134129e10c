/* search_snippet.c - a search result's excerpt: the window of a document
 * with the most query words, marked, and its HTML. Both backends' results
 * get their snippets here, so they read alike. */
#include "search_snippet.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "arena.h"
#include "buf.h"

struct word {
	size_t start, end;
	int match; /* index of the query word it matches, or -1 */
};

struct words_ctx {
	const struct search_query *q;
	enum search_lang lang;
	struct word *w;
	size_t n, cap;
};

static int
words_add(void *ctx, const char *term, size_t len, size_t start, size_t end)
{
	struct words_ctx *c = ctx;
	struct word *w;
	size_t i;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		if ((w = realloc(c->w, cap * sizeof(*w))) == NULL)
			return -1;
		c->w = w;
		c->cap = cap;
	}
	w = &c->w[c->n++];
	w->start = start;
	w->end = end;
	w->match = -1;
	for (i = 0; i < c->q->nwords; i++) {
		if (search_word_matches(&c->q->words[i], c->lang, term, len)) {
			w->match = (int)i;
			break;
		}
	}
	return 0;
}

/* Returns the first word of the window of max words with the most distinct
 * query words (then the most matches), sliding over the words once. */
static size_t
window_best(const struct word *w, size_t n, size_t max)
{
	unsigned seen[SEARCH_QUERY_WORDS] = { 0 };
	size_t i, best = 0, distinct = 0, hits = 0, bd = 0, bh = 0;

	for (i = 0; i < n; i++) {
		if (w[i].match >= 0) {
			hits++;
			if (seen[w[i].match]++ == 0)
				distinct++;
		}
		if (i >= max && w[i - max].match >= 0) {
			hits--;
			if (--seen[w[i - max].match] == 0)
				distinct--;
		}
		if (distinct > bd || (distinct == bd && hits > bh)) {
			bd = distinct;
			bh = hits;
			best = i + 1 > max ? i + 1 - max : 0;
		}
	}
	return best;
}

/* Appends text[from, to) without reserved code points (the text is UTF-8:
 * the analysis checked it). */
static void
append_clean(struct buf *b, const char *text, size_t from, size_t to)
{
	int32_t i = (int32_t)from, start, run = (int32_t)from;
	UChar32 c;

	while (i < (int32_t)to) {
		start = i;
		U8_NEXT((const uint8_t *)text, i, (int32_t)to, c);
		if (c >= SEARCH_RESERVED_FIRST && c <= SEARCH_RESERVED_LAST) {
			buf_append(b, text + run, (size_t)(start - run));
			run = i;
		}
	}
	buf_append(b, text + run, (size_t)(i - run));
}

char *
search_snippet(struct arena *a, struct search_text *st, enum search_lang lang,
    const char *text, size_t len, const struct search_query *q, size_t max_words)
{
	struct words_ctx c = { q, lang, NULL, 0, 0 };
	struct buf b;
	char *out = NULL;
	size_t first, last, i, at;

	buf_init(&b);
	if (max_words == 0 ||
	    search_text_terms(st, lang, text, len, words_add, &c) != 0)
		goto fail;
	if (c.n == 0) {
		out = arena_strdup(a, "");
		goto fail;
	}
	first = window_best(c.w, c.n, max_words);
	last = first + max_words < c.n ? first + max_words : c.n;
	/* Whole at either end: the text's own opening quote or full stop. */
	at = first == 0 ? 0 : c.w[first].start;
	if (first > 0)
		buf_puts(&b, SEARCH_ELLIPSIS);
	for (i = first; i < last; i++) {
		if (c.w[i].match < 0)
			continue;
		append_clean(&b, text, at, c.w[i].start);
		buf_puts(&b, SEARCH_MARK_OPEN);
		append_clean(&b, text, c.w[i].start, c.w[i].end);
		buf_puts(&b, SEARCH_MARK_CLOSE);
		at = c.w[i].end;
	}
	append_clean(&b, text, at, last == c.n ? len : c.w[last - 1].end);
	if (last < c.n)
		buf_puts(&b, SEARCH_ELLIPSIS);
	if (buf_ok(&b))
		out = arena_strndup(a, b.data, b.len);
fail:
	free(c.w);
	buf_reset(&b);
	return out;
}

void
search_snippet_html(struct buf *b, const char *s, size_t len)
{
	int32_t i = 0, start, run = 0;
	bool open = false;
	UChar32 c;

	while (i < (int32_t)len) {
		start = i;
		U8_NEXT((const uint8_t *)s, i, (int32_t)len, c);
		if (c >= 0 &&
		    (c < SEARCH_RESERVED_FIRST || c > SEARCH_RESERVED_LAST))
			continue;
		buf_append_html(b, s + run, (size_t)(start - run));
		run = i;
		if (c < 0) {
			buf_puts(b, "\xEF\xBF\xBD"); /* U+FFFD for a bad byte */
		} else if (c == SEARCH_RESERVED_FIRST && !open) {
			buf_puts(b, "<mark>");
			open = true;
		} else if (c == SEARCH_RESERVED_FIRST + 1 && open) {
			buf_puts(b, "</mark>");
			open = false;
		}
	}
	buf_append_html(b, s + run, (size_t)(i - run));
	if (open)
		buf_puts(b, "</mark>");
}
