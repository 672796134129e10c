/* chart.h - small charts drawn by the server as inline SVG: no script, no
 * external resource, a title and a description for screen readers. */
#ifndef HOLOS_CHART_H
#define HOLOS_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

/* The most days a chart shows: the newest ones. */
#define CHART_MAX_DAYS 90

#define CHART_DAY 86400

/* What a chart says, in the reader's language. Borrowed. */
struct chart_text {
	const char *id;	     /* prefix of the element ids */
	const char *title;   /* <title>: what the chart shows */
	const char *desc;    /* <desc>: a summary, or NULL */
	const char *x_label; /* under the days: "Day" */
	const char *y_label; /* beside the counts: "Signatures" */
};

/* The days a chart of rows covers: from the oldest row's day (but at most
 * CHART_MAX_DAYS back) to last, or to the newest row's day when last is 0
 * or older than it. Days are unix times of 00:00 UTC; the rows may come in
 * any order. Sets *first and *lastp and returns the number of days, 0
 * when there is nothing to draw (no rows and last 0). */
size_t chart_days_range(const struct day_row *days, size_t n, int64_t last,
    int64_t *first, int64_t *lastp);

/* Appends to out a self-contained <svg role="img"> bar chart of counts per
 * day over chart_days_range(): one <rect> per day, a day without a row as
 * a bar of height 0, heights proportional to the largest count; each bar's
 * <title> gives its date and count. Rows outside the range are left out.
 * The texts of t are escaped. Returns the number of bars, 0 when there is
 * nothing to draw (out unchanged); on out of memory out is failed
 * (buf_ok() false). */
size_t chart_days_svg(struct buf *out, const struct day_row *days, size_t n,
    int64_t last, const struct chart_text *t);

/* spread: the most bars chart_bars_svg() draws. */
#define CHART_MAX_BARS 16

/* One bar of a bar chart. Borrowed. */
struct chart_bar {
	const char *label;  /* "Ukraine" */
	int64_t n;	    /* its length */
	const char *n_text; /* n as the reader reads it ("1,234") */
};

/* Appends to out a self-contained <svg role="img"> of horizontal bars,
 * one row per bar in the order given (the first CHART_MAX_BARS), each
 * label at the left, its bar proportional to the largest n and its number
 * after it; each bar's <title> repeats label and number. Every text
 * (labels, numbers, t's title and desc) is escaped; x_label and y_label
 * are not used. Returns the number of bars drawn, 0 when n is 0 or no n
 * is above 0 (out unchanged); on out of memory out is failed
 * (buf_ok() false). */
size_t chart_bars_svg(struct buf *out, const struct chart_bar *bars, size_t n,
    const struct chart_text *t);

#endif
