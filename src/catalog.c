/* catalog.c - the public petitions in memory, sorted for the listings.
 * Read from the store when a petition changed (here, or in another process:
 * a cheap version query at most once a second tells; a delivery and a
 * response change it too); the counts come from counts.c, the signatures
 * of the last 24 hours from an hourly ring of each petition's count kept
 * here, and which petitions wait for a response from one query over
 * petitions and updates. The orders are made again at most once a second,
 * so a listing costs the copy of its page. */
#include "catalog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counts.h"
#include "log.h"
#include "mono.h"

#define CHECK_MS 1000 /* how often the store's version is asked */
#define SORT_MS 1000  /* how often counts and orders are made again */
#define HOURS 24

/* A petition's count at the start of each of the last 24 hours. */
struct ring {
	int64_t id;
	int64_t first_hour; /* the first hour seen */
	int64_t last_hour;  /* the last hour recorded */
	int64_t at[HOURS];  /* count at hour h: at[h % HOURS] */
};

static struct {
	pthread_mutex_t lock;
	struct store *store;
	struct arena *arena; /* the petitions' strings */
	struct petition *ps; /* by id */
	int64_t *trend;	     /* per petition */
	int64_t *waiting;    /* per petition: delivered_at, 0 not waiting */
	size_t n;
	size_t *order[CATALOG_SORT__MAX];
	size_t *by_slug;    /* indexes of ps in slug order */
	struct ring *rings; /* by id, as ps */
	int64_t version[4];
	bool loaded, dirty;
	int64_t checked_ms, sorted_ms;
} cat = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const sort_names[CATALOG_SORT__MAX] = {
	[CATALOG_TRENDING] = "trending",
	[CATALOG_SIGNATURES] = "signatures",
	[CATALOG_NEWEST] = "newest",
	[CATALOG_VICTORY] = "victory",
	[CATALOG_WAITING] = "waiting",
};

enum catalog_sort
catalog_sort_parse(const char *name)
{
	int i;

	for (i = 0; i < CATALOG_SORT__MAX && name != NULL; i++)
		if (strcmp(sort_names[i], name) == 0)
			return (enum catalog_sort)i;
	return CATALOG_SORT__MAX;
}

const char *
catalog_sort_name(enum catalog_sort s)
{
	return (unsigned)s < CATALOG_SORT__MAX ? sort_names[s] : "?";
}

static int refresh(void);

int
catalog_init(struct store *s)
{
	pthread_mutex_lock(&cat.lock);
	cat.store = s;
	cat.loaded = false;
	/* Loaded now, so the signatures from here on count as trending; a
	 * failure is tried again by the first listing. */
	if (refresh() == -1)
		log_warn("catalog", "op=load error=\"store unavailable\"");
	pthread_mutex_unlock(&cat.lock);
	return 0;
}

static void
drop(void)
{
	int i;

	arena_free(cat.arena);
	cat.arena = NULL;
	free(cat.trend);
	free(cat.waiting);
	free(cat.rings);
	free(cat.by_slug);
	cat.by_slug = NULL;
	for (i = 0; i < CATALOG_SORT__MAX; i++) {
		free(cat.order[i]);
		cat.order[i] = NULL;
	}
	cat.trend = NULL;
	cat.waiting = NULL;
	cat.rings = NULL;
	cat.ps = NULL;
	cat.n = 0;
	cat.loaded = false;
}

void
catalog_free(void)
{
	pthread_mutex_lock(&cat.lock);
	drop();
	cat.store = NULL;
	pthread_mutex_unlock(&cat.lock);
}

void
catalog_touch(void)
{
	pthread_mutex_lock(&cat.lock);
	cat.dirty = true;
	pthread_mutex_unlock(&cat.lock);
}

/* The old ring of petition id, or NULL. */
static const struct ring *
ring_find(const struct ring *r, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r[mid].id == id)
			return &r[mid];
		if (r[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* qsort() order of indexes of cat.ps by slug. */
static int
by_slug_name(const void *x, const void *y)
{
	return strcmp(cat.ps[*(const size_t *)x].slug,
	    cat.ps[*(const size_t *)y].slug);
}

/* Reads the public petitions again, keeping the rings of those still
 * there. Returns 0 or -1 (the old catalogue stays). */
static int
load(void)
{
	struct arena *a = arena_new();
	struct petition *ps = NULL;
	struct ring *rings = NULL;
	struct waiting_row *w = NULL;
	int64_t *trend = NULL, *waiting = NULL;
	size_t *order[CATALOG_SORT__MAX] = { NULL }, *by_slug = NULL;
	size_t n = 0, nw = 0, i, j = 0;
	int k;

	if (a == NULL)
		return -1;
	if (store_petition_public(cat.store, a, &ps, &n) != STORE_OK ||
	    store_petition_waiting(cat.store, a, &w, &nw) != STORE_OK)
		goto fail;
	rings = calloc(n ? n : 1, sizeof(*rings));
	trend = calloc(n ? n : 1, sizeof(*trend));
	waiting = calloc(n ? n : 1, sizeof(*waiting));
	by_slug = calloc(n ? n : 1, sizeof(*by_slug));
	for (k = 0; k < CATALOG_SORT__MAX; k++)
		if ((order[k] = calloc(n ? n : 1, sizeof(size_t))) == NULL)
			goto fail;
	if (rings == NULL || trend == NULL || waiting == NULL || by_slug == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		/* Both lists are in id order. */
		while (j < nw && w[j].petition_id < ps[i].id)
			j++;
		if (j < nw && w[j].petition_id == ps[i].id)
			waiting[i] =
			    w[j].delivered_at > 0 ? w[j].delivered_at : 1;
		const struct ring *old = ring_find(cat.rings, cat.n, ps[i].id);

		if (old != NULL)
			rings[i] = *old;
		else
			rings[i].id = ps[i].id, rings[i].first_hour = -1;
		for (k = 0; k < CATALOG_SORT__MAX; k++)
			order[k][i] = i;
		by_slug[i] = i;
	}
	drop();
	cat.arena = a;
	cat.ps = ps;
	cat.n = n;
	cat.rings = rings;
	cat.trend = trend;
	cat.waiting = waiting;
	for (k = 0; k < CATALOG_SORT__MAX; k++)
		cat.order[k] = order[k];
	cat.by_slug = by_slug;
	qsort(cat.by_slug, n, sizeof(size_t), by_slug_name);
	cat.loaded = true;
	cat.sorted_ms = 0;
	log_info("catalog", "op=load petitions=%zu waiting=%zu", n, nw);
	return 0;
fail:
	for (k = 0; k < CATALOG_SORT__MAX; k++)
		free(order[k]);
	free(by_slug);
	free(rings);
	free(trend);
	free(waiting);
	arena_free(a);
	return -1;
}

/* Records count at hour h in ring r and returns the signatures since the
 * oldest hour the ring holds (at most 24 hours back). */
static int64_t
ring_step(struct ring *r, int64_t h, int64_t count, int64_t created_at)
{
	int64_t k, from, start = count;

	if (r->first_hour < 0 || h - r->last_hour >= HOURS) {
		/* First seen, or not seen for a day: start from now; a
		 * petition made within the day had none before it. */
		if (r->first_hour < 0 && created_at / 3600 > h - HOURS)
			start = 0;
		if (r->first_hour < 0 || h - r->last_hour >= 2 * HOURS)
			r->first_hour = h;
		for (k = 0; k < HOURS; k++)
			r->at[k] = start;
		r->last_hour = h;
	}
	/* The hours since the last step start where the count is now: the
	 * signatures between are counted in the hour they were seen. */
	for (k = r->last_hour + 1; k <= h; k++)
		r->at[k % HOURS] = count;
	r->last_hour = h;
	from = h - (HOURS - 1);
	if (from < r->first_hour)
		from = r->first_hour;
	return count - r->at[from % HOURS] > 0 ? count - r->at[from % HOURS] : 0;
}

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0; /* larger first */
}

/* Petitions a and b by their keys ka and kb, then by id: larger first. */
static int
cmp_then_id(size_t a, size_t b, int64_t ka, int64_t kb)
{
	int c = cmp_i64(ka, kb);

	return c != 0 ? c : cmp_i64(cat.ps[a].id, cat.ps[b].id);
}

static int
by_trending(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = cmp_i64(cat.trend[a], cat.trend[b]);

	return c != 0 ? c : cmp_then_id(a, b, cat.ps[a].count, cat.ps[b].count);
}

static int
by_signatures(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return cmp_then_id(a, b, cat.ps[a].count, cat.ps[b].count);
}

static int
by_newest(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return cmp_then_id(a, b, cat.ps[a].created_at, cat.ps[b].created_at);
}

static int
by_moved(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return cmp_then_id(a, b, cat.ps[a].updated_at, cat.ps[b].updated_at);
}

/* Those waiting for a response first, the longest waiting (earliest
 * delivered) first. */
static int
by_waiting(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int64_t wa = cat.waiting[a], wb = cat.waiting[b];

	if ((wa == 0) != (wb == 0))
		return wa == 0 ? 1 : -1;
	if (wa != wb)
		return wa < wb ? -1 : 1;
	return cmp_i64(cat.ps[b].id, cat.ps[a].id); /* older first */
}

/* Reads the petitions again when they changed: at once after a change in
 * this process, within CHECK_MS of another's (under the lock; t is now,
 * mono_ms()). Returns 0, or -1 when the catalogue was never loaded and
 * cannot be. */
static int
current(int64_t t)
{
	int64_t v[4] = { 0, 0, 0, 0 };

	if (cat.store == NULL)
		return -1;
	if (!cat.loaded || cat.dirty || t - cat.checked_ms >= CHECK_MS) {
		bool changed = !cat.loaded || cat.dirty;

		if (store_petition_version(cat.store, v) == STORE_OK) {
			changed =
			    changed || memcmp(v, cat.version, sizeof(v)) != 0;
			cat.checked_ms = t;
		}
		if (changed) {
			if (load() == -1 && !cat.loaded)
				return -1;
			memcpy(cat.version, v, sizeof(v));
			cat.dirty = false;
		}
	}
	return 0;
}

/* Makes the catalogue current, its counts and orders too (under the
 * lock). Returns 0, or -1 when it was never loaded and cannot be. */
static int
refresh(void)
{
	static int (*const cmp[CATALOG_SORT__MAX])(const void *,
	    const void *) = { by_trending, by_signatures, by_newest, by_moved,
		by_waiting };
	int64_t t = mono_ms(), hour;
	size_t i;
	int k;

	if (current(t) == -1)
		return -1;
	if (cat.sorted_ms != 0 && t - cat.sorted_ms < SORT_MS)
		return 0;
	hour = (int64_t)time(NULL) / 3600;
	for (i = 0; i < cat.n; i++) {
		if (counts_get(cat.ps[i].id, &cat.ps[i].count) == -1)
			cat.ps[i].count = 0;
		cat.trend[i] = ring_step(&cat.rings[i], hour, cat.ps[i].count,
		    cat.ps[i].created_at);
	}
	for (k = 0; k < CATALOG_SORT__MAX; k++)
		qsort(cat.order[k], cat.n, sizeof(size_t), cmp[k]);
	cat.sorted_ms = t;
	return 0;
}

static bool
matches(size_t i, enum catalog_sort sort, const struct catalog_filter *f)
{
	const struct petition *p = &cat.ps[i];

	if (sort == CATALOG_TRENDING && cat.trend[i] == 0)
		return false;
	if (sort == CATALOG_VICTORY && p->state != PETITION_VICTORY)
		return false;
	if (sort == CATALOG_WAITING && cat.waiting[i] == 0)
		return false;
	if (f->state != PETITION__MAX && p->state != f->state)
		return false;
	return f->lang == NULL || *f->lang == '\0' ||
	    strcmp(f->lang, p->lang) == 0;
}

/* Copies catalogue petition i into a (strings and addressees). */
static int
copy_item(struct arena *a, size_t i, struct catalog_item *it)
{
	const struct petition *p = &cat.ps[i];
	size_t k;

	it->p = *p;
	it->trending = cat.trend[i];
	it->waiting_since = cat.waiting[i];
	it->p.slug = arena_strdup(a, p->slug);
	it->p.title = arena_strdup(a, p->title);
	it->p.body_md = arena_strdup(a, p->body_md);
	it->p.lang = arena_strdup(a, p->lang);
	it->p.reason = arena_strdup(a, p->reason);
	it->p.note = arena_strdup(a, p->note);
	it->p.owner_name = "";
	it->p.to = NULL;
	if (p->nto > 0 &&
	    (it->p.to = arena_alloc(a, p->nto * sizeof(*p->to))) == NULL)
		return -1;
	for (k = 0; k < p->nto; k++) {
		it->p.to[k].name = arena_strdup(a, p->to[k].name);
		it->p.to[k].description = arena_strdup(a, p->to[k].description);
		if (it->p.to[k].name == NULL || it->p.to[k].description == NULL)
			return -1;
	}
	return it->p.slug && it->p.title && it->p.body_md && it->p.lang &&
		it->p.reason && it->p.note ?
	    0 :
	    -1;
}

int
catalog_list(struct arena *a, enum catalog_sort sort,
    const struct catalog_filter *f, size_t offset, size_t limit,
    struct catalog_item **out, size_t *n, int64_t *total)
{
	size_t i, seen = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	*total = 0;
	if ((unsigned)sort >= CATALOG_SORT__MAX)
		return -1;
	if ((*out = arena_alloc(a, (limit ? limit : 1) * sizeof(**out))) == NULL)
		return -1;
	pthread_mutex_lock(&cat.lock);
	if (refresh() == -1)
		goto done;
	for (i = 0; i < cat.n; i++) {
		size_t k = cat.order[sort][i];

		if (!matches(k, sort, f))
			continue;
		if (seen++ < offset || *n >= limit)
			continue;
		if (copy_item(a, k, &(*out)[*n]) == -1)
			goto done;
		(*n)++;
	}
	*total = (int64_t)seen;
	ret = 0;
done:
	pthread_mutex_unlock(&cat.lock);
	return ret;
}

int
catalog_stats(struct catalog_stats *st)
{
	size_t i;
	int ret = -1;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&cat.lock);
	if (refresh() == -1)
		goto done;
	for (i = 0; i < cat.n; i++) {
		const struct petition *p = &cat.ps[i];

		st->petitions++;
		st->open += p->state == PETITION_OPEN;
		st->closed += p->state == PETITION_CLOSED;
		st->victory += p->state == PETITION_VICTORY;
		st->signatures += p->count;
		st->signatures_24h += cat.trend[i];
		if (p->updated_at > st->updated_at)
			st->updated_at = p->updated_at;
	}
	ret = 0;
done:
	pthread_mutex_unlock(&cat.lock);
	return ret;
}

int
catalog_find(struct arena *a, const char *slug, struct petition *p)
{
	size_t lo = 0, hi, mid;
	int ret = -1, c;

	memset(p, 0, sizeof(*p));
	pthread_mutex_lock(&cat.lock);
	if (current(mono_ms()) == -1)
		goto done;
	ret = 0;
	for (hi = cat.n; lo < hi;) {
		const struct petition *q;

		mid = lo + (hi - lo) / 2;
		q = &cat.ps[cat.by_slug[mid]];
		if ((c = strcmp(slug, q->slug)) < 0) {
			hi = mid;
		} else if (c > 0) {
			lo = mid + 1;
		} else {
			*p = *q;
			p->slug = arena_strdup(a, q->slug);
			p->title = arena_strdup(a, q->title);
			p->lang = arena_strdup(a, q->lang);
			p->body_md = NULL;
			p->to = NULL;
			p->nto = 0;
			p->reason = p->note = NULL;
			p->owner_name = "";
			p->count = 0;
			ret = p->slug != NULL && p->title != NULL &&
				p->lang != NULL ?
			    1 :
			    -1;
			break;
		}
	}
done:
	pthread_mutex_unlock(&cat.lock);
	return ret;
}
