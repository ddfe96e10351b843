/* SPDX-License-Identifier: MIT */
/*
 * cmd_scan.c — bondcheck scan: discovery on one adapter, then a table of the
 * devices seen (address, address type, RSSI, name, paired/bonded/trusted).
 * Waits on D-Bus signals and one main-loop timeout; never polls.
 */
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/bus.h"
#include "bondcheck/duration.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/mirror.h"
#include "bondcheck/model.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "cli.h"

#define CALL_TIMEOUT_MS 10000

enum scan_state {
	SCAN_STATE_CONNECTING,
	SCAN_STATE_STARTING,
	SCAN_STATE_SCANNING,
	SCAN_STATE_STOPPING,
	SCAN_STATE_DONE,
};

struct scan {
	GMainLoop *loop;
	struct bus *bus;
	struct model *model;
	struct mirror *mirror;
	enum scan_state state;
	const char *want_adapter;
	char *adapter;
	double timeout_s;
	bool json;
	bool interrupted;
	int status;
	GHashTable *seen; /* device path -> RSSI seen + 1000, or 0 */
	guint timer;
	guint progress;
	gint64 started;
	guint sig[CLI_SIGNALS];
};

static void finish(struct scan *s, int status)
{
	if (s->state == SCAN_STATE_DONE)
		return;
	s->state = SCAN_STATE_DONE;
	s->status = status;
	g_main_loop_quit(s->loop);
}

static void fail(struct scan *s, const GError *err)
{
	finish(s, cli_fail(err));
}

static void fail_msg(struct scan *s, enum bcerror_code code, const char *msg)
{
	GError *e = g_error_new_literal(BCERROR, code, msg);

	fail(s, e);
	g_error_free(e);
}

/* Remember the last RSSI seen: BlueZ drops it when discovery stops. */
static void seen(struct scan *s, const char *path)
{
	GVariant *r = model_prop(s->model, path, BLUEZ_IFACE_DEVICE, "RSSI");
	gpointer old = g_hash_table_lookup(s->seen, path);

	if (r && g_variant_is_of_type(r, G_VARIANT_TYPE_INT16))
		g_hash_table_insert(s->seen, g_strdup(path),
			GINT_TO_POINTER(g_variant_get_int16(r) + 1000));
	else if (!old)
		g_hash_table_insert(s->seen, g_strdup(path), NULL);
}

static int seen_rssi(struct scan *s, const char *path, bool *known)
{
	int v = GPOINTER_TO_INT(g_hash_table_lookup(s->seen, path));

	*known = v != 0;
	return v - 1000;
}

static const char *yn(struct model *m, const char *p, const char *prop)
{
	bool v = false;

	return model_bool(m, p, BLUEZ_IFACE_DEVICE, prop, &v) && v ? "yes" :
	                                                             "no";
}

static gint by_rssi(gconstpointer a, gconstpointer b, gpointer data)
{
	struct scan *s = data;
	bool ka, kb;
	int va = seen_rssi(s, *(char *const *)a, &ka);
	int vb = seen_rssi(s, *(char *const *)b, &kb);

	return (kb ? vb : -200) - (ka ? va : -200);
}

static void print_table(struct scan *s)
{
	GPtrArray *rows = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;
	bool from_paired = false;

	g_hash_table_iter_init(&it, s->seen);
	while (g_hash_table_iter_next(&it, &k, NULL))
		if (model_has(s->model, k, BLUEZ_IFACE_DEVICE))
			g_ptr_array_add(rows, k);
	g_ptr_array_sort_with_data(rows, by_rssi, s);

	if (!s->json)
		printf("%-17s  %-6s  %4s  %-20s  %-6s  %-6s  %s\n", "ADDRESS",
			"TYPE", "RSSI", "NAME", "PAIRED", "BONDED", "TRUSTED");
	for (guint i = 0; i < rows->len; i++) {
		const char *p = g_ptr_array_index(rows, i);
		const char *addr = model_str(s->model, p, BLUEZ_IFACE_DEVICE,
			"Address");
		const char *type = model_str(s->model, p, BLUEZ_IFACE_DEVICE,
			"AddressType");
		const char *name = model_str(s->model, p, BLUEZ_IFACE_DEVICE,
			"Name");
		bool has_rssi;
		int rssi = seen_rssi(s, p, &has_rssi);
		bool bonded = bluez_device_bonded(s->model, p, &from_paired);
		char rbuf[16] = "-";

		if (has_rssi)
			g_snprintf(rbuf, sizeof(rbuf), "%d", rssi);
		if (s->json) {
			JsonBuilder *b = json_builder_new();

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "address");
			json_builder_add_string_value(b, addr ? addr : "");
			json_builder_set_member_name(b, "address_type");
			json_builder_add_string_value(b, type ? type : "");
			json_builder_set_member_name(b, "name");
			if (name)
				json_builder_add_string_value(b, name);
			else
				json_builder_add_null_value(b);
			json_builder_set_member_name(b, "rssi");
			if (has_rssi)
				json_builder_add_int_value(b, rssi);
			else
				json_builder_add_null_value(b);
			json_builder_set_member_name(b, "paired");
			json_builder_add_boolean_value(b,
				strcmp(yn(s->model, p, "Paired"), "yes") == 0);
			json_builder_set_member_name(b, "bonded");
			json_builder_add_boolean_value(b, bonded);
			json_builder_set_member_name(b, "trusted");
			json_builder_add_boolean_value(b,
				strcmp(yn(s->model, p, "Trusted"), "yes") == 0);
			json_builder_set_member_name(b, "path");
			json_builder_add_string_value(b, p);
			json_builder_end_object(b);
			cli_print_json_line(b);
		} else {
			printf("%-17s  %-6s  %4s  %-20s  %-6s  %-6s  %s\n",
				addr ? addr : "?", type ? type : "?", rbuf,
				name ? name : "-", yn(s->model, p, "Paired"),
				bonded ? "yes" : "no",
				yn(s->model, p, "Trusted"));
		}
	}
	if (!s->json)
		printf("%u device%s%s\n", rows->len, rows->len == 1 ? "" : "s",
			from_paired ? " (this BlueZ has no Bonded property: "
				      "BONDED shows Paired)" :
				      "");
	g_ptr_array_free(rows, TRUE);
	fflush(stdout);
}

static void stop_reply(DBusMessage *reply, void *data)
{
	struct scan *s = data;

	/* NotReady/Failed here only means discovery had already stopped */
	(void)reply;
	if (isatty(fileno(stderr)))
		fprintf(stderr, "\r\033[K");
	print_table(s);
	finish(s, s->interrupted ? BC_EXIT_INTERRUPTED : BC_EXIT_OK);
}

static void stop_scan(struct scan *s)
{
	if (s->state != SCAN_STATE_SCANNING && s->state != SCAN_STATE_STARTING)
		return;
	if (s->timer) {
		g_source_remove(s->timer);
		s->timer = 0;
	}
	if (s->progress) {
		g_source_remove(s->progress);
		s->progress = 0;
	}
	s->state = SCAN_STATE_STOPPING;
	bus_call_method(s->bus, BLUEZ_SERVICE, s->adapter, BLUEZ_IFACE_ADAPTER,
		"StopDiscovery", NULL, CALL_TIMEOUT_MS, stop_reply, s, NULL);
}

static gboolean on_timeout(gpointer data)
{
	struct scan *s = data;

	s->timer = 0;
	stop_scan(s);
	return G_SOURCE_REMOVE;
}

static gboolean on_progress(gpointer data)
{
	struct scan *s = data;
	double el = (double)(g_get_monotonic_time() - s->started) / 1e6;

	if (s->timeout_s > 0)
		fprintf(stderr,
			"\r\033[Kscanning on %s: %u device%s, %.0f/%.0f s",
			s->adapter, g_hash_table_size(s->seen),
			g_hash_table_size(s->seen) == 1 ? "" : "s", el,
			s->timeout_s);
	else
		fprintf(stderr,
			"\r\033[Kscanning on %s: %u device%s, %.0f s "
			"(Ctrl-C to stop)",
			s->adapter, g_hash_table_size(s->seen),
			g_hash_table_size(s->seen) == 1 ? "" : "s", el);
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	struct scan *s = data;

	s->interrupted = true;
	if (s->state == SCAN_STATE_SCANNING || s->state == SCAN_STATE_STARTING)
		stop_scan(s);
	else
		finish(s, BC_EXIT_INTERRUPTED);
	return G_SOURCE_CONTINUE;
}

static void start_reply(DBusMessage *reply, void *data)
{
	struct scan *s = data;
	GError *err = NULL;

	if (s->state != SCAN_STATE_STARTING)
		return;
	if (msg_is_error(reply, &err)) {
		if (err->code == BCERROR_NOT_READY)
			err->code = BCERROR_ENVIRONMENT;
		if (err->code == BCERROR_ACCESS_DENIED)
			g_prefix_error(&err,
				"permission denied to start "
				"discovery (run as root or a member of the "
				"bluetooth policy group): ");
		else
			g_prefix_error(&err,
				"StartDiscovery on %s: ", s->adapter);
		fail(s, err);
		g_error_free(err);
		return;
	}
	s->state = SCAN_STATE_SCANNING;
	s->started = g_get_monotonic_time();
	if (s->timeout_s > 0)
		s->timer = g_timeout_add((guint)(s->timeout_s * 1000),
			on_timeout, s);
	if (isatty(fileno(stderr)) && !s->json)
		s->progress = g_timeout_add_seconds(1, on_progress, s);
}

static void filter_reply(DBusMessage *reply, void *data)
{
	struct scan *s = data;

	/* an adapter without LE filtering still scans: ignore the answer */
	(void)reply;
	if (s->state != SCAN_STATE_STARTING)
		return;
	bus_call_method(s->bus, BLUEZ_SERVICE, s->adapter, BLUEZ_IFACE_ADAPTER,
		"StartDiscovery", NULL, CALL_TIMEOUT_MS, start_reply, s, NULL);
}

static void start_scan(struct scan *s)
{
	GError *err = NULL;
	const char *a = bluez_find_adapter(s->model, s->want_adapter, &err);
	GPtrArray *existing;
	GVariantBuilder f;

	if (!a) {
		err->code = BCERROR_ENVIRONMENT;
		fail(s, err);
		g_error_free(err);
		return;
	}
	s->adapter = g_strdup(a);
	s->state = SCAN_STATE_STARTING;

	/* devices bluetoothd still reports an RSSI for are in range now */
	existing = model_find(s->model, BLUEZ_IFACE_DEVICE, s->adapter);
	for (guint i = 0; i < existing->len; i++)
		if (model_prop(s->model, g_ptr_array_index(existing, i),
			    BLUEZ_IFACE_DEVICE, "RSSI"))
			seen(s, g_ptr_array_index(existing, i));
	g_ptr_array_free(existing, TRUE);

	g_variant_builder_init(&f, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&f, "{sv}", "Transport",
		g_variant_new_string("le"));
	bus_call_method(s->bus, BLUEZ_SERVICE, s->adapter, BLUEZ_IFACE_ADAPTER,
		"SetDiscoveryFilter", g_variant_new("(a{sv})", &f),
		CALL_TIMEOUT_MS, filter_reply, s, NULL);
}

static void on_model(const struct model_event *ev, void *data)
{
	struct scan *s = data;

	if (s->state != SCAN_STATE_SCANNING && s->state != SCAN_STATE_STARTING)
		return;
	switch (ev->type) {
	case MODEL_EVENT_IFACE_ADDED:
		if (strcmp(ev->iface, BLUEZ_IFACE_DEVICE) == 0 &&
			g_str_has_prefix(ev->path, s->adapter))
			seen(s, ev->path);
		break;
	case MODEL_EVENT_PROP_CHANGED:
		if (strcmp(ev->iface, BLUEZ_IFACE_DEVICE) == 0 && ev->value &&
			strcmp(ev->name, "RSSI") == 0 &&
			g_str_has_prefix(ev->path, s->adapter))
			seen(s, ev->path);
		if (strcmp(ev->iface, BLUEZ_IFACE_ADAPTER) == 0 &&
			strcmp(ev->path, s->adapter) == 0 &&
			strcmp(ev->name, "Powered") == 0 && ev->value &&
			!g_variant_get_boolean(ev->value))
			fail_msg(s, BCERROR_ENVIRONMENT,
				"the adapter was powered off during the scan");
		break;
	case MODEL_EVENT_IFACE_REMOVED:
		if (strcmp(ev->iface, BLUEZ_IFACE_ADAPTER) == 0 &&
			strcmp(ev->path, s->adapter) == 0)
			fail_msg(s, BCERROR_ENVIRONMENT,
				"the adapter disappeared during the scan "
				"(unplugged?)");
		break;
	case MODEL_EVENT_RESET:
	case MODEL_EVENT_SYNCED:
	case MODEL_EVENT_SIGNAL: break;
	}
}

static void on_mirror(struct mirror *mi, enum mirror_state st,
	const GError *error, void *data)
{
	struct scan *s = data;

	(void)mi;
	switch (st) {
	case MIRROR_STATE_NO_SERVICE:
		fail_msg(s, BCERROR_ENVIRONMENT,
			s->state == SCAN_STATE_CONNECTING ?
				"bluetoothd is not running (nobody owns "
				"org.bluez on the system bus)" :
				"bluetoothd left the bus during the scan");
		break;
	case MIRROR_STATE_ERROR: {
		GError *e = g_error_copy(error);

		e->code = BCERROR_ENVIRONMENT;
		fail(s, e);
		g_error_free(e);
		break;
	}
	case MIRROR_STATE_SYNCED:
		if (s->state == SCAN_STATE_CONNECTING)
			start_scan(s);
		break;
	case MIRROR_STATE_IDLE:
	case MIRROR_STATE_WAITING:
	case MIRROR_STATE_SYNCING: break;
	}
}

static void on_bus_lost(struct bus *bus, void *data)
{
	(void)bus;
	fail_msg(data, BCERROR_ENVIRONMENT,
		"lost the connection to the "
		"system bus");
}

int cmd_scan(int argc, char **argv)
{
	struct scan s = { 0 };
	char *adapter = NULL;
	char *timeout_text = NULL;
	int64_t timeout_ms = 10000;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "adapter", 'a', 0, G_OPTION_ARG_STRING, &adapter,
			"adapter to scan on (default: the first powered one)",
			"hciN" },
		{ "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
			"how long to scan, a duration such as 30s; 0s scans "
			"until Ctrl-C (default 10s)",
			"D" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
			"one JSON object per device on stdout", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- list nearby devices");
	GError *err = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv)) {
		g_option_context_free(ctx);
		return BC_EXIT_USAGE;
	}
	g_option_context_free(ctx);
	if (argc > 1) {
		cli_err("scan takes no arguments ('%s'?)", argv[1]);
		g_free(adapter);
		return BC_EXIT_USAGE;
	}
	if (timeout_text && !duration_parse(timeout_text, &timeout_ms, &err)) {
		cli_err("--timeout: %s", err->message);
		g_error_free(err);
		g_free(timeout_text);
		g_free(adapter);
		return BC_EXIT_USAGE;
	}
	g_free(timeout_text);

	s.want_adapter = adapter;
	s.timeout_s = (double)timeout_ms / 1000.0;
	s.json = json;
	s.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s.loop = g_main_loop_new(NULL, FALSE);
	s.bus = bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	if (!s.bus) {
		err->code = BCERROR_ENVIRONMENT;
		s.status = cli_fail(err);
		g_error_free(err);
		goto out;
	}
	bus_set_disconnect_handler(s.bus, on_bus_lost, &s);
	s.model = model_new();
	model_watch(s.model, on_model, &s, NULL);
	s.mirror = mirror_new(s.bus, s.model, BLUEZ_SERVICE);
	mirror_set_state_cb(s.mirror, on_mirror, &s);
	mirror_start(s.mirror);
	cli_watch_signals(s.sig, on_signal, &s);

	g_main_loop_run(s.loop);

	cli_unwatch_signals(s.sig);
	if (s.timer)
		g_source_remove(s.timer);
	if (s.progress)
		g_source_remove(s.progress);
	mirror_free(s.mirror);
	model_free(s.model);
	bus_unref(s.bus);
out:
	g_main_loop_unref(s.loop);
	g_hash_table_destroy(s.seen);
	g_free(s.adapter);
	g_free(adapter);
	dbus_shutdown();
	return s.status;
}
