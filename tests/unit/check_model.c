/* SPDX-License-Identifier: MIT */
/*
 * check_model.c — the object-tree model: events in order, bad shapes
 * refused without changing anything, watchers that remove themselves.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/model.h"
#include "suites.h"

struct rec {
	GString *log;
	struct model *m;
	guint self_id;
	bool unwatch_self;
};

static void record(const struct model_event *ev, void *data)
{
	struct rec *r = data;
	char *v = ev->value ? g_variant_print(ev->value, FALSE) : NULL;

	g_string_append_printf(r->log, "%s %s %s %s %s;",
		model_event_type_to_str(ev->type), ev->path ? ev->path : "-",
		ev->iface ? ev->iface : "-", ev->name ? ev->name : "-",
		v ? v : "-");
	g_free(v);
	if (r->unwatch_self)
		model_unwatch(r->m, r->self_id);
}

static GVariant *parse(const char *s)
{
	GVariant *v = g_variant_parse(NULL, s, NULL, NULL, NULL);

	ck_assert_msg(v, "cannot parse %s", s);
	return g_variant_ref_sink(v);
}

START_TEST(load_emits_reset_added_synced)
{
	struct model *m = model_new();
	struct rec r = { g_string_new(""), m, 0, false };
	GVariant *objs = parse("{objectpath '/org/bluez/hci0': "
			       "{'org.bluez.Adapter1': {'Powered': <true>}}}");
	bool b = false;

	model_watch(m, record, &r, NULL);
	ck_assert(model_load(m, objs));
	ck_assert_str_eq(r.log->str,
		"reset - - - -;"
		"interface-added /org/bluez/hci0 org.bluez.Adapter1 - "
		"{'Powered': <true>};"
		"synced - - - -;");
	ck_assert(model_bool(m, "/org/bluez/hci0", "org.bluez.Adapter1",
			  "Powered", &b) &&
		  b);
	g_variant_unref(objs);
	g_string_free(r.log, TRUE);
	model_free(m);
}
END_TEST

START_TEST(changes_and_invalidations_are_reported_with_old_values)
{
	struct model *m = model_new();
	struct rec r = { g_string_new(""), m, 0, false };
	GVariant *ifs = parse("{'org.bluez.Device1': {'Connected': <false>, "
			      "'RSSI': <int16 -60>}}");
	GVariant *ch = parse("{'Connected': <true>}");
	GVariant *inv = parse("['RSSI']");
	bool b = false;

	ck_assert(model_add(m, "/d", ifs));
	model_watch(m, record, &r, NULL);
	ck_assert(model_change(m, "/d", "org.bluez.Device1", ch, inv));
	ck_assert_str_eq(r.log->str,
		"property-changed /d org.bluez.Device1 Connected true;"
		"property-changed /d org.bluez.Device1 RSSI -;");
	ck_assert(model_bool(m, "/d", "org.bluez.Device1", "Connected", &b));
	ck_assert(b);
	ck_assert_ptr_null(model_prop(m, "/d", "org.bluez.Device1", "RSSI"));
	/* the same value again is still an event (notifications repeat) */
	g_string_truncate(r.log, 0);
	ck_assert(model_change(m, "/d", "org.bluez.Device1", ch, NULL));
	ck_assert_str_eq(r.log->str,
		"property-changed /d org.bluez.Device1 Connected true;");
	g_variant_unref(ifs);
	g_variant_unref(ch);
	g_variant_unref(inv);
	g_string_free(r.log, TRUE);
	model_free(m);
}
END_TEST

/* Wrong shapes change nothing and emit nothing. */
static const char *const bad_loads[] = {
	"@a{sv} {}",
	"['x']",
	"{'notapath': <1>}",
};

START_TEST(bad_shapes_are_refused)
{
	struct model *m = model_new();
	struct rec r = { g_string_new(""), m, 0, false };
	GVariant *v = parse(bad_loads[_i]);
	GVariant *good = parse("{'org.bluez.Adapter1': @a{sv} {}}");

	ck_assert(model_add(m, "/a", good));
	model_watch(m, record, &r, NULL);
	ck_assert(!model_load(m, v));
	ck_assert(!model_add(m, "/b", v));
	ck_assert(!model_remove(m, "/a", v) ||
		  g_variant_is_of_type(v, G_VARIANT_TYPE("as")));
	ck_assert(!model_change(m, "/a", "org.bluez.Adapter1", v, NULL) ||
		  g_variant_is_of_type(v, G_VARIANT_TYPE("a{sv}")));
	ck_assert(!model_add(m, "not a path", good));
	ck_assert(model_has(m, "/a", "org.bluez.Adapter1"));
	ck_assert_int_eq(model_size(m), 1);
	g_variant_unref(v);
	g_variant_unref(good);
	g_string_free(r.log, TRUE);
	model_free(m);
}
END_TEST

START_TEST(changes_to_unknown_objects_are_ignored)
{
	struct model *m = model_new();
	struct rec r = { g_string_new(""), m, 0, false };
	GVariant *ch = parse("{'Connected': <true>}");

	model_watch(m, record, &r, NULL);
	ck_assert(model_change(m, "/nowhere", "org.bluez.Device1", ch, NULL));
	ck_assert_str_eq(r.log->str, "");
	ck_assert_int_eq(model_size(m), 0);
	g_variant_unref(ch);
	g_string_free(r.log, TRUE);
	model_free(m);
}
END_TEST

START_TEST(removing_the_last_interface_removes_the_object)
{
	struct model *m = model_new();
	struct rec r = { g_string_new(""), m, 0, false };
	GVariant *ifs = parse("{'org.bluez.GattService1': @a{sv} {}, "
			      "'org.bluez.Other': @a{sv} {}}");
	GVariant *one = parse("['org.bluez.Other', 'org.bluez.Unknown']");
	GVariant *two = parse("['org.bluez.GattService1']");

	model_add(m, "/s", ifs);
	model_watch(m, record, &r, NULL);
	ck_assert(model_remove(m, "/s", one));
	ck_assert(model_has(m, "/s", NULL));
	ck_assert(model_remove(m, "/s", two));
	ck_assert(!model_has(m, "/s", NULL));
	ck_assert_str_eq(r.log->str,
		"interface-removed /s org.bluez.Other - -;"
		"interface-removed /s org.bluez.GattService1 - -;");
	g_variant_unref(ifs);
	g_variant_unref(one);
	g_variant_unref(two);
	g_string_free(r.log, TRUE);
	model_free(m);
}
END_TEST

START_TEST(a_watcher_may_remove_itself_while_notified)
{
	struct model *m = model_new();
	struct rec a = { g_string_new(""), m, 0, true };
	struct rec b = { g_string_new(""), m, 0, false };

	a.self_id = model_watch(m, record, &a, NULL);
	model_watch(m, record, &b, NULL);
	model_reset(m);
	model_reset(m);
	ck_assert_str_eq(a.log->str, "reset - - - -;");
	ck_assert_str_eq(b.log->str, "reset - - - -;reset - - - -;");
	g_string_free(a.log, TRUE);
	g_string_free(b.log, TRUE);
	model_free(m);
}
END_TEST

START_TEST(find_lists_paths_below_in_order)
{
	struct model *m = model_new();
	GVariant *c =
		parse("{'org.bluez.GattCharacteristic1': {'UUID': <'x'>}}");
	GPtrArray *a;

	model_add(m, "/dev/service0010/char0012", c);
	model_add(m, "/dev/service0010/char0011", c);
	model_add(m, "/devX/service0010/char0011", c);
	a = model_find(m, "org.bluez.GattCharacteristic1", "/dev");
	ck_assert_int_eq(a->len, 2);
	ck_assert_str_eq(g_ptr_array_index(a, 0), "/dev/service0010/char0011");
	ck_assert_str_eq(g_ptr_array_index(a, 1), "/dev/service0010/char0012");
	g_ptr_array_free(a, TRUE);
	ck_assert_str_eq(model_str(m, "/dev/service0010/char0011",
				 "org.bluez.GattCharacteristic1", "UUID"),
		"x");
	ck_assert_ptr_null(model_str(m, "/dev/service0010/char0011",
		"org.bluez.GattCharacteristic1", "Missing"));
	g_variant_unref(c);
	model_free(m);
}
END_TEST

Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, load_emits_reset_added_synced);
	tcase_add_test(tc,
		changes_and_invalidations_are_reported_with_old_values);
	tcase_add_loop_test(tc, bad_shapes_are_refused, 0,
		G_N_ELEMENTS(bad_loads));
	tcase_add_test(tc, changes_to_unknown_objects_are_ignored);
	tcase_add_test(tc, removing_the_last_interface_removes_the_object);
	tcase_add_test(tc, a_watcher_may_remove_itself_while_notified);
	tcase_add_test(tc, find_lists_paths_below_in_order);
	suite_add_tcase(s, tc);
	return s;
}
