/* pagecache.c - rendered pages with live values spliced in. */
#include "pagecache.h"

#include <pthread.h>
#include <stdatomic.h>
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

/* A choice marker: where its text goes when code is the request's. */
struct choice {
	size_t off;
	char code[2];
};

/* One render of an entry, shared by every request that sees the same
 * live values and choice (the inputs, as in[], each value followed by a
 * NUL): within a second a hot page is the same bytes for every reader,
 * and is sent without a copy. */
struct pagecache_page {
	atomic_int refs; /* the entry's and each reply's */
	char *in;
	size_t inlen;
	size_t len;
	char html[];
};

struct entry {
	char *key;
	char *html; /* with markers removed */
	size_t len;
	struct mark marks[MAX_MARKS];
	size_t nmarks;
	struct choice *choices; /* in html order */
	size_t nchoices;
	struct pagecache_meta meta;
	struct timespec built;
	pthread_mutex_t *last_lock; /* of last */
	struct pagecache_page *last;
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

void
pagecache_choice_marker(const char code[2], char out[8])
{
	out[0] = MARK_START;
	out[1] = 'C';
	out[2] = code[0];
	out[3] = code[1];
	out[4] = MARK_END;
	out[5] = '\0';
}

void
pagecache_page_release(void *page)
{
	struct pagecache_page *p = page;

	if (p != NULL && atomic_fetch_sub(&p->refs, 1) == 1) {
		free(p->in);
		free(p);
	}
}

static void
entry_free(struct entry *e)
{
	/* A page still being sent outlives its entry (its own count). */
	pagecache_page_release(e->last);
	if (e->last_lock != NULL) {
		pthread_mutex_destroy(e->last_lock);
		free(e->last_lock);
	}
	free(e->key);
	free(e->html);
	free(e->choices);
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
	if ((e.key = strdup(key)) == NULL ||
	    (e.html = malloc(len + 1)) == NULL ||
	    (e.last_lock = malloc(sizeof(*e.last_lock))) == NULL)
		goto fail;
	if (pthread_mutex_init(e.last_lock, NULL) != 0) {
		free(e.last_lock);
		e.last_lock = NULL;
		goto fail;
	}
	for (i = 0; i < len; i++) {
		if (html[i] == MARK_START && i + 4 < len &&
		    html[i + 1] == 'C' && html[i + 4] == MARK_END) {
			/* Full at 0, 1, 3, 7, … entries: double. */
			if ((e.nchoices & (e.nchoices + 1)) == 0) {
				struct choice *c = realloc(e.choices,
				    (e.nchoices * 2 + 1) * sizeof(*c));

				if (c == NULL)
					goto fail;
				e.choices = c;
			}
			e.choices[e.nchoices].off = o;
			memcpy(e.choices[e.nchoices].code, html + i + 2, 2);
			e.nchoices++;
			i += 4;
			continue;
		}
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

/* Appends e's page to out: the caller holds the lock. */
static void
render(const struct entry *e, const char *const live[LIVE__MAX],
    const char *choice, const char *choice_text, struct buf *out)
{
	size_t i, c, from = 0, at = (size_t)-1;

	/* The one place the choice's text goes, if any. */
	if (choice != NULL && strlen(choice) == 2)
		for (c = 0; c < e->nchoices; c++)
			if (memcmp(e->choices[c].code, choice, 2) == 0) {
				at = e->choices[c].off;
				break;
			}
	for (i = 0; i <= e->nmarks; i++) {
		size_t off = i < e->nmarks ? e->marks[i].off : e->len;

		/* Choice and value marks are never at one offset: a value
		 * is text, a choice an attribute. */
		if (at != (size_t)-1 && at >= from && at < off) {
			buf_append(out, e->html + from, at - from);
			buf_puts(out, choice_text);
			from = at;
			at = (size_t)-1;
		}
		buf_append(out, e->html + from, off - from);
		if (i < e->nmarks && live[e->marks[i].v] != NULL)
			buf_append_html(out, live[e->marks[i].v],
			    strlen(live[e->marks[i].v]));
		from = off;
	}
}

int
pagecache_render(const char *key, const char *const live[LIVE__MAX],
    const char *choice, const char *choice_text, struct buf *out)
{
	struct entry *e;

	pthread_rwlock_rdlock(&lock);
	if ((e = find(key)) == NULL) {
		pthread_rwlock_unlock(&lock);
		return -1;
	}
	render(e, live, choice, choice_text, out);
	pthread_rwlock_unlock(&lock);
	return 0;
}

/* The inputs of a render, as a page keeps them: each live value (NULL as
 * "\x01"), the choice and its text, each ended by a NUL. */
static void
inputs(const char *const live[LIVE__MAX], const char *choice,
    const char *choice_text, struct buf *in)
{
	int v;

	for (v = 0; v < LIVE__MAX; v++) {
		buf_puts(in, live[v] != NULL ? live[v] : "\x01");
		buf_putc(in, '\0');
	}
	buf_puts(in, choice != NULL ? choice : "");
	buf_putc(in, '\0');
	buf_puts(in, choice_text != NULL ? choice_text : "");
	buf_putc(in, '\0');
}

struct pagecache_page *
pagecache_render_shared(const char *key, const char *const live[LIVE__MAX],
    const char *choice, const char *choice_text, const char **html, size_t *len)
{
	struct pagecache_page *p = NULL, *old = NULL;
	struct buf in, out;
	struct entry *e;
	size_t n;
	char *body;

	buf_init(&in);
	buf_init(&out);
	inputs(live, choice, choice_text, &in);
	if (!buf_ok(&in))
		goto out;
	pthread_rwlock_rdlock(&lock);
	if ((e = find(key)) == NULL)
		goto unlock;
	pthread_mutex_lock(e->last_lock);
	if (e->last != NULL && e->last->inlen == in.len &&
	    memcmp(e->last->in, in.data, in.len) == 0) {
		p = e->last;
		atomic_fetch_add(&p->refs, 1);
	}
	pthread_mutex_unlock(e->last_lock);
	if (p != NULL)
		goto unlock;
	render(e, live, choice, choice_text, &out);
	if (!buf_ok(&out) || (p = malloc(sizeof(*p) + out.len + 1)) == NULL)
		goto unlock;
	body = buf_steal(&in, &n);
	p->in = body;
	p->inlen = n;
	p->len = out.len;
	memcpy(p->html, out.data, out.len);
	p->html[out.len] = '\0';
	/* One for the caller, one for the entry. */
	atomic_init(&p->refs, 2);
	pthread_mutex_lock(e->last_lock);
	old = e->last;
	e->last = p;
	pthread_mutex_unlock(e->last_lock);
	pagecache_page_release(old);
unlock:
	pthread_rwlock_unlock(&lock);
out:
	buf_reset(&in);
	buf_reset(&out);
	if (p != NULL) {
		*html = p->html;
		*len = p->len;
	}
	return p;
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
