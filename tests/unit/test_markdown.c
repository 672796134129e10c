/* test_markdown.c - markdown.c: safe rendering and plain-text summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../src/markdown.c"
#include "form.h"

/* Relative to the repository root, where the tests are run. */
#define SEED_FILE "seed/petition.md"
#define ELLIPSIS "\xe2\x80\xa6" /* … */

/* Renders src into a malloc'd string. */
static char *
render(const char *src)
{
	struct buf b;
	char *html;

	buf_init(&b);
	buf_append(&b, "", 0);
	assert_int_equal(markdown_render(src, strlen(src), &b), 0);
	html = buf_steal(&b, NULL);
	assert_non_null(html);
	return html;
}

/* Case-insensitive substring search. */
static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* True when any href= or src= value starts with a dangerous scheme. */
static bool
has_dangerous_url(const char *html)
{
	static const char *const attrs[] = { "href=\"", "src=\"" };
	static const char *const schemes[] = {
		"javascript:",
		"vbscript:",
		"file:",
		"data:text/html",
	};
	size_t i, k;
	const char *p;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		for (p = html; (p = strstr(p, attrs[i])) != NULL; p++) {
			const char *v = p + strlen(attrs[i]);

			while (*v == ' ' || *v == '\t')
				v++;
			for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]);
			     k++)
				if (strncasecmp(v, schemes[k],
					strlen(schemes[k])) == 0)
					return true;
		}
	return false;
}

static void
test_raw_html_never_passes(void **state)
{
	static const char *const srcs[] = {
		"<script>alert(1)</script>",
		"<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
		"Hello <script>alert(1)</script> world",
		"<img src=x onerror=alert(1)>",
		"text <img src=x onerror=alert(1)> text",
		"<IMG SRC=\"x\" ONERROR=\"alert(1)\">",
		"<iframe src=\"https://evil.example\"></iframe>",
		"para\n\n<iframe src=javascript:alert(1)>\n\nmore",
		"<div onclick=\"alert(1)\">click</div>",
		"<svg onload=alert(1)>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<style>body{display:none}</style>",
		"<!-- <script>alert(1)</script> -->",
		"<object data=\"x.swf\"></object>",
		"<embed src=\"x.swf\">",
		"<form action=\"https://evil.example\"><input name=p></form>",
		"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
		"- item <script>alert(1)</script>\n- <img src=x onerror=alert(1)>",
		"> quote <iframe></iframe>",
		"*<script>x</script>*",
		"[<img src=x onerror=alert(1)>](https://example.org)",
	};
	static const char *const forbidden[] = {
		"<script",
		"<img",
		"<iframe",
		"<div",
		"<svg",
		"<a href=\"j",
		"<style",
		"<object",
		"<embed",
		"<form",
		"<input",
		"<meta",
		"onerror=\"",
		"onload=\"",
		"onclick=\"",
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		char *html = render(srcs[i]);

		for (k = 0; k < sizeof(forbidden) / sizeof(forbidden[0]); k++) {
			if (contains_ci(html, forbidden[k])) {
				char msg[1024];

				snprintf(msg, sizeof(msg), "%s -> %s", srcs[i],
				    html);
				free(html);
				fail_msg("raw HTML %s passed: %s", forbidden[k],
				    msg);
			}
		}
		free(html);
	}
}

static void
test_raw_html_replaced(void **state)
{
	char *html;

	(void)state;
	/* The surrounding text survives; the tag does not. */
	html = render("Hello <script>alert(1)</script> world");
	assert_non_null(strstr(html, "Hello"));
	assert_non_null(strstr(html, "world"));
	assert_null(strstr(html, "<script"));
	free(html);
	/* Written as text, it is escaped, not dropped. */
	html = render("Use `<script>` tags");
	assert_non_null(strstr(html, "<code>&lt;script&gt;</code>"));
	free(html);
	html = render("1 < 2 & 3 > 2");
	assert_non_null(strstr(html, "1 &lt; 2 &amp; 3 &gt; 2"));
	free(html);
}

static void
test_dangerous_links(void **state)
{
	static const char *const srcs[] = {
		"[click](javascript:alert(1))",
		"[click](JavaScript:alert(1))",
		"[click](JAVASCRIPT:alert(1))",
		"[click](<javascript:alert(1)>)",
		"[click](javascript&colon;alert(1))",
		"[click](&#106;avascript:alert(1))",
		"[click](vbscript:msgbox(1))",
		"[click](VBScript:msgbox(1))",
		"[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"[click](DATA:text/html,<script>alert(1)</script>)",
		"[click](file:///etc/passwd)",
		"<javascript:alert(1)>",
		"<vbscript:msgbox(1)>",
		"<data:text/html,x>",
		"[click][ref]\n\n[ref]: javascript:alert(1)",
		"![img](javascript:alert(1))",
		"![img](data:text/html,<script>alert(1)</script>)",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		char *html = render(srcs[i]);

		if (has_dangerous_url(html)) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s -> %s", srcs[i], html);
			free(html);
			fail_msg("dangerous URL kept: %s", msg);
		}
		free(html);
	}
}

static void
test_normal_markdown(void **state)
{
	char *html;

	(void)state;
	html = render("[site](https://example.org/a?b=1&c=2)");
	assert_non_null(strstr(html,
	    "<a href=\"https://example.org/a?b=1&amp;c=2\">site</a>"));
	free(html);
	html =
	    render("[mail](mailto:ann@example.org) and <https://example.org>");
	assert_non_null(strstr(html, "href=\"mailto:ann@example.org\""));
	assert_non_null(strstr(html, "href=\"https://example.org\""));
	free(html);
	html = render("[rel](/p/kremlin-prisoners-covid19)");
	assert_non_null(strstr(html, "href=\"/p/kremlin-prisoners-covid19\""));
	free(html);
	html = render("- one\n- two\n- three\n");
	assert_non_null(strstr(html, "<ul>"));
	assert_non_null(strstr(html, "<li>one</li>"));
	assert_non_null(strstr(html, "<li>three</li>"));
	free(html);
	html = render("1. first\n2. second\n");
	assert_non_null(strstr(html, "<ol>"));
	assert_non_null(strstr(html, "<li>second</li>"));
	free(html);
	html = render("*em* and **strong**");
	assert_non_null(strstr(html, "<em>em</em>"));
	assert_non_null(strstr(html, "<strong>strong</strong>"));
	free(html);
	html = render("# Title\n\npara one\n\npara two");
	assert_non_null(strstr(html, "<h1>Title</h1>"));
	assert_non_null(strstr(html, "<p>para one</p>"));
	assert_non_null(strstr(html, "<p>para two</p>"));
	free(html);
	/* Smart punctuation is on. */
	html = render("\"quoted\" -- dash");
	assert_non_null(strstr(html, "\xe2\x80\x9cquoted\xe2\x80\x9d"));
	free(html);
	/* A safe data: image is allowed. */
	html = render("![dot](data:image/png;base64,iVBORw0KGgo=)");
	assert_non_null(strstr(html, "src=\"data:image/png;base64,"));
	free(html);
	/* Invalid UTF-8 is repaired, not passed on. */
	html = render("caf\xc3 ok \xff");
	assert_true(form_utf8_valid(html, strlen(html)));
	free(html);
}

/* Copies the body of the seed petition, after its front matter, into out
 * (not heap memory, so a failing assertion leaks nothing). */
static size_t
seed_body(char *out, size_t cap)
{
	FILE *f = fopen(SEED_FILE, "rb");
	char src[16384], *body;
	size_t n, len;

	if (f == NULL)
		fail_msg("%s: cannot open (run from the repository root)",
		    SEED_FILE);
	n = fread(src, 1, sizeof(src) - 1, f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(src) - 1);
	src[n] = '\0';
	assert_memory_equal(src, "---\n", 4);
	body = strstr(src + 4, "\n---\n");
	assert_non_null(body);
	body += 5;
	len = strlen(body);
	assert_true(len > 1000 && len < cap);
	memcpy(out, body, len + 1);
	return len;
}

/* Runs markdown_summary into a fresh buffer; returns a malloc'd string. */
static char *
summary(const char *src, size_t len, size_t max)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_append(&b, "", 0);
	assert_int_equal(markdown_summary(src, len, max, &b), 0);
	s = buf_steal(&b, NULL);
	assert_non_null(s);
	return s;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

#define SEED_FIRST                                              \
	"An immediate reaction of international organizations " \
	"and leaders of nations is required."

static void
test_summary_seed(void **state)
{
	static char body[16384];
	size_t len = seed_body(body, sizeof(body)), max;
	char *s;

	(void)state;
	/* Long enough: the whole first paragraph, nothing more. */
	s = summary(body, len, 200);
	assert_string_equal(s, SEED_FIRST);
	free(s);
	s = summary(body, len, strlen(SEED_FIRST));
	assert_string_equal(s, SEED_FIRST);
	free(s);
	/* Cut at a word, with an ellipsis. */
	s = summary(body, len, 42);
	assert_string_equal(s,
	    "An immediate reaction of international" ELLIPSIS);
	free(s);
	/* Every limit: a cut means an ellipsis, and the text kept is a
	 * prefix of the paragraph ending at a word. */
	for (max = 10; max <= 200; max++) {
		size_t n;

		s = summary(body, len, max);
		n = strlen(s);
		if (!form_utf8_valid(s, n)) {
			free(s);
			fail_msg("max %zu: not valid UTF-8", max);
		}
		if (max < strlen(SEED_FIRST)) {
			assert_true(ends_with(s, ELLIPSIS));
			n -= strlen(ELLIPSIS);
			assert_true(n > 0);
			assert_memory_equal(s, SEED_FIRST, n);
			assert_int_equal(SEED_FIRST[n], ' ');
			assert_true(s[n - 1] != ' ');
		} else {
			assert_string_equal(s, SEED_FIRST);
		}
		free(s);
	}
}

/* Fails unless the summary, ellipsis included, fits in max bytes. */
static void
check_within(const char *what, const char *src, size_t len, size_t max)
{
	char *s = summary(src, len, max);
	size_t n = strlen(s);

	if (n > max) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s, max %zu: %zu bytes \"%s\"",
		    what, max, n, s);
		free(s);
		fail_msg("summary longer than its limit: %s", msg);
	}
	free(s);
}

/* The limit is for what is appended, the ellipsis included: a meta
 * description of max bytes must not become max + 3. */
static void
test_summary_within_limit(void **state)
{
	static const char *const srcs[] = {
		"one two three four five six seven eight nine ten",
		"abcdefghijklmnopqrstuvwxyz",
		"\xd0\xa1\xd0\xb2\xd0\xbe\xd0\xb1\xd0\xbe\xd0\xb4\xd0\xb0 "
		"\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xb8\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5"
		"\xd1\x81\xd0\xba\xd0\xb8\xd0\xbc",
	};
	static char body[16384];
	size_t len = seed_body(body, sizeof(body)), max, i;

	(void)state;
	for (max = 10; max <= 200; max++)
		check_within("seed", body, len, max);
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
		for (max = 3; max <= strlen(srcs[i]) + 1; max++)
			check_within(srcs[i], srcs[i], strlen(srcs[i]), max);
}

static void
test_summary_text(void **state)
{
	static const struct {
		const char *src;
		size_t max;
		const char *want;
	} cases[] = {
		{ "", 100, "" },
		{ "Hello world", 100, "Hello world" },
		{ "Hello   world\nagain\tand\n  again", 100,
		    "Hello world again and again" },
		{ "*Hello* **big** `code` world", 100, "Hello big code world" },
		{ "# Heading\n\nFirst para.\n\nSecond para.", 100,
		    "First para." },
		{ "- item one\n- item two", 100, "item one" },
		{ "line one  \nline two", 100, "line one line two" },
		{ "a <b>bold</b> c", 100, "a bold c" },
		{ "x<script>alert(1)</script>", 100, "xalert(1)" },
		{ "1 &lt; 2 &amp; 3", 100, "1 < 2 & 3" },
		{ "[link text](https://example.org) after", 100,
		    "link text after" },
		{ "one two three four", 11, "one two" ELLIPSIS },
		{ "one two three four", 16, "one two three" ELLIPSIS },
		{ "one two three four", 18, "one two three four" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s =
		    summary(cases[i].src, strlen(cases[i].src), cases[i].max);

		if (strcmp(s, cases[i].want) != 0) {
			char msg[512];

			snprintf(msg, sizeof(msg),
			    "\"%s\" max %zu: \"%s\", want "
			    "\"%s\"",
			    cases[i].src, cases[i].max, s, cases[i].want);
			free(s);
			fail_msg("%s", msg);
		}
		free(s);
	}
}

/* Cyrillic letters are two bytes: no limit may split one. */
static void
test_summary_utf8(void **state)
{
	/* "Свобода политическим заключённым сейчас" and one unbroken word. */
	static const char *const srcs[] = {
		"\xd0\xa1\xd0\xb2\xd0\xbe\xd0\xb1\xd0\xbe\xd0\xb4\xd0\xb0 "
		"\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xb8\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5"
		"\xd1\x81\xd0\xba\xd0\xb8\xd0\xbc "
		"\xd0\xb7\xd0\xb0\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\xd1\x91\xd0\xbd"
		"\xd0\xbd\xd1\x8b\xd0\xbc "
		"\xd1\x81\xd0\xb5\xd0\xb9\xd1\x87\xd0\xb0\xd1\x81",
		"\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96"
		"\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96"
		"\xd0\x96\xd0\x96\xd0\x96\xd0\x96",
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
		"\xd0\x96\xe2\x82\xac\xf0\x9f\x98\x80\xd0\x96\xe2\x82\xac\xf0\x9f"
		"\x98\x80\xd0\x96\xe2\x82\xac\xf0\x9f\x98\x80",
	};
	size_t i, max;

	(void)state;
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		size_t srclen = strlen(srcs[i]);

		for (max = 3; max <= srclen + 2; max++) {
			char *s = summary(srcs[i], srclen, max);
			size_t n = strlen(s);

			if (!form_utf8_valid(s, n)) {
				free(s);
				fail_msg("src %zu max %zu: cut inside a UTF-8 "
					 "sequence",
				    i, max);
			}
			if (max >= srclen) {
				assert_string_equal(s, srcs[i]);
			} else {
				assert_true(ends_with(s, ELLIPSIS));
				n -= strlen(ELLIPSIS);
				/* What is kept is a prefix of the source. */
				assert_memory_equal(s, srcs[i], n);
			}
			free(s);
		}
	}
}

/* Appending to a buffer keeps what was there and measures from there. */
static void
test_summary_appends(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "prefix:");
	assert_int_equal(markdown_summary("one two three", 13, 11, &b), 0);
	assert_string_equal(b.data, "prefix:one two" ELLIPSIS);
	buf_reset(&b);
}

/* Long sources are kept rendered: the second rendering is the first's
 * bytes, each source and each way of rendering it has its own, a buffer's
 * earlier bytes are not kept with it, and more sources than are kept still
 * render right. */
static void
test_kept(void **state)
{
	char src[600], want[64];
	struct buf a, b, fresh;
	unsigned char key[crypto_generichash_BYTES];
	int i;

	(void)state;
	for (i = 0; i < 2 * KEPT_MAX + 3; i++) {
		int n = snprintf(src, sizeof src,
		    "Text number %d, *emphasised*, long enough to be kept. ", i);

		while (n < KEPT_SRC_MIN + 20)
			n += snprintf(src + n, sizeof src - (size_t)n,
			    "More words %d. ", i);
		buf_init(&a);
		buf_init(&b);
		buf_init(&fresh);
		buf_puts(&a, "prefix:");
		assert_int_equal(markdown_render(src, strlen(src), &a), 0);
		kept_key(KEPT_HTML, 0, src, strlen(src), key);
		assert_true(kept_get(key, &b));
		assert_string_equal(b.data, a.data + 7);
		buf_reset(&b);
		assert_int_equal(markdown_render(src, strlen(src), &b), 0);
		assert_string_equal(b.data, a.data + 7);
		assert_int_equal(render_html(src, strlen(src), &fresh), 0);
		assert_string_equal(b.data, fresh.data);
		snprintf(want, sizeof want, "Text number %d, <em>", i);
		assert_non_null(strstr(b.data, want));
		buf_reset(&a);
		buf_reset(&b);
		buf_reset(&fresh);
		/* The same source summarised, at two lengths. */
		assert_int_equal(markdown_summary(src, strlen(src), 40, &a), 0);
		assert_int_equal(markdown_summary(src, strlen(src), 80, &b), 0);
		assert_int_equal(summary_make(src, strlen(src), 80, &fresh), 0);
		assert_true(strlen(a.data) <= 40);
		assert_string_equal(b.data, fresh.data);
		assert_string_not_equal(a.data, b.data);
		buf_reset(&a);
		buf_reset(&b);
		buf_reset(&fresh);
	}
	/* The first source has long been replaced: rendered again. */
	snprintf(src, sizeof src,
	    "Text number 0, *emphasised*, long enough "
	    "to be kept. ");
	while (strlen(src) < KEPT_SRC_MIN + 20)
		snprintf(src + strlen(src), sizeof src - strlen(src),
		    "More words 0. ");
	buf_init(&a);
	kept_key(KEPT_HTML, 0, src, strlen(src), key);
	assert_false(kept_get(key, &a));
	assert_int_equal(markdown_render(src, strlen(src), &a), 0);
	assert_non_null(strstr(a.data, "Text number 0, <em>"));
	buf_reset(&a);
}

/* The text part of update mail: Markdown read as text, no asterisks. */
static char *
text(const char *src)
{
	struct buf b;
	char *t;

	buf_init(&b);
	buf_append(&b, "", 0);
	assert_int_equal(markdown_text(src, strlen(src), &b), 0);
	t = buf_steal(&b, NULL);
	assert_non_null(t);
	return t;
}

static void
test_text_plain(void **state)
{
	char *t;

	(void)state;
	t = text(
	    "We have **21** of them.\n\nSecond _para_ with [a link](https://example.org/x) "
	    "and <b>html</b>.\n\n- one\n- two\n\n1. first\n2. second\n\n# Head\n");
	assert_string_equal(t,
	    "We have 21 of them.\n\nSecond para with a link (https://example.org/x) and html.\n\n"
	    "- one\n- two\n\n1. first\n2. second\n\nHead\n");
	assert_null(strchr(t, '*'));
	free(t);
	t = text("<https://example.org/>\n");
	assert_string_equal(t, "https://example.org/\n");
	free(t);
	t = text("");
	assert_string_equal(t, "");
	free(t);
	/* Invalid UTF-8 is replaced, never passed on. */
	t = text("a\xff b\n");
	assert_true(form_utf8_valid(t, strlen(t)));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_html_never_passes),
		cmocka_unit_test(test_raw_html_replaced),
		cmocka_unit_test(test_dangerous_links),
		cmocka_unit_test(test_normal_markdown),
		cmocka_unit_test(test_summary_seed),
		cmocka_unit_test(test_summary_within_limit),
		cmocka_unit_test(test_summary_text),
		cmocka_unit_test(test_summary_utf8),
		cmocka_unit_test(test_summary_appends),
		cmocka_unit_test(test_text_plain),
		cmocka_unit_test(test_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
