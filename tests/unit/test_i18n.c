/* test_i18n.c - catalogues, plural forms, number grouping, negotiation and
 * country names, against the real locales/ and ICU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/i18n.c"

#define NBSP "\xc2\xa0"

struct plural_case {
	const char *lang;
	int64_t count;
	const char *want;
};

/* The count line for each plural category of each language, goal 15000. */
static const struct plural_case plural_table[] = {
	{ "ru", 0, "0 людей подписали. Следующая цель: 15" NBSP "000" },
	{ "ru", 1, "1 человек подписал. Следующая цель: 15" NBSP "000" },
	{ "ru", 2, "2 человека подписали. Следующая цель: 15" NBSP "000" },
	{ "ru", 5, "5 человек подписали. Следующая цель: 15" NBSP "000" },
	{ "ru", 11, "11 человек подписали. Следующая цель: 15" NBSP "000" },
	{ "ru", 21, "21 человек подписал. Следующая цель: 15" NBSP "000" },
	{ "ru", 22, "22 человека подписали. Следующая цель: 15" NBSP "000" },
	{ "ru", 25, "25 человек подписали. Следующая цель: 15" NBSP "000" },
	{ "ru", 101, "101 человек подписал. Следующая цель: 15" NBSP "000" },
	{ "ru", 1000000,
	    "1" NBSP "000" NBSP "000 человек подписали. "
	    "Следующая цель: 15" NBSP "000" },
	{ "uk", 0, "0 людей підписали. Наступна мета: 15" NBSP "000" },
	{ "uk", 1, "1 людина підписала. Наступна мета: 15" NBSP "000" },
	{ "uk", 2, "2 людини підписали. Наступна мета: 15" NBSP "000" },
	{ "uk", 5, "5 людей підписали. Наступна мета: 15" NBSP "000" },
	{ "uk", 11, "11 людей підписали. Наступна мета: 15" NBSP "000" },
	{ "uk", 21, "21 людина підписала. Наступна мета: 15" NBSP "000" },
	{ "uk", 22, "22 людини підписали. Наступна мета: 15" NBSP "000" },
	{ "uk", 25, "25 людей підписали. Наступна мета: 15" NBSP "000" },
	{ "uk", 101, "101 людина підписала. Наступна мета: 15" NBSP "000" },
	{ "uk", 1000000,
	    "1" NBSP "000" NBSP "000 людей підписали. "
	    "Наступна мета: 15" NBSP "000" },
	{ "en", 0, "0 people have signed. Next goal: 15,000" },
	{ "en", 1, "1 person has signed. Next goal: 15,000" },
	{ "en", 2, "2 people have signed. Next goal: 15,000" },
	{ "en", 1000000, "1,000,000 people have signed. Next goal: 15,000" },
};

static int
setup(void **state)
{
	char err[512];

	(void)state;
	if (i18n_load("locales", "en", err, sizeof(err)) == -1) {
		fprintf(stderr, "i18n_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	i18n_free();
	return 0;
}

static void
test_plural_table(void **state)
{
	struct arena *a = arena_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(plural_table) / sizeof(plural_table[0]); i++) {
		const struct plural_case *c = &plural_table[i];
		struct msgfmt_arg args[2] = {
			{ .name = "count",
			    .type = MSGFMT_NUMBER,
			    .num = (double)c->count },
			{ .name = "goal", .type = MSGFMT_NUMBER, .num = 15000 },
		};
		const char *got = i18n_format(a, c->lang, "count_line", args, 2);

		assert_non_null(got);
		if (strcmp(got, c->want) != 0)
			fail_msg("%s %lld: got \"%s\", want \"%s\"", c->lang,
			    (long long)c->count, got, c->want);
	}
	arena_free(a);
}

static void
test_numbers(void **state)
{
	struct arena *a = arena_new();

	(void)state;
	assert_string_equal(i18n_number(a, "ru", 15000), "15" NBSP "000");
	assert_string_equal(i18n_number(a, "uk", 15000), "15" NBSP "000");
	assert_string_equal(i18n_number(a, "en", 15000), "15,000");
	assert_string_equal(i18n_number(a, "en", 0), "0");
	arena_free(a);
}

static void
test_missing_argument(void **state)
{
	struct arena *a = arena_new();
	struct msgfmt_arg one = { .name = "count",
		.type = MSGFMT_NUMBER,
		.num = 1 };
	struct msgfmt_arg wrong[2] = {
		{ .name = "count", .type = MSGFMT_STRING, .str = "x" },
		{ .name = "goal", .type = MSGFMT_NUMBER, .num = 1 },
	};

	(void)state;
	assert_null(i18n_format(a, "ru", "count_line", &one, 1));
	assert_null(i18n_format(a, "ru", "no_such_key", &one, 1));
	/* A string where a plural wants a number is refused, not a crash. */
	(void)i18n_format(a, "ru", "count_line", wrong, 2);
	arena_free(a);
}

static void
test_negotiate(void **state)
{
	char big[10240];

	(void)state;
	assert_string_equal(i18n_negotiate("ru", "uk", "en"), "ru");
	assert_string_equal(i18n_negotiate("xx", "uk", "ru"), "uk");
	assert_string_equal(i18n_negotiate(NULL, NULL,
				"de-DE,uk;q=0.8,ru;q=0.9"),
	    "ru");
	assert_string_equal(i18n_negotiate(NULL, NULL, "uk-UA"), "uk");
	assert_string_equal(i18n_negotiate(NULL, NULL, "RU"), "ru");
	assert_string_equal(i18n_negotiate(NULL, NULL, "ru;q=0"), "en");
	assert_string_equal(i18n_negotiate(NULL, NULL, ";;;q=abc"), "en");
	assert_string_equal(i18n_negotiate(NULL, NULL, "ru;q=abc, uk;q=0.5"),
	    "uk");
	assert_string_equal(i18n_negotiate(NULL, NULL, "*"), "en");
	assert_string_equal(i18n_negotiate(NULL, NULL, ""), "en");
	assert_string_equal(i18n_negotiate(NULL, NULL, NULL), "en");
	memset(big, ',', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(i18n_negotiate(NULL, NULL, big), "en");
	/* Only the language subtag counts; the rest is never echoed. */
	assert_string_equal(i18n_negotiate("ru-evil\"<", NULL, NULL), "ru");
	assert_string_equal(i18n_negotiate("r", NULL, NULL), "en");
	assert_string_equal(i18n_negotiate("russian", NULL, NULL), "en");
}

static void
test_region(void **state)
{
	char r[3];

	(void)state;
	i18n_accept_region("uk-UA,uk;q=0.9", r);
	assert_string_equal(r, "UA");
	i18n_accept_region("ru, en-GB;q=0.5", r);
	assert_string_equal(r, "GB");
	i18n_accept_region("ru", r);
	assert_string_equal(r, "");
	i18n_accept_region("en-XX", r);
	assert_string_equal(r, "");
	i18n_accept_region(NULL, r);
	assert_string_equal(r, "");
}

static void
test_countries(void **state)
{
	const json_t *ru = i18n_countries("ru"), *c;
	const char *prev = NULL;
	UErrorCode e = U_ZERO_ERROR;
	UCollator *coll = ucol_open("ru", &e);
	int found_ua = 0;
	size_t i;

	(void)state;
	assert_true(json_array_size(ru) > 200);
	json_array_foreach(ru, i, c)
	{
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *code = json_string_value(json_object_get(c, "code"));

		if (strcmp(code, "UA") == 0) {
			assert_string_equal(name, "Украина");
			found_ua = 1;
		}
		if (prev != NULL)
			assert_true(ucol_strcollUTF8(coll, prev, -1, name, -1,
					&e) != UCOL_GREATER);
		prev = name;
	}
	ucol_close(coll);
	assert_true(found_ua);
	assert_true(i18n_country_valid("UA", 2));
	assert_false(i18n_country_valid("XX", 2));
	assert_false(i18n_country_valid("U", 1));
	/* By code, in each language; NULL for what is no country. */
	assert_string_equal(i18n_country_name("ru", "UA"), "Украина");
	assert_string_equal(i18n_country_name("uk", "DE"), "Німеччина");
	assert_string_equal(i18n_country_name("en", "GB"), "United Kingdom");
	assert_null(i18n_country_name("en", "XX"));
	assert_null(i18n_country_name("en", "ua"));
	assert_null(i18n_country_name("en", "UAE"));
	assert_null(i18n_country_name("en", ""));
	assert_null(i18n_country_name("en", NULL));
}

/* Start-up parses each pattern but builds ICU's formatters only when a
 * message is first formatted: every message of every shipped catalogue
 * must build, styles included. */
static void
test_every_message_builds(void **state)
{
	char err[256];
	size_t built = 0;

	(void)state;
	assert_true(nlangs >= 3);
	for (size_t i = 0; i < nlangs; i++)
		for (size_t j = 0; j < langs[i].nmsgs; j++) {
			struct message *m = &langs[i].msgs[j];

			if (m->fmt == NULL)
				continue;
			if (msgfmt_build(m->fmt, err, sizeof err) != 0)
				fail_msg("%s %s: %s", langs[i].code, m->key,
				    err);
			built++;
		}
	assert_true(built >= 3 * 50);
}

static void
test_catalogue_errors(void **state)
{
	char dir[] = "/tmp/holos-i18n-XXXXXX", path[128], err[512];
	FILE *f;

	(void)state;
	i18n_free();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/en.json", dir);
	f = fopen(path, "w");
	fputs("{\"a\": \"x\", \"b\": \"{n, plural, one {#} other {#}}\"}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ru.json", dir);
	f = fopen(path, "w");
	fputs("{\"a\": \"x\"}", f);
	fclose(f);
	assert_int_equal(i18n_load(dir, "en", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ru.json"));
	assert_non_null(strstr(err, "\"b\""));
	f = fopen(path, "w");
	fputs("{\"a\": \"x\", \"b\": \"{n, plural, one {#} other {#}\"}", f);
	fclose(f);
	assert_int_equal(i18n_load(dir, "en", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ICU"));
	f = fopen(path, "w");
	fputs("{\"a\": \"x\", \"b\": \"{m, plural, one {#} other {#}}\"}", f);
	fclose(f);
	assert_int_equal(i18n_load(dir, "en", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "arguments"));
	/* A misspelt argument type is caught at start-up, not at the
	 * first page that formats the message. */
	f = fopen(path, "w");
	fputs("{\"a\": \"x\", \"b\": \"{n, nubmer}\"}", f);
	fclose(f);
	assert_int_equal(i18n_load(dir, "en", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown argument type \"nubmer\""));
	unlink(path);
	snprintf(path, sizeof(path), "%s/en.json", dir);
	unlink(path);
	rmdir(dir);
	assert_int_equal(setup(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plural_table),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_region),
		cmocka_unit_test(test_countries),
		cmocka_unit_test(test_every_message_builds),
		cmocka_unit_test(test_catalogue_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
