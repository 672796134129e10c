/* mail_letter.c - the emails holos writes, composed from the catalogues and
 * templates, sealed for the outbox. */
#include "mail_letter.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto.h"
#include "i18n.h"
#include "log.h"
#include "mail_message.h"
#include "site.h"
#include "tmpl.h"
#include "utc.h"

/* Seals "RCPT\0MESSAGE" (msg a whole composed message) into out->sealed
 * and out->sealed_len, from the arena. Returns 0, or -1 when out of
 * memory. */
static int
letter_seal(struct arena *a, const char *rcpt, const struct buf *msg,
    struct outbox_new *out)
{
	unsigned char *box, *copy;
	struct buf plain;
	size_t len;

	buf_init(&plain);
	buf_puts(&plain, rcpt);
	buf_putc(&plain, '\0');
	buf_append(&plain, msg->data, msg->len);
	box = buf_ok(&plain) ? crypto_seal(plain.data, plain.len, &len) : NULL;
	buf_reset(&plain);
	copy = box != NULL ? arena_memdup(a, box, len) : NULL;
	free(box);
	if (copy == NULL)
		return -1;
	out->sealed = copy;
	out->sealed_len = len;
	return 0;
}

/* Where a letter goes once composed: sealed into an outbox row (out), or,
 * for a deferred letter composed at send time, into msg with the row's
 * Message-ID. */
struct letter_dest {
	struct outbox_new *out;
	const char *message_id;
	struct buf *msg;
};

/* A fresh Message-ID for the site, from the arena; NULL when out of
 * memory. */
static char *
letter_msgid(struct arena *a)
{
	size_t idlen = strlen(site.host) + MAIL_MESSAGE_ID_EXTRA;
	char *msgid = arena_alloc(a, idlen);

	if (msgid != NULL)
		mail_message_id(msgid, idlen, site.host);
	return msgid;
}

static int
letter_make(struct arena *a, struct mail *m, const char *tmpl, json_t *ctx,
    const char *kind, const struct letter_dest *d)
{
	const char *msgid;
	struct buf msg, html;
	int ret = -1;

	buf_init(&msg);
	buf_init(&html);
	if (tmpl != NULL &&
	    (ctx == NULL || tmpl_render(site.tmpl, tmpl, ctx, &html) == -1 ||
		!buf_ok(&html)))
		goto out;
	msgid = d->msg != NULL ? d->message_id : letter_msgid(a);
	if (msgid == NULL)
		goto out;
	m->from_name = site.name;
	m->from_addr = site.mail_from;
	m->message_id = msgid;
	m->html = html.data;
	m->date = time(NULL);
	if (mail_compose(m, d->msg != NULL ? d->msg : &msg) == -1) {
		log_warn("letter", "kind=%s error=\"cannot compose\"", kind);
		goto out;
	}
	if (d->msg != NULL) {
		ret = buf_ok(d->msg) ? 0 : -1;
		goto out;
	}
	d->out->message_id = msgid;
	d->out->kind = kind;
	ret = letter_seal(a, m->to_addr, &msg, d->out);
out:
	json_decref(ctx);
	buf_reset(&msg);
	buf_reset(&html);
	return ret;
}

int
letter_post(struct arena *a, struct mail *m, const char *tmpl, json_t *ctx,
    const char *kind, struct outbox_new *out)
{
	struct letter_dest d = { .out = out };

	return letter_make(a, m, tmpl, ctx, kind, &d);
}

/* How many days a confirmation link works, rounded up. */
static int64_t
confirm_days(void)
{
	return (site.confirm_ttl + 86399) / 86400;
}

static int
confirm_make(struct arena *a, const struct letter_confirm *l,
    const struct letter_dest *d)
{
	struct msgfmt_arg args[3] = {
		MSGFMT_STR("title", l->title),
		MSGFMT_STR("link", l->confirm_url),
		MSGFMT_NUM("days", l->days > 0 ? l->days : confirm_days()),
	};
	const char *subject, *text, *ignore, *mydata = l->mydata_url;
	struct mail m;
	json_t *ctx;

	if (mydata == NULL && site.base_url != NULL)
		mydata = arena_printf(a, "%s/privacy/data", site.base_url);

	subject = i18n_format(a, l->lang, "mail_confirm_subject", args, 1);
	text = i18n_format(a, l->lang, "mail_confirm_text", args, 3);
	/* privacy: the same secret withdraws the signature later. */
	if (text != NULL && l->withdraw_url != NULL) {
		struct msgfmt_arg w = MSGFMT_STR("link", l->withdraw_url);
		const char *more =
		    i18n_format(a, l->lang, "mail_confirm_withdraw", &w, 1);

		text = more ? arena_printf(a, "%s\n\n%s\n", text, more) : NULL;
	}
	/* keys: where the signer can ask for their data by mail. */
	if (text != NULL && mydata != NULL) {
		struct msgfmt_arg md = MSGFMT_STR("link", mydata);
		const char *more =
		    i18n_format(a, l->lang, "mail_confirm_mydata", &md, 1);

		text = more ? arena_printf(a, "%s\n%s\n", text, more) : NULL;
	}
	ignore = i18n_format(a, l->lang, "mail_confirm_ignore", args + 2, 1);
	if (subject == NULL || text == NULL || ignore == NULL)
		return -1;
	ctx = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s, s:s?}", "lang",
	    l->lang, "t", i18n_strings(l->lang), "subject", subject, "greeting",
	    i18n_format(a, l->lang, "acct_mail_hello", NULL, 0), "title",
	    l->title, "link", l->confirm_url, "ignore", ignore, "unsubscribe",
	    l->unsubscribe_url);
	if (ctx != NULL && l->withdraw_url != NULL)
		json_object_set_new(ctx, "withdraw",
		    json_string(l->withdraw_url));
	if (ctx != NULL && mydata != NULL)
		json_object_set_new(ctx, "mydata", json_string(mydata));
	memset(&m, 0, sizeof(m));
	/* Anyone can type any address into the sign form: the names typed
	 * with it are a stranger's words, and stay out of the mail. */
	m.to_name = NULL;
	m.to_addr = l->email;
	m.subject = subject;
	m.text = text;
	m.lang = l->lang;
	m.list_unsubscribe = l->unsubscribe_url;
	return letter_make(a, &m, "mail_confirm", ctx, "confirm", d);
}

int
letter_confirm(struct arena *a, const struct letter_confirm *l,
    struct outbox_new *out)
{
	struct letter_dest d = { .out = out };

	return confirm_make(a, l, &d);
}

/* The catalogue keys of each account letter: subject, intro, action,
 * button, the second action and button (EXISTS), and the closing note. */
static const char *const account_keys[LETTER_ACCOUNT__MAX][7] = {
	[LETTER_VERIFY] = { "acct_mail_verify_subject",
	    "acct_mail_verify_intro", "acct_mail_verify_action",
	    "acct_mail_verify_button", NULL, NULL, "acct_mail_verify_ignore" },
	[LETTER_RESET] = { "acct_mail_reset_subject", "acct_mail_reset_intro",
	    "acct_mail_reset_action", "acct_mail_reset_button", NULL, NULL,
	    "acct_mail_reset_ignore" },
	[LETTER_EXISTS] = { "acct_mail_exists_subject",
	    "acct_mail_exists_intro", "acct_mail_exists_action",
	    "acct_mail_exists_button", "acct_mail_exists_action2",
	    "acct_mail_exists_button2", "acct_mail_exists_ignore" },
	[LETTER_APPROVED] = { "mod_mail_approved_subject",
	    "mod_mail_approved_intro", "mod_mail_approved_action",
	    "mod_mail_approved_button", NULL, NULL, "mod_mail_footer" },
	[LETTER_REJECTED] = { "mod_mail_rejected_subject",
	    "mod_mail_rejected_intro", "mod_mail_rejected_action",
	    "mod_mail_rejected_button", NULL, NULL, "mod_mail_footer" },
	[LETTER_HIDDEN] = { "mod_mail_hidden_subject", "mod_mail_hidden_intro",
	    "mod_mail_hidden_action", "mod_mail_hidden_button", NULL, NULL,
	    "mod_mail_footer" },
	/* Delivery. */
	[LETTER_DELIVERY] = { "deliver_mail_subject", "deliver_mail_intro",
	    "deliver_mail_action", "deliver_mail_button", "deliver_mail_action2",
	    "deliver_mail_button2", "deliver_mail_footer" },
	[LETTER_MILESTONE] = { "milestone_mail_subject", "milestone_mail_intro",
	    "milestone_mail_action", "milestone_mail_button", NULL, NULL,
	    "mod_mail_footer" },
	[LETTER_REPORT_OUTCOME] = { "report_mail_subject", "report_mail_intro",
	    "report_mail_action", "report_mail_button", NULL, NULL,
	    "report_mail_footer" },
	/* Signing. */
	[LETTER_SIGNED] = { "signed_mail_subject", "signed_mail_intro",
	    "signed_mail_action", "signed_mail_button", NULL, NULL,
	    "signed_mail_ignore" },
	[LETTER_SIGNIN] = { "signin_mail_subject", "signin_mail_intro",
	    "signin_mail_action", "signin_mail_button", NULL, NULL,
	    "signin_mail_ignore" },
};

/* The outbox kind of each letter. */
static const char *
account_kind(enum letter_account_kind k)
{
	if (k == LETTER_DELIVERY)
		return "delivery";
	if (k == LETTER_MILESTONE)
		return "milestone";
	if (k == LETTER_REPORT_OUTCOME)
		return "report";
	if (k == LETTER_SIGNED)
		return "signed";
	if (k == LETTER_SIGNIN)
		return "account";
	return k >= LETTER_APPROVED ? "moderation" : "account";
}

static int
account_make(struct arena *a, const struct letter_account *l,
    const struct letter_dest *d)
{
	struct msgfmt_arg args[7] = {
		MSGFMT_STR("site", site.name),
		MSGFMT_NUM("hours", l->hours),
		MSGFMT_STR("title", l->title ? l->title : ""),
		MSGFMT_STR("reason", l->reason ? l->reason : ""),
		MSGFMT_STR("note", l->note ? l->note : ""),
		MSGFMT_NUM("count", l->count),
		MSGFMT_STR("name", l->name),
	};
	const char *const *k;
	const char *f[7], *greeting, *text;
	struct mail m;
	json_t *ctx;
	int i;

	if ((unsigned)l->kind >= LETTER_ACCOUNT__MAX)
		return -1;
	k = account_keys[l->kind];
	for (i = 0; i < 7; i++) {
		f[i] = k[i] != NULL ? i18n_format(a, l->lang, k[i], args, 6) :
				      NULL;
		if (k[i] != NULL && f[i] == NULL)
			return -1;
	}
	/* The account's name was typed at sign-up, by whoever typed this
	 * address: no mail carries it. */
	greeting = i18n_format(a, l->lang, "acct_mail_hello", NULL, 0);
	if (greeting == NULL)
		return -1;
	if (f[4] != NULL)
		text = arena_printf(a,
		    "%s\n\n%s\n\n%s\n\n%s\n\n%s\n\n%s\n\n"
		    "%s\n",
		    greeting, f[1], f[2], l->link, f[4], l->link2, f[6]);
	else
		text = arena_printf(a, "%s\n\n%s\n\n%s\n\n%s\n\n%s\n", greeting,
		    f[1], f[2], l->link, f[6]);
	if (text == NULL)
		return -1;
	ctx = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?,"
			" s:s?, s:s?}",
	    "lang", l->lang, "t", i18n_strings(l->lang), "subject", f[0],
	    "greeting", greeting, "intro", f[1], "action", f[2], "link",
	    l->link, "button", f[3], "ignore", f[6], "action2", f[4], "link2",
	    f[4] != NULL ? l->link2 : NULL, "button2", f[5]);
	memset(&m, 0, sizeof(m));
	m.to_addr = l->email;
	m.subject = f[0];
	m.text = text;
	m.lang = l->lang;
	return letter_make(a, &m, "mail_account", ctx, account_kind(l->kind), d);
}

int
letter_account(struct arena *a, const struct letter_account *l,
    struct outbox_new *out)
{
	struct letter_dest d = { .out = out };

	return account_make(a, l, &d);
}

/* ---- deferred letters: sealed as what makes them, composed when sent ---- */

/* json_dump_callback()'s writer: into the buf at data. */
static int
later_put(const char *chunk, size_t n, void *data)
{
	buf_append(data, chunk, n);
	return buf_ok(data) ? 0 : -1;
}

/* Seals "\0" and the JSON of o (consumed) into out as a message of kind,
 * with a fresh Message-ID (from the arena). Returns 0, or -1. */
static int
later_seal(struct arena *a, json_t *o, const char *kind, struct outbox_new *out)
{
	const char *msgid = letter_msgid(a);
	struct buf js;
	int ret = -1;

	buf_init(&js);
	if (o != NULL && msgid != NULL &&
	    json_dump_callback(o, later_put, &js, JSON_COMPACT) == 0 &&
	    letter_seal(a, "", &js, out) == 0) {
		out->message_id = msgid;
		out->kind = kind;
		ret = 0;
	}
	if (js.data != NULL)
		sodium_memzero(js.data, js.len);
	buf_reset(&js);
	json_decref(o);
	return ret;
}

int
letter_confirm_later(struct arena *a, const struct letter_confirm *l,
    struct outbox_new *out)
{
	/* What composing would refuse now is refused now, not at sending. */
	const char *mydata = l->mydata_url;

	if (!mail_addr_ok(l->email) || !mail_lang_ok(l->lang))
		return -1;
	/* As they are now: the link's days and the site's address. */
	if (mydata == NULL && site.base_url != NULL &&
	    (mydata = arena_printf(a, "%s/privacy/data", site.base_url)) == NULL)
		return -1;
	return later_seal(a,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I}",
		"letter", "confirm", "lang", l->lang, "email", l->email,
		"title", l->title, "confirm", l->confirm_url, "unsubscribe",
		l->unsubscribe_url, "withdraw", l->withdraw_url, "mydata",
		mydata, "days",
		(json_int_t)(l->days > 0 ? l->days : confirm_days())),
	    "confirm", out);
}

int
letter_account_later(struct arena *a, const struct letter_account *l,
    struct outbox_new *out)
{
	if ((unsigned)l->kind >= LETTER_ACCOUNT__MAX ||
	    !mail_addr_ok(l->email) || !mail_lang_ok(l->lang))
		return -1;
	return later_seal(a,
	    json_pack("{s:s, s:i, s:s, s:s, s:s, s:s?, s:s?, s:I, s:s?, s:s?,"
		      " s:s?, s:I}",
		"letter", "account", "kind", (int)l->kind, "lang", l->lang,
		"email", l->email, "name", l->name ? l->name : "", "link",
		l->link, "link2", l->link2, "hours", (json_int_t)l->hours,
		"title", l->title, "reason", l->reason, "note", l->note,
		"count", (json_int_t)l->count),
	    account_kind(l->kind), out);
}

/* The string member key of o, or NULL. */
static const char *
later_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
letter_compose_later(struct arena *a, const char *plain, size_t len,
    const char *message_id, const char **rcpt, struct buf *msg)
{
	struct letter_dest d = { .message_id = message_id, .msg = msg };
	const char *what;
	json_t *o;
	int ret = -1;

	if (len < 2 || plain[0] != '\0' ||
	    (o = json_loadb(plain + 1, len - 1, JSON_REJECT_DUPLICATES, NULL)) ==
		NULL)
		return -1;
	what = later_str(o, "letter");
	if (what != NULL && strcmp(what, "confirm") == 0) {
		struct letter_confirm l = {
			.lang = later_str(o, "lang"),
			.email = later_str(o, "email"),
			.title = later_str(o, "title"),
			.confirm_url = later_str(o, "confirm"),
			.unsubscribe_url = later_str(o, "unsubscribe"),
			.withdraw_url = later_str(o, "withdraw"),
			.mydata_url = later_str(o, "mydata"),
			.days = json_integer_value(json_object_get(o, "days")),
		};

		if (l.lang != NULL && l.email != NULL && l.title != NULL &&
		    l.confirm_url != NULL)
			ret = confirm_make(a, &l, &d);
	} else if (what != NULL && strcmp(what, "account") == 0) {
		json_int_t kind = json_integer_value(json_object_get(o, "kind"));
		struct letter_account l = {
			.kind = (enum letter_account_kind)kind,
			.lang = later_str(o, "lang"),
			.name = later_str(o, "name"),
			.email = later_str(o, "email"),
			.link = later_str(o, "link"),
			.link2 = later_str(o, "link2"),
			.hours = json_integer_value(json_object_get(o, "hours")),
			.title = later_str(o, "title"),
			.reason = later_str(o, "reason"),
			.note = later_str(o, "note"),
			.count = json_integer_value(json_object_get(o, "count")),
		};

		if (kind >= 0 && kind < LETTER_ACCOUNT__MAX && l.lang != NULL &&
		    l.email != NULL && l.link != NULL)
			ret = account_make(a, &l, &d);
	}
	if (ret == 0 && (*rcpt = arena_strdup(a, later_str(o, "email"))) == NULL)
		ret = -1;
	json_decref(o);
	return ret;
}

/* ---- keys: a signer's data, to their own address ---- */

int
letter_mydata(struct arena *a, const struct letter_mydata *l,
    struct outbox_new *out)
{
	struct msgfmt_arg site_arg = MSGFMT_STR("site", site.name);
	struct msgfmt_arg days = MSGFMT_NUM("days", site.retain_days);
	const char *subject, *intro, *footer, *line;
	struct buf text;
	char date[UTC_CHARS];
	struct mail m;
	int ret = -1;
	size_t i;

	buf_init(&text);
	subject = i18n_format(a, l->lang, "mydata_mail_subject", &site_arg, 1);
	intro = i18n_format(a, l->lang, "mydata_mail_intro", &site_arg, 1);
	footer = i18n_format(a, l->lang, "mydata_mail_footer", &days, 1);
	if (subject == NULL || intro == NULL || footer == NULL)
		goto out;
	buf_printf(&text, "%s\n\n%s\n",
	    i18n_format(a, l->lang, "acct_mail_hello", NULL, 0), intro);
	for (i = 0; i < l->n; i++) {
		const struct letter_mydata_item *it = &l->items[i];
		struct msgfmt_arg arg = { .type = MSGFMT_STRING };

		utc_format(date, UTC_DAY, it->signed_at);
		buf_printf(&text, "\n* %s\n", it->title);
		arg.name = "date";
		arg.str = date;
		line = i18n_format(a, l->lang, "mydata_mail_signed", &arg, 1);
		buf_printf(&text, "  %s, %s\n", line ? line : date,
		    i18n_text(l->lang,
			it->confirmed ? "mydata_mail_confirmed" :
					"mydata_mail_pending"));
		if (it->name[0] != '\0') {
			arg.name = "name";
			arg.str = it->name;
			line = i18n_format(a, l->lang, "mydata_mail_name", &arg,
			    1);
			buf_printf(&text, "  %s\n", line ? line : "");
		}
		if (it->comment[0] != '\0') {
			arg.name = "comment";
			arg.str = it->comment;
			line = i18n_format(a, l->lang, "mydata_mail_comment",
			    &arg, 1);
			buf_printf(&text, "  %s\n", line ? line : "");
		}
		arg.name = "link";
		arg.str = it->withdraw_url;
		line = i18n_format(a, l->lang, "mydata_mail_withdraw", &arg, 1);
		buf_printf(&text, "  %s\n", line ? line : it->withdraw_url);
	}
	buf_printf(&text, "\n%s\n", footer);
	if (!buf_ok(&text))
		goto out;
	memset(&m, 0, sizeof(m));
	m.to_addr = l->email;
	m.subject = subject;
	m.text = text.data;
	m.lang = l->lang;
	ret = letter_post(a, &m, NULL, NULL, "mydata", out);
out:
	buf_reset(&text);
	return ret;
}
