/* audit.c - holos audit and holos verify: a petition's log checked from
 * outside, through the site's HTTP API, trusting only what it recomputes. */
#include "audit.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "merkle.h"
#include "petition.h"
#include "translog.h"

#define BODY_MAX (4L << 20) /* bytes of one answer */
#define ENTRIES_PER_CALL 1000
#define FILE_MAX (64L << 10) /* bytes of a receipt or state file */
#define WHY_MAX 600
#define SHOWN_MAX 160 /* bytes of a server's message quoted */
#define HASH_B64 (TRANSLOG_B64_LEN(MERKLE_HASH_BYTES) + 1)
#define INPUT_MAX 96 /* bytes of leaf input decoded */
/* A server that answers 429 or 503 with Retry-After (its rate limit, a
 * catch-up in progress) is asked again after that wait, if it is at most
 * WAIT_MAX seconds, up to TRIES times for one request. */
#define WAIT_MAX 60
#define TRIES 8

/* One check's connection and verdict: the first failure is kept. */
struct client {
	CURL *curl;
	char base[TRANSLOG_SITE_MAX + 1]; /* no trailing slash */
	const char *slug;
	struct buf body;
	bool too_big;
	unsigned requests;
	enum audit_status status;
	char why[WHY_MAX];
	char curl_err[CURL_ERROR_SIZE];
};

/* A verified tree head and the key that signed it. */
struct head {
	unsigned char pk[TRANSLOG_PUBLIC_KEY_BYTES];
	unsigned char key_id[TRANSLOG_HASH_BYTES];
	struct translog_sth sth;
};

/* What a previous audit left in --state. */
struct saved {
	bool have;
	uint64_t tree_size, timestamp;
	unsigned char root[MERKLE_HASH_BYTES];
	unsigned char key_id[TRANSLOG_HASH_BYTES];
};

/* The leaves an audit samples for audit paths, sorted, and their hashes
 * caught on the way past. */
struct sample {
	uint64_t *idx;
	unsigned char (*hash)[MERKLE_HASH_BYTES];
	size_t n;
};

/* The entries' verdict. */
struct tally {
	uint64_t signatures, removals;	    /* among all entries read */
	uint64_t counted, removed, repeats; /* among the first log_size */
	unsigned char root[MERKLE_HASH_BYTES];
	unsigned char saved_root[MERKLE_HASH_BYTES];
};

static int verdict(struct client *c, enum audit_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
verdict(struct client *c, enum audit_status st, const char *fmt, ...)
{
	va_list ap;

	if (c->status != AUDIT_OK)
		return -1;
	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A server's words, made safe for a terminal: printable ASCII only. */
static void
shown(char *out, size_t cap, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < cap && i < SHOWN_MAX; i++)
		out[n++] = (s[i] >= ' ' && s[i] <= '~') ? s[i] : '?';
	if (i < len && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static void
time_text(char *out, size_t cap, uint64_t ms)
{
	time_t t;
	struct tm tm;

	if (ms / 1000 > (uint64_t)INT32_MAX * 4 ||
	    (t = (time_t)(ms / 1000), gmtime_r(&t, &tm) == NULL)) {
		snprintf(out, cap, "%llu ms", (unsigned long long)ms);
		return;
	}
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(ms % 1000));
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct client *c = arg;
	size_t bytes = size * n;

	if (bytes > (size_t)BODY_MAX - c->body.len) {
		c->too_big = true;
		return 0;
	}
	buf_append(&c->body, p, bytes);
	return buf_ok(&c->body) ? bytes : 0;
}

static int
client_open(struct client *c, const char *url, const char *slug, long timeout)
{
	size_t len;

	memset(c, 0, sizeof(*c));
	buf_init(&c->body);
	c->slug = slug;
	len = url != NULL ? strlen(url) : 0;
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (url == NULL || !translog_site_valid(url, len))
		return verdict(c, AUDIT_ERROR,
		    "\"%s\" is not a site's address (http:// or https://)",
		    url != NULL ? url : "");
	memcpy(c->base, url, len);
	c->base[len] = '\0';
	if (slug == NULL || !petition_slug_valid(slug, strlen(slug)))
		return verdict(c, AUDIT_ERROR,
		    "\"%s\" is not a petition's address",
		    slug != NULL ? slug : "");
	if (timeout <= 0)
		timeout = AUDIT_TIMEOUT;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c->curl = curl_easy_init()) == NULL)
		return verdict(c, AUDIT_ERROR, "cannot start libcurl");
	if (curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
		CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT,
		timeout < 10 ? timeout : 10L) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "holos-audit") !=
		CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE,
		(curl_off_t)BODY_MAX) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body) !=
		CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curl_err) !=
		CURLE_OK)
		return verdict(c, AUDIT_ERROR, "cannot set up libcurl");
	return 0;
}

/* Ends a check: frees the connection, prints the verdict's last line,
 * returns it. */
static int
client_close(struct client *c, FILE *report)
{
	if (c->curl != NULL) {
		curl_easy_cleanup(c->curl);
		curl_global_cleanup();
	}
	buf_reset(&c->body);
	if (c->status == AUDIT_OK)
		fprintf(report, "OK\n");
	else
		fprintf(report, "FAIL: %s\n", c->why);
	return (int)c->status;
}

/* GETs base + path and parses the answer. Returns the JSON object
 * (json_decref it), or NULL with the reason recorded. */
static json_t *
get_json(struct client *c, const char *path)
{
	char msg[SHOWN_MAX + 8], at[SHOWN_MAX + 8];
	struct buf url;
	json_error_t jerr;
	json_t *o;
	CURLcode rc;
	long code = 0;
	int tries;

	buf_init(&url);
	buf_puts(&url, c->base);
	buf_puts(&url, path);
	if (!buf_ok(&url)) {
		buf_reset(&url);
		verdict(c, AUDIT_ERROR, "out of memory");
		return NULL;
	}
	shown(at, sizeof(at), path, strlen(path));
	curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
	for (tries = 1;; tries++) {
		curl_off_t wait = -1;

		buf_reset(&c->body);
		c->too_big = false;
		c->curl_err[0] = '\0';
		rc = curl_easy_perform(c->curl);
		c->requests++;
		if (rc != CURLE_OK || tries == TRIES)
			break;
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
		if ((code != 429 && code != 503) ||
		    curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &wait) !=
			CURLE_OK ||
		    wait < 0 || wait > WAIT_MAX)
			break;
		sleep(wait > 0 ? (unsigned)wait : 1);
	}
	buf_reset(&url);
	if (c->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		verdict(c, AUDIT_ERROR, "GET %s: the answer is over %ld bytes",
		    at, BODY_MAX);
		return NULL;
	}
	if (rc != CURLE_OK) {
		verdict(c, AUDIT_ERROR, "GET %s: %s", at,
		    c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc));
		return NULL;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	o = json_loadb(c->body.data != NULL ? c->body.data : "", c->body.len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (code != 200) {
		json_t *e = json_object_get(o, "error");

		msg[0] = '\0';
		if (json_is_string(e)) {
			msg[0] = ':';
			msg[1] = ' ';
			shown(msg + 2, sizeof(msg) - 2, json_string_value(e),
			    json_string_length(e));
		}
		json_decref(o);
		verdict(c, AUDIT_ERROR, "GET %s: HTTP %ld%s", at, code, msg);
		return NULL;
	}
	if (o == NULL) {
		shown(msg, sizeof(msg), jerr.text, strlen(jerr.text));
		verdict(c, AUDIT_ERROR, "GET %s: not JSON (%s, byte %d)", at,
		    msg, jerr.position);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		verdict(c, AUDIT_ERROR, "GET %s: not a JSON object", at);
		return NULL;
	}
	return o;
}

static int
field_u64(struct client *c, const char *what, json_t *o, const char *key,
    uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return verdict(c, AUDIT_ERROR,
		    "%s: \"%s\" is missing or not a whole number", what, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* v, a base64 string of exactly n bytes (key names it in the reason). */
static int
b64_value(struct client *c, const char *what, json_t *v, const char *key,
    unsigned char *out, size_t n)
{
	size_t len;

	if (!json_is_string(v) ||
	    translog_b64_decode(json_string_value(v), json_string_length(v),
		out, n, &len) == -1 ||
	    len != n)
		return verdict(c, AUDIT_ERROR,
		    "%s: \"%s\" is missing or not %zu bytes of base64", what,
		    key, n);
	return 0;
}

static int
field_b64(struct client *c, const char *what, json_t *o, const char *key,
    unsigned char *out, size_t n)
{
	return b64_value(c, what, json_object_get(o, key), key, out, n);
}

/* A proof: an array of at most MERKLE_PROOF_MAX hashes. */
static int
field_proof(struct client *c, const char *what, json_t *o, const char *key,
    unsigned char out[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES], size_t *len)
{
	json_t *a = json_object_get(o, key), *e;
	size_t i;

	if (!json_is_array(a))
		return verdict(c, AUDIT_ERROR, "%s: \"%s\" is missing", what,
		    key);
	if (json_array_size(a) > MERKLE_PROOF_MAX)
		return verdict(c, AUDIT_ERROR,
		    "%s: \"%s\" has %zu hashes, more than any tree needs", what,
		    key, json_array_size(a));
	json_array_foreach(a, i, e)
	{
		if (b64_value(c, what, e, key, out[i], MERKLE_HASH_BYTES) == -1)
			return -1;
	}
	*len = json_array_size(a);
	return 0;
}

/* Entry e's leaf input, decoded. Base64 of more than INPUT_MAX bytes
 * cannot be a leaf and is not decoded. */
static int
entry_input(struct client *c, json_t *e, uint64_t i,
    unsigned char input[INPUT_MAX], size_t *len)
{
	json_t *li = json_object_get(e, "leaf_input");

	if (json_is_string(li) &&
	    json_string_length(li) > TRANSLOG_B64_LEN(INPUT_MAX))
		return verdict(c, AUDIT_MISMATCH,
		    "entry %llu is not a valid leaf (%zu characters)",
		    (unsigned long long)i, json_string_length(li));
	if (!json_is_string(li) ||
	    translog_b64_decode(json_string_value(li), json_string_length(li),
		input, INPUT_MAX, len) == -1)
		return verdict(c, AUDIT_ERROR,
		    "get-entries: entry %llu has no base64 \"leaf_input\"",
		    (unsigned long long)i);
	return 0;
}

/* GET /log/key, then the newest head, whose signature must verify. */
static int
fetch_head(struct client *c, struct head *h)
{
	unsigned char id[TRANSLOG_HASH_BYTES], sig[TRANSLOG_SIGNATURE_BYTES];
	char path[128];
	json_t *o, *alg;
	int rc = -1;

	if ((o = get_json(c, "/log/key")) == NULL)
		return -1;
	alg = json_object_get(o, "algorithm");
	if (!json_is_string(alg) ||
	    strcmp(json_string_value(alg), "ed25519") != 0) {
		verdict(c, AUDIT_ERROR,
		    "/log/key: the algorithm is not ed25519");
		goto done;
	}
	if (field_b64(c, "/log/key", o, "key", h->pk, sizeof(h->pk)) == -1 ||
	    field_b64(c, "/log/key", o, "key_id", h->key_id,
		sizeof(h->key_id)) == -1)
		goto done;
	translog_key_id(h->pk, id);
	if (memcmp(id, h->key_id, sizeof(id)) != 0) {
		verdict(c, AUDIT_MISMATCH,
		    "/log/key: key_id is not the SHA-256 of the key");
		goto done;
	}
	json_decref(o);
	snprintf(path, sizeof(path), "/p/%s/log/get-sth", c->slug);
	if ((o = get_json(c, path)) == NULL)
		return -1;
	if (field_u64(c, "get-sth", o, "tree_size", &h->sth.tree_size) == -1 ||
	    field_u64(c, "get-sth", o, "timestamp", &h->sth.timestamp) == -1 ||
	    field_b64(c, "get-sth", o, "sha256_root_hash", h->sth.root,
		sizeof(h->sth.root)) == -1 ||
	    field_b64(c, "get-sth", o, "tree_head_signature", sig,
		sizeof(sig)) == -1)
		goto done;
	if (!translog_sth_verify(h->pk, &h->sth, sig)) {
		verdict(c, AUDIT_MISMATCH,
		    "the tree head's signature does not verify with the site's "
		    "log key");
		goto done;
	}
	rc = 0;
done:
	json_decref(o);
	return rc;
}

static void
print_head(FILE *report, const struct head *h)
{
	char id[HASH_B64], when[64];

	translog_b64_encode(id, h->key_id, sizeof(h->key_id));
	time_text(when, sizeof(when), h->sth.timestamp);
	fprintf(report, "key       ed25519, key_id %s\n", id);
	fprintf(report,
	    "head      %llu entries, signed %s: signature verified\n",
	    (unsigned long long)h->sth.tree_size, when);
}

/* GET get-proof-by-hash for the leaf with hash lh, expected at index i,
 * and verify the path against the head. */
static int
check_path(struct client *c, const struct head *h, uint64_t i,
    const unsigned char lh[MERKLE_HASH_BYTES])
{
	unsigned char path[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES];
	char b64[HASH_B64], *esc, url[256];
	uint64_t at;
	size_t len;
	json_t *o;
	int rc = -1;

	translog_b64_encode(b64, lh, MERKLE_HASH_BYTES);
	if ((esc = curl_easy_escape(c->curl, b64, 0)) == NULL)
		return verdict(c, AUDIT_ERROR, "out of memory");
	snprintf(url, sizeof(url),
	    "/p/%s/log/get-proof-by-hash?hash=%s&tree_size=%llu", c->slug, esc,
	    (unsigned long long)h->sth.tree_size);
	curl_free(esc);
	if ((o = get_json(c, url)) == NULL)
		return -1;
	if (field_u64(c, "get-proof-by-hash", o, "leaf_index", &at) == -1 ||
	    field_proof(c, "get-proof-by-hash", o, "audit_path", path, &len) ==
		-1)
		goto done;
	/* Another index is fine only if the path proves an identical entry
	 * there: it is checked against the root of the same tree. */
	if (!merkle_verify_inclusion(at, h->sth.tree_size, lh,
		(const unsigned char(*)[MERKLE_HASH_BYTES])path, len,
		h->sth.root)) {
		if (at == i)
			verdict(c, AUDIT_MISMATCH,
			    "the audit path for entry %llu does not lead to "
			    "the signed root",
			    (unsigned long long)i);
		else
			verdict(c, AUDIT_MISMATCH,
			    "the audit path for entry %llu (answered for entry "
			    "%llu) does not lead to the signed root",
			    (unsigned long long)i, (unsigned long long)at);
		goto done;
	}
	rc = 0;
done:
	json_decref(o);
	return rc;
}

/* The first and last leaf of the head, and n at random, sorted, once
 * each. */
static int
sample_pick(struct sample *s, uint64_t tree_size, unsigned n)
{
	size_t i, j;

	s->n = 0;
	s->idx = calloc((size_t)n + 2, sizeof(*s->idx));
	s->hash = calloc((size_t)n + 2, sizeof(*s->hash));
	if (s->idx == NULL || s->hash == NULL)
		return -1;
	if (tree_size == 0)
		return 0;
	s->idx[s->n++] = 0;
	s->idx[s->n++] = tree_size - 1;
	for (i = 0; i < n; i++) {
		uint64_t r;

		randombytes_buf(&r, sizeof(r));
		s->idx[s->n++] = r % tree_size;
	}
	/* Insertion sort and dedupe: n is small. */
	for (i = 1; i < s->n; i++)
		for (j = i; j > 0 && s->idx[j - 1] > s->idx[j]; j--) {
			uint64_t t = s->idx[j];

			s->idx[j] = s->idx[j - 1];
			s->idx[j - 1] = t;
		}
	for (i = j = 0; i < s->n; i++)
		if (j == 0 || s->idx[j - 1] != s->idx[i])
			s->idx[j++] = s->idx[i];
	s->n = j;
	return 0;
}

static void
sample_free(struct sample *s)
{
	free(s->idx);
	free(s->hash);
}

#define BIT_GET(m, i) (((m)[(i) / 8] >> ((i) % 8)) & 1)
#define BIT_SET(m, i) ((m)[(i) / 8] |= (unsigned char)(1 << ((i) % 8)))

/* Downloads entries [0, total), recomputing the root of the first
 * tree_size, the root of the first saved_size (when not 0) and the count
 * of the first log_size, and catching the sampled leaves' hashes. */
static int
read_entries(struct client *c, uint64_t total, uint64_t tree_size,
    uint64_t log_size, uint64_t saved_size, struct sample *s, struct tally *t)
{
	unsigned char *is_sig = NULL, *removed = NULL;
	unsigned char input[INPUT_MAX], lh[MERKLE_HASH_BYTES];
	struct merkle_frontier f;
	struct translog_leaf leaf;
	char path[160];
	size_t si = 0, n, k, len;
	uint64_t i = 0, end;
	json_t *o = NULL, *a, *e;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	merkle_frontier_init(&f);
	merkle_frontier_root(&f, t->root);
	merkle_frontier_root(&f, t->saved_root);
	is_sig = calloc(total / 8 + 1, 1);
	removed = calloc(total / 8 + 1, 1);
	if (is_sig == NULL || removed == NULL) {
		verdict(c, AUDIT_ERROR, "out of memory for %llu entries",
		    (unsigned long long)total);
		goto done;
	}
	while (i < total) {
		end = total - i > ENTRIES_PER_CALL ? i + ENTRIES_PER_CALL - 1 :
						     total - 1;
		snprintf(path, sizeof(path),
		    "/p/%s/log/get-entries?start=%llu&end=%llu", c->slug,
		    (unsigned long long)i, (unsigned long long)end);
		if ((o = get_json(c, path)) == NULL)
			goto done;
		a = json_object_get(o, "entries");
		if (!json_is_array(a)) {
			verdict(c, AUDIT_ERROR,
			    "get-entries: \"entries\" is missing");
			goto done;
		}
		n = json_array_size(a);
		if (n == 0) {
			verdict(c, AUDIT_ERROR,
			    "get-entries: no entries from %llu, though the log "
			    "has %llu",
			    (unsigned long long)i, (unsigned long long)total);
			goto done;
		}
		if (n > end - i + 1) {
			verdict(c, AUDIT_ERROR,
			    "get-entries: %zu entries for %llu asked for", n,
			    (unsigned long long)(end - i + 1));
			goto done;
		}
		json_array_foreach(a, k, e)
		{
			if (entry_input(c, e, i, input, &len) == -1)
				goto done;
			if (translog_leaf_parse(input, len, &leaf) == -1) {
				verdict(c, AUDIT_MISMATCH,
				    "entry %llu is not a valid leaf",
				    (unsigned long long)i);
				goto done;
			}
			merkle_hash_leaf(input, len, lh);
			if (leaf.type == TRANSLOG_LEAF_SIGNATURE) {
				BIT_SET(is_sig, i);
				t->signatures++;
				if (i < log_size)
					t->counted++;
			} else {
				uint64_t r = leaf.removed_index;

				if (r >= i || !BIT_GET(is_sig, r)) {
					verdict(c, AUDIT_MISMATCH,
					    "entry %llu removes entry %llu, "
					    "which is not an earlier signature",
					    (unsigned long long)i,
					    (unsigned long long)r);
					goto done;
				}
				t->removals++;
				if (i < log_size) {
					if (BIT_GET(removed, r))
						t->repeats++;
					else
						t->removed++;
					BIT_SET(removed, r);
				}
			}
			if (i < tree_size)
				merkle_frontier_push(&f, lh);
			if (i + 1 == saved_size)
				merkle_frontier_root(&f, t->saved_root);
			if (i + 1 == tree_size)
				merkle_frontier_root(&f, t->root);
			while (si < s->n && s->idx[si] == i)
				memcpy(s->hash[si++], lh, MERKLE_HASH_BYTES);
			i++;
		}
		json_decref(o);
		o = NULL;
	}
	rc = 0;
done:
	json_decref(o);
	free(is_sig);
	free(removed);
	return rc;
}

/* Reads the state file; a missing one is a first run. */
static int
state_load(struct client *c, const char *path, struct saved *sv)
{
	char text[FILE_MAX + 1];
	json_t *o = NULL, *v;
	ssize_t n;
	size_t len;
	int fd, rc = -1;

	memset(sv, 0, sizeof(*sv));
	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return verdict(c, AUDIT_ERROR, "state %s: %s", path,
		    strerror(errno));
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || n > FILE_MAX)
		return verdict(c, AUDIT_ERROR, "state %s: %s", path,
		    n < 0 ? strerror(errno) : "too large");
	o = json_loadb(text, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		verdict(c, AUDIT_ERROR, "state %s: not a saved head", path);
		goto done;
	}
	v = json_object_get(o, "site");
	len = strlen(c->base);
	if (!json_is_string(v) || json_string_length(v) != len ||
	    memcmp(json_string_value(v), c->base, len) != 0 ||
	    !json_is_string(json_object_get(o, "petition")) ||
	    strcmp(json_string_value(json_object_get(o, "petition")),
		c->slug) != 0) {
		verdict(c, AUDIT_ERROR, "state %s: a head of another petition",
		    path);
		goto done;
	}
	if (field_u64(c, "state", o, "tree_size", &sv->tree_size) == -1 ||
	    field_u64(c, "state", o, "timestamp", &sv->timestamp) == -1 ||
	    field_b64(c, "state", o, "sha256_root_hash", sv->root,
		sizeof(sv->root)) == -1 ||
	    field_b64(c, "state", o, "key_id", sv->key_id,
		sizeof(sv->key_id)) == -1)
		goto done;
	sv->have = true;
	rc = 0;
done:
	json_decref(o);
	return rc;
}

/* Replaces the state file with the new head: written beside it, on disk,
 * then renamed over it, so a crash leaves the old or the new one. */
static int
state_save(struct client *c, const char *path, const struct head *h)
{
	char root[HASH_B64], id[HASH_B64], tmp[PATH_MAX];
	struct buf b;
	int fd = -1;

	translog_b64_encode(root, h->sth.root, sizeof(h->sth.root));
	translog_b64_encode(id, h->key_id, sizeof(h->key_id));
	buf_init(&b);
	buf_puts(&b, "{\"site\":\"");
	buf_append_json(&b, c->base, strlen(c->base));
	buf_printf(&b,
	    "\",\"petition\":\"%s\",\"tree_size\":%llu,\"timestamp\":%llu,"
	    "\"sha256_root_hash\":\"%s\",\"key_id\":\"%s\"}\n",
	    c->slug, (unsigned long long)h->sth.tree_size,
	    (unsigned long long)h->sth.timestamp, root, id);
	if (!buf_ok(&b) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, b.data, b.len) != (ssize_t)b.len ||
	    fsync(fd) == -1 || close(fd) == -1) {
		if (fd != -1)
			close(fd);
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		goto fail;
	}
	buf_reset(&b);
	return 0;
fail:
	buf_reset(&b);
	return verdict(c, AUDIT_ERROR, "state %s: cannot write it: %s", path,
	    strerror(errno));
}

/* The saved head against the new one: never smaller, the same key, and
 * consistent by the server's proof and by the entries themselves. */
static int
check_saved(struct client *c, const struct saved *sv, const struct head *h,
    const struct tally *t)
{
	unsigned char proof[MERKLE_PROOF_MAX][MERKLE_HASH_BYTES];
	char path[160];
	size_t len;
	json_t *o;
	int rc;

	if (memcmp(sv->key_id, h->key_id, sizeof(sv->key_id)) != 0)
		return verdict(c, AUDIT_MISMATCH,
		    "the site's log key is not the one of the saved head");
	if (sv->tree_size > h->sth.tree_size)
		return verdict(c, AUDIT_MISMATCH,
		    "the log shrank: the saved head has %llu entries, the "
		    "newest %llu",
		    (unsigned long long)sv->tree_size,
		    (unsigned long long)h->sth.tree_size);
	if (sv->tree_size == 0)
		return 0;
	if (sv->tree_size == h->sth.tree_size) {
		if (memcmp(sv->root, h->sth.root, sizeof(sv->root)) != 0)
			return verdict(c, AUDIT_MISMATCH,
			    "the log was rewritten: the newest head has the "
			    "saved head's size but another root");
		return 0;
	}
	if (memcmp(sv->root, t->saved_root, sizeof(sv->root)) != 0)
		return verdict(c, AUDIT_MISMATCH,
		    "the log was rewritten: its first %llu entries no longer "
		    "give the saved head's root",
		    (unsigned long long)sv->tree_size);
	snprintf(path, sizeof(path),
	    "/p/%s/log/get-sth-consistency?first=%llu&second=%llu", c->slug,
	    (unsigned long long)sv->tree_size,
	    (unsigned long long)h->sth.tree_size);
	if ((o = get_json(c, path)) == NULL)
		return -1;
	rc = field_proof(c, "get-sth-consistency", o, "consistency", proof,
	    &len);
	json_decref(o);
	if (rc == -1)
		return -1;
	if (!merkle_verify_consistency(sv->tree_size, h->sth.tree_size,
		sv->root, h->sth.root,
		(const unsigned char(*)[MERKLE_HASH_BYTES])proof, len))
		return verdict(c, AUDIT_MISMATCH,
		    "the consistency proof from the saved head (%llu entries) "
		    "to the newest (%llu) does not verify",
		    (unsigned long long)sv->tree_size,
		    (unsigned long long)h->sth.tree_size);
	return 0;
}

/* GET /p/SLUG.json: the count and the log size it reflects. */
static int
fetch_page(struct client *c, uint64_t *count, uint64_t *log_size)
{
	char path[128];
	json_t *o;
	int rc = -1;

	snprintf(path, sizeof(path), "/p/%s.json", c->slug);
	if ((o = get_json(c, path)) == NULL)
		return -1;
	if (json_object_get(o, "log_size") == NULL)
		verdict(c, AUDIT_ERROR,
		    "the page has no log_size: the site publishes no log");
	else if (field_u64(c, "the page", o, "count", count) == 0 &&
	    field_u64(c, "the page", o, "log_size", log_size) == 0)
		rc = 0;
	json_decref(o);
	return rc;
}

static int
audit_steps(struct client *c, const struct audit_opts *opts, FILE *report)
{
	uint64_t count, log_size, total, max;
	struct sample s = { 0 };
	struct saved sv;
	struct head h;
	struct tally t;
	char when[64];
	size_t i;
	int rc = -1;

	if (state_load(c, opts->state_path, &sv) == -1 ||
	    fetch_head(c, &h) == -1)
		return -1;
	print_head(report, &h);
	if (fetch_page(c, &count, &log_size) == -1)
		return -1;
	fprintf(report, "page      count %llu over %llu entries\n",
	    (unsigned long long)count, (unsigned long long)log_size);
	total = h.sth.tree_size > log_size ? h.sth.tree_size : log_size;
	max = opts->max_entries ? opts->max_entries : AUDIT_MAX_ENTRIES;
	if (total > max)
		return verdict(c, AUDIT_ERROR,
		    "the log has %llu entries, more than the %llu this audit "
		    "reads (--max-entries)",
		    (unsigned long long)total, (unsigned long long)max);
	if (sample_pick(&s, h.sth.tree_size,
		opts->samples ? opts->samples : AUDIT_SAMPLES) == -1) {
		verdict(c, AUDIT_ERROR, "out of memory");
		goto done;
	}
	if (read_entries(c, total, h.sth.tree_size, log_size,
		sv.have && sv.tree_size <= h.sth.tree_size ? sv.tree_size : 0,
		&s, &t) == -1)
		goto done;
	fprintf(report,
	    "entries   %llu read in %u requests: %llu signatures, %llu "
	    "removals\n",
	    (unsigned long long)total, c->requests,
	    (unsigned long long)t.signatures, (unsigned long long)t.removals);
	if (memcmp(t.root, h.sth.root, sizeof(t.root)) != 0) {
		verdict(c, AUDIT_MISMATCH,
		    "the first %llu entries do not give the signed head's root",
		    (unsigned long long)h.sth.tree_size);
		goto done;
	}
	fprintf(report,
	    "root      recomputed over the first %llu entries: the signed "
	    "one\n",
	    (unsigned long long)h.sth.tree_size);
	if (t.counted - t.removed != count) {
		verdict(c, AUDIT_MISMATCH,
		    "the first %llu entries count %llu signatures - %llu "
		    "removed = %llu, the page says %llu",
		    (unsigned long long)log_size, (unsigned long long)t.counted,
		    (unsigned long long)t.removed,
		    (unsigned long long)(t.counted - t.removed),
		    (unsigned long long)count);
		goto done;
	}
	fprintf(report,
	    "count     %llu signatures - %llu removed = %llu, as the page "
	    "says%s\n",
	    (unsigned long long)t.counted, (unsigned long long)t.removed,
	    (unsigned long long)count,
	    t.repeats ? " (some signatures removed more than once)" : "");
	for (i = 0; i < s.n; i++)
		if (check_path(c, &h, s.idx[i], s.hash[i]) == -1)
			goto done;
	fprintf(report, "paths     audit paths of %zu entries verified\n", s.n);
	if (sv.have) {
		if (check_saved(c, &sv, &h, &t) == -1)
			goto done;
		time_text(when, sizeof(when), sv.timestamp);
		fprintf(report,
		    "history   consistent with the saved head of %llu "
		    "entries (%s)\n",
		    (unsigned long long)sv.tree_size, when);
	}
	if (opts->state_path != NULL) {
		if (state_save(c, opts->state_path, &h) == -1)
			goto done;
		fprintf(report, "state     this head saved to %s\n",
		    opts->state_path);
	}
	rc = 0;
done:
	sample_free(&s);
	return rc;
}

int
audit_run(const struct audit_opts *opts, FILE *report)
{
	struct client c;

	if (sodium_init() < 0) {
		fprintf(report, "FAIL: cannot start libsodium\n");
		return AUDIT_ERROR;
	}
	if (client_open(&c, opts->url, opts->slug, opts->timeout) == 0) {
		fprintf(report, "audit     %s/p/%s\n", c.base, c.slug);
		audit_steps(&c, opts, report);
	}
	return client_close(&c, report);
}

/* Reads a receipt file of at most FILE_MAX bytes. */
static int
receipt_load(struct client *c, const char *path, struct translog_receipt *r)
{
	char text[FILE_MAX + 1];
	const char *why;
	ssize_t n;
	int fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return verdict(c, AUDIT_ERROR, "receipt %s: %s",
		    path != NULL ? path : "", strerror(errno));
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || n > FILE_MAX)
		return verdict(c, AUDIT_ERROR, "receipt %s: %s", path,
		    n < 0 ? strerror(errno) : "too large");
	if (translog_receipt_parse(text, (size_t)n, r, &why) == -1)
		return verdict(c, AUDIT_ERROR, "receipt %s: %s", path, why);
	sodium_memzero(text, sizeof(text));
	return 0;
}

static int
verify_steps(struct client *c, const struct translog_receipt *r, unsigned wait,
    FILE *report)
{
	unsigned char commitment[TRANSLOG_COMMITMENT_BYTES], input[INPUT_MAX],
	    lh[MERKLE_HASH_BYTES];
	struct translog_leaf leaf;
	char path[160], when[64];
	struct head h;
	json_t *o, *a;
	size_t len;
	int rc;

	fprintf(report, "receipt   %s/p/%s, entry %llu\n", c->base, c->slug,
	    (unsigned long long)r->leaf_index);
	for (;;) {
		if (fetch_head(c, &h) == -1)
			return -1;
		if (h.sth.tree_size > r->leaf_index || wait == 0)
			break;
		sleep(1);
		wait--;
	}
	print_head(report, &h);
	if (h.sth.tree_size <= r->leaf_index)
		return verdict(c, AUDIT_ERROR,
		    "entry %llu is not in a signed head yet (it has %llu "
		    "entries); try again in a few seconds",
		    (unsigned long long)r->leaf_index,
		    (unsigned long long)h.sth.tree_size);
	snprintf(path, sizeof(path), "/p/%s/log/get-entries?start=%llu&end=%llu",
	    c->slug, (unsigned long long)r->leaf_index,
	    (unsigned long long)r->leaf_index);
	if ((o = get_json(c, path)) == NULL)
		return -1;
	a = json_object_get(o, "entries");
	if (!json_is_array(a) || json_array_size(a) != 1)
		rc = verdict(c, AUDIT_ERROR,
		    "get-entries: not the one entry asked for");
	else
		rc = entry_input(c, json_array_get(a, 0), r->leaf_index, input,
		    &len);
	json_decref(o);
	if (rc == -1)
		return -1;
	translog_commitment(r->secret, commitment);
	if (translog_leaf_parse(input, len, &leaf) == -1 ||
	    leaf.type != TRANSLOG_LEAF_SIGNATURE ||
	    memcmp(leaf.commitment, commitment, sizeof(commitment)) != 0)
		return verdict(c, AUDIT_MISMATCH,
		    "entry %llu is not the signature this receipt is for",
		    (unsigned long long)r->leaf_index);
	time_text(when, sizeof(when), leaf.timestamp);
	fprintf(report,
	    "entry     %llu is this receipt's signature (%s, country %.2s)\n",
	    (unsigned long long)r->leaf_index, when, leaf.country);
	merkle_hash_leaf(input, len, lh);
	if (check_path(c, &h, r->leaf_index, lh) == -1)
		return -1;
	fprintf(report, "path      verified: the entry is in the signed head\n");
	return 0;
}

int
audit_verify_receipt(const struct audit_verify_opts *opts, FILE *report)
{
	struct translog_receipt r;
	struct client c;

	memset(&c, 0, sizeof(c));
	if (sodium_init() < 0) {
		fprintf(report, "FAIL: cannot start libsodium\n");
		return AUDIT_ERROR;
	}
	if (receipt_load(&c, opts->receipt_path, &r) == 0 &&
	    client_open(&c, opts->url != NULL ? opts->url : r.site, r.petition,
		opts->timeout) == 0)
		verify_steps(&c, &r, opts->wait, report);
	sodium_memzero(r.secret, sizeof(r.secret));
	return client_close(&c, report);
}
