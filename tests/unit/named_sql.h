/* named_sql.h - one statement of a docs/ SQL file ("-- name: NAME" up to the
 * next such line), so the tests run the SQL the documents hand on as it is
 * written. Include after cmocka.h. */
#ifndef HOLOS_TEST_NAMED_SQL_H
#define HOLOS_TEST_NAMED_SQL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns the statement NAME of the file at path (from the repository's
 * root), malloc'd; fails the test when there is none. */
static char *
named_sql(const char *path, const char *name)
{
	char head[128], *text, *start, *end, *out;
	FILE *f = fopen(path, "r");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the repository's root)",
		    path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	snprintf(head, sizeof(head), "-- name: %s\n", name);
	if ((start = strstr(text, head)) == NULL)
		fail_msg("%s has no statement %s", path, name);
	start += strlen(head);
	if ((end = strstr(start, "\n-- name: ")) == NULL)
		end = text + n;
	out = strndup(start, (size_t)(end - start));
	assert_non_null(out);
	free(text);
	return out;
}

#endif
