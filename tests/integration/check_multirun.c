/* SPDX-License-Identifier: MIT */
/*
 * check_multirun.c — bondcheck run with --keep-going, against the
 * simulator: a failed step inside a repeat block ends only its iteration,
 * and the log says what was skipped.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

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
	g_ptr_array_add(argv, (gpointer)"run");
	g_ptr_array_add(argv, (gpointer)"--sim");
	g_ptr_array_add(argv, (gpointer)"--time-scale");
	g_ptr_array_add(argv, (gpointer)"0.02");
	for (size_t i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata, (const char *const[]){
		"NO_COLOR=1", NULL }, 60000, r);
	g_ptr_array_free(argv, TRUE);
	g_free(prog);
}

/* The log's events, each parsed; every line must parse. */
static GPtrArray *log_events(const char *path)
{
	GPtrArray *evs = g_ptr_array_new_with_free_func(
		(GDestroyNotify)json_node_unref);
	char *text = NULL;
	char **lines;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL),
		"no log %s", path);
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
		if (key && (!json_object_has_member(o, key) ||
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
#define SOAK "scenario \"Soak\"\nscan\npair\nrepeat 3\n  reboot\n" \
	"  reconnect\n  read 2a6e\nend\ndisconnect\n"

START_TEST(keep_going_runs_every_iteration_of_a_failing_repeat)
{
	char *scn = write_scn("soak.scn", SOAK);
	char *log = at("soak.jsonl");
	const char *args[] = { "--fault", "lose-bond-on-reboot",
		"--keep-going", "--log", log, scn, NULL };
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
		"peer-removed-pairing"), 3);
	ck_assert_uint_eq(count(evs, "note", "what", "keep-going"), 3);
	ck_assert_uint_eq(count(evs, "step-start", "name", "read"), 0);
	ck_assert_uint_eq(count(evs, "step-end", "name", "disconnect"), 1);
	ck_assert_ptr_nonnull(strstr(r.out, "note: line 6 failed in iteration "
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

Suite *multirun_suite(void)
{
	Suite *s = suite_create("multirun");
	TCase *kg = tcase_create("keep-going");

	tcase_add_checked_fixture(kg, setup, teardown);
	tcase_set_timeout(kg, 90);
	tcase_add_test(kg, keep_going_runs_every_iteration_of_a_failing_repeat);
	suite_add_tcase(s, kg);
	return s;
}
