/* image_rss.c - peak memory of image_process() on the largest uploads
 * accepted: a JPEG of nearly 10 MB, 50-megapixel JPEG and PNG, and a tall
 * strip (the largest working copy). Each case runs in a fresh process of
 * its own, so its peak (VmHWM) is its alone; the resident size after
 * image_init() and reading the file is printed beside it.
 *
 * Build and run from the repository root:
 *   cc -std=c17 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags vips libwebp) \
 *       -o /tmp/image_rss bench/image_rss.c src/image.c src/log.c src/arena.c \
 *       $(pkg-config --libs vips libwebp) -lm
 *   /tmp/image_rss [DIR]    # DIR keeps the inputs and outputs to look at
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "arena.h"
#include "image.h"

static const struct {
	const char *name, *suffix;
	int w, h, grain; /* grain: noise amplitude, for the file size */
} cases[] = {
	{ "jpeg-10mb", ".jpg[Q=90]", 6000, 4000, 22 },
	{ "jpeg-50mp", ".jpg[Q=85]", 10000, 5000, 8 },
	{ "png-50mp", ".png[compression=1]", 10000, 5000, 0 },
	{ "png-tall", ".png", 1250, 10000, 0 },
	{ "jpeg-pano", ".jpg", 10000, 1000, 8 },
};

/* kB of a "VmRSS:" or "VmHWM:" line of /proc/self/status. */
static long
status_kb(const char *key)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

/* A photograph-like picture: ramps with grain, written by libvips. */
static int
make_input(int i, const char *path)
{
	int w = cases[i].w, h = cases[i].h, x, y;
	unsigned char *px = malloc((size_t)w * h * 3);
	uint32_t v = 2463534242u;
	VipsImage *img;
	int rc;

	if (px == NULL)
		return -1;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			unsigned char *p = px + ((size_t)y * w + x) * 3;
			int g = 0;

			if (cases[i].grain > 0) {
				v ^= v << 13;
				v ^= v >> 17;
				v ^= v << 5;
				g = (int)(v % (unsigned)cases[i].grain) -
				    cases[i].grain / 2;
			}
			p[0] = (unsigned char)(x * 200 / w + 20 + g);
			p[1] = (unsigned char)(y * 200 / h + 20 + g);
			p[2] = (unsigned char)((x + y) * 200 / (w + h) + 20 - g);
		}
	img = vips_image_new_from_memory(px, (size_t)w * h * 3, w, h, 3,
	    VIPS_FORMAT_UCHAR);
	rc = img != NULL ? vips_image_write_to_file(img, path, NULL) : -1;
	if (img != NULL)
		g_object_unref(img);
	free(px);
	return rc;
}

static int
measure(const char *name, const char *path, const char *outdir)
{
	struct image_result r;
	struct timespec t0, t1;
	struct arena *a = arena_new();
	enum image_status st;
	long before, peak, after;
	size_t len, i;
	char *buf;
	FILE *f;

	image_prepare();
	if (a == NULL || image_init("image_rss") == -1)
		return 1;
	if ((f = fopen(path, "rb")) == NULL)
		return 1;
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	if ((buf = malloc(len)) == NULL || fread(buf, 1, len, f) != len)
		return 1;
	fclose(f);
	before = status_kb("VmRSS:");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = image_process(a, buf, len, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	peak = status_kb("VmHWM:");
	after = status_kb("VmRSS:");
	printf("%-10s %9zu %5dx%-5d %-8s before=%ldkB peak=%ldkB "
	       "added=%ldkB after=%ldkB vips_pixels=%zukB %.0fms\n",
	    name, len, r.width, r.height, image_status_name(st), before, peak,
	    peak - before, after, vips_tracked_get_mem_highwater() / 1024,
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	for (i = 0; outdir != NULL && st == IMAGE_OK && i <= r.nvariants; i++) {
		const struct image_blob *b =
		    i < r.nvariants ? &r.variant[i] : &r.share;
		static const char *const ext[] = { "jpg", "png", "webp" };
		char out[512];

		snprintf(out, sizeof(out), "%s/%s-%s%d.%s", outdir, name,
		    i < r.nvariants ? "w" : "share", b->width, ext[b->format]);
		if ((f = fopen(out, "wb")) != NULL) {
			fwrite(b->data, 1, b->len, f);
			fclose(f);
		}
	}
	free(buf);
	arena_free(a);
	image_shutdown();
	return st == IMAGE_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	char dir[256], path[512];
	int i, fails = 0;

	/* A child run: image_rss --measure NAME FILE [OUTDIR]. */
	if (argc >= 4 && strcmp(argv[1], "--measure") == 0)
		return measure(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else if (snprintf(dir, sizeof(dir), "/tmp/image_rss.XXXXXX") < 0 ||
	    mkdtemp(dir) == NULL)
		return 1;
	if (VIPS_INIT(argv[0]) != 0)
		return 1;
	vips_concurrency_set(1);
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, cases[i].name,
		    cases[i].suffix);
		if (make_input(i, path) != 0) {
			fprintf(stderr, "image_rss: cannot make %s\n", path);
			return 1;
		}
	}
	vips_shutdown();
	printf("image_rss: libvips %s, concurrency 1, inputs in %s\n",
	    vips_version_string(), dir);
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		pid_t pid;
		int status;

		/* The file name without the saver's options. */
		snprintf(path, sizeof(path), "%s/%s%.*s", dir, cases[i].name,
		    (int)strcspn(cases[i].suffix, "["), cases[i].suffix);
		fflush(stdout);
		if ((pid = fork()) == 0) {
			execl("/proc/self/exe", argv[0], "--measure",
			    cases[i].name, path, argc > 1 ? dir : NULL,
			    (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fails++;
	}
	return fails ? 1 : 0;
}
