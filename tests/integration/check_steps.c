/* SPDX-License-Identifier: MIT */
/*
 * check_steps.c — the steps that check what the DUT does (payloads,
 * notifications that must not come, errors, pairing methods, what it
 * advertises) against the simulator: each step's pass and its fail, with
 * the message the failure gives.
 */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "helpers/simtest.h"
#include "suites.h"

/* A scenario, the run's extra arguments, and what must come of it. */
static const struct {
	const char *text;
	const char *opts[8];
	int status;       /* 0 pass, 1 a failed step, ... */
	const char *says; /* in the output, or NULL */
} runs[] = {
	/* expect-notify expect=: the simulated thermometer's first
	 * notification is 23.45 degC, sint16 little endian */
	{ "scan\nconnect\npair\nsubscribe 2a6e\nexpect-notify 2a6e "
	  "expect=2909\n",
		{ NULL }, 0, "PASSED: 5 of 5" },
	{ "scan\nconnect\npair\nsubscribe 2a6e\nexpect-notify 2a6e "
	  "expect=ffff\n",
		{ NULL }, 1,
		"expectation-failed at STEP:5 "
		"(expect-notify): the notification from "
		"00002a6e-0000-1000-8000-00805f9b34fb carried 2909, expected ffff" },
	/* expect-no-notify: no subscription, the CCCD off: nothing comes
	 * (the simulator shows the link) */
	{ "scan\nconnect\npair\nexpect-no-notify 2a6e for=500ms\n", { NULL }, 0,
		"PASSED: 4 of 4" },
	/* with a subscription: the DUT notifies 100 ms (scaled) after the
	 * CCCD is written, before or during the step */
	{ "scan\nconnect\npair\nsubscribe 2a6e\nexpect-no-notify 2a6e "
	  "for=5s\n",
		{ NULL }, 1,
		"expectation-failed at STEP:5 "
		"(expect-no-notify): " },
	/* what an expect-notify saw does not count */
	{ "scan\nconnect\npair\nsubscribe 2a6e\nexpect-notify 2a6e\n"
	  "expect-no-notify 2a6e for=500ms\n",
		{ NULL }, 0, "PASSED: 6 of 6" },
	/* after a reboot: a DUT that kept the bonded host's CCCD notifies
	 * on the new link before anyone subscribes again ... */
	{ "scan\nconnect\npair\nsubscribe 2a6e\nexpect-notify 2a6e\nreboot\n"
	  "reconnect\nexpect-no-notify 2a6e for=2s\n",
		{ NULL }, 1,
		"expectation-failed at STEP:8 (expect-no-notify): " },
	/* ... and one that forgot it (its CCCD says off) must not */
	{ "scan\nconnect\npair\nsubscribe 2a6e\nexpect-notify 2a6e\nreboot\n"
	  "reconnect\nexpect-no-notify 2a6e for=1s\n",
		{ "--fault", "forget-cccd-on-reboot", NULL }, 0,
		"PASSED: 8 of 8" },
	/* expect-error=: the reboot characteristic cannot be read, the
	 * temperature not written (bluetoothd's NotPermitted) */
	{ "scan\nconnect\npair\nread b0dc0002-0000-4000-8000-00805f9b34fb "
	  "expect-error=not-permitted\nwrite 2a6e 01 "
	  "expect-error=not-permitted\n",
		{ NULL }, 0, "PASSED: 5 of 5" },
	/* success is not the error */
	{ "scan\nconnect\npair\nread 2a6e expect-error=not-permitted\n",
		{ NULL }, 1,
		"expectation-failed at STEP:4 (read): ReadValue "
		"succeeded (value 2909), expected the error not-permitted" },
	{ "scan\nconnect\nwrite b0dc0002-0000-4000-8000-00805f9b34fb 00 "
	  "expect-error=failed\n",
		{ NULL }, 1,
		"expectation-failed at STEP:3 "
		"(write): WriteValue succeeded, expected the error failed" },
	/* a DUT that refuses with an ATT error: BlueZ names some ... */
	{ "scan\nconnect\npair\nread 2a6e expect-error=not-authorized\n"
	  "write b0dc0002-0000-4000-8000-00805f9b34fb 00 "
	  "expect-error=not-authorized\n",
		{ "--fault", "att-error=0x08", NULL }, 0, "PASSED: 5 of 5" },
	{ "scan\nconnect\npair\nread 2a6e expect-error=not-supported\n",
		{ "--fault", "att-error=0x06", NULL }, 0, "PASSED: 4 of 4" },
	/* ... and passes the code of the others in its text */
	{ "scan\nconnect\npair\nread 2a6e expect-error=att-0x80\n"
	  "read 2a6e expect-error=failed\n",
		{ "--fault", "att-error=0x80", NULL }, 0, "PASSED: 5 of 5" },
	/* another error than the one expected */
	{ "scan\nconnect\npair\nread 2a6e expect-error=att-0x81\n",
		{ "--fault", "att-error=0x80", NULL }, 1,
		"expectation-failed at "
		"STEP:4 (read): ReadValue failed with failed "
		"(org.bluez.Error.Failed: Operation failed with ATT error: 0x80), "
		"expected att-0x81" },
	{ "scan\nconnect\npair\nread 2a6e expect-error=not-permitted\n",
		{ "--fault", "att-error=0x08", NULL }, 1,
		"expectation-failed at "
		"STEP:4 (read): ReadValue failed with not-authorized "
		"(org.bluez.Error.NotAuthorized: Operation Not Authorized), "
		"expected not-permitted" },
	/* pair method=: the simulated DUT's io and sc give each model; our
	 * agent is KeyboardDisplay */
	{ "scan\npair method=numeric-comparison\n", { NULL }, 0,
		"PASSED: 2 of 2" },
	{ "scan\npair method=just-works\n",
		{ "--sim-opt", "io=NoInputNoOutput", NULL }, 0,
		"PASSED: 2 of 2" },
	/* LE legacy pairing has no numeric comparison: two DisplayYesNo
	 * pair Just Works */
	{ "scan\npair io=DisplayYesNo method=just-works\n",
		{ "--sim-opt", "sc=no", NULL }, 0, "PASSED: 2 of 2" },
	{ "scan\npair io=DisplayYesNo method=numeric-comparison\n", { NULL }, 0,
		"PASSED: 2 of 2" },
	{ "scan\npair method=passkey-entry passkey=314159\n",
		{ "--sim-opt", "io=DisplayOnly", "--sim-opt", "passkey=314159",
			NULL },
		0, "PASSED: 2 of 2" },
	{ "scan\npair method=passkey-entry\n",
		{ "--sim-opt", "io=KeyboardOnly", NULL }, 0, "PASSED: 2 of 2" },
	{ "scan\npair method=just-works\n", { NULL }, 1,
		"expectation-failed "
		"at STEP:2 (pair): the pairing used numeric-comparison "
		"(RequestConfirmation), expected just-works" },
	{ "scan\npair method=numeric-comparison\n",
		{ "--sim-opt", "io=NoInputNoOutput", NULL }, 1,
		"expectation-failed "
		"at STEP:2 (pair): the pairing used just-works (the agent was asked "
		"nothing), expected numeric-comparison" },
	/* confirm=reject: no bond left, and a pairing afterwards works */
	{ "scan\npair confirm=reject method=numeric-comparison\n"
	  "expect paired=no bonded=no\npair\nexpect bonded=yes\n",
		{ NULL }, 0, "PASSED: 5 of 5" },
	{ "scan\npair confirm=reject\n",
		{ "--sim-opt", "io=NoInputNoOutput", NULL }, 1,
		"expectation-failed "
		"at STEP:2 (pair): confirm=reject, but the pairing succeeded "
		"(just-works: nothing was asked to reject)" },
	/* expect-adv: what the simulated DUT advertises, after a scan and
	 * after a reboot */
	{ "scan\nexpect-adv name=mpy-temp uuid=181a appearance=768\nreboot\n"
	  "expect-adv name=mpy-temp uuid=181a\n",
		{ NULL }, 0, "PASSED: 4 of 4" },
	{ "scan\nexpect-adv name=thermo manufacturer=0x05f1:0102 "
	  "appearance=0x0341\nreboot\nexpect-adv manufacturer=1521:0102\n",
		{ "--sim-opt", "name=thermo", "--sim-opt",
			"manufacturer=0x05f1:0102", "--sim-opt",
			"appearance=833", NULL },
		0, "PASSED: 4 of 4" },
	{ "scan\nexpect-adv name=other uuid=180f manufacturer=0x05f1:0102\n",
		{ NULL }, 1,
		"expectation-failed at STEP:2 (expect-adv): name is not "
		"'other'; uuid 0000180f-0000-1000-8000-00805f9b34fb is not "
		"advertised; manufacturer 0x05f1:0102 is not advertised (the DUT "
		"advertises name 'mpy-temp', uuids "
		"[0000181a-0000-1000-8000-00805f9b34fb], no manufacturer data, "
		"appearance 768)" },
	{ "scan\nexpect-adv manufacturer=0x05f1:0103 timeout=300ms\n",
		{ "--sim-opt", "manufacturer=0x05f1:0102", NULL }, 1,
		"expectation-failed at STEP:2 (expect-adv): manufacturer "
		"0x05f1:0103 is not advertised (the DUT advertises name 'mpy-temp', "
		"uuids [0000181a-0000-1000-8000-00805f9b34fb], manufacturer "
		"0x05f1:0102, appearance 768)" },
	{ "expect-adv name=mpy-temp\n", { NULL }, 1,
		"expectation-failed at "
		"STEP:1 (expect-adv): the DUT is not known to BlueZ yet: add a scan "
		"step before this one" },
};

static char *write_scn(const char *text)
{
	char *scn = g_strdup("/tmp/bc-steps-XXXXXX.scn");
	int fd = g_mkstemp_full(scn, O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return scn;
}

START_TEST(each_step_passes_and_fails_on_the_simulator)
{
	char *prog = test_prog("bondcheck");
	char *scn = write_scn(runs[_i].text);
	char *log = g_strdup("/tmp/bc-steps-XXXXXX.jsonl");
	int fd = g_mkstemp(log);
	GPtrArray *argv = g_ptr_array_new();
	struct proc_result r;
	char *says = NULL;

	close(fd);
	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "run");
	g_ptr_array_add(argv, (gpointer) "--sim");
	g_ptr_array_add(argv, (gpointer) "--time-scale");
	g_ptr_array_add(argv, (gpointer) "0.02");
	g_ptr_array_add(argv, (gpointer) "--log");
	g_ptr_array_add(argv, log);
	for (size_t i = 0; runs[_i].opts[i]; i++)
		g_ptr_array_add(argv, (gpointer)runs[_i].opts[i]);
	g_ptr_array_add(argv, scn);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata,
		(const char *const[]){ "NO_COLOR=1", NULL }, 60000, &r);
	ck_assert_msg(r.status == runs[_i].status,
		"%s: exit %d, expected "
		"%d\n%s\n%s",
		runs[_i].text, r.status, runs[_i].status, r.out, r.err);
	if (runs[_i].says) {
		/* STEP: the scenario's file */
		char **parts = g_strsplit(runs[_i].says, "STEP", -1);

		says = g_strjoinv(scn, parts);
		g_strfreev(parts);
		ck_assert_msg(strstr(r.out, says) != NULL, "%s: no '%s' in\n%s",
			runs[_i].text, says, r.out);
	}
	g_free(says);
	test_result_clear(&r);
	unlink(scn);
	unlink(log);
	g_free(scn);
	g_free(log);
	g_free(prog);
	g_ptr_array_free(argv, TRUE);
}
END_TEST

Suite *steps_suite(void)
{
	Suite *s = suite_create("steps");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(tc, each_step_passes_and_fails_on_the_simulator, 0,
		G_N_ELEMENTS(runs));
	suite_add_tcase(s, tc);
	return s;
}
