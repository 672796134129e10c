/* markdown.h - petition text to HTML through cmark, in safe mode. */
#ifndef HOLOS_MARKDOWN_H
#define HOLOS_MARKDOWN_H

#include <stddef.h>

#include "buf.h"

/* Appends the HTML for Markdown src to out. Raw HTML in the source never
 * passes through (cmark's safe mode replaces it with a comment) and
 * javascript:, vbscript:, file: and data: links other than images are
 * dropped. Returns 0, or -1 when out of memory. */
int markdown_render(const char *src, size_t len, struct buf *out);

/* The same for mail: each image becomes a link to it (its alt text, or the
 * address, as the link's text), so a mail loads nothing from elsewhere
 * when it is opened (no tracking pixels). Returns 0, or -1 when out of
 * memory. */
int markdown_render_mail(const char *src, size_t len, struct buf *out);

/* Appends at most max bytes of plain text from Markdown src to out, for
 * meta descriptions: the first paragraph, whitespace folded; a longer one is
 * cut at a word and ends with an ellipsis (counted in max). Returns 0, or -1
 * when out of memory. */
int markdown_summary(const char *src, size_t len, size_t max, struct buf *out);

/* Appends Markdown src as plain text to out, for the text part of mail:
 * paragraphs apart by a blank line, list items after "- " or "N. ",
 * emphasis and raw HTML dropped, a link's address after its words in
 * parentheses. Ends with a newline. Returns 0, or -1 when out of memory. */
int markdown_text(const char *src, size_t len, struct buf *out);

#endif
