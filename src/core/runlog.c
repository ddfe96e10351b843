/* SPDX-License-Identifier: MIT */
/*
 * runlog.c — the events the engine writes to the run log: run-start and
 * run-end, step-start and step-end with the step's evidence, and the raw
 * bluez, agent, hci, sim and note events (doc/log-schema.md). Writes only;
 * decides nothing about the run. The schema's names come from logschema.h.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/logschema.h"
#include "bondcheck/runplan.h"
#include "bondcheck/names.h"
#include "step.h"

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

void runlog_add_central(JsonBuilder *b, const struct central *c)
{
	if (c)
		log_add_str(b, LOG_KEY_CENTRAL, c->name);
}

/* The central a bluez event is about: its path's, else the step's. */
static struct central *path_central(struct engine *e, const char *path)
{
	struct central *c = central_of_path(e, path);

	return c ? c : step_central(e);
}

/* run-start's centrals: [{name, adapter {path, address}, privacy}] */
static void add_centrals(struct engine *e, JsonBuilder *b)
{
	log_begin_array(b, LOG_KEY_CENTRALS);
	for (unsigned i = 0; i < e->n_centrals; i++) {
		const struct central *c = &e->centrals[i];

		json_builder_begin_object(b);
		log_add_str(b, LOG_KEY_NAME, c->name);
		log_begin_object(b, LOG_KEY_ADAPTER);
		log_add_str(b, LOG_KEY_PATH, c->adapter);
		log_add_str(b, LOG_KEY_ADDRESS,
			c->adapter ? model_str(e->env.model, c->adapter,
					     BLUEZ_IFACE_ADAPTER, "Address") :
				     NULL);
		json_builder_end_object(b);
		privacy_log_start(&e->centrals[i], b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* ---- run ---------------------------------------------------------------- */

static void write_note(struct engine *e, const char *what, const char *text)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_NOTE);

	log_add_str(b, LOG_KEY_WHAT, what);
	log_add_str(b, LOG_KEY_TEXT, text);
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

/* run-start's scenario {name, file, sha256, steps, plan}; @scn NULL: it
 * did not parse, and @file, @sha256 say which it was */
static void add_scenario(JsonBuilder *b, const struct scenario *scn,
	const char *file, const char *sha256)
{
	char *base = NULL;

	log_begin_object(b, LOG_KEY_SCENARIO);
	if (!scn)
		base = g_path_get_basename(file ? file : "scenario");
	log_add_str(b, LOG_KEY_NAME, scn ? scn->name : base);
	log_add_str(b, LOG_KEY_FILE, scn ? scn->file : file);
	log_add_str(b, LOG_KEY_SHA256,
		scn    ? scn->sha256 :
		sha256 ? sha256 :
			 "");
	log_add_int(b, LOG_KEY_STEPS, scn ? scn->total_steps : 0);
	runplan_write(b, LOG_KEY_PLAN, scn);
	json_builder_end_object(b);
	g_free(base);
}

static void add_target(JsonBuilder *b, const struct engine_config *cfg)
{
	log_add_str(b, LOG_KEY_LABEL, cfg->label);
	log_begin_object(b, LOG_KEY_DEVICE);
	log_add_str(b, LOG_KEY_ADDRESS, cfg->device);
	log_add_str(b, LOG_KEY_NAME, cfg->device_name);
	json_builder_end_object(b);
}

/* bluez_version, kernel, sim, started_at */
static void add_host(JsonBuilder *b, const struct engine_config *cfg)
{
	GDateTime *dt = g_date_time_new_now_utc();
	char *iso = g_date_time_format_iso8601(dt);

	log_add_str(b, LOG_KEY_BLUEZ_VERSION,
		cfg->bluez_version ? cfg->bluez_version : "unknown");
	log_add_str(b, LOG_KEY_KERNEL, cfg->kernel);
	log_begin_object(b, LOG_KEY_SIM);
	log_add_bool(b, LOG_KEY_ENABLED, cfg->sim);
	log_begin_array(b, LOG_KEY_FAULTS);
	for (size_t i = 0; cfg->faults && cfg->faults[i]; i++)
		json_builder_add_string_value(b, cfg->faults[i]);
	json_builder_end_array(b);
	log_add_double(b, LOG_KEY_TIME_SCALE, cfg->time_scale);
	if (cfg->sim)
		/* `bondcheck run --sim --seed N` replays this run exactly */
		log_add_int(b, LOG_KEY_SEED, cfg->sim_seed);
	if (cfg->sim && cfg->sim_settings) {
		log_begin_object(b, LOG_KEY_SETTINGS);
		for (size_t i = 0; cfg->sim_settings[i]; i++) {
			const char *kv = cfg->sim_settings[i];
			const char *eq = strchr(kv, '=');
			char *k;

			if (!eq)
				continue;
			k = g_strndup(kv, (gsize)(eq - kv));
			log_add_str(b, k, eq + 1);
			g_free(k);
		}
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	log_add_str(b, LOG_KEY_STARTED_AT, iso);
	g_free(iso);
	g_date_time_unref(dt);
}

static void begin_run_start(JsonBuilder *b, const struct engine_config *cfg)
{
	log_add_int(b, LOG_KEY_SCHEMA, LOG_SCHEMA);
	log_add_str(b, LOG_KEY_TOOL, LOG_TOOL);
	log_add_str(b, LOG_KEY_VERSION, cfg->tool_version);
}

static void write_run_start(struct engine *e)
{
	const char *adapter = e->centrals[0].adapter;
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_RUN_START);
	const char *addr = adapter ? model_str(e->env.model, adapter,
					     BLUEZ_IFACE_ADAPTER, "Address") :
	                             NULL;

	begin_run_start(b, &e->cfg);
	add_scenario(b, e->scn, NULL, NULL);
	add_target(b, &e->cfg);
	log_begin_object(b, LOG_KEY_ADAPTER);
	log_add_str(b, LOG_KEY_PATH, adapter);
	log_add_str(b, LOG_KEY_ADDRESS, addr);
	json_builder_end_object(b);
	add_centrals(e, b);
	add_host(b, &e->cfg);
	evlog_end(e->log, b);
}

void engine_log_not_started(struct evlog *log, const struct engine_config *cfg,
	const struct scenario *scn, const char *file, const char *sha256,
	int exit_status, const char *message)
{
	JsonBuilder *b = evlog_begin_event(log, LOG_EVENT_RUN_START);
	bool env = exit_status == BC_EXIT_ENV;

	begin_run_start(b, cfg);
	add_scenario(b, scn, file, sha256);
	add_target(b, cfg);
	log_begin_object(b, LOG_KEY_ADAPTER);
	log_add_str(b, LOG_KEY_PATH, NULL);
	log_add_str(b, LOG_KEY_ADDRESS, NULL);
	json_builder_end_object(b);
	log_begin_array(b, LOG_KEY_CENTRALS);
	for (guint i = 0; scn && i < scn->centrals->len; i++) {
		json_builder_begin_object(b);
		log_add_str(b, LOG_KEY_NAME,
			scn_central_label(g_ptr_array_index(scn->centrals, i)));
		log_begin_object(b, LOG_KEY_ADAPTER);
		log_add_str(b, LOG_KEY_PATH, NULL);
		log_add_str(b, LOG_KEY_ADDRESS, NULL);
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_host(b, cfg);
	evlog_end(log, b);

	b = evlog_begin_event(log, LOG_EVENT_RUN_END);
	log_add_str(b, LOG_KEY_RESULT, log_run_result_to_str(LOG_RUN_ERROR));
	/* bad input is no verdict on the device */
	log_add_str(b, LOG_KEY_VERDICT,
		env ? verdict_to_str(VERDICT_ENVIRONMENT_ERROR) : NULL);
	log_add_str(b, LOG_KEY_CONFIDENCE, NULL);
	log_begin_object(b, LOG_KEY_STEPS);
	log_add_int(b, LOG_KEY_RUN, 0);
	log_add_int(b, LOG_KEY_PASSED, 0);
	log_add_int(b, LOG_KEY_TOTAL, scn ? scn->total_steps : 0);
	json_builder_end_object(b);
	log_add_int(b, LOG_KEY_ELAPSED_MS, 0);
	log_add_str(b, LOG_KEY_MESSAGE, message);
	log_add_bool(b, LOG_KEY_STARTED, false);
	log_add_int(b, LOG_KEY_EXIT_STATUS, exit_status);
	evlog_end(log, b);
}

void runlog_run_start(struct engine *e)
{
	/* once: once the adapter's privacy is read, before the agent */
	if (e->run_start_written)
		return;
	write_run_start(e);
	e->run_start_written = true;
	for (guint n = 0; e->early_notes && n + 1 < e->early_notes->len; n += 2)
		write_note(e, e->early_notes->pdata[n],
			e->early_notes->pdata[n + 1]);
	if (e->early_notes)
		g_ptr_array_set_size(e->early_notes, 0);
}

static enum log_run_result run_result(enum engine_outcome o)
{
	switch (o) {
	case ENGINE_OUTCOME_PASSED: return LOG_RUN_PASSED;
	case ENGINE_OUTCOME_FAILED: return LOG_RUN_FAILED;
	case ENGINE_OUTCOME_ERROR: return LOG_RUN_ERROR;
	case ENGINE_OUTCOME_INTERRUPTED: return LOG_RUN_INTERRUPTED;
	}
	return LOG_RUN_ERROR;
}

void runlog_run_end(struct engine *e)
{
	const struct engine_result *r = &e->result;
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_RUN_END);

	log_add_str(b, LOG_KEY_RESULT,
		log_run_result_to_str(run_result(r->outcome)));
	log_add_str(b, LOG_KEY_VERDICT,
		r->outcome == ENGINE_OUTCOME_INTERRUPTED ?
			NULL :
			verdict_to_str(r->verdict));
	log_add_str(b, LOG_KEY_CONFIDENCE,
		r->confidence == CONFIDENCE_NONE ?
			NULL :
			confidence_to_str(r->confidence));
	log_begin_object(b, LOG_KEY_STEPS);
	log_add_int(b, LOG_KEY_RUN, r->steps_run);
	log_add_int(b, LOG_KEY_PASSED, r->steps_passed);
	log_add_int(b, LOG_KEY_FAILED, r->steps_failed);
	log_add_int(b, LOG_KEY_TOTAL, r->steps_total);
	json_builder_end_object(b);
	log_add_int(b, LOG_KEY_ELAPSED_MS, r->elapsed_ms);
	log_add_str(b, LOG_KEY_MESSAGE, r->message);
	if (r->fail_line) {
		log_add_int(b, LOG_KEY_LINE, r->fail_line);
		log_add_str(b, LOG_KEY_CENTRAL, r->central);
	}
	log_add_int(b, LOG_KEY_EXIT_STATUS, r->exit_status);
	privacy_log_end(e, b);
	evlog_end(e->log, b);
}

/* ---- steps -------------------------------------------------------------- */

/* line, iteration (each repeat's count, outermost first) and name */
static void add_place(struct engine *e, JsonBuilder *b)
{
	GString *it = g_string_new("");

	for (int i = 0; i < e->depth; i++)
		if (e->stack[i].repeat)
			g_string_append_printf(it, "%s%u", it->len ? "." : "",
				e->stack[i].iter);
	log_add_step_place(b, e->st.s->line, it->str,
		scn_step_type_to_str(e->st.s->type));
	g_string_free(it, TRUE);
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
		while (json_object_iter_next(&it, &k, &val))
			log_add_node(b, k, json_node_copy(val));
	}
	if (extra)
		json_node_unref(extra);
}

void runlog_step_start(struct engine *e)
{
	const struct scn_step *s = e->st.s;
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_STEP_START);

	runlog_add_central(b, step_central(e));
	log_add_int(b, LOG_KEY_INDEX, e->started);
	add_place(e, b);
	log_add_str(b, LOG_KEY_TEXT, s->text);
	log_add_int(b, LOG_KEY_TIMEOUT_MS, s->timeout_ms);
	evlog_end(e->log, b);
}

void runlog_step_end(struct engine *e, enum log_step_result result,
	enum verdict v, enum confidence c, const char *message)
{
	struct step *st = &e->st;
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_STEP_END);

	runlog_add_central(b, step_central(e));
	log_add_int(b, LOG_KEY_INDEX, e->started);
	add_place(e, b);
	log_add_str(b, LOG_KEY_RESULT, log_step_result_to_str(result));
	log_add_str(b, LOG_KEY_VERDICT, verdict_to_str(v));
	log_add_str(b, LOG_KEY_CONFIDENCE,
		c == CONFIDENCE_NONE ? NULL : confidence_to_str(c));
	log_add_int(b, LOG_KEY_ELAPSED_MS, step_ms(e));
	log_add_str(b, LOG_KEY_MESSAGE, message);
	log_begin_object(b, LOG_KEY_EVIDENCE);
	if (st->err_name) {
		log_begin_object(b, LOG_KEY_DBUS_ERROR);
		log_add_str(b, LOG_KEY_NAME, st->err_name);
		log_add_str(b, LOG_KEY_MESSAGE, st->err_text);
		json_builder_end_object(b);
	}
	if (st->ops->evidence)
		st->ops->evidence(e, b);
	log_add_strv(b, LOG_KEY_TIMELINE, st->timeline);
	if (st->agent->len)
		log_add_strv(b, LOG_KEY_AGENT, st->agent);
	if (st->hci->len)
		log_add_strv(b, LOG_KEY_HCI, st->hci);
	if (st->traces->len) {
		log_begin_array(b, LOG_KEY_SIM_TRACE);
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
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_BLUEZ);

	runlog_add_central(b, path_central(e, path));
	log_add_str(b, LOG_KEY_EVENT, log_bluez_to_str(LOG_BLUEZ_CALL));
	log_add_str(b, LOG_KEY_METHOD, bluez_op_to_str(op));
	log_add_str(b, LOG_KEY_PATH, path);
	evlog_end(e->log, b);
}

void runlog_reply(struct engine *e, enum bluez_op op, const char *path,
	const struct bluez_reply *r, int64_t ms)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_BLUEZ);

	runlog_add_central(b, path_central(e, path));
	log_add_str(b, LOG_KEY_EVENT, log_bluez_to_str(LOG_BLUEZ_REPLY));
	log_add_str(b, LOG_KEY_METHOD, bluez_op_to_str(op));
	log_add_str(b, LOG_KEY_PATH, path);
	log_add_bool(b, LOG_KEY_OK, r->error == NULL);
	if (r->error_name || r->error) {
		log_add_str(b, LOG_KEY_ERROR,
			r->error_name ? r->error_name : BC_ERR_BAD_REPLY);
		log_add_str(b, LOG_KEY_MESSAGE,
			r->error_text ? r->error_text :
			r->error      ? r->error->message :
					NULL);
	}
	log_add_int(b, LOG_KEY_MS, ms);
	evlog_end(e->log, b);
}

void runlog_model(struct engine *e, struct central *c,
	const struct model_event *ev)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_BLUEZ);

	runlog_add_central(b, c);
	switch (ev->type) {
	case MODEL_EVENT_PROP_CHANGED:
		log_add_str(b, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_PROPERTY));
		break;
	case MODEL_EVENT_IFACE_ADDED:
		log_add_str(b, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_ADDED));
		break;
	case MODEL_EVENT_IFACE_REMOVED:
		log_add_str(b, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_REMOVED));
		break;
	case MODEL_EVENT_SIGNAL:
		log_add_str(b, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_SIGNAL));
		break;
	case MODEL_EVENT_RESET:
		log_add_str(b, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_RESET));
		break;
	case MODEL_EVENT_SYNCED:
		log_add_str(b, LOG_KEY_EVENT,
			log_bluez_to_str(LOG_BLUEZ_SYNCED));
		break;
	}
	log_add_str(b, LOG_KEY_PATH, ev->path);
	log_add_str(b, LOG_KEY_IFACE, ev->iface);
	if (ev->name)
		log_add_str(b, LOG_KEY_NAME, ev->name);
	if (ev->value) {
		log_add_node(b, LOG_KEY_VALUE, evlog_variant(ev->value));
	}
	evlog_end(e->log, b);
}

void runlog_agent_request(struct engine *e, const struct engine_agent_event *ev)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_AGENT);

	runlog_add_central(b, central_of_path(e, ev->device));
	log_add_str(b, LOG_KEY_METHOD, ev->method);
	log_add_str(b, LOG_KEY_DEVICE, ev->device);
	if (!strcmp(ev->method, "RequestConfirmation") ||
		!strcmp(ev->method, "DisplayPasskey"))
		log_add_int(b, LOG_KEY_PASSKEY, ev->passkey);
	log_add_bool(b, LOG_KEY_FOREIGN, ev->foreign);
	log_add_bool(b, LOG_KEY_ACCEPTED, ev->accepted);
	log_add_str(b, LOG_KEY_ANSWER, ev->answer);
	evlog_end(e->log, b);
}

void runlog_agent(struct engine *e, const char *event, const GError *error)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_AGENT);

	log_add_str(b, LOG_KEY_EVENT, event);
	log_add_str(b, LOG_KEY_CAPABILITY, e->agent_cap);
	if (error)
		log_add_str(b, LOG_KEY_ERROR, error->message);
	evlog_end(e->log, b);
}

void runlog_hci(struct engine *e, struct central *c,
	const struct engine_hci_event *ev)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_HCI);

	runlog_add_central(b, c);
	log_add_str(b, LOG_KEY_EVENT, ev->what);
	log_add_str(b, LOG_KEY_ADDRESS, ev->address);
	if (ev->status >= 0)
		log_add_int(b, LOG_KEY_STATUS, ev->status);
	if (ev->reason >= 0)
		log_add_int(b, LOG_KEY_REASON, ev->reason);
	if (ev->own_address_type >= 0)
		log_add_int(b, LOG_KEY_OWN_ADDRESS_TYPE, ev->own_address_type);
	if (ev->own_address)
		log_add_str(b, LOG_KEY_OWN_ADDRESS, ev->own_address);
	log_add_str(b, LOG_KEY_TEXT, ev->text);
	evlog_end(e->log, b);
}

void runlog_sim(struct engine *e, struct central *c, JsonNode *trace)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_SIM);

	runlog_add_central(b, c);
	log_add_node(b, LOG_KEY_TRACE, trace);
	evlog_end(e->log, b);
}
