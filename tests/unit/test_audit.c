/* test_audit.c - audit.c against real HTTP: a small libmicrohttpd server
 * answers the log API from a log built here with merkle.c and
 * translog.c, honestly or with one thing wrong at a time, and the audit
 * and receipt checks must say which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "../../src/audit.c"

#define SLUG "clean-air"
#define LEAVES_MAX 4000

/* One misbehaviour at a time. */
enum fault {
	F_NONE,
	/* contradictions: AUDIT_MISMATCH */
	F_BAD_SIGNATURE,
	F_OTHER_KEY,
	F_KEY_ID,
	F_TAMPERED_ENTRY,
	F_COUNT,
	F_BAD_PATH,
	F_BAD_CONSISTENCY,
	F_NOT_A_LEAF,
	F_LONG_LEAF,
	/* malformed answers: AUDIT_ERROR */
	F_ALGORITHM,
	F_MALFORMED,
	F_NOT_OBJECT,
	F_HUGE,
	F_HUGE_CHUNKED,
	F_SERVER_ERROR,
	F_BAD_BASE64,
	F_SHORT_ROOT,
	F_NEGATIVE_SIZE,
	F_STRING_SIZE,
	F_DEEP,
	F_DUPLICATE_KEY,
	F_NO_ENTRIES,
	F_TOO_MANY_ENTRIES,
	F_LONG_PATH,
	F_ENTRY_GARBAGE,
	F_NO_LOG_SIZE,
	F_HUGE_TREE,
	F__MAX
};

/* The site's log as the test server publishes it. */
struct world {
	struct merkle_mem mem;
	struct merkle_store st;
	unsigned char input[LEAVES_MAX][TRANSLOG_LEAF_MAX];
	size_t len[LEAVES_MAX];
	unsigned char secret[LEAVES_MAX][TRANSLOG_SECRET_BYTES];
	uint64_t size; /* entries */
	struct translog_key key, other;
	struct translog_sth sth;
	unsigned char sig[TRANSLOG_SIGNATURE_BYTES];
	unsigned per_call;  /* entries per get-entries answer */
	uint64_t page_size; /* the page's log_size; UINT64_MAX: all */
	uint64_t target;    /* the entry a fault spoils */
	unsigned gen;	    /* another gen, other secrets: another history */
	enum fault fault;
	uint64_t clock;
};

static struct world *w;
static struct MHD_Daemon *httpd;
static char site[64];
static char root[] = "/tmp/holos-test-audit.XXXXXX";

static void
world_reset(void)
{
	unsigned char seed[32];

	merkle_mem_free(&w->mem);
	memset(w, 0, sizeof(*w));
	merkle_mem_init(&w->mem);
	w->st = merkle_mem_store(&w->mem);
	memset(seed, 7, sizeof(seed));
	translog_key_from_seed(seed, &w->key);
	memset(seed, 8, sizeof(seed));
	translog_key_from_seed(seed, &w->other);
	w->per_call = 1000;
	w->page_size = UINT64_MAX;
	w->clock = 1764660000000ULL;
}

/* The honest count of the first n entries: signatures minus the distinct
 * ones removed. */
static uint64_t
world_count(uint64_t n)
{
	struct translog_leaf l;
	bool gone[LEAVES_MAX] = { false };
	uint64_t i, c = 0;

	for (i = 0; i < n; i++) {
		assert_int_equal(translog_leaf_parse(w->input[i], w->len[i], &l),
		    0);
		if (l.type == TRANSLOG_LEAF_SIGNATURE)
			c++;
		else if (!gone[l.removed_index]) {
			gone[l.removed_index] = true;
			c--;
		}
	}
	return c;
}

/* The first entry at or after i of the given length (a kind of leaf). */
static uint64_t
world_find(uint64_t i, size_t len)
{
	while (i < w->size && w->len[i] != len)
		i++;
	assert_true(i < w->size);
	return i;
}

static void
world_append(const struct translog_leaf *l)
{
	unsigned char lh[1][MERKLE_HASH_BYTES];
	uint64_t i = w->size;

	assert_true(i < LEAVES_MAX);
	w->len[i] = translog_leaf_encode(l, w->input[i]);
	assert_true(w->len[i] > 0);
	merkle_hash_leaf(w->input[i], w->len[i], lh[0]);
	assert_int_equal(merkle_append(&w->st, i,
			     (const unsigned char(*)[MERKLE_HASH_BYTES])lh, 1,
			     NULL),
	    0);
	w->size++;
}

/* A signature with a fresh receipt secret; returns its index. */
static uint64_t
world_sign(const char *country)
{
	struct translog_leaf l = { 0 };
	uint64_t i = w->size;

	/* Secrets follow from (gen, index): the same gen, the same log. */
	randombytes_buf_deterministic(w->secret[i], TRANSLOG_SECRET_BYTES,
	    (unsigned char[32]){ (unsigned char)w->gen, (unsigned char)i,
		(unsigned char)(i >> 8) });
	l.type = TRANSLOG_LEAF_SIGNATURE;
	l.timestamp = w->clock++;
	translog_commitment(w->secret[i], l.commitment);
	memcpy(l.country, country, 2);
	world_append(&l);
	return i;
}

static void
world_remove(uint64_t victim, enum translog_reason why)
{
	struct translog_leaf l = { 0 };

	l.type = TRANSLOG_LEAF_REMOVAL;
	l.timestamp = w->clock++;
	l.removed_index = victim;
	l.reason = why;
	world_append(&l);
}

/* Signs the head of the first n leaves. */
static void
world_publish(uint64_t n)
{
	w->sth.timestamp = w->clock++;
	w->sth.tree_size = n;
	assert_int_equal(merkle_root(&w->st, n, w->sth.root), 0);
	translog_sth_sign(&w->key, &w->sth, w->sig);
}

/* n signatures from a few countries, every ninth one removed by a later
 * leaf and the last of those removed once more, all signed. */
static void
world_fill(uint64_t n)
{
	static const char *const cc[] = { "UA", "DE", "PL", "--" };
	uint64_t i, victim = UINT64_MAX;

	for (i = 0; i < n; i++) {
		uint64_t at = world_sign(cc[i % 4]);

		if (i % 9 == 8) {
			victim = at - 3;
			world_remove(victim, (enum translog_reason)(i % 6));
		}
	}
	if (victim != UINT64_MAX)
		world_remove(victim, TRANSLOG_REASON_OTHER);
	world_publish(w->size);
	w->target = world_find(w->size / 2, TRANSLOG_SIGNATURE_LEAF_BYTES);
}

/* ---- the server ------------------------------------------------------ */

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_json(struct MHD_Connection *conn, unsigned status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	enum MHD_Result ret = reply(conn, status, s, strlen(s));

	free(s);
	json_decref(o);
	return ret;
}

static json_t *
b64_json(const unsigned char *p, size_t n)
{
	char s[TRANSLOG_B64_LEN(512) + 1];

	assert_true(n <= 512);
	translog_b64_encode(s, p, n);
	return json_string(s);
}

static bool
arg_u64(struct MHD_Connection *conn, const char *name, uint64_t *out)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;

	if (v == NULL || *v < '0' || *v > '9')
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno == 0 && *end == '\0';
}

static ssize_t
endless(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	memset(buf, ' ', max);
	return (ssize_t)max;
}

/* The one answer a fault replaces outright, whatever was asked. */
static bool
broken(struct MHD_Connection *conn, enum MHD_Result *ret)
{
	struct MHD_Response *r;
	const char *msg;
	char *big;
	size_t i;

	switch (w->fault) {
	case F_MALFORMED:
		*ret = reply(conn, 200, "{\"tree_size\": 3,", 16);
		return true;
	case F_NOT_OBJECT: *ret = reply(conn, 200, "[1,2,3]", 7); return true;
	case F_HUGE:
		big = malloc(5 << 20);
		memset(big, ' ', 5 << 20);
		big[0] = '{';
		big[(5 << 20) - 1] = '}';
		*ret = reply(conn, 200, big, 5 << 20);
		free(big);
		return true;
	case F_HUGE_CHUNKED:
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
		    endless, NULL, NULL);
		*ret = MHD_queue_response(conn, 200, r);
		MHD_destroy_response(r);
		return true;
	case F_SERVER_ERROR:
		msg = "{\"error\":\"database gone \\u001b[31m\\u00e9\"}";
		*ret = reply(conn, 500, msg, strlen(msg));
		return true;
	case F_DEEP:
		big = malloc(20002);
		for (i = 0; i < 10000; i++) {
			big[i] = '[';
			big[20000 - 1 - i] = ']';
		}
		*ret = reply(conn, 200, big, 20000);
		free(big);
		return true;
	default: return false;
	}
}

static enum MHD_Result
serve_key(struct MHD_Connection *conn)
{
	unsigned char id[32];

	memcpy(id, w->key.id, 32);
	if (w->fault == F_KEY_ID)
		id[5] ^= 1;
	return reply_json(conn, 200,
	    json_pack("{s:s, s:o, s:o}", "algorithm",
		w->fault == F_ALGORITHM ? "rsa" : "ed25519", "key",
		b64_json(w->key.pk, 32), "key_id", b64_json(id, 32)));
}

static enum MHD_Result
serve_sth(struct MHD_Connection *conn)
{
	unsigned char sig[64], rt[32];
	json_t *o;

	memcpy(sig, w->sig, 64);
	if (w->fault == F_BAD_SIGNATURE)
		sig[63] ^= 0x40;
	if (w->fault == F_OTHER_KEY)
		translog_sth_sign(&w->other, &w->sth, sig);
	memcpy(rt, w->sth.root, 32);
	o = json_pack("{s:I, s:I, s:o, s:o}", "tree_size",
	    (json_int_t)w->sth.tree_size, "timestamp",
	    (json_int_t)w->sth.timestamp, "sha256_root_hash",
	    b64_json(rt, w->fault == F_SHORT_ROOT ? 31 : 32),
	    "tree_head_signature", b64_json(sig, 64));
	if (w->fault == F_BAD_BASE64)
		json_object_set_new(o, "sha256_root_hash",
		    json_string("not*base64*at*all*but*44*chars*long*xxxxxx="));
	if (w->fault == F_NEGATIVE_SIZE)
		json_object_set_new(o, "tree_size", json_integer(-1));
	if (w->fault == F_STRING_SIZE)
		json_object_set_new(o, "tree_size", json_string("5"));
	if (w->fault == F_HUGE_TREE) {
		struct translog_sth big = w->sth;

		big.tree_size = (uint64_t)1 << 40;
		translog_sth_sign(&w->key, &big, sig);
		json_object_set_new(o, "tree_size",
		    json_integer((json_int_t)big.tree_size));
		json_object_set_new(o, "tree_head_signature", b64_json(sig, 64));
	}
	if (w->fault == F_DUPLICATE_KEY) {
		char *s = json_dumps(o, JSON_COMPACT);
		char dup[1024];
		int n = snprintf(dup, sizeof(dup), "{\"tree_size\":0,%s", s + 1);

		free(s);
		json_decref(o);
		return reply(conn, 200, dup, (size_t)n);
	}
	return reply_json(conn, 200, o);
}

static enum MHD_Result
serve_page(struct MHD_Connection *conn)
{
	uint64_t n = w->page_size < w->size ? w->page_size : w->size;
	json_t *o = json_pack("{s:s, s:I, s:s}", "slug", SLUG, "count",
	    (json_int_t)(world_count(n) + (w->fault == F_COUNT)), "title",
	    "Clean air");

	if (w->fault != F_NO_LOG_SIZE)
		json_object_set_new(o, "log_size", json_integer((json_int_t)n));
	return reply_json(conn, 200, o);
}

static enum MHD_Result
serve_entries(struct MHD_Connection *conn)
{
	uint64_t start, end, n, i;
	json_t *a;

	if (!arg_u64(conn, "start", &start) || !arg_u64(conn, "end", &end) ||
	    end < start || start >= w->size)
		return reply_json(conn, 400,
		    json_pack("{s:s}", "error", "bad start or end"));
	n = end - start + 1;
	if (n > w->per_call)
		n = w->per_call;
	if (n > w->size - start)
		n = w->size - start;
	if (w->fault == F_NO_ENTRIES)
		n = 0;
	if (w->fault == F_TOO_MANY_ENTRIES)
		n = end - start + 2;
	a = json_array();
	for (i = start; i < start + n; i++) {
		unsigned char in[256];
		size_t len = w->len[i % w->size];

		memcpy(in, w->input[i % w->size], len);
		if (i == w->target) {
			if (w->fault == F_TAMPERED_ENTRY)
				in[20] ^= 1;
			if (w->fault == F_NOT_A_LEAF)
				in[0] = 1;
			if (w->fault == F_LONG_LEAF) {
				memset(in + len, 0, 200);
				len += 200;
			}
		}
		if (w->fault == F_ENTRY_GARBAGE && i == start)
			json_array_append_new(a,
			    json_pack("{s:s}", "leaf_input", "%%%%"));
		else
			json_array_append_new(a,
			    json_pack("{s:o}", "leaf_input", b64_json(in, len)));
	}
	return reply_json(conn, 200, json_pack("{s:o}", "entries", a));
}

static enum MHD_Result
serve_proof(struct MHD_Connection *conn)
{
	unsigned char h[64], p[MERKLE_PROOF_MAX][32];
	const char *hs =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hash");
	uint64_t size, i;
	size_t hl, len, k;
	json_t *a;

	if (hs == NULL ||
	    translog_b64_decode(hs, strlen(hs), h, sizeof(h), &hl) == -1 ||
	    hl != 32 || !arg_u64(conn, "tree_size", &size) || size > w->size ||
	    size == 0)
		return reply_json(conn, 400,
		    json_pack("{s:s}", "error", "bad hash or tree_size"));
	for (i = 0; i < size; i++)
		if (memcmp(w->mem.level[0].h[i], h, 32) == 0)
			break;
	if (i == size)
		return reply_json(conn, 404,
		    json_pack("{s:s}", "error", "no such leaf"));
	assert_int_equal(merkle_inclusion_proof(&w->st, i, size, p, &len), 0);
	if (w->fault == F_BAD_PATH && len > 0)
		p[len - 1][7] ^= 0x10;
	if (w->fault == F_LONG_PATH)
		len = MERKLE_PROOF_MAX + 1;
	a = json_array();
	for (k = 0; k < len; k++)
		json_array_append_new(a, b64_json(p[k % MERKLE_PROOF_MAX], 32));
	return reply_json(conn, 200,
	    json_pack("{s:I, s:o}", "leaf_index", (json_int_t)i, "audit_path",
		a));
}

static enum MHD_Result
serve_consistency(struct MHD_Connection *conn)
{
	unsigned char p[MERKLE_PROOF_MAX][32];
	uint64_t m, n;
	size_t len, k;
	json_t *a;

	if (!arg_u64(conn, "first", &m) || !arg_u64(conn, "second", &n) ||
	    n > w->size || merkle_consistency_proof(&w->st, m, n, p, &len) == -1)
		return reply_json(conn, 400,
		    json_pack("{s:s}", "error", "bad first or second"));
	if (w->fault == F_BAD_CONSISTENCY && len > 0)
		p[0][0] ^= 1;
	a = json_array();
	for (k = 0; k < len; k++)
		json_array_append_new(a, b64_json(p[k], 32));
	return reply_json(conn, 200, json_pack("{s:o}", "consistency", a));
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0)
		return reply(conn, 405, "{}", 2);
	if (broken(conn, &ret))
		return ret;
	if (strcmp(url, "/log/key") == 0)
		return serve_key(conn);
	if (strcmp(url, "/p/" SLUG "/log/get-sth") == 0)
		return serve_sth(conn);
	if (strcmp(url, "/p/" SLUG ".json") == 0)
		return serve_page(conn);
	if (strcmp(url, "/p/" SLUG "/log/get-entries") == 0)
		return serve_entries(conn);
	if (strcmp(url, "/p/" SLUG "/log/get-proof-by-hash") == 0)
		return serve_proof(conn);
	if (strcmp(url, "/p/" SLUG "/log/get-sth-consistency") == 0)
		return serve_consistency(conn);
	return reply_json(conn, 404, json_pack("{s:s}", "error", "not found"));
}

/* ---- running the checks ---------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	struct sockaddr_in sa = { 0 };
	const union MHD_DaemonInfo *info;

	(void)state;
	if (sodium_init() < 0 || mkdtemp(root) == NULL)
		return -1;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	merkle_mem_init(&w->mem);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	if (httpd == NULL ||
	    (info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT)) ==
		NULL)
		return -1;
	snprintf(site, sizeof(site), "http://127.0.0.1:%u", info->port);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(httpd);
	merkle_mem_free(&w->mem);
	free(w);
	return nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The report of the last check. */
static char *report;

static size_t report_len;

/* A new report, in memory; report_close() makes it readable. */
static FILE *
report_open(void)
{
	FILE *f;

	free(report);
	report = NULL;
	f = open_memstream(&report, &report_len);
	assert_non_null(f);
	return f;
}

static int
report_close(FILE *f, int rc)
{
	assert_int_equal(fclose(f), 0);
	return rc;
}

static int
audit_at(const char *url, const char *slug, const char *state_path,
    unsigned samples)
{
	struct audit_opts o = { 0 };
	FILE *f = report_open();

	o.url = url;
	o.slug = slug;
	o.state_path = state_path;
	o.samples = samples;
	return report_close(f, audit_run(&o, f));
}

static int
audit(const char *state_path, unsigned samples)
{
	return audit_at(site, SLUG, state_path, samples);
}

static void
expect(int rc, int want, const char *needle)
{
	if (rc != want || strstr(report, needle) == NULL)
		fail_msg("status %d, want %d with \"%s\"; report:\n%s", rc,
		    want, needle, report);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
path_in(char *out, size_t cap, const char *name)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", root, name) < cap);
}

/* What a correct log's audit says. */
static void
test_honest_log(void **state)
{
	char want[160];

	(void)state;
	world_reset();
	world_fill(1000);
	expect(audit(NULL, 0), AUDIT_OK, "\nOK\n");
	snprintf(want, sizeof(want), "count %llu over %llu entries",
	    (unsigned long long)world_count(w->size),
	    (unsigned long long)w->size);
	expect(AUDIT_OK, AUDIT_OK, want);
	snprintf(want, sizeof(want), "head      %llu entries, signed ",
	    (unsigned long long)w->size);
	expect(AUDIT_OK, AUDIT_OK, want);
	expect(AUDIT_OK, AUDIT_OK, "as the page says");
	expect(AUDIT_OK, AUDIT_OK, "signature verified");
	expect(AUDIT_OK, AUDIT_OK, "root      recomputed");
	expect(AUDIT_OK, AUDIT_OK, "(some signatures removed more than once)");
	/* Over 1,000 entries: two calls of get-entries after three. */
	snprintf(want, sizeof(want), "entries   %llu read in 5 requests",
	    (unsigned long long)w->size);
	expect(AUDIT_OK, AUDIT_OK, want);
	expect(AUDIT_OK, AUDIT_OK, "paths     audit paths of ");

	/* The empty log of a new petition. */
	world_reset();
	world_publish(0);
	expect(audit(NULL, 0), AUDIT_OK, "count 0 over 0 entries");
	expect(AUDIT_OK, AUDIT_OK, "audit paths of 0 entries verified");
	/* One signature: the first is the last. */
	world_sign("UA");
	world_publish(1);
	expect(audit(NULL, 0), AUDIT_OK, "audit paths of 1 entries verified");
}

/* While people sign, the page's log_size runs ahead of the signed head;
 * a server may hand out few entries a call; a node's page may lag behind
 * the newest head. */
static void
test_signing_in_progress(void **state)
{
	uint64_t head, i;
	char want[160];

	(void)state;
	world_reset();
	world_fill(300);
	head = w->size;
	for (i = 0; i < 40; i++)
		world_sign("FR");
	world_remove(w->size - 2, TRANSLOG_REASON_BOT);
	w->per_call = 7;
	expect(audit(NULL, 3), AUDIT_OK, "\nOK\n");
	snprintf(want, sizeof(want), "head      %llu entries",
	    (unsigned long long)head);
	expect(AUDIT_OK, AUDIT_OK, want);
	snprintf(want, sizeof(want), "count %llu over %llu entries",
	    (unsigned long long)world_count(w->size),
	    (unsigned long long)w->size);
	expect(AUDIT_OK, AUDIT_OK, want);
	snprintf(want, sizeof(want), "%llu read in %llu requests",
	    (unsigned long long)w->size,
	    (unsigned long long)(3 + (w->size + 6) / 7));
	expect(AUDIT_OK, AUDIT_OK, want);

	w->per_call = 1000;
	world_publish(w->size);
	w->page_size = w->size - 30;
	snprintf(want, sizeof(want), "count %llu over %llu entries",
	    (unsigned long long)world_count(w->page_size),
	    (unsigned long long)w->page_size);
	expect(audit(NULL, 0), AUDIT_OK, want);
	snprintf(want, sizeof(want), "entries   %llu read",
	    (unsigned long long)w->size);
	expect(AUDIT_OK, AUDIT_OK, want);
}

/* Contradictions: the site's answers do not fit together. */
static void
test_mismatches(void **state)
{
	static const struct {
		enum fault f;
		const char *why;
	} cases[] = {
		{ F_BAD_SIGNATURE, "signature does not verify" },
		{ F_OTHER_KEY, "signature does not verify" },
		{ F_KEY_ID, "key_id is not the SHA-256 of the key" },
		{ F_TAMPERED_ENTRY, "do not give the signed head's root" },
		{ F_COUNT, "the page says" },
		{ F_BAD_PATH, "does not lead to the signed root" },
		{ F_NOT_A_LEAF, "is not a valid leaf" },
		{ F_LONG_LEAF, "is not a valid leaf" },
	};
	size_t i;

	(void)state;
	world_reset();
	world_fill(200);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w->fault = cases[i].f;
		expect(audit(NULL, 0), AUDIT_MISMATCH, cases[i].why);
		expect(AUDIT_MISMATCH, AUDIT_MISMATCH, "\nFAIL: ");
	}
	w->fault = F_NONE;
	expect(audit(NULL, 0), AUDIT_OK, "\nOK\n");
}

/* A removal must name an earlier signature. */
static void
test_bad_removals(void **state)
{
	struct translog_leaf l = { 0 };
	char want[64];

	(void)state;
	world_reset();
	world_fill(20);
	l.type = TRANSLOG_LEAF_REMOVAL;
	l.removed_index = w->size; /* itself */
	world_append(&l);
	world_publish(w->size);
	expect(audit(NULL, 0), AUDIT_MISMATCH, "which is not an earlier");

	world_reset();
	world_fill(20);
	l.removed_index = world_find(0, TRANSLOG_REMOVAL_LEAF_BYTES);
	world_append(&l);
	world_publish(w->size);
	snprintf(want, sizeof(want), "removes entry %llu, which",
	    (unsigned long long)l.removed_index);
	expect(audit(NULL, 0), AUDIT_MISMATCH, want);
}

/* Hostile or broken answers: a clear reason, never a crash. */
static void
test_malformed_answers(void **state)
{
	static const struct {
		enum fault f;
		const char *why;
	} cases[] = {
		{ F_ALGORITHM, "the algorithm is not ed25519" },
		{ F_MALFORMED, "not JSON" },
		{ F_NOT_OBJECT, "not a JSON object" },
		{ F_HUGE, "the answer is over" },
		{ F_HUGE_CHUNKED, "the answer is over" },
		{ F_SERVER_ERROR, "HTTP 500: database gone ?[31m??\n" },
		{ F_BAD_BASE64, "\"sha256_root_hash\" is missing or not 32" },
		{ F_SHORT_ROOT, "\"sha256_root_hash\" is missing or not 32" },
		{ F_NEGATIVE_SIZE, "\"tree_size\" is missing or not a whole" },
		{ F_STRING_SIZE, "\"tree_size\" is missing or not a whole" },
		{ F_DEEP, "not JSON" },
		{ F_DUPLICATE_KEY, "not JSON" },
		{ F_NO_ENTRIES, "no entries from 0" },
		{ F_TOO_MANY_ENTRIES, "entries for 1000 asked for" },
		{ F_LONG_PATH, "more than any tree needs" },
		{ F_ENTRY_GARBAGE, "entry 0 has no base64" },
		{ F_NO_LOG_SIZE, "the page has no log_size" },
		{ F_HUGE_TREE, "more than the 100000000 this audit reads" },
	};
	size_t i;

	(void)state;
	world_reset();
	world_fill(1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w->fault = cases[i].f;
		expect(audit(NULL, 0), AUDIT_ERROR, cases[i].why);
	}
	w->fault = F_NONE;
	expect(audit(NULL, 0), AUDIT_OK, "\nOK\n");
}

/* Addresses that are not a site or a petition, a site not there, a
 * petition it does not have. */
static void
test_bad_targets(void **state)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	char closed[80];
	int s;

	(void)state;
	world_reset();
	world_fill(10);
	expect(audit_at("ftp://127.0.0.1/", SLUG, NULL, 0), AUDIT_ERROR,
	    "is not a site's address");
	expect(audit_at("file:///etc/passwd", SLUG, NULL, 0), AUDIT_ERROR,
	    "is not a site's address");
	expect(audit_at("", SLUG, NULL, 0), AUDIT_ERROR,
	    "is not a site's address");
	expect(audit_at(NULL, SLUG, NULL, 0), AUDIT_ERROR,
	    "is not a site's address");
	expect(audit_at(site, "../../etc", NULL, 0), AUDIT_ERROR,
	    "is not a petition's address");
	expect(audit_at(site, NULL, NULL, 0), AUDIT_ERROR,
	    "is not a petition's address");
	expect(audit_at(site, "no-such-petition", NULL, 0), AUDIT_ERROR,
	    "HTTP 404: not found");

	/* A port nobody listens on: bound, never listened, closed. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	snprintf(closed, sizeof(closed), "http://127.0.0.1:%u/",
	    ntohs(sa.sin_port));
	close(s);
	expect(audit_at(closed, SLUG, NULL, 0), AUDIT_ERROR, "GET /log/key: ");
	/* A trailing slash on the site is fine. */
	snprintf(closed, sizeof(closed), "%s/", site);
	expect(audit_at(closed, SLUG, NULL, 0), AUDIT_OK, "\nOK\n");
}

/* --state: the first run keeps the head, later ones check the new head
 * against it and keep that. */
static void
test_saved_head(void **state)
{
	char path[PATH_MAX], want[160];
	uint64_t first, second;
	json_t *o;

	(void)state;
	path_in(path, sizeof(path), "state.json");
	world_reset();
	world_fill(150);
	first = w->size;
	expect(audit(path, 0), AUDIT_OK, "this head saved to");
	assert_null(strstr(report, "history"));
	o = json_load_file(path, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "tree_size")),
	    first);
	assert_string_equal(json_string_value(json_object_get(o, "petition")),
	    SLUG);
	assert_string_equal(json_string_value(json_object_get(o, "site")), site);
	json_decref(o);

	/* More signatures: consistent. */
	world_fill(100);
	second = w->size;
	snprintf(want, sizeof(want), "consistent with the saved head of %llu",
	    (unsigned long long)first);
	expect(audit(path, 0), AUDIT_OK, want);
	/* The same head again: consistent too. */
	snprintf(want, sizeof(want), "consistent with the saved head of %llu",
	    (unsigned long long)second);
	expect(audit(path, 0), AUDIT_OK, want);
	/* A consistency proof that does not verify; the old head stays. */
	world_fill(10);
	w->fault = F_BAD_CONSISTENCY;
	snprintf(want, sizeof(want),
	    "the consistency proof from the saved head (%llu entries)",
	    (unsigned long long)second);
	expect(audit(path, 0), AUDIT_MISMATCH, want);
	w->fault = F_NONE;
	o = json_load_file(path, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(o, "tree_size")),
	    second);
	json_decref(o);
	snprintf(want, sizeof(want), "consistent with the saved head of %llu",
	    (unsigned long long)second);
	expect(audit(path, 0), AUDIT_OK, want);

	/* A state file of another petition, or not one at all. */
	path_in(path, sizeof(path), "other.json");
	write_file(path, "{\"site\":\"http://example.org\",\"petition\":\"x\"}");
	expect(audit(path, 0), AUDIT_ERROR, "a head of another petition");
	path_in(path, sizeof(path), "garbage.json");
	write_file(path, "[1]");
	expect(audit(path, 0), AUDIT_ERROR, "not a saved head");
	path_in(path, sizeof(path), "no-dir/state.json");
	expect(audit(path, 0), AUDIT_ERROR, "cannot write it");
}

/* A log rebuilt with another history, a log that shrank, another key. */
static void
test_forks(void **state)
{
	char path[PATH_MAX];
	uint64_t saved;

	(void)state;
	path_in(path, sizeof(path), "fork.json");
	world_reset();
	world_fill(200);
	saved = w->size;
	expect(audit(path, 0), AUDIT_OK, "this head saved");
	/* The same log again, grown: fine. */
	world_reset();
	world_fill(200);
	world_fill(3);
	expect(audit(path, 0), AUDIT_OK, "consistent with the saved head");
	saved = w->size;

	/* The same first half, then another history, and longer. */
	world_reset();
	world_fill(100);
	w->gen = 1;
	while (w->size < saved + 50)
		world_sign("NL");
	world_publish(w->size);
	expect(audit(path, 0), AUDIT_MISMATCH,
	    "no longer give the saved head's root");

	/* The same size, another root. */
	world_reset();
	world_fill(100);
	w->gen = 1;
	while (w->size < saved)
		world_sign("BE");
	world_publish(w->size);
	expect(audit(path, 0), AUDIT_MISMATCH, "has the saved head's size but");

	/* Fewer entries than the saved head. */
	world_reset();
	world_fill(150);
	expect(audit(path, 0), AUDIT_MISMATCH, "the log shrank");

	/* The right log, signed by another key. */
	world_reset();
	world_fill(200);
	world_fill(3);
	w->key = w->other;
	world_fill(5);
	expect(audit(path, 0), AUDIT_MISMATCH, "the site's log key is not");
}

/* ---- receipts -------------------------------------------------------- */

static int
verify(const char *path, const char *url, unsigned wait)
{
	struct audit_verify_opts o = { 0 };
	FILE *f = report_open();

	o.receipt_path = path;
	o.url = url;
	o.wait = wait;
	return report_close(f, audit_verify_receipt(&o, f));
}

static void
write_receipt(const char *path, const char *at, uint64_t i,
    const unsigned char *secret)
{
	struct translog_receipt r = { 0 };
	struct buf b;

	snprintf(r.site, sizeof(r.site), "%s", at);
	snprintf(r.petition, sizeof(r.petition), "%s", SLUG);
	r.leaf_index = i;
	memcpy(r.secret, secret, 32);
	buf_init(&b);
	translog_receipt_encode(&b, &r);
	assert_true(buf_ok(&b));
	write_file(path, b.data);
	buf_reset(&b);
}

static void
test_receipts(void **state)
{
	char path[PATH_MAX], want[128];
	unsigned char wrong[32];
	struct translog_leaf l;
	uint64_t mine, late;

	(void)state;
	path_in(path, sizeof(path), "receipt.json");
	world_reset();
	world_fill(50);
	mine = world_find(17, TRANSLOG_SIGNATURE_LEAF_BYTES);
	write_receipt(path, site, mine, w->secret[mine]);
	expect(verify(path, NULL, 0), AUDIT_OK, "\nOK\n");
	snprintf(want, sizeof(want), "entry     %llu is this receipt's",
	    (unsigned long long)mine);
	expect(AUDIT_OK, AUDIT_OK, want);
	assert_int_equal(translog_leaf_parse(w->input[mine], w->len[mine], &l),
	    0);
	snprintf(want, sizeof(want), "country %.2s)", l.country);
	expect(AUDIT_OK, AUDIT_OK, want);
	expect(AUDIT_OK, AUDIT_OK, "verified: the entry is in the signed");

	/* Another secret, another index, a removal leaf's index. */
	memcpy(wrong, w->secret[mine], 32);
	wrong[0] ^= 1;
	write_receipt(path, site, mine, wrong);
	expect(verify(path, NULL, 0), AUDIT_MISMATCH, "is not the signature");
	write_receipt(path, site, mine + 1, w->secret[mine]);
	expect(verify(path, NULL, 0), AUDIT_MISMATCH, "is not the signature");
	write_receipt(path, site, world_find(0, TRANSLOG_REMOVAL_LEAF_BYTES),
	    w->secret[mine]);
	expect(verify(path, NULL, 0), AUDIT_MISMATCH, "is not the signature");
	/* The server misbehaving. */
	write_receipt(path, site, mine, w->secret[mine]);
	w->fault = F_BAD_PATH;
	expect(verify(path, NULL, 0), AUDIT_MISMATCH, "does not lead to");
	w->fault = F_BAD_SIGNATURE;
	expect(verify(path, NULL, 0), AUDIT_MISMATCH, "signature does not");
	w->fault = F_MALFORMED;
	expect(verify(path, NULL, 0), AUDIT_ERROR, "not JSON");
	w->fault = F_TOO_MANY_ENTRIES;
	expect(verify(path, NULL, 0), AUDIT_ERROR, "not the one entry");
	w->fault = F_LONG_LEAF;
	write_receipt(path, site, w->target, w->secret[w->target]);
	expect(verify(path, NULL, 0), AUDIT_MISMATCH, "is not a valid leaf");
	w->fault = F_NONE;
	expect(verify(path, NULL, 0), AUDIT_OK, "\nOK\n");

	/* Signed after the newest head: not in it yet. */
	late = world_sign("UA");
	write_receipt(path, site, late, w->secret[late]);
	expect(verify(path, NULL, 0), AUDIT_ERROR,
	    "is not in a signed head yet");
	world_publish(w->size);
	expect(verify(path, NULL, 0), AUDIT_OK, "\nOK\n");

	/* The receipt's site may be overridden (a mirror, a tunnel). */
	write_receipt(path, "https://petitions.example.org", mine,
	    w->secret[mine]);
	expect(verify(path, site, 0), AUDIT_OK, "\nOK\n");
}

static void
test_bad_receipts(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "{\"site\":\"https://a.org\"", "not a JSON object" },
		{ "{\"petition\":\"x\",\"leaf_index\":1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
		    "site is not an http(s) address" },
		{ "{\"site\":\"javascript:alert(1)\",\"petition\":\"x\","
		  "\"leaf_index\":1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
		    "site is not an http(s) address" },
		{ "{\"site\":\"https://a.org/ x\",\"petition\":\"x\","
		  "\"leaf_index\":1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
		    "site is not an http(s) address" },
		{ "{\"site\":\"https://a.org\",\"petition\":\"A B\","
		  "\"leaf_index\":1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
		    "petition is not a petition's address" },
		{ "{\"site\":\"https://a.org\",\"petition\":\"x\","
		  "\"leaf_index\":-1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
		    "leaf_index is not a number" },
		{ "{\"site\":\"https://a.org\",\"petition\":\"x\","
		  "\"leaf_index\":\"1\",\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
		    "leaf_index is not a number" },
		{ "{\"site\":\"https://a.org\",\"petition\":\"x\","
		  "\"leaf_index\":1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}",
		    "secret is not 32 bytes" },
		{ "{\"site\":\"https://a.org\",\"petition\":\"x\","
		  "\"leaf_index\":1,\"secret\":"
		  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		    "secret is not 32 bytes" },
		{ "{\"site\":\"https://a.org\",\"petition\":\"x\","
		  "\"leaf_index\":1}",
		    "secret is not 32 bytes" },
	};
	char path[PATH_MAX], *big;
	size_t i;

	(void)state;
	path_in(path, sizeof(path), "bad-receipt.json");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].text);
		expect(verify(path, NULL, 0), AUDIT_ERROR, cases[i].why);
	}
	big = malloc(FILE_MAX + 10);
	memset(big, ' ', FILE_MAX + 9);
	big[FILE_MAX + 9] = '\0';
	write_file(path, big);
	free(big);
	expect(verify(path, NULL, 0), AUDIT_ERROR, "too large");
	path_in(path, sizeof(path), "missing.json");
	expect(verify(path, NULL, 0), AUDIT_ERROR, "No such file");
}

/* The receipt's JSON: written and read back. */
static void
test_receipt_format(void **state)
{
	struct translog_receipt r = { 0 }, back;
	const char *why = NULL;
	struct buf b;
	size_t i;

	(void)state;
	snprintf(r.site, sizeof(r.site), "https://petitions.example.org/ua");
	snprintf(r.petition, sizeof(r.petition), "clean-air-2027");
	r.leaf_index = 9007199254740993ULL;
	for (i = 0; i < 32; i++)
		r.secret[i] = (unsigned char)(255 - i);
	buf_init(&b);
	translog_receipt_encode(&b, &r);
	assert_true(buf_ok(&b));
	assert_string_equal(b.data,
	    "{\"site\":\"https://petitions.example.org/ua\",\"petition\":"
	    "\"clean-air-2027\",\"leaf_index\":9007199254740993,\"secret\":"
	    "\"//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA=\"}\n");
	assert_int_equal(translog_receipt_parse(b.data, b.len, &back, &why), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	buf_reset(&b);
}

/* ---- vectors for static/verify.js ----------------------------------- */

#define JS_VECTORS "tests/data/translog/verify-vectors.json"

static json_t *
receipt_case(const char *slug, uint64_t i, const unsigned char *secret,
    size_t n, const char *want)
{
	return json_pack("{s:{s:s, s:s, s:I, s:o}, s:s}", "receipt", "site",
	    "https://petitions.example.org", "petition", slug, "leaf_index",
	    (json_int_t)i, "secret", b64_json(secret, n), "want", want);
}

/* The log the browser's check is tested against (tests/browser/
 * verify.test.js), made here by the C code: the API's answers, every
 * entry, every audit path of the head, and receipts with the verdict
 * each must get. The file in the tree must be what this makes;
 * HOLOS_UPDATE_VECTORS=1 rewrites it. */
static void
test_browser_vectors(void **state)
{
	unsigned char p[MERKLE_PROOF_MAX][32], lh[32], in[50];
	json_t *o, *kept, *entries, *proofs, *hashes, *receipts, *a;
	uint64_t i, mine, late, gone;
	size_t len, k;

	(void)state;
	world_reset();
	world_fill(40);
	late = world_sign("UA");
	world_sign("DE");
	entries = json_array();
	hashes = json_array();
	proofs = json_object();
	for (i = 0; i < w->size; i++) {
		json_array_append_new(entries, b64_json(w->input[i], w->len[i]));
		merkle_hash_leaf(w->input[i], w->len[i], lh);
		json_array_append_new(hashes, b64_json(lh, 32));
		if (i >= w->sth.tree_size)
			continue;
		assert_int_equal(merkle_inclusion_proof(&w->st, i,
				     w->sth.tree_size, p, &len),
		    0);
		a = json_array();
		for (k = 0; k < len; k++)
			json_array_append_new(a, b64_json(p[k], 32));
		json_object_set_new(proofs,
		    json_string_value(json_array_get(hashes, i)),
		    json_pack("{s:I, s:o}", "leaf_index", (json_int_t)i,
			"audit_path", a));
	}
	mine = world_find(20, TRANSLOG_SIGNATURE_LEAF_BYTES);
	gone = world_find(0, TRANSLOG_REMOVAL_LEAF_BYTES);
	receipts = json_array();
	json_array_append_new(receipts,
	    receipt_case(SLUG, mine, w->secret[mine], 32, "ok"));
	json_array_append_new(receipts,
	    receipt_case(SLUG, 0, w->secret[0], 32, "ok"));
	json_array_append_new(receipts,
	    receipt_case(SLUG, late, w->secret[late], 32, "not_yet"));
	json_array_append_new(receipts,
	    receipt_case(SLUG, mine + 1, w->secret[mine], 32, "not_yours"));
	json_array_append_new(receipts,
	    receipt_case(SLUG, gone, w->secret[mine], 32, "not_yours"));
	json_array_append_new(receipts,
	    receipt_case("another", mine, w->secret[mine], 32,
		"other_petition"));
	json_array_append_new(receipts,
	    receipt_case(SLUG, mine, w->secret[mine], 31, "not_receipt"));
	translog_sth_encode(&w->sth, in);
	o = json_pack("{s:s, s:s, s:{s:s, s:o, s:o}, s:{s:I, s:I, s:o, s:o}, "
		      "s:o, s:o, s:o, s:o, s:o}",
	    "slug", SLUG, "site", "https://petitions.example.org", "key",
	    "algorithm", "ed25519", "key", b64_json(w->key.pk, 32), "key_id",
	    b64_json(w->key.id, 32), "sth", "tree_size",
	    (json_int_t)w->sth.tree_size, "timestamp",
	    (json_int_t)w->sth.timestamp, "sha256_root_hash",
	    b64_json(w->sth.root, 32), "tree_head_signature",
	    b64_json(w->sig, 64), "sth_input", b64_json(in, 50), "entries",
	    entries, "leaf_hashes", hashes, "proofs", proofs, "receipts",
	    receipts);
	assert_non_null(o);
	if (getenv("HOLOS_UPDATE_VECTORS") != NULL)
		assert_int_equal(json_dump_file(o, JS_VECTORS,
				     JSON_INDENT(1) | JSON_SORT_KEYS),
		    0);
	kept = json_load_file(JS_VECTORS, 0, NULL);
	if (!json_equal(kept, o))
		fail_msg(
		    JS_VECTORS " is not what the C code makes now: "
			       "HOLOS_UPDATE_VECTORS=1 build/unit/test_audit "
			       "rewrites it");
	json_decref(kept);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipt_format),
		cmocka_unit_test(test_honest_log),
		cmocka_unit_test(test_signing_in_progress),
		cmocka_unit_test(test_mismatches),
		cmocka_unit_test(test_bad_removals),
		cmocka_unit_test(test_malformed_answers),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_saved_head),
		cmocka_unit_test(test_forks),
		cmocka_unit_test(test_receipts),
		cmocka_unit_test(test_bad_receipts),
		cmocka_unit_test(test_browser_vectors),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	free(report);
	return rc;
}
