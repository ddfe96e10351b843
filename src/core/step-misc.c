/* SPDX-License-Identifier: MIT */
/*
 * step-misc.c — `expect` (the DUT's Device1 properties, now or within its
 * timeout) and `sleep` (the one step that waits on the clock alone).
 */
#include <string.h>

#include "step.h"

enum expect_phase {
	EXPECT_PHASE_START,
	EXPECT_PHASE_WAITING,
};

static const char *expect_phase_to_str(int phase)
{
	switch ((enum expect_phase)phase) {
	case EXPECT_PHASE_START: return "start";
	case EXPECT_PHASE_WAITING: return "waiting-for-properties";
	}
	return "unknown";
}

/* Do all the PROP=VALUE hold? With @why, say which do not. */
static bool expect_holds(struct engine *e, GString *why)
{
	struct central *c = step_central(e);
	const GArray *x = e->st.s->expects;
	bool all = true;

	for (guint i = 0; i < x->len; i++) {
		const struct scn_expect *p = &g_array_index(x, struct scn_expect,
			i);
		bool v;

		if (p->prop == SCN_PROP_BONDED && central_no_bonded_prop(c)) {
			if (!why)
				step_timeline(e, "bonded= not checked: this "
					"BlueZ has no Bonded property");
			continue;
		}
		v = central_dev_bool(c, scn_prop_bluez_name(p->prop));
		if (v != p->value) {
			all = false;
			if (why)
				g_string_append_printf(why, "%s%s is %s, "
					"expected %s", why->len ? "; " : "",
					scn_prop_to_str(p->prop),
					v ? "yes" : "no",
					p->value ? "yes" : "no");
		}
	}
	return all;
}

static void expect_fail(struct engine *e)
{
	struct central *c = step_central(e);
	const GArray *x = e->st.s->expects;
	GString *why = g_string_new("");
	enum verdict v = VERDICT_EXPECTATION_FAILED;

	expect_holds(e, why);
	for (guint i = 0; i < x->len; i++) {
		const struct scn_expect *p = &g_array_index(x, struct scn_expect,
			i);

		if (p->prop == SCN_PROP_BONDED && p->value &&
		    !central_bonded(c) && !central_no_bonded_prop(c))
			v = VERDICT_LOCAL_BOND_LOST;
	}
	step_fail(e, v, CONFIDENCE_NONE, "%s", why->str);
	g_string_free(why, TRUE);
}

static void expect_start(struct engine *e)
{
	if (expect_holds(e, NULL))
		step_pass(e);
	else if (e->st.s->timeout_ms <= 0)
		expect_fail(e);
	else
		step_enter_phase(e, EXPECT_PHASE_WAITING);
}

static void expect_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	(void)name;
	(void)v;
	if (expect_holds(e, NULL))
		step_pass(e);
}

static void expect_timeout(struct engine *e, const char *d)
{
	(void)d;
	expect_fail(e);
}

const struct step_ops step_expect_ops = {
	.start = expect_start,
	.dut_prop = expect_dut_prop,
	.timeout = expect_timeout,
	.phase_to_str = expect_phase_to_str,
};

/* ---- sleep --------------------------------------------------------------- */

static void sleep_start(struct engine *e)
{
	step_after(e, e->st.s->sleep_ms, step_pass);
}

const struct step_ops step_sleep_ops = {
	.start = sleep_start,
};
