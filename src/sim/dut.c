/* SPDX-License-Identifier: MIT */
/*
 * dut.c — the device under test, modelled the way firmware keeps bonds:
 * a store of keys indexed by the peer's identity (NimBLE, Zephyr and BTstack
 * do this), reloaded at every boot. Faults change what happens at boot and at
 * encryption time. Pure: no D-Bus, no clock; the server drives it and every
 * decision is reported through the trace callback.
 */
#include <stdio.h>
#include <string.h>

#include "bondcheck/sim.h"

struct bond {
	char *index;         /* the key the store is looked up by */
	char *peer;          /* the peer's identity address */
	struct sim_keys keys;
	uint16_t cccd;
	uint64_t seq;        /* when it was made: round-robin evicts the least */
	uint64_t used;       /* when its key last encrypted a link (or it was
			      * made): overwrite-oldest evicts the least */
};

struct sim_dut {
	char *first_address;
	char *first_address_type;
	char *address;
	char *address_type;
	char *name;
	char *io;
	uint16_t appearance;
	uint32_t passkey;
	unsigned table_size;
	enum sim_bond_policy policy;
	sim_trace_fn trace;
	void *trace_data;
	struct sim_fault_value faults[SIM_FAULT_COUNT];
	GPtrArray *store;    /* struct bond: what survives a reboot */
	GHashTable *ram_cccd; /* peer -> CCCD, for peers without a bond */
	enum sim_dut_state state;
	char *peer;
	unsigned boot_count;
	uint64_t seq;
	bool lookup_broken;  /* key-lookup-mismatch took effect at boot */
	bool repair_armed;   /* repair-on-reconnect took effect at boot */
};

void sim_dut_config_defaults(struct sim_dut_config *cfg)
{
	/* MicroPython's examples/bluetooth/ble_bonding_peripheral.py */
	cfg->address = "C0:FF:EE:00:13:42";
	cfg->address_type = "public";
	cfg->name = "mpy-temp";
	cfg->appearance = 768;
	cfg->io_capability = "DisplayYesNo";
	cfg->passkey = SIM_PASSKEY_RANDOM;
	cfg->bond_table_size = 8;
	cfg->bond_policy = SIM_BOND_POLICY_ROUND_ROBIN;
}

static const char *const policies[] = {
	[SIM_BOND_POLICY_ROUND_ROBIN] = "round-robin",
	[SIM_BOND_POLICY_REFUSE_WHEN_FULL] = "refuse-when-full",
	[SIM_BOND_POLICY_OVERWRITE_OLDEST] = "overwrite-oldest",
};

const char *sim_bond_policy_to_str(enum sim_bond_policy policy)
{
	switch (policy) {
	case SIM_BOND_POLICY_ROUND_ROBIN:
	case SIM_BOND_POLICY_REFUSE_WHEN_FULL:
	case SIM_BOND_POLICY_OVERWRITE_OLDEST:
		return policies[policy];
	}
	return "unknown";
}

bool sim_bond_policy_from_str(const char *s, enum sim_bond_policy *policy)
{
	for (size_t i = 0; s && i < G_N_ELEMENTS(policies); i++) {
		if (!strcmp(s, policies[i])) {
			*policy = (enum sim_bond_policy)i;
			return true;
		}
	}
	return false;
}

const char *sim_dut_state_to_str(enum sim_dut_state state)
{
	switch (state) {
	case SIM_DUT_STATE_ADVERTISING: return "advertising";
	case SIM_DUT_STATE_CONNECTED: return "connected";
	case SIM_DUT_STATE_BOOTING: return "booting";
	case SIM_DUT_STATE_SILENT: return "silent";
	}
	return "unknown";
}

const char *sim_encrypt_to_str(enum sim_encrypt e)
{
	switch (e) {
	case SIM_ENCRYPT_OK: return "ok";
	case SIM_ENCRYPT_KEY_MISSING: return "key-missing";
	case SIM_ENCRYPT_TERMINATE: return "terminate";
	case SIM_ENCRYPT_REPAIR: return "repair";
	}
	return "unknown";
}

static void trace(struct sim_dut *d, const char *event, GVariantBuilder *b)
{
	GVariant *v = b ? g_variant_builder_end(b) :
			  g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);

	g_variant_ref_sink(v);
	if (d->trace)
		d->trace(event, v, d->trace_data);
	g_variant_unref(v);
}

#define KV(b, k, fmt, ...) \
	g_variant_builder_add(b, "{sv}", k, g_variant_new(fmt, __VA_ARGS__))

static void bond_free(void *data)
{
	struct bond *b = data;

	g_free(b->index);
	g_free(b->peer);
	g_free(b);
}

struct sim_dut *sim_dut_new(const struct sim_dut_config *cfg,
	sim_trace_fn trace_fn, void *user_data)
{
	struct sim_dut *d = g_new0(struct sim_dut, 1);

	d->first_address = g_ascii_strup(cfg->address, -1);
	d->first_address_type = g_strdup(cfg->address_type);
	d->address = g_strdup(d->first_address);
	d->address_type = g_strdup(cfg->address_type);
	d->name = g_strdup(cfg->name);
	d->io = g_strdup(cfg->io_capability);
	d->appearance = cfg->appearance;
	d->passkey = cfg->passkey;
	d->table_size = cfg->bond_table_size ? cfg->bond_table_size : 8;
	d->policy = cfg->bond_policy;
	d->trace = trace_fn;
	d->trace_data = user_data;
	d->store = g_ptr_array_new_with_free_func(bond_free);
	d->ram_cccd = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		NULL);
	d->state = SIM_DUT_STATE_ADVERTISING;
	d->boot_count = 1;
	return d;
}

void sim_dut_free(struct sim_dut *d)
{
	if (!d)
		return;
	sim_dut_clear_faults(d);
	g_ptr_array_free(d->store, TRUE);
	g_hash_table_destroy(d->ram_cccd);
	g_free(d->first_address);
	g_free(d->first_address_type);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->io);
	g_free(d->peer);
	g_free(d);
}

void sim_dut_set_fault(struct sim_dut *d, enum sim_fault fault,
	const struct sim_fault_value *value)
{
	GVariantBuilder b;

	if ((unsigned)fault >= SIM_FAULT_COUNT)
		return;
	g_free(d->faults[fault].text);
	d->faults[fault] = *value;
	d->faults[fault].text = g_strdup(value->text);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	KV(&b, "fault", "s", sim_fault_to_str(fault));
	KV(&b, "on", "b", value->on);
	if (value->text)
		KV(&b, "arg", "s", value->text);
	trace(d, "fault-set", &b);
}

void sim_dut_clear_faults(struct sim_dut *d)
{
	for (int i = 0; i < SIM_FAULT_COUNT; i++) {
		g_free(d->faults[i].text);
		memset(&d->faults[i], 0, sizeof(d->faults[i]));
	}
}

bool sim_dut_fault(struct sim_dut *d, enum sim_fault fault)
{
	return (unsigned)fault < SIM_FAULT_COUNT && d->faults[fault].on;
}

const struct sim_fault_value *sim_dut_fault_value(struct sim_dut *d,
	enum sim_fault fault)
{
	return sim_dut_fault(d, fault) ? &d->faults[fault] : NULL;
}

GPtrArray *sim_dut_fault_list(struct sim_dut *d)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (int i = 0; i < SIM_FAULT_COUNT; i++) {
		if (!d->faults[i].on)
			continue;
		g_ptr_array_add(a, d->faults[i].text ?
			g_strdup_printf("%s=%s", sim_fault_to_str(i),
				d->faults[i].text) :
			g_strdup(sim_fault_to_str(i)));
	}
	return a;
}

const char *sim_dut_address(struct sim_dut *d) { return d->address; }
const char *sim_dut_address_type(struct sim_dut *d) { return d->address_type; }
const char *sim_dut_name(struct sim_dut *d) { return d->name; }
uint16_t sim_dut_appearance(struct sim_dut *d) { return d->appearance; }
const char *sim_dut_io_capability(struct sim_dut *d) { return d->io; }
uint32_t sim_dut_passkey(struct sim_dut *d) { return d->passkey; }
unsigned sim_dut_boot_count(struct sim_dut *d) { return d->boot_count; }
unsigned sim_dut_bond_count(struct sim_dut *d) { return d->store->len; }
enum sim_dut_state sim_dut_state(struct sim_dut *d) { return d->state; }

/* ---- the store ---------------------------------------------------------- */

/* How firmware indexes a bond: by the peer's identity address and type. */
static char *good_index(const char *peer)
{
	return g_strdup_printf("public/%s", peer);
}

/*
 * The seed bug: after reboot the stack asks for the key under the address
 * the peer used on this connection (a resolvable private address, because
 * the resolving list was not reloaded), not under its identity.
 */
static char *broken_index(const char *peer)
{
	unsigned a[6] = { 0 };

	/* AA:BB:CC:DD:EE:FF; what does not parse stays 0 */
	for (size_t i = 0; i < 6 && strlen(peer) >= i * 3 + 2; i++) {
		int hi = g_ascii_xdigit_value(peer[i * 3]);
		int lo = g_ascii_xdigit_value(peer[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			break;
		a[i] = (unsigned)(hi * 16 + lo);
	}
	return g_strdup_printf("random/%02X:%02X:%02X:%02X:%02X:%02X",
		0x40 | ((a[5] ^ 0x29) & 0x3f), (a[4] ^ 0x8a) & 0xff,
		(a[3] ^ 0x7f) & 0xff, (a[2] ^ 0x27) & 0xff,
		(a[1] ^ 0x95) & 0xff, (a[0] ^ 0x48) & 0xff);
}

static char *lookup_index(struct sim_dut *d, const char *peer)
{
	return d->lookup_broken ? broken_index(peer) : good_index(peer);
}

static struct bond *find_bond(struct sim_dut *d, const char *index)
{
	for (guint i = 0; i < d->store->len; i++) {
		struct bond *b = g_ptr_array_index(d->store, i);

		if (strcmp(b->index, index) == 0)
			return b;
	}
	return NULL;
}

static GVariant *store_indexes(struct sim_dut *d)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
	for (guint i = 0; i < d->store->len; i++)
		g_variant_builder_add(&b, "s",
			((struct bond *)g_ptr_array_index(d->store, i))->index);
	return g_variant_builder_end(&b);
}

unsigned sim_dut_table_size(struct sim_dut *d)
{
	const struct sim_fault_value *f = sim_dut_fault_value(d,
		SIM_FAULT_BOND_TABLE_FULL);

	return f ? f->count : d->table_size;
}

enum sim_bond_policy sim_dut_bond_policy(struct sim_dut *d)
{
	/* bond-table-full=N is NimBLE's table: round-robin */
	return sim_dut_fault(d, SIM_FAULT_BOND_TABLE_FULL) ?
		SIM_BOND_POLICY_ROUND_ROBIN : d->policy;
}

/* The bond the policy gives up for a new one: the one made first
 * (round-robin), or the one used least recently (overwrite-oldest). */
static guint eviction_victim(struct sim_dut *d)
{
	bool by_use = sim_dut_bond_policy(d) ==
		      SIM_BOND_POLICY_OVERWRITE_OLDEST;
	guint best = 0;

	for (guint i = 1; i < d->store->len; i++) {
		const struct bond *b = g_ptr_array_index(d->store, i);
		const struct bond *o = g_ptr_array_index(d->store, best);

		if (by_use ? b->used < o->used : b->seq < o->seq)
			best = i;
	}
	return best;
}

static bool table_full(struct sim_dut *d, const char *index)
{
	return !find_bond(d, index) &&
	       d->store->len >= sim_dut_table_size(d);
}

bool sim_dut_refuses_bond(struct sim_dut *d, const char *peer)
{
	char *index = good_index(peer);
	bool refuse = sim_dut_bond_policy(d) ==
			      SIM_BOND_POLICY_REFUSE_WHEN_FULL &&
		      table_full(d, index);
	GVariantBuilder b;

	if (refuse) {
		g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
		KV(&b, "peer", "s", peer);
		KV(&b, "policy", "s", sim_bond_policy_to_str(d->policy));
		KV(&b, "table_size", "u", sim_dut_table_size(d));
		g_variant_builder_add(&b, "{sv}", "stored", store_indexes(d));
		trace(d, "bond-refused", &b);
	}
	g_free(index);
	return refuse;
}

bool sim_dut_paired(struct sim_dut *d, const char *peer, bool bond,
	const struct sim_keys *keys)
{
	GVariantBuilder b;
	char *index = good_index(peer);
	struct bond *old = find_bond(d, index);
	struct bond *nb;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	KV(&b, "peer", "s", peer);
	KV(&b, "authenticated", "b", keys->authenticated);
	if (!bond) {
		/* keys for this connection only: nothing is written */
		trace(d, "paired-without-bond", &b);
		g_free(index);
		return true;
	}
	if (sim_dut_refuses_bond(d, peer)) {
		g_variant_builder_clear(&b);
		g_free(index);
		return false;
	}
	if (old)
		g_ptr_array_remove(d->store, old);
	while (d->store->len && d->store->len >= sim_dut_table_size(d)) {
		guint v = eviction_victim(d);
		struct bond *gone = g_ptr_array_index(d->store, v);
		GVariantBuilder e;

		/* said outright: whose keys went, and why */
		g_variant_builder_init(&e, G_VARIANT_TYPE("a{sv}"));
		KV(&e, "peer", "s", gone->peer);
		KV(&e, "index", "s", gone->index);
		KV(&e, "for", "s", peer);
		KV(&e, "policy", "s", sim_bond_policy_to_str(
			sim_dut_bond_policy(d)));
		KV(&e, "table_size", "u", sim_dut_table_size(d));
		trace(d, "bond-evicted", &e);
		KV(&b, "evicted", "s", gone->index);
		g_ptr_array_remove_index(d->store, v);
	}
	nb = g_new0(struct bond, 1);
	nb->index = index;
	nb->peer = g_strdup(peer);
	nb->keys = *keys;
	nb->seq = nb->used = ++d->seq;
	/* a subscription made before pairing carries over into the bond */
	nb->cccd = GPOINTER_TO_UINT(g_hash_table_lookup(d->ram_cccd, peer));
	g_hash_table_remove(d->ram_cccd, peer);
	g_ptr_array_add(d->store, nb);
	KV(&b, "index", "s", index);
	KV(&b, "bonds", "u", d->store->len);
	trace(d, "bond-stored", &b);
	return true;
}

enum sim_encrypt sim_dut_encrypt(struct sim_dut *d, const char *peer,
	const uint8_t ltk[16])
{
	char *index = lookup_index(d, peer);
	struct bond *b = find_bond(d, index);
	bool match = b && memcmp(b->keys.ltk, ltk, 16) == 0;
	enum sim_encrypt r;
	GVariantBuilder t;

	if (match) {
		r = SIM_ENCRYPT_OK;
		/* Zephyr's aging counter: this key was used now */
		b->used = ++d->seq;
	}
	else if (d->repair_armed)
		r = SIM_ENCRYPT_REPAIR;
	else if (sim_dut_fault(d, SIM_FAULT_TERMINATE_ON_ENCRYPT))
		r = SIM_ENCRYPT_TERMINATE;
	else
		r = SIM_ENCRYPT_KEY_MISSING;

	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "peer", "s", peer);
	KV(&t, "looked_up", "s", index);
	g_variant_builder_add(&t, "{sv}", "stored", store_indexes(d));
	KV(&t, "found", "b", b != NULL);
	KV(&t, "ltk_matches", "b", match);
	KV(&t, "result", "s", sim_encrypt_to_str(r));
	trace(d, "ltk-request", &t);
	g_free(index);
	return r;
}

void sim_dut_write_cccd(struct sim_dut *d, const char *peer, uint16_t value)
{
	char *index = lookup_index(d, peer);
	struct bond *b = find_bond(d, index);
	GVariantBuilder t;

	if (b)
		b->cccd = value;
	else
		g_hash_table_replace(d->ram_cccd, g_strdup(peer),
			GUINT_TO_POINTER(value));
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "peer", "s", peer);
	KV(&t, "value", "q", value);
	KV(&t, "persisted", "b", b != NULL);
	trace(d, "cccd-written", &t);
	g_free(index);
}

uint16_t sim_dut_cccd(struct sim_dut *d, const char *peer)
{
	char *index = lookup_index(d, peer);
	struct bond *b = find_bond(d, index);
	uint16_t v = b ? b->cccd :
		GPOINTER_TO_UINT(g_hash_table_lookup(d->ram_cccd, peer));

	g_free(index);
	return v;
}

/* ---- link and boot ------------------------------------------------------ */

void sim_dut_connected(struct sim_dut *d, const char *peer)
{
	g_free(d->peer);
	d->peer = g_strdup(peer);
	/* the example firmware stops advertising while connected */
	d->state = SIM_DUT_STATE_CONNECTED;
}

void sim_dut_disconnected(struct sim_dut *d, const char *peer)
{
	if (g_strcmp0(d->peer, peer) != 0)
		return;
	g_free(d->peer);
	d->peer = NULL;
	/* subscriptions of peers without a bond end with the connection */
	g_hash_table_remove(d->ram_cccd, peer);
	if (d->state == SIM_DUT_STATE_CONNECTED)
		d->state = SIM_DUT_STATE_ADVERTISING;
}

void sim_dut_reboot(struct sim_dut *d)
{
	GVariantBuilder t;

	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "boot", "u", d->boot_count);
	KV(&t, "connected_peer", "s", d->peer ? d->peer : "");
	trace(d, "reboot", &t);
	g_free(d->peer);
	d->peer = NULL;
	g_hash_table_remove_all(d->ram_cccd);
	d->state = SIM_DUT_STATE_BOOTING;
}

int64_t sim_dut_boot_ms(struct sim_dut *d, int64_t normal_ms)
{
	const struct sim_fault_value *f = sim_dut_fault_value(d,
		SIM_FAULT_SLOW_BOOT);

	return f ? f->ms : normal_ms;
}

/*
 * BTstack's Linux device database once found only the first bonded device
 * after a restart (bluekitchen/btstack#363): the later ones' keys were not
 * read back, and their reconnects got PIN or Key Missing.
 */
static void keep_first_bond(struct sim_dut *d)
{
	GVariantBuilder t, lost;
	guint first = 0;
	struct bond *keep;

	for (guint i = 1; i < d->store->len; i++)
		if (((struct bond *)g_ptr_array_index(d->store, i))->seq <
		    ((struct bond *)g_ptr_array_index(d->store, first))->seq)
			first = i;
	keep = g_ptr_array_steal_index(d->store, first);
	g_variant_builder_init(&lost, G_VARIANT_TYPE("as"));
	for (guint i = 0; i < d->store->len; i++)
		g_variant_builder_add(&lost, "s",
			((struct bond *)g_ptr_array_index(d->store, i))->index);
	g_ptr_array_set_size(d->store, 0);
	g_ptr_array_add(d->store, keep);
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "kept", "s", keep->index);
	g_variant_builder_add(&t, "{sv}", "lost", g_variant_builder_end(&lost));
	trace(d, "later-bonds-lost", &t);
}

void sim_dut_booted(struct sim_dut *d)
{
	GVariantBuilder t;

	d->boot_count++;
	d->lookup_broken = false;
	d->repair_armed = false;

	if (sim_dut_fault(d, SIM_FAULT_LOSE_BOND_ON_REBOOT) ||
	    sim_dut_fault(d, SIM_FAULT_REPAIR_ON_RECONNECT)) {
		g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
		KV(&t, "lost", "u", d->store->len);
		g_ptr_array_set_size(d->store, 0);
		trace(d, "store-lost", &t);
		d->repair_armed = sim_dut_fault(d,
			SIM_FAULT_REPAIR_ON_RECONNECT);
	}
	if (sim_dut_fault(d, SIM_FAULT_LOSE_LATER_BONDS_ON_REBOOT) &&
	    d->store->len > 1)
		keep_first_bond(d);
	if (sim_dut_fault(d, SIM_FAULT_FORGET_CCCD_ON_REBOOT)) {
		for (guint i = 0; i < d->store->len; i++)
			((struct bond *)g_ptr_array_index(d->store, i))->cccd = 0;
		trace(d, "cccd-lost", NULL);
	}
	d->lookup_broken = sim_dut_fault(d, SIM_FAULT_KEY_LOOKUP_MISMATCH);
	if (sim_dut_fault(d, SIM_FAULT_ROTATE_IDENTITY_ON_REBOOT)) {
		char *old = d->address;

		/* a new static random address: the two top bits set */
		d->address = g_strdup_printf("%02X:51:4D:00:%02X:%02X",
			0xE0 | (d->boot_count & 0x1f), (d->boot_count >> 8) & 0xff,
			d->boot_count & 0xff);
		g_free(d->address_type);
		d->address_type = g_strdup("random");
		g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
		KV(&t, "old", "s", old);
		KV(&t, "new", "s", d->address);
		trace(d, "identity-rotated", &t);
		g_free(old);
	}

	d->state = sim_dut_fault(d, SIM_FAULT_NO_ADVERTISE_AFTER_REBOOT) ?
		SIM_DUT_STATE_SILENT : SIM_DUT_STATE_ADVERTISING;
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "boot", "u", d->boot_count);
	g_variant_builder_add(&t, "{sv}", "store", store_indexes(d));
	KV(&t, "lookup", "s", d->lookup_broken ?
		"by connection address (broken)" : "by peer identity");
	KV(&t, "advertising", "b", d->state == SIM_DUT_STATE_ADVERTISING);
	trace(d, "booted", &t);
}
