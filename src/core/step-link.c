/* SPDX-License-Identifier: MIT */
/*
 * step-link.c — `connect`, `reconnect` and `disconnect`.
 *
 * connect and reconnect watch everything BlueZ and the kernel say about
 * the attempt (struct link_obs) and hand a failed one to the classifier
 * (verdict.c), which gives it exactly one verdict. A failure waits
 * LINK_SETTLE_MS for late evidence (the Disconnected reason, HCI) first.
 */
#include <stdarg.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/names.h"
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

/* A reconnect that took over the early Connect(): from the DUT's
 * advertisement (it began the link), or from the step's start if
 * discovery did not see one. */
static int64_t early_latency_ms(struct engine *e, struct central *c)
{
	int64_t from = MAX(e->st.start_us, 0);

	if (c->dut_seen_us && c->dut_seen_us >= c->early.start_us &&
		c->dut_seen_us < from)
		from = c->dut_seen_us;
	return (engine_now(e) - from) / 1000;
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

static bool security_failed(const struct link_obs *o)
{
	return o->hci_encrypt_status > 0 || o->hci_disconnect_reason == 0x05 ||
	       (o->reason && !strcmp(o->reason, BLUEZ_REASON_AUTH)) ||
	       o->pairing_requested || o->hci_pairing;
}

/*
 * Connect() once more, saying why (LOG_KEY_CONNECT_RETRY). Two cases, both
 * measured in the QEMU tier on bluetoothd 5.66, where nothing is the
 * firmware's: Connect() succeeded and the link is gone, but bluetoothd
 * never said it was up (it brought a bonded reconnect up and encrypted
 * it, logged "device_add_connection() ... is already connected" and never
 * emitted Connected=true); or HCI showed the bond's key encrypt the link
 * and it dropped before services resolved (the DUT's bluetoothd never
 * attached ATT and its kernel dropped the idle link 4 s later). Once per
 * step: a second such link is classified.
 */
static void retry_connect(struct engine *e, const char *why)
{
	struct link_state *l = &e->st.u.link;
	struct link_obs was = l->obs;

	if (!strcmp(why, LOG_CONNECT_RETRY_UNREPORTED))
		step_timeline(e,
			"Connect() succeeded but the link dropped before "
			"bluetoothd said Connected=true%s%s: Connect() again, "
			"once",
			was.hci_up ? " (HCI: LE Connection Complete 0x00" : "",
			!was.hci_up                 ? "" :
			was.hci_encrypt_status == 0 ? ", encryption on)" :
						      ")");
	else
		step_timeline(e,
			"the link dropped before services resolved, after "
			"the bond's key had encrypted it (HCI Encryption "
			"Change 0x00): Connect() again, once");
	step_extra_str(e, LOG_KEY_CONNECT_RETRY, why);
	link_obs_init(&l->obs);
	l->obs.bonded = was.bonded;
	l->obs.dut_advertised = was.dut_advertised;
	l->obs.retried = true;
	l->connected_seen = false;
	/* an adopted early call is answered: this one is the step's own */
	l->adopted = false;
	g_clear_pointer(&e->st.err_name, g_free);
	g_clear_pointer(&e->st.err_text, g_free);
	step_enter_phase(e, LINK_PHASE_STOPPING_DISCOVERY);
	central_stop_discovery(step_central(e));
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
		return; /* everything BlueZ says comes before its reply */
	if (o->unreported_drop && !o->connected) {
		if (!o->retried && !security_failed(o))
			retry_connect(e, LOG_CONNECT_RETRY_UNREPORTED);
		else
			link_failed(e);
		return;
	}
	if (o->connected && o->dropped && !o->resolved && o->bonded &&
		o->hci_encrypt_status == 0 && !o->retried &&
		!security_failed(o)) {
		retry_connect(e, LOG_CONNECT_RETRY_ENCRYPTED);
		return;
	}
	if (o->reply_ok && !o->dropped && connected && o->resolved &&
		!(o->pairing_requested && o->bonded)) {
		step_extra_int(e, LOG_KEY_LATENCY_MS,
			l->adopted ? early_latency_ms(e, step_central(e)) :
				     step_ms(e));
		/* the reboot step left discovery on for the early link:
		 * off now that the link is usable (its round trip is the
		 * next step's) */
		if (l->adopted)
			central_stop_discovery(step_central(e));
		if (o->bonded)
			privacy_reconnect_passed(e, l->links_before);
		step_pass(e);
		return;
	}
	if (o->reply_ok && connected && !o->dropped &&
		!(o->pairing_requested && o->bonded))
		return; /* services still resolving: wait (or drop) */
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

/* ---- a Connect() ahead of the reconnect step ---------------------------- */

/* longer than the kernel's LE connection timeout (20 s): the kernel
 * answers first */
#define EARLY_CONNECT_TIMEOUT_MS 30000

static bool obs_prop(struct link_obs *o, bool *seen, bool fresh,
	const char *name, GVariant *v);
static void obs_hci(struct link_obs *o, const struct engine_hci_event *ev);

/* as many as a step keeps (MAX_EVIDENCE, step.h) */
#define EARLY_TRACES_MAX 40

void link_early_clear(struct central *c)
{
	if (c->early.traces)
		g_ptr_array_free(c->early.traces, TRUE);
	c->early.traces = NULL;
	if (c->early.notes)
		g_ptr_array_free(c->early.notes, TRUE);
	c->early.notes = NULL;
	c->early.active = false;
	g_clear_pointer(&c->early.err_name, g_free);
	g_clear_pointer(&c->early.err_text, g_free);
	c->early.replied = false;
}

/* A line of the early link's timeline, kept for the reconnect step: what
 * its link did before the step began reads the same whether it came
 * during the reboot step, between the two steps, or after. */
static void early_note(struct central *c, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

static void early_note(struct central *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->early.notes)
		c->early.notes = g_ptr_array_new_with_free_func(g_free);
	if (c->early.notes->len >= EARLY_TRACES_MAX)
		return;
	va_start(ap, fmt);
	g_ptr_array_add(c->early.notes, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/*
 * Did the early Connect() bring a link? Connected=true, or, when bluetoothd
 * did not say so (its "already connected" race: 12 of 33 early links in
 * the QEMU tier had no Connected=true), what HCI or the Disconnected
 * signal saw of it: a DUT that lost the key fails the call before
 * discovery reports it, exactly as one that never came back, but with an
 * Encryption Change 0x06 first. Without HCI (no CAP_NET_RAW, BlueZ before
 * 5.83) that failure reads as a call that gave up: the reconnect connects
 * anew and meets the missing key itself.
 */
static bool early_link_seen(const struct central *c)
{
	const struct link_obs *o = &c->early.obs;

	return o->connected || o->hci_encrypt_status >= 0 ||
	       o->hci_disconnect_reason >= 0 || o->hci_pairing || o->reason;
}

/* The early Connect() answered: to the reconnect step that adopted it, or
 * kept for the one that will. */
static void early_reply(struct central *c, const struct bluez_reply *r)
{
	struct engine *e = c->e;
	const char *name = r->error ? (r->error_name ? r->error_name :
						       BC_ERR_BAD_REPLY) :
	                              NULL;
	const char *text = r->error ? (r->error_text ? r->error_text :
						       r->error->message) :
	                              NULL;

	c->early.in_flight = false;
	if (step_running(e, &step_reconnect_ops) && step_central(e) == c &&
		e->st.u.link.adopted && !e->st.u.link.obs.replied) {
		step_timeline(e,
			"Connect (made while the DUT was down) -> "
			"%s%s%s",
			name ? name : "ok", text ? ": " : "", text ? text : "");
		if (name && !e->st.err_name) {
			e->st.err_name = g_strdup(name);
			e->st.err_text = g_strdup(text);
		}
		connect_reply(e, r);
		return;
	}
	if (!c->early.active)
		return;
	/* it gave up before the DUT came back (a boot longer than the
	 * kernel's LE connection timeout): the reconnect connects anew */
	if (r->error && !early_link_seen(c) &&
		c->dut_seen_us < c->early.start_us) {
		if (e->st.s)
			step_timeline(e,
				"the Connect() made while the DUT was "
				"down gave up (%s): the reconnect will "
				"connect anew",
				name);
		link_early_clear(c);
		return;
	}
	early_note(c, "Connect (made while the DUT was down) -> %s%s%s",
		name ? name : "ok", text ? ": " : "", text ? text : "");
	c->early.replied = true;
	c->early.reply_ok = !r->error;
	c->early.err_name = g_strdup(name);
	c->early.err_text = g_strdup(text);
}

bool link_early_connect(struct engine *e, struct central *c)
{
	const char *p = central_dut(c);

	if (!p || c->early.active || c->early.in_flight || !central_bonded(c) ||
		central_connected(c))
		return false;
	link_early_clear(c);
	c->early.active = true;
	c->early.in_flight = true;
	c->early.connected_seen = false;
	c->early.start_us = engine_now(e);
	c->early.links_before = c->priv.links;
	link_obs_init(&c->early.obs);
	c->early.obs.bonded = true;
	/* as the reconnect would: a pairing request is a finding */
	central_agent_policy(c, false, -1);
	engine_central_call(e, c, BLUEZ_OP_CONNECT, p, NULL,
		EARLY_CONNECT_TIMEOUT_MS, early_reply);
	return true;
}

void link_early_prop(struct central *c, const char *name, GVariant *v)
{
	char *txt;

	if (!c->early.active)
		return;
	/* made once the previous link was down: any drop is its own */
	obs_prop(&c->early.obs, &c->early.connected_seen, true, name, v);
	txt = runlog_value_text(v);
	early_note(c, "%s=%s", name, txt);
	g_free(txt);
}

void link_early_removed(struct central *c)
{
	if (c->early.active)
		c->early.obs.bond_lost = c->early.obs.bonded;
}

void link_early_disconnected(struct central *c, const char *reason)
{
	if (!c->early.active)
		return;
	c->early.obs.reason = g_intern_string(reason);
	early_note(c, "Disconnected(%s)", reason);
}

void link_early_agent(struct central *c)
{
	if (c->early.active)
		c->early.obs.pairing_requested = true;
}

void link_early_hci(struct central *c, const struct engine_hci_event *ev)
{
	if (c->early.active)
		obs_hci(&c->early.obs, ev);
}

void link_early_trace(struct central *c, const char *json)
{
	if (!c->early.traces)
		c->early.traces = g_ptr_array_new_with_free_func(g_free);
	if (c->early.traces->len < EARLY_TRACES_MAX)
		g_ptr_array_add(c->early.traces, g_strdup(json));
}

/*
 * How long after the DUT advertised the early Connect() may take to bring
 * the link before it is given up. The kernel connects at the advertisement
 * its scan hears (6 ms after the DUT's advertising enable on real
 * bluetoothd in the QEMU tier); but bluetoothd 5.66 chooses the bearer of
 * a dual-mode device by when it last saw each, and for a device it does
 * not see it may page BR/EDR instead (measured there: no LE Create
 * Connection until the call was cancelled, br-connection-canceled). A
 * Connect() made now that the DUT was just seen takes LE, as before.
 */
#define EARLY_LINK_GRACE_MS 1000

/* The cancel of the early Connect() came back: connect anew, the usual
 * way (discovery stopped first: the kernel's own scan for the device is
 * what btvirt answers at once) */
static void anew_cancelled(struct engine *e, const struct bluez_reply *r)
{
	(void)r;
	step_enter_phase(e, LINK_PHASE_STOPPING_DISCOVERY);
	central_stop_discovery(step_central(e));
}

static void early_grace_over(struct engine *e)
{
	struct link_state *l = &e->st.u.link;

	if (!l->adopted || l->obs.connected || l->obs.replied ||
		l->connected_seen)
		return;
	step_timeline(e,
		"no link %d ms after the DUT advertised: the "
		"Connect() made while it was down is cancelled and made anew "
		"(bluetoothd may have chosen BR/EDR for a device it did not "
		"see)",
		EARLY_LINK_GRACE_MS);
	step_extra_str(e, LOG_KEY_CONNECT, LOG_CONNECT_EARLY_THEN_ANEW);
	/* its reply (br-connection-canceled) is not this attempt's */
	l->adopted = false;
	/* Disconnect() ends a pending connection (bluetoothd's
	 * dev_disconnect) */
	step_call(e, BLUEZ_OP_DISCONNECT, central_dut(step_central(e)), NULL,
		anew_cancelled);
}

/* The DUT advertises while the adopted Connect() has no link yet. */
static void arm_early_grace(struct engine *e)
{
	struct link_state *l = &e->st.u.link;

	if (!l->adopted || l->fallback_armed || l->obs.connected ||
		l->obs.replied)
		return;
	l->fallback_armed = true;
	step_after(e, EARLY_LINK_GRACE_MS, early_grace_over);
}

static void link_dut_seen(struct engine *e, const char *path)
{
	(void)path;
	arm_early_grace(e);
}

/* What the simulator said on the early link so far, and its timeline,
 * are the step's. */
static void take_early_traces(struct engine *e, struct central *c)
{
	for (guint i = 0; c->early.traces && i < c->early.traces->len; i++)
		g_ptr_array_add(e->st.traces,
			g_strdup(g_ptr_array_index(c->early.traces, i)));
	for (guint i = 0; c->early.notes && i < c->early.notes->len; i++)
		step_timeline(e, "%s",
			(const char *)g_ptr_array_index(c->early.notes, i));
}

/* The reconnect takes over the Connect() made while the DUT was down:
 * what its link did so far, and its reply if it came. */
static void adopt_early(struct engine *e, struct central *c)
{
	struct link_state *l = &e->st.u.link;
	bool advertised = l->obs.dut_advertised;

	l->obs = c->early.obs;
	l->obs.dut_advertised = advertised || c->early.obs.connected;
	l->connected_seen = c->early.connected_seen;
	l->adopted = true;
	step_extra_str(e, LOG_KEY_CONNECT, LOG_CONNECT_EARLY);
	step_timeline(e, "the Connect() made while the DUT was down goes on: "
			 "the kernel connects at its first advertisement");
	/* the reboot step left discovery on: stopping it now would put its
	 * round trip among the link's events; the next reboot or the
	 * run's cleanup stops it */
	step_enter_phase(e, LINK_PHASE_CONNECTING);
	take_early_traces(e, c);
	if (c->early.replied) {
		struct bluez_reply r = { 0 };
		GError *err = NULL;

		if (!c->early.reply_ok) {
			err = g_error_new_literal(BCERROR, BCERROR_FAILED,
				c->early.err_text ? c->early.err_text : "");
			r.error = err;
			r.error_name = c->early.err_name;
			r.error_text = c->early.err_text;
			e->st.err_name = g_strdup(c->early.err_name);
			e->st.err_text = g_strdup(c->early.err_text);
		}
		link_early_clear(c);
		connect_reply(e, &r);
		if (err)
			g_error_free(err);
		return;
	}
	/* its reply is still to come: early_reply() hands it over */
	if (c->early.traces) {
		g_ptr_array_unref(c->early.traces);
		c->early.traces = NULL;
	}
	g_clear_pointer(&c->early.notes, g_ptr_array_unref);
	c->early.active = false;
	/* the DUT advertised already: its link is due */
	if (c->dut_seen_us >= c->early.start_us)
		arm_early_grace(e);
	link_evaluate(e);
}

static void link_start(struct engine *e, bool reconnect)
{
	struct central *c = step_central(e);
	struct link_obs *o = &e->st.u.link.obs;
	const char *p = central_dut(c);

	link_obs_init(o);
	e->st.u.link.reconnect = reconnect;
	/* the early Connect()'s link is this attempt's, even when it was
	 * counted before the step began */
	e->st.u.link.links_before = c->early.active ? c->early.links_before :
	                                              c->priv.links;
	if (!p) {
		if (reconnect && e->dev_address) {
			o->bond_lost = true;
			step_timeline(e,
				"the device object is gone from BlueZ");
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
	if (central_connected(c) && central_dev_bool(c, "ServicesResolved")) {
		if (c->early.active) {
			step_extra_str(e, LOG_KEY_CONNECT, LOG_CONNECT_EARLY);
			step_timeline(e, "connected by the Connect() made "
					 "while the DUT was down");
			step_extra_int(e, LOG_KEY_LATENCY_MS,
				early_latency_ms(e, c));
			take_early_traces(e, c);
			link_early_clear(c);
			central_stop_discovery(c);
		} else {
			step_timeline(e, "already connected");
		}
		step_pass(e);
		return;
	}
	/* a new pairing during a bonded reconnect is a finding, not a step */
	central_agent_policy(c, !o->bonded, -1);
	if (reconnect && c->early.active) {
		adopt_early(e, c);
		return;
	}
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

/* A Device1 property of the DUT, as the attempt @o sees it; @seen: a
 * Connected change came; @fresh: the attempt began with no link up (an
 * early Connect(), made once the reboot's link was down; a second
 * Connect()), so no earlier link's drop can come late. Returns true when
 * ServicesResolved came without Connected (bluetoothd missed it,
 * central.c). */
static bool obs_prop(struct link_obs *o, bool *seen, bool fresh,
	const char *name, GVariant *v)
{
	bool b = step_true(v);

	if (!strcmp(name, "Connected")) {
		/*
		 * no link of this attempt was reported up: after a successful
		 * Connect(), the link it answered for is gone; otherwise, on
		 * a fresh attempt, its own link was up unreported and is gone
		 * now; else the previous link's drop, late (link_dut_prop()
		 * says which)
		 */
		if (!b && !o->connected) {
			if (o->replied && o->reply_ok) {
				o->unreported_drop = true;
				return false;
			}
			if (!fresh)
				return false;
			o->connected = true;
		}
		*seen = true;
		if (b)
			o->connected = true;
		else
			o->dropped = true;
	} else if (!strcmp(name, "ServicesResolved")) {
		o->resolved = b && !o->dropped;
		if (o->resolved && !o->connected) {
			o->connected = true;
			*seen = true;
			return true;
		}
	} else if ((!strcmp(name, "Bonded") || !strcmp(name, "Paired")) && !b &&
		   o->bonded) {
		o->bond_lost = true;
	}
	return false;
}

static void link_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	struct link_state *l = &e->st.u.link;
	struct link_obs *o = &l->obs;
	bool fresh = l->adopted || o->retried;

	if (!strcmp(name, "Connected") && !step_true(v) && !o->connected &&
		!(o->replied && o->reply_ok))
		/*
		 * no link of this step went up yet: the previous link's drop,
		 * late (seen in the QEMU tier after a disconnect step that
		 * ended on ServicesResolved=false and its reply); this
		 * attempt's link is still to come. An attempt that began with
		 * no link up has no previous one: it is its own, unreported
		 * (the QEMU tier's lose-bond-nohci with the early Connect())
		 */
		step_timeline(e,
			fresh ? "Connected=false with no "
				"Connected=true: this attempt's link, "
				"which bluetoothd never reported up" :
				"Connected=false before this attempt's "
				"link: the previous link's, late");
	if (obs_prop(o, &l->connected_seen, fresh, name, v))
		step_timeline(e, "services resolved, but bluetoothd "
				 "never said Connected: the link counts as up");
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

static void obs_hci(struct link_obs *o, const struct engine_hci_event *ev)
{
	if (!strcmp(ev->what, LOG_HCI_ENCRYPTION_CHANGE) && ev->status >= 0)
		o->hci_encrypt_status = ev->status;
	if (!strcmp(ev->what, LOG_HCI_DISCONNECT) && ev->reason >= 0)
		o->hci_disconnect_reason = ev->reason;
	if (!strcmp(ev->what, LOG_HCI_SMP_PAIRING_REQUEST))
		o->hci_pairing = true;
	if (!strcmp(ev->what, LOG_HCI_LE_CONNECTION) && ev->status > 0 &&
		!o->connected)
		o->hci_conn_failed = ev->status;
	if (!strcmp(ev->what, LOG_HCI_LE_CONNECTION) && ev->status == 0)
		o->hci_up = true;
}

static void link_hci(struct engine *e, const struct engine_hci_event *ev)
{
	obs_hci(&e->st.u.link.obs, ev);
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

#define LINK_OPS                                                             \
	.dut_seen = link_dut_seen,                                           \
	.discovery_stopped = link_discovery_stopped,                         \
	.dut_prop = link_dut_prop, .dut_removed = link_dut_removed,          \
	.dut_disconnected = link_dut_disconnected, .agent = link_agent,      \
	.hci = link_hci, .timeout = link_timeout, .evidence = link_evidence, \
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

static void disconnect_dut_prop(struct engine *e, const char *name, GVariant *v)
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
