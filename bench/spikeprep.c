/* spikeprep.c - sign requests as browsers send them, prepared before a run. */

/* For each of N signers: GET the petition page from the signer's own
 * address (X-Forwarded-For, a different /24 network each), take the form
 * token out of the form, GET the proof-of-work challenge the form asks for
 * when touched (/p/SLUG/pow), solve it as static/pow.js does (SHA-256 over
 * "challenge:nonce" until the hash has the asked leading zero bits), and write
 * the POST the browser would send: one line per request, PATH TAB
 * X-FORWARDED-FOR TAB BODY, which bench/spike.lua (wrk) and bench/rateload -f
 * replay. Each email is unique (spike-TAG-N@example.org). The caller waits out
 * --min-form-seconds after this ends, as a person filling the form would.
 *
 *   spikeprep -a 127.0.0.1:PORT -s SLUG -n N -t TAG [-x FIRST_OCTET]
 *             [-j THREADS] > FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
/* SHA256_Init() and friends: deprecated in OpenSSL 3, but several times
 * faster here than SHA256(), which looks the digest up on every call. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_ 2048
#define BODY_MAX (4 << 20) /* the page is about 50 KB */

static struct {
	struct sockaddr_in addr;
	const char *host, *slug, *tag;
	long n;
	int first, threads;
	char **lines;
	long tries, solved;
	pthread_mutex_t lock;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
die(const char *msg)
{
	fprintf(stderr, "spikeprep: %s%s%s\n", msg, errno ? ": " : "",
	    errno ? strerror(errno) : "");
	exit(1);
}

static int
conn_open(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd == -1)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&g.addr, sizeof(g.addr)) == -1)
		die("connect");
	return fd;
}

/* The signer's address: network FIRST+i/65536 . i/256 . i, host 1-250. */
static void
xff_of(long i, char out[32])
{
	snprintf(out, 32, "%ld.%ld.%ld.%ld", g.first + (i >> 16),
	    (i >> 8) & 255, i & 255, 1 + i % 250);
}

/* Reads one response (head and Content-Length body) into buf; returns the
 * body's length and its status, or -1. */
static long
get_page(int fd, char *buf, int *status)
{
	size_t have = 0;
	long clen = -1;
	char *e = NULL;

	for (;;) {
		ssize_t k;

		if (e == NULL) {
			buf[have] = '\0';
			e = strstr(buf, "\r\n\r\n");
			if (e != NULL) {
				char *p = strcasestr(buf, "\r\nContent-Length:");

				if (p == NULL || p > e)
					return -1;
				clen = atol(p + 17);
				*status = atoi(buf + 9);
			}
		}
		if (e != NULL && (long)have >= (long)(e + 4 - buf) + clen) {
			long off = e + 4 - buf;

			memmove(buf, e + 4, (size_t)clen);
			buf[clen] = '\0';
			if ((long)have != off + clen)
				return -1; /* pipelining was never asked for */
			return clen;
		}
		if (have >= BODY_MAX - 1)
			return -1;
		k = read(fd, buf + have, BODY_MAX - 1 - have);
		if (k <= 0)
			return -1;
		have += (size_t)k;
	}
}

/* The value of the input named name in the page, or NULL. */
static int
field(const char *page, const char *name, char *out, size_t cap)
{
	char pat[64];
	const char *p, *q;

	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	if ((p = strstr(page, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

static void
urlenc(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static int
zero_bits(const unsigned char *h)
{
	int bits = 0;

	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		if (h[i] == 0) {
			bits += 8;
			continue;
		}
		for (unsigned char m = 0x80; m && !(h[i] & m); m >>= 1)
			bits++;
		break;
	}
	return bits;
}

/* The first nonce that gives the challenge its leading zero bits, as
 * static/pow.js counts them. */
static long
solve(const char *ch, long *tries)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char msg[512];
	const char *p = ch;
	size_t base;
	int bits;

	for (int dots = 0; dots < 2 && p != NULL; dots++)
		if ((p = strchr(p, '.')) != NULL)
			p++;
	if (p == NULL)
		return -1;
	bits = atoi(p);
	base = (size_t)snprintf(msg, sizeof(msg), "%s:", ch);
	if (base >= sizeof(msg) - 24)
		return -1;
	for (long nonce = 0;; nonce++) {
		int k = snprintf(msg + base, 24, "%ld", nonce);
		SHA256_CTX c;

		SHA256_Init(&c);
		SHA256_Update(&c, msg, base + (size_t)k);
		SHA256_Final(h, &c);
		if (zero_bits(h) >= bits) {
			*tries += nonce + 1;
			return nonce;
		}
	}
}

/* GETs /p/SLUG followed by suffix as a browser at xff would, into page
 * (the body); reopens *fd once when the server closed a kept-alive
 * connection. Returns the body's length and its status, or -1. */
static long
fetch(int *fd, char *page, int *status, const char *suffix, const char *xff)
{
	char req[1024];
	int len;
	long n;

	len = snprintf(req, sizeof(req),
	    "GET /p/%s%s HTTP/1.1\r\nHost: %s\r\n"
	    "X-Forwarded-For: %s\r\nAccept-Language: en\r\n\r\n",
	    g.slug, suffix, g.host, xff);
	if (write(*fd, req, (size_t)len) == len &&
	    (n = get_page(*fd, page, status)) >= 0)
		return n;
	close(*fd);
	*fd = conn_open();
	if (write(*fd, req, (size_t)len) != len)
		return -1;
	return get_page(*fd, page, status);
}

static void *
worker(void *arg)
{
	long t = (long)(intptr_t)arg, tries = 0;
	char *page = malloc(BODY_MAX), xff[32], csrf[256], pow[256];
	char ecsrf[768], epow[768], line[LINE_MAX_];
	int fd = conn_open();

	if (page == NULL)
		die("malloc");
	for (long i = t; i < g.n; i += g.threads) {
		int len, status = 0;
		long nonce;

		xff_of(i, xff);
		if (fetch(&fd, page, &status, "", xff) < 0 || status != 200 ||
		    field(page, "csrf", csrf, sizeof(csrf))) {
			errno = 0;
			die("no form token in the petition page");
		}
		/* The page holds no challenge: the form asks for one when
		 * touched, as static/pow.js does. */
		if ((len = (int)fetch(&fd, page, &status, "/pow", xff)) < 0 ||
		    status != 200 || len == 0 || (size_t)len >= sizeof(pow)) {
			errno = 0;
			die("no proof-of-work challenge (is --pow-bits 0?)");
		}
		memcpy(pow, page, (size_t)len + 1);
		if ((nonce = solve(pow, &tries)) < 0) {
			errno = 0;
			die("malformed challenge");
		}
		urlenc(csrf, ecsrf, sizeof(ecsrf));
		urlenc(pow, epow, sizeof(epow));
		len = snprintf(line, sizeof(line),
		    "/p/%s/sign\t%s\tcsrf=%s&pow=%s&pow_nonce=%ld&website="
		    "&first_name=Benchmark&last_name=Signatory-Spike"
		    "&email=spike-%s-%ld%%40example.org&country=UA&comment=\n",
		    g.slug, xff, ecsrf, epow, nonce, g.tag, i);
		if (len < 0 || len >= (int)sizeof(line) ||
		    (g.lines[i] = strdup(line)) == NULL)
			die("line too long or no memory");
	}
	close(fd);
	free(page);
	pthread_mutex_lock(&g.lock);
	g.tries += tries;
	pthread_mutex_unlock(&g.lock);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: spikeprep -a 127.0.0.1:PORT -s SLUG -n N -t TAG "
	    "[-x FIRST_OCTET] [-j THREADS] > FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *addr = NULL;
	static char hostbuf[64];
	pthread_t th[64];
	struct timespec a, b;
	int ch;

	g.first = 20;
	g.threads = 2;
	while ((ch = getopt(argc, argv, "a:s:n:t:x:j:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 's': g.slug = optarg; break;
		case 'n': g.n = atol(optarg); break;
		case 't': g.tag = optarg; break;
		case 'x': g.first = atoi(optarg); break;
		case 'j': g.threads = atoi(optarg); break;
		default: usage();
		}
	}
	if (addr == NULL || g.slug == NULL || g.tag == NULL || g.n < 1 ||
	    g.n > 4000000 || g.threads < 1 || g.threads > 64 || g.first < 1 ||
	    g.first + (g.n >> 16) > 126)
		usage();
	{
		const char *colon = strrchr(addr, ':');

		if (colon == NULL || (size_t)(colon - addr) >= sizeof(hostbuf))
			usage();
		snprintf(hostbuf, sizeof(hostbuf), "%.*s", (int)(colon - addr),
		    addr);
		g.addr.sin_family = AF_INET;
		g.addr.sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, hostbuf, &g.addr.sin_addr) != 1)
			usage();
		g.host = addr;
	}
	if ((g.lines = calloc((size_t)g.n, sizeof(*g.lines))) == NULL)
		die("calloc");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long t = 0; t < g.threads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t))
			die("pthread_create");
	for (int t = 0; t < g.threads; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	for (long i = 0; i < g.n; i++) {
		fputs(g.lines[i], stdout);
		free(g.lines[i]);
	}
	if (fflush(stdout) != 0)
		die("write");
	fprintf(stderr, "prepared=%ld seconds=%.1f hashes_per_solution=%.0f\n",
	    g.n,
	    (double)(b.tv_sec - a.tv_sec) +
		(double)(b.tv_nsec - a.tv_nsec) / 1e9,
	    (double)g.tries / (double)g.n);
	return 0;
}
