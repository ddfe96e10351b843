/* SPDX-License-Identifier: MIT */
/*
 * runplan.h — the steps a run will take, in the order it takes them: written
 * into run-start as scenario.plan (the scenario's step tree, repeats not
 * expanded, so its size is the scenario's, not the run's), and walked by
 * readers that must name every step of a run, also those it never reached
 * (JUnit: the same test cases whether a run passes or stops early).
 *
 * A step is known by its name, its ordinal among the steps of that name in
 * the file (the second `reconnect` line is reconnect #2), its iteration and
 * its central: names that do not change when a line is inserted above it.
 * The walk holds one frame per enclosing block, never the expanded steps.
 */
#ifndef BONDCHECK_RUNPLAN_H
#define BONDCHECK_RUNPLAN_H

#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "bondcheck/scenario.h"

/* scenario.plan of run-start, from the parsed scenario: an array member
 * @key of the object @b is in. */
void runplan_write(JsonBuilder *b, const char *key, const struct scenario *scn);

struct runplan;

/*
 * The plan of a run-start event (scenario.plan); NULL when it has none (a
 * log from before plans, a scenario that did not parse) or the plan is not
 * what runplan_write() writes (then readers do without it).
 */
struct runplan *runplan_new(JsonObject *run_start);
void runplan_free(struct runplan *p);

struct runplan_step {
	gint64 line;
	const char *name;      /* "reconnect" */
	unsigned ordinal;      /* 1: the file's first step of that name */
	const char *iteration; /* "2.3"; "" outside blocks */
	const char *central;   /* the central it acts as */
};

/* The next step in run order, and the walk moves past it; false at the
 * end. @s's strings are valid until the next call. */
bool runplan_next(struct runplan *p, struct runplan_step *s);
/* Is the step at @line in @iteration ("2.3") still ahead of the walk (the
 * next runplan_next() would reach it)? False for one not in the plan. */
bool runplan_ahead(const struct runplan *p, gint64 line, const char *iteration);
/* The ordinal of the step at @line among the plan's steps of its name; 0
 * when @line holds no step. */
unsigned runplan_ordinal(const struct runplan *p, gint64 line);
/* The steps the whole run takes (repeats expanded). */
guint64 runplan_total(const struct runplan *p);

#endif
