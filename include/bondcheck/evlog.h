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
typedef int64_t (*evlog_clock_fn)(void *user_data);   /* microseconds */

/* @path NULL: no file, sinks only. */
struct evlog *evlog_new(const char *path, GError **error);
void evlog_free(struct evlog *log);
void evlog_set_clock(struct evlog *log, evlog_clock_fn fn, void *user_data);
void evlog_add_sink(struct evlog *log, evlog_sink_fn fn, void *user_data);
const char *evlog_path(struct evlog *log);
uint64_t evlog_count(struct evlog *log);
/* The first write error, if any (the run goes on; the error is reported). */
const GError *evlog_error(struct evlog *log);

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
