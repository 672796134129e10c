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

int
retain_run_once(const struct retain_config *c, int64_t now,
    struct retain_result *out)
{
	int ret = 0, n;

	memset(out, 0, sizeof(*out));
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
