/* SPDX-License-Identifier: MIT */
/*
 * main.c — bondcheckd: options, the bus name, signals, and telling systemd
 * (dlog.c). The work is in daemon.c.
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bondcheck/appinfo.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/daemon.h"
#include "bondcheck/dconfig.h"
#include "bondcheck/dlog.h"
#include "bondcheck/names.h"
#include "bondcheck/runner.h"

#define DEFAULT_STATE_DIR "/var/lib/bondcheck"

static GMainLoop *loop;
static int status = BC_EXIT_OK;

static void shut_down(void *data)
{
	(void)data;
	g_main_loop_quit(loop);
}

static gboolean on_signal(gpointer data)
{
	struct daemon *d = data;

	g_message("stopping: cancelling runs");
	dlog_notify("STOPPING=1");
	daemon_shutdown(d, shut_down, NULL);
	return G_SOURCE_CONTINUE;
}

static void on_bus_lost(struct bus *bus, void *data)
{
	(void)bus;
	(void)data;
	g_warning("lost the bus connection");
	status = BC_EXIT_ENV;
	g_main_loop_quit(loop);
}

int main(int argc, char **argv)
{
	char *address = NULL, *state = NULL, *config = NULL;
	gboolean system = FALSE, verbose = FALSE;
	GOptionEntry entries[] = {
		{ "bus", 0, 0, G_OPTION_ARG_STRING, &address,
			"serve on the bus at ADDRESS (tests); default: the "
			"system bus",
			"ADDRESS" },
		{ "system", 0, 0, G_OPTION_ARG_NONE, &system,
			"serve on the system bus (the default)", NULL },
		{ "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state,
			"where run logs go (default: $STATE_DIRECTORY or " DEFAULT_STATE_DIR
			")",
			"DIR" },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config,
			"configuration file (default " DCONFIG_DEFAULT_PATH ")",
			"FILE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
			"debug messages on stderr", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"- the bondcheck daemon: runs scenarios for D-Bus clients");
	struct daemon_options o = { 0 };
	struct dconfig cfg;
	struct daemon *d = NULL;
	struct bus *bus = NULL;
	GError *err = NULL;
	char *bluez_version = NULL, *kernel = NULL;
	guint sig[2] = { 0, 0 };

	/* a file size limit is a run's log write error (the run ends as an
	 * error), not the end of every run */
	signal(SIGXFSZ, SIG_IGN);
	dlog_init();
	dconfig_init(&cfg);
	g_option_context_add_main_entries(ctx, entries, NULL);
	appinfo_add_version_option(ctx, "bondcheckd");
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1) {
		dlog_error("%s (see --help)",
			err ? err->message : "unexpected argument");
		status = BC_EXIT_USAGE;
		goto out;
	}
	if (address && system) {
		dlog_error("--bus or --system, not both");
		status = BC_EXIT_USAGE;
		goto out;
	}
	if (verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	if (!dconfig_load(&cfg, config ? config : DCONFIG_DEFAULT_PATH,
		    config != NULL, &err)) {
		dlog_error("%s", err->message);
		status = BC_EXIT_USAGE;
		goto out;
	}
	if (!state) {
		const char *sd = g_getenv("STATE_DIRECTORY");

		state = g_strdup(sd && *sd && !strchr(sd, ':') ?
					 sd :
					 DEFAULT_STATE_DIR);
	}

	loop = g_main_loop_new(NULL, FALSE);
	bus = address ? bus_connect(BUS_KIND_ADDRESS, address, &err) :
	                bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	if (!bus) {
		dlog_error("%s", err->message);
		status = BC_EXIT_ENV;
		goto out;
	}
	/* reboot commands reach the same bluetoothd (and simulator) */
	if (address)
		g_setenv("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
	bus_set_disconnect_handler(bus, on_bus_lost, NULL);
	bluez_version = runner_bluez_version();
	kernel = runner_kernel();
	o.bus_kind = address ? BUS_KIND_ADDRESS : BUS_KIND_SYSTEM;
	o.bus_address = address;
	o.state_dir = state;
	o.config = &cfg;
	o.bluez_version = bluez_version;
	o.kernel = kernel;
	d = daemon_new(bus, &o, &err);
	if (!d) {
		dlog_error("%s", err->message);
		status = BC_EXIT_ENV;
		goto out;
	}
	/* the name last: a client that sees it finds a complete daemon */
	if (!bus_request_name(bus, BC_SERVICE, &err)) {
		dlog_error("%s", err->message);
		status = BC_EXIT_ENV;
		goto out;
	}
	sig[0] = g_unix_signal_add(SIGTERM, on_signal, d);
	sig[1] = g_unix_signal_add(SIGINT, on_signal, d);
	g_message("bondcheckd %s ready on %s, logs in %s", BONDCHECK_VERSION,
		address ? address : "the system bus", state);
	dlog_notify("READY=1");
	g_main_loop_run(loop);
out:
	if (sig[0])
		g_source_remove(sig[0]);
	if (sig[1])
		g_source_remove(sig[1]);
	daemon_free(d);
	if (bus)
		bus_unref(bus);
	if (loop)
		g_main_loop_unref(loop);
	g_clear_error(&err);
	dconfig_clear(&cfg);
	g_option_context_free(ctx);
	g_free(address);
	g_free(state);
	g_free(config);
	g_free(bluez_version);
	g_free(kernel);
	dbus_shutdown();
	return status;
}
