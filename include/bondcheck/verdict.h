/* SPDX-License-Identifier: MIT */
/*
 * verdict.h — the verdicts of DESIGN.md (stable identifiers used by logs,
 * JSON, JUnit and compare) and the classifier that turns what a link step
 * observed into exactly one verdict with a confidence. Pure.
 */
#ifndef BONDCHECK_VERDICT_H
#define BONDCHECK_VERDICT_H

#include <stdbool.h>

enum verdict {
	VERDICT_PASS,
	VERDICT_PEER_REMOVED_PAIRING,
	VERDICT_IDENTITY_CHANGED,
	VERDICT_UNEXPECTED_PAIRING_REQUEST,
	VERDICT_SUBSCRIPTION_LOST,
	VERDICT_LOCAL_BOND_LOST,
	VERDICT_RECONNECT_TIMEOUT,
	VERDICT_NOT_ADVERTISING,
	VERDICT_EXPECTATION_FAILED,
	VERDICT_GATT_ERROR,
	VERDICT_ENVIRONMENT_ERROR,
	VERDICT_COUNT,
};

const char *verdict_to_str(enum verdict v);
bool verdict_from_str(const char *s, enum verdict *v);
/* One sentence for people: what this verdict means about the firmware. */
const char *verdict_explain(enum verdict v);
/* Is it a regression of the device (as opposed to setup or environment)? */
bool verdict_is_regression(enum verdict v);

enum confidence {
	CONFIDENCE_NONE,      /* pass, or not applicable */
	CONFIDENCE_INFERRED,  /* from D-Bus behaviour only */
	CONFIDENCE_CONFIRMED, /* HCI 0x06/0x05, Disconnected(Authentication),
				 * le-connection-key-missing, or the DUT's own
				 * CCCD value */
};

const char *confidence_to_str(enum confidence c);
bool confidence_from_str(const char *s, enum confidence *c);

/* What a connect/reconnect attempt to the DUT looked like. */
struct link_obs {
	bool bonded;            /* host held a bond when it started */
	bool bond_lost;         /* Bonded/Paired went false, or the device
				    * object vanished, during the attempt */
	bool dut_advertised;    /* the DUT was seen advertising lately */
	bool connected;         /* Connected went true */
	bool dropped;           /* ...and fell to false again */
	bool resolved;          /* ServicesResolved went true (and stayed) */
	bool replied;           /* Connect() answered */
	bool reply_ok;          /* ...with success */
	const char *error_name; /* its D-Bus error, if any */
	const char *error_text;
	const char *reason;        /* Device1.Disconnected reason (5.83+) */
	int hci_encrypt_status;    /* Encryption Change status, -1 unknown */
	int hci_disconnect_reason; /* HCI disconnect reason, -1 unknown */
	bool pairing_requested;    /* the agent was asked to pair meanwhile */
	bool hci_pairing;          /* HCI: an SMP Pairing Request meanwhile */
	bool identity_changed;     /* the DUT came back under another address */
	bool timed_out;            /* the step's timeout expired */
	int hci_conn_failed;       /* HCI: an LE Connection Complete of the
				    * attempt with this error status (0x3e:
				    * Connection Failed to be Established);
				    * 0 none */
	bool hci_up;               /* HCI: the attempt's LE Connection
				    * Complete with status 0x00 */
	/* Connect() succeeded, then Connected went false without going true
	 * first: the link it answered for is gone, and bluetoothd never said
	 * it was up */
	bool unreported_drop;
	bool retried; /* ...and Connect() was called again, once */
};

void link_obs_init(struct link_obs *o);

/*
 * Classify an attempt that did not simply succeed (or did: then PASS).
 * *why gets a short static explanation of the rule that fired.
 */
enum verdict verdict_classify_link(const struct link_obs *o,
	enum confidence *confidence, const char **why);

#endif
