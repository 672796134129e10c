/* store.h - the storage interface. Handlers call these functions and never
 * learn which backend runs: store.c writes each operation once, above
 * store_sqlite.c and store_pg.c (store_open() picks one by the DSN). */
#ifndef HOLOS_STORE_H
#define HOLOS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "petition.h"

enum store_status {
	STORE_OK,
	STORE_NOTFOUND,
	STORE_DUPLICATE,   /* a unique key (slug, email on a petition) */
	STORE_UNAVAILABLE, /* the database cannot be reached or is busy */
	STORE_ERROR,	   /* anything else; details are logged */
	STORE__MAX
};

struct store;

#define STORE_HASH_BYTES 32

/* A message for the outbox: the recipient and the raw message, sealed
 * (crypto_seal) as "RCPT\0MESSAGE". */
struct outbox_new {
	const char *message_id;
	const char *kind; /* "confirm", "update", … */
	const unsigned char *sealed;
	size_t sealed_len;
};

enum write_kind {
	WRITE_SIGN,    /* a new signature */
	WRITE_CONFIRM, /* a confirmation token presented */
	WRITE_KIND__MAX
};

enum write_result {
	WRITE_OK,	    /* signed, or confirmed */
	WRITE_DUPLICATE,    /* that email has signed (and confirmed) already */
	WRITE_RESENT,	    /* still pending: a new link was queued */
	WRITE_RESEND_LATER, /* still pending, link sent too recently */
	WRITE_TOLD,	    /* signed (and confirmed) already: its owner
			     * was mailed op.told */
	WRITE_TOKEN_UNKNOWN,
	WRITE_TOKEN_USED,
	WRITE_TOKEN_EXPIRED,
	WRITE_PETITION_CLOSED, /* a confirmation for a petition that is
				* not open (any longer): not counted */
	WRITE_RESULT__MAX
};

/* One write of the group-commit path. */
struct write_op {
	enum write_kind kind;
	int64_t now;
	/* WRITE_SIGN: the signature and, when it is pending, the hash of its
	 * confirmation token, its expiry and the mail carrying it; unsub_hash
	 * (all zero: none) lets the signer leave updates with one click. The
	 * mail and a fresh token are also used to re-send the link to a
	 * still-pending signature whose last mail is older than
	 * resend_before. */
	struct signature sig;
	unsigned char token_hash[STORE_HASH_BYTES];
	int64_t token_expires;
	unsigned char unsub_hash[STORE_HASH_BYTES];
	struct outbox_new mail; /* sealed NULL: no mail */
	/* The letter telling the owner of an address that signed (and
	 * confirmed) already that someone signed with it again; sent at most
	 * once per window like a re-sent link (sealed NULL: none, and the
	 * answer is WRITE_DUPLICATE). */
	struct outbox_new told;
	int64_t resend_before;
	/* WRITE_CONFIRM: token_hash is the presented token. */
	/* Both: SHA-256 of the signer's receipt secret, the commitment the
	 * signature's log leaf carries if it starts to count (all zero: no
	 * receipt; the leaf gets a random commitment no one can open). */
	unsigned char commitment[STORE_HASH_BYTES];
	/* OUT */
	enum write_result result;
	int64_t petition_id; /* whose count rose by one, or 0 */
	/* When petition_id is set: the signature's leaf in the petition's
	 * log, and the petition's count and log size as this batch left
	 * them (counts.c takes both at once). */
	int64_t leaf_index;
	int64_t count_after, log_size_after;
};

enum outbox_state {
	OUTBOX_QUEUED,
	OUTBOX_SENDING,
	OUTBOX_SENT,
	OUTBOX_DEAD,
	OUTBOX__MAX
};

struct outbox_msg {
	int64_t id;
	const char *message_id;
	const char *kind;
	const unsigned char *sealed; /* NULL once sent */
	size_t sealed_len;
	enum outbox_state state;
	int attempts;
	int64_t next_at, created_at, updated_at, sent_at;
	const char *last_error;
};

/* An address the relay refused for good at RCPT (a hard bounce), kept
 * as its keyed hash (crypto_email_hash()) so that it is not mailed again. */
struct suppression {
	const unsigned char *email_hash; /* STORE_HASH_BYTES, in the arena */
	const char *reason;		 /* the relay's reply, redacted */
	int64_t created_at;
};

/* A grouping key of trending sources and how many signatures it brought. */
struct trend_row {
	const char *key; /* a network ("203.0.113.0/24") or a domain */
	int64_t n;
};

/* What a bulk invalidation matches; empty fields match anything, but at
 * least one must be set. */
struct invalidation {
	int64_t petition_id;
	const char *domain;  /* email domain, exact */
	const char *net;     /* network as stored: "203.0.113.0/24" */
	int64_t from, to;    /* created_at window, 0: open */
	const int64_t *seqs; /* a list of signature numbers */
	size_t nseqs;
	const char *reason; /* fraud, bot, duplicate_person,
			     * disposable, other */
	const char *note;
	const char *actor;
	int64_t now;
	int64_t removed;   /* OUT: signatures marked invalid */
	int64_t uncounted; /* OUT: of them, confirmed ones */
};

/* What the public page says of removals: per reason, how many. */
struct removal_row {
	const char *reason;
	int64_t n;
};

enum user_role { ROLE_STARTER, ROLE_MODERATOR, ROLE_ADMIN, ROLE__MAX };

struct user {
	int64_t id;
	enum user_role role;
	const char *password; /* Argon2id string */
	int failed;	      /* failed logins in a row */
	int64_t locked_until;
	const char *name;		   /* public name, may be "" */
	const char *lang;		   /* the language of their mail */
	int64_t verified_at;		   /* 0: email not verified yet */
	const unsigned char *email_sealed; /* the address, sealed */
	size_t email_sealed_len;
};

/* A new account. The address arrives hashed and sealed like a signer's. */
struct user_new {
	unsigned char email_hash[STORE_HASH_BYTES];
	const unsigned char *sealed;
	size_t sealed_len;
	const char *password; /* Argon2id string */
	enum user_role role;
	const char *name; /* "" for none */
	const char *lang;
	bool verified; /* made by an operator: verified now */
	int64_t now;
};

/* What a mailed account link may do. */
enum user_token_purpose {
	USER_TOKEN_VERIFY, /* confirms the account's address */
	USER_TOKEN_RESET,  /* sets a new password */
	USER_TOKEN_SIGNIN, /* signs in once (guard: a mailed sign-in link) */
	USER_TOKEN__MAX
};

/* One change of a petition's state, as asked and as recorded. */
struct transition {
	int64_t petition_id;
	enum petition_state from, to;
	const char *actor;  /* "user:ID" or "system" */
	const char *reason; /* a reason code, or "" */
	const char *note;   /* free text, or "" */
	int64_t at;
};

enum update_kind {
	UPDATE_NEWS,	 /* "update": news from the starter */
	UPDATE_RESPONSE, /* "response": a decision maker answered */
	UPDATE__MAX
};

struct update {
	int64_t id;
	int64_t petition_id;
	enum update_kind kind;
	const char *author; /* response: who answered; "" for news */
	const char *title;
	const char *body_md;
	int64_t created_at;
	int64_t mail_cursor; /* last signature id mailed */
	bool mail_done;	     /* every recipient has a message queued */
	int64_t mailed;	     /* messages queued so far */
};

/* A confirmed signer who asked for updates. */
struct recipient {
	int64_t signature_id;
	const unsigned char *pii; /* sealed, see seal_pii in page_petition.c */
	size_t pii_len;
	const char *lang;
};

/* One message of an update batch and the unsubscribe token it carries. */
struct update_mail {
	int64_t signature_id;
	struct outbox_new mail;
	unsigned char unsub_hash[STORE_HASH_BYTES];
};

/* A day's count (day: unix time of its 00:00 UTC), a country's count. */
struct day_row {
	int64_t day;
	int64_t n;
};

struct country_row {
	const char *country; /* ISO 3166-1 alpha-2 */
	int64_t n;
};

/* What the starter's dashboard shows of a petition (arrays in the arena). */
struct petition_stats {
	int64_t confirmed, pending, invalid;
	struct day_row *days; /* signatures (pending or confirmed) by
			       * the day they were made, oldest
			       * first, days without any left out */
	size_t ndays;
	struct country_row *countries; /* confirmed, largest first, then
					* by code */
	size_t ncountries;
};

/* A confirmed signer who agreed to show their name. */
struct signer_row {
	int64_t seq;
	const unsigned char *pii; /* sealed */
	size_t pii_len;
	const char *country;
	int64_t created_at;
	const char *comment; /* store_deliver_signers() only; "" for none */
};

struct audit_row {
	int64_t at;
	const char *actor, *action, *subject, *detail;
};

/* What a token leads to, for the confirmation page. */
struct token_info {
	int64_t signature_id;
	const char *purpose;
	int64_t expires_at; /* 0: never */
	int64_t used_at;    /* 0: not used */
	const char *slug;   /* the petition signed */
	const char *title;
	const char *title_lang; /* the language of the title */
	const char *lang;	/* the signer's language */
	enum signature_state state;
	bool updates; /* the signer still gets update mail */
};

/* Opens the database named by dsn: "sqlite:PATH" or a plain PATH for SQLite,
 * "postgres://…" or "postgresql://…" for PostgreSQL. migrations_dir holds
 * the backend's NNNN_name.sql files. node names this process's counter rows
 * in a shared database (SQLite ignores it). Does not migrate. Returns 0, or
 * -1 with the reason logged. Free with store_close(). */
int store_open(const char *dsn, const char *migrations_dir, const char *node,
    struct store **out);

/* Closes the database; NULL is a no-op. */
void store_close(struct store *s);

/* For bench/log.sh only: signatures that start to count get no log leaf
 * from now on, so signing can be measured without the log. The database's
 * logs then no longer match its counts (audits fail for good); main.c
 * allows it only for a data folder marked as a benchmark's
 * (HOLOS_BENCH_NO_LOG, docs/performance.md). */
void store_bench_no_log(struct store *s);

/* True when several processes (nodes) write the same database, so each
 * keeps its counts fresh by re-reading them (counts_refresh_start()). */
bool store_shared(const struct store *s);

/* Applies every migration newer than the recorded version, each in its own
 * transaction, and sets *version to the version now in force. A database
 * newer than this program knows gives STORE_ERROR with a clear log line. */
enum store_status store_migrate(struct store *s, int *version);

/* Inserts a petition with its addressees and translations, in p->state,
 * with closes_at and owner_id (0: none; stored NULL); *id is set on
 * STORE_OK. STORE_DUPLICATE when the slug is taken. */
enum store_status store_petition_create(struct store *s,
    const struct petition *p, int64_t *id);

/* Fills out (strings in arena) for the petition with this slug, with its
 * addressees, closes_at, owner_id, owner_name (the owner's users.name, ""
 * for none), reason and note; count is left 0 (counts.c has it).
 * STORE_NOTFOUND when there is none. */
enum store_status store_petition_by_slug(struct store *s, struct arena *a,
    const char *slug, struct petition *out);

/* The same for the petition with this id. */
enum store_status store_petition_by_id(struct store *s, struct arena *a,
    int64_t id, struct petition *out);

/* Lists petitions in one state, newest first (without addressees). *out is
 * an array of *n from the arena. */
enum store_status store_petition_list(struct store *s, struct arena *a,
    enum petition_state state, struct petition **out, size_t *n);

/* Fills out (strings in arena) with the petition's text in lang.
 * STORE_NOTFOUND when it has no such translation. */
enum store_status store_petition_translation(struct store *s, struct arena *a,
    int64_t petition_id, const char *lang, struct translation *out);

/* Carries out n writes in one transaction (group commit): new signatures
 * with their tokens and outbox mail, re-sent links, confirmations, and the
 * counts of what became confirmed, all together. Each op's result says
 * what happened to it (see enum write_result); sig.seq is set for new
 * signatures. Returns STORE_OK once the transaction is on disk; any other
 * status means nothing of the batch was written. */
enum store_status store_write_batch(struct store *s, struct write_op *ops,
    size_t n);

/* What the token with this hash leads to (strings in arena), whatever its
 * state. STORE_NOTFOUND when there is no such token. */
enum store_status store_token_lookup(struct store *s, struct arena *a,
    const unsigned char *hash, struct token_info *out);

/* Turns off update mail for the signature an unsubscribe token names.
 * STORE_NOTFOUND for an unknown token; repeating it is harmless. */
enum store_status store_unsubscribe(struct store *s, const unsigned char *hash,
    int64_t now);

/* At start: messages left 'sending' by a crash go back to 'queued' (their
 * Message-ID is unchanged, so a receiver can tell a repeat). *n is how
 * many. */
enum store_status store_outbox_recover(struct store *s, int *n);

/* Takes up to max due messages (queued, next_at <= now), marking each
 * 'sending' with one more attempt before returning them, so an attempt is
 * on disk before the message leaves. Strings in arena. */
enum store_status store_outbox_claim(struct store *s, struct arena *a,
    int64_t now, size_t max, struct outbox_msg **out, size_t *n);

/* Records the outcome of an attempt: OUTBOX_SENT (the sealed message is
 * erased), OUTBOX_QUEUED again at next_at, or OUTBOX_DEAD; error is a
 * short reason without personal data ("" for none). */
enum store_status store_outbox_finish(struct store *s, int64_t id,
    enum outbox_state state, int64_t next_at, const char *error, int64_t now);

/* One attempt's outcome, as store_outbox_finish() takes it. */
struct outbox_outcome {
	int64_t id;
	enum outbox_state state;
	int64_t next_at;
	const char *error;
};

/* Records the outcomes of n attempts in one transaction, so a batch of
 * mail costs one commit rather than one per message. On failure nothing
 * is recorded: the messages stay 'sending' and are claimed again later,
 * sent with the same Message-ID. Returns the store's status. */
enum store_status store_outbox_finish_batch(struct store *s,
    const struct outbox_outcome *o, size_t n, int64_t now);

/* The newest 500 messages, for operators (strings in arena). */
enum store_status store_outbox_list(struct store *s, struct arena *a,
    struct outbox_msg **out, size_t *n);

/* Queues dead message id again (id 0: every dead message) with attempts
 * reset; *n is how many. */
enum store_status store_outbox_retry(struct store *s, int64_t id, int64_t now,
    int *n);

const char *outbox_state_name(enum outbox_state st);

/* Signatures of a petition since a time, grouped by network (or by email
 * domain), largest first, at most 100 rows (strings in arena). */
enum store_status store_trending(struct store *s, struct arena *a,
    int64_t petition_id, int64_t since, bool by_domain, struct trend_row **out,
    size_t *n);

/* True when inv names at least one criterion besides the petition (a
 * domain, a network, a time, a list): the rule every caller checks. */
bool store_invalidation_valid(const struct invalidation *inv);

/* Marks every matching signature of the petition invalid, with the reason,
 * in one transaction that also lowers the counters by the confirmed ones,
 * records the invalidation and writes the audit log (action "invalidate",
 * subject "petition:ID", detail "reason=R domain=D net=N from=F to=T
 * list=L removed=R uncounted=U"). Sets removed and uncounted. STORE_ERROR
 * (logged) when !store_invalidation_valid(inv). */
enum store_status store_invalidate(struct store *s, struct invalidation *inv);

/* The petition's removals summed by reason, largest first, at most 8
 * (arena). */
enum store_status store_removals(struct store *s, struct arena *a,
    int64_t petition_id, struct removal_row **out, size_t *n);

/* Adds an account (verified_at = now when u->verified); *id is set.
 * STORE_DUPLICATE when the email has one. */
enum store_status store_user_create(struct store *s, const struct user_new *u,
    int64_t *id);

/* The account of an email hash, or of an id (strings and the sealed
 * address in arena); STORE_NOTFOUND. */
enum store_status store_user_by_id(struct store *s, struct arena *a, int64_t id,
    struct user *out);

enum store_status store_user_by_email(struct store *s, struct arena *a,
    const unsigned char *email_hash, struct user *out);

/* Stores the hash of a mailed account link for user_id, valid until
 * expires. */
enum store_status store_user_token_create(struct store *s,
    const unsigned char *hash, enum user_token_purpose purpose, int64_t user_id,
    int64_t now, int64_t expires);

/* Looks up an account link with this hash and purpose that is unused and
 * not expired at now, and sets *user_id. With consume it is marked used in
 * the same statement, so two uses cannot both succeed. STORE_NOTFOUND for
 * an unknown, used, expired or other-purpose link. */
enum store_status store_user_token_use(struct store *s,
    const unsigned char *hash, enum user_token_purpose purpose, bool consume,
    int64_t now, int64_t *user_id);

/* Marks the account's address verified (once; repeating keeps the first
 * time). STORE_NOTFOUND for no such account. */
enum store_status store_user_verify(struct store *s, int64_t id, int64_t now);

/* Sets a new password (Argon2id string), clears failed logins and the lock,
 * and ends every session, reset and sign-in link of the account, in one
 * transaction.
 * STORE_NOTFOUND for no such account. */
enum store_status store_user_set_password(struct store *s, int64_t id,
    const char *password);

/* Failed logins are counted per address (its keyed email hash), whether
 * an account has it or not, so that neither the lock nor its answer says
 * which. *locked_until is 0 when the address is not locked (or unknown).
 * Returns STORE_OK or the store's failure. */
enum store_status store_login_guard(struct store *s,
    const unsigned char *email_hash, int64_t *locked_until);

/* Failures are forgotten this long after the last one. */
#define STORE_LOGIN_GUARD_KEEP 86400

/* Records a login attempt for the address: a success starts its count of
 * failures again (a lock stays until its time); the max_failed-th failure
 * in a row locks it for lock_seconds. Rows older than
 * STORE_LOGIN_GUARD_KEEP are dropped on the way. A new password
 * (store_user_set_password()) lifts the lock. */
enum store_status store_login_guard_result(struct store *s,
    const unsigned char *email_hash, bool ok, int64_t now, int max_failed,
    int64_t lock_seconds);

/* guard: an account's second factor (TOTP, RFC 6238), its secret sealed
 * (crypto_seal()). */
struct user_totp {
	const unsigned char *sealed; /* in the arena */
	size_t sealed_len;
	int64_t enabled_at; /* 0: made, not yet confirmed with a code */
	int64_t last_step;  /* the last time step accepted */
	int failed;	    /* wrong codes in a row */
	int64_t locked_until;
};

/* The account's second factor; STORE_NOTFOUND when it has none. */
enum store_status store_totp_get(struct store *s, struct arena *a,
    int64_t user_id, struct user_totp *out);

/* Keeps a new sealed secret for the account while none is enabled (an
 * enabled one is left as it is). Returns STORE_OK or the store's
 * failure. */
enum store_status store_totp_begin(struct store *s, int64_t user_id,
    const unsigned char *sealed, size_t len, int64_t now);

/* Enables the account's secret once a code of step confirmed it,
 * replaces its recovery codes by the n keyed hashes and ends every session
 * of the account (the caller starts a fresh one for the browser that
 * enrolled), in one transaction.
 * STORE_NOTFOUND when there is no secret waiting (nothing changed). */
enum store_status store_totp_enable(struct store *s, int64_t user_id,
    int64_t step, int64_t now, const unsigned char (*hashes)[32], size_t n);

/* Accepts a code of step: STORE_OK and the step recorded, or
 * STORE_NOTFOUND when that step (or a later one) was used already: a
 * replay. Clears the failures. */
enum store_status store_totp_accept(struct store *s, int64_t user_id,
    int64_t step);

/* Counts a wrong code: the max_failed-th in a row locks the second factor
 * for lock_seconds. */
enum store_status store_totp_failed(struct store *s, int64_t user_id,
    int64_t now, int max_failed, int64_t lock_seconds);

/* Uses the unused recovery code with this keyed hash: STORE_OK once,
 * STORE_NOTFOUND for an unknown or used one. */
enum store_status store_recovery_use(struct store *s, int64_t user_id,
    const unsigned char *hash, int64_t now);

/* Removes the account's second factor and recovery codes (holos user
 * reset-2fa). STORE_NOTFOUND when it had none. */
enum store_status store_totp_reset(struct store *s, int64_t user_id);

/* Sessions, known by the hash of their cookie. store_session_user gives
 * STORE_NOTFOUND for an unknown or expired one. */
enum store_status store_session_create(struct store *s,
    const unsigned char *hash, int64_t user_id, int64_t now, int64_t expires);
enum store_status store_session_user(struct store *s, struct arena *a,
    const unsigned char *hash, int64_t now, struct user *out);
enum store_status store_session_delete(struct store *s,
    const unsigned char *hash);

/* Appends to the audit log; the newest 200 entries (arena). */
enum store_status store_audit(struct store *s, const char *actor,
    const char *action, const char *subject, const char *detail, int64_t now);
enum store_status store_audit_list(struct store *s, struct arena *a,
    struct audit_row **out, size_t *n);

const char *user_role_name(enum user_role r);
/* ROLE__MAX for an unknown name. */
enum user_role user_role_parse(const char *name);

/* Replaces the text of a petition that is still a draft or rejected:
 * title, body_md, lang, goal, closes_at, updated_at (= p->updated_at) and
 * its addressees (all of p->to, in order). STORE_NOTFOUND when p->id is
 * no such petition or is in another state. */
enum store_status store_petition_update(struct store *s,
    const struct petition *p);

/* Moves petition t->petition_id from t->from to t->to, setting its reason
 * and note to t's and updated_at to t->at, records the transition and
 * appends an audit entry (action "petition_<to>", subject "petition:ID",
 * detail reason and note) in one transaction. STORE_NOTFOUND when the
 * petition is not in t->from (someone moved it first): nothing changed.
 * The caller checks petition_transition_allowed(): lifecycle_move() is the
 * one that does. */
enum store_status store_petition_transition(struct store *s,
    const struct transition *t);

/* Petitions of one starter in every state, newest first; petitions waiting
 * for moderation, oldest submitted (updated_at) first; open petitions whose
 * closing date is at or before now. All without addressees, strings and
 * arrays in arena. */
enum store_status store_petition_list_owner(struct store *s, struct arena *a,
    int64_t owner_id, struct petition **out, size_t *n);
enum store_status store_petition_queue(struct store *s, struct arena *a,
    struct petition **out, size_t *n);
enum store_status store_petition_due(struct store *s, struct arena *a,
    int64_t now, struct petition **out, size_t *n);

/* A petition's transitions, oldest first (arena). */
enum store_status store_transition_list(struct store *s, struct arena *a,
    int64_t petition_id, struct transition **out, size_t *n);

/* Adds an update (mail_cursor 0, not done, none mailed); *id is set. */
enum store_status store_update_create(struct store *s, const struct update *u,
    int64_t *id);

/* A petition's updates and responses, newest first (arena). */
enum store_status store_update_list(struct store *s, struct arena *a,
    int64_t petition_id, struct update **out, size_t *n);

/* The oldest update whose mailing is not done; STORE_NOTFOUND when none. */
enum store_status store_update_mail_next(struct store *s, struct arena *a,
    struct update *out);

/* Up to max confirmed signatures of the petition that asked for updates,
 * with id > after_id and created_at <= created_before, by id (arena). */
enum store_status store_update_recipients(struct store *s, struct arena *a,
    int64_t petition_id, int64_t after_id, int64_t created_before, size_t max,
    struct recipient **out, size_t *n);

/* Queues a batch of an update's mail in one transaction: advances the
 * update's mail_cursor from old_cursor to new_cursor (marking it done when
 * done, adding n to mailed), inserts each message into the outbox (queued,
 * due now) and each unsubscribe token (purpose 'unsubscribe', subject the
 * signature, no expiry). STORE_DUPLICATE when the cursor is no longer
 * old_cursor (another process queued this batch): nothing is written. */
enum store_status store_update_mail_commit(struct store *s, int64_t update_id,
    int64_t old_cursor, int64_t new_cursor, bool done,
    const struct update_mail *msgs, size_t n, int64_t now);

/* The starter's dashboard figures of a petition (arena). */
enum store_status store_petition_stats(struct store *s, struct arena *a,
    int64_t petition_id, struct petition_stats *out);

/* Up to max confirmed signatures with public_name set and seq > after_seq,
 * by seq (arena): the signers who agreed to share their names. */
enum store_status store_signers_public(struct store *s, struct arena *a,
    int64_t petition_id, int64_t after_seq, size_t max, struct signer_row **out,
    size_t *n);

/* Records a hard bounce of the address whose hash is email_hash (kept
 * once: a second bounce changes nothing). Returns STORE_OK or
 * STORE_ERROR (logged). */
enum store_status store_suppress_add(struct store *s,
    const unsigned char email_hash[STORE_HASH_BYTES], const char *reason,
    int64_t now);

/* STORE_OK when the address whose hash is email_hash is suppressed,
 * STORE_NOTFOUND when it is not, STORE_ERROR (logged). */
enum store_status store_suppress_has(struct store *s,
    const unsigned char email_hash[STORE_HASH_BYTES]);

/* The same for n hashes at once, on one connection (the outbox looks up a
 * claimed batch's recipients together): found[i] is set true when
 * hashes[i] is suppressed, false when it is not. Returns STORE_OK, or the
 * first failure (logged), with found[] false from that hash on. */
enum store_status store_suppress_find(struct store *s,
    const unsigned char (*hashes)[STORE_HASH_BYTES], size_t n, bool *found);

/* The newest 1,000 suppressions, newest first, in the arena. Returns
 * STORE_OK or STORE_ERROR (logged). */
enum store_status store_suppress_list(struct store *s, struct arena *a,
    struct suppression **out, size_t *n);

/* Lifts the suppression of email_hash; *n gets 1 when there was one, else
 * 0. Returns STORE_OK or STORE_ERROR (logged). */
enum store_status store_suppress_delete(struct store *s,
    const unsigned char email_hash[STORE_HASH_BYTES], int *n);

/* Queues one message on its own (an account's mail), due now.
 * STORE_DUPLICATE when its message_id is in the outbox already. */
enum store_status store_outbox_add(struct store *s, const struct outbox_new *m,
    int64_t now);

const char *user_token_purpose_name(enum user_token_purpose p);
const char *update_kind_name(enum update_kind k);
/* UPDATE__MAX for an unknown name. */
enum update_kind update_kind_parse(const char *name);

/* The petition's confirmed count as stored (the sum of the per-node counter
 * rows). For loading the in-memory counts; pages never call it. */
enum store_status store_petition_count(struct store *s, int64_t id,
    int64_t *count);

/* ---- the verifiable log (docs/transparency.md) ---- */

/* A petition's log as stored: its size and root, and the newest signed
 * tree head (sth_size -1: none signed yet). */
struct log_tree {
	int64_t petition_id;
	int64_t size;
	unsigned char root[STORE_HASH_BYTES];
	int64_t sth_size, sth_timestamp; /* timestamp in ms */
	unsigned char sth_root[STORE_HASH_BYTES];
	unsigned char sth_signature[64];
};

/* The petition's confirmed count and log size, read together (the log
 * grows in the transactions that change the count, so the pair always
 * matches). */
enum store_status store_log_count(struct store *s, int64_t petition_id,
    int64_t *count, int64_t *log_size);

/* The petition's log row. STORE_NOTFOUND when nothing was ever appended. */
enum store_status store_log_tree(struct store *s, int64_t petition_id,
    struct log_tree *out);

/* Up to max logs whose newest signed head is smaller than the log (the
 * size and root only; sth_size -1), by petition id, into an arena array. */
enum store_status store_log_unsigned(struct store *s, struct arena *a,
    size_t max, struct log_tree **out, size_t *n);

/* Stores a signed tree head (timestamp in ms) unless the stored one is as
 * large already (another node signed first): not an error. The root is
 * first recomputed from the stored nodes; STORE_ERROR (logged) when it
 * differs from root. */
enum store_status store_log_sign(struct store *s, int64_t petition_id,
    int64_t size, int64_t timestamp, const unsigned char root[32],
    const unsigned char signature[64]);

/* One leaf as the log API serves it (input in the arena). */
struct log_entry {
	const unsigned char *input;
	size_t len;
};

/* Leaves start..end (both included, end < the log size) of a petition's
 * log, into an arena array. The caller limits end - start. */
enum store_status store_log_entries(struct store *s, struct arena *a,
    int64_t petition_id, int64_t start, int64_t end, struct log_entry **out,
    size_t *n);

/* The audit path of leaf index in the tree of size leaves (hashes into
 * path, leaf to root, *len of them; at most 65). STORE_NOTFOUND when
 * index >= size or size exceeds the log. */
enum store_status store_log_proof(struct store *s, int64_t petition_id,
    int64_t index, int64_t size, unsigned char (*path)[32], size_t *len);

/* The consistency proof between sizes first and second (at most 65
 * hashes). STORE_NOTFOUND when not 0 < first <= second <= the log size. */
enum store_status store_log_consistency(struct store *s, int64_t petition_id,
    int64_t first, int64_t second, unsigned char (*proof)[32], size_t *len);

/* The first leaf index below size whose leaf hash is hash.
 * STORE_NOTFOUND when there is none; STORE_UNAVAILABLE when it is not
 * among the indexed leaves and more than 100,000 of the tree's leaves are
 * not indexed yet (a catch-up's backlog, which is not scanned). */
enum store_status store_log_find(struct store *s, int64_t petition_id,
    const unsigned char hash[32], int64_t size, int64_t *index);

/* Catches up the index get-proof-by-hash uses (log_hashes), which the
 * appends leave out of the signing transaction: for up to max logs, the
 * leaves after each one's watermark, 25,000 a transaction, for about 0.8 s
 * in all (each log gets at least one transaction), so
 * that a long catch-up (a log built by an upgrade) neither holds the
 * write lock for long nor holds back the tree heads signed between calls.
 * *added is how many leaves it indexed. Leaves not yet indexed
 * are still found (store_log_find() scans them). */
enum store_status store_log_hash(struct store *s, size_t max, int64_t *added);

/* Builds the log of every petition signed before the log existed: a
 * signature leaf for each signature that ever counted, by seq, then a
 * removal leaf for each of them invalidated since. One transaction per
 * petition; a petition another process built meanwhile is skipped. *built
 * is how many petitions got a log. Run after the migrations. */
enum store_status store_log_build(struct store *s, int *built);
/* ---- search (find) ---- */

struct search_query;

/* The public petitions (open, closed, victory) that match query sq (from
 * search_query_parse() with SEARCH_OK), best first: at most limit from
 * offset into *out (an arena array of *n, without addressees or counts),
 * and *total, how many match in all. The index is kept by the store
 * itself: a petition's document is written when it is created, edited or
 * moves into a public state, and removed when it leaves one. */
enum store_status store_search(struct store *s, struct arena *a,
    const struct search_query *sq, size_t limit, size_t offset,
    struct petition **out, size_t *n, int64_t *total);

/* Every public petition (open, closed, victory) with its addressees, by
 * id, in one snapshot: *out an arena array of *n (counts left 0). */
enum store_status store_petition_public(struct store *s, struct arena *a,
    struct petition **out, size_t *n);

/* A sign of the petitions table's state: v[0] how many petitions, v[1]
 * the largest id, v[2] the sum of their updated_at, v[3] the sum of their
 * delivered_at and the largest update id. Any creation or change of a
 * petition, a delivery or an update (a response) changes one of them (a
 * change within the same second as the previous one of that petition
 * aside). */
enum store_status store_petition_version(struct store *s, int64_t v[4]);

/* A public petition delivered to its addressees and with no response yet
 * (no update of kind response). */
struct waiting_row {
	int64_t petition_id;
	int64_t delivered_at; /* the first delivery */
};

/* Every open or closed petition waiting for a response, by id: *out an
 * arena array of *n. Reads petitions and their updates, never a
 * signature. */
enum store_status store_petition_waiting(struct store *s, struct arena *a,
    struct waiting_row **out, size_t *n);

/* Writes the search document of every public petition again, in one
 * transaction (after a copy between databases, or by an operator).
 * Returns STORE_OK, or the first failure (nothing changed). */
enum store_status store_search_reindex(struct store *s);
/* Delivery. */

/* store_signers_public() with each signer's comment: the delivery pack's
 * signers, read a page at a time (arena). */
enum store_status store_deliver_signers(struct store *s, struct arena *a,
    int64_t petition_id, int64_t after_seq, size_t max, struct signer_row **out,
    size_t *n);

/* How many signers store_deliver_signers() gives in all. */
enum store_status store_deliver_signers_count(struct store *s,
    int64_t petition_id, int64_t *n);

/* ---- privacy: retention (docs/privacy.md) ---- */

/* The petitions whose signers' personal data is due for erasure: they
 * stopped taking signatures (closed, victory, hidden) at or before cutoff
 * and were not erased since. At most 100 ids, into an arena array. */
enum store_status store_retain_due(struct store *s, struct arena *a,
    int64_t cutoff, int64_t **ids, size_t *n);

/* Erases, in one transaction, the personal data of up to batch signatures
 * of the petition (sealed name, address and IP, comment, network, domain,
 * consents; a random email hash); in the batch that finds fewer left it
 * also deletes their links (tokens), marks the petition erased at now and
 * writes the audit line, and sets *done. Counts, countries, states, times
 * and the log stay. *erased: the signatures erased. On failure nothing
 * changed and *done is false. */
enum store_status store_retain_petition(struct store *s, int64_t petition_id,
    int batch, int64_t now, int64_t *erased, bool *done);

/* Deletes sent and dead mail last touched before cutoff; *deleted (may be
 * NULL) how many. */
enum store_status store_retain_outbox(struct store *s, int64_t cutoff,
    int64_t *deleted);

/* SQLite copies its WAL into the database and truncates it: after
 * erasing, so that no copy of an erased page stays there, and after a
 * large write at start-up, so that serving does not copy it (the next
 * commit past wal_autocheckpoint would, holding the write lock while it
 * does). Nothing on PostgreSQL. */
enum store_status store_compact(struct store *s);

/* SQLite copies what it can of its WAL into the database without waiting
 * for, or stopping, any writer (a PASSIVE checkpoint), and the next write
 * starts the WAL over once all of it is copied. Run by a thread of its
 * own while serving: left to the commit that takes the WAL past
 * wal_autocheckpoint, the copy (and its fsync) held the signature writer
 * for 15-27 ms a few times a second once a database held some 100,000
 * signatures. *frames gets the WAL's length in pages, *copied how many of
 * them are in the database now (both 0 on PostgreSQL, where it does
 * nothing). */
enum store_status store_checkpoint(struct store *s, int64_t *frames,
    int64_t *copied);
/* An addressee and their email address, sealed (NULL: none given). */
struct addressee_email {
	int pos;
	const char *name;
	const unsigned char *sealed;
	size_t sealed_len;
};

/* A letter to one addressee: its response link's token hash and the
 * message for the outbox. */
struct delivery_new {
	int pos;
	const char *name;
	unsigned char token_hash[STORE_HASH_BYTES];
	struct outbox_new mail;
};

/* A petition handed to one addressee. */
struct delivery {
	int64_t id, petition_id;
	int pos;
	const char *name;
	int64_t count;	    /* confirmed signatures then */
	int64_t created_at; /* delivered */
	int64_t expires_at; /* the pack's link works until then */
};

/* A decision maker's answer waiting for a moderator. */
struct response {
	int64_t id, delivery_id, petition_id;
	const char *author; /* who answered, as they signed it */
	const char *body_md;
	int64_t created_at;
	const char *to_name; /* the addressee it was delivered to */
};

/* An open petition as the milestone and delivery ticker sees it. */
struct milestone {
	int64_t petition_id, goal, goal_mailed, owner_id;
	int64_t delivered_at; /* 0: not delivered */
};

/* The petition's addressees with their sealed addresses, by position
 * (arena). */
enum store_status store_addressee_emails(struct store *s, struct arena *a,
    int64_t petition_id, struct addressee_email **out, size_t *n);

/* Sets (sealed NULL: clears) the address of addressee pos.
 * STORE_NOTFOUND when the petition has no such addressee. */
enum store_status store_addressee_email_set(struct store *s,
    int64_t petition_id, int pos, const unsigned char *sealed, size_t len);

/* Delivers the petition to n addressees in one transaction: a delivery
 * row per addressee not delivered to before (with count, now, expires),
 * its letter queued in the outbox, the petition's delivered_at set once,
 * and an audit entry ("petition_delivered"). *made is how many were new
 * (0: every one had been delivered to). */
enum store_status store_deliver(struct store *s, int64_t petition_id,
    const struct delivery_new *d, size_t n, int64_t count, int64_t now,
    int64_t expires, const char *actor, size_t *made);

/* The delivery whose link has this token hash (strings in arena);
 * STORE_NOTFOUND. */
enum store_status store_delivery_by_token(struct store *s, struct arena *a,
    const unsigned char *hash, struct delivery *out);

/* The petition's deliveries by addressee position (arena). */
enum store_status store_deliveries(struct store *s, struct arena *a,
    int64_t petition_id, struct delivery **out, size_t *n);

/* Stores a response as pending; *id is set. */
enum store_status store_response_create(struct store *s,
    const struct response *r, int64_t *id);

/* The petition's responses waiting for a moderator, oldest first
 * (arena). */
enum store_status store_responses_pending(struct store *s, struct arena *a,
    int64_t petition_id, struct response **out, size_t *n);

/* Approves (an update of kind response with title, the response's author
 * and text, mailed by the fanout; *update_id set) or rejects pending
 * response id of the petition, with an audit entry, in one transaction.
 * STORE_NOTFOUND when it is no pending response of that petition. */
enum store_status store_response_decide(struct store *s, int64_t id,
    int64_t petition_id, bool approve, const char *title, const char *actor,
    int64_t now, int64_t *update_id);

/* A closed or won petition whose end mail is not queued yet. */
struct end_due {
	int64_t petition_id;
	enum petition_state state;
};

/* Up to 100 petitions closed or won whose end mail for that state is not
 * queued (store_end_update() not run for it: a crash came between), oldest
 * first (arena). */
enum store_status store_end_due(struct store *s, struct arena *a,
    struct end_due **out, size_t *n);

/* Every open petition's goal, mailed goal, owner and delivery (arena). */
enum store_status store_milestones(struct store *s, struct arena *a,
    struct milestone **out, size_t *n);

/* Moves the petition's mailed goal from old_goal to new_goal and queues m
 * (sealed NULL: no mail) in one transaction. STORE_DUPLICATE when the
 * mailed goal is no longer old_goal (another node did it). */
enum store_status store_goal_mailed(struct store *s, int64_t petition_id,
    int64_t old_goal, int64_t new_goal, const struct outbox_new *m, int64_t now);

/* Records that the petition's end mail for state ("closed", "victory") is
 * queued and adds update u (mailed to opted-in signers by the fanout), in
 * one transaction; *id is set (may be NULL). STORE_NOTFOUND when that
 * state's mail was queued already. */
enum store_status store_end_update(struct store *s, int64_t petition_id,
    const char *state, const struct update *u, int64_t *id);

/* ---- privacy: a signer withdraws ---- */

struct withdrawal {
	int64_t petition_id;
	int64_t seq;
	bool counted;	   /* it was confirmed: the count dropped by one */
	bool removal_leaf; /* a removal leaf records it in the log */
};

/* Withdraws the signature whose confirmation mail carried the token of
 * token_hash, in one transaction: it becomes invalid ("withdrawn"), its
 * personal data and email hash are erased (the address may sign again),
 * a counted one leaves the count and, when it has a signature leaf, the
 * log gets a removal leaf (reason withdrawn); its links are deleted and
 * the audit log says so. STORE_NOTFOUND for an unknown token or a
 * signature withdrawn or removed already. Fills *out on success; zeroes it
 * otherwise. */
enum store_status store_signature_withdraw(struct store *s,
    const unsigned char *token_hash, int64_t now, struct withdrawal *out);

/* A short English name for a status, for logs. */
const char *store_status_name(enum store_status st);

/* social: drafts. */

/* The newest draft or pending petition of owner_id with exactly this title
 * and text: *id, *slug (arena) and *state. STORE_NOTFOUND when there is
 * none. */
enum store_status store_draft_same(struct store *s, struct arena *a,
    int64_t owner_id, const char *title, const char *body_md, int64_t *id,
    const char **slug, enum petition_state *state);

/* Deletes petition id when it is a draft of owner_id, with its addressees,
 * translations and history, and records it in the audit log as actor's.
 * STORE_NOTFOUND when it is not (nothing is changed). */
enum store_status store_draft_delete(struct store *s, int64_t id,
    int64_t owner_id, const char *actor, int64_t now);

/* spread: the petition's confirmed signatures by country (arena), largest
 * first, then by code: the public page's table and chart. */
enum store_status store_petition_countries(struct store *s, struct arena *a,
    int64_t petition_id, struct country_row **out, size_t *n);

/* ---- spread: the petition image ---- */

/* The most files one image has: a WebP and a JPEG per srcset width, and
 * the share image's background. */
#define STORE_IMAGE_FILES 8

/* One encoded file of a petition's image. */
struct image_file {
	const char *name; /* "480.webp", "960.jpg", "share.png" */
	const char *mime; /* "image/webp", … */
	int width, height;
	const unsigned char *data; /* NULL in store_image_get()'s list */
	size_t len;
};

/* A petition's image: what the page shows, and its files. */
struct petition_image {
	int64_t petition_id;
	const char *alt; /* the starter's text for those who cannot see it */
	int width, height;
	int64_t version; /* 1 for the first upload, one more for each */
	struct image_file files[STORE_IMAGE_FILES];
	size_t nfiles;
};

/* Replaces the petition's image (alt, size, files) by img in one
 * transaction, advancing its version; img->version is not read. Returns
 * STORE_OK, STORE_ERROR for more than STORE_IMAGE_FILES files, or the
 * store's failure (nothing changed). */
enum store_status store_image_put(struct store *s,
    const struct petition_image *img);

/* The petition's image and its files without their bytes (narrowest
 * first), strings in the arena. STORE_NOTFOUND when it has none. */
enum store_status store_image_get(struct store *s, struct arena *a,
    int64_t petition_id, struct petition_image *out);

/* One file of the petition's image with its bytes, in the arena.
 * STORE_NOTFOUND when there is no such file. */
enum store_status store_image_file(struct store *s, struct arena *a,
    int64_t petition_id, const char *name, struct image_file *out);

/* ---- report: notice and action (docs/report.md) ---- */

/* A report as filed: a petition, or one of its comments (comment_id, the
 * signature's id; 0 for the petition). */
struct report_new {
	int64_t petition_id, comment_id;
	const char *reason; /* a report reason's code */
	const char *note;   /* the reporter's text, "" for none */
	const unsigned char *email_sealed; /* NULL: no address left */
	size_t email_sealed_len;
	const char *lang; /* the outcome mail's language */
	int64_t created_at;
};

/* An open report as the moderators' queue shows it. */
struct report_row {
	int64_t id, petition_id, comment_id;
	const char *reason, *note;
	int64_t created_at;
	bool has_email;
	const char *slug, *title; /* the petition */
	enum petition_state state;
	const char *comment; /* the comment reported, "" for a petition or
			      * one removed since */
};

/* An open report of one target, with what its outcome mail needs. */
struct report_reporter {
	int64_t id;
	const unsigned char *email_sealed; /* NULL: no address */
	size_t email_sealed_len;
	const char *lang, *reason;
};

/* A moderator's decision on every open report of one target. */
struct report_resolution {
	int64_t petition_id, comment_id;
	const char *outcome;   /* "dismiss", "hide", "other" */
	const char *statement; /* the moderator's statement of reasons */
	const char *actor;
	int64_t now;
	bool hide_comment;  /* hide the comment (as store_comment_hide()) */
	const int64_t *ids; /* the reports decided */
	const struct outbox_new *mails; /* per id, sealed NULL: none */
	size_t n;
};

/* Stores a new open report. */
enum store_status store_report_add(struct store *s, const struct report_new *r);

/* STORE_OK when comment_id is a confirmed signature of the petition whose
 * comment is shown (its signer agreed, nobody hid it); STORE_NOTFOUND when
 * not. */
enum store_status store_report_comment(struct store *s, int64_t petition_id,
    int64_t comment_id);

/* The open reports, at most max, by target (petition, then comment), then
 * oldest first, with their petition and comment (arena). */
enum store_status store_report_open(struct store *s, struct arena *a,
    size_t max, struct report_row **out, size_t *n);

/* The open reports of one target, oldest first, with the reporters' sealed
 * addresses (arena). */
enum store_status store_report_target(struct store *s, struct arena *a,
    int64_t petition_id, int64_t comment_id, struct report_reporter **out,
    size_t *n);

/* Decides res->ids in one transaction: each report still open is
 * resolved (outcome, statement, actor, time) and loses its address, its
 * outcome mail (when given) is queued; the comment is hidden from the page
 * when res->hide_comment (audit "comment_hidden"); the audit log gets
 * "report_resolved". *resolved (may
 * be NULL): how many were still open. STORE_NOTFOUND when none was (another
 * moderator decided first: nothing changed). */
enum store_status store_report_resolve(struct store *s,
    const struct report_resolution *res, size_t *resolved);

/* Erases the address and note of every report made at or before cutoff;
 * *erased (may be NULL) how many. */
enum store_status store_retain_reports(struct store *s, int64_t cutoff,
    int64_t *erased);

/* Forgets every suppressed address (hard bounce) recorded at or before
 * cutoff; *erased (may be NULL) how many. A later bounce records it again. */
enum store_status store_retain_suppressions(struct store *s, int64_t cutoff,
    int64_t *erased);

/* ---- keys: walking the sealed columns (holos rekey, the address hashes
 * recomputed by holos migrate) ---- */

/* The columns that hold sealed personal data. */
enum sealed_column {
	SEALED_SIGNATURES, /* signatures.pii */
	SEALED_OUTBOX,	   /* outbox.sealed */
	SEALED_USERS,	   /* users.email_sealed */
	SEALED_ADDRESSEES, /* addressees.email_sealed */
	SEALED_REPORTS,	   /* reports.email_sealed (docs/report.md) */
	SEALED_TOTP,	   /* user_totp.sealed (docs/guard.md) */
	SEALED__MAX
};

/* One sealed value and where it is: its row's key (k2 is 0 but for the
 * addressees, keyed by petition and position), the box, the row's email
 * hash where the table has one (signatures, users; else NULL), and what
 * the caller puts in its place. */
struct sealed_row {
	int64_t k1, k2;
	const unsigned char *box;
	size_t len;
	const unsigned char *email_hash;
	unsigned char *nbox; /* the new box; NULL: leave the row */
	size_t nlen;
};

/* The name of a sealed column ("signatures.pii", …). */
const char *sealed_column_name(enum sealed_column c);

/* Up to limit rows of column c that hold a sealed value, after the row
 * (k1, k2) in key order, into an arena array. */
enum store_status store_sealed_list(struct store *s, struct arena *a,
    enum sealed_column c, int64_t k1, int64_t k2, size_t limit,
    struct sealed_row **out, size_t *n);

/* Writes each row's nbox (where not NULL) in one transaction, each only
 * where the row still holds the box read (a row changed meanwhile is left
 * for the next pass); *changed counts the rows written. */
enum store_status store_sealed_replace(struct store *s, enum sealed_column c,
    const struct sealed_row *rows, size_t n, size_t *changed);

/* Sets the email hash of row k1 of c (SEALED_SIGNATURES or SEALED_USERS)
 * to hash where it is still old. STORE_DUPLICATE when another row of the
 * same petition (or another account) has that hash already: nothing is
 * changed. */
enum store_status store_email_hash_replace(struct store *s, enum sealed_column c,
    int64_t k1, const unsigned char *old, const unsigned char *hash);

/* Whether the one-off data task name has been done (*done), and recording
 * that it has. */
enum store_status store_data_task_done(struct store *s, const char *name,
    bool *done);
enum store_status store_data_task_mark(struct store *s, const char *name,
    int64_t now);
/* ---- social proof (docs/social.md) ---- */

/* A recent signer who agreed to show their name. */
struct recent_row {
	const unsigned char *pii; /* sealed */
	size_t pii_len;
	const char *country;
};

/* The newest max confirmed signers of the petition who agreed to show
 * their name, newest confirmation first, into the arena. Returns the
 * store's failure (nothing read). */
enum store_status store_social_recent(struct store *s, struct arena *a,
    int64_t petition_id, size_t max, struct recent_row **out, size_t *n);

/* A comment its confirmed signer agreed to show. */
struct comment_row {
	int64_t id;		  /* the signature's */
	const unsigned char *pii; /* sealed; NULL unless the signer agreed
				   * to show their name too */
	size_t pii_len;
	const char *country;
	const char *comment;
	int64_t likes;
	int64_t at;	       /* confirmed */
	int64_t hidden_at;     /* 0: shown */
	const char *hidden_by; /* "user:ID"; "" when shown */
};

enum comment_order {
	COMMENTS_NEWEST, /* shown ones, newest first */
	COMMENTS_TOP,	 /* shown ones with a like, most liked first */
	COMMENTS_ALL,	 /* hidden ones too, newest first (the dashboard) */
	COMMENTS__MAX
};

/* At most max comments of the petition in order, skipping offset (only
 * COMMENTS_ALL), into the arena. Returns the store's failure. */
enum store_status store_comments(struct store *s, struct arena *a,
    int64_t petition_id, enum comment_order order, size_t max, int64_t offset,
    struct comment_row **out, size_t *n);

/* How many comments COMMENTS_ALL lists for the petition. */
enum store_status store_comments_count(struct store *s, int64_t petition_id,
    int64_t *n);

/* One like of the shown comment id of the petition by liker (a keyed hash
 * of a browser's id, STORE_HASH_BYTES): counted once per liker. *likes
 * gets the comment's likes after it, *added whether this one counted.
 * STORE_NOTFOUND when the comment is not shown (hidden, unknown, not
 * agreed to). */
enum store_status store_comment_like(struct store *s, int64_t petition_id,
    int64_t id, const unsigned char *liker, int64_t now, int64_t *likes,
    bool *added);

/* Hides (hide true) or shows again comment id of the petition as actor
 * ("user:ID") at now, with an audit entry ("comment_hidden" or
 * "comment_shown", subject "comment:ID", detail "petition:PID") in one
 * transaction. STORE_NOTFOUND when there is no such comment or it is
 * already so. */
enum store_status store_comment_hide(struct store *s, int64_t petition_id,
    int64_t id, bool hide, const char *actor, int64_t now);
/* ---- export: every counted signature (export.c) ---- */

/* The petition's confirmed signatures after after_seq in seq order, up to
 * max, in the arena: pii (sealed) is NULL unless the signer agreed to
 * show their name, comment "" unless they agreed to show it and it is not
 * hidden. Returns STORE_OK or the store's failure. */
enum store_status store_export_signers(struct store *s, struct arena *a,
    int64_t petition_id, int64_t after_seq, size_t max, struct signer_row **out,
    size_t *n);

/* ---- keys: a signer's own data, asked for by mail ---- */

/* One signature of an address, as its data mail lists it. */
struct mydata_row {
	int64_t id;
	const char *slug, *title, *comment;
	bool confirmed; /* else pending */
	int64_t created_at;
	const unsigned char *pii; /* sealed "first\0last\0email\0ip" */
	size_t pii_len;
};

/* The pending and confirmed signatures (with their personal data still
 * kept) of the address whose keyed hash is email_hash, oldest first, at
 * most max, into an arena array. */
enum store_status store_mydata_list(struct store *s, struct arena *a,
    const unsigned char *email_hash, size_t max, struct mydata_row **out,
    size_t *n);

/* Adds another secret (its hash) for signature signature_id, of purpose
 * "confirm": the withdrawal link of a data mail (and a confirmation link
 * until expires_at). */
enum store_status store_mydata_token(struct store *s, const unsigned char *hash,
    int64_t signature_id, int64_t now, int64_t expires_at);
/* ---- export: signatures on paper, apart from the online count ---- */

/* A batch of paper signatures. */
struct paper_batch {
	int64_t id;
	int64_t count;	   /* 1..PAPER_COUNT_MAX */
	const char *day;   /* YYYY-MM-DD, when they were collected */
	const char *place; /* a place or an event */
	const char *note;  /* "" for none */
	const char *scan;  /* its scan's kind ("pdf", "jpeg", "png"), "" none */
	const char *actor; /* who recorded it: "user:ID" */
	int64_t created_at;
	const void *scan_data; /* store_paper_add(): the scan's bytes */
	size_t scan_len;       /* 0: no scan */
};

/* Records batch b of the petition (b->id is not read), its scan when
 * b->scan_len > 0 (kind b->scan), and its audit entry ("paper_added") in
 * one transaction; *id (may be NULL) gets its id. Returns STORE_OK or the
 * store's failure (nothing recorded). The caller keeps b's memory. */
enum store_status store_paper_add(struct store *s, int64_t petition_id,
    const struct paper_batch *b, int64_t *id);

/* The petition's batches not removed, latest day first, at most max, in
 * the arena. */
enum store_status store_paper_list(struct store *s, struct arena *a,
    int64_t petition_id, size_t max, struct paper_batch **out, size_t *n);

/* Removes batch id of the petition with reason, deletes its scan, and
 * writes the audit entry ("paper_removed"), in one transaction.
 * STORE_NOTFOUND when the petition has no such batch (or it was removed
 * already). */
enum store_status store_paper_remove(struct store *s, int64_t petition_id,
    int64_t id, const char *actor, const char *reason, int64_t now);

/* The sum of the petition's batches not removed (0 for none). */
enum store_status store_paper_count(struct store *s, int64_t petition_id,
    int64_t *count);

/* paper: the scan of batch id of the petition (not removed): its kind
 * ("pdf", "jpeg", "png") in *kind and its bytes in *data, *len, all in the
 * arena. STORE_NOTFOUND when the petition has no such batch, or it has no
 * scan. */
enum store_status store_paper_scan(struct store *s, struct arena *a,
    int64_t petition_id, int64_t id, const char **kind,
    const unsigned char **data, size_t *len);

#endif
