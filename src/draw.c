/* draw.c - fonts, text layouts, colours and PNG output for the renderers. */
#include "draw.h"

#include <fontconfig/fontconfig.h>
#include <stdatomic.h>
#include <time.h>

#include "log.h"

/*
 * The font maps alive. pango's fontconfig thread may hold the last
 * reference to a thread's font map for a moment after the drawing that
 * needed it returned, and cairo's caches can only be reset once every font
 * map, with its fonts, is gone; draw_release() waits for that.
 */
static atomic_int maps_alive;

static void
map_gone(void *unused)
{
	(void)unused;
	atomic_fetch_sub(&maps_alive, 1);
}

/* Counts the font map behind ctx, the first time it is seen. */
static void
map_count(PangoContext *ctx)
{
	GQuark counted = g_quark_from_static_string("holos-draw-counted");
	PangoFontMap *fm = pango_context_get_font_map(ctx);

	if (fm == NULL || g_object_get_qdata(G_OBJECT(fm), counted) != NULL)
		return;
	atomic_fetch_add(&maps_alive, 1);
	g_object_set_qdata_full(G_OBJECT(fm), counted, &maps_alive, map_gone);
}

static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct buf *out = closure;

	buf_append(out, data, len);
	return buf_ok(out) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int
draw_png(cairo_surface_t *surface, struct buf *out)
{
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
		return -1;
	cairo_surface_flush(surface);
	if (cairo_surface_write_to_png_stream(surface, png_write, out) !=
	    CAIRO_STATUS_SUCCESS)
		return -1;
	return buf_ok(out) ? 0 : -1;
}

PangoLayout *
draw_layout(cairo_t *cr, const char *family, PangoWeight weight, double size,
    double width)
{
	PangoFontDescription *fd;
	PangoLayout *l;

	if ((l = pango_cairo_create_layout(cr)) == NULL)
		return NULL;
	/* Sizes and widths are in the surface's units (pixels for PNG,
	 * points for PDF), whatever resolution pango assumes. */
	map_count(pango_layout_get_context(l));
	pango_cairo_context_set_resolution(pango_layout_get_context(l), 72);
	pango_layout_context_changed(l);
	if ((fd = pango_font_description_new()) == NULL) {
		g_object_unref(l);
		return NULL;
	}
	pango_font_description_set_family(fd, family);
	pango_font_description_set_weight(fd, weight);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	return l;
}

void
draw_rgb(cairo_t *cr, uint32_t rgb, double alpha)
{
	cairo_set_source_rgba(cr, ((rgb >> 16) & 0xff) / 255.0,
	    ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0, alpha);
}

void
draw_release(bool last)
{
	const struct timespec ms = { 0, 1000000 };
	int i;

	pango_cairo_font_map_set_default(NULL);
	if (!last)
		return;
	/* The font maps are freed when their last reference goes (qdata
	 * is cleared at the end of finalisation, after the fonts). */
	for (i = 0; i < 5000 && atomic_load(&maps_alive) > 0; i++)
		nanosleep(&ms, NULL);
	if (atomic_load(&maps_alive) > 0) {
		log_warn("draw", "font_maps=%d error=\"still in use\"",
		    atomic_load(&maps_alive));
		return;
	}
	cairo_debug_reset_static_data();
	FcFini();
}
