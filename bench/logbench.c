/* SPDX-License-Identifier: MIT */
/*
 * logbench.c — bc-logbench: how many events per second the run log
 * writes (json-glib, one write(2) per line, as a run does), with events
 * shaped like the engine's commonest: a BlueZ property change.
 *
 * Usage: bc-logbench FILE EVENTS      Prints "<events per s> <events>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bondcheck/evlog.h"

int main(int argc, char **argv)
{
	struct evlog *log;
	struct timespec a, b;
	GError *err = NULL;
	long n;
	double s;

	if (argc != 3 || (n = atol(argv[2])) <= 0)
		return 2;
	log = evlog_new(argv[1], &err);
	if (!log) {
		fprintf(stderr, "bc-logbench: %s\n", err->message);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		JsonBuilder *bld = evlog_begin(log, "bluez");

		json_builder_set_member_name(bld, "event");
		json_builder_add_string_value(bld, "property");
		json_builder_set_member_name(bld, "path");
		json_builder_add_string_value(bld,
			"/org/bluez/hci0/dev_C0_FF_EE_00_13_42");
		json_builder_set_member_name(bld, "iface");
		json_builder_add_string_value(bld, "org.bluez.Device1");
		json_builder_set_member_name(bld, "name");
		json_builder_add_string_value(bld, "Connected");
		json_builder_set_member_name(bld, "value");
		json_builder_add_boolean_value(bld, i & 1);
		evlog_end(log, bld);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (evlog_error(log)) {
		fprintf(stderr, "bc-logbench: %s\n", evlog_error(log)->message);
		return 1;
	}
	evlog_free(log);
	printf("%.0f %ld\n", (double)n / s, n);
	return 0;
}
