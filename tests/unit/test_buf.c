/* test_buf.c - buf.c: growable buffers and the HTML, JSON and URL escapers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include "../../src/buf.c"

/* Relative to the repository root, where the tests are run. */
#define XSS_FILE "tests/data/xss/xss-payloads.txt"

static void
test_append_basics(void **state)
{
	struct buf b;
	char *p;
	size_t len, i;

	(void)state;
	buf_init(&b);
	assert_int_equal(b.len, 0);
	assert_true(buf_ok(&b));
	buf_append(&b, "", 0);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_puts(&b, "abc");
	buf_putc(&b, '-');
	buf_printf(&b, "%d:%s", 42, "x");
	buf_append(&b, "yz\0w", 4);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data, "abc-42:xyz\0w", 13);
	/* Grows past the first allocation and stays NUL-terminated. */
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%04zu", i);
	assert_int_equal(b.len, 12 + 4000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data + 12, "00000001", 8);
	assert_memory_equal(b.data + b.len - 4, "0999", 4);
	assert_true(buf_ok(&b));

	p = buf_steal(&b, &len);
	assert_int_equal(len, 4012);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	buf_puts(&b, "again");
	assert_string_equal(b.data, "again");
	buf_reset(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* Stealing an empty buffer. */
	p = buf_steal(&b, NULL);
	assert_null(p);
}

static void
test_oom_sticks(void **state)
{
	/* volatile: the compiler must not see the absurd size. */
	volatile size_t huge = (size_t)-1 / 2 + 10;
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "abc");
	/* A size that cannot be allocated sets oom; later appends do nothing. */
	buf_append(&b, "x", huge);
	assert_false(buf_ok(&b));
	assert_int_equal(b.len, 3);
	buf_puts(&b, "def");
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	buf_reset(&b);
	assert_true(buf_ok(&b));
}

/* Returns the escaped form of s as a malloc'd string. */
static char *
esc(void (*fn)(struct buf *, const char *, size_t), const char *s, size_t n)
{
	struct buf b;
	char *p;

	buf_init(&b);
	buf_append(&b, "", 0); /* "" rather than NULL for empty output */
	fn(&b, s, n);
	assert_true(buf_ok(&b));
	p = buf_steal(&b, NULL);
	assert_non_null(p);
	return p;
}

static void
check_esc(void (*fn)(struct buf *, const char *, size_t), const char *in,
    size_t n, const char *want)
{
	char *got = esc(fn, in, n);

	if (strcmp(got, want) != 0) {
		char msg[512];

		snprintf(msg, sizeof(msg),
		    "escaped \"%s\" to \"%s\", want \"%s\"", in, got, want);
		free(got);
		fail_msg("%s", msg);
	}
	free(got);
}

#define CHECK(fn, lit, want) check_esc((fn), (lit), sizeof(lit) - 1, (want))

static void
test_html(void **state)
{
	(void)state;
	CHECK(buf_append_html, "", "");
	CHECK(buf_append_html, "plain text", "plain text");
	CHECK(buf_append_html, "&", "&amp;");
	CHECK(buf_append_html, "<", "&lt;");
	CHECK(buf_append_html, ">", "&gt;");
	CHECK(buf_append_html, "\"", "&quot;");
	CHECK(buf_append_html, "'", "&#39;");
	CHECK(buf_append_html, "`", "&#96;");
	CHECK(buf_append_html, "&<>\"'`", "&amp;&lt;&gt;&quot;&#39;&#96;");
	CHECK(buf_append_html, "<script>alert('x')</script>",
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	CHECK(buf_append_html, "\" onmouseover=\"x",
	    "&quot; onmouseover=&quot;x");
	CHECK(buf_append_html, "&amp;", "&amp;amp;"); /* not double-decoded */
	CHECK(buf_append_html, "a<b>c", "a&lt;b&gt;c");
	CHECK(buf_append_html, "caf\xc3\xa9 \xd0\x96", "caf\xc3\xa9 \xd0\x96");
	/* Only n bytes are read. */
	check_esc(buf_append_html, "ab<cd", 3, "ab&lt;");
	/* Embedded NULs pass through with the rest. */
	{
		struct buf b;

		buf_init(&b);
		buf_append_html(&b, "a\0<", 3);
		assert_int_equal(b.len, 6);
		assert_memory_equal(b.data, "a\0&lt;", 6);
		buf_reset(&b);
	}
}

/* Undoes buf_append_html's six entities; returns the length. */
static size_t
html_unescape(char *s)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
		{ "&amp;", '&' },
		{ "&lt;", '<' },
		{ "&gt;", '>' },
		{ "&quot;", '"' },
		{ "&#39;", '\'' },
		{ "&#96;", '`' },
	};
	size_t i = 0, o = 0, k;

	while (s[i] != '\0') {
		if (s[i] == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (strncmp(s + i, ents[k].ent,
					strlen(ents[k].ent)) == 0)
					break;
			assert_true(k < sizeof(ents) / sizeof(ents[0]));
			s[o++] = ents[k].c;
			i += strlen(ents[k].ent);
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	return o;
}

static void
test_html_xss_payloads(void **state)
{
	FILE *f = fopen(XSS_FILE, "r");
	char *line = NULL;
	size_t cap = 0, lines = 0, dangerous = 0;
	ssize_t n;

	(void)state;
	if (f == NULL)
		fail_msg("%s: cannot open (run from the repository root)",
		    XSS_FILE);
	while ((n = getline(&line, &cap, f)) != -1) {
		char *out;
		size_t len;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		lines++;
		if (memchr(line, '<', (size_t)n) || memchr(line, '"', (size_t)n))
			dangerous++;
		out = esc(buf_append_html, line, (size_t)n);
		if (strpbrk(out, "<>\"'`") != NULL) {
			fprintf(stderr, "line %zu: %s\n-> %s\n", lines, line,
			    out);
			free(out);
			free(line);
			fclose(f);
			fail_msg("payload line %zu escaped with a raw <, >, \", ' "
				 "or `",
			    lines);
		}
		/* Lossless: the entities decode back to the payload. */
		len = html_unescape(out);
		if (len != (size_t)n || memcmp(out, line, len) != 0) {
			free(out);
			free(line);
			fclose(f);
			fail_msg("payload line %zu does not round-trip", lines);
		}
		free(out);
	}
	free(line);
	fclose(f);
	/* The file is really there and really hostile. */
	assert_true(lines > 6000);
	assert_true(dangerous > 5000);
}

static void
test_json(void **state)
{
	(void)state;
	CHECK(buf_append_json, "", "");
	CHECK(buf_append_json, "plain", "plain");
	CHECK(buf_append_json, "\"", "\\\"");
	CHECK(buf_append_json, "\\", "\\\\");
	CHECK(buf_append_json, "a\"b\\c", "a\\\"b\\\\c");
	CHECK(buf_append_json, "\n\r\t", "\\n\\r\\t");
	CHECK(buf_append_json, "\x01", "\\u0001");
	CHECK(buf_append_json, "\x1f", "\\u001f");
	CHECK(buf_append_json, "\b\f", "\\u0008\\u000c");
	CHECK(buf_append_json, "<", "\\u003c");
	CHECK(buf_append_json, ">", "\\u003e");
	CHECK(buf_append_json, "&", "\\u0026");
	CHECK(buf_append_json, "</script><!--",
	    "\\u003c/script\\u003e\\u003c!--");
	CHECK(buf_append_json, "'", "'");
	CHECK(buf_append_json, "caf\xc3\xa9 \xd0\x96", "caf\xc3\xa9 \xd0\x96");
	check_esc(buf_append_json, "\0", 1, "\\u0000");
	check_esc(buf_append_json, "ab\"cd", 3, "ab\\\"");
}

/* Every byte 0..127 escaped and decoded by jansson gives it back. */
static void
test_json_roundtrip(void **state)
{
	char in[128], doc[1024];
	struct buf b;
	json_error_t err;
	json_t *j;
	int i;

	(void)state;
	for (i = 0; i < 128; i++)
		in[i] = (char)i;
	buf_init(&b);
	buf_putc(&b, '"');
	buf_append_json(&b, in, sizeof(in));
	buf_putc(&b, '"');
	assert_true(b.len < sizeof(doc));
	memcpy(doc, b.data, b.len + 1);
	assert_null(strpbrk(doc + 1, "<>&"));
	j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	buf_reset(&b);
	if (j == NULL)
		fail_msg("jansson: %s in %s", err.text, doc);
	assert_int_equal(json_string_length(j), sizeof(in));
	assert_memory_equal(json_string_value(j), in, sizeof(in));
	json_decref(j);
}

static void
test_urlenc(void **state)
{
	(void)state;
	CHECK(buf_append_urlenc, "", "");
	CHECK(buf_append_urlenc, "AZaz09-._~", "AZaz09-._~");
	CHECK(buf_append_urlenc, " ", "%20");
	CHECK(buf_append_urlenc, "a b&c=d", "a%20b%26c%3Dd");
	CHECK(buf_append_urlenc, "+%/?#", "%2B%25%2F%3F%23");
	CHECK(buf_append_urlenc, "<\"'>", "%3C%22%27%3E");
	CHECK(buf_append_urlenc, "caf\xc3\xa9", "caf%C3%A9");
	CHECK(buf_append_urlenc, "\xff\x80\x7f", "%FF%80%7F");
	check_esc(buf_append_urlenc, "\0", 1, "%00");
	check_esc(buf_append_urlenc, "a b", 2, "a%20");
}

/* CSV cells: always quoted, quotes doubled, formulas kept as text. */
static void
test_csv(void **state)
{
	(void)state;
	CHECK(buf_append_csv, "", "\"\"");
	CHECK(buf_append_csv, "Anna", "\"Anna\"");
	CHECK(buf_append_csv, "a \"b\", c", "\"a \"\"b\"\", c\"");
	CHECK(buf_append_csv, "=HYPERLINK(1)", "\"'=HYPERLINK(1)\"");
	CHECK(buf_append_csv, "+1", "\"'+1\"");
	CHECK(buf_append_csv, "-1", "\"'-1\"");
	CHECK(buf_append_csv, "@x", "\"'@x\"");
	CHECK(buf_append_csv, "\tx", "\"'\tx\"");
	CHECK(buf_append_csv, "\rx", "\"'\rx\"");
	CHECK(buf_append_csv, "a=b", "\"a=b\"");
	CHECK(buf_append_csv, "line\nbreak", "\"line\nbreak\"");
	CHECK(buf_append_csv, "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0",
	    "\"\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0\"");
	check_esc(buf_append_csv, "=a", 1, "\"'=\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_basics),
		cmocka_unit_test(test_oom_sticks),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_xss_payloads),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_urlenc),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
