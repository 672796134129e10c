/* deliver.c - the delivery pack as a PDF, drawn with cairo and pango and
 * written page by page. */
#include "deliver.h"

#include <cairo-pdf.h>
#include <cmark.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "draw.h"
#include "i18n.h"
#include "log.h"
#include "qr.h"

/* A4 in points, 2 cm margins; the footer sits in the bottom margin. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define LEFT 56.7
#define RIGHT (PAGE_W - 56.7)
#define WIDTH (RIGHT - LEFT)
#define TOP 56.7
#define BOTTOM (PAGE_H - 70)
#define FOOTER_Y (PAGE_H - 48)

#define INK 0x1b2129   /* --ink */
#define MUTED 0x4b5563 /* --muted */
#define LINE 0xd3d9e0  /* --line */
#define BAR 0x15324f   /* --brand */

#define BODY_PT 10.5
#define SMALL_PT 8.5
#define ROW_PT 9
#define QR_SIDE 110.0

/* The chart's most bars: more days share a bar. */
#define CHART_BARS 180
#define CHART_H 170.0
#define DAY 86400

/* Deepest indent of nested lists and quotes, in points. */
#define INDENT_MAX 120.0

/* The signers' table: number, name, country, date; the comment under the
 * name. */
#define COL_NUM 0.0
#define COL_NUM_W 48.0
#define COL_NAME 56.0
#define COL_NAME_W 200.0
#define COL_COUNTRY 264.0
#define COL_COUNTRY_W 140.0
#define COL_DATE 412.0
#define COMMENT_LINES 8

static const char *const status_text[DELIVER__MAX] = {
	[DELIVER_OK] = "ok",
	[DELIVER_BAD_INPUT] = "bad input (language, title or URL)",
	[DELIVER_SIGNERS] = "cannot read the signers",
	[DELIVER_WRITE] = "cannot write the PDF",
	[DELIVER_FAILED] = "cannot draw the PDF (cairo, pango or memory)",
};

const char *
deliver_status_text(enum deliver_status s)
{
	return (unsigned)s < DELIVER__MAX ? status_text[s] : "unknown status";
}

/* The document being written. */
struct pdf {
	const struct deliver_pack *p;
	deliver_write_fn write;
	void *write_ctx;
	bool write_failed;
	cairo_surface_t *surface;
	cairo_t *cr;
	struct arena *page_arena; /* strings of the current page */
	int page;		  /* 1-based, the page being drawn */
	double y;		  /* top of the free space */
	double indent;		  /* of the Markdown blocks */
	int64_t signers;
	bool in_signers; /* page breaks repeat the table's header */
	PangoLayout *text, *small, *row_num, *row_name, *row_country, *row_date,
	    *row_comment;
	/* A million rows name few countries and days: their cells are
	 * laid out once each. */
	PangoLayout *country_cell[26 * 26];
	char row_date_text[16];
};

static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf *d = closure;

	if (d->write_failed || d->write(d->write_ctx, data, len) == -1) {
		d->write_failed = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

static const char *
text(struct pdf *d, const char *key)
{
	const char *s = i18n_text(d->p->lang, key);

	return s != NULL ? s : key;
}

/* A catalogue message with one number, in the page's arena; the key
 * itself if it cannot be formatted (logged by i18n). */
static const char *
format_n(struct pdf *d, const char *key, const char *name, double n)
{
	struct msgfmt_arg a = MSGFMT_NUM(name, n);
	const char *s = i18n_format(d->page_arena, d->p->lang, key, &a, 1);

	return s != NULL ? s : key;
}

static void
iso_date(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		strcpy(out, "?");
}

static void
pdf_footer(struct pdf *d)
{
	PangoLayout *l = d->small;
	const char *page = format_n(d, "deliver_page", "n", d->page);
	int w, h;

	draw_rgb(d->cr, LINE, 1);
	cairo_set_line_width(d->cr, 0.5);
	cairo_move_to(d->cr, LEFT, FOOTER_Y - 6);
	cairo_line_to(d->cr, RIGHT, FOOTER_Y - 6);
	cairo_stroke(d->cr);
	draw_rgb(d->cr, MUTED, 1);
	pango_layout_set_text(l, page, -1);
	pango_layout_get_size(l, &w, &h);
	cairo_move_to(d->cr, RIGHT - (double)w / PANGO_SCALE, FOOTER_Y);
	pango_cairo_show_layout(d->cr, l);
	/* The title beside the page number, cut to fit. */
	pango_layout_set_width(l, (int)((WIDTH - 24) * PANGO_SCALE) - w);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(l, d->p->title, -1);
	cairo_move_to(d->cr, LEFT, FOOTER_Y);
	pango_cairo_show_layout(d->cr, l);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_NONE);
	pango_layout_set_width(l, -1);
}

static void signers_header(struct pdf *d);

/* Finishes the page (footer, out to the stream) and starts the next.
 * Returns 0, or -1 when cairo or the stream failed. */
static int
page_break(struct pdf *d)
{
	struct deliver_progress pr;

	pdf_footer(d);
	cairo_show_page(d->cr);
	if (d->write_failed || cairo_status(d->cr) != CAIRO_STATUS_SUCCESS)
		return -1;
	/* The page's strings go with it. */
	arena_free(d->page_arena);
	if ((d->page_arena = arena_new()) == NULL)
		return -1;
	if (d->p->progress != NULL) {
		pr.pages = d->page;
		pr.signers = d->signers;
		d->p->progress(d->p->progress_ctx, &pr);
	}
	d->page++;
	d->y = TOP;
	if (d->in_signers)
		signers_header(d);
	return 0;
}

/* Makes room for h points, breaking the page when they do not fit (and
 * something is on this page already). */
static int
need(struct pdf *d, double h)
{
	if (d->y + h > BOTTOM && d->y > TOP + 1)
		return page_break(d);
	return 0;
}

/* Draws layout l at x, line by line from the current y, breaking pages
 * between lines. */
static int
flow(struct pdf *d, PangoLayout *l, double x)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	int rc = 0;

	do {
		PangoRectangle log;
		double h, base;

		pango_layout_iter_get_line_extents(it, NULL, &log);
		h = (double)log.height / PANGO_SCALE;
		base = (double)(pango_layout_iter_get_baseline(it) - log.y) /
		    PANGO_SCALE;
		if ((rc = need(d, h)) == -1)
			break;
		cairo_move_to(d->cr, x + (double)log.x / PANGO_SCALE,
		    d->y + base);
		pango_cairo_show_layout_line(d->cr,
		    pango_layout_iter_get_line_readonly(it));
		d->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	return rc;
}

/* Sets the text layout to a block of plain text or Pango markup at size
 * pt and weight, wrapped to width; returns it. */
static PangoLayout *
block_set(struct pdf *d, const char *s, bool markup, const char *family,
    PangoWeight weight, double pt, double width)
{
	PangoFontDescription *fd = pango_font_description_new();
	PangoLayout *l = d->text;

	pango_font_description_set_family(fd, family);
	pango_font_description_set_weight(fd, weight);
	pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	if (markup)
		pango_layout_set_markup(l, s, -1);
	else
		pango_layout_set_text(l, s, -1);
	return l;
}

/* block_set(), then the block at x from the current y, and space after
 * it. */
static int
block(struct pdf *d, const char *s, bool markup, const char *family,
    PangoWeight weight, double pt, double x, double width, double after)
{
	if (flow(d, block_set(d, s, markup, family, weight, pt, width), x) == -1)
		return -1;
	d->y += after;
	return 0;
}

static int
pdf_heading(struct pdf *d, const char *s, double pt)
{
	/* Never alone at the foot of a page. */
	if (need(d, pt * 1.3 + 4 * BODY_PT * 1.2) == -1)
		return -1;
	draw_rgb(d->cr, INK, 1);
	return block(d, s, false, DRAW_SANS, PANGO_WEIGHT_BOLD, pt, LEFT, WIDTH,
	    pt * 0.6);
}

/* --- the cover ------------------------------------------------------- */

/* A QR code with its caption and URL (and, for the log, its root)
 * beside it, at the current y. */
static int
cover_qr(struct pdf *d, const char *url, const char *caption, const char *root)
{
	struct qr q;
	double y0 = d->y, x = LEFT + QR_SIDE + 14, w = WIDTH - QR_SIDE - 14;

	if (qr_encode(&q, url, strlen(url)) != QR_OK)
		return -1;
	qr_draw(&q, d->cr, LEFT, y0, QR_SIDE);
	qr_free(&q);
	d->y = y0 + 8;
	draw_rgb(d->cr, INK, 1);
	if (block(d, caption, false, DRAW_SANS, PANGO_WEIGHT_BOLD, BODY_PT, x,
		w, 4) == -1)
		return -1;
	pango_layout_set_wrap(d->text, PANGO_WRAP_CHAR);
	if (block(d, url, false, DRAW_MONO, PANGO_WEIGHT_NORMAL, SMALL_PT, x, w,
		4) == -1)
		return -1;
	if (root != NULL) {
		draw_rgb(d->cr, MUTED, 1);
		if (block(d,
			format_n(d, "deliver_root", "size",
			    (double)d->p->log_size),
			false, DRAW_SANS, PANGO_WEIGHT_NORMAL, SMALL_PT, x, w,
			2) == -1 ||
		    block(d, root, false, DRAW_MONO, PANGO_WEIGHT_NORMAL,
			SMALL_PT, x, w, 0) == -1)
			return -1;
	}
	pango_layout_set_wrap(d->text, PANGO_WRAP_WORD_CHAR);
	if (d->y < y0 + QR_SIDE)
		d->y = y0 + QR_SIDE;
	d->y += 14;
	return 0;
}

static int
pdf_cover(struct pdf *d)
{
	const struct deliver_pack *p = d->p;
	struct msgfmt_arg a = MSGFMT_NUM("count", p->count);
	const char *s;
	size_t i;

	draw_rgb(d->cr, MUTED, 1);
	if (block(d, p->site_name, false, DRAW_SANS, PANGO_WEIGHT_NORMAL,
		SMALL_PT + 1, LEFT, WIDTH, 18) == -1 ||
	    block(d, text(d, "deliver_kicker"), false, DRAW_SANS,
		PANGO_WEIGHT_BOLD, 11, LEFT, WIDTH, 6) == -1)
		return -1;
	draw_rgb(d->cr, INK, 1);
	if (block(d, p->title, false, DRAW_SANS, PANGO_WEIGHT_BOLD, 24, LEFT,
		WIDTH, 22) == -1)
		return -1;
	if (p->nto > 0) {
		draw_rgb(d->cr, MUTED, 1);
		if (block(d, text(d, "deliver_to"), false, DRAW_SANS,
			PANGO_WEIGHT_BOLD, SMALL_PT + 1, LEFT, WIDTH, 4) == -1)
			return -1;
		draw_rgb(d->cr, INK, 1);
		for (i = 0; i < p->nto; i++) {
			const char *desc = p->to[i].description;
			char *m;
			int rc;

			m = desc != NULL && desc[0] != '\0' ?
			    g_markup_printf_escaped("<b>%s</b> — %s",
				p->to[i].name, desc) :
			    g_markup_printf_escaped("<b>%s</b>", p->to[i].name);
			rc = block(d, m, true, DRAW_SANS, PANGO_WEIGHT_NORMAL,
			    12, LEFT, WIDTH, 4);
			g_free(m);
			if (rc == -1)
				return -1;
		}
		d->y += 18;
	}
	if ((s = i18n_format(d->page_arena, p->lang, "deliver_count", &a, 1)) ==
		NULL ||
	    block(d, s, false, DRAW_SANS, PANGO_WEIGHT_BOLD, 30, LEFT, WIDTH,
		4) == -1)
		return -1;
	draw_rgb(d->cr, MUTED, 1);
	if ((s = i18n_format(d->page_arena, p->lang, "deliver_count_words", &a,
		 1)) == NULL ||
	    block(d, s, false, DRAW_SANS, PANGO_WEIGHT_NORMAL, 12, LEFT, WIDTH,
		10) == -1)
		return -1;
	a = (struct msgfmt_arg){ .name = "date",
		.type = MSGFMT_DATE,
		.num = (double)p->made_at * 1000 };
	if ((s = i18n_format(d->page_arena, p->lang, "deliver_date", &a, 1)) ==
		NULL ||
	    block(d, s, false, DRAW_SANS, PANGO_WEIGHT_NORMAL, 12, LEFT, WIDTH,
		28) == -1)
		return -1;
	if (need(d, QR_SIDE + 14) == -1 ||
	    cover_qr(d, p->url, text(d, "deliver_qr_page"), NULL) == -1)
		return -1;
	if (p->verify_url != NULL &&
	    (need(d, QR_SIDE + 14) == -1 ||
		cover_qr(d, p->verify_url, text(d, "deliver_qr_verify"),
		    p->log_root) == -1))
		return -1;
	return 0;
}

/* --- the petition's text: cmark's tree laid out with pango ------------ */

struct md {
	struct pdf *d;
	struct buf inl;	    /* the open block's inline markup */
	int list_n[16];	    /* next number of each open ordered list, 0
			     * for bullets */
	bool tight[16];	    /* each open list's */
	int depth;	    /* open lists */
	const char *bullet; /* for the item's first paragraph */
	char num[16];
};

static void
md_escape(struct buf *b, const char *s)
{
	char *e;

	if (s == NULL)
		return;
	e = g_markup_escape_text(s, -1);
	buf_puts(b, e);
	g_free(e);
}

static bool
link_printable(const char *url)
{
	return url != NULL &&
	    (strncmp(url, "http://", 7) == 0 ||
		strncmp(url, "https://", 8) == 0 ||
		strncmp(url, "mailto:", 7) == 0);
}

/* Lays out the open block's inline markup at the current indent, with the
 * item's bullet beside its first line. */
static int
md_flush(struct md *m, const char *family, PangoWeight weight, double pt,
    double after)
{
	struct pdf *d = m->d;
	double x = LEFT + d->indent;
	PangoLayout *l;

	if (!buf_ok(&m->inl))
		return -1;
	if (m->inl.len == 0)
		return 0;
	l = block_set(d, m->inl.data, true, family, weight, pt,
	    WIDTH - d->indent);
	if (m->bullet != NULL) {
		PangoLayout *b = d->small;
		int w;

		/* Drawn first, on the first line's baseline, right-aligned
		 * before x: that line may not share a page with the last. */
		if (need(d, pt * 1.3) == -1)
			return -1;
		pango_layout_set_text(b, m->bullet, -1);
		pango_layout_get_size(b, &w, NULL);
		draw_rgb(d->cr, INK, 1);
		cairo_move_to(d->cr, x - 5 - (double)w / PANGO_SCALE,
		    d->y +
			(double)(pango_layout_get_baseline(l) -
			    pango_layout_get_baseline(b)) /
			    PANGO_SCALE);
		pango_cairo_show_layout(d->cr, b);
		m->bullet = NULL;
	}
	draw_rgb(d->cr, INK, 1);
	if (flow(d, l, x) == -1)
		return -1;
	d->y += after;
	m->inl.len = 0;
	m->inl.data[0] = '\0';
	return 0;
}

static int
md_node(struct md *m, cmark_node *n, cmark_event_type ev)
{
	struct pdf *d = m->d;
	bool enter = ev == CMARK_EVENT_ENTER;
	double after = m->depth > 0 && m->depth <= 16 && m->tight[m->depth - 1] ?
	    2 :
	    BODY_PT * 0.7;
	static const double heading_pt[] = { 16, 14, 12.5, 11.5, 11, 10.5 };

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		if (!enter)
			return md_flush(m, DRAW_SANS, PANGO_WEIGHT_NORMAL,
			    BODY_PT, after);
		break;
	case CMARK_NODE_HEADING: {
		int lv = cmark_node_get_heading_level(n);
		double pt = heading_pt[lv >= 1 && lv <= 6 ? lv - 1 : 5];

		if (!enter)
			return md_flush(m, DRAW_SANS, PANGO_WEIGHT_BOLD, pt,
			    pt * 0.4);
		/* Space above, and never alone at the foot of a page. */
		d->y += pt * 0.4;
		return need(d, pt * 1.3 + 3 * BODY_PT * 1.2);
	}
	case CMARK_NODE_CODE_BLOCK:
		md_escape(&m->inl, cmark_node_get_literal(n));
		while (m->inl.len > 0 && m->inl.data[m->inl.len - 1] == '\n')
			m->inl.data[--m->inl.len] = '\0';
		return md_flush(m, DRAW_MONO, PANGO_WEIGHT_NORMAL, BODY_PT - 1,
		    BODY_PT * 0.7);
	case CMARK_NODE_THEMATIC_BREAK:
		if (need(d, 16) == -1)
			return -1;
		draw_rgb(d->cr, LINE, 1);
		cairo_set_line_width(d->cr, 0.75);
		cairo_move_to(d->cr, LEFT + d->indent, d->y + 6);
		cairo_line_to(d->cr, RIGHT, d->y + 6);
		cairo_stroke(d->cr);
		d->y += 16;
		break;
	case CMARK_NODE_BLOCK_QUOTE: d->indent += enter ? 14 : -14; break;
	case CMARK_NODE_LIST:
		if (enter) {
			if (m->depth < 16) {
				m->list_n[m->depth] =
				    cmark_node_get_list_type(n) ==
					CMARK_ORDERED_LIST ?
				    cmark_node_get_list_start(n) :
				    0;
				m->tight[m->depth] =
				    cmark_node_get_list_tight(n);
			}
			m->depth++;
		} else {
			m->depth--;
			d->y += m->depth == 0 ? BODY_PT * 0.5 : 0;
		}
		break;
	case CMARK_NODE_ITEM:
		d->indent += enter ? 18 : -18;
		if (enter && m->depth > 0 && m->depth <= 16) {
			int *k = &m->list_n[m->depth - 1];

			if (*k > 0) {
				snprintf(m->num, sizeof(m->num), "%d.", *k);
				(*k)++;
				m->bullet = m->num;
			} else {
				m->bullet = "•";
			}
		}
		break;
	case CMARK_NODE_TEXT:
		md_escape(&m->inl, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_SOFTBREAK: buf_putc(&m->inl, ' '); break;
	case CMARK_NODE_LINEBREAK: buf_putc(&m->inl, '\n'); break;
	case CMARK_NODE_CODE:
		buf_puts(&m->inl, "<tt>");
		md_escape(&m->inl, cmark_node_get_literal(n));
		buf_puts(&m->inl, "</tt>");
		break;
	case CMARK_NODE_EMPH: buf_puts(&m->inl, enter ? "<i>" : "</i>"); break;
	case CMARK_NODE_STRONG:
		buf_puts(&m->inl, enter ? "<b>" : "</b>");
		break;
	case CMARK_NODE_LINK:
		/* Paper has no links: the address follows the words. */
		if (enter) {
			buf_puts(&m->inl, "<u>");
		} else {
			const char *url = cmark_node_get_url(n);

			buf_puts(&m->inl, "</u>");
			if (link_printable(url)) {
				buf_puts(&m->inl, " (");
				md_escape(&m->inl, url);
				buf_puts(&m->inl, ")");
			}
		}
		break;
	case CMARK_NODE_IMAGE: /* its alt text, the children */
		buf_puts(&m->inl, enter ? "<i>" : "</i>");
		break;
	default: break; /* raw HTML never passes */
	}
	if (d->indent > INDENT_MAX)
		d->indent = INDENT_MAX;
	if (d->indent < 0)
		d->indent = 0;
	return 0;
}

static int
pdf_body(struct pdf *d)
{
	const char *src = d->p->body_md != NULL ? d->p->body_md : "";
	struct md m = { .d = d };
	cmark_event_type ev;
	cmark_node *doc;
	cmark_iter *it;
	int rc = 0;

	if (pdf_heading(d, text(d, "deliver_text_heading"), 16) == -1)
		return -1;
	doc = cmark_parse_document(src, strlen(src),
	    CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8);
	if (doc == NULL)
		return -1;
	buf_init(&m.inl);
	buf_append(&m.inl, "", 0);
	it = cmark_iter_new(doc);
	while (rc == 0 && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
		rc = md_node(&m, cmark_iter_get_node(it), ev);
	cmark_iter_free(it);
	cmark_node_free(doc);
	buf_reset(&m.inl);
	d->indent = 0;
	return rc;
}

/* --- signatures per day ------------------------------------------------ */

static int
pdf_chart(struct pdf *d)
{
	const struct deliver_pack *p = d->p;
	int64_t bins[CHART_BARS] = { 0 }, first, last, span, per, max = 0;
	struct msgfmt_arg a[4];
	char from[16], to[16];
	const char *s;
	size_t i, n;
	cairo_t *cr = d->cr;

	if (pdf_heading(d, text(d, "deliver_chart_heading"), 16) == -1)
		return -1;
	if (p->ndays == 0) {
		draw_rgb(cr, INK, 1);
		return block(d, text(d, "deliver_chart_empty"), false, DRAW_SANS,
		    PANGO_WEIGHT_NORMAL, BODY_PT, LEFT, WIDTH, BODY_PT);
	}
	first = last = p->days[0].day;
	for (i = 1; i < p->ndays; i++) {
		if (p->days[i].day < first)
			first = p->days[i].day;
		if (p->days[i].day > last)
			last = p->days[i].day;
	}
	span = (last - first) / DAY + 1;
	per = (span + CHART_BARS - 1) / CHART_BARS;
	n = (size_t)((span + per - 1) / per);
	for (i = 0; i < p->ndays; i++) {
		size_t b = (size_t)((p->days[i].day - first) / DAY / per);

		bins[b] += p->days[i].n;
		if (bins[b] > max)
			max = bins[b];
	}
	if (need(d, CHART_H + 60) == -1)
		return -1;
	{
		double x0 = LEFT + 40, w = WIDTH - 40, y0 = d->y + 6;
		double slot = w / (double)n;
		double gap = slot >= 3 ? slot * 0.2 : 0;
		PangoLayout *l = d->small;

		draw_rgb(cr, BAR, 1);
		for (i = 0; i < n; i++) {
			double h = max > 0 ?
			    CHART_H * (double)bins[i] / (double)max :
			    0;

			cairo_rectangle(cr, x0 + slot * (double)i + gap / 2,
			    y0 + CHART_H - h, slot - gap, h);
		}
		cairo_fill(cr);
		draw_rgb(cr, MUTED, 1);
		cairo_set_line_width(cr, 0.5);
		cairo_move_to(cr, x0, y0);
		cairo_line_to(cr, x0, y0 + CHART_H);
		cairo_line_to(cr, x0 + w, y0 + CHART_H);
		cairo_stroke(cr);
		/* The scale: the largest bar and zero, left of the axis. */
		for (int k = 0; k < 2; k++) {
			int tw, th;

			s = i18n_number(d->page_arena, p->lang, k ? 0 : max);
			pango_layout_set_text(l, s != NULL ? s : "", -1);
			pango_layout_get_size(l, &tw, &th);
			cairo_move_to(cr, x0 - 4 - (double)tw / PANGO_SCALE,
			    y0 + (k ? CHART_H : 0) -
				(double)th / PANGO_SCALE / 2);
			pango_cairo_show_layout(cr, l);
		}
		iso_date(first, from);
		iso_date(first + (int64_t)(n * (size_t)per - 1) * DAY, to);
		pango_layout_set_text(l, from, -1);
		cairo_move_to(cr, x0, y0 + CHART_H + 3);
		pango_cairo_show_layout(cr, l);
		{
			int tw;

			pango_layout_set_text(l, to, -1);
			pango_layout_get_size(l, &tw, NULL);
			cairo_move_to(cr, x0 + w - (double)tw / PANGO_SCALE,
			    y0 + CHART_H + 3);
			pango_cairo_show_layout(cr, l);
		}
		d->y = y0 + CHART_H + 22;
	}
	iso_date(last, to);
	a[0] = MSGFMT_STR("from", from);
	a[1] = MSGFMT_STR("to", to);
	a[2] = MSGFMT_NUM("bar", per);
	a[3] = MSGFMT_NUM("max", max);
	if ((s = i18n_format(d->page_arena, p->lang, "deliver_chart_caption", a,
		 4)) == NULL)
		return -1;
	draw_rgb(cr, MUTED, 1);
	return block(d, s, false, DRAW_SANS, PANGO_WEIGHT_NORMAL,
	    SMALL_PT + 0.5, LEFT, WIDTH, BODY_PT * 1.5);
}

/* --- counts per country ------------------------------------------------ */

/* Shows s in layout l at x on the row at the current y; right-aligned to
 * x when right. */
static void
cell(struct pdf *d, PangoLayout *l, const char *s, double x, bool right)
{
	int w;

	pango_layout_set_text(l, s, -1);
	if (right) {
		pango_layout_get_size(l, &w, NULL);
		x -= (double)w / PANGO_SCALE;
	}
	cairo_move_to(d->cr, x, d->y);
	pango_cairo_show_layout(d->cr, l);
}

static int
pdf_countries(struct pdf *d)
{
	const struct deliver_pack *p = d->p;
	int64_t total = 0;
	double lh = ROW_PT * 1.45;
	size_t i;

	if (pdf_heading(d, text(d, "deliver_countries_heading"), 16) == -1)
		return -1;
	for (i = 0; i < p->ncountries; i++)
		total += p->countries[i].n;
	if (p->ncountries == 0 || total <= 0) {
		draw_rgb(d->cr, INK, 1);
		return block(d, text(d, "deliver_chart_empty"), false, DRAW_SANS,
		    PANGO_WEIGHT_NORMAL, BODY_PT, LEFT, WIDTH, BODY_PT);
	}
	draw_rgb(d->cr, MUTED, 1);
	cell(d, d->row_name, text(d, "deliver_col_country"), LEFT, false);
	cell(d, d->row_name, text(d, "deliver_col_signatures"), LEFT + 360,
	    true);
	cell(d, d->row_name, text(d, "deliver_col_share"), RIGHT, true);
	d->y += lh + 2;
	draw_rgb(d->cr, INK, 1);
	for (i = 0; i < p->ncountries; i++) {
		const struct country_row *c = &p->countries[i];
		const char *name = i18n_country_name(p->lang, c->country);

		if (need(d, lh) == -1)
			return -1;
		if (name == NULL)
			name = text(d, "deliver_country_none");
		cell(d, d->row_name, name, LEFT, false);
		cell(d, d->row_name, i18n_number(d->page_arena, p->lang, c->n),
		    LEFT + 360, true);
		cell(d, d->row_name,
		    format_n(d, "deliver_share", "share",
			(double)c->n / (double)total),
		    RIGHT, true);
		d->y += lh;
	}
	d->y += BODY_PT;
	return 0;
}

/* --- the signers ------------------------------------------------------- */

static void
signers_header(struct pdf *d)
{
	draw_rgb(d->cr, MUTED, 1);
	cell(d, d->row_num, text(d, "deliver_col_number"),
	    LEFT + COL_NUM + COL_NUM_W, true);
	cell(d, d->row_name, text(d, "deliver_col_name"), LEFT + COL_NAME,
	    false);
	cell(d, d->row_country, text(d, "deliver_col_country"),
	    LEFT + COL_COUNTRY, false);
	cell(d, d->row_date, text(d, "deliver_col_date"), LEFT + COL_DATE,
	    false);
	d->row_date_text[0] = '\0'; /* the layout holds the label now */
	d->y += ROW_PT * 1.45;
	draw_rgb(d->cr, LINE, 1);
	cairo_set_line_width(d->cr, 0.5);
	cairo_move_to(d->cr, LEFT, d->y);
	cairo_line_to(d->cr, RIGHT, d->y);
	cairo_stroke(d->cr);
	d->y += 3;
}

static PangoLayout *row_layout(struct pdf *d, PangoStyle style, double pt,
    double width, bool ellipsize);

/* The country cell of code, laid out on first use; NULL when code names
 * no country. */
static PangoLayout *
country_cell(struct pdf *d, const char *code)
{
	const char *name =
	    code != NULL ? i18n_country_name(d->p->lang, code) : NULL;
	PangoLayout **l;

	if (name == NULL)
		return NULL;
	/* i18n_country_name() took only AA..ZZ. */
	l = &d->country_cell[(code[0] - 'A') * 26 + (code[1] - 'A')];
	if (*l == NULL &&
	    (*l = row_layout(d, PANGO_STYLE_NORMAL, ROW_PT, COL_COUNTRY_W,
		 true)) != NULL) {
		pango_layout_set_single_paragraph_mode(*l, TRUE);
		pango_layout_set_text(*l, name, -1);
	}
	return *l;
}

static enum deliver_status
pdf_signers(struct pdf *d)
{
	const struct deliver_pack *p = d->p;
	struct deliver_signer s;
	double lh = ROW_PT * 1.4;
	char num[24], date[16];
	int r;

	if (page_break(d) == -1 ||
	    pdf_heading(d, text(d, "deliver_signers_heading"), 16) == -1)
		return DELIVER_FAILED;
	d->in_signers = true;
	signers_header(d);
	while ((r = p->next(p->next_ctx, &s)) == 1) {
		PangoLayout *country = country_cell(d, s.country);
		double h = lh;
		int ch = 0;

		if (s.comment != NULL && s.comment[0] != '\0') {
			pango_layout_set_text(d->row_comment, s.comment, -1);
			pango_layout_get_size(d->row_comment, NULL, &ch);
			h += (double)ch / PANGO_SCALE + 3;
		}
		if (need(d, h) == -1)
			return DELIVER_FAILED;
		d->signers++;
		/* Plain digits: the row number is an index, not a count. */
		snprintf(num, sizeof(num), "%lld", (long long)d->signers);
		iso_date(s.signed_at, date);
		draw_rgb(d->cr, MUTED, 1);
		cell(d, d->row_num, num, LEFT + COL_NUM + COL_NUM_W, true);
		draw_rgb(d->cr, INK, 1);
		cell(d, d->row_name, s.name != NULL ? s.name : "",
		    LEFT + COL_NAME, false);
		if (country != NULL) {
			cairo_move_to(d->cr, LEFT + COL_COUNTRY, d->y);
			pango_cairo_show_layout(d->cr, country);
		}
		if (strcmp(date, d->row_date_text) != 0) {
			pango_layout_set_text(d->row_date, date, -1);
			memcpy(d->row_date_text, date, sizeof(date));
		}
		cairo_move_to(d->cr, LEFT + COL_DATE, d->y);
		pango_cairo_show_layout(d->cr, d->row_date);
		d->y += lh;
		if (ch > 0) {
			draw_rgb(d->cr, MUTED, 1);
			cairo_move_to(d->cr, LEFT + COL_NAME, d->y - 1);
			pango_cairo_show_layout(d->cr, d->row_comment);
			d->y += (double)ch / PANGO_SCALE + 3;
		}
	}
	d->in_signers = false;
	if (r == -1)
		return DELIVER_SIGNERS;
	if (d->signers == 0) {
		d->y += 6;
		draw_rgb(d->cr, INK, 1);
		if (block(d, text(d, "deliver_signers_none"), false, DRAW_SANS,
			PANGO_WEIGHT_NORMAL, BODY_PT, LEFT, WIDTH, 0) == -1)
			return DELIVER_FAILED;
	}
	return DELIVER_OK;
}

/* --- the document ------------------------------------------------------ */

static PangoLayout *
row_layout(struct pdf *d, PangoStyle style, double pt, double width,
    bool ellipsize)
{
	PangoLayout *l =
	    draw_layout(d->cr, DRAW_SANS, PANGO_WEIGHT_NORMAL, pt, width);

	if (l == NULL)
		return NULL;
	if (style != PANGO_STYLE_NORMAL) {
		PangoFontDescription *fd = pango_font_description_copy(
		    pango_layout_get_font_description(l));

		pango_font_description_set_style(fd, style);
		pango_layout_set_font_description(l, fd);
		pango_font_description_free(fd);
	}
	if (ellipsize)
		pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	return l;
}

static void
pdf_close(struct pdf *d)
{
	PangoLayout **ls[] = { &d->text, &d->small, &d->row_num, &d->row_name,
		&d->row_country, &d->row_date, &d->row_comment };

	for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++)
		if (*ls[i] != NULL)
			g_object_unref(*ls[i]);
	for (size_t i = 0; i < 26 * 26; i++)
		if (d->country_cell[i] != NULL)
			g_object_unref(d->country_cell[i]);
	if (d->cr != NULL)
		cairo_destroy(d->cr);
	if (d->surface != NULL) {
		cairo_surface_finish(d->surface);
		cairo_surface_destroy(d->surface);
	}
	arena_free(d->page_arena);
}

static int
outline(struct pdf *d, const char *key)
{
	char dest[32];

	snprintf(dest, sizeof(dest), "page=%d", d->page);
	cairo_pdf_surface_add_outline(d->surface, CAIRO_PDF_OUTLINE_ROOT,
	    text(d, key), dest, 0);
	return 0;
}

/* True when url makes a QR code: checked before anything is written. */
static bool
qr_ok(const char *url)
{
	struct qr q;

	if (url == NULL || qr_encode(&q, url, strlen(url)) != QR_OK)
		return false;
	qr_free(&q);
	return true;
}

static enum deliver_status
pdf_open(struct pdf *d)
{
	d->surface =
	    cairo_pdf_surface_create_for_stream(pdf_write, d, PAGE_W, PAGE_H);
	d->cr = cairo_create(d->surface);
	if (cairo_status(d->cr) != CAIRO_STATUS_SUCCESS ||
	    (d->page_arena = arena_new()) == NULL)
		return DELIVER_FAILED;
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE,
	    d->p->title);
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR,
	    d->p->site_name);
	d->text =
	    draw_layout(d->cr, DRAW_SANS, PANGO_WEIGHT_NORMAL, BODY_PT, WIDTH);
	d->small = row_layout(d, PANGO_STYLE_NORMAL, SMALL_PT, 0, false);
	d->row_num = row_layout(d, PANGO_STYLE_NORMAL, ROW_PT, 0, false);
	d->row_name =
	    row_layout(d, PANGO_STYLE_NORMAL, ROW_PT, COL_NAME_W, true);
	d->row_country =
	    row_layout(d, PANGO_STYLE_NORMAL, ROW_PT, COL_COUNTRY_W, true);
	d->row_date = row_layout(d, PANGO_STYLE_NORMAL, ROW_PT, 0, false);
	d->row_comment = row_layout(d, PANGO_STYLE_ITALIC, SMALL_PT,
	    WIDTH - COL_NAME, false);
	if (d->text == NULL || d->small == NULL || d->row_num == NULL ||
	    d->row_name == NULL || d->row_country == NULL ||
	    d->row_date == NULL || d->row_comment == NULL)
		return DELIVER_FAILED;
	pango_layout_set_height(d->row_comment, -COMMENT_LINES);
	pango_layout_set_ellipsize(d->row_comment, PANGO_ELLIPSIZE_END);
	/* A name is one line: a newline in it must not break the row. */
	pango_layout_set_single_paragraph_mode(d->row_name, TRUE);
	pango_layout_set_single_paragraph_mode(d->row_country, TRUE);
	d->page = 1;
	d->y = TOP;
	return DELIVER_OK;
}

enum deliver_status
deliver_pdf(const struct deliver_pack *p, deliver_write_fn write, void *ctx)
{
	struct pdf d = { .p = p, .write = write, .write_ctx = ctx };
	struct deliver_progress pr;
	enum deliver_status st;

	if (p->lang == NULL || p->title == NULL || p->site_name == NULL ||
	    p->next == NULL || !qr_ok(p->url) ||
	    (p->verify_url != NULL && !qr_ok(p->verify_url))) {
		st = DELIVER_BAD_INPUT;
		goto fail;
	}
	if ((st = pdf_open(&d)) != DELIVER_OK)
		goto fail;
	st = DELIVER_FAILED;
	if (outline(&d, "deliver_kicker") == -1 || pdf_cover(&d) == -1 ||
	    page_break(&d) == -1 || outline(&d, "deliver_text_heading") == -1 ||
	    pdf_body(&d) == -1 || need(&d, CHART_H + 120) == -1 ||
	    outline(&d, "deliver_chart_heading") == -1 || pdf_chart(&d) == -1 ||
	    outline(&d, "deliver_countries_heading") == -1 ||
	    pdf_countries(&d) == -1)
		goto fail;
	if ((st = pdf_signers(&d)) != DELIVER_OK)
		goto fail;
	pdf_footer(&d);
	cairo_show_page(d.cr);
	cairo_destroy(d.cr);
	d.cr = NULL;
	/* The fonts and the cross-reference table go out now. */
	cairo_surface_finish(d.surface);
	if (d.write_failed) {
		st = DELIVER_WRITE;
		goto fail;
	}
	if (cairo_surface_status(d.surface) != CAIRO_STATUS_SUCCESS) {
		st = DELIVER_FAILED;
		goto fail;
	}
	if (p->progress != NULL) {
		pr.pages = d.page;
		pr.signers = d.signers;
		p->progress(p->progress_ctx, &pr);
	}
	pdf_close(&d);
	return DELIVER_OK;
fail:
	if (d.write_failed)
		st = DELIVER_WRITE;
	log_error("deliver", "lang=%s page=%d signers=%lld error=\"%s\"",
	    p->lang != NULL ? p->lang : "", d.page, (long long)d.signers,
	    deliver_status_text(st));
	pdf_close(&d);
	return st;
}

static int
file_write(void *ctx, const unsigned char *data, size_t len)
{
	return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

enum deliver_status
deliver_pdf_file(const struct deliver_pack *p, FILE *f)
{
	enum deliver_status st = deliver_pdf(p, file_write, f);

	if (st == DELIVER_OK && fflush(f) != 0)
		return DELIVER_WRITE;
	return st;
}
