/* i18n.c - language catalogues, negotiation, numbers and country names. */
#include "i18n.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucol.h>
#include <unicode/uloc.h>
#include <unicode/ureldatefmt.h>
#include <unicode/ustring.h>

#include "log.h"

/* A message whose pattern has no braces and no apostrophe is its own text:
 * ICU would format it to the same bytes, so it gets no formatter (fmt
 * NULL) and starts up without one; most of the catalogue is such. */
struct message {
	char *key;
	struct msgfmt *fmt; /* NULL for a literal message */
	size_t len;	    /* of text */
	const char *text;   /* argument-free messages: the text, in strings */
};

struct lang {
	char code[16];
	struct message *msgs; /* sorted by key */
	size_t nmsgs;
	json_t *strings; /* argument-free messages, pre-formatted */
	json_t *countries;
	struct msgfmt *number;
	URelativeDateTimeFormatter *rel;
	pthread_mutex_t rel_lock; /* ICU formatters are not thread-safe */
};

static struct lang langs[I18N_MAX_LANGS];
/* Each language's country names by code, AA..ZZ, into its countries. */
static const char *country_names[I18N_MAX_LANGS][26 * 26];
/* Valid country codes, AA..ZZ, as a bitmap: one lookup per signature. */
static unsigned char country_ok[26 * 26];
static size_t nlangs;
static struct lang *deflang;
static json_t *languages;

/* The number of arguments a message takes. */
static size_t
message_args(const struct message *m)
{
	return m->fmt == NULL ? 0 : msgfmt_arg_count(m->fmt);
}

/* Whether ICU would format pattern to itself (no arguments, no quoting). */
static int
pattern_literal(const char *pat, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (pat[i] == '{' || pat[i] == '}' || pat[i] == '\'')
			return 0;
	return 1;
}

static int
message_cmp(const void *a, const void *b)
{
	return strcmp(((const struct message *)a)->key,
	    ((const struct message *)b)->key);
}

static struct message *
lang_find(const struct lang *l, const char *key)
{
	struct message k = { .key = (char *)key };

	return bsearch(&k, l->msgs, l->nmsgs, sizeof(*l->msgs), message_cmp);
}

static struct lang *
lang_get(const char *code)
{
	size_t i;

	for (i = 0; i < nlangs; i++)
		if (strcmp(langs[i].code, code) == 0)
			return &langs[i];
	return deflang;
}

static int
lang_load(struct lang *l, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v;
	const char *key;
	size_t i = 0;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		goto fail;
	}
	l->nmsgs = json_object_size(root);
	if ((l->msgs = calloc(l->nmsgs ? l->nmsgs : 1, sizeof(*l->msgs))) ==
		NULL ||
	    (l->strings = json_object()) == NULL)
		goto oom;
	json_object_foreach(root, key, v)
	{
		char perr[128];
		const char *pat;

		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s: key \"%s\": not a string",
			    path, key);
			goto fail;
		}
		pat = json_string_value(v);
		if ((l->msgs[i].key = strdup(key)) == NULL)
			goto oom;
		if (pattern_literal(pat, json_string_length(v))) {
			if (json_object_set(l->strings, key, v) != 0)
				goto oom;
		} else {
			l->msgs[i].fmt = msgfmt_open(l->code, pat,
			    json_string_length(v), perr, sizeof(perr));
			if (l->msgs[i].fmt == NULL) {
				snprintf(err, errlen,
				    "%s: key \"%s\": ICU rejects the "
				    "pattern: %s",
				    path, key, perr);
				free(l->msgs[i].key);
				goto fail;
			}
			if (msgfmt_arg_count(l->msgs[i].fmt) == 0) {
				size_t len;
				char *f = msgfmt_format(l->msgs[i].fmt, NULL, 0,
				    &len);

				if (f == NULL) {
					i++;
					goto oom;
				}
				json_object_set_new(l->strings, key,
				    json_stringn(f, len));
				free(f);
			}
		}
		if ((v = json_object_get(l->strings, key)) != NULL) {
			l->msgs[i].text = json_string_value(v);
			l->msgs[i].len = json_string_length(v);
		}
		i++;
	}
	qsort(l->msgs, l->nmsgs, sizeof(*l->msgs), message_cmp);
	json_decref(root);
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	l->nmsgs = i;
	json_decref(root);
	return -1;
}

/* Same keys both ways, and each key names the same arguments. */
static int
lang_compare(const struct lang *l, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < deflang->nmsgs; i++) {
		const struct message *d = &deflang->msgs[i];
		const struct message *m = lang_find(l, d->key);

		if (m == NULL) {
			snprintf(err, errlen,
			    "locales/%s.json: key \"%s\": "
			    "missing (it is in %s.json)",
			    l->code, d->key, deflang->code);
			return -1;
		}
		if (message_args(m) != message_args(d))
			goto args;
		for (j = 0; j < message_args(d); j++) {
			size_t k;

			for (k = 0; k < message_args(m); k++)
				if (strcmp(msgfmt_arg_name(d->fmt, j),
					msgfmt_arg_name(m->fmt, k)) == 0)
					break;
			if (k == message_args(m))
				goto args;
		}
		continue;
args:
		snprintf(err, errlen,
		    "locales/%s.json: key \"%s\": the "
		    "arguments differ from %s.json",
		    l->code, d->key, deflang->code);
		return -1;
	}
	for (i = 0; i < l->nmsgs; i++) {
		if (lang_find(deflang, l->msgs[i].key) == NULL) {
			snprintf(err, errlen,
			    "locales/%s.json: key \"%s\": not "
			    "in %s.json",
			    l->code, l->msgs[i].key, deflang->code);
			return -1;
		}
	}
	return 0;
}

struct country {
	char code[3];
	UChar name[128];
	char utf8[384];
};

static UCollator *sort_coll;

static int
country_cmp(const void *a, const void *b)
{
	return ucol_strcoll(sort_coll, ((const struct country *)a)->name, -1,
	    ((const struct country *)b)->name, -1);
}

static int
lang_countries(struct lang *l)
{
	const char *const *iso = uloc_getISOCountries();
	struct country *cs;
	UErrorCode e = U_ZERO_ERROR;
	size_t n = 0, i;

	for (i = 0; iso[i] != NULL; i++)
		;
	if ((cs = calloc(i, sizeof(*cs))) == NULL)
		return -1;
	for (i = 0; iso[i] != NULL; i++) {
		char loc[8];
		int32_t len;

		e = U_ZERO_ERROR;
		/* AQ and the like have names; "ZZ"-style unknowns do not. */
		snprintf(loc, sizeof(loc), "und_%s", iso[i]);
		len = uloc_getDisplayCountry(loc, l->code, cs[n].name,
		    (int32_t)(sizeof(cs[n].name) / sizeof(UChar)), &e);
		if (U_FAILURE(e) || len == 0 || e == U_USING_DEFAULT_WARNING)
			continue;
		u_strToUTF8(cs[n].utf8, sizeof(cs[n].utf8), NULL, cs[n].name,
		    len, &e);
		if (U_FAILURE(e))
			continue;
		memcpy(cs[n].code, iso[i], 2);
		n++;
	}
	e = U_ZERO_ERROR;
	sort_coll = ucol_open(l->code, &e);
	if (U_FAILURE(e)) {
		free(cs);
		return -1;
	}
	qsort(cs, n, sizeof(*cs), country_cmp);
	ucol_close(sort_coll);
	sort_coll = NULL;
	l->countries = json_array();
	for (i = 0; i < n; i++) {
		json_t *c = json_pack("{s:s, s:s}", "code", cs[i].code, "name",
		    cs[i].utf8);

		if (c == NULL || json_array_append_new(l->countries, c) == -1)
			continue;
		/* uloc_getISOCountries() gives upper-case AA..ZZ only. */
		country_names[l - langs][(cs[i].code[0] - 'A') * 26 +
		    (cs[i].code[1] - 'A')] =
		    json_string_value(json_object_get(c, "name"));
	}
	free(cs);
	return 0;
}

static int
code_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lang *)a)->code,
	    ((const struct lang *)b)->code);
}

int
i18n_load(const char *dir, const char *default_lang, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	size_t i;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: cannot open the locales folder", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 6 || len > 15 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		if (nlangs == I18N_MAX_LANGS) {
			snprintf(err, errlen, "%s: more than %d languages", dir,
			    I18N_MAX_LANGS);
			goto fail;
		}
		memcpy(langs[nlangs].code, de->d_name, len - 5);
		langs[nlangs].code[len - 5] = '\0';
		nlangs++;
	}
	closedir(d);
	d = NULL;
	qsort(langs, nlangs, sizeof(langs[0]), code_cmp);
	for (i = 0; i < nlangs; i++) {
		char path[PATH_MAX];
		char perr[128];

		snprintf(path, sizeof(path), "%s/%s.json", dir, langs[i].code);
		if (lang_load(&langs[i], path, err, errlen) == -1)
			goto fail;
		if (lang_countries(&langs[i]) == -1) {
			snprintf(err, errlen, "%s: no country names", path);
			goto fail;
		}
		langs[i].number = msgfmt_open(langs[i].code, "{n, number}", 11,
		    perr, sizeof(perr));
		if (langs[i].number == NULL) {
			snprintf(err, errlen, "%s: number format: %s", path,
			    perr);
			goto fail;
		}
		{
			UErrorCode e = U_ZERO_ERROR;

			langs[i].rel = ureldatefmt_open(langs[i].code, NULL,
			    UDAT_STYLE_LONG, UDISPCTX_CAPITALIZATION_NONE, &e);
			if (U_FAILURE(e)) {
				snprintf(err, errlen,
				    "%s: relative time format: "
				    "%s",
				    path, u_errorName(e));
				goto fail;
			}
			pthread_mutex_init(&langs[i].rel_lock, NULL);
		}
		if (strcmp(langs[i].code, default_lang) == 0)
			deflang = &langs[i];
	}
	if (deflang == NULL) {
		snprintf(err, errlen,
		    "%s: no catalogue for the default "
		    "language \"%s\"",
		    dir, default_lang);
		goto fail;
	}
	languages = json_array();
	for (i = 0; i < nlangs; i++) {
		UChar name[64];
		char utf8[192];
		UErrorCode e = U_ZERO_ERROR;
		int32_t len;

		if (lang_compare(&langs[i], err, errlen) == -1)
			goto fail;
		len = uloc_getDisplayName(langs[i].code, langs[i].code, name,
		    64, &e);
		u_strToUTF8(utf8, sizeof(utf8), NULL, name, len, &e);
		if (U_FAILURE(e))
			snprintf(utf8, sizeof(utf8), "%.15s", langs[i].code);
		/* Autonyms start lower-case in ru and uk; a menu entry is a
		 * title. Title case the first letter through ICU. */
		{
			UChar t[64];
			UErrorCode e2 = U_ZERO_ERROR;
			int32_t tl = u_strToTitle(t, 64, name, len, NULL,
			    langs[i].code, &e2);
			if (U_SUCCESS(e2) && U_SUCCESS(e))
				u_strToUTF8(utf8, sizeof(utf8), NULL, t, tl,
				    &e2);
		}
		json_array_append_new(languages,
		    json_pack("{s:s, s:s}", "code", langs[i].code, "name",
			utf8));
	}
	{
		const json_t *c;
		size_t k;

		memset(country_ok, 0, sizeof(country_ok));
		json_array_foreach(deflang->countries, k, c)
		{
			const char *cc =
			    json_string_value(json_object_get(c, "code"));

			if (cc != NULL && cc[0] >= 'A' && cc[0] <= 'Z' &&
			    cc[1] >= 'A' && cc[1] <= 'Z')
				country_ok[(cc[0] - 'A') * 26 + (cc[1] - 'A')] =
				    1;
		}
	}
	log_info("i18n", "languages=%zu default=%s", nlangs, deflang->code);
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	i18n_free();
	return -1;
}

void
i18n_free(void)
{
	size_t i, j;

	for (i = 0; i < nlangs; i++) {
		for (j = 0; j < langs[i].nmsgs; j++) {
			free(langs[i].msgs[j].key);
			msgfmt_close(langs[i].msgs[j].fmt);
		}
		free(langs[i].msgs);
		json_decref(langs[i].strings);
		json_decref(langs[i].countries);
		msgfmt_close(langs[i].number);
		if (langs[i].rel != NULL) {
			ureldatefmt_close(langs[i].rel);
			pthread_mutex_destroy(&langs[i].rel_lock);
		}
	}
	memset(langs, 0, sizeof(langs));
	memset(country_names, 0, sizeof(country_names));
	nlangs = 0;
	deflang = NULL;
	json_decref(languages);
	languages = NULL;
}

const char *
i18n_match(const char *code, size_t len)
{
	size_t i, base = 0;

	if (code == NULL)
		return NULL;
	while (base < len && base < 8 && isalpha((unsigned char)code[base]))
		base++;
	if (base < 2 || (base < len && code[base] != '-' && code[base] != '_'))
		return NULL;
	for (i = 0; i < nlangs; i++)
		if (strlen(langs[i].code) == base &&
		    strncasecmp(langs[i].code, code, base) == 0)
			return langs[i].code;
	return NULL;
}

/* Walks Accept-Language entries: "xx-YY;q=0.8, zz". Bounded: a header of
 * thousands of commas costs one pass and never an error. */
struct accept_entry {
	const char *tag;
	size_t len;
	int q; /* thousandths */
};

static size_t
accept_parse(const char *h, struct accept_entry *out, size_t max)
{
	size_t n = 0;

	while (h != NULL && *h != '\0' && n < max) {
		const char *end = strchr(h, ',');
		const char *semi, *stop;
		size_t len;
		int q = 1000;

		stop = end ? end : h + strlen(h);
		while (h < stop && (*h == ' ' || *h == '\t'))
			h++;
		semi = memchr(h, ';', (size_t)(stop - h));
		len = (size_t)((semi ? semi : stop) - h);
		while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
			len--;
		if (semi != NULL) {
			const char *p = semi + 1;

			while (p < stop && *p == ' ')
				p++;
			if (stop - p >= 3 && p[0] == 'q' && p[1] == '=' &&
			    (p[2] == '0' || p[2] == '1')) {
				int digits = 0;

				q = (p[2] - '0') * 1000;
				p += 3;
				if (p < stop && *p == '.') {
					int scale = 100;
					for (p++; p < stop &&
					     isdigit((unsigned char)*p) &&
					     digits < 3;
					     p++, digits++, scale /= 10)
						q += (*p - '0') * scale;
				}
				if (q > 1000)
					q = -1;
			} else {
				q = -1; /* malformed: ignore this entry */
			}
		}
		if (len > 0 && q > 0) {
			out[n].tag = h;
			out[n].len = len;
			out[n].q = q;
			n++;
		}
		h = end ? end + 1 : NULL;
	}
	return n;
}

const char *
i18n_negotiate(const char *query, const char *cookie, const char *accept)
{
	struct accept_entry e[32];
	const char *best = NULL, *m;
	size_t n, i;
	int bestq = 0;

	if (query != NULL && (m = i18n_match(query, strlen(query))) != NULL)
		return m;
	if (cookie != NULL && (m = i18n_match(cookie, strlen(cookie))) != NULL)
		return m;
	n = accept_parse(accept, e, 32);
	for (i = 0; i < n; i++) {
		if (e[i].q > bestq &&
		    (m = i18n_match(e[i].tag, e[i].len)) != NULL) {
			best = m;
			bestq = e[i].q;
		}
	}
	return best != NULL ? best : deflang->code;
}

void
i18n_accept_region(const char *accept, char out[3])
{
	struct accept_entry e[32];
	size_t n, i, j;

	out[0] = '\0';
	n = accept_parse(accept, e, 32);
	for (i = 0; i < n; i++) {
		for (j = 0; j + 3 <= e[i].len; j++) {
			if ((e[i].tag[j] == '-' || e[i].tag[j] == '_') &&
			    (j + 3 == e[i].len || e[i].tag[j + 3] == '-') &&
			    isalpha((unsigned char)e[i].tag[j + 1]) &&
			    isalpha((unsigned char)e[i].tag[j + 2])) {
				out[0] = (char)toupper(
				    (unsigned char)e[i].tag[j + 1]);
				out[1] = (char)toupper(
				    (unsigned char)e[i].tag[j + 2]);
				out[2] = '\0';
				if (i18n_country_valid(out, 2))
					return;
				out[0] = '\0';
			}
		}
	}
}

const json_t *
i18n_strings(const char *lang)
{
	return lang_get(lang)->strings;
}

const json_t *
i18n_languages(void)
{
	return languages;
}

const char *
i18n_text(const char *lang, const char *key)
{
	return json_string_value(json_object_get(lang_get(lang)->strings, key));
}

const char *
i18n_format(struct arena *a, const char *lang, const char *key,
    const struct msgfmt_arg *args, size_t n)
{
	struct message *m = lang_find(lang_get(lang), key);
	const char *ret;
	size_t len;
	char *s;

	if (m == NULL) {
		log_error("i18n", "lang=%s key=%s error=\"no such message\"",
		    lang, key);
		return NULL;
	}
	if (m->fmt == NULL)
		return arena_strndup(a, m->text, m->len);
	if ((s = msgfmt_format(m->fmt, args, n, &len)) == NULL) {
		log_error("i18n", "lang=%s key=%s error=\"format failed\"",
		    lang, key);
		return NULL;
	}
	ret = arena_strndup(a, s, len);
	free(s);
	return ret;
}

const char *
i18n_number(struct arena *a, const char *lang, int64_t n)
{
	struct msgfmt_arg arg = MSGFMT_NUM("n", n);
	const char *ret;
	size_t len;
	char *s;

	if ((s = msgfmt_format(lang_get(lang)->number, &arg, 1, &len)) == NULL)
		return NULL;
	ret = arena_strndup(a, s, len);
	free(s);
	return ret;
}

static const char *
uchar_to_arena(struct arena *a, const UChar *u, int32_t len)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t need;
	char *out;

	u_strToUTF8(NULL, 0, &need, u, len, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return NULL;
	if ((out = arena_alloc(a, (size_t)need + 1)) == NULL)
		return NULL;
	e = U_ZERO_ERROR;
	u_strToUTF8(out, need + 1, NULL, u, len, &e);
	return U_FAILURE(e) ? NULL : out;
}

const char *
i18n_language_name(struct arena *a, const char *lang, const char *code)
{
	UErrorCode e = U_ZERO_ERROR;
	UChar name[128];
	int32_t len;

	len = uloc_getDisplayLanguage(code, lang_get(lang)->code, name, 128, &e);
	if (U_FAILURE(e) || len <= 0 || e == U_USING_DEFAULT_WARNING)
		return arena_strdup(a, code);
	return uchar_to_arena(a, name, len);
}

const char *
i18n_relative(struct arena *a, const char *lang, int64_t delta)
{
	static const struct {
		int64_t secs;
		URelativeDateTimeUnit unit;
	} units[] = {
		{ 365 * 86400, UDAT_REL_UNIT_YEAR },
		{ 30 * 86400, UDAT_REL_UNIT_MONTH },
		{ 86400, UDAT_REL_UNIT_DAY },
		{ 3600, UDAT_REL_UNIT_HOUR },
		{ 60, UDAT_REL_UNIT_MINUTE },
		{ 1, UDAT_REL_UNIT_SECOND },
	};
	struct lang *l = lang_get(lang);
	int64_t mag = delta < 0 ? -delta : delta;
	UErrorCode e = U_ZERO_ERROR;
	UChar out[128];
	int32_t len;
	size_t i;

	/* Under a minute is "now": seconds would only flicker. */
	if (mag < 60)
		delta = 0;
	for (i = 0; i + 1 < sizeof(units) / sizeof(units[0]); i++)
		if (mag >= units[i].secs)
			break;
	pthread_mutex_lock(&l->rel_lock);
	len = ureldatefmt_format(l->rel, (double)(delta / units[i].secs),
	    units[i].unit, out, 128, &e);
	pthread_mutex_unlock(&l->rel_lock);
	if (U_FAILURE(e))
		return NULL;
	return uchar_to_arena(a, out, len);
}

const json_t *
i18n_countries(const char *lang)
{
	return lang_get(lang)->countries;
}

int
i18n_country_valid(const char *code, size_t len)
{
	if (len != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return 0;
	return country_ok[(code[0] - 'A') * 26 + (code[1] - 'A')];
}

const char *
i18n_country_name(const char *lang, const char *code)
{
	if (code == NULL || !i18n_country_valid(code, strlen(code)))
		return NULL;
	return country_names[lang_get(lang) - langs]
			    [(code[0] - 'A') * 26 + (code[1] - 'A')];
}
