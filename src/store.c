/* store.c - picks the backend from the DSN and dispatches to it. */
#include "store.h"

#include <string.h>

#include "log.h"

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

static const char *const status_names[STORE__MAX] = {
	[STORE_OK] = "ok",
	[STORE_NOTFOUND] = "not_found",
	[STORE_DUPLICATE] = "duplicate",
	[STORE_UNAVAILABLE] = "unavailable",
	[STORE_ERROR] = "error",
};

int
store_open(const char *dsn, const char *migrations_dir, const char *node,
    struct store **out)
{
	const struct store_ops *ops = &store_sqlite_ops;

	if (strncmp(dsn, "postgres://", 11) == 0 ||
	    strncmp(dsn, "postgresql://", 13) == 0)
		ops = &store_pg_ops;
	else if (strncmp(dsn, "sqlite:", 7) == 0)
		dsn += 7;
	if (ops->open(dsn, migrations_dir, node, out) == -1)
		return -1;
	(*out)->ops = ops;
	return 0;
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

enum store_status
store_migrate(struct store *s, int *version)
{
	return s->ops->migrate(s, version);
}

enum store_status
store_petition_create(struct store *s, const struct petition *p, int64_t *id)
{
	return s->ops->petition_create(s, p, id);
}

enum store_status
store_petition_by_slug(struct store *s, struct arena *a, const char *slug,
    struct petition *out)
{
	return s->ops->petition_by_slug(s, a, slug, out);
}

enum store_status
store_petition_by_id(struct store *s, struct arena *a, int64_t id,
    struct petition *out)
{
	return s->ops->petition_by_id(s, a, id, out);
}

enum store_status
store_petition_list(struct store *s, struct arena *a, enum petition_state st,
    struct petition **out, size_t *n)
{
	return s->ops->petition_list(s, a, st, out, n);
}

enum store_status
store_write_batch(struct store *s, struct write_op *ops, size_t n)
{
	return s->ops->write_batch(s, ops, n);
}

enum store_status
store_token_lookup(struct store *s, struct arena *a, const unsigned char *hash,
    struct token_info *out)
{
	return s->ops->token_lookup(s, a, hash, out);
}

enum store_status
store_unsubscribe(struct store *s, const unsigned char *hash, int64_t now)
{
	return s->ops->unsubscribe(s, hash, now);
}

enum store_status
store_outbox_recover(struct store *s, int *n)
{
	return s->ops->outbox_recover(s, n);
}

enum store_status
store_outbox_claim(struct store *s, struct arena *a, int64_t now, size_t max,
    struct outbox_msg **out, size_t *n)
{
	return s->ops->outbox_claim(s, a, now, max, out, n);
}

enum store_status
store_outbox_finish(struct store *s, int64_t id, enum outbox_state state,
    int64_t next_at, const char *error, int64_t now)
{
	return s->ops->outbox_finish(s, id, state, next_at, error, now);
}

enum store_status
store_outbox_list(struct store *s, struct arena *a, struct outbox_msg **out,
    size_t *n)
{
	return s->ops->outbox_list(s, a, out, n);
}

enum store_status
store_outbox_retry(struct store *s, int64_t id, int64_t now, int *n)
{
	return s->ops->outbox_retry(s, id, now, n);
}

/* Operations a backend may not have yet answer STORE_ERROR, not a crash. */
#define OPTIONAL_OP(s, op, ...)                                       \
	((s)->ops->op != NULL ?                                       \
		(s)->ops->op(__VA_ARGS__) :                           \
		(log_error("store",                                   \
		     "backend=%s op=" #op " error=\"not supported\"", \
		     (s)->ops->name),                                 \
		    STORE_ERROR))

enum store_status
store_trending(struct store *s, struct arena *a, int64_t petition_id,
    int64_t since, bool by_domain, struct trend_row **out, size_t *n)
{
	return OPTIONAL_OP(s, trending, s, a, petition_id, since, by_domain,
	    out, n);
}

enum store_status
store_invalidate(struct store *s, struct invalidation *inv)
{
	return OPTIONAL_OP(s, invalidate, s, inv);
}

enum store_status
store_removals(struct store *s, struct arena *a, int64_t petition_id,
    struct removal_row **out, size_t *n)
{
	return OPTIONAL_OP(s, removals, s, a, petition_id, out, n);
}

enum store_status
store_user_create(struct store *s, const struct user_new *u, int64_t *id)
{
	return OPTIONAL_OP(s, user_create, s, u, id);
}

enum store_status
store_user_by_email(struct store *s, struct arena *a,
    const unsigned char *email_hash, struct user *out)
{
	return OPTIONAL_OP(s, user_by_email, s, a, email_hash, out);
}

enum store_status
store_user_login_result(struct store *s, int64_t id, bool ok, int64_t now,
    int max_failed, int64_t lock_seconds)
{
	return OPTIONAL_OP(s, user_login_result, s, id, ok, now, max_failed,
	    lock_seconds);
}

enum store_status
store_session_create(struct store *s, const unsigned char *hash,
    int64_t user_id, int64_t now, int64_t expires)
{
	return OPTIONAL_OP(s, session_create, s, hash, user_id, now, expires);
}

enum store_status
store_session_user(struct store *s, struct arena *a, const unsigned char *hash,
    int64_t now, struct user *out)
{
	return OPTIONAL_OP(s, session_user, s, a, hash, now, out);
}

enum store_status
store_session_delete(struct store *s, const unsigned char *hash)
{
	return OPTIONAL_OP(s, session_delete, s, hash);
}

enum store_status
store_audit(struct store *s, const char *actor, const char *action,
    const char *subject, const char *detail, int64_t now)
{
	return OPTIONAL_OP(s, audit, s, actor, action, subject, detail, now);
}

enum store_status
store_audit_list(struct store *s, struct arena *a, struct audit_row **out,
    size_t *n)
{
	return OPTIONAL_OP(s, audit_list, s, a, out, n);
}

static const char *const role_names[ROLE__MAX] = {
	[ROLE_STARTER] = "starter",
	[ROLE_MODERATOR] = "moderator",
	[ROLE_ADMIN] = "admin",
};

const char *
user_role_name(enum user_role r)
{
	return (unsigned)r < ROLE__MAX ? role_names[r] : "?";
}

enum user_role
user_role_parse(const char *name)
{
	int i;

	for (i = 0; i < ROLE__MAX; i++)
		if (name != NULL && strcmp(role_names[i], name) == 0)
			return (enum user_role)i;
	return ROLE__MAX;
}

enum store_status
store_user_by_id(struct store *s, struct arena *a, int64_t id, struct user *out)
{
	return OPTIONAL_OP(s, user_by_id, s, a, id, out);
}

enum store_status
store_user_token_create(struct store *s, const unsigned char *hash,
    enum user_token_purpose purpose, int64_t user_id, int64_t now,
    int64_t expires)
{
	return OPTIONAL_OP(s, user_token_create, s, hash, purpose, user_id, now,
	    expires);
}

enum store_status
store_user_token_use(struct store *s, const unsigned char *hash,
    enum user_token_purpose purpose, bool consume, int64_t now, int64_t *user_id)
{
	return OPTIONAL_OP(s, user_token_use, s, hash, purpose, consume, now,
	    user_id);
}

enum store_status
store_user_verify(struct store *s, int64_t id, int64_t now)
{
	return OPTIONAL_OP(s, user_verify, s, id, now);
}

enum store_status
store_user_set_password(struct store *s, int64_t id, const char *password)
{
	return OPTIONAL_OP(s, user_set_password, s, id, password);
}

enum store_status
store_petition_update(struct store *s, const struct petition *p)
{
	return OPTIONAL_OP(s, petition_update, s, p);
}

enum store_status
store_petition_transition(struct store *s, const struct transition *t)
{
	return OPTIONAL_OP(s, petition_transition, s, t);
}

enum store_status
store_petition_list_owner(struct store *s, struct arena *a, int64_t owner_id,
    struct petition **out, size_t *n)
{
	return OPTIONAL_OP(s, petition_list_owner, s, a, owner_id, out, n);
}

enum store_status
store_petition_queue(struct store *s, struct arena *a, struct petition **out,
    size_t *n)
{
	return OPTIONAL_OP(s, petition_queue, s, a, out, n);
}

enum store_status
store_petition_due(struct store *s, struct arena *a, int64_t now,
    struct petition **out, size_t *n)
{
	return OPTIONAL_OP(s, petition_due, s, a, now, out, n);
}

enum store_status
store_transition_list(struct store *s, struct arena *a, int64_t petition_id,
    struct transition **out, size_t *n)
{
	return OPTIONAL_OP(s, transition_list, s, a, petition_id, out, n);
}

enum store_status
store_update_create(struct store *s, const struct update *u, int64_t *id)
{
	return OPTIONAL_OP(s, update_create, s, u, id);
}

enum store_status
store_update_list(struct store *s, struct arena *a, int64_t petition_id,
    struct update **out, size_t *n)
{
	return OPTIONAL_OP(s, update_list, s, a, petition_id, out, n);
}

enum store_status
store_update_mail_next(struct store *s, struct arena *a, struct update *out)
{
	return OPTIONAL_OP(s, update_mail_next, s, a, out);
}

enum store_status
store_update_recipients(struct store *s, struct arena *a, int64_t petition_id,
    int64_t after_id, int64_t created_before, size_t max,
    struct recipient **out, size_t *n)
{
	return OPTIONAL_OP(s, update_recipients, s, a, petition_id, after_id,
	    created_before, max, out, n);
}

enum store_status
store_update_mail_commit(struct store *s, int64_t update_id, int64_t old_cursor,
    int64_t new_cursor, bool done, const struct update_mail *msgs, size_t n,
    int64_t now)
{
	return OPTIONAL_OP(s, update_mail_commit, s, update_id, old_cursor,
	    new_cursor, done, msgs, n, now);
}

enum store_status
store_petition_stats(struct store *s, struct arena *a, int64_t petition_id,
    struct petition_stats *out)
{
	return OPTIONAL_OP(s, petition_stats, s, a, petition_id, out);
}

enum store_status
store_signers_public(struct store *s, struct arena *a, int64_t petition_id,
    int64_t after_seq, size_t max, struct signer_row **out, size_t *n)
{
	return OPTIONAL_OP(s, signers_public, s, a, petition_id, after_seq, max,
	    out, n);
}

enum store_status
store_outbox_add(struct store *s, const struct outbox_new *m, int64_t now)
{
	return OPTIONAL_OP(s, outbox_add, s, m, now);
}

static const char *const token_purposes[USER_TOKEN__MAX] = {
	[USER_TOKEN_VERIFY] = "verify",
	[USER_TOKEN_RESET] = "reset",
};

const char *
user_token_purpose_name(enum user_token_purpose p)
{
	return (unsigned)p < USER_TOKEN__MAX ? token_purposes[p] : "?";
}

static const char *const update_kinds[UPDATE__MAX] = {
	[UPDATE_NEWS] = "update",
	[UPDATE_RESPONSE] = "response",
};

const char *
update_kind_name(enum update_kind k)
{
	return (unsigned)k < UPDATE__MAX ? update_kinds[k] : "?";
}

enum update_kind
update_kind_parse(const char *name)
{
	int i;

	for (i = 0; i < UPDATE__MAX; i++)
		if (name != NULL && strcmp(update_kinds[i], name) == 0)
			return (enum update_kind)i;
	return UPDATE__MAX;
}

static const char *const outbox_states[OUTBOX__MAX] = {
	[OUTBOX_QUEUED] = "queued",
	[OUTBOX_SENDING] = "sending",
	[OUTBOX_SENT] = "sent",
	[OUTBOX_DEAD] = "dead",
};

const char *
outbox_state_name(enum outbox_state st)
{
	return (unsigned)st < OUTBOX__MAX ? outbox_states[st] : "?";
}

enum store_status
store_petition_count(struct store *s, int64_t id, int64_t *count)
{
	return s->ops->petition_count(s, id, count);
}

enum store_status
store_petition_translation(struct store *s, struct arena *a,
    int64_t petition_id, const char *lang, struct translation *out)
{
	return s->ops->petition_translation(s, a, petition_id, lang, out);
}

const char *
store_status_name(enum store_status st)
{
	return (unsigned)st < STORE__MAX ? status_names[st] : "?";
}
