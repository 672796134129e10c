/* lifecycle.c - a petition's moves between states: the rule, the record,
 * and what must follow (the page cache) in one place. */
#include "lifecycle.h"

#include "handover.h"
#include "log.h"

static void (*on_change)(int64_t petition_id);

void
lifecycle_on_change(void (*changed)(int64_t petition_id))
{
	on_change = changed;
}

enum store_status
lifecycle_move(struct store *s, const struct transition *t)
{
	enum store_status st;

	if (!petition_transition_allowed(t->from, t->to)) {
		log_info("lifecycle",
		    "petition=%lld from=%s to=%s result=refused",
		    (long long)t->petition_id, petition_state_name(t->from),
		    petition_state_name(t->to));
		return STORE_NOTFOUND;
	}
	if ((st = store_petition_transition(s, t)) != STORE_OK)
		return st;
	/* A closed or won petition tells its signers (once). */
	handover_ended(s, t->petition_id, t->to);
	if (on_change != NULL)
		on_change(t->petition_id);
	return st;
}
