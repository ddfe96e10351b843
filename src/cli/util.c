/*
 * util.c — output helpers shared by the subcommands.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "cli.h"

bool cli_use_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	if (nc && *nc)
		return false;
	return isatty(fileno(f));
}

const char *cli_c(FILE *f, const char *sgr)
{
	return cli_use_color(f) ? sgr : "";
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bondcheck: %serror:%s ", cli_c(stderr, "\033[1;31m"),
		cli_c(stderr, "\033[0m"));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_fail(const GError *error)
{
	cli_err("%s", error->message);
	return bcerror_exit_status(error);
}

bool cli_parse(GOptionContext *ctx, int *argc, char ***argv)
{
	GError *err = NULL;

	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		cli_err("%s (see --help)", err->message);
		g_error_free(err);
		return false;
	}
	return true;
}
