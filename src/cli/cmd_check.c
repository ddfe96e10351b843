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

/* --set or --set-new NAME=VALUE into @vars. */
static bool parse_sets(const char *opt, char **sets, GHashTable *vars)
{
	for (char **s = sets; s && *s; s++) {
		const char *eq = strchr(*s, '=');
		char *name;

		if (!eq || eq == *s) {
			cli_err("%s takes NAME=VALUE, not '%s'", opt, *s);
			return false;
		}
		name = g_strndup(*s, eq - *s);
		if (!scenario_var_name_ok(name)) {
			cli_err("%s '%s': '%s' is not a variable name (letters, "
				"digits and _, not starting with a digit)",
				opt, *s, name);
			g_free(name);
			return false;
		}
		g_hash_table_replace(vars, name, g_strdup(eq + 1));
	}
	return true;
}

bool cli_parse_sets(char **sets, char **sets_new, GHashTable *vars)
{
	return parse_sets("--set-new", sets_new, vars) &&
	       parse_sets("--set", sets, vars);
}

bool cli_check_sets(char **sets, struct scenario *const *scns, guint n)
{
	for (char **s = sets; s && *s; s++) {
		char *name = g_strndup(*s, strcspn(*s, "="));
		char *why = scenario_unused_var(scns, n, name);

		g_free(name);
		if (why) {
			cli_err("--set %s: %s; --set-new defines a variable on "
				"purpose",
				*s, why);
			g_free(why);
			return false;
		}
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
	char **sets = NULL, **sets_new = NULL;
	char *reboot_cmd = NULL;
	GOptionEntry entries[] = {
		{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
			"scenario variable, repeatable; a scenario must use it",
			"NAME=VALUE" },
		{ "set-new", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets_new,
			"a variable whether or not a scenario uses it, "
			"repeatable",
			"NAME=VALUE" },
		{ "reboot-cmd", 0, 0, G_OPTION_ARG_STRING, &reboot_cmd,
			"check as if run with --reboot-cmd", "CMD" },
		{ NULL },
	};
	GOptionContext *ctx =
		g_option_context_new("SCENARIO... - validate scenario files");
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, g_free);
	struct scenario_options opts = { vars, false };
	GPtrArray *scns =
		g_ptr_array_new_with_free_func((GDestroyNotify)scenario_free);
	int status = BC_EXIT_OK;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv) ||
		!cli_parse_sets(sets, sets_new, vars)) {
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
			for (guint c = 0;
				s->centrals->len > 1 && c < s->centrals->len;
				c++)
				printf("%s%s", c ? ", " : ", centrals ",
					scn_central_label(g_ptr_array_index(
						s->centrals, c)));
			printf("\n");
			g_ptr_array_add(scns, s);
		} else {
			cli_print_scn_errors(errors);
			status = BC_EXIT_USAGE;
		}
		if (errors)
			g_ptr_array_free(errors, TRUE);
	}
	/* a --set no scenario uses is a typo until said otherwise */
	if (status == BC_EXIT_OK &&
		!cli_check_sets(sets, (struct scenario *const *)scns->pdata,
			scns->len))
		status = BC_EXIT_USAGE;
out:
	g_option_context_free(ctx);
	g_ptr_array_free(scns, TRUE);
	g_hash_table_destroy(vars);
	g_strfreev(sets);
	g_strfreev(sets_new);
	g_free(reboot_cmd);
	return status;
}
