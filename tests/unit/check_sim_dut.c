/* SPDX-License-Identifier: MIT */
/*
 * check_sim_dut.c — the DUT model without a bus: what the firmware does with
 * its bond store across reboots, for every fault, and how faults parse;
 * and the bounded JSON its trace events take on the bus.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/sim.h"
#include "suites.h"

#define PEER  "00:B0:DC:00:00:01"
#define PHONE "11:22:33:44:55:66"

struct tr {
	GString *events;
	GPtrArray *details;
};

static void trace(const char *event, GVariant *details, void *data)
{
	struct tr *t = data;

	g_string_append_printf(t->events, "%s;", event);
	g_ptr_array_add(t->details, g_variant_print(details, FALSE));
}

static struct sim_dut *dut_with(struct tr *t, const char *fault)
{
	struct sim_dut_config cfg;
	struct sim_dut *d;

	sim_dut_config_defaults(&cfg);
	t->events = g_string_new("");
	t->details = g_ptr_array_new_with_free_func(g_free);
	d = sim_dut_new(&cfg, trace, t);
	if (fault) {
		enum sim_fault f;
		struct sim_fault_value v;
		GError *err = NULL;

		ck_assert_msg(sim_fault_parse(fault, &f, &v, &err), "%s",
			err ? err->message : "");
		sim_dut_set_fault(d, f, &v);
		g_free(v.text);
	}
	return d;
}

static void tr_free(struct tr *t)
{
	g_string_free(t->events, TRUE);
	g_ptr_array_free(t->details, TRUE);
}

static struct sim_keys keys(uint8_t seed)
{
	struct sim_keys k;

	memset(&k, 0, sizeof(k));
	memset(k.ltk, seed, sizeof(k.ltk));
	return k;
}

/* A central as the DUT meets it: its identity, its privacy, its address on
 * the current link (a new RPA for every link with privacy on). */
struct central {
	const char *identity;
	bool privacy;
	uint8_t irk[16];
	char addr[SIM_ADDR_LEN];
};

static void central_init(struct central *c, const char *identity, bool privacy)
{
	memset(c, 0, sizeof(*c));
	c->identity = identity;
	c->privacy = privacy;
	memset(c->irk, 0xc3, sizeof(c->irk));
	g_strlcpy(c->addr, identity, sizeof(c->addr));
}

static void link_up(struct sim_dut *d, struct central *c)
{
	uint8_t prand[3];

	for (int i = 0; i < 3; i++)
		prand[i] = (uint8_t)g_random_int_range(0, 256);
	if (c->privacy)
		sim_rpa_new(c->irk, prand, c->addr);
	sim_dut_connected(d, c->addr, c->privacy);
}

static void pair(struct sim_dut *d, struct central *c, struct sim_keys *k)
{
	/* BlueZ sends its IRK and identity only with privacy on */
	if (c->privacy) {
		k->has_irk = true;
		memcpy(k->irk, c->irk, 16);
		g_strlcpy(k->identity, c->identity, sizeof(k->identity));
	}
	ck_assert(sim_dut_paired(d, c->addr, true, k));
}

static void bond_and_reboot(struct sim_dut *d, struct central *c,
	struct sim_keys *k)
{
	link_up(d, c);
	pair(d, c, k);
	sim_dut_write_cccd(d, c->addr, 1);
	sim_dut_reboot(d, SIM_REBOOT_HARD);
	ck_assert_int_eq(sim_dut_state(d), SIM_DUT_STATE_BOOTING);
	sim_dut_booted(d);
	link_up(d, c);
}

/*
 * fault (NULL: healthy) x the central's address (Public or Rpa) x the
 * reboot (Hard, Graceful; 'r': hard, after a reconnect before it) -> what
 * the central meets on a reconnect before the reboot and after it.
 */
static const struct {
	const char *fault;
	char central;
	char reboot;
	enum sim_encrypt before;
	enum sim_encrypt after;
	uint16_t cccd;
	enum sim_dut_state state;
	bool same_address;
} after_reboot[] = {
	{ NULL, 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ NULL, 'R', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ NULL, 'R', 'G', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "lose-bond-on-reboot", 'P', 'H', SIM_ENCRYPT_OK,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	{ "lose-bond-on-reboot", 'R', 'G', SIM_ENCRYPT_OK,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	/* the seed bug: only an RPA central, only after a reboot */
	{ "key-lookup-mismatch", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "key-lookup-mismatch", 'R', 'H', SIM_ENCRYPT_OK,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	{ "key-lookup-mismatch", 'R', 'G', SIM_ENCRYPT_OK,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	/* no resolution at all: an RPA central fails before any reboot */
	{ "no-rpa-resolution", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "no-rpa-resolution", 'R', 'G', SIM_ENCRYPT_KEY_MISSING,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	/* keys written on a disconnect: a hard reset on the bonding link
	 * loses them, a graceful one or a hard one after a disconnect not */
	{ "save-on-disconnect", 'P', 'H', SIM_ENCRYPT_OK,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	{ "save-on-disconnect", 'R', 'H', SIM_ENCRYPT_OK,
		SIM_ENCRYPT_KEY_MISSING, 0, SIM_DUT_STATE_ADVERTISING, true },
	{ "save-on-disconnect", 'P', 'G', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "save-on-disconnect", 'P', 'r', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "rotate-identity-on-reboot", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK,
		1, SIM_DUT_STATE_ADVERTISING, false },
	{ "forget-cccd-on-reboot", 'R', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 0,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "no-advertise-after-reboot", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK,
		1, SIM_DUT_STATE_SILENT, true },
	{ "slow-boot=5s", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "repair-on-reconnect", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_REPAIR,
		0, SIM_DUT_STATE_ADVERTISING, true },
	{ "bluez-version=5.83", 'P', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
	{ "terminate-on-encrypt", 'R', 'H', SIM_ENCRYPT_OK, SIM_ENCRYPT_OK, 1,
		SIM_DUT_STATE_ADVERTISING, true },
};

START_TEST(the_bond_store_across_a_reboot)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, after_reboot[_i].fault);
	struct sim_keys k = keys(0x5a);
	struct central c;
	char *first = g_strdup(sim_dut_address(d));
	char reboot = after_reboot[_i].reboot;
	enum sim_encrypt before = SIM_ENCRYPT_OK, after;

	central_init(&c, PEER, after_reboot[_i].central == 'R');
	link_up(d, &c);
	pair(d, &c, &k);
	sim_dut_write_cccd(d, c.addr, 1);
	if (reboot != 'H') {
		/* the link ends (a reconnect before, or the graceful
		 * reboot's own disconnect) */
		sim_dut_disconnected(d, c.addr);
		link_up(d, &c);
		before = sim_dut_encrypt(d, c.addr, k.ltk);
		if (reboot == 'G')
			sim_dut_disconnected(d, c.addr);
	}
	sim_dut_reboot(d,
		reboot == 'G' ? SIM_REBOOT_GRACEFUL : SIM_REBOOT_HARD);
	ck_assert_int_eq(sim_dut_state(d), SIM_DUT_STATE_BOOTING);
	sim_dut_booted(d);
	ck_assert_int_eq(sim_dut_state(d), after_reboot[_i].state);
	ck_assert_int_eq(sim_dut_boot_count(d), 2);
	ck_assert_int_eq(strcmp(first, sim_dut_address(d)) == 0,
		after_reboot[_i].same_address);
	link_up(d, &c);
	ck_assert_int_eq(sim_dut_cccd(d, c.addr), after_reboot[_i].cccd);
	after = sim_dut_encrypt(d, c.addr, k.ltk);
	ck_assert_msg(before == after_reboot[_i].before &&
			      after == after_reboot[_i].after,
		"%s %c %c: got %s then %s, events %s",
		after_reboot[_i].fault ? after_reboot[_i].fault : "healthy",
		after_reboot[_i].central, reboot, sim_encrypt_to_str(before),
		sim_encrypt_to_str(after), t.events->str);
	g_free(first);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(the_seed_bug_shows_where_the_key_was_looked_up)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "key-lookup-mismatch");
	struct sim_keys k = keys(1);
	struct central c;
	const char *last;

	central_init(&c, PEER, true);
	bond_and_reboot(d, &c, &k);
	ck_assert_int_eq(sim_dut_bond_count(d), 1); /* the keys survived */
	ck_assert_ptr_nonnull(strstr(t.events->str, "resolving-list-lost;"));
	ck_assert_int_eq(sim_dut_encrypt(d, c.addr, k.ltk),
		SIM_ENCRYPT_KEY_MISSING);
	last = g_ptr_array_index(t.details, t.details->len - 1);
	ck_assert_ptr_nonnull(strstr(last, "'stored': <['public/" PEER "']>"));
	ck_assert_ptr_nonnull(strstr(last, "'looked_up': <'random/"));
	ck_assert_ptr_nonnull(strstr(last, c.addr));
	ck_assert_ptr_nonnull(strstr(last, "resolving list lost its IRKs"));
	ck_assert_ptr_nonnull(strstr(last, "'found': <false>"));
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(a_healthy_dut_resolves_every_new_rpa)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, NULL);
	struct sim_keys k = keys(7);
	struct central c;
	char first[SIM_ADDR_LEN];

	central_init(&c, PEER, true);
	link_up(d, &c);
	g_strlcpy(first, c.addr, sizeof(first));
	ck_assert(sim_addr_is_rpa(c.addr));
	pair(d, &c, &k);
	for (int i = 0; i < 5; i++) {
		sim_dut_disconnected(d, c.addr);
		link_up(d, &c);
		ck_assert_int_eq(sim_dut_encrypt(d, c.addr, k.ltk),
			SIM_ENCRYPT_OK);
	}
	/* an RPA is resolved by its own IRK only */
	ck_assert(sim_rpa_resolves(c.irk, first));
	c.irk[0] ^= 1;
	ck_assert(!sim_rpa_resolves(c.irk, first));
	ck_assert(!sim_addr_is_rpa(PEER));
	ck_assert(!sim_addr_is_rpa("nonsense"));
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(t.details,
					     t.details->len - 1),
		"resolved through the resolving list"));
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(an_unsaved_bond_is_lost_in_a_hard_reset_and_says_so)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "save-on-disconnect");
	struct sim_keys k = keys(8);
	struct central c;

	central_init(&c, PEER, false);
	bond_and_reboot(d, &c, &k);
	ck_assert_int_eq(sim_dut_bond_count(d), 0);
	ck_assert_ptr_nonnull(strstr(t.events->str,
		"reboot;"
		"unsaved-bonds-lost;booted;"));
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(terminate_on_encrypt_drops_the_link_when_the_key_is_gone)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "terminate-on-encrypt");
	struct sim_keys k = keys(2), other = keys(3);
	struct central c;

	central_init(&c, PEER, false);
	bond_and_reboot(d, &c, &k);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, other.ltk),
		SIM_ENCRYPT_TERMINATE);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk), SIM_ENCRYPT_OK);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(a_full_table_evicts_the_oldest_bond)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "bond-table-full=1");
	struct sim_keys k = keys(4), p = keys(5);

	sim_dut_paired(d, PEER, true, &k);
	sim_dut_paired(d, PHONE, true, &p);
	ck_assert_int_eq(sim_dut_bond_count(d), 1);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk),
		SIM_ENCRYPT_KEY_MISSING);
	ck_assert_int_eq(sim_dut_encrypt(d, PHONE, p.ltk), SIM_ENCRYPT_OK);
	/* the eviction is said outright, then in the new bond's entry */
	ck_assert_str_eq(t.events->str, "fault-set;bond-stored;bond-evicted;"
					"bond-stored;ltk-request;ltk-request;");
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(t.details, 2),
		"'peer': <'" PEER "'>"));
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(t.details, 2),
		"'for': <'" PHONE "'>"));
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(t.details, 2),
		"'policy': <'round-robin'>"));
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(t.details, 3),
		"'evicted': <'public/" PEER "'>"));
	/* pairing the same peer again replaces its entry, no eviction */
	sim_dut_paired(d, PHONE, true, &k);
	ck_assert_int_eq(sim_dut_bond_count(d), 1);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

/*
 * A bond table under each policy: centrals A..D (a letter each) bond ('+'),
 * use their key on an encrypted reconnect ('u'), and the DUT reboots ('r').
 * Which bonds are still there at the end, and which pairings it refused.
 */
static const struct {
	unsigned size;
	enum sim_bond_policy policy;
	const char *fault;
	const char *events;  /* "+A +B uA +C r" */
	const char *bonded;  /* who can still encrypt */
	const char *refused; /* whose bond the DUT refused */
} tables[] = {
	{ 3, SIM_BOND_POLICY_ROUND_ROBIN, NULL, "+A +B +C", "ABC", "" },
	{ 3, SIM_BOND_POLICY_ROUND_ROBIN, NULL, "+A +B +C +D", "BCD", "" },
	/* round-robin goes by bonding order: a use does not save A */
	{ 3, SIM_BOND_POLICY_ROUND_ROBIN, NULL, "+A +B +C uA +D", "BCD", "" },
	{ 1, SIM_BOND_POLICY_ROUND_ROBIN, NULL, "+A +B +C +D", "D", "" },
	{ 2, SIM_BOND_POLICY_ROUND_ROBIN, NULL, "+A +B +C +D r", "CD", "" },
	/* overwrite-oldest goes by use: A reconnected, so B goes */
	{ 3, SIM_BOND_POLICY_OVERWRITE_OLDEST, NULL, "+A +B +C uA +D", "ACD",
		"" },
	{ 3, SIM_BOND_POLICY_OVERWRITE_OLDEST, NULL, "+A +B +C +D", "BCD", "" },
	{ 2, SIM_BOND_POLICY_OVERWRITE_OLDEST, NULL, "+A +B uA uB uA +C", "AC",
		"" },
	/* refuse-when-full: the table keeps the first ones */
	{ 3, SIM_BOND_POLICY_REFUSE_WHEN_FULL, NULL, "+A +B +C +D", "ABC",
		"D" },
	{ 1, SIM_BOND_POLICY_REFUSE_WHEN_FULL, NULL, "+A +B +C", "A", "BC" },
	/* a peer already in a full table may pair again */
	{ 2, SIM_BOND_POLICY_REFUSE_WHEN_FULL, NULL, "+A +B +A", "AB", "" },
	/* bond-table-full=N is NimBLE's table whatever the policy */
	{ 8, SIM_BOND_POLICY_REFUSE_WHEN_FULL, "bond-table-full=2", "+A +B +C",
		"BC", "" },
	/* BTstack #363: after a reboot only the first bond is found */
	{ 8, SIM_BOND_POLICY_ROUND_ROBIN, "lose-later-bonds-on-reboot",
		"+A +B +C", "ABC", "" },
	{ 8, SIM_BOND_POLICY_ROUND_ROBIN, "lose-later-bonds-on-reboot",
		"+A +B +C r", "A", "" },
	{ 2, SIM_BOND_POLICY_ROUND_ROBIN, "lose-later-bonds-on-reboot",
		"+A +B +C r", "B", "" },
	{ 8, SIM_BOND_POLICY_ROUND_ROBIN, "lose-later-bonds-on-reboot",
		"+B +A r +C r", "B", "" },
};

static char *central_addr(char who)
{
	return g_strdup_printf("00:B0:DC:00:00:%02X", who - 'A' + 1);
}

START_TEST(a_bond_table_under_each_policy)
{
	struct tr t;
	struct sim_dut_config cfg;
	struct sim_dut *d;
	char **ev = g_strsplit(tables[_i].events, " ", -1);
	GString *bonded = g_string_new(""), *refused = g_string_new("");

	sim_dut_config_defaults(&cfg);
	cfg.bond_table_size = tables[_i].size;
	cfg.bond_policy = tables[_i].policy;
	t.events = g_string_new("");
	t.details = g_ptr_array_new_with_free_func(g_free);
	d = sim_dut_new(&cfg, trace, &t);
	if (tables[_i].fault) {
		enum sim_fault f;
		struct sim_fault_value v;

		ck_assert(sim_fault_parse(tables[_i].fault, &f, &v, NULL));
		sim_dut_set_fault(d, f, &v);
		g_free(v.text);
	}
	for (char **e = ev; *e; e++) {
		char *who = (*e)[1] ? central_addr((*e)[1]) : NULL;
		struct sim_keys k = keys((uint8_t)(*e)[1]);

		switch ((*e)[0]) {
		case '+':
			if (sim_dut_refuses_bond(d, who))
				g_string_append_c(refused, (*e)[1]);
			else
				ck_assert(sim_dut_paired(d, who, true, &k));
			break;
		case 'u':
			ck_assert_int_eq(sim_dut_encrypt(d, who, k.ltk),
				SIM_ENCRYPT_OK);
			break;
		case 'r':
			sim_dut_reboot(d, SIM_REBOOT_HARD);
			sim_dut_booted(d);
			break;
		}
		g_free(who);
	}
	for (int i = 'A'; i <= 'D'; i++) {
		char c = (char)i;
		char *who = central_addr(c);
		struct sim_keys k = keys((uint8_t)c);

		if (sim_dut_encrypt(d, who, k.ltk) == SIM_ENCRYPT_OK)
			g_string_append_c(bonded, c);
		g_free(who);
	}
	ck_assert_msg(!strcmp(bonded->str, tables[_i].bonded) &&
			      !strcmp(refused->str, tables[_i].refused),
		"%u %s %s: bonded %s refused %s (want %s, %s); events %s",
		tables[_i].size, sim_bond_policy_to_str(tables[_i].policy),
		tables[_i].events, bonded->str, refused->str, tables[_i].bonded,
		tables[_i].refused, t.events->str);
	/* every eviction and refusal is in the trace, by name */
	if (*tables[_i].refused)
		ck_assert_ptr_nonnull(strstr(t.events->str, "bond-refused;"));
	g_string_free(bonded, TRUE);
	g_string_free(refused, TRUE);
	g_strfreev(ev);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(bond_policies_have_names)
{
	static const char *const names[] = { "round-robin", "refuse-when-full",
		"overwrite-oldest" };
	enum sim_bond_policy p;

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		ck_assert(sim_bond_policy_from_str(names[i], &p));
		ck_assert_int_eq(p, (enum sim_bond_policy)i);
		ck_assert_str_eq(sim_bond_policy_to_str(p), names[i]);
	}
	ck_assert(!sim_bond_policy_from_str("fifo", &p));
	ck_assert(!sim_bond_policy_from_str(NULL, &p));
}
END_TEST

START_TEST(pairing_without_bond_stores_nothing)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, NULL);
	struct sim_keys k = keys(6);

	sim_dut_connected(d, PEER, false);
	sim_dut_paired(d, PEER, false, &k);
	sim_dut_write_cccd(d, PEER, 1);
	ck_assert_int_eq(sim_dut_bond_count(d), 0);
	ck_assert_int_eq(sim_dut_cccd(d, PEER), 1);
	/* a subscription without a bond lasts as long as the link */
	sim_dut_disconnected(d, PEER);
	ck_assert_int_eq(sim_dut_cccd(d, PEER), 0);
	ck_assert_int_eq(sim_dut_state(d), SIM_DUT_STATE_ADVERTISING);
	ck_assert_int_eq(sim_dut_encrypt(d, PEER, k.ltk),
		SIM_ENCRYPT_KEY_MISSING);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

START_TEST(slow_boot_replaces_the_boot_time)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "slow-boot=2500ms");

	ck_assert_int_eq(sim_dut_boot_ms(d, 1500), 2500);
	sim_dut_clear_faults(d);
	ck_assert_int_eq(sim_dut_boot_ms(d, 1500), 1500);
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

/* A counted fault takes its next N links, each once; setting it again
 * counts anew; a fault without a count, or one not set, takes none. */
START_TEST(a_counted_fault_takes_its_next_n_links)
{
	struct tr t;
	struct sim_dut *d = dut_with(&t, "drop-during-discovery=2");
	char one[] = "1";
	struct sim_fault_value v = { .on = true, .count = 1, .text = one };
	enum sim_fault f = SIM_FAULT_DROP_DURING_DISCOVERY;

	ck_assert(!sim_dut_take_counted(d, SIM_FAULT_BLUEZ_MISSES_LINK));
	ck_assert(sim_dut_take_counted(d, f));
	ck_assert(sim_dut_take_counted(d, f));
	ck_assert(!sim_dut_take_counted(d, f));
	sim_dut_set_fault(d, f, &v);
	ck_assert(sim_dut_take_counted(d, f));
	ck_assert(!sim_dut_take_counted(d, f));
	sim_dut_set_fault(d, f, &v);
	sim_dut_clear_faults(d);
	ck_assert(!sim_dut_take_counted(d, f));
	v.text = NULL;
	sim_dut_set_fault(d, SIM_FAULT_LOSE_BOND_ON_REBOOT, &v);
	ck_assert(!sim_dut_take_counted(d, SIM_FAULT_LOSE_BOND_ON_REBOOT));
	sim_dut_free(d);
	tr_free(&t);
}
END_TEST

static const struct {
	const char *spec;
	bool ok;
	enum sim_fault fault;
} specs[] = {
	{ "lose-bond-on-reboot", true, SIM_FAULT_LOSE_BOND_ON_REBOOT },
	{ "key-lookup-mismatch", true, SIM_FAULT_KEY_LOOKUP_MISMATCH },
	{ "no-rpa-resolution", true, SIM_FAULT_NO_RPA_RESOLUTION },
	{ "save-on-disconnect", true, SIM_FAULT_SAVE_ON_DISCONNECT },
	{ "save-on-disconnect=1", false, 0 },
	{ "slow-boot=5s", true, SIM_FAULT_SLOW_BOOT },
	{ "slow-boot=250ms", true, SIM_FAULT_SLOW_BOOT },
	{ "bond-table-full=3", true, SIM_FAULT_BOND_TABLE_FULL },
	{ "bluez-version=5.83", true, SIM_FAULT_BLUEZ_VERSION },
	{ "bluez-version=5.64", true, SIM_FAULT_BLUEZ_VERSION },
	{ "lose-bond-on-reboot=1", false, 0 },
	{ "slow-boot", false, 0 },
	{ "slow-boot=5", false, 0 },
	{ "bond-table-full=0", false, 0 },
	{ "bond-table-full=x", false, 0 },
	{ "bluez-version=4.101", false, 0 },
	{ "att-error=0x80", true, SIM_FAULT_ATT_ERROR },
	{ "att-error=8", true, SIM_FAULT_ATT_ERROR },
	{ "att-error=0xff", true, SIM_FAULT_ATT_ERROR },
	{ "att-error", false, 0 },
	{ "att-error=0", false, 0 },
	{ "att-error=0x100", false, 0 },
	{ "att-error=-1", false, 0 },
	{ "att-error= 8", false, 0 },
	{ "att-error=0x8g", false, 0 },
	{ "bluez-misses-link=1", true, SIM_FAULT_BLUEZ_MISSES_LINK },
	{ "bluez-misses-link=64", true, SIM_FAULT_BLUEZ_MISSES_LINK },
	{ "bluez-misses-link", false, 0 },
	{ "bluez-misses-link=0", false, 0 },
	{ "bluez-misses-link=65", false, 0 },
	{ "drop-during-discovery=1", true, SIM_FAULT_DROP_DURING_DISCOVERY },
	{ "drop-during-discovery", false, 0 },
	{ "drop-during-discovery=0", false, 0 },
	/* an argument is at most SIM_FAULT_ARG_MAX_BYTES (64) long */
	{ "slow-boot=000000000000000000000000000000000000000000000000000000000000001s",
		true, SIM_FAULT_SLOW_BOOT },
	{ "slow-boot=0000000000000000000000000000000000000000000000000000000000000001s",
		false, 0 },
	{ "no-such-fault", false, 0 },
	{ "", false, 0 },
};

START_TEST(fault_specs_parse_or_are_refused)
{
	enum sim_fault f = SIM_FAULT_COUNT;
	struct sim_fault_value v;
	GError *err = NULL;
	bool ok = sim_fault_parse(specs[_i].spec, &f, &v, &err);

	ck_assert_msg(ok == specs[_i].ok, "%s: %s", specs[_i].spec,
		err ? err->message : "accepted");
	if (ok) {
		ck_assert_int_eq(f, specs[_i].fault);
		g_free(v.text);
	} else {
		ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_INPUT));
		g_error_free(err);
	}
}
END_TEST

START_TEST(every_fault_has_a_name_and_a_line)
{
	for (int f = 0; f < SIM_FAULT_COUNT; f++) {
		const struct sim_fault_info *i = sim_fault_info(f);

		ck_assert_ptr_nonnull(i);
		ck_assert_int_eq(i->fault, f);
		ck_assert(strlen(i->summary) > 20);
	}
	ck_assert_ptr_null(sim_fault_info(SIM_FAULT_COUNT));
}
END_TEST

/* ---- the Trace signal's JSON ------------------------------------------- */

static GVariant *dict(const char *text)
{
	return g_variant_ref_sink(g_variant_new_parsed(text));
}

static const struct {
	const char *details; /* a{sv} in GVariant text, or NULL */
	const char *expect;  /* the line, or NULL: truncated */
} traces[] = {
	{ NULL, "{\"event\":\"e\",\"t_us\":7}" },
	{ "@a{sv} {}", "{\"event\":\"e\",\"t_us\":7}" },
	{ "{'via': <'gatt'>}",
		"{\"event\":\"e\",\"t_us\":7,\"via\":\"gatt\"}" },
	{ "{'boot': <uint32 3>, 'store': <['a', 'b']>, 'on': <true>}",
		"{\"event\":\"e\",\"t_us\":7,\"boot\":3,"
		"\"store\":[\"a\",\"b\"],\"on\":true}" },
	/* deeper than an array of scalars */
	{ "{'x': <[['a']]>}", NULL },
	{ "{'x': <{'k': <1>}>}", NULL },
	{ "{'x': <(1, [2])>}", NULL },
};

START_TEST(trace_json_is_flat_or_truncated)
{
	GVariant *d = traces[_i].details ? dict(traces[_i].details) : NULL;
	char *line = sim_trace_json("e", 7, d);

	if (traces[_i].expect)
		ck_assert_str_eq(line, traces[_i].expect);
	else
		ck_assert_str_eq(line, "{\"event\":\"e\",\"t_us\":7,"
				       "\"truncated\":true,\"bytes\":0}");
	g_free(line);
	if (d)
		g_variant_unref(d);
}
END_TEST

/* The size bound: the largest real event fits; anything longer is cut. */
START_TEST(trace_json_is_at_most_its_bound)
{
	GVariantBuilder store;
	GVariant *d;
	char *line, *big, *want;

	/* booted with a full 64-entry table, the largest event there is */
	g_variant_builder_init(&store, G_VARIANT_TYPE("as"));
	for (int i = 0; i < 64; i++) {
		char *idx = g_strdup_printf("random/C0:FF:EE:00:13:%02X", i);

		g_variant_builder_add(&store, "s", idx);
		g_free(idx);
	}
	d = g_variant_new_parsed("{'boot': <uint32 4000000000>, "
				 "'store': %v, 'lookup': <'by peer identity'>, "
				 "'advertising': <true>}",
		g_variant_builder_end(&store));
	g_variant_ref_sink(d);
	line = sim_trace_json("booted", G_MAXINT64, d);
	ck_assert_msg(strstr(line, "\"truncated\"") == NULL, "%s", line);
	ck_assert_uint_le(strlen(line), SIM_TRACE_MAX_BYTES);
	g_free(line);
	g_variant_unref(d);

	big = g_strnfill(100000, 'x');
	d = g_variant_ref_sink(g_variant_new_parsed("{'arg': <%s>}", big));
	line = sim_trace_json("fault-set", 5, d);
	/* what it would have been: {"event":"fault-set","t_us":5,"arg":"x..."} */
	want = g_strdup_printf("{\"event\":\"fault-set\",\"t_us\":5,"
			       "\"truncated\":true,\"bytes\":%d}",
		100000 + 39);
	ck_assert_str_eq(line, want);
	ck_assert_uint_le(strlen(line), SIM_TRACE_MAX_BYTES);
	g_free(want);
	g_free(line);
	g_variant_unref(d);
	g_free(big);
}
END_TEST

Suite *sim_dut_suite(void)
{
	Suite *s = suite_create("sim_dut");
	TCase *tc = tcase_create("dut");

	tcase_add_loop_test(tc, the_bond_store_across_a_reboot, 0,
		G_N_ELEMENTS(after_reboot));
	tcase_add_test(tc, the_seed_bug_shows_where_the_key_was_looked_up);
	tcase_add_test(tc, a_healthy_dut_resolves_every_new_rpa);
	tcase_add_test(tc, an_unsaved_bond_is_lost_in_a_hard_reset_and_says_so);
	tcase_add_test(tc,
		terminate_on_encrypt_drops_the_link_when_the_key_is_gone);
	tcase_add_test(tc, a_full_table_evicts_the_oldest_bond);
	tcase_add_loop_test(tc, a_bond_table_under_each_policy, 0,
		G_N_ELEMENTS(tables));
	tcase_add_test(tc, bond_policies_have_names);
	tcase_add_test(tc, pairing_without_bond_stores_nothing);
	tcase_add_test(tc, slow_boot_replaces_the_boot_time);
	tcase_add_test(tc, a_counted_fault_takes_its_next_n_links);
	tcase_add_loop_test(tc, fault_specs_parse_or_are_refused, 0,
		G_N_ELEMENTS(specs));
	tcase_add_test(tc, every_fault_has_a_name_and_a_line);
	tcase_add_loop_test(tc, trace_json_is_flat_or_truncated, 0,
		G_N_ELEMENTS(traces));
	tcase_add_test(tc, trace_json_is_at_most_its_bound);
	suite_add_tcase(s, tc);
	return s;
}
