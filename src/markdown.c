/* markdown.c - petition text to HTML through cmark, in safe mode. */
#include "markdown.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

int
markdown_render(const char *src, size_t len, struct buf *out)
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

int
markdown_summary(const char *src, size_t len, size_t max, struct buf *out)
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
