/* test_import.c - import.c: petition files, front matter and the errors that
 * name the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/import.c"

/* Relative to the repository root, where the tests are run. */
#define SEED_FILE "seed/petition.md"

#define SEED_TITLE                                              \
	"The prisoners of the Kremlin are defenseless against " \
	"COVID-19. We have to be their voice!"

static int
setup_arena(void **state)
{
	*state = arena_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown_arena(void **state)
{
	arena_free(*state);
	return 0;
}

/* A well-formed file with one line replaced: line n (2-6) of the front
 * matter becomes repl, or is dropped when repl is NULL. */
static const char *const good_lines[] = {
	"---",
	"title: Free them all",
	"to: United Nations; OSCE",
	"goal: 500",
	"lang: en",
	"slug: free-them-all",
	"---",
	"Body text.",
};
#define GOOD_LINES (sizeof(good_lines) / sizeof(good_lines[0]))

static size_t
make_file(char *out, size_t cap, size_t n, const char *repl)
{
	size_t i, o = 0;

	for (i = 0; i < GOOD_LINES; i++) {
		const char *l = i + 1 == n ? repl : good_lines[i];
		int w;

		if (l == NULL)
			continue;
		w = snprintf(out + o, cap - o, "%s\n", l);
		assert_true(w >= 0 && (size_t)w < cap - o);
		o += (size_t)w;
	}
	return o;
}

/* Parses src and expects failure with a message containing each of the
 * NULL-terminated strings. */
static void
expect_error(struct arena *a, const char *src, size_t len, ...)
{
	struct petition p;
	char err[256] = "";
	const char *want;
	va_list ap;

	if (import_parse(a, src, len, &p, err, sizeof(err)) != -1)
		fail_msg("accepted:\n%.*s", (int)len, src);
	assert_true(err[0] != '\0');
	va_start(ap, len);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(err, want) == NULL) {
			va_end(ap);
			fail_msg("error \"%s\" lacks \"%s\"", err, want);
		}
	}
	va_end(ap);
}

static void
expect_ok(struct arena *a, const char *src, size_t len, struct petition *p)
{
	char err[256] = "";

	if (import_parse(a, src, len, p, err, sizeof(err)) != 0)
		fail_msg("refused (%s):\n%.*s", err, (int)len, src);
}

static void
test_seed(void **state)
{
	static const char *const to[] = {
		"United Nations",
		"Council of Europe",
		"European Union",
		"OSCE",
		"the states participating in these organizations",
	};
	struct arena *a = *state;
	struct petition p;
	char src[16384];
	size_t len, i;
	FILE *f;

	if ((f = fopen(SEED_FILE, "rb")) == NULL)
		fail_msg("%s: cannot open (run from the repository root)",
		    SEED_FILE);
	len = fread(src, 1, sizeof(src), f);
	fclose(f);
	assert_true(len > 1000 && len < sizeof(src));

	expect_ok(a, src, len, &p);
	assert_string_equal(p.title, SEED_TITLE);
	assert_int_equal(p.nto, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(p.to[i].name, to[i]);
		assert_non_null(p.to[i].description);
		assert_string_equal(p.to[i].description, "");
	}
	assert_int_equal(p.goal, 15000);
	assert_string_equal(p.lang, "en");
	assert_string_equal(p.slug, "kremlin-prisoners-covid19");
	assert_int_equal(p.state, PETITION_OPEN);
	assert_int_equal(p.count, 0);
	assert_true(p.created_at > 0);
	assert_int_equal(p.created_at, p.updated_at);
	assert_non_null(p.body_md);
	assert_memory_equal(p.body_md, "An immediate reaction", 21);
	assert_non_null(strstr(p.body_md,
	    "through illegal armed groups "
	    "controlled by it in the Donbas.\n"));
	assert_null(strstr(p.body_md, "slug:"));
	assert_true(petition_slug_valid(p.slug, strlen(p.slug)));
}

static void
test_variants(void **state)
{
	static const char crlf[] =
	    "---\r\ntitle:  Spaced  out \r\nto: A ;B;  C  ;\r\ngoal: 7\r\n"
	    "lang: uk\r\nslug: a-1\r\n---\r\n\r\nBody\r\n";
	static const char comments[] =
	    "---\n# a comment\n\ntitle: T\nto: X\n# goal: 1\ngoal: 1000000000\n"
	    "lang: zh-Hant\nslug: t\n---\n\n\nText";
	struct arena *a = *state;
	struct petition p;

	expect_ok(a, crlf, sizeof(crlf) - 1, &p);
	assert_string_equal(p.title, "Spaced  out");
	assert_int_equal(p.nto, 3);
	assert_string_equal(p.to[0].name, "A");
	assert_string_equal(p.to[1].name, "B");
	assert_string_equal(p.to[2].name, "C");
	assert_int_equal(p.goal, 7);
	assert_string_equal(p.lang, "uk");
	assert_string_equal(p.slug, "a-1");
	assert_string_equal(p.body_md, "Body\r\n");

	expect_ok(a, comments, sizeof(comments) - 1, &p);
	assert_int_equal(p.goal, 1000000000);
	assert_string_equal(p.lang, "zh-Hant");
	assert_string_equal(p.body_md, "Text");
	assert_int_equal(p.nto, 1);
}

static void
test_opening(void **state)
{
	struct arena *a = *state;

	expect_error(a, "", 0, "line 1", NULL);
	expect_error(a, "---", 3, "line 1", NULL);
	expect_error(a, "--\n", 3, "line 1", NULL);
	expect_error(a, "title: T\n---\n", 13, "line 1", NULL);
	expect_error(a, " ---\ntitle: T\n", 14, "line 1", NULL);
	expect_error(a, "----\ntitle: T\n", 14, "line 1", NULL);
	expect_error(a, "Just a body.", 12, "line 1", NULL);
}

static void
test_unclosed(void **state)
{
	struct arena *a = *state;
	char src[1024];
	size_t len;

	expect_error(a, "---\n", 4, "line 2", "closed", NULL);
	expect_error(a, "---\ntitle: T\nto: A\n", 19, "line 4", "closed", NULL);
	/* Without the closing line the body is read as front matter. */
	len = make_file(src, sizeof(src), 7, NULL);
	expect_error(a, src, len, "line 7", NULL);
	/* Without a trailing newline: still not closed. */
	expect_error(a, "---\ntitle: T", 12, "line 3", "closed", NULL);
	/* "---" with trailing text is not the closing line. */
	len = make_file(src, sizeof(src), 7, "--- ");
	expect_error(a, src, len, "line 7", NULL);
}

static void
test_key_errors(void **state)
{
	struct arena *a = *state;
	char src[1024];
	size_t len;

	len = make_file(src, sizeof(src), 3, "author: Me");
	expect_error(a, src, len, "line 3", "author", NULL);
	len = make_file(src, sizeof(src), 4, "Goal: 500");
	expect_error(a, src, len, "line 4", "Goal", NULL);
	len = make_file(src, sizeof(src), 5, ": en");
	expect_error(a, src, len, "line 5", NULL);
	len = make_file(src, sizeof(src), 5, "lang en");
	expect_error(a, src, len, "line 5", NULL);
	/* Duplicate: the second one is named. */
	len = make_file(src, sizeof(src), 6, "title: Again");
	expect_error(a, src, len, "line 6", "title", NULL);
	len = make_file(src, sizeof(src), 3, "goal: 500");
	expect_error(a, src, len, "line 4", "goal", NULL);
}

static void
test_goal_errors(void **state)
{
	static const char *const bad[] = {
		"goal: abc",
		"goal: 0",
		"goal: -5",
		"goal:",
		"goal: 1.5",
		"goal: 15000x",
		"goal: 15 000",
		"goal: 1e4",
		"goal: 0x10",
		"goal: 1000000001",
		"goal: 99999999999999999999",
		"goal: 999999999999999999999999999999",
	};
	struct arena *a = *state;
	char src[1024];
	size_t len, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = make_file(src, sizeof(src), 4, bad[i]);
		expect_error(a, src, len, "line 4", "goal", NULL);
	}
}

static void
test_field_errors(void **state)
{
	static const struct {
		size_t line;
		const char *text, *want;
	} bad[] = {
		{ 6, "slug: Bad Slug", "line 6" },
		{ 6, "slug: -lead", "line 6" },
		{ 6, "slug:", "line 6" },
		{ 6, "slug: caf\xc3\xa9", "line 6" },
		{ 2, "title:", "line 2" },
		{ 2, "title:    ", "line 2" },
		{ 2, "title: bell\x07", "line 2" },
		{ 2, "title: nel\xc2\x85", "line 2" },
		{ 3, "to:", "line 3" },
		{ 3, "to: ; ;", "line 3" },
		{ 5, "lang:", "line 5" },
		{ 5, "lang: e", "line 5" },
		{ 5, "lang: english language", "line 5" },
		{ 5, "lang: 12", "line 5" },
		{ 5, "lang: <b>", "line 5" },
	};
	struct arena *a = *state;
	char src[1024];
	size_t len, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = make_file(src, sizeof(src), bad[i].line, bad[i].text);
		expect_error(a, src, len, bad[i].want, NULL);
	}
}

static void
test_missing(void **state)
{
	static const char *const keys[] = { "title", "to", "goal", "lang",
		"slug" };
	struct arena *a = *state;
	char src[1024];
	size_t len, i;

	for (i = 0; i < 5; i++) {
		len = make_file(src, sizeof(src), i + 2, NULL);
		expect_error(a, src, len, keys[i], NULL);
	}
	expect_error(a, "---\n---\nBody", 12, "title", NULL);
}

static void
test_empty_body(void **state)
{
	struct arena *a = *state;
	char src[1024];
	size_t len;

	len = make_file(src, sizeof(src), 8, NULL);
	expect_error(a, src, len, "text", NULL);
	len = make_file(src, sizeof(src), 8, "");
	expect_error(a, src, len, "text", NULL);
	len = make_file(src, sizeof(src), 8, "\r\n\n");
	expect_error(a, src, len, "text", NULL);
	/* The closing line at the very end, without a newline. */
	{
		static const char eof[] =
		    "---\ntitle: T\nto: A\ngoal: 1\nlang: en\nslug: s\n---";

		expect_error(a, eof, sizeof(eof) - 1, "text", NULL);
	}
}

static void
test_limits(void **state)
{
	struct arena *a = *state;
	struct petition p;
	char src[8192], line[2048];
	size_t len, i, o;

	/* 200 ASCII characters of title are fine, 201 are not. */
	strcpy(line, "title: ");
	memset(line + 7, 'T', 200);
	line[207] = '\0';
	len = make_file(src, sizeof(src), 2, line);
	expect_ok(a, src, len, &p);
	assert_int_equal(strlen(p.title), 200);
	line[207] = 'T';
	line[208] = '\0';
	len = make_file(src, sizeof(src), 2, line);
	expect_error(a, src, len, "line 2", "title", NULL);

	/* 32 addressees, not 33. */
	strcpy(line, "to: A0");
	for (i = 1, o = strlen(line); i < 32; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "; A%zu", i);
	len = make_file(src, sizeof(src), 3, line);
	expect_ok(a, src, len, &p);
	assert_int_equal(p.nto, 32);
	assert_string_equal(p.to[31].name, "A31");
	snprintf(line + o, sizeof(line) - o, "; A32");
	len = make_file(src, sizeof(src), 3, line);
	expect_error(a, src, len, "line 3", NULL);

	/* A long unknown key is named, but not in full. */
	strcpy(line, "");
	memset(line, 'k', 500);
	strcpy(line + 500, ": v");
	len = make_file(src, sizeof(src), 3, line);
	expect_error(a, src, len, "line 3", "kkkk", NULL);

	/* A tiny error buffer is filled, not overrun. */
	{
		char err[8];

		memset(err, 'x', sizeof(err));
		len = make_file(src, sizeof(src), 4, "goal: abc");
		assert_int_equal(import_parse(a, src, len, &p, err, sizeof(err)),
		    -1);
		assert_int_equal(strlen(err), sizeof(err) - 1);
	}
}

/* The title limit is "200 characters" (import.h), as everywhere else in
 * holos: code points, not bytes. */
static void
test_title_counts_characters(void **state)
{
	struct arena *a = *state;
	struct petition p;
	char src[8192], line[1024];
	size_t len, i;

	strcpy(line, "title: ");
	for (i = 0; i < 200; i++)
		memcpy(line + 7 + 2 * i, "\xd0\x96", 2); /* Ж */
	line[7 + 400] = '\0';
	len = make_file(src, sizeof(src), 2, line);
	expect_ok(a, src, len, &p);
	assert_int_equal(form_utf8_chars(p.title, strlen(p.title)), 200);
	/* 201 letters are too many. */
	memcpy(line + 7 + 400, "\xd0\x96", 3);
	len = make_file(src, sizeof(src), 2, line);
	expect_error(a, src, len, "line 2", "title", NULL);
}

/* Invalid UTF-8 is refused, and the message says where. */
static void
test_invalid_utf8(void **state)
{
	struct arena *a = *state;
	char src[1024];
	size_t len;

	len = make_file(src, sizeof(src), 2, "title: caf\xc3");
	expect_error(a, src, len, NULL);
	len = make_file(src, sizeof(src), 2, "title: \xc0\xaf");
	expect_error(a, src, len, NULL);
	len = make_file(src, sizeof(src), 8, "Body \xed\xa0\x80 text");
	expect_error(a, src, len, NULL);
	len = make_file(src, sizeof(src), 1, "---\xff");
	expect_error(a, src, len, NULL);

	len = make_file(src, sizeof(src), 3, "to: caf\xc3 ; B");
	expect_error(a, src, len, "line 3", NULL);
	len = make_file(src, sizeof(src), 8, "Body \xed\xa0\x80 text");
	expect_error(a, src, len, "line 8", NULL);
}

/* "lang" must look like a language code: letters first. */
static void
test_lang_codes(void **state)
{
	static const char *const good[] = { "lang: en", "lang: EN",
		"lang: en-GB", "lang: zh-Hant", "lang: es-419", "lang: crh" };
	static const char *const bad[] = { "lang: --", "lang: -en", "lang: en-",
		"lang: e-n" };
	struct arena *a = *state;
	struct petition p;
	char src[1024];
	size_t len, i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = make_file(src, sizeof(src), 5, good[i]);
		expect_ok(a, src, len, &p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = make_file(src, sizeof(src), 5, bad[i]);
		expect_error(a, src, len, "line 5", "lang", NULL);
	}
}

/* Only len bytes are read: "---\r" followed, beyond len, by "\n" must
 * be refused without looking at the byte after it. */
static void
test_reads_only_len(void **state)
{
	static const char src[5] = "---\r\n";
	struct arena *a = *state;
	struct petition p;
	char err[256];

	assert_int_equal(import_parse(a, src, 4, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_variants, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_opening, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_unclosed, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_key_errors, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_goal_errors, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_field_errors, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_missing, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_empty_body, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_limits, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_title_counts_characters,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup_arena,
		    teardown_arena),
		cmocka_unit_test_setup_teardown(test_lang_codes, setup_arena,
		    teardown_arena),
		/* Last: under the sanitizers this one aborts the run. */
		cmocka_unit_test_setup_teardown(test_reads_only_len,
		    setup_arena, teardown_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
