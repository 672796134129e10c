/* tmpl.c - Mustache templates: compiled once to op lists, escaped by default */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum tmpl_op_kind {
	TMPL_OP_TEXT,	  /* literal text */
	TMPL_OP_VAR,	  /* {{name}}, HTML-escaped */
	TMPL_OP_RAW,	  /* {{& name}} and {{{name}}}, as is */
	TMPL_OP_SECTION,  /* {{#name}} … {{/name}} */
	TMPL_OP_INVERTED, /* {{^name}} … {{/name}} */
	TMPL_OP_PARTIAL,  /* {{> name}} */
	TMPL_OP__MAX
};

struct tmpl_op {
	enum tmpl_op_kind kind;
	/* The op begins a line of the source: a standalone partial's
	 * indentation is written before it. */
	bool bol;
	/* PARTIAL: the tag stood alone on its line, so the partial's lines
	 * are indented by indent. */
	bool standalone;
	/* TEXT: the text. PARTIAL: the partial's name. Others: the name as
	 * written, for matching the section's end tag. */
	struct str text;
	struct str indent;
	/* VAR, RAW, SECTION, INVERTED: the dotted name is
	 * parts[part .. part + nparts); no parts means the implicit iterator. */
	size_t part, nparts;
	/* SECTION, INVERTED: the first op after the body. */
	size_t end;
};

struct tmpl {
	char *name;
	size_t namelen;
	/* Every struct str of the ops and parts points into this copy. */
	char *src;
	size_t srclen;
	struct tmpl_op *ops;
	size_t nops, capops;
	/* Parts are indices, not pointers, so the array may grow. */
	struct str *parts;
	size_t nparts, capparts;
};

struct tmpl_set {
	struct tmpl **v; /* sorted by name, for tmpl_set_get() */
	size_t n, cap;
};

/* The compiler's state beyond the template it fills in. */
struct tmpl_parse {
	struct tmpl *t;
	const char *label; /* the name or file in error messages */
	char *err;
	size_t errlen;
	size_t open[TMPL_MAX_NEST];   /* ops of the sections not yet ended */
	size_t openat[TMPL_MAX_NEST]; /* offsets of their tags, for errors */
	size_t nopen;
	bool bol; /* the next op starts a source line */
};

/* A context stack entry; entries live in the renderer's stack frames. */
struct tmpl_ctx {
	const json_t *v;
	const struct tmpl_ctx *up;
};

/* Standalone partials inside standalone partials indent by the sum of
 * their indentations, outermost first. */
struct tmpl_indent {
	struct str s;
	const struct tmpl_indent *up;
};

struct tmpl_run {
	const struct tmpl_set *set;
	struct buf *out;
	const char *name; /* the template asked for, for the log */
	int depth;	  /* partials entered */
};

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->src);
	free(t->ops);
	free(t->parts);
	free(t);
}

static int
tmpl_name_cmp(const char *a, size_t alen, const struct tmpl *t)
{
	size_t n = alen < t->namelen ? alen : t->namelen;
	int c = n ? memcmp(a, t->name, n) : 0;

	if (c != 0)
		return c;
	return (alen > t->namelen) - (alen < t->namelen);
}

/* Returns where name is in the set (*found true) or where it would go. */
static size_t
tmpl_set_find(const struct tmpl_set *set, const char *name, size_t len,
    bool *found)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tmpl_name_cmp(name, len, set->v[mid]);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

static const struct tmpl *
tmpl_set_get(const struct tmpl_set *set, const char *name, size_t len)
{
	bool found;
	size_t i = tmpl_set_find(set, name, len, &found);

	return found ? set->v[i] : NULL;
}

static bool
tmpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static struct str
tmpl_trim(const char *s, size_t len)
{
	while (len > 0 && tmpl_is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && tmpl_is_space(s[len - 1]))
		len--;
	return (struct str){ s, len };
}

static size_t
tmpl_line(const char *s, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Writes "LABEL:LINE: message" for the source offset off; returns -1. */
static int tmpl_syntax(struct tmpl_parse *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tmpl_syntax(struct tmpl_parse *p, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%zu: ", p->label,
	    tmpl_line(p->t->src, off));
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Writes a message into err, which callers may pass as NULL. */
static void tmpl_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tmpl_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
tmpl_oom(struct tmpl_parse *p)
{
	tmpl_errf(p->err, p->errlen, "%s: out of memory", p->label);
	return -1;
}

/* Grows *v (of *cap elements of size sz) to hold n + 1. */
static int
tmpl_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / sz)
		return -1;
	if ((nv = realloc(*v, ncap * sz)) == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int
tmpl_push_op(struct tmpl *t, const struct tmpl_op *op)
{
	if (tmpl_grow((void **)&t->ops, &t->capops, t->nops, sizeof(*op)) == -1)
		return -1;
	t->ops[t->nops++] = *op;
	return 0;
}

/* A name must be one non-whitespace word. A dotted one is "." or parts
 * separated by single dots: "a..b" is a typo, not a lookup of "". */
static bool
tmpl_name_ok(struct str name, bool dotted)
{
	size_t i;

	if (name.len == 0)
		return false;
	for (i = 0; i < name.len; i++)
		if (tmpl_is_space(name.s[i]))
			return false;
	if (!dotted || (name.len == 1 && name.s[0] == '.'))
		return true;
	if (name.s[0] == '.' || name.s[name.len - 1] == '.')
		return false;
	for (i = 1; i < name.len; i++)
		if (name.s[i] == '.' && name.s[i - 1] == '.')
			return false;
	return true;
}

/* Splits a checked dotted name into t->parts, so rendering never parses. */
static int
tmpl_push_parts(struct tmpl *t, struct str name, struct tmpl_op *op)
{
	size_t i, start = 0;

	op->text = name;
	op->part = t->nparts;
	op->nparts = 0;
	if (name.len == 1 && name.s[0] == '.')
		return 0;
	for (i = 0; i <= name.len; i++) {
		if (i < name.len && name.s[i] != '.')
			continue;
		if (tmpl_grow((void **)&t->parts, &t->capparts, t->nparts,
			sizeof(*t->parts)) == -1)
			return -1;
		t->parts[t->nparts++] =
		    (struct str){ name.s + start, i - start };
		op->nparts++;
		start = i + 1;
	}
	return 0;
}

/* Appends the text [from, to) as an op; *bol says whether it starts a
 * line and is updated for whatever comes next. */
static int
tmpl_push_text(struct tmpl *t, size_t from, size_t to, bool *bol)
{
	struct tmpl_op op = { .kind = TMPL_OP_TEXT };

	if (from == to)
		return 0;
	op.text = (struct str){ t->src + from, to - from };
	op.bol = *bol;
	*bol = t->src[to - 1] == '\n';
	return tmpl_push_op(t, &op);
}

/* Returns the offset where the tag whose content starts at from closes:
 * the ctag itself, or when c is not NUL the c just before a ctag (the '}'
 * of "}}}", the '=' of "=}}"). SIZE_MAX when the tag never closes. */
static size_t
tmpl_find_close(const char *s, size_t len, size_t from, char c, struct str ctag)
{
	size_t at = from;

	while (at < len) {
		const char *p = memmem(s + at, len - at, ctag.s, ctag.len);
		size_t off;

		if (p == NULL)
			break;
		off = (size_t)(p - s);
		if (c == '\0')
			return off;
		if (off > from && s[off - 1] == c)
			return off - 1;
		at = off + 1;
	}
	return SIZE_MAX;
}

/* Whether the tag [tag, end) is alone on its line but for spaces and tabs.
 * pos is where the text before the tag starts: a tag ending there is on
 * the same line. If so *from is the line's start and *next is past its
 * newline ("\n" or "\r\n"), or the end of the source. */
static bool
tmpl_standalone(const char *s, size_t len, size_t pos, size_t tag, size_t end,
    size_t *from, size_t *next)
{
	size_t b = tag, e = end;

	while (b > pos && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	if (b > 0 && s[b - 1] != '\n')
		return false;
	while (e < len && (s[e] == ' ' || s[e] == '\t'))
		e++;
	if (e + 1 < len && s[e] == '\r' && s[e + 1] == '\n')
		e += 2;
	else if (e < len && s[e] == '\n')
		e++;
	else if (e < len)
		return false;
	*from = b;
	*next = e;
	return true;
}

/* Parses the content of {{=OPEN CLOSE=}}: two words, neither with '='. */
static bool
tmpl_parse_delims(struct str in, struct str *otag, struct str *ctag)
{
	size_t i = 0, j;

	while (i < in.len && !tmpl_is_space(in.s[i]))
		i++;
	j = i;
	while (j < in.len && tmpl_is_space(in.s[j]))
		j++;
	if (i == 0 || j == i || j == in.len)
		return false;
	*otag = (struct str){ in.s, i };
	*ctag = (struct str){ in.s + j, in.len - j };
	for (i = 0; i < ctag->len; i++)
		if (tmpl_is_space(ctag->s[i]))
			return false;
	return memchr(otag->s, '=', otag->len) == NULL &&
	    memchr(ctag->s, '=', ctag->len) == NULL;
}

/* Ends the innermost open section with the {{/name}} at tag. */
static int
tmpl_end_section(struct tmpl_parse *p, struct str name, size_t tag, bool alone)
{
	struct tmpl *t = p->t;
	struct tmpl_op *sec;

	if (p->nopen == 0)
		return tmpl_syntax(p, tag,
		    "end of section '%.*s' that is not open", (int)name.len,
		    name.s);
	sec = &t->ops[p->open[p->nopen - 1]];
	if (sec->text.len != name.len ||
	    memcmp(sec->text.s, name.s, name.len) != 0)
		return tmpl_syntax(p, tag,
		    "end of section '%.*s' while '%.*s' (line %zu) is open",
		    (int)name.len, name.s, (int)sec->text.len, sec->text.s,
		    tmpl_line(t->src, p->openat[p->nopen - 1]));
	/* An end tag that starts a line keeps that line's indentation
	 * inside the section, where the source has it. */
	if (!alone && p->bol) {
		struct tmpl_op op = { .kind = TMPL_OP_TEXT, .bol = true };

		op.text = (struct str){ t->src + tag, 0 };
		p->bol = false;
		if (tmpl_push_op(t, &op) == -1)
			return tmpl_oom(p);
	}
	p->nopen--;
	t->ops[p->open[p->nopen]].end = t->nops;
	return 0;
}

/* Appends the op for a tag at tag; a section also becomes the open one. */
static int
tmpl_push_tag(struct tmpl_parse *p, struct tmpl_op *op, struct str name,
    size_t tag, bool alone)
{
	struct tmpl *t = p->t;

	/* A standalone tag's line is gone: its indentation is composed into
	 * the partial's, not written before it. */
	if (!alone) {
		op->bol = p->bol;
		p->bol = false;
	}
	if (op->kind == TMPL_OP_PARTIAL)
		op->text = name;
	else if (tmpl_push_parts(t, name, op) == -1)
		return tmpl_oom(p);
	if (op->kind == TMPL_OP_SECTION || op->kind == TMPL_OP_INVERTED) {
		if (p->nopen == TMPL_MAX_NEST)
			return tmpl_syntax(p, tag,
			    "sections nested deeper than %d", TMPL_MAX_NEST);
		p->open[p->nopen] = t->nops;
		p->openat[p->nopen++] = tag;
	}
	if (tmpl_push_op(t, op) == -1)
		return tmpl_oom(p);
	return 0;
}

static int
tmpl_compile(struct tmpl_parse *p)
{
	struct tmpl *t = p->t;
	const char *s = t->src;
	size_t len = t->srclen, pos = 0;
	struct str otag = STR("{{"), ctag = STR("}}");

	p->bol = true;
	p->nopen = 0;
	while (pos < len) {
		const char *o = memmem(s + pos, len - pos, otag.s, otag.len);
		struct tmpl_op op = { .kind = TMPL_OP__MAX };
		size_t tag, body, close, end, from, next;
		bool alone = false;
		struct str name;
		char kind = '\0';

		if (o == NULL) {
			if (tmpl_push_text(t, pos, len, &p->bol) == -1)
				return tmpl_oom(p);
			break;
		}
		tag = (size_t)(o - s);
		body = tag + otag.len;
		if (body < len && strchr("#^/>!=&{", s[body]) != NULL)
			kind = s[body++];
		close = tmpl_find_close(s, len, body,
		    kind == '{'	    ? '}' :
			kind == '=' ? '=' :
				      '\0',
		    ctag);
		if (close == SIZE_MAX)
			return tmpl_syntax(p, tag, "unclosed tag");
		name = tmpl_trim(s + body, close - body);
		end = close + ctag.len + (kind == '{' || kind == '=');

		/* Only tags that print nothing themselves may vanish with
		 * their line; an interpolation never does. */
		if (kind != '\0' && kind != '&' && kind != '{')
			alone = tmpl_standalone(s, len, pos, tag, end, &from,
			    &next);
		if (!alone) {
			from = tag;
			next = end;
		}
		if (tmpl_push_text(t, pos, from, &p->bol) == -1)
			return tmpl_oom(p);

		switch (kind) {
		case '!': break;
		case '=':
			if (!tmpl_parse_delims(name, &otag, &ctag))
				return tmpl_syntax(p, tag,
				    "bad delimiters '%.*s'", (int)name.len,
				    name.s);
			break;
		case '/':
			if (tmpl_end_section(p, name, tag, alone) == -1)
				return -1;
			break;
		case '>':
			if (!tmpl_name_ok(name, false))
				return tmpl_syntax(p, tag, "bad name '%.*s'",
				    (int)name.len, name.s);
			op.kind = TMPL_OP_PARTIAL;
			op.standalone = alone;
			if (alone)
				op.indent = (struct str){ s + from, tag - from };
			break;
		default:
			if (!tmpl_name_ok(name, true))
				return tmpl_syntax(p, tag, "bad name '%.*s'",
				    (int)name.len, name.s);
			op.kind = kind == '#' ? TMPL_OP_SECTION :
			    kind == '^'	      ? TMPL_OP_INVERTED :
			    kind == '\0'      ? TMPL_OP_VAR :
						TMPL_OP_RAW;
			break;
		}
		if (op.kind != TMPL_OP__MAX &&
		    tmpl_push_tag(p, &op, name, tag, alone) == -1)
			return -1;
		if (alone)
			p->bol = true;
		pos = next;
	}
	if (p->nopen > 0) {
		const struct tmpl_op *sec = &t->ops[p->open[p->nopen - 1]];

		return tmpl_syntax(p, p->openat[p->nopen - 1],
		    "unclosed section '%.*s'", (int)sec->text.len, sec->text.s);
	}
	return 0;
}

struct tmpl_set *
tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free(set->v[i]);
	free(set->v);
	free(set);
}

/* tmpl_set_add() with label naming the source in error messages. */
static int
tmpl_set_put(struct tmpl_set *set, const char *name, const char *label,
    const char *src, size_t len, char *err, size_t errlen)
{
	struct tmpl_parse p = { .label = label, .err = err, .errlen = errlen };
	struct tmpl *t;
	size_t i;
	bool found;

	tmpl_errf(err, errlen, "%s", "");
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		tmpl_oom(&p);
		goto fail;
	}
	p.t = t;
	t->namelen = strlen(name);
	t->srclen = len;
	if ((t->name = strdup(name)) == NULL ||
	    (t->src = malloc(len + 1)) == NULL) {
		tmpl_oom(&p);
		goto fail;
	}
	if (len > 0)
		memcpy(t->src, src, len);
	t->src[len] = '\0';
	if (tmpl_compile(&p) == -1)
		goto fail;

	i = tmpl_set_find(set, t->name, t->namelen, &found);
	if (found) {
		tmpl_free(set->v[i]);
		set->v[i] = t;
		return 0;
	}
	if (tmpl_grow((void **)&set->v, &set->cap, set->n, sizeof(*set->v)) ==
	    -1) {
		tmpl_oom(&p);
		goto fail;
	}
	memmove(set->v + i + 1, set->v + i, (set->n - i) * sizeof(*set->v));
	set->v[i] = t;
	set->n++;
	return 0;
fail:
	tmpl_free(t);
	return -1;
}

int
tmpl_set_add(struct tmpl_set *set, const char *name, const char *src,
    size_t len, char *err, size_t errlen)
{
	return tmpl_set_put(set, name, name, src, len, err, errlen);
}

static int
tmpl_filter_html(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	/* Dot files are editor backups and lock files, not templates. */
	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".html") == 0;
}

/* Appends the file's bytes to b. -1 with errno set on failure. */
static int
tmpl_read_file(const char *path, struct buf *b)
{
	char chunk[8192];
	FILE *f;
	size_t n;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	if (ferror(f))
		rc = -1;
	else if (!buf_ok(b)) {
		errno = ENOMEM;
		rc = -1;
	}
	fclose(f);
	return rc;
}

int
tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err,
    size_t errlen)
{
	struct dirent **list = NULL;
	char *path = NULL, *name = NULL;
	struct buf src;
	int i, n, rc = -1;

	buf_init(&src);
	/* Sorted, so that "the first failure" is the same on every start. */
	if ((n = scandir(dir, &list, tmpl_filter_html, alphasort)) < 0) {
		tmpl_errf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		const char *file = list[i]->d_name;

		if (asprintf(&path, "%s/%s", dir, file) < 0) {
			path = NULL;
			tmpl_errf(err, errlen, "%s/%s: out of memory", dir,
			    file);
			goto fail;
		}
		if ((name = strndup(file, strlen(file) - 5)) == NULL) {
			tmpl_errf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		if (tmpl_read_file(path, &src) == -1) {
			tmpl_errf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (tmpl_set_put(set, name, path, src.data ? src.data : "",
			src.len, err, errlen) == -1)
			goto fail;
		buf_reset(&src);
		free(path);
		free(name);
		path = name = NULL;
	}
	rc = 0;
fail:
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(path);
	free(name);
	buf_reset(&src);
	return rc;
}

/* Falsey are a miss, null, false and the empty list. Every other value,
 * 0 and "" included, is truthy: the spec leaves those two to the host
 * language, and its reference implementation (Ruby) counts them truthy;
 * it also keeps the rule about JSON types alone. */
static bool
tmpl_truthy(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	return true;
}

/* The spec's dotted-name rule: the first part is looked for down the
 * context stack, the others only in what the part before found. */
static const json_t *
tmpl_lookup(const struct tmpl *t, const struct tmpl_op *op,
    const struct tmpl_ctx *ctx)
{
	const struct str *parts;
	const json_t *v = NULL;
	size_t i;

	/* Before the arithmetic: a template of only "." has no parts array. */
	if (op->nparts == 0)
		return ctx->v;
	parts = t->parts + op->part;
	for (; ctx != NULL; ctx = ctx->up)
		if (json_is_object(ctx->v) &&
		    (v = json_object_getn(ctx->v, parts[0].s, parts[0].len)) !=
			NULL)
			break;
	for (i = 1; v != NULL && i < op->nparts; i++)
		v = json_is_object(v) ?
		    json_object_getn(v, parts[i].s, parts[i].len) :
		    NULL;
	return v;
}

/* The shortest decimal that reads back as d: the spec wants 1.21, and
 * "%.17g" would print 1.2099999999999999. Whole numbers print without
 * a fraction or exponent, as 100 rather than 1e+02. The '.' relies on the
 * C locale: holos never calls setlocale(), ICU does its own formatting. */
static void
tmpl_format_real(char *s, size_t n, double d)
{
	int prec;

	if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
		snprintf(s, n, "%lld", (long long)d);
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(s, n, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			return;
	}
	snprintf(s, n, "%.17g", d);
}

/* Objects and arrays print nothing: there is no useful text for them,
 * and printing JSON would leak whatever else the handler put there. */
static void
tmpl_put_value(struct buf *out, const json_t *v, bool escape)
{
	char num[64];

	if (v == NULL)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (escape)
			buf_append_html(out, json_string_value(v),
			    json_string_length(v));
		else
			buf_append(out, json_string_value(v),
			    json_string_length(v));
		return;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		tmpl_format_real(num, sizeof(num), json_real_value(v));
		break;
	case JSON_TRUE: buf_puts(out, "true"); return;
	case JSON_FALSE: buf_puts(out, "false"); return;
	default: return;
	}
	/* Digits, sign, '.', 'e' and '+' need no escaping. */
	buf_puts(out, num);
}

static void
tmpl_put_indent(struct buf *out, const struct tmpl_indent *ind)
{
	if (ind == NULL)
		return;
	tmpl_put_indent(out, ind->up);
	buf_append(out, ind->s.s, ind->s.len);
}

/* Text with the partial's indentation after each newline but a final
 * one: the spec indents the lines of a partial, not the line after it. */
static void
tmpl_put_text(struct buf *out, struct str text, const struct tmpl_indent *ind)
{
	const char *p = text.s, *nl;
	size_t rest = text.len;

	while (ind != NULL && rest > 1 &&
	    (nl = memchr(p, '\n', rest - 1)) != NULL) {
		size_t n = (size_t)(nl - p) + 1;

		buf_append(out, p, n);
		tmpl_put_indent(out, ind);
		p += n;
		rest -= n;
	}
	buf_append(out, p, rest);
}

static int tmpl_run_ops(struct tmpl_run *r, const struct tmpl *t, size_t i,
    size_t end, const struct tmpl_ctx *ctx, const struct tmpl_indent *ind);

static int
tmpl_run_section(struct tmpl_run *r, const struct tmpl *t, size_t i,
    const struct tmpl_ctx *ctx, const struct tmpl_indent *ind)
{
	const struct tmpl_op *op = &t->ops[i];
	const json_t *v = tmpl_lookup(t, op, ctx);
	struct tmpl_ctx top = { v, ctx };
	size_t k;

	if (op->kind == TMPL_OP_INVERTED)
		return tmpl_truthy(v) ?
		    0 :
		    tmpl_run_ops(r, t, i + 1, op->end, ctx, ind);
	if (json_is_array(v)) {
		for (k = 0; k < json_array_size(v); k++) {
			top.v = json_array_get(v, k);
			if (tmpl_run_ops(r, t, i + 1, op->end, &top, ind) == -1)
				return -1;
		}
		return 0;
	}
	return tmpl_truthy(v) ? tmpl_run_ops(r, t, i + 1, op->end, &top, ind) :
				0;
}

static int
tmpl_run_partial(struct tmpl_run *r, const struct tmpl_op *op,
    const struct tmpl_ctx *ctx, const struct tmpl_indent *ind)
{
	struct tmpl_indent more = { op->indent, ind };
	const struct tmpl *p;
	int rc;

	if ((p = tmpl_set_get(r->set, op->text.s, op->text.len)) == NULL)
		return 0;
	/* Recursion through data (a tree of comments) is legitimate, but
	 * a partial that includes itself unconditionally, or a data cycle,
	 * must fail the page rather than the process. */
	if (r->depth >= TMPL_MAX_DEPTH) {
		log_warn("tmpl",
		    "event=partial_too_deep template=%s "
		    "partial=%.*s max=%d",
		    r->name, (int)op->text.len, op->text.s, TMPL_MAX_DEPTH);
		return -1;
	}
	/* An inline partial's lines are not indented at all. */
	if (!op->standalone)
		ind = NULL;
	else if (op->indent.len > 0)
		ind = &more;
	r->depth++;
	rc = tmpl_run_ops(r, p, 0, p->nops, ctx, ind);
	r->depth--;
	return rc;
}

/* Renders ops [i, end) of t. -1 when the render must stop. */
static int
tmpl_run_ops(struct tmpl_run *r, const struct tmpl *t, size_t i, size_t end,
    const struct tmpl_ctx *ctx, const struct tmpl_indent *ind)
{
	while (i < end) {
		const struct tmpl_op *op = &t->ops[i];

		if (op->bol)
			tmpl_put_indent(r->out, ind);
		switch (op->kind) {
		case TMPL_OP_TEXT: tmpl_put_text(r->out, op->text, ind); break;
		case TMPL_OP_VAR:
		case TMPL_OP_RAW:
			tmpl_put_value(r->out, tmpl_lookup(t, op, ctx),
			    op->kind == TMPL_OP_VAR);
			break;
		case TMPL_OP_SECTION:
		case TMPL_OP_INVERTED:
			if (tmpl_run_section(r, t, i, ctx, ind) == -1)
				return -1;
			i = op->end;
			continue;
		case TMPL_OP_PARTIAL:
			if (tmpl_run_partial(r, op, ctx, ind) == -1)
				return -1;
			break;
		case TMPL_OP__MAX: break;
		}
		i++;
	}
	/* Stops long loops early once the buffer has failed. */
	return buf_ok(r->out) ? 0 : -1;
}

int
tmpl_render(const struct tmpl_set *set, const char *name, const json_t *ctx,
    struct buf *out)
{
	struct tmpl_run r = { set, out, name, 0 };
	struct tmpl_ctx root = { ctx, NULL };
	const struct tmpl *t;

	if ((t = tmpl_set_get(set, name, strlen(name))) == NULL)
		return -1;
	if (tmpl_run_ops(&r, t, 0, t->nops, &root, NULL) == -1)
		return -1;
	return buf_ok(out) ? 0 : -1;
}
