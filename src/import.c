/* import.c - petition files: front matter and a Markdown body. */
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "email.h"
#include "form.h"
#include "log.h"

#define IMPORT_MAX_BYTES (1024 * 1024)
#define IMPORT_MAX_TO 32
#define IMPORT_MAX_TR 32

enum import_key { KEY_TITLE, KEY_TO, KEY_GOAL, KEY_LANG, KEY_SLUG, KEY__MAX };

/* The front matter's keys: the rule each value keeps (the error says it
 * when the value does not), and whether a translation may carry the key
 * (a petition file carries them all). */
static const struct import_key_spec {
	const char *name;
	const char *rule;
	bool translation;
} import_keys[KEY__MAX] = {
	[KEY_TITLE] = { "title", "title must be 1-200 characters of text",
	    true },
	[KEY_TO] = { "to", "\"to\" needs 1-32 addressees separated by ';'",
	    false },
	[KEY_GOAL] = { "goal",
	    "goal must be a whole number from 1 to 1000000000", false },
	[KEY_LANG] = { "lang",
	    "lang must be a language code such as en, ru or uk", true },
	[KEY_SLUG] = { "slug", "slug must be 1-80 of a-z, 0-9 and '-'", false },
};

_Static_assert(IMPORT_MAX_TO == 32, "the rule of \"to\" says 32");

static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 &&
	    (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r'))
		(*len)--;
	return s;
}

static int
parse_to(struct arena *a, const char *v, size_t len, struct petition *p)
{
	struct addressee *to;
	size_t n = 0;
	const char *end = v + len;

	if ((to = arena_alloc(a, IMPORT_MAX_TO * sizeof(*to))) == NULL)
		return -1;
	while (v < end) {
		const char *semi = memchr(v, ';', (size_t)(end - v));
		size_t l = (semi ? semi : end) - v;
		const char *name = trim(v, &l);

		if (l > 0) {
			if (n == IMPORT_MAX_TO)
				return -1;
			to[n].name = arena_strndup(a, name, l);
			to[n].description = "";
			n++;
		}
		v = semi ? semi + 1 : end;
	}
	if (n == 0)
		return -1;
	p->to = to;
	p->nto = n;
	return 0;
}

/* A BCP 47 tag of the simple kind: a 2-3 letter language, then subtags of
 * 1-8 letters or digits, joined by '-' ("en", "pt-BR", "sr-Latn"). */
static bool
lang_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || len > 15)
		return false;
	for (i = 0; i < len && s[i] != '-'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	if (i < 2 || i > 3)
		return false;
	while (i < len) {
		size_t run = 0;

		if (s[i++] != '-')
			return false;
		for (; i < len && s[i] != '-'; i++, run++)
			if (!((s[i] >= 'a' && s[i] <= 'z') ||
				(s[i] >= 'A' && s[i] <= 'Z') ||
				(s[i] >= '0' && s[i] <= '9')))
				return false;
		if (run == 0 || run > 8)
			return false;
	}
	return true;
}

/* One front matter value as written: where it is and on which line. */
struct front_value {
	const char *s;
	size_t len;
	int line;
	bool seen;
};

/* Splits src into front matter values (for the known keys only) and the
 * body. Returns 0, or -1 with a message naming the line in err. */
static int
front_parse(const char *src, size_t len, struct front_value v[KEY__MAX],
    const char **body, size_t *blen, char *err, size_t errlen)
{
	const char *line, *end = src + len;
	int lineno = 1, k;

	memset(v, 0, KEY__MAX * sizeof(*v));
	for (line = src; line < end; lineno++) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t llen = (size_t)((nl ? nl : end) - line);

		/* Text only: the page cache marks live values with control
		 * characters, so none may come from a file. */
		if (!form_text_valid(line, llen, true)) {
			snprintf(err, errlen,
			    "line %d: not valid UTF-8 text "
			    "(or a control character)",
			    lineno);
			return -1;
		}
		line = nl ? nl + 1 : end;
	}
	lineno = 1;
	if (!(len >= 4 && memcmp(src, "---\n", 4) == 0) &&
	    !(len >= 5 && memcmp(src, "---\r\n", 5) == 0)) {
		snprintf(err, errlen,
		    "line 1: expected front matter "
		    "starting with ---");
		return -1;
	}
	line = (const char *)memchr(src, '\n', len) + 1;
	for (;;) {
		const char *nl, *colon, *key, *val;
		size_t llen, klen, vlen;

		lineno++;
		if (line >= end) {
			snprintf(err, errlen,
			    "line %d: front matter is not "
			    "closed with ---",
			    lineno);
			return -1;
		}
		nl = memchr(line, '\n', (size_t)(end - line));
		llen = (size_t)((nl ? nl : end) - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 3 && strncmp(line, "---", 3) == 0) {
			line = nl ? nl + 1 : end;
			break;
		}
		if (llen == 0 || line[0] == '#') {
			line = nl ? nl + 1 : end;
			continue;
		}
		if ((colon = memchr(line, ':', llen)) == NULL) {
			snprintf(err, errlen,
			    "line %d: expected \"key: value\"", lineno);
			return -1;
		}
		klen = (size_t)(colon - line);
		key = trim(line, &klen);
		vlen = llen - (size_t)(colon - line) - 1;
		val = trim(colon + 1, &vlen);
		for (k = 0; k < KEY__MAX; k++)
			if (strlen(import_keys[k].name) == klen &&
			    strncmp(import_keys[k].name, key, klen) == 0)
				break;
		if (k == KEY__MAX) {
			snprintf(err, errlen, "line %d: unknown key \"%.*s\"",
			    lineno, (int)(klen > 40 ? 40 : klen), key);
			return -1;
		}
		if (v[k].seen) {
			snprintf(err, errlen, "line %d: \"%s\" given twice",
			    lineno, import_keys[k].name);
			return -1;
		}
		v[k].seen = true;
		v[k].s = val;
		v[k].len = vlen;
		v[k].line = lineno;
		line = nl ? nl + 1 : end;
	}
	while (line < end && (*line == '\n' || *line == '\r'))
		line++;
	if (line >= end) {
		snprintf(err, errlen,
		    "the petition has no text after the "
		    "front matter");
		return -1;
	}
	*body = line;
	*blen = (size_t)(end - line);
	return 0;
}

/* Says in err that key k's value, on its line, breaks the key's rule.
 * Returns -1. */
static int
key_fail(const struct front_value *v, int k, char *err, size_t errlen)
{
	snprintf(err, errlen, "line %d: %s", v[k].line, import_keys[k].rule);
	return -1;
}

static int
title_parse(struct arena *a, const struct front_value *v, const char **out,
    char *err, size_t errlen)
{
	const struct front_value *t = &v[KEY_TITLE];

	if (!t->seen) {
		snprintf(err, errlen, "front matter lacks \"title\"");
		return -1;
	}
	if (t->len == 0 || form_utf8_chars(t->s, t->len) > 200 ||
	    !form_text_valid(t->s, t->len, false))
		return key_fail(v, KEY_TITLE, err, errlen);
	*out = arena_strndup(a, t->s, t->len);
	return 0;
}

/* A file's front matter, its keys checked by front_read(), and its body. */
struct front {
	struct front_value v[KEY__MAX];
	const char *title; /* checked, in the arena */
	const char *body;
	size_t blen;
};

/* front_parse() of src into f, then its keys checked and its title: a
 * petition file (lang NULL) must carry every key, a translation into lang
 * none but those import_keys allows it, and a "lang" that is lang. Returns
 * 0, or -1 with a message in err. */
static int
front_read(struct arena *a, const char *src, size_t len, const char *lang,
    struct front *f, char *err, size_t errlen)
{
	const struct front_value *l = &f->v[KEY_LANG];
	bool translation = lang != NULL;
	int k;

	if (front_parse(src, len, f->v, &f->body, &f->blen, err, errlen) == -1)
		return -1;
	for (k = 0; k < KEY__MAX; k++) {
		if (!translation && !f->v[k].seen) {
			snprintf(err, errlen, "front matter lacks \"%s\"",
			    import_keys[k].name);
			return -1;
		}
		if (translation && f->v[k].seen && !import_keys[k].translation) {
			snprintf(err, errlen,
			    "line %d: a translation takes only "
			    "\"title\" and \"lang\", not \"%s\"",
			    f->v[k].line, import_keys[k].name);
			return -1;
		}
	}
	if (translation && l->seen &&
	    (l->len != strlen(lang) || strncmp(l->s, lang, l->len) != 0)) {
		snprintf(err, errlen,
		    "line %d: lang does not match the file name (%s)", l->line,
		    lang);
		return -1;
	}
	return title_parse(a, f->v, &f->title, err, errlen);
}

int
import_parse(struct arena *a, const char *src, size_t len, struct petition *p,
    char *err, size_t errlen)
{
	struct front f;
	const struct front_value *v = f.v;

	memset(p, 0, sizeof(*p));
	if (front_read(a, src, len, NULL, &f, err, errlen) == -1)
		return -1;
	p->title = f.title;
	if (parse_to(a, v[KEY_TO].s, v[KEY_TO].len, p) == -1)
		return key_fail(v, KEY_TO, err, errlen);
	/* Digits only, as the start form takes the goal. */
	p->goal = form_digits(v[KEY_GOAL].s, v[KEY_GOAL].len, 10);
	if (p->goal <= 0 || p->goal > 1000000000LL)
		return key_fail(v, KEY_GOAL, err, errlen);
	if (!lang_valid(v[KEY_LANG].s, v[KEY_LANG].len))
		return key_fail(v, KEY_LANG, err, errlen);
	p->lang = arena_strndup(a, v[KEY_LANG].s, v[KEY_LANG].len);
	if (!petition_slug_valid(v[KEY_SLUG].s, v[KEY_SLUG].len))
		return key_fail(v, KEY_SLUG, err, errlen);
	p->slug = arena_strndup(a, v[KEY_SLUG].s, v[KEY_SLUG].len);
	p->body_md = arena_strndup(a, f.body, f.blen);
	p->state = PETITION_OPEN;
	p->created_at = p->updated_at = (int64_t)time(NULL);
	if (p->title == NULL || p->body_md == NULL || p->slug == NULL ||
	    p->lang == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
import_parse_translation(struct arena *a, const char *src, size_t len,
    const char *lang, struct translation *t, char *err, size_t errlen)
{
	struct front f;

	memset(t, 0, sizeof(*t));
	if (front_read(a, src, len, lang, &f, err, errlen) == -1)
		return -1;
	t->title = f.title;
	t->lang = arena_strdup(a, lang);
	t->body_md = arena_strndup(a, f.body, f.blen);
	if (t->title == NULL || t->lang == NULL || t->body_md == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Reads a whole file into the arena. Returns NULL with a message in err. */
static char *
file_slurp(struct arena *a, const char *path, size_t *len, char *err,
    size_t errlen)
{
	char *src;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((src = arena_alloc(a, IMPORT_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*len = fread(src, 1, IMPORT_MAX_BYTES + 1, f);
	fclose(f);
	if (*len > IMPORT_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    IMPORT_MAX_BYTES);
		return NULL;
	}
	return src;
}

/* Finds FILE.LANG.md beside FILE.md and parses each as a translation.
 * Returns the number found, or -1 with a message in err. */
static int
translations_load(struct arena *a, const char *path, struct translation *tr,
    int max, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], full[PATH_MAX + NAME_MAX + 2];
	const char *slash = strrchr(path, '/');
	struct dirent *de;
	size_t blen;
	DIR *d;
	int n = 0;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		snprintf(base, sizeof(base), "%s", path);
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		snprintf(base, sizeof(base), "%s", slash + 1);
	}
	blen = strlen(base);
	if (blen < 4 || strcmp(base + blen - 3, ".md") != 0)
		return 0;
	blen -= 3; /* FILE */
	if ((d = opendir(dir[0] ? dir : "/")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name), llen;
		char lang[16], msg[256], *src;
		size_t len;

		/* FILE . LANG .md */
		if (nlen <= blen + 4 || strncmp(de->d_name, base, blen) != 0 ||
		    de->d_name[blen] != '.' ||
		    strcmp(de->d_name + nlen - 3, ".md") != 0)
			continue;
		llen = nlen - blen - 4;
		if (llen >= sizeof(lang) ||
		    !lang_valid(de->d_name + blen + 1, llen))
			continue;
		memcpy(lang, de->d_name + blen + 1, llen);
		lang[llen] = '\0';
		if (n == max) {
			snprintf(err, errlen, "%s: more than %d translations",
			    path, max);
			goto fail;
		}
		snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		if ((src = file_slurp(a, full, &len, err, errlen)) == NULL)
			goto fail;
		if (import_parse_translation(a, src, len, lang, &tr[n], msg,
			sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s: %s", full, msg);
			goto fail;
		}
		n++;
	}
	closedir(d);
	return n;
fail:
	closedir(d);
	return -1;
}

int
import_owner(struct store *s, const char *email, int64_t *id, char *err,
    size_t errlen)
{
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct arena *a;
	struct user u;
	size_t len;
	char *norm;
	int ret = -1;

	if ((a = arena_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	norm = email_normalize(a, email, strlen(email), &len);
	if (norm == NULL || !email_valid(norm, len)) {
		snprintf(err, errlen, "--owner: not an email address");
		goto out;
	}
	crypto_email_hash(norm, len, hash);
	switch (store_user_by_email(s, a, hash, &u)) {
	case STORE_OK:
		*id = u.id;
		ret = 0;
		break;
	case STORE_NOTFOUND:
		snprintf(err, errlen,
		    "--owner: no account has that email "
		    "address (add one with holos user add)");
		break;
	default:
		snprintf(err, errlen,
		    "--owner: the database cannot say (see "
		    "the log)");
		break;
	}
out:
	arena_free(a);
	return ret;
}

int
import_file(struct store *s, const char *path, char *err, size_t errlen)
{
	return import_file_owned(s, path, 0, err, errlen);
}

int
import_file_owned(struct store *s, const char *path, int64_t owner_id,
    char *err, size_t errlen)
{
	struct translation *tr;
	struct arena *a;
	struct petition p;
	char msg[256], *src;
	size_t len;
	int64_t id;
	int ret = -1, n, i;

	if ((a = arena_new()) == NULL ||
	    (tr = arena_alloc(a, IMPORT_MAX_TR * sizeof(*tr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((src = file_slurp(a, path, &len, err, errlen)) == NULL)
		goto fail;
	if (import_parse(a, src, len, &p, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	if ((n = translations_load(a, path, tr, IMPORT_MAX_TR, err, errlen)) ==
	    -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (strcmp(tr[i].lang, p.lang) == 0) {
			snprintf(err, errlen,
			    "%s: a translation into %s, the "
			    "petition's own language",
			    path, p.lang);
			goto fail;
		}
	}
	p.tr = tr;
	p.ntr = (size_t)n;
	p.owner_id = owner_id;
	switch (store_petition_create(s, &p, &id)) {
	case STORE_OK:
		log_info("import", "slug=%s id=%lld translations=%d owner=%lld",
		    p.slug, (long long)id, n, (long long)owner_id);
		ret = 0;
		break;
	case STORE_DUPLICATE:
		snprintf(err, errlen,
		    "%s: a petition with slug \"%s\" exists "
		    "already",
		    path, p.slug);
		break;
	default:
		snprintf(err, errlen,
		    "%s: the database refused the petition "
		    "(see the log)",
		    path);
		break;
	}
fail:
	arena_free(a);
	return ret;
}
