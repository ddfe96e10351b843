/* SPDX-License-Identifier: MIT */
/*
 * logread.h — reads a run log (doc/log-schema.md) one event at a time, for
 * compare and report. It holds one line in memory, never the whole log, so a
 * soak run's millions of events read in bounded memory.
 *
 * Every line is checked: it must be a JSON object with a string "type" and an
 * integer "t"; the first must be a bondcheck run-start of a schema this
 * reader knows; step-start, step-end and run-end must carry the members their
 * readers use, with the right types. Anything else is a BCERROR_BAD_INPUT
 * error whose message starts with FILE:LINE:COL. Unknown event types and
 * unknown members are accepted and ignored (the schema's promise).
 */
#ifndef BONDCHECK_LOGREAD_H
#define BONDCHECK_LOGREAD_H

#include <json-glib/json-glib.h>
#include <stdbool.h>

/* Longest line accepted; a longer one is an error, not an allocation. */
#define LOGREAD_MAX_LINE (16u * 1024 * 1024)

struct logread;

/* @path "-" reads standard input. */
struct logread *logread_open(const char *path, GError **error);
void logread_free(struct logread *r);

/*
 * The next event: 1 and *event (valid until the next call), 0 at the end of
 * the log, -1 and @error for a line that is not what the schema says.
 * With skimming, *event is NULL for the events it skimmed.
 */
int logread_next(struct logread *r, JsonObject **event, GError **error);

/*
 * Skim: events other than run-start, step-start, step-end and run-end are
 * checked (a JSON object with a string "type" and an integer "t") without
 * building a tree, and returned with *event NULL: their type is
 * logread_type(), their text logread_text(). Much faster on long logs.
 */
void logread_set_skim(struct logread *r, bool skim);
/* The current event's type ("" before the first). */
const char *logread_type(struct logread *r);

/*
 * With skimming, a step-start, and a step-end that passed, whose members
 * are all plain (no escapes, at most LOGREAD_MAX_ITER levels of repeat)
 * also come without a tree: their members are here, checked as the schema
 * says. Valid until the next logread_next.
 */
#define LOGREAD_MAX_ITER 8

struct logread_step {
	bool end;                 /* step-end (else step-start) */
	gint64 index;
	gint64 line;
	guint n_iter;
	gint64 iter[LOGREAD_MAX_ITER];
	char name[32];
	char result[16];          /* step-end: "pass" */
	char verdict[40];
	gint64 elapsed_ms;        /* step-end */
	gint64 timeout_ms;        /* step-start, -1 if absent */
	gint64 latency_ms;        /* evidence.latency_ms, -1 if absent */
};

/* The skimmed step of the current event, or NULL. */
const struct logread_step *logread_step(struct logread *r);

const char *logread_path(struct logread *r);
unsigned long logread_lineno(struct logread *r);
/* The current line as read (without its newline). */
const char *logread_text(struct logread *r);
/* The run-start event (after the first logread_next), else NULL. */
JsonObject *logread_run_start(struct logread *r);
/* Did the log end with a run-end event? (meaningful at EOF) */
bool logread_complete(struct logread *r);

/* Typed access to members of a checked event: NULL/@dflt when absent. */
const char *logread_str(JsonObject *o, const char *key);
gint64 logread_int(JsonObject *o, const char *key, gint64 dflt);
JsonObject *logread_obj(JsonObject *o, const char *key);
JsonArray *logread_arr(JsonObject *o, const char *key);
/* A step's "iteration" as "2.3" ("" outside repeats); caller frees. */
char *logread_iteration(JsonObject *step);

#endif
