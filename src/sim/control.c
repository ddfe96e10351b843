/* SPDX-License-Identifier: MIT */
/*
 * control.c — org.bondcheck.Sim1, the simulator's control and truth: reboot
 * the DUT, set and clear its faults, let another central bond with it, pull
 * the adapter's dongle; the DUT's state as properties and everything that
 * happens inside as Trace signals (server.c builds them). A reboot drives
 * the DUT model and tells the adapter what the air shows: the link drops
 * without a word, the DUT is silent for its boot time, then advertises.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "sim-private.h"

void sim_control_changed(struct sim_adapter *adapter, const char *name)
{
	struct sim_adapter *a;
	guint i = 0;

	/* Sim1's properties are the DUT's: on every adapter in range of it */
	while ((a = sim_sharing_next(adapter, &i)))
		service_changed(a->svc, a->sim_path, BC_SIM_IFACE, name);
}

/* ---- reboot ------------------------------------------------------------- */

static void boot_done(struct sim_adapter *adapter,
	struct sim_device *unused G_GNUC_UNUSED, guint gen G_GNUC_UNUSED)
{
	sim_dut_booted(adapter->dut);
	sim_control_changed(adapter, "BootCount");
	sim_control_changed(adapter, "BondCount");
	sim_control_changed(adapter, "State");
	sim_control_changed(adapter, "Address");
	if (sim_dut_state(adapter->dut) != SIM_DUT_STATE_ADVERTISING)
		return;
	sim_device_dut_back_all(adapter);
}

/* A graceful reboot: the firmware ends its links first (0x13), so its
 * disconnect handler runs before the reset. */
static void end_links(struct sim_adapter *adapter)
{
	struct sim_adapter *a;
	guint n = 0;

	while ((a = sim_sharing_next(adapter, &n))) {
		for (guint i = 0; i < a->devices->len; i++) {
			struct sim_device *d = g_ptr_array_index(a->devices, i);

			if (!d->connected)
				continue;
			sim_trace_host(a, "remote-terminated", "hci_reason",
				"0x13 Remote User Terminated Connection");
			sim_device_link_down(d, SIM_REASON_REMOTE,
				SIM_ERR_ABORT_BY_REMOTE);
		}
	}
}

static void reboot_as(struct sim_adapter *adapter, enum sim_reboot_kind kind)
{
	if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_BOOTING)
		return;
	if (kind == SIM_REBOOT_GRACEFUL)
		end_links(adapter);
	sim_dut_reboot(adapter->dut, kind);
	sim_control_changed(adapter, "State");
	/* hard: the links drop when the centrals' supervision timeout ends */
	sim_device_dut_silent_all(adapter);
	sim_after(adapter, NULL,
		sim_dut_boot_ms(adapter->dut, adapter->t.boot_ms), boot_done);
}

static void reboot_hard(struct sim_adapter *adapter,
	struct sim_device *unused G_GNUC_UNUSED, guint gen G_GNUC_UNUSED)
{
	reboot_as(adapter, SIM_REBOOT_HARD);
}

static void reboot_graceful(struct sim_adapter *adapter,
	struct sim_device *unused G_GNUC_UNUSED, guint gen G_GNUC_UNUSED)
{
	reboot_as(adapter, SIM_REBOOT_GRACEFUL);
}

void sim_control_reboot_soon(struct sim_adapter *adapter,
	enum sim_reboot_kind kind)
{
	sim_after(adapter, NULL, 0,
		kind == SIM_REBOOT_GRACEFUL ? reboot_graceful : reboot_hard);
}

/* ---- methods ------------------------------------------------------------ */

static void reboot_call(struct svc_call *call, struct sim_adapter *adapter,
	enum sim_reboot_kind kind)
{
	GVariantBuilder b;

	if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_BOOTING) {
		sim_reply_error(call, SIM_ERR_REBOOTING);
		return;
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "via", g_variant_new_string("sim"));
	g_variant_builder_add(&b, "{sv}", "kind",
		g_variant_new_string(sim_reboot_kind_to_str(kind)));
	sim_trace(adapter, "reboot-requested", g_variant_builder_end(&b));
	reboot_as(adapter, kind);
	svc_call_return(call, NULL);
}

static void m_reboot(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	reboot_call(call, data, SIM_REBOOT_HARD);
}

static void m_reboot_kind(struct svc_call *call, GVariant *args, void *data)
{
	const char *name;
	enum sim_reboot_kind kind;

	g_variant_get(args, "(&s)", &name);
	if (!sim_reboot_kind_from_str(name, &kind)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"a reboot is hard or graceful, not '%s'", name);
		return;
	}
	reboot_call(call, data, kind);
}

/*
 * mgmt Set Privacy, as the kernel takes it: only while the adapter is
 * powered off (MGMT_STATUS_REJECTED otherwise); it applies from the next
 * link on.
 */
static void m_set_privacy(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	gboolean on;

	g_variant_get(args, "(b)", &on);
	if (adapter->powered) {
		svc_call_error(call, BC_ERR_FAILED,
			"%s is powered: privacy is "
			"set with the adapter powered off (mgmt Set Privacy: "
			"Rejected)",
			adapter->path);
		return;
	}
	if (adapter->privacy != (bool)on) {
		adapter->privacy = on;
		sim_trace_str(adapter, "privacy-set", "privacy",
			on ? "on" : "off");
		service_changed(adapter->svc, adapter->sim_path, BC_SIM_IFACE,
			"Privacy");
	}
	svc_call_return(call, NULL);
}

static void m_unplug(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	if (!sim_adapter_unplug(adapter)) {
		svc_call_error(call, BC_ERR_FAILED, "%s is already unplugged",
			adapter->path);
		return;
	}
	sim_trace(adapter, "adapter-unplugged", NULL);
	svc_call_return(call, NULL);
}

static void m_replug(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	if (!sim_adapter_replug(adapter)) {
		svc_call_error(call, BC_ERR_FAILED, "%s is plugged in",
			adapter->path);
		return;
	}
	sim_trace(adapter, "adapter-replugged", NULL);
	svc_call_return(call, NULL);
}

static void m_set_fault(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	const char *name, *arg;
	enum sim_fault f;
	struct sim_fault_value v;
	GError *err = NULL;

	g_variant_get(args, "(&s&s)", &name, &arg);
	if (!sim_fault_lookup(name, &f)) {
		char *q = bcerror_quote(name);

		svc_call_error(call, BC_ERR_UNKNOWN_FAULT,
			"unknown fault '%s' (bondcheck faults lists them)", q);
		g_free(q);
		return;
	}
	if (!sim_fault_parse_arg(f, *arg ? arg : NULL, &v, &err)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS, "%s", err->message);
		g_error_free(err);
		return;
	}
	sim_adapter_set_fault(adapter, f, &v);
	g_free(v.text);
	svc_call_return(call, NULL);
}

static void m_clear_faults(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	sim_dut_clear_faults(adapter->dut);
	sim_control_changed(adapter, "Faults");
	svc_call_return(call, NULL);
}

static void m_bond_peer(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	const char *addr;
	struct sim_keys k;

	g_variant_get(args, "(&s)", &addr);
	if (!bluez_address_valid(addr) ||
		!g_ascii_strcasecmp(addr, adapter->address)) {
		char *q = bcerror_quote(addr);

		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"not another central's address: '%s'", q);
		g_free(q);
		return;
	}
	/* another central (a phone) bonds with the DUT */
	memset(&k, 0, sizeof(k));
	sim_random_bytes(adapter, k.ltk, sizeof(k.ltk));
	if (!sim_dut_paired(adapter->dut, addr, true, &k)) {
		svc_call_error(call, BC_ERR_FAILED,
			"the DUT refused the bond: "
			"its table of %u is full (refuse-when-full)",
			sim_dut_table_size(adapter->dut));
		return;
	}
	sim_control_changed(adapter, "BondCount");
	svc_call_return(call, NULL);
}

/* ---- properties --------------------------------------------------------- */

static GVariant *get_boot_count(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_uint32(sim_dut_boot_count(adapter->dut));
}

static GVariant *get_bond_count(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_uint32(sim_dut_bond_count(adapter->dut));
}

static GVariant *get_faults(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;
	GPtrArray *f = sim_dut_fault_list(adapter->dut);
	GVariant *v = g_variant_new_strv((const char *const *)f->pdata, f->len);

	g_ptr_array_free(f, TRUE);
	return v;
}

static GVariant *get_state(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_string(
		sim_dut_state_to_str(sim_dut_state(adapter->dut)));
}

static GVariant *get_address(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_string(sim_dut_address(adapter->dut));
}

static GVariant *get_privacy(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->privacy);
}

/* One delay of the air or the DUT as it is now, scaled, in ms. */
static void add_ms(GVariantBuilder *b, const char *key,
	struct sim_adapter *adapter, int64_t us)
{
	g_variant_builder_add(b, "{sv}", key,
		g_variant_new_double((double)sim_radio_scaled_us(adapter, us) /
				     1000.0));
}

/* The simulator's timing, after --time-scale (doc/simulator.md): what a
 * client can know of the air without measuring it, such as the floor of a
 * reconnect (make bench). */
static GVariant *get_timing(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *a = data;
	const struct sim_timing *t = &a->t;
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "time_scale",
		g_variant_new_double(t->scale));
	add_ms(&b, "adv_interval_ms", a, t->adv_interval_ms * 1000);
	add_ms(&b, "adv_delay_max_ms", a, t->adv_delay_max_us);
	add_ms(&b, "scan_interval_ms", a, t->scan_interval_us);
	add_ms(&b, "scan_window_ms", a, t->scan_window_us);
	add_ms(&b, "conn_scan_interval_ms", a, t->conn_scan_interval_us);
	add_ms(&b, "conn_scan_window_ms", a, t->conn_scan_window_us);
	add_ms(&b, "conn_interval_ms", a, t->conn_interval_ms * 1000);
	add_ms(&b, "connect_ms", a, t->connect_ms * 1000);
	add_ms(&b, "encrypt_ms", a, t->encrypt_ms * 1000);
	add_ms(&b, "resolve_cached_ms", a, t->resolve_cached_ms * 1000);
	add_ms(&b, "att_ms", a, t->att_ms * 1000);
	add_ms(&b, "boot_ms", a, sim_dut_boot_ms(a->dut, t->boot_ms) * 1000);
	add_ms(&b, "supervision_ms", a, t->supervision_ms * 1000);
	g_variant_builder_add(&b, "{sv}", "reconnect_floor_ms",
		g_variant_new_double(sim_timing_reconnect_floor_ms(t)));
	return g_variant_builder_end(&b);
}

static const struct svc_method control_methods[] = {
	{ "Reboot", "", "", m_reboot },
	{ "RebootKind", "s", "", m_reboot_kind },
	{ "SetPrivacy", "b", "", m_set_privacy },
	{ "Unplug", "", "", m_unplug },
	{ "Replug", "", "", m_replug },
	{ "BondPeer", "s", "", m_bond_peer, "address" },
	{ "SetFault", "ss", "", m_set_fault, "name arg" },
	{ "ClearFaults", "", "", m_clear_faults, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_property control_props[] = {
	{ "BootCount", "u", get_boot_count, NULL },
	{ "BondCount", "u", get_bond_count, NULL },
	{ "Faults", "as", get_faults, NULL },
	{ "State", "s", get_state, NULL },
	{ "Address", "s", get_address, NULL },
	{ "Privacy", "b", get_privacy, NULL },
	{ "Timing", "a{sv}", get_timing, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_signal control_signals[] = {
	{ "Trace", "s", "json" },
	{ NULL, NULL, NULL },
};

static const struct svc_interface control_iface = {
	BC_SIM_IFACE,
	control_methods,
	control_props,
	control_signals,
};

void sim_control_add(struct sim_adapter *adapter)
{
	service_add_interface(adapter->svc, adapter->sim_path, &control_iface,
		adapter);
}
