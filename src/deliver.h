/* deliver.h - the delivery pack: a PDF for the petition's addressees with
 * a cover (title, addressees, count in figures and words, date, QR codes),
 * the text, signatures per day, counts per country and the signers who
 * agreed to show their name, written as a stream. */
#ifndef HOLOS_DELIVER_H
#define HOLOS_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "petition.h"
#include "store.h"

/* One signer who agreed to show their name. Strings are UTF-8 and need
 * only live until the next call of the iterator. */
struct deliver_signer {
	const char *name;    /* as shown on the page */
	const char *country; /* ISO 3166-1 alpha-2, or "" */
	const char *comment; /* "" when none or not to be shown */
	int64_t signed_at;   /* unix seconds */
};

/* Fills *out with the next signer and returns 1, returns 0 when there are
 * no more, -1 on an error (the pack is then abandoned). Rows come in the
 * order they are printed and are never held: a million signers cost the
 * memory of one. */
typedef int (*deliver_next_fn)(void *ctx, struct deliver_signer *out);

/* Takes the next len bytes of the PDF. Returns 0, or -1 to stop (a full
 * disk, a client gone). */
typedef int (
    *deliver_write_fn)(void *ctx, const unsigned char *data, size_t len);

struct deliver_progress {
	int pages;	 /* pages finished */
	int64_t signers; /* signers printed */
};

/* Told once for each finished page, the last one when the PDF is
 * complete. */
typedef void (*deliver_progress_fn)(void *ctx, const struct deliver_progress *p);

/* What the pack holds. Strings are UTF-8; everything is borrowed for the
 * call. */
struct deliver_pack {
	const char *lang;      /* the interface language of whoever made it */
	const char *site_name; /* --site-name */
	const char *title;
	const char *body_md; /* the petition's text, Markdown */
	const struct addressee *to;
	size_t nto;
	int64_t count;		/* confirmed signatures */
	int64_t made_at;	/* unix seconds: the cover's date */
	const char *url;	/* the petition's page: its QR code */
	const char *verify_url; /* NULL, or the verify page: a second code */
	const char *log_root;	/* with verify_url: the latest tree head's
				 * root, printed beside it (hex), or NULL */
	int64_t log_size;	/* with log_root: that head's tree size */
	const struct day_row *days; /* signatures per day, any order */
	size_t ndays;
	const struct country_row *countries; /* printed in this order */
	size_t ncountries;
	deliver_next_fn next; /* the signers */
	void *next_ctx;
	deliver_progress_fn progress; /* NULL: none */
	void *progress_ctx;
};

enum deliver_status {
	DELIVER_OK,
	DELIVER_BAD_INPUT, /* no language, title or URL, or a URL that
			    * makes no QR code (qr.h) */
	DELIVER_SIGNERS,   /* next() failed */
	DELIVER_WRITE,	   /* the write function failed */
	DELIVER_FAILED,	   /* cairo or pango failed, or out of memory */
	DELIVER__MAX
};

/* A short English description of s for logs and the command line; never
 * NULL. */
const char *deliver_status_text(enum deliver_status s);

/* Writes the pack as a PDF (A4) through write, page by page as each is
 * finished; the fonts come last. Labels are in p->lang (needs
 * i18n_load()). Returns DELIVER_OK, or the first failure (logged); after a
 * failure what was written is no valid PDF. Memory stays bounded whatever
 * the number of signers (see docs/performance.md). Not thread-safe for one
 * p; several packs may be written at once on different threads. */
enum deliver_status deliver_pdf(const struct deliver_pack *p,
    deliver_write_fn write, void *ctx);

/* deliver_pdf() into f (not closed). DELIVER_WRITE when a write to f
 * fails. */
enum deliver_status deliver_pdf_file(const struct deliver_pack *p, FILE *f);

#endif
