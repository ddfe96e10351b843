/* SPDX-License-Identifier: MIT */
/*
 * fault.c — the table of simulator faults and their parsing. The one place
 * a fault's name, argument and one-line description live; `bondcheck faults`,
 * --fault, Sim1.SetFault and doc/simulator.md all follow it.
 */
#include <stdlib.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/duration.h"
#include "bondcheck/sim.h"

static const struct sim_fault_info faults[SIM_FAULT_COUNT] = {
	{ SIM_FAULT_LOSE_BOND_ON_REBOOT, "lose-bond-on-reboot",
		SIM_FAULT_ARG_NONE, NULL,
		"the bond store is empty after a reboot (keys never persisted)" },
	{ SIM_FAULT_KEY_LOOKUP_MISMATCH, "key-lookup-mismatch",
		SIM_FAULT_ARG_NONE, NULL,
		"after a reboot the resolving list loses the centrals' IRKs: an "
		"RPA central's key is looked up under its RPA and missed (the "
		"seed bug; a public-address central cannot show it)" },
	{ SIM_FAULT_ROTATE_IDENTITY_ON_REBOOT, "rotate-identity-on-reboot",
		SIM_FAULT_ARG_NONE, NULL,
		"the DUT comes back from every reboot with a new static random "
		"identity address" },
	{ SIM_FAULT_FORGET_CCCD_ON_REBOOT, "forget-cccd-on-reboot",
		SIM_FAULT_ARG_NONE, NULL,
		"bonds survive, the bonded peer's CCCD (subscription) does not" },
	{ SIM_FAULT_TERMINATE_ON_ENCRYPT, "terminate-on-encrypt",
		SIM_FAULT_ARG_NONE, NULL,
		"with its key lost, the DUT drops the link (0x13) instead of "
		"sending a negative LTK reply" },
	{ SIM_FAULT_SLOW_BOOT, "slow-boot", SIM_FAULT_ARG_DURATION, "DURATION",
		"a reboot takes DURATION (scaled) before advertising resumes" },
	{ SIM_FAULT_NO_ADVERTISE_AFTER_REBOOT, "no-advertise-after-reboot",
		SIM_FAULT_ARG_NONE, NULL,
		"after a reboot the DUT never advertises again" },
	{ SIM_FAULT_BOND_TABLE_FULL, "bond-table-full", SIM_FAULT_ARG_COUNT,
		"N",
		"the bond table holds N entries; a new bond evicts the oldest, "
		"round-robin as NimBLE does" },
	{ SIM_FAULT_BLUEZ_VERSION, "bluez-version", SIM_FAULT_ARG_VERSION,
		"5.64|5.66|5.83",
		"behave as that bluetoothd: 5.83 emits Device1.Disconnected, "
		"5.64 has no Bonded property (default 5.66)" },
	{ SIM_FAULT_CONNECT_SUCCEEDS_THEN_DROPS, "connect-succeeds-then-drops",
		SIM_FAULT_ARG_NONE, NULL,
		"with the DUT's key lost, every Connect() returns success and "
		"the link drops right after (without it, each attempt is drawn "
		"from the seed: 11 of 24 succeed, as on BlueZ 5.66)" },
	{ SIM_FAULT_REPAIR_ON_RECONNECT, "repair-on-reconnect",
		SIM_FAULT_ARG_NONE, NULL,
		"after a reboot the DUT has lost the bond and asks to pair again; "
		"BlueZ calls the agent" },
	{ SIM_FAULT_LOSE_LATER_BONDS_ON_REBOOT, "lose-later-bonds-on-reboot",
		SIM_FAULT_ARG_NONE, NULL,
		"after a reboot only the first bond's keys are found: every "
		"later central gets PIN or Key Missing (BTstack #363)" },
	{ SIM_FAULT_NO_RPA_RESOLUTION, "no-rpa-resolution", SIM_FAULT_ARG_NONE,
		NULL,
		"the DUT never resolves a central's RPA (NimBLE without "
		"controller privacy): an RPA central's first reconnect fails" },
	{ SIM_FAULT_SAVE_ON_DISCONNECT, "save-on-disconnect",
		SIM_FAULT_ARG_NONE, NULL,
		"new keys are written only when a central disconnects: a hard "
		"reboot on the link that made the bond loses it" },
	{ SIM_FAULT_ATT_ERROR, "att-error", SIM_FAULT_ARG_ATT, "CODE",
		"the DUT answers every read and write request of its "
		"characteristics with ATT error CODE (0x01 to 0xff; BlueZ "
		"turns it into its D-Bus error)" },
	{ SIM_FAULT_BLUEZ_MISSES_LINK, "bluez-misses-link", SIM_FAULT_ARG_COUNT,
		"N",
		"bluetoothd 5.66's race (QEMU tier): the next N bonded "
		"reconnects come up encrypted and Connect() succeeds, but "
		"Connected never goes true and the DUT drops the link (0x13)" },
	{ SIM_FAULT_DROP_DURING_DISCOVERY, "drop-during-discovery",
		SIM_FAULT_ARG_COUNT, "N",
		"the next N Connect() links to a DUT the host has no keys for: "
		"Connect() succeeds, then the DUT drops the link (0x13) before "
		"ServicesResolved" },
};

const struct sim_fault_info *sim_fault_info(enum sim_fault fault)
{
	if ((unsigned)fault >= SIM_FAULT_COUNT)
		return NULL;
	return &faults[fault];
}

const char *sim_fault_to_str(enum sim_fault fault)
{
	const struct sim_fault_info *i = sim_fault_info(fault);

	return i ? i->name : "unknown";
}

bool sim_fault_parse_arg(enum sim_fault fault, const char *arg,
	struct sim_fault_value *value, GError **error)
{
	const struct sim_fault_info *info = sim_fault_info(fault);
	char *end = NULL;
	unsigned long n = 0;

	memset(value, 0, sizeof(*value));
	value->on = true;
	/* it goes into Sim1.Faults and the Trace: bounded */
	if (arg && strlen(arg) > SIM_FAULT_ARG_MAX_BYTES) {
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"fault %s: the argument is longer than %d bytes",
			info->name, SIM_FAULT_ARG_MAX_BYTES);
		return false;
	}
	switch (info->arg) {
	case SIM_FAULT_ARG_NONE:
		if (arg && *arg) {
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"fault %s takes no argument (got '%s')",
				info->name, arg);
			return false;
		}
		break;
	case SIM_FAULT_ARG_DURATION:
		if (!arg || !duration_parse(arg, &value->ms, NULL)) {
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"fault %s needs a duration, e.g. %s=5s",
				info->name, info->name);
			return false;
		}
		break;
	case SIM_FAULT_ARG_COUNT:
		if (arg)
			n = strtoul(arg, &end, 10);
		if (!arg || !*arg || *end || n < 1 || n > 64) {
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"fault %s needs %s from 1 to 64, e.g. %s=2",
				info->name,
				fault == SIM_FAULT_BOND_TABLE_FULL ?
					"a table size" :
					"a count",
				info->name);
			return false;
		}
		value->count = (unsigned)n;
		break;
	case SIM_FAULT_ARG_VERSION:
		if (g_strcmp0(arg, "5.64") == 0)
			value->bluez_minor = 64;
		else if (g_strcmp0(arg, "5.66") == 0)
			value->bluez_minor = 66;
		else if (g_strcmp0(arg, "5.83") == 0)
			value->bluez_minor = 83;
		else {
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"fault %s takes 5.64, 5.66 or 5.83 (got '%s')",
				info->name, arg ? arg : "");
			return false;
		}
		break;
	case SIM_FAULT_ARG_ATT:
		if (arg)
			n = strtoul(arg, &end, 0);
		if (!arg || !g_ascii_isdigit(*arg) || *end || n < 1 ||
			n > 0xff) {
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"fault %s needs an ATT error code from 0x01 to "
				"0xff, e.g. %s=0x80",
				info->name, info->name);
			return false;
		}
		value->att_code = (unsigned)n;
		break;
	}
	value->text = g_strdup(arg);
	return true;
}

bool sim_fault_lookup(const char *name, enum sim_fault *fault)
{
	for (int i = 0; i < SIM_FAULT_COUNT; i++) {
		if (g_strcmp0(name, faults[i].name) == 0) {
			*fault = faults[i].fault;
			return true;
		}
	}
	return false;
}

bool sim_fault_parse(const char *spec, enum sim_fault *fault,
	struct sim_fault_value *value, GError **error)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	char *name = eq ? g_strndup(spec, eq - spec) : g_strdup(spec);
	char *q;
	bool ok;

	if (sim_fault_lookup(name, fault)) {
		ok = sim_fault_parse_arg(*fault, eq ? eq + 1 : NULL, value,
			error);
		g_free(name);
		return ok;
	}
	q = bcerror_quote(name);
	g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
		"unknown fault '%s' (bondcheck faults lists them)", q);
	g_free(q);
	g_free(name);
	return false;
}
