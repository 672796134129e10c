/* test_petition.c - petition.c: the goal ladder, progress, state names and slugs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/petition.c"

struct goal_case {
	int64_t count, goal, want;
};

static void
test_next_goal_ladder(void **state)
{
	static const struct goal_case cases[] = {
		/* The petition's own goal while the count is below it. */
		{ 0, 15000, 15000 },
		{ 1, 15000, 15000 },
		{ 14999, 15000, 15000 },
		{ 0, 50, 50 },
		{ 49, 50, 50 },
		{ 0, 12345, 12345 },
		/* Then the first ladder step above the count. */
		{ 15000, 15000, 20000 },
		{ 15001, 15000, 20000 },
		{ 19999, 15000, 20000 },
		{ 20000, 15000, 25000 },
		{ 50, 50, 100 },
		{ 99, 50, 100 },
		{ 100, 100, 200 },
		{ 200, 100, 500 },
		{ 12345, 12345, 15000 },
		{ 999999, 15000, 1000000 },
		/* Past the ladder, every 500,000. */
		{ 1000000, 15000, 1500000 },
		{ 1000001, 15000, 1500000 },
		{ 1499999, 15000, 1500000 },
		{ 1500000, 15000, 2000000 },
		{ 2000000, 15000, 2500000 },
		{ 2499999, 15000, 2500000 },
		/* No goal of its own: the ladder from the start. */
		{ 0, 0, 100 },
		{ 0, -1, 100 },
		{ 100, 0, 200 },
		/* A negative count is treated as none. */
		{ -5, 15000, 15000 },
		{ -5, 0, 100 },
		/* A goal beyond the ladder stays the goal until reached. */
		{ 1200000, 3000000, 3000000 },
		{ 3000000, 3000000, 3500000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = petition_next_goal(cases[i].count, cases[i].goal);

		if (got != cases[i].want)
			fail_msg("petition_next_goal(%lld, %lld) = %lld, want %lld",
			    (long long)cases[i].count, (long long)cases[i].goal,
			    (long long)got, (long long)cases[i].want);
	}
}

/* Every step of the documented ladder, reached from just below and at it. */
static void
test_next_goal_every_step(void **state)
{
	static const int64_t ladder[] = {
		100,
		200,
		500,
		1000,
		1500,
		2500,
		5000,
		7500,
		10000,
		15000,
		20000,
		25000,
		50000,
		75000,
		100000,
		150000,
		200000,
		250000,
		300000,
		500000,
		750000,
		1000000,
		1500000,
		2000000,
		2500000,
		3000000,
	};
	size_t i;

	(void)state;
	for (i = 0; i + 1 < sizeof(ladder) / sizeof(ladder[0]); i++) {
		assert_int_equal(petition_next_goal(ladder[i] - 1, 1),
		    ladder[i]);
		assert_int_equal(petition_next_goal(ladder[i], 1),
		    ladder[i + 1]);
	}
}

/* The next goal is always above the count, whatever the inputs. */
static void
test_next_goal_above_count(void **state)
{
	int64_t c;

	(void)state;
	for (c = 0; c < 3000000; c += 997) {
		assert_true(petition_next_goal(c, 15000) > c);
		assert_true(petition_next_goal(c, 0) > c);
	}
}

static void
test_progress(void **state)
{
	int64_t c;

	(void)state;
	assert_int_equal(petition_progress(0, 15000), 0);
	assert_int_equal(petition_progress(149, 15000), 0);
	assert_int_equal(petition_progress(150, 15000), 1);
	assert_int_equal(petition_progress(7500, 15000), 50);
	assert_int_equal(petition_progress(14999, 15000),
	    99); /* rounded down */
	assert_int_equal(petition_progress(15000, 15000), 100);
	assert_int_equal(petition_progress(20000, 15000), 100);
	assert_int_equal(petition_progress(-3, 15000), 0);
	assert_int_equal(petition_progress(10, 0), 0);
	assert_int_equal(petition_progress(10, -10), 0);
	assert_int_equal(petition_progress(1999999, 2000000), 99);
	for (c = -10; c < 40000; c += 7) {
		int p = petition_progress(c, petition_next_goal(c, 15000));

		assert_in_range(p, 0, 99); /* next goal is above count */
		p = petition_progress(c, 15000);
		assert_in_range(p, 0, 100);
	}
}

static void
test_petition_state_names(void **state)
{
	static const char *const want[PETITION__MAX] = {
		"draft",
		"pending",
		"open",
		"closed",
		"victory",
		"rejected",
		"hidden",
	};
	int i, j;

	(void)state;
	for (i = 0; i < PETITION__MAX; i++) {
		const char *name = petition_state_name((enum petition_state)i);

		assert_non_null(name);
		assert_string_equal(name, want[i]);
		assert_int_equal(petition_state_parse(name), i);
		/* Names are distinct. */
		for (j = 0; j < i; j++)
			assert_string_not_equal(name,
			    petition_state_name((enum petition_state)j));
	}
	assert_null(petition_state_name(PETITION__MAX));
	assert_null(petition_state_name((enum petition_state) - 1));
	assert_int_equal(petition_state_parse("Open"), PETITION__MAX);
	assert_int_equal(petition_state_parse("open "), PETITION__MAX);
	assert_int_equal(petition_state_parse(""), PETITION__MAX);
	assert_int_equal(petition_state_parse("confirmed"), PETITION__MAX);
	assert_int_equal(petition_state_parse(NULL), PETITION__MAX);
}

static void
test_signature_state_names(void **state)
{
	static const char *const want[SIGNATURE__MAX] = {
		"pending",
		"confirmed",
		"invalid",
	};
	int i;

	(void)state;
	for (i = 0; i < SIGNATURE__MAX; i++) {
		const char *name = signature_state_name((enum signature_state)i);

		assert_non_null(name);
		assert_string_equal(name, want[i]);
		assert_int_equal(signature_state_parse(name), i);
	}
	assert_null(signature_state_name(SIGNATURE__MAX));
	assert_null(signature_state_name((enum signature_state) - 1));
	assert_int_equal(signature_state_parse("open"), SIGNATURE__MAX);
	assert_int_equal(signature_state_parse(""), SIGNATURE__MAX);
	assert_int_equal(signature_state_parse(NULL), SIGNATURE__MAX);
}

static void
test_is_open(void **state)
{
	struct petition p = { 0 };
	int i;

	(void)state;
	for (i = 0; i < PETITION__MAX; i++) {
		p.state = (enum petition_state)i;
		assert_int_equal(petition_is_open(&p, 0), i == PETITION_OPEN);
	}
	/* A closing date ends signing at that second. */
	p.state = PETITION_OPEN;
	p.closes_at = 1000;
	assert_true(petition_is_open(&p, 999));
	assert_false(petition_is_open(&p, 1000));
}

static void
test_transitions(void **state)
{
	(void)state;
	assert_true(
	    petition_transition_allowed(PETITION_DRAFT, PETITION_PENDING));
	assert_true(
	    petition_transition_allowed(PETITION_PENDING, PETITION_OPEN));
	assert_true(
	    petition_transition_allowed(PETITION_PENDING, PETITION_REJECTED));
	assert_true(
	    petition_transition_allowed(PETITION_REJECTED, PETITION_PENDING));
	assert_true(petition_transition_allowed(PETITION_OPEN, PETITION_CLOSED));
	assert_true(
	    petition_transition_allowed(PETITION_OPEN, PETITION_VICTORY));
	assert_true(petition_transition_allowed(PETITION_OPEN, PETITION_HIDDEN));
	assert_true(petition_transition_allowed(PETITION_HIDDEN, PETITION_OPEN));
	/* No skipping moderation, no reopening, nothing out of range. */
	assert_false(petition_transition_allowed(PETITION_DRAFT, PETITION_OPEN));
	assert_false(
	    petition_transition_allowed(PETITION_REJECTED, PETITION_OPEN));
	assert_false(
	    petition_transition_allowed(PETITION_CLOSED, PETITION_OPEN));
	assert_false(
	    petition_transition_allowed(PETITION_VICTORY, PETITION_OPEN));
	assert_false(petition_transition_allowed(PETITION_OPEN, PETITION_OPEN));
	assert_false(petition_transition_allowed(PETITION__MAX, PETITION_OPEN));
}

static bool
slug_ok(const char *s)
{
	return petition_slug_valid(s, strlen(s));
}

static void
test_slug_valid(void **state)
{
	static const char *const good[] = {
		"a",
		"0",
		"kremlin-prisoners-covid19",
		"a-b",
		"a--b",
		"2024",
		"x-1-y",
	};
	static const char *const bad[] = {
		"",
		"-",
		"-a",
		"a-",
		"-a-",
		"A",
		"Abc",
		"a b",
		"a_b",
		"a.b",
		"a/b",
		"a%20b",
		"пример",
		"caf\xc3\xa9",
		"a\tb",
		" a",
		"a ",
	};
	char s[100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!slug_ok(good[i]))
			fail_msg("slug \"%s\" should be valid", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (slug_ok(bad[i]))
			fail_msg("slug \"%s\" should be invalid", bad[i]);

	/* 80 characters is the limit. */
	memset(s, 'a', sizeof(s));
	assert_true(petition_slug_valid(s, 80));
	assert_false(petition_slug_valid(s, 81));
	assert_false(petition_slug_valid(s, 100));
	/* The length given is what counts, not a NUL. */
	assert_true(petition_slug_valid("abc-", 3));
	assert_false(petition_slug_valid("ab\0c", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_goal_ladder),
		cmocka_unit_test(test_next_goal_every_step),
		cmocka_unit_test(test_next_goal_above_count),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_petition_state_names),
		cmocka_unit_test(test_signature_state_names),
		cmocka_unit_test(test_is_open),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_slug_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
