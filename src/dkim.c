/* dkim.c - DKIM-Signature fields for outgoing mail with libopendkim: the
 * key loaded and tried once, one libopendkim handle per message. */
#include "dkim.h"

#include <errno.h>
#include <opendkim/dkim.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "email.h"
#include "log.h"

#define SELECTOR_MAX 253

struct dkim_signer {
	DKIM_LIB *lib;
	unsigned char *key; /* the PEM text, NUL-terminated */
	size_t keylen;
	char selector[SELECTOR_MAX + 1];
	char domain[EMAIL_DOMAIN_MAX + 1];
};

/* libopendkim compiles the list to be signed at once but keeps a pointer
 * to the list to be oversigned: static. */
static const char *signed_headers[] = DKIM_SIGNED_HEADERS;

/* A selector is one or more DNS labels (RFC 6376 3.1): letters, digits
 * and '-' inside, dot-separated, none empty. It goes into a DNS name and
 * the signature's s= tag, so nothing else may pass. */
static bool
selector_valid(const char *s)
{
	size_t n = 0, label = 0;

	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (c == '.') {
			if (label == 0 || s[n - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return n > 0 && n <= SELECTOR_MAX && label > 0 && s[n - 1] != '-';
}

/* Appends the signature field for msg to out. Returns 0, or -1 with out
 * unchanged and libopendkim's reason in why. */
static int
sign(struct dkim_signer *s, const char *msg, size_t len, struct buf *out,
    char *why, size_t whylen)
{
	DKIM_STAT st;
	DKIM *d;
	unsigned char *hdr = NULL;
	size_t hlen = 0, i;
	const char *e;

	d = dkim_sign(s->lib, (const unsigned char *)"holos", NULL, s->key,
	    (const unsigned char *)s->selector,
	    (const unsigned char *)s->domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL) {
		e = dkim_getresultstr(st);
		snprintf(why, whylen, "%s", e != NULL ? e : "cannot start");
		return -1;
	}
	/* libopendkim reads the buffer without changing it; its prototype
	 * merely lacks the const. */
	if ((st = dkim_chunk(d, (unsigned char *)(uintptr_t)msg, len)) !=
		DKIM_STAT_OK ||
	    (st = dkim_chunk(d, NULL, 0)) != DKIM_STAT_OK ||
	    (st = dkim_eom(d, NULL)) != DKIM_STAT_OK ||
	    (st = dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER) + 2, &hdr,
		 &hlen)) != DKIM_STAT_OK)
		goto fail;
	buf_puts(out, DKIM_SIGNHEADER ": ");
	/* libopendkim folds with a bare LF; mail has CRLF. */
	for (i = 0; i < hlen; i++) {
		if (hdr[i] == '\n' && (i == 0 || hdr[i - 1] != '\r'))
			buf_putc(out, '\r');
		buf_putc(out, (char)hdr[i]);
	}
	buf_puts(out, "\r\n");
	dkim_free(d);
	if (!buf_ok(out)) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
fail:
	/* The library's own words ("private key too small (512 bits, need
	 * at least 1024)", "no From header field") say most. */
	if ((e = dkim_geterror(d)) == NULL)
		e = dkim_getresultstr(st);
	snprintf(why, whylen, "%s", e != NULL ? e : "failed");
	dkim_free(d);
	return -1;
}

struct dkim_signer *
dkim_signer_load(const char *key_path, const char *selector, const char *sender,
    char *err, size_t errlen)
{
	struct dkim_signer *s;
	struct buf test;
	char msg[EMAIL_MAX + 64], why[256];
	const char *at;
	ssize_t n;

	buf_init(&test);
	if (!selector_valid(selector)) {
		snprintf(err, errlen,
		    "--dkim-selector: not a DNS label sequence: \"%.64s\"",
		    selector);
		return NULL;
	}
	if (sender == NULL || !email_valid(sender, strlen(sender)) ||
	    (at = strrchr(sender, '@')) == NULL) {
		snprintf(err, errlen, "DKIM: the sender is not an address");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->key = malloc(DKIM_KEY_MAX + 1)) == NULL) {
		snprintf(err, errlen, "DKIM: out of memory");
		goto fail;
	}
	if (email_domain_to_ascii(at + 1, strlen(at + 1), s->domain) == -1) {
		snprintf(err, errlen, "DKIM: the sender's domain is invalid");
		goto fail;
	}
	snprintf(s->selector, sizeof(s->selector), "%s", selector);
	if ((n = crypto_secret_file_read(key_path, s->key, DKIM_KEY_MAX)) == -1) {
		snprintf(err, errlen,
		    "--dkim-key %s: %s (it must exist, be at most %d bytes and "
		    "readable by its owner alone)",
		    key_path, strerror(errno), DKIM_KEY_MAX);
		goto fail;
	}
	s->keylen = (size_t)n;
	s->key[s->keylen] = '\0';
	if ((s->lib = dkim_init(NULL, NULL)) == NULL ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
		signed_headers, sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
		signed_headers, sizeof(char **)) != DKIM_STAT_OK) {
		snprintf(err, errlen, "DKIM: libopendkim did not start");
		goto fail;
	}
	/* Try the key now rather than on the first real message. */
	snprintf(msg, sizeof(msg),
	    "From: <%s>\r\nSubject: key test\r\n\r\n.\r\n", sender);
	if (sign(s, msg, strlen(msg), &test, why, sizeof(why)) == -1) {
		snprintf(err, errlen,
		    "--dkim-key %s: not a usable RSA private key in PEM form: "
		    "%s",
		    key_path, why);
		goto fail;
	}
	buf_reset(&test);
	log_info("dkim", "event=key_loaded domain=%s selector=%s", s->domain,
	    s->selector);
	return s;
fail:
	buf_reset(&test);
	dkim_signer_free(s);
	return NULL;
}

void
dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	if (s->lib != NULL)
		dkim_close(s->lib);
	if (s->key != NULL) {
		sodium_memzero(s->key, DKIM_KEY_MAX + 1);
		free(s->key);
	}
	free(s);
}

int
dkim_sign_message(struct dkim_signer *s, const char *msg, size_t len,
    struct buf *out)
{
	char why[256];
	size_t i;

	if (sign(s, msg, len, out, why, sizeof(why)) == 0)
		return 0;
	for (i = 0; why[i] != '\0'; i++)
		if (why[i] == '"' || (unsigned char)why[i] < ' ')
			why[i] = '\'';
	log_error("dkim", "error=\"cannot sign: %s\" bytes=%zu", why, len);
	return -1;
}

const char *
dkim_signer_domain(const struct dkim_signer *s)
{
	return s->domain;
}
