/* SPDX-License-Identifier: MIT */
/*
 * step-link.c — `connect`, `reconnect` and `disconnect`.
 *
 * connect and reconnect watch everything BlueZ and the kernel say about
 * the attempt (struct link_obs) and hand a failed one to the classifier
 * (verdict.c), which gives it exactly one verdict. A failure waits
 * LINK_SETTLE_MS for late evidence (the Disconnected reason, HCI) first.
 */
#include <string.h>

#include "step.h"

/* after a failed link, evidence (Disconnected reason, HCI) may still come */
#define LINK_SETTLE_MS 200

enum link_phase {
	LINK_PHASE_START,
	LINK_PHASE_STOPPING_DISCOVERY,
	LINK_PHASE_CONNECTING,
};

static const char *link_phase_to_str(int phase)
{
	switch ((enum link_phase)phase) {
	case LINK_PHASE_START: return "start";
	case LINK_PHASE_STOPPING_DISCOVERY: return "stopping-discovery";
	case LINK_PHASE_CONNECTING: return "connecting";
	}
	return "unknown";
}

static void link_finish_fail(struct engine *e)
{
	struct link_obs *o = &e->st.u.link.obs;
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
	step_extra_str(e, LOG_KEY_RULE, why);
	if (v == VERDICT_PEER_REMOVED_PAIRING)
		privacy_reconnect_failed(e, e->st.u.link.links_before);
	if (e->st.u.link.reconnect) {
		/* other centrals bonded since this one: a bond table that
		 * evicted it looks exactly like this */
		GString *msg = g_string_new(why);

		central_bond_history(step_central(e), e->st.extra, msg);
		step_fail(e, v, c, "%s", msg->str);
		g_string_free(msg, TRUE);
		return;
	}
	step_fail(e, v, c, "%s", why);
}

/* The attempt failed: collect what BlueZ and the kernel say next, then
 * classify. */
static void link_failed(struct engine *e)
{
	struct link_state *l = &e->st.u.link;

	if (l->settling)
		return;
	l->settling = true;
	step_after(e, LINK_SETTLE_MS, link_finish_fail);
}

static void link_evaluate(struct engine *e)
{
	struct link_state *l = &e->st.u.link;
	struct link_obs *o = &l->obs;
	bool connected = central_connected(step_central(e));

	if (l->settling)
		return;
	if (o->bond_lost || o->identity_changed) {
		link_failed(e);
		return;
	}
	if (!o->replied)
		return;   /* everything BlueZ says comes before its reply */
	if (o->reply_ok && !o->dropped && connected && o->resolved &&
	    !(o->pairing_requested && o->bonded)) {
		step_extra_int(e, LOG_KEY_LATENCY_MS, step_ms(e));
		if (o->bonded)
			privacy_reconnect_passed(e, l->links_before);
		step_pass(e);
		return;
	}
	if (o->reply_ok && connected && !o->dropped &&
	    !(o->pairing_requested && o->bonded))
		return;   /* services still resolving: wait (or drop) */
	/*
	 * bluetoothd answers Connect() when the ATT channel is up and sets
	 * Connected when the kernel's mgmt Device Connected event comes: two
	 * paths, either may be first (seen in the QEMU tier). A success with
	 * no Connected yet waits for it, within the step's timeout.
	 */
	if (o->reply_ok && !l->connected_seen)
		return;
	link_failed(e);
}

static void connect_reply(struct engine *e, const struct bluez_reply *r)
{
	struct link_obs *o = &e->st.u.link.obs;

	o->replied = true;
	o->reply_ok = r->error == NULL;
	o->error_name = e->st.err_name;
	o->error_text = e->st.err_text;
	link_evaluate(e);
}

static void link_start(struct engine *e, bool reconnect)
{
	struct central *c = step_central(e);
	struct link_obs *o = &e->st.u.link.obs;
	const char *p = central_dut(c);

	link_obs_init(o);
	e->st.u.link.reconnect = reconnect;
	e->st.u.link.links_before = c->priv.links;
	if (!p) {
		if (reconnect && e->dev_address) {
			o->bond_lost = true;
			step_timeline(e, "the device object is gone from BlueZ");
			link_finish_fail(e);
			return;
		}
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT is not known to BlueZ yet: add a scan step "
			"before this one");
		return;
	}
	o->bonded = central_bonded(c);
	if (reconnect && !o->bonded) {
		o->bond_lost = true;
		step_timeline(e, "the host holds no bond for the DUT");
		link_finish_fail(e);
		return;
	}
	o->dut_advertised = c->dut_seen_us &&
			    c->dut_seen_us >= e->reboot_mark_us;
	if (central_connected(c) &&
	    central_dev_bool(c, "ServicesResolved")) {
		step_timeline(e, "already connected");
		step_pass(e);
		return;
	}
	/* a new pairing during a bonded reconnect is a finding, not a step */
	central_agent_policy(c, !o->bonded, -1);
	step_enter_phase(e, LINK_PHASE_STOPPING_DISCOVERY);
	central_stop_discovery(c);
}

static void connect_start(struct engine *e)
{
	link_start(e, false);
}

static void reconnect_start(struct engine *e)
{
	link_start(e, true);
}

static void link_discovery_stopped(struct engine *e)
{
	if (e->st.phase != LINK_PHASE_STOPPING_DISCOVERY)
		return;
	step_enter_phase(e, LINK_PHASE_CONNECTING);
	step_call(e, BLUEZ_OP_CONNECT, central_dut(step_central(e)), NULL,
		connect_reply);
}

static void link_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	struct link_obs *o = &e->st.u.link.obs;
	bool b = step_true(v);

	if (!strcmp(name, "Connected")) {
		if (!b && !o->connected) {
			/*
			 * no link of this step went up yet: the previous
			 * link's drop, late (seen in the QEMU tier after a
			 * disconnect step that ended on ServicesResolved=false
			 * and its reply); this attempt's link is still to come
			 */
			step_timeline(e, "Connected=false before this attempt's "
				"link: the previous link's, late");
			return;
		}
		e->st.u.link.connected_seen = true;
		if (b)
			o->connected = true;
		else
			o->dropped = true;
	} else if (!strcmp(name, "ServicesResolved")) {
		o->resolved = b && !o->dropped;
		if (o->resolved && !o->connected) {
			/* bluetoothd missed Connected=true (central.c) */
			step_timeline(e, "services resolved, but bluetoothd "
				"never said Connected: the link counts as up");
			o->connected = true;
			e->st.u.link.connected_seen = true;
		}
	} else if ((!strcmp(name, "Bonded") || !strcmp(name, "Paired")) &&
		   !b && o->bonded) {
		o->bond_lost = true;
	}
	link_evaluate(e);
}

static void link_dut_removed(struct engine *e)
{
	struct link_obs *o = &e->st.u.link.obs;

	o->bond_lost = o->bonded;
	link_evaluate(e);
}

static void link_dut_disconnected(struct engine *e, const char *reason)
{
	/* kept in the model's variant until the step ends */
	step_extra_str(e, LOG_KEY_DISCONNECTED_REASON, reason);
	e->st.u.link.obs.reason = g_intern_string(reason);
	link_evaluate(e);
}

static void link_agent(struct engine *e, const struct engine_agent_event *ev)
{
	e->st.u.link.obs.pairing_requested = true;
	step_timeline(e, "pairing requested: %s", ev->method);
}

static void link_hci(struct engine *e, const struct engine_hci_event *ev)
{
	struct link_obs *o = &e->st.u.link.obs;

	if (!strcmp(ev->what, LOG_HCI_ENCRYPTION_CHANGE) && ev->status >= 0)
		o->hci_encrypt_status = ev->status;
	if (!strcmp(ev->what, LOG_HCI_DISCONNECT) && ev->reason >= 0)
		o->hci_disconnect_reason = ev->reason;
	if (!strcmp(ev->what, LOG_HCI_SMP_PAIRING_REQUEST))
		o->hci_pairing = true;
	if (!strcmp(ev->what, LOG_HCI_LE_CONNECTION) && ev->status > 0 &&
	    !o->connected)
		o->hci_conn_failed = ev->status;
	link_evaluate(e);
}

static void link_timeout(struct engine *e, const char *d)
{
	(void)d;
	e->st.u.link.obs.timed_out = true;
	link_finish_fail(e);
}

static void link_evidence(struct engine *e, JsonBuilder *b)
{
	const char *reason = e->st.u.link.obs.reason;

	if (reason)
		log_add_str(b, LOG_KEY_DISCONNECTED_REASON, reason);
	privacy_link_evidence(e, b, e->st.u.link.links_before);
}

#define LINK_OPS \
	.discovery_stopped = link_discovery_stopped, \
	.dut_prop = link_dut_prop, \
	.dut_removed = link_dut_removed, \
	.dut_disconnected = link_dut_disconnected, \
	.agent = link_agent, \
	.hci = link_hci, \
	.timeout = link_timeout, \
	.evidence = link_evidence, \
	.phase_to_str = link_phase_to_str

const struct step_ops step_connect_ops = {
	.start = connect_start,
	LINK_OPS,
};

const struct step_ops step_reconnect_ops = {
	.start = reconnect_start,
	LINK_OPS,
};

/* ---- disconnect --------------------------------------------------------- */

enum disconnect_phase {
	DISCONNECT_PHASE_START,
	DISCONNECT_PHASE_DISCONNECTING,
	DISCONNECT_PHASE_WAITING_LINK_DROP,
};

static const char *disconnect_phase_to_str(int phase)
{
	switch ((enum disconnect_phase)phase) {
	case DISCONNECT_PHASE_START: return "start";
	case DISCONNECT_PHASE_DISCONNECTING: return "disconnecting";
	case DISCONNECT_PHASE_WAITING_LINK_DROP: return "waiting-for-link-drop";
	}
	return "unknown";
}

static void disconnect_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"Disconnect failed: %s", r->error->message);
		return;
	}
	step_enter_phase(e, DISCONNECT_PHASE_WAITING_LINK_DROP);
	if (!central_connected(step_central(e)))
		step_pass(e);
}

static void disconnect_start(struct engine *e)
{
	struct central *c = step_central(e);

	if (!central_dut(c) || !central_connected(c)) {
		step_pass(e);
		return;
	}
	step_enter_phase(e, DISCONNECT_PHASE_DISCONNECTING);
	step_call(e, BLUEZ_OP_DISCONNECT, central_dut(c), NULL,
		disconnect_reply);
}

static void disconnect_dut_prop(struct engine *e, const char *name,
	GVariant *v)
{
	if (e->st.phase == DISCONNECT_PHASE_WAITING_LINK_DROP &&
	    !strcmp(name, "Connected") && !step_true(v))
		step_pass(e);
}

const struct step_ops step_disconnect_ops = {
	.start = disconnect_start,
	.dut_prop = disconnect_dut_prop,
	.timeout = step_timed_out,
	.phase_to_str = disconnect_phase_to_str,
};
