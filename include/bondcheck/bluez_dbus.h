/* SPDX-License-Identifier: MIT */
/*
 * bluez_dbus.h — the real bluez_ops back end: each operation is one D-Bus
 * call to org.bluez (or to the simulator's org.bondcheck.Sim1).
 */
#ifndef BONDCHECK_BLUEZ_DBUS_H
#define BONDCHECK_BLUEZ_DBUS_H

#include "bondcheck/bluez_ops.h"
#include "bondcheck/bus.h"

struct bluez_dbus;

extern const struct bluez_ops bluez_dbus_ops;

struct bluez_dbus *bluez_dbus_new(struct bus *bus);
void bluez_dbus_free(struct bluez_dbus *bd);

#endif
