/* fuzz_form.c - libFuzzer target: urlencoded bodies against a declared
 * form (the sign form's kinds and limits). */
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "email.h"
#include "form.h"

static const struct form_spec spec[] = {
	{ "first_name", FORM_LINE, 100, true, NULL },
	{ "email", FORM_LINE, EMAIL_MAX, true, email_valid },
	{ "comment", FORM_TEXT, 500, false, NULL },
	{ "public", FORM_CHECKBOX, 0, false, NULL },
	{ "csrf", FORM_TOKEN, 128, true, NULL },
	{ "password", FORM_SECRET, 1024, false, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct form_value v[sizeof(spec) / sizeof(spec[0])];
	struct arena *a = arena_new();

	if (a == NULL)
		return 0;
	(void)form_parse(a, (const char *)data, len, spec,
	    sizeof(spec) / sizeof(spec[0]), v);
	arena_free(a);
	return 0;
}
