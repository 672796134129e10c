/* ratelimit.h - token buckets in memory for state-changing requests: per
 * client address, per network (/24, /48), per petition and site-wide; and
 * for the open API's reads, per client address and per network. */
#ifndef HOLOS_RATELIMIT_H
#define HOLOS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "netaddr.h"

enum rl_scope {
	RL_IP,
	RL_NET,
	RL_PETITION,
	RL_SITE,
	RL_API_IP,     /* the open API (/api/): per client address */
	RL_API_NET,    /* and per network */
	RL_LIKE_IP,    /* a comment's likes: per client address */
	RL_LIKE_NET,   /* per network */
	RL_LIKE_SITE,  /* and in all, so a flood from many addresses
			* cannot keep the database busy */
	RL_REPORT_IP,  /* reports of petitions and comments: per client */
	RL_REPORT_NET, /* and per network */
	RL__MAX
};

/* A limit: burst requests at once, refilled at burst per period seconds.
 * burst 0 turns the scope off. */
struct rl_rule {
	double burst;
	double period;
};

/* Sets the rules (copied). Call at start, before any thread uses them. */
void ratelimit_configure(const struct rl_rule rules[RL__MAX]);

/* Parses "N/SECONDS" ("10/60") or "off" into r. Returns 0 or -1. */
int ratelimit_parse(const char *s, struct rl_rule *r);

/* Takes one token from each bucket of a state-changing request that
 * applies to this client (and petition, 0 for none): RL_IP, RL_NET,
 * RL_PETITION, RL_SITE. Returns true when allowed; otherwise nothing is
 * taken and *retry_after holds the whole seconds until a token is free. */
bool ratelimit_take(const struct netaddr *client, int64_t petition_id,
    int *retry_after);

/* The same for a read of the open API: RL_API_IP and RL_API_NET. */
bool ratelimit_take_api(const struct netaddr *client, int *retry_after);

/* The same for a like of a comment: RL_LIKE_IP, RL_LIKE_NET and
 * RL_LIKE_SITE. */
bool ratelimit_take_like(const struct netaddr *client, int *retry_after);

/* The same for a report (docs/report.md): RL_REPORT_IP and
 * RL_REPORT_NET, a budget apart from signing's. */
bool ratelimit_take_report(const struct netaddr *client, int *retry_after);

/* Frees every bucket (at exit). */
void ratelimit_free(void);

#endif
