/* msgfmt.h - ICU MessageFormat with named arguments, for C.
 *
 * ICU's C API (umsg_*) only takes numbered arguments through varargs, where a
 * translation that changes an argument's type would read the wrong type off
 * the stack. ICU's C++ MessageFormat takes named, typed arguments and reports
 * a mismatch as an error, so this small bridge (msgfmt.cc) is the one file of
 * C++ in holos. */
#ifndef HOLOS_MSGFMT_H
#define HOLOS_MSGFMT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct msgfmt;

enum msgfmt_type { MSGFMT_NUMBER, MSGFMT_STRING, MSGFMT_DATE };

struct msgfmt_arg {
	const char *name;
	enum msgfmt_type type;
	double num;	 /* MSGFMT_NUMBER; MSGFMT_DATE in ms since 1970 */
	const char *str; /* MSGFMT_STRING, UTF-8 */
};

/* An argument named n: the number v, or the string s. */
#define MSGFMT_NUM(n, v)                   \
	((struct msgfmt_arg){ .name = (n), \
	    .type = MSGFMT_NUMBER,         \
	    .num = (double)(v) })
#define MSGFMT_STR(n, s) \
	((struct msgfmt_arg){ .name = (n), .type = MSGFMT_STRING, .str = (s) })

/* Parses a UTF-8 pattern for a locale ("ru", "en-GB"). Returns NULL on a
 * syntax error or an argument type ICU does not know, with ICU's message
 * and the offset in err. Free with msgfmt_close(). ICU's formatter itself
 * is built at the first msgfmt_format() or msgfmt_build(): a process
 * builds only those of the messages it formats. */
struct msgfmt *msgfmt_open(const char *locale, const char *pattern, size_t len,
    char *err, size_t errlen);

/* Builds m's formatter now, if not yet built. Returns 0, or -1 with ICU's
 * error in err (an argument style it rejects, out of memory). Thread-safe. */
int msgfmt_build(struct msgfmt *m, char *err, size_t errlen);

void msgfmt_close(struct msgfmt *m);

/* Number of distinct arguments the pattern names, and the i-th name
 * (NUL-terminated, owned by m) through name; i < the count. */
size_t msgfmt_arg_count(const struct msgfmt *m);
const char *msgfmt_arg_name(const struct msgfmt *m, size_t i);

/* Formats with n named arguments; writes NUL-terminated UTF-8 to a malloc'd
 * string (caller frees) and its length to *outlen. Returns NULL when an
 * argument is missing or of the wrong type, the formatter cannot be built
 * (msgfmt_build()), or out of memory. Thread-safe:
 * concurrent calls on one m are serialised. */
char *msgfmt_format(struct msgfmt *m, const struct msgfmt_arg *args, size_t n,
    size_t *outlen);

#ifdef __cplusplus
}
#endif

#endif
