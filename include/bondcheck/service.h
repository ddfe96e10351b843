/* SPDX-License-Identifier: MIT */
/*
 * service.h — exporting objects on a bus connection (the agent, the
 * simulator's BlueZ, the daemon).
 *
 * Semantics follow BlueZ's gdbus: property changes and added interfaces are
 * batched per object and flushed on idle, and always before any reply or
 * signal leaves, so a client sees PropertiesChanged before the reply of the
 * call that caused it. Each method call is answered exactly once; calls still
 * unanswered when the service is freed get an error reply.
 *
 * Errors sent by the dispatcher itself, with the texts libdbus and BlueZ's
 * gdbus send:
 *   org.freedesktop.DBus.Error.UnknownObject    no object at that path
 *   org.freedesktop.DBus.Error.UnknownMethod    no such method/signature
 *   org.freedesktop.DBus.Error.InvalidArgs      Properties.* on unknown
 *                                               interface/property
 *   org.freedesktop.DBus.Error.PropertyReadOnly Set on a read-only property
 *   org.freedesktop.DBus.Error.InvalidSignature Set with a value of another
 *                                               type
 *
 * Like gdbus, an object has org.freedesktop.DBus.Properties only when one of
 * its interfaces has properties, and InterfacesAdded/InterfacesRemoved name
 * the standard interfaces too when the object itself comes and goes.
 */
#ifndef BONDCHECK_SERVICE_H
#define BONDCHECK_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/bus.h"

struct service;
struct svc_call;

typedef void (*svc_method_fn)(struct svc_call *call, GVariant *args,
	void *data);
/* Return a new or floating value, or NULL when the property is absent. */
typedef GVariant *(*svc_get_fn)(void *data, const char *name);
/* Answer @call (svc_call_return with NULL, or svc_call_error). */
typedef void (*svc_set_fn)(struct svc_call *call, const char *name,
	GVariant *value, void *data);

struct svc_method {
	const char *name;
	const char *in; /* D-Bus signature of the arguments, "" for none */
	const char *out;
	svc_method_fn fn;
	/* the arguments' names for Introspect, in then out, space-separated
	 * ("options fd mtu"); NULL: unnamed */
	const char *args;
};

struct svc_property {
	const char *name;
	const char *type;
	svc_get_fn get;
	svc_set_fn set; /* NULL: read-only */
};

struct svc_signal {
	const char *name;
	const char *type;
	const char *args; /* names, space-separated; NULL: unnamed */
};

struct svc_interface {
	const char *name;
	const struct svc_method *methods;      /* NULL-name terminated */
	const struct svc_property *properties; /* NULL-name terminated */
	const struct svc_signal *signals;      /* NULL-name terminated */
};

struct service *service_new(struct bus *bus);
void service_free(struct service *svc);
struct bus *service_bus(struct service *svc);

/* An ObjectManager at @path reports every object below it. */
void service_add_object_manager(struct service *svc, const char *path);

bool service_add_interface(struct service *svc, const char *path,
	const struct svc_interface *iface, void *data);
void service_remove_interface(struct service *svc, const char *path,
	const char *iface);
void service_remove_object(struct service *svc, const char *path);
bool service_has_interface(struct service *svc, const char *path,
	const char *iface);

/* Mark a property changed; emitted at the next flush. */
void service_changed(struct service *svc, const char *path, const char *iface,
	const char *name);
void service_flush(struct service *svc);

/* Emit a signal (pending changes are flushed first). Sinks @args. */
void service_emit(struct service *svc, const char *path, const char *iface,
	const char *name, GVariant *args);

const char *svc_call_sender(struct svc_call *call);
const char *svc_call_path(struct svc_call *call);
const char *svc_call_member(struct svc_call *call);
void svc_call_return(struct svc_call *call, GVariant *ret);
/* Answer with (h, q): @fd is passed to the caller and closed here (a
 * connection that cannot pass descriptors gets an error instead). */
void svc_call_return_fd(struct svc_call *call, int fd, uint16_t value);
/* The error's text is cut to SVC_ERROR_TEXT_MAX bytes ("..." at the end),
 * a backstop: a text that quotes a caller quotes bcerror_quote() of it. */
#define SVC_ERROR_TEXT_MAX 65536
void svc_call_error(struct svc_call *call, const char *name, const char *fmt,
	...) G_GNUC_PRINTF(3, 4);

#endif
