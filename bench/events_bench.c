/* events_bench.c - the live count under 10,000 open event streams: a client
 * that opens N streams of /p/SLUG/events on a running holos (its pid given,
 * for its memory), waits for each first event, signs once (the server runs
 * with --count-on-sign) and times the change's arrival on every stream;
 * then runs wrk on the petition page with the streams still open. bench/
 * events.sh starts the server, runs wrk without streams first and keeps
 * the figures.
 *
 *   events_bench PORT PID SLUG N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct stream {
	int fd;
	int events; /* data lines seen */
	long count; /* the last count seen */
	size_t used;
	char buf[1024];
};

static int port;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

static int
dial(const char *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (src != NULL) {
		struct sockaddr_in me = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &me.sin_addr);
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
			close(fd);
			return -1;
		}
	}
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A whole plain HTTP exchange (Connection: close); the reply into out. */
static int
exchange(const char *req, size_t len, char *out, size_t cap)
{
	size_t used = 0;
	ssize_t n;
	int fd = dial(NULL);

	if (fd < 0 || write(fd, req, len) != (ssize_t)len)
		return -1;
	while (used + 1 < cap && (n = read(fd, out + used, cap - used - 1)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(fd);
	return 0;
}

/* Signs the petition once; returns 0 when the server answered 303. */
static int
sign(const char *slug, int i)
{
	static char page[1 << 20];
	char req[4096], body[1024], csrf[512];
	const char *p;
	int n, m;

	n = snprintf(req, sizeof(req),
	    "GET /p/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	    slug);
	if (exchange(req, (size_t)n, page, sizeof(page)) == -1 ||
	    (p = strstr(page, "name=\"csrf\" value=\"")) == NULL)
		return -1;
	p += strlen("name=\"csrf\" value=\"");
	m = (int)strcspn(p, "\"");
	if (m <= 0 || m >= (int)sizeof(csrf))
		return -1;
	memcpy(csrf, p, (size_t)m);
	csrf[m] = '\0';
	m = snprintf(body, sizeof(body),
	    "first_name=Bench&last_name=Events&email=events-%d-%ld%%40example.org"
	    "&country=DE&csrf=%s",
	    i, (long)time(NULL), csrf);
	n = snprintf(req, sizeof(req),
	    "POST /p/%s/sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
	    slug, m, body);
	if (exchange(req, (size_t)n, page, sizeof(page)) == -1)
		return -1;
	return strncmp(page + 9, "303", 3) == 0 ? 0 : -1;
}

/* Reads what came on s; counts data lines and keeps the last count. */
static int
pump(struct stream *s)
{
	for (;;) {
		ssize_t n = recv(s->fd, s->buf + s->used,
		    sizeof(s->buf) - s->used - 1, MSG_DONTWAIT);
		char *line, *nl;

		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		s->used += (size_t)n;
		s->buf[s->used] = '\0';
		line = s->buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			if (strncmp(line, "data: ", 6) == 0) {
				char *c = strstr(line, "\"count\":");

				s->events++;
				if (c != NULL)
					s->count = atol(c + 8);
			}
			line = nl + 1;
		}
		s->used = strlen(line);
		memmove(s->buf, line, s->used + 1);
	}
}

/* Waits until every stream's count is at least want (or, with want -1,
 * every stream has an event); returns the milliseconds, -1 on timeout. */
static long long
wait_all(int ep, struct stream *st, int n, long want, long long ms)
{
	struct epoll_event evs[512];
	long long start = now_ms();
	int done = 0, i;

	for (i = 0; i < n; i++)
		if (want < 0 ? st[i].events > 0 : st[i].count >= want)
			done++;
	while (done < n) {
		int k = epoll_wait(ep, evs, 512, 100);

		if (now_ms() - start > ms)
			return -1;
		for (i = 0; i < k; i++) {
			struct stream *s = evs[i].data.ptr;
			bool before =
			    want < 0 ? s->events > 0 : s->count >= want;

			if (pump(s) == -1) {
				fprintf(stderr,
				    "events_bench: a stream ended\n");
				return -1;
			}
			if (!before &&
			    (want < 0 ? s->events > 0 : s->count >= want))
				done++;
		}
	}
	return now_ms() - start;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	struct stream *st;
	char req[512], src[32], cmd[512];
	long before, after, count;
	long long t0, took;
	int pid, n, ep, i, len;
	const char *slug;

	if (argc != 5) {
		fprintf(stderr, "usage: events_bench PORT PID SLUG N\n");
		return 2;
	}
	port = atoi(argv[1]);
	pid = atoi(argv[2]);
	slug = argv[3];
	n = atoi(argv[4]);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if ((st = calloc((size_t)n, sizeof(*st))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 1;
	len = snprintf(req, sizeof(req),
	    "GET /p/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Accept: text/event-stream\r\n\r\n",
	    slug);

	before = rss_kb(pid);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN,
			.data.ptr = &st[i] };

		/* A hundred streams per address, as many networks as that
		 * takes: each within the caps a site would set. */
		snprintf(src, sizeof(src), "127.%d.%d.%d", 1 + i / 25600,
		    (i / 100) % 256, 1 + i % 100);
		if ((st[i].fd = dial(src)) < 0 ||
		    write(st[i].fd, req, (size_t)len) != len) {
			fprintf(stderr, "events_bench: stream %d: %s\n", i,
			    strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, st[i].fd, &ev);
	}
	if ((took = wait_all(ep, st, n, -1, 120000)) < 0)
		return 1;
	printf("streams            %d opened, each with its first event, in "
	       "%lld ms\n",
	    n, now_ms() - t0);
	sleep(1);
	after = rss_kb(pid);
	printf("server RSS         %ld KiB before, %ld KiB with the streams: "
	       "%ld bytes per stream\n",
	    before, after, (after - before) * 1024 / n);

	count = st[0].count;
	t0 = now_ms();
	if (sign(slug, 0) == -1) {
		fprintf(stderr, "events_bench: cannot sign\n");
		return 1;
	}
	if ((took = wait_all(ep, st, n, count + 1, 30000)) < 0)
		return 1;
	printf("a count change     reached all %d streams %lld ms after the "
	       "signature was sent\n",
	    n, now_ms() - t0);

	snprintf(cmd, sizeof(cmd),
	    "wrk -t2 -c64 -d5s http://127.0.0.1:%d/p/%s | "
	    "sed -n 's/^Requests\\/sec: */page req\\/s with the streams open  /p'",
	    port, slug);
	fflush(stdout);
	if (system(cmd) != 0)
		return 1;
	for (i = 0; i < n; i++)
		close(st[i].fd);
	free(st);
	return 0;
}
