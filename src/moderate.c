/* moderate.c - trending sources and bulk invalidation, for operators. */
#include "moderate.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"

const char moderate_usage_trending[] =
    "usage: holos trending [--data DIR] SLUG [--hours N] [--threshold N] [--json]\n"
    "\n"
    "Signatures of the last N hours (default 1) per network (/24, /48) and per\n"
    "email domain, largest first; sources with at least --threshold signatures\n"
    "(default 50) are flagged.\n";

const char moderate_usage_invalidate[] =
    "usage: holos invalidate [--data DIR] SLUG --reason R CRITERIA [--note TEXT]\n"
    "                        [--actor NAME]\n"
    "\n"
    "Marks the petition's matching signatures invalid: they leave the count,\n"
    "stay in the store, and the petition page shows how many were removed and\n"
    "why. R is fraud, bot, duplicate_person, disposable or other. CRITERIA,\n"
    "at least one, all of which must match:\n"
    "  --domain D          the email domain\n"
    "  --net N             the network as trending shows it (203.0.113.0/24)\n"
    "  --from T, --to T    signed at or after T, before T (unix seconds or\n"
    "                      YYYY-MM-DDTHH:MM:SSZ)\n"
    "  --list FILE         signature numbers, one a line\n";

static const char *const reasons[] = {
	"fraud",
	"bot",
	"duplicate_person",
	"disposable",
	"other",
};

enum mopt {
	M_HOURS = 300,
	M_THRESHOLD,
	M_JSON,
	M_REASON,
	M_DOMAIN,
	M_NET,
	M_FROM,
	M_TO,
	M_LIST,
	M_NOTE,
	M_ACTOR,
};

static const struct option mopts[] = {
	{ "hours", required_argument, NULL, M_HOURS },
	{ "threshold", required_argument, NULL, M_THRESHOLD },
	{ "json", no_argument, NULL, M_JSON },
	{ "reason", required_argument, NULL, M_REASON },
	{ "domain", required_argument, NULL, M_DOMAIN },
	{ "net", required_argument, NULL, M_NET },
	{ "from", required_argument, NULL, M_FROM },
	{ "to", required_argument, NULL, M_TO },
	{ "list", required_argument, NULL, M_LIST },
	{ "note", required_argument, NULL, M_NOTE },
	{ "actor", required_argument, NULL, M_ACTOR },
	CLI_MAIN_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Unix seconds or YYYY-MM-DDTHH:MM:SSZ. Returns 0 or -1. */
static int
parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s != '\0' && *end == '\0' && errno == 0 && v > 0) {
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int
petition_id(struct store *s, struct arena *a, const char *slug, int64_t *id)
{
	struct petition p;

	switch (store_petition_by_slug(s, a, slug, &p)) {
	case STORE_OK: *id = p.id; return 0;
	case STORE_NOTFOUND:
		fprintf(stderr, "holos: no petition \"%s\"\n", slug);
		return -1;
	default:
		fprintf(stderr, "holos: cannot read the database\n");
		return -1;
	}
}

int
moderate_trending(struct store *s, int argc, char **argv)
{
	struct trend_row *rows[2];
	size_t n[2];
	struct arena *a = NULL;
	const char *slug = NULL;
	long hours = 1, threshold = 50;
	bool json = false;
	int64_t id, since;
	int ch, ret = 1, k;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, mopts, true)) != -1) {
		char *end;

		switch (ch) {
		case M_HOURS:
			hours = strtol(optarg, &end, 10);
			if (*end != '\0' || hours < 1 || hours > 24 * 365)
				goto usage;
			break;
		case M_THRESHOLD:
			threshold = strtol(optarg, &end, 10);
			if (*end != '\0' || threshold < 1)
				goto usage;
			break;
		case M_JSON: json = true; break;
		case CLI_MAIN_OPTION: break;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	slug = argv[optind];
	if ((a = arena_new()) == NULL || petition_id(s, a, slug, &id) == -1)
		goto out;
	since = (int64_t)time(NULL) - hours * 3600;
	for (k = 0; k < 2; k++) {
		if (store_trending(s, a, id, since, k == 1, &rows[k], &n[k]) !=
		    STORE_OK) {
			fprintf(stderr,
			    "holos trending: cannot read the "
			    "database\n");
			goto out;
		}
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:i, s:i, s:[], s:[]}", "slug",
		    slug, "hours", (int)hours, "threshold", (int)threshold,
		    "networks", "domains");
		char *text;

		for (k = 0; k < 2; k++)
			for (size_t i = 0; i < n[k]; i++)
				json_array_append_new(json_object_get(o,
							  k ? "domains" :
							      "networks"),
				    json_pack("{s:s, s:I, "
					      "s:b}",
					"source", rows[k][i].key, "signatures",
					(json_int_t)rows[k][i].n, "flagged",
					rows[k][i].n >= threshold));
		text = json_dumps(o, JSON_INDENT(2));
		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(o);
	} else {
		for (k = 0; k < 2; k++) {
			printf("%s in the last %ld hour%s:\n",
			    k ? "Email domains" : "Networks", hours,
			    hours == 1 ? "" : "s");
			for (size_t i = 0; i < n[k]; i++)
				printf("  %8" PRId64 "  %s%s\n", rows[k][i].n,
				    rows[k][i].key,
				    rows[k][i].n >= threshold ? "  << flagged" :
								"");
			if (n[k] == 0)
				printf("  (none)\n");
		}
	}
	ret = 0;
out:
	arena_free(a);
	return ret;
usage:
	fputs(moderate_usage_trending, stderr);
	return 2;
}

/* Reads signature numbers, one a line. Returns the count or -1. */
static ssize_t
read_list(const char *path, int64_t **out)
{
	char line[64];
	int64_t *v = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "holos invalidate: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		long long x;

		if (line[0] == '\n' || line[0] == '#')
			continue;
		x = strtoll(line, &end, 10);
		if (end == line || (*end != '\n' && *end != '\0') || x <= 0) {
			fprintf(stderr,
			    "holos invalidate: %s: \"%.20s\" is not a "
			    "signature number\n",
			    path, line);
			goto fail;
		}
		if (n == cap) {
			int64_t *g;

			cap = cap ? cap * 2 : 256;
			if ((g = realloc(v, cap * sizeof(*g))) == NULL)
				goto fail;
			v = g;
		}
		v[n++] = x;
	}
	fclose(f);
	*out = v;
	return (ssize_t)n;
fail:
	fclose(f);
	free(v);
	return -1;
}

int
moderate_invalidate(struct store *s, int argc, char **argv)
{
	struct invalidation inv;
	struct arena *a = NULL;
	int64_t *seqs = NULL;
	const char *list = NULL;
	int ch, ret = 1;
	size_t i;

	memset(&inv, 0, sizeof(inv));
	inv.actor = "operator";
	optind = 1;
	while ((ch = cli_getopt(argc, argv, mopts, true)) != -1) {
		switch (ch) {
		case M_REASON:
			for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]);
			     i++)
				if (strcmp(optarg, reasons[i]) == 0)
					inv.reason = reasons[i];
			if (inv.reason == NULL)
				goto usage;
			break;
		case M_DOMAIN: inv.domain = optarg; break;
		case M_NET: inv.net = optarg; break;
		case M_FROM:
			if (parse_time(optarg, &inv.from) == -1)
				goto usage;
			break;
		case M_TO:
			if (parse_time(optarg, &inv.to) == -1)
				goto usage;
			break;
		case M_LIST: list = optarg; break;
		case M_NOTE: inv.note = optarg; break;
		case M_ACTOR: inv.actor = optarg; break;
		case CLI_MAIN_OPTION: break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || inv.reason == NULL ||
	    (list == NULL && !store_invalidation_valid(&inv)))
		goto usage;
	if (list != NULL) {
		ssize_t n = read_list(list, &seqs);

		if (n <= 0) {
			if (n == 0)
				fprintf(stderr,
				    "holos invalidate: %s is empty\n", list);
			goto out;
		}
		inv.seqs = seqs;
		inv.nseqs = (size_t)n;
	}
	if ((a = arena_new()) == NULL ||
	    petition_id(s, a, argv[optind], &inv.petition_id) == -1)
		goto out;
	inv.now = (int64_t)time(NULL);
	if (store_invalidate(s, &inv) != STORE_OK) {
		fprintf(stderr,
		    "holos invalidate: the database refused (see the "
		    "log)\n");
		goto out;
	}
	log_info("moderate",
	    "action=invalidate slug=%s reason=%s removed=%lld "
	    "uncounted=%lld actor=%s",
	    argv[optind], inv.reason, (long long)inv.removed,
	    (long long)inv.uncounted, inv.actor);
	printf("invalidated %lld signature%s (%lld had counted)\n",
	    (long long)inv.removed, inv.removed == 1 ? "" : "s",
	    (long long)inv.uncounted);
	ret = 0;
out:
	free(seqs);
	arena_free(a);
	return ret;
usage:
	fputs(moderate_usage_invalidate, stderr);
	return 2;
}
