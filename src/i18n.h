/* i18n.h - language catalogues (ICU MessageFormat), negotiation, numbers
 * and country names in the reader's language. */
#ifndef HOLOS_I18N_H
#define HOLOS_I18N_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "msgfmt.h"

#define I18N_MAX_LANGS 16

/* Loads every DIR/LANG.json catalogue (a flat object of key: ICU pattern),
 * compiles every pattern, and checks that each language has exactly the
 * default language's keys, with the same argument names. Also loads country
 * names for each language. Returns 0, or -1 with "FILE: key \"K\": reason"
 * in err. Call once at start; the catalogues are then read-only. */
int i18n_load(const char *dir, const char *default_lang, char *err,
    size_t errlen);

/* Frees what i18n_load() built. */
void i18n_free(void);

/* Returns the supported language code matching code (case-insensitive;
 * "uk-UA" matches "uk"), or NULL. The string is static. */
const char *i18n_match(const char *code, size_t len);

/* Picks the page language: query (?lang=), then cookie, then the best
 * Accept-Language entry by q-value, then the default. Any argument may be
 * NULL; malformed values are ignored. Never fails. */
const char *i18n_negotiate(const char *query, const char *cookie,
    const char *accept);

/* The region (ISO alpha-2, upper case) of the first Accept-Language entry
 * that carries one ("ru-UA" gives "UA"), into out[3]; "" when none. */
void i18n_accept_region(const char *accept, char out[3]);

/* The language's argument-free messages as a JSON object { key: text }.
 * Borrowed; valid until i18n_free(). */
const json_t *i18n_strings(const char *lang);

/* The languages as [{code, name}] with each name in its own language. */
const json_t *i18n_languages(void);

/* Formats key in lang with n named arguments into the arena. Returns the
 * text, or NULL (logged) when the key is unknown or an argument is missing
 * or of the wrong type. */
const char *i18n_format(struct arena *a, const char *lang, const char *key,
    const struct msgfmt_arg *args, size_t n);

/* The plain message for key, or NULL when the key is unknown. Borrowed. */
const char *i18n_text(const char *lang, const char *key);

/* n with the language's digit grouping ("15 000" in ru with a no-break
 * space, "15,000" in en), into the arena. NULL when out of memory. */
const char *i18n_number(struct arena *a, const char *lang, int64_t n);

/* The name of language code (e.g. the petition's "en") in lang ("английский"
 * in ru), into the arena; code itself when ICU has no name for it. */
const char *i18n_language_name(struct arena *a, const char *lang,
    const char *code);

/* A relative time for an event delta seconds from now, negative for the
 * past: "3 minutes ago", "3 минуты назад". Into the arena; NULL when out of
 * memory. */
const char *i18n_relative(struct arena *a, const char *lang, int64_t delta);

/* Countries as [{code, name}] sorted by the language's collation.
 * Borrowed. */
const json_t *i18n_countries(const char *lang);

/* The name of country code (ISO 3166-1 alpha-2, upper case) in lang, or
 * NULL when code is not one holos offers. Borrowed; valid until
 * i18n_free(). */
const char *i18n_country_name(const char *lang, const char *code);

/* True when code is an ISO 3166-1 alpha-2 code holos offers. */
int i18n_country_valid(const char *code, size_t len);

#endif
