/* cli.h - what the commands that parse their own options (holos export,
 * deliver, user, moderate) share: the options main reads before them, and
 * the reader of options that each take a value. */
#ifndef HOLOS_CLI_H
#define HOLOS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* What getopt_long() returns for any of CLI_MAIN_OPTIONS: a command
 * skips it. */
#define CLI_MAIN_OPTION 1

/* main's options, read before the command's own: a command lists them in
 * its table so that they may stand anywhere on the line. */
/* clang-format off */
#define CLI_MAIN_OPTIONS \
	{ "data", required_argument, NULL, CLI_MAIN_OPTION }, \
	{ "db", required_argument, NULL, CLI_MAIN_OPTION }, \
	{ "share", required_argument, NULL, CLI_MAIN_OPTION }, \
	{ "base-url", required_argument, NULL, CLI_MAIN_OPTION }, \
	{ "site-name", required_argument, NULL, CLI_MAIN_OPTION }
/* clang-format on */

/* The most options cli_options() takes for one command. */
#define CLI_OPTS_MAX 8

/* One of a command's options, "--name VALUE": where its value goes (left
 * alone when the option is not given), and whether the command needs it. */
struct cli_opt {
	const char *name;
	const char **value;
	bool required;
};

/* Reads the options of argv, a command's line (argv[0] its name): the n
 * opts[] (at most CLI_OPTS_MAX), main's (skipped) and -h/--help, then
 * checks that each required option was given and, when nargs is not -1,
 * that nargs operands follow. Returns -1 when the command goes on, with
 * optind at its first operand; otherwise the status to exit with: 0 after
 * --help wrote usage to stdout, 2 after a message on what is wrong and
 * usage on stderr. Values point into argv. */
int cli_options(int argc, char **argv, const struct cli_opt *opts, size_t n,
    int nargs, const char *usage);

/* getopt_long() over lo with optstring "h" (-h) for the command argv[0],
 * with holos's own messages: returns the next option's value, -1 at the
 * end, or '?' for an unknown option, one without its value, or one written
 * as a shorter prefix of its name (getopt_long() takes any unambiguous
 * prefix; holos takes whole names only, so that "--password" is never read
 * as "--password-memory", nor a command's own option as one of main's).
 * When report is true, '?' comes after "holos CMD: ..." on stderr. */
int cli_getopt(int argc, char **argv, const struct option *lo, bool report);

#endif
