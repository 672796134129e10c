/* social.c - the recent signers of each petition in memory, refreshed
 * from the store by a ticker when the petition's count moves, so neither
 * the live events' thread nor a request ever waits for the database for
 * them; first names; the likers' keyed hash. */
#include "social.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "counts.h"
#include "crypto.h"
#include "log.h"
#include "ticker.h"

#define SLOTS 128	  /* petitions followed at once */
#define WANTED_SECONDS 60 /* a list nobody asked for this long is dropped */
#define REFRESH_MS 1000

struct slot {
	int64_t id;    /* 0: free */
	int64_t count; /* the count the list was read at; -1: not read */
	time_t wanted; /* monotonic second it was last asked for */
	time_t read;   /* … and read (a list may change without its count:
			* data erased on schedule) */
	struct social_recent list;
};

static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *store;
static void (*on_change)(void);
static struct ticker ticker;
static _Atomic bool running;

static time_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Whether the bytes at p (n left) start with a space: ASCII blanks, the
 * no-break and the typographic spaces. Sets *w to its length. */
static bool
space_at(const unsigned char *p, size_t n, size_t *w)
{
	*w = 1;
	if (p[0] == ' ' || p[0] == '\t')
		return true;
	if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0) {
		*w = 2;
		return true;
	}
	*w = 3;
	if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 &&
	    (p[2] <= 0x8A || p[2] == 0xAF))
		return true; /* U+2000..U+200A, U+202F */
	if (n >= 3 && p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F)
		return true; /* U+205F */
	if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
		return true; /* U+3000 */
	*w = 1;
	return false;
}

void
social_first_word(const char *name, size_t len, char out[SOCIAL_NAME_MAX])
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0, start, end, w;

	while (i < len && space_at(p + i, len - i, &w))
		i += w;
	start = i;
	while (i < len && p[i] != '\0' && !space_at(p + i, len - i, &w))
		i++;
	end = i;
	if (end - start > SOCIAL_NAME_MAX - 1) {
		end = start + SOCIAL_NAME_MAX - 1;
		/* Back to the start of a character. */
		while (end > start && (p[end] & 0xC0) == 0x80)
			end--;
	}
	memcpy(out, name + start, end - start);
	out[end - start] = '\0';
}

int
social_first_name(const unsigned char *pii, size_t len,
    char out[SOCIAL_NAME_MAX])
{
	size_t plen;
	char *plain;

	out[0] = '\0';
	if (pii == NULL || (plain = crypto_open(pii, len, &plen)) == NULL)
		return -1;
	social_first_word(plain, strnlen(plain, plen), out);
	sodium_memzero(plain, plen);
	free(plain);
	return out[0] != '\0' ? 0 : -1;
}

void
social_liker_hash(const char *browser_id, size_t len,
    unsigned char out[STORE_HASH_BYTES])
{
	crypto_misc_hash("like", browser_id, len, out, STORE_HASH_BYTES);
}

int
social_recent_load(struct store *s, int64_t petition_id,
    struct social_recent *out)
{
	struct recent_row *rows;
	struct arena *a;
	size_t n, i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if ((a = arena_new()) == NULL)
		return -1;
	if (store_social_recent(s, a, petition_id, SOCIAL_RECENT, &rows, &n) !=
	    STORE_OK)
		goto out;
	for (i = 0; i < n && out->n < SOCIAL_RECENT; i++) {
		struct social_signer *g = &out->s[out->n];

		if (social_first_name(rows[i].pii, rows[i].pii_len, g->name) ==
			-1 ||
		    strlen(rows[i].country) != 2)
			continue;
		memcpy(g->country, rows[i].country, 3);
		out->n++;
	}
	ret = 0;
out:
	arena_free(a);
	return ret;
}

/* The slot of id, or NULL; the caller holds the lock. */
static struct slot *
slot_find(int64_t id)
{
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].id == id)
			return &slots[i];
	return NULL;
}

int
social_recent_get(int64_t petition_id, struct social_recent *out)
{
	time_t now = mono_seconds();
	struct slot *sl, *old = NULL;
	int known = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&lock);
	if ((sl = slot_find(petition_id)) == NULL) {
		/* A free slot, or the one asked for longest ago. */
		for (i = 0; i < SLOTS; i++) {
			if (slots[i].id == 0) {
				old = &slots[i];
				break;
			}
			if (old == NULL || slots[i].wanted < old->wanted)
				old = &slots[i];
		}
		sl = old;
		memset(sl, 0, sizeof(*sl));
		sl->id = petition_id;
		sl->count = -1;
	}
	sl->wanted = now;
	if (sl->count >= 0) {
		*out = sl->list;
		known = 1;
	}
	pthread_mutex_unlock(&lock);
	if (!known && running)
		ticker_kick(&ticker);
	return known;
}

/* One round: each list asked for lately whose count moved is read again. */
static void
refresh(void *arg)
{
	time_t now = mono_seconds();
	bool changed = false;
	size_t i;

	(void)arg;
	for (i = 0; i < SLOTS && !ticker_stopping(&ticker); i++) {
		struct social_recent list;
		int64_t id, seen, count;
		time_t read;

		pthread_mutex_lock(&lock);
		id = slots[i].id;
		seen = slots[i].count;
		read = slots[i].read;
		if (id != 0 && now - slots[i].wanted > WANTED_SECONDS) {
			memset(&slots[i], 0, sizeof(slots[i]));
			id = 0;
		}
		pthread_mutex_unlock(&lock);
		if (id == 0 || counts_get(id, &count) == -1 ||
		    (seen >= 0 && count == seen && now - read < WANTED_SECONDS))
			continue;
		if (social_recent_load(store, id, &list) == -1)
			continue; /* tried again next round */
		pthread_mutex_lock(&lock);
		if (slots[i].id == id) {
			if (slots[i].count < 0 ||
			    memcmp(&slots[i].list, &list, sizeof(list)) != 0)
				changed = true;
			slots[i].list = list;
			slots[i].count = count;
			slots[i].read = now;
		}
		pthread_mutex_unlock(&lock);
	}
	if (changed && on_change != NULL)
		on_change();
}

int
social_start(struct store *s, void (*fn)(void))
{
	store = s;
	on_change = fn;
	memset(&ticker, 0, sizeof(ticker));
	ticker.name = "social";
	ticker.interval_ms = REFRESH_MS;
	ticker.run = refresh;
	if (ticker_start(&ticker) == -1)
		return -1;
	running = true;
	return 0;
}

void
social_stop(void)
{
	if (!running)
		return;
	running = false;
	ticker_stop(&ticker);
	pthread_mutex_lock(&lock);
	memset(slots, 0, sizeof(slots));
	pthread_mutex_unlock(&lock);
	on_change = NULL;
}

void
social_kick(void)
{
	if (running)
		ticker_kick(&ticker);
}
