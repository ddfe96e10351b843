/* SPDX-License-Identifier: MIT */
/*
 * server.c — a simulated bluetoothd serving its adapters, each with a DUT
 * in range of it (one adapter unless more are added).
 *
 * Owns the org.bluez object tree, time (every DUT-side delay is scaled by
 * one factor), the host's view of the DUT (its keys, link, GATT cache) and
 * the calls into registered agents. Behaviour follows BlueZ 5.66 as read in
 * its sources (src/adapter.c, src/device.c, src/agent.c, src/gatt-client.c);
 * doc/simulator.md lists each behaviour with its source. Never trusts a
 * client: every argument is checked and every call is answered once.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/service.h"
#include "bondcheck/sim.h"

#define UUID_ESS "0000181a-0000-1000-8000-00805f9b34fb"
#define UUID_TEMP "00002a6e-0000-1000-8000-00805f9b34fb"
#define UUID_VENDOR_SVC "b0dc0001-0000-4000-8000-00805f9b34fb"
#define UUID_REBOOT "b0dc0002-0000-4000-8000-00805f9b34fb"
#define UUID_CCCD "00002902-0000-1000-8000-00805f9b34fb"
#define RSSI_DUT (-52)

struct sim_server;
struct sdev;

enum reason {
	REASON_TIMEOUT,      /* link supervision timeout */
	REASON_LOCAL,
	REASON_REMOTE,
	REASON_AUTH,         /* encryption failed: key missing */
};

enum assoc {
	ASSOC_JUST_WORKS,
	ASSOC_CONFIRM,       /* numeric comparison: RequestConfirmation */
	ASSOC_ENTER,         /* central enters the DUT's passkey */
	ASSOC_DISPLAY,       /* central displays, DUT enters */
};

struct sagent {
	struct sim_server *srv;
	char *owner;
	char *path;
	char *capability;
	guint watch;
};

struct dclient {
	struct sim_server *srv;
	char *owner;
	guint watch;
	bool active;         /* discovering (not only a pre-set filter) */
};

struct schr {
	struct sdev *dev;
	char *path;
	const char *uuid;
	uint16_t handle;
	uint16_t value_handle;
	const char *const *flags;
	bool needs_encryption;
	bool can_notify;
	bool is_reboot;
	GByteArray *value;
	bool value_known;
	GPtrArray *clients;  /* owners with a notify session */
	GArray *client_watches;
	char *desc_path;     /* CCCD, or NULL */
	uint16_t desc_handle;
	GByteArray *desc_value;
	bool desc_known;
};

struct bonding {
	struct svc_call *call;     /* Pair(), or NULL when the stack started it */
	char *owner;
	guint owner_watch;
	char *agent_owner;
	char *agent_path;
	enum assoc assoc;
	bool bond;
	guint agent_call;
	bool agent_canceled;
	bool reconnect;            /* the DUT asked for it while reconnecting */
};

struct pending_read {
	struct svc_call *call;
	struct schr *chr;
};

struct sdev {
	struct sim_server *srv;
	char *path;
	char *address;
	char *address_type;
	char *name;
	char *alias;
	bool paired, bonded, trusted, blocked;
	bool connected, resolved, encrypted;
	bool pending_paired;
	bool has_rssi;
	bool gatt_exported;
	bool host_has_keys;
	struct sim_keys keys;
	guint gen;
	struct svc_call *connect_call;
	struct bonding *bonding;
	GPtrArray *disconnect_calls;
	bool remove_when_down;
	GPtrArray *pending_reads;  /* reads waiting for security */
	struct schr temp, reboot;
	char *svc_ess_path, *svc_vendor_path;
};

struct action;

/* What the adapters of one simulated bluetoothd share. */
struct sim_shared {
	struct service *svc;
	GHashTable *agents;        /* owner -> struct sagent */
	GQueue default_agents;     /* owners, newest first */
	GPtrArray *adapters;       /* struct sim_server, hci0 first */
};

struct sim_server {
	struct bus *bus;
	struct sim_shared *sh;
	struct service *svc;       /* sh->svc */
	unsigned index;            /* N of hciN */
	char *adapter_path;
	char *adapter_address;
	char *sim_path;            /* its org.bondcheck.Sim1 object */
	struct sim_dut *dut;
	struct sim_timing t;
	gint64 start_us;
	bool powered, pairable, discoverable;
	char *adapter_alias;
	bool unplugged;            /* Sim1.Unplug(): the adapter is gone */
	GPtrArray *dclients;
	bool discovering;
	GHashTable *agents;        /* sh->agents */
	GQueue *default_agents;    /* &sh->default_agents */
	GPtrArray *devices;
	GList *actions;
	bool notify_seq_init;
	int16_t temp_centi;
};

/* ---- time --------------------------------------------------------------- */

typedef void (*act_fn)(struct sim_server *srv, struct sdev *dev, guint gen);

struct action {
	struct sim_server *srv;
	struct sdev *dev;
	guint gen;
	act_fn fn;
	guint source;
};

static gboolean action_fire(gpointer data)
{
	struct action *a = data;
	struct sim_server *srv = a->srv;

	srv->actions = g_list_remove(srv->actions, a);
	/* a link that went down (or a device that went away) voids its plans */
	if (!a->dev || a->dev->gen == a->gen)
		a->fn(srv, a->dev, a->gen);
	g_free(a);
	return G_SOURCE_REMOVE;
}

static int64_t scaled(struct sim_server *srv, int64_t ms)
{
	double v = (double)ms * srv->t.scale;

	return v <= 0 ? 0 : (int64_t)(v + 0.5);
}

/* Run @fn after @ms (already scaled or a protocol timeout). */
static void after_ms(struct sim_server *srv, struct sdev *dev, int64_t ms,
	act_fn fn)
{
	struct action *a = g_new0(struct action, 1);

	a->srv = srv;
	a->dev = dev;
	a->gen = dev ? dev->gen : 0;
	a->fn = fn;
	a->source = g_timeout_add((guint)MIN(ms, G_MAXUINT), action_fire, a);
	srv->actions = g_list_append(srv->actions, a);
}

static void after(struct sim_server *srv, struct sdev *dev, int64_t ms,
	act_fn fn)
{
	after_ms(srv, dev, scaled(srv, ms), fn);
}

static void cancel_actions_for(struct sim_server *srv, struct sdev *dev)
{
	for (GList *l = srv->actions; l;) {
		GList *next = l->next;
		struct action *a = l->data;

		if (a->dev == dev) {
			g_source_remove(a->source);
			srv->actions = g_list_delete_link(srv->actions, l);
			g_free(a);
		}
		l = next;
	}
}

/* ---- trace -------------------------------------------------------------- */

static void emit_trace(struct sim_server *srv, const char *event,
	GVariant *details)
{
	JsonBuilder *b = json_builder_new();
	JsonGenerator *g = json_generator_new();
	JsonNode *root;
	char *line;
	GVariantIter it;
	const char *k;
	GVariant *v;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, event);
	json_builder_set_member_name(b, "t_us");
	json_builder_add_int_value(b, g_get_monotonic_time() - srv->start_us);
	if (details) {
		g_variant_iter_init(&it, details);
		while (g_variant_iter_next(&it, "{&sv}", &k, &v)) {
			json_builder_set_member_name(b, k);
			json_builder_add_value(b, json_gvariant_serialize(v));
			g_variant_unref(v);
		}
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	line = json_generator_to_data(g, NULL);
	g_debug("trace: %s", line);
	service_emit(srv->svc, srv->sim_path, BC_SIM_IFACE, "Trace",
		g_variant_new("(s)", line));
	g_free(line);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
}

static void dut_trace(const char *event, GVariant *details, void *data)
{
	emit_trace(data, event, details);
}

static void host_trace(struct sim_server *srv, const char *event,
	const char *key, const char *value)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "side", g_variant_new_string("host"));
	if (key)
		g_variant_builder_add(&b, "{sv}", key,
			g_variant_new_string(value));
	emit_trace(srv, event, g_variant_ref_sink(g_variant_builder_end(&b)));
}

static unsigned bluez_minor(struct sim_server *srv)
{
	const struct sim_fault_value *v = sim_dut_fault_value(srv->dut,
		SIM_FAULT_BLUEZ_VERSION);

	return v ? v->bluez_minor : 66;
}

/* ---- property getters --------------------------------------------------- */

static GVariant *bytes_variant(GByteArray *a)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
		a->len ? a->data : (const guint8 *)"", a->len, 1);
}

static GVariant *adapter_get(void *data, const char *name)
{
	struct sim_server *srv = data;

	if (!strcmp(name, "Address"))
		return g_variant_new_string(srv->adapter_address);
	if (!strcmp(name, "AddressType"))
		return g_variant_new_string("public");
	if (!strcmp(name, "Name"))
		return g_variant_new_string("bondcheck-sim");
	if (!strcmp(name, "Alias"))
		return g_variant_new_string(srv->adapter_alias);
	if (!strcmp(name, "Class"))
		return g_variant_new_uint32(0);
	if (!strcmp(name, "Powered"))
		return g_variant_new_boolean(srv->powered);
	if (!strcmp(name, "Discoverable"))
		return g_variant_new_boolean(srv->discoverable);
	if (!strcmp(name, "DiscoverableTimeout"))
		return g_variant_new_uint32(180);
	if (!strcmp(name, "Pairable"))
		return g_variant_new_boolean(srv->pairable);
	if (!strcmp(name, "PairableTimeout"))
		return g_variant_new_uint32(0);
	if (!strcmp(name, "Discovering"))
		return g_variant_new_boolean(srv->discovering);
	if (!strcmp(name, "UUIDs"))
		return g_variant_new_strv(NULL, 0);
	if (!strcmp(name, "Modalias"))
		return g_variant_new_string("usb:v1D6Bp0246d0542");
	if (!strcmp(name, "Roles")) {
		const char *r[] = { "central", "peripheral" };

		return g_variant_new_strv(r, 2);
	}
	return NULL;
}

static GVariant *device_get(void *data, const char *name)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;

	if (!strcmp(name, "Address"))
		return g_variant_new_string(d->address);
	if (!strcmp(name, "AddressType"))
		return g_variant_new_string(d->address_type);
	if (!strcmp(name, "Name"))
		return d->name ? g_variant_new_string(d->name) : NULL;
	if (!strcmp(name, "Alias"))
		return g_variant_new_string(d->alias ? d->alias :
				d->name ? d->name : d->address);
	if (!strcmp(name, "Appearance"))
		return g_variant_new_uint16(sim_dut_appearance(srv->dut));
	if (!strcmp(name, "Paired"))
		return g_variant_new_boolean(d->paired && !d->pending_paired);
	if (!strcmp(name, "Bonded"))
		return bluez_minor(srv) < 65 ? NULL :
					       g_variant_new_boolean(d->bonded);
	if (!strcmp(name, "Trusted"))
		return g_variant_new_boolean(d->trusted);
	if (!strcmp(name, "Blocked"))
		return g_variant_new_boolean(d->blocked);
	if (!strcmp(name, "LegacyPairing"))
		return g_variant_new_boolean(FALSE);
	if (!strcmp(name, "RSSI"))
		return d->has_rssi ? g_variant_new_int16(RSSI_DUT) : NULL;
	if (!strcmp(name, "Connected"))
		return g_variant_new_boolean(d->connected);
	if (!strcmp(name, "UUIDs")) {
		const char *u[] = { UUID_ESS, UUID_VENDOR_SVC };

		/* advertised: ESS; after resolution: every primary service */
		return g_variant_new_strv(u, d->gatt_exported ? 2 : 1);
	}
	if (!strcmp(name, "Adapter"))
		return g_variant_new_object_path(srv->adapter_path);
	if (!strcmp(name, "ServicesResolved"))
		return g_variant_new_boolean(d->resolved);
	if (!strcmp(name, "AdvertisingFlags")) {
		guint8 f = 0x06; /* LE General Discoverable, BR/EDR unsupported */

		return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, &f, 1, 1);
	}
	return NULL;
}

static GVariant *service_get_ess(void *data, const char *name)
{
	struct sdev *d = data;

	if (!strcmp(name, "UUID"))
		return g_variant_new_string(UUID_ESS);
	if (!strcmp(name, "Device"))
		return g_variant_new_object_path(d->path);
	if (!strcmp(name, "Primary"))
		return g_variant_new_boolean(TRUE);
	if (!strcmp(name, "Includes"))
		return g_variant_new_objv(NULL, 0);
	if (!strcmp(name, "Handle"))
		return g_variant_new_uint16(0x000a);
	return NULL;
}

static GVariant *service_get_vendor(void *data, const char *name)
{
	struct sdev *d = data;

	if (!strcmp(name, "UUID"))
		return g_variant_new_string(UUID_VENDOR_SVC);
	if (!strcmp(name, "Handle"))
		return g_variant_new_uint16(0x000e);
	return service_get_ess(d, name);
}

static GVariant *chr_get(void *data, const char *name)
{
	struct schr *c = data;

	if (!strcmp(name, "UUID"))
		return g_variant_new_string(c->uuid);
	if (!strcmp(name, "Service"))
		return g_variant_new_object_path(c->is_reboot ?
			c->dev->svc_vendor_path : c->dev->svc_ess_path);
	if (!strcmp(name, "Value"))
		return c->value_known ? bytes_variant(c->value) : NULL;
	if (!strcmp(name, "Notifying"))
		return c->can_notify ?
			g_variant_new_boolean(c->clients->len > 0) : NULL;
	if (!strcmp(name, "Flags"))
		return g_variant_new_strv(c->flags, -1);
	if (!strcmp(name, "Handle"))
		return g_variant_new_uint16(c->value_handle);
	if (!strcmp(name, "MTU"))
		return g_variant_new_uint16(23);
	return NULL;
}

static GVariant *desc_get(void *data, const char *name)
{
	struct schr *c = data;

	if (!strcmp(name, "UUID"))
		return g_variant_new_string(UUID_CCCD);
	if (!strcmp(name, "Characteristic"))
		return g_variant_new_object_path(c->path);
	if (!strcmp(name, "Value"))
		return c->desc_known ? bytes_variant(c->desc_value) : NULL;
	if (!strcmp(name, "Handle"))
		return g_variant_new_uint16(c->desc_handle);
	return NULL;
}

static GVariant *sim1_get(void *data, const char *name)
{
	struct sim_server *srv = data;

	if (!strcmp(name, "BootCount"))
		return g_variant_new_uint32(sim_dut_boot_count(srv->dut));
	if (!strcmp(name, "BondCount"))
		return g_variant_new_uint32(sim_dut_bond_count(srv->dut));
	if (!strcmp(name, "Faults")) {
		GPtrArray *f = sim_dut_fault_list(srv->dut);
		GVariant *v = g_variant_new_strv(
			(const char *const *)f->pdata, f->len);

		g_ptr_array_free(f, TRUE);
		return v;
	}
	if (!strcmp(name, "State"))
		return g_variant_new_string(
			sim_dut_state_to_str(sim_dut_state(srv->dut)));
	if (!strcmp(name, "Address"))
		return g_variant_new_string(sim_dut_address(srv->dut));
	return NULL;
}

/* ---- forward declarations for the flows --------------------------------- */

static void link_down(struct sim_server *srv, struct sdev *d,
	enum reason reason, const char *connect_error);
static void dut_seen_later(struct sim_server *srv);
static void start_pairing(struct sim_server *srv, struct sdev *d);
static void bonding_fail(struct sim_server *srv, struct sdev *d,
	const char *name, const char *text);
static void set_prop(struct sim_server *srv, struct sdev *d,
	const char *name);
static void try_pending_connects(struct sim_server *srv);
static void flush_reads(struct sim_server *srv, struct sdev *d, bool ok);

static const char *const flags_temp[] = { "read", "notify", "indicate", NULL };
static const char *const flags_reboot[] = { "write", "write-without-response",
	NULL };

/* ---- interfaces --------------------------------------------------------- */

static void m_start_discovery(struct svc_call *call, GVariant *args, void *data);
static void m_stop_discovery(struct svc_call *call, GVariant *args, void *data);
static void m_set_filter(struct svc_call *call, GVariant *args, void *data);
static void m_remove_device(struct svc_call *call, GVariant *args, void *data);
static void m_get_filters(struct svc_call *call, GVariant *args, void *data);
static void s_adapter_bool(struct svc_call *call, const char *name,
	GVariant *value, void *data);
static void s_adapter_alias(struct svc_call *call, const char *name,
	GVariant *value, void *data);

static const struct svc_method adapter_methods[] = {
	{ "StartDiscovery", "", "", m_start_discovery },
	{ "StopDiscovery", "", "", m_stop_discovery },
	{ "SetDiscoveryFilter", "a{sv}", "", m_set_filter },
	{ "RemoveDevice", "o", "", m_remove_device },
	{ "GetDiscoveryFilters", "", "as", m_get_filters },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property adapter_props[] = {
	{ "Address", "s", adapter_get, NULL },
	{ "AddressType", "s", adapter_get, NULL },
	{ "Name", "s", adapter_get, NULL },
	{ "Alias", "s", adapter_get, s_adapter_alias },
	{ "Class", "u", adapter_get, NULL },
	{ "Powered", "b", adapter_get, s_adapter_bool },
	{ "Discoverable", "b", adapter_get, s_adapter_bool },
	{ "DiscoverableTimeout", "u", adapter_get, NULL },
	{ "Pairable", "b", adapter_get, s_adapter_bool },
	{ "PairableTimeout", "u", adapter_get, NULL },
	{ "Discovering", "b", adapter_get, NULL },
	{ "UUIDs", "as", adapter_get, NULL },
	{ "Modalias", "s", adapter_get, NULL },
	{ "Roles", "as", adapter_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface adapter_iface = {
	BLUEZ_IFACE_ADAPTER, adapter_methods, adapter_props, NULL,
};

static void m_register_agent(struct svc_call *call, GVariant *args, void *data);
static void m_unregister_agent(struct svc_call *call, GVariant *args,
	void *data);
static void m_default_agent(struct svc_call *call, GVariant *args, void *data);

static const struct svc_method agentmgr_methods[] = {
	{ "RegisterAgent", "os", "", m_register_agent },
	{ "UnregisterAgent", "o", "", m_unregister_agent },
	{ "RequestDefaultAgent", "o", "", m_default_agent },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface agentmgr_iface = {
	BLUEZ_IFACE_AGENT_MANAGER, agentmgr_methods, NULL, NULL,
};

static void m_connect(struct svc_call *call, GVariant *args, void *data);
static void m_disconnect(struct svc_call *call, GVariant *args, void *data);
static void m_pair(struct svc_call *call, GVariant *args, void *data);
static void m_cancel_pairing(struct svc_call *call, GVariant *args, void *data);
static void m_connect_profile(struct svc_call *call, GVariant *args,
	void *data);
static void s_device_bool(struct svc_call *call, const char *name,
	GVariant *value, void *data);
static void s_device_alias(struct svc_call *call, const char *name,
	GVariant *value, void *data);

static const struct svc_method device_methods[] = {
	{ "Connect", "", "", m_connect },
	{ "Disconnect", "", "", m_disconnect },
	{ "Pair", "", "", m_pair },
	{ "CancelPairing", "", "", m_cancel_pairing },
	{ "ConnectProfile", "s", "", m_connect_profile },
	{ "DisconnectProfile", "s", "", m_connect_profile },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property device_props[] = {
	{ "Address", "s", device_get, NULL },
	{ "AddressType", "s", device_get, NULL },
	{ "Name", "s", device_get, NULL },
	{ "Alias", "s", device_get, s_device_alias },
	{ "Appearance", "q", device_get, NULL },
	{ "Paired", "b", device_get, NULL },
	{ "Bonded", "b", device_get, NULL },
	{ "Trusted", "b", device_get, s_device_bool },
	{ "Blocked", "b", device_get, s_device_bool },
	{ "LegacyPairing", "b", device_get, NULL },
	{ "RSSI", "n", device_get, NULL },
	{ "Connected", "b", device_get, NULL },
	{ "UUIDs", "as", device_get, NULL },
	{ "Adapter", "o", device_get, NULL },
	{ "ServicesResolved", "b", device_get, NULL },
	{ "AdvertisingFlags", "ay", device_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_signal device_signals[] = {
	{ "Disconnected", "ss" },
	{ NULL, NULL },
};

static const struct svc_interface device_iface = {
	BLUEZ_IFACE_DEVICE, device_methods, device_props, device_signals,
};

static const struct svc_property gatt_service_props[] = {
	{ "UUID", "s", service_get_ess, NULL },
	{ "Device", "o", service_get_ess, NULL },
	{ "Primary", "b", service_get_ess, NULL },
	{ "Includes", "ao", service_get_ess, NULL },
	{ "Handle", "q", service_get_ess, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface gatt_service_iface = {
	BLUEZ_IFACE_GATT_SERVICE, NULL, gatt_service_props, NULL,
};

static const struct svc_property gatt_vendor_props[] = {
	{ "UUID", "s", service_get_vendor, NULL },
	{ "Device", "o", service_get_vendor, NULL },
	{ "Primary", "b", service_get_vendor, NULL },
	{ "Includes", "ao", service_get_vendor, NULL },
	{ "Handle", "q", service_get_vendor, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface gatt_vendor_iface = {
	BLUEZ_IFACE_GATT_SERVICE, NULL, gatt_vendor_props, NULL,
};

static void m_read(struct svc_call *call, GVariant *args, void *data);
static void m_write(struct svc_call *call, GVariant *args, void *data);
static void m_start_notify(struct svc_call *call, GVariant *args, void *data);
static void m_stop_notify(struct svc_call *call, GVariant *args, void *data);
static void m_acquire(struct svc_call *call, GVariant *args, void *data);

static const struct svc_method chr_methods[] = {
	{ "ReadValue", "a{sv}", "ay", m_read },
	{ "WriteValue", "aya{sv}", "", m_write },
	{ "StartNotify", "", "", m_start_notify },
	{ "StopNotify", "", "", m_stop_notify },
	{ "AcquireWrite", "a{sv}", "hq", m_acquire },
	{ "AcquireNotify", "a{sv}", "hq", m_acquire },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property chr_props[] = {
	{ "UUID", "s", chr_get, NULL },
	{ "Service", "o", chr_get, NULL },
	{ "Value", "ay", chr_get, NULL },
	{ "Notifying", "b", chr_get, NULL },
	{ "Flags", "as", chr_get, NULL },
	{ "Handle", "q", chr_get, NULL },
	{ "MTU", "q", chr_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface chr_iface = {
	BLUEZ_IFACE_GATT_CHRC, chr_methods, chr_props, NULL,
};

static void m_desc_read(struct svc_call *call, GVariant *args, void *data);
static void m_desc_write(struct svc_call *call, GVariant *args, void *data);

static const struct svc_method desc_methods[] = {
	{ "ReadValue", "a{sv}", "ay", m_desc_read },
	{ "WriteValue", "aya{sv}", "", m_desc_write },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property desc_props[] = {
	{ "UUID", "s", desc_get, NULL },
	{ "Characteristic", "o", desc_get, NULL },
	{ "Value", "ay", desc_get, NULL },
	{ "Handle", "q", desc_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface desc_iface = {
	BLUEZ_IFACE_GATT_DESC, desc_methods, desc_props, NULL,
};

static void m_sim_reboot(struct svc_call *call, GVariant *args, void *data);
static void m_sim_set_fault(struct svc_call *call, GVariant *args, void *data);
static void m_sim_clear(struct svc_call *call, GVariant *args, void *data);
static void m_sim_bond_peer(struct svc_call *call, GVariant *args, void *data);
static void m_sim_unplug(struct svc_call *call, GVariant *args, void *data);
static void m_sim_replug(struct svc_call *call, GVariant *args, void *data);

static const struct svc_method sim1_methods[] = {
	{ "Reboot", "", "", m_sim_reboot },
	{ "Unplug", "", "", m_sim_unplug },
	{ "Replug", "", "", m_sim_replug },
	{ "BondPeer", "s", "", m_sim_bond_peer },
	{ "SetFault", "ss", "", m_sim_set_fault },
	{ "ClearFaults", "", "", m_sim_clear },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property sim1_props[] = {
	{ "BootCount", "u", sim1_get, NULL },
	{ "BondCount", "u", sim1_get, NULL },
	{ "Faults", "as", sim1_get, NULL },
	{ "State", "s", sim1_get, NULL },
	{ "Address", "s", sim1_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_signal sim1_signals[] = {
	{ "Trace", "s" },
	{ NULL, NULL },
};

static const struct svc_interface sim1_iface = {
	BC_SIM_IFACE, sim1_methods, sim1_props, sim1_signals,
};

/* ---- small helpers ------------------------------------------------------ */

static void set_prop(struct sim_server *srv, struct sdev *d, const char *name)
{
	service_changed(srv->svc, d->path, BLUEZ_IFACE_DEVICE, name);
}

static void sim1_changed(struct sim_server *srv, const char *name)
{
	service_changed(srv->svc, srv->sim_path, BC_SIM_IFACE, name);
}

static struct sdev *find_dev_by_path(struct sim_server *srv, const char *path)
{
	for (guint i = 0; i < srv->devices->len; i++) {
		struct sdev *d = g_ptr_array_index(srv->devices, i);

		if (strcmp(d->path, path) == 0)
			return d;
	}
	return NULL;
}

static struct sdev *find_dev_by_addr(struct sim_server *srv, const char *addr)
{
	for (guint i = 0; i < srv->devices->len; i++) {
		struct sdev *d = g_ptr_array_index(srv->devices, i);

		if (g_ascii_strcasecmp(d->address, addr) == 0)
			return d;
	}
	return NULL;
}

/* Is the firmware behind this device object reachable over the air now? */
static bool dut_here(struct sim_server *srv, struct sdev *d)
{
	return g_ascii_strcasecmp(d->address, sim_dut_address(srv->dut)) == 0;
}

static struct sagent *agent_for(struct sim_server *srv, const char *owner)
{
	struct sagent *a = owner ? g_hash_table_lookup(srv->agents, owner) :
				   NULL;

	/* BlueZ falls back to the default agent (src/agent.c agent_get) */
	if (!a && srv->default_agents->head)
		a = g_hash_table_lookup(srv->agents,
			srv->default_agents->head->data);
	return a;
}

static void reply_connect(struct sdev *d, const char *err_name,
	const char *err_text)
{
	struct svc_call *c = d->connect_call;

	if (!c)
		return;
	d->connect_call = NULL;
	if (err_name)
		svc_call_error(c, err_name, "%s", err_text);
	else
		svc_call_return(c, NULL);
}

static void temp_value(struct sim_server *srv, GByteArray *out)
{
	/* org.bluetooth.characteristic.temperature: sint16, 0.01 degC */
	int16_t v;

	if (!srv->notify_seq_init) {
		srv->temp_centi = 2345;
		srv->notify_seq_init = true;
	} else {
		srv->temp_centi += 7;
	}
	v = srv->temp_centi;
	g_byte_array_set_size(out, 0);
	g_byte_array_append(out, (const guint8 *)&v, 2);
}

/* ---- GATT objects ------------------------------------------------------- */

static void chr_init(struct schr *c, struct sdev *d, const char *svc_path,
	const char *uuid, uint16_t handle, const char *const *flags)
{
	c->dev = d;
	c->uuid = uuid;
	c->handle = handle;
	c->value_handle = handle + 1;
	c->flags = flags;
	c->path = g_strdup_printf("%s/char%04x", svc_path, handle);
	c->value = g_byte_array_new();
	c->desc_value = g_byte_array_new();
	c->clients = g_ptr_array_new_with_free_func(g_free);
	c->client_watches = g_array_new(FALSE, FALSE, sizeof(guint));
}

static void chr_clear_clients(struct sim_server *srv, struct schr *c)
{
	for (guint i = 0; i < c->client_watches->len; i++)
		bus_unwatch_name(srv->bus,
			g_array_index(c->client_watches, guint, i));
	g_array_set_size(c->client_watches, 0);
	g_ptr_array_set_size(c->clients, 0);
}

static void chr_free(struct sim_server *srv, struct schr *c)
{
	chr_clear_clients(srv, c);
	g_ptr_array_free(c->clients, TRUE);
	g_array_free(c->client_watches, TRUE);
	g_byte_array_free(c->value, TRUE);
	g_byte_array_free(c->desc_value, TRUE);
	g_free(c->path);
	g_free(c->desc_path);
}

static void export_gatt(struct sim_server *srv, struct sdev *d)
{
	if (d->gatt_exported)
		return;
	d->gatt_exported = true;
	service_add_interface(srv->svc, d->svc_ess_path, &gatt_service_iface, d);
	service_add_interface(srv->svc, d->temp.path, &chr_iface, &d->temp);
	service_add_interface(srv->svc, d->temp.desc_path, &desc_iface,
		&d->temp);
	service_add_interface(srv->svc, d->svc_vendor_path, &gatt_vendor_iface,
		d);
	service_add_interface(srv->svc, d->reboot.path, &chr_iface, &d->reboot);
	set_prop(srv, d, "UUIDs");
}

static void unexport_gatt(struct sim_server *srv, struct sdev *d)
{
	if (!d->gatt_exported)
		return;
	d->gatt_exported = false;
	/* the client's notify sessions go with the attribute database */
	chr_clear_clients(srv, &d->temp);
	d->temp.value_known = d->temp.desc_known = false;
	d->reboot.value_known = false;
	service_remove_object(srv->svc, d->reboot.path);
	service_remove_object(srv->svc, d->svc_vendor_path);
	service_remove_object(srv->svc, d->temp.desc_path);
	service_remove_object(srv->svc, d->temp.path);
	service_remove_object(srv->svc, d->svc_ess_path);
	set_prop(srv, d, "UUIDs");
}

/* ---- devices ------------------------------------------------------------ */

static struct sdev *dev_new(struct sim_server *srv, const char *address,
	const char *type)
{
	struct sdev *d = g_new0(struct sdev, 1);
	char *up = g_ascii_strup(address, -1);

	d->srv = srv;
	d->address = up;
	d->address_type = g_strdup(type);
	d->name = g_strdup(sim_dut_name(srv->dut));
	g_strdelimit(up = g_strdup(address), ":", '_');
	d->path = g_strdup_printf("%s/dev_%s", srv->adapter_path, up);
	g_free(up);
	d->disconnect_calls = g_ptr_array_new();
	d->pending_reads = g_ptr_array_new_with_free_func(g_free);
	d->svc_ess_path = g_strdup_printf("%s/service000a", d->path);
	d->svc_vendor_path = g_strdup_printf("%s/service000e", d->path);
	chr_init(&d->temp, d, d->svc_ess_path, UUID_TEMP, 0x000b, flags_temp);
	d->temp.needs_encryption = true;
	d->temp.can_notify = true;
	d->temp.desc_handle = 0x000d;
	d->temp.desc_path = g_strdup_printf("%s/desc%04x", d->temp.path,
		d->temp.desc_handle);
	chr_init(&d->reboot, d, d->svc_vendor_path, UUID_REBOOT, 0x000f,
		flags_reboot);
	d->reboot.is_reboot = true;
	g_ptr_array_add(srv->devices, d);
	return d;
}

static void dev_free(struct sim_server *srv, struct sdev *d)
{
	cancel_actions_for(srv, d);
	chr_free(srv, &d->temp);
	chr_free(srv, &d->reboot);
	g_ptr_array_free(d->disconnect_calls, TRUE);
	g_ptr_array_free(d->pending_reads, TRUE);
	g_free(d->svc_ess_path);
	g_free(d->svc_vendor_path);
	g_free(d->path);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->alias);
	g_free(d);
}

static void dev_remove(struct sim_server *srv, struct sdev *d)
{
	/* answer whatever still waits on this device */
	if (d->bonding)
		bonding_fail(srv, d, BLUEZ_ERR_AUTH_CANCELED,
			"Authentication Canceled");
	reply_connect(d, BLUEZ_ERR_FAILED, "Device removed");
	flush_reads(srv, d, false);
	unexport_gatt(srv, d);
	service_remove_object(srv->svc, d->path);
	g_ptr_array_remove(srv->devices, d);
	dev_free(srv, d);
}

/* ---- discovery ---------------------------------------------------------- */

static void dut_seen(struct sim_server *srv, struct sdev *unused, guint gen)
{
	struct sdev *d;

	(void)unused;
	(void)gen;
	if (!srv->discovering || !srv->powered ||
	    sim_dut_state(srv->dut) != SIM_DUT_STATE_ADVERTISING)
		return;
	d = find_dev_by_addr(srv, sim_dut_address(srv->dut));
	if (!d) {
		d = dev_new(srv, sim_dut_address(srv->dut),
			sim_dut_address_type(srv->dut));
		d->has_rssi = true;
		service_add_interface(srv->svc, d->path, &device_iface, d);
		host_trace(srv, "device-found", "address", d->address);
		return;
	}
	if (!d->has_rssi) {
		/* BlueZ reports RSSI again once it was invalidated */
		d->has_rssi = true;
		set_prop(srv, d, "RSSI");
	}
}

static void dut_seen_later(struct sim_server *srv)
{
	after(srv, NULL, srv->t.adv_interval_ms, dut_seen);
}

static void set_discovering(struct sim_server *srv, bool on)
{
	if (srv->discovering == on)
		return;
	srv->discovering = on;
	service_changed(srv->svc, srv->adapter_path, BLUEZ_IFACE_ADAPTER,
		"Discovering");
	if (on) {
		dut_seen_later(srv);
		return;
	}
	/* src/adapter.c discovery_cleanup(): RSSI of found devices dropped */
	for (guint i = 0; i < srv->devices->len; i++) {
		struct sdev *d = g_ptr_array_index(srv->devices, i);

		if (d->has_rssi) {
			d->has_rssi = false;
			set_prop(srv, d, "RSSI");
		}
	}
}

static struct dclient *find_dclient(struct sim_server *srv, const char *owner)
{
	for (guint i = 0; i < srv->dclients->len; i++) {
		struct dclient *c = g_ptr_array_index(srv->dclients, i);

		if (g_strcmp0(c->owner, owner) == 0)
			return c;
	}
	return NULL;
}

static bool any_active(struct sim_server *srv)
{
	for (guint i = 0; i < srv->dclients->len; i++)
		if (((struct dclient *)g_ptr_array_index(srv->dclients, i))
			    ->active)
			return true;
	return false;
}

static void dclient_free(void *data)
{
	struct dclient *c = data;

	if (c->watch)
		bus_unwatch_name(c->srv->bus, c->watch);
	g_free(c->owner);
	g_free(c);
}

static void dclient_gone(const char *name, const char *owner, void *data)
{
	struct dclient *c = data;
	struct sim_server *srv = c->srv;

	(void)name;
	if (owner)
		return;
	/* the client left the bus: its session ends (adapter.c) */
	c->watch = 0;
	g_ptr_array_remove(srv->dclients, c);
	set_discovering(srv, any_active(srv));
}

static struct dclient *dclient_get(struct sim_server *srv, const char *owner)
{
	struct dclient *c = find_dclient(srv, owner);

	if (c)
		return c;
	c = g_new0(struct dclient, 1);
	c->srv = srv;
	c->owner = g_strdup(owner);
	c->watch = bus_watch_name(srv->bus, owner, dclient_gone, c, NULL);
	g_ptr_array_add(srv->dclients, c);
	return c;
}

static void m_start_discovery(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sim_server *srv = data;
	struct dclient *c;

	(void)args;
	if (!srv->powered) {
		svc_call_error(call, BLUEZ_ERR_NOT_READY, "Resource Not Ready");
		return;
	}
	c = find_dclient(srv, svc_call_sender(call));
	if (c && c->active) {
		svc_call_error(call, BLUEZ_ERR_IN_PROGRESS,
			"Operation already in progress");
		return;
	}
	c = dclient_get(srv, svc_call_sender(call));
	c->active = true;
	set_discovering(srv, true);
	svc_call_return(call, NULL);
}

static void m_stop_discovery(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	struct dclient *c;

	(void)args;
	if (!srv->powered) {
		svc_call_error(call, BLUEZ_ERR_NOT_READY, "Resource Not Ready");
		return;
	}
	c = find_dclient(srv, svc_call_sender(call));
	if (!c || !c->active) {
		svc_call_error(call, BLUEZ_ERR_FAILED, "No discovery started");
		return;
	}
	g_ptr_array_remove(srv->dclients, c);
	set_discovering(srv, any_active(srv));
	svc_call_return(call, NULL);
}

static bool filter_ok(GVariant *filter)
{
	GVariantIter it;
	const char *k;
	GVariant *v;
	bool ok = true;

	g_variant_iter_init(&it, filter);
	while (ok && g_variant_iter_next(&it, "{&sv}", &k, &v)) {
		if (!strcmp(k, "Transport"))
			ok = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) &&
			     (!strcmp(g_variant_get_string(v, NULL), "le") ||
				     !strcmp(g_variant_get_string(v, NULL),
					     "bredr") ||
				     !strcmp(g_variant_get_string(v, NULL),
					     "auto"));
		else if (!strcmp(k, "UUIDs"))
			ok = g_variant_is_of_type(v, G_VARIANT_TYPE("as"));
		else if (!strcmp(k, "RSSI"))
			ok = g_variant_is_of_type(v, G_VARIANT_TYPE_INT16);
		else if (!strcmp(k, "Pathloss"))
			ok = g_variant_is_of_type(v, G_VARIANT_TYPE_UINT16);
		else if (!strcmp(k, "DuplicateData") || !strcmp(k, "Discoverable"))
			ok = g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN);
		else if (!strcmp(k, "Pattern"))
			ok = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING);
		else
			ok = false;  /* adapter.c: unknown keys are invalid */
		g_variant_unref(v);
	}
	return ok;
}

static void m_set_filter(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	GVariant *filter = g_variant_get_child_value(args, 0);

	if (!srv->powered) {
		svc_call_error(call, BLUEZ_ERR_NOT_READY, "Resource Not Ready");
	} else if (!filter_ok(filter)) {
		svc_call_error(call, BLUEZ_ERR_INVALID_ARGS,
			"Invalid arguments in method call");
	} else {
		/* one filter per client; the simulated DUT matches any */
		dclient_get(srv, svc_call_sender(call));
		svc_call_return(call, NULL);
	}
	g_variant_unref(filter);
}

static void m_get_filters(struct svc_call *call, GVariant *args, void *data)
{
	const char *f[] = { "UUIDs", "RSSI", "Pathloss", "Transport",
		"DuplicateData", "Discoverable", "Pattern" };

	(void)args;
	(void)data;
	svc_call_return(call, g_variant_new("(@as)",
				      g_variant_new_strv(f, G_N_ELEMENTS(f))));
}

static void m_remove_device(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	const char *path;
	struct sdev *d;

	g_variant_get(args, "(&o)", &path);
	d = find_dev_by_path(srv, path);
	if (!d) {
		svc_call_error(call, BLUEZ_ERR_DOES_NOT_EXIST, "Does Not Exist");
		return;
	}
	if (!srv->powered) {
		svc_call_error(call, BLUEZ_ERR_NOT_READY, "Resource Not Ready");
		return;
	}
	host_trace(srv, "host-keys-removed", "address", d->address);
	if (d->connected) {
		/* device_request_disconnect, then removal when the link is down */
		d->remove_when_down = true;
		g_ptr_array_add(d->disconnect_calls, call);
		link_down(srv, d, REASON_LOCAL, "Cancelled");
		return;
	}
	dev_remove(srv, d);
	svc_call_return(call, NULL);
	/* still in range: it shows up again at the next advert */
	dut_seen_later(srv);
}

static void set_powered(struct sim_server *srv, bool on)
{
	if (srv->powered == on)
		return;
	if (!on) {
		for (guint i = 0; i < srv->devices->len; i++) {
			struct sdev *d = g_ptr_array_index(srv->devices, i);

			if (d->connected)
				link_down(srv, d, REASON_LOCAL, "Cancelled");
			else
				reply_connect(d, BLUEZ_ERR_FAILED,
					"le-connection-adapter-not-powered");
		}
		g_ptr_array_set_size(srv->dclients, 0);
		set_discovering(srv, false);
	}
	srv->powered = on;
	service_changed(srv->svc, srv->adapter_path, BLUEZ_IFACE_ADAPTER, "Powered");
}

static void s_adapter_bool(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_server *srv = data;
	bool v = g_variant_get_boolean(value);

	if (!strcmp(name, "Powered"))
		set_powered(srv, v);
	else if (!strcmp(name, "Pairable"))
		srv->pairable = v;
	else if (!strcmp(name, "Discoverable"))
		srv->discoverable = v;
	service_changed(srv->svc, srv->adapter_path, BLUEZ_IFACE_ADAPTER, name);
	svc_call_return(call, NULL);
}

static void s_adapter_alias(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_server *srv = data;
	const char *a = g_variant_get_string(value, NULL);

	g_free(srv->adapter_alias);
	srv->adapter_alias = g_strdup(*a ? a : "bondcheck-sim");
	service_changed(srv->svc, srv->adapter_path, BLUEZ_IFACE_ADAPTER, name);
	svc_call_return(call, NULL);
}

/* ---- agents ------------------------------------------------------------- */

static void sagent_free(void *data)
{
	struct sagent *a = data;

	if (a->watch)
		bus_unwatch_name(a->srv->bus, a->watch);
	g_free(a->owner);
	g_free(a->path);
	g_free(a->capability);
	g_free(a);
}

static void agent_gone(const char *name, const char *owner, void *data)
{
	struct sagent *a = data;
	struct sim_server *srv = a->srv;
	char *who = g_strdup(a->owner);

	(void)name;
	if (owner)
		return;
	a->watch = 0;
	g_queue_remove_all(srv->default_agents, a->owner);
	g_hash_table_remove(srv->agents, who);
	g_free(who);
}

static bool parse_capability(const char *cap)
{
	return !strcmp(cap, "") || !strcmp(cap, "DisplayOnly") ||
	       !strcmp(cap, "DisplayYesNo") || !strcmp(cap, "KeyboardOnly") ||
	       !strcmp(cap, "NoInputNoOutput") ||
	       !strcmp(cap, "KeyboardDisplay");
}

static void m_register_agent(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sim_server *srv = data;
	const char *owner = svc_call_sender(call);
	const char *path, *cap;
	struct sagent *a;

	g_variant_get(args, "(&o&s)", &path, &cap);
	if (g_hash_table_lookup(srv->agents, owner)) {
		svc_call_error(call, BLUEZ_ERR_ALREADY_EXISTS, "Already Exists");
		return;
	}
	if (!parse_capability(cap)) {
		svc_call_error(call, BLUEZ_ERR_INVALID_ARGS,
			"Invalid arguments in method call");
		return;
	}
	a = g_new0(struct sagent, 1);
	a->srv = srv;
	a->owner = g_strdup(owner);
	a->path = g_strdup(path);
	/* an empty capability means KeyboardDisplay (src/agent.c) */
	a->capability = g_strdup(*cap ? cap : "KeyboardDisplay");
	a->watch = bus_watch_name(srv->bus, owner, agent_gone, a, NULL);
	g_hash_table_replace(srv->agents, a->owner, a);
	svc_call_return(call, NULL);
}

static void m_unregister_agent(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sim_server *srv = data;
	const char *owner = svc_call_sender(call);
	struct sagent *a = g_hash_table_lookup(srv->agents, owner);
	const char *path;

	g_variant_get(args, "(&o)", &path);
	if (!a || strcmp(a->path, path) != 0) {
		svc_call_error(call, BLUEZ_ERR_DOES_NOT_EXIST, "Does Not Exist");
		return;
	}
	g_queue_remove_all(srv->default_agents, a->owner);
	g_hash_table_remove(srv->agents, owner);
	svc_call_return(call, NULL);
}

static void m_default_agent(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	const char *owner = svc_call_sender(call);
	struct sagent *a = g_hash_table_lookup(srv->agents, owner);
	const char *path;

	g_variant_get(args, "(&o)", &path);
	if (!a || strcmp(a->path, path) != 0) {
		svc_call_error(call, BLUEZ_ERR_DOES_NOT_EXIST, "Does Not Exist");
		return;
	}
	g_queue_remove_all(srv->default_agents, a->owner);
	g_queue_push_head(srv->default_agents, a->owner);
	svc_call_return(call, NULL);
}

/* ---- links -------------------------------------------------------------- */

static const char *reason_name(enum reason r)
{
	switch (r) {
	case REASON_TIMEOUT: return BLUEZ_REASON_TIMEOUT;
	case REASON_LOCAL: return BLUEZ_REASON_LOCAL;
	case REASON_REMOTE: return BLUEZ_REASON_REMOTE;
	case REASON_AUTH: return BLUEZ_REASON_AUTH;
	}
	return BLUEZ_REASON_UNKNOWN;
}

static const char *reason_message(enum reason r)
{
	switch (r) {
	case REASON_TIMEOUT: return "disconnection-timeout";
	case REASON_LOCAL: return "disconnection-localhost";
	case REASON_REMOTE: return "disconnection-remote";
	case REASON_AUTH: return "disconnection-authentication-failure";
	}
	return "disconnection-unknown";
}

/*
 * The link is gone. Order as src/device.c device_remove_connection():
 * ServicesResolved false, the waiting Connect failed, Disconnect calls
 * answered, a pairing without bond forgotten, Connected false, then (5.83)
 * the Disconnected signal.
 */
static void link_down(struct sim_server *srv, struct sdev *d,
	enum reason reason, const char *connect_error)
{
	if (!d->connected) {
		reply_connect(d, BLUEZ_ERR_FAILED, connect_error ?
			connect_error : BLUEZ_LE_ABORT_BY_LOCAL);
		return;
	}
	d->gen++;
	cancel_actions_for(srv, d);
	if (d->resolved) {
		d->resolved = false;
		set_prop(srv, d, "ServicesResolved");
	}
	reply_connect(d, BLUEZ_ERR_FAILED, connect_error ? connect_error :
		BLUEZ_LE_ABORT_BY_LOCAL);
	if (d->bonding)
		bonding_fail(srv, d, BLUEZ_ERR_AUTH_CANCELED,
			"Authentication Canceled");
	flush_reads(srv, d, false);
	if (d->paired && !d->bonded) {
		d->paired = false;
		d->host_has_keys = false;
		set_prop(srv, d, "Paired");
	}
	/*
	 * Disconnect() is answered before Connected goes false (real
	 * bluetoothd 5.66 in the QEMU tier): reply first, since pending
	 * property changes always leave before a reply
	 */
	for (guint i = 0; i < d->disconnect_calls->len; i++)
		svc_call_return(g_ptr_array_index(d->disconnect_calls, i), NULL);
	g_ptr_array_set_size(d->disconnect_calls, 0);
	d->connected = false;
	d->encrypted = false;
	set_prop(srv, d, "Connected");
	if (bluez_minor(srv) >= 83)
		service_emit(srv->svc, d->path, BLUEZ_IFACE_DEVICE,
			"Disconnected", g_variant_new("(ss)",
				reason_name(reason), reason_message(reason)));
	host_trace(srv, "link-down", "reason", reason_name(reason));
	/* without a bond BlueZ drops the attribute cache (gatt_db_clear) */
	if (!d->bonded)
		unexport_gatt(srv, d);

	if (sim_dut_state(srv->dut) == SIM_DUT_STATE_CONNECTED) {
		sim_dut_disconnected(srv->dut, srv->adapter_address);
		sim1_changed(srv, "State");
		if (srv->discovering)
			dut_seen_later(srv);
	}
	if (d->remove_when_down) {
		dev_remove(srv, d);
		dut_seen_later(srv);
	}
}

static void bonding_free(struct sim_server *srv, struct bonding *b);

static void services_resolved(struct sim_server *srv, struct sdev *d,
	guint gen)
{
	(void)gen;
	export_gatt(srv, d);
	if (!d->resolved) {
		d->resolved = true;
		set_prop(srv, d, "ServicesResolved");
	}
	if (d->pending_paired) {
		/* src/device.c device_svc_resolved(): Paired waits for this */
		d->pending_paired = false;
		set_prop(srv, d, "Paired");
	}
	if (d->bonding && d->paired) {
		struct bonding *b = d->bonding;

		d->bonding = NULL;
		if (b->call)
			svc_call_return(b->call, NULL);
		bonding_free(srv, b);
	}
	reply_connect(d, NULL, NULL);
	flush_reads(srv, d, true);
}

static void dut_notifies(struct sim_server *srv, struct sdev *d, guint gen)
{
	GVariantBuilder t;
	bool delivered;

	(void)gen;
	if (!d->connected || !d->encrypted ||
	    sim_dut_cccd(srv->dut, srv->adapter_address) == 0)
		return;
	/* BlueZ only passes on notifications somebody subscribed to */
	delivered = d->temp.clients->len > 0 && d->gatt_exported;
	temp_value(srv, d->temp.value);
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&t, "{sv}", "delivered",
		g_variant_new_boolean(delivered));
	emit_trace(srv, "notification",
		g_variant_ref_sink(g_variant_builder_end(&t)));
	if (delivered) {
		d->temp.value_known = true;
		service_changed(srv->svc, d->temp.path, BLUEZ_IFACE_GATT_CHRC,
			"Value");
	}
}

static void resubscribe(struct sim_server *srv, struct sdev *d)
{
	/* src/gatt-client.c btd_gatt_client_connected(): sessions re-register */
	if (d->temp.clients->len > 0) {
		host_trace(srv, "bluez-resubscribes", "uuid", d->temp.uuid);
		sim_dut_write_cccd(srv->dut, srv->adapter_address, 0x0001);
		after(srv, d, srv->t.notify_ms, dut_notifies);
	} else if (sim_dut_cccd(srv->dut, srv->adapter_address)) {
		/* firmware notifies a bonded subscriber it remembers */
		after(srv, d, srv->t.notify_ms, dut_notifies);
	}
}

static void drop_after_connect(struct sim_server *srv, struct sdev *d,
	guint gen)
{
	(void)gen;
	link_down(srv, d, REASON_AUTH, NULL);
}

static void encrypt_step(struct sim_server *srv, struct sdev *d, guint gen)
{
	enum sim_encrypt r = sim_dut_encrypt(srv->dut, srv->adapter_address,
		d->keys.ltk);

	(void)gen;
	switch (r) {
	case SIM_ENCRYPT_OK:
		d->encrypted = true;
		resubscribe(srv, d);
		/*
		 * bluetoothd answers Connect() once ATT is up on the
		 * encrypted link, then validates its GATT cache:
		 * ServicesResolved comes after the reply (real bluetoothd
		 * 5.66 in the QEMU tier, doc/simulator.md)
		 */
		reply_connect(d, NULL, NULL);
		after(srv, d, srv->t.resolve_cached_ms, services_resolved);
		break;
	case SIM_ENCRYPT_KEY_MISSING:
		/* HCI: Encryption Change 0x06, then Disconnect 0x05 */
		host_trace(srv, "encryption-failed", "hci_status",
			"0x06 PIN or Key Missing");
		if (sim_dut_fault(srv->dut,
			    SIM_FAULT_CONNECT_SUCCEEDS_THEN_DROPS) &&
		    d->connect_call) {
			/* bluetoothd answered once ATT was up (notes: 11/24) */
			reply_connect(d, NULL, NULL);
			after(srv, d, srv->t.encrypt_ms / 2 + 1,
				drop_after_connect);
		} else {
			link_down(srv, d, REASON_AUTH, BLUEZ_LE_ABORT_BY_LOCAL);
		}
		break;
	case SIM_ENCRYPT_TERMINATE:
		host_trace(srv, "remote-terminated", "hci_reason",
			"0x13 Remote User Terminated Connection");
		link_down(srv, d, REASON_REMOTE, BLUEZ_LE_ABORT_BY_REMOTE);
		break;
	case SIM_ENCRYPT_REPAIR:
		/* the DUT asks to pair again: the stack starts a new pairing */
		host_trace(srv, "security-request", "action", "new pairing");
		d->bonding = g_new0(struct bonding, 1);
		d->bonding->bond = srv->pairable;
		d->bonding->reconnect = true;
		start_pairing(srv, d);
		break;
	}
}

static void link_up(struct sim_server *srv, struct sdev *d, guint gen)
{
	(void)gen;
	if (d->connected)
		return;
	if (!dut_here(srv, d) ||
	    sim_dut_state(srv->dut) != SIM_DUT_STATE_ADVERTISING) {
		/* it stopped advertising meanwhile: wait for it again */
		return;
	}
	d->gen++;
	d->connected = true;
	set_prop(srv, d, "Connected");
	sim_dut_connected(srv->dut, srv->adapter_address);
	sim1_changed(srv, "State");
	host_trace(srv, "link-up", "address", d->address);

	if (d->bonding) {
		/*
		 * Pair() on a new device: GATT discovery runs beside SMP, so
		 * ServicesResolved usually comes before Bonded and Paired
		 * (real bluetoothd 5.66 in the QEMU tier)
		 */
		start_pairing(srv, d);
		if (!d->host_has_keys)
			after(srv, d, d->gatt_exported ?
				srv->t.resolve_cached_ms : srv->t.discover_ms,
				services_resolved);
	} else if (d->host_has_keys) {
		/* BlueZ raises security with the stored LTK at once */
		after(srv, d, srv->t.encrypt_ms, encrypt_step);
	} else {
		after(srv, d, d->gatt_exported ? srv->t.resolve_cached_ms :
						 srv->t.discover_ms,
			services_resolved);
	}
}

static void connect_timeout(struct sim_server *srv, struct sdev *d, guint gen)
{
	(void)gen;
	if (d->connected)
		return;
	if (d->bonding) {
		/* MGMT_STATUS_CONNECT_FAILED (device.c new_authentication_return) */
		bonding_fail(srv, d, BLUEZ_ERR_CONN_ATTEMPT_FAILED,
			"Page Timeout");
		return;
	}
	reply_connect(d, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL);
}

static void begin_connect(struct sim_server *srv, struct sdev *d)
{
	if (dut_here(srv, d) &&
	    sim_dut_state(srv->dut) == SIM_DUT_STATE_ADVERTISING)
		after(srv, d, srv->t.connect_ms, link_up);
	/* the kernel gives up on a silent device after its LE timeout */
	after_ms(srv, d, srv->t.le_conn_timeout_ms, connect_timeout);
}

static void try_pending_connects(struct sim_server *srv)
{
	for (guint i = 0; i < srv->devices->len; i++) {
		struct sdev *d = g_ptr_array_index(srv->devices, i);

		if (!d->connected && (d->connect_call || d->bonding) &&
		    dut_here(srv, d))
			after(srv, d, srv->t.connect_ms, link_up);
	}
}

static void m_connect(struct svc_call *call, GVariant *args, void *data)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;

	(void)args;
	if (!srv->powered) {
		svc_call_error(call, BLUEZ_ERR_NOT_READY, "Resource Not Ready");
		return;
	}
	if (d->bonding || d->connect_call) {
		svc_call_error(call, BLUEZ_ERR_IN_PROGRESS, "In Progress");
		return;
	}
	if (d->connected) {
		/* device.c dev_connect(): an LE link is already there */
		svc_call_return(call, NULL);
		return;
	}
	d->connect_call = call;
	begin_connect(srv, d);
}

static void disconnect_now(struct sim_server *srv, struct sdev *d, guint gen)
{
	(void)gen;
	link_down(srv, d, REASON_LOCAL, "Cancelled");
}

static void m_disconnect(struct svc_call *call, GVariant *args, void *data)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;

	(void)args;
	/* device.c device_request_disconnect() */
	if (d->bonding)
		bonding_fail(srv, d, BLUEZ_ERR_AUTH_CANCELED,
			"Authentication Canceled");
	if (d->connect_call && !d->connected) {
		reply_connect(d, BLUEZ_ERR_FAILED, "Cancelled");
		cancel_actions_for(srv, d);
	}
	if (!d->connected) {
		svc_call_return(call, NULL);
		return;
	}
	g_ptr_array_add(d->disconnect_calls, call);
	after(srv, d, srv->t.disconnect_ms, disconnect_now);
}

static void m_connect_profile(struct svc_call *call, GVariant *args,
	void *data)
{
	(void)args;
	(void)data;
	/* an LE-only DUT has no BR/EDR profiles to connect */
	svc_call_error(call, BLUEZ_ERR_INVALID_ARGS,
		"Invalid arguments in method call");
}

static void s_device_bool(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;
	bool v = g_variant_get_boolean(value);

	if (!strcmp(name, "Trusted")) {
		d->trusted = v;
	} else {
		d->blocked = v;
		if (v && d->connected)
			link_down(srv, d, REASON_LOCAL, "Cancelled");
	}
	set_prop(srv, d, name);
	svc_call_return(call, NULL);
}

static void s_device_alias(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sdev *d = data;
	const char *a = g_variant_get_string(value, NULL);

	g_free(d->alias);
	d->alias = *a ? g_strdup(a) : NULL;
	set_prop(d->srv, d, name);
	svc_call_return(call, NULL);
}

/* ---- pairing ------------------------------------------------------------ */

/*
 * LE Secure Connections association model (Core 5.x, Vol 3 Part H 2.3.5.1)
 * for the central's IO capability (rows) and the DUT's (columns).
 */
static enum assoc association(const char *central, const char *dut)
{
	static const char *const caps[] = { "DisplayOnly", "DisplayYesNo",
		"KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay" };
	static const enum assoc table[5][5] = {
		/* DisplayOnly */
		{ ASSOC_JUST_WORKS, ASSOC_JUST_WORKS, ASSOC_DISPLAY,
			ASSOC_JUST_WORKS, ASSOC_DISPLAY },
		/* DisplayYesNo */
		{ ASSOC_JUST_WORKS, ASSOC_CONFIRM, ASSOC_DISPLAY,
			ASSOC_JUST_WORKS, ASSOC_CONFIRM },
		/* KeyboardOnly */
		{ ASSOC_ENTER, ASSOC_ENTER, ASSOC_ENTER, ASSOC_JUST_WORKS,
			ASSOC_ENTER },
		/* NoInputNoOutput */
		{ ASSOC_JUST_WORKS, ASSOC_JUST_WORKS, ASSOC_JUST_WORKS,
			ASSOC_JUST_WORKS, ASSOC_JUST_WORKS },
		/* KeyboardDisplay */
		{ ASSOC_ENTER, ASSOC_CONFIRM, ASSOC_DISPLAY, ASSOC_JUST_WORKS,
			ASSOC_CONFIRM },
	};
	int r = 3, c = 3;

	for (int i = 0; i < 5; i++) {
		if (!strcmp(caps[i], central))
			r = i;
		if (!strcmp(caps[i], dut))
			c = i;
	}
	return table[r][c];
}

static const char *assoc_to_str(enum assoc a)
{
	switch (a) {
	case ASSOC_JUST_WORKS: return "just-works";
	case ASSOC_CONFIRM: return "numeric-comparison";
	case ASSOC_ENTER: return "passkey-entry (central types)";
	case ASSOC_DISPLAY: return "passkey-entry (central displays)";
	}
	return "unknown";
}

static void bonding_free(struct sim_server *srv, struct bonding *b)
{
	if (b->agent_call)
		bus_cancel(srv->bus, b->agent_call);
	if (b->owner_watch)
		bus_unwatch_name(srv->bus, b->owner_watch);
	g_free(b->owner);
	g_free(b->agent_owner);
	g_free(b->agent_path);
	g_free(b);
}

static void tell_agent_cancel(struct sim_server *srv, struct bonding *b)
{
	DBusMessage *m;

	if (!b->agent_owner || b->agent_canceled)
		return;
	b->agent_canceled = true;
	m = msg_new_call(b->agent_owner, b->agent_path, BLUEZ_IFACE_AGENT,
		"Cancel", NULL);
	dbus_message_set_no_reply(m, TRUE);
	bus_send(srv->bus, m);
	dbus_message_unref(m);
}

static void bonding_fail(struct sim_server *srv, struct sdev *d,
	const char *name, const char *text)
{
	struct bonding *b = d->bonding;
	bool reconnect = b && b->reconnect;

	if (!b)
		return;
	d->bonding = NULL;
	if (b->agent_call)
		tell_agent_cancel(srv, b);
	host_trace(srv, "pairing-failed", "error", name);
	if (b->call)
		svc_call_error(b->call, name, "%s", text);
	bonding_free(srv, b);
	flush_reads(srv, d, false);
	/* a failed re-pairing on reconnect ends the link like a key miss */
	if (reconnect && d->connected)
		link_down(srv, d, REASON_AUTH, BLUEZ_LE_ABORT_BY_LOCAL);
	else if (reconnect)
		reply_connect(d, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL);
}

static void pairing_done(struct sim_server *srv, struct sdev *d, guint gen)
{
	struct bonding *b = d->bonding;
	struct sim_keys k;

	(void)gen;
	if (!b)
		return;
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 16; i++) {
		k.ltk[i] = (uint8_t)g_random_int_range(0, 256);
		k.irk[i] = (uint8_t)g_random_int_range(0, 256);
	}
	k.authenticated = b->assoc != ASSOC_JUST_WORKS;
	sim_dut_paired(srv->dut, srv->adapter_address, b->bond, &k);
	sim1_changed(srv, "BondCount");
	d->keys = k;
	d->host_has_keys = true;
	d->encrypted = true;
	if (b->bond && !d->bonded) {
		d->bonded = true;
		set_prop(srv, d, "Bonded");
	}
	if (!d->paired) {
		d->paired = true;
		if (d->resolved)
			set_prop(srv, d, "Paired");
		else
			d->pending_paired = true;
	}
	host_trace(srv, "paired", "method", assoc_to_str(b->assoc));
	if (b->reconnect)
		/* pairing the stack started (reconnect): continue the connect */
		resubscribe(srv, d);
	if (d->resolved)
		services_resolved(srv, d, d->gen);
	else
		after(srv, d, d->gatt_exported ? srv->t.resolve_cached_ms :
						 srv->t.discover_ms,
			services_resolved);
}

static void agent_reply(DBusMessage *reply, void *data)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;
	struct bonding *b = d->bonding;
	GVariant *args = NULL;
	uint32_t passkey;

	if (!b)
		return;
	b->agent_call = 0;
	if (msg_error_name(reply)) {
		if (!g_strcmp0(msg_error_name(reply), DBUS_ERR_NO_REPLY)) {
			/* the agent never answered: src/agent.c cancels it */
			tell_agent_cancel(srv, b);
			bonding_fail(srv, d, BLUEZ_ERR_AUTH_TIMEOUT,
				"Authentication Timeout");
		} else {
			/* a negative reply: SMP fails (MGMT_STATUS_AUTH_FAILED) */
			bonding_fail(srv, d, BLUEZ_ERR_AUTH_FAILED,
				"Authentication Failed");
		}
		return;
	}
	if (b->assoc == ASSOC_ENTER) {
		if (!msg_get_args(reply, "(u)", &args, NULL)) {
			bonding_fail(srv, d, BLUEZ_ERR_AUTH_FAILED,
				"Authentication Failed");
			return;
		}
		g_variant_get(args, "(u)", &passkey);
		g_variant_unref(args);
		if (passkey != sim_dut_passkey(srv->dut)) {
			host_trace(srv, "passkey-mismatch", NULL, NULL);
			bonding_fail(srv, d, BLUEZ_ERR_AUTH_FAILED,
				"Authentication Failed");
			return;
		}
	}
	after(srv, d, srv->t.pair_ms, pairing_done);
}

static void call_agent(struct sim_server *srv, struct sdev *d,
	const char *method, GVariant *args)
{
	struct bonding *b = d->bonding;

	b->agent_call = bus_call_method(srv->bus, b->agent_owner, b->agent_path,
		BLUEZ_IFACE_AGENT, method, args, (int)srv->t.agent_timeout_ms,
		agent_reply, d, NULL);
}

static void start_pairing(struct sim_server *srv, struct sdev *d)
{
	struct bonding *b = d->bonding;
	struct sagent *a;
	const char *cap;
	uint32_t passkey = sim_dut_passkey(srv->dut);

	if (!b) {
		/* the stack pairs on its own (security request): default agent */
		b = g_new0(struct bonding, 1);
		b->bond = srv->pairable;
		d->bonding = b;
	}
	a = agent_for(srv, b->owner);
	cap = a ? a->capability : "NoInputNoOutput";
	b->assoc = association(cap, sim_dut_io_capability(srv->dut));
	if (a) {
		b->agent_owner = g_strdup(a->owner);
		b->agent_path = g_strdup(a->path);
	}
	switch (b->assoc) {
	case ASSOC_JUST_WORKS:
		after(srv, d, srv->t.pair_ms, pairing_done);
		break;
	case ASSOC_CONFIRM:
		call_agent(srv, d, "RequestConfirmation",
			g_variant_new("(ou)", d->path, passkey));
		break;
	case ASSOC_ENTER:
		call_agent(srv, d, "RequestPasskey",
			g_variant_new("(o)", d->path));
		break;
	case ASSOC_DISPLAY:
		call_agent(srv, d, "DisplayPasskey",
			g_variant_new("(ouq)", d->path, passkey, 0));
		break;
	}
}

static void pair_owner_gone(const char *name, const char *owner, void *data)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;

	(void)name;
	if (owner || !d->bonding)
		return;
	/* device.c create_bond_req_exit(): cancel, then disconnect */
	d->bonding->owner_watch = 0;
	d->bonding->call = NULL;
	host_trace(srv, "pair-requester-left", NULL, NULL);
	tell_agent_cancel(srv, d->bonding);
	bonding_free(srv, d->bonding);
	d->bonding = NULL;
	if (d->connected)
		after(srv, d, srv->t.disconnect_ms, disconnect_now);
}

static void m_pair(struct svc_call *call, GVariant *args, void *data)
{
	struct sdev *d = data;
	struct sim_server *srv = d->srv;
	struct bonding *b;

	(void)args;
	if (d->bonding || d->connect_call) {
		svc_call_error(call, BLUEZ_ERR_IN_PROGRESS, "In Progress");
		return;
	}
	if (d->bonded) {
		svc_call_error(call, BLUEZ_ERR_ALREADY_EXISTS, "Already Exists");
		return;
	}
	b = g_new0(struct bonding, 1);
	b->call = call;
	b->owner = g_strdup(svc_call_sender(call));
	b->bond = srv->pairable;
	b->owner_watch = bus_watch_name(srv->bus, b->owner, pair_owner_gone, d,
		NULL);
	d->bonding = b;
	if (d->connected) {
		start_pairing(srv, d);
		return;
	}
	/* LE: connect first, pair once the link is up */
	begin_connect(srv, d);
}

static void m_cancel_pairing(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sdev *d = data;

	(void)args;
	if (!d->bonding) {
		svc_call_error(call, BLUEZ_ERR_DOES_NOT_EXIST, "Does Not Exist");
		return;
	}
	bonding_fail(d->srv, d, BLUEZ_ERR_AUTH_CANCELED,
		"Authentication Canceled");
	svc_call_return(call, NULL);
}

/* ---- GATT --------------------------------------------------------------- */

static bool parse_offset(GVariant *opts, uint16_t *offset)
{
	GVariant *v = g_variant_lookup_value(opts, "offset", NULL);
	bool ok = true;

	*offset = 0;
	if (v) {
		ok = g_variant_is_of_type(v, G_VARIANT_TYPE_UINT16);
		if (ok)
			*offset = g_variant_get_uint16(v);
		g_variant_unref(v);
	}
	return ok;
}

static void answer_read(struct sim_server *srv, struct svc_call *call,
	struct schr *c)
{
	temp_value(srv, c->value);
	c->value_known = true;
	/* the read updates the cached value: Value changes on the bus too */
	service_changed(srv->svc, c->path, BLUEZ_IFACE_GATT_CHRC, "Value");
	svc_call_return(call, g_variant_new("(@ay)", bytes_variant(c->value)));
}

static void flush_reads(struct sim_server *srv, struct sdev *d, bool ok)
{
	for (guint i = 0; i < d->pending_reads->len; i++) {
		struct pending_read *r = g_ptr_array_index(d->pending_reads, i);

		if (ok && d->encrypted)
			answer_read(srv, r->call, r->chr);
		else if (!d->connected)
			svc_call_error(r->call, BLUEZ_ERR_FAILED, "Not connected");
		else
			svc_call_error(r->call, BLUEZ_ERR_NOT_PERMITTED,
				"Not paired");
	}
	g_ptr_array_set_size(d->pending_reads, 0);
}

static void m_read(struct svc_call *call, GVariant *args, void *data)
{
	struct schr *c = data;
	struct sdev *d = c->dev;
	struct sim_server *srv = d->srv;
	GVariant *opts = g_variant_get_child_value(args, 0);
	uint16_t offset;
	bool ok = parse_offset(opts, &offset);

	g_variant_unref(opts);
	if (!ok) {
		svc_call_error(call, BLUEZ_ERR_INVALID_ARGS,
			"Invalid arguments in method call");
	} else if (!d->connected) {
		svc_call_error(call, BLUEZ_ERR_FAILED, "Not connected");
	} else if (c->is_reboot) {
		svc_call_error(call, BLUEZ_ERR_NOT_PERMITTED,
			"Read not permitted");
	} else if (offset > 2) {
		svc_call_error(call, BLUEZ_ERR_INVALID_ARGS, "Invalid offset");
	} else if (c->needs_encryption && !d->encrypted) {
		struct pending_read *r = g_new0(struct pending_read, 1);

		/* bt_att raises security and retries (src/shared/att.c) */
		r->call = call;
		r->chr = c;
		g_ptr_array_add(d->pending_reads, r);
		if (!d->bonding) {
			host_trace(srv, "security-elevation", "uuid", c->uuid);
			start_pairing(srv, d);
		}
	} else {
		answer_read(srv, call, c);
	}
}

static void reboot_now(struct sim_server *srv, struct sdev *unused, guint gen);

static void m_write(struct svc_call *call, GVariant *args, void *data)
{
	struct schr *c = data;
	struct sdev *d = c->dev;
	struct sim_server *srv = d->srv;
	GVariant *value = g_variant_get_child_value(args, 0);
	GVariant *opts = g_variant_get_child_value(args, 1);
	GVariant *type = g_variant_lookup_value(opts, "type",
		G_VARIANT_TYPE_STRING);
	const char *t = type ? g_variant_get_string(type, NULL) : "request";
	uint16_t offset;
	gsize n = 0;
	const guint8 *bytes = g_variant_get_fixed_array(value, &n, 1);

	if (!parse_offset(opts, &offset) ||
	    (strcmp(t, "request") && strcmp(t, "command") &&
		    strcmp(t, "reliable"))) {
		svc_call_error(call, BLUEZ_ERR_INVALID_ARGS,
			"Invalid arguments in method call");
	} else if (!d->connected) {
		svc_call_error(call, BLUEZ_ERR_FAILED, "Not connected");
	} else if (!c->is_reboot) {
		svc_call_error(call, BLUEZ_ERR_NOT_PERMITTED,
			"Write not permitted");
	} else {
		bool reboot = n == 1 && bytes[0] == 0x01;

		svc_call_return(call, NULL);
		if (reboot) {
			GVariantBuilder b;

			g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
			g_variant_builder_add(&b, "{sv}", "via",
				g_variant_new_string("gatt"));
			emit_trace(srv, "reboot-requested",
				g_variant_ref_sink(g_variant_builder_end(&b)));
			after(srv, NULL, 0, reboot_now);
		}
	}
	if (type)
		g_variant_unref(type);
	g_variant_unref(opts);
	g_variant_unref(value);
}

static void client_gone(const char *name, const char *owner, void *data);

static int client_index(struct schr *c, const char *owner)
{
	for (guint i = 0; i < c->clients->len; i++)
		if (!strcmp(g_ptr_array_index(c->clients, i), owner))
			return (int)i;
	return -1;
}

static void remove_client(struct sim_server *srv, struct schr *c, int i)
{
	bus_unwatch_name(srv->bus, g_array_index(c->client_watches, guint, i));
	g_array_remove_index(c->client_watches, i);
	g_ptr_array_remove_index(c->clients, i);
	if (c->clients->len == 0) {
		if (c->dev->connected)
			sim_dut_write_cccd(srv->dut, srv->adapter_address, 0x0000);
		service_changed(srv->svc, c->path, BLUEZ_IFACE_GATT_CHRC,
			"Notifying");
	}
}

struct client_ref {
	struct schr *chr;
	char *owner;
};

static void client_ref_free(void *data)
{
	struct client_ref *r = data;

	g_free(r->owner);
	g_free(r);
}

static void client_gone(const char *name, const char *owner, void *data)
{
	struct client_ref *r = data;
	int i;

	(void)name;
	if (owner)
		return;
	i = client_index(r->chr, r->owner);
	if (i >= 0)
		remove_client(r->chr->dev->srv, r->chr, i);
}

static void m_start_notify(struct svc_call *call, GVariant *args, void *data)
{
	struct schr *c = data;
	struct sdev *d = c->dev;
	struct sim_server *srv = d->srv;
	const char *owner = svc_call_sender(call);
	struct client_ref *r;
	guint w;

	(void)args;
	if (!c->can_notify) {
		svc_call_error(call, BLUEZ_ERR_NOT_SUPPORTED,
			"Operation is not supported");
		return;
	}
	if (client_index(c, owner) >= 0) {
		svc_call_return(call, NULL);
		return;
	}
	if (!d->connected) {
		svc_call_error(call, BLUEZ_ERR_FAILED, "Not connected");
		return;
	}
	r = g_new0(struct client_ref, 1);
	r->chr = c;
	r->owner = g_strdup(owner);
	w = bus_watch_name(srv->bus, owner, client_gone, r, client_ref_free);
	g_ptr_array_add(c->clients, g_strdup(owner));
	g_array_append_val(c->client_watches, w);
	if (c->clients->len == 1) {
		sim_dut_write_cccd(srv->dut, srv->adapter_address, 0x0001);
		service_changed(srv->svc, c->path, BLUEZ_IFACE_GATT_CHRC,
			"Notifying");
		after(srv, d, srv->t.notify_ms, dut_notifies);
	}
	svc_call_return(call, NULL);
}

static void m_stop_notify(struct svc_call *call, GVariant *args, void *data)
{
	struct schr *c = data;
	int i = client_index(c, svc_call_sender(call));

	(void)args;
	if (i < 0) {
		svc_call_error(call, BLUEZ_ERR_FAILED,
			"No notify session started");
		return;
	}
	remove_client(c->dev->srv, c, i);
	svc_call_return(call, NULL);
}

static void m_acquire(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	svc_call_error(call, BLUEZ_ERR_NOT_SUPPORTED,
		"Operation is not supported");
}

static void m_desc_read(struct svc_call *call, GVariant *args, void *data)
{
	struct schr *c = data;
	struct sdev *d = c->dev;
	struct sim_server *srv = d->srv;
	GVariant *opts = g_variant_get_child_value(args, 0);
	uint16_t offset, v;
	bool ok = parse_offset(opts, &offset);

	g_variant_unref(opts);
	if (!ok) {
		svc_call_error(call, BLUEZ_ERR_INVALID_ARGS,
			"Invalid arguments in method call");
		return;
	}
	if (!d->connected) {
		svc_call_error(call, BLUEZ_ERR_FAILED, "Not connected");
		return;
	}
	/* what the DUT itself holds for us: its memory of our subscription */
	v = GUINT16_TO_LE(sim_dut_cccd(srv->dut, srv->adapter_address));
	g_byte_array_set_size(c->desc_value, 0);
	g_byte_array_append(c->desc_value, (const guint8 *)&v, 2);
	c->desc_known = true;
	service_changed(srv->svc, c->desc_path, BLUEZ_IFACE_GATT_DESC, "Value");
	svc_call_return(call, g_variant_new("(@ay)",
				      bytes_variant(c->desc_value)));
}

static void m_desc_write(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	/* gatt-client.c: CCCDs are only written through StartNotify */
	svc_call_error(call, BLUEZ_ERR_NOT_PERMITTED, "Write not permitted");
}

/* ---- reboot ------------------------------------------------------------- */

static void boot_done(struct sim_server *srv, struct sdev *unused, guint gen)
{
	(void)unused;
	(void)gen;
	sim_dut_booted(srv->dut);
	sim1_changed(srv, "BootCount");
	sim1_changed(srv, "BondCount");
	sim1_changed(srv, "State");
	sim1_changed(srv, "Address");
	if (sim_dut_state(srv->dut) != SIM_DUT_STATE_ADVERTISING)
		return;
	if (srv->discovering)
		dut_seen_later(srv);
	try_pending_connects(srv);
}

static void supervision_timeout(struct sim_server *srv, struct sdev *d,
	guint gen)
{
	(void)gen;
	link_down(srv, d, REASON_TIMEOUT, BLUEZ_LE_ABORT_BY_LOCAL);
}

static void reboot_now(struct sim_server *srv, struct sdev *unused, guint gen)
{
	(void)unused;
	(void)gen;
	if (sim_dut_state(srv->dut) == SIM_DUT_STATE_BOOTING)
		return;
	sim_dut_reboot(srv->dut);
	sim1_changed(srv, "State");
	/* the central only notices when the supervision timeout expires */
	for (guint i = 0; i < srv->devices->len; i++) {
		struct sdev *d = g_ptr_array_index(srv->devices, i);

		if (d->connected)
			after(srv, d, srv->t.supervision_ms,
				supervision_timeout);
	}
	after(srv, NULL, sim_dut_boot_ms(srv->dut, srv->t.boot_ms), boot_done);
}

static void m_sim_reboot(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	GVariantBuilder b;

	(void)args;
	if (sim_dut_state(srv->dut) == SIM_DUT_STATE_BOOTING) {
		svc_call_error(call, BLUEZ_ERR_IN_PROGRESS,
			"The DUT is already rebooting");
		return;
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "via", g_variant_new_string("sim"));
	emit_trace(srv, "reboot-requested",
		g_variant_ref_sink(g_variant_builder_end(&b)));
	reboot_now(srv, NULL, 0);
	svc_call_return(call, NULL);
}

/* The dongle is pulled: links drop, BlueZ forgets the adapter's devices,
 * then the adapter itself (InterfacesRemoved), as bluetoothd does when the
 * kernel's index goes away (src/adapter.c adapter_remove). */
static void m_sim_unplug(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;

	(void)args;
	if (srv->unplugged) {
		svc_call_error(call, BC_ERR_FAILED, "%s is already unplugged",
			srv->adapter_path);
		return;
	}
	srv->unplugged = true;
	for (guint i = 0; i < srv->devices->len; i++) {
		struct sdev *d = g_ptr_array_index(srv->devices, i);

		if (d->connected)
			link_down(srv, d, REASON_LOCAL, NULL);
	}
	while (srv->devices->len)
		dev_remove(srv, g_ptr_array_index(srv->devices, 0));
	g_ptr_array_set_size(srv->dclients, 0);
	srv->discovering = false;
	service_remove_interface(srv->svc, srv->adapter_path,
		BLUEZ_IFACE_ADAPTER);
	emit_trace(srv, "adapter-unplugged", NULL);
	svc_call_return(call, NULL);
}

static void m_sim_replug(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;

	(void)args;
	if (!srv->unplugged) {
		svc_call_error(call, BC_ERR_FAILED, "%s is plugged in",
			srv->adapter_path);
		return;
	}
	srv->unplugged = false;
	srv->powered = true;
	service_add_interface(srv->svc, srv->adapter_path, &adapter_iface,
		srv);
	emit_trace(srv, "adapter-replugged", NULL);
	svc_call_return(call, NULL);
}

void sim_server_set_fault(struct sim_server *srv, enum sim_fault fault,
	const struct sim_fault_value *value)
{
	sim_dut_set_fault(srv->dut, fault, value);
	sim1_changed(srv, "Faults");
	/* a different bluetoothd exposes a different set of properties */
	if (fault == SIM_FAULT_BLUEZ_VERSION)
		for (guint i = 0; i < srv->devices->len; i++)
			set_prop(srv, g_ptr_array_index(srv->devices, i),
				"Bonded");
}

static void m_sim_set_fault(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	const char *name, *arg;
	enum sim_fault f;
	struct sim_fault_value v;
	GError *err = NULL;

	g_variant_get(args, "(&s&s)", &name, &arg);
	if (!sim_fault_lookup(name, &f)) {
		svc_call_error(call, BC_ERR_UNKNOWN_FAULT,
			"unknown fault '%s' (bondcheck faults lists them)", name);
		return;
	}
	if (!sim_fault_parse_arg(f, *arg ? arg : NULL, &v, &err)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS, "%s", err->message);
		g_error_free(err);
		return;
	}
	sim_server_set_fault(srv, f, &v);
	g_free(v.text);
	svc_call_return(call, NULL);
}

static void m_sim_clear(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;

	(void)args;
	sim_dut_clear_faults(srv->dut);
	sim1_changed(srv, "Faults");
	svc_call_return(call, NULL);
}

static void m_sim_bond_peer(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	const char *addr;
	struct sim_keys k;

	g_variant_get(args, "(&s)", &addr);
	if (!bluez_address_valid(addr) ||
	    !g_ascii_strcasecmp(addr, srv->adapter_address)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"not another central's address: '%s'", addr);
		return;
	}
	/* another central (a phone) bonds with the DUT */
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 16; i++)
		k.ltk[i] = (uint8_t)g_random_int_range(0, 256);
	sim_dut_paired(srv->dut, addr, true, &k);
	sim1_changed(srv, "BondCount");
	svc_call_return(call, NULL);
}

/* ---- life cycle --------------------------------------------------------- */

void sim_timing_defaults(struct sim_timing *t)
{
	t->scale = 1.0;
	t->adv_interval_ms = 100;
	t->connect_ms = 30;
	t->encrypt_ms = 20;
	t->discover_ms = 120;
	t->resolve_cached_ms = 20;
	t->pair_ms = 300;
	t->boot_ms = 1500;
	t->supervision_ms = 420;
	t->notify_ms = 100;
	t->disconnect_ms = 10;
	t->agent_timeout_ms = 30000;
	t->le_conn_timeout_ms = 20000;
}

static struct sim_server *adapter_new(struct bus *bus, struct sim_shared *sh,
	const struct sim_dut_config *dut, const struct sim_timing *timing)
{
	struct sim_server *srv = g_new0(struct sim_server, 1);

	srv->bus = bus_ref(bus);
	srv->sh = sh;
	srv->svc = sh->svc;
	srv->agents = sh->agents;
	srv->default_agents = &sh->default_agents;
	srv->index = sh->adapters->len;
	srv->adapter_path = g_strdup_printf("%s/hci%u", BLUEZ_PATH,
		srv->index);
	srv->adapter_address = g_strdup_printf("00:B0:DC:00:00:%02X",
		srv->index + 1);
	/* hci0's is the one of old; the others are named after theirs */
	srv->sim_path = srv->index ?
		g_strdup_printf("%s/hci%u", BC_SIM_PATH, srv->index) :
		g_strdup(BC_SIM_PATH);
	srv->t = *timing;
	srv->start_us = g_get_monotonic_time();
	srv->powered = true;
	srv->pairable = true;
	srv->adapter_alias = g_strdup("bondcheck-sim");
	srv->dclients = g_ptr_array_new_with_free_func(dclient_free);
	srv->devices = g_ptr_array_new();
	srv->dut = sim_dut_new(dut, dut_trace, srv);
	g_ptr_array_add(sh->adapters, srv);
	service_add_interface(srv->svc, srv->adapter_path, &adapter_iface, srv);
	service_add_interface(srv->svc, srv->sim_path, &sim1_iface, srv);
	return srv;
}

struct sim_server *sim_server_new(struct bus *bus,
	const struct sim_dut_config *dut, const struct sim_timing *timing,
	GError **error)
{
	struct sim_shared *sh = g_new0(struct sim_shared, 1);
	struct sim_server *srv;

	(void)error;
	sh->svc = service_new(bus);
	sh->agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		sagent_free);
	g_queue_init(&sh->default_agents);
	sh->adapters = g_ptr_array_new();
	service_add_object_manager(sh->svc, BLUEZ_PATH_ROOT);
	srv = adapter_new(bus, sh, dut, timing);
	/* one agent manager for every adapter, as in bluetoothd */
	service_add_interface(sh->svc, BLUEZ_PATH, &agentmgr_iface, srv);
	return srv;
}

struct sim_server *sim_server_add_adapter(struct sim_server *first,
	const struct sim_dut_config *dut)
{
	return adapter_new(first->bus, first->sh, dut, &first->t);
}

static void adapter_clear(struct sim_server *srv)
{
	while (srv->devices->len)
		dev_remove(srv, g_ptr_array_index(srv->devices, 0));
	while (srv->actions) {
		struct action *a = srv->actions->data;

		g_source_remove(a->source);
		srv->actions = g_list_delete_link(srv->actions, srv->actions);
		g_free(a);
	}
}

static void adapter_free(struct sim_server *srv)
{
	g_ptr_array_free(srv->dclients, TRUE);
	g_ptr_array_free(srv->devices, TRUE);
	sim_dut_free(srv->dut);
	bus_unref(srv->bus);
	g_free(srv->adapter_alias);
	g_free(srv->adapter_path);
	g_free(srv->adapter_address);
	g_free(srv->sim_path);
	g_free(srv);
}

void sim_server_free(struct sim_server *first)
{
	struct sim_shared *sh;

	if (!first)
		return;
	sh = first->sh;
	/* devices first (a bonding in progress still talks to its agent),
	 * then the agents, whose watches point at the first adapter */
	for (guint i = 0; i < sh->adapters->len; i++)
		adapter_clear(g_ptr_array_index(sh->adapters, i));
	g_queue_clear(&sh->default_agents);
	g_hash_table_destroy(sh->agents);
	for (guint i = sh->adapters->len; i-- > 0;)
		adapter_free(g_ptr_array_index(sh->adapters, i));
	g_ptr_array_free(sh->adapters, TRUE);
	service_free(sh->svc);
	g_free(sh);
}

unsigned sim_server_adapters(struct sim_server *first)
{
	return first->sh->adapters->len;
}

struct sim_server *sim_server_adapter(struct sim_server *first,
	unsigned index)
{
	return index < first->sh->adapters->len ?
		g_ptr_array_index(first->sh->adapters, index) : NULL;
}

struct sim_dut *sim_server_dut(struct sim_server *srv)
{
	return srv->dut;
}
