/* SPDX-License-Identifier: MIT */
/*
 * main.c — bondcheck-sim: a simulated bluetoothd and DUT on a given bus.
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bondcheck/appinfo.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/bus.h"
#include "bondcheck/duration.h"
#include "bondcheck/names.h"
#include "bondcheck/sim.h"
#include "bondcheck/simopt.h"

struct opts {
	char *bus;
	gboolean system;
	char **faults;
	char **settings;
	double scale;
	char *seed;
	char *agent_timeout;
	char *conn_timeout;
	gboolean verbose;
	gboolean dut_per_adapter;
	char *privacy;
	struct sim_config cfg;
	bool bad; /* a setting was refused (said) */
};

static struct opts o = { .scale = 1.0 };

static GMainLoop *loop;
static int status;

static gboolean on_signal(gpointer data)
{
	(void)data;
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

static void on_bus_lost(struct bus *bus, void *data)
{
	(void)bus;
	(void)data;
	fprintf(stderr, "bondcheck-sim: lost the bus connection\n");
	status = BC_EXIT_ENV;
	g_main_loop_quit(loop);
}

static void on_trace(DBusMessage *msg, void *data)
{
	const char *line = NULL;

	(void)data;
	if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &line,
		    DBUS_TYPE_INVALID))
		fprintf(stderr, "%s\n", line);
}

/* @base with its last byte plus @n ("...:42" + 1 = "...:43"). */
static char *next_address(const char *base, int n)
{
	char *a = g_strdup(base);
	unsigned last = (unsigned)g_ascii_strtoull(a + 15, NULL, 16);

	g_snprintf(a + 15, 3, "%02X", (last + (unsigned)n) & 0xff);
	return a;
}

static bool parse_ms(const char *what, const char *s, int64_t *out)
{
	GError *err = NULL;

	if (!s)
		return true;
	if (duration_parse(s, out, &err))
		return true;
	fprintf(stderr, "bondcheck-sim: %s: %s\n", what, err->message);
	g_error_free(err);
	return false;
}

/* The settings' own flags (--dut-io CAP is --opt io=CAP): one parser. */
static const char *const flag_keys[][2] = {
	{ "--dut-address", "address" },
	{ "--dut-name", "name" },
	{ "--dut-io", "io" },
	{ "--passkey", "passkey" },
	{ "--bond-table", "bond-table" },
	{ "--bond-policy", "bond-policy" },
	{ "--boot-time", "boot-time" },
	{ "--adapters", "adapters" },
};

static gboolean on_setting_flag(const char *name, const char *value,
	gpointer data, GError **error)
{
	(void)data;
	for (size_t i = 0; i < G_N_ELEMENTS(flag_keys); i++)
		if (!strcmp(name, flag_keys[i][0]))
			return sim_opt_set(&o.cfg, flag_keys[i][1], value,
				error);
	return FALSE;
}

int main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "bus", 0, 0, G_OPTION_ARG_STRING, &o.bus,
			"serve on the bus at ADDRESS", "ADDRESS" },
		{ "system", 0, 0, G_OPTION_ARG_NONE, &o.system,
			"serve on the system bus (needs a policy allowing it)",
			NULL },
		{ "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.faults,
			"a DUT fault, repeatable (bondcheck faults lists them)",
			"NAME[=ARG]" },
		{ "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &o.scale,
			"multiply every DUT delay by F (0: no delay)", "F" },
		{ "opt", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &o.settings,
			"a DUT or adapter setting, repeatable (bondcheck faults "
			"--settings lists them)",
			"KEY=VALUE" },
		{ "dut-address", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"the DUT's public address (--opt address=)", "ADDR" },
		{ "dut-name", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"the DUT's advertised name (--opt name=)", "NAME" },
		{ "dut-io", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"the DUT's IO capability (default DisplayYesNo; --opt "
			"io=)",
			"CAP" },
		{ "passkey", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"a fixed passkey / comparison number (default: a "
			"random one per pairing, from the seed; --opt "
			"passkey=)",
			"N" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o.seed,
			"seed of every chance the simulator takes (default: "
			"random); the same seed replays a session",
			"N" },
		{ "bond-table", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"bond table size (default 8; --opt bond-table=)", "N" },
		{ "bond-policy", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"a new bond in a full table: round-robin (evict the "
			"first made, default), refuse-when-full, or "
			"overwrite-oldest (evict the least recently used; "
			"--opt bond-policy=)",
			"POLICY" },
		{ "boot-time", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"normal boot time before scaling (default 1500ms; --opt "
			"boot-time=)",
			"D" },
		{ "agent-timeout", 0, 0, G_OPTION_ARG_STRING, &o.agent_timeout,
			"how long an agent may stay silent (default 30s)",
			"D" },
		{ "le-conn-timeout", 0, 0, G_OPTION_ARG_STRING, &o.conn_timeout,
			"Connect() to a silent DUT fails after D (default 20s)",
			"D" },
		{ "adapters", 0, 0, G_OPTION_ARG_CALLBACK, on_setting_flag,
			"adapters hci0..hciN-1, all in range of one DUT "
			"(default 1; --opt adapters=)",
			"N" },
		{ "dut-per-adapter", 0, 0, G_OPTION_ARG_NONE,
			&o.dut_per_adapter,
			"with --adapters: each adapter "
			"has a DUT of its own (parallel runs)",
			NULL },
		{ "privacy", 0, 0, G_OPTION_ARG_STRING, &o.privacy,
			"the adapters' address privacy: on (a resolvable "
			"private address per link, as a phone) or off (the "
			"public address, BlueZ's default)",
			"on|off" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
			"print the DUT's trace on stderr", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"- simulated bluetoothd and BLE device for bondcheck");
	struct sim_dut_config dcfg;
	struct sim_timing timing;
	struct sim_server *srv = NULL;
	struct bus *bus = NULL;
	GError *err = NULL;
	guint sig[2];
	unsigned adapters;

	sim_config_init(&o.cfg);
	g_option_context_add_main_entries(ctx, entries, NULL);
	appinfo_add_version_option(ctx, "bondcheck-sim");
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "bondcheck-sim: %s\n", err->message);
		g_error_free(err);
		g_option_context_free(ctx);
		sim_config_clear(&o.cfg);
		return BC_EXIT_USAGE;
	}
	g_option_context_free(ctx);
	for (char **p = o.settings; p && *p && !o.bad; p++) {
		if (!sim_opt_apply(&o.cfg, *p, &err)) {
			fprintf(stderr, "bondcheck-sim: --opt: %s\n",
				err->message);
			g_clear_error(&err);
			o.bad = true;
		}
	}
	dcfg = o.cfg.dut;
	timing = o.cfg.timing;
	adapters = o.cfg.adapters;
	if (o.bad || (!o.bus && !o.system) || argc > 1 || o.scale < 0 ||
		o.scale > 1000 ||
		(o.privacy && strcmp(o.privacy, "on") &&
			strcmp(o.privacy, "off")) ||
		!parse_ms("--agent-timeout", o.agent_timeout,
			&timing.agent_timeout_ms) ||
		!parse_ms("--le-conn-timeout", o.conn_timeout,
			&timing.le_conn_timeout_ms)) {
		fprintf(stderr, "usage: bondcheck-sim --bus ADDRESS [--fault "
				"NAME[=ARG]]... [--opt KEY=VALUE]... "
				"[--time-scale F] (see --help)\n");
		sim_config_clear(&o.cfg);
		return BC_EXIT_USAGE;
	}
	timing.scale = o.scale;

	loop = g_main_loop_new(NULL, FALSE);
	bus = o.bus ? bus_connect(BUS_KIND_ADDRESS, o.bus, &err) :
	              bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	if (!bus) {
		fprintf(stderr, "bondcheck-sim: %s\n", err->message);
		status = BC_EXIT_ENV;
		goto out;
	}
	bus_set_disconnect_handler(bus, on_bus_lost, NULL);
	srv = sim_server_new(bus, &dcfg, &timing, &err);
	for (unsigned n = 1; n < adapters; n++) {
		/* the DUT in range of hciN: the next address, its own name */
		struct sim_dut_config more = dcfg;
		char *addr, *nm;

		if (!o.dut_per_adapter) {
			/* several centrals, one DUT */
			sim_server_add_adapter_sharing(srv,
				sim_server_adapter(srv, 0));
			continue;
		}
		addr = next_address(dcfg.address, (int)n);
		nm = g_strdup_printf("%s-%u", dcfg.name, n);
		more.address = addr;
		more.name = nm;
		sim_server_add_adapter(srv, &more);
		g_free(addr);
		g_free(nm);
	}
	if (o.seed) {
		guint64 n;

		if (!g_ascii_string_to_unsigned(o.seed, 10, 0, G_MAXUINT32, &n,
			    &err)) {
			fprintf(stderr, "bondcheck-sim: --seed: %s\n",
				err->message);
			status = BC_EXIT_USAGE;
			goto out;
		}
		sim_server_set_seed(srv, (uint32_t)n);
	}
	if (o.verbose)
		fprintf(stderr, "bondcheck-sim: seed %u\n",
			sim_server_seed(srv));
	for (unsigned n = 0; o.privacy && n < sim_server_adapters(srv); n++)
		sim_adapter_set_privacy(sim_server_adapter(srv, n),
			!strcmp(o.privacy, "on"));
	for (char **f = o.faults; f && *f; f++) {
		enum sim_fault fault;
		struct sim_fault_value v;

		if (!sim_fault_parse(*f, &fault, &v, &err)) {
			fprintf(stderr, "bondcheck-sim: --fault: %s\n",
				err->message);
			status = BC_EXIT_USAGE;
			goto out;
		}
		/* once per DUT */
		for (unsigned n = 0;
			n < (o.dut_per_adapter ? sim_server_adapters(srv) : 1);
			n++)
			sim_adapter_set_fault(sim_server_adapter(srv, n), fault,
				&v);
		g_free(v.text);
	}
	if (o.verbose)
		bus_add_signal_watch(bus, NULL, NULL, NULL, BC_SIM_IFACE,
			"Trace", on_trace, NULL, NULL);
	/* a client that sees the name may signal us at once */
	sig[0] = g_unix_signal_add(SIGINT, on_signal, NULL);
	sig[1] = g_unix_signal_add(SIGTERM, on_signal, NULL);
	/* own the name last: clients see a complete bluetoothd or none */
	if (!bus_request_name(bus, BLUEZ_SERVICE, &err)) {
		fprintf(stderr, "bondcheck-sim: %s\n", err->message);
		status = BC_EXIT_ENV;
	} else {
		g_main_loop_run(loop);
	}
	g_source_remove(sig[0]);
	g_source_remove(sig[1]);
out:
	g_clear_error(&err);
	sim_server_free(srv);
	if (bus)
		bus_unref(bus);
	g_main_loop_unref(loop);
	g_free(o.bus);
	g_strfreev(o.faults);
	g_strfreev(o.settings);
	g_free(o.agent_timeout);
	g_free(o.conn_timeout);
	g_free(o.seed);
	g_free(o.privacy);
	sim_config_clear(&o.cfg);
	dbus_shutdown();
	return status;
}
