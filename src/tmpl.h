/* tmpl.h - Mustache templates: compiled once, HTML-escaped by default. */
#ifndef HOLOS_TMPL_H
#define HOLOS_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* Partials may nest this deep; deeper recursion fails the render instead of
 * exhausting the stack. */
#define TMPL_MAX_DEPTH 32
/* Sections may nest this deep inside one template (a compile error past it),
 * which with TMPL_MAX_DEPTH bounds the renderer's recursion. */
#define TMPL_MAX_NEST 64

/* A named set of compiled templates. Built at start-up, then read-only. */
struct tmpl_set;

/* Returns an empty set, or NULL when out of memory. Free it with
 * tmpl_set_free(). */
struct tmpl_set *tmpl_set_new(void);

/* Frees the set and every template in it. NULL is a no-op. */
void tmpl_set_free(struct tmpl_set *set);

/* Compiles len bytes of src as template name, replacing any template of the
 * same name; src and name are copied. Returns 0 on success. On a syntax
 * error (unclosed tag, unclosed or mismatched section, bad delimiter, empty
 * or malformed name, sections nested deeper than TMPL_MAX_NEST) returns -1,
 * writes "NAME:LINE: message" into err (errlen bytes, NUL-terminated; err
 * may be NULL) and leaves the set unchanged. Also returns -1 with
 * "NAME: out of memory" when allocation fails. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *src,
    size_t len, char *err, size_t errlen);

/* Adds every DIR/NAME.html (not starting with '.') as template NAME, in
 * name order. Returns 0 on success (also for a directory without templates).
 * On the first failure returns -1 with "FILE:LINE: message" in err for a
 * syntax error or "FILE: message" for an I/O error; templates added before
 * the failure stay in the set. */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err,
    size_t errlen);

/* Renders template name with the context ctx (any JSON value; NULL renders
 * as an empty context), appending to out. Missing variables and missing
 * partials render as the empty string, per the Mustache spec. Returns 0 on
 * success; -1 when no template is called name, when partials nest deeper
 * than TMPL_MAX_DEPTH (logged) or when out ran out of memory; out may then
 * hold part of the page and the caller discards it. ctx is only read. Safe
 * to call from several threads at once on a set no longer being added to. */
int tmpl_render(const struct tmpl_set *set, const char *name, const json_t *ctx,
    struct buf *out);

#endif
