/* retain.c - erasing personal data on schedule: the trial mode's mail
 * files, and what the store keeps about the signers of closed petitions. */
#include "retain.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "log.h"
#include "ticker.h"

/* True for the names the outbox writes: ID.eml and .ID.tmp. */
static bool
mail_file_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".eml") == 0) ||
	    (n > 5 && name[0] == '.' && strcmp(name + n - 4, ".tmp") == 0);
}

int
retain_mail_files(const char *dir, int64_t now, int64_t max_age)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int removed = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error("retain", "op=mail_files error=\"%s\"",
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!mail_file_name(de->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
			(int)sizeof(path))
			continue;
		if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
		    (int64_t)sb.st_mtime > now - max_age)
			continue;
		if (unlink(path) == 0)
			removed++;
		else
			log_warn("retain", "op=mail_files error=\"%s\"",
			    strerror(errno));
	}
	closedir(d);
	if (removed > 0)
		log_info("retain", "event=mail_files removed=%d", removed);
	return removed;
}

/* Erases the signers of one petition a batch per transaction, so signing
 * elsewhere goes on in between. Returns 0 or -1 (logged by the store). */
static int
retain_petition(struct store *s, int64_t id, int64_t now,
    struct retain_result *out)
{
	int64_t erased;
	bool done = false;

	while (!done) {
		if (store_retain_petition(s, id, RETAIN_BATCH, now, &erased,
			&done) != STORE_OK)
			return -1;
		out->signatures += erased;
	}
	out->petitions++;
	log_info("retain", "event=erased petition=%lld", (long long)id);
	return 0;
}

/* The store's part: due petitions, old mail, then the WAL. */
static int
retain_store(const struct retain_config *c, int64_t now,
    struct retain_result *out)
{
	int64_t cutoff = now - c->retain_days * 86400, *ids, deleted = 0;
	int64_t reports = 0, bounced = 0;
	struct arena *a;
	size_t n, i;
	int ret = 0;

	/* Each round marks what it finished: the next finds the rest. */
	do {
		if ((a = arena_new()) == NULL ||
		    store_retain_due(c->store, a, cutoff, &ids, &n) != STORE_OK) {
			arena_free(a);
			ret = -1;
			break;
		}
		for (i = 0; i < n && ret == 0; i++)
			ret = retain_petition(c->store, ids[i], now, out);
		arena_free(a);
	} while (ret == 0 && n > 0);
	if (store_retain_outbox(c->store, cutoff, &deleted) != STORE_OK)
		ret = -1;
	out->mail_rows = deleted;
	/* Reporters' addresses and notes (docs/report.md). */
	if (store_retain_reports(c->store, cutoff, &reports) != STORE_OK)
		ret = -1;
	else if (reports > 0)
		log_info("retain", "event=reports erased=%lld",
		    (long long)reports);
	/* Hard bounces (the keyed hashes of the addresses). */
	if (store_retain_suppressions(c->store, cutoff, &bounced) != STORE_OK)
		ret = -1;
	else if (bounced > 0)
		log_info("retain", "event=suppressions erased=%lld",
		    (long long)bounced);
	if ((out->petitions > 0 || deleted > 0 || reports > 0 || bounced > 0) &&
	    store_compact(c->store) != STORE_OK)
		ret = -1;
	return ret;
}

int
retain_run_once(const struct retain_config *c, int64_t now,
    struct retain_result *out)
{
	int ret = 0, n;

	memset(out, 0, sizeof(*out));
	if (c->store != NULL && retain_store(c, now, out) == -1)
		ret = -1;
	if (c->outbox_dir != NULL) {
		n = retain_mail_files(c->outbox_dir, now,
		    (int64_t)RETAIN_MAIL_FILE_DAYS * 86400);
		if (n == -1)
			ret = -1;
		else
			out->mail_files = n;
	}
	return ret;
}

static void
retain_tick(void *arg)
{
	struct retain_result res;

	(void)retain_run_once(arg, (int64_t)time(NULL), &res);
}

static struct ticker ticker = {
	.name = "retain",
	.interval_ms = RETAIN_INTERVAL_MS,
	.run = retain_tick,
};

static struct retain_config config;

int
retain_start(const struct retain_config *c)
{
	config = *c;
	ticker.arg = &config;
	return ticker_start(&ticker);
}

void
retain_stop(void)
{
	ticker_stop(&ticker);
}
