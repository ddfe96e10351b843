/* SPDX-License-Identifier: MIT */
/*
 * cmd_compare.c — bondcheck compare: what changed between two runs (two
 * firmware builds), in text, JSON or (--html) one HTML file. Exit 1 when NEW regressed, 0 otherwise, 2 for a file that
 * is not a bondcheck log of a schema we read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/compare.h"
#include "bondcheck/duration.h"
#include "bondcheck/jsontext.h"
#include "cli.h"

static unsigned out_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	guint64 n;

	if (isatty(STDOUT_FILENO) &&
		ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	/* COLUMNS is anybody's: a number from 40 to 10000, or the default */
	if (cols && g_ascii_string_to_unsigned(cols, 10, 40, 10000, &n, NULL))
		return (unsigned)n;
	return 160;
}

int cmd_compare(int argc, char **argv)
{
	gboolean json = FALSE, fail_slower = FALSE;
	double threshold = 1.5;
	char *min_delta = NULL, *html = NULL;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
			"the findings as one JSON object", NULL },
		{ "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
			"flag a step name whose median or worst time grew by "
			"this factor (default 1.5)",
			"F" },
		{ "min-slowdown", 0, 0, G_OPTION_ARG_STRING, &min_delta,
			"...and by at least this much (default 100ms)",
			"DURATION" },
		{ "fail-on-slower", 0, 0, G_OPTION_ARG_NONE, &fail_slower,
			"exit 1 for a flagged slow-down too", NULL },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &html,
			"also write the findings as an HTML report (one "
			"self-contained file)",
			"FILE" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"BASE.jsonl NEW.jsonl - what changed between two runs");
	struct compare_options opt;
	struct compare *c = NULL;
	GError *err = NULL;
	int status = BC_EXIT_USAGE;

	compare_options_init(&opt);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv))
		goto out;
	if (argc != 3) {
		cli_err("compare takes two run logs: BASE.jsonl NEW.jsonl");
		goto out;
	}
	if (!(threshold >= 1.0) || threshold > 1000) {
		cli_err("--threshold takes a factor from 1 to 1000, like 1.5");
		goto out;
	}
	opt.threshold = threshold;
	if (min_delta) {
		int64_t ms;

		if (!duration_parse(min_delta, &ms, &err)) {
			cli_err("--min-slowdown: %s", err->message);
			g_error_free(err);
			goto out;
		}
		opt.min_delta_ms = ms;
	}
	c = compare_logs(argv[1], argv[2], &opt, &err);
	if (!c) {
		status = cli_fail(err);
		g_error_free(err);
		goto out;
	}
	if (html && !compare_html(c, html, &err)) {
		status = cli_fail(err);
		g_error_free(err);
		goto out;
	}
	if (json) {
		JsonNode *root = compare_to_json(c);
		char *s = jsontext_to_string(root, TRUE);

		printf("%s\n", s);
		g_free(s);
		json_node_unref(root);
	} else {
		compare_print(c, stdout, cli_use_color(stdout), out_width());
	}
	status = compare_regressed(c) || (fail_slower && compare_slower(c)) ?
	                 BC_EXIT_FAILED :
	                 BC_EXIT_OK;
out:
	compare_free(c);
	g_option_context_free(ctx);
	g_free(min_delta);
	g_free(html);
	return status;
}
