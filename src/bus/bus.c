/* SPDX-License-Identifier: MIT */
/*
 * bus.c — libdbus-1 on the GLib main loop.
 *
 * Owns: the DBusConnection, its watches/timeouts as GLib sources, the idle
 * dispatcher, pending calls, signal subscriptions and name-owner tracking.
 * Must never block after bus_connect() and never exit on disconnection.
 * Callbacks may drop the last reference to the bus: every entry point that
 * calls out holds a reference of its own for the duration.
 */
#include <glib-unix.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bus.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"

#define DISPATCH_BATCH 64

struct pending {
	struct bus *bus;
	guint id;
	DBusPendingCall *call;
	bus_reply_fn fn;
	void *user_data;
	GDestroyNotify destroy;
	guint idle; /* for calls that failed before sending */
	DBusMessage *local_reply;
};

struct sigwatch {
	guint id;
	char *sender, *path, *path_ns, *iface, *member;
	char *rule;
	bus_signal_fn fn;
	void *user_data;
	GDestroyNotify destroy;
	bool removed;
};

struct nameowner {
	char *name;
	char *owner; /* NULL: no owner */
	bool known;
	int users;
	char *rule;
	guint call;
};

struct namewatch {
	guint id;
	char *name;
	bus_name_fn fn;
	void *user_data;
	GDestroyNotify destroy;
	bool removed;
	bool notified;
	char *last; /* owner last told to fn */
	guint idle;
};

struct bus {
	int ref;
	DBusConnection *conn;
	char *unique;
	bool connected;
	guint dispatch_idle;
	GHashTable *pending; /* id -> struct pending */
	GPtrArray *sigwatches;
	GPtrArray *namewatches;
	GHashTable *owners; /* name -> struct nameowner */
	guint next_id;
	int iterating;
	bus_disconnect_fn on_disconnect;
	void *disconnect_data;
	guint disconnect_idle;
	bus_method_fn method_fn;
	void *method_data;
	bus_presend_fn presend;
	void *presend_data;
	bool in_presend;
};

static guint next_id(struct bus *bus)
{
	if (++bus->next_id == 0)
		bus->next_id = 1;
	return bus->next_id;
}

/* ---- main loop integration ---------------------------------------------- */

/*
 * One GSource per DBusWatch for its whole life: enabling, disabling or
 * changing what it waits for modifies the fd's condition in place
 * (g_source_modify_unix_fd), so a busy connection allocates nothing and
 * never wakes the loop for its own bookkeeping.
 */
struct watch_src {
	GSource source;
	struct bus *bus;
	DBusWatch *watch;
	gpointer tag;
	GIOCondition cond; /* what the fd is polled for now */
};

static gboolean dispatch_idle(gpointer data);

static void schedule_dispatch(struct bus *bus)
{
	if (!bus->dispatch_idle && bus->conn &&
		dbus_connection_get_dispatch_status(bus->conn) ==
			DBUS_DISPATCH_DATA_REMAINS)
		bus->dispatch_idle = g_idle_add(dispatch_idle, bus);
}

static gboolean dispatch_idle(gpointer data)
{
	struct bus *bus = data;
	int n = 0;

	bus->dispatch_idle = 0;
	bus_ref(bus);
	while (bus->conn && n++ < DISPATCH_BATCH &&
		dbus_connection_dispatch(bus->conn) ==
			DBUS_DISPATCH_DATA_REMAINS)
		;
	schedule_dispatch(bus);
	bus_unref(bus);
	return G_SOURCE_REMOVE;
}

static gboolean watch_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	struct watch_src *ws = (struct watch_src *)source;
	struct bus *bus = ws->bus;
	GIOCondition cond = g_source_query_unix_fd(source, ws->tag);
	unsigned int flags = 0;

	(void)cb;
	(void)data;
	if (cond & G_IO_IN)
		flags |= DBUS_WATCH_READABLE;
	if (cond & G_IO_OUT)
		flags |= DBUS_WATCH_WRITABLE;
	if (cond & G_IO_HUP)
		flags |= DBUS_WATCH_HANGUP;
	if (cond & G_IO_ERR)
		flags |= DBUS_WATCH_ERROR;
	if (!flags)
		return G_SOURCE_CONTINUE;
	bus_ref(bus);
	dbus_watch_handle(ws->watch, flags);
	schedule_dispatch(bus);
	bus_unref(bus);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs watch_funcs = {
	NULL,
	NULL,
	watch_dispatch,
	NULL,
	NULL,
	NULL,
};

/* What the watch wants now: nothing while libdbus has it disabled. */
static void watch_arm(struct watch_src *ws)
{
	unsigned int f = dbus_watch_get_flags(ws->watch);
	GIOCondition cond = 0;

	if (dbus_watch_get_enabled(ws->watch)) {
		cond = G_IO_HUP | G_IO_ERR;
		if (f & DBUS_WATCH_READABLE)
			cond |= G_IO_IN;
		if (f & DBUS_WATCH_WRITABLE)
			cond |= G_IO_OUT;
	}
	/* modifying wakes the context: only when it changes */
	if (cond != ws->cond) {
		ws->cond = cond;
		g_source_modify_unix_fd(&ws->source, ws->tag, cond);
	}
}

static void watch_src_free(void *data)
{
	GSource *source = data;

	g_source_destroy(source);
	g_source_unref(source);
}

static dbus_bool_t add_watch(DBusWatch *watch, void *data)
{
	GSource *source = g_source_new(&watch_funcs, sizeof(struct watch_src));
	struct watch_src *ws = (struct watch_src *)source;

	ws->bus = data;
	ws->watch = watch;
	ws->tag = g_source_add_unix_fd(source, dbus_watch_get_unix_fd(watch),
		0);
	ws->cond = 0;
	g_source_set_name(source, "dbus-watch");
	/*
	 * GLib blocks a non-recursive source while it dispatches and puts
	 * its fd back afterwards, waking the loop each time; nothing here
	 * runs a nested loop from a watch, so let it be
	 */
	g_source_set_can_recurse(source, TRUE);
	g_source_attach(source, NULL);
	dbus_watch_set_data(watch, ws, watch_src_free);
	watch_arm(ws);
	return TRUE;
}

static void remove_watch(DBusWatch *watch, void *data)
{
	(void)data;
	/* frees the watch_src and its source */
	dbus_watch_set_data(watch, NULL, NULL);
}

static void toggle_watch(DBusWatch *watch, void *data)
{
	struct watch_src *ws = dbus_watch_get_data(watch);

	(void)data;
	if (ws)
		watch_arm(ws);
}

struct timeout_src {
	DBusTimeout *timeout;
	guint source;
};

static gboolean timeout_fired(gpointer data)
{
	struct timeout_src *ts = data;

	/* libdbus removes or re-arms the timeout from inside the handler */
	dbus_timeout_handle(ts->timeout);
	return G_SOURCE_CONTINUE;
}

static void timeout_arm(struct timeout_src *ts)
{
	if (ts->source) {
		g_source_remove(ts->source);
		ts->source = 0;
	}
	if (dbus_timeout_get_enabled(ts->timeout))
		ts->source = g_timeout_add(
			(guint)dbus_timeout_get_interval(ts->timeout),
			timeout_fired, ts);
}

static void timeout_src_free(void *data)
{
	struct timeout_src *ts = data;

	if (ts->source)
		g_source_remove(ts->source);
	g_free(ts);
}

static dbus_bool_t add_timeout(DBusTimeout *timeout, void *data)
{
	struct timeout_src *ts = g_new0(struct timeout_src, 1);

	(void)data;
	ts->timeout = timeout;
	dbus_timeout_set_data(timeout, ts, timeout_src_free);
	timeout_arm(ts);
	return TRUE;
}

static void remove_timeout(DBusTimeout *timeout, void *data)
{
	(void)data;
	dbus_timeout_set_data(timeout, NULL, NULL);
}

static void toggle_timeout(DBusTimeout *timeout, void *data)
{
	struct timeout_src *ts = dbus_timeout_get_data(timeout);

	(void)data;
	if (ts)
		timeout_arm(ts);
}

static void dispatch_status(DBusConnection *conn, DBusDispatchStatus status,
	void *data)
{
	struct bus *bus = data;

	(void)conn;
	if (status == DBUS_DISPATCH_DATA_REMAINS && !bus->dispatch_idle)
		bus->dispatch_idle = g_idle_add(dispatch_idle, bus);
}

/*
 * libdbus asks for this when there may be something to dispatch. One
 * thread drives the loop here, so an idle dispatch is enough: waking the
 * context (a write to its eventfd) would cost a system call per message.
 */
static void wakeup_main(void *data)
{
	struct bus *bus = data;

	/* called with the connection locked: no libdbus calls here */
	if (!bus->dispatch_idle)
		bus->dispatch_idle = g_idle_add(dispatch_idle, bus);
}

/* ---- name owners -------------------------------------------------------- */

static void namewatch_notify(struct bus *bus, struct namewatch *nw,
	const char *owner)
{
	if (nw->removed)
		return;
	if (nw->notified && g_strcmp0(nw->last, owner) == 0)
		return;
	nw->notified = true;
	g_free(nw->last);
	nw->last = g_strdup(owner);
	nw->fn(nw->name, owner, nw->user_data);
	(void)bus;
}

static void gc_lists(struct bus *bus);

static void owner_changed(struct bus *bus, const char *name, const char *owner)
{
	struct nameowner *no = g_hash_table_lookup(bus->owners, name);

	if (!no)
		return;
	if (owner && !*owner)
		owner = NULL;
	g_free(no->owner);
	no->owner = g_strdup(owner);
	no->known = true;

	bus->iterating++;
	for (guint i = 0; i < bus->namewatches->len; i++) {
		struct namewatch *nw = g_ptr_array_index(bus->namewatches, i);

		if (strcmp(nw->name, name) == 0)
			namewatch_notify(bus, nw, no->owner);
	}
	bus->iterating--;
	gc_lists(bus);
}

struct owner_query {
	struct bus *bus;
	char *name;
};

static void owner_query_free(void *data)
{
	struct owner_query *q = data;

	g_free(q->name);
	g_free(q);
}

static void owner_query_reply(DBusMessage *reply, void *data)
{
	struct owner_query *q = data;
	struct nameowner *no = g_hash_table_lookup(q->bus->owners, q->name);
	GVariant *args = NULL;
	const char *owner = NULL;

	if (!no)
		return;
	no->call = 0;
	if (!msg_is_error(reply, NULL) &&
		msg_get_args(reply, "(s)", &args, NULL))
		g_variant_get(args, "(&s)", &owner);
	/* a NameOwnerChanged may have told us already; the reply is as new */
	owner_changed(q->bus, q->name, owner);
	if (args)
		g_variant_unref(args);
}

static struct nameowner *owner_track(struct bus *bus, const char *name)
{
	struct nameowner *no = g_hash_table_lookup(bus->owners, name);
	struct owner_query *q;

	if (no) {
		no->users++;
		return no;
	}
	no = g_new0(struct nameowner, 1);
	no->name = g_strdup(name);
	no->users = 1;
	no->rule = g_strdup_printf("type='signal',sender='" DBUS_NAME_BUS
				   "',interface='" DBUS_IFACE_BUS
				   "',member='NameOwnerChanged',arg0='%s'",
		name);
	g_hash_table_insert(bus->owners, no->name, no);
	if (bus->connected)
		dbus_bus_add_match(bus->conn, no->rule, NULL);

	q = g_new0(struct owner_query, 1);
	q->bus = bus;
	q->name = g_strdup(name);
	no->call = bus_call_method(bus, DBUS_NAME_BUS, DBUS_PATH_BUS,
		DBUS_IFACE_BUS, "GetNameOwner", g_variant_new("(s)", name), -1,
		owner_query_reply, q, owner_query_free);
	return no;
}

static void nameowner_free(void *data)
{
	struct nameowner *no = data;

	g_free(no->owner);
	g_free(no->rule);
	g_free(no->name);
	g_free(no);
}

static void owner_untrack(struct bus *bus, const char *name)
{
	struct nameowner *no = g_hash_table_lookup(bus->owners, name);

	if (!no || --no->users > 0)
		return;
	if (no->call)
		bus_cancel(bus, no->call);
	if (bus->connected)
		dbus_bus_remove_match(bus->conn, no->rule, NULL);
	g_hash_table_remove(bus->owners, name);
}

const char *bus_name_owner(struct bus *bus, const char *name)
{
	struct nameowner *no;

	if (name && name[0] == ':')
		return name;
	no = g_hash_table_lookup(bus->owners, name);
	return no ? no->owner : NULL;
}

/* ---- lists with deferred removal ---------------------------------------- */

static void sigwatch_free(void *data)
{
	struct sigwatch *sw = data;

	g_free(sw->sender);
	g_free(sw->path);
	g_free(sw->path_ns);
	g_free(sw->iface);
	g_free(sw->member);
	g_free(sw->rule);
	g_free(sw);
}

static void namewatch_free(void *data)
{
	struct namewatch *nw = data;

	g_free(nw->name);
	g_free(nw->last);
	g_free(nw);
}

static void gc_lists(struct bus *bus)
{
	if (bus->iterating)
		return;
	for (guint i = bus->sigwatches->len; i-- > 0;)
		if (((struct sigwatch *)g_ptr_array_index(bus->sigwatches, i))
				->removed)
			g_ptr_array_remove_index(bus->sigwatches, i);
	for (guint i = bus->namewatches->len; i-- > 0;)
		if (((struct namewatch *)g_ptr_array_index(bus->namewatches, i))
				->removed)
			g_ptr_array_remove_index(bus->namewatches, i);
}

/* ---- incoming messages -------------------------------------------------- */

static bool sigwatch_matches(struct bus *bus, struct sigwatch *sw,
	DBusMessage *msg)
{
	const char *path = dbus_message_get_path(msg);

	if (sw->sender) {
		const char *owner = bus_name_owner(bus, sw->sender);
		const char *sender = dbus_message_get_sender(msg);

		if (!owner || g_strcmp0(owner, sender) != 0)
			return false;
	}
	if (sw->path && g_strcmp0(sw->path, path) != 0)
		return false;
	if (sw->path_ns && strcmp(sw->path_ns, "/") != 0) {
		size_t n = strlen(sw->path_ns);

		if (!path || strncmp(path, sw->path_ns, n) != 0 ||
			(path[n] != '\0' && path[n] != '/'))
			return false;
	}
	if (sw->iface && g_strcmp0(sw->iface, dbus_message_get_interface(msg)))
		return false;
	if (sw->member && g_strcmp0(sw->member, dbus_message_get_member(msg)))
		return false;
	return true;
}

static gboolean disconnect_idle(gpointer data)
{
	struct bus *bus = data;

	bus->disconnect_idle = 0;
	if (bus->on_disconnect)
		bus->on_disconnect(bus, bus->disconnect_data);
	bus_unref(bus);
	return G_SOURCE_REMOVE;
}

static gboolean local_reply_idle(gpointer data);
static DBusMessage *local_error(const char *name, const char *text);

static void handle_disconnect(struct bus *bus)
{
	GHashTableIter it;
	gpointer v;

	if (!bus->connected)
		return;
	bus->connected = false;
	/* tell the owner from a clean stack, not from inside dispatch; and
	 * before the answers below (idles run in the order they are added):
	 * a call failed because the bus went, and the owner knows why first */
	if (!bus->disconnect_idle)
		bus->disconnect_idle = g_idle_add(disconnect_idle,
			bus_ref(bus));
	/*
	 * libdbus may leave a call that was sent for ever without an answer
	 * when the bus goes (no reply, and its timeout is one of the
	 * connection's, gone with it): each is answered here, Disconnected,
	 * once, from the main loop, as a call made after the loss is.
	 */
	g_hash_table_iter_init(&it, bus->pending);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct pending *p = v;

		if (!p->call)
			continue;
		dbus_pending_call_cancel(p->call);
		dbus_pending_call_unref(p->call);
		p->call = NULL;
		p->local_reply = local_error(DBUS_ERR_DISCONNECTED,
			"the connection to the bus was lost");
		p->idle = g_idle_add(local_reply_idle, p);
	}
}

static DBusHandlerResult filter(DBusConnection *conn, DBusMessage *msg,
	void *data)
{
	struct bus *bus = data;
	DBusHandlerResult res = DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	int type = dbus_message_get_type(msg);

	(void)conn;
	if (type == DBUS_MESSAGE_TYPE_SIGNAL &&
		dbus_message_is_signal(msg, DBUS_IFACE_LOCAL, "Disconnected")) {
		handle_disconnect(bus);
		return DBUS_HANDLER_RESULT_HANDLED;
	}

	bus_ref(bus);
	if (type == DBUS_MESSAGE_TYPE_SIGNAL) {
		if (dbus_message_is_signal(msg, DBUS_IFACE_BUS,
			    "NameOwnerChanged") &&
			g_strcmp0(dbus_message_get_sender(msg),
				DBUS_NAME_BUS) == 0) {
			GVariant *args;

			if (msg_get_args(msg, "(sss)", &args, NULL)) {
				const char *name, *old, *new;

				g_variant_get(args, "(&s&s&s)", &name, &old,
					&new);
				owner_changed(bus, name, new);
				g_variant_unref(args);
			}
		}

		bus->iterating++;
		for (guint i = 0; i < bus->sigwatches->len; i++) {
			struct sigwatch *sw = g_ptr_array_index(bus->sigwatches,
				i);

			if (!sw->removed && sigwatch_matches(bus, sw, msg))
				sw->fn(msg, sw->user_data);
		}
		bus->iterating--;
		gc_lists(bus);
	} else if (type == DBUS_MESSAGE_TYPE_METHOD_CALL && bus->method_fn) {
		res = bus->method_fn(msg, bus->method_data);
	}
	bus_unref(bus);
	return res;
}

/* ---- life cycle --------------------------------------------------------- */

struct bus *bus_connect(enum bus_kind kind, const char *address, GError **error)
{
	DBusError err;
	DBusConnection *conn = NULL;
	struct bus *bus;

	dbus_error_init(&err);
	switch (kind) {
	case BUS_KIND_SYSTEM:
		conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &err);
		break;
	case BUS_KIND_SESSION:
		conn = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
		break;
	case BUS_KIND_ADDRESS:
		conn = dbus_connection_open_private(address, &err);
		if (conn && !dbus_bus_register(conn, &err)) {
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
			conn = NULL;
		}
		break;
	}
	if (!conn) {
		g_set_error(error, BCERROR,
			err.name && strcmp(err.name, DBUS_ERR_ACCESS_DENIED) ==
						0 ?
				BCERROR_ACCESS_DENIED :
				BCERROR_NO_SERVICE,
			"cannot connect to the %s bus%s%s: %s",
			kind == BUS_KIND_SYSTEM  ? "system" :
			kind == BUS_KIND_SESSION ? "session" :
						   "given",
			address ? " at " : "", address ? address : "",
			err.message ? err.message : "unknown error");
		dbus_error_free(&err);
		return NULL;
	}

	bus = g_new0(struct bus, 1);
	bus->ref = 1;
	bus->conn = conn;
	bus->connected = true;
	bus->unique = g_strdup(dbus_bus_get_unique_name(conn));
	bus->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
	bus->sigwatches = g_ptr_array_new_with_free_func(sigwatch_free);
	bus->namewatches = g_ptr_array_new_with_free_func(namewatch_free);
	bus->owners = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		nameowner_free);

	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	dbus_connection_add_filter(conn, filter, bus, NULL);
	dbus_connection_set_watch_functions(conn, add_watch, remove_watch,
		toggle_watch, bus, NULL);
	dbus_connection_set_timeout_functions(conn, add_timeout, remove_timeout,
		toggle_timeout, bus, NULL);
	dbus_connection_set_dispatch_status_function(conn, dispatch_status, bus,
		NULL);
	dbus_connection_set_wakeup_main_function(conn, wakeup_main, bus, NULL);
	schedule_dispatch(bus);
	return bus;
}

struct bus *bus_ref(struct bus *bus)
{
	bus->ref++;
	return bus;
}

static void pending_finish(struct pending *p)
{
	if (p->destroy)
		p->destroy(p->user_data);
	p->destroy = NULL;
	if (p->call)
		dbus_pending_call_unref(p->call);
	if (p->local_reply)
		dbus_message_unref(p->local_reply);
	g_free(p);
}

void bus_unref(struct bus *bus)
{
	GHashTableIter it;
	gpointer v;

	if (!bus || --bus->ref > 0)
		return;

	/* drop the owner tracking calls first: they point back at us */
	g_hash_table_iter_init(&it, bus->pending);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct pending *p = v;

		if (p->call)
			dbus_pending_call_cancel(p->call);
		if (p->idle)
			g_source_remove(p->idle);
		g_hash_table_iter_remove(&it);
		pending_finish(p);
	}
	for (guint i = 0; i < bus->sigwatches->len; i++) {
		struct sigwatch *sw = g_ptr_array_index(bus->sigwatches, i);

		if (!sw->removed && sw->destroy)
			sw->destroy(sw->user_data);
		sw->removed = true;
	}
	for (guint i = 0; i < bus->namewatches->len; i++) {
		struct namewatch *nw = g_ptr_array_index(bus->namewatches, i);

		if (nw->idle)
			g_source_remove(nw->idle);
		if (!nw->removed && nw->destroy)
			nw->destroy(nw->user_data);
		nw->removed = true;
	}
	if (bus->dispatch_idle)
		g_source_remove(bus->dispatch_idle);
	if (bus->disconnect_idle)
		g_source_remove(bus->disconnect_idle);

	dbus_connection_remove_filter(bus->conn, filter, bus);
	dbus_connection_set_watch_functions(bus->conn, NULL, NULL, NULL, NULL,
		NULL);
	dbus_connection_set_timeout_functions(bus->conn, NULL, NULL, NULL, NULL,
		NULL);
	dbus_connection_set_dispatch_status_function(bus->conn, NULL, NULL,
		NULL);
	dbus_connection_set_wakeup_main_function(bus->conn, NULL, NULL, NULL);
	dbus_connection_close(bus->conn);
	dbus_connection_unref(bus->conn);

	g_hash_table_destroy(bus->pending);
	g_ptr_array_free(bus->sigwatches, TRUE);
	g_ptr_array_free(bus->namewatches, TRUE);
	g_hash_table_destroy(bus->owners);
	g_free(bus->unique);
	g_free(bus);
}

DBusConnection *bus_conn(struct bus *bus)
{
	return bus->conn;
}

const char *bus_unique_name(struct bus *bus)
{
	return bus->unique;
}

bool bus_is_connected(struct bus *bus)
{
	return bus->connected;
}

void bus_set_disconnect_handler(struct bus *bus, bus_disconnect_fn fn,
	void *user_data)
{
	bus->on_disconnect = fn;
	bus->disconnect_data = user_data;
}

void bus_set_method_handler(struct bus *bus, bus_method_fn fn, void *user_data)
{
	bus->method_fn = fn;
	bus->method_data = user_data;
}

void bus_set_presend_hook(struct bus *bus, bus_presend_fn fn, void *user_data)
{
	bus->presend = fn;
	bus->presend_data = user_data;
}

static void run_presend(struct bus *bus)
{
	if (!bus->presend || bus->in_presend)
		return;
	bus->in_presend = true;
	bus->presend(bus->presend_data);
	bus->in_presend = false;
}

bool bus_send(struct bus *bus, DBusMessage *msg)
{
	if (!bus->connected)
		return false;
	run_presend(bus);
	return dbus_connection_send(bus->conn, msg, NULL);
}

/* ---- calls -------------------------------------------------------------- */

static void pending_notify(DBusPendingCall *call, void *data)
{
	struct pending *p = data;
	struct bus *bus = p->bus;
	DBusMessage *reply = dbus_pending_call_steal_reply(call);

	g_hash_table_remove(bus->pending, GUINT_TO_POINTER(p->id));
	bus_ref(bus);
	if (reply) {
		p->fn(reply, p->user_data);
		dbus_message_unref(reply);
	}
	pending_finish(p);
	bus_unref(bus);
}

static gboolean local_reply_idle(gpointer data)
{
	struct pending *p = data;
	struct bus *bus = p->bus;

	p->idle = 0;
	g_hash_table_remove(bus->pending, GUINT_TO_POINTER(p->id));
	bus_ref(bus);
	p->fn(p->local_reply, p->user_data);
	pending_finish(p);
	bus_unref(bus);
	return G_SOURCE_REMOVE;
}

static DBusMessage *local_error(const char *name, const char *text)
{
	DBusMessage *m = dbus_message_new(DBUS_MESSAGE_TYPE_ERROR);

	dbus_message_set_error_name(m, name);
	dbus_message_append_args(m, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
	return m;
}

guint bus_call(struct bus *bus, DBusMessage *msg, int timeout_ms,
	bus_reply_fn fn, void *user_data, GDestroyNotify destroy)
{
	struct pending *p = g_new0(struct pending, 1);

	p->bus = bus;
	p->id = next_id(bus);
	p->fn = fn;
	p->user_data = user_data;
	p->destroy = destroy;

	if (bus->connected) {
		run_presend(bus);
		if (!dbus_connection_send_with_reply(bus->conn, msg, &p->call,
			    timeout_ms < 0 ? DBUS_TIMEOUT_USE_DEFAULT :
					     timeout_ms))
			p->call = NULL;
	}
	if (p->call) {
		dbus_pending_call_set_notify(p->call, pending_notify, p, NULL);
	} else {
		/* never sent: answer from a clean stack, as a reply would */
		p->local_reply = local_error(DBUS_ERR_DISCONNECTED,
			"not connected to the bus");
		p->idle = g_idle_add(local_reply_idle, p);
	}
	g_hash_table_insert(bus->pending, GUINT_TO_POINTER(p->id), p);
	return p->id;
}

guint bus_call_method(struct bus *bus, const char *dest, const char *path,
	const char *iface, const char *method, GVariant *args, int timeout_ms,
	bus_reply_fn fn, void *user_data, GDestroyNotify destroy)
{
	DBusMessage *m = msg_new_call(dest, path, iface, method, args);
	guint id;

	if (!m) {
		if (destroy)
			destroy(user_data);
		return 0;
	}
	id = bus_call(bus, m, timeout_ms, fn, user_data, destroy);
	dbus_message_unref(m);
	return id;
}

bool bus_cancel(struct bus *bus, guint id)
{
	struct pending *p = g_hash_table_lookup(bus->pending,
		GUINT_TO_POINTER(id));

	if (!p)
		return false;
	g_hash_table_remove(bus->pending, GUINT_TO_POINTER(id));
	if (p->call)
		dbus_pending_call_cancel(p->call);
	if (p->idle)
		g_source_remove(p->idle);
	pending_finish(p);
	return true;
}

/* ---- signal watches ----------------------------------------------------- */

guint bus_add_signal_watch(struct bus *bus, const char *sender,
	const char *path, const char *path_namespace, const char *iface,
	const char *member, bus_signal_fn fn, void *user_data,
	GDestroyNotify destroy)
{
	struct sigwatch *sw = g_new0(struct sigwatch, 1);
	GString *rule = g_string_new("type='signal'");

	sw->id = next_id(bus);
	sw->sender = g_strdup(sender);
	sw->path = g_strdup(path);
	sw->path_ns = g_strdup(path_namespace);
	sw->iface = g_strdup(iface);
	sw->member = g_strdup(member);
	sw->fn = fn;
	sw->user_data = user_data;
	sw->destroy = destroy;

	if (sender)
		g_string_append_printf(rule, ",sender='%s'", sender);
	if (path)
		g_string_append_printf(rule, ",path='%s'", path);
	if (path_namespace && strcmp(path_namespace, "/") != 0)
		g_string_append_printf(rule, ",path_namespace='%s'",
			path_namespace);
	if (iface)
		g_string_append_printf(rule, ",interface='%s'", iface);
	if (member)
		g_string_append_printf(rule, ",member='%s'", member);
	sw->rule = g_string_free(rule, FALSE);

	if (sender && sender[0] != ':')
		owner_track(bus, sender);
	if (bus->connected)
		dbus_bus_add_match(bus->conn, sw->rule, NULL);
	g_ptr_array_add(bus->sigwatches, sw);
	return sw->id;
}

void bus_remove_signal_watch(struct bus *bus, guint id)
{
	for (guint i = 0; i < bus->sigwatches->len; i++) {
		struct sigwatch *sw = g_ptr_array_index(bus->sigwatches, i);

		if (sw->id != id || sw->removed)
			continue;
		sw->removed = true;
		if (bus->connected)
			dbus_bus_remove_match(bus->conn, sw->rule, NULL);
		if (sw->sender && sw->sender[0] != ':')
			owner_untrack(bus, sw->sender);
		if (sw->destroy)
			sw->destroy(sw->user_data);
		break;
	}
	gc_lists(bus);
}

/* ---- name watches ------------------------------------------------------- */

struct initial {
	struct bus *bus;
	guint id;
};

static gboolean initial_idle(gpointer data)
{
	struct initial *in = data;
	struct bus *bus = in->bus;

	for (guint i = 0; i < bus->namewatches->len; i++) {
		struct namewatch *nw = g_ptr_array_index(bus->namewatches, i);
		struct nameowner *no;

		if (nw->id != in->id)
			continue;
		nw->idle = 0;
		no = g_hash_table_lookup(bus->owners, nw->name);
		if (no && no->known) {
			bus->iterating++;
			namewatch_notify(bus, nw, no->owner);
			bus->iterating--;
		}
		break;
	}
	gc_lists(bus);
	return G_SOURCE_REMOVE;
}

guint bus_watch_name(struct bus *bus, const char *name, bus_name_fn fn,
	void *user_data, GDestroyNotify destroy)
{
	struct namewatch *nw = g_new0(struct namewatch, 1);
	struct nameowner *no;

	nw->id = next_id(bus);
	nw->name = g_strdup(name);
	nw->fn = fn;
	nw->user_data = user_data;
	nw->destroy = destroy;
	g_ptr_array_add(bus->namewatches, nw);

	no = owner_track(bus, name);
	if (no->known) {
		struct initial *in = g_new0(struct initial, 1);

		in->bus = bus;
		in->id = nw->id;
		nw->idle = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE,
			initial_idle, in, g_free);
	}
	return nw->id;
}

void bus_unwatch_name(struct bus *bus, guint id)
{
	for (guint i = 0; i < bus->namewatches->len; i++) {
		struct namewatch *nw = g_ptr_array_index(bus->namewatches, i);

		if (nw->id != id || nw->removed)
			continue;
		nw->removed = true;
		if (nw->idle) {
			g_source_remove(nw->idle);
			nw->idle = 0;
		}
		owner_untrack(bus, nw->name);
		if (nw->destroy)
			nw->destroy(nw->user_data);
		break;
	}
	gc_lists(bus);
}

bool bus_request_name(struct bus *bus, const char *name, GError **error)
{
	DBusError err;
	int r;

	dbus_error_init(&err);
	r = dbus_bus_request_name(bus->conn, name, DBUS_NAME_FLAG_DO_NOT_QUEUE,
		&err);
	if (r < 0) {
		g_set_error(error, BCERROR,
			bcerror_from_dbus_name(err.name) ==
					BCERROR_ACCESS_DENIED ?
				BCERROR_ACCESS_DENIED :
				BCERROR_ENVIRONMENT,
			"cannot own %s: %s", name, err.message);
		dbus_error_free(&err);
		return false;
	}
	if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER &&
		r != DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot own %s: another process owns it", name);
		return false;
	}
	return true;
}
