/* SPDX-License-Identifier: MIT */
/*
 * msg.c — conversion between libdbus messages and GVariant values.
 * Owns the only code that walks DBusMessageIter. Must never trust a peer's
 * message shape: every read is checked, every failure is a GError.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/msg.h"

/* libdbus already limits nesting to 64 levels when it validates a message. */
#define MAX_DEPTH 64

static GVariant *read_value(DBusMessageIter *it, int depth, GError **error);

static GVariant *read_container(DBusMessageIter *it, const char *type_str,
	int depth, GError **error)
{
	DBusMessageIter sub;
	GVariantBuilder b;
	GVariantType *type;

	if (!g_variant_type_string_is_valid(type_str)) {
		g_set_error(error, BCERROR, BCERROR_BAD_MESSAGE,
			"unsupported D-Bus signature '%s'", type_str);
		return NULL;
	}
	type = g_variant_type_new(type_str);
	g_variant_builder_init(&b, type);
	g_variant_type_free(type);

	dbus_message_iter_recurse(it, &sub);
	while (dbus_message_iter_get_arg_type(&sub) != DBUS_TYPE_INVALID) {
		GVariant *child = read_value(&sub, depth + 1, error);

		if (!child) {
			g_variant_builder_clear(&b);
			return NULL;
		}
		g_variant_builder_add_value(&b, child);
		dbus_message_iter_next(&sub);
	}
	return g_variant_builder_end(&b);
}

static GVariant *read_value(DBusMessageIter *it, int depth, GError **error)
{
	int t = dbus_message_iter_get_arg_type(it);
	GVariant *v = NULL;

	if (depth > MAX_DEPTH) {
		g_set_error(error, BCERROR, BCERROR_BAD_MESSAGE,
			"message nested too deeply");
		return NULL;
	}

	switch (t) {
	case DBUS_TYPE_BYTE: {
		unsigned char x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_byte(x);
	}
	case DBUS_TYPE_BOOLEAN: {
		dbus_bool_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_boolean(x != 0);
	}
	case DBUS_TYPE_INT16: {
		dbus_int16_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_int16(x);
	}
	case DBUS_TYPE_UINT16: {
		dbus_uint16_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_uint16(x);
	}
	case DBUS_TYPE_INT32: {
		dbus_int32_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_int32(x);
	}
	case DBUS_TYPE_UINT32: {
		dbus_uint32_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_uint32(x);
	}
	case DBUS_TYPE_INT64: {
		dbus_int64_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_int64(x);
	}
	case DBUS_TYPE_UINT64: {
		dbus_uint64_t x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_uint64(x);
	}
	case DBUS_TYPE_DOUBLE: {
		double x;
		dbus_message_iter_get_basic(it, &x);
		return g_variant_new_double(x);
	}
	case DBUS_TYPE_STRING:
	case DBUS_TYPE_OBJECT_PATH:
	case DBUS_TYPE_SIGNATURE: {
		const char *s = NULL;

		dbus_message_iter_get_basic(it, &s);
		/* libdbus validated these when the message was demarshalled */
		if (t == DBUS_TYPE_STRING)
			return g_variant_new_string(s);
		if (t == DBUS_TYPE_OBJECT_PATH)
			return g_variant_new_object_path(s);
		return g_variant_new_signature(s);
	}
	case DBUS_TYPE_VARIANT: {
		DBusMessageIter sub;
		GVariant *inner;

		dbus_message_iter_recurse(it, &sub);
		inner = read_value(&sub, depth + 1, error);
		return inner ? g_variant_new_variant(inner) : NULL;
	}
	case DBUS_TYPE_ARRAY: {
		char *sig = dbus_message_iter_get_signature(it);

		if (sig && strcmp(sig, "ay") == 0) {
			DBusMessageIter sub;
			const unsigned char *bytes = NULL;
			int n = 0;

			dbus_message_iter_recurse(it, &sub);
			dbus_message_iter_get_fixed_array(&sub, &bytes, &n);
			v = g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
				n ? bytes : (const unsigned char *)"", n, 1);
		} else if (sig) {
			v = read_container(it, sig, depth, error);
		}
		dbus_free(sig);
		return v;
	}
	case DBUS_TYPE_STRUCT:
	case DBUS_TYPE_DICT_ENTRY: {
		char *sig = dbus_message_iter_get_signature(it);

		/* a dict entry's own signature is "{kv}", a struct's "(...)" */
		if (sig)
			v = read_container(it, sig, depth, error);
		dbus_free(sig);
		return v;
	}
	case DBUS_TYPE_UNIX_FD:
		g_set_error(error, BCERROR, BCERROR_BAD_MESSAGE,
			"file descriptors are not accepted here");
		return NULL;
	default:
		g_set_error(error, BCERROR, BCERROR_BAD_MESSAGE,
			"unsupported D-Bus type '%c'", t);
		return NULL;
	}
}

GVariant *msg_iter_read(DBusMessageIter *iter, GError **error)
{
	GVariant *v = read_value(iter, 0, error);

	return v ? g_variant_ref_sink(v) : NULL;
}

GVariant *msg_body(DBusMessage *msg, GError **error)
{
	DBusMessageIter it;
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_TUPLE);
	if (dbus_message_iter_init(msg, &it)) {
		do {
			GVariant *v = read_value(&it, 1, error);

			if (!v) {
				g_variant_builder_clear(&b);
				return NULL;
			}
			g_variant_builder_add_value(&b, v);
		} while (dbus_message_iter_next(&it));
	}
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

bool msg_get_args(DBusMessage *msg, const char *type, GVariant **out,
	GError **error)
{
	GVariant *body = msg_body(msg, error);

	if (!body)
		return false;
	if (!g_variant_is_of_type(body, G_VARIANT_TYPE(type))) {
		const char *member = dbus_message_get_member(msg);

		g_set_error(error, BCERROR, BCERROR_BAD_MESSAGE,
			"%s%s%s: expected arguments %s, got %s",
			member ? "" : "reply", member ? member : "",
			member ? "()" : "", type,
			g_variant_get_type_string(body));
		g_variant_unref(body);
		return false;
	}
	if (out)
		*out = body;
	else
		g_variant_unref(body);
	return true;
}

static bool append_value(DBusMessageIter *iter, GVariant *value, int depth,
	GError **error);

bool msg_append_value(DBusMessageIter *iter, GVariant *value, GError **error)
{
	return append_value(iter, value, 1, error);
}

/*
 * GVariant has types D-Bus has not (maybe, handles in arrays) and nests
 * deeper than D-Bus allows: libdbus aborts on the first and the bus drops
 * a connection that sends the second, so both are errors here first.
 */
static bool append_value(DBusMessageIter *iter, GVariant *value, int depth,
	GError **error)
{
	DBusMessageIter sub;
	const char *ts = g_variant_get_type_string(value);

	if (depth > MAX_DEPTH) {
		g_set_error(error, BCERROR, BCERROR_INVALID_ARGS,
			"a value nested deeper than D-Bus allows (%d)",
			MAX_DEPTH);
		return false;
	}
	/* (a dict entry is checked with its array) */
	if (g_variant_classify(value) != G_VARIANT_CLASS_DICT_ENTRY &&
		!dbus_signature_validate_single(ts, NULL)) {
		g_set_error(error, BCERROR, BCERROR_INVALID_ARGS,
			"type %s cannot be sent over D-Bus", ts);
		return false;
	}
	switch (g_variant_classify(value)) {
	case G_VARIANT_CLASS_BOOLEAN: {
		dbus_bool_t x = g_variant_get_boolean(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_BOOLEAN,
			&x);
	}
	case G_VARIANT_CLASS_BYTE: {
		unsigned char x = g_variant_get_byte(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_BYTE, &x);
	}
	case G_VARIANT_CLASS_INT16: {
		dbus_int16_t x = g_variant_get_int16(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_INT16,
			&x);
	}
	case G_VARIANT_CLASS_UINT16: {
		dbus_uint16_t x = g_variant_get_uint16(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT16,
			&x);
	}
	case G_VARIANT_CLASS_INT32: {
		dbus_int32_t x = g_variant_get_int32(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_INT32,
			&x);
	}
	case G_VARIANT_CLASS_UINT32: {
		dbus_uint32_t x = g_variant_get_uint32(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT32,
			&x);
	}
	case G_VARIANT_CLASS_INT64: {
		dbus_int64_t x = g_variant_get_int64(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_INT64,
			&x);
	}
	case G_VARIANT_CLASS_UINT64: {
		dbus_uint64_t x = g_variant_get_uint64(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT64,
			&x);
	}
	case G_VARIANT_CLASS_DOUBLE: {
		double x = g_variant_get_double(value);
		return dbus_message_iter_append_basic(iter, DBUS_TYPE_DOUBLE,
			&x);
	}
	case G_VARIANT_CLASS_STRING:
	case G_VARIANT_CLASS_OBJECT_PATH:
	case G_VARIANT_CLASS_SIGNATURE: {
		const char *s = g_variant_get_string(value, NULL);
		int t = g_variant_classify(value) == G_VARIANT_CLASS_STRING ?
		                DBUS_TYPE_STRING :
		        g_variant_classify(value) ==
		                        G_VARIANT_CLASS_OBJECT_PATH ?
		                DBUS_TYPE_OBJECT_PATH :
		                DBUS_TYPE_SIGNATURE;
		if (t == DBUS_TYPE_STRING && !g_utf8_validate(s, -1, NULL)) {
			g_set_error(error, BCERROR, BCERROR_INVALID_ARGS,
				"string is not valid UTF-8");
			return false;
		}
		return dbus_message_iter_append_basic(iter, t, &s);
	}
	case G_VARIANT_CLASS_VARIANT: {
		GVariant *inner = g_variant_get_variant(value);
		bool ok;

		if (!dbus_signature_validate_single(
			    g_variant_get_type_string(inner), NULL)) {
			g_set_error(error, BCERROR, BCERROR_INVALID_ARGS,
				"type %s cannot be sent over D-Bus",
				g_variant_get_type_string(inner));
			g_variant_unref(inner);
			return false;
		}
		dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT,
			g_variant_get_type_string(inner), &sub);
		ok = append_value(&sub, inner, depth + 1, error);
		g_variant_unref(inner);
		if (!ok) {
			dbus_message_iter_abandon_container(iter, &sub);
			return false;
		}
		return dbus_message_iter_close_container(iter, &sub);
	}
	case G_VARIANT_CLASS_ARRAY: {
		if (strcmp(ts, "ay") == 0) {
			gsize n = 0;
			const unsigned char *p =
				g_variant_get_fixed_array(value, &n, 1);

			dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY,
				"y", &sub);
			dbus_message_iter_append_fixed_array(&sub,
				DBUS_TYPE_BYTE, &p, (int)n);
			return dbus_message_iter_close_container(iter, &sub);
		}
		dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, ts + 1,
			&sub);
		goto children;
	}
	case G_VARIANT_CLASS_TUPLE:
		dbus_message_iter_open_container(iter, DBUS_TYPE_STRUCT, NULL,
			&sub);
		goto children;
	case G_VARIANT_CLASS_DICT_ENTRY:
		dbus_message_iter_open_container(iter, DBUS_TYPE_DICT_ENTRY,
			NULL, &sub);
		goto children;
	case G_VARIANT_CLASS_MAYBE:
	case G_VARIANT_CLASS_HANDLE:
		g_set_error(error, BCERROR, BCERROR_INVALID_ARGS,
			"type %s cannot be sent over D-Bus", ts);
		return false;
	}
	g_set_error(error, BCERROR, BCERROR_INVALID_ARGS, "unknown type %s",
		ts);
	return false;

children:
	for (gsize i = 0, n = g_variant_n_children(value); i < n; i++) {
		GVariant *c = g_variant_get_child_value(value, i);
		bool ok = append_value(&sub, c, depth + 1, error);

		g_variant_unref(c);
		if (!ok) {
			dbus_message_iter_abandon_container(iter, &sub);
			return false;
		}
	}
	return dbus_message_iter_close_container(iter, &sub);
}

bool msg_append(DBusMessage *msg, GVariant *tuple, GError **error)
{
	DBusMessageIter it;
	bool ok = true;

	if (!tuple)
		return true;
	g_variant_ref_sink(tuple);
	if (!g_variant_is_of_type(tuple, G_VARIANT_TYPE_TUPLE)) {
		g_set_error(error, BCERROR, BCERROR_INVALID_ARGS,
			"arguments must be a tuple, not %s",
			g_variant_get_type_string(tuple));
		g_variant_unref(tuple);
		return false;
	}
	dbus_message_iter_init_append(msg, &it);
	for (gsize i = 0, n = g_variant_n_children(tuple); ok && i < n; i++) {
		GVariant *c = g_variant_get_child_value(tuple, i);

		ok = msg_append_value(&it, c, error);
		g_variant_unref(c);
	}
	g_variant_unref(tuple);
	return ok;
}

DBusMessage *msg_new_call(const char *dest, const char *path, const char *iface,
	const char *method, GVariant *args)
{
	DBusMessage *m = dbus_message_new_method_call(dest, path, iface,
		method);

	if (!m) {
		if (args)
			g_variant_unref(g_variant_ref_sink(args));
		return NULL;
	}
	if (!msg_append(m, args, NULL)) {
		dbus_message_unref(m);
		return NULL;
	}
	return m;
}

const char *msg_error_name(DBusMessage *reply)
{
	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_ERROR)
		return NULL;
	return dbus_message_get_error_name(reply);
}

const char *msg_error_text(DBusMessage *reply)
{
	DBusMessageIter it;
	const char *s = NULL;

	if (!msg_error_name(reply))
		return NULL;
	if (dbus_message_iter_init(reply, &it) &&
		dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_STRING)
		dbus_message_iter_get_basic(&it, &s);
	return s ? s : "";
}

bool msg_is_error(DBusMessage *reply, GError **error)
{
	const char *name = msg_error_name(reply);

	if (!name)
		return false;
	g_set_error(error, BCERROR, bcerror_from_dbus_name(name), "%s: %s",
		name, msg_error_text(reply));
	return true;
}

bool msg_valid_path(const char *path)
{
	return path && g_variant_is_object_path(path);
}

bool msg_dict_bool(GVariant *dict, const char *key, bool *out)
{
	gboolean b;

	if (!g_variant_lookup(dict, key, "b", &b))
		return false;
	*out = b;
	return true;
}

bool msg_dict_string(GVariant *dict, const char *key, const char **out)
{
	return g_variant_lookup(dict, key, "&s", out);
}
