/* site.c - the site's settings and what follows from its base URL. */
#include "site.h"

#include <stdio.h>
#include <string.h>

struct site site;

void
site_set_base_url(const char *base_url)
{
	static char origin[512], host[256];
	const char *h = strstr(base_url, "//");
	const char *slash = h ? strchr(h + 2, '/') : NULL;
	size_t n;

	site.base_url = base_url;
	site.secure_cookies = strncmp(base_url, "https://", 8) == 0;
	/* The origin is the base URL up to the first '/' after "//". */
	snprintf(origin, sizeof(origin), "%.*s",
	    slash ? (int)(slash - base_url) : (int)strlen(base_url), base_url);
	site.origin = origin;
	h = h ? h + 2 : base_url;
	n = strcspn(h, ":/");
	snprintf(host, sizeof(host), "%.*s", (int)n, h);
	site.host = host;
}
