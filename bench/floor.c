/* SPDX-License-Identifier: MIT */
/*
 * floor.c — bc-floor: the least a soak cycle can cost on this bus. The same
 * D-Bus conversation as bondcheck's reboot -> reconnect -> read cycle, with
 * nothing else: blocking libdbus calls, one match rule, no main loop, no
 * log, no model. Pairs once first (Just Works).
 *
 * Usage: bc-floor ADDRESS CYCLES     (on $DBUS_SYSTEM_BUS_ADDRESS)
 * Prints "<ms per cycle> <cycles>".
 */
#include <dbus/dbus.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ADAPTER "/org/bluez/hci0"
#define TEMP    "/service000a/char000b"
#define REBOOT  "/service000e/char000f"

static DBusConnection *conn;
static char dev[128];

static void die(const char *what, DBusError *e)
{
	fprintf(stderr, "bc-floor: %s: %s\n", what,
		e && e->message ? e->message : "failed");
	exit(1);
}

static DBusMessage *call(const char *path, const char *iface,
	const char *method, DBusMessage *m)
{
	DBusError e;
	DBusMessage *r;

	dbus_error_init(&e);
	if (!m)
		m = dbus_message_new_method_call("org.bluez", path, iface,
			method);
	r = dbus_connection_send_with_reply_and_block(conn, m, 10000, &e);
	dbus_message_unref(m);
	if (!r)
		die(method, &e);
	return r;
}

static void call0(const char *path, const char *iface, const char *method)
{
	dbus_message_unref(call(path, iface, method, NULL));
}

/* An empty a{sv} argument, or a{sv} {"Transport": "le"}. */
static DBusMessage *with_dict(const char *path, const char *iface,
	const char *method, bool filter, const unsigned char *value,
	int value_len)
{
	DBusMessage *m = dbus_message_new_method_call("org.bluez", path, iface,
		method);
	DBusMessageIter it, arr, ent, var;
	const char *k = "Transport", *v = "le";

	dbus_message_iter_init_append(m, &it);
	if (value) {
		DBusMessageIter a;

		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "y", &a);
		dbus_message_iter_append_fixed_array(&a, DBUS_TYPE_BYTE, &value,
			value_len);
		dbus_message_iter_close_container(&it, &a);
	}
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &arr);
	if (filter) {
		dbus_message_iter_open_container(&arr, DBUS_TYPE_DICT_ENTRY,
			NULL, &ent);
		dbus_message_iter_append_basic(&ent, DBUS_TYPE_STRING, &k);
		dbus_message_iter_open_container(&ent, DBUS_TYPE_VARIANT, "s",
			&var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &v);
		dbus_message_iter_close_container(&ent, &var);
		dbus_message_iter_close_container(&arr, &ent);
	}
	dbus_message_iter_close_container(&it, &arr);
	return m;
}

/* Wait for PropertiesChanged of the device carrying @prop (= @want). */
static void wait_prop(const char *prop, int want)
{
	for (;;) {
		DBusMessage *m;

		/* what came during the last blocking call first, then read */
		while ((m = dbus_connection_pop_message(conn))) {
			DBusMessageIter it, arr, ent, var;
			const char *iface, *key;
			bool hit = false;

			if (!dbus_message_is_signal(m,
				    "org.freedesktop.DBus.Properties",
				    "PropertiesChanged") ||
				strcmp(dbus_message_get_path(m), dev)) {
				dbus_message_unref(m);
				continue;
			}
			dbus_message_iter_init(m, &it);
			dbus_message_iter_get_basic(&it, &iface);
			dbus_message_iter_next(&it);
			dbus_message_iter_recurse(&it, &arr);
			while (dbus_message_iter_get_arg_type(&arr) ==
				DBUS_TYPE_DICT_ENTRY) {
				dbus_message_iter_recurse(&arr, &ent);
				dbus_message_iter_get_basic(&ent, &key);
				dbus_message_iter_next(&ent);
				dbus_message_iter_recurse(&ent, &var);
				if (!strcmp(key, prop)) {
					dbus_bool_t b = 0;

					if (want < 0)
						hit = true;
					else if (dbus_message_iter_get_arg_type(
							 &var) ==
						 DBUS_TYPE_BOOLEAN) {
						dbus_message_iter_get_basic(&var,
							&b);
						hit = (int)b == want;
					}
				}
				dbus_message_iter_next(&arr);
			}
			dbus_message_unref(m);
			if (hit)
				return;
		}
		if (!dbus_connection_read_write(conn, 10000))
			die("the bus went away", NULL);
	}
}

/* Wait for the DUT's object to appear (its first discovery). */
static void wait_added(void)
{
	for (;;) {
		DBusMessage *m;

		while ((m = dbus_connection_pop_message(conn))) {
			const char *path = NULL;
			DBusMessageIter it;
			bool hit = false;

			if (dbus_message_is_signal(m,
				    "org.freedesktop.DBus.ObjectManager",
				    "InterfacesAdded") &&
				dbus_message_iter_init(m, &it) &&
				dbus_message_iter_get_arg_type(&it) ==
					DBUS_TYPE_OBJECT_PATH) {
				dbus_message_iter_get_basic(&it, &path);
				hit = !strcmp(path, dev);
			}

			dbus_message_unref(m);
			if (hit)
				return;
		}
		if (!dbus_connection_read_write(conn, 10000))
			die("the bus went away", NULL);
	}
}

int main(int argc, char **argv)
{
	static const unsigned char one = 1;
	const unsigned char *pone = &one;
	DBusError e;
	struct timespec a, b;
	char path[192];
	char *end;
	long cycles;

	if (argc != 3)
		return 2;
	cycles = strtol(argv[2], &end, 10);
	if (end == argv[2] || *end || cycles < 1 || cycles > 1000000)
		return 2;
	snprintf(dev, sizeof(dev), ADAPTER "/dev_%s", argv[1]);
	for (char *p = dev; *p; p++)
		if (*p == ':')
			*p = '_';
	dbus_error_init(&e);
	conn = dbus_bus_get(DBUS_BUS_SYSTEM, &e);
	if (!conn)
		die("bus", &e);
	dbus_bus_add_match(conn,
		"type='signal',sender='org.bluez',"
		"interface='org.freedesktop.DBus.Properties',"
		"member='PropertiesChanged'",
		&e);
	if (dbus_error_is_set(&e))
		die("match", &e);
	dbus_bus_add_match(conn,
		"type='signal',sender='org.bluez',"
		"interface='org.freedesktop.DBus.ObjectManager',"
		"member='InterfacesAdded'",
		&e);
	if (dbus_error_is_set(&e))
		die("match", &e);

	/* once: find the DUT and pair (Just Works, no agent) */
	dbus_message_unref(call(ADAPTER, "org.bluez.Adapter1",
		"SetDiscoveryFilter",
		with_dict(ADAPTER, "org.bluez.Adapter1", "SetDiscoveryFilter",
			true, NULL, 0)));
	call0(ADAPTER, "org.bluez.Adapter1", "StartDiscovery");
	wait_added();
	call0(ADAPTER, "org.bluez.Adapter1", "StopDiscovery");
	call0(dev, "org.bluez.Device1", "Pair");

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < cycles; i++) {
		snprintf(path, sizeof(path), "%s" REBOOT, dev);
		dbus_message_unref(call(path, "org.bluez.GattCharacteristic1",
			"WriteValue",
			with_dict(path, "org.bluez.GattCharacteristic1",
				"WriteValue", false, pone, 1)));
		wait_prop("Connected", 0);
		dbus_message_unref(call(ADAPTER, "org.bluez.Adapter1",
			"SetDiscoveryFilter",
			with_dict(ADAPTER, "org.bluez.Adapter1",
				"SetDiscoveryFilter", true, NULL, 0)));
		call0(ADAPTER, "org.bluez.Adapter1", "StartDiscovery");
		wait_prop("RSSI", -1);
		call0(ADAPTER, "org.bluez.Adapter1", "StopDiscovery");
		call0(dev, "org.bluez.Device1", "Connect");
		wait_prop("ServicesResolved", 1);
		snprintf(path, sizeof(path), "%s" TEMP, dev);
		dbus_message_unref(call(path, "org.bluez.GattCharacteristic1",
			"ReadValue",
			with_dict(path, "org.bluez.GattCharacteristic1",
				"ReadValue", false, NULL, 0)));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f %ld\n",
		((double)(b.tv_sec - a.tv_sec) * 1e3 +
			(double)(b.tv_nsec - a.tv_nsec) / 1e6) /
			(double)cycles,
		cycles);
	dbus_connection_unref(conn);
	return 0;
}
