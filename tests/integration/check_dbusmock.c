/* SPDX-License-Identifier: MIT */
/*
 * check_dbusmock.c — the bus layer, mirror, agent and `bondcheck scan`
 * against code we did not write: python-dbusmock's bluez5 template on a
 * private dbus-daemon started per test. Plus a deliberately broken org.bluez
 * (fake_bluez.py) for malformed replies and signals.
 */
#include <check.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "bondcheck/agent.h"
#include "bondcheck/bcerror.h"
#include "bondcheck/bluez_dbus.h"
#include "bondcheck/bus.h"
#include "bondcheck/mirror.h"
#include "bondcheck/model.h"
#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/service.h"
#include "helpers/testutil.h"
#include "suites.h"

#define DUT            "C0:FF:EE:00:13:42"
#define DUT_PATH       "/org/bluez/hci0/dev_C0_FF_EE_00_13_42"
#define OTHER          "11:22:33:44:55:66"
#define OTHER_PATH     "/org/bluez/hci0/dev_11_22_33_44_55_66"
#define MOCK_IFACE     "org.bluez.Mock"
#define DBUSMOCK_IFACE "org.freedesktop.DBus.Mock"

static struct testbus tb;
static struct bus *bus;
static GPid mock;
static struct model *model;
static struct mirror *mirror;

static void setup(void)
{
	GError *err = NULL;

	ck_assert_msg(testbus_start(&tb), "cannot start dbus-daemon");
	bus = bus_connect(BUS_KIND_ADDRESS, tb.address, &err);
	ck_assert_msg(bus, "%s", err ? err->message : "");
	model = model_new();
	mirror = mirror_new(bus, model, BLUEZ_SERVICE);
	mock = 0;
}

static void teardown(void)
{
	mirror_free(mirror);
	model_free(model);
	bus_unref(bus);
	test_kill(mock);
	testbus_stop(&tb);
	dbus_shutdown();
}

static bool is_synced(void *data)
{
	(void)data;
	return mirror_state(mirror) == MIRROR_STATE_SYNCED;
}

static bool is_gone(void *data)
{
	(void)data;
	return mirror_state(mirror) == MIRROR_STATE_NO_SERVICE;
}

static bool is_error(void *data)
{
	(void)data;
	return mirror_state(mirror) == MIRROR_STATE_ERROR;
}

struct want {
	const char *path;
	const char *iface;
	const char *prop; /* NULL: only presence */
	bool value;
	bool present;
};

static bool want_met(void *data)
{
	struct want *w = data;
	bool v = false;

	if (!w->prop)
		return model_has(model, w->path, w->iface) == w->present;
	return model_bool(model, w->path, w->iface, w->prop, &v) &&
	       v == w->value;
}

static void wait_for(const char *path, const char *iface, const char *prop,
	bool value)
{
	struct want w = { path, iface, prop, value, true };

	ck_assert_msg(test_wait(want_met, &w, 5000), "%s %s %s never %s", path,
		iface, prop ? prop : "",
		prop ? (value ? "true" : "false") : "appeared");
}

static void wait_gone(const char *path, const char *iface)
{
	struct want w = { path, iface, NULL, false, false };

	ck_assert_msg(test_wait(want_met, &w, 5000), "%s %s never went away",
		path, iface);
}

static void mock_call(const char *method, GVariant *args)
{
	GVariant *r = test_call_ok(bus, BLUEZ_SERVICE, BLUEZ_PATH, MOCK_IFACE,
		method, args);

	if (r)
		g_variant_unref(r);
}

static void start_mock_with_adapter(void)
{
	mock = test_start_dbusmock(&tb, bus);
	mock_call("AddAdapter", g_variant_new("(ss)", "hci0", "bondcheck"));
}

START_TEST(mirror_follows_adapters_and_devices)
{
	mock = test_start_dbusmock(&tb, bus);
	mirror_start(mirror);
	ck_assert(test_wait(is_synced, NULL, 5000));

	mock_call("AddAdapter", g_variant_new("(ss)", "hci0", "bondcheck"));
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Powered", true);

	mock_call("AddDevice", g_variant_new("(sss)", "hci0", DUT, "mpy-temp"));
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, NULL, true);
	ck_assert_str_eq(model_str(model, DUT_PATH, BLUEZ_IFACE_DEVICE,
				 "Address"),
		DUT);
	ck_assert_str_eq(model_str(model, DUT_PATH, BLUEZ_IFACE_DEVICE, "Name"),
		"mpy-temp");

	mock_call("PairDevice", g_variant_new("(ssi)", "hci0", DUT, 0));
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Paired", true);
	mock_call("ConnectDevice", g_variant_new("(ss)", "hci0", DUT));
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Connected", true);
	mock_call("DisconnectDevice", g_variant_new("(ss)", "hci0", DUT));
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Connected", false);

	/* the dongle is unplugged: devices and adapter vanish */
	mock_call("RemoveAdapterWithDevices", g_variant_new("(s)", "hci0"));
	wait_gone(DUT_PATH, BLUEZ_IFACE_DEVICE);
	wait_gone("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER);
	ck_assert_int_eq(mirror_bad_messages(mirror), 0);
}
END_TEST

static enum bcerror_code call_code(const char *path, const char *method)
{
	DBusMessage *r = test_call(bus, BLUEZ_SERVICE, path, BLUEZ_IFACE_DEVICE,
		method, NULL, 5000);
	GError *err = NULL;
	enum bcerror_code code = 0;

	ck_assert_ptr_nonnull(r);
	if (msg_is_error(r, &err)) {
		code = err->code;
		g_error_free(err);
	}
	dbus_message_unref(r);
	return code;
}

START_TEST(device_errors_arrive_as_our_codes)
{
	start_mock_with_adapter();
	mock_call("AddDevice", g_variant_new("(sss)", "hci0", DUT, "mpy-temp"));

	ck_assert_int_eq(call_code(DUT_PATH, "Pair"), 0);
	ck_assert_int_eq(call_code(DUT_PATH, "Pair"), BCERROR_ALREADY_EXISTS);
	ck_assert_int_eq(call_code(DUT_PATH, "Disconnect"),
		BCERROR_NOT_CONNECTED);
	ck_assert_int_eq(call_code(DUT_PATH, "Connect"), 0);
	ck_assert_int_eq(call_code(DUT_PATH, "Connect"),
		BCERROR_ALREADY_CONNECTED);
}
END_TEST

struct op_wait {
	bool done;
	char *error_name;
	int code;
};

static void op_done(const struct bluez_reply *r, void *data)
{
	struct op_wait *w = data;

	w->done = true;
	w->error_name = g_strdup(r->error_name);
	w->code = r->error ? r->error->code : 0;
}

static bool op_finished(void *data)
{
	return ((struct op_wait *)data)->done;
}

/* Run one operation through the real back end; returns the error code. */
static int run_op(struct bluez_dbus *bd, enum bluez_op op, const char *path,
	GVariant *arg, char **error_name)
{
	struct op_wait w = { 0 };
	guint id = bluez_dbus_ops.call(bd, op, path, arg, 5000, op_done, &w,
		NULL);

	ck_assert_uint_gt(id, 0);
	ck_assert_msg(test_wait(op_finished, &w, 6000), "%s never answered",
		bluez_op_to_str(op));
	if (error_name)
		*error_name = w.error_name;
	else
		g_free(w.error_name);
	return w.code;
}

START_TEST(every_bluez_operation_reaches_bluetoothd)
{
	struct bluez_dbus *bd = bluez_dbus_new(bus);
	GVariantBuilder f;
	char *name = NULL;

	start_mock_with_adapter();
	mock_call("AddDevice", g_variant_new("(sss)", "hci0", DUT, "mpy-temp"));
	mirror_start(mirror);
	ck_assert(test_wait(is_synced, NULL, 5000));
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, NULL, true);

	g_variant_builder_init(&f, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&f, "{sv}", "Transport",
		g_variant_new_string("le"));
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_SET_DISCOVERY_FILTER,
				 "/org/bluez/hci0", g_variant_builder_end(&f),
				 NULL),
		0);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_START_DISCOVERY, "/org/bluez/hci0",
				 NULL, NULL),
		0);
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Discovering", true);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_STOP_DISCOVERY, "/org/bluez/hci0",
				 NULL, NULL),
		0);
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Discovering", false);

	ck_assert_int_eq(run_op(bd, BLUEZ_OP_CONNECT, DUT_PATH, NULL, NULL), 0);
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Connected", true);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_PAIR, DUT_PATH, NULL, NULL), 0);
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Paired", true);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_PAIR, DUT_PATH, NULL, &name),
		BCERROR_ALREADY_EXISTS);
	ck_assert_str_eq(name, BLUEZ_ERR_ALREADY_EXISTS);
	g_free(name);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_CANCEL_PAIRING, DUT_PATH, NULL,
				 NULL),
		0);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_SET_TRUSTED, DUT_PATH,
				 g_variant_new_boolean(TRUE), NULL),
		0);
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Trusted", true);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_DISCONNECT, DUT_PATH, NULL, NULL),
		0);
	wait_for(DUT_PATH, BLUEZ_IFACE_DEVICE, "Connected", false);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_SET_PAIRABLE, "/org/bluez/hci0",
				 g_variant_new_boolean(FALSE), NULL),
		0);
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Pairable", false);

	/* the mock has no GATT: the error arrives as our code, not a crash */
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_READ, DUT_PATH, NULL, &name),
		BCERROR_UNKNOWN_METHOD);
	ck_assert_ptr_nonnull(name);
	g_free(name);

	ck_assert_int_eq(run_op(bd, BLUEZ_OP_REMOVE_DEVICE, "/org/bluez/hci0",
				 g_variant_new_object_path(DUT_PATH), NULL),
		0);
	wait_gone(DUT_PATH, BLUEZ_IFACE_DEVICE);
	ck_assert_int_eq(run_op(bd, BLUEZ_OP_SET_POWERED, "/org/bluez/hci0",
				 g_variant_new_boolean(FALSE), NULL),
		0);
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Powered", false);
	bluez_dbus_free(bd);
}
END_TEST

static void count_destroy(void *data)
{
	(*(int *)data)++;
}

static void never(const struct bluez_reply *r, void *data)
{
	(void)r;
	(void)data;
	ck_abort_msg("a cancelled call must not call back");
}

START_TEST(a_cancelled_call_only_runs_destroy)
{
	struct bluez_dbus *bd = bluez_dbus_new(bus);
	int destroyed = 0;
	guint id;
	struct op_wait w = { 0 };

	start_mock_with_adapter();
	id = bluez_dbus_ops.call(bd, BLUEZ_OP_START_DISCOVERY,
		"/org/bluez/hci0", NULL, 5000, never, &destroyed,
		count_destroy);
	bluez_dbus_ops.cancel(bd, id);
	ck_assert_int_eq(destroyed, 1);
	/* the bus keeps working; a later call still answers */
	bluez_dbus_ops.call(bd, BLUEZ_OP_STOP_DISCOVERY, "/org/bluez/hci0",
		NULL, 5000, op_done, &w, NULL);
	ck_assert(test_wait(op_finished, &w, 6000));
	g_free(w.error_name);
	ck_assert_int_eq(destroyed, 1);
	bluez_dbus_free(bd);
}
END_TEST

struct agent_log {
	GPtrArray *reqs; /* "Method device foreign accepted" */
	bool done;
	bool ok;
};

static void on_agent_req(struct agent *a, const struct agent_request *r,
	void *data)
{
	struct agent_log *l = data;

	(void)a;
	g_ptr_array_add(l->reqs,
		g_strdup_printf("%s %s %s %s", r->method,
			r->device ? r->device : "-",
			r->foreign ? "foreign" : "dut",
			r->accepted ? "accepted" : "rejected"));
}

static void on_agent_done(struct agent *a, const GError *error, void *data)
{
	struct agent_log *l = data;

	(void)a;
	l->done = true;
	l->ok = error == NULL;
}

static bool agent_done(void *data)
{
	return ((struct agent_log *)data)->done;
}

/* How many times the mock saw @method called with our agent path. */
static int mock_calls(const char *method)
{
	GVariant *r = test_call_ok(bus, BLUEZ_SERVICE, BLUEZ_PATH,
		DBUSMOCK_IFACE, "GetMethodCalls", g_variant_new("(s)", method));
	GVariant *calls = g_variant_get_child_value(r, 0);
	int n = 0;

	for (gsize i = 0; i < g_variant_n_children(calls); i++) {
		GVariant *c = g_variant_get_child_value(calls, i);
		GVariant *args = g_variant_get_child_value(c, 1);
		GVariant *first = g_variant_n_children(args) ?
		                          g_variant_get_child_value(args, 0) :
		                          NULL;
		GVariant *inner = first ? g_variant_get_variant(first) : NULL;

		if (inner &&
			g_variant_is_of_type(inner,
				G_VARIANT_TYPE_OBJECT_PATH) &&
			strcmp(g_variant_get_string(inner, NULL),
				BC_AGENT_PATH) == 0)
			n++;
		if (inner)
			g_variant_unref(inner);
		if (first)
			g_variant_unref(first);
		g_variant_unref(args);
		g_variant_unref(c);
	}
	g_variant_unref(calls);
	g_variant_unref(r);
	return n;
}

/* Make the mock (bluetoothd's stand-in) call our agent, as bluetoothd does. */
static char *bluez_asks(const char *device)
{
	DBusMessage *r;
	GError *err = NULL;
	char *result;

	r = test_call(bus, BLUEZ_SERVICE, BLUEZ_PATH, MOCK_IFACE, "AskAgent",
		g_variant_new("(soo)", bus_unique_name(bus), BC_AGENT_PATH,
			device),
		5000);
	ck_assert_ptr_nonnull(r);
	result = msg_is_error(r, &err) ? g_strdup(msg_error_name(r)) :
	                                 g_strdup("ok");
	g_clear_error(&err);
	dbus_message_unref(r);
	return result;
}

START_TEST(agent_registers_and_answers_only_the_device_under_test)
{
	struct service *svc = service_new(bus);
	struct agent *a = agent_new(svc, BC_AGENT_PATH, "KeyboardDisplay");
	struct agent_log l = { g_ptr_array_new_with_free_func(g_free) };
	char *res;
	DBusMessage *r;

	start_mock_with_adapter();
	ck_assert_ptr_nonnull(a);
	agent_set_target(a, DUT_PATH);
	agent_set_event_cb(a, on_agent_req, &l);
	agent_register(a, true, on_agent_done, &l);
	ck_assert(test_wait(agent_done, &l, 5000) && l.ok);
	ck_assert(agent_is_registered(a));
	ck_assert_int_eq(mock_calls("RegisterAgent"), 1);
	ck_assert_int_eq(mock_calls("RequestDefaultAgent"), 1);

	/* teach the mock to play bluetoothd asking for a confirmation */
	test_call_ok(bus, BLUEZ_SERVICE, BLUEZ_PATH, DBUSMOCK_IFACE,
		"AddMethod",
		g_variant_new("(sssss)", MOCK_IFACE, "AskAgent", "soo", "",
			"self.connection.call_blocking(args[0], args[1], "
			"'org.bluez.Agent1', 'RequestConfirmation', 'ou', "
			"[args[2], dbus.UInt32(123456)])"));

	res = bluez_asks(DUT_PATH);
	ck_assert_str_eq(res, "ok");
	g_free(res);
	res = bluez_asks(OTHER_PATH);
	ck_assert_str_eq(res, BLUEZ_ERR_REJECTED);
	g_free(res);

	/* someone who is not bluetoothd gets nothing either */
	r = test_call(bus, bus_unique_name(bus), BC_AGENT_PATH,
		BLUEZ_IFACE_AGENT, "RequestConfirmation",
		g_variant_new("(ou)", DUT_PATH, 1), 5000);
	ck_assert_str_eq(msg_error_name(r), BLUEZ_ERR_REJECTED);
	dbus_message_unref(r);

	ck_assert_int_eq(l.reqs->len, 3);
	ck_assert_str_eq(g_ptr_array_index(l.reqs, 0),
		"RequestConfirmation " DUT_PATH " dut accepted");
	ck_assert_str_eq(g_ptr_array_index(l.reqs, 1),
		"RequestConfirmation " OTHER_PATH " foreign rejected");
	ck_assert_str_eq(g_ptr_array_index(l.reqs, 2),
		"RequestConfirmation " DUT_PATH " foreign rejected");

	/* a second central's slot: its own DUT object, its own policy */
	{
		struct agent_policy no = { false, -1, NULL };
		struct agent_policy yes = { true, -1, NULL };

		agent_set_slot_target(a, 1, OTHER_PATH);
		agent_set_slot_policy(a, 1, &no);
		res = bluez_asks(OTHER_PATH);
		ck_assert_str_eq(res, BLUEZ_ERR_REJECTED);
		g_free(res);
		res = bluez_asks(DUT_PATH);
		ck_assert_str_eq(res, "ok");
		g_free(res);
		agent_set_slot_policy(a, 1, &yes);
		res = bluez_asks(OTHER_PATH);
		ck_assert_str_eq(res, "ok");
		g_free(res);
		ck_assert_int_eq(l.reqs->len, 6);
		ck_assert_str_eq(g_ptr_array_index(l.reqs, 3),
			"RequestConfirmation " OTHER_PATH " dut rejected");
		ck_assert_str_eq(g_ptr_array_index(l.reqs, 5),
			"RequestConfirmation " OTHER_PATH " dut accepted");
	}

	l.done = false;
	agent_unregister(a, on_agent_done, &l);
	ck_assert(test_wait(agent_done, &l, 5000) && l.ok);
	ck_assert(!agent_is_registered(a));
	ck_assert_int_eq(mock_calls("UnregisterAgent"), 1);

	g_ptr_array_free(l.reqs, TRUE);
	agent_free(a);
	service_free(svc);
}
END_TEST

static bool registered(void *data)
{
	return agent_is_registered(data);
}

START_TEST(bluetoothd_leaving_and_returning_is_survived)
{
	struct service *svc = service_new(bus);
	struct agent *a = agent_new(svc, BC_AGENT_PATH, "DisplayYesNo");
	struct agent_log l = { g_ptr_array_new_with_free_func(g_free) };

	start_mock_with_adapter();
	mirror_start(mirror);
	ck_assert(test_wait(is_synced, NULL, 5000));
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Powered", true);
	agent_register(a, false, on_agent_done, &l);
	ck_assert(test_wait(agent_done, &l, 5000) && l.ok);

	test_kill(mock);
	mock = 0;
	ck_assert(test_wait(is_gone, NULL, 5000));
	ck_assert_int_eq(model_size(model), 0);
	ck_assert(!agent_is_registered(a));

	/* a new bluetoothd: the model is loaded again, the agent re-registers */
	start_mock_with_adapter();
	ck_assert(test_wait(is_synced, NULL, 5000));
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Powered", true);
	ck_assert(test_wait(registered, a, 5000));
	ck_assert_int_eq(mock_calls("RegisterAgent"), 1);

	g_ptr_array_free(l.reqs, TRUE);
	agent_free(a);
	service_free(svc);
}
END_TEST

static char *env_line(void)
{
	return g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", tb.address);
}

START_TEST(scan_lists_the_mock_devices)
{
	char *prog = test_prog("bondcheck");
	char *env0 = env_line();
	const char *env[] = { env0, "NO_COLOR=1", NULL };
	const char *argv[] = { prog, "scan", "--timeout", "300ms", NULL };
	const char *jargv[] = { prog, "scan", "--timeout", "300ms", "--json",
		NULL };
	struct proc_result res;
	char **lines;
	int n = 0;

	start_mock_with_adapter();
	mock_call("AddDevice", g_variant_new("(sss)", "hci0", DUT, "mpy-temp"));
	mock_call("AddDevice", g_variant_new("(sss)", "hci0", OTHER, "other"));
	mock_call("PairDevice", g_variant_new("(ssi)", "hci0", DUT, 0));

	test_run(argv, env, 10000, &res);
	ck_assert_msg(res.status == 0, "exit %d: %s", res.status, res.err);
	ck_assert_ptr_nonnull(strstr(res.out, "ADDRESS"));
	ck_assert_ptr_nonnull(strstr(res.out, DUT));
	ck_assert_ptr_nonnull(strstr(res.out, "mpy-temp"));
	ck_assert_ptr_nonnull(strstr(res.out, OTHER));
	ck_assert_ptr_nonnull(strstr(res.out, "2 devices"));
	test_result_clear(&res);

	test_run(jargv, env, 10000, &res);
	ck_assert_int_eq(res.status, 0);
	lines = g_strsplit(res.out, "\n", -1);
	for (char **l = lines; *l && **l; l++) {
		JsonParser *p = json_parser_new();
		JsonObject *o;

		ck_assert_msg(json_parser_load_from_data(p, *l, -1, NULL), "%s",
			*l);
		o = json_node_get_object(json_parser_get_root(p));
		if (strcmp(json_object_get_string_member(o, "address"), DUT) ==
			0)
			ck_assert(json_object_get_boolean_member(o, "paired"));
		n++;
		g_object_unref(p);
	}
	ck_assert_int_eq(n, 2);
	g_strfreev(lines);
	test_result_clear(&res);
	g_free(env0);
	g_free(prog);
}
END_TEST

static const struct {
	const char *setup; /* "none", "mock", "mock+adapter" */
	const char *adapter;
	const char *expect; /* in stderr */
} scan_env_errors[] = {
	{ "none", NULL, "bluetoothd is not running" },
	{ "mock", NULL, "no Bluetooth adapter found" },
	{ "mock+adapter", "hci7", "no adapter named hci7" },
};

START_TEST(scan_exits_3_with_a_clear_message)
{
	char *prog = test_prog("bondcheck");
	char *env0 = env_line();
	const char *env[] = { env0, NULL };
	const char *argv[] = { prog, "scan", "--timeout", "300ms", "-a",
		scan_env_errors[_i].adapter, NULL };
	struct proc_result res;

	if (strcmp(scan_env_errors[_i].setup, "mock") == 0)
		mock = test_start_dbusmock(&tb, bus);
	else if (strcmp(scan_env_errors[_i].setup, "mock+adapter") == 0)
		start_mock_with_adapter();
	if (!scan_env_errors[_i].adapter)
		argv[4] = NULL;
	test_run(argv, env, 10000, &res);
	ck_assert_int_eq(res.status, 3);
	ck_assert_msg(strstr(res.err, scan_env_errors[_i].expect), "stderr: %s",
		res.err);
	test_result_clear(&res);
	g_free(env0);
	g_free(prog);
}
END_TEST

START_TEST(scan_rejects_bad_arguments)
{
	char *prog = test_prog("bondcheck");
	const char *a1[] = { prog, "scan", "--timeout", "-1", NULL };
	const char *a2[] = { prog, "scan", "--bogus", NULL };
	const char *a3[] = { prog, "scan", "extra", NULL };
	const char *a4[] = { prog, "frobnicate", NULL };
	/* one duration syntax: the unit is written, as in scenarios */
	const char *a5[] = { prog, "scan", "--timeout", "2", NULL };
	const char *const *all[] = { a1, a2, a3, a4, a5 };
	struct proc_result res;

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		test_run(all[i], NULL, 5000, &res);
		ck_assert_msg(res.status == 2, "%s: exit %d", all[i][2],
			res.status);
		if (all[i] == a5)
			ck_assert_msg(strstr(res.err, "--timeout: '2' has no "
						      "unit: write 2s (or 2ms"),
				"%s", res.err);
		test_result_clear(&res);
	}
	g_free(prog);
}
END_TEST

static GPid start_fake(const char *mode)
{
	char *script = test_path("tests/integration/fake_bluez.py");
	const char *argv[] = { "/usr/bin/python3", script, mode, NULL };
	char *env0 = env_line();
	const char *env[] = { env0, NULL };
	GPid pid = test_spawn(argv, env, NULL);

	ck_assert(pid > 0);
	ck_assert(test_wait_name(bus, BLUEZ_SERVICE, true, 15000));
	g_free(env0);
	g_free(script);
	return pid;
}

static GError *mirror_err;

static void keep_error(struct mirror *mi, enum mirror_state st,
	const GError *error, void *data)
{
	(void)mi;
	(void)data;
	if (st == MIRROR_STATE_ERROR && !mirror_err)
		mirror_err = g_error_copy(error);
}

START_TEST(a_malformed_object_list_is_an_error_not_a_crash)
{
	char *prog = test_prog("bondcheck");
	char *env0 = env_line();
	const char *env[] = { env0, NULL };
	const char *argv[] = { prog, "scan", "--timeout", "300ms", NULL };
	struct proc_result res;

	mock = start_fake("bad-objects");
	mirror_set_state_cb(mirror, keep_error, NULL);
	mirror_start(mirror);
	ck_assert(test_wait(is_error, NULL, 5000));
	ck_assert(g_error_matches(mirror_err, BCERROR, BCERROR_BAD_MESSAGE));
	ck_assert_ptr_nonnull(strstr(mirror_err->message, "a{oa{sa{sv}}}"));
	g_clear_error(&mirror_err);
	ck_assert_int_eq(model_size(model), 0);

	test_run(argv, env, 10000, &res);
	ck_assert_int_eq(res.status, 3);
	ck_assert_ptr_nonnull(strstr(res.err, "GetManagedObjects"));
	test_result_clear(&res);
	g_free(env0);
	g_free(prog);
}
END_TEST

START_TEST(malformed_signals_are_counted_and_ignored)
{
	GVariant *r;

	mock = start_fake("bad-signals");
	mirror_start(mirror);
	ck_assert(test_wait(is_synced, NULL, 5000));
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Powered", true);

	r = test_call_ok(bus, BLUEZ_SERVICE, "/org/bondcheck/test",
		"org.bondcheck.Test", "Emit", NULL);
	g_variant_unref(r);
	/* the good change that follows the bad ones still lands */
	wait_for("/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Powered", false);
	ck_assert_int_eq(mirror_bad_messages(mirror), 3);
	ck_assert(model_has(model, "/org/bluez/hci0", BLUEZ_IFACE_ADAPTER));
}
END_TEST

START_TEST(missing_properties_are_survived)
{
	char *prog = test_prog("bondcheck");
	char *env0 = env_line();
	const char *env[] = { env0, NULL };
	const char *argv[] = { prog, "scan", "--timeout", "300ms", NULL };
	struct proc_result res;

	mock = start_fake("missing-props");
	test_run(argv, env, 10000, &res);
	/* StartDiscovery does not exist on the fake: an error, not a crash */
	ck_assert_msg(res.status == 1 || res.status == 3, "exit %d: %s",
		res.status, res.err);
	ck_assert_ptr_nonnull(strstr(res.err, "StartDiscovery"));
	test_result_clear(&res);
	g_free(env0);
	g_free(prog);
}
END_TEST

START_TEST(a_silent_bluetoothd_times_out)
{
	mock = start_fake("no-reply");
	mirror_set_state_cb(mirror, keep_error, NULL);
	mirror_start(mirror);
	/* the sync call carries its own timeout (10 s): wait a little longer */
	ck_assert(test_wait(is_error, NULL, 15000));
	ck_assert(g_error_matches(mirror_err, BCERROR, BCERROR_TIMEOUT));
	g_clear_error(&mirror_err);
}
END_TEST

Suite *dbusmock_suite(void)
{
	Suite *s = suite_create("dbusmock");
	TCase *tc = tcase_create("bluez5-template");
	TCase *bad = tcase_create("malformed");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mirror_follows_adapters_and_devices);
	tcase_add_test(tc, device_errors_arrive_as_our_codes);
	tcase_add_test(tc, every_bluez_operation_reaches_bluetoothd);
	tcase_add_test(tc, a_cancelled_call_only_runs_destroy);
	tcase_add_test(tc,
		agent_registers_and_answers_only_the_device_under_test);
	tcase_add_test(tc, bluetoothd_leaving_and_returning_is_survived);
	tcase_add_test(tc, scan_lists_the_mock_devices);
	tcase_add_loop_test(tc, scan_exits_3_with_a_clear_message, 0,
		G_N_ELEMENTS(scan_env_errors));
	tcase_add_test(tc, scan_rejects_bad_arguments);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(bad, 60);
	tcase_add_test(bad, a_malformed_object_list_is_an_error_not_a_crash);
	tcase_add_test(bad, malformed_signals_are_counted_and_ignored);
	tcase_add_test(bad, missing_properties_are_survived);
	tcase_add_test(bad, a_silent_bluetoothd_times_out);
	suite_add_tcase(s, bad);
	return s;
}
