/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dbus.c — libFuzzer target for the D-Bus messages we decode: any
 * bytes that libdbus accepts as a message (it validates them as it does
 * what arrives on a connection) go through msg.c, read whole and against
 * each argument type we expect from BlueZ, and through the mirror into a
 * model that holds an adapter, a device and a characteristic, which is
 * then queried as the engine does. No crash, no leak; a decoding either
 * gives a value of the asked type or a GError.
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
	"(a{oa{sa{sv}}})", "(oa{sa{sv}})", "(oas)", "(sa{sv}as)", "(ss)",
	"(s)", "(o)", "(v)", "(ay)", "(a{sv})", "(u)", "()",
};

static const char objects[] =
	"{'/org/bluez/hci0': {'org.bluez.Adapter1': {'Address': "
	"<'00:B0:DC:00:00:01'>, 'Powered': <true>, 'Discovering': <false>}}, "
	"'" DEV "': {'org.bluez.Device1': {'Address': <'C0:FF:EE:00:13:42'>, "
	"'AddressType': <'public'>, 'Name': <'mpy-temp'>, 'Adapter': "
	"<objectpath '/org/bluez/hci0'>, 'Paired': <true>, 'Bonded': <true>, "
	"'Connected': <false>}}, "
	"'" DEV "/service000a': {'org.bluez.GattService1': {'UUID': "
	"<'0000181a-0000-1000-8000-00805f9b34fb'>, 'Device': <objectpath '"
	DEV "'>}}, "
	"'" DEV "/service000a/char000b': {'org.bluez.GattCharacteristic1': "
	"{'UUID': <'00002a6e-0000-1000-8000-00805f9b34fb'>, 'Service': "
	"<objectpath '" DEV "/service000a'>, 'Value': <@ay []>}}}";

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
	if (size > 1u << 20)
		return 0;
	msg = dbus_message_demarshal((const char *)data, (int)size, &derr);
	if (!msg) {
		dbus_error_free(&derr);
		return 0;
	}
	v = msg_body(msg, &err);
	if (v)
		g_variant_unref(v);
	else
		g_clear_error(&err);
	for (size_t i = 0; i < G_N_ELEMENTS(arg_types); i++) {
		if (msg_get_args(msg, arg_types[i], &v, &err)) {
			if (!g_variant_is_of_type(v, G_VARIANT_TYPE(arg_types[i])))
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
