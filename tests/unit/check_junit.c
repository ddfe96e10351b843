/* SPDX-License-Identifier: MIT */
/*
 * check_junit.c — the JUnit writer: escaping of whatever a log holds, the
 * totals, and that the report appears whole or not at all.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/junit.h"
#include "suites.h"

static const struct {
	const char *in;
	const char *out;
} escapes[] = {
	{ "plain", "plain" },
	{ "a<b>&\"c\"'d'", "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;" },
	{ "line\nnext\ttab\r", "line&#10;next&#9;tab&#13;" },
	{ "bell\x07 esc\x1b", "bell\xef\xbf\xbd esc\xef\xbf\xbd" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "bad \xff utf8", "bad \xef\xbf\xbd utf8" },
	{ "", "" },
	{ NULL, "" },
};

START_TEST(strings_are_escaped_into_valid_xml)
{
	char *s = junit_escape(escapes[_i].in);

	ck_assert_str_eq(s, escapes[_i].out);
	g_free(s);
}
END_TEST

static char *tmp_path(void)
{
	char *p = g_strdup("/tmp/bc-junit-XXXXXX");
	int fd = g_mkstemp(p);

	close(fd);
	unlink(p);
	return p;
}

START_TEST(totals_count_each_outcome)
{
	char *p = tmp_path();
	struct junit *j = junit_new(p, NULL);
	struct junit_case c[] = {
		{ "scan #1", "s", 5, JUNIT_PASSED, NULL, NULL, NULL, 0 },
		{ "pair #1", "s", 1234, JUNIT_FAILURE, "why <x>", "gatt-error",
			"evidence & more", 0 },
		{ "read #1", "s", 0, JUNIT_ERROR, "no adapter",
			"environment-error", "", 0 },
		{ "2 steps not run", "s", 0, JUNIT_SKIPPED, "stopped", NULL,
			NULL, 0 },
	};
	char *text;

	junit_begin_suite(j, "Suite \"one\"", "2026-11-23T12:00:00", "host");
	junit_add_property(j, "label", "1.2<3");
	junit_add_property(j, "empty", NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(c); i++)
		ck_assert(junit_add_case(j, &c[i], NULL));
	/* nothing at the final path until it is finished */
	ck_assert(access(p, F_OK) != 0);
	junit_end_suite(j, 61001);
	ck_assert(junit_finish(j, NULL));
	junit_free(j);
	ck_assert(g_file_get_contents(p, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text,
		"<testsuites name=\"bondcheck\" "
		"tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" "
		"time=\"61.001\">"));
	ck_assert_ptr_nonnull(strstr(text, "name=\"Suite &quot;one&quot;\""));
	ck_assert_ptr_nonnull(strstr(text, "<property name=\"label\" "
					   "value=\"1.2&lt;3\"/>"));
	ck_assert_ptr_nonnull(strstr(text, "<property name=\"empty\" "
					   "value=\"\"/>"));
	ck_assert_ptr_nonnull(strstr(text,
		"time=\"1.234\">\n      <failure "
		"message=\"why &lt;x&gt;\" type=\"gatt-error\">evidence &amp; "
		"more</failure>"));
	ck_assert_ptr_nonnull(strstr(text, "<error message=\"no adapter\""));
	ck_assert_ptr_nonnull(strstr(text, "<skipped message=\"stopped\"/>"));
	ck_assert_ptr_nonnull(strstr(text, "time=\"0.005\"/>"));
	g_free(text);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(an_unwritable_report_is_an_error_not_a_crash)
{
	struct junit *j = junit_new("/nonexistent-dir/r.xml", NULL);
	GError *err = NULL;

	ck_assert_ptr_nonnull(j);
	ck_assert(!junit_finish(j, &err));
	ck_assert_ptr_nonnull(strstr(err->message, "/nonexistent-dir/r.xml"));
	g_error_free(err);
	junit_free(j);
}
END_TEST

/* One file, several runs: a suite each, their own totals, unique names. */
START_TEST(several_suites_keep_their_cases_and_unique_names)
{
	char *p = tmp_path();
	struct junit *j = junit_new(p, NULL);
	struct junit_case pass = { "scan #1", "a", 5, JUNIT_PASSED, NULL, NULL,
		NULL, 12 };
	struct junit_case fail = { "reconnect #2 [1]", "a", 7, JUNIT_FAILURE,
		"m", "peer-removed-pairing", "e", 30 };
	char *text, *second;

	junit_begin_suite(j, "Bond (1.2)", "2026-11-23T12:00:00", "h");
	ck_assert_str_eq(junit_suite_name(j), "Bond (1.2)");
	ck_assert(junit_add_case(j, &pass, NULL));
	junit_end_suite(j, 1000);
	junit_begin_suite(j, "Bond (1.2)", "2026-11-23T12:00:01", "h");
	ck_assert_str_eq(junit_suite_name(j), "Bond (1.2) #2");
	ck_assert(junit_add_case(j, &pass, NULL));
	ck_assert(junit_add_case(j, &fail, NULL));
	/* finish ends the open suite */
	ck_assert(junit_finish(j, NULL));
	junit_free(j);
	ck_assert(g_file_get_contents(p, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text,
		"<testsuites name=\"bondcheck\" "
		"tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\" "
		"time=\"1.000\">"));
	ck_assert_ptr_nonnull(strstr(text,
		"<testsuite name=\"Bond (1.2)\" "
		"package=\"bondcheck\" id=\"0\" hostname=\"h\" timestamp="
		"\"2026-11-23T12:00:00\" tests=\"1\" failures=\"0\""));
	second = strstr(text,
		"<testsuite name=\"Bond (1.2) #2\" "
		"package=\"bondcheck\" id=\"1\" hostname=\"h\" timestamp="
		"\"2026-11-23T12:00:01\" tests=\"2\" failures=\"1\"");
	ck_assert_ptr_nonnull(second);
	/* each suite's cases inside it, the line as the case's property */
	ck_assert_ptr_nonnull(strstr(second,
		"<testcase name=\"reconnect #2 "
		"[1]\" classname=\"a\" time=\"0.007\">\n      <properties>\n"
		"        <property name=\"line\" value=\"30\"/>\n"
		"      </properties>\n      <failure"));
	ck_assert(strstr(text, "<testcase name=\"scan #1\"") < second);
	ck_assert_ptr_nonnull(strstr(second, "<testcase name=\"scan #1\""));
	g_free(text);
	unlink(p);
	g_free(p);
}
END_TEST

Suite *junit_suite(void)
{
	Suite *s = suite_create("junit");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, strings_are_escaped_into_valid_xml, 0,
		G_N_ELEMENTS(escapes));
	tcase_add_test(tc, totals_count_each_outcome);
	tcase_add_test(tc, an_unwritable_report_is_an_error_not_a_crash);
	tcase_add_test(tc, several_suites_keep_their_cases_and_unique_names);
	suite_add_tcase(s, tc);
	return s;
}
