/* main.c - the command line: serve, migrate, import. Only this file reads
 * configuration (flags, then environment, then defaults). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "counts.h"
#include "crypto.h"
#include "delay.h"
#include "guard.h"
#include "i18n.h"
#include "import.h"
#include "log.h"
#include "mail_fanout.h"
#include "mail_outbox.h"
#include "migrate_data.h"
#include "moderate.h"
#include "offload.h"
#include "page.h"
#include "pagecache.h"
#include "pow.h"
#include "ratelimit.h"
#include "server.h"
#include "signq.h"
#include "store.h"
#include "sweep.h"
#include "tmpl.h"

struct config {
	const char *listen;
	const char *data;
	const char *db;
	const char *node;      /* this process's counter rows (shared db) */
	const char *from, *to; /* migrate-data */
	const char *base_url;
	const char *share;
	const char *lang;
	const char *seed;
	const char *owner; /* import: the owner's email */
	const char *site_name;
	struct server_config server;
	unsigned long queue;
	unsigned long batch;
	const char *smtp;
	const char *smtp_ca;
	const char *mail_from;
	bool smtp_insecure;
	bool count_on_sign;
	unsigned long confirm_ttl;
	unsigned long mail_retry;
	unsigned long mail_attempts;
	struct cidr trusted[32];
	size_t ntrusted;
	struct rl_rule rates[RL__MAX];
	bool rate_off;
	unsigned long min_form_seconds;
	unsigned long pow_bits;
};

enum opt {
	OPT_LISTEN = 256,
	OPT_DATA,
	OPT_DB,
	OPT_NODE,
	OPT_FROM,
	OPT_TO,
	OPT_BASE_URL,
	OPT_SHARE,
	OPT_LANG,
	OPT_SEED,
	OPT_OWNER,
	OPT_SITE_NAME,
	OPT_THREADS,
	OPT_MAX_BODY,
	OPT_IDLE_TIMEOUT,
	OPT_PER_IP,
	OPT_MAX_CONNS,
	OPT_QUEUE,
	OPT_BATCH,
	OPT_SMTP,
	OPT_SMTP_CA,
	OPT_SMTP_INSECURE,
	OPT_MAIL_FROM,
	OPT_COUNT_ON_SIGN,
	OPT_CONFIRM_TTL,
	OPT_MAIL_RETRY,
	OPT_MAIL_ATTEMPTS,
	OPT_TRUSTED_PROXY,
	OPT_RATE_IP,
	OPT_RATE_NET,
	OPT_RATE_PETITION,
	OPT_RATE_SITE,
	OPT_RATE_LIMIT,
	OPT_MIN_FORM_SECONDS,
	OPT_POW_BITS,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "db", required_argument, NULL, OPT_DB },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "base-url", required_argument, NULL, OPT_BASE_URL },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "site-name", required_argument, NULL, OPT_SITE_NAME },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "per-ip-limit", required_argument, NULL, OPT_PER_IP },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "smtp", required_argument, NULL, OPT_SMTP },
	{ "smtp-ca", required_argument, NULL, OPT_SMTP_CA },
	{ "smtp-insecure", no_argument, NULL, OPT_SMTP_INSECURE },
	{ "mail-from", required_argument, NULL, OPT_MAIL_FROM },
	{ "count-on-sign", no_argument, NULL, OPT_COUNT_ON_SIGN },
	{ "confirm-ttl", required_argument, NULL, OPT_CONFIRM_TTL },
	{ "mail-retry", required_argument, NULL, OPT_MAIL_RETRY },
	{ "mail-attempts", required_argument, NULL, OPT_MAIL_ATTEMPTS },
	{ "trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY },
	{ "rate-ip", required_argument, NULL, OPT_RATE_IP },
	{ "rate-net", required_argument, NULL, OPT_RATE_NET },
	{ "rate-petition", required_argument, NULL, OPT_RATE_PETITION },
	{ "rate-site", required_argument, NULL, OPT_RATE_SITE },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "min-form-seconds", required_argument, NULL, OPT_MIN_FORM_SECONDS },
	{ "pow-bits", required_argument, NULL, OPT_POW_BITS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_main[] =
    "usage: holos COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  serve            serve the site over HTTP\n"
    "  migrate          bring the database schema up to date\n"
    "  import FILE.md   add a petition from a Markdown file with front matter\n"
    "  user add        create an account (--email, --role; password on stdin)\n"
    "  trending SLUG    signatures per network and email domain, last hour\n"
    "  invalidate SLUG  remove fraudulent signatures from the count, with a reason\n"
    "  outbox [list]    show the mail queue; 'outbox retry ID|dead' queues dead\n"
    "                   mail again, 'outbox send' delivers what is due now\n"
    "  migrate-data     copy a SQLite database into an empty PostgreSQL one\n"
    "  help [COMMAND]   show help for a command\n"
    "\n"
    "Run 'holos COMMAND --help' for the options of a command.\n";

static const char usage_common[] =
    "  --data DIR          data folder: database, secret key (env HOLOS_DATA;\n"
    "                      default ./data)\n"
    "  --db DSN            database: a SQLite path or sqlite:PATH, or\n"
    "                      postgres://USER@HOST:PORT/DB for several nodes on one\n"
    "                      database (env HOLOS_DB; default DIR/holos.db)\n"
    "  --node NAME         this node's name in a shared database's counter rows\n"
    "                      (env HOLOS_NODE; default HOSTNAME:PORT of --listen)\n"
    "  --share DIR         folder with templates/, static/, locales/, migrations/\n"
    "                      (env HOLOS_SHARE; default: beside the binary's folder)\n";

static const char usage_serve[] =
    "usage: holos serve [OPTIONS]\n"
    "\n"
    "Serves the site until SIGTERM or SIGINT, then finishes requests in flight.\n"
    "\n"
    "  --listen HOST:PORT  address to listen on (env HOLOS_LISTEN;\n"
    "                      default 127.0.0.1:8080; [::1]:8080 for IPv6)\n"
    "  --base-url URL      public URL of the site, for links and cookies\n"
    "                      (env HOLOS_BASE_URL; default http://LISTEN)\n"
    "  --lang CODE         default language (env HOLOS_LANG; default en)\n"
    "  --site-name NAME    site name (env HOLOS_SITE_NAME; default Holos)\n"
    "  --seed FILE.md      import this petition when the database has none\n"
    "  --threads N         request threads (default: one per core)\n"
    "  --max-body BYTES    largest request body, else 413 (default 262144)\n"
    "  --idle-timeout S    drop a connection silent for S seconds (default 15)\n"
    "  --per-ip-limit N    connections per client address (default 128; 0: none)\n"
    "  --max-connections N connections in all (default 4096)\n"
    "  --queue N           signatures waiting to be written before new ones get\n"
    "                      503 (default 10000)\n"
    "  --batch N           most signatures written in one transaction (default 1000)\n"
    "\n"
    "Signatures and mail:\n"
    "  --count-on-sign     count signatures at once, without email confirmation\n"
    "                      (env HOLOS_COUNT_ON_SIGN=1; default: count confirmed)\n"
    "  --confirm-ttl S     seconds a confirmation link works (default 604800)\n"
    "  --smtp URL          mail server: smtp://HOST:PORT (STARTTLS when offered),\n"
    "                      smtp+starttls://… (STARTTLS required), smtps://…\n"
    "                      (implicit TLS); USER:PASS@ for login (env HOLOS_SMTP).\n"
    "                      Without it mail is written to DIR/outbox/*.eml and\n"
    "                      confirmation links are logged.\n"
    "  --smtp-ca FILE      CA bundle for the mail server's certificate\n"
    "  --smtp-insecure     do not verify the mail server's certificate (tests)\n"
    "  --mail-from ADDR    sender address (env HOLOS_MAIL_FROM; default\n"
    "                      holos@HOST of the base URL)\n"
    "  --mail-retry S      seconds before the first retry, doubling (default 60)\n"
    "  --mail-attempts N   attempts before a message is dead (default 8)\n"
    "\n"
    "Abuse limits (signing, confirming; page views are never limited):\n"
    "  --trusted-proxy CIDR  a proxy whose X-Forwarded-For names the client\n"
    "                      (repeatable; default: none, the socket's peer counts)\n"
    "  --rate-ip N/S       N requests per S seconds per client (default 10/60)\n"
    "  --rate-net N/S      per /24 (IPv4) or /48 (IPv6) network (default 60/60)\n"
    "  --rate-petition N/S per petition (default 50000/1)\n"
    "  --rate-site N/S     for the whole site (default off)\n"
    "  --rate-limit off    no limits at all (env HOLOS_RATE_LIMIT=off)\n"
    "  --min-form-seconds S  a sign form sent back sooner is flagged and counts\n"
    "                      only once confirmed by email (default 3; env\n"
    "                      HOLOS_MIN_FORM_SECONDS)\n"
    "  --pow-bits N        proof of work asked of the sign form, in leading zero\n"
    "                      bits of SHA-256 (default 12; up to 8 more for a\n"
    "                      petition signed in a burst from few networks; 0: off;\n"
    "                      env HOLOS_POW_BITS). Without it (no JavaScript) a\n"
    "                      signature counts only once confirmed by email.\n"
    "Lists: DIR/allowlist.txt and DIR/blocklist.txt (lines \"domain D\",\n"
    "\"net CIDR\", \"email ADDRESS\"), DIR/disposable-local.txt (more throw-away\n"
    "domains); lists/disposable-email-domains.txt ships with holos.\n";

static const char usage_migrate[] =
    "usage: holos migrate [OPTIONS]\n"
    "\n"
    "Applies the migrations the database lacks, each in one transaction, and\n"
    "prints the schema version. Refuses a database newer than this holos.\n";

static const char usage_outbox[] =
    "usage: holos outbox [OPTIONS] [list | retry ID | retry dead | send]\n"
    "\n"
    "list        the newest 500 messages: id, state, attempts, next attempt,\n"
    "            kind and last error (no addresses: they are sealed)\n"
    "retry ID    queue dead message ID again ('retry dead': all of them)\n"
    "send        deliver every due message now, as the server would (takes the\n"
    "            mail options of 'holos serve --help')\n";

static const char usage_migrate_data[] =
    "usage: holos migrate-data --from sqlite:PATH --to postgres://…\n"
    "\n"
    "Copies every table of a SQLite database (signatures with their sealed\n"
    "personal data as they are; the counter rows summed into one) into a\n"
    "PostgreSQL database in one transaction, after bringing its schema up to\n"
    "date. Refuses a target that holds any data and a source whose schema\n"
    "version differs (run 'holos migrate --db sqlite:PATH' first), then\n"
    "checks row counts and count sums and prints them. Stop every holos\n"
    "serving the SQLite file first; copy secret.key to each new node.\n";

static const char usage_import[] =
    "usage: holos import [OPTIONS] FILE.md\n"
    "\n"
    "Adds the petition in FILE.md. The file starts with front matter:\n"
    "  ---\n"
    "  title: The title\n"
    "  to: First addressee; Second addressee\n"
    "  goal: 15000\n"
    "  lang: en\n"
    "  slug: the-title\n"
    "  ---\n"
    "followed by the text in Markdown. Fails if the slug exists already.\n"
    "\n"
    "Options:\n"
    "  --owner EMAIL       the petition belongs to this account (see holos user\n"
    "                      add): its starter's dashboard shows it\n";

static void
usage(FILE *f, const char *cmd)
{
	if (cmd == NULL) {
		fputs(usage_main, f);
		return;
	}
	if (strcmp(cmd, "serve") == 0)
		fputs(usage_serve, f);
	else if (strcmp(cmd, "migrate") == 0)
		fputs(usage_migrate, f);
	else if (strcmp(cmd, "import") == 0)
		fputs(usage_import, f);
	else if (strcmp(cmd, "outbox") == 0)
		fputs(usage_outbox, f);
	else if (strcmp(cmd, "migrate-data") == 0)
		fputs(usage_migrate_data, f);
	else if (strcmp(cmd, "trending") == 0)
		fputs(moderate_usage_trending, f);
	else if (strcmp(cmd, "user") == 0)
		fputs(account_usage, f);
	else if (strcmp(cmd, "invalidate") == 0)
		fputs(moderate_usage_invalidate, f);
	else {
		fputs(usage_main, f);
		return;
	}
	fputs("\nCommon options:\n", f);
	fputs(usage_common, f);
	fputs("  --help              this text\n", f);
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

/* The folder holding templates/: --share, HOLOS_SHARE, the parent of the
 * binary's folder (build/holos in a checkout), or the current folder. */
static const char *
share_dir(const char *given)
{
	static char buf[PATH_MAX];
	char exe[PATH_MAX], probe[PATH_MAX + 16];
	ssize_t n;
	char *slash;

	if (given != NULL)
		return given;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 2; up++)
			if ((slash = strrchr(exe, '/')) != NULL)
				*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/templates", exe);
		if (access(probe, R_OK) == 0) {
			snprintf(buf, sizeof(buf), "%s", exe);
			return buf;
		}
	}
	return ".";
}

/* Commands that take options of their own besides the common ones. */
static bool
lenient(const char *cmd)
{
	return strcmp(cmd, "trending") == 0 || strcmp(cmd, "invalidate") == 0 ||
	    strcmp(cmd, "user") == 0;
}

static int
parse_args(int argc, char **argv, const char *cmd, struct config *c)
{
	unsigned long v;
	int ch;

	c->listen = env_or("HOLOS_LISTEN", "127.0.0.1:8080");
	c->data = env_or("HOLOS_DATA", "data");
	c->db = env_or("HOLOS_DB", NULL);
	c->node = env_or("HOLOS_NODE", NULL);
	c->base_url = env_or("HOLOS_BASE_URL", NULL);
	c->share = env_or("HOLOS_SHARE", NULL);
	c->lang = env_or("HOLOS_LANG", "en");
	c->site_name = env_or("HOLOS_SITE_NAME", "Holos");
	c->server.max_body = 256 * 1024;
	/* libmicrohttpd clears a connection's pool between requests: no
	 * bigger than headers and buffers need (its own default). */
	c->server.conn_memory = 32 * 1024;
	c->server.per_ip = 128;
	c->server.max_conns = 4096;
	c->server.idle_timeout = 15;
	c->queue = 10000;
	c->batch = 1000;
	c->smtp = env_or("HOLOS_SMTP", NULL);
	c->mail_from = env_or("HOLOS_MAIL_FROM", NULL);
	c->count_on_sign = strcmp(env_or("HOLOS_COUNT_ON_SIGN", "0"), "1") == 0;
	c->confirm_ttl = 7 * 86400;
	c->mail_retry = 60;
	c->mail_attempts = 8;
	c->rates[RL_IP] = (struct rl_rule){ 10, 60 };
	c->rates[RL_NET] = (struct rl_rule){ 60, 60 };
	/* Far above what one node can commit: a guard against floods that
	 * never slows a petition going viral. */
	c->rates[RL_PETITION] = (struct rl_rule){ 50000, 1 };
	c->rates[RL_SITE] = (struct rl_rule){ 0, 1 };
	c->rate_off = strcmp(env_or("HOLOS_RATE_LIMIT", "on"), "off") == 0;
	c->min_form_seconds =
	    strtoul(env_or("HOLOS_MIN_FORM_SECONDS", "3"), NULL, 10);
	c->pow_bits = strtoul(env_or("HOLOS_POW_BITS", "12"), NULL, 10);
	if (c->pow_bits > 24)
		c->pow_bits = 24;
	optind = 1;
	opterr = !lenient(cmd);
	while ((ch = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN: c->listen = optarg; break;
		case OPT_DATA: c->data = optarg; break;
		case OPT_DB: c->db = optarg; break;
		case OPT_NODE: c->node = optarg; break;
		case OPT_FROM: c->from = optarg; break;
		case OPT_TO: c->to = optarg; break;
		case OPT_BASE_URL: c->base_url = optarg; break;
		case OPT_SHARE: c->share = optarg; break;
		case OPT_LANG: c->lang = optarg; break;
		case OPT_SEED: c->seed = optarg; break;
		case OPT_OWNER: c->owner = optarg; break;
		case OPT_SITE_NAME: c->site_name = optarg; break;
		case OPT_THREADS:
			if (parse_uint(optarg, 256, &v) == -1)
				goto bad;
			c->server.threads = (unsigned)v;
			break;
		case OPT_MAX_BODY:
			if (parse_uint(optarg, 64UL << 20, &v) == -1 || v < 1024)
				goto bad;
			c->server.max_body = v;
			break;
		case OPT_IDLE_TIMEOUT:
			if (parse_uint(optarg, 3600, &v) == -1 || v == 0)
				goto bad;
			c->server.idle_timeout = (unsigned)v;
			break;
		case OPT_PER_IP:
			if (parse_uint(optarg, 1000000, &v) == -1)
				goto bad;
			c->server.per_ip = (unsigned)v;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint(optarg, 1000000, &v) == -1 || v == 0)
				goto bad;
			c->server.max_conns = (unsigned)v;
			break;
		case OPT_QUEUE:
			if (parse_uint(optarg, 10000000, &v) == -1 || v == 0)
				goto bad;
			c->queue = v;
			break;
		case OPT_BATCH:
			if (parse_uint(optarg, 100000, &v) == -1 || v == 0)
				goto bad;
			c->batch = v;
			break;
		case OPT_SMTP: c->smtp = optarg; break;
		case OPT_SMTP_CA: c->smtp_ca = optarg; break;
		case OPT_SMTP_INSECURE: c->smtp_insecure = true; break;
		case OPT_MAIL_FROM: c->mail_from = optarg; break;
		case OPT_COUNT_ON_SIGN: c->count_on_sign = true; break;
		case OPT_CONFIRM_TTL:
			if (parse_uint(optarg, 365UL * 86400, &v) == -1 ||
			    v == 0)
				goto bad;
			c->confirm_ttl = v;
			break;
		case OPT_MAIL_RETRY:
			if (parse_uint(optarg, 86400, &v) == -1 || v == 0)
				goto bad;
			c->mail_retry = v;
			break;
		case OPT_MAIL_ATTEMPTS:
			if (parse_uint(optarg, 100, &v) == -1 || v == 0)
				goto bad;
			c->mail_attempts = v;
			break;
		case OPT_TRUSTED_PROXY:
			if (c->ntrusted ==
				sizeof(c->trusted) / sizeof(c->trusted[0]) ||
			    cidr_parse(optarg, &c->trusted[c->ntrusted]) == -1)
				goto bad;
			c->ntrusted++;
			break;
		case OPT_RATE_IP:
		case OPT_RATE_NET:
		case OPT_RATE_PETITION:
		case OPT_RATE_SITE:
			if (ratelimit_parse(optarg,
				&c->rates[ch - OPT_RATE_IP]) == -1)
				goto bad;
			break;
		case OPT_POW_BITS:
			if (parse_uint(optarg, 24, &v) == -1)
				goto bad;
			c->pow_bits = v;
			break;
		case OPT_MIN_FORM_SECONDS:
			if (parse_uint(optarg, 3600, &v) == -1)
				goto bad;
			c->min_form_seconds = v;
			break;
		case OPT_RATE_LIMIT:
			if (strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0)
				goto bad;
			c->rate_off = strcmp(optarg, "off") == 0;
			break;
		case 'h':
		case OPT_HELP: usage(stdout, cmd); exit(0);
		default:
			/* The moderation commands read their own options. */
			if (lenient(cmd))
				break;
			usage(stderr, cmd);
			return -1;
		}
	}
	return 0;
bad : {
	const struct option *o = long_opts;

	while (o->name != NULL && o->val != ch)
		o++;
	fprintf(stderr, "holos %s: bad value \"%s\" for --%s\n", cmd, optarg,
	    o->name ? o->name : "?");
}
	return -1;
}

static int
mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

static bool
dsn_is_pg(const char *dsn)
{
	return dsn != NULL &&
	    (strncmp(dsn, "postgres://", 11) == 0 ||
		strncmp(dsn, "postgresql://", 13) == 0);
}

/* The name of this node's counter rows: --node, else HOSTNAME:PORT of
 * --listen, unique among nodes that each listen on their own address. */
static const char *
node_name(const struct config *c)
{
	static char name[300];
	char host[256];
	const char *port = strrchr(c->listen, ':');

	if (c->node != NULL)
		return c->node;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "%s:%s", host, port ? port + 1 : "0");
	return name;
}

/* Opens and migrates the store named by the configuration. */
static struct store *
open_store(const struct config *c)
{
	char path[PATH_MAX], mig[PATH_MAX];
	struct store *s;
	int version;

	if (mkdir_p(c->data) == -1) {
		fprintf(stderr, "holos: cannot create %s: %s\n", c->data,
		    strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/holos.db", c->data);
	snprintf(mig, sizeof(mig), "%s/migrations/%s", c->share,
	    dsn_is_pg(c->db) ? "pg" : "sqlite");
	if (store_open(c->db ? c->db : path, mig, node_name(c), &s) == -1) {
		fprintf(stderr,
		    "holos: cannot open the database (see the log "
		    "above)\n");
		return NULL;
	}
	if (store_migrate(s, &version) != STORE_OK) {
		fprintf(stderr,
		    "holos: cannot migrate the database (see the "
		    "log above)\n");
		store_close(s);
		return NULL;
	}
	return s;
}

static int
cmd_migrate_data(struct config *c, int argc, char **argv)
{
	char mig[PATH_MAX];

	(void)argv;
	if (optind != argc || c->from == NULL || c->to == NULL ||
	    dsn_is_pg(c->from) || !dsn_is_pg(c->to)) {
		fprintf(stderr,
		    "holos migrate-data: expected --from sqlite:PATH "
		    "--to postgres://…\n");
		usage(stderr, "migrate-data");
		return 2;
	}
	snprintf(mig, sizeof(mig), "%s/migrations/pg", c->share);
	return migrate_data_run(c->from, c->to, mig) == 0 ? 0 : 1;
}

static int
cmd_migrate(struct config *c)
{
	struct store *s;

	if ((s = open_store(c)) == NULL)
		return 1;
	printf("database is up to date\n");
	store_close(s);
	return 0;
}

static void
print_time(int64_t t)
{
	char s[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0) {
		printf("%-20s", "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-20s", s);
}

static int cmd_outbox_send(struct config *c, struct store *s);

static int
cmd_outbox(struct config *c, int argc, char **argv)
{
	const char *verb = optind < argc ? argv[optind] : "list";
	struct outbox_msg *ms;
	struct arena *a = NULL;
	struct store *s;
	size_t n, i;
	int ret = 1, changed = 0;

	if ((s = open_store(c)) == NULL)
		return 1;
	if (strcmp(verb, "list") == 0 && optind + 1 >= argc) {
		if ((a = arena_new()) == NULL ||
		    store_outbox_list(s, a, &ms, &n) != STORE_OK) {
			fprintf(stderr,
			    "holos outbox: cannot read the outbox\n");
			goto out;
		}
		printf("%-8s %-8s %-8s %-20s %-20s %-10s %s\n", "id", "state",
		    "attempts", "created", "next attempt", "kind", "last error");
		for (i = 0; i < n; i++) {
			printf("%-8lld %-8s %-8d ", (long long)ms[i].id,
			    outbox_state_name(ms[i].state), ms[i].attempts);
			print_time(ms[i].created_at);
			printf(" ");
			print_time(
			    ms[i].state == OUTBOX_QUEUED ? ms[i].next_at : 0);
			printf(" %-10s %s\n", ms[i].kind, ms[i].last_error);
		}
		ret = 0;
	} else if (strcmp(verb, "retry") == 0 && optind + 2 == argc) {
		unsigned long id = 0;

		if (strcmp(argv[optind + 1], "dead") != 0 &&
		    (parse_uint(argv[optind + 1], (unsigned long)INT64_MAX,
			 &id) == -1 ||
			id == 0)) {
			fprintf(stderr,
			    "holos outbox retry: expected a message "
			    "id or \"dead\"\n");
			ret = 2;
			goto out;
		}
		if (store_outbox_retry(s, (int64_t)id, (int64_t)time(NULL),
			&changed) != STORE_OK) {
			fprintf(stderr,
			    "holos outbox: cannot update the "
			    "outbox\n");
			goto out;
		}
		if (id != 0 && changed == 0) {
			fprintf(stderr,
			    "holos outbox retry: no dead message "
			    "%lu\n",
			    id);
			goto out;
		}
		printf("queued %d message%s again\n", changed,
		    changed == 1 ? "" : "s");
		ret = 0;
	} else if (strcmp(verb, "send") == 0 && optind + 1 == argc) {
		ret = cmd_outbox_send(c, s);
	} else {
		usage(stderr, "outbox");
		ret = 2;
	}
out:
	arena_free(a);
	store_close(s);
	return ret;
}

static int
cmd_import(struct config *c, int argc, char **argv)
{
	struct store *s;
	int64_t owner = 0;
	char err[512];
	int ret = 1;

	if (optind != argc - 1) {
		fprintf(stderr, "holos import: expected one FILE.md\n");
		usage(stderr, "import");
		return 2;
	}
	if ((s = open_store(c)) == NULL)
		return 1;
	/* The owner is found by the keyed hash of their address. */
	if (c->owner != NULL) {
		if (crypto_init(c->data) == -1)
			goto out;
		if (import_owner(s, c->owner, &owner, err, sizeof(err)) == -1) {
			fprintf(stderr, "holos import: %s\n", err);
			goto out;
		}
	}
	if (import_file_owned(s, argv[optind], owner, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos import: %s\n", err);
		goto out;
	}
	printf("imported %s\n", argv[optind]);
	ret = 0;
out:
	store_close(s);
	return ret;
}

/* The site's mail settings and the outbox worker's configuration. Returns
 * 0, or -1 with a message on stderr. */
static int
setup_mail(struct config *c, struct outbox_config *mail)
{
	static char host[256], from[300], dir[PATH_MAX];
	const char *h = strstr(site.origin, "//");
	char err[256];
	size_t n;

	h = h ? h + 2 : site.origin;
	n = strcspn(h, ":/");
	snprintf(host, sizeof(host), "%.*s", (int)n, h);
	site.host = host;
	if (c->mail_from == NULL) {
		snprintf(from, sizeof(from), "holos@%s", host);
		c->mail_from = from;
	}
	site.mail_from = c->mail_from;
	site.count_on_sign = c->count_on_sign;
	site.confirm_ttl = (int64_t)c->confirm_ttl;
	site.mail_to_files = c->smtp == NULL;
	memset(mail, 0, sizeof(*mail));
	snprintf(dir, sizeof(dir), "%s/outbox", c->data);
	mail->dir = dir;
	mail->from = c->mail_from;
	mail->retry_base = (int64_t)c->mail_retry;
	mail->retry_max = 6 * 3600;
	mail->max_attempts = (int)c->mail_attempts;
	mail->smtp.url = c->smtp;
	mail->smtp.helo = host;
	mail->smtp.timeout_ms = 30000;
	mail->smtp.insecure_tls = c->smtp_insecure;
	mail->smtp.ca_file = c->smtp_ca;
	if (c->smtp != NULL &&
	    smtp_config_check(&mail->smtp, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: --smtp: %s\n", err);
		return -1;
	}
	if (smtp_global_init() == -1) {
		fprintf(stderr, "holos: cannot initialise libcurl\n");
		return -1;
	}
	return 0;
}

static int
cmd_outbox_send(struct config *c, struct store *s)
{
	struct outbox_config mail;
	int n;

	if (crypto_init(c->data) == -1)
		return 1;
	site.origin = c->base_url ? c->base_url : "http://localhost";
	if (setup_mail(c, &mail) == -1)
		return 1;
	n = outbox_run_once(s, &mail);
	smtp_global_cleanup();
	if (n == -1) {
		fprintf(stderr, "holos outbox: cannot read the outbox\n");
		return 1;
	}
	printf("handled %d message%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int
cmd_serve(struct config *c)
{
	struct outbox_config mail;
	struct tmpl_set *t = NULL;
	struct store *s = NULL;
	char err[512], path[PATH_MAX], url[512];
	int ret = 1;

	if (mkdir_p(c->data) == -1) {
		fprintf(stderr, "holos: cannot create %s: %s\n", c->data,
		    strerror(errno));
		return 1;
	}
	if (crypto_init(c->data) == -1)
		return 1;
	snprintf(path, sizeof(path), "%s/locales", c->share);
	if (i18n_load(path, c->lang, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/templates", c->share);
	if ((t = tmpl_set_new()) == NULL ||
	    tmpl_set_load_dir(t, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: template error: %s\n", err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/static", c->share);
	if (page_static_load(path) == -1)
		goto out;
	if (guard_load(c->share, c->data, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: %s\n", err);
		goto out;
	}
	site.min_form_seconds = (int64_t)c->min_form_seconds;
	pow_configure((int)c->pow_bits, c->pow_bits > 0 ? 8 : 0);
	if ((s = open_store(c)) == NULL)
		goto out;
	if (c->seed != NULL) {
		struct arena *a = arena_new();
		struct petition *ps;
		size_t n = 0, total = 0;
		int st;

		for (st = 0; st < PETITION__MAX && a != NULL; st++)
			if (store_petition_list(s, a, (enum petition_state)st,
				&ps, &n) == STORE_OK)
				total += n;
		arena_free(a);
		if (total == 0 &&
		    import_file(s, c->seed, err, sizeof(err)) == -1) {
			fprintf(stderr, "holos: seed: %s\n", err);
			goto out;
		}
	}
	if (c->base_url == NULL) {
		snprintf(url, sizeof(url), "http://%s", c->listen);
		c->base_url = url;
	}
	site.store = s;
	site.tmpl = t;
	site.name = c->site_name;
	site.base_url = c->base_url;
	site.secure_cookies = strncmp(c->base_url, "https://", 8) == 0;
	{
		/* The origin is the base URL up to the first '/' after "//". */
		static char origin[512];
		const char *host = strstr(c->base_url, "//");
		const char *slash = host ? strchr(host + 2, '/') : NULL;

		snprintf(origin, sizeof(origin), "%.*s",
		    slash ? (int)(slash - c->base_url) :
			    (int)strlen(c->base_url),
		    c->base_url);
		site.origin = origin;
	}
	if (setup_mail(c, &mail) == -1)
		goto out;
	{
		char announce[600];

		snprintf(announce, sizeof(announce), "holos: serving %s/",
		    c->base_url);
		c->server.announce = announce;
		c->server.listen = c->listen;
		c->server.trusted = c->trusted;
		c->server.ntrusted = c->ntrusted;
		if (c->rate_off)
			memset(c->rates, 0, sizeof(c->rates));
		ratelimit_configure(c->rates);
		if (counts_init(s) == -1 ||
		    signq_start(s, c->queue, c->batch) == -1) {
			fprintf(stderr,
			    "holos: cannot start the signature "
			    "writer\n");
			goto out;
		}
		if (outbox_start(s, &mail) == -1) {
			fprintf(stderr, "holos: cannot start the mail worker\n");
			signq_stop();
			goto out;
		}
		if (fanout_start(s) == -1) {
			fprintf(stderr,
			    "holos: cannot start the update "
			    "mailer\n");
			signq_stop();
			outbox_stop();
			goto out;
		}
		/* Other nodes sign into a shared database, and a moderator's
		 * invalidation (holos invalidate) changes counts from another
		 * process: both reach this process's counts by re-reading
		 * them, often for a shared database, every second otherwise. */
		if (counts_refresh_start(
			s->ops->shared ? COUNTS_REFRESH_MS : 1000) == -1) {
			fprintf(stderr,
			    "holos: cannot start the count refresh\n");
			signq_stop();
			fanout_stop();
			outbox_stop();
			goto out;
		}
		if (sweep_start(s) == -1 || delay_start() == -1 ||
		    offload_start() == -1) {
			fprintf(stderr,
			    "holos: cannot start a background thread\n");
			sweep_stop();
			delay_stop();
			signq_stop();
			outbox_stop();
			goto out;
		}
		ret = server_run(&c->server) == 0 ? 0 : 1;
		offload_stop();
		delay_stop();
		/* Requests in flight are done: write what they queued, then
		 * let the mail worker finish the message in hand. */
		sweep_stop();
		signq_stop();
		fanout_stop();
		outbox_stop();
	}
out:
	guard_free();
	smtp_global_cleanup();
	pagecache_clear();
	counts_refresh_stop();
	counts_free();
	store_close(s);
	tmpl_set_free(t);
	page_static_free();
	i18n_free();
	return ret;
}

int
main(int argc, char **argv)
{
	char **given = NULL;
	struct config c;
	const char *cmd;
	size_t len;

	/* Before any thread exists, so every thread inherits the mask. */
	server_block_signals();
	if (getenv("HOLOS_LOG_LEVEL") != NULL &&
	    strcmp(getenv("HOLOS_LOG_LEVEL"), "debug") == 0)
		log_set_level(LOG_DEBUG);
	if (argc < 2) {
		usage(stderr, NULL);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout, NULL);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout, argc > 2 ? argv[2] : NULL);
		return 0;
	}
	if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") &&
	    strcmp(cmd, "import") && strcmp(cmd, "outbox") &&
	    strcmp(cmd, "migrate-data") && !lenient(cmd)) {
		fprintf(stderr, "holos: unknown command \"%s\"\n", cmd);
		usage(stderr, NULL);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	/* getopt reorders what it parses: the moderation commands get their
	 * arguments as given. */
	if ((given = calloc((size_t)argc + 1, sizeof(*given))) == NULL)
		return 1;
	memcpy(given, argv, (size_t)argc * sizeof(*given));
	if (parse_args(argc - 1, argv + 1, cmd, &c) == -1) {
		free(given);
		return 2;
	}
	if (!lenient(cmd)) {
		free(given);
		given = NULL;
	}
	c.share = share_dir(c.share);
	/* A trailing slash on the base URL would double in every link. */
	if (c.base_url != NULL && (len = strlen(c.base_url)) > 0 &&
	    c.base_url[len - 1] == '/') {
		static char trimmed[512];

		snprintf(trimmed, sizeof(trimmed), "%.*s", (int)(len - 1),
		    c.base_url);
		c.base_url = trimmed;
	}
	if (strcmp(cmd, "serve") == 0) {
		if (optind < argc - 1) {
			fprintf(stderr, "holos serve: unexpected argument\n");
			return 2;
		}
		return cmd_serve(&c);
	}
	if (strcmp(cmd, "migrate") == 0)
		return cmd_migrate(&c);
	if (strcmp(cmd, "outbox") == 0)
		return cmd_outbox(&c, argc - 1, argv + 1);
	if (strcmp(cmd, "migrate-data") == 0)
		return cmd_migrate_data(&c, argc - 1, argv + 1);
	if (lenient(cmd)) {
		struct store *s = open_store(&c);
		int ret;

		if (s == NULL) {
			free(given);
			return 1;
		}
		if (strcmp(cmd, "user") == 0) {
			if (crypto_init(c.data) == -1) {
				store_close(s);
				free(given);
				return 1;
			}
			ret = account_cmd(s, argc - 1, given + 1);
		} else {
			ret = strcmp(cmd, "trending") == 0 ?
			    moderate_trending(s, argc - 1, given + 1) :
			    moderate_invalidate(s, argc - 1, given + 1);
		}
		store_close(s);
		free(given);
		return ret;
	}
	return cmd_import(&c, argc - 1, argv + 1);
}
