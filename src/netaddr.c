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

int
cidr_set_parse(const char *s, struct cidr_set *out)
{
	struct cidr_set set = { .n = 0 };
	char one[64];
	size_t len;
	const char *comma;

	if (strcmp(s, "none") == 0) {
		*out = set;
		return 0;
	}
	for (;;) {
		comma = strchr(s, ',');
		len = comma ? (size_t)(comma - s) : strlen(s);
		if (len == 0 || len >= sizeof(one) || set.n == CIDR_SET_MAX)
			return -1;
		memcpy(one, s, len);
		one[len] = '\0';
		if (cidr_parse(one, &set.v[set.n]) == -1)
			return -1;
		set.n++;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	*out = set;
	return 0;
}

bool
cidr_set_contains(const struct cidr_set *set, const struct netaddr *a)
{
	return cidr_any(set->v, set->n, a);
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

bool
cidr_any(const struct cidr *v, size_t n, const struct netaddr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&v[i], a))
			return true;
	return false;
}

void
netaddr_forwarded(struct netaddr *client, const char *xff,
    const struct cidr *trusted, size_t n)
{
	const char *end;

	if (xff == NULL || !cidr_any(trusted, n, client))
		return;
	end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end, *s, *e;
		struct netaddr a;

		while (start > xff && start[-1] != ',')
			start--;
		for (s = start; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (netaddr_parse(s, (size_t)(e - s), &a) == -1)
			return; /* garbage: keep the last good hop */
		*client = a;
		if (!cidr_any(trusted, n, &a))
			return;
		end = start > xff ? start - 1 : xff;
	}
}

void
netaddr_format(const struct netaddr *a, char *out, size_t len)
{
	char *p = out;
	int i, b;

	/* IPv4, the common case, by hand: inet_ntop() formats each part
	 * with sprintf(), and every request's address is formatted. */
	if (a->family == AF_INET && len >= INET_ADDRSTRLEN) {
		for (i = 0; i < 4; i++) {
			b = a->bytes[i];
			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
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
