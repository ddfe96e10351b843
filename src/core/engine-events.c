/* SPDX-License-Identifier: MIT */
/*
 * engine-events.c — routing the world's events to the current step.
 *
 * Every event the engine hears — the mirror of BlueZ (adapters, the DUT's
 * device object, characteristics), agent requests, the simulator's trace
 * and the HCI monitor — comes in here, is logged, updates what its central
 * knows, and goes to the current step's hook in the step table (a NULL
 * hook ignores it). The life cycle (program counter, pass and fail,
 * cleanup) stays in engine.c.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "step.h"

/* ---- routing the world's events to the step ----------------------------- */

/* The one place "the DUT was seen again" is handled: by @c's adapter. */
static void dut_seen(struct engine *e, struct central *c, const char *path)
{
	c->dut_seen_us = engine_now(e);
	if (e->st.s && c == step_central(e) && e->st.ops->dut_seen)
		e->st.ops->dut_seen(e, path);
}

void engine_discovery_started(struct engine *e, const struct bluez_reply *r)
{
	const char *p;

	if (!e->st.s)
		return;
	if (r->error && r->error->code != BCERROR_IN_PROGRESS) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"StartDiscovery failed: %s", r->error->message);
		return;
	}
	if (e->st.ops->dut_seen && central_dut_in_range(step_central(e), &p))
		dut_seen(e, step_central(e), p);
}

void engine_discovery_stopped(struct engine *e)
{
	if (e->st.s && e->st.ops->discovery_stopped)
		e->st.ops->discovery_stopped(e);
}

static bool under(const char *path, const char *base)
{
	size_t n;

	if (!path || !base)
		return false;
	n = strlen(base);
	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

/* Is @c the central of the step that runs now? */
static bool stepping(struct engine *e, struct central *c)
{
	return e->st.s && c == step_central(e);
}

static void dut_prop(struct engine *e, struct central *c, const char *name,
	GVariant *v)
{
	bool rssi = !strcmp(name, "RSSI");
	char *txt = runlog_value_text(v);

	/* another central's DUT changes too: the step's timeline says whose
	 * (its advertisements are not worth a line) */
	if (stepping(e, c))
		step_timeline(e, "%s=%s", name, txt);
	else if (!rssi)
		step_timeline(e, "%s: %s=%s", c->name, name, txt);
	g_free(txt);
	if (!strcmp(name, "Connected") && !step_true(v)) {
		gatt_subs_link_lost(c);
		/* a link up after this is the run's, even if one was up when
		 * it began */
		c->link_dropped = true;
		if (e->state == ENGINE_STATE_FINISHING && e->cleanup_drop == c)
			engine_cleanup_done_waiting(e);
	}
	if (rssi && v) {
		dut_seen(e, c, c->dev_path);
		return;
	}
	/* a Connect() ahead of its step sees the link first */
	link_early_prop(c, name, v);
	if (stepping(e, c) && e->st.ops->dut_prop)
		e->st.ops->dut_prop(e, name, v);
}

static void device_added(struct engine *e, struct central *c,
	const struct model_event *ev)
{
	const char *q;

	/* a device under another central's adapter is that central's */
	if (!stepping(e, c))
		return;
	if (e->st.ops->device_added && ev->value)
		e->st.ops->device_added(e, ev->path, ev->value);
	if (stepping(e, c) && e->st.ops->dut_seen &&
		central_dut_in_range(c, &q)) {
		runlog_model(e, c, ev);
		dut_seen(e, c, q);
	}
}

static void dut_removed(struct engine *e, struct central *c)
{
	c->link_dropped = true;
	if (stepping(e, c))
		step_timeline(e, "the device object was removed");
	g_free(c->dev_path);
	c->dev_path = NULL;
	link_early_removed(c);
	if (stepping(e, c) && e->st.ops->dut_removed)
		e->st.ops->dut_removed(e);
}

static void dut_signal(struct engine *e, struct central *c,
	const struct model_event *ev)
{
	const char *reason = NULL;

	if (strcmp(ev->name, "Disconnected") != 0 || !ev->value ||
		!g_variant_is_of_type(ev->value, G_VARIANT_TYPE("(ss)")))
		return;
	g_variant_get_child(ev->value, 0, "&s", &reason);
	link_early_disconnected(c, reason);
	if (!stepping(e, c)) {
		if (e->st.s)
			step_timeline(e, "%s: Disconnected(%s)", c->name,
				reason);
		return;
	}
	step_timeline(e, "Disconnected(%s)", reason);
	if (e->st.ops->dut_disconnected)
		e->st.ops->dut_disconnected(e, reason);
}

static void adapter_event(struct engine *e, struct central *c,
	const struct model_event *ev)
{
	char *why;

	if (ev->type == MODEL_EVENT_PROP_CHANGED &&
		!strcmp(ev->name, "Powered") && ev->value &&
		g_variant_is_of_type(ev->value, G_VARIANT_TYPE_BOOLEAN) &&
		!g_variant_get_boolean(ev->value))
		why = g_strdup_printf("the adapter%s%s was powered off",
			e->n_centrals > 1 ? " of central " : "",
			e->n_centrals > 1 ? c->name : "");
	else if (ev->type == MODEL_EVENT_IFACE_REMOVED &&
		 !strcmp(ev->iface, BLUEZ_IFACE_ADAPTER))
		why = g_strdup_printf("the adapter%s%s disappeared "
				      "(unplugged?)",
			e->n_centrals > 1 ? " of central " : "",
			e->n_centrals > 1 ? c->name : "");
	else
		return;
	engine_fail_env(e, why);
	g_free(why);
}

/* One event of the model, for central @c's adapter or what is under it. */
static void central_model(struct engine *e, struct central *c,
	const struct model_event *ev)
{
	const char *p = c->dev_path;
	bool mine = p && under(ev->path, p);
	bool adapter = !strcmp(ev->path, c->adapter);
	bool chr = mine && !g_strcmp0(ev->iface, BLUEZ_IFACE_GATT_CHRC);

	if (mine || adapter)
		runlog_model(e, c, ev);
	if (adapter) {
		adapter_event(e, c, ev);
		return;
	}
	switch (ev->type) {
	case MODEL_EVENT_PROP_CHANGED:
		if (mine && !strcmp(ev->iface, BLUEZ_IFACE_DEVICE) &&
			!strcmp(ev->path, p)) {
			dut_prop(e, c, ev->name, ev->value);
		} else if (chr) {
			if (!strcmp(ev->name, "Value"))
				gatt_subs_value(c, ev->path);
			if (stepping(e, c) && e->st.ops->chr_changed)
				e->st.ops->chr_changed(e, ev->path, ev->name);
		}
		break;
	case MODEL_EVENT_IFACE_ADDED:
		if (chr && stepping(e, c) && e->st.ops->chr_added)
			e->st.ops->chr_added(e, ev->path);
		else if (!strcmp(ev->iface, BLUEZ_IFACE_DEVICE))
			device_added(e, c, ev);
		break;
	case MODEL_EVENT_IFACE_REMOVED:
		if (p && !strcmp(ev->path, p) &&
			!strcmp(ev->iface, BLUEZ_IFACE_DEVICE))
			dut_removed(e, c);
		break;
	case MODEL_EVENT_SIGNAL:
		if (mine)
			dut_signal(e, c, ev);
		break;
	case MODEL_EVENT_RESET:
	case MODEL_EVENT_SYNCED: break;
	}
}

void engine_on_model(const struct model_event *ev, void *data)
{
	struct engine *e = data;
	struct central *c;

	c = central_of_path(e, ev->path);
	/* privacy is set with the adapter powered off, before the run and
	 * at its end: its return is awaited */
	if (c && (c->priv.wait_powered || c->priv.mgmt_busy) &&
		ev->type == MODEL_EVENT_PROP_CHANGED &&
		!g_strcmp0(ev->path, c->adapter) &&
		!strcmp(ev->name, "Powered") && ev->value &&
		g_variant_is_of_type(ev->value, G_VARIANT_TYPE_BOOLEAN)) {
		privacy_powered(e, c, g_variant_get_boolean(ev->value));
		return;
	}
	if (e->state != ENGINE_STATE_RUNNING &&
		e->state != ENGINE_STATE_FINISHING)
		return;
	if (c)
		central_model(e, c, ev);
}

static bool is_pairing_method(const char *m)
{
	return m && (!strcmp(m, "RequestConfirmation") ||
			    !strcmp(m, "RequestPasskey") ||
			    !strcmp(m, "RequestPinCode") ||
			    !strcmp(m, "DisplayPasskey") ||
			    !strcmp(m, "DisplayPinCode") ||
			    !strcmp(m, "RequestAuthorization"));
}

void engine_agent_event(struct engine *e, const struct engine_agent_event *ev)
{
	struct central *c = central_of_path(e, ev->device);

	/* run-end is the log's last line */
	if (e->state == ENGINE_STATE_DONE)
		return;
	runlog_agent_request(e, ev);

	if (!ev->foreign && is_pairing_method(ev->method) && ev->device && c &&
		c->dev_path && !strcmp(ev->device, c->dev_path))
		link_early_agent(c);
	if (!e->st.s)
		return;
	g_ptr_array_add(e->st.agent,
		g_strdup_printf("+%" G_GINT64_FORMAT "ms %s%s%s(%s) -> %s%s",
			step_ms(e), c && !stepping(e, c) ? c->name : "",
			c && !stepping(e, c) ? ": " : "", ev->method,
			ev->device ? ev->device : "",
			ev->answer ? ev->answer : "",
			ev->foreign ? " (foreign)" : ""));
	/*
	 * A request the agent refused as foreign (not bluetoothd's, or not
	 * about a DUT we answer for) says nothing about the DUT: anyone on
	 * the bus can call our agent. It is logged, never classified.
	 */
	if (ev->foreign)
		return;
	/* only the step's own central's DUT: another's is not this step's */
	if (is_pairing_method(ev->method) && ev->device && c &&
		stepping(e, c) && c->dev_path &&
		!strcmp(ev->device, c->dev_path) && e->st.ops->agent)
		e->st.ops->agent(e, ev);
}

void engine_sim_trace(struct engine *e, const char *json)
{
	engine_sim_trace_from(e, 0, json);
}

void engine_sim_trace_from(struct engine *e, unsigned central, const char *json)
{
	JsonNode *n;
	JsonObject *o;
	struct central *c;

	if (e->state == ENGINE_STATE_DONE)
		return;
	n = json_from_string(json, NULL);
	if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
		if (n)
			json_node_unref(n);
		return;
	}
	o = json_node_get_object(n);
	if (central > 0 && g_strcmp0(step_str(o, "side", NULL), "host") != 0) {
		/* the DUT's own event: the first central's copy is logged */
		json_node_unref(n);
		return;
	}
	/* what the DUT says about a central's keys, for its evidence */
	central_dut_trace(e, n);
	/* and which address that central's link came from */
	if (central < e->n_centrals)
		privacy_sim_trace(&e->centrals[central], o);
	c = central_of_address(e, step_str(o, "peer", NULL));
	/* link-up is the central's own; a notification names its link */
	if (!g_strcmp0(step_str(o, "side", NULL), "host") &&
		central < e->n_centrals)
		gatt_subs_sim(&e->centrals[central], o);
	else if (c)
		gatt_subs_sim(c, o);
	if (central < e->n_centrals && e->centrals[central].early.active &&
		e->centrals[central].early.obs.connected) {
		/* the link of a Connect() ahead of its reconnect: what the
		 * DUT says on it is the reconnect's evidence (step-link.c) */
		link_early_trace(&e->centrals[central], json);
		runlog_sim(e, c, n);
		return;
	}
	if (e->st.s && e->st.traces->len < MAX_EVIDENCE)
		g_ptr_array_add(e->st.traces, g_strdup(json));
	if (e->st.s && e->st.ops->sim_trace && central < e->n_centrals &&
		stepping(e, &e->centrals[central]))
		e->st.ops->sim_trace(e, o);
	runlog_sim(e, c, n);
}

void engine_hci_event(struct engine *e, const struct engine_hci_event *ev)
{
	struct central *c = NULL;

	if (e->state == ENGINE_STATE_DONE)
		return;
	for (unsigned i = 0; i < e->n_centrals && ev->index >= 0; i++)
		if (e->centrals[i].adapter &&
			bluez_adapter_index(e->centrals[i].adapter) ==
				ev->index)
			c = &e->centrals[i];
	if (!c)
		c = &e->centrals[0];
	runlog_hci(e, c, ev);
	privacy_hci(c, ev);
	gatt_subs_hci(c, ev);
	link_early_hci(c, ev);
	if (!e->st.s)
		return;
	if (e->st.hci->len < MAX_EVIDENCE)
		g_ptr_array_add(e->st.hci,
			g_strdup_printf("+%" G_GINT64_FORMAT "ms %s%s%s",
				step_ms(e), stepping(e, c) ? "" : c->name,
				stepping(e, c) ? "" : ": ",
				ev->text ? ev->text : ev->what));
	if (stepping(e, c) && e->st.ops->hci)
		e->st.ops->hci(e, ev);
}
