/* test_tmpl.c - tmpl.c: Mustache spec, errors, escaping, limits, loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "../../src/tmpl.c"

/* Relative to the repository root, where the tests are run. */
#define SPEC_DIR "tests/data/mustache-spec/"

/* Prints s as a JSON string, so newlines and spaces in a diff are visible. */
static char *
quote(const char *s, size_t n)
{
	json_t *j = json_stringn(s ? s : "", s ? n : 0);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return q;
}

/* Runs every case of one spec file; reports each failing case by name. */
static void
run_spec(const char *file)
{
	char path[256], err[256];
	json_error_t jerr;
	json_t *doc, *tests, *tc;
	size_t i;
	int failed = 0, ran = 0;

	snprintf(path, sizeof(path), SPEC_DIR "%s", file);
	if ((doc = json_load_file(path, 0, &jerr)) == NULL)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	tests = json_object_get(doc, "tests");
	assert_true(json_is_array(tests));
	assert_true(json_array_size(tests) > 0);

	json_array_foreach(tests, i, tc)
	{
		const char *name =
		    json_string_value(json_object_get(tc, "name"));
		json_t *tpl = json_object_get(tc, "template");
		json_t *want = json_object_get(tc, "expected");
		json_t *partials = json_object_get(tc, "partials");
		struct tmpl_set *set = tmpl_set_new();
		const char *pname;
		json_t *pv;
		struct buf out;
		int rc;

		assert_non_null(set);
		buf_init(&out);
		json_object_foreach(partials, pname, pv)
		{
			if (tmpl_set_add(set, pname, json_string_value(pv),
				json_string_length(pv), err, sizeof(err)) == -1) {
				print_error("%s: %s: partial: %s\n", file, name,
				    err);
				failed++;
			}
		}
		/* A name no spec partial uses. */
		rc = tmpl_set_add(set, "spec test", json_string_value(tpl),
		    json_string_length(tpl), err, sizeof(err));
		if (rc == 0)
			rc = tmpl_render(set, "spec test",
			    json_object_get(tc, "data"), &out);
		else
			print_error("%s: %s: %s\n", file, name, err);
		if (rc != 0 || out.len != json_string_length(want) ||
		    (out.len > 0 &&
			memcmp(out.data, json_string_value(want), out.len) !=
			    0)) {
			char *t = quote(json_string_value(tpl),
			    json_string_length(tpl));
			char *w = quote(json_string_value(want),
			    json_string_length(want));
			char *g = quote(out.data, out.len);

			print_error("%s: FAIL \"%s\"\n  template %s\n  "
				    "expected %s\n  got      %s (rc %d)\n",
			    file, name, t, w, g, rc);
			free(t);
			free(w);
			free(g);
			failed++;
		}
		ran++;
		buf_reset(&out);
		tmpl_set_free(set);
	}
	json_decref(doc);
	print_message("%s: %d cases, %d failed\n", file, ran, failed);
	assert_int_equal(failed, 0);
}

static void
test_spec_interpolation(void **state)
{
	(void)state;
	run_spec("interpolation.json");
}

static void
test_spec_sections(void **state)
{
	(void)state;
	run_spec("sections.json");
}

static void
test_spec_inverted(void **state)
{
	(void)state;
	run_spec("inverted.json");
}

static void
test_spec_comments(void **state)
{
	(void)state;
	run_spec("comments.json");
}

static void
test_spec_partials(void **state)
{
	(void)state;
	run_spec("partials.json");
}

static void
test_spec_delimiters(void **state)
{
	(void)state;
	run_spec("delimiters.json");
}

/* Adds the templates (name, source pairs, NULL-terminated), renders the
 * first with the JSON ctx and checks the output. */
static void
check_render(const char *ctxjson, const char *want, const char *name,
    const char *src, ...)
{
	struct tmpl_set *set = tmpl_set_new();
	json_t *ctx = NULL;
	json_error_t jerr;
	const char *first = name;
	char err[256];
	struct buf out;
	va_list ap;

	assert_non_null(set);
	if (ctxjson != NULL) {
		ctx = json_loads(ctxjson, JSON_DECODE_ANY, &jerr);
		if (ctx == NULL)
			fail_msg("bad test JSON: %s", jerr.text);
	}
	va_start(ap, src);
	while (name != NULL) {
		if (tmpl_set_add(set, name, src, strlen(src), err,
			sizeof(err)) == -1)
			fail_msg("%s", err);
		if ((name = va_arg(ap, const char *)) != NULL)
			src = va_arg(ap, const char *);
	}
	va_end(ap);
	buf_init(&out);
	assert_int_equal(tmpl_render(set, first, ctx, &out), 0);
	assert_string_equal(out.len ? out.data : "", want);
	buf_reset(&out);
	json_decref(ctx);
	tmpl_set_free(set);
}

static void
test_escaping(void **state)
{
	(void)state;
	check_render("{\"x\": \"<script>alert('1\\\"')</script>&`\"}",
	    "&lt;script&gt;alert(&#39;1&quot;&#39;)&lt;/script&gt;&amp;&#96;|"
	    "<script>alert('1\"')</script>&`|"
	    "<script>alert('1\"')</script>&`|"
	    "<a title=\"&lt;script&gt;alert(&#39;1&quot;&#39;)&lt;/script&gt;"
	    "&amp;&#96;\">",
	    "t", "{{x}}|{{{x}}}|{{& x}}|<a title=\"{{x}}\">", NULL);
	/* Escaping applies through dotted names, sections and partials. */
	check_render("{\"a\": {\"b\": \"<i>\"}, \"l\": [\"<b>\", \"\\\"\"]}",
	    "&lt;i&gt;[&lt;b&gt;][&quot;]&lt;i&gt;", "t",
	    "{{a.b}}{{#l}}[{{.}}]{{/l}}{{>p}}", "p", "{{a.b}}", NULL);
}

static void
test_values(void **state)
{
	(void)state;
	/* Only a miss, null, false and [] are falsey. */
	check_render("{\"n\": 0, \"s\": \"\", \"f\": false, \"z\": null, "
		     "\"e\": [], \"o\": {}, \"r\": 0.0}",
	    "n s o r !f !z !e !m", "t",
	    "{{#n}}n {{/n}}{{#s}}s {{/s}}{{#f}}f {{/f}}{{#z}}z {{/z}}"
	    "{{#e}}e {{/e}}{{#o}}o {{/o}}{{#r}}r {{/r}}{{^f}}!f {{/f}}"
	    "{{^z}}!z {{/z}}{{^e}}!e {{/e}}{{^m}}!m{{/m}}",
	    NULL);
	check_render("{\"i\": -42, \"big\": 9007199254740993, \"r\": 0.1, "
		     "\"r2\": 2.5e-8, \"r3\": 100.0, \"r4\": -1234.5, \"t\": true, "
		     "\"f\": false, \"o\": {\"a\": 1}, \"l\": [1]}",
	    "-42 9007199254740993 0.1 2.5e-08 100 -1234.5 true false [] []", "t",
	    "{{i}} {{big}} {{r}} {{r2}} {{r3}} {{r4}} {{t}} {{f}} "
	    "[{{o}}] [{{l}}]",
	    NULL);
	/* A NULL context is an empty one. */
	check_render(NULL, "[][]", "t", "[{{x}}][{{.}}]{{#x}}no{{/x}}", NULL);
}

static void
test_partial_indentation(void **state)
{
	(void)state;
	/* Standalone partials in standalone partials add up. */
	check_render("{}", "<\n  m1\n    l1\n    l2\n  m2\n>", "t",
	    "<\n  {{>mid}}\n>", "mid", "m1\n  {{>leaf}}\nm2\n", "leaf",
	    "l1\nl2\n", NULL);
	/* An inline partial inside an indented one is not indented. */
	check_render("{}", "  x l1\nl2\ny\n", "t", "  {{>mid}}\n", "mid",
	    "x {{>leaf}}y\n", "leaf", "l1\nl2\n", NULL);
	/* The indentation of a line that ends a section belongs to it. */
	check_render("{\"a\": false}", "  y\n", "t", "  {{>p}}\n", "p",
	    "{{#a}}x\n{{/a}}y\n", NULL);
	check_render("{\"a\": true}", "  x\n  y\n", "t", "  {{>p}}\n", "p",
	    "{{#a}}x\n{{/a}}y\n", NULL);
	/* Lines of a section repeated in an indented partial. */
	check_render("{\"l\": [1, 2]}", "\t1\n\t2\n\tend", "t", "\t{{>p}}", "p",
	    "{{#l}}\n{{.}}\n{{/l}}\nend", NULL);
}

static void
test_replace_and_missing(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	char err[128];
	struct buf out;

	(void)state;
	assert_non_null(set);
	buf_init(&out);
	assert_int_equal(tmpl_set_add(set, "a", "one", 3, err, sizeof(err)), 0);
	assert_int_equal(tmpl_set_add(set, "b", "[{{>a}}]", 8, err, sizeof(err)),
	    0);
	assert_int_equal(tmpl_set_add(set, "a", "two", 3, err, sizeof(err)), 0);
	/* A failed add keeps the template already there. */
	assert_int_equal(tmpl_set_add(set, "a", "{{#x}}", 6, err, sizeof(err)),
	    -1);
	assert_int_equal(tmpl_render(set, "b", NULL, &out), 0);
	assert_string_equal(out.data, "[two]");
	assert_int_equal(tmpl_render(set, "nope", NULL, &out), -1);
	assert_int_equal(tmpl_render(set, "", NULL, &out), -1);
	/* An empty template renders as nothing. */
	assert_int_equal(tmpl_set_add(set, "empty", "", 0, NULL, 0), 0);
	buf_reset(&out);
	assert_int_equal(tmpl_render(set, "empty", NULL, &out), 0);
	assert_int_equal(out.len, 0);
	buf_reset(&out);
	tmpl_set_free(set);
	tmpl_set_free(NULL);
}

static const struct {
	const char *src, *err;
} syntax_cases[] = {
	{ "a\n{{b\n", "t:2: unclosed tag" },
	{ "{{{a}}", "t:1: unclosed tag" },
	{ "x\n{{=<% %>=}}\n<%a", "t:3: unclosed tag" },
	{ "{{#a}}\nx\n", "t:1: unclosed section 'a'" },
	{ "{{=<% %>=}}\n\n<%#a%>", "t:3: unclosed section 'a'" },
	{ "x\n{{#a}}\n{{#b}}\n{{/a}}\n",
	    "t:4: end of section 'a' while 'b' (line 3) is open" },
	{ "\n\n{{/a}}", "t:3: end of section 'a' that is not open" },
	{ "{{!\n\n}}{{/x}}", "t:3: end of section 'x' that is not open" },
	{ "x\n{{=<% =}}", "t:2: bad delimiters '<%'" },
	{ "{{= a b c =}}", "t:1: bad delimiters 'a b c'" },
	{ "{{=<= =>=}}", "t:1: bad delimiters '<= =>'" },
	{ "{{}}", "t:1: bad name ''" },
	{ "\r\n{{ a b }}", "t:2: bad name 'a b'" },
	{ "{{a..b}}", "t:1: bad name 'a..b'" },
	{ "{{#.a}}{{/.a}}", "t:1: bad name '.a'" },
	{ "{{> }}", "t:1: bad name ''" },
};

static void
test_syntax_errors(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	char err[256], small[8];
	size_t i;

	(void)state;
	assert_non_null(set);
	for (i = 0; i < sizeof(syntax_cases) / sizeof(syntax_cases[0]); i++) {
		const char *src = syntax_cases[i].src;

		err[0] = '\0';
		if (tmpl_set_add(set, "t", src, strlen(src), err,
			sizeof(err)) != -1)
			fail_msg("case %zu compiled: %s", i, src);
		if (strcmp(err, syntax_cases[i].err) != 0)
			fail_msg("case %zu: want \"%s\", got \"%s\"", i,
			    syntax_cases[i].err, err);
	}
	assert_int_equal(set->n, 0);

	/* Sections nest only so deep. */
	{
		struct buf src;
		int k;

		buf_init(&src);
		for (k = 0; k <= TMPL_MAX_NEST; k++)
			buf_puts(&src, "{{#a}}\n");
		assert_int_equal(tmpl_set_add(set, "t", src.data, src.len, err,
				     sizeof(err)),
		    -1);
		assert_string_equal(err, "t:65: sections nested deeper than 64");
		buf_reset(&src);
	}

	/* A short error buffer is truncated, not overrun; none is fine. */
	assert_int_equal(tmpl_set_add(set, "long-name", "{{#a}}", 6, small,
			     sizeof(small)),
	    -1);
	assert_string_equal(small, "long-na");
	assert_int_equal(tmpl_set_add(set, "t", "{{#a}}", 6, NULL, 0), -1);
	tmpl_set_free(set);
}

static void
test_deep_recursion(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	json_t *root, *node;
	char err[128];
	struct buf out;
	int k, d;

	(void)state;
	assert_non_null(set);
	buf_init(&out);
	/* Unconditional self-inclusion fails the render, not the process. */
	assert_int_equal(tmpl_set_add(set, "self", "x{{>self}}", 10, err,
			     sizeof(err)),
	    0);
	assert_int_equal(tmpl_render(set, "self", NULL, &out), -1);
	buf_reset(&out);
	/* Doubling recursion stops at the first overflow, not after 2^32. */
	assert_int_equal(tmpl_set_add(set, "two", "{{>two}}{{>two}}", 16, err,
			     sizeof(err)),
	    0);
	assert_int_equal(tmpl_render(set, "two", NULL, &out), -1);
	buf_reset(&out);

	/* Recursion driven by data works up to the limit: "page" enters
	 * one partial per level of the tree. */
	assert_int_equal(tmpl_set_add(set, "node",
			     "({{#kids}}{{>node}}{{/kids}})", 29, err,
			     sizeof(err)),
	    0);
	assert_int_equal(tmpl_set_add(set, "page", "{{>node}}", 9, err,
			     sizeof(err)),
	    0);
	for (k = TMPL_MAX_DEPTH; k <= TMPL_MAX_DEPTH + 1; k++) {
		/* A leaf needs its own empty "kids", or the lookup would
		 * find its parent's and recurse for ever. */
		root = json_pack("{s:[]}", "kids");
		node = root;
		for (d = 1; d < k; d++) {
			json_t *kid = json_pack("{s:[]}", "kids");

			json_object_set_new(node, "kids", json_pack("[o]", kid));
			node = kid;
		}
		if (k == TMPL_MAX_DEPTH) {
			assert_int_equal(tmpl_render(set, "page", root, &out),
			    0);
			assert_int_equal(out.len, 2 * (size_t)k);
		} else {
			assert_int_equal(tmpl_render(set, "page", root, &out),
			    -1);
		}
		buf_reset(&out);
		json_decref(root);
	}
	tmpl_set_free(set);
}

static void
write_file(const char *dir, const char *name, const char *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
remove_tree(const char *dir)
{
	struct dirent **list;
	char path[512];
	int i, n;

	if ((n = scandir(dir, &list, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 &&
		    strcmp(list[i]->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    list[i]->d_name);
			if (unlink(path) == -1)
				rmdir(path);
		}
		free(list[i]);
	}
	free(list);
	rmdir(dir);
}

static void
test_load_dir(void **state)
{
	char dir[] = "/tmp/holos-tmpl-XXXXXX", bad[] = "/tmp/holos-tmpl-XXXXXX";
	char err[512], want[600], sub[600];
	struct tmpl_set *set = tmpl_set_new();
	json_t *ctx;
	struct buf out;

	(void)state;
	assert_non_null(set);
	buf_init(&out);
	assert_non_null(mkdtemp(dir));
	write_file(dir, "page.html", "<h1>{{title}}</h1>\n  {{> item}}\n");
	write_file(dir, "item.html", "<p>{{x}}</p>\n");
	write_file(dir, "empty.html", "");
	write_file(dir, "notes.txt", "{{#bad");
	write_file(dir, ".page.html.swp.html", "{{#bad");
	assert_int_equal(tmpl_set_load_dir(set, dir, err, sizeof(err)), 0);
	assert_int_equal(set->n, 3);

	ctx = json_pack("{s:s, s:s}", "title", "T&C", "x", "<X>");
	assert_int_equal(tmpl_render(set, "page", ctx, &out), 0);
	assert_string_equal(out.data, "<h1>T&amp;C</h1>\n  <p>&lt;X&gt;</p>\n");
	buf_reset(&out);
	assert_int_equal(tmpl_render(set, "empty", ctx, &out), 0);
	assert_int_equal(tmpl_render(set, "notes", ctx, &out), -1);
	json_decref(ctx);

	/* The first bad file, in name order, is reported with its line. */
	assert_non_null(mkdtemp(bad));
	write_file(bad, "a.html", "fine\n");
	write_file(bad, "b.html", "ok\n{{#open}}\n");
	write_file(bad, "c.html", "{{/x}}");
	assert_int_equal(tmpl_set_load_dir(set, bad, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/b.html:2: unclosed section 'open'",
	    bad);
	assert_string_equal(err, want);

	/* A directory named like a template is an I/O error. */
	snprintf(sub, sizeof(sub), "%s/b.html", bad);
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(tmpl_set_load_dir(set, bad, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/b.html: ", bad);
	assert_memory_equal(err, want, strlen(want));

	remove_tree(dir);
	remove_tree(bad);
	assert_int_equal(tmpl_set_load_dir(set, dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", dir);
	assert_string_equal(err, want);
	tmpl_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_interpolation),
		cmocka_unit_test(test_spec_sections),
		cmocka_unit_test(test_spec_inverted),
		cmocka_unit_test(test_spec_comments),
		cmocka_unit_test(test_spec_partials),
		cmocka_unit_test(test_spec_delimiters),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_partial_indentation),
		cmocka_unit_test(test_replace_and_missing),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_deep_recursion),
		cmocka_unit_test(test_load_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
