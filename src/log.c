/* log.c - structured key=value log lines on stderr. */
#include "log.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;

static const char *const log_names[LOG__MAX] = {
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_WARN] = "warn",
	[LOG_ERROR] = "error",
};

void
log_set_level(enum log_level level)
{
	log_min = level;
}

/* Lines in a thread's buffer (log_buffer_start()): written by one
 * write(2) when LOG_BUF_BYTES would overflow, when the first of them is
 * flush_ms old at the thread's next line, when a warning or an error
 * follows them, or by log_flush() (a ticker of the server's, every
 * flush_ms). A thread's lines stay in their order; lines of two threads
 * may reach the log up to flush_ms apart from their time stamps' order.
 * PIPE_BUF bytes at most: a write to a pipe that size is never mixed with
 * another thread's, so no lock is needed around the writes. */
#define LOG_BUF_BYTES PIPE_BUF

struct tbuf {
	pthread_mutex_t mu;
	struct tbuf *next;
	size_t len;
	struct timespec since; /* time stamp of the first line held */
	char data[LOG_BUF_BYTES];
};

static atomic_bool buffering;
static atomic_uint flush_ms;
static pthread_mutex_t tbufs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tbuf *tbufs; /* every thread's, under tbufs_lock */
static pthread_key_t tbuf_key;
static pthread_once_t tbuf_once = PTHREAD_ONCE_INIT;

static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, p, n);
		if (w <= 0)
			return; /* nowhere to say so */
		p += w;
		n -= (size_t)w;
	}
}

/* Writes what b holds; b->mu is held. */
static void
tbuf_write(struct tbuf *b)
{
	write_all(b->data, b->len);
	b->len = 0;
}

/* At the thread's exit: its lines go out, its buffer away. */
static void
tbuf_gone(void *arg)
{
	struct tbuf *b = arg, **pp;

	pthread_mutex_lock(&tbufs_lock);
	for (pp = &tbufs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&tbufs_lock);
	pthread_mutex_lock(&b->mu);
	tbuf_write(b);
	pthread_mutex_unlock(&b->mu);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static void
tbuf_key_make(void)
{
	if (pthread_key_create(&tbuf_key, tbuf_gone) != 0)
		abort(); /* only for want of keys, at start-up */
}

/* The calling thread's buffer, made on its first buffered line; NULL when
 * out of memory (its lines are then written at once). */
static struct tbuf *
tbuf_mine(bool make)
{
	struct tbuf *b;

	pthread_once(&tbuf_once, tbuf_key_make);
	if ((b = pthread_getspecific(tbuf_key)) != NULL || !make)
		return b;
	if ((b = malloc(sizeof(*b))) == NULL)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	b->len = 0;
	if (pthread_setspecific(tbuf_key, b) != 0) {
		pthread_mutex_destroy(&b->mu);
		free(b);
		return NULL;
	}
	pthread_mutex_lock(&tbufs_lock);
	b->next = tbufs;
	tbufs = b;
	pthread_mutex_unlock(&tbufs_lock);
	return b;
}

/* Writes line (n bytes, with its newline), dated ts, at once or through
 * the thread's buffer. */
static void
log_emit(enum log_level level, const struct timespec *ts, const char *line,
    size_t n)
{
	bool on = atomic_load_explicit(&buffering, memory_order_relaxed);
	struct tbuf *b = tbuf_mine(on && level < LOG_WARN);
	long age_ms;

	if (b == NULL) {
		write_all(line, n);
		return;
	}
	pthread_mutex_lock(&b->mu);
	if (b->len + n > sizeof(b->data))
		tbuf_write(b);
	if (b->len == 0)
		b->since = *ts;
	memcpy(b->data + b->len, line, n);
	b->len += n;
	age_ms = (ts->tv_sec - b->since.tv_sec) * 1000L +
	    (ts->tv_nsec - b->since.tv_nsec) / 1000000L;
	/* A warning goes out at once, after the lines before it; so does
	 * everything once buffering stops. */
	if (!on || level >= LOG_WARN || age_ms < 0 ||
	    age_ms >= (long)atomic_load(&flush_ms))
		tbuf_write(b);
	pthread_mutex_unlock(&b->mu);
}

void
log_buffer_start(unsigned ms)
{
	atomic_store(&flush_ms, ms);
	atomic_store(&buffering, ms > 0);
}

void
log_buffer_stop(void)
{
	atomic_store(&buffering, false);
	log_flush();
}

void
log_flush(void)
{
	struct tbuf *b;

	pthread_mutex_lock(&tbufs_lock);
	for (b = tbufs; b != NULL; b = b->next) {
		pthread_mutex_lock(&b->mu);
		tbuf_write(b);
		pthread_mutex_unlock(&b->mu);
	}
	pthread_mutex_unlock(&tbufs_lock);
}

/* "ts=YYYY-MM-DDTHH:MM:SS." of the second a thread last wrote a line in:
 * a busy thread formats the date once a second, not once a line. */
static _Thread_local struct {
	time_t sec;
	char text[32];
	int len;
} stamp = { .sec = -1 };

/* Appends s to line at *n, up to the end of line; false when it did not
 * fit. */
static bool
put(char *line, size_t size, int *n, const char *s, size_t len)
{
	if ((size_t)*n + len >= size)
		return false;
	memcpy(line + *n, s, len);
	*n += (int)len;
	return true;
}

#define LINE_MAX_LEN 2048

/* Puts "ts=… level=… module=MODULE " at the start of line
 * (LINE_MAX_LEN bytes) and the time into *ts. Returns its length, or -1
 * when it does not fit. */
static int
line_begin(char *line, enum log_level level, const char *module,
    struct timespec *ts)
{
	char ms[8];
	struct tm tm;
	int n = 0;
	long msec;

	clock_gettime(CLOCK_REALTIME, ts);
	if (ts->tv_sec != stamp.sec) {
		gmtime_r(&ts->tv_sec, &tm);
		stamp.len = snprintf(stamp.text, sizeof(stamp.text),
		    "ts=%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (stamp.len < 0 || (size_t)stamp.len >= sizeof(stamp.text))
			return -1;
		stamp.sec = ts->tv_sec;
	}
	msec = ts->tv_nsec / 1000000;
	ms[0] = (char)('0' + msec / 100);
	ms[1] = (char)('0' + msec / 10 % 10);
	ms[2] = (char)('0' + msec % 10);
	if (!put(line, LINE_MAX_LEN, &n, stamp.text, (size_t)stamp.len) ||
	    !put(line, LINE_MAX_LEN, &n, ms, 3) ||
	    !put(line, LINE_MAX_LEN, &n, "Z level=", 8) ||
	    !put(line, LINE_MAX_LEN, &n, log_names[level],
		strlen(log_names[level])) ||
	    !put(line, LINE_MAX_LEN, &n, " module=", 8) ||
	    !put(line, LINE_MAX_LEN, &n, module, strlen(module)) ||
	    !put(line, LINE_MAX_LEN, &n, " ", 1))
		return -1;
	return n;
}

/* Ends line (n bytes of it written, cut to fit) and writes it. */
static void
line_end(enum log_level level, const struct timespec *ts, char *line, int n)
{
	if ((size_t)n > LINE_MAX_LEN - 2)
		n = LINE_MAX_LEN - 2;
	line[n++] = '\n';
	log_emit(level, ts, line, (size_t)n);
}

static void
log_vwrite(enum log_level level, const char *module, const char *fmt, va_list ap)
{
	char line[LINE_MAX_LEN];
	struct timespec ts;
	int n, m;

	if ((n = line_begin(line, level, module, &ts)) == -1)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	line_end(level, &ts, line, n + m);
}

void
log_info_text(const char *module, const char *msg, size_t len)
{
	char line[LINE_MAX_LEN];
	struct timespec ts;
	int n;

	if (LOG_INFO < log_min)
		return;
	if ((n = line_begin(line, LOG_INFO, module, &ts)) == -1)
		return;
	if (len > LINE_MAX_LEN - 2 - (size_t)n)
		len = LINE_MAX_LEN - 2 - (size_t)n;
	memcpy(line + n, msg, len);
	line_end(LOG_INFO, &ts, line, n + (int)len);
}

/* Repeated warnings: each call site (its format) may write LOG_BURST lines
 * per LOG_WINDOW seconds; the rest are counted and the count is written
 * once the next window opens, so a flood of one warning (refused
 * connections, a client cut off) cannot bury the log or fill the disk. */
#define LOG_BURST 20
#define LOG_WINDOW 10
#define LOG_SITES 64

struct site {
	const char *fmt;
	const char *module;
	time_t window;
	unsigned lines, dropped;
};

static struct site sites[LOG_SITES];
static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_line(enum log_level level, const char *module, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
log_line(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, module, fmt, ap);
	va_end(ap);
}

/* Whether a warning from fmt may be written now; writes the count of
 * those dropped in the last window first. Never fails: a site that finds
 * no slot is written. */
static int
log_admit(const char *module, const char *fmt)
{
	size_t i = (size_t)(((uintptr_t)fmt >> 3) % LOG_SITES), n;
	time_t now = time(NULL);
	unsigned dropped = 0;
	const char *dmodule = module;
	int ok = 1;

	pthread_mutex_lock(&sites_lock);
	for (n = 0; n < LOG_SITES; n++, i = (i + 1) % LOG_SITES)
		if (sites[i].fmt == fmt || sites[i].fmt == NULL ||
		    now - sites[i].window > 4 * LOG_WINDOW)
			break;
	if (n < LOG_SITES) {
		struct site *s = &sites[i];

		if (s->fmt != fmt) {
			dropped = s->fmt != NULL ? s->dropped : 0;
			dmodule = s->module;
			s->fmt = fmt;
			s->module = module;
			s->window = now;
			s->lines = 0;
			s->dropped = 0;
		} else if (now - s->window >= LOG_WINDOW) {
			dropped = s->dropped;
			s->window = now;
			s->lines = 0;
			s->dropped = 0;
		}
		if (s->lines < LOG_BURST)
			s->lines++;
		else {
			s->dropped++;
			ok = 0;
		}
	}
	pthread_mutex_unlock(&sites_lock);
	if (dropped > 0)
		log_line(LOG_WARN, "log",
		    "event=suppressed of=%s lines=%u window_s=%d", dmodule,
		    dropped, LOG_WINDOW);
	return ok;
}

void
log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	if (level == LOG_WARN && !log_admit(module, fmt))
		return;
	va_start(ap, fmt);
	log_vwrite(level, module, fmt, ap);
	va_end(ap);
}

void
fatal(const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERROR, module, fmt, ap);
	va_end(ap);
	log_flush();
	exit(1);
}

static bool
b64url(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Whether the path segment s (n bytes) holds a run that looks like a
 * secret: long and with a capital or an underscore (slugs are lower case). */
static bool
token_shaped(const char *s, size_t n)
{
	size_t i, run = 0;
	bool mixed = false;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!b64url(c)) {
			run = 0;
			mixed = false;
			continue;
		}
		run++;
		if ((c >= 'A' && c <= 'Z') || c == '_')
			mixed = true;
		if (run >= LOG_TOKEN_RUN && mixed)
			return true;
	}
	return false;
}

void
log_path(char *out, size_t len, const char *path)
{
	size_t o = 0;

	while (*path != '\0') {
		size_t n = strcspn(path + 1, "/") + 1, i;

		if (*path != '/')
			n = strcspn(path, "/");
		if (token_shaped(path, n)) {
			const char *t = *path == '/' ? "/[token]" : "[token]";

			if (o + strlen(t) + 4 >= len)
				goto cut;
			memcpy(out + o, t, strlen(t));
			o += strlen(t);
			path += n;
			continue;
		}
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)path[i];

			if (o + 3 + 4 >= len)
				goto cut;
			if (c <= ' ' || c == '"' || c == '\\' || c >= 0x7F) {
				snprintf(out + o, len - o, "%%%02X", c);
				o += 3;
			} else {
				out[o++] = (char)c;
			}
		}
		path += n;
	}
	out[o] = '\0';
	return;
cut:
	memcpy(out + o, "...", 4);
}
