/* SPDX-License-Identifier: MIT */
/*
 * hcimon.h — the kernel's HCI monitor channel (what btmon reads), as a
 * source of evidence: Encryption Change status, disconnect reasons, LE
 * connections and LTK requests of one controller, decoded into
 * engine_hci_event. Opening it needs CAP_NET_RAW (root); without it the
 * caller says once that the evidence is D-Bus only.
 *
 * Never sends anything to a controller: the monitor channel is read-only.
 */
#ifndef BONDCHECK_HCIMON_H
#define BONDCHECK_HCIMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/engine.h"

struct hcimon;

typedef void (*hcimon_event_fn)(const struct engine_hci_event *ev,
	void *user_data);

/*
 * Open the monitor channel. NULL and an error (BCERROR_NOT_PERMITTED
 * without CAP_NET_RAW, BCERROR_NOT_SUPPORTED without Bluetooth in the
 * kernel) when it cannot. Events of controller @index only (-1: none until
 * hcimon_set_index).
 */
struct hcimon *hcimon_new(int index, hcimon_event_fn fn, void *user_data,
	GError **error);
void hcimon_free(struct hcimon *m);
void hcimon_set_index(struct hcimon *m, int index);

/* "hci3" or "/org/bluez/hci3" -> 3; -1 if neither. */
int hcimon_index_of(const char *adapter);

/*
 * One monitor frame (opcode, controller index, payload), as read from the
 * socket; for tests. Frames of other controllers and malformed ones are
 * ignored; returns whether an event was reported.
 */
bool hcimon_feed(struct hcimon *m, uint16_t opcode, uint16_t index,
	const uint8_t *data, size_t len);
/* A monitor that reads nothing: for feeding frames in tests. */
struct hcimon *hcimon_new_detached(int index, hcimon_event_fn fn,
	void *user_data);

#endif
