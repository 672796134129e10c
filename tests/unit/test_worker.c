/* test_worker.c - worker.c: a value of a module's own for each thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/worker.c"

#define THREADS 4

struct slot {
	int owner; /* the thread's number, set at its first get */
	int gets;
};

static atomic_int gone_calls, gone_sum;

static void
slot_gone(void *arg)
{
	struct slot *s = arg;

	atomic_fetch_add(&gone_calls, 1);
	atomic_fetch_add(&gone_sum, s->owner * 100 + s->gets);
	free(s);
}

static struct worker_local slots = WORKER_LOCAL(slot_gone);

/* Each thread: none before its first get, then its own slot every time,
 * zeroed when made. */
static void *
thread_main(void *arg)
{
	int n = (int)(intptr_t)arg, i;
	struct slot *first, *s;

	if (worker_local_peek(&slots) != NULL)
		return (void *)1;
	if ((first = worker_local_get(&slots, sizeof(*first))) == NULL ||
	    first->owner != 0 || first->gets != 0)
		return (void *)2;
	first->owner = n;
	for (i = 0; i < 10; i++) {
		if ((s = worker_local_get(&slots, sizeof(*s))) != first ||
		    worker_local_peek(&slots) != first || s->owner != n)
			return (void *)3;
		s->gets++;
	}
	return NULL;
}

static void
test_local_per_thread(void **state)
{
	pthread_t t[THREADS];
	void *ret;
	int i, want = 0;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main,
				     (void *)(intptr_t)(i + 1)),
		    0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
		want += (i + 1) * 100 + 10;
	}
	/* Each thread's slot went to gone() at its end, with what it held. */
	assert_int_equal(atomic_load(&gone_calls), THREADS);
	assert_int_equal(atomic_load(&gone_sum), want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
