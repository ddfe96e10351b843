/* SPDX-License-Identifier: MIT */
/*
 * cmd_sim.c — bondcheck sim: a private bus with the simulator on it, until
 * Ctrl-C. Prints the bus address so other tools (bluetoothctl, bondcheck
 * scan/run, your own scripts) can be pointed at it.
 */
#include <stdio.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/sim.h"
#include "bondcheck/simopt.h"
#include "cli.h"
#include "simhost.h"

struct simcmd {
	GMainLoop *loop;
	struct simhost *host;
	int status;
};

static gboolean on_signal(gpointer data)
{
	struct simcmd *c = data;

	c->status = BC_EXIT_INTERRUPTED;
	g_main_loop_quit(c->loop);
	return G_SOURCE_CONTINUE;
}

static void sim_died(struct simhost *h, void *data)
{
	struct simcmd *c = data;

	(void)h;
	cli_err("bondcheck-sim exited");
	c->status = BC_EXIT_ENV;
	g_main_loop_quit(c->loop);
}

/* Validate --fault and friends here, so mistakes get our exit status. */
bool cli_sim_args(char **faults, double scale, const char *seed, bool verbose,
	GPtrArray *out, uint32_t *seed_out)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	guint64 n = 0;

	for (char **f = faults; f && *f; f++) {
		enum sim_fault fault;
		struct sim_fault_value v;
		GError *err = NULL;

		if (!sim_fault_parse(*f, &fault, &v, &err)) {
			cli_err("--fault %s: %s", *f, err->message);
			g_error_free(err);
			return false;
		}
		g_free(v.text);
		g_ptr_array_add(out, g_strdup("--fault"));
		g_ptr_array_add(out, g_strdup(*f));
	}
	if (scale < 0 || scale > 1000) {
		cli_err("--time-scale must be between 0 and 1000");
		return false;
	}
	g_ptr_array_add(out, g_strdup("--time-scale"));
	g_ptr_array_add(out, g_strdup(g_ascii_dtostr(buf, sizeof(buf), scale)));
	if (seed && !g_ascii_string_to_unsigned(seed, 10, 0, G_MAXUINT32, &n,
			    NULL)) {
		cli_err("--seed must be a number from 0 to %u, not '%s'",
			G_MAXUINT32, seed);
		return false;
	}
	if (!seed)
		n = g_random_int();
	*seed_out = (uint32_t)n;
	g_ptr_array_add(out, g_strdup("--seed"));
	g_ptr_array_add(out, g_strdup_printf("%u", (unsigned)n));
	if (verbose)
		g_ptr_array_add(out, g_strdup("--verbose"));
	return true;
}

bool cli_sim_settings(char **settings, struct sim_config *cfg, GPtrArray *out)
{
	for (char **s = settings; s && *s; s++) {
		GError *err = NULL;

		if (!sim_opt_apply(cfg, *s, &err)) {
			cli_err("--sim-opt %s: %s", *s, err->message);
			g_error_free(err);
			return false;
		}
		g_ptr_array_add(out, g_strdup("--opt"));
		g_ptr_array_add(out, g_strdup(*s));
	}
	return true;
}

int cmd_sim(int argc, char **argv)
{
	char **faults = NULL, **settings = NULL;
	char *seed = NULL, *privacy = NULL;
	uint32_t seed_used = 0;
	struct sim_config cfg;
	double scale = 1.0;
	gboolean verbose = FALSE;
	GOptionEntry entries[] = {
		{ "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
			"a DUT fault, repeatable (bondcheck faults)",
			"NAME[=ARG]" },
		{ "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale,
			"multiply the DUT's delays by F (0: none)", "F" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &seed,
			"seed of every chance the simulator takes (default: "
			"random, printed); the same seed replays a session",
			"N" },
		{ "privacy", 0, 0, G_OPTION_ARG_STRING, &privacy,
			"the simulated adapter's address privacy: on (a new "
			"resolvable private address per link, as a phone) or "
			"off (its public address, the default)",
			"on|off" },
		{ "sim-opt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &settings,
			"a DUT or adapter setting, repeatable (bondcheck faults "
			"--settings)",
			"KEY=VALUE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
			"print the DUT's trace on stderr", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"- run the simulator on a private bus until Ctrl-C");
	GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
	struct simhost host;
	struct simcmd c = { 0 };
	GError *err = NULL;
	guint sig[CLI_SIGNALS];

	sim_config_init(&cfg);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv) || argc > 1 ||
		!cli_sim_args(faults, scale, seed, verbose, args, &seed_used) ||
		!cli_sim_settings(settings, &cfg, args) ||
		(privacy && strcmp(privacy, "on") && strcmp(privacy, "off"))) {
		if (privacy && strcmp(privacy, "on") && strcmp(privacy, "off"))
			cli_err("--privacy takes on or off, not '%s'", privacy);
		g_option_context_free(ctx);
		g_strfreev(faults);
		g_strfreev(settings);
		g_free(seed);
		g_free(privacy);
		g_ptr_array_free(args, TRUE);
		sim_config_clear(&cfg);
		return BC_EXIT_USAGE;
	}
	if (privacy) {
		g_ptr_array_add(args, g_strdup("--privacy"));
		g_ptr_array_add(args, g_strdup(privacy));
	}
	g_option_context_free(ctx);
	g_strfreev(faults);
	g_strfreev(settings);
	g_free(seed);
	g_free(privacy);
	g_ptr_array_add(args, NULL);
	if (!simhost_start(&host, (const char *const *)args->pdata, &err)) {
		g_ptr_array_free(args, TRUE);
		sim_config_clear(&cfg);
		return cli_fail(err);
	}
	g_ptr_array_free(args, TRUE);

	printf("DBUS_SYSTEM_BUS_ADDRESS=%s\n", host.address);
	fflush(stdout);
	fprintf(stderr,
		"bondcheck-sim serves org.bluez (hci0, DUT %s "
		"'%s') on a private bus, seed %u (--seed %u replays "
		"it).\nPoint tools at it with:\n"
		"  export DBUS_SYSTEM_BUS_ADDRESS='%s'\n"
		"then e.g. bluetoothctl, or bondcheck scan. Ctrl-C stops it.\n",
		cfg.dut.address, cfg.dut.name, seed_used, seed_used,
		host.address);
	sim_config_clear(&cfg);

	c.loop = g_main_loop_new(NULL, FALSE);
	c.host = &host;
	cli_watch_signals(sig, on_signal, &c);
	host.on_exit = sim_died;
	host.exit_data = &c;
	g_main_loop_run(c.loop);
	cli_unwatch_signals(sig);
	cli_stop_sim(&host);
	g_main_loop_unref(c.loop);
	return c.status;
}
