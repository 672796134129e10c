/* handover.c - delivery letters, the response threshold, milestone mail
 * and the end mail of a petition. */
#include "handover.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counts.h"
#include "crypto.h"
#include "i18n.h"
#include "log.h"
#include "mail_fanout.h"
#include "mail_letter.h"
#include "mail_outbox.h"
#include "site.h"
#include "ticker.h"

/* How often the ticker looks when nobody kicks it. */
#define HANDOVER_INTERVAL_MS 2000

int
handover_deliver(struct store *s, const struct petition *p, int64_t count,
    const char *actor, size_t *made)
{
	struct addressee_email *ae;
	struct delivery_new *d;
	struct arena *a;
	int64_t now = (int64_t)time(NULL);
	size_t n, i, k = 0;
	int ret = -1;

	*made = 0;
	if ((a = arena_new()) == NULL)
		return -1;
	if (store_addressee_emails(s, a, p->id, &ae, &n) != STORE_OK ||
	    (d = arena_alloc(a, (n + 1) * sizeof(*d))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		char token[CRYPTO_TOKEN_CHARS + 1];
		struct letter_account l;
		size_t len = 0;
		char *email;
		int rc;

		if (ae[i].sealed == NULL || ae[i].sealed_len == 0)
			continue;
		if ((email = crypto_open(ae[i].sealed, ae[i].sealed_len,
			 &len)) == NULL) {
			log_warn("handover",
			    "petition=%lld pos=%d error=\"cannot open the "
			    "address\"",
			    (long long)p->id, ae[i].pos);
			continue;
		}
		crypto_token_new(token);
		crypto_token_hash(token, strlen(token), d[k].token_hash);
		memset(&l, 0, sizeof(l));
		l.kind = LETTER_DELIVERY;
		l.lang = p->lang;
		l.name = ae[i].name;
		l.email = email;
		l.title = p->title;
		l.count = count;
		l.link = arena_printf(a, "%s/d/%s", site.base_url, token);
		l.link2 = arena_printf(a, "%s/r/%s", site.base_url, token);
		memset(&d[k].mail, 0, sizeof(d[k].mail));
		rc = letter_account(a, &l, &d[k].mail);
		sodium_memzero(email, len);
		free(email);
		sodium_memzero(token, sizeof(token));
		if (rc == -1) {
			log_warn("handover",
			    "petition=%lld pos=%d error=\"cannot write the "
			    "letter\"",
			    (long long)p->id, ae[i].pos);
			continue;
		}
		d[k].pos = ae[i].pos;
		d[k].name = ae[i].name;
		k++;
	}
	if (k > 0 &&
	    store_deliver(s, p->id, d, k, count, now,
		now + HANDOVER_LINK_DAYS * 86400, actor, made) != STORE_OK)
		goto fail;
	if (*made > 0) {
		log_info("handover",
		    "petition=%lld delivered=%zu count=%lld "
		    "actor=%s",
		    (long long)p->id, *made, (long long)count, actor);
		outbox_kick();
	}
	ret = 0;
fail:
	if (ret == -1)
		log_error("handover", "petition=%lld error=\"cannot deliver\"",
		    (long long)p->id);
	arena_free(a);
	return ret;
}

void
handover_ended(struct store *s, int64_t petition_id, enum petition_state to)
{
	struct petition p;
	struct update u;
	struct arena *a;
	enum store_status st;

	if (to != PETITION_CLOSED && to != PETITION_VICTORY)
		return;
	if ((a = arena_new()) == NULL)
		return;
	if (store_petition_by_id(s, a, petition_id, &p) != STORE_OK) {
		log_error("handover", "petition=%lld error=\"cannot read it\"",
		    (long long)petition_id);
		arena_free(a);
		return;
	}
	memset(&u, 0, sizeof(u));
	u.petition_id = petition_id;
	u.kind = UPDATE_NEWS;
	u.author = "";
	u.created_at = (int64_t)time(NULL);
	if (to == PETITION_VICTORY) {
		u.title = i18n_text(p.lang, "end_update_victory_title");
		u.body_md = p.note != NULL ? p.note : "";
	} else {
		u.title = i18n_text(p.lang, "end_update_closed_title");
		u.body_md = i18n_text(p.lang, "end_update_closed_body");
	}
	if (u.title == NULL || u.body_md == NULL) {
		arena_free(a);
		return;
	}
	st = store_end_update(s, petition_id, petition_state_name(to), &u, NULL);
	if (st == STORE_OK) {
		log_info("handover", "petition=%lld end=%s mail=queued",
		    (long long)petition_id, petition_state_name(to));
		fanout_kick();
	} else if (st != STORE_NOTFOUND)
		log_error("handover", "petition=%lld end=%s error=\"%s\"",
		    (long long)petition_id, petition_state_name(to),
		    store_status_name(st));
	arena_free(a);
}

/* The highest goal at or below count, counting from after mailed: the
 * petition's own goal first, then the ladder; 0 when none is reached. */
static int64_t
goal_reached(int64_t count, int64_t goal, int64_t mailed)
{
	int64_t next = mailed < goal ? goal : petition_next_goal(mailed, goal);
	int64_t reached = 0;

	while (next <= count && next > reached) {
		reached = next;
		next = petition_next_goal(reached, goal);
	}
	return reached;
}

/* Mails the starter of m that the petition reached goal. Returns 0, or -1
 * to try again later. */
static int
milestone_mail(struct store *s, struct arena *a, const struct milestone *m,
    int64_t goal)
{
	struct outbox_new mail;
	struct letter_account l;
	struct petition p;
	struct user u;
	char *email = NULL;
	size_t len = 0;
	enum store_status st;
	int ret = -1;

	memset(&mail, 0, sizeof(mail));
	if (store_petition_by_id(s, a, m->petition_id, &p) != STORE_OK ||
	    store_user_by_id(s, a, m->owner_id, &u) != STORE_OK ||
	    (email = crypto_open(u.email_sealed, u.email_sealed_len, &len)) ==
		NULL)
		goto out;
	memset(&l, 0, sizeof(l));
	l.kind = LETTER_MILESTONE;
	l.lang = u.lang;
	l.name = u.name;
	l.email = email;
	l.title = p.title;
	l.count = goal;
	l.link = arena_printf(a, "%s/me/p/%s", site.base_url, p.slug);
	if (letter_account(a, &l, &mail) == -1)
		goto out;
	st = store_goal_mailed(s, m->petition_id, m->goal_mailed, goal, &mail,
	    (int64_t)time(NULL));
	if (st == STORE_OK) {
		log_info("handover", "petition=%lld goal=%lld mail=queued",
		    (long long)m->petition_id, (long long)goal);
		outbox_kick();
	}
	ret = st == STORE_OK || st == STORE_DUPLICATE ? 0 : -1;
out:
	if (email != NULL) {
		sodium_memzero(email, len);
		free(email);
	}
	if (ret == -1)
		log_warn("handover",
		    "petition=%lld error=\"cannot mail the "
		    "starter\"",
		    (long long)m->petition_id);
	return ret;
}

static struct {
	struct ticker t;
	struct store *s;
	int64_t threshold;
	bool started;
} hv;

static void
handover_run(void *arg)
{
	struct end_due *ends;
	struct milestone *ms;
	struct arena *a;
	size_t n, i;

	(void)arg;
	if ((a = arena_new()) == NULL)
		return;
	/* An end whose mail was not queued with its state change (the
	 * process stopped between the two): queued now, once, whichever
	 * node gets there first. */
	if (store_end_due(hv.s, a, &ends, &n) != STORE_OK)
		n = 0;
	for (i = 0; i < n && !ticker_stopping(&hv.t); i++)
		handover_ended(hv.s, ends[i].petition_id, ends[i].state);
	if (store_milestones(hv.s, a, &ms, &n) != STORE_OK)
		n = 0;
	for (i = 0; i < n && !ticker_stopping(&hv.t); i++) {
		int64_t count = 0, goal;

		if (counts_get(ms[i].petition_id, &count) == -1)
			continue;
		if (ms[i].owner_id != 0 &&
		    (goal = goal_reached(count, ms[i].goal, ms[i].goal_mailed)) >
			ms[i].goal_mailed)
			(void)milestone_mail(hv.s, a, &ms[i], goal);
		if (hv.threshold > 0 && count >= hv.threshold &&
		    ms[i].delivered_at == 0) {
			struct petition p;
			size_t made = 0;

			if (store_petition_by_id(hv.s, a, ms[i].petition_id,
				&p) == STORE_OK)
				(void)handover_deliver(hv.s, &p, count,
				    "system", &made);
		}
	}
	arena_free(a);
}

int
handover_start(struct store *s, int64_t threshold)
{
	hv.s = s;
	hv.threshold = threshold;
	hv.t.name = "handover";
	hv.t.interval_ms = HANDOVER_INTERVAL_MS;
	hv.t.run = handover_run;
	hv.t.arg = NULL;
	if (ticker_start(&hv.t) == -1)
		return -1;
	hv.started = true;
	return 0;
}

void
handover_kick(void)
{
	if (hv.started)
		ticker_kick(&hv.t);
}

void
handover_stop(void)
{
	if (hv.started)
		ticker_stop(&hv.t);
	hv.started = false;
}
