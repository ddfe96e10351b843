/* SPDX-License-Identifier: MIT */
/*
 * msg.h — D-Bus message helpers. A message body is read into a GVariant
 * tuple and checked against the exact type the caller expects, so a peer
 * that sends the wrong shape produces a GError (BCERROR_BAD_MESSAGE), never
 * a crash or a silently wrong value. Bodies are built from GVariant tuples.
 */
#ifndef BONDCHECK_MSG_H
#define BONDCHECK_MSG_H

#include <stdbool.h>
#include <dbus/dbus.h>
#include <glib.h>

/* The whole body as a tuple, e.g. "(oa{sa{sv}})"; an empty body is "()". */
GVariant *msg_body(DBusMessage *msg, GError **error);

/*
 * The body, checked against @type (a GVariant tuple type string such as
 * "(sa{sv}as)"). On success *out holds a new floating-free reference.
 */
bool msg_get_args(DBusMessage *msg, const char *type, GVariant **out,
	GError **error);

/* Append the children of @tuple (or nothing for NULL) to @msg. */
bool msg_append(DBusMessage *msg, GVariant *tuple, GError **error);

/* Append one value (not a tuple of arguments) at @iter. */
bool msg_append_value(DBusMessageIter *iter, GVariant *value, GError **error);

/* One value read at @iter (used for a single variant or property). */
GVariant *msg_iter_read(DBusMessageIter *iter, GError **error);

/* A new method call with @args (a tuple or NULL; a floating ref is sunk). */
DBusMessage *msg_new_call(const char *dest, const char *path, const char *iface,
	const char *method, GVariant *args);

/*
 * If @reply is an error, fill @error (code from the bcerror table, message
 * "NAME: text") and return true. The error's D-Bus name and text are also
 * available with msg_error_name()/msg_error_text().
 */
bool msg_is_error(DBusMessage *reply, GError **error);
const char *msg_error_name(DBusMessage *reply);
const char *msg_error_text(DBusMessage *reply);

/* Check a D-Bus object path / bus name / interface name for validity. */
bool msg_valid_path(const char *path);

/* "a{sv}" lookups with type checks. Return false if absent or wrong type. */
bool msg_dict_bool(GVariant *dict, const char *key, bool *out);
bool msg_dict_string(GVariant *dict, const char *key, const char **out);

#endif
