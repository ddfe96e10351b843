/* SPDX-License-Identifier: MIT */
/*
 * model.c — the object-tree model. Owns every property value it stores.
 * Never trusts the shape of what it is fed; never calls out while its own
 * tables are being modified (events are sent after each update is applied).
 */
#include <string.h>

#include "bondcheck/model.h"

struct mobj {
	char *path;
	GHashTable *ifaces; /* name -> GHashTable (prop -> GVariant) */
};

struct mwatch {
	guint id;
	model_watch_fn fn;
	void *user_data;
	GDestroyNotify destroy;
	bool removed;
};

struct model {
	GHashTable *objects; /* path -> struct mobj */
	GPtrArray *watches;
	guint next_id;
	int iterating;
};

const char *model_event_type_to_str(enum model_event_type type)
{
	switch (type) {
	case MODEL_EVENT_RESET: return "reset";
	case MODEL_EVENT_SYNCED: return "synced";
	case MODEL_EVENT_IFACE_ADDED: return "interface-added";
	case MODEL_EVENT_IFACE_REMOVED: return "interface-removed";
	case MODEL_EVENT_PROP_CHANGED: return "property-changed";
	case MODEL_EVENT_SIGNAL: return "signal";
	}
	return "unknown";
}

static void mobj_free(void *data)
{
	struct mobj *o = data;

	g_hash_table_destroy(o->ifaces);
	g_free(o->path);
	g_free(o);
}

static GHashTable *props_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		(GDestroyNotify)g_variant_unref);
}

static void watch_free(void *data)
{
	g_free(data);
}

struct model *model_new(void)
{
	struct model *m = g_new0(struct model, 1);

	m->objects = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		mobj_free);
	m->watches = g_ptr_array_new_with_free_func(watch_free);
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (guint i = 0; i < m->watches->len; i++) {
		struct mwatch *w = g_ptr_array_index(m->watches, i);

		if (!w->removed && w->destroy)
			w->destroy(w->user_data);
	}
	g_ptr_array_free(m->watches, TRUE);
	g_hash_table_destroy(m->objects);
	g_free(m);
}

guint model_watch(struct model *m, model_watch_fn fn, void *user_data,
	GDestroyNotify destroy)
{
	struct mwatch *w = g_new0(struct mwatch, 1);

	if (++m->next_id == 0)
		m->next_id = 1;
	w->id = m->next_id;
	w->fn = fn;
	w->user_data = user_data;
	w->destroy = destroy;
	g_ptr_array_add(m->watches, w);
	return w->id;
}

static void gc(struct model *m)
{
	if (m->iterating)
		return;
	for (guint i = m->watches->len; i-- > 0;)
		if (((struct mwatch *)g_ptr_array_index(m->watches, i))->removed)
			g_ptr_array_remove_index(m->watches, i);
}

void model_unwatch(struct model *m, guint id)
{
	for (guint i = 0; i < m->watches->len; i++) {
		struct mwatch *w = g_ptr_array_index(m->watches, i);

		if (w->id == id && !w->removed) {
			w->removed = true;
			if (w->destroy)
				w->destroy(w->user_data);
			break;
		}
	}
	gc(m);
}

static void emit(struct model *m, enum model_event_type type, const char *path,
	const char *iface, const char *name, GVariant *value, GVariant *old)
{
	struct model_event ev = { type, path, iface, name, value, old };

	m->iterating++;
	for (guint i = 0; i < m->watches->len; i++) {
		struct mwatch *w = g_ptr_array_index(m->watches, i);

		if (!w->removed)
			w->fn(&ev, w->user_data);
	}
	m->iterating--;
	gc(m);
}

void model_reset(struct model *m)
{
	g_hash_table_remove_all(m->objects);
	emit(m, MODEL_EVENT_RESET, NULL, NULL, NULL, NULL, NULL);
}

static struct mobj *get_obj(struct model *m, const char *path, bool create)
{
	struct mobj *o = g_hash_table_lookup(m->objects, path);

	if (!o && create) {
		o = g_new0(struct mobj, 1);
		o->path = g_strdup(path);
		o->ifaces = g_hash_table_new_full(g_str_hash, g_str_equal,
			g_free, (GDestroyNotify)g_hash_table_destroy);
		g_hash_table_insert(m->objects, o->path, o);
	}
	return o;
}

static bool add_ifaces(struct model *m, const char *path, GVariant *ifaces)
{
	struct mobj *o;
	GVariantIter it;
	const char *iname;
	GVariant *props;

	if (!g_variant_is_object_path(path) ||
		!g_variant_is_of_type(ifaces, G_VARIANT_TYPE("a{sa{sv}}")))
		return false;
	o = get_obj(m, path, true);

	g_variant_iter_init(&it, ifaces);
	while (g_variant_iter_next(&it, "{&s@a{sv}}", &iname, &props)) {
		GHashTable *ph = props_new();
		GVariantIter pit;
		const char *pname;
		GVariant *val;

		g_variant_iter_init(&pit, props);
		while (g_variant_iter_next(&pit, "{&sv}", &pname, &val))
			g_hash_table_replace(ph, g_strdup(pname), val);
		g_hash_table_replace(o->ifaces, g_strdup(iname), ph);
		/* iname lives in @ifaces: safe even if a watcher resets us */
		emit(m, MODEL_EVENT_IFACE_ADDED, path, iname, NULL, props,
			NULL);
		g_variant_unref(props);
		/* a watcher may have reset the model: look the object up again */
		o = get_obj(m, path, true);
	}
	return true;
}

bool model_add(struct model *m, const char *path, GVariant *ifaces)
{
	return add_ifaces(m, path, ifaces);
}

bool model_load(struct model *m, GVariant *objects)
{
	GVariantIter it;
	const char *path;
	GVariant *ifaces;

	if (!g_variant_is_of_type(objects, G_VARIANT_TYPE("a{oa{sa{sv}}}")))
		return false;
	model_reset(m);
	g_variant_iter_init(&it, objects);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		add_ifaces(m, path, ifaces);
		g_variant_unref(ifaces);
	}
	emit(m, MODEL_EVENT_SYNCED, NULL, NULL, NULL, NULL, NULL);
	return true;
}

bool model_remove(struct model *m, const char *path, GVariant *ifaces)
{
	struct mobj *o;
	GVariantIter it;
	const char *iname;

	if (!g_variant_is_of_type(ifaces, G_VARIANT_TYPE("as")))
		return false;
	o = get_obj(m, path, false);
	if (!o)
		return true;
	g_variant_iter_init(&it, ifaces);
	while (g_variant_iter_next(&it, "&s", &iname)) {
		char *name;

		o = get_obj(m, path, false);
		if (!o || !g_hash_table_contains(o->ifaces, iname))
			continue;
		name = g_strdup(iname);
		g_hash_table_remove(o->ifaces, iname);
		if (g_hash_table_size(o->ifaces) == 0)
			g_hash_table_remove(m->objects, path);
		emit(m, MODEL_EVENT_IFACE_REMOVED, path, name, NULL, NULL,
			NULL);
		g_free(name);
	}
	return true;
}

static void change_one(struct model *m, const char *path, const char *iface,
	const char *name, GVariant *value)
{
	struct mobj *o = get_obj(m, path, false);
	GHashTable *ph = o ? g_hash_table_lookup(o->ifaces, iface) : NULL;
	GVariant *old;
	char *key;

	if (!ph)
		return;
	old = g_hash_table_lookup(ph, name);
	if (old)
		g_variant_ref(old);
	key = g_strdup(name);
	if (value)
		g_hash_table_replace(ph, g_strdup(name), g_variant_ref(value));
	else
		g_hash_table_remove(ph, name);
	/*
	 * Emitted even when the value is equal: BlueZ delivers notifications
	 * as a PropertiesChanged of Value, repeated values included.
	 */
	emit(m, MODEL_EVENT_PROP_CHANGED, path, iface, key, value, old);
	g_free(key);
	if (old)
		g_variant_unref(old);
}

bool model_change(struct model *m, const char *path, const char *iface,
	GVariant *changed, GVariant *invalidated)
{
	GVariantIter it;
	const char *name;
	GVariant *val;

	if ((changed &&
		    !g_variant_is_of_type(changed, G_VARIANT_TYPE("a{sv}"))) ||
		(invalidated && !g_variant_is_of_type(invalidated,
					G_VARIANT_TYPE("as"))))
		return false;
	if (changed) {
		g_variant_iter_init(&it, changed);
		while (g_variant_iter_next(&it, "{&sv}", &name, &val)) {
			change_one(m, path, iface, name, val);
			g_variant_unref(val);
		}
	}
	if (invalidated) {
		g_variant_iter_init(&it, invalidated);
		while (g_variant_iter_next(&it, "&s", &name))
			change_one(m, path, iface, name, NULL);
	}
	return true;
}

void model_set(struct model *m, const char *path, const char *iface,
	const char *name, GVariant *value)
{
	if (value)
		g_variant_ref_sink(value);
	change_one(m, path, iface, name, value);
	if (value)
		g_variant_unref(value);
}

void model_signal(struct model *m, const char *path, const char *iface,
	const char *member, GVariant *args)
{
	emit(m, MODEL_EVENT_SIGNAL, path, iface, member, args, NULL);
}

bool model_has(struct model *m, const char *path, const char *iface)
{
	struct mobj *o = path ? get_obj(m, path, false) : NULL;

	return o && (!iface || g_hash_table_contains(o->ifaces, iface));
}

GVariant *model_prop(struct model *m, const char *path, const char *iface,
	const char *name)
{
	struct mobj *o = path ? get_obj(m, path, false) : NULL;
	GHashTable *ph = o ? g_hash_table_lookup(o->ifaces, iface) : NULL;

	return ph ? g_hash_table_lookup(ph, name) : NULL;
}

bool model_bool(struct model *m, const char *path, const char *iface,
	const char *name, bool *out)
{
	GVariant *v = model_prop(m, path, iface, name);

	if (!v || !g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		return false;
	*out = g_variant_get_boolean(v);
	return true;
}

const char *model_str(struct model *m, const char *path, const char *iface,
	const char *name)
{
	GVariant *v = model_prop(m, path, iface, name);

	if (!v || !(g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ||
			  g_variant_is_of_type(v, G_VARIANT_TYPE_OBJECT_PATH)))
		return NULL;
	return g_variant_get_string(v, NULL);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *model_find(struct model *m, const char *iface, const char *under)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;
	size_t n = under ? strlen(under) : 0;

	g_hash_table_iter_init(&it, m->objects);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct mobj *o = v;

		if (iface && !g_hash_table_contains(o->ifaces, iface))
			continue;
		if (under &&
			!(strncmp(o->path, under, n) == 0 && o->path[n] == '/'))
			continue;
		g_ptr_array_add(out, o->path);
	}
	g_ptr_array_sort(out, cmp_str);
	return out;
}

guint model_size(struct model *m)
{
	return g_hash_table_size(m->objects);
}
