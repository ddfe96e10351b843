/* SPDX-License-Identifier: MIT */
/*
 * duration.h — durations as users write them: "500ms", "15s", "2m", "1.5s".
 * One rule everywhere, in scenarios and on every command line (scan
 * --timeout, compare --min-slowdown, the simulator's settings and faults):
 * a number and its unit, ms, s, m (min) or h. A bare number is refused
 * (with the spelling to use): the unit is part of what it means. The
 * number is decimal digits with an optional fraction, nothing else (no hex,
 * exponent, sign or space).
 */
#ifndef BONDCHECK_DURATION_H
#define BONDCHECK_DURATION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* Parse @s into milliseconds. Limit: 24 h. */
bool duration_parse(const char *s, int64_t *ms, GError **error);

/* "1.5s", "250ms", "2m" — the shortest exact spelling of @ms. */
char *duration_format(int64_t ms);

#endif
