/* mail_message.h - RFC 5322 messages with headers that user values cannot break. */
#ifndef HOLOS_MAIL_MESSAGE_H
#define HOLOS_MAIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

/* Room mail_message_id() needs besides the domain: "<", 32 hex, "@", ">"
 * and a NUL. */
#define MAIL_MESSAGE_ID_EXTRA 36

/* One message. Strings are NUL-terminated and only borrowed. */
struct mail {
	const char *from_name;	/* display name, UTF-8, may be NULL */
	const char *from_addr;	/* bare address */
	const char *to_name;	/* display name from a user: anything at all */
	const char *to_addr;	/* bare address, validated by the caller */
	const char *subject;	/* UTF-8; NULL is an empty subject */
	const char *text;	/* text/plain body, UTF-8 */
	const char *html;	/* text/html body, or NULL: text/plain only */
	const char *message_id; /* "<id@host>", see mail_message_id() */
	const char *lang;	/* Content-Language such as "ru", or NULL */
	const char *list_unsubscribe; /* one-click URL (RFC 8058) or NULL */
	time_t date;
};

/* Appends the whole message to out: CRLF line endings, every line at most
 * 998 bytes, 7-bit unless an address is international (RFC 6532). Display
 * names and the subject are cleaned (control characters become spaces,
 * invalid UTF-8 becomes U+FFFD) and written as quoted strings or RFC 2047
 * encoded-words, so no user value can start a header. Bodies are
 * quoted-printable or base64, whichever is shorter, and always end with a
 * line break; with html the message is multipart/alternative.
 * Returns 0, or -1 with out unchanged when an address is unusable (empty,
 * no '@', spaces, controls, <>()[],;:"\ or invalid UTF-8), text or
 * message_id is missing, or message_id, lang or list_unsubscribe are not
 * plain header tokens. Returns -1 too when out of memory; out is then
 * failed (buf_ok() false). */
int mail_compose(const struct mail *m, struct buf *out);

/* Whether mail_compose() takes s as an address (To, From), and as a
 * language (Content-Language; NULL is none and fine). */
bool mail_addr_ok(const char *s);
bool mail_lang_ok(const char *s);

/* Writes a fresh Message-ID "<32 random hex digits@domain>" into out.
 * Characters of domain other than letters, digits, '.' and '-' are dropped;
 * an empty result becomes "localhost". When len is less than
 * MAIL_MESSAGE_ID_EXTRA + the length of that domain, out gets "" instead. */
void mail_message_id(char *out, size_t len, const char *domain);

#endif
