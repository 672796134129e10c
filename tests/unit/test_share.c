/* test_share.c - share.c: a 1200×630 PNG whose pixels change when the count
 * crosses a step and not within one; titles in Cyrillic and Greek drawn
 * with real glyphs; backgrounds; bad input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/share.c"

#include "render.h"

#define TITLE_RU "Освободите политзаключённых из-за угрозы COVID-19"

static struct share_card
card(const char *lang, const char *title, int64_t count, int64_t goal)
{
	return (struct share_card){ .lang = lang,
		.site_name = "Holos",
		.title = title,
		.count = count,
		.goal = goal };
}

/* Draws c and decodes the PNG back. */
static cairo_surface_t *
render(const struct share_card *c)
{
	cairo_surface_t *img;
	struct buf png;

	buf_init(&png);
	assert_int_equal(share_png(c, &png), 0);
	assert_true(
	    png.len > 8 && memcmp(png.data, "\x89PNG\r\n\x1a\n", 8) == 0);
	img = png_decode(&png);
	assert_int_equal(cairo_image_surface_get_width(img), SHARE_WIDTH);
	assert_int_equal(cairo_image_surface_get_height(img), SHARE_HEIGHT);
	buf_reset(&png);
	return img;
}

/* Pixels that differ between a and b within rows [y0, y1). */
static long
diff_rows(cairo_surface_t *a, cairo_surface_t *b, int y0, int y1)
{
	long n = 0;

	for (int y = y0; y < y1; y++)
		for (int x = 0; x < SHARE_WIDTH; x++)
			n += pixel_at(a, x, y) != pixel_at(b, x, y);
	return n;
}

static long
diff(cairo_surface_t *a, cairo_surface_t *b)
{
	return diff_rows(a, b, 0, SHARE_HEIGHT);
}

static void
test_steps(void **state)
{
	static const struct {
		int64_t count, goal, shown;
		bool over;
		int64_t next;
	} cases[] = {
		{ -5, 100, 0, false, 100 },
		{ 0, 100, 0, false, 100 },
		{ 99, 100, 99, false, 100 },
		{ 100, 100, 100, false, 200 },
		{ 109, 1000, 100, true, 1000 },
		{ 1234, 1000, 1200, true, 1500 },
		{ 1299, 1000, 1200, true, 1500 },
		{ 1300, 1000, 1300, false, 1500 },
		{ 15678, 100, 15000, true, 20000 },
		{ 999999, 100, 990000, true, 1000000 },
		{ 1234567, 100, 1200000, true, 1500000 },
	};
	struct share_step a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = share_step_of(cases[i].count, cases[i].goal);
		assert_int_equal(a.shown, cases[i].shown);
		assert_int_equal(a.over, cases[i].over);
		assert_int_equal(a.next_goal, cases[i].next);
	}
	/* The goal moving with the shown count still is a new step. */
	a = share_step_of(1230, 1234);
	b = share_step_of(1234, 1234);
	assert_int_equal(a.shown, b.shown);
	assert_false(share_step_same(&a, &b));
	b = share_step_of(1233, 1234);
	assert_true(share_step_same(&a, &b));
}

/* Within a step the pixels stay; across one they change, in the count's
 * row; below 100 every signature is a step. */
static void
test_pixels_follow_steps(void **state)
{
	struct share_card c = card("en", "Free the prisoners", 1234, 1000);
	cairo_surface_t *a, *b, *d, *e, *f;

	(void)state;
	a = render(&c);
	c.count = 1299;
	b = render(&c);
	assert_int_equal(diff(a, b), 0);
	c.count = 1300;
	d = render(&c);
	assert_true(diff(b, d) > 0);
	/* The title and site name did not move. */
	assert_int_equal(diff_rows(b, d, 0, 400), 0);
	assert_true(diff_rows(b, d, 400, SHARE_HEIGHT) > 0);
	c.count = 5;
	c.goal = 100;
	e = render(&c);
	c.count = 6;
	f = render(&c);
	assert_true(diff(e, f) > 0);
	cairo_surface_destroy(a);
	cairo_surface_destroy(b);
	cairo_surface_destroy(d);
	cairo_surface_destroy(e);
	cairo_surface_destroy(f);
}

/* The bar's filled pixels are the step's share of the inner width; an
 * ended petition has no bar. */
static void
test_bar(void **state)
{
	struct share_card c = card("ru", TITLE_RU, 1234, 1000);
	struct share_step st = share_step_of(1234, 1000);
	cairo_surface_t *img;
	int x, filled = 0;

	(void)state;
	img = render(&c);
	for (x = 0; x < SHARE_WIDTH; x++)
		filled += pixel_at(img, x, BAR_Y + BAR_H / 2) == FILL;
	assert_int_equal(filled, 1200 * INNER / 1500);
	assert_int_equal(filled, bar_width(&st));
	cairo_surface_destroy(img);

	c.ended = true;
	img = render(&c);
	filled = 0;
	for (x = 0; x < SHARE_WIDTH; x++)
		filled += pixel_at(img, x, BAR_Y + BAR_H / 2) == FILL;
	assert_int_equal(filled, 0);
	cairo_surface_destroy(img);
}

/* The font pango chose for each run of layout l. */
static void
assert_runs_in(PangoLayout *l, const char *family)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	int runs = 0;

	do {
		PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
		PangoFontDescription *fd;

		if (run == NULL)
			continue;
		fd = pango_font_describe(run->item->analysis.font);
		assert_string_equal(pango_font_description_get_family(fd),
		    family);
		pango_font_description_free(fd);
		runs++;
	} while (pango_layout_iter_next_run(it));
	pango_layout_iter_free(it);
	assert_true(runs > 0);
}

/* Cyrillic and Greek titles: no unknown glyph, every run in DejaVu Sans
 * (which has both scripts), and the image's title rows equal a reference
 * drawn with DejaVu Sans named alone. An unassigned code point shows the
 * count of unknown glyphs is no formality. */
static void
test_titles_have_glyphs(void **state)
{
	static const char *const titles[] = {
		TITLE_RU,
		"Збережіть ґанок і їжака: Київ, Львів, Одеса",
		"Ελευθερία για τους κρατουμένους",
	};
	cairo_surface_t *s, *img, *ref;
	PangoFontDescription *fd;
	PangoLayout *l;
	cairo_t *cr;

	(void)state;
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SHARE_WIDTH,
	    SHARE_HEIGHT);
	cr = cairo_create(s);
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		struct share_card c = card("ru", titles[i], 10, 100);

		l = title_layout(cr, titles[i]);
		assert_int_equal(pango_layout_get_unknown_glyphs_count(l), 0);
		assert_runs_in(l, "DejaVu Sans");
		g_object_unref(l);

		/* The reference: the same background, DejaVu Sans alone. */
		img = render(&c);
		ref = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
		    SHARE_WIDTH, SHARE_HEIGHT);
		{
			cairo_t *rc = cairo_create(ref);

			cairo_set_source_rgb(rc, 0x15 / 255.0, 0x32 / 255.0,
			    0x4f / 255.0);
			cairo_paint(rc);
			l = pango_cairo_create_layout(rc);
			fd = pango_font_description_from_string(
			    "DejaVu Sans Bold");
			pango_font_description_set_absolute_size(fd,
			    60 * PANGO_SCALE);
			pango_layout_set_font_description(l, fd);
			pango_font_description_free(fd);
			pango_layout_set_width(l, 1072 * PANGO_SCALE);
			pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
			pango_layout_set_text(l, titles[i], -1);
			cairo_set_source_rgb(rc, 1, 1, 1);
			cairo_move_to(rc, 64, 108);
			pango_cairo_show_layout(rc, l);
			g_object_unref(l);
			cairo_destroy(rc);
		}
		cairo_surface_flush(ref);
		assert_int_equal(diff_rows(img, ref, 100, 400), 0);
		/* Not an empty region that matches trivially. */
		assert_true(diff_rows(ref, s, 100, 400) > 1000);
		cairo_surface_destroy(ref);
		cairo_surface_destroy(img);
	}
	l = title_layout(cr, "Тест \xf4\x8f\xbf\xbd");
	assert_true(pango_layout_get_unknown_glyphs_count(l) > 0);
	g_object_unref(l);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
}

/* A title of 1,000 characters ends in an ellipsis within four lines. */
static void
test_long_title(void **state)
{
	char title[3000] = "";
	cairo_surface_t *s;
	PangoLayout *l;
	cairo_t *cr;

	(void)state;
	for (int i = 0; i < 100; i++)
		strcat(title, "Свобода! ");
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 10, 10);
	cr = cairo_create(s);
	l = title_layout(cr, title);
	assert_true(pango_layout_is_ellipsized(l));
	assert_int_equal(pango_layout_get_line_count(l), TITLE_LINES);
	g_object_unref(l);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
}

static void
test_background(void **state)
{
	/* 2×2 red and green, one pixel transparent. */
	static const unsigned char rgba[] = { 255, 0, 0, 255, 0, 255, 0, 255, 0,
		255, 0, 255, 255, 0, 0, 0 };
	static const unsigned char rgb[] = { 200, 200, 200, 10, 10, 10 };
	struct share_bg bg = { rgba, 2, 2, 8, 4 };
	struct share_card c = card("uk", "Фон", 10, 100);
	cairo_surface_t *plain, *img;
	struct buf b;

	(void)state;
	plain = render(&c);
	c.bg = &bg;
	img = render(&c);
	/* The top left is red under the veil, the top right green. */
	assert_true(diff(plain, img) > SHARE_WIDTH * SHARE_HEIGHT / 2);
	assert_true(((pixel_at(img, 5, 5) >> 16) & 0xff) >
	    (pixel_at(img, 5, 5) & 0xff00) >> 8);
	assert_true(((pixel_at(img, SHARE_WIDTH - 5, 5) >> 8) & 0xff) >
	    pixel_at(img, SHARE_WIDTH - 5, 5) >> 16);
	cairo_surface_destroy(img);
	bg = (struct share_bg){ rgb, 2, 1, 6, 3 };
	img = render(&c);
	cairo_surface_destroy(img);

	/* Malformed backgrounds are refused, nothing crashes. */
	buf_init(&b);
	bg = (struct share_bg){ rgb, 2, 1, 5, 3 }; /* stride too small */
	assert_int_equal(share_png(&c, &b), -1);
	bg = (struct share_bg){ rgb, 2, 1, 6, 2 };
	assert_int_equal(share_png(&c, &b), -1);
	bg = (struct share_bg){ rgb, 0, 1, 6, 3 };
	assert_int_equal(share_png(&c, &b), -1);
	bg = (struct share_bg){ rgb, SHARE_BG_MAX + 1, 1, 6, 3 };
	assert_int_equal(share_png(&c, &b), -1);
	bg = (struct share_bg){ NULL, 2, 1, 6, 3 };
	assert_int_equal(share_png(&c, &b), -1);
	buf_reset(&b);
	cairo_surface_destroy(plain);
}

/* The words come from the catalogue, in the page's language. */
static void
test_language(void **state)
{
	struct share_card en = card("en", "Title", 1234, 1000);
	struct share_card ru = card("ru", "Title", 1234, 1000);
	cairo_surface_t *a, *b;

	(void)state;
	a = render(&en);
	b = render(&ru);
	assert_int_equal(diff_rows(a, b, 0, 400), 0);
	assert_true(diff_rows(a, b, 400, SHARE_HEIGHT) > 0);
	cairo_surface_destroy(a);
	cairo_surface_destroy(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_pixels_follow_steps),
		cmocka_unit_test(test_bar),
		cmocka_unit_test(test_titles_have_glyphs),
		cmocka_unit_test(test_long_title),
		cmocka_unit_test(test_background),
		cmocka_unit_test(test_language),
	};

	return cmocka_run_group_tests(tests, i18n_setup, render_teardown);
}
