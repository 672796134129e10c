/* mail_outbox.h - the delivery worker: takes due messages from the store's
 * outbox and sends them over SMTP (or, with no SMTP configured, writes them
 * as .eml files), with back-off, a limit on attempts and a dead-letter
 * state. */
#ifndef HOLOS_MAIL_OUTBOX_H
#define HOLOS_MAIL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "dkim.h"
#include "mail_smtp.h"
#include "store.h"

struct outbox_config {
	struct smtp_config smtp;  /* smtp.url NULL: write files */
	const char *from;	  /* envelope sender */
	const char *dir;	  /* DATA/outbox, for files */
	int64_t retry_base;	  /* seconds before the 2nd attempt */
	int64_t retry_max;	  /* longest wait between attempts */
	int max_attempts;	  /* then the message is dead */
	struct dkim_signer *dkim; /* sign each message, or NULL; borrowed */
	int senders; /* threads sending at once, each on its own connection */
	/* While the signature writer is saturated (signq_busy_since()), the
	 * senders hold the mail for up to this long from the hold's
	 * beginning, so that the CPU goes to acknowledging signers; then
	 * they send as usual, and hold again only once they have caught up.
	 * 0: never held. */
	int64_t yield_ms;
};

/* The most sender threads (--mail-senders). */
#define OUTBOX_SENDERS_MAX 32

/* Starts c->senders worker threads, each claiming due mail in batches and
 * sending it over a connection of its own that it keeps between messages
 * (smtp_session). Messages left 'sending' by a crash are queued again
 * first. Returns 0, or -1 (logged) with no thread left running. */
int outbox_start(struct store *s, const struct outbox_config *c);

/* Wakes the worker: new mail was committed. Cheap; any thread. */
void outbox_kick(void);

/* Each worker finishes the message in hand; then all are joined. */
void outbox_stop(void);

/* Sends every due message once, in the calling thread (for `holos outbox
 * send`). Returns the number handled, or -1 on a store error. */
int outbox_run_once(struct store *s, const struct outbox_config *c);

#endif
