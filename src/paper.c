/* paper.c - the rules of signatures collected on paper. */
#include "paper.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "i18n.h"

int64_t
paper_count_parse(const char *s, size_t len)
{
	int64_t n = form_digits(s, len, 7);

	return n >= 1 && n <= PAPER_COUNT_MAX ? n : -1;
}

int64_t
paper_day_parse(const char *s, size_t len)
{
	struct tm tm = { 0 }, back;
	int y, m, d;
	time_t t;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = (int)form_digits(s, 4, 4);
	m = (int)form_digits(s + 5, 2, 2);
	d = (int)form_digits(s + 8, 2, 2);
	if (y < PAPER_DAY_MIN_YEAR || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* 2026-02-30 comes back as March: not a day. */
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
	    back.tm_mday != d || back.tm_mon != m - 1)
		return -1;
	return (int64_t)t;
}

const char *
paper_line(struct arena *a, const char *lang, const char *online, int64_t paper)
{
	struct msgfmt_arg args[2] = {
		MSGFMT_STR("online", online),
		MSGFMT_NUM("paper", paper),
	};
	const char *s = i18n_format(a, lang, "paper_line", args, 2);

	return s != NULL ? s : "";
}

const char *
paper_total_line(struct arena *a, const char *lang, int64_t paper)
{
	struct msgfmt_arg arg = MSGFMT_NUM("paper", paper);
	const char *s = i18n_format(a, lang, "paper_total", &arg, 1);

	return s != NULL ? s : "";
}

static const struct {
	const char *name, *mime, *ext;
} scan_kinds[PAPER_SCAN__MAX] = {
	[PAPER_SCAN_NONE] = { "", NULL, NULL },
	[PAPER_SCAN_PDF] = { "pdf", "application/pdf", "pdf" },
	[PAPER_SCAN_JPEG] = { "jpeg", "image/jpeg", "jpg" },
	[PAPER_SCAN_PNG] = { "png", "image/png", "png" },
};

/* True when the last tail bytes of the len at p hold needle. */
static bool
ends_with_within(const unsigned char *p, size_t len, const char *needle,
    size_t nlen, size_t tail)
{
	size_t from = len > tail ? len - tail : 0, i;

	for (i = len >= nlen ? len - nlen + 1 : 0; i-- > from;)
		if (memcmp(p + i, needle, nlen) == 0)
			return true;
	return false;
}

enum paper_scan_kind
paper_scan_detect(const void *data, size_t len)
{
	static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r',
		'\n', 0x1a, '\n' };
	/* An empty IEND chunk: length 0, type, CRC. */
	static const unsigned char png_end[12] = { 0, 0, 0, 0, 'I', 'E', 'N',
		'D', 0xae, 0x42, 0x60, 0x82 };
	const unsigned char *p = data;

	if (p == NULL || len > PAPER_SCAN_MAX)
		return PAPER_SCAN_NONE;
	if (len >= 5 + 5 && memcmp(p, "%PDF-", 5) == 0 &&
	    ends_with_within(p, len, "%%EOF", 5, 1024))
		return PAPER_SCAN_PDF;
	if (len >= 3 + 2 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff &&
	    ends_with_within(p + 3, len - 3, "\xff\xd9", 2, 64))
		return PAPER_SCAN_JPEG;
	if (len >= sizeof(png_sig) + sizeof(png_end) &&
	    memcmp(p, png_sig, sizeof(png_sig)) == 0 &&
	    memcmp(p + len - sizeof(png_end), png_end, sizeof(png_end)) == 0)
		return PAPER_SCAN_PNG;
	return PAPER_SCAN_NONE;
}

const char *
paper_scan_name(enum paper_scan_kind k)
{
	return k > PAPER_SCAN_NONE && k < PAPER_SCAN__MAX ? scan_kinds[k].name :
							    "";
}

enum paper_scan_kind
paper_scan_parse(const char *name)
{
	int k;

	for (k = PAPER_SCAN_NONE + 1; name != NULL && k < PAPER_SCAN__MAX; k++)
		if (strcmp(scan_kinds[k].name, name) == 0)
			return (enum paper_scan_kind)k;
	return PAPER_SCAN_NONE;
}

const char *
paper_scan_mime(enum paper_scan_kind k)
{
	return k > PAPER_SCAN_NONE && k < PAPER_SCAN__MAX ? scan_kinds[k].mime :
							    NULL;
}

const char *
paper_scan_ext(enum paper_scan_kind k)
{
	return k > PAPER_SCAN_NONE && k < PAPER_SCAN__MAX ? scan_kinds[k].ext :
							    NULL;
}
