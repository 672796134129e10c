/* page_paper.c - signatures collected on paper: the starter and moderators
 * record batches (a count, a day, a place or event, a note, optionally a
 * scanned file) at /me/p/SLUG/paper and download a batch's scan; a
 * moderator removes one with a reason. Paper counts stay apart from the
 * online count and its verifiable log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "pagecache.h"
#include "paper.h"
#include "upload.h"

/* Batches the page lists at most. */
#define PAPER_LIST_MAX 500

/* The bytes a plain field of a multipart form may have before it is
 * checked: the note in the longest UTF-8, and some. */
#define TEXT_BYTES 8192

/* ---- the declared forms ---- */

static bool
count_ok(const char *s, size_t len)
{
	return paper_count_parse(s, len) > 0;
}

static bool
day_ok(const char *s, size_t len)
{
	return paper_day_parse(s, len) >= 0;
}

enum { A_COUNT, A_DAY, A_PLACE, A_NOTE, A_CSRF, A__MAX };

static const struct form_spec add_form[A__MAX] = {
	[A_COUNT] = { "count", FORM_LINE, 9, true, count_ok },
	[A_DAY] = { "day", FORM_LINE, 10, true, day_ok },
	[A_PLACE] = { "place", FORM_LINE, PAPER_PLACE_MAX, true, NULL },
	[A_NOTE] = { "note", FORM_TEXT, PAPER_NOTE_MAX, false, NULL },
	[A_CSRF] = PAGE_CSRF_FIELD,
};

/* The scan of u checked: its kind in *kind (PAPER_SCAN_NONE when no file
 * was chosen). Returns 0, or -1 after replying 422. */
static int
scan_check(struct request *r, const struct upload *u, enum paper_scan_kind *kind)
{
	*kind = PAPER_SCAN_NONE;
	if (!u->has_file || (u->file.len == 0 && !u->named))
		return 0;
	if (u->file.len == 0) {
		page_error(r, 422, "paper_err_scan_empty");
		return -1;
	}
	if (u->file.len > PAPER_SCAN_MAX) {
		page_error(r, 422, "paper_err_scan_size");
		return -1;
	}
	if ((*kind = paper_scan_detect(u->file.data, u->file.len)) ==
	    PAPER_SCAN_NONE) {
		page_error(r, 422, "paper_err_scan_type");
		return -1;
	}
	return 0;
}

enum { R_ID, R_REASON, R_CSRF, R__MAX };

static const struct form_spec remove_form[R__MAX] = {
	[R_ID] = { "batch", FORM_LINE, 18, true, form_id_valid },
	[R_REASON] = { "reason", FORM_LINE, PAPER_REASON_MAX, true, NULL },
	[R_CSRF] = PAGE_CSRF_FIELD,
};

/* Loads the petition of r->slug if u started it or moderates, and it has
 * signatures to count (open, closed, won). Otherwise replies (404, 403,
 * 409 or 503) and returns -1. */
static int
load_allowed(struct request *r, const struct user *u, struct petition *p)
{
	if (page_petition_managed(r, u, p, "paper") == -1)
		return -1;
	if (p->state != PETITION_OPEN && p->state != PETITION_CLOSED &&
	    p->state != PETITION_VICTORY) {
		page_error(r, 409, "paper_err_state");
		return -1;
	}
	return 0;
}

void
page_paper_show(struct request *r)
{
	struct paper_batch *bs;
	char binding[33];
	struct petition p;
	struct user u;
	json_t *ctx, *list, *o;
	int64_t total = 0;
	size_t n, i;
	const char *q;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1 ||
	    load_allowed(r, &u, &p) == -1)
		return;
	if (store_paper_list(site.store, r->arena, p.id, PAPER_LIST_MAX, &bs,
		&n) != STORE_OK ||
	    store_paper_count(site.store, p.id, &total) != STORE_OK) {
		page_unavailable(r);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		enum paper_scan_kind k = paper_scan_parse(bs[i].scan);

		json_array_append_new(list,
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id",
			(json_int_t)bs[i].id, "count",
			i18n_number(r->arena, r->lang, bs[i].count), "day",
			bs[i].day, "place", bs[i].place, "note", bs[i].note,
			"at", page_iso_time(r, bs[i].created_at), "has_scan",
			k != PAPER_SCAN_NONE, "scan_ext",
			k != PAPER_SCAN_NONE ? paper_scan_ext(k) : ""));
	}
	o = json_pack("{s:s, s:s, s:o, s:b, s:b, s:s, s:s}", "title", p.title,
	    "slug", p.slug, "list", list, "has_list", n > 0, "moderator",
	    u.role >= ROLE_MODERATOR, "csrf", page_form_token(r, binding),
	    "total", paper_total_line(r->arena, r->lang, total));
	{
		char today[16];
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
		json_object_set_new(o, "today", json_string(today));
	}
	if ((q = http_query(r, "added")) != NULL)
		json_object_set_new(o, "notice",
		    json_string(i18n_text(r->lang, "paper_added")));
	else if ((q = http_query(r, "removed")) != NULL)
		json_object_set_new(o, "notice",
		    json_string(i18n_text(r->lang, "paper_removed")));
	ctx = page_context(r, i18n_text(r->lang, "paper_title"));
	json_object_set_new(ctx, "paper", o);
	page_render(r, 200, "paper", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

static void
back(struct request *r, const struct petition *p, const char *query)
{
	r->status = 303;
	http_header_add(r, "Location",
	    arena_printf(r->arena, "/me/p/%s/paper?%s", p->slug, query));
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_paper_add(struct request *r)
{
	struct form_value v[A__MAX];
	struct paper_batch b = { 0 };
	enum paper_scan_kind kind = PAPER_SCAN_NONE;
	char binding[33];
	struct petition p;
	struct upload up;
	struct user u;
	int64_t now = (int64_t)time(NULL), day, id = 0;
	size_t i;

	page_begin(r);
	upload_init(&up, add_form, A__MAX, "scan", PAPER_SCAN_MAX, TEXT_BYTES);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1 ||
	    page_upload_read(r, &up, v, "paper", "paper_err_upload") == -1 ||
	    !page_csrf_check(r, &v[A_CSRF], binding) ||
	    load_allowed(r, &u, &p) == -1 || page_rate_check(r, 0) == -1)
		goto out;
	if (v[A_COUNT].err == FORM_INVALID || v[A_COUNT].err == FORM_TOO_LONG) {
		page_error(r, 422, "paper_err_count");
		goto out;
	}
	if (v[A_DAY].err == FORM_INVALID || v[A_DAY].err == FORM_TOO_LONG) {
		page_error(r, 422, "paper_err_day");
		goto out;
	}
	for (i = 0; i < A__MAX; i++)
		if (v[i].err != FORM_OK) {
			page_error(r, 422, form_error_key(v[i].err));
			goto out;
		}
	day = paper_day_parse(v[A_DAY].s, v[A_DAY].len);
	/* Collected today at the latest, wherever on Earth "today" is. */
	if (day > now + 14 * 3600) {
		page_error(r, 422, "paper_err_future");
		goto out;
	}
	if (scan_check(r, &up, &kind) == -1)
		goto out;
	b.count = paper_count_parse(v[A_COUNT].s, v[A_COUNT].len);
	b.day = v[A_DAY].s;
	b.place = v[A_PLACE].s;
	b.note = v[A_NOTE].present ? v[A_NOTE].s : "";
	b.scan = paper_scan_name(kind);
	if (kind != PAPER_SCAN_NONE) {
		b.scan_data = up.file.data;
		b.scan_len = up.file.len;
	}
	b.actor = page_actor(r, u.id);
	b.created_at = now;
	if (store_paper_add(site.store, p.id, &b, &id) != STORE_OK) {
		page_unavailable(r);
		goto out;
	}
	pagecache_invalidate(p.id);
	log_info("paper",
	    "action=add slug=%s by=%s batch=%lld count=%lld scan=%s "
	    "scan_bytes=%zu",
	    p.slug, b.actor, (long long)id, (long long)b.count,
	    kind != PAPER_SCAN_NONE ? b.scan : "none", b.scan_len);
	back(r, &p, "added=1");
out:
	upload_free(&up);
}

void
page_paper_remove(struct request *r)
{
	struct form_value v[R__MAX];
	char binding[33];
	struct petition p;
	struct user u;
	const char *actor;
	int64_t id;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1 ||
	    page_form_read(r, remove_form, R__MAX, v) == -1 ||
	    !page_csrf_check(r, &v[R_CSRF], binding) ||
	    load_allowed(r, &u, &p) == -1)
		return;
	if (v[R_ID].err != FORM_OK) {
		page_error(r, 400, "paper_err_batch");
		return;
	}
	if (v[R_REASON].err != FORM_OK) {
		page_error(r, 422,
		    v[R_REASON].err == FORM_MISSING ?
			"paper_err_reason" :
			form_error_key(v[R_REASON].err));
		return;
	}
	id = strtoll(v[R_ID].s, NULL, 10);
	actor = page_actor(r, u.id);
	switch (store_paper_remove(site.store, p.id, id, actor, v[R_REASON].s,
	    (int64_t)time(NULL))) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "paper_err_batch"); return;
	default: page_unavailable(r); return;
	}
	pagecache_invalidate(p.id);
	log_info("paper", "action=remove slug=%s by=%s batch=%lld", p.slug,
	    actor, (long long)id);
	back(r, &p, "removed=1");
}

void
page_paper_scan(struct request *r)
{
	const unsigned char *data;
	const char *kind_name, *q;
	enum paper_scan_kind kind;
	char binding[33];
	struct petition p;
	struct user u;
	int64_t id;
	size_t len;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1 ||
	    page_petition_managed(r, &u, &p, "paper") == -1)
		return;
	q = http_query(r, "batch");
	if (q == NULL || !form_id_valid(q, strlen(q))) {
		page_error(r, 404, "paper_err_batch");
		return;
	}
	id = strtoll(q, NULL, 10);
	switch (store_paper_scan(site.store, r->arena, p.id, id, &kind_name,
	    &data, &len)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "paper_err_batch"); return;
	default: page_unavailable(r); return;
	}
	if ((kind = paper_scan_parse(kind_name)) == PAPER_SCAN_NONE) {
		page_error(r, 404, "paper_err_batch");
		return;
	}
	buf_reset(&r->out);
	buf_append(&r->out, data, len);
	if (!buf_ok(&r->out)) {
		page_error(r, 500, "err_internal");
		return;
	}
	log_info("paper", "action=scan slug=%s user=%lld batch=%lld bytes=%zu",
	    p.slug, (long long)u.id, (long long)id, len);
	r->status = 200;
	r->content_type = paper_scan_mime(kind);
	/* A name of ours, never the uploaded one; always a download. */
	http_header_add(r, "Content-Disposition",
	    arena_printf(r->arena, "attachment; filename=\"%s-paper-%lld.%s\"",
		p.slug, (long long)id, paper_scan_ext(kind)));
	http_header_add(r, "Cache-Control", "no-store");
}
