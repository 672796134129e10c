/* draw.c - fonts, text layouts, colours and PNG output for the renderers. */
#include "draw.h"

#include <fontconfig/fontconfig.h>

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
	pango_cairo_font_map_set_default(NULL);
	if (last) {
		cairo_debug_reset_static_data();
		FcFini();
	}
}
