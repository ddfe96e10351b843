/* SPDX-License-Identifier: MIT */
/*
 * junit.h — a JUnit XML writer in the shape Jenkins and GitLab read: one
 * <testsuites> holding one <testsuite> (a run) of <testcase>s (a step and
 * iteration each), with <failure>, <error> or <skipped>, and <properties>.
 *
 * Test cases are streamed to an unlinked temporary file as they come, so a
 * soak run's thousands of steps cost no memory; junit_finish() writes the
 * suite's totals, then the cases, to FILE.tmp and renames it over FILE, so a
 * reader never sees half a report. Every string is made valid UTF-8 and
 * stripped of characters XML 1.0 forbids before it is escaped.
 */
#ifndef BONDCHECK_JUNIT_H
#define BONDCHECK_JUNIT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum junit_status {
	JUNIT_PASSED,
	JUNIT_FAILURE,      /* the device failed an expectation */
	JUNIT_ERROR,        /* the environment did (no adapter, ...) */
	JUNIT_SKIPPED,      /* interrupted, or never reached */
};

const char *junit_status_to_str(enum junit_status s);

struct junit_case {
	const char *name;
	const char *classname;
	int64_t time_ms;
	enum junit_status status;
	const char *message;    /* failure/error/skipped message attribute */
	const char *type;       /* failure/error type attribute (the verdict) */
	const char *text;       /* body: the evidence */
};

struct junit;

struct junit *junit_new(const char *path, GError **error);
void junit_free(struct junit *j);

/* The suite: its name, start (ISO 8601, UTC) and host. */
void junit_set_suite(struct junit *j, const char *name, const char *timestamp,
	const char *hostname);
void junit_add_property(struct junit *j, const char *name, const char *value);
void junit_set_system_out(struct junit *j, const char *text);
bool junit_add_case(struct junit *j, const struct junit_case *c,
	GError **error);
/* @total_ms: the suite's time (the run's elapsed). */
bool junit_finish(struct junit *j, int64_t total_ms, GError **error);

/* XML-escaped, valid UTF-8, no forbidden characters; for tests too. */
char *junit_escape(const char *s);

#endif
