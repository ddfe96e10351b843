/* SPDX-License-Identifier: MIT */
/*
 * runner.c — the wiring of one run. Owns the model, mirror, back end, agent
 * and trigger of the run, and translates their callbacks into engine
 * events. Never decides anything about the scenario: that is the engine's.
 */
#include <string.h>
#include <sys/utsname.h>

#include "bondcheck/agent.h"
#include "bondcheck/bluez.h"
#include "bondcheck/bluez_dbus.h"
#include "bondcheck/claim.h"
#include "bondcheck/hcimon.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/logschema.h"
#include "bondcheck/mgmt.h"
#include "bondcheck/mirror.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/runner.h"
#include "bondcheck/service.h"
#include "bondcheck/trigger_os.h"

struct runner {
	struct bus *bus;
	struct model *model;
	struct mirror *mirror;
	struct bluez_dbus *backend;
	struct service *svc;
	struct agent *agent;
	struct trigger_os *trigger;
	struct hcimon *hcimon[AGENT_MAX_SLOTS]; /* one per central's adapter */
	bool hci_denied;
	struct mgmt *mgmt;
	char *mgmt_error;
	struct engine *engine;
	struct runner_options opts;
	/* what each central's slot of the agent answers */
	char *target[AGENT_MAX_SLOTS];
	bool accept[AGENT_MAX_SLOTS];
	long passkey[AGENT_MAX_SLOTS];
	guint trace_watch;
	struct claim *claims[AGENT_MAX_SLOTS]; /* each central's, on the DUT */
	runner_done_fn done;
	void *done_data;
	/* agent (re)registration in flight */
	char *want_cap;
	engine_done_fn reg_done;
	void *reg_data;
};

/* ---- agent_ops ---------------------------------------------------------- */

static void on_agent_request(struct agent *a, const struct agent_request *req,
	void *data)
{
	struct runner *r = data;
	struct engine_agent_event ev = {
		.method = req->method,
		.device = req->device,
		.passkey = req->passkey,
		.foreign = req->foreign,
		.accepted = req->accepted,
		.answer = req->answer,
	};

	(void)a;
	engine_agent_event(r->engine, &ev);
}

static void apply(struct runner *r)
{
	for (unsigned i = 0; i < AGENT_MAX_SLOTS; i++) {
		struct agent_policy p = { r->accept[i], r->passkey[i], NULL };

		agent_set_slot_target(r->agent, i, r->target[i]);
		agent_set_slot_policy(r->agent, i, &p);
	}
}

static void a_set_target(void *data, unsigned central, const char *path)
{
	struct runner *r = data;

	if (central >= AGENT_MAX_SLOTS)
		return;
	g_free(r->target[central]);
	r->target[central] = g_strdup(path);
	if (r->agent)
		apply(r);
}

static void a_set_policy(void *data, unsigned central, bool accept,
	long passkey)
{
	struct runner *r = data;

	if (central >= AGENT_MAX_SLOTS)
		return;
	r->accept[central] = accept;
	r->passkey[central] = passkey;
	if (r->agent)
		apply(r);
}

static void on_hci(const struct engine_hci_event *ev, void *data);

/* One monitor per central's controller (the first one, opened at start,
 * says whether we may read HCI at all). */
static void watch_hci(struct runner *r)
{
	for (unsigned i = 0;
		!r->hci_denied && !r->opts.engine.sim &&
		i < engine_centrals(r->engine) && i < AGENT_MAX_SLOTS;
		i++) {
		int index = hcimon_index_of(engine_central_adapter(r->engine,
			i));

		if (!r->hcimon[i])
			r->hcimon[i] = hcimon_new(-1, on_hci, r, NULL);
		if (r->hcimon[i])
			hcimon_set_index(r->hcimon[i], index);
	}
}

static void registered(struct agent *a, const GError *error, void *data)
{
	struct runner *r = data;
	engine_done_fn fn = r->reg_done;

	(void)a;
	r->reg_done = NULL;
	if (fn)
		fn(error, r->reg_data);
}

static void make_agent(struct runner *r)
{
	r->agent = agent_new(r->svc, BC_AGENT_PATH, r->want_cap);
	agent_set_event_cb(r->agent, on_agent_request, r);
	apply(r);
	agent_register(r->agent, !r->opts.not_default_agent, registered, r);
}

static void old_agent_gone(struct agent *a, const GError *error, void *data)
{
	struct runner *r = data;

	(void)error;
	agent_free(a);
	r->agent = NULL;
	make_agent(r);
}

static void a_register(void *data, const char *capability, engine_done_fn done,
	void *user_data)
{
	struct runner *r = data;

	/* the engine has found its adapters: HCI events of those only */
	watch_hci(r);
	g_free(r->want_cap);
	r->want_cap = g_strdup(capability);
	r->reg_done = done;
	r->reg_data = user_data;
	if (!r->agent) {
		make_agent(r);
		return;
	}
	/* a new IO capability means a new registration */
	agent_unregister(r->agent, old_agent_gone, r);
}

static void unregistered(struct agent *a, const GError *error, void *data)
{
	struct runner *r = data;
	engine_done_fn fn = r->reg_done;

	(void)a;
	r->reg_done = NULL;
	if (fn)
		fn(error, r->reg_data);
}

static void a_unregister(void *data, engine_done_fn done, void *user_data)
{
	struct runner *r = data;

	r->reg_done = done;
	r->reg_data = user_data;
	if (!r->agent) {
		r->reg_done = NULL;
		done(NULL, user_data);
		return;
	}
	agent_unregister(r->agent, unregistered, r);
}

static const struct agent_ops runner_agent_ops = {
	.set_target = a_set_target,
	.set_policy = a_set_policy,
	.register_agent = a_register,
	.unregister_agent = a_unregister,
};

/* ---- events ------------------------------------------------------------- */

static void on_mirror(struct mirror *mi, enum mirror_state st,
	const GError *error, void *data)
{
	struct runner *r = data;

	(void)mi;
	switch (st) {
	case MIRROR_STATE_SYNCED:
		engine_bluez_available(r->engine, true, NULL);
		break;
	case MIRROR_STATE_NO_SERVICE:
		engine_bluez_available(r->engine, false,
			"nobody owns org.bluez");
		break;
	case MIRROR_STATE_ERROR:
		engine_bluez_available(r->engine, false,
			error ? error->message : "bluetoothd answered badly");
		break;
	case MIRROR_STATE_IDLE:
	case MIRROR_STATE_WAITING:
	case MIRROR_STATE_SYNCING: break;
	}
}

static void on_trace(DBusMessage *msg, void *data)
{
	struct runner *r = data;
	GVariant *args;
	const char *json;
	size_t len;
	int central = -1;

	/* only the DUT in range of our adapters */
	for (unsigned i = 0; i < engine_centrals(r->engine) && central < 0;
		i++) {
		const char *adapter = engine_central_adapter(r->engine, i);
		char *mine = adapter ? bluez_sim_path(adapter) : NULL;

		if (mine && !g_strcmp0(dbus_message_get_path(msg), mine))
			central = (int)i;
		g_free(mine);
	}
	if (central < 0 || !msg_get_args(msg, "(s)", &args, NULL))
		return;
	g_variant_get(args, "(&s)", &json);
	/* whoever owns org.bluez sends this: bounded before it is parsed
	 * (json-glib recurses per level); what is refused is said */
	len = strlen(json);
	if (len > (size_t)RUNNER_MAX_TRACE ||
		jsontext_too_deep(json, len, JSONTEXT_MAX_DEPTH)) {
		char *note = g_strdup_printf("{\"event\":\"trace-dropped\","
					     "\"bytes\":%zu,\"why\":\"%s\"}",
			len,
			len > (size_t)RUNNER_MAX_TRACE ?
				"longer than the limit" :
				"nested too deeply");

		engine_sim_trace_from(r->engine, (unsigned)central, note);
		g_free(note);
	} else {
		engine_sim_trace_from(r->engine, (unsigned)central, json);
	}
	g_variant_unref(args);
}

static void on_bus_lost(struct bus *bus, void *data)
{
	(void)bus;
	engine_bus_lost(((struct runner *)data)->engine);
}

static void on_finished(struct engine *e, const struct engine_result *res,
	void *data)
{
	struct runner *r = data;

	(void)e;
	if (r->done)
		r->done(r, res, r->done_data);
}

/* ---- claims on the DUT --------------------------------------------------- */

static bool r_claim(void *data, unsigned central, const char *adapter,
	const char *device, char **why)
{
	struct runner *r = data;
	char *bus_id;
	GError *err = NULL;

	if (central >= AGENT_MAX_SLOTS || !adapter)
		return true;
	claim_free(r->claims[central]);
	/* the bus's GUID, from the connection's handshake: no call */
	bus_id = dbus_connection_get_server_id(bus_conn(r->bus));
	r->claims[central] = claim_take(bus_id, adapter, device, &err);
	dbus_free(bus_id);
	if (r->claims[central])
		return true;
	*why = g_strdup(err->message);
	g_error_free(err);
	return false;
}

/* ---- life cycle --------------------------------------------------------- */

struct runner *runner_new(struct bus *bus, struct scenario *scn,
	struct evlog *log, const struct runner_options *opts)
{
	struct runner *r = g_new0(struct runner, 1);
	struct engine_env env;

	r->bus = bus_ref(bus);
	r->opts = *opts;
	for (unsigned i = 0; i < AGENT_MAX_SLOTS; i++) {
		r->accept[i] = true;
		r->passkey[i] = -1;
	}
	r->model = model_new();
	r->backend = bluez_dbus_new(bus);
	r->svc = service_new(bus);
	r->trigger = trigger_os_new(opts->prompt_to);

	env.model = r->model;
	env.bluez = &bluez_dbus_ops;
	env.bluez_data = r->backend;
	env.agent = &runner_agent_ops;
	env.agent_data = r;
	env.trigger = &trigger_os_ops;
	env.trigger_data = r->trigger;
	env.clock = &clock_glib_ops;
	env.clock_data = NULL;
	env.mgmt = NULL;
	env.mgmt_data = NULL;
	env.mgmt_unavailable = NULL;
	env.claim = r_claim;
	env.claim_data = r;
	/* the adapter's privacy (the simulator has its own Sim1.Privacy) */
	if (!opts->engine.sim) {
		GError *err = NULL;

		r->mgmt = mgmt_new(&err);
		if (r->mgmt) {
			env.mgmt = &mgmt_ops;
			env.mgmt_data = r->mgmt;
		} else {
			r->mgmt_error = g_strdup(err->message);
			env.mgmt_unavailable = r->mgmt_error;
			g_error_free(err);
		}
	}
	r->engine = engine_new(&opts->engine, &env, scn, log);

	r->mirror = mirror_new(bus, r->model, BLUEZ_SERVICE);
	mirror_set_state_cb(r->mirror, on_mirror, r);
	if (opts->sim_trace)
		r->trace_watch = bus_add_signal_watch(bus, BLUEZ_SERVICE, NULL,
			BC_SIM_PATH, BC_SIM_IFACE, "Trace", on_trace, r, NULL);
	bus_set_disconnect_handler(bus, on_bus_lost, r);
	return r;
}

static void on_hci(const struct engine_hci_event *ev, void *data)
{
	engine_hci_event(((struct runner *)data)->engine, ev);
}

void runner_start(struct runner *r, runner_done_fn fn, void *user_data)
{
	GError *err = NULL;

	r->done = fn;
	r->done_data = user_data;
	/* the simulator has no HCI; a real host may (root or CAP_NET_RAW) */
	if (!r->opts.engine.sim) {
		r->hcimon[0] = hcimon_new(-1, on_hci, r, &err);
		r->hci_denied = !r->hcimon[0];
		if (r->hcimon[0]) {
			engine_note(r->engine, LOG_NOTE_HCI,
				"reading the HCI monitor channel: HCI status "
				"and reasons are evidence (confidence "
				"confirmed)");
		} else {
			char *t = g_strdup_printf(
				"no HCI evidence (%s): "
				"verdicts rest on D-Bus alone (confidence "
				"inferred); run as root or with CAP_NET_RAW "
				"for HCI status and reasons",
				err->message);

			engine_note(r->engine, LOG_NOTE_HCI, t);
			g_free(t);
			g_error_free(err);
		}
	}
	engine_start(r->engine, on_finished, r);
	mirror_start(r->mirror);
}

void runner_interrupt(struct runner *r)
{
	engine_interrupt(r->engine);
}

struct engine *runner_engine(struct runner *r)
{
	return r->engine;
}

void runner_free(struct runner *r)
{
	if (!r)
		return;
	bus_set_disconnect_handler(r->bus, NULL, NULL);
	if (r->trace_watch)
		bus_remove_signal_watch(r->bus, r->trace_watch);
	for (unsigned i = 0; i < AGENT_MAX_SLOTS; i++)
		hcimon_free(r->hcimon[i]);
	mirror_free(r->mirror);
	engine_free(r->engine);
	for (unsigned i = 0; i < AGENT_MAX_SLOTS; i++)
		claim_free(r->claims[i]);
	mgmt_free(r->mgmt);
	g_free(r->mgmt_error);
	agent_free(r->agent);
	service_free(r->svc);
	bluez_dbus_free(r->backend);
	trigger_os_free(r->trigger);
	model_free(r->model);
	bus_unref(r->bus);
	for (unsigned i = 0; i < AGENT_MAX_SLOTS; i++)
		g_free(r->target[i]);
	g_free(r->want_cap);
	g_free(r);
}

char *runner_bluez_version(void)
{
	static const char *const where[] = {
		"/usr/libexec/bluetooth/bluetoothd",
		"/usr/lib/bluetooth/bluetoothd",
		"/usr/sbin/bluetoothd",
		NULL,
	};

	for (size_t i = 0; where[i]; i++) {
		const char *argv[] = { where[i], "--version", NULL };
		char *out = NULL;
		int status = -1;

		if (!g_file_test(where[i], G_FILE_TEST_IS_EXECUTABLE))
			continue;
		if (g_spawn_sync(NULL, (char **)argv, NULL,
			    G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
			    &status, NULL) &&
			status == 0 && out) {
			g_strstrip(out);
			if (*out)
				return out;
		}
		g_free(out);
	}
	return NULL;
}

char *runner_kernel(void)
{
	struct utsname u;

	return uname(&u) == 0 ? g_strdup(u.release) : g_strdup("unknown");
}
