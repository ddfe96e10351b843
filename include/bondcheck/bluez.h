/* SPDX-License-Identifier: MIT */
/*
 * bluez.h — BlueZ knowledge over a model: finding adapters, devices and GATT
 * attributes, reading device state the way each BlueZ version exposes it,
 * and parsing addresses and UUIDs. Pure: no D-Bus.
 */
#ifndef BONDCHECK_BLUEZ_H
#define BONDCHECK_BLUEZ_H

#include <stdbool.h>
#include <glib.h>

#include "bondcheck/model.h"

/* "AA:BB:CC:DD:EE:FF", hex digits in either case. */
bool bluez_address_valid(const char *addr);

/*
 * A 16-bit ("2a6e"), 32-bit or 128-bit UUID as BlueZ spells it: 128-bit,
 * lower case. Returns NULL (and sets @error) when @in is not a UUID.
 */
char *bluez_uuid_normalize(const char *in, GError **error);

/* The object path BlueZ gives a device: ADAPTER/dev_AA_BB_CC_DD_EE_FF */
char *bluez_device_path(const char *adapter_path, const char *address);
/*
 * The simulator's org.bondcheck.Sim1 object for the DUT in range of
 * @adapter_path: /org/bondcheck/sim for hci0, /org/bondcheck/sim/hciN for
 * the others (doc/simulator.md).
 */
char *bluez_sim_path(const char *adapter_path);

/*
 * The adapter to use: "hci0" (or a full path) when @name is given, else the
 * first powered adapter. Errors say what is missing.
 */
const char *bluez_find_adapter(struct model *m, const char *name,
	GError **error);

/* N of "hciN" or ".../hciN"; -1 if it is neither. */
int bluez_adapter_index(const char *adapter);

/*
 * The adapters of @n centrals, as a run takes them: central i gets
 * @names[i] (hciN, or a path) when that is not NULL, else the first
 * powered adapter, in index order, that no central has; @labels[i] names
 * central i in errors. Sets @paths[i] (the model's strings) and returns
 * true, or sets @error (BCERROR_NO_SUCH_ADAPTER: missing, or not enough
 * adapters; BCERROR_BAD_INPUT: one adapter named twice) and returns false.
 */
bool bluez_pick_adapters(struct model *m, unsigned n, const char *const *names,
	const char *const *labels, const char **paths, GError **error);

const char *bluez_find_device(struct model *m, const char *adapter_path,
	const char *address);
const char *bluez_find_device_by_name(struct model *m, const char *adapter_path,
	const char *name);

/*
 * Whether the device holds a bond. BlueZ < 5.65 has no Bonded property:
 * then Paired is used and *@from_paired is set.
 */
bool bluez_device_bonded(struct model *m, const char *path, bool *from_paired);

/* The first characteristic/descriptor with @uuid (normalised) below @under. */
const char *bluez_find_chrc(struct model *m, const char *device_path,
	const char *uuid);
const char *bluez_find_desc(struct model *m, const char *chrc_path,
	const char *uuid);

#define BLUEZ_UUID_CCCD "00002902-0000-1000-8000-00805f9b34fb"

#endif
