/* site.h - the site's settings: set once by main.c before serving,
 * read-only afterwards by pages and mail alike. */
#ifndef HOLOS_SITE_H
#define HOLOS_SITE_H

#include <stdbool.h>
#include <stdint.h>

struct cidr_set;
struct store;
struct tmpl_set;

struct site {
	struct store *store;
	struct tmpl_set *tmpl;
	const char *name;	  /* "Holos" */
	const char *base_url;	  /* no trailing slash */
	const char *origin;	  /* scheme://host[:port] of base_url */
	const char *host;	  /* host of base_url, for Message-IDs */
	bool secure_cookies;	  /* base URL is https */
	bool count_on_sign;	  /* count without email confirmation */
	bool require_2fa;	  /* guard: moderating needs a second factor */
	int64_t confirm_ttl;	  /* seconds a confirmation link works */
	const char *mail_from;	  /* envelope and From address */
	bool mail_to_files;	  /* no SMTP: .eml files, links logged */
	int64_t min_form_seconds; /* a faster submit is flagged */
	bool publish_responses;	  /* responses shown without approval */
	char static_version[17];
	/* privacy */
	const struct cidr_set *metrics_allow; /* who may read /metrics */
	int64_t retain_days; /* personal data kept after a petition closes */
};

extern struct site site;

/* Sets base_url (borrowed; no trailing slash) and what follows from it:
 * origin, host and secure_cookies (origin and host are copies, cut short
 * for a URL of more than 511 bytes). Never fails. */
void site_set_base_url(const char *base_url);

#endif
