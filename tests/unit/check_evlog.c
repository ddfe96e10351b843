/* SPDX-License-Identifier: MIT */
/*
 * check_evlog.c — the JSON Lines writer: one complete object per line,
 * "type" and "t" on every event, sinks see what the file gets, a write
 * error is kept and reported (not fatal).
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/evlog.h"
#include "suites.h"

static int64_t fake_now;

static void append_line(const char *line, JsonNode *event, void *data)
{
	(void)event;
	g_string_append_printf(data, "%s\n", line);
}

static int64_t fake_clock(void *data)
{
	(void)data;
	return fake_now;
}

static void count(const char *line, JsonNode *event, void *data)
{
	(void)event;
	ck_assert_ptr_null(strchr(line, '\n'));
	(*(int *)data)++;
}

START_TEST(every_line_is_a_complete_object)
{
	char *path = g_strdup("/tmp/bc-evlog-XXXXXX");
	int fd = g_mkstemp(path);
	struct evlog *l = evlog_new(path, NULL);
	char *text = NULL;
	char **lines;
	int sunk = 0;
	GVariant *v = g_variant_ref_sink(g_variant_new_fixed_array(
		G_VARIANT_TYPE_BYTE, "\x01\xff", 2, 1));

	close(fd);
	ck_assert_ptr_nonnull(l);
	fake_now = 1000;
	evlog_set_clock(l, fake_clock, NULL);
	evlog_add_sink(l, count, &sunk);
	for (int i = 0; i < 3; i++) {
		JsonBuilder *b = evlog_begin_event(l, LOG_EVENT_BLUEZ);

		fake_now += 2500;
		json_builder_set_member_name(b, "value");
		json_builder_add_value(b, evlog_variant(v));
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, "line\nbreak \"quoted\" ✓");
		evlog_end(l, b);
	}
	ck_assert_int_eq(evlog_count(l), 3);
	ck_assert_int_eq(sunk, 3);
	ck_assert_ptr_null(evlog_error(l));
	/* flushed per event: the file holds every line before it is closed */
	ck_assert(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	ck_assert_int_eq(g_strv_length(lines), 4);
	for (int i = 0; i < 3; i++) {
		JsonParser *p = json_parser_new();
		JsonObject *o;

		ck_assert(json_parser_load_from_data(p, lines[i], -1, NULL));
		o = json_node_get_object(json_parser_get_root(p));
		ck_assert_str_eq(json_object_get_string_member(o, "type"),
			"bluez");
		ck_assert_int_eq(json_object_get_int_member(o, "t"),
			(gint64)2500 * i);
		ck_assert_str_eq(json_object_get_string_member(o, "value"),
			"01ff");
		g_object_unref(p);
	}
	g_strfreev(lines);
	g_free(text);
	evlog_free(l);
	g_variant_unref(v);
	unlink(path);
	g_free(path);
}
END_TEST

START_TEST(times_count_from_the_start)
{
	struct evlog *l = evlog_new(NULL, NULL);
	JsonBuilder *b;
	JsonNode *last = NULL;

	fake_now = 5000000;
	evlog_set_clock(l, fake_clock, NULL);
	fake_now += 1234;
	b = evlog_begin_event(l, LOG_EVENT_NOTE);
	json_builder_end_object(b);
	last = json_builder_get_root(b);
	ck_assert_int_eq(json_object_get_int_member(json_node_get_object(last),
				 "t"),
		1234);
	json_node_unref(last);
	g_object_unref(b);
	evlog_free(l);
}
END_TEST

START_TEST(a_write_error_is_kept_not_fatal)
{
	struct evlog *l = evlog_new("/dev/full", NULL);
	JsonBuilder *b;

	ck_assert_ptr_nonnull(l);
	b = evlog_begin_event(l, LOG_EVENT_NOTE);
	evlog_end(l, b);
	ck_assert_ptr_nonnull(evlog_error(l));
	ck_assert_ptr_nonnull(strstr(evlog_error(l)->message, "/dev/full"));
	b = evlog_begin_event(l, LOG_EVENT_HCI);
	evlog_end(l, b);
	ck_assert_int_eq(evlog_count(l), 2);
	evlog_free(l);
}
END_TEST

static void keep_line(const char *line, JsonNode *event, void *data)
{
	(void)event;
	g_free(*(char **)data);
	*(char **)data = g_strdup(line);
}

/* A reboot command may print any bytes; the log stays UTF-8 JSON. */
START_TEST(bytes_that_are_not_utf8_become_valid_text)
{
	char *p = g_strdup("/tmp/bc-evlog-XXXXXX");
	int fd = g_mkstemp(p);
	struct evlog *l;
	JsonBuilder *b;
	JsonParser *parser = json_parser_new();
	char *text = NULL, *seen = NULL;

	close(fd);
	l = evlog_new(p, NULL);
	evlog_add_sink(l, keep_line, &seen);
	b = evlog_begin_event(l, LOG_EVENT_TRIGGER);
	json_builder_set_member_name(b, "line");
	json_builder_add_string_value(b, "reset \xff\xfe done");
	evlog_end(l, b);
	evlog_free(l);
	ck_assert(g_file_get_contents(p, &text, NULL, NULL));
	ck_assert(g_utf8_validate(text, -1, NULL));
	ck_assert(g_utf8_validate(seen, -1, NULL));
	ck_assert(json_parser_load_from_data(parser, text, -1, NULL));
	ck_assert_ptr_nonnull(strstr(text, "reset \xef\xbf\xbd"));
	g_free(text);
	g_free(seen);
	g_object_unref(parser);
	unlink(p);
	g_free(p);
}
END_TEST

/* json-glib wrote 0x1f raw inside a string; a strict reader refuses it */
START_TEST(no_control_character_is_written_raw)
{
	char *path = g_strdup("/tmp/bc-evlog-XXXXXX");
	int fd = g_mkstemp(path);
	struct evlog *l = evlog_new(path, NULL);
	GString *sunk = g_string_new("");
	char s[32], *text = NULL;
	JsonBuilder *b;
	JsonParser *p = json_parser_new();

	close(fd);
	for (int i = 1; i < 32; i++)
		s[i - 1] = (char)i;
	s[31] = '\0';
	evlog_add_sink(l, append_line, sunk);
	b = evlog_begin_event(l, LOG_EVENT_TRIGGER);
	json_builder_set_member_name(b, "line");
	json_builder_add_string_value(b, s);
	evlog_end(l, b);
	ck_assert(g_file_get_contents(path, &text, NULL, NULL));
	ck_assert_uint_gt(strlen(text), 0);
	for (size_t i = 0; i + 1 < strlen(text); i++)
		ck_assert_msg((unsigned char)text[i] >= 0x20,
			"raw 0x%02x at %zu", text[i], i);
	ck_assert_ptr_nonnull(strstr(text, "\\u001f"));
	/* the sinks (bondcheckd's Event) get the same line */
	ck_assert_str_eq(sunk->str, text);
	ck_assert(json_parser_load_from_data(p, text, -1, NULL));
	ck_assert_str_eq(json_object_get_string_member(
				 json_node_get_object(json_parser_get_root(p)),
				 "line"),
		s);
	g_object_unref(p);
	evlog_free(l);
	unlink(path);
	g_string_free(sunk, TRUE);
	g_free(text);
	g_free(path);
}
END_TEST

static void told(const GError *error, void *data)
{
	ck_assert_ptr_nonnull(error);
	(*(int *)data)++;
}

/* The owner hears of the first failed write once, after the sinks got the
 * line; later events still reach the sinks. */
START_TEST(a_write_error_is_told_once)
{
	struct evlog *l = evlog_new("/dev/full", NULL);
	int n = 0, lines = 0;

	evlog_set_error_fn(l, told, &n);
	evlog_add_sink(l, count, &lines);
	for (int i = 0; i < 3; i++)
		evlog_end(l, evlog_begin_event(l, LOG_EVENT_NOTE));
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(lines, 3);
	ck_assert_int_eq(evlog_error(l)->code, BCERROR_ENVIRONMENT);
	ck_assert_ptr_nonnull(strstr(evlog_error(l)->message,
		"writing the log /dev/full failed: No space left on device"));
	evlog_free(l);
}
END_TEST

/* A path that cannot be a log is the caller's mistake (exit 2); no
 * permission is the machine's (exit 3): never a firmware failure. */
static const struct {
	const char *path;
	int code;
	const char *message;
} unopenable[] = {
	{ "/nonexistent/dir/run.jsonl", BCERROR_BAD_INPUT,
		"cannot write the log /nonexistent/dir/run.jsonl: No such file "
		"or directory (its directory must exist)" },
	{ "/tmp", BCERROR_BAD_INPUT, "Is a directory" },
	{ "/dev/null/run.jsonl", BCERROR_BAD_INPUT, "Not a directory" },
	/* read-only also for root (procfs checks the mode itself) */
	{ "/proc/sys/kernel/ostype", BCERROR_ACCESS_DENIED,
		"Permission denied" },
};

START_TEST(an_unopenable_path_says_whose_problem_it_is)
{
	GError *err = NULL;

	ck_assert_ptr_null(evlog_new(unopenable[_i].path, &err));
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(err->code == unopenable[_i].code, "%s: %s",
		unopenable[_i].path, bcerror_code_to_str(err->code));
	ck_assert_msg(strstr(err->message, unopenable[_i].message), "%s",
		err->message);
	g_error_free(err);
}
END_TEST

Suite *evlog_suite(void)
{
	Suite *s = suite_create("evlog");
	TCase *tc = tcase_create("writer");

	tcase_add_test(tc, every_line_is_a_complete_object);
	tcase_add_test(tc, times_count_from_the_start);
	tcase_add_test(tc, a_write_error_is_kept_not_fatal);
	tcase_add_test(tc, a_write_error_is_told_once);
	tcase_add_loop_test(tc, an_unopenable_path_says_whose_problem_it_is, 0,
		G_N_ELEMENTS(unopenable));
	tcase_add_test(tc, no_control_character_is_written_raw);
	tcase_add_test(tc, bytes_that_are_not_utf8_become_valid_text);
	suite_add_tcase(s, tc);
	return s;
}
