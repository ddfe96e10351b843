/* SPDX-License-Identifier: MIT */
/* check_bcerror.c — the D-Bus error table, the exit-status table and how
 * error messages quote what others sent. */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/names.h"
#include "suites.h"

static const struct {
	const char *name;
	enum bcerror_code code;
} names[] = {
	{ "org.bluez.Error.Failed", BCERROR_FAILED },
	{ "org.bluez.Error.AlreadyExists", BCERROR_ALREADY_EXISTS },
	{ "org.bluez.Error.AlreadyConnected", BCERROR_ALREADY_CONNECTED },
	{ "org.bluez.Error.NotConnected", BCERROR_NOT_CONNECTED },
	{ "org.bluez.Error.InProgress", BCERROR_IN_PROGRESS },
	{ "org.bluez.Error.DoesNotExist", BCERROR_DOES_NOT_EXIST },
	{ "org.bluez.Error.NotReady", BCERROR_NOT_READY },
	{ "org.bluez.Error.NotPermitted", BCERROR_NOT_PERMITTED },
	{ "org.bluez.Error.AuthenticationFailed", BCERROR_AUTH_FAILED },
	{ "org.bluez.Error.AuthenticationCanceled", BCERROR_AUTH_CANCELED },
	{ "org.bluez.Error.AuthenticationRejected", BCERROR_AUTH_REJECTED },
	{ "org.bluez.Error.AuthenticationTimeout", BCERROR_AUTH_TIMEOUT },
	{ "org.bluez.Error.ConnectionAttemptFailed",
		BCERROR_CONN_ATTEMPT_FAILED },
	{ "org.bluez.Error.Rejected", BCERROR_REJECTED },
	{ "org.bluez.Error.Canceled", BCERROR_CANCELED },
	{ "org.bluez.Error.InvalidArguments", BCERROR_INVALID_ARGS },
	{ "org.freedesktop.DBus.Error.NoReply", BCERROR_TIMEOUT },
	{ "org.freedesktop.DBus.Error.ServiceUnknown", BCERROR_NO_SERVICE },
	{ "org.freedesktop.DBus.Error.NameHasNoOwner", BCERROR_NO_SERVICE },
	{ "org.freedesktop.DBus.Error.AccessDenied", BCERROR_ACCESS_DENIED },
	{ "org.freedesktop.DBus.Error.UnknownObject", BCERROR_UNKNOWN_OBJECT },
	{ "org.freedesktop.DBus.Error.UnknownMethod", BCERROR_UNKNOWN_METHOD },
	{ "org.freedesktop.DBus.Error.Disconnected", BCERROR_DISCONNECTED },
	/* bondcheckd's own, as the CLI maps them to exit statuses */
	{ "org.bondcheck.Error.BadScenario", BCERROR_BAD_INPUT },
	{ "org.bondcheck.Error.UnknownRebootMethod", BCERROR_BAD_INPUT },
	{ "org.bondcheck.Error.InvalidArguments", BCERROR_INVALID_ARGS },
	{ "org.bondcheck.Error.QueueFull", BCERROR_ENVIRONMENT },
	{ "org.bondcheck.Error.ShuttingDown", BCERROR_ENVIRONMENT },
	{ "org.bondcheck.Error.NotRunning", BCERROR_NOT_AVAILABLE },
	/* names we do not know are generic failures, never a crash */
	{ "org.example.Error.Whatever", BCERROR_FAILED },
	{ "", BCERROR_FAILED },
	{ NULL, BCERROR_FAILED },
};

START_TEST(dbus_error_names_map_to_our_codes)
{
	ck_assert_msg(bcerror_from_dbus_name(names[_i].name) == names[_i].code,
		"%s -> %s, want %s", names[_i].name ? names[_i].name : "(null)",
		bcerror_code_to_str(bcerror_from_dbus_name(names[_i].name)),
		bcerror_code_to_str(names[_i].code));
}
END_TEST

START_TEST(our_codes_map_back_to_bluez_names)
{
	ck_assert_str_eq(bcerror_to_dbus_name(BCERROR_ALREADY_EXISTS),
		BLUEZ_ERR_ALREADY_EXISTS);
	ck_assert_str_eq(bcerror_to_dbus_name(BCERROR_REJECTED),
		BLUEZ_ERR_REJECTED);
	ck_assert_str_eq(bcerror_to_dbus_name(BCERROR_FAILED),
		BLUEZ_ERR_FAILED);
	/* a code with no bus name falls back to the generic D-Bus failure */
	ck_assert_str_eq(bcerror_to_dbus_name(BCERROR_IO), DBUS_ERR_FAILED);
}
END_TEST

static const struct {
	enum bcerror_code code;
	enum bc_exit status;
} exits[] = {
	{ BCERROR_BAD_INPUT, BC_EXIT_USAGE },
	{ BCERROR_INVALID_ARGS, BC_EXIT_USAGE },
	{ BCERROR_NO_SERVICE, BC_EXIT_ENV },
	{ BCERROR_ACCESS_DENIED, BC_EXIT_ENV },
	{ BCERROR_DISCONNECTED, BC_EXIT_ENV },
	{ BCERROR_NO_SUCH_ADAPTER, BC_EXIT_ENV },
	{ BCERROR_ENVIRONMENT, BC_EXIT_ENV },
	{ BCERROR_INTERRUPTED, BC_EXIT_INTERRUPTED },
	{ BCERROR_FAILED, BC_EXIT_FAILED },
	{ BCERROR_TIMEOUT, BC_EXIT_FAILED },
	{ BCERROR_AUTH_FAILED, BC_EXIT_FAILED },
};

START_TEST(codes_map_to_exit_statuses)
{
	GError *e = g_error_new_literal(BCERROR, exits[_i].code, "x");

	ck_assert_int_eq(bcerror_exit_status(e), exits[_i].status);
	g_error_free(e);
}
END_TEST

START_TEST(foreign_errors_exit_as_failures)
{
	GError *e = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");

	ck_assert_int_eq(bcerror_exit_status(e), BC_EXIT_FAILED);
	ck_assert_int_eq(bcerror_exit_status(NULL), BC_EXIT_FAILED);
	g_error_free(e);
}
END_TEST

START_TEST(every_code_has_a_name)
{
	for (int c = BCERROR_FAILED; c <= BCERROR_INTERRUPTED; c++)
		ck_assert_str_ne(bcerror_code_to_str(c), "unknown");
}
END_TEST

/* bcerror_quote: at most 64 bytes, cut at a character, "..." when cut */
static const struct {
	const char *in;
	const char *out;
} quotes[] = {
	{ NULL, "" },
	{ "", "" },
	{ "slow-boot", "slow-boot" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." },
	/* the cut would split the two bytes of an e-acute: before it */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zzzzz",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." },
	/* not UTF-8 at all (a command line can say anything): bytes */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xff",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." },
};

START_TEST(quotes_are_bounded_and_cut_at_a_character)
{
	char *q = bcerror_quote(quotes[_i].in);

	ck_assert_str_eq(q, quotes[_i].out);
	ck_assert_uint_le(strlen(q), BCERROR_QUOTE_MAX);
	g_free(q);
}
END_TEST

Suite *bcerror_suite(void)
{
	Suite *s = suite_create("bcerror");
	TCase *tc = tcase_create("tables");

	tcase_add_loop_test(tc, dbus_error_names_map_to_our_codes, 0,
		G_N_ELEMENTS(names));
	tcase_add_test(tc, our_codes_map_back_to_bluez_names);
	tcase_add_loop_test(tc, codes_map_to_exit_statuses, 0,
		G_N_ELEMENTS(exits));
	tcase_add_test(tc, foreign_errors_exit_as_failures);
	tcase_add_test(tc, every_code_has_a_name);
	tcase_add_loop_test(tc, quotes_are_bounded_and_cut_at_a_character, 0,
		G_N_ELEMENTS(quotes));
	suite_add_tcase(s, tc);
	return s;
}
