/* pagecache.c - rendered pages with live values spliced in. */
#include "pagecache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PAGECACHE_MAX 256 /* entries; the oldest goes first */
#define MAX_MARKS 64
#define MARK_START '\x02'
#define MARK_END '\x03'

struct mark {
	size_t off; /* where in html the marker stood */
	enum live v;
};

struct entry {
	char *key;
	char *html; /* with markers removed */
	size_t len;
	struct mark marks[MAX_MARKS];
	size_t nmarks;
	struct pagecache_meta meta;
	struct timespec built;
};

static struct entry entries[PAGECACHE_MAX];
static size_t nentries;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

void
pagecache_marker(enum live v, char out[8])
{
	out[0] = MARK_START;
	out[1] = 'L';
	out[2] = (char)('A' + (int)v);
	out[3] = MARK_END;
	out[4] = '\0';
}

static void
entry_free(struct entry *e)
{
	free(e->key);
	free(e->html);
	memset(e, 0, sizeof(*e));
}

static struct entry *
find(const char *key)
{
	size_t i;

	for (i = 0; i < nentries; i++)
		if (strcmp(entries[i].key, key) == 0)
			return &entries[i];
	return NULL;
}

static void
remove_at(size_t i)
{
	entry_free(&entries[i]);
	entries[i] = entries[nentries - 1];
	memset(&entries[nentries - 1], 0, sizeof(entries[0]));
	nentries--;
}

int
pagecache_put(const char *key, const char *html, size_t len,
    const struct pagecache_meta *meta)
{
	struct entry e;
	size_t i, o = 0;

	memset(&e, 0, sizeof(e));
	if ((e.key = strdup(key)) == NULL || (e.html = malloc(len + 1)) == NULL)
		goto fail;
	for (i = 0; i < len; i++) {
		if (html[i] == MARK_START && i + 3 < len &&
		    html[i + 1] == 'L' && html[i + 3] == MARK_END &&
		    html[i + 2] >= 'A' && html[i + 2] < 'A' + LIVE__MAX) {
			if (e.nmarks == MAX_MARKS)
				goto fail;
			e.marks[e.nmarks].off = o;
			e.marks[e.nmarks].v = (enum live)(html[i + 2] - 'A');
			e.nmarks++;
			i += 3;
			continue;
		}
		e.html[o++] = html[i];
	}
	e.len = o;
	e.meta = *meta;
	clock_gettime(CLOCK_MONOTONIC, &e.built);

	pthread_rwlock_wrlock(&lock);
	for (i = 0; i < nentries; i++) {
		if (strcmp(entries[i].key, key) == 0) {
			remove_at(i);
			break;
		}
	}
	if (nentries == PAGECACHE_MAX) {
		size_t oldest = 0;

		for (i = 1; i < nentries; i++)
			if (entries[i].built.tv_sec <
			    entries[oldest].built.tv_sec)
				oldest = i;
		remove_at(oldest);
	}
	entries[nentries++] = e;
	pthread_rwlock_unlock(&lock);
	return 0;
fail:
	entry_free(&e);
	return -1;
}

int
pagecache_lookup(const char *key, time_t ttl, struct pagecache_meta *meta)
{
	struct timespec now;
	struct entry *e;
	int hit = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_rwlock_rdlock(&lock);
	if ((e = find(key)) != NULL && now.tv_sec - e->built.tv_sec < ttl) {
		*meta = e->meta;
		hit = 1;
	}
	pthread_rwlock_unlock(&lock);
	return hit;
}

int
pagecache_render(const char *key, const char *const live[LIVE__MAX],
    struct buf *out)
{
	struct entry *e;
	size_t i, from = 0;

	pthread_rwlock_rdlock(&lock);
	if ((e = find(key)) == NULL) {
		pthread_rwlock_unlock(&lock);
		return -1;
	}
	for (i = 0; i < e->nmarks; i++) {
		const char *v = live[e->marks[i].v];

		buf_append(out, e->html + from, e->marks[i].off - from);
		if (v != NULL)
			buf_append_html(out, v, strlen(v));
		from = e->marks[i].off;
	}
	buf_append(out, e->html + from, e->len - from);
	pthread_rwlock_unlock(&lock);
	return 0;
}

void
pagecache_invalidate(int64_t petition_id)
{
	size_t i;

	pthread_rwlock_wrlock(&lock);
	for (i = 0; i < nentries;) {
		if (entries[i].meta.petition_id == petition_id)
			remove_at(i);
		else
			i++;
	}
	pthread_rwlock_unlock(&lock);
}

void
pagecache_clear(void)
{
	pthread_rwlock_wrlock(&lock);
	while (nentries > 0)
		remove_at(nentries - 1);
	pthread_rwlock_unlock(&lock);
}
