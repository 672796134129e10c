/* mail_letter.h - the emails holos writes, in the reader's language, sealed for
 * the outbox. */
#ifndef HOLOS_MAIL_LETTER_H
#define HOLOS_MAIL_LETTER_H

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "store.h"

/* A signer's confirmation. Anyone can type any address into the sign
 * form, so the mail carries nothing else they typed (no name). */
struct letter_confirm {
	const char *lang;
	const char *email; /* normalised address */
	const char *title; /* the petition's title */
	const char *confirm_url;
	const char *unsubscribe_url; /* NULL: no updates were asked for */
	const char *withdraw_url;    /* privacy: NULL for none */
	const char *mydata_url;	     /* NULL: the site's /privacy/data */
	int64_t days;		     /* the link works; 0: the site's */
};

/* Writes the confirmation email for l and seals it into out (from the
 * arena) for the outbox. Returns 0, or -1 when a message cannot be made
 * (unusable address: logged without it) or out of memory. */
int letter_confirm(struct arena *a, const struct letter_confirm *l,
    struct outbox_new *out);

struct mail;

/* Sends m (its recipient, subject, text, language and List-Unsubscribe
 * set) from the site, its HTML part template tmpl rendered with ctx
 * (consumed; tmpl NULL: text only): gives it a Message-ID (from the
 * arena) and the date, composes it and seals "RCPT\0MESSAGE" into out
 * (from the arena) as a message of kind. Returns 0, or -1 when ctx is
 * NULL, it cannot be rendered or composed (logged) or out of memory. */
int letter_post(struct arena *a, struct mail *m, const char *tmpl, json_t *ctx,
    const char *kind, struct outbox_new *out);

/* The mail of an account: which one. */
enum letter_account_kind {
	LETTER_VERIFY,	 /* confirm the address: link */
	LETTER_RESET,	 /* set a new password: link */
	LETTER_EXISTS,	 /* a sign-up with an address that has an
			  * account: sign in (link) or reset (link2) */
	LETTER_APPROVED, /* the starter's petition is published: its
			  * page (link) */
	LETTER_REJECTED, /* it was rejected (reason, note): edit it
			  * (link) */
	LETTER_HIDDEN,	 /* it was hidden (reason, note): the
			  * dashboard (link) */
	/* Delivery. */
	LETTER_DELIVERY,  /* to an addressee (name): the petition (title)
			   * with count signatures, the pack (link), the
			   * response page (link2) */
	LETTER_MILESTONE, /* to the starter: the petition reached goal
			   * count; the dashboard (link) */
	/* report: to a reporter who left an address: the moderators'
	 * decision (reason: its category in lang), the site (link); nothing
	 * anyone else typed */
	LETTER_REPORT_OUTCOME,
	/* Signing. */
	LETTER_SIGNED, /* to an address that signed the petition (title)
			* already, when someone signs with it again: its
			* page (link) */
	LETTER_SIGNIN, /* a sign-in link (link) for the account */
	LETTER_ACCOUNT__MAX
};

struct letter_account {
	enum letter_account_kind kind;
	const char *lang;
	const char *name;  /* the account's public name, "" none: never
			    * written into the mail (whoever signed up
			    * with the address typed it) */
	const char *email; /* normalised address */
	const char *link;
	const char *link2;  /* LETTER_EXISTS only */
	int64_t hours;	    /* how long link works (not EXISTS) */
	const char *title;  /* the petition (moderation letters) */
	const char *reason; /* the reason, in l->lang, or "" */
	const char *note;   /* the moderator's note, or "" */
	int64_t count;	    /* DELIVERY: signatures; MILESTONE: the goal */
};

/* Writes an account's email for l in l->lang and seals it into out (from
 * the arena) for the outbox, kind "account". Returns 0, or -1 when a
 * message cannot be made (unusable address: logged without it) or out of
 * memory. */
int letter_account(struct arena *a, const struct letter_account *l,
    struct outbox_new *out);

/* Deferred letters. On the sign path, a confirmation (and the letter
 * telling an address that it signed already) is sealed as what makes it,
 * "\0" and a JSON object of l's fields, with a fresh Message-ID and the
 * kind letter_confirm() or letter_account() gives, and the outbox composes
 * it when it sends it (letter_compose_later()): the request thread seals a
 * few hundred bytes instead of composing two mails of 3 KB, and the writer
 * commits the smaller row. An address or language that composing would
 * refuse is refused now. Return 0, or -1 (that, or out of memory). */
int letter_confirm_later(struct arena *a, const struct letter_confirm *l,
    struct outbox_new *out);
int letter_account_later(struct arena *a, const struct letter_account *l,
    struct outbox_new *out);

/* Composes the deferred letter in plain[0..len) (a sealed row's opened
 * bytes, its leading NUL included) as it would have been composed then,
 * but dated now and with the row's message_id: appends the message to msg
 * and sets *rcpt to its recipient (from the arena). Returns 0, or -1 when
 * plain is no deferred letter or it cannot be composed (logged) or memory
 * is short. */
int letter_compose_later(struct arena *a, const char *plain, size_t len,
    const char *message_id, const char **rcpt, struct buf *msg);

/* keys: what holos holds about an address, mailed to that address only
 * (privacy: a signer asks for their data). */
struct letter_mydata_item {
	const char *title;
	int64_t signed_at;
	bool confirmed;
	const char *name;	  /* "first last" as given, "" none */
	const char *comment;	  /* as given, "" none */
	const char *withdraw_url; /* a fresh withdrawal link */
};

struct letter_mydata {
	const char *lang;
	const char *email; /* normalised address */
	const struct letter_mydata_item *items;
	size_t n;
};

/* Writes the data mail for l (plain text: the items are the reader's own
 * words) and seals it into out (from the arena), kind "mydata". Returns
 * 0, or -1 when a message cannot be made or memory is short. */
int letter_mydata(struct arena *a, const struct letter_mydata *l,
    struct outbox_new *out);

#endif
