/* reseal.c - every sealed value walked in batches while holos serves: the
 * sealing key's rotation and the address hashes recomputed. */
#include "reseal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "crypto.h"
#include "email.h"
#include "log.h"

#define REHASH_TASK "email_idna"
#define REHASH_BATCH 500

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
path_of(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Writes key to the new file path (0600, fsync'd), replacing a leftover
 * of an interrupted run. Returns 0, or -1 with a message. */
static int
key_write(const char *path, const unsigned char *key, size_t len)
{
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (write(fd, key, len) != (ssize_t)len || fsync(fd) == -1) {
		close(fd);
		unlink(path);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	fprintf(stderr, "holos rekey: %s: %s\n", path, strerror(errno));
	return -1;
}

/* Puts the new key in place, keeping the one it replaces as seal.key.old,
 * in steps that an interruption at any point leaves resumable: the new
 * key is written to seal.key.new first; the old one is linked (or, before
 * the first rotation, written) as seal.key.old; the new one is renamed
 * over seal.key. A run that finds seal.key.old resumes: it only finishes
 * the rename when seal.key.new is still there. Returns 0, or -1 with a
 * message. */
static int
keys_begin(const char *dir, bool *resumed)
{
	char cur[PATH_MAX], old[PATH_MAX], neu[PATH_MAX], tmp[PATH_MAX];
	unsigned char key[CRYPTO_SEAL_KEY_BYTES];

	path_of(cur, sizeof(cur), dir, CRYPTO_SEAL_KEY);
	path_of(old, sizeof(old), dir, CRYPTO_SEAL_KEY_OLD);
	path_of(neu, sizeof(neu), dir, CRYPTO_SEAL_KEY ".new");
	path_of(tmp, sizeof(tmp), dir, CRYPTO_SEAL_KEY_OLD ".new");
	*resumed = exists(old);
	if (!*resumed) {
		randombytes_buf(key, sizeof(key));
		if (key_write(neu, key, sizeof(key)) == -1)
			goto fail;
		if (exists(cur)) {
			if (link(cur, old) == -1) {
				fprintf(stderr, "holos rekey: link %s: %s\n",
				    old, strerror(errno));
				goto fail;
			}
		} else {
			/* Before the first rotation the key is derived from
			 * secret.key: it becomes a file of its own. */
			crypto_keys_export_derived(key);
			if (key_write(tmp, key, sizeof(key)) == -1)
				goto fail;
			if (rename(tmp, old) == -1) {
				fprintf(stderr, "holos rekey: rename %s: %s\n",
				    old, strerror(errno));
				goto fail;
			}
		}
		if (dir_sync(dir) == -1)
			goto fail_sync;
	}
	if (exists(neu) && rename(neu, cur) == -1) {
		fprintf(stderr, "holos rekey: rename %s: %s\n", cur,
		    strerror(errno));
		goto fail;
	}
	if (dir_sync(dir) == -1)
		goto fail_sync;
	sodium_memzero(key, sizeof(key));
	crypto_keys_refresh();
	return 0;
fail_sync:
	fprintf(stderr, "holos rekey: fsync %s: %s\n", dir, strerror(errno));
fail:
	sodium_memzero(key, sizeof(key));
	return -1;
}

/* One pass over column c from the start: every value still under the old
 * key sealed again under the new one. *done is set when max_batches ran
 * out first. Returns 0, or -1 logged. */
static int
pass_column(struct store *s, enum sealed_column c, size_t batch,
    int64_t max_batches, struct reseal_result *res, int64_t *moved,
    bool *stopped)
{
	struct sealed_row *rows;
	int64_t k1 = 0, k2 = 0;
	struct arena *a;
	size_t n, i, changed;
	int r, ret = -1;

	while (!*stopped) {
		if ((a = arena_new()) == NULL)
			return -1;
		if (store_sealed_list(s, a, c, k1, k2, batch, &rows, &n) !=
		    STORE_OK)
			goto out;
		if (n == 0) {
			arena_free(a);
			return 0;
		}
		for (i = 0; i < n; i++) {
			r = crypto_reseal(rows[i].box, rows[i].len,
			    &rows[i].nbox, &rows[i].nlen, NULL, NULL);
			if (r == -1)
				res->unreadable++;
		}
		r = store_sealed_replace(s, c, rows, n, &changed) == STORE_OK;
		for (i = 0; i < n; i++)
			free(rows[i].nbox);
		if (!r)
			goto out;
		res->resealed += (int64_t)changed;
		*moved += (int64_t)changed;
		res->batches++;
		k1 = rows[n - 1].k1;
		k2 = rows[n - 1].k2;
		arena_free(a);
		if (max_batches > 0 && res->batches >= max_batches)
			*stopped = true;
	}
	return 0;
out:
	arena_free(a);
	return ret;
}

int
reseal_rotate(struct store *s, const char *data_dir, size_t batch,
    int64_t max_batches, struct reseal_result *res)
{
	char old[PATH_MAX];
	int lock, c, quiet_passes = 0, ret = -1;
	bool stopped = false;
	int64_t moved;

	memset(res, 0, sizeof(*res));
	if ((lock = crypto_keys_lock(data_dir)) == -1) {
		fprintf(stderr, "holos rekey: %s\n",
		    errno == EWOULDBLOCK ?
			"refused: another key rotation or a backup is "
			"running on this data folder" :
			"cannot take the data folder's key lock");
		return -1;
	}
	if (keys_begin(data_dir, &res->resumed) == -1)
		goto out;
	printf("%s the rotation of %s/%s\n",
	    res->resumed ? "resuming" : "started", data_dir, CRYPTO_SEAL_KEY);
	fflush(stdout);
	/* Serving processes take the new key up before they seal again. */
	sleep_ms(2 * CRYPTO_KEYS_LOOK_MS + 200);
	/* Until two passes, the second after the same wait, move nothing:
	 * a process may have sealed under the old key just before it saw
	 * the new one. */
	while (quiet_passes < 2) {
		moved = 0;
		for (c = 0; c < SEALED__MAX && !stopped; c++)
			if (pass_column(s, (enum sealed_column)c, batch,
				max_batches, res, &moved, &stopped) == -1) {
				fprintf(stderr,
				    "holos rekey: the database failed "
				    "(see the log); run holos rekey again "
				    "to resume\n");
				goto out;
			}
		if (stopped) {
			printf("stopped after %lld batches (%lld values "
			       "resealed); run holos rekey again to go on\n",
			    (long long)res->batches, (long long)res->resealed);
			ret = 0;
			goto out;
		}
		quiet_passes = moved == 0 ? quiet_passes + 1 : 0;
		if (quiet_passes == 1)
			sleep_ms(2 * CRYPTO_KEYS_LOOK_MS + 200);
	}
	path_of(old, sizeof(old), data_dir, CRYPTO_SEAL_KEY_OLD);
	if (unlink(old) == -1 || dir_sync(data_dir) == -1) {
		fprintf(stderr, "holos rekey: removing %s: %s\n", old,
		    strerror(errno));
		goto out;
	}
	crypto_keys_refresh();
	res->finished = true;
	printf("resealed %lld values in %lld batches; %lld no key opens; "
	       "the old key is removed\n",
	    (long long)res->resealed, (long long)res->batches,
	    (long long)res->unreadable);
	ret = 0;
out:
	close(lock);
	return ret;
}

/* The address inside a row's plaintext: a signature's is its third
 * NUL-separated field, an account's the whole. Returns NULL when there is
 * none. */
static const char *
row_email(enum sealed_column c, const char *plain, size_t len, size_t *elen)
{
	size_t i, field = 0, start = 0;

	if (c == SEALED_USERS) {
		*elen = len;
		return plain;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && plain[i] != '\0')
			continue;
		if (field == 2) {
			*elen = i - start;
			return plain + start;
		}
		field++;
		start = i + 1;
	}
	return NULL;
}

/* One column's hashes recomputed. Returns 0, or -1 logged. */
static int
rehash_column(struct store *s, enum sealed_column c, int64_t *changed,
    int64_t *dups, int64_t *unreadable)
{
	unsigned char hash[CRYPTO_HASH_BYTES], *unused;
	struct sealed_row *rows;
	const char *email, *norm;
	size_t n, i, plen, elen, nlen, ulen;
	struct arena *a;
	int64_t k1 = 0;
	char *plain;
	enum store_status st;

	for (;;) {
		if ((a = arena_new()) == NULL)
			return -1;
		if (store_sealed_list(s, a, c, k1, 0, REHASH_BATCH, &rows,
			&n) != STORE_OK) {
			arena_free(a);
			return -1;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (rows[i].email_hash == NULL)
				continue;
			if (crypto_reseal(rows[i].box, rows[i].len, &unused,
				&ulen, &plain, &plen) == -1) {
				(*unreadable)++;
				continue;
			}
			free(unused);
			email = row_email(c, plain, plen, &elen);
			norm = email != NULL ?
			    email_normalize(a, email, elen, &nlen) :
			    NULL;
			sodium_memzero(plain, plen);
			free(plain);
			if (norm == NULL)
				continue;
			crypto_email_hash(norm, nlen, hash);
			if (memcmp(hash, rows[i].email_hash, sizeof(hash)) == 0)
				continue;
			st = store_email_hash_replace(s, c, rows[i].k1,
			    rows[i].email_hash, hash);
			if (st == STORE_DUPLICATE)
				(*dups)++;
			else if (st == STORE_OK)
				(*changed)++;
			else {
				arena_free(a);
				return -1;
			}
		}
		k1 = rows[n - 1].k1;
		arena_free(a);
	}
	arena_free(a);
	return 0;
}

int
reseal_rehash_emails(struct store *s, int64_t *changed, int64_t *dups)
{
	int64_t unreadable = 0;
	bool done;

	*changed = *dups = 0;
	if (store_data_task_done(s, REHASH_TASK, &done) != STORE_OK)
		return -1;
	if (done)
		return 0;
	if (rehash_column(s, SEALED_SIGNATURES, changed, dups, &unreadable) ==
		-1 ||
	    rehash_column(s, SEALED_USERS, changed, dups, &unreadable) == -1)
		return -1;
	/* Keys that open nothing (a data folder without the site's keys)
	 * must not mark the task done. */
	if (unreadable > 0) {
		log_warn("reseal",
		    "task=%s unreadable=%lld error=\"sealed addresses do not "
		    "open with this data folder's keys\" hint=\"run holos "
		    "migrate with the site's keys\"",
		    REHASH_TASK, (long long)unreadable);
		return 1;
	}
	if (store_data_task_mark(s, REHASH_TASK, (int64_t)time(NULL)) !=
	    STORE_OK)
		return -1;
	log_info("reseal", "task=%s changed=%lld duplicates=%lld", REHASH_TASK,
	    (long long)*changed, (long long)*dups);
	return 0;
}
