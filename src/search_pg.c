/* search_pg.c - search on PostgreSQL: tsvector and tsquery literals from
 * search_text's analysis, so both backends index and look for the same
 * terms. */
#include "search_pg.h"

#include "arena.h"
#include "buf.h"

#define POS_MAX 16383 /* PostgreSQL's largest tsvector position */

/* Appends term as a quoted tsvector or tsquery lexeme: ' and \ escaped. */
static void
lexeme_quote(struct buf *b, const char *term, size_t len)
{
	size_t i, from = 0;

	buf_putc(b, '\'');
	for (i = 0; i < len; i++) {
		if (term[i] != '\'' && term[i] != '\\')
			continue;
		buf_append(b, term + from, i - from);
		buf_putc(b, term[i] == '\'' ? '\'' : '\\');
		from = i;
	}
	buf_append(b, term + from, len - from);
	buf_putc(b, '\'');
}

struct vector_ctx {
	struct buf *b;
	unsigned pos;
	char weight;
};

static int
vector_term(void *ctx, const char *term, size_t len, size_t start, size_t end)
{
	struct vector_ctx *c = ctx;

	(void)start;
	(void)end;
	if (c->pos < POS_MAX)
		c->pos++;
	if (c->b->len > 0)
		buf_putc(c->b, ' ');
	lexeme_quote(c->b, term, len);
	buf_printf(c->b, ":%u%c", c->pos, c->weight);
	return 0;
}

char *
search_pg_tsvector(struct arena *a, struct search_text *st,
    enum search_lang lang, const struct search_field *f, size_t n)
{
	struct buf b;
	struct vector_ctx c = { &b, 0, 'D' };
	char *out = NULL;
	size_t i;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		if (f[i].weight < 'A' || f[i].weight > 'D')
			goto fail;
		c.weight = f[i].weight;
		if (search_text_terms(st, lang, f[i].text, f[i].len,
			vector_term, &c) != 0)
			goto fail;
	}
	if (buf_ok(&b))
		out = b.len > 0 ? arena_strndup(a, b.data, b.len) :
				  arena_strdup(a, "");
fail:
	buf_reset(&b);
	return out;
}

char *
search_pg_tsquery(struct arena *a, const struct search_query *q)
{
	static const struct search_syntax tsquery = { " & ", " | ", ":*",
		lexeme_quote };

	return search_query_write(a, q, &tsquery);
}
