/* SPDX-License-Identifier: MIT */
/*
 * sim-private.h — what the files of the simulated bluetoothd share. Not
 * part of the simulator's interface (include/bondcheck/sim.h is).
 *
 * The files follow bluetoothd's own objects:
 *   server.c   the daemon: bus objects, error replies, time, trace, life
 *   adapter.c  org.bluez.Adapter1: discovery, power, RemoveDevice, unplug
 *   device.c   org.bluez.Device1: the link (connect, encrypt, link loss)
 *   agent.c    org.bluez.AgentManager1 and the calls into agents
 *   pairing.c  Pair(), CancelPairing(), the association model, bonding
 *   gatt.c     GattService1/Characteristic1/Descriptor1: the DUT's database
 *   managers.c the managers of roles the simulator does not play
 *   control.c  org.bondcheck.Sim1: reboot, faults, the DUT's truth
 *   radio.c    the air: the DUT's advertising events, who hears them
 * The DUT model (dut.c, fault.c) stays pure: no D-Bus, no timers; these
 * files drive it and put what it does on the bus.
 */
#ifndef BONDCHECK_SIM_PRIVATE_H
#define BONDCHECK_SIM_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/bus.h"
#include "bondcheck/service.h"
#include "bondcheck/sim.h"

#define SIM_UUID_ESS         "0000181a-0000-1000-8000-00805f9b34fb"
#define SIM_UUID_TEMP        "00002a6e-0000-1000-8000-00805f9b34fb"
#define SIM_UUID_VENDOR_SVC  "b0dc0001-0000-4000-8000-00805f9b34fb"
#define SIM_UUID_REBOOT      "b0dc0002-0000-4000-8000-00805f9b34fb"
#define SIM_UUID_CCCD        "00002902-0000-1000-8000-00805f9b34fb"
#define SIM_UUID_GAP         "00001800-0000-1000-8000-00805f9b34fb"
#define SIM_UUID_GATT        "00001801-0000-1000-8000-00805f9b34fb"
#define SIM_UUID_SVC_CHANGED "00002a05-0000-1000-8000-00805f9b34fb"

struct sim_adapter;
struct sim_device;

/* ---- error replies (server.c) ------------------------------------------- */

/*
 * The error replies bluetoothd sends, each with its text (src/error.c and
 * the call sites in src/device.c, src/adapter.c, src/gatt-client.c). A
 * method answers with one of these, never with a name and text of its own;
 * org.bondcheck.Sim1's own errors carry their argument and are not here.
 */
enum sim_err {
	SIM_ERR_INVALID_ARGS,
	SIM_ERR_INVALID_OFFSET,
	SIM_ERR_NOT_READY,
	SIM_ERR_BUSY,        /* a second discovery session */
	SIM_ERR_IN_PROGRESS, /* pairing or connecting */
	SIM_ERR_REBOOTING,   /* Sim1.Reboot while booting */
	SIM_ERR_ALREADY_EXISTS,
	SIM_ERR_DOES_NOT_EXIST,
	SIM_ERR_NOT_SUPPORTED,
	SIM_ERR_NOT_CONNECTED,
	SIM_ERR_NO_DISCOVERY,
	SIM_ERR_NO_NOTIFY_SESSION,
	SIM_ERR_READ_NOT_PERMITTED,
	SIM_ERR_WRITE_NOT_PERMITTED,
	SIM_ERR_NOT_PAIRED,
	SIM_ERR_AUTH_FAILED,
	SIM_ERR_AUTH_CANCELED,
	SIM_ERR_AUTH_TIMEOUT,
	SIM_ERR_PAGE_TIMEOUT,
	/* why Connect() failed (device.c's le-connection-* strings) */
	SIM_ERR_ABORT_BY_LOCAL,
	SIM_ERR_ABORT_BY_REMOTE,
	SIM_ERR_NOT_POWERED,
	SIM_ERR_CANCELLED,
	SIM_ERR_DEVICE_REMOVED,
	SIM_ERR_SDP_SEARCH,    /* ConnectProfile: no BR/EDR to search */
	SIM_ERR_NO_PERIPHERAL, /* the managers of a role we do not play */
	SIM_ERR_NOT_AUTHORIZED,
	SIM_ERR_INVALID_LENGTH,
	SIM_ERR_ATT, /* an ATT error BlueZ has no name for */
	SIM_ERR_COUNT,
};

/* The D-Bus error name of @err. */
const char *sim_err_to_str(enum sim_err err);
/* Answer @call with @err: its name and its text. */
void sim_reply_error(struct svc_call *call, enum sim_err err);
/* Answer a GATT call the DUT refused with ATT error @code, as bluetoothd
 * turns it into a D-Bus error (gatt-client.c create_gatt_dbus_error). */
void sim_reply_att_error(struct svc_call *call, unsigned code);

/* ---- the objects -------------------------------------------------------- */

/* Why a link went down (device.c's Disconnected reasons). */
enum sim_reason {
	SIM_REASON_TIMEOUT, /* link supervision timeout */
	SIM_REASON_LOCAL,
	SIM_REASON_REMOTE,
	SIM_REASON_AUTH, /* encryption failed: key missing */
};

/* LE Secure Connections association models. */
enum sim_assoc {
	SIM_ASSOC_JUST_WORKS,
	SIM_ASSOC_CONFIRM, /* numeric comparison */
	SIM_ASSOC_ENTER,   /* central enters the DUT's passkey */
	SIM_ASSOC_DISPLAY, /* central displays, DUT enters */
};

/* The simulated bluetoothd: what its adapters share. */
struct sim_server {
	struct bus *bus;
	struct service *svc;
	GHashTable *agents;       /* owner -> struct sim_agent */
	GQueue default_agents;    /* owners, newest first */
	GPtrArray *adapters;      /* struct sim_adapter, hci0 first */
	GPtrArray *duts;          /* struct sim_dut: each adapter is in range
				     * of one; several may share one */
	struct sim_timing timing; /* what new adapters get */
	uint32_t seed;
	GRand *rand; /* every chance the simulator takes */
	GRand *air;  /* ...but the air's (advDelay), seeded
				     * from the same seed: timing does not
				     * move the other draws */
};

/* One adapter (hciN) and the DUT in range of it (maybe of others too). */
struct sim_adapter {
	struct sim_server *srv;
	struct bus *bus;     /* srv->bus */
	struct service *svc; /* srv->svc */
	unsigned index;      /* N of hciN */
	char *path;
	char *address;
	char *alias;
	char *sim_path;      /* its org.bondcheck.Sim1 object */
	struct sim_dut *dut; /* the server's; maybe shared */
	struct sim_timing t;
	gint64 start_us;
	bool powered, pairable, discoverable;
	uint32_t discoverable_timeout, pairable_timeout;
	/* address privacy (mgmt Set Privacy; Sim1.SetPrivacy here): off, the
	 * public address on every link; on, a new RPA of irk per link */
	bool privacy;
	uint8_t irk[16];
	bool unplugged;      /* Sim1.Unplug(): the adapter is gone */
	GPtrArray *dclients; /* discovery sessions (adapter.c) */
	bool discovering;
	int64_t scan_start_us; /* discovery began: its scan's phase */
	/* the DUT's advertising events (radio.c), kept by the first adapter
	 * in range of it */
	int64_t adv_epoch_us; /* its first event since it advertises */
	uint64_t adv_next;    /* the index of the next event */
	int64_t adv_due_us;   /* ...and when it is due */
	guint adv_source;     /* its timer, 0: none armed */
	bool adv_taken;       /* a central connected at the last event */
	GPtrArray *devices;   /* struct sim_device */
	GList *actions;       /* struct sim_action, pending (server.c) */
	bool notify_seq_init;
	int16_t temp_centi; /* the DUT's temperature (gatt.c) */
};

/* An agent registered with the AgentManager1 (shared by every adapter). */
struct sim_agent {
	struct sim_server *srv;
	char *owner;
	char *path;
	char *capability;
	guint watch;
};

/* A primary service of the DUT as bluetoothd caches it. */
struct sim_svc {
	struct sim_device *dev;
	char *path;
	const char *uuid;
	uint16_t handle;
};

/* A characteristic of the DUT as bluetoothd caches it (and its CCCD). */
struct sim_chr {
	struct sim_device *dev;
	struct sim_svc *svc;
	char *path;
	const char *uuid;
	uint16_t handle;
	uint16_t value_handle;
	const char *const *flags;
	bool needs_encryption;
	bool can_notify;
	bool readable;
	bool writable;  /* write (request) */
	bool write_cmd; /* write-without-response */
	bool is_reboot;
	GByteArray *value;
	bool value_known;
	GPtrArray *clients; /* owners with a notify session */
	GArray *client_watches;
	char *desc_path; /* CCCD, or NULL */
	uint16_t desc_handle;
	GByteArray *desc_value;
	bool desc_known;
	/* AcquireNotify / AcquireWrite: our end of the socket pair, or -1 */
	int notify_fd, write_fd;
	guint notify_src, write_src;
};

/* A pairing in progress (device.c's struct bonding_req). */
struct sim_bonding {
	struct svc_call *call; /* Pair(), NULL when the stack started it */
	char *owner;
	guint owner_watch;
	char *agent_owner;
	char *agent_path;
	enum sim_assoc assoc;
	bool bond;
	guint agent_call;
	bool agent_canceled;
	bool reconnect;   /* the DUT asked for it on reconnect */
	uint32_t passkey; /* shown or compared in this pairing */
};

/* The host's view of the DUT: one Device1 object on one adapter. */
struct sim_device {
	struct sim_adapter *adapter;
	char *path;
	char *address;
	char *address_type;
	char *name;
	char *alias;
	bool paired, bonded, trusted, blocked;
	bool connected, resolved, encrypted;
	/* bluez-misses-link: the link is up, bluetoothd never said so */
	bool unreported;
	bool pending_paired;
	bool has_rssi;
	bool gatt_exported;
	bool host_has_keys;
	struct sim_keys keys;
	/* the central's own address on the current (or last) link */
	char link_addr[SIM_ADDR_LEN];
	bool link_random;
	guint gen; /* bumped by every link up and down */
	/* the kernel waits for an advertising event to connect at (a
	 * Connect() or Pair() while the link is down) */
	bool connecting;
	int64_t connect_start_us;
	uint64_t link_adv_event; /* the event the link began at */
	int64_t link_adv_us;
	struct svc_call *connect_call;
	struct sim_bonding *bonding;
	GPtrArray *disconnect_calls;
	bool remove_when_down;
	GPtrArray *pending_reads; /* reads waiting for security (gatt.c) */
	/* the DUT's database as NimBLE (MicroPython) lays it out: GAP
	 * 0x0001-0x0005 (bluetoothd's gap plugin claims it: not exported),
	 * GATT 0x0006-0x0009 with Service Changed, then the application's */
	struct sim_svc gap, gatt, ess, vendor;
	struct sim_chr svc_changed, temp, reboot;
};

/* ---- server.c: time, trace, life ---------------------------------------- */

/*
 * Something the air or the host stack does later. A plan made for a
 * device is void once its link changed (gen) or the device went away.
 */
typedef void (*sim_act_fn)(struct sim_adapter *adapter, struct sim_device *dev,
	guint gen);

/* Run @fn after the DUT-side delay @ms, scaled by --time-scale. */
void sim_after(struct sim_adapter *adapter, struct sim_device *dev, int64_t ms,
	sim_act_fn fn);
/* Run @fn after @ms as it is (a protocol timeout, not the DUT's). */
void sim_after_ms(struct sim_adapter *adapter, struct sim_device *dev,
	int64_t ms, sim_act_fn fn);
void sim_cancel_actions(struct sim_adapter *adapter, struct sim_device *dev);

/* A Trace signal on the adapter's Sim1 object. @details (a{sv}, or NULL):
 * a floating reference is taken, a full one only borrowed. */
void sim_trace(struct sim_adapter *adapter, const char *event,
	GVariant *details);
/* A host-side event: {"side": "host", @key: @value} (@key may be NULL). */
void sim_trace_host(struct sim_adapter *adapter, const char *event,
	const char *key, const char *value);
/* An event with one string member, such as {"via": "gatt"}. */
void sim_trace_str(struct sim_adapter *adapter, const char *event,
	const char *key, const char *value);
/* The DUT model's trace callback (its user data is the adapter). */
void sim_trace_dut(const char *event, GVariant *details, void *data);

/*
 * The adapters in range of @adapter's DUT, @adapter included, in index
 * order: start with *@i = 0; NULL after the last. Everything the DUT does
 * over the air (it connects, stops and starts advertising, reboots) and its
 * Sim1 properties reach each of them.
 */
struct sim_adapter *sim_sharing_next(struct sim_adapter *adapter, guint *i);

/* Which bluetoothd the adapter plays (the bluez-version fault): 64, 66, 83 */
unsigned sim_bluez_minor(struct sim_adapter *adapter);

GVariant *sim_bytes_variant(GByteArray *a);

/* A number in [@lo, @hi) from the seeded generator (sim_server_set_seed). */
int32_t sim_random(struct sim_adapter *adapter, int32_t lo, int32_t hi);
/* @n random bytes from it. */
void sim_random_bytes(struct sim_adapter *adapter, uint8_t *out, size_t n);
/* A number in [@lo, @hi) for the air (advDelay), from its own generator. */
int32_t sim_random_air(struct sim_adapter *adapter, int32_t lo, int32_t hi);

/* ---- adapter.c ---------------------------------------------------------- */

/* An adapter with a DUT of its own made from @dut, or, with @share, in
 * range of @share's DUT. */
struct sim_adapter *sim_adapter_new(struct sim_server *srv,
	const struct sim_dut_config *dut, struct sim_adapter *share,
	const struct sim_timing *timing);
/* Forget every device and pending plan (before the agents go). */
void sim_adapter_clear(struct sim_adapter *adapter);
void sim_adapter_free(struct sim_adapter *adapter);
void sim_adapter_changed(struct sim_adapter *adapter, const char *name);
/* Something changed what the adapter listens for (discovery started, a
 * device removed): the DUT's next advertising event may be heard. */
void sim_adapter_dut_seen_later(struct sim_adapter *adapter);
/* Does the adapter's discovery still want to hear the DUT (no device for
 * it yet, or its RSSI invalidated)? */
bool sim_adapter_wants_adverts(struct sim_adapter *adapter);
/* Its discovery heard an advertising event of the DUT. */
void sim_adapter_dut_advertised(struct sim_adapter *adapter);
/* Sim1.Unplug()/Replug(); false if it already is unplugged/plugged in. */
bool sim_adapter_unplug(struct sim_adapter *adapter);
bool sim_adapter_replug(struct sim_adapter *adapter);

/* ---- device.c ----------------------------------------------------------- */

/* The DUT was seen at @address: a Device1 object, RSSI known. */
struct sim_device *sim_device_new(struct sim_adapter *adapter,
	const char *address, const char *type);
/* Answer whatever waits on @d, unexport and free it. */
void sim_device_remove(struct sim_device *d);
void sim_device_changed(struct sim_device *d, const char *name);
/* The link is gone; a waiting Connect() fails with @connect_error. */
void sim_device_link_down(struct sim_device *d, enum sim_reason reason,
	enum sim_err connect_error);
/* Connect (or connect to pair): when the DUT is there, link up. */
void sim_device_begin_connect(struct sim_device *d);
void sim_device_disconnect_soon(struct sim_device *d);
void sim_device_connect_ok(struct sim_device *d);
void sim_device_connect_fail(struct sim_device *d, enum sim_err err);
/* How long service resolution takes: from the cache or a first time. */
int64_t sim_device_resolve_ms(struct sim_device *d);
void sim_device_services_resolved(struct sim_adapter *adapter,
	struct sim_device *d, guint gen);
/* The DUT went silent (reboot): the link drops at supervision timeout. */
void sim_device_dut_silent(struct sim_device *d);
/* Does @d wait for an advertising event to connect at? */
bool sim_device_wants_adverts(struct sim_device *d);
/* An advertising event the adapter heard: @d's connection starts. */
void sim_device_adv_event(struct sim_device *d, uint64_t index, int64_t at_us);
/* ...the same for every adapter in range of @adapter's DUT: discovery sees
 * it after an interval, waiting connects go on; or links drop. */
void sim_device_dut_back_all(struct sim_adapter *adapter);
void sim_device_dut_silent_all(struct sim_adapter *adapter);

/* ---- radio.c ------------------------------------------------------------ */

/* The DUT of @adapter starts advertising (created, booted, its link went
 * down): its first advertising event is now. */
void sim_radio_adv_start(struct sim_adapter *adapter);
/* Someone in range of @adapter's DUT waits for one of its advertising
 * events (discovery, a connection, an invalidated RSSI). */
void sim_radio_listen(struct sim_adapter *adapter);
/* The events of @adapter's DUT stop being kept by @adapter (it goes). */
void sim_radio_clear(struct sim_adapter *adapter);
/* The scaled µs of @us (a radio time before --time-scale). */
int64_t sim_radio_scaled_us(struct sim_adapter *adapter, int64_t us);

/* ---- agent.c ------------------------------------------------------------ */

void sim_agent_manager_add(struct sim_server *srv);
void sim_agent_free(void *agent);
/* The caller's agent, else the default agent, else NULL (agent_get). */
struct sim_agent *sim_agent_for(struct sim_server *srv, const char *owner);
/* Call @method of the agent at @owner @path; @fn gets the reply. */
guint sim_agent_request(struct sim_server *srv, const char *owner,
	const char *path, const char *method, GVariant *args, int timeout_ms,
	bus_reply_fn fn, void *data);
/* Agent1.Cancel(), no reply wanted. */
void sim_agent_cancel(struct sim_server *srv, const char *owner,
	const char *path);

/* ---- pairing.c ---------------------------------------------------------- */

/* Device1.Pair() and CancelPairing(); @data is the struct sim_device. */
void sim_pairing_pair(struct svc_call *call, GVariant *args, void *data);
void sim_pairing_cancel(struct svc_call *call, GVariant *args, void *data);
/* Pair on the link that is up (the caller's request or the stack's). */
void sim_pairing_start(struct sim_device *d);
/* The DUT asked for a new pairing while reconnecting. */
void sim_pairing_repair(struct sim_device *d);
/* The pairing fails with @err; a Pair() waiting gets it. */
void sim_pairing_fail(struct sim_device *d, enum sim_err err);
/* Services resolved: a finished pairing answers its Pair(). */
void sim_pairing_resolved(struct sim_device *d);

/* ---- gatt.c ------------------------------------------------------------- */

void sim_gatt_init(struct sim_device *d);
void sim_gatt_free(struct sim_device *d);
/* The attribute cache appears (resolved) or goes (no bond, removed). */
void sim_gatt_export(struct sim_device *d);
void sim_gatt_unexport(struct sim_device *d);
/* Reads that waited for security: answered (@ok) or failed. */
void sim_gatt_flush_reads(struct sim_device *d, bool ok);
/* Encrypted reconnect: bluetoothd re-subscribes its notify sessions. */
void sim_gatt_resubscribe(struct sim_device *d);
/* The link went down: acquired notify/write sockets close (gatt-client.c
 * shuts their io down with the ATT channel). */
void sim_gatt_link_down(struct sim_device *d);
/* The primary services' UUIDs once resolved (Device1.UUIDs), sorted. */
GVariant *sim_gatt_uuids(struct sim_device *d);

/* ---- managers.c --------------------------------------------------------- */

/* GattManager1, LEAdvertisingManager1, Media1 on an adapter (again after a
 * replug); ProfileManager1 and HealthManager1 on /org/bluez. */
void sim_managers_add_adapter(struct sim_adapter *adapter);
void sim_managers_add_root(struct sim_server *srv);

/* ---- control.c ---------------------------------------------------------- */

void sim_control_add(struct sim_adapter *adapter);
void sim_control_changed(struct sim_adapter *adapter, const char *name);
/* A reboot asked for over the air: it happens once the reply has left. */
void sim_control_reboot_soon(struct sim_adapter *adapter,
	enum sim_reboot_kind kind);

#endif
