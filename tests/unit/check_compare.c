/* SPDX-License-Identifier: MIT */
/*
 * check_compare.c — log comparison on generated soak logs: what counts as a
 * regression, a fix, a change, a step in one run only; the timing flag at
 * its edges; where two runs' events part; and the normal form of events.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/compare.h"
#include "helpers/genlog.h"
#include "suites.h"

static const struct {
	const char *event;
	const char *normal;
} norms[] = {
	{ "{\"type\":\"bluez\",\"t\":5,\"event\":\"call\",\"method\":\"Connect\","
	  "\"path\":\"/org/bluez/hci0/dev_C0_FF_EE_00_13_42\"}",
		"call Connect hci*/dev_<a1>" },
	{ "{\"type\":\"bluez\",\"t\":9,\"event\":\"reply\",\"method\":\"Connect\","
	  "\"path\":\"/org/bluez/hci12/dev_C0_FF_EE_00_13_42\",\"ok\":false,"
	  "\"error\":\"org.bluez.Error.Failed\",\"message\":\"le-connection-"
	  "abort-by-local\",\"ms\":4}",
		"reply Connect hci*/dev_<a1> org.bluez.Error.Failed: "
		"le-connection-abort-by-local" },
	{ "{\"type\":\"bluez\",\"t\":1,\"event\":\"reply\",\"method\":\"Pair\","
	  "\"path\":\"/org/bluez/hci0/dev_C0_FF_EE_00_13_42\",\"ok\":true,"
	  "\"ms\":40}",
		"reply Pair hci*/dev_<a1> ok" },
	{ "{\"type\":\"bluez\",\"t\":1,\"event\":\"property\",\"path\":"
	  "\"/org/bluez/hci1/dev_AA_BB_CC_DD_EE_FF/service000a/char000b\","
	  "\"iface\":\"org.bluez.GattCharacteristic1\",\"name\":\"Value\","
	  "\"value\":\"0102\"}",
		"hci*/dev_<a1>/service*/char* GattCharacteristic1.Value=0102" },
	{ "{\"type\":\"bluez\",\"t\":1,\"event\":\"added\",\"path\":"
	  "\"/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF\",\"iface\":"
	  "\"org.bluez.Device1\",\"value\":{\"RSSI\":-40}}",
		"added hci*/dev_<a1> Device1" },
	{ "{\"type\":\"bluez\",\"t\":1,\"event\":\"signal\",\"path\":"
	  "\"/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF\",\"iface\":"
	  "\"org.bluez.Device1\",\"name\":\"Disconnected\",\"value\":"
	  "[\"org.bluez.Reason.Authentication\",\"x\"]}",
		"signal hci*/dev_<a1> Device1.Disconnected "
		"[\"org.bluez.Reason.Authentication\",\"x\"]" },
	{ "{\"type\":\"sim\",\"t\":3,\"trace\":{\"event\":\"ltk-request\","
	  "\"t_us\":77,\"peer\":\"00:B0:DC:00:00:01\",\"looked_up\":"
	  "\"random/68:8a:7f:fb:25:48\",\"found\":false}}",
		"sim ltk-request peer=<a1> looked_up=random/<a2> found=false" },
	{ "{\"type\":\"agent\",\"t\":1,\"method\":\"RequestConfirmation\","
	  "\"device\":\"/org/bluez/hci0/dev_C0_FF_EE_00_13_42\",\"passkey\":"
	  "123456,\"accepted\":true}",
		"agent method=RequestConfirmation device=hci*/dev_<a1> "
		"passkey=* accepted=true" },
	{ "{\"type\":\"hci\",\"t\":1,\"event\":\"disconnect\",\"address\":"
	  "\"c0:ff:ee:00:13:42\",\"reason\":\"0x13\"}",
		"hci event=disconnect address=<a1> reason=0x13" },
	{ "{\"type\":\"note\",\"t\":1,\"text\":\"AA:BB:CC:DD:EE:FF0 is not "
	  "one\"}",
		"note text=AA:BB:CC:DD:EE:FF0 is not one" },
};

START_TEST(events_have_one_normal_form)
{
	GHashTable *addrs = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, g_free);
	JsonParser *p = json_parser_new();
	char *s;

	ck_assert(json_parser_load_from_data(p, norms[_i].event, -1, NULL));
	s = compare_normalise(json_node_get_object(json_parser_get_root(p)),
		addrs);
	ck_assert_str_eq(s, norms[_i].normal);
	g_free(s);
	g_object_unref(p);
	g_hash_table_destroy(addrs);
}
END_TEST

START_TEST(one_address_in_any_spelling_is_one_name)
{
	GHashTable *addrs = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, g_free);
	JsonParser *p = json_parser_new();
	const char *const events[] = {
		"{\"type\":\"x\",\"t\":0,\"a\":\"/org/bluez/hci0/dev_C0_FF_EE_00_13_42\"}",
		"{\"type\":\"x\",\"t\":0,\"a\":\"11:22:33:44:55:66\"}",
		"{\"type\":\"x\",\"t\":0,\"a\":\"c0:ff:ee:00:13:42\"}",
	};
	const char *const want[] = { "x a=hci*/dev_<a1>", "x a=<a2>",
		"x a=<a1>" };

	for (size_t i = 0; i < G_N_ELEMENTS(events); i++) {
		char *s;

		ck_assert(json_parser_load_from_data(p, events[i], -1, NULL));
		s = compare_normalise(
			json_node_get_object(json_parser_get_root(p)), addrs);
		ck_assert_str_eq(s, want[i]);
		g_free(s);
	}
	g_object_unref(p);
	g_hash_table_destroy(addrs);
}
END_TEST

static char *gen(const struct genlog_opts *o)
{
	char *p = g_strdup("/tmp/bc-compare-XXXXXX");
	int fd = g_mkstemp(p);
	FILE *f = fdopen(fd, "w");

	genlog_write(f, o);
	fclose(f);
	return p;
}

static char *gen_simple(unsigned cycles, unsigned fail_cycle)
{
	struct genlog_opts o;

	genlog_opts_init(&o);
	o.cycles = cycles;
	o.fail_cycle = fail_cycle;
	return gen(&o);
}

static JsonObject *as_json(struct compare *c, JsonNode **keep)
{
	*keep = compare_to_json(c);
	return json_node_get_object(*keep);
}

static gint64 count_of(JsonObject *o, const char *set)
{
	return json_object_get_int_member(json_object_get_object_member(o, set),
		"count");
}

static void drop(char *a, char *b)
{
	unlink(a);
	unlink(b);
	g_free(a);
	g_free(b);
}

START_TEST(the_same_run_twice_has_nothing_to_say)
{
	char *a = gen_simple(10, 0), *b = gen_simple(10, 0);
	struct compare *c = compare_logs(a, b, NULL, NULL);
	JsonNode *n;
	JsonObject *o;

	ck_assert_ptr_nonnull(c);
	ck_assert(!compare_regressed(c));
	ck_assert_uint_eq(compare_slower(c), 0);
	o = as_json(c, &n);
	ck_assert_int_eq(json_object_get_int_member(o, "passed_in_both"), 32);
	ck_assert_int_eq(json_object_get_int_member(o, "regressions_count"), 0);
	ck_assert_int_eq(json_object_get_int_member(o, "fixes_count"), 0);
	ck_assert(!json_object_get_boolean_member(o, "scenario_changed"));
	ck_assert_int_eq(count_of(o, "only_in_base") +
				 count_of(o, "only_in_new") +
				 count_of(o, "not_run_in_new"),
		0);
	json_node_unref(n);
	compare_free(c);
	drop(a, b);
}
END_TEST

START_TEST(a_step_that_passed_then_failed_is_a_regression)
{
	char *a = gen_simple(10, 0), *b = gen_simple(10, 4);
	struct compare *c = compare_logs(a, b, NULL, NULL);
	JsonNode *n;
	JsonObject *o, *reg, *div;
	JsonArray *it;

	ck_assert(compare_regressed(c));
	o = as_json(c, &n);
	ck_assert_int_eq(json_object_get_int_member(o, "regressions_count"), 1);
	reg = json_array_get_object_element(json_object_get_array_member(o,
						    "regressions"),
		0);
	ck_assert_int_eq(json_object_get_int_member(reg, "line"), 10);
	it = json_object_get_array_member(reg, "iteration");
	ck_assert_int_eq(json_array_get_length(it), 1);
	ck_assert_int_eq(json_array_get_int_element(it, 0), 4);
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(reg, "new"),
				 "verdict"),
		"peer-removed-pairing");
	/* the events part at the third: the DUT's key lookup */
	div = json_object_get_object_member(reg, "divergence");
	ck_assert_int_eq(json_object_get_int_member(div, "at"), 2);
	ck_assert_str_eq(json_array_get_string_element(
				 json_object_get_array_member(div, "base"), 0),
		"sim ltk-request peer=<a2> found=true");
	ck_assert_str_eq(json_array_get_string_element(
				 json_object_get_array_member(div, "new"), 0),
		"sim ltk-request peer=<a2> found=false");
	ck_assert_int_eq(json_array_get_length(json_object_get_array_member(div,
				 "context")),
		2);
	/* the rest of BASE never ran in NEW: not "in one run only" */
	ck_assert_int_eq(count_of(o, "not_run_in_new"), 19);
	ck_assert_int_eq(count_of(o, "only_in_base"), 0);
	ck_assert_int_eq(json_object_get_int_member(o, "passed_in_both"), 12);
	json_node_unref(n);
	compare_free(c);
	drop(a, b);
}
END_TEST

START_TEST(a_step_that_failed_then_passed_is_a_fix)
{
	char *a = gen_simple(10, 4), *b = gen_simple(10, 0);
	struct compare *c = compare_logs(a, b, NULL, NULL);
	JsonNode *n;
	JsonObject *o;

	ck_assert(!compare_regressed(c));
	o = as_json(c, &n);
	ck_assert_int_eq(json_object_get_int_member(o, "fixes_count"), 1);
	ck_assert_int_eq(count_of(o, "not_run_in_base"), 19);
	json_node_unref(n);
	compare_free(c);
	drop(a, b);
}
END_TEST

START_TEST(a_different_failure_is_a_verdict_change)
{
	char *a = gen_simple(10, 4), *b;
	char *text, *changed;
	struct compare *c;
	JsonNode *n;
	JsonObject *o;

	/* the same log with another verdict at the failing step */
	ck_assert(g_file_get_contents(a, &text, NULL, NULL));
	{
		char **parts = g_strsplit(text,
			"\"verdict\":\"peer-removed-"
			"pairing\"",
			-1);

		changed = g_strjoinv("\"verdict\":\"identity-changed\"", parts);
		g_strfreev(parts);
	}
	b = g_strconcat(a, ".b", NULL);
	ck_assert(g_file_set_contents(b, changed, -1, NULL));
	c = compare_logs(a, b, NULL, NULL);
	ck_assert(!compare_regressed(c));
	o = as_json(c, &n);
	ck_assert_int_eq(json_object_get_int_member(o, "verdict_changes_count"),
		1);
	ck_assert_int_eq(json_object_get_int_member(o, "failed_alike"), 0);
	json_node_unref(n);
	compare_free(c);
	g_free(text);
	g_free(changed);
	drop(a, b);
}
END_TEST

static const struct {
	unsigned base_ms, new_ms;
	double threshold;
	gint64 min_delta;
	bool flagged;
} timings[] = {
	{ 800, 1300, 1.5, 100, true },  /* x1.6, +500 */
	{ 800, 1100, 1.5, 100, false }, /* x1.4 */
	{ 800, 1100, 1.3, 100, true },
	{ 800, 1200, 1.5, 100, true }, /* exactly x1.5 */
	{ 50, 120, 1.5, 100, false },  /* x2.4 but only +70 ms */
	{ 50, 150, 1.5, 100, true },   /* +100 ms */
	{ 800, 1300, 1.5, 600, false },
	{ 1300, 800, 1.5, 100, false }, /* faster is never flagged */
};

START_TEST(a_slow_down_is_flagged_past_both_limits)
{
	struct genlog_opts oa, ob;
	char *a, *b;
	struct compare_options opt = { timings[_i].threshold,
		timings[_i].min_delta };
	struct compare *c;

	genlog_opts_init(&oa);
	genlog_opts_init(&ob);
	oa.reboot_ms = timings[_i].base_ms;
	ob.reboot_ms = timings[_i].new_ms;
	a = gen(&oa);
	b = gen(&ob);
	c = compare_logs(a, b, &opt, NULL);
	ck_assert_uint_eq(compare_slower(c), timings[_i].flagged ? 1 : 0);
	ck_assert(!compare_regressed(c));
	compare_free(c);
	drop(a, b);
}
END_TEST

START_TEST(a_changed_scenario_is_said_and_extra_steps_listed)
{
	struct genlog_opts oa, ob;
	char *a, *b;
	struct compare *c;
	JsonNode *n;
	JsonObject *o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	genlog_opts_init(&oa);
	genlog_opts_init(&ob);
	ob.cycles = 12;
	ob.sha256 = "1111111111111111111111111111111111111111111111111111111111"
		    "111111";
	a = gen(&oa);
	b = gen(&ob);
	c = compare_logs(a, b, NULL, NULL);
	o = as_json(c, &n);
	ck_assert(json_object_get_boolean_member(o, "scenario_changed"));
	ck_assert_int_eq(count_of(o, "only_in_new"), 6);
	ck_assert_int_eq(count_of(o, "only_in_base"), 0);
	f = open_memstream(&buf, &len);
	compare_print(c, f, false, 100);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "the scenario changed"));
	ck_assert_ptr_nonnull(strstr(buf, "6 only in NEW"));
	ck_assert_ptr_nonnull(strstr(buf, "line 9    reboot [11]"));
	ck_assert_ptr_nonnull(strstr(buf, "NO REGRESSION"));
	free(buf);
	json_node_unref(n);
	compare_free(c);
	drop(a, b);
}
END_TEST

START_TEST(moved_lines_beyond_the_window_count_as_one_run_only)
{
	struct genlog_opts oa, ob;
	char *a, *b;
	struct compare *c;
	JsonNode *n;
	JsonObject *o;
	gint64 steps;

	genlog_opts_init(&oa);
	genlog_opts_init(&ob);
	oa.cycles = ob.cycles = COMPARE_WINDOW; /* 3 x the window */
	ob.line_offset = 1;
	a = gen(&oa);
	b = gen(&ob);
	c = compare_logs(a, b, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	o = as_json(c, &n);
	steps = 2 + 3 * COMPARE_WINDOW;
	ck_assert_int_eq(count_of(o, "only_in_base"), steps);
	ck_assert_int_eq(count_of(o, "only_in_new"), steps);
	ck_assert_int_eq(json_array_get_length(json_object_get_array_member(
				 json_object_get_object_member(o,
					 "only_in_base"),
				 "steps")),
		COMPARE_MAX_LISTED);
	json_node_unref(n);
	compare_free(c);
	drop(a, b);
}
END_TEST

static char *logs_file(const char *name)
{
	return g_build_filename(getenv("BONDCHECK_SRCDIR") ?
					getenv("BONDCHECK_SRCDIR") :
					".",
		"tests", "logs", name, NULL);
}

START_TEST(a_regression_says_which_central_it_was)
{
	char *a = logs_file("two-centrals-pass.jsonl");
	char *b = logs_file("two-centrals-fail.jsonl");
	struct compare *c = compare_logs(a, b, NULL, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	JsonNode *n;
	JsonObject *o, *reg;

	ck_assert_ptr_nonnull(c);
	ck_assert(compare_regressed(c));
	compare_print(c, f, false, 0);
	fclose(f);
	ck_assert_msg(strstr(buf, "failed at line 4 as B: "
				  "peer-removed-pairing"),
		"%s", buf);
	ck_assert_msg(strstr(buf, "line 4    reconnect as B "), "%s", buf);
	o = as_json(c, &n);
	reg = json_array_get_object_element(json_object_get_array_member(o,
						    "regressions"),
		0);
	ck_assert_str_eq(json_object_get_string_member(reg, "central"), "B");
	json_node_unref(n);
	compare_free(c);
	free(buf);
	g_free(a);
	g_free(b);
}
END_TEST

START_TEST(a_bad_log_on_either_side_is_an_error_with_its_place)
{
	char *a = gen_simple(3, 0), *b = g_strdup("/tmp/bc-compare-XXXXXX");
	int fd = g_mkstemp(b);
	GError *err = NULL;
	char *want;
	static const char bad[] =
		"{\"type\":\"run-start\",\"t\":0,\"schema\":9,"
		"\"tool\":\"bondcheck\",\"scenario\":{\"name\":\"S\",\"sha256\":"
		"\"ab\"}}\n";

	ck_assert_int_eq(write(fd, bad, sizeof(bad) - 1),
		(ssize_t)sizeof(bad) - 1);
	close(fd);
	ck_assert_ptr_null(compare_logs(a, b, NULL, &err));
	ck_assert_int_eq(err->code, BCERROR_BAD_INPUT);
	want = g_strconcat(b, ":1:", NULL);
	ck_assert_msg(g_str_has_prefix(err->message, want), "%s", err->message);
	ck_assert_ptr_nonnull(strstr(err->message, "schema 9"));
	g_free(want);
	g_clear_error(&err);
	ck_assert_ptr_null(compare_logs(b, a, NULL, &err));
	ck_assert(g_str_has_prefix(err->message, b));
	g_error_free(err);
	drop(a, b);
}
END_TEST

Suite *compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, events_have_one_normal_form, 0,
		G_N_ELEMENTS(norms));
	tcase_add_test(tc, one_address_in_any_spelling_is_one_name);
	tcase_add_test(tc, the_same_run_twice_has_nothing_to_say);
	tcase_add_test(tc, a_step_that_passed_then_failed_is_a_regression);
	tcase_add_test(tc, a_step_that_failed_then_passed_is_a_fix);
	tcase_add_test(tc, a_different_failure_is_a_verdict_change);
	tcase_add_loop_test(tc, a_slow_down_is_flagged_past_both_limits, 0,
		G_N_ELEMENTS(timings));
	tcase_add_test(tc, a_changed_scenario_is_said_and_extra_steps_listed);
	tcase_add_test(tc, moved_lines_beyond_the_window_count_as_one_run_only);
	tcase_add_test(tc, a_bad_log_on_either_side_is_an_error_with_its_place);
	tcase_add_test(tc, a_regression_says_which_central_it_was);
	suite_add_tcase(s, tc);
	return s;
}
