/* SPDX-License-Identifier: MIT */
/*
 * check_reports.c — compare, report and JUnit end to end, on logs of real
 * simulator runs: a healthy build against the seed bug (one regression) and
 * back (a fix), healthy against healthy (nothing), against a slow boot (a
 * timing change), against a changed scenario; bad logs of every kind; the
 * JUnit XML read by an XML parser and checked against tests/junit/junit.xsd;
 * and generated soak logs far longer than any simulated run.
 */
#include <check.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers/genlog.h"
#include "helpers/hostile.h"
#include "helpers/testutil.h"
#include "suites.h"

static char *dir;
static char *healthy, *healthy2, *seed, *seed_xml, *slow, *changed;

static char *in_dir(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static void bc(const char *const *args, struct proc_result *r)
{
	char *prog = test_prog("bondcheck");
	GPtrArray *argv = g_ptr_array_new();
	const char *env[] = { "NO_COLOR=1", NULL };

	g_ptr_array_add(argv, prog);
	for (size_t i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata, env, 120000, r);
	g_ptr_array_free(argv, TRUE);
	g_free(prog);
}

/* A simulated run of @scn; its log path. */
static char *sim_run(const char *scn, const char *name, const char *label,
	const char *fault, const char *junit, int want)
{
	char *log = in_dir(name);
	const char *args[16] = { "run", "--time-scale", "0.05", "--sim",
		"--label", label, "--log", log };
	int n = 8;
	struct proc_result r;

	if (fault) {
		args[n++] = "--fault";
		args[n++] = fault;
	}
	if (junit) {
		args[n++] = "--junit";
		args[n++] = junit;
	}
	args[n++] = scn;
	args[n] = NULL;
	bc(args, &r);
	ck_assert_msg(r.status == want, "%s %s: exit %d\n%s\n%s", name,
		fault ? fault : "", r.status, r.out, r.err);
	test_result_clear(&r);
	return log;
}

static void make_dir(void)
{
	dir = g_dir_make_tmp("bc-reports-XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
}

static void make_logs(void)
{
	char *scn = test_path("scenarios/bond-survives-reboot.scn");
	char *text, *more, *scn2;

	make_dir();
	healthy = sim_run(scn, "healthy.jsonl", "1.22", NULL, NULL, 0);
	healthy2 = sim_run(scn, "healthy2.jsonl", "1.22-again", NULL, NULL, 0);
	seed_xml = in_dir("seed.xml");
	seed = sim_run(scn, "seed.jsonl", "1.23", "key-lookup-mismatch",
		seed_xml, 1);
	/* 1.5 s of boot at this time scale: the healthy reboots (~80 ms) would
	 * have to take over 1 s each on a loaded machine to hide it */
	slow = sim_run(scn, "slow.jsonl", "1.24", "slow-boot=30s", NULL, 0);
	/* the same scenario with one more step at its end */
	ck_assert(g_file_get_contents(scn, &text, NULL, NULL));
	more = g_strconcat(text, "expect bonded=yes\n", NULL);
	scn2 = in_dir("changed.scn");
	ck_assert(g_file_set_contents(scn2, more, -1, NULL));
	changed = sim_run(scn2, "changed.jsonl", "1.25", NULL, NULL, 0);
	g_free(text);
	g_free(more);
	g_free(scn2);
	g_free(scn);
}

static void remove_logs(void)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *p = in_dir(name);

		unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	rmdir(dir);
	g_clear_pointer(&dir, g_free);
	g_clear_pointer(&healthy, g_free);
	g_clear_pointer(&healthy2, g_free);
	g_clear_pointer(&seed, g_free);
	g_clear_pointer(&seed_xml, g_free);
	g_clear_pointer(&slow, g_free);
	g_clear_pointer(&changed, g_free);
}

static JsonObject *parse(const char *text, JsonParser **p)
{
	*p = json_parser_new();
	ck_assert_msg(json_parser_load_from_data(*p, text, -1, NULL), "%s", text);
	return json_node_get_object(json_parser_get_root(*p));
}

START_TEST(the_seed_bug_is_one_regression_with_its_divergence)
{
	struct proc_result r;
	JsonParser *p;
	JsonObject *o, *reg, *div;

	bc((const char *[]){ "compare", healthy, seed, NULL }, &r);
	ck_assert_msg(r.status == 1, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "REGRESSIONS: passed in BASE, "
					    "failed in NEW (1)"));
	ck_assert_ptr_nonnull(strstr(r.out, "line 40   reconnect [1]"));
	ck_assert_ptr_nonnull(strstr(r.out, "pass -> peer-removed-pairing"));
	ck_assert_ptr_nonnull(strstr(r.out, "first divergence at event"));
	/* side by side: the DUT looked the bond up under the RPA it did not
	 * resolve (<a2>), not the identity it is stored under (<a3>) */
	ck_assert_ptr_nonnull(strstr(r.out, "looked_up=public/<a3>"));
	ck_assert_ptr_nonnull(strstr(r.out, "looked_up=random/<a2>"));
	ck_assert_ptr_nonnull(strstr(r.out, "8 not run in NEW (it stopped at "
					    "line 40)"));
	ck_assert_ptr_nonnull(strstr(r.out, "REGRESSED: 1 regression"));
	ck_assert_ptr_null(strstr(r.out, "\033["));
	test_result_clear(&r);

	bc((const char *[]){ "compare", "--json", healthy, seed, NULL }, &r);
	ck_assert_int_eq(r.status, 1);
	o = parse(r.out, &p);
	ck_assert(json_object_get_boolean_member(o, "regressed"));
	ck_assert_int_eq(json_object_get_int_member(o, "regressions_count"), 1);
	reg = json_array_get_object_element(json_object_get_array_member(o,
		"regressions"), 0);
	ck_assert_str_eq(json_object_get_string_member(
		json_object_get_object_member(reg, "new"), "verdict"),
		"peer-removed-pairing");
	div = json_object_get_object_member(reg, "divergence");
	ck_assert_ptr_nonnull(strstr(json_array_get_string_element(
		json_object_get_array_member(div, "new"), 0), "ltk-request"));
	ck_assert_str_eq(json_object_get_string_member(
		json_object_get_object_member(o, "new"), "label"), "1.23");
	g_object_unref(p);
	test_result_clear(&r);
}
END_TEST

START_TEST(the_reverse_is_a_fix)
{
	struct proc_result r;

	bc((const char *[]){ "compare", seed, healthy, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "FIXES: failed in BASE, passed in "
					    "NEW (1)"));
	ck_assert_ptr_nonnull(strstr(r.out, "peer-removed-pairing (inferred) "
					    "-> pass"));
	ck_assert_ptr_nonnull(strstr(r.out, "8 not run in BASE"));
	ck_assert_ptr_nonnull(strstr(r.out, "NO REGRESSION: 0 regressions, 1 "
					    "fix"));
	test_result_clear(&r);
}
END_TEST

START_TEST(healthy_against_healthy_has_nothing_to_say)
{
	struct proc_result r;
	JsonParser *p;
	JsonObject *o;

	bc((const char *[]){ "compare", "--json", healthy, healthy2, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	o = parse(r.out, &p);
	ck_assert_int_eq(json_object_get_int_member(o, "regressions_count"), 0);
	ck_assert_int_eq(json_object_get_int_member(o, "fixes_count"), 0);
	ck_assert_int_eq(json_object_get_int_member(o, "verdict_changes_count"),
		0);
	ck_assert_int_eq(json_object_get_int_member(o, "passed_in_both"), 13);
	ck_assert(!json_object_get_boolean_member(o, "scenario_changed"));
	g_object_unref(p);
	test_result_clear(&r);
}
END_TEST

START_TEST(a_slow_boot_is_a_timing_change)
{
	struct proc_result r;
	JsonParser *p;
	JsonObject *o;
	JsonArray *steps;
	bool found = false;

	bc((const char *[]){ "compare", healthy, slow, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, "SLOWER (median x"), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "NO REGRESSION"));
	test_result_clear(&r);

	bc((const char *[]){ "compare", "--fail-on-slower", healthy, slow, NULL },
		&r);
	ck_assert_int_eq(r.status, 1);
	test_result_clear(&r);

	/* raise the bar past a 1.5 s slower boot: nothing to flag */
	bc((const char *[]){ "compare", "--json", "--min-slowdown", "10s",
		healthy, slow, NULL }, &r);
	ck_assert_int_eq(r.status, 0);
	o = parse(r.out, &p);
	steps = json_object_get_array_member(json_object_get_object_member(o,
		"timing"), "steps");
	for (guint i = 0; i < json_array_get_length(steps); i++) {
		JsonObject *s = json_array_get_object_element(steps, i);

		ck_assert(!json_object_get_boolean_member(s, "slower"));
		if (!strcmp(json_object_get_string_member(s, "name"), "reboot")) {
			found = true;
			ck_assert_int_eq(json_object_get_int_member(
				json_object_get_object_member(s, "new"), "n"), 3);
			ck_assert_int_ge(json_object_get_int_member(
				json_object_get_object_member(s, "new"),
				"median_ms"), 1500);
		}
	}
	ck_assert(found);
	g_object_unref(p);
	test_result_clear(&r);
}
END_TEST

START_TEST(a_changed_scenario_is_said)
{
	struct proc_result r;

	bc((const char *[]){ "compare", healthy, changed, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "the scenario changed"));
	ck_assert_ptr_nonnull(strstr(r.out, "1 only in NEW"));
	ck_assert_ptr_nonnull(strstr(r.out, "expect"));
	test_result_clear(&r);
}
END_TEST

START_TEST(a_killed_run_compares_as_incomplete)
{
	char *text, *cut = in_dir("cut.jsonl");
	char **lines;
	GString *s = g_string_new("");
	struct proc_result r;

	/* the first 40 whole lines: what SIGKILL mid-run leaves */
	ck_assert(g_file_get_contents(healthy, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", 41);
	for (int i = 0; i < 40 && lines[i]; i++)
		g_string_append_printf(s, "%s\n", lines[i]);
	ck_assert(g_file_set_contents(cut, s->str, -1, NULL));
	bc((const char *[]){ "compare", healthy, cut, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "INCOMPLETE after"));
	ck_assert_ptr_nonnull(strstr(r.out, "not run in NEW"));
	test_result_clear(&r);
	bc((const char *[]){ "report", cut, NULL }, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "INCOMPLETE: the log ends without "
					    "run-end"));
	test_result_clear(&r);
	g_strfreev(lines);
	g_string_free(s, TRUE);
	g_free(text);
	g_free(cut);
}
END_TEST

/* Bad logs: how to spoil a good one, and where the error must point. */
enum spoil { GARBAGE_LINE, TRUNCATED, FOREIGN, NOT_JSON, FUTURE_SCHEMA,
	DEEP };

static const struct {
	enum spoil how;
	const char *where;
	const char *words;
} spoils[] = {
	{ GARBAGE_LINE, ":5:", "" },
	{ TRUNCATED, ":", "the line is cut short" },
	{ FOREIGN, ":1:1:", "not a bondcheck run log" },
	{ NOT_JSON, ":1:", "not a bondcheck run log?" },
	{ FUTURE_SCHEMA, ":1:", "log schema 2 is not one this bondcheck reads" },
	/* a 200 KB line nested 100,000 deep crashed both in json-glib */
	{ DEEP, ":5:91: ", "nested deeper than 64 levels" },
};

static char *spoilt(enum spoil how)
{
	char *text, *out = in_dir("spoilt.jsonl");
	char **lines;
	GString *s = g_string_new("");

	ck_assert(g_file_get_contents(healthy, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	switch (how) {
	case GARBAGE_LINE:
		for (int i = 0; lines[i] && *lines[i]; i++)
			g_string_append_printf(s, "%s\n", i == 4 ?
				"{\"type\":\"bluez\",\"t\":12,,}" : lines[i]);
		break;
	case TRUNCATED:
		g_string_append(s, text);
		g_string_truncate(s, s->len - 30);
		break;
	case FOREIGN:
		g_string_append(s, "{\"level\":\"info\",\"msg\":\"hello\"}\n");
		break;
	case NOT_JSON:
		g_string_append(s, "scenario \"not a log\"\nscan\n");
		break;
	case DEEP:
		for (int i = 0; lines[i] && *lines[i]; i++) {
			if (i != 4) {
				g_string_append_printf(s, "%s\n", lines[i]);
				continue;
			}
			GString *deep = hostile_nesting("{\"type\":\"bluez\","
				"\"t\":12,\"x\":", 100000, "}\n");

			g_string_append(s, deep->str);
			g_string_free(deep, TRUE);
		}
		break;
	case FUTURE_SCHEMA:
		for (int i = 0; lines[i] && *lines[i]; i++) {
			char **parts = g_strsplit(lines[i], "\"schema\":1", 2);
			char *l = g_strjoinv("\"schema\":2", parts);

			g_string_append_printf(s, "%s\n", l);
			g_free(l);
			g_strfreev(parts);
		}
		break;
	}
	ck_assert(g_file_set_contents(out, s->str, -1, NULL));
	g_string_free(s, TRUE);
	g_strfreev(lines);
	g_free(text);
	return out;
}

START_TEST(a_bad_log_exits_2_naming_file_and_line)
{
	char *bad = spoilt(spoils[_i].how);
	char *want = g_strconcat(bad, spoils[_i].where, NULL);
	const char *const *cases[] = {
		(const char *[]){ "compare", healthy, bad, NULL },
		(const char *[]){ "compare", bad, healthy, NULL },
		(const char *[]){ "report", bad, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct proc_result r;

		bc(cases[i], &r);
		ck_assert_msg(r.status == 2, "case %zu: exit %d\n%s\n%s", i,
			r.status, r.out, r.err);
		ck_assert_msg(strstr(r.err, want) && strstr(r.err,
			spoils[_i].words), "case %zu: '%s' lacks '%s' / '%s'", i,
			r.err, want, spoils[_i].words);
		ck_assert_str_eq(r.out, "");
		test_result_clear(&r);
	}
	unlink(bad);
	g_free(bad);
	g_free(want);
}
END_TEST

static const struct {
	const char *args[6];
	const char *words;
} usage[] = {
	{ { "compare", "a.jsonl", NULL }, "two run logs" },
	{ { "compare", "--threshold", "0.5", "a", "b", NULL }, "--threshold" },
	{ { "compare", "--min-slowdown", "fast", "a", "b", NULL },
		"--min-slowdown" },
	{ { "compare", "-", "-", NULL }, "standard input" },
	{ { "compare", "/nonexistent/a", "/nonexistent/b", NULL },
		"/nonexistent/a: cannot read" },
	{ { "report", NULL }, "one run log" },
	{ { "report", "--bogus", "x", NULL }, "--bogus" },
};

START_TEST(usage_errors_exit_2)
{
	struct proc_result r;

	bc(usage[_i].args, &r);
	ck_assert_msg(r.status == 2, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, usage[_i].words), "%s", r.err);
	test_result_clear(&r);
}
END_TEST

/* What CI servers see: the report read with junitparser. */
static void junit_counts(const char *xml, const char *want)
{
	char *script = test_path("tests/junit/junit_summary.py");
	const char *argv[] = { "/usr/bin/python3", script, xml, NULL };
	struct proc_result r;

	test_run(argv, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	ck_assert_msg(strstr(r.out, want), "'%s' lacks '%s'", r.out, want);
	test_result_clear(&r);
	g_free(script);
}

/* The test cases' names as the CI reader lists them, one a line. */
static char *junit_case_names(const char *xml)
{
	char *script = test_path("tests/junit/junit_summary.py");
	const char *argv[] = { "/usr/bin/python3", script, xml, NULL };
	struct proc_result r;
	char **lines;
	GString *s = g_string_new("");

	test_run(argv, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	lines = g_strsplit(r.out, "\n", -1);
	for (char **l = lines; *l; l++) {
		char **f = g_strsplit(*l, " | ", 5);

		if (g_str_has_prefix(*l, "case ") && g_strv_length(f) == 5)
			g_string_append_printf(s, "%s\n", f[1]);
		g_strfreev(f);
	}
	g_strfreev(lines);
	test_result_clear(&r);
	g_free(script);
	return g_string_free(s, FALSE);
}

static void xsd_valid(const char *xml, bool valid)
{
	char *xsd = test_path("tests/junit/junit.xsd");
	const char *argv[] = { "/usr/bin/xmllint", "--noout", "--schema", xsd, xml, NULL };
	struct proc_result r;

	test_run(argv, NULL, 30000, &r);
	ck_assert_msg((r.status == 0) == valid, "%s: exit %d\n%s", xml, r.status,
		r.err);
	test_result_clear(&r);
	g_free(xsd);
}

START_TEST(run_junit_is_valid_and_counts_right)
{
	xsd_valid(seed_xml, true);
	/* every step of the plan: the 8 the run never reached are skipped */
	junit_counts(seed_xml, "suite Bond survives reboot (1.23) tests=13 "
			       "failures=1 errors=0 skipped=8");
	junit_counts(seed_xml, "case Bond survives reboot (1.23) | reconnect "
			       "#1 [1] | failure | line=40 | "
			       "type=peer-removed-pairing");
	junit_counts(seed_xml, "| read #2 [3] | skipped | line=41 |");
	junit_counts(seed_xml, "property label=1.23");
	/* what the run could and could not show: an RPA central */
	junit_counts(seed_xml, "property coverage.rpa_bugs=could-show");
	junit_counts(seed_xml, "property coverage.central_address="
			       "resolvable-private");
}
END_TEST

START_TEST(report_writes_the_same_junit_from_the_log)
{
	char *xml = in_dir("report.xml"), *xml2 = in_dir("healthy.xml");
	struct proc_result r;

	bc((const char *[]){ "report", seed, "--junit", xml, NULL }, &r);
	ck_assert_msg(r.status == 1, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "FAILED: peer-removed-pairing at "));
	ck_assert_ptr_nonnull(strstr(r.out, "label 1.23"));
	ck_assert_ptr_nonnull(strstr(r.out, "verdicts: pass 4, "
					    "peer-removed-pairing 1; 8 steps "
					    "not run"));
	ck_assert_ptr_nonnull(strstr(r.out, "DUT:"));
	test_result_clear(&r);
	xsd_valid(xml, true);
	junit_counts(xml, "tests=13 failures=1 errors=0 skipped=8");

	bc((const char *[]){ "report", healthy, "--junit", xml2, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "PASSED: 13 of 13"));
	ck_assert_ptr_nonnull(strstr(r.out, "reconnect latency over 3 cycles"));
	test_result_clear(&r);
	xsd_valid(xml2, true);
	junit_counts(xml2, "suite Bond survives reboot (1.22) tests=13 "
			   "failures=0 errors=0 skipped=0");
	/* a passing and a failing run of one scenario: the same test cases */
	{
		char *a = junit_case_names(xml), *b = junit_case_names(xml2);

		ck_assert_str_eq(a, b);
		ck_assert_ptr_nonnull(strstr(a, "reconnect #1 [3]\n"));
		g_free(a);
		g_free(b);
	}
	unlink(xml);
	unlink(xml2);
	g_free(xml);
	g_free(xml2);
}
END_TEST

START_TEST(the_schema_refuses_what_ci_would_not_read)
{
	char *text, *bad = in_dir("bad.xml");
	char **parts;
	char *spoiled;

	/* without classname, a test case has no place in Jenkins' tree */
	ck_assert(g_file_get_contents(seed_xml, &text, NULL, NULL));
	parts = g_strsplit(text, " classname=\"bond-survives-reboot\"", 2);
	spoiled = g_strjoinv("", parts);
	ck_assert(g_file_set_contents(bad, spoiled, -1, NULL));
	xsd_valid(bad, false);
	unlink(bad);
	g_strfreev(parts);
	g_free(spoiled);
	g_free(text);
	g_free(bad);
}
END_TEST

static char *gen_big(const char *name, unsigned cycles, unsigned fail)
{
	char *p = in_dir(name);
	FILE *f = fopen(p, "w");
	struct genlog_opts o;

	ck_assert_ptr_nonnull(f);
	genlog_opts_init(&o);
	o.cycles = cycles;
	o.fail_cycle = fail;
	genlog_write(f, &o);
	fclose(f);
	return p;
}

START_TEST(a_long_soak_log_compares_and_reports)
{
	struct genlog_opts o;
	unsigned cycles;
	char *a, *b;
	struct proc_result r;

	genlog_opts_init(&o);
	cycles = genlog_cycles_for(&o, 100000);
	a = gen_big("soak-a.jsonl", cycles, 0);
	b = gen_big("soak-b.jsonl", cycles, cycles);
	bc((const char *[]){ "compare", a, b, NULL }, &r);
	ck_assert_msg(r.status == 1, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "REGRESSED: 1 regression"));
	ck_assert_ptr_nonnull(strstr(r.out, "1 not run in NEW"));
	test_result_clear(&r);
	bc((const char *[]){ "report", a, NULL }, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "reconnect latency over"));
	ck_assert_ptr_nonnull(strstr(r.out, "min 40 ms, median"));
	ck_assert_ptr_nonnull(strstr(r.out, "max 89 ms"));
	test_result_clear(&r);
	unlink(a);
	unlink(b);
	g_free(a);
	g_free(b);
}
END_TEST

Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("sim-logs");
	TCase *gen = tcase_create("generated");

	tcase_add_unchecked_fixture(tc, make_logs, remove_logs);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, the_seed_bug_is_one_regression_with_its_divergence);
	tcase_add_test(tc, the_reverse_is_a_fix);
	tcase_add_test(tc, healthy_against_healthy_has_nothing_to_say);
	tcase_add_test(tc, a_slow_boot_is_a_timing_change);
	tcase_add_test(tc, a_changed_scenario_is_said);
	tcase_add_test(tc, a_killed_run_compares_as_incomplete);
	tcase_add_loop_test(tc, a_bad_log_exits_2_naming_file_and_line, 0,
		G_N_ELEMENTS(spoils));
	tcase_add_loop_test(tc, usage_errors_exit_2, 0, G_N_ELEMENTS(usage));
	tcase_add_test(tc, run_junit_is_valid_and_counts_right);
	tcase_add_test(tc, report_writes_the_same_junit_from_the_log);
	tcase_add_test(tc, the_schema_refuses_what_ci_would_not_read);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(gen, make_dir, remove_logs);
	tcase_set_timeout(gen, 120);
	tcase_add_test(gen, a_long_soak_log_compares_and_reports);
	suite_add_tcase(s, gen);
	return s;
}
