/* SPDX-License-Identifier: MIT */
/*
 * check_logread.c — the run log reader: what it accepts, and for each way a
 * file can fail to be a run log, the FILE:LINE:COL and words it says.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/logread.h"
#include "helpers/hostile.h"
#include "suites.h"

#define START                                                           \
	"{\"type\":\"run-start\",\"t\":0,\"schema\":1,\"tool\":"        \
	"\"bondcheck\",\"scenario\":{\"name\":\"S\",\"sha256\":\"ab\"," \
	"\"steps\":2},\"label\":null}\n"
#define SSTART                                                     \
	"{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3," \
	"\"iteration\":[2],\"name\":\"scan\"}\n"
#define SEND                                                       \
	"{\"type\":\"step-end\",\"t\":9,\"index\":1,\"line\":3,"   \
	"\"iteration\":[2],\"name\":\"scan\",\"result\":\"pass\"," \
	"\"verdict\":\"pass\",\"confidence\":null,\"elapsed_ms\":4}\n"
#define REND                                                    \
	"{\"type\":\"run-end\",\"t\":10,\"result\":\"passed\"," \
	"\"elapsed_ms\":1,\"line\":null}\n"

static char *write_tmp(const char *text, gssize len)
{
	char *p = g_strdup("/tmp/bc-logread-XXXXXX");
	int fd = g_mkstemp(p);

	ck_assert_int_ge(fd, 0);
	if (len < 0)
		len = (gssize)strlen(text);
	ck_assert_int_eq(write(fd, text, (size_t)len), len);
	close(fd);
	return p;
}

/* Read the whole file: the number of events, or -1 with *msg. */
static int read_all(const char *path, char **msg, bool *complete)
{
	struct logread *r = logread_open(path, NULL);
	GError *err = NULL;
	JsonObject *ev;
	int n = 0, rc;

	ck_assert_ptr_nonnull(r);
	while ((rc = logread_next(r, &ev, &err)) > 0)
		n++;
	if (complete)
		*complete = logread_complete(r);
	logread_free(r);
	if (rc < 0) {
		ck_assert_int_eq(err->code, BCERROR_BAD_INPUT);
		ck_assert_int_eq(bcerror_exit_status(err), BC_EXIT_USAGE);
		*msg = g_strdup(err->message);
		g_error_free(err);
		return -1;
	}
	return n;
}

START_TEST(a_whole_log_reads_event_by_event)
{
	char *p = write_tmp(START SSTART
		"{\"type\":\"bluez\",\"t\":6,\"event\":\"call\"}\n"
		"{\"type\":\"from-the-future\",\"t\":7,\"x\":[1,2]}\n" SEND REND,
		-1);
	struct logread *r = logread_open(p, NULL);
	JsonObject *ev;
	char *it;

	ck_assert_int_eq(logread_next(r, &ev, NULL), 1);
	ck_assert_str_eq(logread_str(ev, "type"), "run-start");
	ck_assert_ptr_nonnull(logread_run_start(r));
	ck_assert_int_eq(logread_next(r, &ev, NULL), 1);
	it = logread_iteration(ev);
	ck_assert_str_eq(it, "2");
	g_free(it);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(logread_next(r, &ev, NULL), 1);
	ck_assert_str_eq(logread_str(ev, "type"), "run-end");
	ck_assert_uint_eq(logread_lineno(r), 6);
	ck_assert_int_eq(logread_next(r, &ev, NULL), 0);
	ck_assert(logread_complete(r));
	ck_assert_int_eq(logread_next(r, &ev, NULL), 0);
	logread_free(r);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(a_log_without_run_end_reads_and_says_so)
{
	char *p = write_tmp(START SSTART, -1);
	char *msg = NULL;
	bool complete = true;

	ck_assert_int_eq(read_all(p, &msg, &complete), 2);
	ck_assert(!complete);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(crlf_line_ends_are_accepted)
{
	char *p = write_tmp("{\"type\":\"run-start\",\"t\":0,\"schema\":1,"
			    "\"tool\":\"bondcheck\",\"scenario\":{\"name\":"
			    "\"S\",\"sha256\":\"ab\"}}\r\n" REND,
		-1);
	char *msg = NULL;

	ck_assert_int_eq(read_all(p, &msg, NULL), 2);
	unlink(p);
	g_free(p);
}
END_TEST

/* Each bad file and the start of what the reader must say about it. */
static const struct {
	const char *text;
	const char *where; /* ":LINE:COL: " after the path */
	const char *words;
} bad[] = {
	{ "", ":1:1: ", "empty file" },
	{ "hello world\n", ":1:", "not a bondcheck run log?" },
	{ "[1,2,3]\n", ":1:1: ", "not a bondcheck run log (the line is not" },
	{ "{\"t\":0}\n", ":1:1: ", "no string \"type\"" },
	{ "{\"type\":\"step-start\",\"t\":0}\n",
		":1:1: ", "it starts with a \"step-start\" event" },
	{ "{\"type\":\"run-start\",\"t\":0,\"tool\":\"other\"}\n",
		":1:", "not a bondcheck run log (tool" },
	{ "{\"type\":\"run-start\",\"t\":0,\"schema\":2,\"tool\":\"bondcheck\","
	  "\"scenario\":{\"name\":\"S\",\"sha256\":\"ab\"}}\n",
		":1:27: ", "log schema 2 is not one this bondcheck reads" },
	{ "{\"type\":\"run-start\",\"t\":0,\"schema\":\"1\",\"tool\":"
	  "\"bondcheck\",\"scenario\":{}}\n",
		":1:",
		"\"schema\" must be an "
		"integer" },
	{ "{\"type\":\"run-start\",\"t\":0,\"schema\":1,\"tool\":\"bondcheck\","
	  "\"scenario\":{\"name\":\"S\"}}\n",
		":1:", "scenario needs" },
	{ "{\"type\":\"run-start\",\"t\":\"now\",\"schema\":1}\n",
		":1:", "\"t\" must be an integer" },
	{ START "{\"type\":\"step-end\",\"t\":1,\"index\":1,\"line\":\"3\","
		"\"iteration\":[],\"name\":\"scan\",\"result\":\"pass\","
		"\"verdict\":\"pass\",\"elapsed_ms\":1}\n",
		":2:36: ", "step-end: \"line\" must be an integer" },
	{ START "{\"type\":\"step-end\",\"t\":1,\"index\":1,\"line\":3,"
		"\"iteration\":[0],\"name\":\"scan\",\"result\":\"pass\","
		"\"verdict\":\"pass\",\"elapsed_ms\":1}\n",
		":2:", "\"iteration\" must be an array of positive" },
	{ START "{\"type\":\"step-end\",\"t\":1,\"index\":1,\"line\":3,"
		"\"iteration\":[],\"name\":\"scan\",\"result\":\"maybe\","
		"\"verdict\":\"pass\",\"elapsed_ms\":1}\n",
		":2:", "unknown result \"maybe\"" },
	{ START "{\"type\":\"step-end\",\"t\":1,\"index\":1,\"line\":3,"
		"\"iteration\":[],\"name\":\"scan\",\"result\":\"pass\","
		"\"elapsed_ms\":1}\n",
		":2:1: ", "step-end without \"verdict\"" },
	{ START "{\"type\":\"step-end\",\"t\":1,\"index\":1,\"line\":3,"
		"\"iteration\":[],\"name\":\"scan\",\"result\":\"pass\","
		"\"verdict\":\"pass\",\"elapsed_ms\":-4}\n",
		":2:", "negative elapsed_ms" },
	{ START "{\"type\":\"run-end\",\"t\":1,\"result\":\"passed\"}\n",
		":2:1: ", "run-end without \"elapsed_ms\"" },
	{ START SSTART "{\"type\":\"bluez\",\"t\":6,\"ev",
		":3:", "the line is cut short" },
	{ START SSTART "{\"type\":\"bluez\",,\"t\":6}\n", ":3:", "" },
	{ START "\n", ":2:1: ", "not a JSON object" },
	{ START START, ":2:1: ", "a second run-start" },
	{ START REND SSTART, ":3:1: ", "step-start event after run-end" },
};

START_TEST(a_bad_log_is_named_by_file_line_and_column)
{
	char *p = write_tmp(bad[_i].text, -1);
	char *msg = NULL;
	char *want;

	ck_assert_int_eq(read_all(p, &msg, NULL), -1);
	want = g_strconcat(p, bad[_i].where, NULL);
	ck_assert_msg(g_str_has_prefix(msg, want),
		"case %d: '%s' does not "
		"start with '%s'",
		_i, msg, want);
	ck_assert_msg(strstr(msg, bad[_i].words), "case %d: '%s' lacks '%s'",
		_i, msg, bad[_i].words);
	g_free(want);
	g_free(msg);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(a_nul_byte_is_refused_with_its_column)
{
	static const char text[] = "{\"type\":\"run-start\",\"t\":0,\"sc\0\"}\n";
	char *p = write_tmp(text, sizeof(text) - 1);
	char *msg = NULL;
	char *want;

	ck_assert_int_eq(read_all(p, &msg, NULL), -1);
	want = g_strconcat(p, ":1:30: NUL byte", NULL);
	ck_assert_msg(g_str_has_prefix(msg, want), "%s", msg);
	g_free(want);
	g_free(msg);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(an_overlong_line_is_refused_not_allocated)
{
	char *p = g_strdup("/tmp/bc-logread-XXXXXX");
	int fd = g_mkstemp(p);
	char *chunk = g_malloc(1 << 20);
	char *msg = NULL;

	memset(chunk, ' ', 1 << 20);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, START, strlen(START)),
		(ssize_t)strlen(START));
	for (unsigned i = 0; i <= LOGREAD_MAX_LINE >> 20; i++)
		ck_assert_int_eq(write(fd, chunk, 1 << 20), 1 << 20);
	close(fd);
	ck_assert_int_eq(read_all(p, &msg, NULL), -1);
	ck_assert_msg(strstr(msg, ":2:1: line longer than"), "%s", msg);
	g_free(msg);
	g_free(chunk);
	unlink(p);
	g_free(p);
}
END_TEST

/* 100,000 levels crashed report and compare in json-glib's recursion; the
 * line kinds the skim scanner does not take go to the parser */
static const char *const deep_kinds[] = { "bluez", "step-end", "run-end" };

START_TEST(a_deeply_nested_line_is_refused_before_it_is_parsed)
{
	GString *t;
	char *p, *msg = NULL, *pre;
	char *want = g_strdup_printf(":2:%zu: nested deeper than %u levels",
		strlen("{\"type\":\"\",\"t\":1,\"x\":") +
			strlen(deep_kinds[_i]) + LOGREAD_MAX_DEPTH,
		LOGREAD_MAX_DEPTH);

	pre = g_strdup_printf(START "{\"type\":\"%s\",\"t\":1,\"x\":",
		deep_kinds[_i]);
	t = hostile_nesting(pre, 100000, "}\n" REND);
	g_free(pre);
	p = write_tmp(t->str, (gssize)t->len);
	for (int skim = 0; skim < 2; skim++) {
		struct logread *r = logread_open(p, NULL);
		GError *err = NULL;
		JsonObject *ev;
		int rc;

		logread_set_skim(r, skim);
		while ((rc = logread_next(r, &ev, &err)) > 0)
			;
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err->message, want), "%s", err->message);
		g_error_free(err);
		logread_free(r);
	}
	/* the deepest line allowed reads */
	g_string_free(t, TRUE);
	t = hostile_nesting(START "{\"type\":\"bluez\",\"t\":1,\"x\":",
		LOGREAD_MAX_DEPTH - 1, "}\n" REND);
	unlink(p);
	g_free(p);
	p = write_tmp(t->str, (gssize)t->len);
	ck_assert_int_eq(read_all(p, &msg, NULL), 3);
	unlink(p);
	g_free(p);
	g_free(want);
	g_string_free(t, TRUE);
}
END_TEST

START_TEST(a_missing_file_is_bad_input)
{
	GError *err = NULL;

	ck_assert_ptr_null(logread_open("/nonexistent/x.jsonl", &err));
	ck_assert_int_eq(err->code, BCERROR_BAD_INPUT);
	ck_assert_ptr_nonnull(strstr(err->message, "/nonexistent/x.jsonl: "
						   "cannot read"));
	g_error_free(err);
}
END_TEST

/* Read a whole file with or without skimming: events, or -1 and *where. */
static int read_mode(const char *path, bool skim, unsigned long *where,
	int *steps)
{
	struct logread *r = logread_open(path, NULL);
	GError *err = NULL;
	JsonObject *ev;
	int n = 0, rc;

	logread_set_skim(r, skim);
	*steps = 0;
	while ((rc = logread_next(r, &ev, &err)) > 0) {
		n++;
		ck_assert_str_ne(logread_type(r), "");
		if (!ev && logread_step(r))
			(*steps)++;
	}
	*where = logread_lineno(r);
	if (err)
		g_error_free(err);
	logread_free(r);
	return rc < 0 ? -1 : n;
}

/* Lines for the raw-event position: skimming must take and refuse what
 * json-glib takes and refuses. */
static const char *const raws[] = {
	"{\"type\":\"bluez\",\"t\":1}",
	"{ \"t\" : 12 , \"type\" : \"sim\" , \"x\": [1, -2.5e3, true, null, {}] }",
	"{\"type\":\"bluez\",\"t\":1,\"s\":\"caf\u00e9 \\\" \\n\"}",
	"{\"type\":\"b\\u0061d\",\"t\":1}",      /* escaped type */
	"{\"type\":\"bluez\",\"t\":1,\"v\":01}", /* leading zero */
	"{\"type\":\"bluez\",\"t\":1,}",
	"{\"type\":\"bluez\",\"t\":1.5}",
	"{\"type\":\"bluez\",\"t\":123456789012345678901}",
	"{\"type\":\"bluez\",\"t\":1,\"s\":\"tab\there\"}",
	"{\"type\":\"bluez\",\"t\":1,\"s\":\"\\x41\"}",
	"{\"type\":\"bluez\",\"t\":1,\"a\":[1,2}",
	"{\"type\":\"bluez\",\"t\":1} trailing",
	"{\"type\":\"bluez\",\"t\":1,\"s\":\"\xc3\x28\"}", /* bad UTF-8 */
	"{\"type\":3,\"t\":1}",
	"{\"type\":\"bluez\"}",
	"{\"type\":\"bluez\",\"t\":-7,\"e\":1E+2}",
	"{\"type\":\"bluez\",\"t\":1,\"n\":-}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\u12\"}",
	/* UTF-16 surrogates: json-glib takes a pair, refuses a high one
	 * before another escape, and one right before the closing quote
	 * (found by fuzz_logread: skimming took them all) */
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\ud83d\\ude00\"}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\ud83d\\ud0e0\"}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\ud83d\\u0041\"}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\ud83d\"}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\ude00\"}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"a\\ude00b\"}",
	"{\"type\":\"bluez\",\"t\":1,\"u\":\"\\ud83dx\"}",
	/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one entry */
	"{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3,"
	"\"iteration\":[2,1],\"name\":\"scan\",\"text\":\"scan\","
	"\"timeout_ms\":15000}",
	"{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3,"
	"\"iteration\":[0],\"name\":\"scan\"}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":1,\"line\":3,"
	"\"iteration\":[],\"name\":\"scan\",\"result\":\"pass\","
	"\"verdict\":\"pass\",\"confidence\":null,\"elapsed_ms\":4,"
	"\"message\":null,\"evidence\":{\"latency_ms\":7,\"x\":[1]}}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":1,\"line\":3,"
	"\"iteration\":[],\"name\":\"scan\",\"result\":\"fail\","
	"\"verdict\":\"gatt-error\",\"elapsed_ms\":4}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":1,\"line\":3,"
	"\"iteration\":[],\"name\":\"scan\",\"result\":\"pass\","
	"\"verdict\":\"pass\",\"elapsed_ms\":-1}",
};

START_TEST(skimming_takes_and_refuses_what_the_parser_does)
{
	char *text = g_strconcat(START, raws[_i], "\n", REND, NULL);
	char *p = write_tmp(text, -1);
	unsigned long w1, w2;
	int s1, s2;
	int full = read_mode(p, false, &w1, &s1);
	int skim = read_mode(p, true, &w2, &s2);

	ck_assert_msg(full == skim, "case %d: parser %d, skim %d", _i, full,
		skim);
	ck_assert_uint_eq(w1, w2);
	ck_assert_int_eq(s1, 0);
	g_free(text);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(a_plain_step_is_skimmed_into_its_members)
{
	char *p = write_tmp(START
		"{\"type\":\"step-start\",\"t\":5,\"index\":4,\"line\":30,"
		"\"iteration\":[2,3],\"name\":\"reconnect\",\"text\":"
		"\"reconnect\",\"timeout_ms\":15000}\n"
		"{\"type\":\"step-end\",\"t\":9,\"index\":4,\"line\":30,"
		"\"iteration\":[2,3],\"name\":\"reconnect\",\"result\":"
		"\"pass\",\"verdict\":\"pass\",\"confidence\":null,"
		"\"elapsed_ms\":44,\"message\":null,\"evidence\":{\"timeline\":"
		"[\"+1ms x\"],\"latency_ms\":41}}\n" REND,
		-1);
	struct logread *r = logread_open(p, NULL);
	const struct logread_step *st;
	JsonObject *ev;

	logread_set_skim(r, true);
	ck_assert_int_eq(logread_next(r, &ev, NULL), 1); /* run-start */
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(logread_next(r, &ev, NULL), 1);
	ck_assert_ptr_null(ev);
	st = logread_step(r);
	ck_assert_ptr_nonnull(st);
	ck_assert(!st->end);
	ck_assert_int_eq(st->line, 30);
	ck_assert_str_eq(st->iteration, "2.3");
	ck_assert_str_eq(st->name, "reconnect");
	ck_assert_int_eq(st->timeout_ms, 15000);
	ck_assert_int_eq(logread_next(r, &ev, NULL), 1);
	st = logread_step(r);
	ck_assert_ptr_nonnull(st);
	ck_assert(st->end);
	ck_assert_int_eq(st->result, LOG_STEP_PASS);
	ck_assert_int_eq(st->elapsed_ms, 44);
	ck_assert_int_eq(st->latency_ms, 41);
	ck_assert_int_eq(logread_next(r, &ev, NULL), 1); /* run-end */
	ck_assert_ptr_nonnull(ev);
	ck_assert_ptr_null(logread_step(r));
	logread_free(r);
	unlink(p);
	g_free(p);
}
END_TEST

/* Step lines, skimmable or not: skimmed and parsed, they read the same. */
static const char *const steps[] = {
	"{\"type\":\"step-start\",\"t\":5,\"index\":4,\"line\":30,"
	"\"iteration\":[2,3],\"name\":\"reconnect\",\"text\":"
	"\"reconnect\",\"timeout_ms\":15000}",
	"{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3,"
	"\"iteration\":[],\"name\":\"scan\"}",
	"{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3,"
	"\"iteration\":[1,2,3,4,5,6,7,8,9],\"name\":\"scan\"}",
	"{\"type\":\"step-start\",\"t\":5,\"index\":1,\"line\":3,"
	"\"iteration\":[1],\"name\":\"sc\\u0061n\"}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":4,\"line\":30,"
	"\"iteration\":[2,3],\"name\":\"reconnect\",\"result\":"
	"\"pass\",\"verdict\":\"pass\",\"confidence\":null,"
	"\"elapsed_ms\":44,\"message\":null,\"evidence\":{\"timeline\":"
	"[\"+1ms x\"],\"latency_ms\":41}}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":2,\"line\":31,"
	"\"iteration\":[1],\"name\":\"reconnect\",\"result\":\"fail\","
	"\"verdict\":\"peer-removed-pairing\",\"confidence\":"
	"\"inferred\",\"elapsed_ms\":201,\"message\":\"dropped\","
	"\"evidence\":{\"latency_ms\":null,\"rule\":\"r\"}}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":2,\"line\":31,"
	"\"iteration\":[],\"name\":\"read\",\"result\":\"interrupted\","
	"\"verdict\":null,\"elapsed_ms\":0}",
	"{\"type\":\"step-end\",\"t\":9,\"index\":2,\"line\":31,"
	"\"iteration\":[],\"name\":\"read\",\"result\":\"error\","
	"\"verdict\":\"environment-error\",\"elapsed_ms\":3,"
	"\"message\":\"no \\\"bus\\\"\"}",
	/* a central's steps; older logs have none: "default" */
	"{\"type\":\"step-start\",\"t\":5,\"central\":\"phone2\","
	"\"index\":1,\"line\":3,\"iteration\":[2],\"name\":\"scan\"}",
	"{\"type\":\"step-end\",\"t\":9,\"central\":\"B\",\"index\":4,"
	"\"line\":30,\"iteration\":[],\"name\":\"pair\",\"result\":"
	"\"pass\",\"verdict\":\"pass\",\"confidence\":null,"
	"\"elapsed_ms\":4,\"message\":null}",
	"{\"type\":\"step-start\",\"t\":5,\"central\":\"\\u0041\","
	"\"index\":1,\"line\":3,\"iteration\":[],\"name\":\"scan\"}",
	"{\"type\":\"step-start\",\"t\":5,\"central\":7,\"index\":1,"
	"\"line\":3,\"iteration\":[],\"name\":\"scan\"}",
};

/* The step a reader describes, as text (NULL strings as "-"). */
static char *step_text(const struct logread_step *st)
{
	return g_strdup_printf("%d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
			       " [%s] %s as %s %" G_GINT64_FORMAT
			       " %s %s %s %s %" G_GINT64_FORMAT
			       " %" G_GINT64_FORMAT,
		st->end, st->index, st->line, st->iteration, st->name,
		st->central, st->timeout_ms,
		st->end ? log_step_result_to_str(st->result) : "-",
		st->verdict ? st->verdict : "-",
		st->confidence ? st->confidence : "-",
		st->message ? st->message : "-", st->elapsed_ms,
		st->latency_ms);
}

static char *read_step(const char *path, bool skim, bool *tree)
{
	struct logread *r = logread_open(path, NULL);
	const struct logread_event *ev;
	JsonObject *o;
	char *text;

	logread_set_skim(r, skim);
	ck_assert_int_eq(logread_next(r, &o, NULL), 1);
	ck_assert_int_eq(logread_next(r, &o, NULL), 1);
	ev = logread_event(r);
	ck_assert(ev->known);
	ck_assert_ptr_nonnull(ev->step);
	ck_assert_ptr_eq(ev->step, logread_step(r));
	ck_assert_ptr_eq(ev->object, o);
	ck_assert_str_eq(ev->line, logread_text(r));
	*tree = o != NULL;
	text = step_text(ev->step);
	if (o) {
		/* a log sink's view of the same object says the same */
		struct logread_view *v = logread_view_new();
		const struct logread_event *vev = logread_view_set(v, o);
		char *vt;

		ck_assert_ptr_nonnull(vev);
		ck_assert_int_eq(vev->event, ev->event);
		vt = step_text(vev->step);
		ck_assert_str_eq(vt, text);
		g_free(vt);
		logread_view_free(v);
	}
	logread_free(r);
	return text;
}

START_TEST(a_step_reads_the_same_skimmed_or_parsed)
{
	char *text = g_strconcat(START, steps[_i], "\n", REND, NULL);
	char *p = write_tmp(text, -1);
	bool tree_full, tree_skim;
	char *full = read_step(p, false, &tree_full);
	char *skim = read_step(p, true, &tree_skim);

	ck_assert(tree_full);
	ck_assert_str_eq(skim, full);
	g_free(full);
	g_free(skim);
	g_free(text);
	unlink(p);
	g_free(p);
}
END_TEST

START_TEST(a_view_of_an_object_without_a_type_is_null)
{
	struct logread_view *v = logread_view_new();
	JsonNode *n = json_from_string("{\"t\":1}", NULL);
	JsonNode *odd = json_from_string("{\"type\":\"step-end\",\"t\":1,"
					 "\"result\":\"maybe\"}",
		NULL);
	JsonNode *raw = json_from_string("{\"type\":\"later\",\"t\":1}", NULL);
	const struct logread_event *ev;

	ck_assert_ptr_null(logread_view_set(v, json_node_get_object(n)));
	ck_assert_ptr_null(logread_view_set(v, json_node_get_object(odd)));
	ev = logread_view_set(v, json_node_get_object(raw));
	ck_assert_ptr_nonnull(ev);
	ck_assert(!ev->known);
	ck_assert_str_eq(ev->type, "later");
	ck_assert_ptr_null(ev->step);
	json_node_unref(n);
	json_node_unref(odd);
	json_node_unref(raw);
	logread_view_free(v);
}
END_TEST

Suite *logread_suite(void)
{
	Suite *s = suite_create("logread");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, a_whole_log_reads_event_by_event);
	tcase_add_test(tc, a_log_without_run_end_reads_and_says_so);
	tcase_add_test(tc, crlf_line_ends_are_accepted);
	tcase_add_loop_test(tc, a_bad_log_is_named_by_file_line_and_column, 0,
		G_N_ELEMENTS(bad));
	tcase_add_test(tc, a_nul_byte_is_refused_with_its_column);
	tcase_add_test(tc, an_overlong_line_is_refused_not_allocated);
	tcase_add_test(tc, a_missing_file_is_bad_input);
	tcase_add_loop_test(tc,
		a_deeply_nested_line_is_refused_before_it_is_parsed, 0,
		G_N_ELEMENTS(deep_kinds));
	tcase_add_loop_test(tc, skimming_takes_and_refuses_what_the_parser_does,
		0, G_N_ELEMENTS(raws));
	tcase_add_test(tc, a_plain_step_is_skimmed_into_its_members);
	tcase_add_loop_test(tc, a_step_reads_the_same_skimmed_or_parsed, 0,
		G_N_ELEMENTS(steps));
	tcase_add_test(tc, a_view_of_an_object_without_a_type_is_null);
	suite_add_tcase(s, tc);
	return s;
}
