/* rateload.c - fixed-rate open-loop HTTP load, free of coordinated omission. */

/* HTTP/1.1 over keep-alive connections, GETs or unique sign POSTs; each
 * latency is measured from the request's intended send time, so a server
 * that stalls cannot hide the stall by slowing the generator down. With
 * -f, the POSTs come from a file of bench/spikeprep.c (PATH TAB
 * X-FORWARDED-FOR TAB BODY a line), and -l writes when each was answered:
 * "LINE REALTIME_NS STATUS" a line, LINE counting from 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define HEAD_MAX 16384 /* largest response head we accept */
#define REQ_MAX 2048
#define DRAIN_SECONDS 10 /* wait this long for replies after the run */

enum cstate { C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
	int fd;
	enum cstate state;
	char req[REQ_MAX];
	size_t req_len, req_off;
	char head[HEAD_MAX];
	size_t head_len;
	int head_done;
	long body_left;
	int status;
	int close_after;
	int64_t intended; /* ns, CLOCK_MONOTONIC */
	long n;		  /* the request's number */
};

static struct {
	struct sockaddr_in addr;
	const char *host;
	const char *path; /* GET path, or the petition slug to sign */
	const char *token;
	const char *run;
	int sign;
	double rate, seconds;
	int nconns;
	int epfd;
	struct conn *conns;
	int *idle; /* FIFO ring of idle connection indexes */
	int idle_head, idle_len;
	double *lat_ms; /* one per completed request */
	long completed, sent, errors, reconnects;
	long status[600];
	double lag_max_ms; /* how late the generator itself sent */
	long lag_over_1ms;
	char **reqs; /* -f: the requests' lines */
	long nreqs;
	FILE *log; /* -l */
} g;

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void
die(const char *msg)
{
	fprintf(stderr, "rateload: %s: %s\n", msg, strerror(errno));
	exit(1);
}

static void
idle_push(int i)
{
	g.idle[(g.idle_head + g.idle_len) % g.nconns] = i;
	g.idle_len++;
	g.conns[i].state = C_IDLE;
}

static int
idle_pop(void)
{
	int i = g.idle[g.idle_head];

	g.idle_head = (g.idle_head + 1) % g.nconns;
	g.idle_len--;
	return i;
}

static void
ep_set(int i, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)i };

	if (epoll_ctl(g.epfd, EPOLL_CTL_MOD, g.conns[i].fd, &ev) == -1)
		die("epoll_ctl");
}

static void
conn_open(int i)
{
	struct conn *c = &g.conns[i];
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&g.addr, sizeof(g.addr)) == -1 &&
	    errno != EINPROGRESS)
		die("connect");
	c->state = C_CONNECTING;
	if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		die("epoll_ctl");
}

/* Drops a connection and opens a new one in its place. A request it
 * carried counts as an error. Idle connections the server closed (idle
 * timeout) are no error. */
static void
conn_reset(int i, int was_error)
{
	struct conn *c = &g.conns[i];

	if (c->state == C_IDLE) { /* take it out of the idle ring */
		int n = g.idle_len;

		for (int k = 0; k < n; k++) {
			int j = idle_pop();

			if (j != i)
				idle_push(j);
		}
	}
	if (c->state == C_BUSY && was_error)
		g.errors++;
	epoll_ctl(g.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	g.reconnects++;
	conn_open(i);
}

static void
build_request(struct conn *c, long n)
{
	int len;

	if (g.reqs != NULL) {
		char *line = g.reqs[n % g.nreqs], *xff, *body;

		xff = strchr(line, '\t');
		body = xff != NULL ? strchr(xff + 1, '\t') : NULL;
		if (body == NULL) {
			fprintf(stderr, "rateload: malformed line %ld\n", n);
			exit(1);
		}
		len = snprintf(c->req, sizeof(c->req),
		    "POST %.*s HTTP/1.1\r\nHost: %s\r\n"
		    "X-Forwarded-For: %.*s\r\nContent-Type: "
		    "application/x-www-form-urlencoded\r\nContent-Length: %zu"
		    "\r\n\r\n%s",
		    (int)(xff - line), line, g.host, (int)(body - xff - 1),
		    xff + 1, strlen(body + 1), body + 1);
	} else if (!g.sign) {
		len = snprintf(c->req, sizeof(c->req),
		    "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\n\r\n",
		    g.path, g.host);
	} else {
		char body[1024];
		int blen = snprintf(body, sizeof(body),
		    "first_name=Benchmark"
		    "&last_name=Signatory-Loadtest&country=UA&csrf=%s"
		    "&email=rl-%s-%ld%%40example.org",
		    g.token, g.run, n);

		len = snprintf(c->req, sizeof(c->req),
		    "POST /p/%s/sign "
		    "HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		    "application/x-www-form-urlencoded\r\nContent-Length: %d"
		    "\r\n\r\n%s",
		    g.path, g.host, blen, body);
	}
	if (len < 0 || (size_t)len >= sizeof(c->req)) {
		fprintf(stderr, "rateload: request too long\n");
		exit(1);
	}
	c->req_len = (size_t)len;
	c->req_off = 0;
	c->n = n;
}

static void
conn_write(int i)
{
	struct conn *c = &g.conns[i];

	while (c->req_off < c->req_len) {
		ssize_t n =
		    write(c->fd, c->req + c->req_off, c->req_len - c->req_off);

		if (n == -1 && errno == EAGAIN) {
			ep_set(i, EPOLLIN | EPOLLOUT);
			return;
		}
		if (n <= 0) {
			conn_reset(i, 1);
			return;
		}
		c->req_off += (size_t)n;
	}
	ep_set(i, EPOLLIN);
}

static void
send_on(int i, int64_t intended, long n)
{
	struct conn *c = &g.conns[i];
	double lag = (double)(now_ns() - intended) / 1e6;

	if (lag > g.lag_max_ms)
		g.lag_max_ms = lag;
	if (lag > 1.0)
		g.lag_over_1ms++;
	build_request(c, n);
	c->state = C_BUSY;
	c->intended = intended;
	c->head_len = 0;
	c->head_done = 0;
	c->body_left = 0;
	c->status = 0;
	c->close_after = 0;
	g.sent++;
	conn_write(i);
}

/* Parses a complete response head. Returns 0, or -1 when malformed. */
static int
head_parse(struct conn *c)
{
	char *p, *line, *end = c->head + c->head_len;
	int have_len = 0;

	if (c->head_len < 12 || strncmp(c->head, "HTTP/1.", 7) != 0)
		return -1;
	c->status = atoi(c->head + 9);
	if (c->status < 100 || c->status > 599)
		return -1;
	for (line = memchr(c->head, '\n', c->head_len);
	     line != NULL && line + 1 < end;
	     line = memchr(line + 1, '\n', (size_t)(end - line - 1))) {
		p = line + 1;
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			c->body_left = atol(p + 15);
			have_len = 1;
		} else if (strncasecmp(p, "Transfer-Encoding:", 18) == 0) {
			fprintf(stderr,
			    "rateload: chunked replies are not "
			    "supported\n");
			exit(1);
		} else if (strncasecmp(p, "Connection:", 11) == 0) {
			const char *v = p + 11;

			while (*v == ' ')
				v++;
			if (strncasecmp(v, "close", 5) == 0)
				c->close_after = 1;
		}
	}
	if (!have_len && c->status != 304 && c->status != 204)
		c->close_after = 1; /* body runs to close: unsupported */
	return 0;
}

static void
complete(int i)
{
	struct conn *c = &g.conns[i];

	g.lat_ms[g.completed++] = (double)(now_ns() - c->intended) / 1e6;
	g.status[c->status]++;
	if (g.log != NULL) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		fprintf(g.log, "%ld %lld %d\n", c->n,
		    (long long)t.tv_sec * 1000000000LL + t.tv_nsec, c->status);
	}
	if (c->close_after) {
		c->state = C_IDLE;
		conn_reset(i, 0);
		return;
	}
	idle_push(i);
}

/* One read per readiness event: epoll is level-triggered, so whatever is
 * left is reported again, and a connection replaced on the way is never
 * read by mistake. */
static void
conn_read(int i)
{
	struct conn *c = &g.conns[i];
	char buf[65536];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	size_t off = 0;

	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0 || c->state != C_BUSY) { /* closed, or bytes unasked */
		conn_reset(i, c->state == C_BUSY);
		return;
	}
	while (off < (size_t)n) {
		if (!c->head_done) {
			char *e;
			size_t take = (size_t)n - off;

			if (take > HEAD_MAX - 1 - c->head_len)
				take = HEAD_MAX - 1 - c->head_len;
			memcpy(c->head + c->head_len, buf + off, take);
			c->head[c->head_len + take] = '\0';
			if ((e = strstr(c->head, "\r\n\r\n")) == NULL) {
				c->head_len += take;
				off += take;
				if (c->head_len == HEAD_MAX - 1)
					conn_reset(i, 1);
				return;
			}
			/* Consume only up to the end of the head. */
			take = (size_t)(e + 4 - c->head) - c->head_len;
			c->head_len += take;
			off += take;
			c->head_done = 1;
			if (head_parse(c) == -1) {
				conn_reset(i, 1);
				return;
			}
		}
		if (c->body_left > 0) {
			size_t take = (size_t)n - off;

			if ((long)take > c->body_left)
				take = (size_t)c->body_left;
			c->body_left -= (long)take;
			off += take;
		}
		if (c->body_left > 0)
			return;
		complete(i);
		if (off < (size_t)n) { /* pipelining was never asked for */
			conn_reset(i, 0);
			return;
		}
	}
}

static void
on_event(struct epoll_event *ev)
{
	int i = (int)ev->data.u32;
	struct conn *c = &g.conns[i];

	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if ((ev->events & (EPOLLERR | EPOLLHUP)) ||
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			fprintf(stderr, "rateload: cannot connect to %s: %s\n",
			    g.host, strerror(err ? err : ECONNREFUSED));
			exit(1);
		}
		ep_set(i, EPOLLIN);
		idle_push(i);
		return;
	}
	if (ev->events & EPOLLIN)
		conn_read(i);
	else if (ev->events & (EPOLLERR | EPOLLHUP))
		conn_reset(i, c->state == C_BUSY);
	else if ((ev->events & EPOLLOUT) && c->state == C_BUSY)
		conn_write(i);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile over all requests, unanswered ones counting as
 * infinitely slow. */
static double
pct(long total, double p)
{
	long rank = (long)ceil(p / 100.0 * (double)total);

	if (rank < 1)
		rank = 1;
	return rank > g.completed ? INFINITY : g.lat_ms[rank - 1];
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rateload -a 127.0.0.1:PORT -r RATE -d SECONDS "
	    "[-c CONNS] (-g PATH | -s SLUG | -f FILE [-l LOG])\n"
	    "  -g PATH   GET PATH\n"
	    "  -s SLUG   POST /p/SLUG/sign with a unique email each; the form "
	    "token\n            comes from HOLOS_CSRF, the run tag from "
	    "HOLOS_RUN\n"
	    "  -f FILE   POST the requests of FILE (bench/spikeprep.c), one "
	    "each\n  -l LOG    write \"LINE REALTIME_NS STATUS\" for each "
	    "answer\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	char hostbuf[64];
	const char *addr = NULL, *reqfile = NULL, *logfile = NULL;
	int64_t t0, interval, end, deadline;
	long total, next = 0;
	int ch;

	g.nconns = 64;
	while ((ch = getopt(argc, argv, "a:r:d:c:g:s:f:l:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'r': g.rate = atof(optarg); break;
		case 'd': g.seconds = atof(optarg); break;
		case 'c': g.nconns = atoi(optarg); break;
		case 'g':
			g.path = optarg;
			g.sign = 0;
			break;
		case 's':
			g.path = optarg;
			g.sign = 1;
			break;
		case 'f': reqfile = optarg; break;
		case 'l': logfile = optarg; break;
		default: usage();
		}
	}
	if (reqfile != NULL) {
		FILE *f = fopen(reqfile, "r");
		char *line = NULL;
		size_t cap = 0, room = 0;
		ssize_t k;

		if (f == NULL)
			die(reqfile);
		while ((k = getline(&line, &cap, f)) > 0) {
			if (line[k - 1] == '\n')
				line[k - 1] = '\0';
			if ((size_t)g.nreqs == room) {
				room = room ? room * 2 : 65536;
				g.reqs = realloc(g.reqs, room * sizeof(char *));
				if (g.reqs == NULL)
					die("realloc");
			}
			if ((g.reqs[g.nreqs++] = strdup(line)) == NULL)
				die("strdup");
		}
		free(line);
		fclose(f);
		if (g.nreqs == 0) {
			fprintf(stderr, "rateload: %s is empty\n", reqfile);
			return 2;
		}
		g.path = reqfile;
	}
	if (logfile != NULL && (g.log = fopen(logfile, "w")) == NULL)
		die(logfile);
	if (addr == NULL || g.path == NULL || g.rate <= 0 || g.rate > 1e6 ||
	    g.seconds <= 0 || g.seconds > 3600 || g.nconns < 1 ||
	    g.nconns > MAX_CONNS)
		usage();
	{
		const char *colon = strrchr(addr, ':');

		if (colon == NULL || (size_t)(colon - addr) >= sizeof(hostbuf))
			usage();
		snprintf(hostbuf, sizeof(hostbuf), "%.*s", (int)(colon - addr),
		    addr);
		g.addr.sin_family = AF_INET;
		g.addr.sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, hostbuf, &g.addr.sin_addr) != 1) {
			fprintf(stderr, "rateload: %s is not an IPv4 address\n",
			    hostbuf);
			return 2;
		}
		g.host = addr;
	}
	if (g.sign) {
		g.token = getenv("HOLOS_CSRF");
		g.run = getenv("HOLOS_RUN");
		if (g.token == NULL || *g.token == '\0') {
			fprintf(stderr,
			    "rateload: set HOLOS_CSRF to a form "
			    "token\n");
			return 2;
		}
		if (g.run == NULL)
			g.run = "0";
	}
	signal(SIGPIPE, SIG_IGN);
	total = (long)(g.rate * g.seconds);
	g.conns = calloc((size_t)g.nconns, sizeof(*g.conns));
	g.idle = calloc((size_t)g.nconns, sizeof(*g.idle));
	g.lat_ms = calloc((size_t)total + 1, sizeof(*g.lat_ms));
	if (g.conns == NULL || g.idle == NULL || g.lat_ms == NULL)
		die("calloc");
	if ((g.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	for (int i = 0; i < g.nconns; i++)
		conn_open(i);
	/* Every connection up before the clock starts. */
	deadline = now_ns() + 5 * (int64_t)1000000000;
	while (g.idle_len < g.nconns) {
		int n = epoll_wait(g.epfd, evs, 256, 100);

		for (int k = 0; k < n; k++)
			on_event(&evs[k]);
		if (now_ns() > deadline) {
			fprintf(stderr,
			    "rateload: only %d of %d connections "
			    "opened in 5 s\n",
			    g.idle_len, g.nconns);
			return 1;
		}
	}
	g.reconnects = 0;
	interval = (int64_t)(1e9 / g.rate);
	t0 = now_ns();
	end = t0 + (int64_t)(g.seconds * 1e9);
	deadline = end + DRAIN_SECONDS * (int64_t)1000000000;
	for (;;) {
		int64_t now = now_ns(), wait_ns;
		struct timespec ts;
		int n;

		/* Send every request whose time has come, oldest first; one
		 * that finds no idle connection waits, and its latency keeps
		 * counting from its intended time. */
		while (next < total && t0 + next * interval <= now &&
		    g.idle_len > 0) {
			send_on(idle_pop(), t0 + next * interval, next);
			next++;
		}
		if (g.completed + g.errors >= total || now > deadline)
			break;
		wait_ns = next < total && g.idle_len > 0 ?
		    t0 + next * interval - now :
		    50000000;
		if (wait_ns < 0)
			wait_ns = 0;
		if (wait_ns > 50000000)
			wait_ns = 50000000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait_ns;
		n = epoll_pwait2(g.epfd, evs, 256, &ts, NULL);
		if (n == -1 && errno != EINTR)
			die("epoll_pwait2");
		for (int k = 0; k < n; k++)
			on_event(&evs[k]);
	}
	if (g.log != NULL && fclose(g.log) != 0)
		die("the log");
	if (g.reqs != NULL && total > g.nreqs)
		fprintf(stderr,
		    "rateload: %ld requests, %ld in the file: "
		    "some were sent twice\n",
		    total, g.nreqs);
	qsort(g.lat_ms, (size_t)g.completed, sizeof(double), cmp_double);
	printf("mode=%s path=%s rate=%.0f seconds=%.0f conns=%d requests=%ld "
	       "sent=%ld completed=%ld errors=%ld unanswered=%ld "
	       "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f "
	       "send_lag_max_ms=%.2f late_sends=%ld reconnects=%ld",
	    g.reqs != NULL ? "file" :
		g.sign	   ? "sign" :
			     "get",
	    g.path, g.rate, g.seconds, g.nconns, total, g.sent, g.completed,
	    g.errors, total - g.completed - g.errors, pct(total, 50),
	    pct(total, 90), pct(total, 99), pct(total, 99.9),
	    g.completed > 0 ? g.lat_ms[g.completed - 1] : INFINITY,
	    g.lag_max_ms, g.lag_over_1ms, g.reconnects);
	for (int s = 100; s < 600; s++)
		if (g.status[s] > 0)
			printf(" status_%d=%ld", s, g.status[s]);
	printf("\n");
	return 0;
}
