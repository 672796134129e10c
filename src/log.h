/* log.h - structured key=value log lines on stderr. */
#ifndef HOLOS_LOG_H
#define HOLOS_LOG_H

#include <stddef.h>
#include <stdnoreturn.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG__MAX };

/* Lowest level written; LOG_INFO unless HOLOS_LOG_LEVEL=debug. */
void log_set_level(enum log_level level);

/* Writes "ts=… level=… module=MODULE " followed by the formatted message,
 * which should itself be key=value pairs. Never put secrets or whole email
 * addresses in a log line. Thread-safe: a line is never split. A warning
 * is written at most 20 times in 10 seconds per format (call site); the
 * number left out follows as one "module=log event=suppressed" line.
 * Lines below LOG_WARN may be held for a moment: log_buffer_start(). */
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As log_info() for a message already formatted (len bytes, without a
 * newline, cut to fit a line): a line per request without printf's
 * cost. */
void log_info_text(const char *module, const char *msg, size_t len);

/* From now on, lines below LOG_WARN wait in a buffer of their thread and
 * reach stderr within about ms milliseconds (with log_flush() called that
 * often), in one write(2) per 4 KB (PIPE_BUF) or per ms: a busy server
 * writes its access log in few system calls. A warning or an error is
 * written at once, after the lines of its thread before it. ms 0 writes
 * every line at once, as before log_buffer_start(). Lines still held when
 * the process is killed are lost: at most ms milliseconds of them. */
void log_buffer_start(unsigned ms);

/* Writes every thread's held lines, and every line from now on at once.
 * Call before the process exits. */
void log_buffer_stop(void);

/* Writes every thread's held lines. Any thread; never fails. */
void log_flush(void);

/* For broken invariants and start-up failures only: logs and exits 1. */
noreturn void fatal(const char *module, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes a request path into out (len bytes, at least 16) for a log line:
 * spaces, quotes, backslashes, controls and bytes above 0x7E as %XX, and
 * every token-shaped segment (a run of LOG_TOKEN_RUN or more base64url
 * characters with a capital letter or an underscore, as the emailed
 * secrets and session cookies are, with whatever punctuation a copied link
 * brought along) as "[token]", so no secret reaches the log. Cut short
 * with "..." when it does not fit. Never fails. */
#define LOG_TOKEN_RUN 20
void log_path(char *out, size_t len, const char *path);

#define log_debug(m, ...) log_msg(LOG_DEBUG, (m), __VA_ARGS__)
#define log_info(m, ...) log_msg(LOG_INFO, (m), __VA_ARGS__)
#define log_warn(m, ...) log_msg(LOG_WARN, (m), __VA_ARGS__)
#define log_error(m, ...) log_msg(LOG_ERROR, (m), __VA_ARGS__)

#endif
