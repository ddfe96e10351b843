/* SPDX-License-Identifier: MIT */
/*
 * simopt.c — the table of the simulator's settings (simopt.h): each key's
 * parser, the field it sets, and how its value is shown in the run log.
 * Pure; the one place a setting's name and the form of its value live.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/simopt.h"
#include "bondcheck/suggest.h"

#define MAX_NAME     248 /* bytes: Core's Device Name limit */
#define MAX_ADAPTERS 16u
#define MAX_TABLE    64u

struct sim_opt {
	struct sim_opt_info info;
	bool (*parse)(struct sim_config *c, const char *v);
	char *(*show)(const struct sim_config *c);
};

/* A copy the config owns (dut's pointers point into it). */
static const char *keep(struct sim_config *c, const char *v)
{
	char *s = g_strdup(v);

	g_ptr_array_add(c->strings, s);
	return s;
}

static bool parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	guint64 n;

	if (!v || !g_ascii_isdigit(*v) ||
		!g_ascii_string_to_unsigned(v, 10, lo, hi, &n, NULL))
		return false;
	*out = (unsigned)n;
	return true;
}

static bool parse_yes_no(const char *v, bool *out)
{
	if (!g_ascii_strcasecmp(v, "yes") || !g_ascii_strcasecmp(v, "true")) {
		*out = true;
		return true;
	}
	if (!g_ascii_strcasecmp(v, "no") || !g_ascii_strcasecmp(v, "false")) {
		*out = false;
		return true;
	}
	return false;
}

static const char *const io_caps[] = { "DisplayOnly", "DisplayYesNo",
	"KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay", NULL };

/* ---- the settings -------------------------------------------------------- */

static bool p_io(struct sim_config *c, const char *v)
{
	for (size_t i = 0; io_caps[i]; i++) {
		if (!strcmp(io_caps[i], v)) {
			c->dut.io_capability = io_caps[i];
			return true;
		}
	}
	return false;
}

static char *s_io(const struct sim_config *c)
{
	return g_strdup(c->dut.io_capability);
}

static bool p_passkey(struct sim_config *c, const char *v)
{
	unsigned n;

	if (!strcmp(v, "random")) {
		c->dut.passkey = SIM_PASSKEY_RANDOM;
		return true;
	}
	if (!parse_uint(v, 0, 999999, &n))
		return false;
	c->dut.passkey = n;
	return true;
}

static char *s_passkey(const struct sim_config *c)
{
	return c->dut.passkey == SIM_PASSKEY_RANDOM ?
	               g_strdup("random") :
	               g_strdup_printf("%06u", c->dut.passkey);
}

static bool p_sc(struct sim_config *c, const char *v)
{
	return parse_yes_no(v, &c->dut.secure_connections);
}

static char *s_sc(const struct sim_config *c)
{
	return g_strdup(c->dut.secure_connections ? "yes" : "no");
}

static bool p_bond_table(struct sim_config *c, const char *v)
{
	return parse_uint(v, 1, MAX_TABLE, &c->dut.bond_table_size);
}

static char *s_bond_table(const struct sim_config *c)
{
	return g_strdup_printf("%u",
		c->dut.bond_table_size ? c->dut.bond_table_size : 8);
}

static bool p_bond_policy(struct sim_config *c, const char *v)
{
	return sim_bond_policy_from_str(v, &c->dut.bond_policy);
}

static char *s_bond_policy(const struct sim_config *c)
{
	return g_strdup(sim_bond_policy_to_str(c->dut.bond_policy));
}

static bool p_name(struct sim_config *c, const char *v)
{
	if (!*v || strlen(v) > MAX_NAME || !g_utf8_validate(v, -1, NULL))
		return false;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			return false;
	c->dut.name = keep(c, v);
	return true;
}

static char *s_name(const struct sim_config *c)
{
	return g_strdup(c->dut.name);
}

static bool p_address(struct sim_config *c, const char *v)
{
	char *up;

	if (!bluez_address_valid(v))
		return false;
	up = g_ascii_strup(v, -1);
	c->dut.address = keep(c, up);
	g_free(up);
	return true;
}

static char *s_address(const struct sim_config *c)
{
	return g_strdup(c->dut.address);
}

static bool p_appearance(struct sim_config *c, const char *v)
{
	unsigned n;

	if (!parse_uint(v, 0, G_MAXUINT16, &n))
		return false;
	c->dut.appearance = (uint16_t)n;
	return true;
}

static char *s_appearance(const struct sim_config *c)
{
	return g_strdup_printf("%u", c->dut.appearance);
}

/* ID:HEX: a company identifier (decimal or 0x hex, up to 0xffff) and at
 * least one byte; at most 27 bytes, what one AD structure can carry */
static bool p_manufacturer(struct sim_config *c, const char *v)
{
	const char *colon = strchr(v, ':');
	const char *h;
	char *idtext;
	guint64 id;
	bool ok;
	gsize n;
	guint8 *bytes;

	if (!colon || colon == v)
		return false;
	idtext = g_strndup(v, (gsize)(colon - v));
	ok = g_ascii_isdigit(*idtext) &&
	     (!g_ascii_strncasecmp(idtext, "0x", 2) ?
			     g_ascii_string_to_unsigned(idtext + 2, 16, 0,
				     G_MAXUINT16, &id, NULL) :
			     g_ascii_string_to_unsigned(idtext, 10, 0,
				     G_MAXUINT16, &id, NULL));
	g_free(idtext);
	h = colon + 1;
	n = strlen(h);
	if (!ok || n == 0 || n % 2 || n / 2 > 27)
		return false;
	for (const char *p = h; *p; p++)
		if (!g_ascii_isxdigit(*p))
			return false;
	bytes = g_malloc(n / 2);
	for (gsize i = 0; i < n / 2; i++)
		bytes[i] = (guint8)(g_ascii_xdigit_value(h[2 * i]) << 4 |
				    g_ascii_xdigit_value(h[2 * i + 1]));
	g_ptr_array_add(c->strings, bytes);
	c->dut.has_manufacturer = true;
	c->dut.manufacturer_id = (uint16_t)id;
	c->dut.manufacturer_data = bytes;
	c->dut.manufacturer_len = n / 2;
	return true;
}

static char *s_manufacturer(const struct sim_config *c)
{
	GString *s;

	if (!c->dut.has_manufacturer)
		return g_strdup("none");
	s = g_string_new(NULL);
	g_string_printf(s, "0x%04x:", c->dut.manufacturer_id);
	for (gsize i = 0; i < c->dut.manufacturer_len; i++)
		g_string_append_printf(s, "%02x", c->dut.manufacturer_data[i]);
	return g_string_free(s, FALSE);
}

static bool p_adapters(struct sim_config *c, const char *v)
{
	return parse_uint(v, 1, MAX_ADAPTERS, &c->adapters);
}

static char *s_adapters(const struct sim_config *c)
{
	return g_strdup_printf("%u", c->adapters ? c->adapters : 1);
}

static bool p_duration(const char *v, int64_t *out)
{
	return duration_parse(v, out, NULL);
}

static bool p_adv_interval(struct sim_config *c, const char *v)
{
	int64_t ms;

	/* Core: 20 ms to 10.24 s */
	if (!p_duration(v, &ms) || ms < 20 || ms > 10240)
		return false;
	c->timing.adv_interval_ms = ms;
	return true;
}

static char *s_adv_interval(const struct sim_config *c)
{
	return duration_format(c->timing.adv_interval_ms);
}

static bool p_boot_time(struct sim_config *c, const char *v)
{
	return p_duration(v, &c->timing.boot_ms);
}

static char *s_boot_time(const struct sim_config *c)
{
	return duration_format(c->timing.boot_ms);
}

static const struct sim_opt opts[] = {
	{ { "io", "CAP",
		  "the DUT's IO capability: DisplayOnly, DisplayYesNo "
		  "(default), KeyboardOnly, NoInputNoOutput, KeyboardDisplay" },
		p_io, s_io },
	{ { "passkey", "N|random",
		  "the passkey the DUT displays (passkey "
		  "entry) and the number of numeric comparison, 0 to 999999; "
		  "random (default): a new one per pairing, from the seed" },
		p_passkey, s_passkey },
	{ { "sc", "yes|no",
		  "LE Secure Connections (yes, default) or LE "
		  "legacy pairing (no: Just Works or passkey entry, never numeric "
		  "comparison)" },
		p_sc, s_sc },
	{ { "bond-table", "N",
		  "how many bonds the DUT keeps, 1 to 64 "
		  "(default 8)" },
		p_bond_table, s_bond_table },
	{ { "bond-policy", "POLICY",
		  "a new bond in a full table: round-robin "
		  "(evict the first made, default), refuse-when-full, or "
		  "overwrite-oldest (evict the least recently used)" },
		p_bond_policy, s_bond_policy },
	{ { "name", "TEXT", "the name the DUT advertises (default mpy-temp)" },
		p_name, s_name },
	{ { "address", "AA:BB:CC:DD:EE:FF",
		  "the DUT's public identity "
		  "address (default C0:FF:EE:00:13:42)" },
		p_address, s_address },
	{ { "appearance", "N",
		  "the appearance the DUT advertises, 0 to 65535 "
		  "(default 768, a generic thermometer)" },
		p_appearance, s_appearance },
	{ { "manufacturer", "ID:HEX",
		  "manufacturer specific data the DUT "
		  "advertises: a company ID (0x05f1 or 1521) and 1 to 27 bytes "
		  "(default none, as MicroPython's example)" },
		p_manufacturer, s_manufacturer },
	{ { "adv-interval", "DURATION",
		  "the DUT's advertising interval, 20ms "
		  "to 10.24s (default 500ms, as the seed's example)" },
		p_adv_interval, s_adv_interval },
	{ { "boot-time", "DURATION",
		  "how long a reboot takes before the DUT "
		  "advertises again, before --time-scale (default 1500ms)" },
		p_boot_time, s_boot_time },
	{ { "adapters", "N",
		  "the simulated adapters hci0..hciN-1, 1 to 16, all "
		  "in range of the one DUT (default: as many as the scenario's "
		  "centrals need)" },
		p_adapters, s_adapters },
};

const struct sim_opt_info *sim_opt_list(size_t *n)
{
	static struct sim_opt_info list[G_N_ELEMENTS(opts)];

	for (size_t i = 0; i < G_N_ELEMENTS(opts); i++)
		list[i] = opts[i].info;
	*n = G_N_ELEMENTS(opts);
	return list;
}

void sim_config_init(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	sim_dut_config_defaults(&c->dut);
	sim_timing_defaults(&c->timing);
	c->strings = g_ptr_array_new_with_free_func(g_free);
	c->given = g_ptr_array_new_with_free_func(g_free);
}

void sim_config_clear(struct sim_config *c)
{
	if (c->strings)
		g_ptr_array_unref(c->strings);
	if (c->given)
		g_ptr_array_unref(c->given);
	memset(c, 0, sizeof(*c));
}

static const struct sim_opt *find(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(opts); i++)
		if (!strcmp(opts[i].info.key, key))
			return &opts[i];
	return NULL;
}

bool sim_opt_set(struct sim_config *c, const char *key, const char *value,
	GError **error)
{
	const struct sim_opt *o = find(key);

	if (!o) {
		const char *keys[G_N_ELEMENTS(opts) + 1];
		char *sg;

		for (size_t i = 0; i < G_N_ELEMENTS(opts); i++)
			keys[i] = opts[i].info.key;
		keys[G_N_ELEMENTS(opts)] = NULL;
		sg = suggest_nearest(key, keys);
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"unknown simulator setting '%s'%s (bondcheck faults "
			"--settings lists them)",
			key, sg);
		g_free(sg);
		return false;
	}
	if (!o->parse(c, value)) {
		char *sg = !strcmp(key, "io") ?
		                   suggest_nearest(value, io_caps) :
		                   g_strdup("");

		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"%s= takes %s, not '%s'%s: %s", key, o->info.value,
			value, sg, o->info.summary);
		g_free(sg);
		return false;
	}
	g_ptr_array_add(c->given, g_strdup_printf("%s=%s", key, value));
	return true;
}

bool sim_opt_apply(struct sim_config *c, const char *spec, GError **error)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	char *key;
	bool ok;

	if (!eq || eq == spec) {
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"a simulator setting is KEY=VALUE, not '%s'",
			spec ? spec : "");
		return false;
	}
	key = g_strndup(spec, (gsize)(eq - spec));
	ok = sim_opt_set(c, key, eq + 1, error);
	g_free(key);
	return ok;
}

GPtrArray *sim_opt_show(const struct sim_config *c)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
		char *v = opts[i].show(c);

		g_ptr_array_add(a,
			g_strdup_printf("%s=%s", opts[i].info.key, v ? v : ""));
		g_free(v);
	}
	return a;
}
