/* test_guard.c - guard.c: the throw-away, allow and block lists, checked on
 * email.c's normal form whatever form the address or the list was written
 * in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/guard.c"

static char data_dir[64];
static struct netaddr client;

static void
write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
remove_file(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	unlink(path);
}

/* The shipped list (run from the repository root, as scripts/test.sh
 * does) and local lists written in U-labels, full width and upper case. */
static int
setup_lists(void **state)
{
	char err[256];

	(void)state;
	snprintf(data_dir, sizeof(data_dir), "/tmp/holos-guard-XXXXXX");
	if (mkdtemp(data_dir) == NULL)
		return -1;
	write_file("disposable-local.txt",
	    "# local additions\n"
	    "\xef\xbd\x94\xef\xbd\x8f\xef\xbd\x93\xef\xbd\x93." /* ｔｏｓｓ. */
	    "example\n"
	    "WEGWERF-\xc3\x9c"
	    "BUNG.example\n"); /* WEGWERF-ÜBUNG */
	write_file("blocklist.txt",
	    "domain b\xc3\xbc"
	    "cher.example\n"
	    "email \xd0\x98\xd0\x92\xd0\x90\xd0\x9d@\xd0\xbf\xd1\x80\xd0\xb8"
	    "\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84\n" /* ИВАН@пример.рф */
	    "domain xn--o38h.example\n"); /* IDNA refuses: kept, harmless */
	write_file("allowlist.txt", "domain XN--MNCHEN-3YA.example\n");
	if (netaddr_parse("192.0.2.7", 9, &client) == -1)
		return -1;
	if (guard_load(".", data_dir, err, sizeof(err)) == -1) {
		fprintf(stderr, "guard_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown_lists(void **state)
{
	(void)state;
	guard_free();
	remove_file("disposable-local.txt");
	remove_file("blocklist.txt");
	remove_file("allowlist.txt");
	rmdir(data_dir);
	return 0;
}

/* What the sign form does: normalise, then check. */
static enum guard_verdict
check(const char *email)
{
	struct arena *a = arena_new();
	enum guard_verdict v;
	size_t len;
	char *n;

	assert_non_null(a);
	n = email_normalize(a, email, strlen(email), &len);
	if (n == NULL)
		fail_msg("\"%s\" not normalised", email);
	v = guard_check(n, &client);
	arena_free(a);
	return v;
}

static void
test_disposable_any_width(void **state)
{
	static const char *const caught[] = {
		"ann@mailinator.com",
		"ann@MAILINATOR.COM",
		/* ｍａｉｌｉｎａｔｏｒ．ｃｏｍ */
		"ann@\xef\xbd\x8d\xef\xbd\x81\xef\xbd\x89\xef\xbd\x8c\xef\xbd\x89"
		"\xef\xbd\x8e\xef\xbd\x81\xef\xbd\x94\xef\xbd\x8f\xef\xbd\x92"
		"\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8d",
		/* ＭＡＩＬＩＮＡＴＯＲ.com */
		"ann@\xef\xbc\xad\xef\xbc\xa1\xef\xbc\xa9\xef\xbc\xac\xef\xbc\xa9"
		"\xef\xbc\xae\xef\xbc\xa1\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb2.com",
		"ann@mailinator\xe3\x80\x82"
		"com", /* ideographic full stop */
		"ann@mail\xc2\xad"
		"inator.com", /* soft hyphen */
		"ann@sub.mailinator.com",
		/* The shipped list's xn--d-bga.net, typed as "dé.net". */
		"ann@d\xc3\xa9.net",
		"ann@D\xc3\x89.NET",
		/* Local additions written full width and upper case. */
		"ann@toss.example",
		"ann@wegwerf-\xc3\xbc"
		"bung.example",
		"ann@xn--wegwerf-bung-klb.example",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (check(caught[i]) != GUARD_DISPOSABLE)
			fail_msg("caught[%zu] \"%s\" escaped the list", i,
			    caught[i]);
	assert_int_equal(check("ann@example.org"), GUARD_OK);
	assert_int_equal(check("ann@mailinator.com.example.org"), GUARD_OK);
}

static void
test_block_and_allow_lists(void **state)
{
	(void)state;
	/* "domain bücher.example" blocks both spellings. */
	assert_int_equal(check("ann@b\xc3\xbc"
			       "cher.example"),
	    GUARD_BLOCKED);
	assert_int_equal(check("ann@xn--bcher-kva.example"), GUARD_BLOCKED);
	assert_int_equal(check("ann@shop.XN--BCHER-KVA.example"), GUARD_BLOCKED);
	/* "email ИВАН@пример.рф" blocks the address in any case and form,
	 * and nobody else at that domain. */
	assert_int_equal(check("\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@"
			       "xn--e1afmkfd.xn--p1ai"),
	    GUARD_BLOCKED);
	assert_int_equal(check("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d@"
			       "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0."
			       "\xd0\xa0\xd0\xa4"),
	    GUARD_BLOCKED);
	assert_int_equal(check("olga@xn--e1afmkfd.xn--p1ai"), GUARD_OK);
	/* "domain XN--MNCHEN-3YA.example" allows münchen.example. */
	assert_int_equal(check("ann@m\xc3\xbc"
			       "nchen.example"),
	    GUARD_ALLOWED);
	/* The domain guard_domain() reports is the A-label form. */
	assert_string_equal(guard_domain("ann@xn--bcher-kva.example"),
	    "xn--bcher-kva.example");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disposable_any_width),
		cmocka_unit_test(test_block_and_allow_lists),
	};

	return cmocka_run_group_tests(tests, setup_lists, teardown_lists);
}
