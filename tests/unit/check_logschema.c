/* SPDX-License-Identifier: MIT */
/*
 * check_logschema.c — the run log's schema: every name round-trips and is
 * the one doc/log-schema.md gives, unknown names are refused, the members
 * readers check are the documented ones, and the builders write exactly
 * the JSON the schema says.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/logschema.h"
#include "suites.h"

/* the event types as doc/log-schema.md names them, in enum order */
static const char *const events[] = { "run-start", "step-start", "step-end",
	"run-end", "bluez", "agent", "trigger", "sim", "hci", "note" };

START_TEST(event_types_are_the_documented_names)
{
	enum log_event ev;

	ck_assert_int_eq(G_N_ELEMENTS(events), LOG_EVENT_COUNT);
	ck_assert_str_eq(log_event_to_str((enum log_event)_i), events[_i]);
	ck_assert(log_event_from_str(events[_i], &ev));
	ck_assert_int_eq(ev, _i);
	ck_assert(log_event_is_structural(ev) == (_i <= LOG_EVENT_RUN_END));
}
END_TEST

static const char *const unknown[] = { "", "Run-Start", "run-start ", "step",
	"bluez\n", "warning", "runstart" };

START_TEST(unknown_names_are_refused)
{
	enum log_event ev = LOG_EVENT_NOTE;
	enum log_step_result sr = LOG_STEP_FAIL;
	enum log_run_result rr = LOG_RUN_FAILED;
	enum log_bluez b = LOG_BLUEZ_SIGNAL;

	ck_assert(!log_event_from_str(unknown[_i], &ev));
	ck_assert(!log_step_result_from_str(unknown[_i], &sr));
	ck_assert(!log_run_result_from_str(unknown[_i], &rr));
	ck_assert(!log_bluez_from_str(unknown[_i], &b));
	/* and what was there is left alone */
	ck_assert_int_eq(ev, LOG_EVENT_NOTE);
	ck_assert_int_eq(sr, LOG_STEP_FAIL);
	ck_assert_int_eq(rr, LOG_RUN_FAILED);
	ck_assert_int_eq(b, LOG_BLUEZ_SIGNAL);
}
END_TEST

START_TEST(null_names_are_refused)
{
	enum log_event ev;
	enum log_step_result sr;
	enum log_run_result rr;
	enum log_bluez b;

	ck_assert(!log_event_from_str(NULL, &ev));
	ck_assert(!log_step_result_from_str(NULL, &sr));
	ck_assert(!log_run_result_from_str(NULL, &rr));
	ck_assert(!log_bluez_from_str(NULL, &b));
}
END_TEST

static const char *const step_results[] = { "pass", "fail", "error",
	"interrupted" };
static const char *const run_results[] = { "passed", "failed", "error",
	"interrupted" };
static const char *const bluez_events[] = { "call", "reply", "property",
	"added", "removed", "signal", "reset", "synced" };

START_TEST(result_and_bluez_values_round_trip)
{
	enum log_step_result sr;
	enum log_run_result rr;
	enum log_bluez b;

	ck_assert_int_eq(G_N_ELEMENTS(step_results), LOG_STEP_RESULT_COUNT);
	ck_assert_int_eq(G_N_ELEMENTS(run_results), LOG_RUN_RESULT_COUNT);
	ck_assert_int_eq(G_N_ELEMENTS(bluez_events), LOG_BLUEZ_COUNT);
	for (int i = 0; i < LOG_STEP_RESULT_COUNT; i++) {
		ck_assert_str_eq(log_step_result_to_str(i), step_results[i]);
		ck_assert(log_step_result_from_str(step_results[i], &sr));
		ck_assert_int_eq(sr, i);
	}
	for (int i = 0; i < LOG_RUN_RESULT_COUNT; i++) {
		ck_assert_str_eq(log_run_result_to_str(i), run_results[i]);
		ck_assert(log_run_result_from_str(run_results[i], &rr));
		ck_assert_int_eq(rr, i);
	}
	for (int i = 0; i < LOG_BLUEZ_COUNT; i++) {
		ck_assert_str_eq(log_bluez_to_str(i), bluez_events[i]);
		ck_assert(log_bluez_from_str(bluez_events[i], &b));
		ck_assert_int_eq(b, i);
	}
	/* a step's result is not a run's */
	ck_assert(!log_step_result_from_str("passed", &sr));
	ck_assert(!log_run_result_from_str("pass", &rr));
}
END_TEST

/* "What readers check" in doc/log-schema.md: the required members */
static const struct {
	enum log_event ev;
	const char *required;
} required[] = {
	{ LOG_EVENT_RUN_START, "schema tool scenario" },
	{ LOG_EVENT_STEP_START, "index line iteration name" },
	{ LOG_EVENT_STEP_END,
		"index line iteration name result verdict elapsed_ms" },
	{ LOG_EVENT_RUN_END, "result elapsed_ms" },
	{ LOG_EVENT_BLUEZ, "" },
	{ LOG_EVENT_AGENT, "" },
	{ LOG_EVENT_TRIGGER, "" },
	{ LOG_EVENT_SIM, "" },
	{ LOG_EVENT_HCI, "" },
	{ LOG_EVENT_NOTE, "" },
};

START_TEST(readers_require_the_documented_members)
{
	GString *got = g_string_new("");
	const struct log_member *m = log_event_members(required[_i].ev);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (; m->key; m++) {
		/* each key once */
		ck_assert(g_hash_table_add(seen, (gpointer)m->key));
		if (m->required)
			g_string_append_printf(got, "%s%s", got->len ? " " : "",
				m->key);
	}
	ck_assert_str_eq(got->str, required[_i].required);
	/* the raw events' members are not checked at all */
	if (!log_event_is_structural(required[_i].ev))
		ck_assert_uint_eq(g_hash_table_size(seen), 0);
	g_hash_table_destroy(seen);
	g_string_free(got, TRUE);
}
END_TEST

static char *to_json(JsonBuilder *b)
{
	JsonNode *root;
	char *s;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	s = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return s;
}

START_TEST(builders_write_the_members_they_name)
{
	JsonBuilder *b = json_builder_new();
	GPtrArray *a = g_ptr_array_new();
	char *s;

	g_ptr_array_add(a, (char *)"+1ms x");
	g_ptr_array_add(a, (char *)"+2ms \"y\"");
	json_builder_begin_object(b);
	log_add_str(b, LOG_KEY_NAME, "scan");
	log_add_str(b, LOG_KEY_MESSAGE, NULL);
	log_add_int(b, LOG_KEY_ELAPSED_MS, -3);
	log_add_bool(b, LOG_KEY_OK, false);
	log_add_double(b, LOG_KEY_TIME_SCALE, 0.5);
	log_add_strv(b, LOG_KEY_TIMELINE, a);
	log_add_strv(b, LOG_KEY_AGENT, NULL);
	log_begin_object(b, LOG_KEY_DBUS_ERROR);
	log_add_str(b, LOG_KEY_NAME, "org.bluez.Error.Failed");
	json_builder_end_object(b);
	log_begin_array(b, LOG_KEY_FAULTS);
	json_builder_end_array(b);
	log_add_node(b, LOG_KEY_VALUE, json_from_string("\"01ff\"", NULL));
	s = to_json(b);
	ck_assert_str_eq(s, "{\"name\":\"scan\",\"message\":null,"
			    "\"elapsed_ms\":-3,\"ok\":false,\"time_scale\":0.5,"
			    "\"timeline\":[\"+1ms x\",\"+2ms \\\"y\\\"\"],"
			    "\"agent\":[],\"dbus_error\":{\"name\":"
			    "\"org.bluez.Error.Failed\"},\"faults\":[],"
			    "\"value\":\"01ff\"}");
	g_free(s);
	g_ptr_array_free(a, TRUE);
}
END_TEST

static const struct {
	const char *iteration;
	const char *json;
} places[] = {
	{ "", "[]" }, { NULL, "[]" }, { "7", "[7]" }, { "2.3", "[2,3]" },
	{ "1.2.3.4.5.6.7.8.9", "[1,2,3,4,5,6,7,8,9]" },
	{ "1000000", "[1000000]" },
	{ "2.x", "[2]" }, /* stops at what is not a number */
};

START_TEST(a_step_place_is_line_iteration_and_name)
{
	JsonBuilder *b = json_builder_new();
	char *want = g_strdup_printf("{\"line\":30,\"iteration\":%s,"
				     "\"name\":\"reconnect\"}",
		places[_i].json);
	char *s;

	json_builder_begin_object(b);
	log_add_step_place(b, 30, places[_i].iteration, "reconnect");
	s = to_json(b);
	ck_assert_str_eq(s, want);
	g_free(s);
	g_free(want);
}
END_TEST

START_TEST(kinds_say_what_a_member_must_be)
{
	ck_assert_str_eq(log_kind_to_str(LOG_KIND_STR), "a string");
	ck_assert_str_eq(log_kind_to_str(LOG_KIND_STR_NULL),
		"a string or null");
	ck_assert_str_eq(log_kind_to_str(LOG_KIND_INT), "an integer");
	ck_assert_str_eq(log_kind_to_str(LOG_KIND_INT_NULL),
		"an integer or null");
	ck_assert_str_eq(log_kind_to_str(LOG_KIND_INT_ARRAY),
		"an array of positive integers");
	ck_assert_str_eq(log_kind_to_str(LOG_KIND_OBJ), "an object");
}
END_TEST

Suite *logschema_suite(void)
{
	Suite *s = suite_create("logschema");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, event_types_are_the_documented_names, 0,
		LOG_EVENT_COUNT);
	tcase_add_loop_test(tc, unknown_names_are_refused, 0,
		G_N_ELEMENTS(unknown));
	tcase_add_test(tc, null_names_are_refused);
	tcase_add_test(tc, result_and_bluez_values_round_trip);
	tcase_add_loop_test(tc, readers_require_the_documented_members, 0,
		G_N_ELEMENTS(required));
	tcase_add_test(tc, builders_write_the_members_they_name);
	tcase_add_loop_test(tc, a_step_place_is_line_iteration_and_name, 0,
		G_N_ELEMENTS(places));
	tcase_add_test(tc, kinds_say_what_a_member_must_be);
	suite_add_tcase(s, tc);
	return s;
}
