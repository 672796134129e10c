/* mail_smtp.c - delivery through libcurl's SMTP: URLs, TLS policy, reply classes. */
#include "mail_smtp.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"

#define DEFAULT_TIMEOUT_MS 60000L
#define ADDR_MAX 254
#define REPLY_MAX 200
/* Messages on one connection before it is closed and another opened, and
 * the longest a connection may sit idle before it is not reused. The next
 * message's MAIL begins a new transaction and clears the last one's state
 * (RFC 5321 3.3), so no RSET goes between messages; a message that failed
 * closes the connection instead (smtp_session_send()). */
#define SESSION_MESSAGES 100
#define SESSION_IDLE_S 30

static const char *const result_names[SMTP__MAX] = {
	[SMTP_SENT] = "sent",
	[SMTP_TEMPFAIL] = "tempfail",
	[SMTP_PERMFAIL] = "permfail",
	[SMTP_REFUSED] = "refused",
};

/* What a config turns into: a URL without credentials, and the rest. */
struct target {
	CURLU *url;
	char *user, *pass; /* curl_free()'d, pass wiped first */
	long use_ssl;	   /* CURLOPT_USE_SSL */
};

/* The message being uploaded. */
struct upload {
	const char *p;
	size_t left;
};

/* What the debug callback keeps of the conversation: the last command
 * verb sent and the last reply line; never command arguments, which hold
 * addresses and, for AUTH, credentials. */
struct trace {
	char verb[10];
	char reply[REPLY_MAX];
	bool quit; /* after QUIT nothing is about the message */
};

const char *
smtp_result_name(enum smtp_result r)
{
	return r >= 0 && r < SMTP__MAX ? result_names[r] : "unknown";
}

int
smtp_global_init(void)
{
	const curl_version_info_data *v;
	bool smtp = false, smtps = false;
	size_t i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("smtp", "error=curl_global_init");
		return -1;
	}
	v = curl_version_info(CURLVERSION_NOW);
	for (i = 0; v->protocols[i] != NULL; i++) {
		smtp |= strcmp(v->protocols[i], "smtp") == 0;
		smtps |= strcmp(v->protocols[i], "smtps") == 0;
	}
	if (!smtp || !smtps || !(v->features & CURL_VERSION_SSL)) {
		log_error("smtp",
		    "error=\"libcurl lacks smtp, smtps or tls\" "
		    "curl=%s",
		    v->version);
		curl_global_cleanup();
		return -1;
	}
	return 0;
}

void
smtp_global_cleanup(void)
{
	curl_global_cleanup();
}

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* True for an envelope address curl can put in <>: no controls, spaces
 * or angle brackets, one '@' with something on each side. */
static bool
envelope_ok(const char *s)
{
	const char *at;
	size_t n, i;

	if (s == NULL || (n = strlen(s)) == 0 || n > ADDR_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	at = strrchr(s, '@');
	return at != NULL && at != s && at[1] != '\0' && strchr(s, '@') == at;
}

static bool
helo_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 255)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-[]:", s[i]))
			return false;
	return true;
}

/* Copies the domain of an address for log lines: printable, no quotes,
 * at most 64 bytes. */
static void
log_domain(char *out, size_t len, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	size_t i, n = 0;

	if (at != NULL)
		for (i = 1; at[i] != '\0' && n + 1 < len && n < 64; i++)
			if (at[i] > 0x20 && at[i] < 0x7f && at[i] != '"')
				out[n++] = at[i];
	if (n == 0 && len > 1)
		out[n++] = '-';
	out[n] = '\0';
}

static void
target_free(struct target *t)
{
	curl_url_cleanup(t->url);
	if (t->pass != NULL) {
		explicit_bzero(t->pass, strlen(t->pass));
		curl_free(t->pass);
	}
	curl_free(t->user);
	memset(t, 0, sizeof(*t));
}

/* Turns c into t. Returns 0, or -1 with a reason in err and t empty. The
 * reason never quotes the URL, which may hold the password. */
static int
target_parse(const struct smtp_config *c, struct target *t, char *err,
    size_t errlen)
{
	static const char starttls[] = "smtp+starttls://";
	char fixed[2048], *part = NULL;
	const char *url = c->url;
	CURLUcode uc;

	memset(t, 0, sizeof(*t));
	if (url == NULL || url[0] == '\0') {
		seterr(err, errlen, "smtp url missing");
		return -1;
	}
	if (strncasecmp(url, starttls, sizeof(starttls) - 1) == 0) {
		if (snprintf(fixed, sizeof(fixed), "smtp://%s",
			url + sizeof(starttls) - 1) >= (int)sizeof(fixed)) {
			seterr(err, errlen, "smtp url too long");
			return -1;
		}
		url = fixed;
		t->use_ssl = CURLUSESSL_ALL;
	} else if (strncasecmp(url, "smtp://", 7) == 0) {
		t->use_ssl = CURLUSESSL_TRY;
	} else if (strncasecmp(url, "smtps://", 8) == 0) {
		t->use_ssl = CURLUSESSL_ALL;
	} else {
		seterr(err, errlen,
		    "smtp url scheme is not smtp, "
		    "smtp+starttls or smtps");
		return -1;
	}
	if ((t->url = curl_url()) == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (curl_url_set(t->url, CURLUPART_URL, url, 0) != CURLUE_OK) {
		seterr(err, errlen, "smtp url does not parse");
		goto fail;
	}
	if (curl_url_get(t->url, CURLUPART_PATH, &part, 0) == CURLUE_OK &&
	    part[0] != '\0' && strcmp(part, "/") != 0) {
		seterr(err, errlen, "smtp url has a path (set helo instead)");
		goto fail;
	}
	curl_free(part);
	part = NULL;
	if (curl_url_get(t->url, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(t->url, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		seterr(err, errlen, "smtp url has a query or fragment");
		goto fail;
	}
	uc = curl_url_get(t->url, CURLUPART_USER, &t->user, CURLU_URLDECODE);
	if (uc != CURLUE_OK && uc != CURLUE_NO_USER) {
		seterr(err, errlen, "smtp url user does not decode");
		goto fail;
	}
	uc = curl_url_get(t->url, CURLUPART_PASSWORD, &t->pass, CURLU_URLDECODE);
	if (uc != CURLUE_OK && uc != CURLUE_NO_PASSWORD) {
		seterr(err, errlen, "smtp url password does not decode");
		goto fail;
	}
	if (curl_url_set(t->url, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(t->url, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if ((t->user != NULL && strpbrk(t->user, "\r\n") != NULL) ||
	    (t->pass != NULL && strpbrk(t->pass, "\r\n") != NULL)) {
		seterr(err, errlen, "smtp credentials contain a line break");
		goto fail;
	}
	/* Credentials never cross the network in clear. */
	if (t->user != NULL || t->pass != NULL)
		t->use_ssl = CURLUSESSL_ALL;
	if (c->helo != NULL) {
		char path[300];

		if (!helo_ok(c->helo)) {
			seterr(err, errlen, "smtp helo is not a host name");
			goto fail;
		}
		/* libcurl takes the EHLO name from the URL path. */
		snprintf(path, sizeof(path), "/%s", c->helo);
		if (curl_url_set(t->url, CURLUPART_PATH, path, 0) != CURLUE_OK) {
			seterr(err, errlen, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	curl_free(part);
	target_free(t);
	return -1;
}

int
smtp_config_check(const struct smtp_config *c, char *err, size_t errlen)
{
	struct target t;

	if (target_parse(c, &t, err, errlen) == -1)
		return -1;
	target_free(&t);
	seterr(err, errlen, "");
	return 0;
}

static size_t
upload_read(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->left)
		n = u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static int
trace_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	static const char *const verbs[] = {
		"EHLO",
		"HELO",
		"STARTTLS",
		"AUTH",
		"MAIL",
		"RCPT",
		"DATA",
		"QUIT",
		"RSET",
	};
	struct trace *t = arg;
	size_t i, n;

	(void)h;
	if (t->quit)
		return 0;
	for (n = 0; n < size && data[n] != '\r' && data[n] != '\n'; n++)
		;
	if (type == CURLINFO_HEADER_IN) {
		if (n >= sizeof(t->reply))
			n = sizeof(t->reply) - 1;
		memcpy(t->reply, data, n);
		t->reply[n] = '\0';
	} else if (type == CURLINFO_HEADER_OUT) {
		/* AUTH continuation lines are credentials: only a known verb
		 * followed by a space or the line end is kept. */
		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
			size_t vl = strlen(verbs[i]);

			if (n >= vl && strncasecmp(data, verbs[i], vl) == 0 &&
			    (n == vl || data[vl] == ' ')) {
				if (strcmp(verbs[i], "QUIT") == 0)
					t->quit = true;
				else
					memcpy(t->verb, verbs[i], vl + 1);
				break;
			}
		}
	}
	return 0;
}

/* Appends src to dst (of cap bytes) as one printable line, with the local
 * part of anything that looks like an address masked as "*" and double
 * quotes made single. */
static void
append_redacted(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(dst), i, j, end;
	const char *at;

	for (i = 0; src[i] != '\0' && n + 1 < cap; i = end) {
		if (strchr(" <>()[],;:\"'", src[i]) != NULL) {
			dst[n++] = src[i] == '"' ? '\'' : src[i];
			end = i + 1;
			continue;
		}
		for (end = i; src[end] != '\0' &&
		     strchr(" <>()[],;:\"'", src[end]) == NULL;
		     end++)
			;
		at = memchr(src + i, '@', end - i);
		if (at != NULL) {
			dst[n++] = '*';
			i = (size_t)(at - src);
		}
		for (j = i; j < end && n + 1 < cap; j++) {
			unsigned char c = (unsigned char)src[j];

			dst[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
		}
	}
	dst[n] = '\0';
}

/* Builds err from what curl and the server said, without secrets. */
static void
describe(char *err, size_t errlen, CURLcode rc, const char *curlmsg,
    const struct trace *tr, long code, const struct target *t)
{
	char line[512] = "";
	char *p;

	if (code >= 400 && tr->verb[0] != '\0' && tr->reply[0] != '\0') {
		snprintf(line, sizeof(line), "%s refused: ", tr->verb);
		append_redacted(line, sizeof(line), tr->reply);
	} else
		append_redacted(line, sizeof(line),
		    curlmsg[0] ? curlmsg : curl_easy_strerror(rc));
	/* libcurl never quotes the password, but make sure. */
	if (t->pass != NULL && t->pass[0] != '\0')
		while ((p = strstr(line, t->pass)) != NULL)
			memset(p, '*', strlen(t->pass));
	seterr(err, errlen, line);
}

/* Which 5xx replies are about this message rather than about us. */
static enum smtp_result
classify(CURLcode rc, long code, const struct trace *tr)
{
	if (rc == CURLE_OK)
		return SMTP_SENT;
	if (code < 500 || code > 599 || code == 530 || code == 534 ||
	    code == 535 || code == 538)
		return SMTP_TEMPFAIL;
	if (strcmp(tr->verb, "RCPT") == 0 &&
	    (code == 550 || code == 551 || code == 553))
		return SMTP_REFUSED;
	if (strcmp(tr->verb, "MAIL") == 0 || strcmp(tr->verb, "RCPT") == 0 ||
	    strcmp(tr->verb, "DATA") == 0)
		return SMTP_PERMFAIL;
	return SMTP_TEMPFAIL;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A connection to the relay kept for several messages. */
struct smtp_session {
	struct smtp_config c; /* strings borrowed for the session's life */
	struct target t;
	bool parsed;
	CURL *h;	  /* NULL: the next message opens a connection */
	int messages;	  /* sent on the present connection */
	char reason[512]; /* why the target cannot be used, once parsed */
};

struct smtp_session *
smtp_session_new(const struct smtp_config *c)
{
	struct smtp_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->c = *c;
	return s;
}

/* Ends the connection (QUIT) and forgets the handle. */
static void
session_close(struct smtp_session *s)
{
	if (s->h != NULL)
		curl_easy_cleanup(s->h);
	s->h = NULL;
	s->messages = 0;
}

void
smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	session_close(s);
	if (s->parsed)
		target_free(&s->t);
	free(s);
}

/* The handle with everything that holds for every message. Returns 0, or
 * -1 (out of memory). */
static int
session_open(struct smtp_session *s)
{
	const struct smtp_config *c = &s->c;
	CURL *h;

	if ((h = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(h, CURLOPT_CURLU, s->t.url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    c->timeout_ms > 0 ? c->timeout_ms : DEFAULT_TIMEOUT_MS);
	/* A relay drops idle sessions after a few minutes (RFC 5321 asks
	 * for 5); a connection idle longer than this is not tried. */
	curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, (long)SESSION_IDLE_S);
	curl_easy_setopt(h, CURLOPT_USE_SSL, s->t.use_ssl);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->insecure_tls) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (s->t.user != NULL)
		curl_easy_setopt(h, CURLOPT_USERNAME, s->t.user);
	if (s->t.pass != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->t.pass);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	/* Verbose only feeds trace_cb; nothing reaches stderr. */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, trace_cb);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	s->h = h;
	s->messages = 0;
	return 0;
}

enum smtp_result
smtp_session_send(struct smtp_session *s, const char *from, const char *rcpt,
    const char *msg, size_t len, char *err, size_t errlen)
{
	char curlmsg[CURL_ERROR_SIZE] = "", domain[72], addr[ADDR_MAX + 3];
	char reason[512];
	struct trace tr;
	struct upload up = { msg, len };
	struct curl_slist *rcpts = NULL;
	struct timespec t0;
	enum smtp_result r = SMTP_TEMPFAIL;
	CURLcode rc = CURLE_OK;
	long code = 0;

	memset(&tr, 0, sizeof(tr));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_domain(domain, sizeof(domain), rcpt);
	seterr(err, errlen, "");
	if (!envelope_ok(from) || !envelope_ok(rcpt) || msg == NULL) {
		r = SMTP_PERMFAIL;
		snprintf(reason, sizeof(reason), "%s",
		    msg == NULL ? "no message" : "unusable envelope address");
		goto done;
	}
	if (!s->parsed) {
		if (target_parse(&s->c, &s->t, s->reason, sizeof(s->reason)) ==
		    -1) {
			snprintf(reason, sizeof(reason), "%s", s->reason);
			goto done;
		}
		s->parsed = true;
	}
	if (s->h == NULL && session_open(s) == -1) {
		snprintf(reason, sizeof(reason), "out of memory");
		goto done;
	}

	snprintf(addr, sizeof(addr), "<%s>", rcpt);
	if ((rcpts = curl_slist_append(NULL, addr)) == NULL) {
		snprintf(reason, sizeof(reason), "out of memory");
		goto done;
	}
	snprintf(addr, sizeof(addr), "<%s>", from);
	curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(s->h, CURLOPT_READDATA, &up);
	curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, curlmsg);
	curl_easy_setopt(s->h, CURLOPT_DEBUGDATA, &tr);

	rc = curl_easy_perform(s->h);
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	r = classify(rc, code, &tr);
	if (r != SMTP_SENT)
		describe(reason, sizeof(reason), rc, curlmsg, &tr, code, &s->t);
	/* A failed transaction leaves the session in a state not worth
	 * guessing: the next message opens a new one. So does a session
	 * that carried SESSION_MESSAGES. */
	if (r != SMTP_SENT || ++s->messages >= SESSION_MESSAGES)
		session_close(s);

done:
	if (r == SMTP_SENT) {
		log_info("smtp", "result=sent domain=%s ms=%ld", domain,
		    elapsed_ms(&t0));
	} else {
		log_warn("smtp",
		    "result=%s domain=%s code=%ld ms=%ld "
		    "reason=\"%s\"",
		    smtp_result_name(r), domain, code, elapsed_ms(&t0), reason);
		seterr(err, errlen, reason);
	}
	curl_slist_free_all(rcpts);
	/* The handle keeps pointers to this call's buffers until the next
	 * call sets them again. */
	if (s->h != NULL) {
		curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, NULL);
		curl_easy_setopt(s->h, CURLOPT_READDATA, NULL);
		curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(s->h, CURLOPT_DEBUGDATA, NULL);
	}
	return r;
}

enum smtp_result
smtp_send(const struct smtp_config *c, const char *from, const char *rcpt,
    const char *msg, size_t len, char *err, size_t errlen)
{
	struct smtp_session *s = smtp_session_new(c);
	enum smtp_result r;

	if (s == NULL) {
		seterr(err, errlen, "out of memory");
		return SMTP_TEMPFAIL;
	}
	r = smtp_session_send(s, from, rcpt, msg, len, err, errlen);
	smtp_session_free(s);
	return r;
}
