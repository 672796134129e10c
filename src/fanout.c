/* fanout.c - mailing updates to signers, in batches through the outbox. */
#include "fanout.h"

int
fanout_run_once(struct store *s)
{
	(void)s;
	return 0;
}

int
fanout_start(struct store *s)
{
	(void)s;
	return 0;
}

void
fanout_kick(void)
{
}

void
fanout_stop(void)
{
}
