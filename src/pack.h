/* pack.h - the delivery pack of a stored petition: its figures and its
 * consenting signers read from the store, a page of rows at a time, into
 * deliver.c's PDF; and `holos deliver`. */
#ifndef HOLOS_PACK_H
#define HOLOS_PACK_H

#include <stdint.h>

#include "deliver.h"
#include "petition.h"
#include "store.h"

/* Signers read from the store at a time. */
#define PACK_CHUNK 1000

/* What a pack is made of besides the store's rows. Borrowed for the
 * call. */
struct pack_request {
	const struct petition *p; /* with its addressees */
	int64_t count;		  /* confirmed signatures */
	const char *lang;	  /* the interface language of its maker */
	const char *site_name;
	const char *url; /* the petition's public page */
	int64_t now;
	deliver_progress_fn progress; /* NULL: none */
	void *progress_ctx;
};

/* Writes the pack of q->p as a PDF through write: the petition's text,
 * its signatures per day and per country, and every confirmed signer who
 * agreed to show their name (with their comment), read PACK_CHUNK at a
 * time so memory stays flat. A signer whose sealed data cannot be opened
 * is left out (logged). Needs crypto_init() and i18n_load(). Returns
 * DELIVER_OK or the first failure (DELIVER_SIGNERS when the store
 * fails); the caller owns whatever was written. */
enum deliver_status pack_write(struct store *s, const struct pack_request *q,
    deliver_write_fn write, void *ctx);

/* `holos deliver SLUG --out FILE.pdf [--lang CODE]`: argv[0] is
 * "deliver"; --data, --db and --share are read by main before. Needs
 * crypto_init(), i18n_load() and site_set_base_url(). A progress bar goes
 * to standard error when it is a terminal. Returns the exit status: 0, 1
 * on a failure, 2 on a usage error. */
int pack_cmd(struct store *s, int argc, char **argv);

extern const char pack_usage[];

#endif
