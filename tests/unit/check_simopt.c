/* SPDX-License-Identifier: MIT */
/*
 * check_simopt.c — the simulator's settings (--sim-opt KEY=VALUE): each
 * key with good and bad values, what each sets, what the run log shows,
 * and the messages for unknown keys.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/simopt.h"
#include "suites.h"

/* spec -> the setting as sim_opt_show() shows it after, or NULL: refused
 * (with @err in the message) */
static const struct {
	const char *spec;
	const char *shown;
	const char *err;
} specs[] = {
	{ "io=KeyboardOnly", "io=KeyboardOnly", NULL },
	{ "io=NoInputNoOutput", "io=NoInputNoOutput", NULL },
	{ "io=keyboardonly", NULL, "did you mean 'KeyboardOnly'?" },
	{ "io=", NULL, "io= takes CAP" },
	{ "passkey=123456", "passkey=123456", NULL },
	{ "passkey=42", "passkey=000042", NULL },
	{ "passkey=0", "passkey=000000", NULL },
	{ "passkey=random", "passkey=random", NULL },
	{ "passkey=1000000", NULL, "0 to 999999" },
	{ "passkey=-1", NULL, "passkey= takes N|random" },
	{ "passkey=12a", NULL, "passkey= takes" },
	{ "sc=no", "sc=no", NULL },
	{ "sc=yes", "sc=yes", NULL },
	{ "sc=false", "sc=no", NULL },
	{ "sc=maybe", NULL, "sc= takes yes|no" },
	{ "bond-table=3", "bond-table=3", NULL },
	{ "bond-table=64", "bond-table=64", NULL },
	{ "bond-table=0", NULL, "1 to 64" },
	{ "bond-table=65", NULL, "1 to 64" },
	{ "bond-policy=refuse-when-full", "bond-policy=refuse-when-full",
		NULL },
	{ "bond-policy=overwrite-oldest", "bond-policy=overwrite-oldest",
		NULL },
	{ "bond-policy=lru", NULL, "round-robin" },
	{ "name=my sensor", "name=my sensor", NULL },
	{ "name=", NULL, "name= takes TEXT" },
	{ "name=a\tb", NULL, "name= takes TEXT" },
	{ "address=c0:ff:ee:00:00:01", "address=C0:FF:EE:00:00:01", NULL },
	{ "address=C0:FF:EE:00:00", NULL, "address= takes" },
	{ "appearance=833", "appearance=833", NULL },
	{ "appearance=65536", NULL, "0 to 65535" },
	{ "manufacturer=0x05F1:0102", "manufacturer=0x05f1:0102", NULL },
	{ "manufacturer=1521:ff", "manufacturer=0x05f1:ff", NULL },
	{ "manufacturer=0x05f1", NULL, "manufacturer= takes ID:HEX" },
	{ "manufacturer=0x05f1:", NULL, "manufacturer= takes ID:HEX" },
	{ "manufacturer=0x05f1:012", NULL, "manufacturer= takes ID:HEX" },
	{ "manufacturer=0x10000:01", NULL, "manufacturer= takes ID:HEX" },
	{ "manufacturer=x:01", NULL, "manufacturer= takes ID:HEX" },
	{ "manufacturer=1:0001020304050607080910111213141516171819202122232425"
	  "2627",
		NULL, "1 to 27 bytes" },
	{ "adv-interval=1s", "adv-interval=1s", NULL },
	{ "adv-interval=20ms", "adv-interval=20ms", NULL },
	{ "adv-interval=10ms", NULL, "20ms to 10.24s" },
	{ "adv-interval=100", NULL, "adv-interval= takes DURATION" },
	{ "boot-time=3s", "boot-time=3s", NULL },
	{ "boot-time=3", NULL, "boot-time= takes DURATION" },
	{ "adapters=4", "adapters=4", NULL },
	{ "adapters=0", NULL, "1 to 16" },
	{ "adapters=17", NULL, "1 to 16" },
	{ "bondtable=3", NULL,
		"unknown simulator setting 'bondtable' (did "
		"you mean 'bond-table'?)" },
	{ "colour=red", NULL, "unknown simulator setting 'colour'" },
	{ "io", NULL, "KEY=VALUE, not 'io'" },
	{ "=x", NULL, "KEY=VALUE, not '=x'" },
};

static bool shows(const struct sim_config *c, const char *kv)
{
	GPtrArray *a = sim_opt_show(c);
	bool found = false;

	for (guint i = 0; i < a->len; i++)
		if (!strcmp(g_ptr_array_index(a, i), kv))
			found = true;
	g_ptr_array_unref(a);
	return found;
}

START_TEST(settings_are_parsed_or_refused_with_what_they_take)
{
	struct sim_config c;
	GError *err = NULL;
	bool ok;

	sim_config_init(&c);
	ok = sim_opt_apply(&c, specs[_i].spec, &err);
	if (specs[_i].shown) {
		ck_assert_msg(ok, "%s: %s", specs[_i].spec,
			err ? err->message : "");
		ck_assert_msg(shows(&c, specs[_i].shown), "%s: not shown as %s",
			specs[_i].spec, specs[_i].shown);
		ck_assert_uint_eq(c.given->len, 1);
		ck_assert_str_eq(g_ptr_array_index(c.given, 0), specs[_i].spec);
	} else {
		ck_assert_msg(!ok, "%s accepted", specs[_i].spec);
		ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_INPUT));
		ck_assert_msg(strstr(err->message, specs[_i].err), "%s: %s",
			specs[_i].spec, err->message);
		ck_assert_uint_eq(c.given->len, 0);
		g_error_free(err);
	}
	sim_config_clear(&c);
}
END_TEST

START_TEST(the_defaults_are_the_micropython_example)
{
	struct sim_config c;
	GPtrArray *a;
	char *all;

	sim_config_init(&c);
	a = sim_opt_show(&c);
	g_ptr_array_add(a, NULL);
	all = g_strjoinv(" ", (char **)a->pdata);
	ck_assert_str_eq(all,
		"io=DisplayYesNo passkey=random sc=yes "
		"bond-table=8 bond-policy=round-robin name=mpy-temp "
		"address=C0:FF:EE:00:13:42 appearance=768 manufacturer=none "
		"adv-interval=500ms "
		"boot-time=1.5s adapters=1");
	g_free(all);
	g_ptr_array_unref(a);
	sim_config_clear(&c);
}
END_TEST

START_TEST(a_later_setting_wins_and_fields_are_set)
{
	struct sim_config c;

	sim_config_init(&c);
	ck_assert(sim_opt_apply(&c, "name=first", NULL));
	ck_assert(sim_opt_apply(&c, "name=second", NULL));
	ck_assert(sim_opt_set(&c, "sc", "no", NULL));
	ck_assert(sim_opt_set(&c, "passkey", "654321", NULL));
	ck_assert(sim_opt_set(&c, "adapters", "3", NULL));
	ck_assert_str_eq(c.dut.name, "second");
	ck_assert(!c.dut.secure_connections);
	ck_assert_uint_eq(c.dut.passkey, 654321);
	ck_assert_uint_eq(c.adapters, 3);
	ck_assert_uint_eq(c.given->len, 5);
	sim_config_clear(&c);
}
END_TEST

START_TEST(every_setting_has_help)
{
	size_t n;
	const struct sim_opt_info *o = sim_opt_list(&n);

	ck_assert_uint_ge(n, 11);
	for (size_t i = 0; i < n; i++) {
		ck_assert(o[i].key && *o[i].key);
		ck_assert(o[i].value && *o[i].value);
		ck_assert(o[i].summary && strlen(o[i].summary) > 10);
	}
}
END_TEST

Suite *simopt_suite(void)
{
	Suite *s = suite_create("simopt");
	TCase *t = tcase_create("settings");

	tcase_add_loop_test(t,
		settings_are_parsed_or_refused_with_what_they_take, 0,
		G_N_ELEMENTS(specs));
	tcase_add_test(t, the_defaults_are_the_micropython_example);
	tcase_add_test(t, a_later_setting_wins_and_fields_are_set);
	tcase_add_test(t, every_setting_has_help);
	suite_add_tcase(s, t);
	return s;
}
