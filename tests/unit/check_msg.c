/* SPDX-License-Identifier: MIT */
/*
 * check_msg.c — message helpers: values survive a trip through the wire
 * format, and bodies of the wrong shape become errors, never crashes.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/msg.h"
#include "suites.h"

/* Marshal and demarshal, as a peer's message would arrive. */
static DBusMessage *over_the_wire(DBusMessage *m)
{
	char *buf = NULL;
	int len = 0;
	DBusMessage *back;

	dbus_message_set_serial(m, 1);
	ck_assert(dbus_message_marshal(m, &buf, &len));
	back = dbus_message_demarshal(buf, len, NULL);
	ck_assert_ptr_nonnull(back);
	dbus_free(buf);
	dbus_message_unref(m);
	return back;
}

static const char *const roundtrip[] = {
	"()",
	"(true, false)",
	"(byte 0x05, int16 -3, uint16 7, -5, uint32 9, int64 -1, uint64 2, 1.5)",
	"('text', objectpath '/org/bluez/hci0', signature 'a{sv}')",
	"(@ay [], [byte 1, 2, 255])",
	"({'Paired': <true>, 'RSSI': <int16 -52>, 'Name': <'mpy-temp'>},)",
	/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one string */
	"({objectpath '/org/bluez/hci0': {'org.bluez.Adapter1': "
	"{'Powered': <true>}}},)",
	"(<<<'nested variants'>>>,)",
	"(('a', 1), [('b', 2)])",
	"(@a{sv} {}, @as [], @a{oa{sa{sv}}} {})",
	"('Ünïcødé ✓',)",
};

START_TEST(values_survive_the_wire)
{
	GVariant *in = g_variant_ref_sink(g_variant_parse(NULL, roundtrip[_i],
		NULL, NULL, NULL));
	DBusMessage *m = dbus_message_new_method_call("org.x", "/x", "org.x",
		"M");
	GVariant *out;
	GError *err = NULL;

	ck_assert_ptr_nonnull(in);
	ck_assert(msg_append(m, g_variant_ref(in), &err));
	m = over_the_wire(m);
	out = msg_body(m, &err);
	ck_assert_msg(out, "%s", err ? err->message : "");
	ck_assert_msg(g_variant_equal(in, out), "%s became %s", roundtrip[_i],
		g_variant_print(out, TRUE));
	ck_assert(msg_get_args(m, g_variant_get_type_string(in), NULL, &err));
	g_variant_unref(out);
	g_variant_unref(in);
	dbus_message_unref(m);
}
END_TEST

/* body (GVariant text) vs. what the reader expects: always an error */
static const struct {
	const char *body;
	const char *expect;
} bad_shapes[] = {
	{ "('s',)", "(oa{sa{sv}})" },
	{ "()", "(a{oa{sa{sv}}})" },
	{ "(objectpath '/a', {'org.bluez.Device1': <1>})", "(oa{sa{sv}})" },
	{ "('org.bluez.Device1', {'Paired': <true>})", "(sa{sv}as)" },
	{ "('org.bluez.Device1', {'Paired': <true>}, ['x'], 'extra')",
		"(sa{sv}as)" },
	{ "(uint32 1,)", "(s)" },
	{ "(@as [],)", "(ay)" },
	{ "('reason',)", "(ss)" },
};

START_TEST(wrong_shapes_are_errors)
{
	GVariant *in = g_variant_parse(NULL, bad_shapes[_i].body, NULL, NULL,
		NULL);
	DBusMessage *m = dbus_message_new_signal("/x", "org.x", "S");
	GError *err = NULL;
	GVariant *out = NULL;

	ck_assert_ptr_nonnull(in);
	ck_assert(msg_append(m, in, NULL));
	m = over_the_wire(m);
	ck_assert(!msg_get_args(m, bad_shapes[_i].expect, &out, &err));
	ck_assert_ptr_null(out);
	ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_MESSAGE));
	ck_assert_msg(strstr(err->message, bad_shapes[_i].expect), "%s",
		err->message);
	g_error_free(err);
	dbus_message_unref(m);
}
END_TEST

START_TEST(file_descriptors_are_refused)
{
	DBusMessage *m = dbus_message_new_method_call("org.x", "/x", "org.x",
		"M");
	int fd = dup(0);
	GError *err = NULL;

	ck_assert(dbus_message_append_args(m, DBUS_TYPE_UNIX_FD, &fd,
		DBUS_TYPE_INVALID));
	close(fd);
	ck_assert_ptr_null(msg_body(m, &err));
	ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_MESSAGE));
	g_error_free(err);
	dbus_message_unref(m);
}
END_TEST

START_TEST(error_replies_carry_name_and_text)
{
	DBusMessage *call = dbus_message_new_method_call("org.x", "/x", "org.x",
		"M");
	DBusMessage *e;
	GError *err = NULL;

	dbus_message_set_serial(call, 7);
	e = dbus_message_new_error(call, "org.bluez.Error.Failed",
		"le-connection-abort-by-local");
	ck_assert(msg_is_error(e, &err));
	ck_assert_int_eq(err->code, BCERROR_FAILED);
	ck_assert_str_eq(msg_error_name(e), "org.bluez.Error.Failed");
	ck_assert_str_eq(msg_error_text(e), "le-connection-abort-by-local");
	ck_assert_ptr_nonnull(strstr(err->message,
		"le-connection-abort-by-local"));
	ck_assert(!msg_is_error(call, NULL));
	ck_assert_ptr_null(msg_error_name(call));
	g_error_free(err);
	dbus_message_unref(e);
	dbus_message_unref(call);
}
END_TEST

START_TEST(building_refuses_invalid_values)
{
	DBusMessage *m = dbus_message_new_method_call("org.x", "/x", "org.x",
		"M");
	GError *err = NULL;

	/* not a tuple */
	ck_assert(!msg_append(m, g_variant_new_string("x"), &err));
	g_clear_error(&err);
	/* maybe types do not exist on D-Bus */
	ck_assert(!msg_append(m, g_variant_new("(ms)", "x"), &err));
	g_clear_error(&err);
	dbus_message_unref(m);
}
END_TEST

/* Values D-Bus cannot carry, inside containers: libdbus aborted the
 * process on the first three (found by fuzz_dbus); the bus drops a
 * connection that sends a message nested too deeply. */
static const char *const unsendable[] = {
	"([@ms 'x'],)",              /* an array of maybe */
	"(<@ms 'x'>,)",              /* a maybe in a variant */
	"({'k': <(1, @mb true)>},)", /* deeper, in a dict */
	"(@a(imi) [],)",             /* an empty array of them too */
	NULL,                        /* 70 variants deep */
};

START_TEST(values_dbus_cannot_carry_are_errors_not_aborts)
{
	DBusMessage *m = dbus_message_new_signal("/x", "org.x", "S");
	GError *err = NULL;
	GVariant *v;

	if (unsendable[_i]) {
		v = g_variant_parse(NULL, unsendable[_i], NULL, NULL, &err);
		ck_assert_msg(v, "%s", err ? err->message : "");
	} else {
		v = g_variant_new_int32(1);
		for (int i = 0; i < 70; i++)
			v = g_variant_new_variant(v);
		v = g_variant_new_tuple(&v, 1);
	}
	ck_assert(!msg_append(m, v, &err));
	ck_assert(g_error_matches(err, BCERROR, BCERROR_INVALID_ARGS));
	ck_assert_msg(strstr(err->message, "D-Bus"), "%s", err->message);
	g_clear_error(&err);
	dbus_message_unref(m);
}
END_TEST

START_TEST(dict_lookups_check_types)
{
	GVariant *d = g_variant_ref_sink(g_variant_parse(NULL,
		"{'Paired': <true>, 'Name': <'n'>, 'Bad': <1>}", NULL, NULL,
		NULL));
	bool b = false;
	const char *s = NULL;

	ck_assert(msg_dict_bool(d, "Paired", &b) && b);
	ck_assert(msg_dict_string(d, "Name", &s) && strcmp(s, "n") == 0);
	ck_assert(!msg_dict_bool(d, "Bad", &b));
	ck_assert(!msg_dict_bool(d, "Missing", &b));
	ck_assert(!msg_dict_string(d, "Paired", &s));
	g_variant_unref(d);
}
END_TEST

START_TEST(paths_are_validated)
{
	ck_assert(msg_valid_path("/org/bluez/hci0"));
	ck_assert(msg_valid_path("/"));
	ck_assert(!msg_valid_path("org/bluez"));
	ck_assert(!msg_valid_path("/org//bluez"));
	ck_assert(!msg_valid_path("/org/bluez/"));
	ck_assert(!msg_valid_path("/dev_C0:FF"));
	ck_assert(!msg_valid_path(NULL));
}
END_TEST

Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("conversion");

	tcase_add_loop_test(tc, values_survive_the_wire, 0,
		G_N_ELEMENTS(roundtrip));
	tcase_add_loop_test(tc, wrong_shapes_are_errors, 0,
		G_N_ELEMENTS(bad_shapes));
	tcase_add_test(tc, file_descriptors_are_refused);
	tcase_add_test(tc, error_replies_carry_name_and_text);
	tcase_add_test(tc, building_refuses_invalid_values);
	tcase_add_loop_test(tc, values_dbus_cannot_carry_are_errors_not_aborts,
		0, G_N_ELEMENTS(unsendable));
	tcase_add_test(tc, dict_lookups_check_types);
	tcase_add_test(tc, paths_are_validated);
	suite_add_tcase(s, tc);
	return s;
}
