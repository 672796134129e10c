/* email.h - email address syntax and the normalisation that finds
 * duplicate signatures. */
#ifndef HOLOS_EMAIL_H
#define HOLOS_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* The maximum length of an address, in bytes (RFC 5321). */
#define EMAIL_MAX 254
/* The longest domain in A-labels, without a trailing dot (RFC 1035). */
#define EMAIL_DOMAIN_MAX 253

/* True when s looks like a deliverable address: one local part of 1-64
 * bytes without spaces, controls or ()<>[]\,;:" and a domain that
 * email_domain_to_ascii() accepts whose A-label form has at least two
 * dot-separated labels of letters, digits and '-', no label starting or
 * ending with '-', a top level that is not all digits; at most EMAIL_MAX
 * bytes as given and in the normal form. */
bool email_valid(const char *s, size_t len);

/* The normal form used for duplicate detection and every list check, into
 * the arena: surrounding white space removed; the local part (everything
 * before the last '@') in Unicode NFC, then full lower case
 * (locale-independent ICU case mapping); the domain as
 * email_domain_to_ascii() makes it. So " Foo@Example.ORG" and
 * "foo@example.org" are one signer, and so are "a@bücher.example" and
 * "a@xn--bcher-kva.example" (normal form "a@xn--bcher-kva.example"). Dots
 * and "+tags" are kept: they are different mailboxes for many providers.
 * A string without '@' is treated as all local part. The function is
 * idempotent, and an address stored in the earlier normal form (NFC and
 * lower case throughout) maps to its present one when normalised again.
 * Returns NULL on invalid UTF-8, a domain IDNA refuses, or when out of
 * memory. */
char *email_normalize(struct arena *a, const char *s, size_t len,
    size_t *outlen);

/* Writes the A-label form of the domain s (len bytes, no NUL needed) into
 * out, NUL-terminated: IDNA2008 with the UTS #46 non-transitional mapping
 * (libidn2), so width, case and the ideographic full stop fold away and
 * "bücher.example", "BÜCHER.example" and "xn--bcher-kva.example" all give
 * "xn--bcher-kva.example". A domain of plain ASCII with no "xn--" label is
 * only lower-cased, so such domains keep the form they always had. What
 * IDNA returns must be letters, digits, '-' and '.'; empty labels, label
 * edges and the top level are left to email_valid().
 * Returns the length written, or -1 when IDNA refuses the domain (a
 * disallowed code point, a bad "xn--" label, a label over 63 octets, mixed
 * directions …) or its A-label form is longer than EMAIL_DOMAIN_MAX. */
int email_domain_to_ascii(const char *s, size_t len,
    char out[EMAIL_DOMAIN_MAX + 1]);

/* True when sending to the address needs the SMTPUTF8 extension (RFC
 * 6531): its local part has a non-ASCII character. For an address in the
 * normal form only the local part can; a domain not yet in A-labels also
 * counts, since it would go on the wire as it is. */
bool email_needs_smtputf8(const char *s, size_t len);

#endif
