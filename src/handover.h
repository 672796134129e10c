/* handover.h - carrying a petition to its addressees: the letters with the
 * pack's link and a response link, delivery when the site's response
 * threshold is reached, the starter's milestone mail, and the signers'
 * mail when a petition ends. */
#ifndef HOLOS_HANDOVER_H
#define HOLOS_HANDOVER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Days the pack's link in a delivery letter works. */
#define HANDOVER_LINK_DAYS 90

/* Sends petition p (with its addressees) to every addressee that has an
 * email address and was not delivered to before: a letter in p's language
 * with count, a link to the pack (/d/TOKEN, HANDOVER_LINK_DAYS) and to the
 * response page (/r/TOKEN), all queued in one transaction. actor is
 * "user:ID" or "system". *made is how many letters were queued. Returns
 * 0, or -1 (logged) when the store fails or a letter cannot be made.
 * Needs crypto, i18n, templates and the site's settings. */
int handover_deliver(struct store *s, const struct petition *p, int64_t count,
    const char *actor, size_t *made);

/* After a petition moved to state to: a closed or won petition's signers
 * who asked for updates get its end mail (the victory note, or a closing
 * notice, in the petition's language) once, through the update fanout.
 * Other states are ignored. Never fails (a failure is logged). */
void handover_ended(struct store *s, int64_t petition_id,
    enum petition_state to);

/* Starts the thread that mails starters at each goal and delivers
 * petitions that reach threshold signatures (0: never), every few seconds
 * and on handover_kick(). Returns 0, or -1 (logged). */
int handover_start(struct store *s, int64_t threshold);

/* Makes the thread look soon (signatures were counted). Any thread. */
void handover_kick(void);

/* Stops the thread after its run in hand; a no-op when not started. */
void handover_stop(void);

#endif
