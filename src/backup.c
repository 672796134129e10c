/* backup.c - holos backup DIR: the database through SQLite's online backup
 * API while holos serves it, the key files, and a manifest. */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"

#define BACKUP_BUSY_MS 30000
#define KEY_FILE_MAX 4096

const char *const backup_key_files[] = {
	"secret.key",
	"log.key",
	"seal.key",
	"seal.key.old",
	NULL,
};

/* 0 when dest is an empty folder now (made 0700 when absent), -1 with a
 * message otherwise. */
static int
dest_prepare(const char *dest)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (mkdir(dest, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		fprintf(stderr, "holos backup: cannot create %s: %s\n", dest,
		    strerror(errno));
		return -1;
	}
	if ((d = opendir(dest)) == NULL) {
		fprintf(stderr, "holos backup: %s: %s\n", dest, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	if (n > 0) {
		fprintf(stderr,
		    "holos backup: %s is not empty: give a new or empty "
		    "folder\n",
		    dest);
		return -1;
	}
	if (chmod(dest, 0700) == -1) {
		fprintf(stderr, "holos backup: chmod %s: %s\n", dest,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Copies the database at src into the new file dst in one step (one read
 * transaction: writers go on, in WAL mode, and the copy is one commit's
 * state). Returns 0, or -1 with a message. */
static int
db_copy(const char *src, const char *dst)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	int rc;

	rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		goto fail_from;
	sqlite3_busy_timeout(from, BACKUP_BUSY_MS);
	rc = sqlite3_open_v2(dst, &to,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE,
	    NULL);
	if (rc != SQLITE_OK)
		goto fail_to;
	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL)
		goto fail_to;
	/* -1: every page in one call, under one read lock of the source. */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		goto fail_to;
	/* A copy that stands alone: no -wal file beside it to go missing. */
	if (sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail_to;
	sqlite3_close(from);
	if (sqlite3_close(to) != SQLITE_OK) {
		fprintf(stderr, "holos backup: closing %s failed\n", dst);
		return -1;
	}
	return 0;
fail_to:
	fprintf(stderr, "holos backup: copying the database failed: %s\n",
	    to != NULL ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
	sqlite3_close(from);
	sqlite3_close(to);
	return -1;
fail_from:
	fprintf(stderr, "holos backup: cannot open %s: %s\n", src,
	    from != NULL ? sqlite3_errmsg(from) : sqlite3_errstr(rc));
	sqlite3_close(from);
	return -1;
}

/* Writes len bytes to the new file path (0600, fsync'd). Returns 0, or -1
 * with a message. */
static int
file_write_new(const char *path, const void *p, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			goto fail;
		}
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		close(fd);
		goto fail;
	}
	return close(fd);
fail:
	fprintf(stderr, "holos backup: %s: %s\n", path, strerror(errno));
	return -1;
}

/* Appends "SHA256  NAME\n" for the file dir/name, with its size in a
 * comment line before it. Returns 0, or -1 with a message. */
static int
manifest_add(struct buf *m, const char *dir, const char *name)
{
	unsigned char buf[65536], digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	char path[PATH_MAX];
	uint64_t size = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			goto fail;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		size += (uint64_t)n;
	}
	close(fd);
	crypto_hash_sha256_final(&st, digest);
	buf_printf(m, "# %s: %" PRIu64 " bytes\n", name, size);
	crypto_hex(m, digest, sizeof(digest));
	buf_printf(m, "  %s\n", name);
	return 0;
fail:
	fprintf(stderr, "holos backup: %s: %s\n", path, strerror(errno));
	return -1;
}

/* The copy's schema version and row counts, for the manifest's reader. */
static void
manifest_describe(struct buf *m, const char *db)
{
	static const char *const q[][2] = {
		{ "schema version",
		    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations" },
		{ "petitions", "SELECT COUNT(*) FROM petitions" },
		{ "signatures", "SELECT COUNT(*) FROM signatures" },
	};
	sqlite3_stmt *st;
	sqlite3 *h;
	size_t i;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return;
	}
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if (sqlite3_prepare_v2(h, q[i][1], -1, &st, NULL) != SQLITE_OK)
			continue;
		if (sqlite3_step(st) == SQLITE_ROW)
			buf_printf(m, "# %s: %lld\n", q[i][0],
			    (long long)sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
}

/* Copies the key file data_dir/name into dest when it exists; *copied is
 * set when it did. Returns 0, or -1 with a message. */
static int
key_copy(const char *data_dir, const char *dest, const char *name, int *copied)
{
	unsigned char key[KEY_FILE_MAX];
	char from[PATH_MAX], to[PATH_MAX];
	ssize_t n;

	*copied = 0;
	snprintf(from, sizeof(from), "%s/%s", data_dir, name);
	snprintf(to, sizeof(to), "%s/%s", dest, name);
	n = crypto_secret_file_read(from, key, sizeof(key));
	if (n == -1 && errno == ENOENT)
		return 0;
	if (n == -1) {
		fprintf(stderr, "holos backup: cannot read %s (see above)\n",
		    from);
		return -1;
	}
	n = file_write_new(to, key, (size_t)n) == 0 ? 0 : -1;
	sodium_memzero(key, sizeof(key));
	*copied = n == 0;
	return (int)n;
}

int
backup_run(const char *data_dir, const char *db_path, const char *dest)
{
	char path[PATH_MAX], stamp[32];
	struct buf m = { 0 };
	time_t now = time(NULL);
	int lock, i, copied, dfd, ret = -1;
	struct tm tm;

	if ((lock = crypto_keys_lock(data_dir)) == -1) {
		fprintf(stderr, "holos backup: %s\n",
		    errno == EWOULDBLOCK ?
			"a key rotation (holos rekey) is running; back up "
			"when it is done" :
			"cannot lock the data folder's keys");
		return -1;
	}
	if (dest_prepare(dest) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/holos.db", dest);
	if (db_copy(db_path, path) == -1)
		goto out;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&m,
	    "# holos backup, made %s of the data folder %s\n"
	    "# check: grep -v '^#' MANIFEST | sha256sum -c\n",
	    stamp, data_dir);
	manifest_describe(&m, path);
	if (manifest_add(&m, dest, "holos.db") == -1)
		goto out;
	for (i = 0; backup_key_files[i] != NULL; i++) {
		if (key_copy(data_dir, dest, backup_key_files[i], &copied) == -1)
			goto out;
		if (copied && manifest_add(&m, dest, backup_key_files[i]) == -1)
			goto out;
	}
	if (!buf_ok(&m)) {
		fprintf(stderr, "holos backup: out of memory\n");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/MANIFEST", dest);
	if (file_write_new(path, m.data, m.len) == -1)
		goto out;
	if ((dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	buf_reset(&m);
	close(lock);
	return ret;
}
