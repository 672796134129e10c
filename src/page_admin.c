/* page_admin.c - signing in and out, and the moderators' pages: petitions
 * with their trending sources, bulk invalidation, the audit log. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "counts.h"
#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "pagecache.h"

#define COOKIE_SESSION PAGE_COOKIE_SESSION
#define TREND_HOURS 1
#define TREND_THRESHOLD 50

enum login_field { L_EMAIL, L_PASSWORD, L_CSRF, L_NEXT, L__MAX };

static const struct form_spec login_form[L__MAX] = {
	[L_EMAIL] = { "email", FORM_LINE, 254, true, NULL },
	[L_PASSWORD] = { "password", FORM_SECRET, 1024, true, NULL },
	[L_CSRF] = { "csrf", FORM_TOKEN, 128, true, NULL },
	[L_NEXT] = { "next", FORM_TOKEN, 512, false, NULL },
};

enum inv_field {
	I_REASON, I_DOMAIN, I_NET, I_FROM, I_TO, I_LIST, I_NOTE, I_CSRF,
	I__MAX
};

static bool
reason_ok(const char *s, size_t len)
{
	static const char *const reasons[] = { "fraud", "bot",
	    "duplicate_person", "disposable", "other" };
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strlen(reasons[i]) == len && memcmp(reasons[i], s, len) == 0)
			return true;
	return false;
}

static const struct form_spec inv_form[I__MAX] = {
	[I_REASON] = { "reason", FORM_LINE, 32, true, reason_ok },
	[I_DOMAIN] = { "domain", FORM_LINE, 253, false, NULL },
	[I_NET] = { "net", FORM_LINE, 64, false, NULL },
	[I_FROM] = { "from", FORM_LINE, 32, false, NULL },
	[I_TO] = { "to", FORM_LINE, 32, false, NULL },
	[I_LIST] = { "list", FORM_TEXT, 200000, false, NULL },
	[I_NOTE] = { "note", FORM_TEXT, 1000, false, NULL },
	[I_CSRF] = { "csrf", FORM_TOKEN, 128, true, NULL },
};

/* A redirect target from a form: a path on this site only. */
static const char *
safe_next(const char *s, size_t len)
{
	if (len == 0 || s[0] != '/' || (len > 1 && (s[1] == '/' ||
	    s[1] == '\\')))
		return "/admin";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"')
			return "/admin";
	return s;
}

static void
render_login(struct request *r, int status, const char *next,
    const char *error_key)
{
	json_t *ctx;

	page_begin(r);
	ctx = page_context(r, i18n_text(r->lang, "login_title"));
	json_object_set_new(ctx, "login", json_pack("{s:s, s:s, s:s?}",
	    "csrf", page_form_token(r, ""), "next", next, "error", error_key ?
	    i18n_text(r->lang, error_key) : NULL));
	page_render(r, status, "login", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_login_show(struct request *r)
{
	const char *next = http_query(r, "next");

	render_login(r, 200, safe_next(next ? next : "", next ? strlen(next) :
	    0), NULL);
}

void
page_login_post(struct request *r)
{
	struct form_value v[L__MAX];
	char cookie[ACCOUNT_SESSION_CHARS + 1];
	const char *next;
	struct user u;

	page_begin(r);
	if (!page_form_encoded(r)) {
		page_error(r, 415, "err_media_type");
		return;
	}
	if (form_parse(r->arena, r->body.data ? r->body.data : "", r->body.len,
	    login_form, L__MAX, v) == -1) {
		page_error(r, 500, "err_internal");
		return;
	}
	if (v[L_CSRF].err != FORM_OK || !crypto_csrf_check(v[L_CSRF].s,
	    v[L_CSRF].len, "", time(NULL)) || page_cross_site(r)) {
		page_error(r, 403, "err_csrf");
		return;
	}
	next = safe_next(v[L_NEXT].s, v[L_NEXT].len);
	if (page_rate_check(r, 0) == -1)
		return;
	if (v[L_EMAIL].err != FORM_OK || v[L_PASSWORD].err != FORM_OK) {
		render_login(r, 422, next, "login_wrong");
		return;
	}
	switch (account_login(site.store, r->arena, v[L_EMAIL].s,
	    v[L_EMAIL].len, v[L_PASSWORD].s, v[L_PASSWORD].len, &u, cookie)) {
	case LOGIN_OK:
		break;
	case LOGIN_LOCKED:
		log_info("login", "result=locked");
		render_login(r, 429, next, "login_locked");
		return;
	case LOGIN_WRONG:
		log_info("login", "result=wrong");
		render_login(r, 422, next, "login_wrong");
		return;
	default:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	log_info("login", "result=ok user=%lld", (long long)u.id);
	http_header_add(r, "Set-Cookie", arena_printf(r->arena,
	    COOKIE_SESSION "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
	    cookie, ACCOUNT_SESSION_TTL, site.secure_cookies ? "; Secure" : ""));
	r->status = 303;
	http_header_add(r, "Location", next);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_logout(struct request *r)
{
	static const struct form_spec spec[1] = {
		{ "csrf", FORM_TOKEN, 128, true, NULL },
	};
	const char *cookie = http_cookie(r, COOKIE_SESSION);
	struct form_value v[1];
	char binding[33] = "";

	page_begin(r);
	if (cookie != NULL && crypto_token_valid(cookie, strlen(cookie)))
		account_binding(cookie, binding);
	if (form_parse(r->arena, r->body.data ? r->body.data : "", r->body.len,
	    spec, 1, v) == -1 || v[0].err != FORM_OK || cookie == NULL ||
	    !crypto_csrf_check(v[0].s, v[0].len, binding, time(NULL))) {
		page_error(r, 403, "err_csrf");
		return;
	}
	account_logout(site.store, cookie);
	http_header_add(r, "Set-Cookie", COOKIE_SESSION "=; Path=/; Max-Age=0; "
	    "HttpOnly; SameSite=Lax");
	r->status = 303;
	http_header_add(r, "Location", "/");
}

void
page_admin(struct request *r)
{
	struct petition *ps;
	struct audit_row *au;
	char binding[33];
	struct user u;
	json_t *ctx, *list, *log;
	size_t n, na, i;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1)
		return;
	if (store_petition_list(site.store, r->arena, PETITION_OPEN, &ps, &n) !=
	    STORE_OK || store_audit_list(site.store, r->arena, &au, &na) !=
	    STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		int64_t count = 0;

		(void)counts_get(ps[i].id, &count);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}",
		    "slug", ps[i].slug, "title", ps[i].title, "url",
		    arena_printf(r->arena, "/admin/p/%s", ps[i].slug), "count",
		    (json_int_t)count));
	}
	log = json_array();
	for (i = 0; i < na; i++)
		json_array_append_new(log, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "at", page_iso_time(r, au[i].at), "actor", au[i].actor, "action",
		    au[i].action, "subject", au[i].subject, "detail",
		    au[i].detail));
	ctx = page_context(r, i18n_text(r->lang, "admin_title"));
	json_object_set_new(ctx, "admin", json_pack("{s:o, s:o, s:b, s:s, s:s}",
	    "petitions", list, "audit", log, "has_audit", na > 0,
	    "logout_csrf", page_form_token(r, binding), "role",
	    user_role_name(u.role)));
	page_render(r, 200, "admin", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

/* Trending rows as JSON: [{source, signatures, flagged}]. */
static json_t *
trend_json(const struct trend_row *rows, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:b}", "source",
		    rows[i].key, "signatures", (json_int_t)rows[i].n, "flagged",
		    rows[i].n >= TREND_THRESHOLD));
	return a;
}

static void
admin_petition_render(struct request *r, const char *binding,
    const char *notice)
{
	struct trend_row *nets, *doms;
	struct removal_row *rm;
	struct petition p;
	size_t nn, nd, nr, i;
	int64_t since = (int64_t)time(NULL) - TREND_HOURS * 3600;
	json_t *o, *ctx, *removals;
	const char *fmt = http_query(r, "format");

	if (store_petition_by_slug(site.store, r->arena, r->slug, &p) !=
	    STORE_OK) {
		page_error(r, 404, "err_not_found");
		return;
	}
	if (store_trending(site.store, r->arena, p.id, since, false, &nets,
	    &nn) != STORE_OK || store_trending(site.store, r->arena, p.id,
	    since, true, &doms, &nd) != STORE_OK ||
	    store_removals(site.store, r->arena, p.id, &rm, &nr) != STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	o = json_pack("{s:s, s:s, s:i, s:i, s:o, s:o}", "slug", p.slug,
	    "title", p.title, "hours", TREND_HOURS, "threshold",
	    TREND_THRESHOLD, "networks", trend_json(nets, nn), "domains",
	    trend_json(doms, nd));
	removals = json_array();
	for (i = 0; i < nr; i++)
		json_array_append_new(removals, json_pack("{s:s, s:I}", "reason",
		    rm[i].reason, "signatures", (json_int_t)rm[i].n));
	json_object_set_new(o, "removals", removals);
	json_object_set_new(o, "has_removals", json_boolean(nr > 0));
	if (fmt != NULL && strcmp(fmt, "json") == 0) {
		page_json(r, 200, o);
		http_header_add(r, "Cache-Control", "no-store");
		return;
	}
	json_object_set_new(o, "action", json_string(arena_printf(r->arena,
	    "/admin/p/%s/invalidate", p.slug)));
	json_object_set_new(o, "csrf", json_string(page_form_token(r, binding)));
	if (notice != NULL)
		json_object_set_new(o, "notice", json_string(notice));
	ctx = page_context(r, i18n_text(r->lang, "admin_title"));
	json_object_set_new(ctx, "trend", o);
	page_render(r, 200, "admin_petition", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_admin_petition(struct request *r)
{
	char binding[33];
	struct user u;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1)
		return;
	admin_petition_render(r, binding, NULL);
}

/* Unix seconds or YYYY-MM-DDTHH:MM[:SS]Z; 0 for empty. -1 when malformed. */
static int
parse_when(const char *s, size_t len, int64_t *out)
{
	struct tm tm;
	char *end;

	*out = 0;
	if (len == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M", &tm)) != NULL) {
		if (*end == ':')
			end = strptime(end, ":%S", &tm);
		if (end != NULL && (*end == 'Z' || *end == '\0') &&
		    (*end == '\0' || end[1] == '\0')) {
			*out = (int64_t)timegm(&tm);
			return 0;
		}
	}
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out > 0 ? 0 : -1;
}

void
page_admin_invalidate(struct request *r)
{
	struct form_value v[I__MAX];
	struct invalidation inv;
	int64_t *seqs = NULL;
	size_t nseqs = 0, cap = 0;
	char binding[33];
	struct petition p;
	struct user u;
	const char *actor, *notice;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1)
		return;
	if (!page_form_encoded(r)) {
		page_error(r, 415, "err_media_type");
		return;
	}
	if (form_parse(r->arena, r->body.data ? r->body.data : "", r->body.len,
	    inv_form, I__MAX, v) == -1) {
		page_error(r, 500, "err_internal");
		return;
	}
	if (v[I_CSRF].err != FORM_OK || !crypto_csrf_check(v[I_CSRF].s,
	    v[I_CSRF].len, binding, time(NULL)) || page_cross_site(r)) {
		page_error(r, 403, "err_csrf");
		return;
	}
	if (store_petition_by_slug(site.store, r->arena, r->slug, &p) !=
	    STORE_OK) {
		page_error(r, 404, "err_not_found");
		return;
	}
	memset(&inv, 0, sizeof(inv));
	for (int i = 0; i < I__MAX; i++) {
		if (v[i].err != FORM_OK) {
			admin_petition_render(r, binding, i18n_text(r->lang,
			    "admin_bad_criteria"));
			r->status = 422;
			return;
		}
	}
	if (parse_when(v[I_FROM].s, v[I_FROM].len, &inv.from) == -1 ||
	    parse_when(v[I_TO].s, v[I_TO].len, &inv.to) == -1)
		goto bad;
	/* The list: signature numbers separated by white space or commas. */
	for (const char *q = v[I_LIST].s; *q != '\0';) {
		char *end;
		long long x;

		q += strspn(q, " \t\r\n,");
		if (*q == '\0')
			break;
		x = strtoll(q, &end, 10);
		if (end == q || x <= 0)
			goto bad;
		if (nseqs == cap) {
			int64_t *g;

			cap = cap ? cap * 2 : 64;
			if ((g = arena_alloc(r->arena, cap * sizeof(*g))) == NULL)
				goto bad;
			if (nseqs)
				memcpy(g, seqs, nseqs * sizeof(*g));
			seqs = g;
		}
		seqs[nseqs++] = x;
		q = end;
	}
	inv.petition_id = p.id;
	inv.domain = v[I_DOMAIN].len ? v[I_DOMAIN].s : NULL;
	inv.net = v[I_NET].len ? v[I_NET].s : NULL;
	inv.seqs = seqs;
	inv.nseqs = nseqs;
	inv.reason = v[I_REASON].s;
	inv.note = v[I_NOTE].s;
	inv.now = (int64_t)time(NULL);
	actor = arena_printf(r->arena, "user:%lld", (long long)u.id);
	inv.actor = actor;
	if (inv.domain == NULL && inv.net == NULL && inv.from == 0 &&
	    inv.to == 0 && inv.nseqs == 0)
		goto bad;
	if (store_invalidate(site.store, &inv) != STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	log_info("moderate", "action=invalidate slug=%s reason=%s removed=%lld "
	    "uncounted=%lld actor=%s", p.slug, inv.reason,
	    (long long)inv.removed, (long long)inv.uncounted, actor);
	/* The count and the public page change at once on this node. */
	(void)counts_refresh();
	pagecache_invalidate(p.id);
	{
		struct msgfmt_arg arg = { .name = "n", .type = MSGFMT_NUMBER,
		    .num = (double)inv.removed };

		notice = i18n_format(r->arena, r->lang, "admin_invalidated",
		    &arg, 1);
	}
	admin_petition_render(r, binding, notice);
	return;
bad:
	admin_petition_render(r, binding, i18n_text(r->lang,
	    "admin_bad_criteria"));
	r->status = 422;
}

void
page_admin_moderate(struct request *r)
{
	page_begin(r);
	page_error(r, 404, "err_not_found");
}
