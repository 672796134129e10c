/* search_pg.h - search on PostgreSQL: a document's tsvector and a query's
 * tsquery, as literals made by search_text's analysis. */
#ifndef HOLOS_SEARCH_PG_H
#define HOLOS_SEARCH_PG_H

#include <stddef.h>

#include "search_text.h"

struct arena;

/* One column of a document and the weight of its words in the ranking:
 * 'A' (title), 'B' (addressees), 'C' (text) or 'D'. */
struct search_field {
	const char *text;
	size_t len;
	char weight;
};

/* Returns the tsvector literal (for $n::tsvector) of a document in lang
 * made of n fields, from arena a: each word's term with its position
 * (counted on across the fields, at most 16383) and its field's weight.
 * PostgreSQL merges a term's positions (keeping the first 256). Returns ""
 * for a document without words; NULL when a field is not UTF-8, a weight is
 * not A-D, or the analysis or memory fails. */
char *search_pg_tsvector(struct arena *a, struct search_text *st,
    enum search_lang lang, const struct search_field *f, size_t n);

/* Returns the tsquery literal (for $n::tsquery) of query q (as
 * search_query_parse() made it with SEARCH_OK), from arena a: the same
 * words and forms as search_sqlite_match(), 'uk:вязн':* for a prefix, OR
 * within a word and AND between words. Every term is quoted, so nothing of
 * the reader's text is tsquery syntax. Returns NULL when memory is short or
 * q has no words. */
char *search_pg_tsquery(struct arena *a, const struct search_query *q);

#endif
