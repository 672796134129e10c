/* fuzz_import.c - libFuzzer target: petition files (front matter and
 * body), and translations. */
#include <stdint.h>

#include "arena.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct arena *a = arena_new();
	struct petition p;
	struct translation t;
	char err[256];

	if (a == NULL)
		return 0;
	(void)import_parse(a, (const char *)data, len, &p, err, sizeof(err));
	(void)import_parse_translation(a, (const char *)data, len, "ru", &t,
	    err, sizeof(err));
	arena_free(a);
	return 0;
}
