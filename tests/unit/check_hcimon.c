/* SPDX-License-Identifier: MIT */
/*
 * check_hcimon.c — the HCI monitor decoder: each frame that matters becomes
 * the event the engine reads, with the peer's address from its LE
 * connection; other controllers, other packets and broken frames are not.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/hcimon.h"
#include "suites.h"

struct seen {
	int n;
	char what[64];
	char address[32];
	int status;
	int reason;
	char text[160];
};

static void got(const struct engine_hci_event *ev, void *data)
{
	struct seen *s = data;

	s->n++;
	g_strlcpy(s->what, ev->what, sizeof(s->what));
	g_strlcpy(s->address, ev->address ? ev->address : "",
		sizeof(s->address));
	s->status = ev->status;
	s->reason = ev->reason;
	g_strlcpy(s->text, ev->text ? ev->text : "", sizeof(s->text));
}

/* LE Connection Complete: handle 0x2a, central, peer C0:FF:EE:00:13:42 */
static const uint8_t le_conn[] = { 0x3e, 19, 0x01, 0x00, 0x2a, 0x00, 0x00, 0x00,
	0x42, 0x13, 0x00, 0xee, 0xff, 0xc0, 0x28, 0x00, 0x00, 0x00, 0x2a, 0x00,
	0x00 };

static const struct {
	uint16_t opcode;
	uint8_t data[32];
	size_t len;
	const char *what;
	int status, reason;
	const char *text;
} frames[] = {
	{ 3, { 0x08, 4, 0x06, 0x2a, 0x00, 0x00 }, 6, "encryption-change", 6, -1,
		"Encryption Change status 0x06 (PIN or Key Missing), "
		"encryption off" },
	{ 3, { 0x08, 4, 0x00, 0x2a, 0x00, 0x01 }, 6, "encryption-change", 0, -1,
		"Encryption Change status 0x00, encryption on" },
	{ 3, { 0x59, 5, 0x00, 0x2a, 0x00, 0x01, 0x10 }, 7, "encryption-change",
		0, -1, NULL },
	{ 3, { 0x05, 4, 0x00, 0x2a, 0x00, 0x05 }, 6, "disconnect", 0, 5,
		"Disconnect Complete reason 0x05 (Authentication Failure)" },
	{ 3, { 0x3e, 13, 0x05, 0x2a, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 }, 15,
		"ltk-request", -1, -1, "LE Long Term Key Request" },
	{ 2, { 0x19, 0x20, 28, 0x2a, 0x00 }, 31, "start-encryption", -1, -1,
		NULL },
	{ 2, { 0x1b, 0x20, 2, 0x2a, 0x00 }, 5, "ltk-negative-reply", -1, -1,
		NULL },
	/* ACL, handle 0x2a start fragment, L2CAP len 7 on CID 6: SMP */
	{ 4, { 0x2a, 0x20, 11, 0, 7, 0, 6, 0, 0x01, 0x01, 0x00, 0x0d, 16, 5, 7 },
		15, "smp-pairing-request", -1, -1,
		"SMP Pairing Request sent (auth 0x0d: Bonding, MITM, SC): a new "
		"pairing" },
	{ 5, { 0x2a, 0x20, 6, 0, 2, 0, 6, 0, 0x0b, 0x09 }, 10,
		"smp-security-request", -1, -1,
		"SMP Security Request received (auth 0x09: Bonding, No MITM, SC)" },
	{ 4, { 0x2a, 0x20, 6, 0, 2, 0, 6, 0, 0x05, 0x0f }, 10,
		"smp-pairing-failed", -1, 0x0f, NULL },
	/* the rest of SMP, each way */
	{ 4, { 0x2a, 0x20, 5, 0, 1, 0, 6, 0, 0x0c }, 9, "smp", -1, -1,
		"SMP Pairing Public Key sent" },
	{ 5, { 0x2a, 0x20, 5, 0, 1, 0, 6, 0, 0x02 }, 9, "smp", -1, -1,
		"SMP Pairing Response received" },
	/* ATT: a notification the DUT sent, handle 0x000c */
	{ 5, { 0x2a, 0x20, 7, 0, 3, 0, 4, 0, 0x1b, 0x0c, 0x00 }, 11,
		"att-notification", -1, -1,
		"ATT Handle Value Notification received, handle 0x000c" },
};

START_TEST(each_frame_that_matters_becomes_an_event)
{
	struct seen s = { 0 };
	struct hcimon *m = hcimon_new_detached(0, got, &s);

	ck_assert(hcimon_feed(m, 3, 0, le_conn, sizeof(le_conn)));
	ck_assert_str_eq(s.what, "le-connection");
	ck_assert_str_eq(s.address, "C0:FF:EE:00:13:42");
	ck_assert(hcimon_feed(m, frames[_i].opcode, 0, frames[_i].data,
		frames[_i].len));
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.what, frames[_i].what);
	ck_assert_str_eq(s.address, "C0:FF:EE:00:13:42");
	ck_assert_int_eq(s.status, frames[_i].status);
	ck_assert_int_eq(s.reason, frames[_i].reason);
	if (frames[_i].text)
		ck_assert_str_eq(s.text, frames[_i].text);
	hcimon_free(m);
}
END_TEST

static const struct {
	uint16_t opcode;
	uint16_t index;
	uint8_t data[16];
	size_t len;
} ignored[] = {
	{ 3, 1, { 0x08, 4, 0x06, 0x2a, 0x00, 0x00 }, 6 },  /* hci1 */
	{ 3, 0, { 0x08, 4, 0x06 }, 3 },                    /* cut short */
	{ 3, 0, { 0x08, 40, 0x06, 0x2a, 0x00, 0x00 }, 6 }, /* lying length */
	{ 3, 0, { 0x0e, 4, 1, 0x03, 0x0c, 0 }, 6 },        /* not ours */
	{ 3, 0, { 0x3e, 1, 0x01 }, 3 },                    /* short LE meta */
	{ 4, 0, { 0x2a, 0x20, 6, 0, 2, 0, 4, 0, 0x0b, 0x09 }, 10 }, /* ATT */
	{ 4, 0, { 0x2a, 0x10, 6, 0, 2, 0, 6, 0, 0x0b, 0x09 }, 10 }, /* cont. */
	{ 4, 0, { 0x2a, 0x20, 60, 0, 2, 0, 6, 0, 0x0b, 0x09 }, 10 },
	{ 12, 0, { 0 }, 1 }, /* a note */
	{ 0, 0, { 0 }, 0 },
};

START_TEST(other_controllers_and_broken_frames_are_ignored)
{
	struct seen s = { 0 };
	struct hcimon *m = hcimon_new_detached(0, got, &s);

	ck_assert(!hcimon_feed(m, ignored[_i].opcode, ignored[_i].index,
		ignored[_i].data, ignored[_i].len));
	ck_assert_int_eq(s.n, 0);
	hcimon_free(m);
}
END_TEST

START_TEST(nothing_is_reported_before_the_adapter_is_known)
{
	struct seen s = { 0 };
	struct hcimon *m = hcimon_new_detached(-1, got, &s);

	ck_assert(!hcimon_feed(m, 3, 0, frames[0].data, frames[0].len));
	hcimon_set_index(m, 0);
	ck_assert(hcimon_feed(m, 3, 0, frames[0].data, frames[0].len));
	ck_assert_str_eq(s.address, ""); /* no LE connection seen */
	hcimon_free(m);
}
END_TEST

static const struct {
	const char *in;
	int index;
} indexes[] = {
	{ "hci0", 0 },
	{ "hci12", 12 },
	{ "/org/bluez/hci3", 3 },
	{ "hci", -1 },
	{ "hci1x", -1 },
	{ "usb0", -1 },
	{ "", -1 },
	{ NULL, -1 },
	{ "hci99999", -1 },
};

START_TEST(adapter_names_give_their_index)
{
	ck_assert_int_eq(hcimon_index_of(indexes[_i].in), indexes[_i].index);
}
END_TEST

START_TEST(without_bluetooth_or_permission_it_says_so)
{
	struct seen s = { 0 };
	GError *err = NULL;
	struct hcimon *m = hcimon_new(0, got, &s, &err);

	/* this machine may or may not have Bluetooth and CAP_NET_RAW */
	if (m) {
		hcimon_free(m);
		return;
	}
	ck_assert(err->code == BCERROR_NOT_SUPPORTED ||
		  err->code == BCERROR_NOT_PERMITTED);
	ck_assert_ptr_nonnull(strstr(err->message, "HCI monitor channel"));
	g_error_free(err);
}
END_TEST

struct own {
	int n;
	int type;
	char address[32];
	char peer[32];
};

static void got_own(const struct engine_hci_event *ev, void *data)
{
	struct own *o = data;

	if (strcmp(ev->what, "le-create-connection"))
		return;
	o->n++;
	o->type = ev->own_address_type;
	g_strlcpy(o->address, ev->own_address ? ev->own_address : "",
		sizeof(o->address));
	g_strlcpy(o->peer, ev->address ? ev->address : "", sizeof(o->peer));
}

/* The central's own address: LE Set Random Address, then LE (Extended)
 * Create Connection with its own address type. */
START_TEST(the_central_address_of_each_connection_is_decoded)
{
	static const uint8_t set_random[] = { 0x05, 0x20, 6, 0x9a, 0x78, 0x56,
		0x34, 0x12, 0x5a };
	static const uint8_t create[] = { 0x0d, 0x20, 25, 0x60, 0, 0x60, 0, 0,
		0, 0x42, 0x13, 0x00, 0xee, 0xff, 0xc0, 0x01, 0x18, 0, 0x28, 0,
		0, 0, 0x2a, 0, 0, 0, 0, 0 };
	static const uint8_t ext_create[] = { 0x43, 0x20, 10, 0, 0x00, 0, 0x42,
		0x13, 0x00, 0xee, 0xff, 0xc0, 0x01 };
	struct own o = { 0 };
	struct hcimon *m = hcimon_new_detached(0, got_own, &o);

	ck_assert(hcimon_feed(m, 2, 0, set_random, sizeof(set_random)));
	ck_assert(hcimon_feed(m, 2, 0, create, sizeof(create)));
	ck_assert_int_eq(o.n, 1);
	ck_assert_int_eq(o.type, 1);
	ck_assert_str_eq(o.address, "5A:12:34:56:78:9A");
	ck_assert_str_eq(o.peer, "C0:FF:EE:00:13:42");
	ck_assert(hcimon_feed(m, 2, 0, ext_create, sizeof(ext_create)));
	ck_assert_int_eq(o.n, 2);
	ck_assert_int_eq(o.type, 0);
	ck_assert_str_eq(o.address, "");
	/* cut short: nothing */
	ck_assert(!hcimon_feed(m, 2, 0, create, 10));
	hcimon_free(m);
}
END_TEST

Suite *hcimon_suite(void)
{
	Suite *s = suite_create("hcimon");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, each_frame_that_matters_becomes_an_event, 0,
		G_N_ELEMENTS(frames));
	tcase_add_loop_test(tc, other_controllers_and_broken_frames_are_ignored,
		0, G_N_ELEMENTS(ignored));
	tcase_add_test(tc, nothing_is_reported_before_the_adapter_is_known);
	tcase_add_loop_test(tc, adapter_names_give_their_index, 0,
		G_N_ELEMENTS(indexes));
	tcase_add_test(tc, without_bluetooth_or_permission_it_says_so);
	tcase_add_test(tc, the_central_address_of_each_connection_is_decoded);
	suite_add_tcase(s, tc);
	return s;
}
