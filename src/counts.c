/* counts.c - live signature counts in memory, an open-addressing table. */
#include "counts.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ticker.h"

struct entry {
	int64_t id; /* 0: empty slot */
	_Atomic int64_t count;
	_Atomic int64_t changed; /* unix time of the last commit seen */
	/* The log size the count reflects. count and log_size change
	 * together under gen, a sequence lock: odd while a writer (who holds
	 * commit_lock) is between them. */
	_Atomic int64_t log_size;
	_Atomic unsigned gen;
};

static struct entry *table;
static size_t cap, used;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t commit_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *store;
static void (*change_hook)(void);

void
counts_on_change(void (*fn)(void))
{
	change_hook = fn;
}

static size_t
slot_of(int64_t id, size_t n)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 17) & (n - 1);
}

static struct entry *
find(int64_t id)
{
	size_t i;

	if (cap == 0)
		return NULL;
	for (i = slot_of(id, cap);; i = (i + 1) & (cap - 1)) {
		if (table[i].id == id)
			return &table[i];
		if (table[i].id == 0)
			return NULL;
	}
}

/* Sets an entry's count and log size as one change; the caller holds
 * commit_lock (one writer at a time). */
static void
entry_set(struct entry *e, int64_t count, int64_t log_size)
{
	atomic_fetch_add(&e->gen, 1);
	atomic_store(&e->count, count);
	atomic_store(&e->log_size, log_size);
	atomic_fetch_add(&e->gen, 1);
}

/* Reads an entry's count and log size as one pair. */
static void
entry_get(struct entry *e, int64_t *count, int64_t *log_size)
{
	unsigned g;

	for (;;) {
		g = atomic_load(&e->gen);
		if (g & 1)
			continue;
		*count = atomic_load(&e->count);
		*log_size = atomic_load(&e->log_size);
		if (atomic_load(&e->gen) == g)
			return;
	}
}

/* Inserts id with count; the caller holds the write lock. */
static int
insert(int64_t id, int64_t count, int64_t log_size)
{
	size_t i;

	if ((used + 1) * 2 > cap) {
		size_t ncap = cap ? cap * 2 : 64, j;
		struct entry *nt = calloc(ncap, sizeof(*nt));

		if (nt == NULL)
			return -1;
		for (j = 0; j < cap; j++) {
			if (table[j].id == 0)
				continue;
			for (i = slot_of(table[j].id, ncap); nt[i].id != 0;
			     i = (i + 1) & (ncap - 1))
				;
			nt[i].id = table[j].id;
			atomic_store(&nt[i].count, atomic_load(&table[j].count));
			atomic_store(&nt[i].changed,
			    atomic_load(&table[j].changed));
			atomic_store(&nt[i].log_size,
			    atomic_load(&table[j].log_size));
		}
		free(table);
		table = nt;
		cap = ncap;
	}
	for (i = slot_of(id, cap); table[i].id != 0; i = (i + 1) & (cap - 1))
		;
	table[i].id = id;
	atomic_store(&table[i].count, count);
	atomic_store(&table[i].log_size, log_size);
	used++;
	return 0;
}

int
counts_init(struct store *s)
{
	store = s;
	return 0;
}

void
counts_free(void)
{
	pthread_rwlock_wrlock(&table_lock);
	free(table);
	table = NULL;
	cap = used = 0;
	pthread_rwlock_unlock(&table_lock);
}

void
counts_reset(void)
{
	pthread_mutex_lock(&commit_lock);
	counts_free();
	pthread_mutex_unlock(&commit_lock);
	if (change_hook != NULL)
		change_hook();
}

int
counts_get(int64_t id, int64_t *count)
{
	return counts_get_changed(id, count, NULL);
}

int
counts_get_changed(int64_t id, int64_t *count, int64_t *changed)
{
	int64_t log_size;

	return counts_get_log(id, count, &log_size, changed);
}

int
counts_get_log(int64_t id, int64_t *count, int64_t *log_size, int64_t *changed)
{
	struct entry *e;
	int64_t n, size;

	pthread_rwlock_rdlock(&table_lock);
	if ((e = find(id)) != NULL) {
		entry_get(e, count, log_size);
		if (changed != NULL)
			*changed = atomic_load(&e->changed);
	}
	pthread_rwlock_unlock(&table_lock);
	if (e != NULL)
		return 0;

	/* First use: no commit may run between the read and the insert. */
	pthread_mutex_lock(&commit_lock);
	pthread_rwlock_wrlock(&table_lock);
	if ((e = find(id)) != NULL) {
		entry_get(e, count, log_size);
		if (changed != NULL)
			*changed = atomic_load(&e->changed);
		goto done;
	}
	if (store_log_count(store, id, &n, &size) != STORE_OK) {
		pthread_rwlock_unlock(&table_lock);
		pthread_mutex_unlock(&commit_lock);
		log_error("counts", "petition=%lld error=\"cannot load count\"",
		    (long long)id);
		return -1;
	}
	if (insert(id, n, size) == -1) {
		pthread_rwlock_unlock(&table_lock);
		pthread_mutex_unlock(&commit_lock);
		return -1;
	}
	*count = n;
	*log_size = size;
	if (changed != NULL)
		*changed = 0;
done:
	pthread_rwlock_unlock(&table_lock);
	pthread_mutex_unlock(&commit_lock);
	return 0;
}

void
counts_commit_begin(void)
{
	pthread_mutex_lock(&commit_lock);
}

void
counts_set(int64_t id, int64_t count, int64_t log_size)
{
	struct entry *e;
	bool moved = false;

	pthread_rwlock_rdlock(&table_lock);
	if ((e = find(id)) != NULL && log_size >= atomic_load(&e->log_size)) {
		moved = atomic_load(&e->count) != count;
		entry_set(e, count, log_size);
		atomic_store(&e->changed, (int64_t)time(NULL));
	}
	pthread_rwlock_unlock(&table_lock);
	if (moved && change_hook != NULL)
		change_hook();
}

void
counts_commit_end(void)
{
	pthread_mutex_unlock(&commit_lock);
}

int
counts_refresh(void)
{
	/* The last refresh failed and was logged. Both the refresher and a
	 * request thread (after an invalidation) refresh: commit_lock guards
	 * it. */
	static bool failing;
	bool was_failing, changed = false;
	int64_t n, size, old, old_size;
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&commit_lock);
	pthread_rwlock_rdlock(&table_lock);
	for (i = 0; i < cap; i++) {
		if (table[i].id == 0)
			continue;
		if (store_log_count(store, table[i].id, &n, &size) != STORE_OK) {
			ret = -1;
			break;
		}
		entry_get(&table[i], &old, &old_size);
		if (n != old || size != old_size) {
			entry_set(&table[i], n, size);
			atomic_store(&table[i].changed, (int64_t)time(NULL));
			changed = true;
		}
	}
	pthread_rwlock_unlock(&table_lock);
	if (changed && change_hook != NULL)
		change_hook();
	was_failing = failing;
	failing = ret == -1;
	pthread_mutex_unlock(&commit_lock);
	if (ret == -1 && !was_failing)
		log_warn("counts",
		    "event=refresh_failed note=\"counts stay as "
		    "they are until the store answers\"");
	else if (ret == 0 && was_failing)
		log_info("counts", "event=refresh_recovered");
	return ret;
}

static void
refresh_tick(void *arg)
{
	(void)arg;
	(void)counts_refresh();
}

static struct ticker refresher = { .name = "counts", .run = refresh_tick };

int
counts_refresh_start(unsigned interval_ms)
{
	refresher.interval_ms = interval_ms;
	return ticker_start(&refresher);
}

void
counts_refresh_stop(void)
{
	ticker_stop(&refresher);
}
