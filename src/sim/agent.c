/* SPDX-License-Identifier: MIT */
/*
 * agent.c — org.bluez.AgentManager1 of the simulated bluetoothd, shared by
 * every adapter, and the calls into the agents registered with it. As
 * src/agent.c: one agent per client, a default agent, an agent whose owner
 * leaves the bus is dropped. Which agent method a pairing calls is
 * pairing.c's business.
 */
#include <string.h>

#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "sim-private.h"

void sim_agent_free(void *agent)
{
	struct sim_agent *a = agent;

	if (a->watch)
		bus_unwatch_name(a->srv->bus, a->watch);
	g_free(a->owner);
	g_free(a->path);
	g_free(a->capability);
	g_free(a);
}

static void agent_gone(const char *name, const char *owner, void *data)
{
	struct sim_agent *a = data;
	struct sim_server *srv = a->srv;
	char *who;

	(void)name;
	if (owner)
		return;
	who = g_strdup(a->owner);
	a->watch = 0;
	g_queue_remove_all(&srv->default_agents, a->owner);
	g_hash_table_remove(srv->agents, who);
	g_free(who);
}

struct sim_agent *sim_agent_for(struct sim_server *srv, const char *owner)
{
	struct sim_agent *a = owner ? g_hash_table_lookup(srv->agents, owner) :
	                              NULL;

	/* BlueZ falls back to the default agent (src/agent.c agent_get) */
	if (!a && srv->default_agents.head)
		a = g_hash_table_lookup(srv->agents,
			srv->default_agents.head->data);
	return a;
}

guint sim_agent_request(struct sim_server *srv, const char *owner,
	const char *path, const char *method, GVariant *args, int timeout_ms,
	bus_reply_fn fn, void *data)
{
	return bus_call_method(srv->bus, owner, path, BLUEZ_IFACE_AGENT, method,
		args, timeout_ms, fn, data, NULL);
}

void sim_agent_cancel(struct sim_server *srv, const char *owner,
	const char *path)
{
	DBusMessage *m = msg_new_call(owner, path, BLUEZ_IFACE_AGENT, "Cancel",
		NULL);

	dbus_message_set_no_reply(m, TRUE);
	bus_send(srv->bus, m);
	dbus_message_unref(m);
}

/* ---- AgentManager1 ------------------------------------------------------ */

static bool parse_capability(const char *cap)
{
	return !strcmp(cap, "") || !strcmp(cap, "DisplayOnly") ||
	       !strcmp(cap, "DisplayYesNo") || !strcmp(cap, "KeyboardOnly") ||
	       !strcmp(cap, "NoInputNoOutput") ||
	       !strcmp(cap, "KeyboardDisplay");
}

static void m_register_agent(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	const char *owner = svc_call_sender(call);
	const char *path, *cap;
	struct sim_agent *a;

	g_variant_get(args, "(&o&s)", &path, &cap);
	if (g_hash_table_lookup(srv->agents, owner)) {
		sim_reply_error(call, SIM_ERR_ALREADY_EXISTS);
		return;
	}
	if (!parse_capability(cap)) {
		sim_reply_error(call, SIM_ERR_INVALID_ARGS);
		return;
	}
	a = g_new0(struct sim_agent, 1);
	a->srv = srv;
	a->owner = g_strdup(owner);
	a->path = g_strdup(path);
	/* an empty capability means KeyboardDisplay (src/agent.c) */
	a->capability = g_strdup(*cap ? cap : "KeyboardDisplay");
	a->watch = bus_watch_name(srv->bus, owner, agent_gone, a, NULL);
	g_hash_table_replace(srv->agents, a->owner, a);
	svc_call_return(call, NULL);
}

/* The caller's agent at the path in @args, or NULL. */
static struct sim_agent *own_agent(struct sim_server *srv,
	struct svc_call *call, GVariant *args)
{
	struct sim_agent *a = g_hash_table_lookup(srv->agents,
		svc_call_sender(call));
	const char *path;

	g_variant_get(args, "(&o)", &path);
	return a && strcmp(a->path, path) == 0 ? a : NULL;
}

static void m_unregister_agent(struct svc_call *call, GVariant *args,
	void *data)
{
	struct sim_server *srv = data;
	struct sim_agent *a = own_agent(srv, call, args);

	if (!a) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	g_queue_remove_all(&srv->default_agents, a->owner);
	g_hash_table_remove(srv->agents, svc_call_sender(call));
	svc_call_return(call, NULL);
}

static void m_default_agent(struct svc_call *call, GVariant *args, void *data)
{
	struct sim_server *srv = data;
	struct sim_agent *a = own_agent(srv, call, args);

	if (!a) {
		sim_reply_error(call, SIM_ERR_DOES_NOT_EXIST);
		return;
	}
	g_queue_remove_all(&srv->default_agents, a->owner);
	g_queue_push_head(&srv->default_agents, a->owner);
	svc_call_return(call, NULL);
}

static const struct svc_method agent_manager_methods[] = {
	{ "RegisterAgent", "os", "", m_register_agent, "agent capability" },
	{ "UnregisterAgent", "o", "", m_unregister_agent, "agent" },
	{ "RequestDefaultAgent", "o", "", m_default_agent, "agent" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct svc_interface agent_manager_iface = {
	BLUEZ_IFACE_AGENT_MANAGER,
	agent_manager_methods,
	NULL,
	NULL,
};

void sim_agent_manager_add(struct sim_server *srv)
{
	service_add_interface(srv->svc, BLUEZ_PATH, &agent_manager_iface, srv);
}
