/* fuzz_url.c - libFuzzer target: a request line's path and query as
 * libmicrohttpd decodes them, then what holos does with them: the checks
 * the router makes (text, slug, token), the query values handlers read,
 * the path as the log writes it, and a query string as a form. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "form.h"
#include "log.h"
#include "petition.h"

#include "drive.h"

static const struct form_spec spec[] = {
	{ "next", FORM_TOKEN, 512, false, NULL },
	{ "lang", FORM_LINE, 16, false, NULL },
	{ "state", FORM_LINE, 16, false, NULL },
	{ "q", FORM_TEXT, 200, false, NULL },
};

static enum MHD_Result
each_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	char out[64];

	(void)cls;
	(void)kind;
	if (key != NULL)
		(void)form_text_valid(key, strlen(key), false);
	if (value != NULL && form_text_valid(value, strlen(value), false))
		log_path(out, sizeof(out), value);
	return MHD_YES;
}

static void
drive_handle(struct MHD_Connection *c, const char *url)
{
	static const char *const prefixes[] = { "/p/", "/c/", "/u/", "/verify/",
		"/reset/", "/me/p/", "/admin/p/" };
	char small[16], big[256];
	size_t len = strlen(url), i;

	log_path(small, sizeof(small), url);
	log_path(big, sizeof(big), url);
	if (!form_text_valid(url, len, false))
		return;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(url, prefixes[i], n) != 0)
			continue;
		(void)petition_slug_valid(url + n, strcspn(url + n, "/."));
		(void)crypto_token_valid(url + n, len - n);
	}
	(void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, each_arg,
	    NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG__MAX);
	drive_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char req[8192];
	struct form_value v[sizeof(spec) / sizeof(spec[0])];
	struct arena *a;
	const char *q;
	size_t n;

	if (len > 4000)
		return 0;
	/* The bytes as a request target. */
	n = (size_t)snprintf(req, sizeof(req), "GET ");
	memcpy(req + n, data, len);
	n += len;
	n += (size_t)snprintf(req + n, sizeof(req) - n,
	    " HTTP/1.1\r\nHost: x\r\n\r\n");
	drive_one(req, n);
	/* The query part as a form, as form.c reads bodies. */
	if ((a = arena_new()) == NULL)
		return 0;
	q = memchr(data, '?', len);
	if (q != NULL)
		(void)form_parse(a, q + 1,
		    len - (size_t)(q + 1 - (const char *)data), spec,
		    sizeof(spec) / sizeof(spec[0]), v);
	arena_free(a);
	return 0;
}
