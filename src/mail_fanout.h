/* mail_fanout.h - mailing a petition's updates to its signers: in batches, in
 * each signer's language, each message with a one-click unsubscribe link,
 * queued in the outbox so that no signer gets an update twice. */
#ifndef HOLOS_MAIL_FANOUT_H
#define HOLOS_MAIL_FANOUT_H

#include "store.h"

/* Signers queued per transaction. */
#define FANOUT_BATCH 200

/* Queues one batch of the oldest update still being mailed. Returns the
 * number of messages queued (0: nothing to do), or -1 on a store error
 * (logged). Any thread; safe beside other processes doing the same. */
int fanout_run_once(struct store *s);

/* Starts a thread that runs batches while there are any, then waits for
 * fanout_kick() or a minute. Returns 0, or -1 (logged). */
int fanout_start(struct store *s);

/* Wakes the thread: an update was posted. Cheap; any thread. */
void fanout_kick(void);

/* Stops the thread after its current batch; a no-op when none runs. */
void fanout_stop(void);

#endif
