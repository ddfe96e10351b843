/* SPDX-License-Identifier: MIT */
/*
 * check_engine.c — the engine against fakes on every seam: the test plays
 * BlueZ (it answers each call and changes the model by hand), the agent,
 * the triggers and the clock. Timeouts are exact because time only moves
 * when the test says so.
 */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/engine.h"
#include "bondcheck/names.h"
#include "suites.h"

#define DEV "/org/bluez/hci0/dev_C0_FF_EE_00_13_42"
/* how long a run's cleanup may take at most (engine.c) */
#define CLEANUP_BOUND_MS 8000

struct fcall {
	enum bluez_op op;
	char *path;
	bluez_reply_fn fn;
	void *ud;
	GDestroyNotify destroy;
	char *arg; /* the argument, printed; NULL if none */
	guint id;
	bool done;
};

struct ftimer {
	guint id;
	int64_t due;
	GSourceFunc fn;
	void *ud;
	bool dead;
};

struct fake {
	struct model *m;
	GPtrArray *calls;
	GPtrArray *timers;
	guint next;
	int64_t now;
	/* agent: central 0's, and every central's */
	char *target;
	bool accept;
	long passkey;
	char *targets[4];
	bool accepts[4];
	char *cap;
	int registered;
	int unregistered;
	bool hold_unregister;      /* keep the unregistration's answer... */
	engine_done_fn unreg_done; /* ...here */
	void *unreg_ud;
	/* trigger */
	char *command;
	char *env; /* the command's environment, joined */
	trigger_done_fn cmd_done;
	void *cmd_ud;
	char *prompt;
	/* mgmt (with_mgmt): the adapter's privacy, and what set did */
	bool with_mgmt;
	int mgmt_privacy;   /* -1: the read fails */
	int mgmt_set_error; /* a BCERROR code, 0: it works */
	int mgmt_sets;
	bool mgmt_set_to;
	bool mgmt_leaves_off; /* bluetoothd says Powered=false, and no
				   * Powered=true comes */
	enum scn_privacy cfg_privacy;
	bool keep_going;
	bool disconnect_at_end;
	bool early_connect;
	const char *log_path; /* the log's file; NULL: sinks only */
	/* results */
	GPtrArray *events; /* JSON lines */
	bool finished;
	struct engine_result result;
};

static struct fake F;

/* ---- fake clock ---------------------------------------------------------- */

static int64_t c_now(void *d)
{
	(void)d;
	return F.now;
}

static guint c_timeout(void *d, int64_t ms, GSourceFunc fn, void *ud)
{
	struct ftimer *t = g_new0(struct ftimer, 1);

	(void)d;
	t->id = ++F.next;
	t->due = F.now + ms * 1000;
	t->fn = fn;
	t->ud = ud;
	g_ptr_array_add(F.timers, t);
	return t->id;
}

static void c_cancel(void *d, guint id)
{
	(void)d;
	for (guint i = 0; i < F.timers->len; i++) {
		struct ftimer *t = g_ptr_array_index(F.timers, i);

		if (t->id == id)
			t->dead = true;
	}
}

static const struct clock_ops fclock = { c_now, c_timeout, c_cancel };

/* Fire every timer due by now + @ms, in order of due time. */
static void advance(int64_t ms)
{
	int64_t until = F.now + ms * 1000;

	for (;;) {
		struct ftimer *next = NULL;

		for (guint i = 0; i < F.timers->len; i++) {
			struct ftimer *t = g_ptr_array_index(F.timers, i);

			if (!t->dead && t->due <= until &&
				(!next || t->due < next->due))
				next = t;
		}
		if (!next)
			break;
		if (next->due > F.now)
			F.now = next->due;
		next->dead = true;
		next->fn(next->ud);
	}
	F.now = until;
}

/* ---- fake BlueZ ---------------------------------------------------------- */

static guint b_call(void *d, enum bluez_op op, const char *path, GVariant *arg,
	int timeout, bluez_reply_fn fn, void *ud, GDestroyNotify destroy)
{
	struct fcall *c = g_new0(struct fcall, 1);

	(void)d;
	(void)timeout;
	if (arg) {
		g_variant_ref_sink(arg);
		c->arg = g_variant_print(arg, FALSE);
		g_variant_unref(arg);
	}
	c->op = op;
	c->path = g_strdup(path);
	c->fn = fn;
	c->ud = ud;
	c->destroy = destroy;
	c->id = ++F.next;
	g_ptr_array_add(F.calls, c);
	return c->id;
}

static void b_cancel(void *d, guint id)
{
	(void)d;
	for (guint i = 0; i < F.calls->len; i++) {
		struct fcall *c = g_ptr_array_index(F.calls, i);

		if (c->id == id && !c->done) {
			c->done = true;
			if (c->destroy)
				c->destroy(c->ud);
		}
	}
}

static const struct bluez_ops fbluez = { b_call, b_cancel };

static struct fcall *pending(enum bluez_op op)
{
	for (guint i = 0; i < F.calls->len; i++) {
		struct fcall *c = g_ptr_array_index(F.calls, i);

		if (!c->done && c->op == op)
			return c;
	}
	return NULL;
}

static void answer(enum bluez_op op, const char *err_name, const char *text,
	GVariant *value)
{
	struct fcall *c = pending(op);
	GError *e = err_name ? g_error_new(BCERROR,
				       bcerror_from_dbus_name(err_name),
				       "%s: %s", err_name, text) :
	                       NULL;
	struct bluez_reply r = { value, e, err_name, text };

	ck_assert_msg(c, "no pending %s", bluez_op_to_str(op));
	c->done = true;
	if (value)
		g_variant_ref_sink(value);
	c->fn(&r, c->ud);
	if (c->destroy)
		c->destroy(c->ud);
	if (value)
		g_variant_unref(value);
	if (e)
		g_error_free(e);
}

/* ---- fake agent and triggers --------------------------------------------- */

static void a_target(void *d, unsigned central, const char *p)
{
	(void)d;
	ck_assert_uint_lt(central, G_N_ELEMENTS(F.targets));
	g_free(F.targets[central]);
	F.targets[central] = g_strdup(p);
	if (central)
		return;
	g_free(F.target);
	F.target = g_strdup(p);
}

static void a_policy(void *d, unsigned central, bool accept, long passkey)
{
	(void)d;
	ck_assert_uint_lt(central, G_N_ELEMENTS(F.accepts));
	F.accepts[central] = accept;
	if (central)
		return;
	F.accept = accept;
	F.passkey = passkey;
}

static void a_register(void *d, const char *cap, engine_done_fn done, void *ud)
{
	(void)d;
	g_free(F.cap);
	F.cap = g_strdup(cap);
	F.registered++;
	done(NULL, ud);
}

static void a_unregister(void *d, engine_done_fn done, void *ud)
{
	(void)d;
	F.unregistered++;
	if (F.hold_unregister) {
		F.unreg_done = done;
		F.unreg_ud = ud;
		return;
	}
	done(NULL, ud);
}

static const struct agent_ops fagent = { a_target, a_policy, a_register,
	a_unregister };

static guint t_command(void *d, const char *cmd, const char *const *env,
	trigger_line_fn line, trigger_done_fn done, void *ud)
{
	(void)d;
	g_free(F.env);
	F.env = env ? g_strjoinv(" ", (char **)env) : NULL;
	line("stdout", "resetting", ud);
	g_free(F.command);
	F.command = g_strdup(cmd);
	F.cmd_done = done;
	F.cmd_ud = ud;
	return 77;
}

static guint t_serial(void *d, const char *port, int baud, GBytes *b,
	trigger_done_fn done, void *ud)
{
	(void)d;
	(void)port;
	(void)baud;
	(void)b;
	(void)done;
	(void)ud;
	return 78;
}

static void t_prompt(void *d, const char *text)
{
	(void)d;
	g_free(F.prompt);
	F.prompt = g_strdup(text);
}

static void t_cancel(void *d, guint id)
{
	(void)d;
	(void)id;
}

static const struct trigger_ops ftrigger = { t_command, t_serial, t_prompt,
	t_cancel };

/* ---- fake mgmt ----------------------------------------------------------- */

static guint fm_read(void *d, int index, mgmt_privacy_fn fn, void *ud)
{
	GError *e = F.mgmt_privacy < 0 ?
	                    g_error_new(BCERROR, BCERROR_NOT_SUPPORTED,
				    "mgmt: no such thing") :
	                    NULL;

	(void)d;
	ck_assert_int_eq(index, 0);
	fn(F.mgmt_privacy, e, ud);
	if (e)
		g_error_free(e);
	return 1;
}

static guint fm_set(void *d, int index, bool on, mgmt_done_fn fn, void *ud)
{
	GError *e =
		F.mgmt_set_error ?
			g_error_new(BCERROR, F.mgmt_set_error,
				"mgmt Set Powered on hci0: Permission Denied (0x14)") :
			NULL;

	(void)d;
	ck_assert_int_eq(index, 0);
	F.mgmt_sets++;
	F.mgmt_set_to = on;
	if (!e)
		F.mgmt_privacy = on;
	if (F.mgmt_leaves_off)
		model_set(F.m, "/org/bluez/hci0", BLUEZ_IFACE_ADAPTER,
			"Powered", g_variant_new_boolean(FALSE));
	fn(e, ud);
	if (e)
		g_error_free(e);
	return 2;
}

static void fm_cancel(void *d, guint id)
{
	(void)d;
	(void)id;
}

static const struct mgmt_ops fmgmt = { fm_read, fm_set, fm_cancel };

/* ---- the run ------------------------------------------------------------- */

static void sink(const char *line, JsonNode *ev, void *d)
{
	(void)ev;
	(void)d;
	g_ptr_array_add(F.events, g_strdup(line));
}

static void finished(struct engine *e, const struct engine_result *r, void *d)
{
	(void)e;
	(void)d;
	F.finished = true;
	F.result = *r;
}

static struct scenario *scn;
static struct evlog *lg;
static struct engine *eng;

/* model_add/model_signal do not take floating references: sink here */
static void madd(const char *path, GVariant *ifaces)
{
	g_variant_ref_sink(ifaces);
	model_add(F.m, path, ifaces);
	g_variant_unref(ifaces);
}

static void msignal(const char *member, GVariant *args)
{
	g_variant_ref_sink(args);
	model_signal(F.m, DEV, BLUEZ_IFACE_DEVICE, member, args);
	g_variant_unref(args);
}

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.m = model_new();
	F.calls = g_ptr_array_new();
	F.timers = g_ptr_array_new_with_free_func(g_free);
	F.events = g_ptr_array_new_with_free_func(g_free);
	F.now = 1000000;
	madd("/org/bluez/hci0",
		g_variant_new_parsed(
			"{'org.bluez.Adapter1': {'Powered': <true>, 'Pairable': <true>, "
			"'Address': <'00:B0:DC:00:00:01'>}}"));
}

static void add_dut(bool bonded, bool rssi)
{
	GVariantBuilder b, ifs;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "Address",
		g_variant_new_string("C0:FF:EE:00:13:42"));
	g_variant_builder_add(&b, "{sv}", "Name",
		g_variant_new_string("mpy-temp"));
	g_variant_builder_add(&b, "{sv}", "Paired",
		g_variant_new_boolean(bonded));
	g_variant_builder_add(&b, "{sv}", "Bonded",
		g_variant_new_boolean(bonded));
	g_variant_builder_add(&b, "{sv}", "Connected",
		g_variant_new_boolean(FALSE));
	g_variant_builder_add(&b, "{sv}", "ServicesResolved",
		g_variant_new_boolean(FALSE));
	if (rssi)
		g_variant_builder_add(&b, "{sv}", "RSSI",
			g_variant_new_int16(-52));
	g_variant_builder_init(&ifs, G_VARIANT_TYPE("a{sa{sv}}"));
	g_variant_builder_add(&ifs, "{s@a{sv}}", BLUEZ_IFACE_DEVICE,
		g_variant_builder_end(&b));
	madd(DEV, g_variant_builder_end(&ifs));
}

static void teardown(void)
{
	engine_free(eng);
	evlog_free(lg);
	scenario_free(scn);
	for (guint i = 0; i < F.calls->len; i++) {
		struct fcall *c = g_ptr_array_index(F.calls, i);

		g_free(c->path);
		g_free(c->arg);
		g_free(c);
	}
	g_ptr_array_free(F.calls, TRUE);
	g_ptr_array_free(F.timers, TRUE);
	g_ptr_array_free(F.events, TRUE);
	model_free(F.m);
	g_free(F.target);
	for (size_t i = 0; i < G_N_ELEMENTS(F.targets); i++)
		g_free(F.targets[i]);
	g_free(F.cap);
	g_free(F.command);
	g_free(F.env);
	g_free(F.prompt);
	eng = NULL;
	lg = NULL;
	scn = NULL;
}

static void start_on(const char *text, const char *reboot_cmd,
	const char *adapter)
{
	struct engine_config cfg = { 0 };
	struct engine_env env = { F.m, &fbluez, NULL, &fagent, NULL, &ftrigger,
		NULL, &fclock, NULL };
	GPtrArray *errs = NULL;

	scn = scenario_parse(text, strlen(text), "t.scn", NULL, &errs);
	ck_assert_msg(scn, "scenario: %u errors", errs->len);
	g_ptr_array_free(errs, TRUE);
	lg = evlog_new(F.log_path, NULL);
	ck_assert_ptr_nonnull(lg);
	evlog_add_sink(lg, sink, NULL);
	cfg.device = "C0:FF:EE:00:13:42";
	cfg.reboot_cmd = reboot_cmd;
	cfg.adapter = adapter;
	cfg.ready_timeout_ms = 5000;
	cfg.privacy = F.cfg_privacy;
	cfg.keep_going = F.keep_going;
	cfg.disconnect_at_end = F.disconnect_at_end;
	cfg.early_connect = F.early_connect;
	if (F.with_mgmt) {
		env.mgmt = &fmgmt;
		env.mgmt_data = NULL;
	}
	eng = engine_new(&cfg, &env, scn, lg);
	engine_start(eng, finished, NULL);
}

static void start(const char *text, const char *reboot_cmd)
{
	start_on(text, reboot_cmd, NULL);
}

static void set_dev(const char *prop, GVariant *v)
{
	model_set(F.m, DEV, BLUEZ_IFACE_DEVICE, prop, v);
}

static void the_run_takes_its_link_down(void);

static int count_events(const char *needle)
{
	int n = 0;

	for (guint i = 0; i < F.events->len; i++)
		if (strstr(g_ptr_array_index(F.events, i), needle))
			n++;
	return n;
}

static const char *last_event(void)
{
	return F.events->len ? g_ptr_array_index(F.events, F.events->len - 1) :
	                       "";
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(steps_run_in_order_with_their_iterations)
{
	add_dut(false, false);
	start("sleep 10ms\nrepeat 2\n repeat 2\n  sleep 1ms\n end\nend\n",
		NULL);
	engine_bluez_available(eng, true, NULL);
	advance(100);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(F.result.exit_status, 0);
	ck_assert_int_eq(F.result.steps_run, 5);
	ck_assert_int_eq(count_events("\"type\":\"step-end\""), 5);
	ck_assert_int_eq(count_events("\"iteration\":[1,2]"), 2);
	ck_assert_int_eq(count_events("\"iteration\":[2,1]"), 2);
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(F.events, 0),
		"\"type\":\"run-start\""));
	ck_assert_ptr_nonnull(strstr(last_event(), "\"type\":\"run-end\""));
	ck_assert_int_eq(F.registered, 1);
	ck_assert_int_eq(F.unregistered, 1);
}
END_TEST

START_TEST(scan_times_out_as_not_advertising)
{
	start("scan timeout=500ms\n", NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	advance(499);
	ck_assert(!F.finished);
	advance(1);
	/* the run stops its discovery on the way out */
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_NOT_ADVERTISING);
	ck_assert_int_eq(F.result.exit_status, 1);
	ck_assert_int_eq(F.result.fail_line, 1);
	ck_assert_int_eq(count_events("\"type\":\"step-end\",\"t\":500000,"),
		1);
}
END_TEST

START_TEST(scan_sees_the_dut_and_stops_discovery)
{
	start("scan\n", NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	add_dut(false, true);
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_str_eq(F.target, DEV);
}
END_TEST

/* The DUT's object is there before the run (BlueZ remembers it): the scan
 * sees it when its RSSI arrives, and its path is still good to log. */
START_TEST(scan_sees_a_device_bluez_already_knew)
{
	add_dut(false, false);
	start("scan\n", NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(count_events("C0:FF:EE:00:13:42 advertises (" DEV ")"),
		1);
}
END_TEST

static void reconnect_attempt(bool signal)
{
	add_dut(true, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	ck_assert_ptr_nonnull(pending(BLUEZ_OP_CONNECT));
	/* a bonded reconnect must not pair anew: the agent says no */
	ck_assert(!F.accept);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	if (signal)
		msignal("Disconnected",
			g_variant_new_parsed(
				"('org.bluez.Reason.Authentication',"
				" 'disconnection-authentication-failure')"));
	ck_assert(!F.finished);
	advance(300);
	ck_assert(F.finished);
}

START_TEST(reconnect_after_key_loss_is_peer_removed_pairing)
{
	reconnect_attempt(false);
	ck_assert_int_eq(F.result.verdict, VERDICT_PEER_REMOVED_PAIRING);
	ck_assert_int_eq(F.result.confidence, CONFIDENCE_INFERRED);
	ck_assert_int_eq(count_events("le-connection-abort-by-local"), 2);
}
END_TEST

START_TEST(the_disconnect_reason_confirms_peer_removed_pairing)
{
	reconnect_attempt(true);
	ck_assert_int_eq(F.result.verdict, VERDICT_PEER_REMOVED_PAIRING);
	ck_assert_int_eq(F.result.confidence, CONFIDENCE_CONFIRMED);
	ck_assert_int_eq(count_events("\"disconnected_reason\":"
				      "\"org.bluez.Reason.Authentication\""),
		1);
}
END_TEST

START_TEST(reconnect_without_a_bond_is_local_bond_lost)
{
	add_dut(false, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	ck_assert_ptr_null(pending(BLUEZ_OP_CONNECT));
	advance(300);
	ck_assert_int_eq(F.result.verdict, VERDICT_LOCAL_BOND_LOST);
}
END_TEST

START_TEST(a_pairing_request_during_reconnect_is_flagged)
{
	struct engine_agent_event ev = { "RequestConfirmation", DEV, 123456,
		false, false, "rejected by policy" };

	add_dut(true, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	engine_agent_event(eng, &ev);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(300);
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_UNEXPECTED_PAIRING_REQUEST);
	ck_assert_int_eq(count_events("\"type\":\"agent\",\"t\""), 3);
}
END_TEST

START_TEST(a_healthy_reconnect_passes_with_its_latency)
{
	add_dut(true, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(40);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(1);
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(count_events("\"latency_ms\":40"), 1);
}
END_TEST

/*
 * The previous link's Connected=false comes after this reconnect's
 * Connect() (the QEMU tier's phone line: a disconnect step that ended on
 * ServicesResolved=false and its reply), and Connect() succeeds before
 * this link's Connected=true: the attempt waits for its link and passes.
 */
START_TEST(the_previous_links_late_drop_is_not_this_attempts)
{
	add_dut(true, false);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(160);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(700);
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(300);
	ck_assert(!F.finished);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
	advance(1);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(count_events("the previous link's, late"), 1);
}
END_TEST

START_TEST(expect_waits_for_its_timeout)
{
	add_dut(true, false);
	start("expect connected=yes timeout=1s\nexpect paired=no\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(300);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	advance(1);
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_EXPECTATION_FAILED);
	ck_assert_int_eq(F.result.fail_line, 2);
	ck_assert_int_eq(count_events("paired is yes, expected no"), 2);
}
END_TEST

START_TEST(reboot_runs_the_reboot_command_and_waits_for_the_dut)
{
	add_dut(true, false);
	start("reboot\n", "mpremote reset");
	engine_bluez_available(eng, true, NULL);
	/* --reboot-cmd overrides: the command runs, its output is logged */
	ck_assert_str_eq(F.command, "mpremote reset");
	ck_assert_int_eq(count_events("\"line\":\"resetting\""), 1);
	F.cmd_done(0, NULL, F.cmd_ud);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	advance(1500);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(count_events("\"advertising_after_ms\":1500"), 1);
}
END_TEST

START_TEST(bluetoothd_leaving_mid_run_is_an_environment_error)
{
	add_dut(true, false);
	start("sleep 10s\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(100);
	engine_bluez_available(eng, false, "nobody owns org.bluez");
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_ERROR);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_int_eq(F.result.verdict, VERDICT_ENVIRONMENT_ERROR);
	/* with bluetoothd gone, nothing is asked of it on the way out */
	ck_assert_ptr_null(pending(BLUEZ_OP_STOP_DISCOVERY));
}
END_TEST

START_TEST(no_bluetoothd_is_an_environment_error_at_once)
{
	start("scan\n", NULL);
	engine_bluez_available(eng, false, "nobody owns org.bluez");
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_ptr_nonnull(strstr(F.result.message, "not running"));
}
END_TEST

START_TEST(a_bluetoothd_that_never_answers_times_out)
{
	start("scan\n", NULL);
	advance(4999);
	ck_assert(!F.finished);
	advance(1);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_ptr_nonnull(strstr(F.result.message, "bluetoothd"));
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(F.events, 0),
		"run-start"));
	ck_assert_ptr_nonnull(strstr(last_event(), "run-end"));
}
END_TEST

START_TEST(an_interrupt_ends_the_run_cleanly)
{
	add_dut(true, false);
	start("scan\nsleep 1m\n", NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	engine_interrupt(eng);
	/* discovery stopped, agent unregistered, then the end is written */
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_INTERRUPTED);
	ck_assert_int_eq(F.result.exit_status, 130);
	ck_assert_int_eq(F.unregistered, 1);
	ck_assert_int_eq(count_events("\"result\":\"interrupted\""), 2);
	ck_assert_ptr_nonnull(strstr(last_event(), "run-end"));
}
END_TEST

/* ---- a log that cannot be written ---------------------------------------- */

static struct fcall *expect_call(enum bluez_op op, const char *path,
	const char *arg);

/* The disk fills up now: what the log file has open becomes /dev/full. */
static void fill_the_disk(const char *path)
{
	GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
	const char *name;
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC), n = 0;

	ck_assert(d && full >= 0);
	while ((name = g_dir_read_name(d))) {
		char *link = g_build_filename("/proc/self/fd", name, NULL);
		char *target = g_file_read_link(link, NULL);

		if (target && !strcmp(target, path)) {
			ck_assert(dup2(full, (int)g_ascii_strtoll(name, NULL,
						     10)) >= 0);
			n++;
		}
		g_free(target);
		g_free(link);
	}
	g_dir_close(d);
	close(full);
	ck_assert_int_eq(n, 1);
}

static void log_full_at_start(const char *path)
{
	(void)path;
	F.log_path = "/dev/full";
}

/* a scan that sees the DUT, then a sleep: the disk fills during it, the
 * next event (the DUT's advertisement) is not written */
static void log_full_in_a_step(const char *path)
{
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	add_dut(false, true);
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert(!F.finished);
	fill_the_disk(path);
	set_dev("RSSI", g_variant_new_int16(-40));
}

/* every step passed; the disk fills while cleanup stops discovery */
static void log_full_in_cleanup(const char *path)
{
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	add_dut(false, true);
	advance(1);
	ck_assert(!F.finished);
	expect_call(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL);
	fill_the_disk(path);
}

static const struct {
	const char *scenario;
	void (*before)(const char *path); /* before the run starts */
	void (*during)(const char *path);
	int fail_line; /* the step it ends, 0: none */
} log_lost[] = {
	{ "scan\n", log_full_at_start, NULL, 1 },
	{ "scan\nsleep 1m\n", NULL, log_full_in_a_step, 2 },
	{ "scan\n", NULL, log_full_in_cleanup, 0 },
};

/* A run whose log is lost has shown nothing: environment-error, exit 3,
 * the reason in its result, wherever the writes began to fail (issue 12:
 * --log /dev/full passed). */
START_TEST(a_log_that_cannot_be_written_ends_the_run_as_an_environment_error)
{
	char *path = g_strdup("/tmp/bc-engine-log-XXXXXX");
	int fd = g_mkstemp(path);

	close(fd);
	F.log_path = path;
	if (log_lost[_i].before)
		log_lost[_i].before(path);
	start(log_lost[_i].scenario, NULL);
	engine_bluez_available(eng, true, NULL);
	advance(1);
	if (log_lost[_i].during)
		log_lost[_i].during(path);
	advance(1);
	if (!F.finished && pending(BLUEZ_OP_STOP_DISCOVERY))
		answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_ERROR);
	ck_assert_int_eq(F.result.verdict, VERDICT_ENVIRONMENT_ERROR);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_int_eq(F.result.fail_line, log_lost[_i].fail_line);
	ck_assert_msg(strstr(F.result.message, "No space left on device"), "%s",
		F.result.message);
	/* the sinks (--json, bondcheckd's Event) still hear the end */
	ck_assert_ptr_nonnull(strstr(last_event(), "\"result\":\"error\""));
	ck_assert_int_eq(count_events("\"type\":\"run-end\""), 1);
	unlink(path);
	g_free(path);
}
END_TEST

START_TEST(a_missing_adapter_is_an_environment_error)
{
	model_reset(F.m);
	start("scan\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_ptr_nonnull(strstr(F.result.message, "adapter"));
	ck_assert_int_eq(F.registered, 0);
}
END_TEST

START_TEST(a_lost_cccd_is_subscription_lost)
{
	add_dut(true, false);
	madd(DEV "/service000a/char000b",
		g_variant_new_parsed(
			"{'org.bluez.GattCharacteristic1': {'UUID': "
			"<'00002a6e-0000-1000-8000-00805f9b34fb'>}}"));
	madd(DEV "/service000a/char000b/desc000d",
		g_variant_new_parsed(
			"{'org.bluez.GattDescriptor1': {'UUID': "
			"<'00002902-0000-1000-8000-00805f9b34fb'>}}"));
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("subscribe 2a6e\nexpect connected=no timeout=1s\n"
	      "expect connected=yes timeout=1s\nexpect-notify 2a6e\n",
		NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_START_NOTIFY, NULL, NULL, NULL);
	model_set(F.m, DEV "/service000a/char000b", BLUEZ_IFACE_GATT_CHRC,
		"Notifying", g_variant_new_boolean(TRUE));
	advance(1);
	/* the link drops: the engine gives up its session (no CCCD write) */
	set_dev("Connected", g_variant_new_boolean(FALSE));
	ck_assert_ptr_nonnull(pending(BLUEZ_OP_STOP_NOTIFY));
	answer(BLUEZ_OP_STOP_NOTIFY, NULL, NULL, NULL);
	advance(1);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	advance(1);
	/* expect-notify reads the DUT's own CCCD first */
	ck_assert_ptr_nonnull(pending(BLUEZ_OP_READ_DESC));
	answer(BLUEZ_OP_READ_DESC, NULL, NULL,
		g_variant_new_parsed("([byte 0x00, 0x00],)"));
	advance(1);
	/* the link came back during the run: it is the run's */
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_SUBSCRIPTION_LOST);
	ck_assert_int_eq(F.result.confidence, CONFIDENCE_CONFIRMED);
	ck_assert_int_eq(count_events("\"cccd\":\"0000\""), 1);
	/* no HCI, no simulator: what it did with notifications is unseen */
	ck_assert_ptr_nonnull(strstr(F.result.message,
		"reads 0000 "
		"(notifications off): it did not keep the bonded host's "
		"subscription; whether it still sends notifications is not "
		"seen here"));
}
END_TEST

static void hci(const char *what, int status, int reason);

static void hci_pdu(const char *what, bool sent, int smp_code)
{
	struct engine_hci_event ev = { what, 0, "C0:FF:EE:00:13:42", -1, -1,
		what, -1, NULL, sent, smp_code };

	engine_hci_event(eng, &ev);
}

/* MicroPython's example ignores its CCCD: it notifies with it off. */
START_TEST(a_lost_cccd_says_whether_notifications_still_came)
{
	add_dut(true, false);
	madd(DEV "/service000a/char000b",
		g_variant_new_parsed(
			"{'org.bluez.GattCharacteristic1': {'UUID': "
			"<'00002a6e-0000-1000-8000-00805f9b34fb'>}}"));
	madd(DEV "/service000a/char000b/desc000d",
		g_variant_new_parsed(
			"{'org.bluez.GattDescriptor1': {'UUID': "
			"<'00002902-0000-1000-8000-00805f9b34fb'>}}"));
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("subscribe 2a6e\nexpect connected=no timeout=1s\n"
	      "expect connected=yes timeout=10s\nexpect-notify 2a6e\n",
		NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_START_NOTIFY, NULL, NULL, NULL);
	model_set(F.m, DEV "/service000a/char000b", BLUEZ_IFACE_GATT_CHRC,
		"Notifying", g_variant_new_boolean(TRUE));
	advance(1);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	answer(BLUEZ_OP_STOP_NOTIFY, NULL, NULL, NULL);
	advance(1);
	hci(LOG_HCI_LE_CONNECTION, 0, -1);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	hci_pdu(LOG_HCI_ATT_NOTIFICATION, false, 0);
	advance(1);
	answer(BLUEZ_OP_READ_DESC, NULL, NULL,
		g_variant_new_parsed("([byte 0x00, 0x00],)"));
	advance(1);
	the_run_takes_its_link_down();
	ck_assert_int_eq(F.result.verdict, VERDICT_SUBSCRIPTION_LOST);
	ck_assert_msg(
		strstr(F.result.message,
			"reads 0000 (notifications "
			"off): it did not keep the bonded host's subscription; yet it "
			"sent 1 notification on this link in the "),
		"%s", F.result.message);
	ck_assert_ptr_nonnull(strstr(F.result.message, "(HCI): it notifies "
						       "without the CCCD"));
	ck_assert_int_eq(count_events("\"notifications_seen\":1"), 1);
}
END_TEST

/* NimBLE's event-queue bug: the DUT stops answering mid-pairing. */
START_TEST(a_pairing_that_stalls_says_where_on_hci)
{
	add_dut(false, false);
	start("pair timeout=5s\n", NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(pending(BLUEZ_OP_PAIR));
	hci_pdu(LOG_HCI_SMP_PAIRING_REQUEST, true, 0x01);
	advance(20);
	hci_pdu(LOG_HCI_SMP, false, 0x02);
	advance(10);
	hci_pdu(LOG_HCI_SMP, true, 0x0c);
	advance(5000);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_EXPECTATION_FAILED);
	ck_assert_msg(
		strstr(F.result.message,
			"on HCI the last SMP PDU the "
			"central sent was Pairing Public Key, the last the DUT sent "
			"Pairing Response, 4980 ms before the timeout: the DUT stopped "
			"answering mid-pairing"),
		"%s", F.result.message);
	ck_assert_int_eq(count_events("\"smp_last_sent\":\"Pairing Public "
				      "Key\""),
		1);
}
END_TEST

static void hci(const char *what, int status, int reason)
{
	struct engine_hci_event ev = { what, 0, "C0:FF:EE:00:13:42", status,
		reason, what, -1, NULL };

	engine_hci_event(eng, &ev);
}

/* What real BlueZ 5.66 does when the DUT lost the key (QEMU tier). */
START_TEST(hci_key_missing_confirms_peer_removed_pairing)
{
	add_dut(true, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	hci("encryption-change", 0x06, -1);
	hci("disconnect", 0, 0x05);
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_PEER_REMOVED_PAIRING);
	ck_assert_int_eq(F.result.confidence, CONFIDENCE_CONFIRMED);
	ck_assert_int_eq(count_events("\"type\":\"hci\""), 2);
}
END_TEST

/*
 * Two links of bluetoothd 5.66 in the QEMU tier where nothing was the
 * firmware's: Connect() succeeds and Connected goes false without ever
 * going true (bluetoothd never reported the link it brought up and
 * encrypted: "already connected"); or Connected=true, HCI shows the bond's
 * key encrypt the link, and it drops before services resolve (the DUT's
 * bluetoothd never attached ATT). The engine calls Connect() once more; a
 * second such link, or a security failure, is classified.
 */
static const struct unreported_case {
	bool hci;       /* the HCI monitor saw the link */
	int encryption; /* its Encryption Change status */
	bool reported;  /* bluetoothd said Connected=true */
	bool again;     /* the second Connect() goes the same way */
	enum verdict want;
	const char *retry; /* connect_retry, NULL: no second Connect() */
	const char *rule;
} unreported_cases[] = {
	{ false, 0, false, false, VERDICT_PASS, "unreported-link-dropped",
		NULL },
	{ true, 0, false, false, VERDICT_PASS, "unreported-link-dropped",
		"(HCI: LE Connection Complete 0x00, encryption on): Connect() "
		"again, once" },
	{ false, 0, false, true, VERDICT_RECONNECT_TIMEOUT,
		"unreported-link-dropped",
		"Connect() succeeded twice, but bluetoothd never reported" },
	{ true, 0, false, true, VERDICT_RECONNECT_TIMEOUT,
		"unreported-link-dropped",
		"Connect() succeeded twice, but bluetoothd never reported" },
	/* the key was refused: the firmware's, no second attempt */
	{ true, 0x06, false, false, VERDICT_PEER_REMOVED_PAIRING, NULL,
		"encryption with the bond's key failed" },
	{ true, 0x06, true, false, VERDICT_PEER_REMOVED_PAIRING, NULL,
		"encryption with the bond's key failed" },
	/* reported, encrypted with the bond's key, dropped before services */
	{ true, 0, true, false, VERDICT_PASS, "encrypted-link-dropped",
		"after the bond's key had encrypted it (HCI Encryption Change "
		"0x00): Connect() again, once" },
	{ true, 0, true, true, VERDICT_RECONNECT_TIMEOUT,
		"encrypted-link-dropped",
		"the link dropped before services resolved, after the bond's "
		"key had encrypted it" },
	/* without HCI nothing says the key worked: as before */
	{ false, 0, true, false, VERDICT_PEER_REMOVED_PAIRING, NULL,
		"the link dropped before services resolved, with a bond" },
};

static unsigned connect_calls(void)
{
	unsigned n = 0;

	for (guint i = 0; i < F.calls->len; i++)
		n += ((struct fcall *)g_ptr_array_index(F.calls, i))->op ==
		     BLUEZ_OP_CONNECT;
	return n;
}

static void unreported_link(const struct unreported_case *k)
{
	if (k->hci) {
		hci("le-connection", 0, -1);
		if (k->reported)
			set_dev("Connected", g_variant_new_boolean(TRUE));
		hci("encryption-change", k->encryption, -1);
	} else if (k->reported) {
		set_dev("Connected", g_variant_new_boolean(TRUE));
	}
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(100);
	ck_assert(!F.finished);
	if (k->hci)
		hci("disconnect", 0, k->encryption ? 0x05 : 0x13);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(1);
}

START_TEST(a_link_bluetoothd_never_made_usable_is_connected_again_once)
{
	const struct unreported_case *k = &unreported_cases[_i];
	char *retry = g_strdup_printf("\"connect_retry\":\"%s\"",
		k->retry ? k->retry : "");

	add_dut(true, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(40);
	unreported_link(k);
	if (k->retry) {
		ck_assert_msg(pending(BLUEZ_OP_CONNECT), "no second Connect()");
		if (k->again) {
			unreported_link(k);
		} else {
			set_dev("Connected", g_variant_new_boolean(TRUE));
			set_dev("ServicesResolved",
				g_variant_new_boolean(TRUE));
			answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
			advance(1);
		}
	}
	advance(300);
	if (k->want == VERDICT_PASS)
		the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(count_events("Connect() again, once"), !!k->retry);
	ck_assert_msg(F.result.verdict == k->want, "%s",
		verdict_to_str(F.result.verdict));
	ck_assert_uint_eq(connect_calls(), k->retry ? 2 : 1);
	ck_assert_int_eq(count_events(retry), !!k->retry);
	if (k->rule)
		ck_assert_int_ge(count_events(k->rule), 1);
	g_free(retry);
}
END_TEST

/* Real BlueZ with a Just Works bond and a DUT asking for MITM: the
 * key works, then the host pairs again and fails (QEMU tier). */
START_TEST(a_new_pairing_over_the_bond_on_hci_is_unexpected)
{
	add_dut(true, false);
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	hci("smp-security-request", -1, -1);
	hci("encryption-change", 0x00, -1);
	hci("smp-pairing-request", -1, -1);
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	hci("smp-pairing-failed", -1, 0x0f);
	hci("disconnect", 0, 0x05);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
	ck_assert(F.finished);
	ck_assert_msg(F.result.verdict == VERDICT_UNEXPECTED_PAIRING_REQUEST,
		"%s", verdict_to_str(F.result.verdict));
	ck_assert_int_eq(F.result.confidence, CONFIDENCE_CONFIRMED);
}
END_TEST

static void add_temp(const char *svc, const char *chr)
{
	char *path = g_strdup_printf(DEV "/%s/%s", svc, chr);

	madd(path, g_variant_new_parsed(
			   "{'org.bluez.GattCharacteristic1': {'UUID': "
			   "<'00002a6e-0000-1000-8000-00805f9b34fb'>}}"));
	g_free(path);
}

/* Real bluetoothd replaces GATT objects under new handles when the DUT's
 * database changed (seen in the QEMU tier right after pairing): the read
 * finds the characteristic again and is done there, not failed. */
START_TEST(a_read_follows_the_characteristic_to_its_new_object)
{
	struct fcall *c;
	GVariant *gone;

	add_dut(true, false);
	add_temp("service001c", "char001d");
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("read 2a6e\n", NULL);
	engine_bluez_available(eng, true, NULL);
	c = pending(BLUEZ_OP_READ);
	ck_assert_str_eq(c->path, DEV "/service001c/char001d");
	gone = g_variant_ref_sink(
		g_variant_new_parsed("['org.bluez.GattCharacteristic1']"));
	model_remove(F.m, DEV "/service001c/char001d", gone);
	g_variant_unref(gone);
	answer(BLUEZ_OP_READ, DBUS_ERR_UNKNOWN_OBJECT,
		"Method \"ReadValue\" "
		"doesn't exist",
		NULL);
	ck_assert(!F.finished);
	ck_assert_ptr_null(pending(BLUEZ_OP_READ));
	add_temp("service0023", "char0024");
	c = pending(BLUEZ_OP_READ);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, DEV "/service0023/char0024");
	answer(BLUEZ_OP_READ, NULL, NULL,
		g_variant_new_parsed("([byte 0x66, 0x08],)"));
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(count_events("\"gatt_objects_replaced\":1"), 1);
}
END_TEST

/* ...but a characteristic that never comes back is a GATT error in time. */
START_TEST(a_characteristic_that_stays_gone_times_out)
{
	GVariant *gone;

	add_dut(true, false);
	add_temp("service001c", "char001d");
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("read 2a6e timeout=2s\n", NULL);
	engine_bluez_available(eng, true, NULL);
	gone = g_variant_ref_sink(
		g_variant_new_parsed("['org.bluez.GattCharacteristic1']"));
	model_remove(F.m, DEV "/service001c/char001d", gone);
	g_variant_unref(gone);
	answer(BLUEZ_OP_READ, DBUS_ERR_UNKNOWN_OBJECT, "gone", NULL);
	advance(1999);
	ck_assert(!F.finished);
	advance(1);
	ck_assert(F.finished);
	ck_assert_msg(F.result.verdict == VERDICT_GATT_ERROR, "%s: %s",
		verdict_to_str(F.result.verdict), F.result.message);
}
END_TEST

/* ---- the step families, table-driven ------------------------------------ */

/*
 * Each case: a scenario, the world before the run, how BlueZ (the test)
 * answers, and what the run must end with. Evidence needles are looked for
 * in the last step-end line, where a failing step's evidence is.
 */

static void mremove(const char *path, const char *iface)
{
	GVariant *ifs = g_variant_ref_sink(g_variant_new_strv(&iface, 1));

	model_remove(F.m, path, ifs);
	g_variant_unref(ifs);
}

static struct fcall *expect_call(enum bluez_op op, const char *path,
	const char *arg)
{
	struct fcall *c = pending(op);

	ck_assert_msg(c, "no pending %s", bluez_op_to_str(op));
	if (path)
		ck_assert_str_eq(c->path, path);
	if (arg)
		ck_assert_msg(c->arg && strstr(c->arg, arg), "%s(%s): no '%s'",
			bluez_op_to_str(op), c->arg ? c->arg : "", arg);
	return c;
}

/*
 * The run brought the DUT's link up: on its way out, whatever its outcome,
 * it disconnects, and is done when the link drops (bluetoothd answers
 * Disconnect() only after its 2 s timer).
 */
static void the_run_takes_its_link_down(void)
{
	ck_assert_msg(!F.finished, "the run ended with its link up");
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(1);
}

static void add_device(const char *path, const char *addr, const char *type,
	const char *name)
{
	char *ifs = g_strdup_printf(
		"{'org.bluez.Device1': {'Address': <'%s'>, "
		"'AddressType': <'%s'>, 'Name': <'%s'>, 'Paired': <false>, "
		"'Connected': <false>, 'RSSI': <int16 -60>}}",
		addr, type, name);

	madd(path, g_variant_new_parsed(ifs));
	g_free(ifs);
}

#define CHR DEV "/service000a/char000b"

static void w_unbonded(void)
{
	add_dut(false, false);
}

static void w_bonded(void)
{
	add_dut(true, false);
}

static void w_connected(void)
{
	add_dut(true, false);
	set_dev("Connected", g_variant_new_boolean(TRUE));
}

static void w_gatt(void)
{
	w_connected();
	add_temp("service000a", "char000b");
}

/* pair: Pairable on, then Pair() through our agent */
static void pair_answered(bool paired, bool bonded)
{
	set_dev("Paired", g_variant_new_boolean(paired));
	set_dev("Bonded", g_variant_new_boolean(bonded));
	answer(BLUEZ_OP_PAIR, NULL, NULL, NULL);
}

static void d_pair_bonds(void)
{
	expect_call(BLUEZ_OP_SET_PAIRABLE, "/org/bluez/hci0", "true");
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	expect_call(BLUEZ_OP_PAIR, DEV, NULL);
	ck_assert(F.accept);
	ck_assert_int_eq(F.passkey, 123456);
	ck_assert_str_eq(F.target, DEV);
	advance(250);
	pair_answered(true, true);
}

static void d_pair_no_bond(void)
{
	expect_call(BLUEZ_OP_SET_PAIRABLE, NULL, "false");
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	pair_answered(true, false);
}

static void d_pair_fails(void)
{
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	answer(BLUEZ_OP_PAIR, BLUEZ_ERR_AUTH_FAILED, "Authentication Failed",
		NULL);
}

static void d_pair_no_bonded(void)
{
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	pair_answered(true, false);
}

static void d_pair_not_paired(void)
{
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	pair_answered(false, false);
}

static void d_pairable_fails(void)
{
	answer(BLUEZ_OP_SET_PAIRABLE, BLUEZ_ERR_FAILED, "Not Powered", NULL);
}

/* already bonded: RemoveDevice, wait for the object to go, find it again */
static void repair(void)
{
	expect_call(BLUEZ_OP_REMOVE_DEVICE, "/org/bluez/hci0", DEV);
	answer(BLUEZ_OP_REMOVE_DEVICE, NULL, NULL, NULL);
	ck_assert_ptr_null(pending(BLUEZ_OP_SET_DISCOVERY_FILTER));
	mremove(DEV, BLUEZ_IFACE_DEVICE);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	add_dut(false, true);
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	pair_answered(true, true);
}

static void d_repair(void)
{
	repair();
	ck_assert_int_eq(F.registered, 1);
}

static void d_pair_twice(void)
{
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	pair_answered(true, true);
	advance(1);
	repair();
	ck_assert_int_eq(F.registered, 2);
	ck_assert_str_eq(F.cap, "NoInputNoOutput");
}

static void d_pair_remove_fails(void)
{
	answer(BLUEZ_OP_REMOVE_DEVICE, BLUEZ_ERR_NOT_READY,
		"Resource Not "
		"Ready",
		NULL);
}

static void d_pair_hangs(void)
{
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	advance(1999);
	ck_assert(!F.finished);
	advance(1);
}

/* trust: Trusted=true, done when the property says so */
static void d_trust(void)
{
	expect_call(BLUEZ_OP_SET_TRUSTED, DEV, "true");
	answer(BLUEZ_OP_SET_TRUSTED, NULL, NULL, NULL);
	advance(1);
	ck_assert(!F.finished);
	set_dev("Trusted", g_variant_new_boolean(TRUE));
}

static void d_trust_before_reply(void)
{
	set_dev("Trusted", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_SET_TRUSTED, NULL, NULL, NULL);
}

static void d_trust_fails(void)
{
	answer(BLUEZ_OP_SET_TRUSTED, BLUEZ_ERR_FAILED, "Set Trusted failed",
		NULL);
}

static void d_trust_hangs(void)
{
	answer(BLUEZ_OP_SET_TRUSTED, NULL, NULL, NULL);
	advance(5000);
}

/* disconnect: done when Connected falls */
static void d_nothing(void)
{
}

static void d_disconnect_idle(void)
{
	ck_assert_ptr_null(pending(BLUEZ_OP_DISCONNECT));
}

static void d_disconnect(void)
{
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
	answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
	advance(1);
	ck_assert(!F.finished);
	set_dev("Connected", g_variant_new_boolean(FALSE));
}

static void d_disconnect_fails(void)
{
	answer(BLUEZ_OP_DISCONNECT, BLUEZ_ERR_NOT_CONNECTED, "Not Connected",
		NULL);
}

static void d_disconnect_hangs(void)
{
	answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
	advance(1000);
}

/* write: WriteValue with the type asked for */
static void d_write_request(void)
{
	expect_call(BLUEZ_OP_WRITE, CHR, "[0x01, 0xff], 'request'");
	answer(BLUEZ_OP_WRITE, NULL, NULL, NULL);
}

static void d_write_command(void)
{
	expect_call(BLUEZ_OP_WRITE, CHR, "'command'");
	answer(BLUEZ_OP_WRITE, NULL, NULL, NULL);
}

static void d_write_refused(void)
{
	answer(BLUEZ_OP_WRITE, BLUEZ_ERR_NOT_PERMITTED, "Write not permitted",
		NULL);
}

static void d_write_link_drops(void)
{
	set_dev("Connected", g_variant_new_boolean(FALSE));
	answer(BLUEZ_OP_WRITE, BLUEZ_ERR_FAILED, "Not connected", NULL);
}

static void d_write_hangs(void)
{
	advance(1000);
}

/* remove-bond: RemoveDevice, done when the object is gone */
static void d_remove(void)
{
	expect_call(BLUEZ_OP_REMOVE_DEVICE, "/org/bluez/hci0", DEV);
	answer(BLUEZ_OP_REMOVE_DEVICE, NULL, NULL, NULL);
	advance(1);
	ck_assert(!F.finished);
	mremove(DEV, BLUEZ_IFACE_DEVICE);
}

static void d_remove_gone_first(void)
{
	mremove(DEV, BLUEZ_IFACE_DEVICE);
	answer(BLUEZ_OP_REMOVE_DEVICE, BLUEZ_ERR_DOES_NOT_EXIST,
		"Does Not "
		"Exist",
		NULL);
}

static void d_remove_fails(void)
{
	answer(BLUEZ_OP_REMOVE_DEVICE, BLUEZ_ERR_NOT_READY,
		"Resource Not "
		"Ready",
		NULL);
}

static void d_remove_hangs(void)
{
	answer(BLUEZ_OP_REMOVE_DEVICE, NULL, NULL, NULL);
	advance(10000);
}

static void d_remove_forgets_subscriptions(void)
{
	answer(BLUEZ_OP_START_NOTIFY, NULL, NULL, NULL);
	model_set(F.m, CHR, BLUEZ_IFACE_GATT_CHRC, "Notifying",
		g_variant_new_boolean(TRUE));
	advance(1);
	answer(BLUEZ_OP_REMOVE_DEVICE, NULL, NULL, NULL);
	mremove(DEV, BLUEZ_IFACE_DEVICE);
}

/* reboot by --reboot-cmd; the DUT comes back as someone else, or itself */
static void rebooted(void)
{
	F.cmd_done(0, NULL, F.cmd_ud);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	advance(700);
}

static void d_new_identity(void)
{
	rebooted();
	add_device("/org/bluez/hci0/dev_D4_11_22_33_44_55", "D4:11:22:33:44:55",
		"random", "mpy-temp");
	/* the run stops its discovery on the way out */
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
}

static void d_stranger_appears(void)
{
	rebooted();
	add_device("/org/bluez/hci0/dev_D4_11_22_33_44_55", "D4:11:22:33:44:55",
		"random", "someone-else");
	ck_assert(!F.finished);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
}

static void d_identity_before_trigger(void)
{
	/* seen before the trigger finished: still the DUT under a new name */
	add_device("/org/bluez/hci0/dev_D4_11_22_33_44_55", "D4:11:22:33:44:55",
		"random", "mpy-temp");
}

/* reboot: the other triggers and where a reboot can stick */
static void d_sim_reboot(void)
{
	expect_call(BLUEZ_OP_SIM_REBOOT, "/org/bondcheck/sim", NULL);
	answer(BLUEZ_OP_SIM_REBOOT, NULL, NULL, NULL);
	advance(100);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	advance(400);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
}

static void d_sim_reboot_link_stays(void)
{
	answer(BLUEZ_OP_SIM_REBOOT, NULL, NULL, NULL);
	advance(2000);
}

static void d_sim_reboot_fails(void)
{
	answer(BLUEZ_OP_SIM_REBOOT, DBUS_ERR_SERVICE_UNKNOWN, "no sim", NULL);
}

static void d_trigger_hangs(void)
{
	advance(2000);
}

static void d_trigger_exits_2(void)
{
	advance(1);
	F.cmd_done(2, NULL, F.cmd_ud);
}

static void d_never_back(void)
{
	rebooted();
	advance(1300);
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
}

static void d_gatt_reboot(void)
{
	expect_call(BLUEZ_OP_WRITE, DEV "/service0010/char0011",
		"[0x01], 'request'");
	/* the DUT resets before it answers */
	set_dev("Connected", g_variant_new_boolean(FALSE));
	answer(BLUEZ_OP_WRITE, DBUS_ERR_NO_REPLY, "Did not receive a reply",
		NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
}

static void w_reboot_chr(void)
{
	w_connected();
	madd(DEV "/service0010/char0011",
		g_variant_new_parsed(
			"{'org.bluez.GattCharacteristic1': {'UUID': "
			"<'b0dc0002-0000-4000-8000-00805f9b34fb'>}}"));
}

static void d_manual_reboot(void)
{
	ck_assert_ptr_nonnull(F.prompt);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
}

/* connect, scan, GATT reads and notifications */
static void d_connect(void)
{
	expect_call(BLUEZ_OP_CONNECT, DEV, NULL);
	ck_assert(F.accept);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(30);
	ck_assert(!F.finished);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
}

static void w_resolved(void)
{
	w_gatt();
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
}

static void w_in_range(void)
{
	add_dut(false, true);
}

static void d_read_other_value(void)
{
	answer(BLUEZ_OP_READ, NULL, NULL,
		g_variant_new_parsed("([byte 0x66, 0x08],)"));
}

static void d_subscribe_notify(void)
{
	expect_call(BLUEZ_OP_START_NOTIFY, CHR, NULL);
	answer(BLUEZ_OP_START_NOTIFY, NULL, NULL, NULL);
	ck_assert(!F.finished);
	model_set(F.m, CHR, BLUEZ_IFACE_GATT_CHRC, "Notifying",
		g_variant_new_boolean(TRUE));
	advance(1);
	model_set(F.m, CHR, BLUEZ_IFACE_GATT_CHRC, "Value",
		g_variant_new_parsed("[byte 0x01, 0x02]"));
}

/* a notification, then time passes: it came before the next step */
static void d_subscribe_notify_then_wait(void)
{
	d_subscribe_notify();
	advance(600);
}

static void d_read_not_permitted(void)
{
	answer(BLUEZ_OP_READ, "org.bluez.Error.NotPermitted",
		"Read not permitted", NULL);
}

static void d_read_att_0x80(void)
{
	answer(BLUEZ_OP_READ, "org.bluez.Error.Failed",
		"Operation failed with ATT error: 0x80", NULL);
}

static void d_write_ok(void)
{
	answer(BLUEZ_OP_WRITE, NULL, NULL, NULL);
}

/* what the DUT advertises, as bluetoothd keeps it */
static void w_advertised(void)
{
	w_resolved();
	set_dev("Name", g_variant_new_string("mpy-temp"));
	set_dev("UUIDs", g_variant_new_parsed(
				 "['0000181a-0000-1000-8000-00805f9b34fb']"));
	set_dev("Appearance", g_variant_new_uint16(768));
	set_dev("ManufacturerData",
		g_variant_new_parsed("{uint16 0x05f1: <[byte 0x01, 0x02]>}"));
}

/* the name comes with a later advertisement */
static void d_name_changes(void)
{
	advance(100);
	ck_assert(!F.finished);
	set_dev("Name", g_variant_new_string("thermo"));
}

static void d_subscribe_silence(void)
{
	answer(BLUEZ_OP_START_NOTIFY, NULL, NULL, NULL);
	model_set(F.m, CHR, BLUEZ_IFACE_GATT_CHRC, "Notifying",
		g_variant_new_boolean(TRUE));
	advance(1000);
}

/* bluetoothd may answer Connect() before it sets Connected (QEMU tier) */
static void d_reply_before_connected(void)
{
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(400);
	ck_assert(!F.finished);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	advance(100);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
}

static void d_reply_then_nothing(void)
{
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(14999);
	ck_assert(!F.finished);
	advance(1);
}

/* bluetoothd 5.66 under load: "device_add_connection() ... is already
 * connected", so no Connected=true at all (QEMU tier) */
static void d_connected_never_said(void)
{
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(220);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
	advance(1);
	ck_assert_int_eq(count_events("services resolved, but bluetoothd "
				      "never said Connected"),
		1);
	ck_assert_int_eq(count_events("\"latency_ms\":220"), 1);
	/* the next step still sees the link */
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
	answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
	set_dev("ServicesResolved", g_variant_new_boolean(FALSE));
	set_dev("Connected", g_variant_new_boolean(FALSE));
}

static const struct engine_case {
	const char *name;
	const char *scenario;
	const char *reboot_cmd;
	void (*world)(void);
	void (*drive)(void);
	enum engine_outcome outcome;
	enum verdict verdict;
	enum confidence confidence;
	int fail_line;
	const char *evidence[4]; /* in the last step-end */
} engine_cases[] = {
	/* pair */
	{ "pair_bonds_through_our_agent", "pair passkey=123456\n", NULL,
		w_unbonded, d_pair_bonds, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "\"io\":\"KeyboardDisplay\"", "\"pairing_ms\":250",
			"Paired=true" } },
	{ "pair_bond_no_wants_no_bond", "pair bond=no io=NoInputNoOutput\n",
		NULL, w_unbonded, d_pair_no_bond, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"io\":\"NoInputNoOutput\"" } },
	{ "pair_refused_by_bluez_is_expectation_failed", "pair\n", NULL,
		w_unbonded, d_pair_fails, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "\"dbus_error\":{\"name\":\"org.bluez.Error."
		  "AuthenticationFailed\",\"message\":\"Authentication "
		  "Failed\"}",
			"pairing failed: org.bluez.Error."
			"AuthenticationFailed Authentication Failed",
			"Pair -> org.bluez.Error.AuthenticationFailed" } },
	{ "pair_bond_yes_without_bonded_fails", "pair\n", NULL, w_unbonded,
		d_pair_no_bonded, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "paired with bond=yes, but Bonded is false" } },
	{ "pair_without_paired_fails", "pair\n", NULL, w_unbonded,
		d_pair_not_paired, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "Pair() succeeded but Paired is not true" } },
	{ "pair_without_pairable_is_an_environment_error", "pair\n", NULL,
		w_unbonded, d_pairable_fails, ENGINE_OUTCOME_ERROR,
		VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE, 1,
		{ "cannot set the adapter's Pairable",
			"\"result\":\"error\"" } },
	{ "pair_over_a_bond_removes_it_and_finds_the_dut_again", "pair\n", NULL,
		w_bonded, d_repair, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "already paired: removing the host's "
		  "bond first",
			"the device object was removed" } },
	{ "a_second_pair_with_another_io_registers_the_agent_again",
		"pair\npair io=NoInputNoOutput\n", NULL, w_unbonded,
		d_pair_twice, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "agent re-registered as NoInputNoOutput",
			"\"io\":\"NoInputNoOutput\"" } },
	{ "pair_that_cannot_remove_the_old_bond_is_an_environment_error",
		"pair\n", NULL, w_bonded, d_pair_remove_fails,
		ENGINE_OUTCOME_ERROR, VERDICT_ENVIRONMENT_ERROR,
		CONFIDENCE_NONE, 1, { "cannot remove the old bond" } },
	{ "pair_before_the_dut_is_known_fails", "pair\n", NULL, NULL, d_nothing,
		ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1, { "the DUT is not known to BlueZ yet" } },
	{ "pair_that_hangs_times_out", "pair timeout=2s\n", NULL, w_unbonded,
		d_pair_hangs, ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1,
		{ "pair did not complete within 2s", "timeout (2s)" } },
	/* trust */
	{ "trust_passes_when_trusted_turns_true", "trust\n", NULL, w_unbonded,
		d_trust, ENGINE_OUTCOME_PASSED, VERDICT_PASS, CONFIDENCE_NONE,
		0, { "Trusted=true", "Set(Trusted) -> ok" } },
	{ "trust_passes_when_trusted_is_true_at_the_reply", "trust\n", NULL,
		w_unbonded, d_trust_before_reply, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0, { "Trusted=true" } },
	{ "trust_refused_is_expectation_failed", "trust\n", NULL, w_unbonded,
		d_trust_fails, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "setting Trusted failed", "\"dbus_error\":{\"name\":"
					    "\"org.bluez.Error.Failed\"" } },
	{ "trust_before_the_dut_is_known_fails", "trust\n", NULL, NULL,
		d_nothing, ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1, { "the DUT is not known yet" } },
	{ "trust_that_never_shows_times_out", "trust\n", NULL, w_unbonded,
		d_trust_hangs, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "trust did not complete within 5s" } },
	/* disconnect */
	{ "disconnect_without_a_link_passes_at_once", "disconnect\n", NULL,
		w_unbonded, d_disconnect_idle, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0, { "\"timeline\":[]" } },
	{ "disconnect_waits_for_the_link_to_drop", "disconnect\n", NULL,
		w_connected, d_disconnect, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0, { "Disconnect -> ok", "Connected=false" } },
	{ "disconnect_refused_is_expectation_failed", "disconnect\n", NULL,
		w_connected, d_disconnect_fails, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "Disconnect failed", "org.bluez.Error.NotConnected" } },
	{ "a_link_that_stays_up_times_out", "disconnect timeout=1s\n", NULL,
		w_connected, d_disconnect_hangs, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "disconnect did not complete within 1s" } },
	/* write */
	{ "write_sends_a_write_request", "write 2a6e 01ff\n", NULL, w_gatt,
		d_write_request, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0, { "WriteValue -> ok" } },
	{ "write_type_command_sends_a_command", "write 2a6e 00 type=command\n",
		NULL, w_gatt, d_write_command, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0, { "WriteValue -> ok" } },
	{ "a_refused_write_is_a_gatt_error", "write 2a6e 01\n", NULL, w_gatt,
		d_write_refused, ENGINE_OUTCOME_FAILED, VERDICT_GATT_ERROR,
		CONFIDENCE_NONE, 1,
		{ "WriteValue failed: org.bluez.Error."
		  "NotPermitted Write not permitted",
			"\"dbus_error\":{\"name\":\"org.bluez.Error."
			"NotPermitted\"" } },
	{ "a_write_without_the_characteristic_is_a_gatt_error",
		"write 2a6e 01\n", NULL, w_connected, d_nothing,
		ENGINE_OUTCOME_FAILED, VERDICT_GATT_ERROR, CONFIDENCE_NONE, 1,
		{ "the DUT has no characteristic 00002a6e-0000-1000-8000-"
		  "00805f9b34fb (not connected, or services not resolved "
		  "yet)" } },
	{ "a_write_whose_bonded_link_drops_is_peer_removed_pairing",
		"write 2a6e 01\n", NULL, w_gatt, d_write_link_drops,
		ENGINE_OUTCOME_FAILED, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_INFERRED, 1,
		{ "\"rule\":\"the link dropped before "
		  "services resolved",
			"Connected=false" } },
	{ "a_write_without_an_answer_times_out", "write 2a6e 01 timeout=1s\n",
		NULL, w_gatt, d_write_hangs, ENGINE_OUTCOME_FAILED,
		VERDICT_GATT_ERROR, CONFIDENCE_NONE, 1,
		{ "write did not complete within 1s" } },
	/* remove-bond */
	{ "remove_bond_waits_for_the_device_object_to_go", "remove-bond\n",
		NULL, w_bonded, d_remove, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "RemoveDevice -> ok", "the device object was removed" } },
	{ "remove_bond_of_an_unknown_dut_has_nothing_to_do", "remove-bond\n",
		NULL, NULL, d_nothing, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "BlueZ does not know the DUT: nothing to "
		  "remove" } },
	{ "remove_bond_of_a_device_already_gone_passes", "remove-bond\n", NULL,
		w_bonded, d_remove_gone_first, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "RemoveDevice -> org.bluez.Error.DoesNotExist" } },
	{ "remove_bond_refused_is_expectation_failed", "remove-bond\n", NULL,
		w_bonded, d_remove_fails, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "RemoveDevice failed", "org.bluez.Error.NotReady" } },
	{ "a_device_object_that_stays_times_out", "remove-bond\n", NULL,
		w_bonded, d_remove_hangs, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "remove-bond did not complete within 10s" } },
	{ "remove_bond_forgets_the_subscriptions",
		"subscribe 2a6e\nremove-bond\nexpect-notify 2a6e\n", NULL,
		w_gatt, d_remove_forgets_subscriptions, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 3,
		{ "no subscription to 00002a6e-0000-1000-8000-00805f9b34fb: "
		  "add a subscribe step first" } },
	/* identity-changed */
	{ "a_dut_back_under_a_new_address_is_identity_changed", "reboot\n",
		"reset-dut", w_bonded, d_new_identity, ENGINE_OUTCOME_FAILED,
		VERDICT_IDENTITY_CHANGED, CONFIDENCE_INFERRED, 1,
		{ "\"new_address\":\"D4:11:22:33:44:55\"",
			"\"new_address_type\":\"random\"",
			"\"old_address\":\"C0:FF:EE:00:13:42\"",
			"a new device 'mpy-temp' at D4:11:22:33:44:55 (random) "
			"appeared" } },
	{ "another_device_during_a_reboot_is_not_the_dut", "reboot\n",
		"reset-dut", w_bonded, d_stranger_appears,
		ENGINE_OUTCOME_PASSED, VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"advertising_after_ms\":700", "advertising again" } },
	{ "a_new_identity_while_the_trigger_runs_is_identity_changed",
		"reboot\n", "reset-dut", w_bonded, d_identity_before_trigger,
		ENGINE_OUTCOME_FAILED, VERDICT_IDENTITY_CHANGED,
		CONFIDENCE_INFERRED, 1,
		{ "the DUT 'mpy-temp' came back as "
		  "D4:11:22:33:44:55 (random) instead of "
		  "C0:FF:EE:00:13:42" } },
	/* reboot */
	{ "a_sim_reboot_waits_for_the_link_to_drop_and_the_dut_to_return",
		"reboot via=sim\n", NULL, w_connected, d_sim_reboot,
		ENGINE_OUTCOME_PASSED, VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"via\":\"sim\"", "\"link_lost_after_ms\":100",
			"\"advertising_after_ms\":500",
			"trigger via sim (link up)" } },
	{ "a_reboot_whose_link_stays_up_says_so", "reboot via=sim timeout=2s\n",
		NULL, w_connected, d_sim_reboot_link_stays,
		ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1,
		{ "the link never dropped within 2s: did "
		  "the DUT reboot?" } },
	{ "a_failed_sim_reboot_is_an_environment_error", "reboot via=sim\n",
		NULL, w_connected, d_sim_reboot_fails, ENGINE_OUTCOME_ERROR,
		VERDICT_ENVIRONMENT_ERROR, CONFIDENCE_NONE, 1,
		{ "Sim1.Reboot failed" } },
	{ "a_reboot_command_that_never_ends_times_out", "reboot timeout=2s\n",
		"reset-dut", w_bonded, d_trigger_hangs, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "the reboot trigger did not finish within 2s" } },
	{ "a_reboot_command_that_exits_non_zero_fails_at_once",
		"reboot timeout=1h\n", "reset-dut", w_bonded, d_trigger_exits_2,
		ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1,
		{ "the reboot command exited with 2: "
		  "resetting",
			"\"trigger_status\":2",
			"\"trigger_output\":[\"resetting\"]" } },
	{ "a_dut_that_never_returns_is_not_advertising", "reboot timeout=2s\n",
		"reset-dut", w_bonded, d_never_back, ENGINE_OUTCOME_FAILED,
		VERDICT_NOT_ADVERTISING, CONFIDENCE_INFERRED, 1,
		{ "after the reboot the DUT did not advertise again within "
		  "2s",
			"\"trigger_status\":0" } },
	{ "a_gatt_reboot_writes_the_reboot_characteristic", "reboot via=gatt\n",
		NULL, w_reboot_chr, d_gatt_reboot, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "the reboot write got no answer", "advertising again" } },
	{ "a_gatt_reboot_without_a_link_fails", "reboot via=gatt\n", NULL,
		w_bonded, d_nothing, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "reboot via=gatt needs a connection and the characteristic "
		  "b0dc0002-0000-4000-8000-00805f9b34fb" } },
	{ "a_manual_reboot_asks_the_person_at_the_bench",
		"reboot "
		"via=manual\n",
		NULL, w_bonded, d_manual_reboot, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"via\":\"manual\"", "trigger via manual (link down)" } },
	/* connect, scan, read, subscribe, expect-notify */
	{ "connect_passes_when_services_resolve", "connect\n", NULL, w_unbonded,
		d_connect, ENGINE_OUTCOME_PASSED, VERDICT_PASS, CONFIDENCE_NONE,
		0, { "\"latency_ms\":30", "ServicesResolved=true" } },
	{ "connect_when_connected_passes_at_once", "connect\n", NULL,
		w_resolved, d_nothing, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0, { "already connected" } },
	{ "connect_before_the_dut_is_known_fails", "connect\n", NULL, NULL,
		d_nothing, ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1, { "add a scan step before this one" } },
	{ "a_scan_with_the_dut_in_range_passes_without_discovery", "scan\n",
		NULL, w_in_range, d_nothing, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"address\":\"C0:FF:EE:00:13:42\"" } },
	{ "a_read_of_another_value_is_expectation_failed",
		"read 2a6e expect=0929\n", NULL, w_resolved, d_read_other_value,
		ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1,
		{ "read 6608, expected 0929", "\"value\":\"6608\"" } },
	{ "subscribe_then_a_notification_passes_expect_notify",
		"subscribe 2a6e\nexpect-notify 2a6e\n", NULL, w_resolved,
		d_subscribe_notify, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0, { "\"notifications\":1" } },
	{ "no_notification_is_expectation_failed",
		"subscribe 2a6e\nexpect-notify 2a6e timeout=999ms\n", NULL,
		w_resolved, d_subscribe_silence, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 2,
		{ "no notification from 00002a6e-0000-1000-8000-00805f9b34fb "
		  "within 999ms" } },
	/* expect-notify expect=, expect-no-notify */
	{ "a_notification_with_the_expected_value_passes",
		"subscribe 2a6e\nexpect-notify 2a6e expect=0102\n", NULL,
		w_resolved, d_subscribe_notify, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"value\":\"0102\"",
			"notification from 00002a6e-0000-1000-8000-00805f9b34fb: "
			"0102" } },
	{ "a_notification_with_another_value_is_expectation_failed",
		"subscribe 2a6e\nexpect-notify 2a6e expect=ffff\n", NULL,
		w_resolved, d_subscribe_notify, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 2,
		{ "the notification from 00002a6e-0000-1000-8000-00805f9b34fb "
		  "carried 0102, expected ffff" } },
	{ "a_notification_while_no_notify_watches_fails_it",
		"subscribe 2a6e\nexpect-no-notify 2a6e for=1s\n", NULL,
		w_resolved, d_subscribe_notify, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 2,
		{ "a notification from 00002a6e-0000-1000-8000-00805f9b34fb "
		  "came 1 ms into the 1000 ms it had to stay quiet (our "
		  "subscription)" } },
	{ "a_notification_before_no_notify_unseen_fails_it",
		"subscribe 2a6e\nsleep 100ms\nexpect-no-notify 2a6e for=1s\n",
		NULL, w_resolved, d_subscribe_notify_then_wait,
		ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 3,
		{ "1 notification from "
		  "00002a6e-0000-1000-8000-00805f9b34fb came before this step, "
		  "since the subscription (our subscription)" } },
	{ "no_notify_after_expect_notify_counts_only_new_ones",
		"subscribe 2a6e\nexpect-notify 2a6e\nexpect-no-notify 2a6e "
		"for=500ms\n",
		NULL, w_resolved, d_subscribe_notify_then_wait,
		ENGINE_OUTCOME_PASSED, VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"notifications\":0",
			"watching "
			"00002a6e-0000-1000-8000-00805f9b34fb for 500 ms (our "
			"subscription)" } },
	{ "no_notify_that_cannot_see_is_an_environment_error",
		"expect-no-notify 2a6e\n", NULL, w_resolved, d_nothing,
		ENGINE_OUTCOME_ERROR, VERDICT_ENVIRONMENT_ERROR,
		CONFIDENCE_NONE, 1,
		{ "nothing here can see a notification "
		  "from 00002a6e-0000-1000-8000-00805f9b34fb" } },
	/* read/write expect-error= */
	{ "the_expected_error_passes_a_read",
		"read 2a6e expect-error=not-permitted\n", NULL, w_resolved,
		d_read_not_permitted, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "ReadValue failed as expected: "
		  "not-permitted (Read not permitted)" } },
	{ "an_att_error_by_its_code_passes_a_read",
		"read 2a6e expect-error=att-0x80\n", NULL, w_resolved,
		d_read_att_0x80, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0,
		{ "ReadValue failed as expected: failed" } },
	{ "another_error_than_expected_is_expectation_failed",
		"read 2a6e expect-error=not-authorized\n", NULL, w_resolved,
		d_read_not_permitted, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "ReadValue failed with not-permitted "
		  "(org.bluez.Error.NotPermitted: Read not permitted), expected "
		  "not-authorized" } },
	{ "success_instead_of_the_expected_error_is_expectation_failed",
		"write 2a6e 01 expect-error=not-permitted\n", NULL, w_resolved,
		d_write_ok, ENGINE_OUTCOME_FAILED, VERDICT_EXPECTATION_FAILED,
		CONFIDENCE_NONE, 1,
		{ "WriteValue succeeded, expected the error "
		  "not-permitted" } },
	/* expect-adv */
	{ "what_the_dut_advertises_passes_expect_adv",
		"expect-adv name=mpy-temp uuid=181a manufacturer=0x05f1:0102 "
		"appearance=768\n",
		NULL, w_advertised, d_nothing, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "the DUT advertises name 'mpy-temp', uuids "
		  "[0000181a-0000-1000-8000-00805f9b34fb], manufacturer "
		  "0x05f1:0102, appearance 768" } },
	{ "expect_adv_says_what_does_not_match_and_what_was_seen",
		"expect-adv name=thermo uuid=180f manufacturer=1521:0103 "
		"appearance=833\n",
		NULL, w_advertised, d_nothing, ENGINE_OUTCOME_FAILED,
		VERDICT_EXPECTATION_FAILED, CONFIDENCE_NONE, 1,
		{ "name is not 'thermo'; uuid "
		  "0000180f-0000-1000-8000-00805f9b34fb is not advertised; "
		  "manufacturer 0x05f1:0103 is not advertised; appearance is "
		  "not 833 (the DUT advertises name 'mpy-temp', uuids "
		  "[0000181a-0000-1000-8000-00805f9b34fb], manufacturer "
		  "0x05f1:0102, appearance 768)" } },
	{ "expect_adv_waits_within_its_timeout",
		"expect-adv name=thermo timeout=1s\n", NULL, w_advertised,
		d_name_changes, ENGINE_OUTCOME_PASSED, VERDICT_PASS,
		CONFIDENCE_NONE, 0, { "the DUT advertises name 'thermo'" } },
	{ "a_connect_reply_before_connected_waits_for_it", "reconnect\n", NULL,
		w_bonded, d_reply_before_connected, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "\"latency_ms\":500",
			"Connect -> ok\",\"+400ms Connected=true" } },
	{ "services_resolved_without_connected_is_a_link",
		"reconnect\n"
		"disconnect\n",
		NULL, w_bonded, d_connected_never_said, ENGINE_OUTCOME_PASSED,
		VERDICT_PASS, CONFIDENCE_NONE, 0,
		{ "Disconnect -> ok", "Connected=false" } },
	{ "a_connect_reply_with_no_link_after_it_times_out", "reconnect\n",
		NULL, w_bonded, d_reply_then_nothing, ENGINE_OUTCOME_FAILED,
		VERDICT_NOT_ADVERTISING, CONFIDENCE_INFERRED, 1,
		{ "timeout (15s) in phase connecting",
			"\"rule\":\"the device was not seen advertising and never "
			"connected\"" } },
};

static const char *last_step_end(void)
{
	for (guint i = F.events->len; i-- > 0;)
		if (strstr(g_ptr_array_index(F.events, i),
			    "\"type\":\"step-end\""))
			return g_ptr_array_index(F.events, i);
	return "";
}

START_TEST(step_families_end_with_their_verdict_and_evidence)
{
	const struct engine_case *c = &engine_cases[_i];
	const char *end;

	if (c->world)
		c->world();
	start(c->scenario, c->reboot_cmd);
	engine_bluez_available(eng, true, NULL);
	c->drive();
	advance(1);
	/* a link the run brought up goes down on the way out */
	if (!F.finished && pending(BLUEZ_OP_DISCONNECT))
		the_run_takes_its_link_down();
	ck_assert_msg(F.finished, "%s: the run did not finish", c->name);
	ck_assert_msg(F.result.outcome == c->outcome &&
			      F.result.verdict == c->verdict &&
			      F.result.confidence == c->confidence,
		"%s: %s/%s/%s (%s)", c->name,
		engine_outcome_to_str(F.result.outcome),
		verdict_to_str(F.result.verdict),
		confidence_to_str(F.result.confidence),
		F.result.message ? F.result.message : "");
	ck_assert_int_eq(F.result.fail_line, c->fail_line);
	ck_assert_int_eq(F.result.exit_status,
		c->outcome == ENGINE_OUTCOME_PASSED ? 0 :
		c->outcome == ENGINE_OUTCOME_FAILED ? 1 :
						      3);
	end = last_step_end();
	for (size_t k = 0; k < G_N_ELEMENTS(c->evidence) && c->evidence[k]; k++)
		ck_assert_msg(strstr(end, c->evidence[k]), "%s: no '%s' in\n%s",
			c->name, c->evidence[k], end);
	ck_assert_ptr_nonnull(strstr(last_event(), "\"type\":\"run-end\""));
	ck_assert_int_eq(F.unregistered, 1);
}
END_TEST

/*
 * The first-advertisement reconnect (BONDCHECK_EARLY_CONNECT): the reboot
 * step calls Connect() for the reconnect that follows while the DUT is
 * down; the reconnect takes the call over with what its link did so far.
 * Each row is one way the call and the DUT's return can meet.
 */

/* the reboot command finished: the early Connect(), then discovery */
static void early_rebooted(void)
{
	F.cmd_done(0, NULL, F.cmd_ud);
	expect_call(BLUEZ_OP_CONNECT, DEV, NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	advance(700);
}

static void link_usable(void)
{
	set_dev("Connected", g_variant_new_boolean(TRUE));
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
}

/* Connect() answers before the DUT is seen (bluetoothd's two paths:
 * the reply may come before Connected); the link up ends the reboot */
static void e_reply_before_the_step(void)
{
	early_rebooted();
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	advance(20);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
}

/* the DUT advertises, the reconnect adopts the call, then its link */
static void e_reply_after_adoption(void)
{
	early_rebooted();
	set_dev("RSSI", g_variant_new_int16(-50));
	advance(6);
	link_usable();
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
}

/* no link 1 s after the DUT advertised: cancelled, made anew after
 * discovery stopped */
static void e_no_link_after_the_advert(void)
{
	early_rebooted();
	set_dev("RSSI", g_variant_new_int16(-50));
	advance(999);
	ck_assert_ptr_null(pending(BLUEZ_OP_DISCONNECT));
	advance(2);
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
	/* the cancelled call's reply is not the new attempt's */
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, "br-connection-canceled",
		NULL);
	answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	expect_call(BLUEZ_OP_CONNECT, DEV, NULL);
	advance(10);
	link_usable();
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
}

/* the early Connect() gave up while the DUT was still down (a boot
 * longer than the kernel's LE connection timeout): the reboot step
 * stops discovery as usual and the reconnect calls Connect() itself */
static void e_gave_up_before_the_dut_came_back(void)
{
	early_rebooted();
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	advance(300);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	expect_call(BLUEZ_OP_CONNECT, DEV, NULL);
	advance(15);
	link_usable();
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
}

/* the DUT lost the key: the link comes up at its advertisement, then
 * Connect() fails and the link drops, all before the step adopted it */
static void e_key_lost_before_adoption(void)
{
	early_rebooted();
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
}

/* ... or after it, with the Disconnected reason of BlueZ 5.83 */
static void e_key_lost_after_adoption(void)
{
	early_rebooted();
	set_dev("RSSI", g_variant_new_int16(-50));
	advance(5);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	msignal("Disconnected",
		g_variant_new_parsed(
			"('org.bluez.Reason.Authentication',"
			" 'disconnection-authentication-failure')"));
	advance(300);
}

/* the DUT lost the key, no HCI monitor, and bluetoothd never said
 * Connected=true: the call fails after the step took it over, then
 * Connected=false, which can only be this link's (the tier's
 * lose-bond-nohci, run 7 with the early Connect()) */
static void e_key_lost_unreported_without_hci(void)
{
	early_rebooted();
	set_dev("RSSI", g_variant_new_int16(-50));
	advance(5);
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	advance(40);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
}

/* the DUT lost the key, and bluetoothd never said Connected (its
 * "already connected" race): only HCI saw the link before Connect()
 * failed, and discovery reports the DUT after that (QEMU tier,
 * lose-bond) */
static void e_key_lost_seen_only_on_hci(void)
{
	early_rebooted();
	hci("le-connection", 0, -1);
	hci("encryption-change", 0x06, -1);
	hci("disconnect", 0, 0x05);
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("RSSI", g_variant_new_int16(-50));
	advance(1);
	/* the failed call is the reconnect's, not one to make anew */
	ck_assert_ptr_null(pending(BLUEZ_OP_CONNECT));
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
}

/* the simulator's link-up (the central's address) arrives before
 * Connected=true, so before the step began; then the DUT, which lost the
 * key, drops the link: the evidence names the address the early link
 * used (README's sample, seen once without it under load) */
static void e_central_address_before_the_step(void)
{
	early_rebooted();
	engine_sim_trace_from(eng, 0,
		"{\"event\":\"link-up\",\"side\":\"host\","
		"\"central_address\":\"5A:12:34:56:78:9A\","
		"\"central_address_type\":\"random (resolvable private)\"}");
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
}

/* bluetoothd asks to pair on the early link, before the step began */
static void e_pairing_request_on_the_early_link(void)
{
	struct engine_agent_event ev = { "RequestConfirmation", DEV, 123456,
		false, false, "rejected by policy" };

	early_rebooted();
	set_dev("Connected", g_variant_new_boolean(TRUE));
	engine_agent_event(eng, &ev);
	advance(1);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(300);
}

/* the host's bond goes while the early link comes up */
static void e_host_bond_lost_on_the_early_link(void)
{
	early_rebooted();
	set_dev("Connected", g_variant_new_boolean(TRUE));
	set_dev("Bonded", g_variant_new_boolean(FALSE));
	set_dev("Paired", g_variant_new_boolean(FALSE));
	advance(300);
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	advance(300);
}

static const struct {
	const char *name;
	void (*drive)(void);
	enum verdict verdict;
	enum confidence confidence;
	const char *evidence[4]; /* in the reconnect's step-end */
	const char *absent;      /* not in it */
} early_cases[] = {
	{ "the_reply_before_the_reconnect_step", e_reply_before_the_step,
		VERDICT_PASS, CONFIDENCE_NONE,
		{ "\"connect\":\"early\"", "\"latency_ms\":20",
			/* what its link did before the step, in order */
			"\"+0ms phase start -> connecting\",\"+0ms Connect "
			"(made while the DUT was down) -> ok\",\"+0ms "
			"Connected=true\",\"+20ms ServicesResolved=true\"",
			"the Connect() made while the DUT was down goes on" },
		NULL },
	{ "the_reply_after_the_reconnect_adopted_the_call",
		e_reply_after_adoption, VERDICT_PASS, CONFIDENCE_NONE,
		{ "\"connect\":\"early\"", "\"latency_ms\":6",
			"Connect (made while the DUT was down) -> ok" },
		NULL },
	{ "no_link_a_second_after_the_advert_connects_anew",
		e_no_link_after_the_advert, VERDICT_PASS, CONFIDENCE_NONE,
		{ "\"connect\":\"early-then-anew\"",
			"no link 1000 ms after the DUT advertised" },
		"\"connect\":\"early\"" },
	{ "an_early_connect_that_gave_up_is_made_anew_by_the_reconnect",
		e_gave_up_before_the_dut_came_back, VERDICT_PASS,
		CONFIDENCE_NONE, { "\"latency_ms\":16" }, "\"connect\":" },
	{ "key_loss_before_the_adoption_is_peer_removed_pairing",
		e_key_lost_before_adoption, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_INFERRED,
		{ "\"connect\":\"early\"", BLUEZ_LE_ABORT_BY_LOCAL }, NULL },
	{ "key_loss_after_the_adoption_is_confirmed_by_the_reason",
		e_key_lost_after_adoption, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_CONFIRMED,
		{ "\"connect\":\"early\"",
			"\"disconnected_reason\":"
			"\"org.bluez.Reason.Authentication\"" },
		NULL },
	{ "key_loss_unreported_without_hci_is_peer_removed_pairing",
		e_key_lost_unreported_without_hci, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_INFERRED,
		{ "\"connect\":\"early\"",
			"this attempt's link, which bluetoothd never reported "
			"up" },
		"the previous link's, late" },
	{ "key_loss_seen_only_on_hci_is_the_early_links_verdict",
		e_key_lost_seen_only_on_hci, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_CONFIRMED,
		{ "\"connect\":\"early\"", BLUEZ_LE_ABORT_BY_LOCAL }, NULL },
	{ "the_early_links_central_address_is_in_the_evidence",
		e_central_address_before_the_step, VERDICT_PEER_REMOVED_PAIRING,
		CONFIDENCE_INFERRED,
		{ "\"central_address\":\"5A:12:34:56:78:9A\"",
			"\"central_address_type\":\"random (resolvable "
			"private)\"" },
		"not observed" },
	{ "a_pairing_request_on_the_early_link_is_flagged",
		e_pairing_request_on_the_early_link,
		VERDICT_UNEXPECTED_PAIRING_REQUEST, CONFIDENCE_INFERRED,
		{ "\"connect\":\"early\"" }, NULL },
	{ "a_host_bond_lost_on_the_early_link_is_local_bond_lost",
		e_host_bond_lost_on_the_early_link, VERDICT_LOCAL_BOND_LOST,
		CONFIDENCE_INFERRED, { "the host holds no bond for the DUT" },
		NULL },
};

START_TEST(an_early_connect_ends_the_reconnect_with_its_verdict)
{
	const char *end;

	F.early_connect = true;
	w_bonded();
	start("reboot\nreconnect\n", "reset-dut");
	engine_bluez_available(eng, true, NULL);
	early_cases[_i].drive();
	advance(1);
	/* the reconnect left discovery on for the early link */
	if (!F.finished && pending(BLUEZ_OP_STOP_DISCOVERY)) {
		answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
		advance(1);
	}
	if (!F.finished && pending(BLUEZ_OP_DISCONNECT))
		the_run_takes_its_link_down();
	ck_assert_msg(F.finished, "%s: the run did not finish",
		early_cases[_i].name);
	ck_assert_msg(F.result.verdict == early_cases[_i].verdict &&
			      F.result.confidence == early_cases[_i].confidence,
		"%s: %s/%s (%s)", early_cases[_i].name,
		verdict_to_str(F.result.verdict),
		confidence_to_str(F.result.confidence),
		F.result.message ? F.result.message : "");
	ck_assert_int_eq(F.result.fail_line,
		early_cases[_i].verdict == VERDICT_PASS ? 0 : 2);
	end = last_step_end();
	ck_assert_msg(strstr(end, "\"name\":\"reconnect\""), "%s: %s",
		early_cases[_i].name, end);
	for (size_t k = 0; k < G_N_ELEMENTS(early_cases[_i].evidence) &&
			   early_cases[_i].evidence[k];
		k++)
		ck_assert_msg(strstr(end, early_cases[_i].evidence[k]),
			"%s: no '%s' in\n%s", early_cases[_i].name,
			early_cases[_i].evidence[k], end);
	if (early_cases[_i].absent)
		ck_assert_msg(!strstr(end, early_cases[_i].absent),
			"%s: '%s' in\n%s", early_cases[_i].name,
			early_cases[_i].absent, end);
	/* no Connect() of the run is left pending */
	ck_assert_ptr_null(pending(BLUEZ_OP_CONNECT));
}
END_TEST

/*
 * Requests our agent refused as foreign: another peer on the bus calling
 * it about the DUT, or bluetoothd asking about a device that is not the
 * DUT. Each is logged and never classified; the same request from
 * bluetoothd about the DUT is unexpected-pairing-request.
 */
static const struct {
	const char *scenario;
	bool bonded_link; /* the DUT bonded and connected before */
	const char *method;
	const char *device;
	bool foreign;
	enum verdict verdict;
} foreign_cases[] = {
	{ "read 2a6e\n", true, "RequestConfirmation", DEV, true, VERDICT_PASS },
	{ "read 2a6e\n", true, "RequestPasskey", DEV, true, VERDICT_PASS },
	{ "read 2a6e\n", true, "RequestAuthorization", DEV, true,
		VERDICT_PASS },
	{ "read 2a6e\n", true, "DisplayPasskey", DEV, true, VERDICT_PASS },
	{ "read 2a6e\n", true, "RequestPinCode",
		"/org/bluez/hci0/dev_11_22_33_44_55_66", true, VERDICT_PASS },
	{ "read 2a6e\n", true, "RequestConfirmation", DEV, false,
		VERDICT_UNEXPECTED_PAIRING_REQUEST },
	{ "reconnect\n", false, "RequestConfirmation", DEV, true,
		VERDICT_PASS },
	{ "reconnect\n", false, "RequestConfirmation", DEV, false,
		VERDICT_UNEXPECTED_PAIRING_REQUEST },
};

START_TEST(foreign_agent_requests_are_logged_never_classified)
{
	struct engine_agent_event ev = { foreign_cases[_i].method,
		foreign_cases[_i].device, 123456, foreign_cases[_i].foreign,
		false,
		foreign_cases[_i].foreign ? "not the device under test" :
					    "rejected by policy" };
	bool read = foreign_cases[_i].bonded_link;

	if (read)
		w_resolved();
	else
		add_dut(true, false);
	start(foreign_cases[_i].scenario, NULL);
	engine_bluez_available(eng, true, NULL);
	if (!read)
		set_dev("Connected", g_variant_new_boolean(TRUE));
	engine_agent_event(eng, &ev);
	if (read) {
		answer(BLUEZ_OP_READ, NULL, NULL,
			g_variant_new_parsed("([byte 0x66, 0x08],)"));
	} else {
		set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
		answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	}
	advance(300);
	if (!read)
		the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_msg(F.result.verdict == foreign_cases[_i].verdict, "%s: %s",
		verdict_to_str(F.result.verdict),
		F.result.message ? F.result.message : "");
	/* logged either way, with what the agent said */
	ck_assert_int_eq(count_events(foreign_cases[_i].foreign ?
					      "\"foreign\":true" :
					      "\"foreign\":false"),
		1);
	if (foreign_cases[_i].foreign)
		ck_assert_ptr_nonnull(strstr(last_step_end(),
			"-> not the device under test (foreign)"));
}
END_TEST

/* ---- the end of a run: it restores what it changed ---------------------- */

static void connect_up(void)
{
	expect_call(BLUEZ_OP_CONNECT, DEV, NULL);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
	advance(1);
}

static void end_interrupted(void)
{
	engine_interrupt(eng);
}

static void end_failed_trigger(void)
{
	GError *err = g_error_new(BCERROR, BCERROR_ENVIRONMENT,
		"no such "
		"command");

	F.cmd_done(-1, err, F.cmd_ud);
	g_error_free(err);
}

static void end_nothing(void)
{
}

/* The outcome does not matter: a link the run brought up goes down. */
static const struct {
	const char *scenario;
	void (*end)(void);
	enum engine_outcome outcome;
} outcome_cases[] = {
	{ "connect\n", end_nothing, ENGINE_OUTCOME_PASSED },
	{ "connect\nexpect bonded=no\n", end_nothing, ENGINE_OUTCOME_FAILED },
	{ "connect\nreboot\n", end_failed_trigger, ENGINE_OUTCOME_ERROR },
	{ "connect\nsleep 1m\n", end_interrupted, ENGINE_OUTCOME_INTERRUPTED },
};

START_TEST(every_outcome_takes_down_the_link_the_run_brought_up)
{
	add_dut(true, false);
	start(outcome_cases[_i].scenario, "reset-dut");
	engine_bluez_available(eng, true, NULL);
	connect_up();
	outcome_cases[_i].end();
	advance(1);
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, outcome_cases[_i].outcome);
	ck_assert_int_eq(F.unregistered, 1);
	ck_assert_ptr_nonnull(strstr(last_event(), "\"type\":\"run-end\""));
	/* the call is on record; the drop ended the wait, not its answer */
	ck_assert_int_eq(count_events("\"event\":\"call\",\"method\":"
				      "\"Disconnect\""),
		1);
}
END_TEST

START_TEST(a_link_that_was_there_before_the_run_is_left_up)
{
	w_connected();
	start("expect connected=yes\nsleep 1m\n", NULL);
	engine_bluez_available(eng, true, NULL);
	engine_interrupt(eng);
	advance(1);
	ck_assert(F.finished);
	ck_assert_ptr_null(pending(BLUEZ_OP_DISCONNECT));
	ck_assert_int_eq(F.result.exit_status, 130);
}
END_TEST

START_TEST(a_link_that_dropped_and_came_back_is_the_runs)
{
	w_connected();
	start("disconnect\nconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	set_dev("ServicesResolved", g_variant_new_boolean(FALSE));
	advance(1);
	connect_up();
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
}
END_TEST

/* bluetoothd answers Disconnect() when the link is down (its 2 s timer):
 * whichever of the two comes first ends the wait, once. */
START_TEST(the_cleanup_disconnect_ends_at_its_answer_or_the_drop)
{
	add_dut(true, false);
	start("connect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	connect_up();
	if (_i == 0) {
		/* the answer first: the link is going */
		advance(2000);
		ck_assert(!F.finished);
		answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
		advance(1);
		ck_assert(F.finished);
		set_dev("Connected", g_variant_new_boolean(FALSE));
	} else {
		/* the drop first: no wait for the answer; a late one is
		 * nobody's */
		the_run_takes_its_link_down();
		ck_assert(F.finished);
		ck_assert_ptr_null(pending(BLUEZ_OP_DISCONNECT));
	}
	advance(1);
	ck_assert_int_eq(F.unregistered, 1);
	ck_assert_int_eq(count_events("\"type\":\"run-end\""), 1);
	ck_assert_int_eq(count_events("cleanup cut short"), 0);
}
END_TEST

/* A bluetoothd that never answers does not keep the run: 8 s at most,
 * and the log says what was left undone. */
START_TEST(the_cleanup_is_bounded)
{
	add_dut(true, false);
	start("connect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	connect_up();
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
	advance(7998);
	ck_assert(!F.finished);
	advance(2);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(
		count_events(
			"\"what\":\"cleanup\",\"text\":\"cleanup "
			"cut short (no answer within 8s) while disconnecting the "
			"DUT\""),
		1);
	ck_assert_ptr_null(pending(BLUEZ_OP_DISCONNECT));
	ck_assert_ptr_nonnull(strstr(last_event(), "\"type\":\"run-end\""));
}
END_TEST

START_TEST(a_second_interrupt_leaves_at_once)
{
	add_dut(true, false);
	start("connect\nsleep 1m\n", NULL);
	engine_bluez_available(eng, true, NULL);
	connect_up();
	engine_interrupt(eng);
	advance(1);
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
	engine_interrupt(eng);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.exit_status, 130);
	ck_assert_int_eq(count_events("cleanup cut short (interrupted again) "
				      "while disconnecting the DUT"),
		1);
}
END_TEST

/*
 * The bus going away while cleanup waits, at each thing it can wait for:
 * the run ends there, with its run-end (issue 12: run --sim hung when the
 * simulator and the bus died together).
 */
static void at_stop_discovery(void)
{
	/* scan: discovery on, then Ctrl-C: StopDiscovery is waited for */
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	engine_interrupt(eng);
	expect_call(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL);
}

static void at_disconnect(void)
{
	connect_up();
	engine_interrupt(eng);
	expect_call(BLUEZ_OP_DISCONNECT, DEV, NULL);
}

static void at_pairable(void)
{
	expect_call(BLUEZ_OP_SET_PAIRABLE, NULL, "false");
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	model_set(F.m, "/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, "Pairable",
		g_variant_new_boolean(FALSE));
	engine_interrupt(eng);
	expect_call(BLUEZ_OP_SET_PAIRABLE, NULL, "true");
}

static void at_agent(void)
{
	F.hold_unregister = true;
	engine_interrupt(eng);
	advance(1);
	ck_assert_ptr_nonnull(F.unreg_done);
}

static const struct {
	const char *scenario;
	void (*world)(void);
	void (*to)(void);
	const char *stage;
} lost_cases[] = {
	{ "scan\n", NULL, at_stop_discovery, "stopping discovery" },
	{ "connect\nsleep 1m\n", w_bonded, at_disconnect,
		"disconnecting the DUT" },
	{ "pair bond=no\n", w_unbonded, at_pairable, "restoring Pairable" },
	{ "sleep 1m\n", w_bonded, at_agent, "unregistering the agent" },
};

START_TEST(the_bus_lost_during_cleanup_ends_the_run_there)
{
	char *note = g_strdup_printf("cleanup cut short (lost the connection "
				     "to the system bus) while %s",
		lost_cases[_i].stage);

	if (lost_cases[_i].world)
		lost_cases[_i].world();
	start(lost_cases[_i].scenario, NULL);
	engine_bluez_available(eng, true, NULL);
	lost_cases[_i].to();
	ck_assert(!F.finished);
	engine_bus_lost(eng);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.exit_status, 130);
	ck_assert_msg(count_events(note) == 1, "no '%s' in\n%s", note,
		last_event());
	ck_assert_ptr_nonnull(strstr(last_event(), "\"type\":\"run-end\""));
	/* what comes late from the world is nobody's now */
	if (F.unreg_done)
		F.unreg_done(NULL, F.unreg_ud);
	advance(CLEANUP_BOUND_MS);
	ck_assert_int_eq(count_events("\"type\":\"run-end\""), 1);
	g_free(note);
}
END_TEST

/* ---- several centrals ---------------------------------------------------- */

#define DEV_ON(n) "/org/bluez/hci" #n "/dev_C0_FF_EE_00_13_42"

/* hci0 .. hci@n-1, each with the DUT's object (bonded or not) */
static void centrals_world(unsigned n, bool bonded)
{
	for (unsigned i = 0; i < n; i++) {
		char *a = g_strdup_printf("/org/bluez/hci%u", i);
		char *d = g_strdup_printf("%s/dev_C0_FF_EE_00_13_42", a);
		char *ai =
			g_strdup_printf("{'org.bluez.Adapter1': {'Powered': "
					"<true>, 'Pairable': <true>, 'Address': "
					"<'00:B0:DC:00:00:%02X'>}}",
				i + 1);
		char *di = g_strdup_printf(
			"{'org.bluez.Device1': {'Address': "
			"<'C0:FF:EE:00:13:42'>, 'Name': <'mpy-temp'>, 'Paired': "
			"<%s>, 'Bonded': <%s>, 'Connected': <false>, "
			"'ServicesResolved': <false>}}",
			bonded ? "true" : "false", bonded ? "true" : "false");

		if (i)
			madd(a, g_variant_new_parsed(ai));
		madd(d, g_variant_new_parsed(di));
		g_free(a);
		g_free(d);
		g_free(ai);
		g_free(di);
	}
}

static void pair_on(const char *adapter, const char *dev)
{
	expect_call(BLUEZ_OP_SET_PAIRABLE, adapter, "true");
	answer(BLUEZ_OP_SET_PAIRABLE, NULL, NULL, NULL);
	expect_call(BLUEZ_OP_PAIR, dev, NULL);
	model_set(F.m, dev, BLUEZ_IFACE_DEVICE, "Paired",
		g_variant_new_boolean(TRUE));
	model_set(F.m, dev, BLUEZ_IFACE_DEVICE, "Bonded",
		g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_PAIR, NULL, NULL, NULL);
	advance(1);
}

static const char *event_with(const char *a, const char *b)
{
	for (guint i = 0; i < F.events->len; i++) {
		const char *l = g_ptr_array_index(F.events, i);

		if (strstr(l, a) && strstr(l, b))
			return l;
	}
	return NULL;
}

START_TEST(each_central_acts_on_its_own_adapter_with_its_own_agent)
{
	centrals_world(2, false);
	start("central A\ncentral B\npair as=A\npair as=B\n", NULL);
	engine_bluez_available(eng, true, NULL);
	/* one registration answers for both, each for its own DUT object */
	ck_assert_int_eq(F.registered, 1);
	ck_assert_str_eq(F.targets[0], DEV_ON(0));
	ck_assert_str_eq(F.targets[1], DEV_ON(1));
	pair_on("/org/bluez/hci0", DEV_ON(0));
	pair_on("/org/bluez/hci1", DEV_ON(1));
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	/* every event of a central carries it; run-start lists them */
	ck_assert_ptr_nonnull(event_with("\"type\":\"run-start\"",
		"\"centrals\":[{\"name\":\"A\",\"adapter\":{\"path\":"
		"\"/org/bluez/hci0\",\"address\":\"00:B0:DC:00:00:01\"},"
		"\"privacy\":{\"wanted\":\"default\",\"found\":null,"
		"\"source\":null,\"error\":\"no access to the kernel's "
		"Bluetooth management interface\",\"set\":false}},{\"name\":"
		"\"B\",\"adapter\":{\"path\":"
		"\"/org/bluez/hci1\""));
	ck_assert_int_eq(count_events("\"type\":\"step-start\","), 2);
	ck_assert_ptr_nonnull(event_with("\"type\":\"step-end\"",
		"\"central\":\"A\""));
	ck_assert_ptr_nonnull(event_with("\"type\":\"step-end\"",
		"\"central\":\"B\""));
	ck_assert_ptr_nonnull(event_with("\"central\":\"B\",\"event\":\"call\","
					 "\"method\":\"Pair\"",
		DEV_ON(1)));
	ck_assert_ptr_nonnull(event_with("\"central\":\"A\",\"event\":"
					 "\"property\"",
		DEV_ON(0)));
	/* Pairable is restored on each adapter it was changed on */
	ck_assert_int_eq(F.unregistered, 1);
}
END_TEST

START_TEST(a_single_central_run_logs_the_default_central)
{
	centrals_world(1, false);
	start("pair\n", NULL);
	engine_bluez_available(eng, true, NULL);
	pair_on("/org/bluez/hci0", DEV);
	ck_assert(F.finished);
	ck_assert_ptr_nonnull(event_with("\"type\":\"step-end\"",
		"\"central\":\"default\""));
	ck_assert_ptr_nonnull(event_with("\"type\":\"run-start\"",
		"\"centrals\":[{\"name\":\"default\""));
	/* the message reads as it always did */
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
}
END_TEST

START_TEST(each_central_block_runs_its_steps_once_per_central)
{
	centrals_world(3, false);
	start("central c count=3\neach-central c3 c1\n  pair\nend\n", NULL);
	engine_bluez_available(eng, true, NULL);
	pair_on("/org/bluez/hci2", DEV_ON(2));
	pair_on("/org/bluez/hci0", DEV_ON(0));
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_ptr_nonnull(event_with("\"central\":\"c3\"",
		"\"iteration\":[1]"));
	ck_assert_ptr_nonnull(event_with("\"central\":\"c1\"",
		"\"iteration\":[2]"));
	ck_assert_int_eq(count_events("\"central\":\"c2\",\"index\""), 0);
}
END_TEST

static void bond_three_then_reconnect_a(void)
{
	centrals_world(3, false);
	start("central A\ncentral B\ncentral C\neach-central\n  pair\nend\n"
	      "reconnect as=A\n",
		NULL);
	engine_bluez_available(eng, true, NULL);
	pair_on("/org/bluez/hci0", DEV_ON(0));
	pair_on("/org/bluez/hci1", DEV_ON(1));
	pair_on("/org/bluez/hci2", DEV_ON(2));
	/* the reconnect stops discovery (none), then connects */
	expect_call(BLUEZ_OP_CONNECT, DEV_ON(0), NULL);
	model_set(F.m, DEV_ON(0), BLUEZ_IFACE_DEVICE, "Connected",
		g_variant_new_boolean(TRUE));
}

/* what real BlueZ 5.66 does when the DUT lost the key */
static void key_missing_on_a(void)
{
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	model_set(F.m, DEV_ON(0), BLUEZ_IFACE_DEVICE, "Connected",
		g_variant_new_boolean(FALSE));
	advance(300);
}

START_TEST(a_failed_reconnect_names_the_centrals_that_bonded_after_it)
{
	bond_three_then_reconnect_a();
	/* another central's link changes are in the step, under its name */
	model_set(F.m, DEV_ON(2), BLUEZ_IFACE_DEVICE, "Connected",
		g_variant_new_boolean(FALSE));
	key_missing_on_a();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_PEER_REMOVED_PAIRING);
	ck_assert_str_eq(F.result.central, "A");
	ck_assert_msg(strstr(F.result.message, "(reconnect as A): ") &&
			      strstr(F.result.message,
				      "; 2 centrals bonded after A "
				      "(B, C); A's bond was the oldest"),
		"%s", F.result.message);
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"\"bond_history\":{"
		"\"bond_order\":[\"A\",\"B\",\"C\"],\"bonded_after\":[\"B\","
		"\"C\"],\"oldest\":true}"));
	ck_assert_ptr_nonnull(strstr(last_step_end(), "C: Connected=false"));
	ck_assert_ptr_nonnull(event_with("\"type\":\"run-end\"",
		"\"line\":7,\"central\":\"A\""));
}
END_TEST

START_TEST(the_simulated_duts_eviction_is_named_in_the_evidence)
{
	bond_three_then_reconnect_a();
	/* the DUT's own copy comes from the first central's Sim1; a second
	 * copy from another's is the same event and is dropped */
	engine_sim_trace_from(eng, 1,
		"{\"event\":\"bond-evicted\","
		"\"peer\":\"00:B0:DC:00:00:01\",\"for\":\"00:B0:DC:00:00:03\"}");
	engine_sim_trace_from(eng, 0,
		"{\"event\":\"bond-evicted\","
		"\"t_us\":5,\"peer\":\"00:B0:DC:00:00:01\",\"index\":"
		"\"public/00:B0:DC:00:00:01\",\"for\":\"00:B0:DC:00:00:03\","
		"\"policy\":\"round-robin\",\"table_size\":2}");
	engine_sim_trace_from(eng, 2,
		"{\"event\":\"link-up\","
		"\"side\":\"host\"}");
	ck_assert_int_eq(count_events("\"type\":\"sim\""), 2);
	ck_assert_ptr_nonnull(event_with("\"type\":\"sim\",\"t\"",
		"\"central\":\"A\",\"trace\":{\"event\":\"bond-evicted\""));
	key_missing_on_a();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_PEER_REMOVED_PAIRING);
	ck_assert_msg(strstr(F.result.message,
			      "; the DUT's trace: it evicted "
			      "A's bond for C's (round-robin, a table of 2)"),
		"%s", F.result.message);
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"\"dut_trace\":{"
		"\"event\":\"bond-evicted\""));
}
END_TEST

/* centrals -> adapters present -> what the run says */
static const struct {
	const char *scenario;
	unsigned adapters;
	const char *adapter; /* --adapter */
	const char *error;   /* NULL: it runs */
} adapter_cases[] = {
	{ "central A\ncentral B\nsleep 1ms\n", 2, NULL, NULL },
	{ "central A\ncentral B\nsleep 1ms\n", 1, NULL,
		"central B needs an "
		"adapter of its own: no other powered adapter (1 present; "
		"hci0 is A's)" },
	{ "central A\ncentral B adapter=hci1\nsleep 1ms\n", 2, "hci1",
		"centrals A and B are both given hci1" },
	{ "central A adapter=hci1\ncentral B\nsleep 1ms\n", 2, NULL, NULL },
	{ "central A\ncentral B adapter=hci3\nsleep 1ms\n", 2, NULL,
		"central B: no adapter named hci3 (2 adapters present)" },
	{ "central A adapter=hci1\nsleep 1ms\n", 1, NULL,
		"no adapter named hci1 (1 adapter present)" },
};

START_TEST(centrals_take_their_adapters_or_say_what_is_missing)
{
	centrals_world(adapter_cases[_i].adapters, false);
	start_on(adapter_cases[_i].scenario, NULL, adapter_cases[_i].adapter);
	engine_bluez_available(eng, true, NULL);
	advance(10);
	ck_assert(F.finished);
	if (!adapter_cases[_i].error) {
		ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
		return;
	}
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_ERROR);
	ck_assert_msg(F.result.message &&
			      strstr(F.result.message, adapter_cases[_i].error),
		"got '%s'", F.result.message ? F.result.message : "");
}
END_TEST

START_TEST(the_scenarios_adapter_is_the_first_centrals)
{
	centrals_world(2, false);
	start("central A adapter=hci1\ncentral B\npair\npair as=B\n", NULL);
	engine_bluez_available(eng, true, NULL);
	ck_assert_str_eq(engine_central_adapter(eng, 0), "/org/bluez/hci1");
	ck_assert_str_eq(engine_central_adapter(eng, 1), "/org/bluez/hci0");
	pair_on("/org/bluez/hci1", DEV_ON(1));
	pair_on("/org/bluez/hci0", DEV_ON(0));
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
}
END_TEST

/* ---- the central's privacy ----------------------------------------------- */

static void add_sim1(bool privacy)
{
	char *ifs = g_strdup_printf("{'org.bondcheck.Sim1': {'Privacy': "
				    "<%s>, 'BootCount': <uint32 1>}}",
		privacy ? "true" : "false");

	madd("/org/bondcheck/sim", g_variant_new_parsed(ifs));
	g_free(ifs);
}

static void set_adapter(const char *prop, GVariant *v)
{
	model_set(F.m, "/org/bluez/hci0", BLUEZ_IFACE_ADAPTER, prop, v);
}

/* The simulator: powered off, Sim1.SetPrivacy, powered on (it waits for
 * the adapter to say so); and the same backwards at the end. */
static void sim_privacy_round(const char *to)
{
	expect_call(BLUEZ_OP_SET_POWERED, "/org/bluez/hci0", "false");
	answer(BLUEZ_OP_SET_POWERED, NULL, NULL, NULL);
	set_adapter("Powered", g_variant_new_boolean(FALSE));
	expect_call(BLUEZ_OP_SIM_SET_PRIVACY, "/org/bondcheck/sim", to);
	answer(BLUEZ_OP_SIM_SET_PRIVACY, NULL, NULL, NULL);
	expect_call(BLUEZ_OP_SET_POWERED, "/org/bluez/hci0", "true");
	answer(BLUEZ_OP_SET_POWERED, NULL, NULL, NULL);
	set_adapter("Powered", g_variant_new_boolean(TRUE));
}

START_TEST(privacy_on_is_set_on_the_simulator_and_put_back)
{
	add_dut(false, false);
	add_sim1(false);
	start("central privacy=on\nsleep 10ms\n", NULL);
	engine_bluez_available(eng, true, NULL);
	ck_assert_int_eq(F.registered, 0);
	sim_privacy_round("true");
	/* the agent only once the adapter is back */
	ck_assert_int_eq(F.registered, 1);
	ck_assert_int_eq(
		count_events(
			"\"privacy\":{\"wanted\":\"on\","
			"\"found\":\"off\",\"source\":\"sim\",\"set\":true}"),
		1);
	ck_assert_int_eq(count_events("address privacy is on for this run"), 1);
	advance(20);
	ck_assert(!F.finished);
	sim_privacy_round("false");
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_ptr_nonnull(strstr(last_event(), "\"privacy\":{\"setting\":"
						   "\"on\",\"restored\":true"));
	/* the first line of the log is run-start, before the power cycle */
	ck_assert_ptr_nonnull(strstr(g_ptr_array_index(F.events, 0),
		"\"type\":\"run-start\""));
}
END_TEST

START_TEST(privacy_without_root_exits_3_and_says_how)
{
	add_dut(false, false);
	F.with_mgmt = true;
	F.mgmt_privacy = 0;
	F.mgmt_set_error = BCERROR_NOT_PERMITTED;
	start("central privacy=on\nscan\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(1);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_ERROR);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_ptr_nonnull(strstr(F.result.message,
		"sudo btmgmt --index 0 "
		"power off && sudo btmgmt --index 0 privacy on && sudo btmgmt "
		"--index 0 power on"));
	ck_assert_ptr_nonnull(strstr(F.result.message,
		"'Privacy = device' in "
		"the [General] section of /etc/bluetooth/main.conf"));
	ck_assert_ptr_nonnull(strstr(F.result.message, "Permission Denied"));
	ck_assert_int_eq(count_events("\"found\":\"off\",\"source\":"
				      "\"mgmt\""),
		1);
	ck_assert_int_eq(F.registered, 0);
}
END_TEST

START_TEST(privacy_that_cannot_be_read_is_an_environment_error)
{
	F.with_mgmt = true;
	F.mgmt_privacy = -1;
	start("central privacy=off\nscan\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(1);
	ck_assert_int_eq(F.result.exit_status, 3);
	ck_assert_ptr_nonnull(strstr(F.result.message,
		"cannot be read "
		"(mgmt: no such thing)"));
}
END_TEST

/*
 * mgmt says the privacy change is done, but bluetoothd said Powered=false
 * and no Powered=true follows (the QEMU tier's phone line once ended so):
 * the engine waits for it, asks Adapter1.Powered=true, and goes on once
 * the adapter is powered; if it never is, the run says so.
 */
START_TEST(an_adapter_left_off_after_a_privacy_change_is_powered)
{
	bool powers = _i;

	F.with_mgmt = true;
	F.mgmt_privacy = 0;
	F.mgmt_leaves_off = true;
	start("central privacy=on\nsleep 1ms\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(1);
	ck_assert(!F.finished);
	ck_assert_ptr_null(pending(BLUEZ_OP_SET_POWERED));
	advance(2000);
	ck_assert_ptr_nonnull(pending(BLUEZ_OP_SET_POWERED));
	answer(BLUEZ_OP_SET_POWERED, NULL, NULL, NULL);
	if (powers) {
		F.mgmt_leaves_off = false;
		model_set(F.m, "/org/bluez/hci0", BLUEZ_IFACE_ADAPTER,
			"Powered", g_variant_new_boolean(TRUE));
		advance(10);
		ck_assert(F.finished);
		ck_assert_msg(F.result.outcome == ENGINE_OUTCOME_PASSED, "%s",
			F.result.message);
	} else {
		advance(2000);
		ck_assert(F.finished);
		ck_assert_int_eq(F.result.exit_status, 3);
		ck_assert_msg(strstr(F.result.message,
				      "stays powered off after "
				      "its address privacy was set"),
			"%s", F.result.message);
	}
}
END_TEST

/* --privacy wins over the scenario; as root it is set and put back */
START_TEST(privacy_from_the_command_line_overrides_the_scenario)
{
	F.with_mgmt = true;
	F.mgmt_privacy = 1;
	F.cfg_privacy = SCN_PRIVACY_OFF;
	start("central privacy=on\nsleep 1ms\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(10);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(F.mgmt_sets, 2);
	ck_assert(F.mgmt_set_to); /* put back as found */
	/* no link seen: the setting it ran with says what could show */
	ck_assert_ptr_nonnull(strstr(last_event(),
		"\"coverage\":{"
		"\"central_address\":\"public\",\"observed\":\"setting\","
		"\"rpa_bugs\":\"could-not-show\""));
}
END_TEST

static void hci_own(int type, const char *random)
{
	struct engine_hci_event set = { "le-set-random-address", 0, NULL, -1,
		-1, "LE Set Random Address", -1, random };
	struct engine_hci_event cc = { "le-create-connection", 0,
		"C0:FF:EE:00:13:42", -1, -1, "LE Create Connection", type,
		type == 1 ? random : NULL };

	if (random)
		engine_hci_event(eng, &set);
	engine_hci_event(eng, &cc);
}

static void connect_ok(void)
{
	set_dev("Connected", g_variant_new_boolean(TRUE));
	answer(BLUEZ_OP_CONNECT, NULL, NULL, NULL);
	set_dev("ServicesResolved", g_variant_new_boolean(TRUE));
}

/* The HCI monitor says which address each connection came from. */
START_TEST(the_central_address_on_hci_decides_the_coverage)
{
	add_dut(true, false);
	F.with_mgmt = true;
	F.mgmt_privacy = 0;
	start("reconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	hci_own(0, NULL);
	connect_ok();
	advance(1);
	the_run_takes_its_link_down();
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"\"central_address\":\"00:B0:DC:00:00:01\","
		"\"central_address_type\":\"public\""));
	ck_assert_ptr_nonnull(strstr(last_event(),
		"\"observed\":\"hci\","
		"\"rpa_bugs\":\"could-not-show\""));
	ck_assert_ptr_nonnull(strstr(last_event(), "could not show in this "
						   "run"));
	ck_assert_int_eq(count_events("\"own_address_type\":0"), 1);
}
END_TEST

/* A bonded reconnect passed from a public address, then the same DUT
 * refuses the bond from an RPA: the evidence says it depends on privacy. */
START_TEST(a_failure_only_from_an_rpa_says_it_depends_on_privacy)
{
	add_dut(true, false);
	start("reconnect\ndisconnect\nreconnect\n", NULL);
	engine_bluez_available(eng, true, NULL);
	hci_own(0, NULL);
	connect_ok();
	advance(1);
	answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
	set_dev("ServicesResolved", g_variant_new_boolean(FALSE));
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(1);
	hci_own(1, "5A:12:34:56:78:9A");
	set_dev("Connected", g_variant_new_boolean(TRUE));
	hci("encryption-change", 0x06, -1);
	answer(BLUEZ_OP_CONNECT, BLUEZ_ERR_FAILED, BLUEZ_LE_ABORT_BY_LOCAL,
		NULL);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	advance(300);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.verdict, VERDICT_PEER_REMOVED_PAIRING);
	ck_assert_int_eq(F.result.fail_line, 3);
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"\"central_address\":"
		"\"5A:12:34:56:78:9A\",\"central_address_type\":\"random "
		"(resolvable private)\""));
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"\"privacy_dependent\":"
		"\"the same DUT accepted a bonded reconnect from a public "
		"address earlier in this run (line 1, central default)"));
	ck_assert_ptr_nonnull(strstr(last_event(), "\"central_address\":"
						   "\"mixed\""));
}
END_TEST

/* ---- reboot kinds ---------------------------------------------------------- */

START_TEST(a_graceful_reboot_on_the_simulator_asks_for_one)
{
	add_dut(true, false);
	add_sim1(false);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("reboot via=sim kind=graceful\n", NULL);
	engine_bluez_available(eng, true, NULL);
	expect_call(BLUEZ_OP_SIM_REBOOT_KIND, "/org/bondcheck/sim",
		"'graceful'");
	/* the DUT ends the link before the call is answered */
	set_dev("Connected", g_variant_new_boolean(FALSE));
	hci("disconnect", 0, 0x13);
	answer(BLUEZ_OP_SIM_REBOOT_KIND, NULL, NULL, NULL);
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	advance(300);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_ptr_nonnull(strstr(last_step_end(), "\"kind\":\"graceful\""));
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"\"link_lost_after_ms\":0"));
	ck_assert_ptr_nonnull(strstr(last_step_end(), "\"disconnect_reason\":"
						      "\"disconnect (HCI)\""));
	ck_assert_ptr_null(strstr(last_step_end(), "though the step says"));
}
END_TEST

START_TEST(a_reboot_command_is_told_the_kind_and_a_mismatch_is_said)
{
	add_dut(true, false);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("reboot kind=graceful\n", "reset-board");
	engine_bluez_available(eng, true, NULL);
	ck_assert_str_eq(F.env, "BONDCHECK_REBOOT_KIND=graceful");
	F.cmd_done(0, NULL, F.cmd_ud);
	advance(420);
	/* the link timed out: this trigger was a hard reset after all */
	hci("disconnect", 0, 0x08);
	set_dev("Connected", g_variant_new_boolean(FALSE));
	answer(BLUEZ_OP_SET_DISCOVERY_FILTER, NULL, NULL, NULL);
	answer(BLUEZ_OP_START_DISCOVERY, NULL, NULL, NULL);
	set_dev("RSSI", g_variant_new_int16(-50));
	answer(BLUEZ_OP_STOP_DISCOVERY, NULL, NULL, NULL);
	advance(1);
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_ptr_nonnull(strstr(last_step_end(), "\"link_lost_after_ms\":"
						      "420"));
	ck_assert_ptr_nonnull(strstr(last_step_end(),
		"the link ended as in a "
		"hard reboot (disconnect (HCI)), though the step says "
		"kind=graceful"));
}
END_TEST

/*
 * --keep-going: a failed step (the bonded DUT's `expect paired=no`) inside
 * a block ends its iteration only; outside one, or as an environment
 * error, it ends the run.
 */
#define KG_REPEAT                                                \
	"repeat 3\n sleep 1ms\n expect paired=no timeout=10ms\n" \
	" sleep 1ms\nend\nsleep 1ms\n"
static const struct {
	const char *name;
	const char *text;
	bool keep_going;
	bool bluez_leaves; /* in the first iteration's sleep */
	enum engine_outcome outcome;
	unsigned run, passed, failed;
	int notes;           /* keep-going notes */
	const char *note;    /* ...and one of them */
	const char *message; /* in the result's */
} keep_going_cases[] = {
	{ "each_iteration_fails_and_the_run_goes_on_after_the_block", KG_REPEAT,
		true, false, ENGINE_OUTCOME_FAILED, 7, 4, 3, 3,
		"line 3 failed in iteration 2/3: skipped line 4 of that "
		"iteration, going on with iteration 3/3",
		"(and 2 more failed steps: --keep-going)" },
	{ "the_last_iteration_goes_on_after_the_block", KG_REPEAT, true, false,
		ENGINE_OUTCOME_FAILED, 7, 4, 3, 3,
		"line 3 failed in iteration 3/3: skipped line 4 of that "
		"iteration, going on after the block (it was its last "
		"iteration)",
		"expectation-failed at t.scn:3 (expect, "
		"iteration 1/3)" },
	{ "without_keep_going_the_first_failure_ends_the_run", KG_REPEAT, false,
		false, ENGINE_OUTCOME_FAILED, 2, 1, 1, 0, NULL,
		"expectation-failed at t.scn:3" },
	{ "a_failure_outside_a_block_ends_the_run",
		"expect paired=no timeout=10ms\nsleep 1ms\n", true, false,
		ENGINE_OUTCOME_FAILED, 1, 0, 1, 0, NULL, NULL },
	{ "a_nested_block_skips_to_its_own_next_iteration",
		"repeat 2\n repeat 2\n  expect paired=no timeout=10ms\n"
		"  sleep 1ms\n  sleep 1ms\n end\n sleep 1ms\nend\n",
		true, false, ENGINE_OUTCOME_FAILED, 6, 2, 4, 4,
		"line 3 failed in iteration 1/2,2/2: skipped lines 4-5 of that "
		"iteration, going on after the block (it was its last "
		"iteration)",
		NULL },
	{ "a_skipped_block_names_its_last_line",
		"repeat 2\n expect paired=no timeout=10ms\n repeat 2\n"
		"  sleep 1ms\n end\nend\n",
		true, false, ENGINE_OUTCOME_FAILED, 2, 0, 2, 2,
		"line 2 failed in iteration 1/2: skipped lines 3-4 of that "
		"iteration, going on with iteration 2/2",
		NULL },
	{ "an_environment_error_ends_the_run_anyway", KG_REPEAT, true, true,
		ENGINE_OUTCOME_ERROR, 1, 0, 1, 0, NULL, NULL },
};

START_TEST(keep_going_ends_only_the_iteration_of_a_failed_step)
{
	char note[512];

	F.keep_going = keep_going_cases[_i].keep_going;
	add_dut(true, false);
	start(keep_going_cases[_i].text, NULL);
	engine_bluez_available(eng, true, NULL);
	if (keep_going_cases[_i].bluez_leaves)
		engine_bluez_available(eng, false, "nobody owns org.bluez");
	advance(500);
	ck_assert(F.finished);
	ck_assert_int_eq(F.result.outcome, keep_going_cases[_i].outcome);
	ck_assert_int_eq(F.result.exit_status,
		keep_going_cases[_i].outcome == ENGINE_OUTCOME_ERROR ? 3 : 1);
	ck_assert_int_eq(F.result.steps_run, keep_going_cases[_i].run);
	ck_assert_int_eq(F.result.steps_passed, keep_going_cases[_i].passed);
	ck_assert_int_eq(F.result.steps_failed, keep_going_cases[_i].failed);
	ck_assert_int_eq(count_events("\"what\":\"keep-going\""),
		keep_going_cases[_i].notes);
	if (keep_going_cases[_i].note) {
		g_snprintf(note, sizeof(note), "\"text\":\"%s\"",
			keep_going_cases[_i].note);
		ck_assert_int_eq(count_events(note), 1);
	}
	if (keep_going_cases[_i].message)
		ck_assert_ptr_nonnull(strstr(F.result.message,
			keep_going_cases[_i].message));
	g_snprintf(note, sizeof(note), "\"failed\":%u,",
		keep_going_cases[_i].failed);
	ck_assert_ptr_nonnull(strstr(last_event(), note));
	ck_assert_ptr_nonnull(strstr(last_event(), "\"type\":\"run-end\""));
}
END_TEST

/* disconnect_at_end (bondcheck run's next scenario starts from no link):
 * the cleanup drops the DUT's link, which it otherwise leaves up. */
START_TEST(disconnect_at_end_drops_the_link_a_run_ends_with)
{
	F.disconnect_at_end = _i;
	add_dut(true, false);
	set_dev("Connected", g_variant_new_boolean(TRUE));
	start("expect connected=yes\n", NULL);
	engine_bluez_available(eng, true, NULL);
	advance(1);
	if (_i) {
		ck_assert(!F.finished);
		ck_assert_ptr_nonnull(pending(BLUEZ_OP_DISCONNECT));
		answer(BLUEZ_OP_DISCONNECT, NULL, NULL, NULL);
		advance(1);
	}
	ck_assert(F.finished);
	ck_assert_ptr_null(pending(BLUEZ_OP_DISCONNECT));
	ck_assert_int_eq(F.result.outcome, ENGINE_OUTCOME_PASSED);
	ck_assert_int_eq(count_events("\"method\":\"Disconnect\"") > 0, _i);
}
END_TEST

Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("fakes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, steps_run_in_order_with_their_iterations);
	tcase_add_test(tc, scan_times_out_as_not_advertising);
	tcase_add_test(tc, scan_sees_the_dut_and_stops_discovery);
	tcase_add_test(tc, scan_sees_a_device_bluez_already_knew);
	tcase_add_test(tc, a_read_follows_the_characteristic_to_its_new_object);
	tcase_add_test(tc, hci_key_missing_confirms_peer_removed_pairing);
	tcase_add_loop_test(tc,
		a_link_bluetoothd_never_made_usable_is_connected_again_once, 0,
		G_N_ELEMENTS(unreported_cases));
	tcase_add_test(tc, a_new_pairing_over_the_bond_on_hci_is_unexpected);
	tcase_add_test(tc, a_characteristic_that_stays_gone_times_out);
	tcase_add_test(tc, reconnect_after_key_loss_is_peer_removed_pairing);
	tcase_add_test(tc, the_disconnect_reason_confirms_peer_removed_pairing);
	tcase_add_test(tc, reconnect_without_a_bond_is_local_bond_lost);
	tcase_add_test(tc, a_pairing_request_during_reconnect_is_flagged);
	tcase_add_loop_test(tc,
		every_outcome_takes_down_the_link_the_run_brought_up, 0,
		G_N_ELEMENTS(outcome_cases));
	tcase_add_test(tc, a_link_that_was_there_before_the_run_is_left_up);
	tcase_add_test(tc, a_link_that_dropped_and_came_back_is_the_runs);
	tcase_add_loop_test(tc,
		the_cleanup_disconnect_ends_at_its_answer_or_the_drop, 0, 2);
	tcase_add_test(tc, the_cleanup_is_bounded);
	tcase_add_test(tc, a_second_interrupt_leaves_at_once);
	tcase_add_loop_test(tc, the_bus_lost_during_cleanup_ends_the_run_there,
		0, G_N_ELEMENTS(lost_cases));
	tcase_add_loop_test(tc,
		foreign_agent_requests_are_logged_never_classified, 0,
		G_N_ELEMENTS(foreign_cases));
	tcase_add_test(tc, a_healthy_reconnect_passes_with_its_latency);
	tcase_add_test(tc, the_previous_links_late_drop_is_not_this_attempts);
	tcase_add_loop_test(tc,
		an_adapter_left_off_after_a_privacy_change_is_powered, 0, 2);
	tcase_add_test(tc, expect_waits_for_its_timeout);
	tcase_add_test(tc,
		reboot_runs_the_reboot_command_and_waits_for_the_dut);
	tcase_add_test(tc, bluetoothd_leaving_mid_run_is_an_environment_error);
	tcase_add_test(tc, no_bluetoothd_is_an_environment_error_at_once);
	tcase_add_test(tc, a_bluetoothd_that_never_answers_times_out);
	tcase_add_test(tc, an_interrupt_ends_the_run_cleanly);
	tcase_add_loop_test(tc,
		a_log_that_cannot_be_written_ends_the_run_as_an_environment_error,
		0, G_N_ELEMENTS(log_lost));
	tcase_add_test(tc, a_missing_adapter_is_an_environment_error);
	tcase_add_test(tc, a_lost_cccd_is_subscription_lost);
	tcase_add_test(tc, a_lost_cccd_says_whether_notifications_still_came);
	tcase_add_test(tc, a_pairing_that_stalls_says_where_on_hci);
	tcase_add_test(tc, privacy_on_is_set_on_the_simulator_and_put_back);
	tcase_add_test(tc, privacy_without_root_exits_3_and_says_how);
	tcase_add_test(tc, privacy_that_cannot_be_read_is_an_environment_error);
	tcase_add_test(tc,
		privacy_from_the_command_line_overrides_the_scenario);
	tcase_add_test(tc, the_central_address_on_hci_decides_the_coverage);
	tcase_add_test(tc,
		a_failure_only_from_an_rpa_says_it_depends_on_privacy);
	tcase_add_test(tc, a_graceful_reboot_on_the_simulator_asks_for_one);
	tcase_add_test(tc,
		a_reboot_command_is_told_the_kind_and_a_mismatch_is_said);
	tcase_add_loop_test(tc,
		step_families_end_with_their_verdict_and_evidence, 0,
		G_N_ELEMENTS(engine_cases));
	tcase_add_loop_test(tc,
		an_early_connect_ends_the_reconnect_with_its_verdict, 0,
		G_N_ELEMENTS(early_cases));
	tcase_add_test(tc,
		each_central_acts_on_its_own_adapter_with_its_own_agent);
	tcase_add_test(tc, a_single_central_run_logs_the_default_central);
	tcase_add_test(tc, each_central_block_runs_its_steps_once_per_central);
	tcase_add_test(tc,
		a_failed_reconnect_names_the_centrals_that_bonded_after_it);
	tcase_add_test(tc,
		the_simulated_duts_eviction_is_named_in_the_evidence);
	tcase_add_loop_test(tc,
		centrals_take_their_adapters_or_say_what_is_missing, 0,
		G_N_ELEMENTS(adapter_cases));
	tcase_add_test(tc, the_scenarios_adapter_is_the_first_centrals);
	tcase_add_loop_test(tc,
		keep_going_ends_only_the_iteration_of_a_failed_step, 0,
		G_N_ELEMENTS(keep_going_cases));
	tcase_add_loop_test(tc,
		disconnect_at_end_drops_the_link_a_run_ends_with, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
