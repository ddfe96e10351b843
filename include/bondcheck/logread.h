/* SPDX-License-Identifier: MIT */
/*
 * logread.h — reads a run log (doc/log-schema.md) one event at a time: the
 * one way compare, report and bondcheck run's output read events (a file
 * through logread_next(), a running engine's events through a view). It
 * holds one line in memory, never the whole log, so a soak run's millions
 * of events read in bounded memory.
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

#include "bondcheck/jsontext.h"
#include "bondcheck/logschema.h"

/* Longest line accepted; a longer one is an error, not an allocation. */
#define LOGREAD_MAX_LINE ((size_t)16 * 1024 * 1024)
/* Deepest nesting of a line, checked before json-glib (which recurses)
 * sees it; a deeper line is an error at the bracket that goes deeper. */
#define LOGREAD_MAX_DEPTH JSONTEXT_MAX_DEPTH

struct logread;

/* @path "-" reads standard input. */
struct logread *logread_open(const char *path, GError **error);
void logread_free(struct logread *r);

/*
 * The next event: 1 (and *event, when @event is not NULL, valid until the
 * next call), 0 at the end of the log, -1 and @error for a line that is not
 * what the schema says. With skimming, *event is NULL for the events it
 * skimmed; logread_event() describes every event either way.
 */
int logread_next(struct logread *r, JsonObject **event, GError **error);

/*
 * Skim: events other than run-start, step-start, step-end and run-end are
 * checked (a JSON object with a string "type" and an integer "t") without
 * building a tree. A step-start, and a step-end that passed, whose members
 * are all plain (no escapes, at most a few levels of repeat) come without a
 * tree too, their members checked as the schema says. Much faster on long
 * logs.
 */
void logread_set_skim(struct logread *r, bool skim);

/*
 * A step-start or step-end as readers use it, from a tree or a skim alike.
 * Strings are NULL where the log has null (or nothing); valid as long as
 * the event it came from.
 */
struct logread_step {
	bool end; /* step-end (else step-start) */
	gint64 index;
	gint64 line;
	const char *iteration; /* "2.3"; "" outside repeats */
	const char *name;
	const char *central; /* the central it acted as; "default" in
				   * logs without one (one central) */
	/* step-start */
	const char *text;
	gint64 timeout_ms; /* -1 if absent */
	/* step-end */
	enum log_step_result result;
	const char *verdict;
	const char *confidence;
	const char *message;
	gint64 elapsed_ms;
	JsonObject *evidence; /* NULL when absent, or skimmed */
	gint64 latency_ms;    /* evidence.latency_ms, -1 if absent */
};

/*
 * One event of a log, the one way compare, report and bondcheck run's
 * output read events.
 */
struct logread_event {
	const char *type; /* "type" as written */
	bool known;       /* ...and one of enum log_event: */
	enum log_event event;
	JsonObject *object;              /* the event; NULL when skimmed */
	const struct logread_step *step; /* step-start, step-end; else NULL */
	const char *line; /* the line as read; NULL from a view */
};

/* The current event (after logread_next returned 1). */
const struct logread_event *logread_event(struct logread *r);
/* The current event's type ("" before the first). */
const char *logread_type(struct logread *r);
/* The current event's step, or NULL. */
const struct logread_step *logread_step(struct logread *r);

/*
 * The same description of an event that does not come from a file (a run's
 * log sink, bondcheckd's Event signal): what logread_event() would say of
 * @event. NULL when @event has no string "type", or is a step event whose
 * result is not one the schema knows. Valid until the next call and as
 * long as @event.
 */
struct logread_view;
struct logread_view *logread_view_new(void);
void logread_view_free(struct logread_view *v);
const struct logread_event *logread_view_set(struct logread_view *v,
	JsonObject *event);

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
