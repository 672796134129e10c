/* share.h - the share image of a petition (og:image): a 1200×630 PNG with
 * the site's name, the title, the count and the progress towards the next
 * goal, in the page's language, optionally over the petition's image. */
#ifndef HOLOS_SHARE_H
#define HOLOS_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SHARE_WIDTH 1200
#define SHARE_HEIGHT 630

/* The largest background accepted, per side: a later resize makes it
 * about the image's size. */
#define SHARE_BG_MAX 2400

/* A decoded background image: 8-bit RGB (channels 3) or RGBA with
 * straight alpha (channels 4), rows stride bytes apart. Borrowed. It is
 * scaled to cover the image, centred, and darkened under the text. */
struct share_bg {
	const unsigned char *px;
	int width, height;
	size_t stride;
	int channels;
};

/* What the image shows of a count. Two counts with equal steps give the
 * same pixels (for the same card otherwise), so a cache keyed by the card
 * and its step redraws only when the step changes. The count is shown
 * exactly below 100 and rounded down to two significant figures above
 * ("More than 1,200 people have signed" for 1,234), and the bar is drawn
 * from the shown count, so a busy petition is redrawn at most 90 times
 * per decade of its count, not at every signature. */
struct share_step {
	int64_t shown;	   /* the count on the image */
	bool over;	   /* shown < count: "More than …" */
	int64_t next_goal; /* petition_next_goal() of the real count */
};

/* One image's content. Strings are UTF-8, borrowed. */
struct share_card {
	const char *lang;	   /* the page's language (i18n) */
	const char *site_name;	   /* --site-name */
	const char *title;	   /* any script; wrapped, ellipsised past 4
				    * lines */
	int64_t count;		   /* confirmed signatures */
	int64_t goal;		   /* the petition's own goal */
	bool ended;		   /* closed or won: no next goal, no bar */
	const struct share_bg *bg; /* NULL: the brand colour */
};

/* The step of count for a petition with goal. Never fails. */
struct share_step share_step_of(int64_t count, int64_t goal);

/* True when a and b draw the same pixels. */
bool share_step_same(const struct share_step *a, const struct share_step *b);

/* Appends the PNG of card to out. Needs i18n_load() done. Returns 0, or
 * -1 (logged) when the background is malformed (bad channels, stride or
 * size over SHARE_BG_MAX), a message cannot be formatted, cairo fails or
 * out of memory; out may then hold part of a PNG. Thread-safe. */
int share_png(const struct share_card *card, struct buf *out);

#endif
