/* slug.h - the address of a new petition, made from its title. */
#ifndef HOLOS_SLUG_H
#define HOLOS_SLUG_H

#include <stddef.h>

#define SLUG_MAX 60 /* characters of a slug made from a title */

/* Writes into out (SLUG_MAX + 1 bytes) the slug of a UTF-8 title of len
 * bytes: transliterated to Latin and lower-case ASCII by ICU ("Any-Latin;
 * Latin-ASCII; Lower"), [a-z0-9] kept, every run of anything else one '-',
 * none at either end, at most SLUG_MAX characters (cut at a '-' where
 * there is one), and "petition" when nothing is left. The result always
 * passes petition_slug_valid(), even with a "-N" suffix for a taken one.
 * Returns 0, or -1 (out still "petition") when the title is not valid
 * UTF-8 or ICU fails. */
int slug_from_title(const char *title, size_t len, char out[SLUG_MAX + 1]);

#endif
