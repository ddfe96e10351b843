/* SPDX-License-Identifier: MIT */
/*
 * agent.c — org.bluez.Agent1 for the device under test.
 * Owns its exported interface and its registration. Never answers for a
 * device other than the target; never leaves a request unanswered.
 */
#include <string.h>

#include "bondcheck/agent.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"

#define CALL_TIMEOUT_MS 5000

/* A device we answer for, and how. */
struct slot {
	char *target;
	struct agent_policy policy;
	char *pin;
};

struct agent {
	struct service *svc;
	struct bus *bus;
	char *path;
	char *capability;
	struct slot slots[AGENT_MAX_SLOTS];
	agent_event_fn event_fn;
	void *event_data;
	bool registered;
	bool want_registered;
	bool want_default;
	char *bluez_owner;
	bool owner_known;
	guint name_watch;
	guint call;
	guint idle; /* an unregistration answered from the loop */
};

static const char *const capabilities[] = {
	"DisplayOnly",
	"DisplayYesNo",
	"KeyboardOnly",
	"NoInputNoOutput",
	"KeyboardDisplay",
};

bool agent_capability_valid(const char *capability)
{
	for (size_t i = 0; i < G_N_ELEMENTS(capabilities); i++)
		if (g_strcmp0(capability, capabilities[i]) == 0)
			return true;
	return false;
}

const char *agent_request_type_to_str(enum agent_request_type type)
{
	switch (type) {
	case AGENT_REQ_RELEASE: return "Release";
	case AGENT_REQ_PIN_CODE: return "RequestPinCode";
	case AGENT_REQ_DISPLAY_PIN_CODE: return "DisplayPinCode";
	case AGENT_REQ_PASSKEY: return "RequestPasskey";
	case AGENT_REQ_DISPLAY_PASSKEY: return "DisplayPasskey";
	case AGENT_REQ_CONFIRMATION: return "RequestConfirmation";
	case AGENT_REQ_AUTHORIZATION: return "RequestAuthorization";
	case AGENT_REQ_AUTHORIZE_SERVICE: return "AuthorizeService";
	case AGENT_REQ_CANCEL: return "Cancel";
	}
	return "unknown";
}

static void report(struct agent *a, struct agent_request *r)
{
	r->method = agent_request_type_to_str(r->type);
	if (a->event_fn)
		a->event_fn(a, r, a->event_data);
}

/*
 * Common start of every device-bound request: is it ours to answer? Only
 * bluetoothd may ask, and only about the device under test.
 */
static bool for_target(struct agent *a, struct svc_call *call,
	struct agent_request *r)
{
	r->slot = -1;
	for (int i = 0; i < AGENT_MAX_SLOTS && r->slot < 0; i++)
		if (a->slots[i].target &&
			!strcmp(a->slots[i].target, r->device))
			r->slot = i;
	r->foreign = r->slot < 0 || !a->bluez_owner ||
	             g_strcmp0(svc_call_sender(call), a->bluez_owner) != 0;
	return !r->foreign;
}

/* The policy of the target @r was for (for_target() said yes). */
static const struct agent_policy *policy(struct agent *a,
	const struct agent_request *r)
{
	return &a->slots[r->slot].policy;
}

static void reject(struct svc_call *call, struct agent_request *r,
	const char *why)
{
	r->accepted = false;
	r->answer = why;
	svc_call_error(call, BLUEZ_ERR_REJECTED, "%s", why);
}

static void m_release(struct svc_call *call, GVariant *args, void *data)
{
	struct agent *a = data;
	struct agent_request r = { .type = AGENT_REQ_RELEASE,
		.accepted = true,
		.answer = "released",
		.slot = -1 };

	(void)args;
	/* only bluetoothd may release us */
	if (g_strcmp0(svc_call_sender(call), a->bluez_owner) == 0)
		a->registered = false;
	svc_call_return(call, NULL);
	report(a, &r);
}

static void m_pin_code(struct svc_call *call, GVariant *args, void *data)
{
	struct agent *a = data;
	struct agent_request r = { .type = AGENT_REQ_PIN_CODE };

	g_variant_get(args, "(&o)", &r.device);
	if (!for_target(a, call, &r))
		reject(call, &r, "not the device under test");
	else if (!policy(a, &r)->pin)
		reject(call, &r, "no PIN code configured");
	else {
		r.accepted = true;
		r.pin = policy(a, &r)->pin;
		r.answer = "pin";
		svc_call_return(call, g_variant_new("(s)", r.pin));
	}
	report(a, &r);
}

static void m_display_pin(struct svc_call *call, GVariant *args, void *data)
{
	struct agent *a = data;
	struct agent_request r = { .type = AGENT_REQ_DISPLAY_PIN_CODE };

	g_variant_get(args, "(&o&s)", &r.device, &r.pin);
	if (!for_target(a, call, &r)) {
		reject(call, &r, "not the device under test");
	} else {
		r.accepted = true;
		r.answer = "displayed";
		svc_call_return(call, NULL);
	}
	report(a, &r);
}

static void m_passkey(struct svc_call *call, GVariant *args, void *data)
{
	struct agent *a = data;
	struct agent_request r = { .type = AGENT_REQ_PASSKEY };

	g_variant_get(args, "(&o)", &r.device);
	if (!for_target(a, call, &r)) {
		reject(call, &r, "not the device under test");
	} else if (policy(a, &r)->passkey < 0 ||
		   policy(a, &r)->passkey > 999999) {
		reject(call, &r, "no passkey configured");
	} else {
		r.accepted = true;
		r.passkey = (uint32_t)policy(a, &r)->passkey;
		r.answer = "passkey";
		svc_call_return(call, g_variant_new("(u)", r.passkey));
	}
	report(a, &r);
}

static void m_display_passkey(struct svc_call *call, GVariant *args, void *data)
{
	struct agent *a = data;
	struct agent_request r = { .type = AGENT_REQ_DISPLAY_PASSKEY };

	g_variant_get(args, "(&ouq)", &r.device, &r.passkey, &r.entered);
	if (!for_target(a, call, &r)) {
		reject(call, &r, "not the device under test");
	} else {
		r.accepted = true;
		r.answer = "displayed";
		svc_call_return(call, NULL);
	}
	report(a, &r);
}

static void yes_no(struct agent *a, struct svc_call *call,
	struct agent_request *r)
{
	if (!for_target(a, call, r)) {
		reject(call, r, "not the device under test");
	} else if (!policy(a, r)->accept) {
		reject(call, r, "rejected by policy");
	} else {
		r->accepted = true;
		r->answer = "accepted";
		svc_call_return(call, NULL);
	}
	report(a, r);
}

static void m_confirmation(struct svc_call *call, GVariant *args, void *data)
{
	struct agent_request r = { .type = AGENT_REQ_CONFIRMATION };

	g_variant_get(args, "(&ou)", &r.device, &r.passkey);
	yes_no(data, call, &r);
}

static void m_authorization(struct svc_call *call, GVariant *args, void *data)
{
	struct agent_request r = { .type = AGENT_REQ_AUTHORIZATION };

	g_variant_get(args, "(&o)", &r.device);
	yes_no(data, call, &r);
}

static void m_authorize_service(struct svc_call *call, GVariant *args,
	void *data)
{
	struct agent_request r = { .type = AGENT_REQ_AUTHORIZE_SERVICE };

	g_variant_get(args, "(&o&s)", &r.device, &r.uuid);
	yes_no(data, call, &r);
}

static void m_cancel(struct svc_call *call, GVariant *args, void *data)
{
	struct agent *a = data;
	struct agent_request r = { .type = AGENT_REQ_CANCEL,
		.accepted = true,
		.answer = "canceled",
		.slot = -1 };

	(void)args;
	/* every request was answered synchronously: nothing to drop */
	svc_call_return(call, NULL);
	report(a, &r);
}

static const struct svc_method agent_methods[] = {
	{ "Release", "", "", m_release },
	{ "RequestPinCode", "o", "s", m_pin_code },
	{ "DisplayPinCode", "os", "", m_display_pin },
	{ "RequestPasskey", "o", "u", m_passkey },
	{ "DisplayPasskey", "ouq", "", m_display_passkey },
	{ "RequestConfirmation", "ou", "", m_confirmation },
	{ "RequestAuthorization", "o", "", m_authorization },
	{ "AuthorizeService", "os", "", m_authorize_service },
	{ "Cancel", "", "", m_cancel },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface agent_iface = {
	BLUEZ_IFACE_AGENT,
	agent_methods,
	NULL,
	NULL,
};

/* ---- registration ------------------------------------------------------- */

struct reg_op {
	struct agent *agent;
	agent_done_fn fn;
	void *user_data;
	int step; /* 0: RegisterAgent, 1: RequestDefaultAgent */
	bool unregister;
};

static void reg_send(struct reg_op *op);

/* The call owns its op: freed by the call's destroy, answered or not. */
static void reg_finish(struct reg_op *op, const GError *error)
{
	op->agent->call = 0;
	if (op->fn)
		op->fn(op->agent, error, op->user_data);
}

static void reg_reply(DBusMessage *reply, void *data)
{
	struct reg_op *op = data;
	struct agent *a = op->agent;
	GError *err = NULL;

	if (msg_is_error(reply, &err)) {
		/* AlreadyExists: we are registered from an earlier attempt */
		if (!op->unregister && op->step == 0 &&
			g_error_matches(err, BCERROR, BCERROR_ALREADY_EXISTS)) {
			g_clear_error(&err);
		} else {
			if (op->unregister)
				a->registered = false;
			reg_finish(op, err);
			g_error_free(err);
			return;
		}
	}
	if (op->unregister) {
		a->registered = false;
		reg_finish(op, NULL);
		return;
	}
	if (op->step == 0) {
		a->registered = true;
		if (a->want_default) {
			struct reg_op *next = g_memdup2(op, sizeof(*op));

			next->step = 1;
			reg_send(next);
			return;
		}
	}
	reg_finish(op, NULL);
}

static void reg_send(struct reg_op *op)
{
	struct agent *a = op->agent;
	const char *method = op->unregister ? "UnregisterAgent" :
	                     op->step == 0  ? "RegisterAgent" :
	                                      "RequestDefaultAgent";
	GVariant *args = op->unregister || op->step == 1 ?
	                         g_variant_new("(o)", a->path) :
	                         g_variant_new("(os)", a->path, a->capability);

	a->call = bus_call_method(a->bus, BLUEZ_SERVICE, BLUEZ_PATH,
		BLUEZ_IFACE_AGENT_MANAGER, method, args, CALL_TIMEOUT_MS,
		reg_reply, op, g_free);
}

void agent_register(struct agent *a, bool make_default, agent_done_fn fn,
	void *user_data)
{
	struct reg_op *op = g_new0(struct reg_op, 1);

	if (a->call)
		bus_cancel(a->bus, a->call);
	a->want_registered = true;
	a->want_default = make_default;
	op->agent = a;
	op->fn = fn;
	op->user_data = user_data;
	reg_send(op);
}

static gboolean done_idle(gpointer data)
{
	struct reg_op *op = data;

	op->agent->idle = 0;
	if (op->fn)
		op->fn(op->agent, NULL, op->user_data);
	return G_SOURCE_REMOVE;
}

void agent_unregister(struct agent *a, agent_done_fn fn, void *user_data)
{
	struct reg_op *op = g_new0(struct reg_op, 1);

	if (a->call) {
		bus_cancel(a->bus, a->call);
		a->call = 0;
	}
	a->want_registered = false;
	op->agent = a;
	op->fn = fn;
	op->user_data = user_data;
	op->unregister = true;
	if (!a->registered) {
		if (a->idle)
			g_source_remove(a->idle);
		a->idle = g_idle_add_full(G_PRIORITY_DEFAULT, done_idle, op,
			g_free);
		return;
	}
	reg_send(op);
}

static void owner_cb(const char *name, const char *owner, void *data)
{
	struct agent *a = data;
	bool changed = a->owner_known && g_strcmp0(owner, a->bluez_owner) != 0;

	(void)name;
	a->owner_known = true;
	g_free(a->bluez_owner);
	a->bluez_owner = g_strdup(owner);
	if (!changed)
		return;
	/* a new bluetoothd (or none) knows nothing of us: register again */
	a->registered = false;
	if (owner && a->want_registered && !a->call)
		agent_register(a, a->want_default, NULL, NULL);
}

/* ---- life cycle --------------------------------------------------------- */

struct agent *agent_new(struct service *svc, const char *path,
	const char *capability)
{
	struct agent *a;

	if (!agent_capability_valid(capability))
		return NULL;
	a = g_new0(struct agent, 1);
	a->svc = svc;
	a->bus = bus_ref(service_bus(svc));
	a->path = g_strdup(path ? path : BC_AGENT_PATH);
	a->capability = g_strdup(capability);
	for (int i = 0; i < AGENT_MAX_SLOTS; i++) {
		a->slots[i].policy.accept = true;
		a->slots[i].policy.passkey = -1;
	}
	if (!service_add_interface(svc, a->path, &agent_iface, a)) {
		bus_unref(a->bus);
		g_free(a->path);
		g_free(a->capability);
		g_free(a);
		return NULL;
	}
	a->name_watch = bus_watch_name(a->bus, BLUEZ_SERVICE, owner_cb, a,
		NULL);
	return a;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	if (a->call)
		bus_cancel(a->bus, a->call);
	/* an unregistration's answer not given yet is nobody's now */
	if (a->idle)
		g_source_remove(a->idle);
	if (a->registered) {
		/* best effort on the way out: no reply needed */
		DBusMessage *m = msg_new_call(BLUEZ_SERVICE, BLUEZ_PATH,
			BLUEZ_IFACE_AGENT_MANAGER, "UnregisterAgent",
			g_variant_new("(o)", a->path));

		dbus_message_set_no_reply(m, TRUE);
		bus_send(a->bus, m);
		dbus_message_unref(m);
		dbus_connection_flush(bus_conn(a->bus));
	}
	bus_unwatch_name(a->bus, a->name_watch);
	service_remove_interface(a->svc, a->path, BLUEZ_IFACE_AGENT);
	bus_unref(a->bus);
	g_free(a->path);
	g_free(a->capability);
	for (int i = 0; i < AGENT_MAX_SLOTS; i++) {
		g_free(a->slots[i].target);
		g_free(a->slots[i].pin);
	}
	g_free(a->bluez_owner);
	g_free(a);
}

void agent_set_slot_target(struct agent *a, unsigned slot,
	const char *device_path)
{
	if (slot >= AGENT_MAX_SLOTS)
		return;
	g_free(a->slots[slot].target);
	a->slots[slot].target = g_strdup(device_path);
}

void agent_set_slot_policy(struct agent *a, unsigned slot,
	const struct agent_policy *policy)
{
	struct slot *s;

	if (slot >= AGENT_MAX_SLOTS)
		return;
	s = &a->slots[slot];
	s->policy = *policy;
	g_free(s->pin);
	s->pin = g_strdup(policy->pin);
	s->policy.pin = s->pin;
}

void agent_set_target(struct agent *a, const char *device_path)
{
	agent_set_slot_target(a, 0, device_path);
}

void agent_set_policy(struct agent *a, const struct agent_policy *policy)
{
	agent_set_slot_policy(a, 0, policy);
}

void agent_set_event_cb(struct agent *a, agent_event_fn fn, void *user_data)
{
	a->event_fn = fn;
	a->event_data = user_data;
}

bool agent_is_registered(struct agent *a)
{
	return a->registered;
}

const char *agent_path(struct agent *a)
{
	return a->path;
}
