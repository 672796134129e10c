/* metrics.c - counters for /metrics in Prometheus text format. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "route.h"
#include "signq.h"

/* The statuses holos answers with; anything else counts as "other". */
static const int statuses[] = {
	200,
	303,
	304,
	400,
	403,
	404,
	405,
	409,
	410,
	413,
	415,
	422,
	429,
	500,
	503,
};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static _Atomic uint64_t requests[ROUTE__MAX + 1][NSTATUS + 1];
static const char *(*name_of)(int route);

void
metrics_configure(const char *(*namer)(int route))
{
	name_of = namer;
}

/* The route's label: its name, or its number when no namer was set. */
static const char *
label(int route, char num[16])
{
	if (name_of != NULL)
		return name_of(route);
	snprintf(num, 16, "%d", route);
	return num;
}

void
metrics_request(int route, int status)
{
	size_t i;

	if (route < 0 || route > ROUTE__MAX)
		route = ROUTE__MAX;
	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			break;
	atomic_fetch_add_explicit(&requests[route][i], 1, memory_order_relaxed);
}

void
metrics_render(struct buf *out)
{
	static const char *const batch_le[8] = {
		"1",
		"10",
		"100",
		"1000",
		"10000",
		"100000",
		"1000000",
		"+Inf",
	};
	struct signq_stats st;
	char num[16];
	uint64_t cum = 0;
	int route;
	size_t i;

	buf_puts(out,
	    "# HELP holos_http_requests_total HTTP replies by route "
	    "and status.\n# TYPE holos_http_requests_total counter\n");
	for (route = 0; route <= ROUTE__MAX; route++) {
		for (i = 0; i <= NSTATUS; i++) {
			uint64_t n = atomic_load_explicit(&requests[route][i],
			    memory_order_relaxed);
			if (n == 0)
				continue;
			if (i < NSTATUS)
				buf_printf(out,
				    "holos_http_requests_total{route=\""
				    "%s\",status=\"%d\"} %llu\n",
				    label(route, num), statuses[i],
				    (unsigned long long)n);
			else
				buf_printf(out,
				    "holos_http_requests_total{route=\""
				    "%s\",status=\"other\"} %llu\n",
				    label(route, num), (unsigned long long)n);
		}
	}
	signq_stats(&st);
	buf_printf(out,
	    "# HELP holos_signatures_committed_total Writes of the signature "
	    "path (new signatures, re-sent links, confirmations) that took "
	    "effect.\n# TYPE holos_signatures_committed_total counter\n"
	    "holos_signatures_committed_total %llu\n"
	    "# HELP holos_signatures_duplicate_total Signatures refused as "
	    "duplicates.\n# TYPE holos_signatures_duplicate_total counter\n"
	    "holos_signatures_duplicate_total %llu\n"
	    "# HELP holos_signatures_failed_total Signatures whose batch did "
	    "not commit.\n# TYPE holos_signatures_failed_total counter\n"
	    "holos_signatures_failed_total %llu\n"
	    "# HELP holos_signq_depth Signatures waiting for the writer.\n"
	    "# TYPE holos_signq_depth gauge\nholos_signq_depth %zu\n"
	    "# HELP holos_signq_capacity Room in the signature queue.\n"
	    "# TYPE holos_signq_capacity gauge\nholos_signq_capacity %zu\n",
	    (unsigned long long)st.committed, (unsigned long long)st.duplicates,
	    (unsigned long long)st.failed, st.depth, st.capacity);
	buf_puts(out,
	    "# HELP holos_batch_size Signatures per committed batch.\n"
	    "# TYPE holos_batch_size histogram\n");
	for (i = 0; i < 8; i++) {
		cum += st.batch_hist[i];
		buf_printf(out, "holos_batch_size_bucket{le=\"%s\"} %llu\n",
		    batch_le[i], (unsigned long long)cum);
	}
	buf_printf(out, "holos_batch_size_count %llu\n",
	    (unsigned long long)st.batches);
	buf_printf(out, "holos_batch_size_sum %llu\n",
	    (unsigned long long)(st.committed + st.duplicates + st.failed));
	buf_puts(out,
	    "# HELP holos_commit_seconds Time to commit one batch.\n"
	    "# TYPE holos_commit_seconds histogram\n");
	cum = 0;
	for (i = 0; i < 12; i++) {
		cum += st.commit_hist[i];
		if (i == 11)
			buf_printf(out,
			    "holos_commit_seconds_bucket{le=\"+Inf\"} "
			    "%llu\n",
			    (unsigned long long)cum);
		else
			buf_printf(out,
			    "holos_commit_seconds_bucket{le=\"%g\"} "
			    "%llu\n",
			    signq_commit_buckets[i], (unsigned long long)cum);
	}
	buf_printf(out,
	    "holos_commit_seconds_count %llu\n"
	    "holos_commit_seconds_sum %.6f\n",
	    (unsigned long long)st.batches, st.commit_seconds);
}
