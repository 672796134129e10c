/* test_pagecache.c - pagecache.c: live values spliced into cached pages, and
 * one render shared by the readers who see the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/pagecache.c"

#define KEY "page\nen\nseed"

/* Caches a page with the count, the form token and a choice of two
 * countries under KEY for petition 7. */
static void
put_page(const char *title)
{
	char count[8], csrf[8], ua[8], ru[8], html[512];
	struct pagecache_meta meta = { .petition_id = 7 };

	pagecache_marker(LIVE_COUNT, count);
	pagecache_marker(LIVE_CSRF, csrf);
	pagecache_choice_marker("UA", ua);
	pagecache_choice_marker("RU", ru);
	snprintf(html, sizeof(html),
	    "<h1>%s</h1><p>%s people</p><input value=\"%s\">"
	    "<option value=UA%s>UA</option><option value=RU%s>RU</option>",
	    title, count, csrf, ua, ru);
	assert_int_equal(pagecache_put(KEY, html, strlen(html), &meta), 0);
}

static void
live_set(const char *live[LIVE__MAX], const char *count, const char *csrf)
{
	for (int i = 0; i < LIVE__MAX; i++)
		live[i] = "";
	live[LIVE_COUNT] = count;
	live[LIVE_CSRF] = csrf;
}

/* What pagecache_render() makes for the same inputs: the shared render
 * must be the same bytes. */
static void
assert_same_as_copy(const char *const live[LIVE__MAX], const char *choice,
    const char *html, size_t len)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(pagecache_render(KEY, live, choice, " selected", &b),
	    0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, html, len);
	buf_reset(&b);
}

static void
test_same_values_share_one_render(void **state)
{
	(void)state;
	const char *live[LIVE__MAX], *a, *b, *c;
	struct pagecache_page *pa, *pb, *pc;
	size_t la, lb, lc;

	put_page("Free them");
	live_set(live, "1 <2>", "tok1");
	pa = pagecache_render_shared(KEY, live, "UA", " selected", &a, &la);
	assert_non_null(pa);
	assert_non_null(strstr(a, "<p>1 &lt;2&gt; people</p>"));
	assert_non_null(strstr(a, "value=UA selected>"));
	assert_null(strstr(a, "value=RU selected"));
	assert_int_equal(strlen(a), la);
	assert_same_as_copy(live, "UA", a, la);

	/* Another reader, the same values (in other strings): the same
	 * page, not a copy. */
	char count2[] = "1 <2>", csrf2[] = "tok1";
	live_set(live, count2, csrf2);
	pb = pagecache_render_shared(KEY, live, "UA", " selected", &b, &lb);
	assert_ptr_equal(pb, pa);
	assert_ptr_equal(b, a);

	/* Another choice, then another count: renders of their own. */
	pc = pagecache_render_shared(KEY, live, "RU", " selected", &c, &lc);
	assert_ptr_not_equal(pc, pa);
	assert_non_null(strstr(c, "value=RU selected>"));
	assert_same_as_copy(live, "RU", c, lc);
	pagecache_page_release(pc);
	live_set(live, "2", "tok1");
	pc = pagecache_render_shared(KEY, live, "RU", " selected", &c, &lc);
	assert_non_null(strstr(c, "<p>2 people</p>"));
	pagecache_page_release(pc);

	/* The first page is still whole while its holders have it, though
	 * the entry has moved on. */
	assert_non_null(strstr(a, "<p>1 &lt;2&gt; people</p>"));
	pagecache_page_release(pa);
	pagecache_page_release(pb);
	pagecache_clear();
}

static void
test_page_outlives_its_entry(void **state)
{
	(void)state;
	const char *live[LIVE__MAX], *a, *b;
	struct pagecache_page *pa, *pb;
	size_t la, lb;

	put_page("Old title");
	live_set(live, "5", "tok");
	pa = pagecache_render_shared(KEY, live, NULL, " selected", &a, &la);
	assert_non_null(pa);
	/* An edit drops the entry: a reply still sending the old page
	 * keeps it, and the next render is of the new entry. */
	pagecache_invalidate(7);
	assert_null(
	    pagecache_render_shared(KEY, live, NULL, " selected", &b, &lb));
	assert_non_null(strstr(a, "<h1>Old title</h1>"));
	put_page("New title");
	pb = pagecache_render_shared(KEY, live, NULL, " selected", &b, &lb);
	assert_non_null(pb);
	assert_non_null(strstr(b, "<h1>New title</h1>"));
	assert_null(strstr(b, "selected"));
	assert_non_null(strstr(a, "<h1>Old title</h1>"));
	pagecache_page_release(pa);
	pagecache_page_release(pb);
	pagecache_page_release(NULL);
	pagecache_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_values_share_one_render),
		cmocka_unit_test(test_page_outlives_its_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
