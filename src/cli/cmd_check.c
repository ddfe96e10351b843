/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c — bondcheck check: validate scenario files without a device.
 * Every error of every file, each as FILE:LINE:COL: message.
 */
#include <stdio.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/scenario.h"
#include "cli.h"

bool cli_parse_sets(char **sets, GHashTable *vars)
{
	for (char **s = sets; s && *s; s++) {
		const char *eq = strchr(*s, '=');

		if (!eq || eq == *s) {
			cli_err("--set takes NAME=VALUE, not '%s'", *s);
			return false;
		}
		g_hash_table_replace(vars, g_strndup(*s, eq - *s),
			g_strdup(eq + 1));
	}
	return true;
}

void cli_print_scn_errors(GPtrArray *errors)
{
	for (guint i = 0; errors && i < errors->len; i++) {
		char *m = scn_error_format(g_ptr_array_index(errors, i));

		fprintf(stderr, "%s\n", m);
		g_free(m);
	}
}

int cmd_check(int argc, char **argv)
{
	char **sets = NULL;
	char *reboot_cmd = NULL;
	GOptionEntry entries[] = {
		{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
			"scenario variable, repeatable", "NAME=VALUE" },
		{ "reboot-cmd", 0, 0, G_OPTION_ARG_STRING, &reboot_cmd,
			"check as if run with --reboot-cmd", "CMD" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"SCENARIO... - validate scenario files");
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, g_free);
	struct scenario_options opts = { vars, false };
	int status = BC_EXIT_OK;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv) || !cli_parse_sets(sets, vars)) {
		status = BC_EXIT_USAGE;
		goto out;
	}
	if (argc < 2) {
		cli_err("check needs at least one scenario file");
		status = BC_EXIT_USAGE;
		goto out;
	}
	opts.have_reboot_cmd = reboot_cmd != NULL;
	for (int i = 1; i < argc; i++) {
		GPtrArray *errors = NULL;
		struct scenario *s = scenario_load(argv[i], &opts, &errors);

		if (s) {
			printf("%s: ok, \"%s\", %u step%s", argv[i], s->name,
				s->total_steps, s->total_steps == 1 ? "" : "s");
			for (guint c = 0; s->centrals->len > 1 &&
			     c < s->centrals->len; c++)
				printf("%s%s", c ? ", " : ", centrals ",
					scn_central_label(g_ptr_array_index(
						s->centrals, c)));
			printf("\n");
		} else {
			cli_print_scn_errors(errors);
			status = BC_EXIT_USAGE;
		}
		scenario_free(s);
		if (errors)
			g_ptr_array_free(errors, TRUE);
	}
out:
	g_option_context_free(ctx);
	g_hash_table_destroy(vars);
	g_strfreev(sets);
	g_free(reboot_cmd);
	return status;
}
