/* main.c - the command line: serve, migrate, import. Only this file reads
 * configuration (flags, then environment, then defaults). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counts.h"
#include "crypto.h"
#include "i18n.h"
#include "import.h"
#include "log.h"
#include "page.h"
#include "pagecache.h"
#include "server.h"
#include "signq.h"
#include "store.h"
#include "tmpl.h"

struct config {
	const char *listen;
	const char *data;
	const char *db;
	const char *base_url;
	const char *share;
	const char *lang;
	const char *seed;
	const char *site_name;
	struct server_config server;
	unsigned long queue;
	unsigned long batch;
};

enum opt {
	OPT_LISTEN = 256,
	OPT_DATA,
	OPT_DB,
	OPT_BASE_URL,
	OPT_SHARE,
	OPT_LANG,
	OPT_SEED,
	OPT_SITE_NAME,
	OPT_THREADS,
	OPT_MAX_BODY,
	OPT_IDLE_TIMEOUT,
	OPT_PER_IP,
	OPT_MAX_CONNS,
	OPT_QUEUE,
	OPT_BATCH,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "db", required_argument, NULL, OPT_DB },
	{ "base-url", required_argument, NULL, OPT_BASE_URL },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "site-name", required_argument, NULL, OPT_SITE_NAME },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "per-ip-limit", required_argument, NULL, OPT_PER_IP },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "batch", required_argument, NULL, OPT_BATCH },
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
"  help [COMMAND]   show help for a command\n"
"\n"
"Run 'holos COMMAND --help' for the options of a command.\n";

static const char usage_common[] =
"  --data DIR          data folder: database, secret key (env HOLOS_DATA;\n"
"                      default ./data)\n"
"  --db DSN            database: a SQLite path or sqlite:PATH (env HOLOS_DB;\n"
"                      default DIR/holos.db)\n"
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
"  --max-body BYTES    largest request body, else 413 (default 65536)\n"
"  --idle-timeout S    drop a connection silent for S seconds (default 15)\n"
"  --per-ip-limit N    connections per client address (default 128; 0: none)\n"
"  --max-connections N connections in all (default 4096)\n"
"  --queue N           signatures waiting to be written before new ones get\n"
"                      503 (default 10000)\n"
"  --batch N           most signatures written in one transaction (default 1000)\n";

static const char usage_migrate[] =
"usage: holos migrate [OPTIONS]\n"
"\n"
"Applies the migrations the database lacks, each in one transaction, and\n"
"prints the schema version. Refuses a database newer than this holos.\n";

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
"followed by the text in Markdown. Fails if the slug exists already.\n";

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

static int
parse_args(int argc, char **argv, const char *cmd, struct config *c)
{
	unsigned long v;
	int ch;

	c->listen = env_or("HOLOS_LISTEN", "127.0.0.1:8080");
	c->data = env_or("HOLOS_DATA", "data");
	c->db = env_or("HOLOS_DB", NULL);
	c->base_url = env_or("HOLOS_BASE_URL", NULL);
	c->share = env_or("HOLOS_SHARE", NULL);
	c->lang = env_or("HOLOS_LANG", "en");
	c->site_name = env_or("HOLOS_SITE_NAME", "Holos");
	c->server.max_body = 64 * 1024;
	c->server.conn_memory = 64 * 1024;
	c->server.per_ip = 128;
	c->server.max_conns = 4096;
	c->server.idle_timeout = 15;
	c->queue = 10000;
	c->batch = 1000;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN: c->listen = optarg; break;
		case OPT_DATA: c->data = optarg; break;
		case OPT_DB: c->db = optarg; break;
		case OPT_BASE_URL: c->base_url = optarg; break;
		case OPT_SHARE: c->share = optarg; break;
		case OPT_LANG: c->lang = optarg; break;
		case OPT_SEED: c->seed = optarg; break;
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
		case 'h':
		case OPT_HELP:
			usage(stdout, cmd);
			exit(0);
		default:
			usage(stderr, cmd);
			return -1;
		}
	}
	return 0;
bad:
	fprintf(stderr, "holos %s: bad value \"%s\" for --%s\n", cmd, optarg,
	    long_opts[ch - OPT_LISTEN].name);
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
	snprintf(mig, sizeof(mig), "%s/migrations/sqlite", c->share);
	if (store_open(c->db ? c->db : path, mig, &s) == -1) {
		fprintf(stderr, "holos: cannot open the database (see the log "
		    "above)\n");
		return NULL;
	}
	if (store_migrate(s, &version) != STORE_OK) {
		fprintf(stderr, "holos: cannot migrate the database (see the "
		    "log above)\n");
		store_close(s);
		return NULL;
	}
	return s;
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

static int
cmd_import(struct config *c, int argc, char **argv)
{
	struct store *s;
	char err[512];
	int ret = 0;

	if (optind != argc - 1) {
		fprintf(stderr, "holos import: expected one FILE.md\n");
		usage(stderr, "import");
		return 2;
	}
	if ((s = open_store(c)) == NULL)
		return 1;
	if (import_file(s, argv[optind], err, sizeof(err)) == -1) {
		fprintf(stderr, "holos import: %s\n", err);
		ret = 1;
	} else {
		printf("imported %s\n", argv[optind]);
	}
	store_close(s);
	return ret;
}

static int
cmd_serve(struct config *c)
{
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
		if (total == 0 && import_file(s, c->seed, err, sizeof(err)) ==
		    -1) {
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

		snprintf(origin, sizeof(origin), "%.*s", slash ?
		    (int)(slash - c->base_url) : (int)strlen(c->base_url),
		    c->base_url);
		site.origin = origin;
	}
	{
		char announce[600];

		snprintf(announce, sizeof(announce), "holos: serving %s/",
		    c->base_url);
		c->server.announce = announce;
		c->server.listen = c->listen;
		if (counts_init(s) == -1 || signq_start(s, c->queue, c->batch) ==
		    -1) {
			fprintf(stderr, "holos: cannot start the signature "
			    "writer\n");
			goto out;
		}
		ret = server_run(&c->server) == 0 ? 0 : 1;
		/* Requests in flight are done: write what they queued. */
		signq_stop();
	}
out:
	pagecache_clear();
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
	    strcmp(cmd, "import")) {
		fprintf(stderr, "holos: unknown command \"%s\"\n", cmd);
		usage(stderr, NULL);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	if (parse_args(argc - 1, argv + 1, cmd, &c) == -1)
		return 2;
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
	return cmd_import(&c, argc - 1, argv + 1);
}
