/* fuzz_image.c - libFuzzer target: uploaded image bytes through the sniffer,
 * the header check and libvips's JPEG, PNG and WebP decoders. */
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "image.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	log_set_level(LOG__MAX);
	image_prepare();
	if (image_init((*argv)[0]) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct arena *a = arena_new();
	struct image_result r;
	enum image_status st;

	if (a == NULL)
		return 0;
	st = image_process(a, data, len, &r);
	/* Whatever comes in, what comes out is within the promises. */
	if (st == IMAGE_OK &&
	    (r.nvariants == 0 || r.share.width < 1 ||
		r.share.width > IMAGE_SHARE_WIDTH || r.share.height < 1 ||
		r.share.height > IMAGE_SHARE_HEIGHT ||
		r.width > IMAGE_MAX_SIDE || r.height > IMAGE_MAX_SIDE))
		__builtin_trap();
	if (st != IMAGE_OK && (r.nvariants != 0 || r.share.data != NULL))
		__builtin_trap();
	arena_free(a);
	return 0;
}
