/* SPDX-License-Identifier: MIT */
/*
 * bluez_dbus.c — bluez_ops over D-Bus. Owns the translation of each
 * operation into a method call and of each reply into a bluez_reply. Checks
 * reply shapes (a ReadValue that does not answer "ay" is an error).
 */
#include "bondcheck/bcerror.h"
#include "bondcheck/bluez_dbus.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"

struct bluez_dbus {
	struct bus *bus;
};

struct op_call {
	enum bluez_op op;
	bluez_reply_fn fn;
	void *user_data;
	GDestroyNotify destroy;
};

const char *bluez_op_to_str(enum bluez_op op)
{
	switch (op) {
	case BLUEZ_OP_SET_DISCOVERY_FILTER: return "SetDiscoveryFilter";
	case BLUEZ_OP_START_DISCOVERY: return "StartDiscovery";
	case BLUEZ_OP_STOP_DISCOVERY: return "StopDiscovery";
	case BLUEZ_OP_REMOVE_DEVICE: return "RemoveDevice";
	case BLUEZ_OP_SET_POWERED: return "Set(Powered)";
	case BLUEZ_OP_SET_PAIRABLE: return "Set(Pairable)";
	case BLUEZ_OP_CONNECT: return "Connect";
	case BLUEZ_OP_DISCONNECT: return "Disconnect";
	case BLUEZ_OP_PAIR: return "Pair";
	case BLUEZ_OP_CANCEL_PAIRING: return "CancelPairing";
	case BLUEZ_OP_SET_TRUSTED: return "Set(Trusted)";
	case BLUEZ_OP_READ: return "ReadValue";
	case BLUEZ_OP_WRITE: return "WriteValue";
	case BLUEZ_OP_START_NOTIFY: return "StartNotify";
	case BLUEZ_OP_STOP_NOTIFY: return "StopNotify";
	case BLUEZ_OP_READ_DESC: return "ReadValue(descriptor)";
	case BLUEZ_OP_SIM_REBOOT: return "Sim1.Reboot";
	case BLUEZ_OP_SIM_REBOOT_KIND: return "Sim1.RebootKind";
	case BLUEZ_OP_SIM_SET_PRIVACY: return "Sim1.SetPrivacy";
	}
	return "unknown";
}

static const char *reply_type(enum bluez_op op)
{
	switch (op) {
	case BLUEZ_OP_READ:
	case BLUEZ_OP_READ_DESC: return "(ay)";
	case BLUEZ_OP_SET_DISCOVERY_FILTER:
	case BLUEZ_OP_START_DISCOVERY:
	case BLUEZ_OP_STOP_DISCOVERY:
	case BLUEZ_OP_REMOVE_DEVICE:
	case BLUEZ_OP_SET_POWERED:
	case BLUEZ_OP_SET_PAIRABLE:
	case BLUEZ_OP_CONNECT:
	case BLUEZ_OP_DISCONNECT:
	case BLUEZ_OP_PAIR:
	case BLUEZ_OP_CANCEL_PAIRING:
	case BLUEZ_OP_SET_TRUSTED:
	case BLUEZ_OP_WRITE:
	case BLUEZ_OP_START_NOTIFY:
	case BLUEZ_OP_STOP_NOTIFY:
	case BLUEZ_OP_SIM_REBOOT:
	case BLUEZ_OP_SIM_REBOOT_KIND:
	case BLUEZ_OP_SIM_SET_PRIVACY:
		return NULL; /* anything: we do not read it */
	}
	return NULL;
}

static void on_reply(DBusMessage *msg, void *data)
{
	struct op_call *c = data;
	struct bluez_reply r = { NULL, NULL, NULL, NULL };
	GError *err = NULL;
	const char *type = reply_type(c->op);

	if (msg_is_error(msg, &err)) {
		r.error_name = msg_error_name(msg);
		r.error_text = msg_error_text(msg);
	} else if (type) {
		msg_get_args(msg, type, &r.value, &err);
	} else {
		r.value = msg_body(msg, &err);
	}
	r.error = err;
	c->fn(&r, c->user_data);
	if (r.value)
		g_variant_unref(r.value);
	g_clear_error(&err);
}

static void op_call_free(void *data)
{
	struct op_call *c = data;

	if (c->destroy)
		c->destroy(c->user_data);
	g_free(c);
}

static GVariant *set_prop(const char *iface, const char *name, GVariant *v)
{
	return g_variant_new("(ssv)", iface, name, v);
}

/* What each operation's argument must look like (NULL: no argument). */
static const char *arg_type(enum bluez_op op)
{
	switch (op) {
	case BLUEZ_OP_SET_DISCOVERY_FILTER: return "a{sv}";
	case BLUEZ_OP_REMOVE_DEVICE: return "o";
	case BLUEZ_OP_SET_POWERED:
	case BLUEZ_OP_SET_PAIRABLE:
	case BLUEZ_OP_SET_TRUSTED:
	case BLUEZ_OP_SIM_SET_PRIVACY: return "b";
	case BLUEZ_OP_SIM_REBOOT_KIND: return "s";
	case BLUEZ_OP_WRITE: return "(ays)";
	case BLUEZ_OP_START_DISCOVERY:
	case BLUEZ_OP_STOP_DISCOVERY:
	case BLUEZ_OP_CONNECT:
	case BLUEZ_OP_DISCONNECT:
	case BLUEZ_OP_PAIR:
	case BLUEZ_OP_CANCEL_PAIRING:
	case BLUEZ_OP_READ:
	case BLUEZ_OP_START_NOTIFY:
	case BLUEZ_OP_STOP_NOTIFY:
	case BLUEZ_OP_READ_DESC:
	case BLUEZ_OP_SIM_REBOOT: return NULL;
	}
	return NULL;
}

static guint bd_call(void *backend, enum bluez_op op, const char *path,
	GVariant *arg, int timeout_ms, bluez_reply_fn fn, void *user_data,
	GDestroyNotify destroy)
{
	struct bluez_dbus *bd = backend;
	const char *want = arg_type(op);
	struct op_call *c;
	const char *dest = BLUEZ_SERVICE, *iface = NULL, *method = NULL;
	GVariant *args = NULL;
	GVariant *empty_opts;

	if (arg)
		g_variant_ref_sink(arg);
	if ((want && (!arg || !g_variant_is_of_type(arg,
				      G_VARIANT_TYPE(want)))) ||
		(!want && arg) || !msg_valid_path(path)) {
		/* a bug in the caller, not something a peer can cause */
		g_critical("%s: bad path or argument", bluez_op_to_str(op));
		if (arg)
			g_variant_unref(arg);
		if (destroy)
			destroy(user_data);
		return 0;
	}
	empty_opts = g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
	c = g_new0(struct op_call, 1);
	c->op = op;
	c->fn = fn;
	c->user_data = user_data;
	c->destroy = destroy;

	switch (op) {
	case BLUEZ_OP_SET_DISCOVERY_FILTER:
		iface = BLUEZ_IFACE_ADAPTER;
		method = "SetDiscoveryFilter";
		args = g_variant_new("(@a{sv})", arg ? arg : empty_opts);
		break;
	case BLUEZ_OP_START_DISCOVERY:
		iface = BLUEZ_IFACE_ADAPTER;
		method = "StartDiscovery";
		break;
	case BLUEZ_OP_STOP_DISCOVERY:
		iface = BLUEZ_IFACE_ADAPTER;
		method = "StopDiscovery";
		break;
	case BLUEZ_OP_REMOVE_DEVICE:
		iface = BLUEZ_IFACE_ADAPTER;
		method = "RemoveDevice";
		args = g_variant_new("(@o)", arg);
		break;
	case BLUEZ_OP_SET_POWERED:
	case BLUEZ_OP_SET_PAIRABLE:
		iface = DBUS_IFACE_PROPERTIES;
		method = "Set";
		args = set_prop(BLUEZ_IFACE_ADAPTER,
			op == BLUEZ_OP_SET_POWERED ? "Powered" : "Pairable",
			arg);
		break;
	case BLUEZ_OP_SET_TRUSTED:
		iface = DBUS_IFACE_PROPERTIES;
		method = "Set";
		args = set_prop(BLUEZ_IFACE_DEVICE, "Trusted", arg);
		break;
	case BLUEZ_OP_CONNECT:
		iface = BLUEZ_IFACE_DEVICE;
		method = "Connect";
		break;
	case BLUEZ_OP_DISCONNECT:
		iface = BLUEZ_IFACE_DEVICE;
		method = "Disconnect";
		break;
	case BLUEZ_OP_PAIR:
		iface = BLUEZ_IFACE_DEVICE;
		method = "Pair";
		break;
	case BLUEZ_OP_CANCEL_PAIRING:
		iface = BLUEZ_IFACE_DEVICE;
		method = "CancelPairing";
		break;
	case BLUEZ_OP_READ:
		iface = BLUEZ_IFACE_GATT_CHRC;
		method = "ReadValue";
		args = g_variant_new("(@a{sv})", empty_opts);
		break;
	case BLUEZ_OP_READ_DESC:
		iface = BLUEZ_IFACE_GATT_DESC;
		method = "ReadValue";
		args = g_variant_new("(@a{sv})", empty_opts);
		break;
	case BLUEZ_OP_WRITE: {
		GVariant *value = g_variant_get_child_value(arg, 0);
		const char *type;
		GVariantBuilder o;

		g_variant_get_child(arg, 1, "&s", &type);
		g_variant_builder_init(&o, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&o, "{sv}", "type",
			g_variant_new_string(type));
		iface = BLUEZ_IFACE_GATT_CHRC;
		method = "WriteValue";
		args = g_variant_new("(@aya{sv})", value, &o);
		g_variant_unref(value);
		break;
	}
	case BLUEZ_OP_START_NOTIFY:
		iface = BLUEZ_IFACE_GATT_CHRC;
		method = "StartNotify";
		break;
	case BLUEZ_OP_STOP_NOTIFY:
		iface = BLUEZ_IFACE_GATT_CHRC;
		method = "StopNotify";
		break;
	case BLUEZ_OP_SIM_REBOOT:
		iface = BC_SIM_IFACE;
		method = "Reboot";
		break;
	case BLUEZ_OP_SIM_REBOOT_KIND:
		iface = BC_SIM_IFACE;
		method = "RebootKind";
		args = g_variant_new("(@s)", arg);
		break;
	case BLUEZ_OP_SIM_SET_PRIVACY:
		iface = BC_SIM_IFACE;
		method = "SetPrivacy";
		args = g_variant_new("(@b)", arg);
		break;
	}
	/* the options dictionary was only needed by some operations */
	g_variant_unref(g_variant_ref_sink(empty_opts));
	if (arg)
		g_variant_unref(arg);
	return bus_call_method(bd->bus, dest, path, iface, method, args,
		timeout_ms, on_reply, c, op_call_free);
}

static void bd_cancel(void *backend, guint id)
{
	struct bluez_dbus *bd = backend;

	bus_cancel(bd->bus, id);
}

const struct bluez_ops bluez_dbus_ops = {
	.call = bd_call,
	.cancel = bd_cancel,
};

struct bluez_dbus *bluez_dbus_new(struct bus *bus)
{
	struct bluez_dbus *bd = g_new0(struct bluez_dbus, 1);

	bd->bus = bus_ref(bus);
	return bd;
}

void bluez_dbus_free(struct bluez_dbus *bd)
{
	if (!bd)
		return;
	bus_unref(bd->bus);
	g_free(bd);
}
