/* test_signq.c - signq.c: when the signature writer counts as saturated
 * (the mail senders hold their letters for it, mail_outbox.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/signq.c"

#define T0 100000 /* ms: any start; mono_ms() is never 0 */

/* Feeds l batches of n, each committing for commit_us and ending every
 * every_us, from *now (µs) for ms milliseconds; *now moves on. */
static void
feed(struct signq_load *l, int64_t *now, int64_t ms, size_t n,
    int64_t commit_us, int64_t every_us)
{
	int64_t end = *now + ms * 1000;

	while (*now + every_us <= end) {
		*now += every_us;
		signq_load_note(l, *now / 1000, n, commit_us);
	}
}

static void
test_idle_writer(void **state)
{
	struct signq_load l = { 0 };

	(void)state;
	assert_int_equal(signq_load_busy_since(&l, T0), 0);
	signq_load_note(&l, T0, 1, 500);
	assert_int_equal(signq_load_busy_since(&l, T0 + 1), 0);
}

/* 2,000 signatures a second committed back to back in batches of 4: the
 * writer commits all the time, yet nobody waits for it long. */
static void
test_busy_but_keeping_up(void **state)
{
	struct signq_load l = { 0 };
	int64_t now = (int64_t)T0 * 1000;

	(void)state;
	feed(&l, &now, 3000, 4, 2000, 2000);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), 0);
	/* Batches of 15 all the time: still below SIGNQ_BUSY_BATCH. */
	feed(&l, &now, 3000, SIGNQ_BUSY_BATCH - 1, 3000, 3000);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), 0);
	/* Batches of 40 now and then, the writer mostly idle. */
	feed(&l, &now, 3000, 40, 4000, 20000);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), 0);
}

/* A spike: batches of 27 back to back. Saturated from the window that
 * showed it, and the same saturation through dips of fewer than
 * SIGNQ_CALM_WINDOWS windows; over after that many calm ones. */
static void
test_saturated_then_calm(void **state)
{
	struct signq_load l = { 0 };
	int64_t now = (int64_t)T0 * 1000, since, w = SIGNQ_WINDOW_MS;

	(void)state;
	feed(&l, &now, w / 2, 4, 2000, 2000);
	feed(&l, &now, 3 * w, 27, 3600, 3600);
	since = signq_load_busy_since(&l, now / 1000);
	assert_true(since > T0);
	assert_true(since <= T0 + 2 * w);
	/* Smaller batches, still at least SIGNQ_CALM_BATCH: the same. */
	feed(&l, &now, 5 * w, SIGNQ_CALM_BATCH, 2000, 2000);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), since);
	/* A dip that touches fewer than SIGNQ_CALM_WINDOWS windows, then full
	 * again. */
	feed(&l, &now, (SIGNQ_CALM_WINDOWS - 2) * w, 2, 1000, 1000);
	feed(&l, &now, 2 * w, 27, 3600, 3600);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), since);
	/* Calm for SIGNQ_CALM_WINDOWS windows and a little: over. */
	feed(&l, &now, (SIGNQ_CALM_WINDOWS + 1) * w + w / 2, 2, 1000, 1000);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), 0);
	/* A second spike is a saturation of its own. */
	feed(&l, &now, 3 * w, 27, 3600, 3600);
	assert_true(signq_load_busy_since(&l, now / 1000) > since);
}

/* A writer with nothing to commit is not saturated however busy it was,
 * and the next spike after the pause begins a saturation of its own. */
static void
test_pause_ends_it(void **state)
{
	struct signq_load l = { 0 };
	int64_t now = (int64_t)T0 * 1000, since, w = SIGNQ_WINDOW_MS;

	(void)state;
	feed(&l, &now, 3 * w, 27, 3600, 3600);
	since = signq_load_busy_since(&l, now / 1000);
	assert_true(since != 0);
	assert_int_equal(signq_load_busy_since(&l, now / 1000 + 2 * w), since);
	assert_int_equal(signq_load_busy_since(&l, now / 1000 + 2 * w + 1), 0);
	now += 5 * w * 1000;
	feed(&l, &now, w / 2, 27, 3600, 3600);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), 0);
	feed(&l, &now, 2 * w, 27, 3600, 3600);
	assert_true(signq_load_busy_since(&l, now / 1000) > since + 5 * w);
}

/* Big batches committed now and then by a writer that waits in between
 * (the commits a tenth of the time): not saturated. */
static void
test_low_duty(void **state)
{
	struct signq_load l = { 0 };
	int64_t now = (int64_t)T0 * 1000;

	(void)state;
	feed(&l, &now, 2000, 100, 1000, 10000);
	assert_int_equal(signq_load_busy_since(&l, now / 1000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_writer),
		cmocka_unit_test(test_busy_but_keeping_up),
		cmocka_unit_test(test_saturated_then_calm),
		cmocka_unit_test(test_pause_ends_it),
		cmocka_unit_test(test_low_duty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
