/* server.h - the HTTP listener: libmicrohttpd glue, limits, access log,
 * graceful shutdown. */
#ifndef HOLOS_SERVER_H
#define HOLOS_SERVER_H

#include <stddef.h>

#include "http.h"
#include "netaddr.h"

struct server_config {
	const char *listen; /* HOST:PORT, [V6]:PORT */
	/* A second listener with one request thread of its own, for the
	 * POSTs a proxy routes there; NULL: none. */
	const char *listen_post;
	unsigned threads;   /* 0: one per core */
	size_t max_body;    /* bytes; larger bodies get 413 */
	size_t conn_memory; /* per-connection buffer memory */
	unsigned per_ip;    /* connections per client address; 0: none */
	unsigned per_net;   /* per /24 or /64 network; 0: none */
	unsigned max_conns;
	unsigned idle_timeout;	    /* seconds without a byte */
	unsigned header_timeout;    /* seconds for a request's head */
	unsigned body_timeout;	    /* seconds for its body */
	const char *announce;	    /* printed on stdout once listening */
	const struct cidr *trusted; /* proxies whose X-Forwarded-For
				     * names the client */
	size_t ntrusted;
	/* Fills r's reply, or parks r (http_suspend()) and is called again
	 * once it is resumed. The server knows no handler by name. */
	void (*on_request)(struct request *r);
	/* The largest body a request may send, given its method and path
	 * and max_body (what every other request keeps); may be NULL. */
	size_t (*body_max)(enum http_method method, const char *path,
	    size_t max_body);
	/* Called after each reply is queued (metrics); may be NULL. */
	void (*on_reply)(const struct request *r);
};

/* Listens on cfg->listen (and cfg->listen_post) and serves through
 * cfg->on_request on a pool of threads. cfg must stay valid until
 * server_stop(). Returns 0, or -1 when the listener cannot start (reason
 * logged; nothing left running). The caller must have blocked SIGTERM and
 * SIGINT in all threads (server_block_signals()) before any thread was created.
 */
int server_start(const struct server_config *cfg);

/* Waits for SIGTERM or SIGINT and returns it. */
int server_wait(void);

/* Stops accepting, lets requests in flight finish (up to 10 seconds; a
 * request that reaches its handler after this began gets 503) and stops
 * the threads. A no-op when the server is not running. */
void server_stop(void);

/* Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread and all threads
 * it creates later; server_wait() takes them with sigwait(). */
void server_block_signals(void);

#endif
