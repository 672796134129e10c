/* mail_outbox.c - the delivery worker: claim, send, record, back off. */
#include "mail_outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "email.h"
#include "log.h"
#include "mail_letter.h"
#include "mono.h"
#include "signq.h"
#include "worker.h"
#include <sodium.h>

/* A sender claims CLAIM_MIN due messages at a time, and twice as many
 * (up to CLAIM_MAX) while each claim comes back full: a few messages
 * spread over every sender, a backlog is sent with a commit per 100
 * outcomes and another per claim instead of per 20 (those commits took
 * the write lock from the signature writer, and the outbox fell behind
 * signing at 2,000 a second). */
#define CLAIM_MIN 20
#define CLAIM_MAX 100

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t threads[OUTBOX_SENDERS_MAX];
	int nthreads;
	unsigned kicks; /* outbox_kick() calls so far */
	bool running, stopping;
	struct store *store;
	struct outbox_config cfg;
} w = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

/* The hold for a saturated signature writer (outbox_config.yield_ms):
 * when it began (mono_ms(); 0: no mail held), and whether it ran its
 * course. A hold lasts while the writer is saturated, at most yield_ms from
 * its beginning however often the saturation pauses; the next begins only
 * once the senders have caught up, so no letter waits much longer than
 * yield_ms for the writer. */
static _Atomic int64_t hold_began;
static atomic_bool hold_spent;

/* True while the senders should hold the mail. Logs the hold's beginning
 * and its running out once, whichever sender sees them. */
static bool
hold_mail(const struct outbox_config *c)
{
	int64_t began = 0, now;

	if (c->yield_ms <= 0 || atomic_load(&hold_spent) ||
	    signq_busy_since() == 0)
		return false;
	now = mono_ms();
	if (atomic_compare_exchange_strong(&hold_began, &began, now)) {
		began = now;
		log_info("outbox",
		    "event=held note=\"the signature writer is saturated: "
		    "mail waits up to %lld ms\"",
		    (long long)c->yield_ms);
	}
	if (now - began < c->yield_ms)
		return true;
	if (!atomic_exchange(&hold_spent, true))
		log_info("outbox",
		    "event=hold_ended held_ms=%lld note=\"mail goes out "
		    "beside the signing\"",
		    (long long)(now - began));
	return false;
}

/* A claim that began at claimed_at (mono_ms()) found nothing more: the
 * senders had caught up then, and a saturation to come may hold mail
 * again. A hold that began after that claim did is left alone: the mail it
 * holds came later. */
static void
hold_reset(int64_t claimed_at)
{
	int64_t began = atomic_load(&hold_began);

	if (began != 0 && began < claimed_at &&
	    atomic_compare_exchange_strong(&hold_began, &began, 0))
		atomic_store(&hold_spent, false);
}

/* Waits while hold_mail() says so, in steps of 50 ms, or until the worker
 * stops. */
static void
hold_while_busy(const struct outbox_config *c)
{
	struct timespec until;

	while (hold_mail(c)) {
		pthread_mutex_lock(&w.lock);
		if (w.stopping) {
			pthread_mutex_unlock(&w.lock);
			return;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		mono_add_ms(&until, 50);
		pthread_cond_timedwait(&w.wake, &w.lock, &until);
		pthread_mutex_unlock(&w.lock);
	}
}

/* Writes the message as DIR/ID.eml, atomically: a reader never sees half a
 * file. Returns 0 or -1. */
static int
write_file(const struct outbox_config *c, const char *message_id,
    const char *msg, size_t len)
{
	char name[256], tmp[PATH_MAX], path[PATH_MAX];
	size_t i, o = 0;
	int fd;

	for (i = 0; message_id[i] != '\0' && o + 1 < sizeof(name); i++) {
		char ch = message_id[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		    ch == '@')
			name[o++] = ch;
	}
	name[o] = '\0';
	if (mkdir(c->dir, 0700) == -1 && errno != EEXIST)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", c->dir, name);
	snprintf(path, sizeof(path), "%s/%s.eml", c->dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1)
		return -1;
	if (write(fd, msg, len) != (ssize_t)len || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

static int64_t
backoff(const struct outbox_config *c, int attempts)
{
	int64_t d = c->retry_base;
	int i;

	for (i = 1; i < attempts && d < c->retry_max; i++)
		d *= 2;
	return d < c->retry_max ? d : c->retry_max;
}

/* The keyed hash of the recipient in its normal form, as signatures and
 * accounts keep addresses; of the address as it is when it does not
 * normalise (it was normalised before it was queued). */
static void
rcpt_hash(struct arena *a, const char *rcpt, size_t len,
    unsigned char out[CRYPTO_HASH_BYTES])
{
	const char *norm;
	size_t nlen = 0;

	if ((norm = email_normalize(a, rcpt, len, &nlen)) != NULL)
		crypto_email_hash(norm, nlen, out);
	else
		crypto_email_hash(rcpt, len, out);
}

/* A claimed message on its way out: opened and composed (pending_open()),
 * looked up in the suppression list with the rest of its batch, then sent
 * (deliver()). */
struct pending {
	char *plain; /* the sealed bytes opened: wiped and freed */
	size_t plen;
	const char *rcpt, *msg; /* in plain, composed or the arena */
	size_t rlen, mlen;
	struct buf composed; /* a deferred letter composed now: wiped */
	bool ready;	     /* opened and composed; else err says why */
	char err[256];
};

/* Opens m's sealed bytes into l and composes a deferred letter, with the
 * row's Message-ID, so a copy sent again is the same message; puts the
 * recipient's keyed hash in hash. On failure l->ready is false and l->err
 * says why. */
static void
pending_open(const struct outbox_msg *m, struct arena *a, struct pending *l,
    unsigned char hash[CRYPTO_HASH_BYTES])
{
	memset(l, 0, sizeof(*l));
	memset(hash, 0, CRYPTO_HASH_BYTES);
	buf_init(&l->composed);
	if (m->sealed == NULL ||
	    (l->plain = crypto_open(m->sealed, m->sealed_len, &l->plen)) ==
		NULL) {
		snprintf(l->err, sizeof(l->err),
		    "cannot open the sealed message");
		return;
	}
	l->rcpt = l->plain;
	l->rlen = strnlen(l->plain, l->plen);
	if (l->rlen == l->plen) {
		snprintf(l->err, sizeof(l->err), "malformed sealed message");
		return;
	}
	if (l->rlen == 0) {
		if (letter_compose_later(a, l->plain, l->plen, m->message_id,
			&l->rcpt, &l->composed) == -1) {
			snprintf(l->err, sizeof(l->err),
			    "cannot compose the letter");
			return;
		}
		l->rlen = strlen(l->rcpt);
		l->msg = l->composed.data;
		l->mlen = l->composed.len;
	} else {
		l->msg = l->plain + l->rlen + 1;
		l->mlen = l->plen - l->rlen - 1;
	}
	rcpt_hash(a, l->rcpt, l->rlen, hash);
	l->ready = true;
}

/* Wipes and frees what pending_open() opened. */
static void
pending_close(struct pending *l)
{
	if (l->plain != NULL) {
		sodium_memzero(l->plain, l->plen);
		free(l->plain);
	}
	if (l->composed.data != NULL)
		sodium_memzero(l->composed.data, l->composed.len);
	buf_reset(&l->composed);
	l->plain = NULL;
}

/* Delivers one claimed message opened in l and says in *out how it went
 * (error in arena a), for run_batches() to record with the rest of its
 * batch: a recipient the relay refused for good (SMTP_REFUSED) is
 * suppressed at once, and a suppressed one (suppressed) is not tried
 * again. Returns how the attempt went. */
static enum smtp_result
deliver(struct store *s, const struct outbox_config *c,
    struct smtp_session *sess, const struct outbox_msg *m, struct pending *l,
    const unsigned char hash[CRYPTO_HASH_BYTES], bool suppressed,
    struct arena *a, struct outbox_outcome *out)
{
	enum smtp_result res = SMTP_PERMFAIL;
	char *err = l->err;
	size_t errlen = sizeof(l->err);
	const char *msg = l->msg;
	size_t mlen = l->mlen;
	struct buf signed_msg;
	int64_t now;

	buf_init(&signed_msg);
	if (!l->ready)
		goto record;
	if (suppressed) {
		snprintf(err, errlen,
		    "not sent: the address was refused for good before");
		goto record;
	}
	/* Signed as sent, at each attempt: the signature's time is the
	 * sending's, and the sealed copy stays the one composed. */
	if (c->dkim != NULL) {
		if (dkim_sign_message(c->dkim, msg, mlen, &signed_msg) == -1 ||
		    !buf_ok(&signed_msg)) {
			res = SMTP_TEMPFAIL;
			snprintf(err, errlen, "cannot sign the message");
			goto record;
		}
		buf_append(&signed_msg, msg, mlen);
		if (!buf_ok(&signed_msg)) {
			res = SMTP_TEMPFAIL;
			snprintf(err, errlen, "out of memory");
			goto record;
		}
		msg = signed_msg.data;
		mlen = signed_msg.len;
	}
	if (c->smtp.url == NULL) {
		res = write_file(c, m->message_id, msg, mlen) == 0 ?
		    SMTP_SENT :
		    SMTP_TEMPFAIL;
		if (res != SMTP_SENT)
			snprintf(err, errlen, "cannot write %s: %s", c->dir,
			    strerror(errno));
	} else {
		res = sess != NULL ? smtp_session_send(sess, c->from, l->rcpt,
					 msg, mlen, err, errlen) :
				     smtp_send(&c->smtp, c->from, l->rcpt, msg,
					 mlen, err, errlen);
	}
record:
	now = (int64_t)time(NULL);
	out->id = m->id;
	out->next_at = 0;
	out->error = "";
	if (res == SMTP_SENT) {
		out->state = OUTBOX_SENT;
		log_info("outbox", "id=%lld kind=%s result=sent attempt=%d",
		    (long long)m->id, m->kind, m->attempts);
	} else if (res == SMTP_TEMPFAIL && m->attempts < c->max_attempts) {
		int64_t next = now + backoff(c, m->attempts);

		out->state = OUTBOX_QUEUED;
		out->next_at = next;
		out->error = arena_strdup(a, err);
		log_warn("outbox",
		    "id=%lld kind=%s result=retry attempt=%d "
		    "in=%llds error=\"%s\"",
		    (long long)m->id, m->kind, m->attempts,
		    (long long)(next - now), err);
	} else {
		if (res == SMTP_REFUSED &&
		    store_suppress_add(s, hash, err, now) == STORE_OK)
			log_warn("outbox",
			    "id=%lld kind=%s event=suppressed note=\"the "
			    "address is not mailed again\"",
			    (long long)m->id, m->kind);
		out->state = OUTBOX_DEAD;
		out->error = arena_strdup(a, err);
		log_error("outbox",
		    "id=%lld kind=%s result=dead attempt=%d "
		    "error=\"%s\"",
		    (long long)m->id, m->kind, m->attempts, err);
	}
	if (signed_msg.data != NULL)
		sodium_memzero(signed_msg.data, signed_msg.len);
	buf_reset(&signed_msg);
	pending_close(l);
	return res;
}

/* Records the outcomes of a batch that has gone out. A record lost would
 * send the batch again an hour later (OUTBOX_LEASE), so a store that is
 * only unavailable (SQLite busy past its timeout under a spike's writes, a
 * full disk, a lost PostgreSQL connection) is tried again, with pauses
 * growing to 2 s, for up to RECORD_TRY_S seconds. Returns the last try's
 * status. */
#define RECORD_TRY_S 60
static enum store_status
record_batch(struct store *s, const struct outbox_outcome *oc, size_t n)
{
	time_t start = time(NULL);
	long ms = 50;
	enum store_status st;

	while ((st = store_outbox_finish_batch(s, oc, n, (int64_t)time(NULL))) ==
		STORE_UNAVAILABLE &&
	    time(NULL) - start < RECORD_TRY_S) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		log_warn("outbox",
		    "error=\"cannot record a batch yet\" messages=%zu "
		    "retry_ms=%ld",
		    n, ms);
		nanosleep(&ts, NULL);
		ms = ms * 2 < 2000 ? ms * 2 : 2000;
	}
	return st;
}

/* Claims and sends due mail in batches until none is left (or the worker
 * is stopping); the outcomes of a batch are recorded together, in one
 * commit (a message sent but not yet recorded when the process dies is
 * sent again, with its Message-ID, like one in flight). Returns the number
 * handled, or -1 on a store error. */
static int
run_batches(struct store *s, const struct outbox_config *c,
    struct smtp_session *sess)
{
	struct outbox_outcome oc[CLAIM_MAX];
	unsigned char hash[CLAIM_MAX][CRYPTO_HASH_BYTES];
	bool found[CLAIM_MAX];
	struct pending *lt;
	struct outbox_msg *ms;
	struct arena *a;
	size_t n, i, want = CLAIM_MIN;
	int64_t claimed_at;
	int total = 0;

	for (;;) {
		hold_while_busy(c);
		if ((a = arena_new()) == NULL)
			return -1;
		claimed_at = mono_ms();
		if ((lt = arena_alloc(a, CLAIM_MAX * sizeof(*lt))) == NULL ||
		    store_outbox_claim(s, a, (int64_t)time(NULL), want, &ms,
			&n) != STORE_OK) {
			arena_free(a);
			return -1;
		}
		/* Opened and composed first, so the batch's recipients are
		 * looked up in the suppression list together. */
		for (i = 0; i < n; i++)
			pending_open(&ms[i], a, &lt[i], hash[i]);
		if (store_suppress_find(s, hash, n, found) != STORE_OK)
			log_warn("outbox",
			    "error=\"cannot read the suppression list\" "
			    "messages=%zu",
			    n);
		for (i = 0; i < n; i++) {
			size_t j;

			if (deliver(s, c, sess, &ms[i], &lt[i], hash[i],
				found[i], a, &oc[i]) != SMTP_REFUSED)
				continue;
			/* Refused for good: not tried again in this batch. */
			for (j = i + 1; j < n; j++)
				found[j] = found[j] ||
				    memcmp(hash[j], hash[i], sizeof(hash[i])) ==
					0;
		}
		if (record_batch(s, oc, n) != STORE_OK)
			log_warn("outbox",
			    "error=\"cannot record a batch\" messages=%zu "
			    "note=\"they are sent again later\"",
			    n);
		arena_free(a);
		total += (int)n;
		if (n < want) {
			hold_reset(claimed_at);
			return total;
		}
		want = want * 2 < CLAIM_MAX ? want * 2 : CLAIM_MAX;
		pthread_mutex_lock(&w.lock);
		if (w.stopping) {
			pthread_mutex_unlock(&w.lock);
			return total;
		}
		pthread_mutex_unlock(&w.lock);
	}
}

int
outbox_run_once(struct store *s, const struct outbox_config *c)
{
	struct smtp_session *sess = NULL;
	int n;

	if (c->smtp.url != NULL && (sess = smtp_session_new(&c->smtp)) == NULL)
		return -1;
	n = run_batches(s, c, sess);
	smtp_session_free(sess);
	return n;
}

/* One sender: its own connection to the relay, kept between batches. */
static void *
worker(void *arg)
{
	struct smtp_session *sess = NULL;
	struct timespec until;
	unsigned seen;

	(void)arg;
	if (w.cfg.smtp.url != NULL &&
	    (sess = smtp_session_new(&w.cfg.smtp)) == NULL)
		log_warn("outbox",
		    "error=\"out of memory\" note=\"a "
		    "connection per message\"");
	for (;;) {
		pthread_mutex_lock(&w.lock);
		seen = w.kicks;
		pthread_mutex_unlock(&w.lock);
		if (run_batches(w.store, &w.cfg, sess) == -1)
			log_warn("outbox", "error=\"cannot read the outbox\"");
		pthread_mutex_lock(&w.lock);
		/* Wake on a kick made since this round began, else once a
		 * second for retries that fall due. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (w.kicks == seen && !w.stopping &&
		    pthread_cond_timedwait(&w.wake, &w.lock, &until) == 0)
			;
		if (w.stopping) {
			pthread_mutex_unlock(&w.lock);
			break;
		}
		pthread_mutex_unlock(&w.lock);
	}
	smtp_session_free(sess);
	return NULL;
}

int
outbox_start(struct store *s, const struct outbox_config *c)
{
	int n = 0, i, want;

	if (store_outbox_recover(s, &n) != STORE_OK)
		return -1;
	if (n > 0)
		log_warn("outbox",
		    "event=recovered messages=%d note=\"an attempt "
		    "was cut short; sending again with the same Message-ID\"",
		    n);
	w.store = s;
	w.cfg = *c;
	w.stopping = false;
	want = c->senders < 1		    ? 1 :
	    c->senders > OUTBOX_SENDERS_MAX ? OUTBOX_SENDERS_MAX :
					      c->senders;
	for (i = 0; i < want; i++) {
		if (pthread_create(&w.threads[i], NULL, worker, NULL) != 0)
			break;
		worker_name(w.threads[i], "mail");
		w.nthreads = i + 1;
	}
	w.running = w.nthreads > 0;
	if (w.nthreads < want) {
		outbox_stop();
		return -1;
	}
	return 0;
}

void
outbox_kick(void)
{
	pthread_mutex_lock(&w.lock);
	w.kicks++;
	pthread_cond_broadcast(&w.wake);
	pthread_mutex_unlock(&w.lock);
}

void
outbox_stop(void)
{
	int i;

	if (!w.running)
		return;
	pthread_mutex_lock(&w.lock);
	w.stopping = true;
	pthread_cond_broadcast(&w.wake);
	pthread_mutex_unlock(&w.lock);
	for (i = 0; i < w.nthreads; i++)
		pthread_join(w.threads[i], NULL);
	w.nthreads = 0;
	w.running = false;
}
