/* SPDX-License-Identifier: MIT */
/*
 * engine.c — the scenario engine's life cycle.
 *
 * Owns the run: the program counter over the step tree, the current step's
 * timers and evidence, pass and fail, the cleanup at the end, and the
 * result. Each event from the world is routed to the current step through
 * the step table (struct step_ops, step.h) by engine-events.c; what comes
 * before the first step is engine-setup.c's; what a step does lives in its
 * family's file (step-*.c), what one central knows in central.c, and the
 * log events are written by runlog.c. Talks to the world only through the
 * operation tables of engine.h. Never sleeps: every wait is a
 * model event, a reply, or a clock timeout. One step at a time; the first
 * failing step ends the run (later steps would only repeat its failure),
 * unless keep_going lets a failure inside a block end only its iteration.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/names.h"
#include "step.h"

#define CALL_SLACK_MS 5000

/* `repeat` is entered by the program counter, never started as a step. */
static void repeat_start(struct engine *e)
{
	step_pass(e);
}

static const struct step_ops step_repeat_ops = {
	.start = repeat_start,
};

static const struct step_ops *const step_table[] = {
	[SCN_STEP_SCAN] = &step_scan_ops,
	[SCN_STEP_CONNECT] = &step_connect_ops,
	[SCN_STEP_PAIR] = &step_pair_ops,
	[SCN_STEP_TRUST] = &step_trust_ops,
	[SCN_STEP_DISCONNECT] = &step_disconnect_ops,
	[SCN_STEP_REBOOT] = &step_reboot_ops,
	[SCN_STEP_RECONNECT] = &step_reconnect_ops,
	[SCN_STEP_READ] = &step_read_ops,
	[SCN_STEP_WRITE] = &step_write_ops,
	[SCN_STEP_SUBSCRIBE] = &step_subscribe_ops,
	[SCN_STEP_EXPECT_NOTIFY] = &step_expect_notify_ops,
	[SCN_STEP_EXPECT] = &step_expect_ops,
	[SCN_STEP_REMOVE_BOND] = &step_remove_bond_ops,
	[SCN_STEP_SLEEP] = &step_sleep_ops,
	[SCN_STEP_EXPECT_NO_NOTIFY] = &step_expect_no_notify_ops,
	[SCN_STEP_EXPECT_ADV] = &step_expect_adv_ops,
	[SCN_STEP_REPEAT] = &step_repeat_ops,
};

G_STATIC_ASSERT(G_N_ELEMENTS(step_table) == SCN_STEP_COUNT);

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

struct call {
	struct engine *e;
	guint gen;
	step_reply_fn fn;
	/* a central's own call (engine_central_call), not a step's */
	struct central *central;
	central_reply_fn cfn;
	enum bluez_op op;
	char *path;
	int64_t start_us;
	guint id;
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

void engine_enter_state(struct engine *e, enum engine_state s)
{
	g_debug("engine: %s -> %s", engine_state_to_str(e->state),
		engine_state_to_str(s));
	e->state = s;
}

/* ---- time and evidence --------------------------------------------------- */

int64_t engine_now(struct engine *e)
{
	return e->env.clock->now_us(e->env.clock_data);
}

static int64_t log_clock(void *data)
{
	return engine_now(data);
}

int64_t step_ms(struct engine *e)
{
	return (engine_now(e) - e->st.start_us) / 1000;
}

void step_timeline(struct engine *e, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!e->st.s || e->st.timeline->len >= MAX_EVIDENCE * 4)
		return;
	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(e->st.timeline,
		g_strdup_printf("+%" G_GINT64_FORMAT "ms %s", step_ms(e), s));
	g_free(s);
}

void step_extra_str(struct engine *e, const char *k, const char *v)
{
	log_add_str(e->st.extra, k, v);
}

void step_extra_int(struct engine *e, const char *k, int64_t v)
{
	log_add_int(e->st.extra, k, v);
}

void step_enter_phase(struct engine *e, int phase)
{
	struct step *st = &e->st;
	const char *(*name)(int) = st->ops->phase_to_str;

	if (st->phase == phase)
		return;
	g_debug("step %s: %s -> %s", scn_step_type_to_str(st->s->type),
		name(st->phase), name(phase));
	step_timeline(e, "phase %s -> %s", name(st->phase), name(phase));
	st->phase = phase;
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

	/* run-end is the log's last line: a call answered after it (the bus
	 * answers what is pending when it goes) has nobody left to tell */
	if (e->state == ENGINE_STATE_DONE)
		return;
	runlog_reply(e, c->op, c->path, r,
		(engine_now(e) - c->start_us) / 1000);
	if (c->cfn) {
		c->cfn(c->central, r);
		return;
	}
	if (c->gen != e->gen || !c->fn)
		return;
	if (e->st.s)
		step_timeline(e, "%s -> %s%s%s", bluez_op_to_str(c->op),
			r->error ? (r->error_name ? r->error_name : "error") :
				   "ok",
			r->error_text ? ": " : "",
			r->error_text ? r->error_text : "");
	if (r->error && e->st.s && !e->st.err_name) {
		e->st.err_name = g_strdup(r->error_name ? r->error_name :
							  BC_ERR_BAD_REPLY);
		e->st.err_text = g_strdup(r->error_text ? r->error_text :
							  r->error->message);
	}
	c->fn(e, r);
}

guint step_call(struct engine *e, enum bluez_op op, const char *path,
	GVariant *arg, step_reply_fn fn)
{
	struct call *c = g_new0(struct call, 1);
	int64_t timeout = e->st.s && e->st.s->timeout_ms ?
	                          e->st.s->timeout_ms + CALL_SLACK_MS :
	                          25000;
	guint id;

	runlog_call(e, op, path);
	c->e = e;
	c->gen = e->gen;
	c->fn = fn;
	c->op = op;
	c->path = g_strdup(path);
	c->start_us = engine_now(e);
	e->calls = g_list_prepend(e->calls, c);
	id = e->env.bluez->call(e->env.bluez_data, op, path, arg, (int)timeout,
		on_reply, c, call_free);
	/* a call refused at once has already been destroyed */
	if (!g_list_find(e->calls, c))
		return 0;
	c->id = id;
	return id;
}

void engine_central_call(struct engine *e, struct central *central,
	enum bluez_op op, const char *path, GVariant *arg, int64_t timeout_ms,
	central_reply_fn fn)
{
	struct call *c = g_new0(struct call, 1);
	guint id;

	runlog_call(e, op, path);
	c->e = e;
	c->central = central;
	c->cfn = fn;
	c->op = op;
	c->path = g_strdup(path);
	c->start_us = engine_now(e);
	e->calls = g_list_prepend(e->calls, c);
	id = e->env.bluez->call(e->env.bluez_data, op, path, arg,
		(int)timeout_ms, on_reply, c, call_free);
	if (g_list_find(e->calls, c))
		c->id = id;
}

bool step_call_pending(struct engine *e, enum bluez_op op, const char *path)
{
	for (GList *l = e->calls; l; l = l->next) {
		struct call *c = l->data;

		if (c->op == op && c->gen == e->gen &&
			!g_strcmp0(c->path, path))
			return true;
	}
	return false;
}

/* ---- forward declarations ----------------------------------------------- */

static void finish(struct engine *e, enum engine_outcome o);
static void cleanup_cut_short(struct engine *e, const char *why);

/* ---- the step lifecycle ------------------------------------------------- */

static void step_clear(struct engine *e)
{
	struct step *st = &e->st;

	if (st->s && st->ops->clear)
		st->ops->clear(e);
	if (st->timer)
		e->env.clock->cancel(e->env.clock_data, st->timer);
	if (st->aux_timer)
		e->env.clock->cancel(e->env.clock_data, st->aux_timer);
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

/* The central of the innermost each-central iteration, or -1. */
static int each_central(struct engine *e)
{
	for (int i = e->depth - 1; i >= 0; i--) {
		const struct frame *f = &e->stack[i];

		if (f->each && f->iter >= 1 && f->iter <= f->each->len)
			return (int)g_array_index(f->each, unsigned,
				f->iter - 1);
	}
	return -1;
}

static gboolean kick_next(gpointer data)
{
	struct engine *e = data;

	e->kick = 0;
	engine_next_step(e);
	return G_SOURCE_REMOVE;
}

static void schedule_next(struct engine *e)
{
	/* from a clean stack: never recurse step into step */
	if (!e->kick)
		e->kick = e->env.clock->timeout(e->env.clock_data, 0, kick_next,
			e);
}

void step_pass(struct engine *e)
{
	if (!e->st.s)
		return;
	runlog_step_end(e, LOG_STEP_PASS, VERDICT_PASS, CONFIDENCE_NONE, NULL);
	e->passed++;
	step_clear(e);
	schedule_next(e);
}

/* The last scenario line of @s (a block's: its last step's). */
static int last_line(const struct scn_step *s)
{
	while (s->children && s->children->len)
		s = g_ptr_array_index(s->children, s->children->len - 1);
	return s->line;
}

/*
 * keep_going, after the step at @line of iteration @iteration failed:
 * skip the rest of the iteration of the innermost block it is in, say so
 * in a note, and go on (true). Outside any block, the run ends (false):
 * the steps after a failed top-level step were written for its success,
 * and a repeat is where a run has something to go on with.
 */
static bool keep_going(struct engine *e, int line, const char *iteration)
{
	struct frame *f;
	GString *t;

	if (!e->cfg.keep_going || e->state != ENGINE_STATE_RUNNING ||
		e->depth < 2)
		return false;
	f = &e->stack[e->depth - 1];
	t = g_string_new(NULL);
	g_string_printf(t, "line %d failed in iteration %s: ", line, iteration);
	if (f->index < f->steps->len) {
		const struct scn_step *a = g_ptr_array_index(f->steps,
			f->index);
		const struct scn_step *z = g_ptr_array_index(f->steps,
			f->steps->len - 1);

		g_string_append_printf(t, "skipped line%s %d",
			a == z && !a->children ? "" : "s", a->line);
		if (a != z || a->children)
			g_string_append_printf(t, "-%d", last_line(z));
		g_string_append(t, " of that iteration, ");
	} else {
		g_string_append(t, "nothing left of that iteration to skip, ");
	}
	if (f->iter < f->count)
		g_string_append_printf(t, "going on with iteration %u/%u",
			f->iter + 1, f->count);
	else
		g_string_append(t, "going on after the block (it was its last "
				   "iteration)");
	f->index = f->steps->len;
	engine_note(e, LOG_NOTE_KEEP_GOING, t->str);
	g_string_free(t, TRUE);
	return true;
}

void step_fail(struct engine *e, enum verdict v, enum confidence c,
	const char *fmt, ...)
{
	va_list ap;
	char *msg;
	char iteration[sizeof(e->st.iteration)];
	int line;

	if (!e->st.s)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	runlog_step_end(e,
		v == VERDICT_ENVIRONMENT_ERROR ? LOG_STEP_ERROR : LOG_STEP_FAIL,
		v, c, msg);
	line = e->st.s->line;
	g_strlcpy(iteration, e->st.iteration, sizeof(iteration));
	/* the run's result is its first failure's (or its environment
	 * error's: that one ends it) */
	if (e->failed++ && v != VERDICT_ENVIRONMENT_ERROR) {
		g_free(msg);
		step_clear(e);
		if (!keep_going(e, line, iteration))
			finish(e, ENGINE_OUTCOME_FAILED);
		else
			schedule_next(e);
		return;
	}
	e->result.verdict = v;
	e->result.confidence = c;
	e->result.fail_line = e->st.s->line;
	e->result.central = step_central(e)->name;
	g_free(e->message);
	/* with several centrals, which one failed is half the story */
	e->message = g_strdup_printf("%s at %s:%d (%s%s%s%s%s): %s",
		verdict_to_str(v), e->scn->file ? e->scn->file : "scenario",
		e->st.s->line, scn_step_type_to_str(e->st.s->type),
		e->n_centrals > 1 ? " as " : "",
		e->n_centrals > 1 ? step_central(e)->name : "",
		*e->st.iteration ? ", iteration " : "", e->st.iteration, msg);
	g_free(msg);
	step_clear(e);
	if (v != VERDICT_ENVIRONMENT_ERROR && keep_going(e, line, iteration))
		schedule_next(e);
	else
		finish(e, v == VERDICT_ENVIRONMENT_ERROR ?
				  ENGINE_OUTCOME_ERROR :
				  ENGINE_OUTCOME_FAILED);
}

static gboolean step_aux_due(gpointer data)
{
	struct engine *e = data;

	e->st.aux_timer = 0;
	e->st.aux_fn(e);
	return G_SOURCE_REMOVE;
}

void step_after(struct engine *e, int64_t ms, void (*fn)(struct engine *e))
{
	struct step *st = &e->st;

	if (st->aux_timer)
		e->env.clock->cancel(e->env.clock_data, st->aux_timer);
	st->aux_fn = fn;
	st->aux_timer = e->env.clock->timeout(e->env.clock_data, ms,
		step_aux_due, e);
}

void step_timed_out(struct engine *e, const char *d)
{
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"%s did not complete within %s",
		scn_step_type_to_str(e->st.s->type), d);
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
	if (st->ops->phase_to_str)
		step_timeline(e, "timeout (%s) in phase %s", d,
			st->ops->phase_to_str(st->phase));
	else
		step_timeline(e, "timeout (%s)", d);
	if (st->ops->timeout)
		st->ops->timeout(e, d);
	g_free(d);
	return G_SOURCE_REMOVE;
}

static void step_start(struct engine *e, const struct scn_step *s)
{
	struct step *st = &e->st;

	step_clear(e);
	st->s = s;
	st->ops = step_table[s->type];
	st->start_us = engine_now(e);
	st->timeline = g_ptr_array_new_with_free_func(g_free);
	st->agent = g_ptr_array_new_with_free_func(g_free);
	st->traces = g_ptr_array_new_with_free_func(g_free);
	st->hci = g_ptr_array_new_with_free_func(g_free);
	st->extra = json_builder_new();
	json_builder_begin_object(st->extra);
	iteration_label(e, st->iteration, sizeof(st->iteration));
	e->cur = MIN(scn_step_central(s, each_central(e)), e->n_centrals - 1);
	step_central(e)->dut_refused = false;
	e->started++;

	runlog_step_start(e);

	if (s->timeout_ms > 0)
		st->timer = e->env.clock->timeout(e->env.clock_data,
			s->timeout_ms, step_timeout, e);
	st->ops->start(e);
}

/* ---- program counter ---------------------------------------------------- */

static const struct scn_step *fetch(struct engine *e)
{
	while (e->depth > 0) {
		struct frame *f = &e->stack[e->depth - 1];

		if (f->index < f->steps->len) {
			const struct scn_step *s = g_ptr_array_index(f->steps,
				f->index++);

			if (!s->children)
				return s;
			e->stack[e->depth++] = (struct frame){ s->children, 0,
				1, s->count, true, s->each };
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

const struct scn_step *engine_peek_next(struct engine *e, unsigned *central)
{
	const struct frame *f;
	const struct scn_step *s = NULL;

	if (e->depth <= 0)
		return NULL;
	f = &e->stack[e->depth - 1];
	if (f->index < f->steps->len)
		s = g_ptr_array_index(f->steps, f->index);
	else if (f->repeat && f->iter < f->count && !f->each)
		/* the block's next iteration begins with its first step */
		s = g_ptr_array_index(f->steps, 0);
	if (!s || s->children)
		return NULL;
	*central = MIN(scn_step_central(s, each_central(e)), e->n_centrals - 1);
	return s;
}

void engine_next_step(struct engine *e)
{
	const struct scn_step *s;

	if (e->state != ENGINE_STATE_RUNNING)
		return;
	s = fetch(e);
	if (!s) {
		finish(e, e->failed ? ENGINE_OUTCOME_FAILED :
				      ENGINE_OUTCOME_PASSED);
		return;
	}
	step_start(e, s);
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

void engine_fail_env(struct engine *e, const char *why)
{
	env_fail(e, why);
}

/* ---- start and end ------------------------------------------------------ */

static gboolean report_finished(gpointer data)
{
	struct engine *e = data;

	e->kick = 0;
	if (e->finished)
		e->finished(e, &e->result, e->finished_data);
	return G_SOURCE_REMOVE;
}

/*
 * A run whose log could not be written has shown nothing, whatever its
 * steps did: it ends as an environment error with the write's reason
 * (what it had come to before is kept in the message).
 */
static void log_lost_outcome(struct engine *e)
{
	const GError *err = evlog_error(e->log);
	char *m;

	if (!err || e->result.outcome == ENGINE_OUTCOME_ERROR)
		return;
	m = e->message && e->result.outcome == ENGINE_OUTCOME_FAILED ?
	            g_strdup_printf("%s (before that: %s)", err->message,
			    e->message) :
	            g_strdup(err->message);
	g_free(e->message);
	e->message = m;
	e->result.outcome = ENGINE_OUTCOME_ERROR;
	e->result.verdict = VERDICT_ENVIRONMENT_ERROR;
	e->result.confidence = CONFIDENCE_NONE;
}

/* The result, for the caller and the run-end event. */
static void write_run_end(struct engine *e)
{
	struct engine_result *r = &e->result;

	log_lost_outcome(e);
	r->steps_run = e->started;
	r->steps_passed = e->passed;
	r->steps_failed = e->failed;
	r->steps_total = e->scn->total_steps;
	r->elapsed_ms = (engine_now(e) - e->run_start_us) / 1000;
	if (r->outcome == ENGINE_OUTCOME_FAILED && e->failed > 1) {
		char *m = g_strdup_printf("%s (and %u more failed steps: "
					  "--keep-going)",
			e->message, e->failed - 1);

		g_free(e->message);
		e->message = m;
	}
	r->message = e->message;
	switch (r->outcome) {
	case ENGINE_OUTCOME_PASSED:
		r->exit_status = 0;
		r->verdict = VERDICT_PASS;
		break;
	case ENGINE_OUTCOME_FAILED: r->exit_status = 1; break;
	case ENGINE_OUTCOME_ERROR:
		r->exit_status = 3;
		r->verdict = VERDICT_ENVIRONMENT_ERROR;
		break;
	case ENGINE_OUTCOME_INTERRUPTED: r->exit_status = 130; break;
	}
	runlog_run_end(e);
	/* the last line was the one that did not fit: the caller hears it */
	if (evlog_error(e->log) && r->outcome != ENGINE_OUTCOME_ERROR) {
		log_lost_outcome(e);
		r->message = e->message;
		r->exit_status = 3;
	}
}

static void cleanup_next(struct engine *e);

/*
 * What cleanup does per central, in order: stop its discovery, take down
 * the DUT's link if the run brought it up, Pairable as it was, privacy as
 * it was; then the agent. Whatever the outcome: a run that ends connected
 * makes the next run's scan fail (the DUT does not advertise while
 * connected).
 */
enum cleanup_stage {
	CLEANUP_DISCOVERY,
	CLEANUP_DISCONNECT,
	CLEANUP_PAIRABLE,
	CLEANUP_PRIVACY,
	CLEANUP_STAGES, /* per central; then the agent */
};

/* All of it, however many centrals: a bluetoothd that answers nothing
 * (or a simulator that stopped) does not keep the run from its end. */
#define CLEANUP_BOUND_MS 8000

static const char *cleanup_stage_to_str(struct engine *e)
{
	if (e->cleanup >= CLEANUP_STAGES * (int)e->n_centrals)
		return "unregistering the agent";
	switch ((enum cleanup_stage)(e->cleanup % CLEANUP_STAGES)) {
	case CLEANUP_DISCOVERY: return "stopping discovery";
	case CLEANUP_DISCONNECT: return "disconnecting the DUT";
	case CLEANUP_PAIRABLE: return "restoring Pairable";
	case CLEANUP_PRIVACY: return "restoring address privacy";
	case CLEANUP_STAGES: break;
	}
	return "cleaning up";
}

static bool cleaning(struct engine *e)
{
	return e->state == ENGINE_STATE_FINISHING;
}

/* The stage's wait is over (its answer, or for a disconnect the drop,
 * whichever came first): the next one. */
void engine_cleanup_done_waiting(struct engine *e)
{
	guint id = e->cleanup_call;

	e->cleanup_call = 0;
	e->cleanup_drop = NULL;
	/* the drop came first: its answer is nobody's now */
	if (id)
		e->env.bluez->cancel(e->env.bluez_data, id);
	e->cleanup++;
	cleanup_next(e);
}

static void cleanup_privacy_done(struct engine *e)
{
	if (cleaning(e))
		engine_cleanup_done_waiting(e);
}

static void cleanup_reply(struct engine *e, const struct bluez_reply *r)
{
	(void)r;
	/* answered: nothing to cancel */
	e->cleanup_call = 0;
	if (cleaning(e))
		engine_cleanup_done_waiting(e);
}

static void agent_gone(const GError *error, void *data)
{
	struct engine *e = data;

	/* after a cut-short cleanup the run has ended without it */
	if (!cleaning(e))
		return;
	runlog_agent(e, LOG_AGENT_UNREGISTERED, error);
	e->agent_registered = false;
	e->cleanup++;
	cleanup_next(e);
}

static void cleanup_call(struct engine *e, enum bluez_op op, const char *path,
	GVariant *arg)
{
	int stage = e->cleanup;
	guint id = step_call(e, op, path, arg, cleanup_reply);

	/* unless it was answered at once and cleanup went on */
	if (cleaning(e) && e->cleanup == stage)
		e->cleanup_call = id;
}

static void cleanup_end(struct engine *e)
{
	if (e->cleanup_timer) {
		e->env.clock->cancel(e->env.clock_data, e->cleanup_timer);
		e->cleanup_timer = 0;
	}
	write_run_end(e);
	engine_enter_state(e, ENGINE_STATE_DONE);
	if (!e->kick)
		e->kick = e->env.clock->timeout(e->env.clock_data, 0,
			report_finished, e);
}

/*
 * Leave each central's adapter as we found it, one call at a time, then
 * unregister the agent. e->cleanup counts the stages done: CLEANUP_STAGES
 * per central, then the agent.
 */
static void cleanup_next(struct engine *e)
{
	bool talk = e->bluez_ok && !e->bus_lost;
	bool cur = false;

	while (e->cleanup < CLEANUP_STAGES * (int)e->n_centrals) {
		struct central *c = &e->centrals[e->cleanup / CLEANUP_STAGES];

		switch ((enum cleanup_stage)(e->cleanup % CLEANUP_STAGES)) {
		case CLEANUP_DISCOVERY:
			if (talk && c->discovering) {
				c->discovering = false;
				cleanup_call(e, BLUEZ_OP_STOP_DISCOVERY,
					c->adapter, NULL);
				return;
			}
			break;
		case CLEANUP_DISCONNECT:
			/* the run's link: one it brought up, or one that
			 * dropped and came back during it; a link that was up
			 * before and stayed is someone else's */
			if (talk && central_dut(c) && central_connected(c) &&
				(!c->link_at_start || c->link_dropped ||
					e->cfg.disconnect_at_end)) {
				/* bluetoothd answers when the link is down,
				 * after its own 2 s timer; the drop ends the
				 * wait as well */
				e->cleanup_drop = c;
				cleanup_call(e, BLUEZ_OP_DISCONNECT,
					central_dut(c), NULL);
				return;
			}
			/* a Connect() made ahead of a reconnect that never
			 * came would connect the DUT after the run: cancel
			 * it (Disconnect() ends a pending connection) */
			if (talk && central_dut(c) && c->early.in_flight &&
				!central_connected(c)) {
				c->early.in_flight = false;
				cleanup_call(e, BLUEZ_OP_DISCONNECT,
					central_dut(c), NULL);
				return;
			}
			break;
		case CLEANUP_PRIVACY:
			/* its privacy as it was: the adapter powers off and
			 * on again, so after the rest */
			if (talk && c->priv.changed) {
				privacy_restore(e, c, cleanup_privacy_done);
				return;
			}
			break;
		case CLEANUP_PAIRABLE:
			if (talk && c->pairable_saved && c->adapter &&
				model_bool(e->env.model, c->adapter,
					BLUEZ_IFACE_ADAPTER, "Pairable",
					&cur) &&
				cur != c->pairable_orig) {
				cleanup_call(e, BLUEZ_OP_SET_PAIRABLE,
					c->adapter,
					g_variant_new_boolean(c->pairable_orig));
				return;
			}
			break;
		case CLEANUP_STAGES: break;
		}
		e->cleanup++;
	}
	if (e->cleanup == CLEANUP_STAGES * (int)e->n_centrals) {
		if (e->agent_registered && !e->bus_lost) {
			e->env.agent->unregister_agent(e->env.agent_data,
				agent_gone, e);
			return;
		}
		e->cleanup++;
	}
	cleanup_end(e);
}

/*
 * What is left undone stays undone: the run ends now, saying so, with its
 * outcome as it was. For a second Ctrl-C, a bus or a bluetoothd that went
 * away, or no answer in time. Late answers find the run done.
 */
static void cleanup_cut_short(struct engine *e, const char *why)
{
	char *m;

	if (!cleaning(e))
		return;
	m = g_strdup_printf("cleanup cut short (%s) while %s", why,
		cleanup_stage_to_str(e));
	engine_note(e, LOG_NOTE_CLEANUP, m);
	g_free(m);
	e->cleanup_call = 0;
	e->cleanup_drop = NULL;
	while (e->calls) {
		struct call *c = e->calls->data;

		e->env.bluez->cancel(e->env.bluez_data, c->id);
	}
	for (unsigned i = 0; i < e->n_centrals; i++)
		privacy_abandon(&e->centrals[i]);
	e->priv_busy = NULL;
	cleanup_end(e);
}

static gboolean cleanup_expired(gpointer data)
{
	struct engine *e = data;
	char *d = duration_format(CLEANUP_BOUND_MS), *why;

	e->cleanup_timer = 0;
	why = g_strdup_printf("no answer within %s", d);
	cleanup_cut_short(e, why);
	g_free(why);
	g_free(d);
	return G_SOURCE_REMOVE;
}

static void finish(struct engine *e, enum engine_outcome o)
{
	if (e->state == ENGINE_STATE_FINISHING || e->state == ENGINE_STATE_DONE)
		return;
	if (e->state == ENGINE_STATE_WAITING)
		runlog_run_start(e);
	if (e->ready_timer) {
		e->env.clock->cancel(e->env.clock_data, e->ready_timer);
		e->ready_timer = 0;
	}
	if (e->kick) {
		e->env.clock->cancel(e->env.clock_data, e->kick);
		e->kick = 0;
	}
	engine_enter_state(e, ENGINE_STATE_FINISHING);
	e->result.outcome = o;
	step_clear(e);
	e->cleanup = 0;
	e->cleanup_timer = e->env.clock->timeout(e->env.clock_data,
		CLEANUP_BOUND_MS, cleanup_expired, e);
	cleanup_next(e);
}

static gboolean log_failed_due(gpointer data)
{
	struct engine *e = data;

	e->log_timer = 0;
	/* during cleanup, the outcome is changed at the run's end */
	env_fail(e, evlog_error(e->log)->message);
	return G_SOURCE_REMOVE;
}

/* From inside a log write: acted on from the loop, not under the writer. */
static void log_failed(const GError *error, void *data)
{
	struct engine *e = data;

	(void)error;
	if (!e->log_timer)
		e->log_timer = e->env.clock->timeout(e->env.clock_data, 0,
			log_failed_due, e);
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
	e->n_centrals = MAX(scn->centrals->len, 1);
	e->centrals = g_new0(struct central, e->n_centrals);
	for (unsigned i = 0; i < e->n_centrals; i++)
		central_init(&e->centrals[i], e, i);
	if (cfg->device)
		e->dev_address = g_ascii_strup(cfg->device, -1);
	if (!e->cfg.ready_timeout_ms)
		e->cfg.ready_timeout_ms = 10000;
	if (!e->cfg.tool_version)
		e->cfg.tool_version = "unknown";
	evlog_set_clock(log, log_clock, e);
	evlog_set_error_fn(log, log_failed, e);
	e->watch = model_watch(env->model, engine_on_model, e, NULL);
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
	if (e->log_timer)
		e->env.clock->cancel(e->env.clock_data, e->log_timer);
	if (e->cleanup_timer)
		e->env.clock->cancel(e->env.clock_data, e->cleanup_timer);
	evlog_set_error_fn(e->log, NULL, NULL);
	/* calls still in flight must not call back into freed memory */
	while (e->calls) {
		struct call *c = e->calls->data;

		e->env.bluez->cancel(e->env.bluez_data, c->id);
	}
	model_unwatch(e->env.model, e->watch);
	for (unsigned i = 0; i < e->n_centrals; i++)
		central_clear(&e->centrals[i]);
	g_free(e->centrals);
	g_free(e->public_pass_central);
	g_free(e->agent_cap);
	g_free(e->dev_address);
	g_free(e->dut_name);
	g_free(e->message);
	if (e->early_notes)
		g_ptr_array_free(e->early_notes, TRUE);
	g_free(e);
}

const char *engine_adapter(struct engine *e)
{
	return e->centrals[0].adapter;
}

unsigned engine_centrals(struct engine *e)
{
	return e->n_centrals;
}

const char *engine_central_name(struct engine *e, unsigned central)
{
	return central < e->n_centrals ? e->centrals[central].name : NULL;
}

const char *engine_central_adapter(struct engine *e, unsigned central)
{
	return central < e->n_centrals ? e->centrals[central].adapter : NULL;
}

bool engine_early_connect_wanted(void)
{
	return g_strcmp0(g_getenv("BONDCHECK_EARLY_CONNECT"), "no") != 0;
}

void engine_start(struct engine *e, engine_finished_fn fn, void *user_data)
{
	e->finished = fn;
	e->finished_data = user_data;
	e->run_start_us = engine_now(e);
	engine_enter_state(e, ENGINE_STATE_WAITING);
	e->ready_timer = e->env.clock->timeout(e->env.clock_data,
		e->cfg.ready_timeout_ms, not_ready, e);
	if (e->bluez_ok)
		engine_setup(e);
}

void engine_bluez_available(struct engine *e, bool available, const char *why)
{
	e->bluez_ok = available;
	if (available) {
		engine_setup(e);
		return;
	}
	if (cleaning(e)) {
		cleanup_cut_short(e, "bluetoothd left the bus");
	} else if (e->state == ENGINE_STATE_RUNNING) {
		char *m = g_strdup_printf("bluetoothd left the bus%s%s",
			why ? ": " : "", why ? why : "");

		env_fail(e, m);
		g_free(m);
	} else if (e->state == ENGINE_STATE_WAITING) {
		char *m = g_strdup_printf("bluetoothd is not running (%s on "
					  "the system bus)",
			why ? why : "no org.bluez");

		env_fail(e, m);
		g_free(m);
	}
}

void engine_bus_lost(struct engine *e)
{
	e->bus_lost = true;
	if (cleaning(e))
		cleanup_cut_short(e, "lost the connection to the system bus");
	else
		env_fail(e, "lost the connection to the system bus");
}

void engine_interrupt(struct engine *e)
{
	/* a second Ctrl-C: leave now */
	if (cleaning(e)) {
		cleanup_cut_short(e, "interrupted again");
		return;
	}
	if (e->state == ENGINE_STATE_DONE)
		return;
	e->interrupted = true;
	if (e->st.s) {
		runlog_step_end(e, LOG_STEP_INTERRUPTED, VERDICT_PASS,
			CONFIDENCE_NONE, "interrupted");
	}
	g_free(e->message);
	e->message = g_strdup("interrupted");
	if (e->state == ENGINE_STATE_WAITING)
		runlog_run_start(e);
	finish(e, ENGINE_OUTCOME_INTERRUPTED);
}

bool engine_progress(struct engine *e, struct engine_progress *p)
{
	const struct scn_step *s = e->st.s;

	if (!s)
		return false;
	p->step = scn_step_type_to_str(s->type);
	p->text = s->text;
	p->line = s->line;
	p->index = e->started;
	p->total = e->scn->total_steps;
	p->iteration = e->st.iteration;
	p->elapsed_ms = step_ms(e);
	/* a sleep has no timeout: its length is what it waits */
	p->timeout_ms = s->timeout_ms ? s->timeout_ms : s->sleep_ms;
	return true;
}

const char *engine_device_path(struct engine *e)
{
	return e->centrals[0].dev_path;
}
