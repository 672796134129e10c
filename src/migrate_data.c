/* migrate_data.c - holos migrate-data: copies a SQLite database into an
 * empty PostgreSQL one with COPY, in one transaction, and checks the copy.
 * The tables and columns come from the target's catalogue, so a migration
 * that adds one needs no change here as long as both backends mirror it. */
#include "migrate_data.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "search_sqlite.h"
#include "store.h"

#define MAX_TABLES 64
#define MAX_COLUMNS 64
#define COPY_CHUNK 65536
/* The one counter row per petition the SQLite counts become. */
#define MIGRATED_NODE "migrated"

enum col_kind {
	COL_INT,
	COL_BOOL,
	COL_BYTEA,
	COL_TEXT,
	COL_OTHER,
};

struct table {
	char name[64];
	char col[MAX_COLUMNS][64];
	enum col_kind kind[MAX_COLUMNS];
	char serial[64]; /* the column a sequence fills, "" if none */
	int ncol;
	long long src_rows, dst_rows;
	bool done;
};

struct job {
	sqlite3 *src;
	PGconn *dst;
	struct table t[MAX_TABLES];
	int nt;
};

/* Runs sql on the target (no parameters unless n > 0). Returns the result
 * (PQclear it) or NULL with the reason on stderr. */
static PGresult *
dst_query(struct job *j, const char *sql, int n, const char *const *params)
{
	PGresult *res =
	    PQexecParams(j->dst, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType es = PQresultStatus(res);

	if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK)
		return res;
	fprintf(stderr, "holos migrate-data: PostgreSQL: %s",
	    PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

static int
dst_exec(struct job *j, const char *sql)
{
	PGresult *res = dst_query(j, sql, 0, NULL);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

static enum col_kind
col_kind(const char *pg_type)
{
	if (strcmp(pg_type, "bigint") == 0 || strcmp(pg_type, "integer") == 0 ||
	    strcmp(pg_type, "smallint") == 0)
		return COL_INT;
	if (strcmp(pg_type, "boolean") == 0)
		return COL_BOOL;
	if (strcmp(pg_type, "bytea") == 0)
		return COL_BYTEA;
	if (strcmp(pg_type, "text") == 0 ||
	    strcmp(pg_type, "character varying") == 0)
		return COL_TEXT;
	return COL_OTHER;
}

/* Reads the target's tables and columns. Returns 0 or -1. */
static int
tables_load(struct job *j)
{
	PGresult *res;
	int i, k, rows;

	if ((res = dst_query(j,
		 "SELECT c.table_name, c.column_name, "
		 "c.data_type, COALESCE(c.column_default, '') LIKE 'nextval(%' "
		 "FROM information_schema.columns c JOIN information_schema.tables t "
		 "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
		 "WHERE c.table_schema = current_schema() AND t.table_type = "
		 "'BASE TABLE' AND c.table_name <> 'schema_migrations' "
		 /* The search document is made again after the copy. */
		 "AND NOT (c.table_name = 'petitions' AND c.column_name = "
		 "'search') "
		 "ORDER BY c.table_name, c.ordinal_position",
		 0, NULL)) == NULL)
		return -1;
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		const char *tn = PQgetvalue(res, i, 0);
		struct table *t = NULL;

		for (k = 0; k < j->nt; k++)
			if (strcmp(j->t[k].name, tn) == 0)
				t = &j->t[k];
		if (t == NULL) {
			if (j->nt == MAX_TABLES)
				goto toobig;
			t = &j->t[j->nt++];
			snprintf(t->name, sizeof(t->name), "%s", tn);
		}
		if (t->ncol == MAX_COLUMNS)
			goto toobig;
		snprintf(t->col[t->ncol], sizeof(t->col[0]), "%s",
		    PQgetvalue(res, i, 1));
		t->kind[t->ncol] = col_kind(PQgetvalue(res, i, 2));
		if (PQgetvalue(res, i, 3)[0] == 't')
			snprintf(t->serial, sizeof(t->serial), "%s",
			    t->col[t->ncol]);
		t->ncol++;
	}
	PQclear(res);
	return 0;
toobig:
	fprintf(stderr, "holos migrate-data: too many tables or columns\n");
	PQclear(res);
	return -1;
}

/* Both sides must hold the same tables and columns: a difference means a
 * migration exists on one backend only, and copying would lose data. */
static int
schemas_match(struct job *j)
{
	sqlite3_stmt *st = NULL;
	bool seen[MAX_TABLES][MAX_COLUMNS];
	int i, k, rc, ok = 1;

	memset(seen, 0, sizeof(seen));
	if (sqlite3_prepare_v2(j->src,
		"SELECT m.name, p.name FROM "
		"sqlite_master m, pragma_table_info(m.name) p WHERE m.type = "
		"'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> "
		"'schema_migrations' AND m.name NOT LIKE 'petition_search%'",
		-1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "holos migrate-data: SQLite: %s\n",
		    sqlite3_errmsg(j->src));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *tn = (const char *)sqlite3_column_text(st, 0);
		const char *cn = (const char *)sqlite3_column_text(st, 1);
		bool found = false;

		for (i = 0; i < j->nt && !found; i++)
			for (k = 0; k < j->t[i].ncol && !found; k++)
				if (strcmp(j->t[i].name, tn) == 0 &&
				    strcmp(j->t[i].col[k], cn) == 0)
					found = seen[i][k] = true;
		if (!found) {
			fprintf(stderr,
			    "holos migrate-data: PostgreSQL has no "
			    "%s.%s\n",
			    tn, cn);
			ok = 0;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "holos migrate-data: SQLite: %s\n",
		    sqlite3_errmsg(j->src));
		return -1;
	}
	for (i = 0; i < j->nt; i++)
		for (k = 0; k < j->t[i].ncol; k++)
			if (!seen[i][k]) {
				fprintf(stderr,
				    "holos migrate-data: the SQLite "
				    "database has no %s.%s\n",
				    j->t[i].name, j->t[i].col[k]);
				ok = 0;
			}
	return ok ? 0 : -1;
}

/* Orders the tables so that each comes after those its foreign keys
 * reference: the constraints stay checked during the copy. */
static int
tables_order(struct job *j)
{
	struct table sorted[MAX_TABLES];
	PGresult *res;
	int n = 0, i, r, rows;
	bool progress = true;

	if ((res = dst_query(j,
		 "SELECT cl.relname, rf.relname FROM "
		 "pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN "
		 "pg_class rf ON rf.oid = c.confrelid JOIN pg_namespace ns ON "
		 "ns.oid = cl.relnamespace WHERE c.contype = 'f' AND ns.nspname = "
		 "current_schema()",
		 0, NULL)) == NULL)
		return -1;
	rows = PQntuples(res);
	while (n < j->nt && progress) {
		progress = false;
		for (i = 0; i < j->nt; i++) {
			bool ready = !j->t[i].done;

			for (r = 0; r < rows && ready; r++) {
				const char *from = PQgetvalue(res, r, 0);
				const char *to = PQgetvalue(res, r, 1);
				int k;

				if (strcmp(from, j->t[i].name) != 0 ||
				    strcmp(to, from) == 0)
					continue;
				for (k = 0; k < j->nt; k++)
					if (strcmp(j->t[k].name, to) == 0 &&
					    !j->t[k].done)
						ready = false;
			}
			if (ready) {
				j->t[i].done = true;
				sorted[n++] = j->t[i];
				progress = true;
			}
		}
	}
	PQclear(res);
	if (n < j->nt) {
		fprintf(stderr,
		    "holos migrate-data: foreign keys form a cycle\n");
		return -1;
	}
	memcpy(j->t, sorted, (size_t)n * sizeof(sorted[0]));
	return 0;
}

/* Appends a value in COPY's text format. */
static void
copy_text(struct buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default: buf_putc(b, (char)s[i]); break;
		}
	}
}

static void
copy_value(struct buf *b, sqlite3_stmt *st, int i, enum col_kind kind)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	int n, k;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		buf_puts(b, "\\N");
		return;
	}
	switch (kind) {
	case COL_INT:
		buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i));
		break;
	case COL_BOOL:
		buf_puts(b, sqlite3_column_int64(st, i) != 0 ? "t" : "f");
		break;
	case COL_BYTEA:
		/* \x and hex; the backslash doubled for COPY. */
		p = sqlite3_column_blob(st, i);
		n = sqlite3_column_bytes(st, i);
		buf_puts(b, "\\\\x");
		for (k = 0; k < n; k++) {
			buf_putc(b, hex[p[k] >> 4]);
			buf_putc(b, hex[p[k] & 15]);
		}
		break;
	default:
		p = sqlite3_column_text(st, i);
		copy_text(b, p, (size_t)sqlite3_column_bytes(st, i));
		break;
	}
}

/* The SELECT that reads table t from SQLite in the target's column order;
 * the counter rows are summed into one per petition. */
static void
source_select(struct buf *q, const struct table *t)
{
	int k;

	buf_puts(q, "SELECT ");
	for (k = 0; k < t->ncol; k++) {
		if (k > 0)
			buf_puts(q, ", ");
		if (strcmp(t->name, "petition_counts") == 0 &&
		    strcmp(t->col[k], "node") == 0)
			buf_puts(q, "'" MIGRATED_NODE "'");
		else if (strcmp(t->name, "petition_counts") == 0 &&
		    strcmp(t->col[k], "confirmed") == 0)
			buf_puts(q, "SUM(\"confirmed\")");
		else
			buf_printf(q, "\"%s\"", t->col[k]);
	}
	buf_printf(q, " FROM \"%s\"", t->name);
	if (strcmp(t->name, "petition_counts") == 0)
		buf_puts(q, " GROUP BY \"petition_id\"");
}

static int
copy_flush(struct job *j, struct buf *b)
{
	if (b->len > 0 && PQputCopyData(j->dst, b->data, (int)b->len) != 1) {
		fprintf(stderr, "holos migrate-data: PostgreSQL: %s",
		    PQerrorMessage(j->dst));
		return -1;
	}
	b->len = 0;
	return 0;
}

/* Copies one table with COPY FROM STDIN. Returns 0 or -1. */
static int
table_copy(struct job *j, struct table *t)
{
	struct buf q, row;
	sqlite3_stmt *st = NULL;
	PGresult *res = NULL;
	char *ident;
	int k, rc, ret = -1;
	bool copying = false;

	buf_init(&q);
	buf_init(&row);
	if ((ident = PQescapeIdentifier(j->dst, t->name, strlen(t->name))) ==
	    NULL)
		goto out;
	buf_printf(&q, "COPY %s (", ident);
	PQfreemem(ident);
	for (k = 0; k < t->ncol; k++) {
		if ((ident = PQescapeIdentifier(j->dst, t->col[k],
			 strlen(t->col[k]))) == NULL)
			goto out;
		buf_printf(&q, "%s%s", k ? ", " : "", ident);
		PQfreemem(ident);
	}
	buf_puts(&q, ") FROM STDIN");
	if (!buf_ok(&q))
		goto out;
	res = PQexec(j->dst, q.data);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		fprintf(stderr, "holos migrate-data: PostgreSQL: %s",
		    PQresultErrorMessage(res));
		goto out;
	}
	PQclear(res);
	res = NULL;
	copying = true;
	q.len = 0;
	source_select(&q, t);
	if (!buf_ok(&q) ||
	    sqlite3_prepare_v2(j->src, q.data, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "holos migrate-data: SQLite: %s\n",
		    sqlite3_errmsg(j->src));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (k = 0; k < t->ncol; k++) {
			if (k > 0)
				buf_putc(&row, '\t');
			copy_value(&row, st, k, t->kind[k]);
		}
		buf_putc(&row, '\n');
		t->src_rows++;
		if (row.len >= COPY_CHUNK && copy_flush(j, &row) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "holos migrate-data: SQLite: %s\n",
		    sqlite3_errmsg(j->src));
		goto out;
	}
	if (!buf_ok(&row)) {
		fprintf(stderr, "holos migrate-data: out of memory\n");
		goto out;
	}
	if (copy_flush(j, &row) == -1)
		goto out;
	copying = false;
	if (PQputCopyEnd(j->dst, NULL) != 1 ||
	    PQresultStatus(res = PQgetResult(j->dst)) != PGRES_COMMAND_OK) {
		fprintf(stderr, "holos migrate-data: copying %s: %s", t->name,
		    PQerrorMessage(j->dst));
		goto out;
	}
	ret = 0;
out:
	if (copying && PQputCopyEnd(j->dst, "holos migrate-data gave up") == 1)
		res = PQgetResult(j->dst);
	/* Drain what is left of the command. */
	while (res != NULL) {
		PQclear(res);
		res = PQgetResult(j->dst);
	}
	sqlite3_finalize(st);
	buf_reset(&q);
	buf_reset(&row);
	return ret;
}

/* Moves the sequence behind t->serial past the copied ids. */
static int
sequence_set(struct job *j, const struct table *t)
{
	const char *params[2] = { t->name, t->serial };
	struct buf q;
	char *tn = NULL, *cn = NULL;
	PGresult *res;
	int ret = -1;

	if (t->serial[0] == '\0')
		return 0;
	buf_init(&q);
	tn = PQescapeIdentifier(j->dst, t->name, strlen(t->name));
	cn = PQescapeIdentifier(j->dst, t->serial, strlen(t->serial));
	if (tn == NULL || cn == NULL)
		goto out;
	buf_printf(&q,
	    "SELECT setval(pg_get_serial_sequence($1, $2), "
	    "COALESCE((SELECT MAX(%s) FROM %s), 0) + 1, false)",
	    cn, tn);
	if (buf_ok(&q) && (res = dst_query(j, q.data, 2, params)) != NULL) {
		PQclear(res);
		ret = 0;
	}
out:
	PQfreemem(tn);
	PQfreemem(cn);
	buf_reset(&q);
	return ret;
}

/* Counts rows on the target; the source count is what was copied. */
static int
table_count(struct job *j, struct table *t)
{
	struct buf q;
	PGresult *res;
	char *tn;

	if ((tn = PQescapeIdentifier(j->dst, t->name, strlen(t->name))) == NULL)
		return -1;
	buf_init(&q);
	buf_printf(&q, "SELECT count(*) FROM %s", tn);
	PQfreemem(tn);
	res = buf_ok(&q) ? dst_query(j, q.data, 0, NULL) : NULL;
	buf_reset(&q);
	if (res == NULL)
		return -1;
	t->dst_rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* Compares the count of every petition on both sides. Returns 0 when they
 * match (printing the total), -1 otherwise. */
static int
sums_check(struct job *j)
{
	sqlite3_stmt *st = NULL;
	PGresult *res = NULL;
	long long total = 0, dst_total = 0, bad = 0, petitions = 0;
	int rc;

	if ((res = dst_query(j,
		 "SELECT petition_id, SUM(confirmed) FROM "
		 "petition_counts GROUP BY petition_id",
		 0, NULL)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(j->src,
		"SELECT petition_id, SUM(confirmed) "
		"FROM petition_counts GROUP BY petition_id",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		long long n = sqlite3_column_int64(st, 1), m = -1;
		int r;

		for (r = 0; r < PQntuples(res); r++)
			if (strtoll(PQgetvalue(res, r, 0), NULL, 10) == id)
				m = strtoll(PQgetvalue(res, r, 1), NULL, 10);
		if (m != n) {
			fprintf(stderr,
			    "holos migrate-data: petition %lld counts "
			    "%lld in SQLite, %lld in PostgreSQL\n",
			    id, n, m);
			bad++;
		}
		total += n;
		petitions++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	for (rc = 0; rc < PQntuples(res); rc++)
		dst_total += strtoll(PQgetvalue(res, rc, 1), NULL, 10);
	sqlite3_finalize(st);
	PQclear(res);
	printf("%-24s %12lld %12lld %s\n", "count sum", total, dst_total,
	    bad == 0 && total == dst_total ? "ok" : "MISMATCH");
	printf("%-24s %12lld\n", "petitions counted", petitions);
	return bad == 0 && total == dst_total ? 0 : -1;
fail:
	fprintf(stderr, "holos migrate-data: SQLite: %s\n",
	    sqlite3_errmsg(j->src));
	sqlite3_finalize(st);
	PQclear(res);
	return -1;
}

static int
src_version(struct job *j, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int ok;

	ok = sqlite3_prepare_v2(j->src,
		 "SELECT COALESCE(MAX(version), 0) FROM "
		 "schema_migrations",
		 -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr,
		    "holos migrate-data: the source is not a holos "
		    "database: %s\n",
		    sqlite3_errmsg(j->src));
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

/* Locks every table and checks that none holds a row. */
static int
target_empty(struct job *j)
{
	struct buf q;
	PGresult *res;
	char *tn;
	int i, ret = 0;

	buf_init(&q);
	for (i = 0; i < j->nt; i++) {
		q.len = 0;
		if ((tn = PQescapeIdentifier(j->dst, j->t[i].name,
			 strlen(j->t[i].name))) == NULL)
			return -1;
		buf_printf(&q,
		    "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE; "
		    "SELECT EXISTS (SELECT 1 FROM %s)",
		    tn, tn);
		PQfreemem(tn);
		if (!buf_ok(&q)) {
			ret = -1;
			break;
		}
		/* Two statements: the simple protocol, no parameters. */
		res = PQexec(j->dst, q.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "holos migrate-data: PostgreSQL: %s",
			    PQresultErrorMessage(res));
			PQclear(res);
			ret = -1;
			break;
		}
		if (PQgetvalue(res, 0, 0)[0] == 't') {
			fprintf(stderr,
			    "holos migrate-data: the target is not "
			    "empty (table %s has rows); refusing to mix two "
			    "sites\n",
			    j->t[i].name);
			ret = -1;
		}
		PQclear(res);
	}
	buf_reset(&q);
	return ret;
}

int
migrate_data_run(const char *from, const char *to, const char *pg_migrations_dir)
{
	static const char *const keys[] = { "connect_timeout",
		"application_name", "client_encoding", "dbname", NULL };
	const char *vals[] = { "10", "holos-migrate-data", "UTF8", to, NULL };
	struct job *j;
	struct store *s = NULL;
	int64_t sv = 0;
	int dv = 0, i, ret = -1;
	bool rows_ok = true;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if (strncmp(from, "sqlite:", 7) == 0)
		from += 7;
	if (sqlite3_open_v2(from, &j->src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "holos migrate-data: cannot open %s: %s\n",
		    from, j->src ? sqlite3_errmsg(j->src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(j->src, 5000);
	/* The search table's columns are read with the rest's. */
	if (search_sqlite_register(j->src) == -1)
		goto out;
	/* One snapshot for every read of the source. */
	if (sqlite3_exec(j->src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    src_version(j, &sv) == -1)
		goto out;
	if (store_open(to, pg_migrations_dir, MIGRATED_NODE, &s) == -1 ||
	    store_migrate(s, &dv) != STORE_OK) {
		fprintf(stderr,
		    "holos migrate-data: cannot open or migrate the "
		    "target (see the log above)\n");
		goto out;
	}
	store_close(s);
	s = NULL;
	if (sv < dv) {
		fprintf(stderr,
		    "holos migrate-data: the SQLite schema is at "
		    "version %lld, this holos at %d; run 'holos migrate --db "
		    "sqlite:%s' first\n",
		    (long long)sv, dv, from);
		goto out;
	}
	if (sv > dv) {
		fprintf(stderr,
		    "holos migrate-data: the SQLite schema is at "
		    "version %lld, newer than this holos's PostgreSQL migrations "
		    "(%d); use the holos that wrote it\n",
		    (long long)sv, dv);
		goto out;
	}
	j->dst = PQconnectdbParams(keys, vals, 1);
	if (j->dst == NULL || PQstatus(j->dst) != CONNECTION_OK) {
		fprintf(stderr, "holos migrate-data: cannot connect: %s",
		    j->dst ? PQerrorMessage(j->dst) : "out of memory\n");
		goto out;
	}
	if (dst_exec(j, "BEGIN") == -1 || tables_load(j) == -1 ||
	    schemas_match(j) == -1 || tables_order(j) == -1 ||
	    target_empty(j) == -1)
		goto out;
	for (i = 0; i < j->nt; i++)
		if (table_copy(j, &j->t[i]) == -1 ||
		    sequence_set(j, &j->t[i]) == -1 ||
		    table_count(j, &j->t[i]) == -1)
			goto out;
	printf("%-24s %12s %12s\n", "table", "sqlite", "postgresql");
	for (i = 0; i < j->nt; i++) {
		bool same = j->t[i].src_rows == j->t[i].dst_rows;

		printf("%-24s %12lld %12lld %s\n", j->t[i].name,
		    j->t[i].src_rows, j->t[i].dst_rows,
		    same ? "ok" : "MISMATCH");
		rows_ok = rows_ok && same;
	}
	if (!rows_ok || sums_check(j) == -1) {
		fprintf(stderr,
		    "holos migrate-data: the copy does not match; "
		    "nothing was written\n");
		goto out;
	}
	if (dst_exec(j, "COMMIT") == -1)
		goto out;
	/* The search index is not copied: it is made from the petitions. */
	if (store_open(to, pg_migrations_dir, MIGRATED_NODE, &s) == -1 ||
	    store_search_reindex(s) != STORE_OK) {
		fprintf(stderr,
		    "holos migrate-data: the data is copied but the search "
		    "index could not be made (see the log above)\n");
		goto out;
	}
	printf("copied schema version %d; start the nodes with --db and the "
	       "same secret.key\n",
	    dv);
	ret = 0;
out:
	store_close(s);
	PQfinish(j->dst); /* an open transaction is rolled back */
	sqlite3_close(j->src);
	free(j);
	return ret;
}
