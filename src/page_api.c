/* page_api.c - the open JSON API, /api/v1/: the listings and search, a
 * petition, its public signers, the site's figures, and the OpenAPI
 * document that describes them (static/openapi.json). Every answer may be
 * read from any site (CORS *), carries an ETag and, where the data has a
 * time, Last-Modified; errors are {"error":{"code","message"}}. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "catalog.h"
#include "counts.h"
#include "i18n.h"
#include "markdown.h"
#include "page.h"
#include "ratelimit.h"
#include "search_text.h"
#include "social.h"
#include "utc.h"

#define API_PER_PAGE 50
#define API_PAGES_MAX 10000
#define API_SIGNERS_MAX 100
#define API_COMMENTS_MAX 50 /* the newest comments shown */

static const char *
iso_time(struct request *r, int64_t t)
{
	char s[UTC_CHARS];

	return arena_strdup(r->arena, utc_format(s, UTC_ISO, t));
}

/* Replies with obj (consumed): CORS, an ETag of the body (304 when the
 * client has it), Last-Modified of lastmod when not 0. */
static void
api_reply(struct request *r, json_t *obj, int64_t lastmod)
{
	unsigned char h[16];
	char hex[33], date[UTC_CHARS];
	const char *inm, *etag;

	page_json(r, 200, obj);
	http_header_add(r, "Access-Control-Allow-Origin", "*");
	if (r->status != 200)
		return;
	crypto_generichash(h, sizeof(h), (const unsigned char *)r->out.data,
	    r->out.len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	etag = arena_printf(r->arena, "\"%s\"", hex);
	http_header_add(r, "ETag", etag);
	http_header_add(r, "Cache-Control", "public, max-age=5");
	if (lastmod > 0) {
		http_header_add(r, "Last-Modified",
		    arena_strdup(r->arena, utc_format(date, UTC_HTTP, lastmod)));
	}
	inm = http_header(r, "If-None-Match");
	if (inm != NULL && strstr(inm, etag) != NULL) {
		buf_reset(&r->out);
		r->status = 304;
	}
}

/* The API's rate limits (--api-rate-ip, --api-rate-net): per client
 * address and per network, the forwarded client behind a trusted proxy.
 * Returns 0, or -1 having answered 429 with Retry-After. A refusal costs
 * no database read, so a flood from many addresses is answered at once. */
static int
api_admit(struct request *r)
{
	int wait = 1;

	if (ratelimit_take_api(&r->addr, &wait))
		return 0;
	page_rate_refused(r, wait, "err_api_rate");
	return -1;
}

/* A petition as the lists give it. */
static json_t *
api_card(struct request *r, const struct petition *p)
{
	int64_t next = petition_next_goal(p->count, p->goal);
	json_t *o, *to = json_array();
	size_t i;

	for (i = 0; i < p->nto; i++)
		json_array_append_new(to, json_string(p->to[i].name));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:s, "
		      "s:s}",
	    "slug", p->slug, "url",
	    page_url(r, arena_printf(r->arena, "/p/%s", p->slug)), "title",
	    p->title, "lang", p->lang, "addressees", to, "state",
	    petition_state_name(p->state), "count", (json_int_t)p->count,
	    "goal", (json_int_t)p->goal, "next_goal", (json_int_t)next,
	    "created_at", iso_time(r, p->created_at), "updated_at",
	    iso_time(r, p->updated_at));
	return o;
}

void
page_api_petitions(struct request *r)
{
	const char *q = http_query(r, "q");
	struct catalog_filter f = { PETITION__MAX, NULL };
	enum catalog_sort sort = CATALOG_NEWEST;
	json_t *list;
	int64_t total = 0;
	size_t n = 0, i;
	int page;

	page_begin(r);
	if (api_admit(r) == -1 || page_list_params(r, &sort, &f) == -1)
		return;
	if ((page = page_number(http_query(r, "page"), API_PAGES_MAX)) < 0) {
		page_error(r, 400, "err_search_page");
		return;
	}
	list = json_array();
	if (q != NULL && *q != '\0') {
		struct search_query sq;
		struct petition *ps;

		switch (page_search_run(r, q, &sq, page, API_PER_PAGE, &ps, &n,
		    &total)) {
		case 1: break;
		case 0: goto done;
		default: json_decref(list); return;
		}
		for (i = 0; i < n; i++) {
			if (counts_get(ps[i].id, &ps[i].count) == -1)
				continue;
			json_array_append_new(list, api_card(r, &ps[i]));
		}
	} else {
		struct catalog_item *it;

		if (catalog_list(r->arena, sort, &f,
			(size_t)(page - 1) * API_PER_PAGE, API_PER_PAGE, &it,
			&n, &total) == -1) {
			json_decref(list);
			page_unavailable(r);
			return;
		}
		for (i = 0; i < n; i++) {
			json_t *c = api_card(r, &it[i].p);

			json_object_set_new(c, "signatures_24h",
			    json_integer(it[i].trending));
			if (sort == CATALOG_WAITING)
				json_object_set_new(c, "waiting_since",
				    json_string(
					iso_time(r, it[i].waiting_since)));
			json_array_append_new(list, c);
		}
	}
done:
	api_reply(r,
	    json_pack("{s:o, s:I, s:i, s:i}", "petitions", list, "total",
		(json_int_t)total, "page", page, "per_page", API_PER_PAGE),
	    0);
}

/* The public petition of r->slug, or replies with a JSON error and
 * returns -1. */
static int
api_load(struct request *r, struct petition *p)
{
	switch (store_petition_by_slug(site.store, r->arena, r->slug, p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return -1;
	case STORE_UNAVAILABLE: page_unavailable(r); return -1;
	default: page_error(r, 500, "err_internal"); return -1;
	}
	if (p->state == PETITION_HIDDEN) {
		page_error(r, 410, "err_gone");
		return -1;
	}
	if (p->state != PETITION_OPEN && p->state != PETITION_CLOSED &&
	    p->state != PETITION_VICTORY) {
		page_error(r, 404, "err_not_found");
		return -1;
	}
	if (counts_get(p->id, &p->count) == -1) {
		page_unavailable(r);
		return -1;
	}
	return 0;
}

static const char *
md_html(struct request *r, const char *md)
{
	struct buf b;
	const char *out;

	buf_init(&b);
	if (markdown_render(md, strlen(md), &b) == -1 || !buf_ok(&b)) {
		buf_reset(&b);
		return "";
	}
	out = arena_strndup(r->arena, b.data ? b.data : "", b.len);
	buf_reset(&b);
	return out ? out : "";
}

/* social proof (docs/social.md): the recent signers who agreed to show
 * their name (first name, country) and the comments shown on the page
 * (first name only when that was agreed too; hidden ones never). */
static void
api_social(struct request *r, const struct petition *p, json_t *o)
{
	struct social_recent rs;
	struct comment_row *c;
	json_t *arr = json_array();
	size_t n = 0, i;

	if (social_recent_load(site.store, p->id, &rs) == 0)
		for (i = 0; i < rs.n; i++)
			json_array_append_new(arr,
			    json_pack("{s:s, s:s}", "first_name", rs.s[i].name,
				"country", rs.s[i].country));
	json_object_set_new(o, "recent_signers", arr);
	arr = json_array();
	if (store_comments(site.store, r->arena, p->id, COMMENTS_NEWEST,
		API_COMMENTS_MAX, 0, &c, &n) == STORE_OK)
		for (i = 0; i < n; i++) {
			char first[SOCIAL_NAME_MAX] = "";

			if (c[i].pii != NULL)
				(void)social_first_name(c[i].pii, c[i].pii_len,
				    first);
			json_array_append_new(arr,
			    json_pack("{s:I, s:o, s:s, s:s, s:I, s:s}", "id",
				(json_int_t)c[i].id, "first_name",
				first[0] ? json_string(first) : json_null(),
				"country", c[i].country, "comment",
				c[i].comment, "likes", (json_int_t)c[i].likes,
				"signed_at", iso_time(r, c[i].at)));
		}
	json_object_set_new(o, "comments", arr);
}

void
page_api_petition(struct request *r)
{
	struct petition p;
	struct removal_row *rm;
	struct update *u;
	struct petition_stats st;
	json_t *o, *to, *arr, *ups, *resps, *trs;
	size_t n, i;
	const json_t *l;
	int64_t lastmod;

	page_begin(r);
	if (api_admit(r) == -1)
		return;
	if (api_load(r, &p) == -1)
		return;
	o = api_card(r, &p);
	to = json_array();
	for (i = 0; i < p.nto; i++)
		json_array_append_new(to,
		    json_pack("{s:s, s:s}", "name", p.to[i].name, "description",
			p.to[i].description ? p.to[i].description : ""));
	json_object_set_new(o, "addressees", to);
	json_object_set_new(o, "body_md", json_string(p.body_md));
	json_object_set_new(o, "body_html", json_string(md_html(r, p.body_md)));
	json_object_set_new(o, "closes_at",
	    p.closes_at ? json_string(iso_time(r, p.closes_at)) : json_null());
	json_object_set_new(o, "victory_note",
	    p.state == PETITION_VICTORY ? json_string(p.note) : json_null());
	{
		/* Signatures on paper: apart from count and its log. */
		int64_t paper = 0;

		if (store_paper_count(site.store, p.id, &paper) != STORE_OK) {
			json_decref(o);
			page_unavailable(r);
			return;
		}
		json_object_set_new(o, "paper_count", json_integer(paper));
	}
	arr = json_array();
	if (store_removals(site.store, r->arena, p.id, &rm, &n) == STORE_OK)
		for (i = 0; i < n; i++)
			json_array_append_new(arr,
			    json_pack("{s:s, s:I}", "reason", rm[i].reason,
				"count", (json_int_t)rm[i].n));
	json_object_set_new(o, "removals", arr);
	arr = json_array();
	if (store_petition_stats(site.store, r->arena, p.id, &st) == STORE_OK)
		for (i = 0; i < st.ncountries; i++)
			json_array_append_new(arr,
			    json_pack("{s:s, s:I}", "country",
				st.countries[i].country, "count",
				(json_int_t)st.countries[i].n));
	json_object_set_new(o, "countries", arr);
	ups = json_array();
	resps = json_array();
	lastmod = p.updated_at;
	if (store_update_list(site.store, r->arena, p.id, &u, &n) == STORE_OK)
		for (i = 0; i < n; i++) {
			json_array_append_new(u[i].kind == UPDATE_RESPONSE ?
				resps :
				ups,
			    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
				(json_int_t)u[i].id, "title", u[i].title,
				"author", u[i].author, "body_md", u[i].body_md,
				"body_html", md_html(r, u[i].body_md),
				"created_at", iso_time(r, u[i].created_at)));
			if (u[i].created_at > lastmod)
				lastmod = u[i].created_at;
		}
	json_object_set_new(o, "updates", ups);
	json_object_set_new(o, "responses", resps);
	trs = json_array();
	json_array_foreach(i18n_languages(), i, l)
	{
		const char *code = json_string_value(json_object_get(l, "code"));
		struct translation t;

		if (strcmp(code, p.lang) == 0 ||
		    store_petition_translation(site.store, r->arena, p.id, code,
			&t) != STORE_OK)
			continue;
		json_array_append_new(trs,
		    json_pack("{s:s, s:s, s:s}", "lang", t.lang, "title",
			t.title, "body_md", t.body_md));
	}
	json_object_set_new(o, "translations", trs);
	api_social(r, &p, o);
	api_reply(r, o, lastmod);
}

/* The public names in a sealed "first\0last\0email\0ip": first and last
 * into the arena. Returns 0 or -1. */
static int
names_open(struct request *r, const struct signer_row *row, const char **first,
    const char **last)
{
	struct signature_pii pii;

	if (signature_pii_open(&pii, row->pii, row->pii_len) == -1)
		return -1;
	*first = arena_strndup(r->arena, pii.first, pii.first_len);
	*last = arena_strndup(r->arena, pii.last, pii.last_len);
	signature_pii_close(&pii);
	return *first != NULL && *last != NULL ? 0 : -1;
}

void
page_api_signatures(struct request *r)
{
	const char *after_q = http_query(r, "after");
	struct signer_row *rows;
	struct petition p;
	json_t *arr;
	int64_t after = 0;
	size_t n, i;
	char *end;

	page_begin(r);
	if (api_admit(r) == -1)
		return;
	if (after_q != NULL && *after_q != '\0') {
		if (*after_q < '0' || *after_q > '9' ||
		    (after = strtoll(after_q, &end, 10)) < 0 || *end != '\0' ||
		    after > INT64_MAX / 2) {
			page_error(r, 400, "err_api_after");
			return;
		}
	}
	if (api_load(r, &p) == -1)
		return;
	if (!page_store_ok(r,
		store_signers_public(site.store, r->arena, p.id, after,
		    API_SIGNERS_MAX, &rows, &n)))
		return;
	arr = json_array();
	for (i = 0; i < n; i++) {
		const char *first, *last;

		if (names_open(r, &rows[i], &first, &last) == -1)
			continue;
		json_array_append_new(arr,
		    json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq",
			(json_int_t)rows[i].seq, "first_name", first,
			"last_name", last, "country", rows[i].country,
			"signed_at", iso_time(r, rows[i].created_at)));
	}
	api_reply(r,
	    json_pack("{s:s, s:o, s:o}", "slug", p.slug, "signatures", arr,
		"next_after",
		n == API_SIGNERS_MAX ? json_integer(rows[n - 1].seq) :
				       json_null()),
	    0);
}

void
page_api_openapi(struct request *r)
{
	page_begin(r);
	if (api_admit(r) == -1)
		return;
	/* The hand-written document, served from static/ like any file. */
	r->rest = "openapi.json";
	page_static(r);
	http_header_add(r, "Access-Control-Allow-Origin", "*");
}

void
page_api_stats(struct request *r)
{
	struct catalog_stats st;

	page_begin(r);
	if (api_admit(r) == -1)
		return;
	if (catalog_stats(&st) == -1) {
		page_unavailable(r);
		return;
	}
	api_reply(r,
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "petitions",
		(json_int_t)st.petitions, "open", (json_int_t)st.open, "closed",
		(json_int_t)st.closed, "victory", (json_int_t)st.victory,
		"signatures", (json_int_t)st.signatures, "signatures_24h",
		(json_int_t)st.signatures_24h),
	    st.updated_at);
}
