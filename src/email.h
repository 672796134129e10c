/* email.h - email address syntax and the normalisation that finds
 * duplicate signatures. */
#ifndef HOLOS_EMAIL_H
#define HOLOS_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* The maximum length of an address, in bytes (RFC 5321). */
#define EMAIL_MAX 254

/* True when s looks like a deliverable address: one local part of 1-64
 * bytes without spaces, controls or ()<>[]\,;:" and a domain of at least
 * two dot-separated labels of letters, digits, '-' or non-ASCII (IDN),
 * no label starting or ending with '-', at most EMAIL_MAX bytes. */
bool email_valid(const char *s, size_t len);

/* The normal form used for duplicate detection, into the arena:
 * surrounding white space removed, Unicode NFC, then full lower case
 * (locale-independent ICU case mapping, applied to the whole address).
 * So " Foo@Example.ORG" and "foo@example.org" are one signer. Dots and
 * "+tags" are kept: they are different mailboxes for many providers.
 * Returns NULL on invalid UTF-8 or when out of memory. */
char *email_normalize(struct arena *a, const char *s, size_t len,
    size_t *outlen);

#endif
