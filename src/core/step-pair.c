/* SPDX-License-Identifier: MIT */
/*
 * step-pair.c — `pair`, `trust` and `remove-bond`: the host's side of the
 * bond.
 *
 * pair pairs through our own agent, with the IO capabilities and bond=
 * the step asks for. BlueZ refuses Pair() on a device it is bonded with
 * (AuthenticationFailed on 5.66, see DESIGN.md), so a pair over an existing
 * bond removes the device first, waits for its object to go, and finds the
 * DUT again by its advertisements.
 *
 * method= asserts the association model from what our agent is asked:
 * RequestConfirmation is numeric comparison, RequestPasskey or
 * DisplayPasskey passkey entry, nothing (or RequestAuthorization) Just
 * Works. confirm=reject refuses the confirmation (and the passkey): the
 * step passes when the pairing fails and the host holds no bond.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "step.h"

enum pair_phase {
	PAIR_PHASE_START,
	PAIR_PHASE_REMOVING_OLD_BOND,
	PAIR_PHASE_WAITING_REMOVAL,
	PAIR_PHASE_FINDING,
	PAIR_PHASE_STOPPING_DISCOVERY,
	PAIR_PHASE_REGISTERING_AGENT,
	PAIR_PHASE_SETTING_PAIRABLE,
	PAIR_PHASE_PAIRING,
};

static const char *pair_phase_to_str(int phase)
{
	switch ((enum pair_phase)phase) {
	case PAIR_PHASE_START: return "start";
	case PAIR_PHASE_REMOVING_OLD_BOND: return "removing-old-bond";
	case PAIR_PHASE_WAITING_REMOVAL: return "waiting-for-removal";
	case PAIR_PHASE_FINDING: return "finding";
	case PAIR_PHASE_STOPPING_DISCOVERY: return "stopping-discovery";
	case PAIR_PHASE_REGISTERING_AGENT: return "registering-agent";
	case PAIR_PHASE_SETTING_PAIRABLE: return "setting-pairable";
	case PAIR_PHASE_PAIRING: return "pairing";
	}
	return "unknown";
}

const char *pair_agent_capability(GPtrArray *steps)
{
	for (guint i = 0; steps && i < steps->len; i++) {
		const struct scn_step *s = g_ptr_array_index(steps, i);
		const char *io;

		if (s->type == SCN_STEP_PAIR)
			return s->io ? s->io : SCN_DEFAULT_IO;
		if (s->children && (io = pair_agent_capability(s->children)))
			return io;
	}
	return NULL;
}

/* The association model the agent's requests showed is not the one
 * method= asks for: fail the step (true). */
static bool method_failed(struct engine *e)
{
	struct pair_state *ps = &e->st.u.pair;
	enum scn_method want = e->st.s->method;

	if (want == SCN_METHOD_ANY || want == ps->seen)
		return false;
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"the pairing used %s (%s), expected %s",
		scn_method_to_str(ps->seen),
		ps->asked ? ps->asked : "the agent was asked nothing",
		scn_method_to_str(want));
	return true;
}

static void pair_method_evidence(struct engine *e)
{
	step_extra_str(e, LOG_KEY_PAIRING_METHOD,
		scn_method_to_str(e->st.u.pair.seen));
}

static void pair_check(struct engine *e)
{
	struct central *c = step_central(e);
	bool want = e->st.u.pair.want_bond;
	bool paired = central_dev_bool(c, "Paired");
	bool from_paired = false;
	bool bonded = central_dut(c) && bluez_device_bonded(e->env.model,
						central_dut(c), &from_paired);

	pair_method_evidence(e);
	if (e->st.s->reject) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"confirm=reject, but the pairing succeeded (%s: %s)",
			scn_method_to_str(e->st.u.pair.seen),
			e->st.u.pair.asked ? "the agent's answer did not stop "
					     "it" :
					     "nothing was asked to reject");
		if (paired)
			central_bonded_now(c);
		return;
	}
	if (!paired) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"Pair() succeeded but Paired is not true");
		return;
	}
	if (method_failed(e)) {
		if (bonded)
			central_bonded_now(c);
		return;
	}
	if (!from_paired && bonded != want) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"paired with bond=%s, but Bonded is %s",
			want ? "yes" : "no", bonded ? "true" : "false");
		return;
	}
	step_extra_str(e, LOG_KEY_IO, e->agent_cap);
	step_extra_int(e, LOG_KEY_PAIRING_MS, step_ms(e));
	if (bonded || (from_paired && want))
		central_bonded_now(c);
	else
		central_bond_gone(c);
	step_pass(e);
}

/*
 * confirm=reject: the pairing failed; passes when no bond is left as far as
 * the host can tell (Paired and Bonded false), and the agent was asked what
 * method= says.
 */
static void pair_rejected(struct engine *e, const struct bluez_reply *r)
{
	struct central *c = step_central(e);
	bool paired = central_dev_bool(c, "Paired");
	bool bonded = central_dut(c) && central_bonded(c);

	pair_method_evidence(e);
	step_timeline(e, "the pairing failed as confirm=reject asks: %s%s%s",
		r->error_name ? r->error_name : r->error->message,
		r->error_text ? " " : "", r->error_text ? r->error_text : "");
	if (paired || bonded) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the pairing was rejected, but the host still holds "
			"%s",
			bonded ? "a bond (Bonded is true)" :
				 "a pairing (Paired is true)");
		return;
	}
	if (method_failed(e))
		return;
	central_bond_gone(c);
	step_pass(e);
}

static void pair_reply(struct engine *e, const struct bluez_reply *r)
{
	struct central *c = step_central(e);

	if (r->error && e->st.s->reject) {
		pair_rejected(e, r);
		return;
	}
	if (r->error && c->dut_refused) {
		/* the simulated DUT said why */
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"pairing failed: %s%s%s; the DUT's trace: it refused a "
			"new bond, its table is full (refuse-when-full)",
			r->error_name ? r->error_name : r->error->message,
			r->error_text ? " " : "",
			r->error_text ? r->error_text : "");
		return;
	}
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

static void pairable_set(struct engine *e, const struct bluez_reply *r)
{
	const char *dev = central_dut(step_central(e));

	if (r->error) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"cannot set the adapter's Pairable: %s",
			r->error->message);
		return;
	}
	e->env.agent->set_target(e->env.agent_data, step_central(e)->index,
		dev);
	/* confirm=reject refuses the confirmation and the passkey */
	central_agent_policy(step_central(e), !e->st.s->reject,
		e->st.s->reject ? -1 : e->st.s->passkey);
	step_enter_phase(e, PAIR_PHASE_PAIRING);
	step_call(e, BLUEZ_OP_PAIR, dev, NULL, pair_reply);
}

static void pair_agent_ready(const GError *error, void *data)
{
	struct engine *e = data;
	struct central *c = step_central(e);

	if (!step_running(e, &step_pair_ops) ||
		e->st.phase != PAIR_PHASE_REGISTERING_AGENT)
		return;
	runlog_agent(e,
		error ? LOG_AGENT_REGISTER_FAILED : LOG_AGENT_REGISTERED,
		error);
	if (error) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"cannot register the agent: %s", error->message);
		return;
	}
	step_enter_phase(e, PAIR_PHASE_SETTING_PAIRABLE);
	central_save_pairable(c);
	step_call(e, BLUEZ_OP_SET_PAIRABLE, c->adapter,
		g_variant_new_boolean(e->st.u.pair.want_bond), pairable_set);
}

/* The DUT is known and our discovery is off: (re)register, then pair. */
static void pair_ready(struct engine *e)
{
	const char *io = e->st.s->io ? e->st.s->io : SCN_DEFAULT_IO;

	step_enter_phase(e, PAIR_PHASE_REGISTERING_AGENT);
	/* one registration serves every central: its IO capability is the
	 * one the pairing now needs */
	if (g_strcmp0(io, e->agent_cap) != 0) {
		g_free(e->agent_cap);
		e->agent_cap = g_strdup(io);
		step_timeline(e, "agent re-registered as %s", io);
		e->env.agent->register_agent(e->env.agent_data, io,
			pair_agent_ready, e);
		return;
	}
	pair_agent_ready(NULL, e);
}

static void pair_find_again(struct engine *e)
{
	step_enter_phase(e, PAIR_PHASE_FINDING);
	central_start_discovery(step_central(e));
}

static void removed_for_pair(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && r->error->code != BCERROR_DOES_NOT_EXIST) {
		step_fail(e, VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE,
			"cannot remove the old bond: %s", r->error->message);
		return;
	}
	/* wait for InterfacesRemoved, then find it again */
	step_enter_phase(e, PAIR_PHASE_WAITING_REMOVAL);
	if (!central_dut(step_central(e)))
		pair_find_again(e);
}

static void pair_start(struct engine *e)
{
	struct central *c = step_central(e);
	const char *p = central_dut(c);

	e->st.u.pair.want_bond = e->st.s->bond;
	e->st.u.pair.seen = SCN_METHOD_JUST_WORKS;
	if (!p) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT is not known to BlueZ yet: add a scan step "
			"before this one");
		return;
	}
	if (central_dev_bool(c, "Paired") || central_bonded(c)) {
		/* a fresh bond: BlueZ needs the old one removed first */
		step_timeline(e, "already paired: removing the host's bond "
				 "first");
		step_enter_phase(e, PAIR_PHASE_REMOVING_OLD_BOND);
		step_call(e, BLUEZ_OP_REMOVE_DEVICE, c->adapter,
			g_variant_new_object_path(p), removed_for_pair);
		return;
	}
	step_enter_phase(e, PAIR_PHASE_STOPPING_DISCOVERY);
	central_stop_discovery(c);
}

static void pair_dut_seen(struct engine *e, const char *path)
{
	if (e->st.phase != PAIR_PHASE_FINDING)
		return;
	central_adopt(step_central(e), path);
	step_enter_phase(e, PAIR_PHASE_STOPPING_DISCOVERY);
	central_stop_discovery(step_central(e));
}

static void pair_discovery_stopped(struct engine *e)
{
	if (e->st.phase == PAIR_PHASE_STOPPING_DISCOVERY &&
		central_dut(step_central(e)))
		pair_ready(e);
}

static void pair_dut_removed(struct engine *e)
{
	if (e->st.phase == PAIR_PHASE_WAITING_REMOVAL)
		pair_find_again(e);
}

static void pair_agent(struct engine *e, const struct engine_agent_event *ev)
{
	/* the requests that show a model; anything else: Just Works that
	 * asks to go on (RequestAuthorization) */
	static const struct {
		const char *method;
		enum scn_method model;
	} shows[] = {
		{ "RequestConfirmation", SCN_METHOD_NUMERIC_COMPARISON },
		{ "RequestPasskey", SCN_METHOD_PASSKEY_ENTRY },
		{ "DisplayPasskey", SCN_METHOD_PASSKEY_ENTRY },
		{ "RequestPinCode", SCN_METHOD_PASSKEY_ENTRY },
		{ "DisplayPinCode", SCN_METHOD_PASSKEY_ENTRY },
		{ "RequestAuthorization", SCN_METHOD_JUST_WORKS },
	};
	struct pair_state *ps = &e->st.u.pair;

	/* the first request decides: a later one is the same pairing's */
	if (e->st.phase != PAIR_PHASE_PAIRING || ps->asked || !ev->method)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(shows); i++) {
		if (!strcmp(ev->method, shows[i].method)) {
			ps->seen = shows[i].model;
			ps->asked = shows[i].method;
			return;
		}
	}
}

static const char *smp_pdu_name(int code)
{
	static const char *const names[] = { "none", "Pairing Request",
		"Pairing Response", "Pairing Confirm", "Pairing Random",
		"Pairing Failed", "Encryption Information",
		"Central Identification", "Identity Information",
		"Identity Address Information", "Signing Information",
		"Security Request", "Pairing Public Key", "Pairing DHKey Check",
		"Keypress Notification" };

	return code >= 0 && (size_t)code < G_N_ELEMENTS(names) ? names[code] :
	                                                         "unknown";
}

static void pair_hci(struct engine *e, const struct engine_hci_event *ev)
{
	struct pair_state *ps = &e->st.u.pair;

	if (strncmp(ev->what, "smp", 3) != 0 || ev->smp_code <= 0)
		return;
	ps->smp_pdus++;
	if (ev->sent) {
		ps->smp_sent = ev->smp_code;
		ps->smp_sent_us = engine_now(e);
	} else {
		ps->smp_received = ev->smp_code;
		ps->smp_received_us = engine_now(e);
	}
}

/*
 * A pairing that never completes: where it stopped, when the HCI monitor
 * saw it (a DUT whose host lost its ACL credits — NimBLE's event-queue bug
 * in MicroPython — sends nothing more while its controller still answers
 * commands: the last SMP PDU each way says so).
 */
static void pair_timeout(struct engine *e, const char *d)
{
	struct pair_state *ps = &e->st.u.pair;
	int64_t now = engine_now(e);
	GString *m;

	if (e->st.phase != PAIR_PHASE_PAIRING || !ps->smp_pdus) {
		step_timed_out(e, d);
		return;
	}
	step_extra_str(e, LOG_KEY_SMP_LAST_SENT, smp_pdu_name(ps->smp_sent));
	step_extra_str(e, LOG_KEY_SMP_LAST_RECEIVED,
		smp_pdu_name(ps->smp_received));
	m = g_string_new("");
	g_string_printf(m,
		"pair did not complete within %s: on HCI the last "
		"SMP PDU the central sent was %s, the last the DUT sent %s",
		d, smp_pdu_name(ps->smp_sent), smp_pdu_name(ps->smp_received));
	if (ps->smp_received) {
		step_extra_int(e, LOG_KEY_SMP_SILENT_MS,
			(now - ps->smp_received_us) / 1000);
		g_string_append_printf(m,
			", %" G_GINT64_FORMAT " ms before "
			"the timeout",
			(now - ps->smp_received_us) / 1000);
	}
	if (ps->smp_sent_us > ps->smp_received_us)
		g_string_append(m,
			": the DUT stopped answering mid-pairing "
			"(its host sent nothing more: a host that lost its ACL "
			"credits, as MicroPython's NimBLE event queue can, "
			"stops this way)");
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, "%s", m->str);
	g_string_free(m, TRUE);
}

const struct step_ops step_pair_ops = {
	.start = pair_start,
	.dut_seen = pair_dut_seen,
	.discovery_stopped = pair_discovery_stopped,
	.dut_removed = pair_dut_removed,
	.agent = pair_agent,
	.hci = pair_hci,
	.timeout = pair_timeout,
	.phase_to_str = pair_phase_to_str,
};

/* ---- trust --------------------------------------------------------------- */

enum trust_phase {
	TRUST_PHASE_START,
	TRUST_PHASE_SETTING,
	TRUST_PHASE_WAITING_TRUSTED,
};

static const char *trust_phase_to_str(int phase)
{
	switch ((enum trust_phase)phase) {
	case TRUST_PHASE_START: return "start";
	case TRUST_PHASE_SETTING: return "setting-trusted";
	case TRUST_PHASE_WAITING_TRUSTED: return "waiting-for-trusted";
	}
	return "unknown";
}

static void trusted_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"setting Trusted failed: %s", r->error->message);
		return;
	}
	step_enter_phase(e, TRUST_PHASE_WAITING_TRUSTED);
	if (central_dev_bool(step_central(e), "Trusted"))
		step_pass(e);
}

static void trust_start(struct engine *e)
{
	const char *p = central_dut(step_central(e));

	if (!p) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT is not known yet");
		return;
	}
	step_enter_phase(e, TRUST_PHASE_SETTING);
	step_call(e, BLUEZ_OP_SET_TRUSTED, p, g_variant_new_boolean(TRUE),
		trusted_reply);
}

static void trust_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	if (e->st.phase == TRUST_PHASE_WAITING_TRUSTED &&
		!strcmp(name, "Trusted") && step_true(v))
		step_pass(e);
}

const struct step_ops step_trust_ops = {
	.start = trust_start,
	.dut_prop = trust_dut_prop,
	.timeout = step_timed_out,
	.phase_to_str = trust_phase_to_str,
};

/* ---- remove-bond --------------------------------------------------------- */

enum remove_phase {
	REMOVE_PHASE_START,
	REMOVE_PHASE_REMOVING,
	REMOVE_PHASE_WAITING_REMOVAL,
};

static const char *remove_phase_to_str(int phase)
{
	switch ((enum remove_phase)phase) {
	case REMOVE_PHASE_START: return "start";
	case REMOVE_PHASE_REMOVING: return "removing";
	case REMOVE_PHASE_WAITING_REMOVAL: return "waiting-for-removal";
	}
	return "unknown";
}

static void removed(struct engine *e)
{
	central_bond_gone(step_central(e));
	gatt_subs_forget(step_central(e));
	step_pass(e);
}

static void removed_reply(struct engine *e, const struct bluez_reply *r)
{
	if (r->error && r->error->code != BCERROR_DOES_NOT_EXIST) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"RemoveDevice failed: %s", r->error->message);
		return;
	}
	step_enter_phase(e, REMOVE_PHASE_WAITING_REMOVAL);
	if (!central_dut(step_central(e)))
		removed(e);
}

static void remove_start(struct engine *e)
{
	struct central *c = step_central(e);
	const char *p = central_dut(c);

	if (!p) {
		step_timeline(e, "BlueZ does not know the DUT: nothing to "
				 "remove");
		step_pass(e);
		return;
	}
	step_enter_phase(e, REMOVE_PHASE_REMOVING);
	step_call(e, BLUEZ_OP_REMOVE_DEVICE, c->adapter,
		g_variant_new_object_path(p), removed_reply);
}

static void remove_dut_removed(struct engine *e)
{
	if (e->st.phase == REMOVE_PHASE_WAITING_REMOVAL)
		removed(e);
}

const struct step_ops step_remove_bond_ops = {
	.start = remove_start,
	.dut_removed = remove_dut_removed,
	.timeout = step_timed_out,
	.phase_to_str = remove_phase_to_str,
};
