/* cli.c - the options of the commands that read their own (holos export,
 * deliver, user): each takes a value, and main's own may stand among
 * them. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* The getopt_long() value of a command's option i. */
#define CLI_FIRST 400

static const struct option main_options[] = { CLI_MAIN_OPTIONS };

#define NMAIN (sizeof(main_options) / sizeof(main_options[0]))

int
cli_options(int argc, char **argv, const struct cli_opt *opts, size_t n,
    int nargs, const char *usage)
{
	struct option lo[CLI_OPTS_MAX + NMAIN + 2];
	size_t i, m = 0;
	int ch;

	if (n > CLI_OPTS_MAX)
		fatal("cli", "%zu options, more than %d", n, CLI_OPTS_MAX);
	for (i = 0; i < n; i++)
		lo[m++] = (struct option){ opts[i].name, required_argument,
			NULL, CLI_FIRST + (int)i };
	for (i = 0; i < NMAIN; i++)
		lo[m++] = main_options[i];
	lo[m++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[m] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, true)) != -1) {
		if (ch >= CLI_FIRST && ch < CLI_FIRST + (int)n)
			*opts[ch - CLI_FIRST].value = optarg;
		else if (ch == 'h') {
			fputs(usage, stdout);
			return 0;
		} else if (ch != CLI_MAIN_OPTION) {
			fputs(usage, stderr);
			return 2;
		}
	}
	for (i = 0; i < n; i++)
		if (opts[i].required && *opts[i].value == NULL) {
			fprintf(stderr, "holos %s: --%s is needed\n", argv[0],
			    opts[i].name);
			goto usage;
		}
	if (nargs != -1 && argc - optind != nargs) {
		fprintf(stderr, "holos %s: %d operand%s expected, not %d\n",
		    argv[0], nargs, nargs == 1 ? "" : "s", argc - optind);
		goto usage;
	}
	return -1;
usage:
	fputs(usage, stderr);
	return 2;
}

/* The argv element that held the option getopt_long() just returned: the
 * one before its separate value, or the last one read. */
static const char *
option_text(char *const *argv)
{
	if (optind >= 2 && optarg != NULL && optarg == argv[optind - 1])
		return argv[optind - 2];
	return optind >= 1 ? argv[optind - 1] : "";
}

/* The length of the name in "--NAME" or "--NAME=VALUE". */
static size_t
name_len(const char *text)
{
	const char *eq = strchr(text, '=');

	return eq != NULL ? (size_t)(eq - text) : strlen(text);
}

int
cli_getopt(int argc, char **argv, const struct option *lo, bool report)
{
	const char *text;
	int li = -1, ch;

	opterr = 0;
	ch = getopt_long(argc, argv, ":h", lo, &li);
	if (ch == ':' || ch == '?') {
		const char *what =
		    ch == ':' ? "needs a value" : "is not an option";
		char shortopt[3] = { '-', '?', '\0' };

		if (!report)
			return '?';
		/* A long option is the element just read (getopt sets
		 * optopt to its value, or 0 when unknown); a short one is
		 * optopt. */
		text = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
		if (strncmp(text, "--", 2) != 0) {
			if (optopt > 32 && optopt < 127)
				shortopt[1] = (char)optopt;
			text = shortopt;
		}
		fprintf(stderr, "holos %s: %.*s %s\n", argv[0],
		    (int)name_len(text), text, what);
		return '?';
	}
	if (ch == -1 || li < 0)
		return ch;
	text = option_text(argv);
	if (strncmp(text, "--", 2) != 0 ||
	    name_len(text + 2) == strlen(lo[li].name))
		return ch;
	if (report)
		fprintf(stderr,
		    "holos %s: --%.*s is not an option; did you mean --%s?\n",
		    argv[0], (int)name_len(text + 2), text + 2, lo[li].name);
	return '?';
}
