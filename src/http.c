/* http.c - what handlers call on a request: its headers, cookies and query
 * through the server's struct http_io, reply headers, parking. */
#include "http.h"

#include <string.h>

#include "form.h"
#include "log.h"

/* The value of name of kind, NULL when absent. With text, a value that is
 * not text counts as absent: a cookie or query value reaches handlers only
 * as text, and invalid UTF-8 or a control character (a %FF, %0A or %00 in
 * the URL) is not, so no handler renders, logs or stores bytes that are
 * not text, nor the part of a value before a NUL as if it were the whole. */
static const char *
lookup(struct request *r, enum http_kind kind, const char *name, bool text)
{
	size_t len = 0;
	const char *v = r->io->lookup(r->conn, kind, name, &len);

	if (v == NULL || !text)
		return v;
	return strlen(v) == len && form_text_valid(v, len, false) ? v : NULL;
}

const char *
http_header(struct request *r, const char *name)
{
	return lookup(r, HTTP_KIND_HEADER, name, false);
}

const char *
http_cookie(struct request *r, const char *name)
{
	return lookup(r, HTTP_KIND_COOKIE, name, true);
}

const char *
http_query(struct request *r, const char *name)
{
	return lookup(r, HTTP_KIND_QUERY, name, true);
}

bool
http_query_given(struct request *r, const char *name)
{
	return lookup(r, HTTP_KIND_QUERY, name, false) != NULL;
}

void
http_header_add(struct request *r, const char *name, const char *value)
{
	if (r->nheaders == HTTP_MAX_HEADERS) {
		log_error("http", "error=\"too many headers\" name=%s", name);
		return;
	}
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

void
http_suspend(struct request *r)
{
	r->parked = true;
	r->io->suspend(r->conn);
}

void
http_resume(struct request *r)
{
	/* Reads only what was set before r was parked: the request thread
	 * may still be running. */
	r->io->resume(r->conn);
}

void
http_finish(struct request *r)
{
	if (r->io->finish != NULL)
		r->io->finish(r);
	r->io->resume(r->conn);
}

int
http_detach(struct request *r)
{
	int fd;

	if (r->io->detach == NULL || (fd = r->io->detach(r->conn)) == -1)
		return -1;
	r->detached = true;
	return fd;
}

int
http_multipart(struct request *r, http_part_fn fn, void *arg)
{
	if (r->io->parts == NULL)
		return -1;
	return r->io->parts(r->conn, r->body.data != NULL ? r->body.data : "",
	    r->body.len, fn, arg);
}

void
http_stream(struct request *r, http_stream_fn fn, void (*done)(void *),
    void *ctx)
{
	/* A stream set before is let go: only one reply is sent. */
	if (r->stream_free != NULL)
		r->stream_free(r->stream_ctx);
	r->stream = fn;
	r->stream_free = done;
	r->stream_ctx = ctx;
}
