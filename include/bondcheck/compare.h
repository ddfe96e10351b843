/* SPDX-License-Identifier: MIT */
/*
 * compare.h — what changed between two runs of a scenario (two firmware
 * builds): steps aligned by (scenario line, repeat iteration, step name);
 * regressions, fixes, verdict changes, steps in one run only, timing per step
 * name, and for each regression the first point where the two runs' event
 * sequences of that step part, with timestamps, object paths and addresses
 * normalised.
 *
 * Both logs are read once, in step with each other, through logread: memory
 * is bounded by COMPARE_WINDOW unmatched steps per side and
 * COMPARE_MAX_STEP_EVENTS events per step, not by the size of the logs.
 */
#ifndef BONDCHECK_COMPARE_H
#define BONDCHECK_COMPARE_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdio.h>

/* Unmatched steps a side may hold before they count as "in one run only". */
#define COMPARE_WINDOW 256
/* Events of one step kept for the divergence; the rest are counted. */
#define COMPARE_MAX_STEP_EVENTS 2000
/* Regressions, fixes, changes and one-run-only steps listed in full. */
#define COMPARE_MAX_LISTED 50

struct compare_options {
	double threshold;    /* slower when NEW >= threshold x BASE ... */
	gint64 min_delta_ms; /* ... and NEW - BASE >= this */
};

void compare_options_init(struct compare_options *o);

struct compare;

/* NULL and a BCERROR_BAD_INPUT error (FILE:LINE:COL) for a bad log. */
struct compare *compare_logs(const char *base, const char *new_path,
	const struct compare_options *o, GError **error);
void compare_free(struct compare *c);

bool compare_regressed(const struct compare *c);
unsigned compare_slower(const struct compare *c);

/* The human table; @width: the output's columns (0: 160). */
void compare_print(const struct compare *c, FILE *out, bool colour,
	unsigned width);
JsonNode *compare_to_json(const struct compare *c);
/* The findings as one self-contained HTML file (html.h): the two runs side
 * by side, each regression with NEW's evidence and the first divergence of
 * the two event sequences, fixes, verdict changes, timing. */
bool compare_html(const struct compare *c, const char *path, GError **error);

/*
 * One event as compare sees it: its type and members without timestamps
 * and durations, object paths shortened, addresses replaced by <a1>, <a2>...
 * in order of first appearance (@addrs holds the numbering, per side).
 */
char *compare_normalise(JsonObject *event, GHashTable *addrs);

#endif
