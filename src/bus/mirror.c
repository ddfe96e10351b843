/* SPDX-License-Identifier: MIT */
/*
 * mirror.c — org.bluez -> model. Owns the subscriptions and the sync call.
 * Never applies a message whose shape is wrong; never exits or asserts on
 * what bluetoothd (or something pretending to be it) sends.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/mirror.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"

#define SYNC_TIMEOUT_MS 10000

struct mirror {
	struct bus *bus;
	struct model *model;
	char *service;
	char *owner;
	enum mirror_state state;
	guint name_watch;
	guint sig[4];
	guint sync_call;
	guint bad;
	mirror_state_fn state_fn;
	void *state_data;
	mirror_warn_fn warn_fn;
	void *warn_data;
};

const char *mirror_state_to_str(enum mirror_state state)
{
	switch (state) {
	case MIRROR_STATE_IDLE: return "idle";
	case MIRROR_STATE_WAITING: return "waiting";
	case MIRROR_STATE_NO_SERVICE: return "no-service";
	case MIRROR_STATE_SYNCING: return "syncing";
	case MIRROR_STATE_SYNCED: return "synced";
	case MIRROR_STATE_ERROR: return "error";
	}
	return "unknown";
}

static void enter_state(struct mirror *mi, enum mirror_state state,
	const GError *error)
{
	g_debug("mirror: %s -> %s", mirror_state_to_str(mi->state),
		mirror_state_to_str(state));
	mi->state = state;
	if (mi->state_fn)
		mi->state_fn(mi, state, error, mi->state_data);
}

static void warn(struct mirror *mi, GError *error)
{
	mi->bad++;
	g_debug("mirror: ignored: %s", error->message);
	if (mi->warn_fn)
		mi->warn_fn(mi, error, mi->warn_data);
	g_error_free(error);
}

bool mirror_apply_objects(struct model *model, DBusMessage *reply,
	GError **error)
{
	GVariant *args, *objs;

	if (!msg_get_args(reply, "(a{oa{sa{sv}}})", &args, error))
		return false;
	objs = g_variant_get_child_value(args, 0);
	model_load(model, objs);
	g_variant_unref(objs);
	g_variant_unref(args);
	return true;
}

static void apply_added(struct model *m, const char *path, GVariant *args)
{
	GVariant *ifaces;
	const char *obj;

	(void)path;
	g_variant_get(args, "(&o@a{sa{sv}})", &obj, &ifaces);
	model_add(m, obj, ifaces);
	g_variant_unref(ifaces);
}

static void apply_removed(struct model *m, const char *path, GVariant *args)
{
	GVariant *ifaces;
	const char *obj;

	(void)path;
	g_variant_get(args, "(&o@as)", &obj, &ifaces);
	model_remove(m, obj, ifaces);
	g_variant_unref(ifaces);
}

static void apply_changed(struct model *m, const char *path, GVariant *args)
{
	GVariant *changed, *inval;
	const char *iface;

	g_variant_get(args, "(&s@a{sv}@as)", &iface, &changed, &inval);
	model_change(m, path, iface, changed, inval);
	g_variant_unref(changed);
	g_variant_unref(inval);
}

static void apply_disconnected(struct model *m, const char *path,
	GVariant *args)
{
	model_signal(m, path, BLUEZ_IFACE_DEVICE, "Disconnected", args);
}

/* The signals the mirror follows: their arguments, and what they do. */
static const struct {
	const char *iface;
	const char *member;
	const char *args;
	void (*apply)(struct model *m, const char *path, GVariant *args);
} followed[] = {
	{ DBUS_IFACE_OBJECT_MANAGER, "InterfacesAdded", "(oa{sa{sv}})",
		apply_added },
	{ DBUS_IFACE_OBJECT_MANAGER, "InterfacesRemoved", "(oas)",
		apply_removed },
	{ DBUS_IFACE_PROPERTIES, "PropertiesChanged", "(sa{sv}as)",
		apply_changed },
	{ BLUEZ_IFACE_DEVICE, "Disconnected", "(ss)", apply_disconnected },
};

bool mirror_apply_signal(struct model *model, DBusMessage *msg, GError **error)
{
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	const char *path = dbus_message_get_path(msg);
	GVariant *args;

	if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL && iface &&
		member && path) {
		for (size_t i = 0; i < G_N_ELEMENTS(followed); i++) {
			if (strcmp(followed[i].iface, iface) ||
				strcmp(followed[i].member, member))
				continue;
			if (!msg_get_args(msg, followed[i].args, &args, error))
				return false;
			followed[i].apply(model, path, args);
			g_variant_unref(args);
			return true;
		}
	}
	g_set_error(error, BCERROR, BCERROR_BAD_MESSAGE,
		"%s.%s is not a signal the mirror follows", iface ? iface : "?",
		member ? member : "?");
	return false;
}

static void sync_reply(DBusMessage *reply, void *data)
{
	struct mirror *mi = data;
	GError *err = NULL;

	mi->sync_call = 0;
	if (msg_is_error(reply, &err) ||
		!mirror_apply_objects(mi->model, reply, &err)) {
		g_prefix_error(&err,
			"GetManagedObjects from %s: ", mi->service);
		enter_state(mi, MIRROR_STATE_ERROR, err);
		g_error_free(err);
		return;
	}
	enter_state(mi, MIRROR_STATE_SYNCED, NULL);
}

static void start_sync(struct mirror *mi)
{
	if (mi->sync_call)
		bus_cancel(mi->bus, mi->sync_call);
	enter_state(mi, MIRROR_STATE_SYNCING, NULL);
	mi->sync_call = bus_call_method(mi->bus, mi->owner, BLUEZ_PATH_ROOT,
		DBUS_IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL,
		SYNC_TIMEOUT_MS, sync_reply, mi, NULL);
}

static void owner_cb(const char *name, const char *owner, void *data)
{
	struct mirror *mi = data;
	bool had = mi->owner != NULL;

	(void)name;
	g_free(mi->owner);
	mi->owner = g_strdup(owner);
	if (mi->sync_call) {
		bus_cancel(mi->bus, mi->sync_call);
		mi->sync_call = 0;
	}
	if (had || model_size(mi->model))
		model_reset(mi->model);
	if (!owner)
		enter_state(mi, MIRROR_STATE_NO_SERVICE, NULL);
	else
		start_sync(mi);
}

static void on_signal(DBusMessage *msg, void *data)
{
	struct mirror *mi = data;
	GError *err = NULL;

	/* signals sent before we knew the owner are dropped */
	if (!mi->owner ||
		g_strcmp0(dbus_message_get_sender(msg), mi->owner) != 0)
		return;
	if (!mirror_apply_signal(mi->model, msg, &err))
		warn(mi, err);
}

struct mirror *mirror_new(struct bus *bus, struct model *model,
	const char *service)
{
	struct mirror *mi = g_new0(struct mirror, 1);

	mi->bus = bus_ref(bus);
	mi->model = model;
	mi->service = g_strdup(service ? service : BLUEZ_SERVICE);
	return mi;
}

void mirror_set_state_cb(struct mirror *mi, mirror_state_fn fn, void *user_data)
{
	mi->state_fn = fn;
	mi->state_data = user_data;
}

void mirror_set_warn_cb(struct mirror *mi, mirror_warn_fn fn, void *user_data)
{
	mi->warn_fn = fn;
	mi->warn_data = user_data;
}

void mirror_start(struct mirror *mi)
{
	if (mi->state != MIRROR_STATE_IDLE)
		return;
	mi->sig[0] = bus_add_signal_watch(mi->bus, mi->service, NULL, NULL,
		DBUS_IFACE_OBJECT_MANAGER, "InterfacesAdded", on_signal, mi,
		NULL);
	mi->sig[1] = bus_add_signal_watch(mi->bus, mi->service, NULL, NULL,
		DBUS_IFACE_OBJECT_MANAGER, "InterfacesRemoved", on_signal, mi,
		NULL);
	mi->sig[2] = bus_add_signal_watch(mi->bus, mi->service, NULL,
		BLUEZ_PATH, DBUS_IFACE_PROPERTIES, "PropertiesChanged",
		on_signal, mi, NULL);
	mi->sig[3] = bus_add_signal_watch(mi->bus, mi->service, NULL,
		BLUEZ_PATH, BLUEZ_IFACE_DEVICE, "Disconnected", on_signal, mi,
		NULL);
	enter_state(mi, MIRROR_STATE_WAITING, NULL);
	mi->name_watch = bus_watch_name(mi->bus, mi->service, owner_cb, mi,
		NULL);
}

void mirror_free(struct mirror *mi)
{
	if (!mi)
		return;
	if (mi->sync_call)
		bus_cancel(mi->bus, mi->sync_call);
	for (int i = 0; i < 4; i++)
		if (mi->sig[i])
			bus_remove_signal_watch(mi->bus, mi->sig[i]);
	if (mi->name_watch)
		bus_unwatch_name(mi->bus, mi->name_watch);
	bus_unref(mi->bus);
	g_free(mi->owner);
	g_free(mi->service);
	g_free(mi);
}

enum mirror_state mirror_state(struct mirror *mi)
{
	return mi->state;
}

const char *mirror_owner(struct mirror *mi)
{
	return mi->owner;
}

guint mirror_bad_messages(struct mirror *mi)
{
	return mi->bad;
}
