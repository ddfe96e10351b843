/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c — bondcheck report: what an existing run log came to, in
 * text, as JUnit XML with --junit, and as one HTML file with --html. Exit 0 when the run passed, 1 when it
 * did not, 2 when the log cannot be read (FILE:LINE:COL).
 */
#include <stdio.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/logread.h"
#include "bondcheck/report.h"
#include "cli.h"

int cmd_report(int argc, char **argv)
{
	char *junit = NULL, *html = NULL;
	GOptionEntry entries[] = {
		{ "junit", 0, 0, G_OPTION_ARG_FILENAME, &junit,
			"also write a JUnit XML report", "FILE" },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &html,
			"also write an HTML report (one self-contained file)",
			"FILE" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"LOG.jsonl - summary (and JUnit XML, HTML) of a run log");
	struct logread *lr = NULL;
	struct report *rep = report_new();
	GError *err = NULL;
	int status = BC_EXIT_USAGE, rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv))
		goto out;
	if (argc != 2) {
		cli_err("report takes one run log");
		goto out;
	}
	lr = logread_open(argv[1], &err);
	if (!lr)
		goto fail;
	if (junit && !report_junit(rep, junit, argv[1], &err))
		goto fail;
	if (html && !report_html(rep, html, argv[1], &err))
		goto fail;
	/* raw events are checked, not built: the report does not need them */
	logread_set_skim(lr, true);
	while ((rc = logread_next(lr, NULL, &err)) > 0)
		report_add(rep, logread_event(lr));
	if (rc < 0)
		goto fail;
	if (!report_finish(rep, &err))
		goto fail;
	report_print(rep, stdout, cli_use_color(stdout),
		REPORT_RUN | REPORT_OUTCOME | REPORT_COUNTS | REPORT_LATENCY);
	if (junit)
		printf("JUnit: %s\n", junit);
	if (html)
		printf("HTML: %s\n", html);
	status = report_exit_status(rep);
	goto out;
fail:
	status = cli_fail(err);
	g_error_free(err);
out:
	logread_free(lr);
	report_free(rep);
	g_option_context_free(ctx);
	g_free(junit);
	g_free(html);
	return status;
}
