/* fuzz_cookie.c - libFuzzer target: a Cookie header as libmicrohttpd
 * splits it, then what holos does with the cookies it reads: the session
 * cookie's shape and its hash (what account.c looks it up by and binds
 * forms to), the language cookie as text. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "form.h"
#include "log.h"

#include "drive.h"

static enum MHD_Result
each_cookie(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)cls;
	(void)kind;
	if (key != NULL)
		(void)form_text_valid(key, strlen(key), false);
	if (value != NULL)
		(void)form_text_valid(value, strlen(value), false);
	return MHD_YES;
}

static void
drive_handle(struct MHD_Connection *c, const char *url)
{
	const char *session, *lang;
	unsigned char hash[CRYPTO_HASH_BYTES];

	(void)url;
	(void)MHD_get_connection_values(c, MHD_COOKIE_KIND, each_cookie, NULL);
	session =
	    MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "holos_session");
	if (session != NULL &&
	    form_text_valid(session, strlen(session), false) &&
	    crypto_token_valid(session, strlen(session)))
		crypto_token_hash(session, strlen(session), hash);
	lang = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "holos_lang");
	if (lang != NULL)
		(void)form_text_valid(lang, strlen(lang), false);
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
	size_t n;

	if (len > 4000)
		return 0;
	n = (size_t)snprintf(req, sizeof(req),
	    "GET / HTTP/1.1\r\nHost: x\r\nCookie: ");
	memcpy(req + n, data, len);
	n += len;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n\r\n");
	drive_one(req, n);
	return 0;
}
