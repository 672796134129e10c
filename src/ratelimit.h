/* ratelimit.h - token buckets in memory for state-changing requests: per
 * client address, per network (/24, /48), per petition and site-wide. */
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

/* Takes one token from each bucket that applies to this client (and
 * petition, 0 for none). Returns true when allowed; otherwise nothing is
 * taken and *retry_after holds the whole seconds until a token is free. */
bool ratelimit_take(const struct netaddr *client, int64_t petition_id,
    int *retry_after);

/* ratelimit_take() for another kind of request (a report, …) with rules
 * of its own (burst 0 turns a scope off): its buckets are apart from
 * ratelimit_take()'s and from every other family's, so one kind spent
 * leaves the others' budgets whole. family names it ("report"). */
bool ratelimit_take_family(const char *family, const struct rl_rule rl[RL__MAX],
    const struct netaddr *client, int64_t petition_id, int *retry_after);

/* Frees every bucket (at exit). */
void ratelimit_free(void);

#endif
