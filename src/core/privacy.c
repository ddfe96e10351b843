/* SPDX-License-Identifier: MIT */
/*
 * privacy.c — a central's address privacy: what the run asks for
 * (`central privacy=`, `--privacy`), what the adapter has (mgmt's current
 * settings, or the simulator's Sim1.Privacy), setting it for the run and
 * back at its end, the address the central used on each link (HCI LE
 * Create Connection, or the simulator's link-up), and what that means for
 * the run's coverage: a central on its public address cannot show the bugs
 * of firmware that looks keys up under a resolvable private address.
 *
 * Each central is read, then run-start is written, then each that needs it
 * is set, one at a time (e->priv_busy); at the end each is put back. Talks
 * to the simulator through step_call() and to the kernel through struct
 * mgmt_ops; decides nothing about a step's verdict.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "step.h"

#define TYPE_PUBLIC "public"
#define TYPE_RPA    "random (resolvable private)"
#define TYPE_RPA_CONTROLLER                     \
	"random (resolvable private, from the " \
	"controller's resolving list)"
#define TYPE_STATIC "random (static)"

static const char *on_off(int v)
{
	return v < 0 ? NULL : v ? LOG_PRIVACY_ON : LOG_PRIVACY_OFF;
}

static const char *wanted_str(enum scn_privacy p)
{
	switch (p) {
	case SCN_PRIVACY_ON: return LOG_PRIVACY_ON;
	case SCN_PRIVACY_OFF: return LOG_PRIVACY_OFF;
	case SCN_PRIVACY_DEFAULT: return LOG_PRIVACY_DEFAULT;
	}
	return LOG_PRIVACY_DEFAULT;
}

static int adapter_index(const char *path)
{
	return bluez_adapter_index(path);
}

static const char *adapter_name(struct central *c)
{
	const char *p = c->adapter ? strrchr(c->adapter, '/') : NULL;

	return p ? p + 1 : "the adapter";
}

/* A resolvable private address: its two top bits are 01. */
static bool is_rpa(const char *addr)
{
	int hi = addr && addr[0] && addr[1] ? g_ascii_xdigit_value(addr[0]) :
	                                      -1;

	return hi >= 0 && (hi & 0xc) == 0x4;
}

void privacy_clear(struct central *c)
{
	struct central_privacy *p = &c->priv;

	if (p->op && c->e->env.mgmt)
		c->e->env.mgmt->cancel(c->e->env.mgmt_data, p->op);
	if (p->powered_timer)
		c->e->env.clock->cancel(c->e->env.clock_data, p->powered_timer);
	p->powered_timer = 0;
	g_free(p->error);
	g_free(p->restore_error);
}

void privacy_abandon(struct central *c)
{
	struct central_privacy *p = &c->priv;

	if (p->op && c->e->env.mgmt)
		c->e->env.mgmt->cancel(c->e->env.mgmt_data, p->op);
	p->op = 0;
	p->wait_powered = false;
}

/* The simulator's adapter object, if this is the simulator. */
static char *sim_object(struct engine *e, struct central *c)
{
	char *sim = bluez_sim_path(c->adapter);

	if (model_prop(e->env.model, sim, BC_SIM_IFACE, "Privacy"))
		return sim;
	g_free(sim);
	return NULL;
}

/* ---- setting it --------------------------------------------------------- */

/* One privacy change is in flight at a time (e->priv_busy): while the run
 * is set up, or a restore at the end; its end goes to the central's
 * set_done. */
static void set_done(struct engine *e, const GError *error)
{
	struct central *c = e->priv_busy;

	e->priv_busy = NULL;
	c->priv.set_done(c, error);
}

static void sim_powered_on(struct engine *e, const struct bluez_reply *r);

static void sim_privacy_set(struct engine *e, const struct bluez_reply *r)
{
	struct central *c = e->priv_busy;

	/* powered on again even when the change was refused */
	if (r->error) {
		GError *err = g_error_copy(r->error);

		step_call(e, BLUEZ_OP_SET_POWERED, c->adapter,
			g_variant_new_boolean(TRUE), NULL);
		set_done(e, err);
		g_error_free(err);
		return;
	}
	step_call(e, BLUEZ_OP_SET_POWERED, c->adapter,
		g_variant_new_boolean(TRUE), sim_powered_on);
}

static void sim_powered_off(struct engine *e, const struct bluez_reply *r)
{
	struct central *c = e->priv_busy;
	char *sim;

	if (r->error) {
		set_done(e, r->error);
		return;
	}
	sim = bluez_sim_path(c->adapter);
	step_call(e, BLUEZ_OP_SIM_SET_PRIVACY, sim,
		g_variant_new_boolean(c->priv.set_to), sim_privacy_set);
	g_free(sim);
}

static void sim_powered_on(struct engine *e, const struct bluez_reply *r)
{
	struct central *c = e->priv_busy;
	bool on = false;

	if (r->error) {
		set_done(e, r->error);
		return;
	}
	if (model_bool(e->env.model, c->adapter, BLUEZ_IFACE_ADAPTER, "Powered",
		    &on) &&
		on) {
		set_done(e, NULL);
		return;
	}
	/* the adapter says so in its own time */
	c->priv.wait_powered = true;
}

void privacy_powered(struct engine *e, struct central *c, bool on)
{
	if (c->priv.mgmt_busy && !on)
		c->priv.saw_off = true;
	if (!c->priv.wait_powered || !on || e->priv_busy != c)
		return;
	c->priv.wait_powered = false;
	if (c->priv.powered_timer)
		e->env.clock->cancel(e->env.clock_data, c->priv.powered_timer);
	c->priv.powered_timer = 0;
	set_done(e, NULL);
}

/* bluetoothd's Powered=true after a mgmt change, within this (ms) */
#define POWERED_WAIT_MS 2000

static gboolean powered_late(gpointer data)
{
	struct central *c = data;
	struct engine *e = c->e;
	GError *err;

	c->priv.powered_timer = 0;
	if (!c->priv.wait_powered || e->priv_busy != c)
		return G_SOURCE_REMOVE;
	if (!c->priv.asked_powered) {
		/* the kernel answered power on, yet bluetoothd still says
		 * off (seen once in the QEMU tier, at the end of a run right
		 * after a disconnect): bluetoothd is asked to power it */
		c->priv.asked_powered = true;
		step_call(e, BLUEZ_OP_SET_POWERED, c->adapter,
			g_variant_new_boolean(TRUE), NULL);
		c->priv.powered_timer = e->env.clock->timeout(e->env.clock_data,
			POWERED_WAIT_MS, powered_late, c);
		return G_SOURCE_REMOVE;
	}
	c->priv.wait_powered = false;
	err = g_error_new(BCERROR, BCERROR_FAILED,
		"%s stays powered off "
		"after its address privacy was set (mgmt answered every step, "
		"and Adapter1.Powered=true was asked too, %d s later)",
		adapter_name(c), POWERED_WAIT_MS / 1000);
	set_done(e, err);
	g_error_free(err);
	return G_SOURCE_REMOVE;
}

static void mgmt_set(const GError *error, void *data)
{
	struct central *c = data;
	struct engine *e = c->e;
	bool on = true;

	c->priv.op = 0;
	c->priv.mgmt_busy = false;
	model_bool(e->env.model, c->adapter, BLUEZ_IFACE_ADAPTER, "Powered",
		&on);
	if (!error && c->priv.powered_before && c->priv.saw_off && !on) {
		/* powered on again by the kernel: bluetoothd says so in its
		 * own time */
		c->priv.wait_powered = true;
		c->priv.asked_powered = false;
		c->priv.powered_timer = e->env.clock->timeout(e->env.clock_data,
			POWERED_WAIT_MS, powered_late, c);
		return;
	}
	set_done(e, error);
}

/* Power off, set privacy to @on, power on; then @fn. */
static void set_privacy(struct central *c, bool on,
	void (*fn)(struct central *c, const GError *error))
{
	struct engine *e = c->e;

	e->priv_busy = c;
	c->priv.set_done = fn;
	c->priv.set_to = on;
	if (c->priv.source && !strcmp(c->priv.source, LOG_PRIVACY_SOURCE_SIM)) {
		/* as mgmt takes it: only while powered off */
		step_call(e, BLUEZ_OP_SET_POWERED, c->adapter,
			g_variant_new_boolean(FALSE), sim_powered_off);
		return;
	}
	c->priv.powered_before = false;
	model_bool(e->env.model, c->adapter, BLUEZ_IFACE_ADAPTER, "Powered",
		&c->priv.powered_before);
	c->priv.saw_off = false;
	c->priv.mgmt_busy = true;
	c->priv.op = e->env.mgmt->set_privacy(e->env.mgmt_data,
		adapter_index(c->adapter), on, mgmt_set, c);
}

/* What the user can do instead, when bondcheck may not set it. */
static char *how_to_set(struct central *c, bool on, const GError *error)
{
	const char *name = adapter_name(c);
	int index = adapter_index(c->adapter);

	return g_strdup_printf(
		"%s has address privacy %s, and this run asks "
		"for it %s (%s). bondcheck sets it for the run, and back after, "
		"when it runs as root; here it could not (%s). Run as root, or "
		"set it yourself: 'sudo btmgmt --index %d power off && sudo "
		"btmgmt --index %d privacy %s && sudo btmgmt --index %d power "
		"on', or for good 'Privacy = %s' in the [General] section of "
		"/etc/bluetooth/main.conf, then 'sudo systemctl restart "
		"bluetooth'%s",
		name, on ? "off" : "on", on ? "on" : "off",
		on ? "central privacy=on or --privacy on: a resolvable private "
		     "address, as a phone uses" :
		     "central privacy=off or --privacy off: its public address",
		error->message, index, index, on ? "on" : "off", index,
		on ? "device" : "off",
		on ? "; --privacy off runs on the public address instead, where "
		     "RPA-dependent key-lookup bugs cannot show" :
		     "");
}

static bool wants_change(const struct central_privacy *p)
{
	return p->want != SCN_PRIVACY_DEFAULT && p->found >= 0 &&
	       p->found != (p->want == SCN_PRIVACY_ON);
}

static void set_next(struct engine *e);

static void setup_set(struct central *c, const GError *error)
{
	struct engine *e = c->e;
	struct central_privacy *p = &c->priv;
	bool on = p->want == SCN_PRIVACY_ON;
	char *m;

	if (error) {
		m = error->code == BCERROR_NOT_PERMITTED ||
		                    error->code == BCERROR_ACCESS_DENIED ?
		            how_to_set(c, on, error) :
		            g_strdup_printf("cannot set %s's address privacy %s: "
					    "%s",
				    adapter_name(c), on ? "on" : "off",
				    error->message);
		g_free(p->error);
		p->error = g_strdup(error->message);
		engine_fail_env(e, m);
		g_free(m);
		return;
	}
	p->changed = true;
	p->now = on;
	m = g_strdup_printf("%s's address privacy is %s for this run (it was "
			    "%s; bondcheck sets it back at the end)",
		adapter_name(c), on ? "on" : "off", on ? "off" : "on");
	engine_note(e, LOG_NOTE_PRIVACY, m);
	g_free(m);
	e->priv_next++;
	set_next(e);
}

/* Each central that needs it is set in turn; then the run goes on. */
static void set_next(struct engine *e)
{
	while (e->priv_next < e->n_centrals) {
		struct central *c = &e->centrals[e->priv_next];

		if (wants_change(&c->priv)) {
			set_privacy(c, c->priv.want == SCN_PRIVACY_ON,
				setup_set);
			return;
		}
		e->priv_next++;
	}
	e->priv_done(e);
}

/* Every central's privacy is known (or not): say it, then set it, or fail
 * for one that must be set but cannot be read. */
static void decided(struct engine *e)
{
	runlog_run_start(e);
	for (unsigned i = 0; i < e->n_centrals; i++) {
		struct central *c = &e->centrals[i];
		struct central_privacy *p = &c->priv;
		char *m;

		p->now = p->found;
		if (p->want == SCN_PRIVACY_DEFAULT || p->found >= 0)
			continue;
		m = g_strdup_printf("this run asks for %s's address privacy %s, "
				    "but it cannot be read (%s)",
			adapter_name(c),
			p->want == SCN_PRIVACY_ON ? "on" : "off",
			p->error ? p->error : "unknown");
		engine_fail_env(e, m);
		g_free(m);
		return;
	}
	e->priv_next = 0;
	set_next(e);
}

static void read_next(struct engine *e);

static void read_done(int privacy, const GError *error, void *data)
{
	struct central *c = data;

	c->priv.op = 0;
	if (error) {
		c->priv.source = NULL;
		c->priv.error = g_strdup(error->message);
	} else {
		c->priv.found = privacy;
	}
	c->e->priv_next++;
	read_next(c->e);
}

/* Each central's adapter in turn: the simulator's Sim1.Privacy, or mgmt. */
static void read_next(struct engine *e)
{
	while (e->priv_next < e->n_centrals) {
		struct central *c = &e->centrals[e->priv_next];
		struct central_privacy *p = &c->priv;
		char *sim = sim_object(e, c);
		bool v = false;

		p->found = -1;
		p->want = e->cfg.privacy != SCN_PRIVACY_DEFAULT ?
		                  e->cfg.privacy :
		                  c->decl->privacy;
		if (sim) {
			p->source = LOG_PRIVACY_SOURCE_SIM;
			if (model_bool(e->env.model, sim, BC_SIM_IFACE,
				    "Privacy", &v))
				p->found = v;
			g_free(sim);
		} else if (e->env.mgmt && adapter_index(c->adapter) >= 0) {
			p->source = LOG_PRIVACY_SOURCE_MGMT;
			p->op = e->env.mgmt->read_privacy(e->env.mgmt_data,
				adapter_index(c->adapter), read_done, c);
			return;
		} else {
			p->error = g_strdup(
				e->env.mgmt_unavailable ?
					e->env.mgmt_unavailable :
					"no access to the "
					"kernel's Bluetooth management interface");
		}
		e->priv_next++;
	}
	decided(e);
}

void privacy_setup(struct engine *e, void (*done)(struct engine *e))
{
	e->priv_done = done;
	e->priv_next = 0;
	read_next(e);
}

static void restore_set(struct central *c, const GError *error)
{
	struct central_privacy *p = &c->priv;
	char *m;

	if (error) {
		p->restore_error = g_strdup(error->message);
		m = g_strdup_printf(
			"could not set %s's address privacy back "
			"%s: %s ('sudo btmgmt --index %d power off && sudo "
			"btmgmt --index %d privacy %s && sudo btmgmt --index %d "
			"power on' does)",
			adapter_name(c), p->found ? "on" : "off",
			error->message, adapter_index(c->adapter),
			adapter_index(c->adapter), p->found ? "on" : "off",
			adapter_index(c->adapter));
		engine_note(c->e, LOG_NOTE_PRIVACY, m);
		g_free(m);
	} else {
		p->restored = true;
	}
	p->done(c->e);
}

void privacy_restore(struct engine *e, struct central *c,
	void (*done)(struct engine *e))
{
	(void)e;
	c->priv.done = done;
	set_privacy(c, c->priv.found == 1, restore_set);
}

/* ---- what the links used ------------------------------------------------ */

static void count_link(struct central *c, const char *addr, const char *type,
	const char *seen_by)
{
	struct central_privacy *p = &c->priv;

	p->links++;
	p->seen_by = seen_by;
	g_strlcpy(p->own_address, addr ? addr : "", sizeof(p->own_address));
	p->own_type = type;
	if (!strcmp(type, TYPE_PUBLIC))
		p->links_public++;
	else if (!strcmp(type, TYPE_STATIC))
		p->links_random++;
	else
		p->links_rpa++;
}

void privacy_hci(struct central *c, const struct engine_hci_event *ev)
{
	struct central_privacy *p = &c->priv;
	const char *adapter_addr;

	if (!strcmp(ev->what, LOG_HCI_LE_SET_RANDOM_ADDRESS) &&
		ev->own_address) {
		g_strlcpy(p->random_address, ev->own_address,
			sizeof(p->random_address));
		return;
	}
	if (strcmp(ev->what, LOG_HCI_LE_CREATE_CONNECTION) != 0)
		return;
	switch (ev->own_address_type) {
	case 0:
		adapter_addr = c->adapter ?
		                       model_str(c->e->env.model, c->adapter,
					       BLUEZ_IFACE_ADAPTER, "Address") :
		                       NULL;
		count_link(c, adapter_addr, TYPE_PUBLIC, LOG_COVERAGE_SEEN_HCI);
		break;
	case 1:
		count_link(c, p->random_address,
			is_rpa(p->random_address) ? TYPE_RPA : TYPE_STATIC,
			LOG_COVERAGE_SEEN_HCI);
		break;
	case 2:
	case 3:
		count_link(c, NULL, TYPE_RPA_CONTROLLER, LOG_COVERAGE_SEEN_HCI);
		break;
	default: break;
	}
}

void privacy_sim_trace(struct central *c, JsonObject *t)
{
	const char *ev = json_object_get_string_member_with_default(t, "event",
		"");
	const char *side = json_object_get_string_member_with_default(t, "side",
		"");
	const char *addr = json_object_get_string_member_with_default(t,
		"central_address", NULL);
	const char *type = json_object_get_string_member_with_default(t,
		"central_address_type", NULL);

	if (strcmp(ev, "link-up") || strcmp(side, "host") || !addr || !type)
		return;
	count_link(c, addr,
		!strcmp(type, TYPE_PUBLIC) ? TYPE_PUBLIC :
		is_rpa(addr)               ? TYPE_RPA :
					     TYPE_STATIC,
		LOG_COVERAGE_SEEN_SIM);
}

void privacy_link_evidence(struct engine *e, JsonBuilder *b,
	unsigned links_before)
{
	struct central_privacy *p = &step_central(e)->priv;

	if (p->links > links_before) {
		if (*p->own_address)
			log_add_str(b, LOG_KEY_CENTRAL_ADDRESS, p->own_address);
		log_add_str(b, LOG_KEY_CENTRAL_ADDRESS_TYPE, p->own_type);
		return;
	}
	/* not seen: what the adapter's setting makes of it */
	if (p->now == 1)
		log_add_str(b, LOG_KEY_CENTRAL_ADDRESS_TYPE,
			"random "
			"(resolvable private: the adapter's privacy is on; "
			"not observed without the HCI monitor)");
	else if (p->now == 0)
		log_add_str(b, LOG_KEY_CENTRAL_ADDRESS_TYPE,
			"public (the "
			"adapter's privacy is off; not observed without the "
			"HCI monitor)");
}

/* The attempt's own link used a resolvable private address (or, not seen,
 * the adapter's privacy is on). */
static bool attempt_rpa(struct central_privacy *p, unsigned links_before,
	bool *known)
{
	*known = true;
	if (p->links > links_before)
		return strcmp(p->own_type, TYPE_PUBLIC) &&
		       strcmp(p->own_type, TYPE_STATIC);
	*known = p->now >= 0;
	return p->now == 1;
}

void privacy_reconnect_passed(struct engine *e, unsigned links_before)
{
	struct central *c = step_central(e);
	bool known, rpa = attempt_rpa(&c->priv, links_before, &known);

	if (!known || rpa)
		return;
	e->public_pass_line = e->st.s->line;
	g_free(e->public_pass_central);
	e->public_pass_central = g_strdup(c->name);
}

void privacy_reconnect_failed(struct engine *e, unsigned links_before)
{
	bool known,
		rpa = attempt_rpa(&step_central(e)->priv, links_before, &known);
	char *t;

	if (!known || !rpa || !e->public_pass_line)
		return;
	t = g_strdup_printf(
		"the same DUT accepted a bonded reconnect from a "
		"public address earlier in this run (line %d, central %s) and "
		"refuses this one from a resolvable private address: the "
		"failure depends on the central's privacy (the DUT does not "
		"resolve the RPA to the bond's identity)",
		e->public_pass_line, e->public_pass_central);
	step_extra_str(e, LOG_KEY_PRIVACY_DEPENDENT, t);
	step_timeline(e, "%s", t);
	g_free(t);
}

/* ---- the log ------------------------------------------------------------ */

void privacy_log_start(const struct central *c, JsonBuilder *b)
{
	const struct central_privacy *p = &c->priv;

	log_begin_object(b, LOG_KEY_PRIVACY);
	log_add_str(b, LOG_KEY_WANTED, wanted_str(p->want));
	log_add_str(b, LOG_KEY_FOUND, on_off(p->found));
	log_add_str(b, LOG_KEY_SOURCE, p->source);
	if (p->error)
		log_add_str(b, LOG_KEY_ERROR, p->error);
	log_add_bool(b, LOG_KEY_SET, wants_change(p));
	json_builder_end_object(b);
}

/* What the run's links say about RPA-dependent bugs: every central's. */
static void coverage(struct engine *e, const char **addr, const char **seen,
	const char **bugs, char **text)
{
	unsigned links = 0, rpa = 0, random = 0, on = 0, off = 0, unknown = 0;
	const char *seen_by = NULL, *why = NULL;

	for (unsigned i = 0; i < e->n_centrals; i++) {
		const struct central_privacy *p = &e->centrals[i].priv;

		links += p->links;
		rpa += p->links_rpa;
		random += p->links_random;
		seen_by = p->seen_by ? p->seen_by : seen_by;
		on += p->now == 1;
		off += p->now == 0;
		if (p->now < 0) {
			unknown++;
			why = p->error ? p->error : why;
		}
	}
	if (links) {
		*seen = seen_by;
		if (rpa == links) {
			*addr = LOG_COVERAGE_ADDR_RPA;
			*bugs = LOG_COVERAGE_COULD_SHOW;
			*text = g_strdup_printf(
				"the central used resolvable "
				"private addresses on its %u link%s, as a phone "
				"does: RPA-dependent key-lookup bugs (the seed "
				"bug) could show",
				links, links == 1 ? "" : "s");
		} else if (rpa) {
			*addr = LOG_COVERAGE_ADDR_MIXED;
			*bugs = LOG_COVERAGE_COULD_SHOW;
			*text = g_strdup_printf(
				"resolvable private addresses "
				"on %u of the %u links: RPA-dependent key-lookup "
				"bugs could show on those",
				rpa, links);
		} else {
			*addr = LOG_COVERAGE_ADDR_PUBLIC;
			*bugs = LOG_COVERAGE_COULD_NOT_SHOW;
			*text = g_strdup_printf(
				"the central used its %s "
				"address on all %u link%s (%s): RPA-dependent "
				"key-lookup bugs (the seed bug) could not show "
				"in this run; a phone uses a resolvable private "
				"address: run with central privacy=on or "
				"--privacy on",
				random ? "static" : "public", links,
				links == 1 ? "" : "s",
				seen_by && !strcmp(seen_by,
						   LOG_COVERAGE_SEEN_HCI) ?
					"HCI LE Create Connection" :
					"the simulator");
		}
		return;
	}
	if (!unknown) {
		*seen = LOG_COVERAGE_SEEN_SETTING;
		*addr = on ? off ? LOG_COVERAGE_ADDR_MIXED :
		                   LOG_COVERAGE_ADDR_RPA :
		             LOG_COVERAGE_ADDR_PUBLIC;
		*bugs = on ? LOG_COVERAGE_COULD_SHOW :
		             LOG_COVERAGE_COULD_NOT_SHOW;
		*text = g_strdup(
			on ? "the adapter's address privacy was on (its links were "
			     "not observed): RPA-dependent key-lookup bugs (the seed "
			     "bug) could show" :
			     "the adapter's address privacy was off, so the central "
			     "used its public address: RPA-dependent key-lookup bugs "
			     "(the seed bug) could not show in this run; a phone "
			     "uses a resolvable private address: run with central "
			     "privacy=on or --privacy on");
		return;
	}
	*seen = LOG_COVERAGE_SEEN_NONE;
	*addr = LOG_COVERAGE_ADDR_UNKNOWN;
	*bugs = LOG_COVERAGE_UNKNOWN;
	*text = g_strdup_printf(
		"the central's address is not known (%s, and "
		"no HCI monitor): RPA-dependent key-lookup bugs (the seed bug) "
		"may not have been able to show; run with --privacy on, or as "
		"root",
		why ? why : "its privacy could not be read");
}

void privacy_log_end(struct engine *e, JsonBuilder *b)
{
	const char *addr, *seen, *bugs;
	char *text;

	log_begin_array(b, LOG_KEY_CENTRALS);
	for (unsigned i = 0; i < e->n_centrals; i++) {
		const struct central *c = &e->centrals[i];
		const struct central_privacy *p = &c->priv;

		json_builder_begin_object(b);
		log_add_str(b, LOG_KEY_NAME, c->name);
		log_begin_object(b, LOG_KEY_PRIVACY);
		log_add_str(b, LOG_KEY_SETTING, on_off(p->now));
		if (p->changed) {
			log_add_bool(b, LOG_KEY_RESTORED, p->restored);
			if (p->restore_error)
				log_add_str(b, LOG_KEY_RESTORE_ERROR,
					p->restore_error);
		}
		log_begin_object(b, LOG_KEY_LINKS);
		log_add_int(b, LOG_KEY_PUBLIC, p->links_public);
		log_add_int(b, LOG_KEY_RPA, p->links_rpa);
		log_add_int(b, LOG_KEY_RANDOM, p->links_random);
		json_builder_end_object(b);
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	coverage(e, &addr, &seen, &bugs, &text);
	log_begin_object(b, LOG_KEY_COVERAGE);
	log_add_str(b, LOG_KEY_CENTRAL_ADDRESS, addr);
	log_add_str(b, LOG_KEY_OBSERVED, seen);
	log_add_str(b, LOG_KEY_RPA_BUGS, bugs);
	log_add_str(b, LOG_KEY_TEXT, text);
	json_builder_end_object(b);
	g_free(text);
}
