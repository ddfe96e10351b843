/* SPDX-License-Identifier: MIT */
/*
 * main.c — bondcheck: dispatch to a subcommand; -V; `bondcheck help` for a
 * command, a verdict or a simulator fault.
 */
#include <stdio.h>
#include <string.h>

#include "bondcheck/appinfo.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/sim.h"
#include "bondcheck/verdict.h"
#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run scenarios against a device or the simulator" },
	{ "check", cmd_check, "validate scenario files (no device needed)" },
	{ "compare", cmd_compare,
		"what changed between two runs (two firmware builds)" },
	{ "report", cmd_report,
		"summary and JUnit XML of an existing run log" },
	{ "runs", cmd_runs, "bondcheckd's runs: queued, running, finished" },
	{ "cancel", cmd_cancel, "cancel one of bondcheckd's runs" },
	{ "scan", cmd_scan,
		"list nearby devices (address, name, RSSI, bond state)" },
	{ "sim", cmd_sim,
		"run the simulator on a private bus; prints its address" },
	{ "faults", cmd_faults, "list the simulator's faults, one line each" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bondcheck COMMAND [OPTIONS]\n\n"
		"A BLE test central: pairs, bonds, reboots and reconnects a "
		"device and flags\nthe firmware regressions that break bonds.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'bondcheck help COMMAND' (or 'bondcheck COMMAND --help') "
		   "shows a command's options;\n'bondcheck help verdicts' what "
		   "each verdict means; man bondcheck(1) has the rest.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int run_command(const struct command *c, int argc, char **argv)
{
	/* GOption's usage line names the program: "bondcheck run" */
	char *prg = g_strdup_printf("bondcheck %s", c->name);
	int status;

	g_set_prgname(prg);
	status = c->fn(argc, argv);
	g_free(prg);
	return status;
}

/* bondcheck help [COMMAND | verdicts | VERDICT | FAULT] */
static int help(const char *topic)
{
	const struct command *c;
	enum verdict v;
	enum sim_fault f;

	if (!topic) {
		usage(stdout);
		return BC_EXIT_OK;
	}
	c = find_command(topic);
	if (c) {
		char *argv[] = { (char *)c->name, (char *)"--help", NULL };

		return run_command(c, 2, argv); /* GOption exits 0 */
	}
	if (strcmp(topic, "verdicts") == 0) {
		for (int i = 0; i < VERDICT_COUNT; i++)
			printf("%-28s %s\n", verdict_to_str(i),
				verdict_explain(i));
		return BC_EXIT_OK;
	}
	if (verdict_from_str(topic, &v)) {
		printf("%s (verdict): %s\n", verdict_to_str(v),
			verdict_explain(v));
		return BC_EXIT_OK;
	}
	if (sim_fault_lookup(topic, &f)) {
		const struct sim_fault_info *i = sim_fault_info(f);
		char *doc = appinfo_doc_path("simulator.md");

		printf("%s%s%s (simulator fault): %s\nSee %s.\n", i->name,
			i->arg_help ? "=" : "", i->arg_help ? i->arg_help : "",
			i->summary, doc);
		g_free(doc);
		return BC_EXIT_OK;
	}
	cli_err("no help on '%s': a command, 'verdicts', a verdict or a "
		"fault ('bondcheck help' lists the commands)",
		topic);
	return BC_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return BC_EXIT_USAGE;
	}
	const struct command *c;

	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return BC_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc > 3) {
			cli_err("help takes one topic");
			return BC_EXIT_USAGE;
		}
		return help(argv[2]);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("bondcheck %s\n", BONDCHECK_VERSION);
		return BC_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (c)
		return run_command(c, argc - 1, argv + 1);
	cli_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return BC_EXIT_USAGE;
}
