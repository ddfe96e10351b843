/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c — bondcheck run: one scenario against a device (real BlueZ on
 * the system bus) or the simulator (a private bus it starts and stops).
 * Prints a line per step, a live progress line on a TTY, and a summary that
 * names each failure's verdict, evidence and scenario line.
 */
#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bondcheck/appinfo.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/evlog.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/report.h"
#include "bondcheck/runner.h"
#include "bondcheck/scenario.h"
#include "bondcheck/verdict.h"
#include "cli.h"
#include "simhost.h"

#define SIM_DUT "C0:FF:EE:00:13:42"

struct run {
	GMainLoop *loop;
	struct runner *runner;
	struct evlog *log;
	bool json;
	bool tty;
	bool progress_shown;
	guint progress;
	int status;
	struct report *report;    /* fed every event; the summary, JUnit */
	const char *file;
	struct simhost *sim;
	bool sim_died;
	/* --daemon */
	struct bus *dbus;
	char *run_path;
	GPtrArray *early;         /* Event lines before StartRun answered */
	guint event_watch;
	guint name_watch;
	bool cancel_asked;
	bool ended;
	FILE *local_log;          /* --log with --daemon: a copy */
	JsonParser *parser;
	/* the step in progress, from its step-start event */
	char *p_step;
	gint64 p_line, p_index, p_timeout, p_total;
	char *p_iter;
	gint64 p_start_us;
};

static const char *member_str(JsonObject *o, const char *k)
{
	JsonNode *n = json_object_get_member(o, k);

	return n && JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_STRING ?
		json_node_get_string(n) : NULL;
}

static char *iteration_str(JsonObject *o)
{
	JsonNode *n = json_object_get_member(o, "iteration");
	GString *s = g_string_new("");

	if (n && JSON_NODE_HOLDS_ARRAY(n)) {
		JsonArray *a = json_node_get_array(n);

		for (guint i = 0; i < json_array_get_length(a); i++)
			g_string_append_printf(s, "%s%" G_GINT64_FORMAT,
				i ? "." : "", json_array_get_int_element(a, i));
	}
	return g_string_free(s, FALSE);
}

static void clear_progress(struct run *r)
{
	if (r->progress_shown) {
		fprintf(stderr, "\r\033[K");
		r->progress_shown = false;
	}
}

static char *ms_text(int64_t ms)
{
	return ms < 1000 ? g_strdup_printf("%" G_GINT64_FORMAT " ms", ms) :
			   g_strdup_printf("%.1f s", ms / 1000.0);
}

static void print_step_end(struct run *r, JsonObject *o)
{
	const char *result = member_str(o, "result");
	const char *verdict = member_str(o, "verdict");
	const char *conf = member_str(o, "confidence");
	char *it = iteration_str(o);
	char *el = ms_text(json_object_get_int_member(o, "elapsed_ms"));
	bool pass = g_strcmp0(result, "pass") == 0;
	const char *col = pass ? "\033[32m" : "\033[1;31m";
	char itbuf[32] = "";

	if (*it)
		g_snprintf(itbuf, sizeof(itbuf), "[%s]", it);
	clear_progress(r);
	printf("  %s%-5s%s %-14s line %-4" G_GINT64_FORMAT " %-8s %9s",
		cli_c(stdout, col), pass ? "PASS" :
		g_strcmp0(result, "interrupted") == 0 ? "STOP" :
		g_strcmp0(result, "error") == 0 ? "ERROR" : "FAIL",
		cli_c(stdout, "\033[0m"), member_str(o, "name"),
		json_object_get_int_member(o, "line"), itbuf, el);
	if (!pass && verdict && g_strcmp0(result, "interrupted"))
		printf("  %s%s%s%s%s", cli_c(stdout, "\033[1m"), verdict,
			cli_c(stdout, "\033[0m"), conf ? " " : "",
			conf ? (!strcmp(conf, "confirmed") ? "(confirmed)" :
							     "(inferred)") :
			       "");
	printf("\n");
	fflush(stdout);
	g_free(it);
	g_free(el);
}

static void on_event(const char *line, JsonNode *event, void *data)
{
	struct run *r = data;
	JsonObject *o = json_node_get_object(event);
	const char *type = member_str(o, "type");

	if (r->json) {
		if (!g_strcmp0(type, "run-start") ||
		    !g_strcmp0(type, "step-start") ||
		    !g_strcmp0(type, "step-end") ||
		    !g_strcmp0(type, "run-end")) {
			printf("%s\n", line);
			fflush(stdout);
		}
	} else if (!g_strcmp0(type, "step-end")) {
		print_step_end(r, o);
	} else if (!g_strcmp0(type, "note") && !r->json) {
		clear_progress(r);
		printf("  note: %s\n", member_str(o, "text"));
		fflush(stdout);
	}
	if (!g_strcmp0(type, "run-start")) {
		JsonObject *scn = json_object_get_member(o, "scenario") &&
			JSON_NODE_HOLDS_OBJECT(json_object_get_member(o,
				"scenario")) ?
			json_object_get_object_member(o, "scenario") : NULL;

		r->p_total = scn ? json_object_get_int_member_with_default(scn,
			"steps", 0) : 0;
	} else if (!g_strcmp0(type, "step-start")) {
		g_free(r->p_step);
		g_free(r->p_iter);
		r->p_step = g_strdup(member_str(o, "name"));
		r->p_iter = iteration_str(o);
		r->p_line = json_object_get_int_member_with_default(o, "line",
			0);
		r->p_index = json_object_get_int_member_with_default(o,
			"index", 0);
		r->p_timeout = json_object_get_int_member_with_default(o,
			"timeout_ms", 0);
		r->p_start_us = g_get_monotonic_time();
	} else if (!g_strcmp0(type, "step-end")) {
		g_clear_pointer(&r->p_step, g_free);
	}
	report_event(r->report, o);
}

static gboolean on_progress(gpointer data)
{
	struct run *r = data;
	struct engine_progress p;
	char *el, *to;

	if (r->runner) {
		if (!engine_progress(runner_engine(r->runner), &p))
			return G_SOURCE_CONTINUE;
	} else {
		if (!r->p_step)
			return G_SOURCE_CONTINUE;
		p.step = r->p_step;
		p.line = (int)r->p_line;
		p.index = (unsigned)r->p_index;
		p.total = (unsigned)r->p_total;
		p.iteration = r->p_iter;
		p.timeout_ms = r->p_timeout;
		p.elapsed_ms = (g_get_monotonic_time() - r->p_start_us) / 1000;
	}
	el = ms_text(p.elapsed_ms);
	to = duration_format(p.timeout_ms);
	fprintf(stderr, "\r\033[K  ..    %-14s line %-4d %s%s%s %s / %s  "
			"(step %u of %u)",
		p.step, p.line, *p.iteration ? "[" : "", p.iteration,
		*p.iteration ? "]" : "", el, to, p.index, p.total);
	fflush(stderr);
	r->progress_shown = true;
	g_free(el);
	g_free(to);
	return G_SOURCE_CONTINUE;
}

static void print_summary(struct run *r)
{
	clear_progress(r);
	report_print(r->report, stdout, cli_use_color(stdout),
		REPORT_OUTCOME | REPORT_COUNTS | REPORT_LATENCY);
}

/*
 * The run ended (in-process, or as bondcheckd told us) with @status: close
 * the report, print the summary, leave the main loop. Once.
 */
static void finish(struct run *r, int status)
{
	GError *err = NULL;

	if (r->ended)
		return;
	r->ended = true;
	r->status = status;
	if (!report_finish(r->report, &err)) {
		clear_progress(r);
		cli_err("%s", err->message);
		g_error_free(err);
		if (r->status == BC_EXIT_OK)
			r->status = BC_EXIT_ENV;
	}
	if (!r->json)
		print_summary(r);
	g_main_loop_quit(r->loop);
}

static void on_done(struct runner *rn, const struct engine_result *res,
	void *data)
{
	(void)rn;
	finish(data, res->exit_status);
}

static void daemon_cancel(struct run *r);

static gboolean on_signal(gpointer data)
{
	struct run *r = data;

	if (r->runner)
		runner_interrupt(r->runner);
	else if (r->dbus)
		daemon_cancel(r);
	return G_SOURCE_CONTINUE;
}

static void sim_died(struct simhost *h, void *data)
{
	struct run *r = data;

	(void)h;
	r->sim_died = true;
}

static char *default_log_path(const char *name)
{
	const char *state = g_getenv("XDG_STATE_HOME");
	char *dir = state && *state ? g_build_filename(state, "bondcheck", NULL) :
		g_build_filename(g_get_home_dir(), ".local", "state",
			"bondcheck", NULL);
	GDateTime *dt = g_date_time_new_now_local();
	char *stamp = g_date_time_format(dt, "%Y%m%d-%H%M%S");
	char *safe = g_strdup(name);
	char *file, *path;

	g_strcanon(safe, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_", '-');
	file = g_strdup_printf("%s-%s-%d.jsonl", safe, stamp, (int)getpid());
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		g_free(dir);
		dir = g_strdup(g_get_tmp_dir());
	}
	path = g_build_filename(dir, file, NULL);
	g_free(dir);
	g_free(stamp);
	g_free(safe);
	g_free(file);
	g_date_time_unref(dt);
	return path;
}

/* ---- --capture: btmon writes a btsnoop trace beside the log ---------- */

struct capture {
	GPid pid;
	bool exited;
	int status;
};

static void capture_exited(GPid pid, gint status, gpointer data)
{
	struct capture *c = data;

	(void)pid;
	c->exited = true;
	c->status = status;
}

static bool capture_start(struct capture *c, const char *file,
	const char *adapter, GError **err)
{
	char *btmon = g_find_program_in_path("btmon");
	/*
	 * -i: that adapter only, when known; btmon stops writing its file
	 * at the first controller that goes away (another adapter powered
	 * off), which a capture of all of them would meet
	 */
	const char *argv[] = { NULL, "-w", file, adapter ? "-i" : NULL,
		adapter, NULL };
	bool ok;

	if (!btmon) {
		g_set_error(err, BCERROR, BCERROR_ENVIRONMENT,
			"--capture needs btmon (Debian package bluez)");
		return false;
	}
	argv[0] = btmon;
	/* btmon's own complaints (permission) go to our stderr */
	ok = g_spawn_async(NULL, (char **)argv, NULL,
		G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
		NULL, NULL, &c->pid, err);
	g_free(btmon);
	if (!ok)
		return false;
	g_child_watch_add(c->pid, capture_exited, c);
	return true;
}

static gboolean capture_waited(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Stop btmon (SIGINT: it closes the file properly) and wait for it. */
static void capture_stop(struct capture *c, const char *file)
{
	bool expired = false;
	guint t;

	if (!c->pid)
		return;
	if (!c->exited)
		kill(c->pid, SIGINT);
	t = g_timeout_add(5000, capture_waited, &expired);
	while (!c->exited && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!c->exited) {
		kill(c->pid, SIGKILL);
		while (!c->exited)
			g_main_context_iteration(NULL, TRUE);
	} else {
		g_source_remove(t);
	}
	g_spawn_close_pid(c->pid);
	if (!g_file_test(file, G_FILE_TEST_EXISTS) ||
	    (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0))
		cli_err("the capture failed (btmon exit %d; it needs root or "
			"CAP_NET_RAW)", WIFEXITED(c->status) ?
				WEXITSTATUS(c->status) : -1);
	else
		printf("capture: %s (btsnoop, opens in Wireshark)\n", file);
	c->pid = 0;
}

/* ---- --daemon: the run is bondcheckd's; we follow its Event signals ---- */

static void daemon_line(struct run *r, const char *line)
{
	JsonNode *root;
	JsonObject *o;
	GError *err = NULL;

	if (r->ended)
		return;
	if (!json_parser_load_from_data(r->parser, line, -1, &err) ||
	    !(root = json_parser_get_root(r->parser)) ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		/* the daemon's log is its own; say so and go on */
		clear_progress(r);
		cli_err("bondcheckd sent an event that does not parse: %s",
			err ? err->message : "not an object");
		g_clear_error(&err);
		return;
	}
	if (r->local_log) {
		fputs(line, r->local_log);
		fputc('\n', r->local_log);
		fflush(r->local_log);
	}
	on_event(line, root, r);
	o = json_node_get_object(root);
	if (!g_strcmp0(member_str(o, "type"), "run-end"))
		finish(r, (int)json_object_get_int_member_with_default(o,
			"exit_status", BC_EXIT_FAILED));
}

static void on_daemon_event(DBusMessage *msg, void *data)
{
	struct run *r = data;
	const char *path = dbus_message_get_path(msg);
	GVariant *args;
	const char *line;

	if (!msg_get_args(msg, "(s)", &args, NULL))
		return;
	g_variant_get(args, "(&s)", &line);
	if (!r->run_path)
		/* StartRun has not answered yet: keep it for later */
		g_ptr_array_add(r->early, g_strconcat(path, "\n", line, NULL));
	else if (!g_strcmp0(path, r->run_path))
		daemon_line(r, line);
	g_variant_unref(args);
}

static void daemon_gone(const char *name, const char *owner, void *data)
{
	struct run *r = data;

	(void)name;
	if (owner || r->ended)
		return;
	clear_progress(r);
	cli_err("bondcheckd left the bus during the run");
	finish(r, BC_EXIT_ENV);
}

static void cancel_reply(DBusMessage *reply, void *data)
{
	GError *err = NULL;

	(void)data;
	if (msg_is_error(reply, &err)) {
		cli_err("cancel: %s", err->message);
		g_error_free(err);
	}
}

static void daemon_cancel(struct run *r)
{
	if (!r->run_path) {
		r->cancel_asked = true;
		return;
	}
	bus_call_method(r->dbus, BC_SERVICE, r->run_path, BC_RUN_IFACE,
		"Cancel", NULL, 10000, cancel_reply, NULL, NULL);
}

static void started(DBusMessage *reply, void *data)
{
	struct run *r = data;
	GError *err = NULL;
	GVariant *args;
	const char *path;

	if (msg_is_error(reply, &err) ||
	    !msg_get_args(reply, "(o)", &args, &err)) {
		clear_progress(r);
		r->status = cli_daemon_fail(err);
		g_error_free(err);
		r->ended = true;
		g_main_loop_quit(r->loop);
		return;
	}
	g_variant_get(args, "(&o)", &path);
	r->run_path = g_strdup(path);
	g_variant_unref(args);
	if (!r->json) {
		printf("  bondcheckd run %s\n", r->run_path);
		fflush(stdout);
	}
	r->name_watch = bus_watch_name(r->dbus, BC_SERVICE, daemon_gone, r,
		NULL);
	for (guint i = 0; i < r->early->len; i++) {
		char *e = g_ptr_array_index(r->early, i);
		char *nl = strchr(e, '\n');

		*nl = '\0';
		if (!strcmp(e, r->run_path))
			daemon_line(r, nl + 1);
	}
	g_ptr_array_set_size(r->early, 0);
	if (r->cancel_asked)
		daemon_cancel(r);
}

static GVariant *daemon_options(const char *device, const char *name,
	const char *adapter, const char *label, const char *reboot,
	GHashTable *vars)
{
	GVariantBuilder b, set;
	GHashTableIter it;
	gpointer k, v;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (device)
		g_variant_builder_add(&b, "{sv}", "device",
			g_variant_new_string(device));
	if (name)
		g_variant_builder_add(&b, "{sv}", "device_name",
			g_variant_new_string(name));
	if (adapter)
		g_variant_builder_add(&b, "{sv}", "adapter",
			g_variant_new_string(adapter));
	if (label)
		g_variant_builder_add(&b, "{sv}", "label",
			g_variant_new_string(label));
	if (reboot)
		g_variant_builder_add(&b, "{sv}", "reboot",
			g_variant_new_string(reboot));
	if (g_hash_table_size(vars)) {
		g_variant_builder_init(&set, G_VARIANT_TYPE("a{ss}"));
		g_hash_table_iter_init(&it, vars);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_variant_builder_add(&set, "{ss}", (char *)k,
				(char *)v);
		g_variant_builder_add(&b, "{sv}", "set",
			g_variant_builder_end(&set));
	}
	return g_variant_builder_end(&b);
}

static int run_daemon(struct run *r, const char *file, const char *text,
	GVariant *opts)
{
	GError *err = NULL;

	r->dbus = bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	if (!r->dbus) {
		cli_err("cannot reach the system bus: %s", err->message);
		g_error_free(err);
		g_variant_unref(g_variant_ref_sink(opts));
		return BC_EXIT_ENV;
	}
	r->early = g_ptr_array_new_with_free_func(g_free);
	r->parser = json_parser_new_immutable();
	/* listen first: the run's first events may beat StartRun's reply */
	r->event_watch = bus_add_signal_watch(r->dbus, BC_SERVICE, NULL,
		"/org/bondcheck/run", BC_RUN_IFACE, "Event", on_daemon_event, r,
		NULL);
	bus_call_method(r->dbus, BC_SERVICE, BC_MANAGER_PATH, BC_MANAGER_IFACE,
		"StartRun", g_variant_new("(ss@a{sv})", file, text, opts),
		30000, started, r, NULL);
	g_main_loop_run(r->loop);
	return r->status;
}

static void daemon_clear(struct run *r)
{
	if (r->name_watch)
		bus_unwatch_name(r->dbus, r->name_watch);
	if (r->event_watch)
		bus_remove_signal_watch(r->dbus, r->event_watch);
	if (r->dbus)
		bus_unref(r->dbus);
	if (r->early)
		g_ptr_array_free(r->early, TRUE);
	if (r->parser)
		g_object_unref(r->parser);
	if (r->local_log)
		fclose(r->local_log);
	g_free(r->run_path);
}

int cmd_run(int argc, char **argv)
{
	char *device = NULL, *name = NULL, *adapter = NULL, *reboot_cmd = NULL;
	char *label = NULL, *logpath = NULL, *junit = NULL, *reboot = NULL;
	char *capture_file = NULL;
	struct capture cap = { 0 };
	char **faults = NULL, **sets = NULL;
	gboolean sim = FALSE, json = FALSE, verbose = FALSE, daemon = FALSE;
	gboolean no_default_agent = FALSE;
	double scale = -1;
	GOptionEntry entries[] = {
		{ "device", 'd', 0, G_OPTION_ARG_STRING, &device,
			"DUT address", "AA:BB:CC:DD:EE:FF" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name,
			"DUT name (the first device with it)", "NAME" },
		{ "adapter", 'a', 0, G_OPTION_ARG_STRING, &adapter,
			"adapter (default: the first powered one)", "hciN" },
		{ "sim", 0, 0, G_OPTION_ARG_NONE, &sim,
			"run against the built-in simulator on a private bus",
			NULL },
		{ "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
			"simulator fault, repeatable (implies --sim)",
			"NAME[=ARG]" },
		{ "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale,
			"simulator delays x F (default 1; 0 = none), implies "
			"--sim", "F" },
		{ "reboot-cmd", 0, 0, G_OPTION_ARG_STRING, &reboot_cmd,
			"how the DUT is rebooted (shell command); overrides the "
			"scenario", "CMD" },
		{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
			"scenario variable, repeatable", "NAME=VALUE" },
		{ "label", 0, 0, G_OPTION_ARG_STRING, &label,
			"firmware build label, recorded in the log", "TEXT" },
		{ "log", 0, 0, G_OPTION_ARG_FILENAME, &logpath,
			"JSON Lines event log (default under "
			"~/.local/state/bondcheck)", "FILE" },
		{ "junit", 0, 0, G_OPTION_ARG_FILENAME, &junit,
			"JUnit XML report, written when the run ends", "FILE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
			"machine-readable progress on stdout, one JSON object "
			"per line", NULL },
		{ "capture", 0, 0, G_OPTION_ARG_FILENAME, &capture_file,
			"record a btsnoop HCI trace with btmon (root or "
			"CAP_NET_RAW)", "FILE" },
		{ "no-default-agent", 0, 0, G_OPTION_ARG_NONE,
			&no_default_agent, "register our pairing agent without "
			"making it bluetoothd's default (another program on "
			"this host answers pairing the device starts)", NULL },
		{ "daemon", 0, 0, G_OPTION_ARG_NONE, &daemon,
			"hand the run to bondcheckd instead of running "
			"in-process", NULL },
		{ "reboot", 0, 0, G_OPTION_ARG_STRING, &reboot,
			"with --daemon: a reboot method from bondcheckd's "
			"configuration", "METHOD" },
		{ "sim-verbose", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE,
			&verbose, NULL, NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"SCENARIO - run a scenario against a device or the simulator");
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, g_free);
	struct scenario_options sopts = { vars, false };
	GPtrArray *errors = NULL, *simargs = NULL;
	struct scenario *scn = NULL;
	struct simhost host = { 0 };
	struct bus *bus = NULL;
	struct runner_options ropts;
	struct run r = { 0 };
	GError *err = NULL;
	char *bluez_version = NULL, *kernel = NULL;
	char **fault_list = NULL;
	guint sig[2] = { 0, 0 };
	int status = BC_EXIT_USAGE;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!cli_parse(ctx, &argc, &argv) || !cli_parse_sets(sets, vars))
		goto out;
	if (argc != 2) {
		char *dir = appinfo_scenarios_dir();

		if (argc < 2)
			cli_err("run needs a scenario file (see %s/)", dir);
		else
			cli_err("run takes one scenario file");
		g_free(dir);
		goto out;
	}
	if (daemon && (sim || faults || scale >= 0 || verbose)) {
		cli_err("--daemon runs on the daemon's BlueZ: no --sim, --fault "
			"or --time-scale");
		goto out;
	}
	if (capture_file && (daemon || sim || faults || scale >= 0)) {
		cli_err("--capture records a real adapter's HCI traffic: not "
			"with --sim or --daemon");
		goto out;
	}
	if (daemon && no_default_agent) {
		cli_err("--no-default-agent is for in-process runs");
		goto out;
	}
	if (daemon && reboot_cmd) {
		cli_err("bondcheckd runs no command a client sends: give "
			"--reboot METHOD, a method from its configuration");
		goto out;
	}
	if (reboot && !daemon) {
		cli_err("--reboot METHOD is for --daemon runs; in-process, "
			"use --reboot-cmd CMD");
		goto out;
	}
	if (faults || scale >= 0)
		sim = TRUE;
	if (scale < 0)
		scale = 1.0;
	if (device && !bluez_address_valid(device)) {
		cli_err("--device takes an address like AA:BB:CC:DD:EE:FF, "
			"not '%s'", device);
		goto out;
	}
	if (device && name) {
		cli_err("give --device or --name, not both");
		goto out;
	}
	if (!sim && !device && !name) {
		cli_err("which device? give --device ADDRESS or --name NAME "
			"(bondcheck scan lists them), or --sim");
		goto out;
	}
	if (sim && !device && !name)
		device = g_strdup(SIM_DUT);
	simargs = g_ptr_array_new_with_free_func(g_free);
	if (sim && !cli_sim_args(faults, scale, verbose, simargs))
		goto out;

	sopts.have_reboot_cmd = reboot_cmd != NULL || reboot != NULL;
	scn = scenario_load(argv[1], &sopts, &errors);
	if (!scn) {
		cli_print_scn_errors(errors);
		goto out;
	}
	if (daemon) {
		char *text = NULL;
		gsize len = 0;

		/* checked here for FILE:LINE:COL; sent as text, never a path */
		if (!g_file_get_contents(argv[1], &text, &len, &err)) {
			cli_err("%s", err->message);
			goto out;
		}
		r.report = report_new();
		if (junit && !report_junit(r.report, junit, logpath, &err)) {
			g_free(text);
			status = cli_fail(err);
			goto out;
		}
		if (logpath && !(r.local_log = fopen(logpath, "we"))) {
			cli_err("cannot write the log %s: %s", logpath,
				g_strerror(errno));
			g_free(text);
			goto out;
		}
		r.json = json;
		r.tty = isatty(fileno(stderr)) && !json;
		r.file = argv[1];
		r.loop = g_main_loop_new(NULL, FALSE);
		if (!json) {
			printf("%s%s%s: \"%s\", %u steps, via bondcheckd\n",
				cli_c(stdout, "\033[1m"), argv[1],
				cli_c(stdout, "\033[0m"), scn->name,
				scn->total_steps);
			fflush(stdout);
		}
		if (r.tty)
			r.progress = g_timeout_add(200, on_progress, &r);
		sig[0] = g_unix_signal_add(SIGINT, on_signal, &r);
		sig[1] = g_unix_signal_add(SIGTERM, on_signal, &r);
		status = run_daemon(&r, argv[1], text, daemon_options(device,
			name, adapter, label, reboot, vars));
		if (logpath && !json)
			printf("log: %s\n", logpath);
		if (junit && !json && r.ended)
			printf("JUnit: %s\n", junit);
		g_free(text);
		goto out;
	}
	if (!logpath)
		logpath = default_log_path(scn->name);
	r.log = evlog_new(logpath, &err);
	if (!r.log) {
		status = cli_fail(err);
		goto out;
	}
	r.report = report_new();
	if (junit && !report_junit(r.report, junit, logpath, &err)) {
		status = cli_fail(err);
		goto out;
	}
	r.json = json;
	r.tty = isatty(fileno(stderr)) && !json;
	r.file = argv[1];
	r.loop = g_main_loop_new(NULL, FALSE);
	evlog_add_sink(r.log, on_event, &r);

	if (sim) {
		g_ptr_array_add(simargs, NULL);
		if (!simhost_start(&host, (const char *const *)simargs->pdata,
			    &err)) {
			status = cli_fail(err);
			goto out;
		}
		host.on_exit = sim_died;
		host.exit_data = &r;
		r.sim = &host;
		/* commands this run starts (--reboot-cmd) reach the simulator */
		g_setenv("DBUS_SYSTEM_BUS_ADDRESS", host.address, TRUE);
		bus = bus_connect(BUS_KIND_ADDRESS, host.address, &err);
	} else {
		bus = bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	}
	if (!bus) {
		err->code = BCERROR_ENVIRONMENT;
		status = cli_fail(err);
		goto out;
	}

	memset(&ropts, 0, sizeof(ropts));
	if (sim) {
		GPtrArray *fl = g_ptr_array_new();
		const char *ver = "5.66";

		for (char **f = faults; f && *f; f++) {
			g_ptr_array_add(fl, g_strdup(*f));
			if (g_str_has_prefix(*f, "bluez-version="))
				ver = *f + strlen("bluez-version=");
		}
		g_ptr_array_add(fl, NULL);
		fault_list = (char **)g_ptr_array_free(fl, FALSE);
		bluez_version = g_strdup_printf("bondcheck-sim (as %s)", ver);
	} else {
		bluez_version = runner_bluez_version();
	}
	kernel = runner_kernel();
	ropts.engine.device = device;
	ropts.engine.device_name = name;
	ropts.engine.adapter = adapter;
	ropts.engine.label = label;
	ropts.engine.reboot_cmd = reboot_cmd;
	ropts.engine.sim = sim;
	ropts.engine.faults = (const char *const *)fault_list;
	ropts.engine.time_scale = scale;
	ropts.engine.bluez_version = bluez_version;
	ropts.engine.kernel = kernel;
	ropts.engine.tool_version = BONDCHECK_VERSION;
	ropts.sim_trace = sim;
	ropts.prompt_to = stderr;
	ropts.not_default_agent = no_default_agent;
	r.runner = runner_new(bus, scn, r.log, &ropts);

	if (!json) {
		printf("%s%s%s: \"%s\", %u steps\n", cli_c(stdout, "\033[1m"),
			argv[1], cli_c(stdout, "\033[0m"), scn->name,
			scn->total_steps);
		printf("  device %s%s%s", device ? device : name,
			adapter ? " on " : "", adapter ? adapter : "");
		if (sim) {
			printf(" (simulator");
			for (char **f = faults; f && *f; f++)
				printf("%s%s", f == faults ? ", faults: " : ", ",
					*f);
			printf(")");
		}
		printf("\n  log %s\n", logpath);
		fflush(stdout);
	}
	if (capture_file) {
		if (!capture_start(&cap, capture_file, adapter, &err)) {
			status = cli_fail(err);
			goto out;
		}
		{
			char *t = g_strdup_printf("btmon is writing a btsnoop "
				"trace to %s", capture_file);

			engine_note(runner_engine(r.runner), "capture", t);
			g_free(t);
		}
	}
	if (r.tty)
		r.progress = g_timeout_add(200, on_progress, &r);
	sig[0] = g_unix_signal_add(SIGINT, on_signal, &r);
	sig[1] = g_unix_signal_add(SIGTERM, on_signal, &r);
	runner_start(r.runner, on_done, &r);
	g_main_loop_run(r.loop);
	status = r.status;
	capture_stop(&cap, capture_file);
	if (evlog_error(r.log))
		cli_err("%s", evlog_error(r.log)->message);
	if (!json) {
		printf("log: %s\n", logpath);
		if (junit)
			printf("JUnit: %s\n", junit);
	}
out:
	if (sig[0])
		g_source_remove(sig[0]);
	if (sig[1])
		g_source_remove(sig[1]);
	if (r.progress)
		g_source_remove(r.progress);
	runner_free(r.runner);
	daemon_clear(&r);
	g_free(r.p_step);
	g_free(r.p_iter);
	if (bus)
		bus_unref(bus);
	if (host.address)
		simhost_stop(&host);
	evlog_free(r.log);
	report_free(r.report);
	if (r.loop)
		g_main_loop_unref(r.loop);
	scenario_free(scn);
	if (errors)
		g_ptr_array_free(errors, TRUE);
	if (simargs)
		g_ptr_array_free(simargs, TRUE);
	g_option_context_free(ctx);
	g_hash_table_destroy(vars);
	g_strfreev(sets);
	g_strfreev(faults);
	g_strfreev(fault_list);
	g_free(device);
	g_free(name);
	g_free(adapter);
	g_free(reboot_cmd);
	g_free(label);
	g_free(logpath);
	g_free(junit);
	g_free(reboot);
	g_free(capture_file);
	g_free(bluez_version);
	g_free(kernel);
	dbus_shutdown();
	return status;
}
