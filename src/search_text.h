/* search_text.h - the words of a text for search in en, ru and uk: the one
 * analysis that both the index and the query go through. */
#ifndef HOLOS_SEARCH_TEXT_H
#define HOLOS_SEARCH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct buf;

/* The languages a document can be analysed in; each has its own terms. */
enum search_lang {
	SEARCH_LANG_EN,
	SEARCH_LANG_RU,
	SEARCH_LANG_UK,
	SEARCH_LANG__MAX
};

/* Private-use code points holos reserves in search text (U+E000-U+E0FF):
 * the highlight markers of a snippet and the language tag of an indexed
 * column. They are never part of a word, and user text loses them before
 * it is indexed or shown, so a marker always comes from holos. */
#define SEARCH_MARK_OPEN "\xEE\x80\x80"	 /* U+E000, before a matched word */
#define SEARCH_MARK_CLOSE "\xEE\x80\x81" /* U+E001, after it */
#define SEARCH_MARK_LEN 3		 /* bytes of either marker */
#define SEARCH_RESERVED_FIRST 0xE000
#define SEARCH_RESERVED_LAST 0xE0FF

#define SEARCH_WORD_MAX 64    /* code points of a word kept; the rest is cut */
#define SEARCH_QUERY_WORDS 32 /* distinct words of a query looked at */
#define SEARCH_TEXT_MAX (16 << 20) /* bytes of one text analysed */

/* Returns the language of a BCP 47 code ("en", "ru", "uk"), or -1 for a
 * language search has no analysis for. */
int search_lang_from_code(const char *code);

/* Returns the code of lang ("en"). */
const char *search_lang_code(enum search_lang lang);

/* An analyser: ICU's word break iterator and the Snowball stemmers. Not
 * thread-safe: one per thread (or per database connection). */
struct search_text;

/* Returns a new analyser, or NULL (logged) when ICU or libstemmer fails or
 * memory is short. Free with search_text_free(). */
struct search_text *search_text_new(void);

/* Frees an analyser. NULL is a no-op. */
void search_text_free(struct search_text *st);

/* Called for each word of a text with its term (not NUL-terminated, valid
 * only during the call) and the word's byte range [start, end) in the text.
 * A non-zero return stops the analysis, which returns that value. */
typedef int (*search_term_fn)(void *ctx, const char *term, size_t len,
    size_t start, size_t end);

/* Analyses UTF-8 text (len bytes) of a document in lang and calls fn for
 * each word, in order. A term is the language's code, ':', and the word
 * folded (NFKC case folding; apostrophes, stress marks and the diaeresis of
 * ё dropped), cut at SEARCH_WORD_MAX code points, and stemmed by the
 * language's Snowball stemmer when it has one ("ru:троллейбус" for
 * "Троллейбусов", "uk:вязнів" for "в’язнів"). Returns 0; -1 when the text is
 * not valid UTF-8, longer than SEARCH_TEXT_MAX, or ICU or memory fails
 * (logged; words before the failure may have been reported); or what fn
 * returned to stop. */
int search_text_terms(struct search_text *st, enum search_lang lang,
    const char *text, size_t len, search_term_fn fn, void *ctx);

/* One word of a query: its term for documents of each language, and
 * whether that term is matched as a prefix of a document's term (the
 * languages without a stemmer) or whole. */
struct search_word {
	const char *form[SEARCH_LANG__MAX];
	bool prefix[SEARCH_LANG__MAX];
};

/* A query: its distinct words, each of which a document must contain. */
struct search_query {
	struct search_word *words;
	size_t nwords;
	bool truncated; /* words past SEARCH_QUERY_WORDS were left out */
};

enum search_status {
	SEARCH_OK,
	SEARCH_EMPTY,	/* no word in it: nothing to look for */
	SEARCH_INVALID, /* not UTF-8: the reader's fault (400) */
	SEARCH_ERROR,	/* ICU, libstemmer or memory failed (logged) */
	SEARCH__MAX
};

/* Reads a query typed by a reader (len bytes, any content) into out, its
 * memory from arena a. The query's language is unknown, so each word gets a
 * form for every language: a document matches a word when its own
 * language's form does. Every character of the query that is not part of a
 * word is dropped, so the words carry no search syntax. Returns SEARCH_OK,
 * or SEARCH_EMPTY, SEARCH_INVALID or SEARCH_ERROR with out empty. */
enum search_status search_query_parse(struct arena *a, const char *q,
    size_t len, struct search_query *out);

/* How a backend's query language writes a query's terms. */
struct search_syntax {
	const char *and_word; /* between two words: " AND " */
	const char *or_form;  /* between a word's forms: " OR " */
	const char *prefix;   /* after a form matched as a prefix: " *" */
	/* Appends a term (len bytes) quoted, so nothing in it is syntax. */
	void (*quote)(struct buf *b, const char *term, size_t len);
};

/* Returns query q (as search_query_parse() made it with SEARCH_OK) written
 * in syntax s, from arena a: each word an OR of its quoted forms in
 * parentheses, the words joined by AND. Returns NULL when memory is short
 * or q has no words. */
char *search_query_write(struct arena *a, const struct search_query *q,
    const struct search_syntax *s);

/* Returns whether a document term (as search_text_terms() reports it, for a
 * document in lang) matches word w. */
bool search_word_matches(const struct search_word *w, enum search_lang lang,
    const char *term, size_t len);

/* Returns the number of code points kept of a word of n code points when it
 * is matched as a prefix: the whole word up to 4, then all but the last two
 * but never fewer than 4 ("вязні" and "вязнів" keep "вязн"). */
size_t search_prefix_len(size_t n);

#endif
