/* markdown.c - petition text to HTML through cmark, in safe mode. */
#include "markdown.h"

#include <cmark.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renderings kept by the hash of their source and of how they were made:
 * a petition's text is rendered for every page that cannot come from the
 * shared page (a refused form, a signed-in reader) and summarised for each
 * search result, the same few texts again and again. Sources shorter than
 * KEPT_SRC_MIN are rendered each time; renderings longer than KEPT_OUT_MAX
 * are not kept. The key is a BLAKE2b-256 of the source: a different text
 * with the same key is not to be found. */
#define KEPT_MAX 32
#define KEPT_SRC_MIN 256
#define KEPT_OUT_MAX 65536

enum kept_kind { KEPT_HTML, KEPT_SUMMARY };

static struct {
	unsigned char key[crypto_generichash_BYTES];
	char *out; /* NULL: empty */
	size_t len;
} kept[KEPT_MAX];
static unsigned kept_next; /* the next to replace */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static void
kept_key(enum kept_kind kind, size_t max, const char *src, size_t len,
    unsigned char key[crypto_generichash_BYTES])
{
	crypto_generichash_state st;
	unsigned char how[1 + sizeof(max)];

	how[0] = (unsigned char)kind;
	memcpy(how + 1, &max, sizeof(max));
	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(&st, how, sizeof(how));
	crypto_generichash_update(&st, (const unsigned char *)src, len);
	crypto_generichash_final(&st, key, crypto_generichash_BYTES);
}

/* Appends the rendering kept under key to out. Returns whether there was
 * one. */
static bool
kept_get(const unsigned char key[crypto_generichash_BYTES], struct buf *out)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&kept_lock);
	for (i = 0; i < KEPT_MAX && !found; i++)
		if (kept[i].out != NULL &&
		    memcmp(kept[i].key, key, crypto_generichash_BYTES) == 0) {
			buf_append(out, kept[i].out, kept[i].len);
			found = true;
		}
	pthread_mutex_unlock(&kept_lock);
	return found;
}

/* Keeps a copy of s[0..n) under key, in place of the oldest kept; nothing
 * when it is too long or memory is short. */
static void
kept_put(const unsigned char key[crypto_generichash_BYTES], const char *s,
    size_t n)
{
	char *copy;

	if (n > KEPT_OUT_MAX || (copy = malloc(n + 1)) == NULL)
		return;
	memcpy(copy, s, n);
	copy[n] = '\0';
	pthread_mutex_lock(&kept_lock);
	free(kept[kept_next].out);
	memcpy(kept[kept_next].key, key, crypto_generichash_BYTES);
	kept[kept_next].out = copy;
	kept[kept_next].len = n;
	kept_next = (kept_next + 1) % KEPT_MAX;
	pthread_mutex_unlock(&kept_lock);
}

static int
render_html(const char *src, size_t len, struct buf *out)
{
	char *html;

	/* CMARK_OPT_SAFE is the default since 0.29; asked for explicitly so
	 * an older library cannot turn raw HTML back on. */
	html = cmark_markdown_to_html(src, len,
	    CMARK_OPT_SAFE | CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8);
	if (html == NULL)
		return -1;
	buf_puts(out, html);
	free(html);
	return buf_ok(out) ? 0 : -1;
}

/* Replaces image by a link to the same address holding its children (its
 * alt text), or the address when it has none. Returns 0 or -1. */
static int
image_to_link(cmark_node *image)
{
	const char *url = cmark_node_get_url(image);
	cmark_node *link = cmark_node_new(CMARK_NODE_LINK), *child;

	if (link == NULL || !cmark_node_set_url(link, url ? url : ""))
		goto fail;
	while ((child = cmark_node_first_child(image)) != NULL) {
		cmark_node_unlink(child);
		if (!cmark_node_append_child(link, child)) {
			cmark_node_free(child);
			goto fail;
		}
	}
	if (cmark_node_first_child(link) == NULL) {
		cmark_node *text = cmark_node_new(CMARK_NODE_TEXT);

		if (text == NULL ||
		    !cmark_node_set_literal(text, url ? url : "") ||
		    !cmark_node_append_child(link, text)) {
			cmark_node_free(text);
			goto fail;
		}
	}
	if (!cmark_node_replace(image, link))
		goto fail;
	cmark_node_free(image);
	return 0;
fail:
	cmark_node_free(link);
	return -1;
}

int
markdown_render_mail(const char *src, size_t len, struct buf *out)
{
	const int opts =
	    CMARK_OPT_SAFE | CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8;
	cmark_node *doc, **images = NULL;
	cmark_iter *it;
	cmark_event_type ev;
	size_t n = 0, cap = 0, i;
	char *html = NULL;
	int ret = -1;

	if ((doc = cmark_parse_document(src, len, opts)) == NULL)
		return -1;
	/* Gathered first, replaced after: the iterator must not meet a
	 * node that was freed under it. */
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);

		if (ev != CMARK_EVENT_ENTER ||
		    cmark_node_get_type(node) != CMARK_NODE_IMAGE)
			continue;
		if (n == cap) {
			cmark_node **more;

			cap = cap ? 2 * cap : 8;
			if ((more = realloc(images, cap * sizeof(*more))) ==
			    NULL) {
				cmark_iter_free(it);
				goto out;
			}
			images = more;
		}
		images[n++] = node;
	}
	cmark_iter_free(it);
	for (i = 0; i < n; i++)
		if (image_to_link(images[i]) == -1)
			goto out;
	if ((html = cmark_render_html(doc, opts)) == NULL)
		goto out;
	buf_puts(out, html);
	ret = buf_ok(out) ? 0 : -1;
out:
	free(html);
	free(images);
	cmark_node_free(doc);
	return ret;
}

static void
summary_add(struct buf *out, const char *s, size_t max, int *space)
{
	for (; *s != '\0' && out->len < max; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
			*space = out->len > 0;
			continue;
		}
		if (*space) {
			buf_putc(out, ' ');
			*space = 0;
		}
		buf_putc(out, *s);
	}
}

static int
summary_make(const char *src, size_t len, size_t max, struct buf *out)
{
	cmark_node *doc, *node;
	cmark_iter *it;
	cmark_event_type ev;
	size_t start = out->len;
	int space = 0, in_para = 0, done = 0;

	if ((doc = cmark_parse_document(src, len, CMARK_OPT_DEFAULT)) == NULL)
		return -1;
	it = cmark_iter_new(doc);
	while (!done && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_PARAGRAPH:
			if (ev == CMARK_EVENT_ENTER)
				in_para = 1;
			else
				done = 1;
			break;
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			if (in_para)
				summary_add(out, cmark_node_get_literal(node),
				    start + max + 1, &space);
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK: space = 1; break;
		default: break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	if (out->len > start + max) {
		/* Cut at the last space, never inside a UTF-8 sequence, leaving
		 * room for the ellipsis (3 bytes) within max. */
		size_t cut = start + (max > 3 ? max - 3 : 0);

		while (cut > start && out->data[cut] != ' ')
			cut--;
		if (cut == start) {
			cut = start + (max > 3 ? max - 3 : 0);
			while (cut > start &&
			    ((unsigned char)out->data[cut] & 0xC0) == 0x80)
				cut--;
		}
		out->len = cut;
		out->data[cut] = '\0';
		buf_puts(out, "…");
	}
	return buf_ok(out) ? 0 : -1;
}

/* Renders src by how (render_html() or summary_make()), from the kept
 * renderings when it is one of them. */
static int
render_kept(enum kept_kind kind, const char *src, size_t len, size_t max,
    struct buf *out)
{
	unsigned char key[crypto_generichash_BYTES];
	size_t start = out->len;
	bool keep = len >= KEPT_SRC_MIN && buf_ok(out);
	int ret;

	if (keep) {
		kept_key(kind, max, src, len, key);
		if (kept_get(key, out))
			return buf_ok(out) ? 0 : -1;
	}
	ret = kind == KEPT_HTML ? render_html(src, len, out) :
				  summary_make(src, len, max, out);
	if (keep && ret == 0 && buf_ok(out))
		kept_put(key, out->data + start, out->len - start);
	return ret;
}

int
markdown_render(const char *src, size_t len, struct buf *out)
{
	return render_kept(KEPT_HTML, src, len, 0, out);
}

int
markdown_summary(const char *src, size_t len, size_t max, struct buf *out)
{
	return render_kept(KEPT_SUMMARY, src, len, max, out);
}

/* Where markdown_text() is in the document: lists and their numbers. */
struct text_state {
	struct buf *out;
	int depth;	/* list nesting */
	int number[8];	/* the next item's number, 0 in a bullet list */
	int blank;	/* blank lines owed before the next block */
	int line_start; /* nothing written on the current line yet */
};

static void
text_block(struct text_state *ts)
{
	if (ts->out->len > 0 && !ts->line_start)
		buf_putc(ts->out, '\n');
	if (ts->out->len > 0 && ts->blank)
		buf_putc(ts->out, '\n');
	ts->blank = 0;
	ts->line_start = 1;
}

static void
text_put(struct text_state *ts, const char *s)
{
	if (*s == '\0')
		return;
	if (ts->line_start && ts->depth > 0) {
		int i;

		for (i = 1; i < ts->depth; i++)
			buf_puts(ts->out, "   ");
	}
	buf_puts(ts->out, s);
	ts->line_start = 0;
}

int
markdown_text(const char *src, size_t len, struct buf *out)
{
	struct text_state ts = { .out = out, .line_start = 1 };
	cmark_node *doc, *node;
	cmark_iter *it;
	cmark_event_type ev;

	if ((doc = cmark_parse_document(src, len,
		 CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8)) == NULL)
		return -1;
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		bool enter = ev == CMARK_EVENT_ENTER;
		const char *url;

		node = cmark_iter_get_node(it);
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
		case CMARK_NODE_BLOCK_QUOTE:
			if (enter) {
				/* A list item's first paragraph follows its
				 * marker on the same line. */
				if (cmark_node_parent(node) == NULL ||
				    cmark_node_get_type(cmark_node_parent(
					node)) != CMARK_NODE_ITEM ||
				    cmark_node_previous(node) != NULL)
					text_block(&ts);
			} else
				ts.blank = ts.depth == 0;
			break;
		case CMARK_NODE_LIST:
			if (enter) {
				if (ts.depth < 8)
					ts.number[ts.depth] =
					    cmark_node_get_list_type(node) ==
						CMARK_ORDERED_LIST ?
					    cmark_node_get_list_start(node) :
					    0;
				ts.depth++;
				if (ts.depth == 1)
					text_block(&ts);
			} else {
				ts.depth--;
				ts.blank = ts.depth == 0;
			}
			break;
		case CMARK_NODE_ITEM:
			if (!enter)
				break;
			if (!ts.line_start)
				buf_putc(out, '\n');
			ts.line_start = 1;
			if (ts.depth <= 8 && ts.number[ts.depth - 1] > 0) {
				char n[16];

				snprintf(n, sizeof(n), "%d. ",
				    ts.number[ts.depth - 1]++);
				text_put(&ts, n);
			} else
				text_put(&ts, "- ");
			break;
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
			text_block(&ts);
			if (cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK)
				text_put(&ts, cmark_node_get_literal(node));
			ts.blank = 1;
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			text_block(&ts);
			text_put(&ts, "----");
			ts.blank = 1;
			break;
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			text_put(&ts, cmark_node_get_literal(node));
			break;
		case CMARK_NODE_SOFTBREAK: text_put(&ts, " "); break;
		case CMARK_NODE_LINEBREAK:
			buf_putc(out, '\n');
			ts.line_start = 1;
			break;
		case CMARK_NODE_LINK:
			/* The address after the words, unless they are it. */
			url = cmark_node_get_url(node);
			if (!enter && url != NULL && *url != '\0' &&
			    !(cmark_node_first_child(node) != NULL &&
				cmark_node_get_literal(
				    cmark_node_first_child(node)) != NULL &&
				strcmp(cmark_node_get_literal(
					   cmark_node_first_child(node)),
				    url) == 0)) {
				text_put(&ts, " (");
				text_put(&ts, url);
				text_put(&ts, ")");
			}
			break;
		default: break; /* emphasis, strong, inline HTML: words only */
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	if (!ts.line_start)
		buf_putc(out, '\n');
	return buf_ok(out) ? 0 : -1;
}
