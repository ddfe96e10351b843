/* SPDX-License-Identifier: MIT */
/*
 * check_multirun.c — bondcheck run with several scenarios and
 * --keep-going, against the simulator: each scenario in turn with its own
 * log, one JUnit file with a suite per scenario (checked with the XSD and
 * junitparser, as CI reads it), one summary, the worst exit status; a
 * failed step inside a repeat block ends only its iteration, and the log
 * says what was skipped.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "helpers/simtest.h"
#include "helpers/testutil.h"
#include "suites.h"

/* Each test's own directory: its scenarios, logs and reports. */
static char *dir;

static void setup(void)
{
	dir = g_dir_make_tmp("bc-multirun-XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
}

static void rm_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(path, n, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			rm_tree(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(path);
}

static void teardown(void)
{
	rm_tree(dir);
	g_free(dir);
	dir = NULL;
}

/* @name under the test's directory; g_free it. */
static char *at(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static char *write_scn(const char *name, const char *text)
{
	char *p = at(name);

	ck_assert(g_file_set_contents(p, text, -1, NULL));
	return p;
}

/* bondcheck run --sim (fast) @args...; NULL-ended. */
static void sim_run(struct proc_result *r, const char *const *args)
{
	char *prog = test_prog("bondcheck");
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "run");
	g_ptr_array_add(argv, (gpointer) "--sim");
	g_ptr_array_add(argv, (gpointer) "--time-scale");
	g_ptr_array_add(argv, (gpointer) "0.02");
	for (size_t i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata,
		(const char *const[]){ "NO_COLOR=1", NULL }, 60000, r);
	g_ptr_array_free(argv, TRUE);
	g_free(prog);
}

/* The log's events, each parsed; every line must parse. */
static GPtrArray *log_events(const char *path)
{
	GPtrArray *evs =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	char *text = NULL;
	char **lines;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "no log %s",
		path);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		JsonParser *p;

		if (!**l)
			continue;
		p = json_parser_new();
		ck_assert_msg(json_parser_load_from_data(p, *l, -1, NULL),
			"%s: does not parse: %s", path, *l);
		g_ptr_array_add(evs, json_node_copy(json_parser_get_root(p)));
		g_object_unref(p);
	}
	g_strfreev(lines);
	g_free(text);
	return evs;
}

static JsonObject *ev_obj(GPtrArray *evs, guint i)
{
	return json_node_get_object(g_ptr_array_index(evs, i));
}

static const char *ev_type(GPtrArray *evs, guint i)
{
	return json_object_get_string_member(ev_obj(evs, i), "type");
}

/* How many events of @type, with @key == @value if @key. */
static unsigned count(GPtrArray *evs, const char *type, const char *key,
	const char *value)
{
	unsigned n = 0;

	for (guint i = 0; i < evs->len; i++) {
		JsonObject *o = ev_obj(evs, i);

		if (strcmp(ev_type(evs, i), type))
			continue;
		if (key &&
			(!json_object_has_member(o, key) ||
				g_strcmp0(json_object_get_string_member(o, key),
					value)))
			continue;
		n++;
	}
	return n;
}

static JsonObject *run_end(GPtrArray *evs)
{
	ck_assert_uint_gt(evs->len, 1);
	ck_assert_str_eq(ev_type(evs, evs->len - 1), "run-end");
	return ev_obj(evs, evs->len - 1);
}

/* Three cycles of reboot, reconnect, read: with lose-bond-on-reboot every
 * reconnect fails. */
#define SOAK                                                  \
	"scenario \"Soak\"\nscan\npair\nrepeat 3\n  reboot\n" \
	"  reconnect\n  read 2a6e\nend\ndisconnect\n"

START_TEST(keep_going_runs_every_iteration_of_a_failing_repeat)
{
	char *scn = write_scn("soak.scn", SOAK);
	char *log = at("soak.jsonl");
	const char *args[] = { "--fault", "lose-bond-on-reboot", "--keep-going",
		"--log", log, scn, NULL };
	struct proc_result r;
	GPtrArray *evs;
	JsonObject *end, *steps;

	sim_run(&r, args);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	evs = log_events(log);
	end = run_end(evs);
	steps = json_object_get_object_member(end, "steps");
	/* scan, pair, 3 x (reboot, reconnect), disconnect; the reads skipped */
	ck_assert_int_eq(json_object_get_int_member(steps, "run"), 9);
	ck_assert_int_eq(json_object_get_int_member(steps, "failed"), 3);
	ck_assert_int_eq(json_object_get_int_member(steps, "passed"), 6);
	ck_assert_str_eq(json_object_get_string_member(end, "verdict"),
		"peer-removed-pairing");
	ck_assert_int_eq(json_object_get_int_member(end, "line"), 6);
	ck_assert_uint_eq(count(evs, "step-end", "verdict",
				  "peer-removed-pairing"),
		3);
	ck_assert_uint_eq(count(evs, "note", "what", "keep-going"), 3);
	ck_assert_uint_eq(count(evs, "step-start", "name", "read"), 0);
	ck_assert_uint_eq(count(evs, "step-end", "name", "disconnect"), 1);
	ck_assert_ptr_nonnull(strstr(r.out,
		"note: line 6 failed in iteration "
		"2/3: skipped line 7 of that iteration, going on with "
		"iteration 3/3"));
	ck_assert_ptr_nonnull(strstr(r.out, "(and 2 more failed steps: "
					    "--keep-going)"));
	g_ptr_array_free(evs, TRUE);

	/* without it, the first failure ends the run */
	{
		const char *once[] = { "--fault", "lose-bond-on-reboot",
			"--log", log, scn, NULL };

		test_result_clear(&r);
		sim_run(&r, once);
		ck_assert_int_eq(r.status, 1);
		evs = log_events(log);
		steps = json_object_get_object_member(run_end(evs), "steps");
		ck_assert_int_eq(json_object_get_int_member(steps, "run"), 4);
		ck_assert_int_eq(json_object_get_int_member(steps, "failed"),
			1);
		ck_assert_uint_eq(count(evs, "note", "what", "keep-going"), 0);
		g_ptr_array_free(evs, TRUE);
	}
	test_result_clear(&r);
	g_free(scn);
	g_free(log);
}
END_TEST

/* The JUnit file as CI reads it: valid by the XSD, and junitparser's
 * account of it (its lines "suite NAME tests=...", "case ..."). */
static char *junit_read(const char *xml)
{
	char *script = test_path("tests/junit/junit_summary.py");
	char *xsd = test_path("tests/junit/junit.xsd");
	const char *py[] = { "/usr/bin/python3", script, xml, NULL };
	const char *lint[] = { "/usr/bin/xmllint", "--noout", "--schema", xsd,
		xml, NULL };
	struct proc_result r;
	char *out;

	test_run(lint, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "xmllint: %s", r.err);
	test_result_clear(&r);
	test_run(py, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "junitparser: %s\n%s", r.out, r.err);
	out = g_strdup(r.out);
	test_result_clear(&r);
	g_free(script);
	g_free(xsd);
	return out;
}

static unsigned count_text(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

#define PASSES "scenario \"Bonds\"\nscan\npair\n"
#define FAILS                                                \
	"scenario \"Survives reboot\"\nscan\npair\nreboot\n" \
	"reconnect\nread 2a6e\n"

/*
 * a.scn passes, b.scn fails (lose-bond-on-reboot), c.scn would pass:
 * without --keep-going c is not run (a skipped suite says why); with it,
 * every one runs. One log each, named after --log; one JUnit file.
 */
START_TEST(two_scenarios_one_failing_share_one_junit_file)
{
	char *a = write_scn("a.scn", PASSES);
	char *b = write_scn("b.scn", FAILS);
	char *c = write_scn("c.scn", PASSES);
	char *base = at("run.jsonl"), *xml = at("run.xml");
	char *la = at("run-a.jsonl"), *lb = at("run-b.jsonl");
	char *lc = at("run-c.jsonl");
	const char *args[] = { "--fault", "lose-bond-on-reboot", "--log", base,
		"--junit", xml, a, b, c, NULL, NULL };
	struct proc_result r;
	GPtrArray *evs;
	char *ci;

	sim_run(&r, args);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert(g_file_test(la, G_FILE_TEST_EXISTS));
	ck_assert(!g_file_test(lc, G_FILE_TEST_EXISTS));
	evs = log_events(lb);
	ck_assert_str_eq(json_object_get_string_member(run_end(evs), "verdict"),
		"peer-removed-pairing");
	g_ptr_array_free(evs, TRUE);
	ck_assert_ptr_nonnull(strstr(r.out, "[1/3] "));
	ck_assert_ptr_nonnull(strstr(r.out, "summary of 3 scenarios"));
	ck_assert_ptr_nonnull(strstr(r.out,
		"scenarios: 1 passed, 1 failed, 1 "
		"not run (--keep-going runs every scenario); exit 1"));
	ck_assert_uint_eq(count_text(r.out, "JUnit: "), 1);
	ci = junit_read(xml);
	ck_assert_msg(count_text(ci, "\nsuite ") + !strncmp(ci, "suite ", 6) ==
			      3,
		"%s", ci);
	ck_assert_msg(strstr(ci, "suite Bonds (C0:FF:EE:00:13:42) tests=2 "
				 "failures=0 errors=0 skipped=0"),
		"%s", ci);
	ck_assert_msg(strstr(ci, "suite Survives reboot (C0:FF:EE:00:13:42) "
				 "tests=5 failures=1 errors=0 skipped=1"),
		"%s", ci);
	ck_assert_msg(strstr(ci, "type=peer-removed-pairing"), "%s", ci);
	/* c, not run: its own suite (a name made unique), skipped */
	ck_assert_msg(strstr(ci, "suite Bonds (C0:FF:EE:00:13:42) #2 tests=1 "
				 "failures=0 errors=0 skipped=1"),
		"%s", ci);
	ck_assert_msg(strstr(ci, "property scenario.file="), "%s", ci);
	g_free(ci);
	test_result_clear(&r);

	/* --keep-going: c runs too; the worst status is still 1 */
	args[9] = "--keep-going";
	sim_run(&r, args);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert(g_file_test(lc, G_FILE_TEST_EXISTS));
	ck_assert_ptr_nonnull(strstr(r.out, "scenarios: 2 passed, 1 failed; "
					    "exit 1"));
	ci = junit_read(xml);
	ck_assert_msg(strstr(ci, "suite Bonds (C0:FF:EE:00:13:42) #2 tests=2 "
				 "failures=0 errors=0 skipped=0"),
		"%s", ci);
	g_free(ci);
	test_result_clear(&r);
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(base);
	g_free(xml);
	g_free(la);
	g_free(lb);
	g_free(lc);
}
END_TEST

/*
 * A directory: its *.scn files in name order (not its subdirectories',
 * not other files); --log DIR/ holds STEM.jsonl each; all pass: exit 0.
 */
START_TEST(a_directory_runs_its_scenarios_in_name_order)
{
	char *suite = at("suite"), *sub = at("suite/sub");
	char *logs = g_strconcat(dir, "/logs/", NULL);
	char *l1, *l2;
	const char *args[] = { "--log", logs, suite, NULL };
	struct proc_result r;
	const char *one, *two;

	ck_assert_int_eq(g_mkdir_with_parents(sub, 0755), 0);
	g_free(write_scn("suite/02-second.scn", "scenario \"Second\"\nscan\n"));
	g_free(write_scn("suite/01-first.scn", "scenario \"First\"\nscan\n"));
	g_free(write_scn("suite/notes.txt", "not a scenario\n"));
	g_free(write_scn("suite/sub/03-deeper.scn", "conect\n"));
	sim_run(&r, args);
	ck_assert_msg(r.status == 0, "exit %d: %s\n%s", r.status, r.out, r.err);
	one = strstr(r.out, "01-first.scn: \"First\"");
	two = strstr(r.out, "02-second.scn: \"Second\"");
	ck_assert_msg(one && two && one < two, "%s", r.out);
	ck_assert_ptr_null(strstr(r.out, "deeper"));
	ck_assert_ptr_nonnull(strstr(r.out, "scenarios: 2 passed, 0 failed; "
					    "exit 0"));
	l1 = g_build_filename(logs, "01-first.jsonl", NULL);
	l2 = g_build_filename(logs, "02-second.jsonl", NULL);
	ck_assert(g_file_test(l1, G_FILE_TEST_EXISTS));
	ck_assert(g_file_test(l2, G_FILE_TEST_EXISTS));
	test_result_clear(&r);
	g_free(l1);
	g_free(l2);
	g_free(logs);
	g_free(sub);
	g_free(suite);
}
END_TEST

/*
 * The worst status wins, the highest (130 > 3 > 2 > 1 > 0): a regression
 * (1) then a serial port that is not there (an environment error, 3)
 * exit 3 with --keep-going; the soak's repeat goes on in the first.
 */
START_TEST(keep_going_across_scenarios_exits_with_the_worst)
{
	char *soak = write_scn("soak.scn", SOAK);
	char *port = write_scn("port.scn", "scan\nreboot via=serial "
					   "port=/nonexistent/tty\n");
	char *ok = write_scn("ok.scn", PASSES);
	char *xml = at("all.xml");
	const char *args[] = { "--fault", "lose-bond-on-reboot", "--keep-going",
		"--junit", xml, soak, port, ok, NULL };
	struct proc_result r;
	char *ci;

	sim_run(&r, args);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.out);
	ck_assert_uint_eq(count_text(r.out, "note: line 6 failed in "
					    "iteration"),
		3);
	ck_assert_ptr_nonnull(strstr(r.out, "scenarios: 1 passed, 1 failed, 1 "
					    "environment error; exit 3"));
	ci = junit_read(xml);
	ck_assert_msg(strstr(ci, "suite Soak (C0:FF:EE:00:13:42) tests=12 "
				 "failures=3 errors=0 skipped=3"),
		"%s", ci);
	ck_assert_msg(strstr(ci, "errors=1"), "%s", ci);
	g_free(ci);
	test_result_clear(&r);
	g_free(soak);
	g_free(port);
	g_free(ok);
	g_free(xml);
}
END_TEST

/* Bad input in any scenario runs none of them: exit 2, every error said. */
START_TEST(a_bad_scenario_among_several_runs_none)
{
	char *good = write_scn("good.scn", PASSES);
	char *bad = write_scn("bad.scn", "conect\n");
	char *bad2 = write_scn("bad2.scn", "scan timeot=1s\n");
	char *base = at("log.jsonl");
	char *lgood = at("log-good.jsonl"), *lbad = at("log-bad.jsonl");
	const char *args[] = { "--log", base, good, bad, bad2, NULL };
	struct proc_result r;
	GPtrArray *evs;

	sim_run(&r, args);
	ck_assert_int_eq(r.status, 2);
	/* the first at fault says so in its log; none ran */
	evs = log_events(lbad);
	ck_assert_int_eq(json_object_get_int_member(run_end(evs),
				 "exit_status"),
		2);
	ck_assert_ptr_nonnull(strstr(json_object_get_string_member(run_end(evs),
					     "message"),
		"unknown step"));
	g_ptr_array_free(evs, TRUE);
	g_free(lbad);
	ck_assert_ptr_nonnull(strstr(r.err, "bad.scn:1:1: unknown step"));
	ck_assert_ptr_nonnull(strstr(r.err, "bad2.scn:1:6: unknown parameter"));
	ck_assert(!g_file_test(lgood, G_FILE_TEST_EXISTS));
	ck_assert_ptr_null(strstr(r.out, "PASS"));
	test_result_clear(&r);
	g_free(good);
	g_free(bad);
	g_free(bad2);
	g_free(base);
	g_free(lgood);
}
END_TEST

/* Ctrl-C in the first scenario ends everything: exit 130, the rest not
 * run (skipped suites that say so), no log for them. */
START_TEST(an_interrupt_ends_the_suite)
{
	char *prog = test_prog("bondcheck");
	char *a = write_scn("a.scn", "scenario \"Waits\"\nscan\nsleep 1m\n");
	char *b = write_scn("b.scn", PASSES);
	char *logs = g_strconcat(dir, "/logs/", NULL), *xml = at("i.xml");
	char *lb = at("logs/b.jsonl");
	const char *argv[] = { prog, "run", "--sim", "--time-scale", "0.02",
		"--keep-going", "--json", "--log", logs, "--junit", xml, a, b,
		NULL };
	struct expect *e = expect_spawn(argv, NULL);
	char *ci;

	ck_assert_msg(expect_wait(e, "\"name\":\"sleep\"", 20000), "%s",
		expect_output(e));
	kill(expect_pid(e), SIGINT);
	ck_assert_int_eq(expect_exit(e, 10000), 130);
	ck_assert(!g_file_test(lb, G_FILE_TEST_EXISTS));
	ci = junit_read(xml);
	ck_assert_msg(strstr(ci, "suite Waits (C0:FF:EE:00:13:42) tests=2 "
				 "failures=0 errors=0 skipped=1"),
		"%s", ci);
	ck_assert_msg(strstr(ci, "suite Bonds (C0:FF:EE:00:13:42) tests=1 "
				 "failures=0 errors=0 skipped=1"),
		"%s", ci);
	g_free(ci);
	expect_free(e);
	g_free(prog);
	g_free(a);
	g_free(b);
	g_free(logs);
	g_free(xml);
	g_free(lb);
}
END_TEST

Suite *multirun_suite(void)
{
	Suite *s = suite_create("multirun");
	TCase *kg = tcase_create("keep-going");
	TCase *sc = tcase_create("scenarios");

	tcase_add_checked_fixture(kg, setup, teardown);
	tcase_set_timeout(kg, 90);
	tcase_add_test(kg, keep_going_runs_every_iteration_of_a_failing_repeat);
	tcase_add_test(kg, keep_going_across_scenarios_exits_with_the_worst);
	suite_add_tcase(s, kg);
	tcase_add_checked_fixture(sc, setup, teardown);
	tcase_set_timeout(sc, 90);
	tcase_add_test(sc, two_scenarios_one_failing_share_one_junit_file);
	tcase_add_test(sc, a_directory_runs_its_scenarios_in_name_order);
	tcase_add_test(sc, a_bad_scenario_among_several_runs_none);
	tcase_add_test(sc, an_interrupt_ends_the_suite);
	suite_add_tcase(s, sc);
	return s;
}
