/* draw.h - what the cairo and pango renderers (qr.c, share.c, deliver.c)
 * share: fonts, text layouts, colours, PNG into a buffer. */
#ifndef HOLOS_DRAW_H
#define HOLOS_DRAW_H

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* Font families, first choice first; fontconfig falls back per character
 * (CJK, Arabic …) to any installed font that has it. DejaVu (Debian's
 * fonts-dejavu-core) covers Latin, Greek and Cyrillic. */
#define DRAW_SANS "DejaVu Sans, Noto Sans, sans-serif"
#define DRAW_MONO "DejaVu Sans Mono, Noto Sans Mono, monospace"

/* Appends surface as a PNG to out. Returns 0, or -1 when cairo fails or out
 * of memory (out may then hold part of the PNG). */
int draw_png(cairo_surface_t *surface, struct buf *out);

/* A layout for cr with family (DRAW_SANS …), weight and an absolute size
 * in cr's units; width in cr's units wraps at words (or, for a word longer
 * than the line, between characters), and <= 0 does not wrap. Returns the
 * layout (g_object_unref() it), or NULL when out of memory. */
PangoLayout *draw_layout(cairo_t *cr, const char *family, PangoWeight weight,
    double size, double width);

/* Sets cr's source to the colour 0xRRGGBB with alpha 0..1. */
void draw_rgb(cairo_t *cr, uint32_t rgb, double alpha);

/* Frees the fonts that this thread's layouts loaded (pango keeps a font map
 * per thread) and, when last is true, cairo's and fontconfig's caches, so a
 * leak check at exit sees nothing. Call when a thread that drew is done
 * (last: the last such thread, at shutdown; it waits up to 5 s for font
 * maps that pango's own thread still holds, and leaves the caches, with a
 * warning, if one outlives that). Drawing again afterwards loads them
 * anew. */
void draw_release(bool last);

#endif
