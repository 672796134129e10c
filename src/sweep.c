/* sweep.c - closing petitions at their closing date. */
#include "sweep.h"

#include <time.h>

#include "arena.h"
#include "lifecycle.h"
#include "log.h"
#include "ticker.h"

int
sweep_run_once(struct store *s, int64_t now)
{
	struct petition *ps;
	struct arena *a;
	size_t n, i;
	int closed = 0;

	if ((a = arena_new()) == NULL)
		return -1;
	if (store_petition_due(s, a, now, &ps, &n) != STORE_OK) {
		arena_free(a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct transition t = {
			.petition_id = ps[i].id,
			.from = PETITION_OPEN,
			.to = PETITION_CLOSED,
			.actor = "system",
			.reason = "closing_date",
			.note = "",
			.at = now,
		};

		switch (lifecycle_move(s, &t)) {
		case STORE_OK:
			log_info("sweep", "event=closed slug=%s", ps[i].slug);
			closed++;
			break;
		case STORE_NOTFOUND: break; /* another node closed it first */
		default: closed = -1; break;
		}
		if (closed == -1)
			break;
	}
	arena_free(a);
	return closed;
}

static void
sweep_tick(void *arg)
{
	(void)sweep_run_once(arg, (int64_t)time(NULL));
}

static struct ticker ticker = {
	.name = "sweep",
	.interval_ms = SWEEP_INTERVAL_MS,
	.run = sweep_tick,
};

int
sweep_start(struct store *s)
{
	ticker.arg = s;
	return ticker_start(&ticker);
}

void
sweep_stop(void)
{
	ticker_stop(&ticker);
}
