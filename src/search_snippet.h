/* search_snippet.h - a search result's excerpt with the query's words
 * marked, and its HTML. */
#ifndef HOLOS_SEARCH_SNIPPET_H
#define HOLOS_SEARCH_SNIPPET_H

#include <stddef.h>

#include "search_text.h"

struct arena;
struct buf;

#define SEARCH_ELLIPSIS "\xE2\x80\xA6" /* U+2026, where the text is cut */

/* Returns the excerpt of text (len bytes of a document in lang) of at most
 * max_words words with the most distinct words of query q (the first such
 * when several tie; the start of the text when none matches), from arena a.
 * Each word that matches q is between SEARCH_MARK_OPEN and
 * SEARCH_MARK_CLOSE, the text's own reserved code points are dropped, and
 * SEARCH_ELLIPSIS stands where the text goes on. It is not HTML: pass it to
 * search_snippet_html(). st is an analyser the caller owns. Returns NULL
 * when text is not UTF-8 or the analysis or memory fails. */
char *search_snippet(struct arena *a, struct search_text *st,
    enum search_lang lang, const char *text, size_t len,
    const struct search_query *q, size_t max_words);

/* Appends snippet s (len bytes; from search_snippet(), or FTS5's snippet()
 * or highlight() with the markers) to b as HTML: the text escaped, each
 * marked word in <mark>, other reserved code points (a column's language
 * tag) dropped, a marker that opens nothing or closes nothing ignored,
 * a byte that is not UTF-8 written as U+FFFD. */
void search_snippet_html(struct buf *b, const char *s, size_t len);

#endif
