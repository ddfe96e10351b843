/* SPDX-License-Identifier: MIT */
/*
 * device.c — org.bluez.Device1 of the simulated bluetoothd: the host's view
 * of the DUT and its LE link. Connect, encryption with the stored key, link
 * loss in the order of src/device.c, Disconnect, the settable properties.
 * Pairing is pairing.c's, the attribute cache gatt.c's.
 */
#include <string.h>

#include "bondcheck/names.h"
#include "sim-private.h"

#define RSSI_DUT (-52)

void sim_device_changed(struct sim_device *d, const char *name)
{
	service_changed(d->adapter->svc, d->path, BLUEZ_IFACE_DEVICE, name);
}

/* Is the firmware behind this device object reachable over the air now? */
static bool dut_here(struct sim_device *d)
{
	return g_ascii_strcasecmp(d->address,
		       sim_dut_address(d->adapter->dut)) == 0;
}

static bool dut_advertising(struct sim_device *d)
{
	return dut_here(d) &&
	       sim_dut_state(d->adapter->dut) == SIM_DUT_STATE_ADVERTISING;
}

void sim_device_connect_ok(struct sim_device *d)
{
	struct svc_call *c = d->connect_call;

	d->connect_call = NULL;
	if (c)
		svc_call_return(c, NULL);
}

void sim_device_connect_fail(struct sim_device *d, enum sim_err err)
{
	struct svc_call *c = d->connect_call;

	d->connect_call = NULL;
	/* the kernel stops waiting for the DUT with the call (a pairing
	 * that still wants the link keeps it) */
	if (!d->bonding)
		d->connecting = false;
	if (c)
		sim_reply_error(c, err);
}

/* ---- link loss ---------------------------------------------------------- */

static const char *sim_reason_to_str(enum sim_reason r)
{
	switch (r) {
	case SIM_REASON_TIMEOUT: return BLUEZ_REASON_TIMEOUT;
	case SIM_REASON_LOCAL: return BLUEZ_REASON_LOCAL;
	case SIM_REASON_REMOTE: return BLUEZ_REASON_REMOTE;
	case SIM_REASON_AUTH: return BLUEZ_REASON_AUTH;
	}
	return BLUEZ_REASON_UNKNOWN;
}

static const char *reason_message(enum sim_reason r)
{
	switch (r) {
	case SIM_REASON_TIMEOUT: return "disconnection-timeout";
	case SIM_REASON_LOCAL: return "disconnection-localhost";
	case SIM_REASON_REMOTE: return "disconnection-remote";
	case SIM_REASON_AUTH: return "disconnection-authentication-failure";
	}
	return "disconnection-unknown";
}

/*
 * The link is gone. Order as src/device.c device_remove_connection():
 * ServicesResolved false, the waiting Connect failed, Disconnect calls
 * answered, a pairing without bond forgotten, Connected false, then (5.83)
 * the Disconnected signal.
 */
void sim_device_link_down(struct sim_device *d, enum sim_reason reason,
	enum sim_err connect_error)
{
	struct sim_adapter *adapter = d->adapter;

	if (!d->connected) {
		sim_device_connect_fail(d, connect_error);
		return;
	}
	d->gen++;
	sim_cancel_actions(adapter, d);
	if (d->resolved) {
		d->resolved = false;
		sim_device_changed(d, "ServicesResolved");
	}
	sim_device_connect_fail(d, connect_error);
	if (d->bonding)
		sim_pairing_fail(d, SIM_ERR_AUTH_CANCELED);
	sim_gatt_flush_reads(d, false);
	sim_gatt_link_down(d);
	if (d->paired && !d->bonded) {
		d->paired = false;
		d->host_has_keys = false;
		sim_device_changed(d, "Paired");
	}
	/*
	 * Disconnect() is answered before Connected goes false (real
	 * bluetoothd 5.66 in the QEMU tier): reply first, since pending
	 * property changes always leave before a reply
	 */
	for (guint i = 0; i < d->disconnect_calls->len; i++)
		svc_call_return(g_ptr_array_index(d->disconnect_calls, i),
			NULL);
	g_ptr_array_set_size(d->disconnect_calls, 0);
	d->connected = false;
	d->encrypted = false;
	d->unreported = false;
	sim_device_changed(d, "Connected");
	if (sim_bluez_minor(adapter) >= 83)
		service_emit(adapter->svc, d->path, BLUEZ_IFACE_DEVICE,
			"Disconnected",
			g_variant_new("(ss)", sim_reason_to_str(reason),
				reason_message(reason)));
	sim_trace_host(adapter, "link-down", "reason",
		sim_reason_to_str(reason));
	/* without a bond BlueZ drops the attribute cache (gatt_db_clear) */
	if (!d->bonded)
		sim_gatt_unexport(d);

	if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_CONNECTED) {
		sim_dut_disconnected(adapter->dut, d->link_addr);
		sim_control_changed(adapter, "State");
		/* it advertises again: every central in range sees it */
		if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_ADVERTISING)
			sim_device_dut_back_all(adapter);
	}
	if (d->remove_when_down) {
		sim_device_remove(d);
		sim_adapter_dut_seen_later(adapter);
	}
}

static void supervision_timeout(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	sim_device_link_down(d, SIM_REASON_TIMEOUT, SIM_ERR_ABORT_BY_LOCAL);
}

void sim_device_dut_silent(struct sim_device *d)
{
	/* the central only notices when the supervision timeout expires */
	if (d->connected)
		sim_after(d->adapter, d, d->adapter->t.supervision_ms,
			supervision_timeout);
}

/* ---- link up ------------------------------------------------------------ */

void sim_device_services_resolved(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	sim_gatt_export(d);
	if (!d->resolved) {
		d->resolved = true;
		sim_device_changed(d, "ServicesResolved");
	}
	if (d->pending_paired) {
		/* src/device.c device_svc_resolved(): Paired waits for this */
		d->pending_paired = false;
		sim_device_changed(d, "Paired");
	}
	sim_pairing_resolved(d);
	sim_device_connect_ok(d);
	sim_gatt_flush_reads(d, true);
}

int64_t sim_device_resolve_ms(struct sim_device *d)
{
	return d->gatt_exported ? d->adapter->t.resolve_cached_ms :
	                          d->adapter->t.discover_ms;
}

/*
 * With the key lost, does this Connect() succeed before encryption fails?
 * On real 5.66 it did in 11 of 24 attempts (bluetoothd replies once ATT is
 * up, which can come before the Encryption Change): drawn per attempt from
 * the seeded generator, or always with connect-succeeds-then-drops.
 */
static bool connect_races_encryption(struct sim_device *d)
{
	struct sim_adapter *adapter = d->adapter;
	bool wins;

	if (sim_dut_fault(adapter->dut, SIM_FAULT_CONNECT_SUCCEEDS_THEN_DROPS))
		return true;
	wins = sim_random(adapter, 0, 24) < 11;
	sim_trace_host(adapter, "connect-outcome", "drawn",
		wins ? "reply-then-drop" : "abort-by-local");
	return wins;
}

static void drop_after_connect(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	sim_device_link_down(d, SIM_REASON_AUTH, SIM_ERR_ABORT_BY_LOCAL);
}

static void drop_unattached(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	sim_device_link_down(d, SIM_REASON_REMOTE, SIM_ERR_ABORT_BY_REMOTE);
}

/* bluetoothd raises security with the LTK it stored for the DUT. */
static void encrypt_step(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	enum sim_encrypt r = sim_dut_encrypt(adapter->dut, d->link_addr,
		d->keys.ltk);

	switch (r) {
	case SIM_ENCRYPT_OK:
		d->encrypted = true;
		sim_trace_host(adapter, "encrypted", "address", d->address);
		if (d->unreported) {
			/* Connect() answered; ATT never came up on the DUT's
			 * side, so its kernel drops the idle link */
			sim_device_connect_ok(d);
			sim_after(adapter, d, adapter->t.unattached_ms,
				drop_unattached);
			break;
		}
		sim_gatt_resubscribe(d);
		/*
		 * bluetoothd answers Connect() once ATT is up on the
		 * encrypted link, then validates its GATT cache:
		 * ServicesResolved comes after the reply (real bluetoothd
		 * 5.66 in the QEMU tier, doc/simulator.md)
		 */
		sim_device_connect_ok(d);
		sim_after(adapter, d, adapter->t.resolve_cached_ms,
			sim_device_services_resolved);
		break;
	case SIM_ENCRYPT_KEY_MISSING:
		/* HCI: Encryption Change 0x06, then Disconnect 0x05 */
		sim_trace_host(adapter, "encryption-failed", "hci_status",
			"0x06 PIN or Key Missing");
		if (d->connect_call && connect_races_encryption(d)) {
			/* bluetoothd answered once ATT was up; the link drops
			 * 13-62 ms later (real 5.66) */
			sim_device_connect_ok(d);
			sim_after(adapter, d, sim_random(adapter, 13, 63),
				drop_after_connect);
		} else {
			sim_device_link_down(d, SIM_REASON_AUTH,
				SIM_ERR_ABORT_BY_LOCAL);
		}
		break;
	case SIM_ENCRYPT_TERMINATE:
		sim_trace_host(adapter, "remote-terminated", "hci_reason",
			"0x13 Remote User Terminated Connection");
		sim_device_link_down(d, SIM_REASON_REMOTE,
			SIM_ERR_ABORT_BY_REMOTE);
		break;
	case SIM_ENCRYPT_REPAIR: sim_pairing_repair(d); break;
	}
}

/*
 * The address the central connects from (the kernel's own address type in
 * LE Create Connection): its public address, or with privacy a resolvable
 * private address. The simulated central makes a new RPA for every link,
 * where BlueZ rotates it every 15 minutes (a phone about as often): each
 * reconnect then meets the DUT with an address it has not seen.
 */
static void choose_own_address(struct sim_device *d)
{
	struct sim_adapter *adapter = d->adapter;
	uint8_t prand[3];

	d->link_random = adapter->privacy;
	if (!adapter->privacy) {
		g_strlcpy(d->link_addr, adapter->address, sizeof(d->link_addr));
		return;
	}
	sim_random_bytes(adapter, prand, sizeof(prand));
	sim_rpa_new(adapter->irk, prand, d->link_addr);
}

static void trace_link_up(struct sim_device *d)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "side", g_variant_new_string("host"));
	g_variant_builder_add(&b, "{sv}", "address",
		g_variant_new_string(d->address));
	g_variant_builder_add(&b, "{sv}", "central_address",
		g_variant_new_string(d->link_addr));
	g_variant_builder_add(&b, "{sv}", "central_address_type",
		g_variant_new_string(d->link_random ?
					     "random (resolvable private)" :
					     "public"));
	/* the advertising event it began at: the DUT's n-th since it began
	 * advertising, and when (the trace's clock) */
	g_variant_builder_add(&b, "{sv}", "adv_event",
		g_variant_new_uint64(d->link_adv_event));
	g_variant_builder_add(&b, "{sv}", "adv_t_us",
		g_variant_new_int64(d->link_adv_us - d->adapter->start_us));
	sim_trace(d->adapter, "link-up", g_variant_builder_end(&b));
}

static void link_up(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	if (d->connected)
		return;
	if (!dut_advertising(d)) {
		/* it stopped advertising meanwhile (another central took it,
		 * or it rebooted): wait for its next advertising event */
		d->connecting = true;
		sim_radio_listen(adapter);
		return;
	}
	d->gen++;
	d->connected = true;
	choose_own_address(d);
	/*
	 * bluez-misses-link: a bonded reconnect's mgmt Device Connected finds
	 * the device "already connected" and Connected is never emitted
	 * (bluetoothd 5.66 in the QEMU tier, tests/vm/README.md)
	 */
	d->unreported = !d->bonding && d->host_has_keys && d->connect_call &&
	                sim_dut_take_counted(adapter->dut,
				SIM_FAULT_BLUEZ_MISSES_LINK);
	if (d->unreported)
		sim_trace_host(adapter, "connected-unreported", "address",
			d->address);
	else
		sim_device_changed(d, "Connected");
	sim_dut_connected(adapter->dut, d->link_addr, d->link_random);
	sim_control_changed(adapter, "State");
	trace_link_up(d);

	if (d->bonding) {
		/*
		 * Pair() on a new device: GATT discovery runs beside SMP, so
		 * ServicesResolved usually comes before Bonded and Paired
		 * (real bluetoothd 5.66 in the QEMU tier). The discovery
		 * timer is armed first: on a loaded machine both may be due
		 * in one main-loop iteration, which runs them in the order
		 * they were armed.
		 */
		if (!d->host_has_keys)
			sim_after(adapter, d, sim_device_resolve_ms(d),
				sim_device_services_resolved);
		sim_pairing_start(d);
	} else if (d->host_has_keys) {
		/* BlueZ raises security with the stored LTK at once; the LL
		 * encryption procedure takes its connection events */
		sim_after(adapter, d, adapter->t.encrypt_ms, encrypt_step);
	} else if (d->connect_call &&
		   sim_dut_take_counted(adapter->dut,
			   SIM_FAULT_DROP_DURING_DISCOVERY)) {
		/*
		 * drop-during-discovery: Connect() is answered once ATT is up,
		 * then the DUT drops the link before discovery ends (Bleak:
		 * "failed to discover services, device disconnected"; seen
		 * with bluetoothd as the QEMU tier's DUT)
		 */
		sim_trace_host(adapter, "drop-during-discovery", "address",
			d->address);
		sim_device_connect_ok(d);
		sim_after(adapter, d, sim_device_resolve_ms(d) / 2,
			drop_unattached);
	} else {
		sim_after(adapter, d, sim_device_resolve_ms(d),
			sim_device_services_resolved);
	}
}

static void connect_timeout(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	if (d->connected)
		return;
	d->connecting = false;
	if (d->bonding) {
		/* MGMT_STATUS_CONNECT_FAILED (new_authentication_return) */
		sim_pairing_fail(d, SIM_ERR_PAGE_TIMEOUT);
		return;
	}
	sim_device_connect_fail(d, SIM_ERR_ABORT_BY_LOCAL);
}

/*
 * Connect() (or Pair()) with the link down: the kernel scans for the DUT
 * and sends CONNECT_IND at the first advertising event it hears
 * (hci_connect_le_scan; radio.c), whether the DUT advertises yet or not.
 */
void sim_device_begin_connect(struct sim_device *d)
{
	struct sim_adapter *adapter = d->adapter;

	d->connecting = true;
	d->connect_start_us = g_get_monotonic_time();
	/* when the kernel began to wait for the DUT (tests compare it with
	 * the DUT's adv-start) */
	sim_trace_host(adapter, "connecting", "address", d->address);
	sim_radio_listen(adapter);
	/* the kernel gives up on a silent device after its LE timeout */
	sim_after_ms(adapter, d, adapter->t.le_conn_timeout_ms,
		connect_timeout);
}

bool sim_device_wants_adverts(struct sim_device *d)
{
	return d->connecting && !d->connected &&
	       (d->connect_call || d->bonding) && dut_here(d);
}

void sim_device_adv_event(struct sim_device *d, uint64_t index, int64_t at_us)
{
	d->connecting = false;
	d->link_adv_event = index;
	d->link_adv_us = at_us;
	/* CONNECT_IND now; the link is up at the first connection event */
	sim_after(d->adapter, d, d->adapter->t.connect_ms, link_up);
}

/* The DUT advertises again (booted, or its link went down): its next
 * advertising event is now, for every adapter in range. */
void sim_device_dut_back_all(struct sim_adapter *adapter)
{
	sim_radio_adv_start(adapter);
}

void sim_device_dut_silent_all(struct sim_adapter *adapter)
{
	struct sim_adapter *a;
	guint n = 0;

	while ((a = sim_sharing_next(adapter, &n)))
		for (guint i = 0; i < a->devices->len; i++)
			sim_device_dut_silent(g_ptr_array_index(a->devices, i));
}

/* ---- methods ------------------------------------------------------------ */

static void m_connect(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_device *d = data;

	(void)args;
	if (!d->adapter->powered) {
		sim_reply_error(call, SIM_ERR_NOT_READY);
		return;
	}
	if (d->bonding || d->connect_call) {
		sim_reply_error(call, SIM_ERR_IN_PROGRESS);
		return;
	}
	if (d->connected) {
		/* device.c dev_connect(): an LE link is already there */
		svc_call_return(call, NULL);
		return;
	}
	d->connect_call = call;
	sim_device_begin_connect(d);
}

static void disconnect_now(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	sim_device_link_down(d, SIM_REASON_LOCAL, SIM_ERR_CANCELLED);
}

void sim_device_disconnect_soon(struct sim_device *d)
{
	sim_after(d->adapter, d, d->adapter->t.disconnect_ms, disconnect_now);
}

static void m_disconnect(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_device *d = data;

	(void)args;
	/* device.c device_request_disconnect() */
	if (d->bonding)
		sim_pairing_fail(d, SIM_ERR_AUTH_CANCELED);
	if (d->connect_call && !d->connected) {
		sim_device_connect_fail(d, SIM_ERR_CANCELLED);
		sim_cancel_actions(d->adapter, d);
		d->connecting = false;
	}
	if (!d->connected) {
		svc_call_return(call, NULL);
		return;
	}
	g_ptr_array_add(d->disconnect_calls, call);
	sim_device_disconnect_soon(d);
}

static void m_connect_profile(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	/* an LE-only DUT has no BR/EDR profiles to connect */
	sim_reply_error(call, SIM_ERR_SDP_SEARCH);
}

static void s_trusted(struct svc_call *call, const char *name, GVariant *value,
	void *data)
{
	struct sim_device *d = data;

	d->trusted = g_variant_get_boolean(value);
	sim_device_changed(d, name);
	svc_call_return(call, NULL);
}

static void s_blocked(struct svc_call *call, const char *name, GVariant *value,
	void *data)
{
	struct sim_device *d = data;

	d->blocked = g_variant_get_boolean(value);
	/*
	 * src/device.c device_block(): Blocked changes, then the link goes
	 * (the disconnect it asks for comes back later); and the link going
	 * may remove @d (a RemoveDevice waiting for it), so it is the last
	 * thing done here
	 */
	sim_device_changed(d, name);
	svc_call_return(call, NULL);
	if (d->blocked && d->connected)
		sim_device_link_down(d, SIM_REASON_LOCAL, SIM_ERR_CANCELLED);
}

static void s_alias(struct svc_call *call, const char *name, GVariant *value,
	void *data)
{
	struct sim_device *d = data;
	const char *a = g_variant_get_string(value, NULL);

	if (strlen(a) > SIM_ALIAS_MAX_BYTES) {
		/* it comes back in every GetManagedObjects: bounded */
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
		return;
	}
	g_free(d->alias);
	d->alias = *a ? g_strdup(a) : NULL;
	sim_device_changed(d, name);
	svc_call_return(call, NULL);
}

/* ---- properties --------------------------------------------------------- */

static GVariant *get_address(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_device *)data)->address);
}

static GVariant *get_address_type(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_device *)data)->address_type);
}

static GVariant *get_name(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return d->name ? g_variant_new_string(d->name) : NULL;
}

static GVariant *get_alias(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return g_variant_new_string(d->alias ? d->alias :
				    d->name  ? d->name :
					       d->address);
}

static GVariant *get_appearance(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return g_variant_new_uint16(sim_dut_appearance(d->adapter->dut));
}

/* a{qv}: the company ID, and its bytes as ay (bluetoothd's form) */
static GVariant *get_manufacturer_data(void *data,
	const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;
	GVariantBuilder b;
	GBytes *bytes;
	uint16_t id;

	if (!sim_dut_manufacturer(d->adapter->dut, &id, &bytes))
		return NULL;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{qv}"));
	g_variant_builder_add(&b, "{qv}", id,
		g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes,
			TRUE));
	return g_variant_builder_end(&b);
}

static GVariant *get_paired(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	/* src/device.c device_svc_resolved(): Paired waits for services */
	return g_variant_new_boolean(d->paired && !d->pending_paired);
}

static GVariant *get_bonded(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	/* Bonded exists from BlueZ 5.65 */
	return sim_bluez_minor(d->adapter) < 65 ?
	               NULL :
	               g_variant_new_boolean(d->bonded);
}

static GVariant *get_trusted(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->trusted);
}

static GVariant *get_blocked(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->blocked);
}

static GVariant *get_legacy_pairing(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(FALSE);
}

static GVariant *get_rssi(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return d->has_rssi ? g_variant_new_int16(RSSI_DUT) : NULL;
}

static GVariant *get_connected(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->connected);
}

static GVariant *get_uuids(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;
	const char *adv[] = { SIM_UUID_ESS };

	/* advertised: ESS; after resolution: every primary service, GAP
	 * and GATT included */
	return d->gatt_exported ? sim_gatt_uuids(d) :
	                          g_variant_new_strv(adv, 1);
}

static GVariant *get_adapter(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return g_variant_new_object_path(d->adapter->path);
}

static GVariant *get_services_resolved(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->resolved);
}

/* In every 5.66 table, but absent for this DUT (gdbus lists them in
 * Introspect all the same): Class, Icon, Modalias, ServiceData, TxPower,
 * WakeAllowed; ManufacturerData too unless --sim-opt manufacturer= */
static GVariant *get_absent(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return NULL;
}

static void s_wake_allowed(struct svc_call *call, const char *name,
	GVariant *value G_GNUC_UNUSED, void *data G_GNUC_UNUSED)
{
	/* only devices that can wake the host (BR/EDR HID) have it */
	svc_call_error(call, DBUS_ERR_INVALID_ARGS, "No such property '%s'",
		name);
}

static GVariant *get_advertising_flags(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	guint8 f = 0x06; /* LE General Discoverable, BR/EDR unsupported */

	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, &f, 1, 1);
}

static const struct svc_method device_methods[] = {
	{ "Disconnect", "", "", m_disconnect, NULL },
	{ "Connect", "", "", m_connect, NULL },
	{ "ConnectProfile", "s", "", m_connect_profile, "UUID" },
	{ "DisconnectProfile", "s", "", m_connect_profile, "UUID" },
	{ "Pair", "", "", sim_pairing_pair, NULL },
	{ "CancelPairing", "", "", sim_pairing_cancel, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* 5.66's table (src/device.c device_properties), in its order */
#define DEVICE_PROPS                                                          \
	{ "Address", "s", get_address, NULL },                                \
		{ "AddressType", "s", get_address_type, NULL },               \
		{ "Name", "s", get_name, NULL },                              \
		{ "Alias", "s", get_alias, s_alias },                         \
		{ "Class", "u", get_absent, NULL },                           \
		{ "Appearance", "q", get_appearance, NULL },                  \
		{ "Icon", "s", get_absent, NULL },                            \
		{ "Paired", "b", get_paired, NULL },                          \
		{ "Bonded", "b", get_bonded, NULL },                          \
		{ "Trusted", "b", get_trusted, s_trusted },                   \
		{ "Blocked", "b", get_blocked, s_blocked },                   \
		{ "LegacyPairing", "b", get_legacy_pairing, NULL },           \
		{ "RSSI", "n", get_rssi, NULL },                              \
		{ "Connected", "b", get_connected, NULL },                    \
		{ "UUIDs", "as", get_uuids, NULL },                           \
		{ "Modalias", "s", get_absent, NULL },                        \
		{ "Adapter", "o", get_adapter, NULL },                        \
		{ "ManufacturerData", "a{qv}", get_manufacturer_data, NULL }, \
		{ "ServiceData", "a{sv}", get_absent, NULL },                 \
		{ "TxPower", "n", get_absent, NULL },                         \
		{ "ServicesResolved", "b", get_services_resolved, NULL },     \
	{                                                                     \
		"WakeAllowed", "b", get_absent, s_wake_allowed                \
	}

static const struct svc_property device_props[] = {
	DEVICE_PROPS,
	{ NULL, NULL, NULL, NULL },
};

/* AdvertisingFlags is experimental in 5.66 (hidden without -E), not
 * later; the Disconnected signal is new in 5.83 */
static const struct svc_property device_props_583[] = {
	DEVICE_PROPS,
	{ "AdvertisingFlags", "ay", get_advertising_flags, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_signal device_signals_583[] = {
	{ "Disconnected", "ss", "name message" },
	{ NULL, NULL, NULL },
};

static const struct svc_interface device_iface = {
	BLUEZ_IFACE_DEVICE,
	device_methods,
	device_props,
	NULL,
};

static const struct svc_interface device_iface_583 = {
	BLUEZ_IFACE_DEVICE,
	device_methods,
	device_props_583,
	device_signals_583,
};

/* ---- life cycle --------------------------------------------------------- */

struct sim_device *sim_device_new(struct sim_adapter *adapter,
	const char *address, const char *type)
{
	struct sim_device *d = g_new0(struct sim_device, 1);
	char *up = g_ascii_strup(address, -1);

	d->adapter = adapter;
	d->address = up;
	d->address_type = g_strdup(type);
	d->name = g_strdup(sim_dut_name(adapter->dut));
	g_strdelimit(up = g_strdup(address), ":", '_');
	d->path = g_strdup_printf("%s/dev_%s", adapter->path, up);
	g_free(up);
	d->disconnect_calls = g_ptr_array_new();
	d->pending_reads = g_ptr_array_new_with_free_func(g_free);
	sim_gatt_init(d);
	g_ptr_array_add(adapter->devices, d);
	/* found by an advertisement: its RSSI is known */
	d->has_rssi = true;
	service_add_interface(adapter->svc, d->path,
		sim_bluez_minor(adapter) >= 83 ? &device_iface_583 :
						 &device_iface,
		d);
	return d;
}

static void device_free(struct sim_device *d)
{
	sim_cancel_actions(d->adapter, d);
	sim_gatt_free(d);
	g_ptr_array_free(d->disconnect_calls, TRUE);
	g_ptr_array_free(d->pending_reads, TRUE);
	g_free(d->path);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->alias);
	g_free(d);
}

void sim_device_remove(struct sim_device *d)
{
	struct sim_adapter *adapter = d->adapter;

	/* answer whatever still waits on this device */
	if (d->bonding)
		sim_pairing_fail(d, SIM_ERR_AUTH_CANCELED);
	sim_device_connect_fail(d, SIM_ERR_DEVICE_REMOVED);
	sim_gatt_flush_reads(d, false);
	sim_gatt_unexport(d);
	service_remove_object(adapter->svc, d->path);
	g_ptr_array_remove(adapter->devices, d);
	device_free(d);
}
