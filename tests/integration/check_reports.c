/* SPDX-License-Identifier: MIT */
/*
 * check_reports.c — compare, report and JUnit end to end, on logs of real
 * simulator runs: a healthy build against the seed bug (one regression) and
 * back (a fix), healthy against healthy (nothing), against a slow boot (a
 * timing change), against a changed scenario; bad logs of every kind; the
 * JUnit XML read by an XML parser and checked against tests/junit/junit.xsd;
 * generated soak logs far longer than any simulated run; and the HTML
 * reports as headless Chromium renders them (tests/html/dom_summary.py
 * says what it made of them), hostile logs included.
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
	ck_assert_msg(json_parser_load_from_data(*p, text, -1, NULL), "%s",
		text);
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
						    "regressions"),
		0);
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(reg, "new"),
				 "verdict"),
		"peer-removed-pairing");
	div = json_object_get_object_member(reg, "divergence");
	ck_assert_ptr_nonnull(strstr(
		json_array_get_string_element(json_object_get_array_member(div,
						      "new"),
			0),
		"ltk-request"));
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(o, "new"),
				 "label"),
		"1.23");
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

	bc((const char *[]){ "compare", "--json", healthy, healthy2, NULL },
		&r);
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

	bc((const char *[]){ "compare", "--fail-on-slower", healthy, slow,
		   NULL },
		&r);
	ck_assert_int_eq(r.status, 1);
	test_result_clear(&r);

	/* raise the bar past a 1.5 s slower boot: nothing to flag */
	bc((const char *[]){ "compare", "--json", "--min-slowdown", "10s",
		   healthy, slow, NULL },
		&r);
	ck_assert_int_eq(r.status, 0);
	o = parse(r.out, &p);
	steps = json_object_get_array_member(json_object_get_object_member(o,
						     "timing"),
		"steps");
	for (guint i = 0; i < json_array_get_length(steps); i++) {
		JsonObject *s = json_array_get_object_element(steps, i);

		ck_assert(!json_object_get_boolean_member(s, "slower"));
		if (!strcmp(json_object_get_string_member(s, "name"),
			    "reboot")) {
			found = true;
			ck_assert_int_eq(json_object_get_int_member(
						 json_object_get_object_member(s,
							 "new"),
						 "n"),
				3);
			ck_assert_int_ge(json_object_get_int_member(
						 json_object_get_object_member(s,
							 "new"),
						 "median_ms"),
				1500);
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
enum spoil { GARBAGE_LINE, TRUNCATED, FOREIGN, NOT_JSON, FUTURE_SCHEMA, DEEP };

static const struct {
	enum spoil how;
	const char *where;
	const char *words;
} spoils[] = {
	{ GARBAGE_LINE, ":5:", "" },
	{ TRUNCATED, ":", "the line is cut short" },
	{ FOREIGN, ":1:1:", "not a bondcheck run log" },
	{ NOT_JSON, ":1:", "not a bondcheck run log?" },
	{ FUTURE_SCHEMA,
		":1:", "log schema 2 is not one this bondcheck reads" },
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
			g_string_append_printf(s, "%s\n",
				i == 4 ? "{\"type\":\"bluez\",\"t\":12,,}" :
					 lines[i]);
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
							"\"t\":12,\"x\":",
				100000, "}\n");

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
		ck_assert_msg(strstr(r.err, want) &&
				      strstr(r.err, spoils[_i].words),
			"case %zu: '%s' lacks '%s' / '%s'", i, r.err, want,
			spoils[_i].words);
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
	const char *argv[] = { "/usr/bin/xmllint", "--noout", "--schema", xsd,
		xml, NULL };
	struct proc_result r;

	test_run(argv, NULL, 30000, &r);
	ck_assert_msg((r.status == 0) == valid, "%s: exit %d\n%s", xml,
		r.status, r.err);
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
	ck_assert_ptr_nonnull(strstr(r.out,
		"FAILED: peer-removed-pairing at "));
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

/* ---- HTML reports, as a browser renders them ---- */

/* tests/html/dom_summary.py's account of the HTML (or DOM) in @file */
static JsonObject *dom_of(const char *file, JsonParser **p)
{
	char *script = test_path("tests/html/dom_summary.py");
	const char *py[] = { "/usr/bin/python3", script, file, NULL };
	struct proc_result r;
	JsonObject *o;

	test_run(py, NULL, 60000, &r);
	ck_assert_msg(r.status == 0, "%s", r.err);
	*p = json_parser_new();
	ck_assert(json_parser_load_from_data(*p, r.out, -1, NULL));
	o = json_node_get_object(json_parser_get_root(*p));
	test_result_clear(&r);
	g_free(script);
	return o;
}

/*
 * What headless Chromium made of @html, through tests/html/dom_summary.py.
 * Without a Chromium that starts, the file itself is read the same way
 * (the escaping is still checked) and the test says loudly that it did
 * not render.
 */
static JsonObject *rendered(const char *html, JsonParser **p)
{
	char *chromium = g_find_program_in_path("chromium");
	char *dom = g_strconcat(html, ".dom", NULL);
	char *profile = g_strconcat(html, ".profile", NULL);
	char *uri = g_filename_to_uri(html, NULL, NULL);
	char *flag = g_strconcat("--user-data-dir=", profile, NULL);
	const char *version[] = { chromium, "--version", NULL };
	const char *render[] = { chromium, "--headless", "--no-sandbox",
		"--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", flag, "--dump-dom", uri, NULL };
	const char *rm[] = { "/bin/rm", "-rf", profile, NULL };
	struct proc_result r = { 0 };
	JsonObject *o;

	if (chromium)
		test_run(version, NULL, 60000, &r);
	if (!chromium || r.status != 0) {
		fprintf(stderr,
			"reports: SKIPPED rendering %s: chromium %s; "
			"the file is checked as written\n",
			html, chromium ? "does not start" : "is not installed");
		test_result_clear(&r);
		g_free(dom);
		dom = g_strdup(html);
	} else {
		test_result_clear(&r);
		test_run(render, NULL, 180000, &r);
		ck_assert_msg(r.status == 0 && r.out &&
				      strstr(r.out, "</html>"),
			"chromium: exit %d\n%s", r.status, r.err);
		ck_assert(g_file_set_contents(dom, r.out, -1, NULL));
		test_result_clear(&r);
		test_run(rm, NULL, 60000, &r);
		test_result_clear(&r);
	}
	o = dom_of(dom, p);
	if (strcmp(dom, html))
		unlink(dom);
	g_free(chromium);
	g_free(dom);
	g_free(profile);
	g_free(uri);
	g_free(flag);
	return o;
}

static gint64 dom_count(JsonObject *dom, const char *what)
{
	JsonObject *c = json_object_get_object_member(dom, "classes");

	return json_object_get_int_member_with_default(c, what, 0);
}

static const char *dom_text(JsonObject *dom, const char *id)
{
	JsonObject *ids = json_object_get_object_member(dom, "ids");

	ck_assert_msg(json_object_has_member(ids, id), "no #%s", id);
	return json_object_get_string_member(ids, id);
}

/* nothing that runs, fetches or leaves the file */
static void dom_inert(JsonObject *dom)
{
	const char *keys[] = { "active", "event_attrs", "external" };

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		ck_assert_msg(
			json_array_get_length(json_object_get_array_member(dom,
				keys[i])) == 0,
			"%s is not empty", keys[i]);
}

static void dom_has(JsonObject *dom, const char *id, const char *words)
{
	const char *t = dom_text(dom, id);

	ck_assert_msg(strstr(t, words), "#%s: '%s' has no '%s'", id, t, words);
}

/* passing reconnects in @log */
static unsigned reconnects(const char *log)
{
	char *text, **lines;
	unsigned n = 0;

	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		n += strstr(*l, "\"type\":\"step-end\"") &&
		     strstr(*l, "\"name\":\"reconnect\"") &&
		     strstr(*l, "\"result\":\"pass\"");
	g_strfreev(lines);
	g_free(text);
	return n;
}

START_TEST(report_html_shows_the_steps_the_failure_and_its_evidence)
{
	char *html = in_dir("seed.html");
	struct proc_result r;
	JsonParser *p;
	JsonObject *dom;

	bc((const char *[]){ "report", seed, "--html", html, NULL }, &r);
	ck_assert_msg(r.status == 1, "%d\n%s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "HTML: "));
	test_result_clear(&r);
	dom = rendered(html, &p);
	dom_inert(dom);
	ck_assert_str_eq(dom_text(dom, "status"), "FAILED");
	dom_has(dom, "title", "Bond survives reboot (1.23)");
	dom_has(dom, "run-label", "1.23");
	dom_has(dom, "run-simulator", "key-lookup-mismatch");
	/* every step of the plan has its row: those after the failure too */
	ck_assert_int_eq(dom_count(dom, "tr.step.fail"), 1);
	ck_assert_int_eq(dom_count(dom, "tr.step.pass"), 4);
	ck_assert_int_eq(dom_count(dom, "tr.step.not-run"), 8);
	/* the failure with its verdict and its evidence */
	ck_assert_int_eq(dom_count(dom, "section.failure"), 1);
	dom_has(dom, "failure-1", "peer-removed-pairing");
	/* (how the link ends is the simulator's draw: Connect fails, or
	 * succeeds and the link drops) */
	dom_has(dom, "failure-1", "timeline:");
	dom_has(dom, "failure-1", "Connected=false");
	dom_has(dom, "failure-1", "\"result\":\"key-missing\"");
	/* its reconnect on the chart, marked failed */
	ck_assert_int_eq(dom_count(dom, "g.point.failed"), 1);
	g_object_unref(p);
	g_free(html);
}
END_TEST

START_TEST(report_html_charts_latency_across_cycles)
{
	char *scn = test_path("scenarios/soak-reboot.scn");
	char *log = in_dir("soak.jsonl");
	char *html = in_dir("soak.html");
	const char *args[] = { "run", "--time-scale", "0.05", "--sim", "--set",
		"CYCLES=6", "--log", log, "--label", "soak", scn, NULL };
	struct proc_result r;
	JsonParser *p;
	JsonObject *dom;
	char *want;
	unsigned n;

	bc(args, &r);
	ck_assert_msg(r.status == 0, "%d\n%s", r.status, r.err);
	test_result_clear(&r);
	n = reconnects(log);
	ck_assert_uint_eq(n, 6);
	bc((const char *[]){ "report", log, "--html", html, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s", r.status, r.err);
	test_result_clear(&r);
	dom = rendered(html, &p);
	dom_inert(dom);
	ck_assert_str_eq(dom_text(dom, "status"), "PASSED");
	ck_assert_int_eq(dom_count(dom, "circle.point"), n);
	ck_assert_int_eq(dom_count(dom, "polyline.latency"), 1);
	ck_assert_int_eq(dom_count(dom, "g.point.failed"), 0);
	want = g_strdup_printf("%u reconnects passed: min ", n);
	dom_has(dom, "latency-summary", want);
	g_free(want);
	ck_assert_int_eq(dom_count(dom, "tr.step.pass"), 2 + 3 * 6 + 1);
	g_object_unref(p);
	g_free(scn);
	g_free(log);
	g_free(html);
}
END_TEST

START_TEST(compare_html_puts_the_builds_side_by_side)
{
	char *html = in_dir("compare.html");
	struct proc_result r;
	JsonParser *p;
	JsonObject *dom, *rows;
	JsonArray *div, *cells;

	bc((const char *[]){ "compare", healthy, seed, "--html", html, NULL },
		&r);
	ck_assert_msg(r.status == 1, "%d\n%s", r.status, r.err);
	test_result_clear(&r);
	dom = rendered(html, &p);
	dom_inert(dom);
	ck_assert_str_eq(dom_text(dom, "status"), "REGRESSED");
	dom_has(dom, "side-base", "1.22");
	dom_has(dom, "side-base", "passed 13/13");
	dom_has(dom, "side-new", "1.23");
	dom_has(dom, "side-new", "peer-removed-pairing");
	ck_assert_int_eq(dom_count(dom, "section.regression"), 1);
	dom_has(dom, "regressions-1", "timeline:");
	dom_has(dom, "regressions-1", "\"result\":\"key-missing\"");
	/* the first divergence: the LTK found in BASE, not in NEW */
	rows = json_object_get_object_member(dom, "rows");
	div = json_object_get_array_member(rows, "divergence");
	ck_assert_uint_eq(json_array_get_length(div), 1);
	cells = json_array_get_array_element(div, 0);
	ck_assert_str_eq(json_array_get_string_element(cells, 0), ">");
	ck_assert_ptr_nonnull(strstr(json_array_get_string_element(cells, 1),
		"ltk-request"));
	ck_assert_ptr_nonnull(strstr(json_array_get_string_element(cells, 1),
		"found=true"));
	ck_assert_ptr_nonnull(strstr(json_array_get_string_element(cells, 2),
		"found=false"));
	dom_has(dom, "not-run-in-new", "8 not run in NEW");
	g_object_unref(p);
	g_free(html);
}
END_TEST

/* --html FILE that cannot be: a directory is bad input (2), a place that
 * cannot be written is the environment's (3). */
START_TEST(an_html_report_that_cannot_be_written_says_why)
{
	char *nowhere = in_dir("no/such/dir/r.html");
	const char *report[] = { "report", healthy, "--html", NULL, NULL };
	const char *cmp[] = { "compare", healthy, seed, "--html", NULL, NULL };
	struct proc_result r;

	for (int i = 0; i < 2; i++) {
		const char **args = i ? cmp : report;
		int at = i ? 4 : 3;

		args[at] = dir;
		bc(args, &r);
		ck_assert_msg(r.status == 2, "%d: exit %d\n%s", i, r.status,
			r.err);
		ck_assert_ptr_nonnull(strstr(r.err, "is a directory"));
		test_result_clear(&r);
		args[at] = nowhere;
		bc(args, &r);
		ck_assert_msg(r.status == 3, "%d: exit %d\n%s", i, r.status,
			r.err);
		ck_assert_ptr_nonnull(strstr(r.err,
			"cannot write the HTML report"));
		ck_assert_ptr_nonnull(strstr(r.err, nowhere));
		test_result_clear(&r);
	}
	g_free(nowhere);
}
END_TEST

/* @log with hostile strings where a log carries text */
static char *hostile_log(const char *log)
{
	char *text, **lines, *out = in_dir("hostile.jsonl");
	GString *s = g_string_new("");

	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l && **l; l++) {
		JsonParser *jp = json_parser_new();
		JsonObject *o;
		const char *type;
		char *line;

		ck_assert(json_parser_load_from_data(jp, *l, -1, NULL));
		o = json_node_get_object(json_parser_get_root(jp));
		type = json_object_get_string_member(o, "type");
		if (!strcmp(type, "run-start")) {
			json_object_set_string_member(o, "label",
				"</title><script>alert(1)</script>");
			json_object_set_string_member(
				json_object_get_object_member(o, "scenario"),
				"name", "\"><img src=x onerror=alert(2)>\x01");
			json_object_set_string_member(o, "kernel",
				"<iframe src=\"http://evil.example/\"></iframe>");
		} else if (!strcmp(type, "step-end") &&
			   !strcmp(json_object_get_string_member(o, "result"),
				   "fail")) {
			JsonObject *ev = json_object_get_object_member(o,
				"evidence");
			JsonArray *tl = json_object_get_array_member(ev,
				"timeline");

			json_object_set_string_member(o, "message",
				"</pre><svg onload=alert(3)>");
			json_array_add_string_element(tl,
				"<a href=\"http://evil.example/\">x</a>"
				"<link rel=stylesheet href=//evil.example/c>");
		}
		line = json_to_string(json_parser_get_root(jp), FALSE);
		g_string_append_printf(s, "%s\n", line);
		g_free(line);
		g_object_unref(jp);
	}
	ck_assert(g_file_set_contents(out, s->str, -1, NULL));
	g_string_free(s, TRUE);
	g_strfreev(lines);
	g_free(text);
	return out;
}

START_TEST(a_hostile_log_injects_no_markup)
{
	char *bad = hostile_log(seed);
	char *html = in_dir("hostile.html");
	char *chtml = in_dir("hostile-compare.html");
	struct proc_result r;
	JsonParser *p;
	JsonObject *dom;
	char *raw;

	bc((const char *[]){ "report", bad, "--html", html, NULL }, &r);
	ck_assert_msg(r.status == 1, "%d\n%s", r.status, r.err);
	test_result_clear(&r);
	ck_assert(g_file_get_contents(html, &raw, NULL, NULL));
	ck_assert_ptr_null(strstr(raw, "<script"));
	ck_assert_ptr_null(strstr(raw, "<img"));
	ck_assert_ptr_null(strstr(raw, "<iframe"));
	ck_assert(g_utf8_validate(raw, -1, NULL));
	g_free(raw);
	dom = rendered(html, &p);
	dom_inert(dom);
	/* ...and what it said is shown, as text */
	dom_has(dom, "title", "<img src=x onerror=alert(2)>");
	dom_has(dom, "run-label", "</title><script>alert(1)</script>");
	dom_has(dom, "run-kernel", "<iframe src=\"http://evil.example/\">");
	dom_has(dom, "failure-1", "</pre><svg onload=alert(3)>");
	dom_has(dom, "failure-1", "<a href=\"http://evil.example/\">x</a>");
	ck_assert_int_eq(dom_count(dom, "section.failure"), 1);
	g_object_unref(p);
	bc((const char *[]){ "compare", healthy, bad, "--html", chtml, NULL },
		&r);
	ck_assert_msg(r.status == 1, "%d\n%s", r.status, r.err);
	test_result_clear(&r);
	dom = rendered(chtml, &p);
	dom_inert(dom);
	dom_has(dom, "side-new", "</title><script>alert(1)</script>");
	dom_has(dom, "regressions-1", "</pre><svg onload=alert(3)>");
	g_object_unref(p);
	g_free(bad);
	g_free(html);
	g_free(chtml);
}
END_TEST

START_TEST(a_long_soak_report_stays_bounded)
{
	struct genlog_opts o;
	char *log, *html;
	struct proc_result r;
	JsonParser *p;
	JsonObject *dom;
	unsigned cycles;

	genlog_opts_init(&o);
	cycles = genlog_cycles_for(&o, 100000);
	ck_assert_uint_gt(cycles, 4000);
	log = gen_big("soak-html.jsonl", cycles, 0);
	html = in_dir("soak-big.html");
	bc((const char *[]){ "report", log, "--html", html, NULL }, &r);
	ck_assert_msg(r.status == 0, "%d\n%s", r.status, r.err);
	test_result_clear(&r);
	/* too big to render quickly: read as written */
	dom = dom_of(html, &p);
	dom_inert(dom);
	ck_assert_int_le(dom_count(dom, "circle.point"), 2000);
	ck_assert_int_gt(dom_count(dom, "circle.point"), 1000);
	dom_has(dom, "latency-summary", "drawn");
	ck_assert_int_eq(dom_count(dom, "tr.step.pass"), 10000);
	dom_has(dom, "unlisted", "more steps that did not fail");
	g_object_unref(p);
	unlink(log);
	g_free(log);
	g_free(html);
}
END_TEST

Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("sim-logs");
	TCase *gen = tcase_create("generated");

	tcase_add_unchecked_fixture(tc, make_logs, remove_logs);
	/* chromium renders in some seconds alone, far slower on a loaded
	 * machine */
	tcase_set_timeout(tc, 400);
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
	tcase_add_test(tc,
		report_html_shows_the_steps_the_failure_and_its_evidence);
	tcase_add_test(tc, report_html_charts_latency_across_cycles);
	tcase_add_test(tc, compare_html_puts_the_builds_side_by_side);
	tcase_add_test(tc, a_hostile_log_injects_no_markup);
	tcase_add_test(tc, an_html_report_that_cannot_be_written_says_why);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(gen, make_dir, remove_logs);
	tcase_set_timeout(gen, 120);
	tcase_add_test(gen, a_long_soak_log_compares_and_reports);
	tcase_add_test(gen, a_long_soak_report_stays_bounded);
	suite_add_tcase(s, gen);
	return s;
}
