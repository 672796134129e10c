/* e2e_cluster.c - end-to-end tests of two holos nodes on one PostgreSQL
 * database behind haproxy: counts seen across nodes, one email on both nodes at
 * once, PostgreSQL restarted under load, concurrent migrations, holos
 * migrate-data, live-count streams through haproxy. Runs only when
 * HOLOS_TEST_PG is set. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"

#define HAPROXY "/usr/sbin/haproxy"
#define HAPROXY_CFG "docs/deploy/haproxy.cfg"
#define SIGN_PATH "/p/" SEED_SLUG "/sign"
#define NODES 2
#define LOAD_THREADS 4
/* What "every node shows it" must take at most, after the last commit. */
#define CROSS_NODE_MS 1000
#define EVENTS_PATH "/p/" SEED_SLUG "/events"
/* Streams per client address a node allows (--per-ip-limit), and the
 * streams the test opens through haproxy from one client address: more
 * than each node allows one address. */
#define STREAM_CAP "4"
#define STREAMS 10
/* test_heartbeat_through_haproxy runs haproxy's timeouts and holos's
 * heartbeat (--heartbeat, default 20 s) this many times shorter. */
#define TIME_SCALE 10
#define DEFAULT_HEARTBEAT_S 20
#define SCALED_HEARTBEAT "2" /* DEFAULT_HEARTBEAT_S / TIME_SCALE */

struct cluster {
	struct server node[NODES];
	struct server lb; /* only its base: the balancer's address, for clients */
	char base_url[64], node_name[NODES][16];
	const char *args[NODES][16];
	pid_t haproxy;
	char cfg[400], hlog[400];
};

static struct cluster *cl;

static int
copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[4096];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out >= 0) {
		rc = 0;
		while ((n = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) != n)
				rc = -1;
		if (n < 0 || close(out) != 0)
			rc = -1;
	}
	close(in);
	return rc;
}

/* Gives s the site key of from: the nodes of one site must share it (form
 * tokens, email hashes, sealed data). */
static int
share_key(const struct server *from, const struct server *s)
{
	char a[400], b[400];
	if (mkdir(s->data, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(a, sizeof a, "%s/secret.key", from->data);
	snprintf(b, sizeof b, "%s/secret.key", s->data);
	return copy_file(a, b, 0600);
}

/* Replaces every "from" in b (in place, into a new buffer). */
static void
replace_all(struct hbuf *b, const char *from, const char *to)
{
	struct hbuf out = { 0 };
	const char *p = b->data, *hit;
	while ((hit = strstr(p, from)) != NULL) {
		hbuf_append(&out, p, (size_t)(hit - p));
		hbuf_puts(&out, to);
		p = hit + strlen(from);
	}
	hbuf_puts(&out, p);
	hbuf_free(b);
	*b = out;
}

/* Reads docs/deploy/haproxy.cfg into t with the balancer's address lb_port
 * and the nodes' addresses node_port[] for 127.0.0.1:8080 and :8081, :8082. */
static int
haproxy_read(struct hbuf *t, int lb_port, const int node_port[NODES])
{
	FILE *f = fopen(HAPROXY_CFG, "rb");
	char chunk[4096], addr[32];
	size_t n;
	if (f == NULL) {
		fprintf(stderr, "e2e_cluster: cannot read %s\n", HAPROXY_CFG);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		hbuf_append(t, chunk, n);
	fclose(f);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", lb_port);
	replace_all(t, "127.0.0.1:8080", addr);
	for (int i = 0; i < NODES; i++) {
		char from[32];
		snprintf(from, sizeof from, "127.0.0.1:%d", 8081 + i);
		snprintf(addr, sizeof addr, "127.0.0.1:%d", node_port[i]);
		replace_all(t, from, addr);
	}
	return 0;
}

/* Writes docs/deploy/haproxy.cfg with this cluster's ports into cfg. */
static int
haproxy_config(struct cluster *c)
{
	struct hbuf t = { 0 };
	int ports[NODES];
	for (int i = 0; i < NODES; i++)
		ports[i] = c->node[i].port;
	int rc = haproxy_read(&t, c->lb.port, ports);
	if (rc == 0)
		rc = write_file(c->cfg, t.data, t.len);
	hbuf_free(&t);
	return rc;
}

/* Starts haproxy on cfg in the foreground (its output in hlog) and waits
 * until /healthz answers 200 through lb. */
static int
haproxy_run(const char *cfg, const char *hlog, struct server *lb, pid_t *pid)
{
	fflush(NULL);
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd =
		    open(hlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(HAPROXY, HAPROXY, "-db", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	struct client *h = client_new(lb);
	long long end = now_ms() + 10000;
	int rc = -1;
	while (rc != 0 && now_ms() < end) {
		struct resp r;
		if (client_get(h, "/healthz", &r) == CURLE_OK && r.status == 200)
			rc = 0;
		resp_free(&r);
		if (rc != 0)
			pause_ms(50);
	}
	client_free(h);
	if (rc != 0)
		fprintf(stderr,
		    "e2e_cluster: haproxy did not pass /healthz within 10 s (log: %s)\n",
		    hlog);
	return rc;
}

static int
haproxy_start(struct cluster *c)
{
	return haproxy_run(c->cfg, c->hlog, &c->lb, &c->haproxy);
}

static void
haproxy_kill(pid_t pid)
{
	int st;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

static void
haproxy_stop(struct cluster *c)
{
	if (c->haproxy <= 0)
		return;
	haproxy_kill(c->haproxy);
	c->haproxy = 0;
}

static int
group_setup(void **state)
{
	(void)state;
	if (harness_pg() == NULL || access(HAPROXY, X_OK) != 0)
		return 0;
	if ((cl = calloc(1, sizeof *cl)) == NULL)
		return -1;
	cl->lb.port = harness_free_port();
	snprintf(cl->lb.base, sizeof cl->lb.base, "http://127.0.0.1:%d",
	    cl->lb.port);
	snprintf(cl->base_url, sizeof cl->base_url, "%s", cl->lb.base);
	for (int i = 0; i < NODES; i++) {
		const char **a = cl->args[i];
		size_t n = 0;
		snprintf(cl->node_name[i], sizeof cl->node_name[i], "node%d",
		    i + 1);
		/* The first node imports the petition; the others find it. */
		if (i == 0) {
			a[n++] = "--seed";
			a[n++] = SEED_PATH;
		}
		a[n++] = COUNT_ON_SIGN;
		a[n++] = "--base-url";
		a[n++] = cl->base_url;
		a[n++] = "--node";
		a[n++] = cl->node_name[i];
		/* haproxy's address: its connections are not capped, and
		 * the forwarded address meets the rate limits. */
		a[n++] = "--trusted-proxy";
		a[n++] = "127.0.0.1/32";
		a[n++] = "--per-ip-limit";
		a[n++] = STREAM_CAP;
		/* The first node beats at the scale of
		 * test_heartbeat_through_haproxy, the others at the
		 * default. */
		if (i == 0) {
			a[n++] = "--heartbeat";
			a[n++] = SCALED_HEARTBEAT;
		}
		a[n] = NULL;
		if (server_init(&cl->node[i], a) != 0)
			return -1;
		if (i > 0 &&
		    (server_share_db(&cl->node[i], &cl->node[0]) != 0 ||
			share_key(&cl->node[0], &cl->node[i]) != 0)) {
			fprintf(stderr,
			    "e2e_cluster: cannot share the database or key\n");
			return -1;
		}
		if (server_start(&cl->node[i]) != 0)
			return -1;
	}
	snprintf(cl->cfg, sizeof cl->cfg, "%s/haproxy.cfg", cl->node[0].root);
	snprintf(cl->hlog, sizeof cl->hlog, "%s/haproxy.log", cl->node[0].root);
	if (haproxy_config(cl) != 0 || haproxy_start(cl) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (cl == NULL)
		return 0;
	int rc = 0;
	haproxy_stop(cl);
	/* The last node owns the database; it is dropped with node 0. */
	for (int i = NODES - 1; i >= 0; i--)
		if (server_cleanup(&cl->node[i]) != 0)
			rc = -1;
	free(cl);
	cl = NULL;
	return rc;
}

static void
need_cluster(void)
{
	if (harness_pg() == NULL) {
		print_message(
		    "skipped: needs PostgreSQL (HOLOS_TEST_PG); scripts/test.sh sets it\n");
		skip();
	}
	if (cl == NULL) {
		print_message("skipped: %s is not installed\n", HAPROXY);
		skip();
	}
}

static char *
token_from(const struct server *s)
{
	struct client *c = client_new(s);
	char *tok = client_fetch_csrf(c, SEED_SLUG);
	client_free(c);
	assert_non_null(tok);
	return tok;
}

/* POSTs a signature for email with c and a form token; returns the status
 * (0 when no answer came) and whether a 503 carried Retry-After. */
static long
post_sign(struct client *c, const char *token, const char *email,
    bool *retry_after)
{
	struct signer who = signer_default(email);
	struct hbuf b = { 0 };
	struct resp r;
	form_sign(&b, &who, token);
	client_post(c, SIGN_PATH, b.data, b.len, NULL, &r);
	long st = r.rc == CURLE_OK ? r.status : 0;
	if (retry_after != NULL) {
		char *ra = resp_header(&r, "Retry-After");
		*retry_after = ra != NULL;
		free(ra);
	}
	resp_free(&r);
	hbuf_free(&b);
	return st;
}

/* The count the JSON of node i shows. */
static long
node_count(int i)
{
	return petition_count(&cl->node[i], SEED_SLUG);
}

/* Waits until every node shows want; returns the milliseconds it took
 * from since, or -1 after 5 s. */
static long long
wait_all_nodes(long want, long long since)
{
	long long end = now_ms() + 5000;
	while (now_ms() < end) {
		int same = 0;
		for (int i = 0; i < NODES; i++)
			same += node_count(i) == want;
		if (same == NODES)
			return now_ms() - since;
		pause_ms(5);
	}
	return -1;
}

static long long
db_value(const char *sql)
{
	long long v = pg_scalar(cl->node[0].db, sql);
	assert_true(v >= 0);
	return v;
}

/* ---- load ---- */

struct loader {
	pthread_t thread;
	struct client *c;
	const char *token, *tag;
	int id;
	long pause_ms;
	atomic_bool *stop;
	/* OUT */
	char (*acked)[64];
	size_t nacked, cap;
	long sent, n503, n503_bare, other, other_status;
	_Atomic long long last_ok_ms;
};

static void *
load_loop(void *arg)
{
	struct loader *l = arg;
	for (long n = 0; !atomic_load(l->stop); n++) {
		char email[64];
		bool ra = false;
		snprintf(email, sizeof email, "%s-%d-%ld@example.org", l->tag,
		    l->id, n);
		long st = post_sign(l->c, l->token, email, &ra);
		l->sent++;
		if (st == 303) {
			if (l->nacked == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 256;
				l->acked = realloc(l->acked,
				    l->cap * sizeof *l->acked);
				if (l->acked == NULL)
					abort();
			}
			snprintf(l->acked[l->nacked++], sizeof l->acked[0],
			    "%s", email);
			atomic_store(&l->last_ok_ms, now_ms());
		} else if (st == 503) {
			l->n503++;
			l->n503_bare += !ra;
		} else {
			l->other++;
			l->other_status = st;
		}
		if (l->pause_ms > 0)
			pause_ms(l->pause_ms);
	}
	return NULL;
}

static struct loader *
load_start(const char *tag, long pause, atomic_bool *stop, const char *token)
{
	struct loader *ls = calloc(LOAD_THREADS, sizeof *ls);
	assert_non_null(ls);
	for (int i = 0; i < LOAD_THREADS; i++) {
		ls[i].c = client_new(&cl->lb);
		ls[i].token = token;
		ls[i].tag = tag;
		ls[i].id = i;
		ls[i].pause_ms = pause;
		ls[i].stop = stop;
		assert_int_equal(pthread_create(&ls[i].thread, NULL, load_loop,
				     &ls[i]),
		    0);
	}
	return ls;
}

static void
load_join(struct loader *ls)
{
	for (int i = 0; i < LOAD_THREADS; i++) {
		pthread_join(ls[i].thread, NULL);
		client_free(ls[i].c);
	}
}

static void
load_free(struct loader *ls)
{
	for (int i = 0; i < LOAD_THREADS; i++)
		free(ls[i].acked);
	free(ls);
}

/* ---- tests ---- */

/* Signatures through the balancer land on both nodes; each node shows the
 * other's within a second (COUNTS_REFRESH_MS is 250 ms). */
static void
test_counts_across_nodes(void **state)
{
	(void)state;
	need_cluster();
	char *token = token_from(&cl->lb);
	long before = node_count(0);
	assert_true(before >= 0);
	/* 10 signatures from each of 4 clients, at once. */
	long signed_ok = 0;
	for (int round = 0; round < 10; round++) {
		struct client *cs[LOAD_THREADS];
		struct hbuf bodies[LOAD_THREADS];
		struct resp rs[LOAD_THREADS];
		for (int i = 0; i < LOAD_THREADS; i++) {
			char email[64];
			snprintf(email, sizeof email,
			    "across-%d-%d@example.org", i, round);
			struct signer who = signer_default(email);
			memset(&bodies[i], 0, sizeof bodies[i]);
			form_sign(&bodies[i], &who, token);
			cs[i] = client_new(&cl->lb);
		}
		assert_int_equal(client_post_many(cs, SIGN_PATH, bodies, rs,
				     LOAD_THREADS),
		    0);
		for (int i = 0; i < LOAD_THREADS; i++) {
			if (rs[i].status != 303)
				fail_msg("sign through the balancer: %ld",
				    rs[i].status);
			signed_ok++;
			resp_free(&rs[i]);
			hbuf_free(&bodies[i]);
			client_free(cs[i]);
		}
	}
	long long acked_at = now_ms();
	long long took = wait_all_nodes(before + signed_ok, acked_at);
	if (took < 0)
		fail_msg("the nodes show %ld and %ld, wanted %ld",
		    node_count(0), node_count(1), before + signed_ok);
	print_message("cross-node count latency: %lld ms after the last acknowledgement\n",
	    took);
	assert_true(took <= CROSS_NODE_MS);
	/* roundrobin: both nodes committed signatures, each into its own
	 * counter row. */
	assert_int_equal(db_value(
			     "SELECT count(*) FROM petition_counts WHERE confirmed > 0"),
	    NODES);
	assert_int_equal(db_value("SELECT sum(confirmed) FROM petition_counts"),
	    before + signed_ok);
	free(token);
}

/* The same email posted to both nodes at the same moment: the unique
 * index lets exactly one in. */
static void
test_same_email_both_nodes(void **state)
{
	(void)state;
	need_cluster();
	char *tok[NODES];
	for (int i = 0; i < NODES; i++)
		tok[i] = token_from(&cl->node[i]);
	long before = node_count(0);
	const int emails = 8;
	for (int k = 0; k < emails; k++) {
		char email[64];
		snprintf(email, sizeof email, "both-nodes-%d@example.org", k);
		struct signer who = signer_default(email);
		struct client *cs[NODES];
		struct hbuf bodies[NODES];
		struct resp rs[NODES];
		for (int i = 0; i < NODES; i++) {
			memset(&bodies[i], 0, sizeof bodies[i]);
			form_sign(&bodies[i], &who, tok[i]);
			cs[i] = client_new(&cl->node[i]);
		}
		assert_int_equal(client_post_many(cs, SIGN_PATH, bodies, rs,
				     NODES),
		    0);
		int ok = 0, dup = 0;
		for (int i = 0; i < NODES; i++) {
			ok += rs[i].status == 303;
			dup += rs[i].status == 422;
			resp_free(&rs[i]);
			hbuf_free(&bodies[i]);
			client_free(cs[i]);
		}
		if (ok != 1 || dup != NODES - 1)
			fail_msg("%s on both nodes at once: %d × 303, %d × 422",
			    email, ok, dup);
	}
	long long took = wait_all_nodes(before + emails, now_ms());
	if (took < 0)
		fail_msg("the nodes show %ld and %ld, wanted %ld",
		    node_count(0), node_count(1), before + emails);
	assert_int_equal(
	    db_value(
		"SELECT count(*) - count(DISTINCT email_hash) FROM signatures"),
	    0);
	for (int i = 0; i < NODES; i++)
		free(tok[i]);
}

static int
pg_restart(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "sh scripts/pg.sh restart '%s'",
	    harness_pg_dir());
	return system(cmd);
}

/* PostgreSQL restarted while four clients sign through the balancer: the
 * nodes answer 503 with Retry-After during the gap, keep running, and
 * reconnect; every acknowledged signature is stored, none twice, the log
 * has no gap and the nodes agree with the database afterwards. */
static void
test_database_restart_under_load(void **state)
{
	(void)state;
	need_cluster();
	if (harness_pg_dir() == NULL) {
		print_message(
		    "skipped: HOLOS_TEST_PG_DIR (the cluster's folder) is not set\n");
		skip();
	}
	char *token = token_from(&cl->lb);
	atomic_bool stop = false;
	struct loader *ls = load_start("restart", 5, &stop, token);
	pause_ms(800);
	long long restart_at = now_ms();
	if (pg_restart() != 0)
		fail_msg("scripts/pg.sh restart %s failed", harness_pg_dir());
	long long restarted = now_ms();
	/* Until a signature gets through again, then a little more. */
	long long end = now_ms() + 15000;
	bool recovered = false;
	while (!recovered && now_ms() < end) {
		for (int i = 0; i < LOAD_THREADS; i++)
			recovered = recovered ||
			    atomic_load(&ls[i].last_ok_ms) > restarted;
		pause_ms(20);
	}
	long long recovered_at = now_ms();
	pause_ms(500);
	atomic_store(&stop, true);
	load_join(ls);
	if (!recovered)
		fail_msg("no signature got through within 15 s of the restart");
	long sent = 0, acked = 0, n503 = 0, bare = 0, other = 0,
	     other_status = 0;
	for (int i = 0; i < LOAD_THREADS; i++) {
		sent += ls[i].sent;
		acked += (long)ls[i].nacked;
		n503 += ls[i].n503;
		bare += ls[i].n503_bare;
		other += ls[i].other;
		if (ls[i].other)
			other_status = ls[i].other_status;
	}
	print_message("restart took %lld ms, signing back %lld ms after it began: %ld sent, "
		      "%ld acknowledged, %ld × 503, %ld other\n",
	    restarted - restart_at, recovered_at - restart_at, sent, acked,
	    n503, other);
	for (int i = 0; i < NODES; i++) {
		int st;
		if (waitpid(cl->node[i].pid, &st, WNOHANG) != 0)
			fail_msg("node %d died during the restart (log %s)",
			    i + 1, cl->node[i].log);
	}
	if (other > 0)
		fail_msg("%ld answers were neither 303 nor 503 (last: %ld)",
		    other, other_status);
	assert_true(n503 > 0);
	if (bare > 0)
		fail_msg("%ld of %ld 503s came without Retry-After", bare, n503);

	/* Nothing twice, no gap in the log, the counter rows agree. */
	long long rows = db_value("SELECT count(*) FROM signatures");
	assert_int_equal(
	    db_value(
		"SELECT count(*) - count(DISTINCT email_hash) FROM signatures"),
	    0);
	assert_int_equal(db_value("SELECT max(seq) FROM signatures"), rows);
	assert_int_equal(db_value("SELECT sum(confirmed) FROM petition_counts"),
	    rows);
	assert_true(rows >= acked);
	/* Every acknowledged signature is there: signing again is refused. */
	struct client *c = client_new(&cl->lb);
	for (int i = 0; i < LOAD_THREADS; i++) {
		for (size_t k = 0; k < ls[i].nacked; k++) {
			long st = post_sign(c, token, ls[i].acked[k], NULL);
			if (st != 422)
				fail_msg("%s was acknowledged, signing it again gave %ld",
				    ls[i].acked[k], st);
		}
	}
	client_free(c);
	/* Every node agrees with the database within a second. */
	long long took = wait_all_nodes((long)rows, now_ms());
	if (took < 0 || took > CROSS_NODE_MS)
		fail_msg("the nodes show %ld and %ld, the database %lld",
		    node_count(0), node_count(1), rows);
	load_free(ls);
	free(token);
}

/* Nodes starting together on a new database migrate it once. */
static void
test_concurrent_migrate(void **state)
{
	(void)state;
	if (harness_pg() == NULL) {
		print_message("skipped: needs PostgreSQL (HOLOS_TEST_PG)\n");
		skip();
	}
	struct server s;
	assert_int_equal(server_init(&s, NULL), 0);
	pid_t pids[4];
	for (int i = 0; i < 4; i++) {
		fflush(NULL);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char log[600];
			snprintf(log, sizeof log, "%s/migrate%d.log", s.root, i);
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execl(harness_bin(), harness_bin(), "migrate", "--data",
			    s.data, "--db", s.db, (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			/* What it said, the end of it, for the reason. */
			char log[600], said[2048] = "";
			snprintf(log, sizeof log, "%s/migrate%d.log", s.root, i);
			FILE *f = fopen(log, "r");
			if (f != NULL) {
				if (fseek(f, -(long)(sizeof said - 1),
					SEEK_END) != 0)
					rewind(f);
				said[fread(said, 1, sizeof said - 1, f)] = '\0';
				fclose(f);
			}
			s.keep = true;
			fail_msg("holos migrate %d of 4 failed (status %d):\n%s",
			    i + 1, st, said);
		}
	}
	long long files = 0;
	DIR *d = opendir("migrations/pg");
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		files += strlen(e->d_name) > 4 &&
		    strcmp(e->d_name + strlen(e->d_name) - 4, ".sql") == 0;
	closedir(d);
	assert_true(files >= 3);
	assert_int_equal(pg_scalar(s.db,
			     "SELECT count(*) FROM schema_migrations"),
	    files);
	assert_int_equal(pg_scalar(s.db,
			     "SELECT count(DISTINCT version) FROM schema_migrations"),
	    files);
	/* A database newer than this holos is refused. */
	assert_int_equal(pg_scalar(s.db,
			     "INSERT INTO schema_migrations VALUES (9999, "
			     "'9999_future.sql', 0)"),
	    0);
	const char *argv[] = { "migrate", "--data", s.data, NULL };
	struct hbuf out = { 0 }, err = { 0 };
	assert_int_equal(cli_run(argv, &out, &err), 1);
	assert_non_null(strstr(err.data, "newer than this holos"));
	assert_null(strstr(err.data, "Sanitizer"));
	hbuf_free(&out);
	hbuf_free(&err);
	assert_int_equal(server_cleanup(&s), 0);
}

/* Runs sql (one or more statements) on the SQLite database at path. */
static int
sqlite_run(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "e2e_cluster: SQLite %s: %s\n", path,
		    msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* What a site running the petition lifecycle holds besides signatures: a
 * starter with a public name and language owning the petition, an unused
 * account link, the petition's moves with their reason and note, an update
 * half mailed and a response. */
static const char lifecycle_rows[] =
    "INSERT INTO users (email_hash, email_sealed, password, role, created_at, name, lang) "
    "VALUES (x'0a0b', x'0c0d', 'x', 'starter', 1, 'Olena', 'uk');"
    "UPDATE petitions SET owner_id = (SELECT id FROM users WHERE name = 'Olena'), "
    "reason = 'spam', note = 'moved along' WHERE slug = '" SEED_SLUG "';"
    "INSERT INTO user_tokens (hash, purpose, user_id, created_at, expires_at) "
    "SELECT x'0e0f', 'reset', id, 1, 4102444800 FROM users WHERE name = 'Olena';"
    "INSERT INTO transitions (petition_id, from_state, to_state, actor, reason, note, at) "
    "SELECT id, 'pending', 'open', 'user:1', '', 'approved', 2 FROM petitions;"
    "INSERT INTO transitions (petition_id, from_state, to_state, actor, reason, note, at) "
    "SELECT id, 'open', 'hidden', 'user:1', 'spam', 'moved along', 3 FROM petitions;"
    "INSERT INTO updates (petition_id, kind, author, title, body_md, created_at, "
    "mail_cursor, mail_done, mailed) SELECT id, 'update', '', 'News', 'Body', 4, 3, 0, 3 "
    "FROM petitions;"
    "INSERT INTO updates (petition_id, kind, author, title, body_md, created_at, "
    "mail_cursor, mail_done, mailed) SELECT id, 'response', 'The Mayor', 'Answer', "
    "'We heard you', 5, 5, 1, 5 FROM petitions;";

/* A SQLite site moved to PostgreSQL: counts, duplicates, sealed data and
 * the petition lifecycle's rows carry over; a second copy into the same
 * database is refused. */
static void
test_migrate_data(void **state)
{
	(void)state;
	if (harness_pg() == NULL) {
		print_message("skipped: needs PostgreSQL (HOLOS_TEST_PG)\n");
		skip();
	}
	static const char *const args[] = { "--seed", SEED_PATH, COUNT_ON_SIGN,
		NULL };
	struct server old, neu;
	assert_int_equal(server_init(&old, args), 0);
	server_use_sqlite(&old);
	assert_int_equal(server_start(&old), 0);
	char *token = token_from(&old);
	struct client *c = client_new(&old);
	for (int i = 0; i < 5; i++) {
		char email[64];
		snprintf(email, sizeof email, "moved-%d@example.org", i);
		assert_int_equal(post_sign(c, token, email, NULL), 303);
	}
	client_free(c);
	free(token);
	assert_int_equal(petition_count(&old, SEED_SLUG), 5);
	assert_int_equal(server_stop(&old), 0);
	char path[400];
	snprintf(path, sizeof path, "%s/holos.db", old.data);
	assert_int_equal(sqlite_run(path, lifecycle_rows), 0);

	static const char *const args2[] = { COUNT_ON_SIGN, NULL };
	assert_int_equal(server_init(&neu, args2), 0);
	char from[400];
	snprintf(from, sizeof from, "sqlite:%s/holos.db", old.data);
	const char *argv[] = { "migrate-data", "--from", from, "--to", neu.db,
		NULL };
	struct hbuf out = { 0 }, err = { 0 };
	int rc = cli_run(argv, &out, &err);
	if (rc != 0)
		fail_msg("migrate-data: exit %d\n%s%s", rc,
		    out.data ? out.data : "", err.data ? err.data : "");
	assert_non_null(strstr(out.data, "signatures"));
	assert_null(strstr(out.data, "MISMATCH"));
	assert_null(strstr(err.data, "Sanitizer"));
	hbuf_free(&out);
	hbuf_free(&err);
	/* Not twice into the same database. */
	rc = cli_run(argv, &out, &err);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err.data, "not empty"));
	assert_null(strstr(err.data, "Sanitizer"));
	hbuf_free(&out);
	hbuf_free(&err);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT confirmed FROM petition_counts WHERE node = "
			     "'migrated'"),
	    5);
	/* The lifecycle's columns and tables, value for value. */
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(*) FROM petitions p JOIN users u "
			     "ON u.id = p.owner_id WHERE u.name = 'Olena' AND "
			     "u.lang = 'uk' AND p.reason = 'spam' AND "
			     "p.note = 'moved along'"),
	    1);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(*) FROM user_tokens WHERE hash = "
			     "'\\x0e0f' AND purpose = 'reset' AND used_at IS NULL "
			     "AND expires_at = 4102444800"),
	    1);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(*) FROM transitions WHERE "
			     "from_state = 'open' AND to_state = 'hidden' AND "
			     "reason = 'spam' AND note = 'moved along' AND at = 3"),
	    1);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(*) FROM updates WHERE kind = "
			     "'update' AND NOT mail_done AND mail_cursor = 3 AND "
			     "mailed = 3 AND title = 'News'"),
	    1);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(*) FROM updates WHERE kind = "
			     "'response' AND mail_done AND author = 'The Mayor'"),
	    1);
	/* The sequences continue after the copied ids. */
	assert_int_equal(pg_scalar(neu.db,
			     "INSERT INTO transitions (petition_id, from_state, "
			     "to_state, actor, at) SELECT id, 'hidden', 'open', "
			     "'system', 6 FROM petitions"),
	    0);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(DISTINCT id) FROM transitions"),
	    3);
	assert_int_equal(pg_scalar(neu.db,
			     "INSERT INTO updates (petition_id, kind, title, "
			     "body_md, created_at) SELECT id, 'update', 'Later', "
			     "'More', 7 FROM petitions"),
	    0);
	assert_int_equal(pg_scalar(neu.db,
			     "SELECT count(DISTINCT id) FROM updates"),
	    3);

	/* The new node with the old key: the count, the duplicates. */
	assert_int_equal(share_key(&old, &neu), 0);
	assert_int_equal(server_start(&neu), 0);
	assert_int_equal(petition_count(&neu, SEED_SLUG), 5);
	token = token_from(&neu);
	c = client_new(&neu);
	assert_int_equal(post_sign(c, token, "moved-3@example.org", NULL), 422);
	assert_int_equal(post_sign(c, token, "moved-new@example.org", NULL),
	    303);
	client_free(c);
	free(token);
	assert_int_equal(petition_count(&neu, SEED_SLUG), 6);
	assert_int_equal(pg_scalar(neu.db, "SELECT max(seq) FROM signatures"),
	    6);
	assert_int_equal(server_cleanup(&neu), 0);
	assert_int_equal(server_cleanup(&old), 0);
}

/* ---- live-count streams through haproxy ---- */

/* One event stream read by hand (as tests/e2e/e2e_events.c reads them). */
struct stream {
	int fd;
	int status;
	size_t pos; /* next unread byte of the body */
	struct hbuf in;
};

/* Opens a stream of the seed petition on port from the local address src
 * (NULL: any). */
static void
stream_open(struct stream *st, int port, const char *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[256];
	int n;

	memset(st, 0, sizeof *st);
	st->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(st->fd >= 0);
	if (src != NULL) {
		struct sockaddr_in me = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &me.sin_addr);
		assert_int_equal(bind(st->fd, (struct sockaddr *)&me, sizeof me),
		    0);
	}
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(st->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	n = snprintf(req, sizeof req,
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Accept: text/event-stream\r\n\r\n",
	    EVENTS_PATH);
	assert_int_equal(write(st->fd, req, (size_t)n), n);
}

static void
stream_close(struct stream *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	hbuf_free(&st->in);
}

/* The count of the next event, waiting ms at most; -1 when none came (or
 * the stream ended: st->status says how it was answered). */
static long
stream_next_count(struct stream *st, long ms)
{
	long long end = now_ms() + ms;

	for (;;) {
		char buf[4096];
		ssize_t n;
		bool ended = false;

		while ((n = recv(st->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
			hbuf_append(&st->in, buf, (size_t)n);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			ended = true;
		if (st->status == 0 && st->in.data != NULL) {
			char *h = strstr(st->in.data, "\r\n\r\n");

			if (h != NULL) {
				st->status = atoi(st->in.data + 9);
				st->pos = (size_t)(h + 4 - st->in.data);
			}
		}
		/* Refused (429, 503): no event will come. */
		if (st->status != 0 && st->status != 200)
			return -1;
		if (st->status == 200) {
			const char *p = st->in.data + st->pos, *sep, *d;

			/* Chunked through haproxy: find each "data: " line. */
			while ((d = strstr(p, "data: ")) != NULL &&
			    (sep = strstr(d, "\n\n")) != NULL) {
				json_t *j = json_loadb(d + 6,
				    (size_t)(sep - d - 6), 0, NULL);
				json_t *c = json_object_get(j, "count");
				long v = json_is_integer(c) ?
				    (long)json_integer_value(c) :
				    -1;

				st->pos = (size_t)(sep + 2 - st->in.data);
				p = st->in.data + st->pos;
				json_decref(j);
				if (v >= 0)
					return v;
			}
		}
		long left = (long)(end - now_ms());
		if (ended || left <= 0)
			return -1;
		struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
		poll(&pfd, 1, (int)(left < 50 ? left : 50));
	}
}

/* Waits until the stream's events reach want; the milliseconds it took,
 * or -1. */
static long
stream_wait_count(struct stream *st, long want, long ms)
{
	long long start = now_ms();

	for (;;) {
		long left = ms - (long)(now_ms() - start);
		long c;

		if (left <= 0 || (c = stream_next_count(st, left)) < 0)
			return -1;
		if (c == want)
			return (long)(now_ms() - start);
	}
}

/* STREAMS streams opened through docs/deploy/haproxy.cfg from one client
 * address, more than each node lets one address open directly: all are
 * served (haproxy is a --trusted-proxy), spread over both nodes; a
 * signature made on node B reaches every one of them, those held by node
 * A too, within a second of its acknowledgement (each node sees the
 * others' signatures through the shared counts). */
static void
test_streams_through_haproxy(void **state)
{
	(void)state;
	need_cluster();
	struct stream st[STREAMS], direct[5];
	int before[NODES], on[NODES];
	long count, worst = 0;

	for (int i = 0; i < NODES; i++)
		before[i] = server_log_count(&cl->node[i], "/events status=200");
	count = node_count(0);
	assert_true(count >= 0);
	for (int i = 0; i < STREAMS; i++) {
		stream_open(&st[i], cl->lb.port, NULL);
		long c = stream_next_count(&st[i], 5000);
		if (c < 0)
			fail_msg("stream %d through haproxy: status %d", i,
			    st[i].status);
		assert_int_equal(st[i].status, 200);
	}
	/* roundrobin: both nodes hold streams, each more than the cap of
	 * one address. */
	for (int i = 0; i < NODES; i++) {
		on[i] = server_log_count(&cl->node[i], "/events status=200") -
		    before[i];
		print_message("node%d holds %d streams through haproxy\n",
		    i + 1, on[i]);
		assert_true(on[i] > atoi(STREAM_CAP));
	}
	/* The cap holds for an address that is no proxy: a node serves it
	 * four streams, not five (the fifth is answered 429, or shut at
	 * once when it comes while the four are still connections). */
	{
		int served = 0;

		for (int i = 0; i < 5; i++)
			stream_open(&direct[i], cl->node[0].port, "127.0.0.2");
		for (int i = 0; i < 5; i++) {
			/* Generous: a slow first event must not read as a
			 * refusal on a loaded machine. */
			if (stream_next_count(&direct[i], 10000) >= 0)
				served++;
			else if (direct[i].status != 0 &&
			    direct[i].status != 429)
				fail_msg("direct stream %d: status %d", i,
				    direct[i].status);
		}
		assert_int_equal(served, 4);
	}
	for (int i = 0; i < 5; i++)
		stream_close(&direct[i]);

	/* A signature made on node B (directly) reaches the streams of both
	 * nodes through haproxy. */
	{
		struct signer who = signer_default("stream-haproxy@example.org");
		long long t0;

		assert_int_equal(sign_fresh(&cl->node[1], SEED_SLUG, &who, NULL,
				     NULL),
		    303);
		t0 = now_ms();
		for (int i = 0; i < STREAMS; i++) {
			long took = stream_wait_count(&st[i], count + 1, 5000);

			if (took < 0)
				fail_msg("stream %d never showed %ld", i,
				    count + 1);
			if (now_ms() - t0 > worst)
				worst = (long)(now_ms() - t0);
		}
	}
	print_message("a signature on node2 reached %d streams through "
		      "haproxy within %ld ms\n",
	    STREAMS, worst);
	assert_true(worst <= CROSS_NODE_MS);
	for (int i = 0; i < STREAMS; i++)
		stream_close(&st[i]);
}

/* Replaces the value of the line "timeout NAME VALUE" of t by one
 * TIME_SCALE times shorter (in ms); returns the value it had in ms, or -1
 * when t has no such line or its value is not a haproxy time. */
static long
scale_timeout(struct hbuf *t, const char *name)
{
	static const struct {
		const char *unit;
		long ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "", 1 } };
	char key[64], with[64];
	char *p, *v, *end;
	long n, ms = -1;
	size_t i;

	snprintf(key, sizeof key, "\ttimeout %s ", name);
	if (t->data == NULL || (p = strstr(t->data, key)) == NULL)
		return -1;
	v = p + strlen(key);
	n = strtol(v, &end, 10);
	if (end == v || n <= 0)
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0) {
			ms = n * units[i].ms;
			end += strlen(units[i].unit);
			break;
		}
	if (ms < 0 || (*end != '\n' && *end != ' ' && *end != '\t'))
		return -1;
	/* The rest of the file after the value, then the new line. */
	struct hbuf out = { 0 };
	hbuf_append(&out, t->data, (size_t)(p - t->data));
	snprintf(with, sizeof with, "\ttimeout %s %ldms", name, ms / TIME_SCALE);
	hbuf_puts(&out, with);
	hbuf_puts(&out, end);
	hbuf_free(t);
	*t = out;
	return ms;
}

/* Takes what has come on st without waiting (last: when a byte last
 * came); false once the stream has ended. */
static bool
stream_pump(struct stream *st, long long *last)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(st->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
		hbuf_append(&st->in, buf, (size_t)n);
		*last = now_ms();
	}
	return n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

/* The heartbeats (":" comment lines) st has brought. */
static int
stream_beats(const struct stream *st)
{
	int n = 0;

	/* Each begins on the last newline of what came before it. */
	for (const char *p = st->in.data;
	     p != NULL && (p = strstr(p, "\n:\n\n")); p += 3)
		n++;
	return n;
}

/* The live-count stream's heartbeat against haproxy's timeouts, both as
 * docs/deploy/haproxy.cfg and holos's default set them but TIME_SCALE
 * times shorter: haproxy runs that file's client, server and tunnel
 * timeouts scaled down (3 s for 30 s) in front of node1 alone, which beats
 * every 2 s (for 20 s), and in front of node2 alone, which keeps the default 20
 * s (for 200 s: no heartbeat within the timeouts). A stream through the first
 * stays open past twice the timeout, never silent for as long as a timeout, and
 * still brings a new count at the end; one through the second is cut by haproxy
 * once it has been silent for the timeout. */
static void
test_heartbeat_through_haproxy(void **state)
{
	(void)state;
	need_cluster();
	struct server lb[NODES];
	pid_t pid[NODES];
	char cfg[NODES][400], hlog[NODES][400];
	struct stream st[NODES];
	long long last[NODES], ended[NODES], silent_before[NODES];
	long long longest_gap = 0, t0, end, hard_end;
	bool open[NODES];
	long timeout = -1, count;

	for (int i = 0; i < NODES; i++) {
		struct hbuf t = { 0 };
		int ports[NODES];
		static const char *const kinds[] = { "client", "server",
			"tunnel" };

		memset(&lb[i], 0, sizeof lb[i]);
		lb[i].port = harness_free_port();
		snprintf(lb[i].base, sizeof lb[i].base, "http://127.0.0.1:%d",
		    lb[i].port);
		/* Every server line of the file names node i. */
		for (int j = 0; j < NODES; j++)
			ports[j] = cl->node[i].port;
		assert_int_equal(haproxy_read(&t, lb[i].port, ports), 0);
		/* A stream is a response without a length: haproxy
		 * forwards it as a tunnel, under "timeout tunnel"; the
		 * default heartbeat comes within each of the three, as
		 * deployed. */
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			long ms = scale_timeout(&t, kinds[k]);

			if (ms < 0)
				fail_msg("%s: no \"timeout %s\" line this test "
					 "can read",
				    HAPROXY_CFG, kinds[k]);
			assert_true(DEFAULT_HEARTBEAT_S * 1000L < ms);
			if (timeout < 0 || ms / TIME_SCALE < timeout)
				timeout = ms / TIME_SCALE;
		}
		snprintf(cfg[i], sizeof cfg[i], "%s/haproxy-beat%d.cfg",
		    cl->node[0].root, i + 1);
		snprintf(hlog[i], sizeof hlog[i], "%s/haproxy-beat%d.log",
		    cl->node[0].root, i + 1);
		assert_int_equal(write_file(cfg[i], t.data, t.len), 0);
		hbuf_free(&t);
		assert_int_equal(haproxy_run(cfg[i], hlog[i], &lb[i], &pid[i]),
		    0);
	}
	assert_true(atoi(SCALED_HEARTBEAT) * 1000L < timeout);
	assert_true(DEFAULT_HEARTBEAT_S * 1000L > timeout);
	count = node_count(0);
	for (int i = 0; i < NODES; i++) {
		stream_open(&st[i], lb[i].port, NULL);
		if (stream_next_count(&st[i], 5000) < 0)
			fail_msg("stream through haproxy to node%d: status %d",
			    i + 1, st[i].status);
		last[i] = now_ms();
		open[i] = true;
		ended[i] = silent_before[i] = 0;
	}
	/* Past two timeouts for the beating stream; the silent one gets
	 * up to three (a default beat may fall in the first). */
	t0 = now_ms();
	end = t0 + 2 * timeout + 1000;
	hard_end = t0 + 3 * timeout + 1000;
	while (now_ms() < end || (open[1] && now_ms() < hard_end)) {
		for (int i = 0; i < NODES; i++) {
			long long before = last[i];

			if (!open[i])
				continue;
			open[i] = stream_pump(&st[i], &last[i]);
			if (i == 0 && last[i] - before > longest_gap)
				longest_gap = last[i] - before;
			if (!open[i]) {
				ended[i] = now_ms() - t0;
				silent_before[i] = now_ms() - last[i];
			}
		}
		pause_ms(20);
	}
	if (open[0] && now_ms() - last[0] > longest_gap)
		longest_gap = now_ms() - last[0];
	print_message("timeouts %ld ms: node1 (heartbeat %s s) open after "
		      "%lld ms, %d beats, longest silence %lld ms; node2 "
		      "(heartbeat %d s) cut after %lld ms, %lld ms silent\n",
	    timeout, SCALED_HEARTBEAT, now_ms() - t0, stream_beats(&st[0]),
	    longest_gap, DEFAULT_HEARTBEAT_S, ended[1], silent_before[1]);
	if (!open[0])
		fail_msg("haproxy cut the stream that beats every %s s after "
			 "%lld ms",
		    SCALED_HEARTBEAT, ended[0]);
	assert_true(longest_gap < timeout);
	assert_true(stream_beats(&st[0]) >= 3);
	if (open[1])
		fail_msg("haproxy kept a stream silent for %lld ms (timeouts "
			 "%ld ms)",
		    now_ms() - last[1], timeout);
	/* Cut for its silence, by the timeout, not before it. */
	assert_true(silent_before[1] >= timeout - 100);
	assert_true(silent_before[1] <= timeout + 2000);

	/* The stream kept open still brings the next count. */
	{
		struct signer who = signer_default("stream-beat@example.org");

		assert_int_equal(sign_fresh(&cl->node[1], SEED_SLUG, &who, NULL,
				     NULL),
		    303);
		if (stream_wait_count(&st[0], count + 1, 2000) < 0)
			fail_msg("the kept stream never showed %ld", count + 1);
	}
	for (int i = 0; i < NODES; i++) {
		stream_close(&st[i]);
		haproxy_kill(pid[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest cluster[] = {
		cmocka_unit_test(test_counts_across_nodes),
		cmocka_unit_test(test_same_email_both_nodes),
		cmocka_unit_test(test_streams_through_haproxy),
		cmocka_unit_test(test_heartbeat_through_haproxy),
		cmocka_unit_test(test_database_restart_under_load),
	};
	const struct CMUnitTest single[] = {
		cmocka_unit_test(test_concurrent_migrate),
		cmocka_unit_test(test_migrate_data),
	};
	int failed = cmocka_run_group_tests_name("cluster", cluster,
	    group_setup, group_teardown);
	failed += cmocka_run_group_tests_name("single", single, NULL, NULL);
	return harness_finish(failed);
}
