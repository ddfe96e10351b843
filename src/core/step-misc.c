/* SPDX-License-Identifier: MIT */
/*
 * step-misc.c — `expect` (the DUT's Device1 properties, now or within its
 * timeout), `expect-adv` (what it advertises, as Device1 shows it) and
 * `sleep` (the one step that waits on the clock alone).
 */
#include <string.h>

#include "bondcheck/evlog.h"
#include "bondcheck/names.h"

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
		const struct scn_expect *p = &g_array_index(x,
			struct scn_expect, i);
		bool v;

		if (p->prop == SCN_PROP_BONDED && central_no_bonded_prop(c)) {
			if (!why)
				step_timeline(e,
					"bonded= not checked: this "
					"BlueZ has no Bonded property");
			continue;
		}
		v = central_dev_bool(c, scn_prop_bluez_name(p->prop));
		if (v != p->value) {
			all = false;
			if (why)
				g_string_append_printf(why,
					"%s%s is %s, "
					"expected %s",
					why->len ? "; " : "",
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
		const struct scn_expect *p = &g_array_index(x,
			struct scn_expect, i);

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

/* ---- expect-adv ---------------------------------------------------------- */

/*
 * bluetoothd keeps what the DUT advertised in Device1: Name, UUIDs (the
 * advertised service UUIDs; after service discovery every primary
 * service too), ManufacturerData (a{qv}: company ID -> ay) and
 * Appearance. Checked now, or within the step's timeout as the properties
 * change (after a reboot the new advertisements update them).
 */
static GVariant *dut_prop(struct engine *e, const char *name)
{
	const char *p = central_dut(step_central(e));

	return p ? model_prop(e->env.model, p, BLUEZ_IFACE_DEVICE, name) : NULL;
}

/* The manufacturer data under @id, as hex; NULL if none. */
static char *mfr_hex(GVariant *md, int id)
{
	GVariantIter it;
	GVariant *v;
	guint16 k;
	char *hex = NULL;

	if (!md || !g_variant_is_of_type(md, G_VARIANT_TYPE("a{qv}")))
		return NULL;
	g_variant_iter_init(&it, md);
	while (!hex && g_variant_iter_next(&it, "{qv}", &k, &v)) {
		if (k == id &&
			g_variant_is_of_type(v, G_VARIANT_TYPE_BYTESTRING)) {
			gsize n;
			const guint8 *d = g_variant_get_fixed_array(v, &n, 1);

			hex = evlog_hex(d, n);
		}
		g_variant_unref(v);
	}
	return hex;
}

/* What the DUT advertises, for people: name 'x', uuids [...], ... */
static char *adv_seen(struct engine *e)
{
	GVariant *name = dut_prop(e, "Name");
	GVariant *uuids = dut_prop(e, "UUIDs");
	GVariant *md = dut_prop(e, "ManufacturerData");
	GVariant *app = dut_prop(e, "Appearance");
	GString *s = g_string_new("");

	if (name && g_variant_is_of_type(name, G_VARIANT_TYPE_STRING))
		g_string_append_printf(s, "name '%s'",
			g_variant_get_string(name, NULL));
	else
		g_string_append(s, "no name");
	if (uuids && g_variant_is_of_type(uuids, G_VARIANT_TYPE_STRING_ARRAY)) {
		const char **u = g_variant_get_strv(uuids, NULL);
		char *j = g_strjoinv(" ", (char **)u);

		g_string_append_printf(s, ", uuids [%s]", j);
		g_free(j);
		g_free(u);
	} else {
		g_string_append(s, ", no uuids");
	}
	if (md && g_variant_is_of_type(md, G_VARIANT_TYPE("a{qv}")) &&
		g_variant_n_children(md) > 0) {
		GVariantIter it;
		GVariant *v;
		guint16 k;

		g_string_append(s, ", manufacturer");
		g_variant_iter_init(&it, md);
		while (g_variant_iter_next(&it, "{qv}", &k, &v)) {
			char *hex = mfr_hex(md, k);

			g_string_append_printf(s, " 0x%04x:%s", k,
				hex ? hex : "?");
			g_free(hex);
			g_variant_unref(v);
		}
	} else {
		g_string_append(s, ", no manufacturer data");
	}
	if (app && g_variant_is_of_type(app, G_VARIANT_TYPE_UINT16))
		g_string_append_printf(s, ", appearance %u",
			g_variant_get_uint16(app));
	else
		g_string_append(s, ", no appearance");
	return g_string_free(s, FALSE);
}

/* Does what the DUT advertises match? With @why, say what does not. */
static bool adv_holds(struct engine *e, GString *why)
{
	const struct scn_step *s = e->st.s;
	bool all = true;

	if (s->adv_name) {
		GVariant *v = dut_prop(e, "Name");
		const char *n = v && g_variant_is_of_type(v,
					     G_VARIANT_TYPE_STRING) ?
		                        g_variant_get_string(v, NULL) :
		                        NULL;

		if (g_strcmp0(n, s->adv_name) != 0) {
			all = false;
			if (why)
				g_string_append_printf(why,
					"%sname is not '%s'",
					why->len ? "; " : "", s->adv_name);
		}
	}
	for (guint i = 0; s->adv_uuids && i < s->adv_uuids->len; i++) {
		const char *want = g_ptr_array_index(s->adv_uuids, i);
		GVariant *v = dut_prop(e, "UUIDs");
		bool found = false;

		if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY)) {
			const char **u = g_variant_get_strv(v, NULL);

			for (size_t k = 0; u[k] && !found; k++)
				found = !g_ascii_strcasecmp(u[k], want);
			g_free(u);
		}
		if (!found) {
			all = false;
			if (why)
				g_string_append_printf(why,
					"%suuid %s is not "
					"advertised",
					why->len ? "; " : "", want);
		}
	}
	if (s->adv_mfr_id >= 0) {
		char *hex = mfr_hex(dut_prop(e, "ManufacturerData"),
			s->adv_mfr_id);
		gsize n;
		const guint8 *d = g_bytes_get_data(s->adv_mfr, &n);
		char *want = evlog_hex(d, n);

		if (g_strcmp0(hex, want) != 0) {
			all = false;
			if (why)
				g_string_append_printf(why,
					"%smanufacturer "
					"0x%04x:%s is not advertised",
					why->len ? "; " : "", s->adv_mfr_id,
					want);
		}
		g_free(hex);
		g_free(want);
	}
	if (s->adv_appearance >= 0) {
		GVariant *v = dut_prop(e, "Appearance");

		if (!v || !g_variant_is_of_type(v, G_VARIANT_TYPE_UINT16) ||
			g_variant_get_uint16(v) != s->adv_appearance) {
			all = false;
			if (why)
				g_string_append_printf(why,
					"%sappearance is "
					"not %d",
					why->len ? "; " : "",
					s->adv_appearance);
		}
	}
	return all;
}

static void adv_fail(struct engine *e)
{
	GString *why = g_string_new("");
	char *seen = adv_seen(e);

	adv_holds(e, why);
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"%s (the DUT advertises %s)", why->str, seen);
	g_free(seen);
	g_string_free(why, TRUE);
}

static void expect_adv_pass(struct engine *e)
{
	char *seen = adv_seen(e);

	step_timeline(e, "the DUT advertises %s", seen);
	g_free(seen);
	step_pass(e);
}

static void expect_adv_start(struct engine *e)
{
	if (!central_dut(step_central(e))) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT is not known to BlueZ yet: add a scan step "
			"before this one");
		return;
	}
	if (adv_holds(e, NULL))
		expect_adv_pass(e);
	else if (e->st.s->timeout_ms <= 0)
		adv_fail(e);
	else
		step_enter_phase(e, EXPECT_PHASE_WAITING);
}

static void expect_adv_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	(void)name;
	(void)v;
	if (adv_holds(e, NULL))
		expect_adv_pass(e);
}

static void expect_adv_timeout(struct engine *e, const char *d)
{
	(void)d;
	adv_fail(e);
}

const struct step_ops step_expect_adv_ops = {
	.start = expect_adv_start,
	.dut_prop = expect_adv_dut_prop,
	.timeout = expect_adv_timeout,
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
