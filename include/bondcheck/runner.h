/* SPDX-License-Identifier: MIT */
/*
 * runner.h — one run, wired to the world: a model kept current by the
 * mirror, the D-Bus back end, our agent, OS triggers and the GLib clock,
 * around one engine. Used by `bondcheck run` and by bondcheckd, so both run
 * scenarios the same way.
 */
#ifndef BONDCHECK_RUNNER_H
#define BONDCHECK_RUNNER_H

#include <stdio.h>

#include "bondcheck/bus.h"
#include "bondcheck/engine.h"

struct runner;

/* A simulator's Trace signal, at most (bytes); a longer one, or one nested
 * deeper than JSONTEXT_MAX_DEPTH, is logged as a "trace-dropped" trace. */
#define RUNNER_MAX_TRACE (64u * 1024)

struct runner_options {
	struct engine_config engine;
	bool sim_trace;         /* record org.bondcheck.Sim1.Trace */
	FILE *prompt_to;        /* via=manual asks here (NULL: log only) */
	bool not_default_agent; /* register our agent, but do not ask to be
				  * bluetoothd's default agent */
};

typedef void (*runner_done_fn)(struct runner *r,
	const struct engine_result *result, void *user_data);

struct runner *runner_new(struct bus *bus, struct scenario *scn,
	struct evlog *log, const struct runner_options *opts);
void runner_free(struct runner *r);
void runner_start(struct runner *r, runner_done_fn fn, void *user_data);
void runner_interrupt(struct runner *r);
struct engine *runner_engine(struct runner *r);

/* "5.66" from bluetoothd --version, or NULL. */
char *runner_bluez_version(void);
/* uname -r */
char *runner_kernel(void);

#endif
