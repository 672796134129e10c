/* mail_message.c - RFC 5322 messages: encoded-words, quoted-printable, base64. */
#include "mail_message.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

#define HDR_SOFT 78	  /* RFC 5322 2.1.1: lines SHOULD be no longer */
#define ENC_LINE 76	  /* RFC 2045/2047: encoded lines at most this long */
#define EW_MAX 75	  /* RFC 2047 2: one encoded-word at most this long */
#define EW_OVERHEAD 12	  /* "=?UTF-8?B?" and "?=" */
#define PLAIN_WORD_MAX 60 /* longer ASCII words are encoded, to fold */
#define ADDR_MAX 254
#define TOKEN_MAX 900 /* header values we copy as they are */
#define RANDOM_BYTES 16

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex[] = "0123456789ABCDEF";

/* Length of the valid UTF-8 sequence at s (at most n bytes) with its code
 * point in *cp, or 0 when the bytes are not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Fills out with n random bytes as lowercase hex and a NUL. */
static void
random_hex(char *out, size_t n)
{
	unsigned char r[RANDOM_BYTES];
	size_t got = 0, i;
	ssize_t k;

	if (n > sizeof(r))
		n = sizeof(r);
	while (got < n) {
		k = getrandom(r + got, n - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			fatal("mail", "error=getrandom errno=%d", errno);
		got += (size_t)k;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[r[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
	}
	out[2 * n] = '\0';
}

/* True for an address we can put between <> and in RCPT TO. */
static bool
addr_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i, k, at = 0, ats = 0;
	uint32_t cp;

	if (s == NULL || (n = strlen(s)) == 0 || n > ADDR_MAX)
		return false;
	for (i = 0; i < n; i += k) {
		k = 1;
		if (p[i] >= 0x80) {
			if ((k = utf8_seq(p + i, n - i, &cp)) == 0 || cp < 0xa0)
				return false;
			continue;
		}
		if (p[i] <= 0x20 || p[i] == 0x7f ||
		    strchr("<>()[],;:\"\\", p[i]) != NULL)
			return false;
		if (p[i] == '@')
			at = i, ats++;
	}
	return ats == 1 && at > 0 && at + 1 < n;
}

/* True for 1..max printable ASCII bytes without spaces, none in reject. */
static bool
token_ok(const char *s, size_t max, const char *reject)
{
	size_t n, i;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || strchr(reject, s[i]))
			return false;
	return true;
}

static bool
msgid_ok(const char *s)
{
	size_t n;

	if (!token_ok(s, TOKEN_MAX, "") || (n = strlen(s)) < 5)
		return false;
	if (s[0] != '<' || s[n - 1] != '>')
		return false;
	if (strpbrk(s + 1, "<") != NULL || strchr(s + 1, '>') != s + n - 1)
		return false;
	return strchr(s, '@') != NULL;
}

static bool
domain_char(char c)
{
	return c == '.' || c == '-' || (c >= '0' && c <= '9') ||
	    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
lang_ok(const char *s)
{
	size_t i;

	if (!token_ok(s, 35, ""))
		return false;
	for (i = 0; s[i]; i++)
		if (s[i] == '.' || !domain_char(s[i]))
			return false;
	return true;
}

/* Appends s cleaned for a header: valid UTF-8 only (U+FFFD for bad bytes),
 * controls (C0, DEL, C1, U+2028/9) as spaces, runs of spaces collapsed,
 * no leading or trailing space. */
static void
header_clean(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, k;
	bool space = false;
	uint32_t cp;

	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq(p + i, n - i, &cp)) == 0) {
			k = 1;
			cp = 0xfffd;
		}
		if (cp <= 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029) {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_putc(out, ' ');
		space = false;
		if (cp == 0xfffd && k == 1)
			buf_puts(out, "\xef\xbf\xbd");
		else
			buf_append(out, p + i, k);
	}
}

/* True when every byte is printable ASCII and nothing looks like an
 * encoded-word, so the text can go into a header as it is. */
static bool
plain_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return memmem(s, n, "=?", 2) == NULL;
}

static void
base64_append(struct buf *b, const unsigned char *p, size_t n)
{
	char q[4];
	size_t i;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = b64[(v >> 6) & 63];
		q[3] = b64[v & 63];
		buf_append(b, q, 4);
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = '=';
		buf_append(b, q, 4);
	}
}

/* Appends s as RFC 2047 B encoded-words, each preceded by a space and
 * folded onto a new line when the current one (at *col) is full. Chunks
 * end on UTF-8 sequence boundaries, so each word decodes on its own. */
static void
put_encoded(struct buf *b, size_t *col, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t avail, max, take, k;
	uint32_t cp;

	while (n > 0) {
		avail = *col + 1 < ENC_LINE ? ENC_LINE - *col - 1 : 0;
		if (avail > EW_MAX)
			avail = EW_MAX;
		max = avail > EW_OVERHEAD ? (avail - EW_OVERHEAD) / 4 * 3 : 0;
		for (take = 0; take < n; take += k) {
			if ((k = utf8_seq(p + take, n - take, &cp)) == 0)
				k = 1; /* header_clean() leaves none */
			if (take + k > max)
				break;
		}
		if (take == 0) {
			/* Only a fresh line can be too short for nothing. */
			buf_puts(b, "\r\n");
			*col = 0;
			continue;
		}
		buf_puts(b, " =?UTF-8?B?");
		base64_append(b, p, take);
		buf_puts(b, "?=");
		*col += 1 + EW_OVERHEAD + (take + 2) / 3 * 4;
		p += take;
		n -= take;
	}
}

/* Appends printable ASCII words separated by single spaces, folding
 * before a word that would pass HDR_SOFT. */
static void
put_words(struct buf *b, size_t *col, const char *s, size_t n)
{
	size_t i = 0, w;

	while (i < n) {
		for (w = 0; i + w < n && s[i + w] != ' '; w++)
			;
		if (*col + 1 + w > HDR_SOFT) {
			buf_puts(b, "\r\n");
			*col = 0;
		}
		buf_putc(b, ' ');
		buf_append(b, s + i, w);
		*col += 1 + w;
		i += w + 1;
	}
}

/* True when cleaned text can be written as plain words: ASCII, no "=?",
 * no word too long to fold. */
static bool
plain_words(const char *s, size_t n)
{
	size_t i, w = 0;

	if (!plain_ascii(s, n))
		return false;
	for (i = 0; i < n; i++) {
		w = s[i] == ' ' ? 0 : w + 1;
		if (w > PLAIN_WORD_MAX)
			return false;
	}
	return true;
}

/* "Field: Name <addr>": the name as a quoted string when it is short
 * ASCII, else as encoded-words. */
static void
put_mailbox(struct buf *b, const char *field, const char *name, const char *addr)
{
	struct buf clean;
	size_t col = strlen(field) + 1, i;

	buf_init(&clean);
	buf_printf(b, "%s:", field);
	if (name != NULL)
		header_clean(&clean, name);
	if (!buf_ok(&clean))
		b->oom = true;
	if (clean.len == 0) {
		buf_printf(b, " %s\r\n", addr);
		goto done;
	}
	if (clean.len <= PLAIN_WORD_MAX && plain_ascii(clean.data, clean.len)) {
		buf_puts(b, " \"");
		for (i = 0; i < clean.len; i++) {
			if (clean.data[i] == '"' || clean.data[i] == '\\')
				buf_putc(b, '\\');
			buf_putc(b, clean.data[i]);
		}
		buf_putc(b, '"');
		col += 3 + clean.len;
	} else
		put_encoded(b, &col, clean.data, clean.len);
	if (col + 3 + strlen(addr) > HDR_SOFT)
		buf_puts(b, "\r\n");
	buf_printf(b, " <%s>\r\n", addr);
done:
	buf_reset(&clean);
}

static void
put_subject(struct buf *b, const char *subject)
{
	struct buf clean;
	size_t col = sizeof("Subject:") - 1;

	buf_init(&clean);
	buf_puts(b, "Subject:");
	if (subject != NULL)
		header_clean(&clean, subject);
	if (!buf_ok(&clean))
		b->oom = true;
	else if (plain_words(clean.data ? clean.data : "", clean.len))
		put_words(b, &col, clean.data, clean.len);
	else
		put_encoded(b, &col, clean.data, clean.len);
	buf_puts(b, "\r\n");
	buf_reset(&clean);
}

static void
put_date(struct buf *b, time_t t)
{
	static const char *const days[] = {
		"Sun",
		"Mon",
		"Tue",
		"Wed",
		"Thu",
		"Fri",
		"Sat",
	};
	static const char *const months[] = {
		"Jan",
		"Feb",
		"Mar",
		"Apr",
		"May",
		"Jun",
		"Jul",
		"Aug",
		"Sep",
		"Oct",
		"Nov",
		"Dec",
	};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1900 ||
	    tm.tm_year + 1900 > 9999) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Copies s with every line break (CRLF, CR or LF) as CRLF and a final
 * line break added when missing. */
static void
crlf_normalize(struct buf *out, const char *s)
{
	size_t i, run = 0, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n')
			continue;
		buf_append(out, s + run, i - run);
		buf_puts(out, "\r\n");
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			i++;
		run = i + 1;
	}
	buf_append(out, s + run, n - run);
	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		buf_puts(out, "\r\n");
}

/* Quoted-printable (RFC 2045 6.7) of text whose line breaks are all CRLF.
 * Besides what the RFC demands, '.' and the F of "From " are encoded at
 * the start of a line, so neither SMTP nor mbox can alter the text. The
 * output is gathered in a chunk on the stack and appended a chunk at a
 * time: the confirmation letter's two parts are most of the bytes the
 * outbox writes, one byte at a time. */
static void
qp_append(struct buf *b, const char *s, size_t n)
{
	char out[1024];
	size_t i, o = 0, col = 0, need, limit;
	unsigned char c;
	bool lit, eol;

	for (i = 0; i < n; i++) {
		/* The most one byte writes: a soft break and "=XX". */
		if (o + 6 > sizeof(out)) {
			buf_append(b, out, o);
			o = 0;
		}
		c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			i++;
			continue;
		}
		eol = i + 1 == n ||
		    (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
		lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !eol);
		need = lit ? 1 : 3;
		/* A soft break costs one column ('='), except after the last
		 * character of a line. */
		limit = eol ? ENC_LINE : ENC_LINE - 1;
		if (col + need > limit) {
			out[o++] = '=';
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
		}
		if (col == 0 &&
		    (c == '.' ||
			(c == 'F' && n - i >= 5 &&
			    memcmp(s + i, "From ", 5) == 0)))
			lit = false;
		if (lit) {
			out[o++] = (char)c;
			col++;
		} else {
			out[o++] = '=';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
			col += 3;
		}
	}
	buf_append(b, out, o);
}

/* Base64 in lines of ENC_LINE characters, each ending in CRLF. */
static void
base64_lines(struct buf *b, const char *s, size_t n)
{
	const size_t per = ENC_LINE / 4 * 3;
	size_t i;

	for (i = 0; i < n; i += per) {
		base64_append(b, (const unsigned char *)s + i,
		    n - i < per ? n - i : per);
		buf_puts(b, "\r\n");
	}
}

/* Part headers, a blank line and the body in the shorter of
 * quoted-printable (one byte per ASCII, three per other byte) and base64
 * (four per three). */
static void
put_part(struct buf *b, const char *type, const char *body)
{
	struct buf norm;
	size_t i, high = 0;
	bool qp;

	buf_init(&norm);
	crlf_normalize(&norm, body);
	if (!buf_ok(&norm)) {
		b->oom = true;
		goto done;
	}
	for (i = 0; i < norm.len; i++)
		high += (unsigned char)norm.data[i] >= 0x80;
	qp = (norm.len - high) + 3 * high <= (norm.len + 2) / 3 * 4;
	buf_printf(b,
	    "Content-Type: %s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n",
	    type, qp ? "quoted-printable" : "base64");
	if (qp)
		qp_append(b, norm.data, norm.len);
	else
		base64_lines(b, norm.data, norm.len);
done:
	buf_reset(&norm);
}

bool
mail_addr_ok(const char *s)
{
	return addr_ok(s);
}

bool
mail_lang_ok(const char *s)
{
	return s == NULL || lang_ok(s);
}

int
mail_compose(const struct mail *m, struct buf *out)
{
	char boundary[8 + 2 * RANDOM_BYTES + 1];
	size_t start = out->len;

	if (!addr_ok(m->from_addr) || !addr_ok(m->to_addr) || m->text == NULL)
		return -1;
	if (!msgid_ok(m->message_id))
		return -1;
	if (m->lang != NULL && !lang_ok(m->lang))
		return -1;
	if (m->list_unsubscribe != NULL &&
	    !token_ok(m->list_unsubscribe, TOKEN_MAX, "<>\""))
		return -1;

	put_date(out, m->date);
	put_mailbox(out, "From", m->from_name, m->from_addr);
	put_mailbox(out, "To", m->to_name, m->to_addr);
	put_subject(out, m->subject);
	buf_printf(out, "Message-ID: %s\r\n", m->message_id);
	buf_puts(out, "MIME-Version: 1.0\r\n");
	if (m->lang != NULL)
		buf_printf(out, "Content-Language: %s\r\n", m->lang);
	buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	if (m->list_unsubscribe != NULL) {
		buf_printf(out, "List-Unsubscribe: <%s>\r\n",
		    m->list_unsubscribe);
		buf_puts(out,
		    "List-Unsubscribe-Post: "
		    "List-Unsubscribe=One-Click\r\n");
	}
	if (m->html == NULL) {
		put_part(out, "text/plain", m->text);
	} else {
		/* "=_" appears in neither quoted-printable nor base64, so the
		 * boundary cannot occur in an encoded body. */
		memcpy(boundary, "=_holos_", 8);
		random_hex(boundary + 8, RANDOM_BYTES);
		buf_printf(out,
		    "Content-Type: multipart/alternative;\r\n"
		    " boundary=\"%s\"\r\n\r\n",
		    boundary);
		buf_printf(out, "--%s\r\n", boundary);
		put_part(out, "text/plain", m->text);
		buf_printf(out, "\r\n--%s\r\n", boundary);
		put_part(out, "text/html", m->html);
		buf_printf(out, "\r\n--%s--\r\n", boundary);
	}
	if (!buf_ok(out))
		goto fail;
	return 0;
fail:
	if (out->data != NULL && out->len >= start) {
		out->len = start;
		out->data[start] = '\0';
	}
	return -1;
}

void
mail_message_id(char *out, size_t len, const char *domain)
{
	char rnd[2 * RANDOM_BYTES + 1];
	size_t i, n, dn = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; domain != NULL && domain[i] != '\0'; i++)
		dn += domain_char(domain[i]);
	if (len < MAIL_MESSAGE_ID_EXTRA + (dn ? dn : sizeof("localhost") - 1))
		return;
	random_hex(rnd, RANDOM_BYTES);
	n = (size_t)snprintf(out, len, "<%s@", rnd);
	for (i = 0; dn > 0 && domain[i] != '\0'; i++)
		if (domain_char(domain[i]))
			out[n++] = domain[i];
	if (dn == 0) {
		memcpy(out + n, "localhost", 9);
		n += 9;
	}
	out[n++] = '>';
	out[n] = '\0';
}
