/* pg_ceiling.c - the raw durable-insert ceiling of PostgreSQL here: rows of
 * holos's signature shape written with COPY, 1,000 per transaction, plus the
 * per-node counter and country row updates, on one connection, for a fixed
 * time. Prints rows/s. Usage: pg_ceiling DSN SECONDS PETITION_ID */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 1000

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "pg_ceiling: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static char line[1024];
	double secs, t0, t;
	long long rows = 0, seq = 0, pid;
	PGconn *c;
	char upd[256], cty[256];

	if (argc != 4) {
		fprintf(stderr, "usage: pg_ceiling DSN SECONDS PETITION_ID\n");
		return 2;
	}
	secs = atof(argv[2]);
	pid = atoll(argv[3]);
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg_ceiling: %s", PQerrorMessage(c));
		return 1;
	}
	snprintf(upd, sizeof(upd),
	    "INSERT INTO petition_counts (petition_id, "
	    "node, confirmed) VALUES (%lld, 'ceiling', %d) ON CONFLICT "
	    "(petition_id, node) DO UPDATE SET confirmed = "
	    "petition_counts.confirmed + excluded.confirmed",
	    pid, BATCH);
	snprintf(cty, sizeof(cty),
	    "INSERT INTO petition_countries (petition_id, country, node,"
	    " confirmed) VALUES (%lld, 'UA', 'ceiling', %d) ON CONFLICT"
	    " (petition_id, country, node) DO UPDATE SET confirmed ="
	    " petition_countries.confirmed + excluded.confirmed",
	    pid, BATCH);
	t0 = now_s();
	while ((t = now_s()) - t0 < secs) {
		PGresult *r;

		if (run(c, "BEGIN") == -1)
			return 1;
		r = PQexec(c,
		    "COPY signatures (petition_id, seq, email_hash, pii,"
		    " country, public_name, updates, comment, state, created_at,"
		    " confirmed_at) FROM STDIN");
		if (PQresultStatus(r) != PGRES_COPY_IN) {
			fprintf(stderr, "pg_ceiling: COPY: %s",
			    PQerrorMessage(c));
			return 1;
		}
		PQclear(r);
		for (int i = 0; i < BATCH; i++) {
			int n = snprintf(line, sizeof(line),
			    "%lld\t%lld\t\\\\x", pid, ++seq);
			for (int k = 0; k < 4; k++)
				n += snprintf(line + n, sizeof(line) - (size_t)n,
				    "%016llx", (unsigned long long)rnd());
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    "\t\\\\x");
			for (int k = 0; k < 15; k++)
				n += snprintf(line + n, sizeof(line) - (size_t)n,
				    "%016llx", (unsigned long long)rnd());
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    "\tUA\tt\tf\t\tconfirmed\t%lld\t%lld\n",
			    (long long)time(NULL), (long long)time(NULL));
			if (PQputCopyData(c, line, n) != 1)
				return 1;
		}
		if (PQputCopyEnd(c, NULL) != 1)
			return 1;
		r = PQgetResult(c);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "pg_ceiling: COPY: %s",
			    PQerrorMessage(c));
			return 1;
		}
		PQclear(r);
		while ((r = PQgetResult(c)) != NULL)
			PQclear(r);
		if (run(c, upd) == -1 || run(c, cty) == -1 ||
		    run(c, "COMMIT") == -1)
			return 1;
		rows += BATCH;
	}
	printf("pg_ceiling rows=%lld seconds=%.2f rows_per_s=%.0f\n", rows,
	    t - t0, (double)rows / (t - t0));
	PQfinish(c);
	return 0;
}
