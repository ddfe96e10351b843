/* SPDX-License-Identifier: MIT */
/*
 * daemon.c — bondcheckd's runs and queues. Owns the Manager1 and Run1
 * objects, each run's bus connection, runner and log while it runs, and a
 * mirror of org.bluez used only to know whether bluetoothd is there and
 * which adapter is the default. Never decides a verdict: the engine does.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/daemon.h"
#include "bondcheck/evlog.h"
#include "bondcheck/mirror.h"
#include "bondcheck/model.h"
#include "bondcheck/names.h"
#include "bondcheck/runner.h"
#include "bondcheck/scenario.h"
#include "bondcheck/service.h"
#include "bondcheck/verdict.h"

struct drun {
	struct daemon *d;
	unsigned id;
	char *path;
	enum daemon_run_state state;
	char *name; /* as the caller named the scenario */
	struct scenario *scn;
	char *device; /* address, or NULL with device_name */
	char *device_name;
	char *adapter; /* "hciN" as asked, or as resolved: the
				   * first central's */
	bool adapter_given;
	char **adapters; /* every central's "hciN", as claimed when
				   * it started (NULL before) */
	char **given;    /* the "adapter"/"adapters" option */
	char *label;
	char *reboot;             /* method name */
	enum scn_privacy privacy; /* "privacy": overrides the scenario's */
	bool keep_going;          /* "keep_going": as bondcheck run's */
	bool disconnect_at_end;   /* "disconnect_at_end" */
	char *log_path;
	char *scn_path; /* the text as submitted, beside the log */
	char *verdict;
	char *message;
	int exit_status;
	gint64 submitted_us; /* wall clock */
	struct bus *bus;     /* while running */
	struct runner *runner;
	struct evlog *log;
	guint free_idle;
};

struct daemon {
	struct bus *bus;
	struct service *svc;
	struct daemon_options opt;
	char *state_dir;
	char *log_dir;
	char *bus_address;
	GPtrArray *runs; /* struct drun, by id */
	unsigned next_id;
	unsigned active; /* running */
	struct model *model;
	struct mirror *mirror;
	bool bluez_ok;
	guint dispatch_idle;
	bool shutting_down;
	void (*shutdown_done)(void *data);
	void *shutdown_data;
	guint shutdown_idle;
};

static void dispatch_soon(struct daemon *d);
static void maybe_shut(struct daemon *d);

const char *daemon_run_state_to_str(enum daemon_run_state s)
{
	switch (s) {
	case DAEMON_RUN_QUEUED: return "queued";
	case DAEMON_RUN_RUNNING: return "running";
	case DAEMON_RUN_PASSED: return "passed";
	case DAEMON_RUN_FAILED: return "failed";
	case DAEMON_RUN_ERROR: return "error";
	case DAEMON_RUN_CANCELLED: return "cancelled";
	}
	return "?";
}

static bool finished(const struct drun *r)
{
	return r->state != DAEMON_RUN_QUEUED && r->state != DAEMON_RUN_RUNNING;
}

/* The one place a run's state changes. */
static void run_enter_state(struct drun *r, enum daemon_run_state s)
{
	if (r->state == s)
		return;
	g_debug("run %u: %s -> %s", r->id, daemon_run_state_to_str(r->state),
		daemon_run_state_to_str(s));
	r->state = s;
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "State");
}

/* ---- Run1 --------------------------------------------------------------- */

static GVariant *run_get(void *data, const char *name)
{
	struct drun *r = data;

	if (!strcmp(name, "State"))
		return g_variant_new_string(daemon_run_state_to_str(r->state));
	if (!strcmp(name, "Verdict"))
		return g_variant_new_string(r->verdict ? r->verdict : "");
	if (!strcmp(name, "LogPath"))
		return g_variant_new_string(r->log_path ? r->log_path : "");
	if (!strcmp(name, "Adapter"))
		return g_variant_new_string(r->adapter ? r->adapter : "");
	if (!strcmp(name, "Adapters"))
		return g_variant_new_strv((const char *const *)r->adapters,
			r->adapters ? -1 : 0);
	if (!strcmp(name, "Device"))
		return g_variant_new_string(r->device      ? r->device :
					    r->device_name ? r->device_name :
							     "");
	if (!strcmp(name, "Name"))
		return g_variant_new_string(r->name);
	if (!strcmp(name, "Scenario"))
		return g_variant_new_string(r->scn ? r->scn->name : "");
	if (!strcmp(name, "Label"))
		return g_variant_new_string(r->label ? r->label : "");
	if (!strcmp(name, "Message"))
		return g_variant_new_string(r->message ? r->message : "");
	if (!strcmp(name, "ExitStatus"))
		return g_variant_new_int32(r->exit_status);
	if (!strcmp(name, "Submitted"))
		return g_variant_new_int64(r->submitted_us / G_USEC_PER_SEC);
	return NULL;
}

static void run_cancel(struct drun *r);

static void m_cancel(struct svc_call *call, GVariant *args, void *data)
{
	struct drun *r = data;

	(void)args;
	if (finished(r)) {
		svc_call_error(call, BC_ERR_NOT_RUNNING,
			"run %u already finished (%s)", r->id,
			daemon_run_state_to_str(r->state));
		return;
	}
	run_cancel(r);
	svc_call_return(call, NULL);
}

static const struct svc_method run_methods[] = {
	{ "Cancel", "", "", m_cancel },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property run_props[] = {
	{ "State", "s", run_get, NULL },
	{ "Verdict", "s", run_get, NULL },
	{ "LogPath", "s", run_get, NULL },
	{ "Adapter", "s", run_get, NULL },
	{ "Adapters", "as", run_get, NULL },
	{ "Device", "s", run_get, NULL },
	{ "Name", "s", run_get, NULL },
	{ "Scenario", "s", run_get, NULL },
	{ "Label", "s", run_get, NULL },
	{ "Message", "s", run_get, NULL },
	{ "ExitStatus", "i", run_get, NULL },
	{ "Submitted", "x", run_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_signal run_signals[] = {
	{ "Event", "s" },
	{ NULL, NULL },
};

static const struct svc_interface run_iface = {
	BC_RUN_IFACE,
	run_methods,
	run_props,
	run_signals,
};

/* ---- runs --------------------------------------------------------------- */

static void drun_free(struct drun *r)
{
	if (!r)
		return;
	if (r->free_idle)
		g_source_remove(r->free_idle);
	runner_free(r->runner);
	if (r->bus)
		bus_unref(r->bus);
	evlog_free(r->log);
	scenario_free(r->scn);
	g_free(r->path);
	g_free(r->name);
	g_free(r->device);
	g_free(r->device_name);
	g_free(r->adapter);
	g_strfreev(r->adapters);
	g_strfreev(r->given);
	g_free(r->label);
	g_free(r->reboot);
	g_free(r->log_path);
	g_free(r->scn_path);
	g_free(r->verdict);
	g_free(r->message);
	g_free(r);
}

/* The scenario text is kept for the run's sake only: when the run is
 * forgotten, or cancelled before it started, it goes. */
static void drop_scenario_text(struct drun *r)
{
	if (r->scn_path && unlink(r->scn_path) < 0 && errno != ENOENT)
		g_warning("cannot remove %s: %s", r->scn_path,
			g_strerror(errno));
	g_clear_pointer(&r->scn_path, g_free);
}

static void forget(struct daemon *d, guint i)
{
	struct drun *r = g_ptr_array_index(d->runs, i);

	drop_scenario_text(r);
	service_remove_object(d->svc, r->path);
	g_ptr_array_remove_index(d->runs, i);
	drun_free(r);
}

/*
 * Forget the oldest finished runs beyond the retention limit. @ending, the
 * run that is finishing now, counts as finished and is never forgotten
 * here (it is still on the stack).
 */
static void retain(struct daemon *d, struct drun *ending)
{
	unsigned done = 0;

	for (guint i = 0; i < d->runs->len; i++) {
		struct drun *r = g_ptr_array_index(d->runs, i);

		done += finished(r) || r == ending;
	}
	for (guint i = 0;
		i < d->runs->len && done > d->opt.config->retention;) {
		struct drun *r = g_ptr_array_index(d->runs, i);

		if (!finished(r) || r->runner || r == ending) {
			i++;
			continue;
		}
		forget(d, i);
		done--;
	}
}

struct state_file {
	char *path;
	gint64 mtime;
	guint64 size;
};

static void state_file_free(gpointer p)
{
	struct state_file *f = p;

	g_free(f->path);
	g_free(f);
}

static gint oldest_first(gconstpointer a, gconstpointer b)
{
	const struct state_file *x = *(struct state_file *const *)a;
	const struct state_file *y = *(struct state_file *const *)b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* A file a queued or running run (or @ending) still needs. */
static bool in_use(struct daemon *d, const char *path, struct drun *ending)
{
	for (guint i = 0; i < d->runs->len; i++) {
		struct drun *r = g_ptr_array_index(d->runs, i);

		if ((finished(r) && r != ending && !r->runner) ||
			!(!g_strcmp0(r->log_path, path) ||
				!g_strcmp0(r->scn_path, path)))
			continue;
		return true;
	}
	return false;
}

/*
 * Keep STATE_DIR/logs at most max-state-size: delete the oldest logs and
 * scenario texts (ours only: run-*.jsonl, run-*.scn, also those of earlier
 * lifetimes of the daemon) until it fits, never those of a run that is
 * queued, running or @ending. A listed run whose log went is forgotten.
 */
static void bound_state(struct daemon *d, struct drun *ending)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(state_file_free);
	GDir *dir = g_dir_open(d->log_dir, 0, NULL);
	guint64 total = 0, max = d->opt.config->max_state_size;
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		struct state_file *f;
		struct stat st;
		char *path;

		if (!g_str_has_prefix(name, "run-") ||
			!(g_str_has_suffix(name, ".jsonl") ||
				g_str_has_suffix(name, ".scn")))
			continue;
		path = g_build_filename(d->log_dir, name, NULL);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			g_free(path);
			continue;
		}
		f = g_new0(struct state_file, 1);
		f->path = path;
		f->mtime = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC +
		           st.st_mtim.tv_nsec / 1000;
		f->size = (guint64)st.st_size;
		total += f->size;
		g_ptr_array_add(files, f);
	}
	if (dir)
		g_dir_close(dir);
	g_ptr_array_sort(files, oldest_first);
	for (guint i = 0; i < files->len && total > max; i++) {
		struct state_file *f = g_ptr_array_index(files, i);

		if (in_use(d, f->path, ending))
			continue;
		/* (a forgotten run's text may be gone already) */
		if (unlink(f->path) < 0 && errno != ENOENT) {
			g_warning("cannot remove %s: %s", f->path,
				g_strerror(errno));
			continue;
		}
		g_debug("state over %" G_GUINT64_FORMAT " bytes: removed %s",
			max, f->path);
		total -= f->size;
		for (guint k = 0; k < d->runs->len; k++) {
			struct drun *r = g_ptr_array_index(d->runs, k);

			if (!g_strcmp0(r->scn_path, f->path))
				g_clear_pointer(&r->scn_path, g_free);
			if (!g_strcmp0(r->log_path, f->path)) {
				forget(d, k);
				break;
			}
		}
	}
	g_ptr_array_free(files, TRUE);
}

static gboolean release_run(gpointer data)
{
	struct drun *r = data;
	struct daemon *d = r->d;

	r->free_idle = 0;
	runner_free(r->runner);
	r->runner = NULL;
	bus_unref(r->bus);
	r->bus = NULL;
	evlog_free(r->log);
	r->log = NULL;
	d->active--;
	dispatch_soon(d);
	maybe_shut(d);
	return G_SOURCE_REMOVE;
}

static void on_run_done(struct runner *rn, const struct engine_result *res,
	void *data)
{
	struct drun *r = data;

	(void)rn;
	/* what the run leaves behind is bounded before anyone hears it
	 * ended: whoever sees the new state sees the state directory */
	retain(r->d, r);
	bound_state(r->d, r);
	g_free(r->verdict);
	g_free(r->message);
	r->verdict = g_strdup(res->outcome == ENGINE_OUTCOME_INTERRUPTED ?
				      "" :
				      verdict_to_str(res->verdict));
	r->message = g_strdup(res->message ? res->message : "");
	r->exit_status = res->exit_status;
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "Verdict");
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "Message");
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "ExitStatus");
	switch (res->outcome) {
	case ENGINE_OUTCOME_PASSED:
		run_enter_state(r, DAEMON_RUN_PASSED);
		break;
	case ENGINE_OUTCOME_FAILED:
		run_enter_state(r, DAEMON_RUN_FAILED);
		break;
	case ENGINE_OUTCOME_ERROR: run_enter_state(r, DAEMON_RUN_ERROR); break;
	case ENGINE_OUTCOME_INTERRUPTED:
		run_enter_state(r, DAEMON_RUN_CANCELLED);
		break;
	}
	/* the runner is still on the stack: let go of it from the loop */
	r->free_idle = g_idle_add(release_run, r);
}

static void on_line(const char *line, JsonNode *event, void *data)
{
	struct drun *r = data;

	(void)event;
	service_emit(r->d->svc, r->path, BC_RUN_IFACE, "Event",
		g_variant_new("(s)", line));
}

static char *log_path_for(struct daemon *d, struct drun *r, const char *ext)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
	char *safe = g_path_get_basename(r->name);
	char *file, *path;

	if (g_str_has_suffix(safe, ".scn"))
		safe[strlen(safe) - 4] = '\0';
	g_strcanon(safe,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789-_.",
		'-');
	if (strlen(safe) > 64)
		safe[64] = '\0';
	file = g_strdup_printf("run-%u-%s-%s%s", r->id, stamp, safe, ext);
	path = g_build_filename(d->log_dir, file, NULL);
	g_free(file);
	g_free(safe);
	g_free(stamp);
	g_date_time_unref(now);
	return path;
}

static void run_fail_to_start(struct drun *r, const char *why)
{
	g_free(r->verdict);
	g_free(r->message);
	r->verdict = g_strdup(verdict_to_str(VERDICT_ENVIRONMENT_ERROR));
	r->message = g_strdup(why);
	r->exit_status = BC_EXIT_ENV;
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "Verdict");
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "Message");
	service_changed(r->d->svc, r->path, BC_RUN_IFACE, "ExitStatus");
	run_enter_state(r, DAEMON_RUN_ERROR);
}

static void run_start(struct daemon *d, struct drun *r)
{
	struct runner_options ro;
	GError *err = NULL;

	r->log_path = log_path_for(d, r, ".jsonl");
	service_changed(d->svc, r->path, BC_RUN_IFACE, "LogPath");
	service_changed(d->svc, r->path, BC_RUN_IFACE, "Adapter");
	service_changed(d->svc, r->path, BC_RUN_IFACE, "Adapters");
	r->log = evlog_new(r->log_path, &err);
	if (!r->log) {
		run_fail_to_start(r, err->message);
		g_error_free(err);
		return;
	}
	evlog_add_sink(r->log, on_line, r);
	/* a connection of its own: its own unique name, its own agent */
	r->bus = bus_connect(d->opt.bus_kind, d->bus_address, &err);
	if (!r->bus) {
		run_fail_to_start(r, err->message);
		g_error_free(err);
		return;
	}
	/* the engine keeps these pointers: they live as long as the run */
	memset(&ro, 0, sizeof(ro));
	ro.engine.device = r->device;
	ro.engine.device_name = r->device_name;
	ro.engine.adapter = r->adapter && *r->adapter ? r->adapter : NULL;
	/* the adapters the queue gave it, one per central */
	ro.engine.adapters = (const char *const *)r->adapters;
	ro.engine.label = r->label;
	ro.engine.reboot_cmd = dconfig_reboot(d->opt.config, r->reboot);
	ro.engine.sim = false;
	ro.engine.time_scale = 1.0;
	ro.engine.bluez_version = d->opt.bluez_version;
	ro.engine.kernel = d->opt.kernel;
	ro.engine.tool_version = BONDCHECK_VERSION;
	ro.engine.ready_timeout_ms = d->opt.ready_timeout_ms;
	ro.engine.privacy = r->privacy;
	ro.engine.keep_going = r->keep_going;
	ro.engine.disconnect_at_end = r->disconnect_at_end;
	/* a simulator's own account, when bluetoothd is bondcheck-sim */
	ro.sim_trace = true;
	/* the first-advertisement reconnect, as bondcheck run takes it */
	ro.engine.early_connect = engine_early_connect_wanted();
	ro.prompt_to = NULL;
	r->runner = runner_new(r->bus, r->scn, r->log, &ro);
	d->active++;
	run_enter_state(r, DAEMON_RUN_RUNNING);
	runner_start(r->runner, on_run_done, r);
}

static void run_cancel(struct drun *r)
{
	switch (r->state) {
	case DAEMON_RUN_QUEUED:
		g_free(r->message);
		r->message = g_strdup("cancelled before it started");
		r->exit_status = BC_EXIT_INTERRUPTED;
		service_changed(r->d->svc, r->path, BC_RUN_IFACE, "Message");
		service_changed(r->d->svc, r->path, BC_RUN_IFACE, "ExitStatus");
		drop_scenario_text(r);
		run_enter_state(r, DAEMON_RUN_CANCELLED);
		dispatch_soon(r->d);
		break;
	case DAEMON_RUN_RUNNING:
		/* the engine cleans up, logs run-end, then on_run_done */
		if (r->runner)
			runner_interrupt(r->runner);
		break;
	case DAEMON_RUN_PASSED:
	case DAEMON_RUN_FAILED:
	case DAEMON_RUN_ERROR:
	case DAEMON_RUN_CANCELLED: break;
	}
}

/* ---- the queue ---------------------------------------------------------- */

/*
 * The adapters a queued run will use, one per central ("hciN"), as the
 * engine will take them (bluez_pick_adapters): the run's "adapter" option
 * or the scenario's adapter= where given, else the first powered adapters
 * no other central of the run has. NULL when they cannot be known yet (no
 * adapter, too few): the run then starts and says why.
 */
static char **run_adapters(struct daemon *d, struct drun *r)
{
	unsigned n = r->scn->centrals->len;
	/* checked at StartRun: no two centrals share a named adapter */
	const char **names = scenario_adapter_names(r->scn,
		(const char *const *)r->given, NULL);
	const char **labels = g_new0(const char *, n);
	const char **paths = g_new0(const char *, n);
	char **out = NULL;

	for (unsigned i = 0; i < n; i++)
		labels[i] = scn_central_label(g_ptr_array_index(r->scn->centrals,
			i));
	if (names &&
		bluez_pick_adapters(d->model, n, names, labels, paths, NULL)) {
		out = g_new0(char *, n + 1);
		for (unsigned i = 0; i < n; i++) {
			const char *slash = strrchr(paths[i], '/');

			out[i] = g_strdup(slash ? slash + 1 : paths[i]);
		}
	}
	g_free(names);
	g_free(labels);
	g_free(paths);
	return out;
}

static bool adapter_busy(struct daemon *d, const char *adapter)
{
	for (guint i = 0; i < d->runs->len; i++) {
		struct drun *r = g_ptr_array_index(d->runs, i);

		if ((r->state == DAEMON_RUN_RUNNING || r->runner) &&
			r->adapters &&
			g_strv_contains((const char *const *)r->adapters,
				adapter))
			return true;
	}
	return false;
}

static gboolean dispatch(gpointer data)
{
	struct daemon *d = data;
	GHashTable *claimed = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, NULL);

	d->dispatch_idle = 0;
	retain(d, NULL);
	if (!d->bluez_ok || d->shutting_down)
		goto out;
	for (guint i = 0; i < d->runs->len; i++) {
		struct drun *r = g_ptr_array_index(d->runs, i);
		char **adapters;
		bool wait = false;

		if (r->state != DAEMON_RUN_QUEUED)
			continue;
		adapters = run_adapters(d, r);
		/*
		 * First come, first served on each adapter: a run waits until
		 * every adapter it needs is free, and an earlier run that
		 * waits keeps its adapters from later ones (or a run of
		 * several adapters might never start)
		 */
		for (char **a = adapters; a && *a; a++)
			wait = wait || g_hash_table_contains(claimed, *a) ||
			       adapter_busy(d, *a);
		if (wait) {
			for (char **a = adapters; a && *a; a++)
				g_hash_table_add(claimed, g_strdup(*a));
			g_strfreev(adapters);
			continue;
		}
		g_strfreev(r->adapters);
		r->adapters = adapters;
		if (adapters || !r->adapter_given) {
			g_free(r->adapter);
			r->adapter = g_strdup(adapters ? adapters[0] : "");
		}
		run_start(d, r);
	}
out:
	g_hash_table_destroy(claimed);
	return G_SOURCE_REMOVE;
}

static void dispatch_soon(struct daemon *d)
{
	if (!d->dispatch_idle)
		d->dispatch_idle = g_idle_add(dispatch, d);
}

/* ---- Manager1 ----------------------------------------------------------- */

static bool adapter_name_ok(const char *s)
{
	if (!g_str_has_prefix(s, "hci") || !s[3] || strlen(s) > 8)
		return false;
	for (s += 3; *s; s++)
		if (!g_ascii_isdigit(*s))
			return false;
	return true;
}

static bool var_name_ok(const char *s)
{
	return strlen(s) <= 64 && scenario_var_name_ok(s);
}

/* Reboot steps that would run a command or open a port a caller chose. */
static bool scan_forbidden(GPtrArray *steps, const char *file, GString *out)
{
	bool bad = false;

	for (guint i = 0; steps && i < steps->len; i++) {
		struct scn_step *s = g_ptr_array_index(steps, i);

		if (s->type == SCN_STEP_REPEAT) {
			bad |= scan_forbidden(s->children, file, out);
			continue;
		}
		if (s->type != SCN_STEP_REBOOT)
			continue;
		if ((s->via_given && (s->via == SCN_VIA_COMMAND ||
					     s->via == SCN_VIA_SERIAL)) ||
			s->cmd || s->port) {
			g_string_append_printf(out,
				"%s%s:%d:%d: bondcheckd runs "
				"no command and opens no port a scenario names; "
				"give the run a reboot method from its "
				"configuration (option \"reboot\")",
				out->len ? "\n" : "", file, s->line, s->col);
			bad = true;
		}
	}
	return bad;
}

struct start_args {
	const char *device;
	const char *device_name;
	const char *adapter;
	const char **adapters; /* "adapters": one per central, in order */
	const char *label;
	const char *reboot;
	const char *privacy;
	bool keep_going;
	bool disconnect_at_end;
	GHashTable *vars;
	GPtrArray *checked; /* names given by "set": the scenario must
				  * use each ("set_new" defines it anyway) */
};

static bool read_options(struct daemon *d, GVariant *opts, struct start_args *a,
	struct svc_call *call)
{
	GVariantIter it;
	const char *key;
	GVariant *v;

	g_variant_iter_init(&it, opts);
	while (g_variant_iter_next(&it, "{&sv}", &key, &v)) {
		bool vars = !strcmp(key, "set") || !strcmp(key, "set_new");
		const char *want =
			vars                     ? "a{ss}" :
			!strcmp(key, "adapters") ? "as" :
			!strcmp(key, "keep_going") ||
					!strcmp(key, "disconnect_at_end") ?
						   "b" :
						   "s";
		bool known = !strcmp(key, "device") ||
		             !strcmp(key, "device_name") ||
		             !strcmp(key, "adapter") ||
		             !strcmp(key, "adapters") ||
		             !strcmp(key, "label") || !strcmp(key, "reboot") ||
		             vars || !strcmp(key, "privacy") ||
		             !strcmp(key, "keep_going") ||
		             !strcmp(key, "disconnect_at_end");

		if (!known) {
			svc_call_error(call, BC_ERR_INVALID_ARGS,
				"unknown option '%s' (device, device_name, "
				"adapter, adapters, label, reboot, privacy, "
				"keep_going, disconnect_at_end, set, set_new)",
				key);
			g_variant_unref(v);
			return false;
		}
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE(want))) {
			svc_call_error(call, BC_ERR_INVALID_ARGS,
				"option '%s' must be of type %s, not %s", key,
				want, g_variant_get_type_string(v));
			g_variant_unref(v);
			return false;
		}
		if (!strcmp(key, "keep_going")) {
			a->keep_going = g_variant_get_boolean(v);
		} else if (!strcmp(key, "disconnect_at_end")) {
			a->disconnect_at_end = g_variant_get_boolean(v);
		} else if (!strcmp(key, "adapters")) {
			/* the strings live as long as @opts */
			g_free(a->adapters);
			a->adapters = g_variant_get_strv(v, NULL);
		} else if (vars) {
			GVariantIter si;
			const char *n, *val;

			g_variant_iter_init(&si, v);
			while (g_variant_iter_next(&si, "{&s&s}", &n, &val)) {
				if (!var_name_ok(n) || strlen(val) > 4096) {
					svc_call_error(call,
						BC_ERR_INVALID_ARGS,
						"set: '%s' is not a variable "
						"name (letters, digits, _)",
						n);
					g_variant_unref(v);
					return false;
				}
				/* "set" wins, as --set over --set-new */
				if (key[3] == '_' &&
					g_hash_table_contains(a->vars, n))
					continue;
				g_hash_table_replace(a->vars, g_strdup(n),
					g_strdup(val));
				if (key[3] != '_')
					g_ptr_array_add(a->checked,
						g_strdup(n));
			}
		} else {
			/* the strings live as long as @opts */
			const char *s = g_variant_get_string(v, NULL);

			if (!strcmp(key, "device"))
				a->device = s;
			else if (!strcmp(key, "device_name"))
				a->device_name = s;
			else if (!strcmp(key, "adapter"))
				a->adapter = s;
			else if (!strcmp(key, "label"))
				a->label = s;
			else if (!strcmp(key, "privacy"))
				a->privacy = s;
			else
				a->reboot = s;
		}
		g_variant_unref(v);
	}
	if (!a->device == !a->device_name) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"give the device: option \"device\" (an address) or "
			"\"device_name\", one of them");
		return false;
	}
	if (a->device && !bluez_address_valid(a->device)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"device: not an address like AA:BB:CC:DD:EE:FF: '%s'",
			a->device);
		return false;
	}
	if (a->device_name &&
		(!*a->device_name || strlen(a->device_name) > 248)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"device_name: 1 to 248 bytes");
		return false;
	}
	if (a->adapter && !adapter_name_ok(a->adapter)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"adapter: a name like hci0, not '%s'", a->adapter);
		return false;
	}
	if (a->adapter && a->adapters) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"give \"adapter\" or \"adapters\", not both");
		return false;
	}
	for (const char **p = a->adapters; p && *p; p++) {
		if (!adapter_name_ok(*p)) {
			svc_call_error(call, BC_ERR_INVALID_ARGS,
				"adapters: names like hci0, not '%s'", *p);
			return false;
		}
	}
	if (a->adapters &&
		(!a->adapters[0] || g_strv_length((char **)a->adapters) > 16)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"adapters: 1 to 16 names, one per central");
		return false;
	}
	if (a->label && strlen(a->label) > 256) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"label: at most 256 bytes");
		return false;
	}
	if (a->privacy && strcmp(a->privacy, "on") &&
		strcmp(a->privacy, "off")) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"privacy: on or off, not '%s'", a->privacy);
		return false;
	}
	if (a->reboot && !dconfig_reboot(d->opt.config, a->reboot)) {
		svc_call_error(call, BC_ERR_UNKNOWN_REBOOT,
			"no reboot method '%s' in the daemon's configuration",
			a->reboot);
		return false;
	}
	return true;
}

static unsigned queued(struct daemon *d)
{
	unsigned n = 0;

	for (guint i = 0; i < d->runs->len; i++)
		n += ((struct drun *)g_ptr_array_index(d->runs, i))->state ==
		     DAEMON_RUN_QUEUED;
	return n;
}

static void m_start_run(struct svc_call *call, GVariant *args, void *data)
{
	struct daemon *d = data;
	struct start_args a = { 0 };
	struct scenario_options so;
	const char *name, *text;
	GPtrArray *errors = NULL;
	struct scenario *scn;
	GVariant *opts;
	struct drun *r;
	GString *bad;
	gsize len;

	g_variant_get(args, "(&s&s@a{sv})", &name, &text, &opts);
	len = strlen(text);
	a.vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	a.checked = g_ptr_array_new_with_free_func(g_free);
	if (d->shutting_down) {
		svc_call_error(call, BC_ERR_SHUTTING_DOWN,
			"bondcheckd is shutting down");
		goto out;
	}
	if (!*name || strlen(name) > 255) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"name: 1 to 255 bytes (the scenario's file name)");
		goto out;
	}
	if (len > (size_t)DAEMON_MAX_SCENARIO) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"scenario text over %u bytes", DAEMON_MAX_SCENARIO);
		goto out;
	}
	if (!read_options(d, opts, &a, call))
		goto out;
	if (queued(d) >= d->opt.config->max_queued) {
		svc_call_error(call, BC_ERR_QUEUE_FULL,
			"%u runs are already waiting (max-queued)",
			d->opt.config->max_queued);
		goto out;
	}
	so.vars = a.vars;
	so.have_reboot_cmd = a.reboot != NULL;
	scn = scenario_parse(text, len, name, &so, &errors);
	if (!scn) {
		GString *msg = g_string_new("");

		for (guint i = 0; errors && i < errors->len; i++) {
			char *m = scn_error_format(g_ptr_array_index(errors,
				i));

			g_string_append_printf(msg, "%s%s", i ? "\n" : "", m);
			g_free(m);
		}
		svc_call_error(call, BC_ERR_BAD_SCENARIO, "%s", msg->str);
		g_string_free(msg, TRUE);
		goto out;
	}
	for (guint i = 0; i < a.checked->len; i++) {
		char *why = scenario_unused_var(&scn, 1,
			g_ptr_array_index(a.checked, i));

		if (why) {
			svc_call_error(call, BC_ERR_BAD_SCENARIO,
				"set %s: %s "
				"(set_new defines a variable on purpose)",
				(const char *)g_ptr_array_index(a.checked, i),
				why);
			g_free(why);
			scenario_free(scn);
			goto out;
		}
	}
	bad = g_string_new("");
	if (scan_forbidden(scn->steps, name, bad)) {
		svc_call_error(call, BC_ERR_BAD_SCENARIO, "%s", bad->str);
		g_string_free(bad, TRUE);
		scenario_free(scn);
		goto out;
	}
	g_string_free(bad, TRUE);
	{
		const char *one[2] = { a.adapter, NULL };
		GError *err = NULL;
		const char **names = scenario_adapter_names(scn,
			a.adapters ? a.adapters :
			a.adapter  ? one :
				     NULL,
			&err);

		if (!names) {
			svc_call_error(call, BC_ERR_INVALID_ARGS, "%s%s",
				a.adapters ? "adapters: " : "adapter: ",
				err->message);
			g_error_free(err);
			scenario_free(scn);
			goto out;
		}
		g_free(names);
	}

	r = g_new0(struct drun, 1);
	r->d = d;
	r->id = ++d->next_id;
	r->path = g_strdup_printf("%s%u", BC_RUN_PATH_PREFIX, r->id);
	r->state = DAEMON_RUN_QUEUED;
	r->name = g_strdup(name);
	r->scn = scn;
	r->device = a.device ? g_ascii_strup(a.device, -1) : NULL;
	r->device_name = g_strdup(a.device_name);
	r->adapter = g_strdup(a.adapters ? a.adapters[0] : a.adapter);
	r->adapter_given = r->adapter != NULL;
	if (a.adapters)
		r->given = g_strdupv((char **)a.adapters);
	else if (a.adapter)
		r->given = g_strsplit(a.adapter, ",", 1);
	r->label = g_strdup(a.label);
	r->reboot = g_strdup(a.reboot);
	r->privacy = !a.privacy               ? SCN_PRIVACY_DEFAULT :
	             !strcmp(a.privacy, "on") ? SCN_PRIVACY_ON :
	                                        SCN_PRIVACY_OFF;
	r->keep_going = a.keep_going;
	r->disconnect_at_end = a.disconnect_at_end;
	r->exit_status = -1;
	r->submitted_us = g_get_real_time();
	g_ptr_array_add(d->runs, r);
	service_add_interface(d->svc, r->path, &run_iface, r);
	/* keep the scenario as submitted beside its log */
	r->scn_path = log_path_for(d, r, ".scn");
	if (!g_file_set_contents(r->scn_path, text, (gssize)len, NULL)) {
		g_warning("cannot keep %s", r->scn_path);
		g_clear_pointer(&r->scn_path, g_free);
	}
	svc_call_return(call, g_variant_new("(o)", r->path));
	/* the reply leaves before the run's first Event */
	dispatch_soon(d);
out:
	if (errors)
		g_ptr_array_free(errors, TRUE);
	g_hash_table_destroy(a.vars);
	g_free(a.adapters);
	g_ptr_array_free(a.checked, TRUE);
	g_variant_unref(opts);
}

static void m_list_runs(struct svc_call *call, GVariant *args, void *data)
{
	struct daemon *d = data;
	GVariantBuilder b;

	(void)args;
	g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
	for (guint i = 0; i < d->runs->len; i++)
		g_variant_builder_add(&b, "o",
			((struct drun *)g_ptr_array_index(d->runs, i))->path);
	svc_call_return(call, g_variant_new("(ao)", &b));
}

static GVariant *manager_get(void *data, const char *name)
{
	struct daemon *d = data;

	if (!strcmp(name, "Version"))
		return g_variant_new_string(BONDCHECK_VERSION);
	if (!strcmp(name, "StateDirectory"))
		return g_variant_new_string(d->state_dir);
	if (!strcmp(name, "RebootMethods")) {
		GVariantBuilder b;
		GList *keys =
			g_list_sort(g_hash_table_get_keys(d->opt.config->reboot),
				(GCompareFunc)strcmp);

		g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
		for (GList *k = keys; k; k = k->next)
			g_variant_builder_add(&b, "s", (char *)k->data);
		g_list_free(keys);
		return g_variant_builder_end(&b);
	}
	return NULL;
}

static const struct svc_method manager_methods[] = {
	{ "StartRun", "ssa{sv}", "o", m_start_run },
	{ "ListRuns", "", "ao", m_list_runs },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property manager_props[] = {
	{ "Version", "s", manager_get, NULL },
	{ "StateDirectory", "s", manager_get, NULL },
	{ "RebootMethods", "as", manager_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface manager_iface = {
	BC_MANAGER_IFACE,
	manager_methods,
	manager_props,
	NULL,
};

/* ---- bluetoothd --------------------------------------------------------- */

static void on_mirror(struct mirror *mi, enum mirror_state st,
	const GError *error, void *data)
{
	struct daemon *d = data;

	(void)mi;
	switch (st) {
	case MIRROR_STATE_SYNCED:
		d->bluez_ok = true;
		/* for the journal (and make bench, which waits for it) */
		g_message("bluetoothd is on the bus");
		dispatch_soon(d);
		break;
	case MIRROR_STATE_NO_SERVICE:
	case MIRROR_STATE_ERROR:
		/* running runs learn it through their own mirrors */
		if (d->bluez_ok)
			g_message("bluetoothd is gone%s%s", error ? ": " : "",
				error ? error->message : "");
		d->bluez_ok = false;
		break;
	case MIRROR_STATE_IDLE:
	case MIRROR_STATE_WAITING:
	case MIRROR_STATE_SYNCING: break;
	}
}

static void on_model(const struct model_event *ev, void *data)
{
	(void)ev;
	/* an adapter appeared or was powered: a queued run may start */
	dispatch_soon(data);
}

/* ---- life cycle --------------------------------------------------------- */

struct daemon *daemon_new(struct bus *bus, const struct daemon_options *o,
	GError **error)
{
	struct daemon *d;
	char *log_dir = g_build_filename(o->state_dir, "logs", NULL);

	if (g_mkdir_with_parents(log_dir, 0750) != 0) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot create %s: %s", log_dir, g_strerror(errno));
		g_free(log_dir);
		return NULL;
	}
	d = g_new0(struct daemon, 1);
	d->bus = bus_ref(bus);
	d->opt = *o;
	d->state_dir = g_strdup(o->state_dir);
	d->log_dir = log_dir;
	d->bus_address = g_strdup(o->bus_address);
	d->opt.bus_address = d->bus_address;
	d->opt.state_dir = d->state_dir;
	d->runs = g_ptr_array_new();
	d->svc = service_new(bus);
	service_add_object_manager(d->svc, BC_MANAGER_PATH);
	service_add_interface(d->svc, BC_MANAGER_PATH, &manager_iface, d);
	d->model = model_new();
	model_watch(d->model, on_model, d, NULL);
	d->mirror = mirror_new(bus, d->model, BLUEZ_SERVICE);
	mirror_set_state_cb(d->mirror, on_mirror, d);
	mirror_start(d->mirror);
	/* what earlier lifetimes left, down to the bound */
	bound_state(d, NULL);
	return d;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	if (d->dispatch_idle)
		g_source_remove(d->dispatch_idle);
	if (d->shutdown_idle)
		g_source_remove(d->shutdown_idle);
	mirror_free(d->mirror);
	model_free(d->model);
	for (guint i = 0; i < d->runs->len; i++)
		drun_free(g_ptr_array_index(d->runs, i));
	g_ptr_array_free(d->runs, TRUE);
	service_free(d->svc);
	bus_unref(d->bus);
	g_free(d->state_dir);
	g_free(d->log_dir);
	g_free(d->bus_address);
	g_free(d);
}

unsigned daemon_runs_active(struct daemon *d)
{
	return d->active;
}

static gboolean shut_done(gpointer data)
{
	struct daemon *d = data;

	d->shutdown_idle = 0;
	d->shutdown_done(d->shutdown_data);
	return G_SOURCE_REMOVE;
}

/* Shutting down and the last run has let go: tell the caller. */
static void maybe_shut(struct daemon *d)
{
	if (d->shutting_down && !d->active && !d->shutdown_idle)
		d->shutdown_idle = g_idle_add(shut_done, d);
}

void daemon_shutdown(struct daemon *d, void (*done)(void *data), void *data)
{
	if (d->shutting_down)
		return;
	d->shutting_down = true;
	d->shutdown_done = done;
	d->shutdown_data = data;
	for (guint i = 0; i < d->runs->len; i++)
		run_cancel(g_ptr_array_index(d->runs, i));
	maybe_shut(d);
}
