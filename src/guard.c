/* guard.c - disposable domains, allow and block lists, kept in the normal
 * form of email.c so they match whatever form a signer types. */
#include "guard.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "email.h"
#include "log.h"

/* A set of strings: open addressing, grown at load, read-only after. */
struct strset {
	char **slot;
	size_t cap, used;
};

struct list {
	struct strset domains;
	struct strset emails;
	struct cidr *nets;
	size_t nnets, capnets;
};

static struct strset disposable;
static struct list allow, block;

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static int
strset_add(struct strset *set, const char *s)
{
	size_t i;

	if ((set->used + 1) * 2 > set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 1024, j;
		char **n = calloc(ncap, sizeof(*n));

		if (n == NULL)
			return -1;
		for (j = 0; j < set->cap; j++) {
			if (set->slot[j] == NULL)
				continue;
			for (i = str_hash(set->slot[j]) & (ncap - 1); n[i];
			     i = (i + 1) & (ncap - 1))
				;
			n[i] = set->slot[j];
		}
		free(set->slot);
		set->slot = n;
		set->cap = ncap;
	}
	for (i = str_hash(s) & (set->cap - 1); set->slot[i];
	     i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], s) == 0)
			return 0;
	if ((set->slot[i] = strdup(s)) == NULL)
		return -1;
	set->used++;
	return 0;
}

static bool
strset_has(const struct strset *set, const char *s)
{
	size_t i;

	if (set->cap == 0)
		return false;
	for (i = str_hash(s) & (set->cap - 1); set->slot[i];
	     i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], s) == 0)
			return true;
	return false;
}

static void
strset_free(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/* A domain or any of its parents is in set. */
static bool
domain_in(const struct strset *set, const char *d)
{
	while (d != NULL && *d != '\0') {
		const char *dot;

		if (strset_has(set, d))
			return true;
		if ((dot = strchr(d, '.')) == NULL)
			break;
		d = dot + 1;
	}
	return false;
}

/* Lower-cases and trims a line in place; returns it, or NULL for a blank
 * line or a comment. */
static char *
clean_line(char *s)
{
	char *e, *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((p = strchr(s, '#')) != NULL)
		*p = '\0';
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	for (p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return *s ? s : NULL;
}

/* Adds a list's domain in the form email_normalize() gives an address's,
 * so "bücher.example" and "ｍａｉｌｉｎａｔｏｒ．ｃｏｍ" match what signers
 * type. A line IDNA refuses is kept as written: no normal form carries
 * such a domain, so it can never match, but it is no reason to refuse the
 * whole list. */
static int
add_domain(struct strset *set, const char *d)
{
	char ascii[EMAIL_DOMAIN_MAX + 1];

	if (email_domain_to_ascii(d, strlen(d), ascii) == -1)
		return strset_add(set, d);
	return strset_add(set, ascii);
}

/* The same for a whole address. */
static int
add_email(struct strset *set, const char *e)
{
	struct arena *a;
	size_t len;
	char *norm;
	int ret;

	if ((a = arena_new()) == NULL)
		return -1;
	norm = email_normalize(a, e, strlen(e), &len);
	ret = strset_add(set, norm != NULL ? norm : e);
	arena_free(a);
	return ret;
}

static int
load_domains(const char *path, struct strset *set, bool required, char *err,
    size_t errlen)
{
	char line[512];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = clean_line(line);

		if (s != NULL && add_domain(set, s) == -1) {
			fclose(f);
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
load_list(const char *path, struct list *l, char *err, size_t errlen)
{
	char line[512];
	int lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = clean_line(line), *v;

		lineno++;
		if (s == NULL)
			continue;
		v = s + strcspn(s, " \t");
		if (*v == '\0')
			goto bad;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strcmp(s, "domain") == 0) {
			if (add_domain(&l->domains, v) == -1)
				goto bad;
		} else if (strcmp(s, "email") == 0) {
			if (add_email(&l->emails, v) == -1)
				goto bad;
		} else if (strcmp(s, "net") == 0) {
			if (l->nnets == l->capnets) {
				size_t n = l->capnets ? l->capnets * 2 : 16;
				struct cidr *c =
				    realloc(l->nets, n * sizeof(*c));

				if (c == NULL)
					goto bad;
				l->nets = c;
				l->capnets = n;
			}
			if (cidr_parse(v, &l->nets[l->nnets]) == -1)
				goto bad;
			l->nnets++;
		} else {
			goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	snprintf(err, errlen,
	    "%s:%d: expected \"domain D\", \"net CIDR\" or "
	    "\"email ADDRESS\"",
	    path, lineno);
	return -1;
}

int
guard_load(const char *share_dir, const char *data_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/lists/disposable-email-domains.txt",
	    share_dir);
	if (load_domains(path, &disposable, true, err, errlen) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/disposable-local.txt", data_dir);
	if (load_domains(path, &disposable, false, err, errlen) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/allowlist.txt", data_dir);
	if (load_list(path, &allow, err, errlen) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/blocklist.txt", data_dir);
	if (load_list(path, &block, err, errlen) == -1)
		goto fail;
	log_info("guard", "disposable=%zu allow=%zu block=%zu", disposable.used,
	    allow.domains.used + allow.emails.used + allow.nnets,
	    block.domains.used + block.emails.used + block.nnets);
	return 0;
fail:
	guard_free();
	return -1;
}

static void
list_free(struct list *l)
{
	strset_free(&l->domains);
	strset_free(&l->emails);
	free(l->nets);
	memset(l, 0, sizeof(*l));
}

void
guard_free(void)
{
	strset_free(&disposable);
	list_free(&allow);
	list_free(&block);
}

const char *
guard_domain(const char *email)
{
	const char *at = strrchr(email, '@');

	return at ? at + 1 : "";
}

static bool
list_matches(const struct list *l, const char *email, const char *domain,
    const struct netaddr *a)
{
	return strset_has(&l->emails, email) ||
	    domain_in(&l->domains, domain) || cidr_any(l->nets, l->nnets, a);
}

enum guard_verdict
guard_check(const char *email, const struct netaddr *a)
{
	const char *domain = guard_domain(email);

	if (list_matches(&allow, email, domain, a))
		return GUARD_ALLOWED;
	if (list_matches(&block, email, domain, a))
		return GUARD_BLOCKED;
	if (domain_in(&disposable, domain))
		return GUARD_DISPOSABLE;
	return GUARD_OK;
}
