/* SPDX-License-Identifier: MIT */
/*
 * service.c — exported objects on one connection.
 *
 * Owns the object table, method dispatch, the Properties, ObjectManager and
 * Introspectable interfaces, and the batching of change signals. Never owns
 * interface data (callers remove their interfaces before freeing it) and
 * never leaves a method call unanswered.
 */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/service.h"

struct iface_inst {
	const struct svc_interface *desc;
	void *data;
	GPtrArray *dirty; /* property names (from desc) changed */
	bool pending_add;
};

struct object {
	char *path;
	GPtrArray *ifaces; /* struct iface_inst */
	bool queued;
	bool announced; /* its InterfacesAdded went out */
};

struct svc_call {
	struct service *svc;
	DBusMessage *msg;
};

struct service {
	struct bus *bus;
	GHashTable *objects; /* path -> struct object */
	GQueue dirty;        /* struct object *, in order of first change */
	GPtrArray *managers; /* object manager paths */
	GHashTable *calls;   /* outstanding struct svc_call */
	guint flush_idle;
};

static const struct svc_interface *find_desc(struct object *o, const char *name,
	struct iface_inst **out)
{
	for (guint i = 0; i < o->ifaces->len; i++) {
		struct iface_inst *ii = g_ptr_array_index(o->ifaces, i);

		if (strcmp(ii->desc->name, name) == 0) {
			if (out)
				*out = ii;
			return ii->desc;
		}
	}
	return NULL;
}

static const struct svc_property *find_prop(const struct svc_interface *d,
	const char *name)
{
	for (const struct svc_property *p = d->properties; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void iface_inst_free(void *data)
{
	struct iface_inst *ii = data;

	g_ptr_array_free(ii->dirty, TRUE);
	g_free(ii);
}

static void object_free(void *data)
{
	struct object *o = data;

	g_ptr_array_free(o->ifaces, TRUE);
	g_free(o->path);
	g_free(o);
}

/* ---- calls -------------------------------------------------------------- */

static struct svc_call *call_new(struct service *svc, DBusMessage *msg)
{
	struct svc_call *c = g_new0(struct svc_call, 1);

	c->svc = svc;
	c->msg = dbus_message_ref(msg);
	g_hash_table_add(svc->calls, c);
	return c;
}

static void call_finish(struct svc_call *c, DBusMessage *reply)
{
	if (reply && !dbus_message_get_no_reply(c->msg))
		bus_send(c->svc->bus, reply);
	if (reply)
		dbus_message_unref(reply);
	g_hash_table_remove(c->svc->calls, c);
	dbus_message_unref(c->msg);
	g_free(c);
}

const char *svc_call_sender(struct svc_call *call)
{
	return dbus_message_get_sender(call->msg);
}

const char *svc_call_path(struct svc_call *call)
{
	return dbus_message_get_path(call->msg);
}

const char *svc_call_member(struct svc_call *call)
{
	return dbus_message_get_member(call->msg);
}

void svc_call_return(struct svc_call *call, GVariant *ret)
{
	DBusMessage *reply = dbus_message_new_method_return(call->msg);
	GError *err = NULL;

	if (!msg_append(reply, ret, &err)) {
		g_warning("bad reply to %s: %s", svc_call_member(call),
			err->message);
		dbus_message_unref(reply);
		reply = dbus_message_new_error(call->msg, DBUS_ERR_FAILED,
			"internal error building the reply");
		g_error_free(err);
	}
	call_finish(call, reply);
}

void svc_call_return_fd(struct svc_call *call, int fd, uint16_t value)
{
	DBusMessage *reply = dbus_message_new_method_return(call->msg);
	dbus_uint16_t q = value;

	/* libdbus duplicates the descriptor; ours is closed here */
	if (!dbus_message_append_args(reply, DBUS_TYPE_UNIX_FD, &fd,
		    DBUS_TYPE_UINT16, &q, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = dbus_message_new_error(call->msg, DBUS_ERR_FAILED,
			"cannot pass a file descriptor");
	}
	close(fd);
	call_finish(call, reply);
}

void svc_call_error(struct svc_call *call, const char *name, const char *fmt,
	...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (strlen(text) > SVC_ERROR_TEXT_MAX) {
		/* a backstop: texts that quote a caller use bcerror_quote() */
		char *cut = text + SVC_ERROR_TEXT_MAX - 3;

		while (cut > text && ((unsigned char)*cut & 0xc0) == 0x80)
			cut--;
		memcpy(cut, "...", 4);
	}
	call_finish(call, dbus_message_new_error(call->msg, name, text));
	g_free(text);
}

/* "@what '@s'", quoting at most a bounded part of what the caller sent */
static void error_about(struct svc_call *call, const char *name,
	const char *what, const char *s)
{
	char *q = bcerror_quote(s);

	svc_call_error(call, name, "%s '%s'", what, q);
	g_free(q);
}

/* ---- change batching ---------------------------------------------------- */

static GVariant *iface_props(struct iface_inst *ii)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	for (const struct svc_property *p = ii->desc->properties; p && p->name;
		p++) {
		GVariant *v = p->get ? p->get(ii->data, p->name) : NULL;

		if (!v)
			continue;
		g_variant_take_ref(v);
		if (g_variant_is_of_type(v, G_VARIANT_TYPE(p->type)))
			g_variant_builder_add(&b, "{sv}", p->name, v);
		else
			g_warning("property %s.%s has type %s, not %s",
				ii->desc->name, p->name,
				g_variant_get_type_string(v), p->type);
		g_variant_unref(v);
	}
	return g_variant_builder_end(&b);
}

/* gdbus gives an object Properties only when an interface has some */
static bool has_properties(struct object *o)
{
	for (guint i = 0; o && i < o->ifaces->len; i++) {
		const struct svc_interface *d =
			((struct iface_inst *)g_ptr_array_index(o->ifaces, i))
				->desc;

		if (d->properties && d->properties->name)
			return true;
	}
	return false;
}

static void add_standard_ifaces(GVariantBuilder *b, struct object *o)
{
	/* bluetoothd's gdbus lists these too */
	g_variant_builder_add(b, "{s@a{sv}}", DBUS_IFACE_INTROSPECTABLE,
		g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	if (has_properties(o))
		g_variant_builder_add(b, "{s@a{sv}}", DBUS_IFACE_PROPERTIES,
			g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

static const char *manager_for(struct service *svc, const char *path)
{
	for (guint i = 0; i < svc->managers->len; i++) {
		const char *m = g_ptr_array_index(svc->managers, i);
		size_t n = strlen(m);

		if (strcmp(m, path) == 0)
			continue;
		if (strcmp(m, "/") == 0 ||
			(strncmp(path, m, n) == 0 && path[n] == '/'))
			return m;
	}
	return NULL;
}

static void send_signal(struct service *svc, const char *path,
	const char *iface, const char *name, GVariant *args)
{
	DBusMessage *m = dbus_message_new_signal(path, iface, name);
	GError *err = NULL;

	if (!msg_append(m, args, &err)) {
		g_warning("cannot build signal %s: %s", name, err->message);
		g_error_free(err);
	} else if (bus_is_connected(svc->bus)) {
		/* straight to the connection: we are inside the flush */
		dbus_connection_send(bus_conn(svc->bus), m, NULL);
	}
	dbus_message_unref(m);
}

static void flush_object(struct service *svc, struct object *o)
{
	const char *mgr = manager_for(svc, o->path);
	GVariantBuilder added;
	bool any_added = false;

	g_variant_builder_init(&added, G_VARIANT_TYPE("a{sa{sv}}"));
	/* a new object: gdbus announces its standard interfaces with it */
	if (!o->announced && o->ifaces->len)
		add_standard_ifaces(&added, o);
	for (guint i = 0; i < o->ifaces->len; i++) {
		struct iface_inst *ii = g_ptr_array_index(o->ifaces, i);

		if (!ii->pending_add)
			continue;
		ii->pending_add = false;
		g_ptr_array_set_size(ii->dirty, 0);
		g_variant_builder_add(&added, "{s@a{sv}}", ii->desc->name,
			iface_props(ii));
		any_added = true;
	}
	if (any_added)
		o->announced = true;
	if (any_added && mgr)
		send_signal(svc, mgr, DBUS_IFACE_OBJECT_MANAGER,
			"InterfacesAdded",
			g_variant_new("(o@a{sa{sv}})", o->path,
				g_variant_builder_end(&added)));
	else
		g_variant_builder_clear(&added);

	for (guint i = 0; i < o->ifaces->len; i++) {
		struct iface_inst *ii = g_ptr_array_index(o->ifaces, i);
		GVariantBuilder ch, inv;

		if (ii->dirty->len == 0)
			continue;
		g_variant_builder_init(&ch, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_init(&inv, G_VARIANT_TYPE("as"));
		for (guint k = 0; k < ii->dirty->len; k++) {
			const struct svc_property *p = find_prop(ii->desc,
				g_ptr_array_index(ii->dirty, k));
			GVariant *v = p && p->get ? p->get(ii->data, p->name) :
			                            NULL;

			if (!p)
				continue;
			if (v)
				g_variant_builder_add(&ch, "{sv}", p->name,
					g_variant_take_ref(v));
			else
				g_variant_builder_add(&inv, "s", p->name);
			if (v)
				g_variant_unref(v);
		}
		g_ptr_array_set_size(ii->dirty, 0);
		send_signal(svc, o->path, DBUS_IFACE_PROPERTIES,
			"PropertiesChanged",
			g_variant_new("(s@a{sv}@as)", ii->desc->name,
				g_variant_builder_end(&ch),
				g_variant_builder_end(&inv)));
	}
}

void service_flush(struct service *svc)
{
	struct object *o;

	if (svc->flush_idle) {
		g_source_remove(svc->flush_idle);
		svc->flush_idle = 0;
	}
	while ((o = g_queue_pop_head(&svc->dirty))) {
		o->queued = false;
		flush_object(svc, o);
	}
}

static gboolean flush_idle(gpointer data)
{
	struct service *svc = data;

	svc->flush_idle = 0;
	service_flush(svc);
	return G_SOURCE_REMOVE;
}

static void presend(void *data)
{
	service_flush(data);
}

static void queue_object(struct service *svc, struct object *o)
{
	if (!o->queued) {
		o->queued = true;
		g_queue_push_tail(&svc->dirty, o);
	}
	if (!svc->flush_idle)
		svc->flush_idle = g_idle_add(flush_idle, svc);
}

void service_changed(struct service *svc, const char *path, const char *iface,
	const char *name)
{
	struct object *o = g_hash_table_lookup(svc->objects, path);
	struct iface_inst *ii = NULL;
	const struct svc_property *p;

	if (!o || !find_desc(o, iface, &ii) || ii->pending_add)
		return;
	p = find_prop(ii->desc, name);
	if (!p)
		return;
	for (guint i = 0; i < ii->dirty->len; i++)
		if (g_ptr_array_index(ii->dirty, i) == p->name)
			return;
	g_ptr_array_add(ii->dirty, (gpointer)p->name);
	queue_object(svc, o);
}

void service_emit(struct service *svc, const char *path, const char *iface,
	const char *name, GVariant *args)
{
	service_flush(svc);
	send_signal(svc, path, iface, name, args);
}

/* ---- objects ------------------------------------------------------------ */

void service_add_object_manager(struct service *svc, const char *path)
{
	g_ptr_array_add(svc->managers, g_strdup(path));
	if (!g_hash_table_lookup(svc->objects, path)) {
		struct object *o = g_new0(struct object, 1);

		o->path = g_strdup(path);
		o->ifaces = g_ptr_array_new_with_free_func(iface_inst_free);
		g_hash_table_insert(svc->objects, o->path, o);
	}
}

bool service_add_interface(struct service *svc, const char *path,
	const struct svc_interface *iface, void *data)
{
	struct object *o = g_hash_table_lookup(svc->objects, path);
	struct iface_inst *ii;

	if (!msg_valid_path(path))
		return false;
	if (!o) {
		o = g_new0(struct object, 1);
		o->path = g_strdup(path);
		o->ifaces = g_ptr_array_new_with_free_func(iface_inst_free);
		g_hash_table_insert(svc->objects, o->path, o);
	}
	if (find_desc(o, iface->name, NULL))
		return false;
	ii = g_new0(struct iface_inst, 1);
	ii->desc = iface;
	ii->data = data;
	ii->dirty = g_ptr_array_new();
	ii->pending_add = true;
	g_ptr_array_add(o->ifaces, ii);
	queue_object(svc, o);
	return true;
}

static bool is_manager(struct service *svc, const char *path)
{
	for (guint i = 0; i < svc->managers->len; i++)
		if (strcmp(g_ptr_array_index(svc->managers, i), path) == 0)
			return true;
	return false;
}

static void remove_ifaces(struct service *svc, struct object *o,
	const char *only)
{
	const char *mgr = manager_for(svc, o->path);
	GVariantBuilder names;
	bool any = false;
	bool had_props;

	/* what was announced must be announced gone, in order */
	service_flush(svc);
	g_variant_builder_init(&names, G_VARIANT_TYPE("as"));
	had_props = has_properties(o);
	for (guint i = o->ifaces->len; i-- > 0;) {
		struct iface_inst *ii = g_ptr_array_index(o->ifaces, i);

		if (only && strcmp(ii->desc->name, only) != 0)
			continue;
		g_variant_builder_add(&names, "s", ii->desc->name);
		any = true;
		g_ptr_array_remove_index(o->ifaces, i);
	}
	/* the object goes: so do its standard interfaces (gdbus) */
	if (any && o->ifaces->len == 0 && o->announced) {
		if (had_props)
			g_variant_builder_add(&names, "s",
				DBUS_IFACE_PROPERTIES);
		g_variant_builder_add(&names, "s", DBUS_IFACE_INTROSPECTABLE);
		o->announced = false;
	}
	if (any && mgr)
		send_signal(svc, mgr, DBUS_IFACE_OBJECT_MANAGER,
			"InterfacesRemoved",
			g_variant_new("(o@as)", o->path,
				g_variant_builder_end(&names)));
	else
		g_variant_builder_clear(&names);

	if (o->ifaces->len == 0 && !is_manager(svc, o->path))
		g_hash_table_remove(svc->objects, o->path);
}

void service_remove_interface(struct service *svc, const char *path,
	const char *iface)
{
	struct object *o = g_hash_table_lookup(svc->objects, path);

	if (o)
		remove_ifaces(svc, o, iface);
}

void service_remove_object(struct service *svc, const char *path)
{
	struct object *o = g_hash_table_lookup(svc->objects, path);

	if (o)
		remove_ifaces(svc, o, NULL);
}

bool service_has_interface(struct service *svc, const char *path,
	const char *iface)
{
	struct object *o = g_hash_table_lookup(svc->objects, path);

	return o && find_desc(o, iface, NULL);
}

/* ---- standard interfaces ------------------------------------------------ */

/* <arg>s of @sig, named from @names (space-separated, consumed) */
static void append_args_xml(GString *x, const char *sig, const char *dir,
	const char **names)
{
	const char *p = sig;

	while (p && *p) {
		const char *end, *name = NULL;
		int nlen = 0;

		if (!g_variant_type_string_scan(p, NULL, &end))
			break;
		if (names && *names && **names) {
			const char *sp = strchr(*names, ' ');

			name = *names;
			nlen = sp ? (int)(sp - name) : (int)strlen(name);
			*names = sp ? sp + 1 : name + nlen;
		}
		g_string_append(x, "      <arg");
		if (name)
			g_string_append_printf(x, " name=\"%.*s\"", nlen, name);
		g_string_append_printf(x, " type=\"%.*s\"%s%s%s/>\n",
			(int)(end - p), p, dir ? " direction=\"" : "",
			dir ? dir : "", dir ? "\"" : "");
		p = end;
	}
}

static char *introspect(struct service *svc, const char *path)
{
	struct object *o = g_hash_table_lookup(svc->objects, path);
	GString *x = g_string_new(DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE);
	GHashTable *kids = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, NULL);
	GHashTableIter it;
	gpointer k;
	size_t n = strlen(path);

	g_string_append(x,
		"<node>\n"
		"  <interface name=\"" DBUS_IFACE_INTROSPECTABLE "\">\n"
		"    <method name=\"Introspect\">\n"
		"      <arg name=\"xml\" type=\"s\" direction=\"out\"/>\n"
		"    </method>\n  </interface>\n");
	/* the argument names are gdbus's (BlueZ gdbus/object.c) */
	if (has_properties(o))
		g_string_append(x,
			"  <interface name=\"" DBUS_IFACE_PROPERTIES "\">\n"
			"    <method name=\"Get\">\n"
			"      <arg name=\"interface\" type=\"s\" "
			"direction=\"in\"/>\n"
			"      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n"
			"      <arg name=\"value\" type=\"v\" direction=\"out\"/>\n"
			"    </method>\n"
			"    <method name=\"Set\">\n"
			"      <arg name=\"interface\" type=\"s\" "
			"direction=\"in\"/>\n"
			"      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n"
			"      <arg name=\"value\" type=\"v\" direction=\"in\"/>\n"
			"    </method>\n"
			"    <method name=\"GetAll\">\n"
			"      <arg name=\"interface\" type=\"s\" "
			"direction=\"in\"/>\n"
			"      <arg name=\"properties\" type=\"a{sv}\" "
			"direction=\"out\"/>\n"
			"    </method>\n"
			"    <signal name=\"PropertiesChanged\">\n"
			"      <arg name=\"interface\" type=\"s\"/>\n"
			"      <arg name=\"changed_properties\" type=\"a{sv}\"/>\n"
			"      <arg name=\"invalidated_properties\" type=\"as\"/>\n"
			"    </signal>\n"
			"  </interface>\n");
	if (is_manager(svc, path))
		g_string_append(x,
			"  <interface name=\"" DBUS_IFACE_OBJECT_MANAGER "\">\n"
			"    <method name=\"GetManagedObjects\">\n"
			"      <arg name=\"objects\" type=\"a{oa{sa{sv}}}\" "
			"direction=\"out\"/>\n"
			"    </method>\n"
			"    <signal name=\"InterfacesAdded\">\n"
			"      <arg name=\"object\" type=\"o\"/>\n"
			"      <arg name=\"interfaces\" type=\"a{sa{sv}}\"/>\n"
			"    </signal>\n"
			"    <signal name=\"InterfacesRemoved\">\n"
			"      <arg name=\"object\" type=\"o\"/>\n"
			"      <arg name=\"interfaces\" type=\"as\"/>\n"
			"    </signal>\n  </interface>\n");
	for (guint i = 0; o && i < o->ifaces->len; i++) {
		const struct svc_interface *d =
			((struct iface_inst *)g_ptr_array_index(o->ifaces, i))
				->desc;

		g_string_append_printf(x, "  <interface name=\"%s\">\n",
			d->name);
		for (const struct svc_method *m = d->methods; m && m->name;
			m++) {
			const char *names = m->args;

			g_string_append_printf(x, "    <method name=\"%s\">\n",
				m->name);
			append_args_xml(x, m->in, "in", &names);
			append_args_xml(x, m->out, "out", &names);
			g_string_append(x, "    </method>\n");
		}
		for (const struct svc_signal *s = d->signals; s && s->name;
			s++) {
			const char *names = s->args;

			g_string_append_printf(x, "    <signal name=\"%s\">\n",
				s->name);
			append_args_xml(x, s->type, NULL, &names);
			g_string_append(x, "    </signal>\n");
		}
		for (const struct svc_property *p = d->properties; p && p->name;
			p++)
			g_string_append_printf(x,
				"    <property name=\"%s\" type=\"%s\" "
				"access=\"%s\"/>\n",
				p->name, p->type,
				p->set ? "readwrite" : "read");
		g_string_append(x, "  </interface>\n");
	}

	g_hash_table_iter_init(&it, svc->objects);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		const char *p = k;
		const char *rest;
		const char *slash;

		if (strcmp(path, "/") == 0)
			rest = p + 1;
		else if (strncmp(p, path, n) == 0 && p[n] == '/')
			rest = p + n + 1;
		else
			continue;
		if (!*rest)
			continue;
		slash = strchr(rest, '/');
		g_hash_table_add(kids,
			slash ? g_strndup(rest, slash - rest) : g_strdup(rest));
	}
	g_hash_table_iter_init(&it, kids);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_string_append_printf(x, "  <node name=\"%s\"/>\n",
			(const char *)k);
	g_hash_table_destroy(kids);
	g_string_append(x, "</node>\n");
	return g_string_free(x, FALSE);
}

static GVariant *managed_objects(struct service *svc, const char *mgr)
{
	GVariantBuilder b;
	GHashTableIter it;
	gpointer v;
	GList *paths = NULL;

	service_flush(svc);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
	g_hash_table_iter_init(&it, svc->objects);
	while (g_hash_table_iter_next(&it, NULL, &v))
		paths = g_list_prepend(paths, ((struct object *)v)->path);
	paths = g_list_sort(paths, (GCompareFunc)strcmp);
	for (GList *l = paths; l; l = l->next) {
		struct object *o = g_hash_table_lookup(svc->objects, l->data);
		GVariantBuilder ifs;

		if (!o->ifaces->len ||
			g_strcmp0(manager_for(svc, o->path), mgr) != 0)
			continue;
		g_variant_builder_init(&ifs, G_VARIANT_TYPE("a{sa{sv}}"));
		add_standard_ifaces(&ifs, o);
		for (guint i = 0; i < o->ifaces->len; i++) {
			struct iface_inst *ii = g_ptr_array_index(o->ifaces, i);

			g_variant_builder_add(&ifs, "{s@a{sv}}", ii->desc->name,
				iface_props(ii));
		}
		g_variant_builder_add(&b, "{o@a{sa{sv}}}", o->path,
			g_variant_builder_end(&ifs));
	}
	g_list_free(paths);
	return g_variant_new("(@a{oa{sa{sv}}})", g_variant_builder_end(&b));
}

/* libdbus's text (gdbus's too), newline included */
static void unknown_method(struct svc_call *call, const char *error,
	const char *member, GVariant *args, const char *iface)
{
	const char *sig = g_variant_get_type_string(args);
	size_t n = strlen(sig);

	/* args is "(...)": the message's signature is the inside */
	svc_call_error(call, error,
		"Method \"%s\" with signature \"%.*s\" on interface \"%s\" "
		"doesn't exist\n",
		member, n >= 2 ? (int)(n - 2) : 0, n >= 2 ? sig + 1 : "",
		iface ? iface : "(null)");
}

static void handle_properties(struct object *o, struct svc_call *call,
	const char *member, GVariant *args)
{
	const char *iface, *name;
	struct iface_inst *ii = NULL;
	const struct svc_property *p;

	if (strcmp(member, "GetAll") == 0 &&
		g_variant_is_of_type(args, G_VARIANT_TYPE("(s)"))) {
		g_variant_get(args, "(&s)", &iface);
		if (!find_desc(o, iface, &ii)) {
			error_about(call, DBUS_ERR_INVALID_ARGS,
				"No such interface", iface);
			return;
		}
		svc_call_return(call,
			g_variant_new("(@a{sv})", iface_props(ii)));
		return;
	}
	if (strcmp(member, "Get") == 0 &&
		g_variant_is_of_type(args, G_VARIANT_TYPE("(ss)"))) {
		GVariant *v;

		g_variant_get(args, "(&s&s)", &iface, &name);
		if (!find_desc(o, iface, &ii)) {
			error_about(call, DBUS_ERR_INVALID_ARGS,
				"No such interface", iface);
			return;
		}
		p = find_prop(ii->desc, name);
		v = p && p->get ? p->get(ii->data, name) : NULL;
		if (!v) {
			error_about(call, DBUS_ERR_INVALID_ARGS,
				"No such property", name);
			return;
		}
		g_variant_take_ref(v);
		svc_call_return(call, g_variant_new("(v)", v));
		g_variant_unref(v);
		return;
	}
	if (strcmp(member, "Set") == 0 &&
		g_variant_is_of_type(args, G_VARIANT_TYPE("(ssv)"))) {
		GVariant *value;

		g_variant_get(args, "(&s&sv)", &iface, &name, &value);
		if (!find_desc(o, iface, &ii)) {
			error_about(call, DBUS_ERR_INVALID_ARGS,
				"No such interface", iface);
		} else if (!(p = find_prop(ii->desc, name))) {
			error_about(call, DBUS_ERR_INVALID_ARGS,
				"No such property", name);
		} else if (!p->set) {
			svc_call_error(call, DBUS_ERR_PROPERTY_READ_ONLY,
				"Property '%s' is not writable", name);
		} else if (!g_variant_is_of_type(value,
				   G_VARIANT_TYPE(p->type))) {
			svc_call_error(call, DBUS_ERR_INVALID_SIGNATURE,
				"Invalid signature for '%s'", name);
		} else {
			p->set(call, name, value, ii->data);
		}
		g_variant_unref(value);
		return;
	}
	unknown_method(call, DBUS_ERR_UNKNOWN_METHOD, member, args,
		DBUS_IFACE_PROPERTIES);
}

static bool sig_matches(const char *in, GVariant *args)
{
	const char *have = g_variant_get_type_string(args);
	size_t n = strlen(have);

	/* args is "(...)"; compare the inside with the method's signature */
	return n >= 2 && strlen(in) == n - 2 &&
	       strncmp(have + 1, in, n - 2) == 0;
}

static DBusHandlerResult on_method(DBusMessage *msg, void *data)
{
	struct service *svc = data;
	const char *path = dbus_message_get_path(msg);
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	struct object *o = path ? g_hash_table_lookup(svc->objects, path) :
	                          NULL;
	struct svc_call *call;
	GVariant *args;
	GError *err = NULL;

	if (!path || !member)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;

	call = call_new(svc, msg);
	args = msg_body(msg, &err);
	if (!args) {
		svc_call_error(call, DBUS_ERR_INVALID_ARGS, "%s", err->message);
		g_error_free(err);
		return DBUS_HANDLER_RESULT_HANDLED;
	}

	if (g_strcmp0(iface, DBUS_IFACE_INTROSPECTABLE) == 0 &&
		strcmp(member, "Introspect") == 0) {
		char *xml = introspect(svc, path);

		svc_call_return(call, g_variant_new("(s)", xml));
		g_free(xml);
		goto out;
	}
	if (g_strcmp0(iface, DBUS_IFACE_PEER) == 0 &&
		strcmp(member, "Ping") == 0) {
		svc_call_return(call, NULL);
		goto out;
	}
	if (!o) {
		/* libdbus's object tree says this for a path nobody serves */
		unknown_method(call, DBUS_ERR_UNKNOWN_OBJECT, member, args,
			iface);
		goto out;
	}
	if (g_strcmp0(iface, DBUS_IFACE_PROPERTIES) == 0) {
		handle_properties(o, call, member, args);
		goto out;
	}
	if (g_strcmp0(iface, DBUS_IFACE_OBJECT_MANAGER) == 0 &&
		is_manager(svc, path) &&
		strcmp(member, "GetManagedObjects") == 0 &&
		sig_matches("", args)) {
		svc_call_return(call, managed_objects(svc, path));
		goto out;
	}
	for (guint i = 0; i < o->ifaces->len; i++) {
		struct iface_inst *ii = g_ptr_array_index(o->ifaces, i);

		if (iface && strcmp(ii->desc->name, iface) != 0)
			continue;
		for (const struct svc_method *m = ii->desc->methods;
			m && m->name; m++) {
			if (strcmp(m->name, member) == 0 &&
				sig_matches(m->in, args)) {
				m->fn(call, args, ii->data);
				goto out;
			}
		}
	}
	unknown_method(call, DBUS_ERR_UNKNOWN_METHOD, member, args, iface);
out:
	g_variant_unref(args);
	return DBUS_HANDLER_RESULT_HANDLED;
}

/* ---- life cycle --------------------------------------------------------- */

struct service *service_new(struct bus *bus)
{
	struct service *svc = g_new0(struct service, 1);

	svc->bus = bus_ref(bus);
	svc->objects = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		object_free);
	svc->managers = g_ptr_array_new_with_free_func(g_free);
	svc->calls = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_queue_init(&svc->dirty);
	bus_set_method_handler(bus, on_method, svc);
	bus_set_presend_hook(bus, presend, svc);
	return svc;
}

void service_free(struct service *svc)
{
	GHashTableIter it;
	gpointer k;

	if (!svc)
		return;
	service_flush(svc);
	/* answer whatever is still waiting, exactly once */
	while (g_hash_table_size(svc->calls)) {
		g_hash_table_iter_init(&it, svc->calls);
		g_hash_table_iter_next(&it, &k, NULL);
		svc_call_error(k, DBUS_ERR_FAILED, "service is shutting down");
	}
	bus_set_method_handler(svc->bus, NULL, NULL);
	bus_set_presend_hook(svc->bus, NULL, NULL);
	g_queue_clear(&svc->dirty);
	g_hash_table_destroy(svc->objects);
	g_hash_table_destroy(svc->calls);
	g_ptr_array_free(svc->managers, TRUE);
	bus_unref(svc->bus);
	g_free(svc);
}

struct bus *service_bus(struct service *svc)
{
	return svc->bus;
}
