/* SPDX-License-Identifier: MIT */
/*
 * simopt.h — the simulated DUT's and adapters' settings as users give them:
 * `bondcheck run --sim --sim-opt KEY=VALUE`, `bondcheck sim --sim-opt`,
 * `bondcheck-sim --opt KEY=VALUE`. One table: each key, the form of its
 * value, what it means, and the field of struct sim_config it sets, so every
 * way in checks a value the same way and the run log can say what the
 * simulator was (doc/simulator.md "Settings").
 *
 * Adding a setting: a row in simopt.c's table (key, value help, summary,
 * parse and show functions), the field it sets, its use in the simulator,
 * a case in tests/unit/check_simopt.c, and doc/simulator.md.
 */
#ifndef BONDCHECK_SIMOPT_H
#define BONDCHECK_SIMOPT_H

#include <stdbool.h>
#include <glib.h>

#include "bondcheck/sim.h"

/* Everything bondcheck-sim is started with besides faults and the seed. */
struct sim_config {
	struct sim_dut_config dut;
	struct sim_timing timing;
	unsigned adapters;    /* hci0..hciN-1; 0: one, or what a run needs */
	bool dut_per_adapter; /* each adapter a DUT of its own */
	GPtrArray *strings;   /* the text dut's pointers point into */
	GPtrArray *given;     /* "key=value" as given, in order */
};

void sim_config_init(struct sim_config *c);
void sim_config_clear(struct sim_config *c);

struct sim_opt_info {
	const char *key;
	const char *value;   /* the form of the value, for help */
	const char *summary; /* one line */
};

/* The settings, in table order; *@n of them. */
const struct sim_opt_info *sim_opt_list(size_t *n);

/*
 * Apply "KEY=VALUE" to @c (a later one wins). An unknown key or a bad
 * value is an error (BCERROR_BAD_INPUT) that names the key, says what it
 * takes and suggests the nearest key.
 */
bool sim_opt_apply(struct sim_config *c, const char *spec, GError **error);
/* Apply one setting by key and value (what bondcheck-sim's own flags do). */
bool sim_opt_set(struct sim_config *c, const char *key, const char *value,
	GError **error);

/*
 * Every setting's value in @c as "key=value", in table order (what the run
 * log's run-start records); free with g_ptr_array_unref.
 */
GPtrArray *sim_opt_show(const struct sim_config *c);

#endif
