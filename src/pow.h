/* pow.h - proof of work for the sign form (hashcash over SHA-256): the
 * page carries a signed, single-use challenge; a small script in static/
 * finds a nonce; the server checks it in microseconds. The work grows for
 * a petition that is being signed in a burst from few networks. Without
 * JavaScript there is no proof: such signatures count only once confirmed
 * by email. */
#ifndef HOLOS_POW_H
#define HOLOS_POW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "netaddr.h"

enum pow_result {
	POW_OK,
	POW_MISSING, /* no challenge or no nonce */
	POW_BAD,     /* forged, for another petition, or too little work */
	POW_EXPIRED,
	POW_REUSED, /* a challenge spends once */
	POW__MAX
};

/* Sets the base difficulty in leading zero bits (0 turns the check off:
 * every verify is POW_OK) and the most it may grow by. */
void pow_configure(int base_bits, int extra_bits);

/* True when proofs are asked for. */
int pow_enabled(void);

/* Appends a fresh challenge for the petition to out:
 * "ID.TIME.BITS.RANDOM.MAC". Never fails (out may fail: buf_ok). */
void pow_challenge(struct buf *out, int64_t petition_id, time_t now);

/* Checks a challenge and its nonce (decimal digits) for the petition, and
 * spends the challenge when it is good. */
enum pow_result pow_verify(const char *challenge, size_t clen,
    const char *nonce, size_t nlen, int64_t petition_id, time_t now);

/* Records that a signature came from this client's network, for the
 * adaptive difficulty. */
void pow_note(int64_t petition_id, const struct netaddr *client);

/* The difficulty now asked for this petition, in leading zero bits. */
int pow_bits(int64_t petition_id);

#endif
