/* mail_smtp.h - delivering composed messages to a relay through libcurl's SMTP. */
#ifndef HOLOS_MAIL_SMTP_H
#define HOLOS_MAIL_SMTP_H

#include <stdbool.h>
#include <stddef.h>

/* Where and how to deliver. Strings are borrowed for the call only. */
struct smtp_config {
	/* smtp://host:port (STARTTLS when offered, required when the URL
	 * has credentials), smtp+starttls://host:port (STARTTLS required) or
	 * smtps://host:port (implicit TLS); optional percent-encoded
	 * user:pass@ before the host. No path, query or fragment. */
	const char *url;
	const char *helo;    /* EHLO name, or NULL for this host's name */
	long timeout_ms;     /* whole transfer; 0 or less means 60 s */
	bool insecure_tls;   /* skip certificate checks: tests only */
	const char *ca_file; /* CA bundle, or NULL for the system's */
};

enum smtp_result {
	SMTP_SENT,
	SMTP_TEMPFAIL,
	SMTP_PERMFAIL,
	/* A permanent failure that is the address's own: RCPT TO answered
	 * 550, 551 or 553 (no such mailbox, not here, a name not allowed).
	 * Other 5xx at RCPT (554 "relay access denied", 552 …) say more
	 * about the relay or the moment than about the address: PERMFAIL. */
	SMTP_REFUSED,
	SMTP__MAX
};

/* Initialises libcurl; call once at start-up before any thread sends.
 * Returns 0, or -1 with a logged reason when libcurl fails or was built
 * without SMTP or TLS. */
int smtp_global_init(void);

/* Releases libcurl; call once at exit after the last smtp_send(). */
void smtp_global_cleanup(void);

/* "sent", "tempfail", "permfail" or "refused", for logs and the outbox. */
const char *smtp_result_name(enum smtp_result r);

/* Checks c without connecting, for start-up: returns 0, or -1 with a
 * one-line reason in err (never the password). */
int smtp_config_check(const struct smtp_config *c, char *err, size_t errlen);

/* Sends the len bytes of msg (a whole RFC 5322 message with CRLF line
 * endings; curl does the dot-stuffing) to rcpt with envelope sender from.
 * Returns SMTP_SENT; SMTP_REFUSED when the relay refuses rcpt itself
 * (above); SMTP_PERMFAIL when the relay answers MAIL FROM,
 * RCPT TO or DATA with a 5xx other than the authentication codes
 * 530/534/535/538, or from or rcpt is not a usable address (no retry will
 * help); SMTP_TEMPFAIL for everything else: a bad config, connection, TLS
 * and authentication failures, timeouts, 4xx. err (if errlen > 0) gets a
 * one-line reason with neither password nor the local part of an address,
 * or "" when sent. Logs one line naming only the recipient's domain.
 * Thread-safe after smtp_global_init(): each call has its own handle. */
enum smtp_result smtp_send(const struct smtp_config *c, const char *from,
    const char *rcpt, const char *msg, size_t len, char *err, size_t errlen);

/* A session: one connection to the relay kept open for several messages
 * (RFC 5321 allows a new MAIL after a finished one), so a queue of mail
 * does not pay a TCP and TLS handshake and EHLO per message. Closed and
 * opened again after a failed message, after 100 messages, or when it
 * sat idle 30 s. One thread at a time per session; several sessions may
 * run at once. Returns the session (free with smtp_session_free()), or
 * NULL when out of memory. c's strings are borrowed for its life. */
struct smtp_session *smtp_session_new(const struct smtp_config *c);

/* smtp_send() on the session's connection (opened when it has none).
 * Same results, logs and err as smtp_send(). */
enum smtp_result smtp_session_send(struct smtp_session *s, const char *from,
    const char *rcpt, const char *msg, size_t len, char *err, size_t errlen);

/* Ends the session (QUIT) and frees it. NULL is a no-op. */
void smtp_session_free(struct smtp_session *s);

#endif
