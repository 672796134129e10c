/* export.h - a petition's counted signatures as CSV or JSON, made a page
 * of rows at a time as the reader asks for bytes: `holos export` and the
 * dashboard's download share it. */
#ifndef HOLOS_EXPORT_H
#define HOLOS_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

enum export_format {
	EXPORT_CSV,
	EXPORT_JSON,
	/* The dashboard's signers.csv: only the signers who agreed to show
	 * their name, without the comment column (never from the command
	 * line: export_format_parse() does not give it). */
	EXPORT_SIGNERS_CSV,
	EXPORT_FORMAT__MAX
};

/* Rows read from the store at a time by `holos export`; the server reads
 * fewer (EXPORT_PAGE_HTTP) so a reply's chunk is quick to make. */
#define EXPORT_PAGE 1000
#define EXPORT_PAGE_HTTP 250

struct export;

/* EXPORT_FORMAT__MAX for anything but "csv" and "json". */
enum export_format export_format_parse(const char *name);

/* Starts an export of petition_id's confirmed signatures in seq order (for
 * EXPORT_SIGNERS_CSV only those who agreed to show their name, as CSV
 * without the comment column, a row whose name cannot be opened left
 * out):
 * the number, the first and last name only where the signer agreed to
 * show it, the country, the day of signing (UTC), the comment only where
 * they agreed to show it (and it is not hidden); never an email or network
 * address. CSV
 * (RFC 4180, every text cell quoted, a cell a spreadsheet would read as a
 * formula prefixed with an apostrophe) has its heading in lang; JSON is
 * one array of objects. page rows are read at a time. Needs crypto_init()
 * and, for CSV, i18n_load(). Returns NULL when out of memory; free with
 * export_free(). */
struct export *export_new(struct store *s, int64_t petition_id,
    enum export_format f, const char *lang, size_t page);

/* Up to max bytes of the export into buf. Returns how many (> 0), 0 at
 * the end, -1 when the store fails or memory runs out (logged; the export
 * is spent). */
ssize_t export_read(struct export *e, char *buf, size_t max);

/* Rows written so far (and signers whose sealed name could not be opened,
 * written without it, in *unreadable when not NULL). */
int64_t export_rows(const struct export *e, int64_t *unreadable);

/* Frees e and everything it holds (names are wiped). NULL is a no-op. */
void export_free(struct export *e);

/* `holos export SLUG --format csv|json [--out FILE] [--lang CODE]`:
 * argv[0] is "export"; --data, --db and --share are read by main before.
 * Needs crypto_init() and i18n_load(). Without --out the export goes to
 * standard output; a progress bar goes to standard error when it is a
 * terminal. Returns the exit status: 0, 1 on a failure (a partial --out
 * file is removed), 2 on a usage error. */
int export_cmd(struct store *s, int argc, char **argv);

/* What `holos export` and `holos deliver` (pack.c) share: the petition
 * slug names, read into p from a new arena *a (the caller frees it), and
 * *lang (unless NULL) matched to a language of the site. Returns 0; 2 after
 * saying on stderr that the slug or the language is not one; 1 after
 * saying that there is no such petition, the database cannot be read or
 * memory ran out (*a NULL then). */
int export_cmd_petition(struct store *s, const char *cmd, const char *slug,
    const char **lang, struct arena **a, struct petition *p);

extern const char export_usage[];

#endif
