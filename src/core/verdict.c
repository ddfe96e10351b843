/* SPDX-License-Identifier: MIT */
/*
 * verdict.c — verdict names and the link classifier. Pure; the rules here
 * are the ones doc/scenario-language.md documents per step.
 */
#include <string.h>

#include "bondcheck/names.h"
#include "bondcheck/verdict.h"

const char *verdict_to_str(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "pass";
	case VERDICT_PEER_REMOVED_PAIRING: return "peer-removed-pairing";
	case VERDICT_IDENTITY_CHANGED: return "identity-changed";
	case VERDICT_UNEXPECTED_PAIRING_REQUEST:
		return "unexpected-pairing-request";
	case VERDICT_SUBSCRIPTION_LOST: return "subscription-lost";
	case VERDICT_LOCAL_BOND_LOST: return "local-bond-lost";
	case VERDICT_RECONNECT_TIMEOUT: return "reconnect-timeout";
	case VERDICT_NOT_ADVERTISING: return "not-advertising";
	case VERDICT_EXPECTATION_FAILED: return "expectation-failed";
	case VERDICT_GATT_ERROR: return "gatt-error";
	case VERDICT_ENVIRONMENT_ERROR: return "environment-error";
	case VERDICT_COUNT: break;
	}
	return "unknown";
}

bool verdict_from_str(const char *s, enum verdict *v)
{
	for (int i = 0; i < VERDICT_COUNT; i++) {
		if (s && !strcmp(s, verdict_to_str(i))) {
			*v = i;
			return true;
		}
	}
	return false;
}

const char *verdict_explain(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "Everything behaved as expected.";
	case VERDICT_PEER_REMOVED_PAIRING:
		return "The device rebooted and no longer has, or can no longer "
		       "find, the keys of its bond with this host (an iPhone "
		       "says \"peer removed pairing information\").";
	case VERDICT_IDENTITY_CHANGED:
		return "The device came back under another identity address; "
		       "every bonded host sees a stranger.";
	case VERDICT_UNEXPECTED_PAIRING_REQUEST:
		return "A new pairing was requested although a bond exists; "
		       "users get a pairing prompt they should never see.";
	case VERDICT_SUBSCRIPTION_LOST:
		return "The device did not keep the bonded host's subscription "
		       "(its CCCD reads off after the reconnect); the evidence "
		       "says whether it still sent notifications.";
	case VERDICT_LOCAL_BOND_LOST:
		return "The bond is gone on the host side (BlueZ), not on the "
		       "device.";
	case VERDICT_RECONNECT_TIMEOUT:
		return "The device advertised but the reconnection did not "
		       "complete in time.";
	case VERDICT_NOT_ADVERTISING:
		return "The device was not seen advertising in time.";
	case VERDICT_EXPECTATION_FAILED:
		return "A scenario expectation was not met.";
	case VERDICT_GATT_ERROR: return "A GATT operation failed.";
	case VERDICT_ENVIRONMENT_ERROR:
		return "The test environment failed (bluetoothd, adapter, bus "
		       "or permissions), not the device.";
	case VERDICT_COUNT: break;
	}
	return "";
}

bool verdict_is_regression(enum verdict v)
{
	switch (v) {
	case VERDICT_PEER_REMOVED_PAIRING:
	case VERDICT_IDENTITY_CHANGED:
	case VERDICT_UNEXPECTED_PAIRING_REQUEST:
	case VERDICT_SUBSCRIPTION_LOST:
	case VERDICT_RECONNECT_TIMEOUT:
	case VERDICT_NOT_ADVERTISING:
	case VERDICT_EXPECTATION_FAILED:
	case VERDICT_GATT_ERROR: return true;
	case VERDICT_PASS:
	case VERDICT_LOCAL_BOND_LOST:
	case VERDICT_ENVIRONMENT_ERROR:
	case VERDICT_COUNT: return false;
	}
	return false;
}

const char *confidence_to_str(enum confidence c)
{
	switch (c) {
	case CONFIDENCE_NONE: return "none";
	case CONFIDENCE_INFERRED: return "inferred";
	case CONFIDENCE_CONFIRMED: return "confirmed";
	}
	return "none";
}

bool confidence_from_str(const char *s, enum confidence *c)
{
	for (int i = CONFIDENCE_NONE; i <= CONFIDENCE_CONFIRMED; i++) {
		if (s && !strcmp(s, confidence_to_str(i))) {
			*c = i;
			return true;
		}
	}
	return false;
}

void link_obs_init(struct link_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->hci_encrypt_status = -1;
	o->hci_disconnect_reason = -1;
}

/* The security failure is proven, not inferred, by any of these. */
static bool auth_confirmed(const struct link_obs *o)
{
	return o->hci_encrypt_status == 0x06 ||
	       o->hci_disconnect_reason == 0x05 ||
	       (o->reason && !strcmp(o->reason, BLUEZ_REASON_AUTH)) ||
	       (o->error_text && strstr(o->error_text, BLUEZ_LE_KEY_MISSING));
}

static bool connect_aborted(const struct link_obs *o)
{
	return o->error_text &&
	       (strstr(o->error_text, BLUEZ_LE_ABORT_BY_LOCAL) ||
		       strstr(o->error_text, BLUEZ_LE_ABORT_BY_REMOTE) ||
		       strstr(o->error_text, BLUEZ_LE_KEY_MISSING) ||
		       strstr(o->error_text, "Disconnected early"));
}

enum verdict verdict_classify_link(const struct link_obs *o,
	enum confidence *confidence, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*confidence = CONFIDENCE_INFERRED;

	if (o->bond_lost) {
		*why = "the host's bond disappeared (Bonded/Paired false or "
		       "the device object was removed)";
		return VERDICT_LOCAL_BOND_LOST;
	}
	if (o->identity_changed) {
		*why = "the device advertised again under another address";
		return VERDICT_IDENTITY_CHANGED;
	}
	if (o->pairing_requested && o->bonded) {
		*why = "the agent was asked to pair while a bond exists";
		return VERDICT_UNEXPECTED_PAIRING_REQUEST;
	}
	/*
	 * A new pairing over the bond, seen on HCI although no agent was
	 * asked (Just Works): e.g. the DUT asked for MITM security that a
	 * Just Works bond cannot give, so the host's stack paired again.
	 */
	if (o->hci_pairing && o->bonded &&
		!(o->replied && o->reply_ok && o->resolved && !o->dropped)) {
		*confidence = CONFIDENCE_CONFIRMED;
		*why = "a new pairing started over the bond (SMP Pairing "
		       "Request on HCI)";
		return VERDICT_UNEXPECTED_PAIRING_REQUEST;
	}
	if (o->replied && o->reply_ok && o->connected && o->resolved &&
		!o->dropped) {
		*confidence = CONFIDENCE_NONE;
		*why = "connected and services resolved";
		return VERDICT_PASS;
	}
	/*
	 * HCI says the bond's key encrypted the link (a DUT without it gives
	 * 0x06, one with another key fails the MIC): the DUT still holds the
	 * bond, whatever dropped the link after that
	 */
	if (o->bonded && o->hci_encrypt_status == 0 && o->connected &&
		o->dropped && !o->resolved && !auth_confirmed(o)) {
		*why = "the link dropped before services resolved, after the "
		       "bond's key had encrypted it (HCI Encryption Change 0x00)";
		return VERDICT_RECONNECT_TIMEOUT;
	}
	/*
	 * The link came up and fell before it was usable, or Connect() was
	 * aborted, or BlueZ says the authentication failed: with a bond, that
	 * is the device refusing or failing the encryption with the keys it
	 * should still have.
	 */
	if (o->bonded && (auth_confirmed(o) ||
				 (o->connected && o->dropped && !o->resolved) ||
				 (o->connected && connect_aborted(o)))) {
		if (auth_confirmed(o))
			*confidence = CONFIDENCE_CONFIRMED;
		*why = auth_confirmed(o) ?
		               "encryption with the bond's key failed (key missing)" :
		               "the link dropped before services resolved, with a "
		               "bond, while the device was reachable";
		return VERDICT_PEER_REMOVED_PAIRING;
	}
	if (!o->connected && o->unreported_drop) {
		*why = o->retried ?
		               "Connect() succeeded twice, but bluetoothd never "
		               "reported either link connected and each dropped" :
		               "Connect() succeeded, but bluetoothd never "
		               "reported the link connected and it dropped";
		return VERDICT_RECONNECT_TIMEOUT;
	}
	if (!o->connected) {
		if (!o->dut_advertised) {
			*why = "the device was not seen advertising and never "
			       "connected";
			return VERDICT_NOT_ADVERTISING;
		}
		/* the kernel (6.1) may never tell bluetoothd of it */
		*why = o->hci_conn_failed && !o->replied ?
		               "the device advertised, the controller reported that "
		               "the connection failed to be established, and "
		               "bluetoothd never answered Connect()" :
		               "the device advertised but the link never came up";
		return VERDICT_RECONNECT_TIMEOUT;
	}
	if (o->timed_out) {
		*why = "the link came up but did not become usable in time";
		return VERDICT_RECONNECT_TIMEOUT;
	}
	*why = "the connection failed";
	return VERDICT_EXPECTATION_FAILED;
}
