/* pagecache.h - rendered pages kept per (petition, language), with the few
 * live values (count, goal, progress, form token, relative dates) and the
 * choice of the country list spliced in on every request. A hot petition page
 * costs a copy, not a database read and a template render. */
#ifndef HOLOS_PAGECACHE_H
#define HOLOS_PAGECACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

enum live {
	LIVE_COUNT,
	LIVE_COUNT_TEXT,
	LIVE_NEXT_GOAL,
	LIVE_NEXT_GOAL_TEXT,
	LIVE_COUNT_LINE,
	LIVE_PROGRESS,
	LIVE_STARTED,
	LIVE_CSRF,
	LIVE_ACCOUNT_HREF, /* the header's link: /me when signed in … */
	LIVE_ACCOUNT_TEXT, /* … its words */
	/* The "Verifiable count" line: the newest signed tree head's size in
	 * words, its time as an ISO 8601 datetime and in words. */
	LIVE_LOG_SIZE_TEXT,
	LIVE_LOG_TIME,
	LIVE_LOG_TIME_TEXT,
	LIVE__MAX
};

/* What a cached page knows of its petition, for the live values and the
 * JSON view. */
struct pagecache_meta {
	int64_t petition_id;
	int64_t goal;
	int64_t created_at, updated_at; /* created_at: when published */
	int64_t closes_at;		/* 0: none */
	int64_t paper;			/* signatures on paper */
	int64_t log_since; /* unix time of the empty log's head: the creation */
	char state[16];
	char slug[96];
	char title[1024];
};

/* Writes the marker that stands for live value v in a render to be cached
 * (NUL-terminated, at most 8 bytes). Markers use control characters that
 * validated petition text cannot hold. */
void pagecache_marker(enum live v, char out[8]);

/* Writes the marker of a choice (one of a list: the country preselected
 * in the sign form) with the two-letter code, NUL-terminated, at most 8
 * bytes. pagecache_render() puts its choice_text at the one marker whose
 * code is the request's choice, and nothing at the others: one cached page
 * serves every choice. */
void pagecache_choice_marker(const char code[2], char out[8]);

/* Stores html (which holds markers) under key, replacing an older entry.
 * Returns 0, or -1 when out of memory (the page is then simply not
 * cached). */
int pagecache_put(const char *key, const char *html, size_t len,
    const struct pagecache_meta *meta);

/* Looks key up; an entry older than ttl seconds counts as missing. On a hit
 * copies meta out and returns 1; on a miss returns 0. */
int pagecache_lookup(const char *key, time_t ttl, struct pagecache_meta *meta);

/* Appends the page under key to out with each marker replaced by the
 * HTML-escaped live[v], and choice_text (as it is) at the choice marker
 * whose code is choice (NULL or "": none). Returns 0, or -1 when the entry
 * is gone (evicted or invalidated since the lookup: render afresh). */
int pagecache_render(const char *key, const char *const live[LIVE__MAX],
    const char *choice, const char *choice_text, struct buf *out);

/* A render shared by the requests that see the same live values and
 * choice. */
struct pagecache_page;

/* As pagecache_render(), but as a page of its own: the entry's last
 * render when it was made with the same live values, choice and
 * choice_text (no copy), else a new render that becomes the last. Points
 * *html (NUL-terminated) and *len into it. Returns the page, which the
 * caller releases with pagecache_page_release() once done with *html (it
 * outlives an invalidation or an eviction of its entry until then); NULL
 * when the entry is gone or memory ran out. */
struct pagecache_page *pagecache_render_shared(const char *key,
    const char *const live[LIVE__MAX], const char *choice,
    const char *choice_text, const char **html, size_t *len);

/* Lets go of page (a struct pagecache_page *, or NULL); frees it with its
 * last holder. void *, for a reply's free callback. Any thread. */
void pagecache_page_release(void *page);

/* Drops every entry of a petition (after an edit or a state change). */
void pagecache_invalidate(int64_t petition_id);

/* Drops everything. */
void pagecache_clear(void);

#endif
