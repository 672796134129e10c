/* catalog.h - every public petition in memory for the listings (home,
 * /petitions, the API, the sitemap and feeds): sorted by trend, by count,
 * by date, without a database scan per request. */
#ifndef HOLOS_CATALOG_H
#define HOLOS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "petition.h"
#include "store.h"

/* The orders of the catalogue; the home page shows a section of each, in
 * this order, headed "home_<name>". */
enum catalog_sort {
	CATALOG_TRENDING,   /* most signatures in the last 24 hours */
	CATALOG_SIGNATURES, /* most signatures */
	CATALOG_NEWEST,	    /* newest first */
	CATALOG_VICTORY,    /* most recent victory (or move) first */
	CATALOG_WAITING,    /* delivered, no response yet: longest first */
	CATALOG_SORT__MAX
};

/* A listed petition: its fields (strings and addressees in the caller's
 * arena, count from counts.c), its signatures in the last 24 hours, and
 * when it was delivered while it waits for a response (0: not waiting). */
struct catalog_item {
	struct petition p;
	int64_t trending;
	int64_t waiting_since;
};

/* What a listing asks for: a state (PETITION__MAX: any public one) and a
 * language ("" or NULL: any). */
struct catalog_filter {
	enum petition_state state;
	const char *lang;
};

/* The catalogue reads from s. Returns 0. */
int catalog_init(struct store *s);
void catalog_free(void);

/* The public petition called slug, as the catalogue holds it, into *p
 * (its strings in a): id, slug, title, lang, goal, state, owner, times
 * and closing date; no text, addressees, reason or note (NULL), count 0.
 * For a check on a hot path without a database read: current at once
 * after a change in this process, within a second of another process's.
 * Returns 1; 0 when the catalogue has no public petition of that name
 * (a hidden one, say); -1 when it cannot be read or memory ran out. */
int catalog_find(struct arena *a, const char *slug, struct petition *p);

/* A petition changed in this process: the next listing reads them again.
 * (Changes by other processes are seen within a second.) */
void catalog_touch(void);

/* The sort a name gives ("trending", "signatures", "newest", "victory",
 * "waiting"),
 * or CATALOG_SORT__MAX for another; the name of a sort. */
enum catalog_sort catalog_sort_parse(const char *name);
const char *catalog_sort_name(enum catalog_sort s);

/* Up to limit petitions matching f in order sort, from offset, into *out
 * (an array of *n in arena a); *total is how many match. The trending
 * order leaves out petitions with no signature in the last 24 hours; the
 * waiting order all but the open and closed ones delivered to their
 * addressees and with no response published.
 * Returns 0, or -1 when the store cannot be read (logged). */
int catalog_list(struct arena *a, enum catalog_sort sort,
    const struct catalog_filter *f, size_t offset, size_t limit,
    struct catalog_item **out, size_t *n, int64_t *total);

/* Site-wide figures of the public petitions. */
struct catalog_stats {
	int64_t petitions, open, closed, victory;
	int64_t signatures;	/* confirmed, on public petitions */
	int64_t signatures_24h; /* of them, in the last 24 hours */
	int64_t updated_at;	/* the newest petition change */
};

/* Fills st. Returns 0, or -1 when the store cannot be read. */
int catalog_stats(struct catalog_stats *st);

#endif
