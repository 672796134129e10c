/* reseal.h - walks every sealed value in batches while holos serves: the
 * rotation of the sealing key (holos rekey), and the address hashes
 * recomputed from the sealed addresses under today's normal form (holos
 * migrate). docs/keys.md. */
#ifndef HOLOS_RESEAL_H
#define HOLOS_RESEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* How a rotation went. */
struct reseal_result {
	bool resumed;	    /* an interrupted rotation was taken up */
	bool finished;	    /* the old key is gone */
	int64_t resealed;   /* values moved to the new key */
	int64_t unreadable; /* values no key opens (left as they are) */
	int64_t batches;
};

/* holos rekey: rotates the sealing key of data_dir (crypto_init() done
 * first). Takes the key lock (refused when another rotation or a backup
 * holds it), makes a new seal.key, keeping the one it replaces as
 * seal.key.old (or resumes the rotation an interrupted run left), waits
 * until serving processes have taken the new key up, then re-seals every
 * sealed value still under the old key, batch rows a transaction, until a
 * pass finds none, and removes seal.key.old. max_batches > 0 stops after
 * that many batches, leaving the rotation to the next run. Progress on
 * stdout. Returns 0 (res->finished says whether it is done), or -1 with
 * the reason on stderr. */
int reseal_rotate(struct store *s, const char *data_dir, size_t batch,
    int64_t max_batches, struct reseal_result *res);

/* The data task of holos migrate: recomputes, once, the keyed hash of
 * every sealed signer's and account's address from the address itself
 * under email_normalize() (domains in IDNA A-labels since 0020), so an
 * address stored before under a Unicode domain is found again. A row whose
 * new hash another row of its petition (or another account) has already is
 * left as it is and counted in *dups. Returns 0 (the task recorded as
 * done, or found done before), 1 when some sealed address does not open
 * with the keys loaded (the task is left for a run with the site's keys;
 * logged), or -1 with the reason logged. */
int reseal_rehash_emails(struct store *s, int64_t *changed, int64_t *dups);

#endif
