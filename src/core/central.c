/* SPDX-License-Identifier: MIT */
/*
 * central.c — one central of a run: its adapter, its agent's target, its
 * discovery session, and the DUT as that adapter's BlueZ objects show it.
 * Reads the model; talks to BlueZ only through step_call(). Knows nothing
 * of steps: the ends of its discovery calls go back to engine.c, which
 * routes them to the current step.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/logread.h"
#include "bondcheck/logschema.h"
#include "bondcheck/names.h"
#include "step.h"

void central_init(struct central *c, struct engine *e, unsigned index)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->index = index;
	c->decl = g_ptr_array_index(e->scn->centrals, index);
	c->name = scn_central_label(c->decl);
	gatt_subs_init(c);
}

void central_clear(struct central *c)
{
	link_early_clear(c);
	privacy_clear(c);
	g_hash_table_destroy(c->subs);
	g_free(c->adapter);
	g_free(c->dev_path);
	if (c->dut_lost)
		json_node_unref(c->dut_lost);
}

static bool under(const char *path, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

struct central *central_of_path(struct engine *e, const char *path)
{
	if (!path)
		return NULL;
	for (unsigned i = 0; i < e->n_centrals; i++) {
		struct central *c = &e->centrals[i];
		char *sim;
		bool mine;

		if (!c->adapter)
			continue;
		if (under(path, c->adapter))
			return c;
		sim = bluez_sim_path(c->adapter);
		mine = !strcmp(sim, path);
		g_free(sim);
		if (mine)
			return c;
	}
	return NULL;
}

struct central *central_of_address(struct engine *e, const char *addr)
{
	for (unsigned i = 0; addr && *addr && i < e->n_centrals; i++) {
		struct central *c = &e->centrals[i];
		const char *a = c->adapter ? model_str(e->env.model, c->adapter,
						     BLUEZ_IFACE_ADAPTER,
						     "Address") :
		                             NULL;

		/* its public address, or the RPA of its last link */
		if ((a && !g_ascii_strcasecmp(a, addr)) ||
			!g_ascii_strcasecmp(c->priv.own_address, addr))
			return c;
	}
	return NULL;
}

void central_agent_policy(struct central *c, bool accept, long passkey)
{
	c->e->env.agent->set_policy(c->e->env.agent_data, c->index, accept,
		passkey);
}

const char *central_dut(struct central *c)
{
	struct engine *e = c->e;
	const char *p = NULL;

	if (!c->adapter)
		return NULL;
	if (e->dev_address)
		p = bluez_find_device(e->env.model, c->adapter, e->dev_address);
	if (p && (!c->dev_path || strcmp(p, c->dev_path))) {
		g_free(c->dev_path);
		c->dev_path = g_strdup(p);
	}
	if (!p && c->dev_path &&
		!model_has(e->env.model, c->dev_path, BLUEZ_IFACE_DEVICE)) {
		g_free(c->dev_path);
		c->dev_path = NULL;
	}
	return p;
}

bool central_dev_bool(struct central *c, const char *name)
{
	bool v = false;
	const char *p = central_dut(c);

	return p &&
	       model_bool(c->e->env.model, p, BLUEZ_IFACE_DEVICE, name, &v) &&
	       v;
}

/*
 * bluetoothd 5.66 can miss Connected=true: when the kernel's mgmt Device
 * Connected event comes while its state still holds the last link,
 * device_add_connection() logs "is already connected" and emits nothing
 * (seen in the QEMU tier under load: Connect() ok, encryption on,
 * ServicesResolved=true, Connected false for good). ServicesResolved is
 * true only on a link, so it counts as one.
 */
bool central_connected(struct central *c)
{
	return central_dev_bool(c, "Connected") ||
	       central_dev_bool(c, "ServicesResolved");
}

bool central_bonded(struct central *c)
{
	struct engine *e = c->e;
	bool from_paired = false;
	const char *p = central_dut(c);
	bool b = p && bluez_device_bonded(e->env.model, p, &from_paired);

	if (p && from_paired && !e->noted_paired_only) {
		e->noted_paired_only = true;
		engine_note(e, LOG_NOTE_NO_BONDED_PROPERTY,
			"this BlueZ has "
			"no Bonded property (< 5.65): Paired stands for the "
			"bond");
	}
	return b;
}

bool central_no_bonded_prop(struct central *c)
{
	const char *p = central_dut(c);

	return p &&
	       !model_prop(c->e->env.model, p, BLUEZ_IFACE_DEVICE, "Bonded");
}

void central_adopt(struct central *c, const char *path)
{
	struct engine *e = c->e;
	const char *addr = model_str(e->env.model, path, BLUEZ_IFACE_DEVICE,
		"Address");
	const char *name = model_str(e->env.model, path, BLUEZ_IFACE_DEVICE,
		"Name");
	char *old = c->dev_path;

	/* @path may be c->dev_path itself: copy before letting go */
	c->dev_path = g_strdup(path);
	g_free(old);
	if (addr && !e->dev_address)
		e->dev_address = g_strdup(addr);
	if (name && !e->dut_name)
		e->dut_name = g_strdup(name);
	e->env.agent->set_target(e->env.agent_data, c->index, c->dev_path);
}

bool central_dut_in_range(struct central *c, const char **path)
{
	struct engine *e = c->e;
	const char *p;

	if (!c->adapter)
		return false;
	p = e->dev_address     ? bluez_find_device(e->env.model, c->adapter,
					 e->dev_address) :
	    e->cfg.device_name ? bluez_find_device_by_name(e->env.model,
					 c->adapter, e->cfg.device_name) :
	                         NULL;
	*path = p;
	return p && model_prop(e->env.model, p, BLUEZ_IFACE_DEVICE, "RSSI");
}

const char *central_find_chr(struct central *c, const char *uuid)
{
	const char *p = central_dut(c);

	return p ? bluez_find_chrc(c->e->env.model, p, uuid) : NULL;
}

void central_save_pairable(struct central *c)
{
	bool v = false;

	if (c->pairable_saved)
		return;
	model_bool(c->e->env.model, c->adapter, BLUEZ_IFACE_ADAPTER, "Pairable",
		&v);
	c->pairable_orig = v;
	c->pairable_saved = true;
}

/* ---- discovery ---------------------------------------------------------- */

static void discovery_started(struct engine *e, const struct bluez_reply *r)
{
	/* InProgress: our own session is already running */
	if (!r->error || r->error->code == BCERROR_IN_PROGRESS)
		step_central(e)->discovering = true;
	engine_discovery_started(e, r);
}

static void filter_set(struct engine *e, const struct bluez_reply *r)
{
	(void)r; /* an adapter without filters still discovers */
	step_call(e, BLUEZ_OP_START_DISCOVERY, step_central(e)->adapter, NULL,
		discovery_started);
}

void central_start_discovery(struct central *c)
{
	GVariantBuilder f;

	if (c->discovering) {
		struct bluez_reply ok = { NULL, NULL, NULL, NULL };

		engine_discovery_started(c->e, &ok);
		return;
	}
	g_variant_builder_init(&f, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&f, "{sv}", "Transport",
		g_variant_new_string("le"));
	step_call(c->e, BLUEZ_OP_SET_DISCOVERY_FILTER, c->adapter,
		g_variant_builder_end(&f), filter_set);
}

static void discovery_stopped(struct engine *e, const struct bluez_reply *r)
{
	(void)r; /* stopping a discovery that stopped already is fine */
	engine_discovery_stopped(e);
}

void central_stop_discovery(struct central *c)
{
	if (!c->discovering) {
		engine_discovery_stopped(c->e);
		return;
	}
	c->discovering = false;
	step_call(c->e, BLUEZ_OP_STOP_DISCOVERY, c->adapter, NULL,
		discovery_stopped);
}

/* ---- the bond, across centrals ------------------------------------------ */

void central_bonded_now(struct central *c)
{
	c->bond_seq = ++c->e->bond_seq;
	if (c->dut_lost) {
		json_node_unref(c->dut_lost);
		c->dut_lost = NULL;
	}
}

void central_bond_gone(struct central *c)
{
	c->bond_seq = 0;
}

static gint by_bond(gconstpointer a, gconstpointer b)
{
	const struct central *x = *(struct central *const *)a;
	const struct central *y = *(struct central *const *)b;

	return x->bond_seq < y->bond_seq ? -1 : x->bond_seq > y->bond_seq;
}

/* A central's name for an address in the DUT's trace, else the address. */
static const char *who(struct engine *e, const char *addr)
{
	struct central *c = central_of_address(e, addr);

	return c ? c->name : addr ? addr : "?";
}

static void dut_said(struct central *c, JsonBuilder *b, GString *why)
{
	JsonObject *o = json_node_get_object(c->dut_lost);
	const char *ev = step_str(o, "event", "");

	if (!strcmp(ev, "bond-evicted")) {
		g_string_append_printf(why,
			"; the DUT's trace: it evicted %s's "
			"bond for %s's (%s, a table of %" G_GINT64_FORMAT ")",
			c->name, who(c->e, step_str(o, "for", NULL)),
			step_str(o, "policy", "?"),
			logread_int(o, "table_size", 0));
	} else if (!strcmp(ev, "later-bonds-lost")) {
		g_string_append_printf(why,
			"; the DUT's trace: after its reboot "
			"it kept only its first bond (%s) and lost %s's",
			step_str(o, "kept", "?"), c->name);
	}
	json_builder_set_member_name(b, LOG_KEY_DUT_TRACE);
	json_builder_add_value(b, json_node_copy(c->dut_lost));
}

/* "key": [the centrals' names] */
static void add_names(JsonBuilder *b, const char *key, GPtrArray *centrals)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (guint i = 0; i < centrals->len; i++)
		json_builder_add_string_value(b,
			((struct central *)centrals->pdata[i])->name);
	json_builder_end_array(b);
}

void central_bond_history(struct central *c, JsonBuilder *b, GString *why)
{
	struct engine *e = c->e;
	GPtrArray *order = g_ptr_array_new();
	GPtrArray *after = g_ptr_array_new();

	for (unsigned i = 0; i < e->n_centrals; i++) {
		struct central *o = &e->centrals[i];

		if (!o->bond_seq)
			continue;
		g_ptr_array_add(order, o);
		if (c->bond_seq && o->bond_seq > c->bond_seq)
			g_ptr_array_add(after, o);
	}
	g_ptr_array_sort(order, by_bond);
	g_ptr_array_sort(after, by_bond);
	if (after->len) {
		bool oldest = order->len > 1 &&
		              g_ptr_array_index(order, 0) == (gpointer)c;

		json_builder_set_member_name(b, LOG_KEY_BOND_HISTORY);
		json_builder_begin_object(b);
		add_names(b, LOG_KEY_BOND_ORDER, order);
		add_names(b, LOG_KEY_BONDED_AFTER, after);
		json_builder_set_member_name(b, LOG_KEY_OLDEST);
		json_builder_add_boolean_value(b, oldest);
		json_builder_end_object(b);
		g_string_append_printf(why, "; %u central%s bonded after %s (",
			after->len, after->len == 1 ? "" : "s", c->name);
		for (guint i = 0; i < after->len; i++)
			g_string_append_printf(why, "%s%s", i ? ", " : "",
				((struct central *)after->pdata[i])->name);
		g_string_append_printf(why, ")%s%s%s", oldest ? "; " : "",
			oldest ? c->name : "",
			oldest ? "'s bond was the oldest" : "");
	}
	if (c->dut_lost)
		dut_said(c, b, why);
	g_ptr_array_free(order, TRUE);
	g_ptr_array_free(after, TRUE);
}

/* Does the DUT's @index ("public/AA:BB:...") name @c's identity? */
static bool index_is(struct central *c, const char *index)
{
	const char *a = c->adapter ? model_str(c->e->env.model, c->adapter,
					     BLUEZ_IFACE_ADAPTER, "Address") :
	                             NULL;
	size_t n = index ? strlen(index) : 0;

	return a && n >= strlen(a) &&
	       !g_ascii_strcasecmp(index + n - strlen(a), a);
}

void central_dut_trace(struct engine *e, JsonNode *node)
{
	JsonObject *ev = json_node_get_object(node);
	const char *event = step_str(ev, "event", "");
	struct central *c = central_of_address(e, step_str(ev, "peer", NULL));

	if (!strcmp(event, "bond-evicted") && c) {
		if (c->dut_lost)
			json_node_unref(c->dut_lost);
		c->dut_lost = json_node_copy(node);
	} else if (!strcmp(event, "bond-refused") && c) {
		c->dut_refused = true;
	} else if (!strcmp(event, "later-bonds-lost")) {
		JsonNode *lost = json_object_get_member(ev, "lost");
		JsonArray *a = lost && JSON_NODE_HOLDS_ARRAY(lost) ?
		                       json_node_get_array(lost) :
		                       NULL;

		for (guint i = 0; a && i < json_array_get_length(a); i++) {
			JsonNode *x = json_array_get_element(a, i);

			if (!JSON_NODE_HOLDS_VALUE(x) ||
				json_node_get_value_type(x) != G_TYPE_STRING)
				continue;
			for (unsigned k = 0; k < e->n_centrals; k++) {
				struct central *o = &e->centrals[k];

				if (!index_is(o, json_node_get_string(x)))
					continue;
				if (o->dut_lost)
					json_node_unref(o->dut_lost);
				o->dut_lost = json_node_copy(node);
			}
		}
	}
}
