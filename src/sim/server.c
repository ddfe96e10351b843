/* SPDX-License-Identifier: MIT */
/*
 * server.c — a simulated bluetoothd (struct sim_server) serving its
 * adapters (struct sim_adapter), each in range of a DUT: one adapter unless
 * more are added, with a DUT of its own or in range of another's (several
 * centrals against one DUT).
 *
 * Owns the bus objects' life, the table of BlueZ error replies, time (every
 * DUT-side delay is scaled by one factor) and the Trace signal. The objects
 * themselves live in adapter.c, device.c, agent.c, pairing.c, gatt.c and
 * control.c (sim-private.h). Behaviour follows BlueZ 5.66 as read in its
 * sources (src/adapter.c, src/device.c, src/agent.c, src/gatt-client.c);
 * doc/simulator.md lists each behaviour with its source. Never trusts a
 * client: every argument is checked and every call is answered once.
 */
#include "bondcheck/names.h"
#include "sim-private.h"

/* ---- error replies ------------------------------------------------------ */

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
	/* 5.66 looks for the profile over BR/EDR SDP, which an LE-only DUT
	 * does not answer (measured in the QEMU tier) */
	[SIM_ERR_SDP_SEARCH] = { BLUEZ_ERR_FAILED, "br-connection-sdp-search" },
	[SIM_ERR_NO_PERIPHERAL] = { BLUEZ_ERR_NOT_SUPPORTED,
		"Operation is not supported" },
	[SIM_ERR_NOT_AUTHORIZED] = { BLUEZ_ERR_NOT_AUTHORIZED,
		"Operation Not Authorized" },
	[SIM_ERR_INVALID_LENGTH] = { BLUEZ_ERR_INVALID_ARGS, "Invalid Length" },
	/* sim_reply_att_error() adds ": 0xNN", the code */
	[SIM_ERR_ATT] = { BLUEZ_ERR_FAILED, "Operation failed with ATT error" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(sim_errs) == SIM_ERR_COUNT);

const char *sim_err_to_str(enum sim_err err)
{
	return sim_errs[err].name;
}

void sim_reply_error(struct svc_call *call, enum sim_err err)
{
	svc_call_error(call, sim_errs[err].name, "%s", sim_errs[err].text);
}

void sim_reply_att_error(struct svc_call *call, unsigned code)
{
	switch (code) {
	case 0x02: /* Read Not Permitted */
		sim_reply_error(call, SIM_ERR_READ_NOT_PERMITTED);
		return;
	case 0x03: /* Write Not Permitted */
		sim_reply_error(call, SIM_ERR_WRITE_NOT_PERMITTED);
		return;
	case 0x05: /* Insufficient Authentication */
	case 0x0c: /* Insufficient Encryption Key Size */
	case 0x0f: /* Insufficient Encryption */
		sim_reply_error(call, SIM_ERR_NOT_PAIRED);
		return;
	case 0x06: /* Request Not Supported */
		sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
		return;
	case 0x07: /* Invalid Offset */
		sim_reply_error(call, SIM_ERR_INVALID_OFFSET);
		return;
	case 0x08: /* Insufficient Authorization */
		sim_reply_error(call, SIM_ERR_NOT_AUTHORIZED);
		return;
	case 0x0d: /* Invalid Attribute Value Length */
		sim_reply_error(call, SIM_ERR_INVALID_LENGTH);
		return;
	default:
		svc_call_error(call, sim_errs[SIM_ERR_ATT].name, "%s: 0x%02x",
			sim_errs[SIM_ERR_ATT].text, code & 0xff);
		return;
	}
}

/* ---- time --------------------------------------------------------------- */

struct sim_action {
	struct sim_adapter *adapter;
	struct sim_device *dev;
	guint gen;
	sim_act_fn fn;
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

void sim_after_ms(struct sim_adapter *adapter, struct sim_device *dev,
	int64_t ms, sim_act_fn fn)
{
	struct sim_action *a = g_new0(struct sim_action, 1);

	a->adapter = adapter;
	a->dev = dev;
	a->gen = dev ? dev->gen : 0;
	a->fn = fn;
	a->source = g_timeout_add((guint)MIN(ms, G_MAXUINT), action_fire, a);
	adapter->actions = g_list_append(adapter->actions, a);
}

void sim_after(struct sim_adapter *adapter, struct sim_device *dev, int64_t ms,
	sim_act_fn fn)
{
	sim_after_ms(adapter, dev, scaled(adapter, ms), fn);
}

void sim_cancel_actions(struct sim_adapter *adapter, struct sim_device *dev)
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

void sim_trace(struct sim_adapter *adapter, const char *event,
	GVariant *details)
{
	char *line;

	if (details)
		g_variant_ref_sink(details);
	line = sim_trace_json(event, g_get_monotonic_time() - adapter->start_us,
		details);
	if (details)
		g_variant_unref(details);
	g_debug("trace: %s", line);
	service_emit(adapter->svc, adapter->sim_path, BC_SIM_IFACE, "Trace",
		g_variant_new("(s)", line));
	g_free(line);
}

void sim_trace_dut(const char *event, GVariant *details, void *data)
{
	struct sim_adapter *a;
	guint i = 0;

	/* what the DUT does is seen from every adapter in range of it: a
	 * client watching any one of them gets all of it */
	/* the model keeps its reference: each sim_trace() only borrows it */
	while ((a = sim_sharing_next(data, &i)))
		sim_trace(a, event, details);
}

struct sim_adapter *sim_sharing_next(struct sim_adapter *adapter, guint *i)
{
	GPtrArray *all = adapter->srv->adapters;

	while (*i < all->len) {
		struct sim_adapter *a = g_ptr_array_index(all, (*i)++);

		if (a->dut == adapter->dut)
			return a;
	}
	return NULL;
}

void sim_trace_host(struct sim_adapter *adapter, const char *event,
	const char *key, const char *value)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "side", g_variant_new_string("host"));
	if (key)
		g_variant_builder_add(&b, "{sv}", key,
			g_variant_new_string(value));
	sim_trace(adapter, event, g_variant_builder_end(&b));
}

void sim_trace_str(struct sim_adapter *adapter, const char *event,
	const char *key, const char *value)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", key, g_variant_new_string(value));
	sim_trace(adapter, event, g_variant_builder_end(&b));
}

/* ---- small things the objects share ------------------------------------- */

unsigned sim_bluez_minor(struct sim_adapter *adapter)
{
	const struct sim_fault_value *v = sim_dut_fault_value(adapter->dut,
		SIM_FAULT_BLUEZ_VERSION);

	return v ? v->bluez_minor : 66;
}

int32_t sim_random(struct sim_adapter *adapter, int32_t lo, int32_t hi)
{
	return g_rand_int_range(adapter->srv->rand, lo, hi);
}

int32_t sim_random_air(struct sim_adapter *adapter, int32_t lo, int32_t hi)
{
	return g_rand_int_range(adapter->srv->air, lo, hi);
}

void sim_random_bytes(struct sim_adapter *adapter, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)g_rand_int_range(adapter->srv->rand, 0, 256);
}

GVariant *sim_bytes_variant(GByteArray *a)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
		a->len ? a->data : (const guint8 *)"", a->len, 1);
}

/* ---- life cycle --------------------------------------------------------- */

/* the air's generator: the seed with its bits turned, so that the two
 * sequences differ */
#define AIR_SEED 0xa1a1a1a1u

void sim_timing_defaults(struct sim_timing *t)
{
	t->scale = 1.0;
	/* the seed's example (ble_advertise(interval_us=500000)) */
	t->adv_interval_ms = 500;
	t->adv_delay_max_us = 10000;
	/* the kernel's (hci_alloc_dev_priv: DISCOV_LE_SCAN_INT/WIN for
	 * discovery, DISCOV_LE_SCAN_INT_CONN/WIN_CONN while it waits for a
	 * device to connect to) */
	t->scan_interval_us = 11250;
	t->scan_window_us = 11250;
	t->conn_scan_interval_us = 60000;
	t->conn_scan_window_us = 60000;
	/* le_conn_min_interval 0x0018 (max 0x0028, 50 ms); the simulated
	 * controller takes the minimum */
	t->conn_interval_ms = 30;
	/* transmitWindowDelay 1.25 ms + a transmit window of 1.25 ms */
	t->connect_ms = 3;
	/* LL_ENC_REQ/RSP, then LL_START_ENC_REQ/RSP/RSP: two more events */
	t->encrypt_ms = 2 * t->conn_interval_ms;
	t->discover_ms = 120;
	/* bluetoothd's MTU exchange on the encrypted ATT channel; the rest of
	 * the database comes from its cache */
	t->resolve_cached_ms = t->conn_interval_ms;
	/* a request in one connection event, its response in the next */
	t->att_ms = t->conn_interval_ms;
	t->pair_ms = 300;
	t->boot_ms = 1500;
	/* le_supv_timeout 0x002a */
	t->supervision_ms = 420;
	t->notify_ms = 100;
	/* device.c DISCONNECT_TIMER: 2 s before the link is dropped (real
	 * 5.66: 1.9-2.7 s from Disconnect() to its reply) */
	t->disconnect_ms = 2000;
	/* bluez-misses-link: the DUT's kernel dropped a link whose ATT
	 * channel never came up 4.1 s after it began (QEMU tier, 5.66) */
	t->unattached_ms = 4000;
	t->agent_timeout_ms = 30000;
	t->le_conn_timeout_ms = 20000;
}

double sim_timing_reconnect_floor_ms(const struct sim_timing *t)
{
	return (double)(t->connect_ms + t->encrypt_ms + t->resolve_cached_ms +
			t->att_ms) *
	       t->scale;
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
		sim_agent_free);
	g_queue_init(&srv->default_agents);
	srv->adapters = g_ptr_array_new();
	srv->duts = g_ptr_array_new_with_free_func((GDestroyNotify)sim_dut_free);
	srv->timing = *timing;
	srv->seed = g_random_int();
	srv->rand = g_rand_new_with_seed(srv->seed);
	srv->air = g_rand_new_with_seed(srv->seed ^ AIR_SEED);
	service_add_object_manager(srv->svc, BLUEZ_PATH_ROOT);
	sim_adapter_new(srv, dut, NULL, timing);
	/* one agent manager for every adapter, as in bluetoothd */
	sim_agent_manager_add(srv);
	sim_managers_add_root(srv);
	return srv;
}

struct sim_adapter *sim_server_add_adapter(struct sim_server *srv,
	const struct sim_dut_config *dut)
{
	return sim_adapter_new(srv, dut, NULL, &srv->timing);
}

struct sim_adapter *sim_server_add_adapter_sharing(struct sim_server *srv,
	struct sim_adapter *share)
{
	return sim_adapter_new(srv, NULL, share, &srv->timing);
}

void sim_server_free(struct sim_server *srv)
{
	if (!srv)
		return;
	/* devices first (a bonding in progress still talks to its agent),
	 * then the agents, then the objects (the service may still flush
	 * changes, which reads the adapters and DUTs), then those */
	for (guint i = 0; i < srv->adapters->len; i++)
		sim_adapter_clear(g_ptr_array_index(srv->adapters, i));
	g_queue_clear(&srv->default_agents);
	g_hash_table_destroy(srv->agents);
	service_free(srv->svc);
	for (guint i = srv->adapters->len; i-- > 0;)
		sim_adapter_free(g_ptr_array_index(srv->adapters, i));
	g_ptr_array_free(srv->adapters, TRUE);
	g_ptr_array_free(srv->duts, TRUE);
	bus_unref(srv->bus);
	g_rand_free(srv->rand);
	g_rand_free(srv->air);
	g_free(srv);
}

void sim_server_set_seed(struct sim_server *srv, uint32_t seed)
{
	srv->seed = seed;
	g_rand_set_seed(srv->rand, seed);
	g_rand_set_seed(srv->air, seed ^ AIR_SEED);
}

uint32_t sim_server_seed(struct sim_server *srv)
{
	return srv->seed;
}

unsigned sim_server_adapters(struct sim_server *srv)
{
	return srv->adapters->len;
}

struct sim_adapter *sim_server_adapter(struct sim_server *srv, unsigned index)
{
	return index < srv->adapters->len ?
	               g_ptr_array_index(srv->adapters, index) :
	               NULL;
}
