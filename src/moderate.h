/* moderate.h - fraud review from the command line: trending sources of a
 * petition's signatures, and bulk invalidation with a reason. */
#ifndef HOLOS_MODERATE_H
#define HOLOS_MODERATE_H

#include "store.h"

/* holos trending SLUG [--hours N] [--threshold N] [--json]: signatures of
 * the last N hours (default 1) per network and per email domain; a source
 * with at least threshold (default 50) is flagged. Returns the exit status
 * (0, 1 on failure, 2 on a usage error) after printing. */
int moderate_trending(struct store *s, int argc, char **argv);

/* holos invalidate SLUG --reason R [--domain D] [--net N] [--from T]
 * [--to T] [--list FILE] [--note TEXT] [--actor NAME]: marks matching
 * signatures invalid (they leave the count) and records who and why. T is
 * unix seconds or YYYY-MM-DDTHH:MM:SSZ; FILE holds signature numbers, one
 * a line. Returns the exit status after printing. */
int moderate_invalidate(struct store *s, int argc, char **argv);

extern const char moderate_usage_trending[];
extern const char moderate_usage_invalidate[];

#endif
