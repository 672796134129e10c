/* social.h - social proof (docs/social.md): the newest signers of each
 * petition who agreed to show their name, kept in memory for the live
 * events and refreshed from the store on a thread of their own when a
 * count moves; the first name a signer is shown by; the keyed hash that
 * stands for a browser that likes a comment. */
#ifndef HOLOS_SOCIAL_H
#define HOLOS_SOCIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SOCIAL_RECENT 10   /* recent signers shown */
#define SOCIAL_NAME_MAX 64 /* bytes of a shown first name, NUL included */

struct social_signer {
	char name[SOCIAL_NAME_MAX]; /* the first word of the first name */
	char country[3];	    /* ISO 3166-1 alpha-2 */
};

struct social_recent {
	size_t n;
	struct social_signer s[SOCIAL_RECENT]; /* newest first */
};

/* Starts the refresh thread: every second, and soon after social_kick(),
 * it re-reads from s the recent signers of each petition asked for in the
 * last minute whose count moved, then calls on_change (may be NULL; cheap,
 * any thread) when a list changed. Returns 0, or -1 when the thread cannot
 * start (logged). */
int social_start(struct store *s, void (*on_change)(void));

/* Stops the thread and forgets every list; a no-op when not running. */
void social_stop(void);

/* A count changed: lists are checked again soon. Cheap; any thread. */
void social_kick(void);

/* Copies the petition's recent signers into *out from memory, never
 * waiting for the store. Returns 1, or 0 when they are not known yet (the
 * thread is asked to read them; *out is then empty). */
int social_recent_get(int64_t petition_id, struct social_recent *out);

/* Reads the petition's recent signers from s into *out (for a page's
 * render). Returns 0, or -1 when the store fails (*out empty). */
int social_recent_load(struct store *s, int64_t petition_id,
    struct social_recent *out);

/* The first word of the first name sealed in pii ("first\0last\0…"),
 * cut to fit on a character boundary, into out. Returns 0, or -1 when pii
 * does not open or has no name (out ""). */
int social_first_name(const unsigned char *pii, size_t len,
    char out[SOCIAL_NAME_MAX]);

/* The first word of the UTF-8 name (len bytes), cut on a character
 * boundary to fit, into out ("" for none). Never fails. */
void social_first_word(const char *name, size_t len, char out[SOCIAL_NAME_MAX]);

/* The keyed hash a like is stored under for a browser's id (cookie):
 * STORE_HASH_BYTES into out. Never fails. */
void social_liker_hash(const char *browser_id, size_t len,
    unsigned char out[STORE_HASH_BYTES]);

#endif
