/* SPDX-License-Identifier: MIT */
/*
 * timeline.h — records what a client of org.bluez sees, in order: every
 * property change, added/removed interface, Disconnected signal, the replies
 * to calls made through it, and notes. Lines are short and stable so tests
 * can compare whole sequences:
 *   "dev Connected=true"   "+dev/service000a GattService1"
 *   "reply Connect: ok"    "reply Pair: org.bluez.Error.AlreadyExists"
 * The simulator's Trace signal is kept apart (timeline_traces()).
 */
#ifndef BONDCHECK_TIMELINE_H
#define BONDCHECK_TIMELINE_H

#include <stdbool.h>
#include <glib.h>

#include "bondcheck/bus.h"

struct timeline;

struct timeline *timeline_new(struct bus *bus);
void timeline_free(struct timeline *t);
void timeline_clear(struct timeline *t);
GPtrArray *timeline_lines(struct timeline *t);
GPtrArray *timeline_traces(struct timeline *t); /* Trace JSON lines */
char *timeline_dump(struct timeline *t);
void timeline_note(struct timeline *t, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

/* Call a method; its reply is recorded as "reply METHOD: ok|ERROR text". */
void timeline_call(struct timeline *t, const char *path, const char *iface,
	const char *method, GVariant *args);
/* Wait for a line containing @needle (searching from the start). */
bool timeline_wait(struct timeline *t, const char *needle, int timeout_ms);
/* Wait for a Trace line containing @needle. */
bool timeline_wait_trace(struct timeline *t, const char *needle,
	int timeout_ms);
/* Index of the first line containing @needle, or -1. */
int timeline_find(struct timeline *t, const char *needle);
/* Do lines starting with each of @expect (NULL-ended) appear in order? */
bool timeline_in_order(struct timeline *t, const char *const *expect);
/*
 * Does any of @variants (a NULL-ended list of such sequences) appear in
 * order? Real bluetoothd shows some steps in more than one way (a
 * key-lost Connect() fails, or succeeds and the link drops): a test holds
 * the simulator to the set, as the QEMU tier does (tests/vm/timelines.py).
 * Returns the index of the first that does, or -1.
 */
int timeline_in_order_any(struct timeline *t,
	const char *const *const *variants);

#endif
