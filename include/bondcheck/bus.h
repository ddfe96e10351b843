/* SPDX-License-Identifier: MIT */
/*
 * bus.h — one libdbus-1 connection driven by the GLib main loop.
 *
 * Owns the connection and everything that reads from it: watches and
 * timeouts as GLib sources, dispatch from an idle source, asynchronous method
 * calls, signal subscriptions and name-owner tracking. Nothing here blocks
 * once the connection is up. A lost connection is reported through the
 * disconnect callback; it never exits the process.
 */
#ifndef BONDCHECK_BUS_H
#define BONDCHECK_BUS_H

#include <stdbool.h>
#include <dbus/dbus.h>
#include <glib.h>

struct bus;

enum bus_kind {
	BUS_KIND_SYSTEM, /* $DBUS_SYSTEM_BUS_ADDRESS or the system bus */
	BUS_KIND_SESSION,
	BUS_KIND_ADDRESS, /* an address given by the caller */
};

/*
 * Connect and register with the bus (the Hello round trip is the one blocking
 * step, done before the engine runs, as bluetoothd does at start-up).
 */
struct bus *bus_connect(enum bus_kind kind, const char *address,
	GError **error);
struct bus *bus_ref(struct bus *bus);
void bus_unref(struct bus *bus);

DBusConnection *bus_conn(struct bus *bus);
const char *bus_unique_name(struct bus *bus);
bool bus_is_connected(struct bus *bus);

typedef void (*bus_disconnect_fn)(struct bus *bus, void *user_data);
void bus_set_disconnect_handler(struct bus *bus, bus_disconnect_fn fn,
	void *user_data);

/* Queue @msg for sending (signals and replies). Takes no reference. */
bool bus_send(struct bus *bus, DBusMessage *msg);

/*
 * Asynchronous method call. @reply is the reply or error message (never
 * NULL); a timeout arrives as org.freedesktop.DBus.Error.NoReply and a lost
 * connection as org.freedesktop.DBus.Error.Disconnected. @destroy runs exactly
 * once, after the callback or on cancel. Returns an id > 0, or 0 if the call
 * could not be sent (then @destroy has already run).
 */
typedef void (*bus_reply_fn)(DBusMessage *reply, void *user_data);
guint bus_call(struct bus *bus, DBusMessage *msg, int timeout_ms,
	bus_reply_fn fn, void *user_data, GDestroyNotify destroy);
/* Convenience: build the call from a GVariant tuple of arguments. */
guint bus_call_method(struct bus *bus, const char *dest, const char *path,
	const char *iface, const char *method, GVariant *args, int timeout_ms,
	bus_reply_fn fn, void *user_data, GDestroyNotify destroy);
bool bus_cancel(struct bus *bus, guint id);

/*
 * Signal subscription. Any of @sender (a unique or well-known name), @path,
 * @iface, @member may be NULL for "any". @path_namespace matches a path and
 * all paths below it. For a well-known @sender the bus tracks the name's
 * current owner and matches signals from that owner only.
 */
typedef void (*bus_signal_fn)(DBusMessage *msg, void *user_data);
guint bus_add_signal_watch(struct bus *bus, const char *sender,
	const char *path, const char *path_namespace, const char *iface,
	const char *member, bus_signal_fn fn, void *user_data,
	GDestroyNotify destroy);
void bus_remove_signal_watch(struct bus *bus, guint id);

/*
 * Name-owner tracking: @fn is called with the new owner (NULL when the name
 * vanished) once the current owner is known and on every change.
 */
typedef void (*bus_name_fn)(const char *name, const char *owner,
	void *user_data);
guint bus_watch_name(struct bus *bus, const char *name, bus_name_fn fn,
	void *user_data, GDestroyNotify destroy);
void bus_unwatch_name(struct bus *bus, guint id);
/* The last known owner of a watched name, or NULL. */
const char *bus_name_owner(struct bus *bus, const char *name);

/* Own a well-known name (blocking, for program start-up). */
bool bus_request_name(struct bus *bus, const char *name, GError **error);

/* A message filter for incoming method calls (used by service.c). */
typedef DBusHandlerResult (*bus_method_fn)(DBusMessage *msg, void *user_data);
void bus_set_method_handler(struct bus *bus, bus_method_fn fn, void *user_data);

/* Hook run before any message is sent (service.c flushes signals there). */
typedef void (*bus_presend_fn)(void *user_data);
void bus_set_presend_hook(struct bus *bus, bus_presend_fn fn, void *user_data);

#endif
