/* SPDX-License-Identifier: MIT */
/*
 * step-reboot.c — `reboot`: trigger the DUT's reboot, wait for the link to
 * drop (if it was up), then for the DUT to advertise again.
 *
 * The trigger is the simulator's Sim1.Reboot, a GATT write, a command, a
 * serial line, or the person at the bench. A device with the DUT's name
 * that BlueZ did not know before the trigger is the DUT back under another
 * address: identity-changed.
 */
#include <string.h>

#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "step.h"

enum reboot_phase {
	REBOOT_PHASE_STOPPING_DISCOVERY,
	REBOOT_PHASE_TRIGGERING,
	REBOOT_PHASE_WAITING_LINK_DROP,
	REBOOT_PHASE_WAITING_ADVERTISING,
	REBOOT_PHASE_STOPPING_AFTER,
};

static const char *reboot_phase_to_str(int phase)
{
	switch ((enum reboot_phase)phase) {
	case REBOOT_PHASE_STOPPING_DISCOVERY: return "stopping-discovery";
	case REBOOT_PHASE_TRIGGERING: return "triggering";
	case REBOOT_PHASE_WAITING_LINK_DROP: return "waiting-for-link-drop";
	case REBOOT_PHASE_WAITING_ADVERTISING: return "waiting-for-advertising";
	case REBOOT_PHASE_STOPPING_AFTER: return "stopping-discovery-after";
	}
	return "unknown";
}

/* A trigger event: the builder holds via and event; add, then end it. */
static JsonBuilder *trigger_event(struct engine *e, const char *event)
{
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_TRIGGER);

	runlog_add_central(b, step_central(e));
	log_add_str(b, LOG_KEY_VIA, scn_via_to_str(e->st.u.reboot.via));
	log_add_str(b, LOG_KEY_EVENT, event);
	return b;
}

static enum scn_via choose_via(struct engine *e)
{
	struct central *c = step_central(e);

	if (e->cfg.reboot_cmd)
		return SCN_VIA_COMMAND;
	if (e->st.s->via_given)
		return e->st.s->via;
	if (e->cfg.sim)
		return SCN_VIA_SIM;
	if (central_find_chr(c, SCN_REBOOT_UUID))
		return SCN_VIA_GATT;
	return SCN_VIA_MANUAL;
}

/* The link's end as each source names it: what kind of reboot it shows. */
static const char *reason_kind(const char *reason, int hci)
{
	if (hci == 0x08 || (reason && strstr(reason, "Timeout")))
		return "hard";
	if (hci == 0x13 || hci == 0x15 || (reason && strstr(reason, "Remote")))
		return "graceful";
	return NULL;
}

/* How the link ended, from the best source so far: HCI, the Disconnected
 * signal (BlueZ 5.83+), or the simulator's own account. */
static void link_end_seen(struct engine *e, const char *reason,
	const char *source, int hci)
{
	struct reboot_state *rb = &e->st.u.reboot;

	if (rb->hci_reason >= 0 || (rb->reason && hci < 0))
		return;
	g_free(rb->reason);
	rb->reason = g_strdup_printf("%s (%s)", reason, source);
	rb->hci_reason = hci;
}

/* Is the next step a reconnect of this step's central? */
static bool reconnect_follows(struct engine *e)
{
	unsigned central;
	const struct scn_step *next = engine_peek_next(e, &central);

	return next && next->type == SCN_STEP_RECONNECT && central == e->cur;
}

/*
 * The link is down. When a reconnect follows, Connect() now: the kernel
 * scans for the bonded DUT and connects at its first advertisement,
 * where a Connect() made after discovery saw it waits for the next one
 * (an advertising interval lost per reboot). Discovery still runs, so
 * the step records when the DUT advertised; the reconnect step takes the
 * call over (step-link.c).
 */
static void wait_adverts(struct engine *e)
{
	struct central *c = step_central(e);

	step_enter_phase(e, REBOOT_PHASE_WAITING_ADVERTISING);
	e->reboot_mark_us = e->st.u.reboot.trigger_us;
	if (e->cfg.early_connect && reconnect_follows(e) &&
		link_early_connect(e, c))
		step_timeline(e,
			"Connect() now, for the reconnect that "
			"follows: the kernel connects at the DUT's first "
			"advertisement");
	central_start_discovery(c);
}

static void triggered(struct engine *e)
{
	evlog_end(e->log, trigger_event(e, LOG_TRIGGER_DONE));
	if (e->st.phase != REBOOT_PHASE_TRIGGERING)
		return;
	if (e->st.u.reboot.was_connected &&
		central_connected(step_central(e))) {
		step_enter_phase(e, REBOOT_PHASE_WAITING_LINK_DROP);
		return;
	}
	wait_adverts(e);
}

static void trigger_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && e->st.u.reboot.via == SCN_VIA_SIM) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"Sim1.Reboot failed: %s", r->error->message);
		return;
	}
	/* via=gatt: the DUT may reset before it answers the write */
	if (r->error)
		step_timeline(e,
			"the reboot write got no answer (%s): "
			"expected if the DUT reset at once",
			r->error->message);
	triggered(e);
}

/* The last lines of the command's output kept for its step's message. */
#define TRIGGER_OUTPUT_LINES 8
#define TRIGGER_OUTPUT_CHARS 200

static void trigger_line(const char *stream, const char *line, void *data)
{
	struct engine *e = data;
	struct reboot_state *rb = &e->st.u.reboot;
	JsonBuilder *b = evlog_begin_event(e->log, LOG_EVENT_TRIGGER);

	if (step_running(e, &step_reboot_ops)) {
		if (!rb->output)
			rb->output = g_ptr_array_new_with_free_func(g_free);
		if (rb->output->len == TRIGGER_OUTPUT_LINES)
			g_ptr_array_remove_index(rb->output, 0);
		g_ptr_array_add(rb->output,
			g_utf8_make_valid(line,
				MIN(strlen(line), TRIGGER_OUTPUT_CHARS)));
		rb->output_lines++;
	}

	runlog_add_central(b, step_central(e));
	log_add_str(b, LOG_KEY_VIA, scn_via_to_str(SCN_VIA_COMMAND));
	log_add_str(b, LOG_KEY_STREAM, stream);
	log_add_str(b, LOG_KEY_LINE, line);
	evlog_end(e->log, b);
}

/*
 * The reboot command exited with @status != 0: it did not do what it is
 * for (a reset tool that found no board, a relay that is not there), so the
 * step fails now, with what the command said, instead of waiting for a
 * reboot that will not come.
 */
static void command_failed(struct engine *e, int status)
{
	struct reboot_state *rb = &e->st.u.reboot;
	GString *said = g_string_new("");

	for (guint i = 0; rb->output && i < rb->output->len; i++)
		g_string_append_printf(said, "%s%s", i ? " | " : "",
			(const char *)g_ptr_array_index(rb->output, i));
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"the reboot command exited with %d%s%s%s%s", status,
		said->len ? ": " : " and wrote nothing",
		rb->output_lines > TRIGGER_OUTPUT_LINES ? "... " : "",
		said->str,
		status == 127 ? " (127: the shell did not find "
				"the command)" :
				"");
	g_string_free(said, TRUE);
}

static void trigger_done(int status, const GError *error, void *data)
{
	struct engine *e = data;
	struct reboot_state *rb = &e->st.u.reboot;
	JsonBuilder *b;

	if (!step_running(e, &step_reboot_ops))
		return;
	rb->trigger_id = 0;
	b = trigger_event(e, LOG_TRIGGER_EXIT);
	log_add_int(b, LOG_KEY_STATUS, status);
	if (error)
		log_add_str(b, LOG_KEY_ERROR, error->message);
	evlog_end(e->log, b);
	if (error) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"the reboot %s failed: %s",
			rb->via == SCN_VIA_SERIAL ? "port" : "command",
			error->message);
		return;
	}
	step_extra_int(e, LOG_KEY_TRIGGER_STATUS, status);
	if (status != 0) {
		command_failed(e, status);
		return;
	}
	triggered(e);
}

static GBytes *default_serial_bytes(void)
{
	/* interrupt a running program, then a hard reset from the REPL */
	static const char s[] = "\x03\x03import machine; machine.reset()\r";

	return g_bytes_new_static(s, sizeof(s) - 1);
}

static void trigger_gatt(struct engine *e)
{
	const struct scn_step *s = e->st.s;
	const char *uuid = s->uuid ? s->uuid : SCN_REBOOT_UUID;
	const char *chr = central_find_chr(step_central(e), uuid);
	GBytes *v;
	gsize n;
	const guint8 *d;

	if (!chr || !e->st.u.reboot.was_connected) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"reboot via=gatt needs a connection and the "
			"characteristic %s",
			uuid);
		return;
	}
	v = s->value ? g_bytes_ref(s->value) : g_bytes_new_static("\x01", 1);
	d = g_bytes_get_data(v, &n);
	step_call(e, BLUEZ_OP_WRITE, chr,
		g_variant_new("(@ays)",
			g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, d, n, 1),
			"request"),
		trigger_reply);
	g_bytes_unref(v);
}

/* Devices seen before: a newcomer with the DUT's name is the DUT. */
static void remember_devices(struct engine *e)
{
	struct reboot_state *rb = &e->st.u.reboot;
	GPtrArray *all = model_find(e->env.model, BLUEZ_IFACE_DEVICE,
		step_central(e)->adapter);

	rb->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		NULL);
	for (guint i = 0; i < all->len; i++)
		g_hash_table_add(rb->known,
			g_strdup(g_ptr_array_index(all, i)));
	g_ptr_array_free(all, TRUE);
}

static void reboot_trigger(struct engine *e)
{
	const struct scn_step *s = e->st.s;
	struct central *c = step_central(e);
	struct reboot_state *rb = &e->st.u.reboot;

	evlog_end(e->log, trigger_event(e, LOG_TRIGGER_START));
	step_enter_phase(e, REBOOT_PHASE_TRIGGERING);
	rb->trigger_us = engine_now(e);
	rb->was_connected = central_connected(c);
	e->reboot_mark_us = rb->trigger_us;
	remember_devices(e);
	step_timeline(e, "trigger via %s (link %s)", scn_via_to_str(rb->via),
		rb->was_connected ? "up" : "down");

	switch (rb->via) {
	case SCN_VIA_SIM: {
		char *sim = bluez_sim_path(c->adapter);

		if (s->kind == SCN_REBOOT_GRACEFUL)
			step_call(e, BLUEZ_OP_SIM_REBOOT_KIND, sim,
				g_variant_new_string(
					scn_reboot_kind_to_str(s->kind)),
				trigger_reply);
		else
			step_call(e, BLUEZ_OP_SIM_REBOOT, sim, NULL,
				trigger_reply);
		g_free(sim);
		break;
	}
	case SCN_VIA_GATT: trigger_gatt(e); break;
	case SCN_VIA_COMMAND: {
		/* the command may do either kind: it is told which */
		char *kind = g_strdup_printf("BONDCHECK_REBOOT_KIND=%s",
			scn_reboot_kind_to_str(s->kind));
		const char *env[] = { kind, NULL };

		rb->trigger_id = e->env.trigger->command(e->env.trigger_data,
			e->cfg.reboot_cmd ? e->cfg.reboot_cmd : s->cmd, env,
			trigger_line, trigger_done, e);
		g_free(kind);
		break;
	}
	case SCN_VIA_SERIAL: {
		GBytes *bytes = s->send ? g_bytes_ref(s->send) :
		                          default_serial_bytes();

		rb->trigger_id = e->env.trigger->serial(e->env.trigger_data,
			s->port, s->baud, bytes, trigger_done, e);
		g_bytes_unref(bytes);
		break;
	}
	case SCN_VIA_MANUAL:
		e->env.trigger->prompt(e->env.trigger_data,
			"Reboot the device now (reset button or power cycle). "
			"Waiting for it to drop the link and advertise "
			"again...");
		triggered(e);
		break;
	}
}

static void reboot_start(struct engine *e)
{
	e->st.u.reboot.via = choose_via(e);
	e->st.u.reboot.hci_reason = -1;
	step_extra_str(e, LOG_KEY_VIA, scn_via_to_str(e->st.u.reboot.via));
	step_extra_str(e, LOG_KEY_KIND, scn_reboot_kind_to_str(e->st.s->kind));
	/* discovery off: RSSI is invalidated, so its return is visible */
	central_stop_discovery(step_central(e));
}

static void reboot_clear(struct engine *e)
{
	struct reboot_state *rb = &e->st.u.reboot;

	if (rb->trigger_id)
		e->env.trigger->cancel(e->env.trigger_data, rb->trigger_id);
	if (rb->known)
		g_hash_table_destroy(rb->known);
	if (rb->output)
		g_ptr_array_free(rb->output, TRUE);
	g_free(rb->reason);
}

static void reboot_discovery_stopped(struct engine *e)
{
	if (e->st.phase == REBOOT_PHASE_STOPPING_DISCOVERY)
		reboot_trigger(e);
	else if (e->st.phase == REBOOT_PHASE_STOPPING_AFTER)
		step_pass(e);
}

static void reboot_dut_seen(struct engine *e, const char *path)
{
	struct central *c = step_central(e);

	(void)path;
	if (e->st.phase != REBOOT_PHASE_WAITING_ADVERTISING)
		return;
	c->dut_seen_us = engine_now(e);
	step_extra_int(e, LOG_KEY_ADVERTISING_AFTER_MS,
		(c->dut_seen_us - e->st.u.reboot.trigger_us) / 1000);
	step_timeline(e, "advertising again");
	if (c->early.active) {
		/* the link is coming at this advertisement: the reconnect
		 * step takes over now, before the link's first event (with
		 * discovery still on) */
		step_pass(e);
		return;
	}
	step_enter_phase(e, REBOOT_PHASE_STOPPING_AFTER);
	central_stop_discovery(c);
}

static void reboot_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	struct reboot_state *rb = &e->st.u.reboot;

	/* the early Connect() got the link before discovery reported the
	 * DUT: it advertised */
	if (!strcmp(name, "Connected") && step_true(v) &&
		e->st.phase == REBOOT_PHASE_WAITING_ADVERTISING &&
		step_central(e)->early.active) {
		step_timeline(e, "the early Connect() got the link");
		reboot_dut_seen(e, NULL);
		return;
	}
	if (strcmp(name, "Connected") != 0 || step_true(v) ||
		e->st.phase < REBOOT_PHASE_TRIGGERING || !rb->was_connected ||
		rb->link_lost)
		return;
	/* a graceful reboot may end the link before the trigger is done */
	rb->link_lost = true;
	step_extra_int(e, LOG_KEY_LINK_LOST_AFTER_MS,
		(engine_now(e) - rb->trigger_us) / 1000);
	if (e->st.phase == REBOOT_PHASE_WAITING_LINK_DROP)
		wait_adverts(e);
}

static void reboot_dut_disconnected(struct engine *e, const char *reason)
{
	link_end_seen(e, reason, "Device1.Disconnected", -1);
}

static void reboot_hci(struct engine *e, const struct engine_hci_event *ev)
{
	if (!strcmp(ev->what, LOG_HCI_DISCONNECT) && ev->reason >= 0 &&
		e->st.u.reboot.was_connected)
		link_end_seen(e, ev->text, "HCI", ev->reason);
}

static void reboot_sim_trace(struct engine *e, JsonObject *t)
{
	const char *ev = json_object_get_string_member_with_default(t, "event",
		"");
	const char *reason = json_object_get_string_member_with_default(t,
		"reason", NULL);

	if (!strcmp(ev, "link-down") && reason && e->st.u.reboot.was_connected)
		link_end_seen(e, reason, "the simulator's link-down", -1);
}

/* What the reboot did to the link, beside what the step says it is. */
static void reboot_evidence(struct engine *e, JsonBuilder *b)
{
	struct reboot_state *rb = &e->st.u.reboot;
	const char *kind = scn_reboot_kind_to_str(e->st.s->kind);
	const char *seen = reason_kind(rb->reason, rb->hci_reason);

	if (rb->output && rb->via == SCN_VIA_COMMAND)
		log_add_strv(b, LOG_KEY_TRIGGER_OUTPUT, rb->output);
	if (!rb->was_connected)
		return;
	log_add_str(b, LOG_KEY_DISCONNECT_REASON,
		rb->reason ?
			rb->reason :
			"unknown (no HCI monitor, and this BlueZ has no Disconnected "
			"signal)");
	if (seen && strcmp(seen, kind))
		step_timeline(e,
			"the link ended as in a %s reboot (%s), though "
			"the step says kind=%s",
			seen, rb->reason, kind);
}

static void reboot_device_added(struct engine *e, const char *path,
	GVariant *props)
{
	const char *name = NULL, *addr = NULL, *type = NULL;
	GHashTable *known = e->st.u.reboot.known;

	if (e->st.phase < REBOOT_PHASE_TRIGGERING || !e->dut_name ||
		g_hash_table_contains(known, path))
		return;
	g_variant_lookup(props, "Name", "&s", &name);
	g_variant_lookup(props, "Address", "&s", &addr);
	g_variant_lookup(props, "AddressType", "&s", &type);
	if (!name || strcmp(name, e->dut_name) != 0)
		return;
	step_timeline(e, "a new device '%s' at %s (%s) appeared", name,
		addr ? addr : "?", type ? type : "?");
	step_extra_str(e, LOG_KEY_NEW_ADDRESS, addr);
	step_extra_str(e, LOG_KEY_NEW_ADDRESS_TYPE, type);
	step_extra_str(e, LOG_KEY_OLD_ADDRESS, e->dev_address);
	step_fail(e, VERDICT_IDENTITY_CHANGED, CONFIDENCE_INFERRED,
		"the DUT '%s' came back as %s (%s) instead of %s", name,
		addr ? addr : "?", type ? type : "?", e->dev_address);
}

static void reboot_timeout(struct engine *e, const char *d)
{
	switch ((enum reboot_phase)e->st.phase) {
	case REBOOT_PHASE_STOPPING_DISCOVERY:
	case REBOOT_PHASE_TRIGGERING:
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the reboot trigger did not finish within %s", d);
		break;
	case REBOOT_PHASE_WAITING_LINK_DROP:
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the link never dropped within %s: did the DUT "
			"reboot?",
			d);
		break;
	case REBOOT_PHASE_WAITING_ADVERTISING:
	case REBOOT_PHASE_STOPPING_AFTER:
		step_fail(e, VERDICT_NOT_ADVERTISING, CONFIDENCE_INFERRED,
			"after the reboot the DUT did not advertise again "
			"within %s",
			d);
		break;
	}
}

const struct step_ops step_reboot_ops = {
	.start = reboot_start,
	.clear = reboot_clear,
	.dut_seen = reboot_dut_seen,
	.device_added = reboot_device_added,
	.discovery_stopped = reboot_discovery_stopped,
	.dut_prop = reboot_dut_prop,
	.dut_disconnected = reboot_dut_disconnected,
	.hci = reboot_hci,
	.sim_trace = reboot_sim_trace,
	.evidence = reboot_evidence,
	.timeout = reboot_timeout,
	.phase_to_str = reboot_phase_to_str,
};
