/* mail_fanout.c - mailing updates to signers, in batches through the outbox. */
#include "mail_fanout.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "i18n.h"
#include "log.h"
#include "mail_letter.h"
#include "mail_message.h"
#include "mail_outbox.h"
#include "markdown.h"
#include "site.h"
#include "ticker.h"
#include "tmpl.h"

/* Seconds the thread sleeps when nobody kicks it. */
#define FANOUT_WAIT 60

static struct ticker ticker;

/* What the messages of one batch share. */
struct batch {
	struct arena *a;
	struct store *s;
	const struct update *u;
	struct petition p;
	const char *body_html; /* the update rendered once */
	const char *body_text; /* and as plain text, for the text part */
	struct {
		const char *lang, *title;
	} titles[I18N_MAX_LANGS];
	size_t ntitles;
};

/* The petition of an update, while it is public (open, closed or won).
 * Returns STORE_OK, STORE_NOTFOUND (not public now) or an error. */
static enum store_status
petition_find(struct store *s, struct arena *a, int64_t id, struct petition *out)
{
	enum store_status st;

	if ((st = store_petition_by_id(s, a, id, out)) != STORE_OK)
		return st;
	switch (out->state) {
	case PETITION_OPEN:
	case PETITION_CLOSED:
	case PETITION_VICTORY: return STORE_OK;
	default: return STORE_NOTFOUND;
	}
}

/* The petition's title in lang: its translation when there is one. */
static const char *
title_for(struct batch *b, const char *lang)
{
	struct translation tr;
	const char *title = b->p.title;
	size_t i;

	if (strcmp(lang, b->p.lang) == 0)
		return title;
	for (i = 0; i < b->ntitles; i++)
		if (strcmp(b->titles[i].lang, lang) == 0)
			return b->titles[i].title;
	if (store_petition_translation(b->s, b->a, b->p.id, lang, &tr) ==
		STORE_OK &&
	    tr.title != NULL && *tr.title != '\0')
		title = tr.title;
	if (b->ntitles < I18N_MAX_LANGS) {
		b->titles[b->ntitles].lang = lang;
		b->titles[b->ntitles].title = title;
		b->ntitles++;
	}
	return title;
}

/* Writes the update's message for one signer (first name and address
 * from the sealed pii) and its unsubscribe token into out. Returns 0, or
 * -1 when the pii cannot be opened or the message cannot be made. */
static int
compose(struct batch *b, const struct recipient *rc, struct update_mail *out)
{
	const struct update *u = b->u;
	struct arena *a = b->a;
	char tok[CRYPTO_TOKEN_CHARS + 1], *plain;
	const char *first, *last, *email, *lang, *title, *subject, *unsub;
	const char *link, *greeting, *intro, *read, *why, *leave;
	size_t len, off;
	struct buf text;
	struct mail m;
	json_t *ctx;
	int ret = -1;

	if ((plain = crypto_open(rc->pii, rc->pii_len, &len)) == NULL)
		return -1;
	buf_init(&text);
	/* "first\0last\0email\0ip" */
	first = plain;
	if ((off = strnlen(first, len) + 1) >= len)
		goto out;
	last = plain + off;
	if ((off += strnlen(last, len - off) + 1) >= len)
		goto out;
	email = plain + off;
	lang = i18n_negotiate(rc->lang, NULL, NULL);
	title = title_for(b, lang);
	crypto_token_new(tok);
	crypto_token_hash(tok, CRYPTO_TOKEN_CHARS, out->unsub_hash);
	unsub = arena_printf(a, "%s/u/%s?lang=%s", site.base_url, tok, lang);
	sodium_memzero(tok, sizeof(tok));
	link =
	    arena_printf(a, "%s/p/%s?lang=%s", site.base_url, b->p.slug, lang);
	{
		struct msgfmt_arg args[5] = {
			MSGFMT_STR("name", first),
			MSGFMT_STR("title", title),
			MSGFMT_STR("update", u->title),
			MSGFMT_STR("author", u->author),
			MSGFMT_STR("link", link),
		};
		bool resp = u->kind == UPDATE_RESPONSE;

		subject = i18n_format(a, lang,
		    resp ? "mail_update_response_subject" :
			   "mail_update_subject",
		    args, 5);
		greeting = i18n_format(a, lang, "mail_greeting", args, 1);
		intro = i18n_format(a, lang,
		    resp ? "mail_update_response_intro" : "mail_update_intro",
		    args, 5);
		read = i18n_format(a, lang, "mail_update_read", args, 5);
		args[4].str = unsub;
		leave = i18n_format(a, lang, "mail_update_unsubscribe", args, 5);
		why = i18n_text(lang, "mail_update_why");
	}
	if (unsub == NULL || link == NULL || subject == NULL ||
	    greeting == NULL || intro == NULL || read == NULL ||
	    leave == NULL || why == NULL)
		goto out;
	buf_printf(&text, "%s\n\n%s\n\n%s\n\n%s\n\n%s\n\n-- \n%s\n%s\n",
	    greeting, intro, u->title, b->body_text, read, why, leave);
	ctx = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s}",
	    "lang", lang, "t", i18n_strings(lang), "subject", subject,
	    "greeting", greeting, "intro", intro, "update", u->title,
	    "body_html", b->body_html, "link", link, "why", why, "unsubscribe",
	    unsub);
	if (!buf_ok(&text)) {
		json_decref(ctx);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.to_name = arena_printf(a, "%s %s", first, last);
	m.to_addr = email;
	m.subject = subject;
	m.text = text.data;
	m.lang = lang;
	m.list_unsubscribe = unsub;
	out->signature_id = rc->signature_id;
	if (letter_post(a, &m, "mail_update", ctx, "update", &out->mail) == -1)
		goto out;
	ret = 0;
out:
	sodium_memzero(plain, len);
	free(plain);
	buf_reset(&text);
	return ret;
}

/* Queues one batch of the oldest update still being mailed. Returns 1
 * when something was done (*queued messages, perhaps none), 0 when there
 * is nothing to do, -1 on a store error (logged). */
static int
batch_run(struct store *s, int *queued)
{
	struct update_mail *msgs = NULL;
	struct recipient *rc = NULL;
	struct update u;
	struct batch b;
	struct buf html;
	enum store_status st;
	size_t n = 0, i, k = 0;
	int64_t cursor;
	bool done;
	int ret = -1;

	*queued = 0;
	memset(&b, 0, sizeof(b));
	if ((b.a = arena_new()) == NULL)
		return -1;
	b.s = s;
	b.u = &u;
	switch ((st = store_update_mail_next(s, b.a, &u))) {
	case STORE_OK: break;
	case STORE_NOTFOUND: ret = 0; goto out;
	default:
		log_warn("fanout", "error=\"cannot read updates\" status=%s",
		    store_status_name(st));
		goto out;
	}
	cursor = u.mail_cursor;
	switch ((st = petition_find(s, b.a, u.petition_id, &b.p))) {
	case STORE_OK:
		st = store_update_recipients(s, b.a, u.petition_id, cursor,
		    u.created_at, FANOUT_BATCH, &rc, &n);
		break;
	case STORE_NOTFOUND:
		/* Hidden (or otherwise gone) since: its signers get nothing,
		 * and the updates after it must not wait for it. */
		log_info("fanout",
		    "update=%lld petition=%lld result=skipped "
		    "reason=\"petition not public\"",
		    (long long)u.id, (long long)u.petition_id);
		n = 0;
		st = STORE_OK;
		break;
	default: break;
	}
	if (st != STORE_OK) {
		log_warn("fanout",
		    "update=%lld error=\"cannot read "
		    "recipients\" status=%s",
		    (long long)u.id, store_status_name(st));
		goto out;
	}
	done = n < FANOUT_BATCH;
	if (n > 0) {
		buf_init(&html);
		/* Images become links: opening the mail loads nothing. */
		if (markdown_render_mail(u.body_md, strlen(u.body_md), &html) ==
			0 &&
		    buf_ok(&html))
			b.body_html = arena_strndup(b.a,
			    html.data ? html.data : "", html.len);
		buf_reset(&html);
		buf_init(&html);
		if (markdown_text(u.body_md, strlen(u.body_md), &html) == 0 &&
		    buf_ok(&html)) {
			while (html.len > 0 && html.data[html.len - 1] == '\n')
				html.len--;
			b.body_text = arena_strndup(b.a,
			    html.data ? html.data : "", html.len);
		}
		buf_reset(&html);
		if (b.body_html == NULL || b.body_text == NULL ||
		    (msgs = arena_alloc(b.a, n * sizeof(*msgs))) == NULL) {
			log_warn("fanout",
			    "update=%lld error=\"out of "
			    "memory\"",
			    (long long)u.id);
			goto out;
		}
		memset(msgs, 0, n * sizeof(*msgs));
	}
	for (i = 0; i < n; i++) {
		if (compose(&b, &rc[i], &msgs[k]) == -1) {
			/* Logged without personal data: the signature id
			 * says which, to those who may look. */
			log_warn("fanout",
			    "update=%lld signature=%lld "
			    "result=skipped reason=\"cannot compose\"",
			    (long long)u.id, (long long)rc[i].signature_id);
			continue;
		}
		k++;
	}
	switch ((st = store_update_mail_commit(s, u.id, cursor,
		     n > 0 ? rc[n - 1].signature_id : cursor, done, msgs, k,
		     (int64_t)time(NULL)))) {
	case STORE_OK:
		*queued = (int)k;
		log_info("fanout",
		    "update=%lld petition=%lld queued=%zu "
		    "done=%d",
		    (long long)u.id, (long long)u.petition_id, k, done);
		if (k > 0)
			outbox_kick();
		break;
	case STORE_DUPLICATE:
		/* Another process queued this batch first. */
		log_info("fanout", "update=%lld result=raced", (long long)u.id);
		break;
	default:
		log_warn("fanout",
		    "update=%lld error=\"cannot queue\" "
		    "status=%s",
		    (long long)u.id, store_status_name(st));
		goto out;
	}
	ret = 1;
out:
	arena_free(b.a);
	return ret;
}

int
fanout_run_once(struct store *s)
{
	int queued, r;

	/* A batch that queued nothing (no recipients left, or raced) still
	 * moved an update on: go on until one queues mail or none is left. */
	while ((r = batch_run(s, &queued)) == 1 && queued == 0)
		;
	return r == -1 ? -1 : queued;
}

/* Runs batches while there are any, until holos stops. */
static void
fanout_tick(void *arg)
{
	int queued;

	while (!ticker_stopping(&ticker) && batch_run(arg, &queued) == 1)
		;
}

int
fanout_start(struct store *s)
{
	ticker.name = "fanout";
	ticker.interval_ms = FANOUT_WAIT * 1000;
	ticker.run = fanout_tick;
	ticker.arg = s;
	return ticker_start(&ticker);
}

void
fanout_kick(void)
{
	ticker_kick(&ticker);
}

void
fanout_stop(void)
{
	ticker_stop(&ticker);
}
