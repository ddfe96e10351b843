/* SPDX-License-Identifier: MIT */
/* check_bluez.c — addresses, UUIDs and lookups over a model. */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "suites.h"

static const struct {
	const char *in;
	bool ok;
} addrs[] = {
	{ "C0:FF:EE:00:13:42", true },
	{ "c0:ff:ee:00:13:42", true },
	{ "C0:FF:EE:00:13", false },
	{ "C0:FF:EE:00:13:4G", false },
	{ "C0-FF-EE-00-13-42", false },
	{ "C0:FF:EE:00:13:42:", false },
	{ "", false },
	{ NULL, false },
};

START_TEST(addresses_are_validated)
{
	ck_assert_int_eq(bluez_address_valid(addrs[_i].in), addrs[_i].ok);
}
END_TEST

static const struct {
	const char *in;
	const char *out; /* NULL: an error */
} uuids[] = {
	{ "2a6e", "00002a6e-0000-1000-8000-00805f9b34fb" },
	{ "2A6E", "00002a6e-0000-1000-8000-00805f9b34fb" },
	{ "0x181a", "0000181a-0000-1000-8000-00805f9b34fb" },
	{ "0000181A", "0000181a-0000-1000-8000-00805f9b34fb" },
	{ "b0dc0002-0000-4000-8000-00805F9B34FB",
		"b0dc0002-0000-4000-8000-00805f9b34fb" },
	{ "2a6", NULL },
	{ "2a6e0", NULL },
	{ "zz6e", NULL },
	{ "b0dc0002-0000-4000-8000-00805f9b34f", NULL },
	{ "b0dc0002x0000-4000-8000-00805f9b34fb", NULL },
	{ "", NULL },
};

START_TEST(uuids_are_normalised_or_refused)
{
	GError *err = NULL;
	char *got = bluez_uuid_normalize(uuids[_i].in, &err);

	if (uuids[_i].out) {
		ck_assert_msg(got, "%s: %s", uuids[_i].in,
			err ? err->message : "");
		ck_assert_str_eq(got, uuids[_i].out);
	} else {
		ck_assert_ptr_null(got);
		ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_INPUT));
		g_error_free(err);
	}
	g_free(got);
}
END_TEST

START_TEST(device_paths_follow_bluez)
{
	char *p = bluez_device_path("/org/bluez/hci0", "c0:ff:ee:00:13:42");

	ck_assert_str_eq(p, "/org/bluez/hci0/dev_C0_FF_EE_00_13_42");
	g_free(p);
}
END_TEST

static struct model *sample(void)
{
	struct model *m = model_new();
	GVariant *v = g_variant_ref_sink(g_variant_parse(NULL,
		"{objectpath '/org/bluez/hci0': {'org.bluez.Adapter1': "
		"{'Powered': <false>}},"
		" objectpath '/org/bluez/hci1': {'org.bluez.Adapter1': "
		"{'Powered': <true>}},"
		" objectpath '/org/bluez/hci1/dev_C0_FF_EE_00_13_42': "
		"{'org.bluez.Device1': {'Address': <'C0:FF:EE:00:13:42'>, "
		"'Name': <'mpy-temp'>, 'Paired': <true>}},"
		" objectpath '/org/bluez/hci1/dev_11_22_33_44_55_66': "
		"{'org.bluez.Device1': {'Address': <'11:22:33:44:55:66'>, "
		"'Alias': <'other'>, 'Paired': <true>, 'Bonded': <false>}},"
		" objectpath '/org/bluez/hci1/dev_C0_FF_EE_00_13_42/service000a/"
		"char000b': {'org.bluez.GattCharacteristic1': "
		"{'UUID': <'00002a6e-0000-1000-8000-00805f9b34fb'>}},"
		" objectpath '/org/bluez/hci1/dev_C0_FF_EE_00_13_42/service000a/"
		"char000b/desc000d': {'org.bluez.GattDescriptor1': "
		"{'UUID': <'00002902-0000-1000-8000-00805f9b34fb'>}}}",
		NULL, NULL, NULL));

	model_load(m, v);
	g_variant_unref(v);
	return m;
}

START_TEST(the_first_powered_adapter_is_chosen)
{
	struct model *m = sample();
	GError *err = NULL;

	ck_assert_str_eq(bluez_find_adapter(m, NULL, &err), "/org/bluez/hci1");
	ck_assert_str_eq(bluez_find_adapter(m, "hci0", &err),
		"/org/bluez/hci0");
	ck_assert_str_eq(bluez_find_adapter(m, "/org/bluez/hci1", &err),
		"/org/bluez/hci1");
	ck_assert_ptr_null(bluez_find_adapter(m, "hci7", &err));
	ck_assert(g_error_matches(err, BCERROR, BCERROR_NO_SUCH_ADAPTER));
	ck_assert_ptr_nonnull(strstr(err->message, "hci7"));
	g_error_free(err);
	model_free(m);
}
END_TEST

START_TEST(no_adapter_is_a_clear_error)
{
	struct model *m = model_new();
	GError *err = NULL;

	ck_assert_ptr_null(bluez_find_adapter(m, NULL, &err));
	ck_assert(g_error_matches(err, BCERROR, BCERROR_NO_SUCH_ADAPTER));
	g_error_free(err);
	model_free(m);
}
END_TEST

START_TEST(devices_are_found_by_address_and_name)
{
	struct model *m = sample();
	bool fp = false;

	ck_assert_str_eq(bluez_find_device(m, "/org/bluez/hci1",
				 "c0:ff:ee:00:13:42"),
		"/org/bluez/hci1/dev_C0_FF_EE_00_13_42");
	ck_assert_ptr_null(bluez_find_device(m, "/org/bluez/hci0",
		"C0:FF:EE:00:13:42"));
	ck_assert_str_eq(bluez_find_device_by_name(m, "/org/bluez/hci1",
				 "other"),
		"/org/bluez/hci1/dev_11_22_33_44_55_66");
	/* no Bonded property (BlueZ < 5.65): Paired stands in, and says so */
	ck_assert(bluez_device_bonded(m,
		"/org/bluez/hci1/dev_C0_FF_EE_00_13_42", &fp));
	ck_assert(fp);
	ck_assert(!bluez_device_bonded(m,
		"/org/bluez/hci1/dev_11_22_33_44_55_66", &fp));
	ck_assert(!fp);
	model_free(m);
}
END_TEST

START_TEST(gatt_attributes_are_found_below_their_device)
{
	struct model *m = sample();
	const char *c = bluez_find_chrc(m,
		"/org/bluez/hci1/dev_C0_FF_EE_00_13_42",
		"00002a6e-0000-1000-8000-00805f9b34fb");

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(bluez_find_desc(m, c, BLUEZ_UUID_CCCD));
	ck_assert_ptr_null(bluez_find_chrc(m,
		"/org/bluez/hci1/dev_11_22_33_44_55_66",
		"00002a6e-0000-1000-8000-00805f9b34fb"));
	model_free(m);
}
END_TEST

Suite *bluez_suite(void)
{
	Suite *s = suite_create("bluez");
	TCase *tc = tcase_create("bluez");

	tcase_add_loop_test(tc, addresses_are_validated, 0,
		G_N_ELEMENTS(addrs));
	tcase_add_loop_test(tc, uuids_are_normalised_or_refused, 0,
		G_N_ELEMENTS(uuids));
	tcase_add_test(tc, device_paths_follow_bluez);
	tcase_add_test(tc, the_first_powered_adapter_is_chosen);
	tcase_add_test(tc, no_adapter_is_a_clear_error);
	tcase_add_test(tc, devices_are_found_by_address_and_name);
	tcase_add_test(tc, gatt_attributes_are_found_below_their_device);
	suite_add_tcase(s, tc);
	return s;
}
