/* SPDX-License-Identifier: MIT */
/*
 * runlog.c — the events the engine writes to the run log: run-start and
 * run-end, step-start and step-end with the step's evidence, and the raw
 * bluez, agent, hci, sim and note events (doc/log-schema.md). Writes only;
 * decides nothing about the run. The event types and member names are the
 * log's schema: change them only with doc/log-schema.md and EVLOG_SCHEMA.
 */
#include "bondcheck/names.h"
#include "step.h"

void runlog_add_str(JsonBuilder *b, const char *k, const char *v)
{
	json_builder_set_member_name(b, k);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

void runlog_add_int(JsonBuilder *b, const char *k, int64_t v)
{
	json_builder_set_member_name(b, k);
	json_builder_add_int_value(b, v);
}

static void add_bool(JsonBuilder *b, const char *k, bool v)
{
	json_builder_set_member_name(b, k);
	json_builder_add_boolean_value(b, v);
}

static void add_strv(JsonBuilder *b, const char *k, GPtrArray *a)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_array(b);
	for (guint i = 0; a && i < a->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(a, i));
	json_builder_end_array(b);
}

#define add_str runlog_add_str
#define add_int runlog_add_int

/* A property value as the timeline shows it: hex for bytes. */
char *runlog_value_text(GVariant *v)
{
	if (!v)
		return g_strdup("(invalidated)");
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_BYTESTRING)) {
		gsize n = 0;
		const guint8 *d = g_variant_get_fixed_array(v, &n, 1);

		return evlog_hex(d, n);
	}
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
		return g_strdup(g_variant_get_string(v, NULL));
	return g_variant_print(v, FALSE);
}

/* ---- run ---------------------------------------------------------------- */

static void write_note(struct engine *e, const char *what, const char *text)
{
	JsonBuilder *b = evlog_begin(e->log, "note");

	add_str(b, "what", what);
	add_str(b, "text", text);
	evlog_end(e->log, b);
}

void engine_note(struct engine *e, const char *what, const char *text)
{
	/* run-start is the log's first line: notes before it wait for it */
	if (!e->run_start_written) {
		if (!e->early_notes)
			e->early_notes = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(e->early_notes, g_strdup(what));
		g_ptr_array_add(e->early_notes, g_strdup(text));
		return;
	}
	write_note(e, what, text);
}

void runlog_run_start(struct engine *e)
{
	const char *adapter = e->central.adapter;
	JsonBuilder *b = evlog_begin(e->log, "run-start");
	GDateTime *dt = g_date_time_new_now_utc();
	char *iso = g_date_time_format_iso8601(dt);
	const char *addr = adapter ? model_str(e->env.model, adapter,
		BLUEZ_IFACE_ADAPTER, "Address") : NULL;

	add_int(b, "schema", EVLOG_SCHEMA);
	add_str(b, "tool", "bondcheck");
	add_str(b, "version", e->cfg.tool_version);
	json_builder_set_member_name(b, "scenario");
	json_builder_begin_object(b);
	add_str(b, "name", e->scn->name);
	add_str(b, "file", e->scn->file);
	add_str(b, "sha256", e->scn->sha256);
	add_int(b, "steps", e->scn->total_steps);
	json_builder_end_object(b);
	add_str(b, "label", e->cfg.label);
	json_builder_set_member_name(b, "device");
	json_builder_begin_object(b);
	add_str(b, "address", e->cfg.device);
	add_str(b, "name", e->cfg.device_name);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "adapter");
	json_builder_begin_object(b);
	add_str(b, "path", adapter);
	add_str(b, "address", addr);
	json_builder_end_object(b);
	add_str(b, "bluez_version", e->cfg.bluez_version ?
		e->cfg.bluez_version : "unknown");
	add_str(b, "kernel", e->cfg.kernel);
	json_builder_set_member_name(b, "sim");
	json_builder_begin_object(b);
	add_bool(b, "enabled", e->cfg.sim);
	json_builder_set_member_name(b, "faults");
	json_builder_begin_array(b);
	for (size_t i = 0; e->cfg.faults && e->cfg.faults[i]; i++)
		json_builder_add_string_value(b, e->cfg.faults[i]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "time_scale");
	json_builder_add_double_value(b, e->cfg.time_scale);
	json_builder_end_object(b);
	add_str(b, "started_at", iso);
	evlog_end(e->log, b);
	g_free(iso);
	g_date_time_unref(dt);
	e->run_start_written = true;
	for (guint n = 0; e->early_notes && n + 1 < e->early_notes->len;
	     n += 2)
		write_note(e, e->early_notes->pdata[n],
			e->early_notes->pdata[n + 1]);
	if (e->early_notes)
		g_ptr_array_set_size(e->early_notes, 0);
}

void runlog_run_end(struct engine *e)
{
	const struct engine_result *r = &e->result;
	JsonBuilder *b = evlog_begin(e->log, "run-end");

	add_str(b, "result", engine_outcome_to_str(r->outcome));
	add_str(b, "verdict", r->outcome == ENGINE_OUTCOME_INTERRUPTED ? NULL :
		verdict_to_str(r->verdict));
	add_str(b, "confidence", r->confidence == CONFIDENCE_NONE ? NULL :
		confidence_to_str(r->confidence));
	json_builder_set_member_name(b, "steps");
	json_builder_begin_object(b);
	add_int(b, "run", r->steps_run);
	add_int(b, "passed", r->steps_passed);
	add_int(b, "total", r->steps_total);
	json_builder_end_object(b);
	add_int(b, "elapsed_ms", r->elapsed_ms);
	add_str(b, "message", r->message);
	if (r->fail_line)
		add_int(b, "line", r->fail_line);
	add_int(b, "exit_status", r->exit_status);
	evlog_end(e->log, b);
}

/* ---- steps -------------------------------------------------------------- */

static void add_iteration(struct engine *e, JsonBuilder *b)
{
	json_builder_set_member_name(b, "iteration");
	json_builder_begin_array(b);
	for (int i = 0; i < e->depth; i++)
		if (e->stack[i].repeat)
			json_builder_add_int_value(b, e->stack[i].iter);
	json_builder_end_array(b);
}

/* The step's own figures (latency, link loss, CCCD, ...), moved into @b. */
static void add_extra(JsonBuilder *b, JsonBuilder *extra_b)
{
	JsonNode *extra;

	json_builder_end_object(extra_b);
	extra = json_builder_get_root(extra_b);
	if (extra && JSON_NODE_HOLDS_OBJECT(extra)) {
		JsonObjectIter it;
		const char *k;
		JsonNode *val;

		json_object_iter_init(&it, json_node_get_object(extra));
		while (json_object_iter_next(&it, &k, &val)) {
			json_builder_set_member_name(b, k);
			json_builder_add_value(b, json_node_copy(val));
		}
	}
	if (extra)
		json_node_unref(extra);
}

void runlog_step_start(struct engine *e)
{
	const struct scn_step *s = e->st.s;
	JsonBuilder *b = evlog_begin(e->log, "step-start");

	add_int(b, "index", e->started);
	add_int(b, "line", s->line);
	add_iteration(e, b);
	add_str(b, "name", scn_step_type_to_str(s->type));
	add_str(b, "text", s->text);
	add_int(b, "timeout_ms", s->timeout_ms);
	evlog_end(e->log, b);
}

void runlog_step_end(struct engine *e, const char *result, enum verdict v,
	enum confidence c, const char *message)
{
	struct step *st = &e->st;
	JsonBuilder *b = evlog_begin(e->log, "step-end");

	add_int(b, "index", e->started);
	add_int(b, "line", st->s->line);
	add_iteration(e, b);
	add_str(b, "name", scn_step_type_to_str(st->s->type));
	add_str(b, "result", result);
	add_str(b, "verdict", verdict_to_str(v));
	add_str(b, "confidence", c == CONFIDENCE_NONE ? NULL :
						       confidence_to_str(c));
	add_int(b, "elapsed_ms", step_ms(e));
	add_str(b, "message", message);
	json_builder_set_member_name(b, "evidence");
	json_builder_begin_object(b);
	if (st->err_name) {
		json_builder_set_member_name(b, "dbus_error");
		json_builder_begin_object(b);
		add_str(b, "name", st->err_name);
		add_str(b, "message", st->err_text);
		json_builder_end_object(b);
	}
	if (st->ops->evidence)
		st->ops->evidence(e, b);
	add_strv(b, "timeline", st->timeline);
	if (st->agent->len)
		add_strv(b, "agent", st->agent);
	if (st->hci->len)
		add_strv(b, "hci", st->hci);
	if (st->traces->len) {
		json_builder_set_member_name(b, "sim_trace");
		json_builder_begin_array(b);
		for (guint i = 0; i < st->traces->len; i++) {
			JsonNode *n = json_from_string(
				g_ptr_array_index(st->traces, i), NULL);

			if (n)
				json_builder_add_value(b, n);
		}
		json_builder_end_array(b);
	}
	add_extra(b, st->extra);
	json_builder_end_object(b);
	evlog_end(e->log, b);
}

/* ---- raw events --------------------------------------------------------- */

void runlog_call(struct engine *e, enum bluez_op op, const char *path)
{
	JsonBuilder *b = evlog_begin(e->log, "bluez");

	add_str(b, "event", "call");
	add_str(b, "method", bluez_op_to_str(op));
	add_str(b, "path", path);
	evlog_end(e->log, b);
}

void runlog_reply(struct engine *e, enum bluez_op op, const char *path,
	const struct bluez_reply *r, int64_t ms)
{
	JsonBuilder *b = evlog_begin(e->log, "bluez");

	add_str(b, "event", "reply");
	add_str(b, "method", bluez_op_to_str(op));
	add_str(b, "path", path);
	add_bool(b, "ok", r->error == NULL);
	if (r->error_name || r->error) {
		add_str(b, "error", r->error_name ? r->error_name :
						    BC_ERR_BAD_REPLY);
		add_str(b, "message", r->error_text ? r->error_text :
						      r->error->message);
	}
	add_int(b, "ms", ms);
	evlog_end(e->log, b);
}

void runlog_model(struct engine *e, const struct model_event *ev)
{
	JsonBuilder *b = evlog_begin(e->log, "bluez");

	switch (ev->type) {
	case MODEL_EVENT_PROP_CHANGED:
		add_str(b, "event", "property");
		break;
	case MODEL_EVENT_IFACE_ADDED:
		add_str(b, "event", "added");
		break;
	case MODEL_EVENT_IFACE_REMOVED:
		add_str(b, "event", "removed");
		break;
	case MODEL_EVENT_SIGNAL:
		add_str(b, "event", "signal");
		break;
	case MODEL_EVENT_RESET:
	case MODEL_EVENT_SYNCED:
		add_str(b, "event", model_event_type_to_str(ev->type));
		break;
	}
	add_str(b, "path", ev->path);
	add_str(b, "iface", ev->iface);
	if (ev->name)
		add_str(b, "name", ev->name);
	if (ev->value) {
		json_builder_set_member_name(b, "value");
		json_builder_add_value(b, evlog_variant(ev->value));
	}
	evlog_end(e->log, b);
}

void runlog_agent_request(struct engine *e,
	const struct engine_agent_event *ev)
{
	JsonBuilder *b = evlog_begin(e->log, "agent");

	add_str(b, "method", ev->method);
	add_str(b, "device", ev->device);
	if (!strcmp(ev->method, "RequestConfirmation") ||
	    !strcmp(ev->method, "DisplayPasskey"))
		add_int(b, "passkey", ev->passkey);
	add_bool(b, "foreign", ev->foreign);
	add_bool(b, "accepted", ev->accepted);
	add_str(b, "answer", ev->answer);
	evlog_end(e->log, b);
}

void runlog_agent(struct engine *e, const char *event, const GError *error)
{
	JsonBuilder *b = evlog_begin(e->log, "agent");

	add_str(b, "event", event);
	add_str(b, "capability", e->central.agent_cap);
	if (error)
		add_str(b, "error", error->message);
	evlog_end(e->log, b);
}

void runlog_hci(struct engine *e, const struct engine_hci_event *ev)
{
	JsonBuilder *b = evlog_begin(e->log, "hci");

	add_str(b, "event", ev->what);
	add_str(b, "address", ev->address);
	if (ev->status >= 0)
		add_int(b, "status", ev->status);
	if (ev->reason >= 0)
		add_int(b, "reason", ev->reason);
	add_str(b, "text", ev->text);
	evlog_end(e->log, b);
}

void runlog_sim(struct engine *e, JsonNode *trace)
{
	JsonBuilder *b = evlog_begin(e->log, "sim");

	json_builder_set_member_name(b, "trace");
	json_builder_add_value(b, trace);
	evlog_end(e->log, b);
}
