/* SPDX-License-Identifier: MIT */
/*
 * server.c — a simulated bluetoothd (struct sim_server) serving its
 * adapters (struct sim_adapter), each with a DUT in range of it (one adapter
 * unless more are added).
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

struct sim_adapter;
struct sim_device;

/*
 * The error replies bluetoothd sends, each with its text (src/error.c and
 * the call sites in src/device.c, src/adapter.c, src/gatt-client.c). A
 * method answers with one of these, never with a name and text of its own.
 */
enum sim_err {
	SIM_ERR_INVALID_ARGS,
	SIM_ERR_INVALID_OFFSET,
	SIM_ERR_NOT_READY,
	SIM_ERR_BUSY,               /* a second discovery session */
	SIM_ERR_IN_PROGRESS,        /* pairing or connecting */
	SIM_ERR_REBOOTING,          /* Sim1.Reboot while booting */
	SIM_ERR_ALREADY_EXISTS,
	SIM_ERR_DOES_NOT_EXIST,
	SIM_ERR_NOT_SUPPORTED,
	SIM_ERR_NOT_CONNECTED,
	SIM_ERR_NO_DISCOVERY,
	SIM_ERR_NO_NOTIFY_SESSION,
	SIM_ERR_READ_NOT_PERMITTED,
	SIM_ERR_WRITE_NOT_PERMITTED,
	SIM_ERR_NOT_PAIRED,
	SIM_ERR_AUTH_FAILED,
	SIM_ERR_AUTH_CANCELED,
	SIM_ERR_AUTH_TIMEOUT,
	SIM_ERR_PAGE_TIMEOUT,
	/* why Connect() failed (device.c's le-connection-* strings) */
	SIM_ERR_ABORT_BY_LOCAL,
	SIM_ERR_ABORT_BY_REMOTE,
	SIM_ERR_NOT_POWERED,
	SIM_ERR_CANCELLED,
	SIM_ERR_DEVICE_REMOVED,
	SIM_ERR_COUNT,
};

struct sim_err_reply {
	const char *name;
	const char *text;
};

static const struct sim_err_reply sim_errs[] = {
	[SIM_ERR_INVALID_ARGS] = { BLUEZ_ERR_INVALID_ARGS,
		"Invalid arguments in method call" },
	[SIM_ERR_INVALID_OFFSET] = { BLUEZ_ERR_INVALID_ARGS, "Invalid offset" },
	[SIM_ERR_NOT_READY] = { BLUEZ_ERR_NOT_READY, "Resource Not Ready" },
	[SIM_ERR_BUSY] = { BLUEZ_ERR_IN_PROGRESS,
		"Operation already in progress" },
	[SIM_ERR_IN_PROGRESS] = { BLUEZ_ERR_IN_PROGRESS, "In Progress" },
	[SIM_ERR_REBOOTING] = { BLUEZ_ERR_IN_PROGRESS,
		"The DUT is already rebooting" },
	[SIM_ERR_ALREADY_EXISTS] = { BLUEZ_ERR_ALREADY_EXISTS,
		"Already Exists" },
	[SIM_ERR_DOES_NOT_EXIST] = { BLUEZ_ERR_DOES_NOT_EXIST,
		"Does Not Exist" },
	[SIM_ERR_NOT_SUPPORTED] = { BLUEZ_ERR_NOT_SUPPORTED,
		"Operation is not supported" },
	[SIM_ERR_NOT_CONNECTED] = { BLUEZ_ERR_FAILED, "Not connected" },
	[SIM_ERR_NO_DISCOVERY] = { BLUEZ_ERR_FAILED, "No discovery started" },
	[SIM_ERR_NO_NOTIFY_SESSION] = { BLUEZ_ERR_FAILED,
		"No notify session started" },
	[SIM_ERR_READ_NOT_PERMITTED] = { BLUEZ_ERR_NOT_PERMITTED,
		"Read not permitted" },
	[SIM_ERR_WRITE_NOT_PERMITTED] = { BLUEZ_ERR_NOT_PERMITTED,
		"Write not permitted" },
	[SIM_ERR_NOT_PAIRED] = { BLUEZ_ERR_NOT_PERMITTED, "Not paired" },
	[SIM_ERR_AUTH_FAILED] = { BLUEZ_ERR_AUTH_FAILED,
		"Authentication Failed" },
	[SIM_ERR_AUTH_CANCELED] = { BLUEZ_ERR_AUTH_CANCELED,
		"Authentication Canceled" },
	[SIM_ERR_AUTH_TIMEOUT] = { BLUEZ_ERR_AUTH_TIMEOUT,
		"Authentication Timeout" },
	[SIM_ERR_PAGE_TIMEOUT] = { BLUEZ_ERR_CONN_ATTEMPT_FAILED,
		"Page Timeout" },
	[SIM_ERR_ABORT_BY_LOCAL] = { BLUEZ_ERR_FAILED,
		BLUEZ_LE_ABORT_BY_LOCAL },
	[SIM_ERR_ABORT_BY_REMOTE] = { BLUEZ_ERR_FAILED,
		BLUEZ_LE_ABORT_BY_REMOTE },
	[SIM_ERR_NOT_POWERED] = { BLUEZ_ERR_FAILED,
		"le-connection-adapter-not-powered" },
	[SIM_ERR_CANCELLED] = { BLUEZ_ERR_FAILED, "Cancelled" },
	[SIM_ERR_DEVICE_REMOVED] = { BLUEZ_ERR_FAILED, "Device removed" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(sim_errs) == SIM_ERR_COUNT);

/* The D-Bus error name of @err. */
static const char *sim_err_to_str(enum sim_err err)
{
	return sim_errs[err].name;
}

/* Answer @call with @err, its name and its text. */
static void sim_reply_error(struct svc_call *call, enum sim_err err)
{
	svc_call_error(call, sim_errs[err].name, "%s", sim_errs[err].text);
}

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

/* An agent registered with the AgentManager1 (shared by every adapter). */
struct sim_agent {
	struct sim_server *srv;
	char *owner;
	char *path;
	char *capability;
	guint watch;
};

/* A client's discovery session on one adapter (adapter.c discovery). */
struct dclient {
	struct sim_adapter *adapter;
	char *owner;
	guint watch;
	bool active;         /* discovering (not only a pre-set filter) */
};

/* A primary service of the DUT as bluetoothd caches it. */
struct sim_svc {
	struct sim_device *dev;
	char *path;
	const char *uuid;
	uint16_t handle;
};

/* A characteristic of the DUT as bluetoothd caches it (and its CCCD). */
struct sim_chr {
	struct sim_device *dev;
	struct sim_svc *svc;
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

/* A pairing in progress (device.c's struct bonding_req). */
struct sim_bonding {
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
	struct sim_chr *chr;
};

/* The host's view of the DUT: one Device1 object on one adapter. */
struct sim_device {
	struct sim_adapter *adapter;
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
	struct sim_bonding *bonding;
	GPtrArray *disconnect_calls;
	bool remove_when_down;
	GPtrArray *pending_reads;  /* reads waiting for security */
	struct sim_svc ess, vendor;
	struct sim_chr temp, reboot;
};

/* The simulated bluetoothd: what its adapters share. */
struct sim_server {
	struct bus *bus;
	struct service *svc;
	GHashTable *agents;        /* owner -> struct sim_agent */
	GQueue default_agents;     /* owners, newest first */
	GPtrArray *adapters;       /* struct sim_adapter, hci0 first */
	struct sim_timing timing;  /* what new adapters get */
};

/* One adapter (hciN) and the DUT in range of it. */
struct sim_adapter {
	struct sim_server *srv;
	struct bus *bus;           /* srv->bus */
	struct service *svc;       /* srv->svc */
	unsigned index;            /* N of hciN */
	char *path;
	char *address;
	char *alias;
	char *sim_path;            /* its org.bondcheck.Sim1 object */
	struct sim_dut *dut;
	struct sim_timing t;
	gint64 start_us;
	bool powered, pairable, discoverable;
	bool unplugged;            /* Sim1.Unplug(): the adapter is gone */
	GPtrArray *dclients;
	bool discovering;
	GPtrArray *devices;
	GList *actions;
	bool notify_seq_init;
	int16_t temp_centi;
};

/* ---- time --------------------------------------------------------------- */

typedef void (*act_fn)(struct sim_adapter *adapter, struct sim_device *dev,
	guint gen);

/* Something the air or the host stack does later (a scaled delay). */
struct sim_action {
	struct sim_adapter *adapter;
	struct sim_device *dev;
	guint gen;
	act_fn fn;
	guint source;
};

static gboolean action_fire(gpointer data)
{
	struct sim_action *a = data;
	struct sim_adapter *adapter = a->adapter;

	adapter->actions = g_list_remove(adapter->actions, a);
	/* a link that went down (or a device that went away) voids its plans */
	if (!a->dev || a->dev->gen == a->gen)
		a->fn(adapter, a->dev, a->gen);
	g_free(a);
	return G_SOURCE_REMOVE;
}

static int64_t scaled(struct sim_adapter *adapter, int64_t ms)
{
	double v = (double)ms * adapter->t.scale;

	return v <= 0 ? 0 : (int64_t)(v + 0.5);
}

/* Run @fn after @ms (already scaled or a protocol timeout). */
static void after_ms(struct sim_adapter *adapter, struct sim_device *dev,
	int64_t ms, act_fn fn)
{
	struct sim_action *a = g_new0(struct sim_action, 1);

	a->adapter = adapter;
	a->dev = dev;
	a->gen = dev ? dev->gen : 0;
	a->fn = fn;
	a->source = g_timeout_add((guint)MIN(ms, G_MAXUINT), action_fire, a);
	adapter->actions = g_list_append(adapter->actions, a);
}

/* Run @fn after the DUT-side delay @ms, scaled. */
static void after(struct sim_adapter *adapter, struct sim_device *dev,
	int64_t ms, act_fn fn)
{
	after_ms(adapter, dev, scaled(adapter, ms), fn);
}

static void cancel_actions_for(struct sim_adapter *adapter,
	struct sim_device *dev)
{
	for (GList *l = adapter->actions; l;) {
		GList *next = l->next;
		struct sim_action *a = l->data;

		if (a->dev == dev) {
			g_source_remove(a->source);
			adapter->actions = g_list_delete_link(adapter->actions,
				l);
			g_free(a);
		}
		l = next;
	}
}

/* ---- trace -------------------------------------------------------------- */

/* Sinks @details (a{sv}, or NULL). */
static void emit_trace(struct sim_adapter *adapter, const char *event,
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
	json_builder_add_int_value(b,
		g_get_monotonic_time() - adapter->start_us);
	if (details) {
		g_variant_ref_sink(details);
		g_variant_iter_init(&it, details);
		while (g_variant_iter_next(&it, "{&sv}", &k, &v)) {
			json_builder_set_member_name(b, k);
			json_builder_add_value(b, json_gvariant_serialize(v));
			g_variant_unref(v);
		}
		g_variant_unref(details);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	line = json_generator_to_data(g, NULL);
	g_debug("trace: %s", line);
	service_emit(adapter->svc, adapter->sim_path, BC_SIM_IFACE, "Trace",
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

/* A host-side event: {"side": "host", @key: @value}. */
static void host_trace(struct sim_adapter *adapter, const char *event,
	const char *key, const char *value)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "side", g_variant_new_string("host"));
	if (key)
		g_variant_builder_add(&b, "{sv}", key,
			g_variant_new_string(value));
	emit_trace(adapter, event, g_variant_builder_end(&b));
}

/* A one-string event such as {"via": "gatt"}. */
static void trace_str(struct sim_adapter *adapter, const char *event,
	const char *key, const char *value)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", key, g_variant_new_string(value));
	emit_trace(adapter, event, g_variant_builder_end(&b));
}

static unsigned bluez_minor(struct sim_adapter *adapter)
{
	const struct sim_fault_value *v = sim_dut_fault_value(adapter->dut,
		SIM_FAULT_BLUEZ_VERSION);

	return v ? v->bluez_minor : 66;
}

/* ---- property getters --------------------------------------------------- */

/*
 * One getter per property: the interface's table (below) names each
 * property, its D-Bus type, its getter and its setter. A getter returns
 * NULL for a property that is absent now (bluetoothd's "exists").
 */

static GVariant *bytes_variant(GByteArray *a)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
		a->len ? a->data : (const guint8 *)"", a->len, 1);
}

static GVariant *adapter_address(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_adapter *)data)->address);
}

static GVariant *adapter_address_type(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string("public");
}

static GVariant *adapter_name(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string("bondcheck-sim");
}

static GVariant *adapter_alias(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_adapter *)data)->alias);
}

static GVariant *adapter_class(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint32(0);
}

static GVariant *adapter_powered(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->powered);
}

static GVariant *adapter_discoverable(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(
		((struct sim_adapter *)data)->discoverable);
}

static GVariant *adapter_discoverable_timeout(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint32(180);
}

static GVariant *adapter_pairable(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->pairable);
}

static GVariant *adapter_pairable_timeout(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint32(0);
}

static GVariant *adapter_discovering(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_adapter *)data)->discovering);
}

static GVariant *adapter_uuids(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_strv(NULL, 0);
}

static GVariant *adapter_modalias(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string("usb:v1D6Bp0246d0542");
}

static GVariant *adapter_roles(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	const char *r[] = { "central", "peripheral" };

	return g_variant_new_strv(r, 2);
}

static GVariant *device_address(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_device *)data)->address);
}

static GVariant *device_address_type(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_device *)data)->address_type);
}

static GVariant *device_name(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return d->name ? g_variant_new_string(d->name) : NULL;
}

static GVariant *device_alias(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return g_variant_new_string(d->alias ? d->alias :
				    d->name ? d->name : d->address);
}

static GVariant *device_appearance(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return g_variant_new_uint16(sim_dut_appearance(d->adapter->dut));
}

static GVariant *device_paired(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	/* src/device.c device_svc_resolved(): Paired waits for services */
	return g_variant_new_boolean(d->paired && !d->pending_paired);
}

static GVariant *device_bonded(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	/* Bonded exists from BlueZ 5.65 */
	return bluez_minor(d->adapter) < 65 ? NULL :
					      g_variant_new_boolean(d->bonded);
}

static GVariant *device_trusted(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->trusted);
}

static GVariant *device_blocked(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->blocked);
}

static GVariant *device_legacy_pairing(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(FALSE);
}

static GVariant *device_rssi(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return d->has_rssi ? g_variant_new_int16(RSSI_DUT) : NULL;
}

static GVariant *device_connected(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->connected);
}

static GVariant *device_uuids(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;
	const char *u[] = { UUID_ESS, UUID_VENDOR_SVC };

	/* advertised: ESS; after resolution: every primary service */
	return g_variant_new_strv(u, d->gatt_exported ? 2 : 1);
}

static GVariant *device_adapter(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_device *d = data;

	return g_variant_new_object_path(d->adapter->path);
}

static GVariant *device_services_resolved(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(((struct sim_device *)data)->resolved);
}

static GVariant *device_advertising_flags(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	guint8 f = 0x06; /* LE General Discoverable, BR/EDR unsupported */

	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, &f, 1, 1);
}

static GVariant *service_uuid(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_svc *)data)->uuid);
}

static GVariant *service_device(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_object_path(((struct sim_svc *)data)->dev->path);
}

static GVariant *service_primary(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_boolean(TRUE);
}

static GVariant *service_includes(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_objv(NULL, 0);
}

static GVariant *service_handle(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint16(((struct sim_svc *)data)->handle);
}

static GVariant *chr_uuid(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(((struct sim_chr *)data)->uuid);
}

static GVariant *chr_service(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_object_path(((struct sim_chr *)data)->svc->path);
}

static GVariant *chr_value(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_chr *c = data;

	return c->value_known ? bytes_variant(c->value) : NULL;
}

static GVariant *chr_notifying(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_chr *c = data;

	return c->can_notify ? g_variant_new_boolean(c->clients->len > 0) :
			       NULL;
}

static GVariant *chr_flags(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_strv(((struct sim_chr *)data)->flags, -1);
}

static GVariant *chr_handle(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint16(((struct sim_chr *)data)->value_handle);
}

static GVariant *chr_mtu(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint16(23);
}

static GVariant *desc_uuid(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(UUID_CCCD);
}

static GVariant *desc_characteristic(void *data,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_object_path(((struct sim_chr *)data)->path);
}

static GVariant *desc_value(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_chr *c = data;

	return c->desc_known ? bytes_variant(c->desc_value) : NULL;
}

static GVariant *desc_handle(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint16(((struct sim_chr *)data)->desc_handle);
}

static GVariant *sim1_boot_count(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_uint32(sim_dut_boot_count(adapter->dut));
}

static GVariant *sim1_bond_count(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_uint32(sim_dut_bond_count(adapter->dut));
}

static GVariant *sim1_faults(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;
	GPtrArray *f = sim_dut_fault_list(adapter->dut);
	GVariant *v = g_variant_new_strv((const char *const *)f->pdata, f->len);

	g_ptr_array_free(f, TRUE);
	return v;
}

static GVariant *sim1_state(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_string(
		sim_dut_state_to_str(sim_dut_state(adapter->dut)));
}

static GVariant *sim1_address(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_adapter *adapter = data;

	return g_variant_new_string(sim_dut_address(adapter->dut));
}

/* ---- forward declarations for the flows --------------------------------- */

static void link_down(struct sim_adapter *adapter, struct sim_device *d,
	enum reason reason, enum sim_err connect_error);
static void dut_seen_later(struct sim_adapter *adapter);
static void start_pairing(struct sim_adapter *adapter, struct sim_device *d);
static void bonding_fail(struct sim_adapter *adapter, struct sim_device *d,
	enum sim_err err);
static void set_prop(struct sim_adapter *adapter, struct sim_device *d,
	const char *name);
static void try_pending_connects(struct sim_adapter *adapter);
static void flush_reads(struct sim_adapter *adapter, struct sim_device *d,
	bool ok);

static const char *const flags_temp[] = { "read", "notify", "indicate", NULL };
static const char *const flags_reboot[] = { "write", "write-without-response",
	NULL };

/* ---- interfaces --------------------------------------------------------- */

static void m_start_discovery(struct svc_call *call, GVariant *args, void *data);
static void m_stop_discovery(struct svc_call *call, GVariant *args, void *data);
static void m_set_filter(struct svc_call *call, GVariant *args, void *data);
static void m_remove_device(struct svc_call *call, GVariant *args, void *data);
static void m_get_filters(struct svc_call *call, GVariant *args, void *data);
static void s_adapter_powered(struct svc_call *call, const char *name,
	GVariant *value, void *data);
static void s_adapter_pairable(struct svc_call *call, const char *name,
	GVariant *value, void *data);
static void s_adapter_discoverable(struct svc_call *call, const char *name,
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
	{ "Address", "s", adapter_address, NULL },
	{ "AddressType", "s", adapter_address_type, NULL },
	{ "Name", "s", adapter_name, NULL },
	{ "Alias", "s", adapter_alias, s_adapter_alias },
	{ "Class", "u", adapter_class, NULL },
	{ "Powered", "b", adapter_powered, s_adapter_powered },
	{ "Discoverable", "b", adapter_discoverable, s_adapter_discoverable },
	{ "DiscoverableTimeout", "u", adapter_discoverable_timeout, NULL },
	{ "Pairable", "b", adapter_pairable, s_adapter_pairable },
	{ "PairableTimeout", "u", adapter_pairable_timeout, NULL },
	{ "Discovering", "b", adapter_discovering, NULL },
	{ "UUIDs", "as", adapter_uuids, NULL },
	{ "Modalias", "s", adapter_modalias, NULL },
	{ "Roles", "as", adapter_roles, NULL },
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
static void s_device_trusted(struct svc_call *call, const char *name,
	GVariant *value, void *data);
static void s_device_blocked(struct svc_call *call, const char *name,
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
	{ "Address", "s", device_address, NULL },
	{ "AddressType", "s", device_address_type, NULL },
	{ "Name", "s", device_name, NULL },
	{ "Alias", "s", device_alias, s_device_alias },
	{ "Appearance", "q", device_appearance, NULL },
	{ "Paired", "b", device_paired, NULL },
	{ "Bonded", "b", device_bonded, NULL },
	{ "Trusted", "b", device_trusted, s_device_trusted },
	{ "Blocked", "b", device_blocked, s_device_blocked },
	{ "LegacyPairing", "b", device_legacy_pairing, NULL },
	{ "RSSI", "n", device_rssi, NULL },
	{ "Connected", "b", device_connected, NULL },
	{ "UUIDs", "as", device_uuids, NULL },
	{ "Adapter", "o", device_adapter, NULL },
	{ "ServicesResolved", "b", device_services_resolved, NULL },
	{ "AdvertisingFlags", "ay", device_advertising_flags, NULL },
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
	{ "UUID", "s", service_uuid, NULL },
	{ "Device", "o", service_device, NULL },
	{ "Primary", "b", service_primary, NULL },
	{ "Includes", "ao", service_includes, NULL },
	{ "Handle", "q", service_handle, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface gatt_service_iface = {
	BLUEZ_IFACE_GATT_SERVICE, NULL, gatt_service_props, NULL,
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
	{ "UUID", "s", chr_uuid, NULL },
	{ "Service", "o", chr_service, NULL },
	{ "Value", "ay", chr_value, NULL },
	{ "Notifying", "b", chr_notifying, NULL },
	{ "Flags", "as", chr_flags, NULL },
	{ "Handle", "q", chr_handle, NULL },
	{ "MTU", "q", chr_mtu, NULL },
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
	{ "UUID", "s", desc_uuid, NULL },
	{ "Characteristic", "o", desc_characteristic, NULL },
	{ "Value", "ay", desc_value, NULL },
	{ "Handle", "q", desc_handle, NULL },
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
	{ "BootCount", "u", sim1_boot_count, NULL },
	{ "BondCount", "u", sim1_bond_count, NULL },
	{ "Faults", "as", sim1_faults, NULL },
	{ "State", "s", sim1_state, NULL },
	{ "Address", "s", sim1_address, NULL },
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

static void set_prop(struct sim_adapter *adapter, struct sim_device *d,
	const char *name)
{
	service_changed(adapter->svc, d->path, BLUEZ_IFACE_DEVICE, name);
}

static void adapter_changed(struct sim_adapter *adapter, const char *name)
{
	service_changed(adapter->svc, adapter->path, BLUEZ_IFACE_ADAPTER, name);
}

static void sim1_changed(struct sim_adapter *adapter, const char *name)
{
	service_changed(adapter->svc, adapter->sim_path, BC_SIM_IFACE, name);
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

/* Is the firmware behind this device object reachable over the air now? */
static bool dut_here(struct sim_adapter *adapter, struct sim_device *d)
{
	return g_ascii_strcasecmp(d->address,
		       sim_dut_address(adapter->dut)) == 0;
}

static struct sim_agent *agent_for(struct sim_server *srv, const char *owner)
{
	struct sim_agent *a = owner ? g_hash_table_lookup(srv->agents, owner) :
				      NULL;

	/* BlueZ falls back to the default agent (src/agent.c agent_get) */
	if (!a && srv->default_agents.head)
		a = g_hash_table_lookup(srv->agents,
			srv->default_agents.head->data);
	return a;
}

/* The waiting Connect() succeeds (if there is one). */
static void connect_ok(struct sim_device *d)
{
	struct svc_call *c = d->connect_call;

	d->connect_call = NULL;
	if (c)
		svc_call_return(c, NULL);
}

/* The waiting Connect() fails with @err (if there is one). */
static void connect_fail(struct sim_device *d, enum sim_err err)
{
	struct svc_call *c = d->connect_call;

	d->connect_call = NULL;
	if (c)
		sim_reply_error(c, err);
}

static void temp_value(struct sim_adapter *adapter, GByteArray *out)
{
	/* org.bluetooth.characteristic.temperature: sint16, 0.01 degC */
	int16_t v;

	if (!adapter->notify_seq_init) {
		adapter->temp_centi = 2345;
		adapter->notify_seq_init = true;
	} else {
		adapter->temp_centi += 7;
	}
	v = adapter->temp_centi;
	g_byte_array_set_size(out, 0);
	g_byte_array_append(out, (const guint8 *)&v, 2);
}

/* ---- GATT objects ------------------------------------------------------- */

static void svc_init(struct sim_svc *s, struct sim_device *d,
	const char *uuid, uint16_t handle)
{
	s->dev = d;
	s->uuid = uuid;
	s->handle = handle;
	s->path = g_strdup_printf("%s/service%04x", d->path, handle);
}

static void chr_init(struct sim_chr *c, struct sim_svc *s, const char *uuid,
	uint16_t handle, const char *const *flags)
{
	c->dev = s->dev;
	c->svc = s;
	c->uuid = uuid;
	c->handle = handle;
	c->value_handle = handle + 1;
	c->flags = flags;
	c->path = g_strdup_printf("%s/char%04x", s->path, handle);
	c->value = g_byte_array_new();
	c->desc_value = g_byte_array_new();
	c->clients = g_ptr_array_new_with_free_func(g_free);
	c->client_watches = g_array_new(FALSE, FALSE, sizeof(guint));
}

static void chr_clear_clients(struct sim_adapter *adapter, struct sim_chr *c)
{
	for (guint i = 0; i < c->client_watches->len; i++)
		bus_unwatch_name(adapter->bus,
			g_array_index(c->client_watches, guint, i));
	g_array_set_size(c->client_watches, 0);
	g_ptr_array_set_size(c->clients, 0);
}

static void chr_free(struct sim_adapter *adapter, struct sim_chr *c)
{
	chr_clear_clients(adapter, c);
	g_ptr_array_free(c->clients, TRUE);
	g_array_free(c->client_watches, TRUE);
	g_byte_array_free(c->value, TRUE);
	g_byte_array_free(c->desc_value, TRUE);
	g_free(c->path);
	g_free(c->desc_path);
}

static void export_gatt(struct sim_adapter *adapter, struct sim_device *d)
{
	if (d->gatt_exported)
		return;
	d->gatt_exported = true;
	service_add_interface(adapter->svc, d->ess.path, &gatt_service_iface,
		&d->ess);
	service_add_interface(adapter->svc, d->temp.path, &chr_iface, &d->temp);
	service_add_interface(adapter->svc, d->temp.desc_path, &desc_iface,
		&d->temp);
	service_add_interface(adapter->svc, d->vendor.path, &gatt_service_iface,
		&d->vendor);
	service_add_interface(adapter->svc, d->reboot.path, &chr_iface,
		&d->reboot);
	set_prop(adapter, d, "UUIDs");
}

static void unexport_gatt(struct sim_adapter *adapter, struct sim_device *d)
{
	if (!d->gatt_exported)
		return;
	d->gatt_exported = false;
	/* the client's notify sessions go with the attribute database */
	chr_clear_clients(adapter, &d->temp);
	d->temp.value_known = d->temp.desc_known = false;
	d->reboot.value_known = false;
	service_remove_object(adapter->svc, d->reboot.path);
	service_remove_object(adapter->svc, d->vendor.path);
	service_remove_object(adapter->svc, d->temp.desc_path);
	service_remove_object(adapter->svc, d->temp.path);
	service_remove_object(adapter->svc, d->ess.path);
	set_prop(adapter, d, "UUIDs");
}

/* ---- devices ------------------------------------------------------------ */

static struct sim_device *dev_new(struct sim_adapter *adapter,
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
	svc_init(&d->ess, d, UUID_ESS, 0x000a);
	svc_init(&d->vendor, d, UUID_VENDOR_SVC, 0x000e);
	chr_init(&d->temp, &d->ess, UUID_TEMP, 0x000b, flags_temp);
	d->temp.needs_encryption = true;
	d->temp.can_notify = true;
	d->temp.desc_handle = 0x000d;
	d->temp.desc_path = g_strdup_printf("%s/desc%04x", d->temp.path,
		d->temp.desc_handle);
	chr_init(&d->reboot, &d->vendor, UUID_REBOOT, 0x000f, flags_reboot);
	d->reboot.is_reboot = true;
	g_ptr_array_add(adapter->devices, d);
	return d;
}

static void dev_free(struct sim_adapter *adapter, struct sim_device *d)
{
	cancel_actions_for(adapter, d);
	chr_free(adapter, &d->temp);
	chr_free(adapter, &d->reboot);
	g_ptr_array_free(d->disconnect_calls, TRUE);
	g_ptr_array_free(d->pending_reads, TRUE);
	g_free(d->ess.path);
	g_free(d->vendor.path);
	g_free(d->path);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->alias);
	g_free(d);
}

static void dev_remove(struct sim_adapter *adapter, struct sim_device *d)
{
	/* answer whatever still waits on this device */
	if (d->bonding)
		bonding_fail(adapter, d, SIM_ERR_AUTH_CANCELED);
	connect_fail(d, SIM_ERR_DEVICE_REMOVED);
	flush_reads(adapter, d, false);
	unexport_gatt(adapter, d);
	service_remove_object(adapter->svc, d->path);
	g_ptr_array_remove(adapter->devices, d);
	dev_free(adapter, d);
}

/* ---- discovery ---------------------------------------------------------- */

static void dut_seen(struct sim_adapter *adapter,
	struct sim_device *unused G_GNUC_UNUSED, guint gen G_GNUC_UNUSED)
{
	struct sim_device *d;

	if (!adapter->discovering || !adapter->powered ||
	    sim_dut_state(adapter->dut) != SIM_DUT_STATE_ADVERTISING)
		return;
	d = find_dev_by_addr(adapter, sim_dut_address(adapter->dut));
	if (!d) {
		d = dev_new(adapter, sim_dut_address(adapter->dut),
			sim_dut_address_type(adapter->dut));
		d->has_rssi = true;
		service_add_interface(adapter->svc, d->path, &device_iface, d);
		host_trace(adapter, "device-found", "address", d->address);
		return;
	}
	if (!d->has_rssi) {
		/* BlueZ reports RSSI again once it was invalidated */
		d->has_rssi = true;
		set_prop(adapter, d, "RSSI");
	}
}

static void dut_seen_later(struct sim_adapter *adapter)
{
	after(adapter, NULL, adapter->t.adv_interval_ms, dut_seen);
}

static void set_discovering(struct sim_adapter *adapter, bool on)
{
	if (adapter->discovering == on)
		return;
	adapter->discovering = on;
	adapter_changed(adapter, "Discovering");
	if (on) {
		dut_seen_later(adapter);
		return;
	}
	/* src/adapter.c discovery_cleanup(): RSSI of found devices dropped */
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (d->has_rssi) {
			d->has_rssi = false;
			set_prop(adapter, d, "RSSI");
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

static void m_start_discovery(struct svc_call *call, GVariant *args,
	void *data)
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
	return false;  /* adapter.c: unknown keys are invalid */
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
	svc_call_return(call, g_variant_new("(@as)",
				      g_variant_builder_end(&b)));
}

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
	host_trace(adapter, "host-keys-removed", "address", d->address);
	if (d->connected) {
		/* device_request_disconnect, then removal when the link is down */
		d->remove_when_down = true;
		g_ptr_array_add(d->disconnect_calls, call);
		link_down(adapter, d, REASON_LOCAL, SIM_ERR_CANCELLED);
		return;
	}
	dev_remove(adapter, d);
	svc_call_return(call, NULL);
	/* still in range: it shows up again at the next advert */
	dut_seen_later(adapter);
}

static void set_powered(struct sim_adapter *adapter, bool on)
{
	if (adapter->powered == on)
		return;
	if (!on) {
		for (guint i = 0; i < adapter->devices->len; i++) {
			struct sim_device *d =
				g_ptr_array_index(adapter->devices, i);

			if (d->connected)
				link_down(adapter, d, REASON_LOCAL,
					SIM_ERR_CANCELLED);
			else
				connect_fail(d, SIM_ERR_NOT_POWERED);
		}
		g_ptr_array_set_size(adapter->dclients, 0);
		set_discovering(adapter, false);
	}
	adapter->powered = on;
	adapter_changed(adapter, "Powered");
}

static void s_adapter_powered(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;

	set_powered(adapter, g_variant_get_boolean(value));
	adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_adapter_pairable(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;

	adapter->pairable = g_variant_get_boolean(value);
	adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_adapter_discoverable(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;

	adapter->discoverable = g_variant_get_boolean(value);
	adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

static void s_adapter_alias(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_adapter *adapter = data;
	const char *a = g_variant_get_string(value, NULL);

	g_free(adapter->alias);
	adapter->alias = g_strdup(*a ? a : "bondcheck-sim");
	adapter_changed(adapter, name);
	svc_call_return(call, NULL);
}

/* ---- agents ------------------------------------------------------------- */

static void sagent_free(void *data)
{
	struct sim_agent *a = data;

	if (a->watch)
		bus_unwatch_name(a->srv->bus, a->watch);
	g_free(a->owner);
	g_free(a->path);
	g_free(a->capability);
	g_free(a);
}

static void agent_gone(const char *name, const char *owner, void *data)
{
	struct sim_agent *a = data;
	struct sim_server *srv = a->srv;
	char *who = g_strdup(a->owner);

	(void)name;
	if (owner)
		return;
	a->watch = 0;
	g_queue_remove_all(&srv->default_agents, a->owner);
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
	struct sim_agent *a;

	g_variant_get(args, "(&o&s)", &path, &cap);
	if (g_hash_table_lookup(srv->agents, owner)) {
		sim_reply_error(call, SIM_ERR_ALREADY_EXISTS);
		return;
	}
	if (!parse_capability(cap)) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
		return;
	}
	a = g_new0(struct sim_agent, 1);
	a->srv = srv;
	a->owner = g_strdup(owner);
	a->path = g_strdup(path);
	/* an empty capability means KeyboardDisplay (src/agent.c) */
	a->capability = g_strdup(*cap ? cap : "KeyboardDisplay");
	a->watch = bus_watch_name(srv->bus, owner, agent_gone, a, NULL);
	g_hash_table_replace(srv->agents, a->owner, a);
	svc_call_return(call, NULL);
}

/* The caller's agent at @path, or NULL. */
static struct sim_agent *own_agent(struct sim_server *srv,
	struct svc_call *call, GVariant *args)
{
	struct sim_agent *a = g_hash_table_lookup(srv->agents,
		svc_call_sender(call));
	const char *path;

	g_variant_get(args, "(&o)", &path);
	return a && strcmp(a->path, path) == 0 ? a : NULL;
}

static void m_unregister_agent(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sim_server *srv = data;
	struct sim_agent *a = own_agent(srv, call, args);

	if (!a) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	g_queue_remove_all(&srv->default_agents, a->owner);
	g_hash_table_remove(srv->agents, svc_call_sender(call));
	svc_call_return(call, NULL);
}

static void m_default_agent(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	struct sim_agent *a = own_agent(srv, call, args);

	if (!a) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	g_queue_remove_all(&srv->default_agents, a->owner);
	g_queue_push_head(&srv->default_agents, a->owner);
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
static void link_down(struct sim_adapter *adapter, struct sim_device *d,
	enum reason reason, enum sim_err connect_error)
{
	if (!d->connected) {
		connect_fail(d, connect_error);
		return;
	}
	d->gen++;
	cancel_actions_for(adapter, d);
	if (d->resolved) {
		d->resolved = false;
		set_prop(adapter, d, "ServicesResolved");
	}
	connect_fail(d, connect_error);
	if (d->bonding)
		bonding_fail(adapter, d, SIM_ERR_AUTH_CANCELED);
	flush_reads(adapter, d, false);
	if (d->paired && !d->bonded) {
		d->paired = false;
		d->host_has_keys = false;
		set_prop(adapter, d, "Paired");
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
	set_prop(adapter, d, "Connected");
	if (bluez_minor(adapter) >= 83)
		service_emit(adapter->svc, d->path, BLUEZ_IFACE_DEVICE,
			"Disconnected", g_variant_new("(ss)",
				reason_name(reason), reason_message(reason)));
	host_trace(adapter, "link-down", "reason", reason_name(reason));
	/* without a bond BlueZ drops the attribute cache (gatt_db_clear) */
	if (!d->bonded)
		unexport_gatt(adapter, d);

	if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_CONNECTED) {
		sim_dut_disconnected(adapter->dut, adapter->address);
		sim1_changed(adapter, "State");
		if (adapter->discovering)
			dut_seen_later(adapter);
	}
	if (d->remove_when_down) {
		dev_remove(adapter, d);
		dut_seen_later(adapter);
	}
}

static void bonding_free(struct sim_adapter *adapter, struct sim_bonding *b);

static void services_resolved(struct sim_adapter *adapter,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	export_gatt(adapter, d);
	if (!d->resolved) {
		d->resolved = true;
		set_prop(adapter, d, "ServicesResolved");
	}
	if (d->pending_paired) {
		/* src/device.c device_svc_resolved(): Paired waits for this */
		d->pending_paired = false;
		set_prop(adapter, d, "Paired");
	}
	if (d->bonding && d->paired) {
		struct sim_bonding *b = d->bonding;

		d->bonding = NULL;
		if (b->call)
			svc_call_return(b->call, NULL);
		bonding_free(adapter, b);
	}
	connect_ok(d);
	flush_reads(adapter, d, true);
}

static void dut_notifies(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	GVariantBuilder t;
	bool delivered;

	if (!d->connected || !d->encrypted ||
	    sim_dut_cccd(adapter->dut, adapter->address) == 0)
		return;
	/* BlueZ only passes on notifications somebody subscribed to */
	delivered = d->temp.clients->len > 0 && d->gatt_exported;
	temp_value(adapter, d->temp.value);
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&t, "{sv}", "delivered",
		g_variant_new_boolean(delivered));
	emit_trace(adapter, "notification", g_variant_builder_end(&t));
	if (delivered) {
		d->temp.value_known = true;
		service_changed(adapter->svc, d->temp.path,
			BLUEZ_IFACE_GATT_CHRC, "Value");
	}
}

static void resubscribe(struct sim_adapter *adapter, struct sim_device *d)
{
	/* src/gatt-client.c btd_gatt_client_connected(): sessions re-register */
	if (d->temp.clients->len > 0) {
		host_trace(adapter, "bluez-resubscribes", "uuid", d->temp.uuid);
		sim_dut_write_cccd(adapter->dut, adapter->address, 0x0001);
		after(adapter, d, adapter->t.notify_ms, dut_notifies);
	} else if (sim_dut_cccd(adapter->dut, adapter->address)) {
		/* firmware notifies a bonded subscriber it remembers */
		after(adapter, d, adapter->t.notify_ms, dut_notifies);
	}
}

/* Service resolution: from the cache, or a first discovery. */
static int64_t resolve_ms(struct sim_adapter *adapter, struct sim_device *d)
{
	return d->gatt_exported ? adapter->t.resolve_cached_ms :
				  adapter->t.discover_ms;
}

static void drop_after_connect(struct sim_adapter *adapter,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	link_down(adapter, d, REASON_AUTH, SIM_ERR_ABORT_BY_LOCAL);
}

static void encrypt_step(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	enum sim_encrypt r = sim_dut_encrypt(adapter->dut, adapter->address,
		d->keys.ltk);

	switch (r) {
	case SIM_ENCRYPT_OK:
		d->encrypted = true;
		resubscribe(adapter, d);
		/*
		 * bluetoothd answers Connect() once ATT is up on the
		 * encrypted link, then validates its GATT cache:
		 * ServicesResolved comes after the reply (real bluetoothd
		 * 5.66 in the QEMU tier, doc/simulator.md)
		 */
		connect_ok(d);
		after(adapter, d, adapter->t.resolve_cached_ms,
			services_resolved);
		break;
	case SIM_ENCRYPT_KEY_MISSING:
		/* HCI: Encryption Change 0x06, then Disconnect 0x05 */
		host_trace(adapter, "encryption-failed", "hci_status",
			"0x06 PIN or Key Missing");
		if (sim_dut_fault(adapter->dut,
			    SIM_FAULT_CONNECT_SUCCEEDS_THEN_DROPS) &&
		    d->connect_call) {
			/* bluetoothd answered once ATT was up (notes: 11/24) */
			connect_ok(d);
			after(adapter, d, adapter->t.encrypt_ms / 2 + 1,
				drop_after_connect);
		} else {
			link_down(adapter, d, REASON_AUTH,
				SIM_ERR_ABORT_BY_LOCAL);
		}
		break;
	case SIM_ENCRYPT_TERMINATE:
		host_trace(adapter, "remote-terminated", "hci_reason",
			"0x13 Remote User Terminated Connection");
		link_down(adapter, d, REASON_REMOTE, SIM_ERR_ABORT_BY_REMOTE);
		break;
	case SIM_ENCRYPT_REPAIR:
		/* the DUT asks to pair again: the stack starts a new pairing */
		host_trace(adapter, "security-request", "action", "new pairing");
		d->bonding = g_new0(struct sim_bonding, 1);
		d->bonding->bond = adapter->pairable;
		d->bonding->reconnect = true;
		start_pairing(adapter, d);
		break;
	}
}

static void link_up(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	if (d->connected)
		return;
	if (!dut_here(adapter, d) ||
	    sim_dut_state(adapter->dut) != SIM_DUT_STATE_ADVERTISING) {
		/* it stopped advertising meanwhile: wait for it again */
		return;
	}
	d->gen++;
	d->connected = true;
	set_prop(adapter, d, "Connected");
	sim_dut_connected(adapter->dut, adapter->address);
	sim1_changed(adapter, "State");
	host_trace(adapter, "link-up", "address", d->address);

	if (d->bonding) {
		/*
		 * Pair() on a new device: GATT discovery runs beside SMP, so
		 * ServicesResolved usually comes before Bonded and Paired
		 * (real bluetoothd 5.66 in the QEMU tier)
		 */
		start_pairing(adapter, d);
		if (!d->host_has_keys)
			after(adapter, d, resolve_ms(adapter, d),
				services_resolved);
	} else if (d->host_has_keys) {
		/* BlueZ raises security with the stored LTK at once */
		after(adapter, d, adapter->t.encrypt_ms, encrypt_step);
	} else {
		after(adapter, d, resolve_ms(adapter, d), services_resolved);
	}
}

static void connect_timeout(struct sim_adapter *adapter,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	if (d->connected)
		return;
	if (d->bonding) {
		/* MGMT_STATUS_CONNECT_FAILED (device.c new_authentication_return) */
		bonding_fail(adapter, d, SIM_ERR_PAGE_TIMEOUT);
		return;
	}
	connect_fail(d, SIM_ERR_ABORT_BY_LOCAL);
}

static void begin_connect(struct sim_adapter *adapter, struct sim_device *d)
{
	if (dut_here(adapter, d) &&
	    sim_dut_state(adapter->dut) == SIM_DUT_STATE_ADVERTISING)
		after(adapter, d, adapter->t.connect_ms, link_up);
	/* the kernel gives up on a silent device after its LE timeout */
	after_ms(adapter, d, adapter->t.le_conn_timeout_ms, connect_timeout);
}

static void try_pending_connects(struct sim_adapter *adapter)
{
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (!d->connected && (d->connect_call || d->bonding) &&
		    dut_here(adapter, d))
			after(adapter, d, adapter->t.connect_ms, link_up);
	}
}

static void m_connect(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_device *d = data;
	struct sim_adapter *adapter = d->adapter;

	(void)args;
	if (!adapter->powered) {
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
	begin_connect(adapter, d);
}

static void disconnect_now(struct sim_adapter *adapter,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	link_down(adapter, d, REASON_LOCAL, SIM_ERR_CANCELLED);
}

static void m_disconnect(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_device *d = data;
	struct sim_adapter *adapter = d->adapter;

	(void)args;
	/* device.c device_request_disconnect() */
	if (d->bonding)
		bonding_fail(adapter, d, SIM_ERR_AUTH_CANCELED);
	if (d->connect_call && !d->connected) {
		connect_fail(d, SIM_ERR_CANCELLED);
		cancel_actions_for(adapter, d);
	}
	if (!d->connected) {
		svc_call_return(call, NULL);
		return;
	}
	g_ptr_array_add(d->disconnect_calls, call);
	after(adapter, d, adapter->t.disconnect_ms, disconnect_now);
}

static void m_connect_profile(struct svc_call *call, GVariant *args,
	void *data)
{
	(void)args;
	(void)data;
	/* an LE-only DUT has no BR/EDR profiles to connect */
	sim_reply_error(call, SIM_ERR_INVALID_ARGS);
}

static void s_device_trusted(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_device *d = data;

	d->trusted = g_variant_get_boolean(value);
	set_prop(d->adapter, d, name);
	svc_call_return(call, NULL);
}

static void s_device_blocked(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_device *d = data;

	d->blocked = g_variant_get_boolean(value);
	if (d->blocked && d->connected)
		link_down(d->adapter, d, REASON_LOCAL, SIM_ERR_CANCELLED);
	set_prop(d->adapter, d, name);
	svc_call_return(call, NULL);
}

static void s_device_alias(struct svc_call *call, const char *name,
	GVariant *value, void *data)
{
	struct sim_device *d = data;
	const char *a = g_variant_get_string(value, NULL);

	g_free(d->alias);
	d->alias = *a ? g_strdup(a) : NULL;
	set_prop(d->adapter, d, name);
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
	DBusMessage *m;

	if (!b->agent_owner || b->agent_canceled)
		return;
	b->agent_canceled = true;
	m = msg_new_call(b->agent_owner, b->agent_path, BLUEZ_IFACE_AGENT,
		"Cancel", NULL);
	dbus_message_set_no_reply(m, TRUE);
	bus_send(adapter->bus, m);
	dbus_message_unref(m);
}

static void bonding_fail(struct sim_adapter *adapter, struct sim_device *d,
	enum sim_err err)
{
	struct sim_bonding *b = d->bonding;
	bool reconnect = b && b->reconnect;

	if (!b)
		return;
	d->bonding = NULL;
	if (b->agent_call)
		tell_agent_cancel(adapter, b);
	host_trace(adapter, "pairing-failed", "error", sim_err_to_str(err));
	if (b->call)
		sim_reply_error(b->call, err);
	bonding_free(adapter, b);
	flush_reads(adapter, d, false);
	/* a failed re-pairing on reconnect ends the link like a key miss */
	if (reconnect && d->connected)
		link_down(adapter, d, REASON_AUTH, SIM_ERR_ABORT_BY_LOCAL);
	else if (reconnect)
		connect_fail(d, SIM_ERR_ABORT_BY_LOCAL);
}

static void pairing_done(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	struct sim_bonding *b = d->bonding;
	struct sim_keys k;

	if (!b)
		return;
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 16; i++) {
		k.ltk[i] = (uint8_t)g_random_int_range(0, 256);
		k.irk[i] = (uint8_t)g_random_int_range(0, 256);
	}
	k.authenticated = b->assoc != ASSOC_JUST_WORKS;
	sim_dut_paired(adapter->dut, adapter->address, b->bond, &k);
	sim1_changed(adapter, "BondCount");
	d->keys = k;
	d->host_has_keys = true;
	d->encrypted = true;
	if (b->bond && !d->bonded) {
		d->bonded = true;
		set_prop(adapter, d, "Bonded");
	}
	if (!d->paired) {
		d->paired = true;
		if (d->resolved)
			set_prop(adapter, d, "Paired");
		else
			d->pending_paired = true;
	}
	host_trace(adapter, "paired", "method", assoc_to_str(b->assoc));
	if (b->reconnect)
		/* pairing the stack started (reconnect): continue the connect */
		resubscribe(adapter, d);
	if (d->resolved)
		services_resolved(adapter, d, d->gen);
	else
		after(adapter, d, resolve_ms(adapter, d), services_resolved);
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
			bonding_fail(adapter, d, SIM_ERR_AUTH_TIMEOUT);
		} else {
			/* a negative reply: SMP fails (MGMT_STATUS_AUTH_FAILED) */
			bonding_fail(adapter, d, SIM_ERR_AUTH_FAILED);
		}
		return;
	}
	if (b->assoc == ASSOC_ENTER) {
		if (!msg_get_args(reply, "(u)", &args, NULL)) {
			bonding_fail(adapter, d, SIM_ERR_AUTH_FAILED);
			return;
		}
		g_variant_get(args, "(u)", &passkey);
		g_variant_unref(args);
		if (passkey != sim_dut_passkey(adapter->dut)) {
			host_trace(adapter, "passkey-mismatch", NULL, NULL);
			bonding_fail(adapter, d, SIM_ERR_AUTH_FAILED);
			return;
		}
	}
	after(adapter, d, adapter->t.pair_ms, pairing_done);
}

static void call_agent(struct sim_adapter *adapter, struct sim_device *d,
	const char *method, GVariant *args)
{
	struct sim_bonding *b = d->bonding;

	b->agent_call = bus_call_method(adapter->bus, b->agent_owner,
		b->agent_path, BLUEZ_IFACE_AGENT, method, args,
		(int)adapter->t.agent_timeout_ms, agent_reply, d, NULL);
}

static void start_pairing(struct sim_adapter *adapter, struct sim_device *d)
{
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
	a = agent_for(adapter->srv, b->owner);
	cap = a ? a->capability : "NoInputNoOutput";
	b->assoc = association(cap, sim_dut_io_capability(adapter->dut));
	if (a) {
		b->agent_owner = g_strdup(a->owner);
		b->agent_path = g_strdup(a->path);
	}
	switch (b->assoc) {
	case ASSOC_JUST_WORKS:
		after(adapter, d, adapter->t.pair_ms, pairing_done);
		break;
	case ASSOC_CONFIRM:
		call_agent(adapter, d, "RequestConfirmation",
			g_variant_new("(ou)", d->path, passkey));
		break;
	case ASSOC_ENTER:
		call_agent(adapter, d, "RequestPasskey",
			g_variant_new("(o)", d->path));
		break;
	case ASSOC_DISPLAY:
		call_agent(adapter, d, "DisplayPasskey",
			g_variant_new("(ouq)", d->path, passkey, 0));
		break;
	}
}

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
	host_trace(adapter, "pair-requester-left", NULL, NULL);
	tell_agent_cancel(adapter, d->bonding);
	bonding_free(adapter, d->bonding);
	d->bonding = NULL;
	if (d->connected)
		after(adapter, d, adapter->t.disconnect_ms, disconnect_now);
}

static void m_pair(struct svc_call *call, GVariant *args, void *data)
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
		sim_reply_error(call, SIM_ERR_ALREADY_EXISTS);
		return;
	}
	b = g_new0(struct sim_bonding, 1);
	b->call = call;
	b->owner = g_strdup(svc_call_sender(call));
	b->bond = adapter->pairable;
	b->owner_watch = bus_watch_name(adapter->bus, b->owner,
		pair_owner_gone, d, NULL);
	d->bonding = b;
	if (d->connected) {
		start_pairing(adapter, d);
		return;
	}
	/* LE: connect first, pair once the link is up */
	begin_connect(adapter, d);
}

static void m_cancel_pairing(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sim_device *d = data;

	(void)args;
	if (!d->bonding) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	bonding_fail(d->adapter, d, SIM_ERR_AUTH_CANCELED);
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

static void answer_read(struct sim_adapter *adapter, struct svc_call *call,
	struct sim_chr *c)
{
	temp_value(adapter, c->value);
	c->value_known = true;
	/* the read updates the cached value: Value changes on the bus too */
	service_changed(adapter->svc, c->path, BLUEZ_IFACE_GATT_CHRC, "Value");
	svc_call_return(call, g_variant_new("(@ay)", bytes_variant(c->value)));
}

static void flush_reads(struct sim_adapter *adapter, struct sim_device *d,
	bool ok)
{
	for (guint i = 0; i < d->pending_reads->len; i++) {
		struct pending_read *r = g_ptr_array_index(d->pending_reads, i);

		if (ok && d->encrypted)
			answer_read(adapter, r->call, r->chr);
		else if (!d->connected)
			sim_reply_error(r->call, SIM_ERR_NOT_CONNECTED);
		else
			sim_reply_error(r->call, SIM_ERR_NOT_PAIRED);
	}
	g_ptr_array_set_size(d->pending_reads, 0);
}

static void m_read(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	struct sim_device *d = c->dev;
	struct sim_adapter *adapter = d->adapter;
	GVariant *opts = g_variant_get_child_value(args, 0);
	uint16_t offset;
	bool ok = parse_offset(opts, &offset);

	g_variant_unref(opts);
	if (!ok) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
	} else if (!d->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
	} else if (c->is_reboot) {
		sim_reply_error(call, SIM_ERR_READ_NOT_PERMITTED);
	} else if (offset > 2) {
		sim_reply_error(call, SIM_ERR_INVALID_OFFSET);
	} else if (c->needs_encryption && !d->encrypted) {
		struct pending_read *r = g_new0(struct pending_read, 1);

		/* bt_att raises security and retries (src/shared/att.c) */
		r->call = call;
		r->chr = c;
		g_ptr_array_add(d->pending_reads, r);
		if (!d->bonding) {
			host_trace(adapter, "security-elevation", "uuid",
				c->uuid);
			start_pairing(adapter, d);
		}
	} else {
		answer_read(adapter, call, c);
	}
}

static void reboot_now(struct sim_adapter *adapter, struct sim_device *unused,
	guint gen);

static void m_write(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	struct sim_device *d = c->dev;
	struct sim_adapter *adapter = d->adapter;
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
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
	} else if (!d->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
	} else if (!c->is_reboot) {
		sim_reply_error(call, SIM_ERR_WRITE_NOT_PERMITTED);
	} else {
		bool reboot = n == 1 && bytes[0] == 0x01;

		svc_call_return(call, NULL);
		if (reboot) {
			trace_str(adapter, "reboot-requested", "via", "gatt");
			after(adapter, NULL, 0, reboot_now);
		}
	}
	if (type)
		g_variant_unref(type);
	g_variant_unref(opts);
	g_variant_unref(value);
}

static void client_gone(const char *name, const char *owner, void *data);

static int client_index(struct sim_chr *c, const char *owner)
{
	for (guint i = 0; i < c->clients->len; i++)
		if (!strcmp(g_ptr_array_index(c->clients, i), owner))
			return (int)i;
	return -1;
}

static void remove_client(struct sim_adapter *adapter, struct sim_chr *c,
	int i)
{
	bus_unwatch_name(adapter->bus,
		g_array_index(c->client_watches, guint, i));
	g_array_remove_index(c->client_watches, i);
	g_ptr_array_remove_index(c->clients, i);
	if (c->clients->len == 0) {
		if (c->dev->connected)
			sim_dut_write_cccd(adapter->dut, adapter->address,
				0x0000);
		service_changed(adapter->svc, c->path, BLUEZ_IFACE_GATT_CHRC,
			"Notifying");
	}
}

struct client_ref {
	struct sim_chr *chr;
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
		remove_client(r->chr->dev->adapter, r->chr, i);
}

static void m_start_notify(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	struct sim_device *d = c->dev;
	struct sim_adapter *adapter = d->adapter;
	const char *owner = svc_call_sender(call);
	struct client_ref *r;
	guint w;

	(void)args;
	if (!c->can_notify) {
		sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
		return;
	}
	if (client_index(c, owner) >= 0) {
		svc_call_return(call, NULL);
		return;
	}
	if (!d->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
		return;
	}
	r = g_new0(struct client_ref, 1);
	r->chr = c;
	r->owner = g_strdup(owner);
	w = bus_watch_name(adapter->bus, owner, client_gone, r, client_ref_free);
	g_ptr_array_add(c->clients, g_strdup(owner));
	g_array_append_val(c->client_watches, w);
	if (c->clients->len == 1) {
		sim_dut_write_cccd(adapter->dut, adapter->address, 0x0001);
		service_changed(adapter->svc, c->path, BLUEZ_IFACE_GATT_CHRC,
			"Notifying");
		after(adapter, d, adapter->t.notify_ms, dut_notifies);
	}
	svc_call_return(call, NULL);
}

static void m_stop_notify(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	int i = client_index(c, svc_call_sender(call));

	(void)args;
	if (i < 0) {
		sim_reply_error(call, SIM_ERR_NO_NOTIFY_SESSION);
		return;
	}
	remove_client(c->dev->adapter, c, i);
	svc_call_return(call, NULL);
}

static void m_acquire(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
}

static void m_desc_read(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	struct sim_device *d = c->dev;
	struct sim_adapter *adapter = d->adapter;
	GVariant *opts = g_variant_get_child_value(args, 0);
	uint16_t offset, v;
	bool ok = parse_offset(opts, &offset);

	g_variant_unref(opts);
	if (!ok) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
		return;
	}
	if (!d->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
		return;
	}
	/* what the DUT itself holds for us: its memory of our subscription */
	v = GUINT16_TO_LE(sim_dut_cccd(adapter->dut, adapter->address));
	g_byte_array_set_size(c->desc_value, 0);
	g_byte_array_append(c->desc_value, (const guint8 *)&v, 2);
	c->desc_known = true;
	service_changed(adapter->svc, c->desc_path, BLUEZ_IFACE_GATT_DESC,
		"Value");
	svc_call_return(call, g_variant_new("(@ay)",
				      bytes_variant(c->desc_value)));
}

static void m_desc_write(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	/* gatt-client.c: CCCDs are only written through StartNotify */
	sim_reply_error(call, SIM_ERR_WRITE_NOT_PERMITTED);
}

/* ---- reboot ------------------------------------------------------------- */

static void boot_done(struct sim_adapter *adapter,
	struct sim_device *unused G_GNUC_UNUSED, guint gen G_GNUC_UNUSED)
{
	sim_dut_booted(adapter->dut);
	sim1_changed(adapter, "BootCount");
	sim1_changed(adapter, "BondCount");
	sim1_changed(adapter, "State");
	sim1_changed(adapter, "Address");
	if (sim_dut_state(adapter->dut) != SIM_DUT_STATE_ADVERTISING)
		return;
	if (adapter->discovering)
		dut_seen_later(adapter);
	try_pending_connects(adapter);
}

static void supervision_timeout(struct sim_adapter *adapter,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	link_down(adapter, d, REASON_TIMEOUT, SIM_ERR_ABORT_BY_LOCAL);
}

static void reboot_now(struct sim_adapter *adapter,
	struct sim_device *unused G_GNUC_UNUSED, guint gen G_GNUC_UNUSED)
{
	if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_BOOTING)
		return;
	sim_dut_reboot(adapter->dut);
	sim1_changed(adapter, "State");
	/* the central only notices when the supervision timeout expires */
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (d->connected)
			after(adapter, d, adapter->t.supervision_ms,
				supervision_timeout);
	}
	after(adapter, NULL, sim_dut_boot_ms(adapter->dut, adapter->t.boot_ms),
		boot_done);
}

static void m_sim_reboot(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	if (sim_dut_state(adapter->dut) == SIM_DUT_STATE_BOOTING) {
		sim_reply_error(call, SIM_ERR_REBOOTING);
		return;
	}
	trace_str(adapter, "reboot-requested", "via", "sim");
	reboot_now(adapter, NULL, 0);
	svc_call_return(call, NULL);
}

/* The dongle is pulled: links drop, BlueZ forgets the adapter's devices,
 * then the adapter itself (InterfacesRemoved), as bluetoothd does when the
 * kernel's index goes away (src/adapter.c adapter_remove). */
static void m_sim_unplug(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	if (adapter->unplugged) {
		svc_call_error(call, BC_ERR_FAILED, "%s is already unplugged",
			adapter->path);
		return;
	}
	adapter->unplugged = true;
	for (guint i = 0; i < adapter->devices->len; i++) {
		struct sim_device *d = g_ptr_array_index(adapter->devices, i);

		if (d->connected)
			link_down(adapter, d, REASON_LOCAL,
				SIM_ERR_ABORT_BY_LOCAL);
	}
	while (adapter->devices->len)
		dev_remove(adapter, g_ptr_array_index(adapter->devices, 0));
	g_ptr_array_set_size(adapter->dclients, 0);
	adapter->discovering = false;
	service_remove_interface(adapter->svc, adapter->path,
		BLUEZ_IFACE_ADAPTER);
	emit_trace(adapter, "adapter-unplugged", NULL);
	svc_call_return(call, NULL);
}

static void m_sim_replug(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	if (!adapter->unplugged) {
		svc_call_error(call, BC_ERR_FAILED, "%s is plugged in",
			adapter->path);
		return;
	}
	adapter->unplugged = false;
	adapter->powered = true;
	service_add_interface(adapter->svc, adapter->path, &adapter_iface,
		adapter);
	emit_trace(adapter, "adapter-replugged", NULL);
	svc_call_return(call, NULL);
}

void sim_adapter_set_fault(struct sim_adapter *adapter, enum sim_fault fault,
	const struct sim_fault_value *value)
{
	sim_dut_set_fault(adapter->dut, fault, value);
	sim1_changed(adapter, "Faults");
	/* a different bluetoothd exposes a different set of properties */
	if (fault == SIM_FAULT_BLUEZ_VERSION)
		for (guint i = 0; i < adapter->devices->len; i++)
			set_prop(adapter, g_ptr_array_index(adapter->devices, i),
				"Bonded");
}

static void m_sim_set_fault(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
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
	sim_adapter_set_fault(adapter, f, &v);
	g_free(v.text);
	svc_call_return(call, NULL);
}

static void m_sim_clear(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;

	(void)args;
	sim_dut_clear_faults(adapter->dut);
	sim1_changed(adapter, "Faults");
	svc_call_return(call, NULL);
}

static void m_sim_bond_peer(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_adapter *adapter = data;
	const char *addr;
	struct sim_keys k;

	g_variant_get(args, "(&s)", &addr);
	if (!bluez_address_valid(addr) ||
	    !g_ascii_strcasecmp(addr, adapter->address)) {
		svc_call_error(call, BC_ERR_INVALID_ARGS,
			"not another central's address: '%s'", addr);
		return;
	}
	/* another central (a phone) bonds with the DUT */
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 16; i++)
		k.ltk[i] = (uint8_t)g_random_int_range(0, 256);
	sim_dut_paired(adapter->dut, addr, true, &k);
	sim1_changed(adapter, "BondCount");
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

static struct sim_adapter *adapter_new(struct sim_server *srv,
	const struct sim_dut_config *dut, const struct sim_timing *timing)
{
	struct sim_adapter *adapter = g_new0(struct sim_adapter, 1);

	adapter->srv = srv;
	adapter->bus = srv->bus;
	adapter->svc = srv->svc;
	adapter->index = srv->adapters->len;
	adapter->path = g_strdup_printf("%s/hci%u", BLUEZ_PATH,
		adapter->index);
	adapter->address = g_strdup_printf("00:B0:DC:00:00:%02X",
		adapter->index + 1);
	/* hci0's is the one of old; the others are named after theirs */
	adapter->sim_path = adapter->index ?
		g_strdup_printf("%s/hci%u", BC_SIM_PATH, adapter->index) :
		g_strdup(BC_SIM_PATH);
	adapter->t = *timing;
	adapter->start_us = g_get_monotonic_time();
	adapter->powered = true;
	adapter->pairable = true;
	adapter->alias = g_strdup("bondcheck-sim");
	adapter->dclients = g_ptr_array_new_with_free_func(dclient_free);
	adapter->devices = g_ptr_array_new();
	adapter->dut = sim_dut_new(dut, dut_trace, adapter);
	g_ptr_array_add(srv->adapters, adapter);
	service_add_interface(adapter->svc, adapter->path, &adapter_iface,
		adapter);
	service_add_interface(adapter->svc, adapter->sim_path, &sim1_iface,
		adapter);
	return adapter;
}

struct sim_server *sim_server_new(struct bus *bus,
	const struct sim_dut_config *dut, const struct sim_timing *timing,
	GError **error)
{
	struct sim_server *srv = g_new0(struct sim_server, 1);

	(void)error;
	srv->bus = bus_ref(bus);
	srv->svc = service_new(bus);
	srv->agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		sagent_free);
	g_queue_init(&srv->default_agents);
	srv->adapters = g_ptr_array_new();
	srv->timing = *timing;
	service_add_object_manager(srv->svc, BLUEZ_PATH_ROOT);
	adapter_new(srv, dut, timing);
	/* one agent manager for every adapter, as in bluetoothd */
	service_add_interface(srv->svc, BLUEZ_PATH, &agentmgr_iface, srv);
	return srv;
}

struct sim_adapter *sim_server_add_adapter(struct sim_server *srv,
	const struct sim_dut_config *dut)
{
	return adapter_new(srv, dut, &srv->timing);
}

static void adapter_clear(struct sim_adapter *adapter)
{
	while (adapter->devices->len)
		dev_remove(adapter, g_ptr_array_index(adapter->devices, 0));
	while (adapter->actions) {
		struct sim_action *a = adapter->actions->data;

		g_source_remove(a->source);
		adapter->actions = g_list_delete_link(adapter->actions,
			adapter->actions);
		g_free(a);
	}
}

static void adapter_free(struct sim_adapter *adapter)
{
	g_ptr_array_free(adapter->dclients, TRUE);
	g_ptr_array_free(adapter->devices, TRUE);
	sim_dut_free(adapter->dut);
	g_free(adapter->alias);
	g_free(adapter->path);
	g_free(adapter->address);
	g_free(adapter->sim_path);
	g_free(adapter);
}

void sim_server_free(struct sim_server *srv)
{
	if (!srv)
		return;
	/* devices first (a bonding in progress still talks to its agent),
	 * then the agents */
	for (guint i = 0; i < srv->adapters->len; i++)
		adapter_clear(g_ptr_array_index(srv->adapters, i));
	g_queue_clear(&srv->default_agents);
	g_hash_table_destroy(srv->agents);
	for (guint i = srv->adapters->len; i-- > 0;)
		adapter_free(g_ptr_array_index(srv->adapters, i));
	g_ptr_array_free(srv->adapters, TRUE);
	service_free(srv->svc);
	bus_unref(srv->bus);
	g_free(srv);
}

unsigned sim_server_adapters(struct sim_server *srv)
{
	return srv->adapters->len;
}

struct sim_adapter *sim_server_adapter(struct sim_server *srv,
	unsigned index)
{
	return index < srv->adapters->len ?
		g_ptr_array_index(srv->adapters, index) : NULL;
}

struct sim_dut *sim_adapter_dut(struct sim_adapter *adapter)
{
	return adapter->dut;
}
