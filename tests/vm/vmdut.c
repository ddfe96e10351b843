/* SPDX-License-Identifier: MIT */
/*
 * vmdut.c — bondcheck-vmdut: the device under test for the real-BlueZ tier.
 *
 * A BLE peripheral on one adapter of a real bluetoothd (hci1 of btvirt in
 * the QEMU guest), built only from BlueZ's own D-Bus API: a GATT application
 * (GattManager1) modelled on the simulator's default DUT — Environmental
 * Sensing 0x181A with Temperature 0x2A6E (read needs encryption, notify,
 * indicate) and the vendor reboot characteristic (write 01) — an
 * advertisement (LEAdvertisingManager1), and a default agent that accepts.
 *
 * It "reboots" like firmware: withdraws its advertisement, powers the
 * adapter off (links drop), waits its boot time, powers on and advertises
 * again. Faults real BlueZ can play honestly:
 *   lose-bond-on-reboot        RemoveDevice for every peer while off
 *   lose-later-bonds-on-reboot RemoveDevice for every peer but the one that
 *                              bonded first (BTstack #363; the order is
 *                              what this process saw: not with --boot)
 *   no-advertise-after-reboot  comes back without advertising
 *   slow-boot=D                boots D later
 *   save-on-disconnect         a bond is "written" only when its central
 *                              disconnects: a reset before that forgets it
 *                              (RemoveDevice), as MicroPython's example,
 *                              which saves its keys in the disconnect IRQ
 * Writing 01 to the reboot characteristic is a reset (here: power off, so
 * btvirt's controller ends the links with 0x15); 02 a graceful reboot: the
 * DUT disconnects its centrals first (0x13), then resets. Behind
 * bondcheck-bridge a hard reset is the bridge's (the process is killed with
 * its links up; the central's link times out with 0x08).
 *
 * btvirt sends an advertising report only when scanning or advertising is
 * (re)enabled, so while advertising the DUT re-registers its advertisement
 * whenever another adapter starts discovering (see
 * ../shared/notes/real-bluez-in-qemu.md). Every step it takes is one line
 * on stderr; "ready ADDRESS" goes to --ready-fifo when it first advertises.
 *
 * With --boot N it is one boot of a DUT that bondcheck-bridge reboots:
 * the whole stack (a kernel controller behind the bridge, and this GATT
 * application on it) is started again for every boot, so the faults play
 * from boot 2 on. Its adapter is named by address (--adapter ADDR: the
 * index can change between boots), and it announces itself only through
 * its advertisement: the adapter stays non-discoverable, or bluetoothd
 * would advertise it at power-on, before the GATT application is there.
 * It does not re-announce itself then: the bridge's readvertise shim does,
 * and two re-announcers at once break bluetoothd's advertising.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bus.h"
#include "bondcheck/duration.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/service.h"
#include "vmsay.h"

#define APP_PATH    "/org/bondcheck/vmdut"
#define SVC0        APP_PATH "/service0"
#define CHR0        SVC0 "/char0"
#define SVC1        APP_PATH "/service1"
#define CHR1        SVC1 "/char0"
#define ADV_PATH    "/org/bondcheck/vmdutadv"
#define AGENT_PATH  "/org/bondcheck/vmdutagent"
#define UUID_ESS    "0000181a-0000-1000-8000-00805f9b34fb"
#define UUID_TEMP   "00002a6e-0000-1000-8000-00805f9b34fb"
#define UUID_VENDOR "b0dc0001-0000-4000-8000-00805f9b34fb"
#define UUID_REBOOT "b0dc0002-0000-4000-8000-00805f9b34fb"
#define CALL_MS     10000

enum phase {
	PHASE_WAIT_BLUEZ,
	PHASE_SETUP,
	PHASE_ADVERTISING,
	PHASE_OFF,
};

struct dut {
	GMainLoop *loop;
	struct bus *bus;
	struct service *svc;
	char *adapter;      /* /org/bluez/hciN */
	char *adapter_addr; /* or the adapter with this address */
	gint boot;          /* bondcheck-bridge's boot number, or 0 */
	char *name;
	char *address;
	char *ready_fifo;
	char *io; /* its agent's IO capability */
	int64_t boot_ms;
	int64_t slow_ms;
	int64_t notify_ms;
	bool lose_bond;
	bool lose_later;
	GPtrArray *bond_order; /* our peers' paths, in the order they bonded */
	bool no_advertise;
	bool save_on_disconnect;
	GHashTable *unsaved;   /* centrals' addresses: bonded, not written */
	GHashTable *peer_addr; /* device path -> its Address (the identity
				   * once bluetoothd has the IRK: a path made
				   * from an RPA keeps its name) */
	GPtrArray *to_forget;  /* reset before they were written */
	bool graceful;         /* the reboot under way disconnects first */
	bool first_setup;
	enum phase phase;
	bool adv_registered;
	GHashTable *connected; /* our centrals' device paths with a link */
	bool going_down;       /* a reboot has begun */
	guint announce_timer;  /* a central scans: re-announce if unseen */
	char *scanner;         /* that central's adapter path */
	bool app_registered;
	bool agent_registered;
	bool notifying;
	bool adapter_present;
	bool powered;      /* as bluetoothd last said */
	bool wait_powered; /* setup continues when Powered turns true */
	int16_t temp;      /* centi-degrees */
	guint notify_timer;
	guint boot_timer;
	guint reboots;
	int steps_left; /* a chain of calls in flight */
	void (*chain_done)(struct dut *d);
	int status;
};

static struct dut D;

G_GNUC_PRINTF(1, 2)
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vsay("vmdut", fmt, ap);
	va_end(ap);
}

static void fail(const char *what, const GError *err)
{
	say("FATAL %s: %s", what, err ? err->message : "");
	D.status = 1;
	g_main_loop_quit(D.loop);
}

/* ---- calls -------------------------------------------------------------- */

struct call {
	const char *what;
	bool tolerate; /* an error is logged, not fatal */
	void (*then)(DBusMessage *reply);
	/* to send it again while bluetoothd says Busy */
	char *path;
	const char *iface;
	const char *method;
	GVariant *args;
	int tries;
};

static void call_free(gpointer data)
{
	struct call *c = data;

	g_free(c->path);
	if (c->args)
		g_variant_unref(c->args);
	g_free(c);
}

static void on_reply(DBusMessage *reply, void *data);

static void send_call(struct call *c)
{
	bus_call_method(D.bus, BLUEZ_SERVICE, c->path, c->iface, c->method,
		c->args ? g_variant_ref(c->args) : NULL, CALL_MS, on_reply, c,
		NULL);
}

static gboolean resend(gpointer data)
{
	send_call(data);
	return G_SOURCE_REMOVE;
}

static void on_reply(DBusMessage *reply, void *data)
{
	struct call *c = data;
	GError *err = NULL;

	/* a setting bluetoothd is still applying (its own power-on): again */
	if (!g_strcmp0(msg_error_name(reply), "org.bluez.Error.Busy") &&
		++c->tries < 30) {
		say("%s: busy, again shortly", c->what);
		g_timeout_add(100, resend, c);
		return;
	}
	if (msg_is_error(reply, &err)) {
		/* a call that met its adapter's removal is not our failure */
		if (!c->tolerate && D.adapter_present) {
			fail(c->what, err);
			g_error_free(err);
			return;
		}
		say("%s: %s (carrying on)", c->what, err->message);
		g_error_free(err);
	} else {
		say("%s: ok", c->what);
	}
	if (c->then)
		c->then(reply);
	call_free(c);
	if (D.steps_left > 0 && --D.steps_left == 0 && D.chain_done) {
		void (*fn)(struct dut *) = D.chain_done;

		D.chain_done = NULL;
		fn(&D);
	}
}

static void call(const char *what, bool tolerate, const char *path,
	const char *iface, const char *method, GVariant *args,
	void (*then)(DBusMessage *reply))
{
	struct call *c = g_new0(struct call, 1);

	c->what = what;
	c->tolerate = tolerate;
	c->then = then;
	c->path = g_strdup(path);
	c->iface = iface;
	c->method = method;
	c->args = args ? g_variant_ref_sink(args) : NULL;
	D.steps_left++;
	send_call(c);
}

static void set_adapter(const char *name, GVariant *v)
{
	char *what = g_strdup_printf("set %s", name);

	/* the string must outlive the call: keep it with the process */
	call(g_intern_string(what), false, D.adapter, DBUS_IFACE_PROPERTIES,
		"Set", g_variant_new("(ssv)", BLUEZ_IFACE_ADAPTER, name, v),
		NULL);
	g_free(what);
}

/* Run @fn once every call issued so far has been answered. */
static void then(void (*fn)(struct dut *d))
{
	if (!D.steps_left) {
		fn(&D);
		return;
	}
	D.chain_done = fn;
}

static void forget_all(void);
static void forget_unsaved(void);
static void forget_later(void);
static bool seen_by(const char *central_dev, GVariant *changed);
static char *our_device_under(const char *central);
static void announce_cancel(void);

/* ---- the GATT application ----------------------------------------------- */

static GVariant *bytes(const guint8 *p, gsize n)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, p, n, 1);
}

static GVariant *temp_value(void)
{
	guint8 v[2] = { (guint8)(D.temp & 0xff),
		(guint8)((D.temp >> 8) & 0xff) };

	return bytes(v, 2);
}

static GVariant *svc_get(void *data, const char *name)
{
	const char *uuid = data;

	if (!strcmp(name, "UUID"))
		return g_variant_new_string(uuid);
	if (!strcmp(name, "Primary"))
		return g_variant_new_boolean(TRUE);
	return NULL;
}

static const struct svc_property svc_props[] = {
	{ "UUID", "s", svc_get, NULL },
	{ "Primary", "b", svc_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface svc_iface = {
	BLUEZ_IFACE_GATT_SERVICE,
	NULL,
	svc_props,
	NULL,
};

static GVariant *temp_get(void *data, const char *name)
{
	static const char *const flags[] = { "encrypt-read", "notify",
		"indicate", NULL };

	(void)data;
	if (!strcmp(name, "UUID"))
		return g_variant_new_string(UUID_TEMP);
	if (!strcmp(name, "Service"))
		return g_variant_new_object_path(SVC0);
	if (!strcmp(name, "Flags"))
		return g_variant_new_strv(flags, -1);
	if (!strcmp(name, "Notifying"))
		return g_variant_new_boolean(D.notifying);
	if (!strcmp(name, "Value"))
		return temp_value();
	return NULL;
}

static void temp_read(struct svc_call *c, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	svc_call_return(c, g_variant_new("(@ay)", temp_value()));
}

static gboolean tick(gpointer data)
{
	(void)data;
	/* a new reading: bluetoothd notifies the subscribed centrals */
	D.temp = (int16_t)(D.temp == 2300 ? 2100 : D.temp + 5);
	service_changed(D.svc, CHR0, BLUEZ_IFACE_GATT_CHRC, "Value");
	return G_SOURCE_CONTINUE;
}

static void temp_start_notify(struct svc_call *c, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	say("StartNotify");
	if (!D.notifying) {
		D.notifying = true;
		service_changed(D.svc, CHR0, BLUEZ_IFACE_GATT_CHRC,
			"Notifying");
		D.notify_timer = g_timeout_add((guint)D.notify_ms, tick, NULL);
	}
	svc_call_return(c, NULL);
}

static void temp_stop_notify(struct svc_call *c, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	say("StopNotify");
	if (D.notifying) {
		D.notifying = false;
		service_changed(D.svc, CHR0, BLUEZ_IFACE_GATT_CHRC,
			"Notifying");
		g_source_remove(D.notify_timer);
		D.notify_timer = 0;
	}
	svc_call_return(c, NULL);
}

static const struct svc_method temp_methods[] = {
	{ "ReadValue", "a{sv}", "ay", temp_read },
	{ "StartNotify", "", "", temp_start_notify },
	{ "StopNotify", "", "", temp_stop_notify },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property temp_props[] = {
	{ "UUID", "s", temp_get, NULL },
	{ "Service", "o", temp_get, NULL },
	{ "Flags", "as", temp_get, NULL },
	{ "Notifying", "b", temp_get, NULL },
	{ "Value", "ay", temp_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface temp_iface = {
	BLUEZ_IFACE_GATT_CHRC,
	temp_methods,
	temp_props,
	NULL,
};

static void reboot(void);

static GVariant *reboot_get(void *data, const char *name)
{
	static const char *const flags[] = { "write", "write-without-response",
		NULL };

	(void)data;
	if (!strcmp(name, "UUID"))
		return g_variant_new_string(UUID_REBOOT);
	if (!strcmp(name, "Service"))
		return g_variant_new_object_path(SVC1);
	if (!strcmp(name, "Flags"))
		return g_variant_new_strv(flags, -1);
	return NULL;
}

static gboolean reboot_idle(gpointer data)
{
	(void)data;
	reboot();
	return G_SOURCE_REMOVE;
}

static gboolean reboot_graceful_idle(gpointer data)
{
	(void)data;
	D.graceful = true;
	reboot();
	return G_SOURCE_REMOVE;
}

static void reboot_write(struct svc_call *c, GVariant *args, void *data)
{
	GVariant *value;
	gsize n = 0;
	const guint8 *v;

	(void)data;
	g_variant_get(args, "(@aya{sv})", &value, NULL);
	v = g_variant_get_fixed_array(value, &n, 1);
	if (n == 1 && (v[0] == 0x01 || v[0] == 0x02) &&
		D.phase == PHASE_ADVERTISING) {
		/* like firmware: answer, then reset (02: disconnect first) */
		svc_call_return(c, NULL);
		g_idle_add(v[0] == 0x02 ? reboot_graceful_idle : reboot_idle,
			NULL);
	} else {
		svc_call_error(c, "org.bluez.Error.NotPermitted",
			"write 01 to reboot, 02 to reboot gracefully");
	}
	g_variant_unref(value);
}

static const struct svc_method reboot_methods[] = {
	{ "WriteValue", "aya{sv}", "", reboot_write },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property reboot_props[] = {
	{ "UUID", "s", reboot_get, NULL },
	{ "Service", "o", reboot_get, NULL },
	{ "Flags", "as", reboot_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface reboot_iface = {
	BLUEZ_IFACE_GATT_CHRC,
	reboot_methods,
	reboot_props,
	NULL,
};

/* ---- the advertisement -------------------------------------------------- */

static GVariant *adv_get(void *data, const char *name)
{
	static const char *const uuids[] = { UUID_ESS, NULL };

	(void)data;
	if (!strcmp(name, "Type"))
		return g_variant_new_string("peripheral");
	if (!strcmp(name, "ServiceUUIDs"))
		return g_variant_new_strv(uuids, -1);
	if (!strcmp(name, "LocalName"))
		return g_variant_new_string(D.name);
	if (!strcmp(name, "Discoverable"))
		return g_variant_new_boolean(TRUE);
	if (!strcmp(name, "Appearance"))
		return g_variant_new_uint16(768);
	return NULL;
}

static void adv_release(struct svc_call *c, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	say("advertisement %s released by bluetoothd", svc_call_path(c));
	if (!strcmp(svc_call_path(c), ADV_PATH))
		D.adv_registered = false;
	svc_call_return(c, NULL);
}

static const struct svc_method adv_methods[] = {
	{ "Release", "", "", adv_release },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_property adv_props[] = {
	{ "Type", "s", adv_get, NULL },
	{ "ServiceUUIDs", "as", adv_get, NULL },
	{ "LocalName", "s", adv_get, NULL },
	{ "Discoverable", "b", adv_get, NULL },
	{ "Appearance", "q", adv_get, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface adv_iface = {
	BLUEZ_IFACE_ADVERTISEMENT,
	adv_methods,
	adv_props,
	NULL,
};

/* ---- the agent: a DUT with a display and a yes button that says yes ---- */

static void agent_yes(struct svc_call *c, GVariant *args, void *data)
{
	(void)args;
	(void)data;
	say("agent: %s -> yes", svc_call_member(c));
	if (!strcmp(svc_call_member(c), "RequestPasskey"))
		svc_call_return(c, g_variant_new("(u)", 123456u));
	else if (!strcmp(svc_call_member(c), "RequestPinCode"))
		svc_call_return(c, g_variant_new("(s)", "0000"));
	else
		svc_call_return(c, NULL);
}

static const struct svc_method agent_methods[] = {
	{ "Release", "", "", agent_yes },
	{ "RequestPinCode", "o", "s", agent_yes },
	{ "DisplayPinCode", "os", "", agent_yes },
	{ "RequestPasskey", "o", "u", agent_yes },
	{ "DisplayPasskey", "ouq", "", agent_yes },
	{ "RequestConfirmation", "ou", "", agent_yes },
	{ "RequestAuthorization", "o", "", agent_yes },
	{ "AuthorizeService", "os", "", agent_yes },
	{ "Cancel", "", "", agent_yes },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface agent_iface = {
	BLUEZ_IFACE_AGENT,
	agent_methods,
	NULL,
	NULL,
};

/* ---- life --------------------------------------------------------------- */

static void advertise(void)
{
	call("RegisterAdvertisement", false, D.adapter, BLUEZ_IFACE_ADV_MANAGER,
		"RegisterAdvertisement",
		g_variant_new("(oa{sv})", ADV_PATH, NULL), NULL);
	D.adv_registered = true;
}

/*
 * A central connected or disconnected. The DUT advertises only while no
 * central is connected, as MicroPython's example does (NimBLE stops
 * advertising at a connection; the example advertises again on
 * _IRQ_CENTRAL_DISCONNECT). Left alone, BlueZ's kernel keeps advertising
 * during the link and restarts it after the disconnect (Set Advertising
 * Enable off, Set Advertising Parameters, on): a central's LE Create
 * Connection that meets btvirt in that gap fails at once with 0x3e, where
 * a radio's controller would go on initiating, and the central's kernel
 * (6.1) does not pass that failure on: its Connect() waits until it is
 * cancelled (tests/vm/README.md). Advertising withdrawn at the connection
 * and registered again after it goes from off to on once.
 */
static void withdraw_advertising(const char *path)
{
	announce_cancel();
	say("%s connected: advertising withdrawn", path);
	call("UnregisterAdvertisement", true, D.adapter,
		BLUEZ_IFACE_ADV_MANAGER, "UnregisterAdvertisement",
		g_variant_new("(o)", ADV_PATH), NULL);
	D.adv_registered = false;
}

static void peer_connection(const char *path, bool connected)
{
	if (connected)
		g_hash_table_add(D.connected, g_strdup(path));
	else if (!g_hash_table_remove(D.connected, path))
		return;
	/* a link up before advertising() (the central connected at the
	 * first advertisement) is withdrawn there */
	if (D.phase != PHASE_ADVERTISING || D.going_down)
		return;
	if (connected && D.adv_registered) {
		withdraw_advertising(path);
	} else if (!connected && !D.adv_registered &&
		   !g_hash_table_size(D.connected) &&
		   !(D.no_advertise && D.reboots)) {
		say("%s disconnected: advertising again", path);
		advertise();
	}
}

static void tell_ready(void)
{
	int fd;
	char *line;

	if (!D.ready_fifo)
		return;
	/* the guest script blocks reading this until we are advertising */
	fd = open(D.ready_fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		say("cannot open %s: %s", D.ready_fifo, g_strerror(errno));
		return;
	}
	line = g_strdup_printf("ready %s\n", D.address ? D.address : "?");
	if (write(fd, line, strlen(line)) < 0)
		say("write %s: %s", D.ready_fifo, g_strerror(errno));
	close(fd);
	g_free(line);
	g_clear_pointer(&D.ready_fifo, g_free);
}

static void advertising(struct dut *d)
{
	(void)d;
	D.phase = PHASE_ADVERTISING;
	D.going_down = false;
	if (D.notifying && !D.notify_timer)
		D.notify_timer = g_timeout_add((guint)D.notify_ms, tick, NULL);
	say("%s (reboot %u)",
		D.no_advertise && D.reboots ?
			"up, not advertising (no-advertise-after-reboot)" :
			"advertising",
		D.reboots);
	/*
	 * A central whose Connect() waited for us (bondcheck's reconnect
	 * after a reboot) connects at the first advertising event, which
	 * can come before RegisterAdvertisement's reply: its Connected=true
	 * found us not advertising yet. Withdraw now, or the kernel's
	 * restart of advertising after that link's disconnect leaves the
	 * gap in which btvirt fails the next LE Create Connection (0x3e;
	 * seen in the tier: the phone line's reconnect after its
	 * disconnect waited 15 s).
	 */
	if (D.adv_registered && g_hash_table_size(D.connected)) {
		GHashTableIter it;
		gpointer path;

		g_hash_table_iter_init(&it, D.connected);
		if (g_hash_table_iter_next(&it, &path, NULL))
			withdraw_advertising(path);
	}
	tell_ready();
}

static void got_address(DBusMessage *reply)
{
	GVariant *args, *v;

	if (!msg_get_args(reply, "(v)", &args, NULL))
		return;
	g_variant_get(args, "(v)", &v);
	g_free(D.address);
	D.address = g_variant_dup_string(v, NULL);
	g_variant_unref(v);
	g_variant_unref(args);
}

static void discoverable(struct dut *d);
static void announce_first(struct dut *d);

static void powered_on(struct dut *d)
{
	(void)d;
	/* bluetoothd forgets devices only on a powered adapter (NotReady) */
	if (D.lose_bond && D.reboots) {
		say("the bonds are gone with the flash sector");
		forget_all();
	}
	forget_unsaved();
	if (D.lose_later && D.reboots)
		forget_later();
	then(discoverable);
}

static void discoverable(struct dut *d)
{
	(void)d;
	bool silent = D.no_advertise && D.reboots;

	/*
	 * discoverable flags, or bluetoothd ignores us (see the notes); a
	 * DUT that does not advertise is not discoverable either, or
	 * bluetoothd would advertise for it
	 */
	set_adapter("DiscoverableTimeout", g_variant_new_uint32(0));
	set_adapter("Discoverable", g_variant_new_boolean(!silent && !D.boot));
	set_adapter("Pairable", g_variant_new_boolean(TRUE));
	call("get Address", false, D.adapter, DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", BLUEZ_IFACE_ADAPTER, "Address"),
		got_address);
	if (!D.app_registered) {
		call("RegisterApplication", false, D.adapter,
			BLUEZ_IFACE_GATT_MANAGER, "RegisterApplication",
			g_variant_new("(oa{sv})", APP_PATH, NULL), NULL);
		D.app_registered = true;
	}
	/* the services are there before any central can see us */
	then(announce_first);
}

static void announce_first(struct dut *d)
{
	(void)d;
	if (!(D.no_advertise && D.reboots))
		advertise();
	then(advertising);
}

static void remove_peers(DBusMessage *reply)
{
	GVariant *args, *objs, *ifaces;
	GVariantIter it;
	const char *path;
	char *prefix = g_strconcat(D.adapter, "/dev_", NULL);

	if (!msg_get_args(reply, "(a{oa{sa{sv}}})", &args, NULL)) {
		g_free(prefix);
		return;
	}
	objs = g_variant_get_child_value(args, 0);
	g_variant_iter_init(&it, objs);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		if (g_str_has_prefix(path, prefix) &&
			!strchr(path + strlen(prefix), '/')) {
			say("forgetting %s", path);
			call("RemoveDevice", true, D.adapter,
				BLUEZ_IFACE_ADAPTER, "RemoveDevice",
				g_variant_new("(o)", path), NULL);
		}
		g_variant_unref(ifaces);
	}
	g_variant_unref(objs);
	g_variant_unref(args);
	g_free(prefix);
}

/* ---- save-on-disconnect: which bonds were "written" ------------------- */

/*
 * Kept in a file beside the guest's bluetoothd (its tmpfs), so that a boot
 * after bondcheck-bridge killed the previous one knows what that one had not
 * written: the reset's loss is played on the next boot.
 */
#define UNSAVED_FILE "/run/bondcheck-vmdut.unsaved"

static void unsaved_write(void)
{
	GString *s = g_string_new("");
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, D.unsaved);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_string_append_printf(s, "%s\n", (char *)k);
	if (!g_file_set_contents(UNSAVED_FILE, s->str, (gssize)s->len, NULL))
		say("cannot write %s", UNSAVED_FILE);
	g_string_free(s, TRUE);
}

static void unsaved_read(void)
{
	char *text = NULL;
	char **lines;

	if (!g_file_get_contents(UNSAVED_FILE, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		if (**l)
			g_hash_table_add(D.unsaved, g_strdup(*l));
	g_strfreev(lines);
	g_free(text);
}

static void bonded(const char *addr)
{
	if (g_hash_table_contains(D.unsaved, addr))
		return;
	say("bonded with %s: kept in RAM until it disconnects", addr);
	g_hash_table_add(D.unsaved, g_strdup(addr));
	unsaved_write();
}

/* The Address of the device that just bonded (its identity by now); one
 * central bonds at a time. */
static char *bonding_path;

static void got_peer_address(DBusMessage *reply)
{
	GVariant *args, *v;

	if (!msg_get_args(reply, "(v)", &args, NULL))
		return;
	g_variant_get(args, "(v)", &v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) && bonding_path) {
		g_hash_table_replace(D.peer_addr, g_strdup(bonding_path),
			g_variant_dup_string(v, NULL));
		bonded(g_variant_get_string(v, NULL));
	}
	g_variant_unref(v);
	g_variant_unref(args);
}

/* A central's device object under our adapter changed. */
static void peer_changed(const char *path, GVariant *changed)
{
	gboolean v = FALSE;
	const char *addr = NULL, *known;

	if (!D.save_on_disconnect || D.phase == PHASE_OFF)
		return;
	if (g_variant_lookup(changed, "Address", "&s", &addr))
		g_hash_table_replace(D.peer_addr, g_strdup(path),
			g_strdup(addr));
	known = g_hash_table_lookup(D.peer_addr, path);
	if ((g_variant_lookup(changed, "Bonded", "b", &v) ||
		    g_variant_lookup(changed, "Paired", "b", &v)) &&
		v) {
		/* the identity, once the IRK is in: ask for it now */
		g_free(bonding_path);
		bonding_path = g_strdup(path);
		call("get a peer's Address", true, path, DBUS_IFACE_PROPERTIES,
			"Get",
			g_variant_new("(ss)", BLUEZ_IFACE_DEVICE, "Address"),
			got_peer_address);
	} else if (g_variant_lookup(changed, "Connected", "b", &v) && !v &&
		   known && g_hash_table_remove(D.unsaved, known)) {
		say("%s disconnected: its keys are written", known);
		unsaved_write();
	}
}

/* A reset: what was not written is lost (forgotten once powered again). */
static void reset_loses_unsaved(void)
{
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, D.unsaved);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		say("reset before %s disconnected: its keys were never "
		    "written",
			(char *)k);
		g_ptr_array_add(D.to_forget, g_strdup(k));
	}
	g_hash_table_remove_all(D.unsaved);
	unsaved_write();
}

static void forget_unsaved(void)
{
	for (guint i = 0; i < D.to_forget->len; i++) {
		char *a = g_strdup(g_ptr_array_index(D.to_forget, i));
		char *path;

		g_strdelimit(a, ":", '_');
		path = g_strdup_printf("%s/dev_%s", D.adapter, a);
		say("forgetting %s (never written)", path);
		call("RemoveDevice", true, D.adapter, BLUEZ_IFACE_ADAPTER,
			"RemoveDevice", g_variant_new("(o)", path), NULL);
		g_free(path);
		g_free(a);
	}
	g_ptr_array_set_size(D.to_forget, 0);
}

/* Every bond but the first one made: what BTstack #363 read back. */
static void forget_later(void)
{
	for (guint i = 1; i < D.bond_order->len; i++) {
		const char *path = g_ptr_array_index(D.bond_order, i);

		say("only the first bond is read back: forgetting %s", path);
		call("RemoveDevice", true, D.adapter, BLUEZ_IFACE_ADAPTER,
			"RemoveDevice", g_variant_new("(o)", path), NULL);
	}
	if (D.bond_order->len > 1)
		g_ptr_array_set_size(D.bond_order, 1);
}

/* A peer of ours is bonded now: remember when, among the others. */
static void note_bond(const char *path, GVariant *changed)
{
	char *prefix = g_strconcat(D.adapter, "/dev_", NULL);
	gboolean b = FALSE;

	if (g_str_has_prefix(path, prefix) &&
		!strchr(path + strlen(prefix), '/') &&
		g_variant_lookup(changed, "Bonded", "b", &b) && b) {
		bool known = false;

		for (guint i = 0; i < D.bond_order->len && !known; i++)
			known = !strcmp(g_ptr_array_index(D.bond_order, i),
				path);
		if (!known) {
			g_ptr_array_add(D.bond_order, g_strdup(path));
			say("bond %u: %s", D.bond_order->len, path);
		}
	}
	g_free(prefix);
}

static void forget_all(void)
{
	call("GetManagedObjects", false, "/", DBUS_IFACE_OBJECT_MANAGER,
		"GetManagedObjects", NULL, remove_peers);
}

static void check_powered(struct dut *d)
{
	(void)d;
	if (D.powered) {
		powered_on(&D);
		return;
	}
	/* bluetoothd is powering it (AutoEnable): its signal says when */
	say("waiting for Powered");
	D.wait_powered = true;
}

static void power_on(struct dut *d)
{
	(void)d;
	call("set Alias", false, D.adapter, DBUS_IFACE_PROPERTIES, "Set",
		g_variant_new("(ssv)", BLUEZ_IFACE_ADAPTER, "Alias",
			g_variant_new_string(D.name)),
		NULL);
	/* Busy: bluetoothd is powering it already */
	call("set Powered", true, D.adapter, DBUS_IFACE_PROPERTIES, "Set",
		g_variant_new("(ssv)", BLUEZ_IFACE_ADAPTER, "Powered",
			g_variant_new_boolean(TRUE)),
		NULL);
	then(check_powered);
}

static gboolean booted(gpointer data)
{
	(void)data;
	D.boot_timer = 0;
	D.phase = PHASE_SETUP;
	D.reboots++;
	say("booting (reboot %u)", D.reboots);
	then(power_on);
	return G_SOURCE_REMOVE;
}

static void powered_off(struct dut *d)
{
	(void)d;
	D.powered = false;
	say("off; back in %" G_GINT64_FORMAT " ms", D.boot_ms + D.slow_ms);
	D.boot_timer = g_timeout_add((guint)(D.boot_ms + D.slow_ms), booted,
		NULL);
}

static void disconnect_peers(DBusMessage *reply)
{
	GVariant *args, *objs, *ifaces;
	GVariantIter it;
	const char *path;
	char *prefix = g_strconcat(D.adapter, "/dev_", NULL);

	if (!msg_get_args(reply, "(a{oa{sa{sv}}})", &args, NULL)) {
		g_free(prefix);
		return;
	}
	objs = g_variant_get_child_value(args, 0);
	g_variant_iter_init(&it, objs);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		GVariant *dev = g_variant_lookup_value(ifaces,
			BLUEZ_IFACE_DEVICE, G_VARIANT_TYPE("a{sv}"));
		gboolean on = FALSE;

		if (dev && g_str_has_prefix(path, prefix) &&
			g_variant_lookup(dev, "Connected", "b", &on) && on) {
			say("graceful: disconnecting %s first", path);
			call("Disconnect", true, path, BLUEZ_IFACE_DEVICE,
				"Disconnect", NULL, NULL);
		}
		if (dev)
			g_variant_unref(dev);
		g_variant_unref(ifaces);
	}
	g_variant_unref(objs);
	g_variant_unref(args);
	g_free(prefix);
}

static void reboot_now(struct dut *d);

static void reboot(void)
{
	if (D.phase != PHASE_ADVERTISING)
		return;
	D.going_down = true;
	if (D.graceful) {
		/* its disconnect handler runs (and writes the keys) first */
		D.graceful = false;
		say("reboot (graceful)");
		call("GetManagedObjects", false, "/", DBUS_IFACE_OBJECT_MANAGER,
			"GetManagedObjects", NULL, disconnect_peers);
		then(reboot_now);
		return;
	}
	reboot_now(&D);
}

static void reboot_now(struct dut *d)
{
	(void)d;
	D.phase = PHASE_OFF;
	say("reboot");
	reset_loses_unsaved();
	g_hash_table_remove_all(D.connected);
	/* a healthy DUT keeps its subscriptions: it only stops sending */
	if (D.notify_timer) {
		g_source_remove(D.notify_timer);
		D.notify_timer = 0;
	}
	if (D.adv_registered) {
		call("UnregisterAdvertisement", true, D.adapter,
			BLUEZ_IFACE_ADV_MANAGER, "UnregisterAdvertisement",
			g_variant_new("(o)", ADV_PATH), NULL);
		D.adv_registered = false;
	}
	set_adapter("Powered", g_variant_new_boolean(FALSE));
	then(powered_off);
}

static void setup(void)
{
	D.phase = PHASE_SETUP;
	if (!D.agent_registered) {
		call("RegisterAgent", false, BLUEZ_PATH,
			BLUEZ_IFACE_AGENT_MANAGER, "RegisterAgent",
			g_variant_new("(os)", AGENT_PATH, D.io), NULL);
		call("RequestDefaultAgent", false, BLUEZ_PATH,
			BLUEZ_IFACE_AGENT_MANAGER, "RequestDefaultAgent",
			g_variant_new("(o)", AGENT_PATH), NULL);
		D.agent_registered = true;
	}
	/* a clean start: no peers from an earlier run */
	if (D.first_setup) {
		forget_all();
		g_hash_table_remove_all(D.unsaved);
		unlink(UNSAVED_FILE);
	} else if (D.save_on_disconnect && D.boot > 1) {
		/* bondcheck-bridge reset the last boot: what it had not
		 * written is gone */
		unsaved_read();
		reset_loses_unsaved();
	}
	D.first_setup = false;
	then(power_on);
}

static gboolean slow_booted(gpointer data)
{
	(void)data;
	D.boot_timer = 0;
	if (D.adapter_present)
		setup();
	return G_SOURCE_REMOVE;
}

/* Is @path with @props the adapter we run on? */
static bool our_adapter(const char *path, GVariant *props)
{
	const char *addr = NULL;

	if (!D.adapter_addr)
		return !strcmp(path, D.adapter);
	return g_variant_lookup(props, "Address", "&s", &addr) &&
	       !g_ascii_strcasecmp(addr, D.adapter_addr);
}

static void adapter_found(const char *path, GVariant *ifaces)
{
	GVariant *props = g_variant_lookup_value(ifaces, BLUEZ_IFACE_ADAPTER,
		G_VARIANT_TYPE("a{sv}"));
	gboolean on = FALSE;

	if (!props || D.adapter_present || !our_adapter(path, props))
		goto out;
	g_free(D.adapter);
	D.adapter = g_strdup(path);
	D.adapter_present = true;
	if (g_variant_lookup(props, "Powered", "b", &on))
		D.powered = on;
	say("%s is there (%s)", D.adapter, on ? "powered" : "off");
	if (D.boot > 1 && D.slow_ms) {
		say("slow boot: %" G_GINT64_FORMAT " ms", D.slow_ms);
		D.boot_timer = g_timeout_add((guint)D.slow_ms, slow_booted,
			NULL);
		goto out;
	}
	setup();
out:
	if (props)
		g_variant_unref(props);
}

static void look_for_adapter(DBusMessage *reply)
{
	GVariant *args, *objs, *ifaces;

	if (!msg_get_args(reply, "(a{oa{sa{sv}}})", &args, NULL))
		return;
	GVariantIter it;
	const char *path;

	objs = g_variant_get_child_value(args, 0);
	g_variant_iter_init(&it, objs);
	while (!D.adapter_present &&
		g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		adapter_found(path, ifaces);
		g_variant_unref(ifaces);
	}
	g_variant_unref(objs);
	if (!D.adapter_present)
		say("waiting for %s to appear",
			D.adapter_addr ? D.adapter_addr : D.adapter);
	g_variant_unref(args);
}

static void on_added(DBusMessage *msg, void *data)
{
	GVariant *args, *ifaces;
	const char *path;

	(void)data;
	if (!msg_get_args(msg, "(oa{sa{sv}})", &args, NULL))
		return;
	g_variant_get(args, "(&o@a{sa{sv}})", &path, &ifaces);
	adapter_found(path, ifaces);
	if (D.adapter && g_str_has_prefix(path, D.adapter) &&
		!strncmp(path + strlen(D.adapter), "/dev_", 5)) {
		GVariant *dev = g_variant_lookup_value(ifaces,
			BLUEZ_IFACE_DEVICE, G_VARIANT_TYPE("a{sv}"));
		gboolean c = FALSE;

		if (dev && g_variant_lookup(dev, "Connected", "b", &c) && c)
			peer_connection(path, true);
		if (dev)
			g_variant_unref(dev);
	}
	if (D.announce_timer && D.scanner && D.adapter_present) {
		char *mine = our_device_under(D.scanner);
		GVariant *dev = g_variant_lookup_value(ifaces,
			BLUEZ_IFACE_DEVICE, G_VARIANT_TYPE("a{sv}"));

		if (dev && !strcmp(path, mine) && seen_by(mine, dev)) {
			say("%s has seen us", D.scanner);
			announce_cancel();
		}
		if (dev)
			g_variant_unref(dev);
		g_free(mine);
	}
	g_variant_unref(ifaces);
	g_variant_unref(args);
}

/* Has @central's bluetoothd seen us (an RSSI) in this discovery? */
static bool seen_by(const char *central_dev, GVariant *changed)
{
	GVariant *rssi = g_variant_lookup_value(changed, "RSSI", NULL);

	(void)central_dev;
	if (!rssi)
		return false;
	g_variant_unref(rssi);
	return true;
}

static char *our_device_under(const char *central)
{
	char *a = g_strdup(D.address ? D.address : "");

	g_strdelimit(a, ":", '_');
	return g_strdup_printf("%s/dev_%s", central, a);
}

static void announce_done(DBusMessage *reply)
{
	(void)reply;
}

static gboolean announce(gpointer data)
{
	(void)data;
	D.announce_timer = 0;
	if (D.phase != PHASE_ADVERTISING || !D.adv_registered || D.steps_left)
		return G_SOURCE_REMOVE;
	/*
	 * btvirt reports an advertiser only when scanning or advertising is
	 * (re)enabled, and that report can beat the central's discovery:
	 * advertise anew so that it is reported to the scanner now. Only
	 * when the central has not seen us, so never while it connects.
	 */
	say("%s scans and has not seen us: advertising again", D.scanner);
	call("UnregisterAdvertisement", true, D.adapter,
		BLUEZ_IFACE_ADV_MANAGER, "UnregisterAdvertisement",
		g_variant_new("(o)", ADV_PATH), NULL);
	call("RegisterAdvertisement", false, D.adapter, BLUEZ_IFACE_ADV_MANAGER,
		"RegisterAdvertisement",
		g_variant_new("(oa{sv})", ADV_PATH, NULL), announce_done);
	return G_SOURCE_REMOVE;
}

static void announce_cancel(void)
{
	if (D.announce_timer)
		g_source_remove(D.announce_timer);
	D.announce_timer = 0;
}

/* Another adapter began discovering: make btvirt report us again. */
static void on_adapter_props(DBusMessage *msg, void *data)
{
	GVariant *args, *changed;
	const char *iface;
	gboolean disc = FALSE;

	(void)data;
	if (!msg_get_args(msg, "(sa{sv}as)", &args, NULL))
		return;
	g_variant_get(args, "(&s@a{sv}as)", &iface, &changed, NULL);
	if (D.lose_later && D.adapter && !strcmp(iface, BLUEZ_IFACE_DEVICE))
		note_bond(dbus_message_get_path(msg), changed);
	if (!D.adapter_present) {
		/* nothing of ours to do until the adapter is back */
	} else if (!g_strcmp0(dbus_message_get_path(msg), D.adapter)) {
		gboolean on;

		if (!strcmp(iface, BLUEZ_IFACE_ADAPTER) &&
			g_variant_lookup(changed, "Powered", "b", &on)) {
			D.powered = on;
			if (on && D.wait_powered) {
				D.wait_powered = false;
				powered_on(&D);
			}
		}
	} else if (!strcmp(iface, BLUEZ_IFACE_ADAPTER) && !D.boot &&
		   g_variant_lookup(changed, "Discovering", "b", &disc)) {
		/* (behind bondcheck-bridge its readvertise shim does this) */
		announce_cancel();
		if (disc && D.phase == PHASE_ADVERTISING && D.adv_registered) {
			/* give the first report its chance, then help */
			g_free(D.scanner);
			D.scanner = g_strdup(dbus_message_get_path(msg));
			D.announce_timer = g_timeout_add(300, announce, NULL);
		}
	} else if (!strcmp(iface, BLUEZ_IFACE_DEVICE) && D.adapter &&
		   g_str_has_prefix(dbus_message_get_path(msg), D.adapter) &&
		   !strncmp(dbus_message_get_path(msg) + strlen(D.adapter),
			   "/dev_", 5)) {
		gboolean c;

		peer_changed(dbus_message_get_path(msg), changed);
		if (g_variant_lookup(changed, "Connected", "b", &c))
			peer_connection(dbus_message_get_path(msg), c);
	} else if (D.announce_timer && D.scanner &&
		   !strcmp(iface, BLUEZ_IFACE_DEVICE)) {
		char *mine = our_device_under(D.scanner);

		if (!strcmp(dbus_message_get_path(msg), mine) &&
			seen_by(mine, changed)) {
			say("%s has seen us", D.scanner);
			announce_cancel();
		}
		g_free(mine);
	}
	g_variant_unref(changed);
	g_variant_unref(args);
}

static void on_bluez(const char *name, const char *owner, void *data)
{
	(void)name;
	(void)data;
	if (!owner) {
		if (D.phase != PHASE_WAIT_BLUEZ)
			say("bluetoothd left");
		D.phase = PHASE_WAIT_BLUEZ;
		D.app_registered = D.adv_registered = D.agent_registered = false;
		D.adapter_present = false;
		return;
	}
	if (D.phase == PHASE_WAIT_BLUEZ) {
		say("bluetoothd is %s", owner);
		call("GetManagedObjects", false, "/", DBUS_IFACE_OBJECT_MANAGER,
			"GetManagedObjects", NULL, look_for_adapter);
	}
}

static gboolean on_signal(gpointer data)
{
	(void)data;
	say("stopping");
	g_main_loop_quit(D.loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	char *adapter = NULL, *boot = NULL, *notify = NULL;
	char **faults = NULL;
	GOptionEntry entries[] = {
		{ "adapter", 'a', 0, G_OPTION_ARG_STRING, &adapter,
			"the DUT's adapter (default hci1), or its address",
			"hciN|ADDR" },
		{ "boot", 0, 0, G_OPTION_ARG_INT, &D.boot,
			"started by bondcheck-bridge for its boot N "
			"($BONDCHECK_DUT_BOOT): faults from boot 2 on",
			"N" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &D.name,
			"advertised name (default mpy-temp)", "NAME" },
		{ "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
			"lose-bond-on-reboot, lose-later-bonds-on-reboot, "
			"no-advertise-after-reboot, slow-boot=D, "
			"save-on-disconnect",
			"FAULT" },
		{ "boot-time", 0, 0, G_OPTION_ARG_STRING, &boot,
			"time from power-off to power-on (default 300ms)",
			"D" },
		{ "notify-interval", 0, 0, G_OPTION_ARG_STRING, &notify,
			"a new temperature this often (default 200ms)", "D" },
		{ "io", 0, 0, G_OPTION_ARG_STRING, &D.io,
			"IO capability (default DisplayYesNo)", "CAP" },
		{ "ready-fifo", 0, 0, G_OPTION_ARG_FILENAME, &D.ready_fifo,
			"write 'ready ADDRESS' here once advertising", "PATH" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new(
		"- a BLE peripheral on real BlueZ for bondcheck's VM tests");
	GError *err = NULL;
	guint sig[2], w1, w2, w3;

	D.boot_ms = 300;
	D.notify_ms = 200;
	D.bond_order = g_ptr_array_new_with_free_func(g_free);
	D.temp = 2150;
	D.first_setup = true;
	D.unsaved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		NULL);
	D.to_forget = g_ptr_array_new_with_free_func(g_free);
	D.connected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		NULL);
	D.peer_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		g_free);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) ||
		(boot && !duration_parse(boot, &D.boot_ms, &err)) ||
		(notify && !duration_parse(notify, &D.notify_ms, &err))) {
		fprintf(stderr, "bondcheck-vmdut: %s\n", err->message);
		return BC_EXIT_USAGE;
	}
	for (char **f = faults; f && *f; f++) {
		if (!strcmp(*f, "lose-bond-on-reboot")) {
			D.lose_bond = true;
		} else if (!strcmp(*f, "lose-later-bonds-on-reboot") &&
			   !D.boot) {
			D.lose_later = true;
		} else if (!strcmp(*f, "no-advertise-after-reboot")) {
			D.no_advertise = true;
		} else if (!strcmp(*f, "save-on-disconnect")) {
			D.save_on_disconnect = true;
		} else if (g_str_has_prefix(*f, "slow-boot=")) {
			if (!duration_parse(*f + 10, &D.slow_ms, &err)) {
				fprintf(stderr, "bondcheck-vmdut: %s\n",
					err->message);
				return BC_EXIT_USAGE;
			}
		} else {
			fprintf(stderr,
				"bondcheck-vmdut: fault '%s' is not one "
				"real BlueZ can play here\n",
				*f);
			return BC_EXIT_USAGE;
		}
	}
	if (D.boot < 0) {
		fprintf(stderr, "bondcheck-vmdut: --boot %d\n", D.boot);
		return BC_EXIT_USAGE;
	}
	if (D.boot > 0) {
		/* one boot of a DUT rebooted by bondcheck-bridge */
		D.reboots = (guint)D.boot - 1;
		D.first_setup = D.boot == 1;
	}
	if (!D.name)
		D.name = g_strdup("mpy-temp");
	if (!D.io)
		D.io = g_strdup("DisplayYesNo");
	if (adapter && strchr(adapter, ':'))
		D.adapter_addr = g_strdup(adapter);
	else
		D.adapter = g_strdup_printf("%s/%s", BLUEZ_PATH,
			adapter ? adapter : "hci1");
	D.loop = g_main_loop_new(NULL, FALSE);
	D.bus = bus_connect(BUS_KIND_SYSTEM, NULL, &err);
	if (!D.bus) {
		fprintf(stderr, "bondcheck-vmdut: %s\n", err->message);
		return BC_EXIT_ENV;
	}
	D.svc = service_new(D.bus);
	service_add_object_manager(D.svc, APP_PATH);
	service_add_interface(D.svc, SVC0, &svc_iface, (void *)UUID_ESS);
	service_add_interface(D.svc, CHR0, &temp_iface, NULL);
	service_add_interface(D.svc, SVC1, &svc_iface, (void *)UUID_VENDOR);
	service_add_interface(D.svc, CHR1, &reboot_iface, NULL);
	service_add_interface(D.svc, ADV_PATH, &adv_iface, NULL);
	service_add_interface(D.svc, AGENT_PATH, &agent_iface, NULL);
	w1 = bus_add_signal_watch(D.bus, BLUEZ_SERVICE, NULL, BLUEZ_PATH,
		DBUS_IFACE_PROPERTIES, "PropertiesChanged", on_adapter_props,
		NULL, NULL);
	w3 = bus_add_signal_watch(D.bus, BLUEZ_SERVICE, "/", NULL,
		DBUS_IFACE_OBJECT_MANAGER, "InterfacesAdded", on_added, NULL,
		NULL);
	w2 = bus_watch_name(D.bus, BLUEZ_SERVICE, on_bluez, NULL, NULL);
	sig[0] = g_unix_signal_add(SIGTERM, on_signal, NULL);
	sig[1] = g_unix_signal_add(SIGINT, on_signal, NULL);
	say("on %s (boot %d), faults:%s%s%s%s",
		D.adapter ? D.adapter : D.adapter_addr, D.boot ? D.boot : 1,
		D.lose_bond  ? " lose-bond-on-reboot" :
		D.lose_later ? " lose-later-bonds-on-reboot" :
			       "",
		D.no_advertise ? " no-advertise-after-reboot" : "",
		D.slow_ms ? " slow-boot" : "",
		D.save_on_disconnect ? " save-on-disconnect" : "");
	g_main_loop_run(D.loop);
	g_source_remove(sig[0]);
	g_source_remove(sig[1]);
	bus_unwatch_name(D.bus, w2);
	bus_remove_signal_watch(D.bus, w1);
	bus_remove_signal_watch(D.bus, w3);
	if (D.notify_timer)
		g_source_remove(D.notify_timer);
	if (D.boot_timer)
		g_source_remove(D.boot_timer);
	service_free(D.svc);
	bus_unref(D.bus);
	g_main_loop_unref(D.loop);
	g_option_context_free(ctx);
	g_strfreev(faults);
	g_free(adapter);
	g_free(boot);
	g_free(notify);
	g_free(D.adapter);
	g_free(D.adapter_addr);
	g_free(D.name);
	g_free(D.io);
	g_free(D.address);
	g_free(D.ready_fifo);
	g_hash_table_destroy(D.unsaved);
	g_hash_table_destroy(D.peer_addr);
	g_hash_table_destroy(D.connected);
	g_free(bonding_path);
	g_ptr_array_free(D.to_forget, TRUE);
	g_ptr_array_free(D.bond_order, TRUE);
	dbus_shutdown();
	return D.status;
}
