/* page_mydata.c - a signer asks for their data: /privacy/data takes an
 * address and mails that address (only) what holos holds about it, with a
 * fresh withdrawal link for each signature. The page answers the same
 * whether the address is known or not, no sooner than ANSWER_MS. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "delay.h"
#include "email.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "mail_letter.h"
#include "mail_outbox.h"
#include "mono.h"
#include "page.h"

#define ANSWER_MS 300
/* The most signatures one mail lists. */
#define MYDATA_MAX 200
/* One mail per address per this many seconds, however often it is asked
 * for: the page cannot be used to flood a mailbox. */
#define MYDATA_GAP 900
#define MYDATA_SLOTS 4096

/* When each address (by its hash's first bytes) was last mailed. A
 * collision only delays another address's mail. */
static struct {
	uint64_t key;
	int64_t at;
} sent[MYDATA_SLOTS];
static pthread_mutex_t sent_lock = PTHREAD_MUTEX_INITIALIZER;

/* True (and the time taken) when hash may be mailed now. */
static bool
mail_allowed(const unsigned char *hash, int64_t now)
{
	uint64_t key;
	size_t slot;
	bool ok;

	memcpy(&key, hash, sizeof(key));
	slot = (size_t)(key % MYDATA_SLOTS);
	pthread_mutex_lock(&sent_lock);
	ok = sent[slot].key != key || now - sent[slot].at >= MYDATA_GAP;
	if (ok) {
		sent[slot].key = key;
		sent[slot].at = now;
	}
	pthread_mutex_unlock(&sent_lock);
	return ok;
}

static void
render(struct request *r, int status, const struct form_value *v,
    const char *err, bool sent_view)
{
	json_t *ctx, *form;

	ctx = page_context(r, i18n_text(r->lang, "mydata_title"));
	form = json_pack("{s:s, s:s, s:b}", "action", "/privacy/data", "csrf",
	    page_form_token(r, ""), "sent", sent_view);
	if (v != NULL && v[PAGE_EMAIL].s != NULL && !sent_view)
		json_object_set_new(form, "email",
		    json_stringn(v[PAGE_EMAIL].s, v[PAGE_EMAIL].len));
	if (err != NULL)
		json_object_set_new(form, "error",
		    json_string(i18n_text(r->lang, err)));
	json_object_set_new(ctx, "mydata", form);
	page_render(r, status, "mydata", ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

void
page_mydata_show(struct request *r)
{
	page_begin(r);
	render(r, 200, NULL, NULL, false);
}

/* The "first last" inside a sealed "first\0last\0email\0ip", into the
 * arena; "" when it cannot be opened. */
static const char *
pii_name(struct request *r, const unsigned char *pii, size_t len)
{
	size_t plen, flen, llen;
	const char *name;
	char *plain;

	if (pii == NULL || (plain = crypto_open(pii, len, &plen)) == NULL)
		return "";
	flen = strnlen(plain, plen);
	llen = flen < plen ? strnlen(plain + flen + 1, plen - flen - 1) : 0;
	name = arena_printf(r->arena, "%.*s%s%.*s", (int)flen, plain,
	    flen > 0 && llen > 0 ? " " : "", (int)llen,
	    flen < plen ? plain + flen + 1 : "");
	sodium_memzero(plain, plen);
	free(plain);
	return name != NULL ? name : "";
}

/* Mails email what is held about it. Returns how many signatures it
 * listed (0: nothing sent), or -1 when the store or the mail failed
 * (logged). */
static int
mydata_send(struct request *r, const char *email, const unsigned char *hash,
    int64_t now)
{
	unsigned char th[CRYPTO_HASH_BYTES];
	char tok[CRYPTO_TOKEN_CHARS + 1];
	struct letter_mydata_item *items;
	struct letter_mydata l;
	struct outbox_new m;
	struct mydata_row *rows;
	size_t n, i;

	if (store_mydata_list(site.store, r->arena, hash, MYDATA_MAX, &rows,
		&n) != STORE_OK)
		return -1;
	if (n == 0)
		return 0;
	if ((items = arena_alloc(r->arena, n * sizeof(*items))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		crypto_token_new(tok);
		crypto_token_hash(tok, CRYPTO_TOKEN_CHARS, th);
		if (store_mydata_token(site.store, th, rows[i].id, now,
			now + site.confirm_ttl) != STORE_OK)
			return -1;
		items[i] = (struct letter_mydata_item){
			.title = rows[i].title,
			.signed_at = rows[i].created_at,
			.confirmed = rows[i].confirmed,
			.name = pii_name(r, rows[i].pii, rows[i].pii_len),
			.comment = rows[i].comment,
			.withdraw_url = arena_printf(r->arena, "%s/w/%s",
			    site.base_url, tok),
		};
		if (items[i].withdraw_url == NULL)
			return -1;
	}
	sodium_memzero(tok, sizeof(tok));
	l = (struct letter_mydata){ .lang = r->lang,
		.email = email,
		.items = items,
		.n = n };
	memset(&m, 0, sizeof(m));
	if (letter_mydata(r->arena, &l, &m) == -1 ||
	    store_outbox_add(site.store, &m, now) != STORE_OK)
		return -1;
	outbox_kick();
	return (int)n;
}

void
page_mydata_post(struct request *r)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct form_value v[PAGE_EMAIL__MAX];
	int64_t now = (int64_t)time(NULL);
	struct timespec until;
	char *email = NULL;
	size_t elen = 0;
	int listed = 0;

	if (r->job == &delay_job)
		return; /* parked with its reply: it is time */
	page_begin(r);
	switch (page_email_post(r, v, &email, &elen)) {
	case 0: break;
	case 1: render(r, 422, v, "err_email", false); return;
	default: return;
	}
	crypto_email_hash(email, elen, hash);
	if (mail_allowed(hash, now) &&
	    (listed = mydata_send(r, email, hash, now)) == -1) {
		page_unavailable(r);
		return;
	}
	log_info("mydata", "result=%s", listed > 0 ? "mailed" : "answered");
	/* The same page, and no sooner, whatever was found. */
	render(r, 200, NULL, NULL, true);
	until = r->start;
	mono_add_ms(&until, ANSWER_MS);
	if (delay_park(r, &until) == -1)
		log_warn("mydata", "event=answer_later result=full");
}
