/* SPDX-License-Identifier: MIT */
/*
 * check_verdict.c — the link classifier: what a reconnect attempt looked
 * like -> exactly one verdict and its confidence. Each row is a way real
 * BlueZ and real firmware behave.
 */
#include <check.h>
#include <glib.h>
#include <string.h>

#include "bondcheck/names.h"
#include "bondcheck/verdict.h"
#include "suites.h"

enum { NO = 0, YES = 1 };

static const struct {
	const char *what;
	bool bonded, bond_lost, adv, connected, dropped, resolved;
	bool replied, reply_ok;
	const char *error_text;
	const char *reason;
	int hci_enc, hci_disc;
	bool pairing, identity, timed_out;
	enum verdict verdict;
	enum confidence confidence;
} rows[] = {
	{ "healthy bonded reconnect", YES, NO, YES, YES, NO, YES, YES, YES,
		NULL, NULL, -1, -1, NO, NO, NO, VERDICT_PASS, CONFIDENCE_NONE },
	{ "5.66: Connect fails abort-by-local after the link came up", YES, NO,
		YES, YES, YES, NO, YES, NO, BLUEZ_LE_ABORT_BY_LOCAL, NULL, -1,
		-1, NO, NO, NO, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_INFERRED },
	{ "5.66: Connect succeeds, the link drops before resolving", YES, NO,
		YES, YES, YES, NO, YES, YES, NULL, NULL, -1, -1, NO, NO, NO,
		VERDICT_PEER_REMOVED_PAIRING, CONFIDENCE_INFERRED },
	{ "5.83: Disconnected(Authentication) confirms it", YES, NO, YES, YES,
		YES, NO, YES, NO, BLUEZ_LE_ABORT_BY_LOCAL, BLUEZ_REASON_AUTH,
		-1, -1, NO, NO, NO, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_CONFIRMED },
	{ "HCI Encryption Change 0x06 confirms it", YES, NO, YES, YES, YES, NO,
		YES, NO, BLUEZ_LE_ABORT_BY_LOCAL, NULL, 0x06, 0x05, NO, NO, NO,
		VERDICT_PEER_REMOVED_PAIRING, CONFIDENCE_CONFIRMED },
	{ "newer BlueZ says le-connection-key-missing", YES, NO, YES, YES, YES,
		NO, YES, NO, BLUEZ_LE_KEY_MISSING, NULL, -1, -1, NO, NO, NO,
		VERDICT_PEER_REMOVED_PAIRING, CONFIDENCE_CONFIRMED },
	{ "the DUT drops the link itself (0x13)", YES, NO, YES, YES, YES, NO,
		YES, NO, BLUEZ_LE_ABORT_BY_REMOTE, BLUEZ_REASON_REMOTE, -1,
		0x13, NO, NO, NO, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_INFERRED },
	/* the DUT's bluetoothd in the QEMU tier never attached ATT */
	{ "HCI: the bond's key encrypted the link, then it dropped", YES, NO,
		YES, YES, YES, NO, YES, YES, NULL, BLUEZ_REASON_REMOTE, 0x00,
		0x13, NO, NO, NO, VERDICT_RECONNECT_TIMEOUT,
		CONFIDENCE_INFERRED },
	{ "the agent was asked to pair during a bonded reconnect", YES, NO, YES,
		YES, NO, YES, YES, YES, NULL, NULL, -1, -1, YES, NO, NO,
		VERDICT_UNEXPECTED_PAIRING_REQUEST, CONFIDENCE_INFERRED },
	{ "the DUT came back as someone else", YES, NO, YES, NO, NO, NO, NO, NO,
		NULL, NULL, -1, -1, NO, YES, NO, VERDICT_IDENTITY_CHANGED,
		CONFIDENCE_INFERRED },
	{ "the host lost the bond", YES, YES, YES, NO, NO, NO, NO, NO, NULL,
		NULL, -1, -1, NO, NO, NO, VERDICT_LOCAL_BOND_LOST,
		CONFIDENCE_INFERRED },
	{ "never advertised, connect timed out", YES, NO, NO, NO, NO, NO, YES,
		NO, BLUEZ_LE_ABORT_BY_LOCAL, NULL, -1, -1, NO, NO, NO,
		VERDICT_NOT_ADVERTISING, CONFIDENCE_INFERRED },
	{ "advertised, but the link never came up", YES, NO, YES, NO, NO, NO,
		YES, NO, BLUEZ_LE_ABORT_BY_LOCAL, NULL, -1, -1, NO, NO, NO,
		VERDICT_RECONNECT_TIMEOUT, CONFIDENCE_INFERRED },
	{ "connected, services never resolved, timed out", YES, NO, YES, YES,
		NO, NO, YES, YES, NULL, NULL, -1, -1, NO, NO, YES,
		VERDICT_RECONNECT_TIMEOUT, CONFIDENCE_INFERRED },
	{ "no bond: a drop is not peer-removed-pairing", NO, NO, YES, YES, YES,
		NO, YES, NO, BLUEZ_LE_ABORT_BY_LOCAL, NULL, -1, -1, NO, NO, NO,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_INFERRED },
	{ "no bond: a pairing request is ordinary", NO, NO, YES, YES, NO, YES,
		YES, YES, NULL, NULL, -1, -1, YES, NO, NO, VERDICT_PASS,
		CONFIDENCE_NONE },
};

START_TEST(link_observations_classify)
{
	struct link_obs o;
	enum confidence c;
	const char *why = NULL;
	enum verdict v;

	link_obs_init(&o);
	o.bonded = rows[_i].bonded;
	o.bond_lost = rows[_i].bond_lost;
	o.dut_advertised = rows[_i].adv;
	o.connected = rows[_i].connected;
	o.dropped = rows[_i].dropped;
	o.resolved = rows[_i].resolved;
	o.replied = rows[_i].replied;
	o.reply_ok = rows[_i].reply_ok;
	o.error_text = rows[_i].error_text;
	o.error_name = rows[_i].error_text ? BLUEZ_ERR_FAILED : NULL;
	o.reason = rows[_i].reason;
	o.hci_encrypt_status = rows[_i].hci_enc;
	o.hci_disconnect_reason = rows[_i].hci_disc;
	o.pairing_requested = rows[_i].pairing;
	o.identity_changed = rows[_i].identity;
	o.timed_out = rows[_i].timed_out;
	v = verdict_classify_link(&o, &c, &why);
	ck_assert_msg(v == rows[_i].verdict && c == rows[_i].confidence,
		"%s: got %s (%s), want %s (%s)", rows[_i].what,
		verdict_to_str(v), confidence_to_str(c),
		verdict_to_str(rows[_i].verdict),
		confidence_to_str(rows[_i].confidence));
	ck_assert_ptr_nonnull(why);
}
END_TEST

/* the tier's phone line before its fix: LE Connection Complete 0x3e, and
 * Connect() unanswered until the step's timeout */
START_TEST(a_connection_the_controller_failed_says_so)
{
	struct link_obs o;
	enum confidence c;
	const char *why;

	link_obs_init(&o);
	o.bonded = o.dut_advertised = o.timed_out = true;
	o.hci_conn_failed = 0x3e;
	ck_assert_int_eq(verdict_classify_link(&o, &c, &why),
		VERDICT_RECONNECT_TIMEOUT);
	ck_assert_int_eq(c, CONFIDENCE_INFERRED);
	ck_assert_ptr_nonnull(strstr(why, "failed to be established"));
	o.replied = true;
	verdict_classify_link(&o, &c, &why);
	ck_assert_str_eq(why, "the device advertised but the link never came "
			      "up");
}
END_TEST

START_TEST(verdict_names_are_stable_and_round_trip)
{
	static const char *const names[VERDICT_COUNT] = { "pass",
		"peer-removed-pairing", "identity-changed",
		"unexpected-pairing-request", "subscription-lost",
		"local-bond-lost", "reconnect-timeout", "not-advertising",
		"expectation-failed", "gatt-error", "environment-error" };
	enum verdict v;
	enum confidence c;

	for (int i = 0; i < VERDICT_COUNT; i++) {
		ck_assert_str_eq(verdict_to_str(i), names[i]);
		ck_assert(verdict_from_str(names[i], &v) &&
			  v == (enum verdict)i);
		ck_assert(strlen(verdict_explain(i)) > 10);
	}
	ck_assert(!verdict_from_str("peer removed pairing", &v));
	ck_assert(!verdict_from_str(NULL, &v));
	ck_assert(confidence_from_str("confirmed", &c) &&
		  c == CONFIDENCE_CONFIRMED);
	ck_assert(!confidence_from_str("likely", &c));
	ck_assert(verdict_is_regression(VERDICT_PEER_REMOVED_PAIRING));
	ck_assert(!verdict_is_regression(VERDICT_ENVIRONMENT_ERROR));
	ck_assert(!verdict_is_regression(VERDICT_PASS));
}
END_TEST

Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("classifier");

	tcase_add_loop_test(tc, link_observations_classify, 0,
		G_N_ELEMENTS(rows));
	tcase_add_test(tc, verdict_names_are_stable_and_round_trip);
	tcase_add_test(tc, a_connection_the_controller_failed_says_so);
	suite_add_tcase(s, tc);
	return s;
}
