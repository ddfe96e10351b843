/* SPDX-License-Identifier: MIT */
/*
 * agent.h — our org.bluez.Agent1.
 *
 * Answers bluetoothd's pairing requests according to a policy, for the
 * devices under test only: each target (a slot: one per central of a run,
 * each the DUT's object under that central's adapter) has a policy of its
 * own, and requests for any other device are rejected with
 * org.bluez.Error.Rejected. bluetoothd keeps one agent per client, so one
 * agent serves every central of a run. Every request (and its answer) is reported to the
 * event callback so it lands in the run log. Registers with AgentManager1
 * (and as default agent on request), re-registers when bluetoothd comes back.
 *
 * Errors it answers bluetoothd with:
 *   org.bluez.Error.Rejected   foreign device, policy says no, no passkey/PIN
 */
#ifndef BONDCHECK_AGENT_H
#define BONDCHECK_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/service.h"

struct agent;

enum agent_request_type {
	AGENT_REQ_RELEASE,
	AGENT_REQ_PIN_CODE,
	AGENT_REQ_DISPLAY_PIN_CODE,
	AGENT_REQ_PASSKEY,
	AGENT_REQ_DISPLAY_PASSKEY,
	AGENT_REQ_CONFIRMATION,
	AGENT_REQ_AUTHORIZATION,
	AGENT_REQ_AUTHORIZE_SERVICE,
	AGENT_REQ_CANCEL,
};

const char *agent_request_type_to_str(enum agent_request_type type);

struct agent_request {
	enum agent_request_type type;
	const char *method; /* the Agent1 method name */
	const char *device; /* object path, NULL for Release/Cancel */
	uint32_t passkey;   /* RequestConfirmation, DisplayPasskey, answer */
	uint16_t entered;   /* DisplayPasskey */
	const char *pin;
	const char *uuid; /* AuthorizeService */
	bool foreign;     /* not the device under test */
	int slot;         /* the target it was for; -1 when foreign */
	bool accepted;
	const char *answer; /* human-readable answer, e.g. "rejected" */
};

struct agent_policy {
	bool accept;     /* Confirmation, Authorization, AuthorizeService */
	long passkey;    /* RequestPasskey answer; < 0: reject */
	const char *pin; /* RequestPinCode answer; NULL: reject */
};

typedef void (*agent_event_fn)(struct agent *agent,
	const struct agent_request *req, void *user_data);
typedef void (*agent_done_fn)(struct agent *agent, const GError *error,
	void *user_data);

/* IO capabilities BlueZ accepts: DisplayOnly, DisplayYesNo, KeyboardOnly,
 * NoInputNoOutput, KeyboardDisplay. */
bool agent_capability_valid(const char *capability);

struct agent *agent_new(struct service *svc, const char *path,
	const char *capability);
void agent_free(struct agent *agent);

/* Slot 0's target and policy. */
void agent_set_target(struct agent *agent, const char *device_path);
void agent_set_policy(struct agent *agent, const struct agent_policy *policy);
/* Slot @slot's (< AGENT_MAX_SLOTS): answer for @device_path (NULL: for
 * nothing) with @policy. */
#define AGENT_MAX_SLOTS 16
void agent_set_slot_target(struct agent *agent, unsigned slot,
	const char *device_path);
void agent_set_slot_policy(struct agent *agent, unsigned slot,
	const struct agent_policy *policy);
void agent_set_event_cb(struct agent *agent, agent_event_fn fn,
	void *user_data);

/* RegisterAgent (+ RequestDefaultAgent). @fn runs once with the result. */
void agent_register(struct agent *agent, bool make_default, agent_done_fn fn,
	void *user_data);
/* UnregisterAgent; @fn runs once (also when nothing was registered). */
void agent_unregister(struct agent *agent, agent_done_fn fn, void *user_data);
bool agent_is_registered(struct agent *agent);
const char *agent_path(struct agent *agent);

#endif
