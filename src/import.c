/* import.c - petition files: front matter and a Markdown body. */
#include "import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "log.h"

#define IMPORT_MAX_BYTES (1024 * 1024)
#define IMPORT_MAX_TO 32

enum import_key {
	KEY_TITLE,
	KEY_TO,
	KEY_GOAL,
	KEY_LANG,
	KEY_SLUG,
	KEY__MAX
};

static const char *const import_keys[KEY__MAX] = {
	[KEY_TITLE] = "title",
	[KEY_TO] = "to",
	[KEY_GOAL] = "goal",
	[KEY_LANG] = "lang",
	[KEY_SLUG] = "slug",
};

static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' ||
	    s[*len - 1] == '\r'))
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

static bool
lang_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || len > 12)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || s[i] == '-' || (i > 2 && s[i] >= '0' &&
		    s[i] <= '9')))
			return false;
	return true;
}

int
import_parse(struct arena *a, const char *src, size_t len, struct petition *p,
    char *err, size_t errlen)
{
	const char *line = src, *end = src + len;
	bool seen[KEY__MAX] = { false };
	int lineno = 1, k;

	memset(p, 0, sizeof(*p));
	if (!form_utf8_valid(src, len)) {
		snprintf(err, errlen, "the file is not valid UTF-8");
		return -1;
	}
	if (len < 4 || (strncmp(src, "---\n", 4) != 0 &&
	    strncmp(src, "---\r\n", 5) != 0)) {
		snprintf(err, errlen, "line 1: expected front matter "
		    "starting with ---");
		return -1;
	}
	line = memchr(src, '\n', len) + 1;
	for (;;) {
		const char *nl, *colon, *key, *val;
		size_t llen, klen, vlen;

		lineno++;
		if (line >= end) {
			snprintf(err, errlen, "line %d: front matter is not "
			    "closed with ---", lineno);
			return -1;
		}
		nl = memchr(line, '\n', (size_t)(end - line));
		llen = (nl ? nl : end) - line;
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
			snprintf(err, errlen, "line %d: expected \"key: value\"",
			    lineno);
			return -1;
		}
		klen = (size_t)(colon - line);
		key = trim(line, &klen);
		vlen = llen - (size_t)(colon - line) - 1;
		val = trim(colon + 1, &vlen);
		for (k = 0; k < KEY__MAX; k++)
			if (strlen(import_keys[k]) == klen &&
			    strncmp(import_keys[k], key, klen) == 0)
				break;
		if (k == KEY__MAX) {
			snprintf(err, errlen, "line %d: unknown key \"%.*s\"",
			    lineno, (int)(klen > 40 ? 40 : klen), key);
			return -1;
		}
		if (seen[k]) {
			snprintf(err, errlen, "line %d: \"%s\" given twice",
			    lineno, import_keys[k]);
			return -1;
		}
		seen[k] = true;
		switch ((enum import_key)k) {
		case KEY_TITLE:
			if (vlen == 0 || vlen > 200 ||
			    !form_text_valid(val, vlen, false)) {
				snprintf(err, errlen, "line %d: title must be "
				    "1-200 characters of text", lineno);
				return -1;
			}
			p->title = arena_strndup(a, val, vlen);
			break;
		case KEY_TO:
			if (parse_to(a, val, vlen, p) == -1) {
				snprintf(err, errlen, "line %d: \"to\" needs 1-%d "
				    "addressees separated by ';'", lineno,
				    IMPORT_MAX_TO);
				return -1;
			}
			break;
		case KEY_GOAL: {
			char tmp[24], *e;
			long long g;

			if (vlen == 0 || vlen >= sizeof(tmp))
				goto bad_goal;
			memcpy(tmp, val, vlen);
			tmp[vlen] = '\0';
			errno = 0;
			g = strtoll(tmp, &e, 10);
			if (*e != '\0' || errno != 0 || g <= 0 ||
			    g > 1000000000LL)
				goto bad_goal;
			p->goal = g;
			break;
		bad_goal:
			snprintf(err, errlen, "line %d: goal must be a whole "
			    "number from 1 to 1000000000", lineno);
			return -1;
		}
		case KEY_LANG:
			if (!lang_valid(val, vlen)) {
				snprintf(err, errlen, "line %d: lang must be a "
				    "language code such as en, ru or uk", lineno);
				return -1;
			}
			p->lang = arena_strndup(a, val, vlen);
			break;
		case KEY_SLUG:
			if (!petition_slug_valid(val, vlen)) {
				snprintf(err, errlen, "line %d: slug must be 1-80 "
				    "of a-z, 0-9 and '-'", lineno);
				return -1;
			}
			p->slug = arena_strndup(a, val, vlen);
			break;
		case KEY__MAX:
			break;
		}
		line = nl ? nl + 1 : end;
	}
	for (k = 0; k < KEY__MAX; k++) {
		if (!seen[k]) {
			snprintf(err, errlen, "front matter lacks \"%s\"",
			    import_keys[k]);
			return -1;
		}
	}
	while (line < end && (*line == '\n' || *line == '\r'))
		line++;
	if (line >= end) {
		snprintf(err, errlen, "the petition has no text after the "
		    "front matter");
		return -1;
	}
	p->body_md = arena_strndup(a, line, (size_t)(end - line));
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
import_file(struct store *s, const char *path, char *err, size_t errlen)
{
	struct arena *a = NULL;
	struct petition p;
	char *src = NULL, msg[256];
	size_t len;
	int64_t id;
	FILE *f;
	int ret = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((src = malloc(IMPORT_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	len = fread(src, 1, IMPORT_MAX_BYTES + 1, f);
	fclose(f);
	if (len > IMPORT_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    IMPORT_MAX_BYTES);
		goto fail;
	}
	if ((a = arena_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (import_parse(a, src, len, &p, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	switch (store_petition_create(s, &p, &id)) {
	case STORE_OK:
		log_info("import", "slug=%s id=%lld", p.slug, (long long)id);
		ret = 0;
		break;
	case STORE_DUPLICATE:
		snprintf(err, errlen, "%s: a petition with slug \"%s\" exists "
		    "already", path, p.slug);
		break;
	default:
		snprintf(err, errlen, "%s: the database refused the petition "
		    "(see the log)", path);
		break;
	}
fail:
	arena_free(a);
	free(src);
	return ret;
}
