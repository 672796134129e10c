/* loghead.c - signing the petitions' tree heads. */
#include "loghead.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "log.h"
#include "ticker.h"

static struct translog_key key;
static bool key_loaded;

int
loghead_key_load(const char *data_dir)
{
	if (translog_key_load(data_dir, &key) == -1)
		return -1;
	key_loaded = true;
	return 0;
}

const struct translog_key *
loghead_key(void)
{
	return key_loaded ? &key : NULL;
}

int64_t
loghead_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
loghead_run_once(struct store *s, int64_t now_ms)
{
	unsigned char sig[TRANSLOG_SIGNATURE_BYTES];
	struct translog_sth sth;
	struct log_tree *ts;
	struct arena *a;
	size_t n, i;
	int signed_ = 0;

	if (!key_loaded || (a = arena_new()) == NULL)
		return -1;
	if (store_log_unsigned(s, a, LOGHEAD_BATCH, &ts, &n) != STORE_OK) {
		arena_free(a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		sth.timestamp = (uint64_t)now_ms;
		sth.tree_size = (uint64_t)ts[i].size;
		memcpy(sth.root, ts[i].root, sizeof(sth.root));
		translog_sth_sign(&key, &sth, sig);
		/* A log whose nodes do not give its root is not signed (the
		 * store logs it): a head must never vouch for damage. */
		if (store_log_sign(s, ts[i].petition_id, ts[i].size, now_ms,
			ts[i].root, sig) == STORE_OK)
			signed_++;
	}
	arena_free(a);
	return signed_;
}

static void
loghead_tick(void *arg)
{
	(void)loghead_run_once(arg, loghead_now_ms());
}

static struct ticker ticker = {
	.name = "loghead",
	.interval_ms = LOGHEAD_INTERVAL_MS,
	.run = loghead_tick,
};

int
loghead_start(struct store *s)
{
	if (!key_loaded) {
		log_error("loghead", "error=\"no log key loaded\"");
		return -1;
	}
	ticker.arg = s;
	return ticker_start(&ticker);
}

void
loghead_stop(void)
{
	ticker_stop(&ticker);
}
