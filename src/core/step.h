/* SPDX-License-Identifier: MIT */
/*
 * step.h — private to the engine: the run's state, the step table, and what
 * engine.c, central.c and the step families (step-*.c) share.
 *
 * engine.c owns the run's life cycle: the program counter, the step's
 * timers, pass and fail, cleanup, and routing each event to the current
 * step through its struct step_ops. central.c owns what one central (an
 * adapter and its agent) knows of the DUT. A family file owns what its steps
 * do: it starts them, reacts to the events it has hooks for, names its
 * phases, and ends each step with step_pass() or step_fail(). A family reads
 * only its own state (struct step's union), never moves the program counter,
 * and never sleeps. doc/architecture.md says how to add a step.
 */
#ifndef BONDCHECK_STEP_H
#define BONDCHECK_STEP_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/engine.h"
#include "bondcheck/logschema.h"

struct engine;
struct central;

typedef void (*step_reply_fn)(struct engine *e, const struct bluez_reply *r);
typedef void (*central_reply_fn)(struct central *c,
	const struct bluez_reply *r);

/*
 * One step type's behaviour. The engine calls a hook only while a step of
 * that type runs; a NULL hook ignores the event. Only start is required.
 * A hook may end the step (step_pass/step_fail): the engine looks at
 * nothing of the step after a hook returns.
 */
struct step_ops {
	/* begin the step */
	void (*start)(struct engine *e);
	/* free what the family state holds (the engine zeroes it after) */
	void (*clear)(struct engine *e);
	/* the DUT advertises: its RSSI came, its object appeared in range, or
	 * it was in range when our discovery started */
	void (*dut_seen)(struct engine *e, const char *path);
	/* a Device1 object appeared (any device); @props its a{sv} */
	void (*device_added)(struct engine *e, const char *path,
		GVariant *props);
	/* our StopDiscovery finished, or there was no discovery to stop */
	void (*discovery_stopped)(struct engine *e);
	/* a Device1 property of the DUT changed; @value NULL if invalidated */
	void (*dut_prop)(struct engine *e, const char *name, GVariant *value);
	/* the DUT's Device1 object was removed */
	void (*dut_removed)(struct engine *e);
	/* Device1.Disconnected(reason, message) (BlueZ 5.83+) */
	void (*dut_disconnected)(struct engine *e, const char *reason);
	/* a GattCharacteristic1 object appeared under the DUT */
	void (*chr_added)(struct engine *e, const char *path);
	/* a GattCharacteristic1 property under the DUT changed */
	void (*chr_changed)(struct engine *e, const char *path,
		const char *name);
	/* the agent was asked to pair with the DUT */
	void (*agent)(struct engine *e, const struct engine_agent_event *ev);
	/* the HCI monitor saw something (already in the step's evidence) */
	void (*hci)(struct engine *e, const struct engine_hci_event *ev);
	/* the simulator's Trace (already in the step's evidence) */
	void (*sim_trace)(struct engine *e, JsonObject *trace);
	/* the step's timeout expired; @d is it, formatted ("15s"); most
	 * families fail there (step_timed_out is the plain way) */
	void (*timeout)(struct engine *e, const char *d);
	/* the family's members at the head of step-end's evidence */
	void (*evidence)(struct engine *e, JsonBuilder *b);
	/* the family's phase names; needed to call step_enter_phase() */
	const char *(*phase_to_str)(int phase);
};

/* The table, one entry per enum scn_step_type (engine.c). */
extern const struct step_ops step_scan_ops;
extern const struct step_ops step_connect_ops;
extern const struct step_ops step_reconnect_ops;
extern const struct step_ops step_disconnect_ops;
extern const struct step_ops step_pair_ops;
extern const struct step_ops step_trust_ops;
extern const struct step_ops step_remove_bond_ops;
extern const struct step_ops step_reboot_ops;
extern const struct step_ops step_read_ops;
extern const struct step_ops step_write_ops;
extern const struct step_ops step_subscribe_ops;
extern const struct step_ops step_expect_notify_ops;
extern const struct step_ops step_expect_no_notify_ops;
extern const struct step_ops step_expect_adv_ops;
extern const struct step_ops step_expect_ops;
extern const struct step_ops step_sleep_ops;

/* ---- family state -------------------------------------------------------- */

/* connect, reconnect */
struct link_state {
	bool reconnect;
	bool settling;         /* failed: collecting late evidence */
	bool connected_seen;   /* Connected changed during the step */
	unsigned links_before; /* the central's links when it started */
	bool adopted;          /* its Connect() is the central's early one */
	bool fallback_armed;   /* ...and a link is due: the DUT advertised */
	struct link_obs obs;
};

struct pair_state {
	bool want_bond;
	/* what the agent was asked: the association model it shows */
	enum scn_method seen;
	const char *asked; /* the Agent1 method, NULL: none */
	/* the HCI monitor's last SMP PDU each way: where a pairing that
	 * never completes stopped */
	int smp_sent, smp_received; /* SMP codes, 0: none */
	int64_t smp_sent_us, smp_received_us;
	unsigned smp_pdus;
};

struct reboot_state {
	enum scn_via via;
	bool was_connected;
	int64_t trigger_us;
	guint trigger_id;
	GHashTable *known; /* device paths before the trigger */
	bool link_lost;
	char *reason;          /* how the link ended, as seen */
	int hci_reason;        /* ...its HCI reason, -1 unknown */
	GPtrArray *output;     /* the command's last lines of output */
	unsigned output_lines; /* ...and how many it wrote */
};

struct sub;

/* read, write, subscribe, expect-notify */
struct gatt_state {
	char *chr;     /* the characteristic's object path */
	bool chr_wait; /* its object vanished: waiting for it */
	unsigned chr_moves;
	bool link_dropped;
	bool pairing_seen;
	struct sub *sub;
	unsigned sub_before; /* expect-no-notify: the session's count
				  * when it started */
};

/* ---- the current step ---------------------------------------------------- */

struct step {
	const struct scn_step *s; /* NULL: no step runs */
	const struct step_ops *ops;
	int phase; /* the family's phase enum */
	int64_t start_us;
	guint timer;     /* the step's timeout */
	guint aux_timer; /* step_after() */
	void (*aux_fn)(struct engine *e);
	char iteration[64];
	/* evidence */
	GPtrArray *timeline;
	GPtrArray *agent;
	GPtrArray *traces;
	GPtrArray *hci;
	char *err_name;
	char *err_text;
	JsonBuilder *extra; /* the step's own figures */
	union {
		struct link_state link;
		struct pair_state pair;
		struct reboot_state reboot;
		struct gatt_state gatt;
	} u;
};

/* ---- one central's address privacy (privacy.c) ---------------------------- */

struct central;

struct central_privacy {
	enum scn_privacy want; /* privacy= of the scenario, or --privacy */
	int found;             /* the adapter's, as found: 1 on, 0 off,
				  * -1 unknown */
	int now;               /* for the run */
	const char *source;    /* LOG_PRIVACY_SOURCE_*, NULL: unknown */
	char *error;           /* why it is unknown, or could not be set */
	bool changed;          /* set for the run: restored at the end */
	bool restored;
	char *restore_error;
	bool wait_powered; /* set on the simulator: Powered to come */
	guint op;          /* a mgmt call in flight */
	/* a mgmt change: the adapter was powered when it began, bluetoothd
	 * said Powered=false meanwhile; the wait for its Powered=true after
	 * (POWERED_WAIT_MS, then Adapter1.Powered=true asked once more) */
	bool mgmt_busy, powered_before, saw_off, asked_powered;
	guint powered_timer;
	void (*done)(struct engine *e);
	bool set_to; /* the change in flight, and its end */
	void (*set_done)(struct central *c, const GError *error);
	/* the central's own address on each link (HCI or the simulator) */
	unsigned links, links_public, links_rpa, links_random;
	const char *seen_by; /* LOG_COVERAGE_SEEN_HCI or _SIM */
	char own_address[18];
	const char *own_type;    /* "public", "random (resolvable private)" */
	char random_address[18]; /* HCI LE Set Random Address, last */
};

/* ---- one central: an adapter, its agent, and the DUT as it sees it ------- */

struct central {
	struct engine *e;
	unsigned index; /* in the scenario's centrals */
	const struct scn_central *decl;
	const char *name; /* scn_central_label(): in logs and messages */
	char *adapter;    /* object path, once found */
	char *dev_path;   /* the DUT's object under it, once known */
	bool pairable_saved;
	bool pairable_orig;
	bool discovering;    /* our discovery session */
	int64_t dut_seen_us; /* last advertisement seen */
	GHashTable *subs;    /* uuid -> struct sub (step-gatt.c) */
	/* what the DUT pushed on this central's link since it came up,
	 * counted where HCI or the simulator shows it (step-gatt.c) */
	unsigned link_notifications;
	const char *notifications_seen_by;
	int64_t link_up_us;
	/* its bond as this run made it: the run's bond counter when it
	 * paired with bond=yes (0: none), for the bond history of a failed
	 * reconnect */
	unsigned bond_seq;
	/* what the simulated DUT's trace said about this central's keys:
	 * the bond-evicted / later-bonds-lost / bond-refused event */
	JsonNode *dut_lost; /* the event, or NULL */
	bool dut_refused;   /* bond-refused during the current step */
	/* the link as the run found it: a link the run brought up is taken
	 * down at the end, one that was there before and stayed is left */
	bool link_at_start;
	bool link_dropped; /* Connected fell during the run */
	struct central_privacy priv;
	/*
	 * A Connect() made while the DUT was still down, ahead of the
	 * reconnect step that follows a reboot (step-reboot.c): the kernel
	 * scans for the bonded device and connects at its first
	 * advertisement. What happens to the link before that step adopts
	 * the call is observed here (engine.c routes it), so no evidence is
	 * lost between the two steps (step-link.c).
	 */
	struct {
		bool active;    /* made, not adopted or dropped yet */
		bool in_flight; /* its reply has not come */
		bool replied, reply_ok;
		char *err_name, *err_text;
		bool connected_seen;
		int64_t start_us;
		/* the central's links counted when it was made: its link may
		 * come up (and be counted) before the reconnect adopts it */
		unsigned links_before;
		struct link_obs obs;
		GPtrArray *traces; /* the simulator's, once its link is up */
		GPtrArray *notes;  /* its timeline lines, for the step */
	} early;
};

/* ---- the run ------------------------------------------------------------- */

enum engine_state {
	ENGINE_STATE_IDLE,
	ENGINE_STATE_WAITING, /* for bluetoothd, the adapter, the agent */
	ENGINE_STATE_RUNNING,
	ENGINE_STATE_FINISHING,
	ENGINE_STATE_DONE,
};

struct frame {
	GPtrArray *steps;
	guint index;
	unsigned iter;
	unsigned count;
	bool repeat;
	const GArray *each; /* each-central: the central of each iter */
};

struct engine {
	struct engine_config cfg;
	struct engine_env env;
	struct scenario *scn;
	struct evlog *log;
	enum engine_state state;
	guint watch;
	engine_finished_fn finished;
	void *finished_data;
	bool run_start_written;
	bool setting_up; /* the adapters are found: privacy, agent */
	/* the centrals' privacy, read and set one at a time (privacy.c) */
	unsigned priv_next;
	struct central *priv_busy;
	void (*priv_done)(struct engine *e);
	GPtrArray *early_notes; /* what, text, ... before run-start */

	/* where we are */
	struct frame stack[SCN_MAX_DEPTH + 2];
	int depth;
	struct step st;
	unsigned cur; /* the central the current (or last) step
				  * acts as */
	guint gen;    /* bumped when a step ends: stale replies */
	unsigned started;
	unsigned passed;
	unsigned failed; /* more than one only with keep_going */
	int64_t run_start_us;
	guint ready_timer;
	guint kick;

	/* what we know about the world */
	bool bluez_ok;
	bool bus_lost;
	struct central *centrals; /* one per scenario central; as=NAME and
				   * each-central pick the step's */
	unsigned n_centrals;
	unsigned bond_seq;     /* bonds made so far, by every central */
	bool agent_registered; /* our agent: one registration for the run,
				  * answering for each central's DUT */
	char *agent_cap;
	char *dev_address; /* the DUT's identity */
	char *dut_name;
	int64_t reboot_mark_us; /* the last reboot trigger */
	/* a bonded reconnect that passed from a public address: the line,
	 * and which central (privacy-dependent failures say so) */
	int public_pass_line;
	char *public_pass_central;
	GList *calls; /* struct call in flight */
	bool noted_paired_only;

	/* the end */
	struct engine_result result;
	char *message;
	bool interrupted;
	int cleanup;                  /* cleanup_next(): the stages done */
	guint cleanup_timer;          /* the bound on all of it */
	guint cleanup_call;           /* the call it waits for, or 0 */
	struct central *cleanup_drop; /* ...or the drop of this link */
	guint log_timer;              /* the log's write error, to act on */
};

/* ---- engine.c: for the families ------------------------------------------ */

/* how many timeline lines (x4), trace events and HCI events a step keeps */
#define MAX_EVIDENCE 40

int64_t engine_now(struct engine *e);
/* The environment failed (exit 3): the step, or the run if none runs. */
void engine_fail_env(struct engine *e, const char *why);

/* The central the current step acts as. */
static inline struct central *step_central(struct engine *e)
{
	return &e->centrals[e->cur];
}

/* Is a step with @ops running (for callbacks that outlive a step)? */
static inline bool step_running(struct engine *e, const struct step_ops *ops)
{
	return e->st.s && e->st.ops == ops;
}

/* A string member of an event from outside (a trace): @dflt unless it is
 * one. */
static inline const char *step_str(JsonObject *o, const char *key,
	const char *dflt)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	                       json_node_get_value_type(n) == G_TYPE_STRING ?
	               json_node_get_string(n) :
	               dflt;
}

/* A property value that is a boolean and true. */
static inline bool step_true(GVariant *v)
{
	return v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) &&
	       g_variant_get_boolean(v);
}

/* A BlueZ call on behalf of the current step: @fn (may be NULL) is called
 * only if the step is still the one that made it. */
guint step_call(struct engine *e, enum bluez_op op, const char *path,
	GVariant *arg, step_reply_fn fn); /* its id; 0: already answered */

/* A BlueZ call on behalf of central @c, outside any step (its early
 * Connect): @fn is called with the reply whatever step runs then. */
void engine_central_call(struct engine *e, struct central *c, enum bluez_op op,
	const char *path, GVariant *arg, int64_t timeout_ms,
	central_reply_fn fn);
/* The step that comes after the current one in its block (NULL at a
 * block's start or end, or when it opens a block), and its central. */
const struct scn_step *engine_peek_next(struct engine *e, unsigned *central);

/* Is our @op on @path, made by the current step, still unanswered? */
bool step_call_pending(struct engine *e, enum bluez_op op, const char *path);

void step_pass(struct engine *e);
/* Call @fn in @ms, unless the step ends first (one at a time). */
void step_after(struct engine *e, int64_t ms, void (*fn)(struct engine *e));
void step_fail(struct engine *e, enum verdict v, enum confidence c,
	const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* The default timeout: "<step> did not complete within D". */
void step_timed_out(struct engine *e, const char *d);
/* The one place a step's phase changes; writes a timeline line. */
void step_enter_phase(struct engine *e, int phase);
int64_t step_ms(struct engine *e);
void step_timeline(struct engine *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void step_extra_str(struct engine *e, const char *key, const char *value);
void step_extra_int(struct engine *e, const char *key, int64_t value);

/* Where central.c's discovery calls end up. */
void engine_discovery_started(struct engine *e, const struct bluez_reply *r);
void engine_discovery_stopped(struct engine *e);

/* ---- engine.c and engine-events.c, between themselves ------------------ */

/* the mirror's events, routed to the current step (engine-events.c) */
void engine_on_model(const struct model_event *ev, void *data);
/* the cleanup's wait for the link to drop has its answer (engine.c) */
void engine_cleanup_done_waiting(struct engine *e);
/* the one place the run's state changes: logs old and new (engine.c) */
void engine_enter_state(struct engine *e, enum engine_state s);
/* the program counter moves on to the next step (engine.c) */
void engine_next_step(struct engine *e);
/* adapters, claims, agents, privacy; then the first step (engine-setup.c) */
void engine_setup(struct engine *e);

/* ---- runlog.c: the run log's events (doc/log-schema.md) ------------------ */

/* Members are written with logschema.h's log_add_*() and LOG_KEY_*. */

void runlog_run_start(struct engine *e);
void runlog_run_end(struct engine *e);
void runlog_step_start(struct engine *e);
void runlog_step_end(struct engine *e, enum log_step_result result,
	enum verdict v, enum confidence c, const char *message);
void runlog_call(struct engine *e, enum bluez_op op, const char *path);
void runlog_reply(struct engine *e, enum bluez_op op, const char *path,
	const struct bluez_reply *r, int64_t ms);
void runlog_model(struct engine *e, struct central *c,
	const struct model_event *ev);
void runlog_agent_request(struct engine *e,
	const struct engine_agent_event *ev);
/* The agent's own events: registered, unregistered, register-failed. */
void runlog_agent(struct engine *e, const char *event, const GError *error);
void runlog_hci(struct engine *e, struct central *c,
	const struct engine_hci_event *ev);
/* Sinks @trace; @c the central it names, or NULL. */
void runlog_sim(struct engine *e, struct central *c, JsonNode *trace);
/* "central": the name of @c (every event that belongs to a central). */
void runlog_add_central(JsonBuilder *b, const struct central *c);
/* A property value as the timeline shows it (hex for bytes); free it. */
char *runlog_value_text(GVariant *v);

/* ---- central.c ----------------------------------------------------------- */

void central_init(struct central *c, struct engine *e, unsigned index);
void central_clear(struct central *c);
/* The central whose adapter @path is, or is under (a device, a GATT
 * object), or whose simulator object it is; NULL if none. */
struct central *central_of_path(struct engine *e, const char *path);
/* The central whose adapter has the address @addr (what a DUT sees as the
 * central's identity); NULL if none. */
struct central *central_of_address(struct engine *e, const char *addr);
/* How our agent answers this central's DUT (see engine.h agent_ops). */
void central_agent_policy(struct central *c, bool accept, long passkey);
/* The run made a bond for this central / it has none any more. */
void central_bonded_now(struct central *c);
void central_bond_gone(struct central *c);
/* A failed reconnect's evidence: who bonded after this central, and what
 * the simulated DUT's trace said about its keys. Appends to @why. */
void central_bond_history(struct central *c, JsonBuilder *b, GString *why);
/* The simulator's trace event @ev (an object) names a central's keys:
 * remember it for the evidence of that central's steps. */
void central_dut_trace(struct engine *e, JsonNode *ev);
/* The DUT's object path, or NULL; keeps c->dev_path current. */
const char *central_dut(struct central *c);
bool central_dev_bool(struct central *c, const char *name);
/* The link to the DUT is up: Connected, or ServicesResolved (see central.c). */
bool central_connected(struct central *c);
/* Whether the host holds a bond (Paired stands in below BlueZ 5.65). */
bool central_bonded(struct central *c);
/* BlueZ < 5.65 has no Bonded property: "bonded=" cannot be checked. */
bool central_no_bonded_prop(struct central *c);
/* The DUT is found: remember who it is and tell the agent. */
void central_adopt(struct central *c, const char *path);
/* The DUT's object, with an RSSI (advertising lately). */
bool central_dut_in_range(struct central *c, const char **path);
const char *central_find_chr(struct central *c, const char *uuid);
/* Our discovery session; each ends in engine_discovery_*(). */
void central_start_discovery(struct central *c);
void central_stop_discovery(struct central *c);
/* Remember the adapter's Pairable before the run first changes it. */
void central_save_pairable(struct central *c);

/* ---- privacy.c: a central's address privacy, and what it covers --------- */

/* Read each central's adapter privacy, write run-start, set those the run
 * asks for otherwise (root on real BlueZ); then @done, unless the run
 * failed. */
void privacy_setup(struct engine *e, void (*done)(struct engine *e));
/* Put it back as found, if the run changed it; then @done. */
void privacy_restore(struct engine *e, struct central *c,
	void (*done)(struct engine *e));
/* The adapter's Powered changed (the simulator's privacy waits for it). */
void privacy_powered(struct engine *e, struct central *c, bool on);
void privacy_hci(struct central *c, const struct engine_hci_event *ev);
/* The simulator's trace: its link-up says which address we used. */
void privacy_sim_trace(struct central *c, JsonObject *trace);
void privacy_clear(struct central *c);
/* A change in flight is dropped (cleanup cut short): no callback comes. */
void privacy_abandon(struct central *c);
/* run-start's central's privacy; run-end's centrals and coverage */
void privacy_log_start(const struct central *c, JsonBuilder *b);
void privacy_log_end(struct engine *e, JsonBuilder *b);
/* A connect/reconnect step's evidence: the address its links used. */
void privacy_link_evidence(struct engine *e, JsonBuilder *b,
	unsigned links_before);
/* A bonded reconnect passed, or failed as peer-removed-pairing. */
void privacy_reconnect_passed(struct engine *e, unsigned links_before);
void privacy_reconnect_failed(struct engine *e, unsigned links_before);

/* ---- step-pair.c -------------------------------------------------------- */

/* The IO capabilities of the first pair step (the agent starts with them),
 * or NULL when no step pairs. */
const char *pair_agent_capability(GPtrArray *steps);

/* ---- step-gatt.c: a central's notification sessions --------------------- */

void gatt_subs_init(struct central *c);
/* The link dropped: give up our sessions (see step-gatt.c). */
void gatt_subs_link_lost(struct central *c);
/* A characteristic's Value changed: a notification, unless we read it. */
void gatt_subs_value(struct central *c, const char *path);
/* The bond is gone: so are the DUT's CCCDs for us. */
void gatt_subs_forget(struct central *c);
/* The HCI monitor or the simulator saw this central's link come up, or
 * the DUT push a notification on it. */
void gatt_subs_hci(struct central *c, const struct engine_hci_event *ev);

/* ---- step-link.c: a Connect() ahead of its reconnect step -------------- */

/* Connect() now, for the reconnect step that follows (the DUT is down);
 * false if none was made. */
bool link_early_connect(struct engine *e, struct central *c);
/* What the DUT's link does meanwhile (nothing unless one is active). */
void link_early_prop(struct central *c, const char *name, GVariant *v);
void link_early_removed(struct central *c);
void link_early_disconnected(struct central *c, const char *reason);
void link_early_agent(struct central *c);
void link_early_hci(struct central *c, const struct engine_hci_event *ev);
void link_early_trace(struct central *c, const char *json);
void link_early_clear(struct central *c);
void gatt_subs_sim(struct central *c, JsonObject *trace);

#endif
