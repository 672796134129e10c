/* cli.h - what the commands that parse their own options (holos export,
 * deliver, moderate) share: the options main reads before them. */
#ifndef HOLOS_CLI_H
#define HOLOS_CLI_H

#include <getopt.h>

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

#endif
