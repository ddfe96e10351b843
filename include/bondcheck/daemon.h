/* SPDX-License-Identifier: MIT */
/*
 * daemon.h — bondcheckd: org.bondcheck.Manager1 at /org/bondcheck and one
 * org.bondcheck.Run1 per run at /org/bondcheck/run/N (doc/dbus-api.md).
 *
 * A run is submitted as a scenario's text (never a path) with options; the
 * daemon checks it, queues it, and runs it with the same runner as
 * `bondcheck run`, on a bus connection of its own (so its pairing agent is
 * its own). One run per adapter at a time, in submission order; runs on
 * different adapters proceed in parallel; nothing starts while bluetoothd is
 * away. Each run's log goes to STATE_DIR/logs and streams as Event signals.
 * The daemon never runs a command or opens a file a caller names: reboot
 * commands come only from its configuration file, by name.
 */
#ifndef BONDCHECK_DAEMON_H
#define BONDCHECK_DAEMON_H

#include <glib.h>

#include "bondcheck/bus.h"
#include "bondcheck/dconfig.h"
#include "bondcheck/scenario.h"

/* Scenario text accepted by StartRun, at most: a file's limit. */
#define DAEMON_MAX_SCENARIO SCN_MAX_SIZE

enum daemon_run_state {
	DAEMON_RUN_QUEUED,
	DAEMON_RUN_RUNNING,
	DAEMON_RUN_PASSED,
	DAEMON_RUN_FAILED,
	DAEMON_RUN_ERROR,
	DAEMON_RUN_CANCELLED,
};

const char *daemon_run_state_to_str(enum daemon_run_state s);

struct daemon_options {
	enum bus_kind bus_kind;  /* for each run's own connection */
	const char *bus_address; /* with BUS_KIND_ADDRESS */
	const char *state_dir;
	const struct dconfig *config;
	const char *bluez_version; /* for the logs; NULL: "unknown" */
	const char *kernel;
	int64_t ready_timeout_ms; /* bluetoothd/adapter wait per run; 0: 10 s */
};

struct daemon;

/* Exports the API on @bus (the caller owns the name afterwards). */
struct daemon *daemon_new(struct bus *bus, const struct daemon_options *o,
	GError **error);
void daemon_free(struct daemon *d);

/*
 * SIGTERM: refuse new runs, cancel the queued, interrupt the running;
 * @done runs once the last has finished and logged it.
 */
void daemon_shutdown(struct daemon *d, void (*done)(void *data), void *data);
unsigned daemon_runs_active(struct daemon *d);

#endif
