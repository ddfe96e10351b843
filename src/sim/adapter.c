/* SPDX-License-Identifier: MIT */
/*
 * adapter.c — org.bluez.Adapter1 of the simulated bluetoothd: discovery
 * sessions, power, RemoveDevice, the DUT seen over the air, and the dongle
 * pulled out (Sim1.Unplug). As src/adapter.c; doc/simulator.md has each
 * behaviour with its source. The devices themselves are device.c's.
 */
#include <string.h>

#include "bondcheck/names.h"
#include "sim-private.h"

/* A client's discovery session (adapter.c's struct discovery_client). */
struct dclient {
	struct sim_adapter *adapter;
	char *owner;
	guint watch;
	bool active; /* discovering (not only a pre-set filter) */
};

void sim_adapter_changed(struct sim_adapter *adapter, const char *name)
{
	service_changed(adapter->svc, adapter->path, BLUEZ_IFACE_ADAPTER, name);
}

static struct sim_device *find_dev_by_path(struct sim_adapter *adapter,
	const char *path)
{
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (strcmp(d->path, path) == 0)
			return d;
	}
	return NULL;
}

static struct sim_device *find_dev_by_addr(struct sim_adapter *adapter,
	const char *addr)
{
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (g_ascii_strcasecmp(d->address, addr) == 0)
			return d;
	}
	return NULL;
}

/* ---- the DUT over the air ----------------------------------------------- */

bool sim_adapter_wants_adverts(struct sim_adapter *adapter)
{
	struct sim_device *d;

	if (!adapter->discovering || !adapter->powered ||
		sim_dut_state(adapter->dut) != SIM_DUT_STATE_ADVERTISING)
		return false;
	d = find_dev_by_addr(adapter, sim_dut_address(adapter->dut));
	return !d || !d->has_rssi;
}

/* An advertising event of the DUT reached our discovery (radio.c). */
void sim_adapter_dut_advertised(struct sim_adapter *adapter)
{
	struct sim_device *d;

	if (!sim_adapter_wants_adverts(adapter))
		return;
	d = find_dev_by_addr(adapter, sim_dut_address(adapter->dut));
	if (!d) {
		d = sim_device_new(adapter, sim_dut_address(adapter->dut),
			sim_dut_address_type(adapter->dut));
		sim_trace_host(adapter, "device-found", "address", d->address);
		return;
	}
	/* BlueZ reports RSSI again once it was invalidated */
	d->has_rssi = true;
	sim_device_changed(d, "RSSI");
}

void sim_adapter_dut_seen_later(struct sim_adapter *adapter)
{
	sim_radio_listen(adapter);
}

/* ---- discovery ---------------------------------------------------------- */

static void set_discovering(struct sim_adapter *adapter, bool on)
{
	if (adapter->discovering == on)
		return;
	adapter->discovering = on;
	sim_adapter_changed(adapter, "Discovering");
	if (on) {
		/* the scan's windows are counted from here */
		adapter->scan_start_us = g_get_monotonic_time();
		sim_radio_listen(adapter);
		return;
	}
	/* src/adapter.c discovery_cleanup(): RSSI of found devices dropped */
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (d->has_rssi) {
			d->has_rssi = false;
			sim_device_changed(d, "RSSI");
		}
	}
}

static struct dclient *find_dclient(struct sim_adapter *adapter,
	const char *owner)
{
	for (guint i = 0; i < adapter->dclients->len; i++) {
		struct dclient *c = g_ptr_array_index(adapter->dclients, i);

		if (g_strcmp0(c->owner, owner) == 0)
			return c;
	}
	return NULL;
}

static bool any_active(struct sim_adapter *adapter)
{
	for (guint i = 0; i < adapter->dclients->len; i++)
		if (((struct dclient *)g_ptr_array_index(adapter->dclients, i))
				->active)
			return true;
	return false;
}

static void dclient_free(void *data)
{
	struct dclient *c = data;

	if (c->watch)
		bus_unwatch_name(c->adapter->bus, c->watch);
	g_free(c->owner);
	g_free(c);
}

static void dclient_gone(const char *name, const char *owner, void *data)
{
	struct dclient *c = data;
	struct sim_adapter *adapter = c->adapter;

	(void)name;
	if (owner)
		return;
	/* the client left the bus: its session ends (adapter.c) */
	c->watch = 0;
	g_ptr_array_remove(adapter->dclients, c);
	set_discovering(adapter, any_active(adapter));
}

static struct dclient *dclient_get(struct sim_adapter *adapter,
	const char *owner)
{
	struct dclient *c = find_dclient(adapter, owner);

	if (c)
		return c;
	c = g_new0(struct dclient, 1);
	c->adapter = adapter;
	c->owner = g_strdup(owner);
	c->watch = bus_watch_name(adapter->bus, owner, dclient_gone, c, NULL);
	g_ptr_array_add(adapter->dclients, c);
	return c;
}

static void m_start_discovery(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	struct dclient *c;

	(void)args;
	if (!adapter->powered) {
		sim_reply_error(call, SIM_ERR_NOT_READY);
		return;
	}
	c = find_dclient(adapter, svc_call_sender(call));
	if (c && c->active) {
		sim_reply_error(call, SIM_ERR_BUSY);
		return;
	}
	c = dclient_get(adapter, svc_call_sender(call));
	c->active = true;
	set_discovering(adapter, true);
	svc_call_return(call, NULL);
}

static void m_stop_discovery(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	struct dclient *c;

	(void)args;
	if (!adapter->powered) {
		sim_reply_error(call, SIM_ERR_NOT_READY);
		return;
	}
	c = find_dclient(adapter, svc_call_sender(call));
	if (!c || !c->active) {
		sim_reply_error(call, SIM_ERR_NO_DISCOVERY);
		return;
	}
	g_ptr_array_remove(adapter->dclients, c);
	set_discovering(adapter, any_active(adapter));
	svc_call_return(call, NULL);
}

/* SetDiscoveryFilter's keys and their types; GetDiscoveryFilters lists them */
static const struct {
	const char *key;
	const char *type;
} filter_keys[] = {
	{ "UUIDs", "as" },
	{ "RSSI", "n" },
	{ "Pathloss", "q" },
	{ "Transport", "s" },
	{ "DuplicateData", "b" },
	{ "Discoverable", "b" },
	{ "Pattern", "s" },
};

static bool filter_entry_ok(const char *key, GVariant *v)
{
	const char *t;

	for (size_t i = 0; i < G_N_ELEMENTS(filter_keys); i++) {
		if (strcmp(key, filter_keys[i].key) != 0)
			continue;
		if (!g_variant_is_of_type(v,
			    G_VARIANT_TYPE(filter_keys[i].type)))
			return false;
		if (strcmp(key, "Transport") != 0)
			return true;
		t = g_variant_get_string(v, NULL);
		return !strcmp(t, "le") || !strcmp(t, "bredr") ||
		       !strcmp(t, "auto");
	}
	return false; /* adapter.c: unknown keys are invalid */
}

static bool filter_ok(GVariant *filter)
{
	GVariantIter it;
	const char *k;
	GVariant *v;
	bool ok = true;

	g_variant_iter_init(&it, filter);
	while (ok && g_variant_iter_next(&it, "{&sv}", &k, &v)) {
		ok = filter_entry_ok(k, v);
		g_variant_unref(v);
	}
	return ok;
}

static void m_set_filter(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	GVariant *filter = g_variant_get_child_value(args, 0);

	if (!adapter->powered) {
		sim_reply_error(call, SIM_ERR_NOT_READY);
	} else if (!filter_ok(filter)) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
	} else {
		/* one filter per client; the simulated DUT matches any */
		dclient_get(adapter, svc_call_sender(call));
		svc_call_return(call, NULL);
	}
	g_variant_unref(filter);
}

static void m_get_filters(struct svc_call *call, GVariant *args, void *data)
{
	GVariantBuilder b;

	(void)args;
	(void)data;
	g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
	for (size_t i = 0; i < G_N_ELEMENTS(filter_keys); i++)
		g_variant_builder_add(&b, "s", filter_keys[i].key);
	svc_call_return(call,
		g_variant_new("(@as)", g_variant_builder_end(&b)));
}

/* ---- devices ------------------------------------------------------------ */

static void m_remove_device(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	const char *path;
	struct sim_device *d;

	g_variant_get(args, "(&o)", &path);
	d = find_dev_by_path(adapter, path);
	if (!d) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	if (!adapter->powered) {
		sim_reply_error(call, SIM_ERR_NOT_READY);
		return;
	}
	sim_trace_host(adapter, "host-keys-removed", "address", d->address);
	if (d->connected) {
		/* device_request_disconnect, then removal when the link is down */
		d->remove_when_down = true;
		g_ptr_array_add(d->disconnect_calls, call);
		sim_device_link_down(d, SIM_REASON_LOCAL, SIM_ERR_CANCELLED);
		return;
	}
	sim_device_remove(d);
	svc_call_return(call, NULL);
	/* still in range: it shows up again at the next advert */
	sim_adapter_dut_seen_later(adapter);
}

/* ---- power and the other settable properties ---------------------------- */

static void set_powered(struct sim_adapter *adapter, bool on)
{
	if (adapter->powered == on)
		return;
	if (!on) {
		for (guint i = 0; i < adapter->devices->len; i++) {
			struct sim_device *d =
				g_ptr_array_index(adapter->devices, i);

			if (d->connected)
				sim_device_link_down(d, SIM_REASON_LOCAL,
					SIM_ERR_CANCELLED);
			else
				sim_device_connect_fail(d, SIM_ERR_NOT_POWERED);
		}
		g_ptr_array_set_size(adapter->dclients, 0);
		set_discovering(adapter, false);
	}
	adapter->powered = on;
	sim_adapter_changed(adapter, "Powered");
	if (on)
		sim_radio_listen(adapter);
}

static void s_powered(struct svc_call *call, const char *name, GVariant *value,
	void *data)
{
	struct sim_adapter *adapter = data;

	set_powered(adapter, g_variant_get_boolean(value));
	sim_adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_pairable(struct svc_call *call, const char *name, GVariant *value,
	void *data)
{
	struct sim_adapter *adapter = data;

	adapter->pairable = g_variant_get_boolean(value);
	sim_adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_discoverable(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;

	adapter->discoverable = g_variant_get_boolean(value);
	sim_adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_alias(struct svc_call *call, const char *name, GVariant *value,
	void *data)
{
	struct sim_adapter *adapter = data;
	const char *a = g_variant_get_string(value, NULL);

	if (strlen(a) > SIM_ALIAS_MAX_BYTES) {
		/* it comes back in every GetManagedObjects: bounded */
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
		return;
	}
	g_free(adapter->alias);
	adapter->alias = g_strdup(*a ? a : "bondcheck-sim");
	sim_adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

/* ---- properties --------------------------------------------------------- */

static GVariant *get_address(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_adapter *)data)->address);
}

static GVariant *get_address_type(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string("public");
}

static GVariant *get_name(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string("bondcheck-sim");
}

static GVariant *get_alias(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_adapter *)data)->alias);
}

static GVariant *get_class(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint32(0);
}

static GVariant *get_powered(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->powered);
}

static GVariant *get_discoverable(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->discoverable);
}

static GVariant *get_discoverable_timeout(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint32(((struct sim_adapter *)data)
					    ->discoverable_timeout);
}

/* src/adapter.c property_set_{discoverable,pairable}_timeout: any u32 */
static void set_u32(struct svc_call *call, struct sim_adapter *adapter,
	const char *name, uint32_t *field, GVariant *value)
{
	*field = g_variant_get_uint32(value);
	sim_adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_discoverable_timeout(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;

	set_u32(call, adapter, name, &adapter->discoverable_timeout, value);
}

static void s_pairable_timeout(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;

	set_u32(call, adapter, name, &adapter->pairable_timeout, value);
}

static GVariant *get_pairable(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->pairable);
}

static GVariant *get_pairable_timeout(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint32(((struct sim_adapter *)data)
					    ->pairable_timeout);
}

static GVariant *get_discovering(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->discovering);
}

static GVariant *get_uuids(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	/* the local profiles of Debian's bluetoothd 5.66 with its default
	 * plugins, in the order it listed them in the QEMU tier: GATT, GAP,
	 * PnP Information, AVRCP target and controller, Device Information */
	static const char *const u[] = {
		"00001801-0000-1000-8000-00805f9b34fb",
		"00001800-0000-1000-8000-00805f9b34fb",
		"00001200-0000-1000-8000-00805f9b34fb",
		"0000110c-0000-1000-8000-00805f9b34fb",
		"0000110e-0000-1000-8000-00805f9b34fb",
		"0000180a-0000-1000-8000-00805f9b34fb",
	};

	return g_variant_new_strv(u, G_N_ELEMENTS(u));
}

/* In 5.66's table, absent without experimental features (-E) */
static GVariant *get_experimental(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return NULL;
}

static GVariant *get_modalias(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string("usb:v1D6Bp0246d0542");
}

static GVariant *get_roles(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	const char *r[] = { "central", "peripheral" };

	return g_variant_new_strv(r, 2);
}

static const struct svc_method adapter_methods[] = {
	{ "StartDiscovery", "", "", m_start_discovery },
	{ "StopDiscovery", "", "", m_stop_discovery },
	{ "SetDiscoveryFilter", "a{sv}", "", m_set_filter, "properties" },
	{ "RemoveDevice", "o", "", m_remove_device, "device" },
	{ "GetDiscoveryFilters", "", "as", m_get_filters, "filters" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_property adapter_props[] = {
	{ "Address", "s", get_address, NULL },
	{ "AddressType", "s", get_address_type, NULL },
	{ "Name", "s", get_name, NULL },
	{ "Alias", "s", get_alias, s_alias },
	{ "Class", "u", get_class, NULL },
	{ "Powered", "b", get_powered, s_powered },
	{ "Discoverable", "b", get_discoverable, s_discoverable },
	{ "DiscoverableTimeout", "u", get_discoverable_timeout,
		s_discoverable_timeout },
	{ "Pairable", "b", get_pairable, s_pairable },
	{ "PairableTimeout", "u", get_pairable_timeout, s_pairable_timeout },
	{ "Discovering", "b", get_discovering, NULL },
	{ "UUIDs", "as", get_uuids, NULL },
	{ "Modalias", "s", get_modalias, NULL },
	{ "Roles", "as", get_roles, NULL },
	{ "ExperimentalFeatures", "as", get_experimental, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface adapter_iface = {
	BLUEZ_IFACE_ADAPTER,
	adapter_methods,
	adapter_props,
	NULL,
};

/* ---- the dongle --------------------------------------------------------- */

/*
 * The dongle is pulled: links drop, BlueZ forgets the adapter's devices,
 * then the adapter itself (InterfacesRemoved), as bluetoothd does when the
 * kernel's index goes away (src/adapter.c adapter_remove).
 */
bool sim_adapter_unplug(struct sim_adapter *adapter)
{
	if (adapter->unplugged)
		return false;
	adapter->unplugged = true;
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (d->connected)
			sim_device_link_down(d, SIM_REASON_LOCAL,
				SIM_ERR_ABORT_BY_LOCAL);
	}
	while (adapter->devices->len)
		sim_device_remove(g_ptr_array_index(adapter->devices, 0));
	g_ptr_array_set_size(adapter->dclients, 0);
	adapter->discovering = false;
	/* the whole hciN object goes, its managers with it */
	service_remove_object(adapter->svc, adapter->path);
	return true;
}

/* The adapter comes back, powered. */
bool sim_adapter_replug(struct sim_adapter *adapter)
{
	if (!adapter->unplugged)
		return false;
	adapter->unplugged = false;
	adapter->powered = true;
	service_add_interface(adapter->svc, adapter->path, &adapter_iface,
		adapter);
	sim_managers_add_adapter(adapter);
	sim_radio_listen(adapter);
	return true;
}

/* ---- faults ------------------------------------------------------------- */

void sim_adapter_set_fault(struct sim_adapter *adapter, enum sim_fault fault,
	const struct sim_fault_value *value)
{
	struct sim_adapter *a;
	guint n = 0;

	sim_dut_set_fault(adapter->dut, fault, value);
	sim_control_changed(adapter, "Faults");
	/* a different bluetoothd exposes a different set of properties */
	while (fault == SIM_FAULT_BLUEZ_VERSION &&
		(a = sim_sharing_next(adapter, &n)))
		for (guint i = 0; i < a->devices->len; i++)
			sim_device_changed(g_ptr_array_index(a->devices, i),
				"Bonded");
}

void sim_adapter_set_privacy(struct sim_adapter *adapter, bool on)
{
	adapter->privacy = on;
}

bool sim_adapter_privacy(struct sim_adapter *adapter)
{
	return adapter->privacy;
}

struct sim_dut *sim_adapter_dut(struct sim_adapter *adapter)
{
	return adapter->dut;
}

/* ---- life cycle --------------------------------------------------------- */

struct sim_adapter *sim_adapter_new(struct sim_server *srv,
	const struct sim_dut_config *dut, struct sim_adapter *share,
	const struct sim_timing *timing)
{
	struct sim_adapter *adapter = g_new0(struct sim_adapter, 1);

	adapter->srv = srv;
	adapter->bus = srv->bus;
	adapter->svc = srv->svc;
	adapter->index = srv->adapters->len;
	adapter->path = g_strdup_printf("%s/hci%u", BLUEZ_PATH, adapter->index);
	adapter->address = g_strdup_printf("00:B0:DC:00:00:%02X",
		adapter->index + 1);
	/* hci0's is the one of old; the others are named after theirs */
	adapter->sim_path = adapter->index ?
	                            g_strdup_printf("%s/hci%u", BC_SIM_PATH,
					    adapter->index) :
	                            g_strdup(BC_SIM_PATH);
	adapter->t = *timing;
	adapter->start_us = g_get_monotonic_time();
	adapter->powered = true;
	adapter->pairable = true;
	adapter->discoverable_timeout = 180;
	adapter->alias = g_strdup("bondcheck-sim");
	/* its identity resolving key, for the RPAs of privacy */
	sim_irk_of(adapter->address, adapter->irk);

	adapter->dclients = g_ptr_array_new_with_free_func(dclient_free);
	adapter->devices = g_ptr_array_new();
	if (share) {
		adapter->dut = share->dut;
	} else {
		/* the DUT's trace goes out through the adapters in range */
		adapter->dut = sim_dut_new(dut, sim_trace_dut, adapter);
		g_ptr_array_add(srv->duts, adapter->dut);
	}
	g_ptr_array_add(srv->adapters, adapter);
	/* a new DUT advertises from now on */
	if (!share)
		sim_radio_adv_start(adapter);
	service_add_interface(adapter->svc, adapter->path, &adapter_iface,
		adapter);
	sim_managers_add_adapter(adapter);
	sim_control_add(adapter);
	return adapter;
}

void sim_adapter_clear(struct sim_adapter *adapter)
{
	while (adapter->devices->len)
		sim_device_remove(g_ptr_array_index(adapter->devices, 0));
	sim_cancel_actions(adapter, NULL);
	sim_radio_clear(adapter);
}

void sim_adapter_free(struct sim_adapter *adapter)
{
	g_ptr_array_free(adapter->dclients, TRUE);
	g_ptr_array_free(adapter->devices, TRUE);
	g_free(adapter->alias);
	g_free(adapter->path);
	g_free(adapter->address);
	g_free(adapter->sim_path);
	g_free(adapter);
}
