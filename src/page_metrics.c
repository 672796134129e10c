/* page_metrics.c - /metrics in Prometheus text format. */
#include "metrics.h"
#include "netaddr.h"
#include "page.h"

/* Only clients in --metrics-allow see the counters: the client as r->addr
 * has it, which behind a --trusted-proxy is the address the proxy
 * forwarded for, not the proxy itself. Others get the site's ordinary 404,
 * so the page's existence is not advertised. */
void
page_metrics(struct request *r)
{
	if (site.metrics_allow == NULL ||
	    !cidr_set_contains(site.metrics_allow, &r->addr)) {
		page_begin(r);
		page_error(r, 404, "err_not_found");
		return;
	}
	buf_reset(&r->out);
	metrics_render(&r->out);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	http_header_add(r, "Cache-Control", "no-store");
}
