/* guard.h - who may sign: disposable email domains, the site's allow and
 * block lists of domains, networks and addresses, and the bot-check flags
 * a signature carries for review. */
#ifndef HOLOS_GUARD_H
#define HOLOS_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "netaddr.h"

enum guard_verdict {
	GUARD_OK,
	GUARD_ALLOWED,	  /* on the allow list: skips the other lists */
	GUARD_DISPOSABLE, /* a throw-away mail domain */
	GUARD_BLOCKED,	  /* on the block list */
	GUARD__MAX
};

/* Bits of a signature's flags column. */
enum guard_flag {
	GUARD_FLAG_HONEYPOT = 1, /* the hidden field was filled */
	GUARD_FLAG_FAST = 2,	 /* sent sooner than a person could */
	GUARD_FLAG_NO_POW = 4,	 /* no proof of work (no JavaScript) */
	GUARD_FLAG_BAD_POW = 8,	 /* a wrong or reused proof */
};

/* Loads the shipped disposable-domain list (share_dir/lists/
 * disposable-email-domains.txt) and, from the data folder when present,
 * disposable-local.txt (more domains, one a line), allowlist.txt and
 * blocklist.txt (lines "domain D", "net CIDR", "email ADDRESS"; '#'
 * starts a comment). Returns 0, or -1 with "FILE:LINE: reason" in err. */
int guard_load(const char *share_dir, const char *data_dir, char *err,
    size_t errlen);

void guard_free(void);

/* The verdict for an email in email_normalize()'s form (domain in
 * A-labels, as the lists are kept) and the client's address. A domain
 * matches itself and its subdomains. */
enum guard_verdict guard_check(const char *email, const struct netaddr *a);

/* The domain part of a normalised email ("" when none). Borrowed. */
const char *guard_domain(const char *email);

#endif
