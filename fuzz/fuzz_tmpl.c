/* fuzz_tmpl.c - libFuzzer target: Mustache templates compiled and rendered
 * against a small context, with the input as a partial too. */
#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tmpl_set *set = tmpl_set_new();
	json_t *ctx = json_pack("{s:s, s:i, s:[{s:s}, {s:s}], s:{s:b}}", "a",
	    "<b>&", "n", 3, "list", "x", "1", "x", "2", "o", "t", 1);
	char err[256];
	struct buf out;

	buf_init(&out);
	if (set != NULL && ctx != NULL &&
	    tmpl_set_add(set, "p", (const char *)data, len, err, sizeof(err)) ==
		0 &&
	    tmpl_set_add(set, "main", "{{> p}}{{#list}}{{> p}}{{/list}}", 31,
		err, sizeof(err)) == 0)
		(void)tmpl_render(set, "main", ctx, &out);
	buf_reset(&out);
	json_decref(ctx);
	tmpl_set_free(set);
	return 0;
}
