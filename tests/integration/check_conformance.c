/* SPDX-License-Identifier: MIT */
/*
 * check_conformance.c — clients we did not write against the simulator:
 * Debian's Bleak and BlueZ's own test scripts, for the healthy DUT and
 * every fault, each outcome held against the table of what real
 * bluetoothd 5.66 gives (tests/conformance/conformance.py holds the table
 * and drives `bondcheck sim`, a private bus with the simulator, per case).
 * The real-BlueZ tier runs the same Bleak script against bluetoothd and
 * checks it against the same table.
 */
#include <check.h>

#include "helpers/testutil.h"
#include "suites.h"

static void driver(const char *const *extra)
{
	char *script = test_path("tests/conformance/conformance.py");
	const char *argv[12] = { "/usr/bin/python3", script, "sim", "--build",
		test_builddir() };
	struct proc_result res;
	size_t n = 5;

	for (size_t i = 0; extra[i] && n < G_N_ELEMENTS(argv) - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	test_run(argv, NULL, 280000, &res);
	ck_assert_msg(res.status == 0, "conformance.py exited %d:\n%s\n%s",
		res.status, res.out, res.err);
	test_result_clear(&res);
	g_free(script);
}

START_TEST(bleak_outcomes_match_real_bluez_for_every_fault)
{
	const char *extra[] = { "--no-scripts", NULL };

	driver(extra);
}
END_TEST

START_TEST(bluez_test_scripts_match_real_bluez)
{
	const char *extra[] = { "--case", "scripts", NULL };

	driver(extra);
}
END_TEST

/* Introspect, GetManagedObjects and the call rows of probe.py, against
 * the ones recorded on real bluetoothd 5.66: every difference has its
 * reason (doc/simulator.md) */
START_TEST(dbus_surface_differs_from_real_bluez_only_where_explained)
{
	const char *extra[] = { "--case", "probe", NULL };

	driver(extra);
}
END_TEST

/* The real tier retries Bleak's first connect when its DUT (bluetoothd)
 * drops that link during discovery; shown on the simulator's fault, with
 * the retry and without. */
START_TEST(bleak_first_link_dropped_by_the_rig_is_retried_once)
{
	const char *extra[] = { "--case", "rig", NULL };

	driver(extra);
}
END_TEST

/* One of the Python scripts' self-tests (@arg): exit 0 and "self-test ok". */
static void self_test(const char *rel, const char *arg)
{
	char *script = test_path(rel);
	const char *argv[] = { "/usr/bin/python3", script, arg, NULL };
	struct proc_result res;

	test_run(argv, NULL, 30000, &res);
	ck_assert_msg(res.status == 0 && strstr(res.out, "self-test ok"),
		"%s %s exited %d:\n%s\n%s", rel, arg, res.status, res.out,
		res.err);
	test_result_clear(&res);
	g_free(script);
}

/* The real-BlueZ tier compares timelines against every variant real
 * bluetoothd has shown; its matcher is checked on the notes' sequences,
 * among them the flake that made it compare variants at all. */
START_TEST(timeline_variants_accept_what_real_bluez_showed)
{
	self_test("tests/vm/timelines.py", "--self-test");
}
END_TEST

/* The real tier's known variants of the Bleak outcomes (REAL_SAME) count
 * as the table's outcome only where the table has it. */
START_TEST(real_bluez_variants_of_bleak_outcomes_count_only_where_listed)
{
	self_test("tests/conformance/conformance.py", "self-test");
}
END_TEST

/* Which first-connect outcomes the real tier's Bleak script takes for
 * the rig's (bluetoothd as the DUT) and connects once more. */
START_TEST(only_the_rigs_first_connect_troubles_are_retried)
{
	self_test("tests/conformance/bleak-client.py", "--self-test");
}
END_TEST

/* The probe's explained differences hold only in their row and, where
 * one is listed, only with the answer real bluetoothd was seen to give. */
START_TEST(probe_explains_a_race_only_with_its_measured_answer)
{
	self_test("tests/conformance/probe.py", "self-test");
}
END_TEST

Suite *conformance_suite(void)
{
	Suite *s = suite_create("conformance");
	TCase *tc = tcase_create("conformance");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, bleak_outcomes_match_real_bluez_for_every_fault);
	tcase_add_test(tc, bluez_test_scripts_match_real_bluez);
	tcase_add_test(tc, timeline_variants_accept_what_real_bluez_showed);
	tcase_add_test(tc,
		real_bluez_variants_of_bleak_outcomes_count_only_where_listed);
	tcase_add_test(tc,
		dbus_surface_differs_from_real_bluez_only_where_explained);
	tcase_add_test(tc, probe_explains_a_race_only_with_its_measured_answer);
	tcase_add_test(tc, bleak_first_link_dropped_by_the_rig_is_retried_once);
	tcase_add_test(tc, only_the_rigs_first_connect_troubles_are_retried);
	suite_add_tcase(s, tc);
	return s;
}
