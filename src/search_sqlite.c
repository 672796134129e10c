/* search_sqlite.c - search on SQLite: an FTS5 tokenizer over search_text's
 * analysis, the language tag of indexed text, and MATCH expressions. */
#include "search_sqlite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "arena.h"
#include "buf.h"
#include "log.h"

/* A column value starts with U+E010 + its language: U+E010 English, U+E011
 * Russian, U+E012 Ukrainian. FTS5 hands a tokenizer only the text, so the
 * language travels in it. */
#define TAG_FIRST 0xE010
#define TAG_LEN 3

struct tokenizer {
	struct search_text *st;
};

struct token_ctx {
	void *fts;
	int (*token)(void *, int, const char *, int, int, int);
	size_t offset; /* bytes of the tag before the analysed text */
};

static int
tokenizer_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	struct tokenizer *t;

	(void)ctx;
	(void)argv;
	*out = NULL;
	if (argc != 0)
		return SQLITE_ERROR;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SQLITE_NOMEM;
	if ((t->st = search_text_new()) == NULL) {
		free(t);
		return SQLITE_NOMEM;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
tokenizer_delete(Fts5Tokenizer *tok)
{
	struct tokenizer *t = (struct tokenizer *)tok;

	if (t == NULL)
		return;
	search_text_free(t->st);
	free(t);
}

/* Returns the language of a tagged value, or -1 when it has no tag. */
static int
tag_lang(const char *text, size_t len)
{
	int32_t i = 0;
	UChar32 c;

	if (len < TAG_LEN)
		return -1;
	U8_NEXT((const uint8_t *)text, i, (int32_t)len, c);
	if (c < TAG_FIRST || c >= TAG_FIRST + SEARCH_LANG__MAX)
		return -1;
	return c - TAG_FIRST;
}

static int
tokenizer_term(void *ctx, const char *term, size_t len, size_t start, size_t end)
{
	struct token_ctx *c = ctx;

	return c->token(c->fts, 0, term, (int)len, (int)(start + c->offset),
	    (int)(end + c->offset));
}

static int
tokenizer_tokenize(Fts5Tokenizer *tok, void *fts, int flags, const char *text,
    int n, int (*token)(void *, int, const char *, int, int, int))
{
	struct tokenizer *t = (struct tokenizer *)tok;
	struct token_ctx c = { fts, token, TAG_LEN };
	int lang, rc;

	if (n <= 0)
		return SQLITE_OK;
	/* A query's terms come from search_sqlite_match(), already analysed
	 * for the language they are meant for: each is taken as it is. */
	if (flags & FTS5_TOKENIZE_QUERY)
		return token(fts, 0, text, n, 0, n);
	if ((lang = tag_lang(text, (size_t)n)) < 0) {
		/* A document must say its language; highlight() of an untagged
		 * value only needs the word boundaries. */
		if (flags & FTS5_TOKENIZE_DOCUMENT) {
			log_error("search", "event=untagged_document");
			return SQLITE_ERROR;
		}
		lang = SEARCH_LANG_EN;
		c.offset = 0;
	}
	rc = search_text_terms(t->st, (enum search_lang)lang, text + c.offset,
	    (size_t)n - c.offset, tokenizer_term, &c);
	return rc < 0 ? SQLITE_ERROR : rc;
}

int
search_sqlite_register(sqlite3 *db)
{
	static fts5_tokenizer tokenizer = {
		tokenizer_create,
		tokenizer_delete,
		tokenizer_tokenize,
	};
	sqlite3_stmt *st = NULL;
	fts5_api *api = NULL;
	int rc;

	/* The documented way to reach FTS5's API: its fts5() function writes
	 * the pointer through a bound pointer of type "fts5_api_ptr". */
	if ((rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL)) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	if ((rc = sqlite3_finalize(st)) != SQLITE_OK)
		goto fail;
	st = NULL;
	if (api == NULL || api->iVersion < 2)
		goto fail;
	if ((rc = api->xCreateTokenizer(api, SEARCH_SQLITE_TOKENIZER, NULL,
		 &tokenizer, NULL)) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(st);
	log_error("search", "event=fts5_register_failed rc=%d err=\"%s\"", rc,
	    sqlite3_errmsg(db));
	return -1;
}

char *
search_sqlite_document(struct arena *a, enum search_lang lang, const char *text,
    size_t len, size_t *outlen)
{
	const uint8_t *s = (const uint8_t *)text;
	char *out;
	int32_t i = 0, start, o;
	UChar32 c;

	if (len > SEARCH_TEXT_MAX ||
	    (out = arena_alloc(a, len + TAG_LEN + 1)) == NULL)
		return NULL;
	o = 0;
	U8_APPEND_UNSAFE(out, o, TAG_FIRST + (UChar32)lang);
	while (i < (int32_t)len) {
		start = i;
		U8_NEXT(s, i, (int32_t)len, c);
		if (c < 0)
			return NULL;
		if (c >= SEARCH_RESERVED_FIRST && c <= SEARCH_RESERVED_LAST)
			continue;
		memcpy(out + o, text + start, (size_t)(i - start));
		o += i - start;
	}
	out[o] = '\0';
	*outlen = (size_t)o;
	return out;
}

/* Appends term as an FTS5 string: in double quotes, each '"' doubled. */
static void
match_quote(struct buf *b, const char *term, size_t len)
{
	size_t i, from = 0;

	buf_putc(b, '"');
	for (i = 0; i < len; i++) {
		if (term[i] != '"')
			continue;
		buf_append(b, term + from, i - from + 1);
		buf_putc(b, '"');
		from = i + 1;
	}
	buf_append(b, term + from, len - from);
	buf_putc(b, '"');
}

char *
search_sqlite_match(struct arena *a, const struct search_query *q)
{
	static const struct search_syntax fts5 = { " AND ", " OR ", " *",
		match_quote };

	return search_query_write(a, q, &fts5);
}
