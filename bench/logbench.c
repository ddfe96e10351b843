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
	gint64 n;
	double s;

	if (argc != 3 ||
		!g_ascii_string_to_signed(argv[2], 10, 1, G_MAXLONG, &n, NULL))
		return 2;
	log = evlog_new(argv[1], &err);
	if (!log) {
		fprintf(stderr, "bc-logbench: %s\n", err->message);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (gint64 i = 0; i < n; i++) {
		JsonBuilder *bld = evlog_begin_event(log, LOG_EVENT_BLUEZ);

		log_add_str(bld, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_PROPERTY));
		log_add_str(bld, LOG_KEY_PATH,
			"/org/bluez/hci0/dev_C0_FF_EE_00_13_42");
		log_add_str(bld, LOG_KEY_IFACE, "org.bluez.Device1");
		log_add_str(bld, LOG_KEY_NAME, "Connected");
		log_add_bool(bld, LOG_KEY_VALUE, (i & 1) != 0);
		evlog_end(log, bld);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (evlog_error(log)) {
		fprintf(stderr, "bc-logbench: %s\n", evlog_error(log)->message);
		return 1;
	}
	evlog_free(log);
	printf("%.0f %" G_GINT64_FORMAT "\n", (double)n / s, n);
	return 0;
}
