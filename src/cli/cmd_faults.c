/* SPDX-License-Identifier: MIT */
/*
 * cmd_faults.c — bondcheck faults: the simulator's faults, one line each;
 * with --settings, its settings (--sim-opt KEY=VALUE) instead.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/sim.h"
#include "bondcheck/simopt.h"
#include "cli.h"

/* One line of --json: {"name": ..., "argument": ..., "summary": ...} */
static void print_json(const char *name, const char *arg_key, const char *arg,
	const char *summary)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, name);
	json_builder_set_member_name(b, arg_key);
	if (arg)
		json_builder_add_string_value(b, arg);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "summary");
	json_builder_add_string_value(b, summary);
	json_builder_end_object(b);
	cli_print_json_line(b);
}

static void print_settings(bool json)
{
	size_t n;
	const struct sim_opt_info *o = sim_opt_list(&n);

	for (size_t i = 0; i < n; i++) {
		char *name = g_strdup_printf("%s=%s", o[i].key, o[i].value);

		if (json)
			print_json(o[i].key, "value", o[i].value, o[i].summary);
		else
			printf("%-32s %s\n", name, o[i].summary);
		g_free(name);
	}
}

int cmd_faults(int argc, char **argv)
{
	gboolean json = FALSE, settings = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
			"one JSON object per fault", NULL },
		{ "settings", 0, 0, G_OPTION_ARG_NONE, &settings,
			"the simulator's settings (--sim-opt KEY=VALUE) instead",
			NULL },
		{ NULL },
	};
	GOptionContext *ctx =
		g_option_context_new("- list the simulator's faults");

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv) || argc > 1) {
		g_option_context_free(ctx);
		return BC_EXIT_USAGE;
	}
	g_option_context_free(ctx);
	if (settings) {
		print_settings(json);
		return BC_EXIT_OK;
	}
	for (int f = 0; f < SIM_FAULT_COUNT; f++) {
		const struct sim_fault_info *i = sim_fault_info(f);
		char *name = i->arg_help ? g_strdup_printf("%s=%s", i->name,
						   i->arg_help) :
		                           g_strdup(i->name);

		if (json) {
			print_json(i->name, "argument", i->arg_help,
				i->summary);
		} else {
			printf("%-32s %s\n", name, i->summary);
		}
		g_free(name);
	}
	return BC_EXIT_OK;
}
