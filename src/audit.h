/* audit.h - the client side of the petition logs, for anyone who wants to
 * check a site: `holos audit URL SLUG [--state FILE]` checks a petition's
 * log against its signed tree head and its page's count, and `holos
 * verify RECEIPT.json` checks that one signer's signature is in the log.
 * Both speak the site's log API over HTTP(S) (libcurl) and trust nothing
 * it says until it is recomputed or verified:
 *
 *   GET /log/key -> {"algorithm":"ed25519","key":B64,"key_id":B64}
 *   GET /p/SLUG/log/get-sth -> {"tree_size":N,"timestamp":MS,
 *       "sha256_root_hash":B64,"tree_head_signature":B64}
 *   GET /p/SLUG.json -> {…,"count":C,"log_size":L,…}
 *   GET /p/SLUG/log/get-entries?start=A&end=B -> {"entries":[
 *       {"leaf_input":B64},…]}: leaves A to B, both included (RFC 6962
 *       section 4.6); at most 1,000, and fewer is allowed
 *   GET /p/SLUG/log/get-proof-by-hash?hash=B64&tree_size=N ->
 *       {"leaf_index":I,"audit_path":[B64,…]}
 *   GET /p/SLUG/log/get-sth-consistency?first=M&second=N ->
 *       {"consistency":[B64,…]}
 *
 * B64 is standard base64 with padding. A hostile or broken server gets a
 * clear reason in the report, never a crash or an endless loop. */
#ifndef HOLOS_AUDIT_H
#define HOLOS_AUDIT_H

#include <stdint.h>
#include <stdio.h>

/* What a check found: the exit status of the commands. */
enum audit_status {
	AUDIT_OK = 0,	    /* everything holds */
	AUDIT_MISMATCH = 1, /* the site contradicts its own log or page */
	AUDIT_ERROR = 2,    /* could not check: network, malformed answer,
			     * bad arguments, state or receipt file */
	AUDIT__MAX
};

#define AUDIT_SAMPLES 8 /* random inclusion proofs by default */
#define AUDIT_MAX_ENTRIES 100000000ULL
#define AUDIT_TIMEOUT 30 /* seconds a request may take */

struct audit_opts {
	const char *url;  /* the site: "https://example.org" */
	const char *slug; /* the petition */
	/* A file holding the last head this audit verified (JSON, made by
	 * the first run): the new head must be consistent with it, and
	 * replaces it when everything holds. NULL: none. */
	const char *state_path;
	unsigned samples;     /* random inclusion proofs besides the first
			       * and the last leaf; 0: AUDIT_SAMPLES */
	uint64_t max_entries; /* refuse a longer log; 0: AUDIT_MAX_ENTRIES */
	long timeout;	      /* seconds per request; 0: AUDIT_TIMEOUT */
};

/* Audits one petition's log: reads the newest signed head and checks its
 * signature against /log/key, reads the page's count and log_size,
 * downloads every entry up to the larger of tree_size and log_size
 * (several calls; log_size may run ahead of the signed head while people
 * sign), recomputes the root over the first tree_size entries, checks
 * audit paths for the first, the last and random leaves, checks the
 * consistency of the head saved in the state file (by proof, and by
 * recomputing its root from the entries), and recomputes the count over
 * the first log_size entries: signature leaves minus the distinct ones
 * removal leaves name. Prints a summary to report, with the reason of the
 * first failure. Returns an enum audit_status: AUDIT_OK only when
 * everything holds. */
int audit_run(const struct audit_opts *opts, FILE *report);

struct audit_verify_opts {
	const char *receipt_path; /* the receipt's JSON file */
	const char *url;	  /* NULL: the site the receipt names */
	unsigned wait;		  /* seconds to wait for a signed head that
				   * covers the leaf (heads are signed
				   * within 2 s); 0: do not wait */
	long timeout;		  /* seconds per request; 0: AUDIT_TIMEOUT */
};

/* Checks one receipt: the leaf at its index must be a signature leaf
 * carrying SHA-256 of its secret, and an audit path must prove that leaf
 * in the newest signed head (whose signature is checked). Prints what it
 * found to report. Returns an enum audit_status. */
int audit_verify_receipt(const struct audit_verify_opts *opts, FILE *report);

#endif
