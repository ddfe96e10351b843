/* SPDX-License-Identifier: MIT */
/*
 * check_sim.c — bondcheck-sim's protocol, pinned over raw D-Bus (not through
 * our engine): the order of property changes, interfaces and replies, and
 * BlueZ's error names, for discovery, connect, pairing with each pair of IO
 * capabilities, reboot with and without each fault, GATT, and hostile
 * clients. Each test starts its own bus and simulator.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/sim.h"
#include "helpers/simtest.h"
#include "suites.h"

#define PASSKEY 123456

static struct simtest st;

/* Tests that type or compare a passkey fix it, as a firmware with a
 * static passkey does; pairing_numbers_come_from_the_seed does not. */
static void start_with(const char *const *args)
{
	const char *all[16] = { "--passkey", G_STRINGIFY(PASSKEY) };
	size_t n = 2;

	for (size_t i = 0; args && args[i] && n < G_N_ELEMENTS(all) - 1; i++)
		all[n++] = args[i];
	all[n] = NULL;
	simtest_start(&st, all);
}

static void teardown(void)
{
	simtest_stop(&st);
}

#define CALL(path, iface, method, args) \
	simtest_call(&st, path, iface, method, args)

static void call_ok(const char *path, const char *iface, const char *method,
	GVariant *args)
{
	char *r = CALL(path, iface, method, args);

	ck_assert_msg(strcmp(r, "ok") == 0, "%s: %s\ntimeline:\n%s", method, r,
		timeline_dump(st.tl));
	g_free(r);
}

static void call_err(const char *path, const char *iface, const char *method,
	GVariant *args, const char *expect)
{
	char *r = CALL(path, iface, method, args);

	ck_assert_msg(g_str_has_prefix(r, expect), "%s: got '%s', want '%s'",
		method, r, expect);
	g_free(r);
}

static void assert_order(const char *const *expect)
{
	char *dump;

	if (timeline_in_order(st.tl, expect))
		return;
	dump = timeline_dump(st.tl);
	ck_abort_msg("expected, in order:\n  %s\ntimeline:\n%s",
		g_strjoinv("\n  ", (char **)expect), dump);
}

static void wait_line(const char *needle)
{
	ck_assert_msg(timeline_wait(st.tl, needle, 5000),
		"never saw '%s'; timeline:\n%s", needle, timeline_dump(st.tl));
}

struct either {
	const char *a, *b;
};

static bool saw_either(void *data)
{
	struct either *w = data;

	return timeline_find(st.tl, w->a) >= 0 ||
	       timeline_find(st.tl, w->b) >= 0;
}

/* Wait until the link settles one way or the other. */
static void wait_either(const char *a, const char *b)
{
	struct either w = { a, b };

	ck_assert_msg(test_wait(saw_either, &w, 5000),
		"saw neither '%s' nor '%s'; timeline:\n%s", a, b,
		timeline_dump(st.tl));
}

static bool get_bool(const char *path, const char *iface, const char *prop,
	bool *present)
{
	DBusMessage *r = test_call(st.bus, BLUEZ_SERVICE, path,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", iface, prop), 5000);
	GVariant *body;
	bool v = false;

	*present = r && !msg_error_name(r);
	if (*present && msg_get_args(r, "(v)", &body, NULL)) {
		GVariant *inner = g_variant_get_child_value(body, 0);
		GVariant *b = g_variant_get_variant(inner);

		v = g_variant_get_boolean(b);
		g_variant_unref(b);
		g_variant_unref(inner);
		g_variant_unref(body);
	}
	if (r)
		dbus_message_unref(r);
	return v;
}

/* "0100" for the bytes of a ReadValue reply */
static char *read_hex(const char *path, const char *iface)
{
	GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, path, iface,
		"ReadValue",
		g_variant_new("(@a{sv})",
			g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)));
	GVariant *ay = g_variant_get_child_value(v, 0);
	gsize n = 0;
	const guint8 *b = g_variant_get_fixed_array(ay, &n, 1);
	GString *s = g_string_new("");

	for (gsize i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", b[i]);
	g_variant_unref(ay);
	g_variant_unref(v);
	return g_string_free(s, FALSE);
}

static GVariant *no_opts(void)
{
	return g_variant_new("(@a{sv})",
		g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

/* discover, pair (bonding) through an agent that accepts */
static struct testagent *bonded(const char *cap)
{
	struct testagent *a = testagent_new(st.bus, st.tl, cap,
		TESTAGENT_ACCEPT, PASSKEY);

	simtest_discover(&st);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Pair", NULL);
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
	return a;
}

/* ---- discovery ---------------------------------------------------------- */

START_TEST(discovery_is_a_session_per_client)
{
	const char *start[] = { "hci0 Discovering=true",
		"reply StartDiscovery: ok", "+dev Device1", NULL };
	const char *stop[] = { "hci0 Discovering=false", "dev RSSI=-",
		"reply StopDiscovery: ok", NULL };
	struct bus *other;
	GError *err = NULL;
	DBusMessage *r;

	start_with(NULL);
	simtest_discover(&st);
	assert_order(start);
	call_err(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL,
		"org.bluez.Error.InProgress Operation already in progress");
	timeline_clear(st.tl);
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
	assert_order(stop);
	call_err(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL,
		"org.bluez.Error.Failed No discovery started");

	/* a client that starts discovery and leaves ends its session */
	other = bus_connect(BUS_KIND_ADDRESS, st.tb.address, &err);
	ck_assert_ptr_nonnull(other);
	timeline_clear(st.tl);
	r = test_call(other, BLUEZ_SERVICE, SIM_HCI, BLUEZ_IFACE_ADAPTER,
		"StartDiscovery", NULL, 5000);
	ck_assert_ptr_null(msg_error_name(r));
	dbus_message_unref(r);
	wait_line("dev RSSI=-52");
	bus_unref(other);
	wait_line("hci0 Discovering=false");
}
END_TEST

/* ---- connect ------------------------------------------------------------ */

START_TEST(connect_and_disconnect_without_a_bond)
{
	const char *up[] = { "dev Connected=true",
		"+dev/service000a GattService1",
		"+dev/service000a/char000b GattCharacteristic1",
		"+dev/service000a/char000b/desc000d GattDescriptor1",
		"+dev/service000e GattService1",
		"+dev/service000e/char000f GattCharacteristic1",
		"dev ServicesResolved=true", "reply Connect: ok", NULL };
	/* real bluetoothd 5.66 answers before Connected falls (QEMU tier) */
	const char *down[] = { "dev ServicesResolved=false",
		"reply Disconnect: ok", "dev Connected=false",
		"-dev/service000e/char000f GattCharacteristic1",
		"-dev/service000a GattService1", NULL };

	start_with(NULL);
	simtest_discover(&st);
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
	timeline_clear(st.tl);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	assert_order(up);
	/* src/device.c dev_connect(): connected already is a success */
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	timeline_clear(st.tl);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	/* no bond: BlueZ drops the attribute cache with the link */
	wait_line("-dev/service000a GattService1");
	assert_order(down);
	/* device_request_disconnect(): not connected is a success too */
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
}
END_TEST

/* ---- pairing ------------------------------------------------------------ */

static const struct {
	const char *cap;    /* our agent */
	const char *dut_io; /* NULL: DisplayYesNo, the example's */
	enum testagent_mode mode;
	uint32_t passkey;       /* what our agent answers */
	const char *agent_line; /* NULL: the agent is not called */
	const char *result;
	const char *opt; /* a setting (--opt), e.g. sc=no */
} pairings[] = {
	{ "KeyboardDisplay", NULL, TESTAGENT_ACCEPT, PASSKEY,
		"agent RequestConfirmation('" SIM_DEV "', 123456)", "ok" },
	{ "DisplayYesNo", NULL, TESTAGENT_ACCEPT, PASSKEY,
		"agent RequestConfirmation(", "ok" },
	{ "KeyboardOnly", NULL, TESTAGENT_ACCEPT, PASSKEY,
		"agent RequestPasskey('" SIM_DEV "',)", "ok" },
	{ "KeyboardOnly", NULL, TESTAGENT_ACCEPT, 111111,
		"agent RequestPasskey(",
		"org.bluez.Error.AuthenticationFailed" },
	{ "NoInputNoOutput", NULL, TESTAGENT_ACCEPT, PASSKEY, NULL, "ok" },
	{ "DisplayOnly", NULL, TESTAGENT_ACCEPT, PASSKEY, NULL, "ok" },
	{ "DisplayOnly", "KeyboardOnly", TESTAGENT_ACCEPT, PASSKEY,
		"agent DisplayPasskey('" SIM_DEV "', 123456, 0)", "ok" },
	{ "KeyboardDisplay", "NoInputNoOutput", TESTAGENT_ACCEPT, PASSKEY, NULL,
		"ok" },
	{ "KeyboardDisplay", NULL, TESTAGENT_REJECT, PASSKEY,
		"agent RequestConfirmation(",
		"org.bluez.Error.AuthenticationFailed Authentication Failed" },
	{ "KeyboardDisplay", NULL, TESTAGENT_SILENT, PASSKEY,
		"agent RequestConfirmation(",
		"org.bluez.Error.AuthenticationTimeout Authentication Timeout" },
	/* LE legacy pairing has no numeric comparison: where SC compares,
	 * the central types the DUT's passkey, or nobody is asked */
	{ "KeyboardDisplay", NULL, TESTAGENT_ACCEPT, PASSKEY,
		"agent RequestPasskey('" SIM_DEV "',)", "ok", "sc=no" },
	{ "DisplayYesNo", NULL, TESTAGENT_ACCEPT, PASSKEY, NULL, "ok",
		"sc=no" },
	{ "KeyboardDisplay", "KeyboardDisplay", TESTAGENT_ACCEPT, PASSKEY,
		"agent DisplayPasskey('" SIM_DEV "', 123456, 0)", "ok",
		"sc=no" },
	{ "KeyboardDisplay", "KeyboardDisplay", TESTAGENT_ACCEPT, PASSKEY,
		"agent RequestConfirmation('" SIM_DEV "', 123456)", "ok",
		"sc=yes" },
	{ "KeyboardOnly", NULL, TESTAGENT_ACCEPT, 111111,
		"agent RequestPasskey(", "org.bluez.Error.AuthenticationFailed",
		"sc=no" },
};

START_TEST(pairing_calls_the_agent_as_bluetoothd_does)
{
	const char *args[7];
	struct testagent *a;
	char *r;
	bool present;
	int n = 0;

	if (pairings[_i].mode == TESTAGENT_SILENT) {
		/* nobody answers: the simulator gives up soon */
		args[n++] = "--agent-timeout";
		args[n++] = "300ms";
	}
	if (pairings[_i].dut_io) {
		args[n++] = "--dut-io";
		args[n++] = pairings[_i].dut_io;
	}
	if (pairings[_i].opt) {
		args[n++] = "--opt";
		args[n++] = pairings[_i].opt;
	}
	args[n] = NULL;
	start_with(args);
	a = testagent_new(st.bus, st.tl, pairings[_i].cap, pairings[_i].mode,
		pairings[_i].passkey);
	simtest_discover(&st);
	timeline_clear(st.tl);
	r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Pair", NULL);
	ck_assert_msg(g_str_has_prefix(r, pairings[_i].result),
		"%s/%s: got %s\n%s", pairings[_i].cap,
		pairings[_i].dut_io ? pairings[_i].dut_io : "DisplayYesNo", r,
		timeline_dump(st.tl));
	if (pairings[_i].agent_line)
		ck_assert_msg(timeline_find(st.tl, pairings[_i].agent_line) >=
				      0,
			"no '%s' in\n%s", pairings[_i].agent_line,
			timeline_dump(st.tl));
	else
		ck_assert_int_eq(timeline_find(st.tl, "agent "), -1);
	if (pairings[_i].mode == TESTAGENT_SILENT)
		wait_line("agent Cancel()");
	if (!strcmp(r, "ok")) {
		/*
		 * GATT discovery beside SMP, as real bluetoothd 5.66: Paired
		 * waits for both, but ServicesResolved and Bonded race (real
		 * bluetoothd shows both orders, tests/vm/run's RACES; here a
		 * loaded machine fires both timers in one loop iteration)
		 */
		const char *resolved[] = { "dev Connected=true",
			"dev ServicesResolved=true", "dev Paired=true",
			"reply Pair: ok", NULL };
		const char *bonded[] = { "dev Connected=true",
			"dev Bonded=true", "dev Paired=true", "reply Pair: ok",
			NULL };

		assert_order(resolved);
		assert_order(bonded);
		ck_assert(get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Bonded",
			&present));
		/* 5.66 tries BR/EDR once LE is bonded (QEMU tier) */
		call_err(SIM_DEV, BLUEZ_IFACE_DEVICE, "Pair", NULL,
			"org.bluez.Error.AuthenticationFailed "
			"Authentication Failed");
	} else {
		ck_assert(!get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Paired",
			&present));
	}
	g_free(r);
	testagent_free(a);
}
END_TEST

START_TEST(pairing_without_bonding_is_forgotten_on_disconnect)
{
	struct testagent *a;
	bool present;
	GVariant *v;

	start_with(NULL);
	a = testagent_new(st.bus, st.tl, "KeyboardDisplay", TESTAGENT_ACCEPT,
		PASSKEY);
	call_ok(SIM_HCI, DBUS_IFACE_PROPERTIES, "Set",
		g_variant_new("(ssv)", BLUEZ_IFACE_ADAPTER, "Pairable",
			g_variant_new_boolean(FALSE)));
	simtest_discover(&st);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Pair", NULL);
	ck_assert(get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Paired", &present));
	ck_assert(!get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Bonded", &present));
	ck_assert(present);
	ck_assert_int_eq(timeline_find(st.tl, "dev Bonded=true"), -1);
	v = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", BC_SIM_IFACE, "BondCount"));
	ck_assert(g_variant_equal(v, g_variant_new_parsed("(<uint32 0>,)")));
	g_variant_unref(v);
	timeline_clear(st.tl);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	/* device_remove_connection(): paired but not bonded is forgotten */
	wait_line("dev Paired=false");
	testagent_free(a);
}
END_TEST

START_TEST(cancel_pairing_and_a_requester_that_leaves)
{
	struct testagent *a;
	struct bus *other;
	GError *err = NULL;

	start_with(NULL);
	a = testagent_new(st.bus, st.tl, "KeyboardDisplay", TESTAGENT_SILENT,
		PASSKEY);
	simtest_discover(&st);
	call_err(SIM_DEV, BLUEZ_IFACE_DEVICE, "CancelPairing", NULL,
		"org.bluez.Error.DoesNotExist");

	timeline_call(st.tl, SIM_DEV, BLUEZ_IFACE_DEVICE, "Pair", NULL);
	wait_line("agent RequestConfirmation(");
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "CancelPairing", NULL);
	wait_line("reply Pair: org.bluez.Error.AuthenticationCanceled");
	wait_line("agent Cancel()");

	/* another client pairs (our agent is the default) and leaves */
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	timeline_clear(st.tl);
	other = bus_connect(BUS_KIND_ADDRESS, st.tb.address, &err);
	ck_assert_ptr_nonnull(other);
	bus_call_method(other, BLUEZ_SERVICE, SIM_DEV, BLUEZ_IFACE_DEVICE,
		"Pair", NULL, 5000, NULL, NULL, NULL);
	wait_line("agent RequestConfirmation(");
	bus_unref(other);
	/* device.c create_bond_req_exit(): cancelled, then disconnected */
	wait_line("agent Cancel()");
	wait_line("dev Connected=false");
	/* and the simulator keeps serving */
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	testagent_free(a);
}
END_TEST

/* ---- reboot and reconnect ----------------------------------------------- */

static void set_fault(const char *name, const char *arg)
{
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "SetFault",
		g_variant_new("(ss)", name, arg));
}

/* Reboot the bonded, connected DUT and wait until it is back (or not). */
static void reboot_and_rediscover(bool expect_adverts)
{
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	wait_line("dev Connected=false");
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL);
	if (expect_adverts)
		wait_line("dev RSSI=-52");
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
}

/* Sim1.Address is a new static random address, and BlueZ sees it so. */
static void check_rotated_identity(void)
{
	GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", BC_SIM_IFACE, "Address"));
	GVariant *inner;
	const char *addr;
	char *path;
	char *up;

	g_variant_get(v, "(v)", &inner);
	addr = g_variant_get_string(inner, NULL);
	ck_assert_str_ne(addr, SIM_DUT);
	/* static random: the two most significant bits are set */
	ck_assert_int_ge(g_ascii_xdigit_value(addr[0]), 0xc);
	up = g_strdup(addr);
	g_strdelimit(up, ":", '_');
	path = g_strdup_printf("%s/dev_%s", SIM_HCI, up);
	g_variant_unref(v);
	v = test_call_ok(st.bus, BLUEZ_SERVICE, path, DBUS_IFACE_PROPERTIES,
		"Get",
		g_variant_new("(ss)", BLUEZ_IFACE_DEVICE, "AddressType"));
	ck_assert(g_variant_equal(v, g_variant_new_parsed("(<'random'>,)")));
	g_variant_unref(v);
	g_variant_unref(inner);
	g_free(path);
	g_free(up);
}

static const struct {
	const char *faults[3]; /* name=arg */
	bool rpa;              /* the central's privacy on */
	bool adverts;
	/* a healthy reconnect: Connect() answered once ATT is up on the
	 * encrypted link, ServicesResolved after (real bluetoothd 5.66) */
	const char *expect[6];
	/* with the key lost real 5.66 draws per attempt: the error, or a
	 * success and the drop; alt is the other (NULL: one variant) */
	const char *alt[6];
} reconnects[] = {
	{ { NULL }, false, true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev ServicesResolved=true", NULL } },
	{ { "lose-bond-on-reboot", NULL }, false, true,
		{ "dev Connected=true",
			"reply Connect: org.bluez.Error.Failed "
			"le-connection-abort-by-local",
			"dev Connected=false", NULL },
		{ "dev Connected=true", "reply Connect: ok",
			"dev Connected=false", NULL } },
	/* the seed bug and no resolution: only with an RPA central */
	{ { "key-lookup-mismatch", NULL }, false, true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev ServicesResolved=true", NULL } },
	{ { "no-rpa-resolution", NULL }, false, true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev ServicesResolved=true", NULL } },
	{ { NULL }, true, true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev ServicesResolved=true", NULL } },
	{ { "key-lookup-mismatch", NULL }, true, true,
		{ "dev Connected=true",
			"reply Connect: org.bluez.Error.Failed "
			"le-connection-abort-by-local",
			"dev Connected=false", NULL },
		{ "dev Connected=true", "reply Connect: ok",
			"dev Connected=false", NULL } },
	{ { "no-rpa-resolution", NULL }, true, true,
		{ "dev Connected=true",
			"reply Connect: org.bluez.Error.Failed "
			"le-connection-abort-by-local",
			"dev Connected=false", NULL },
		{ "dev Connected=true", "reply Connect: ok",
			"dev Connected=false", NULL } },
	{ { "lose-bond-on-reboot", "connect-succeeds-then-drops", NULL }, false,
		true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev Connected=false", NULL } },
	{ { "lose-bond-on-reboot", "terminate-on-encrypt", NULL }, false, true,
		{ "dev Connected=true",
			"reply Connect: org.bluez.Error.Failed "
			"le-connection-abort-by-remote",
			"dev Connected=false", NULL } },
	{ { "lose-bond-on-reboot", "bluez-version=5.83", NULL }, false, true,
		{ "dev Connected=true",
			/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one string */
			"reply Connect: org.bluez.Error.Failed "
			"le-connection-abort-by-local",
			"dev Connected=false",
			"dev Disconnected(org.bluez.Reason.Authentication)",
			NULL },
		{ "dev Connected=true", "reply Connect: ok",
			"dev Connected=false",
			"dev Disconnected(org.bluez.Reason.Authentication)",
			NULL } },
	{ { "no-advertise-after-reboot", NULL }, false, false,
		{ "reply Connect: org.bluez.Error.Failed "
		  "le-connection-abort-by-local",
			NULL } },
	{ { "rotate-identity-on-reboot", NULL }, false, false,
		{ "reply Connect: org.bluez.Error.Failed "
		  "le-connection-abort-by-local",
			NULL } },
	{ { "repair-on-reconnect", NULL }, false, true,
		{ "dev Connected=true", "agent RequestConfirmation(",
			"dev ServicesResolved=true", "reply Connect: ok",
			NULL } },
	{ { "forget-cccd-on-reboot", NULL }, false, true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev ServicesResolved=true", NULL } },
	{ { "slow-boot=300ms", NULL }, false, true,
		{ "dev Connected=true", "reply Connect: ok",
			"dev ServicesResolved=true", NULL } },
};

START_TEST(reconnect_after_reboot_per_fault)
{
	struct testagent *a;
	bool present;
	char *r;

	start_with(reconnects[_i].rpa ?
			   (const char *const[]){ "--privacy", "on", NULL } :
			   NULL);
	a = bonded("KeyboardDisplay");
	for (int i = 0; reconnects[_i].faults[i]; i++) {
		char **kv = g_strsplit(reconnects[_i].faults[i], "=", 2);

		set_fault(kv[0], kv[1] ? kv[1] : "");
		g_strfreev(kv);
	}
	reboot_and_rediscover(reconnects[_i].adverts);
	timeline_clear(st.tl);
	r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	g_free(r);
	/* let the link settle: services resolve after the reply, or the
	 * link drops after it */
	if (timeline_find(st.tl, "dev Connected=true") >= 0 &&
		timeline_find(st.tl, "ServicesResolved=true") < 0)
		wait_either("dev ServicesResolved=true", "dev Connected=false");
	if (strstr(reconnects[_i].expect[3] ? reconnects[_i].expect[3] : "",
		    "Disconnected"))
		wait_line("dev Disconnected(");
	if (reconnects[_i].alt[0]) {
		const char *const *variants[] = { reconnects[_i].expect,
			reconnects[_i].alt, NULL };

		ck_assert_msg(timeline_in_order_any(st.tl, variants) >= 0,
			"neither variant in\n%s", timeline_dump(st.tl));
	} else {
		assert_order((const char *const *)reconnects[_i].expect);
	}
	/* bluetoothd never drops the bond by itself */
	ck_assert(get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Paired", &present));
	ck_assert(get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Bonded", &present));
	ck_assert_int_eq(timeline_find(st.tl, "dev Paired=false"), -1);
	if (reconnects[_i].faults[0] && !strcmp(reconnects[_i].faults[0],
						"rotate-identity-on-reboot")) {
		/* the DUT is back, but as a stranger (found now or before) */
		call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL);
		wait_line("dev2");
		check_rotated_identity();
	}
	testagent_free(a);
}
END_TEST

START_TEST(the_key_lookup_trace_shows_the_seed_bug)
{
	struct testagent *a;
	char *r;

	start_with((const char *const[]){ "--privacy", "on", NULL });
	a = bonded("KeyboardDisplay");
	/* the central sent its IRK and identity: stored by identity */
	ck_assert(timeline_wait_trace(st.tl, "\"irk\":true", 5000));
	ck_assert(timeline_wait_trace(st.tl,
		"\"index\":\"public/00:B0:DC:00:00:01\"", 5000));
	set_fault("key-lookup-mismatch", "");
	reboot_and_rediscover(true);
	ck_assert(timeline_wait_trace(st.tl,
		"\"event\":\"resolving-list-lost\"", 5000));
	r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	g_free(r);
	/* looked up under the link's RPA, which nothing resolved */
	ck_assert(timeline_wait_trace(st.tl, "\"looked_up\":\"random/", 5000));
	ck_assert(timeline_wait_trace(st.tl,
		"\"peer_type\":\"random (resolvable private)\"", 5000));
	ck_assert(timeline_wait_trace(st.tl,
		"\"stored\":[\"public/00:B0:DC:00:00:01\"]", 5000));
	testagent_free(a);
}
END_TEST

static bool get_privacy(void)
{
	GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", BC_SIM_IFACE, "Privacy"));
	GVariant *inner;
	bool on;

	g_variant_get(v, "(v)", &inner);
	on = g_variant_get_boolean(inner);
	g_variant_unref(inner);
	g_variant_unref(v);
	return on;
}

static void set_powered(bool on)
{
	call_ok(SIM_HCI, DBUS_IFACE_PROPERTIES, "Set",
		g_variant_new("(ssv)", BLUEZ_IFACE_ADAPTER, "Powered",
			g_variant_new_boolean(on)));
}

/* As mgmt Set Privacy: only with the adapter off; RPAs from then on. */
START_TEST(privacy_is_set_with_the_adapter_off_and_gives_rpas)
{
	struct testagent *a;

	start_with(NULL);
	ck_assert(!get_privacy());
	call_err(BC_SIM_PATH, BC_SIM_IFACE, "SetPrivacy",
		g_variant_new("(b)", TRUE),
		"org.bondcheck.Error.Failed "
		"/org/bluez/hci0 is powered: privacy is set with the adapter "
		"powered off (mgmt Set Privacy: Rejected)");
	set_powered(false);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "SetPrivacy",
		g_variant_new("(b)", TRUE));
	set_powered(true);
	ck_assert(get_privacy());
	a = bonded("KeyboardDisplay");
	ck_assert(timeline_wait_trace(st.tl,
		"\"central_address_type\":"
		"\"random (resolvable private)\"",
		5000));
	testagent_free(a);
}
END_TEST

static const struct {
	const char *kind;
	const char *faults[2];
	const char *reason; /* the Disconnected reason (5.83) */
	const char *result; /* the DUT's LTK lookup after the boot */
} reboot_kinds[] = {
	{ "hard", { NULL }, "org.bluez.Reason.Timeout", "ok" },
	{ "graceful", { NULL }, "org.bluez.Reason.Remote", "ok" },
	/* keys written on a disconnect: the hard reset on the bonding link
	 * loses them */
	{ "hard", { "save-on-disconnect" }, "org.bluez.Reason.Timeout",
		"key-missing" },
	{ "graceful", { "save-on-disconnect" }, "org.bluez.Reason.Remote",
		"ok" },
};

START_TEST(a_graceful_reboot_disconnects_a_hard_one_times_out)
{
	const char *args[] = { "--fault", "bluez-version=5.83", "--fault",
		reboot_kinds[_i].faults[0] ? reboot_kinds[_i].faults[0] :
					     "slow-boot=300ms",
		NULL };
	struct testagent *a;
	char *line, *r;

	start_with(args);
	a = bonded("KeyboardDisplay");
	timeline_clear(st.tl);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "RebootKind",
		g_variant_new("(s)", reboot_kinds[_i].kind));
	line = g_strdup_printf("dev Disconnected(%s)", reboot_kinds[_i].reason);
	wait_line(line);
	g_free(line);
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL);
	wait_line("dev RSSI=-52");
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
	r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	g_free(r);
	line = g_strdup_printf("\"event\":\"ltk-request\"");
	ck_assert(timeline_wait_trace(st.tl, line, 5000));
	g_free(line);
	line = g_strdup_printf("\"result\":\"%s\"", reboot_kinds[_i].result);
	ck_assert_msg(timeline_wait_trace(st.tl, line, 5000), "no %s", line);
	g_free(line);
	call_err(BC_SIM_PATH, BC_SIM_IFACE, "RebootKind",
		g_variant_new("(s)", "soft"),
		"org.bondcheck.Error."
		"InvalidArguments a reboot is hard or graceful, not 'soft'");
	testagent_free(a);
}
END_TEST

/* ---- radio timing ------------------------------------------------------- */

/*
 * The simulated air's times, from the simulator's own trace (t_us on its
 * clock, and the times of the advertising events it computed): never how
 * long the test took. Timers never fire early, so each "at least" holds on
 * a loaded machine; the advertising events' times are exact.
 */
struct trace_ev {
	JsonParser *p;
	JsonObject *o;
};

/* The first trace event named @event at index >= *from; *from moves past
 * it. */
static bool trace_next(const char *event, guint *from, struct trace_ev *ev)
{
	GPtrArray *all = timeline_traces(st.tl);

	for (guint i = *from; i < all->len; i++) {
		JsonParser *p = json_parser_new();
		JsonObject *o;

		ck_assert(json_parser_load_from_data(p,
			g_ptr_array_index(all, i), -1, NULL));
		o = json_node_get_object(json_parser_get_root(p));
		if (!strcmp(json_object_get_string_member(o, "event"), event)) {
			ev->p = p;
			ev->o = o;
			*from = i + 1;
			return true;
		}
		g_object_unref(p);
	}
	return false;
}

struct trace_want {
	const char *event;
	guint from;
	struct trace_ev ev;
};

static bool saw_trace(void *data)
{
	struct trace_want *w = data;

	/* test_wait() asks once more at the end */
	return w->ev.p || trace_next(w->event, &w->from, &w->ev);
}

/* Wait (on the bus, with a timeout) for the next @event after *from. */
static struct trace_ev trace_wait(const char *event, guint *from)
{
	struct trace_want w = { event, *from, { NULL, NULL } };

	if (!test_wait(saw_trace, &w, 5000)) {
		GPtrArray *all = timeline_traces(st.tl);
		GString *dump = g_string_new("");

		for (guint i = 0; i < all->len; i++)
			g_string_append_printf(dump, "  %u %s\n", i,
				(const char *)g_ptr_array_index(all, i));
		ck_abort_msg("no %s after trace %u; traces:\n%s", event, *from,
			dump->str);
	}
	*from = w.from;
	return w.ev;
}

static int64_t ev_int(struct trace_ev *ev, const char *key)
{
	ck_assert_msg(json_object_has_member(ev->o, key), "no %s", key);
	return json_object_get_int_member(ev->o, key);
}

static void ev_free(struct trace_ev *ev)
{
	g_object_unref(ev->p);
}

/* A timing of Sim1.Timing, in ms after --time-scale. */
static double timing_ms(const char *key)
{
	GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", BC_SIM_IFACE, "Timing"));
	GVariant *inner, *val;
	double ms;

	g_variant_get(v, "(v)", &inner);
	val = g_variant_lookup_value(inner, key, G_VARIANT_TYPE_DOUBLE);
	ck_assert_msg(val, "no %s in Timing", key);
	ms = g_variant_get_double(val);
	g_variant_unref(val);
	g_variant_unref(inner);
	g_variant_unref(v);
	return ms;
}

/* The least a delay of Sim1.Timing can take: the simulator plans in
 * whole ms (rounded), and a GLib timer never fires early. */
static int64_t plan_us(const char *key)
{
	return (int64_t)(timing_ms(key) + 0.5) * 1000 - 1;
}

static const struct {
	const char *interval; /* adv-interval= */
	double scale;
	bool connect_early; /* Connect() while the DUT still boots */
} radios[] = {
	/* 1 s at 0.01: the events 10 ms apart, advDelay up to 0.1 ms */
	{ "adv-interval=1s", 0.01, true },
	{ "adv-interval=1s", 0.01, false },
	{ "adv-interval=100ms", 0.05, true },
	{ "adv-interval=100ms", 0.05, false },
	/* everything zero, the events in order */
	{ "adv-interval=1s", 0, true },
	{ "adv-interval=1s", 0, false },
};

/*
 * A hard reboot: the link drops at the supervision timeout; the DUT
 * advertises from its boot on, every interval plus advDelay; a connection
 * starts only at one of those events (the first, when Connect() was
 * already waiting), its first connection event and the encryption take
 * their time, then the read its connection events.
 */
START_TEST(a_reconnect_follows_the_advertising_events)
{
	char scale[32];
	const char *args[] = { "--opt", radios[_i].interval, "--time-scale",
		scale, NULL };
	struct trace_ev reboot, down, adv, up, enc, rd;
	struct testagent *a;
	double s = radios[_i].scale;
	int64_t interval, dmax, k, off;
	guint from = 0;
	char *r;

	g_ascii_dtostr(scale, sizeof(scale), s);
	start_with(args);
	ck_assert(timing_ms("adv_interval_ms") ==
		  (g_str_has_suffix(radios[_i].interval, "1s") ? 1000 : 100) *
			  s);
	a = bonded("KeyboardDisplay");
	timeline_clear(st.tl);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	wait_line("dev Connected=false");
	reboot = trace_wait("reboot", &from);
	down = trace_wait("link-down", &from);
	ck_assert_str_eq(json_object_get_string_member(down.o, "reason"),
		"org.bluez.Reason.Timeout");
	ck_assert_int_ge(ev_int(&down, "t_us") - ev_int(&reboot, "t_us"),
		plan_us("supervision_ms"));
	if (radios[_i].connect_early) {
		/* the kernel scans for it while it boots, and connects at
		 * its first advertising event */
		r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	} else {
		ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"",
			5000));
		call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL);
		wait_line("dev RSSI=-52");
		call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
		r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	}
	ck_assert_str_eq(r, "ok");
	g_free(r);
	g_free(read_hex(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC));
	adv = trace_wait("adv-start", &from);
	up = trace_wait("link-up", &from);
	enc = trace_wait("encrypted", &from);
	rd = trace_wait("read-reply", &from);
	interval = ev_int(&adv, "interval_us");
	dmax = ev_int(&adv, "adv_delay_max_us");
	ck_assert_int_eq(interval,
		(int64_t)(1000.0 * timing_ms("adv_interval_ms") + 0.5));
	/* the event the link began at: exactly where the DUT's events are */
	k = ev_int(&up, "adv_event");
	off = ev_int(&up, "adv_t_us") - ev_int(&adv, "epoch_t_us");
	ck_assert_int_ge(off, k * interval);
	ck_assert_int_le(off, k * interval + dmax);
	if (radios[_i].connect_early)
		ck_assert_int_eq(k, 0);
	else if (s > 0)
		/* discovery heard one event; Connect() came after it */
		ck_assert_int_ge(k, 1);
	/* CONNECT_IND, the first connection event, then encryption (two
	 * more), then the read's request and response */
	ck_assert_int_ge(ev_int(&up, "t_us") - ev_int(&up, "adv_t_us"),
		plan_us("connect_ms"));
	ck_assert_int_ge(ev_int(&enc, "t_us") - ev_int(&up, "t_us"),
		plan_us("encrypt_ms"));
	ck_assert_int_ge(ev_int(&rd, "t_us") - ev_int(&enc, "t_us"),
		plan_us("att_ms"));
	if (s == 0)
		ck_assert(timing_ms("reconnect_floor_ms") == 0 &&
			  timing_ms("supervision_ms") == 0 && interval == 0);
	else
		ck_assert(timing_ms("reconnect_floor_ms") ==
			  (3 + 60 + 30 + 30) * s);
	ev_free(&reboot);
	ev_free(&down);
	ev_free(&adv);
	ev_free(&up);
	ev_free(&enc);
	ev_free(&rd);
	testagent_free(a);
}
END_TEST

START_TEST(bluez_5_64_has_no_bonded_property)
{
	const char *args[] = { "--fault", "bluez-version=5.64", NULL };
	struct testagent *a;
	bool present = true;

	start_with(args);
	a = bonded("KeyboardDisplay");
	ck_assert(get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Paired", &present));
	get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Bonded", &present);
	ck_assert(!present);
	testagent_free(a);
}
END_TEST

START_TEST(another_central_bonding_evicts_us_from_a_full_table)
{
	const char *args[] = { "--fault", "bond-table-full=1", NULL };
	struct testagent *a;

	start_with(args);
	a = bonded("KeyboardDisplay");
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "BondPeer",
		g_variant_new("(s)", "11:22:33:44:55:66"));
	ck_assert(timeline_wait_trace(st.tl, "\"evicted\":\"public/00:B0:DC",
		5000));
	call_err(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL,
		"org.bluez.Error.Failed le-connection-abort-by-local");
	call_err(BC_SIM_PATH, BC_SIM_IFACE, "BondPeer",
		g_variant_new("(s)", "not-an-address"),
		"org.bondcheck.Error.InvalidArguments");
	testagent_free(a);
}
END_TEST

/* ---- several adapters, one DUT ------------------------------------------ */

#define SIM_HCI1  "/org/bluez/hci1"
#define SIM_DEV1  SIM_HCI1 "/dev_C0_FF_EE_00_13_42"
#define SIM1_HCI1 BC_SIM_PATH "/hci1"

static guint32 get_u32(const char *path, const char *iface, const char *prop)
{
	GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, path,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", iface, prop));
	GVariant *inner;
	guint32 n;

	g_variant_get(v, "(v)", &inner);
	n = g_variant_get_uint32(inner);
	g_variant_unref(inner);
	g_variant_unref(v);
	return n;
}

/* hci0 bonds and disconnects; then hci1 finds the same DUT and pairs */
static char *second_central_pairs(void)
{
	/* connected to hci0, the DUT does not advertise: hci1 sees it only
	 * once that link is down */
	const char *order[] = { "dev Connected=false", "+hci1/dev Device1",
		NULL };

	call_ok(SIM_HCI1, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	wait_line("+hci1/dev Device1");
	assert_order(order);
	call_ok(SIM_HCI1, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
	return CALL(SIM_DEV1, BLUEZ_IFACE_DEVICE, "Pair", NULL);
}

/* bond-table options -> the second central's Pair, then the first's
 * reconnect, and what the DUT's trace says */
static const struct {
	const char *args[5];
	const char *pair;      /* hci1's Pair() */
	const char *reconnect; /* hci0's Connect() afterwards */
	const char *trace;
} sharing[] = {
	{ { NULL }, "ok", "ok", "\"bonds\":2" },
	{ { "--bond-table", "1", NULL }, "ok",
		"org.bluez.Error.Failed le-connection-abort-by-local",
		"\"event\":\"bond-evicted\",\"t_us\"" },
	{ { "--bond-table", "1", "--bond-policy", "overwrite-oldest", NULL },
		"ok", "org.bluez.Error.Failed le-connection-abort-by-local",
		"\"policy\":\"overwrite-oldest\"" },
	{ { "--bond-table", "1", "--bond-policy", "refuse-when-full", NULL },
		"org.bluez.Error.AuthenticationFailed", "ok",
		"\"event\":\"bond-refused\"" },
	{ { "--fault", "bond-table-full=1", NULL }, "ok",
		"org.bluez.Error.Failed le-connection-abort-by-local",
		"\"peer\":\"00:B0:DC:00:00:01\",\"index\":\"public/00:B0:DC:00:"
		"00:01\",\"for\":\"00:B0:DC:00:00:02\"" },
};

START_TEST(two_adapters_share_one_dut_and_its_bond_table)
{
	const char *args[8] = { "--adapters", "2" };
	struct testagent *a;
	char *r;

	for (int i = 0; sharing[_i].args[i]; i++)
		args[2 + i] = sharing[_i].args[i];
	start_with(args);
	a = bonded("KeyboardDisplay");
	r = second_central_pairs();
	ck_assert_msg(g_str_has_prefix(r, sharing[_i].pair),
		"Pair on hci1: "
		"%s\ntimeline:\n%s",
		r, timeline_dump(st.tl));
	g_free(r);
	ck_assert(timeline_wait_trace(st.tl, sharing[_i].trace, 5000));
	/* one DUT: both Sim1 objects say the same */
	ck_assert_int_eq(get_u32(BC_SIM_PATH, BC_SIM_IFACE, "BondCount"),
		get_u32(SIM1_HCI1, BC_SIM_IFACE, "BondCount"));
	/* a refused pairing leaves the link up too */
	call_ok(SIM_DEV1, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	ck_assert_msg(g_str_has_prefix(r, sharing[_i].reconnect),
		"Connect on hci0: %s\ntimeline:\n%s", r, timeline_dump(st.tl));
	g_free(r);
	testagent_free(a);
}
END_TEST

/* A simulator with @args: hci0 bonds, then hci1 (connected after). */
static struct testagent *both_bonded(const char *const *args)
{
	struct testagent *a;
	char *r;

	start_with(args);
	a = bonded("KeyboardDisplay");
	r = second_central_pairs();
	ck_assert_str_eq(r, "ok");
	g_free(r);
	return a;
}

START_TEST(a_reboot_from_one_adapter_drops_the_other_link)
{
	const char *args[] = { "--adapters", "2", NULL };
	struct testagent *a = both_bonded(args);

	ck_assert_int_eq(get_u32(SIM1_HCI1, BC_SIM_IFACE, "BondCount"), 2);
	/* hci1 holds the link; hci0's Sim1 reboots the one DUT */
	timeline_clear(st.tl);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	wait_line("hci1/dev Connected=false");
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	ck_assert_int_eq(get_u32(SIM1_HCI1, BC_SIM_IFACE, "BootCount"), 2);
	/* both bonds survived: each central reconnects in turn */
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	call_ok(SIM_DEV1, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	testagent_free(a);
}
END_TEST

START_TEST(only_the_first_bond_survives_a_btstack_style_reboot)
{
	const char *args[] = { "--adapters", "2", "--fault",
		"lose-later-bonds-on-reboot", NULL };
	struct testagent *a = both_bonded(args);

	call_ok(SIM1_HCI1, BC_SIM_IFACE, "Reboot", NULL);
	wait_line("hci1/dev Connected=false");
	ck_assert(timeline_wait_trace(st.tl,
		"\"event\":\"later-bonds-lost\","
		"\"t_us\"",
		5000));
	ck_assert(timeline_wait_trace(st.tl,
		"\"kept\":\"public/00:B0:DC:00:"
		"00:01\",\"lost\":[\"public/00:B0:DC:00:00:02\"]",
		5000));
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	/* the second bonded central: PIN or Key Missing */
	call_err(SIM_DEV1, BLUEZ_IFACE_DEVICE, "Connect", NULL,
		"org.bluez.Error.Failed le-connection-abort-by-local");
	ck_assert_msg(timeline_wait_trace(st.tl,
			      "\"hci_status\":\"0x06 PIN "
			      "or Key Missing\"",
			      5000),
		"timeline:\n%s", timeline_dump(st.tl));
	testagent_free(a);
}
END_TEST

/* ---- GATT --------------------------------------------------------------- */

START_TEST(reading_the_encrypted_characteristic_pairs_first)
{
	struct testagent *a;
	bool present;

	start_with(NULL);
	a = testagent_new(st.bus, st.tl, "KeyboardDisplay", TESTAGENT_ACCEPT,
		PASSKEY);
	simtest_discover(&st);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	timeline_clear(st.tl);
	/* bt_att raises security (and so pairs) before it answers */
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "ReadValue", no_opts());
	ck_assert(timeline_find(st.tl, "agent RequestConfirmation(") >= 0);
	ck_assert(get_bool(SIM_DEV, BLUEZ_IFACE_DEVICE, "Paired", &present));
	/* a read updates the cached value: it shows up as a change */
	ck_assert(timeline_find(st.tl, "dev/service000a/char000b Value=") >= 0);
	testagent_free(a);
}
END_TEST

START_TEST(characteristic_permissions_and_the_reboot_write)
{
	struct testagent *a;

	start_with(NULL);
	a = bonded("KeyboardDisplay");
	call_err(SIM_REBOOT, BLUEZ_IFACE_GATT_CHRC, "ReadValue", no_opts(),
		"org.bluez.Error.NotPermitted Read not permitted");
	/* 5.66: no type and no write flag is NotSupported; a request gets
	 * the DUT's ATT error; a command goes out and is dropped */
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "WriteValue",
		g_variant_new_parsed("([byte 1], @a{sv} {})"),
		"org.bluez.Error.NotSupported Operation is not supported");
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "WriteValue",
		g_variant_new_parsed("([byte 1], {'type': <'request'>})"),
		"org.bluez.Error.NotPermitted Write not permitted");
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "WriteValue",
		g_variant_new_parsed("([byte 1], {'type': <'command'>})"));
	call_err(SIM_CCCD, BLUEZ_IFACE_GATT_DESC, "WriteValue",
		g_variant_new_parsed("([byte 1, 0], @a{sv} {})"),
		"org.bluez.Error.NotPermitted Write not permitted");
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "AcquireWrite", no_opts(),
		"org.bluez.Error.NotSupported");
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "WriteValue",
		g_variant_new_parsed("([byte 1], {'type': <'sideways'>})"),
		"org.bluez.Error.InvalidArguments");
	timeline_clear(st.tl);
	call_ok(SIM_REBOOT, BLUEZ_IFACE_GATT_CHRC, "WriteValue",
		g_variant_new_parsed("([byte 1], {'type': <'request'>})"));
	wait_line("dev Connected=false");
	ck_assert(timeline_wait_trace(st.tl, "\"via\":\"gatt\"", 5000));
	testagent_free(a);
}
END_TEST

START_TEST(notifications_and_the_cccd)
{
	struct testagent *a;
	const char *on[] = { "dev/service000a/char000b Notifying=true",
		"reply StartNotify: ok", "dev/service000a/char000b Value=...",
		NULL };
	char *hex;

	start_with(NULL);
	a = bonded("KeyboardDisplay");
	timeline_clear(st.tl);
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StartNotify", NULL);
	wait_line("char000b Value=");
	assert_order(on);
	/* a second session from the same client is a success */
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StartNotify", NULL);
	hex = read_hex(SIM_CCCD, BLUEZ_IFACE_GATT_DESC);
	ck_assert_str_eq(hex, "0100");
	g_free(hex);
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StopNotify", NULL);
	wait_line("char000b Notifying=false");
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StopNotify", NULL,
		"org.bluez.Error.Failed No notify session started");
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	/* bonded: the attribute cache stays, but there is no link */
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "ReadValue", no_opts(),
		"org.bluez.Error.Failed Not connected");
	/* 5.66 keeps a session started now and writes the CCCD on reconnect */
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StartNotify", NULL);
	timeline_clear(st.tl);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	ck_assert(timeline_wait_trace(st.tl, "\"bluez-resubscribes\"", 5000));
	wait_line("char000b Value=");
	hex = read_hex(SIM_CCCD, BLUEZ_IFACE_GATT_DESC);
	ck_assert_str_eq(hex, "0100");
	g_free(hex);
	testagent_free(a);
}
END_TEST

/* With the session kept, BlueZ writes the CCCD again on reconnect and so
 * hides a DUT that forgot it; without, the DUT's own memory shows. */
static const struct {
	bool keep_session;
	const char *fault;
	const char *cccd;
} cccd_cases[] = {
	{ false, NULL, "0100" },
	{ false, "forget-cccd-on-reboot", "0000" },
	{ true, "forget-cccd-on-reboot", "0100" },
};

START_TEST(bluez_resubscribes_on_reconnect)
{
	struct testagent *a;
	char *hex;

	start_with(NULL);
	a = bonded("KeyboardDisplay");
	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StartNotify", NULL);
	if (cccd_cases[_i].fault)
		set_fault(cccd_cases[_i].fault, "");
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	wait_line("dev Connected=false");
	if (!cccd_cases[_i].keep_session)
		/* dropping the session while disconnected writes nothing */
		call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StopNotify", NULL);
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL);
	wait_line("dev RSSI=-52");
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "StopDiscovery", NULL);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	hex = read_hex(SIM_CCCD, BLUEZ_IFACE_GATT_DESC);
	ck_assert_str_eq(hex, cccd_cases[_i].cccd);
	g_free(hex);
	if (cccd_cases[_i].keep_session)
		ck_assert(timeline_wait_trace(st.tl, "bluez-resubscribes",
			5000));
	testagent_free(a);
}
END_TEST

/* ---- hostile clients ---------------------------------------------------- */

static const struct {
	const char *path;
	const char *iface;
	const char *method;
	const char *args; /* GVariant text, NULL for none */
	const char *expect;
} hostile[] = {
	{ SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", "('surprise',)",
		"org.freedesktop.DBus.Error.UnknownMethod" },
	{ SIM_HCI, BLUEZ_IFACE_ADAPTER, "SetDiscoveryFilter", "('le',)",
		"org.freedesktop.DBus.Error.UnknownMethod" },
	{ SIM_HCI, BLUEZ_IFACE_ADAPTER, "SetDiscoveryFilter",
		"({'Bogus': <1>},)", "org.bluez.Error.InvalidArguments" },
	{ SIM_HCI, BLUEZ_IFACE_ADAPTER, "SetDiscoveryFilter",
		"({'Transport': <1>},)", "org.bluez.Error.InvalidArguments" },
	{ "/org/bluez/hci9", BLUEZ_IFACE_ADAPTER, "StartDiscovery", NULL,
		"org.freedesktop.DBus.Error.UnknownObject" },
	{ SIM_HCI, BLUEZ_IFACE_ADAPTER, "RemoveDevice",
		"(objectpath '/org/bluez/hci0/dev_00_00_00_00_00_00',)",
		"org.bluez.Error.DoesNotExist" },
	/* agent.c looks the sender up before it parses the arguments */
	{ BLUEZ_PATH, BLUEZ_IFACE_AGENT_MANAGER, "RegisterAgent",
		"(objectpath '/a', 'Telepathy')",
		"org.bluez.Error.AlreadyExists" },
	{ BLUEZ_PATH, BLUEZ_IFACE_AGENT_MANAGER, "UnregisterAgent",
		"(objectpath '/a',)", "org.bluez.Error.DoesNotExist" },
	{ BLUEZ_PATH, BLUEZ_IFACE_AGENT_MANAGER, "RequestDefaultAgent",
		"(objectpath '/a',)", "org.bluez.Error.DoesNotExist" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "Set",
		"('org.bluez.Adapter1', 'Powered', <'yes'>)",
		"org.freedesktop.DBus.Error.InvalidSignature" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "Set",
		"('org.bluez.Adapter1', 'Address', <'00:00:00:00:00:00'>)",
		"org.freedesktop.DBus.Error.PropertyReadOnly" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "Get",
		"('org.bluez.Adapter1', 'Nope')",
		"org.freedesktop.DBus.Error.InvalidArgs" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "GetAll", "('org.bluez.Nope',)",
		"org.freedesktop.DBus.Error.InvalidArgs" },
	{ BC_SIM_PATH, BC_SIM_IFACE, "SetFault", "('nope', '')",
		"org.bondcheck.Error.UnknownFault" },
	{ BC_SIM_PATH, BC_SIM_IFACE, "SetFault", "('slow-boot', 'fast')",
		"org.bondcheck.Error.InvalidArguments" },
	{ SIM_DEV, BLUEZ_IFACE_DEVICE, "CancelPairing", NULL,
		"org.bluez.Error.DoesNotExist" },
	{ SIM_DEV, BLUEZ_IFACE_DEVICE, "ConnectProfile",
		"('0000110b-0000-1000-8000-00805f9b34fb',)",
		"org.bluez.Error.Failed br-connection-sdp-search" },
	/* the managers of roles the simulator does not play */
	{ SIM_HCI, BLUEZ_IFACE_GATT_MANAGER, "RegisterApplication",
		"(objectpath '/app', @a{sv} {})",
		"org.bluez.Error.NotSupported" },
	{ SIM_HCI, BLUEZ_IFACE_ADV_MANAGER, "RegisterAdvertisement",
		"(objectpath '/adv', @a{sv} {})",
		"org.bluez.Error.NotSupported" },
	{ BLUEZ_PATH, BLUEZ_IFACE_PROFILE_MANAGER, "RegisterProfile",
		"(objectpath '/p', '0000110b-0000-1000-8000-00805f9b34fb', "
		"@a{sv} {})",
		"org.bluez.Error.NotSupported" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "Set",
		"('org.bluez.Adapter1', 'DiscoverableTimeout', <uint32 170>)",
		"ok" },
	{ SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "ReadValue", "({'offset': <'x'>},)",
		"org.bluez.Error.InvalidArguments" },
	{ SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StopNotify", NULL,
		"org.bluez.Error.Failed No notify session started" },
	{ SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "WriteValue", "('01', @a{sv} {})",
		"org.freedesktop.DBus.Error.UnknownMethod" },
};

START_TEST(hostile_calls_get_bluez_errors_and_the_sim_keeps_serving)
{
	struct testagent *a;
	GVariant *v;

	start_with(NULL);
	a = bonded("KeyboardDisplay");
	call_err(hostile[_i].path, hostile[_i].iface, hostile[_i].method,
		hostile[_i].args ? g_variant_new_parsed(hostile[_i].args) :
				   NULL,
		hostile[_i].expect);
	v = test_call_ok(st.bus, BLUEZ_SERVICE, "/", DBUS_IFACE_OBJECT_MANAGER,
		"GetManagedObjects", NULL);
	g_variant_unref(v);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Disconnect", NULL);
	call_ok(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
	testagent_free(a);
}
END_TEST

/*
 * What a client sends does not come back unbounded: names and arguments
 * are refused past their limit, error texts are cut, and every Trace
 * signal stays within SIM_TRACE_MAX_BYTES (doc/simulator.md, Limits).
 */
static const struct {
	const char *path, *iface, *method;
	const char *args;   /* GVariant text; BIG is 100,000 bytes */
	const char *expect; /* the error's name */
} overlong[] = {
	{ BC_SIM_PATH, BC_SIM_IFACE, "SetFault", "(BIG, '')",
		"org.bondcheck.Error.UnknownFault" },
	{ BC_SIM_PATH, BC_SIM_IFACE, "SetFault", "('slow-boot', LONGDURATION)",
		"org.bondcheck.Error.InvalidArguments" },
	{ BC_SIM_PATH, BC_SIM_IFACE, "SetFault", "('bluez-version', BIG)",
		"org.bondcheck.Error.InvalidArguments" },
	{ BC_SIM_PATH, BC_SIM_IFACE, "BondPeer", "(BIG,)",
		"org.bondcheck.Error.InvalidArguments" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "Set",
		"('org.bluez.Adapter1', 'Alias', <BIG>)",
		"org.bluez.Error.InvalidArguments" },
	{ SIM_DEV, DBUS_IFACE_PROPERTIES, "Set",
		"('org.bluez.Device1', 'Alias', <BIG>)",
		"org.bluez.Error.InvalidArguments" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "Get", "('org.bluez.Adapter1', BIG)",
		"org.freedesktop.DBus.Error.InvalidArgs" },
	{ SIM_HCI, DBUS_IFACE_PROPERTIES, "GetAll", "(BIG,)",
		"org.freedesktop.DBus.Error.InvalidArgs" },
};

static char *overlong_args(const char *text)
{
	char *x = g_strnfill(100000, 'x');
	char *zeros = g_strnfill(99998, '0');
	char *big = g_strdup_printf("'%s'", x);
	/* a valid duration of 100,000 bytes: 0000...1s */
	char *dur = g_strdup_printf("'%s1s'", zeros);
	char **a = g_strsplit(text, "BIG", -1);
	char *t = g_strjoinv(big, a);
	char **b = g_strsplit(t, "LONGDURATION", -1);
	char *out = g_strjoinv(dur, b);

	g_strfreev(a);
	g_strfreev(b);
	g_free(t);
	g_free(big);
	g_free(dur);
	g_free(x);
	g_free(zeros);
	return out;
}

START_TEST(what_a_client_sends_does_not_come_back_unbounded)
{
	char *text = overlong_args(overlong[_i].args);
	GPtrArray *traces;
	GVariant *v;
	char *r;

	start_with(NULL);
	simtest_discover(&st);
	r = CALL(overlong[_i].path, overlong[_i].iface, overlong[_i].method,
		g_variant_new_parsed(text));
	ck_assert_msg(g_str_has_prefix(r, overlong[_i].expect), "%.200s", r);
	/* "NAME text", the text quoting at most BCERROR_QUOTE_MAX bytes */
	ck_assert_uint_le(strlen(r),
		strlen(overlong[_i].expect) + 1 + BCERROR_QUOTE_MAX + 64);
	g_free(r);
	/* nothing of it stored: every object's properties stay small */
	v = test_call_ok(st.bus, BLUEZ_SERVICE, "/", DBUS_IFACE_OBJECT_MANAGER,
		"GetManagedObjects", NULL);
	ck_assert_uint_lt(g_variant_get_size(v), 16384);
	g_variant_unref(v);
	v = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		DBUS_IFACE_PROPERTIES, "GetAll",
		g_variant_new("(s)", BC_SIM_IFACE));
	ck_assert_uint_lt(g_variant_get_size(v), 1024);
	g_variant_unref(v);
	traces = timeline_traces(st.tl);
	for (guint i = 0; i < traces->len; i++)
		ck_assert_uint_le(strlen(g_ptr_array_index(traces, i)),
			SIM_TRACE_MAX_BYTES);
	g_free(text);
}
END_TEST

/* The largest event there is, a full 64-entry bond table, fits whole. */
START_TEST(the_largest_trace_fits_its_bound)
{
	struct testagent *a;
	GPtrArray *traces;
	bool seen = false;

	start_with((const char *[]){ "--fault", "bond-table-full=64", NULL });
	a = bonded("KeyboardDisplay");
	for (int i = 0; i < 63; i++) {
		char *peer = g_strdup_printf("11:22:33:44:55:%02X", i);

		call_ok(BC_SIM_PATH, BC_SIM_IFACE, "BondPeer",
			g_variant_new("(s)", peer));
		g_free(peer);
	}
	timeline_clear(st.tl);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	traces = timeline_traces(st.tl);
	for (guint i = 0; i < traces->len; i++) {
		const char *t = g_ptr_array_index(traces, i);

		ck_assert_uint_le(strlen(t), SIM_TRACE_MAX_BYTES);
		ck_assert_msg(!strstr(t, "\"truncated\""), "%s", t);
		if (strstr(t, "\"event\":\"booted\"")) {
			/* 64 entries, the last BondPeer's among them */
			ck_assert_ptr_nonnull(strstr(t, "11:22:33:44:55:3E"));
			seen = true;
		}
	}
	ck_assert(seen);
	testagent_free(a);
}
END_TEST

START_TEST(agent_registration_errors)
{
	struct bus *other;
	GError *err = NULL;
	DBusMessage *r;

	start_with(NULL);
	other = bus_connect(BUS_KIND_ADDRESS, st.tb.address, &err);
	ck_assert_ptr_nonnull(other);
	r = test_call(other, BLUEZ_SERVICE, BLUEZ_PATH,
		BLUEZ_IFACE_AGENT_MANAGER, "RegisterAgent",
		g_variant_new("(os)", "/a", "Telepathy"), 5000);
	ck_assert_str_eq(msg_error_name(r), BLUEZ_ERR_INVALID_ARGS);
	dbus_message_unref(r);
	r = test_call(other, BLUEZ_SERVICE, BLUEZ_PATH,
		BLUEZ_IFACE_AGENT_MANAGER, "RegisterAgent",
		g_variant_new("(os)", "/a", ""), 5000);
	ck_assert_ptr_null(msg_error_name(r));
	dbus_message_unref(r);
	r = test_call(other, BLUEZ_SERVICE, BLUEZ_PATH,
		BLUEZ_IFACE_AGENT_MANAGER, "UnregisterAgent",
		g_variant_new("(o)", "/b"), 5000);
	ck_assert_str_eq(msg_error_name(r), BLUEZ_ERR_DOES_NOT_EXIST);
	dbus_message_unref(r);
	bus_unref(other);
}
END_TEST

START_TEST(introspection_lists_interfaces_and_children)
{
	GVariant *v;
	const char *xml;

	start_with(NULL);
	simtest_discover(&st);
	v = test_call_ok(st.bus, BLUEZ_SERVICE, SIM_HCI,
		DBUS_IFACE_INTROSPECTABLE, "Introspect", NULL);
	g_variant_get(v, "(&s)", &xml);
	ck_assert_ptr_nonnull(strstr(xml,
		"<interface name=\"org.bluez.Adapter1\">"));
	ck_assert_ptr_nonnull(strstr(xml, "<method name=\"StartDiscovery\">"));
	ck_assert_ptr_nonnull(strstr(xml,
		"<property name=\"Powered\" type=\"b\" access=\"readwrite\"/>"));
	ck_assert_ptr_nonnull(strstr(xml,
		"<node name=\"dev_C0_FF_EE_00_13_42\"/>"));
	g_variant_unref(v);
}
END_TEST

/* ---- what real 5.66 leaves to chance: drawn from the seed --------------- */

/* The number of the numeric comparison in the timeline, or -1. */
static long comparison_number(void)
{
	int i = timeline_find(st.tl, "agent RequestConfirmation(");
	const char *l, *comma;

	if (i < 0)
		return -1;
	l = g_ptr_array_index(timeline_lines(st.tl), i);
	comma = strrchr(l, ',');
	return comma ? strtol(comma + 1, NULL, 10) : -1;
}

static long pair_once(const char *seed)
{
	const char *args[] = { "--seed", seed, NULL };
	struct testagent *a;
	long n;

	simtest_start(&st, args); /* no --passkey: SMP's own numbers */
	a = bonded("KeyboardDisplay");
	n = comparison_number();
	testagent_free(a);
	simtest_stop(&st);
	return n;
}

START_TEST(pairing_numbers_come_from_the_seed)
{
	long a = pair_once("7"), b = pair_once("7"), c = pair_once("8");

	/* the same seed replays; another gives another (for these seeds) */
	ck_assert_int_ge(a, 0);
	ck_assert_int_le(a, 999999);
	ck_assert_int_eq(a, b);
	ck_assert_int_ne(a, c);
	/* teardown stops a simulator; give it one */
	simtest_start(&st, NULL);
}
END_TEST

/* Connect() to a DUT that lost the key, @n times: the outcomes drawn. */
static GString *key_lost_attempts(const char *seed, int n)
{
	const char *args[] = { "--seed", seed, NULL };
	GString *out = g_string_new("");
	struct testagent *a;

	start_with(args);
	a = bonded("KeyboardDisplay");
	set_fault("lose-bond-on-reboot", "");
	reboot_and_rediscover(true);
	for (int i = 0; i < n; i++) {
		char *r;

		timeline_clear(st.tl);
		r = CALL(SIM_DEV, BLUEZ_IFACE_DEVICE, "Connect", NULL);
		/* either way the link came up and goes down */
		wait_line("dev Connected=false");
		g_string_append_c(out, strcmp(r, "ok") ? 'a' : 'd');
		ck_assert(
			!strcmp(r, "ok") ||
			g_str_has_prefix(r,
				"org.bluez.Error.Failed le-connection-abort-by-local"));
		g_free(r);
	}
	testagent_free(a);
	simtest_stop(&st);
	return out;
}

START_TEST(key_lost_reconnects_are_drawn_per_attempt_and_replay)
{
	GString *one = key_lost_attempts("3", 12);
	GString *two = key_lost_attempts("3", 12);

	/* both outcomes real 5.66 showed, in one run; the same seed, the
	 * same sequence */
	ck_assert_msg(strchr(one->str, 'a') && strchr(one->str, 'd'),
		"outcomes %s", one->str);
	ck_assert_str_eq(one->str, two->str);
	g_string_free(one, TRUE);
	g_string_free(two, TRUE);
	simtest_start(&st, NULL);
}
END_TEST

/* ---- file descriptors: AcquireNotify, AcquireWrite ---------------------- */

static int acquire(const char *path, const char *method, uint16_t *mtu)
{
	DBusMessage *r = test_call(st.bus, BLUEZ_SERVICE, path,
		BLUEZ_IFACE_GATT_CHRC, method, no_opts(), 5000);
	DBusError err;
	int fd = -1;
	dbus_uint16_t q = 0;

	dbus_error_init(&err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(dbus_message_get_args(r, &err, DBUS_TYPE_UNIX_FD, &fd,
			      DBUS_TYPE_UINT16, &q, DBUS_TYPE_INVALID),
		"%s: %s %s", method, msg_error_name(r) ? msg_error_name(r) : "",
		err.message ? err.message : "");
	dbus_message_unref(r);
	*mtu = q;
	return fd;
}

struct fd_wait {
	int fd;
	gssize got;
	guint8 buf[64];
};

static gboolean fd_readable(int fd, GIOCondition cond, void *data)
{
	struct fd_wait *w = data;

	(void)cond;
	w->got = read(fd, w->buf, sizeof(w->buf));
	return G_SOURCE_REMOVE;
}

static bool fd_done(void *data)
{
	return ((struct fd_wait *)data)->got != -2;
}

START_TEST(acquire_notify_and_write_pass_real_file_descriptors)
{
	struct testagent *a;
	struct fd_wait w = { -1, -2, { 0 } };
	uint16_t mtu = 0;
	bool present;
	int fd;

	start_with(NULL);
	a = bonded("KeyboardDisplay");
	w.fd = acquire(SIM_TEMP, "AcquireNotify", &mtu);
	/* the exchange: bluetoothd's 517 against NimBLE's 256 */
	ck_assert_int_eq(mtu, 256);
	ck_assert(get_bool(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "NotifyAcquired",
		&present));
	call_err(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "AcquireNotify", no_opts(),
		"org.bluez.Error.InProgress In Progress");
	/* the DUT notifies once its CCCD is on: the value comes on the fd */
	g_unix_fd_add(w.fd, G_IO_IN | G_IO_HUP, fd_readable, &w);
	ck_assert(test_wait(fd_done, &w, 5000));
	ck_assert_int_eq(w.got, 2);
	timeline_clear(st.tl);
	close(w.fd);
	wait_line("char000b NotifyAcquired=false");

	fd = acquire(SIM_REBOOT, "AcquireWrite", &mtu);
	ck_assert(get_bool(SIM_REBOOT, BLUEZ_IFACE_GATT_CHRC, "WriteAcquired",
		&present));
	/* a packet is a Write Command: 01 reboots the DUT */
	ck_assert_int_eq(write(fd, "\x01", 1), 1);
	ck_assert(timeline_wait_trace(st.tl, "\"via\":\"gatt\"", 5000));
	wait_line("dev Connected=false");
	/* the link is gone: so is the acquired socket */
	wait_line("char000f WriteAcquired=false");
	close(fd);
	testagent_free(a);
}
END_TEST

/* ---- which bluetoothd: property sets ------------------------------------ */

static const struct {
	const char *version;
	bool handle; /* GATT Handle, Device1 AdvertisingFlags, Disconnected */
} versions[] = {
	{ "5.66", false },
	{ "5.83", true },
};

static bool introspect_has(const char *path, const char *what)
{
	GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, path,
		DBUS_IFACE_INTROSPECTABLE, "Introspect", NULL);
	const char *xml;
	bool has;

	g_variant_get(v, "(&s)", &xml);
	has = strstr(xml, what) != NULL;
	g_variant_unref(v);
	return has;
}

START_TEST(property_sets_follow_the_bluez_version)
{
	char *fault = g_strdup_printf("bluez-version=%s", versions[_i].version);
	const char *args[] = { "--fault", fault, NULL };
	struct testagent *a;
	bool want = versions[_i].handle;
	char *hex;

	start_with(args);
	a = bonded("KeyboardDisplay");
	ck_assert(introspect_has(SIM_TEMP, "name=\"Handle\"") == want);
	ck_assert(introspect_has(SIM_DEV, "name=\"AdvertisingFlags\"") == want);
	ck_assert(introspect_has(SIM_DEV, "<signal name=\"Disconnected\">") ==
		  want);
	/* every 5.66 table entry is in Introspect, present or not */
	ck_assert(introspect_has(SIM_DEV, "name=\"TxPower\""));
	ck_assert(introspect_has(SIM_HCI,
		"<property name=\"DiscoverableTimeout\" type=\"u\" "
		"access=\"readwrite\"/>"));
	ck_assert(introspect_has(SIM_TEMP, "<arg name=\"fd\" type=\"h\" "
					   "direction=\"out\"/>"));
	/* Value exists before any read (empty), as bluetoothd's cache */
	hex = NULL;
	{
		GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, SIM_REBOOT,
			DBUS_IFACE_PROPERTIES, "Get",
			g_variant_new("(ss)", BLUEZ_IFACE_GATT_CHRC, "Value"));

		hex = g_variant_print(v, FALSE);
		g_variant_unref(v);
	}
	ck_assert_str_eq(hex, "(<@ay []>,)");
	g_free(hex);
	testagent_free(a);
	g_free(fault);
}
END_TEST

/* InterfacesAdded/Removed for the device object: its interfaces, as
 * comma-separated names */
struct om_seen {
	char *added, *removed;
};

static void on_object_manager(DBusMessage *msg, void *data)
{
	struct om_seen *s = data;
	bool added = !strcmp(dbus_message_get_member(msg), "InterfacesAdded");
	GVariant *args, *list;
	GVariantIter it;
	const char *path, *name;
	GString *names = g_string_new("");

	if (!msg_get_args(msg, added ? "(oa{sa{sv}})" : "(oas)", &args, NULL)) {
		g_string_free(names, TRUE);
		return;
	}
	g_variant_get_child(args, 0, "&o", &path);
	list = g_variant_get_child_value(args, 1);
	g_variant_iter_init(&it, list);
	if (added) {
		GVariant *props;

		while (g_variant_iter_next(&it, "{&s@a{sv}}", &name, &props)) {
			g_string_append_printf(names, "%s,", name);
			g_variant_unref(props);
		}
	} else {
		while (g_variant_iter_next(&it, "&s", &name))
			g_string_append_printf(names, "%s,", name);
	}
	if (!strcmp(path, SIM_DEV)) {
		char **slot = added ? &s->added : &s->removed;

		g_free(*slot);
		*slot = g_strdup(names->str);
	}
	g_string_free(names, TRUE);
	g_variant_unref(list);
	g_variant_unref(args);
}

static bool removed_seen(void *data)
{
	return ((struct om_seen *)data)->removed != NULL;
}

START_TEST(interfaces_added_and_removed_name_the_standard_interfaces)
{
	struct om_seen seen = { NULL, NULL };
	guint w;

	start_with(NULL);
	w = bus_add_signal_watch(st.bus, BLUEZ_SERVICE, "/", NULL,
		DBUS_IFACE_OBJECT_MANAGER, NULL, on_object_manager, &seen,
		NULL);
	simtest_discover(&st);
	/* as bluetoothd's gdbus and our GetManagedObjects list them */
	ck_assert_ptr_nonnull(seen.added);
	ck_assert_str_eq(seen.added, DBUS_IFACE_INTROSPECTABLE
		"," DBUS_IFACE_PROPERTIES "," BLUEZ_IFACE_DEVICE ",");
	call_ok(SIM_HCI, BLUEZ_IFACE_ADAPTER, "RemoveDevice",
		g_variant_new("(o)", SIM_DEV));
	ck_assert(test_wait(removed_seen, &seen, 5000));
	ck_assert_str_eq(seen.removed, BLUEZ_IFACE_DEVICE
		"," DBUS_IFACE_PROPERTIES "," DBUS_IFACE_INTROSPECTABLE ",");
	bus_remove_signal_watch(st.bus, w);
	g_free(seen.added);
	g_free(seen.removed);
}
END_TEST

/* ---- exit ---------------------------------------------------------------- */

/*
 * The simulator ends on SIGINT or SIGTERM with status 0 whatever it was
 * doing, and frees everything (under ASan a leak or a use after free at
 * exit makes the status non-zero: an agent registered once leaked 5 bytes).
 */
static struct testagent *exit_idle(void)
{
	return NULL;
}

static struct testagent *exit_agent(void)
{
	/* registered, and its owner still on the bus, when the signal comes */
	return testagent_new(st.bus, st.tl, "KeyboardDisplay", TESTAGENT_ACCEPT,
		PASSKEY);
}

static struct testagent *exit_bonded_subscribed(void)
{
	struct testagent *a = bonded("KeyboardDisplay");

	call_ok(SIM_TEMP, BLUEZ_IFACE_GATT_CHRC, "StartNotify", NULL);
	wait_line("char000b Value=");
	return a;
}

static struct testagent *exit_pairing_waits_for_agent(void)
{
	struct testagent *a = testagent_new(st.bus, st.tl, "KeyboardDisplay",
		TESTAGENT_SILENT, PASSKEY);

	simtest_discover(&st);
	timeline_call(st.tl, SIM_DEV, BLUEZ_IFACE_DEVICE, "Pair", NULL);
	wait_line("agent RequestConfirmation(");
	return a;
}

static struct testagent *exit_rebooting(void)
{
	struct testagent *a = bonded("KeyboardDisplay");

	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	return a;
}

static struct testagent *exit_sharing_rebooting(void)
{
	/* hci0 and hci1 in range of one DUT: its events go out twice */
	struct testagent *a = bonded("KeyboardDisplay");

	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	ck_assert(timeline_wait_trace(st.tl, "\"event\":\"booted\"", 5000));
	return a;
}

static struct testagent *exit_unplugged(void)
{
	simtest_discover(&st);
	call_ok(BC_SIM_PATH, BC_SIM_IFACE, "Unplug", NULL);
	return NULL;
}

static const char *const two_adapters[] = { "--adapters", "2", NULL };

static const struct {
	const char *what;
	struct testagent *(*setup)(void);
	int sig;
	const char *const *args;
} exits[] = {
	{ "idle", exit_idle, SIGINT, NULL },
	{ "an agent registered", exit_agent, SIGINT, NULL },
	{ "bonded and subscribed", exit_bonded_subscribed, SIGINT, NULL },
	{ "a pairing waiting for its agent", exit_pairing_waits_for_agent,
		SIGTERM, NULL },
	{ "the DUT rebooting", exit_rebooting, SIGINT, NULL },
	{ "two adapters sharing the DUT, after a reboot",
		exit_sharing_rebooting, SIGINT, two_adapters },
	{ "the adapter unplugged", exit_unplugged, SIGTERM, NULL },
};

START_TEST(the_simulator_exits_cleanly_on_a_signal)
{
	struct testagent *a;
	int status;

	start_with(exits[_i].args);
	a = exits[_i].setup();
	status = simtest_stop_sim(&st, exits[_i].sig);
	if (a)
		testagent_free(a);
	ck_assert_msg(status == 0,
		"%s: bondcheck-sim exited with %d after %s "
		"(run with BC_TEST_SIM_LOG=FILE for its stderr)",
		exits[_i].what, status,
		exits[_i].sig == SIGINT ? "SIGINT" : "SIGTERM");
}
END_TEST

/* A bad --fault is found after the objects exist: they go, exit 2. */
static const char *const bad_faults[] = { "bogus", "slow-boot",
	"bond-table-full=0", "bluez-version=4.1" };

START_TEST(a_bad_fault_option_is_a_usage_error)
{
	struct testbus tb;
	char *prog = test_prog("bondcheck-sim");
	const char *argv[] = { prog, "--bus", NULL, "--adapters", "2",
		"--fault", bad_faults[_i], NULL };
	GPid pid;

	ck_assert(testbus_start(&tb));
	argv[2] = tb.address;
	pid = test_spawn(argv, NULL, getenv("BC_TEST_SIM_LOG"));
	ck_assert(pid > 0);
	/* signal 0: only wait for it to exit */
	ck_assert_int_eq(test_signal_wait(pid, 0, 10000), BC_EXIT_USAGE);
	testbus_stop(&tb);
	g_free(prog);
}
END_TEST

Suite *sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("protocol");
	TCase *rb = tcase_create("reboot");
	TCase *gatt = tcase_create("gatt");
	TCase *bad = tcase_create("hostile");
	TCase *ex = tcase_create("exit");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, discovery_is_a_session_per_client);
	tcase_add_test(tc, connect_and_disconnect_without_a_bond);
	tcase_add_loop_test(tc, pairing_calls_the_agent_as_bluetoothd_does, 0,
		G_N_ELEMENTS(pairings));
	tcase_add_test(tc, pairing_without_bonding_is_forgotten_on_disconnect);
	tcase_add_test(tc, cancel_pairing_and_a_requester_that_leaves);
	tcase_add_test(tc, agent_registration_errors);
	tcase_add_test(tc, introspection_lists_interfaces_and_children);
	tcase_add_test(tc, pairing_numbers_come_from_the_seed);
	tcase_add_test(tc,
		interfaces_added_and_removed_name_the_standard_interfaces);
	tcase_add_loop_test(tc, property_sets_follow_the_bluez_version, 0,
		G_N_ELEMENTS(versions));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(rb, NULL, teardown);
	tcase_set_timeout(rb, 30);
	tcase_add_loop_test(rb, reconnect_after_reboot_per_fault, 0,
		G_N_ELEMENTS(reconnects));
	tcase_add_test(rb, the_key_lookup_trace_shows_the_seed_bug);
	tcase_add_test(rb,
		key_lost_reconnects_are_drawn_per_attempt_and_replay);
	tcase_add_test(rb, privacy_is_set_with_the_adapter_off_and_gives_rpas);
	tcase_add_loop_test(rb,
		a_graceful_reboot_disconnects_a_hard_one_times_out, 0,
		G_N_ELEMENTS(reboot_kinds));
	tcase_add_test(rb, bluez_5_64_has_no_bonded_property);
	tcase_add_loop_test(rb, a_reconnect_follows_the_advertising_events, 0,
		G_N_ELEMENTS(radios));
	tcase_add_test(rb, another_central_bonding_evicts_us_from_a_full_table);
	tcase_add_loop_test(rb, two_adapters_share_one_dut_and_its_bond_table,
		0, G_N_ELEMENTS(sharing));
	tcase_add_test(rb, a_reboot_from_one_adapter_drops_the_other_link);
	tcase_add_test(rb, only_the_first_bond_survives_a_btstack_style_reboot);
	suite_add_tcase(s, rb);

	tcase_add_checked_fixture(gatt, NULL, teardown);
	tcase_set_timeout(gatt, 30);
	tcase_add_test(gatt, reading_the_encrypted_characteristic_pairs_first);
	tcase_add_test(gatt, characteristic_permissions_and_the_reboot_write);
	tcase_add_test(gatt, notifications_and_the_cccd);
	tcase_add_test(gatt,
		acquire_notify_and_write_pass_real_file_descriptors);
	tcase_add_loop_test(gatt, bluez_resubscribes_on_reconnect, 0,
		G_N_ELEMENTS(cccd_cases));
	suite_add_tcase(s, gatt);

	tcase_add_checked_fixture(bad, NULL, teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_loop_test(bad,
		hostile_calls_get_bluez_errors_and_the_sim_keeps_serving, 0,
		G_N_ELEMENTS(hostile));
	tcase_add_loop_test(bad,
		what_a_client_sends_does_not_come_back_unbounded, 0,
		G_N_ELEMENTS(overlong));
	tcase_add_test(bad, the_largest_trace_fits_its_bound);
	suite_add_tcase(s, bad);

	tcase_add_checked_fixture(ex, NULL, teardown);
	tcase_set_timeout(ex, 30);
	tcase_add_loop_test(ex, the_simulator_exits_cleanly_on_a_signal, 0,
		G_N_ELEMENTS(exits));
	tcase_add_loop_test(ex, a_bad_fault_option_is_a_usage_error, 0,
		G_N_ELEMENTS(bad_faults));
	suite_add_tcase(s, ex);
	return s;
}
