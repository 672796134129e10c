/* netaddr.h - IP addresses and CIDR ranges: parsing, matching, and the
 * network a client belongs to (/24 for IPv4, /48 for IPv6). */
#ifndef HOLOS_NETADDR_H
#define HOLOS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netaddr {
	int family;	   /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* 4 used for IPv4 */
};

struct cidr {
	struct netaddr addr;
	int bits;
};

/* Parses a textual address ("203.0.113.7", "2001:db8::1"); IPv4-mapped
 * IPv6 addresses become IPv4. Returns 0, or -1 for anything else. */
int netaddr_parse(const char *s, size_t len, struct netaddr *out);

/* Parses "ADDR/BITS" or a bare address (all bits). Returns 0 or -1. */
int cidr_parse(const char *s, struct cidr *out);

/* A short list of ranges, as an option gives it. */
#define CIDR_SET_MAX 32
struct cidr_set {
	struct cidr v[CIDR_SET_MAX];
	size_t n;
};

/* Parses "CIDR,CIDR,…" (each as cidr_parse() reads it; "none" is the empty
 * list) into *out, replacing what it held. Returns 0, or -1 for a bad or
 * missing entry or more than CIDR_SET_MAX, leaving *out alone. */
int cidr_set_parse(const char *s, struct cidr_set *out);

/* True when a lies within one of set's ranges. */
bool cidr_set_contains(const struct cidr_set *set, const struct netaddr *a);

/* True when a lies within c (families must agree). */
bool cidr_contains(const struct cidr *c, const struct netaddr *a);

/* True when a lies within one of the n ranges v[] (v may be NULL when n is
 * 0). */
bool cidr_any(const struct cidr *v, size_t n, const struct netaddr *a);

/* The client behind trusted proxies. *client holds the peer; when it lies
 * in one of the n trusted ranges, it becomes the rightmost entry of xff
 * (an X-Forwarded-For value, may be NULL) that is not itself trusted:
 * entries further left are the client's to forge. An entry that is not an
 * address ends the walk at the last good hop. Never fails. */
void netaddr_forwarded(struct netaddr *client, const char *xff,
    const struct cidr *trusted, size_t n);

/* Writes the client's network as text: "203.0.113.0/24" or
 * "2001:db8:1::/48", into out (at least 64 bytes). */
void netaddr_network(const struct netaddr *a, char *out, size_t len);

/* Writes the address as text into out (at least 46 bytes). */
void netaddr_format(const struct netaddr *a, char *out, size_t len);

#endif
