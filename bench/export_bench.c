/* export_bench.c - `holos export` of a petition with N synthetic signers
 * (default 1,000,000; signers.h, nine in ten showing their name) as CSV
 * and as JSON: the command's wall time, CPU time, output size and peak
 * RSS (its own, from wait4()).
 *
 * Usage: export_bench HOLOS [N [DIR]]   (run from the checkout: it imports
 * seed/petition.md). DIR defaults to a temporary folder, removed after. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "signers.h"

#define SLUG "kremlin-prisoners-covid19"
#define CHUNK 50000 /* rows per transaction */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv quietly; *ru gets its resource use. Returns the exit status,
 * or -1. */
static int
run(char *const *argv, struct rusage *ru)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, ru) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "export_bench: %s: %s\n", sql,
		    err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* N confirmed signatures with sealed names (and an address that must not
 * come out) for the petition. Returns 0 or -1. */
static int
fill(const char *dir, int64_t n)
{
	char path[600], plain[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	unsigned char hash[32];
	int64_t i;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/holos.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
		SQLITE_OK ||
	    exec_sql(db, "PRAGMA journal_mode=WAL") == -1 ||
	    exec_sql(db, "PRAGMA synchronous=OFF") == -1)
		goto out;
	if (sqlite3_prepare_v2(db,
		"INSERT INTO signatures (petition_id, seq, email_hash, pii,"
		" country, public_name, public_comment, updates, comment, state,"
		" created_at, confirmed_at) SELECT id, ?1, ?2, ?3, ?4, ?5,"
		" ?5 AND ?6 <> '', 0, ?6, 'confirmed', ?7, ?7 FROM petitions"
		" WHERE slug = '" SLUG "'",
		-1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "export_bench: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct bench_signer s;
		unsigned char *sealed;
		size_t len, slen;

		if (i % CHUNK == 0 && exec_sql(db, "BEGIN") == -1)
			goto out;
		bench_signer(i, &s);
		len =
		    (size_t)snprintf(plain, sizeof(plain),
			"%s%c%s%csigner%lld@bench.invalid%c192.0.2.%d", s.first,
			0, s.last, 0, (long long)i, 0, (int)(i % 250)) +
		    1;
		if ((sealed = crypto_seal(plain, len, &slen)) == NULL)
			goto out;
		memset(hash, 0, sizeof(hash));
		memcpy(hash, &i, sizeof(i));
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, i + 1);
		sqlite3_bind_blob(ins, 2, hash, sizeof(hash), SQLITE_STATIC);
		sqlite3_bind_blob(ins, 3, sealed, (int)slen, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 4, s.country[0] ? s.country : "RU", -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(ins, 5, i % 10 != 7);
		sqlite3_bind_text(ins, 6, s.comment, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 7, s.signed_at);
		free(sealed);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "export_bench: %s\n",
			    sqlite3_errmsg(db));
			goto out;
		}
		if ((i + 1) % CHUNK == 0 || i + 1 == n) {
			if (exec_sql(db, "COMMIT") == -1)
				goto out;
		}
	}
	ret = exec_sql(db,
	    "INSERT INTO petition_counts (petition_id, node, confirmed)"
	    " SELECT id, 'local', (SELECT COUNT(*) FROM signatures WHERE"
	    " petition_id = petitions.id) FROM petitions WHERE slug = '" SLUG
	    "' ON CONFLICT (petition_id, node) DO UPDATE SET"
	    " confirmed = excluded.confirmed");
	/* And the country rows holos keeps beside it (migration 0026). */
	if (ret == 0)
		ret = exec_sql(db,
		    "INSERT INTO petition_countries (petition_id, country,"
		    " node, confirmed) SELECT petition_id, CASE WHEN country"
		    " GLOB '[A-Z][A-Z]' THEN country ELSE '--' END, 'local',"
		    " COUNT(*) FROM signatures WHERE state = 'confirmed'"
		    " GROUP BY 1, 2 ON CONFLICT (petition_id, country, node)"
		    " DO UPDATE SET confirmed = excluded.confirmed");
	/* The rows into the database file, so the first export does not pay
	 * for the fill's write-ahead log. */
	if (ret == 0)
		ret = exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
out:
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return ret;
}

/* Lines of the file at path and whether it holds needle. */
static long
lines_of(const char *path, const char *needle, int *has)
{
	char buf[1 << 16];
	long n = 0;
	FILE *f = fopen(path, "rb");

	*has = 0;
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		if (strchr(buf, '\n') != NULL)
			n++;
		if (strstr(buf, needle) != NULL)
			*has = 1;
	}
	fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	static const char *const formats[] = { "csv", "json" };
	int64_t n = argc > 2 ? atoll(argv[2]) : 1000000;
	char tmp[] = "/tmp/export-bench-XXXXXX", out[700];
	const char *dir;
	struct rusage ru;
	struct stat sb;
	double t0;
	int rc = 0, has;

	if (argc < 2 || n < 0) {
		fprintf(stderr, "usage: export_bench HOLOS [N [DIR]]\n");
		return 2;
	}
	if (argc > 3) {
		dir = argv[3];
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			perror(dir);
			return 1;
		}
	} else if ((dir = mkdtemp(tmp)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	{
		char *imp[] = { argv[1], "import", "--data", (char *)dir,
			"seed/petition.md", NULL };

		if (run(imp, &ru) != 0) {
			fprintf(stderr,
			    "export_bench: holos import failed (run from "
			    "the checkout)\n");
			return 1;
		}
	}
	if (crypto_init(dir) == -1)
		return 1;
	t0 = now();
	if (fill(dir, n) == -1)
		return 1;
	fprintf(stderr, "export_bench: signers=%lld filled in %.1f s\n",
	    (long long)n, now() - t0);
	/* The rows went in behind holos's back: the first holos to open the
	 * store appends them to the verifiable log. That is setup, not an
	 * export's cost: a first export, to /dev/null, does it. */
	{
		char *warm[] = { argv[1], "export", SLUG, "--format", "json",
			"--data", (char *)dir, "--out", "/dev/null", NULL };

		t0 = now();
		if (run(warm, &ru) != 0) {
			fprintf(stderr, "export_bench: holos export failed\n");
			return 1;
		}
		fprintf(stderr,
		    "export_bench: the log built, and a first export, in "
		    "%.1f s\n",
		    now() - t0);
	}
	for (size_t k = 0; k < 2; k++) {
		double cpu;

		snprintf(out, sizeof(out), "%s/export.%s", dir, formats[k]);
		char *argv_x[] = { argv[1], "export", SLUG, "--format",
			(char *)formats[k], "--data", (char *)dir, "--out", out,
			NULL };
		t0 = now();
		if (run(argv_x, &ru) != 0) {
			fprintf(stderr, "export_bench: holos export failed\n");
			rc = 1;
			continue;
		}
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		stat(out, &sb);
		long lines = lines_of(out, "@bench.invalid", &has);
		printf("export_bench: format=%s signers=%lld seconds=%.1f "
		       "cpu_seconds=%.1f bytes=%lld lines=%ld emails=%s "
		       "peak_rss_kb=%ld\n",
		    formats[k], (long long)n, now() - t0, cpu,
		    (long long)sb.st_size, lines, has ? "FOUND" : "none",
		    ru.ru_maxrss);
		if (has)
			rc = 1;
		unlink(out);
	}
	if (argc <= 3) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			rc = 1;
	}
	return rc;
}
