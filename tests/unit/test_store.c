/* test_store.c - the storage contract (store.h), through the public store_*
 * functions: on a fresh SQLite database, and again on PostgreSQL when
 * HOLOS_TEST_PG holds a maintenance DSN (a database of their own is made
 * and dropped). The cases share one database per backend, so each makes
 * its own rows and looks only at them. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

/* A lookup by hash scans at most this many leaves past the index (100,000
 * in holos): small enough here for a backlog of a few batches. */
#define LOG_FIND_TAIL 100
#include "../../src/store.c"

/* An arbitrary moment; DAY0 is the start of its day (UTC). */
#define T0 1700000000
#define DAY 86400
#define DAY0 ((int64_t)T0 / DAY * DAY)

static struct store *S; /* the backend under test */
static struct arena *A; /* fresh for each case */
static unsigned serial; /* makes slugs, hashes and ids unique */

/* ---- fixtures ---- */

static void
hash_new(unsigned char h[STORE_HASH_BYTES])
{
	unsigned n = ++serial;

	memset(h, 0xa5, STORE_HASH_BYTES);
	memcpy(h, &n, sizeof(n));
}

static const char *
slug_new(const char *tag)
{
	return arena_printf(A, "%s-%u", tag, ++serial);
}

static int64_t
petition_new(const char *tag, enum petition_state state, int64_t owner,
    int64_t created, int64_t closes)
{
	static struct addressee to[] = {
		{ "The Mayor", "of the city" },
		{ "The Council", "" },
	};
	struct petition p;
	int64_t id = 0;

	memset(&p, 0, sizeof(p));
	p.slug = slug_new(tag);
	p.title = arena_printf(A, "Title of %s", p.slug);
	p.body_md = "Some **text**.";
	p.lang = "en";
	p.to = to;
	p.nto = 2;
	p.goal = 100;
	p.state = state;
	p.created_at = created;
	p.updated_at = created;
	p.owner_id = owner;
	p.closes_at = closes;
	assert_int_equal(store_petition_create(S, &p, &id), STORE_OK);
	assert_true(id > 0);
	return id;
}

/* A petition made by petition_new(), as the list of its state has it. */
static const struct petition *
petition_get(int64_t id, enum petition_state state)
{
	struct petition *ps;
	size_t n, i;

	assert_int_equal(store_petition_list(S, A, state, &ps, &n), STORE_OK);
	for (i = 0; i < n; i++)
		if (ps[i].id == id)
			return &ps[i];
	fail_msg("petition %lld is not listed as %s", (long long)id,
	    petition_state_name(state));
	return NULL;
}

static int64_t
user_new(const char *name, bool verified, unsigned char *email_hash)
{
	struct user_new u;
	int64_t id = 0;
	char *sealed;

	memset(&u, 0, sizeof(u));
	hash_new(u.email_hash);
	if (email_hash != NULL)
		memcpy(email_hash, u.email_hash, STORE_HASH_BYTES);
	sealed = arena_printf(A, "sealed-address-%u", serial);
	u.sealed = (const unsigned char *)sealed;
	u.sealed_len = strlen(sealed);
	u.password = "$argon2id$old";
	u.role = ROLE_STARTER;
	u.name = name;
	u.lang = "uk";
	u.verified = verified;
	u.now = T0;
	assert_int_equal(store_user_create(S, &u, &id), STORE_OK);
	return id;
}

struct sig_spec {
	enum signature_state state; /* invalid: signed confirmed, then
				     * removed */
	bool public_name, updates;
	const char *country;
	int64_t at;
	const char *pii;
};

/* Signs petition pid through the write path; returns the seq. */
static int64_t
sign(int64_t pid, const struct sig_spec *sp)
{
	struct write_op op;

	memset(&op, 0, sizeof(op));
	op.kind = WRITE_SIGN;
	op.now = sp->at;
	op.sig.petition_id = pid;
	hash_new(op.sig.email_hash);
	op.sig.pii = (const unsigned char *)sp->pii;
	op.sig.pii_len = strlen(sp->pii);
	op.sig.country = sp->country;
	op.sig.comment = "";
	op.sig.public_name = sp->public_name;
	op.sig.updates = sp->updates;
	op.sig.state = sp->state == SIGNATURE_PENDING ? SIGNATURE_PENDING :
							SIGNATURE_CONFIRMED;
	op.sig.created_at = sp->at;
	op.sig.lang = "ru";
	op.sig.net = "203.0.113.0/24";
	op.sig.domain = "example.org";
	op.resend_before = sp->at - 600;
	assert_int_equal(store_write_batch(S, &op, 1), STORE_OK);
	assert_int_equal(op.result, WRITE_OK);
	assert_true(op.sig.seq > 0);
	if (sp->state == SIGNATURE_INVALID) {
		struct invalidation inv;

		memset(&inv, 0, sizeof(inv));
		inv.petition_id = pid;
		inv.seqs = &op.sig.seq;
		inv.nseqs = 1;
		inv.reason = "fraud";
		inv.note = "";
		inv.actor = "user:1";
		inv.now = sp->at;
		assert_int_equal(store_invalidate(S, &inv), STORE_OK);
		assert_int_equal(inv.removed, 1);
	}
	return op.sig.seq;
}

static bool
pii_is(const unsigned char *pii, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(pii, want, len) == 0;
}

/* The newest audit entry. */
static struct audit_row
audit_top(void)
{
	struct audit_row *rows;
	size_t n;

	assert_int_equal(store_audit_list(S, A, &rows, &n), STORE_OK);
	assert_true(n > 0);
	return rows[0];
}

static size_t
audit_count(void)
{
	struct audit_row *rows;
	size_t n;

	assert_int_equal(store_audit_list(S, A, &rows, &n), STORE_OK);
	return n;
}

static bool
outbox_has(const char *message_id)
{
	struct outbox_msg *ms;
	size_t n, i;

	assert_int_equal(store_outbox_list(S, A, &ms, &n), STORE_OK);
	for (i = 0; i < n; i++)
		if (strcmp(ms[i].message_id, message_id) == 0)
			return true;
	return false;
}

/* Index of id in ps, or -1. */
static int
index_of(const struct petition *ps, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ps[i].id == id)
			return (int)i;
	return -1;
}

static int
case_setup(void **state)
{
	(void)state;
	return (A = arena_new()) == NULL ? -1 : 0;
}

static int
case_teardown(void **state)
{
	(void)state;
	arena_free(A);
	A = NULL;
	return 0;
}

/* ---- petitions: the new fields ---- */

static void
test_petition_fields(void **state)
{
	struct petition p, q;
	const struct petition *l;
	int64_t owner, id, id2;
	const char *slug;

	(void)state;
	owner = user_new("Ann Starter", true, NULL);
	id = petition_new("fields", PETITION_OPEN, owner, T0, T0 + 30 * DAY);
	l = petition_get(id, PETITION_OPEN);
	slug = l->slug;
	assert_int_equal(store_petition_by_slug(S, A, slug, &p), STORE_OK);
	assert_int_equal(p.id, id);
	assert_int_equal(p.closes_at, T0 + 30 * DAY);
	assert_int_equal(p.owner_id, owner);
	assert_string_equal(p.owner_name, "Ann Starter");
	assert_string_equal(p.reason, "");
	assert_string_equal(p.note, "");
	assert_int_equal(p.nto, 2);
	assert_string_equal(p.to[0].name, "The Mayor");
	assert_string_equal(p.to[1].name, "The Council");
	/* The same petition by its id; an id there is not: not found. */
	{
		struct petition b;

		assert_int_equal(store_petition_by_id(S, A, id, &b), STORE_OK);
		assert_string_equal(b.slug, slug);
		assert_string_equal(b.owner_name, "Ann Starter");
		assert_int_equal(b.closes_at, T0 + 30 * DAY);
		assert_int_equal(b.nto, 2);
		assert_string_equal(b.to[1].name, "The Council");
		assert_int_equal(store_petition_by_id(S, A, id + 100000, &b),
		    STORE_NOTFOUND);
	}

	/* The list readers fill the same fields, without addressees. */
	assert_string_equal(l->title, p.title);
	assert_string_equal(l->lang, "en");
	assert_int_equal(l->goal, 100);
	assert_int_equal(l->state, PETITION_OPEN);
	assert_int_equal(l->created_at, T0);
	assert_int_equal(l->updated_at, T0);
	assert_int_equal(l->closes_at, T0 + 30 * DAY);
	assert_int_equal(l->owner_id, owner);
	assert_string_equal(l->reason, "");
	assert_string_equal(l->note, "");
	assert_null(l->to);
	assert_int_equal(l->nto, 0);

	/* No owner, no closing date. */
	id2 = petition_new("noowner", PETITION_OPEN, 0, T0, 0);
	l = petition_get(id2, PETITION_OPEN);
	assert_int_equal(l->owner_id, 0);
	assert_int_equal(l->closes_at, 0);
	assert_int_equal(store_petition_by_slug(S, A, l->slug, &q), STORE_OK);
	assert_int_equal(q.owner_id, 0);
	assert_int_equal(q.closes_at, 0);
	assert_string_equal(q.owner_name, "");

	/* An owner without a public name. */
	owner = user_new("", false, NULL);
	id = petition_new("noname", PETITION_OPEN, owner, T0, 0);
	l = petition_get(id, PETITION_OPEN);
	assert_int_equal(store_petition_by_slug(S, A, l->slug, &q), STORE_OK);
	assert_int_equal(q.owner_id, owner);
	assert_string_equal(q.owner_name, "");
}

/* ---- accounts ---- */

static void
test_user_fields(void **state)
{
	unsigned char eh[STORE_HASH_BYTES], sh[STORE_HASH_BYTES];
	struct user u, v, w;
	int64_t id, id2;

	(void)state;
	id = user_new("Bo", false, eh);
	assert_int_equal(store_user_by_email(S, A, eh, &u), STORE_OK);
	assert_int_equal(u.id, id);
	assert_int_equal(u.role, ROLE_STARTER);
	assert_string_equal(u.password, "$argon2id$old");
	assert_string_equal(u.name, "Bo");
	assert_string_equal(u.lang, "uk");
	assert_int_equal(u.verified_at, 0);
	assert_int_equal(u.failed, 0);
	assert_int_equal(u.locked_until, 0);
	assert_non_null(u.email_sealed);
	assert_true(u.email_sealed_len > 0);

	assert_int_equal(store_user_by_id(S, A, id, &v), STORE_OK);
	assert_int_equal(v.id, id);
	assert_string_equal(v.name, "Bo");
	assert_string_equal(v.lang, "uk");
	assert_int_equal(v.verified_at, 0);
	assert_int_equal(v.email_sealed_len, u.email_sealed_len);
	assert_memory_equal(v.email_sealed, u.email_sealed, u.email_sealed_len);
	assert_int_equal(store_user_by_id(S, A, id + 100000, &v),
	    STORE_NOTFOUND);

	hash_new(sh);
	assert_int_equal(store_session_create(S, sh, id, T0, T0 + DAY),
	    STORE_OK);
	assert_int_equal(store_session_user(S, A, sh, T0 + 1, &w), STORE_OK);
	assert_int_equal(w.id, id);
	assert_string_equal(w.name, "Bo");
	assert_string_equal(w.lang, "uk");
	assert_memory_equal(w.email_sealed, u.email_sealed, u.email_sealed_len);
	assert_int_equal(store_session_user(S, A, sh, T0 + DAY, &w),
	    STORE_NOTFOUND);

	/* Made verified by an operator: verified now. */
	id2 = user_new("Op", true, NULL);
	assert_int_equal(store_user_by_id(S, A, id2, &v), STORE_OK);
	assert_int_equal(v.verified_at, T0);
}

static void
test_user_token(void **state)
{
	unsigned char t[STORE_HASH_BYTES], r[STORE_HASH_BYTES];
	unsigned char x[STORE_HASH_BYTES], unknown[STORE_HASH_BYTES];
	int64_t id, uid;

	(void)state;
	id = user_new("Cy", false, NULL);
	hash_new(t);
	hash_new(r);
	hash_new(x);
	hash_new(unknown);
	assert_int_equal(store_user_token_create(S, t, USER_TOKEN_VERIFY, id,
			     T0, T0 + DAY),
	    STORE_OK);
	assert_int_equal(store_user_token_create(S, r, USER_TOKEN_RESET, id, T0,
			     T0 + 3600),
	    STORE_OK);
	assert_int_equal(store_user_token_create(S, x, USER_TOKEN_RESET, id, T0,
			     T0 + 60),
	    STORE_OK);

	/* Looking does not use it up. */
	uid = 0;
	assert_int_equal(store_user_token_use(S, t, USER_TOKEN_VERIFY, false,
			     T0 + 10, &uid),
	    STORE_OK);
	assert_int_equal(uid, id);
	assert_int_equal(store_user_token_use(S, t, USER_TOKEN_VERIFY, false,
			     T0 + 10, &uid),
	    STORE_OK);

	/* The wrong purpose finds nothing, and leaves the link usable. */
	assert_int_equal(store_user_token_use(S, t, USER_TOKEN_RESET, true,
			     T0 + 10, &uid),
	    STORE_NOTFOUND);
	assert_int_equal(store_user_token_use(S, r, USER_TOKEN_VERIFY, true,
			     T0 + 10, &uid),
	    STORE_NOTFOUND);

	/* Consumed once only. */
	uid = 0;
	assert_int_equal(store_user_token_use(S, t, USER_TOKEN_VERIFY, true,
			     T0 + 20, &uid),
	    STORE_OK);
	assert_int_equal(uid, id);
	assert_int_equal(store_user_token_use(S, t, USER_TOKEN_VERIFY, true,
			     T0 + 21, &uid),
	    STORE_NOTFOUND);
	assert_int_equal(store_user_token_use(S, t, USER_TOKEN_VERIFY, false,
			     T0 + 21, &uid),
	    STORE_NOTFOUND);

	/* Expired. */
	assert_int_equal(store_user_token_use(S, x, USER_TOKEN_RESET, false,
			     T0 + 61, &uid),
	    STORE_NOTFOUND);
	assert_int_equal(store_user_token_use(S, x, USER_TOKEN_RESET, true,
			     T0 + 61, &uid),
	    STORE_NOTFOUND);
	uid = 0;
	assert_int_equal(store_user_token_use(S, r, USER_TOKEN_RESET, true,
			     T0 + 59, &uid),
	    STORE_OK);
	assert_int_equal(uid, id);

	/* Unknown. */
	assert_int_equal(store_user_token_use(S, unknown, USER_TOKEN_VERIFY,
			     false, T0, &uid),
	    STORE_NOTFOUND);
	assert_int_equal(store_user_token_use(S, unknown, USER_TOKEN_RESET,
			     true, T0, &uid),
	    STORE_NOTFOUND);
}

static void
test_user_verify(void **state)
{
	struct user u;
	int64_t id;

	(void)state;
	id = user_new("Di", false, NULL);
	assert_int_equal(store_user_verify(S, id, T0 + 5), STORE_OK);
	assert_int_equal(store_user_by_id(S, A, id, &u), STORE_OK);
	assert_int_equal(u.verified_at, T0 + 5);
	/* Repeating keeps the first time. */
	assert_int_equal(store_user_verify(S, id, T0 + 99), STORE_OK);
	assert_int_equal(store_user_by_id(S, A, id, &u), STORE_OK);
	assert_int_equal(u.verified_at, T0 + 5);
	assert_int_equal(store_user_verify(S, id + 100000, T0), STORE_NOTFOUND);
}

static void
test_user_set_password(void **state)
{
	unsigned char s1[STORE_HASH_BYTES], s2[STORE_HASH_BYTES];
	unsigned char so[STORE_HASH_BYTES], eh[STORE_HASH_BYTES];
	unsigned char nobody[STORE_HASH_BYTES];
	struct user u;
	int64_t id, other, locked;
	int i;

	(void)state;
	id = user_new("Ed", true, eh);
	other = user_new("Fay", true, NULL);
	hash_new(s1);
	hash_new(s2);
	hash_new(so);
	assert_int_equal(store_session_create(S, s1, id, T0, T0 + DAY),
	    STORE_OK);
	assert_int_equal(store_session_create(S, s2, id, T0, T0 + DAY),
	    STORE_OK);
	assert_int_equal(store_session_create(S, so, other, T0, T0 + DAY),
	    STORE_OK);
	/* Locked by failed logins, with one failure counted after it; an
	 * address without an account locks alike. */
	hash_new(nobody);
	for (i = 0; i < 4; i++) {
		assert_int_equal(store_login_guard_result(S, eh, false, T0, 3,
				     900),
		    STORE_OK);
		assert_int_equal(store_login_guard_result(S, nobody, false, T0,
				     3, 900),
		    STORE_OK);
	}
	assert_int_equal(store_login_guard(S, eh, &locked), STORE_OK);
	assert_int_equal(locked, T0 + 900);
	assert_int_equal(store_login_guard(S, nobody, &locked), STORE_OK);
	assert_int_equal(locked, T0 + 900);
	/* A success (a browser let through the lock) starts the count
	 * again; the lock stays until its time. */
	assert_int_equal(store_login_guard_result(S, nobody, true, T0, 3, 900),
	    STORE_OK);
	assert_int_equal(store_login_guard(S, nobody, &locked), STORE_OK);
	assert_int_equal(locked, T0 + 900);

	assert_int_equal(store_user_set_password(S, id, "$argon2id$new"),
	    STORE_OK);
	assert_int_equal(store_user_by_id(S, A, id, &u), STORE_OK);
	assert_string_equal(u.password, "$argon2id$new");
	assert_int_equal(store_login_guard(S, eh, &locked), STORE_OK);
	assert_int_equal(locked, 0);
	/* Failures a day old and unlocked are forgotten on the next one. */
	assert_int_equal(store_login_guard_result(S, so, false,
			     T0 + 2 * STORE_LOGIN_GUARD_KEEP, 3, 900),
	    STORE_OK);
	for (i = 0; i < 2; i++)
		assert_int_equal(store_login_guard_result(S, nobody, false,
				     T0 + 2 * STORE_LOGIN_GUARD_KEEP, 3, 900),
		    STORE_OK);
	assert_int_equal(store_login_guard(S, nobody, &locked), STORE_OK);
	assert_int_equal(locked, 0);
	/* Every session of the account ended; no one else's. */
	assert_int_equal(store_session_user(S, A, s1, T0 + 1, &u),
	    STORE_NOTFOUND);
	assert_int_equal(store_session_user(S, A, s2, T0 + 1, &u),
	    STORE_NOTFOUND);
	assert_int_equal(store_session_user(S, A, so, T0 + 1, &u), STORE_OK);
	assert_int_equal(u.id, other);

	assert_int_equal(store_user_set_password(S, id + 100000, "$x"),
	    STORE_NOTFOUND);
}

/* ---- the lifecycle ---- */

/* Gives addressee pos of petition pid the "sealed" address s. */
static enum store_status
email_set(int64_t pid, int pos, const char *s)
{
	return store_addressee_email_set(S, pid, pos, (const unsigned char *)s,
	    strlen(s));
}

static void
test_petition_update(void **state)
{
	struct addressee to[] = {
		{ "The Minister", "of Health" },
		{ "The Governor", "" },
		{ "The Press", "everyone" },
	};
	struct petition p, q;
	struct transition t;
	int64_t id, open;
	const char *slug, *oslug;

	(void)state;
	id = petition_new("edit", PETITION_DRAFT, 0, T0, T0 + DAY);
	slug = petition_get(id, PETITION_DRAFT)->slug;
	memset(&p, 0, sizeof(p));
	p.id = id;
	p.slug = "ignored";
	p.title = "A better title";
	p.body_md = "Better text.";
	p.lang = "ru";
	p.goal = 2500;
	p.closes_at = 0;
	p.updated_at = T0 + 50;
	p.to = to;
	p.nto = 3;
	assert_int_equal(store_petition_update(S, &p), STORE_OK);
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_string_equal(q.title, "A better title");
	assert_string_equal(q.body_md, "Better text.");
	assert_string_equal(q.lang, "ru");
	assert_int_equal(q.goal, 2500);
	assert_int_equal(q.closes_at, 0);
	assert_int_equal(q.updated_at, T0 + 50);
	assert_int_equal(q.created_at, T0);
	assert_int_equal(q.state, PETITION_DRAFT);
	assert_int_equal(q.nto, 3);
	assert_string_equal(q.to[0].name, "The Minister");
	assert_string_equal(q.to[0].description, "of Health");
	assert_string_equal(q.to[1].name, "The Governor");
	assert_string_equal(q.to[2].description, "everyone");

	/* The addresses given for delivery stay with their addressees
	 * through an edit that moves them, and go with one that is removed. */
	assert_int_equal(email_set(id, 0, "minister"), STORE_OK);
	assert_int_equal(email_set(id, 2, "press"), STORE_OK);
	{
		struct addressee moved[] = {
			{ "The Press", "everyone" },
			{ "The Mayor", "" },
			{ "The Minister", "of Health" },
		};
		struct addressee_email *ae;
		size_t n;

		p.to = moved;
		assert_int_equal(store_petition_update(S, &p), STORE_OK);
		assert_int_equal(store_addressee_emails(S, A, id, &ae, &n),
		    STORE_OK);
		assert_int_equal(n, 3);
		assert_string_equal(ae[0].name, "The Press");
		assert_int_equal(ae[0].sealed_len, 5);
		assert_memory_equal(ae[0].sealed, "press", 5);
		assert_string_equal(ae[1].name, "The Mayor");
		assert_null(ae[1].sealed);
		assert_string_equal(ae[2].name, "The Minister");
		assert_memory_equal(ae[2].sealed, "minister", 8);
		p.to = to;
		assert_int_equal(store_petition_update(S, &p), STORE_OK);
		assert_int_equal(store_addressee_emails(S, A, id, &ae, &n),
		    STORE_OK);
		assert_int_equal(n, 3);
		assert_memory_equal(ae[0].sealed, "minister", 8);
		assert_null(ae[1].sealed); /* the Governor never had one */
		assert_memory_equal(ae[2].sealed, "press", 5);
	}

	/* Rejected: editable again, with fewer addressees and a date. */
	memset(&t, 0, sizeof(t));
	t.petition_id = id;
	t.actor = "system";
	t.reason = "";
	t.note = "";
	t.from = PETITION_DRAFT;
	t.to = PETITION_PENDING;
	t.at = T0 + 60;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	/* Pending: not editable. */
	assert_int_equal(store_petition_update(S, &p), STORE_NOTFOUND);
	t.from = PETITION_PENDING;
	t.to = PETITION_REJECTED;
	t.reason = "spam";
	t.at = T0 + 70;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	p.nto = 1;
	p.closes_at = T0 + 9 * DAY;
	p.updated_at = T0 + 80;
	assert_int_equal(store_petition_update(S, &p), STORE_OK);
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_int_equal(q.nto, 1);
	assert_int_equal(q.closes_at, T0 + 9 * DAY);
	assert_int_equal(q.updated_at, T0 + 80);
	assert_int_equal(q.state, PETITION_REJECTED);

	/* Open: refused, nothing changed. */
	open = petition_new("edit-open", PETITION_OPEN, 0, T0, 0);
	oslug = petition_get(open, PETITION_OPEN)->slug;
	p.id = open;
	assert_int_equal(store_petition_update(S, &p), STORE_NOTFOUND);
	assert_int_equal(store_petition_by_slug(S, A, oslug, &q), STORE_OK);
	assert_string_equal(q.title, arena_printf(A, "Title of %s", oslug));
	assert_int_equal(q.goal, 100);
	assert_int_equal(q.nto, 2);
	assert_int_equal(q.updated_at, T0);

	p.id = open + 100000;
	assert_int_equal(store_petition_update(S, &p), STORE_NOTFOUND);
}

static void
test_petition_transition(void **state)
{
	struct transition t, *ts;
	struct petition q;
	struct audit_row ar;
	const char *slug;
	char subject[64];
	int64_t id;
	size_t n, before;

	(void)state;
	id = petition_new("move", PETITION_DRAFT, 0, T0, 0);
	slug = petition_get(id, PETITION_DRAFT)->slug;
	snprintf(subject, sizeof(subject), "petition:%lld", (long long)id);

	memset(&t, 0, sizeof(t));
	t.petition_id = id;
	t.from = PETITION_DRAFT;
	t.to = PETITION_PENDING;
	t.actor = "user:7";
	t.reason = "";
	t.note = "";
	t.at = T0 + 100;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_int_equal(q.state, PETITION_PENDING);
	assert_int_equal(q.updated_at, T0 + 100);
	assert_string_equal(q.reason, "");
	assert_string_equal(q.note, "");
	ar = audit_top();
	assert_int_equal(ar.at, T0 + 100);
	assert_string_equal(ar.actor, "user:7");
	assert_string_equal(ar.action, "petition_pending");
	assert_string_equal(ar.subject, subject);
	assert_string_equal(ar.detail, "");

	/* Reason and note: both in the petition, joined in the audit. */
	t.from = PETITION_PENDING;
	t.to = PETITION_REJECTED;
	t.actor = "user:8";
	t.reason = "spam";
	t.note = "looks like an advert";
	t.at = T0 + 200;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_int_equal(q.state, PETITION_REJECTED);
	assert_string_equal(q.reason, "spam");
	assert_string_equal(q.note, "looks like an advert");
	assert_int_equal(q.updated_at, T0 + 200);
	ar = audit_top();
	assert_string_equal(ar.action, "petition_rejected");
	assert_string_equal(ar.subject, subject);
	assert_string_equal(ar.detail, "spam: looks like an advert");

	/* From the wrong state: nothing changes, nothing is recorded. */
	before = audit_count();
	ar = audit_top();
	t.from = PETITION_PENDING;
	t.to = PETITION_OPEN;
	t.reason = "";
	t.note = "";
	t.at = T0 + 300;
	assert_int_equal(store_petition_transition(S, &t), STORE_NOTFOUND);
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_int_equal(q.state, PETITION_REJECTED);
	assert_string_equal(q.reason, "spam");
	assert_int_equal(q.updated_at, T0 + 200);
	assert_int_equal(audit_count(), before);
	assert_int_equal(audit_top().at, ar.at);
	assert_string_equal(audit_top().action, ar.action);
	t.petition_id = id + 100000;
	assert_int_equal(store_petition_transition(S, &t), STORE_NOTFOUND);
	t.petition_id = id;

	/* Only a note; then only a reason. The last one replaces both. */
	t.from = PETITION_REJECTED;
	t.to = PETITION_PENDING;
	t.note = "fixed the text";
	t.at = T0 + 400;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_string_equal(audit_top().detail, "fixed the text");
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_string_equal(q.reason, "");
	assert_string_equal(q.note, "fixed the text");
	t.from = PETITION_PENDING;
	t.to = PETITION_OPEN;
	t.note = "";
	t.at = T0 + 500;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	t.from = PETITION_OPEN;
	t.to = PETITION_HIDDEN;
	t.reason = "illegal";
	t.at = T0 + 600;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	ar = audit_top();
	assert_string_equal(ar.action, "petition_hidden");
	assert_string_equal(ar.detail, "illegal");
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_OK);
	assert_int_equal(q.state, PETITION_HIDDEN);
	assert_string_equal(q.reason, "illegal");
	assert_string_equal(q.note, "");

	/* The history, oldest first. */
	assert_int_equal(store_transition_list(S, A, id, &ts, &n), STORE_OK);
	assert_int_equal(n, 5);
	assert_int_equal(ts[0].petition_id, id);
	assert_int_equal(ts[0].from, PETITION_DRAFT);
	assert_int_equal(ts[0].to, PETITION_PENDING);
	assert_string_equal(ts[0].actor, "user:7");
	assert_int_equal(ts[0].at, T0 + 100);
	assert_int_equal(ts[1].from, PETITION_PENDING);
	assert_int_equal(ts[1].to, PETITION_REJECTED);
	assert_string_equal(ts[1].actor, "user:8");
	assert_string_equal(ts[1].reason, "spam");
	assert_string_equal(ts[1].note, "looks like an advert");
	assert_int_equal(ts[1].at, T0 + 200);
	assert_int_equal(ts[2].to, PETITION_PENDING);
	assert_string_equal(ts[2].reason, "");
	assert_string_equal(ts[2].note, "fixed the text");
	assert_int_equal(ts[3].to, PETITION_OPEN);
	assert_int_equal(ts[4].from, PETITION_OPEN);
	assert_int_equal(ts[4].to, PETITION_HIDDEN);
	assert_int_equal(ts[4].at, T0 + 600);

	assert_int_equal(store_transition_list(S, A, id + 100000, &ts, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
}

static void
test_petition_list_owner(void **state)
{
	struct petition *ps;
	int64_t owner, other, nobody, a, b, c, x;
	size_t n;

	(void)state;
	owner = user_new("Gil", true, NULL);
	other = user_new("Hal", true, NULL);
	nobody = user_new("Ida", true, NULL);
	a = petition_new("own", PETITION_DRAFT, owner, T0 + 1, 0);
	x = petition_new("own-x", PETITION_OPEN, other, T0 + 2, 0);
	c = petition_new("own", PETITION_OPEN, owner, T0 + 3, T0 + DAY);
	b = petition_new("own", PETITION_CLOSED, owner, T0 + 2, 0);
	assert_int_equal(store_petition_list_owner(S, A, owner, &ps, &n),
	    STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ps[0].id, c);
	assert_int_equal(ps[1].id, b);
	assert_int_equal(ps[2].id, a);
	assert_int_equal(ps[0].state, PETITION_OPEN);
	assert_int_equal(ps[0].owner_id, owner);
	assert_int_equal(ps[0].closes_at, T0 + DAY);
	assert_int_equal(ps[0].created_at, T0 + 3);
	assert_int_equal(ps[1].state, PETITION_CLOSED);
	assert_int_equal(ps[2].state, PETITION_DRAFT);
	assert_non_null(ps[0].slug);
	assert_non_null(ps[0].title);
	assert_string_equal(ps[0].lang, "en");
	assert_int_equal(ps[0].goal, 100);
	assert_string_equal(ps[0].reason, "");
	assert_string_equal(ps[0].note, "");
	assert_int_equal(ps[0].nto, 0);

	assert_int_equal(store_petition_list_owner(S, A, other, &ps, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ps[0].id, x);
	assert_int_equal(store_petition_list_owner(S, A, nobody, &ps, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
}

static void
test_petition_queue(void **state)
{
	struct petition *ps;
	struct transition t;
	int64_t a, b, c, d;
	int ia, ib, ic;
	size_t n;

	(void)state;
	/* Made a, b, c; submitted c, a, b. */
	a = petition_new("queue", PETITION_DRAFT, 0, T0 + 1, 0);
	b = petition_new("queue", PETITION_DRAFT, 0, T0 + 2, 0);
	c = petition_new("queue", PETITION_DRAFT, 0, T0 + 3, 0);
	d = petition_new("queue-draft", PETITION_DRAFT, 0, T0 + 4, 0);
	memset(&t, 0, sizeof(t));
	t.from = PETITION_DRAFT;
	t.to = PETITION_PENDING;
	t.actor = "system";
	t.reason = "";
	t.note = "";
	t.petition_id = c;
	t.at = T0 + 10;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	t.petition_id = a;
	t.at = T0 + 20;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	t.petition_id = b;
	t.at = T0 + 30;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);

	assert_int_equal(store_petition_queue(S, A, &ps, &n), STORE_OK);
	ia = index_of(ps, n, a);
	ib = index_of(ps, n, b);
	ic = index_of(ps, n, c);
	assert_true(ia >= 0 && ib >= 0 && ic >= 0);
	assert_true(ic < ia && ia < ib);
	assert_int_equal(index_of(ps, n, d), -1);
	assert_int_equal(ps[ia].state, PETITION_PENDING);
	assert_int_equal(ps[ia].updated_at, T0 + 20);
	assert_int_equal(ps[ia].created_at, T0 + 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ps[i].state, PETITION_PENDING);

	/* Approved: out of the queue. */
	t.petition_id = a;
	t.from = PETITION_PENDING;
	t.to = PETITION_OPEN;
	t.at = T0 + 40;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(store_petition_queue(S, A, &ps, &n), STORE_OK);
	assert_int_equal(index_of(ps, n, a), -1);
	assert_true(index_of(ps, n, c) < index_of(ps, n, b));
}

static void
test_petition_due(void **state)
{
	const int64_t now = T0 + 10 * DAY;
	struct petition *ps;
	struct transition t;
	int64_t past, exact, future, never, closed, pending;
	size_t n;
	int i1, i2;

	(void)state;
	past = petition_new("due", PETITION_OPEN, 0, T0, now - DAY);
	exact = petition_new("due", PETITION_OPEN, 0, T0, now);
	future = petition_new("due", PETITION_OPEN, 0, T0, now + 1);
	never = petition_new("due", PETITION_OPEN, 0, T0, 0);
	closed = petition_new("due", PETITION_CLOSED, 0, T0, now - DAY);
	pending = petition_new("due", PETITION_PENDING, 0, T0, now - DAY);

	assert_int_equal(store_petition_due(S, A, now, &ps, &n), STORE_OK);
	i1 = index_of(ps, n, past);
	i2 = index_of(ps, n, exact);
	assert_true(i1 >= 0 && i2 >= 0);
	assert_int_equal(ps[i1].closes_at, now - DAY);
	assert_int_equal(ps[i2].closes_at, now);
	assert_int_equal(ps[i2].state, PETITION_OPEN);
	assert_int_equal(index_of(ps, n, future), -1);
	assert_int_equal(index_of(ps, n, never), -1);
	assert_int_equal(index_of(ps, n, closed), -1);
	assert_int_equal(index_of(ps, n, pending), -1);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ps[i].state, PETITION_OPEN);
		assert_true(ps[i].closes_at != 0 && ps[i].closes_at <= now);
	}

	/* Closed by the closer: no longer due. */
	memset(&t, 0, sizeof(t));
	t.petition_id = past;
	t.from = PETITION_OPEN;
	t.to = PETITION_CLOSED;
	t.actor = "system";
	t.reason = "";
	t.note = "";
	t.at = now;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(store_petition_due(S, A, now, &ps, &n), STORE_OK);
	assert_int_equal(index_of(ps, n, past), -1);
	assert_true(index_of(ps, n, exact) >= 0);
}

/* ---- updates to signers ---- */

static int64_t
update_new(int64_t pid, enum update_kind kind, const char *title, int64_t at)
{
	struct update u;
	int64_t id = 0;

	memset(&u, 0, sizeof(u));
	u.petition_id = pid;
	u.kind = kind;
	u.author = kind == UPDATE_RESPONSE ? "The Mayor" : "";
	u.title = title;
	u.body_md = "We did it.";
	u.created_at = at;
	assert_int_equal(store_update_create(S, &u, &id), STORE_OK);
	assert_true(id > 0);
	return id;
}

static void
test_update_list(void **state)
{
	struct update *us;
	int64_t pid, other, u1, u2;
	size_t n;

	(void)state;
	pid = petition_new("upd", PETITION_OPEN, 0, T0, 0);
	other = petition_new("upd-other", PETITION_OPEN, 0, T0, 0);
	u1 = update_new(pid, UPDATE_NEWS, "First news", T0 + 10);
	u2 = update_new(pid, UPDATE_RESPONSE, "The answer", T0 + 20);
	update_new(other, UPDATE_NEWS, "Elsewhere", T0 + 15);

	assert_int_equal(store_update_list(S, A, pid, &us, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(us[0].id, u2);
	assert_int_equal(us[0].petition_id, pid);
	assert_int_equal(us[0].kind, UPDATE_RESPONSE);
	assert_string_equal(us[0].author, "The Mayor");
	assert_string_equal(us[0].title, "The answer");
	assert_string_equal(us[0].body_md, "We did it.");
	assert_int_equal(us[0].created_at, T0 + 20);
	assert_int_equal(us[0].mail_cursor, 0);
	assert_false(us[0].mail_done);
	assert_int_equal(us[0].mailed, 0);
	assert_int_equal(us[1].id, u1);
	assert_int_equal(us[1].kind, UPDATE_NEWS);
	assert_string_equal(us[1].author, "");

	assert_int_equal(store_update_list(S, A, pid + 100000, &us, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
}

/* Finishes an update's mailing without messages. */
static void
update_finish(const struct update *u)
{
	assert_int_equal(store_update_mail_commit(S, u->id, u->mail_cursor,
			     u->mail_cursor, true, NULL, 0, T0),
	    STORE_OK);
}

static void
test_update_mail_next(void **state)
{
	struct update u;
	int64_t pid, u1, u2;
	bool seen1 = false;
	int guard = 0;

	(void)state;
	pid = petition_new("next", PETITION_OPEN, 0, T0, 0);
	u1 = update_new(pid, UPDATE_NEWS, "One", T0 + 50);
	u2 = update_new(pid, UPDATE_NEWS, "Two", T0 + 40);
	/* The oldest not done comes first (other cases' updates may be
	 * ahead: finish them). */
	for (;;) {
		assert_true(++guard < 1000);
		assert_int_equal(store_update_mail_next(S, A, &u), STORE_OK);
		assert_false(u.mail_done);
		if (u.id == u1) {
			seen1 = true;
			assert_string_equal(u.title, "One");
			assert_int_equal(u.petition_id, pid);
			update_finish(&u);
			continue;
		}
		if (u.id == u2) {
			assert_true(seen1);
			update_finish(&u);
			break;
		}
		update_finish(&u);
	}
	assert_int_equal(store_update_mail_next(S, A, &u), STORE_NOTFOUND);
}

static void
test_update_recipients(void **state)
{
	struct recipient *rs;
	int64_t pid, other;
	size_t n;
	struct sig_spec sp[] = {
		{ SIGNATURE_CONFIRMED, false, true, "DE", T0 + 1, "r-one" },
		{ SIGNATURE_CONFIRMED, false, false, "DE", T0 + 2,
		    "no-updates" },
		{ SIGNATURE_PENDING, false, true, "DE", T0 + 3, "pending" },
		{ SIGNATURE_CONFIRMED, true, true, "FR", T0 + 4, "r-two" },
		{ SIGNATURE_INVALID, false, true, "DE", T0 + 5, "invalid" },
		{ SIGNATURE_CONFIRMED, false, true, "UA", T0 + 6, "r-three" },
		{ SIGNATURE_CONFIRMED, false, true, "UA", T0 + 100, "late" },
	};
	size_t i;

	(void)state;
	pid = petition_new("rcpt", PETITION_OPEN, 0, T0, 0);
	other = petition_new("rcpt-other", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
		sign(pid, &sp[i]);
	sign(other, &sp[0]);

	assert_int_equal(store_update_recipients(S, A, pid, 0, T0 + 50, 100,
			     &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 3);
	assert_true(pii_is(rs[0].pii, rs[0].pii_len, "r-one"));
	assert_true(pii_is(rs[1].pii, rs[1].pii_len, "r-two"));
	assert_true(pii_is(rs[2].pii, rs[2].pii_len, "r-three"));
	assert_string_equal(rs[0].lang, "ru");
	assert_true(rs[0].signature_id < rs[1].signature_id);
	assert_true(rs[1].signature_id < rs[2].signature_id);

	/* created_at <= created_before: the boundary is in. */
	assert_int_equal(store_update_recipients(S, A, pid, 0, T0 + 100, 100,
			     &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 4);
	assert_true(pii_is(rs[3].pii, rs[3].pii_len, "late"));

	/* Batches: at most max, after the cursor. */
	assert_int_equal(store_update_recipients(S, A, pid, 0, T0 + 50, 2, &rs,
			     &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_true(pii_is(rs[1].pii, rs[1].pii_len, "r-two"));
	assert_int_equal(store_update_recipients(S, A, pid, rs[1].signature_id,
			     T0 + 50, 2, &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_true(pii_is(rs[0].pii, rs[0].pii_len, "r-three"));
	assert_int_equal(store_update_recipients(S, A, pid, rs[0].signature_id,
			     T0 + 50, 2, &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
}

static void
test_update_mail_commit(void **state)
{
	struct sig_spec sp[] = {
		{ SIGNATURE_CONFIRMED, false, true, "DE", T0 + 1, "m-one" },
		{ SIGNATURE_CONFIRMED, false, true, "DE", T0 + 2, "m-two" },
		{ SIGNATURE_CONFIRMED, false, true, "DE", T0 + 3, "m-three" },
	};
	struct update_mail msgs[2], stale[1], last[1];
	struct recipient *rs;
	struct update *us;
	struct token_info ti;
	int64_t pid, uid, cursor;
	size_t n, i;
	char *mid[2], *smid, *lmid;

	(void)state;
	pid = petition_new("mail", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < 3; i++)
		sign(pid, &sp[i]);
	uid = update_new(pid, UPDATE_NEWS, "Mailed", T0 + 10);
	assert_int_equal(store_update_recipients(S, A, pid, 0, T0 + 10, 2, &rs,
			     &n),
	    STORE_OK);
	assert_int_equal(n, 2);

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 2; i++) {
		mid[i] = arena_printf(A, "<upd-%u-%zu@holos.test>", ++serial, i);
		msgs[i].signature_id = rs[i].signature_id;
		msgs[i].mail.message_id = mid[i];
		msgs[i].mail.kind = "update";
		msgs[i].mail.sealed = (const unsigned char *)"sealed";
		msgs[i].mail.sealed_len = 6;
		hash_new(msgs[i].unsub_hash);
	}
	cursor = rs[1].signature_id;
	assert_int_equal(store_update_mail_commit(S, uid, 0, cursor, false,
			     msgs, 2, T0 + 20),
	    STORE_OK);
	assert_int_equal(store_update_list(S, A, pid, &us, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(us[0].mail_cursor, cursor);
	assert_false(us[0].mail_done);
	assert_int_equal(us[0].mailed, 2);
	assert_true(outbox_has(mid[0]));
	assert_true(outbox_has(mid[1]));
	for (i = 0; i < 2; i++) {
		assert_int_equal(store_token_lookup(S, A, msgs[i].unsub_hash,
				     &ti),
		    STORE_OK);
		assert_string_equal(ti.purpose, "unsubscribe");
		assert_int_equal(ti.signature_id, rs[i].signature_id);
		assert_int_equal(ti.expires_at, 0);
		assert_int_equal(ti.used_at, 0);
	}
	{
		struct outbox_msg *ms;
		size_t k;
		bool found = false;

		assert_int_equal(store_outbox_list(S, A, &ms, &k), STORE_OK);
		for (i = 0; i < k; i++) {
			if (strcmp(ms[i].message_id, mid[0]) != 0)
				continue;
			found = true;
			assert_int_equal(ms[i].state, OUTBOX_QUEUED);
			assert_string_equal(ms[i].kind, "update");
			assert_int_equal(ms[i].next_at, T0 + 20);
			assert_int_equal(ms[i].created_at, T0 + 20);
			assert_int_equal(ms[i].attempts, 0);
		}
		assert_true(found);
	}

	/* The same batch again, by a process that read the old cursor:
	 * refused, and nothing of it written. */
	memset(stale, 0, sizeof(stale));
	smid = arena_printf(A, "<stale-%u@holos.test>", ++serial);
	stale[0].signature_id = rs[0].signature_id;
	stale[0].mail.message_id = smid;
	stale[0].mail.kind = "update";
	stale[0].mail.sealed = (const unsigned char *)"sealed";
	stale[0].mail.sealed_len = 6;
	hash_new(stale[0].unsub_hash);
	assert_int_equal(store_update_mail_commit(S, uid, 0, cursor, false,
			     stale, 1, T0 + 21),
	    STORE_DUPLICATE);
	assert_false(outbox_has(smid));
	assert_int_equal(store_token_lookup(S, A, stale[0].unsub_hash, &ti),
	    STORE_NOTFOUND);
	assert_int_equal(store_update_list(S, A, pid, &us, &n), STORE_OK);
	assert_int_equal(us[0].mail_cursor, cursor);
	assert_int_equal(us[0].mailed, 2);
	assert_int_equal(store_update_mail_commit(S, uid + 100000, 0, cursor,
			     false, stale, 1, T0 + 21),
	    STORE_DUPLICATE);
	assert_false(outbox_has(smid));

	/* The last batch finishes it. */
	assert_int_equal(store_update_recipients(S, A, pid, cursor, T0 + 10, 2,
			     &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_true(pii_is(rs[0].pii, rs[0].pii_len, "m-three"));
	memset(last, 0, sizeof(last));
	lmid = arena_printf(A, "<last-%u@holos.test>", ++serial);
	last[0].signature_id = rs[0].signature_id;
	last[0].mail.message_id = lmid;
	last[0].mail.kind = "update";
	last[0].mail.sealed = (const unsigned char *)"sealed";
	last[0].mail.sealed_len = 6;
	hash_new(last[0].unsub_hash);
	assert_int_equal(store_update_mail_commit(S, uid, cursor,
			     rs[0].signature_id, true, last, 1, T0 + 30),
	    STORE_OK);
	assert_true(outbox_has(lmid));
	assert_int_equal(store_update_list(S, A, pid, &us, &n), STORE_OK);
	assert_int_equal(us[0].mail_cursor, last[0].signature_id);
	assert_true(us[0].mail_done);
	assert_int_equal(us[0].mailed, 3);

	/* The unsubscribe token works: that signer gets no more updates. */
	assert_int_equal(store_unsubscribe(S, msgs[0].unsub_hash, T0 + 40),
	    STORE_OK);
	assert_int_equal(store_update_recipients(S, A, pid, 0, T0 + 10, 10, &rs,
			     &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_true(pii_is(rs[0].pii, rs[0].pii_len, "m-two"));
}

/* ---- the dashboard ---- */

static void
test_petition_stats(void **state)
{
	struct sig_spec sp[] = {
		{ SIGNATURE_CONFIRMED, false, false, "DE", DAY0 + 10, "s1" },
		{ SIGNATURE_CONFIRMED, false, false, "UA", DAY0 + 20, "s2" },
		{ SIGNATURE_PENDING, false, false, "FR", DAY0 + DAY - 1, "s3" },
		{ SIGNATURE_CONFIRMED, false, false, "UA", DAY0 + DAY, "s4" },
		{ SIGNATURE_CONFIRMED, false, false, "AT", DAY0 + DAY + 5,
		    "s5" },
		{ SIGNATURE_INVALID, false, false, "RU", DAY0 + 2 * DAY, "s6" },
		{ SIGNATURE_INVALID, false, false, "UA", DAY0 + 5, "s7" },
		{ SIGNATURE_CONFIRMED, false, false, "DE", DAY0 + 4 * DAY,
		    "s8" },
		{ SIGNATURE_PENDING, false, false, "DE", DAY0 + 4 * DAY, "s9" },
	};
	struct petition_stats st;
	int64_t pid, empty;
	size_t i;

	(void)state;
	pid = petition_new("stats", PETITION_OPEN, 0, T0, 0);
	empty = petition_new("stats-empty", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
		sign(pid, &sp[i]);
	sign(empty,
	    &(struct sig_spec){ SIGNATURE_INVALID, false, false, "DE", DAY0,
		"gone" });

	assert_int_equal(store_petition_stats(S, A, pid, &st), STORE_OK);
	assert_int_equal(st.confirmed, 5);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.invalid, 2);
	/* Days of pending or confirmed signatures, oldest first; a day of
	 * invalid ones only is left out. */
	assert_int_equal(st.ndays, 3);
	assert_int_equal(st.days[0].day, DAY0);
	assert_int_equal(st.days[0].n, 3);
	assert_int_equal(st.days[1].day, DAY0 + DAY);
	assert_int_equal(st.days[1].n, 2);
	assert_int_equal(st.days[2].day, DAY0 + 4 * DAY);
	assert_int_equal(st.days[2].n, 2);
	/* Confirmed by country, largest first, then by code. */
	assert_int_equal(st.ncountries, 3);
	assert_string_equal(st.countries[0].country, "DE");
	assert_int_equal(st.countries[0].n, 2);
	assert_string_equal(st.countries[1].country, "UA");
	assert_int_equal(st.countries[1].n, 2);
	assert_string_equal(st.countries[2].country, "AT");
	assert_int_equal(st.countries[2].n, 1);

	/* spread: the same countries for the public page. */
	{
		struct country_row *cr;
		size_t nc;

		assert_int_equal(store_petition_countries(S, A, pid, &cr, &nc),
		    STORE_OK);
		assert_int_equal(nc, 3);
		assert_string_equal(cr[0].country, "DE");
		assert_int_equal(cr[0].n, 2);
		assert_string_equal(cr[2].country, "AT");
		assert_int_equal(store_petition_countries(S, A, empty, &cr, &nc),
		    STORE_OK);
		assert_int_equal(nc, 0);
	}
	assert_int_equal(store_petition_stats(S, A, empty, &st), STORE_OK);
	assert_int_equal(st.confirmed, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.ndays, 0);
	assert_int_equal(st.ncountries, 0);
}

static void
test_signers_public(void **state)
{
	struct sig_spec sp[] = {
		{ SIGNATURE_CONFIRMED, true, false, "DE", T0 + 1, "p-one" },
		{ SIGNATURE_CONFIRMED, false, false, "DE", T0 + 2, "private" },
		{ SIGNATURE_PENDING, true, false, "DE", T0 + 3, "pending" },
		{ SIGNATURE_INVALID, true, false, "DE", T0 + 4, "invalid" },
		{ SIGNATURE_CONFIRMED, true, true, "UA", T0 + 5, "p-two" },
		{ SIGNATURE_CONFIRMED, true, false, "FR", T0 + 6, "p-three" },
	};
	struct signer_row *rows;
	int64_t pid, seqs[6];
	size_t n, i;

	(void)state;
	pid = petition_new("public", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
		seqs[i] = sign(pid, &sp[i]);

	assert_int_equal(store_signers_public(S, A, pid, 0, 100, &rows, &n),
	    STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].seq, seqs[0]);
	assert_true(pii_is(rows[0].pii, rows[0].pii_len, "p-one"));
	assert_string_equal(rows[0].country, "DE");
	assert_int_equal(rows[0].created_at, T0 + 1);
	assert_int_equal(rows[1].seq, seqs[4]);
	assert_string_equal(rows[1].country, "UA");
	assert_int_equal(rows[2].seq, seqs[5]);
	assert_true(pii_is(rows[2].pii, rows[2].pii_len, "p-three"));

	assert_int_equal(store_signers_public(S, A, pid, seqs[0], 1, &rows, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, seqs[4]);
	assert_int_equal(store_signers_public(S, A, pid, seqs[5], 10, &rows, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
}

/* ---- the verifiable log ---- */

/* A new signature on petition pid written through the write batch:
 * counted at once (count-on-sign) or pending with a confirmation token
 * (token_hash out). Returns the op as the batch left it. */
static struct write_op
sign_op(int64_t pid, bool counted, const char *country,
    unsigned char token_hash[STORE_HASH_BYTES])
{
	struct write_op op;

	memset(&op, 0, sizeof(op));
	op.kind = WRITE_SIGN;
	op.now = T0;
	op.sig.petition_id = pid;
	hash_new(op.sig.email_hash);
	op.sig.pii = (const unsigned char *)"pii";
	op.sig.pii_len = 3;
	op.sig.country = country;
	op.sig.comment = "";
	op.sig.state = counted ? SIGNATURE_CONFIRMED : SIGNATURE_PENDING;
	op.sig.created_at = T0;
	op.sig.lang = "en";
	op.sig.net = "198.51.100.0/24";
	op.sig.domain = "example.net";
	op.resend_before = T0 - 600;
	op.token_expires = T0 + DAY;
	if (!counted)
		hash_new(op.token_hash);
	if (token_hash != NULL)
		memcpy(token_hash, op.token_hash, STORE_HASH_BYTES);
	hash_new(op.commitment);
	return op;
}

static struct write_op
log_sign(int64_t pid, bool counted, const char *country,
    unsigned char token_hash[STORE_HASH_BYTES])
{
	struct write_op op = sign_op(pid, counted, country, token_hash);

	assert_int_equal(store_write_batch(S, &op, 1), STORE_OK);
	assert_int_equal(op.result, WRITE_OK);
	return op;
}

/* Checks the whole stored log of pid against a recomputation from its
 * entries: the root, every audit path and every consistency proof. */
static void
log_check(int64_t pid, int64_t size)
{
	unsigned char proof[MERKLE_PROOF_MAX][32], root[32], h[32];
	unsigned char roots[64][32];
	struct merkle_frontier f;
	struct log_entry *es;
	struct log_tree t;
	size_t n, len;
	int64_t i, m, at, added;

	assert_true(size <= 64);
	assert_int_equal(store_log_tree(S, pid, &t), STORE_OK);
	assert_int_equal(t.size, size);
	assert_int_equal(store_log_entries(S, A, pid, 0, size - 1, &es, &n),
	    STORE_OK);
	assert_int_equal(n, (size_t)size);
	merkle_frontier_init(&f);
	for (i = 0; i < size; i++) {
		merkle_hash_leaf(es[i].input, es[i].len, h);
		assert_int_equal(merkle_frontier_push(&f, h), 0);
		merkle_frontier_root(&f, roots[i]);
		assert_int_equal(store_log_find(S, pid, h, size, &at), STORE_OK);
		assert_int_equal(at, i);
	}
	merkle_frontier_root(&f, root);
	assert_memory_equal(root, t.root, 32);
	/* The leaf-hash index caught up (every log's, other cases' too):
	 * every leaf found through it, and the earlier calls left an indexed
	 * prefix and a tail to scan. */
	assert_int_equal(store_log_hash(S, 1000, &added), STORE_OK);
	assert_true(added >= 0);
	assert_int_equal(store_log_hash(S, 1000, &added), STORE_OK);
	assert_int_equal(added, 0);
	for (i = 0; i < size; i++) {
		merkle_hash_leaf(es[i].input, es[i].len, h);
		assert_int_equal(store_log_find(S, pid, h, size, &at), STORE_OK);
		assert_int_equal(at, i);
		/* Not below its own index. */
		assert_int_equal(store_log_find(S, pid, h, i, &at),
		    STORE_NOTFOUND);
	}
	for (i = 0; i < size; i++) {
		merkle_hash_leaf(es[i].input, es[i].len, h);
		assert_int_equal(store_log_proof(S, pid, i, size, proof, &len),
		    STORE_OK);
		assert_true(merkle_verify_inclusion((uint64_t)i, (uint64_t)size,
		    h, (const unsigned char(*)[32])proof, len, root));
	}
	for (m = 1; m <= size; m++) {
		assert_int_equal(store_log_consistency(S, pid, m, size, proof,
				     &len),
		    STORE_OK);
		assert_true(merkle_verify_consistency((uint64_t)m,
		    (uint64_t)size, roots[m - 1], root,
		    (const unsigned char(*)[32])proof, len));
	}
	/* Out of range: not found, never a crash. */
	assert_int_equal(store_log_proof(S, pid, size, size, proof, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_log_proof(S, pid, 0, size + 1, proof, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_log_consistency(S, pid, 0, size, proof, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_log_consistency(S, pid, size, size + 1, proof,
			     &len),
	    STORE_NOTFOUND);
}

/* Signing again with an address that signed: a pending one gets its link
 * again, a confirmed one's owner the "signed already" letter, each at most
 * once per window; a mail of the op that does not apply is never queued. */
static void
test_sign_again(void **state)
{
	static const unsigned char mail[] = "rcpt\0confirm";
	static const unsigned char told[] = "rcpt\0told";
	static const int64_t at[6] = { 10, 11, 20, 21, 700, 701 };
	static const enum write_result want[6] = { WRITE_RESENT, WRITE_TOLD,
		WRITE_RESEND_LATER, WRITE_DUPLICATE, WRITE_RESENT, WRITE_TOLD };
	int64_t pid = petition_new("again", PETITION_OPEN, 0, T0, 0);
	struct write_op op, pend, conf;
	struct outbox_msg *ms;
	size_t n, before, i;
	int kinds[2] = { 0, 0 };
	char ids[6][2][32];

	(void)state;
	assert_int_equal(store_outbox_list(S, A, &ms, &before), STORE_OK);
	pend = log_sign(pid, false, "PL", NULL);
	conf = log_sign(pid, true, "UA", NULL);
	for (i = 0; i < 6; i++) {
		op = i % 2 == 0 ? pend : conf;
		op.result = WRITE_OK;
		op.petition_id = 0;
		op.now = T0 + at[i];
		op.resend_before = op.now - 600;
		hash_new(op.token_hash);
		snprintf(ids[i][0], sizeof(ids[i][0]), "<again-m%zu@test>", i);
		snprintf(ids[i][1], sizeof(ids[i][1]), "<again-t%zu@test>", i);
		op.mail.message_id = ids[i][0];
		op.mail.kind = "confirm";
		op.mail.sealed = mail;
		op.mail.sealed_len = sizeof(mail);
		op.told.message_id = ids[i][1];
		op.told.kind = "signed";
		op.told.sealed = told;
		op.told.sealed_len = sizeof(told);
		assert_int_equal(store_write_batch(S, &op, 1), STORE_OK);
		assert_int_equal(op.petition_id, 0);
		assert_int_equal(op.result, want[i]);
	}
	/* Without a letter to send, a confirmed one is a plain duplicate. */
	op = conf;
	op.now = T0 + 5000;
	op.resend_before = op.now - 600;
	memset(&op.told, 0, sizeof(op.told));
	assert_int_equal(store_write_batch(S, &op, 1), STORE_OK);
	assert_int_equal(op.result, WRITE_DUPLICATE);
	assert_int_equal(store_outbox_list(S, A, &ms, &n), STORE_OK);
	assert_int_equal(n, before + 4);
	for (i = 0; i < n; i++) {
		if (strcmp(ms[i].kind, "confirm") == 0 &&
		    strncmp(ms[i].message_id, "<again-m", 8) == 0)
			kinds[0]++;
		if (strcmp(ms[i].kind, "signed") == 0)
			kinds[1]++;
	}
	assert_int_equal(kinds[0], 2);
	assert_int_equal(kinds[1], 2);
}

static void
test_log_append(void **state)
{
	unsigned char tok[STORE_HASH_BYTES];
	struct translog_leaf leaf;
	struct write_op op, ops[3];
	struct invalidation inv;
	struct log_entry *es;
	struct log_tree t;
	int64_t pid = petition_new("log", PETITION_OPEN, 0, T0, 0);
	int64_t count, size, seqs[2];
	size_t n, i;

	(void)state;
	assert_int_equal(store_log_tree(S, pid, &t), STORE_NOTFOUND);
	assert_int_equal(store_log_count(S, pid, &count, &size), STORE_OK);
	assert_int_equal(count, 0);
	assert_int_equal(size, 0);

	/* Counted at once: a leaf each, in order, with the commitment and
	 * the country; the count and the log size move together. */
	op = log_sign(pid, true, "UA", NULL);
	assert_int_equal(op.leaf_index, 0);
	assert_int_equal(op.count_after, 1);
	assert_int_equal(op.log_size_after, 1);
	seqs[0] = op.sig.seq;
	op = log_sign(pid, true, "", NULL);
	assert_int_equal(op.leaf_index, 1);
	seqs[1] = op.sig.seq;

	/* Pending: no leaf until confirmed; the confirmation's leaf carries
	 * the confirmation's commitment and the signature's country. */
	op = log_sign(pid, false, "PL", tok);
	assert_int_equal(op.leaf_index, -1);
	assert_int_equal(op.petition_id, 0);
	memset(&ops[0], 0, sizeof(ops[0]));
	ops[0].kind = WRITE_CONFIRM;
	ops[0].now = T0 + 5;
	memcpy(ops[0].token_hash, tok, STORE_HASH_BYTES);
	hash_new(ops[0].commitment);
	/* In the same batch: two more counted signatures. */
	ops[1] = log_sign(pid, true, "DE", NULL); /* leaf 2 */
	ops[1].kind = WRITE_SIGN;
	hash_new(ops[1].sig.email_hash);
	/* A commitment of its own: leaf 2's again, in the same millisecond,
	 * would make leaf 4 the same bytes as leaf 2. */
	hash_new(ops[1].commitment);
	ops[2] = ops[1];
	hash_new(ops[2].sig.email_hash);
	hash_new(ops[2].commitment);
	assert_int_equal(store_write_batch(S, ops, 3), STORE_OK);
	assert_int_equal(ops[0].result, WRITE_OK);
	assert_int_equal(ops[0].leaf_index, 3);
	assert_int_equal(ops[1].leaf_index, 4);
	assert_int_equal(ops[2].leaf_index, 5);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ops[i].count_after, 6);
		assert_int_equal(ops[i].log_size_after, 6);
	}
	assert_int_equal(store_log_entries(S, A, pid, 3, 3, &es, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(translog_leaf_parse(es[0].input, es[0].len, &leaf), 0);
	assert_int_equal(leaf.type, TRANSLOG_LEAF_SIGNATURE);
	assert_memory_equal(leaf.commitment, ops[0].commitment, 32);
	assert_memory_equal(leaf.country, "PL", 2);
	assert_int_equal(store_log_entries(S, A, pid, 1, 1, &es, &n), STORE_OK);
	assert_int_equal(translog_leaf_parse(es[0].input, es[0].len, &leaf), 0);
	assert_memory_equal(leaf.country, "--", 2);
	log_check(pid, 6);

	/* Invalidation: a removal leaf per counted signature removed, in
	 * log order, naming its leaf; pending ones have none. */
	(void)log_sign(pid, false, "FR", NULL);
	memset(&inv, 0, sizeof(inv));
	inv.petition_id = pid;
	inv.seqs = seqs;
	inv.nseqs = 2;
	inv.reason = "bot";
	inv.note = "";
	inv.actor = "user:1";
	inv.now = T0 + 60;
	assert_int_equal(store_invalidate(S, &inv), STORE_OK);
	assert_int_equal(inv.uncounted, 2);
	assert_int_equal(store_log_count(S, pid, &count, &size), STORE_OK);
	assert_int_equal(count, 4);
	assert_int_equal(size, 8);
	assert_int_equal(store_log_entries(S, A, pid, 6, 7, &es, &n), STORE_OK);
	assert_int_equal(n, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(translog_leaf_parse(es[i].input, es[i].len,
				     &leaf),
		    0);
		assert_int_equal(leaf.type, TRANSLOG_LEAF_REMOVAL);
		assert_int_equal(leaf.removed_index, i);
		assert_int_equal(leaf.reason, TRANSLOG_REASON_BOT);
	}
	log_check(pid, 8);
	/* Entries past the end are simply not there. */
	assert_int_equal(store_log_entries(S, A, pid, 8, 20, &es, &n), STORE_OK);
	assert_int_equal(n, 0);
}

/* A log past the stored levels (MERKLE_TILE): a batch of 40 signatures
 * and a few more, each check with an index lagging behind, proofs from
 * nodes computed from leaves and nodes read from log_nodes. */
static void
test_log_tiles(void **state)
{
	struct write_op ops[40];
	int64_t pid = petition_new("log", PETITION_OPEN, 0, T0, 0);
	size_t i;

	(void)state;
	for (i = 0; i < 40; i++) {
		ops[i] = log_sign(pid, true, "UA", NULL);
		assert_int_equal(ops[i].leaf_index, (int64_t)i);
		if (i == 16)
			log_check(pid, 17);
	}
	log_check(pid, 40);
	for (i = 0; i < 24; i++) {
		hash_new(ops[i].sig.email_hash);
		hash_new(ops[i].commitment);
	}
	assert_int_equal(store_write_batch(S, ops, 24), STORE_OK);
	assert_int_equal(ops[23].leaf_index, 63);
	log_check(pid, 64);
}

/* A lookup by hash past an index far behind (a catch-up's backlog): the
 * first LOG_FIND_TAIL leaves after the index are scanned, a hash that may
 * be in the rest is "unavailable", not "not found"; once indexed, every
 * leaf is found and an unknown hash is not. */
static void
test_log_find_backlog(void **state)
{
	unsigned char h[32], none[32];
	struct log_entry *es;
	int64_t pid = petition_new("logbacklog", PETITION_OPEN, 0, T0, 0);
	int64_t at, added, n = LOG_FIND_TAIL + 20, i;
	size_t ne;

	(void)state;
	for (i = 0; i < n; i++)
		(void)log_sign(pid, true, "UA", NULL);
	assert_int_equal(store_log_entries(S, A, pid, 0, n - 1, &es, &ne),
	    STORE_OK);
	assert_int_equal(ne, (size_t)n);
	memset(none, 0x5a, sizeof(none));
	merkle_hash_leaf(es[0].input, es[0].len, h);
	assert_int_equal(store_log_find(S, pid, h, n, &at), STORE_OK);
	assert_int_equal(at, 0);
	merkle_hash_leaf(es[n - 1].input, es[n - 1].len, h);
	assert_int_equal(store_log_find(S, pid, h, n, &at), STORE_UNAVAILABLE);
	assert_int_equal(store_log_find(S, pid, none, n, &at),
	    STORE_UNAVAILABLE);
	/* A smaller tree's unindexed leaves are scanned whole. */
	assert_int_equal(store_log_find(S, pid, none, LOG_FIND_TAIL, &at),
	    STORE_NOTFOUND);
	do
		assert_int_equal(store_log_hash(S, 1000, &added), STORE_OK);
	while (added > 0);
	assert_int_equal(store_log_find(S, pid, h, n, &at), STORE_OK);
	assert_int_equal(at, n - 1);
	assert_int_equal(store_log_find(S, pid, none, n, &at), STORE_NOTFOUND);
}

static void
test_log_sign(void **state)
{
	unsigned char sig[64], other[32];
	struct log_tree t, *ts;
	int64_t pid = petition_new("logsign", PETITION_OPEN, 0, T0, 0);
	size_t n, i;
	bool listed;

	(void)state;
	(void)log_sign(pid, true, "UA", NULL);
	(void)log_sign(pid, true, "UA", NULL);
	(void)log_sign(pid, true, "UA", NULL);
	assert_int_equal(store_log_unsigned(S, A, 1000, &ts, &n), STORE_OK);
	for (i = 0, listed = false; i < n; i++)
		if (ts[i].petition_id == pid) {
			listed = true;
			assert_int_equal(ts[i].size, 3);
			assert_int_equal(store_log_tree(S, pid, &t), STORE_OK);
			assert_memory_equal(ts[i].root, t.root, 32);
		}
	assert_true(listed);
	assert_int_equal(t.sth_size, -1);
	memset(sig, 7, sizeof(sig));
	/* A root the nodes do not give is refused. */
	memset(other, 1, sizeof(other));
	assert_int_equal(store_log_sign(S, pid, 3, 1000, other, sig),
	    STORE_ERROR);
	assert_int_equal(store_log_sign(S, pid, 3, 1700000000123, t.root, sig),
	    STORE_OK);
	assert_int_equal(store_log_tree(S, pid, &t), STORE_OK);
	assert_int_equal(t.sth_size, 3);
	assert_int_equal(t.sth_timestamp, 1700000000123);
	assert_memory_equal(t.sth_root, t.root, 32);
	assert_memory_equal(t.sth_signature, sig, 64);
	assert_int_equal(store_log_unsigned(S, A, 1000, &ts, &n), STORE_OK);
	for (i = 0; i < n; i++)
		assert_true(ts[i].petition_id != pid);
	/* An older head never replaces a newer one. */
	{
		unsigned char root2[32];
		struct merkle_store st;
		struct log_nodes l;
		struct q q;

		assert_int_equal(q_open(&q, S, A, "test"), STORE_OK);
		st = log_store(&l, &q, pid);
		assert_int_equal(merkle_root(&st, 2, root2), 0);
		(void)q_close(&q);
		memset(sig, 9, sizeof(sig));
		assert_int_equal(store_log_sign(S, pid, 2, 1700000000999, root2,
				     sig),
		    STORE_OK);
	}
	assert_int_equal(store_log_tree(S, pid, &t), STORE_OK);
	assert_int_equal(t.sth_size, 3);
	assert_int_equal(t.sth_timestamp, 1700000000123);
}

/* Signatures written as a holos without the log wrote them: the backend's
 * rows and the counter, no leaves. */
static int64_t
log_sign_unlogged(int64_t pid, const char *country)
{
	struct write_op op;
	struct q q;

	memset(&op, 0, sizeof(op));
	op.kind = WRITE_SIGN;
	op.now = T0;
	op.sig.petition_id = pid;
	hash_new(op.sig.email_hash);
	op.sig.pii = (const unsigned char *)"pii";
	op.sig.pii_len = 3;
	op.sig.country = country;
	op.sig.comment = "";
	op.sig.state = SIGNATURE_CONFIRMED;
	op.sig.created_at = T0;
	op.sig.lang = "en";
	op.sig.net = "";
	op.sig.domain = "";
	assert_int_equal(q_open(&q, S, A, "test"), STORE_OK);
	q_begin(&q, ST_BEGIN);
	if (S->be->write_begin != NULL)
		q.st = S->be->write_begin(q.c, &op, 1);
	if (q.st == STORE_OK)
		q.st = S->be->write_signs(q.c, &op, 0, 1);
	count_add(&q, pid, 1);
	q_commit(&q);
	assert_int_equal(q_close(&q), STORE_OK);
	assert_true(op.sig.seq > 0);
	return op.sig.seq;
}

static void
test_log_build(void **state)
{
	struct translog_leaf leaf;
	struct invalidation inv;
	struct log_entry *es;
	int64_t pid = petition_new("logbuild", PETITION_OPEN, 0, T0, 0);
	int64_t seqs[3], count, size;
	size_t n, i;
	int built;

	(void)state;
	for (i = 0; i < 3; i++)
		seqs[i] = log_sign_unlogged(pid, i == 1 ? "UA" : "PL");
	/* An invalidation before the log existed. */
	memset(&inv, 0, sizeof(inv));
	inv.petition_id = pid;
	inv.seqs = &seqs[1];
	inv.nseqs = 1;
	inv.reason = "duplicate_person";
	inv.note = "";
	inv.actor = "user:1";
	inv.now = T0 + 60;
	assert_int_equal(store_invalidate(S, &inv), STORE_OK);
	assert_int_equal(store_log_count(S, pid, &count, &size), STORE_OK);
	assert_int_equal(count, 2);
	assert_int_equal(size, 0);

	assert_int_equal(store_log_build(S, &built), STORE_OK);
	assert_true(built >= 1);
	assert_int_equal(store_log_count(S, pid, &count, &size), STORE_OK);
	assert_int_equal(count, 2);
	assert_int_equal(size, 4);
	assert_int_equal(store_log_entries(S, A, pid, 0, 3, &es, &n), STORE_OK);
	assert_int_equal(n, 4);
	for (i = 0; i < 3; i++) {
		assert_int_equal(translog_leaf_parse(es[i].input, es[i].len,
				     &leaf),
		    0);
		assert_int_equal(leaf.type, TRANSLOG_LEAF_SIGNATURE);
		assert_memory_equal(leaf.country, i == 1 ? "UA" : "PL", 2);
		assert_int_equal(leaf.timestamp, (uint64_t)T0 * 1000);
	}
	assert_int_equal(translog_leaf_parse(es[3].input, es[3].len, &leaf), 0);
	assert_int_equal(leaf.type, TRANSLOG_LEAF_REMOVAL);
	assert_int_equal(leaf.removed_index, 1);
	assert_int_equal(leaf.reason, TRANSLOG_REASON_DUPLICATE_PERSON);
	assert_int_equal(leaf.timestamp, (uint64_t)(T0 + 60) * 1000);
	log_check(pid, 4);
	/* Built once: a second run finds nothing to do. */
	assert_int_equal(store_log_build(S, &built), STORE_OK);
	assert_int_equal(built, 0);
	/* New signatures go on from there. */
	assert_int_equal(log_sign(pid, true, "UA", NULL).leaf_index, 4);
	log_check(pid, 5);
}

/* Delivery: the pack's signers, with their comments, and how many. */
static void
test_deliver_signers(void **state)
{
	struct sig_spec sp[] = {
		{ SIGNATURE_CONFIRMED, true, false, "DE", T0 + 1, "d-one" },
		{ SIGNATURE_CONFIRMED, false, false, "DE", T0 + 2, "private" },
		{ SIGNATURE_PENDING, true, false, "DE", T0 + 3, "pending" },
		{ SIGNATURE_INVALID, true, false, "DE", T0 + 4, "invalid" },
		{ SIGNATURE_CONFIRMED, true, true, "UA", T0 + 5, "d-two" },
	};
	struct signer_row *rows;
	int64_t pid, seqs[5], n64 = -1;
	size_t n, i;

	(void)state;
	pid = petition_new("deliver", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
		seqs[i] = sign(pid, &sp[i]);
	assert_int_equal(store_deliver_signers(S, A, pid, 0, 100, &rows, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].seq, seqs[0]);
	assert_true(pii_is(rows[0].pii, rows[0].pii_len, "d-one"));
	assert_string_equal(rows[0].comment, "");
	assert_int_equal(rows[1].seq, seqs[4]);
	assert_string_equal(rows[1].country, "UA");
	assert_int_equal(store_deliver_signers(S, A, pid, seqs[0], 100, &rows,
			     &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_deliver_signers_count(S, pid, &n64), STORE_OK);
	assert_int_equal(n64, 2);
}

/* Delivery: addresses, deliveries once per addressee, responses decided
 * once, the milestone and end-mail marks. */
static void
test_deliver_handover(void **state)
{
	struct addressee_email *ae;
	struct delivery_new d[2];
	struct delivery dv, *ds;
	struct response rs, *pend;
	struct milestone *ms;
	struct update up, *ups;
	struct outbox_new m = { "<m1@test>", "milestone",
		(const unsigned char *)"x", 1 };
	int64_t pid, rid, uid = 0;
	size_t n, made = 0, i;
	bool found = false;

	(void)state;
	pid = petition_new("handover", PETITION_OPEN, 0, T0, 0);
	assert_int_equal(email_set(pid, 1, "sealed"), STORE_OK);
	assert_int_equal(email_set(pid, 7, "x"), STORE_NOTFOUND);
	assert_int_equal(store_addressee_emails(S, A, pid, &ae, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_null(ae[0].sealed);
	assert_int_equal(ae[1].sealed_len, 6);
	assert_string_equal(ae[1].name, "The Council");

	memset(d, 0, sizeof(d));
	for (i = 0; i < 2; i++) {
		d[i].pos = (int)i;
		d[i].name = i == 0 ? "The Mayor" : "The Council";
		hash_new(d[i].token_hash);
		d[i].mail.message_id = i == 0 ? "<d0@test>" : "<d1@test>";
		d[i].mail.kind = "delivery";
		d[i].mail.sealed = (const unsigned char *)"x";
		d[i].mail.sealed_len = 1;
	}
	assert_int_equal(store_deliver(S, pid, d, 1, 42, T0, T0 + 100, "system",
			     &made),
	    STORE_OK);
	assert_int_equal(made, 1);
	/* Once per addressee: only the second is new. */
	d[0].mail.message_id = "<d0b@test>";
	assert_int_equal(store_deliver(S, pid, d, 2, 43, T0 + 1, T0 + 100,
			     "system", &made),
	    STORE_OK);
	assert_int_equal(made, 1);
	assert_int_equal(store_deliveries(S, A, pid, &ds, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ds[0].count, 42);
	assert_int_equal(ds[1].count, 43);
	assert_int_equal(store_delivery_by_token(S, A, d[1].token_hash, &dv),
	    STORE_OK);
	assert_int_equal(dv.pos, 1);
	assert_int_equal(dv.expires_at, T0 + 100);

	memset(&rs, 0, sizeof(rs));
	rs.delivery_id = dv.id;
	rs.petition_id = pid;
	rs.author = "The Council";
	rs.body_md = "We agree.";
	rs.created_at = T0 + 5;
	assert_int_equal(store_response_create(S, &rs, &rid), STORE_OK);
	assert_int_equal(store_responses_pending(S, A, pid, &pend, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(pend[0].to_name, "The Council");
	assert_int_equal(store_response_decide(S, rid, pid + 1000, true, "T",
			     "user:1", T0 + 6, &uid),
	    STORE_NOTFOUND);
	assert_int_equal(store_response_decide(S, rid, pid, true,
			     "Response from The Council", "user:1", T0 + 6,
			     &uid),
	    STORE_OK);
	assert_true(uid > 0);
	assert_int_equal(store_response_decide(S, rid, pid, false, "T",
			     "user:1", T0 + 7, NULL),
	    STORE_NOTFOUND);
	assert_int_equal(store_update_list(S, A, pid, &ups, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ups[0].kind, UPDATE_RESPONSE);
	assert_string_equal(ups[0].author, "The Council");

	assert_int_equal(store_milestones(S, A, &ms, &n), STORE_OK);
	for (i = 0; i < n; i++)
		if (ms[i].petition_id == pid) {
			found = true;
			assert_int_equal(ms[i].goal_mailed, 0);
			assert_int_equal(ms[i].delivered_at, T0);
		}
	assert_true(found);
	assert_int_equal(store_goal_mailed(S, pid, 0, 100, &m, T0), STORE_OK);
	assert_int_equal(store_goal_mailed(S, pid, 0, 100, NULL, T0),
	    STORE_DUPLICATE);

	memset(&up, 0, sizeof(up));
	up.kind = UPDATE_NEWS;
	up.title = "Victory!";
	up.body_md = "Won.";
	up.created_at = T0 + 9;
	assert_int_equal(store_end_update(S, pid, "victory", &up, &uid),
	    STORE_OK);
	assert_int_equal(store_end_update(S, pid, "victory", &up, NULL),
	    STORE_NOTFOUND);
	assert_int_equal(store_update_list(S, A, pid, &ups, &n), STORE_OK);
	assert_int_equal(n, 2);

	/* A won petition whose end mail was never queued is due until it
	 * is; an open one never is. */
	{
		int64_t won =
		    petition_new("end-due", PETITION_VICTORY, 0, T0, 0);
		struct end_due *ed;
		int seen = 0;

		assert_int_equal(store_end_due(S, A, &ed, &n), STORE_OK);
		for (i = 0; i < n; i++) {
			assert_int_not_equal(ed[i].petition_id, pid);
			if (ed[i].petition_id == won) {
				assert_int_equal(ed[i].state, PETITION_VICTORY);
				seen++;
			}
		}
		assert_int_equal(seen, 1);
		assert_int_equal(store_end_update(S, won, "victory", &up, NULL),
		    STORE_OK);
		assert_int_equal(store_end_due(S, A, &ed, &n), STORE_OK);
		for (i = 0; i < n; i++)
			assert_int_not_equal(ed[i].petition_id, won);
	}
}

/* ---- the outbox's claims, and writes in turn ---- */

/* Claims and records as sent every message due at now, so that a test
 * starts from an outbox with nothing due. */
static void
outbox_drain(int64_t now)
{
	struct outbox_outcome oc[100];
	struct outbox_msg *ms;
	size_t n, i;

	do {
		assert_int_equal(store_outbox_claim(S, A, now, 100, &ms, &n),
		    STORE_OK);
		for (i = 0; i < n; i++)
			oc[i] = (struct outbox_outcome){ ms[i].id, OUTBOX_SENT,
				0, "" };
		assert_int_equal(store_outbox_finish_batch(S, oc, n, now),
		    STORE_OK);
	} while (n > 0);
}

/* A claim takes the earliest due messages in the order they fell due,
 * never more than asked and never one not yet due; a message in flight
 * is taken back only on a shared database once its lease ran out. */
static void
test_outbox_claim_order(void **state)
{
	static const int due[] = { 3, 1, 2, 100, 2 };
	const int64_t base = T0 + 50000000 + (int64_t)++serial * 100000;
	struct outbox_msg *ms;
	char *mid[5];
	size_t n, i;

	(void)state;
	outbox_drain(base);
	for (i = 0; i < 5; i++) {
		struct outbox_new m = { NULL, "confirm",
			(const unsigned char *)"sealed", 6 };

		mid[i] = arena_printf(A, "<claim%u.%zu@test>", serial, i);
		m.message_id = mid[i];
		assert_int_equal(store_outbox_add(S, &m, base + due[i]),
		    STORE_OK);
	}
	assert_int_equal(store_outbox_claim(S, A, base + 50, 2, &ms, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ms[0].message_id, mid[1]); /* due at +1 */
	assert_string_equal(ms[1].message_id, mid[2]); /* +2, the older */
	assert_int_equal(ms[0].state, OUTBOX_SENDING);
	assert_int_equal(ms[0].attempts, 1);
	assert_int_equal(store_outbox_claim(S, A, base + 50, 10, &ms, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ms[0].message_id, mid[4]);
	assert_string_equal(ms[1].message_id, mid[0]);
	assert_int_equal(store_outbox_claim(S, A, base + 50, 10, &ms, &n),
	    STORE_OK);
	assert_int_equal(n, 0); /* the one due at +100 is not due */
	/* After the lease: the four in flight are another node's to take
	 * back on a shared database, and nobody's on SQLite. */
	assert_int_equal(store_outbox_claim(S, A, base + 50 + OUTBOX_LEASE + 1,
			     10, &ms, &n),
	    STORE_OK);
	if (store_shared(S)) {
		assert_int_equal(n, 5);
		assert_string_equal(ms[0].message_id, mid[1]);
		assert_string_equal(ms[4].message_id, mid[3]);
		assert_int_equal(ms[0].attempts, 2);
	} else {
		assert_int_equal(n, 1);
		assert_string_equal(ms[0].message_id, mid[3]);
		/* What SQLite leaves in flight is recorded, as a sender would. */
		assert_int_equal(store_outbox_list(S, A, &ms, &n), STORE_OK);
		for (i = 0; i < n; i++) {
			struct outbox_outcome oc = { ms[i].id, OUTBOX_SENT, 0,
				"" };

			if (ms[i].state == OUTBOX_SENDING)
				assert_int_equal(store_outbox_finish_batch(S,
						     &oc, 1, base + 60),
				    STORE_OK);
		}
	}
	outbox_drain(base + 50 + 2 * OUTBOX_LEASE + 2);
}

#define TURN_THREADS 6
#define TURN_ROUNDS 60

static void *
turn_writer(void *arg)
{
	struct arena *a = arena_new();
	unsigned t = (unsigned)(uintptr_t)arg;
	struct outbox_msg *ms;
	struct outbox_outcome oc[4];
	int i, bad = 0;
	size_t n, k;

	for (i = 0; i < TURN_ROUNDS && a != NULL; i++) {
		char mid[64];
		struct outbox_new m = { mid, "confirm",
			(const unsigned char *)"sealed", 6 };

		snprintf(mid, sizeof(mid), "<turn%u.%u.%d@test>", serial, t, i);
		bad += store_outbox_add(S, &m, T0) != STORE_OK;
		/* The same again: refused, in its turn, which it gives back. */
		bad += store_outbox_add(S, &m, T0) != STORE_DUPLICATE;
		if (store_outbox_claim(S, a, T0 + 1, 4, &ms, &n) != STORE_OK) {
			bad++;
			continue;
		}
		for (k = 0; k < n; k++)
			oc[k] = (struct outbox_outcome){ ms[k].id, OUTBOX_SENT,
				0, "" };
		bad += store_outbox_finish_batch(S, oc, n, T0 + 1) != STORE_OK;
	}
	arena_free(a);
	return (void *)(uintptr_t)bad;
}

/* Threads writing at once each get their turn: none is refused as busy,
 * nothing is lost, and every turn taken is given back, a failed write's
 * too. */
static void
test_writes_in_turn(void **state)
{
	pthread_t th[TURN_THREADS];
	struct outbox_msg *ms;
	size_t i, n, mine = 0, sent = 0;
	void *bad;
	const char *prefix;

	(void)state;
	outbox_drain(T0 + 1);
	serial++;
	for (i = 0; i < TURN_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, turn_writer,
				     (void *)(uintptr_t)i),
		    0);
	for (i = 0; i < TURN_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_int_equal((uintptr_t)bad, 0);
	}
	outbox_drain(T0 + 1);
	prefix = arena_printf(A, "<turn%u.", serial);
	assert_int_equal(store_outbox_list(S, A, &ms, &n), STORE_OK);
	for (i = 0; i < n; i++)
		if (strncmp(ms[i].message_id, prefix, strlen(prefix)) == 0) {
			mine++;
			sent += ms[i].state == OUTBOX_SENT;
		}
	assert_int_equal(mine, TURN_THREADS * TURN_ROUNDS);
	assert_int_equal(sent, mine);
	pthread_mutex_lock(&S->lock);
	assert_false(S->turn_held);
	assert_null(S->turn_head);
	pthread_mutex_unlock(&S->lock);
}

/* ---- the backends ---- */

static char sqlite_dir[64];
static char pg_dsn[512]; /* the maintenance DSN, then ours */
static char pg_db[64];

static int
store_up(const char *dsn, const char *migrations)
{
	int version = 0;

	if (store_open(dsn, migrations, "n1", &S) == -1)
		return -1;
	if (store_migrate(S, &version) != STORE_OK || version < 6) {
		store_close(S);
		S = NULL;
		return -1;
	}
	return 0;
}

/* ---- search (find) ---- */

/* How many public petitions the query word finds, and whether id is one. */
static int64_t
search_finds(const char *word, int64_t id, bool *found)
{
	struct search_query sq;
	struct petition *ps;
	size_t n, i;
	int64_t total;

	assert_int_equal(search_query_parse(A, word, strlen(word), &sq),
	    SEARCH_OK);
	assert_int_equal(store_search(S, A, &sq, 10, 0, &ps, &n, &total),
	    STORE_OK);
	*found = false;
	for (i = 0; i < n; i++)
		if (ps[i].id == id)
			*found = true;
	return total;
}

static void
test_search(void **state)
{
	const char *word = arena_printf(A, "quagga%u", ++serial);
	struct transition t;
	int64_t open, draft;
	bool found;
	struct q q;

	(void)state;
	open = petition_new(word, PETITION_OPEN, 0, T0, 0);
	draft = petition_new(word, PETITION_DRAFT, 0, T0, 0);
	/* The slug, and so the title, holds the word. */
	assert_int_equal(search_finds(word, open, &found), 1);
	assert_true(found);
	(void)search_finds(word, draft, &found);
	assert_false(found);
	/* Hidden: gone; restored: back. */
	memset(&t, 0, sizeof(t));
	t.petition_id = open;
	t.from = PETITION_OPEN;
	t.to = PETITION_HIDDEN;
	t.actor = "system";
	t.reason = "offensive";
	t.at = T0 + 1;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(search_finds(word, open, &found), 0);
	t.from = PETITION_HIDDEN;
	t.to = PETITION_OPEN;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(search_finds(word, open, &found), 1);
	assert_true(found);
	/* A document lost (a copy between databases) comes back with a
	 * reindex. */
	assert_int_equal(q_open(&q, S, A, "test"), STORE_OK);
	(void)q_run(&q, ST_SEARCH_UNINDEX, "i", open);
	assert_int_equal(q_close(&q), STORE_OK);
	assert_int_equal(search_finds(word, open, &found), 0);
	assert_int_equal(store_search_reindex(S), STORE_OK);
	assert_int_equal(search_finds(word, open, &found), 1);
	/* Offset past the end: nothing, the total still told. */
	{
		struct search_query sq;
		struct petition *ps;
		size_t n;
		int64_t total;

		assert_int_equal(search_query_parse(A, word, strlen(word), &sq),
		    SEARCH_OK);
		assert_int_equal(store_search(S, A, &sq, 10, 10, &ps, &n,
				     &total),
		    STORE_OK);
		assert_int_equal(n, 0);
		assert_int_equal(total, 1);
	}
}

static int
sqlite_setup(void **state)
{
	char dsn[128];

	(void)state;
	snprintf(sqlite_dir, sizeof(sqlite_dir), "/tmp/holos-unit-XXXXXX");
	if (mkdtemp(sqlite_dir) == NULL)
		return -1;
	snprintf(dsn, sizeof(dsn), "sqlite:%s/holos.db", sqlite_dir);
	return store_up(dsn, "migrations/sqlite");
}

static int
sqlite_teardown(void **state)
{
	char path[128];
	static const char *const files[] = { "holos.db", "holos.db-wal",
		"holos.db-shm" };
	size_t i;

	(void)state;
	store_close(S);
	S = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sqlite_dir, files[i]);
		unlink(path);
	}
	rmdir(sqlite_dir);
	return 0;
}

/* Runs one statement on the maintenance database. Returns 0 or -1. */
/* Suppressed addresses: kept once, found by hash, listed newest first,
 * lifted. */
static void
test_suppress(void **state)
{
	unsigned char h1[STORE_HASH_BYTES], h2[STORE_HASH_BYTES];
	struct suppression *r;
	size_t n, i, seen = 0;
	int changed = -1;

	(void)state;
	hash_new(h1);
	hash_new(h2);
	assert_int_equal(store_suppress_has(S, h1), STORE_NOTFOUND);
	assert_int_equal(store_suppress_add(S, h1, "RCPT refused: 550", T0),
	    STORE_OK);
	assert_int_equal(store_suppress_add(S, h1, "again", T0 + 5), STORE_OK);
	assert_int_equal(store_suppress_add(S, h2, "", T0 + 10), STORE_OK);
	assert_int_equal(store_suppress_has(S, h1), STORE_OK);
	assert_int_equal(store_suppress_list(S, A, &r, &n), STORE_OK);
	for (i = 0; i < n; i++) {
		if (r[i].email_hash == NULL)
			fail_msg("row %zu has no hash", i);
		if (memcmp(r[i].email_hash, h2, STORE_HASH_BYTES) == 0) {
			assert_int_equal(seen, 0); /* newest first */
			assert_string_equal(r[i].reason, "");
			assert_int_equal(r[i].created_at, T0 + 10);
			seen |= 1;
		} else if (memcmp(r[i].email_hash, h1, STORE_HASH_BYTES) == 0) {
			assert_string_equal(r[i].reason, "RCPT refused: 550");
			assert_int_equal(r[i].created_at, T0);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	assert_int_equal(store_suppress_delete(S, h1, &changed), STORE_OK);
	assert_int_equal(changed, 1);
	assert_int_equal(store_suppress_delete(S, h1, &changed), STORE_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(store_suppress_has(S, h1), STORE_NOTFOUND);
	assert_int_equal(store_suppress_has(S, h2), STORE_OK);
	/* A batch looked up at once: each hash its own answer, in order. */
	{
		unsigned char hs[4][STORE_HASH_BYTES];
		bool found[4] = { true, false, true, false };

		memcpy(hs[0], h2, STORE_HASH_BYTES);
		memcpy(hs[1], h1, STORE_HASH_BYTES);
		hash_new(hs[2]);
		memcpy(hs[3], h2, STORE_HASH_BYTES);
		assert_int_equal(store_suppress_find(S, hs, 4, found), STORE_OK);
		assert_true(found[0]);
		assert_false(found[1]);
		assert_false(found[2]);
		assert_true(found[3]);
		assert_int_equal(store_suppress_find(S, hs, 0, found), STORE_OK);
	}
	/* Retention forgets a bounce recorded at or before its cutoff. */
	{
		int64_t erased = -1;

		assert_int_equal(store_suppress_add(S, h1, "", T0 + 20),
		    STORE_OK);
		assert_int_equal(store_retain_suppressions(S, T0 + 10, &erased),
		    STORE_OK);
		assert_true(erased >= 1);
		assert_int_equal(store_suppress_has(S, h2), STORE_NOTFOUND);
		assert_int_equal(store_suppress_has(S, h1), STORE_OK);
	}
}

static int
pg_admin(const char *maint, const char *sql)
{
	PGconn *c = PQconnectdb(maint);
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "test_store: PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "test_store: %s: %s", sql,
		    PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* maint with its database name replaced by db (a query string is kept). */
/* spread: a petition's image replaced whole, its version advancing, its
 * bytes (with a NUL and high bytes) back as they went in. */
static void
test_image(void **state)
{
	static const unsigned char bytes[] = { 0x89, 'P', 0, 0xff, 0xd8, 7 };
	struct petition_image img, got;
	struct image_file f;
	int64_t pid, other;

	(void)state;
	pid = petition_new("with-image", PETITION_OPEN, 0, T0, 0);
	other = petition_new("without-image", PETITION_OPEN, 0, T0, 0);
	assert_int_equal(store_image_get(S, A, pid, &got), STORE_NOTFOUND);
	memset(&img, 0, sizeof(img));
	img.petition_id = pid;
	img.alt = "Children at a well";
	img.width = 1600;
	img.height = 900;
	img.files[0] = (struct image_file){ "960.jpg", "image/jpeg", 960, 540,
		bytes, sizeof(bytes) };
	img.files[1] =
	    (struct image_file){ "480.webp", "image/webp", 480, 270, bytes, 3 };
	img.files[2] = (struct image_file){ "share.png", "image/png", 1200, 630,
		bytes + 1, 2 };
	img.nfiles = 3;
	assert_int_equal(store_image_put(S, &img), STORE_OK);
	assert_int_equal(store_image_get(S, A, pid, &got), STORE_OK);
	assert_string_equal(got.alt, "Children at a well");
	assert_int_equal(got.width, 1600);
	assert_int_equal(got.height, 900);
	assert_int_equal(got.version, 1);
	assert_int_equal(got.nfiles, 3);
	/* Narrowest first, no bytes in the list. */
	assert_string_equal(got.files[0].name, "480.webp");
	assert_string_equal(got.files[1].name, "960.jpg");
	assert_string_equal(got.files[2].name, "share.png");
	assert_null(got.files[0].data);
	assert_int_equal(store_image_file(S, A, pid, "960.jpg", &f), STORE_OK);
	assert_string_equal(f.mime, "image/jpeg");
	assert_int_equal(f.width, 960);
	assert_int_equal(f.len, sizeof(bytes));
	assert_memory_equal(f.data, bytes, sizeof(bytes));
	assert_int_equal(store_image_file(S, A, pid, "1200.jpg", &f),
	    STORE_NOTFOUND);
	assert_int_equal(store_image_file(S, A, other, "960.jpg", &f),
	    STORE_NOTFOUND);

	/* A new upload replaces every file. */
	img.alt = "A well";
	img.nfiles = 1;
	img.files[0] = img.files[1];
	assert_int_equal(store_image_put(S, &img), STORE_OK);
	assert_int_equal(store_image_get(S, A, pid, &got), STORE_OK);
	assert_string_equal(got.alt, "A well");
	assert_int_equal(got.version, 2);
	assert_int_equal(got.nfiles, 1);
	assert_int_equal(store_image_file(S, A, pid, "960.jpg", &f),
	    STORE_NOTFOUND);
	img.nfiles = STORE_IMAGE_FILES + 1;
	assert_int_equal(store_image_put(S, &img), STORE_ERROR);
	assert_int_equal(store_image_get(S, A, other, &got), STORE_NOTFOUND);
}

static void
dsn_with_db(const char *maint, const char *db, char *out, size_t n)
{
	const char *host = strstr(maint, "://");
	const char *query = strchr(maint, '?');
	const char *slash = host != NULL ? strchr(host + 3, '/') : NULL;
	size_t keep;

	if (slash != NULL && (query == NULL || slash < query))
		keep = (size_t)(slash - maint);
	else
		keep = query != NULL ? (size_t)(query - maint) : strlen(maint);
	snprintf(out, n, "%.*s/%s%s", (int)keep, maint, db,
	    query != NULL ? query : "");
}

static int
pg_setup(void **state)
{
	const char *maint = getenv("HOLOS_TEST_PG");
	char sql[128];

	(void)state;
	snprintf(pg_db, sizeof(pg_db), "holos_unit_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_db);
	if (pg_admin(maint, sql) == -1)
		return -1;
	dsn_with_db(maint, pg_db, pg_dsn, sizeof(pg_dsn));
	if (store_up(pg_dsn, "migrations/pg") == -1) {
		snprintf(sql, sizeof(sql),
		    "DROP DATABASE IF EXISTS %s WITH "
		    "(FORCE)",
		    pg_db);
		pg_admin(maint, sql);
		return -1;
	}
	return 0;
}

static int
pg_teardown(void **state)
{
	char sql[128];

	(void)state;
	store_close(S);
	S = NULL;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    pg_db);
	return pg_admin(getenv("HOLOS_TEST_PG"), sql);
}

/* privacy: whether ids[n] holds id. */
static bool
ids_have(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Retention: a petition that stopped taking signatures is due once it
 * did so before the cutoff; its signers are erased in batches, then it is
 * not due again; its signers get no more mail, others' keep theirs. */
static void
test_retain(void **state)
{
	struct sig_spec sp = { SIGNATURE_CONFIRMED, true, true, "DE", T0 + 1,
		"retained" };
	struct recipient *rs;
	int64_t closed, open, erased, *ids;
	size_t n;
	bool done;

	(void)state;
	closed = petition_new("retain", PETITION_CLOSED, 0, T0 + 10, 0);
	open = petition_new("retain-open", PETITION_OPEN, 0, T0 + 10, 0);
	for (int i = 0; i < 3; i++)
		sign(closed, &sp);
	sign(open, &sp);
	assert_int_equal(store_retain_due(S, A, T0 + 9, &ids, &n), STORE_OK);
	assert_false(ids_have(ids, n, closed));
	assert_int_equal(store_retain_due(S, A, T0 + 10, &ids, &n), STORE_OK);
	assert_true(ids_have(ids, n, closed));
	assert_false(ids_have(ids, n, open));

	assert_int_equal(store_retain_petition(S, closed, 2, T0 + 20, &erased,
			     &done),
	    STORE_OK);
	assert_int_equal(erased, 2);
	assert_false(done);
	assert_int_equal(store_retain_due(S, A, T0 + 10, &ids, &n), STORE_OK);
	assert_true(ids_have(ids, n, closed)); /* not finished */
	assert_int_equal(store_retain_petition(S, closed, 2, T0 + 20, &erased,
			     &done),
	    STORE_OK);
	assert_int_equal(erased, 1);
	assert_true(done);
	assert_int_equal(store_retain_due(S, A, T0 + 100, &ids, &n), STORE_OK);
	assert_false(ids_have(ids, n, closed));

	assert_int_equal(store_update_recipients(S, A, closed, 0, T0 + 50, 100,
			     &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_update_recipients(S, A, open, 0, T0 + 50, 100,
			     &rs, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_retain_outbox(S, T0, NULL), STORE_OK);
	assert_int_equal(store_compact(S), STORE_OK);
}

/* A checkpoint copies the WAL back while nothing stops, and a second finds
 * it copied already; PostgreSQL has nothing to copy. */
static void
test_checkpoint(void **state)
{
	struct sig_spec sp = { .at = T0, .pii = "sealed", .country = "UA" };
	int64_t pid, frames, copied;
	bool sqlite = strcmp(S->be->name, "sqlite") == 0;

	(void)state;
	pid = petition_new("checkpoint", PETITION_OPEN, 0, T0, 0);
	for (int i = 0; i < 20; i++)
		sign(pid, &sp);
	assert_int_equal(store_checkpoint(S, &frames, &copied), STORE_OK);
	if (sqlite) {
		assert_true(frames > 0);
		assert_int_equal(copied, frames);
	} else {
		assert_int_equal(frames, 0);
		assert_int_equal(copied, 0);
	}
	/* The WAL starts over at the next write, shorter than it was. */
	sign(pid, &sp);
	int64_t again;
	assert_int_equal(store_checkpoint(S, &again, &copied), STORE_OK);
	assert_int_equal(copied, again);
	if (sqlite)
		assert_true(again > 0 && again < frames);
}

/* ---- paper: a batch's scanned file ---- */

static int64_t
paper_batch_new(int64_t petition, const char *kind, const void *data, size_t len)
{
	struct paper_batch b = { 0 };
	int64_t id = 0;

	b.count = 3;
	b.day = "2026-11-20";
	b.place = "Square";
	b.note = "";
	b.scan = kind;
	b.scan_data = data;
	b.scan_len = len;
	b.actor = "user:1";
	b.created_at = T0;
	assert_int_equal(store_paper_add(S, petition, &b, &id), STORE_OK);
	assert_true(id > 0);
	return id;
}

static void
test_paper_scan(void **state)
{
	static const unsigned char bytes[] = { '%', 'P', 'D', 'F', 0, 0xff, 1,
		'\n', '%', '%', 'E', 'O', 'F' };
	int64_t p, other, a, b, none, erased;
	const unsigned char *data;
	struct paper_batch *bs;
	const char *kind;
	size_t len, n;
	bool done;

	(void)state;
	p = petition_new("paper-scan", PETITION_CLOSED, 0, T0 + 10, 0);
	other = petition_new("paper-scan-other", PETITION_OPEN, 0, T0, 0);
	a = paper_batch_new(p, "pdf", bytes, sizeof(bytes));
	b = paper_batch_new(p, "png", bytes, 4);
	none = paper_batch_new(p, "pdf", NULL, 0); /* no scan: no kind */

	/* The bytes as stored, NUL and 0xff included; the list knows. */
	assert_int_equal(store_paper_scan(S, A, p, a, &kind, &data, &len),
	    STORE_OK);
	assert_string_equal(kind, "pdf");
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(data, bytes, sizeof(bytes));
	assert_int_equal(store_paper_list(S, A, p, 10, &bs, &n), STORE_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(bs[i].scan,
		    bs[i].id == none  ? "" :
			bs[i].id == a ? "pdf" :
					"png");
	/* None for a batch without one, another petition's, or none. */
	assert_int_equal(store_paper_scan(S, A, p, none, &kind, &data, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_paper_scan(S, A, other, a, &kind, &data, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_paper_scan(S, A, p, b + 1000, &kind, &data, &len),
	    STORE_NOTFOUND);

	/* A removed batch's scan is gone. */
	assert_int_equal(store_paper_remove(S, p, a, "user:2", "twice", T0 + 1),
	    STORE_OK);
	assert_int_equal(store_paper_scan(S, A, p, a, &kind, &data, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_paper_scan(S, A, p, b, &kind, &data, &len),
	    STORE_OK);

	/* Erasing the signers' data erases the scans too (the batch and its
	 * count stay); another petition's are kept. */
	int64_t kept = paper_batch_new(other, "jpeg", bytes, 5);
	do
		assert_int_equal(store_retain_petition(S, p, 500, T0 + 20,
				     &erased, &done),
		    STORE_OK);
	while (!done);
	assert_int_equal(store_paper_scan(S, A, p, b, &kind, &data, &len),
	    STORE_NOTFOUND);
	assert_int_equal(store_paper_list(S, A, p, 10, &bs, &n), STORE_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(bs[i].scan, "");
	assert_int_equal(store_paper_scan(S, A, other, kept, &kind, &data, &len),
	    STORE_OK);
	assert_int_equal(len, 5);
}

/* ---- social: drafts ---- */

static void
test_draft_same_and_delete(void **state)
{
	enum petition_state st = PETITION__MAX;
	int64_t owner, other, id, found = 0, open;
	const char *slug = NULL, *title;
	struct petition q;
	struct transition t;

	(void)state;
	owner = user_new("Drafter", true, NULL);
	other = user_new("Other", true, NULL);
	id = petition_new("draft", PETITION_DRAFT, owner, T0, 0);
	title = petition_get(id, PETITION_DRAFT)->title;
	/* Found by owner, title and text; not for another owner or text. */
	assert_int_equal(store_draft_same(S, A, owner, title, "Some **text**.",
			     &found, &slug, &st),
	    STORE_OK);
	assert_int_equal(found, id);
	assert_int_equal(st, PETITION_DRAFT);
	assert_string_equal(slug, petition_get(id, PETITION_DRAFT)->slug);
	assert_int_equal(store_draft_same(S, A, other, title, "Some **text**.",
			     &found, &slug, &st),
	    STORE_NOTFOUND);
	assert_int_equal(store_draft_same(S, A, owner, title, "Other text.",
			     &found, &slug, &st),
	    STORE_NOTFOUND);

	/* Submitted and withdrawn: it has a history, and goes with it. */
	memset(&t, 0, sizeof(t));
	t.petition_id = id;
	t.actor = "system";
	t.reason = "";
	t.note = "";
	t.from = PETITION_DRAFT;
	t.to = PETITION_PENDING;
	t.at = T0 + 10;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(store_draft_same(S, A, owner, title, "Some **text**.",
			     &found, &slug, &st),
	    STORE_OK);
	assert_int_equal(st, PETITION_PENDING);
	/* Pending: not a draft to delete. */
	assert_int_equal(store_draft_delete(S, id, owner, "user:1", T0 + 15),
	    STORE_NOTFOUND);
	t.from = PETITION_PENDING;
	t.to = PETITION_DRAFT;
	t.at = T0 + 20;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	/* Someone else's: refused, nothing changed. */
	assert_int_equal(store_draft_delete(S, id, other, "user:2", T0 + 25),
	    STORE_NOTFOUND);
	slug = petition_get(id, PETITION_DRAFT)->slug;
	assert_int_equal(store_draft_delete(S, id, owner, "user:1", T0 + 30),
	    STORE_OK);
	assert_int_equal(store_petition_by_slug(S, A, slug, &q), STORE_NOTFOUND);
	assert_int_equal(store_draft_delete(S, id, owner, "user:1", T0 + 30),
	    STORE_NOTFOUND);
	/* An open petition is never deleted. */
	open = petition_new("draft-open", PETITION_OPEN, owner, T0, 0);
	assert_int_equal(store_draft_delete(S, open, owner, "user:1", T0 + 40),
	    STORE_NOTFOUND);
	assert_int_equal(petition_get(open, PETITION_OPEN)->id, open);
}

static void
test_published_at(void **state)
{
	struct transition t;
	int64_t id;

	(void)state;
	/* Open from the start (imported): published when created. */
	id = petition_new("pub-open", PETITION_OPEN, 0, T0, 0);
	assert_int_equal(petition_get(id, PETITION_OPEN)->published_at, T0);
	/* A draft: published when first opened, not when written. */
	id = petition_new("pub-draft", PETITION_PENDING, 0, T0, 0);
	memset(&t, 0, sizeof(t));
	t.petition_id = id;
	t.actor = "system";
	t.reason = "";
	t.note = "";
	t.from = PETITION_PENDING;
	t.to = PETITION_OPEN;
	t.at = T0 + 5 * DAY;
	assert_int_equal(store_petition_transition(S, &t), STORE_OK);
	assert_int_equal(petition_get(id, PETITION_OPEN)->published_at,
	    T0 + 5 * DAY);
	assert_int_equal(petition_get(id, PETITION_OPEN)->created_at, T0);
}

/* Runs sql on the database of the group now running, with the store
 * closed. Returns 0 or -1. */
static int
db_exec_closed(const char *sql)
{
	char path[128];
	sqlite3 *db;
	int rc;

	if (pg_dsn[0] != '\0')
		return pg_admin(pg_dsn, sql);
	snprintf(path, sizeof(path), "%s/holos.db", sqlite_dir);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(db);
	return rc;
}

/* Checks that petition pid's countries are exactly first (n1 signatures),
 * then second (n2). */
static void
countries_are(int64_t pid, const char *first, int64_t n1, const char *second,
    int64_t n2)
{
	struct country_row *cr;
	size_t n;

	assert_int_equal(store_petition_countries(S, A, pid, &cr, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(cr[0].country, first);
	assert_int_equal(cr[0].n, n1);
	assert_string_equal(cr[1].country, second);
	assert_int_equal(cr[1].n, n2);
}

/* One batch over two petitions and several countries moves each
 * petition's country rows by what it counted (a pending signature is not
 * counted until confirmed). */
static void
test_batch_countries(void **state)
{
	static const struct {
		int p;
		const char *country;
		bool counted;
	} spec[] = { { 0, "PL", true }, { 1, "CZ", true }, { 0, "CZ", true },
		{ 0, "PL", true }, { 1, "CZ", true }, { 0, "PL", false },
		{ 1, "DE", true } };
	struct write_op ops[sizeof(spec) / sizeof(spec[0])];
	int64_t pid[2];
	size_t i;

	(void)state;
	pid[0] = petition_new("batch-countries-a", PETITION_OPEN, 0, T0, 0);
	pid[1] = petition_new("batch-countries-b", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < sizeof(spec) / sizeof(spec[0]); i++)
		ops[i] = sign_op(pid[spec[i].p], spec[i].counted,
		    spec[i].country, NULL);
	assert_int_equal(store_write_batch(S, ops, i), STORE_OK);
	countries_are(pid[0], "PL", 2, "CZ", 1);
	countries_are(pid[1], "CZ", 2, "DE", 1);
}

/* Migration 0026 on a database signed before it: the country rows it
 * makes count each petition's confirmed signatures, not the pending or
 * invalid ones, and signing goes on from them. */
static void
test_countries_migration(void **state)
{
	static const struct sig_spec sp[] = {
		{ SIGNATURE_CONFIRMED, false, false, "PL", T0, "m1" },
		{ SIGNATURE_CONFIRMED, false, false, "CZ", T0 + 1, "m2" },
		{ SIGNATURE_CONFIRMED, false, false, "PL", T0 + 2, "m3" },
		{ SIGNATURE_INVALID, false, false, "CZ", T0 + 3, "m4" },
		{ SIGNATURE_PENDING, false, false, "CZ", T0 + 4, "m5" },
	};
	char dsn[600];
	int64_t pid;
	size_t i;

	(void)state;
	pid = petition_new("countries-mig", PETITION_OPEN, 0, T0, 0);
	for (i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
		sign(pid, &sp[i]);
	/* The database as it was before 0026 (and so before any later
	 * migration: those run again, as an upgrade from then would). */
	store_close(S);
	S = NULL;
	assert_int_equal(db_exec_closed("DROP TABLE petition_countries;"
					" DELETE FROM schema_migrations"
					" WHERE version >= 26"),
	    0);
	if (pg_dsn[0] != '\0')
		snprintf(dsn, sizeof(dsn), "%s", pg_dsn);
	else
		snprintf(dsn, sizeof(dsn), "sqlite:%s/holos.db", sqlite_dir);
	assert_int_equal(store_up(dsn,
			     pg_dsn[0] != '\0' ? "migrations/pg" :
						 "migrations/sqlite"),
	    0);
	countries_are(pid, "PL", 2, "CZ", 1);
	/* A signature after it adds to the migrated row. */
	sign(pid,
	    &(struct sig_spec){ SIGNATURE_CONFIRMED, false, false, "CZ", T0 + 5,
		"m6" });
	countries_are(pid, "CZ", 2, "PL", 2);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, case_setup, case_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(test_petition_fields),
		CASE(test_user_fields),
		CASE(test_user_token),
		CASE(test_user_verify),
		CASE(test_user_set_password),
		CASE(test_petition_update),
		CASE(test_petition_transition),
		CASE(test_petition_list_owner),
		CASE(test_petition_queue),
		CASE(test_petition_due),
		CASE(test_update_list),
		CASE(test_update_mail_next),
		CASE(test_update_recipients),
		CASE(test_update_mail_commit),
		CASE(test_petition_stats),
		CASE(test_batch_countries),
		CASE(test_countries_migration),
		CASE(test_signers_public),
		CASE(test_suppress),
		CASE(test_outbox_claim_order),
		CASE(test_writes_in_turn),
		CASE(test_sign_again),
		CASE(test_log_append),
		CASE(test_log_tiles),
		CASE(test_log_find_backlog),
		CASE(test_log_sign),
		CASE(test_log_build),
		CASE(test_retain),
		CASE(test_checkpoint),
		CASE(test_search),
		/* Delivery. */
		CASE(test_deliver_signers),
		/* social */
		CASE(test_draft_same_and_delete),
		CASE(test_published_at),
		/* spread */
		CASE(test_image),
		CASE(test_deliver_handover),
		/* paper */
		CASE(test_paper_scan),
	};
	const char *pg = getenv("HOLOS_TEST_PG");
	int failed;

	log_set_level(LOG_WARN);
	failed = cmocka_run_group_tests_name("store_sqlite", tests,
	    sqlite_setup, sqlite_teardown);
	if (pg == NULL || *pg == '\0') {
		printf("store_pg: skipped (set HOLOS_TEST_PG to a maintenance "
		       "DSN to run the cases on PostgreSQL)\n");
		return failed;
	}
	failed += cmocka_run_group_tests_name("store_pg", tests, pg_setup,
	    pg_teardown);
	return failed;
}
