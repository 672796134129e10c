/* test_chart.c - chart.c: the signatures-per-day SVG is well-formed, has one
 * bar per day, proportional heights and escaped texts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../src/chart.c"

#define DAY0 1704067200 /* 2024-01-01 00:00 UTC */

static const struct chart_text texts = {
	.id = "days",
	.title = "Signatures per day",
	.desc = "From the first day to the last",
	.x_label = "Day",
	.y_label = "Signatures",
};

/* WCAG 2 relative luminance of "#rrggbb". */
static double
luminance(const char *hex)
{
	double c[3];
	unsigned v = (unsigned)strtoul(hex + 1, NULL, 16);

	for (int i = 0; i < 3; i++) {
		double x = (double)((v >> (16 - 8 * i)) & 0xff) / 255.0;

		c[i] = x <= 0.03928 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4);
	}
	return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static double
contrast(const char *a, const char *b)
{
	double la = luminance(a), lb = luminance(b);

	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

/* The labels' ink and the bars stand out from the page behind the chart
 * (--bg, #ffffff in static/style.css): axe cannot find the background of
 * SVG text, so the contrast is checked here. Text needs 4.5:1 (WCAG 1.4.3),
 * bars 3:1 (1.4.11). */
static void
test_contrast(void **state)
{
	(void)state;
	assert_true(contrast(INK, "#ffffff") >= 4.5);
	assert_true(contrast(BAR, "#ffffff") >= 3.0);
	assert_true(contrast("#777777", "#ffffff") < 4.5); /* the check bites */
}

/* Draws rows into a malloc'd string; *bars gets the return value. */
static char *
draw(const struct day_row *rows, size_t n, int64_t last,
    const struct chart_text *t, size_t *bars)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_append(&b, "", 0);
	*bars = chart_days_svg(&b, rows, n, last, t);
	assert_true(buf_ok(&b));
	s = buf_steal(&b, NULL);
	assert_non_null(s);
	return s;
}

static int
count_of(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)) != NULL; s += strlen(needle))
		n++;
	return n;
}

/* Checks that every tag is closed in order, every attribute value quoted,
 * and no bare '&' or '<' sits in text: the structure an XML parser needs.
 * The SVG is the only root element. */
static void
assert_well_formed(const char *svg)
{
	const char *stack[32];
	size_t depth = 0, len;
	const char *p = svg;
	int roots = 0;
	char end;

	while (*p != '\0') {
		if (*p == '&') {
			len = strspn(p + 1,
			    "abcdefghijklmnopqrstuvwxyz#0123456789");
			if (len == 0 || p[1 + len] != ';')
				fail_msg("bare & at %.20s", p);
			p += len + 2;
			continue;
		}
		if (*p != '<') {
			if (*p == '>')
				fail_msg("bare > at %.20s", p);
			p++;
			continue;
		}
		p++;
		if (*p == '/') {
			p++;
			len = strcspn(p, " >");
			assert_true(depth > 0);
			depth--;
			end = stack[depth][len];
			if (strncmp(stack[depth], p, len) != 0 ||
			    (end != ' ' && end != '>' && end != '/'))
				fail_msg("</%.*s> closes <%.10s", (int)len, p,
				    stack[depth]);
			p += len;
			assert_int_equal(*p, '>');
			p++;
			continue;
		}
		if (depth == 0)
			roots++;
		const char *name = p;
		p += strcspn(p, " />");
		/* Attributes: name="value", value without < or ". */
		for (;;) {
			p += strspn(p, " \n");
			if (*p == '>' || (*p == '/' && p[1] == '>'))
				break;
			len = strcspn(p, "=> ");
			assert_true(len > 0);
			p += len;
			if (*p != '=' || p[1] != '"')
				fail_msg("unquoted attribute near %.20s",
				    p - len);
			p += 2;
			len = strcspn(p, "\"<");
			assert_int_equal(p[len], '"');
			p += len + 1;
		}
		if (*p == '/') {
			p += 2;
			continue;
		}
		p++;
		assert_true(depth < 32);
		stack[depth++] = name;
	}
	assert_int_equal(depth, 0);
	assert_int_equal(roots, 1);
}

/* The height attributes of the <rect>s, in order, into h (at most max). */
static size_t
rect_heights(const char *svg, double *h, size_t max)
{
	size_t n = 0;

	for (const char *p = svg; (p = strstr(p, "<rect")) != NULL; p++) {
		const char *a = strstr(p, "height=\"");
		assert_non_null(a);
		assert_true(n < max);
		h[n++] = strtod(a + 8, NULL);
	}
	return n;
}

static void
test_one_bar_per_day_with_gaps(void **state)
{
	/* Given out of order; day 1 has none. */
	const struct day_row rows[] = {
		{ DAY0 + 3 * CHART_DAY, 2 },
		{ DAY0, 1 },
		{ DAY0 + 2 * CHART_DAY, 4 },
	};
	double h[8];
	size_t bars;
	char *svg;

	(void)state;
	svg = draw(rows, 3, 0, &texts, &bars);
	assert_int_equal(bars, 4);
	assert_well_formed(svg);
	assert_int_equal(count_of(svg, "<rect"), 4);
	assert_int_equal(rect_heights(svg, h, 8), 4);
	/* Proportional to the largest count, 4, which fills the plot. */
	assert_true(h[2] > 0);
	assert_true(fabs(h[0] - h[2] / 4) < 0.01);
	assert_true(h[1] == 0);
	assert_true(fabs(h[3] - h[2] / 2) < 0.01);
	assert_true(fabs(h[2] - (PLOT_BOTTOM - PLOT_TOP)) < 0.01);
	/* Each bar says its day and count; the axes say the range. */
	assert_non_null(strstr(svg, "<title>2024-01-01: 1</title>"));
	assert_non_null(strstr(svg, "<title>2024-01-02: 0</title>"));
	assert_non_null(strstr(svg, "<title>2024-01-03: 4</title>"));
	assert_non_null(strstr(svg, "<title>2024-01-04: 2</title>"));
	assert_non_null(strstr(svg, ">2024-01-01</text>"));
	assert_non_null(strstr(svg, ">2024-01-04</text>"));
	assert_non_null(strstr(svg, ">4</text>"));
	free(svg);
}

static void
test_accessible(void **state)
{
	const struct day_row rows[] = { { DAY0, 7 } };
	size_t bars;
	char *svg;

	(void)state;
	svg = draw(rows, 1, 0, &texts, &bars);
	assert_int_equal(bars, 1);
	assert_well_formed(svg);
	assert_true(strncmp(svg, "<svg ", 5) == 0);
	assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "role=\"img\""));
	assert_non_null(strstr(svg, "aria-labelledby=\"days-title days-desc\""));
	assert_non_null(strstr(svg,
	    "<title id=\"days-title\">Signatures per "
	    "day</title>"));
	assert_non_null(strstr(svg,
	    "<desc id=\"days-desc\">From the first day "
	    "to the last</desc>"));
	assert_non_null(strstr(svg, ">Day</text>"));
	assert_non_null(strstr(svg, ">Signatures</text>"));
	/* The <title> naming the chart comes first. */
	assert_true(strstr(svg, "<title") < strstr(svg, "<rect"));
	/* Self-contained: nothing is fetched. */
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "url("));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "<style"));
	free(svg);
}

static void
test_at_most_90_days(void **state)
{
	struct day_row rows[200];
	double h[128];
	size_t bars, i;
	char *svg, first[32];
	time_t t = DAY0 + 110 * CHART_DAY;
	struct tm tm;

	(void)state;
	for (i = 0; i < 200; i++) {
		rows[i].day = DAY0 + (int64_t)i * CHART_DAY;
		rows[i].n = (int64_t)i + 1;
	}
	svg = draw(rows, 200, 0, &texts, &bars);
	assert_int_equal(bars, CHART_MAX_DAYS);
	assert_well_formed(svg);
	assert_int_equal(rect_heights(svg, h, 128), CHART_MAX_DAYS);
	/* The newest 90: days 110 to 199, the last one the highest. */
	gmtime_r(&t, &tm);
	strftime(first, sizeof(first), ">%Y-%m-%d</text>", &tm);
	assert_non_null(strstr(svg, first));
	assert_true(fabs(h[89] - (PLOT_BOTTOM - PLOT_TOP)) < 0.01);
	assert_true(fabs(h[0] - h[89] * 111.0 / 200.0) < 0.01);
	assert_non_null(strstr(svg, ">200</text>"));
	free(svg);
}

static void
test_up_to_last(void **state)
{
	const struct day_row rows[] = { { DAY0 + 5, 3 } }; /* not 00:00 */
	int64_t first, last;
	size_t bars;
	char *svg;

	(void)state;
	/* The chart runs on to "today" (mid-day), zero bars after the row. */
	assert_int_equal(chart_days_range(rows, 1, DAY0 + 4 * CHART_DAY + 600,
			     &first, &last),
	    5);
	assert_int_equal(first, DAY0);
	assert_int_equal(last, DAY0 + 4 * CHART_DAY);
	svg = draw(rows, 1, DAY0 + 4 * CHART_DAY + 600, &texts, &bars);
	assert_int_equal(bars, 5);
	assert_int_equal(count_of(svg, "<rect"), 5);
	assert_int_equal(count_of(svg, "height=\"0.00\""), 4);
	assert_non_null(strstr(svg, "<title>2024-01-05: 0</title>"));
	free(svg);
	/* One day is one narrow bar, not a block across the plot. */
	svg = draw(rows, 1, 0, &texts, &bars);
	assert_int_equal(bars, 1);
	const char *w = strstr(strstr(svg, "<rect"), "width=\"");
	assert_non_null(w);
	assert_true(strtod(w + 7, NULL) <= (PLOT_RIGHT - PLOT_LEFT) / 10.0);
	free(svg);
	/* Nothing signed, but a day given: one empty bar. */
	svg = draw(NULL, 0, DAY0, &texts, &bars);
	assert_int_equal(bars, 1);
	assert_well_formed(svg);
	assert_int_equal(count_of(svg, "<rect"), 1);
	free(svg);
}

static void
test_nothing_to_draw(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "x");
	assert_int_equal(chart_days_svg(&b, NULL, 0, 0, &texts), 0);
	assert_string_equal(b.data, "x");
	buf_reset(&b);
}

static void
test_texts_escaped(void **state)
{
	const struct chart_text evil = {
		.id = "a\"b",
		.title = "<script>alert(1)</script> & \"quotes\"",
		.desc = NULL,
		.x_label = "</text><rect/>",
		.y_label = "'`",
	};
	const struct day_row rows[] = { { DAY0, 1 }, { DAY0 + CHART_DAY, 2 } };
	size_t bars;
	char *svg;

	(void)state;
	svg = draw(rows, 2, 0, &evil, &bars);
	assert_well_formed(svg);
	assert_null(strstr(svg, "<script"));
	assert_non_null(strstr(svg,
	    "&lt;script&gt;alert(1)&lt;/script&gt; "
	    "&amp; &quot;quotes&quot;"));
	assert_non_null(strstr(svg, "&lt;/text&gt;&lt;rect/&gt;"));
	assert_non_null(strstr(svg, "aria-labelledby=\"a&quot;b-title\""));
	assert_null(strstr(svg, "desc"));
	/* The label did not add a bar. */
	assert_int_equal(count_of(svg, "<rect"), 2);
	free(svg);
}

/* spread: the bars by country: one per row, lengths proportional,
 * every text escaped, nothing drawn for no counts. */
static void
test_bars(void **state)
{
	const struct chart_bar bars[] = {
		{ "Ukraine", 40, "40" },
		{ "<script>alert(1)</script>", 10, "10" },
		{ "Other & \"more\"", 20, "2<0" },
	};
	const struct chart_text t = { .id = "c\"x", .title = "By <country>" };
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(chart_bars_svg(&b, bars, 3, &t), 3);
	assert_true(buf_ok(&b));
	buf_putc(&b, '\0');
	assert_non_null(strstr(b.data, "role=\"img\""));
	assert_non_null(strstr(b.data,
	    "<title id=\"c&quot;x-title\">By &lt;country&gt;</title>"));
	assert_null(strstr(b.data, "<script"));
	assert_non_null(strstr(b.data, "&lt;script&gt;"));
	assert_non_null(strstr(b.data, "Other &amp; &quot;more&quot;"));
	assert_non_null(strstr(b.data, "2&lt;0"));
	/* The longest is the full width; the others in proportion. */
	assert_non_null(strstr(b.data, "width=\"340.0\""));
	assert_non_null(strstr(b.data, "width=\"85.0\""));
	assert_non_null(strstr(b.data, "width=\"170.0\""));
	buf_reset(&b);

	buf_init(&b);
	assert_int_equal(chart_bars_svg(&b, bars, 0, &t), 0);
	assert_int_equal(b.len, 0);
	const struct chart_bar zero[] = { { "None", 0, "0" } };
	assert_int_equal(chart_bars_svg(&b, zero, 1, &t), 0);
	assert_int_equal(b.len, 0);
	buf_reset(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_bar_per_day_with_gaps),
		cmocka_unit_test(test_accessible),
		cmocka_unit_test(test_at_most_90_days),
		cmocka_unit_test(test_up_to_last),
		cmocka_unit_test(test_nothing_to_draw),
		cmocka_unit_test(test_texts_escaped),
		cmocka_unit_test(test_contrast),
		cmocka_unit_test(test_bars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
