/* SPDX-License-Identifier: MIT */
/*
 * main.c — bondcheck: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a scenario against a device or the simulator" },
	{ "check", cmd_check, "validate scenario files (no device needed)" },
	{ "compare", cmd_compare, "what changed between two runs (two firmware builds)" },
	{ "report", cmd_report, "summary and JUnit XML of an existing run log" },
	{ "runs", cmd_runs, "bondcheckd's runs: queued, running, finished" },
	{ "cancel", cmd_cancel, "cancel one of bondcheckd's runs" },
	{ "scan", cmd_scan, "list nearby devices (address, name, RSSI, bond state)" },
	{ "sim", cmd_sim, "run the simulator on a private bus; prints its address" },
	{ "faults", cmd_faults, "list the simulator's faults, one line each" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: bondcheck COMMAND [OPTIONS]\n\n"
		   "A BLE test central: pairs, bonds, reboots and reconnects a "
		   "device and flags\nthe firmware regressions that break bonds.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'bondcheck COMMAND --help' shows a command's options; "
		   "man bondcheck(1) has the rest.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return BC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return BC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("bondcheck %s\n", BONDCHECK_VERSION);
		return BC_EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return BC_EXIT_USAGE;
}
