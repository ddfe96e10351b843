/* SPDX-License-Identifier: MIT */
/*
 * check_sim_dut.c — the DUT model without a bus: what the firmware does with
 * its bond store across reboots, for every fault, and how faults parse.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/sim.h"
#include "suites.h"

#define PEER "00:B0:DC:00:00:01"
#define PHONE "11:22:33:44:55:66"

struct tr {
	GString *events;
	GPtrArray *details;
};

static void trace(const char *event, GVariant *details, void *data)
{
	struct tr *t = data;

	g_string_append_printf(t->events, "%s;", event);
	g_ptr_array_add(t->details, g_variant_print(details, FALSE));
}

static struct sim_dut *dut_with(struct tr *t, const char *fault)
{
	struct sim_dut_config cfg;
	struct sim_dut *d;

	sim_dut_config_defaults(&cfg);
	t->events = g_string_new("");
	t->details = g_ptr_array_new_with_free_func(g_free);
	d = sim_dut_new(&cfg, trace, t);
	if (fault) {
		enum sim_fault f;
		struct sim_fault_value v;
		GError *err = NULL;

		ck_assert_msg(sim_fault_parse(fault, &f, &v, &err), "%s",
			err ? err->message : "");
		sim_dut_set_fault(d, f, &v);
		g_free(v.text);
	}
	return d;
}

static void tr_free(struct tr *t)
{
	g_string_free(t->events, TRUE);
	g_ptr_array_free(t->details, TRUE);
}

static struct sim_keys keys(uint8_t seed)
{
	struct sim_keys k;

	memset(&k, 0, sizeof(k));
	memset(k.ltk, seed, sizeof(k.ltk));
	return k;
}

static void bond_and_reboot(struct sim_dut *d, const struct sim_keys *k)
{
	sim_dut_connected(d, PEER);
	sim_dut_paired(d, PEER, true, k);
	sim_dut_write_cccd(d, PEER, 1);
	sim_dut_reboot(d);
	ck_assert_int_eq(sim_dut_state(d), SIM_DUT_STATE_BOOTING);
	sim_dut_booted(d);
}

/* fault (NULL: healthy) -> what the central meets after one reboot */
static const struct {
	const char *fault;
	enum sim_encrypt encrypt;
	uint16_t cccd;
	enum sim_dut_state state;
	bool same_address;
} after_reboot[] = {
	{ NULL, SIM_ENCRYPT_OK, 1, SIM_DUT_STATE_ADVERTISING, true },
	{ "lose-bond-on-reboot", SIM_ENCRYPT_KEY_MISSING, 0,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "key-lookup-mismatch", SIM_ENCRYPT_KEY_MISSING, 0,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "rotate-identity-on-reboot", SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, false },
	{ "forget-cccd-on-reboot", SIM_ENCRYPT_OK, 0,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "no-advertise-after-reboot", SIM_ENCRYPT_OK, 1, SIM_DUT_STATE_SILENT,
		true },
	{ "slow-boot=5s", SIM_ENCRYPT_OK, 1, SIM_DUT_STATE_ADVERTISING, true },
	{ "repair-on-reconnect", SIM_ENCRYPT_REPAIR, 0,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "bluez-version=5.83", SIM_ENCRYPT_OK, 1, SIM_DUT_STATE_ADVERTISING,
		true },
	{ "terminate-on-encrypt", SIM_ENCRYPT_OK, 1, SIM_DUT_STATE_ADVERTISING,
		true },
};

START_TEST(the_bond_store_across_a_reboot)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, after_reboot[_i].fault);
	struct sim_keys k = keys(0x5a);
	char *first = g_strdup(sim_dut_address(d));

	bond_and_reboot(d, &k);
	ck_assert_int_eq(sim_dut_state(d), after_reboot[_i].state);
	ck_assert_int_eq(sim_dut_boot_count(d), 2);
	ck_assert_int_eq(strcmp(first, sim_dut_address(d)) == 0,
		after_reboot[_i].same_address);
	ck_assert_int_eq(sim_dut_cccd(d, PEER), after_reboot[_i].cccd);
	ck_assert_msg(sim_dut_encrypt(d, PEER, k.ltk) ==
			after_reboot[_i].encrypt, "%s: got %s, events %s",
		after_reboot[_i].fault ? after_reboot[_i].fault : "healthy",
		sim_encrypt_to_str(sim_dut_encrypt(d, PEER, k.ltk)),
		t.events->str);
	g_free(first);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(the_seed_bug_shows_both_indexes_in_the_trace)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "key-lookup-mismatch");
	struct sim_keys k = keys(1);
	const char *last;

	bond_and_reboot(d, &k);
	ck_assert_int_eq(sim_dut_bond_count(d), 1);  /* the keys survived */
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk),
		SIM_ENCRYPT_KEY_MISSING);
	last = g_ptr_array_index(t.details, t.details->len - 1);
	ck_assert_ptr_nonnull(strstr(last, "'stored': <['public/" PEER "']>"));
	ck_assert_ptr_nonnull(strstr(last, "'looked_up': <'random/"));
	ck_assert_ptr_nonnull(strstr(last, "'found': <false>"));
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(terminate_on_encrypt_drops_the_link_when_the_key_is_gone)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "terminate-on-encrypt");
	struct sim_keys k = keys(2), other = keys(3);

	bond_and_reboot(d, &k);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, other.ltk),
		SIM_ENCRYPT_TERMINATE);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk), SIM_ENCRYPT_OK);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(a_full_table_evicts_the_oldest_bond)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "bond-table-full=1");
	struct sim_keys k = keys(4), p = keys(5);

	sim_dut_paired(d, PEER, true, &k);
	sim_dut_paired(d, PHONE, true, &p);
	ck_assert_int_eq(sim_dut_bond_count(d), 1);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk),
		SIM_ENCRYPT_KEY_MISSING);
	ck_assert_int_eq(sim_dut_encrypt(d, PHONE, p.ltk), SIM_ENCRYPT_OK);
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(t.details, 2),
		"'evicted': <'public/" PEER "'>"));
	/* pairing the same peer again replaces its entry, no eviction */
	sim_dut_paired(d, PHONE, true, &k);
	ck_assert_int_eq(sim_dut_bond_count(d), 1);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(pairing_without_bond_stores_nothing)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, NULL);
	struct sim_keys k = keys(6);

	sim_dut_connected(d, PEER);
	sim_dut_paired(d, PEER, false, &k);
	sim_dut_write_cccd(d, PEER, 1);
	ck_assert_int_eq(sim_dut_bond_count(d), 0);
	ck_assert_int_eq(sim_dut_cccd(d, PEER), 1);
	/* a subscription without a bond lasts as long as the link */
	sim_dut_disconnected(d, PEER);
	ck_assert_int_eq(sim_dut_cccd(d, PEER), 0);
	ck_assert_int_eq(sim_dut_state(d), SIM_DUT_STATE_ADVERTISING);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk),
		SIM_ENCRYPT_KEY_MISSING);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(slow_boot_replaces_the_boot_time)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "slow-boot=2500ms");

	ck_assert_int_eq(sim_dut_boot_ms(d, 1500), 2500);
	sim_dut_clear_faults(d);
	ck_assert_int_eq(sim_dut_boot_ms(d, 1500), 1500);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

static const struct {
	const char *spec;
	bool ok;
	enum sim_fault fault;
} specs[] = {
	{ "lose-bond-on-reboot", true, SIM_FAULT_LOSE_BOND_ON_REBOOT },
	{ "key-lookup-mismatch", true, SIM_FAULT_KEY_LOOKUP_MISMATCH },
	{ "slow-boot=5s", true, SIM_FAULT_SLOW_BOOT },
	{ "slow-boot=250ms", true, SIM_FAULT_SLOW_BOOT },
	{ "bond-table-full=3", true, SIM_FAULT_BOND_TABLE_FULL },
	{ "bluez-version=5.83", true, SIM_FAULT_BLUEZ_VERSION },
	{ "bluez-version=5.64", true, SIM_FAULT_BLUEZ_VERSION },
	{ "lose-bond-on-reboot=1", false, 0 },
	{ "slow-boot", false, 0 },
	{ "slow-boot=5", false, 0 },
	{ "bond-table-full=0", false, 0 },
	{ "bond-table-full=x", false, 0 },
	{ "bluez-version=4.101", false, 0 },
	{ "no-such-fault", false, 0 },
	{ "", false, 0 },
};

START_TEST(fault_specs_parse_or_are_refused)
{
	enum sim_fault f = SIM_FAULT_COUNT;
	struct sim_fault_value v;
	GError *err = NULL;
	bool ok = sim_fault_parse(specs[_i].spec, &f, &v, &err);

	ck_assert_msg(ok == specs[_i].ok, "%s: %s", specs[_i].spec,
		err ? err->message : "accepted");
	if (ok) {
		ck_assert_int_eq(f, specs[_i].fault);
		g_free(v.text);
	} else {
		ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_INPUT));
		g_error_free(err);
	}
}
END_TEST

START_TEST(every_fault_has_a_name_and_a_line)
{
	for (int f = 0; f < SIM_FAULT_COUNT; f++) {
		const struct sim_fault_info *i = sim_fault_info(f);

		ck_assert_ptr_nonnull(i);
		ck_assert_int_eq(i->fault, f);
		ck_assert(strlen(i->summary) > 20);
	}
	ck_assert_ptr_null(sim_fault_info(SIM_FAULT_COUNT));
}
END_TEST

Suite *sim_dut_suite(void)
{
	Suite *s = suite_create("sim_dut");
	TCase *tc = tcase_create("dut");

	tcase_add_loop_test(tc, the_bond_store_across_a_reboot, 0,
		G_N_ELEMENTS(after_reboot));
	tcase_add_test(tc, the_seed_bug_shows_both_indexes_in_the_trace);
	tcase_add_test(tc, terminate_on_encrypt_drops_the_link_when_the_key_is_gone);
	tcase_add_test(tc, a_full_table_evicts_the_oldest_bond);
	tcase_add_test(tc, pairing_without_bond_stores_nothing);
	tcase_add_test(tc, slow_boot_replaces_the_boot_time);
	tcase_add_loop_test(tc, fault_specs_parse_or_are_refused, 0,
		G_N_ELEMENTS(specs));
	tcase_add_test(tc, every_fault_has_a_name_and_a_line);
	suite_add_tcase(s, tc);
	return s;
}
