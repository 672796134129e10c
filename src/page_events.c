/* page_events.c - /p/SLUG/events: a petition's count, goal and progress
 * as Server-Sent Events. The handler answers the request's header itself
 * and hands the socket to events.c, which sends each change. */
#include <stdio.h>
#include <string.h>

#include "counts.h"
#include "events.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "pagecache.h"
#include "petition.h"
#include "social.h"

/* The header of a stream: no length, the stream ends when either side
 * closes it. retry asks a client to reconnect after 2 s, whose first event
 * then brings it up to date. */
#define STREAM_HEAD                                          \
	"HTTP/1.1 200 OK\r\n"                                \
	"Content-Type: text/event-stream; charset=utf-8\r\n" \
	"Cache-Control: no-store\r\n"                        \
	"X-Content-Type-Options: nosniff\r\n"                \
	"X-Accel-Buffering: no\r\n"                          \
	"Connection: close\r\n"                              \
	"\r\n"                                               \
	"retry: 2000\n\n"

/* social proof: ,"recent":[{"name","country","country_name"}…], the
 * newest signers who agreed to show their name, when they are known
 * (social.c reads them off this thread). */
static void
recent_json(const struct events_topic *t, struct buf *out)
{
	struct social_recent rs;
	size_t i;

	if (social_recent_get(t->id, &rs) != 1)
		return;
	buf_puts(out, ",\"recent\":[");
	for (i = 0; i < rs.n; i++) {
		const char *cn = i18n_country_name(t->lang, rs.s[i].country);

		if (cn == NULL)
			cn = rs.s[i].country;
		buf_puts(out, i > 0 ? ",{\"name\":\"" : "{\"name\":\"");
		buf_append_json(out, rs.s[i].name, strlen(rs.s[i].name));
		buf_puts(out, "\",\"country\":\"");
		buf_append_json(out, rs.s[i].country, strlen(rs.s[i].country));
		buf_puts(out, "\",\"country_name\":\"");
		buf_append_json(out, cn, strlen(cn));
		buf_puts(out, "\"}");
	}
	buf_puts(out, "]");
}

int
page_events_payload(const struct events_topic *t, struct buf *out)
{
	struct msgfmt_arg args[2] = {
		{ .name = "count", .type = MSGFMT_NUMBER },
		{ .name = "goal", .type = MSGFMT_NUMBER },
	};
	const char *line, *count_text, *next_text;
	struct arena *a;
	int64_t count, next;
	int ret = -1;

	if (counts_get(t->id, &count) == -1)
		return -1;
	if ((a = arena_new()) == NULL)
		return -1;
	next = petition_next_goal(count, t->goal);
	args[0].num = (double)count;
	args[1].num = (double)next;
	line = i18n_format(a, t->lang, "count_line", args, 2);
	count_text = i18n_number(a, t->lang, count);
	next_text = i18n_number(a, t->lang, next);
	if (line == NULL || count_text == NULL || next_text == NULL)
		goto out;
	buf_printf(out,
	    "data: {\"count\":%lld,\"goal\":%lld,\"next_goal\":%lld,"
	    "\"progress\":%d,\"count_text\":\"",
	    (long long)count, (long long)t->goal, (long long)next,
	    petition_progress(count, next));
	buf_append_json(out, count_text, strlen(count_text));
	buf_puts(out, "\",\"next_goal_text\":\"");
	buf_append_json(out, next_text, strlen(next_text));
	buf_puts(out, "\",\"count_line\":\"");
	buf_append_json(out, line, strlen(line));
	buf_puts(out, "\"");
	recent_json(t, out);
	buf_puts(out, "}\n\n");
	ret = buf_ok(out) ? 0 : -1;
out:
	arena_free(a);
	return ret;
}

void
page_petition_events(struct request *r)
{
	struct pagecache_meta meta;
	struct events_topic t;
	struct buf head;
	bool counted;
	int fd;

	page_begin(r);
	if (page_petition_meta(r, &meta) == -1)
		return;
	if (r->method == HTTP_HEAD) {
		r->status = 200;
		r->content_type = "text/event-stream; charset=utf-8";
		http_header_add(r, "Cache-Control", "no-store");
		return;
	}
	memset(&t, 0, sizeof(t));
	t.id = meta.petition_id;
	t.goal = meta.goal;
	snprintf(t.lang, sizeof(t.lang), "%s", r->lang);

	/* A trusted proxy carries many clients on its connections: they
	 * count against the whole, not against its address. */
	counted = !r->via_proxy;
	switch (events_reserve(&r->addr, counted)) {
	case EVENTS_OK: break;
	case EVENTS_ADDR:
	case EVENTS_NET:
		http_header_add(r, "Retry-After", "30");
		page_error(r, 429, "err_streams_addr");
		return;
	default:
		http_header_add(r, "Retry-After", "30");
		page_error(r, 503, "err_streams_full");
		return;
	}
	buf_init(&head);
	buf_puts(&head, STREAM_HEAD);
	if (page_events_payload(&t, &head) == -1 || !buf_ok(&head)) {
		buf_reset(&head);
		events_unreserve(&r->addr, counted);
		http_header_add(r, "Retry-After", "5");
		page_error(r, 503, "err_unavailable");
		return;
	}
	if ((fd = http_detach(r)) == -1) {
		buf_reset(&head);
		events_unreserve(&r->addr, counted);
		page_error(r, 500, "err_internal");
		return;
	}
	r->status = 200;
	(void)events_add(fd, &t, &r->addr, counted, head.data, head.len);
	buf_reset(&head);
}
