/* fuzz_email.c - libFuzzer target: email syntax and normalisation. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "email.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct arena *a = arena_new();
	size_t n;
	char *norm;

	if (a == NULL)
		return 0;
	(void)email_valid((const char *)data, len);
	norm = email_normalize(a, (const char *)data, len, &n);
	/* Normalising twice changes nothing. */
	if (norm != NULL) {
		size_t n2;
		char *again = email_normalize(a, norm, n, &n2);

		if (again == NULL || n2 != n || memcmp(again, norm, n) != 0)
			__builtin_trap();
	}
	arena_free(a);
	return 0;
}
