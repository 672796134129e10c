/* main.c - the command line: serve, migrate, import. Only this file reads
 * configuration (flags, then environment, then defaults). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "audit.h"
#include "backup.h"
#include "catalog.h"
#include "cli.h"
#include "counts.h"
#include "crypto.h"
#include "delay.h"
#include "dkim.h"
#include "draw.h"
#include "email.h"
#include "events.h"
#include "export.h"
#include "guard.h"
#include "handover.h"
#include "i18n.h"
#include "image.h"
#include "import.h"
#include "lifecycle.h"
#include "log.h"
#include "loghead.h"
#include "mail_fanout.h"
#include "mail_outbox.h"
#include "metrics.h"
#include "migrate_data.h"
#include "moderate.h"
#include "mono.h"
#include "offload.h"
#include "pack.h"
#include "page.h"
#include "pagecache.h"
#include "pow.h"
#include "ratelimit.h"
#include "reseal.h"
#include "retain.h"
#include "route.h"
#include "server.h"
#include "signq.h"
#include "site.h"
#include "social.h"
#include "store.h"
#include "sweep.h"
#include "ticker.h"
#include "tmpl.h"

/* Everything the command line and the environment set. Numbers are
 * unsigned long so that one parser fills them all. */
struct config {
	const char *listen;
	const char *listen_post; /* NULL: none */
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
	unsigned long threads;
	unsigned long max_body;
	unsigned long idle_timeout;
	unsigned long log_flush;
	unsigned long header_timeout;
	unsigned long body_timeout;
	unsigned long per_ip;
	unsigned long per_net;
	unsigned long max_conns;
	unsigned long max_streams;
	unsigned long heartbeat; /* seconds between a stream's comment lines */
	unsigned long queue;
	unsigned long batch;
	const char *smtp;
	const char *smtp_ca;
	const char *mail_from;
	const char *dkim_key, *dkim_selector;
	bool smtp_insecure;
	bool count_on_sign;
	unsigned long confirm_ttl;
	unsigned long mail_retry;
	unsigned long mail_attempts;
	unsigned long mail_senders;
	unsigned long mail_yield;
	struct cidr trusted[32];
	size_t ntrusted;
	struct rl_rule rates[RL__MAX];
	bool rate_limit;	    /* false: no limits at all */
	bool require_2fa;	    /* guard */
	unsigned long password_mib; /* Argon2id memory of new password hashes */
	unsigned long min_form_seconds;
	unsigned long pow_bits;
	/* privacy */
	struct cidr_set metrics_allow;
	unsigned long retain_days;
	/* keys */
	unsigned long rekey_batches;
	/* delivery */
	unsigned long response_threshold;
	bool publish_responses;
};

/* How an option's argument is read. */
enum opt_arg {
	ARG_TEXT,   /* any string, borrowed from argv or the environment */
	ARG_FLAG,   /* no value; in the environment 1 (on) or 0 (off) */
	ARG_NUMBER, /* a whole number from min to max */
	ARG_RATE,   /* N/SECONDS, or off */
	ARG_CIDR,   /* an address or a range; repeatable */
	ARG_ONOFF,  /* on or off */
	ARG_CIDRS,  /* CIDR,CIDR,…: replaces the list (struct cidr_set) */
	ARG_NONE,   /* --help */
	ARG__MAX
};

enum opt {
	OPT_LISTEN,
	OPT_LISTEN_POST,
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
	OPT_LOG_FLUSH,
	OPT_PER_IP,
	OPT_MAX_CONNS,
	OPT_PER_NET,
	OPT_MAX_STREAMS,
	OPT_HEARTBEAT,
	OPT_HEADER_TIMEOUT,
	OPT_BODY_TIMEOUT,
	OPT_QUEUE,
	OPT_BATCH,
	OPT_SMTP,
	OPT_SMTP_CA,
	OPT_SMTP_INSECURE,
	OPT_MAIL_FROM,
	OPT_DKIM_KEY,
	OPT_DKIM_SELECTOR,
	OPT_COUNT_ON_SIGN,
	OPT_CONFIRM_TTL,
	OPT_MAIL_RETRY,
	OPT_MAIL_ATTEMPTS,
	OPT_MAIL_SENDERS,
	OPT_MAIL_YIELD,
	OPT_TRUSTED_PROXY,
	OPT_RATE_IP,
	OPT_RATE_NET,
	OPT_RATE_PETITION,
	OPT_RATE_SITE,
	OPT_RATE_LIMIT,
	OPT_API_RATE_IP,
	OPT_API_RATE_NET,
	OPT_LIKE_RATE_IP,
	OPT_LIKE_RATE_NET,
	OPT_LIKE_RATE_SITE,
	OPT_REPORT_RATE_IP,
	OPT_REPORT_RATE_NET,
	OPT_MIN_FORM_SECONDS,
	OPT_POW_BITS,
	OPT_METRICS_ALLOW,
	OPT_RETAIN_DAYS,
	/* delivery */
	OPT_RESPONSE_THRESHOLD,
	OPT_PUBLISH_RESPONSES,
	/* keys */
	OPT_REKEY_BATCHES,
	/* guard */
	OPT_REQUIRE_2FA,
	OPT_PASSWORD_MEMORY,
	OPT_HELP,
	OPT__MAX
};

struct opt_def {
	const char *name; /* the flag, without "--" */
	const char *env;  /* the environment's fallback, or NULL */
	enum opt_arg kind;
	size_t off;		/* the field of struct config */
	unsigned long min, max; /* ARG_NUMBER */
	const char *def;	/* the default, read like a given value */
};

#define CF(field) offsetof(struct config, field)

/* Every option of every command: its flag, its environment variable, its
 * default. A value from the environment is checked as one from the command
 * line is; README.md's configuration table lists the same. */
static const struct opt_def opts[OPT__MAX] = {
	[OPT_LISTEN] = { "listen", "HOLOS_LISTEN", ARG_TEXT, CF(listen), 0, 0,
	    "127.0.0.1:8080" },
	/* A second listener with a thread of its own, for a proxy to route
	 * POSTs to: signing never waits behind page readers there. */
	[OPT_LISTEN_POST] = { "listen-post", "HOLOS_LISTEN_POST", ARG_TEXT,
	    CF(listen_post), 0, 0, NULL },
	[OPT_DATA] = { "data", "HOLOS_DATA", ARG_TEXT, CF(data), 0, 0, "data" },
	[OPT_DB] = { "db", "HOLOS_DB", ARG_TEXT, CF(db), 0, 0, NULL },
	[OPT_NODE] = { "node", "HOLOS_NODE", ARG_TEXT, CF(node), 0, 0, NULL },
	[OPT_FROM] = { "from", NULL, ARG_TEXT, CF(from), 0, 0, NULL },
	[OPT_TO] = { "to", NULL, ARG_TEXT, CF(to), 0, 0, NULL },
	[OPT_BASE_URL] = { "base-url", "HOLOS_BASE_URL", ARG_TEXT, CF(base_url),
	    0, 0, NULL },
	[OPT_SHARE] = { "share", "HOLOS_SHARE", ARG_TEXT, CF(share), 0, 0,
	    NULL },
	[OPT_LANG] = { "lang", "HOLOS_LANG", ARG_TEXT, CF(lang), 0, 0, "en" },
	[OPT_SEED] = { "seed", NULL, ARG_TEXT, CF(seed), 0, 0, NULL },
	[OPT_OWNER] = { "owner", NULL, ARG_TEXT, CF(owner), 0, 0, NULL },
	[OPT_SITE_NAME] = { "site-name", "HOLOS_SITE_NAME", ARG_TEXT,
	    CF(site_name), 0, 0, "Holos" },
	/* 0: one per core. */
	[OPT_THREADS] = { "threads", NULL, ARG_NUMBER, CF(threads), 0, 256,
	    "0" },
	[OPT_MAX_BODY] = { "max-body", NULL, ARG_NUMBER, CF(max_body), 1024,
	    64UL << 20, "262144" },
	[OPT_IDLE_TIMEOUT] = { "idle-timeout", NULL, ARG_NUMBER,
	    CF(idle_timeout), 1, 3600, "15" },
	/* Milliseconds an info line may wait to share a write(2); 0: none. */
	[OPT_LOG_FLUSH] = { "log-flush", NULL, ARG_NUMBER, CF(log_flush), 0,
	    10000, "100" },
	[OPT_PER_IP] = { "per-ip-limit", NULL, ARG_NUMBER, CF(per_ip), 0,
	    1000000, "128" },
	[OPT_MAX_CONNS] = { "max-connections", NULL, ARG_NUMBER, CF(max_conns),
	    1, 1000000, "4096" },
	[OPT_PER_NET] = { "per-net-limit", NULL, ARG_NUMBER, CF(per_net), 0,
	    1000000, "512" },
	/* Each is a socket and about 200 bytes: 10,000 take a few MB. */
	[OPT_MAX_STREAMS] = { "max-streams", NULL, ARG_NUMBER, CF(max_streams),
	    0, 1000000, "16384" },
	/* Under the 30-s timeouts of docs/deploy/haproxy.cfg; one a
	 * second at most, and a stalled stream is noticed on a beat. */
	[OPT_HEARTBEAT] = { "heartbeat", NULL, ARG_NUMBER, CF(heartbeat), 1,
	    300, "20" },
	[OPT_HEADER_TIMEOUT] = { "header-timeout", NULL, ARG_NUMBER,
	    CF(header_timeout), 1, 3600, "10" },
	[OPT_BODY_TIMEOUT] = { "body-timeout", NULL, ARG_NUMBER,
	    CF(body_timeout), 1, 3600, "30" },
	[OPT_QUEUE] = { "queue", NULL, ARG_NUMBER, CF(queue), 1, 10000000,
	    "10000" },
	[OPT_BATCH] = { "batch", NULL, ARG_NUMBER, CF(batch), 1, 100000,
	    "1000" },
	[OPT_SMTP] = { "smtp", "HOLOS_SMTP", ARG_TEXT, CF(smtp), 0, 0, NULL },
	[OPT_SMTP_CA] = { "smtp-ca", NULL, ARG_TEXT, CF(smtp_ca), 0, 0, NULL },
	[OPT_SMTP_INSECURE] = { "smtp-insecure", NULL, ARG_FLAG,
	    CF(smtp_insecure), 0, 0, NULL },
	[OPT_MAIL_FROM] = { "mail-from", "HOLOS_MAIL_FROM", ARG_TEXT,
	    CF(mail_from), 0, 0, NULL },
	[OPT_DKIM_KEY] = { "dkim-key", "HOLOS_DKIM_KEY", ARG_TEXT, CF(dkim_key),
	    0, 0, NULL },
	[OPT_DKIM_SELECTOR] = { "dkim-selector", "HOLOS_DKIM_SELECTOR",
	    ARG_TEXT, CF(dkim_selector), 0, 0, NULL },
	[OPT_COUNT_ON_SIGN] = { "count-on-sign", "HOLOS_COUNT_ON_SIGN",
	    ARG_FLAG, CF(count_on_sign), 0, 0, NULL },
	[OPT_CONFIRM_TTL] = { "confirm-ttl", NULL, ARG_NUMBER, CF(confirm_ttl),
	    1, 365UL * 86400, "604800" },
	[OPT_MAIL_RETRY] = { "mail-retry", NULL, ARG_NUMBER, CF(mail_retry), 1,
	    86400, "60" },
	[OPT_MAIL_ATTEMPTS] = { "mail-attempts", NULL, ARG_NUMBER,
	    CF(mail_attempts), 1, 100, "8" },
	[OPT_MAIL_SENDERS] = { "mail-senders", "HOLOS_MAIL_SENDERS", ARG_NUMBER,
	    CF(mail_senders), 1, OUTBOX_SENDERS_MAX, "4" },
	/* A signer still waiting for "signed" leaves; a letter ten seconds
	 * late is read all the same. */
	[OPT_MAIL_YIELD] = { "mail-yield", "HOLOS_MAIL_YIELD", ARG_NUMBER,
	    CF(mail_yield), 0, 600, "10" },
	[OPT_TRUSTED_PROXY] = { "trusted-proxy", NULL, ARG_CIDR, CF(trusted), 0,
	    0, NULL },
	[OPT_RATE_IP] = { "rate-ip", NULL, ARG_RATE, CF(rates[RL_IP]), 0, 0,
	    "10/60" },
	[OPT_RATE_NET] = { "rate-net", NULL, ARG_RATE, CF(rates[RL_NET]), 0, 0,
	    "60/60" },
	/* Far above what one node can commit: a guard against floods that
	 * never slows a petition going viral. */
	[OPT_RATE_PETITION] = { "rate-petition", NULL, ARG_RATE,
	    CF(rates[RL_PETITION]), 0, 0, "50000/1" },
	[OPT_RATE_SITE] = { "rate-site", NULL, ARG_RATE, CF(rates[RL_SITE]), 0,
	    0, "off" },
	[OPT_RATE_LIMIT] = { "rate-limit", "HOLOS_RATE_LIMIT", ARG_ONOFF,
	    CF(rate_limit), 0, 0, "on" },
	/* The open API's reads: a steady reader of 2 a second is never
	 * refused; a flood from one address or network is, at once. */
	[OPT_API_RATE_IP] = { "api-rate-ip", NULL, ARG_RATE,
	    CF(rates[RL_API_IP]), 0, 0, "120/60" },
	[OPT_API_RATE_NET] = { "api-rate-net", NULL, ARG_RATE,
	    CF(rates[RL_API_NET]), 0, 0, "600/60" },
	/* Likes of comments (docs/social.md): a few a minute per person;
	 * in all no more than the database takes beside the signatures
	 * without a page view waiting. */
	[OPT_LIKE_RATE_IP] = { "like-rate-ip", NULL, ARG_RATE,
	    CF(rates[RL_LIKE_IP]), 0, 0, "30/60" },
	[OPT_LIKE_RATE_NET] = { "like-rate-net", NULL, ARG_RATE,
	    CF(rates[RL_LIKE_NET]), 0, 0, "120/60" },
	[OPT_LIKE_RATE_SITE] = { "like-rate-site", NULL, ARG_RATE,
	    CF(rates[RL_LIKE_SITE]), 0, 0, "20/1" },
	/* Reports (docs/report.md): a budget apart from signing's. */
	[OPT_REPORT_RATE_IP] = { "report-rate-ip", NULL, ARG_RATE,
	    CF(rates[RL_REPORT_IP]), 0, 0, "5/600" },
	[OPT_REPORT_RATE_NET] = { "report-rate-net", NULL, ARG_RATE,
	    CF(rates[RL_REPORT_NET]), 0, 0, "20/600" },
	[OPT_MIN_FORM_SECONDS] = { "min-form-seconds", "HOLOS_MIN_FORM_SECONDS",
	    ARG_NUMBER, CF(min_form_seconds), 0, 3600, "3" },
	[OPT_POW_BITS] = { "pow-bits", "HOLOS_POW_BITS", ARG_NUMBER,
	    CF(pow_bits), 0, 24, "12" },
	/* The client as the server sees it (the forwarded one behind a
	 * --trusted-proxy), so a local proxy does not open /metrics to the
	 * world. */
	[OPT_METRICS_ALLOW] = { "metrics-allow", "HOLOS_METRICS_ALLOW",
	    ARG_CIDRS, CF(metrics_allow), 0, 0, "127.0.0.1/32,::1/128" },
	[OPT_RETAIN_DAYS] = { "retain-days", "HOLOS_RETAIN_DAYS", ARG_NUMBER,
	    CF(retain_days), 0, 36500, "90" },
	/* delivery */
	[OPT_RESPONSE_THRESHOLD] = { "response-threshold",
	    "HOLOS_RESPONSE_THRESHOLD", ARG_NUMBER, CF(response_threshold), 0,
	    1000000000, "0" },
	[OPT_PUBLISH_RESPONSES] = { "publish-responses", NULL, ARG_FLAG,
	    CF(publish_responses), 0, 0, NULL },
	/* keys: holos rekey stops after this many batches (0: all) */
	[OPT_REKEY_BATCHES] = { "batches", NULL, ARG_NUMBER, CF(rekey_batches),
	    0, 1000000000, "0" },
	/* guard: moderators and admins enrol a second factor before they
	 * moderate */
	[OPT_REQUIRE_2FA] = { "require-2fa", "HOLOS_REQUIRE_2FA", ARG_ONOFF,
	    CF(require_2fa), 0, 0, "on" },
	/* Argon2id's memory for a new password hash (and the one checked for
	 * an unknown account), MiB: 64 is libsodium's interactive setting;
	 * less suits a very small machine or a test run. */
	[OPT_PASSWORD_MEMORY] = { "password-memory", "HOLOS_PASSWORD_MEMORY",
	    ARG_NUMBER, CF(password_mib), 8, 1024, "64" },
	[OPT_HELP] = { "help", NULL, ARG_NONE, 0, 0, 0, NULL },
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
    "  purge            erase the personal data that is due now (--retain-days)\n"
    "  deliver SLUG     write the petition's delivery pack (--out FILE.pdf)\n"
    "  export SLUG      write its counted signatures (--format csv|json)\n"
    "  audit URL SLUG   check a petition's verifiable log and count on a site\n"
    "  verify FILE      check that a signature receipt is in its petition's log\n"
    "  backup DIR       copy the database and the key files while serving\n"
    "  rekey            rotate the key that seals personal data, while serving\n"
    "  help [COMMAND]   show help for a command\n"
    "\n"
    "Run 'holos COMMAND --help' for the options of a command.\n";

static const char usage_audit[] =
    "usage: holos audit URL SLUG [--state FILE] [--samples N]\n"
    "\n"
    "Checks petition SLUG's log on the site at URL (docs/transparency.md): the\n"
    "newest signed tree head against /log/key, the root recomputed from every\n"
    "entry, audit paths of the first, the last and N random leaves (default\n"
    "8), the consistency of the head saved in FILE by the last run (which the\n"
    "new head replaces when everything holds), and the page's count against\n"
    "the count recomputed from the log. Exits 0 when everything holds, 1 on a\n"
    "mismatch, 2 when it could not check.\n";

static const char usage_verify[] =
    "usage: holos verify RECEIPT.json [--url URL] [--wait S]\n"
    "\n"
    "Checks that the signature of a receipt (the file the confirmed page\n"
    "offers) is in its petition's log under the newest signed tree head.\n"
    "--url asks another address than the receipt's site; --wait waits up to S\n"
    "seconds for a head that covers the signature. Exits 0 when it is there,\n"
    "1 when it is not, 2 when it could not check.\n";

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
    "  --listen-post HOST:PORT  a second address, served by a thread of its\n"
    "                      own, for a proxy to send POSTs to (signing, not\n"
    "                      queued behind page readers; env HOLOS_LISTEN_POST)\n"
    "  --base-url URL      public URL of the site, for links and cookies\n"
    "                      (env HOLOS_BASE_URL; default http://LISTEN)\n"
    "  --lang CODE         default language (env HOLOS_LANG; default en)\n"
    "  --site-name NAME    site name (env HOLOS_SITE_NAME; default Holos)\n"
    "  --seed FILE.md      import this petition when the database has none\n"
    "  --threads N         request threads (default: one per core)\n"
    "  --max-body BYTES    largest request body, else 413 (default 262144)\n"
    "  --idle-timeout S    drop a connection silent for S seconds (default 15)\n"
    "  --log-flush MS      write info lines within MS milliseconds, several to\n"
    "                      a write (default 100; 0: each line at once)\n"
    "  --per-ip-limit N    connections per client address (default 128; 0: none)\n"
    "  --max-connections N connections in all (default 4096)\n"
    "  --header-timeout S  a request's head must come within S seconds of the\n"
    "                      connection (or the previous reply) (default 10)\n"
    "  --body-timeout S    its body within S seconds of the head (default 30)\n"
    "  --per-net-limit N   connections per /24 (IPv4) or /64 (IPv6) network\n"
    "                      (default 512; 0: none)\n"
    "  --max-streams N     live-count event streams open at once (default\n"
    "                      16384); they take no connection of the above\n"
    "  --heartbeat S       a comment line to each idle stream every S seconds,\n"
    "                      1 to 300, under a proxy's timeouts (default 20)\n"
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
    "  --dkim-key FILE     sign outgoing mail with DKIM (RSA key in PEM, mode\n"
    "                      0600; env HOLOS_DKIM_KEY); needs --dkim-selector\n"
    "  --dkim-selector S   the key's DNS selector: S._domainkey.DOMAIN of the\n"
    "                      sender (env HOLOS_DKIM_SELECTOR)\n"
    "  --mail-retry S      seconds before the first retry, doubling (default 60)\n"
    "  --mail-attempts N   attempts before a message is dead (default 8)\n"
    "  --mail-senders N    messages sent at once, each sender on a connection\n"
    "                      of its own kept for up to 100 messages (env\n"
    "                      HOLOS_MAIL_SENDERS; 1 to 32, default 4)\n"
    "  --mail-yield S      while the signature writer is saturated, mail waits\n"
    "                      up to S seconds so that signers are answered first\n"
    "                      (env HOLOS_MAIL_YIELD; 0 to 600, default 10; 0: never)\n"
    "\n"
    "Abuse limits (signing, confirming, the API; page views are never limited):\n"
    "  --trusted-proxy CIDR  a proxy whose X-Forwarded-For names the client\n"
    "                      (repeatable; default: none, the socket's peer counts)\n"
    "  --rate-ip N/S       N requests per S seconds per client (default 10/60)\n"
    "  --rate-net N/S      per /24 (IPv4) or /48 (IPv6) network (default 60/60)\n"
    "  --rate-petition N/S per petition (default 50000/1)\n"
    "  --rate-site N/S     for the whole site (default off)\n"
    "  --api-rate-ip N/S   reads of the open API (/api/) per client: over it\n"
    "                      429 with Retry-After (default 120/60)\n"
    "  --api-rate-net N/S  the same per network (default 600/60)\n"
    "  --like-rate-ip N/S  likes of comments per client (default 30/60)\n"
    "  --like-rate-net N/S the same per network (default 120/60)\n"
    "  --like-rate-site N/S likes in all (default 20/1)\n"
    "  --report-rate-ip N/S  reports of petitions and comments per client\n"
    "                      (default 5/600)\n"
    "  --report-rate-net N/S the same per network (default 20/600)\n"
    "  --rate-limit off    no limits at all (env HOLOS_RATE_LIMIT=off)\n"
    "  --min-form-seconds S  a sign form sent back sooner is flagged and counts\n"
    "                      only once confirmed by email (default 3; env\n"
    "                      HOLOS_MIN_FORM_SECONDS)\n"
    "  --pow-bits N        proof of work asked of the sign form, in leading zero\n"
    "                      bits of SHA-256 (default 12; up to 8 more for a\n"
    "                      petition signed in a burst from few networks; 0: off;\n"
    "                      env HOLOS_POW_BITS). Without it (no JavaScript) a\n"
    "                      signature counts only once confirmed by email.\n"
    "\n"
    "Delivery:\n"
    "  --response-threshold N  a petition with N signatures is delivered to\n"
    "                      its addressees that have an email address (env\n"
    "                      HOLOS_RESPONSE_THRESHOLD; default 0: only by hand)\n"
    "  --publish-responses a decision maker's response appears at once, without\n"
    "                      a moderator's approval\n"
    "\n"
    "Personal data:\n"
    "  --retain-days N     days after a petition closes before its signers'\n"
    "                      personal data is erased (default 90; env\n"
    "                      HOLOS_RETAIN_DAYS)\n"
    "  --metrics-allow CIDR,…  clients that may read /metrics; others get 404\n"
    "                      (default 127.0.0.1/32,::1/128; behind a\n"
    "                      --trusted-proxy the forwarded client counts; none:\n"
    "                      nobody; env HOLOS_METRICS_ALLOW)\n"
    "  --password-memory MIB  Argon2id memory of a new password hash, 8 to 1024\n"
    "                      (default 64; env HOLOS_PASSWORD_MEMORY)\n"
    "Lists: DIR/allowlist.txt and DIR/blocklist.txt (lines \"domain D\",\n"
    "\"net CIDR\", \"email ADDRESS\"), DIR/disposable-local.txt (more throw-away\n"
    "domains); lists/disposable-email-domains.txt ships with holos.\n";

static const char usage_migrate[] =
    "usage: holos migrate [OPTIONS]\n"
    "\n"
    "Applies the migrations the database lacks, each in one transaction, and\n"
    "prints the schema version. Refuses a database newer than this holos.\n";

static const char usage_outbox[] =
    "usage: holos outbox [OPTIONS] [list | retry ID | retry dead | send |\n"
    "                    suppressed [EMAIL] | unsuppress EMAIL]\n"
    "\n"
    "list        the newest 500 messages: id, state, attempts, next attempt,\n"
    "            kind and last error (no addresses: they are sealed)\n"
    "retry ID    queue dead message ID again ('retry dead': all of them)\n"
    "send        deliver every due message now, as the server would (takes the\n"
    "            mail options of 'holos serve --help')\n"
    "suppressed  addresses the mail server refused for good (550, 551 or 553 to\n"
    "            RCPT TO), which are not mailed again: when, the reply, and the\n"
    "            start of the address's keyed hash (addresses are not kept);\n"
    "            with EMAIL, whether that address is one of them\n"
    "unsuppress EMAIL  mail EMAIL again (after its owner fixed the mailbox)\n";

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

static const char usage_purge[] =
    "usage: holos purge [OPTIONS]\n"
    "\n"
    "Erases now what a serving holos erases every hour: mail files of trial\n"
    "mode (no --smtp) older than 7 days, and the personal data of the\n"
    "signers of petitions closed more than --retain-days days ago.\n"
    "\n"
    "  --retain-days N     days after a petition closes (default 90; env\n"
    "                      HOLOS_RETAIN_DAYS)\n";

static const char usage_backup[] =
    "usage: holos backup [OPTIONS] DIR\n"
    "\n"
    "Copies the SQLite database (SQLite's online backup API: holos may go on\n"
    "serving and signing) and the key files of the data folder (secret.key,\n"
    "log.key, seal.key) into DIR, a new or empty folder made 0700, with a\n"
    "MANIFEST of their SHA-256 sums. To restore, put the files into an empty\n"
    "data folder (0700, files 0600) and start holos on it. On PostgreSQL use\n"
    "pg_dump and copy the key files (docs/deploy.md).\n";

static const char usage_rekey[] =
    "usage: holos rekey [OPTIONS] [--batches N]\n"
    "\n"
    "Rotates the key that seals personal data (seal.key; docs/keys.md) while\n"
    "holos serves: a new key, the old one kept as seal.key.old, every sealed\n"
    "value resealed in batches, then the old key removed. Interrupted, it\n"
    "resumes when run again; a second one at the same time is refused.\n"
    "\n"
    "  --batches N         stop after N batches of 500 (run again to go on)\n";

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
	else if (strcmp(cmd, "purge") == 0)
		fputs(usage_purge, f);
	else if (strcmp(cmd, "backup") == 0)
		fputs(usage_backup, f);
	else if (strcmp(cmd, "rekey") == 0)
		fputs(usage_rekey, f);
	else if (strcmp(cmd, "trending") == 0)
		fputs(moderate_usage_trending, f);
	else if (strcmp(cmd, "user") == 0)
		fputs(account_usage, f);
	else if (strcmp(cmd, "invalidate") == 0)
		fputs(moderate_usage_invalidate, f);
	else if (strcmp(cmd, "deliver") == 0)
		fputs(pack_usage, f);
	else if (strcmp(cmd, "export") == 0)
		fputs(export_usage, f);
	else if (strcmp(cmd, "audit") == 0) {
		fputs(usage_audit, f);
		return;
	} else if (strcmp(cmd, "verify") == 0) {
		fputs(usage_verify, f);
		return;
	} else {
		fputs(usage_main, f);
		return;
	}
	fputs("\nCommon options:\n", f);
	fputs(usage_common, f);
	fputs("  --help              this text\n", f);
}

/* Reads s, all of it, as a whole number from min to max. Returns 0, or -1
 * leaving *out alone. */
static int
parse_number(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1; /* strtoul would take spaces, signs, "" */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Sets option o from v (NULL for a flag given on the command line).
 * Returns 0, or -1 when v is not a value of o. */
static int
opt_set(const struct opt_def *o, const char *v, struct config *c)
{
	void *field = (char *)c + o->off;

	switch (o->kind) {
	case ARG_TEXT: *(const char **)field = v; return 0;
	case ARG_FLAG:
		if (v != NULL && strcmp(v, "1") != 0 && strcmp(v, "0") != 0)
			return -1;
		*(bool *)field = v == NULL || strcmp(v, "1") == 0;
		return 0;
	case ARG_NUMBER:
		return parse_number(v, o->min, o->max, (unsigned long *)field);
	case ARG_RATE: return ratelimit_parse(v, (struct rl_rule *)field);
	case ARG_CIDR:
		if (c->ntrusted == sizeof(c->trusted) / sizeof(c->trusted[0]) ||
		    cidr_parse(v, &c->trusted[c->ntrusted]) == -1)
			return -1;
		c->ntrusted++;
		return 0;
	case ARG_ONOFF:
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return -1;
		*(bool *)field = strcmp(v, "on") == 0;
		return 0;
	case ARG_CIDRS: return cidr_set_parse(v, (struct cidr_set *)field);
	case ARG_NONE:
	case ARG__MAX: break;
	}
	return -1;
}

/* Says on stderr why v is not a value of o, naming where it came from
 * (--flag or the environment variable). */
static void
opt_complain(const char *cmd, const struct opt_def *o, const char *source,
    const char *v)
{
	fprintf(stderr, "holos %s: bad value \"%s\" for %s: ", cmd, v, source);
	switch (o->kind) {
	case ARG_FLAG: fprintf(stderr, "expected 1 or 0\n"); break;
	case ARG_NUMBER:
		fprintf(stderr, "expected a whole number from %lu to %lu\n",
		    o->min, o->max);
		break;
	case ARG_RATE:
		fprintf(stderr, "expected N/SECONDS (such as 10/60) or off\n");
		break;
	case ARG_CIDR:
		fprintf(stderr,
		    "expected an address or ADDRESS/BITS, for at "
		    "most 32 proxies\n");
		break;
	case ARG_ONOFF: fprintf(stderr, "expected on or off\n"); break;
	case ARG_CIDRS:
		fprintf(stderr,
		    "expected ADDRESS/BITS[,ADDRESS/BITS…], at most %d\n",
		    CIDR_SET_MAX);
		break;
	default: fprintf(stderr, "unexpected\n"); break;
	}
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
	    strcmp(cmd, "user") == 0 || strcmp(cmd, "deliver") == 0 ||
	    strcmp(cmd, "export") == 0;
}

/* Fills c from the defaults, then the environment, then argv. Returns 0, or
 * -1 after a message on stderr (a usage error). */
static int
parse_args(int argc, char **argv, const char *cmd, struct config *c)
{
	struct option long_opts[OPT__MAX + 1];
	char source[64];
	const char *v;
	int ch, i;

	for (i = 0; i < OPT__MAX; i++) {
		if (opts[i].def != NULL &&
		    opt_set(&opts[i], opts[i].def, c) == -1)
			fatal("main", "option=%s error=\"bad default\"",
			    opts[i].name);
		/* An empty variable counts as unset, as in a shell. */
		if (opts[i].env == NULL || (v = getenv(opts[i].env)) == NULL ||
		    *v == '\0')
			continue;
		if (opt_set(&opts[i], v, c) == -1) {
			opt_complain(cmd, &opts[i], opts[i].env, v);
			return -1;
		}
	}
	for (i = 0; i < OPT__MAX; i++)
		long_opts[i] = (struct option){ opts[i].name,
			opts[i].kind == ARG_FLAG || opts[i].kind == ARG_NONE ?
			    no_argument :
			    required_argument,
			NULL, 256 + i };
	long_opts[OPT__MAX] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((ch = cli_getopt(argc, argv, long_opts, !lenient(cmd))) != -1) {
		const struct opt_def *o;

		if (ch == 'h' || ch == 256 + OPT_HELP) {
			usage(stdout, cmd);
			exit(0);
		}
		if (ch < 256 || ch >= 256 + OPT__MAX) {
			/* The moderation commands read their own options. */
			if (lenient(cmd))
				continue;
			usage(stderr, cmd);
			return -1;
		}
		o = &opts[ch - 256];
		if (opt_set(o, optarg, c) == -1) {
			snprintf(source, sizeof(source), "--%s", o->name);
			opt_complain(cmd, o, source, optarg);
			return -1;
		}
	}
	return 0;
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

/* Indexes every leaf the tree-head signer has not indexed yet (all of a
 * log just built by an upgrade), 0.8 s of 25,000-leaf transactions at a
 * time. holos serve leaves this to the signer, a chunk a second, and
 * serves meanwhile (a million leaves: about 15 s of one core); holos
 * migrate, which nobody waits on, does it at once. Returns how many were
 * indexed, or -1 (logged). */
static int64_t
finish_log_index(struct store *s)
{
	int64_t added, total = 0;

	do {
		if (store_log_hash(s, SIZE_MAX, &added) != STORE_OK) {
			log_error("store",
			    "op=log_hash error=\"cannot index "
			    "the logs' leaves\"");
			return -1;
		}
		total += added;
	} while (added > 0);
	log_info("store", "op=log_index indexed=%lld", (long long)total);
	return total;
}

/* Opens and migrates the store named by the configuration. */
static struct store *
open_store(const struct config *c)
{
	char path[PATH_MAX], mig[PATH_MAX];
	struct store *s;
	int version, built;

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
	/* Petitions signed before the log existed get theirs now, before
	 * anything can append to it (SQLite has no SHA-256 for a SQL
	 * migration to do it). */
	if (store_log_build(s, &built) != STORE_OK) {
		fprintf(stderr,
		    "holos: cannot build the petitions' logs (see the "
		    "log above)\n");
		store_close(s);
		return NULL;
	}
	/* A log built from a million signatures is a WAL of over 100 MB:
	 * copied now, not by the first commit that serving makes. */
	if (built > 0 && store_compact(s) != STORE_OK)
		log_warn("store",
		    "op=compact error=\"the WAL stays for the next "
		    "checkpoint\"");
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

	int64_t changed, dups, indexed;
	int ret;

	if ((s = open_store(c)) == NULL)
		return 1;
	if ((indexed = finish_log_index(s)) == -1) {
		fprintf(stderr,
		    "holos: indexing the logs failed (see the log above)\n");
		store_close(s);
		return 1;
	}
	if (indexed > 0)
		printf("log leaves indexed: %lld\n", (long long)indexed);
	/* The data tasks need the keys: the address hashes recomputed. */
	if (crypto_init(c->data) == -1 ||
	    (ret = reseal_rehash_emails(s, &changed, &dups)) == -1) {
		fprintf(stderr,
		    "holos: recomputing the address hashes failed (see the "
		    "log above)\n");
		store_close(s);
		return 1;
	}
	if (ret == 1)
		fprintf(stderr,
		    "holos migrate: the address hashes were not recomputed: "
		    "sealed addresses do not open with the keys in %s (run "
		    "holos migrate again where the site's keys are)\n",
		    c->data);
	if (changed > 0 || dups > 0)
		printf("address hashes recomputed: %lld, left as they were "
		       "(same signer twice): %lld\n",
		    (long long)changed, (long long)dups);
	printf("database is up to date\n");
	store_close(s);
	return 0;
}

/* holos backup DIR: SQLite only; PostgreSQL has pg_dump. */
static int
cmd_backup(struct config *c, int argc, char **argv)
{
	char db[PATH_MAX];

	if (optind != argc - 1) {
		fprintf(stderr, "holos backup: expected one folder\n");
		usage(stderr, "backup");
		return 2;
	}
	if (c->db != NULL && dsn_is_pg(c->db)) {
		fprintf(stderr,
		    "holos backup: the database is PostgreSQL: back it up "
		    "with pg_dump and copy the key files of each node's data "
		    "folder (secret.key, log.key, seal.key), as docs/deploy.md "
		    "shows under \"Backups and retention\"\n");
		return 2;
	}
	if (c->db != NULL)
		snprintf(db, sizeof(db), "%s",
		    strncmp(c->db, "sqlite:", 7) == 0 ? c->db + 7 : c->db);
	else
		snprintf(db, sizeof(db), "%s/holos.db", c->data);
	if (access(db, F_OK) == -1) {
		fprintf(stderr, "holos backup: no database at %s\n", db);
		return 1;
	}
	if (backup_run(c->data, db, argv[optind]) == -1)
		return 1;
	printf("backed up %s and the key files into %s\n", db, argv[optind]);
	return 0;
}

/* holos rekey: the sealing key rotated while serving. */
static int
cmd_rekey(struct config *c, int argc)
{
	struct reseal_result res;
	struct store *s;
	int ret;

	if (optind != argc) {
		fprintf(stderr, "holos rekey: unexpected argument\n");
		usage(stderr, "rekey");
		return 2;
	}
	if ((s = open_store(c)) == NULL)
		return 1;
	if (crypto_init(c->data) == -1) {
		store_close(s);
		return 1;
	}
	ret = reseal_rotate(s, c->data, 500, (int64_t)c->rekey_batches, &res);
	store_close(s);
	return ret == 0 ? 0 : 1;
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

/* holos outbox suppressed: the list, newest first. */
static int
cmd_outbox_suppressed(struct store *s)
{
	struct suppression *r;
	struct arena *a;
	size_t n, i, k;

	if ((a = arena_new()) == NULL ||
	    store_suppress_list(s, a, &r, &n) != STORE_OK) {
		fprintf(stderr, "holos outbox: cannot read the suppressions\n");
		arena_free(a);
		return 1;
	}
	printf("%-20s %-16s %s\n", "since", "address hash", "reply");
	for (i = 0; i < n; i++) {
		print_time(r[i].created_at);
		printf(" ");
		for (k = 0; k < 8; k++)
			printf("%02x",
			    r[i].email_hash != NULL ? r[i].email_hash[k] : 0);
		printf(" %s\n", r[i].reason);
	}
	printf("%zu suppressed address%s\n", n, n == 1 ? "" : "es");
	arena_free(a);
	return 0;
}

/* holos outbox suppressed EMAIL / unsuppress EMAIL. */
static int
cmd_outbox_address(struct config *c, struct store *s, const char *verb,
    const char *email)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct arena *a;
	const char *norm;
	size_t nlen;
	int ret = 1, n = 0;
	enum store_status st;

	if (crypto_init(c->data) == -1)
		return 1;
	if ((a = arena_new()) == NULL)
		return 1;
	norm = email_normalize(a, email, strlen(email), &nlen);
	if (norm == NULL || !email_valid(norm, nlen)) {
		fprintf(stderr, "holos outbox %s: not an email address\n", verb);
		ret = 2;
		goto out;
	}
	crypto_email_hash(norm, nlen, hash);
	if (strcmp(verb, "unsuppress") == 0) {
		if (store_suppress_delete(s, hash, &n) != STORE_OK) {
			fprintf(stderr,
			    "holos outbox: cannot update the suppressions\n");
			goto out;
		}
		printf(n == 1 ? "%s will be mailed again\n" :
				"%s was not suppressed\n",
		    norm);
		ret = 0;
		goto out;
	}
	st = store_suppress_has(s, hash);
	if (st == STORE_ERROR) {
		fprintf(stderr, "holos outbox: cannot read the suppressions\n");
		goto out;
	}
	printf(st == STORE_OK ? "%s is suppressed\n" : "%s is not suppressed\n",
	    norm);
	ret = 0;
out:
	arena_free(a);
	return ret;
}

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
		    parse_number(argv[optind + 1], 1, (unsigned long)INT64_MAX,
			&id) == -1) {
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
	} else if (strcmp(verb, "suppressed") == 0 && optind + 1 == argc) {
		ret = cmd_outbox_suppressed(s);
	} else if ((strcmp(verb, "suppressed") == 0 ||
		       strcmp(verb, "unsuppress") == 0) &&
	    optind + 2 == argc) {
		ret = cmd_outbox_address(c, s, verb, argv[optind + 1]);
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

/* The DKIM signer setup_mail() loaded, for teardown_mail(). */
static struct dkim_signer *mail_dkim;
/* `holos deliver` and `holos export`: the key, the catalogues and the
 * site's address that they need, then pack_cmd() or export_cmd(). Returns
 * the exit status. */
static int
cmd_deliver(struct config *c, struct store *s, int argc, char **argv)
{
	static char base[600];
	char path[PATH_MAX], err[512];
	int ret;

	if (crypto_init(c->data) == -1)
		return 1;
	snprintf(path, sizeof(path), "%s/locales", c->share);
	if (i18n_load(path, c->lang, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: %s\n", err);
		i18n_free();
		return 1;
	}
	if (c->base_url == NULL) {
		snprintf(base, sizeof(base), "http://%s", c->listen);
		c->base_url = base;
	}
	site.name = c->site_name;
	site_set_base_url(c->base_url);
	ret = strcmp(argv[0], "export") == 0 ? export_cmd(s, argc, argv) :
					       pack_cmd(s, argc, argv);
	draw_release(true);
	i18n_free();
	return ret;
}

/* The site's mail settings and the outbox worker's configuration, after
 * site_set_base_url(). Returns 0, or -1 with a message on stderr. */
static int
setup_mail(struct config *c, struct outbox_config *mail)
{
	static char from[300], dir[PATH_MAX];
	char err[256];

	if (c->mail_from == NULL) {
		snprintf(from, sizeof(from), "holos@%s", site.host);
		c->mail_from = from;
	}
	site.mail_from = c->mail_from;
	site.count_on_sign = c->count_on_sign;
	site.require_2fa = c->require_2fa;
	site.confirm_ttl = (int64_t)c->confirm_ttl;
	site.mail_to_files = c->smtp == NULL;
	memset(mail, 0, sizeof(*mail));
	snprintf(dir, sizeof(dir), "%s/outbox", c->data);
	mail->dir = dir;
	mail->from = c->mail_from;
	mail->retry_base = (int64_t)c->mail_retry;
	mail->retry_max = 6 * 3600;
	mail->max_attempts = (int)c->mail_attempts;
	mail->senders = (int)c->mail_senders;
	mail->yield_ms = (int64_t)c->mail_yield * 1000;
	mail->smtp.url = c->smtp;
	mail->smtp.helo = site.host;
	mail->smtp.timeout_ms = 30000;
	mail->smtp.insecure_tls = c->smtp_insecure;
	mail->smtp.ca_file = c->smtp_ca;
	if (c->smtp != NULL &&
	    smtp_config_check(&mail->smtp, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: --smtp: %s\n", err);
		return -1;
	}
	if ((c->dkim_key == NULL) != (c->dkim_selector == NULL)) {
		fprintf(stderr,
		    "holos: --dkim-key and --dkim-selector go "
		    "together\n");
		return -1;
	}
	if (c->dkim_key != NULL &&
	    (mail_dkim = mail->dkim = dkim_signer_load(c->dkim_key,
		 c->dkim_selector, c->mail_from, err, sizeof(err))) == NULL) {
		fprintf(stderr, "holos: --dkim-key %s: %s\n", c->dkim_key, err);
		return -1;
	}
	if (smtp_global_init() == -1) {
		fprintf(stderr, "holos: cannot initialise libcurl\n");
		dkim_signer_free(mail_dkim);
		mail_dkim = mail->dkim = NULL;
		return -1;
	}
	return 0;
}

/* Undoes setup_mail(): one set-up at a time, so the signer it loaded is
 * the one in mail_dkim. */
static void
teardown_mail(void)
{
	smtp_global_cleanup();
	dkim_signer_free(mail_dkim);
	mail_dkim = NULL;
}

/* holos purge: the retention sweep, now (a serving holos runs it hourly). */
static int
cmd_purge(struct config *c, int argc)
{
	char dir[PATH_MAX];
	struct retain_config rc;
	struct retain_result res;
	struct store *s;
	int ret;

	if (optind != argc) {
		fprintf(stderr, "holos purge: unexpected argument\n");
		usage(stderr, "purge");
		return 2;
	}
	if ((s = open_store(c)) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/outbox", c->data);
	rc = (struct retain_config){
		.store = s,
		.outbox_dir = dir,
		.retain_days = (int64_t)c->retain_days,
	};
	ret = retain_run_once(&rc, (int64_t)time(NULL), &res);
	store_close(s);
	printf("erased the signers of %d petition%s (%lld signature%s), "
	       "%lld sent or dead mail%s; removed %d mail file%s\n",
	    res.petitions, res.petitions == 1 ? "" : "s",
	    (long long)res.signatures, res.signatures == 1 ? "" : "s",
	    (long long)res.mail_rows, res.mail_rows == 1 ? "" : "s",
	    res.mail_files, res.mail_files == 1 ? "" : "s");
	if (ret == -1) {
		fprintf(stderr,
		    "holos purge: not everything due was erased "
		    "(see the log above)\n");
		return 1;
	}
	return 0;
}

/* What serving holds between its start-up steps. */
struct serve {
	struct config *c;
	struct outbox_config mail;
	struct server_config server;
	struct events_config events;
	struct retain_config retain;
	char base_url[512], announce[600];
};

/* The file that marks a data folder as a benchmark's, where
 * HOLOS_BENCH_NO_LOG=1 may turn the log off (bench/log.sh). */
#define BENCH_NO_LOG_MARK "bench-no-log"

/* HOLOS_BENCH_NO_LOG=1, read once at start: signing without log appends,
 * for bench/log.sh's comparison; start_store() applies it. */
static bool bench_no_log;

/* Refuses HOLOS_BENCH_NO_LOG unless it is 1, the database SQLite, and the
 * data folder holds BENCH_NO_LOG_MARK: it leaves that database's logs short
 * of its counts for good. Returns 0, or -1 (start-up fails). */
static int
bench_no_log_check(const struct config *c)
{
	const char *v = getenv("HOLOS_BENCH_NO_LOG");
	char mark[PATH_MAX];

	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
		return 0;
	snprintf(mark, sizeof(mark), "%s/" BENCH_NO_LOG_MARK, c->data);
	if (strcmp(v, "1") != 0 || c->db != NULL || access(mark, F_OK) != 0) {
		fprintf(stderr,
		    "holos: HOLOS_BENCH_NO_LOG is for benchmarks only: it "
		    "takes 1, SQLite, and a data folder holding %s\n",
		    mark);
		return -1;
	}
	bench_no_log = true;
	return 0;
}

static int
start_data(struct serve *sv)
{
	if (mkdir_p(sv->c->data) == -1) {
		fprintf(stderr, "holos: cannot create %s: %s\n", sv->c->data,
		    strerror(errno));
		return -1;
	}
	return bench_no_log_check(sv->c);
}

static int
start_crypto(struct serve *sv)
{
	return crypto_init(sv->c->data);
}

static int
start_i18n(struct serve *sv)
{
	char path[PATH_MAX], err[512];

	snprintf(path, sizeof(path), "%s/locales", sv->c->share);
	if (i18n_load(path, sv->c->lang, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: %s\n", err);
		i18n_free();
		return -1;
	}
	return 0;
}

static void
stop_templates(void)
{
	tmpl_set_free(site.tmpl);
	site.tmpl = NULL;
}

static int
start_templates(struct serve *sv)
{
	char path[PATH_MAX], err[512] = "out of memory";

	snprintf(path, sizeof(path), "%s/templates", sv->c->share);
	if ((site.tmpl = tmpl_set_new()) == NULL ||
	    tmpl_set_load_dir(site.tmpl, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: template error: %s\n", err);
		stop_templates();
		return -1;
	}
	return 0;
}

/* holos outbox send: what is due, now. Letters deferred to their sending
 * (letter_compose_later()) are composed here as a serving holos would:
 * with its catalogues, templates and site settings. */
static int
cmd_outbox_send(struct config *c, struct store *s)
{
	struct outbox_config mail;
	struct serve sv;
	int n;

	memset(&sv, 0, sizeof(sv));
	sv.c = c;
	if (crypto_init(c->data) == -1 || start_i18n(&sv) == -1)
		return 1;
	if (start_templates(&sv) == -1) {
		i18n_free();
		return 1;
	}
	site.name = c->site_name;
	site_set_base_url(c->base_url ? c->base_url : "http://localhost");
	if (setup_mail(c, &mail) == -1) {
		n = -2;
		goto out;
	}
	n = outbox_run_once(s, &mail);
	teardown_mail();
	if (n == -1)
		fprintf(stderr, "holos outbox: cannot read the outbox\n");
	else
		printf("handled %d message%s\n", n, n == 1 ? "" : "s");
out:
	stop_templates();
	i18n_free();
	return n < 0 ? 1 : 0;
}

static void
flush_log(void *arg)
{
	(void)arg;
	log_flush();
}

static struct ticker log_flusher = { .name = "log", .run = flush_log };

static int
start_log(struct serve *sv)
{
	if (sv->c->log_flush == 0)
		return 0;
	log_flusher.interval_ms = (unsigned)sv->c->log_flush;
	if (ticker_start(&log_flusher) == -1)
		return -1;
	log_buffer_start((unsigned)sv->c->log_flush);
	return 0;
}

static void
stop_log(void)
{
	log_buffer_stop();
	ticker_stop(&log_flusher);
}

static int
start_static(struct serve *sv)
{
	char path[PATH_MAX], doc[PATH_MAX];
	/* The petition page links what the log proves. */
	const char *const extra[] = { doc, NULL };

	snprintf(path, sizeof(path), "%s/static", sv->c->share);
	snprintf(doc, sizeof(doc), "%s/docs/transparency.md", sv->c->share);
	if (page_static_load(path, extra) == -1) {
		page_static_free();
		return -1;
	}
	return 0;
}

static int
start_guard(struct serve *sv)
{
	char err[512];

	if (guard_load(sv->c->share, sv->c->data, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: %s\n", err);
		guard_free();
		return -1;
	}
	return 0;
}

/* A petition moved: its cached pages and the listings are out of date. */
static void
petition_changed(int64_t petition_id)
{
	pagecache_invalidate(petition_id);
	catalog_touch();
}

/* SQLite's WAL copied back by a thread of its own (store_checkpoint())
 * twenty times a second: each copy (and its fsync) is of a twentieth of a
 * second's writes, and the signature writer does not wait for it (at
 * 2,000 signatures/s, copies every 200 ms left it commits of up to 55 ms,
 * every 50 ms 23 ms: docs/performance.md). Not on PostgreSQL, which has
 * no such copy to make. */
#define CHECKPOINT_MS 50
/* After a copy failed (a full disk), the next is tried this much later:
 * one line in the log every few seconds, not twenty a second. */
#define CHECKPOINT_RETRY_MS 5000

static int64_t checkpoint_after; /* mono_ms(); on the ticker's thread */

static void
checkpoint(void *arg)
{
	int64_t frames, copied, now = mono_ms();

	(void)arg;
	if (now < checkpoint_after)
		return;
	if (store_checkpoint(site.store, &frames, &copied) != STORE_OK)
		checkpoint_after = now + CHECKPOINT_RETRY_MS;
}

static struct ticker checkpointer = { .name = "checkpoint",
	.run = checkpoint,
	.interval_ms = CHECKPOINT_MS };

static int
start_store(struct serve *sv)
{
	if ((site.store = open_store(sv->c)) == NULL)
		return -1;
	checkpoint_after = 0;
	if (!store_shared(site.store) && ticker_start(&checkpointer) == -1) {
		store_close(site.store);
		site.store = NULL;
		return -1;
	}
	if (bench_no_log) {
		store_bench_no_log(site.store);
		log_warn("main",
		    "event=bench_no_log note=\"signatures get no "
		    "log leaves: benchmarks only\"");
	}
	lifecycle_on_change(petition_changed);
	return 0;
}

static void
stop_store(void)
{
	ticker_stop(&checkpointer);
	store_close(site.store);
	site.store = NULL;
}

/* Imports --seed into a database without petitions. */
static int
start_seed(struct serve *sv)
{
	struct arena *a;
	struct petition *ps;
	size_t n = 0, total = 0;
	char err[512];
	int st;

	if (sv->c->seed == NULL)
		return 0;
	a = arena_new();
	for (st = 0; st < PETITION__MAX && a != NULL; st++)
		if (store_petition_list(site.store, a, (enum petition_state)st,
			&ps, &n) == STORE_OK)
			total += n;
	arena_free(a);
	if (total == 0 &&
	    import_file(site.store, sv->c->seed, err, sizeof(err)) == -1) {
		fprintf(stderr, "holos: seed: %s\n", err);
		return -1;
	}
	return 0;
}

/* The settings every page and mail reads (site.h) and the limits. */
static int
start_site(struct serve *sv)
{
	struct config *c = sv->c;

	if (c->base_url == NULL) {
		snprintf(sv->base_url, sizeof(sv->base_url), "http://%s",
		    c->listen);
		c->base_url = sv->base_url;
	}
	site.name = c->site_name;
	site.min_form_seconds = (int64_t)c->min_form_seconds;
	site_set_base_url(c->base_url);
	pow_configure((int)c->pow_bits, c->pow_bits > 0 ? 8 : 0);
	if (!c->rate_limit)
		memset(c->rates, 0, sizeof(c->rates));
	ratelimit_configure(c->rates);
	metrics_configure(route_name);
	site.metrics_allow = &c->metrics_allow;
	site.retain_days = (int64_t)c->retain_days;
	return 0;
}

/* libvips for uploaded images; the share images drawn are kept until the
 * stop. */
static int
start_media(struct serve *sv)
{
	(void)sv;
	return image_init("holos");
}

static void
stop_media(void)
{
	page_share_free();
	image_shutdown();
	draw_release(true);
}

static int
start_mail(struct serve *sv)
{
	return setup_mail(sv->c, &sv->mail);
}

static int
start_counts(struct serve *sv)
{
	(void)sv;
	/* The listings' catalogue reads the counts. */
	if (counts_init(site.store) == -1)
		return -1;
	return catalog_init(site.store);
}

static void
stop_counts(void)
{
	catalog_free();
	counts_free();
}

static int
start_outbox(struct serve *sv)
{
	return outbox_start(site.store, &sv->mail);
}

static int
start_fanout(struct serve *sv)
{
	(void)sv;
	return fanout_start(site.store);
}

static int
start_handover(struct serve *sv)
{
	site.publish_responses = sv->c->publish_responses;
	return handover_start(site.store, (int64_t)sv->c->response_threshold);
}

static int
start_signq(struct serve *sv)
{
	return signq_start(site.store, sv->c->queue, sv->c->batch);
}

/* Other nodes sign into a shared database, and a moderator's invalidation
 * (holos invalidate) changes counts from another process: both reach this
 * process's counts by re-reading them, often for a shared database, every
 * second otherwise. */
static int
start_refresh(struct serve *sv)
{
	(void)sv;
	return counts_refresh_start(
	    store_shared(site.store) ? COUNTS_REFRESH_MS : 1000);
}

static int
start_sweep(struct serve *sv)
{
	(void)sv;
	return sweep_start(site.store);
}

/* The log key first: a key others may read stops the start. */
static int
start_loghead(struct serve *sv)
{
	if (loghead_key_load(sv->c->data) == -1) {
		fprintf(stderr,
		    "holos: cannot load %s/log.key (see the log above)\n",
		    sv->c->data);
		return -1;
	}
	return loghead_start(site.store);
}

static int
start_retain(struct serve *sv)
{
	sv->retain = (struct retain_config){
		.store = site.store,
		.outbox_dir = sv->mail.dir,
		.retain_days = (int64_t)sv->c->retain_days,
	};
	return retain_start(&sv->retain);
}

static int
start_delay(struct serve *sv)
{
	(void)sv;
	return delay_start();
}

static int
start_offload(struct serve *sv)
{
	(void)sv;
	return offload_start();
}

/* A count moved: the streams' events and the recent signers follow. */
static void
count_changed(void)
{
	events_poke();
	social_kick();
}

/* The live-count streams: their thread formats each petition's event
 * through the page's function, and every change of a count pokes it. */
static int
start_events(struct serve *sv)
{
	struct config *c = sv->c;

	sv->events = (struct events_config){
		.max_streams = (unsigned)c->max_streams,
		.per_addr = (unsigned)c->per_ip,
		.per_net = (unsigned)c->per_net,
		.heartbeat_ms = (unsigned)c->heartbeat * 1000,
		.payload = page_events_payload,
	};
	if (events_start(&sv->events) == -1)
		return -1;
	/* The recent signers the events carry (social.c) are read again
	 * when a count moves, and poke the streams when they change. */
	if (social_start(site.store, events_poke) == -1) {
		events_stop();
		return -1;
	}
	counts_on_change(count_changed);
	return 0;
}

static void
stop_events(void)
{
	counts_on_change(NULL);
	social_stop();
	events_stop();
}

/* The router is the server's handler and the metrics see every reply:
 * the server calls both through its configuration, knowing neither. */
static void
on_reply(const struct request *r)
{
	metrics_request(r->route, r->status);
}

static int
start_server(struct serve *sv)
{
	struct config *c = sv->c;

	snprintf(sv->announce, sizeof(sv->announce), "holos: serving %s/",
	    c->base_url);
	sv->server = (struct server_config){
		.listen = c->listen,
		.listen_post = c->listen_post,
		.threads = (unsigned)c->threads,
		.max_body = c->max_body,
		/* libmicrohttpd clears a connection's pool between
		 * requests, so its size is paid on every request (32 KiB:
		 * 6.7% of a page's CPU): room for cookies of about 7,500
		 * bytes and other headers of about 15,000 (docs/deploy.md);
		 * the body goes to the request's own buffer. */
		.conn_memory = 16 * 1024,
		.per_ip = (unsigned)c->per_ip,
		.per_net = (unsigned)c->per_net,
		.max_conns = (unsigned)c->max_conns,
		.idle_timeout = (unsigned)c->idle_timeout,
		.header_timeout = (unsigned)c->header_timeout,
		.body_timeout = (unsigned)c->body_timeout,
		.announce = sv->announce,
		.trusted = c->trusted,
		.ntrusted = c->ntrusted,
		.on_request = route_dispatch,
		.body_max = route_body_max,
		.on_reply = on_reply,
	};
	return server_start(&sv->server);
}

/* One part of a serving holos: started in the table's order, stopped in
 * the reverse one, on shutdown and when a later part cannot start. */
struct step {
	const char *name; /* for logs, and for HOLOS_TEST_FAIL_START */
	const char *what; /* for the message when it cannot start */
	/* Returns 0, or -1 (with a message or a log line saying why)
	 * having left nothing of itself running. */
	int (*start)(struct serve *sv);
	void (*stop)(void); /* NULL: nothing to undo */
};

enum step_id {
	STEP_LOG,
	STEP_DATA,
	STEP_CRYPTO,
	STEP_I18N,
	STEP_TEMPLATES,
	STEP_STATIC,
	STEP_GUARD,
	STEP_STORE,
	STEP_SEED,
	STEP_SITE,
	STEP_MAIL,
	STEP_COUNTS,
	STEP_OUTBOX,
	STEP_FANOUT,
	STEP_HANDOVER,
	STEP_SIGNQ,
	STEP_REFRESH,
	STEP_SWEEP,
	STEP_RETAIN,
	STEP_LOGHEAD,
	STEP_DELAY,
	STEP_OFFLOAD,
	STEP_EVENTS,
	STEP_MEDIA,
	STEP_SERVER,
	STEP__MAX
};

/* What a part needs starts before it: the store before its users, the mail
 * workers before the signature writer that wakes them, the server last. */
static const struct step steps[STEP__MAX] = {
	/* First and last: every other step's lines reach the log. */
	[STEP_LOG] = { "log", "the log", start_log, stop_log },
	[STEP_DATA] = { "data", "the data folder", start_data, NULL },
	[STEP_CRYPTO] = { "crypto", "the secret key", start_crypto, NULL },
	[STEP_I18N] = { "i18n", "the catalogues", start_i18n, i18n_free },
	[STEP_TEMPLATES] = { "templates", "the templates", start_templates,
	    stop_templates },
	[STEP_STATIC] = { "static", "the static files", start_static,
	    page_static_free },
	[STEP_GUARD] = { "guard", "the address lists", start_guard, guard_free },
	[STEP_STORE] = { "store", "the database", start_store, stop_store },
	[STEP_SEED] = { "seed", "the seed petition", start_seed, NULL },
	/* Pages cached for the site go with it. */
	[STEP_SITE] = { "site", "the site settings", start_site,
	    pagecache_clear },
	[STEP_MAIL] = { "mail", "mail", start_mail, teardown_mail },
	[STEP_COUNTS] = { "counts", "the counts and the listings", start_counts,
	    stop_counts },
	[STEP_OUTBOX] = { "outbox", "the mail worker", start_outbox,
	    outbox_stop },
	[STEP_FANOUT] = { "fanout", "the update mailer", start_fanout,
	    fanout_stop },
	[STEP_HANDOVER] = { "handover", "the delivery and milestone mailer",
	    start_handover, handover_stop },
	/* Stopped once no request is in flight: it commits what they
	 * queued, and the mail workers, stopped after it, send that mail. */
	[STEP_SIGNQ] = { "signq", "the signature writer", start_signq,
	    signq_stop },
	[STEP_REFRESH] = { "refresh", "the count refresh", start_refresh,
	    counts_refresh_stop },
	[STEP_SWEEP] = { "sweep", "the closing sweep", start_sweep, sweep_stop },
	[STEP_RETAIN] = { "retain", "the retention sweep", start_retain,
	    retain_stop },
	[STEP_LOGHEAD] = { "loghead", "the tree-head signer", start_loghead,
	    loghead_stop },
	[STEP_DELAY] = { "delay", "the delayed replies", start_delay,
	    delay_stop },
	[STEP_OFFLOAD] = { "offload", "the password worker", start_offload,
	    offload_stop },
	[STEP_EVENTS] = { "events", "the live-count streams", start_events,
	    stop_events },
	/* Stopped after the listener: no request draws any more. */
	[STEP_MEDIA] = { "media", "the image library", start_media, stop_media },
	[STEP_SERVER] = { "server", "the listener", start_server, server_stop },
};

/* True when the environment asks step to fail (HOLOS_TEST_FAIL_START=NAME).
 * Most steps fail for real causes a test can arrange (a data folder that
 * cannot be made, a broken template, a port in use); a thread that cannot
 * start or memory that runs out cannot be arranged from outside, so the
 * start-up test names the step instead. Only the sanitised builds, which
 * the tests run, read the variable: a release build never fails on it. */
static bool
step_fails(const struct step *st)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	const char *v = getenv("HOLOS_TEST_FAIL_START");

	return v != NULL && strcmp(v, st->name) == 0;
#else
	(void)st;
	return false;
#endif
}

/* The threads of this process, from /proc; -1 when it cannot say. */
static int
thread_count(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Starts every step in order; at the first that fails, stops those
 * started, in reverse. Returns 0, or -1 after a message naming the step. */
static int
serve_start(struct serve *sv)
{
	int i;

	for (i = 0; i < STEP__MAX; i++) {
		if (step_fails(&steps[i]) || steps[i].start(sv) == -1) {
			fprintf(stderr, "holos: cannot start %s\n",
			    steps[i].what);
			log_error("serve", "step=%s error=\"cannot start\"",
			    steps[i].name);
			while (i-- > 0)
				if (steps[i].stop != NULL)
					steps[i].stop();
			return -1;
		}
		log_debug("serve", "step=%s event=started", steps[i].name);
	}
	return 0;
}

static void
serve_stop(void)
{
	int i;

	for (i = STEP__MAX - 1; i >= 0; i--)
		if (steps[i].stop != NULL)
			steps[i].stop();
}

static int
cmd_serve(struct config *c)
{
	struct serve sv = { .c = c };
	int ret = 1, n;

	if (serve_start(&sv) == 0) {
		server_wait();
		serve_stop();
		ret = 0;
	}
	/* Every part stopped is every thread joined: one left would outlive
	 * what it uses. */
	/* A joined thread leaves /proc a moment after pthread_join()
	 * returns (the kernel wakes the joiner before it reaps the thread):
	 * look again for up to a second before calling one left running. */
	for (int tries = 0; (n = thread_count()) > 1 && tries < 200; tries++)
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	if (n != 1)
		log_error("serve",
		    "event=stopped threads=%d error=\"threads "
		    "left running\"",
		    n);
	else
		log_info("serve", "event=stopped threads=1");
	return ret;
}

/* Reads a count of argv[*i + 1] into *out (0..max). Returns 0, or -1
 * after a message. */
static int
client_number(const char *cmd, int argc, char **argv, int *i, unsigned max,
    unsigned *out)
{
	char *end;
	unsigned long v;

	if (*i + 1 >= argc) {
		fprintf(stderr, "holos %s: %s needs a value\n", cmd, argv[*i]);
		return -1;
	}
	v = strtoul(argv[*i + 1], &end, 10);
	if (*argv[*i + 1] < '0' || *argv[*i + 1] > '9' || *end != '\0' ||
	    v > max) {
		fprintf(stderr, "holos %s: %s wants a number from 0 to %u\n",
		    cmd, argv[*i], max);
		return -1;
	}
	*out = (unsigned)v;
	(*i)++;
	return 0;
}

/* holos audit and holos verify: clients of a site's log API, with no data
 * folder or database of their own (audit.c). */
static int
cmd_client(const char *cmd, int argc, char **argv)
{
	struct audit_verify_opts vo = { 0 };
	struct audit_opts ao = { 0 };
	const char *pos[2] = { NULL, NULL };
	int i, npos = 0, want = strcmp(cmd, "audit") == 0 ? 2 : 1;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout, cmd);
			return 0;
		} else if (want == 2 && strcmp(argv[i], "--state") == 0 &&
		    i + 1 < argc) {
			ao.state_path = argv[++i];
		} else if (want == 2 && strcmp(argv[i], "--samples") == 0) {
			if (client_number(cmd, argc, argv, &i, 100000,
				&ao.samples) == -1)
				return 2;
		} else if (want == 1 && strcmp(argv[i], "--url") == 0 &&
		    i + 1 < argc) {
			vo.url = argv[++i];
		} else if (want == 1 && strcmp(argv[i], "--wait") == 0) {
			if (client_number(cmd, argc, argv, &i, 3600,
				&vo.wait) == -1)
				return 2;
		} else if (argv[i][0] == '-' || npos == want) {
			fprintf(stderr, "holos %s: unexpected argument \"%s\"\n",
			    cmd, argv[i]);
			usage(stderr, cmd);
			return 2;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos != want) {
		usage(stderr, cmd);
		return 2;
	}
	if (want == 2) {
		ao.url = pos[0];
		ao.slug = pos[1];
		return audit_run(&ao, stdout);
	}
	vo.receipt_path = pos[0];
	return audit_verify_receipt(&vo, stdout);
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
	/* Whatever holos creates (the database and its WAL, keys, mail
	 * files, backups, folders) holds personal data: its owner's only. */
	umask(077);
	image_prepare();
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
	if (strcmp(cmd, "audit") == 0 || strcmp(cmd, "verify") == 0)
		return cmd_client(cmd, argc - 2, argv + 2);
	if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") &&
	    strcmp(cmd, "import") && strcmp(cmd, "outbox") &&
	    strcmp(cmd, "migrate-data") && strcmp(cmd, "purge") &&
	    strcmp(cmd, "backup") && strcmp(cmd, "rekey") && !lenient(cmd)) {
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
	account_set_memory(c.password_mib);
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
	if (strcmp(cmd, "purge") == 0)
		return cmd_purge(&c, argc - 1);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(&c, argc - 1, argv + 1);
	if (strcmp(cmd, "rekey") == 0)
		return cmd_rekey(&c, argc - 1);
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
		} else if (strcmp(cmd, "deliver") == 0 ||
		    strcmp(cmd, "export") == 0) {
			ret = cmd_deliver(&c, s, argc - 1, given + 1);
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
