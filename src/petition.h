/* petition.h - the domain: petitions, signatures, states and goals.
 * No HTTP and no SQL here. */
#ifndef HOLOS_PETITION_H
#define HOLOS_PETITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum petition_state {
	PETITION_DRAFT,
	PETITION_PENDING, /* waiting for moderation */
	PETITION_OPEN,
	PETITION_CLOSED,
	PETITION_VICTORY,
	PETITION_REJECTED,
	PETITION_HIDDEN,
	PETITION__MAX
};

enum signature_state {
	SIGNATURE_PENDING, /* waiting for email confirmation */
	SIGNATURE_CONFIRMED,
	SIGNATURE_INVALID, /* removed by a moderator; kept, not counted */
	SIGNATURE__MAX
};

struct addressee {
	const char *name;
	const char *description; /* may be "" */
};

/* The title and text of a petition in another language. */
struct translation {
	const char *lang;
	const char *title;
	const char *body_md;
};

struct petition {
	int64_t id;
	const char *slug;
	const char *title;
	const char *body_md;
	const char *lang; /* BCP 47 code of the original text */
	struct addressee *to;
	size_t nto;
	int64_t goal;
	enum petition_state state;
	int64_t created_at, updated_at; /* unix seconds */
	int64_t count;			/* confirmed signatures */
	const struct translation *tr;	/* store_petition_create() only */
	size_t ntr;
	int64_t closes_at;	/* 0: no closing date */
	int64_t owner_id;	/* the starter's account; 0: none */
	const char *owner_name; /* their public name ("" when none);
				 * filled by store_petition_by_slug */
	const char *reason;	/* of the last transition: a rejection's
				 * or hiding's reason code, "" */
	const char *note;	/* its note (moderator's, victory's) */
	int64_t published_at;	/* first opened; created_at when imported
				 * open; read only */
};

/* A signature as the store sees it: personal data arrives sealed. */
struct signature {
	int64_t petition_id;
	int64_t seq; /* OUT: position in the petition's log */
	unsigned char email_hash[32];
	const unsigned char *pii; /* crypto_seal()ed; see signature_pii */
	size_t pii_len;
	const char *country; /* ISO 3166-1 alpha-2 */
	const char *comment; /* "" when none */
	bool public_name;
	bool public_comment; /* the comment may be shown on the page */
	bool updates;
	enum signature_state state;
	int64_t created_at;
	const char *lang;   /* the signer's language, for mail */
	int flags;	    /* enum guard_flag bits, for review */
	const char *net;    /* the client's /24 or /48 network */
	const char *domain; /* the email's domain */
};

/* The goal shown next: the petition's own goal while the count is below it,
 * then the first step of the ladder (100, 200, 500, 1,000, 1,500, 2,500,
 * 5,000, 7,500, 10,000, 15,000, 20,000, 25,000, 50,000, 75,000, 100,000,
 * 150,000, 200,000, 250,000, 300,000, 500,000, 750,000, 1,000,000, then
 * every 500,000) that is above the count. Never fails. */
int64_t petition_next_goal(int64_t count, int64_t goal);

/* Percent 0..100 of count towards next_goal, rounded down. */
int petition_progress(int64_t count, int64_t next_goal);

/* Names as stored ("open", "closed", …); NULL for an out-of-range state. */
const char *petition_state_name(enum petition_state s);
/* Returns the state for a stored name, or PETITION__MAX when unknown. */
enum petition_state petition_state_parse(const char *name);

const char *signature_state_name(enum signature_state s);
enum signature_state signature_state_parse(const char *name);

/* True while the petition accepts signatures: open, and its closing date
 * (if any) is still ahead of now. */
bool petition_is_open(const struct petition *p, int64_t now);

/* True when a move from one state to another is one of the lifecycle's:
 * draft→pending, pending→draft (withdrawn), pending→open (approved),
 * pending→rejected, rejected→pending (resubmitted), open→closed,
 * open→victory, closed→victory, open→hidden, closed→hidden,
 * victory→hidden, hidden→open (restored). */
bool petition_transition_allowed(enum petition_state from,
    enum petition_state to);

/* True when s is a valid slug: 1-80 of [a-z0-9-], not starting or ending
 * with '-'. */
bool petition_slug_valid(const char *s, size_t len);

/* A signature's personal data, opened: its sealed pii is "first\0last\0
 * email\0ip" (page_petition.c seals it). */
struct signature_pii {
	char *plain; /* the whole text, len bytes: signature_pii_close() */
	size_t len;
	const char *first, *last; /* inside plain, not NUL-terminated */
	size_t first_len, last_len;
};

/* Opens the sealed pii box (len bytes) into p. Returns 0, or -1 when it
 * cannot be opened or ends within the first name (nothing to close). */
int signature_pii_open(struct signature_pii *p, const unsigned char *box,
    size_t len);

/* Wipes and frees p's text; closing twice is harmless. */
void signature_pii_close(struct signature_pii *p);

#endif
