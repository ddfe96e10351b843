/* SPDX-License-Identifier: MIT */
/* timeline.c — see timeline.h. */
#include <stdarg.h>
#include <string.h>

#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "helpers/testutil.h"
#include "helpers/timeline.h"

struct timeline {
	struct bus *bus;
	GPtrArray *lines;
	GPtrArray *traces;
	guint sig[4];
};

static char *short_path(const char *p)
{
	const char *dev = p ? strstr(p, "/dev_") : NULL;

	if (!p)
		return g_strdup("?");
	if (dev) {
		const char *rest = dev + 5 + 17; /* "dev_XX_XX_XX_XX_XX_XX" */
		/* hci0's devices are "dev"; another adapter's "hciN/dev" */
		bool hci0 = g_str_has_prefix(p, "/org/bluez/hci0/");
		int at = (int)strlen("/org/bluez/");

		if (strlen(dev) >= 22)
			return g_strdup_printf("%.*s%s%s",
				hci0 ? 0 : (int)(dev - p) - at + 1,
				hci0 ? "" : p + at,
				strncmp(dev + 5, "C0_FF_EE_00_13_42", 17) == 0 ?
					"dev" :
					"dev2",
				rest);
	}
	if (g_str_has_prefix(p, "/org/bluez/"))
		return g_strdup(p + strlen("/org/bluez/"));
	return g_strdup(p);
}

static const char *short_iface(const char *i)
{
	const char *dot = strrchr(i, '.');

	return dot ? dot + 1 : i;
}

static char *value_str(const char *name, GVariant *v)
{
	if (!v)
		return g_strdup("-");
	if (!strcmp(name, "Value"))
		return g_strdup("...");
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
		return g_strdup(g_variant_get_string(v, NULL));
	return g_variant_print(v, FALSE);
}

static void add(struct timeline *t, char *line)
{
	g_ptr_array_add(t->lines, line);
}

static void on_props(DBusMessage *msg, void *data)
{
	struct timeline *t = data;
	GVariant *args, *changed, *inval;
	const char *iface, *k;
	GVariantIter it;
	GVariant *v;
	char *p;

	if (!msg_get_args(msg, "(sa{sv}as)", &args, NULL))
		return;
	g_variant_get(args, "(&s@a{sv}@as)", &iface, &changed, &inval);
	if (g_str_has_prefix(iface, "org.bluez.")) {
		p = short_path(dbus_message_get_path(msg));
		g_variant_iter_init(&it, changed);
		while (g_variant_iter_next(&it, "{&sv}", &k, &v)) {
			char *vs = value_str(k, v);

			add(t, g_strdup_printf("%s %s=%s", p, k, vs));
			g_free(vs);
			g_variant_unref(v);
		}
		g_variant_iter_init(&it, inval);
		while (g_variant_iter_next(&it, "&s", &k))
			add(t, g_strdup_printf("%s %s=-", p, k));
		g_free(p);
	}
	g_variant_unref(changed);
	g_variant_unref(inval);
	g_variant_unref(args);
}

static void on_ifaces(DBusMessage *msg, void *data)
{
	struct timeline *t = data;
	bool added = !strcmp(dbus_message_get_member(msg), "InterfacesAdded");
	GVariant *args, *list;
	GVariantIter it;
	const char *path, *iface;
	char *p;

	if (!msg_get_args(msg, added ? "(oa{sa{sv}})" : "(oas)", &args, NULL))
		return;
	g_variant_get_child(args, 0, "&o", &path);
	p = short_path(path);
	list = g_variant_get_child_value(args, 1);
	g_variant_iter_init(&it, list);
	if (added) {
		GVariant *props;

		while (g_variant_iter_next(&it, "{&s@a{sv}}", &iface, &props)) {
			if (g_str_has_prefix(iface, "org.bluez.") ||
				g_str_has_prefix(iface, "org.bondcheck."))
				add(t, g_strdup_printf("+%s %s", p,
					       short_iface(iface)));
			g_variant_unref(props);
		}
	} else {
		while (g_variant_iter_next(&it, "&s", &iface))
			if (g_str_has_prefix(iface, "org.bluez."))
				add(t, g_strdup_printf("-%s %s", p,
					       short_iface(iface)));
	}
	g_variant_unref(list);
	g_free(p);
	g_variant_unref(args);
}

static void on_disconnected(DBusMessage *msg, void *data)
{
	struct timeline *t = data;
	const char *reason = NULL, *text = NULL;
	char *p = short_path(dbus_message_get_path(msg));

	if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &reason,
		    DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID))
		add(t, g_strdup_printf("%s Disconnected(%s)", p, reason));
	g_free(p);
}

static void on_trace(DBusMessage *msg, void *data)
{
	struct timeline *t = data;
	const char *line = NULL;

	if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &line,
		    DBUS_TYPE_INVALID))
		g_ptr_array_add(t->traces, g_strdup(line));
}

struct timeline *timeline_new(struct bus *bus)
{
	struct timeline *t = g_new0(struct timeline, 1);

	t->bus = bus_ref(bus);
	t->lines = g_ptr_array_new_with_free_func(g_free);
	t->traces = g_ptr_array_new_with_free_func(g_free);
	t->sig[0] = bus_add_signal_watch(bus, BLUEZ_SERVICE, NULL, NULL,
		DBUS_IFACE_PROPERTIES, "PropertiesChanged", on_props, t, NULL);
	t->sig[1] = bus_add_signal_watch(bus, BLUEZ_SERVICE, NULL, NULL,
		DBUS_IFACE_OBJECT_MANAGER, NULL, on_ifaces, t, NULL);
	t->sig[2] = bus_add_signal_watch(bus, BLUEZ_SERVICE, NULL, NULL,
		BLUEZ_IFACE_DEVICE, "Disconnected", on_disconnected, t, NULL);
	/* every adapter's Sim1 (/org/bondcheck/sim/hciN too) */
	t->sig[3] = bus_add_signal_watch(bus, BLUEZ_SERVICE, NULL, BC_SIM_PATH,
		BC_SIM_IFACE, "Trace", on_trace, t, NULL);
	return t;
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	for (int i = 0; i < 4; i++)
		bus_remove_signal_watch(t->bus, t->sig[i]);
	bus_unref(t->bus);
	g_ptr_array_free(t->lines, TRUE);
	g_ptr_array_free(t->traces, TRUE);
	g_free(t);
}

void timeline_clear(struct timeline *t)
{
	g_ptr_array_set_size(t->lines, 0);
	g_ptr_array_set_size(t->traces, 0);
}

GPtrArray *timeline_lines(struct timeline *t)
{
	return t->lines;
}

GPtrArray *timeline_traces(struct timeline *t)
{
	return t->traces;
}

char *timeline_dump(struct timeline *t)
{
	GString *s = g_string_new("");

	for (guint i = 0; i < t->lines->len; i++)
		g_string_append_printf(s, "  %s\n",
			(char *)g_ptr_array_index(t->lines, i));
	return g_string_free(s, FALSE);
}

void timeline_note(struct timeline *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(t, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

struct tcall {
	struct timeline *t;
	char *method;
};

static void tcall_free(void *data)
{
	struct tcall *c = data;

	g_free(c->method);
	g_free(c);
}

static void tcall_reply(DBusMessage *reply, void *data)
{
	struct tcall *c = data;
	const char *e = msg_error_name(reply);

	if (e)
		add(c->t, g_strdup_printf("reply %s: %s %s", c->method, e,
				  msg_error_text(reply)));
	else
		add(c->t, g_strdup_printf("reply %s: ok", c->method));
}

void timeline_call(struct timeline *t, const char *path, const char *iface,
	const char *method, GVariant *args)
{
	struct tcall *c = g_new0(struct tcall, 1);

	c->t = t;
	c->method = g_strdup(method);
	bus_call_method(t->bus, BLUEZ_SERVICE, path, iface, method, args, 30000,
		tcall_reply, c, tcall_free);
}

int timeline_find(struct timeline *t, const char *needle)
{
	for (guint i = 0; i < t->lines->len; i++)
		if (strstr(g_ptr_array_index(t->lines, i), needle))
			return (int)i;
	return -1;
}

struct twait {
	GPtrArray *lines;
	const char *needle;
};

static bool found(void *data)
{
	struct twait *w = data;

	for (guint i = 0; i < w->lines->len; i++)
		if (strstr(g_ptr_array_index(w->lines, i), w->needle))
			return true;
	return false;
}

bool timeline_wait(struct timeline *t, const char *needle, int timeout_ms)
{
	struct twait w = { t->lines, needle };

	return test_wait(found, &w, timeout_ms);
}

bool timeline_wait_trace(struct timeline *t, const char *needle, int timeout_ms)
{
	struct twait w = { t->traces, needle };

	return test_wait(found, &w, timeout_ms);
}

bool timeline_in_order(struct timeline *t, const char *const *expect)
{
	guint at = 0;

	for (size_t k = 0; expect[k]; k++) {
		bool ok = false;

		for (; at < t->lines->len && !ok; at++)
			ok = g_str_has_prefix(g_ptr_array_index(t->lines, at),
				expect[k]);
		if (!ok)
			return false;
	}
	return true;
}

int timeline_in_order_any(struct timeline *t,
	const char *const *const *variants)
{
	for (int i = 0; variants[i]; i++)
		if (timeline_in_order(t, variants[i]))
			return i;
	return -1;
}
