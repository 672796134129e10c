/* page_metrics.c - /metrics in Prometheus text format. */
#include "metrics.h"
#include "page.h"

void
page_metrics(struct request *r)
{
	buf_reset(&r->out);
	metrics_render(&r->out);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	http_header_add(r, "Cache-Control", "no-store");
}
