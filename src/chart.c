/* chart.c - bar charts as inline SVG, drawn by the server. */
#include "chart.h"

#include <string.h>
#include <time.h>

#include "utc.h"

/* The drawing, in viewBox units. */
#define W 640
#define H 260
#define PLOT_LEFT 56
#define PLOT_RIGHT 624
#define PLOT_TOP 16
#define PLOT_BOTTOM 200
/* A chart of fewer days keeps the bar width of this many: one day is one
 * narrow bar, not a block across the plot. */
#define MIN_SLOTS 14
#define INK "#4b5563"
#define BAR "#1d6b45"

static int64_t
day_floor(int64_t t)
{
	int64_t r = t % CHART_DAY;

	return t - (r < 0 ? r + CHART_DAY : r);
}

size_t
chart_days_range(const struct day_row *days, size_t n, int64_t last,
    int64_t *first, int64_t *lastp)
{
	int64_t lo = 0, hi = 0, d;
	size_t i;

	*first = *lastp = 0;
	if (n == 0 && last == 0)
		return 0;
	for (i = 0; i < n; i++) {
		d = day_floor(days[i].day);
		if (i == 0 || d < lo)
			lo = d;
		if (i == 0 || d > hi)
			hi = d;
	}
	if (last != 0 && (n == 0 || day_floor(last) > hi))
		hi = day_floor(last);
	if (n == 0 || lo > hi)
		lo = hi;
	if ((hi - lo) / CHART_DAY >= CHART_MAX_DAYS)
		lo = hi - (int64_t)(CHART_MAX_DAYS - 1) * CHART_DAY;
	*first = lo;
	*lastp = hi;
	return (size_t)((hi - lo) / CHART_DAY) + 1;
}

static void
put_text(struct buf *out, const char *s)
{
	if (s != NULL)
		buf_append_html(out, s, strlen(s));
}

/* The chart's opening <svg> element of class cls, w by h, labelled by its
 * <title> and <desc> (ids prefixed with id), which follow it. */
static void
svg_open(struct buf *out, const char *cls, int w, int h, int font_size,
    const char *id, const struct chart_text *t)
{
	buf_printf(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "class=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-labelledby=\"",
	    cls, w, h, w, h);
	put_text(out, id);
	buf_puts(out, "-title");
	if (t->desc != NULL) {
		buf_putc(out, ' ');
		put_text(out, id);
		buf_puts(out, "-desc");
	}
	buf_printf(out,
	    "\" font-family=\"system-ui, sans-serif\" "
	    "font-size=\"%d\">\n<title id=\"",
	    font_size);
	put_text(out, id);
	buf_puts(out, "-title\">");
	put_text(out, t->title);
	buf_puts(out, "</title>\n");
	if (t->desc != NULL) {
		buf_puts(out, "<desc id=\"");
		put_text(out, id);
		buf_puts(out, "-desc\">");
		put_text(out, t->desc);
		buf_puts(out, "</desc>\n");
	}
}

size_t
chart_days_svg(struct buf *out, const struct day_row *days, size_t n,
    int64_t last, const struct chart_text *t)
{
	int64_t counts[CHART_MAX_DAYS], first, lastday, max = 0;
	const char *id = t->id != NULL ? t->id : "chart";
	double slot, h;
	size_t ndays, i, k;

	if ((ndays = chart_days_range(days, n, last, &first, &lastday)) == 0)
		return 0;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < n; i++) {
		int64_t d = day_floor(days[i].day);

		if (d < first || d > lastday || days[i].n <= 0)
			continue;
		k = (size_t)((d - first) / CHART_DAY);
		counts[k] += days[i].n;
		if (counts[k] > max)
			max = counts[k];
	}
	slot = (double)(PLOT_RIGHT - PLOT_LEFT) /
	    (double)(ndays < MIN_SLOTS ? MIN_SLOTS : ndays);

	svg_open(out, "chart", W, H, 12, id, t);

	/* Axes, the highest and lowest count, the first and last day. */
	buf_printf(out,
	    "<g stroke=\"" INK "\" stroke-width=\"1\">"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></g>\n",
	    PLOT_LEFT, PLOT_TOP, PLOT_LEFT, PLOT_BOTTOM, PLOT_LEFT, PLOT_BOTTOM,
	    PLOT_RIGHT, PLOT_BOTTOM);
	buf_printf(out,
	    "<g fill=\"" INK "\">"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
	    PLOT_LEFT - 6, PLOT_TOP + 4, (long long)max, PLOT_LEFT - 6,
	    PLOT_BOTTOM + 4);
	buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"start\">",
	    PLOT_LEFT, PLOT_BOTTOM + 18);
	utc_append(out, UTC_DAY, first);
	buf_puts(out, "</text>");
	if (ndays > 1) {
		/* Under the last bar's end. */
		buf_printf(out,
		    "<text x=\"%.2f\" y=\"%d\" "
		    "text-anchor=\"end\">",
		    PLOT_LEFT + slot * (double)ndays, PLOT_BOTTOM + 18);
		utc_append(out, UTC_DAY, lastday);
		buf_puts(out, "</text>");
	}
	buf_printf(out, "\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
	    (PLOT_LEFT + PLOT_RIGHT) / 2, H - 12);
	put_text(out, t->x_label);
	buf_printf(out,
	    "</text>\n<text transform=\"rotate(-90)\" x=\"%d\" "
	    "y=\"14\" text-anchor=\"middle\">",
	    -(PLOT_TOP + PLOT_BOTTOM) / 2);
	put_text(out, t->y_label);
	buf_puts(out, "</text></g>\n");

	/* One bar per day. */
	buf_puts(out, "<g fill=\"" BAR "\">\n");
	for (k = 0; k < ndays; k++) {
		h = max > 0 ?
		    (double)counts[k] * (PLOT_BOTTOM - PLOT_TOP) / (double)max :
		    0.0;
		buf_printf(out,
		    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
		    "height=\"%.2f\"><title>",
		    PLOT_LEFT + slot * (double)k + slot * 0.1, PLOT_BOTTOM - h,
		    slot * 0.8, h);
		utc_append(out, UTC_DAY, first + (int64_t)k * CHART_DAY);
		buf_printf(out, ": %lld</title></rect>\n", (long long)counts[k]);
	}
	buf_puts(out, "</g>\n</svg>\n");
	return ndays;
}

/* spread: bars across, for counts by country. */
#define BARS_W 640
#define BARS_ROW 28
#define BARS_LEFT 220
#define BARS_RIGHT 560

size_t
chart_bars_svg(struct buf *out, const struct chart_bar *bars, size_t n,
    const struct chart_text *t)
{
	const char *id = t->id != NULL ? t->id : "bars";
	int64_t max = 0;
	size_t i;
	int h;

	if (n > CHART_MAX_BARS)
		n = CHART_MAX_BARS;
	for (i = 0; i < n; i++)
		if (bars[i].n > max)
			max = bars[i].n;
	if (n == 0 || max <= 0)
		return 0;
	h = (int)n * BARS_ROW + 8;
	svg_open(out, "chart chart--bars", BARS_W, h, 13, id, t);
	for (i = 0; i < n; i++) {
		int y = (int)i * BARS_ROW + 4;
		int64_t v = bars[i].n > 0 ? bars[i].n : 0;
		double len =
		    (double)(BARS_RIGHT - BARS_LEFT) * (double)v / (double)max;

		buf_printf(out, "<g><title>");
		put_text(out, bars[i].label);
		buf_puts(out, ": ");
		put_text(out, bars[i].n_text);
		buf_printf(out,
		    "</title><text x=\"%d\" y=\"%d\" fill=\"" INK
		    "\" text-anchor=\"end\">",
		    BARS_LEFT - 8, y + 18);
		put_text(out, bars[i].label);
		buf_printf(out,
		    "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
		    "height=\"%d\" fill=\"" BAR "\"/><text x=\"%.1f\" "
		    "y=\"%d\" fill=\"" INK "\">",
		    BARS_LEFT, y + 4, len < 1 && v > 0 ? 1.0 : len,
		    BARS_ROW - 8, BARS_LEFT + len + 6, y + 18);
		put_text(out, bars[i].n_text);
		buf_puts(out, "</text></g>\n");
	}
	buf_puts(out, "</svg>\n");
	return n;
}
