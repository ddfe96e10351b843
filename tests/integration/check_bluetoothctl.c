/* SPDX-License-Identifier: MIT */
/*
 * check_bluetoothctl.c — a client we did not write, unchanged: BlueZ's own
 * bluetoothctl, pointed at the simulator's bus, lists the adapter and the
 * DUT, pairs with its own agent, reads the encrypted characteristic through
 * its gatt menu, subscribes, and reconnects to the bonded DUT.
 */
#include <check.h>
#include <string.h>

#include "helpers/simtest.h"
#include "suites.h"

static struct simtest st;
static struct expect *ctl;

static void setup(void)
{
	const char *argv[] = { "bluetoothctl", NULL };
	const char *env[] = { NULL, "NO_COLOR=1", NULL };

	simtest_start(&st, NULL);
	env[0] = st.env;
	ctl = expect_spawn(argv, env);
	/* bluetoothctl registers its own agent once it reaches bluetoothd */
	ck_assert_msg(expect_wait(ctl, "Agent registered", 10000),
		"bluetoothctl output:\n%s", expect_output(ctl));
}

static void teardown(void)
{
	expect_free(ctl);
	simtest_stop(&st);
}

static void step(const char *cmd, const char *want)
{
	if (cmd)
		expect_send(ctl, cmd);
	ck_assert_msg(expect_wait(ctl, want, 10000),
		"after '%s' no '%s' in bluetoothctl output:\n%s",
		cmd ? cmd : "", want, expect_output(ctl));
}

START_TEST(bluetoothctl_pairs_and_reads_the_encrypted_characteristic)
{
	step("default-agent", "Default agent request successful");
	step("list", "Controller 00:B0:DC:00:00:01 bondcheck-sim");
	step("scan on", "Device " SIM_DUT " mpy-temp");
	step("scan off", "Discovery stopped");
	/* a new number each pairing, as SMP gives */
	step("pair " SIM_DUT, "Confirm passkey ");
	step("yes", "Pairing successful");
	step("info " SIM_DUT, "Bonded: yes");
	step(NULL, "Connected: yes");
	step("menu gatt", "Menu gatt");
	step("select-attribute " SIM_TEMP, "char000b");
	step("read", "Attempting to read");
	step(NULL, "Value:");
	step("notify on", "Notify started");
	step(NULL, "Value:");
	step("notify off", "Notify stopped");
	step("back", "Menu main");
	step("disconnect " SIM_DUT, "Connected: no");
	/* a bonded reconnect: encryption with the stored key, no new pairing */
	step("connect " SIM_DUT, "Connection successful");
	ck_assert_ptr_null(strstr(expect_output(ctl) +
					  strlen(expect_output(ctl)) / 2,
		"Confirm passkey"));
	step("quit", "");
}
END_TEST

START_TEST(bluetoothctl_sees_the_reboot_and_the_lost_bond)
{
	step("default-agent", "Default agent request successful");
	step("scan on", "Device " SIM_DUT);
	step("scan off", "Discovery stopped");
	step("pair " SIM_DUT, "Confirm passkey");
	step("yes", "Pairing successful");
	step("disconnect " SIM_DUT, "Connected: no");
	/* the firmware forgets the bond on its next boot */
	{
		char *r = simtest_call(&st, "/org/bondcheck/sim",
			"org.bondcheck.Sim1", "SetFault",
			g_variant_new("(ss)", "lose-bond-on-reboot", ""));

		ck_assert_str_eq(r, "ok");
		g_free(r);
		r = simtest_call(&st, "/org/bondcheck/sim",
			"org.bondcheck.Sim1", "Reboot", NULL);
		ck_assert_str_eq(r, "ok");
		g_free(r);
	}
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	/* real 5.66, per attempt: Connect() fails, or succeeds and the link
	 * drops; either way the link comes up and goes */
	step("connect " SIM_DUT, "Connected: no");
	ck_assert_msg(strstr(expect_output(ctl),
			      "le-connection-abort-by-local") ||
			      strstr(expect_output(ctl),
				      "Connection successful"),
		"bluetoothctl output:\n%s", expect_output(ctl));
	step("info " SIM_DUT, "Paired: yes");
	step("quit", "");
}
END_TEST

Suite *bluetoothctl_suite(void)
{
	Suite *s = suite_create("bluetoothctl");
	TCase *tc = tcase_create("bluetoothctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
		bluetoothctl_pairs_and_reads_the_encrypted_characteristic);
	tcase_add_test(tc, bluetoothctl_sees_the_reboot_and_the_lost_bond);
	suite_add_tcase(s, tc);
	return s;
}
