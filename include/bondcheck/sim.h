/* SPDX-License-Identifier: MIT */
/*
 * sim.h — the simulator: a DUT model (firmware-like bond store, reboots,
 * faults) and a BlueZ emulation that serves it on a bus as org.bluez.
 *
 * The DUT model (sim_dut_*) is pure: no D-Bus, no timers; it answers "what
 * would the firmware do now" and reports what it did inside through a trace
 * callback. The server (sim_server_*, sim_adapter_*) owns time and D-Bus.
 */
#ifndef BONDCHECK_SIM_H
#define BONDCHECK_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/bus.h"

/* ---- faults ------------------------------------------------------------- */

enum sim_fault {
	SIM_FAULT_LOSE_BOND_ON_REBOOT,
	SIM_FAULT_KEY_LOOKUP_MISMATCH,
	SIM_FAULT_ROTATE_IDENTITY_ON_REBOOT,
	SIM_FAULT_FORGET_CCCD_ON_REBOOT,
	SIM_FAULT_TERMINATE_ON_ENCRYPT,
	SIM_FAULT_SLOW_BOOT,
	SIM_FAULT_NO_ADVERTISE_AFTER_REBOOT,
	SIM_FAULT_BOND_TABLE_FULL,
	SIM_FAULT_BLUEZ_VERSION,
	SIM_FAULT_CONNECT_SUCCEEDS_THEN_DROPS,
	SIM_FAULT_REPAIR_ON_RECONNECT,
	SIM_FAULT_LOSE_LATER_BONDS_ON_REBOOT,
	SIM_FAULT_NO_RPA_RESOLUTION,
	SIM_FAULT_SAVE_ON_DISCONNECT,
	SIM_FAULT_ATT_ERROR,
	SIM_FAULT_BLUEZ_MISSES_LINK,
	SIM_FAULT_DROP_DURING_DISCOVERY,
	SIM_FAULT_COUNT,
};

enum sim_fault_arg {
	SIM_FAULT_ARG_NONE,
	SIM_FAULT_ARG_DURATION,
	SIM_FAULT_ARG_COUNT,
	SIM_FAULT_ARG_VERSION,
	SIM_FAULT_ARG_ATT, /* an ATT error code, 0x01 to 0xff */
};

struct sim_fault_info {
	enum sim_fault fault;
	const char *name;
	enum sim_fault_arg arg;
	const char *arg_help; /* e.g. "DURATION" */
	const char *summary;  /* one line for `bondcheck faults` */
};

const struct sim_fault_info *sim_fault_info(enum sim_fault fault);
const char *sim_fault_to_str(enum sim_fault fault);

/* The value a fault carries once parsed. */
struct sim_fault_value {
	bool on;
	int64_t ms;           /* slow-boot */
	unsigned count;       /* bond-table-full and the counted faults */
	unsigned bluez_minor; /* bluez-version: 64, 66 or 83 */
	unsigned att_code;    /* att-error */
	char *text;           /* the argument as given */
};

/* A fault's argument is at most this long (a duration, a count, 5.83). */
#define SIM_FAULT_ARG_MAX_BYTES 64

bool sim_fault_lookup(const char *name, enum sim_fault *fault);
/* Parse "name" or "name=arg"; sim_fault_parse_arg for a separate arg. */
bool sim_fault_parse(const char *spec, enum sim_fault *fault,
	struct sim_fault_value *value, GError **error);
bool sim_fault_parse_arg(enum sim_fault fault, const char *arg,
	struct sim_fault_value *value, GError **error);

/* ---- addresses on the air ----------------------------------------------- */

/*
 * A central with privacy on connects from a resolvable private address
 * (Core 5.x Vol 6 Part B 1.3.2.2): the top 24 bits are prand (its two top
 * bits 01), the low 24 bits hash = ah(IRK, prand). A peer that holds the
 * central's IRK (distributed in pairing) resolves it to the central's
 * identity. The simulator's ah() is a stand-in (HMAC-SHA256 truncated to 24
 * bits, not AES-128): the mechanism is modelled, not the cipher.
 */
#define SIM_ADDR_LEN 18 /* "AA:BB:CC:DD:EE:FF" and its NUL */

/* The RPA of @irk with prand from @random (its two top bits are set as an
 * RPA's), in @out. */
void sim_rpa_new(const uint8_t irk[16], const uint8_t random[3],
	char out[SIM_ADDR_LEN]);
/* A simulated central's IRK: fixed for its identity address, so a run
 * with --seed meets the same addresses again. */
void sim_irk_of(const char *identity, uint8_t irk[16]);
/* Does @addr resolve with @irk? */
bool sim_rpa_resolves(const uint8_t irk[16], const char *addr);
/* Is @addr (of type random) a resolvable private address? */
bool sim_addr_is_rpa(const char *addr);

/* ---- the DUT model ------------------------------------------------------ */

struct sim_dut;

/* What the DUT does with a new bond when its table is full. */
enum sim_bond_policy {
	/* evict the bond made first (NimBLE's ble_store_util_status_rr, as
	 * MicroPython uses it) */
	SIM_BOND_POLICY_ROUND_ROBIN,
	/* refuse the pairing (SMP Pairing Failed, Unspecified Reason: Zephyr
	 * without CONFIG_BT_KEYS_OVERWRITE_OLDEST) */
	SIM_BOND_POLICY_REFUSE_WHEN_FULL,
	/* overwrite the bond used least recently (Zephyr with
	 * CONFIG_BT_KEYS_OVERWRITE_OLDEST: its aging counter moves at every
	 * encrypted connection) */
	SIM_BOND_POLICY_OVERWRITE_OLDEST,
};

const char *sim_bond_policy_to_str(enum sim_bond_policy policy);
bool sim_bond_policy_from_str(const char *s, enum sim_bond_policy *policy);

struct sim_dut_config {
	const char *address;      /* identity address at first boot */
	const char *address_type; /* "public" or "random" */
	const char *name;
	uint16_t appearance;
	/* manufacturer specific data it advertises (Device1's
	 * ManufacturerData), if any: the company ID and the bytes */
	bool has_manufacturer;
	uint16_t manufacturer_id;
	const guint8 *manufacturer_data;
	gsize manufacturer_len;
	const char *io_capability; /* BlueZ spelling, e.g. "DisplayYesNo" */
	/* what the DUT displays in passkey entry and the number both sides
	 * show in numeric comparison; SIM_PASSKEY_RANDOM: a new one per
	 * pairing from the simulator's seeded generator (SMP's own random
	 * values, as on a real stack) */
	uint32_t passkey;
	unsigned bond_table_size; /* 0: the default, 8 */
	enum sim_bond_policy bond_policy;
	/* LE Secure Connections (true, the default) or LE legacy pairing:
	 * Just Works and passkey entry only, no numeric comparison */
	bool secure_connections;
};

#define SIM_PASSKEY_RANDOM UINT32_MAX

void sim_dut_config_defaults(struct sim_dut_config *cfg);

/* The DUT reports what it does inside (the simulator's "truth"). */
typedef void (*sim_trace_fn)(const char *event, GVariant *details,
	void *user_data);

/*
 * What the simulator puts on the bus is bounded (doc/simulator.md):
 * a Trace signal's JSON, names a client sets (Alias), fault arguments.
 * Error texts quote at most BCERROR_QUOTE_MAX bytes of what a client sent.
 */
#define SIM_TRACE_MAX_BYTES 4096
#define SIM_ALIAS_MAX_BYTES 248 /* HCI's local name length */

/*
 * One Trace event as a line of JSON: {"event", "t_us", details...}, each
 * detail (an a{sv} member) a scalar or an array of scalars. At most
 * SIM_TRACE_MAX_BYTES: a longer or deeper event becomes {"event", "t_us",
 * "truncated": true, "bytes": N}. Pure; g_free the result.
 */
char *sim_trace_json(const char *event, int64_t t_us, GVariant *details);

struct sim_dut *sim_dut_new(const struct sim_dut_config *cfg,
	sim_trace_fn trace, void *user_data);
void sim_dut_free(struct sim_dut *dut);

void sim_dut_set_fault(struct sim_dut *dut, enum sim_fault fault,
	const struct sim_fault_value *value);
void sim_dut_clear_faults(struct sim_dut *dut);
bool sim_dut_fault(struct sim_dut *dut, enum sim_fault fault);
/* A fault with a count (bluez-misses-link=N, drop-during-discovery=N): is
 * this link one of its next N? Counts it if so. */
bool sim_dut_take_counted(struct sim_dut *dut, enum sim_fault fault);
const struct sim_fault_value *sim_dut_fault_value(struct sim_dut *dut,
	enum sim_fault fault);
/* Active faults as "name" or "name=arg", in table order. */
GPtrArray *sim_dut_fault_list(struct sim_dut *dut);

const char *sim_dut_address(struct sim_dut *dut);
const char *sim_dut_address_type(struct sim_dut *dut);
const char *sim_dut_name(struct sim_dut *dut);
uint16_t sim_dut_appearance(struct sim_dut *dut);
/* Its manufacturer data: false if it advertises none; *@data borrowed. */
bool sim_dut_manufacturer(struct sim_dut *dut, uint16_t *id, GBytes **data);
const char *sim_dut_io_capability(struct sim_dut *dut);
bool sim_dut_secure_connections(struct sim_dut *dut);
uint32_t sim_dut_passkey(struct sim_dut *dut);
unsigned sim_dut_boot_count(struct sim_dut *dut);
unsigned sim_dut_bond_count(struct sim_dut *dut);

enum sim_dut_state {
	SIM_DUT_STATE_ADVERTISING,
	SIM_DUT_STATE_CONNECTED,
	SIM_DUT_STATE_BOOTING,
	SIM_DUT_STATE_SILENT, /* booted but not advertising */
};
const char *sim_dut_state_to_str(enum sim_dut_state state);
enum sim_dut_state sim_dut_state(struct sim_dut *dut);

/*
 * Link events, as the firmware's host stack sees them. @addr is the
 * central's address on the link as the DUT's controller reports it: its
 * public address, or (@random) a resolvable private address. The calls
 * below that take an @addr mean the link from that address.
 */
void sim_dut_connected(struct sim_dut *dut, const char *addr, bool random);
void sim_dut_disconnected(struct sim_dut *dut, const char *addr);

/* Pairing completed on the link from @addr; keys are the DUT's copy. */
struct sim_keys {
	uint8_t ltk[16];
	uint16_t ediv;
	uint64_t rand;
	bool authenticated;
	/* the central's Identity Information and Identity Address
	 * Information (BlueZ sends them when its privacy is on) */
	bool has_irk;
	uint8_t irk[16];
	char identity[SIM_ADDR_LEN]; /* a public address */
};
/* Returns false when the DUT did not store a bond it was asked for (its
 * table is full and its policy refuses). The bond is stored under the
 * central's identity (the link's address when it sent none), and a central
 * that sent its IRK goes into the resolving list. */
bool sim_dut_paired(struct sim_dut *dut, const char *addr, bool bond,
	const struct sim_keys *keys);
/* A pairing with bonding from the central @identity begins: would the DUT
 * refuse it (a full table under refuse-when-full)? Traces bond-refused when
 * it would. */
bool sim_dut_refuses_bond(struct sim_dut *dut, const char *identity);
unsigned sim_dut_table_size(struct sim_dut *dut);
enum sim_bond_policy sim_dut_bond_policy(struct sim_dut *dut);

enum sim_encrypt {
	SIM_ENCRYPT_OK,          /* LTK found and it matches */
	SIM_ENCRYPT_KEY_MISSING, /* LTK Request Negative Reply */
	SIM_ENCRYPT_TERMINATE,   /* the DUT drops the link instead */
	SIM_ENCRYPT_REPAIR,      /* the DUT asks to pair again */
};
const char *sim_encrypt_to_str(enum sim_encrypt e);
/*
 * The central starts encryption with the LTK it holds for this DUT. The
 * DUT's host looks the key up under the link's address after resolution:
 * an RPA that its resolving list resolves becomes the central's identity;
 * one it does not stays an RPA (and misses a bond stored by identity).
 */
enum sim_encrypt sim_dut_encrypt(struct sim_dut *dut, const char *addr,
	const uint8_t ltk[16]);

/* The CCCD of the notify characteristic, for the link from @addr. */
void sim_dut_write_cccd(struct sim_dut *dut, const char *addr, uint16_t value);
uint16_t sim_dut_cccd(struct sim_dut *dut, const char *addr);

/*
 * How a reboot meets the link (scenario.h's enum scn_reboot_kind): hard
 * sends nothing (the central's link times out; keys the firmware had not
 * saved yet are lost); graceful: the caller ends the links first (0x13), so
 * the firmware's disconnect handler runs, then it restarts.
 */
enum sim_reboot_kind {
	SIM_REBOOT_HARD,
	SIM_REBOOT_GRACEFUL,
};
const char *sim_reboot_kind_to_str(enum sim_reboot_kind kind);
bool sim_reboot_kind_from_str(const char *s, enum sim_reboot_kind *kind);

/* Reboot: for a graceful one the caller has ended the link; then boot. */
void sim_dut_reboot(struct sim_dut *dut, enum sim_reboot_kind kind);
/* How long the boot takes, given the normal boot time. */
int64_t sim_dut_boot_ms(struct sim_dut *dut, int64_t normal_ms);
/* Boot finished: the store is reloaded (with faults applied). */
void sim_dut_booted(struct sim_dut *dut);

/* ---- the server (BlueZ emulation on a bus) ------------------------------ */

/*
 * struct sim_server is the simulated bluetoothd: the org.bluez objects, the
 * agents registered with it and its adapters. struct sim_adapter is one
 * adapter (hciN) with the DUT in range of it.
 */
struct sim_server;
struct sim_adapter;

/*
 * Every delay of the simulated air and of the DUT, before --time-scale.
 * The radio's (doc/simulator.md, "Radio timing"): the DUT advertises every
 * adv_interval_ms plus a random advDelay of up to adv_delay_max_us (Core
 * Vol 6 Part B 4.4.2.2); a central hears an advertising event only inside
 * its scan window (the kernel's defaults: discovery 11.25/11.25 ms, a
 * pending connection 60/60 ms, both continuous); a connection starts only
 * at an advertising event it heard, and what follows takes connection
 * events of conn_interval_ms (the kernel asks for 30-50 ms; the simulated
 * controller takes 30). scale 0 makes every one of them zero.
 */
struct sim_timing {
	double scale;             /* multiplies every DUT-side delay */
	int64_t adv_interval_ms;  /* the DUT's advertising interval */
	int64_t adv_delay_max_us; /* advDelay: 0..this added per event */
	int64_t scan_interval_us; /* discovery (active scan) */
	int64_t scan_window_us;
	int64_t conn_scan_interval_us; /* a pending connection's scan */
	int64_t conn_scan_window_us;
	int64_t conn_interval_ms;  /* the link's connection interval */
	int64_t connect_ms;        /* CONNECT_IND -> first connection event */
	int64_t encrypt_ms;        /* Connected -> link encrypted */
	int64_t discover_ms;       /* -> ServicesResolved, first time */
	int64_t resolve_cached_ms; /* -> ServicesResolved, cached db */
	int64_t att_ms;            /* an ATT request -> its response */
	int64_t pair_ms;           /* SMP exchange */
	int64_t boot_ms;           /* reboot -> advertising again */
	int64_t supervision_ms;    /* DUT gone -> central notices */
	int64_t notify_ms;         /* CCCD on -> first notification */
	int64_t disconnect_ms;     /* Disconnect -> Connected=false */
	int64_t unattached_ms;     /* a link ATT never came up on -> the
				    * DUT's kernel drops it */
	/* protocol timeouts: not scaled (they are not the DUT's) */
	int64_t agent_timeout_ms;   /* agent silent -> pairing fails */
	int64_t le_conn_timeout_ms; /* Connect to a silent DUT fails */
};

void sim_timing_defaults(struct sim_timing *t);
/*
 * The shortest a bonded reconnect can take from the DUT's advertising
 * event to the reply of one encrypted read, in ms after scaling: the
 * connection set up at that event, encryption, the cached database
 * resolved (MTU exchange), one ATT read. What no client can beat on the
 * simulator (make bench's floor).
 */
double sim_timing_reconnect_floor_ms(const struct sim_timing *t);

/* A bluetoothd with one adapter, hci0, and @dut in range of it. */
struct sim_server *sim_server_new(struct bus *bus,
	const struct sim_dut_config *dut, const struct sim_timing *timing,
	GError **error);
/*
 * Another adapter, hci1, hci2, ... (address 00:B0:DC:00:00:0N+1), with its
 * own DUT in range of it only and its own org.bondcheck.Sim1 object at
 * /org/bondcheck/sim/hciN; hci0 keeps /org/bondcheck/sim. Agents are shared,
 * as in bluetoothd. Freed with the server.
 */
struct sim_adapter *sim_server_add_adapter(struct sim_server *srv,
	const struct sim_dut_config *dut);
/*
 * Another adapter, numbered and named as above, in range of @share's DUT:
 * one DUT, several centrals. The DUT's Trace and its Sim1 properties appear
 * on the Sim1 object of every adapter in range of it; Sim1.Reboot on any of
 * them reboots it. Freed with the server.
 */
struct sim_adapter *sim_server_add_adapter_sharing(struct sim_server *srv,
	struct sim_adapter *share);
/*
 * Every choice the simulator makes by chance (which outcome a key-lost
 * reconnect takes, pairing numbers, keys) comes from one generator seeded
 * with @seed, so a run with the same seed, faults and calls replays
 * exactly. sim_server_new seeds it at random; call this before any client.
 */
void sim_server_set_seed(struct sim_server *srv, uint32_t seed);
uint32_t sim_server_seed(struct sim_server *srv);
unsigned sim_server_adapters(struct sim_server *srv);
struct sim_adapter *sim_server_adapter(struct sim_server *srv, unsigned index);
void sim_server_free(struct sim_server *srv);

struct sim_dut *sim_adapter_dut(struct sim_adapter *adapter);
/* The adapter's address privacy (bondcheck-sim --privacy; Sim1.SetPrivacy
 * at run time): on, a new RPA for every link and its IRK and identity sent
 * in pairing; off, its public address. */
void sim_adapter_set_privacy(struct sim_adapter *adapter, bool on);
bool sim_adapter_privacy(struct sim_adapter *adapter);
/* Apply a fault (as --fault does); updates Sim1.Faults. */
void sim_adapter_set_fault(struct sim_adapter *adapter, enum sim_fault fault,
	const struct sim_fault_value *value);

#endif
