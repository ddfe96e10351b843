/* SPDX-License-Identifier: MIT */
/*
 * engine.c — the scenario engine.
 *
 * Owns the run: the program counter over the step tree, the per-step state
 * machine, the evidence of the current step, the subscriptions it holds, and
 * the run log's step and run events. Talks to the world only through the
 * operation tables of engine.h. Never sleeps: every wait is a model event,
 * a reply, or a clock timeout. One step at a time; the first failing step
 * ends the run (later steps would only repeat its failure).
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/engine.h"
#include "bondcheck/names.h"

#define CALL_SLACK_MS 5000
#define CLEANUP_TIMEOUT_MS 3000
#define MAX_EVIDENCE 40
/* after a failed link, evidence (Disconnected reason, HCI) may still come */
#define LINK_SETTLE_MS 200

enum engine_state {
	ENGINE_STATE_IDLE,
	ENGINE_STATE_WAITING,      /* for bluetoothd, the adapter, the agent */
	ENGINE_STATE_RUNNING,
	ENGINE_STATE_FINISHING,
	ENGINE_STATE_DONE,
};

static const char *engine_state_to_str(enum engine_state s)
{
	switch (s) {
	case ENGINE_STATE_IDLE: return "idle";
	case ENGINE_STATE_WAITING: return "waiting";
	case ENGINE_STATE_RUNNING: return "running";
	case ENGINE_STATE_FINISHING: return "finishing";
	case ENGINE_STATE_DONE: return "done";
	}
	return "unknown";
}

struct frame {
	GPtrArray *steps;
	guint index;
	unsigned iter;
	unsigned count;
	bool repeat;
};

struct sub {
	char *uuid;
	bool active;             /* our StartNotify session exists */
	bool dropped;            /* ...and we dropped it at a link loss */
	unsigned notifications;  /* since the session (re)started */
};

typedef void (*reply_fn)(struct engine *e, const struct bluez_reply *r);

struct call {
	struct engine *e;
	guint gen;
	reply_fn fn;
	enum bluez_op op;
	char *path;
	int64_t start_us;
	guint id;
};

struct step {
	const struct scn_step *s;
	guint gen;
	int phase;
	int64_t start_us;
	guint timer;
	guint aux_timer;
	char iteration[64];
	/* evidence */
	GPtrArray *timeline;
	GPtrArray *agent;
	GPtrArray *traces;
	GPtrArray *hci;
	char *err_name;
	char *err_text;
	JsonBuilder *extra;      /* extra evidence members */
	/* link steps */
	bool link;
	bool settling;
	struct link_obs obs;
	/* reboot */
	enum scn_via via;
	bool was_connected;
	int64_t trigger_us;
	guint trigger_id;
	/* gatt */
	char *chr;
	bool chr_wait;           /* its object vanished: waiting for it */
	unsigned chr_moves;
	bool read_pending;
	bool link_dropped;
	bool pairing_seen;
	struct sub *sub;
	/* pair */
	bool want_bond;
};

struct engine {
	bool run_start_written;
	GPtrArray *early_notes;  /* what, text, ... before run-start */
	struct engine_config cfg;
	struct engine_env env;
	struct scenario *scn;
	struct evlog *log;
	enum engine_state state;
	guint watch;
	engine_finished_fn finished;
	void *finished_data;

	/* where we are */
	struct frame stack[SCN_MAX_DEPTH + 2];
	int depth;
	struct step st;
	guint gen;
	unsigned started;
	unsigned passed;
	int64_t run_start_us;
	guint ready_timer;
	guint kick;

	/* what we know about the world */
	bool bluez_ok;
	bool bus_lost;
	char *adapter;
	char *dev_path;
	char *dev_address;
	char *dut_name;
	bool registered;
	char *agent_cap;
	bool pairable_saved;
	bool pairable_orig;
	bool discovering;        /* our discovery session */
	int64_t dut_seen_us;
	int64_t reboot_mark_us;
	GHashTable *known;       /* device paths before a reboot trigger */
	GHashTable *subs;        /* uuid -> struct sub */
	GList *calls;            /* struct call in flight */
	bool noted_paired_only;

	/* the end */
	struct engine_result result;
	char *message;
	bool interrupted;
	int cleanup;
};

const char *engine_outcome_to_str(enum engine_outcome o)
{
	switch (o) {
	case ENGINE_OUTCOME_PASSED: return "passed";
	case ENGINE_OUTCOME_FAILED: return "failed";
	case ENGINE_OUTCOME_ERROR: return "error";
	case ENGINE_OUTCOME_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}

static void enter_state(struct engine *e, enum engine_state s)
{
	g_debug("engine: %s -> %s", engine_state_to_str(e->state),
		engine_state_to_str(s));
	e->state = s;
}

/* ---- time and logging --------------------------------------------------- */

static int64_t now(struct engine *e)
{
	return e->env.clock->now_us(e->env.clock_data);
}

static int64_t log_clock(void *data)
{
	return now(data);
}

static int64_t step_ms(struct engine *e)
{
	return (now(e) - e->st.start_us) / 1000;
}

static void add_str(JsonBuilder *b, const char *k, const char *v)
{
	json_builder_set_member_name(b, k);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void add_int(JsonBuilder *b, const char *k, int64_t v)
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

G_GNUC_PRINTF(2, 3)
static void timeline(struct engine *e, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!e->st.s || e->st.timeline->len >= MAX_EVIDENCE * 4)
		return;
	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(e->st.timeline, g_strdup_printf("+%" G_GINT64_FORMAT
		"ms %s", step_ms(e), s));
	g_free(s);
}

static void extra_str(struct engine *e, const char *k, const char *v)
{
	add_str(e->st.extra, k, v);
}

static void extra_int(struct engine *e, const char *k, int64_t v)
{
	add_int(e->st.extra, k, v);
}

/* ---- device ------------------------------------------------------------- */

static const char *dut(struct engine *e)
{
	const char *p = NULL;

	if (!e->adapter)
		return NULL;
	if (e->dev_address)
		p = bluez_find_device(e->env.model, e->adapter, e->dev_address);
	if (p && (!e->dev_path || strcmp(p, e->dev_path))) {
		g_free(e->dev_path);
		e->dev_path = g_strdup(p);
	}
	if (!p && e->dev_path && !model_has(e->env.model, e->dev_path,
				       BLUEZ_IFACE_DEVICE)) {
		g_free(e->dev_path);
		e->dev_path = NULL;
	}
	return p;
}

static bool dev_bool(struct engine *e, const char *name)
{
	bool v = false;
	const char *p = dut(e);

	return p && model_bool(e->env.model, p, BLUEZ_IFACE_DEVICE, name, &v) &&
	       v;
}

static bool dut_bonded(struct engine *e)
{
	bool from_paired = false;
	const char *p = dut(e);
	bool b = p && bluez_device_bonded(e->env.model, p, &from_paired);

	if (p && from_paired && !e->noted_paired_only) {
		JsonBuilder *n = evlog_begin(e->log, "note");

		e->noted_paired_only = true;
		add_str(n, "what", "no-bonded-property");
		add_str(n, "text", "this BlueZ has no Bonded property (< 5.65):"
			" Paired stands for the bond");
		evlog_end(e->log, n);
	}
	return b;
}

/* The DUT, once found: remember who it is and tell the agent. */
static void adopt(struct engine *e, const char *path)
{
	const char *addr = model_str(e->env.model, path, BLUEZ_IFACE_DEVICE,
		"Address");
	const char *name = model_str(e->env.model, path, BLUEZ_IFACE_DEVICE,
		"Name");
	char *old = e->dev_path;

	/* @path may be e->dev_path itself: copy before letting go */
	e->dev_path = g_strdup(path);
	g_free(old);
	if (addr && !e->dev_address)
		e->dev_address = g_strdup(addr);
	if (name && !e->dut_name)
		e->dut_name = g_strdup(name);
	e->env.agent->set_target(e->env.agent_data, e->dev_path);
}

/* ---- calls -------------------------------------------------------------- */

static void call_free(void *data)
{
	struct call *c = data;

	c->e->calls = g_list_remove(c->e->calls, c);
	g_free(c->path);
	g_free(c);
}

static void on_reply(const struct bluez_reply *r, void *data)
{
	struct call *c = data;
	struct engine *e = c->e;
	JsonBuilder *b = evlog_begin(e->log, "bluez");

	add_str(b, "event", "reply");
	add_str(b, "method", bluez_op_to_str(c->op));
	add_str(b, "path", c->path);
	add_bool(b, "ok", r->error == NULL);
	if (r->error_name || r->error) {
		add_str(b, "error", r->error_name ? r->error_name :
						    "org.bondcheck.Error.BadReply");
		add_str(b, "message", r->error_text ? r->error_text :
						      r->error->message);
	}
	add_int(b, "ms", (now(e) - c->start_us) / 1000);
	evlog_end(e->log, b);

	if (c->gen != e->gen || !c->fn)
		return;
	if (e->st.s)
		timeline(e, "%s -> %s%s%s", bluez_op_to_str(c->op),
			r->error ? (r->error_name ? r->error_name : "error") :
				   "ok",
			r->error_text ? ": " : "",
			r->error_text ? r->error_text : "");
	if (r->error && e->st.s && !e->st.err_name) {
		e->st.err_name = g_strdup(r->error_name ? r->error_name :
							  "org.bondcheck.Error.BadReply");
		e->st.err_text = g_strdup(r->error_text ? r->error_text :
							  r->error->message);
	}
	c->fn(e, r);
}

static void call(struct engine *e, enum bluez_op op, const char *path,
	GVariant *arg, reply_fn fn)
{
	struct call *c = g_new0(struct call, 1);
	JsonBuilder *b = evlog_begin(e->log, "bluez");
	int64_t timeout = e->st.s && e->st.s->timeout_ms ?
		e->st.s->timeout_ms + CALL_SLACK_MS : 25000;

	add_str(b, "event", "call");
	add_str(b, "method", bluez_op_to_str(op));
	add_str(b, "path", path);
	evlog_end(e->log, b);
	c->e = e;
	c->gen = e->gen;
	c->fn = fn;
	c->op = op;
	c->path = g_strdup(path);
	c->start_us = now(e);
	e->calls = g_list_prepend(e->calls, c);
	c->id = e->env.bluez->call(e->env.bluez_data, op, path, arg,
		(int)timeout, on_reply, c, call_free);
}

/* ---- forward declarations ----------------------------------------------- */

static void step_pass(struct engine *e);
static void step_fail(struct engine *e, enum verdict v, enum confidence c,
	const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void finish(struct engine *e, enum engine_outcome o);
static void next_step(struct engine *e);
static void log_agent(struct engine *e, const char *event, const GError *error);

/* ---- discovery ---------------------------------------------------------- */

static void after_discovery(struct engine *e, const struct bluez_reply *r);

static void discovery_started(struct engine *e, const struct bluez_reply *r)
{
	/* InProgress: our own session is already running */
	if (!r->error || r->error->code == BCERROR_IN_PROGRESS)
		e->discovering = true;
	after_discovery(e, r);
}

static void filter_set(struct engine *e, const struct bluez_reply *r)
{
	(void)r;   /* an adapter without filters still discovers */
	call(e, BLUEZ_OP_START_DISCOVERY, e->adapter, NULL, discovery_started);
}

static void start_discovery(struct engine *e)
{
	GVariantBuilder f;

	if (e->discovering) {
		struct bluez_reply ok = { NULL, NULL, NULL, NULL };

		after_discovery(e, &ok);
		return;
	}
	g_variant_builder_init(&f, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&f, "{sv}", "Transport", g_variant_new_string("le"));
	call(e, BLUEZ_OP_SET_DISCOVERY_FILTER, e->adapter,
		g_variant_builder_end(&f), filter_set);
}

static void discovery_stopped(struct engine *e, const struct bluez_reply *r);

static void stop_discovery(struct engine *e)
{
	if (!e->discovering) {
		struct bluez_reply ok = { NULL, NULL, NULL, NULL };

		discovery_stopped(e, &ok);
		return;
	}
	e->discovering = false;
	call(e, BLUEZ_OP_STOP_DISCOVERY, e->adapter, NULL, discovery_stopped);
}

/* ---- the step lifecycle ------------------------------------------------- */

static void step_clear(struct engine *e)
{
	struct step *st = &e->st;

	if (st->timer)
		e->env.clock->cancel(e->env.clock_data, st->timer);
	if (st->aux_timer)
		e->env.clock->cancel(e->env.clock_data, st->aux_timer);
	if (st->trigger_id)
		e->env.trigger->cancel(e->env.trigger_data, st->trigger_id);
	if (st->timeline)
		g_ptr_array_free(st->timeline, TRUE);
	if (st->agent)
		g_ptr_array_free(st->agent, TRUE);
	if (st->traces)
		g_ptr_array_free(st->traces, TRUE);
	if (st->hci)
		g_ptr_array_free(st->hci, TRUE);
	if (st->extra)
		g_object_unref(st->extra);
	g_free(st->err_name);
	g_free(st->err_text);
	g_free(st->chr);
	memset(st, 0, sizeof(*st));
	/* callbacks of the finished step are void from now on */
	e->gen++;
}

static void iteration_label(struct engine *e, char *buf, size_t n)
{
	buf[0] = '\0';
	for (int i = 0; i < e->depth; i++) {
		char part[24];

		if (!e->stack[i].repeat)
			continue;
		g_snprintf(part, sizeof(part), "%s%u/%u", *buf ? "," : "",
			e->stack[i].iter, e->stack[i].count);
		g_strlcat(buf, part, n);
	}
}

static void add_iteration(struct engine *e, JsonBuilder *b)
{
	json_builder_set_member_name(b, "iteration");
	json_builder_begin_array(b);
	for (int i = 0; i < e->depth; i++)
		if (e->stack[i].repeat)
			json_builder_add_int_value(b, e->stack[i].iter);
	json_builder_end_array(b);
}

static void write_step_end(struct engine *e, const char *result,
	enum verdict v, enum confidence c, const char *message)
{
	struct step *st = &e->st;
	JsonBuilder *b = evlog_begin(e->log, "step-end");
	JsonNode *extra;

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
	if (st->obs.reason)
		add_str(b, "disconnected_reason", st->obs.reason);
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
	/* the step's own figures (latency, link loss, CCCD, ...) */
	json_builder_end_object(st->extra);
	extra = json_builder_get_root(st->extra);
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
	json_builder_end_object(b);
	evlog_end(e->log, b);
}

static gboolean kick_next(gpointer data)
{
	struct engine *e = data;

	e->kick = 0;
	next_step(e);
	return G_SOURCE_REMOVE;
}

static void schedule_next(struct engine *e)
{
	/* from a clean stack: never recurse step into step */
	if (!e->kick)
		e->kick = e->env.clock->timeout(e->env.clock_data, 0, kick_next,
			e);
}

static void step_pass(struct engine *e)
{
	if (!e->st.s)
		return;
	write_step_end(e, "pass", VERDICT_PASS, CONFIDENCE_NONE, NULL);
	e->passed++;
	step_clear(e);
	schedule_next(e);
}

static void step_fail(struct engine *e, enum verdict v, enum confidence c,
	const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!e->st.s)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	write_step_end(e, v == VERDICT_ENVIRONMENT_ERROR ? "error" : "fail", v,
		c, msg);
	e->result.verdict = v;
	e->result.confidence = c;
	e->result.fail_line = e->st.s->line;
	g_free(e->message);
	e->message = g_strdup_printf("%s at %s:%d (%s%s%s): %s",
		verdict_to_str(v), e->scn->file ? e->scn->file : "scenario",
		e->st.s->line, scn_step_type_to_str(e->st.s->type),
		*e->st.iteration ? ", iteration " : "", e->st.iteration, msg);
	g_free(msg);
	step_clear(e);
	finish(e, v == VERDICT_ENVIRONMENT_ERROR ? ENGINE_OUTCOME_ERROR :
						  ENGINE_OUTCOME_FAILED);
}

/* ---- program counter ---------------------------------------------------- */

static const struct scn_step *fetch(struct engine *e)
{
	while (e->depth > 0) {
		struct frame *f = &e->stack[e->depth - 1];

		if (f->index < f->steps->len) {
			const struct scn_step *s = g_ptr_array_index(f->steps,
				f->index++);

			if (s->type != SCN_STEP_REPEAT)
				return s;
			e->stack[e->depth++] = (struct frame){ s->children, 0, 1,
				s->count, true };
			continue;
		}
		if (f->repeat && f->iter < f->count) {
			f->iter++;
			f->index = 0;
			continue;
		}
		e->depth--;
	}
	return NULL;
}

static void step_start(struct engine *e, const struct scn_step *s);

static void next_step(struct engine *e)
{
	const struct scn_step *s;

	if (e->state != ENGINE_STATE_RUNNING)
		return;
	s = fetch(e);
	if (!s) {
		finish(e, ENGINE_OUTCOME_PASSED);
		return;
	}
	step_start(e, s);
}

static gboolean step_timeout(gpointer data);

static void arm_timeout(struct engine *e, int64_t ms)
{
	if (e->st.timer)
		e->env.clock->cancel(e->env.clock_data, e->st.timer);
	e->st.timer = ms > 0 ? e->env.clock->timeout(e->env.clock_data, ms,
				       step_timeout, e) : 0;
}

/* ---- link steps: connect, reconnect ------------------------------------- */

static void link_evaluate(struct engine *e);

static void connect_reply(struct engine *e, const struct bluez_reply *r)
{
	struct link_obs *o = &e->st.obs;

	o->replied = true;
	o->reply_ok = r->error == NULL;
	o->error_name = e->st.err_name;
	o->error_text = e->st.err_text;
	link_evaluate(e);
}

static void link_finish_fail(struct engine *e)
{
	struct link_obs *o = &e->st.obs;
	enum confidence c;
	const char *why;
	enum verdict v;

	o->error_name = e->st.err_name;
	o->error_text = e->st.err_text;
	v = verdict_classify_link(o, &c, &why);
	if (v == VERDICT_PASS) {
		/* the rules found nothing wrong, but the step did not pass */
		v = VERDICT_RECONNECT_TIMEOUT;
		c = CONFIDENCE_INFERRED;
		why = "the connection did not complete";
	}
	extra_str(e, "rule", why);
	step_fail(e, v, c, "%s", why);
}

static gboolean link_settled(gpointer data)
{
	struct engine *e = data;

	e->st.aux_timer = 0;
	link_finish_fail(e);
	return G_SOURCE_REMOVE;
}

/* The attempt failed: collect what BlueZ and the kernel say next, then
 * classify. */
static void link_failed(struct engine *e)
{
	if (e->st.settling)
		return;
	e->st.settling = true;
	e->st.aux_timer = e->env.clock->timeout(e->env.clock_data,
		LINK_SETTLE_MS, link_settled, e);
}

static void link_evaluate(struct engine *e)
{
	struct link_obs *o = &e->st.obs;
	bool connected = dev_bool(e, "Connected");

	if (!e->st.link || e->st.settling)
		return;
	if (o->bond_lost || o->identity_changed) {
		link_failed(e);
		return;
	}
	if (!o->replied)
		return;   /* everything BlueZ says comes before its reply */
	if (o->reply_ok && !o->dropped && connected && o->resolved &&
	    !(o->pairing_requested && o->bonded)) {
		extra_int(e, "latency_ms", step_ms(e));
		step_pass(e);
		return;
	}
	if (o->reply_ok && connected && !o->dropped &&
	    !(o->pairing_requested && o->bonded))
		return;   /* services still resolving: wait (or drop) */
	link_failed(e);
}

static void start_link(struct engine *e, bool reconnect)
{
	struct link_obs *o = &e->st.obs;
	const char *p = dut(e);

	link_obs_init(o);
	e->st.link = true;
	if (!p) {
		if (reconnect && e->dev_address) {
			o->bond_lost = true;
			timeline(e, "the device object is gone from BlueZ");
			link_finish_fail(e);
			return;
		}
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT is not known to BlueZ yet: add a scan step "
			"before this one");
		return;
	}
	o->bonded = dut_bonded(e);
	if (reconnect && !o->bonded) {
		o->bond_lost = true;
		timeline(e, "the host holds no bond for the DUT");
		link_finish_fail(e);
		return;
	}
	o->dut_advertised = e->dut_seen_us && e->dut_seen_us >= e->reboot_mark_us;
	if (dev_bool(e, "Connected") && dev_bool(e, "ServicesResolved")) {
		timeline(e, "already connected");
		step_pass(e);
		return;
	}
	/* a new pairing during a bonded reconnect is a finding, not a step */
	e->env.agent->set_policy(e->env.agent_data, !o->bonded, -1);
	e->st.phase = 1;
	stop_discovery(e);
}

static void link_discovery_stopped(struct engine *e)
{
	e->st.phase = 2;
	call(e, BLUEZ_OP_CONNECT, dut(e), NULL, connect_reply);
}

/* ---- scan --------------------------------------------------------------- */

static bool dut_in_range(struct engine *e, const char **path)
{
	const char *p;

	if (!e->adapter)
		return false;
	p = e->dev_address ? bluez_find_device(e->env.model, e->adapter,
				    e->dev_address) :
		e->cfg.device_name ? bluez_find_device_by_name(e->env.model,
					   e->adapter, e->cfg.device_name) :
				     NULL;
	*path = p;
	return p && model_prop(e->env.model, p, BLUEZ_IFACE_DEVICE, "RSSI");
}

static void scan_seen(struct engine *e, const char *path)
{
	adopt(e, path);   /* @path may be freed now: use e->dev_path */
	e->dut_seen_us = now(e);
	timeline(e, "%s advertises (%s)", e->dev_address ? e->dev_address : "",
		e->dev_path);
	extra_str(e, "address", e->dev_address);
	e->st.phase = 3;
	stop_discovery(e);
}

static void scan_start(struct engine *e)
{
	const char *p;

	if (dut_in_range(e, &p)) {
		scan_seen(e, p);
		return;
	}
	e->st.phase = 1;
	start_discovery(e);
}

/* ---- pair ---------------------------------------------------------------- */

static void pair_reply(struct engine *e, const struct bluez_reply *r);

static void pair_call(struct engine *e)
{
	e->env.agent->set_target(e->env.agent_data, dut(e));
	e->env.agent->set_policy(e->env.agent_data, true, e->st.s->passkey);
	e->st.phase = 6;
	call(e, BLUEZ_OP_PAIR, dut(e), NULL, pair_reply);
}

static void pairable_set(struct engine *e, const struct bluez_reply *r)
{
	if (r->error) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"cannot set the adapter's Pairable: %s",
			r->error->message);
		return;
	}
	pair_call(e);
}

static void pair_agent_ready(const GError *error, void *data)
{
	struct engine *e = data;

	if (!e->st.s || e->st.s->type != SCN_STEP_PAIR || e->st.phase != 4)
		return;
	log_agent(e, error ? "register-failed" : "registered", error);
	if (error) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"cannot register the agent: %s", error->message);
		return;
	}
	e->st.phase = 5;
	if (!e->pairable_saved) {
		bool v = false;

		model_bool(e->env.model, e->adapter, BLUEZ_IFACE_ADAPTER,
			"Pairable", &v);
		e->pairable_orig = v;
		e->pairable_saved = true;
	}
	call(e, BLUEZ_OP_SET_PAIRABLE, e->adapter,
		g_variant_new_boolean(e->st.want_bond), pairable_set);
}

static void pair_ready(struct engine *e)
{
	const char *io = e->st.s->io ? e->st.s->io : SCN_DEFAULT_IO;

	e->st.phase = 4;
	if (g_strcmp0(io, e->agent_cap) != 0) {
		g_free(e->agent_cap);
		e->agent_cap = g_strdup(io);
		timeline(e, "agent re-registered as %s", io);
		e->env.agent->register_agent(e->env.agent_data, io,
			pair_agent_ready, e);
		return;
	}
	pair_agent_ready(NULL, e);
}

static void pair_check(struct engine *e)
{
	bool paired = dev_bool(e, "Paired");
	bool from_paired = false;
	bool bonded = dut(e) && bluez_device_bonded(e->env.model, dut(e),
		&from_paired);

	if (!paired) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"Pair() succeeded but Paired is not true");
		return;
	}
	if (!from_paired && bonded != e->st.want_bond) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"paired with bond=%s, but Bonded is %s",
			e->st.want_bond ? "yes" : "no", bonded ? "true" : "false");
		return;
	}
	extra_str(e, "io", e->agent_cap);
	extra_int(e, "pairing_ms", step_ms(e));
	step_pass(e);
}

static void pair_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"pairing failed: %s%s%s",
			r->error_name ? r->error_name : r->error->message,
			r->error_text ? " " : "",
			r->error_text ? r->error_text : "");
		return;
	}
	pair_check(e);
}

static void removed_for_pair(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && r->error->code != BCERROR_DOES_NOT_EXIST) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"cannot remove the old bond: %s", r->error->message);
		return;
	}
	/* wait for InterfacesRemoved, then find it again */
	e->st.phase = 2;
	if (!dut(e)) {
		e->st.phase = 3;
		start_discovery(e);
	}
}

static void pair_start(struct engine *e)
{
	const char *p = dut(e);

	e->st.want_bond = e->st.s->bond;
	if (!p) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT is not known to BlueZ yet: add a scan step "
			"before this one");
		return;
	}
	if (dev_bool(e, "Paired") || dut_bonded(e)) {
		/* a fresh bond: BlueZ needs the old one removed first */
		timeline(e, "already paired: removing the host's bond first");
		e->st.phase = 1;
		call(e, BLUEZ_OP_REMOVE_DEVICE, e->adapter,
			g_variant_new_object_path(p), removed_for_pair);
		return;
	}
	e->st.phase = 3;
	stop_discovery(e);
}

/* ---- reboot ------------------------------------------------------------- */

static enum scn_via choose_via(struct engine *e)
{
	const char *p = dut(e);

	if (e->cfg.reboot_cmd)
		return SCN_VIA_COMMAND;
	if (e->st.s->via_given)
		return e->st.s->via;
	if (e->cfg.sim)
		return SCN_VIA_SIM;
	if (p && bluez_find_chrc(e->env.model, p, SCN_REBOOT_UUID))
		return SCN_VIA_GATT;
	return SCN_VIA_MANUAL;
}

static void reboot_wait_adverts(struct engine *e)
{
	e->st.phase = 3;
	e->reboot_mark_us = e->st.trigger_us;
	start_discovery(e);
}

static void reboot_triggered(struct engine *e)
{
	JsonBuilder *b = evlog_begin(e->log, "trigger");

	add_str(b, "via", scn_via_to_str(e->st.via));
	add_str(b, "event", "done");
	evlog_end(e->log, b);
	if (e->st.phase != 1)
		return;
	if (e->st.was_connected && dev_bool(e, "Connected")) {
		e->st.phase = 2;  /* wait for the link to drop */
		return;
	}
	reboot_wait_adverts(e);
}

static void trigger_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && e->st.via == SCN_VIA_SIM) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"Sim1.Reboot failed: %s", r->error->message);
		return;
	}
	/* via=gatt: the DUT may reset before it answers the write */
	if (r->error)
		timeline(e, "the reboot write got no answer (%s): expected if "
			"the DUT reset at once", r->error->message);
	reboot_triggered(e);
}

static void trigger_line(const char *stream, const char *line, void *data)
{
	struct engine *e = data;
	JsonBuilder *b = evlog_begin(e->log, "trigger");

	add_str(b, "via", "command");
	add_str(b, "stream", stream);
	add_str(b, "line", line);
	evlog_end(e->log, b);
}

static void trigger_done(int status, const GError *error, void *data)
{
	struct engine *e = data;
	JsonBuilder *b;

	if (!e->st.s || e->st.s->type != SCN_STEP_REBOOT)
		return;
	e->st.trigger_id = 0;
	b = evlog_begin(e->log, "trigger");
	add_str(b, "via", scn_via_to_str(e->st.via));
	add_str(b, "event", "exit");
	add_int(b, "status", status);
	if (error)
		add_str(b, "error", error->message);
	evlog_end(e->log, b);
	if (error) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"the reboot %s failed: %s",
			e->st.via == SCN_VIA_SERIAL ? "port" : "command",
			error->message);
		return;
	}
	extra_int(e, "trigger_status", status);
	if (status != 0)
		timeline(e, "the reboot command exited with %d", status);
	reboot_triggered(e);
}

static GBytes *default_serial_bytes(void)
{
	/* interrupt a running program, then a hard reset from the REPL */
	static const char s[] = "\x03\x03import machine; machine.reset()\r";

	return g_bytes_new_static(s, sizeof(s) - 1);
}

static void reboot_trigger(struct engine *e)
{
	const struct scn_step *s = e->st.s;
	JsonBuilder *b = evlog_begin(e->log, "trigger");
	const char *p = dut(e);

	add_str(b, "via", scn_via_to_str(e->st.via));
	add_str(b, "event", "start");
	evlog_end(e->log, b);
	e->st.phase = 1;
	e->st.trigger_us = now(e);
	e->st.was_connected = dev_bool(e, "Connected");
	e->reboot_mark_us = e->st.trigger_us;
	/* devices seen before: a newcomer with the DUT's name is the DUT */
	g_hash_table_remove_all(e->known);
	{
		GPtrArray *all = model_find(e->env.model, BLUEZ_IFACE_DEVICE,
			e->adapter);

		for (guint i = 0; i < all->len; i++)
			g_hash_table_add(e->known,
				g_strdup(g_ptr_array_index(all, i)));
		g_ptr_array_free(all, TRUE);
	}
	timeline(e, "trigger via %s (link %s)", scn_via_to_str(e->st.via),
		e->st.was_connected ? "up" : "down");

	switch (e->st.via) {
	case SCN_VIA_SIM: {
		char *sim = bluez_sim_path(e->adapter);

		call(e, BLUEZ_OP_SIM_REBOOT, sim, NULL, trigger_reply);
		g_free(sim);
		break;
	}
	case SCN_VIA_GATT: {
		const char *uuid = s->uuid ? s->uuid : SCN_REBOOT_UUID;
		const char *chr = p ? bluez_find_chrc(e->env.model, p, uuid) :
				      NULL;
		GBytes *v = s->value ? g_bytes_ref(s->value) :
				       g_bytes_new_static("\x01", 1);
		gsize n;
		const guint8 *d = g_bytes_get_data(v, &n);

		if (!chr || !e->st.was_connected) {
			g_bytes_unref(v);
			step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
				"reboot via=gatt needs a connection and the "
				"characteristic %s", uuid);
			return;
		}
		call(e, BLUEZ_OP_WRITE, chr, g_variant_new("(@ays)",
			g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, d, n, 1),
			"request"), trigger_reply);
		g_bytes_unref(v);
		break;
	}
	case SCN_VIA_COMMAND:
		e->st.trigger_id = e->env.trigger->command(e->env.trigger_data,
			e->cfg.reboot_cmd ? e->cfg.reboot_cmd : s->cmd,
			trigger_line, trigger_done, e);
		break;
	case SCN_VIA_SERIAL: {
		GBytes *bytes = s->send ? g_bytes_ref(s->send) :
					  default_serial_bytes();

		e->st.trigger_id = e->env.trigger->serial(e->env.trigger_data,
			s->port, s->baud, bytes, trigger_done, e);
		g_bytes_unref(bytes);
		break;
	}
	case SCN_VIA_MANUAL:
		e->env.trigger->prompt(e->env.trigger_data,
			"Reboot the device now (reset button or power cycle). "
			"Waiting for it to drop the link and advertise "
			"again...");
		reboot_triggered(e);
		break;
	}
}

static void reboot_start(struct engine *e)
{
	e->st.via = choose_via(e);
	extra_str(e, "via", scn_via_to_str(e->st.via));
	e->st.phase = 0;
	/* discovery off: RSSI is invalidated, so its return is visible */
	stop_discovery(e);
}

static void reboot_back(struct engine *e)
{
	e->dut_seen_us = now(e);
	extra_int(e, "advertising_after_ms",
		(e->dut_seen_us - e->st.trigger_us) / 1000);
	timeline(e, "advertising again");
	e->st.phase = 4;
	stop_discovery(e);
}

/* ---- GATT steps --------------------------------------------------------- */

static const char *find_chr(struct engine *e, const char *uuid)
{
	const char *p = dut(e);

	return p ? bluez_find_chrc(e->env.model, p, uuid) : NULL;
}

static bool need_chr(struct engine *e)
{
	const char *c = find_chr(e, e->st.s->uuid);

	if (c) {
		e->st.chr = g_strdup(c);
		return true;
	}
	step_fail(e, VERDICT_GATT_ERROR, CONFIDENCE_NONE,
		"the DUT has no characteristic %s%s", e->st.s->uuid,
		dev_bool(e, "ServicesResolved") ? "" :
			" (not connected, or services not resolved yet)");
	return false;
}

#define GATT_MAX_MOVES 3

static void read_start(struct engine *e);
static void write_start(struct engine *e);
static void subscribe_start(struct engine *e);
static void expect_notify_start(struct engine *e);

/* The step's GATT operation, again, on the characteristic as it is now. */
static void gatt_restart(struct engine *e)
{
	e->st.chr_wait = false;
	g_clear_pointer(&e->st.chr, g_free);
	switch (e->st.s->type) {
	case SCN_STEP_READ:
		read_start(e);
		break;
	case SCN_STEP_WRITE:
		write_start(e);
		break;
	case SCN_STEP_SUBSCRIBE:
		subscribe_start(e);
		break;
	case SCN_STEP_EXPECT_NOTIFY:
		expect_notify_start(e);
		break;
	case SCN_STEP_SCAN:
	case SCN_STEP_CONNECT:
	case SCN_STEP_PAIR:
	case SCN_STEP_TRUST:
	case SCN_STEP_DISCONNECT:
	case SCN_STEP_REBOOT:
	case SCN_STEP_RECONNECT:
	case SCN_STEP_EXPECT:
	case SCN_STEP_REMOVE_BOND:
	case SCN_STEP_SLEEP:
	case SCN_STEP_REPEAT:
		break;
	}
}

/*
 * The object was gone when BlueZ got the call: the DUT's services changed
 * (Service Changed, or a new database hash) and BlueZ replaced its GATT
 * objects under new handles. Real bluetoothd does this right after pairing
 * when the DUT's database changed since it was cached. Not the DUT's fault:
 * wait, within the step's timeout, for the characteristic to come back and
 * do the operation again on it.
 */
static bool gatt_moved(struct engine *e, const struct bluez_reply *r)
{
	const char *now;

	bool gone = r->error_name &&
		(!strcmp(r->error_name, DBUS_ERR_UNKNOWN_OBJECT) ||
		 !strcmp(r->error_name, DBUS_ERR_UNKNOWN_METHOD));
	/* the handle BlueZ still had is no longer the DUT's: ATT 0x01 */
	bool stale = r->error_text &&
		strstr(r->error_text, "ATT error: 0x01") != NULL;

	if ((!gone && !stale) || e->st.chr_moves >= GATT_MAX_MOVES ||
	    !e->st.chr)
		return false;
	e->st.chr_moves++;
	extra_int(e, "gatt_objects_replaced", e->st.chr_moves);
	timeline(e, "%s is %s (the DUT's services changed); waiting for the "
		    "characteristic to come back", e->st.chr,
		gone ? "gone" : "stale (ATT: Invalid Handle)");
	now = find_chr(e, e->st.s->uuid);
	if (now && strcmp(now, e->st.chr) != 0) {
		gatt_restart(e);
		return true;
	}
	e->st.chr_wait = true;
	return true;
}

static void gatt_failed(struct engine *e, const struct bluez_reply *r,
	const char *what)
{
	struct link_obs o;
	enum confidence c;
	const char *why;
	enum verdict v;

	/* a bonded link that drops under an encrypted read: the key is bad */
	link_obs_init(&o);
	o.bonded = dut_bonded(e);
	o.connected = true;
	o.dropped = e->st.link_dropped;
	o.pairing_requested = e->st.pairing_seen;
	o.error_name = e->st.err_name;
	o.error_text = e->st.err_text;
	o.replied = true;
	o.dut_advertised = true;
	if (o.bonded && (o.dropped || o.pairing_requested)) {
		v = verdict_classify_link(&o, &c, &why);
		extra_str(e, "rule", why);
		step_fail(e, v, c, "%s failed: %s", what, why);
		return;
	}
	step_fail(e, VERDICT_GATT_ERROR, CONFIDENCE_NONE, "%s failed: %s%s%s",
		what, r->error_name ? r->error_name : r->error->message,
		r->error_text ? " " : "", r->error_text ? r->error_text : "");
}

static void read_reply(struct engine *e, const struct bluez_reply *r)
{
	GVariant *ay;
	gsize n = 0;
	const guint8 *d;
	char *hex;

	e->st.read_pending = false;
	if (r->error && gatt_moved(e, r))
		return;
	if (r->error) {
		gatt_failed(e, r, "ReadValue");
		return;
	}
	if (e->st.pairing_seen && dut_bonded(e) && e->st.phase == 1) {
		gatt_failed(e, r, "ReadValue");
		return;
	}
	ay = g_variant_get_child_value(r->value, 0);
	d = g_variant_get_fixed_array(ay, &n, 1);
	hex = evlog_hex(d, n);
	extra_str(e, "value", hex);
	if (e->st.s->value) {
		gsize en;
		const guint8 *ed = g_bytes_get_data(e->st.s->value, &en);
		char *want = evlog_hex(ed, en);

		if (en != n || memcmp(ed, d, n) != 0) {
			step_fail(e, VERDICT_EXPECTATION_FAILED,
				CONFIDENCE_NONE, "read %s, expected %s", hex,
				want);
			g_free(want);
			g_free(hex);
			g_variant_unref(ay);
			return;
		}
		g_free(want);
	}
	g_free(hex);
	g_variant_unref(ay);
	step_pass(e);
}

static void read_start(struct engine *e)
{
	if (!need_chr(e))
		return;
	/* an encrypted read may make BlueZ pair: fine without a bond only */
	e->env.agent->set_policy(e->env.agent_data, !dut_bonded(e), -1);
	e->st.phase = 1;
	e->st.read_pending = true;
	call(e, BLUEZ_OP_READ, e->st.chr, NULL, read_reply);
}

static void write_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && gatt_moved(e, r))
		return;
	if (r->error) {
		gatt_failed(e, r, "WriteValue");
		return;
	}
	step_pass(e);
}

static void write_start(struct engine *e)
{
	gsize n;
	const guint8 *d;

	if (!need_chr(e))
		return;
	d = g_bytes_get_data(e->st.s->value, &n);
	e->st.phase = 1;
	call(e, BLUEZ_OP_WRITE, e->st.chr, g_variant_new("(@ays)",
		g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, d, n, 1),
		e->st.s->write_command ? "command" : "request"), write_reply);
}

static struct sub *get_sub(struct engine *e, const char *uuid, bool create)
{
	struct sub *s = g_hash_table_lookup(e->subs, uuid);

	if (!s && create) {
		s = g_new0(struct sub, 1);
		s->uuid = g_strdup(uuid);
		g_hash_table_insert(e->subs, s->uuid, s);
	}
	return s;
}

static void sub_free(void *data)
{
	struct sub *s = data;

	g_free(s->uuid);
	g_free(s);
}

static void notifying_check(struct engine *e)
{
	bool v = false;

	if (e->st.phase == 2 && model_bool(e->env.model, e->st.chr,
					BLUEZ_IFACE_GATT_CHRC, "Notifying", &v) &&
	    v) {
		e->st.sub->active = true;
		e->st.sub->dropped = false;
		step_pass(e);
	}
}

static void subscribe_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && gatt_moved(e, r))
		return;
	if (r->error) {
		gatt_failed(e, r, "StartNotify");
		return;
	}
	e->st.sub->notifications = 0;
	e->st.phase = 2;
	notifying_check(e);
}

static void subscribe_start(struct engine *e)
{
	if (!need_chr(e))
		return;
	e->st.sub = get_sub(e, e->st.s->uuid, true);
	e->st.phase = 1;
	call(e, BLUEZ_OP_START_NOTIFY, e->st.chr, NULL, subscribe_reply);
}

static void notify_wait(struct engine *e)
{
	e->st.phase = 3;
	if (e->st.sub->notifications > 0) {
		extra_int(e, "notifications", e->st.sub->notifications);
		step_pass(e);
	}
}

static void resubscribed(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && gatt_moved(e, r))
		return;
	if (r->error) {
		gatt_failed(e, r, "StartNotify");
		return;
	}
	e->st.sub->active = true;
	e->st.sub->dropped = false;
	e->st.sub->notifications = 0;
	notify_wait(e);
}

static void cccd_reply(struct engine *e, const struct bluez_reply *r)
{
	GVariant *ay;
	gsize n = 0;
	const guint8 *d;
	char *hex;

	if (r->error && gatt_moved(e, r))
		return;
	if (r->error) {
		gatt_failed(e, r, "reading the CCCD");
		return;
	}
	ay = g_variant_get_child_value(r->value, 0);
	d = g_variant_get_fixed_array(ay, &n, 1);
	hex = evlog_hex(d, n);
	extra_str(e, "cccd", hex);
	timeline(e, "the DUT's CCCD for us: %s", hex);
	if (n < 1 || (d[0] & 0x03) == 0) {
		step_fail(e, VERDICT_SUBSCRIPTION_LOST, CONFIDENCE_CONFIRMED,
			"after the link came back the DUT's CCCD is %s: it "
			"forgot the bonded host's subscription", hex);
	} else {
		e->st.phase = 2;
		call(e, BLUEZ_OP_START_NOTIFY, e->st.chr, NULL, resubscribed);
	}
	g_free(hex);
	g_variant_unref(ay);
}

static void expect_notify_start(struct engine *e)
{
	const char *cccd;

	e->st.sub = get_sub(e, e->st.s->uuid, false);
	if (!e->st.sub || (!e->st.sub->active && !e->st.sub->dropped)) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"no subscription to %s: add a subscribe step first",
			e->st.s->uuid);
		return;
	}
	if (!need_chr(e))
		return;
	if (!e->st.sub->dropped) {
		notify_wait(e);
		return;
	}
	/*
	 * BlueZ writes the CCCD again for sessions it still holds, which would
	 * hide a DUT that forgot it. We dropped ours at the link loss, so the
	 * DUT's own CCCD tells what it remembered.
	 */
	cccd = bluez_find_desc(e->env.model, e->st.chr, BLUEZ_UUID_CCCD);
	if (!cccd) {
		e->st.phase = 2;
		call(e, BLUEZ_OP_START_NOTIFY, e->st.chr, NULL, resubscribed);
		return;
	}
	e->st.phase = 1;
	call(e, BLUEZ_OP_READ_DESC, cccd, NULL, cccd_reply);
}

/* ---- small steps -------------------------------------------------------- */

static void trusted_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"setting Trusted failed: %s", r->error->message);
		return;
	}
	e->st.phase = 2;
	if (dev_bool(e, "Trusted"))
		step_pass(e);
}

static void disconnect_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"Disconnect failed: %s", r->error->message);
		return;
	}
	e->st.phase = 2;
	if (!dev_bool(e, "Connected"))
		step_pass(e);
}

static void removed_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && r->error->code != BCERROR_DOES_NOT_EXIST) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"RemoveDevice failed: %s", r->error->message);
		return;
	}
	e->st.phase = 2;
	if (!dut(e)) {
		g_hash_table_remove_all(e->subs);
		step_pass(e);
	}
}

/* BlueZ < 5.65 has no Bonded property: "bonded=" cannot be checked. */
static bool no_bonded_prop(struct engine *e)
{
	const char *p = dut(e);

	return p && !model_prop(e->env.model, p, BLUEZ_IFACE_DEVICE, "Bonded");
}

static bool expect_holds(struct engine *e, GString *why)
{
	bool all = true;

	for (guint i = 0; i < e->st.s->expects->len; i++) {
		struct scn_expect *x = &g_array_index(e->st.s->expects,
			struct scn_expect, i);
		bool v;

		if (x->prop == SCN_PROP_BONDED && no_bonded_prop(e)) {
			if (!why)
				timeline(e, "bonded= not checked: this BlueZ "
					"has no Bonded property");
			continue;
		}
		v = dev_bool(e, scn_prop_bluez_name(x->prop));

		if (v != x->value) {
			all = false;
			if (why)
				g_string_append_printf(why, "%s%s is %s, "
					"expected %s", why->len ? "; " : "",
					scn_prop_to_str(x->prop),
					v ? "yes" : "no",
					x->value ? "yes" : "no");
		}
	}
	return all;
}

static void expect_fail(struct engine *e)
{
	GString *why = g_string_new("");
	enum verdict v = VERDICT_EXPECTATION_FAILED;

	expect_holds(e, why);
	for (guint i = 0; i < e->st.s->expects->len; i++) {
		struct scn_expect *x = &g_array_index(e->st.s->expects,
			struct scn_expect, i);

		if (x->prop == SCN_PROP_BONDED && x->value && !dut_bonded(e) &&
		    !no_bonded_prop(e))
			v = VERDICT_LOCAL_BOND_LOST;
	}
	step_fail(e, v, CONFIDENCE_NONE, "%s", why->str);
	g_string_free(why, TRUE);
}

static gboolean sleep_done(gpointer data)
{
	struct engine *e = data;

	e->st.aux_timer = 0;
	step_pass(e);
	return G_SOURCE_REMOVE;
}

/* ---- dispatch ----------------------------------------------------------- */

static void after_discovery(struct engine *e, const struct bluez_reply *r)
{
	const char *p;

	if (!e->st.s)
		return;
	if (r->error && r->error->code != BCERROR_IN_PROGRESS) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"StartDiscovery failed: %s", r->error->message);
		return;
	}
	switch (e->st.s->type) {
	case SCN_STEP_SCAN:
		if (e->st.phase == 1 && dut_in_range(e, &p))
			scan_seen(e, p);
		break;
	case SCN_STEP_REBOOT:
		if (e->st.phase == 3 && dut_in_range(e, &p))
			reboot_back(e);
		break;
	case SCN_STEP_PAIR:
		if (e->st.phase == 3 && dut_in_range(e, &p)) {
			adopt(e, p);
			e->st.phase = 3;
			stop_discovery(e);
		}
		break;
	case SCN_STEP_CONNECT:
	case SCN_STEP_TRUST:
	case SCN_STEP_DISCONNECT:
	case SCN_STEP_RECONNECT:
	case SCN_STEP_READ:
	case SCN_STEP_WRITE:
	case SCN_STEP_SUBSCRIBE:
	case SCN_STEP_EXPECT_NOTIFY:
	case SCN_STEP_EXPECT:
	case SCN_STEP_REMOVE_BOND:
	case SCN_STEP_SLEEP:
	case SCN_STEP_REPEAT:
		break;
	}
}

static void discovery_stopped(struct engine *e, const struct bluez_reply *r)
{
	(void)r;   /* stopping a discovery that stopped already is fine */
	if (!e->st.s)
		return;
	switch (e->st.s->type) {
	case SCN_STEP_SCAN:
		if (e->st.phase == 3)
			step_pass(e);
		break;
	case SCN_STEP_CONNECT:
	case SCN_STEP_RECONNECT:
		if (e->st.phase == 1)
			link_discovery_stopped(e);
		break;
	case SCN_STEP_REBOOT:
		if (e->st.phase == 0)
			reboot_trigger(e);
		else if (e->st.phase == 4)
			step_pass(e);
		break;
	case SCN_STEP_PAIR:
		if (e->st.phase == 3 && dut(e))
			pair_ready(e);
		break;
	case SCN_STEP_TRUST:
	case SCN_STEP_DISCONNECT:
	case SCN_STEP_READ:
	case SCN_STEP_WRITE:
	case SCN_STEP_SUBSCRIBE:
	case SCN_STEP_EXPECT_NOTIFY:
	case SCN_STEP_EXPECT:
	case SCN_STEP_REMOVE_BOND:
	case SCN_STEP_SLEEP:
	case SCN_STEP_REPEAT:
		break;
	}
}

static void step_start(struct engine *e, const struct scn_step *s)
{
	struct step *st = &e->st;
	JsonBuilder *b;

	step_clear(e);
	st->s = s;
	st->gen = e->gen;
	st->start_us = now(e);
	st->timeline = g_ptr_array_new_with_free_func(g_free);
	st->agent = g_ptr_array_new_with_free_func(g_free);
	st->traces = g_ptr_array_new_with_free_func(g_free);
	st->hci = g_ptr_array_new_with_free_func(g_free);
	st->extra = json_builder_new();
	json_builder_begin_object(st->extra);
	iteration_label(e, st->iteration, sizeof(st->iteration));
	e->started++;

	b = evlog_begin(e->log, "step-start");
	add_int(b, "index", e->started);
	add_int(b, "line", s->line);
	add_iteration(e, b);
	add_str(b, "name", scn_step_type_to_str(s->type));
	add_str(b, "text", s->text);
	add_int(b, "timeout_ms", s->timeout_ms);
	evlog_end(e->log, b);

	arm_timeout(e, s->type == SCN_STEP_SLEEP ? 0 : s->timeout_ms);
	switch (s->type) {
	case SCN_STEP_SCAN:
		scan_start(e);
		break;
	case SCN_STEP_CONNECT:
		start_link(e, false);
		break;
	case SCN_STEP_RECONNECT:
		start_link(e, true);
		break;
	case SCN_STEP_PAIR:
		pair_start(e);
		break;
	case SCN_STEP_TRUST:
		if (!dut(e)) {
			step_fail(e, VERDICT_EXPECTATION_FAILED,
				CONFIDENCE_NONE, "the DUT is not known yet");
			break;
		}
		st->phase = 1;
		call(e, BLUEZ_OP_SET_TRUSTED, dut(e),
			g_variant_new_boolean(TRUE), trusted_reply);
		break;
	case SCN_STEP_DISCONNECT:
		if (!dut(e) || !dev_bool(e, "Connected")) {
			step_pass(e);
			break;
		}
		st->phase = 1;
		call(e, BLUEZ_OP_DISCONNECT, dut(e), NULL, disconnect_reply);
		break;
	case SCN_STEP_REBOOT:
		reboot_start(e);
		break;
	case SCN_STEP_READ:
		read_start(e);
		break;
	case SCN_STEP_WRITE:
		write_start(e);
		break;
	case SCN_STEP_SUBSCRIBE:
		subscribe_start(e);
		break;
	case SCN_STEP_EXPECT_NOTIFY:
		expect_notify_start(e);
		break;
	case SCN_STEP_EXPECT:
		if (expect_holds(e, NULL))
			step_pass(e);
		else if (s->timeout_ms <= 0)
			expect_fail(e);
		break;
	case SCN_STEP_REMOVE_BOND:
		if (!dut(e)) {
			timeline(e, "BlueZ does not know the DUT: nothing to "
				"remove");
			step_pass(e);
			break;
		}
		st->phase = 1;
		call(e, BLUEZ_OP_REMOVE_DEVICE, e->adapter,
			g_variant_new_object_path(dut(e)), removed_reply);
		break;
	case SCN_STEP_SLEEP:
		st->aux_timer = e->env.clock->timeout(e->env.clock_data,
			s->sleep_ms, sleep_done, e);
		break;
	case SCN_STEP_REPEAT:
		step_pass(e);
		break;
	}
}

static gboolean step_timeout(gpointer data)
{
	struct engine *e = data;
	struct step *st = &e->st;
	char *d;

	st->timer = 0;
	if (!st->s)
		return G_SOURCE_REMOVE;
	d = duration_format(st->s->timeout_ms);
	timeline(e, "timeout (%s)", d);
	switch (st->s->type) {
	case SCN_STEP_SCAN:
		step_fail(e, VERDICT_NOT_ADVERTISING, CONFIDENCE_INFERRED,
			"the DUT was not seen advertising within %s", d);
		break;
	case SCN_STEP_CONNECT:
	case SCN_STEP_RECONNECT:
		st->obs.timed_out = true;
		link_finish_fail(e);
		break;
	case SCN_STEP_REBOOT:
		if (st->phase <= 1)
			step_fail(e, VERDICT_EXPECTATION_FAILED,
				CONFIDENCE_NONE, "the reboot trigger did not "
				"finish within %s", d);
		else if (st->phase == 2)
			step_fail(e, VERDICT_EXPECTATION_FAILED,
				CONFIDENCE_NONE, "the link never dropped within "
				"%s: did the DUT reboot?", d);
		else
			step_fail(e, VERDICT_NOT_ADVERTISING,
				CONFIDENCE_INFERRED, "after the reboot the DUT "
				"did not advertise again within %s", d);
		break;
	case SCN_STEP_EXPECT_NOTIFY:
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"no notification from %s within %s", st->s->uuid, d);
		break;
	case SCN_STEP_EXPECT:
		expect_fail(e);
		break;
	case SCN_STEP_PAIR:
	case SCN_STEP_TRUST:
	case SCN_STEP_DISCONNECT:
	case SCN_STEP_READ:
	case SCN_STEP_WRITE:
	case SCN_STEP_SUBSCRIBE:
	case SCN_STEP_REMOVE_BOND:
	case SCN_STEP_SLEEP:
	case SCN_STEP_REPEAT:
		step_fail(e, st->s->type == SCN_STEP_READ ||
				st->s->type == SCN_STEP_WRITE ||
				st->s->type == SCN_STEP_SUBSCRIBE ?
			VERDICT_GATT_ERROR : VERDICT_EXPECTATION_FAILED,
			CONFIDENCE_NONE, "%s did not complete within %s",
			scn_step_type_to_str(st->s->type), d);
		break;
	}
	g_free(d);
	return G_SOURCE_REMOVE;
}

/* ---- the world changes -------------------------------------------------- */

static bool under(const char *path, const char *base)
{
	size_t n;

	if (!path || !base)
		return false;
	n = strlen(base);
	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

static char *value_text(GVariant *v)
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

static void log_model(struct engine *e, const struct model_event *ev)
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

static void link_lost(struct engine *e)
{
	GHashTableIter it;
	gpointer v;

	/*
	 * BlueZ re-subscribes the sessions it still holds when the link
	 * returns, and would hide a DUT that forgot our CCCD. Dropping our
	 * session now (no ATT write without a link) keeps the DUT honest.
	 */
	g_hash_table_iter_init(&it, e->subs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct sub *s = v;
		const char *chr = find_chr(e, s->uuid);

		if (!s->active || !chr)
			continue;
		s->active = false;
		s->dropped = true;
		call(e, BLUEZ_OP_STOP_NOTIFY, chr, NULL, NULL);
	}
}

static void dut_prop(struct engine *e, const char *name, GVariant *v)
{
	struct step *st = &e->st;
	bool b = v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) &&
		 g_variant_get_boolean(v);
	char *txt = value_text(v);

	if (strcmp(name, "RSSI") != 0 || st->s)
		timeline(e, "%s=%s", name, txt);
	g_free(txt);

	if (!strcmp(name, "RSSI") && v)
		e->dut_seen_us = now(e);
	if (!strcmp(name, "Connected") && !b)
		link_lost(e);
	if (!st->s)
		return;

	if (st->link) {
		struct link_obs *o = &st->obs;

		if (!strcmp(name, "Connected")) {
			if (b)
				o->connected = true;
			else if (o->connected)
				o->dropped = true;
		} else if (!strcmp(name, "ServicesResolved")) {
			o->resolved = b && !o->dropped;
		} else if ((!strcmp(name, "Bonded") || !strcmp(name, "Paired")) &&
			   !b && o->bonded) {
			o->bond_lost = true;
		}
		link_evaluate(e);
		return;
	}
	switch (st->s->type) {
	case SCN_STEP_REBOOT:
		if (!strcmp(name, "Connected") && !b && st->phase == 2) {
			extra_int(e, "link_lost_after_ms",
				(now(e) - st->trigger_us) / 1000);
			reboot_wait_adverts(e);
		} else if (!strcmp(name, "RSSI") && v && st->phase == 3) {
			reboot_back(e);
		}
		break;
	case SCN_STEP_SCAN:
		if (!strcmp(name, "RSSI") && v && st->phase == 1)
			scan_seen(e, e->dev_path);
		break;
	case SCN_STEP_PAIR:
		if (!strcmp(name, "RSSI") && v && st->phase == 3 &&
		    e->discovering) {
			e->st.phase = 3;
			stop_discovery(e);
		}
		break;
	case SCN_STEP_TRUST:
		if (!strcmp(name, "Trusted") && b && st->phase == 2)
			step_pass(e);
		break;
	case SCN_STEP_DISCONNECT:
		if (!strcmp(name, "Connected") && !b && st->phase == 2)
			step_pass(e);
		break;
	case SCN_STEP_READ:
	case SCN_STEP_WRITE:
	case SCN_STEP_SUBSCRIBE:
	case SCN_STEP_EXPECT_NOTIFY:
		if (!strcmp(name, "Connected") && !b)
			st->link_dropped = true;
		break;
	case SCN_STEP_EXPECT:
		if (expect_holds(e, NULL))
			step_pass(e);
		break;
	case SCN_STEP_CONNECT:
	case SCN_STEP_RECONNECT:
	case SCN_STEP_REMOVE_BOND:
	case SCN_STEP_SLEEP:
	case SCN_STEP_REPEAT:
		break;
	}
}

static void newcomer(struct engine *e, const struct model_event *ev)
{
	const char *name = NULL, *addr = NULL, *type = NULL;
	struct step *st = &e->st;

	if (!st->s || st->s->type != SCN_STEP_REBOOT || st->phase < 1 ||
	    !e->dut_name || g_hash_table_contains(e->known, ev->path) ||
	    !ev->value)
		return;
	g_variant_lookup(ev->value, "Name", "&s", &name);
	g_variant_lookup(ev->value, "Address", "&s", &addr);
	g_variant_lookup(ev->value, "AddressType", "&s", &type);
	if (!name || strcmp(name, e->dut_name) != 0)
		return;
	timeline(e, "a new device '%s' at %s (%s) appeared", name,
		addr ? addr : "?", type ? type : "?");
	extra_str(e, "new_address", addr);
	extra_str(e, "new_address_type", type);
	extra_str(e, "old_address", e->dev_address);
	step_fail(e, VERDICT_IDENTITY_CHANGED, CONFIDENCE_INFERRED,
		"the DUT '%s' came back as %s (%s) instead of %s", name,
		addr ? addr : "?", type ? type : "?", e->dev_address);
}

static void chr_value(struct engine *e, const char *path)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, e->subs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct sub *s = v;
		const char *chr = find_chr(e, s->uuid);

		if (!chr || strcmp(chr, path) != 0 || !s->active)
			continue;
		/* our own read changes Value too: that is not a notification */
		if (e->st.s && e->st.read_pending && e->st.chr &&
		    !strcmp(e->st.chr, path))
			continue;
		s->notifications++;
		timeline(e, "notification from %s", s->uuid);
		if (e->st.s && e->st.s->type == SCN_STEP_EXPECT_NOTIFY &&
		    e->st.phase == 3 && e->st.sub == s)
			notify_wait(e);
	}
}

static void env_fail(struct engine *e, const char *why)
{
	if (e->state == ENGINE_STATE_RUNNING && e->st.s) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE, "%s",
			why);
		return;
	}
	if (e->state == ENGINE_STATE_RUNNING ||
	    e->state == ENGINE_STATE_WAITING) {
		g_free(e->message);
		e->message = g_strdup(why);
		e->result.verdict = VERDICT_ENVIRONMENT_ERROR;
		finish(e, ENGINE_OUTCOME_ERROR);
	}
}

static void on_model(const struct model_event *ev, void *data)
{
	struct engine *e = data;
	const char *p = e->dev_path;
	bool mine = p && under(ev->path, p);
	bool adapter = e->adapter && ev->path && !strcmp(ev->path, e->adapter);

	if (e->state != ENGINE_STATE_RUNNING &&
	    e->state != ENGINE_STATE_FINISHING)
		return;
	if (mine || adapter)
		log_model(e, ev);

	switch (ev->type) {
	case MODEL_EVENT_PROP_CHANGED:
		if (adapter && !strcmp(ev->name, "Powered") && ev->value &&
		    !g_variant_get_boolean(ev->value))
			env_fail(e, "the adapter was powered off");
		else if (mine && !strcmp(ev->iface, BLUEZ_IFACE_DEVICE) &&
			 !strcmp(ev->path, p))
			dut_prop(e, ev->name, ev->value);
		else if (mine && !strcmp(ev->iface, BLUEZ_IFACE_GATT_CHRC) &&
			 !strcmp(ev->name, "Value"))
			chr_value(e, ev->path);
		else if (mine && !strcmp(ev->iface, BLUEZ_IFACE_GATT_CHRC) &&
			 !strcmp(ev->name, "Notifying") && e->st.s &&
			 e->st.s->type == SCN_STEP_SUBSCRIBE)
			notifying_check(e);
		break;
	case MODEL_EVENT_IFACE_ADDED:
		if (mine && e->st.chr_wait && e->st.s &&
		    !strcmp(ev->iface, BLUEZ_IFACE_GATT_CHRC) &&
		    find_chr(e, e->st.s->uuid)) {
			timeline(e, "the characteristic is back at %s",
				find_chr(e, e->st.s->uuid));
			gatt_restart(e);
			break;
		}
		if (!strcmp(ev->iface, BLUEZ_IFACE_DEVICE)) {
			const char *q;

			newcomer(e, ev);
			if (e->st.s && (e->st.s->type == SCN_STEP_SCAN ||
					       e->st.s->type == SCN_STEP_PAIR ||
					       e->st.s->type == SCN_STEP_REBOOT) &&
			    dut_in_range(e, &q)) {
				log_model(e, ev);
				e->dut_seen_us = now(e);
				if (e->st.s->type == SCN_STEP_SCAN &&
				    e->st.phase == 1)
					scan_seen(e, q);
				else if (e->st.s->type == SCN_STEP_REBOOT &&
					 e->st.phase == 3)
					reboot_back(e);
				else if (e->st.s->type == SCN_STEP_PAIR &&
					 e->st.phase == 3) {
					adopt(e, q);
					stop_discovery(e);
				}
			}
		}
		break;
	case MODEL_EVENT_IFACE_REMOVED:
		if (adapter && !strcmp(ev->iface, BLUEZ_IFACE_ADAPTER)) {
			env_fail(e, "the adapter disappeared (unplugged?)");
			break;
		}
		if (!p || strcmp(ev->path, p) != 0 ||
		    strcmp(ev->iface, BLUEZ_IFACE_DEVICE) != 0)
			break;
		timeline(e, "the device object was removed");
		g_free(e->dev_path);
		e->dev_path = NULL;
		if (!e->st.s)
			break;
		if (e->st.link) {
			e->st.obs.bond_lost = e->st.obs.bonded;
			link_evaluate(e);
		} else if (e->st.s->type == SCN_STEP_REMOVE_BOND &&
			   e->st.phase == 2) {
			g_hash_table_remove_all(e->subs);
			step_pass(e);
		} else if (e->st.s->type == SCN_STEP_PAIR && e->st.phase == 2) {
			e->st.phase = 3;
			start_discovery(e);
		}
		break;
	case MODEL_EVENT_SIGNAL:
		if (mine && !strcmp(ev->name, "Disconnected") && ev->value) {
			const char *reason = NULL;

			g_variant_get_child(ev->value, 0, "&s", &reason);
			timeline(e, "Disconnected(%s)", reason);
			if (e->st.s && e->st.link) {
				/* kept in the model's variant until the step ends */
				extra_str(e, "disconnected_reason", reason);
				e->st.obs.reason = g_intern_string(reason);
				link_evaluate(e);
			}
		}
		break;
	case MODEL_EVENT_RESET:
	case MODEL_EVENT_SYNCED:
		break;
	}
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
	JsonBuilder *b = evlog_begin(e->log, "agent");
	bool dut_req;

	add_str(b, "method", ev->method);
	add_str(b, "device", ev->device);
	if (!strcmp(ev->method, "RequestConfirmation") ||
	    !strcmp(ev->method, "DisplayPasskey"))
		add_int(b, "passkey", ev->passkey);
	add_bool(b, "foreign", ev->foreign);
	add_bool(b, "accepted", ev->accepted);
	add_str(b, "answer", ev->answer);
	evlog_end(e->log, b);

	if (!e->st.s)
		return;
	g_ptr_array_add(e->st.agent, g_strdup_printf("+%" G_GINT64_FORMAT
		"ms %s(%s) -> %s", step_ms(e), ev->method,
		ev->device ? ev->device : "", ev->answer ? ev->answer : ""));
	dut_req = is_pairing_method(ev->method) && ev->device && e->dev_path &&
		  !strcmp(ev->device, e->dev_path);
	if (!dut_req)
		return;
	if (e->st.link) {
		e->st.obs.pairing_requested = true;
		timeline(e, "pairing requested: %s", ev->method);
	}
	e->st.pairing_seen = true;
}

void engine_sim_trace(struct engine *e, const char *json)
{
	JsonNode *n = json_from_string(json, NULL);
	JsonBuilder *b;

	if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
		if (n)
			json_node_unref(n);
		return;
	}
	b = evlog_begin(e->log, "sim");
	json_builder_set_member_name(b, "trace");
	json_builder_add_value(b, n);
	evlog_end(e->log, b);
	if (e->st.s && e->st.traces->len < MAX_EVIDENCE)
		g_ptr_array_add(e->st.traces, g_strdup(json));
}

void engine_hci_event(struct engine *e, const struct engine_hci_event *ev)
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
	if (!e->st.s)
		return;
	if (e->st.hci->len < MAX_EVIDENCE)
		g_ptr_array_add(e->st.hci, g_strdup_printf("+%" G_GINT64_FORMAT
			"ms %s", step_ms(e), ev->text ? ev->text : ev->what));
	if (!strcmp(ev->what, "encryption-change") && ev->status >= 0)
		e->st.obs.hci_encrypt_status = ev->status;
	if (!strcmp(ev->what, "disconnect") && ev->reason >= 0)
		e->st.obs.hci_disconnect_reason = ev->reason;
	if (!strcmp(ev->what, "smp-pairing-request"))
		e->st.obs.hci_pairing = true;
	if (e->st.link)
		link_evaluate(e);
}

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

/* ---- start and end ------------------------------------------------------ */

static void write_run_start(struct engine *e)
{
	JsonBuilder *b = evlog_begin(e->log, "run-start");
	GDateTime *dt = g_date_time_new_now_utc();
	char *iso = g_date_time_format_iso8601(dt);
	const char *addr = e->adapter ? model_str(e->env.model, e->adapter,
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
	add_str(b, "path", e->adapter);
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

static gboolean report_finished(gpointer data)
{
	struct engine *e = data;

	e->kick = 0;
	if (e->finished)
		e->finished(e, &e->result, e->finished_data);
	return G_SOURCE_REMOVE;
}

static void write_run_end(struct engine *e)
{
	struct engine_result *r = &e->result;
	JsonBuilder *b;

	r->steps_run = e->started;
	r->steps_passed = e->passed;
	r->steps_total = e->scn->total_steps;
	r->elapsed_ms = (now(e) - e->run_start_us) / 1000;
	r->message = e->message;
	switch (r->outcome) {
	case ENGINE_OUTCOME_PASSED:
		r->exit_status = 0;
		r->verdict = VERDICT_PASS;
		break;
	case ENGINE_OUTCOME_FAILED:
		r->exit_status = 1;
		break;
	case ENGINE_OUTCOME_ERROR:
		r->exit_status = 3;
		r->verdict = VERDICT_ENVIRONMENT_ERROR;
		break;
	case ENGINE_OUTCOME_INTERRUPTED:
		r->exit_status = 130;
		break;
	}
	b = evlog_begin(e->log, "run-end");
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

static void cleanup_next(struct engine *e);

static void cleanup_reply(struct engine *e, const struct bluez_reply *r)
{
	(void)r;
	e->cleanup++;
	cleanup_next(e);
}

static void log_agent(struct engine *e, const char *event, const GError *error)
{
	JsonBuilder *b = evlog_begin(e->log, "agent");

	add_str(b, "event", event);
	add_str(b, "capability", e->agent_cap);
	if (error)
		add_str(b, "error", error->message);
	evlog_end(e->log, b);
}

static void agent_gone(const GError *error, void *data)
{
	struct engine *e = data;

	log_agent(e, "unregistered", error);
	e->registered = false;
	e->cleanup++;
	cleanup_next(e);
}

static void cleanup_next(struct engine *e)
{
	bool talk = e->bluez_ok && !e->bus_lost;
	bool cur = false;

	switch (e->cleanup) {
	case 0:
		if (talk && e->discovering) {
			e->discovering = false;
			call(e, BLUEZ_OP_STOP_DISCOVERY, e->adapter, NULL,
				cleanup_reply);
			return;
		}
		e->cleanup++;
		/* fall through */
	case 1:
		if (talk && e->interrupted && dut(e) &&
		    dev_bool(e, "Connected")) {
			call(e, BLUEZ_OP_DISCONNECT, dut(e), NULL,
				cleanup_reply);
			return;
		}
		e->cleanup++;
		/* fall through */
	case 2:
		if (talk && e->pairable_saved && e->adapter &&
		    model_bool(e->env.model, e->adapter, BLUEZ_IFACE_ADAPTER,
			    "Pairable", &cur) && cur != e->pairable_orig) {
			call(e, BLUEZ_OP_SET_PAIRABLE, e->adapter,
				g_variant_new_boolean(e->pairable_orig),
				cleanup_reply);
			return;
		}
		e->cleanup++;
		/* fall through */
	case 3:
		if (e->registered && !e->bus_lost) {
			e->env.agent->unregister_agent(e->env.agent_data,
				agent_gone, e);
			return;
		}
		e->cleanup++;
		/* fall through */
	default:
		break;
	}
	write_run_end(e);
	enter_state(e, ENGINE_STATE_DONE);
	if (!e->kick)
		e->kick = e->env.clock->timeout(e->env.clock_data, 0,
			report_finished, e);
}

static void finish(struct engine *e, enum engine_outcome o)
{
	if (e->state == ENGINE_STATE_FINISHING || e->state == ENGINE_STATE_DONE)
		return;
	if (e->state == ENGINE_STATE_WAITING)
		write_run_start(e);
	if (e->ready_timer) {
		e->env.clock->cancel(e->env.clock_data, e->ready_timer);
		e->ready_timer = 0;
	}
	if (e->kick) {
		e->env.clock->cancel(e->env.clock_data, e->kick);
		e->kick = 0;
	}
	enter_state(e, ENGINE_STATE_FINISHING);
	e->result.outcome = o;
	step_clear(e);
	e->cleanup = 0;
	cleanup_next(e);
}

static const char *first_io(GPtrArray *steps)
{
	for (guint i = 0; steps && i < steps->len; i++) {
		const struct scn_step *s = g_ptr_array_index(steps, i);
		const char *io;

		if (s->type == SCN_STEP_PAIR)
			return s->io ? s->io : SCN_DEFAULT_IO;
		if (s->type == SCN_STEP_REPEAT && (io = first_io(s->children)))
			return io;
	}
	return NULL;
}

static void agent_ready(const GError *error, void *data)
{
	struct engine *e = data;

	if (e->state != ENGINE_STATE_WAITING)
		return;
	if (error) {
		char *m = g_strdup_printf("cannot register the pairing agent: %s",
			error->message);

		env_fail(e, m);
		g_free(m);
		return;
	}
	e->registered = true;
	if (e->ready_timer) {
		e->env.clock->cancel(e->env.clock_data, e->ready_timer);
		e->ready_timer = 0;
	}
	write_run_start(e);
	log_agent(e, "registered", NULL);
	enter_state(e, ENGINE_STATE_RUNNING);
	e->stack[0] = (struct frame){ e->scn->steps, 0, 1, 1, false };
	e->depth = 1;
	if (e->cfg.device) {
		const char *p = bluez_find_device(e->env.model, e->adapter,
			e->cfg.device);

		if (p)
			adopt(e, p);
	}
	next_step(e);
}

static void setup(struct engine *e)
{
	GError *err = NULL;
	const char *a;
	const char *io;

	if (e->state != ENGINE_STATE_WAITING || e->registered)
		return;
	a = bluez_find_adapter(e->env.model, e->cfg.adapter, &err);
	if (!a) {
		env_fail(e, err->message);
		g_error_free(err);
		return;
	}
	g_free(e->adapter);
	e->adapter = g_strdup(a);
	io = first_io(e->scn->steps);
	e->agent_cap = g_strdup(io ? io : SCN_DEFAULT_IO);
	e->env.agent->set_policy(e->env.agent_data, true, -1);
	e->env.agent->register_agent(e->env.agent_data, e->agent_cap,
		agent_ready, e);
}

static gboolean not_ready(gpointer data)
{
	struct engine *e = data;

	e->ready_timer = 0;
	env_fail(e, e->bluez_ok ? "the adapter or the pairing agent was not "
				  "ready in time" :
				  "bluetoothd is not running (nobody owns "
				  "org.bluez on the system bus)");
	return G_SOURCE_REMOVE;
}

/* ---- public ------------------------------------------------------------- */

struct engine *engine_new(const struct engine_config *cfg,
	const struct engine_env *env, struct scenario *scn, struct evlog *log)
{
	struct engine *e = g_new0(struct engine, 1);

	e->cfg = *cfg;
	e->env = *env;
	e->scn = scn;
	e->log = log;
	e->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	e->subs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		sub_free);
	if (cfg->device)
		e->dev_address = g_ascii_strup(cfg->device, -1);
	if (!e->cfg.ready_timeout_ms)
		e->cfg.ready_timeout_ms = 10000;
	if (!e->cfg.tool_version)
		e->cfg.tool_version = "unknown";
	evlog_set_clock(log, log_clock, e);
	e->watch = model_watch(env->model, on_model, e, NULL);
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	step_clear(e);
	if (e->kick)
		e->env.clock->cancel(e->env.clock_data, e->kick);
	if (e->ready_timer)
		e->env.clock->cancel(e->env.clock_data, e->ready_timer);
	/* calls still in flight must not call back into freed memory */
	while (e->calls) {
		struct call *c = e->calls->data;

		e->env.bluez->cancel(e->env.bluez_data, c->id);
	}
	model_unwatch(e->env.model, e->watch);
	g_hash_table_destroy(e->known);
	g_hash_table_destroy(e->subs);
	g_free(e->adapter);
	g_free(e->dev_path);
	g_free(e->dev_address);
	g_free(e->dut_name);
	g_free(e->agent_cap);
	g_free(e->message);
	if (e->early_notes)
		g_ptr_array_free(e->early_notes, TRUE);
	g_free(e);
}

const char *engine_adapter(struct engine *e)
{
	return e->adapter;
}

void engine_start(struct engine *e, engine_finished_fn fn, void *user_data)
{
	e->finished = fn;
	e->finished_data = user_data;
	e->run_start_us = now(e);
	enter_state(e, ENGINE_STATE_WAITING);
	e->ready_timer = e->env.clock->timeout(e->env.clock_data,
		e->cfg.ready_timeout_ms, not_ready, e);
	if (e->bluez_ok)
		setup(e);
}

void engine_bluez_available(struct engine *e, bool available, const char *why)
{
	e->bluez_ok = available;
	if (available) {
		setup(e);
		return;
	}
	if (e->state == ENGINE_STATE_RUNNING) {
		char *m = g_strdup_printf("bluetoothd left the bus%s%s",
			why ? ": " : "", why ? why : "");

		env_fail(e, m);
		g_free(m);
	} else if (e->state == ENGINE_STATE_WAITING) {
		char *m = g_strdup_printf("bluetoothd is not running (%s on "
			"the system bus)", why ? why : "no org.bluez");

		env_fail(e, m);
		g_free(m);
	}
}

void engine_bus_lost(struct engine *e)
{
	e->bus_lost = true;
	env_fail(e, "lost the connection to the system bus");
}

void engine_interrupt(struct engine *e)
{
	if (e->state == ENGINE_STATE_FINISHING || e->state == ENGINE_STATE_DONE)
		return;
	e->interrupted = true;
	if (e->st.s) {
		write_step_end(e, "interrupted", VERDICT_PASS, CONFIDENCE_NONE,
			"interrupted");
	}
	g_free(e->message);
	e->message = g_strdup("interrupted");
	if (e->state == ENGINE_STATE_WAITING)
		write_run_start(e);
	finish(e, ENGINE_OUTCOME_INTERRUPTED);
}

bool engine_progress(struct engine *e, struct engine_progress *p)
{
	if (!e->st.s)
		return false;
	p->step = scn_step_type_to_str(e->st.s->type);
	p->text = e->st.s->text;
	p->line = e->st.s->line;
	p->index = e->started;
	p->total = e->scn->total_steps;
	p->iteration = e->st.iteration;
	p->elapsed_ms = step_ms(e);
	p->timeout_ms = e->st.s->type == SCN_STEP_SLEEP ? e->st.s->sleep_ms :
							  e->st.s->timeout_ms;
	return true;
}

const char *engine_device_path(struct engine *e)
{
	return e->dev_path;
}

/* ---- the GLib clock ----------------------------------------------------- */

static int64_t glib_now(void *data)
{
	(void)data;
	return g_get_monotonic_time();
}

static guint glib_timeout(void *data, int64_t ms, GSourceFunc fn,
	void *user_data)
{
	(void)data;
	return g_timeout_add((guint)CLAMP(ms, 0, G_MAXUINT), fn, user_data);
}

static void glib_cancel(void *data, guint id)
{
	(void)data;
	g_source_remove(id);
}

const struct clock_ops clock_glib_ops = {
	.now_us = glib_now,
	.timeout = glib_timeout,
	.cancel = glib_cancel,
};
