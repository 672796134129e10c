/* replay.c - runs a fuzz target's LLVMFuzzerTestOneInput() once over every
 * file it is given (a folder: every file in it), without libFuzzer. `make
 * test` links each fuzz/fuzz_*.c with it in the ASan + UBSan tree and replays
 * the target's corpus, so a target that no longer builds, or an input that
 * once passed and now crashes, fails the tests. Prints a cmocka-style verdict
 * line for scripts/test.sh; exits 1 when a file cannot be read. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* libFuzzer's -max_len for these targets (fuzz/run.sh). */
#define REPLAY_MAX_LEN 65536

static long replayed;

/* Feeds one file to the target; -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX_LEN];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* A copy of exactly n bytes, so that ASan sees a read past the end. */
	{
		uint8_t *copy = malloc(n > 0 ? n : 1);

		if (copy == NULL)
			return -1;
		memcpy(copy, buf, n);
		(void)LLVMFuzzerTestOneInput(copy, n);
		free(copy);
	}
	replayed++;
	return 0;
}

/* A folder: every regular file in it. -1 on the first that fails. */
static int
replay_path(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	char sub[4096];
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
			e->d_name) >= sizeof(sub)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", path,
			    e->d_name);
			rc = -1;
			break;
		}
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
			rc = replay_file(sub);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i]) != 0) {
			printf("[  FAILED  ] 1 test(s), listed below:\n");
			return 1;
		}
	printf("replayed %ld inputs\n", replayed);
	printf("[  PASSED  ] 1 test(s).\n");
	return 0;
}
