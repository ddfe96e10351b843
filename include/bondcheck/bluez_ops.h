/* SPDX-License-Identifier: MIT */
/*
 * bluez_ops.h — the seam between the engine and BlueZ: every call the
 * engine makes on org.bluez goes through one of these operations. The real
 * back end (bluez_dbus.c) sends D-Bus calls; tests plug in fakes. State comes
 * the other way, through a model (model.h) the back end keeps current.
 *
 * Every operation has the asynchronous shape of STYLE.md: it returns an id
 * > 0, calls @fn once with the outcome, then @destroy exactly once (also when
 * cancelled, in which case @fn is not called).
 */
#ifndef BONDCHECK_BLUEZ_OPS_H
#define BONDCHECK_BLUEZ_OPS_H

#include <glib.h>

enum bluez_op {
	BLUEZ_OP_SET_DISCOVERY_FILTER, /* adapter; arg: a{sv} */
	BLUEZ_OP_START_DISCOVERY,      /* adapter */
	BLUEZ_OP_STOP_DISCOVERY,       /* adapter */
	BLUEZ_OP_REMOVE_DEVICE,        /* adapter; arg: o (the device) */
	BLUEZ_OP_SET_POWERED,          /* adapter; arg: b */
	BLUEZ_OP_SET_PAIRABLE,         /* adapter; arg: b */
	BLUEZ_OP_CONNECT,              /* device */
	BLUEZ_OP_DISCONNECT,           /* device */
	BLUEZ_OP_PAIR,                 /* device */
	BLUEZ_OP_CANCEL_PAIRING,       /* device */
	BLUEZ_OP_SET_TRUSTED,          /* device; arg: b */
	BLUEZ_OP_READ,                 /* characteristic; reply (ay) */
	BLUEZ_OP_WRITE,           /* characteristic; arg: (ays) value, type */
	BLUEZ_OP_START_NOTIFY,    /* characteristic */
	BLUEZ_OP_STOP_NOTIFY,     /* characteristic */
	BLUEZ_OP_READ_DESC,       /* descriptor; reply (ay) */
	BLUEZ_OP_SIM_REBOOT,      /* org.bondcheck.Sim1.Reboot on the sim */
	BLUEZ_OP_SIM_REBOOT_KIND, /* Sim1.RebootKind; arg: s */
	BLUEZ_OP_SIM_SET_PRIVACY, /* Sim1.SetPrivacy; arg: b */
};

const char *bluez_op_to_str(enum bluez_op op);

struct bluez_reply {
	GVariant *value;        /* reply body (a tuple) when no error */
	const GError *error;    /* NULL on success; code from bcerror.h */
	const char *error_name; /* the D-Bus error name, or NULL */
	const char *error_text; /* its message, or NULL */
};

typedef void (*bluez_reply_fn)(const struct bluez_reply *reply,
	void *user_data);

struct bluez_ops {
	guint (*call)(void *backend, enum bluez_op op, const char *path,
		GVariant *arg, int timeout_ms, bluez_reply_fn fn,
		void *user_data, GDestroyNotify destroy);
	void (*cancel)(void *backend, guint id);
};

#endif
