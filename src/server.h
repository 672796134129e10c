/* server.h - the HTTP listener: libmicrohttpd glue, limits, access log,
 * graceful shutdown. */
#ifndef HOLOS_SERVER_H
#define HOLOS_SERVER_H

#include <stddef.h>

#include "netaddr.h"

struct server_config {
	const char *listen; /* HOST:PORT, [V6]:PORT */
	unsigned threads;   /* 0: one per core */
	size_t max_body;    /* bytes; larger bodies get 413 */
	size_t conn_memory; /* per-connection buffer memory */
	unsigned per_ip;    /* connections per client address; 0: none */
	unsigned max_conns;
	unsigned idle_timeout;	    /* seconds without a byte */
	const char *announce;	    /* printed on stdout once listening */
	const struct cidr *trusted; /* proxies whose X-Forwarded-For
				     * names the client */
	size_t ntrusted;
};

/* Serves until SIGTERM or SIGINT, dispatching through route_dispatch().
 * On a signal: stops accepting, lets requests in flight finish (up to 10
 * seconds; a request that reaches its handler after the signal gets 503),
 * then returns 0. Returns -1 when the listener cannot start
 * (reason logged). The caller must have blocked SIGTERM and SIGINT in all
 * threads (server_block_signals()) before any thread was created. */
int server_run(const struct server_config *cfg);

/* Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread and all threads
 * it creates later; server_run() takes them with sigwait(). */
void server_block_signals(void);

#endif
