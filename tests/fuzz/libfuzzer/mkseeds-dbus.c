/* SPDX-License-Identifier: MIT */
/*
 * mkseeds-dbus.c — writes the seeds of the dbus fuzz target: marshalled
 * messages of the shapes BlueZ sends and the mirror follows, and some it
 * must refuse. `make fuzz-seeds` runs it into tests/fuzz/corpus/dbus/.
 */
#include <dbus/dbus.h>
#include <glib.h>
#include <stdio.h>

#include "bondcheck/msg.h"

#define DEV "/org/bluez/hci0/dev_C0_FF_EE_00_13_42"

static const char *dir;

static void save(const char *name, DBusMessage *m)
{
	char *data = NULL, *path;
	int len = 0;

	dbus_message_set_serial(m, 7);
	if (!dbus_message_get_sender(m))
		dbus_message_set_sender(m, ":1.42");
	if (!dbus_message_marshal(m, &data, &len))
		g_error("cannot marshal %s", name);
	path = g_strdup_printf("%s/%s.bin", dir, name);
	if (!g_file_set_contents(path, data, len, NULL))
		g_error("cannot write %s", path);
	g_free(path);
	dbus_free(data);
	dbus_message_unref(m);
}

static DBusMessage *signal_of(const char *path, const char *iface,
	const char *member, const char *args)
{
	DBusMessage *m = dbus_message_new_signal(path, iface, member);
	GVariant *v = g_variant_parse(NULL, args, NULL, NULL, NULL);

	if (!v || !msg_append(m, v, NULL))
		g_error("bad seed %s.%s %s", iface, member, args);
	return m;
}

static DBusMessage *reply_of(const char *args)
{
	DBusMessage *call = dbus_message_new_method_call("org.bluez", "/",
		"org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
	DBusMessage *m;
	GVariant *v = g_variant_parse(NULL, args, NULL, NULL, NULL);

	dbus_message_set_serial(call, 3);
	m = dbus_message_new_method_return(call);
	dbus_message_unref(call);
	if (!v || !msg_append(m, v, NULL))
		g_error("bad seed reply %s", args);
	return m;
}

int main(int argc, char **argv)
{
	DBusMessage *call, *m;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds-dbus DIR\n");
		return 2;
	}
	dir = argv[1];
	save("interfaces-added-device",
		signal_of("/", "org.freedesktop.DBus.ObjectManager",
			"InterfacesAdded",
			"(objectpath '" DEV
			"', {'org.bluez.Device1': {'Address': "
			"<'C0:FF:EE:00:13:42'>, 'AddressType': <'public'>, 'Name': "
			"<'mpy-temp'>, 'Alias': <'mpy-temp'>, 'Appearance': <uint16 768>, "
			"'Paired': <false>, 'Bonded': <false>, 'Connected': <false>, "
			"'RSSI': <int16 -52>, 'UUIDs': <['0000181a-0000-1000-8000-"
			"00805f9b34fb']>, 'Adapter': <objectpath '/org/bluez/hci0'>, "
			"'ManufacturerData': <{uint16 0xffff: <[byte 1, 2]>}>}, "
			"'org.freedesktop.DBus.Properties': @a{sv} {}})"));
	save("interfaces-added-chrc",
		signal_of("/", "org.freedesktop.DBus.ObjectManager",
			"InterfacesAdded",
			"(objectpath '" DEV "/service000a/char000b', "
			"{'org.bluez.GattCharacteristic1': {'UUID': <'00002a6e-0000-1000-"
			"8000-00805f9b34fb'>, 'Service': <objectpath '" DEV
			"/service000a'>, 'Value': <[byte 0x09, 0x29]>, 'Notifying': "
			"<false>, 'Flags': <['read', 'notify', 'encrypt-read']>}})"));
	save("interfaces-removed",
		signal_of("/", "org.freedesktop.DBus.ObjectManager",
			"InterfacesRemoved",
			"(objectpath '" DEV "', ['org.bluez.Device1', "
			"'org.freedesktop.DBus.Properties'])"));
	save("properties-connected",
		signal_of(DEV, "org.freedesktop.DBus.Properties",
			"PropertiesChanged",
			"('org.bluez.Device1', {'Connected': <true>, "
			"'ServicesResolved': <true>}, @as [])"));
	save("properties-invalidated",
		signal_of(DEV, "org.freedesktop.DBus.Properties",
			"PropertiesChanged",
			"('org.bluez.Device1', @a{sv} {}, ['RSSI', 'TxPower'])"));
	save("properties-wrong-type",
		signal_of(DEV, "org.freedesktop.DBus.Properties",
			"PropertiesChanged",
			"('org.bluez.Device1', {'Connected': <'yes'>, 'Address': "
			"<uint32 7>}, @as [])"));
	save("properties-nested-variants",
		signal_of(DEV, "org.freedesktop.DBus.Properties",
			"PropertiesChanged",
			"('org.bluez.Device1', {'Name': <<<<<'deep'>>>>>}, @as [])"));
	save("disconnected", signal_of(DEV, "org.bluez.Device1", "Disconnected",
				     "('org.bluez.Reason.Authentication', "
				     "'Authentication Failed')"));
	save("disconnected-wrong-args", signal_of(DEV, "org.bluez.Device1",
						"Disconnected", "(uint32 5,)"));
	save("trace",
		signal_of("/org/bondcheck/sim", "org.bondcheck.Sim1", "Trace",
			"('{\"event\":\"booted\",\"t_us\":5}',)"));
	save("managed-objects",
		reply_of(
			"({objectpath '/org/bluez/hci0': {'org.bluez.Adapter1': "
			"{'Address': <'00:B0:DC:00:00:01'>, 'Powered': <true>, "
			"'Discovering': <false>, 'Pairable': <true>}, "
			"'org.bluez.GattManager1': @a{sv} {}}, objectpath '" DEV
			"': "
			"{'org.bluez.Device1': {'Address': <'C0:FF:EE:00:13:42'>, "
			"'Adapter': <objectpath '/org/bluez/hci0'>, 'Paired': <true>}}},)"));
	save("managed-objects-wrong", reply_of("(@a{sv} {'x': <1>},)"));
	call = dbus_message_new_method_call("org.bluez", DEV,
		"org.bluez.Device1", "Connect");
	dbus_message_set_serial(call, 9);
	m = dbus_message_new_error(call, "org.bluez.Error.Failed",
		"le-connection-abort-by-local");
	save("error-failed", m);
	save("call-connect", call);
	return 0;
}
