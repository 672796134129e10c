/* e2e_slow.c - end-to-end tests of slow clients: a request head or body
 * trickled a byte at a time is cut off at its deadline (not kept alive by
 * each byte), many slow connections from one network leave room for
 * everyone else, a server filled by slow connections from many networks
 * frees itself within seconds, and the refusals do not flood the log. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Connects to s from the loopback address src (NULL: any). Returns the
 * socket or -1. */
static int
dial(const struct server *s, const char *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (src != NULL) {
		struct sockaddr_in me = { .sin_family = AF_INET };
		inet_pton(AF_INET, src, &me.sin_addr);
		if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0) {
			close(fd);
			return -1;
		}
	}
	sa.sin_port = htons((uint16_t)s->port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the server has closed fd (end of stream or reset), waiting ms
 * at most; bytes that come are dropped. */
static bool
closed_within(int fd, long ms)
{
	long long end = now_ms() + ms;
	char buf[4096];
	for (;;) {
		long left = (long)(end - now_ms());
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}

/* Sends text a byte every gap_ms until the server closes the connection
 * or limit_ms pass; returns the milliseconds until it closed, or -1. */
static long
trickle(int fd, const char *text, long gap_ms, long limit_ms)
{
	long long start = now_ms();
	size_t i = 0, n = strlen(text);
	while (now_ms() - start < limit_ms) {
		if (i < n && send(fd, text + i, 1, MSG_NOSIGNAL) != 1)
			return (long)(now_ms() - start);
		i++;
		if (closed_within(fd, gap_ms))
			return (long)(now_ms() - start);
	}
	return -1;
}

/* GET path from src with a new connection; returns the status, 0 when
 * none came within ms. Sets *took to the milliseconds it took. */
static int
get_from(const struct server *s, const char *src, const char *path, long ms,
    long *took)
{
	long long start = now_ms();
	char buf[256];
	int code = 0;
	int fd = dial(s, src);
	struct hbuf req = { 0 };
	hbuf_printf(&req,
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	    path);
	if (fd >= 0) {
		if (send(fd, req.data, req.len, MSG_NOSIGNAL) ==
		    (ssize_t)req.len) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (poll(&p, 1, (int)ms) > 0) {
				ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
				if (got > 12) {
					buf[got] = '\0';
					code = atoi(buf + 9);
				}
			}
		}
		close(fd);
	}
	hbuf_free(&req);
	*took = (long)(now_ms() - start);
	return code;
}

/* The same, trying again (a new connection each time) until an answer
 * comes or ms pass; returns the status, 0 when none came. */
static int
get_retry(const struct server *s, const char *src, const char *path, long ms,
    long *took)
{
	long long start = now_ms();
	int code = 0;
	long one;
	while (code == 0 && now_ms() - start < ms) {
		code = get_from(s, src, path, 1000, &one);
		if (code == 0)
			pause_ms(50);
	}
	*took = (long)(now_ms() - start);
	return code;
}

static void
test_trickled_head_cut(void **state)
{
	(void)state;
	static const char *const args[] = { "--header-timeout", "2",
		"--idle-timeout", "15", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	/* A byte every 700 ms is never idle for the 15 s timeout. */
	int fd = dial(s, NULL);
	assert_true(fd >= 0);
	long ms = trickle(fd,
	    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
	    700, 10000);
	close(fd);
	printf("# a trickled head was cut after %ld ms\n", ms);
	if (ms < 0 || ms > 4500)
		fail_msg("a trickled head lived %ld ms (deadline 2 s)", ms);
	/* A kept-alive connection is not cut while its reply is read, and
	 * an ordinary request is untouched. */
	long took;
	assert_int_equal(get_from(s, NULL, "/healthz", 5000, &took), 200);
	assert_int_equal(server_free(s), 0);
}

static void
test_trickled_body_cut(void **state)
{
	(void)state;
	static const char *const args[] = { "--body-timeout", "2",
		"--idle-timeout", "15", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	int fd = dial(s, NULL);
	assert_true(fd >= 0);
	static const char head[] =
	    "POST /p/" SEED_SLUG "/sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 1000\r\n\r\n";
	assert_int_equal(send(fd, head, sizeof head - 1, MSG_NOSIGNAL),
	    (ssize_t)(sizeof head - 1));
	long ms = trickle(fd,
	    "first_name=Sloooooooooooooooooooooooooooooooooooooooooooooooow",
	    700, 10000);
	close(fd);
	printf("# a trickled body was cut after %ld ms\n", ms);
	if (ms < 0 || ms > 4500)
		fail_msg("a trickled body lived %ld ms (deadline 2 s)", ms);
	/* A 10 KB query and an ordinary form still work. */
	char path[11000];
	memset(path, 'a', sizeof path);
	memcpy(path, "/?q=", 4);
	path[10004] = '\0';
	long took;
	int code = get_from(s, NULL, path, 5000, &took);
	if (code != 200 && code != 404)
		fail_msg("a 10 KB query: status %d", code);
	assert_int_equal(server_free(s), 0);
}

/* Closes those of fds[0..n) the server has closed; returns how many
 * are still open. */
static int
slow_count(int *fds, int n)
{
	int kept = 0;
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (closed_within(fds[i], 1)) {
			close(fds[i]);
			fds[i] = -1;
		} else {
			kept++;
		}
	}
	return kept;
}

/* Opens n connections from src that start a request and then send a
 * header line every second (from slowloris_tick()); returns how many the
 * server kept open. With barrier (an address of another network), a
 * request from there is answered first: the server accepts in order, so
 * by then it has seen, and capped, every connection opened before it
 * however slowly a loaded machine runs it. Without (the server may be
 * full), a pause stands in. */
static int
slow_open(const struct server *s, const char *src, int *fds, int n,
    const char *barrier)
{
	for (int i = 0; i < n; i++) {
		fds[i] = dial(s, src);
		if (fds[i] < 0)
			continue;
		static const char start[] = "GET / HTTP/1.1\r\nHost: x\r\n";
		if (send(fds[i], start, sizeof start - 1, MSG_NOSIGNAL) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	pause_ms(300);
	if (barrier != NULL) {
		long took;
		if (get_from(s, barrier, "/healthz", 10000, &took) != 200)
			fail_msg("no answer to %s within 10 s", barrier);
	}
	return slow_count(fds, n);
}

static void
slow_tick(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 &&
		    send(fds[i], "X-a: b\r\n", 8, MSG_NOSIGNAL) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

static void
slow_close(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

#define PER_ADDR 32
#define ATTACKERS 4

static void
test_one_network_leaves_room(void **state)
{
	(void)state;
	/* Four addresses of one /24, each within its own cap, together
	 * more than the network may hold; the server could hold them all
	 * but for that cap. */
	static const char *const args[] = { "--max-connections", "400",
		"--per-ip-limit", "32", "--per-net-limit", "64",
		"--header-timeout", "30", "--idle-timeout", "30", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	int fds[ATTACKERS][PER_ADDR];
	int kept = 0;
	char src[32];
	for (int a = 0; a < ATTACKERS; a++) {
		snprintf(src, sizeof src, "127.0.0.%d", 2 + a);
		kept += slow_open(s, src, fds[a], PER_ADDR, "127.0.9.1");
	}
	/* A refusal made by another thread may reach its client a moment
	 * after the barrier's answer: a server over the cap keeps the
	 * extra connections for the header deadline, 30 s, not 2. */
	for (long long end = now_ms() + 2000; kept > 64 && now_ms() < end;) {
		pause_ms(50);
		kept = 0;
		for (int a = 0; a < ATTACKERS; a++)
			kept += slow_count(fds[a], PER_ADDR);
	}
	printf("# the network kept %d of %d slow connections\n", kept,
	    ATTACKERS * PER_ADDR);
	assert_true(kept <= 64);
	/* For a few seconds of slowloris, a client elsewhere is answered
	 * at once, every time. */
	for (int round = 0; round < 3; round++) {
		for (int a = 0; a < ATTACKERS; a++)
			slow_tick(fds[a], PER_ADDR);
		long took;
		assert_int_equal(get_from(s, "127.0.9.1", "/healthz", 2000,
				     &took),
		    200);
		assert_int_equal(get_from(s, "127.0.9.1", "/p/" SEED_SLUG, 2000,
				     &took),
		    200);
		if (took > 1000)
			fail_msg("the petition page took %ld ms", took);
		pause_ms(700);
	}
	for (int a = 0; a < ATTACKERS; a++)
		slow_close(fds[a], PER_ADDR);
	/* The refusals are in the log, but not one line each. */
	int refused = server_log_count(s, "event=refused");
	printf("# %d refusal lines logged\n", refused);
	assert_true(refused >= 1 && refused <= 20);
	assert_int_equal(server_free(s), 0);
}

static void
test_full_server_frees_itself(void **state)
{
	(void)state;
	/* Slow connections from many networks, each within every cap,
	 * take every connection the server has. */
	static const char *const args[] = { "--max-connections", "40",
		"--per-ip-limit", "8", "--header-timeout", "30",
		"--idle-timeout", "30", NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	enum { NETS = 6 };
	int fds[NETS][8];
	int kept = 0;
	char src[32];
	for (int a = 0; a < NETS; a++) {
		snprintf(src, sizeof src, "127.0.%d.1", 10 + a);
		kept += slow_open(s, src, fds[a], 8, NULL);
	}
	printf("# %d slow connections fill the server\n", kept);
	/* Three-quarters full, the head's deadline is short: a client from
	 * elsewhere gets in within seconds, not after 30. */
	long took;
	int code = get_retry(s, "127.0.9.1", "/healthz", 8000, &took);
	printf("# a client from elsewhere was answered after %ld ms\n", took);
	assert_int_equal(code, 200);
	if (took > 5000)
		fail_msg("a client waited %ld ms", took);
	/* The slow ones were cut at the short deadline. */
	assert_true(server_log_wait(s, "pressed=1", 0, 5000) >= 1);
	for (int a = 0; a < NETS; a++)
		slow_close(fds[a], 8);
	assert_int_equal(server_free(s), 0);
}

/* A trusted proxy's connections are not counted per address. */
static void
test_trusted_proxy_uncapped(void **state)
{
	(void)state;
	static const char *const args[] = { "--per-ip-limit", "4",
		"--trusted-proxy", "127.0.0.1/32", "--header-timeout", "30",
		NULL };
	struct server *s = server_new_seeded(args);
	assert_non_null(s);
	int fds[12];
	int kept = slow_open(s, "127.0.0.1", fds, 12, "127.0.9.1");
	assert_int_equal(kept, 12);
	long took;
	assert_int_equal(get_from(s, "127.0.0.1", "/healthz", 2000, &took), 200);
	slow_close(fds, 12);
	/* Another address keeps its cap. */
	kept = slow_open(s, "127.0.0.7", fds, 8, "127.0.9.1");
	assert_int_equal(kept, 4);
	slow_close(fds, 8);
	assert_int_equal(server_free(s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trickled_head_cut),
		cmocka_unit_test(test_trickled_body_cut),
		cmocka_unit_test(test_one_network_leaves_room),
		cmocka_unit_test(test_full_server_frees_itself),
		cmocka_unit_test(test_trusted_proxy_uncapped),
	};
	return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
