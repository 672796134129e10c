/* page_petition.c - the petition page, its JSON, signing and thanks. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "chart.h"
#include "counts.h"
#include "crypto.h"
#include "email.h"
#include "form.h"
#include "guard.h"
#include "i18n.h"
#include "log.h"
#include "loghead.h"
#include "mail_letter.h"
#include "mail_outbox.h"
#include "markdown.h"
#include "page.h"
#include "pagecache.h"
#include "paper.h"
#include "pow.h"
#include "signq.h"
#include "social.h"
#include "translog.h"
#include "utc.h"
#include "worker.h"

enum sign_field {
	F_WEBSITE, /* the honeypot: hidden from people */
	F_FIRST_NAME,
	F_LAST_NAME,
	F_EMAIL,
	F_COUNTRY,
	F_COMMENT,
	F_PUBLIC,
	F_PUBLIC_COMMENT,
	F_UPDATES,
	F_CSRF,
	F_POW,	     /* the proof-of-work challenge … */
	F_POW_NONCE, /* … and the script's answer */
	F__MAX
};

static bool
country_ok(const char *s, size_t len)
{
	return i18n_country_valid(s, len);
}

/* The sign form, declared: anything else in a POST is dropped. */
static const struct form_spec sign_form[F__MAX] = {
	[F_WEBSITE] = { "website", FORM_CHECKBOX, 0, false, NULL },
	[F_FIRST_NAME] = { "first_name", FORM_LINE, 100, true, NULL },
	[F_LAST_NAME] = { "last_name", FORM_LINE, 100, true, NULL },
	[F_EMAIL] = { "email", FORM_LINE, EMAIL_MAX, true, email_valid },
	[F_COUNTRY] = { "country", FORM_LINE, 2, true, country_ok },
	[F_COMMENT] = { "comment", FORM_TEXT, 500, false, NULL },
	[F_PUBLIC] = { "public", FORM_CHECKBOX, 0, false, NULL },
	[F_PUBLIC_COMMENT] = { "public_comment", FORM_CHECKBOX, 0, false, NULL },
	[F_UPDATES] = { "updates", FORM_CHECKBOX, 0, false, NULL },
	[F_CSRF] = PAGE_CSRF_FIELD,
	[F_POW] = { "pow", FORM_TOKEN, 200, false, NULL },
	[F_POW_NONCE] = { "pow_nonce", FORM_TOKEN, 20, false, NULL },
};

/* The message key for a field's error; FORM_INVALID depends on the field. */
static const char *
error_key(enum sign_field f, enum form_error e)
{
	if (e != FORM_INVALID)
		return form_error_key(e);
	return f == F_EMAIL ? "err_email" :
	    f == F_COUNTRY  ? "err_country" :
			      "err_invalid_text";
}

/* The share buttons' links: each a prefix and a value percent-encoded,
 * then perhaps (mid not NULL) more text and the other value encoded. */
static json_t *
share_links(struct request *r, const char *url, const char *title)
{
	enum { TITLE, URL };
	static const struct {
		const char *name, *prefix;
		int first;
		const char *mid;
		int second;
	} links[] = {
		{ "email", "mailto:?subject=", TITLE, "&body=", URL },
		{ "telegram", "https://t.me/share/url?url=", URL,
		    "&text=", TITLE },
		{ "whatsapp", "https://wa.me/?text=", TITLE, "%20", URL },
		{ "facebook", "https://www.facebook.com/sharer/sharer.php?u=",
		    URL, NULL, URL },
		{ "x", "https://x.com/intent/tweet?url=", URL, "&text=", TITLE },
	};
	const char *val[2] = { title, url };
	json_t *share = json_object();
	struct buf b;
	size_t i;

	(void)r;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		buf_init(&b);
		buf_puts(&b, links[i].prefix);
		buf_append_urlenc(&b, val[links[i].first],
		    strlen(val[links[i].first]));
		if (links[i].mid != NULL) {
			buf_puts(&b, links[i].mid);
			buf_append_urlenc(&b, val[links[i].second],
			    strlen(val[links[i].second]));
		}
		json_object_set_new(share, links[i].name,
		    json_stringn(b.data, b.len));
		buf_reset(&b);
	}
	return share;
}

/* The snippets of the page's "Embed" box: the widget's iframe (the title
 * escaped for the embedding page; the template escapes it all again for
 * this one) and the count badge in Markdown. */
static json_t *
embed_snippets(struct request *r, const char *url, const char *title)
{
	const char *label = i18n_text(r->lang, "badge_label");
	struct buf b;
	json_t *o;

	buf_init(&b);
	buf_printf(&b,
	    "<iframe src=\"%s/embed?lang=%s\" width=\"360\" "
	    "height=\"230\" style=\"border:0;max-width:100%%\" "
	    "title=\"",
	    url, r->lang);
	buf_append_html(&b, title, strlen(title));
	buf_puts(&b, "\" loading=\"lazy\"></iframe>");
	o = json_pack("{s:s%}", "widget", buf_ok(&b) ? b.data : "",
	    buf_ok(&b) ? b.len : 0);
	buf_reset(&b);
	buf_printf(&b, "[![%s](%s/badge.svg?lang=%s)](%s)",
	    label ? label : "signatures", url, r->lang, url);
	json_object_set_new(o, "badge",
	    json_stringn(buf_ok(&b) ? b.data : "", buf_ok(&b) ? b.len : 0));
	buf_reset(&b);
	return o;
}

/* How long a rendered petition page is reused before it is rendered
 * again from the store (edits in this process invalidate it at once). */
#define PAGE_TTL 5

/* A still-pending signer who signs again gets the link again, at most this
 * often. */
#define SIGN_RESEND_SECONDS 600

/* The values that change between two requests for the same page, as the
 * page shows them. Strings from the arena; a missing one is "". */
/* What a thread made last of some of a page's live values, and the key
 * they were made for (numbers and the reader's language): a hot page is
 * asked for thousands of times a second, mostly with the same key. */
/* The values a memo keeps: those before the header's link, which are the
 * same for every reader. */
#define LIVE_MEMO LIVE_ACCOUNT_HREF

struct memo {
	bool valid;
	int64_t key[5];
	char lang[16];
	char v[LIVE_MEMO][320];
};

/* live_values()'s: within one second, for one petition, language and
 * count, the values before the header's link are the same. */
static _Thread_local struct memo memo;

/* True when m holds n values made for key[nkey] and lang: out[0..n) then
 * point at them. */
static bool
memo_get(const struct memo *m, const int64_t *key, size_t nkey,
    const char *lang, const char **out, size_t n)
{
	size_t i;

	if (!m->valid || memcmp(m->key, key, nkey * sizeof(*key)) != 0 ||
	    strcmp(m->lang, lang) != 0)
		return false;
	for (i = 0; i < n; i++)
		out[i] = m->v[i];
	return true;
}

/* Keeps copies of v[0..n) in m for key[nkey] and lang; m holds nothing
 * when one does not fit. */
static void
memo_put(struct memo *m, const int64_t *key, size_t nkey, const char *lang,
    const char *const *v, size_t n)
{
	size_t i;

	m->valid = false;
	if (strlen(lang) >= sizeof(m->lang))
		return;
	for (i = 0; i < n; i++) {
		if (strlen(v[i]) >= sizeof(m->v[i]))
			return;
		strcpy(m->v[i], v[i]);
	}
	strcpy(m->lang, lang);
	memcpy(m->key, key, nkey * sizeof(*key));
	m->valid = true;
}

static void live_compute(struct request *r, int64_t count, int64_t goal,
    int64_t created_at, time_t now, const char *live[LIVE__MAX]);

/* The goal the page counts towards: none (0) once the petition has ended
 * (closed or won). */
static int64_t
shown_goal(enum petition_state st, int64_t goal)
{
	return st == PETITION_CLOSED || st == PETITION_VICTORY ? 0 : goal;
}

/* live_log()'s, for one petition, language and head. */
static _Thread_local struct memo log_memo;

/* The "Verifiable count" line's values: the newest signed head's size and
 * time, as get-sth gives them (before the first head, the empty tree at
 * log_since, the petition's creation). All "" when the store cannot say. */
static void
live_log(struct request *r, int64_t petition_id, int64_t log_since,
    const char *live[LIVE__MAX])
{
	int64_t size = 0, timestamp = log_since * 1000, key[3];
	struct msgfmt_arg a;
	char iso[UTC_CHARS];
	const char *v[3];
	int i;

	live[LIVE_LOG_SIZE_TEXT] = live[LIVE_LOG_TIME] =
	    live[LIVE_LOG_TIME_TEXT] = "";
	if (loghead_shown(site.store, petition_id, loghead_now_ms(), &size,
		&timestamp) == -1)
		return;
	key[0] = petition_id;
	key[1] = size;
	key[2] = timestamp;
	if (memo_get(&log_memo, key, 3, r->lang, &live[LIVE_LOG_SIZE_TEXT], 3))
		return;
	a = MSGFMT_NUM("size", size);
	v[0] = i18n_format(r->arena, r->lang, "log_line_size", &a, 1);
	v[1] =
	    arena_strdup(r->arena, utc_format(iso, UTC_ISO, timestamp / 1000));
	a = (struct msgfmt_arg){ .name = "time",
		.type = MSGFMT_DATE,
		.num = (double)timestamp };
	v[2] = i18n_format(r->arena, r->lang, "log_line_time", &a, 1);
	for (i = 0; i < 3; i++) {
		if (v[i] == NULL)
			return;
		live[LIVE_LOG_SIZE_TEXT + i] = v[i];
	}
	memo_put(&log_memo, key, 3, r->lang, v, 3);
}

/* Every live value of a petition page; log_since is the petition's
 * creation (unix time), when its empty log's head is dated. */
static void
live_values(struct request *r, int64_t petition_id, int64_t count, int64_t goal,
    int64_t created_at, int64_t log_since, const char *live[LIVE__MAX])
{
	time_t now = time(NULL);
	const int64_t key[5] = { petition_id, count, goal, created_at, now };

	if (!memo_get(&memo, key, 5, r->lang, live, LIVE_MEMO)) {
		live_compute(r, count, goal, created_at, now, live);
		memo_put(&memo, key, 5, r->lang, live, LIVE_MEMO);
	}
	page_account_link(r, &live[LIVE_ACCOUNT_HREF], &live[LIVE_ACCOUNT_TEXT]);
	live_log(r, petition_id, log_since, live);
}

static void
live_compute(struct request *r, int64_t count, int64_t goal, int64_t created_at,
    time_t now, const char *live[LIVE__MAX])
{
	/* goal 0: a closed or won petition, with no next goal. */
	int64_t next = goal > 0 ? petition_next_goal(count, goal) : count;
	struct msgfmt_arg args[2] = {
		MSGFMT_NUM("count", count),
		MSGFMT_NUM("goal", next),
	};
	struct msgfmt_arg when[2] = {
		{ .name = "date",
		    .type = MSGFMT_DATE,
		    .num = (double)created_at * 1000.0 },
		{ .name = "ago", .type = MSGFMT_STRING },
	};
	struct buf tok;
	int i;

	live[LIVE_COUNT] = arena_printf(r->arena, "%lld", (long long)count);
	live[LIVE_COUNT_TEXT] = i18n_number(r->arena, r->lang, count);
	live[LIVE_NEXT_GOAL] = arena_printf(r->arena, "%lld", (long long)next);
	live[LIVE_NEXT_GOAL_TEXT] = i18n_number(r->arena, r->lang, next);
	live[LIVE_COUNT_LINE] = i18n_format(r->arena, r->lang,
	    goal > 0 ? "count_line" : "count_line_ended", args, 2);
	live[LIVE_PROGRESS] =
	    arena_printf(r->arena, "%d", petition_progress(count, next));
	when[1].str = i18n_relative(r->arena, r->lang, created_at - now);
	live[LIVE_STARTED] =
	    i18n_format(r->arena, r->lang, "petition_started", when, 2);
	buf_init(&tok);
	crypto_csrf_token(&tok, "", now);
	live[LIVE_CSRF] = buf_to_arena(&tok, r->arena);
	for (i = 0; i < LIVE_MEMO; i++)
		if (live[i] == NULL)
			live[i] = "";
}

/* Markers in place of the live values, for a render that is cached. */
static void
live_markers(struct request *r, const char *live[LIVE__MAX])
{
	char m[8];
	int i;

	for (i = 0; i < LIVE__MAX; i++) {
		pagecache_marker((enum live)i, m);
		live[i] = arena_strdup(r->arena, m);
	}
}

/* The numbers of a petition as the page shows them. */
static void
petition_numbers(json_t *o, const char *const live[LIVE__MAX])
{
	json_object_set_new(o, "count", json_string(live[LIVE_COUNT]));
	json_object_set_new(o, "count_text", json_string(live[LIVE_COUNT_TEXT]));
	json_object_set_new(o, "next_goal", json_string(live[LIVE_NEXT_GOAL]));
	json_object_set_new(o, "next_goal_text",
	    json_string(live[LIVE_NEXT_GOAL_TEXT]));
	json_object_set_new(o, "count_line", json_string(live[LIVE_COUNT_LINE]));
	json_object_set_new(o, "progress", json_string(live[LIVE_PROGRESS]));
	json_object_set_new(o, "started", json_string(live[LIVE_STARTED]));
	json_object_set_new(o, "log_size_text",
	    json_string(live[LIVE_LOG_SIZE_TEXT]));
	json_object_set_new(o, "log_time", json_string(live[LIVE_LOG_TIME]));
	json_object_set_new(o, "log_time_text",
	    json_string(live[LIVE_LOG_TIME_TEXT]));
}

/* Puts the reader's translation of the petition's title and text in place
 * of the original when there is one; otherwise returns a note, in the
 * reader's language, that the original is shown. */
static const char *
petition_localise(struct request *r, struct petition *p)
{
	struct translation t;
	struct msgfmt_arg arg = { .name = "language", .type = MSGFMT_STRING };

	if (strcmp(r->lang, p->lang) == 0)
		return NULL;
	switch (store_petition_translation(site.store, r->arena, p->id, r->lang,
	    &t)) {
	case STORE_OK:
		p->title = t.title;
		p->body_md = t.body_md;
		p->lang = t.lang;
		return NULL;
	case STORE_NOTFOUND: break;
	default:
		log_warn("petition",
		    "slug=%s lang=%s error=\"translation lookup "
		    "failed\"",
		    p->slug, r->lang);
		break;
	}
	arg.str = i18n_language_name(r->arena, r->lang, p->lang);
	return i18n_format(r->arena, r->lang, "shown_in_original", &arg, 1);
}

/* What moderators removed, by reason, for the public: no personal data,
 * just how many and why. */
static void
petition_removals(struct request *r, const struct petition *p, json_t *o)
{
	struct removal_row *rows;
	json_t *list;
	size_t n, i;

	if (store_removals(site.store, r->arena, p->id, &rows, &n) != STORE_OK ||
	    n == 0)
		return;
	list = json_array();
	for (i = 0; i < n; i++) {
		const char *reason = i18n_text(r->lang,
		    arena_printf(r->arena, "reason_%s", rows[i].reason));
		struct msgfmt_arg args[2] = {
			MSGFMT_NUM("n", rows[i].n),
			MSGFMT_STR("reason", reason ? reason : rows[i].reason),
		};
		const char *line =
		    i18n_format(r->arena, r->lang, "removed_line", args, 2);

		if (line != NULL)
			json_array_append_new(list,
			    json_pack("{s:s}", "line", line));
	}
	json_object_set_new(o, "removals", list);
	json_object_set_new(o, "has_removals",
	    json_boolean(json_array_size(list) > 0));
}

/* A hidden petition answers 410 Gone with the moderators' reason. */
static void
hidden_page(struct request *r, const struct petition *p)
{
	const char *label = i18n_text(r->lang,
	    arena_printf(r->arena, "mod_reason_%s", p->reason));
	struct msgfmt_arg arg = MSGFMT_STR("reason",
	    label ? label : i18n_text(r->lang, "mod_reason_other"));
	const char *msg =
	    i18n_format(r->arena, r->lang, "petition_hidden", &arg, 1);
	const char *title = i18n_text(r->lang, "title_removed");
	json_t *ctx = page_context(r, title);

	/* Headed as what happened, not as an error of the site. */
	json_object_set_new(ctx, "status", json_integer(410));
	json_object_set_new(ctx, "title", json_string(title ? title : ""));
	json_object_set_new(ctx, "message", json_string(msg ? msg : "410"));
	page_render(r, 410, "error", ctx);
}

/* The petition's updates, newest first, and the decision makers'
 * responses apart, each with its text rendered. */
static void
petition_updates(struct request *r, const struct petition *p, json_t *o)
{
	struct update *u;
	json_t *news, *responses;
	size_t n, i;
	struct buf b;

	if (store_update_list(site.store, r->arena, p->id, &u, &n) != STORE_OK)
		return;
	news = json_array();
	responses = json_array();
	for (i = 0; i < n; i++) {
		struct msgfmt_arg when = { .name = "date",
			.type = MSGFMT_DATE,
			.num = (double)u[i].created_at * 1000.0 };
		json_t *e;

		buf_init(&b);
		if (markdown_render(u[i].body_md, strlen(u[i].body_md), &b) ==
			-1 ||
		    !buf_ok(&b)) {
			buf_reset(&b);
			continue;
		}
		e = json_pack("{s:s, s:s%, s:s, s:I}", "title", u[i].title,
		    "body_html", b.data, b.len, "date",
		    i18n_format(r->arena, r->lang, "update_date", &when, 1),
		    "id", (json_int_t)u[i].id);
		buf_reset(&b);
		if (e == NULL)
			continue;
		if (u[i].kind == UPDATE_RESPONSE) {
			json_object_set_new(e, "author",
			    json_string(u[i].author));
			json_array_append_new(responses, e);
		} else
			json_array_append_new(news, e);
	}
	json_object_set_new(o, "has_updates",
	    json_boolean(json_array_size(news) > 0));
	json_object_set_new(o, "updates", news);
	json_object_set_new(o, "has_responses",
	    json_boolean(json_array_size(responses) > 0));
	json_object_set_new(o, "responses", responses);
}

/* spread: public counts by country. A country with fewer confirmed
 * signatures than this is counted with the others, so a lone signer's
 * country is not told; past the first COUNTRY_TOP the rest are too. */
#define COUNTRY_MIN 3
#define COUNTRY_TOP 10

/* The table and the bar chart of confirmed signatures by country, names in
 * the reader's language: countries, has_countries, countries_svg. */
static void
petition_countries(struct request *r, const struct petition *p, json_t *o)
{
	struct chart_bar bars[COUNTRY_TOP + 1];
	struct country_row *rows;
	struct chart_text t;
	struct buf svg;
	int64_t other = 0;
	size_t n, i, k = 0;
	json_t *list;

	if (store_petition_countries(site.store, r->arena, p->id, &rows, &n) !=
	    STORE_OK)
		return;
	for (i = 0; i < n; i++) {
		const char *name = i18n_country_name(r->lang, rows[i].country);

		if (rows[i].n < COUNTRY_MIN || k == COUNTRY_TOP ||
		    name == NULL) {
			other += rows[i].n;
			continue;
		}
		bars[k].label = name;
		bars[k].n = rows[i].n;
		bars[k].n_text = i18n_number(r->arena, r->lang, rows[i].n);
		k++;
	}
	/* "Other countries" alone tells nothing: the section waits for a
	 * country of its own (and so does not appear, moving the page, at
	 * the first signatures). */
	if (k == 0)
		return;
	if (other > 0) {
		bars[k].label = i18n_text(r->lang, "countries_other");
		bars[k].n = other;
		bars[k].n_text = i18n_number(r->arena, r->lang, other);
		k++;
	}
	list = json_array();
	for (i = 0; i < k; i++)
		json_array_append_new(list,
		    json_pack("{s:s, s:s}", "name",
			bars[i].label ? bars[i].label : "", "n",
			bars[i].n_text ? bars[i].n_text : ""));
	json_object_set_new(o, "countries", list);
	json_object_set_new(o, "has_countries", json_true());
	memset(&t, 0, sizeof(t));
	t.id = "countries-chart";
	t.title = i18n_text(r->lang, "countries_chart_title");
	buf_init(&svg);
	if (chart_bars_svg(&svg, bars, k, &t) > 0 && buf_ok(&svg))
		json_object_set_new(o, "countries_svg",
		    json_stringn(svg.data, svg.len));
	buf_reset(&svg);
}

/* social proof: the newest signers who agreed to show their name (first
 * name and country), newest first: recent, has_recent. The live events
 * bring newer ones to an open page (static/social.js). */
static void
petition_recent(struct request *r, const struct petition *p, json_t *o)
{
	struct social_recent rs;
	json_t *list;
	size_t i;

	if (social_recent_load(site.store, p->id, &rs) == -1)
		return;
	list = json_array();
	for (i = 0; i < rs.n; i++) {
		const char *cn = i18n_country_name(r->lang, rs.s[i].country);

		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:s}", "name", rs.s[i].name,
			"country", rs.s[i].country, "country_name",
			cn ? cn : rs.s[i].country));
	}
	json_object_set_new(o, "recent", list);
	json_object_set_new(o, "has_recent", json_boolean(rs.n > 0));
}

/* Delivery: the public clock, "Delivered to … N days ago — no response
 * yet", until a response is shown. */
static void
petition_clock(struct request *r, const struct petition *p, json_t *o)
{
	struct delivery *ds;
	struct buf names;
	size_t n, i;
	int64_t days;

	if (json_is_true(json_object_get(o, "has_responses")) ||
	    store_deliveries(site.store, r->arena, p->id, &ds, &n) != STORE_OK ||
	    n == 0)
		return;
	buf_init(&names);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&names, ", ");
		buf_puts(&names, ds[i].name);
	}
	days = ((int64_t)time(NULL) - ds[0].created_at) / 86400;
	{
		struct msgfmt_arg a[2] = {
			MSGFMT_STR("names",
			    buf_ok(&names) && names.data ? names.data : ""),
			MSGFMT_NUM("days", days < 0 ? 0 : days),
		};
		const char *s =
		    i18n_format(r->arena, r->lang, "clock_no_response", a, 2);

		if (s != NULL)
			json_object_set_new(o, "clock", json_string(s));
	}
	buf_reset(&names);
}

/* Who started the petition, how its life went (victory, closed, closing
 * date). */
static void
petition_life(struct request *r, const struct petition *p, json_t *o)
{
	int64_t now = (int64_t)time(NULL);

	if (p->owner_name != NULL && *p->owner_name) {
		struct msgfmt_arg a = MSGFMT_STR("name", p->owner_name);

		json_object_set_new(o, "started_by",
		    json_string(i18n_format(r->arena, r->lang,
			"petition_started_by", &a, 1)));
	}
	if (p->state == PETITION_VICTORY) {
		json_object_set_new(o, "victory", json_true());
		if (p->note != NULL && *p->note)
			json_object_set_new(o, "victory_note",
			    json_string(p->note));
	}
	if (p->closes_at != 0) {
		struct msgfmt_arg a = { .name = "date",
			.type = MSGFMT_DATE,
			.num = (double)p->closes_at * 1000.0 };

		json_object_set_new(o, "closes_line",
		    json_string(i18n_format(r->arena, r->lang,
			now < p->closes_at ? "petition_closes" :
					     "petition_closed_on",
			&a, 1)));
	}
	/* privacy: when its signers' personal data goes (retain.c). A
	 * closed petition moved there at updated_at. */
	if (p->state == PETITION_CLOSED || p->state == PETITION_VICTORY) {
		int64_t at = p->updated_at + site.retain_days * 86400;
		struct msgfmt_arg a[2] = {
			{ .name = "date",
			    .type = MSGFMT_DATE,
			    .num = (double)at * 1000.0 },
			MSGFMT_NUM("days", site.retain_days),
		};

		json_object_set_new(o, "retention_line",
		    json_string(i18n_format(r->arena, r->lang,
			now < at ? "privacy_retention_future" :
				   "privacy_retention_past",
			a, 2)));
	}
}

static json_t *
petition_context(struct request *r, struct petition *p, bool body,
    const char *const live[LIVE__MAX])
{
	const char *url = page_url(r, arena_printf(r->arena, "/p/%s", p->slug));
	/* Addressees are not translated: they keep the original's language. */
	const char *to_lang = p->lang;
	const char *note = petition_localise(r, p);
	json_t *o, *to;
	struct buf b;
	size_t i;

	to = json_array();
	for (i = 0; i < p->nto; i++) {
		json_t *a = json_pack("{s:s}", "name", p->to[i].name);

		if (p->to[i].description && *p->to[i].description)
			json_object_set_new(a, "description",
			    json_string(p->to[i].description));
		json_array_append_new(to, a);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:I}", "slug",
	    p->slug, "title", p->title, "url", url, "lang", p->lang, "to", to,
	    "is_open", petition_is_open(p, (int64_t)time(NULL)), "share",
	    share_links(r, url, p->title), "goal", (json_int_t)p->goal);
	if (note != NULL)
		json_object_set_new(o, "original_note", json_string(note));
	json_object_set_new(o, "to_lang", json_string(to_lang));
	json_object_set_new(o, "ended",
	    json_boolean(shown_goal(p->state, 1) == 0));
	json_object_set_new(o, "embed", embed_snippets(r, url, p->title));
	{
		/* The starter's image (page_image.c), when there is one. */
		json_t *img = page_image_json(r, p->slug, p->id);

		if (img != NULL)
			json_object_set_new(o, "image", img);
	}
	petition_removals(r, p, o);
	petition_life(r, p, o);
	if (body) {
		petition_updates(r, p, o);
		petition_clock(r, p, o);
	}
	if (body) {
		petition_countries(r, p, o);
		petition_recent(r, p, o);
		page_comments_public(r, p, o);
	}
	petition_numbers(o, live);
	buf_init(&b);
	if (body && markdown_render(p->body_md, strlen(p->body_md), &b) == 0)
		json_object_set_new(o, "body_html", json_stringn(b.data, b.len));
	buf_reset(&b);
	if (markdown_summary(p->body_md, strlen(p->body_md), 200, &b) == 0)
		json_object_set_new(o, "description",
		    json_stringn(b.data, b.len));
	buf_reset(&b);
	return o;
}

/* The sign form's countries in a language, none selected and without
 * choice markers: made once per language and request thread, and shared by
 * that thread's requests that render the form themselves (a 422, a
 * signed-in reader), which before built some 250 objects each time. Per
 * thread, because jansson's reference counts are not safe to share. */
#define PLAIN_LANGS 16
struct plain_set {
	const json_t *src[PLAIN_LANGS]; /* i18n_countries() of a language */
	json_t *made[PLAIN_LANGS];
};

/* At a request thread's end: its lists go. */
static void
plain_gone(void *arg)
{
	struct plain_set *set = arg;
	size_t k;

	for (k = 0; k < PLAIN_LANGS; k++)
		json_decref(set->made[k]);
	free(set);
}

static struct worker_local plain_local = WORKER_LOCAL(plain_gone);

/* This thread's list for lang. Returns it borrowed, or NULL (out of
 * memory, or more languages than kept): make it afresh. */
static const json_t *
countries_plain(const char *lang)
{
	const json_t *src = i18n_countries(lang), *c;
	struct plain_set *set;
	json_t *made, *o;
	size_t i, k;

	if ((set = worker_local_get(&plain_local, sizeof(*set))) == NULL)
		return NULL;
	for (k = 0; k < PLAIN_LANGS && set->src[k] != NULL; k++)
		if (set->src[k] == src)
			return set->made[k];
	if (k == PLAIN_LANGS || (made = json_array()) == NULL)
		return NULL;
	json_array_foreach(src, i, c)
	{
		/* Copies: i18n's strings are every thread's. */
		o = json_pack("{s:s, s:s, s:b, s:s}", "code",
		    json_string_value(json_object_get(c, "code")), "name",
		    json_string_value(json_object_get(c, "name")), "selected",
		    0, "choice", "");
		if (o == NULL || json_array_append_new(made, o) == -1) {
			json_decref(made);
			return NULL;
		}
	}
	set->src[k] = src;
	set->made[k] = made;
	return made;
}

/* The countries for a form that preselects pick (NULL: none). */
static json_t *
countries_for(const char *lang, const char *pick, bool cached)
{
	const json_t *plain = cached ? NULL : countries_plain(lang);
	json_t *countries, *c;
	size_t i;

	if (plain != NULL && pick == NULL)
		return json_incref((json_t *)plain);
	countries = json_array();
	json_array_foreach(plain != NULL ? plain : i18n_countries(lang), i, c)
	{
		const char *code = json_string_value(json_object_get(c, "code"));
		bool picked = pick != NULL && strcmp(code, pick) == 0;
		char mark[8] = "";

		if (plain != NULL && !picked) {
			json_array_append(countries, c);
			continue;
		}
		if (cached && strlen(code) == 2)
			pagecache_choice_marker(code, mark);
		json_array_append_new(countries,
		    json_pack("{s:s, s:s, s:b, s:s}", "code", code, "name",
			json_string_value(json_object_get(c, "name")),
			"selected", picked, "choice", mark));
	}
	return countries;
}

/* The sign form's context: values typed so far and their errors. vals is
 * NULL for a fresh form. */
static json_t *
form_context(struct request *r, const struct petition *p,
    const struct form_value *vals, const char *const errs[F__MAX],
    const char *csrf, const char *pow, bool cached)
{
	json_t *form, *values, *errors, *countries;
	const char *pick = NULL;
	char region[3];
	size_t i;
	int nerr = 0;

	values = json_object();
	errors = json_object();
	for (i = 0; i < F__MAX; i++) {
		if (i == F_CSRF || i == F_WEBSITE || i == F_POW ||
		    i == F_POW_NONCE)
			continue;
		if (sign_form[i].kind == FORM_CHECKBOX)
			json_object_set_new(values, sign_form[i].name,
			    json_boolean(vals ? vals[i].checked : false));
		else if (vals == NULL || vals[i].err == FORM_BAD_TEXT)
			/* Bytes that failed validation are not echoed back. */
			json_object_set_new(values, sign_form[i].name,
			    json_string(""));
		else
			json_object_set_new(values, sign_form[i].name,
			    json_stringn(vals[i].s, vals[i].len));
		if (errs != NULL && errs[i] != NULL) {
			const char *m = i18n_text(r->lang, errs[i]);

			json_object_set_new(errors, sign_form[i].name,
			    json_string(m ? m : errs[i]));
			nerr++;
		}
	}
	if (vals != NULL && vals[F_COUNTRY].len == 2)
		pick = vals[F_COUNTRY].s;
	/* A page for the cache preselects no country: a choice marker at
	 * each lets the one page serve every region (pagecache_render()). */
	if (pick == NULL && !cached) {
		i18n_accept_region(http_header(r, "Accept-Language"), region);
		pick = region;
	}
	countries = countries_for(r->lang, pick, cached);
	form = json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:s?}", "action",
	    arena_printf(r->arena, "/p/%s/sign", p->slug), "csrf", csrf,
	    "values", values, "errors", errors, "has_errors", nerr > 0,
	    "countries", countries, "pow", pow);
	if (nerr > 0)
		page_error_summary(r, form, "error_summary", nerr);
	return form;
}

/* Loads the petition named in the path, or replies with an error page and
 * returns -1. */
static int
load_petition(struct request *r, struct petition *p)
{
	switch (store_petition_by_slug(site.store, r->arena, r->slug, p)) {
	case STORE_OK:
		if (counts_get(p->id, &p->count) == -1) {
			page_unavailable(r);
			return -1;
		}
		if (p->state == PETITION_DRAFT || p->state == PETITION_PENDING ||
		    p->state == PETITION_REJECTED) {
			page_error(r, 404, "err_not_found");
			return -1;
		}
		if (p->state == PETITION_HIDDEN) {
			hidden_page(r, p);
			return -1;
		}
		return 0;
	case STORE_NOTFOUND: page_error(r, 404, "err_not_found"); return -1;
	case STORE_UNAVAILABLE: page_unavailable(r); return -1;
	default: page_error(r, 500, "err_internal"); return -1;
	}
}

/* The template context of the petition page with the given live values
 * (real ones, or markers for the page cache). */
static json_t *
petition_page_context(struct request *r, struct petition *p,
    const struct form_value *vals, const char *const errs[F__MAX],
    const char *const live[LIVE__MAX], bool cached)
{
	json_t *ctx, *pc;

	pc = petition_context(r, p, true, live);
	ctx = page_context(r, json_string_value(json_object_get(pc, "title")));
	json_object_set(json_object_get(ctx, "page"), "description",
	    json_object_get(pc, "description"));
	/* The share image in the page's language (page_share.c). */
	json_object_set_new(json_object_get(ctx, "page"), "image",
	    json_string(page_url(r,
		arena_printf(r->arena, "/p/%s/share.png?lang=%s", p->slug,
		    r->lang))));
	/* Signatures on paper, beside the online count and apart from it. */
	{
		int64_t paper = 0;

		if (store_paper_count(site.store, p->id, &paper) != STORE_OK)
			log_warn("petition", "slug=%s error=\"no paper count\"",
			    p->slug);
		else if (paper > 0)
			json_object_set_new(pc, "paper_line",
			    json_string(paper_line(r->arena, r->lang,
				live[LIVE_COUNT_TEXT], paper)));
	}
	json_object_set_new(ctx, "petition", pc);
	json_object_set_new(ctx, "form",
	    form_context(r, p, vals, errs, live[LIVE_CSRF],
		pow_enabled() ? arena_printf(r->arena, "/p/%s/pow", p->slug) :
				NULL,
		cached));
	/* The page is cached for everyone: the header's link is spliced in
	 * per request. */
	json_object_set_new(ctx, "account",
	    json_pack("{s:s, s:s}", "href", live[LIVE_ACCOUNT_HREF], "label",
		live[LIVE_ACCOUNT_TEXT]));
	return ctx;
}

static void
render_petition(struct request *r, int status, struct petition *p,
    const struct form_value *vals, const char *const errs[F__MAX])
{
	const char *live[LIVE__MAX];

	page_begin(r);
	live_values(r, p->id, p->count, shown_goal(p->state, p->goal),
	    p->published_at, p->created_at, live);
	page_render(r, status, "petition",
	    petition_page_context(r, p, vals, errs, live, false));
}

/* The cache key of a petition page: what its render depends on besides the
 * petition itself, the resolved language alone. The region of
 * Accept-Language only preselects a country, spliced in per request: were
 * it in the key, rotating regions would fill the cache with copies of one
 * page and push every other page out. */
static const char *
page_key(struct request *r, const char *kind)
{
	return arena_printf(r->arena, "%s\n%s\n%s", kind, r->slug, r->lang);
}

/* What the page cache keeps of p beside its page: the fields the live
 * parts and the JSON need (the paper count left 0). */
static void
meta_fill(struct pagecache_meta *meta, const struct petition *p)
{
	memset(meta, 0, sizeof(*meta));
	meta->petition_id = p->id;
	meta->goal = p->goal;
	meta->closes_at = p->closes_at;
	meta->created_at = p->published_at;
	meta->log_since = p->created_at;
	meta->updated_at = p->updated_at;
	snprintf(meta->state, sizeof(meta->state), "%s",
	    petition_state_name(p->state));
	snprintf(meta->slug, sizeof(meta->slug), "%s", p->slug);
	snprintf(meta->title, sizeof(meta->title), "%s", p->title);
}

/* Renders the petition page with markers and caches it. Returns 0, or -1
 * after replying with an error page. */
static int
cache_petition_page(struct request *r, const char *key,
    struct pagecache_meta *meta)
{
	const char *live[LIVE__MAX];
	struct petition p;
	struct buf html;
	json_t *ctx = NULL;
	int ret = -1;

	if (load_petition(r, &p) == -1)
		return -1;
	live_markers(r, live);
	buf_init(&html);
	ctx = petition_page_context(r, &p, NULL, NULL, live, true);
	if (ctx == NULL ||
	    tmpl_render(site.tmpl, "petition", ctx, &html) == -1 ||
	    !buf_ok(&html)) {
		page_error(r, 500, "err_internal");
		goto out;
	}
	meta_fill(meta, &p);
	log_debug("pagecache", "event=render slug=%s lang=%s", p.slug, r->lang);
	if (pagecache_put(key, html.data, html.len, meta) == -1) {
		/* Out of memory for the cache: serve this one uncached. */
		render_petition(r, 200, &p, NULL, NULL);
		goto out;
	}
	ret = 0;
out:
	json_decref(ctx);
	buf_reset(&html);
	return ret;
}

void
page_petition_show(struct request *r)
{
	const char *live[LIVE__MAX], *key, *html;
	struct pagecache_page *page;
	char region[3];
	size_t len;
	struct pagecache_meta meta;
	int64_t count;

	page_begin(r);
	key = page_key(r, "page");
	if (!pagecache_lookup(key, PAGE_TTL, &meta) &&
	    cache_petition_page(r, key, &meta) == -1)
		return;
	if (r->status != 200 || r->out.len > 0)
		return; /* served uncached */
	if (counts_get(meta.petition_id, &count) == -1) {
		page_unavailable(r);
		return;
	}
	live_values(r, meta.petition_id, count,
	    shown_goal(petition_state_parse(meta.state), meta.goal),
	    meta.created_at, meta.log_since, live);
	i18n_accept_region(http_header(r, "Accept-Language"), region);
	/* Readers who see the same values share one render, sent as it is;
	 * an entry gone since the lookup (an edit, an eviction) is made
	 * again, and that once this request's own copy. */
	if ((page = pagecache_render_shared(key, live, region, " selected",
		 &html, &len)) == NULL) {
		if (cache_petition_page(r, key, &meta) == -1 ||
		    pagecache_render(key, live, region, " selected", &r->out) ==
			-1 ||
		    !buf_ok(&r->out)) {
			if (r->out.len == 0 || !buf_ok(&r->out)) {
				buf_reset(&r->out);
				page_error(r, 500, "err_internal");
			}
			return;
		}
	} else {
		r->static_body = html;
		r->static_len = len;
		r->static_free = pagecache_page_release;
		r->static_cls = page;
	}
	r->status = 200;
	r->content_type = "text/html; charset=utf-8";
	/* The page holds no per-visitor data: a shared cache may keep it for
	 * a second, which is how long the live count may lag. */
	http_header_add(r, "Cache-Control", "public, max-age=0, s-maxage=1");
}

int
page_petition_meta(struct request *r, struct pagecache_meta *meta)
{
	/* The same in every language: keyed on the slug alone. */
	const char *key = arena_printf(r->arena, "json\n%s", r->slug);
	struct petition p;

	if (pagecache_lookup(key, PAGE_TTL, meta))
		return 0;
	if (load_petition(r, &p) == -1)
		return -1;
	meta_fill(meta, &p);
	if (!page_store_ok(r, store_paper_count(site.store, p.id, &meta->paper)))
		return -1;
	(void)pagecache_put(key, "", 0, meta);
	return 0;
}

void
page_petition_json(struct request *r)
{
	struct pagecache_meta meta;
	char updated[UTC_CHARS], lastmod[UTC_CHARS];
	const char *inm, *ims, *etag;
	int64_t count, log_size, changed, mtime;

	page_begin(r);
	if (page_petition_meta(r, &meta) == -1)
		return;
	/* The count and the log size it reflects, as one pair: an auditor
	 * recounts the first log_size leaves and must find count. */
	if (counts_get_log(meta.petition_id, &count, &log_size, &changed) == -1) {
		page_unavailable(r);
		return;
	}
	mtime = changed > meta.updated_at ? changed : meta.updated_at;
	etag = arena_printf(r->arena, "W/\"%lld-%lld-%lld-%lld-%lld\"",
	    (long long)meta.petition_id, (long long)meta.updated_at,
	    (long long)count, (long long)log_size, (long long)meta.paper);
	utc_format(lastmod, UTC_HTTP, mtime);
	http_header_add(r, "ETag", etag);
	http_header_add(r, "Last-Modified", arena_strdup(r->arena, lastmod));
	http_header_add(r, "Cache-Control", "public, max-age=1");
	inm = http_header(r, "If-None-Match");
	ims = http_header(r, "If-Modified-Since");
	if ((inm != NULL && strcmp(inm, etag) == 0) ||
	    (inm == NULL && ims != NULL && strcmp(ims, lastmod) == 0)) {
		r->status = 304;
		return;
	}
	utc_format(updated, UTC_ISO, mtime);
	page_json(r, 200,
	    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "slug",
		meta.slug, "title", meta.title, "count", (json_int_t)count,
		"log_size", (json_int_t)log_size, "paper_count",
		(json_int_t)meta.paper, "goal", (json_int_t)meta.goal,
		"next_goal", (json_int_t)petition_next_goal(count, meta.goal),
		"state",
		strcmp(meta.state, "open") == 0 && meta.closes_at != 0 &&
			(int64_t)time(NULL) >= meta.closes_at ?
		    "closed" :
		    meta.state,
		"updated", updated));
}

void
page_petition_pow(struct request *r)
{
	struct pagecache_meta meta;

	page_begin(r);
	if (!pow_enabled()) {
		page_error(r, 404, "err_not_found");
		return;
	}
	if (page_petition_meta(r, &meta) == -1)
		return;
	pow_challenge(&r->out, meta.petition_id, time(NULL));
	if (!buf_ok(&r->out)) {
		buf_reset(&r->out);
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
	r->content_type = "text/plain; charset=utf-8";
	/* Single-use: no cache may hand one to two signers. */
	http_header_add(r, "Cache-Control", "no-store");
}

#define RECEIPT_COOKIE "receipt"
#define RECEIPT_TTL 600

void
page_receipt_set(struct request *r, const char *slug, int64_t leaf_index,
    const unsigned char secret[TRANSLOG_SECRET_BYTES])
{
	char hex[2 * TRANSLOG_SECRET_BYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), secret, TRANSLOG_SECRET_BYTES);
	http_header_add(r, "Set-Cookie",
	    arena_printf(r->arena,
		RECEIPT_COOKIE "=%lld.%s; Path=/p/%s/thanks; Max-Age=%d; "
			       "HttpOnly; SameSite=Lax%s",
		(long long)leaf_index, hex, slug, RECEIPT_TTL,
		site.secure_cookies ? "; Secure" : ""));
	sodium_memzero(hex, sizeof(hex));
}

/* The receipt the cookie of page_receipt_set() carries, shown once: its
 * context for the thanks page (NULL when there is none), and the cookie
 * cleared. */
static json_t *
receipt_take(struct request *r, const struct petition *p)
{
	const char *c = http_cookie(r, RECEIPT_COOKIE), *dot;
	unsigned char commitment[TRANSLOG_COMMITMENT_BYTES];
	struct translog_receipt rc;
	char *b64, code[10];
	struct buf json;
	long long index;
	size_t len;
	json_t *o = NULL;

	if (c == NULL)
		return NULL;
	http_header_add(r, "Set-Cookie",
	    arena_printf(r->arena,
		RECEIPT_COOKIE "=; Path=/p/%s/thanks; Max-Age=0; HttpOnly; "
			       "SameSite=Lax%s",
		p->slug, site.secure_cookies ? "; Secure" : ""));
	http_header_add(r, "Cache-Control", "no-store");
	memset(&rc, 0, sizeof(rc));
	if ((dot = strchr(c, '.')) == NULL || dot == c || dot - c > 18 ||
	    sscanf(c, "%lld", &index) != 1 || index < 0 ||
	    strlen(dot + 1) != 2 * TRANSLOG_SECRET_BYTES ||
	    sodium_hex2bin(rc.secret, sizeof(rc.secret), dot + 1,
		2 * TRANSLOG_SECRET_BYTES, NULL, &len, NULL) != 0 ||
	    len != TRANSLOG_SECRET_BYTES ||
	    strlen(site.base_url) > TRANSLOG_SITE_MAX ||
	    strlen(p->slug) > TRANSLOG_SLUG_MAX)
		return NULL;
	snprintf(rc.site, sizeof(rc.site), "%s", site.base_url);
	snprintf(rc.petition, sizeof(rc.petition), "%s", p->slug);
	rc.leaf_index = (uint64_t)index;
	translog_commitment(rc.secret, commitment);
	/* A short code the signer can compare with the saved file. */
	snprintf(code, sizeof(code), "%02X%02X-%02X%02X", commitment[0],
	    commitment[1], commitment[2], commitment[3]);
	buf_init(&json);
	translog_receipt_encode(&json, &rc);
	if (buf_ok(&json) &&
	    (b64 = arena_alloc(r->arena, TRANSLOG_B64_LEN(json.len) + 1)) !=
		NULL) {
		translog_b64_encode(b64, (const unsigned char *)json.data,
		    json.len);
		o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "index",
		    (json_int_t)index, "code", code, "href",
		    arena_printf(r->arena, "data:application/json;base64,%s",
			b64),
		    "file",
		    arena_printf(r->arena, "receipt-%s-%lld.json", p->slug,
			index),
		    "verify_url",
		    arena_printf(r->arena, "/p/%s/verify", p->slug));
	}
	if (json.data != NULL)
		sodium_memzero(json.data, json.len);
	buf_reset(&json);
	sodium_memzero(&rc, sizeof(rc));
	return o;
}

/* The keys of verify.js's verdicts, as its data-msg-KEY attributes. */
static const char *const verify_msgs[] = { "busy", "ok", "unsigned",
	"not-receipt", "other-petition", "other-site", "not-yet", "not-yours",
	"bad-proof", "bad-signature", "network", "unsupported" };

static const struct msgfmt_arg verify_args[] = {
	{ "index", MSGFMT_STRING, 0, "{index}" },
	{ "size", MSGFMT_STRING, 0, "{size}" },
	{ "time", MSGFMT_STRING, 0, "{time}" },
	{ "petition", MSGFMT_STRING, 0, "{petition}" },
	{ "site", MSGFMT_STRING, 0, "{site}" },
};

void
page_petition_verify(struct request *r)
{
	const char *live[LIVE__MAX];
	struct petition p;
	json_t *ctx, *pc, *msgs;
	const char *text;
	size_t i;
	char key[48], *k;

	page_begin(r);
	if (load_petition(r, &p) == -1)
		return;
	live_values(r, p.id, p.count, shown_goal(p.state, p.goal), p.created_at,
	    p.created_at, live);
	pc = petition_context(r, &p, false, live);
	ctx = page_context(r, i18n_text(r->lang, "verify_title"));
	json_object_set_new(ctx, "petition", pc);
	msgs = json_array();
	for (i = 0; i < sizeof(verify_msgs) / sizeof(verify_msgs[0]); i++) {
		snprintf(key, sizeof(key), "verify_msg_%s", verify_msgs[i]);
		for (k = key; *k != '\0'; k++)
			if (*k == '-')
				*k = '_';
		/* verify.js fills in {index}, {size}, {time}, {petition}
		 * and {site}: formatted with those words themselves. */
		text = i18n_format(r->arena, r->lang, key, verify_args,
		    sizeof(verify_args) / sizeof(verify_args[0]));
		json_array_append_new(msgs,
		    json_pack("{s:s, s:s}", "key", verify_msgs[i], "text",
			text != NULL ? text : ""));
	}
	json_object_set_new(ctx, "verify_msgs", msgs);
	page_render(r, 200, "verify", ctx);
}

void
page_petition_thanks(struct request *r)
{
	/* What the signer is told depends on how signing went: ?state= from
	 * the redirect after signing or confirming. */
	static const char *const states[][3] = {
		{ "pending", "thanks_pending_heading", "thanks_pending_text" },
		{ "confirmed", "thanks_confirmed_heading",
		    "thanks_confirmed_text" },
		{ "counted", "thanks_heading", "thanks_text" },
	};
	const char *live[LIVE__MAX], *q = http_query(r, "state");
	struct petition p;
	json_t *ctx, *pc;
	size_t i, pick = 2;

	page_begin(r);
	if (load_petition(r, &p) == -1)
		return;
	for (i = 0; q != NULL && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(q, states[i][0]) == 0)
			pick = i;
	live_values(r, p.id, p.count, shown_goal(p.state, p.goal),
	    p.published_at, p.created_at, live);
	pc = petition_context(r, &p, false, live);
	ctx = page_context(r, json_string_value(json_object_get(pc, "title")));
	json_object_set_new(ctx, "petition", pc);
	json_object_set_new(ctx, "thanks",
	    json_pack("{s:s, s:s}", "heading",
		i18n_text(r->lang, states[pick][1]), "text",
		i18n_text(r->lang, states[pick][2])));
	{
		json_t *rc = receipt_take(r, &p);

		if (rc != NULL)
			json_object_set_new(ctx, "receipt", rc);
	}
	page_render(r, 200, "thanks", ctx);
}

/* Seals the signer's personal data: first name, last name, email and
 * address, NUL-separated, into the arena. */
static unsigned char *
seal_pii(struct request *r, const struct form_value *v, const char *email,
    size_t elen, size_t *len)
{
	unsigned char *box, *copy = NULL;
	struct buf b;

	buf_init(&b);
	buf_append(&b, v[F_FIRST_NAME].s, v[F_FIRST_NAME].len);
	buf_putc(&b, '\0');
	buf_append(&b, v[F_LAST_NAME].s, v[F_LAST_NAME].len);
	buf_putc(&b, '\0');
	buf_append(&b, email, elen);
	buf_putc(&b, '\0');
	buf_puts(&b, r->ip);
	box = buf_ok(&b) ? crypto_seal(b.data, b.len, len) : NULL;
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_reset(&b);
	if (box != NULL)
		copy = arena_memdup(r->arena, box, *len);
	free(box);
	return copy;
}

/* The bot checks that cost a person nothing: the hidden field must stay
 * empty and the form cannot come back sooner than a person could fill it.
 * Their findings flag the signature; they never refuse it. */
static int
bot_flags(struct request *r, const struct form_value *v, int64_t job_petition_id)
{
	int64_t shown = 0;
	int flags = 0;

	if (v[F_WEBSITE].checked)
		flags |= GUARD_FLAG_HONEYPOT;
	if (crypto_csrf_time(v[F_CSRF].s, v[F_CSRF].len, &shown) == 0 &&
	    (int64_t)time(NULL) - shown < site.min_form_seconds)
		flags |= GUARD_FLAG_FAST;
	switch (pow_verify(v[F_POW].s, v[F_POW].len, v[F_POW_NONCE].s,
	    v[F_POW_NONCE].len, job_petition_id, time(NULL))) {
	case POW_OK: break;
	case POW_MISSING: flags |= GUARD_FLAG_NO_POW; break;
	default: flags |= GUARD_FLAG_BAD_POW; break;
	}
	pow_note(job_petition_id, &r->addr);
	if (flags != 0)
		log_info("sign", "slug=%s flags=%d", r->slug, flags);
	return flags;
}

/* What a parked signing request keeps until the writer has committed. */
struct sign_job {
	struct signq_item it; /* first: page_submit() parks this */
	struct petition p;
	bool brief; /* p from the catalogue: no text, addressees or count */
	struct form_value v[F__MAX];
	const char *confirm_url;
	unsigned char secret[TRANSLOG_SECRET_BYTES]; /* counted at once:
						      * the receipt's */
};

/* What the log says of a signing's result. */
static const char *
write_result_word(enum write_result w)
{
	switch (w) {
	case WRITE_OK: return "signed";
	case WRITE_RESENT: return "resent";
	case WRITE_RESEND_LATER: return "resend_later";
	case WRITE_TOLD: return "told";
	default: return "duplicate";
	}
}

/* The petition a signature is for: from the catalogue when it holds it
 * open, so that signing reads nothing from the database before its write
 * (the writer's turn); else loaded in full, which replies for a missing,
 * hidden or unreadable one. Returns 0, or -1 after replying. */
static int
sign_petition(struct request *r, struct sign_job *job)
{
	if (catalog_find(r->arena, r->slug, &job->p) == 1 &&
	    petition_is_open(&job->p, (int64_t)time(NULL))) {
		job->brief = true;
		return 0;
	}
	job->brief = false;
	return load_petition(r, &job->p);
}

/* The petition page again with the signer's values and errs (422), the
 * petition loaded in full if need be. */
static void
sign_render(struct request *r, struct sign_job *job, const char *const *errs)
{
	if (job->brief) {
		if (load_petition(r, &job->p) == -1)
			return;
		job->brief = false;
	}
	render_petition(r, 422, &job->p, job->v, errs);
}

/* The second half of signing, once the writer has decided. */
static void
sign_finish(struct request *r, struct sign_job *job)
{
	const char *errs[F__MAX] = { NULL };
	const char *state = NULL;

	if (job->it.status != STORE_OK) {
		http_header_add(r, "Retry-After", "5");
		page_error(r, job->it.status == STORE_UNAVAILABLE ? 503 : 500,
		    job->it.status == STORE_UNAVAILABLE ? "err_unavailable" :
							  "err_internal");
		return;
	}
	/* privacy: a signature that waits for its email answers the same
	 * whether the address is new, still pending or confirmed already;
	 * the mail tells the address's owner which (the link again, or that
	 * they signed), at most once per SIGN_RESEND_SECONDS. One counted at
	 * once shows in the count anyway: a duplicate is told so. */
	if (job->it.op.result != WRITE_OK &&
	    job->it.op.sig.state != SIGNATURE_PENDING) {
		log_info("sign", "slug=%s result=duplicate", job->p.slug);
		errs[F_EMAIL] = "err_duplicate";
		if (!job->brief && counts_get(job->p.id, &job->p.count) == -1)
			job->p.count = 0;
		sign_render(r, job, errs);
		return;
	}
	state = site.count_on_sign ? "counted" : "pending";
	log_info("sign", "slug=%s result=%s seq=%lld", job->p.slug,
	    write_result_word(job->it.op.result), (long long)job->it.op.sig.seq);
	if (job->it.op.result == WRITE_OK && job->it.op.leaf_index >= 0)
		page_receipt_set(r, job->p.slug, job->it.op.leaf_index,
		    job->secret);
	sodium_memzero(job->secret, sizeof(job->secret));
	if (job->it.op.result == WRITE_TOLD)
		outbox_kick();
	if (job->it.op.mail.sealed != NULL &&
	    (job->it.op.result == WRITE_OK ||
		job->it.op.result == WRITE_RESENT)) {
		outbox_kick();
		if (site.mail_to_files)
			/* No mail server (a trial set-up): the newcomer
			 * confirms from the log. */
			log_info("sign", "slug=%s confirm_link=%s", job->p.slug,
			    job->confirm_url);
	}
	page_see_other(r,
	    arena_printf(r->arena, "/p/%s/thanks?state=%s", job->p.slug, state));
}

/* Prepares the confirmation link and its mail (and the one-click
 * unsubscribe link when updates were asked for). Returns 0 or -1. */
static int
sign_prepare_mail(struct request *r, struct sign_job *job, const char *email)
{
	struct write_op *op = &job->it.op;
	struct letter_account told;
	struct letter_confirm l;
	char tok[CRYPTO_TOKEN_CHARS + 1], unsub[CRYPTO_TOKEN_CHARS + 1];

	crypto_token_new(tok);
	crypto_token_hash(tok, CRYPTO_TOKEN_CHARS, op->token_hash);
	op->token_expires = op->now + site.confirm_ttl;
	op->resend_before = op->now - SIGN_RESEND_SECONDS;
	memset(&l, 0, sizeof(l));
	if (job->v[F_UPDATES].checked) {
		crypto_token_new(unsub);
		crypto_token_hash(unsub, CRYPTO_TOKEN_CHARS, op->unsub_hash);
		l.unsubscribe_url = page_url(r,
		    arena_printf(r->arena, "/u/%s?lang=%s", unsub, r->lang));
	}
	l.lang = r->lang;
	l.email = email;
	l.title = job->p.title;
	l.confirm_url =
	    page_url(r, arena_printf(r->arena, "/c/%s?lang=%s", tok, r->lang));
	job->confirm_url = l.confirm_url;
	l.withdraw_url =
	    page_url(r, arena_printf(r->arena, "/w/%s?lang=%s", tok, r->lang));
	sodium_memzero(tok, sizeof(tok));
	if (letter_confirm_later(r->arena, &l, &op->mail) == -1)
		return -1;
	/* Made for every signature that waits for its email, used only when
	 * the address confirmed already: the answer must not tell. */
	memset(&told, 0, sizeof(told));
	told.kind = LETTER_SIGNED;
	told.lang = r->lang;
	told.name = "";
	told.email = email;
	told.title = job->p.title;
	told.link = page_url(r,
	    arena_printf(r->arena, "/p/%s?lang=%s", job->p.slug, r->lang));
	return letter_account_later(r->arena, &told, &op->told);
}

void
page_petition_sign(struct request *r)
{
	struct form_value *v;
	const char *errs[F__MAX] = { NULL };
	struct sign_job *job = r->job;
	struct signature *sig;
	char *email;
	size_t elen, i;
	int nerr;

	page_begin(r);
	if (job != NULL) {
		sign_finish(r, job);
		return;
	}
	if ((job = arena_alloc(r->arena, sizeof(*job))) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	v = job->v;
	if ((nerr = page_form_read(r, sign_form, F__MAX, v)) == -1)
		return;
	/* Anyone may sign, so the token binds to no session: it proves the
	 * form came from this site within the last hours, and a browser's
	 * Origin must be ours. */
	if (!page_csrf_check(r, &v[F_CSRF], ""))
		return;
	if (sign_petition(r, job) == -1)
		return;
	if (!petition_is_open(&job->p, (int64_t)time(NULL))) {
		page_error(r, 409, "err_closed");
		return;
	}
	if (page_rate_check(r, job->p.id) == -1)
		return;
	for (i = 0; i < F__MAX; i++)
		errs[i] = error_key((enum sign_field)i, v[i].err);
	if (nerr > 0) {
		sign_render(r, job, errs);
		return;
	}
	email = email_normalize(r->arena, v[F_EMAIL].s, v[F_EMAIL].len, &elen);
	if (email == NULL) {
		errs[F_EMAIL] = "err_email";
		sign_render(r, job, errs);
		return;
	}
	switch (guard_check(email, &r->addr)) {
	case GUARD_DISPOSABLE:
		errs[F_EMAIL] = "err_disposable";
		sign_render(r, job, errs);
		return;
	case GUARD_BLOCKED:
		log_info("sign", "slug=%s result=blocked", job->p.slug);
		errs[F_EMAIL] = "err_blocked";
		sign_render(r, job, errs);
		return;
	default: break;
	}
	job->it.op.kind = WRITE_SIGN;
	job->it.op.now = (int64_t)time(NULL);
	sig = &job->it.op.sig;
	sig->petition_id = job->p.id;
	crypto_email_hash(email, elen, sig->email_hash);
	if ((sig->pii = seal_pii(r, v, email, elen, &sig->pii_len)) == NULL) {
		page_error(r, 500, "err_internal");
		return;
	}
	sig->country = v[F_COUNTRY].s;
	sig->comment = v[F_COMMENT].s;
	sig->public_name = v[F_PUBLIC].checked;
	/* Shown only with a comment to show. */
	sig->public_comment = v[F_PUBLIC_COMMENT].checked &&
	    sig->comment != NULL && sig->comment[0] != '\0';
	sig->updates = v[F_UPDATES].checked;
	sig->lang = r->lang;
	sig->created_at = job->it.op.now;
	sig->flags = bot_flags(r, v, job->p.id);
	sig->domain = guard_domain(email);
	{
		char net[64];

		netaddr_network(&r->addr, net, sizeof(net));
		sig->net = arena_strdup(r->arena, net);
	}
	/* A flagged signature never counts on signing alone: its email must
	 * confirm it, whatever the site's setting. */
	if (site.count_on_sign && sig->flags == 0) {
		sig->state = SIGNATURE_CONFIRMED;
		randombytes_buf(job->secret, sizeof(job->secret));
		translog_commitment(job->secret, job->it.op.commitment);
	} else {
		sig->state = SIGNATURE_PENDING;
		if (sign_prepare_mail(r, job, email) == -1) {
			errs[F_EMAIL] = "err_email";
			sign_render(r, job, errs);
			return;
		}
	}
	if (page_submit(r, &job->it) == -1) {
		/* Full: refuse now rather than accept and drop later. */
		log_warn("sign", "slug=%s result=queue_full", job->p.slug);
		http_header_add(r, "Retry-After", "2");
		page_error(r, 503, "err_busy");
	}
}

json_t *
page_petition_preview(struct request *r, struct petition *p)
{
	const char *live[LIVE__MAX];

	live_values(r, p->id, p->count, shown_goal(p->state, p->goal),
	    p->published_at, p->created_at, live);
	return petition_context(r, p, true, live);
}

int
page_petition_load(struct request *r, struct petition *p)
{
	if (load_petition(r, p) == -1)
		return -1;
	(void)petition_localise(r, p);
	return 0;
}
