/* page_start.c - starting a petition: the form, drafts, live preview and
 * submission for moderation. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "i18n.h"
#include "lifecycle.h"
#include "log.h"
#include "markdown.h"
#include "page.h"
#include "pagecache.h"
#include "petition.h"
#include "slug.h"
#include "utc.h"

#define TITLE_MAX 120	/* characters of a title */
#define TO_NAME_MAX 200 /* of a decision maker's name */
#define TO_DESC_MAX 300 /* of their description */
#define BODY_MAX 10000	/* of the text; a line break is one */
#define ROWS_MAX 10	/* decision makers a petition may name */
#define ROWS_SHOWN 1	/* rows a fresh form offers */
#define GOAL_DEFAULT 100
#define GOAL_MAX 10000000
#define SLUG_TRIES 100 /* slug, slug-2, … slug-100 */

enum start_field {
	S_CSRF,
	S_ACTION, /* which button: save, submit, preview */
	S_TITLE,
	S_BODY,
	S_GOAL,
	S_LANG,
	S_CLOSES,
	S_TO_NAME,			  /* S_TO_NAME + i: row i's name … */
	S_TO_DESC = S_TO_NAME + ROWS_MAX, /* … and description */
	S__MAX = S_TO_DESC + ROWS_MAX
};

enum start_action {
	A_SAVE,
	A_SUBMIT,
	A_PREVIEW,
	A_ADD, /* one more decision maker's row, without a script */
	A__MAX
};

static const char *const action_names[A__MAX] = {
	[A_SAVE] = "save",
	[A_SUBMIT] = "submit",
	[A_PREVIEW] = "preview",
	[A_ADD] = "add",
};

static bool
action_ok(const char *s, size_t len)
{
	int i;

	for (i = 0; i < A__MAX; i++)
		if (strlen(action_names[i]) == len &&
		    memcmp(action_names[i], s, len) == 0)
			return true;
	return false;
}

/* A whole number from 1 to GOAL_MAX, digits only. */
static bool
goal_ok(const char *s, size_t len)
{
	int64_t n = form_digits(s, len, 8);

	return n >= 1 && n <= GOAL_MAX;
}

/* One of the site's catalogue languages, exactly. */
static bool
lang_ok(const char *s, size_t len)
{
	const json_t *l;
	size_t i;

	json_array_foreach(i18n_languages(), i, l)
	{
		const char *code;

		code = json_string_value(json_object_get(l, "code"));
		if (code != NULL && strlen(code) == len &&
		    memcmp(code, s, len) == 0)
			return true;
	}
	return false;
}

/* YYYY-MM-DD of a day that exists; sets *day to its 00:00 UTC. */
static bool
date_parse(const char *s, size_t len, int64_t *day)
{
	struct tm tm, back;
	time_t t;
	int y, m, d;
	size_t i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < len; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* 2025-02-30 comes back as March: not a day that exists. */
	if (gmtime_r(&t, &back) == NULL || back.tm_mday != d ||
	    back.tm_mon != m - 1)
		return false;
	*day = (int64_t)t;
	return true;
}

static bool
date_ok(const char *s, size_t len)
{
	int64_t day;

	return date_parse(s, len, &day);
}

#define TO_ROW(i)                                                             \
	[S_TO_NAME + (i)-1] = { "to_name_" #i, FORM_LINE, TO_NAME_MAX, false, \
		NULL },                                                       \
		     [S_TO_DESC + (i)-1] = { "to_desc_" #i, FORM_LINE,        \
			     TO_DESC_MAX, false, NULL }

/* The form, declared: anything else in a POST is dropped. */
static const struct form_spec start_form[S__MAX] = {
	[S_CSRF] = PAGE_CSRF_FIELD,
	[S_ACTION] = { "action", FORM_LINE, 16, false, action_ok },
	[S_TITLE] = { "title", FORM_LINE, TITLE_MAX, true, NULL },
	[S_BODY] = { "body", FORM_TEXT, BODY_MAX, true, NULL },
	[S_GOAL] = { "goal", FORM_LINE, 16, false, goal_ok },
	[S_LANG] = { "lang", FORM_LINE, 16, true, lang_ok },
	[S_CLOSES] = { "closes", FORM_LINE, 16, false, date_ok },
	TO_ROW(1),
	TO_ROW(2),
	TO_ROW(3),
	TO_ROW(4),
	TO_ROW(5),
	TO_ROW(6),
	TO_ROW(7),
	TO_ROW(8),
	TO_ROW(9),
	TO_ROW(10),
};

/* The preview's form: the text and the token. */
enum preview_field { P_CSRF, P_BODY, P__MAX };

static const struct form_spec preview_form[P__MAX] = {
	[P_CSRF] = PAGE_CSRF_FIELD,
	[P_BODY] = { "body", FORM_TEXT, BODY_MAX, false, NULL },
};

/* What the form shows: values (as typed, or as stored), their errors
 * (catalogue keys) and what surrounds them. */
struct start_view {
	const char *title, *body, *goal, *lang, *closes;
	const char *name[ROWS_MAX], *desc[ROWS_MAX];
	const char *err[S__MAX];
	int nerr;
	const char *form_err; /* an error of no field */
	const char *preview;  /* rendered HTML, or NULL */
	bool saved;
	int rows; /* decision makers' rows to show at least */
};

/* The message key for a field's error; FORM_INVALID depends on the field. */
static const char *
error_key(int f, enum form_error e)
{
	if (e == FORM_OK)
		return NULL;
	if (e == FORM_BAD_TEXT)
		return "err_invalid_text";
	switch (f) {
	case S_TITLE:
		return e == FORM_MISSING ? "start_err_title_required" :
					   "start_err_title_long";
	case S_BODY:
		return e == FORM_MISSING ? "start_err_body_required" :
					   "start_err_body_long";
	case S_GOAL: return "start_err_goal";
	case S_LANG: return "start_err_lang";
	case S_CLOSES: return "start_err_closes_format";
	case S_CSRF:
	case S_ACTION: return NULL; /* answered before any field is looked at */
	default: break;
	}
	if (f >= S_TO_NAME && f < S_TO_DESC)
		return "start_err_to_name_long";
	return "start_err_to_desc_long";
}

/* "YYYY-MM-DD" of t (UTC) into the arena. */
static const char *
day_text(struct request *r, int64_t t)
{
	char s[UTC_CHARS];

	return arena_strdup(r->arena, utc_format(s, UTC_DAY, t));
}

/* The closing dates allowed now: from tomorrow (UTC) to the same day next
 * year, as the 00:00 UTC of each. */
static void
closes_range(int64_t now, int64_t *first, int64_t *last)
{
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	*first = (int64_t)timegm(&tm) + 86400;
	tm.tm_year++;
	*last = (int64_t)timegm(&tm);
}

/* A catalogue text in the reader's language (the key when it is
 * missing). */
static const char *
text(struct request *r, const char *key)
{
	const char *s = i18n_text(r->lang, key);

	return s != NULL ? s : key;
}

static const char *
row_legend(struct request *r, int i)
{
	struct msgfmt_arg n = MSGFMT_NUM("n", i + 1);
	const char *s = i18n_format(r->arena, r->lang, "start_to_legend", &n, 1);

	return s != NULL ? s : "";
}

/* One addressee row of the form. */
static json_t *
row_json(struct request *r, const struct start_view *sv, int i)
{
	const char *ne = sv->err[S_TO_NAME + i], *de = sv->err[S_TO_DESC + i];
	json_t *o;

	o = json_pack("{s:i, s:s, s:s, s:s, s:s}", "n", i + 1, "legend",
	    row_legend(r, i), "name", sv->name[i] ? sv->name[i] : "", "desc",
	    sv->desc[i] ? sv->desc[i] : "", "name_field",
	    start_form[S_TO_NAME + i].name);
	json_object_set_new(o, "desc_field",
	    json_string(start_form[S_TO_DESC + i].name));
	if (ne != NULL)
		json_object_set_new(o, "name_error", json_string(text(r, ne)));
	if (de != NULL)
		json_object_set_new(o, "desc_error", json_string(text(r, de)));
	return o;
}

/* Adds a line to the error summary: "Label: message", linking to the
 * field with id (NULL: no field). */
static void
summary_add(struct request *r, json_t *list, const char *id, const char *label,
    const char *key)
{
	json_t *o = json_pack("{s:s}", "text",
	    label != NULL ?
		arena_printf(r->arena, "%s: %s", label, text(r, key)) :
		text(r, key));

	if (id != NULL)
		json_object_set_new(o, "href",
		    json_string(arena_printf(r->arena, "#%s", id)));
	json_array_append_new(list, o);
}

/* Adds the errors of the decision makers' rows to the summary. */
static void
summary_rows(struct request *r, json_t *list, const struct start_view *sv)
{
	static const char *const labels[2] = { "start_to_name",
		"start_to_desc" };
	int i, j;

	for (i = 0; i < ROWS_MAX; i++)
		for (j = 0; j < 2; j++) {
			int f = (j == 0 ? S_TO_NAME : S_TO_DESC) + i;

			if (sv->err[f] != NULL)
				summary_add(r, list, start_form[f].name,
				    arena_printf(r->arena, "%s, %s",
					row_legend(r, i), text(r, labels[j])),
				    sv->err[f]);
		}
}

/* The form's template context. p is the petition being edited, NULL for a
 * new one. */
static json_t *
start_context(struct request *r, const char *binding, const struct petition *p,
    const struct start_view *sv)
{
	static const struct {
		int field;
		const char *label;
	} fields[] = {
		{ S_TITLE, "start_title_label" },
		{ S_BODY, "start_body_label" },
		{ S_GOAL, "start_goal_label" },
		{ S_LANG, "start_lang_label" },
		{ S_CLOSES, "start_closes_label" },
	};
	int64_t first, last;
	json_t *ctx, *o, *errors, *list, *rows, *extra, *langs, *l;
	const char *title;
	int i, shown = ROWS_SHOWN, filled = 0;
	size_t k;

	title = text(r, p != NULL ? "start_edit_title" : "start_title");
	ctx = page_context(r, title);
	closes_range((int64_t)time(NULL), &first, &last);
	o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:s}", "heading",
	    text(r, p != NULL ? "start_edit_heading" : "start_heading"),
	    "action",
	    p != NULL ? arena_printf(r->arena, "/me/p/%s/edit", p->slug) :
			"/start",
	    "csrf", page_form_token(r, binding), "is_edit", p != NULL, "saved",
	    sv->saved, "closes_min", day_text(r, first), "closes_max",
	    day_text(r, last));
	json_object_set_new(o, "values",
	    json_pack("{s:s, s:s, s:s, s:s}", "title",
		sv->title ? sv->title : "", "body", sv->body ? sv->body : "",
		"goal", sv->goal ? sv->goal : "", "closes",
		sv->closes ? sv->closes : ""));
	langs = json_array();
	json_array_foreach(i18n_languages(), k, l)
	{
		const char *code;

		code = json_string_value(json_object_get(l, "code"));
		json_array_append_new(langs,
		    json_pack("{s:s, s:O, s:b}", "code", code, "name",
			json_object_get(l, "name"), "selected",
			sv->lang != NULL && strcmp(code, sv->lang) == 0));
	}
	json_object_set_new(o, "text_langs", langs);

	/* Errors beside each field, and all of them in the summary, in the
	 * order of the form. */
	errors = json_object();
	list = json_array();
	if (sv->form_err != NULL)
		summary_add(r, list, NULL, NULL, sv->form_err);
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (sv->err[fields[k].field] != NULL)
			json_object_set_new(errors,
			    start_form[fields[k].field].name,
			    json_string(text(r, sv->err[fields[k].field])));
	/* The title, the decision makers, then the fields below them. */
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		if (k == 1)
			summary_rows(r, list, sv);
		if (sv->err[fields[k].field] != NULL)
			summary_add(r, list, start_form[fields[k].field].name,
			    text(r, fields[k].label), sv->err[fields[k].field]);
	}
	json_object_set_new(o, "errors", errors);
	if (json_array_size(list) > 0) {
		json_object_set_new(o, "has_errors", json_true());
		page_error_summary(r, o, "start_error_summary",
		    json_array_size(list));
	}
	json_object_set_new(o, "error_list", list);

	/* The form offers ROWS_SHOWN rows, or as many as are filled (or
	 * were asked for by "add another" without a script); the rest wait
	 * in <template>s for the script's "add another". */
	for (i = 0; i < ROWS_MAX; i++)
		if ((sv->name[i] && *sv->name[i]) ||
		    (sv->desc[i] && *sv->desc[i]) || sv->err[S_TO_NAME + i] ||
		    sv->err[S_TO_DESC + i])
			filled = i + 1;
	if (filled > shown)
		shown = filled;
	if (sv->rows > shown)
		shown = sv->rows > ROWS_MAX ? ROWS_MAX : sv->rows;
	rows = json_array();
	extra = json_array();
	for (i = 0; i < ROWS_MAX; i++)
		json_array_append_new(i < shown ? rows : extra,
		    row_json(r, sv, i));
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "extra_rows", extra);
	json_object_set_new(o, "has_extra", json_boolean(shown < ROWS_MAX));

	if (sv->preview != NULL)
		json_object_set_new(o, "preview_html", json_string(sv->preview));
	if (p != NULL && p->state == PETITION_DRAFT)
		json_object_set_new(o, "delete_action",
		    json_string(
			arena_printf(r->arena, "/me/p/%s/state", p->slug)));
	if (p != NULL && p->state == PETITION_REJECTED) {
		const char *label = i18n_text(r->lang,
		    arena_printf(r->arena, "mod_reason_%s",
			p->reason ? p->reason : ""));
		struct msgfmt_arg a = MSGFMT_STR("reason",
		    label ? label : text(r, "mod_reason_other"));
		const char *line = i18n_format(r->arena, r->lang,
		    "start_rejected_reason", &a, 1);

		json_object_set_new(o, "rejected",
		    json_pack("{s:s, s:s?}", "reason", line ? line : "", "note",
			p->note && *p->note ? p->note : NULL));
	}
	json_object_set_new(ctx, "start", o);
	return ctx;
}

static void
start_render(struct request *r, int status, const char *binding,
    const struct petition *p, const struct start_view *sv)
{
	page_render(r, status, "start", start_context(r, binding, p, sv));
	http_header_add(r, "Cache-Control", "no-store");
}

/* The view of a stored petition, for editing it. */
static void
view_from_petition(struct request *r, const struct petition *p,
    struct start_view *sv)
{
	size_t i;

	memset(sv, 0, sizeof(*sv));
	sv->title = p->title;
	sv->body = p->body_md;
	sv->goal = arena_printf(r->arena, "%lld", (long long)p->goal);
	sv->lang = p->lang;
	sv->closes = p->closes_at != 0 ? day_text(r, p->closes_at) : "";
	for (i = 0; i < p->nto && i < ROWS_MAX; i++) {
		sv->name[i] = p->to[i].name;
		sv->desc[i] = p->to[i].description;
	}
}

/* The view of a posted form: what was typed (but never bytes that failed
 * validation) and each field's error. */
static void
view_from_form(const struct form_value *v, struct start_view *sv)
{
	int i;

#define KEEP(f) (v[f].err == FORM_BAD_TEXT ? "" : v[f].s)
	memset(sv, 0, sizeof(*sv));
	sv->title = KEEP(S_TITLE);
	sv->body = KEEP(S_BODY);
	sv->goal = KEEP(S_GOAL);
	sv->lang = KEEP(S_LANG);
	sv->closes = KEEP(S_CLOSES);
	for (i = 0; i < ROWS_MAX; i++) {
		sv->name[i] = KEEP(S_TO_NAME + i);
		sv->desc[i] = KEEP(S_TO_DESC + i);
	}
#undef KEEP
	for (i = S_TITLE; i < S__MAX; i++)
		if ((sv->err[i] = error_key(i, v[i].err)) != NULL)
			sv->nerr++;
}

/* A petition that can no longer be edited: 409 with a page saying so. */
static void
start_locked(struct request *r)
{
	const char *title = text(r, "start_locked_title");
	json_t *ctx = page_context(r, title);

	json_object_set_new(ctx, "status", json_integer(409));
	json_object_set_new(ctx, "title", json_string(title));
	json_object_set_new(ctx, "message",
	    json_string(text(r, "start_locked_text")));
	page_render(r, 409, "error", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

/* Answers a store failure. */
static void
start_store_error(struct request *r, enum store_status st)
{
	if (st == STORE_UNAVAILABLE) {
		page_unavailable(r);
	} else {
		page_error(r, 500, "err_internal");
	}
}

/* Loads the petition of the path for its owner to edit. Returns 0, or -1
 * after replying: 404 for no such petition, 403 for anyone but its owner,
 * 409 when it is no longer a draft or rejected. */
static int
edit_load(struct request *r, const struct user *u, struct petition *p)
{
	enum store_status st;

	if ((st = store_petition_by_slug(site.store, r->arena, r->slug, p)) !=
	    STORE_OK) {
		if (st == STORE_NOTFOUND)
			page_error(r, 404, "err_not_found");
		else
			start_store_error(r, st);
		return -1;
	}
	if (p->owner_id == 0 || p->owner_id != u->id) {
		log_info("start", "slug=%s user=%lld result=not_owner", p->slug,
		    (long long)u->id);
		page_error(r, 403, "err_forbidden");
		return -1;
	}
	if (p->state != PETITION_DRAFT && p->state != PETITION_REJECTED) {
		start_locked(r);
		return -1;
	}
	return 0;
}

/* The checks no single field can make: at least one decision maker, no
 * description without a name, the closing date's range. */
static void
check_form(const struct form_value *v, struct start_view *sv)
{
	int64_t day, first, last;
	int i, named = 0;

	for (i = 0; i < ROWS_MAX; i++) {
		if (v[S_TO_NAME + i].len > 0)
			named++;
		else if (v[S_TO_DESC + i].len > 0 &&
		    v[S_TO_DESC + i].err == FORM_OK &&
		    sv->err[S_TO_NAME + i] == NULL) {
			sv->err[S_TO_NAME + i] = "start_err_to_desc_alone";
			sv->nerr++;
		}
	}
	if (named == 0 && sv->err[S_TO_NAME] == NULL) {
		sv->err[S_TO_NAME] = "start_err_to_required";
		sv->nerr++;
	}
	if (v[S_CLOSES].err == FORM_OK && v[S_CLOSES].len > 0 &&
	    date_parse(v[S_CLOSES].s, v[S_CLOSES].len, &day)) {
		closes_range((int64_t)time(NULL), &first, &last);
		if (day < first || day > last) {
			sv->err[S_CLOSES] = "start_err_closes_range";
			sv->nerr++;
		}
	}
}

/* Fills np from a checked form (strings stay in the arena). */
static int
petition_from_form(struct request *r, const struct form_value *v,
    const struct user *u, struct petition *np)
{
	int64_t day = 0;
	size_t n = 0;
	int i;

	memset(np, 0, sizeof(*np));
	np->title = v[S_TITLE].s;
	np->body_md = v[S_BODY].s;
	np->lang = v[S_LANG].s;
	np->goal =
	    v[S_GOAL].len > 0 ? strtoll(v[S_GOAL].s, NULL, 10) : GOAL_DEFAULT;
	if (v[S_CLOSES].len > 0 &&
	    date_parse(v[S_CLOSES].s, v[S_CLOSES].len, &day))
		np->closes_at = day + 86399; /* 23:59:59 UTC */
	np->state = PETITION_DRAFT;
	np->owner_id = u->id;
	np->created_at = np->updated_at = (int64_t)time(NULL);
	if ((np->to = arena_alloc(r->arena, ROWS_MAX * sizeof(*np->to))) == NULL)
		return -1;
	for (i = 0; i < ROWS_MAX; i++) {
		if (v[S_TO_NAME + i].len == 0)
			continue;
		np->to[n].name = v[S_TO_NAME + i].s;
		np->to[n].description = v[S_TO_DESC + i].s;
		n++;
	}
	np->nto = n;
	return 0;
}

/* Two sends of one form at once (a double click) on this node: the second
 * waits, then finds the first's petition. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

/* Inserts a new draft under the first free slug made from its title. */
static enum store_status
create_draft(struct request *r, struct petition *np)
{
	char base[SLUG_MAX + 1];
	enum store_status st = STORE_DUPLICATE;
	int i;

	(void)slug_from_title(np->title, strlen(np->title), base);
	for (i = 1; i <= SLUG_TRIES && st == STORE_DUPLICATE; i++) {
		np->slug = i == 1 ? arena_strdup(r->arena, base) :
				    arena_printf(r->arena, "%s-%d", base, i);
		if (np->slug == NULL)
			return STORE_ERROR;
		st = store_petition_create(site.store, np, &np->id);
	}
	if (st == STORE_DUPLICATE)
		log_warn("start", "slug=%s error=\"no free slug\"", base);
	return st;
}

/* What both POSTs share once the petition (p, NULL for a new one) and the
 * user are known and the form token is good. */
static void
start_handle(struct request *r, const struct user *u, const char *binding,
    struct petition *p, struct form_value *v)
{
	struct transition t;
	struct start_view sv;
	struct petition np;
	struct buf html;
	enum start_action act = A_SAVE;
	enum petition_state from;
	enum store_status st;
	int i;

	for (i = 0; i < A__MAX; i++)
		if (v[S_ACTION].err == FORM_OK && v[S_ACTION].len > 0 &&
		    strcmp(v[S_ACTION].s, action_names[i]) == 0)
			act = (enum start_action)i;
	view_from_form(v, &sv);
	check_form(v, &sv);
	if (act == A_ADD) {
		/* "Add another" without a script: the form again, as sent,
		 * with one more row, and no errors yet. */
		int sent = 0;

		for (i = 0; i < ROWS_MAX; i++)
			if (v[S_TO_NAME + i].present)
				sent = i + 1;
		memset(sv.err, 0, sizeof(sv.err));
		sv.nerr = 0;
		sv.rows = sent + 1;
		start_render(r, 200, binding, p, &sv);
		return;
	}
	if (act == A_PREVIEW) {
		/* A preview without a script: the form again, the rendered
		 * text below the text, and only the text's errors. */
		const char *body_err =
		    v[S_BODY].err == FORM_MISSING ? NULL : sv.err[S_BODY];

		memset(sv.err, 0, sizeof(sv.err));
		sv.err[S_BODY] = body_err;
		sv.nerr = body_err != NULL;
		buf_init(&html);
		if (body_err == NULL &&
		    markdown_render(v[S_BODY].s, v[S_BODY].len, &html) == 0)
			sv.preview = arena_strndup(r->arena,
			    html.data ? html.data : "", html.len);
		buf_reset(&html);
		start_render(r, body_err ? 422 : 200, binding, p, &sv);
		return;
	}
	if (sv.nerr > 0) {
		start_render(r, 422, binding, p, &sv);
		return;
	}
	if (petition_from_form(r, v, u, &np) == -1) {
		page_error(r, 500, "err_internal");
		return;
	}
	if (p == NULL) {
		enum petition_state same_state = PETITION_DRAFT;
		int64_t same_id = 0;
		const char *same_slug = NULL;

		/* The same form sent twice (a double click, a reload) keeps
		 * one petition: the second send saves the first's draft, or
		 * finds it submitted already. */
		pthread_mutex_lock(&create_lock);
		st = store_draft_same(site.store, r->arena, u->id, np.title,
		    np.body_md, &same_id, &same_slug, &same_state);
		if (st == STORE_OK && same_state == PETITION_PENDING) {
			pthread_mutex_unlock(&create_lock);
			log_info("start", "slug=%s user=%lld result=resent",
			    same_slug, (long long)u->id);
			page_see_other(r,
			    arena_printf(r->arena, "/me/p/%s", same_slug));
			return;
		}
		if (st == STORE_OK) {
			np.id = same_id;
			np.slug = same_slug;
			st = store_petition_update(site.store, &np);
		} else if (st == STORE_NOTFOUND)
			st = create_draft(r, &np);
		pthread_mutex_unlock(&create_lock);
		from = PETITION_DRAFT;
	} else {
		np.id = p->id;
		np.slug = p->slug;
		np.state = p->state;
		st = store_petition_update(site.store, &np);
		from = p->state;
	}
	if (st == STORE_NOTFOUND) {
		/* Moved on (submitted, approved) since it was loaded. */
		start_locked(r);
		return;
	}
	if (st != STORE_OK) {
		log_warn("start", "user=%lld error=\"save failed\" status=%s",
		    (long long)u->id, store_status_name(st));
		start_store_error(r, st);
		return;
	}
	pagecache_invalidate(np.id);
	log_info("start", "slug=%s user=%lld result=%s", np.slug,
	    (long long)u->id, p == NULL ? "created" : "saved");
	if (act == A_SAVE) {
		page_see_other(r,
		    arena_printf(r->arena, "/me/p/%s/edit?saved=1", np.slug));
		return;
	}
	if (u->verified_at == 0) {
		/* Saved, but not sent: the form again, now the draft's, with
		 * the request to verify the address first. */
		np.state = from;
		np.reason = p != NULL ? p->reason : "";
		np.note = p != NULL ? p->note : "";
		sv.saved = true;
		sv.form_err = "start_err_verify";
		start_render(r, 403, binding, &np, &sv);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.petition_id = np.id;
	t.from = from;
	t.to = PETITION_PENDING;
	t.actor = page_actor(r, u->id);
	t.reason = "";
	t.note = "";
	t.at = (int64_t)time(NULL);
	/* Moved on since it was loaded, or not a state that submits. */
	st = lifecycle_move(site.store, &t);
	if (st == STORE_NOTFOUND) {
		start_locked(r);
		return;
	}
	if (st != STORE_OK) {
		start_store_error(r, st);
		return;
	}
	log_info("start", "slug=%s user=%lld result=submitted", np.slug,
	    (long long)u->id);
	page_see_other(r, arena_printf(r->arena, "/me/p/%s", np.slug));
}

/* Ends each value at its length: trimming shortens len, not the string.
 * Returns 0, or -1 when out of memory. */
static int
form_terminate(struct request *r, struct form_value *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((v[i].s = arena_strndup(r->arena, v[i].s, v[i].len)) == NULL)
			return -1;
	return 0;
}

/* The checks every POST of the form makes first: a signed-in user, a form
 * body, a good token, the rate limit (but for a preview). Returns 0 with
 * u, binding and v filled, or -1 after replying. */
static int
start_post_begin(struct request *r, struct user *u, char binding[33],
    struct form_value *v)
{
	if (page_post_begin(r, ROLE_STARTER, u, binding, start_form, S__MAX, v,
		S_CSRF) == -1)
		return -1;
	if (form_terminate(r, v, S__MAX) == -1) {
		page_error(r, 500, "err_internal");
		return -1;
	}
	/* A preview without a script stores nothing: like POST /preview, it
	 * is not limited. */
	if (v[S_ACTION].err == FORM_OK &&
	    (strcmp(v[S_ACTION].s, action_names[A_PREVIEW]) == 0 ||
		strcmp(v[S_ACTION].s, action_names[A_ADD]) == 0))
		return 0;
	return page_rate_check(r, 0);
}

void
page_start_show(struct request *r)
{
	struct start_view sv;
	char binding[33];
	struct user u;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1)
		return;
	memset(&sv, 0, sizeof(sv));
	sv.goal = arena_printf(r->arena, "%d", GOAL_DEFAULT);
	sv.lang = r->lang;
	start_render(r, 200, binding, NULL, &sv);
}

void
page_start_post(struct request *r)
{
	struct form_value v[S__MAX];
	char binding[33];
	struct user u;

	if (start_post_begin(r, &u, binding, v) == -1)
		return;
	start_handle(r, &u, binding, NULL, v);
}

void
page_edit_show(struct request *r)
{
	struct start_view sv;
	struct petition p;
	char binding[33];
	struct user u;
	const char *saved = http_query(r, "saved");

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1)
		return;
	if (edit_load(r, &u, &p) == -1)
		return;
	view_from_petition(r, &p, &sv);
	sv.saved = saved != NULL && strcmp(saved, "1") == 0;
	start_render(r, 200, binding, &p, &sv);
}

void
page_edit_post(struct request *r)
{
	struct form_value v[S__MAX];
	struct petition p;
	char binding[33];
	struct user u;

	if (start_post_begin(r, &u, binding, v) == -1)
		return;
	if (edit_load(r, &u, &p) == -1)
		return;
	start_handle(r, &u, binding, &p, v);
}

void
page_preview(struct request *r)
{
	struct form_value v[P__MAX];
	const char *msg;
	char binding[33];
	struct user u;

	if (page_post_begin(r, ROLE_STARTER, &u, binding, preview_form, P__MAX,
		v, P_CSRF) == -1)
		return;
	if (form_terminate(r, v, P__MAX) == -1) {
		page_error(r, 500, "err_internal");
		return;
	}
	/* Nothing is stored, so no rate limit: a preview follows typing. */
	buf_reset(&r->out);
	r->content_type = "text/html; charset=utf-8";
	http_header_add(r, "Cache-Control", "no-store");
	if (v[P_BODY].err != FORM_OK) {
		msg = text(r,
		    v[P_BODY].err == FORM_BAD_TEXT ? "err_invalid_text" :
						     "start_err_body_long");
		buf_puts(&r->out, "<p class=\"notice\">");
		buf_append_html(&r->out, msg, strlen(msg));
		buf_puts(&r->out, "</p>\n");
		r->status = 422;
		return;
	}
	if (markdown_render(v[P_BODY].s, v[P_BODY].len, &r->out) == -1) {
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
}
