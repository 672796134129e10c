/* utc.c - a time as text, in UTC, in the few formats holos writes. */
#include "utc.h"

#include <time.h>

#include "buf.h"

const char *
utc_format(char out[UTC_CHARS], enum utc_format f, int64_t t)
{
	static const char *const formats[UTC__MAX] = {
		[UTC_DAY] = "%Y-%m-%d",
		[UTC_ISO] = "%Y-%m-%dT%H:%M:%SZ",
		[UTC_TEXT] = "%Y-%m-%d %H:%M:%SZ",
		[UTC_HTTP] = "%a, %d %b %Y %H:%M:%S GMT",
	};
	time_t tt = (time_t)t;
	struct tm tm;

	out[0] = '\0';
	if ((unsigned)f < UTC__MAX && gmtime_r(&tt, &tm) != NULL &&
	    strftime(out, UTC_CHARS, formats[f], &tm) == 0)
		out[0] = '\0';
	return out;
}

void
utc_append(struct buf *b, enum utc_format f, int64_t t)
{
	char s[UTC_CHARS];

	buf_puts(b, utc_format(s, f, t));
}
