/* page_deliver.c - handing a petition over: the delivery pack's PDF for its
 * starter and moderators and for the addressees' links, the addressees'
 * addresses and the Deliver button, the response page that needs no
 * account, and the moderators' review of responses. */
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counts.h"
#include "crypto.h"
#include "draw.h"
#include "email.h"
#include "export.h"
#include "form.h"
#include "handover.h"
#include "i18n.h"
#include "log.h"
#include "mail_fanout.h"
#include "markdown.h"
#include "pack.h"
#include "page.h"
#include "pagecache.h"

/* Packs written at once by this process: each holds a page of signers,
 * fonts and a cairo surface, so a burst cannot take the memory budget. */
#define PACKS_AT_ONCE 1

static atomic_int packs_running;

/* Open, closed and won petitions have signers to hand over. */
static bool
has_signers(enum petition_state st)
{
	return st == PETITION_OPEN || st == PETITION_CLOSED ||
	    st == PETITION_VICTORY;
}

static int
file_write(void *ctx, const unsigned char *data, size_t len)
{
	return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

/* Replies with the pack of p with labels in lang. who names the maker in
 * the log. */
static void
send_pack(struct request *r, const struct petition *p, const char *lang,
    const char *who)
{
	struct pack_request q = { 0 };
	enum deliver_status st;
	struct stat sb;
	int64_t count = 0;
	FILE *f;
	int fd;
	if (counts_get(p->id, &count) == -1) {
		page_unavailable(r);
		return;
	}
	if (atomic_fetch_add(&packs_running, 1) >= PACKS_AT_ONCE) {
		atomic_fetch_sub(&packs_running, 1);
		http_header_add(r, "Retry-After", "30");
		page_error(r, 503, "deliver_err_busy");
		return;
	}
	/* The PDF goes to an unlinked file and is sent from there: a pack of a
	 * million signers never sits in memory. */
	if ((f = tmpfile()) == NULL) {
		atomic_fetch_sub(&packs_running, 1);
		log_error("deliver", "slug=%s error=\"no temporary file\"",
		    p->slug);
		page_error(r, 500, "err_internal");
		return;
	}
	q.p = p;
	q.count = count;
	q.lang = lang;
	q.site_name = site.name;
	q.url = arena_printf(r->arena, "%s/p/%s", site.base_url, p->slug);
	q.now = (int64_t)time(NULL);
	st = pack_write(site.store, &q, file_write, f);
	/* This request thread's fonts: not kept for a pack made rarely. */
	draw_release(false);
	atomic_fetch_sub(&packs_running, 1);
	if (st == DELIVER_OK && fflush(f) != 0)
		st = DELIVER_WRITE;
	if (st != DELIVER_OK || fstat(fileno(f), &sb) == -1 ||
	    (fd = dup(fileno(f))) == -1) {
		fclose(f);
		log_error("deliver", "slug=%s status=\"%s\"", p->slug,
		    deliver_status_text(st));
		if (st == DELIVER_SIGNERS)
			page_unavailable(r);
		else
			page_error(r, 500, "err_internal");
		return;
	}
	fclose(f);
	log_info("deliver", "action=pdf slug=%s by=%s bytes=%lld", p->slug, who,
	    (long long)sb.st_size);
	r->status = 200;
	r->content_type = "application/pdf";
	r->has_file = true;
	r->file_fd = fd;
	r->file_len = (uint64_t)sb.st_size;
	http_header_add(r, "Content-Disposition",
	    arena_printf(r->arena, "attachment; filename=\"%s-delivery.pdf\"",
		p->slug));
	http_header_add(r, "Cache-Control", "no-store");
}

/* The petition of r->slug into p and the user into u when u manages it
 * (its starter or a moderator) and it has signers to deliver or export;
 * otherwise replies and returns -1. */
static int
load_signed(struct request *r, struct user *u, struct petition *p)
{
	char binding[33];

	page_begin(r);
	if (page_require(r, ROLE_STARTER, u, binding) == -1 ||
	    page_petition_managed(r, u, p, "deliver") == -1)
		return -1;
	if (!has_signers(p->state)) {
		page_error(r, 409, "deliver_err_state");
		return -1;
	}
	return 0;
}

void
page_deliver_pdf(struct request *r)
{
	struct petition p;
	struct user u;

	if (load_signed(r, &u, &p) == -1)
		return;
	send_pack(r, &p, r->lang, page_actor(r, u.id));
}

/* ---- exports: /me/p/SLUG/export.csv and .json ---- */

/* Exports streamed at once by this process: each holds a page of rows
 * and its output until the client has taken it. */
#define EXPORTS_AT_ONCE 2

static atomic_int exports_running;

/* What the stream of an export holds. */
struct export_job {
	struct export *e;
	int64_t petition_id;
	char who[32];
};

static ssize_t
export_stream(void *ctx, char *buf, size_t max)
{
	struct export_job *j = ctx;

	return export_read(j->e, buf, max);
}

static void
export_done(void *ctx)
{
	struct export_job *j = ctx;
	int64_t rows, unreadable;

	rows = export_rows(j->e, &unreadable);
	log_info("deliver",
	    "action=export petition=%lld by=%s rows=%lld unreadable=%lld",
	    (long long)j->petition_id, j->who, (long long)rows,
	    (long long)unreadable);
	export_free(j->e);
	free(j);
	atomic_fetch_sub(&exports_running, 1);
}

void
page_export_send(struct request *r, const struct petition *p,
    const struct user *u, enum export_format f, const char *name)
{
	/* Each format's media type, file name extension and name in logs. */
	static const struct {
		const char *type, *ext, *name;
	} formats[EXPORT_FORMAT__MAX] = {
		[EXPORT_CSV] = { "text/csv; charset=utf-8", "csv", "csv" },
		[EXPORT_JSON] = { "application/json", "json", "json" },
		[EXPORT_SIGNERS_CSV] = { "text/csv; charset=utf-8", "csv",
		    "signers_csv" },
	};
	struct export_job *j;

	if (atomic_fetch_add(&exports_running, 1) >= EXPORTS_AT_ONCE) {
		atomic_fetch_sub(&exports_running, 1);
		http_header_add(r, "Retry-After", "30");
		page_error(r, 503, "deliver_err_busy");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->e = export_new(site.store, p->id, f, r->lang,
		 EXPORT_PAGE_HTTP)) == NULL) {
		free(j);
		atomic_fetch_sub(&exports_running, 1);
		page_error(r, 500, "err_internal");
		return;
	}
	j->petition_id = p->id;
	snprintf(j->who, sizeof(j->who), "user:%lld", (long long)u->id);
	log_info("deliver", "action=export slug=%s by=%s role=%d format=%s",
	    p->slug, j->who, (int)u->role, formats[f].name);
	r->status = 200;
	r->content_type = formats[f].type;
	http_stream(r, export_stream, export_done, j);
	http_header_add(r, "Content-Disposition",
	    arena_printf(r->arena, "attachment; filename=\"%s-%s.%s\"", p->slug,
		name, formats[f].ext));
	http_header_add(r, "Cache-Control", "no-store");
}

/* Streams the signatures of r->slug in format f to its starter or a
 * moderator; the same rows for both (nothing personal beyond them). */
static void
send_export(struct request *r, enum export_format f)
{
	struct petition p;
	struct user u;

	if (load_signed(r, &u, &p) == -1)
		return;
	page_export_send(r, &p, &u, f, "signatures");
}

void
page_export_csv(struct request *r)
{
	send_export(r, EXPORT_CSV);
}

void
page_export_json(struct request *r)
{
	send_export(r, EXPORT_JSON);
}

/* ---- the addressees' links: /d/TOKEN (the pack), /r/TOKEN (respond) ---- */

/* The start of an addressee's page: page_begin(), then the delivery of
 * r->token and its petition. Otherwise replies (404, 503) and returns -1. */
static int
load_delivery(struct request *r, struct delivery *d, struct petition *p)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	enum store_status st;

	page_begin(r);
	crypto_token_hash(r->token, strlen(r->token), hash);
	st = store_delivery_by_token(site.store, r->arena, hash, d);
	if (st == STORE_OK)
		st = store_petition_by_id(site.store, r->arena, d->petition_id,
		    p);
	if (st == STORE_NOTFOUND || (st == STORE_OK && !has_signers(p->state))) {
		page_error(r, 404, "deliver_err_link");
		return -1;
	}
	if (!page_store_ok(r, st))
		return -1;
	return 0;
}

void
page_deliver_link_pdf(struct request *r)
{
	struct delivery d;
	struct petition p;

	if (load_delivery(r, &d, &p) == -1)
		return;
	if (d.expires_at <= (int64_t)time(NULL)) {
		page_error(r, 410, "deliver_err_expired");
		return;
	}
	send_pack(r, &p, p.lang,
	    arena_printf(r->arena, "delivery:%lld", (long long)d.id));
}

enum response_field { R_AUTHOR, R_BODY, R_CSRF, R__MAX };

static const struct form_spec response_form[R__MAX] = {
	[R_AUTHOR] = { "author", FORM_LINE, 200, true, NULL },
	[R_BODY] = { "body", FORM_TEXT, 10000, true, NULL },
	[R_CSRF] = PAGE_CSRF_FIELD,
};

/* The response page: the form (values and errors from v, or fresh), or
 * the thanks once sent. */
static void
render_response(struct request *r, const struct delivery *d,
    const struct petition *p, int status, const struct form_value *v,
    const char *const err[R__MAX], bool sent)
{
	struct msgfmt_arg args[2] = {
		MSGFMT_STR("name", d->name),
		MSGFMT_NUM("count", d->count),
	};
	json_t *ctx, *o, *errors;
	int i;

	ctx = page_context(r, i18n_text(r->lang, "response_title"));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "title",
	    p->title, "title_lang", p->lang, "intro",
	    i18n_format(r->arena, r->lang, "response_intro", args, 2), "action",
	    r->path, "csrf", page_form_token(r, ""), "sent", sent,
	    "publish_now", site.publish_responses, "petition_url",
	    arena_printf(r->arena, "/p/%s", p->slug));
	errors = json_object();
	json_object_set_new(o, "author",
	    json_string(v != NULL && v[R_AUTHOR].err != FORM_BAD_TEXT &&
			v[R_AUTHOR].s != NULL ?
		    v[R_AUTHOR].s :
		    d->name));
	json_object_set_new(o, "body",
	    json_string(v != NULL && v[R_BODY].err != FORM_BAD_TEXT &&
			v[R_BODY].s != NULL ?
		    v[R_BODY].s :
		    ""));
	for (i = 0; err != NULL && i < R_CSRF; i++)
		if (err[i] != NULL)
			json_object_set_new(errors, response_form[i].name,
			    json_string(i18n_text(r->lang, err[i])));
	json_object_set_new(o, "errors", errors);
	json_object_set_new(o, "has_errors",
	    json_boolean(json_object_size(errors) > 0));
	json_object_set_new(ctx, "response", o);
	page_render(r, status, "response", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_response_show(struct request *r)
{
	struct delivery d;
	struct petition p;

	if (load_delivery(r, &d, &p) == -1)
		return;
	render_response(r, &d, &p, 200, NULL, NULL, false);
}

void
page_response_post(struct request *r)
{
	struct form_value v[R__MAX];
	const char *err[R__MAX] = { 0 };
	struct response resp;
	struct delivery d;
	struct petition p;
	int64_t id, now = (int64_t)time(NULL);
	int i, nerr = 0;

	page_begin(r);
	if (page_form_read(r, response_form, R__MAX, v) == -1)
		return;
	if (!page_csrf_check(r, &v[R_CSRF], ""))
		return;
	if (load_delivery(r, &d, &p) == -1 || page_rate_check(r, 0) == -1)
		return;
	for (i = 0; i < R_CSRF; i++)
		if ((err[i] = form_error_key(v[i].err)) != NULL)
			nerr++;
	if (nerr > 0) {
		render_response(r, &d, &p, 422, v, err, false);
		return;
	}
	memset(&resp, 0, sizeof(resp));
	resp.delivery_id = d.id;
	resp.petition_id = p.id;
	resp.author = v[R_AUTHOR].s;
	resp.body_md = v[R_BODY].s;
	resp.created_at = now;
	if (!page_store_ok(r, store_response_create(site.store, &resp, &id)))
		return;
	log_info("deliver",
	    "action=response petition=%lld delivery=%lld "
	    "response=%lld",
	    (long long)p.id, (long long)d.id, (long long)id);
	if (site.publish_responses) {
		struct msgfmt_arg a = MSGFMT_STR("name", d.name);
		const char *title = i18n_format(r->arena, p.lang,
		    "response_update_title", &a, 1);

		if (store_response_decide(site.store, id, p.id, true,
			title ? title : d.name, "system", now,
			NULL) == STORE_OK) {
			pagecache_invalidate(p.id);
			fanout_kick();
		}
	}
	render_response(r, &d, &p, 200, NULL, NULL, true);
}

/* ---- the starter: addressees' addresses, the Deliver button ---- */

#define ADDRESSEES_MAX 10

static bool
email_ok(const char *s, size_t len)
{
	return len == 0 || email_valid(s, len);
}

static const struct form_spec addressees_form[ADDRESSEES_MAX + 1] = {
	{ "email0", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email1", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email2", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email3", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email4", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email5", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email6", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email7", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email8", FORM_LINE, EMAIL_MAX, false, email_ok },
	{ "email9", FORM_LINE, EMAIL_MAX, false, email_ok },
	PAGE_CSRF_FIELD,
};

static void
back_to_dashboard(struct request *r, const struct petition *p, const char *query)
{
	page_see_other(r,
	    arena_printf(r->arena, "/me/p/%s?%s#me-deliver-h", p->slug, query));
}

void
page_deliver_addressees(struct request *r)
{
	struct form_value v[ADDRESSEES_MAX + 1];
	char binding[33];
	struct petition p;
	struct user u;
	size_t i;

	if (page_post_begin(r, ROLE_STARTER, &u, binding, addressees_form,
		ADDRESSEES_MAX + 1, v, ADDRESSEES_MAX) == -1 ||
	    page_petition_managed(r, &u, &p, "deliver") == -1 ||
	    page_rate_check(r, 0) == -1)
		return;
	for (i = 0; i < ADDRESSEES_MAX; i++)
		if (v[i].err != FORM_OK) {
			page_error(r, 422,
			    v[i].err == FORM_INVALID ? "err_email" :
						       form_error_key(v[i].err));
			return;
		}
	for (i = 0; i < p.nto && i < ADDRESSEES_MAX; i++) {
		unsigned char *box = NULL;
		size_t len = 0;
		enum store_status st;

		if (v[i].len > 0 &&
		    (box = crypto_seal(v[i].s, v[i].len, &len)) == NULL) {
			page_error(r, 500, "err_internal");
			return;
		}
		st = store_addressee_email_set(site.store, p.id, (int)i, box,
		    len);
		free(box);
		if (st != STORE_OK && st != STORE_NOTFOUND) {
			page_unavailable(r);
			return;
		}
	}
	log_info("deliver", "action=addressees slug=%s user=%lld", p.slug,
	    (long long)u.id);
	back_to_dashboard(r, &p, "addressees=1");
}

void
page_deliver_now(struct request *r)
{
	struct form_value v[1];
	char binding[33];
	struct petition p;
	struct user u;
	int64_t count = 0;
	size_t made = 0;

	if (page_post_begin(r, ROLE_STARTER, &u, binding, page_button_form, 1,
		v, 0) == -1 ||
	    page_petition_managed(r, &u, &p, "deliver") == -1 ||
	    page_rate_check(r, 0) == -1)
		return;
	if (!has_signers(p.state)) {
		page_error(r, 409, "deliver_err_state");
		return;
	}
	if (counts_get(p.id, &count) == -1 ||
	    handover_deliver(site.store, &p, count, page_actor(r, u.id),
		&made) == -1) {
		page_unavailable(r);
		return;
	}
	if (made == 0) {
		page_error(r, 409, "deliver_err_none");
		return;
	}
	pagecache_invalidate(p.id);
	back_to_dashboard(r, &p, "delivered=1");
}

/* ---- moderators: responses waiting for approval ---- */

enum decide_field { D_ID, D_ACTION, D_CSRF, D__MAX };

static bool
decision_ok(const char *s, size_t len)
{
	(void)len;
	return strcmp(s, "approve") == 0 || strcmp(s, "reject") == 0;
}

static const struct form_spec decide_form[D__MAX] = {
	[D_ID] = { "id", FORM_LINE, 18, true, form_id_valid },
	[D_ACTION] = { "action", FORM_LINE, 16, true, decision_ok },
	[D_CSRF] = PAGE_CSRF_FIELD,
};

static int
load_moderated(struct request *r, struct user *u, char binding[33],
    struct petition *p)
{
	if (page_require(r, ROLE_MODERATOR, u, binding) == -1)
		return -1;
	switch (store_petition_by_slug(site.store, r->arena, r->slug, p)) {
	case STORE_OK: return 0;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return -1;
	default: page_unavailable(r); return -1;
	}
}

void
page_responses_show(struct request *r)
{
	struct response *rs;
	char binding[33];
	struct petition p;
	struct user u;
	json_t *ctx, *list;
	size_t n, i;

	page_begin(r);
	if (load_moderated(r, &u, binding, &p) == -1)
		return;
	if (!page_store_ok(r,
		store_responses_pending(site.store, r->arena, p.id, &rs, &n)))
		return;
	list = json_array();
	for (i = 0; i < n; i++) {
		struct buf html;

		buf_init(&html);
		if (markdown_render(rs[i].body_md, strlen(rs[i].body_md),
			&html) == 0 &&
		    buf_ok(&html))
			json_array_append_new(list,
			    json_pack("{s:I, s:s, s:s, s:s, s:s%}", "id",
				(json_int_t)rs[i].id, "author", rs[i].author,
				"to", rs[i].to_name, "at",
				page_iso_time(r, rs[i].created_at), "body_html",
				html.data ? html.data : "", html.len));
		buf_reset(&html);
	}
	ctx = page_context(r, i18n_text(r->lang, "responses_admin_title"));
	json_object_set_new(ctx, "responses",
	    json_pack("{s:s, s:s, s:o, s:b, s:s}", "title", p.title, "slug",
		p.slug, "list", list, "has_list", n > 0, "csrf",
		page_form_token(r, binding)));
	page_render(r, 200, "admin_responses", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_responses_decide(struct request *r)
{
	struct form_value v[D__MAX];
	char binding[33];
	struct petition p;
	struct user u;
	const char *title, *name = "";
	size_t i;
	bool approve;
	int64_t id;

	if (page_post_begin(r, ROLE_MODERATOR, &u, binding, decide_form, D__MAX,
		v, D_CSRF) == -1 ||
	    load_moderated(r, &u, binding, &p) == -1)
		return;
	if (v[D_ID].err != FORM_OK || v[D_ACTION].err != FORM_OK) {
		page_error(r, 400, "deliver_err_decide");
		return;
	}
	id = strtoll(v[D_ID].s, NULL, 10);
	approve = strcmp(v[D_ACTION].s, "approve") == 0;
	/* The title names the addressee the response answers for. */
	{
		struct response *rs;
		size_t n;

		if (!page_store_ok(r,
			store_responses_pending(site.store, r->arena, p.id, &rs,
			    &n)))
			return;
		for (i = 0; i < n; i++)
			if (rs[i].id == id)
				name = rs[i].to_name;
	}
	{
		struct msgfmt_arg a = MSGFMT_STR("name", name);

		title = i18n_format(r->arena, p.lang, "response_update_title",
		    &a, 1);
	}
	switch (store_response_decide(site.store, id, p.id, approve,
	    title ? title : name, page_actor(r, u.id), (int64_t)time(NULL),
	    NULL)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 409, "deliver_err_decide"); return;
	default: page_unavailable(r); return;
	}
	log_info("deliver",
	    "action=response_%s slug=%s response=%lld "
	    "user=%lld",
	    approve ? "approved" : "rejected", p.slug, (long long)id,
	    (long long)u.id);
	if (approve) {
		pagecache_invalidate(p.id);
		fanout_kick();
	}
	page_see_other(r,
	    arena_printf(r->arena, "/admin/p/%s/responses", p.slug));
}
