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
#include "bondcheck/names.h"
#include "step.h"

void central_init(struct central *c, struct engine *e)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	gatt_subs_init(c);
}

void central_clear(struct central *c)
{
	g_hash_table_destroy(c->subs);
	g_free(c->adapter);
	g_free(c->dev_path);
	g_free(c->agent_cap);
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
	if (!p && c->dev_path && !model_has(e->env.model, c->dev_path,
				       BLUEZ_IFACE_DEVICE)) {
		g_free(c->dev_path);
		c->dev_path = NULL;
	}
	return p;
}

bool central_dev_bool(struct central *c, const char *name)
{
	bool v = false;
	const char *p = central_dut(c);

	return p && model_bool(c->e->env.model, p, BLUEZ_IFACE_DEVICE, name,
			    &v) && v;
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
		engine_note(e, LOG_NOTE_NO_BONDED_PROPERTY, "this BlueZ has "
			"no Bonded property (< 5.65): Paired stands for the "
			"bond");
	}
	return b;
}

bool central_no_bonded_prop(struct central *c)
{
	const char *p = central_dut(c);

	return p && !model_prop(c->e->env.model, p, BLUEZ_IFACE_DEVICE,
			    "Bonded");
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
	e->env.agent->set_target(e->env.agent_data, c->dev_path);
}

bool central_dut_in_range(struct central *c, const char **path)
{
	struct engine *e = c->e;
	const char *p;

	if (!c->adapter)
		return false;
	p = e->dev_address ? bluez_find_device(e->env.model, c->adapter,
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
	model_bool(c->e->env.model, c->adapter, BLUEZ_IFACE_ADAPTER,
		"Pairable", &v);
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
	(void)r;   /* an adapter without filters still discovers */
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
	g_variant_builder_add(&f, "{sv}", "Transport", g_variant_new_string("le"));
	step_call(c->e, BLUEZ_OP_SET_DISCOVERY_FILTER, c->adapter,
		g_variant_builder_end(&f), filter_set);
}

static void discovery_stopped(struct engine *e, const struct bluez_reply *r)
{
	(void)r;   /* stopping a discovery that stopped already is fine */
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
