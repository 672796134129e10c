/* page_report.c - notice and action: anyone reports a petition or a public
 * comment (a reason from a fixed list, a note, an address for the outcome);
 * moderators decide every open report of a target at once in
 * /admin/reports with a statement of reasons, and a reporter who left an
 * address is told the outcome by mail (docs/report.md). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "account.h"
#include "crypto.h"
#include "email.h"
#include "form.h"
#include "i18n.h"
#include "lifecycle.h"
#include "log.h"
#include "mail_letter.h"
#include "mail_outbox.h"
#include "page.h"
#include "pagecache.h"
#include "ratelimit.h"

/* The open reports the queue reads at most. */
#define QUEUE_MAX 500
/* Report writes at once: a flood of reports from many addresses holds at
 * most this many of the store's connections; the rest are told to come
 * back (503), and page views never wait behind them. */
#define WRITES_MAX 2

/* Why something is reported. The label is "report_reason_<code>". A
 * petition hidden for reports takes the reason its moderator chooses, not
 * one of the reporters'. */
enum report_reason {
	REPORT_ILLEGAL,
	REPORT_HATE,
	REPORT_MISINFORMATION,
	REPORT_SPAM,
	REPORT_PERSONAL_DATA,
	REPORT_OTHER,
	REPORT__MAX
};

static const struct {
	const char *code;
} reasons[REPORT__MAX] = {
	[REPORT_ILLEGAL] = { "illegal" },
	[REPORT_HATE] = { "hate" },
	[REPORT_MISINFORMATION] = { "misinformation" },
	[REPORT_SPAM] = { "spam" },
	[REPORT_PERSONAL_DATA] = { "personal_data" },
	[REPORT_OTHER] = { "other" },
};

/* What a moderator decides. Labels: "report_outcome_<code>" (the queue;
 * "report_outcome_<code>_comment" for a comment) and
 * "report_mail_outcome_<code>" (the reporter's mail). */
enum report_outcome {
	OUTCOME_DISMISS, /* nothing to do: it stays */
	OUTCOME_HIDE,	 /* the petition or the comment hidden */
	OUTCOME_OTHER,	 /* another action (said in the statement) */
	OUTCOME__MAX
};

static const char *const outcomes[OUTCOME__MAX] = {
	[OUTCOME_DISMISS] = "dismiss",
	[OUTCOME_HIDE] = "hide",
	[OUTCOME_OTHER] = "other",
};

static atomic_int writes;

static int
code_index(const char *s, size_t len, const char *(*code)(int), int max)
{
	int i;

	for (i = 0; i < max; i++)
		if (strlen(code(i)) == len && memcmp(code(i), s, len) == 0)
			return i;
	return max;
}

static const char *
reason_code(int i)
{
	return reasons[i].code;
}

static const char *
outcome_code(int i)
{
	return outcomes[i];
}

static bool
reason_ok(const char *s, size_t len)
{
	return code_index(s, len, reason_code, REPORT__MAX) < REPORT__MAX;
}

static bool
outcome_ok(const char *s, size_t len)
{
	return code_index(s, len, outcome_code, OUTCOME__MAX) < OUTCOME__MAX;
}

static int64_t
id_of(const char *s)
{
	return s != NULL && form_id_valid(s, strlen(s)) ? strtoll(s, NULL, 10) :
							  0;
}

enum report_field {
	RF_REASON,
	RF_NOTE,
	RF_EMAIL,
	RF_COMMENT,
	RF_CSRF,
	RF__MAX
};

/* The report form, declared: anything else in a POST is dropped. */
static const struct form_spec report_form[RF__MAX] = {
	[RF_REASON] = { "reason", FORM_LINE, 32, true, reason_ok },
	[RF_NOTE] = { "note", FORM_TEXT, 1000, false, NULL },
	[RF_EMAIL] = { "email", FORM_LINE, EMAIL_MAX, false, email_valid },
	[RF_COMMENT] = { "comment", FORM_LINE, 18, false, form_id_valid },
	[RF_CSRF] = PAGE_CSRF_FIELD,
};

/* The reasons for the form, label in r's language, the one chosen
 * checked. */
static json_t *
reasons_json(struct request *r, const char *chosen)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < REPORT__MAX; i++) {
		const char *key =
		    arena_printf(r->arena, "report_reason_%s", reasons[i].code);
		const char *label = i18n_text(r->lang, key);

		json_array_append_new(a,
		    json_pack("{s:s, s:s, s:b}", "code", reasons[i].code,
			"label", label ? label : reasons[i].code, "checked",
			chosen != NULL && strcmp(chosen, reasons[i].code) == 0));
	}
	return a;
}

/* Renders the report page of p: the form (errors and values from v when
 * not NULL), or the thanks when sent. */
static void
report_render(struct request *r, int status, const struct petition *p,
    int64_t comment_id, bool sent, const struct form_value *v)
{
	json_t *ctx, *o, *errors;
	const char *base = arena_printf(r->arena, "/p/%s/report", p->slug);
	int i;

	ctx = page_context(r, i18n_text(r->lang, "report_title"));
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o}", "action", base,
	    "csrf", page_form_token(r, ""), "title", p->title, "title_lang",
	    p->lang, "sent", sent, "comment", comment_id != 0, "reasons",
	    reasons_json(r, v != NULL ? v[RF_REASON].s : NULL));
	json_object_set_new(o, "petition_url",
	    json_string(arena_printf(r->arena, "/p/%s", p->slug)));
	if (comment_id != 0)
		json_object_set_new(o, "comment_id",
		    json_string(arena_printf(r->arena, "%" PRId64, comment_id)));
	if (v != NULL) {
		errors = json_object();
		for (i = 0; i < RF__MAX; i++) {
			const char *key;

			if (v[i].err == FORM_OK)
				continue;
			key = v[i].err == FORM_INVALID && i == RF_EMAIL ?
			    "err_email" :
			    v[i].err == FORM_INVALID && i == RF_REASON ?
			    "report_err_reason" :
			    form_error_key(v[i].err);
			json_object_set_new(errors, report_form[i].name,
			    json_string(i18n_text(r->lang, key)));
		}
		json_object_set_new(o, "errors", errors);
		json_object_set_new(o, "has_errors",
		    json_boolean(json_object_size(errors) > 0));
		json_object_set_new(o, "note",
		    json_string(v[RF_NOTE].s ? v[RF_NOTE].s : ""));
		json_object_set_new(o, "email",
		    json_string(v[RF_EMAIL].s ? v[RF_EMAIL].s : ""));
	}
	json_object_set_new(ctx, "report", o);
	page_render(r, status, "report", ctx);
	http_header_add(r, "Cache-Control", "no-store");
	/* The form page says nothing search engines should keep. */
	http_header_add(r, "X-Robots-Tag", "noindex");
}

/* The comment named by the query or form (s; NULL or "" for none): its
 * id, 0 for none, or -1 after replying: 404 with report_err_comment for
 * anything that is not a comment of p shown on its page (not an id, no
 * such comment, another petition's, hidden: one answer, which tells no
 * one whether a hidden comment exists), 503. */
static int64_t
report_comment(struct request *r, const struct petition *p, const char *s)
{
	int64_t id;

	if (s == NULL || *s == '\0')
		return 0;
	if ((id = id_of(s)) == 0) {
		page_error(r, 404, "report_err_comment");
		return -1;
	}
	switch (store_report_comment(site.store, p->id, id)) {
	case STORE_OK: return id;
	case STORE_NOTFOUND:
		page_error(r, 404, "report_err_comment");
		return -1;
	default:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return -1;
	}
}

void
page_report_show(struct request *r)
{
	struct petition p;
	const char *sent = http_query(r, "sent");
	const char *cs = http_query(r, "comment");
	int64_t comment;

	page_begin(r);
	if (page_petition_load(r, &p) == -1)
		return;
	/* A comment id that is not text (invalid UTF-8, a control
	 * character) is no comment of p either: not the petition's form. */
	if (cs == NULL && http_query_given(r, "comment"))
		cs = "-";
	if ((comment = report_comment(r, &p, cs)) == -1)
		return;
	report_render(r, 200, &p, comment, sent != NULL && *sent == '1', NULL);
}

/* The report budget of r's address and network (--report-rate-ip,
 * --report-rate-net), apart from signing's. Returns 0, or -1 after
 * replying 429 with Retry-After. */
static int
report_rate(struct request *r)
{
	int wait = 1;

	if (ratelimit_take_report(&r->addr, &wait))
		return 0;
	log_info("report", "result=limited retry_after=%d", wait);
	page_rate_refused(r, wait, "err_rate");
	return -1;
}

void
page_report_post(struct request *r)
{
	struct form_value v[RF__MAX];
	struct report_new rep;
	struct petition p;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	enum store_status st;
	int64_t comment;
	int bad;

	page_begin(r);
	if ((bad = page_form_read(r, report_form, RF__MAX, v)) == -1)
		return;
	if (!page_csrf_check(r, &v[RF_CSRF], ""))
		return;
	if (page_petition_load(r, &p) == -1)
		return;
	if (report_rate(r) == -1)
		return;
	if (v[RF_COMMENT].err != FORM_OK) {
		page_error(r, 404, "report_err_comment");
		return;
	}
	if ((comment = report_comment(r, &p, v[RF_COMMENT].s)) == -1)
		return;
	if (bad > 0) {
		report_render(r, 422, &p, comment, false, v);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	if (v[RF_EMAIL].len > 0) {
		size_t n = 0;
		char *norm = email_normalize(r->arena, v[RF_EMAIL].s,
		    v[RF_EMAIL].len, &n);

		if (norm == NULL) {
			v[RF_EMAIL].err = FORM_INVALID;
			report_render(r, 422, &p, comment, false, v);
			return;
		}
		if ((sealed = crypto_seal(norm, n, &sealed_len)) == NULL) {
			page_error(r, 500, "err_internal");
			return;
		}
		sodium_memzero(norm, n);
	}
	rep.petition_id = p.id;
	rep.comment_id = comment;
	rep.reason = v[RF_REASON].s;
	rep.note = v[RF_NOTE].s;
	rep.email_sealed = sealed;
	rep.email_sealed_len = sealed_len;
	rep.lang = r->lang;
	rep.created_at = (int64_t)time(NULL);
	if (atomic_fetch_add(&writes, 1) >= WRITES_MAX) {
		atomic_fetch_sub(&writes, 1);
		free(sealed);
		log_info("report", "result=busy");
		http_header_add(r, "Retry-After", "2");
		page_error(r, 503, "err_unavailable");
		return;
	}
	st = store_report_add(site.store, &rep);
	atomic_fetch_sub(&writes, 1);
	free(sealed);
	if (st != STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	log_info("report", "result=filed slug=%s comment=%lld reason=%s",
	    p.slug, (long long)comment, rep.reason);
	/* Post/Redirect/Get: a reload sends nothing again. */
	r->status = 303;
	http_header_add(r, "Location",
	    arena_printf(r->arena, "/p/%s/report?sent=1", p.slug));
	http_header_add(r, "Cache-Control", "no-store");
}

/* ---- the moderators' queue ---- */

/* A target's group in the queue: its reports are rows[first, first+n). */
struct group {
	size_t first, n;
};

static int
group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	/* Most reported first; the order of the store otherwise. */
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* One target's group as the queue shows it. */
static json_t *
group_json(struct request *r, const struct report_row *rows,
    const struct group *g, const char *csrf)
{
	const struct report_row *t = &rows[g->first];
	size_t per[REPORT__MAX] = { 0 }, i, emails = 0;
	json_t *o, *counts, *items, *opts;
	int k;

	items = json_array();
	for (i = 0; i < g->n; i++) {
		const struct report_row *x = &rows[g->first + i];
		int reason = code_index(x->reason, strlen(x->reason),
		    reason_code, REPORT__MAX);
		const char *label = reason < REPORT__MAX ?
		    i18n_text(r->lang,
			arena_printf(r->arena, "report_reason_%s",
			    reasons[reason].code)) :
		    NULL;

		if (reason < REPORT__MAX)
			per[reason]++;
		if (x->has_email)
			emails++;
		json_array_append_new(items,
		    json_pack("{s:s, s:s, s:s, s:b}", "at",
			page_iso_time(r, x->created_at), "reason",
			label ? label : x->reason, "note", x->note, "has_note",
			x->note[0] != '\0'));
	}
	counts = json_array();
	for (k = 0; k < REPORT__MAX; k++)
		if (per[k] > 0) {
			const char *label = i18n_text(r->lang,
			    arena_printf(r->arena, "report_reason_%s",
				reasons[k].code));

			json_array_append_new(counts,
			    json_pack("{s:s, s:I}", "reason",
				label ? label : reasons[k].code, "n",
				(json_int_t)per[k]));
		}
	opts = json_array();
	for (k = 0; k < OUTCOME__MAX; k++) {
		const char *key = arena_printf(r->arena, "report_outcome_%s%s",
		    outcomes[k], t->comment_id != 0 ? "_comment" : "");

		json_array_append_new(opts,
		    json_pack("{s:s, s:s, s:s}", "code", outcomes[k], "label",
			i18n_text(r->lang, key), "id",
			arena_printf(r->arena, "o-%" PRId64 "-%" PRId64 "-%s",
			    t->petition_id, t->comment_id, outcomes[k])));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o,"
		      " s:s, s:s}",
	    "title", t->title, "public_url",
	    arena_printf(r->arena, "/p/%s", t->slug), "admin_url",
	    arena_printf(r->arena, "/admin/p/%s", t->slug), "state",
	    petition_state_name(t->state), "n", (json_int_t)g->n, "emails",
	    (json_int_t)emails, "petition_id", (json_int_t)t->petition_id,
	    "counts", counts, "reports", items, "outcomes", opts, "csrf", csrf,
	    "statement_id",
	    arena_printf(r->arena, "s-%" PRId64 "-%" PRId64, t->petition_id,
		t->comment_id));
	if (t->comment_id == 0) {
		/* Hiding the petition: the reason its page and its starter
		 * are given, the moderator's choice. */
		json_object_set_new(o, "mod_reasons", page_mod_reasons(r));
		json_object_set_new(o, "reason_id",
		    json_string(
			arena_printf(r->arena, "r-%" PRId64, t->petition_id)));
	}
	if (t->comment_id != 0) {
		json_object_set_new(o, "comment_id",
		    json_string(
			arena_printf(r->arena, "%" PRId64, t->comment_id)));
		json_object_set_new(o, "is_comment", json_true());
		json_object_set_new(o, "comment", json_string(t->comment));
		json_object_set_new(o, "comment_gone",
		    json_boolean(t->comment[0] == '\0'));
	}
	return o;
}

static void
queue_render(struct request *r, int status, const char *binding,
    const char *notice)
{
	struct report_row *rows;
	struct group *groups;
	const char *csrf;
	json_t *ctx, *list;
	size_t n, ng = 0, i;

	if (store_report_open(site.store, r->arena, QUEUE_MAX, &rows, &n) !=
	    STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	if ((groups = arena_alloc(r->arena,
		 (n > 0 ? n : 1) * sizeof(*groups))) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	for (i = 0; i < n; i++) {
		if (ng > 0 &&
		    rows[groups[ng - 1].first].petition_id ==
			rows[i].petition_id &&
		    rows[groups[ng - 1].first].comment_id == rows[i].comment_id) {
			groups[ng - 1].n++;
			continue;
		}
		groups[ng].first = i;
		groups[ng++].n = 1;
	}
	qsort(groups, ng, sizeof(*groups), group_cmp);
	csrf = page_form_token(r, binding);
	list = json_array();
	for (i = 0; i < ng; i++)
		json_array_append_new(list,
		    group_json(r, rows, &groups[i], csrf));
	ctx = page_context(r, i18n_text(r->lang, "reports_title"));
	json_object_set_new(ctx, "reports",
	    json_pack("{s:o, s:b, s:s?}", "groups", list, "has_groups", ng > 0,
		"notice", notice));
	page_render(r, status, "admin_reports", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_reports_show(struct request *r)
{
	char binding[33];
	struct user u;
	const char *done = http_query(r, "done");
	const char *notice = NULL;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1)
		return;
	if (done != NULL && outcome_ok(done, strlen(done)))
		notice = i18n_text(r->lang,
		    arena_printf(r->arena, "report_done_%s", done));
	queue_render(r, 200, binding, notice);
}

enum resolve_field {
	RS_PETITION,
	RS_COMMENT,
	RS_OUTCOME,
	RS_STATEMENT,
	RS_REASON,
	RS_CSRF,
	RS__MAX
};

static const struct form_spec resolve_form[RS__MAX] = {
	[RS_PETITION] = { "petition", FORM_LINE, 18, true, form_id_valid },
	[RS_COMMENT] = { "comment", FORM_LINE, 18, false, form_id_valid },
	[RS_OUTCOME] = { "outcome", FORM_LINE, 16, true, outcome_ok },
	[RS_STATEMENT] = { "statement", FORM_TEXT, 2000, true, NULL },
	/* a moderation reason; needed to hide a petition */
	[RS_REASON] = { "reason", FORM_LINE, 32, false, page_mod_reason_ok },
	[RS_CSRF] = PAGE_CSRF_FIELD,
};

/* The outcome mail of each reporter who left an address, into mails
 * (sealed NULL for the others). A reporter whose address cannot be opened
 * or written to is left without mail (logged). */
static void
outcome_mails(struct request *r, const struct report_reporter *rep, size_t n,
    enum report_outcome o, struct outbox_new *mails)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct letter_account l;
		char *email;
		size_t len = 0;
		const char *label;

		memset(&mails[i], 0, sizeof(mails[i]));
		if (rep[i].email_sealed == NULL)
			continue;
		if ((email = crypto_open(rep[i].email_sealed,
			 rep[i].email_sealed_len, &len)) == NULL) {
			log_warn("report",
			    "report=%lld error=\"cannot open "
			    "the address\"",
			    (long long)rep[i].id);
			continue;
		}
		label = i18n_text(rep[i].lang,
		    arena_printf(r->arena, "report_mail_outcome_%s",
			outcomes[o]));
		memset(&l, 0, sizeof(l));
		l.kind = LETTER_REPORT_OUTCOME;
		l.lang = rep[i].lang;
		l.name = "";
		l.email = email;
		l.link = page_url(r, "/");
		/* The moderators' decision as a category in the site's own
		 * words: no statement, title or note anyone typed. */
		l.reason = label != NULL ? label : "";
		if (letter_account(r->arena, &l, &mails[i]) == -1) {
			memset(&mails[i], 0, sizeof(mails[i]));
			log_warn("report",
			    "report=%lld error=\"cannot write the mail\"",
			    (long long)rep[i].id);
		}
		sodium_memzero(email, len);
		free(email);
	}
}

void
page_reports_resolve(struct request *r)
{
	struct form_value v[RS__MAX];
	struct report_resolution res;
	struct report_reporter *rep;
	struct outbox_new *mails;
	enum report_outcome o;
	struct petition p;
	char binding[33];
	struct user u;
	int64_t *ids;
	size_t n, i, done = 0;
	enum store_status st;
	bool mailed = false;

	page_begin(r);
	if (page_require(r, ROLE_MODERATOR, &u, binding) == -1)
		return;
	if (page_form_read(r, resolve_form, RS__MAX, v) == -1)
		return;
	if (!page_csrf_check(r, &v[RS_CSRF], binding))
		return;
	for (i = 0; i < RS__MAX; i++)
		if (v[i].err != FORM_OK) {
			queue_render(r, 422, binding,
			    i18n_text(r->lang,
				i == RS_STATEMENT ? "report_need_statement" :
						    "mod_bad_form"));
			return;
		}
	o = (enum report_outcome)code_index(v[RS_OUTCOME].s, v[RS_OUTCOME].len,
	    outcome_code, OUTCOME__MAX);
	memset(&res, 0, sizeof(res));
	res.petition_id = id_of(v[RS_PETITION].s);
	res.comment_id = id_of(v[RS_COMMENT].s);
	if (o == OUTCOME_HIDE && res.comment_id == 0 && v[RS_REASON].len == 0) {
		queue_render(r, 422, binding,
		    i18n_text(r->lang, "report_need_reason"));
		return;
	}
	switch (
	    store_petition_by_id(site.store, r->arena, res.petition_id, &p)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return;
	default:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	if ((st = store_report_target(site.store, r->arena, res.petition_id,
		 res.comment_id, &rep, &n)) != STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	if (n == 0) {
		queue_render(r, 409, binding,
		    i18n_text(r->lang, "report_already"));
		return;
	}
	if ((ids = arena_alloc(r->arena, n * sizeof(*ids))) == NULL ||
	    (mails = arena_alloc(r->arena, n * sizeof(*mails))) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	for (i = 0; i < n; i++)
		ids[i] = rep[i].id;
	res.outcome = outcomes[o];
	res.statement = v[RS_STATEMENT].s;
	res.actor = page_actor(r, u.id);
	res.now = (int64_t)time(NULL);
	res.hide_comment = o == OUTCOME_HIDE && res.comment_id != 0;
	/* A petition hidden for a report moves as a moderator's hide does:
	 * the lifecycle records it, its starter is told. */
	if (o == OUTCOME_HIDE && res.comment_id == 0 &&
	    (p.state == PETITION_OPEN || p.state == PETITION_CLOSED ||
		p.state == PETITION_VICTORY)) {
		struct transition t;

		memset(&t, 0, sizeof(t));
		t.petition_id = p.id;
		t.from = p.state;
		t.to = PETITION_HIDDEN;
		t.actor = res.actor;
		t.reason = v[RS_REASON].s;
		t.note = res.statement;
		t.at = res.now;
		switch (lifecycle_move(site.store, &t)) {
		case STORE_OK:
			page_admin_hidden_mail(r, &p, t.reason, t.note);
			break;
		case STORE_NOTFOUND: break; /* hidden meanwhile */
		default:
			http_header_add(r, "Retry-After", "5");
			page_error(r, 503, "err_unavailable");
			return;
		}
	}
	outcome_mails(r, rep, n, o, mails);
	res.ids = ids;
	res.mails = mails;
	res.n = n;
	switch (store_report_resolve(site.store, &res, &done)) {
	case STORE_OK: break;
	case STORE_NOTFOUND:
		queue_render(r, 409, binding,
		    i18n_text(r->lang, "report_already"));
		return;
	default:
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	for (i = 0; i < n; i++)
		mailed = mailed || mails[i].sealed != NULL;
	if (mailed)
		outbox_kick();
	if (res.hide_comment)
		pagecache_invalidate(p.id);
	log_info("report",
	    "result=resolved petition=%lld comment=%lld outcome=%s "
	    "reports=%zu actor=%s",
	    (long long)res.petition_id, (long long)res.comment_id, res.outcome,
	    done, res.actor);
	r->status = 303;
	http_header_add(r, "Location",
	    arena_printf(r->arena, "/admin/reports?done=%s", res.outcome));
	http_header_add(r, "Cache-Control", "no-store");
}
