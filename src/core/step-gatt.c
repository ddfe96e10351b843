/* SPDX-License-Identifier: MIT */
/*
 * step-gatt.c — `read`, `write`, `subscribe`, `expect-notify` and
 * `expect-no-notify`, and the notification sessions a central holds across
 * steps.
 *
 * Real bluetoothd replaces GATT objects under new handles when the DUT's
 * database changed: an operation whose object vanished waits for the
 * characteristic to come back and is done again there (gatt_moved).
 * BlueZ re-subscribes the sessions it holds when a link returns, which would
 * hide a DUT that forgot our CCCD: we drop ours at a link loss, and
 * expect-notify reads the DUT's own CCCD before subscribing again.
 */
#include <string.h>

#include "bondcheck/bluez.h"
#include "bondcheck/names.h"
#include "step.h"

#define GATT_MAX_MOVES 3

struct sub {
	char *uuid;
	bool active;            /* our StartNotify session exists */
	bool dropped;           /* ...and we dropped it at a link loss */
	unsigned notifications; /* since the session (re)started */
	unsigned consumed;      /* ...of them, what expect-notify saw */
	GBytes *last;           /* the last one's value, if known */
};

/* One enum for the family: each step goes through some of them. */
enum gatt_phase {
	GATT_PHASE_START,
	GATT_PHASE_READING,
	GATT_PHASE_WRITING,
	GATT_PHASE_SUBSCRIBING,       /* StartNotify in flight */
	GATT_PHASE_WAITING_NOTIFYING, /* ...answered: Notifying to come */
	GATT_PHASE_READING_CCCD,
	GATT_PHASE_RESUBSCRIBING,
	GATT_PHASE_WAITING_NOTIFY,
	GATT_PHASE_WATCHING, /* expect-no-notify: for= runs */
};

static const char *gatt_phase_to_str(int phase)
{
	switch ((enum gatt_phase)phase) {
	case GATT_PHASE_START: return "start";
	case GATT_PHASE_READING: return "reading";
	case GATT_PHASE_WRITING: return "writing";
	case GATT_PHASE_SUBSCRIBING: return "subscribing";
	case GATT_PHASE_WAITING_NOTIFYING: return "waiting-for-notifying";
	case GATT_PHASE_READING_CCCD: return "reading-cccd";
	case GATT_PHASE_RESUBSCRIBING: return "resubscribing";
	case GATT_PHASE_WAITING_NOTIFY: return "waiting-for-notification";
	case GATT_PHASE_WATCHING: return "watching";
	}
	return "unknown";
}

/* ---- a central's sessions ------------------------------------------------ */

static void sub_free(void *data)
{
	struct sub *s = data;

	g_free(s->uuid);
	if (s->last)
		g_bytes_unref(s->last);
	g_free(s);
}

void gatt_subs_init(struct central *c)
{
	c->subs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		sub_free);
}

static struct sub *get_sub(struct central *c, const char *uuid, bool create)
{
	struct sub *s = g_hash_table_lookup(c->subs, uuid);

	if (!s && create) {
		s = g_new0(struct sub, 1);
		s->uuid = g_strdup(uuid);
		g_hash_table_insert(c->subs, s->uuid, s);
	}
	return s;
}

typedef void (*sub_fn)(struct central *c, struct sub *s, const char *chr,
	const char *path);

/* @fn for each active session whose characteristic BlueZ has now. */
static void active_subs(struct central *c, sub_fn fn, const char *path)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, c->subs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct sub *s = v;
		const char *chr = central_find_chr(c, s->uuid);

		if (chr && s->active)
			fn(c, s, chr, path);
	}
}

static void drop_sub(struct central *c, struct sub *s, const char *chr,
	const char *path)
{
	(void)path;
	s->active = false;
	s->dropped = true;
	step_call(c->e, BLUEZ_OP_STOP_NOTIFY, chr, NULL, NULL);
}

void gatt_subs_link_lost(struct central *c)
{
	/*
	 * BlueZ re-subscribes the sessions it still holds when the link
	 * returns, and would hide a DUT that forgot our CCCD. Dropping our
	 * session now (no ATT write without a link) keeps the DUT honest.
	 */
	active_subs(c, drop_sub, NULL);
}

static void count_notification(struct central *c, struct sub *s,
	const char *chr, const char *path)
{
	/* our own read changes Value too: that is not a notification */
	if (strcmp(chr, path) != 0 ||
		step_call_pending(c->e, BLUEZ_OP_READ, path))
		return;
	GVariant *v = model_prop(c->e->env.model, path, BLUEZ_IFACE_GATT_CHRC,
		"Value");
	char *hex = NULL;

	if (s->last) {
		g_bytes_unref(s->last);
		s->last = NULL;
	}
	if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_BYTESTRING)) {
		gsize n = 0;
		const guint8 *d = g_variant_get_fixed_array(v, &n, 1);

		s->last = g_bytes_new(d, n);
		hex = evlog_hex(d, n);
	}
	s->notifications++;
	step_timeline(c->e, "notification from %s%s%s", s->uuid,
		hex ? ": " : "", hex ? hex : "");
	g_free(hex);
}

void gatt_subs_value(struct central *c, const char *path)
{
	active_subs(c, count_notification, path);
}

void gatt_subs_forget(struct central *c)
{
	g_hash_table_remove_all(c->subs);
}

static void link_came_up(struct central *c, const char *seen_by)
{
	c->link_notifications = 0;
	c->notifications_seen_by = seen_by;
	c->link_up_us = engine_now(c->e);
}

void gatt_subs_hci(struct central *c, const struct engine_hci_event *ev)
{
	if (!strcmp(ev->what, LOG_HCI_LE_CONNECTION) && ev->status == 0)
		link_came_up(c, "HCI");
	else if (!strcmp(ev->what, LOG_HCI_ATT_NOTIFICATION) &&
		 !(ev->text && strstr(ev->text, "Indication")))
		/* an indication (Service Changed's) is not a notification */
		c->link_notifications++;
}

void gatt_subs_sim(struct central *c, JsonObject *t)
{
	const char *ev = json_object_get_string_member_with_default(t, "event",
		"");
	const char *side = json_object_get_string_member_with_default(t, "side",
		"");

	if (!strcmp(ev, "link-up") && !strcmp(side, "host"))
		link_came_up(c, "the simulator");
	else if (!strcmp(ev, "notification"))
		c->link_notifications++;
}

/* ---- the steps' common part --------------------------------------------- */

static bool need_chr(struct engine *e)
{
	struct central *c = step_central(e);
	const char *chr = central_find_chr(c, e->st.s->uuid);

	if (chr) {
		e->st.u.gatt.chr = g_strdup(chr);
		return true;
	}
	step_fail(e, VERDICT_GATT_ERROR, CONFIDENCE_NONE,
		"the DUT has no characteristic %s%s", e->st.s->uuid,
		central_dev_bool(c, "ServicesResolved") ?
			"" :
			" (not connected, or services not resolved yet)");
	return false;
}

/* The step's GATT operation, again, on the characteristic as it is now. */
static void gatt_restart(struct engine *e)
{
	e->st.u.gatt.chr_wait = false;
	g_clear_pointer(&e->st.u.gatt.chr, g_free);
	e->st.ops->start(e);
}

/*
 * The object was gone when BlueZ got the call: the DUT's services changed
 * (Service Changed, or a new database hash) and BlueZ replaced its GATT
 * objects under new handles. Real bluetoothd does this right after pairing
 * when the DUT's database changed since it was cached. Not the DUT's fault:
 * wait, within the step's timeout, for the characteristic to come back and
 * do the operation again on it.
 */
static bool gatt_moved(struct engine *e, const struct bluez_reply *r)
{
	struct gatt_state *g = &e->st.u.gatt;
	const char *now;
	bool gone = r->error_name &&
	            (!strcmp(r->error_name, DBUS_ERR_UNKNOWN_OBJECT) ||
			    !strcmp(r->error_name, DBUS_ERR_UNKNOWN_METHOD));
	/* the handle BlueZ still had is no longer the DUT's: ATT 0x01 */
	bool stale = r->error_text &&
	             strstr(r->error_text, "ATT error: 0x01") != NULL;

	if ((!gone && !stale) || g->chr_moves >= GATT_MAX_MOVES || !g->chr)
		return false;
	g->chr_moves++;
	step_extra_int(e, LOG_KEY_GATT_OBJECTS_REPLACED, g->chr_moves);
	step_timeline(e,
		"%s is %s (the DUT's services changed); waiting for "
		"the characteristic to come back",
		g->chr, gone ? "gone" : "stale (ATT: Invalid Handle)");
	now = central_find_chr(step_central(e), e->st.s->uuid);
	if (now && strcmp(now, g->chr) != 0) {
		gatt_restart(e);
		return true;
	}
	g->chr_wait = true;
	return true;
}

static void gatt_failed(struct engine *e, const struct bluez_reply *r,
	const char *what)
{
	struct gatt_state *g = &e->st.u.gatt;
	struct link_obs o;
	enum confidence c;
	const char *why;
	enum verdict v;

	/* a bonded link that drops under an encrypted read: the key is bad */
	link_obs_init(&o);
	o.bonded = central_bonded(step_central(e));
	o.connected = true;
	o.dropped = g->link_dropped;
	o.pairing_requested = g->pairing_seen;
	o.error_name = e->st.err_name;
	o.error_text = e->st.err_text;
	o.replied = true;
	o.dut_advertised = true;
	if (o.bonded && (o.dropped || o.pairing_requested)) {
		v = verdict_classify_link(&o, &c, &why);
		step_extra_str(e, LOG_KEY_RULE, why);
		step_fail(e, v, c, "%s failed: %s", what, why);
		return;
	}
	step_fail(e, VERDICT_GATT_ERROR, CONFIDENCE_NONE, "%s failed: %s%s%s",
		what, r->error_name ? r->error_name : r->error->message,
		r->error_text ? " " : "", r->error_text ? r->error_text : "");
}

/* The reply of a GATT call: true when the step goes on with @r's value. */
static bool gatt_answered(struct engine *e, const struct bluez_reply *r,
	const char *what)
{
	if (r->error && gatt_moved(e, r))
		return false;
	if (r->error) {
		gatt_failed(e, r, what);
		return false;
	}
	return true;
}

/* The bytes of an (ay) reply, as hex. */
static char *reply_hex(const struct bluez_reply *r, GVariant **ay,
	const guint8 **d, gsize *n)
{
	*ay = g_variant_get_child_value(r->value, 0);
	*d = g_variant_get_fixed_array(*ay, n, 1);
	return evlog_hex(*d, *n);
}

/*
 * A D-Bus error name in the kebab case scenarios use:
 * org.bluez.Error.NotPermitted is not-permitted. BlueZ before 5.5x named an
 * ATT error it has no name for plain org.bluez.Error: failed, as now.
 */
static char *error_kebab(const char *name)
{
	const char *last = name ? strrchr(name, '.') : NULL;
	GString *k;

	if (!name)
		return g_strdup("(no D-Bus error)");
	if (!strcmp(name, "org.bluez.Error"))
		return g_strdup("failed");
	last = last ? last + 1 : name;
	k = g_string_new(NULL);
	for (const char *c = last; *c; c++) {
		if (g_ascii_isupper(*c) && c != last)
			g_string_append_c(k, '-');
		g_string_append_c(k, g_ascii_tolower(*c));
	}
	return g_string_free(k, FALSE);
}

/* Is @r the error @want (a kebab name, or att-0xNN: BlueZ's text names the
 * ATT code only for codes it has no D-Bus name for)? */
static bool error_is(const struct bluez_reply *r, const char *want,
	const char *kebab)
{
	if (!strncmp(want, "att-0x", 6)) {
		char *low = r->error_text ? g_ascii_strdown(r->error_text, -1) :
		                            NULL;
		char *needle = g_strdup_printf("att error: 0x%s", want + 6);
		bool is = low && strstr(low, needle);

		g_free(low);
		g_free(needle);
		return is;
	}
	return !strcmp(kebab, want);
}

/* read/write expect-error=: the step passes only when exactly that error
 * came */
static void expect_error_reply(struct engine *e, const struct bluez_reply *r,
	const char *what)
{
	const char *want = e->st.s->expect_error;
	char *got;

	if (r->error && gatt_moved(e, r))
		return;
	if (!r->error) {
		GVariant *ay = NULL;
		const guint8 *d;
		gsize n = 0;
		char *hex = r->value && g_variant_is_of_type(r->value,
						G_VARIANT_TYPE("(ay)")) ?
		                    reply_hex(r, &ay, &d, &n) :
		                    NULL;

		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"%s succeeded%s%s%s, expected the error %s", what,
			hex ? " (value " : "", hex ? hex : "", hex ? ")" : "",
			want);
		g_free(hex);
		if (ay)
			g_variant_unref(ay);
		return;
	}
	got = error_kebab(r->error_name);
	if (error_is(r, want, got)) {
		step_timeline(e, "%s failed as expected: %s (%s)", what, got,
			r->error_text ? r->error_text : "");
		step_pass(e);
	} else {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"%s failed with %s (%s%s%s), expected %s", what, got,
			r->error_name ? r->error_name : r->error->message,
			r->error_text ? ": " : "",
			r->error_text ? r->error_text : "", want);
	}
	g_free(got);
}

static void gatt_clear(struct engine *e)
{
	g_free(e->st.u.gatt.chr);
}

static void gatt_chr_added(struct engine *e, const char *path)
{
	const char *chr;

	(void)path;
	if (!e->st.u.gatt.chr_wait)
		return;
	chr = central_find_chr(step_central(e), e->st.s->uuid);
	if (!chr)
		return;
	step_timeline(e, "the characteristic is back at %s", chr);
	gatt_restart(e);
}

static void gatt_dut_prop(struct engine *e, const char *name, GVariant *v)
{
	if (!strcmp(name, "Connected") && !step_true(v))
		e->st.u.gatt.link_dropped = true;
}

static void gatt_agent(struct engine *e, const struct engine_agent_event *ev)
{
	(void)ev;
	e->st.u.gatt.pairing_seen = true;
}

static void gatt_timeout(struct engine *e, const char *d)
{
	step_fail(e, VERDICT_GATT_ERROR, CONFIDENCE_NONE,
		"%s did not complete within %s",
		scn_step_type_to_str(e->st.s->type), d);
}

#define GATT_OPS                                          \
	.clear = gatt_clear, .chr_added = gatt_chr_added, \
	.dut_prop = gatt_dut_prop, .agent = gatt_agent,   \
	.phase_to_str = gatt_phase_to_str

/* ---- read ---------------------------------------------------------------- */

static void read_reply(struct engine *e, const struct bluez_reply *r)
{
	const struct scn_step *s = e->st.s;
	GVariant *ay;
	gsize n = 0;
	const guint8 *d;
	char *hex;

	if (s->expect_error) {
		expect_error_reply(e, r, "ReadValue");
		return;
	}
	if (!gatt_answered(e, r, "ReadValue"))
		return;
	if (e->st.u.gatt.pairing_seen && central_bonded(step_central(e)) &&
		e->st.phase == GATT_PHASE_READING) {
		gatt_failed(e, r, "ReadValue");
		return;
	}
	hex = reply_hex(r, &ay, &d, &n);
	step_extra_str(e, LOG_KEY_VALUE, hex);
	if (s->value) {
		gsize en;
		const guint8 *ed = g_bytes_get_data(s->value, &en);

		if (en != n || memcmp(ed, d, n) != 0) {
			char *want = evlog_hex(ed, en);

			step_fail(e, VERDICT_EXPECTATION_FAILED,
				CONFIDENCE_NONE, "read %s, expected %s", hex,
				want);
			g_free(want);
			g_free(hex);
			g_variant_unref(ay);
			return;
		}
	}
	g_free(hex);
	g_variant_unref(ay);
	step_pass(e);
}

static void read_start(struct engine *e)
{
	if (!need_chr(e))
		return;
	/* an encrypted read may make BlueZ pair: fine without a bond only */
	central_agent_policy(step_central(e), !central_bonded(step_central(e)),
		-1);
	step_enter_phase(e, GATT_PHASE_READING);
	step_call(e, BLUEZ_OP_READ, e->st.u.gatt.chr, NULL, read_reply);
}

const struct step_ops step_read_ops = {
	.start = read_start,
	.timeout = gatt_timeout,
	GATT_OPS,
};

/* ---- write --------------------------------------------------------------- */

static void write_reply(struct engine *e, const struct bluez_reply *r)
{
	if (e->st.s->expect_error)
		expect_error_reply(e, r, "WriteValue");
	else if (gatt_answered(e, r, "WriteValue"))
		step_pass(e);
}

static void write_start(struct engine *e)
{
	gsize n;
	const guint8 *d;

	if (!need_chr(e))
		return;
	d = g_bytes_get_data(e->st.s->value, &n);
	step_enter_phase(e, GATT_PHASE_WRITING);
	step_call(e, BLUEZ_OP_WRITE, e->st.u.gatt.chr,
		g_variant_new("(@ays)",
			g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, d, n, 1),
			e->st.s->write_command ? "command" : "request"),
		write_reply);
}

const struct step_ops step_write_ops = {
	.start = write_start,
	.timeout = gatt_timeout,
	GATT_OPS,
};

/* ---- subscribe ----------------------------------------------------------- */

static void notifying_check(struct engine *e)
{
	struct gatt_state *g = &e->st.u.gatt;
	bool v = false;

	if (e->st.phase == GATT_PHASE_WAITING_NOTIFYING &&
		model_bool(e->env.model, g->chr, BLUEZ_IFACE_GATT_CHRC,
			"Notifying", &v) &&
		v) {
		g->sub->active = true;
		g->sub->dropped = false;
		step_pass(e);
	}
}

static void subscribe_reply(struct engine *e, const struct bluez_reply *r)
{
	if (!gatt_answered(e, r, "StartNotify"))
		return;
	e->st.u.gatt.sub->notifications = 0;
	e->st.u.gatt.sub->consumed = 0;
	step_enter_phase(e, GATT_PHASE_WAITING_NOTIFYING);
	notifying_check(e);
}

static void subscribe_start(struct engine *e)
{
	if (!need_chr(e))
		return;
	e->st.u.gatt.sub = get_sub(step_central(e), e->st.s->uuid, true);
	step_enter_phase(e, GATT_PHASE_SUBSCRIBING);
	step_call(e, BLUEZ_OP_START_NOTIFY, e->st.u.gatt.chr, NULL,
		subscribe_reply);
}

static void subscribe_chr_changed(struct engine *e, const char *path,
	const char *name)
{
	(void)path;
	if (!strcmp(name, "Notifying"))
		notifying_check(e);
}

const struct step_ops step_subscribe_ops = {
	.start = subscribe_start,
	.chr_changed = subscribe_chr_changed,
	.timeout = gatt_timeout,
	GATT_OPS,
};

/* ---- expect-notify ------------------------------------------------------- */

/* expect=: the notification's value is the one expected */
static bool notify_value_ok(struct engine *e, struct sub *sub)
{
	const struct scn_step *s = e->st.s;
	gsize en, n = 0;
	const guint8 *ed, *d;
	char *want, *got;

	if (!s->value)
		return true;
	ed = g_bytes_get_data(s->value, &en);
	d = sub->last ? g_bytes_get_data(sub->last, &n) : NULL;
	if (d && n == en && !memcmp(d, ed, n))
		return true;
	want = evlog_hex(ed, en);
	got = d ? evlog_hex(d, n) : NULL;
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"the notification from %s carried %s, expected %s", s->uuid,
		got ? got : "no value BlueZ showed", want);
	g_free(want);
	g_free(got);
	return false;
}

static void notify_wait(struct engine *e)
{
	struct sub *sub = e->st.u.gatt.sub;

	step_enter_phase(e, GATT_PHASE_WAITING_NOTIFY);
	if (sub->notifications > 0) {
		step_extra_int(e, LOG_KEY_NOTIFICATIONS, sub->notifications);
		if (sub->last) {
			gsize n;
			const guint8 *d = g_bytes_get_data(sub->last, &n);
			char *hex = evlog_hex(d, n);

			step_extra_str(e, LOG_KEY_VALUE, hex);
			g_free(hex);
		}
		sub->consumed = sub->notifications;
		if (notify_value_ok(e, sub))
			step_pass(e);
	}
}

static void resubscribed(struct engine *e, const struct bluez_reply *r)
{
	struct sub *sub = e->st.u.gatt.sub;

	if (!gatt_answered(e, r, "StartNotify"))
		return;
	sub->active = true;
	sub->dropped = false;
	sub->notifications = 0;
	sub->consumed = 0;
	notify_wait(e);
}

/*
 * The DUT's CCCD for us reads off after the link came back: say what was
 * seen, not what it means. Whether it still notifies is a second fact (a
 * firmware that ignores its CCCD keeps notifying: MicroPython's example
 * does), seen only where HCI or the simulator shows the link's traffic.
 */
static void cccd_lost(struct engine *e, const char *hex)
{
	struct central *c = step_central(e);
	int64_t since = (engine_now(e) - c->link_up_us) / 1000;
	char *seen;

	if (c->notifications_seen_by) {
		step_extra_int(e, LOG_KEY_NOTIFICATIONS_SEEN,
			c->link_notifications);
		seen = c->link_notifications ?
		               g_strdup_printf(
				       "yet it sent %u notification%s on this "
				       "link in the %" G_GINT64_FORMAT
				       " ms since it "
				       "came back (%s): it notifies without the CCCD",
				       c->link_notifications,
				       c->link_notifications == 1 ? "" : "s",
				       since, c->notifications_seen_by) :
		               g_strdup_printf(
				       "and it sent no notification on this "
				       "link in the %" G_GINT64_FORMAT
				       " ms since it "
				       "came back (%s)",
				       since, c->notifications_seen_by);
	} else {
		seen = g_strdup(
			"whether it still sends notifications is not "
			"seen here (BlueZ passes them only to a subscriber; the "
			"HCI monitor shows them: run as root)");
	}
	step_fail(e, VERDICT_SUBSCRIPTION_LOST, CONFIDENCE_CONFIRMED,
		"after the link came back the DUT's CCCD for this host reads "
		"%s (notifications off): it did not keep the bonded host's "
		"subscription; %s",
		hex, seen);
	g_free(seen);
}

static void cccd_reply(struct engine *e, const struct bluez_reply *r)
{
	GVariant *ay;
	gsize n = 0;
	const guint8 *d;
	char *hex;

	if (!gatt_answered(e, r, "reading the CCCD"))
		return;
	hex = reply_hex(r, &ay, &d, &n);
	step_extra_str(e, LOG_KEY_CCCD, hex);
	step_timeline(e, "the DUT's CCCD for us: %s", hex);
	if (n < 1 || (d[0] & 0x03) == 0) {
		cccd_lost(e, hex);
	} else {
		step_enter_phase(e, GATT_PHASE_RESUBSCRIBING);
		step_call(e, BLUEZ_OP_START_NOTIFY, e->st.u.gatt.chr, NULL,
			resubscribed);
	}
	g_free(hex);
	g_variant_unref(ay);
}

static void expect_notify_start(struct engine *e)
{
	struct gatt_state *g = &e->st.u.gatt;
	const char *cccd;

	g->sub = get_sub(step_central(e), e->st.s->uuid, false);
	if (!g->sub || (!g->sub->active && !g->sub->dropped)) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"no subscription to %s: add a subscribe step first",
			e->st.s->uuid);
		return;
	}
	if (!need_chr(e))
		return;
	if (!g->sub->dropped) {
		notify_wait(e);
		return;
	}
	/*
	 * BlueZ writes the CCCD again for sessions it still holds, which would
	 * hide a DUT that forgot it. We dropped ours at the link loss, so the
	 * DUT's own CCCD tells what it remembered.
	 */
	cccd = bluez_find_desc(e->env.model, g->chr, BLUEZ_UUID_CCCD);
	if (!cccd) {
		step_enter_phase(e, GATT_PHASE_RESUBSCRIBING);
		step_call(e, BLUEZ_OP_START_NOTIFY, g->chr, NULL, resubscribed);
		return;
	}
	step_enter_phase(e, GATT_PHASE_READING_CCCD);
	step_call(e, BLUEZ_OP_READ_DESC, cccd, NULL, cccd_reply);
}

static void expect_notify_chr_changed(struct engine *e, const char *path,
	const char *name)
{
	(void)path;
	if (e->st.phase == GATT_PHASE_WAITING_NOTIFY && !strcmp(name, "Value"))
		notify_wait(e);
}

static void expect_notify_timeout(struct engine *e, const char *d)
{
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"no notification from %s within %s", e->st.s->uuid, d);
}

const struct step_ops step_expect_notify_ops = {
	.start = expect_notify_start,
	.chr_changed = expect_notify_chr_changed,
	.timeout = expect_notify_timeout,
	GATT_OPS,
};

/* ---- expect-no-notify ---------------------------------------------------- */

/*
 * Nothing may come from the characteristic: none since it could last be
 * seen (since our session started or an expect-notify took the last one;
 * without a session, since the link came up), and none for for=. What can
 * show a notification: our own session (BlueZ passes a notification only
 * to a subscriber), and, without one, the link's traffic where the HCI
 * monitor or the simulator shows it (any characteristic's: neither names
 * it here). A DUT whose CCCD for us is off must send nothing; one that
 * ignores its CCCD (MicroPython's example does) is caught only there.
 */
static void no_notify_came(struct engine *e, const char *how)
{
	step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
		"a notification from %s came %" G_GINT64_FORMAT " ms into the "
		"%" G_GINT64_FORMAT " ms it had to stay quiet (%s)",
		e->st.s->uuid, step_ms(e), e->st.s->sleep_ms, how);
}

/* What came before the step started, unseen by any step: true if some. */
static bool no_notify_before(struct engine *e)
{
	struct gatt_state *g = &e->st.u.gatt;
	struct central *c = step_central(e);
	unsigned n;

	if (g->sub && g->sub->notifications > g->sub->consumed) {
		n = g->sub->notifications - g->sub->consumed;
		step_extra_int(e, LOG_KEY_NOTIFICATIONS, n);
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"%u notification%s from %s came before this step, since "
			"%s (our subscription)",
			n, n == 1 ? "" : "s", e->st.s->uuid,
			g->sub->consumed ? "the last "
					   "expect-notify" :
					   "the subscription");
		return true;
	}
	if (!g->sub && c->link_notifications > 0) {
		n = c->link_notifications;
		step_extra_int(e, LOG_KEY_NOTIFICATIONS_SEEN, n);
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"the DUT sent %u notification%s on this link in the %" G_GINT64_FORMAT
			" ms since it came up, with no "
			"subscription of ours (%s)",
			n, n == 1 ? "" : "s",
			(engine_now(e) - c->link_up_us) / 1000,
			c->notifications_seen_by);
		return true;
	}
	return false;
}

static void no_notify_done(struct engine *e)
{
	step_extra_int(e, LOG_KEY_NOTIFICATIONS, 0);
	step_pass(e);
}

static void expect_no_notify_start(struct engine *e)
{
	struct gatt_state *g = &e->st.u.gatt;
	struct central *c = step_central(e);

	if (!need_chr(e))
		return;
	if (!central_connected(c)) {
		step_fail(e, VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE,
			"not connected: no notification could come from %s "
			"(connect or reconnect first)",
			e->st.s->uuid);
		return;
	}
	g->sub = get_sub(c, e->st.s->uuid, false);
	if (g->sub && !g->sub->active)
		g->sub = NULL;
	if (!g->sub && !c->notifications_seen_by) {
		char *why = g_strdup_printf(
			"nothing here can see a "
			"notification from %s: there is no subscription to it "
			"(BlueZ passes notifications only to a subscriber) and "
			"no HCI monitor (run as root)",
			e->st.s->uuid);

		engine_fail_env(e, why);
		g_free(why);
		return;
	}
	if (no_notify_before(e))
		return;
	g->sub_before = g->sub ? g->sub->notifications : 0;
	step_timeline(e, "watching %s for %" G_GINT64_FORMAT " ms (%s%s%s)",
		e->st.s->uuid, e->st.s->sleep_ms,
		g->sub ? "our subscription" : "",
		g->sub && c->notifications_seen_by ? ", " : "",
		c->notifications_seen_by ? c->notifications_seen_by : "");
	step_enter_phase(e, GATT_PHASE_WATCHING);
	step_after(e, e->st.s->sleep_ms, no_notify_done);
}

static void expect_no_notify_chr_changed(struct engine *e, const char *path,
	const char *name)
{
	struct gatt_state *g = &e->st.u.gatt;

	if (e->st.phase != GATT_PHASE_WATCHING || !g->sub ||
		strcmp(name, "Value") != 0 || strcmp(path, g->chr) != 0 ||
		g->sub->notifications == g->sub_before)
		return;
	no_notify_came(e, "our subscription");
}

static void expect_no_notify_hci(struct engine *e,
	const struct engine_hci_event *ev)
{
	if (e->st.phase == GATT_PHASE_WATCHING &&
		!strcmp(ev->what, LOG_HCI_ATT_NOTIFICATION) &&
		!(ev->text && strstr(ev->text, "Indication")))
		no_notify_came(e, "the HCI monitor");
}

static void expect_no_notify_sim_trace(struct engine *e, JsonObject *t)
{
	struct central *c = step_central(e);

	/* the DUT's notification on this central's link */
	if (e->st.phase == GATT_PHASE_WATCHING &&
		!g_strcmp0(step_str(t, "event", NULL), "notification") &&
		central_of_address(e, step_str(t, "peer", NULL)) == c)
		no_notify_came(e, "the simulator");
}

const struct step_ops step_expect_no_notify_ops = {
	.start = expect_no_notify_start,
	.chr_changed = expect_no_notify_chr_changed,
	.hci = expect_no_notify_hci,
	.sim_trace = expect_no_notify_sim_trace,
	.clear = gatt_clear,
	.phase_to_str = gatt_phase_to_str,
};
