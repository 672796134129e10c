/* petition.c - petition states and the escalating goal ladder. */
#include "petition.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

static const int64_t goal_ladder[] = {
	100,
	200,
	500,
	1000,
	1500,
	2500,
	5000,
	7500,
	10000,
	15000,
	20000,
	25000,
	50000,
	75000,
	100000,
	150000,
	200000,
	250000,
	300000,
	500000,
	750000,
	1000000,
};
#define LADDER_LEN (sizeof(goal_ladder) / sizeof(goal_ladder[0]))
#define LADDER_STEP 500000

static const char *const petition_states[PETITION__MAX] = {
	[PETITION_DRAFT] = "draft",
	[PETITION_PENDING] = "pending",
	[PETITION_OPEN] = "open",
	[PETITION_CLOSED] = "closed",
	[PETITION_VICTORY] = "victory",
	[PETITION_REJECTED] = "rejected",
	[PETITION_HIDDEN] = "hidden",
};

static const char *const signature_states[SIGNATURE__MAX] = {
	[SIGNATURE_PENDING] = "pending",
	[SIGNATURE_CONFIRMED] = "confirmed",
	[SIGNATURE_INVALID] = "invalid",
};

int64_t
petition_next_goal(int64_t count, int64_t goal)
{
	size_t i;
	int64_t top;

	if (count < 0)
		count = 0;
	if (goal > 0 && count < goal)
		return goal;
	for (i = 0; i < LADDER_LEN; i++)
		if (goal_ladder[i] > count)
			return goal_ladder[i];
	top = goal_ladder[LADDER_LEN - 1];
	return top + ((count - top) / LADDER_STEP + 1) * LADDER_STEP;
}

int
petition_progress(int64_t count, int64_t next_goal)
{
	if (next_goal <= 0 || count <= 0)
		return 0;
	if (count >= next_goal)
		return 100;
	return (int)(count * 100 / next_goal);
}

/* The index of name in names[n]; n for NULL or a name not there. */
static int
name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n && name != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return n;
}

const char *
petition_state_name(enum petition_state s)
{
	return (unsigned)s < PETITION__MAX ? petition_states[s] : NULL;
}

enum petition_state
petition_state_parse(const char *name)
{
	return (enum petition_state)name_index(petition_states, PETITION__MAX,
	    name);
}

const char *
signature_state_name(enum signature_state s)
{
	return (unsigned)s < SIGNATURE__MAX ? signature_states[s] : NULL;
}

enum signature_state
signature_state_parse(const char *name)
{
	return (enum signature_state)name_index(signature_states,
	    SIGNATURE__MAX, name);
}

bool
petition_is_open(const struct petition *p, int64_t now)
{
	return p->state == PETITION_OPEN &&
	    (p->closes_at == 0 || now < p->closes_at);
}

/* The lifecycle: which moves are allowed, as a table. */
static const bool transitions[PETITION__MAX][PETITION__MAX] = {
	[PETITION_DRAFT] = { [PETITION_PENDING] = true },
	[PETITION_PENDING] = { [PETITION_DRAFT] = true,
	    [PETITION_OPEN] = true,
	    [PETITION_REJECTED] = true },
	[PETITION_REJECTED] = { [PETITION_PENDING] = true },
	[PETITION_OPEN] = { [PETITION_CLOSED] = true,
	    [PETITION_VICTORY] = true,
	    [PETITION_HIDDEN] = true },
	[PETITION_CLOSED] = { [PETITION_VICTORY] = true, [PETITION_HIDDEN] = true },
	[PETITION_VICTORY] = { [PETITION_HIDDEN] = true },
	[PETITION_HIDDEN] = { [PETITION_OPEN] = true },
};

bool
petition_transition_allowed(enum petition_state from, enum petition_state to)
{
	return (unsigned)from < PETITION__MAX && (unsigned)to < PETITION__MAX &&
	    transitions[from][to];
}

bool
petition_slug_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 80 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-'))
			return false;
	}
	return true;
}

int
signature_pii_open(struct signature_pii *p, const unsigned char *box, size_t len)
{
	memset(p, 0, sizeof(*p));
	if ((p->plain = crypto_open(box, len, &p->len)) == NULL)
		return -1;
	p->first = p->plain;
	p->first_len = strnlen(p->plain, p->len);
	if (p->first_len == p->len) {
		signature_pii_close(p);
		return -1;
	}
	p->last = p->plain + p->first_len + 1;
	p->last_len = strnlen(p->last, p->len - p->first_len - 1);
	return 0;
}

void
signature_pii_close(struct signature_pii *p)
{
	if (p->plain != NULL) {
		sodium_memzero(p->plain, p->len);
		free(p->plain);
	}
	memset(p, 0, sizeof(*p));
}
