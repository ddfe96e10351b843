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
	char *index; /* the key the store is looked up by: the
			      * central's identity, "public/AA:..." */
	char *peer;  /* the central's identity address */
	struct sim_keys keys;
	uint16_t cccd;
	bool saved;    /* written to flash (save-on-disconnect: only
			      * once a central disconnects) */
	uint64_t seq;  /* when it was made: round-robin evicts the least */
	uint64_t used; /* when its key last encrypted a link (or it was
			      * made): overwrite-oldest evicts the least */
};

/* An entry of the controller's resolving list: a central's IRK. */
struct rl_entry {
	char *index; /* the identity it resolves to */
	uint8_t irk[16];
};

struct sim_dut {
	char *first_address;
	char *first_address_type;
	char *address;
	char *address_type;
	char *name;
	char *io;
	uint16_t appearance;
	uint16_t mfr_id;
	GBytes *mfr; /* NULL: no manufacturer data */
	uint32_t passkey;
	unsigned table_size;
	enum sim_bond_policy policy;
	bool sc;
	sim_trace_fn trace;
	void *trace_data;
	struct sim_fault_value faults[SIM_FAULT_COUNT];
	GPtrArray *store;     /* struct bond: what survives a reboot */
	GPtrArray *rl;        /* struct rl_entry: the resolving list */
	bool rl_lost;         /* key-lookup-mismatch emptied it at boot */
	GHashTable *ram_cccd; /* link address -> CCCD, peers without a bond */
	enum sim_dut_state state;
	char *peer; /* the link's address, as the controller says */
	bool peer_random;
	unsigned boot_count;
	uint64_t seq;
	bool repair_armed; /* repair-on-reconnect took effect at boot */
	/* a counted fault (bluez-misses-link=N, ...): links taken so far */
	unsigned taken[SIM_FAULT_COUNT];
};

void sim_dut_config_defaults(struct sim_dut_config *cfg)
{
	/* MicroPython's examples/bluetooth/ble_bonding_peripheral.py */
	memset(cfg, 0, sizeof(*cfg));
	cfg->address = "C0:FF:EE:00:13:42";
	cfg->address_type = "public";
	cfg->name = "mpy-temp";
	cfg->appearance = 768;
	cfg->io_capability = "DisplayYesNo";
	cfg->passkey = SIM_PASSKEY_RANDOM;
	cfg->bond_table_size = 8;
	cfg->bond_policy = SIM_BOND_POLICY_ROUND_ROBIN;
	cfg->secure_connections = true;
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
	case SIM_BOND_POLICY_OVERWRITE_OLDEST: return policies[policy];
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

const char *sim_reboot_kind_to_str(enum sim_reboot_kind kind)
{
	switch (kind) {
	case SIM_REBOOT_HARD: return "hard";
	case SIM_REBOOT_GRACEFUL: return "graceful";
	}
	return "unknown";
}

bool sim_reboot_kind_from_str(const char *s, enum sim_reboot_kind *kind)
{
	if (!g_strcmp0(s, "hard"))
		*kind = SIM_REBOOT_HARD;
	else if (!g_strcmp0(s, "graceful"))
		*kind = SIM_REBOOT_GRACEFUL;
	else
		return false;
	return true;
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

static void rl_entry_free(void *data)
{
	struct rl_entry *r = data;

	g_free(r->index);
	g_free(r);
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
	if (cfg->has_manufacturer) {
		d->mfr_id = cfg->manufacturer_id;
		d->mfr = g_bytes_new(cfg->manufacturer_data,
			cfg->manufacturer_len);
	}
	d->passkey = cfg->passkey;
	d->table_size = cfg->bond_table_size ? cfg->bond_table_size : 8;
	d->policy = cfg->bond_policy;
	d->sc = cfg->secure_connections;
	d->trace = trace_fn;
	d->trace_data = user_data;
	d->store = g_ptr_array_new_with_free_func(bond_free);
	d->rl = g_ptr_array_new_with_free_func(rl_entry_free);
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
	g_ptr_array_free(d->rl, TRUE);
	g_hash_table_destroy(d->ram_cccd);
	g_free(d->first_address);
	g_free(d->first_address_type);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->io);
	if (d->mfr)
		g_bytes_unref(d->mfr);
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
	d->taken[fault] = 0;
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
		d->taken[i] = 0;
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

bool sim_dut_take_counted(struct sim_dut *d, enum sim_fault fault)
{
	const struct sim_fault_value *f = sim_dut_fault_value(d, fault);

	if (!f || sim_fault_info(fault)->arg != SIM_FAULT_ARG_COUNT ||
		d->taken[fault] >= f->count)
		return false;
	d->taken[fault]++;
	return true;
}

GPtrArray *sim_dut_fault_list(struct sim_dut *d)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (int i = 0; i < SIM_FAULT_COUNT; i++) {
		if (!d->faults[i].on)
			continue;
		g_ptr_array_add(a,
			d->faults[i].text ?
				g_strdup_printf("%s=%s", sim_fault_to_str(i),
					d->faults[i].text) :
				g_strdup(sim_fault_to_str(i)));
	}
	return a;
}

const char *sim_dut_address(struct sim_dut *d)
{
	return d->address;
}
const char *sim_dut_address_type(struct sim_dut *d)
{
	return d->address_type;
}
const char *sim_dut_name(struct sim_dut *d)
{
	return d->name;
}
uint16_t sim_dut_appearance(struct sim_dut *d)
{
	return d->appearance;
}

bool sim_dut_manufacturer(struct sim_dut *d, uint16_t *id, GBytes **data)
{
	if (!d->mfr)
		return false;
	*id = d->mfr_id;
	*data = d->mfr;
	return true;
}
const char *sim_dut_io_capability(struct sim_dut *d)
{
	return d->io;
}
bool sim_dut_secure_connections(struct sim_dut *d)
{
	return d->sc;
}
uint32_t sim_dut_passkey(struct sim_dut *d)
{
	return d->passkey;
}
unsigned sim_dut_boot_count(struct sim_dut *d)
{
	return d->boot_count;
}
unsigned sim_dut_bond_count(struct sim_dut *d)
{
	return d->store->len;
}
enum sim_dut_state sim_dut_state(struct sim_dut *d)
{
	return d->state;
}

/* ---- the store ---------------------------------------------------------- */

/* How firmware indexes a bond: an address and its type. */
static char *index_of(bool random, const char *addr)
{
	return g_strdup_printf("%s/%s", random ? "random" : "public", addr);
}

/* The type of the link from @addr, as the controller reported it. */
static bool link_random(struct sim_dut *d, const char *addr)
{
	return d->peer_random && !g_strcmp0(d->peer, addr);
}

/*
 * The address the DUT's host sees for the link from @addr: what its
 * controller resolved through the resolving list, or the link's own
 * address. *@how says which, for the trace.
 */
static char *resolve(struct sim_dut *d, const char *addr, const char **how)
{
	bool random = link_random(d, addr);

	*how = "a public address: nothing to resolve";
	if (!random)
		return index_of(false, addr);
	if (!sim_addr_is_rpa(addr)) {
		*how = "a static random address: nothing to resolve";
		return index_of(true, addr);
	}
	if (sim_dut_fault(d, SIM_FAULT_NO_RPA_RESOLUTION)) {
		*how = "not resolved: the controller has no LL privacy and the "
		       "host resolves nothing itself";
		return index_of(true, addr);
	}
	for (guint i = 0; i < d->rl->len; i++) {
		struct rl_entry *r = g_ptr_array_index(d->rl, i);

		if (sim_rpa_resolves(r->irk, addr)) {
			*how = "resolved through the resolving list";
			return g_strdup(r->index);
		}
	}
	*how = d->rl_lost ? "not resolved: the resolving list lost its IRKs "
	                    "at boot" :
	                    "not resolved: no IRK in the resolving list "
	                    "matches";
	return index_of(true, addr);
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

static GVariant *indexes_of(GPtrArray *a, size_t offset)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
	for (guint i = 0; i < a->len; i++)
		g_variant_builder_add(&b, "s",
			*(char **)((char *)g_ptr_array_index(a, i) + offset));
	return g_variant_builder_end(&b);
}

static GVariant *store_indexes(struct sim_dut *d)
{
	return indexes_of(d->store, G_STRUCT_OFFSET(struct bond, index));
}

static GVariant *rl_indexes(struct sim_dut *d)
{
	return indexes_of(d->rl, G_STRUCT_OFFSET(struct rl_entry, index));
}

static void rl_remove(struct sim_dut *d, const char *index)
{
	for (guint i = d->rl->len; i-- > 0;)
		if (!strcmp(((struct rl_entry *)g_ptr_array_index(d->rl, i))
				    ->index,
			    index))
			g_ptr_array_remove_index(d->rl, i);
}

static void rl_add(struct sim_dut *d, const char *index, const uint8_t irk[16])
{
	struct rl_entry *r = g_new0(struct rl_entry, 1);

	rl_remove(d, index);
	r->index = g_strdup(index);
	memcpy(r->irk, irk, 16);
	g_ptr_array_add(d->rl, r);
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
	               SIM_BOND_POLICY_ROUND_ROBIN :
	               d->policy;
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
	return !find_bond(d, index) && d->store->len >= sim_dut_table_size(d);
}

bool sim_dut_refuses_bond(struct sim_dut *d, const char *identity)
{
	char *index = index_of(false, identity);
	bool refuse = sim_dut_bond_policy(d) ==
	                      SIM_BOND_POLICY_REFUSE_WHEN_FULL &&
	              table_full(d, index);
	GVariantBuilder b;

	if (refuse) {
		g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
		KV(&b, "peer", "s", identity);
		KV(&b, "policy", "s", sim_bond_policy_to_str(d->policy));
		KV(&b, "table_size", "u", sim_dut_table_size(d));
		g_variant_builder_add(&b, "{sv}", "stored", store_indexes(d));
		trace(d, "bond-refused", &b);
	}
	g_free(index);
	return refuse;
}

static void evict_one(struct sim_dut *d, const char *for_peer,
	GVariantBuilder *stored)
{
	guint v = eviction_victim(d);
	struct bond *gone = g_ptr_array_index(d->store, v);
	GVariantBuilder e;

	/* said outright: whose keys went, and why */
	g_variant_builder_init(&e, G_VARIANT_TYPE("a{sv}"));
	KV(&e, "peer", "s", gone->peer);
	KV(&e, "index", "s", gone->index);
	KV(&e, "for", "s", for_peer);
	KV(&e, "policy", "s", sim_bond_policy_to_str(sim_dut_bond_policy(d)));
	KV(&e, "table_size", "u", sim_dut_table_size(d));
	trace(d, "bond-evicted", &e);
	KV(stored, "evicted", "s", gone->index);
	rl_remove(d, gone->index);
	g_ptr_array_remove_index(d->store, v);
}

bool sim_dut_paired(struct sim_dut *d, const char *addr, bool bond,
	const struct sim_keys *keys)
{
	bool id = keys->has_irk && keys->identity[0];
	/* NimBLE's store: under the identity the central sent, else under
	 * the address of the link */
	const char *peer = id ? keys->identity : addr;
	char *index = id ? index_of(false, keys->identity) :
	                   index_of(link_random(d, addr), addr);
	struct bond *old = find_bond(d, index);
	struct bond *nb;
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	KV(&b, "peer", "s", peer);
	KV(&b, "link_address", "s", addr);
	KV(&b, "authenticated", "b", keys->authenticated);
	KV(&b, "irk", "b", keys->has_irk);
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
	if (old) {
		rl_remove(d, old->index);
		g_ptr_array_remove(d->store, old);
	}
	while (d->store->len && d->store->len >= sim_dut_table_size(d))
		evict_one(d, peer, &b);
	nb = g_new0(struct bond, 1);
	nb->index = index;
	nb->peer = g_strdup(peer);
	nb->keys = *keys;
	nb->seq = nb->used = ++d->seq;
	/* MicroPython's example writes its secrets to flash only when a
	 * central disconnects */
	nb->saved = !sim_dut_fault(d, SIM_FAULT_SAVE_ON_DISCONNECT);
	/* a subscription made before pairing carries over into the bond */
	nb->cccd = GPOINTER_TO_UINT(g_hash_table_lookup(d->ram_cccd, addr));
	g_hash_table_remove(d->ram_cccd, addr);
	g_ptr_array_add(d->store, nb);
	/* the new central's IRK goes into the controller's resolving list */
	if (keys->has_irk)
		rl_add(d, index, keys->irk);
	KV(&b, "index", "s", index);
	KV(&b, "bonds", "u", d->store->len);
	KV(&b, "saved", "b", nb->saved);
	g_variant_builder_add(&b, "{sv}", "resolving_list", rl_indexes(d));
	trace(d, "bond-stored", &b);
	return true;
}

enum sim_encrypt sim_dut_encrypt(struct sim_dut *d, const char *addr,
	const uint8_t ltk[16])
{
	const char *how;
	char *index = resolve(d, addr, &how);
	struct bond *b = find_bond(d, index);
	bool match = b && memcmp(b->keys.ltk, ltk, 16) == 0;
	enum sim_encrypt r;
	GVariantBuilder t;

	if (match) {
		r = SIM_ENCRYPT_OK;
		/* Zephyr's aging counter: this key was used now */
		b->used = ++d->seq;
	} else if (d->repair_armed)
		r = SIM_ENCRYPT_REPAIR;
	else if (sim_dut_fault(d, SIM_FAULT_TERMINATE_ON_ENCRYPT))
		r = SIM_ENCRYPT_TERMINATE;
	else
		r = SIM_ENCRYPT_KEY_MISSING;

	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "peer", "s", addr);
	KV(&t, "peer_type", "s",
		!link_random(d, addr) ? "public" :
		sim_addr_is_rpa(addr) ? "random (resolvable private)" :
					"random");
	KV(&t, "resolution", "s", how);
	KV(&t, "looked_up", "s", index);
	g_variant_builder_add(&t, "{sv}", "stored", store_indexes(d));
	KV(&t, "found", "b", b != NULL);
	KV(&t, "ltk_matches", "b", match);
	KV(&t, "result", "s", sim_encrypt_to_str(r));
	trace(d, "ltk-request", &t);
	g_free(index);
	return r;
}

void sim_dut_write_cccd(struct sim_dut *d, const char *addr, uint16_t value)
{
	const char *how;
	char *index = resolve(d, addr, &how);
	struct bond *b = find_bond(d, index);
	GVariantBuilder t;

	if (b)
		b->cccd = value;
	else
		g_hash_table_replace(d->ram_cccd, g_strdup(addr),
			GUINT_TO_POINTER(value));
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "peer", "s", addr);
	KV(&t, "value", "q", value);
	KV(&t, "persisted", "b", b != NULL);
	trace(d, "cccd-written", &t);
	g_free(index);
}

uint16_t sim_dut_cccd(struct sim_dut *d, const char *addr)
{
	const char *how;
	char *index = resolve(d, addr, &how);
	struct bond *b = find_bond(d, index);
	uint16_t v = b ? b->cccd :
	                 GPOINTER_TO_UINT(g_hash_table_lookup(d->ram_cccd,
				 addr));

	g_free(index);
	return v;
}

/* ---- link and boot ------------------------------------------------------ */

void sim_dut_connected(struct sim_dut *d, const char *addr, bool random)
{
	g_free(d->peer);
	d->peer = g_strdup(addr);
	d->peer_random = random;
	/* the example firmware stops advertising while connected */
	d->state = SIM_DUT_STATE_CONNECTED;
}

/* MicroPython's example: _IRQ_CENTRAL_DISCONNECT writes every secret */
static void save_all(struct sim_dut *d, const char *why)
{
	GVariantBuilder t;
	unsigned n = 0;

	for (guint i = 0; i < d->store->len; i++) {
		struct bond *b = g_ptr_array_index(d->store, i);

		n += !b->saved;
		b->saved = true;
	}
	if (!n)
		return;
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "on", "s", why);
	KV(&t, "bonds", "u", n);
	g_variant_builder_add(&t, "{sv}", "store", store_indexes(d));
	trace(d, "store-saved", &t);
}

void sim_dut_disconnected(struct sim_dut *d, const char *addr)
{
	if (g_strcmp0(d->peer, addr) != 0)
		return;
	save_all(d, "disconnect");
	g_free(d->peer);
	d->peer = NULL;
	d->peer_random = false;
	/* subscriptions of peers without a bond end with the connection */
	g_hash_table_remove(d->ram_cccd, addr);
	if (d->state == SIM_DUT_STATE_CONNECTED)
		d->state = SIM_DUT_STATE_ADVERTISING;
}

/* A reset loses what was only in RAM: bonds not written yet. */
static void lose_unsaved(struct sim_dut *d)
{
	GVariantBuilder t, lost;
	unsigned n = 0;

	g_variant_builder_init(&lost, G_VARIANT_TYPE("as"));
	for (guint i = d->store->len; i-- > 0;) {
		struct bond *b = g_ptr_array_index(d->store, i);

		if (b->saved)
			continue;
		g_variant_builder_add(&lost, "s", b->index);
		rl_remove(d, b->index);
		g_ptr_array_remove_index(d->store, i);
		n++;
	}
	if (!n) {
		g_variant_builder_clear(&lost);
		return;
	}
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&t, "{sv}", "lost", g_variant_builder_end(&lost));
	KV(&t, "why", "s",
		"reset before a disconnect: the keys were never "
		"written to flash");
	trace(d, "unsaved-bonds-lost", &t);
}

void sim_dut_reboot(struct sim_dut *d, enum sim_reboot_kind kind)
{
	GVariantBuilder t;

	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "boot", "u", d->boot_count);
	KV(&t, "kind", "s", sim_reboot_kind_to_str(kind));
	KV(&t, "connected_peer", "s", d->peer ? d->peer : "");
	trace(d, "reboot", &t);
	lose_unsaved(d);
	g_free(d->peer);
	d->peer = NULL;
	d->peer_random = false;
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

/*
 * NimBLE at boot: each stored central's IRK goes into the controller's
 * resolving list again. Under key-lookup-mismatch (NimBLE 1.4 on a
 * controller without LE Set Privacy Mode, the seed bug) the list is then
 * cleared while the DUT's own IRK is set up, and the peers' IRKs are never
 * added back: from this boot on, RPAs are not resolved.
 */
static void rebuild_resolving_list(struct sim_dut *d)
{
	GVariantBuilder t;
	unsigned added;

	g_ptr_array_set_size(d->rl, 0);
	d->rl_lost = false;
	for (guint i = 0; i < d->store->len; i++) {
		struct bond *b = g_ptr_array_index(d->store, i);

		if (b->keys.has_irk)
			rl_add(d, b->index, b->keys.irk);
	}
	added = d->rl->len;
	if (!sim_dut_fault(d, SIM_FAULT_KEY_LOOKUP_MISMATCH))
		return;
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&t, "{sv}", "lost", rl_indexes(d));
	KV(&t, "added", "u", added);
	KV(&t, "why", "s",
		"the list was cleared to set the DUT's own IRK; LE "
		"Set Privacy Mode was rejected (Unknown HCI Command "
		"0x01) and the centrals' IRKs were not added again");
	trace(d, "resolving-list-lost", &t);
	g_ptr_array_set_size(d->rl, 0);
	d->rl_lost = true;
}

void sim_dut_booted(struct sim_dut *d)
{
	GVariantBuilder t;

	d->boot_count++;
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
			((struct bond *)g_ptr_array_index(d->store, i))->cccd =
				0;
		trace(d, "cccd-lost", NULL);
	}
	rebuild_resolving_list(d);
	if (sim_dut_fault(d, SIM_FAULT_ROTATE_IDENTITY_ON_REBOOT)) {
		char *old = d->address;

		/* a new static random address: the two top bits set */
		d->address = g_strdup_printf("%02X:51:4D:00:%02X:%02X",
			0xE0 | (d->boot_count & 0x1f),
			(d->boot_count >> 8) & 0xff, d->boot_count & 0xff);
		g_free(d->address_type);
		d->address_type = g_strdup("random");
		g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
		KV(&t, "old", "s", old);
		KV(&t, "new", "s", d->address);
		trace(d, "identity-rotated", &t);
		g_free(old);
	}

	d->state = sim_dut_fault(d, SIM_FAULT_NO_ADVERTISE_AFTER_REBOOT) ?
	                   SIM_DUT_STATE_SILENT :
	                   SIM_DUT_STATE_ADVERTISING;
	g_variant_builder_init(&t, G_VARIANT_TYPE("a{sv}"));
	KV(&t, "boot", "u", d->boot_count);
	g_variant_builder_add(&t, "{sv}", "store", store_indexes(d));
	g_variant_builder_add(&t, "{sv}", "resolving_list", rl_indexes(d));
	KV(&t, "lookup", "s", "by the link's address after resolution");
	KV(&t, "advertising", "b", d->state == SIM_DUT_STATE_ADVERTISING);
	trace(d, "booted", &t);
}
