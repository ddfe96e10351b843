/* SPDX-License-Identifier: MIT */
/*
 * check_cli.c — the bondcheck program's own commands that need no device:
 * faults, sim (a private bus with the simulator, until Ctrl-C), and the
 * usage errors every command shares.
 */
#include <check.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bondcheck/bus.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/sim.h"
#include "helpers/hostile.h"
#include "helpers/simtest.h"
#include "suites.h"

START_TEST(faults_lists_every_fault)
{
	char *prog = test_prog("bondcheck");
	const char *argv[] = { prog, "faults", NULL };
	const char *jargv[] = { prog, "faults", "--json", NULL };
	struct proc_result r;
	char **lines;
	int n = 0;

	test_run(argv, NULL, 5000, &r);
	ck_assert_int_eq(r.status, 0);
	for (int f = 0; f < SIM_FAULT_COUNT; f++)
		ck_assert_msg(strstr(r.out, sim_fault_info(f)->name),
			"%s missing", sim_fault_info(f)->name);
	ck_assert_ptr_nonnull(strstr(r.out, "slow-boot=DURATION"));
	test_result_clear(&r);

	test_run(jargv, NULL, 5000, &r);
	ck_assert_int_eq(r.status, 0);
	lines = g_strsplit(r.out, "\n", -1);
	for (char **l = lines; *l && **l; l++) {
		JsonParser *p = json_parser_new();

		ck_assert(json_parser_load_from_data(p, *l, -1, NULL));
		ck_assert(json_object_has_member(
			json_node_get_object(json_parser_get_root(p)),
			"summary"));
		g_object_unref(p);
		n++;
	}
	ck_assert_int_eq(n, SIM_FAULT_COUNT);
	g_strfreev(lines);
	test_result_clear(&r);
	g_free(prog);
}
END_TEST

static void bus_gone(struct bus *bus, void *data)
{
	(void)bus;
	*(bool *)data = true;
}

static bool flag(void *data)
{
	return *(bool *)data;
}

START_TEST(sim_serves_until_interrupted_and_cleans_up)
{
	char *prog = test_prog("bondcheck");
	const char *argv[] = { prog, "sim", "--time-scale", "0", "--fault",
		"lose-bond-on-reboot", NULL };
	struct expect *e = expect_spawn(argv, NULL);
	const char *out, *line;
	char *address;
	struct bus *bus;
	GError *err = NULL;
	GVariant *v;
	bool gone = false;

	ck_assert_msg(expect_wait(e, "DBUS_SYSTEM_BUS_ADDRESS=", 10000), "%s",
		expect_output(e));
	ck_assert(expect_wait(e, "\n", 5000));
	out = expect_output(e);
	line = strstr(out, "DBUS_SYSTEM_BUS_ADDRESS=") +
	       strlen("DBUS_SYSTEM_BUS_ADDRESS=");
	address = g_strndup(line, strcspn(line, "\n"));

	bus = bus_connect(BUS_KIND_ADDRESS, address, &err);
	ck_assert_msg(bus, "%s", err ? err->message : "");
	ck_assert(test_wait_name(bus, BLUEZ_SERVICE, true, 5000));
	v = test_call_ok(bus, BLUEZ_SERVICE, BC_SIM_PATH, DBUS_IFACE_PROPERTIES,
		"Get", g_variant_new("(ss)", BC_SIM_IFACE, "Faults"));
	ck_assert(g_variant_equal(v,
		g_variant_new_parsed("(<['lose-bond-on-reboot']>,)")));
	g_variant_unref(v);

	/* Ctrl-C: the bus and the simulator go away with it */
	bus_set_disconnect_handler(bus, bus_gone, &gone);
	kill(expect_pid(e), SIGINT);
	ck_assert_int_eq(expect_exit(e, 10000), 130);
	ck_assert(test_wait(flag, &gone, 5000));
	bus_unref(bus);
	expect_free(e);
	g_free(address);
	g_free(prog);
	dbus_shutdown();
}
END_TEST

static const struct {
	const char *args[6];
	const char *err;
} usage[] = {
	{ { "sim", "--fault", "no-such", NULL }, "unknown fault" },
	{ { "sim", "--fault", "slow-boot", NULL }, "needs a duration" },
	{ { "sim", "--time-scale", "-1", NULL }, "--time-scale" },
	{ { "sim", "extra", NULL }, "" },
	{ { "faults", "extra", NULL }, "" },
	{ { "nonsense", NULL }, "unknown command" },
	{ { "help", "nonsense", NULL }, "no help on 'nonsense'" },
	{ { "help", "run", "check", NULL }, "one topic" },
	{ { NULL }, "Usage" },
};

START_TEST(usage_errors_exit_2)
{
	char *prog = test_prog("bondcheck");
	const char *argv[8] = { prog };
	struct proc_result r;

	for (int i = 0; usage[_i].args[i]; i++)
		argv[i + 1] = usage[_i].args[i];
	test_run(argv, NULL, 5000, &r);
	ck_assert_msg(r.status == 2, "%s: exit %d", usage[_i].args[0],
		r.status);
	ck_assert_msg(strstr(r.err, usage[_i].err), "stderr: %s", r.err);
	test_result_clear(&r);
	g_free(prog);
}
END_TEST

START_TEST(help_and_version_exit_0)
{
	char *prog = test_prog("bondcheck");
	const char *a1[] = { prog, "--help", NULL };
	const char *a2[] = { prog, "--version", NULL };
	struct proc_result r;

	test_run(a1, NULL, 5000, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Commands:"));
	test_result_clear(&r);
	test_run(a2, NULL, 5000, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "bondcheck " BONDCHECK_VERSION));
	test_result_clear(&r);
	g_free(prog);
}
END_TEST

/* -V and --version: every program, every subcommand */
static const struct {
	const char *prog;
	const char *args[3];
} versions[] = {
	{ "bondcheck", { "-V" } },
	{ "bondcheck", { "--version" } },
	{ "bondcheck", { "run", "-V" } },
	{ "bondcheck", { "check", "--version" } },
	{ "bondcheck", { "compare", "-V" } },
	{ "bondcheck", { "report", "-V" } },
	{ "bondcheck", { "runs", "-V" } },
	{ "bondcheck", { "cancel", "-V" } },
	{ "bondcheck", { "scan", "-V" } },
	{ "bondcheck", { "sim", "-V" } },
	{ "bondcheck", { "faults", "--version" } },
	{ "bondcheck-sim", { "-V" } },
	{ "bondcheck-sim", { "--version" } },
	{ "bondcheckd", { "-V" } },
	{ "bondcheckd", { "--version" } },
};

START_TEST(every_program_and_command_prints_its_version)
{
	char *prog = test_prog(versions[_i].prog);
	char *want = g_strdup_printf("%s %s\n", versions[_i].prog,
		BONDCHECK_VERSION);
	const char *argv[5] = { prog };
	struct proc_result r;

	for (int i = 0; versions[_i].args[i]; i++)
		argv[i + 1] = versions[_i].args[i];
	test_run(argv, NULL, 5000, &r);
	ck_assert_msg(r.status == 0, "%s %s: exit %d", versions[_i].prog,
		versions[_i].args[0], r.status);
	ck_assert_str_eq(r.out, want);
	test_result_clear(&r);
	g_free(want);
	g_free(prog);
}
END_TEST

/* bondcheck help TOPIC: a command's options, a verdict, a fault */
static const struct {
	const char *topic;
	const char *want;
} helps[] = {
	{ "run", "Usage:\n  bondcheck run [OPTION" },
	{ "compare", "bondcheck compare [OPTION" },
	{ "faults", "--json" },
	{ "verdicts", "peer-removed-pairing " },
	{ "peer-removed-pairing", "peer-removed-pairing (verdict): The device "
				  "rebooted" },
	{ "slow-boot", "slow-boot=DURATION (simulator fault): " },
	{ NULL, "Commands:" },
};

START_TEST(help_explains_commands_verdicts_and_faults)
{
	char *prog = test_prog("bondcheck");
	const char *argv[] = { prog, "help", helps[_i].topic, NULL };
	struct proc_result r;

	test_run(argv, NULL, 5000, &r);
	ck_assert_msg(r.status == 0, "help %s: exit %d", helps[_i].topic,
		r.status);
	ck_assert_msg(strstr(r.out, helps[_i].want), "help %s: %s",
		helps[_i].topic, r.out);
	test_result_clear(&r);
	g_free(prog);
}
END_TEST

/* Scenario files that are not files, or are hostile: `check` and `run`
 * exit 2 at once with FILE: or FILE:LINE:COL, never block or grow (the
 * doubling file made `check` peak at 5.8 GB, issue 12.1: what the program
 * and its children held at most is bounded here, by their peak RSS). */
#define BAD_FILE_MAX_RSS_KB (256L * 1024)
static const struct {
	const char *cmd;
	const char *file; /* FIFO, DOUBLING, DEEP, EXPANSION: made here */
	const char *err;  /* after "FILE" in stderr */
} bad_files[] = {
	{ "check", "FIFO", ": this is a FIFO, not a scenario file" },
	{ "run", "FIFO", ": this is a FIFO, not a scenario file" },
	{ "check", "/dev/zero", ": this is a device, not a scenario file" },
	{ "run", "/dev/zero", ": this is a device, not a scenario file" },
	{ "check", "/", ": this is a directory, not a scenario file" },
	{ "check", "DOUBLING", ":10:13: the line is longer than 8192 bytes" },
	{ "run", "DOUBLING", ":10:13: the line is longer than 8192 bytes" },
	{ "check", "DEEP", ":9:1: repeat blocks nest at most 8 deep" },
	{ "run", "DEEP", ":9:1: repeat blocks nest at most 8 deep" },
	{ "check", "EXPANSION",
		":264:24: ${...} adds more than 1048576 bytes "
		"to the scenario by here" },
	{ "run", "EXPANSION",
		":264:24: ${...} adds more than 1048576 bytes "
		"to the scenario by here" },
};

START_TEST(bad_scenario_files_exit_2_at_once)
{
	char *prog = test_prog("bondcheck");
	char *dir = g_dir_make_tmp("bc-cli-XXXXXX", NULL);
	char *path = g_build_filename(dir, "x.scn", NULL);
	const char *file = bad_files[_i].file;
	const char *argv[] = { prog, bad_files[_i].cmd, file, NULL, NULL };
	GString *t = g_string_new("");
	struct proc_result r;
	struct rusage ru;
	char *want;

	if (!strcmp(file, "FIFO")) {
		ck_assert_int_eq(mkfifo(path, 0600), 0);
	} else if (!strcmp(file, "DOUBLING")) {
		g_string_free(t, TRUE);
		t = hostile_doubling("scenario \"${V22}\"\nscan\n");
	} else if (!strcmp(file, "DEEP")) {
		g_string_free(t, TRUE);
		t = hostile_repeats(28000, 1000);
	} else if (!strcmp(file, "EXPANSION")) {
		g_string_free(t, TRUE);
		t = hostile_expansion();
	}
	if (t->len)
		ck_assert(g_file_set_contents(path, t->str, (gssize)t->len,
			NULL));
	if (*file != '/')
		file = path;
	argv[2] = file;
	if (!strcmp(bad_files[_i].cmd, "run")) {
		argv[2] = "--sim";
		argv[3] = file;
	}
	test_run(argv, (const char *const[]){ "NO_COLOR=1", NULL }, 10000, &r);
	want = g_strconcat(file, bad_files[_i].err, NULL);
	ck_assert_msg(r.status == 2, "exit %d: %.500s", r.status, r.err);
	ck_assert_msg(strstr(r.err, want), "stderr: %.500s", r.err);
	ck_assert_uint_le(strlen(r.err), (size_t)64 * 1024);
	/* Check forks each test: these children are this case's only */
	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	ck_assert_msg(ru.ru_maxrss <= BAD_FILE_MAX_RSS_KB, "peak RSS %ld KB",
		ru.ru_maxrss);
	test_result_clear(&r);
	g_free(want);
	unlink(path);
	rmdir(dir);
	g_string_free(t, TRUE);
	g_free(path);
	g_free(dir);
	g_free(prog);
}
END_TEST

/* A scenario its user may not read: `check` and `run` say FILE: and why,
 * never FILE:0:0 (issue 12.10), exit 2. Root reads anything, so as root the
 * program runs as nobody (setpriv), from a copy nobody may execute. */
START_TEST(an_unreadable_scenario_is_named_without_a_place)
{
	static const char *const cmds[] = { "check", "run" };
	char *prog = test_prog("bondcheck");
	char *dir = g_dir_make_tmp("bc-cli-XXXXXX", NULL);
	char *copy = g_build_filename(dir, "bondcheck", NULL);
	char *path = g_build_filename(dir, "secret.scn", NULL);
	char *want = g_strdup_printf("%s: cannot open the scenario: Permission "
				     "denied\n",
		path);
	const char *argv[10];
	char *bin = NULL;
	gsize len = 0;
	struct proc_result r;
	int n = 0;

	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert(g_file_get_contents(prog, &bin, &len, NULL));
	ck_assert(g_file_set_contents(copy, bin, (gssize)len, NULL));
	ck_assert_int_eq(chmod(copy, 0755), 0);
	ck_assert(g_file_set_contents(path, "scan\n", -1, NULL));
	ck_assert_int_eq(chmod(path, 0), 0);
	if (geteuid() == 0) {
		argv[n++] = "/usr/bin/setpriv";
		argv[n++] = "--reuid=65534";
		argv[n++] = "--regid=65534";
		argv[n++] = "--clear-groups";
	}
	argv[n++] = copy;
	argv[n++] = cmds[_i];
	if (_i == 1)
		argv[n++] = "--sim";
	argv[n++] = path;
	argv[n] = NULL;
	test_run(argv, (const char *const[]){ "NO_COLOR=1", NULL }, 10000, &r);
	ck_assert_msg(r.status == 2, "exit %d: %.500s", r.status, r.err);
	ck_assert_str_eq(r.err, want);
	test_result_clear(&r);
	unlink(path);
	unlink(copy);
	rmdir(dir);
	g_free(bin);
	g_free(want);
	g_free(path);
	g_free(copy);
	g_free(dir);
	g_free(prog);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("commands");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, faults_lists_every_fault);
	tcase_add_test(tc, sim_serves_until_interrupted_and_cleans_up);
	tcase_add_loop_test(tc, usage_errors_exit_2, 0, G_N_ELEMENTS(usage));
	tcase_add_test(tc, help_and_version_exit_0);
	tcase_add_loop_test(tc, every_program_and_command_prints_its_version, 0,
		G_N_ELEMENTS(versions));
	tcase_add_loop_test(tc, help_explains_commands_verdicts_and_faults, 0,
		G_N_ELEMENTS(helps));
	tcase_add_loop_test(tc, an_unreadable_scenario_is_named_without_a_place,
		0, 2);
	tcase_add_loop_test(tc, bad_scenario_files_exit_2_at_once, 0,
		G_N_ELEMENTS(bad_files));
	suite_add_tcase(s, tc);
	return s;
}
