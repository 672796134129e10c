/* store.c - picks the backend from the DSN and dispatches to it. */
#include "store.h"

#include <string.h>

#include "log.h"

extern const struct store_ops store_sqlite_ops;

static const char *const status_names[STORE__MAX] = {
	[STORE_OK] = "ok",
	[STORE_NOTFOUND] = "not_found",
	[STORE_DUPLICATE] = "duplicate",
	[STORE_UNAVAILABLE] = "unavailable",
	[STORE_ERROR] = "error",
};

int
store_open(const char *dsn, const char *migrations_dir, struct store **out)
{
	const struct store_ops *ops = &store_sqlite_ops;

	if (strncmp(dsn, "postgres://", 11) == 0 ||
	    strncmp(dsn, "postgresql://", 13) == 0) {
		log_error("store", "error=\"PostgreSQL is not supported yet\"");
		return -1;
	}
	if (strncmp(dsn, "sqlite:", 7) == 0)
		dsn += 7;
	if (ops->open(dsn, migrations_dir, out) == -1)
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
store_petition_list(struct store *s, struct arena *a, enum petition_state st,
    struct petition **out, size_t *n)
{
	return s->ops->petition_list(s, a, st, out, n);
}

enum store_status
store_signature_add_batch(struct store *s, struct signature *sigs, size_t n,
    enum store_status *results)
{
	return s->ops->signature_add_batch(s, sigs, n, results);
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
