/* SPDX-License-Identifier: MIT */
/*
 * gatt.c — the DUT's attribute database as the simulated bluetoothd caches
 * it (src/gatt-client.c): GattService1, GattCharacteristic1 and
 * GattDescriptor1 objects, reads (raising security when the characteristic
 * needs it), the reboot characteristic, notify sessions and the
 * re-subscription on reconnect. Object paths use the service start handle
 * and the characteristic declaration handle, as bluetoothd's do.
 */
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bondcheck/names.h"
#include "sim-private.h"

/* ATT MTU: bluetoothd offers 517, NimBLE's preferred is 256 */
#define BLUEZ_MTU 517
#define DUT_MTU   256

struct pending_read {
	struct svc_call *call;
	struct sim_chr *chr;
};

static const char *const flags_temp[] = { "read", "notify", "indicate", NULL };
static const char *const flags_reboot[] = { "write", "write-without-response",
	NULL };
static const char *const flags_svc_changed[] = { "indicate", NULL };

static void chr_changed(struct sim_chr *c, const char *name)
{
	service_changed(c->dev->adapter->svc, c->path, BLUEZ_IFACE_GATT_CHRC,
		name);
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

/* ---- notifications ------------------------------------------------------ */

static void dut_notifies(struct sim_adapter *adapter, struct sim_device *d,
	guint gen G_GNUC_UNUSED)
{
	GVariantBuilder t;
	bool delivered;

	if (!d->connected || !d->encrypted ||
		sim_dut_cccd(adapter->dut, d->link_addr) == 0)
		return;
	/* BlueZ only passes on notifications somebody subscribed to */
	delivered = (d->temp.clients->len > 0 || d->temp.notify_fd >= 0) &&
	            d->gatt_exported;
	temp_value(adapter, d->temp.value);
	if (d->temp.notify_fd >= 0 &&
		send(d->temp.notify_fd, d->temp.value->data, d->temp.value->len,
			MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		delivered = false;
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&t, "{sv}", "peer",
		g_variant_new_string(d->link_addr));
	g_variant_builder_add(&t, "{sv}", "delivered",
		g_variant_new_boolean(delivered));
	/* the DUT's own act: on every adapter in range, naming its link */
	sim_trace_dut("notification", g_variant_builder_end(&t), adapter);
	if (delivered && d->temp.clients->len > 0) {
		d->temp.value_known = true;
		chr_changed(&d->temp, "Value");
	}
}

void sim_gatt_resubscribe(struct sim_device *d)
{
	struct sim_adapter *adapter = d->adapter;

	/* src/gatt-client.c btd_gatt_client_connected(): sessions re-register */
	if (d->temp.clients->len > 0) {
		sim_trace_host(adapter, "bluez-resubscribes", "uuid",
			d->temp.uuid);
		sim_dut_write_cccd(adapter->dut, d->link_addr, 0x0001);
		sim_after(adapter, d, adapter->t.notify_ms, dut_notifies);
	} else if (sim_dut_cccd(adapter->dut, d->link_addr)) {
		/* firmware notifies a bonded subscriber it remembers */
		sim_after(adapter, d, adapter->t.notify_ms, dut_notifies);
	}
}

/* ---- reads and writes --------------------------------------------------- */

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

/* The att-error fault: the DUT refuses the request with its ATT error. */
static bool dut_refuses(struct svc_call *call, struct sim_chr *c)
{
	const struct sim_fault_value *f =
		sim_dut_fault_value(c->dev->adapter->dut, SIM_FAULT_ATT_ERROR);

	if (!f)
		return false;
	sim_reply_att_error(call, f->att_code);
	return true;
}

static void answer_read(struct svc_call *call, struct sim_chr *c)
{
	if (dut_refuses(call, c))
		return;
	temp_value(c->dev->adapter, c->value);
	c->value_known = true;
	/* the read updates the cached value: Value changes on the bus too */
	chr_changed(c, "Value");
	svc_call_return(call,
		g_variant_new("(@ay)", sim_bytes_variant(c->value)));
	/* when the DUT's response reached the central (make bench's end of
	 * a reconnect) */
	sim_trace_host(c->dev->adapter, "read-reply", "uuid", c->uuid);
}

void sim_gatt_flush_reads(struct sim_device *d, bool ok)
{
	for (guint i = 0; i < d->pending_reads->len; i++) {
		struct pending_read *r = g_ptr_array_index(d->pending_reads, i);

		if (ok && d->encrypted)
			answer_read(r->call, r->chr);
		else if (!d->connected)
			sim_reply_error(r->call, SIM_ERR_NOT_CONNECTED);
		else
			sim_reply_error(r->call, SIM_ERR_NOT_PAIRED);
	}
	g_ptr_array_set_size(d->pending_reads, 0);
}

/* The responses of reads the link can carry now; a read that waits for
 * security stays. */
static void reads_due(struct sim_adapter *adapter G_GNUC_UNUSED,
	struct sim_device *d, guint gen G_GNUC_UNUSED)
{
	for (guint i = 0; i < d->pending_reads->len;) {
		struct pending_read *r = g_ptr_array_index(d->pending_reads, i);

		if (!d->encrypted && r->chr->needs_encryption) {
			i++;
			continue;
		}
		answer_read(r->call, r->chr);
		g_ptr_array_remove_index(d->pending_reads, i);
	}
}

static void m_read(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	struct sim_device *d = c->dev;
	GVariant *opts = g_variant_get_child_value(args, 0);
	uint16_t offset;
	bool ok = parse_offset(opts, &offset);

	g_variant_unref(opts);
	if (!ok) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
	} else if (!d->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
	} else if (!c->readable) {
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
			sim_trace_host(d->adapter, "security-elevation", "uuid",
				c->uuid);
			sim_pairing_start(d);
		}
	} else {
		struct pending_read *r = g_new0(struct pending_read, 1);

		/* the request goes out at a connection event, the response
		 * comes at a later one */
		r->call = call;
		r->chr = c;
		g_ptr_array_add(d->pending_reads, r);
		sim_after(d->adapter, d, d->adapter->t.att_ms, reads_due);
	}
}

/* A write reached the DUT (a request it accepted, or a command). The
 * reboot characteristic: 01 is machine.reset() (a hard reboot), 02 ends
 * the links first and then resets (a graceful one). */
static void dut_written(struct sim_chr *c, const guint8 *bytes, gsize n)
{
	enum sim_reboot_kind kind = n == 1 && bytes[0] == 0x02 ?
	                                    SIM_REBOOT_GRACEFUL :
	                                    SIM_REBOOT_HARD;
	GVariantBuilder b;

	if (!c->is_reboot || n != 1 || (bytes[0] != 0x01 && bytes[0] != 0x02))
		return;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "via", g_variant_new_string("gatt"));
	g_variant_builder_add(&b, "{sv}", "kind",
		g_variant_new_string(sim_reboot_kind_to_str(kind)));
	sim_trace(c->dev->adapter, "reboot-requested",
		g_variant_builder_end(&b));
	sim_control_reboot_soon(c->dev->adapter, kind);
}

/*
 * gatt-client.c (5.66) characteristic_write_value: without a type, a
 * Write Request if the characteristic has "write", a Write Command if it
 * has only "write-without-response", else NotSupported. type=command
 * sends a Write Command whatever the flags say (the peer drops what it
 * cannot take: success); a request to a characteristic the DUT does not
 * let us write gets its ATT error, Write Not Permitted.
 */
static void m_write(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	struct sim_device *d = c->dev;
	GVariant *value = g_variant_get_child_value(args, 0);
	GVariant *opts = g_variant_get_child_value(args, 1);
	GVariant *type = g_variant_lookup_value(opts, "type",
		G_VARIANT_TYPE_STRING);
	const char *t = type ? g_variant_get_string(type, NULL) : NULL;
	uint16_t offset;
	gsize n = 0;
	const guint8 *bytes = g_variant_get_fixed_array(value, &n, 1);

	if (!t)
		t = c->writable ? "request" : c->write_cmd ? "command" : "";
	if (!parse_offset(opts, &offset) ||
		(type && strcmp(t, "request") && strcmp(t, "command") &&
			strcmp(t, "reliable"))) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
	} else if (!d->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
	} else if (!*t) {
		sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
	} else if (!strcmp(t, "command")) {
		svc_call_return(call, NULL);
		if (c->write_cmd)
			dut_written(c, bytes, n);
	} else if (!c->writable) {
		sim_reply_error(call, SIM_ERR_WRITE_NOT_PERMITTED);
	} else if (!dut_refuses(call, c)) {
		svc_call_return(call, NULL);
		dut_written(c, bytes, n);
	}
	if (type)
		g_variant_unref(type);
	g_variant_unref(opts);
	g_variant_unref(value);
}

/* ---- notify sessions ---------------------------------------------------- */

static int client_index(struct sim_chr *c, const char *owner)
{
	for (guint i = 0; i < c->clients->len; i++)
		if (!strcmp(g_ptr_array_index(c->clients, i), owner))
			return (int)i;
	return -1;
}

static void remove_client(struct sim_chr *c, int i)
{
	struct sim_adapter *adapter = c->dev->adapter;

	bus_unwatch_name(adapter->bus,
		g_array_index(c->client_watches, guint, i));
	g_array_remove_index(c->client_watches, i);
	g_ptr_array_remove_index(c->clients, i);
	if (c->clients->len == 0) {
		if (c->dev->connected && c == &c->dev->temp && c->notify_fd < 0)
			sim_dut_write_cccd(adapter->dut, c->dev->link_addr,
				0x0000);
		chr_changed(c, "Notifying");
	}
}

/* The first subscriber on a live link: the CCCD goes to the DUT. */
static void subscribe(struct sim_chr *c)
{
	struct sim_device *d = c->dev;
	struct sim_adapter *adapter = d->adapter;

	if (!d->connected || c != &d->temp)
		return;
	sim_dut_write_cccd(adapter->dut, d->link_addr, 0x0001);
	sim_after(adapter, d, adapter->t.notify_ms, dut_notifies);
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
		remove_client(r->chr, i);
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
	/*
	 * Disconnected: the session is kept and the CCCD written when the
	 * link is back (real 5.66; gatt-client.c registers it on connect)
	 */
	r = g_new0(struct client_ref, 1);
	r->chr = c;
	r->owner = g_strdup(owner);
	w = bus_watch_name(adapter->bus, owner, client_gone, r,
		client_ref_free);
	g_ptr_array_add(c->clients, g_strdup(owner));
	g_array_append_val(c->client_watches, w);
	if (c->clients->len == 1) {
		chr_changed(c, "Notifying");
		if (c->notify_fd < 0)
			subscribe(c);
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
	remove_client(c, i);
	svc_call_return(call, NULL);
}

/* ---- AcquireNotify / AcquireWrite ----------------------------------------- */

static uint16_t mtu(void)
{
	/* the exchange: the smaller of what each side offers */
	return MIN(BLUEZ_MTU, DUT_MTU);
}

static void release_notify(struct sim_chr *c)
{
	struct sim_adapter *adapter = c->dev->adapter;

	if (c->notify_fd < 0)
		return;
	/* 0: called from the source itself, which is going */
	if (c->notify_src)
		g_source_remove(c->notify_src);
	close(c->notify_fd);
	c->notify_fd = -1;
	c->notify_src = 0;
	if (c->dev->connected && c->clients->len == 0)
		sim_dut_write_cccd(adapter->dut, c->dev->link_addr, 0x0000);
	chr_changed(c, "NotifyAcquired");
}

static void release_write(struct sim_chr *c)
{
	if (c->write_fd < 0)
		return;
	if (c->write_src)
		g_source_remove(c->write_src);
	close(c->write_fd);
	c->write_fd = -1;
	c->write_src = 0;
	chr_changed(c, "WriteAcquired");
}

/* The client closed its end (or wrote into a notify socket: ignored). */
static gboolean notify_fd_event(int fd, GIOCondition cond, void *data)
{
	struct sim_chr *c = data;
	char buf[64];

	if (!(cond & (G_IO_HUP | G_IO_ERR)) && read(fd, buf, sizeof(buf)) > 0)
		return G_SOURCE_CONTINUE;
	c->notify_src = 0;
	release_notify(c);
	return G_SOURCE_REMOVE;
}

/* A packet from the client: a Write Command to the DUT. */
static gboolean write_fd_event(int fd, GIOCondition cond, void *data)
{
	struct sim_chr *c = data;
	guint8 buf[BLUEZ_MTU];
	ssize_t n = 0;

	if (cond & G_IO_IN)
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0) {
		if (c->dev->connected)
			dut_written(c, buf, (gsize)n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	c->write_src = 0;
	release_write(c);
	return G_SOURCE_REMOVE;
}

/* A socket pair (SOCK_SEQPACKET, as bluetoothd's): ours in *@mine. */
static bool pair_of_sockets(struct svc_call *call, int *mine, int *theirs)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
		return false;
	}
	*mine = sv[0];
	*theirs = sv[1];
	return true;
}

static void m_acquire_notify(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	int theirs;

	(void)args;
	if (!c->can_notify) {
		sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
	} else if (!c->dev->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
	} else if (c->notify_fd >= 0 || c->clients->len > 0) {
		/* gatt-client.c: one way of notifying at a time */
		sim_reply_error(call, SIM_ERR_IN_PROGRESS);
	} else if (pair_of_sockets(call, &c->notify_fd, &theirs)) {
		c->notify_src = g_unix_fd_add(c->notify_fd,
			G_IO_IN | G_IO_HUP | G_IO_ERR, notify_fd_event, c);
		chr_changed(c, "NotifyAcquired");
		subscribe(c);
		svc_call_return_fd(call, theirs, mtu());
	}
}

static void m_acquire_write(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_chr *c = data;
	int theirs;

	(void)args;
	if (!c->write_cmd) {
		sim_reply_error(call, SIM_ERR_NOT_SUPPORTED);
	} else if (!c->dev->connected) {
		sim_reply_error(call, SIM_ERR_NOT_CONNECTED);
	} else if (c->write_fd >= 0) {
		sim_reply_error(call, SIM_ERR_IN_PROGRESS);
	} else if (pair_of_sockets(call, &c->write_fd, &theirs)) {
		c->write_src = g_unix_fd_add(c->write_fd,
			G_IO_IN | G_IO_HUP | G_IO_ERR, write_fd_event, c);
		chr_changed(c, "WriteAcquired");
		svc_call_return_fd(call, theirs, mtu());
	}
}

void sim_gatt_link_down(struct sim_device *d)
{
	release_notify(&d->temp);
	release_write(&d->reboot);
}

/* ---- the CCCD ----------------------------------------------------------- */

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
	/* what the DUT itself holds for us: its memory of our subscription;
	 * Service Changed's: bluetoothd subscribes to its indications */
	v = GUINT16_TO_LE(c == &d->svc_changed ?
				  0x0002 :
				  sim_dut_cccd(adapter->dut, d->link_addr));
	g_byte_array_set_size(c->desc_value, 0);
	g_byte_array_append(c->desc_value, (const guint8 *)&v, 2);
	c->desc_known = true;
	service_changed(adapter->svc, c->desc_path, BLUEZ_IFACE_GATT_DESC,
		"Value");
	svc_call_return(call,
		g_variant_new("(@ay)", sim_bytes_variant(c->desc_value)));
}

static void m_desc_write(struct svc_call *call, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	/* gatt-client.c: CCCDs are only written through StartNotify */
	sim_reply_error(call, SIM_ERR_WRITE_NOT_PERMITTED);
}

/* ---- properties --------------------------------------------------------- */

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

/* Value is always there, empty until read or notified (gatt-client.c
 * characteristic_value_exists reads the local cache) */
static GVariant *chr_value(void *data, const char *name G_GNUC_UNUSED)
{
	return sim_bytes_variant(((struct sim_chr *)data)->value);
}

static GVariant *chr_notify_acquired(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_chr *c = data;

	return c->can_notify ? g_variant_new_boolean(c->notify_fd >= 0) : NULL;
}

static GVariant *chr_write_acquired(void *data, const char *name G_GNUC_UNUSED)
{
	struct sim_chr *c = data;

	return c->write_cmd ? g_variant_new_boolean(c->write_fd >= 0) : NULL;
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
	return g_variant_new_uint16(mtu());
}

static GVariant *desc_uuid(void *data G_GNUC_UNUSED,
	const char *name G_GNUC_UNUSED)
{
	return g_variant_new_string(SIM_UUID_CCCD);
}

static GVariant *desc_characteristic(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_object_path(((struct sim_chr *)data)->path);
}

static GVariant *desc_value(void *data, const char *name G_GNUC_UNUSED)
{
	return sim_bytes_variant(((struct sim_chr *)data)->desc_value);
}

static GVariant *desc_handle(void *data, const char *name G_GNUC_UNUSED)
{
	return g_variant_new_uint16(((struct sim_chr *)data)->desc_handle);
}

/*
 * Two sets of tables: 5.66's client side has no Handle (the default and
 * bluez-version=5.64); bluez-version=5.83 shows it.
 */
#define SERVICE_PROPS                                      \
	{ "UUID", "s", service_uuid, NULL },               \
		{ "Device", "o", service_device, NULL },   \
		{ "Primary", "b", service_primary, NULL }, \
	{                                                  \
		"Includes", "ao", service_includes, NULL   \
	}

static const struct svc_property service_props[] = {
	SERVICE_PROPS,
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property service_props_handle[] = {
	SERVICE_PROPS,
	{ "Handle", "q", service_handle, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface service_iface = {
	BLUEZ_IFACE_GATT_SERVICE,
	NULL,
	service_props,
	NULL,
};

static const struct svc_interface service_iface_handle = {
	BLUEZ_IFACE_GATT_SERVICE,
	NULL,
	service_props_handle,
	NULL,
};

static const struct svc_method chr_methods[] = {
	{ "ReadValue", "a{sv}", "ay", m_read, "options value" },
	{ "WriteValue", "aya{sv}", "", m_write, "value options" },
	{ "AcquireWrite", "a{sv}", "hq", m_acquire_write, "options fd mtu" },
	{ "AcquireNotify", "a{sv}", "hq", m_acquire_notify, "options fd mtu" },
	{ "StartNotify", "", "", m_start_notify, NULL },
	{ "StopNotify", "", "", m_stop_notify, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

#define CHR_PROPS                                                     \
	{ "UUID", "s", chr_uuid, NULL },                              \
		{ "Service", "o", chr_service, NULL },                \
		{ "Value", "ay", chr_value, NULL },                   \
		{ "WriteAcquired", "b", chr_write_acquired, NULL },   \
		{ "NotifyAcquired", "b", chr_notify_acquired, NULL }, \
		{ "Notifying", "b", chr_notifying, NULL },            \
		{ "Flags", "as", chr_flags, NULL },                   \
	{                                                             \
		"MTU", "q", chr_mtu, NULL                             \
	}

static const struct svc_property chr_props[] = {
	CHR_PROPS,
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property chr_props_handle[] = {
	CHR_PROPS,
	{ "Handle", "q", chr_handle, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface chr_iface = {
	BLUEZ_IFACE_GATT_CHRC,
	chr_methods,
	chr_props,
	NULL,
};

static const struct svc_interface chr_iface_handle = {
	BLUEZ_IFACE_GATT_CHRC,
	chr_methods,
	chr_props_handle,
	NULL,
};

static const struct svc_method desc_methods[] = {
	{ "ReadValue", "a{sv}", "ay", m_desc_read, "options value" },
	{ "WriteValue", "aya{sv}", "", m_desc_write, "value options" },
	{ NULL, NULL, NULL, NULL, NULL },
};

#define DESC_PROPS                                                    \
	{ "UUID", "s", desc_uuid, NULL },                             \
		{ "Characteristic", "o", desc_characteristic, NULL }, \
	{                                                             \
		"Value", "ay", desc_value, NULL                       \
	}

static const struct svc_property desc_props[] = {
	DESC_PROPS,
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property desc_props_handle[] = {
	DESC_PROPS,
	{ "Handle", "q", desc_handle, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface desc_iface = {
	BLUEZ_IFACE_GATT_DESC,
	desc_methods,
	desc_props,
	NULL,
};

static const struct svc_interface desc_iface_handle = {
	BLUEZ_IFACE_GATT_DESC,
	desc_methods,
	desc_props_handle,
	NULL,
};

/* ---- the database ------------------------------------------------------- */

static void svc_init(struct sim_svc *s, struct sim_device *d, const char *uuid,
	uint16_t handle)
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
	c->notify_fd = c->write_fd = -1;
}

static void chr_clear_clients(struct sim_chr *c)
{
	for (guint i = 0; i < c->client_watches->len; i++)
		bus_unwatch_name(c->dev->adapter->bus,
			g_array_index(c->client_watches, guint, i));
	g_array_set_size(c->client_watches, 0);
	g_ptr_array_set_size(c->clients, 0);
}

static void chr_free(struct sim_chr *c)
{
	release_notify(c);
	release_write(c);
	chr_clear_clients(c);
	g_ptr_array_free(c->clients, TRUE);
	g_array_free(c->client_watches, TRUE);
	g_byte_array_free(c->value, TRUE);
	g_byte_array_free(c->desc_value, TRUE);
	g_free(c->path);
	g_free(c->desc_path);
}

/*
 * MicroPython's bonding example on NimBLE: GAP (0x0001-0x0005: Device Name,
 * Appearance) and GATT (0x0006-0x0009: Service Changed, indicate, and its
 * CCCD) as the stack puts them first, then Environmental Sensing with
 * Temperature (read needs encryption; notify, indicate; its CCCD), and the
 * vendor service whose characteristic reboots the DUT.
 */
void sim_gatt_init(struct sim_device *d)
{
	svc_init(&d->gap, d, SIM_UUID_GAP, 0x0001);
	svc_init(&d->gatt, d, SIM_UUID_GATT, 0x0006);
	svc_init(&d->ess, d, SIM_UUID_ESS, 0x000a);
	svc_init(&d->vendor, d, SIM_UUID_VENDOR_SVC, 0x000e);
	chr_init(&d->svc_changed, &d->gatt, SIM_UUID_SVC_CHANGED, 0x0007,
		flags_svc_changed);
	d->svc_changed.can_notify = true;
	d->svc_changed.desc_handle = 0x0009;
	d->svc_changed.desc_path = g_strdup_printf("%s/desc%04x",
		d->svc_changed.path, d->svc_changed.desc_handle);
	chr_init(&d->temp, &d->ess, SIM_UUID_TEMP, 0x000b, flags_temp);
	d->temp.needs_encryption = true;
	d->temp.can_notify = true;
	d->temp.readable = true;
	d->temp.desc_handle = 0x000d;
	d->temp.desc_path = g_strdup_printf("%s/desc%04x", d->temp.path,
		d->temp.desc_handle);
	chr_init(&d->reboot, &d->vendor, SIM_UUID_REBOOT, 0x000f, flags_reboot);
	d->reboot.is_reboot = true;
	d->reboot.writable = true;
	d->reboot.write_cmd = true;
}

void sim_gatt_free(struct sim_device *d)
{
	chr_free(&d->svc_changed);
	chr_free(&d->temp);
	chr_free(&d->reboot);
	g_free(d->gap.path);
	g_free(d->gatt.path);
	g_free(d->ess.path);
	g_free(d->vendor.path);
}

GVariant *sim_gatt_uuids(struct sim_device *d)
{
	const char *u[] = { d->gap.uuid, d->gatt.uuid, d->ess.uuid,
		d->vendor.uuid };

	return g_variant_new_strv(u, G_N_ELEMENTS(u));
}

void sim_gatt_export(struct sim_device *d)
{
	struct service *svc = d->adapter->svc;
	bool h = sim_bluez_minor(d->adapter) >= 83;
	const struct svc_interface *si = h ? &service_iface_handle :
	                                     &service_iface;
	const struct svc_interface *ci = h ? &chr_iface_handle : &chr_iface;
	const struct svc_interface *di = h ? &desc_iface_handle : &desc_iface;

	if (d->gatt_exported)
		return;
	d->gatt_exported = true;
	/* GAP is the gap plugin's (src/gatt-client.c skips claimed services) */
	service_add_interface(svc, d->gatt.path, si, &d->gatt);
	service_add_interface(svc, d->svc_changed.path, ci, &d->svc_changed);
	service_add_interface(svc, d->svc_changed.desc_path, di,
		&d->svc_changed);
	service_add_interface(svc, d->ess.path, si, &d->ess);
	service_add_interface(svc, d->temp.path, ci, &d->temp);
	service_add_interface(svc, d->temp.desc_path, di, &d->temp);
	service_add_interface(svc, d->vendor.path, si, &d->vendor);
	service_add_interface(svc, d->reboot.path, ci, &d->reboot);
	sim_device_changed(d, "UUIDs");
}

void sim_gatt_unexport(struct sim_device *d)
{
	struct service *svc = d->adapter->svc;

	if (!d->gatt_exported)
		return;
	d->gatt_exported = false;
	/* the client's notify sessions go with the attribute database */
	sim_gatt_link_down(d);
	chr_clear_clients(&d->svc_changed);
	chr_clear_clients(&d->temp);
	d->temp.value_known = d->temp.desc_known = false;
	d->reboot.value_known = false;
	g_byte_array_set_size(d->temp.value, 0);
	g_byte_array_set_size(d->temp.desc_value, 0);
	g_byte_array_set_size(d->svc_changed.desc_value, 0);
	service_remove_object(svc, d->reboot.path);
	service_remove_object(svc, d->vendor.path);
	service_remove_object(svc, d->temp.desc_path);
	service_remove_object(svc, d->temp.path);
	service_remove_object(svc, d->ess.path);
	service_remove_object(svc, d->svc_changed.desc_path);
	service_remove_object(svc, d->svc_changed.path);
	service_remove_object(svc, d->gatt.path);
	sim_device_changed(d, "UUIDs");
}
