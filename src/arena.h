/* arena.h - per-request memory: many allocations, one free. */
#ifndef HOLOS_ARENA_H
#define HOLOS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* Returns a new arena, or NULL when out of memory. Free with arena_free(). */
struct arena *arena_new(void);

/* Frees the arena and everything allocated from it. NULL is a no-op. */
void arena_free(struct arena *a);

/* Returns n bytes aligned for any type, zeroed; NULL when out of memory.
 * The memory lives until arena_free(). */
void *arena_alloc(struct arena *a, size_t n);

/* Copies n bytes of s and appends a NUL. Returns NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Copies n bytes of p (not NUL-terminated). Returns NULL when out of
 * memory. */
void *arena_memdup(struct arena *a, const void *p, size_t n);

/* Copies a NUL-terminated string. Returns NULL when out of memory or s is NULL. */
char *arena_strdup(struct arena *a, const char *s);

/* printf into the arena. Returns NULL when out of memory. */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

#endif
