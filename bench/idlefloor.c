/* SPDX-License-Identifier: MIT */
/*
 * idlefloor.c — bc-idlefloor: the least memory a bus daemon built on
 * bondcheckd's libraries can use at rest. It links what bondcheckd links
 * (libdbus-1, GLib, GObject, json-glib), connects to the bus, owns a name,
 * and waits in a GLib main loop for the connection's fd — nothing else.
 * make bench measures its RSS beside bondcheckd's, under the same conditions.
 *
 * Usage: bc-idlefloor ADDRESS NAME       (runs until SIGTERM)
 */
#include <dbus/dbus.h>
#include <glib-unix.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data)
{
	DBusConnection *c = data;

	(void)fd;
	(void)cond;
	if (!dbus_connection_read_write(c, 0))
		return G_SOURCE_REMOVE;
	while (dbus_connection_dispatch(c) == DBUS_DISPATCH_DATA_REMAINS)
		continue;
	return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	DBusError e;
	DBusConnection *c;
	GMainLoop *loop;
	JsonNode *node;
	int fd = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: bc-idlefloor ADDRESS NAME\n");
		return 2;
	}
	dbus_error_init(&e);
	c = dbus_connection_open_private(argv[1], &e);
	if (!c || !dbus_bus_register(c, &e) ||
		dbus_bus_request_name(c, argv[2], 0, &e) < 0 ||
		!dbus_connection_get_unix_fd(c, &fd)) {
		fprintf(stderr, "bc-idlefloor: %s\n",
			e.message ? e.message : "no connection");
		return 1;
	}
	/* json-glib is bound like bondcheckd's; touch it once as it does */
	node = json_node_new(JSON_NODE_NULL);
	json_node_unref(node);
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_fd_add(fd, G_IO_IN, on_fd, c);
	g_unix_signal_add(15, on_term, loop);
	fprintf(stderr, "bc-idlefloor: ready\n");
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	dbus_connection_close(c);
	dbus_connection_unref(c);
	return 0;
}
