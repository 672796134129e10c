/* page_admin.c - the moderators' pages: the moderation queue, petitions
 * with their trending sources, bulk invalidation, the audit log. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "account.h"
#include "counts.h"
#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "lifecycle.h"
#include "log.h"
#include "mail_letter.h"
#include "mail_outbox.h"
#include "page.h"
#include "pagecache.h"

#define TREND_HOURS 1
#define TREND_THRESHOLD 50

enum inv_field {
	I_REASON,
	I_DOMAIN,
	I_NET,
	I_FROM,
	I_TO,
	I_LIST,
	I_NOTE,
	I_CSRF,
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
	[I_CSRF] = PAGE_CSRF_FIELD,
};

void
page_admin(struct request *r)
{
	struct petition *ps, *qs;
	struct audit_row *au;
	char binding[33];
	struct user u;
	json_t *ctx, *list, *log, *queue;
	size_t n, na, nq, i;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1)
		return;
	if (store_petition_list(site.store, r->arena, PETITION_OPEN, &ps, &n) !=
		STORE_OK ||
	    store_audit_list(site.store, r->arena, &au, &na) != STORE_OK ||
	    store_petition_queue(site.store, r->arena, &qs, &nq) != STORE_OK) {
		page_unavailable(r);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		int64_t count = 0;

		(void)counts_get(ps[i].id, &count);
		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:s, s:I}", "slug", ps[i].slug,
			"title", ps[i].title, "url",
			arena_printf(r->arena, "/admin/p/%s", ps[i].slug),
			"count", (json_int_t)count));
	}
	log = json_array();
	for (i = 0; i < na; i++)
		json_array_append_new(log,
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "at",
			page_iso_time(r, au[i].at), "actor", au[i].actor,
			"action", au[i].action, "subject", au[i].subject,
			"detail", au[i].detail));
	queue = json_array();
	for (i = 0; i < nq; i++)
		json_array_append_new(queue,
		    json_pack("{s:s, s:s, s:s, s:s}", "slug", qs[i].slug,
			"title", qs[i].title, "url",
			arena_printf(r->arena, "/admin/p/%s", qs[i].slug),
			"submitted", page_iso_time(r, qs[i].updated_at)));
	ctx = page_context(r, i18n_text(r->lang, "admin_title"));
	json_object_set_new(ctx, "admin",
	    json_pack("{s:o, s:o, s:b, s:s, s:s, "
		      "s:o, s:b}",
		"petitions", list, "audit", log, "has_audit", na > 0,
		"logout_csrf", page_form_token(r, binding), "role",
		user_role_name(u.role), "queue", queue, "has_queue", nq > 0));
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
		json_array_append_new(a,
		    json_pack("{s:s, s:I, s:b}", "source", rows[i].key,
			"signatures", (json_int_t)rows[i].n, "flagged",
			rows[i].n >= TREND_THRESHOLD));
	return a;
}

/* What moderators may do to a petition, by the state it is in. */
enum mod_action { MOD_APPROVE, MOD_REJECT, MOD_HIDE, MOD_RESTORE, MOD__MAX };

static const struct {
	const char *name;
	enum petition_state from[3]; /* PETITION__MAX ends the list */
	enum petition_state to;
	bool needs_reason;
	bool needs_note; /* shown to the starter */
} mod_actions[MOD__MAX] = {
	[MOD_APPROVE] = { "approve", { PETITION_PENDING, PETITION__MAX },
	    PETITION_OPEN, false, false },
	[MOD_REJECT] = { "reject", { PETITION_PENDING, PETITION__MAX },
	    PETITION_REJECTED, true, true },
	[MOD_HIDE] = { "hide",
	    { PETITION_OPEN, PETITION_CLOSED, PETITION_VICTORY },
	    PETITION_HIDDEN, true, false },
	[MOD_RESTORE] = { "restore", { PETITION_HIDDEN, PETITION__MAX },
	    PETITION_OPEN, false, false },
};

/* Why a petition is rejected or hidden: labels are "mod_reason_<code>". */
static const char *const mod_reasons[] = { "spam", "offensive", "duplicate",
	"unclear", "not_petition", "illegal", "other" };

bool
page_mod_reason_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return true; /* required only by some actions */
	for (i = 0; i < sizeof(mod_reasons) / sizeof(mod_reasons[0]); i++)
		if (strlen(mod_reasons[i]) == len &&
		    memcmp(mod_reasons[i], s, len) == 0)
			return true;
	return false;
}

json_t *
page_mod_reasons(struct request *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sizeof(mod_reasons) / sizeof(mod_reasons[0]); i++) {
		const char *label = i18n_text(r->lang,
		    arena_printf(r->arena, "mod_reason_%s", mod_reasons[i]));

		json_array_append_new(a,
		    json_pack("{s:s, s:s}", "code", mod_reasons[i], "label",
			label ? label : mod_reasons[i]));
	}
	return a;
}

static bool
mod_action_ok(const char *s, size_t len)
{
	int i;

	for (i = 0; i < MOD__MAX; i++)
		if (strlen(mod_actions[i].name) == len &&
		    memcmp(mod_actions[i].name, s, len) == 0)
			return true;
	return false;
}

static enum mod_action
mod_action_parse(const char *s)
{
	int i;

	for (i = 0; i < MOD__MAX; i++)
		if (strcmp(mod_actions[i].name, s) == 0)
			break;
	return (enum mod_action)i;
}

static bool
mod_action_applies(enum mod_action a, enum petition_state st)
{
	int i;

	for (i = 0; i < 3 && mod_actions[a].from[i] != PETITION__MAX; i++)
		if (mod_actions[a].from[i] == st)
			return petition_transition_allowed(st,
			    mod_actions[a].to);
	return false;
}

enum mod_field {
	M_ACTION,
	M_REASON,
	M_NOTE,
	M_CSRF,
	M_VERSION, /* the text the moderator read (petition_version()) */
	M__MAX
};

static const struct form_spec mod_form[M__MAX] = {
	[M_ACTION] = { "action", FORM_LINE, 16, true, mod_action_ok },
	[M_REASON] = { "reason", FORM_LINE, 32, false, page_mod_reason_ok },
	[M_NOTE] = { "note", FORM_TEXT, 2000, false, NULL },
	[M_CSRF] = PAGE_CSRF_FIELD,
	[M_VERSION] = { "version", FORM_TOKEN, 64, false, NULL },
};

/* Adds a field to a version hash: its length, then its bytes, so no two
 * texts run into one. */
static void
version_add(crypto_generichash_state *st, const char *s)
{
	uint64_t n = s != NULL ? strlen(s) : 0;

	crypto_generichash_update(st, (const unsigned char *)&n, sizeof(n));
	if (n > 0)
		crypto_generichash_update(st, (const unsigned char *)s, n);
}

/* The version of what a moderator reads of p: a hash of everything its
 * preview shows (title, text, language, goal, closing date, addressees),
 * as 32 hex digits in r's arena. A decision carries the version it was
 * made on, so an approval cannot pass a text written after it was read. */
static const char *
petition_version(struct request *r, const struct petition *p)
{
	crypto_generichash_state st;
	unsigned char h[16];
	char *hex = arena_alloc(r->arena, 2 * sizeof(h) + 1);
	char num[64];
	size_t i;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	version_add(&st, p->title);
	version_add(&st, p->body_md);
	version_add(&st, p->lang);
	snprintf(num, sizeof(num), "%" PRId64 " %" PRId64, p->goal,
	    p->closes_at);
	version_add(&st, num);
	for (i = 0; i < p->nto; i++) {
		version_add(&st, p->to[i].name);
		version_add(&st, p->to[i].description);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	if (hex != NULL)
		sodium_bin2hex(hex, 2 * sizeof(h) + 1, h, sizeof(h));
	return hex != NULL ? hex : "";
}

/* The moderation part of a petition's admin page: its state, what may be
 * done to it, the reasons to pick from and its history. Returns 0, or -1
 * when the store cannot say. */
static int
moderation_context(struct request *r, const struct petition *p, json_t *o)
{
	struct transition *ts;
	json_t *actions, *reasons, *history;
	size_t nt, i;

	if (store_transition_list(site.store, r->arena, p->id, &ts, &nt) !=
	    STORE_OK)
		return -1;
	actions = json_object();
	for (i = 0; i < MOD__MAX; i++)
		json_object_set_new(actions, mod_actions[i].name,
		    json_boolean(
			mod_action_applies((enum mod_action)i, p->state)));
	reasons = page_mod_reasons(r);
	history = json_array();
	for (i = 0; i < nt; i++)
		json_array_append_new(history,
		    json_pack("{s:s, s:s, s:s, s:s, "
			      "s:s, s:s}",
			"at", page_iso_time(r, ts[i].at), "from",
			petition_state_name(ts[i].from), "to",
			petition_state_name(ts[i].to), "actor", ts[i].actor,
			"reason", ts[i].reason, "note", ts[i].note));
	json_object_set_new(o, "actions", actions);
	json_object_set_new(o, "reasons", reasons);
	json_object_set_new(o, "history", history);
	json_object_set_new(o, "has_history", json_boolean(nt > 0));
	json_object_set_new(o, "moderate_action",
	    json_string(
		arena_printf(r->arena, "/admin/p/%s/moderate", p->slug)));
	json_object_set_new(o, "state_label",
	    json_string(i18n_text(r->lang,
		arena_printf(r->arena, "me_state_%s",
		    petition_state_name(p->state)))));
	if (p->reason != NULL && *p->reason)
		json_object_set_new(o, "reason", json_string(p->reason));
	if (p->note != NULL && *p->note)
		json_object_set_new(o, "note", json_string(p->note));
	return 0;
}

static void
admin_petition_render(struct request *r, const char *binding, const char *notice)
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
		&nn) != STORE_OK ||
	    store_trending(site.store, r->arena, p.id, since, true, &doms,
		&nd) != STORE_OK ||
	    store_removals(site.store, r->arena, p.id, &rm, &nr) != STORE_OK) {
		page_unavailable(r);
		return;
	}
	o = json_pack("{s:s, s:s, s:i, s:i, s:o, s:o}", "slug", p.slug, "title",
	    p.title, "hours", TREND_HOURS, "threshold", TREND_THRESHOLD,
	    "networks", trend_json(nets, nn), "domains", trend_json(doms, nd));
	removals = json_array();
	for (i = 0; i < nr; i++)
		json_array_append_new(removals,
		    json_pack("{s:s, s:I}", "reason", rm[i].reason,
			"signatures", (json_int_t)rm[i].n));
	json_object_set_new(o, "removals", removals);
	json_object_set_new(o, "has_removals", json_boolean(nr > 0));
	json_object_set_new(o, "state",
	    json_string(petition_state_name(p.state)));
	if (fmt != NULL && strcmp(fmt, "json") == 0) {
		page_json(r, 200, o);
		http_header_add(r, "Cache-Control", "no-store");
		return;
	}
	if (moderation_context(r, &p, o) == -1) {
		json_decref(o);
		page_unavailable(r);
		return;
	}
	json_object_set_new(o, "action",
	    json_string(
		arena_printf(r->arena, "/admin/p/%s/invalidate", p.slug)));
	json_object_set_new(o, "csrf", json_string(page_form_token(r, binding)));
	json_object_set_new(o, "version", json_string(petition_version(r, &p)));
	if (notice != NULL)
		json_object_set_new(o, "notice", json_string(notice));
	ctx = page_context(r, i18n_text(r->lang, "admin_title"));
	json_object_set_new(ctx, "trend", o);
	json_object_set_new(ctx, "petition", page_petition_preview(r, &p));
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
	{
		const char *done = http_query(r, "done");
		const char *removed = http_query(r, "invalidated");
		const char *notice = NULL;
		char *end = NULL;
		long long n;

		if (done != NULL && mod_action_ok(done, strlen(done)))
			notice = i18n_text(r->lang,
			    arena_printf(r->arena, "mod_done_%s", done));
		else if (removed != NULL && *removed != '\0' &&
		    (n = strtoll(removed, &end, 10)) >= 0 && *end == '\0') {
			struct msgfmt_arg arg = MSGFMT_NUM("n", n);

			notice = i18n_format(r->arena, r->lang,
			    "admin_invalidated", &arg, 1);
		}
		admin_petition_render(r, binding, notice);
	}
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
	const char *actor;

	if (page_post_begin(r, ROLE_MODERATOR, &u, binding, inv_form, I__MAX, v,
		I_CSRF) == -1)
		return;
	if (store_petition_by_slug(site.store, r->arena, r->slug, &p) !=
	    STORE_OK) {
		page_error(r, 404, "err_not_found");
		return;
	}
	memset(&inv, 0, sizeof(inv));
	for (int i = 0; i < I__MAX; i++) {
		if (v[i].err != FORM_OK) {
			admin_petition_render(r, binding,
			    i18n_text(r->lang, "admin_bad_criteria"));
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
			if ((g = arena_alloc(r->arena, cap * sizeof(*g))) ==
			    NULL)
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
	actor = page_actor(r, u.id);
	inv.actor = actor;
	if (!store_invalidation_valid(&inv))
		goto bad;
	if (!page_store_ok(r, store_invalidate(site.store, &inv)))
		return;
	log_info("moderate",
	    "action=invalidate slug=%s reason=%s removed=%lld "
	    "uncounted=%lld actor=%s",
	    p.slug, inv.reason, (long long)inv.removed,
	    (long long)inv.uncounted, actor);
	/* The count and the public page change at once on this node. */
	(void)counts_refresh();
	pagecache_invalidate(p.id);
	/* Post/Redirect/Get: a reload of the result sends nothing again. */
	page_see_other(r,
	    arena_printf(r->arena, "/admin/p/%s?invalidated=%lld", p.slug,
		(long long)inv.removed));
	return;
bad:
	admin_petition_render(r, binding,
	    i18n_text(r->lang, "admin_bad_criteria"));
	r->status = 422;
}

/* Tells the starter by mail, in their language, what a moderator decided.
 * A failure is logged: the decision stands either way. */
static void
notify_starter(struct request *r, const struct petition *p, enum mod_action a,
    const char *reason, const char *note)
{
	static const enum letter_account_kind kinds[MOD__MAX] = {
		[MOD_APPROVE] = LETTER_APPROVED,
		[MOD_REJECT] = LETTER_REJECTED,
		[MOD_HIDE] = LETTER_HIDDEN,
		[MOD_RESTORE] = LETTER_APPROVED,
	};
	static const char *const paths[LETTER_ACCOUNT__MAX] = {
		[LETTER_APPROVED] = "/p/%s",
		[LETTER_REJECTED] = "/me/p/%s/edit",
		[LETTER_HIDDEN] = "/me/p/%s",
	};
	struct letter_account l;
	struct outbox_new mail;
	struct user u;
	char *email = NULL;
	size_t len = 0;
	const char *label = NULL;

	if (p->owner_id == 0)
		return;
	if (store_user_by_id(site.store, r->arena, p->owner_id, &u) != STORE_OK ||
	    (email = crypto_open(u.email_sealed, u.email_sealed_len, &len)) ==
		NULL) {
		log_warn("moderate",
		    "slug=%s error=\"cannot tell the starter\"", p->slug);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.kind = kinds[a];
	l.lang = u.lang;
	l.name = u.name;
	l.email = email;
	l.title = p->title;
	if (reason != NULL && *reason != '\0')
		label = i18n_text(u.lang,
		    arena_printf(r->arena, "mod_reason_%s", reason));
	l.reason = label != NULL ? label : "";
	l.note = note != NULL ? note : "";
	l.link = page_url(r, arena_printf(r->arena, paths[l.kind], p->slug));
	memset(&mail, 0, sizeof(mail));
	if (letter_account(r->arena, &l, &mail) == 0 &&
	    store_outbox_add(site.store, &mail, (int64_t)time(NULL)) == STORE_OK)
		outbox_kick();
	else
		log_warn("moderate",
		    "slug=%s error=\"cannot queue the "
		    "starter's mail\"",
		    p->slug);
	sodium_memzero(email, len);
	free(email);
}

void
page_admin_hidden_mail(struct request *r, const struct petition *p,
    const char *reason, const char *note)
{
	notify_starter(r, p, MOD_HIDE, reason, note);
}

void
page_admin_moderate(struct request *r)
{
	struct form_value v[M__MAX];
	const char *reason;
	struct petition p;
	enum mod_action a;
	char binding[33];
	struct user u;
	const char *err = NULL;

	if (page_post_begin(r, ROLE_MODERATOR, &u, binding, mod_form, M__MAX, v,
		M_CSRF) == -1)
		return;
	if (page_rate_check(r, 0) == -1)
		return;
	switch (store_petition_by_slug(site.store, r->arena, r->slug, &p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return;
	default: page_unavailable(r); return;
	}
	if (v[M_ACTION].err != FORM_OK || v[M_REASON].err != FORM_OK ||
	    v[M_NOTE].err != FORM_OK || v[M_VERSION].err != FORM_OK) {
		err = "mod_bad_form";
		goto bad;
	}
	a = mod_action_parse(v[M_ACTION].s);
	if (mod_actions[a].needs_reason && v[M_REASON].len == 0) {
		err = "mod_need_reason";
		goto bad;
	}
	if (mod_actions[a].needs_note && v[M_NOTE].len == 0) {
		err = "mod_need_note";
		goto bad;
	}
	if (!mod_action_applies(a, p.state)) {
		page_error(r, 409, "mod_conflict");
		return;
	}
	/* A decision stands for the text it was made on: an approval must
	 * name it, and any decision that names another is refused, with the
	 * page as it is now. */
	if ((a == MOD_APPROVE && v[M_VERSION].len == 0) ||
	    (v[M_VERSION].len > 0 &&
		strcmp(v[M_VERSION].s, petition_version(r, &p)) != 0)) {
		log_info("moderate", "action=%s slug=%s result=changed",
		    mod_actions[a].name, p.slug);
		admin_petition_render(r, binding,
		    i18n_text(r->lang, "mod_changed"));
		r->status = 409;
		return;
	}
	reason = mod_actions[a].needs_reason ? v[M_REASON].s : "";
	/* A conflict: another moderator acted first. */
	if (page_petition_move(r, &p, u.id, mod_actions[a].to, reason,
		v[M_NOTE].s, "moderate", mod_actions[a].name,
		"mod_conflict") == -1)
		return;
	notify_starter(r, &p, a, reason, v[M_NOTE].s);
	page_see_other(r,
	    arena_printf(r->arena, "/admin/p/%s?done=%s", p.slug,
		mod_actions[a].name));
	return;
bad:
	admin_petition_render(r, binding, i18n_text(r->lang, err));
	r->status = 422;
}
