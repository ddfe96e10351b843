/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c — bondcheck run: scenarios against a device (real BlueZ on
 * the system bus) or the simulator (a private bus it starts and stops, one
 * per scenario), in-process or handed to bondcheckd. Prints a line per
 * step, a live progress line on a TTY, and a summary that names each
 * failure's verdict, evidence and scenario line. Several scenarios (files
 * or directories of them) run in turn, each with its own log, into one
 * JUnit file; one summary at the end, and the worst exit status.
 *
 * The shape: run_args_parse() reads the options (the run_options table)
 * and checks them (the run_rules table, in order: the first that fails is
 * the error); run_in_process() and run_via_daemon() run it, and share the
 * output (output_*: the report, the main loop, progress, signals, what the
 * events print). A new option is a bit in enum run_opt, a row in
 * run_options, a field in run_args, and a row in run_rules for each
 * combination it does not make sense in. cmd_run() loads every scenario
 * first (bad input runs nothing), then run_one() runs each.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bondcheck/appinfo.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/evlog.h"
#include "bondcheck/junit.h"
#include "bondcheck/logread.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/report.h"
#include "bondcheck/runner.h"
#include "bondcheck/scenario.h"
#include "bondcheck/simopt.h"
#include "bondcheck/verdict.h"
#include "cli.h"
#include "simhost.h"

struct run {
	GMainLoop *loop;
	struct runner *runner;
	struct evlog *log;
	bool json;
	bool tty;
	bool several; /* several centrals: each line says whose */
	bool progress_shown;
	guint progress;
	int status;
	struct report *report;     /* fed every event; the summary, JUnit */
	struct logread_view *view; /* what each event is */
	const char *file;
	struct simhost *sim;
	bool sim_died;
	/* --daemon */
	struct bus *dbus;
	char *run_path;
	GPtrArray *early; /* Event lines before StartRun answered */
	guint event_watch;
	guint name_watch;
	bool cancel_asked;
	bool ended;
	bool finished;         /* the report is finished (finish()) */
	bool later_summary;    /* several scenarios: one summary at the end */
	bool log_sink;         /* r->log feeds r->report (on_event) */
	bool log_tried;        /* the log was opened (or failed to) */
	FILE *local_log;       /* --log with --daemon: a copy */
	const char *log_path;  /* its path */
	bool local_log_failed; /* a write to it failed */
	JsonParser *parser;
	/* the step in progress, from its step-start event */
	char *p_step;
	gint64 p_line, p_index, p_timeout, p_total;
	char *p_iter;
	gint64 p_start_us;
	guint sig[CLI_SIGNALS]; /* SIGINT, SIGTERM, SIGHUP */
};

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
	                   g_strdup_printf("%.1f s", (double)ms / 1000.0);
}

static void print_step_end(struct run *r, const struct logread_step *st)
{
	const char *conf = st->confidence;
	char *el = ms_text(st->elapsed_ms);
	bool pass = st->result == LOG_STEP_PASS;
	const char *col = pass ? "\033[32m" : "\033[1;31m";
	char itbuf[32] = "";
	char who[48] = "";

	if (*st->iteration)
		g_snprintf(itbuf, sizeof(itbuf), "[%s]", st->iteration);
	if (r->several)
		g_snprintf(who, sizeof(who), "%-10s ", st->central);
	clear_progress(r);
	printf("  %s%-5s%s %s%-14s line %-4" G_GINT64_FORMAT " %-8s %9s",
		cli_c(stdout, col),
		pass                               ? "PASS" :
		st->result == LOG_STEP_INTERRUPTED ? "STOP" :
		st->result == LOG_STEP_ERROR       ? "ERROR" :
						     "FAIL",
		cli_c(stdout, "\033[0m"), who, st->name, st->line, itbuf, el);
	if (!pass && st->verdict && st->result != LOG_STEP_INTERRUPTED)
		printf("  %s%s%s%s%s", cli_c(stdout, "\033[1m"), st->verdict,
			cli_c(stdout, "\033[0m"), conf ? " " : "",
			conf ? (!strcmp(conf,
					confidence_to_str(CONFIDENCE_CONFIRMED)) ?
					       "(confirmed)" :
					       "(inferred)") :
			       "");
	printf("\n");
	fflush(stdout);
	g_free(el);
}

static void on_event(const char *line, JsonNode *event, void *data)
{
	struct run *r = data;
	JsonObject *o = json_node_get_object(event);
	const struct logread_event *ev = logread_view_set(r->view, o);
	const struct logread_step *st = ev ? ev->step : NULL;

	if (!ev || !ev->known)
		return;
	if (r->json) {
		if (log_event_is_structural(ev->event)) {
			printf("%s\n", line);
			fflush(stdout);
		}
	} else if (ev->event == LOG_EVENT_STEP_END && st) {
		print_step_end(r, st);
	} else if (ev->event == LOG_EVENT_NOTE) {
		clear_progress(r);
		printf("  note: %s\n", logread_str(o, LOG_KEY_TEXT));
		fflush(stdout);
	}
	if (ev->event == LOG_EVENT_RUN_START) {
		JsonArray *c = logread_arr(o, LOG_KEY_CENTRALS);

		r->p_total = logread_int(logread_obj(o, LOG_KEY_SCENARIO),
			LOG_KEY_STEPS, 0);
		r->several = c && json_array_get_length(c) > 1;
	} else if (ev->event == LOG_EVENT_STEP_START && st) {
		g_free(r->p_step);
		g_free(r->p_iter);
		r->p_step = g_strdup(st->name);
		r->p_iter = g_strdup(st->iteration);
		r->p_line = st->line;
		r->p_index = st->index;
		r->p_timeout = st->timeout_ms < 0 ? 0 : st->timeout_ms;
		r->p_start_us = g_get_monotonic_time();
	} else if (ev->event == LOG_EVENT_STEP_END) {
		g_clear_pointer(&r->p_step, g_free);
	}
	report_add(r->report, ev);
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
	fprintf(stderr,
		"\r\033[K  ..    %-14s line %-4d %s%s%s %s / %s  "
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
	r->finished = true;
	r->status = status;
	if (!report_finish(r->report, &err)) {
		clear_progress(r);
		cli_err("%s", err->message);
		g_error_free(err);
		if (r->status == BC_EXIT_OK)
			r->status = BC_EXIT_ENV;
	}
	if (!r->json && !r->later_summary)
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
	else if (r->sim)
		/* the run is over; its simulator is slow to stop: now */
		simhost_hurry(r->sim);
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
	char *dir = state && *state ?
	                    g_build_filename(state, "bondcheck", NULL) :
	                    g_build_filename(g_get_home_dir(), ".local",
				    "state", "bondcheck", NULL);
	GDateTime *dt = g_date_time_new_now_local();
	char *stamp = g_date_time_format(dt, "%Y%m%d-%H%M%S");
	char *safe = g_strdup(name);
	char *file, *path;

	g_strcanon(safe,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789-_",
		'-');
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
	const char *argv[] = { NULL, "-w", file, adapter ? "-i" : NULL, adapter,
		NULL };
	bool ok;

	if (!btmon) {
		g_set_error(err, BCERROR, BCERROR_ENVIRONMENT,
			"--capture needs btmon (Debian package bluez)");
		return false;
	}
	argv[0] = btmon;
	/* btmon's own complaints (permission) go to our stderr */
	ok = g_spawn_async(NULL, (char **)argv, NULL,
		G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
		NULL, &c->pid, err);
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
			"CAP_NET_RAW)",
			WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1);
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
	if (r->local_log && !r->local_log_failed) {
		fputs(line, r->local_log);
		fputc('\n', r->local_log);
		/* the daemon's own log is whole; our copy is not: said once,
		 * and the run exits 3 (its verdict is on stdout) */
		if (fflush(r->local_log) != 0 || ferror(r->local_log)) {
			clear_progress(r);
			cli_err("writing the log %s failed: %s", r->log_path,
				g_strerror(errno));
			r->local_log_failed = true;
		}
	}
	on_event(line, root, r);
	o = json_node_get_object(root);
	if (!g_strcmp0(logread_str(o, LOG_KEY_TYPE),
		    log_event_to_str(LOG_EVENT_RUN_END)))
		finish(r, (int)logread_int(o, LOG_KEY_EXIT_STATUS,
				  BC_EXIT_FAILED));
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

/* ---- the command line ----------------------------------------------- */

/* Each option of bondcheck run as a bit: what was given, what conflicts. */
enum run_opt {
	OPT_DEVICE = 1u << 0,
	OPT_NAME = 1u << 1,
	OPT_ADAPTER = 1u << 2,
	OPT_SIM = 1u << 3,
	OPT_FAULT = 1u << 4,
	OPT_TIME_SCALE = 1u << 5,
	OPT_REBOOT_CMD = 1u << 6,
	OPT_SET = 1u << 7,
	OPT_LABEL = 1u << 8,
	OPT_LOG = 1u << 9,
	OPT_JUNIT = 1u << 10,
	OPT_JSON = 1u << 11,
	OPT_CAPTURE = 1u << 12,
	OPT_NO_DEFAULT_AGENT = 1u << 13,
	OPT_DAEMON = 1u << 14,
	OPT_REBOOT = 1u << 15,
	OPT_SIM_VERBOSE = 1u << 16,
	OPT_SEED = 1u << 17,
	OPT_PRIVACY = 1u << 18,
	OPT_SIM_OPT = 1u << 19,
	OPT_SET_NEW = 1u << 20,
	OPT_KEEP_GOING = 1u << 21,
};

/* Options only the simulator takes: each implies --sim. */
#define OPT_SIM_ONLY (OPT_FAULT | OPT_TIME_SCALE | OPT_SEED | OPT_SIM_OPT)

/* What the command line asked for. */
struct run_args {
	char *device, *name, *adapter, *reboot_cmd, *label, *log, *junit;
	char *capture, *reboot, *seed, *privacy;
	char **faults, **sets, **sets_new, **sim_opts;
	char **adapters;    /* --adapter hci0,hci2: one per central */
	const char **names; /* each central's adapter, as named */
	gboolean sim, json, daemon, no_default_agent, sim_verbose;
	gboolean keep_going;
	double time_scale;         /* < 0: not given */
	unsigned given;            /* enum run_opt */
	uint32_t seed_used;        /* the simulator's, given or drawn */
	const char *file;          /* the scenario that runs now */
	const char *run_log;       /* ...its log (NULL: the default path) */
	GPtrArray *files;          /* every scenario, directories expanded */
	unsigned nth;              /* the one that runs now, from 1 */
	struct junit *junit_all;   /* --junit: every scenario's suite */
	GHashTable *vars;          /* --set NAME=VALUE */
	struct sim_config sim_cfg; /* --sim-opt applied */
	GPtrArray *sim_settings;   /* ...every setting in effect, for the log */
};

#define ARG(field) offsetof(struct run_args, field)

/* An option: its GOptionEntry, and where its value goes in run_args. */
static const struct run_option {
	const char *name;
	char short_name;
	int flags;
	GOptionArg arg;
	size_t offset;
	enum run_opt opt;
	const char *help;
	const char *arg_desc;
} run_options[] = {
	{ "device", 'd', 0, G_OPTION_ARG_STRING, ARG(device), OPT_DEVICE,
		"DUT address", "AA:BB:CC:DD:EE:FF" },
	{ "name", 0, 0, G_OPTION_ARG_STRING, ARG(name), OPT_NAME,
		"DUT name (the first device with it)", "NAME" },
	{ "adapter", 'a', 0, G_OPTION_ARG_STRING, ARG(adapter), OPT_ADAPTER,
		"adapter (default: the first powered one); with several "
		"centrals, theirs in order, e.g. hci0,hci2",
		"hciN[,hciN...]" },
	{ "sim", 0, 0, G_OPTION_ARG_NONE, ARG(sim), OPT_SIM,
		"run against the built-in simulator on a private bus", NULL },
	{ "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, ARG(faults), OPT_FAULT,
		"simulator fault, repeatable (implies --sim)", "NAME[=ARG]" },
	{ "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, ARG(time_scale),
		OPT_TIME_SCALE,
		"simulator delays x F (default 1; 0 = none), "
		"implies --sim",
		"F" },
	{ "seed", 0, 0, G_OPTION_ARG_STRING, ARG(seed), OPT_SEED,
		"seed of the simulator's chances (default random; always in "
		"the log's run-start), implies --sim",
		"N" },
	{ "sim-opt", 0, 0, G_OPTION_ARG_STRING_ARRAY, ARG(sim_opts),
		OPT_SIM_OPT,
		"simulated DUT or adapter setting, repeatable "
		"(bondcheck faults --settings lists them), implies --sim",
		"KEY=VALUE" },
	{ "reboot-cmd", 0, 0, G_OPTION_ARG_STRING, ARG(reboot_cmd),
		OPT_REBOOT_CMD,
		"how the DUT is rebooted (shell command); "
		"overrides the scenario",
		"CMD" },
	{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, ARG(sets), OPT_SET,
		"scenario variable, repeatable; the scenario must use it",
		"NAME=VALUE" },
	{ "set-new", 0, 0, G_OPTION_ARG_STRING_ARRAY, ARG(sets_new),
		OPT_SET_NEW,
		"a variable whether or not the scenario uses it "
		"(for commands it runs, or scenarios that may), repeatable",
		"NAME=VALUE" },
	{ "label", 0, 0, G_OPTION_ARG_STRING, ARG(label), OPT_LABEL,
		"firmware build label, recorded in the log", "TEXT" },
	{ "log", 0, 0, G_OPTION_ARG_FILENAME, ARG(log), OPT_LOG,
		"JSON Lines event log (default under ~/.local/state/bondcheck)",
		"FILE" },
	{ "junit", 0, 0, G_OPTION_ARG_FILENAME, ARG(junit), OPT_JUNIT,
		"JUnit XML report, written when the run ends", "FILE" },
	{ "json", 0, 0, G_OPTION_ARG_NONE, ARG(json), OPT_JSON,
		"machine-readable progress on stdout, one JSON object per line",
		NULL },
	{ "capture", 0, 0, G_OPTION_ARG_FILENAME, ARG(capture), OPT_CAPTURE,
		"record a btsnoop HCI trace with btmon (root or CAP_NET_RAW)",
		"FILE" },
	{ "no-default-agent", 0, 0, G_OPTION_ARG_NONE, ARG(no_default_agent),
		OPT_NO_DEFAULT_AGENT,
		"register our pairing agent without "
		"making it bluetoothd's default (another program on this host "
		"answers pairing the device starts)",
		NULL },
	{ "daemon", 0, 0, G_OPTION_ARG_NONE, ARG(daemon), OPT_DAEMON,
		"hand the run to bondcheckd instead of running in-process",
		NULL },
	{ "reboot", 0, 0, G_OPTION_ARG_STRING, ARG(reboot), OPT_REBOOT,
		"with --daemon: a reboot method from bondcheckd's "
		"configuration",
		"METHOD" },
	{ "privacy", 0, 0, G_OPTION_ARG_STRING, ARG(privacy), OPT_PRIVACY,
		"the central's address privacy: on (a resolvable private "
		"address, as a phone) or off (its public address); overrides "
		"the scenario's central privacy=",
		"on|off" },
	{ "keep-going", 0, 0, G_OPTION_ARG_NONE, ARG(keep_going),
		OPT_KEEP_GOING,
		"after a failed step inside a repeat block, go "
		"on with its next iteration; after a failed scenario, with the "
		"next scenario",
		NULL },
	{ "sim-verbose", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE,
		ARG(sim_verbose), OPT_SIM_VERBOSE, NULL, NULL },
};

static bool option_given(const struct run_args *a, const struct run_option *o)
{
	const char *p = (const char *)a + o->offset;

	switch (o->arg) {
	case G_OPTION_ARG_NONE: return *(const gboolean *)p;
	case G_OPTION_ARG_STRING:
	case G_OPTION_ARG_FILENAME: return *(char *const *)p != NULL;
	case G_OPTION_ARG_STRING_ARRAY:
	case G_OPTION_ARG_FILENAME_ARRAY: return *(char **const *)p != NULL;
	case G_OPTION_ARG_DOUBLE: return *(const double *)p >= 0;
	case G_OPTION_ARG_INT:
	case G_OPTION_ARG_INT64:
	case G_OPTION_ARG_CALLBACK: break;
	}
	return false;
}

static char *bad_privacy(const struct run_args *a)
{
	if (!strcmp(a->privacy, "on") || !strcmp(a->privacy, "off"))
		return NULL;
	return g_strdup_printf("--privacy takes on or off, not '%s'",
		a->privacy);
}

/* --adapter hciN[,hciN...] */
static char *bad_adapter(const struct run_args *a)
{
	char **v = g_strsplit(a->adapter, ",", -1);
	char *msg = NULL;

	for (char **p = v; *p && !msg; p++) {
		const char *d = *p + 3;

		if (strncmp(*p, "hci", 3) || !*d || strlen(d) > 3 ||
			strspn(d, "0123456789") != strlen(d))
			msg = g_strdup_printf(
				"--adapter takes hciN, or hciN,"
				"hciN,... for several centrals, not '%s'",
				a->adapter);
	}
	g_strfreev(v);
	return msg;
}

static char *bad_device(const struct run_args *a)
{
	if (bluez_address_valid(a->device))
		return NULL;
	return g_strdup_printf("--device takes an address like "
			       "AA:BB:CC:DD:EE:FF, not '%s'",
		a->device);
}

/*
 * The checks of the options, in the order they are made; the first that
 * fails is the error. A rule fails when every option of @given was given
 * and any of @with too, or none of @needs; or when its @check has a
 * message. (@given 0: always applies.)
 */
static const struct run_rule {
	unsigned given;
	unsigned with;
	unsigned needs;
	const char *message;
	char *(*check)(const struct run_args *a);
} run_rules[] = {
	{ OPT_DAEMON, OPT_SIM | OPT_SIM_ONLY | OPT_SIM_VERBOSE, 0,
		"--daemon runs on the daemon's BlueZ: no --sim, --fault, "
		"--time-scale, --seed or --sim-opt",
		NULL },
	{ OPT_CAPTURE, OPT_DAEMON | OPT_SIM | OPT_SIM_ONLY, 0,
		"--capture records a real adapter's HCI traffic: not with "
		"--sim or --daemon",
		NULL },
	{ OPT_DAEMON, OPT_NO_DEFAULT_AGENT, 0,
		"--no-default-agent is for in-process runs", NULL },
	{ OPT_DAEMON, OPT_REBOOT_CMD, 0,
		"bondcheckd runs no command a client sends: give --reboot "
		"METHOD, a method from its configuration",
		NULL },
	{ OPT_REBOOT, 0, OPT_DAEMON,
		"--reboot METHOD is for --daemon runs; in-process, use "
		"--reboot-cmd CMD",
		NULL },
	{ OPT_DEVICE, 0, 0, NULL, bad_device },
	{ OPT_PRIVACY, 0, 0, NULL, bad_privacy },
	{ OPT_ADAPTER, 0, 0, NULL, bad_adapter },
	{ OPT_DEVICE, OPT_NAME, 0, "give --device or --name, not both", NULL },
	{ 0, 0, OPT_SIM | OPT_SIM_ONLY | OPT_DEVICE | OPT_NAME,
		"which device? give --device ADDRESS or --name NAME (bondcheck "
		"scan lists them), or --sim",
		NULL },
};

static bool rule_fails(const struct run_rule *rule, const struct run_args *a,
	char **message)
{
	*message = NULL;
	if ((a->given & rule->given) != rule->given)
		return false;
	if (rule->check) {
		*message = rule->check(a);
		return *message != NULL;
	}
	if ((rule->with && (a->given & rule->with)) ||
		(rule->needs && !(a->given & rule->needs))) {
		*message = g_strdup(rule->message);
		return true;
	}
	return false;
}

/*
 * A scenario file, or a directory: its *.scn files (not those of its
 * subdirectories) in the byte order of their names, so that 01-bond.scn
 * runs before 02-reboot.scn. False, said: a directory without any.
 */
static int cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool add_scenarios(GPtrArray *files, const char *arg)
{
	GError *err = NULL;
	GPtrArray *names;
	GDir *d;
	const char *n;
	bool ok;

	if (!g_file_test(arg, G_FILE_TEST_IS_DIR)) {
		g_ptr_array_add(files, g_strdup(arg));
		return true;
	}
	d = g_dir_open(arg, 0, &err);
	if (!d) {
		cli_err("%s", err->message);
		g_error_free(err);
		return false;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((n = g_dir_read_name(d))) {
		char *p = g_build_filename(arg, n, NULL);

		if (g_str_has_suffix(n, ".scn") &&
			g_file_test(p, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(names, p);
		else
			g_free(p);
	}
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add(files, g_strdup(names->pdata[i]));
	ok = names->len > 0;
	if (!ok)
		cli_err("%s: no scenario (*.scn) in this directory", arg);
	g_ptr_array_free(names, TRUE);
	return ok;
}

/* Parse and check the command line; false: the error is said. */
static bool run_args_parse(struct run_args *a, int *argc, char ***argv)
{
	GOptionEntry entries[G_N_ELEMENTS(run_options) + 1];
	GOptionContext *ctx = g_option_context_new(
		"SCENARIO|DIR... - run scenarios against a device or the "
		"simulator");
	bool ok;

	memset(entries, 0, sizeof(entries));
	for (size_t i = 0; i < G_N_ELEMENTS(run_options); i++) {
		const struct run_option *o = &run_options[i];

		entries[i] = (GOptionEntry){ o->name, o->short_name, o->flags,
			o->arg, (char *)a + o->offset, o->help, o->arg_desc };
	}
	a->time_scale = -1;
	a->vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		g_free);
	g_option_context_add_main_entries(ctx, entries, NULL);
	ok = cli_parse(ctx, argc, argv) &&
	     cli_parse_sets(a->sets, a->sets_new, a->vars);
	g_option_context_free(ctx);
	if (!ok)
		return false;
	if (*argc < 2) {
		char *dir = appinfo_scenarios_dir();

		cli_err("run needs a scenario file (see %s/)", dir);
		g_free(dir);
		return false;
	}
	a->files = g_ptr_array_new_with_free_func(g_free);
	for (int i = 1; i < *argc; i++)
		if (!add_scenarios(a->files, (*argv)[i]))
			return false;
	a->file = g_ptr_array_index(a->files, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(run_options); i++)
		if (option_given(a, &run_options[i]))
			a->given |= run_options[i].opt;
	for (size_t i = 0; i < G_N_ELEMENTS(run_rules); i++) {
		char *message;

		if (rule_fails(&run_rules[i], a, &message)) {
			cli_err("%s", message);
			g_free(message);
			return false;
		}
	}
	if (a->files->len > 1 && (a->given & OPT_CAPTURE)) {
		cli_err("--capture records one scenario's run: give one "
			"scenario");
		return false;
	}
	if (a->given & OPT_SIM_ONLY)
		a->sim = TRUE;
	if (a->time_scale < 0)
		a->time_scale = 1.0;
	if (a->adapter)
		a->adapters = g_strsplit(a->adapter, ",", -1);
	return true;
}

static void run_args_clear(struct run_args *a)
{
	if (a->vars)
		g_hash_table_destroy(a->vars);
	g_strfreev(a->sets);
	g_strfreev(a->sets_new);
	g_strfreev(a->faults);
	g_strfreev(a->sim_opts);
	sim_config_clear(&a->sim_cfg);
	if (a->sim_settings)
		g_ptr_array_unref(a->sim_settings);
	g_free(a->device);
	g_free(a->name);
	g_free(a->adapter);
	g_strfreev(a->adapters);
	g_free(a->names);
	g_free(a->reboot_cmd);
	g_free(a->label);
	g_free(a->log);
	g_free(a->junit);
	g_free(a->reboot);
	g_free(a->capture);
	g_free(a->seed);
	g_free(a->privacy);
	if (a->files)
		g_ptr_array_free(a->files, TRUE);
}

/* ---- what both ways of running share: the output ---------------------- */

/*
 * The report (the summary, --junit), the main loop and what the events
 * print. @log: the run log the JUnit report names (may be NULL).
 */
static int output_start(struct run *r, const struct run_args *a,
	const char *log)
{
	GError *err = NULL;

	(void)err;
	r->report = report_new();
	r->view = logread_view_new();
	if (a->junit_all)
		report_junit_into(r->report, a->junit_all, log);
	r->json = a->json;
	r->tty = isatty(fileno(stderr)) && !a->json;
	r->file = a->file;
	r->loop = g_main_loop_new(NULL, FALSE);
	return BC_EXIT_OK;
}

/* The run's first lines, unless --json. */
static void output_header(struct run *r, const struct run_args *a,
	const struct scenario *scn, const char *log)
{
	if (r->json)
		return;
	if (a->files && a->files->len > 1)
		printf("[%u/%u] ", a->nth, a->files->len);
	printf("%s%s%s: \"%s\", %u steps%s\n", cli_c(stdout, "\033[1m"),
		a->file, cli_c(stdout, "\033[0m"), scn->name, scn->total_steps,
		a->daemon ? ", via bondcheckd" : "");
	if (!a->daemon) {
		printf("  device %s%s%s", a->device ? a->device : a->name,
			a->adapter ? " on " : "", a->adapter ? a->adapter : "");
		for (guint i = 0;
			scn->centrals->len > 1 && i < scn->centrals->len; i++)
			printf("%s%s", i ? ", " : ", centrals ",
				scn_central_label(
					g_ptr_array_index(scn->centrals, i)));
		if (a->sim) {
			printf(" (simulator");
			for (char **f = a->faults; f && *f; f++)
				printf("%s%s",
					f == a->faults ? ", faults: " : ", ",
					*f);
			printf(")");
		}
		printf("\n  log %s\n", log);
	}
	fflush(stdout);
}

/* Progress on a TTY; SIGINT, SIGTERM and SIGHUP (the terminal closed) end
 * the run the proper way. */
static void output_watch(struct run *r)
{
	if (r->tty)
		r->progress = g_timeout_add(200, on_progress, r);
	cli_watch_signals(r->sig, on_signal, r);
}

/* The run's last lines: where its log and JUnit report are. */
static void output_footer(struct run *r, const struct run_args *a,
	const char *log)
{
	if (r->json)
		return;
	(void)a;
	if (log)
		printf("log: %s\n", log);
}

static void output_clear(struct run *r)
{
	cli_unwatch_signals(r->sig);
	if (r->progress)
		g_source_remove(r->progress);
	g_free(r->p_step);
	g_free(r->p_iter);
	report_free(r->report);
	logread_view_free(r->view);
	if (r->loop)
		g_main_loop_unref(r->loop);
}

/* ---- a run that never started ---------------------------------------- */

static void config_from(struct engine_config *c, const struct run_args *a)
{
	memset(c, 0, sizeof(*c));
	c->device = a->device;
	c->device_name = a->name;
	c->adapter = a->adapter;
	c->label = a->label;
	c->sim = a->sim;
	c->faults = a->sim ? (const char *const *)a->faults : NULL;
	c->time_scale = a->time_scale < 0 ? 1.0 : a->time_scale;
	c->sim_seed = a->seed_used;
	c->tool_version = BONDCHECK_VERSION;
}

static void feed_report(const char *line, JsonNode *event, void *data)
{
	(void)line;
	report_event(data, json_node_get_object(event));
}

/* The sha256 of a scenario file that did not parse, if it can be read. */
static char *file_sha256(const char *file)
{
	char *text = NULL;
	gsize len = 0;
	char *sha;

	if (!file || !g_file_test(file, G_FILE_TEST_IS_REGULAR) ||
		!g_file_get_contents(file, &text, &len, NULL))
		return NULL;
	sha = len <= (gsize)SCN_MAX_SIZE ?
	              g_compute_checksum_for_data(G_CHECKSUM_SHA256,
			      (const guchar *)text, len) :
	              NULL;
	g_free(text);
	return sha;
}

/*
 * The run ended with @status before it started (no bus, no bondcheckd, a
 * bad scenario or option, a log or report that cannot be written): unless
 * the run's events already say how it ended, the log gets run-start and
 * run-end with the reason (cli_err's last message), never left empty, and
 * the JUnit report (--junit) is written with that reason as an error.
 */
static void not_started(struct run *r, const struct run_args *a,
	const struct scenario *scn, int status)
{
	struct engine_config cfg;
	struct evlog *log = r->log, *own = NULL;
	GError *err = NULL;
	char *sha, *kernel;

	if (r->finished || status == BC_EXIT_OK ||
		status == BC_EXIT_INTERRUPTED)
		return;
	if (log && evlog_count(log) > 0)
		log = NULL; /* the engine's: not ours to add to */
	if (!log && r->local_log && ftell(r->local_log) == 0) {
		/* --daemon's copy of a run bondcheckd never began */
		fclose(r->local_log);
		r->local_log = NULL;
		own = evlog_new(a->run_log, &err);
	} else if (!log && !r->log_tried && a->run_log) {
		own = evlog_new(a->run_log, &err);
	}
	if (err) {
		cli_err("%s", err->message);
		g_clear_error(&err);
	}
	if (!log && !own)
		own = evlog_new(NULL, NULL); /* the report's events only */
	if (own)
		log = own;
	if (!r->report) {
		r->report = report_new();
		if (a->junit_all)
			report_junit_into(r->report, a->junit_all, a->run_log);
	}
	if (log != r->log || !r->log_sink)
		evlog_add_sink(log, feed_report, r->report);
	config_from(&cfg, a);
	kernel = runner_kernel();
	cfg.kernel = kernel;
	sha = scn ? NULL : file_sha256(a->file);
	engine_log_not_started(log, &cfg, scn,
		a->file ? a->file : "(no scenario)", sha, status,
		*cli_last_error() ? cli_last_error() : "the run did not start");
	r->finished = true;
	if (!report_finish(r->report, &err)) {
		cli_err("%s", err->message);
		g_clear_error(&err);
	}
	evlog_free(own);
	g_free(sha);
	g_free(kernel);
}

/* --junit's file from the command line as given, for a command line that
 * does not parse (GOption then keeps none of its values). */
static char *junit_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (g_str_has_prefix(argv[i], "--junit="))
			return g_strdup(argv[i] + strlen("--junit="));
		if (!strcmp(argv[i], "--junit") && i + 1 < argc)
			return g_strdup(argv[i + 1]);
	}
	return NULL;
}

/* ---- in-process: the engine here, on BlueZ or the simulator ----------- */

/* "bondcheck-sim (as 5.66)", or the fault's bluez-version= */
static char *sim_bluez_version(char **faults)
{
	const char *ver = "5.66";

	for (char **f = faults; f && *f; f++)
		if (g_str_has_prefix(*f, "bluez-version="))
			ver = *f + strlen("bluez-version=");
	return g_strdup_printf("bondcheck-sim (as %s)", ver);
}

/*
 * The bus the run talks to BlueZ on: the simulator's private bus (the
 * simulator started here, in @host) or the system bus.
 */
static struct bus *run_bus(struct run *r, const struct run_args *a,
	GPtrArray *simargs, struct simhost *host, GError **err)
{
	struct bus *bus;

	if (a->sim) {
		g_ptr_array_add(simargs, NULL);
		if (!simhost_start(host, (const char *const *)simargs->pdata,
			    err))
			return NULL;
		host->on_exit = sim_died;
		host->exit_data = r;
		r->sim = host;
		/* commands this run starts (--reboot-cmd) reach the simulator */
		g_setenv("DBUS_SYSTEM_BUS_ADDRESS", host->address, TRUE);
		bus = bus_connect(BUS_KIND_ADDRESS, host->address, err);
	} else {
		bus = bus_connect(BUS_KIND_SYSTEM, NULL, err);
	}
	if (!bus && err && *err)
		(*err)->code = BCERROR_ENVIRONMENT; /* no bus is no BlueZ */
	return bus;
}

static void runner_options_from(struct runner_options *o,
	const struct run_args *a, const char *bluez_version, const char *kernel)
{
	memset(o, 0, sizeof(*o));
	o->engine.device = a->device;
	o->engine.device_name = a->name;
	o->engine.adapter = a->adapters ? a->adapters[0] : NULL;
	o->engine.adapters = a->names;
	o->engine.label = a->label;
	o->engine.reboot_cmd = a->reboot_cmd;
	o->engine.sim = a->sim;
	o->engine.faults = a->sim ? (const char *const *)a->faults : NULL;
	o->engine.time_scale = a->time_scale;
	o->engine.sim_seed = a->seed_used;
	o->engine.sim_settings = a->sim && a->sim_settings ?
	                                 (const char *const *)
	                                         a->sim_settings->pdata :
	                                 NULL;
	o->engine.bluez_version = bluez_version;
	o->engine.kernel = kernel;
	o->engine.tool_version = BONDCHECK_VERSION;
	o->engine.privacy = !a->privacy               ? SCN_PRIVACY_DEFAULT :
	                    !strcmp(a->privacy, "on") ? SCN_PRIVACY_ON :
	                                                SCN_PRIVACY_OFF;
	o->engine.early_connect = engine_early_connect_wanted();
	/* a simulator's own account, also when it stands in for the system
	 * bus's bluetoothd (real bluetoothd sends none), as bondcheckd does */
	o->engine.keep_going = a->keep_going;
	o->engine.disconnect_at_end = a->files && a->files->len > 1;
	o->sim_trace = true;
	o->prompt_to = stderr;
	o->not_default_agent = a->no_default_agent;
}

static int run_in_process(struct run *r, const struct run_args *a,
	struct scenario *scn, GPtrArray *simargs)
{
	struct capture cap = { 0 };
	struct simhost host = { 0 };
	struct bus *bus = NULL;
	struct runner_options ropts;
	GError *err = NULL;
	char *log = a->run_log ? g_strdup(a->run_log) :
	                         default_log_path(scn->name);
	char *bluez_version = NULL, *kernel = NULL;
	int status;

	r->log_tried = true;
	/* a file size limit (ulimit -f) is a write error like a full disk,
	 * not a signal that kills the run before its run-end */
	signal(SIGXFSZ, SIG_IGN);
	r->log = evlog_new(log, &err);
	if (!r->log) {
		status = cli_fail(err);
		goto out;
	}
	status = output_start(r, a, log);
	if (status != BC_EXIT_OK)
		goto out;
	evlog_add_sink(r->log, on_event, r);
	r->log_sink = true;
	bus = run_bus(r, a, simargs, &host, &err);
	if (!bus) {
		status = cli_fail(err);
		goto out;
	}
	bluez_version = a->sim ? sim_bluez_version(a->faults) :
	                         runner_bluez_version();
	kernel = runner_kernel();
	runner_options_from(&ropts, a, bluez_version, kernel);
	r->runner = runner_new(bus, scn, r->log, &ropts);

	output_header(r, a, scn, log);
	if (a->capture) {
		char *t;

		/* the first central's adapter (btmon stops at a controller
		 * that goes away: one is enough) */
		if (!capture_start(&cap, a->capture,
			    a->adapters ? a->adapters[0] : NULL, &err)) {
			status = cli_fail(err);
			goto out;
		}
		t = g_strdup_printf("btmon is writing a btsnoop trace to %s",
			a->capture);
		engine_note(runner_engine(r->runner), LOG_NOTE_CAPTURE, t);
		g_free(t);
	}
	output_watch(r);
	runner_start(r->runner, on_done, r);
	g_main_loop_run(r->loop);
	status = r->status;
	capture_stop(&cap, a->capture);
	/* the engine ended the run on it (exit 3): the reason on stderr, and
	 * exit 3 also if the last line, run-end, was the one lost */
	if (evlog_error(r->log)) {
		cli_err("%s", evlog_error(r->log)->message);
		if (status == BC_EXIT_OK || status == BC_EXIT_FAILED)
			status = BC_EXIT_ENV;
	}
	output_footer(r, a, log);
out:
	if (err)
		g_error_free(err);
	if (status != BC_EXIT_OK)
		not_started(r, a, scn, status);
	runner_free(r->runner);
	r->runner = NULL;
	if (bus)
		bus_unref(bus);
	if (host.address)
		cli_stop_sim(&host);
	r->sim = NULL;
	evlog_free(r->log);
	r->log = NULL;
	g_free(bluez_version);
	g_free(kernel);
	g_free(log);
	return status;
}

/* ---- --daemon: bondcheckd runs it; we follow its Event signals -------- */

/* Was variable @name given by --set (checked), not --set-new? */
static bool by_set(const struct run_args *a, const char *name)
{
	size_t n = strlen(name);

	for (char **s = a->sets; s && *s; s++)
		if (!strncmp(*s, name, n) && (*s)[n] == '=')
			return true;
	return false;
}

/* "set" (each must be used) or "set_new" (defined whatever the scenario) */
static void daemon_vars(GVariantBuilder *b, const struct run_args *a,
	bool checked)
{
	GVariantBuilder set;
	GHashTableIter it;
	gpointer k, v;
	unsigned n = 0;

	g_variant_builder_init(&set, G_VARIANT_TYPE("a{ss}"));
	g_hash_table_iter_init(&it, a->vars);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (by_set(a, k) != checked)
			continue;
		g_variant_builder_add(&set, "{ss}", (char *)k, (char *)v);
		n++;
	}
	if (n)
		g_variant_builder_add(b, "{sv}", checked ? "set" : "set_new",
			g_variant_builder_end(&set));
	else
		g_variant_builder_clear(&set);
}

static GVariant *daemon_options(const struct run_args *a)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (a->device)
		g_variant_builder_add(&b, "{sv}", "device",
			g_variant_new_string(a->device));
	if (a->name)
		g_variant_builder_add(&b, "{sv}", "device_name",
			g_variant_new_string(a->name));
	if (a->adapters && g_strv_length(a->adapters) > 1)
		g_variant_builder_add(&b, "{sv}", "adapters",
			g_variant_new_strv((const char *const *)a->adapters,
				-1));
	else if (a->adapter)
		g_variant_builder_add(&b, "{sv}", "adapter",
			g_variant_new_string(a->adapter));
	if (a->label)
		g_variant_builder_add(&b, "{sv}", "label",
			g_variant_new_string(a->label));
	if (a->reboot)
		g_variant_builder_add(&b, "{sv}", "reboot",
			g_variant_new_string(a->reboot));
	if (a->privacy)
		g_variant_builder_add(&b, "{sv}", "privacy",
			g_variant_new_string(a->privacy));
	if (a->keep_going)
		g_variant_builder_add(&b, "{sv}", "keep_going",
			g_variant_new_boolean(TRUE));
	if (a->files && a->files->len > 1)
		g_variant_builder_add(&b, "{sv}", "disconnect_at_end",
			g_variant_new_boolean(TRUE));
	daemon_vars(&b, a, true);
	daemon_vars(&b, a, false);
	return g_variant_builder_end(&b);
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

static int run_via_daemon(struct run *r, const struct run_args *a,
	const struct scenario *scn)
{
	GError *err = NULL;
	char *text = NULL;
	gsize len = 0;
	int status;

	/* checked here for FILE:LINE:COL; sent as text, never a path */
	if (!g_file_get_contents(a->file, &text, &len, &err)) {
		cli_err("%s", err->message);
		g_error_free(err);
		return BC_EXIT_USAGE;
	}
	status = output_start(r, a, a->run_log);
	if (status != BC_EXIT_OK)
		goto out;
	r->log_tried = a->run_log != NULL;
	if (a->run_log && !(r->local_log = fopen(a->run_log, "we"))) {
		int e = errno;

		/* as evlog_new(): a bad path is 2, no permission 3 */
		cli_err("cannot write the log %s: %s", a->run_log,
			g_strerror(e));
		status = e == EACCES || e == EPERM || e == EROFS ?
		                 BC_EXIT_ENV :
		                 BC_EXIT_USAGE;
		goto out;
	}
	r->log_path = a->run_log;
	output_header(r, a, scn, NULL);
	output_watch(r);

	r->dbus = bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	if (r->dbus) {
		r->early = g_ptr_array_new_with_free_func(g_free);
		r->parser = json_parser_new_immutable();
		/* listen first: the first events may beat StartRun's reply */
		r->event_watch = bus_add_signal_watch(r->dbus, BC_SERVICE, NULL,
			"/org/bondcheck/run", BC_RUN_IFACE, "Event",
			on_daemon_event, r, NULL);
		bus_call_method(r->dbus, BC_SERVICE, BC_MANAGER_PATH,
			BC_MANAGER_IFACE, "StartRun",
			g_variant_new("(ss@a{sv})", a->file, text,
				daemon_options(a)),
			30000, started, r, NULL);
		g_main_loop_run(r->loop);
		status = r->status;
		if (r->local_log_failed &&
			(status == BC_EXIT_OK || status == BC_EXIT_FAILED))
			status = BC_EXIT_ENV;
	} else {
		cli_err("cannot reach the system bus: %s", err->message);
		g_error_free(err);
		status = BC_EXIT_ENV;
	}
	output_footer(r, a, a->run_log);
out:
	if (status != BC_EXIT_OK)
		not_started(r, a, scn, status);
	daemon_clear(r);
	g_free(text);
	return status;
}

/*
 * The simulator's adapters: one DUT in range of as many as the scenario's
 * centrals need, or of --sim-opt adapters=N if that is enough. Then what
 * the simulator is, for the log.
 */
static bool sim_adapters_enough(const struct run_args *a, const char *file,
	const struct scenario *scn, const char *const *names)
{
	unsigned need = scenario_adapters_needed(scn, names);

	if (a->sim_cfg.adapters && a->sim_cfg.adapters < need) {
		cli_err("--sim-opt adapters=%u: %s needs %u adapters (one per "
			"central, as named)",
			a->sim_cfg.adapters, file, need);
		return false;
	}
	return true;
}

static void sim_adapters(struct run_args *a, const struct scenario *scn,
	GPtrArray *simargs)
{
	unsigned need = scenario_adapters_needed(scn, a->names);

	if (!a->sim_cfg.adapters && need > 1) {
		a->sim_cfg.adapters = need;
		g_ptr_array_add(simargs, g_strdup("--adapters"));
		g_ptr_array_add(simargs, g_strdup_printf("%u", need));
	}
	if (a->sim_settings)
		g_ptr_array_unref(a->sim_settings);
	a->sim_settings = sim_opt_show(&a->sim_cfg);
	g_ptr_array_add(a->sim_settings, NULL);
}

/* The scenario's errors, as the reports of the run say them: the first
 * few, one a line (cli_last_error() holds them). */
static void remember_scn_errors(GPtrArray *errors)
{
	GString *s = g_string_new("");

	for (guint i = 0; errors && i < errors->len && i < 10; i++) {
		char *m = scn_error_format(g_ptr_array_index(errors, i));

		g_string_append_printf(s, "%s%s", s->len ? "\n" : "", m);
		g_free(m);
	}
	if (errors && errors->len > 10)
		g_string_append_printf(s, "\n... and %u more",
			errors->len - 10);
	cli_set_last_error(s->str);
	g_string_free(s, TRUE);
}

/* ---- several scenarios ------------------------------------------------ */

/* One scenario of the command line, in the order given. */
struct run_item {
	char *file;
	struct scenario *scn; /* NULL: it did not load */
	const char **names;   /* each central's adapter, as named */
	char *log;            /* its log, when --log names one */
	int status;           /* its exit status */
	bool ran;
	struct report *report; /* several: kept for the summary */
};

static void run_item_free(void *data)
{
	struct run_item *it = data;

	scenario_free(it->scn);
	g_free(it->names);
	g_free(it->file);
	g_free(it->log);
	report_free(it->report);
	g_free(it);
}

/*
 * The worse of two exit statuses, the higher number: interrupted (130),
 * environment (3: the results say nothing of the firmware), bad input (2),
 * a failure (1: the firmware's), success (0) — as tools/ci-sim-suite's.
 */
static int exit_rank(int status)
{
	switch (status) {
	case BC_EXIT_OK: return 0;
	case BC_EXIT_FAILED: return 1;
	case BC_EXIT_USAGE: return 2;
	case BC_EXIT_ENV: return 3;
	default: return 4;
	}
}

static int exit_worst(int a, int b)
{
	return exit_rank(b) > exit_rank(a) ? b : a;
}

static const char *exit_text(int status)
{
	switch (status) {
	case BC_EXIT_OK: return "passed";
	case BC_EXIT_FAILED: return "failed";
	case BC_EXIT_USAGE: return "bad input";
	case BC_EXIT_ENV: return "environment error";
	case BC_EXIT_INTERRUPTED: return "interrupted";
	default: return "failed";
	}
}

/* @path, or @path with -2, -3, ... before its .jsonl when an earlier
 * scenario of this run has it. */
static char *unique_path(char *path, GHashTable *used)
{
	for (unsigned n = 2; g_hash_table_contains(used, path); n++) {
		const char *ext = g_str_has_suffix(path, ".jsonl") ? ".jsonl" :
		                                                     "";
		char *base = g_strndup(path, strlen(path) - strlen(ext));
		char *p = g_strdup_printf("%s-%u%s", base, n, ext);

		g_free(base);
		if (!g_hash_table_contains(used, p)) {
			g_free(path);
			path = p;
			break;
		}
		g_free(p);
	}
	g_hash_table_add(used, g_strdup(path));
	return path;
}

/*
 * Scenario @file's log, from --log @given: a directory (one that exists,
 * or a path ending in /) holds STEM.jsonl for each scenario STEM.scn; with
 * several scenarios, --log FILE.jsonl gives FILE-STEM.jsonl each; with
 * one, FILE itself. NULL: the default path (made when the run starts).
 */
static char *item_log(const char *given, const char *file, bool several,
	GHashTable *used)
{
	char *stem, *dot, *path, *base;

	if (!given)
		return NULL;
	stem = g_path_get_basename(file);
	dot = strrchr(stem, '.');
	if (dot && dot != stem && !strcmp(dot, ".scn"))
		*dot = '\0';
	if (g_str_has_suffix(given, "/") ||
		g_file_test(given, G_FILE_TEST_IS_DIR)) {
		char *name = g_strconcat(stem, ".jsonl", NULL);

		g_mkdir_with_parents(given, 0755);
		path = g_build_filename(given, name, NULL);
		g_free(name);
	} else if (several) {
		base = g_str_has_suffix(given, ".jsonl") ?
		               g_strndup(given,
				       strlen(given) - strlen(".jsonl")) :
		               g_strdup(given);
		path = g_strdup_printf("%s-%s.jsonl", base, stem);
		g_free(base);
	} else {
		path = g_strdup(given);
	}
	g_free(stem);
	return unique_path(path, used);
}

/*
 * A scenario that was not run (an earlier one failed, without
 * --keep-going): its JUnit suite holds one skipped case that says why.
 */
static void junit_not_run(struct junit *j, const struct run_args *a,
	const struct run_item *it, const char *why)
{
	JsonObject *start = json_object_new(), *scn = json_object_new();
	JsonObject *dev = json_object_new();
	GDateTime *now = g_date_time_new_now_utc();
	char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
	char *suite, *cls = g_path_get_basename(it->file);
	char *dot = strrchr(cls, '.');
	struct junit_case c = { "run", NULL, 0, JUNIT_SKIPPED, why, NULL, NULL,
		0 };

	if (dot && dot != cls)
		*dot = '\0';
	g_strdelimit(cls, ".", '_');
	c.classname = cls;
	json_object_set_string_member(scn, LOG_KEY_NAME,
		it->scn ? it->scn->name : it->file);
	json_object_set_object_member(start, LOG_KEY_SCENARIO, scn);
	if (a->label)
		json_object_set_string_member(start, LOG_KEY_LABEL, a->label);
	json_object_set_string_member(dev, LOG_KEY_ADDRESS,
		a->device ? a->device : a->name);
	json_object_set_object_member(start, LOG_KEY_DEVICE, dev);
	suite = report_suite_name(start);
	junit_begin_suite(j, suite, stamp, g_get_host_name());
	junit_add_property(j, "scenario.file", it->file);
	junit_add_case(j, &c, NULL); /* an error shows in junit_finish */
	junit_end_suite(j, 0);
	json_object_unref(start);
	g_date_time_unref(now);
	g_free(stamp);
	g_free(suite);
	g_free(cls);
}

/* With several scenarios, the summary at the end: each one's, then all. */
static void print_suite_summary(const struct run_args *a, GPtrArray *items,
	int status)
{
	unsigned n[5] = { 0 }, not_run = 0;
	bool colour = cli_use_color(stdout);

	printf("\n%ssummary of %u scenarios%s\n", cli_c(stdout, "\033[1m"),
		items->len, cli_c(stdout, "\033[0m"));
	for (guint i = 0; i < items->len; i++) {
		struct run_item *it = g_ptr_array_index(items, i);

		if (!it->ran) {
			not_run++;
			printf("== %u/%u %s: not run\n", i + 1, items->len,
				it->file);
			continue;
		}
		n[exit_rank(it->status)]++;
		printf("== %u/%u %s: %s (exit %d)%s%s\n", i + 1, items->len,
			it->file, exit_text(it->status), it->status,
			it->log ? ", log " : "", it->log ? it->log : "");
		if (it->report)
			report_print(it->report, stdout, colour,
				REPORT_OUTCOME | REPORT_COUNTS |
					REPORT_LATENCY);
	}
	printf("scenarios: %u passed, %u failed", n[0], n[1]);
	if (n[2])
		printf(", %u bad input", n[2]);
	if (n[3])
		printf(", %u environment error%s", n[3], n[3] == 1 ? "" : "s");
	if (n[4])
		printf(", %u interrupted", n[4]);
	if (not_run)
		printf(", %u not run%s", not_run,
			a->keep_going ? "" :
					" (--keep-going runs every scenario)");
	printf("; exit %d\n", status);
	fflush(stdout);
}

/*
 * Run scenario @it in turn: its own simulator (a fresh DUT) with --sim,
 * its own log, its suite in the JUnit file.
 */
static int run_one(struct run_args *a, struct run_item *it,
	GPtrArray *base_simargs, bool several, GHashTable *used)
{
	struct run r = { 0 };
	GPtrArray *simargs = g_ptr_array_new_with_free_func(g_free);
	unsigned adapters = a->sim_cfg.adapters;
	int status;

	for (guint i = 0; i < base_simargs->len; i++)
		g_ptr_array_add(simargs, g_strdup(base_simargs->pdata[i]));
	if (!it->log && !a->daemon)
		/* bondcheckd's runs keep their logs; ours go here */
		it->log = unique_path(default_log_path(it->scn->name), used);
	a->file = it->file;
	a->names = it->names;
	a->run_log = it->log;
	r.later_summary = several;
	if (a->sim)
		sim_adapters(a, it->scn, simargs);
	status = a->daemon ? run_via_daemon(&r, a, it->scn) :
	                     run_in_process(&r, a, it->scn, simargs);
	it->ran = true;
	it->status = status;
	if (several) {
		it->report = r.report;
		r.report = NULL;
	}
	output_clear(&r);
	a->sim_cfg.adapters = adapters;
	a->names = NULL;
	g_ptr_array_free(simargs, TRUE);
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct scenario_options sopts = { NULL, false };
	GPtrArray *simargs = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *items = g_ptr_array_new_with_free_func(run_item_free);
	GPtrArray *scns = g_ptr_array_new();
	GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, NULL);
	struct run r = { 0 };
	GError *err = NULL;
	int status = BC_EXIT_USAGE;
	char *junit = junit_arg(argc, argv);
	bool several = false;
	const char *failed = NULL;

	sim_config_init(&a.sim_cfg);
	if (!run_args_parse(&a, &argc, &argv)) {
		if (!a.junit)
			a.junit = g_steal_pointer(&junit);
		goto fail;
	}
	several = a.files->len > 1;
	if (a.junit && !(a.junit_all = junit_new(a.junit, &err))) {
		status = cli_fail(err);
		g_clear_error(&err);
		goto fail;
	}
	if (a.sim &&
		(!cli_sim_args(a.faults, a.time_scale, a.seed, a.sim_verbose,
			 simargs, &a.seed_used) ||
			!cli_sim_settings(a.sim_opts, &a.sim_cfg, simargs)))
		goto fail;
	if (a.sim && !a.device && !a.name)
		/* the simulated DUT, wherever --sim-opt address= put it */
		a.device = g_strdup(a.sim_cfg.dut.address);
	sopts.vars = a.vars;
	sopts.have_reboot_cmd = a.reboot_cmd != NULL || a.reboot != NULL;
	/* every scenario first: bad input in any of them runs none */
	for (guint i = 0; i < a.files->len; i++) {
		struct run_item *it = g_new0(struct run_item, 1);
		GPtrArray *errors = NULL;

		it->file = g_strdup(a.files->pdata[i]);
		it->log = item_log(a.log, it->file, several, used);
		g_ptr_array_add(items, it);
		it->scn = scenario_load(it->file, &sopts, &errors);
		if (!it->scn) {
			cli_print_scn_errors(errors);
			if (!failed)
				remember_scn_errors(errors);
			it->status = BC_EXIT_USAGE;
			failed = failed ? failed : it->file;
		} else {
			g_ptr_array_add(scns, it->scn);
		}
		if (errors)
			g_ptr_array_free(errors, TRUE);
	}
	if (failed)
		goto fail;
	if (!cli_check_sets(a.sets, (struct scenario *const *)scns->pdata,
		    scns->len))
		goto fail;
	for (guint i = 0; i < items->len; i++) {
		struct run_item *it = g_ptr_array_index(items, i);

		it->names = scenario_adapter_names(it->scn,
			(const char *const *)a.adapters, &err);
		if (!it->names) {
			cli_err("%s: --adapter %s: %s", it->file, a.adapter,
				err->message);
			g_error_free(err);
			failed = it->file;
			goto fail;
		}
		if (a.sim && !sim_adapters_enough(&a, it->file, it->scn,
				     it->names)) {
			failed = it->file;
			goto fail;
		}
	}
	status = BC_EXIT_OK;
	failed = NULL;
	for (guint i = 0; i < items->len; i++) {
		struct run_item *it = g_ptr_array_index(items, i);
		int st;

		if (failed && !a.keep_going) {
			char *why = g_strdup_printf(
				"not run: %s before it "
				"did not pass (--keep-going runs every "
				"scenario)",
				failed);

			if (a.junit_all)
				junit_not_run(a.junit_all, &a, it, why);
			g_free(why);
			continue;
		}
		if (i && !a.json)
			printf("\n");
		a.nth = i + 1;
		st = run_one(&a, it, simargs, several, used);
		status = exit_worst(status, st);
		if (st != BC_EXIT_OK && !failed)
			failed = it->file;
		if (st == BC_EXIT_INTERRUPTED)
			break;
	}
	for (guint i = 0; i < items->len; i++) {
		struct run_item *it = g_ptr_array_index(items, i);

		/* after Ctrl-C: the rest were not run either */
		if (!it->ran && status == BC_EXIT_INTERRUPTED && a.junit_all)
			junit_not_run(a.junit_all, &a, it,
				"not run: "
				"interrupted");
	}
	if (several && !a.json)
		print_suite_summary(&a, items, status);
	goto out;
fail:
	/* nothing ran: the log (and JUnit suite) of the scenario at fault,
	 * or of the first */
	if (a.junit && !a.junit_all)
		a.junit_all = junit_new(a.junit, NULL);
	for (guint i = 0; i < items->len; i++) {
		struct run_item *it = g_ptr_array_index(items, i);

		if (it->file != failed && (failed || i))
			continue;
		a.file = it->file;
		a.run_log = it->log;
		not_started(&r, &a, it->scn, status);
		output_clear(&r);
		memset(&r, 0, sizeof(r));
	}
	if (!items->len) {
		a.run_log = a.log;
		not_started(&r, &a, NULL, status);
	}
out:
	if (a.junit_all) {
		if (!junit_finish(a.junit_all, &err)) {
			cli_err("%s", err->message);
			g_clear_error(&err);
			if (status == BC_EXIT_OK)
				status = BC_EXIT_ENV;
		} else if (!a.json && status != BC_EXIT_USAGE) {
			printf("JUnit: %s\n", a.junit);
		}
		junit_free(a.junit_all);
	}
	g_free(junit);
	output_clear(&r);
	g_ptr_array_free(scns, TRUE);
	g_ptr_array_free(items, TRUE);
	g_hash_table_destroy(used);
	g_ptr_array_free(simargs, TRUE);
	run_args_clear(&a);
	dbus_shutdown();
	return status;
}
