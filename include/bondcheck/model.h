/* SPDX-License-Identifier: MIT */
/*
 * model.h — an in-memory model of a D-Bus object tree (objects, interfaces,
 * properties) with change notification. Pure data: no D-Bus. The mirror
 * (bus/mirror.c) keeps one in step with org.bluez; tests and fuzzers feed one
 * by hand. Property values are GVariants owned by the model.
 */
#ifndef BONDCHECK_MODEL_H
#define BONDCHECK_MODEL_H

#include <stdbool.h>
#include <glib.h>

struct model;

enum model_event_type {
	MODEL_EVENT_RESET,       /* everything cleared */
	MODEL_EVENT_SYNCED,      /* a full snapshot was loaded */
	MODEL_EVENT_IFACE_ADDED, /* value: a{sv} of its properties */
	MODEL_EVENT_IFACE_REMOVED,
	MODEL_EVENT_PROP_CHANGED, /* value: new value, NULL if invalidated */
	MODEL_EVENT_SIGNAL,       /* name: member, value: argument tuple */
};

const char *model_event_type_to_str(enum model_event_type type);

struct model_event {
	enum model_event_type type;
	const char *path;
	const char *iface;
	const char *name;
	GVariant *value;
	GVariant *old; /* PROP_CHANGED: previous value or NULL */
};

typedef void (*model_watch_fn)(const struct model_event *ev, void *user_data);

struct model *model_new(void);
void model_free(struct model *m);

guint model_watch(struct model *m, model_watch_fn fn, void *user_data,
	GDestroyNotify destroy);
void model_unwatch(struct model *m, guint id);

/* Updates. Each checks the shape of what it is given and returns false
 * (changing nothing) when it is wrong. */
void model_reset(struct model *m);
bool model_load(struct model *m, GVariant *objects); /* a{oa{sa{sv}}} */
bool model_add(struct model *m, const char *path,
	GVariant *ifaces); /* a{sa{sv}} */
bool model_remove(struct model *m, const char *path, GVariant *ifaces); /* as */
bool model_change(struct model *m, const char *path, const char *iface,
	GVariant *changed, GVariant *invalidated); /* a{sv}, as */
void model_signal(struct model *m, const char *path, const char *iface,
	const char *member, GVariant *args);
/* Set one property (tests, the simulator's own model). Sinks @value. */
void model_set(struct model *m, const char *path, const char *iface,
	const char *name, GVariant *value);

/* Queries. Returned values and strings are borrowed from the model. */
bool model_has(struct model *m, const char *path, const char *iface);
GVariant *model_prop(struct model *m, const char *path, const char *iface,
	const char *name);
bool model_bool(struct model *m, const char *path, const char *iface,
	const char *name, bool *out);
const char *model_str(struct model *m, const char *path, const char *iface,
	const char *name);
/* Paths having @iface (below @under, if given), sorted. Free the array. */
GPtrArray *model_find(struct model *m, const char *iface, const char *under);
guint model_size(struct model *m);

#endif
