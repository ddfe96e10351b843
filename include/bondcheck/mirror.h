/* SPDX-License-Identifier: MIT */
/*
 * mirror.h — keeps a model (model.h) in step with org.bluez on a bus:
 * GetManagedObjects when bluetoothd appears, then InterfacesAdded/Removed,
 * PropertiesChanged and Device1.Disconnected (BlueZ 5.83+). When bluetoothd
 * leaves the bus the model is reset; when it returns it is loaded again.
 * Malformed messages are counted and reported, never applied.
 */
#ifndef BONDCHECK_MIRROR_H
#define BONDCHECK_MIRROR_H

#include <glib.h>

#include "bondcheck/bus.h"
#include "bondcheck/model.h"

struct mirror;

enum mirror_state {
	MIRROR_STATE_IDLE,       /* not started */
	MIRROR_STATE_WAITING,    /* owner of the service not known yet */
	MIRROR_STATE_NO_SERVICE, /* nobody owns org.bluez */
	MIRROR_STATE_SYNCING,    /* GetManagedObjects in flight */
	MIRROR_STATE_SYNCED,
	MIRROR_STATE_ERROR, /* the service answered badly; see error */
};

const char *mirror_state_to_str(enum mirror_state state);

typedef void (*mirror_state_fn)(struct mirror *mirror, enum mirror_state state,
	const GError *error, void *user_data);
typedef void (*mirror_warn_fn)(struct mirror *mirror, const GError *error,
	void *user_data);

struct mirror *mirror_new(struct bus *bus, struct model *model,
	const char *service);
void mirror_free(struct mirror *mirror);
void mirror_set_state_cb(struct mirror *mirror, mirror_state_fn fn,
	void *user_data);
void mirror_set_warn_cb(struct mirror *mirror, mirror_warn_fn fn,
	void *user_data);
void mirror_start(struct mirror *mirror);
enum mirror_state mirror_state(struct mirror *mirror);

/*
 * What the mirror does with a message from the owner of the service,
 * without a bus (the fuzzer calls these with any bytes that make a
 * message). An InterfacesAdded/Removed, PropertiesChanged or
 * Device1.Disconnected signal applied to @model; false and @error for one
 * whose shape is wrong (nothing applied) or any other message.
 */
bool mirror_apply_signal(struct model *model, DBusMessage *msg, GError **error);
/* GetManagedObjects' reply loaded into @model; false and @error if its
 * shape is wrong. */
bool mirror_apply_objects(struct model *model, DBusMessage *reply,
	GError **error);
const char *mirror_owner(struct mirror *mirror);
guint mirror_bad_messages(struct mirror *mirror);

#endif
