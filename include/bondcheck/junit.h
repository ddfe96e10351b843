/* SPDX-License-Identifier: MIT */
/*
 * junit.h — a JUnit XML writer in the shape Jenkins and GitLab read: one
 * <testsuites> holding a <testsuite> per run (one file may hold the runs of
 * several scenarios) of <testcase>s (a step and iteration each), with
 * <failure>, <error> or <skipped>, and <properties>.
 *
 * Test cases are streamed to an unlinked temporary file as they come, so a
 * soak run's thousands of steps cost no memory; junit_finish() writes the
 * totals, then each suite with its cases, to FILE.XXXXXX and renames it over
 * FILE, so a reader never sees half a report. Every string is made valid
 * UTF-8 and stripped of characters XML 1.0 forbids before it is escaped.
 * Suite names are made unique within the file (" #2"): CI servers merge or
 * drop suites of one name.
 */
#ifndef BONDCHECK_JUNIT_H
#define BONDCHECK_JUNIT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum junit_status {
	JUNIT_PASSED,
	JUNIT_FAILURE, /* the device failed an expectation */
	JUNIT_ERROR,   /* the environment did (no adapter, ...) */
	JUNIT_SKIPPED, /* interrupted, or never reached */
};

const char *junit_status_to_str(enum junit_status s);

struct junit_case {
	const char *name;
	const char *classname;
	int64_t time_ms;
	enum junit_status status;
	const char *message; /* failure/error/skipped message attribute */
	const char *type;    /* failure/error type attribute (the verdict) */
	const char *text;    /* body: the evidence */
	int64_t line;        /* the scenario line (a property); 0: none */
};

struct junit;

struct junit *junit_new(const char *path, GError **error);
void junit_free(struct junit *j);

/*
 * Begin a suite: its name, start (ISO 8601, UTC, no zone) and host. A suite
 * still open ends first (with time 0). Properties, system-out and cases go
 * to the open suite.
 */
void junit_begin_suite(struct junit *j, const char *name, const char *timestamp,
	const char *hostname);
/* The open suite's name as it will be written (made unique), or NULL. */
const char *junit_suite_name(struct junit *j);
void junit_add_property(struct junit *j, const char *name, const char *value);
void junit_set_system_out(struct junit *j, const char *text);
bool junit_add_case(struct junit *j, const struct junit_case *c,
	GError **error);
/* End the open suite; @total_ms: its time (the run's elapsed). */
void junit_end_suite(struct junit *j, int64_t total_ms);
/* End the open suite (time 0) and write FILE. A report without suites
 * gets an empty one (the schema wants one). */
bool junit_finish(struct junit *j, GError **error);

/* XML-escaped, valid UTF-8, no forbidden characters; for tests too. */
char *junit_escape(const char *s);

#endif
