/* SPDX-License-Identifier: MIT */
/*
 * check_report.c — the run summary: exact figures over many values, verdict
 * counts, failures with their line and evidence, soak latency, the JUnit
 * cases a log turns into, and a log that ends early.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/engine.h"
#include "bondcheck/evlog.h"
#include "bondcheck/junit.h"
#include "bondcheck/logread.h"
#include "bondcheck/report.h"
#include "helpers/genlog.h"
#include "suites.h"

static const struct {
	gint64 values[8];
	int n;
	gint64 min, median, max;
} stats[] = {
	{ { 0 }, 0, 0, 0, 0 },
	{ { 7 }, 1, 7, 7, 7 },
	{ { 5, 1 }, 2, 1, 1, 5 }, /* the lower median */
	{ { 3, 1, 2 }, 3, 1, 2, 3 },
	{ { 9, 9, 9, 1 }, 4, 1, 9, 9 },
	{ { 100, 4, 4, 4, 100, 100, 100 }, 7, 4, 100, 100 },
	{ { -5, 0, 5 }, 3, -5, 0, 5 },
};

START_TEST(figures_are_exact)
{
	struct msstats *s = msstats_new();

	for (int i = 0; i < stats[_i].n; i++)
		msstats_add(s, stats[_i].values[i]);
	ck_assert_uint_eq(msstats_count(s), (guint64)stats[_i].n);
	ck_assert_int_eq(msstats_min(s), stats[_i].min);
	ck_assert_int_eq(msstats_median(s), stats[_i].median);
	ck_assert_int_eq(msstats_max(s), stats[_i].max);
	msstats_free(s);
}
END_TEST

START_TEST(a_million_values_of_few_kinds_stay_small)
{
	struct msstats *s = msstats_new();

	for (int i = 0; i < 1000000; i++)
		msstats_add(s, i % 100);
	ck_assert_uint_eq(msstats_count(s), 1000000);
	ck_assert_int_eq(msstats_median(s), 49);
	ck_assert_int_eq(msstats_max(s), 99);
	msstats_free(s);
}
END_TEST

static void sink_to_report(const char *line, JsonNode *event, void *data)
{
	(void)line;
	report_event(data, json_node_get_object(event));
}

static char *gen_at(unsigned cycles, unsigned fail_cycle, unsigned offset)
{
	char *p = g_strdup("/tmp/bc-report-XXXXXX");
	int fd = g_mkstemp(p);
	FILE *f = fdopen(fd, "w");
	struct genlog_opts o;

	genlog_opts_init(&o);
	o.cycles = cycles;
	o.fail_cycle = fail_cycle;
	o.line_offset = offset;
	genlog_write(f, &o);
	fclose(f);
	return p;
}

static char *gen(unsigned cycles, unsigned fail_cycle)
{
	return gen_at(cycles, fail_cycle, 0);
}

/*
 * Feed a whole log to a report, skimmed (as bondcheck report reads) or
 * every event parsed; the text it prints.
 */
static char *report_read(const char *log, const char *junit, int *status,
	bool skim)
{
	struct logread *lr = logread_open(log, NULL);
	struct report *r = report_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (junit)
		ck_assert(report_junit(r, junit, log, NULL));
	logread_set_skim(lr, skim);
	while (logread_next(lr, NULL, NULL) > 0)
		report_add(r, logread_event(lr));
	ck_assert(report_finish(r, NULL));
	report_print(r, f, false,
		REPORT_RUN | REPORT_OUTCOME | REPORT_COUNTS | REPORT_LATENCY);
	fclose(f);
	*status = report_exit_status(r);
	report_free(r);
	logread_free(lr);
	return buf;
}

static char *report_text(const char *log, const char *junit, int *status)
{
	return report_read(log, junit, status, false);
}

START_TEST(a_passing_soak_reports_counts_and_latency)
{
	char *log = gen(10, 0);
	int status;
	char *text = report_text(log, NULL, &status);

	ck_assert_int_eq(status, 0);
	ck_assert_msg(strstr(text, "PASSED: 32 of 32 steps"), "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "verdicts: pass 32\n"));
	/* reconnects took 41..50 ms */
	ck_assert_msg(strstr(text, "reconnect latency over 10 cycles: min 41 "
				   "ms, median 45 ms, max 50 ms"),
		"%s", text);
	ck_assert_ptr_nonnull(strstr(text, "label gen, device "
					   "C0:FF:EE:00:13:42"));
	free(text);
	unlink(log);
	g_free(log);
}
END_TEST

START_TEST(a_failure_is_reported_with_line_and_evidence)
{
	char *log = gen(10, 4);
	char *xml = g_strconcat(log, ".xml", NULL);
	int status;
	char *text = report_text(log, xml, &status), *x;

	ck_assert_int_eq(status, 1);
	ck_assert_msg(strstr(text,
			      "FAILED: peer-removed-pairing at gen.scn:10"),
		"%s", text);
	ck_assert_ptr_nonnull(strstr(text, "reason:   "
					   "org.bluez.Reason.Authentication"));
	ck_assert_ptr_nonnull(strstr(text, "an iPhone says"));
	ck_assert_msg(strstr(text, "verdicts: pass 12, peer-removed-pairing 1; "
				   "19 steps not run"),
		"%s", text);
	ck_assert(g_file_get_contents(xml, &x, NULL, NULL));
	/* 13 steps ran; the 19 that did not are skipped cases of their own:
	 * the test cases of a passing run */
	ck_assert_msg(strstr(x, "tests=\"32\" failures=\"1\" errors=\"0\" "
				"skipped=\"19\""),
		"%s", x);
	ck_assert_ptr_nonnull(strstr(x, "<testcase name=\"reconnect #1 [4]\" "
					"classname=\"gen\" time=\"15.000\">\n"
					"      <properties>\n        <property "
					"name=\"line\" value=\"10\"/>"));
	ck_assert_ptr_nonnull(strstr(x,
		"<testcase name=\"read #1 [4]\" "
		"classname=\"gen\" time=\"0.000\">\n"
		"      <properties>\n        <property "
		"name=\"line\" value=\"11\"/>\n      "
		"</properties>\n      <skipped message="
		"\"not run: the run stopped before this "
		"step\"/>"));
	ck_assert_ptr_nonnull(strstr(x,
		"<testcase name=\"reconnect #1 [10]\""));
	ck_assert_ptr_nonnull(strstr(x, "<testsuite name=\"Generated soak "
					"(gen)\""));
	ck_assert_ptr_nonnull(strstr(x, "type=\"peer-removed-pairing\""));
	ck_assert_ptr_nonnull(strstr(x, "at gen.scn:10"));
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"label\" "
					"value=\"gen\"/>"));
	g_free(x);
	free(text);
	unlink(xml);
	unlink(log);
	g_free(xml);
	g_free(log);
}
END_TEST

START_TEST(a_log_reports_the_same_skimmed_or_not)
{
	char *log = gen(6, _i ? 3 : 0);
	char *xml[2], *x[2], *text[2];
	int status[2];

	for (int skim = 0; skim < 2; skim++) {
		xml[skim] = g_strdup_printf("%s.%d.xml", log, skim);
		text[skim] = report_read(log, xml[skim], &status[skim], skim);
		ck_assert(g_file_get_contents(xml[skim], &x[skim], NULL, NULL));
	}
	ck_assert_int_eq(status[0], _i ? 1 : 0);
	ck_assert_int_eq(status[1], status[0]);
	ck_assert_str_eq(text[1], text[0]);
	ck_assert_str_eq(x[1], x[0]);
	for (int skim = 0; skim < 2; skim++) {
		unlink(xml[skim]);
		g_free(xml[skim]);
		g_free(x[skim]);
		free(text[skim]);
	}
	unlink(log);
	g_free(log);
}
END_TEST

/* A run of two centrals (tests/logs/): each step says whose it is. */
START_TEST(several_centrals_are_named_in_the_report_and_junit)
{
	char *log = g_build_filename(getenv("BONDCHECK_SRCDIR") ?
					     getenv("BONDCHECK_SRCDIR") :
					     ".",
		"tests", "logs", "two-centrals-fail.jsonl", NULL);
	char *xml = g_strdup("/tmp/bc-report-XXXXXX");
	int fd = g_mkstemp(xml), status;
	char *text, *x;

	close(fd);
	text = report_read(log, xml, &status, _i);
	ck_assert_int_eq(status, 1);
	ck_assert_msg(strstr(text, "  centrals A (hci0 00:B0:DC:00:00:01), B "
				   "(hci1 00:B0:DC:00:00:02)\n"),
		"%s", text);
	ck_assert_msg(strstr(text, "(reconnect as B): the link dropped"), "%s",
		text);
	ck_assert_ptr_nonnull(strstr(text, "bonds:    B, A, in the order they "
					   "bonded (1 after this central)"));
	ck_assert_ptr_nonnull(strstr(text, "DUT said: {\"event\":"
					   "\"bond-evicted\""));
	ck_assert(g_file_get_contents(xml, &x, NULL, NULL));
	/* a testcase per central and step */
	ck_assert_msg(strstr(x, "<testcase name=\"A: pair #1\""), "%s", x);
	ck_assert_ptr_nonnull(strstr(x, "<testcase name=\"B: reconnect #1\""));
	g_free(x);
	free(text);
	unlink(xml);
	g_free(xml);
	g_free(log);
}
END_TEST

START_TEST(a_log_cut_inside_a_step_is_incomplete)
{
	char *p = g_strdup("/tmp/bc-report-XXXXXX");
	int fd = g_mkstemp(p);
	FILE *f = fdopen(fd, "w");
	char *xml = g_strconcat(p, ".xml", NULL), *x;
	int status;
	char *text;

	fputs("{\"type\":\"run-start\",\"t\":0,\"schema\":1,\"tool\":"
	      "\"bondcheck\",\"scenario\":{\"name\":\"S\",\"file\":\"s.scn\","
	      "\"sha256\":\"ab\",\"steps\":3}}\n"
	      "{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3,"
	      "\"iteration\":[],\"name\":\"scan\"}\n",
		f);
	fclose(f);
	text = report_text(p, xml, &status);
	ck_assert_int_eq(status, 1);
	ck_assert_msg(strstr(text, "INCOMPLETE: the log ends without run-end "
				   "after 0 steps"),
		"%s", text);
	ck_assert_ptr_nonnull(strstr(text, "it ends inside line 3 (scan)"));
	ck_assert_ptr_nonnull(strstr(text, "2 steps not run"));
	ck_assert(g_file_get_contents(xml, &x, NULL, NULL));
	ck_assert_msg(strstr(x, "tests=\"2\" failures=\"0\" errors=\"1\" "
				"skipped=\"1\""),
		"%s", x);
	ck_assert_ptr_nonnull(strstr(x, "classname=\"s\""));
	g_free(x);
	free(text);
	unlink(xml);
	unlink(p);
	g_free(xml);
	g_free(p);
}
END_TEST

START_TEST(failures_beyond_the_limit_are_counted_not_kept)
{
	struct report *r = report_new();
	JsonParser *p = json_parser_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (int i = 0; i < REPORT_MAX_FAILURES + 5; i++) {
		char *line = g_strdup_printf(
			"{\"type\":\"step-end\",\"t\":1,"
			"\"index\":%d,\"line\":%d,\"iteration\":[],\"name\":"
			"\"read\",\"result\":\"fail\",\"verdict\":\"gatt-error\","
			"\"elapsed_ms\":1,\"message\":\"m%d\"}",
			i, i, i);

		ck_assert(json_parser_load_from_data(p, line, -1, NULL));
		report_event(r, json_node_get_object(json_parser_get_root(p)));
		g_free(line);
	}
	report_print(r, f, false, REPORT_OUTCOME | REPORT_COUNTS);
	fclose(f);
	ck_assert_msg(strstr(buf, "... and 5 more failures"), "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "gatt-error 25"));
	ck_assert_ptr_nonnull(strstr(buf, "m19"));
	ck_assert_ptr_null(strstr(buf, "m20"));
	free(buf);
	g_object_unref(p);
	report_free(r);
}
END_TEST

/* Each <testcase ...> start tag of @xml, without its line property. */
static char *case_tags(const char *xml)
{
	GString *s = g_string_new("");

	for (const char *p = strstr(xml, "<testcase "); p;
		p = strstr(p + 1, "<testcase ")) {
		const char *end = strchr(p, '>');

		g_string_append_len(s, p, end - p);
		g_string_append_c(s, '\n');
	}
	return g_string_free(s, FALSE);
}

/* A line inserted above every step: the same test cases, other lines. */
START_TEST(test_case_names_survive_an_inserted_line)
{
	char *log[2] = { gen_at(5, 3, 0), gen_at(5, 3, 1) };
	char *x[2], *tags[2];

	for (int i = 0; i < 2; i++) {
		char *xml = g_strconcat(log[i], ".xml", NULL);
		int status;

		free(report_text(log[i], xml, &status));
		ck_assert(g_file_get_contents(xml, &x[i], NULL, NULL));
		tags[i] = case_tags(x[i]);
		unlink(xml);
		unlink(log[i]);
		g_free(xml);
		g_free(log[i]);
	}
	ck_assert_str_eq(tags[0], tags[1]);
	ck_assert_ptr_nonnull(strstr(tags[0], "name=\"reboot #1 [3]\""));
	ck_assert_ptr_nonnull(strstr(x[0], "value=\"9\""));
	ck_assert_ptr_nonnull(strstr(x[1], "value=\"10\""));
	for (int i = 0; i < 2; i++) {
		g_free(x[i]);
		g_free(tags[i]);
	}
}
END_TEST

/* Events a run that never started writes, fed as a log sink would. */
static void not_started(struct report *r, const char *scenario_text, int status,
	const char *why)
{
	struct evlog *log = evlog_new(NULL, NULL);
	struct engine_config cfg = { .device = "C0:FF:EE:00:13:42",
		.label = "1.2",
		.tool_version = "t" };
	struct scenario *scn = scenario_text ? scenario_parse(scenario_text,
						       strlen(scenario_text),
						       "ns.scn", NULL, NULL) :
	                                       NULL;

	evlog_add_sink(log, sink_to_report, r);
	engine_log_not_started(log, &cfg, scn, "dir/bad.scn", NULL, status,
		why);
	evlog_free(log);
	scenario_free(scn);
}

static const struct {
	const char *scenario; /* NULL: it did not parse */
	int status;
	const char *why;
	const char *has[4];
} never_started[] = {
	{ NULL, 2, "dir/bad.scn:3:1: unknown step 'sacn'",
		{ "tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\"",
			"<testsuite name=\"bad.scn (1.2)\"",
			"<testcase name=\"run\" classname=\"bad\"",
			"<error message=\"dir/bad.scn:3:1: unknown step &apos;sacn"
			"&apos;\" type=\"bad-input\">" } },
	{ "scenario \"S\"\nscan\nrepeat 2\n  reconnect\nend\n", 3,
		"cannot reach the system bus",
		{ "tests=\"4\" failures=\"0\" errors=\"1\" skipped=\"3\"",
			"<testsuite name=\"S (1.2)\"",
			"type=\"environment-error\">cannot reach the system bus&#10;"
			"the run did not start</error>",
			"<testcase name=\"reconnect #1 [2]\" classname=\"ns\"" } },
};

START_TEST(a_run_that_never_started_is_one_error)
{
	char *xml = g_strdup("/tmp/bc-report-XXXXXX");
	int fd = g_mkstemp(xml);
	struct report *r = report_new();
	char *x;

	close(fd);
	ck_assert(report_junit(r, xml, NULL, NULL));
	not_started(r, never_started[_i].scenario, never_started[_i].status,
		never_started[_i].why);
	ck_assert(report_finish(r, NULL));
	ck_assert_int_eq(report_exit_status(r), 1);
	ck_assert(g_file_get_contents(xml, &x, NULL, NULL));
	for (size_t k = 0; k < G_N_ELEMENTS(never_started[_i].has) &&
			   never_started[_i].has[k];
		k++)
		ck_assert_msg(strstr(x, never_started[_i].has[k]),
			"%s lacks %s", x, never_started[_i].has[k]);
	g_free(x);
	report_free(r);
	unlink(xml);
	g_free(xml);
}
END_TEST

/* Several runs, one JUnit file: a suite each, in order. */
START_TEST(several_runs_share_one_junit_file)
{
	char *xml = g_strdup("/tmp/bc-report-XXXXXX");
	int fd = g_mkstemp(xml);
	struct junit *j;
	char *x, *second;

	close(fd);
	j = junit_new(xml, NULL);
	for (int i = 0; i < 2; i++) {
		struct report *r = report_new();

		report_junit_into(r, j, NULL);
		not_started(r, "scenario \"S\"\nscan\n", 3, "no bus");
		ck_assert(report_finish(r, NULL));
		report_free(r);
	}
	ck_assert(junit_finish(j, NULL));
	junit_free(j);
	ck_assert(g_file_get_contents(xml, &x, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(x,
		"<testsuites name=\"bondcheck\" "
		"tests=\"4\" failures=\"0\" errors=\"2\" skipped=\"2\""));
	second = strstr(x, "<testsuite name=\"S (1.2) #2\"");
	ck_assert_ptr_nonnull(second);
	ck_assert_ptr_nonnull(strstr(second, "<testcase name=\"scan #1\""));
	g_free(x);
	unlink(xml);
	g_free(xml);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, figures_are_exact, 0, G_N_ELEMENTS(stats));
	tcase_add_test(tc, a_million_values_of_few_kinds_stay_small);
	tcase_add_test(tc, a_passing_soak_reports_counts_and_latency);
	tcase_add_test(tc, a_failure_is_reported_with_line_and_evidence);
	tcase_add_loop_test(tc, a_log_reports_the_same_skimmed_or_not, 0, 2);
	tcase_add_test(tc, a_log_cut_inside_a_step_is_incomplete);
	tcase_add_loop_test(tc,
		several_centrals_are_named_in_the_report_and_junit, 0, 2);
	tcase_add_test(tc, failures_beyond_the_limit_are_counted_not_kept);
	tcase_add_test(tc, test_case_names_survive_an_inserted_line);
	tcase_add_loop_test(tc, a_run_that_never_started_is_one_error, 0,
		G_N_ELEMENTS(never_started));
	tcase_add_test(tc, several_runs_share_one_junit_file);
	suite_add_tcase(s, tc);
	return s;
}
