/* paper.c - the rules of signatures collected on paper. */
#include "paper.h"

#include <time.h>

#include "i18n.h"

int64_t
paper_count_parse(const char *s, size_t len)
{
	int64_t n = 0;
	size_t i;

	if (len == 0 || len > 7)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n >= 1 && n <= PAPER_COUNT_MAX ? n : -1;
}

static int
digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t
paper_day_parse(const char *s, size_t len)
{
	struct tm tm = { 0 }, back;
	int y, m, d;
	time_t t;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
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
		{ .name = "online", .type = MSGFMT_STRING, .str = online },
		{ .name = "paper", .type = MSGFMT_NUMBER, .num = (double)paper },
	};
	const char *s = i18n_format(a, lang, "paper_line", args, 2);

	return s != NULL ? s : "";
}

const char *
paper_total_line(struct arena *a, const char *lang, int64_t paper)
{
	struct msgfmt_arg arg = { .name = "paper",
		.type = MSGFMT_NUMBER,
		.num = (double)paper };
	const char *s = i18n_format(a, lang, "paper_total", &arg, 1);

	return s != NULL ? s : "";
}
