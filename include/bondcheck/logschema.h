/* SPDX-License-Identifier: MIT */
/*
 * logschema.h — the run log's schema (doc/log-schema.md) in one place: the
 * event types, the member keys, the values of the members that take one of
 * a fixed set, which members the structural events carry and of what JSON
 * type, and the builders that write members. The writer (evlog), the engine,
 * the reader (logread), compare and report name the schema only through this
 * header. Pure: no I/O.
 *
 * It must never change what a log holds by itself: a new event type or
 * member is added here and in doc/log-schema.md, and readers ignore what
 * they do not know; a change that breaks readers needs a new LOG_SCHEMA.
 */
#ifndef BONDCHECK_LOGSCHEMA_H
#define BONDCHECK_LOGSCHEMA_H

#include <json-glib/json-glib.h>
#include <stdbool.h>

/* run-start "schema" and "tool" */
#define LOG_SCHEMA 1
#define LOG_TOOL   "bondcheck"

/* ---- event types ("type") ---- */

enum log_event {
	LOG_EVENT_RUN_START,
	LOG_EVENT_STEP_START,
	LOG_EVENT_STEP_END,
	LOG_EVENT_RUN_END,
	LOG_EVENT_BLUEZ,   /* raw: a D-Bus call, reply or change */
	LOG_EVENT_AGENT,   /* raw: our pairing agent */
	LOG_EVENT_TRIGGER, /* raw: a reboot trigger */
	LOG_EVENT_SIM,     /* raw: the simulator's Trace */
	LOG_EVENT_HCI,     /* raw: the kernel's HCI monitor */
	LOG_EVENT_NOTE,    /* something the user should know once */
	LOG_EVENT_COUNT,
};

const char *log_event_to_str(enum log_event ev);
/* false for a type this bondcheck does not know (a reader ignores it) */
bool log_event_from_str(const char *s, enum log_event *ev);
/* run-start, step-start, step-end, run-end: what readers check and use */
bool log_event_is_structural(enum log_event ev);

/* ---- member keys ---- */

/*
 * A key is listed once, under the event it first appears in; the same key
 * in another event or in a nested object means the same thing there
 * (doc/log-schema.md says which event has which).
 */

/* every event: the type, and microseconds since the run started */
#define LOG_KEY_TYPE "type"
#define LOG_KEY_T    "t"
/* every event that belongs to one central (step, bluez, agent request,
 * trigger, hci, a sim trace naming it): its name; absent in logs before
 * several centrals, which read as "default" */
#define LOG_KEY_CENTRAL     "central"
#define LOG_CENTRAL_DEFAULT "default"

/*
 * run-start; scenario {name, file, sha256, steps}, device {address, name},
 * adapter {path, address}, sim {enabled, faults, time_scale, seed and
 * settings (when enabled)}
 */
#define LOG_KEY_SCHEMA        "schema"
#define LOG_KEY_TOOL          "tool"
#define LOG_KEY_VERSION       "version"
#define LOG_KEY_SCENARIO      "scenario"
#define LOG_KEY_NAME          "name"
#define LOG_KEY_FILE          "file"
#define LOG_KEY_SHA256        "sha256"
#define LOG_KEY_STEPS         "steps"
#define LOG_KEY_LABEL         "label"
#define LOG_KEY_DEVICE        "device"
#define LOG_KEY_ADDRESS       "address"
#define LOG_KEY_ADAPTER       "adapter"
#define LOG_KEY_PATH          "path"
#define LOG_KEY_BLUEZ_VERSION "bluez_version"
#define LOG_KEY_KERNEL        "kernel"
#define LOG_KEY_SIM           "sim"
#define LOG_KEY_ENABLED       "enabled"
#define LOG_KEY_FAULTS        "faults"
#define LOG_KEY_TIME_SCALE    "time_scale"
#define LOG_KEY_SEED          "seed"
/* run-start sim: settings {KEY: VALUE} of the simulated DUT and adapters
 * (bondcheck faults --settings), each as it was in effect */
#define LOG_KEY_SETTINGS   "settings"
#define LOG_KEY_STARTED_AT "started_at"
/*
 * run-start's scenario.plan (runplan.h): the step tree, one object per
 * step {line, step, as} or block {line, repeat | each, steps} ("step", not
 * "name": a plan is no step event to whoever greps for "name":"scan")
 */
#define LOG_KEY_PLAN   "plan"
#define LOG_KEY_STEP   "step"
#define LOG_KEY_AS     "as"
#define LOG_KEY_REPEAT "repeat"
#define LOG_KEY_EACH   "each"
/*
 * run-start: centrals [{name, adapter {path, address}, privacy {wanted,
 * found, source, error, set}}]: each central's address privacy as asked
 * (LOG_PRIVACY_*), as its adapter had it, where that was read
 * (LOG_PRIVACY_SOURCE_*), why it is unknown, and whether bondcheck sets it
 * for the run. run-end: centrals [{name, privacy {setting, restored,
 * restore_error, links {public, rpa, random}}}], and the run's coverage
 * {central_address, observed, rpa_bugs, text} (LOG_COVERAGE_*)
 */
#define LOG_KEY_CENTRALS        "centrals"
#define LOG_KEY_PRIVACY         "privacy"
#define LOG_KEY_WANTED          "wanted"
#define LOG_KEY_FOUND           "found"
#define LOG_KEY_SOURCE          "source"
#define LOG_KEY_SET             "set"
#define LOG_KEY_SETTING         "setting"
#define LOG_KEY_RESTORED        "restored"
#define LOG_KEY_RESTORE_ERROR   "restore_error"
#define LOG_KEY_LINKS           "links"
#define LOG_KEY_PUBLIC          "public"
#define LOG_KEY_RPA             "rpa"
#define LOG_KEY_RANDOM          "random"
#define LOG_KEY_COVERAGE        "coverage"
#define LOG_KEY_CENTRAL_ADDRESS "central_address"
#define LOG_KEY_OBSERVED        "observed"
#define LOG_KEY_RPA_BUGS        "rpa_bugs"

/* step-start and step-end: where the step is, and what came of it */
#define LOG_KEY_INDEX      "index"
#define LOG_KEY_LINE       "line"
#define LOG_KEY_ITERATION  "iteration"
#define LOG_KEY_TEXT       "text"
#define LOG_KEY_TIMEOUT_MS "timeout_ms"
#define LOG_KEY_RESULT     "result"
#define LOG_KEY_VERDICT    "verdict"
#define LOG_KEY_CONFIDENCE "confidence"
#define LOG_KEY_ELAPSED_MS "elapsed_ms"
#define LOG_KEY_MESSAGE    "message"
#define LOG_KEY_EVIDENCE   "evidence"

/* step-end's evidence; dbus_error {name, message} */
#define LOG_KEY_TIMELINE             "timeline"
#define LOG_KEY_DBUS_ERROR           "dbus_error"
#define LOG_KEY_DISCONNECTED_REASON  "disconnected_reason"
#define LOG_KEY_AGENT                "agent"
#define LOG_KEY_HCI                  "hci"
#define LOG_KEY_SIM_TRACE            "sim_trace"
#define LOG_KEY_RULE                 "rule"
#define LOG_KEY_LATENCY_MS           "latency_ms"
#define LOG_KEY_LINK_LOST_AFTER_MS   "link_lost_after_ms"
#define LOG_KEY_ADVERTISING_AFTER_MS "advertising_after_ms"
/* reconnect: "early" when it took over the Connect() its reboot step made
 * while the DUT was down (the kernel connected at its first
 * advertisement); absent when it called Connect() itself */
#define LOG_KEY_CONNECT   "connect"
#define LOG_CONNECT_EARLY "early"
/* ...which brought no link after the DUT advertised (bluetoothd 5.66 can
 * pick the BR/EDR bearer for a device it does not see): cancelled, and
 * Connect() called anew */
#define LOG_CONNECT_EARLY_THEN_ANEW "early-then-anew"
/* connect/reconnect: why it called Connect() a second time (once at
 * most): "unreported-link-dropped", Connect() succeeded and Connected then
 * went false with no Connected=true between (bluetoothd 5.66 in the QEMU
 * tier never reported a link the controller brought up and encrypted) */
#define LOG_KEY_CONNECT_RETRY        "connect_retry"
#define LOG_CONNECT_RETRY_UNREPORTED "unreported-link-dropped"
/* ...or "encrypted-link-dropped": HCI showed the bond's key encrypt the
 * link (Encryption Change 0x00), and it dropped before services resolved
 * (the DUT's bluetoothd in the QEMU tier never attached ATT) */
#define LOG_CONNECT_RETRY_ENCRYPTED "encrypted-link-dropped"
#define LOG_KEY_VIA                 "via"
#define LOG_KEY_TRIGGER_STATUS      "trigger_status"
/* reboot via=command: the command's last lines of output */
#define LOG_KEY_TRIGGER_OUTPUT "trigger_output"
#define LOG_KEY_VALUE          "value"
#define LOG_KEY_CCCD           "cccd"
#define LOG_KEY_NOTIFICATIONS  "notifications"
#define LOG_KEY_PAIRING_MS     "pairing_ms"
#define LOG_KEY_IO             "io"
/* pair: the association model our agent's requests showed */
#define LOG_KEY_PAIRING_METHOD        "pairing_method"
#define LOG_KEY_NEW_ADDRESS           "new_address"
#define LOG_KEY_NEW_ADDRESS_TYPE      "new_address_type"
#define LOG_KEY_OLD_ADDRESS           "old_address"
#define LOG_KEY_GATT_OBJECTS_REPLACED "gatt_objects_replaced"
/* a failed reconnect's bond_history {bond_order, bonded_after, oldest},
 * and dut_trace: what the simulated DUT said of this central's keys */
#define LOG_KEY_BOND_HISTORY "bond_history"
#define LOG_KEY_BOND_ORDER   "bond_order"
#define LOG_KEY_BONDED_AFTER "bonded_after"
#define LOG_KEY_OLDEST       "oldest"
#define LOG_KEY_DUT_TRACE    "dut_trace"
/* connect/reconnect: the central's own address on the attempt's link, and
 * whether the failure depends on the central's privacy */
#define LOG_KEY_CENTRAL_ADDRESS_TYPE "central_address_type"
#define LOG_KEY_PRIVACY_DEPENDENT    "privacy_dependent"
/* pair: where a pairing that never completed stopped, on HCI */
#define LOG_KEY_SMP_LAST_SENT     "smp_last_sent"
#define LOG_KEY_SMP_LAST_RECEIVED "smp_last_received"
#define LOG_KEY_SMP_SILENT_MS     "smp_silent_ms"
/* expect-notify: what the DUT sent on the link since it came back */
#define LOG_KEY_NOTIFICATIONS_SEEN "notifications_seen"
/* reboot: hard or graceful, and how the link ended */
#define LOG_KEY_KIND              "kind"
#define LOG_KEY_DISCONNECT_REASON "disconnect_reason"

/* run-end; steps {run, passed, total} */
#define LOG_KEY_RUN         "run"
#define LOG_KEY_PASSED      "passed"
#define LOG_KEY_FAILED      "failed"
#define LOG_KEY_TOTAL       "total"
#define LOG_KEY_EXIT_STATUS "exit_status"
/* false: the run never started (engine_log_not_started()); absent else */
#define LOG_KEY_STARTED "started"

/* the raw events: bluez, agent, trigger, sim, hci, note */
#define LOG_KEY_EVENT      "event"
#define LOG_KEY_METHOD     "method"
#define LOG_KEY_OK         "ok"
#define LOG_KEY_ERROR      "error"
#define LOG_KEY_MS         "ms"
#define LOG_KEY_IFACE      "iface"
#define LOG_KEY_PASSKEY    "passkey"
#define LOG_KEY_FOREIGN    "foreign"
#define LOG_KEY_ACCEPTED   "accepted"
#define LOG_KEY_ANSWER     "answer"
#define LOG_KEY_CAPABILITY "capability"
#define LOG_KEY_STATUS     "status"
#define LOG_KEY_STREAM     "stream"
#define LOG_KEY_REASON     "reason"
#define LOG_KEY_TRACE      "trace"
#define LOG_KEY_WHAT       "what"
/* hci le-create-connection: the central's own address type and address */
#define LOG_KEY_OWN_ADDRESS_TYPE "own_address_type"
#define LOG_KEY_OWN_ADDRESS      "own_address"
/* in a sim event's trace: the simulator's own clock (doc/simulator.md) */
#define LOG_KEY_T_US "t_us"

/* ---- values of members that take one of a fixed set ---- */

/* step-end "result" */
enum log_step_result {
	LOG_STEP_PASS,
	LOG_STEP_FAIL,
	LOG_STEP_ERROR, /* the environment, not the device */
	LOG_STEP_INTERRUPTED,
	LOG_STEP_RESULT_COUNT,
};

const char *log_step_result_to_str(enum log_step_result r);
bool log_step_result_from_str(const char *s, enum log_step_result *r);

/* run-end "result" */
enum log_run_result {
	LOG_RUN_PASSED,
	LOG_RUN_FAILED,
	LOG_RUN_ERROR,
	LOG_RUN_INTERRUPTED,
	LOG_RUN_RESULT_COUNT,
};

const char *log_run_result_to_str(enum log_run_result r);
bool log_run_result_from_str(const char *s, enum log_run_result *r);

/* bluez "event" */
enum log_bluez {
	LOG_BLUEZ_CALL,     /* method, path */
	LOG_BLUEZ_REPLY,    /* method, path, ok, error, message, ms */
	LOG_BLUEZ_PROPERTY, /* path, iface, name, value */
	LOG_BLUEZ_ADDED,    /* path, iface */
	LOG_BLUEZ_REMOVED,  /* path, iface */
	LOG_BLUEZ_SIGNAL,   /* path, iface, name, value */
	LOG_BLUEZ_RESET,    /* the mirror of BlueZ's objects restarted */
	LOG_BLUEZ_SYNCED,   /* ...and holds all of them again */
	LOG_BLUEZ_COUNT,
};

const char *log_bluez_to_str(enum log_bluez ev);
bool log_bluez_from_str(const char *s, enum log_bluez *ev);

/* agent "event" (the agent's own life; requests carry "method") */
#define LOG_AGENT_REGISTERED      "registered"
#define LOG_AGENT_UNREGISTERED    "unregistered"
#define LOG_AGENT_REGISTER_FAILED "register-failed"

/* trigger "event" */
#define LOG_TRIGGER_START "start"
#define LOG_TRIGGER_DONE  "done"
#define LOG_TRIGGER_EXIT  "exit"

/* hci "event": what the kernel's HCI monitor saw (src/bus/hcimon.c) */
#define LOG_HCI_LE_CONNECTION        "le-connection"
#define LOG_HCI_START_ENCRYPTION     "start-encryption"
#define LOG_HCI_ENCRYPTION_CHANGE    "encryption-change"
#define LOG_HCI_DISCONNECT           "disconnect"
#define LOG_HCI_LTK_REQUEST          "ltk-request"
#define LOG_HCI_LTK_NEGATIVE_REPLY   "ltk-negative-reply"
#define LOG_HCI_SMP_SECURITY_REQUEST "smp-security-request"
#define LOG_HCI_SMP_PAIRING_REQUEST  "smp-pairing-request"
#define LOG_HCI_SMP_PAIRING_FAILED   "smp-pairing-failed"
/* the central's own address: LE Set Random Address, LE (Extended) Create
 * Connection with own_address_type and own_address */
#define LOG_HCI_LE_SET_RANDOM_ADDRESS "le-set-random-address"
#define LOG_HCI_LE_CREATE_CONNECTION  "le-create-connection"
/* any other SMP PDU (sent or received), and an ATT notification or
 * indication the peer sent */
#define LOG_HCI_SMP              "smp"
#define LOG_HCI_ATT_NOTIFICATION "att-notification"

/* note "what" */
#define LOG_NOTE_HCI                "hci"
#define LOG_NOTE_CAPTURE            "capture"
#define LOG_NOTE_NO_BONDED_PROPERTY "no-bonded-property"
#define LOG_NOTE_PRIVACY            "privacy"
/* --keep-going: a failed step inside a repeat block, and what of its
 * iteration was skipped */
#define LOG_NOTE_KEEP_GOING "keep-going"
#define LOG_NOTE_CLEANUP    "cleanup"

/* run-start privacy "wanted" and "found"; "source" */
#define LOG_PRIVACY_ON          "on"
#define LOG_PRIVACY_OFF         "off"
#define LOG_PRIVACY_DEFAULT     "default" /* wanted: the adapter as it is */
#define LOG_PRIVACY_SOURCE_SIM  "sim"     /* the simulator's Sim1.Privacy */
#define LOG_PRIVACY_SOURCE_MGMT "mgmt"    /* Read Controller Information */

/* run-end coverage "central_address" */
#define LOG_COVERAGE_ADDR_PUBLIC  "public"
#define LOG_COVERAGE_ADDR_RPA     "resolvable-private"
#define LOG_COVERAGE_ADDR_MIXED   "mixed"
#define LOG_COVERAGE_ADDR_NONE    "none" /* no link was made */
#define LOG_COVERAGE_ADDR_UNKNOWN "unknown"
/* "observed": how it is known */
#define LOG_COVERAGE_SEEN_HCI     "hci"     /* LE Create Connection */
#define LOG_COVERAGE_SEEN_SIM     "sim"     /* the simulator's trace */
#define LOG_COVERAGE_SEEN_SETTING "setting" /* the adapter's privacy */
#define LOG_COVERAGE_SEEN_NONE    "none"
/* "rpa_bugs": could RPA-dependent key-lookup bugs (the seed bug) show? */
#define LOG_COVERAGE_COULD_SHOW     "could-show"
#define LOG_COVERAGE_COULD_NOT_SHOW "could-not-show"
#define LOG_COVERAGE_UNKNOWN        "unknown"

/* ---- what readers check ---- */

/* The JSON type a member must have. */
enum log_kind {
	LOG_KIND_STR,
	LOG_KIND_STR_NULL, /* string or null */
	LOG_KIND_INT,
	LOG_KIND_INT_NULL,  /* integer or null */
	LOG_KIND_INT_ARRAY, /* array of positive integers */
	LOG_KIND_OBJ,
};

/* "a string", "an integer or null", ... for error messages */
const char *log_kind_to_str(enum log_kind k);

struct log_member {
	const char *key;
	enum log_kind kind;
	bool required;
};

/*
 * The members of @ev a reader checks, ending with a NULL key: those of the
 * structural events; raw events have none (an empty list).
 */
const struct log_member *log_event_members(enum log_event ev);

/* ---- builders: one member of the object a JsonBuilder is in ---- */

/* @v NULL writes null */
void log_add_str(JsonBuilder *b, const char *key, const char *v);
void log_add_int(JsonBuilder *b, const char *key, gint64 v);
void log_add_bool(JsonBuilder *b, const char *key, bool v);
void log_add_double(JsonBuilder *b, const char *key, double v);
/* an array of the strings of @a ([] for NULL) */
void log_add_strv(JsonBuilder *b, const char *key, const GPtrArray *a);
/* takes @n */
void log_add_node(JsonBuilder *b, const char *key, JsonNode *n);
/* "key": { ... json_builder_end_object() */
void log_begin_object(JsonBuilder *b, const char *key);
/* "key": [ ... json_builder_end_array() */
void log_begin_array(JsonBuilder *b, const char *key);

/*
 * Where a step is, the key steps align by across runs: "line",
 * "iteration" and "name". @iteration is the dotted form readers give
 * ("2.3": iteration 2 of the outer repeat, 3 of the inner; "" outside
 * repeats), written as the array [2, 3].
 */
void log_add_step_place(JsonBuilder *b, gint64 line, const char *iteration,
	const char *name);

#endif
