/* page_feed.c - what search engines and feed readers read: /robots.txt,
 * /sitemap.xml (every public petition in each language, with its
 * alternates), the Atom feed of new petitions (/feed.atom) and each
 * petition's feed of updates and responses (/p/SLUG/feed.atom). */
#include <string.h>
#include <time.h>

#include "buf.h"
#include "catalog.h"
#include "i18n.h"
#include "markdown.h"
#include "page.h"
#include "utc.h"

#define FEED_ENTRIES 50
#define SITEMAP_MAX 45000 /* URLs of one sitemap file: at most 50,000 */

static void
put(struct buf *b, const char *s)
{
	buf_append_html(b, s, strlen(s));
}

/* Ends a text reply (r->out filled) with its type, or a 500 when memory
 * ran short. */
static void
finish(struct request *r, const char *type)
{
	if (!buf_ok(&r->out)) {
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
	r->content_type = type;
	http_header_add(r, "Cache-Control", "public, max-age=300");
}

void
page_robots(struct request *r)
{
	buf_reset(&r->out);
	buf_puts(&r->out, "User-agent: *\n");
	/* Private pages and one-time links: nothing to index there. */
	buf_puts(&r->out,
	    "Disallow: /admin\nDisallow: /me\nDisallow: /c/\n"
	    "Disallow: /u/\nDisallow: /verify/\nDisallow: /reset/\n"
	    "Disallow: /login\nDisallow: /signup\nDisallow: /start\n"
	    "Disallow: /search\nAllow: /\n\n");
	buf_printf(&r->out, "Sitemap: %s/sitemap.xml\n", site.base_url);
	finish(r, "text/plain; charset=utf-8");
}

/* One <url> of the sitemap: path in language code, with the alternates
 * of every language. */
static void
sitemap_url(struct buf *b, const char *path, const char *code, int64_t lastmod)
{
	const json_t *l;
	size_t k;

	buf_puts(b, "<url><loc>");
	put(b, site.base_url);
	put(b, path);
	buf_puts(b, "?lang=");
	put(b, code);
	buf_puts(b, "</loc>");
	if (lastmod > 0) {
		buf_puts(b, "<lastmod>");
		utc_append(b, UTC_ISO, lastmod);
		buf_puts(b, "</lastmod>");
	}
	json_array_foreach(i18n_languages(), k, l)
	{
		const char *c = json_string_value(json_object_get(l, "code"));

		buf_puts(b, "<xhtml:link rel=\"alternate\" hreflang=\"");
		put(b, c);
		buf_puts(b, "\" href=\"");
		put(b, site.base_url);
		put(b, path);
		buf_puts(b, "?lang=");
		put(b, c);
		buf_puts(b, "\"/>");
	}
	buf_puts(b, "</url>\n");
}

void
page_sitemap(struct request *r)
{
	struct catalog_filter f = { PETITION__MAX, NULL };
	struct catalog_item *it;
	const json_t *l;
	int64_t total;
	size_t n, i, k;

	if (catalog_list(r->arena, CATALOG_NEWEST, &f, 0, SITEMAP_MAX, &it, &n,
		&total) == -1) {
		page_unavailable(r);
		return;
	}
	buf_reset(&r->out);
	buf_puts(&r->out,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
	    "xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n");
	json_array_foreach(i18n_languages(), k, l)
	{
		const char *c = json_string_value(json_object_get(l, "code"));

		sitemap_url(&r->out, "/", c, 0);
		for (i = 0; i < n; i++)
			sitemap_url(&r->out,
			    arena_printf(r->arena, "/p/%s", it[i].p.slug), c,
			    it[i].p.updated_at);
	}
	buf_puts(&r->out, "</urlset>\n");
	finish(r, "application/xml; charset=utf-8");
}

/* The feed's head up to its entries. */
static void
feed_head(struct request *r, const char *title, const char *self,
    const char *alternate, int64_t updated)
{
	struct buf *b = &r->out;

	buf_reset(b);
	buf_puts(b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"");
	put(b, r->lang);
	buf_puts(b, "\">\n<title>");
	put(b, title);
	buf_puts(b, "</title>\n<id>");
	put(b, site.base_url);
	put(b, self);
	buf_puts(b, "</id>\n<link rel=\"self\" href=\"");
	put(b, site.base_url);
	put(b, self);
	buf_puts(b, "\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
	put(b, site.base_url);
	put(b, alternate);
	buf_puts(b, "\"/>\n<updated>");
	utc_append(b, UTC_ISO, updated > 0 ? updated : (int64_t)time(NULL));
	buf_puts(b, "</updated>\n<author><name>");
	put(b, site.name);
	buf_puts(b, "</name></author>\n");
}

static void
feed_entry(struct request *r, const char *id, const char *title,
    const char *url, int64_t published, const char *md)
{
	struct buf *b = &r->out, sum;

	buf_puts(b, "<entry>\n<id>");
	put(b, id);
	buf_puts(b, "</id>\n<title>");
	put(b, title);
	buf_puts(b,
	    "</title>\n<link rel=\"alternate\" type=\"text/html\" "
	    "href=\"");
	put(b, url);
	buf_puts(b, "\"/>\n<published>");
	utc_append(b, UTC_ISO, published);
	buf_puts(b, "</published>\n<updated>");
	utc_append(b, UTC_ISO, published);
	buf_puts(b, "</updated>\n");
	buf_init(&sum);
	if (markdown_summary(md, strlen(md), 400, &sum) == 0 && buf_ok(&sum) &&
	    sum.len > 0) {
		buf_puts(b, "<summary>");
		buf_append_html(b, sum.data, sum.len);
		buf_puts(b, "</summary>\n");
	}
	buf_reset(&sum);
	buf_puts(b, "</entry>\n");
}

void
page_feed(struct request *r)
{
	struct catalog_filter f = { PETITION__MAX, NULL };
	struct catalog_item *it;
	int64_t total, updated = 0;
	size_t n, i;
	const char *title;

	page_begin(r);
	if (catalog_list(r->arena, CATALOG_NEWEST, &f, 0, FEED_ENTRIES, &it, &n,
		&total) == -1) {
		page_unavailable(r);
		return;
	}
	for (i = 0; i < n; i++)
		if (it[i].p.created_at > updated)
			updated = it[i].p.created_at;
	title = arena_printf(r->arena, "%s: %s", site.name,
	    i18n_text(r->lang, "feed_new_title"));
	feed_head(r, title, "/feed.atom", "/petitions?sort=newest", updated);
	for (i = 0; i < n; i++) {
		const char *url =
		    page_url(r, arena_printf(r->arena, "/p/%s", it[i].p.slug));

		feed_entry(r, url, it[i].p.title, url, it[i].p.created_at,
		    it[i].p.body_md);
	}
	buf_puts(&r->out, "</feed>\n");
	finish(r, "application/atom+xml; charset=utf-8");
}

void
page_petition_feed(struct request *r)
{
	struct petition p;
	struct update *u;
	size_t n = 0, i;
	int64_t updated;
	const char *self, *alt;

	page_begin(r);
	switch (store_petition_by_slug(site.store, r->arena, r->slug, &p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return;
	case STORE_UNAVAILABLE: page_unavailable(r); return;
	default: page_error(r, 500, "err_internal"); return;
	}
	if (p.state == PETITION_HIDDEN) {
		page_error(r, 410, "err_gone");
		return;
	}
	if (p.state != PETITION_OPEN && p.state != PETITION_CLOSED &&
	    p.state != PETITION_VICTORY) {
		page_error(r, 404, "err_not_found");
		return;
	}
	if (!page_store_ok(r,
		store_update_list(site.store, r->arena, p.id, &u, &n)))
		return;
	updated = p.updated_at;
	for (i = 0; i < n; i++)
		if (u[i].created_at > updated)
			updated = u[i].created_at;
	self = arena_printf(r->arena, "/p/%s/feed.atom", p.slug);
	alt = arena_printf(r->arena, "/p/%s", p.slug);
	feed_head(r, p.title, self, alt, updated);
	for (i = 0; i < n; i++) {
		const char *kind = i18n_text(r->lang,
		    u[i].kind == UPDATE_RESPONSE ? "feed_response" :
						   "feed_update");
		const char *anchor = page_url(r,
		    arena_printf(r->arena, "/p/%s#update-%lld", p.slug,
			(long long)u[i].id));

		feed_entry(r, anchor,
		    arena_printf(r->arena, "%s: %s", kind ? kind : "",
			u[i].title),
		    anchor, u[i].created_at, u[i].body_md);
	}
	buf_puts(&r->out, "</feed>\n");
	finish(r, "application/atom+xml; charset=utf-8");
}
