/* lifecycle.h - a petition's moves between states: the one path every move
 * takes, whoever asks (a starter, a moderator, the closing sweep). */
#ifndef HOLOS_LIFECYCLE_H
#define HOLOS_LIFECYCLE_H

#include <stdint.h>

#include "store.h"

/* Sets what is called after each move with the petition's id (main.c gives
 * the page cache's invalidation); NULL for nothing. Call it at start-up,
 * before any move. */
void lifecycle_on_change(void (*changed)(int64_t petition_id));

/* Moves petition t->petition_id from t->from to t->to when
 * petition_transition_allowed() lets it, recording the move as
 * store_petition_transition() does, then calls the change hook. Returns
 * STORE_OK; STORE_NOTFOUND when the move is not one of the lifecycle's or
 * the petition is no longer in t->from (nothing changed); otherwise the
 * store's failure. */
enum store_status lifecycle_move(struct store *s, const struct transition *t);

#endif
