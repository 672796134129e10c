/* search_text.c - the words of a text for search: ICU word boundaries and
 * case folding, apostrophes, and Snowball stems (or prefixes). */
#include "search_text.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "arena.h"
#include "buf.h"
#include "log.h"

/* Each language's Snowball algorithm. libstemmer has none for Ukrainian:
 * its words are indexed whole and a query word matches them as a prefix
 * (docs/search.md says why). */
static const struct {
	const char *code;
	const char *snowball; /* NULL: no stemmer, prefix matching */
} langs[SEARCH_LANG__MAX] = {
	[SEARCH_LANG_EN] = { "en", "english" },
	[SEARCH_LANG_RU] = { "ru", "russian" },
	[SEARCH_LANG_UK] = { "uk", NULL },
};

#define TERM_MAX (3 + SEARCH_WORD_MAX * 4) /* "xx:" and the word's UTF-8 */
#define PREFIX_MIN 3 /* shorter words of a prefix language match whole */

struct search_text {
	UBreakIterator *words;
	const UNormalizer2 *fold;
	struct sb_stemmer *stem[SEARCH_LANG__MAX];
	UChar *u;     /* the text in UTF-16 */
	int32_t *at;  /* byte offset in the text of each unit of u */
	size_t cap;   /* units u and at hold */
	UChar *w;     /* a word, folded */
	int32_t wcap; /* units w holds */
};

/* The characters written for the apostrophe inside a Ukrainian word (and
 * English): all are read as U+0027, which ICU keeps inside a word between
 * letters, and the folded word drops it, so "в'язні", "в’язні", "вʼязні"
 * and "вязні" are one word. */
static bool
is_apostrophe(UChar32 c)
{
	switch (c) {
	case 0x0027: /* apostrophe */
	case 0x0060: /* grave accent */
	case 0x00B4: /* acute accent */
	case 0x02B9: /* modifier letter prime */
	case 0x02BB: /* modifier letter turned comma */
	case 0x02BC: /* modifier letter apostrophe (the Ukrainian one) */
	case 0x2018: /* left single quotation mark */
	case 0x2019: /* right single quotation mark */
	case 0x201B: /* single high-reversed-9 quotation mark */
	case 0x2032: /* prime */
	case 0xFF07: /* fullwidth apostrophe */ return true;
	default: return false;
	}
}

int
search_lang_from_code(const char *code)
{
	int i;

	if (code == NULL)
		return -1;
	for (i = 0; i < SEARCH_LANG__MAX; i++)
		if (strcmp(code, langs[i].code) == 0)
			return i;
	return -1;
}

const char *
search_lang_code(enum search_lang lang)
{
	return langs[lang].code;
}

size_t
search_prefix_len(size_t n)
{
	if (n <= 4)
		return n;
	return n - 2 > 4 ? n - 2 : 4;
}

struct search_text *
search_text_new(void)
{
	struct search_text *st;
	UErrorCode e = U_ZERO_ERROR;
	int i;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto fail;
	st->words = ubrk_open(UBRK_WORD, "", NULL, 0, &e);
	if (U_FAILURE(e))
		goto fail;
	st->fold = unorm2_getNFKCCasefoldInstance(&e);
	if (U_FAILURE(e))
		goto fail;
	for (i = 0; i < SEARCH_LANG__MAX; i++) {
		if (langs[i].snowball == NULL)
			continue;
		st->stem[i] = sb_stemmer_new(langs[i].snowball, "UTF_8");
		if (st->stem[i] == NULL)
			goto fail;
	}
	return st;
fail:
	log_error("search", "event=analyser_failed icu=%s", u_errorName(e));
	search_text_free(st);
	return NULL;
}

void
search_text_free(struct search_text *st)
{
	int i;

	if (st == NULL)
		return;
	if (st->words != NULL)
		ubrk_close(st->words);
	for (i = 0; i < SEARCH_LANG__MAX; i++)
		if (st->stem[i] != NULL)
			sb_stemmer_delete(st->stem[i]);
	free(st->u);
	free(st->at);
	free(st->w);
	free(st);
}

/* Reads UTF-8 text into st->u, every apostrophe as U+0027, with the byte
 * offset of each unit in st->at (and of the end). Returns the number of
 * units, or -1 for invalid UTF-8 or no memory. */
static int32_t
text_decode(struct search_text *st, const char *text, size_t len)
{
	const uint8_t *s = (const uint8_t *)text;
	int32_t i = 0, n = 0, start;
	UChar32 c;

	/* A UTF-16 text has at most as many units as its UTF-8 has bytes. */
	if (len + 1 > st->cap) {
		UChar *u = realloc(st->u, (len + 1) * sizeof(*u));
		int32_t *at;

		if (u == NULL)
			return -1;
		st->u = u;
		if ((at = realloc(st->at, (len + 1) * sizeof(*at))) == NULL)
			return -1;
		st->at = at;
		st->cap = len + 1;
	}
	while (i < (int32_t)len) {
		start = i;
		U8_NEXT(s, i, (int32_t)len, c);
		if (c < 0)
			return -1;
		if (is_apostrophe(c))
			c = 0x27;
		if (U_IS_BMP(c)) {
			st->at[n] = start;
			st->u[n++] = (UChar)c;
		} else {
			st->at[n] = start;
			st->u[n++] = U16_LEAD(c);
			st->at[n] = start;
			st->u[n++] = U16_TRAIL(c);
		}
	}
	st->at[n] = (int32_t)len;
	return n;
}

/* Folds the word u[0, n) into st->w: NFKC case folding, then apostrophes
 * and combining diacritical marks left after composition (stress marks)
 * dropped, ё read as е, at most SEARCH_WORD_MAX code points. Writes its
 * UTF-8 to out (TERM_MAX bytes) and returns the number of code points (0:
 * nothing left), or -1 when ICU fails. */
static int
word_fold(struct search_text *st, const UChar *u, int32_t n, char *out,
    size_t *outlen)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t len, i = 0, o = 0, blen;
	int cps = 0;
	UChar32 c;

	for (;;) {
		len = unorm2_normalize(st->fold, u, n, st->w, st->wcap, &e);
		if (e != U_BUFFER_OVERFLOW_ERROR)
			break;
		free(st->w);
		st->wcap = len + 16;
		if ((st->w = malloc((size_t)st->wcap * sizeof(UChar))) == NULL) {
			st->wcap = 0;
			return -1;
		}
		e = U_ZERO_ERROR;
	}
	if (U_FAILURE(e))
		goto fail;
	while (i < len && cps < SEARCH_WORD_MAX) {
		U16_NEXT(st->w, i, len, c);
		if (c == 0x27 || (c >= 0x0300 && c <= 0x036F))
			continue;
		if (c == 0x0451) /* ё */
			c = 0x0435;
		U16_APPEND_UNSAFE(st->w, o, c);
		cps++;
	}
	e = U_ZERO_ERROR;
	u_strToUTF8(out, TERM_MAX, &blen, st->w, o, &e);
	if (U_FAILURE(e))
		goto fail;
	*outlen = (size_t)blen;
	return cps;
fail:
	log_error("search", "event=fold_failed icu=%s", u_errorName(e));
	return -1;
}

/* Called for each folded word of a text with its code points. */
typedef int (*word_fn)(struct search_text *st, void *ctx, const char *word,
    size_t len, int cps, size_t start, size_t end);

/* Splits text into words with ICU's word break rules and calls fn with each
 * folded one. Returns 0, -1 on failure, or fn's non-zero return. */
static int
text_words(struct search_text *st, const char *text, size_t len, word_fn fn,
    void *ctx)
{
	UErrorCode e = U_ZERO_ERROR;
	char word[TERM_MAX + 1];
	int32_t n, start, end;
	size_t wlen;
	int cps, rc = -1;

	if (len > SEARCH_TEXT_MAX || (n = text_decode(st, text, len)) < 0)
		return -1;
	ubrk_setText(st->words, st->u, n, &e);
	if (U_FAILURE(e))
		goto fail;
	start = ubrk_first(st->words);
	for (end = ubrk_next(st->words); end != UBRK_DONE;
	     start = end, end = ubrk_next(st->words)) {
		/* Letters, numbers, kana and ideographs are words; spaces,
		 * punctuation and symbols are not. */
		if (ubrk_getRuleStatus(st->words) < UBRK_WORD_NONE_LIMIT)
			continue;
		if ((cps = word_fold(st, st->u + start, end - start, word,
			 &wlen)) < 0)
			goto fail;
		if (cps == 0)
			continue;
		word[wlen] = '\0';
		if ((rc = fn(st, ctx, word, wlen, cps, (size_t)st->at[start],
			 (size_t)st->at[end])) != 0)
			break;
	}
	if (end == UBRK_DONE)
		rc = 0;
fail:
	if (U_FAILURE(e))
		log_error("search", "event=analysis_failed icu=%s",
		    u_errorName(e));
	/* The iterator must not keep a pointer into a buffer that moves. */
	e = U_ZERO_ERROR;
	ubrk_setText(st->words, NULL, 0, &e);
	return rc;
}

/* Writes lang's term of a folded word into out (TERM_MAX + 1 bytes): the
 * code, ':', and the stem. Returns its length, or -1 when the stemmer runs
 * out of memory. */
static int
word_term(struct search_text *st, enum search_lang lang, const char *word,
    size_t len, char *out)
{
	const sb_symbol *s = (const sb_symbol *)word;
	size_t n = len;

	if (st->stem[lang] != NULL) {
		if ((s = sb_stemmer_stem(st->stem[lang], s, (int)len)) == NULL)
			return -1;
		n = (size_t)sb_stemmer_length(st->stem[lang]);
		if (n > len) /* a stem is never longer than its word */
			n = len;
	}
	memcpy(out, langs[lang].code, 2);
	out[2] = ':';
	memcpy(out + 3, s, n);
	out[3 + n] = '\0';
	return (int)n + 3;
}

struct terms_ctx {
	enum search_lang lang;
	search_term_fn fn;
	void *ctx;
};

static int
terms_word(struct search_text *st, void *ctx, const char *word, size_t len,
    int cps, size_t start, size_t end)
{
	struct terms_ctx *c = ctx;
	char term[TERM_MAX + 1];
	int n;

	(void)cps;
	if ((n = word_term(st, c->lang, word, len, term)) < 0)
		return -1;
	return c->fn(c->ctx, term, (size_t)n, start, end);
}

int
search_text_terms(struct search_text *st, enum search_lang lang,
    const char *text, size_t len, search_term_fn fn, void *ctx)
{
	struct terms_ctx c = { lang, fn, ctx };

	return text_words(st, text, len, terms_word, &c);
}

struct query_ctx {
	struct arena *a;
	struct search_query *q;
	size_t cap;
	const char **folded; /* each word as read, to drop repeats */
	bool oom;
};

static bool
utf8_valid(const char *s, size_t len)
{
	int32_t i = 0;
	UChar32 c;

	while (i < (int32_t)len) {
		U8_NEXT((const uint8_t *)s, i, (int32_t)len, c);
		if (c < 0)
			return false;
	}
	return true;
}

/* Returns the byte length of the first n code points of UTF-8 s. */
static size_t
utf8_prefix(const char *s, size_t len, size_t n)
{
	size_t i = 0;

	while (i < len && n > 0) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		n--;
	}
	return i;
}

static int
query_word(struct search_text *st, void *ctx, const char *word, size_t len,
    int cps, size_t start, size_t end)
{
	struct query_ctx *c = ctx;
	struct search_word *w;
	char term[TERM_MAX + 1];
	size_t i;
	int l, n;

	(void)start;
	(void)end;
	for (i = 0; i < c->q->nwords; i++)
		if (strcmp(c->folded[i], word) == 0)
			return 0;
	if (c->q->nwords == SEARCH_QUERY_WORDS) {
		c->q->truncated = true;
		return 1;
	}
	w = &c->q->words[c->q->nwords];
	if ((c->folded[c->q->nwords] = arena_strndup(c->a, word, len)) == NULL)
		goto oom;
	for (l = 0; l < SEARCH_LANG__MAX; l++) {
		if (langs[l].snowball != NULL) {
			if ((n = word_term(st, l, word, len, term)) < 0)
				goto oom;
		} else {
			w->prefix[l] = cps >= PREFIX_MIN;
			n = (int)utf8_prefix(word, len,
			    search_prefix_len((size_t)cps));
			memcpy(term, langs[l].code, 2);
			term[2] = ':';
			memcpy(term + 3, word, (size_t)n);
			n += 3;
		}
		if ((w->form[l] = arena_strndup(c->a, term, (size_t)n)) == NULL)
			goto oom;
	}
	c->q->nwords++;
	return 0;
oom:
	c->oom = true;
	return -1;
}

enum search_status
search_query_parse(struct arena *a, const char *q, size_t len,
    struct search_query *out)
{
	struct query_ctx c;
	struct search_text *st = NULL;
	enum search_status ret = SEARCH_ERROR;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.q = out;
	/* Validated whole before anything is read, however long: a query
	 * past the words looked at must still be UTF-8. */
	if (len > SEARCH_TEXT_MAX || q == NULL) {
		ret = SEARCH_INVALID;
		goto fail;
	}
	if (!utf8_valid(q, len)) {
		ret = SEARCH_INVALID;
		goto fail;
	}
	out->words = arena_alloc(a, SEARCH_QUERY_WORDS * sizeof(*out->words));
	c.folded = arena_alloc(a, SEARCH_QUERY_WORDS * sizeof(*c.folded));
	if (out->words == NULL || c.folded == NULL ||
	    (st = search_text_new()) == NULL)
		goto fail;
	rc = text_words(st, q, len, query_word, &c);
	if (rc < 0 || c.oom)
		goto fail;
	search_text_free(st);
	if (out->nwords == 0) {
		memset(out, 0, sizeof(*out));
		return SEARCH_EMPTY;
	}
	return SEARCH_OK;
fail:
	search_text_free(st);
	memset(out, 0, sizeof(*out));
	return ret;
}

bool
search_word_matches(const struct search_word *w, enum search_lang lang,
    const char *term, size_t len)
{
	size_t n = strlen(w->form[lang]);

	if (w->prefix[lang] ? len < n : len != n)
		return false;
	return memcmp(term, w->form[lang], n) == 0;
}

char *
search_query_write(struct arena *a, const struct search_query *q,
    const struct search_syntax *s)
{
	struct buf b;
	char *out = NULL;
	size_t i;
	int l;

	if (q->nwords == 0)
		return NULL;
	buf_init(&b);
	for (i = 0; i < q->nwords; i++) {
		if (i > 0)
			buf_puts(&b, s->and_word);
		buf_putc(&b, '(');
		for (l = 0; l < SEARCH_LANG__MAX; l++) {
			if (l > 0)
				buf_puts(&b, s->or_form);
			s->quote(&b, q->words[i].form[l],
			    strlen(q->words[i].form[l]));
			if (q->words[i].prefix[l])
				buf_puts(&b, s->prefix);
		}
		buf_putc(&b, ')');
	}
	if (buf_ok(&b))
		out = arena_strndup(a, b.data, b.len);
	buf_reset(&b);
	return out;
}
