/* SPDX-License-Identifier: MIT */
/*
 * engine.h — runs a scenario against BlueZ and classifies what happens.
 *
 * The engine is the state machine of bondcheck: it walks the steps, waits
 * for the BlueZ events that complete each one (never sleeps, except the
 * `sleep` step), gives a failing step one verdict with its evidence, and
 * writes the run log. It reaches the world only through the operation
 * tables below, so the same engine runs against real bluetoothd, the
 * simulator, or a unit test's fakes. State comes in through a model (kept
 * current by the mirror) and through the engine_*_event() calls.
 */
#ifndef BONDCHECK_ENGINE_H
#define BONDCHECK_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/bluez_ops.h"
#include "bondcheck/evlog.h"
#include "bondcheck/model.h"
#include "bondcheck/scenario.h"
#include "bondcheck/verdict.h"

/* ---- the seams ---------------------------------------------------------- */

struct clock_ops {
	int64_t (*now_us)(void *data);
	guint (*timeout)(void *data, int64_t ms, GSourceFunc fn,
		void *user_data);
	void (*cancel)(void *data, guint id);
};

/* The GLib main loop's clock. */
extern const struct clock_ops clock_glib_ops;

typedef void (*engine_done_fn)(const GError *error, void *user_data);

/*
 * The engine's handle on our org.bluez.Agent1. bluetoothd keeps one agent
 * per client, so a run registers one; it answers for each central on its
 * own: central N's requests only for the DUT's object under central N's
 * adapter, with central N's policy. Anything else is refused.
 */
struct agent_ops {
	void (*set_target)(void *data, unsigned central,
		const char *device_path);
	void (*set_policy)(void *data, unsigned central, bool accept,
		long passkey);
	/* (Re)register with @capability as the default agent. */
	void (*register_agent)(void *data, const char *capability,
		engine_done_fn done, void *user_data);
	void (*unregister_agent)(void *data, engine_done_fn done,
		void *user_data);
};

typedef void (*trigger_line_fn)(const char *stream, const char *line,
	void *user_data);
typedef void (*trigger_done_fn)(int status, const GError *error,
	void *user_data);

/* Ways to reboot a real DUT that do not go through BlueZ. */
struct trigger_ops {
	/* run `sh -c CMD` with @env ("NAME=VALUE", NULL-terminated; may be
	 * NULL) added to its environment; each output line, then the exit
	 * status */
	guint (*command)(void *data, const char *cmd, const char *const *env,
		trigger_line_fn line, trigger_done_fn done, void *user_data);
	/* write @bytes to a tty at @baud */
	guint (*serial)(void *data, const char *port, int baud, GBytes *bytes,
		trigger_done_fn done, void *user_data);
	/* ask the person at the bench */
	void (*prompt)(void *data, const char *text);
	void (*cancel)(void *data, guint id);
};

typedef void (*mgmt_privacy_fn)(int privacy, const GError *error,
	void *user_data);
typedef void (*mgmt_done_fn)(const GError *error, void *user_data);

/*
 * The kernel's management interface (what btmgmt speaks), for what BlueZ's
 * D-Bus API does not show: the adapter's address privacy. Reading needs no
 * privilege; changing needs CAP_NET_ADMIN (root), else the error is
 * BCERROR_NOT_PERMITTED.
 */
struct mgmt_ops {
	/* controller @index's privacy: 1 on, 0 off (Read Controller
	 * Information, current settings) */
	guint (*read_privacy)(void *data, int index, mgmt_privacy_fn fn,
		void *user_data);
	/* power off, Set Privacy @on, power on again */
	guint (*set_privacy)(void *data, int index, bool on, mgmt_done_fn fn,
		void *user_data);
	void (*cancel)(void *data, guint id);
};

struct engine_env {
	struct model *model;
	const struct bluez_ops *bluez;
	void *bluez_data;
	const struct agent_ops *agent;
	void *agent_data;
	const struct trigger_ops *trigger;
	void *trigger_data;
	const struct clock_ops *clock;
	void *clock_data;
	const struct mgmt_ops *mgmt; /* NULL: none (privacy unknown) */
	void *mgmt_data;
	const char *mgmt_unavailable; /* ...and why */
	/*
	 * Claim the DUT (@device, an address) through central @central's
	 * @adapter for the run, before anything is changed: false with @why
	 * (for people; g_free() it) when another run holds it, and the run
	 * ends as an environment error. NULL: no claims (unit tests). The
	 * claims are let go when the run's owner frees it.
	 */
	bool (*claim)(void *data, unsigned central, const char *adapter,
		const char *device, char **why);
	void *claim_data;
};

struct engine_config {
	const char *device;          /* DUT address, or NULL with device_name */
	const char *device_name;     /* first device with this name */
	const char *adapter;         /* hciN, or NULL: the first powered;
				      * the first central's (--adapter) */
	const char *const *adapters; /* NULL, or one per central, in order
				      * (NULL entries: chosen here), as
				      * bondcheckd claimed them */
	const char *label;           /* firmware build label */
	const char *reboot_cmd;      /* --reboot-cmd: overrides the scenario */
	bool sim;
	const char *const *faults; /* simulator faults, for the log */
	double time_scale;
	uint32_t sim_seed; /* the simulator's --seed, for the log */
	/* the simulator's settings in effect, "KEY=VALUE" each (NULL-ended;
	 * may be NULL), for the log */
	const char *const *sim_settings;
	const char *bluez_version; /* NULL: "unknown" */
	const char *kernel;
	const char *tool_version;
	int64_t ready_timeout_ms; /* for bluetoothd and the adapter */
	/* --privacy: overrides the scenario's central privacy= */
	enum scn_privacy privacy;
	/*
	 * --keep-going: a step that fails (not environment-error) inside a
	 * repeat (or each-central) block skips the rest of that iteration
	 * and the run goes on with the next one, or after the block after
	 * its last; a failure outside any block still ends the run. The
	 * result is the first failure's.
	 */
	bool keep_going;
	/*
	 * Drop the DUT's link at the end, as after Ctrl-C: the next run
	 * (bondcheck run's next scenario) starts from no link, whatever
	 * step this one ended at.
	 */
	bool disconnect_at_end;
	/* a reconnect after a reboot connects at the DUT's first
	 * advertisement: the reboot step calls Connect() while the DUT is
	 * down (the default: engine_early_connect_wanted()). Off, a
	 * reconnect calls Connect() once discovery saw the DUT */
	bool early_connect;
};

/* ---- events from outside ------------------------------------------------ */

struct engine_agent_event {
	const char *method; /* Agent1 method */
	const char *device; /* object path or NULL */
	uint32_t passkey;
	bool foreign; /* not the DUT: rejected */
	bool accepted;
	const char *answer;
};

/* What the HCI monitor channel saw (issue: real-BlueZ tier). */
struct engine_hci_event {
	const char *what;    /* "encryption-change", "disconnect", ... */
	int index;           /* the controller (hciN); -1: unknown */
	const char *address; /* peer, if known */
	int status;          /* HCI status, -1 if none */
	int reason;          /* HCI reason, -1 if none */
	const char *text;    /* decoded, for people */
	/* "le-create-connection": the central's own address type (HCI: 0
	 * public, 1 random, 2 and 3 an RPA from the controller's resolving
	 * list), -1 if none; and the random address it had set, if any */
	int own_address_type;
	const char *own_address;
	/* SMP and ATT events: which way the PDU went, and its SMP code (for
	 * "smp" and the smp-* events; 0 otherwise) */
	bool sent;
	int smp_code;
};

/* ---- results ------------------------------------------------------------ */

enum engine_outcome {
	ENGINE_OUTCOME_PASSED,
	ENGINE_OUTCOME_FAILED, /* a step failed: see verdict */
	ENGINE_OUTCOME_ERROR,  /* environment */
	ENGINE_OUTCOME_INTERRUPTED,
};

const char *engine_outcome_to_str(enum engine_outcome o);

struct engine_result {
	enum engine_outcome outcome;
	enum verdict verdict;
	enum confidence confidence;
	int exit_status; /* DESIGN.md exit statuses */
	unsigned steps_run;
	unsigned steps_passed;
	unsigned steps_total;
	unsigned steps_failed; /* more than 1 only with keep_going */
	int64_t elapsed_ms;
	const char *message; /* the failure, for people */
	int fail_line;       /* scenario line of the failed step */
	const char *central; /* ...and the central it acted as */
};

struct engine_progress {
	const char *step; /* "reconnect" */
	const char *text; /* the scenario line */
	int line;
	unsigned index; /* steps started so far */
	unsigned total;
	const char *iteration; /* "2/3" or "" */
	int64_t elapsed_ms;
	int64_t timeout_ms;
};

struct engine;

typedef void (*engine_finished_fn)(struct engine *e,
	const struct engine_result *result, void *user_data);

struct engine *engine_new(const struct engine_config *cfg,
	const struct engine_env *env, struct scenario *scn, struct evlog *log);
void engine_free(struct engine *e);

void engine_start(struct engine *e, engine_finished_fn fn, void *user_data);

/* What bondcheck run and bondcheckd put in engine_config.early_connect:
 * on, unless BONDCHECK_EARLY_CONNECT=no (a measurement switch,
 * doc/performance.md section 6, not an option). */
bool engine_early_connect_wanted(void);
/* The first central's adapter's object path once the run found it, else
 * NULL. */
const char *engine_adapter(struct engine *e);
/* The run's centrals (the scenario's; at least one): how many, and each
 * one's name and adapter path (NULL until found). */
unsigned engine_centrals(struct engine *e);
const char *engine_central_name(struct engine *e, unsigned central);
const char *engine_central_adapter(struct engine *e, unsigned central);
/* Ctrl-C or SIGTERM: clean up and finish as interrupted. */
void engine_interrupt(struct engine *e);

/* bluetoothd present and its objects loaded (true), or gone (false). */
void engine_bluez_available(struct engine *e, bool available, const char *why);
/* Our bus connection is gone: nothing more can be done. */
void engine_bus_lost(struct engine *e);
void engine_agent_event(struct engine *e, const struct engine_agent_event *ev);
void engine_sim_trace(struct engine *e, const char *json);
/*
 * A Trace signal from the Sim1 object of central @central's adapter. A DUT
 * in range of several of them sends its own events on each: those are
 * kept from the first central only; host-side events ("side": "host") from
 * each.
 */
void engine_sim_trace_from(struct engine *e, unsigned central,
	const char *json);
void engine_hci_event(struct engine *e, const struct engine_hci_event *ev);
/* Something the user should know once (e.g. no HCI monitor access). */
void engine_note(struct engine *e, const char *what, const char *text);

/*
 * A run that never started — no bus, no bluetoothd or bondcheckd, a
 * scenario that does not parse, arguments that do not make sense — still
 * leaves a log: run-start with what is known (@scn NULL when the scenario
 * did not parse: then @file and the @sha256 of its bytes, if read, name it)
 * and run-end with result error, @message and @exit_status, so that no log
 * is empty and reports (JUnit, HTML) say why.
 */
void engine_log_not_started(struct evlog *log, const struct engine_config *cfg,
	const struct scenario *scn, const char *file, const char *sha256,
	int exit_status, const char *message);

bool engine_progress(struct engine *e, struct engine_progress *p);
const char *engine_device_path(struct engine *e);

#endif
