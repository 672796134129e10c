/* test_mail_message.c - mail_message.c: injection, encoded-words, MIME,
 * QP/base64 round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../src/mail_message.c"

#include <strings.h>

/* --- A small independent MIME reader: what a mail client would do. --- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Base64 ignoring CR and LF; NULL on any other bad character. */
static char *
b64_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = malloc(n / 4 * 3 + 4);
	uint32_t v = 0;
	size_t i, o = 0, bits = 0, pad = 0;
	const char *p;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (p = strchr(b64, s[i])) == NULL || s[i] == '\0') {
			free(out);
			return NULL;
		}
		v = v << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits);
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Quoted-printable; NULL on a bad escape or a line longer than 76. */
static char *
qp_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t i, o = 0, col = 0;
	int hi, lo;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			i++;
			col = 0;
			continue;
		}
		if (++col > 76)
			goto bad;
		if (s[i] != '=') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			col = 0;
			continue;
		}
		if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0)
			goto bad;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
		col += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* The header block of msg (up to the blank line), malloc'd. */
static char *
header_block(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return strndup(msg, (size_t)(end - msg) + 2);
}

/* The unfolded value of header name in the block hdrs, malloc'd, or NULL. */
static char *
header_get(const char *hdrs, const char *name)
{
	size_t nl = strlen(name), o = 0;
	const char *p = hdrs, *v;
	char *out;

	while (*p) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			break;
		p = strstr(p, "\r\n");
		assert_non_null(p);
		p += 2;
	}
	if (!*p)
		return NULL;
	v = p + nl + 1;
	out = malloc(strlen(v) + 1);
	assert_non_null(out);
	for (; *v; v++) {
		if (v[0] == '\r' && v[1] == '\n') {
			if (v[2] != ' ' && v[2] != '\t')
				break;
			v++;
			continue;
		}
		out[o++] = *v;
	}
	out[o] = '\0';
	if (out[0] == ' ')
		memmove(out, out + 1, o);
	return out;
}

/* Decodes RFC 2047 B and Q encoded-words in an unfolded value; white
 * space between two encoded-words goes. Each word must decode to valid
 * UTF-8 on its own and be at most 75 characters. */
static char *
ew_decode(const char *v)
{
	struct buf b;
	const char *p = v, *q, *end, *text, *pend_ws = NULL;
	bool last_ew = false;
	size_t dl, i, k;
	char *dec;
	uint32_t cp;

	buf_init(&b);
	while (*p) {
		if (strncmp(p, "=?", 2) == 0 &&
		    (q = strchr(p + 2, '?')) != NULL && q[1] != '\0' &&
		    q[2] == '?' && (end = strstr(q + 3, "?=")) != NULL) {
			assert_true(end + 2 - p <= EW_MAX);
			assert_true(strncasecmp(p + 2, "utf-8?", 6) == 0);
			text = q + 3;
			if (q[1] == 'B' || q[1] == 'b') {
				dec =
				    b64_decode(text, (size_t)(end - text), &dl);
			} else {
				dec = malloc((size_t)(end - text) + 1);
				assert_non_null(dec);
				for (dl = 0, i = 0; text + i < end; i++) {
					if (text[i] == '_')
						dec[dl++] = ' ';
					else if (text[i] == '=') {
						dec[dl++] =
						    (char)(hexval(text[i + 1])
							    << 4 |
							hexval(text[i + 2]));
						i += 2;
					} else
						dec[dl++] = text[i];
				}
			}
			assert_non_null(dec);
			for (i = 0; i < dl; i += k) {
				k = utf8_seq((unsigned char *)dec + i, dl - i,
				    &cp);
				if (k == 0)
					fail_msg("encoded-word splits UTF-8: %.*s",
					    (int)(end + 2 - p), p);
			}
			if (!last_ew && pend_ws != NULL)
				buf_append(&b, pend_ws, (size_t)(p - pend_ws));
			buf_append(&b, dec, dl);
			free(dec);
			p = end + 2;
			last_ew = true;
			pend_ws = NULL;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			if (pend_ws == NULL)
				pend_ws = p;
			p++;
			continue;
		}
		if (pend_ws != NULL)
			buf_append(&b, pend_ws, (size_t)(p - pend_ws));
		pend_ws = NULL;
		last_ew = false;
		buf_putc(&b, *p++);
	}
	if (pend_ws != NULL)
		buf_append(&b, pend_ws, (size_t)(p - pend_ws));
	buf_putc(&b, '\0');
	assert_true(buf_ok(&b));
	return buf_steal(&b, NULL);
}

/* Decodes one entity (headers + blank line + body) by its
 * Content-Transfer-Encoding. */
static char *
entity_decode(const char *ent, size_t n, char **ctype, size_t *outlen)
{
	char *h = header_block(ent), *cte, *out = NULL;
	const char *body = strstr(ent, "\r\n\r\n") + 4;
	size_t bl = n - (size_t)(body - ent);

	*ctype = header_get(h, "Content-Type");
	cte = header_get(h, "Content-Transfer-Encoding");
	assert_non_null(*ctype);
	assert_non_null(cte);
	if (strcmp(cte, "base64") == 0)
		out = b64_decode(body, bl, outlen);
	else if (strcmp(cte, "quoted-printable") == 0)
		out = qp_decode(body, bl, outlen);
	else
		fail_msg("unexpected encoding %s", cte);
	assert_non_null(out);
	free(cte);
	free(h);
	return out;
}

/* The decoded body of the part whose type starts with type, from a
 * single-part or multipart/alternative message; *cte_out gets the
 * encoding name when not NULL. */
static char *
part_get(const char *msg, const char *type, char **cte_out)
{
	char *h = header_block(msg), *ct = header_get(h, "Content-Type");
	char *b, delim[128], *out = NULL, *pct, *ph;
	const char *body = strstr(msg, "\r\n\r\n") + 4, *p, *next;
	size_t len;

	assert_non_null(ct);
	if (strncmp(ct, "multipart/", 10) != 0) {
		if (strncmp(ct, type, strlen(type)) == 0) {
			out = entity_decode(msg, strlen(msg), &pct, &len);
			free(pct);
			if (cte_out)
				*cte_out =
				    header_get(h, "Content-Transfer-Encoding");
		}
		goto done;
	}
	b = strstr(ct, "boundary=\"");
	assert_non_null(b);
	b += 10;
	*strchr(b, '"') = '\0';
	snprintf(delim, sizeof(delim), "\r\n--%s", b);
	assert_true(strncmp(body, delim + 2, strlen(delim) - 2) == 0);
	p = body + strlen(delim) - 2;
	while (strncmp(p, "--", 2) != 0) {
		assert_true(strncmp(p, "\r\n", 2) == 0);
		p += 2;
		next = strstr(p, delim);
		assert_non_null(next);
		ph = strndup(p, (size_t)(next - p));
		assert_non_null(ph);
		if (out == NULL) {
			out = entity_decode(ph, strlen(ph), &pct, &len);
			if (strncmp(pct, type, strlen(type)) != 0) {
				free(out);
				out = NULL;
			} else if (cte_out) {
				char *hh = header_block(ph);

				*cte_out =
				    header_get(hh, "Content-Transfer-Encoding");
				free(hh);
			}
			free(pct);
		}
		free(ph);
		p = next + strlen(delim);
	}
	assert_string_equal(p, "--\r\n");
done:
	free(ct);
	free(h);
	return out;
}

/* --- helpers --- */

static const struct mail base = {
	.from_name = "Holos",
	.from_addr = "noreply@holos.example",
	.to_name = "Ann",
	.to_addr = "ann@example.org",
	.subject = "Please confirm your signature",
	.text = "Hello,\nplease confirm.\n",
	.html = NULL,
	.message_id = "<0123456789abcdef@holos.example>",
	.lang = "en",
	.list_unsubscribe = NULL,
	.date = 1700000000,
};

/* Composes m and checks what every message must satisfy: CRLF only, no
 * NUL, every line at most 998 bytes, header lines at most 78 unless they
 * hold a long URL, ending in CRLF. Returns the malloc'd message. */
static char *
compose_ok(const struct mail *m)
{
	struct buf b;
	char *msg;
	size_t i, col = 0, len;
	bool in_header = true;

	buf_init(&b);
	assert_int_equal(mail_compose(m, &b), 0);
	assert_true(buf_ok(&b));
	msg = buf_steal(&b, &len);
	assert_int_equal(strlen(msg), len);
	assert_true(len >= 2 && memcmp(msg + len - 2, "\r\n", 2) == 0);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r') {
			assert_int_equal(msg[i + 1], '\n');
			if (col == 0 && in_header)
				in_header = false;
			if (in_header &&
			    strncmp(msg + i - col, "List-Unsubscribe:", 17) !=
				0 &&
			    strncmp(msg + i - col, "From:", 5) != 0 &&
			    strncmp(msg + i - col, "To:", 3) != 0 &&
			    strncmp(msg + i - col, " <", 2) != 0)
				assert_in_range(col, 0, HDR_SOFT);
			i++;
			col = 0;
			continue;
		}
		assert_int_not_equal(msg[i], '\n');
		if (++col > 998)
			fail_msg("line longer than 998 bytes");
	}
	return msg;
}

static char *
subject_of(const char *msg)
{
	char *h = header_block(msg), *v = header_get(h, "Subject"), *d;

	assert_non_null(v);
	d = ew_decode(v);
	free(v);
	free(h);
	return d;
}

/* Asserts that every line holding an encoded-word is at most 76 long. */
static void
assert_ew_lines(const char *msg)
{
	const char *p = msg, *e;

	while ((e = strstr(p, "\r\n")) != NULL && e != p) {
		if (memmem(p, (size_t)(e - p), "=?", 2) != NULL &&
		    e - p > ENC_LINE)
			fail_msg("encoded-word line of %d bytes: %.*s",
			    (int)(e - p), (int)(e - p), p);
		p = e + 2;
	}
}

/* --- tests --- */

static void
test_header_injection(void **state)
{
	static const char *const names[] = {
		"Ann\r\nBcc: x@y",
		"Ann\nBcc: x@y",
		"Ann\rBcc: x@y",
		"Ann\r\n\r\nBcc: x@y",
		"\r\nBcc: x@y",
		"Анна\r\nBcc: x@y",
		"Ann\xc2\x85"
		"Bcc: x@y",
		"Ann\xe2\x80\xa8"
		"Bcc: x@y",
		"Ann\xff\r\nBcc: x@y",
		"Ann\"\r\n\\Bcc: x@y",
	};
	struct mail m = base;
	const char *p;
	char *msg, *h, *v, *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m.to_name = names[i];
		m.from_name = names[i];
		m.subject = names[i];
		msg = compose_ok(&m);
		for (p = msg; p != NULL; p = strstr(p, "\r\n")) {
			p += p == msg ? 0 : 2;
			if (strncasecmp(p, "Bcc:", 4) == 0)
				fail_msg("injected header from \"%s\":\n%s",
				    names[i], msg);
		}
		/* Every header line is a known field or a continuation. */
		h = header_block(msg);
		for (p = h; *p; p = strstr(p, "\r\n") + 2)
			if (*p != ' ' && strncmp(p, "Date:", 5) &&
			    strncmp(p, "From:", 5) && strncmp(p, "To:", 3) &&
			    strncmp(p, "Subject:", 8) &&
			    strncmp(p, "Message-ID:", 11) &&
			    strncmp(p, "MIME-Version:", 13) &&
			    strncmp(p, "Content-", 8) &&
			    strncmp(p, "Auto-Submitted:", 15))
				fail_msg("unexpected header line: %s", p);
		/* The name survives, its breaks as spaces. */
		v = header_get(h, "To");
		d = ew_decode(v);
		assert_non_null(strstr(d, "Bcc: x@y"));
		assert_null(strpbrk(d, "\r\n"));
		free(d);
		free(v);
		free(h);
		free(msg);
	}
	m = base;
	m.to_name = "Ann\r\nBcc: x@y";
	msg = compose_ok(&m);
	h = header_block(msg);
	v = header_get(h, "To");
	assert_string_equal(v, "\"Ann Bcc: x@y\" <ann@example.org>");
	free(v);
	free(h);
	free(msg);
}

static void
test_bad_values(void **state)
{
	static const char *const addrs[] = {
		"",
		"ann",
		"@example.org",
		"ann@",
		"ann@b@c",
		"ann@example.org\r\nBcc: x@y",
		"ann@example.org\n",
		"<ann@example.org>",
		"ann@example.org>",
		"a nn@example.org",
		"ann@exa\tmple.org",
		"\"ann\"@example.org",
		"ann,bob@example.org",
		"ann@example.org;",
		"ann@[127.0.0.1]",
		"ann\x7f@example.org",
		"ann\xff@example.org",
		"ann\xc2\x85@example.org",
	};
	static const char *const ids[] = {
		"",
		"abc@def",
		"<abc@def>\r\nBcc: x@y",
		"<abc def@x>",
		"<abc>",
		"<a<b@c>",
		"<a@b>>",
		"<\xd0\x96@x>",
	};
	static const char *const langs[] = {
		"",
		"ru\r\nBcc: x@y",
		"ru ru",
		"r.u",
		"ru;x",
		"012345678901234567890123456789012345",
	};
	static const char *const unsubs[] = {
		"",
		"https://x/u\r\nBcc: x@y",
		"https://x/u>",
		"https://x/<u",
		"https://x/ u",
		"https://x/\"u",
	};
	struct mail m;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "keep");
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		m = base;
		m.to_addr = addrs[i];
		if (mail_compose(&m, &b) != -1)
			fail_msg("to_addr \"%s\" accepted", addrs[i]);
		m = base;
		m.from_addr = addrs[i];
		if (mail_compose(&m, &b) != -1)
			fail_msg("from_addr \"%s\" accepted", addrs[i]);
	}
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		m = base;
		m.message_id = ids[i];
		if (mail_compose(&m, &b) != -1)
			fail_msg("message_id \"%s\" accepted", ids[i]);
	}
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		m = base;
		m.lang = langs[i];
		if (mail_compose(&m, &b) != -1)
			fail_msg("lang \"%s\" accepted", langs[i]);
	}
	for (i = 0; i < sizeof(unsubs) / sizeof(unsubs[0]); i++) {
		m = base;
		m.list_unsubscribe = unsubs[i];
		if (mail_compose(&m, &b) != -1)
			fail_msg("list_unsubscribe \"%s\" accepted", unsubs[i]);
	}
	m = base;
	m.to_addr = NULL;
	assert_int_equal(mail_compose(&m, &b), -1);
	m = base;
	m.text = NULL;
	assert_int_equal(mail_compose(&m, &b), -1);
	m = base;
	m.message_id = NULL;
	assert_int_equal(mail_compose(&m, &b), -1);
	/* A failure leaves out as it was. */
	assert_true(buf_ok(&b));
	assert_string_equal(b.data, "keep");
	/* Appends after what is there. */
	m = base;
	assert_int_equal(mail_compose(&m, &b), 0);
	assert_true(strncmp(b.data, "keepDate: ", 10) == 0);
	buf_reset(&b);

	/* International addresses are allowed (RFC 6532). */
	m = base;
	m.to_addr = "аня@пример.рф";
	assert_int_equal(mail_compose(&m, &b), 0);
	assert_non_null(strstr(b.data, "\r\nTo: \"Ann\" <аня@пример.рф>\r\n"));
	buf_reset(&b);
}

static void
test_header_clean(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "   ", "" },
		{ "  a \t b\r\n", "a b" },
		{ "a\r\n\r\nb", "a b" },
		{ "a\xc2\x85"
		  "b",
		    "a b" }, /* NEL */
		{ "a\xe2\x80\xa9"
		  "b",
		    "a b" }, /* paragraph separator */
		{ "a\x7f"
		  "b",
		    "a b" },
		{ "a\xff"
		  "b",
		    "a\xef\xbf\xbd"
		    "b" },
		{ "\xd0", "\xef\xbf\xbd" },		    /* truncated */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\xed\xa0\x80",
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "Анна 😀", "Анна 😀" },
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b);
		header_clean(&b, cases[i].in);
		buf_putc(&b, '\0');
		assert_string_equal(b.data, cases[i].want);
		buf_reset(&b);
	}
}

static void
test_encoded_words(void **state)
{
	const char *subject =
	    "Петиция «Сохраним городской парк» набрала 10 000 подписей — "
	    "спасибо, что вы с нами! Осталось совсем немного: поделитесь "
	    "ссылкой с друзьями 🌳🌳🌳 и соседями, чтобы нас услышали.";
	const char *name =
	    "Анна-Мария Константиновна Преображенская-Долгорукова 👩‍🔬";
	struct mail m = base;
	char *msg, *h, *v, *d, *want;
	size_t i, shift;

	(void)state;
	m.subject = subject;
	m.to_name = name;
	m.from_name = "Холос — петиции";
	msg = compose_ok(&m);
	assert_ew_lines(msg);
	d = subject_of(msg);
	assert_string_equal(d, subject);
	free(d);
	h = header_block(msg);
	assert_non_null(strstr(h, "\r\nSubject: =?UTF-8?B?"));
	v = header_get(h, "To");
	d = ew_decode(v);
	assert_int_equal(asprintf(&want, "%s <ann@example.org>", name) > 0, 1);
	assert_string_equal(d, want);
	free(want);
	free(d);
	free(v);
	v = header_get(h, "From");
	d = ew_decode(v);
	assert_string_equal(d, "Холос — петиции <noreply@holos.example>");
	free(d);
	free(v);
	free(h);
	free(msg);

	/* Shifting the text by one byte at a time moves every chunk edge
	 * across multi-byte sequences; none may be split. */
	for (shift = 0; shift < 8; shift++) {
		char s[512];

		for (i = 0; i < shift; i++)
			s[i] = 'a';
		snprintf(s + shift, sizeof(s) - shift, "%s", subject);
		m = base;
		m.subject = s;
		m.to_name = s;
		msg = compose_ok(&m);
		assert_ew_lines(msg);
		d = subject_of(msg);
		assert_string_equal(d, s);
		free(d);
		free(msg);
	}
}

static void
test_plain_headers(void **state)
{
	const char *long_ascii =
	    "Your signature on the petition to keep the city park open for "
	    "everyone has been confirmed and counted, thank you very much";
	struct mail m = base;
	char *msg, *h, *v;

	(void)state;
	msg = compose_ok(&m);
	h = header_block(msg);
	assert_non_null(
	    strstr(h, "\r\nSubject: Please confirm your signature\r\n"));
	assert_non_null(
	    strstr(h, "\r\nFrom: \"Holos\" <noreply@holos.example>\r\n"));
	assert_non_null(strstr(h, "\r\nTo: \"Ann\" <ann@example.org>\r\n"));
	free(h);
	free(msg);

	/* Long ASCII folds between words; unfolding restores it. */
	m.subject = long_ascii;
	msg = compose_ok(&m);
	h = header_block(msg);
	assert_null(strstr(h, "=?"));
	v = header_get(h, "Subject");
	assert_string_equal(v, long_ascii);
	free(v);
	free(h);
	free(msg);

	/* Text that looks like an encoded-word is encoded itself. */
	m.subject = "=?UTF-8?B?0JY=?=";
	msg = compose_ok(&m);
	v = subject_of(msg);
	assert_string_equal(v, "=?UTF-8?B?0JY=?=");
	free(v);
	free(msg);

	/* No names: bare addresses; no subject: empty. */
	m = base;
	m.from_name = NULL;
	m.to_name = " \r\n ";
	m.subject = NULL;
	m.lang = NULL;
	msg = compose_ok(&m);
	h = header_block(msg);
	assert_non_null(strstr(h, "\r\nFrom: noreply@holos.example\r\n"));
	assert_non_null(strstr(h, "\r\nTo: ann@example.org\r\n"));
	assert_non_null(strstr(h, "\r\nSubject:\r\n"));
	assert_null(strstr(h, "Content-Language"));
	free(h);
	free(msg);

	/* A quote and a backslash in a name are escaped. */
	m = base;
	m.to_name = "Ann \"The\" \\Signer";
	msg = compose_ok(&m);
	assert_non_null(strstr(msg,
	    "\r\nTo: \"Ann \\\"The\\\" \\\\Signer\" <ann@example.org>\r\n"));
	free(msg);
}

static void
test_fixed_headers(void **state)
{
	struct mail m = base;
	char *msg;

	(void)state;
	msg = compose_ok(&m);
	assert_true(
	    strncmp(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n", 39) == 0);
	assert_non_null(strstr(msg,
	    "\r\nMessage-ID: <0123456789abcdef@holos.example>\r\n"));
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Language: en\r\n"));
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_null(strstr(msg, "List-Unsubscribe"));
	free(msg);

	m.date = 0;
	m.lang = "pt-BR";
	msg = compose_ok(&m);
	assert_true(
	    strncmp(msg, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n", 39) == 0);
	assert_non_null(strstr(msg, "\r\nContent-Language: pt-BR\r\n"));
	free(msg);

	m.date = 951782400; /* leap day 2000 */
	msg = compose_ok(&m);
	assert_true(
	    strncmp(msg, "Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n", 39) == 0);
	free(msg);
}

static void
test_list_unsubscribe(void **state)
{
	struct mail m = base;
	char *msg, *h, *v;

	(void)state;
	m.list_unsubscribe = "https://holos.example/unsubscribe?t=abc%2Fdef&x=1";
	msg = compose_ok(&m);
	h = header_block(msg);
	v = header_get(h, "List-Unsubscribe");
	assert_string_equal(v,
	    "<https://holos.example/unsubscribe?t=abc%2Fdef&x=1>");
	free(v);
	v = header_get(h, "List-Unsubscribe-Post");
	assert_string_equal(v, "List-Unsubscribe=One-Click");
	free(v);
	free(h);
	free(msg);
}

static void
test_message_id(void **state)
{
	char a[128], b[128], small[40];
	size_t i;

	(void)state;
	mail_message_id(a, sizeof(a), "holos.example");
	mail_message_id(b, sizeof(b), "holos.example");
	assert_int_equal(strlen(a), 1 + 32 + 1 + 13 + 1);
	assert_int_equal(a[0], '<');
	for (i = 1; i <= 32; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_equal(a + 33, "@holos.example>");
	assert_string_not_equal(a, b);
	assert_true(msgid_ok(a));

	mail_message_id(a, sizeof(a), "bad host\r\n>.org");
	assert_string_equal(a + 33, "@badhost.org>");
	mail_message_id(a, sizeof(a), "");
	assert_string_equal(a + 33, "@localhost>");
	mail_message_id(a, sizeof(a), NULL);
	assert_string_equal(a + 33, "@localhost>");

	/* Exactly enough room, then one byte short. */
	mail_message_id(small, 36 + 3, "a.b");
	assert_int_equal(strlen(small), 38);
	mail_message_id(small, 36 + 2, "a.b");
	assert_string_equal(small, "");
	mail_message_id(small, 0, "a.b");
}

static void
test_multipart(void **state)
{
	struct mail m = base;
	char *msg, *h, *ct, *t, *x, *bnd, *msg2, *p;
	size_t count;

	(void)state;
	m.text = "Plain text.\n";
	m.html = "<p>HTML &amp; more</p>\n";
	msg = compose_ok(&m);
	h = header_block(msg);
	ct = header_get(h, "Content-Type");
	assert_true(
	    strncmp(ct, "multipart/alternative; boundary=\"=_holos_", 41) == 0);
	assert_null(header_get(h, "Content-Transfer-Encoding"));
	bnd = strstr(ct, "\"") + 1;
	*strchr(bnd, '"') = '\0';
	assert_int_equal(strlen(bnd), 8 + 32);
	/* Once in the header, two delimiters and the close. */
	for (count = 0, p = msg; (p = strstr(p, bnd)) != NULL; p++)
		count++;
	assert_int_equal(count, 4);
	t = part_get(msg, "text/plain; charset=utf-8", NULL);
	x = part_get(msg, "text/html; charset=utf-8", NULL);
	assert_non_null(t);
	assert_non_null(x);
	assert_string_equal(t, "Plain text.\r\n");
	assert_string_equal(x, "<p>HTML &amp; more</p>\r\n");
	/* The text part comes first: clients show the last they can. */
	assert_true(strstr(msg, "text/plain") < strstr(msg, "text/html"));
	free(t);
	free(x);

	/* A fresh boundary each time. */
	msg2 = compose_ok(&m);
	assert_null(strstr(msg2, bnd));
	free(msg2);
	free(ct);
	free(h);
	free(msg);

	/* Without html: one text/plain entity. */
	m.html = NULL;
	msg = compose_ok(&m);
	assert_null(strstr(msg, "multipart"));
	assert_null(strstr(msg, "=_holos_"));
	h = header_block(msg);
	ct = header_get(h, "Content-Type");
	assert_string_equal(ct, "text/plain; charset=utf-8");
	t = part_get(msg, "text/plain", NULL);
	assert_string_equal(t, "Plain text.\r\n");
	free(t);
	free(ct);
	free(h);
	free(msg);
}

/* Composes body as text and html, decodes both parts and compares with
 * the body in CRLF form; returns the text part's encoding name. */
static char *
roundtrip(const char *body)
{
	struct mail m = base;
	struct buf want;
	char *msg, *t, *x, *cte, *cte2;

	buf_init(&want);
	crlf_normalize(&want, body);
	assert_true(buf_ok(&want));
	m.text = body;
	m.html = body;
	msg = compose_ok(&m);
	t = part_get(msg, "text/plain", &cte);
	x = part_get(msg, "text/html", &cte2);
	if (t == NULL || strcmp(t, want.data) != 0)
		fail_msg("text round trip of \"%s\" gave \"%s\"\n%s", body,
		    t ? t : "(null)", msg);
	assert_string_equal(x, want.data);
	assert_string_equal(cte, cte2);
	free(cte2);
	free(t);
	free(x);
	free(msg);
	buf_reset(&want);
	return cte;
}

static void
test_quoted_printable(void **state)
{
	static const char *const bodies[] = {
		"",
		"\n",
		"a",
		"plain ascii\n",
		"no newline at end",
		"trailing space \nnext\t\n\t \n",
		"a=b==c\n=\n",
		"=",
		"From here\n.dot\n..two\nFrom\nFrom: x\n",
		".",
		"\r\n\r\n\n\r\rmixed\r\nbreaks\r",
		"controls \x01\x02\x1b[0m\x7f end\n",
		"accents: café and naïve in a sentence of mostly plain ascii\n",
		"emoji 😀 in ascii text that is long enough to stay QP\n",
	};
	char line[3000], *cte;
	size_t i, j, w;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		cte = roundtrip(bodies[i]);
		if (strcmp(cte, "quoted-printable") != 0)
			fail_msg("\"%s\" went %s", bodies[i], cte);
		free(cte);
	}
	/* Long lines of every width around the soft-break limit, with
	 * spaces and escapes landing on the edge. */
	for (w = 70; w < 82; w++) {
		const char *fill[] = { "x", " ", "=", "é", "x ", "\t" };

		for (j = 0; j < sizeof(fill) / sizeof(fill[0]); j++) {
			size_t n = 0;

			while (n + strlen(fill[j]) <= w) {
				memcpy(line + n, fill[j], strlen(fill[j]));
				n += strlen(fill[j]);
			}
			line[n] = '\0';
			if (j == 3) /* all non-ASCII: base64 */
				continue;
			cte = roundtrip(line);
			free(cte);
		}
	}
	memset(line, 'y', 2999);
	line[2999] = '\0';
	cte = roundtrip(line);
	assert_string_equal(cte, "quoted-printable");
	free(cte);
	/* Escapes, soft breaks and line ends across the encoder's output
	 * chunks, at every offset of a 7-byte pattern. */
	for (w = 0; w < 7; w++) {
		size_t n = w;

		memset(line, 'q', w);
		while (n + 7 < sizeof(line) - 1) {
			memcpy(line + n, "=a\n.c \t", 7);
			n += 7;
		}
		line[n] = '\0';
		cte = roundtrip(line);
		assert_string_equal(cte, "quoted-printable");
		free(cte);
	}
}

static void
test_qp_output(void **state)
{
	struct buf b;
	const char *in = "From me\r\n.\r\nend \r\ntab\t\r\nx\r\n";

	(void)state;
	buf_init(&b);
	qp_append(&b, in, strlen(in));
	assert_string_equal(b.data,
	    "=46rom me\r\n=2E\r\nend=20\r\ntab=09\r\nx\r\n");
	buf_reset(&b);
}

static void
test_base64(void **state)
{
	const char *ru =
	    "Здравствуйте! Ваша подпись под петицией подтверждена.\n"
	    "Спасибо.\n";
	char body[600], *cte;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(body, sizeof(body), "%.*s%s", (int)i, "абв", ru);
		cte = roundtrip(body);
		assert_string_equal(cte, "base64");
		free(cte);
	}
	/* Right at the 57-byte line edge. */
	for (i = 0; i < 60; i++)
		memcpy(body + 2 * i, "ж", 2);
	for (i = 110; i < 118; i++) {
		body[i] = '\0';
		cte = roundtrip(body);
		free(cte);
		memcpy(body + 2 * (i / 2), "ж", 2);
	}
}

static void
test_lines(void **state)
{
	struct buf big, html;
	struct mail m = base;
	char *msg;
	size_t i;
	unsigned char *p;

	(void)state;
	buf_init(&big);
	buf_init(&html);
	for (i = 0; i < 400; i++)
		buf_puts(&big, "Очень длинная строка без переводов ");
	buf_puts(&big, "\n");
	for (i = 0; i < 3000; i++)
		buf_puts(&html, "<b>x</b>");
	assert_true(buf_ok(&big) && buf_ok(&html));
	m.subject = big.data;
	m.to_name = big.data;
	m.text = big.data;
	m.html = html.data;
	m.list_unsubscribe =
	    "https://holos.example/u/0123456789abcdef0123456789abcdef";
	msg = compose_ok(&m);
	assert_ew_lines(msg);
	/* 7-bit only. */
	for (p = (unsigned char *)msg; *p; p++)
		assert_true(*p < 0x80);
	free(msg);
	buf_reset(&big);
	buf_reset(&html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_header_clean),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_plain_headers),
		cmocka_unit_test(test_fixed_headers),
		cmocka_unit_test(test_list_unsubscribe),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_qp_output),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
