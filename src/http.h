/* http.h - a request as handlers see it, and the reply they build. The HTTP
 * library behind it (libmicrohttpd, in server.c) is not visible here: it
 * reaches a request through the struct http_io the server puts in it. */
#ifndef HOLOS_HTTP_H
#define HOLOS_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "netaddr.h"

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_OTHER,
	HTTP_METHOD__MAX
};

#define HTTP_MAX_HEADERS 16

struct http_header {
	const char *name;
	const char *value;
};

/* Where a lookup looks. */
enum http_kind {
	HTTP_KIND_HEADER,
	HTTP_KIND_COOKIE,
	HTTP_KIND_QUERY,
	HTTP_KIND__MAX
};

/* A piece of a multipart/form-data field: its name, the file's name (NULL
 * for a plain field), size bytes of its value from offset off (a long
 * value comes in several pieces, in order; an empty one may come as one
 * piece of size 0). Returns 0 to go on, -1 to stop reading. */
typedef int (*http_part_fn)(void *arg, const char *name, const char *filename,
    const char *data, uint64_t off, size_t size);

struct request;

/* What the server behind a request does for it (server.c fills one in for
 * libmicrohttpd). conn is the request's own conn. */
struct http_io {
	/* A value by name and its length in *len (a value may hold a NUL
	 * byte, from a %00), NULL when absent; borrowed for the request. */
	const char *(*lookup)(void *conn, enum http_kind kind, const char *name,
	    size_t *len);
	/* Parks the connection: no reply now, no thread held. */
	void (*suspend)(void *conn);
	/* Wakes a parked connection; safe from any thread. */
	void (*resume)(void *conn);
	/* Runs the second half of parked request r on the calling thread
	 * and sends its reply from there when the server judges that r,
	 * resumed, would wait long for its request thread (see
	 * http_finish()); or does nothing. NULL: never. */
	void (*finish)(struct request *r);
	/* A descriptor of the connection's socket for the caller to keep;
	 * once the handler returns, the server lets go of the connection
	 * without a word. -1 when it cannot. */
	int (*detach)(void *conn);
	/* Reads body, a multipart/form-data body of conn, calling fn for
	 * each piece of each field. Returns 0, or -1 when it is not form
	 * data, is malformed or truncated, or fn stopped it. */
	int (*parts)(void *conn, const char *body, size_t len, http_part_fn fn,
	    void *arg);
};

/* A reply body made as it is sent: up to max bytes into buf. Returns how
 * many (> 0), 0 at the end, -1 to cut the reply short. */
typedef ssize_t (*http_stream_fn)(void *ctx, char *buf, size_t max);

struct request {
	struct arena *arena;	  /* freed when the request ends */
	const struct http_io *io; /* the server's, for conn */
	void *conn;		  /* the library's connection */
	enum http_method method;
	const char *method_name;
	const char *path;    /* decoded path, no query */
	const char *ip;	     /* client address as text */
	struct netaddr addr; /* the client: the peer, or what a
			      * trusted proxy says it forwarded */
	bool via_proxy;	     /* the peer is a trusted proxy */
	bool http11;	     /* the request is HTTP/1.1 */
	struct timespec start;

	struct buf body;  /* the request body, up to the limit */
	size_t body_max;  /* the limit: --max-body, or its route's */
	size_t body_seen; /* bytes received, kept or not */
	bool body_too_large;

	/* Set by the router from the path. */
	int route; /* enum route; -1 until the router ran */
	const char *slug;
	const char *rest;  /* for /static/REST */
	const char *token; /* for /c/TOKEN and /u/TOKEN */

	/* Set by page_begin(). */
	const char *lang;

	/* A handler that parks the request keeps its state here; it is
	 * called again, with job still set, once the request is resumed. */
	void *job;
	bool parked;	    /* set by http_suspend(), only ever by
			     * the request's own thread */
	bool detached;	    /* set by http_detach(): no reply */
	atomic_bool let_go; /* parked, and its request thread is done with
			     * it: another thread may finish it */
	bool finished;	    /* the handler's second half ran off the request
			     * thread (http_finish()); its reply is made */
	bool replied;	    /* ... and was sent from there: the request's
			     * connection ends, its socket gone on as a
			     * new one (or shut) */

	/* The reply. */
	int status;
	const char *content_type;
	struct buf out;
	const void *static_body; /* instead of out: bytes that outlive
				  * the request */
	size_t static_len;
	/* When set, static_body lives until static_free(static_cls), which
	 * the server calls once, when the reply has sent it or was never
	 * made. */
	void (*static_free)(void *cls);
	void *static_cls;
	bool has_file; /* instead of out: file_len bytes of file_fd from
			* its start; the server closes file_fd */
	int file_fd;
	uint64_t file_len;
	/* instead of out: a body of unknown length made by stream(ctx, …) on
	 * the server's thread as the client takes it; stream_free(ctx) runs
	 * once when the reply ends, however it ends (see http_stream()) */
	http_stream_fn stream;
	void (*stream_free)(void *ctx);
	void *stream_ctx;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
};

/* A request header, a cookie or a query argument by name; NULL when
 * absent, and a cookie or query value that is not valid UTF-8 without
 * control characters (NUL included) counts as absent. Borrowed for the
 * request's lifetime. */
const char *http_header(struct request *r, const char *name);
const char *http_cookie(struct request *r, const char *name);
const char *http_query(struct request *r, const char *name);
/* Whether the query names the argument at all, with a value or not, text
 * or not: tells an absent argument from one http_query() refuses. */
bool http_query_given(struct request *r, const char *name);

/* Adds a reply header; name and value must live until the request ends
 * (arena or static). Beyond HTTP_MAX_HEADERS the header is dropped and
 * logged. */
void http_header_add(struct request *r, const char *name, const char *value);

/* Parks the request: the handler returns without a reply and holds no
 * thread; after http_resume() the handler runs again. Call only from a
 * handler (or a callback it runs synchronously). The resume may come from
 * another thread even before the handler has returned. */
void http_suspend(struct request *r);

/* Wakes a parked request; safe from any thread. */
void http_resume(struct request *r);

/* Wakes a parked request as http_resume() does, from the thread that
 * decided its fate (a writer that committed it). When the server holds
 * many connections, a resumed request waits for its request thread to go
 * once or twice round all the connections ready on it, which under heavy
 * reading is most of the request's time: then the handler's second half
 * runs here instead, at once, and its reply (when it is small and in
 * r->out) is written here, the connection kept alive as the client asked.
 * So that second half must not park again, and must be safe on any thread
 * (it is: what it touches is r and thread-safe modules). */
void http_finish(struct request *r);

/* Takes the request's connection from the server: returns a descriptor of
 * its socket, the caller's to write the whole reply to and to close; the
 * server then sends nothing and forgets the connection (r's status and
 * out are only logged). Call only from a handler, not on a parked
 * request. Returns -1 when the server cannot part with it (nothing
 * changed). */
int http_detach(struct request *r);

/* Makes r's reply body by fn(ctx, …), a piece at a time as the client
 * reads it, so a long body is never held whole and no request thread
 * waits for the client; each call should be quick. done(ctx) is called
 * exactly once, when the reply is over, cut short or never sent. */
void http_stream(struct request *r, http_stream_fn fn, void (*done)(void *),
    void *ctx);

/* Reads r's body as multipart/form-data (libmicrohttpd's post processor),
 * calling fn(arg, …) for each piece of each field. Returns 0, or -1 when
 * the body is not multipart/form-data, is malformed or truncated, or fn
 * stopped it. */
int http_multipart(struct request *r, http_part_fn fn, void *arg);

#endif
