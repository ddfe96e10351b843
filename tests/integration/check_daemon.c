/* SPDX-License-Identifier: MIT */
/*
 * check_daemon.c — bondcheckd on a private bus with the simulator (two
 * adapters, each with its DUT): a run through the daemon against the same
 * run in-process; queueing on one adapter and parallel runs on two; cancel;
 * clients that vanish; bluetoothd that vanishes; SIGTERM; what StartRun
 * refuses; reboot methods from the configuration; retention; the CLI; the
 * D-Bus policy with callers that are not allowed; the systemd unit.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "helpers/hostile.h"
#include "helpers/simtest.h"
#include "suites.h"

#define DUT0 "C0:FF:EE:00:13:42"
#define DUT1 "C0:FF:EE:00:13:43"
#define SIM_REBOOT_CMD                         \
	"dbus-send --system --dest=org.bluez " \
	"--type=method_call /org/bondcheck/sim org.bondcheck.Sim1.Reboot"

static const char *const sim_args[] = { "--adapters", "2", "--dut-per-adapter",
	"--time-scale", "0.05", NULL };

static struct simtest st;
static GPid dpid;
static char *state_dir;
/* prlimit --fsize= for bondcheckd (a disk that fills), or NULL */
static const char *daemon_fsize;
static char *conf_path;

/* What the test has seen of the daemon's runs, from its signals. */
struct runs_seen {
	GHashTable *state;   /* path -> state */
	GHashTable *history; /* path -> GString "queued>running>..." */
	GHashTable *events;  /* path -> GString of Event lines */
	int running;
	int max_running;
	guint w1, w2;
};

static struct runs_seen seen;

static void note_state(const char *path, const char *state)
{
	const char *old = g_hash_table_lookup(seen.state, path);
	GString *h = g_hash_table_lookup(seen.history, path);

	if (!g_strcmp0(old, state))
		return;
	if (!g_strcmp0(old, "running"))
		seen.running--;
	if (!strcmp(state, "running"))
		seen.running++;
	seen.max_running = MAX(seen.max_running, seen.running);
	if (!h) {
		h = g_string_new("");
		g_hash_table_insert(seen.history, g_strdup(path), h);
	}
	g_string_append_printf(h, "%s%s", h->len ? ">" : "", state);
	g_hash_table_insert(seen.state, g_strdup(path), g_strdup(state));
}

static void on_props(DBusMessage *msg, void *data)
{
	GVariant *args, *changed, *v;
	const char *iface;

	(void)data;
	if (!msg_get_args(msg, "(sa{sv}as)", &args, NULL))
		return;
	g_variant_get(args, "(&s@a{sv}@as)", &iface, &changed, NULL);
	if (!strcmp(iface, BC_RUN_IFACE) &&
		(v = g_variant_lookup_value(changed, "State",
			 G_VARIANT_TYPE("s")))) {
		note_state(dbus_message_get_path(msg),
			g_variant_get_string(v, NULL));
		g_variant_unref(v);
	}
	g_variant_unref(changed);
	g_variant_unref(args);
}

static void on_event(DBusMessage *msg, void *data)
{
	GVariant *args;
	GString *e;
	const char *path = dbus_message_get_path(msg);
	const char *line;

	(void)data;
	if (!msg_get_args(msg, "(s)", &args, NULL))
		return;
	g_variant_get(args, "(&s)", &line);
	e = g_hash_table_lookup(seen.events, path);
	if (!e) {
		e = g_string_new("");
		g_hash_table_insert(seen.events, g_strdup(path), e);
	}
	g_string_append_printf(e, "%s\n", line);
	g_variant_unref(args);
}

static void gstring_free(gpointer p)
{
	g_string_free(p, TRUE);
}

static void seen_start(void)
{
	memset(&seen, 0, sizeof(seen));
	seen.state = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		g_free);
	seen.history = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		gstring_free);
	seen.events = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		gstring_free);
	seen.w1 = bus_add_signal_watch(st.bus, BC_SERVICE, NULL,
		"/org/bondcheck/run", DBUS_IFACE_PROPERTIES,
		"PropertiesChanged", on_props, NULL, NULL);
	seen.w2 = bus_add_signal_watch(st.bus, BC_SERVICE, NULL,
		"/org/bondcheck/run", BC_RUN_IFACE, "Event", on_event, NULL,
		NULL);
}

static void start_daemon(const char *conf)
{
	char *prog = test_prog("bondcheckd");
	const char *env[] = { st.env, NULL };
	GPtrArray *argv = g_ptr_array_new();
	/* BC_TEST_DAEMON_LOG=FILE keeps the daemon's output for a post-mortem */
	char *log = g_getenv("BC_TEST_DAEMON_LOG") ?
	                    g_strdup(g_getenv("BC_TEST_DAEMON_LOG")) :
	                    g_build_filename(state_dir, "daemon.log", NULL);

	char *prlimit = NULL, *fsize = NULL;

	ck_assert(g_file_set_contents(conf_path, conf ? conf : "", -1, NULL));
	if (daemon_fsize) {
		prlimit = g_find_program_in_path("prlimit"); /* util-linux */
		fsize = g_strdup_printf("--fsize=%s", daemon_fsize);
		ck_assert_ptr_nonnull(prlimit);
		g_ptr_array_add(argv, prlimit);
		g_ptr_array_add(argv, fsize);
		g_ptr_array_add(argv, (gpointer) "--");
	}
	/* as root, under the unit's NoNewPrivileges and capability bound */
	if (geteuid() == 0) {
		g_ptr_array_add(argv, (gpointer) "/usr/bin/setpriv");
		g_ptr_array_add(argv, (gpointer) "--no-new-privs");
		g_ptr_array_add(argv,
			(gpointer) "--bounding-set=-all,+net_raw");
	}
	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "--bus");
	g_ptr_array_add(argv, st.tb.address);
	g_ptr_array_add(argv, (gpointer) "--state-dir");
	g_ptr_array_add(argv, state_dir);
	g_ptr_array_add(argv, (gpointer) "--config");
	g_ptr_array_add(argv, conf_path);
	g_ptr_array_add(argv, (gpointer) "-v");
	g_ptr_array_add(argv, NULL);
	dpid = test_spawn((const char *const *)argv->pdata, env, log);
	ck_assert(dpid > 0);
	ck_assert_msg(test_wait_name(st.bus, BC_SERVICE, true, 10000),
		"bondcheckd did not take %s", BC_SERVICE);
	g_ptr_array_free(argv, TRUE);
	g_free(prlimit);
	g_free(fsize);
	g_free(prog);
	g_free(log);
}

static void setup_with(const char *conf)
{
	simtest_start(&st, sim_args);
	state_dir = g_dir_make_tmp("bc-daemon-XXXXXX", NULL);
	conf_path = g_build_filename(state_dir, "bondcheckd.conf", NULL);
	seen_start();
	start_daemon(conf);
}

static void setup(void)
{
	setup_with("[reboot simreboot]\ncommand = " SIM_REBOOT_CMD "\n");
}

static void rm_rf(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, n, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			rm_rf(p);
		else
			unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	rmdir(dir);
}

static void teardown(void)
{
	if (dpid)
		test_kill(dpid);
	dpid = 0;
	bus_remove_signal_watch(st.bus, seen.w1);
	bus_remove_signal_watch(st.bus, seen.w2);
	g_hash_table_destroy(seen.state);
	g_hash_table_destroy(seen.history);
	g_hash_table_destroy(seen.events);
	simtest_stop(&st);
	rm_rf(state_dir);
	g_free(state_dir);
	g_free(conf_path);
}

/* ---- helpers ------------------------------------------------------------ */

static GVariant *opts_for(const char *device, const char *adapter)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "device",
		g_variant_new_string(device));
	if (adapter)
		g_variant_builder_add(&b, "{sv}", "adapter",
			g_variant_new_string(adapter));
	return g_variant_builder_end(&b);
}

static char *start_run(const char *text, GVariant *opts)
{
	GVariant *r = test_call_ok(st.bus, BC_SERVICE, BC_MANAGER_PATH,
		BC_MANAGER_IFACE, "StartRun",
		g_variant_new("(ss@a{sv})", "t.scn", text, opts));
	char *path;

	ck_assert_ptr_nonnull(r);
	g_variant_get(r, "(o)", &path);
	g_variant_unref(r);
	return path;
}

static char *run_prop(const char *path, const char *name)
{
	GVariant *r = test_call_ok(st.bus, BC_SERVICE, path,
		DBUS_IFACE_PROPERTIES, "Get",
		g_variant_new("(ss)", BC_RUN_IFACE, name));
	GVariant *v;
	char *s;

	ck_assert_ptr_nonnull(r);
	g_variant_get(r, "(v)", &v);
	s = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ?
	            g_variant_dup_string(v, NULL) :
	            g_variant_print(v, FALSE);
	g_variant_unref(v);
	g_variant_unref(r);
	return s;
}

struct state_want {
	const char *path;
	const char *state;
};

static bool has_state(void *data)
{
	struct state_want *w = data;

	return !g_strcmp0(g_hash_table_lookup(seen.state, w->path), w->state);
}

static void wait_state(const char *path, const char *state, int ms)
{
	struct state_want w = { path, state };

	ck_assert_msg(test_wait(has_state, &w, ms), "%s never %s (now %s)",
		path, state, (char *)g_hash_table_lookup(seen.state, path));
}

static const char *history(const char *path)
{
	GString *h = g_hash_table_lookup(seen.history, path);

	return h ? h->str : "";
}

struct event_want {
	const char *path;
	const char *needle;
};

static bool has_event(void *data)
{
	struct event_want *w = data;
	GString *e = g_hash_table_lookup(seen.events, w->path);

	return e && strstr(e->str, w->needle);
}

static void wait_event(const char *path, const char *needle, int ms)
{
	struct event_want w = { path, needle };

	ck_assert_msg(test_wait(has_event, &w, ms),
		"%s: no event with %s "
		"in:\n%.2000s",
		path, needle,
		g_hash_table_lookup(seen.events, path) ?
			((GString *)g_hash_table_lookup(seen.events, path))->str :
			"");
}

/* Cancel @path and wait until the daemon says it is cancelled. */
static void cancel_run(const char *path, int ms)
{
	g_variant_unref(test_call_ok(st.bus, BC_SERVICE, path, BC_RUN_IFACE,
		"Cancel", NULL));
	wait_state(path, "cancelled", ms);
}

static void bc(const char *const *args, struct proc_result *r)
{
	char *prog = test_prog("bondcheck");
	GPtrArray *argv = g_ptr_array_new();
	const char *env[] = { st.env, "NO_COLOR=1", NULL };

	g_ptr_array_add(argv, prog);
	for (size_t i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata, env, 60000, r);
	g_ptr_array_free(argv, TRUE);
	g_free(prog);
}

static char *in_state(const char *name)
{
	return g_build_filename(state_dir, name, NULL);
}

static char *scn_path(const char *name)
{
	char *rel = g_strdup_printf("scenarios/%s", name);
	char *p = test_path(rel);

	g_free(rel);
	return p;
}

/* ---- tests -------------------------------------------------------------- */

static void same_as_in_process(const char *fault, int want, const char *verdict)
{
	char *scn = scn_path("bond-survives-reboot.scn");
	char *copy = in_state("copy.jsonl"), *inproc = in_state("inproc.jsonl");
	char *dlog, *a = NULL, *b = NULL;
	struct proc_result r;
	JsonParser *p = json_parser_new();
	JsonObject *o;

	if (fault) {
		GVariant *v = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
			BC_SIM_IFACE, "SetFault",
			g_variant_new("(ss)", fault, ""));

		g_variant_unref(v);
	}
	bc((const char *[]){ "run", "--daemon", "-d", DUT0, "--label", "d",
		   "--log", copy, scn, NULL },
		&r);
	ck_assert_msg(r.status == want, "daemon run: %d\n%s\n%s", r.status,
		r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out,
		"bondcheckd run /org/bondcheck/run/"));
	ck_assert_ptr_nonnull(strstr(r.out,
		want ? "FAILED: " : "PASSED: 13 of 13"));
	test_result_clear(&r);

	/* the streamed copy is the daemon's log, byte for byte */
	dlog = run_prop("/org/bondcheck/run/1", "LogPath");
	ck_assert(g_str_has_prefix(dlog, state_dir));
	ck_assert(g_file_get_contents(dlog, &a, NULL, NULL));
	ck_assert(g_file_get_contents(copy, &b, NULL, NULL));
	ck_assert_str_eq(a, b);

	bc((const char *[]){ "run", "-d", DUT0, "--label", "i", "--log", inproc,
		   scn, NULL },
		&r);
	ck_assert_msg(r.status == want, "in-process: %d\n%s\n%s", r.status,
		r.out, r.err);
	test_result_clear(&r);

	/* and compare finds nothing between the two */
	bc((const char *[]){ "compare", "--json", inproc, dlog, NULL }, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	ck_assert(json_parser_load_from_data(p, r.out, -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	ck_assert_int_eq(json_object_get_int_member(o, "regressions_count"), 0);
	ck_assert_int_eq(json_object_get_int_member(o, "fixes_count"), 0);
	ck_assert_int_eq(json_object_get_int_member(o, "verdict_changes_count"),
		0);
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(o, "new"),
				 "verdict"),
		verdict);
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(o, "base"),
				 "verdict"),
		verdict);
	test_result_clear(&r);
	g_object_unref(p);
	g_free(a);
	g_free(b);
	g_free(dlog);
	g_free(copy);
	g_free(inproc);
	g_free(scn);
}

START_TEST(a_run_through_the_daemon_is_the_run_in_process)
{
	same_as_in_process(NULL, 0, "pass");
}
END_TEST

START_TEST(the_seed_bug_through_the_daemon_is_the_same_verdict)
{
	same_as_in_process("key-lookup-mismatch", 1, "peer-removed-pairing");
}
END_TEST

/*
 * Several scenarios through bondcheckd: one StartRun each, in turn, with
 * keep_going for the daemon's engine; a copy of each log, one JUnit file.
 */
START_TEST(several_scenarios_go_to_the_daemon_in_turn)
{
	char *a = in_state("a.scn"), *b = in_state("b.scn");
	char *copy = in_state("copy.jsonl"), *la = in_state("copy-a.jsonl");
	char *lb = in_state("copy-b.jsonl"), *xml = in_state("all.xml");
	char *text = NULL;
	struct proc_result r;

	ck_assert(g_file_set_contents(a,
		"scan\npair\nrepeat 2\n  expect "
		"paired=no timeout=50ms\n  disconnect\nend\n",
		-1, NULL));
	ck_assert(g_file_set_contents(b, "scan\n", -1, NULL));
	bc((const char *[]){ "run", "--daemon", "-d", DUT0, "--keep-going",
		   "--log", copy, "--junit", xml, a, b, NULL },
		&r);
	ck_assert_msg(r.status == 1, "%d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out,
		"bondcheckd run /org/bondcheck/run/1"));
	ck_assert_ptr_nonnull(strstr(r.out,
		"bondcheckd run /org/bondcheck/run/2"));
	ck_assert_msg(strstr(r.out, "scenarios: 1 passed, 1 failed; exit 1"),
		"%s", r.out);
	/* the daemon's engine went on after each failed expect */
	ck_assert(g_file_get_contents(la, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text,
		"line 4 failed in iteration 1/2: "
		"skipped line 5 of that iteration, going on with iteration "
		"2/2"));
	ck_assert_ptr_nonnull(strstr(text, "\"failed\":2,"));
	g_free(text);
	ck_assert(g_file_get_contents(lb, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "\"result\":\"passed\""));
	g_free(text);
	ck_assert(g_file_get_contents(xml, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "<testsuites"));
	ck_assert_ptr_nonnull(strstr(strstr(text, "<testsuite ") + 1,
		"<testsuite "));
	g_free(text);
	test_result_clear(&r);
	g_free(a);
	g_free(b);
	g_free(copy);
	g_free(la);
	g_free(lb);
	g_free(xml);
}
END_TEST

/* The daemon's own State of @path, asked now. */
static char *state_now(const char *path)
{
	return run_prop(path, "State");
}

/* set: used by the scenario; set_new: defined whatever it uses */
START_TEST(set_new_defines_what_set_would_refuse)
{
	GVariantBuilder b, v, w;
	char *path;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "device", g_variant_new_string(DUT0));
	g_variant_builder_init(&v, G_VARIANT_TYPE("a{ss}"));
	g_variant_builder_add(&v, "{ss}", "UNUSED", "1");
	g_variant_builder_add(&b, "{sv}", "set_new", g_variant_builder_end(&v));
	g_variant_builder_init(&w, G_VARIANT_TYPE("a{ss}"));
	g_variant_builder_add(&w, "{ss}", "D", "10ms");
	g_variant_builder_add(&b, "{sv}", "set", g_variant_builder_end(&w));
	path = start_run("sleep ${D}\n", g_variant_builder_end(&b));
	wait_state(path, "passed", 10000);
	g_free(path);
}
END_TEST

/*
 * A device one run is using is refused to another, bondcheckd's or the
 * command line's, at its start: exit 3 (or the run's state error), saying
 * who has it; never a firmware verdict for either (issue 12).
 */
START_TEST(a_device_in_use_by_the_daemon_is_refused_to_the_command_line)
{
	char *a = start_run("sleep 1h\n", opts_for(DUT0, "hci0"));
	char *scn = in_state("s.scn"), *log = in_state("cli.jsonl");
	char *who = g_strdup_printf("C0:FF:EE:00:13:42 on hci0 is in use by "
				    "another bondcheck run (bondcheckd, pid %d)",
		(int)dpid);
	struct proc_result r;

	ck_assert(g_file_set_contents(scn, "scan\nconnect\n", -1, NULL));
	/* its claim is made when its steps can start */
	wait_event(a, "\"type\":\"step-start\"", 10000);
	bc((const char *[]){ "run", "-d", DUT0, "-a", "hci0", "--log", log, scn,
		   NULL },
		&r);
	ck_assert_msg(r.status == 3, "exit %d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, who), "%s\n%s", r.out, r.err);
	test_result_clear(&r);
	/* the daemon's run did not notice */
	ck_assert_str_eq(history(a), "running");
	cancel_run(a, 10000);
	g_free(who);
	g_free(log);
	g_free(scn);
	g_free(a);
}
END_TEST

START_TEST(a_device_in_use_by_the_command_line_is_refused_to_the_daemon)
{
	char *prog = test_prog("bondcheck");
	char *scn = in_state("s.scn"), *log = in_state("cli.jsonl");
	const char *argv[] = { prog, "run", "-d", DUT0, "-a", "hci0", "--json",
		"--log", log, scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e;
	char *b, *msg, *who;

	ck_assert(g_file_set_contents(scn, "sleep 1m\n", -1, NULL));
	e = expect_spawn(argv, env);
	ck_assert_msg(expect_wait(e, "\"name\":\"sleep\"", 20000), "%s",
		expect_output(e));
	b = start_run("sleep 10ms\n", opts_for(DUT0, "hci0"));
	wait_state(b, "error", 10000);
	msg = run_prop(b, "Message");
	who = g_strdup_printf("C0:FF:EE:00:13:42 on hci0 is in use by another "
			      "bondcheck run (bondcheck, pid %d)",
		(int)expect_pid(e));
	ck_assert_msg(strstr(msg, who), "%s", msg);
	kill(expect_pid(e), SIGINT);
	ck_assert_int_eq(expect_exit(e, 10000), 130);
	/* free again: the next run on it passes */
	g_free(b);
	b = start_run("sleep 10ms\n", opts_for(DUT0, "hci0"));
	wait_state(b, "passed", 10000);
	expect_free(e);
	g_free(who);
	g_free(msg);
	g_free(b);
	g_free(log);
	g_free(scn);
	g_free(prog);
}
END_TEST

START_TEST(runs_on_one_adapter_queue)
{
	char *a = start_run("sleep 1h\n", opts_for(DUT0, "hci0"));
	char *b = start_run("sleep 10ms\n", opts_for(DUT0, "hci0"));
	char *ad, *sa, *sb;

	/* a cannot end by itself: while it runs, b waits */
	wait_state(a, "running", 10000);
	sb = state_now(b);
	sa = state_now(a);
	ck_assert_str_eq(sb, "queued");
	ck_assert_str_eq(sa, "running");
	g_free(sa);
	g_free(sb);
	g_variant_unref(test_call_ok(st.bus, BC_SERVICE, a, BC_RUN_IFACE,
		"Cancel", NULL));
	wait_state(b, "passed", 10000);
	ck_assert_str_eq(history(a), "running>cancelled");
	ck_assert_str_eq(history(b), "running>passed");
	/* never both at once on hci0 */
	ck_assert_int_eq(seen.max_running, 1);
	ad = run_prop(b, "Adapter");
	ck_assert_str_eq(ad, "hci0");
	g_free(ad);
	g_free(a);
	g_free(b);
}
END_TEST

/* Both runs are running at one moment, by the daemon's own account: a was
 * running before and after b was asked, and a run never returns to
 * running. Neither can end by itself meanwhile. */
static void assert_both_running(const char *a, const char *b)
{
	char *s1 = state_now(a), *s2 = state_now(b), *s3 = state_now(a);

	ck_assert_str_eq(s1, "running");
	ck_assert_str_eq(s2, "running");
	ck_assert_str_eq(s3, "running");
	g_free(s1);
	g_free(s2);
	g_free(s3);
}

START_TEST(runs_on_two_adapters_go_in_parallel)
{
	char *a = start_run("sleep 1h\n", opts_for(DUT0, "hci0"));
	char *b = start_run("sleep 1h\n", opts_for(DUT1, "hci1"));

	wait_state(a, "running", 10000);
	wait_state(b, "running", 10000);
	assert_both_running(a, b);
	g_variant_unref(test_call_ok(st.bus, BC_SERVICE, a, BC_RUN_IFACE,
		"Cancel", NULL));
	g_variant_unref(test_call_ok(st.bus, BC_SERVICE, b, BC_RUN_IFACE,
		"Cancel", NULL));
	wait_state(a, "cancelled", 10000);
	wait_state(b, "cancelled", 10000);
	ck_assert_str_eq(history(a), "running>cancelled");
	ck_assert_str_eq(history(b), "running>cancelled");
	g_free(a);
	g_free(b);
}
END_TEST

/* Two centrals, one on each adapter: the run claims both. */
static const char two_adapter_run[] = "central A adapter=hci0\n"
				      "central B adapter=hci1\n"
				      "sleep 10ms as=A\n"
				      "sleep 10ms as=B\n";

/* @held on @busy cannot end by itself: the run of two adapters waits for
 * it, and so does a run on the other adapter submitted after it (the run
 * of two came first there), until @held is cancelled. */
static void two_adapter_run_queues_behind(const char *busy, const char *other)
{
	char *held = start_run("sleep 1h\n", opts_for(DUT0, busy));
	char *both, *later, *s, *ads;

	wait_state(held, "running", 10000);
	both = start_run(two_adapter_run, opts_for(DUT0, NULL));
	later = start_run("sleep 1h\n", opts_for(DUT0, other));
	/* whenever the daemon dispatches, both stay queued while held
	 * runs; max_running below says neither started beside another */
	s = state_now(both);
	ck_assert_str_eq(s, "queued");
	g_free(s);
	s = state_now(later);
	ck_assert_str_eq(s, "queued");
	g_free(s);
	s = state_now(held);
	ck_assert_str_eq(s, "running");
	g_free(s);
	g_variant_unref(test_call_ok(st.bus, BC_SERVICE, held, BC_RUN_IFACE,
		"Cancel", NULL));
	wait_state(both, "passed", 10000);
	ads = run_prop(both, "Adapters");
	ck_assert_str_eq(ads, "['hci0', 'hci1']");
	g_free(ads);
	/* the one on the other adapter never ran beside the run of two */
	wait_state(later, "running", 10000);
	ck_assert_str_eq(history(both), "running>passed");
	ck_assert_str_eq(history(later), "running");
	ck_assert_int_eq(seen.max_running, 1);
	g_variant_unref(test_call_ok(st.bus, BC_SERVICE, later, BC_RUN_IFACE,
		"Cancel", NULL));
	wait_state(later, "cancelled", 10000);
	g_free(held);
	g_free(both);
	g_free(later);
}

START_TEST(a_two_adapter_run_queues_behind_a_run_on_hci0)
{
	two_adapter_run_queues_behind("hci0", "hci1");
}
END_TEST

START_TEST(a_two_adapter_run_queues_behind_a_run_on_hci1)
{
	two_adapter_run_queues_behind("hci1", "hci0");
}
END_TEST

START_TEST(an_adapter_the_scenario_gives_another_central_is_refused)
{
	GError *err = NULL;
	DBusMessage *r = test_call(st.bus, BC_SERVICE, BC_MANAGER_PATH,
		BC_MANAGER_IFACE, "StartRun",
		g_variant_new("(ss@a{sv})", "t.scn", two_adapter_run,
			opts_for(DUT0, "hci1")),
		5000);

	ck_assert_ptr_nonnull(r);
	ck_assert(msg_is_error(r, &err));
	ck_assert_str_eq(msg_error_name(r), BC_ERR_INVALID_ARGS);
	ck_assert_msg(strstr(err->message, "centrals A and B would both use "
					   "hci1"),
		"%s", err->message);
	g_error_free(err);
	dbus_message_unref(r);
}
END_TEST

/* The flagship's steps, with a first reboot that waits for the test: both
 * runs are held there until both have reached it. */
static const char held_flagship[] = "scenario \"Bond survives reboot, held\"\n"
				    "scan\n"
				    "pair bond=yes\n"
				    "read 2a6e\n"
				    "reboot via=manual timeout=10m\n"
				    "reconnect\n"
				    "read 2a6e\n"
				    "repeat 2\n"
				    "  reboot\n"
				    "  reconnect\n"
				    "  read 2a6e\n"
				    "end\n"
				    "disconnect\n";

START_TEST(full_scenarios_pass_on_both_adapters_at_once)
{
	char *a, *b;

	a = start_run(held_flagship, opts_for(DUT0, "hci0"));
	b = start_run(held_flagship, opts_for(DUT1, "hci1"));
	wait_event(a, "\"name\":\"reboot\",\"text\":\"reboot via=manual",
		30000);
	wait_event(b, "\"name\":\"reboot\",\"text\":\"reboot via=manual",
		30000);
	assert_both_running(a, b);
	/* the person presses reset on both boards */
	g_variant_unref(test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		BC_SIM_IFACE, "Reboot", NULL));
	g_variant_unref(test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH "/hci1",
		BC_SIM_IFACE, "Reboot", NULL));
	wait_state(a, "passed", 60000);
	wait_state(b, "passed", 60000);
	/* each run talked to its own DUT */
	wait_event(a, "\"address\":\"" DUT0 "\"", 1000);
	wait_event(b, "\"address\":\"" DUT1 "\"", 1000);
	g_free(a);
	g_free(b);
}
END_TEST

START_TEST(cancel_works_on_queued_and_running_runs)
{
	char *a = start_run("sleep 30s\n", opts_for(DUT0, "hci0"));
	char *b = start_run("sleep 30s\n", opts_for(DUT0, "hci0"));
	char *log, *text, *lp;
	DBusMessage *m;

	wait_state(a, "running", 10000);
	cancel_run(b, 5000);
	ck_assert_str_eq(g_hash_table_lookup(seen.state, a), "running");
	lp = run_prop(b, "LogPath");
	ck_assert_str_eq(lp, ""); /* it never started */
	g_free(lp);
	cancel_run(a, 10000);
	ck_assert_str_eq(history(b), "cancelled");
	/* the cancelled run's log says so at its end */
	log = run_prop(a, "LogPath");
	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "\"type\":\"run-end\""));
	ck_assert_ptr_nonnull(strstr(text, "\"result\":\"interrupted\""));
	/* a finished run cannot be cancelled again */
	m = test_call(st.bus, BC_SERVICE, a, BC_RUN_IFACE, "Cancel", NULL,
		5000);
	ck_assert_str_eq(msg_error_name(m), BC_ERR_NOT_RUNNING);
	dbus_message_unref(m);
	g_free(text);
	g_free(log);
	g_free(a);
	g_free(b);
}
END_TEST

START_TEST(a_client_that_goes_away_does_not_stop_the_run)
{
	char *scn = g_build_filename(state_dir, "slow.scn", NULL);
	char *prog = test_prog("bondcheck");
	const char *argv[] = { prog, "run", "--daemon", "-d", DUT0, scn, NULL };
	const char *env[] = { st.env, NULL };
	char *out = NULL, *err = NULL;
	GPid client;

	ck_assert(g_file_set_contents(scn,
		"scan\npair\nsleep 700ms\nread 2a6e\n", -1, NULL));
	client = test_start(argv, env, &out, &err);
	wait_event("/org/bondcheck/run/1", "\"name\":\"sleep\"", 20000);
	ck_assert_int_eq(test_signal_wait(client, SIGKILL, 5000),
		128 + SIGKILL);
	wait_state("/org/bondcheck/run/1", "passed", 20000);
	ck_assert_str_eq(history("/org/bondcheck/run/1"), "running>passed");
	unlink(out);
	unlink(err);
	g_free(out);
	g_free(err);
	g_free(prog);
	g_free(scn);
}
END_TEST

START_TEST(bluetoothd_vanishing_is_an_environment_error_then_runs_go_on)
{
	char *prog = test_prog("bondcheck-sim");
	const char *argv[] = { prog, "--bus", st.tb.address, "--adapters", "2",
		"--dut-per-adapter", "--time-scale", "0.05", NULL };
	const char *env[] = { st.env, NULL };
	char *a, *b, *v;

	a = start_run("scan\npair\nsleep 30s\nread 2a6e\n",
		opts_for(DUT0, "hci0"));
	wait_event(a, "\"name\":\"sleep\"", 20000);
	test_kill(st.sim);
	wait_state(a, "error", 20000);
	v = run_prop(a, "Verdict");
	ck_assert_str_eq(v, "environment-error");
	g_free(v);
	/* submitted while bluetoothd is away: it waits, then runs */
	b = start_run("scan\npair\nread 2a6e\n", opts_for(DUT0, "hci0"));
	ck_assert(!g_hash_table_lookup(seen.state, b));
	st.sim = test_spawn(argv, env, NULL);
	wait_state(b, "passed", 20000);
	ck_assert_str_eq(history(b), "running>passed");
	g_free(a);
	g_free(b);
	g_free(prog);
}
END_TEST

START_TEST(an_adapter_unplugged_mid_run_is_an_environment_error)
{
	char *a, *b, *v;
	const char *sim1 = BC_SIM_PATH "/hci1";

	a = start_run("scan\npair\nsleep 30s\nread 2a6e\n",
		opts_for(DUT1, "hci1"));
	wait_event(a, "\"name\":\"sleep\"", 20000);
	g_variant_unref(test_call_ok(st.bus, BLUEZ_SERVICE, sim1, BC_SIM_IFACE,
		"Unplug", NULL));
	wait_state(a, "error", 20000);
	v = run_prop(a, "Verdict");
	ck_assert_str_eq(v, "environment-error");
	g_free(v);
	v = run_prop(a, "Message");
	ck_assert_msg(strstr(v, "adapter disappeared"), "%s", v);
	g_free(v);
	/* hci0 was never touched; hci1 plugged back in serves again */
	g_variant_unref(test_call_ok(st.bus, BLUEZ_SERVICE, sim1, BC_SIM_IFACE,
		"Replug", NULL));
	b = start_run("scan\npair\nread 2a6e\n", opts_for(DUT1, "hci1"));
	wait_state(b, "passed", 20000);
	g_free(a);
	g_free(b);
}
END_TEST

START_TEST(sigterm_cancels_runs_logs_them_and_exits)
{
	char *a = start_run("sleep 30s\n", opts_for(DUT0, "hci0"));
	char *b = start_run("sleep 30s\n", opts_for(DUT0, "hci0"));
	char *log, *text;

	wait_state(a, "running", 10000);
	log = run_prop(a, "LogPath");
	ck_assert_int_eq(test_signal_wait(dpid, SIGTERM, 10000), 0);
	dpid = 0;
	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "\"result\":\"interrupted\""));
	/* the daemon sent b's change before it exited; the bus may still be
	 * delivering it to us */
	wait_state(b, "cancelled", 10000);
	ck_assert_str_eq(history(b), "cancelled");
	g_free(text);
	g_free(log);
	g_free(a);
	g_free(b);
}
END_TEST

static const struct {
	const char *name;
	const char *text;
	const char *opts; /* GVariant text, a{sv} */
	const char *error;
	const char *words;
} refusals[] = {
	{ "t.scn", "conect\n", "{'device': <'" DUT0 "'>}", BC_ERR_BAD_SCENARIO,
		"t.scn:1:1: unknown step 'conect'" },
	{ "t.scn", "scan\nreboot via=command cmd='rm -rf /'\n",
		"{'device': <'" DUT0 "'>}", BC_ERR_BAD_SCENARIO,
		"t.scn:2:1: bondcheckd runs no command" },
	{ "t.scn", "repeat 2\n reboot via=serial port=/dev/ttyS0\nend\n",
		"{'device': <'" DUT0 "'>}", BC_ERR_BAD_SCENARIO,
		"t.scn:2:2: bondcheckd runs no command" },
	{ "t.scn", "scan\n", "{'device': <'" DUT0 "'>, 'command': <'id'>}",
		BC_ERR_INVALID_ARGS, "unknown option 'command'" },
	{ "t.scn", "scan\n", "{'device': <42>}", BC_ERR_INVALID_ARGS,
		"option 'device' must be of type s" },
	{ "t.scn", "scan\n", "@a{sv} {}", BC_ERR_INVALID_ARGS,
		"give the device" },
	{ "t.scn", "scan\n", "{'device': <'C0:FF:EE'>}", BC_ERR_INVALID_ARGS,
		"not an address" },
	{ "t.scn", "scan\n", "{'device': <'" DUT0 "'>, 'adapter': <'../x'>}",
		BC_ERR_INVALID_ARGS, "a name like hci0" },
	{ "t.scn", "scan\n", "{'device': <'" DUT0 "'>, 'reboot': <'nuke'>}",
		BC_ERR_UNKNOWN_REBOOT, "no reboot method 'nuke'" },
	{ "t.scn", "scan\n", "{'device': <'" DUT0 "'>, 'set': <{'A B': 'x'}>}",
		BC_ERR_INVALID_ARGS, "not a variable name" },
	{ "t.scn", "set BOOT_TIMEOUT=30s\nscan timeout=${BOOT_TIMEOUT}\n",
		"{'device': <'" DUT0 "'>, 'set': <{'BOOT_TIMOUT': '2m'}>}",
		BC_ERR_BAD_SCENARIO,
		"set BOOT_TIMOUT: t.scn never uses "
		"BOOT_TIMOUT (did you mean 'BOOT_TIMEOUT'?)" },
	{ "t.scn", "scan\n",
		"{'device': <'" DUT0 "'>, 'set_new': <{'9': 'x'}>}",
		BC_ERR_INVALID_ARGS, "not a variable name" },
	{ "", "scan\n", "{'device': <'" DUT0 "'>}", BC_ERR_INVALID_ARGS,
		"name: 1 to 255 bytes" },
	{ "t.scn", NULL, "{'device': <'" DUT0 "'>}", BC_ERR_INVALID_ARGS,
		"scenario text over" },
};

START_TEST(startrun_refuses_what_it_must)
{
	char *big = NULL;
	const char *text = refusals[_i].text;
	GVariant *opts = g_variant_parse(G_VARIANT_TYPE("a{sv}"),
		refusals[_i].opts, NULL, NULL, NULL);
	DBusMessage *m;
	GVariant *runs;
	char *path_list;

	ck_assert_ptr_nonnull(opts);
	if (!text) {
		big = g_strnfill((gsize)300 * 1024, '#');
		text = big;
	}
	m = test_call(st.bus, BC_SERVICE, BC_MANAGER_PATH, BC_MANAGER_IFACE,
		"StartRun",
		g_variant_new("(ss@a{sv})", refusals[_i].name, text, opts),
		5000);
	ck_assert_msg(!g_strcmp0(msg_error_name(m), refusals[_i].error),
		"case %d: %s: %s", _i, msg_error_name(m), msg_error_text(m));
	ck_assert_msg(strstr(msg_error_text(m), refusals[_i].words),
		"case %d: '%s' lacks '%s'", _i, msg_error_text(m),
		refusals[_i].words);
	dbus_message_unref(m);
	/* and nothing was queued */
	runs = test_call_ok(st.bus, BC_SERVICE, BC_MANAGER_PATH,
		BC_MANAGER_IFACE, "ListRuns", NULL);
	path_list = g_variant_print(runs, FALSE);
	ck_assert_str_eq(path_list, "([],)");
	g_free(path_list);
	g_variant_unref(runs);
	g_free(big);
}
END_TEST

/* Scenarios that made bondcheckd build huge errors (the 22 doubling lines:
 * a 64 MiB message, larger than the bus allows, and the daemon was dropped
 * with every run on it), allocate gigabytes, or recurse to its death: a
 * bounded BadScenario, in bounded memory. */
static char *hostile_text(int which)
{
	GString *t = which == 0 ? hostile_doubling("read ${V22}\n") :
	             which == 1 ? hostile_repeats(29000, 0) :
	                          hostile_steps();

	return g_string_free(t, FALSE);
}

static const char *const hostile_words[] = {
	"t.scn:10:13: the line is longer than 8192 bytes once ${V8} is expanded",
	"t.scn:9:1: repeat blocks nest at most 8 deep",
	"t.scn:5:1: the scenario runs more than 100000000 steps",
};

/* The most bondcheckd held at once so far (VmHWM), in KiB; -1 unknown. */
static long daemon_peak_kb(void)
{
	char *path = g_strdup_printf("/proc/%d/status", (int)dpid);
	char *text = NULL;
	const char *at;
	long kb = -1;

	if (g_file_get_contents(path, &text, NULL, NULL) &&
		(at = strstr(text, "\nVmHWM:")))
		kb = strtol(at + strlen("\nVmHWM:"), NULL, 10);
	g_free(text);
	g_free(path);
	return kb;
}

START_TEST(a_hostile_scenario_gets_a_bounded_error_and_the_daemon_lives)
{
	char *text = hostile_text(_i);
	GVariant *runs;
	DBusMessage *m;
	char *a;

	m = test_call(st.bus, BC_SERVICE, BC_MANAGER_PATH, BC_MANAGER_IFACE,
		"StartRun",
		g_variant_new("(ss@a{sv})", "t.scn", text,
			opts_for(DUT0, NULL)),
		20000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(msg_error_name(m), BC_ERR_BAD_SCENARIO);
	ck_assert_msg(strstr(msg_error_text(m), hostile_words[_i]), "%.300s",
		msg_error_text(m));
	ck_assert_uint_le(strlen(msg_error_text(m)), (size_t)64 * 1024);
	dbus_message_unref(m);
	/* in bounded memory: well under what the doubling once took (GBs) */
	ck_assert_msg(daemon_peak_kb() > 0 && daemon_peak_kb() <= 256L * 1024,
		"bondcheckd peaked at %ld KB", daemon_peak_kb());
	/* still there, and still running runs */
	runs = test_call_ok(st.bus, BC_SERVICE, BC_MANAGER_PATH,
		BC_MANAGER_IFACE, "ListRuns", NULL);
	g_variant_unref(runs);
	a = start_run("scan\n", opts_for(DUT0, NULL));
	wait_state(a, "passed", 20000);
	g_free(a);
	g_free(text);
}
END_TEST

START_TEST(a_reboot_method_from_the_configuration_is_used)
{
	char *scn = scn_path("bond-survives-reboot.scn");
	struct proc_result r;
	char *log, *text;

	bc((const char *[]){ "run", "--daemon", "-d", DUT0, "--reboot",
		   "simreboot", scn, NULL },
		&r);
	ck_assert_msg(r.status == 0, "%d\n%s\n%s", r.status, r.out, r.err);
	test_result_clear(&r);
	log = run_prop("/org/bondcheck/run/1", "LogPath");
	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "\"via\":\"command\",\"event\":"
					   "\"exit\",\"status\":0"));
	g_free(text);
	g_free(log);
	g_free(scn);
}
END_TEST

/* Every file bondcheckd writes stops growing at 12000 bytes: a run that
 * scans, connects, pairs and reads (~17 KB of log) fills it up midway, as
 * on a full disk; a short run (~2 KB, a few KB more when the mirror has
 * more to say under load: 4000 bytes were once too few) fits. */
static void setup_full_disk(void)
{
	daemon_fsize = "12000";
	setup();
}

/* A run whose log is lost is an error, never passed with an empty log;
 * the next run is not hurt by it (issue 12). */
START_TEST(a_run_whose_log_cannot_be_written_is_an_error)
{
	char *path = start_run("scan\nconnect\npair\nread 2a6e\n",
		opts_for(DUT0, NULL));
	char *msg, *status, *next;

	wait_state(path, "error", 30000);
	ck_assert_str_eq(history(path), "running>error");
	msg = run_prop(path, "Message");
	ck_assert_msg(strstr(msg, "failed: File too large"), "%s", msg);
	status = run_prop(path, "ExitStatus");
	ck_assert_str_eq(status, "3");
	/* the Event stream still had all of it, run-end last */
	wait_event(path, "\"type\":\"run-end\",", 10000);
	wait_event(path, "\"result\":\"error\"", 10000);
	/* a short log that fits passes */
	next = start_run("sleep 10ms\n", opts_for(DUT0, NULL));
	wait_state(next, "passed", 30000);
	g_free(next);
	g_free(status);
	g_free(msg);
	g_free(path);
}
END_TEST

/* --daemon --log keeps a copy: the same rules as an in-process log. */
static const struct {
	const char *log;
	int status;
	const char *err;
} copies[] = {
	{ "/dev/full", 3,
		"writing the log /dev/full failed: No space left on device" },
	{ "/nonexistent-bc-dir/copy.jsonl", 2, "No such file or directory" },
	{ "/proc/sys/kernel/ostype", 3, "Permission denied" },
};

START_TEST(a_copy_of_the_log_that_cannot_be_written_is_never_a_pass)
{
	char *scn = in_state("s.scn");
	struct proc_result r;

	ck_assert(g_file_set_contents(scn, "sleep 10ms\n", -1, NULL));
	bc((const char *[]){ "run", "--daemon", "-d", DUT0, "--log",
		   copies[_i].log, scn, NULL },
		&r);
	ck_assert_msg(r.status == copies[_i].status, "exit %d\n%s\n%s",
		r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, copies[_i].err), "%s", r.err);
	test_result_clear(&r);
	g_free(scn);
}
END_TEST

static void setup_retention(void)
{
	setup_with("[daemon]\nretention = 2\n");
}

/* How many files in STATE_DIR/logs start with @prefix and end with
 * @suffix, and (with @total) their size. */
static unsigned state_files_of(const char *prefix, const char *suffix,
	guint64 *total)
{
	char *dir = g_build_filename(state_dir, "logs", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	unsigned count = 0;

	if (total)
		*total = 0;
	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, n, NULL);
		GStatBuf sb;

		if (g_str_has_prefix(n, prefix) &&
			g_str_has_suffix(n, suffix) && g_stat(p, &sb) == 0) {
			count++;
			if (total)
				*total += (guint64)sb.st_size;
		}
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_free(dir);
	return count;
}

static unsigned state_files(const char *suffix, guint64 *total)
{
	return state_files_of("", suffix, total);
}

static bool has_state_file(const char *prefix, const char *suffix)
{
	return state_files_of(prefix, suffix, NULL) > 0;
}

START_TEST(finished_runs_are_kept_up_to_the_retention_limit)
{
	char *p[3];
	GVariant *runs;
	char *list;

	for (int i = 0; i < 3; i++) {
		p[i] = start_run("sleep 1ms\n", opts_for(DUT0, NULL));
		wait_state(p[i], "passed", 10000);
	}
	runs = test_call_ok(st.bus, BC_SERVICE, BC_MANAGER_PATH,
		BC_MANAGER_IFACE, "ListRuns", NULL);
	list = g_variant_print(runs, FALSE);
	ck_assert_str_eq(list, "(['/org/bondcheck/run/2', "
			       "'/org/bondcheck/run/3'],)");
	g_free(list);
	g_variant_unref(runs);
	/* the forgotten run's scenario text went; its log stays */
	ck_assert(!has_state_file("run-1-", ".scn"));
	ck_assert(has_state_file("run-1-", ".jsonl"));
	ck_assert(has_state_file("run-2-", ".scn"));
	ck_assert(has_state_file("run-3-", ".scn"));
	for (int i = 0; i < 3; i++)
		g_free(p[i]);
}
END_TEST

/* 1,000 StartRun+Cancel kept 258 MB of scenario texts */
START_TEST(runs_cancelled_before_they_start_leave_no_scenario_text)
{
	char *a = start_run("sleep 1h\n", opts_for(DUT0, "hci0"));
	char *pad = g_strnfill(4000, 'x');
	char *text = g_strdup_printf("sleep 1ms\n# %s\n", pad);

	wait_state(a, "running", 10000);
	for (int i = 0; i < 50; i++) {
		char *b = start_run(text, opts_for(DUT0, "hci0"));

		g_variant_unref(test_call_ok(st.bus, BC_SERVICE, b,
			BC_RUN_IFACE, "Cancel", NULL));
		wait_state(b, "cancelled", 10000);
		g_free(b);
	}
	/* only the running run's text is left */
	ck_assert_uint_eq(state_files(".scn", NULL), 1);
	ck_assert(has_state_file("run-1-", ".scn"));
	cancel_run(a, 10000);
	g_free(text);
	g_free(pad);
	g_free(a);
}
END_TEST

#define STATE_MAX 16384

static void setup_state_bound(void)
{
	char *logs, *old, *fill = g_strnfill(20000, ' ');

	simtest_start(&st, sim_args);
	state_dir = g_dir_make_tmp("bc-daemon-XXXXXX", NULL);
	conf_path = g_build_filename(state_dir, "bondcheckd.conf", NULL);
	/* what an earlier lifetime of the daemon left: 20 KB, too much */
	logs = g_build_filename(state_dir, "logs", NULL);
	old = g_build_filename(logs, "run-7-20260101-000000-old.jsonl", NULL);
	ck_assert_int_eq(g_mkdir_with_parents(logs, 0750), 0);
	ck_assert(g_file_set_contents(old, fill, -1, NULL));
	seen_start();
	start_daemon("[daemon]\nretention = 1000\nmax-state-size = 16K\n");
	g_free(fill);
	g_free(old);
	g_free(logs);
}

START_TEST(the_state_directory_is_kept_under_max_state_size)
{
	char *pad = g_strnfill(4000, 'x');
	char *text = g_strdup_printf("sleep 1ms\n# %s\n", pad);
	GString *listed = g_string_new("");
	GVariant *runs, *list;
	GVariantIter it;
	const char *path;
	guint64 total = 0;
	unsigned kept = 0;

	/* the earlier lifetime's file went when the daemon started */
	ck_assert(!has_state_file("run-7-", ".jsonl"));
	for (int i = 0; i < 10; i++) {
		char *r = start_run(text, opts_for(DUT0, NULL));
		char *prefix = g_strdup_printf("run-%d-", i + 1);
		guint64 mine;

		wait_state(r, "passed", 20000);
		/* bounded when the run ended: over the bound by at most the
		 * files of the run that just ended */
		ck_assert_uint_eq(state_files_of(prefix, "", &mine), 2);
		state_files("", &total);
		ck_assert_msg(total <= STATE_MAX + mine,
			"run %d: %" G_GUINT64_FORMAT " bytes", i + 1, total);
		g_free(prefix);
		g_free(r);
	}
	/* the oldest runs' files went, and those runs are forgotten */
	ck_assert(!has_state_file("run-1-", ".jsonl"));
	ck_assert(!has_state_file("run-1-", ".scn"));
	ck_assert(has_state_file("run-10-", ".jsonl"));
	runs = test_call_ok(st.bus, BC_SERVICE, BC_MANAGER_PATH,
		BC_MANAGER_IFACE, "ListRuns", NULL);
	list = g_variant_get_child_value(runs, 0);
	g_variant_iter_init(&it, list);
	while (g_variant_iter_next(&it, "&o", &path)) {
		char *lp = run_prop(path, "LogPath");

		ck_assert_msg(g_file_test(lp, G_FILE_TEST_EXISTS),
			"%s is listed but its log %s is gone", path, lp);
		g_string_append_printf(listed, "%s ", path);
		kept++;
		g_free(lp);
	}
	ck_assert_msg(kept >= 2 && kept < 10, "%s", listed->str);
	g_variant_unref(list);
	g_variant_unref(runs);
	g_string_free(listed, TRUE);
	g_free(text);
	g_free(pad);
}
END_TEST

START_TEST(runs_and_cancel_from_the_command_line)
{
	char *a = start_run("sleep 30s\n", opts_for(DUT0, "hci0"));
	struct proc_result r;

	wait_state(a, "running", 10000);
	bc((const char *[]){ "runs", NULL }, &r);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "running"));
	ck_assert_ptr_nonnull(strstr(r.out, "t.scn"));
	test_result_clear(&r);
	bc((const char *[]){ "runs", "--json", NULL }, &r);
	ck_assert_ptr_nonnull(strstr(r.out,
		"\"Path\":\"/org/bondcheck/run/1\""));
	test_result_clear(&r);
	bc((const char *[]){ "cancel", "1", NULL }, &r);
	ck_assert_msg(r.status == 0, "%s", r.err);
	test_result_clear(&r);
	wait_state(a, "cancelled", 10000);
	bc((const char *[]){ "cancel", "1", NULL }, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "already finished"));
	test_result_clear(&r);
	bc((const char *[]){ "cancel", "77", NULL }, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "no run 77"));
	test_result_clear(&r);
	bc((const char *[]){ "cancel", "x1", NULL }, &r);
	ck_assert_int_eq(r.status, 2);
	test_result_clear(&r);
	g_free(a);
}
END_TEST

START_TEST(no_daemon_is_a_clear_environment_error)
{
	char *scn = scn_path("bond.scn");
	struct proc_result r;

	test_kill(dpid);
	dpid = 0;
	ck_assert(test_wait_name(st.bus, BC_SERVICE, false, 5000));
	bc((const char *[]){ "runs", NULL }, &r);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "bondcheckd is not running"));
	test_result_clear(&r);
	bc((const char *[]){ "run", "--daemon", "-d", DUT0, scn, NULL }, &r);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "bondcheckd is not running"));
	test_result_clear(&r);
	g_free(scn);
}
END_TEST

static const struct {
	const char *args[8];
	const char *words;
} daemon_usage[] = {
	{ { "run", "--daemon", "--sim", "SCN", NULL }, "no --sim" },
	{ { "run", "--daemon", "-d", DUT0, "--reboot-cmd", "reset", "SCN",
		  NULL },
		"--reboot METHOD" },
	{ { "run", "-d", DUT0, "--reboot", "x", "SCN", NULL },
		"--reboot METHOD is for --daemon" },
	{ { "runs", "extra", NULL }, "no arguments" },
	{ { "cancel", NULL }, "cancel takes one run" },
};

START_TEST(daemon_usage_errors_exit_2)
{
	char *scn = scn_path("bond.scn");
	const char *args[8];
	struct proc_result r;

	for (int i = 0; i < 8; i++)
		args[i] = daemon_usage[_i].args[i] &&
		                          !strcmp(daemon_usage[_i].args[i],
						  "SCN") ?
		                  scn :
		                  daemon_usage[_i].args[i];
	bc(args, &r);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, daemon_usage[_i].words), "%s", r.err);
	test_result_clear(&r);
	g_free(scn);
}
END_TEST

/* ---- a bluetoothd that sends what it should not ------------------------- */

/* python-dbusmock's bluez5 template as org.bluez, with an object at the
 * simulator's path: it can send a Trace signal of any size or depth. */
static GPid mock;

static void setup_mock_bluez(void)
{
	GError *err = NULL;
	GVariant *r;

	memset(&st, 0, sizeof(st));
	ck_assert(testbus_start(&st.tb));
	st.env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", st.tb.address);
	st.bus = bus_connect(BUS_KIND_ADDRESS, st.tb.address, &err);
	ck_assert_msg(st.bus, "%s", err ? err->message : "");
	mock = test_start_dbusmock(&st.tb, st.bus);
	r = test_call_ok(st.bus, BLUEZ_SERVICE, BLUEZ_PATH, "org.bluez.Mock",
		"AddAdapter", g_variant_new("(ss)", "hci0", "bondcheck"));
	g_variant_unref(r);
	r = test_call_ok(st.bus, BLUEZ_SERVICE, BLUEZ_PATH,
		"org.freedesktop.DBus.Mock", "AddObject",
		g_variant_new_parsed("(%o, %s, @a{sv} {}, @a(ssss) [])",
			BC_SIM_PATH, BC_SIM_IFACE));
	g_variant_unref(r);
	state_dir = g_dir_make_tmp("bc-daemon-XXXXXX", NULL);
	conf_path = g_build_filename(state_dir, "bondcheckd.conf", NULL);
	seen_start();
	start_daemon(NULL);
}

static void teardown_mock_bluez(void)
{
	test_kill(mock);
	mock = 0;
	teardown();
}

static char *nested_json(int levels)
{
	return g_string_free(hostile_nesting("{\"event\":\"x\",\"v\":", levels,
				     "}"),
		FALSE);
}

static const struct {
	int levels; /* of the trace's JSON */
	const char *logged;
} traces[] = {
	/* 30,000 levels in 60 KB: json-glib's recursion killed bondcheckd */
	{ 30000, "{\"event\":\"trace-dropped\",\"bytes\":60018,"
		 "\"why\":\"nested too deeply\"}" },
	/* 100,000 levels in 200 KB: the report's case */
	{ 100000, "{\"event\":\"trace-dropped\",\"bytes\":200018,"
		  "\"why\":\"longer than the limit\"}" },
	{ 10, "{\"event\":\"x\",\"v\":[[[[[[[[[[]]]]]]]]]]}" },
};

START_TEST(a_hostile_trace_signal_is_bounded_not_parsed)
{
	char *a = start_run("sleep 1h\n", opts_for(DUT0, "hci0"));
	char *json = nested_json(traces[_i].levels);
	char *want = g_strdup_printf("\"trace\":%s", traces[_i].logged);
	GVariant *r;

	/* the run's agent is registered: its connection's match rules,
	 * added before, are in place at the bus */
	wait_event(a, "\"name\":\"sleep\"", 20000);
	/* the owner of org.bluez says it, at the simulator's path */
	r = test_call_ok(st.bus, BLUEZ_SERVICE, BC_SIM_PATH,
		"org.freedesktop.DBus.Mock", "EmitSignal",
		g_variant_new_parsed("(%s, 'Trace', 's', [<%s>])", BC_SIM_IFACE,
			json));
	g_variant_unref(r);
	/* bondcheckd is alive, and its log says what it did with it */
	wait_event(a, want, 20000);
	cancel_run(a, 20000);
	g_free(want);
	g_free(json);
	g_free(a);
}
END_TEST

/* ---- the D-Bus policy, with callers that are not root ------------------- */

static struct testbus pbus;
static GPid ppid;
static GPid psim;
static char *pdir;

/* A system-bus-like configuration with our policy file, the group
 * "bondcheck" standing as "users" (gid 100): test machines have no group
 * bondcheck, and creating one is not a test's business. */
static void policy_setup(void)
{
	char *policy = test_path("systemd/org.bondcheck.conf");
	char *text, *ours, *conf, *pconf, *bconf;
	char **parts;
	char *prog = test_prog("bondcheckd");
	const char *env[2];
	char *envs, *log;
	const char *argv[8];
	struct bus *b;

	pdir = g_dir_make_tmp("bc-policy-XXXXXX", NULL);
	ck_assert(g_file_get_contents(policy, &text, NULL, NULL));
	parts = g_strsplit(text, "group=\"bondcheck\"", -1);
	ours = g_strjoinv("group=\"users\"", parts);
	pconf = g_build_filename(pdir, "org.bondcheck.conf", NULL);
	ck_assert(g_file_set_contents(pconf, ours, -1, NULL));
	conf = g_strdup_printf(
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
		"Configuration 1.0//EN\" \"http://www.freedesktop.org/standards/"
		"dbus/1.0/busconfig.dtd\">\n<busconfig><type>system</type>"
		"<listen>unix:dir=%s</listen><auth>EXTERNAL</auth>"
		"<policy context=\"default\"><allow user=\"*\"/>"
		"<allow own=\"*\"/><allow send_type=\"method_call\"/>"
		"<allow send_type=\"signal\"/><allow send_type=\"method_return\"/>"
		"<allow send_type=\"error\"/><allow receive_type=\"method_call\"/>"
		"<allow receive_type=\"signal\"/><allow receive_type=\"method_return\"/>"
		"<allow receive_type=\"error\"/></policy>"
		"<include>%s</include></busconfig>\n",
		pdir, pconf);
	bconf = g_build_filename(pdir, "bus.conf", NULL);
	ck_assert(g_file_set_contents(bconf, conf, -1, NULL));
	/* the socket's directory must let "nobody" in */
	g_chmod(pdir, 0755);
	ck_assert(testbus_start_conf(&pbus, bconf));
	envs = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", pbus.address);
	env[0] = envs;
	env[1] = NULL;
	log = g_build_filename(pdir, "daemon.log", NULL);
	argv[0] = prog;
	argv[1] = "--bus";
	argv[2] = pbus.address;
	argv[3] = "--state-dir";
	argv[4] = pdir;
	argv[5] = "--config";
	argv[6] = "/dev/null";
	argv[7] = NULL;
	ppid = test_spawn(argv, env, log);
	b = bus_connect(BUS_KIND_ADDRESS, pbus.address, NULL);
	ck_assert_ptr_nonnull(b);
	ck_assert(test_wait_name(b, BC_SERVICE, true, 10000));
	/* a bluetoothd, so that runs run and send their Events */
	{
		char *sim = test_prog("bondcheck-sim");
		const char *sargv[] = { sim, "--bus", pbus.address,
			"--time-scale", "0.01", NULL };

		psim = test_spawn(sargv, env, NULL);
		ck_assert(test_wait_name(b, BLUEZ_SERVICE, true, 10000));
		g_free(sim);
	}
	bus_unref(b);
	g_strfreev(parts);
	g_free(text);
	g_free(ours);
	g_free(conf);
	g_free(pconf);
	g_free(bconf);
	g_free(policy);
	g_free(prog);
	g_free(envs);
	g_free(log);
}

static void policy_teardown(void)
{
	test_kill(psim);
	psim = 0;
	test_kill(ppid);
	testbus_stop(&pbus);
	rm_rf(pdir);
	g_free(pdir);
}

static void as_user(const char *groups, const char *cmd, struct proc_result *r)
{
	char *prog = test_prog(!strcmp(cmd, "own") ? "bondcheckd" :
						     "bondcheck");
	char *envs = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s",
		pbus.address);
	const char *env[] = { envs, NULL };
	char *state = g_build_filename(pdir, "nobody", NULL);
	const char *argv[12];
	int n = 0;

	argv[n++] = "/usr/bin/setpriv";
	argv[n++] = "--reuid=65534";
	argv[n++] = "--regid=65534";
	argv[n++] = groups ? "--groups=100" : "--clear-groups";
	argv[n++] = prog;
	if (!strcmp(cmd, "own")) {
		/* a state directory it may write: the name is what it lacks */
		ck_assert_int_eq(g_mkdir_with_parents(state, 0755), 0);
		ck_assert_int_eq(chown(state, 65534, 65534), 0);
		argv[n++] = "--state-dir";
		argv[n++] = state;
		argv[n++] = "--config";
		argv[n++] = "/dev/null";
	} else {
		argv[n++] = cmd;
	}
	argv[n] = NULL;
	test_run(argv, env, 20000, r);
	g_free(prog);
	g_free(envs);
	g_free(state);
}

START_TEST(the_policy_lets_root_and_the_group_in_and_keeps_others_out)
{
	struct proc_result r;

	if (geteuid() != 0) {
		/* setpriv needs root to become another user */
		fprintf(stderr, "policy test: not root, cannot switch users; "
				"skipped\n");
		return;
	}
	/* root: may call */
	{
		char *prog = test_prog("bondcheck");
		char *envs = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s",
			pbus.address);
		const char *argv[] = { prog, "runs", NULL };
		const char *env[] = { envs, NULL };

		test_run(argv, env, 20000, &r);
		ck_assert_msg(r.status == 0, "root: %d %s", r.status, r.err);
		test_result_clear(&r);
		g_free(prog);
		g_free(envs);
	}
	/* a member of the group: may call */
	as_user("users", "runs", &r);
	ck_assert_msg(r.status == 0, "group member: %d %s", r.status, r.err);
	test_result_clear(&r);
	/* anyone else: denied, and told why */
	as_user(NULL, "runs", &r);
	ck_assert_msg(r.status == 3, "other: %d %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "not allowed to use bondcheckd"));
	test_result_clear(&r);
	/* and no one but root may own the name */
	test_kill(ppid);
	ppid = 0;
	as_user("users", "own", &r);
	ck_assert_msg(r.status == 3, "own: %d %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "org.bondcheck"), "%s", r.err);
	test_result_clear(&r);
}
END_TEST

/* A listener of every signal on the policy bus, as nobody (with the
 * group, or without). */
static struct expect *listen_as(const char *groups)
{
	char *script = test_path("tests/helpers/siglisten.py");
	char *envs = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s",
		pbus.address);
	const char *argv[] = { "/usr/bin/setpriv", "--reuid=65534",
		"--regid=65534", groups ? "--groups=100" : "--clear-groups",
		"/usr/bin/python3", script, NULL };
	const char *env[] = { envs, NULL };
	struct expect *e = expect_spawn(argv, env);

	ck_assert_msg(expect_wait(e, "ready", 20000), "listener: %s",
		expect_output(e));
	g_free(envs);
	g_free(script);
	return e;
}

START_TEST(run_signals_reach_root_and_the_group_only)
{
	struct expect *member, *other;
	struct bus *saved = st.bus;
	DBusMessage *barrier;
	char *a;

	if (geteuid() != 0) {
		fprintf(stderr, "policy test: not root, cannot switch users; "
				"skipped\n");
		return;
	}
	member = listen_as("users");
	other = listen_as(NULL);
	/* root starts a run and follows it (root may receive) */
	st.bus = bus_connect(BUS_KIND_ADDRESS, pbus.address, NULL);
	ck_assert_ptr_nonnull(st.bus);
	seen_start();
	a = start_run("scan\nsleep 1h\n", opts_for(DUT0, NULL));
	wait_event(a, "\"name\":\"sleep\"", 20000);
	cancel_run(a, 20000);
	/* everything bondcheckd said about the run has been routed: a signal
	 * sent now reaches each listener after all of it */
	barrier = dbus_message_new_signal("/test", "test.policy", "Barrier");
	ck_assert(bus_send(st.bus, barrier));
	dbus_message_unref(barrier);
	ck_assert_msg(expect_wait(member, "barrier", 20000), "%s",
		expect_output(member));
	ck_assert_msg(expect_wait(other, "barrier", 20000), "%s",
		expect_output(other));
	/* the group member heard the run; the other user heard nothing of
	 * bondcheckd (no Event with its label, device or passkeys, no
	 * InterfacesAdded or PropertiesChanged) */
	ck_assert_msg(strstr(expect_output(member),
			      "signal org.bondcheck.Run1."
			      "Event /org/bondcheck/run/1\n") &&
			      strstr(expect_output(member), "InterfacesAdded "
							    "/org/bondcheck\n"),
		"%s", expect_output(member));
	/* (the simulator's own Trace, at /org/bondcheck/sim, is bluez's) */
	ck_assert_msg(!strstr(expect_output(other), " /org/bondcheck/run") &&
			      !strstr(expect_output(other),
				      " /org/bondcheck\n"),
		"%s", expect_output(other));
	ck_assert_int_eq(expect_exit(member, 10000), 0);
	ck_assert_int_eq(expect_exit(other, 10000), 0);
	expect_free(member);
	expect_free(other);
	bus_remove_signal_watch(st.bus, seen.w1);
	bus_remove_signal_watch(st.bus, seen.w2);
	g_hash_table_destroy(seen.state);
	g_hash_table_destroy(seen.history);
	g_hash_table_destroy(seen.events);
	bus_unref(st.bus);
	st.bus = saved;
	g_free(a);
}
END_TEST

START_TEST(the_unit_file_verifies)
{
	char *in = test_path("systemd/bondcheckd.service.in");
	char *dir = g_dir_make_tmp("bc-unit-XXXXXX", NULL);
	char *unit = g_build_filename(dir, "bondcheckd.service", NULL);
	char *text, *filled;
	char **parts;
	const char *argv[] = { "/usr/bin/systemd-analyze", "verify", "--man=no",
		unit, NULL };
	struct proc_result r;

	if (!g_file_test(argv[0], G_FILE_TEST_IS_EXECUTABLE)) {
		fprintf(stderr, "no systemd-analyze: unit not verified\n");
		goto out;
	}
	ck_assert(g_file_get_contents(in, &text, NULL, NULL));
	parts = g_strsplit(text, "@SBINDIR@", -1);
	filled = g_strjoinv(test_builddir(), parts);
	ck_assert(g_file_set_contents(unit, filled, -1, NULL));
	test_run(argv, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	ck_assert_str_eq(r.err, "");
	test_result_clear(&r);
	g_strfreev(parts);
	g_free(text);
	g_free(filled);
	unlink(unit);
out:
	rmdir(dir);
	g_free(unit);
	g_free(dir);
	g_free(in);
}
END_TEST

START_TEST(the_policy_file_is_well_formed)
{
	char *policy = test_path("systemd/org.bondcheck.conf");
	const char *argv[] = { "/usr/bin/xmllint", "--noout", policy, NULL };
	struct proc_result r;

	test_run(argv, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "%s", r.err);
	test_result_clear(&r);
	g_free(policy);
}
END_TEST

Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("runs");
	TCase *ret = tcase_create("retention");
	TCase *bound = tcase_create("state-size");
	TCase *pol = tcase_create("policy");
	TCase *mk = tcase_create("hostile-bluez");
	TCase *files = tcase_create("files");
	TCase *full = tcase_create("full-disk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, a_run_through_the_daemon_is_the_run_in_process);
	tcase_add_test(tc, the_seed_bug_through_the_daemon_is_the_same_verdict);
	tcase_add_test(tc, several_scenarios_go_to_the_daemon_in_turn);
	tcase_add_test(tc, runs_on_one_adapter_queue);
	tcase_add_test(tc,
		a_device_in_use_by_the_daemon_is_refused_to_the_command_line);
	tcase_add_test(tc,
		a_device_in_use_by_the_command_line_is_refused_to_the_daemon);
	tcase_add_test(tc, set_new_defines_what_set_would_refuse);
	tcase_add_test(tc, runs_on_two_adapters_go_in_parallel);
	tcase_add_test(tc, a_two_adapter_run_queues_behind_a_run_on_hci0);
	tcase_add_test(tc, a_two_adapter_run_queues_behind_a_run_on_hci1);
	tcase_add_test(tc,
		an_adapter_the_scenario_gives_another_central_is_refused);
	tcase_add_test(tc, full_scenarios_pass_on_both_adapters_at_once);
	tcase_add_test(tc, cancel_works_on_queued_and_running_runs);
	tcase_add_test(tc,
		runs_cancelled_before_they_start_leave_no_scenario_text);
	tcase_add_test(tc, a_client_that_goes_away_does_not_stop_the_run);
	tcase_add_test(tc,
		bluetoothd_vanishing_is_an_environment_error_then_runs_go_on);
	tcase_add_test(tc,
		an_adapter_unplugged_mid_run_is_an_environment_error);
	tcase_add_test(tc, sigterm_cancels_runs_logs_them_and_exits);
	tcase_add_loop_test(tc, startrun_refuses_what_it_must, 0,
		G_N_ELEMENTS(refusals));
	tcase_add_loop_test(tc,
		a_hostile_scenario_gets_a_bounded_error_and_the_daemon_lives, 0,
		G_N_ELEMENTS(hostile_words));
	tcase_add_test(tc, a_reboot_method_from_the_configuration_is_used);
	tcase_add_test(tc, runs_and_cancel_from_the_command_line);
	tcase_add_test(tc, no_daemon_is_a_clear_environment_error);
	tcase_add_loop_test(tc, daemon_usage_errors_exit_2, 0,
		G_N_ELEMENTS(daemon_usage));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(full, setup_full_disk, teardown);
	tcase_set_timeout(full, 60);
	tcase_add_test(full, a_run_whose_log_cannot_be_written_is_an_error);
	tcase_add_loop_test(full,
		a_copy_of_the_log_that_cannot_be_written_is_never_a_pass, 0,
		G_N_ELEMENTS(copies));
	suite_add_tcase(s, full);

	tcase_add_checked_fixture(ret, setup_retention, teardown);
	tcase_set_timeout(ret, 60);
	tcase_add_test(ret, finished_runs_are_kept_up_to_the_retention_limit);
	suite_add_tcase(s, ret);

	tcase_add_checked_fixture(bound, setup_state_bound, teardown);
	tcase_set_timeout(bound, 90);
	tcase_add_test(bound, the_state_directory_is_kept_under_max_state_size);
	suite_add_tcase(s, bound);

	tcase_add_checked_fixture(mk, setup_mock_bluez, teardown_mock_bluez);
	tcase_set_timeout(mk, 60);
	tcase_add_loop_test(mk, a_hostile_trace_signal_is_bounded_not_parsed, 0,
		G_N_ELEMENTS(traces));
	suite_add_tcase(s, mk);

	tcase_add_checked_fixture(pol, policy_setup, policy_teardown);
	tcase_set_timeout(pol, 60);
	tcase_add_test(pol,
		the_policy_lets_root_and_the_group_in_and_keeps_others_out);
	tcase_add_test(pol, run_signals_reach_root_and_the_group_only);
	suite_add_tcase(s, pol);

	tcase_set_timeout(files, 60);
	tcase_add_test(files, the_unit_file_verifies);
	tcase_add_test(files, the_policy_file_is_well_formed);
	suite_add_tcase(s, files);
	return s;
}
