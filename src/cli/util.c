/* SPDX-License-Identifier: MIT */
/*
 * util.c — output helpers shared by the subcommands.
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "bondcheck/appinfo.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/names.h"
#include "cli.h"
#include "simhost.h"

bool cli_use_color(FILE *f)
{
	/* asked for every line printed: look once per stream */
	static int out = -1, err = -1;
	int *cached = f == stdout ? &out : f == stderr ? &err : NULL;
	const char *nc = getenv("NO_COLOR");
	bool yes;

	if (cached && *cached >= 0)
		return *cached;
	yes = !(nc && *nc) && isatty(fileno(f));
	if (cached)
		*cached = yes;
	return yes;
}

const char *cli_c(FILE *f, const char *sgr)
{
	return cli_use_color(f) ? sgr : "";
}

/* the last error said, for the reports of a run that did not start */
static char last_error[1024];

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bondcheck: %serror:%s %s\n",
		cli_c(stderr, "\033[1;31m"), cli_c(stderr, "\033[0m"),
		last_error);
}

const char *cli_last_error(void)
{
	return last_error;
}

void cli_set_last_error(const char *text)
{
	g_strlcpy(last_error, text ? text : "", sizeof(last_error));
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bondcheck: %swarning:%s ", cli_c(stderr, "\033[1;33m"),
		cli_c(stderr, "\033[0m"));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_stop_sim(struct simhost *h)
{
	char *how = simhost_stop(h);

	if (how)
		cli_warn("bondcheck-sim %s: that is a simulator bug unless it "
			 "was killed on purpose (the run's result stands)",
			how);
	g_free(how);
}

int cli_fail(const GError *error)
{
	cli_err("%s", error->message);
	return bcerror_exit_status(error);
}

int cli_daemon_fail(const GError *err)
{
	if (err->domain == BCERROR && err->code == BCERROR_NO_SERVICE) {
		cli_err("bondcheckd is not running (nobody owns %s on the "
			"system bus); start it: systemctl start bondcheckd",
			BC_SERVICE);
		return BC_EXIT_ENV;
	}
	if (err->domain == BCERROR && err->code == BCERROR_ACCESS_DENIED) {
		cli_err("not allowed to use bondcheckd: run as root or as a "
			"member of the group bondcheck (%s)",
			err->message);
		return BC_EXIT_ENV;
	}
	return cli_fail(err);
}

bool cli_parse(GOptionContext *ctx, int *argc, char ***argv)
{
	GError *err = NULL;

	appinfo_add_version_option(ctx, "bondcheck");
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		cli_err("%s (see --help)", err->message);
		g_error_free(err);
		return false;
	}
	return true;
}

void cli_watch_signals(guint ids[CLI_SIGNALS], GSourceFunc fn, void *data)
{
	static const int sigs[CLI_SIGNALS] = { SIGINT, SIGTERM, SIGHUP };

	for (size_t i = 0; i < CLI_SIGNALS; i++)
		ids[i] = g_unix_signal_add(sigs[i], fn, data);
}

void cli_unwatch_signals(guint ids[CLI_SIGNALS])
{
	for (size_t i = 0; i < CLI_SIGNALS; i++) {
		if (ids[i])
			g_source_remove(ids[i]);
		ids[i] = 0;
	}
}

void cli_print_json_line(JsonBuilder *b)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	char *line = jsontext_generate(g, root, NULL);

	printf("%s\n", line);
	g_free(line);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
}
