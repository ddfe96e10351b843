/* SPDX-License-Identifier: MIT */
/*
 * engine-setup.c — what a run does before its first step.
 *
 * Picks each central's adapter, claims the DUT on it (one run per device
 * and adapter), registers one pairing agent per central, and sets each
 * central's address privacy as the scenario asks; then hands over to the
 * program counter in engine.c. A setup that cannot complete ends the run
 * as an environment error, with the reason.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "step.h"

static void agent_ready(const GError *error, void *data)
{
	struct engine *e = data;

	if (e->state != ENGINE_STATE_WAITING)
		return;
	if (error) {
		char *m =
			g_strdup_printf("cannot register the pairing agent: %s",
				error->message);

		engine_fail_env(e, m);
		g_free(m);
		return;
	}
	e->agent_registered = true;
	if (e->ready_timer) {
		e->env.clock->cancel(e->env.clock_data, e->ready_timer);
		e->ready_timer = 0;
	}
	runlog_run_start(e);
	runlog_agent(e, LOG_AGENT_REGISTERED, NULL);
	engine_enter_state(e, ENGINE_STATE_RUNNING);
	e->stack[0] = (struct frame){ e->scn->steps, 0, 1, 1, false, NULL };
	e->depth = 1;
	for (unsigned i = 0; e->cfg.device && i < e->n_centrals; i++) {
		struct central *c = &e->centrals[i];
		const char *p = bluez_find_device(e->env.model, c->adapter,
			e->cfg.device);

		if (p)
			central_adopt(c, p);
		/* a link up before the run is left up at its end */
		c->link_at_start = central_connected(c);
	}
	engine_next_step(e);
}

/* Each central's adapter: bondcheckd's claim, --adapter for the first, the
 * scenario's adapter=, or the first powered one no other central has. */
static bool pick_adapters(struct engine *e)
{
	unsigned n = e->n_centrals;
	const char **names = g_new0(const char *, n);
	const char **labels = g_new0(const char *, n);
	const char **paths = g_new0(const char *, n);
	GError *err = NULL;
	bool ok;

	for (unsigned i = 0; i < n; i++) {
		const struct central *c = &e->centrals[i];

		labels[i] = c->name;
		names[i] = e->cfg.adapters && e->cfg.adapters[i] ?
		                   e->cfg.adapters[i] :
		           i == 0 && e->cfg.adapter ? e->cfg.adapter :
		                                      c->decl->adapter;
	}
	ok = bluez_pick_adapters(e->env.model, n, names, labels, paths, &err);
	if (ok) {
		for (unsigned i = 0; i < n; i++) {
			g_free(e->centrals[i].adapter);
			e->centrals[i].adapter = g_strdup(paths[i]);
		}
	} else {
		engine_fail_env(e, err->message);
		g_error_free(err);
	}
	g_free(names);
	g_free(labels);
	g_free(paths);
	return ok;
}

/* The adapters are ours and their privacy as the run wants: the agent. */
static void setup_agent(struct engine *e)
{
	const char *io;

	if (e->state != ENGINE_STATE_WAITING)
		return;
	io = pair_agent_capability(e->scn->steps);
	g_free(e->agent_cap);
	e->agent_cap = g_strdup(io ? io : SCN_DEFAULT_IO);
	for (unsigned i = 0; i < e->n_centrals; i++)
		central_agent_policy(&e->centrals[i], true, -1);
	e->env.agent->register_agent(e->env.agent_data, e->agent_cap,
		agent_ready, e);
}

/* The DUT through each central's adapter is this run's alone: a second
 * run on them would fail this one's steps, and its own. */
static bool claim_dut(struct engine *e)
{
	if (!e->env.claim || !e->dev_address)
		return true;
	for (unsigned i = 0; i < e->n_centrals; i++) {
		char *why = NULL;

		if (e->env.claim(e->env.claim_data, i, e->centrals[i].adapter,
			    e->dev_address, &why))
			continue;
		engine_fail_env(e,
			why ? why : "the device is in use by another run");
		g_free(why);
		return false;
	}
	return true;
}

void engine_setup(struct engine *e)
{
	if (e->state != ENGINE_STATE_WAITING || e->agent_registered ||
		e->setting_up)
		return;
	if (!pick_adapters(e) || !claim_dut(e))
		return;
	e->setting_up = true;
	privacy_setup(e, setup_agent);
}
