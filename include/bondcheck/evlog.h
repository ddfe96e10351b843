/* SPDX-License-Identifier: MIT */
/*
 * evlog.h — the run log's writer: JSON Lines (LOG_SCHEMA, logschema.h and
 * doc/log-schema.md), written with json-glib, one object per line, flushed
 * per event, so a killed run leaves a log whose complete lines all parse.
 * Sinks receive each line as it is written (progress output, the daemon's
 * Event signal).
 */
#ifndef BONDCHECK_EVLOG_H
#define BONDCHECK_EVLOG_H

#include <json-glib/json-glib.h>
#include <stdint.h>

#include "bondcheck/logschema.h"

struct evlog;

typedef void (*evlog_sink_fn)(const char *line, JsonNode *event,
	void *user_data);
typedef int64_t (*evlog_clock_fn)(void *user_data); /* microseconds */

/*
 * @path NULL: no file, sinks only. A path that cannot be a log (no such
 * directory, a directory) is BCERROR_BAD_INPUT; no permission or a
 * read-only file system BCERROR_ACCESS_DENIED; anything else
 * BCERROR_ENVIRONMENT.
 */
struct evlog *evlog_new(const char *path, GError **error);
void evlog_free(struct evlog *log);
void evlog_set_clock(struct evlog *log, evlog_clock_fn fn, void *user_data);
void evlog_add_sink(struct evlog *log, evlog_sink_fn fn, void *user_data);
const char *evlog_path(struct evlog *log);
uint64_t evlog_count(struct evlog *log);
/* The first write error, if any (BCERROR_ENVIRONMENT; nothing more goes to
 * the file after it, the sinks still get every line). */
const GError *evlog_error(struct evlog *log);
/* @fn is called once, at the end of the evlog_end() whose write failed. */
typedef void (*evlog_error_fn)(const GError *error, void *user_data);
void evlog_set_error_fn(struct evlog *log, evlog_error_fn fn, void *user_data);

/*
 * Start an event of @type: the builder already holds "type" and "t"
 * (microseconds since the log started); add members (the log_add_*()
 * builders of logschema.h), then evlog_end() writes it.
 */
JsonBuilder *evlog_begin_event(struct evlog *log, enum log_event type);
void evlog_end(struct evlog *log, JsonBuilder *b);

/* A GVariant as JSON; byte arrays become hex strings. */
JsonNode *evlog_variant(GVariant *v);
/* Bytes as a hex string ("01ff"). */
char *evlog_hex(const guint8 *data, gsize len);

#endif
