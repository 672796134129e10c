/* server.c - libmicrohttpd glue: listen, collect a request, hand it to the
 * handler it was given, send the reply with the security headers, log it. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connlimit.h"
#include "http.h"
#include "log.h"
#include "mono.h"
#include "ticker.h"
#include "utc.h"
#include "worker.h"

/* No script but our own files, nothing framed, nothing sent elsewhere. */
#define CSP                                                           \
	"default-src 'self'; script-src 'self'; style-src 'self'; "   \
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; " \
	"object-src 'none'; base-uri 'none'; form-action 'self'; "    \
	"frame-ancestors 'none'"

/* Largest over-limit body read (and dropped) before answering 413. */
#define DRAIN_MAX (8u << 20)

static atomic_int inflight;
static const struct server_config *cfg; /* from server_start() */
static struct MHD_Daemon *daemon_;
/* The second listener's (--listen-post), or NULL: one thread of its own,
 * for the requests that change something, which a proxy routes there so
 * that they never wait behind the connections of page readers. Only
 * server_start() and server_stop() look at it. */
static struct MHD_Daemon *daemon_post;
/* Set when the server begins to stop. A request is counted in inflight when
 * it starts and reads this flag when it would run its handler: set, it is
 * refused there, before it can park. Both are sequentially consistent, so
 * once server_stop() has set the flag and then seen inflight at 0, no
 * request can park any more before MHD_stop_daemon(), which aborts on a
 * parked (suspended) connection. */
static atomic_bool draining;

/* The struct http_io of a libmicrohttpd connection. */
static const char *
mhd_lookup(void *conn, enum http_kind kind, const char *name, size_t *len)
{
	static const enum MHD_ValueKind kinds[HTTP_KIND__MAX] = {
		[HTTP_KIND_HEADER] = MHD_HEADER_KIND,
		[HTTP_KIND_COOKIE] = MHD_COOKIE_KIND,
		[HTTP_KIND_QUERY] = MHD_GET_ARGUMENT_KIND,
	};

	const char *v = NULL;

	if (MHD_lookup_connection_value_n(conn, kinds[kind], name, strlen(name),
		&v, len) != MHD_YES)
		return NULL;
	return v;
}

static void
mhd_suspend(void *conn)
{
	MHD_suspend_connection(conn);
}

static void
mhd_resume(void *conn)
{
	MHD_resume_connection(conn);
}

/* The request thread is letting go of a detached connection, or of one
 * refused over a cap: the library's complaint about the handler's refusal
 * is expected then. */
static _Thread_local bool letting_go;

/* A second descriptor of the socket. The daemon runs with MHD_USE_TURBO,
 * under which closing a connection is a bare close() without shutdown():
 * the socket stays open through this descriptor once the daemon has let
 * go of its own (it leaves its epoll set before that). */
static int
mhd_detach(void *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || ci->connect_fd == MHD_INVALID_SOCKET)
		return -1;
	return fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0);
}

/* A multipart/form-data body through libmicrohttpd's post processor. */
struct parts {
	http_part_fn fn;
	void *arg;
	bool stopped;
};

static enum MHD_Result
on_part(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	struct parts *p = cls;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (key == NULL || p->fn(p->arg, key, filename, data, off, size) == -1) {
		p->stopped = true;
		return MHD_NO;
	}
	return MHD_YES;
}

static int
mhd_parts(void *conn, const char *body, size_t len, http_part_fn fn, void *arg)
{
	struct parts p = { fn, arg, false };
	struct MHD_PostProcessor *pp;
	enum MHD_Result ok;

	/* NULL for a body that is not form data (or out of memory). */
	if ((pp = MHD_create_post_processor(conn, 16384, on_part, &p)) == NULL)
		return -1;
	ok = MHD_post_process(pp, body, len);
	/* MHD_NO here: the body ended inside a part (truncated). */
	if (MHD_destroy_post_processor(pp) != MHD_YES)
		ok = MHD_NO;
	return ok == MHD_YES && !p.stopped ? 0 : -1;
}

static void mhd_finish(struct request *r);

static const struct http_io mhd_io = {
	.lookup = mhd_lookup,
	.suspend = mhd_suspend,
	.resume = mhd_resume,
	.finish = mhd_finish,
	.detach = mhd_detach,
	.parts = mhd_parts,
};

static enum http_method
method_parse(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_HEAD;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	return HTTP_OTHER;
}

/* The client's address: the peer's, or the client a trusted proxy names
 * (netaddr_forwarded()). */
static bool
peer_trusted(const struct netaddr *peer)
{
	return cidr_any(cfg->trusted, cfg->ntrusted, peer);
}

/* The address of a socket's peer; 0.0.0.0 when it is neither IPv4 nor
 * IPv6. */
static void
sockaddr_netaddr(const struct sockaddr *sa, struct netaddr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
	} else if (sa->sa_family == AF_INET6) {
		char text[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, text,
		    sizeof(text));
		netaddr_parse(text, strlen(text), out);
	}
}

static void
client_addr(struct MHD_Connection *c, struct netaddr *out, bool *via_proxy)
{
	const union MHD_ConnectionInfo *ci;
	const char *xff;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sockaddr_netaddr(ci != NULL ? ci->client_addr : NULL, out);
	if (cfg->ntrusted == 0)
		return;
	*via_proxy = peer_trusted(out);
	xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
	netaddr_forwarded(out, xff, cfg->trusted, cfg->ntrusted);
}

/* Slow clients. Every connection is known here from its start to its end
 * (libmicrohttpd's connection notifications), with the phase it is in and
 * since when: the request head must have come within header_timeout of
 * the connection's start (or of the previous reply, on a kept-alive
 * connection), a body within body_timeout of its head; a connection past
 * its deadline is shut down by the reaper, whatever it trickles. While the
 * server is three-quarters full the head's deadline is a few seconds. And
 * connections are counted per client address and per network, a trusted
 * proxy's not at all (connlimit.c); the accept policy refuses one over a
 * cap. */
enum phase {
	PHASE_HEAD, /* waiting for a request's head */
	PHASE_BODY, /* the head has come; reading the body */
	PHASE_BUSY, /* the handler has it, or the reply is going out */
	PHASE__MAX
};

struct conn {
	struct conn *prev, *next;
	struct netaddr peer;
	int64_t since; /* ms on the monotonic clock: the phase's start */
	enum phase phase;
	int fd;
	bool counted; /* in limits */
	bool cut;     /* shut down by the reaper */
	bool refused; /* over a cap as it started: shut down, not served */
	bool post;    /* came to the second listener (--listen-post) */
};

/* The second listener's connections are told apart by this, given as
 * their notification's closure. */
static const char post_mark[] = "post";

/* The head's deadline while the server is three-quarters full. */
#define PRESSED_HEAD_MS 2000
#define REAP_MS 250

static struct connlimit limits;
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns; /* under conns_lock */
static size_t nconns;	   /* under conns_lock */

/* The connections open now, on both listeners. */
static size_t
conns_open(void)
{
	size_t n;

	pthread_mutex_lock(&conns_lock);
	n = nconns;
	pthread_mutex_unlock(&conns_lock);
	return n;
}

static void
log_refused(enum connlimit_result res, const struct netaddr *a)
{
	char net[64];

	netaddr_network(a, net, sizeof(net));
	log_warn("server", "event=refused reason=%s network=%s",
	    res == CONNLIMIT_ADDR ? "per_address" : "per_network", net);
}

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct netaddr a;
	enum connlimit_result res;

	(void)cls;
	(void)addrlen;
	/* Stopping: no new connection (server_stop()). */
	if (atomic_load(&draining))
		return MHD_NO;
	/* --max-connections counts both listeners: libmicrohttpd counts
	 * each daemon's own. */
	if (cfg->listen_post != NULL && cfg->max_conns > 0) {
		size_t open = conns_open();

		if (open >= cfg->max_conns) {
			log_warn("server",
			    "event=refused reason=max_connections "
			    "open=%zu",
			    open);
			return MHD_NO;
		}
	}
	sockaddr_netaddr(addr, &a);
	if (peer_trusted(&a))
		return MHD_YES;
	if ((res = connlimit_check(&limits, &a)) == CONNLIMIT_OK)
		return MHD_YES;
	log_refused(res, &a);
	return MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct conn *k = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Without memory the connection simply has no deadline. */
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return;
		k->post = cls == post_mark;
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		sockaddr_netaddr(ci != NULL ? ci->client_addr : NULL, &k->peer);
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		k->fd = ci != NULL ? ci->connect_fd : -1;
		/* Counted here, where a count is given back. The accept
		 * policy checked the caps a moment ago, but connections
		 * accepted at once by several threads all passed that check:
		 * the one that finds its address or network full now is
		 * closed (shut down: libmicrohttpd then ends it). */
		k->counted = false;
		if (!peer_trusted(&k->peer)) {
			enum connlimit_result res =
			    connlimit_acquire(&limits, &k->peer);

			k->counted = res == CONNLIMIT_OK;
			/* Its request may be read all the same, before the
			 * shutdown takes: on_request() serves none (a stream
			 * would hold a place of the address's). */
			if (res == CONNLIMIT_ADDR || res == CONNLIMIT_NET) {
				k->refused = true;
				log_refused(res, &k->peer);
				if (k->fd != -1)
					shutdown(k->fd, SHUT_RDWR);
			}
		}
		k->phase = PHASE_HEAD;
		k->since = mono_ms();
		pthread_mutex_lock(&conns_lock);
		k->next = conns;
		if (conns != NULL)
			conns->prev = k;
		conns = k;
		nconns++;
		pthread_mutex_unlock(&conns_lock);
		*socket_context = k;
		return;
	}
	if (k == NULL)
		return;
	pthread_mutex_lock(&conns_lock);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	nconns--;
	pthread_mutex_unlock(&conns_lock);
	if (k->counted)
		connlimit_release(&limits, &k->peer);
	free(k);
	*socket_context = NULL;
}

/* The struct conn of c, or NULL (on_connection() had no memory for it). */
static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* Moves connection k (may be NULL) into phase p, starting its clock.
 * Returns the milliseconds it had spent in the phase it leaves. */
static int64_t
phase_set(struct conn *k, enum phase p)
{
	int64_t now = mono_ms(), spent = 0;

	if (k == NULL)
		return 0;
	pthread_mutex_lock(&conns_lock);
	spent = now - k->since;
	if (k->phase != p) {
		k->phase = p;
		k->since = now;
	}
	pthread_mutex_unlock(&conns_lock);
	return spent;
}

/* Shuts down the connections past their deadline: libmicrohttpd then sees
 * the end of the stream and closes them itself. */
static void
reap(void *arg)
{
	int64_t now = mono_ms(), head_ms, body_ms;
	size_t cut = 0, open;
	bool pressed;
	struct conn *k;

	(void)arg;
	body_ms = (int64_t)cfg->body_timeout * 1000;
	pthread_mutex_lock(&conns_lock);
	open = nconns;
	pressed = cfg->max_conns > 0 && open * 4 >= (size_t)cfg->max_conns * 3;
	head_ms = (int64_t)cfg->header_timeout * 1000;
	if (pressed && head_ms > PRESSED_HEAD_MS)
		head_ms = PRESSED_HEAD_MS;
	for (k = conns; k != NULL; k = k->next) {
		int64_t limit = k->phase == PHASE_HEAD ? head_ms :
		    k->phase == PHASE_BODY	       ? body_ms :
							 0;

		if (k->cut || limit == 0 || k->fd < 0 || now - k->since <= limit)
			continue;
		(void)shutdown(k->fd, SHUT_RDWR);
		k->cut = true;
		cut++;
	}
	pthread_mutex_unlock(&conns_lock);
	if (cut > 0)
		log_warn("server",
		    "event=cut reason=deadline connections=%zu open=%zu "
		    "pressed=%d",
		    cut, open, pressed);
}

static struct ticker reaper = { .name = "reaper", .run = reap };

static struct request *
request_new(struct MHD_Connection *c, const char *url, const char *method,
    const char *version)
{
	struct request *r;
	struct arena *a;
	char ip[INET6_ADDRSTRLEN];

	if ((a = arena_new()) == NULL)
		return NULL;
	if ((r = arena_alloc(a, sizeof(*r))) == NULL) {
		arena_free(a);
		return NULL;
	}
	r->arena = a;
	r->io = &mhd_io;
	r->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->method = method_parse(method);
	r->http11 = strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
	r->method_name = arena_strdup(a, method);
	r->path = arena_strdup(a, url);
	client_addr(c, &r->addr, &r->via_proxy);
	netaddr_format(&r->addr, ip, sizeof(ip));
	r->ip = arena_strdup(a, ip);
	buf_init(&r->body);
	buf_init(&r->out);
	r->status = 200;
	r->route = -1;
	atomic_fetch_add(&inflight, 1);
	return r;
}

static void
request_free(struct request *r)
{
	buf_reset(&r->body);
	buf_reset(&r->out);
	if (r->has_file)
		close(r->file_fd);
	if (r->static_free != NULL)
		r->static_free(r->static_cls);
	if (r->stream_free != NULL)
		r->stream_free(r->stream_ctx);
	arena_free(r->arena);
	atomic_fetch_sub(&inflight, 1);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	(void)cls;
	/* A detached connection, or one refused before its request began
	 * (on_request()), has been let go. */
	if (r == NULL || r->detached || r->replied)
		letting_go = false;
	if (r != NULL)
		request_free(r);
	*con_cls = NULL;
	/* A kept-alive connection waits for its next request's head. */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		phase_set(conn_of(c), PHASE_HEAD);
}

static void access_log(struct request *r, size_t len);
/* True when r's handler set its own Content-Security-Policy. */
static bool
own_csp(const struct request *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, "Content-Security-Policy") ==
		    0)
			return true;
	return false;
}

/* libmicrohttpd's reader of a streamed body. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct request *r = cls;
	ssize_t n;

	(void)pos;
	n = r->stream(r->stream_ctx, buf, max);
	if (n > 0)
		return n;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM :
			MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Block size of a streamed body: what a stream is asked for at a time. */
#define STREAM_BLOCK (64 * 1024)

/* The headers the server puts in every reply before the handler's: at
 * most SITE_HEADERS_MAX into out. Returns how many. */
#define SITE_HEADERS_MAX 5
static size_t
site_headers(const struct request *r, struct http_header *out)
{
	size_t n = 0;

	if (r->content_type != NULL)
		out[n++] =
		    (struct http_header){ "Content-Type", r->content_type };
	/* A handler may set a policy of its own (the embeddable widget,
	 * which any site may frame); every other reply gets the site's, and
	 * may not be framed. */
	if (!own_csp(r)) {
		out[n++] =
		    (struct http_header){ "Content-Security-Policy", CSP };
		out[n++] = (struct http_header){ "X-Frame-Options", "DENY" };
	}
	out[n++] = (struct http_header){ "X-Content-Type-Options", "nosniff" };
	out[n++] = (struct http_header){ "Referrer-Policy",
		"strict-origin-when-cross-origin" };
	return n;
}

/* A reply of static bytes (the shared page, a static file) is made once
 * by each request thread and queued again for its next requests that send
 * the same bytes with the same status and headers: libmicrohttpd lets one
 * response serve any number of connections, and building its headers
 * anew was a fifth of a page's time in user space. Each thread keeps its
 * last REUSE_MAX; the bytes stay the request's to keep alive
 * (static_free() in request_free(), after the reply is sent), so an entry
 * is only used for a request whose own static_body and static_len are the
 * entry's: the bytes it points to are then that request's. */
#define REUSE_MAX 8
/* Status, content type and headers of a reply, as it is compared. */
#define REUSE_SIG_MAX 1024

struct reuse {
	const void *body;
	size_t len;
	char sig[REUSE_SIG_MAX];
	size_t siglen;
	struct MHD_Response *resp;
};

struct reuse_set {
	struct reuse e[REUSE_MAX];
	unsigned next; /* the next to replace */
};

/* At a request thread's end: its kept replies go. */
static void
reuse_gone(void *arg)
{
	struct reuse_set *set = arg;
	size_t i;

	for (i = 0; i < REUSE_MAX; i++)
		if (set->e[i].resp != NULL)
			MHD_destroy_response(set->e[i].resp);
	free(set);
}

static struct worker_local reuse_local = WORKER_LOCAL(reuse_gone);

/* What a reply of r's is compared by, into sig: its status, content type
 * and headers, each followed by a NUL. Returns its length, or 0 when it
 * does not fit (the reply is then made for r alone). */
static size_t
reuse_sig(const struct request *r, char sig[REUSE_SIG_MAX])
{
	size_t n, i, o = 0;

	if (r->status < 100 || r->status > 999)
		return 0;
	sig[o++] = (char)('0' + r->status / 100);
	sig[o++] = (char)('0' + r->status / 10 % 10);
	sig[o++] = (char)('0' + r->status % 10);
	sig[o++] = '\0';
	for (i = 0; i <= 2 * r->nheaders; i++) {
		const char *s = i == 0 ? r->content_type :
		    i % 2 == 1	       ? r->headers[(i - 1) / 2].name :
					 r->headers[(i - 1) / 2].value;

		if (s == NULL)
			s = "";
		if ((n = strlen(s) + 1) > REUSE_SIG_MAX - o)
			return 0;
		memcpy(sig + o, s, n);
		o += n;
	}
	return o;
}

/* The thread's kept reply for r's static bytes, status and headers, or
 * NULL; sig and *siglen say what a new one is kept by (0: not kept). */
static struct MHD_Response *
reuse_find(const struct request *r, char sig[REUSE_SIG_MAX], size_t *siglen)
{
	struct reuse_set *set;
	size_t i;

	if ((*siglen = reuse_sig(r, sig)) == 0 ||
	    (set = worker_local_peek(&reuse_local)) == NULL)
		return NULL;
	for (i = 0; i < REUSE_MAX; i++) {
		const struct reuse *e = &set->e[i];

		if (e->resp != NULL && e->body == r->static_body &&
		    e->len == r->static_len && e->siglen == *siglen &&
		    memcmp(e->sig, sig, *siglen) == 0)
			return e->resp;
	}
	return NULL;
}

/* Keeps resp, made for r, for the thread's next requests, in place of the
 * oldest kept. Returns whether it did: resp is then the thread's. */
static bool
reuse_keep(const struct request *r, struct MHD_Response *resp, const char *sig,
    size_t siglen)
{
	struct reuse_set *set;
	struct reuse *e;

	if (siglen == 0 ||
	    (set = worker_local_get(&reuse_local, sizeof(*set))) == NULL)
		return false;
	e = &set->e[set->next];
	set->next = (set->next + 1) % REUSE_MAX;
	if (e->resp != NULL)
		MHD_destroy_response(e->resp);
	e->body = r->static_body;
	e->len = r->static_len;
	memcpy(e->sig, sig, siglen);
	e->siglen = siglen;
	e->resp = resp;
	return true;
}

static enum MHD_Result
reply(struct request *r)
{
	struct http_header site[SITE_HEADERS_MAX];
	struct MHD_Response *resp;
	char sig[REUSE_SIG_MAX];
	size_t len, i, n, siglen = 0;
	enum MHD_Result ret;

	if (r->static_body != NULL && r->stream == NULL && !r->has_file) {
		/* Kept by this thread, or made now and kept; either way the
		 * bytes are r's until request_free(). */
		len = r->static_len;
		if ((resp = reuse_find(r, sig, &siglen)) != NULL) {
			ret = MHD_queue_response(r->conn, (unsigned)r->status,
			    resp);
			access_log(r, len);
			return ret;
		}
	}
	if (siglen > 0) {
		resp = MHD_create_response_from_buffer(len,
		    (void *)r->static_body, MHD_RESPMEM_PERSISTENT);
	} else if (r->stream != NULL) {
		/* The request outlives the response's reads: libmicrohttpd
		 * reads it before on_completed() frees r (and the stream). */
		len = 0;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
		    STREAM_BLOCK, stream_read, r, NULL);
	} else if (r->has_file) {
		len = (size_t)r->file_len;
		resp = MHD_create_response_from_fd64(r->file_len, r->file_fd);
		if (resp == NULL)
			close(r->file_fd);
		r->has_file = false;
	} else if (r->static_body != NULL && r->static_free != NULL) {
		len = r->static_len;
		resp =
		    MHD_create_response_from_buffer_with_free_callback_cls(len,
			(void *)r->static_body, r->static_free, r->static_cls);
		if (resp == NULL)
			r->static_free(r->static_cls);
		r->static_free = NULL; /* the response's now */
	} else if (r->static_body != NULL) {
		len = r->static_len;
		resp = MHD_create_response_from_buffer(len,
		    (void *)r->static_body, MHD_RESPMEM_PERSISTENT);
	} else {
		char *data = buf_steal(&r->out, &len);

		resp = MHD_create_response_from_buffer(len, data,
		    MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(data);
	}
	if (resp == NULL)
		return MHD_NO;
	n = site_headers(r, site);
	for (i = 0; i < n; i++)
		MHD_add_response_header(resp, site[i].name, site[i].value);
	for (i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name,
		    r->headers[i].value);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	if (siglen == 0 || !reuse_keep(r, resp, sig, siglen))
		MHD_destroy_response(resp);
	access_log(r, len);
	return ret;
}

/* An access log line's room: a path of up to 256 bytes and the rest. */
#define LINE_ROOM 512

/* Appends s to line (LINE_ROOM bytes) at *n, as much as fits. */
static void
line_put(char *line, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (k > LINE_ROOM - *n)
		k = LINE_ROOM - *n;
	memcpy(line + *n, s, k);
	*n += k;
}

/* Appends v in decimal to line at *n. */
static void
line_put_num(char *line, size_t *n, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d) - 1;

	d[i] = '\0';
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	line_put(line, n, d + i);
}

/* The request's line in the access log, and its metrics. */
static void
access_log(struct request *r, size_t len)
{
	struct timespec now;
	char path[256], line[LINE_ROOM];
	bool post = false;
	size_t n;
	long us;

	if (cfg->on_reply != NULL)
		cfg->on_reply(r);
	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - r->start.tv_sec) * 1000000L +
	    (now.tv_nsec - r->start.tv_nsec) / 1000L;
	/* An emailed token in the path is a secret: log_path() keeps it,
	 * and anything shaped like one, out of the log. */
	log_path(path, sizeof(path), r->path);
	/* Which listener, when there are two: a proxy's routing is seen. */
	if (cfg->listen_post != NULL) {
		struct conn *k = conn_of(r->conn);

		post = k != NULL && k->post;
	}
	/* "method=%s path=%s status=%d bytes=%zu us=%ld" and the flags, put
	 * together by hand: printf was a third of a page's user time. */
	n = 0;
	line_put(line, &n, "method=");
	line_put(line, &n, r->method == HTTP_OTHER ? "OTHER" : r->method_name);
	line_put(line, &n, " path=");
	line_put(line, &n, path);
	line_put(line, &n, " status=");
	line_put_num(line, &n, (uint64_t)(r->status > 0 ? r->status : 0));
	line_put(line, &n, " bytes=");
	line_put_num(line, &n, len);
	line_put(line, &n, " us=");
	line_put_num(line, &n, (uint64_t)(us > 0 ? us : 0));
	line_put(line, &n,
	    r->detached	   ? " detached=1" :
		r->replied ? " direct=1" :
			     "");
	line_put(line, &n, post ? " listener=post" : "");
	log_info_text("http", line, n);
}

/* A parked request is finished by the thread that decided its fate, and
 * its reply written from there (mhd_finish()), while the server holds at
 * least this many connections for each request thread: libmicrohttpd
 * serves a resumed connection last in its thread's next turn round the
 * connections ready on it, and with a thousand readers a turn takes tens
 * of milliseconds. With fewer the turn is short, and the connection's
 * keep-alive is worth more. */
#define DIRECT_CONNS_PER_THREAD 128
/* The largest reply written so: what a socket's empty send buffer (4 KiB
 * at the very least) takes at once. A 303 is about 800 bytes. */
#define DIRECT_MAX 4096
/* How long a direct reply that did not go out whole waits for the rest. */
#define DIRECT_WAIT_MS 100

static unsigned nthreads; /* request threads, from server_start() */

/* Whether r's connection is kept alive after its reply, as libmicrohttpd
 * would keep it: HTTP/1.1, and neither the client nor the handler said
 * "Connection: close". */
static bool
direct_keep(struct request *r)
{
	const char *v;
	size_t i;

	if (!r->http11)
		return false;
	v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Connection");
	if (v != NULL && strcasestr(v, "close") != NULL)
		return false;
	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, "Connection") == 0 &&
		    strcasestr(r->headers[i].value, "close") != NULL)
			return false;
	return true;
}

/* Formats r's reply into b, saying "Connection: close" unless keep.
 * Returns 0, or -1 when it is not one to write directly: not the bytes of
 * r->out (a file, a stream or static bytes), over DIRECT_MAX, or with a
 * header value of more than one line (which libmicrohttpd refuses and
 * drops). */
static int
direct_format(const struct request *r, bool keep, struct buf *b)
{
	struct http_header site[SITE_HEADERS_MAX];
	const struct http_header *h;
	const char *reason;
	char date[UTC_CHARS];
	size_t i, n;

	if (r->stream != NULL || r->has_file || r->static_body != NULL)
		return -1;
	reason = MHD_get_reason_phrase_for((unsigned)r->status);
	buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\n%sContent-Length: %zu\r\n",
	    r->status, reason[0] != '\0' ? reason : "Unknown",
	    utc_format(date, UTC_HTTP, (int64_t)time(NULL)),
	    keep ? "" : "Connection: close\r\n", r->out.len);
	n = site_headers(r, site);
	for (i = 0; i < n + r->nheaders; i++) {
		h = i < n ? &site[i] : &r->headers[i - n];
		if (strcasecmp(h->name, "Connection") == 0)
			continue;
		if (strpbrk(h->name, "\r\n") != NULL ||
		    strpbrk(h->value, "\r\n") != NULL)
			return -1;
		buf_printf(b, "%s: %s\r\n", h->name, h->value);
	}
	buf_puts(b, "\r\n");
	if (r->method != HTTP_HEAD && r->out.len > 0)
		buf_append(b, r->out.data, r->out.len);
	return buf_ok(b) && b->len <= DIRECT_MAX ? 0 : -1;
}

/* Writes len bytes of p to fd, a non-blocking socket. Returns 0 when the
 * reply was written, 1 when the client is gone or took part of it and no
 * more within DIRECT_WAIT_MS (the connection is then shut down), -1 when
 * the socket took none of it: the caller leaves the reply to
 * libmicrohttpd. */
static int
direct_send(int fd, const char *p, size_t len)
{
	size_t off = 0;
	int64_t deadline = mono_ms() + DIRECT_WAIT_MS;
	ssize_t n;

	while (off < len) {
		n = send(fd, p + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - mono_ms();

			if (off == 0)
				return -1;
			if (left > 0 && poll(&pfd, 1, (int)left) >= 0)
				continue;
		}
		(void)shutdown(fd, SHUT_RDWR);
		return 1;
	}
	return 0;
}

/* What a connection's descriptor is pointed at when its socket has been
 * handed over (handover()): a socket that never has anything to read. */
static int inert[2] = { -1, -1 };

/* Hands the socket of k, the connection of parked request r whose reply
 * has just been written, to the daemon as a new connection, which reads
 * the client's next request: libmicrohttpd reads ahead, so the parked
 * connection, once resumed, could take that request and close with it.
 * Its descriptor is pointed at the inert socket instead (it reads
 * nothing there, and closes it when r ends). The connection's place under
 * the caps goes with the socket: given up first, so that a client at its
 * cap keeps its connection. Returns 0, or -1 when nothing was handed
 * over. */
static int
handover(struct request *r, struct conn *k)
{
	const union MHD_ConnectionInfo *ci, *di;
	socklen_t len;
	int fd;

	ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	/* Back to the listener the socket came from. */
	di = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_DAEMON);
	if (ci == NULL || ci->client_addr == NULL || di == NULL ||
	    di->daemon == NULL || inert[0] == -1)
		return -1;
	len = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((fd = fcntl(k->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	pthread_mutex_lock(&conns_lock);
	if (dup3(inert[0], k->fd, O_CLOEXEC) == -1) {
		pthread_mutex_unlock(&conns_lock);
		close(fd);
		return -1;
	}
	k->fd = -1; /* not the socket's any more: the reaper leaves it */
	pthread_mutex_unlock(&conns_lock);
	if (k->counted) {
		connlimit_release(&limits, &k->peer);
		k->counted = false;
	}
	/* On failure libmicrohttpd has closed fd, and said why. */
	(void)MHD_add_connection(di->daemon, fd, ci->client_addr, len);
	return 0;
}

static void
inert_close(void)
{
	if (inert[0] != -1) {
		close(inert[0]);
		close(inert[1]);
	}
	inert[0] = inert[1] = -1;
}

/* struct http_io's finish: see http_finish(). */
static void
mhd_finish(struct request *r)
{
	struct conn *k;
	struct buf b;
	bool keep;
	int sent;

	/* Resumed at once, the request thread may not have returned from
	 * the handler that parked r yet: r is then left to it. */
	if (!atomic_load_explicit(&r->let_go, memory_order_acquire))
		return;
	if (conns_open() < (size_t)DIRECT_CONNS_PER_THREAD * nthreads)
		return;
	if ((k = conn_of(r->conn)) == NULL || k->fd < 0)
		return;
	r->parked = false;
	cfg->on_request(r);
	if (r->parked)
		fatal("server",
		    "error=\"a request parked again off its "
		    "thread\" path=%s",
		    r->path);
	r->finished = true;
	keep = direct_keep(r) && !atomic_load(&draining);
	buf_init(&b);
	if (direct_format(r, keep, &b) == 0 &&
	    (sent = direct_send(k->fd, b.data, b.len)) != -1) {
		r->replied = true;
		/* The end of the reply, at once, when the connection does not
		 * go on: the client need not wait for the request thread. */
		if (sent == 0 && (!keep || handover(r, k) == -1))
			(void)shutdown(k->fd, SHUT_WR);
		access_log(r, r->out.len);
	}
	buf_reset(&b);
}

/* 503 for a request that arrives while the server stops; the connection
 * closes, so the client's next try reaches a node that serves. */
static enum MHD_Result
reply_stopping(struct request *r)
{
	r->status = 503;
	r->content_type = "text/plain; charset=utf-8";
	buf_puts(&r->out, "Restarting: please try again in a moment.\n");
	http_header_add(r, "Retry-After", "1");
	http_header_add(r, "Connection", "close");
	return reply(r);
}

/* The most body bytes read for r, kept or dropped. */
static size_t
drain_max(const struct request *r)
{
	return r->body_max > DRAIN_MAX ? r->body_max : DRAIN_MAX;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct request *r = *con_cls;

	(void)cls;
	if (r == NULL) {
		struct conn *k = conn_of(c);
		const char *cl;

		/* Found over a cap as it started (on_connection(), on this
		 * thread): its request is not served. */
		if (k != NULL && k->refused) {
			letting_go = true;
			return MHD_NO;
		}
		if ((r = request_new(c, url, method, version)) == NULL)
			return MHD_NO;
		*con_cls = r;
		r->body_max = cfg->body_max != NULL ?
		    cfg->body_max(r->method, r->path, cfg->max_body) :
		    cfg->max_body;
		phase_set(k, PHASE_BODY);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > r->body_max) {
			r->body_too_large = true;
			/* A body of a few megabytes is read and dropped, so the
			 * client, still sending, does not meet a reset before
			 * it reads the 413. A larger one is answered at once
			 * and the connection closed. */
			if (strtoull(cl, NULL, 10) > drain_max(r)) {
				cfg->on_request(r);
				return reply(r);
			}
		}
		/* Reply on a later call: replying now costs keep-alive. */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* A body trickled in past its deadline: close now rather
		 * than at the reaper's next round. */
		if (phase_set(conn_of(c), PHASE_BODY) >
		    (int64_t)cfg->body_timeout * 1000)
			return MHD_NO;
		r->body_seen += *upload_size;
		if (r->body_seen > drain_max(r))
			return MHD_NO; /* no more draining: close */
		if (!r->body_too_large) {
			if (r->body.len + *upload_size > r->body_max) {
				r->body_too_large = true;
				buf_reset(&r->body);
			} else {
				buf_append(&r->body, upload, *upload_size);
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!buf_ok(&r->body))
		return MHD_NO;
	if (r->replied) {
		/* Its reply went out from the thread that finished it
		 * (mhd_finish()): this connection ends without a word, its
		 * socket gone on as a new one (or shut down). */
		letting_go = true;
		return MHD_NO;
	}
	if (r->finished)
		return reply(r);
	/* A request resumed from parking (job set) finishes even now. */
	if (r->job == NULL && atomic_load(&draining))
		return reply_stopping(r);
	r->parked = false;
	/* Relaxed: no other thread looks before the handler parks r, and
	 * parking hands r over under the queue's lock. */
	atomic_store_explicit(&r->let_go, false, memory_order_relaxed);
	phase_set(conn_of(c), PHASE_BUSY);
	cfg->on_request(r);
	if (r->parked) {
		/* This thread is done with r until it is resumed: the thread
		 * that decides its fate may finish it now (mhd_finish()). */
		atomic_store_explicit(&r->let_go, true, memory_order_release);
		return MHD_YES;
	}
	if (r->detached) {
		/* The handler has the socket: the library closes its own
		 * descriptor and sends nothing. */
		access_log(r, r->out.len);
		letting_go = true;
		return MHD_NO;
	}
	return reply(r);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	if (letting_go)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '"' || msg[i] == '\n')
			msg[i] = '\'';
	log_warn("mhd", "msg=\"%s\"", msg);
}

/* libmicrohttpd's last word before it aborts (a broken invariant of its
 * own, or one holos broke, such as a connection still parked when the
 * daemon stops): said in the log, where the operator looks. */
static void
on_mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	char msg[256];
	size_t i;

	(void)cls;
	snprintf(msg, sizeof(msg), "%s", reason != NULL ? reason : "");
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] == '"' || msg[i] == '\n')
			msg[i] = ' ';
	log_error("mhd", "event=panic file=%s line=%u error=\"%s\"",
	    file != NULL ? file : "?", line, msg);
	abort();
}

/* Parses HOST:PORT or [V6]:PORT into a socket address. */
static int
listen_addr(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL;
	char host[256], *port;
	int e;

	if (strlen(listen) >= sizeof(host))
		return -1;
	strcpy(host, listen);
	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		*close = '\0';
		port = close + 2;
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		if ((port = strrchr(host, ':')) == NULL)
			return -1;
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		log_error("server", "listen=%s error=\"%s\"", listen,
		    gai_strerror(e));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void
server_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Starts a daemon listening on ss with threads request threads, serving
 * as cfg says (post: the second listener). Returns it, or NULL (the
 * reason logged under listen). */
static struct MHD_Daemon *
daemon_open(const char *listen, const struct sockaddr_storage *ss,
    unsigned threads, bool post)
{
	struct MHD_Daemon *d;
	struct MHD_OptionItem pool[2] = { { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL } };

	/* One thread is the daemon's own, without a pool: libmicrohttpd
	 * warns of a pool of one (or none). */
	pool[0].option =
	    threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END;
	pool[0].value = (intptr_t)threads;
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_TURBO |
		(ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, on_accept, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
	    on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
	    MHD_OPTION_ARRAY, pool, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)cfg->conn_memory, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)cfg->max_conns,
	    /* Per address and per network in on_accept(), a trusted
	     * proxy exempt: not the library's own count per address. */
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->idle_timeout,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection,
	    post ? (void *)post_mark : NULL,
	    /* libmicrohttpd's own default, SO_REUSEADDR: a restart listens
	     * at once, but not SO_REUSEPORT, with which a second holos
	     * started on the same address by mistake would silently take
	     * a share of the connections (and show counts of its own). */
	    MHD_OPTION_END);
	if (d == NULL)
		log_error("server", "listen=%s error=\"cannot listen (%s)\"",
		    listen, strerror(errno));
	return d;
}

/* Stops both daemons (each may be NULL) and frees what server_start()
 * set up. */
static void
daemons_close(void)
{
	if (daemon_post != NULL)
		MHD_stop_daemon(daemon_post);
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	daemon_post = daemon_ = NULL;
	connlimit_free(&limits);
	inert_close();
}

int
server_start(const struct server_config *c)
{
	struct sockaddr_storage ss, ps;
	socklen_t sslen, pslen;
	unsigned threads = c->threads;

	if (listen_addr(c->listen, &ss, &sslen) == -1) {
		log_error("server", "listen=%s error=\"expected HOST:PORT\"",
		    c->listen);
		return -1;
	}
	if (c->listen_post != NULL) {
		if (listen_addr(c->listen_post, &ps, &pslen) == -1) {
			log_error("server",
			    "listen_post=%s error=\"expected HOST:PORT\"",
			    c->listen_post);
			return -1;
		}
		/* Said in so many words, rather than as an address in
		 * use. */
		if (pslen == sslen && memcmp(&ps, &ss, sslen) == 0) {
			log_error("server",
			    "listen_post=%s error=\"the same address as "
			    "--listen\"",
			    c->listen_post);
			return -1;
		}
	}
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		inert) == -1) {
		log_error("server", "error=\"socketpair: %s\"", strerror(errno));
		return -1;
	}
	cfg = c;
	nthreads = threads;
	atomic_store(&draining, false);
	MHD_set_panic_func(on_mhd_panic, NULL);
	connlimit_init(&limits, c->per_ip, c->per_net);
	if ((daemon_ = daemon_open(c->listen, &ss, threads, false)) == NULL ||
	    (c->listen_post != NULL &&
		(daemon_post = daemon_open(c->listen_post, &ps, 1, true)) ==
		    NULL)) {
		daemons_close();
		return -1;
	}
	reaper.interval_ms = REAP_MS;
	if (ticker_start(&reaper) == -1) {
		daemons_close();
		return -1;
	}
	if (c->announce != NULL) {
		printf("%s\n", c->announce);
		fflush(stdout);
	}
	log_info("server",
	    "listen=%s listen_post=%s threads=%u max_body=%zu "
	    "idle_timeout=%u header_timeout=%u body_timeout=%u per_ip=%u "
	    "per_net=%u",
	    c->listen, c->listen_post != NULL ? c->listen_post : "-", threads,
	    c->max_body, c->idle_timeout, c->header_timeout, c->body_timeout,
	    c->per_ip, c->per_net);
	return 0;
}

int
server_wait(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	log_info("server", "event=shutdown signal=%d inflight=%d", sig,
	    atomic_load(&inflight));
	return sig;
}

void
server_stop(void)
{
	int i;

	if (daemon_ == NULL)
		return;
	/* Refuse new connections (on_accept()) and new requests
	 * (reply_stopping()); let those being handled finish. Not
	 * MHD_quiesce_daemon(): with a thread pool it takes the listening
	 * socket out of each worker's epoll set while the worker may be
	 * doing the same (at its connection limit), and libmicrohttpd 0.9.75
	 * aborts when the second removal fails. MHD_stop_daemon() closes the
	 * listening socket once its threads are gone. */
	atomic_store(&draining, true);
	for (i = 0; i < 1000 && atomic_load(&inflight) > 0; i++)
		usleep(10000);
	/* No shutdown() from the reaper once the daemon closes sockets. */
	ticker_stop(&reaper);
	daemons_close();
	log_info("server", "event=stopped");
}
