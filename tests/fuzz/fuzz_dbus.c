/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dbus.c — libFuzzer target for the D-Bus messages we decode. Two
 * ways to a message: the bytes as a whole marshalled message (what libdbus
 * accepts, validating it as it does what arrives on a connection), or, so
 * that most inputs are messages, [selector][GVariant type string, NUL][data]
 * made into a value of that type (g_variant_new_from_data, untrusted), sent
 * with msg.c as the body of one of the signals the mirror follows (or of a
 * GetManagedObjects reply), and marshalled and demarshalled again. Then:
 * msg.c reads it whole and against each argument type we expect from BlueZ,
 * and the mirror applies it to a model that holds an adapter, a device and a
 * characteristic, which is queried as the engine does. No crash, no leak; a
 * decoding either gives a value of the asked type or a GError.
 */
#include <dbus/dbus.h>
#include <glib.h>
#include <string.h>

#include "bondcheck/bluez.h"
#include "bondcheck/mirror.h"
#include "bondcheck/model.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "fuzz/fuzz.h"

#define DEV "/org/bluez/hci0/dev_C0_FF_EE_00_13_42"

static const char *const arg_types[] = {
	"(a{oa{sa{sv}}})",
	"(oa{sa{sv}})",
	"(oas)",
	"(sa{sv}as)",
	"(ss)",
	"(s)",
	"(o)",
	"(v)",
	"(ay)",
	"(a{sv})",
	"(u)",
	"()",
};

static const char objects[] =
	"{'/org/bluez/hci0': {'org.bluez.Adapter1': {'Address': "
	"<'00:B0:DC:00:00:01'>, 'Powered': <true>, 'Discovering': <false>}}, "
	"'" DEV "': {'org.bluez.Device1': {'Address': <'C0:FF:EE:00:13:42'>, "
	"'AddressType': <'public'>, 'Name': <'mpy-temp'>, 'Adapter': "
	"<objectpath '/org/bluez/hci0'>, 'Paired': <true>, 'Bonded': <true>, "
	"'Connected': <false>}}, "
	"'" DEV "/service000a': {'org.bluez.GattService1': {'UUID': "
	"<'0000181a-0000-1000-8000-00805f9b34fb'>, 'Device': <objectpath '" DEV
	"'>}}, "
	"'" DEV "/service000a/char000b': {'org.bluez.GattCharacteristic1': "
	"{'UUID': <'00002a6e-0000-1000-8000-00805f9b34fb'>, 'Service': "
	"<objectpath '" DEV "/service000a'>, 'Value': <@ay []>}}}";

/* What the selector byte makes of a structured input. */
static const struct {
	int type;
	const char *path;
	const char *iface;
	const char *member;
} shapes[] = {
	{ DBUS_MESSAGE_TYPE_SIGNAL, "/", "org.freedesktop.DBus.ObjectManager",
		"InterfacesAdded" },
	{ DBUS_MESSAGE_TYPE_SIGNAL, "/", "org.freedesktop.DBus.ObjectManager",
		"InterfacesRemoved" },
	{ DBUS_MESSAGE_TYPE_SIGNAL, DEV, "org.freedesktop.DBus.Properties",
		"PropertiesChanged" },
	{ DBUS_MESSAGE_TYPE_SIGNAL, DEV, "org.bluez.Device1", "Disconnected" },
	{ DBUS_MESSAGE_TYPE_METHOD_RETURN, NULL, NULL, NULL },
	{ DBUS_MESSAGE_TYPE_ERROR, NULL, NULL, NULL },
};

/* A message from a structured input, or NULL. */
static DBusMessage *structured(const uint8_t *data, size_t size)
{
	const char *ts = (const char *)data + 1;
	const char *nul = memchr(ts, '\0', size - 1);
	DBusMessage *m, *out;
	GVariant *v, *body;
	GBytes *bytes;
	char *wire = NULL;
	int len = 0, k;
	DBusError derr;

	/* (a value has a definite type: not r, *, ? or one with them) */
	if (!nul || !g_variant_type_string_is_valid(ts) ||
		!g_variant_type_is_definite(G_VARIANT_TYPE(ts)))
		return NULL;
	k = (int)(data[0] % G_N_ELEMENTS(shapes));
	if (shapes[k].type == DBUS_MESSAGE_TYPE_SIGNAL) {
		m = dbus_message_new_signal(shapes[k].path, shapes[k].iface,
			shapes[k].member);
	} else {
		DBusMessage *call = dbus_message_new_method_call("org.bluez",
			"/", "org.freedesktop.DBus.ObjectManager",
			"GetManagedObjects");

		dbus_message_set_serial(call, 1);
		m = shapes[k].type == DBUS_MESSAGE_TYPE_ERROR ?
		            dbus_message_new_error(call,
				    "org.bluez.Error.Failed", NULL) :
		            dbus_message_new_method_return(call);
		dbus_message_unref(call);
	}
	bytes = g_bytes_new(nul + 1,
		size - (size_t)(nul + 1 - (const char *)data));
	v = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(ts),
		bytes, FALSE));
	g_bytes_unref(bytes);
	body = g_variant_get_normal_form(v);
	g_variant_unref(v);
	/* a tuple is the arguments; anything else is one argument */
	if (!g_variant_is_of_type(body, G_VARIANT_TYPE_TUPLE))
		body = g_variant_new_tuple(&body, 1);
	if (!msg_append(m, body, NULL)) {
		dbus_message_unref(m);
		return NULL;
	}
	dbus_message_set_serial(m, 2);
	dbus_message_set_sender(m, ":1.7");
	if (!dbus_message_marshal(m, &wire, &len)) {
		dbus_message_unref(m);
		return NULL;
	}
	dbus_message_unref(m);
	dbus_error_init(&derr);
	out = dbus_message_demarshal(wire, len, &derr);
	dbus_error_free(&derr);
	dbus_free(wire);
	return out;
}

static void query(struct model *m)
{
	const char *a = bluez_find_adapter(m, NULL, NULL);
	const char *d = bluez_find_device(m, a, "C0:FF:EE:00:13:42");
	const char *c;
	bool from_paired, b;

	(void)bluez_find_device_by_name(m, a, "mpy-temp");
	if (!d)
		return;
	(void)bluez_device_bonded(m, d, &from_paired);
	(void)model_bool(m, d, BLUEZ_IFACE_DEVICE, "Connected", &b);
	(void)model_str(m, d, BLUEZ_IFACE_DEVICE, "Address");
	c = bluez_find_chrc(m, d, "00002a6e-0000-1000-8000-00805f9b34fb");
	if (c)
		(void)bluez_find_desc(m, c,
			"00002902-0000-1000-8000-00805f9b34fb");
}

int fuzz_dbus(const uint8_t *data, size_t size)
{
	struct model *m;
	DBusMessage *msg;
	DBusError derr;
	GError *err = NULL;
	GVariant *v, *base;

	dbus_error_init(&derr);
	if (size < 2 || size > 1u << 20)
		return 0;
	/* a marshalled message starts with its byte order: 'l' or 'B' */
	if (data[0] == 'l' || data[0] == 'B')
		msg = dbus_message_demarshal((const char *)data, (int)size,
			&derr);
	else
		msg = structured(data, size);
	dbus_error_free(&derr);
	if (!msg)
		return 0;
	v = msg_body(msg, &err);
	if (v)
		g_variant_unref(v);
	else
		g_clear_error(&err);
	for (size_t i = 0; i < G_N_ELEMENTS(arg_types); i++) {
		if (msg_get_args(msg, arg_types[i], &v, &err)) {
			if (!g_variant_is_of_type(v,
				    G_VARIANT_TYPE(arg_types[i])))
				__builtin_trap();
			g_variant_unref(v);
		} else if (!err) {
			__builtin_trap();
		} else {
			g_clear_error(&err);
		}
	}
	if (msg_is_error(msg, &err)) {
		if (!msg_error_name(msg) || !msg_error_text(msg))
			__builtin_trap();
		g_clear_error(&err);
	}

	m = model_new();
	base = g_variant_parse(G_VARIANT_TYPE("a{oa{sa{sv}}}"), objects, NULL,
		NULL, NULL);
	model_load(m, base);
	g_variant_unref(base);
	if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL) {
		if (!mirror_apply_signal(m, msg, &err))
			g_clear_error(&err);
	} else if (!mirror_apply_objects(m, msg, &err)) {
		g_clear_error(&err);
	}
	query(m);
	model_free(m);
	dbus_message_unref(msg);
	return 0;
}
