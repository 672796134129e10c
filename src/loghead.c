/* loghead.c - signing the petitions' tree heads. */
#include "loghead.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "log.h"
#include "ticker.h"

static struct translog_key key;
static bool key_loaded;

/* Heads shown lately, by petition id modulo the number of slots: a page
 * view costs a lock and a copy, not a database read. */
#define SHOWN_SLOTS 256
struct shown {
	int64_t petition_id; /* 0: empty slot */
	int64_t read_ms;     /* when the store was read */
	int64_t size, timestamp;
	bool found;
};
static struct shown shown[SHOWN_SLOTS];
static pthread_mutex_t shown_lock = PTHREAD_MUTEX_INITIALIZER;

static void
shown_keep(int64_t petition_id, int64_t read_ms, int64_t size,
    int64_t timestamp, bool found)
{
	struct shown *e = &shown[(uint64_t)petition_id % SHOWN_SLOTS];

	pthread_mutex_lock(&shown_lock);
	/* A head only ever grows: never replace a newer one. */
	if (e->petition_id != petition_id || !e->found || !found ||
	    size >= e->size) {
		e->petition_id = petition_id;
		e->read_ms = read_ms;
		e->found = found;
		e->size = found ? size : 0;
		e->timestamp = found ? timestamp : 0;
	} else {
		e->read_ms = read_ms;
	}
	pthread_mutex_unlock(&shown_lock);
}

static void
shown_forget(int64_t petition_id)
{
	struct shown *e = &shown[(uint64_t)petition_id % SHOWN_SLOTS];

	pthread_mutex_lock(&shown_lock);
	if (e->petition_id == petition_id)
		e->petition_id = 0;
	pthread_mutex_unlock(&shown_lock);
}

int
loghead_shown(struct store *s, int64_t petition_id, int64_t now_ms,
    int64_t *size, int64_t *timestamp)
{
	struct shown *e = &shown[(uint64_t)petition_id % SHOWN_SLOTS], c;
	struct log_tree t;

	pthread_mutex_lock(&shown_lock);
	c = *e;
	pthread_mutex_unlock(&shown_lock);
	if (c.petition_id != petition_id || now_ms - c.read_ms < 0 ||
	    now_ms - c.read_ms >= LOGHEAD_SHOWN_MS) {
		switch (store_log_tree(s, petition_id, &t)) {
		case STORE_OK: break;
		case STORE_NOTFOUND: t.sth_size = -1; break;
		default:
			if (c.petition_id != petition_id)
				return -1;
			goto out; /* keep showing what was read before */
		}
		shown_keep(petition_id, now_ms, t.sth_size, t.sth_timestamp,
		    t.sth_size >= 0);
		pthread_mutex_lock(&shown_lock);
		c = *e;
		pthread_mutex_unlock(&shown_lock);
		if (c.petition_id != petition_id) {
			/* Another petition took the slot meanwhile. */
			c.found = t.sth_size >= 0;
			c.size = t.sth_size;
			c.timestamp = t.sth_timestamp;
		}
	}
out:
	if (!c.found)
		return 0;
	*size = c.size;
	*timestamp = c.timestamp;
	return 1;
}

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
			ts[i].root, sig) == STORE_OK) {
			signed_++;
			/* Read again at the next view here (another node
			 * may have stored its own head of this size);
			 * other nodes within LOGHEAD_SHOWN_MS. */
			shown_forget(ts[i].petition_id);
		}
	}
	arena_free(a);
	return signed_;
}

/* Each tick also catches up the leaf-hash index, which the signing
 * transactions leave out: once a second, each index page a second of
 * signatures touches is written once, not once per batch. */
static void
loghead_tick(void *arg)
{
	int64_t added;

	(void)store_log_hash(arg, LOGHEAD_BATCH, &added);
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
