/* SPDX-License-Identifier: MIT */
/*
 * pairing.c — pairing and bonding in the simulated bluetoothd: Device1's
 * Pair() and CancelPairing(), pairings the stack starts itself (a read that
 * needs encryption, a DUT asking to pair again), the LE Secure Connections
 * association model and which agent method it calls, and how each failure
 * is answered (src/device.c new_authentication_return). The keys go to the
 * DUT model; the link is device.c's. LE Secure Connections by default; a
 * DUT set to sc=no pairs the legacy way (no numeric comparison).
 */
#include <string.h>

#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "sim-private.h"

/*
 * The association model (Core 5.x, Vol 3 Part H 2.3.5.1, table 2.8) for
 * the central's IO capability (rows, the initiator) and the DUT's
 * (columns, the responder): LE Secure Connections, or with @sc false LE
 * legacy pairing, which has no numeric comparison: where SC compares
 * numbers, legacy pairing between two DisplayYesNo is Just Works and any
 * keyboard makes it passkey entry (the initiator displays when both have
 * a keyboard and a display, as the kernel's OVERLAP does).
 */
static enum sim_assoc association(const char *central, const char *dut, bool sc)
{
	static const char *const caps[] = { "DisplayOnly", "DisplayYesNo",
		"KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay" };
	static const enum sim_assoc table[5][5] = {
		/* DisplayOnly */
		{ SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY },
		/* DisplayYesNo */
		{ SIM_ASSOC_JUST_WORKS, SIM_ASSOC_CONFIRM, SIM_ASSOC_DISPLAY,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_CONFIRM },
		/* KeyboardOnly */
		{ SIM_ASSOC_ENTER, SIM_ASSOC_ENTER, SIM_ASSOC_ENTER,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_ENTER },
		/* NoInputNoOutput */
		{ SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS,
			SIM_ASSOC_JUST_WORKS },
		/* KeyboardDisplay */
		{ SIM_ASSOC_ENTER, SIM_ASSOC_CONFIRM, SIM_ASSOC_DISPLAY,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_CONFIRM },
	};
	static const enum sim_assoc legacy[5][5] = {
		/* DisplayOnly */
		{ SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY },
		/* DisplayYesNo */
		{ SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY },
		/* KeyboardOnly */
		{ SIM_ASSOC_ENTER, SIM_ASSOC_ENTER, SIM_ASSOC_ENTER,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_ENTER },
		/* NoInputNoOutput */
		{ SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_JUST_WORKS,
			SIM_ASSOC_JUST_WORKS },
		/* KeyboardDisplay */
		{ SIM_ASSOC_ENTER, SIM_ASSOC_ENTER, SIM_ASSOC_DISPLAY,
			SIM_ASSOC_JUST_WORKS, SIM_ASSOC_DISPLAY },
	};
	int r = 3, c = 3;

	for (int i = 0; i < 5; i++) {
		if (!strcmp(caps[i], central))
			r = i;
		if (!strcmp(caps[i], dut))
			c = i;
	}
	return sc ? table[r][c] : legacy[r][c];
}

static const char *sim_assoc_to_str(enum sim_assoc a)
{
	switch (a) {
	case SIM_ASSOC_JUST_WORKS: return "just-works";
	case SIM_ASSOC_CONFIRM: return "numeric-comparison";
	case SIM_ASSOC_ENTER: return "passkey-entry (central types)";
	case SIM_ASSOC_DISPLAY: return "passkey-entry (central displays)";
	}
	return "unknown";
}

static void bonding_free(struct sim_adapter *adapter, struct sim_bonding *b)
{
	if (b->agent_call)
		bus_cancel(adapter->bus, b->agent_call);
	if (b->owner_watch)
		bus_unwatch_name(adapter->bus, b->owner_watch);
	g_free(b->owner);
	g_free(b->agent_owner);
	g_free(b->agent_path);
	g_free(b);
}

static void tell_agent_cancel(struct sim_adapter *adapter,
	struct sim_bonding *b)
{
	if (!b->agent_owner || b->agent_canceled)
		return;
	b->agent_canceled = true;
	sim_agent_cancel(adapter->srv, b->agent_owner, b->agent_path);
}

void sim_pairing_fail(struct sim_device *d, enum sim_err err)
{
	struct sim_adapter *adapter = d->adapter;
	struct sim_bonding *b = d->bonding;
	bool reconnect = b && b->reconnect;

	if (!b)
		return;
	d->bonding = NULL;
	if (b->agent_call)
		tell_agent_cancel(adapter, b);
	sim_trace_host(adapter, "pairing-failed", "error", sim_err_to_str(err));
	if (b->call)
		sim_reply_error(b->call, err);
	bonding_free(adapter, b);
	sim_gatt_flush_reads(d, false);
	/* a failed re-pairing on reconnect ends the link like a key miss */
	if (reconnect && d->connected)
		sim_device_link_down(d, SIM_REASON_AUTH,
			SIM_ERR_ABORT_BY_LOCAL);
	else if (reconnect)
		sim_device_connect_fail(d, SIM_ERR_ABORT_BY_LOCAL);
}

void sim_pairing_resolved(struct sim_device *d)
{
	struct sim_bonding *b = d->bonding;

	if (!b || !d->paired)
		return;
	d->bonding = NULL;
	if (b->call)
		svc_call_return(b->call, NULL);
	bonding_free(d->adapter, b);
}

/* {"event": "paired", "side": "host", "method": ..., "sc": bool} */
static void paired_trace(struct sim_adapter *adapter, enum sim_assoc assoc)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "side", g_variant_new_string("host"));
	g_variant_builder_add(&b, "{sv}", "method",
		g_variant_new_string(sim_assoc_to_str(assoc)));
	g_variant_builder_add(&b, "{sv}", "sc",
		g_variant_new_boolean(sim_dut_secure_connections(adapter->dut)));
	sim_trace(adapter, "paired", g_variant_builder_end(&b));
}

/* SMP is done: both sides have the keys. */
static void pairing_done(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	struct sim_bonding *b = d->bonding;
	struct sim_keys k;

	if (!b)
		return;
	memset(&k, 0, sizeof(k));
	sim_random_bytes(adapter, k.ltk, sizeof(k.ltk));
	k.authenticated = b->assoc != SIM_ASSOC_JUST_WORKS;
	/* the kernel sends its IRK and identity only with privacy on (smp.c:
	 * SMP_DIST_ID_KEY when HCI_PRIVACY) */
	if (adapter->privacy) {
		k.has_irk = true;
		memcpy(k.irk, adapter->irk, 16);
		g_strlcpy(k.identity, adapter->address, sizeof(k.identity));
	}
	if (!sim_dut_paired(adapter->dut, d->link_addr, b->bond, &k)) {
		/* another central filled the table meanwhile */
		sim_pairing_fail(d, SIM_ERR_AUTH_FAILED);
		return;
	}
	sim_control_changed(adapter, "BondCount");
	d->keys = k;
	d->host_has_keys = true;
	d->encrypted = true;
	if (b->bond && !d->bonded) {
		d->bonded = true;
		sim_device_changed(d, "Bonded");
	}
	if (!d->paired) {
		d->paired = true;
		if (d->resolved)
			sim_device_changed(d, "Paired");
		else
			d->pending_paired = true;
	}
	paired_trace(adapter, b->assoc);
	if (b->reconnect)
		/* pairing the stack started (reconnect): continue the connect */
		sim_gatt_resubscribe(d);
	if (d->resolved)
		sim_device_services_resolved(adapter, d, d->gen);
	else
		sim_after(adapter, d, sim_device_resolve_ms(d),
			sim_device_services_resolved);
}

static void agent_reply(DBusMessage *reply, void *data)
{
	struct sim_device *d = data;
	struct sim_adapter *adapter = d->adapter;
	struct sim_bonding *b = d->bonding;
	GVariant *args = NULL;
	uint32_t passkey;

	if (!b)
		return;
	b->agent_call = 0;
	if (msg_error_name(reply)) {
		if (!g_strcmp0(msg_error_name(reply), DBUS_ERR_NO_REPLY)) {
			/* the agent never answered: src/agent.c cancels it */
			tell_agent_cancel(adapter, b);
			sim_pairing_fail(d, SIM_ERR_AUTH_TIMEOUT);
		} else {
			/* a negative reply: SMP fails (MGMT_STATUS_AUTH_FAILED) */
			sim_pairing_fail(d, SIM_ERR_AUTH_FAILED);
		}
		return;
	}
	if (b->assoc == SIM_ASSOC_ENTER) {
		if (!msg_get_args(reply, "(u)", &args, NULL)) {
			sim_pairing_fail(d, SIM_ERR_AUTH_FAILED);
			return;
		}
		g_variant_get(args, "(u)", &passkey);
		g_variant_unref(args);
		if (passkey != b->passkey) {
			sim_trace_host(adapter, "passkey-mismatch", NULL, NULL);
			sim_pairing_fail(d, SIM_ERR_AUTH_FAILED);
			return;
		}
	}
	sim_after(adapter, d, adapter->t.pair_ms, pairing_done);
}

static void call_agent(struct sim_device *d, const char *method, GVariant *args)
{
	struct sim_adapter *adapter = d->adapter;
	struct sim_bonding *b = d->bonding;

	b->agent_call = sim_agent_request(adapter->srv, b->agent_owner,
		b->agent_path, method, args, (int)adapter->t.agent_timeout_ms,
		agent_reply, d);
}

/* The DUT answered the Pairing Request with Pairing Failed (0x08,
 * Unspecified Reason): bluetoothd fails Pair() with AuthenticationFailed. */
static void pairing_refused(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	sim_pairing_fail(d, SIM_ERR_AUTH_FAILED);
}

void sim_pairing_start(struct sim_device *d)
{
	struct sim_adapter *adapter = d->adapter;
	struct sim_bonding *b = d->bonding;
	struct sim_agent *a;
	const char *cap;
	uint32_t passkey = sim_dut_passkey(adapter->dut);

	if (!b) {
		/* the stack pairs on its own (security request): default agent */
		b = g_new0(struct sim_bonding, 1);
		b->bond = adapter->pairable;
		d->bonding = b;
	}
	a = sim_agent_for(adapter->srv, b->owner);
	cap = a ? a->capability : "NoInputNoOutput";
	b->assoc = association(cap, sim_dut_io_capability(adapter->dut),
		sim_dut_secure_connections(adapter->dut));
	if (a) {
		b->agent_owner = g_strdup(a->owner);
		b->agent_path = g_strdup(a->path);
	}
	/* SMP's six digits: new each pairing (143461, 887039, 128076 on real
	 * 5.66), unless the DUT is configured with a fixed passkey */
	if (passkey == SIM_PASSKEY_RANDOM)
		passkey = (uint32_t)sim_random(adapter, 0, 1000000);
	b->passkey = passkey;
	if (b->bond && sim_dut_refuses_bond(adapter->dut, adapter->address)) {
		/* a full table under refuse-when-full: no agent is asked */
		sim_after(adapter, d, adapter->t.encrypt_ms, pairing_refused);
		return;
	}
	switch (b->assoc) {
	case SIM_ASSOC_JUST_WORKS:
		sim_after(adapter, d, adapter->t.pair_ms, pairing_done);
		break;
	case SIM_ASSOC_CONFIRM:
		call_agent(d, "RequestConfirmation",
			g_variant_new("(ou)", d->path, passkey));
		break;
	case SIM_ASSOC_ENTER:
		call_agent(d, "RequestPasskey", g_variant_new("(o)", d->path));
		break;
	case SIM_ASSOC_DISPLAY:
		call_agent(d, "DisplayPasskey",
			g_variant_new("(ouq)", d->path, passkey, 0));
		break;
	}
}

void sim_pairing_repair(struct sim_device *d)
{
	/* the DUT asks to pair again: the stack starts a new pairing */
	sim_trace_host(d->adapter, "security-request", "action", "new pairing");
	d->bonding = g_new0(struct sim_bonding, 1);
	d->bonding->bond = d->adapter->pairable;
	d->bonding->reconnect = true;
	sim_pairing_start(d);
}

/* ---- Device1.Pair() and CancelPairing() --------------------------------- */

static void pair_owner_gone(const char *name, const char *owner, void *data)
{
	struct sim_device *d = data;
	struct sim_adapter *adapter = d->adapter;

	(void)name;
	if (owner || !d->bonding)
		return;
	/* device.c create_bond_req_exit(): cancel, then disconnect */
	d->bonding->owner_watch = 0;
	d->bonding->call = NULL;
	sim_trace_host(adapter, "pair-requester-left", NULL, NULL);
	tell_agent_cancel(adapter, d->bonding);
	bonding_free(adapter, d->bonding);
	d->bonding = NULL;
	if (d->connected)
		sim_device_disconnect_soon(d);
}

void sim_pairing_pair(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_device *d = data;
	struct sim_adapter *adapter = d->adapter;
	struct sim_bonding *b;

	(void)args;
	if (d->bonding || d->connect_call) {
		sim_reply_error(call, SIM_ERR_IN_PROGRESS);
		return;
	}
	if (d->bonded) {
		/*
		 * 5.66 pair_device(): with the LE bearer bonded it picks
		 * BR/EDR, which this LE-only DUT does not have: the attempt
		 * fails AuthenticationFailed (measured in the QEMU tier);
		 * AlreadyExists only once every bearer is bonded
		 */
		sim_trace_host(adapter, "pairing-failed", "bearer", "bredr");
		sim_reply_error(call, SIM_ERR_AUTH_FAILED);
		return;
	}
	b = g_new0(struct sim_bonding, 1);
	b->call = call;
	b->owner = g_strdup(svc_call_sender(call));
	b->bond = adapter->pairable;
	b->owner_watch = bus_watch_name(adapter->bus, b->owner, pair_owner_gone,
		d, NULL);
	d->bonding = b;
	if (d->connected) {
		sim_pairing_start(d);
		return;
	}
	/* LE: connect first, pair once the link is up */
	sim_device_begin_connect(d);
}

void sim_pairing_cancel(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_device *d = data;

	(void)args;
	if (!d->bonding) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	sim_pairing_fail(d, SIM_ERR_AUTH_CANCELED);
	svc_call_return(call, NULL);
}
