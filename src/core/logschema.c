/* SPDX-License-Identifier: MIT */
/*
 * logschema.c — the names of the run log's events and values, the members
 * readers check, and the member builders. Owns nothing; never does I/O.
 */
#include <string.h>

#include "bondcheck/logschema.h"

/*
 * NAME_from_str(): the value of @type whose NAME_to_str() is @s. (@type is
 * a type: it cannot be put in parentheses, as the tidy check asks.)
 */
#define FROM_STR(name, type, count)                               \
	/* NOLINTNEXTLINE(bugprone-macro-parentheses) */          \
	bool name##_from_str(const char *s, type *v)              \
	{                                                         \
		for (int i = 0; s && i < (count); i++) {          \
			if (!strcmp(s, name##_to_str((type)i))) { \
				*v = (type)i;                     \
				return true;                      \
			}                                         \
		}                                                 \
		return false;                                     \
	}

const char *log_event_to_str(enum log_event ev)
{
	switch (ev) {
	case LOG_EVENT_RUN_START: return "run-start";
	case LOG_EVENT_STEP_START: return "step-start";
	case LOG_EVENT_STEP_END: return "step-end";
	case LOG_EVENT_RUN_END: return "run-end";
	case LOG_EVENT_BLUEZ: return "bluez";
	case LOG_EVENT_AGENT: return "agent";
	case LOG_EVENT_TRIGGER: return "trigger";
	case LOG_EVENT_SIM: return "sim";
	case LOG_EVENT_HCI: return "hci";
	case LOG_EVENT_NOTE: return "note";
	case LOG_EVENT_COUNT: break;
	}
	return "unknown";
}

FROM_STR(log_event, enum log_event, LOG_EVENT_COUNT)

bool log_event_is_structural(enum log_event ev)
{
	switch (ev) {
	case LOG_EVENT_RUN_START:
	case LOG_EVENT_STEP_START:
	case LOG_EVENT_STEP_END:
	case LOG_EVENT_RUN_END: return true;
	case LOG_EVENT_BLUEZ:
	case LOG_EVENT_AGENT:
	case LOG_EVENT_TRIGGER:
	case LOG_EVENT_SIM:
	case LOG_EVENT_HCI:
	case LOG_EVENT_NOTE:
	case LOG_EVENT_COUNT: break;
	}
	return false;
}

const char *log_step_result_to_str(enum log_step_result r)
{
	switch (r) {
	case LOG_STEP_PASS: return "pass";
	case LOG_STEP_FAIL: return "fail";
	case LOG_STEP_ERROR: return "error";
	case LOG_STEP_INTERRUPTED: return "interrupted";
	case LOG_STEP_RESULT_COUNT: break;
	}
	return "unknown";
}

FROM_STR(log_step_result, enum log_step_result, LOG_STEP_RESULT_COUNT)

const char *log_run_result_to_str(enum log_run_result r)
{
	switch (r) {
	case LOG_RUN_PASSED: return "passed";
	case LOG_RUN_FAILED: return "failed";
	case LOG_RUN_ERROR: return "error";
	case LOG_RUN_INTERRUPTED: return "interrupted";
	case LOG_RUN_RESULT_COUNT: break;
	}
	return "unknown";
}

FROM_STR(log_run_result, enum log_run_result, LOG_RUN_RESULT_COUNT)

const char *log_bluez_to_str(enum log_bluez ev)
{
	switch (ev) {
	case LOG_BLUEZ_CALL: return "call";
	case LOG_BLUEZ_REPLY: return "reply";
	case LOG_BLUEZ_PROPERTY: return "property";
	case LOG_BLUEZ_ADDED: return "added";
	case LOG_BLUEZ_REMOVED: return "removed";
	case LOG_BLUEZ_SIGNAL: return "signal";
	case LOG_BLUEZ_RESET: return "reset";
	case LOG_BLUEZ_SYNCED: return "synced";
	case LOG_BLUEZ_COUNT: break;
	}
	return "unknown";
}

FROM_STR(log_bluez, enum log_bluez, LOG_BLUEZ_COUNT)

const char *log_kind_to_str(enum log_kind k)
{
	switch (k) {
	case LOG_KIND_STR: return "a string";
	case LOG_KIND_STR_NULL: return "a string or null";
	case LOG_KIND_INT: return "an integer";
	case LOG_KIND_INT_NULL: return "an integer or null";
	case LOG_KIND_INT_ARRAY: return "an array of positive integers";
	case LOG_KIND_OBJ: return "an object";
	}
	return "?";
}

/* ---- the members readers check (doc/log-schema.md, "What readers check") */

static const struct log_member run_start_members[] = {
	{ LOG_KEY_SCHEMA, LOG_KIND_INT, true },
	{ LOG_KEY_TOOL, LOG_KIND_STR, true },
	{ LOG_KEY_SCENARIO, LOG_KIND_OBJ, true },
	{ LOG_KEY_LABEL, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_DEVICE, LOG_KIND_OBJ, false },
	{ LOG_KEY_ADAPTER, LOG_KIND_OBJ, false },
	{ LOG_KEY_BLUEZ_VERSION, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_STARTED_AT, LOG_KIND_STR_NULL, false },
	{ NULL, LOG_KIND_STR, false },
};

static const struct log_member step_start_members[] = {
	{ LOG_KEY_INDEX, LOG_KIND_INT, true },
	{ LOG_KEY_LINE, LOG_KIND_INT, true },
	{ LOG_KEY_ITERATION, LOG_KIND_INT_ARRAY, true },
	{ LOG_KEY_NAME, LOG_KIND_STR, true },
	{ LOG_KEY_TEXT, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_TIMEOUT_MS, LOG_KIND_INT, false },
	{ NULL, LOG_KIND_STR, false },
};

static const struct log_member step_end_members[] = {
	{ LOG_KEY_INDEX, LOG_KIND_INT, true },
	{ LOG_KEY_LINE, LOG_KIND_INT, true },
	{ LOG_KEY_ITERATION, LOG_KIND_INT_ARRAY, true },
	{ LOG_KEY_NAME, LOG_KIND_STR, true },
	{ LOG_KEY_RESULT, LOG_KIND_STR, true },
	{ LOG_KEY_VERDICT, LOG_KIND_STR_NULL, true },
	{ LOG_KEY_CONFIDENCE, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_ELAPSED_MS, LOG_KIND_INT, true },
	{ LOG_KEY_MESSAGE, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_EVIDENCE, LOG_KIND_OBJ, false },
	{ NULL, LOG_KIND_STR, false },
};

static const struct log_member run_end_members[] = {
	{ LOG_KEY_RESULT, LOG_KIND_STR, true },
	{ LOG_KEY_VERDICT, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_CONFIDENCE, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_ELAPSED_MS, LOG_KIND_INT, true },
	{ LOG_KEY_MESSAGE, LOG_KIND_STR_NULL, false },
	{ LOG_KEY_LINE, LOG_KIND_INT_NULL, false },
	{ LOG_KEY_EXIT_STATUS, LOG_KIND_INT, false },
	{ NULL, LOG_KIND_STR, false },
};

static const struct log_member no_members[] = {
	{ NULL, LOG_KIND_STR, false },
};

const struct log_member *log_event_members(enum log_event ev)
{
	switch (ev) {
	case LOG_EVENT_RUN_START: return run_start_members;
	case LOG_EVENT_STEP_START: return step_start_members;
	case LOG_EVENT_STEP_END: return step_end_members;
	case LOG_EVENT_RUN_END: return run_end_members;
	case LOG_EVENT_BLUEZ:
	case LOG_EVENT_AGENT:
	case LOG_EVENT_TRIGGER:
	case LOG_EVENT_SIM:
	case LOG_EVENT_HCI:
	case LOG_EVENT_NOTE:
	case LOG_EVENT_COUNT: break;
	}
	return no_members;
}

/* ---- builders ---- */

void log_add_str(JsonBuilder *b, const char *key, const char *v)
{
	json_builder_set_member_name(b, key);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

void log_add_int(JsonBuilder *b, const char *key, gint64 v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, v);
}

void log_add_bool(JsonBuilder *b, const char *key, bool v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_boolean_value(b, v);
}

void log_add_double(JsonBuilder *b, const char *key, double v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_double_value(b, v);
}

void log_add_strv(JsonBuilder *b, const char *key, const GPtrArray *a)
{
	log_begin_array(b, key);
	for (guint i = 0; a && i < a->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(a, i));
	json_builder_end_array(b);
}

void log_add_node(JsonBuilder *b, const char *key, JsonNode *n)
{
	json_builder_set_member_name(b, key);
	json_builder_add_value(b, n);
}

void log_begin_object(JsonBuilder *b, const char *key)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_object(b);
}

void log_begin_array(JsonBuilder *b, const char *key)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
}

void log_add_step_place(JsonBuilder *b, gint64 line, const char *iteration,
	const char *name)
{
	const char *p = iteration ? iteration : "";

	log_add_int(b, LOG_KEY_LINE, line);
	log_begin_array(b, LOG_KEY_ITERATION);
	while (*p) {
		char *end;
		gint64 v = g_ascii_strtoll(p, &end, 10);

		if (end == p)
			break; /* not ours to invent: stop at what is not a number */
		json_builder_add_int_value(b, v);
		p = *end == '.' ? end + 1 : end;
	}
	json_builder_end_array(b);
	log_add_str(b, LOG_KEY_NAME, name);
}
