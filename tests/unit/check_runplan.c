/* SPDX-License-Identifier: MIT */
/*
 * check_runplan.c — the run's plan: written from a parsed scenario into
 * run-start, read back and walked in the engine's order (repeat and
 * each-central blocks, as=), the ordinals that name steps, "is this step
 * still ahead", and plans from a log that are not what we write.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/logschema.h"
#include "bondcheck/runplan.h"
#include "suites.h"

/* run-start {scenario {plan}, centrals} of @text, as the engine writes it */
static JsonObject *run_start_of(const char *text, JsonNode **keep)
{
	GPtrArray *errs = NULL;
	struct scenario *scn = scenario_parse(text, strlen(text), "p.scn", NULL,
		&errs);
	JsonBuilder *b = json_builder_new();

	ck_assert_msg(scn != NULL, "%s",
		errs ? ((struct scn_error *)errs->pdata[0])->message : "?");
	json_builder_begin_object(b);
	log_begin_object(b, LOG_KEY_SCENARIO);
	runplan_write(b, LOG_KEY_PLAN, scn);
	json_builder_end_object(b);
	log_begin_array(b, LOG_KEY_CENTRALS);
	for (guint i = 0; i < scn->centrals->len; i++) {
		json_builder_begin_object(b);
		log_add_str(b, LOG_KEY_NAME,
			scn_central_label(g_ptr_array_index(scn->centrals, i)));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	*keep = json_builder_get_root(b);
	g_object_unref(b);
	scenario_free(scn);
	return json_node_get_object(*keep);
}

/* The walk as "name#ordinal[iteration]@central line", one per step. */
static char *walk(struct runplan *p)
{
	GString *s = g_string_new("");
	struct runplan_step st;

	while (runplan_next(p, &st))
		g_string_append_printf(s, "%s#%u[%s]@%s:%" G_GINT64_FORMAT " ",
			st.name, st.ordinal, st.iteration, st.central, st.line);
	return g_string_free(s, FALSE);
}

static const struct {
	const char *scenario;
	const char *walk;
	guint64 total;
} plans[] = {
	{ "scan\nconnect\npair\n",
		"scan#1[]@default:1 connect#1[]@default:2 pair#1[]@default:3 ",
		3 },
	{ "scan\nrepeat 2\n  reboot\n  reconnect\nend\nreconnect\n",
		"scan#1[]@default:1 reboot#1[1]@default:3 "
		"reconnect#1[1]@default:4 reboot#1[2]@default:3 "
		"reconnect#1[2]@default:4 reconnect#2[]@default:6 ",
		6 },
	{ "repeat 2\n repeat 2\n  sleep 1ms\n end\nend\n",
		"sleep#1[1.1]@default:3 sleep#1[1.2]@default:3 "
		"sleep#1[2.1]@default:3 sleep#1[2.2]@default:3 ",
		4 },
	{ "repeat 1\n scan\nend\nconnect\n",
		"scan#1[1]@default:2 connect#1[]@default:4 ", 2 },
	{ "central a\ncentral b\neach-central\n  scan\nend\nscan as=b\n",
		"scan#1[1]@a:4 scan#1[2]@b:4 scan#2[]@b:6 ", 3 },
	{ "central a\ncentral b\neach-central b a\n  scan as=a\n  pair\nend\n",
		"scan#1[1]@a:4 pair#1[1]@b:5 scan#1[2]@a:4 pair#1[2]@a:5 ", 4 },
};

START_TEST(a_plan_walks_as_the_engine_runs)
{
	JsonNode *keep;
	JsonObject *rs = run_start_of(plans[_i].scenario, &keep);
	struct runplan *p = runplan_new(rs);
	char *w;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(runplan_total(p), plans[_i].total);
	w = walk(p);
	ck_assert_str_eq(w, plans[_i].walk);
	g_free(w);
	runplan_free(p);
	json_node_unref(keep);
}
END_TEST

START_TEST(ahead_says_whether_the_walk_has_reached_a_step)
{
	JsonNode *keep;
	JsonObject *rs = run_start_of("scan\nrepeat 3\n  reboot\n  reconnect\n"
				      "end\nread 2a6e\n",
		&keep);
	struct runplan *p = runplan_new(rs);
	struct runplan_step st;

	ck_assert(runplan_ahead(p, 1, ""));
	ck_assert(runplan_ahead(p, 4, "2"));
	ck_assert(runplan_ahead(p, 6, ""));
	/* not in the plan: no step there, a wrong iteration */
	ck_assert(!runplan_ahead(p, 2, "1"));
	ck_assert(!runplan_ahead(p, 3, ""));
	ck_assert(!runplan_ahead(p, 3, "4"));
	ck_assert(!runplan_ahead(p, 3, "1.1"));
	ck_assert(!runplan_ahead(p, 3, "x"));
	ck_assert(!runplan_ahead(p, 99, ""));
	ck_assert(runplan_next(p, &st)); /* scan */
	ck_assert(runplan_next(p, &st)); /* reboot [1] */
	ck_assert(!runplan_ahead(p, 1, ""));
	ck_assert(!runplan_ahead(p, 3, "1"));
	ck_assert(runplan_ahead(p, 4, "1"));
	ck_assert(runplan_ahead(p, 3, "2"));
	ck_assert_uint_eq(runplan_ordinal(p, 4), 1);
	ck_assert_uint_eq(runplan_ordinal(p, 6), 1);
	ck_assert_uint_eq(runplan_ordinal(p, 2), 0);
	while (runplan_next(p, &st))
		;
	ck_assert(!runplan_ahead(p, 6, ""));
	runplan_free(p);
	json_node_unref(keep);
}
END_TEST

/* Plans a log may hold that we never write: no plan, never a crash. */
static const char *const bad_plans[] = {
	"{}",
	"{\"scenario\":{}}",
	"{\"scenario\":{\"plan\":{}}}",
	"{\"scenario\":{\"plan\":[1]}}",
	"{\"scenario\":{\"plan\":[{\"step\":\"scan\"}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":0,\"step\":\"scan\"}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"step\":\"\"}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"step\":7}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"step\":\"s\",\"as\":1}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"step\":\"s\",\"steps\":[]}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"repeat\":2}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"repeat\":-1,\"steps\":[]}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"repeat\":9999999,\"steps\":[]}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"each\":[1],\"steps\":[]}]}}",
	"{\"scenario\":{\"plan\":[{\"line\":1,\"each\":\"a\",\"steps\":[]}]}}",
};

/* blocks nested deeper than any scenario nests */
static char *too_deep(void)
{
	GString *s = g_string_new("{\"scenario\":{\"plan\":");

	for (int i = 0; i < SCN_MAX_DEPTH + 3; i++)
		g_string_append(s, "[{\"line\":1,\"repeat\":1,\"steps\":");
	g_string_append(s, "[]");
	for (int i = 0; i < SCN_MAX_DEPTH + 3; i++)
		g_string_append(s, "}]");
	g_string_append(s, "}}");
	return g_string_free(s, FALSE);
}

START_TEST(a_plan_that_is_not_ours_is_no_plan)
{
	char *deep = too_deep();
	JsonNode *n = json_from_string(_i < (int)G_N_ELEMENTS(bad_plans) ?
					       bad_plans[_i] :
					       deep,
		NULL);

	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_null(runplan_new(json_node_get_object(n)));
	json_node_unref(n);
	g_free(deep);
}
END_TEST

Suite *runplan_suite(void)
{
	Suite *s = suite_create("runplan");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, a_plan_walks_as_the_engine_runs, 0,
		G_N_ELEMENTS(plans));
	tcase_add_test(tc, ahead_says_whether_the_walk_has_reached_a_step);
	tcase_add_loop_test(tc, a_plan_that_is_not_ours_is_no_plan, 0,
		G_N_ELEMENTS(bad_plans) + 1);
	suite_add_tcase(s, tc);
	return s;
}
