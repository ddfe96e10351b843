/* SPDX-License-Identifier: MIT */
/*
 * report.h — what a run came to, built from its events as they come (from a
 * running engine's log sink or from logread): verdict counts, each failure
 * with its scenario line and evidence, reconnect latency over the cycles of
 * a soak run, and, when asked, a JUnit XML report written as the steps end:
 * a test case for every step of the run's plan (run-start's scenario.plan),
 * those never reached as skipped, so a failing run has the test cases of a
 * passing one; and the run's own error as a case "run" when no step holds
 * it (the run did not start, its log ends between steps).
 *
 * Memory is bounded by the number of distinct figures, not by the number of
 * events or steps: failures beyond REPORT_MAX_FAILURES are counted, not
 * kept; latency is kept as counts per millisecond value.
 */
#ifndef BONDCHECK_REPORT_H
#define BONDCHECK_REPORT_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdio.h>

#define REPORT_MAX_FAILURES 20

enum report_part {
	REPORT_RUN = 1 << 0,     /* scenario, label, device, BlueZ, kernel */
	REPORT_OUTCOME = 1 << 1, /* PASSED/FAILED and each failure's evidence */
	REPORT_COUNTS = 1 << 2,  /* verdict counts, steps not run */
	REPORT_LATENCY = 1 << 3, /* reconnect latency min/median/max */
};

/* Figures over a set of millisecond values, exact, in bounded memory. */
struct msstats;
struct msstats *msstats_new(void);
void msstats_free(struct msstats *s);
void msstats_add(struct msstats *s, gint64 ms);
guint64 msstats_count(const struct msstats *s);
gint64 msstats_min(const struct msstats *s);
gint64 msstats_max(const struct msstats *s);
/* The lower median; 0 when empty. */
gint64 msstats_median(const struct msstats *s);

struct report;

struct report *report_new(void);
void report_free(struct report *r);

/*
 * Write a JUnit report to @path as the run goes; report_finish() completes
 * it. @log_path (may be NULL) goes into the report's system-out.
 */
bool report_junit(struct report *r, const char *path, const char *log_path,
	GError **error);

/*
 * ...or into @junit, which holds the JUnit reports of several runs (one
 * suite each): the report begins its suite at run-start and ends it in
 * report_finish(); the caller finishes and frees @junit after the last.
 */
struct junit;
void report_junit_into(struct report *r, struct junit *junit,
	const char *log_path);

/*
 * The names a run's JUnit report gives: a test case's, "reconnect #2 [3]"
 * (the step, the ordinal of its name in the file, its iteration; with
 * several centrals "c2: reconnect #2 [3]"), and a run's suite: the
 * scenario's title and the label, else the device ("Bond survives reboot
 * (1.23)"). Both are the caller's to free.
 */
char *report_case_name(const char *name, unsigned ordinal,
	const char *iteration, const char *central);
char *report_suite_name(JsonObject *run_start);

/*
 * Write an HTML report to @path (html.h: one self-contained file) when the
 * events end: the run, its outcome, each failure with its evidence, the
 * reconnect latency over the cycles as a chart, and a row per step (the
 * plan's steps never reached too). The rows wait in an unlinked temporary
 * file, so a soak run costs no memory; past REPORT_MAX_ROWS only failing
 * steps are listed, the others counted.
 */
bool report_html(struct report *r, const char *path, const char *log_path,
	GError **error);

/* A step's evidence as report_print_evidence() says it, in an HTML <pre>. */
void report_html_evidence(FILE *out, JsonObject *evidence);

/* Feed one event, in log order, as logread describes it. */
struct logread_event;
void report_add(struct report *r, const struct logread_event *event);
/* ...or as an event object (a run's log sink): the same. */
void report_event(struct report *r, JsonObject *event);

/* The end of the events: writes the JUnit and HTML reports asked for. */
bool report_finish(struct report *r, GError **error);

void report_print(struct report *r, FILE *out, bool colour, unsigned parts);

/* 0 when the run passed, 1 when it did not (or the log ends early). */
int report_exit_status(struct report *r);

/* A step's evidence for people, each line starting with @indent. */
void report_print_evidence(FILE *out, JsonObject *evidence, const char *indent);

#endif
