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

struct opts {
	char *bus;
	gboolean system;
	char **faults;
	double scale;
	char *address;
	char *name;
	char *io;
	int passkey;
	char *seed;
	int table;
	char *boot;
	char *agent_timeout;
	char *conn_timeout;
	gboolean verbose;
	int adapters;
	gboolean dut_per_adapter;
	char *policy;
	char *privacy;
};

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

int main(int argc, char **argv)
{
	struct opts o = { .scale = 1.0, .passkey = -1, .table = 0 };
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
		{ "dut-address", 0, 0, G_OPTION_ARG_STRING, &o.address,
			"the DUT's public address", "ADDR" },
		{ "dut-name", 0, 0, G_OPTION_ARG_STRING, &o.name,
			"the DUT's advertised name", "NAME" },
		{ "dut-io", 0, 0, G_OPTION_ARG_STRING, &o.io,
			"the DUT's IO capability (default DisplayYesNo)", "CAP" },
		{ "passkey", 0, 0, G_OPTION_ARG_INT, &o.passkey,
			"a fixed passkey / comparison number (default: a "
			"random one per pairing, from the seed)", "N" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o.seed,
			"seed of every chance the simulator takes (default: "
			"random); the same seed replays a session", "N" },
		{ "bond-table", 0, 0, G_OPTION_ARG_INT, &o.table,
			"bond table size (default 8)", "N" },
		{ "bond-policy", 0, 0, G_OPTION_ARG_STRING, &o.policy,
			"a new bond in a full table: round-robin (evict the "
			"first made, default), refuse-when-full, or "
			"overwrite-oldest (evict the least recently used)",
			"POLICY" },
		{ "boot-time", 0, 0, G_OPTION_ARG_STRING, &o.boot,
			"normal boot time before scaling (default 1500ms)", "D" },
		{ "agent-timeout", 0, 0, G_OPTION_ARG_STRING, &o.agent_timeout,
			"how long an agent may stay silent (default 30s)", "D" },
		{ "le-conn-timeout", 0, 0, G_OPTION_ARG_STRING, &o.conn_timeout,
			"Connect() to a silent DUT fails after D (default 20s)",
			"D" },
		{ "adapters", 0, 0, G_OPTION_ARG_INT, &o.adapters,
			"adapters hci0..hciN-1, all in range of one DUT "
			"(default 1)", "N" },
		{ "dut-per-adapter", 0, 0, G_OPTION_ARG_NONE,
			&o.dut_per_adapter, "with --adapters: each adapter "
			"has a DUT of its own (parallel runs)", NULL },
		{ "privacy", 0, 0, G_OPTION_ARG_STRING, &o.privacy,
			"the adapters' address privacy: on (a resolvable "
			"private address per link, as a phone) or off (the "
			"public address, BlueZ's default)", "on|off" },
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

	g_option_context_add_main_entries(ctx, entries, NULL);
	appinfo_add_version_option(ctx, "bondcheck-sim");
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "bondcheck-sim: %s\n", err->message);
		return BC_EXIT_USAGE;
	}
	g_option_context_free(ctx);

	sim_dut_config_defaults(&dcfg);
	sim_timing_defaults(&timing);
	if ((!o.bus && !o.system) || argc > 1 || o.scale < 0 || o.scale > 1000 ||
	    (o.address && !bluez_address_valid(o.address)) ||
	    (o.io && !strstr("DisplayOnly DisplayYesNo KeyboardOnly "
			     "NoInputNoOutput KeyboardDisplay", o.io)) ||
	    o.passkey > 999999 || o.table < 0 || o.table > 64 ||
	    o.adapters < 0 || o.adapters > 16 ||
	    (o.privacy && strcmp(o.privacy, "on") && strcmp(o.privacy, "off")) ||
	    (o.policy && !sim_bond_policy_from_str(o.policy,
		    &dcfg.bond_policy)) ||
	    !parse_ms("--boot-time", o.boot, &timing.boot_ms) ||
	    !parse_ms("--agent-timeout", o.agent_timeout,
		    &timing.agent_timeout_ms) ||
	    !parse_ms("--le-conn-timeout", o.conn_timeout,
		    &timing.le_conn_timeout_ms)) {
		fprintf(stderr, "usage: bondcheck-sim --bus ADDRESS [--fault "
				"NAME[=ARG]]... [--time-scale F] (see --help)\n");
		return BC_EXIT_USAGE;
	}
	timing.scale = o.scale;
	if (o.address)
		dcfg.address = o.address;
	if (o.name)
		dcfg.name = o.name;
	if (o.io)
		dcfg.io_capability = o.io;
	if (o.passkey >= 0)
		dcfg.passkey = (uint32_t)o.passkey;
	if (o.table)
		dcfg.bond_table_size = (unsigned)o.table;

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
	for (int n = 1; n < o.adapters; n++) {
		/* the DUT in range of hciN: the next address, its own name */
		struct sim_dut_config more = dcfg;
		char *addr, *nm;

		if (!o.dut_per_adapter) {
			/* several centrals, one DUT */
			sim_server_add_adapter_sharing(srv,
				sim_server_adapter(srv, 0));
			continue;
		}
		addr = next_address(dcfg.address, n);
		nm = g_strdup_printf("%s-%d", dcfg.name, n);
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
		for (unsigned n = 0; n < (o.dut_per_adapter ?
				sim_server_adapters(srv) : 1); n++)
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
	g_free(o.address);
	g_free(o.name);
	g_free(o.io);
	g_free(o.boot);
	g_free(o.agent_timeout);
	g_free(o.conn_timeout);
	g_free(o.policy);
	g_free(o.seed);
	g_free(o.privacy);
	dbus_shutdown();
	return status;
}
