/* share.c - the 1200×630 share image of a petition, drawn with cairo and
 * pango. */
#include "share.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "draw.h"
#include "i18n.h"
#include "log.h"
#include "petition.h"

#define MARGIN 64
#define INNER (SHARE_WIDTH - 2 * MARGIN)
#define TITLE_LINES 4
#define BAR_Y 520
#define BAR_H 24
#define BRAND 0x15324f /* --brand in static/style.css */
#define INK 0xffffff
#define FILL 0xffbf47 /* --focus: bright on the brand and on photos */

struct share_step
share_step_of(int64_t count, int64_t goal)
{
	struct share_step s;
	int64_t p = 1;

	if (count < 0)
		count = 0;
	while (count / p >= 100)
		p *= 10;
	s.shown = count / p * p;
	s.over = s.shown < count;
	s.next_goal = petition_next_goal(count, goal);
	return s;
}

bool
share_step_same(const struct share_step *a, const struct share_step *b)
{
	return a->shown == b->shown && a->over == b->over &&
	    a->next_goal == b->next_goal;
}

/* The bar's filled width in whole pixels: part of the step, never of the
 * exact count. */
static int
bar_width(const struct share_step *s)
{
	int64_t n = s->shown < s->next_goal ? s->shown : s->next_goal;

	return s->next_goal > 0 ? (int)(n * INNER / s->next_goal) : 0;
}

/* Paints bg scaled to cover the image, centred. Returns 0, or -1 when bg
 * is malformed or out of memory. */
static int
paint_bg(cairo_t *cr, const struct share_bg *bg)
{
	cairo_surface_t *s;
	unsigned char *data;
	double scale, sx, sy;
	int stride, x, y;

	if (bg->px == NULL || (bg->channels != 3 && bg->channels != 4) ||
	    bg->width < 1 || bg->height < 1 || bg->width > SHARE_BG_MAX ||
	    bg->height > SHARE_BG_MAX ||
	    bg->stride < (size_t)bg->width * (size_t)bg->channels)
		return -1;
	s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, bg->width,
	    bg->height);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return -1;
	}
	cairo_surface_flush(s);
	data = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	/* cairo wants native-endian ARGB with premultiplied alpha. */
	for (y = 0; y < bg->height; y++) {
		const unsigned char *in = bg->px + (size_t)y * bg->stride;
		uint32_t *out = (uint32_t *)(data + (size_t)y * (size_t)stride);

		for (x = 0; x < bg->width; x++, in += bg->channels) {
			uint32_t a = bg->channels == 4 ? in[3] : 255;

			out[x] = a << 24 | (in[0] * a / 255) << 16 |
			    (in[1] * a / 255) << 8 | (in[2] * a / 255);
		}
	}
	cairo_surface_mark_dirty(s);
	sx = (double)SHARE_WIDTH / bg->width;
	sy = (double)SHARE_HEIGHT / bg->height;
	scale = sx > sy ? sx : sy;
	cairo_save(cr);
	cairo_translate(cr, (SHARE_WIDTH - bg->width * scale) / 2,
	    (SHARE_HEIGHT - bg->height * scale) / 2);
	cairo_scale(cr, scale, scale);
	cairo_set_source_surface(cr, s, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_restore(cr);
	cairo_surface_destroy(s);
	return 0;
}

/* Background: the brand colour, or the image under a dark veil, deeper
 * at the bottom where the count is, so white text always reads. */
static int
paint_back(cairo_t *cr, const struct share_bg *bg)
{
	cairo_pattern_t *veil;

	draw_rgb(cr, BRAND, 1);
	cairo_paint(cr);
	if (bg == NULL)
		return 0;
	if (paint_bg(cr, bg) == -1)
		return -1;
	veil = cairo_pattern_create_linear(0, 0, 0, SHARE_HEIGHT);
	cairo_pattern_add_color_stop_rgba(veil, 0, 0, 0, 0, 0.55);
	cairo_pattern_add_color_stop_rgba(veil, 1, 0, 0, 0, 0.85);
	cairo_set_source(cr, veil);
	cairo_paint(cr);
	cairo_pattern_destroy(veil);
	return 0;
}

/* The title's layout: wrapped to the inner width, at most TITLE_LINES
 * lines, the last ellipsised. NULL when out of memory. */
static PangoLayout *
title_layout(cairo_t *cr, const char *title)
{
	PangoLayout *l =
	    draw_layout(cr, DRAW_SANS, PANGO_WEIGHT_BOLD, 60, INNER);

	if (l == NULL)
		return NULL;
	pango_layout_set_height(l, -TITLE_LINES);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(l, title, -1);
	return l;
}

/* One line of text at the margin, top at y, ellipsised to the inner
 * width. Returns 0, or -1 when out of memory. */
static int
show_line(cairo_t *cr, const char *text, PangoWeight weight, double size,
    double y, double alpha)
{
	PangoLayout *l = draw_layout(cr, DRAW_SANS, weight, size, INNER);

	if (l == NULL)
		return -1;
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(l, text, -1);
	draw_rgb(cr, INK, alpha);
	cairo_move_to(cr, MARGIN, y);
	pango_cairo_show_layout(cr, l);
	g_object_unref(l);
	return 0;
}

static int
paint_text(cairo_t *cr, struct arena *a, const struct share_card *c,
    const struct share_step *st)
{
	struct msgfmt_arg arg = MSGFMT_NUM("count", st->shown);
	const char *count, *goal;
	PangoLayout *title;
	int unknown;

	if (show_line(cr, c->site_name, PANGO_WEIGHT_BOLD, 30, 44, 0.85) == -1)
		return -1;
	if ((title = title_layout(cr, c->title)) == NULL)
		return -1;
	draw_rgb(cr, INK, 1);
	cairo_move_to(cr, MARGIN, 108);
	pango_cairo_show_layout(cr, title);
	/* A box instead of a letter means a missing font: say so. */
	if ((unknown = pango_layout_get_unknown_glyphs_count(title)) > 0)
		log_warn("share",
		    "lang=%s unknown_glyphs=%d "
		    "hint=\"install a font for the title's script\"",
		    c->lang, unknown);
	g_object_unref(title);

	count = i18n_format(a, c->lang,
	    st->over ? "share_img_signed_over" : "share_img_signed", &arg, 1);
	if (count == NULL ||
	    show_line(cr, count, PANGO_WEIGHT_BOLD, 44,
		c->ended ? BAR_Y - 8 : BAR_Y - 70, 1) == -1)
		return -1;
	if (c->ended)
		return 0;

	arg.name = "goal";
	arg.num = (double)st->next_goal;
	if ((goal = i18n_format(a, c->lang, "share_img_next_goal", &arg, 1)) ==
		NULL ||
	    show_line(cr, goal, PANGO_WEIGHT_NORMAL, 28, BAR_Y + BAR_H + 12,
		0.9) == -1)
		return -1;
	draw_rgb(cr, INK, 0.25);
	cairo_rectangle(cr, MARGIN, BAR_Y, INNER, BAR_H);
	cairo_fill(cr);
	draw_rgb(cr, FILL, 1);
	cairo_rectangle(cr, MARGIN, BAR_Y, bar_width(st), BAR_H);
	cairo_fill(cr);
	return 0;
}

int
share_png(const struct share_card *card, struct buf *out)
{
	struct share_step st = share_step_of(card->count, card->goal);
	cairo_surface_t *s;
	struct arena *a;
	cairo_t *cr;
	int rc = -1;

	if ((a = arena_new()) == NULL)
		return -1;
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SHARE_WIDTH,
	    SHARE_HEIGHT);
	cr = cairo_create(s);
	if (paint_back(cr, card->bg) == -1) {
		log_error("share", "error=\"malformed background image\"");
		goto fail;
	}
	if (paint_text(cr, a, card, &st) == -1) {
		log_error("share", "lang=%s error=\"cannot draw the text\"",
		    card->lang);
		goto fail;
	}
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS || draw_png(s, out) == -1) {
		log_error("share", "error=\"%s\"",
		    cairo_status_to_string(cairo_status(cr)));
		goto fail;
	}
	rc = 0;
fail:
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	arena_free(a);
	return rc;
}
