/* netaddr.c - IP addresses and CIDR ranges. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int
netaddr_parse(const char *s, size_t len, struct netaddr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->bytes) != 1)
		return -1;
	out->family = AF_INET6;
	/* ::ffff:a.b.c.d is an IPv4 client. */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	if (memcmp(out->bytes, mapped, 12) == 0) {
		memmove(out->bytes, out->bytes + 12, 4);
		memset(out->bytes + 4, 0, 12);
		out->family = AF_INET;
	}
	return 0;
}

int
cidr_parse(const char *s, struct cidr *out)
{
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	if (netaddr_parse(s, len, &out->addr) == -1)
		return -1;
	max = out->addr.family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->bits = max;
		return 0;
	}
	{
		char *end;
		long b = strtol(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end != '\0' || b < 0 || b > max)
			return -1;
		out->bits = (int)b;
	}
	return 0;
}

bool
cidr_contains(const struct cidr *c, const struct netaddr *a)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (c->addr.family != a->family)
		return false;
	if (memcmp(c->addr.bytes, a->bytes, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	{
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (c->addr.bytes[full] & mask) == (a->bytes[full] & mask);
	}
}

void
netaddr_format(const struct netaddr *a, char *out, size_t len)
{
	if (inet_ntop(a->family, a->bytes, out, (socklen_t)len) == NULL)
		snprintf(out, len, "-");
}

void
netaddr_network(const struct netaddr *a, char *out, size_t len)
{
	struct netaddr n = *a;
	char text[INET6_ADDRSTRLEN];

	if (a->family == AF_INET) {
		n.bytes[3] = 0;
		netaddr_format(&n, text, sizeof(text));
		snprintf(out, len, "%s/24", text);
	} else {
		memset(n.bytes + 6, 0, 10);
		netaddr_format(&n, text, sizeof(text));
		snprintf(out, len, "%s/48", text);
	}
}
