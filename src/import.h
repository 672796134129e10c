/* import.h - petition files: YAML-like front matter and a Markdown body. */
#ifndef HOLOS_IMPORT_H
#define HOLOS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "petition.h"
#include "store.h"

/* Parses a petition file:
 *
 *   ---
 *   title: …            (required, at most 200 characters)
 *   to: A; B; C         (required, addressees separated by ';')
 *   goal: 15000         (required, a positive whole number)
 *   lang: en            (required, a language code)
 *   slug: my-petition   (required, [a-z0-9-], 1-80)
 *   ---
 *   Markdown body …
 *
 * Translations sit beside the file as FILE.LANG.md (FILE.ru.md for
 * FILE.md) and are read by import_file().
 *
 * Fills p (strings from arena; state open). Returns 0, or -1 with a
 * message naming the line in err. */
int import_parse(struct arena *a, const char *src, size_t len,
    struct petition *p, char *err, size_t errlen);

/* Parses a translation file: front matter with "title" (and optionally
 * "lang", which must equal lang) and the Markdown body. Fills t from the
 * arena. Returns 0, or -1 with a message naming the line in err. */
int import_parse_translation(struct arena *a, const char *src, size_t len,
    const char *lang, struct translation *t, char *err, size_t errlen);

/* Reads path, parses it and creates the petition in the store. Returns 0,
 * or -1 with a message for the user in err (parse error, slug taken,
 * storage failure). */
int import_file(struct store *s, const char *path, char *err, size_t errlen);

/* Like import_file(), with the petition owned by the account owner_id (0:
 * none). */
int import_file_owned(struct store *s, const char *path, int64_t owner_id,
    char *err, size_t errlen);

/* Finds the account of email, normalised and hashed as accounts are
 * (crypto_init() must have run), and sets *id. Returns 0, or -1 with a
 * message for the user in err (not an address, no such account, storage
 * failure). */
int import_owner(struct store *s, const char *email, int64_t *id, char *err,
    size_t errlen);

#endif
