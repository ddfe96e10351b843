/* SPDX-License-Identifier: MIT */
/*
 * runner.c — the one test runner: every suite, in one process tree (Check
 * forks each test). CK_RUN_SUITE / CK_RUN_CASE select a subset.
 *
 * Check's per-test time limits catch hangs, never slowness: its default of
 * 4 s, and each case's own tcase_set_timeout(), are widened here (unless the
 * caller sets CK_DEFAULT_TIMEOUT or CK_TIMEOUT_MULTIPLIER), so that a
 * sanitizer build beside other jobs on a 2-core machine passes. Speed is
 * make bench's business. See TEST_HANG_MS (helpers/testutil.h) for waits.
 */
#include <stdlib.h>
#include <glib.h>

#include "suites.h"

int main(void)
{
	Suite *(*const suites[])(void) = {
		testutil_suite,
		bcerror_suite,
		msg_suite,
		model_suite,
		bluez_suite,
		duration_suite,
		scenario_suite,
		fuzz_replay_suite,
		verdict_suite,
		logschema_suite,
		jsontext_suite,
		evlog_suite,
		engine_suite,
		logread_suite,
		junit_suite,
		runplan_suite,
		html_suite,
		report_suite,
		compare_suite,
		hcimon_suite,
		mgmt_suite,
		trigger_os_suite,
		hcibridge_suite,
		bus_suite,
		claim_suite,
		dbusmock_suite,
		sim_dut_suite,
		simopt_suite,
		sim_suite,
		bluetoothctl_suite,
		conformance_suite,
		cli_suite,
		run_suite,
		steps_suite,
		multirun_suite,
		reports_suite,
		dconfig_suite,
		dlog_suite,
		pkg_suite,
		daemon_suite,
		vmcache_suite,
	};
	SRunner *sr = srunner_create(NULL);
	int failed;

	/* before the suites are made: Check reads both in tcase_create() and
	 * tcase_set_timeout(); 30 s x 4 is the default, a case's 30 s is 120 */
	setenv("CK_DEFAULT_TIMEOUT", "30", 0);
	setenv("CK_TIMEOUT_MULTIPLIER", "4", 0);
	/* a GLib critical is a bug in our code: make it fail the test */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
	for (size_t i = 0; i < G_N_ELEMENTS(suites); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
