/* SPDX-License-Identifier: MIT */
/*
 * genlog_main.c — bc-genlog: write a synthetic soak-run log of about N
 * events to standard output, for make bench's compare and report figures.
 * Usage: bc-genlog EVENTS [FAIL]   (FAIL: the reconnect of the last cycle
 * fails, as a regression would)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/genlog.h"

int main(int argc, char **argv)
{
	struct genlog_opts o;
	unsigned long long events;
	char *end = NULL;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bc-genlog EVENTS [fail]\n");
		return 2;
	}
	events = strtoull(argv[1], &end, 10);
	if (!end || *end || events < 10 || events > 1000000000ull) {
		fprintf(stderr, "bc-genlog: EVENTS: a number from 10 up\n");
		return 2;
	}
	genlog_opts_init(&o);
	o.cycles = genlog_cycles_for(&o, events);
	if (argc == 3 && !strcmp(argv[2], "fail"))
		o.fail_cycle = o.cycles;
	genlog_write(stdout, &o);
	return fflush(stdout) == 0 ? 0 : 1;
}
