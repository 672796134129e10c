/* page_me.c - the starter's dashboard: their petitions, figures, chart,
 * signers' CSV, updates and the starter's own transitions. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "counts.h"
#include "crypto.h"
#include "form.h"
#include "i18n.h"
#include "lifecycle.h"
#include "log.h"
#include "mail_fanout.h"
#include "markdown.h"
#include "page.h"
#include "pagecache.h"
#include "petition.h"
#include "utc.h"

enum update_field { U_KIND, U_TITLE, U_BODY, U_AUTHOR, U_CSRF, U__MAX };

static bool
kind_ok(const char *s, size_t len)
{
	(void)len;
	return update_kind_parse(s) != UPDATE__MAX;
}

static const struct form_spec update_form[U__MAX] = {
	[U_KIND] = { "kind", FORM_LINE, 16, true, kind_ok },
	[U_TITLE] = { "title", FORM_LINE, 200, true, NULL },
	[U_BODY] = { "body", FORM_TEXT, 10000, true, NULL },
	[U_AUTHOR] = { "author", FORM_LINE, 200, false, NULL },
	[U_CSRF] = PAGE_CSRF_FIELD,
};

/* What the starter may do to their own petition. */
enum me_action {
	ACT_WITHDRAW,
	ACT_CLOSE,
	ACT_VICTORY,
	ACT_DELETE, /* a draft, for good: no state follows */
	ACT__MAX
};

static const struct {
	const char *name;
	enum petition_state to;
	unsigned from; /* bits of enum petition_state */
	bool note_required;
} actions[ACT__MAX] = {
	[ACT_WITHDRAW] = { "withdraw", PETITION_DRAFT, 1u << PETITION_PENDING,
	    false },
	[ACT_CLOSE] = { "close", PETITION_CLOSED, 1u << PETITION_OPEN, false },
	[ACT_VICTORY] = { "victory", PETITION_VICTORY,
	    1u << PETITION_OPEN | 1u << PETITION_CLOSED, true },
	[ACT_DELETE] = { "delete", PETITION__MAX, 1u << PETITION_DRAFT, false },
};

static enum me_action
action_parse(const char *s)
{
	int i;

	for (i = 0; i < ACT__MAX; i++)
		if (s != NULL && strcmp(actions[i].name, s) == 0)
			return (enum me_action)i;
	return ACT__MAX;
}

static bool
action_ok(const char *s, size_t len)
{
	(void)len;
	return action_parse(s) != ACT__MAX;
}

/* True when the starter may take action a on a petition in state st. */
static bool
action_allowed(enum me_action a, enum petition_state st)
{
	return a < ACT__MAX && (actions[a].from & (1u << st)) != 0 &&
	    (a == ACT_DELETE || petition_transition_allowed(st, actions[a].to));
}

enum state_field {
	S_ACTION,
	S_NOTE,
	S_CSRF,
	S_CONFIRM, /* "this cannot be undone", ticked */
	S__MAX
};

static const struct form_spec state_form[S__MAX] = {
	[S_ACTION] = { "action", FORM_LINE, 16, true, action_ok },
	[S_NOTE] = { "note", FORM_TEXT, 1000, false, NULL },
	[S_CSRF] = PAGE_CSRF_FIELD,
	[S_CONFIRM] = { "confirm", FORM_CHECKBOX, 0, false, NULL },
};

/* Open, closed and won petitions are public: they have signers. */
static bool
is_public(enum petition_state st)
{
	return st == PETITION_OPEN || st == PETITION_CLOSED ||
	    st == PETITION_VICTORY;
}

static const char *
state_label(struct request *r, enum petition_state st)
{
	const char *name = petition_state_name(st);
	const char *s = i18n_text(r->lang,
	    arena_printf(r->arena, "me_state_%s", name ? name : "draft"));

	return s != NULL ? s : (name ? name : "");
}

/* A reason code in the reader's words where the catalogue has them. */
static const char *
reason_label(struct request *r, const char *code)
{
	const char *s;

	if (code == NULL || *code == '\0')
		return "";
	s = i18n_text(r->lang, arena_printf(r->arena, "mod_reason_%s", code));
	return s != NULL ? s : code;
}

/* "YYYY-MM-DD" of t, in r's arena. */
static const char *
iso_date(struct arena *a, int64_t t)
{
	char s[UTC_CHARS];

	return arena_strdup(a, utc_format(s, UTC_DAY, t));
}

void
page_me(struct request *r)
{
	struct petition *ps;
	char binding[33];
	struct user u;
	json_t *ctx, *list;
	size_t n, i;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1)
		return;
	if (!page_store_ok(r,
		store_petition_list_owner(site.store, r->arena, u.id, &ps, &n)))
		return;
	list = json_array();
	for (i = 0; i < n; i++) {
		const struct petition *p = &ps[i];
		const char *state = petition_state_name(p->state);
		json_t *o;

		o = json_pack("{s:s, s:s, s:s}", "title", p->title, "state",
		    state ? state : "", "state_label", state_label(r, p->state));
		if (p->state == PETITION_DRAFT || p->state == PETITION_REJECTED)
			json_object_set_new(o, "edit_url",
			    json_string(arena_printf(r->arena, "/me/p/%s/edit",
				p->slug)));
		if (p->state != PETITION_DRAFT)
			json_object_set_new(o, "dashboard_url",
			    json_string(
				arena_printf(r->arena, "/me/p/%s", p->slug)));
		if (is_public(p->state)) {
			int64_t count = 0;

			if (counts_get(p->id, &count) == 0)
				json_object_set_new(o, "count",
				    json_string(
					i18n_number(r->arena, r->lang, count)));
			json_object_set_new(o, "public_url",
			    json_string(
				arena_printf(r->arena, "/p/%s", p->slug)));
		}
		if (p->state == PETITION_REJECTED && p->reason != NULL &&
		    *p->reason != '\0')
			json_object_set_new(o, "reason",
			    json_string(reason_label(r, p->reason)));
		json_array_append_new(list, o);
	}
	ctx = page_context(r, i18n_text(r->lang, "me_title"));
	json_object_set_new(ctx, "me",
	    json_pack("{s:o, s:b, s:b, s:s}", "petitions", list,
		"has_petitions", n > 0, "unverified", u.verified_at == 0,
		"csrf", page_form_token(r, binding)));
	if (http_query(r, "deleted") != NULL)
		json_object_set_new(json_object_get(ctx, "me"), "notice",
		    json_string(i18n_text(r->lang, "me_deleted")));
	page_render(r, 200, "me", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

/* The dashboard's figures: counts, the chart and its table, countries. */
static int
stats_json(struct request *r, const struct petition *p, json_t *o)
{
	struct petition_stats st;
	struct chart_text ct;
	struct buf svg;
	const json_t *names;
	json_t *days, *countries;
	int64_t first, last, today, max = 0;
	size_t i, ndays;

	memset(&st, 0, sizeof(st));
	if (store_petition_stats(site.store, r->arena, p->id, &st) != STORE_OK)
		return -1;
	json_object_set_new(o, "confirmed",
	    json_string(i18n_number(r->arena, r->lang, st.confirmed)));
	json_object_set_new(o, "pending",
	    json_string(i18n_number(r->arena, r->lang, st.pending)));
	json_object_set_new(o, "invalid",
	    json_string(i18n_number(r->arena, r->lang, st.invalid)));
	json_object_set_new(o, "has_invalid", json_boolean(st.invalid > 0));

	/* An open petition's chart runs up to today. */
	today = p->state == PETITION_OPEN ? (int64_t)time(NULL) : 0;
	ndays = st.ndays > 0 ?
	    chart_days_range(st.days, st.ndays, today, &first, &last) :
	    0;
	days = json_array();
	for (i = 0; i < st.ndays && ndays > 0; i++) {
		if (st.days[i].day < first || st.days[i].day > last + 86399)
			continue;
		if (st.days[i].n > max)
			max = st.days[i].n;
		json_array_append_new(days,
		    json_pack("{s:s, s:s}", "day",
			iso_date(r->arena, st.days[i].day), "n",
			i18n_number(r->arena, r->lang, st.days[i].n)));
	}
	json_object_set_new(o, "days", days);
	json_object_set_new(o, "has_chart", json_boolean(ndays > 0));
	if (ndays > 0) {
		struct msgfmt_arg args[4] = {
			MSGFMT_NUM("days", ndays),
			MSGFMT_STR("from", iso_date(r->arena, first)),
			MSGFMT_STR("to", iso_date(r->arena, last)),
			MSGFMT_NUM("max", max),
		};

		ct.id = "me-chart";
		ct.title = i18n_text(r->lang, "me_chart_heading");
		ct.desc =
		    i18n_format(r->arena, r->lang, "me_chart_desc", args, 4);
		ct.x_label = i18n_text(r->lang, "me_chart_x");
		ct.y_label = i18n_text(r->lang, "me_chart_y");
		buf_init(&svg);
		chart_days_svg(&svg, st.days, st.ndays, today, &ct);
		if (!buf_ok(&svg)) {
			buf_reset(&svg);
			return -1;
		}
		json_object_set_new(o, "chart_svg",
		    json_stringn(svg.data, svg.len));
		buf_reset(&svg);
	}

	/* Countries by name in the reader's language. */
	names = i18n_countries(r->lang);
	countries = json_array();
	for (i = 0; i < st.ncountries; i++) {
		const char *name = st.countries[i].country;
		size_t k;
		json_t *c;

		json_array_foreach(names, k, c)
		{
			const char *code =
			    json_string_value(json_object_get(c, "code"));

			if (code != NULL &&
			    strcmp(code, st.countries[i].country) == 0) {
				name = json_string_value(
				    json_object_get(c, "name"));
				break;
			}
		}
		json_array_append_new(countries,
		    json_pack("{s:s, s:s, s:s}", "code", st.countries[i].country,
			"name", name ? name : st.countries[i].country, "n",
			i18n_number(r->arena, r->lang, st.countries[i].n)));
	}
	json_object_set_new(o, "countries", countries);
	json_object_set_new(o, "has_countries", json_boolean(st.ncountries > 0));
	return 0;
}

/* Updates posted so far, newest first. */
static int
updates_json(struct request *r, const struct petition *p, json_t *o)
{
	struct update *up;
	size_t n, i;
	json_t *list;

	if (store_update_list(site.store, r->arena, p->id, &up, &n) != STORE_OK)
		return -1;
	list = json_array();
	for (i = 0; i < n; i++) {
		struct msgfmt_arg arg = MSGFMT_NUM("n", up[i].mailed);
		struct msgfmt_arg by = MSGFMT_STR("author", up[i].author);
		struct buf html;
		json_t *u;

		u = json_pack("{s:s, s:s, s:s, s:b, s:I, s:s?}", "kind",
		    update_kind_name(up[i].kind), "title", up[i].title, "at",
		    page_iso_time(r, up[i].created_at), "done", up[i].mail_done,
		    "mailed", (json_int_t)up[i].mailed, "status",
		    i18n_format(r->arena, r->lang,
			up[i].mail_done ? "me_update_mailed" :
					  "me_update_mailing",
			&arg, 1));
		json_object_set_new(u, "kind_label",
		    json_string(up[i].kind == UPDATE_RESPONSE ?
			    i18n_format(r->arena, r->lang,
				"me_update_response_by", &by, 1) :
			    i18n_text(r->lang, "me_kind_update")));
		buf_init(&html);
		if (markdown_render(up[i].body_md, strlen(up[i].body_md),
			&html) == 0 &&
		    buf_ok(&html))
			json_object_set_new(u, "body_html",
			    json_stringn(html.data ? html.data : "", html.len));
		buf_reset(&html);
		json_array_append_new(list, u);
	}
	json_object_set_new(o, "updates", list);
	json_object_set_new(o, "has_updates", json_boolean(n > 0));
	return 0;
}

/* Who made a transition, as the reader sees it. */
static const char *
actor_label(struct request *r, const struct user *u, const struct petition *p,
    const char *actor)
{
	const char *key = "me_actor_moderator";

	if (strcmp(actor, "system") == 0)
		key = "me_actor_system";
	else if (strcmp(actor, page_actor(r, u->id)) == 0)
		key = "me_actor_you";
	else if (p->owner_id != 0 &&
	    strcmp(actor, page_actor(r, p->owner_id)) == 0)
		key = "me_actor_starter";
	return i18n_text(r->lang, key);
}

static int
history_json(struct request *r, const struct user *u, const struct petition *p,
    json_t *o)
{
	struct transition *t;
	size_t n, i;
	json_t *list;

	if (store_transition_list(site.store, r->arena, p->id, &t, &n) !=
	    STORE_OK)
		return -1;
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:s, s:s?, "
			      "s:s, s:s}",
			"at", page_iso_time(r, t[i].at), "from",
			state_label(r, t[i].from), "to", state_label(r, t[i].to),
			"who", actor_label(r, u, p, t[i].actor), "reason",
			reason_label(r, t[i].reason), "note",
			t[i].note ? t[i].note : ""));
	json_object_set_new(o, "history", list);
	json_object_set_new(o, "has_history", json_boolean(n > 0));
	return 0;
}

/* What a re-shown form carries: the values sent and the message for each
 * bad field (catalogue keys). */
struct me_forms {
	const struct form_value *uv; /* the update form, or NULL */
	const char *uerr[U__MAX];
	const char *note; /* the victory note sent */
	const char *note_err;
	bool close_unconfirmed; /* closing was sent without its tick */
};

static json_t *
update_form_json(struct request *r, const struct me_forms *f)
{
	static const char *const labels[U__MAX] = {
		[U_KIND] = "me_update_kind",
		[U_TITLE] = "me_update_title",
		[U_BODY] = "me_update_body",
		[U_AUTHOR] = "me_update_author",
	};
	json_t *o, *errors, *summary;
	bool response = false;
	int i, nerr = 0;

	o = json_object();
	errors = json_object();
	summary = json_array();
	if (f != NULL && f->uv != NULL) {
		const struct form_value *v = f->uv;

		response = v[U_KIND].err == FORM_OK &&
		    update_kind_parse(v[U_KIND].s) == UPDATE_RESPONSE;
		for (i = U_TITLE; i <= U_AUTHOR; i++)
			json_object_set_new(o, update_form[i].name,
			    json_string(
				v[i].err == FORM_BAD_TEXT || v[i].s == NULL ?
				    "" :
				    v[i].s));
		for (i = 0; i < U__MAX; i++) {
			const char *msg;

			if (f->uerr[i] == NULL || labels[i] == NULL)
				continue;
			msg = i18n_text(r->lang, f->uerr[i]);
			json_object_set_new(errors, update_form[i].name,
			    json_string(msg));
			json_array_append_new(summary,
			    json_pack("{s:s, s:s, "
				      "s:s}",
				"field", update_form[i].name, "label",
				i18n_text(r->lang, labels[i]), "message", msg));
			nerr++;
		}
	}
	json_object_set_new(o, "kind_response", json_boolean(response));
	json_object_set_new(o, "errors", errors);
	json_object_set_new(o, "summary", summary);
	json_object_set_new(o, "has_errors", json_boolean(nerr > 0));
	if (nerr > 0)
		page_error_summary(r, o, "me_error_summary", nerr);
	return o;
}

/* The addressees' addresses (only the starter sees them) and who was
 * delivered to when. */
static int
deliver_json(struct request *r, const struct petition *p, json_t *o)
{
	struct addressee_email *ae;
	struct delivery *ds;
	size_t n, nd, i, k;
	json_t *list;

	if (store_addressee_emails(site.store, r->arena, p->id, &ae, &n) !=
		STORE_OK ||
	    store_deliveries(site.store, r->arena, p->id, &ds, &nd) != STORE_OK)
		return -1;
	list = json_array();
	for (i = 0; i < n && i < 10; i++) {
		struct msgfmt_arg a = MSGFMT_STR("name", ae[i].name);
		char *email = NULL;
		size_t len = 0;
		json_t *e;

		if (ae[i].sealed != NULL && ae[i].sealed_len > 0)
			email =
			    crypto_open(ae[i].sealed, ae[i].sealed_len, &len);
		e = json_pack("{s:s, s:s, s:s}", "field",
		    arena_printf(r->arena, "email%zu", i), "label",
		    i18n_format(r->arena, r->lang, "me_deliver_email", &a, 1),
		    "email", email ? email : "");
		if (email != NULL) {
			sodium_memzero(email, len);
			free(email);
		}
		for (k = 0; k < nd; k++)
			if (ds[k].pos == ae[i].pos) {
				struct msgfmt_arg d = { .name = "date",
					.type = MSGFMT_DATE,
					.num =
					    (double)ds[k].created_at * 1000.0 };

				json_object_set_new(e, "delivered",
				    json_string(i18n_format(r->arena, r->lang,
					"me_deliver_done", &d, 1)));
			}
		json_array_append_new(list, e);
	}
	json_object_set_new(o, "deliver",
	    json_pack("{s:o, s:s, s:s}", "addressees", list, "addressees_action",
		arena_printf(r->arena, "/me/p/%s/addressees", p->slug),
		"deliver_action",
		arena_printf(r->arena, "/me/p/%s/deliver", p->slug)));
	return 0;
}

/* Renders the dashboard of p with status, re-showing forms from f (NULL:
 * fresh forms). */
static void
render_petition(struct request *r, const struct user *u, const char *binding,
    const struct petition *p, int status, const struct me_forms *f)
{
	const char *state = petition_state_name(p->state);
	static const struct {
		const char *query, *key;
	} notices[] = {
		{ "posted", "me_update_posted" },
		{ "changed", "me_state_changed" },
		{ "delivered", "me_delivered" },
		{ "addressees", "me_addressees_saved" },
		{ "image", "me_image_saved" },
	};
	json_t *ctx, *o;
	size_t i;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "slug",
	    p->slug, "title", p->title, "state", state ? state : "",
	    "state_label", state_label(r, p->state), "csv_url",
	    arena_printf(r->arena, "/me/p/%s/signers.csv", p->slug),
	    "update_action", arena_printf(r->arena, "/me/p/%s/update", p->slug),
	    "state_action", arena_printf(r->arena, "/me/p/%s/state", p->slug),
	    "csrf", page_form_token(r, binding));
	if (is_public(p->state)) {
		json_object_set_new(o, "public_url",
		    json_string(arena_printf(r->arena, "/p/%s", p->slug)));
		json_object_set_new(o, "pdf_url",
		    json_string(arena_printf(r->arena, "/me/p/%s/delivery.pdf",
			p->slug)));
	}
	if (p->state == PETITION_DRAFT || p->state == PETITION_REJECTED)
		json_object_set_new(o, "edit_url",
		    json_string(
			arena_printf(r->arena, "/me/p/%s/edit", p->slug)));
	if (p->state == PETITION_REJECTED) {
		json_object_set_new(o, "rejected", json_true());
		json_object_set_new(o, "reason",
		    json_string(reason_label(r, p->reason)));
		json_object_set_new(o, "note",
		    json_string(p->note ? p->note : ""));
	}
	if (stats_json(r, p, o) == -1 || updates_json(r, p, o) == -1 ||
	    history_json(r, u, p, o) == -1 ||
	    (is_public(p->state) && deliver_json(r, p, o) == -1)) {
		json_decref(o);
		page_unavailable(r);
		return;
	}
	json_object_set_new(o, "can_update", json_boolean(is_public(p->state)));
	json_object_set_new(o, "form", update_form_json(r, f));
	json_object_set_new(o, "can_withdraw",
	    json_boolean(action_allowed(ACT_WITHDRAW, p->state)));
	json_object_set_new(o, "can_close",
	    json_boolean(action_allowed(ACT_CLOSE, p->state)));
	json_object_set_new(o, "can_victory",
	    json_boolean(action_allowed(ACT_VICTORY, p->state)));
	json_object_set_new(o, "has_actions",
	    json_boolean(action_allowed(ACT_WITHDRAW, p->state) ||
		action_allowed(ACT_CLOSE, p->state) ||
		action_allowed(ACT_VICTORY, p->state)));
	if (f != NULL && f->note != NULL)
		json_object_set_new(o, "victory_note", json_string(f->note));
	if (f != NULL && f->note_err != NULL)
		json_object_set_new(o, "victory_error",
		    json_string(i18n_text(r->lang, f->note_err)));
	if (f != NULL && f->close_unconfirmed)
		json_object_set_new(o, "close_error",
		    json_string(i18n_text(r->lang, "me_err_close_confirm")));
	/* After a redirect from a form: ?posted=1 and the like. */
	for (i = 0; f == NULL && i < sizeof(notices) / sizeof(notices[0]); i++)
		if (http_query(r, notices[i].query) != NULL) {
			json_object_set_new(o, "notice",
			    json_string(i18n_text(r->lang, notices[i].key)));
			break;
		}
	{
		/* The petition image and its form (page_image.c). */
		json_t *img = page_image_json(r, p->slug, p->id);

		if (img != NULL)
			json_object_set_new(o, "image", img);
	}
	/* social: every comment its signers agreed to show, to hide. */
	if (is_public(p->state) &&
	    page_comments_manage(r, u, p,
		json_string_value(json_object_get(o, "csrf")), false, o) == -1) {
		json_decref(o);
		page_unavailable(r);
		return;
	}
	ctx = page_context(r, p->title);
	json_object_set_new(ctx, "me", o);
	page_render(r, status, "me_petition", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

/* The start of the dashboard's GETs: a signed-in user (u, binding) and
 * the petition of r->slug they own (p). Returns 0, or -1 after replying. */
static int
get_begin(struct request *r, struct user *u, char binding[33],
    struct petition *p)
{
	page_begin(r);
	if (page_require(r, ROLE_STARTER, u, binding) == -1 ||
	    page_petition_owned(r, u, p, "me") == -1)
		return -1;
	return 0;
}

void
page_me_petition(struct request *r)
{
	char binding[33];
	struct petition p;
	struct user u;

	if (get_begin(r, &u, binding, &p) == -1)
		return;
	render_petition(r, &u, binding, &p, 200, NULL);
}

/* The signers who agreed to show their name, as CSV, streamed by the
 * exports' code (page_export_send()): never held whole. */
void
page_me_csv(struct request *r)
{
	char binding[33];
	struct petition p;
	struct user u;

	if (get_begin(r, &u, binding, &p) == -1)
		return;
	page_export_send(r, &p, &u, EXPORT_SIGNERS_CSV, "signers");
}

/* The common start of the dashboard's POSTs: a signed-in user, a urlencoded
 * body parsed against spec, a form token bound to the session, the
 * petition owned by the user, the rate limit. Returns 0, or -1 after
 * replying. */
static int
post_begin(struct request *r, const struct form_spec *spec, size_t n,
    struct form_value *v, size_t csrf, struct user *u, char binding[33],
    struct petition *p)
{
	if (page_post_begin(r, ROLE_STARTER, u, binding, spec, n, v, csrf) == -1)
		return -1;
	if (page_petition_owned(r, u, p, "me") == -1 ||
	    page_rate_check(r, 0) == -1)
		return -1;
	return 0;
}

static void
redirect_back(struct request *r, const struct petition *p, const char *query)
{
	page_see_other(r, arena_printf(r->arena, "/me/p/%s?%s", p->slug, query));
}

void
page_me_update(struct request *r)
{
	struct form_value v[U__MAX];
	struct me_forms f;
	struct update up;
	char binding[33];
	struct petition p;
	struct user u;
	int64_t id;
	int i, nerr = 0;

	if (post_begin(r, update_form, U__MAX, v, U_CSRF, &u, binding, &p) == -1)
		return;
	if (!is_public(p.state)) {
		page_error(r, 409, "me_err_update_state");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.uv = v;
	for (i = 0; i < U_CSRF; i++)
		if ((f.uerr[i] = form_error_key(v[i].err)) != NULL)
			nerr++;
	if (v[U_KIND].err == FORM_INVALID)
		f.uerr[U_KIND] = "me_err_kind";
	if (v[U_KIND].err == FORM_OK &&
	    update_kind_parse(v[U_KIND].s) == UPDATE_RESPONSE &&
	    v[U_AUTHOR].err == FORM_OK && v[U_AUTHOR].len == 0) {
		f.uerr[U_AUTHOR] = "me_err_author";
		nerr++;
	}
	if (nerr > 0) {
		render_petition(r, &u, binding, &p, 422, &f);
		return;
	}
	memset(&up, 0, sizeof(up));
	up.petition_id = p.id;
	up.kind = update_kind_parse(v[U_KIND].s);
	up.author = up.kind == UPDATE_RESPONSE ? v[U_AUTHOR].s : "";
	up.title = v[U_TITLE].s;
	up.body_md = v[U_BODY].s;
	up.created_at = (int64_t)time(NULL);
	if (!page_store_ok(r, store_update_create(site.store, &up, &id)))
		return;
	log_info("me", "action=update slug=%s update=%lld kind=%s user=%lld",
	    p.slug, (long long)id, update_kind_name(up.kind), (long long)u.id);
	pagecache_invalidate(p.id);
	fanout_kick();
	redirect_back(r, &p, "posted=1");
}

/* Deletes the draft p of u for good, once the tick says the starter
 * knows it cannot be undone; then back to the list. */
static void
delete_draft(struct request *r, const struct user *u, const struct petition *p,
    bool confirmed)
{
	if (!confirmed) {
		page_error(r, 422, "me_err_delete_confirm");
		return;
	}
	switch (store_draft_delete(site.store, p->id, u->id,
	    page_actor(r, u->id), (int64_t)time(NULL))) {
	case STORE_OK: break;
	case STORE_NOTFOUND:
		/* Submitted (or deleted) since it was loaded. */
		page_error(r, 409, "me_err_state");
		return;
	default: page_unavailable(r); return;
	}
	pagecache_invalidate(p->id);
	log_info("me", "action=delete slug=%s user=%lld", p->slug,
	    (long long)u->id);
	page_see_other(r, "/me?deleted=1");
}

void
page_me_state(struct request *r)
{
	struct form_value v[S__MAX];
	struct me_forms f;
	enum me_action a;
	char binding[33];
	struct petition p;
	struct user u;

	if (post_begin(r, state_form, S__MAX, v, S_CSRF, &u, binding, &p) == -1)
		return;
	if (v[S_ACTION].err != FORM_OK ||
	    (a = action_parse(v[S_ACTION].s)) == ACT__MAX) {
		page_error(r, 400, "me_err_state");
		return;
	}
	if (!action_allowed(a, p.state)) {
		log_info("me", "action=%s slug=%s state=%s result=refused",
		    actions[a].name, p.slug, petition_state_name(p.state));
		page_error(r, 409, "me_err_state");
		return;
	}
	memset(&f, 0, sizeof(f));
	if (a == ACT_CLOSE && !v[S_CONFIRM].checked) {
		/* Closing cannot be undone: it takes the tick that says so. */
		f.close_unconfirmed = true;
		render_petition(r, &u, binding, &p, 422, &f);
		return;
	}
	if (a == ACT_DELETE) {
		delete_draft(r, &u, &p, v[S_CONFIRM].checked);
		return;
	}
	if (v[S_NOTE].err != FORM_OK && !actions[a].note_required) {
		/* Only the victory form shows a note to correct. */
		page_error(r, 422, form_error_key(v[S_NOTE].err));
		return;
	}
	if (v[S_NOTE].err != FORM_OK ||
	    (actions[a].note_required && v[S_NOTE].len == 0)) {
		f.note = v[S_NOTE].err == FORM_BAD_TEXT ? "" : v[S_NOTE].s;
		f.note_err = v[S_NOTE].err == FORM_OK ?
		    "me_err_note" :
		    form_error_key(v[S_NOTE].err);
		render_petition(r, &u, binding, &p, 422, &f);
		return;
	}
	/* A conflict: someone moved it first. */
	if (page_petition_move(r, &p, u.id, actions[a].to, "", v[S_NOTE].s,
		"me", actions[a].name, "me_err_state") == -1)
		return;
	redirect_back(r, &p, "changed=1");
}
