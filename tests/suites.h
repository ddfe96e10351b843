/* SPDX-License-Identifier: MIT */
/* Every suite the runner knows. One suite per module. */
#ifndef BONDCHECK_TEST_SUITES_H
#define BONDCHECK_TEST_SUITES_H

#include <check.h>

Suite *msg_suite(void);
Suite *bus_suite(void);
Suite *claim_suite(void);
Suite *bcerror_suite(void);
Suite *model_suite(void);
Suite *bluez_suite(void);
Suite *dbusmock_suite(void);
Suite *sim_dut_suite(void);
Suite *simopt_suite(void);
Suite *sim_suite(void);
Suite *bluetoothctl_suite(void);
Suite *conformance_suite(void);
Suite *cli_suite(void);
Suite *scenario_suite(void);
Suite *fuzz_replay_suite(void);
Suite *verdict_suite(void);
Suite *logschema_suite(void);
Suite *evlog_suite(void);
Suite *engine_suite(void);
Suite *logread_suite(void);
Suite *report_suite(void);
Suite *junit_suite(void);
Suite *runplan_suite(void);
Suite *html_suite(void);
Suite *compare_suite(void);
Suite *hcimon_suite(void);
Suite *mgmt_suite(void);
Suite *hcibridge_suite(void);
Suite *run_suite(void);
Suite *steps_suite(void);
Suite *multirun_suite(void);
Suite *reports_suite(void);
Suite *daemon_suite(void);
Suite *dconfig_suite(void);
Suite *dlog_suite(void);
Suite *pkg_suite(void);
Suite *vmcache_suite(void);
Suite *testutil_suite(void);
Suite *jsontext_suite(void);
Suite *duration_suite(void);
Suite *trigger_os_suite(void);

#endif
