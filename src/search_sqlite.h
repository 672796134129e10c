/* search_sqlite.h - search on SQLite: the FTS5 tokenizer "holos" and the
 * MATCH expression of a query. */
#ifndef HOLOS_SEARCH_SQLITE_H
#define HOLOS_SEARCH_SQLITE_H

#include <sqlite3.h>
#include <stddef.h>

#include "search_text.h"

struct arena;

/* The name to give FTS5 tables: tokenize = 'holos'. */
#define SEARCH_SQLITE_TOKENIZER "holos"

/* Registers the FTS5 tokenizer "holos" on connection db; every connection
 * that reads or writes a table using it must have it. Returns 0, or -1
 * (logged) when this SQLite has no FTS5 or memory is short. */
int search_sqlite_register(sqlite3 *db);

/* Returns the value to store in an indexed column for text (len bytes) of a
 * document in lang, from arena a, its length in *outlen: a language tag (one
 * reserved code point, which the tokenizer reads to choose the analysis)
 * then the text without holos's reserved code points. The table's
 * snippet() and highlight() return the tag too: search_snippet_html()
 * drops it. Returns NULL when text is not UTF-8 or memory is short. */
char *search_sqlite_document(struct arena *a, enum search_lang lang,
    const char *text, size_t len, size_t *outlen);

/* Returns the FTS5 MATCH expression of query q (as search_query_parse()
 * made it with SEARCH_OK), from arena a: each word a parenthesised OR of its
 * forms, each quoted ("uk:вязн" * where it is a prefix), the words joined
 * by AND. Nothing of the reader's text is outside a quoted term, so none of
 * it can act as FTS5 syntax. Returns NULL when memory is short or q has no
 * words. */
char *search_sqlite_match(struct arena *a, const struct search_query *q);

#endif
