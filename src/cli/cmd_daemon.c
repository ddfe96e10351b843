/* SPDX-License-Identifier: MIT */
/*
 * cmd_daemon.c — bondcheck runs and bondcheck cancel: bondcheckd's runs,
 * listed from its ObjectManager, and Run1.Cancel. (bondcheck run --daemon is
 * in cmd_run.c, beside the in-process run whose output it shares.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bus.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "cli.h"

struct call {
	GMainLoop *loop;
	DBusMessage *reply;
};

static void got_reply(DBusMessage *reply, void *data)
{
	struct call *c = data;

	c->reply = dbus_message_ref(reply);
	g_main_loop_quit(c->loop);
}

/* One call to bondcheckd, waited for on the main loop. NULL: said why. */
static DBusMessage *call_daemon(struct bus *bus, const char *path,
	const char *iface, const char *method, int *status)
{
	struct call c = { g_main_loop_new(NULL, FALSE), NULL };
	GError *err = NULL;

	bus_call_method(bus, BC_SERVICE, path, iface, method, NULL, 10000,
		got_reply, &c, NULL);
	g_main_loop_run(c.loop);
	g_main_loop_unref(c.loop);
	if (msg_is_error(c.reply, &err)) {
		*status = cli_daemon_fail(err);
		g_error_free(err);
		dbus_message_unref(c.reply);
		return NULL;
	}
	return c.reply;
}

static struct bus *connect_system(int *status)
{
	GError *err = NULL;
	struct bus *bus = bus_connect(BUS_KIND_SYSTEM, NULL, &err);

	if (!bus) {
		cli_err("cannot reach the system bus: %s", err->message);
		g_error_free(err);
		*status = BC_EXIT_ENV;
	}
	return bus;
}

static const char *prop_str(GVariant *props, const char *key)
{
	const char *s = NULL;

	return msg_dict_string(props, key, &s) && s ? s : "";
}

/* N of ".../run/N" (the daemon's word: 0 if it is not a number) */
static guint64 run_number(const char *path)
{
	const char *p = strrchr(path, '/');
	guint64 n = 0;

	if (!p || !g_ascii_string_to_unsigned(p + 1, 10, 0, G_MAXUINT64, &n,
			  NULL))
		return 0;
	return n;
}

static int cmp_runs(const void *a, const void *b)
{
	guint64 x = run_number(*(char *const *)a);
	guint64 y = run_number(*(char *const *)b);

	return x < y ? -1 : x > y;
}

int cmd_runs(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
			"one JSON object per run", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"- the runs bondcheckd knows: queued, running, finished");
	struct bus *bus = NULL;
	DBusMessage *reply = NULL;
	GVariant *objs = NULL, *all = NULL, *ifaces, *props;
	GHashTable *runs = NULL;
	GPtrArray *paths = NULL;
	GVariantIter it;
	const char *path;
	GError *err = NULL;
	int status = BC_EXIT_USAGE;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv))
		goto out;
	if (argc != 1) {
		cli_err("runs takes no arguments");
		goto out;
	}
	bus = connect_system(&status);
	if (!bus)
		goto out;
	reply = call_daemon(bus, BC_MANAGER_PATH, DBUS_IFACE_OBJECT_MANAGER,
		"GetManagedObjects", &status);
	if (!reply)
		goto out;
	if (!msg_get_args(reply, "(a{oa{sa{sv}}})", &objs, &err)) {
		status = cli_fail(err);
		g_error_free(err);
		goto out;
	}
	runs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		(GDestroyNotify)g_variant_unref);
	paths = g_ptr_array_new();
	all = g_variant_get_child_value(objs, 0);
	g_variant_iter_init(&it, all);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		props = g_variant_lookup_value(ifaces, BC_RUN_IFACE,
			G_VARIANT_TYPE("a{sv}"));
		if (props) {
			char *p = g_strdup(path);

			/* the table owns the path; the array lists it */
			g_hash_table_insert(runs, p, props);
			g_ptr_array_add(paths, p);
		}
		g_variant_unref(ifaces);
	}
	g_ptr_array_sort(paths, cmp_runs);
	if (!json && paths->len)
		printf("%-5s %-10s %-26s %-6s %-18s %-14s %s\n", "RUN", "STATE",
			"VERDICT", "ADAPT", "DEVICE", "LABEL", "SCENARIO");
	for (guint i = 0; i < paths->len; i++) {
		const char *p = paths->pdata[i];
		GVariant *v = g_hash_table_lookup(runs, p);

		if (json) {
			JsonNode *n = json_gvariant_serialize(v);
			char *j;

			json_object_set_string_member(json_node_get_object(n),
				"Path", p);
			j = jsontext_to_string(n, FALSE);
			printf("%s\n", j);
			g_free(j);
			json_node_unref(n);
			continue;
		}
		printf("%-5s %-10s %-26s %-6s %-18s %-14s %s\n",
			strrchr(p, '/') + 1, prop_str(v, "State"),
			*prop_str(v, "Verdict") ? prop_str(v, "Verdict") : "-",
			*prop_str(v, "Adapter") ? prop_str(v, "Adapter") : "-",
			prop_str(v, "Device"),
			*prop_str(v, "Label") ? prop_str(v, "Label") : "-",
			prop_str(v, "Name"));
		if (*prop_str(v, "LogPath"))
			printf("      log %s\n", prop_str(v, "LogPath"));
	}
	if (!json && !paths->len)
		printf("bondcheckd has no runs\n");
	status = BC_EXIT_OK;
out:
	if (paths)
		g_ptr_array_free(paths, TRUE);
	if (runs)
		g_hash_table_destroy(runs);
	if (all)
		g_variant_unref(all);
	if (objs)
		g_variant_unref(objs);
	if (reply)
		dbus_message_unref(reply);
	if (bus)
		bus_unref(bus);
	g_option_context_free(ctx);
	return status;
}

int cmd_cancel(int argc, char **argv)
{
	GOptionContext *ctx = g_option_context_new(
		"RUN - cancel one of bondcheckd's runs (queued or running)");
	struct bus *bus = NULL;
	DBusMessage *reply = NULL;
	char *path = NULL, *end = NULL;
	struct call c = { NULL, NULL };
	GError *err = NULL;
	int status = BC_EXIT_USAGE;
	unsigned long n;

	if (!cli_parse(ctx, &argc, &argv))
		goto out;
	if (argc != 2) {
		cli_err("cancel takes one run: its number (bondcheck runs) or "
			"object path");
		goto out;
	}
	if (g_str_has_prefix(argv[1], BC_RUN_PATH_PREFIX))
		n = strtoul(argv[1] + strlen(BC_RUN_PATH_PREFIX), &end, 10);
	else
		n = strtoul(argv[1], &end, 10);
	if (!end || *end || !n || n > 1000000000ul) {
		cli_err("'%s' is not a run: give its number (bondcheck runs)",
			argv[1]);
		goto out;
	}
	path = g_strdup_printf("%s%lu", BC_RUN_PATH_PREFIX, n);
	bus = connect_system(&status);
	if (!bus)
		goto out;
	c.loop = g_main_loop_new(NULL, FALSE);
	bus_call_method(bus, BC_SERVICE, path, BC_RUN_IFACE, "Cancel", NULL,
		10000, got_reply, &c, NULL);
	g_main_loop_run(c.loop);
	reply = c.reply;
	if (msg_is_error(reply, &err)) {
		const char *name = msg_error_name(reply);

		if (!g_strcmp0(name, DBUS_ERR_UNKNOWN_OBJECT) ||
			!g_strcmp0(name, DBUS_ERR_UNKNOWN_METHOD)) {
			cli_err("bondcheckd has no run %lu (bondcheck runs "
				"lists them)",
				n);
			status = BC_EXIT_USAGE;
		} else if (!g_strcmp0(name, BC_ERR_NOT_RUNNING)) {
			cli_err("%s", err->message);
			status = BC_EXIT_USAGE;
		} else {
			status = cli_daemon_fail(err);
		}
		g_error_free(err);
		goto out;
	}
	printf("run %lu: cancelled\n", n);
	status = BC_EXIT_OK;
out:
	if (c.loop)
		g_main_loop_unref(c.loop);
	if (reply)
		dbus_message_unref(reply);
	if (bus)
		bus_unref(bus);
	g_free(path);
	g_option_context_free(ctx);
	return status;
}
