/* SPDX-License-Identifier: MIT */
/*
 * check_run.c — bondcheck run end to end: every shipped scenario against
 * the simulator with each fault that matters to it, the log it leaves, each
 * reboot trigger (a command, a serial port through a pty, a person), and
 * what Ctrl-C and SIGKILL leave behind.
 */
#include <check.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/names.h"
#include "helpers/simtest.h"
#include "suites.h"

static char *scn_path(const char *name)
{
	char *rel = g_strdup_printf("scenarios/%s", name);
	char *p = test_path(rel);

	g_free(rel);
	return p;
}

static char *tmp_log(void)
{
	char *p = g_strdup("/tmp/bc-run-XXXXXX");
	int fd = g_mkstemp(p);

	close(fd);
	return p;
}

/* Every complete line parses; the first is run-start, the last run-end. */
static JsonObject *check_log(const char *path, bool complete, JsonParser **keep)
{
	char *text = NULL;
	char **lines;
	guint n;
	JsonObject *last = NULL;

	ck_assert(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	n = g_strv_length(lines);
	ck_assert_msg(n >= 2, "log %s has %u lines", path, n);
	/* the text after the last newline is an unfinished line: skip it */
	for (guint i = 0; i + 1 < n; i++) {
		JsonParser *p = json_parser_new();
		JsonObject *o;

		ck_assert_msg(json_parser_load_from_data(p, lines[i], -1, NULL),
			"%s:%u does not parse: %s", path, i + 1, lines[i]);
		o = json_node_get_object(json_parser_get_root(p));
		ck_assert(json_object_has_member(o, "type"));
		ck_assert(json_object_has_member(o, "t"));
		if (i == 0) {
			ck_assert_str_eq(json_object_get_string_member(o,
						 "type"),
				"run-start");
			ck_assert_int_eq(json_object_get_int_member(o,
						 "schema"),
				1);
		}
		if (i + 2 == n && complete) {
			ck_assert_str_eq(json_object_get_string_member(o,
						 "type"),
				"run-end");
			*keep = p;
			last = o;
		} else {
			g_object_unref(p);
		}
	}
	g_strfreev(lines);
	g_free(text);
	return last;
}

static const char *opt_str(JsonObject *o, const char *k)
{
	JsonNode *n = json_object_get_member(o, k);

	return n && !JSON_NODE_HOLDS_NULL(n) ? json_node_get_string(n) : NULL;
}

/* The fault sets of the matrix: every simulator fault, alone or with the
 * lost bond it needs to show. */
static const char *const columns[][3] = {
	{ NULL },
	{ "lose-bond-on-reboot" },
	{ "key-lookup-mismatch" },
	{ "rotate-identity-on-reboot" },
	{ "forget-cccd-on-reboot" },
	{ "lose-bond-on-reboot", "terminate-on-encrypt" },
	{ "slow-boot=2s" },
	{ "no-advertise-after-reboot" },
	{ "repair-on-reconnect" },
	{ "lose-bond-on-reboot", "connect-succeeds-then-drops" },
	{ "lose-bond-on-reboot", "bluez-version=5.83" },
	{ "bluez-version=5.64" },
	{ "bond-table-full=1" },
	{ "lose-later-bonds-on-reboot" },
	{ "no-rpa-resolution" },
	{ "save-on-disconnect" },
	/* bluetoothd misses the first reconnect's link: Connect() again */
	{ "bluez-misses-link=1" },
};

#define NCOL G_N_ELEMENTS(columns)

/*
 * Expected outcome per column: "pass", or "VERDICT/CONFIDENCE/LINE" with
 * PRP peer-removed-pairing, IDC identity-changed, NA not-advertising,
 * UPR unexpected-pairing-request, SL subscription-lost; i/c inferred or
 * confirmed. These scenarios declare no privacy: the simulated central
 * uses its public address, so the RPA faults cannot show (and the runs
 * say so); a hard reboot on the bonding link loses a bond saved only on a
 * disconnect.
 */
static const struct {
	const char *scenario;
	const char *expect[NCOL];
} matrix[] = {
	/* Just Works (io=NoInputNoOutput): a re-pairing is silent on D-Bus */
	{ "bond.scn",
		{ "pass", "PRP/i/19", "pass", "IDC/i/18", "pass", "PRP/i/19",
			"pass", "NA/i/18", "pass", "PRP/i/19", "PRP/c/19",
			"pass", "pass", "pass", "pass", "PRP/i/19", "pass" } },
	{ "pair-no-bond.scn",
		{ "pass", "pass", "pass", "pass", "pass", "pass", "pass",
			"pass", "pass", "pass", "pass", "pass", "pass", "pass",
			"pass", "pass", "pass" } },
	{ "cccd-survives-reboot.scn",
		{ "pass", "PRP/i/21", "pass", "IDC/i/20", "SL/c/22", "PRP/i/21",
			"pass", "NA/i/20", "UPR/i/21", "PRP/i/21", "PRP/c/21",
			"pass", "pass", "pass", "pass", "PRP/i/21", "pass" } },
	{ "identity-stable.scn",
		{ "pass", "PRP/i/18", "pass", "IDC/i/17", "pass", "PRP/i/18",
			"pass", "NA/i/17", "UPR/i/18", "PRP/i/18", "PRP/c/18",
			"pass", "pass", "pass", "pass", "PRP/i/18", "pass" } },
	{ "repair-after-host-forgets.scn",
		{ "pass", "PRP/i/22", "pass", "IDC/i/21", "pass", "PRP/i/22",
			"pass", "NA/i/21", "UPR/i/22", "PRP/i/22", "PRP/c/22",
			"pass", "pass", "pass", "pass", "PRP/i/22", "pass" } },
	{ "soak-reboot.scn",
		{ "pass", "PRP/i/19", "pass", "IDC/i/18", "pass", "PRP/i/19",
			"pass", "NA/i/18", "UPR/i/19", "PRP/i/19", "PRP/c/19",
			"pass", "pass", "pass", "pass", "PRP/i/19", "pass" } },
	/* four centrals (the simulator gets four adapters, one DUT): the
	 * oldest bond reconnects first; a table of one keeps only c4's */
	{ "bond-table.scn", { "pass", "PRP/i/42", "pass", "IDC/i/38", "pass",
				    "PRP/i/42", "pass", "NA/i/38", "UPR/i/42",
				    "PRP/i/42", "PRP/c/42", "pass", "PRP/i/42",
				    "PRP/i/42", "pass", "pass", "pass" } },
	/* the second bond reconnects first (line 35), then the first (39) */
	{ "second-central-survives-reboot.scn",
		{ "pass", "PRP/i/35", "pass", "IDC/i/34", "pass", "PRP/i/35",
			"pass", "NA/i/34", "UPR/i/35", "PRP/i/35", "PRP/c/35",
			"pass", "PRP/i/39", "PRP/i/35", "pass", "pass",
			"pass" } },
};

/*
 * The two axes of the central's privacy and the reboot's kind, for the
 * scenarios that declare `central privacy=on` and `reboot
 * kind=${REBOOT_KIND}`: per fault, the outcome with privacy on and a hard
 * reboot, on and graceful, off and hard, off and graceful. Lines: the
 * flagship reboots at 39 and reconnects at 40; phone-reconnect reconnects
 * at 32 (before any reboot), reboots at 34, reconnects at 35.
 */
static const struct {
	const char *scenario;
	const char *faults[3];
	const char *expect[4]; /* on/hard, on/graceful, off/hard, off/gr. */
} axes[] = {
	{ "bond-survives-reboot.scn", { NULL },
		{ "pass", "pass", "pass", "pass" } },
	{ "bond-survives-reboot.scn", { "lose-bond-on-reboot" },
		{ "PRP/i/40", "PRP/i/40", "PRP/i/40", "PRP/i/40" } },
	/* the seed bug: fails after the reboot with an RPA central only */
	{ "bond-survives-reboot.scn", { "key-lookup-mismatch" },
		{ "PRP/i/40", "PRP/i/40", "pass", "pass" } },
	{ "bond-survives-reboot.scn", { "no-rpa-resolution" },
		{ "PRP/i/40", "PRP/i/40", "pass", "pass" } },
	/* saved only on a disconnect: a hard reset on the bonding link */
	{ "bond-survives-reboot.scn", { "save-on-disconnect" },
		{ "PRP/i/40", "pass", "PRP/i/40", "pass" } },
	{ "bond-survives-reboot.scn", { "rotate-identity-on-reboot" },
		{ "IDC/i/39", "IDC/i/39", "IDC/i/39", "IDC/i/39" } },
	{ "bond-survives-reboot.scn", { "forget-cccd-on-reboot" },
		{ "pass", "pass", "pass", "pass" } },
	{ "bond-survives-reboot.scn",
		{ "lose-bond-on-reboot", "terminate-on-encrypt" },
		{ "PRP/i/40", "PRP/i/40", "PRP/i/40", "PRP/i/40" } },
	{ "bond-survives-reboot.scn", { "slow-boot=2s" },
		{ "pass", "pass", "pass", "pass" } },
	{ "bond-survives-reboot.scn", { "no-advertise-after-reboot" },
		{ "NA/i/39", "NA/i/39", "NA/i/39", "NA/i/39" } },
	{ "bond-survives-reboot.scn", { "repair-on-reconnect" },
		{ "UPR/i/40", "UPR/i/40", "UPR/i/40", "UPR/i/40" } },
	{ "bond-survives-reboot.scn",
		{ "lose-bond-on-reboot", "connect-succeeds-then-drops" },
		{ "PRP/i/40", "PRP/i/40", "PRP/i/40", "PRP/i/40" } },
	{ "bond-survives-reboot.scn",
		{ "lose-bond-on-reboot", "bluez-version=5.83" },
		{ "PRP/c/40", "PRP/c/40", "PRP/c/40", "PRP/c/40" } },
	{ "bond-survives-reboot.scn", { "bluez-version=5.64" },
		{ "pass", "pass", "pass", "pass" } },
	{ "bond-survives-reboot.scn", { "bond-table-full=1" },
		{ "pass", "pass", "pass", "pass" } },
	{ "bond-survives-reboot.scn", { "lose-later-bonds-on-reboot" },
		{ "pass", "pass", "pass", "pass" } },
	{ "phone-reconnect.scn", { NULL }, { "pass", "pass", "pass", "pass" } },
	{ "phone-reconnect.scn", { "lose-bond-on-reboot" },
		{ "PRP/i/35", "PRP/i/35", "PRP/i/35", "PRP/i/35" } },
	{ "phone-reconnect.scn", { "key-lookup-mismatch" },
		{ "PRP/i/35", "PRP/i/35", "pass", "pass" } },
	/* no resolution at all: the first reconnect, before the reboot */
	{ "phone-reconnect.scn", { "no-rpa-resolution" },
		{ "PRP/i/32", "PRP/i/32", "pass", "pass" } },
	/* its bond was saved by the disconnect before the reboot's link */
	{ "phone-reconnect.scn", { "save-on-disconnect" },
		{ "pass", "pass", "pass", "pass" } },
	{ "phone-reconnect.scn", { "rotate-identity-on-reboot" },
		{ "IDC/i/34", "IDC/i/34", "IDC/i/34", "IDC/i/34" } },
	{ "phone-reconnect.scn", { "no-advertise-after-reboot" },
		{ "NA/i/34", "NA/i/34", "NA/i/34", "NA/i/34" } },
	{ "phone-reconnect.scn", { "repair-on-reconnect" },
		{ "UPR/i/35", "UPR/i/35", "UPR/i/35", "UPR/i/35" } },
	{ "phone-reconnect.scn",
		{ "lose-bond-on-reboot", "bluez-version=5.83" },
		{ "PRP/c/35", "PRP/c/35", "PRP/c/35", "PRP/c/35" } },
	/* bluetoothd misses a link once: the second Connect() passes;
	 * twice in one step: reconnect-timeout, not the firmware's verdict */
	{ "bond-survives-reboot.scn", { "bluez-misses-link=1" },
		{ "pass", "pass", "pass", "pass" } },
	{ "bond-survives-reboot.scn", { "bluez-misses-link=2" },
		{ "RT/i/40", "RT/i/40", "RT/i/40", "RT/i/40" } },
	/* only a Connect() without keys: Pair() and reconnects unaffected */
	{ "bond-survives-reboot.scn", { "drop-during-discovery=2" },
		{ "pass", "pass", "pass", "pass" } },
};

static const char *long_verdict(const char *code)
{
	static const char *const map[][2] = {
		{ "PRP", "peer-removed-pairing" },
		{ "IDC", "identity-changed" },
		{ "NA", "not-advertising" },
		{ "UPR", "unexpected-pairing-request" },
		{ "SL", "subscription-lost" },
		{ "RT", "reconnect-timeout" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (!strcmp(map[i][0], code))
			return map[i][1];
	return code;
}

/* A test's temporary log and scenario: removed and freed. */
static void drop_files(char *log, char *scn)
{
	unlink(log);
	unlink(scn);
	g_free(log);
	g_free(scn);
}

/*
 * bondcheck run --sim SCENARIO with @faults and @extra arguments; its exit
 * status and run-end must be @expect's. @privacy: what the run's coverage
 * must say about RPA-dependent bugs ("could-show", "could-not-show").
 */
static void run_and_check(const char *scenario, const char *const *faults,
	const char *const *extra, const char *expect, const char *coverage)
{
	char **want = g_strsplit(expect, "/", 3);
	bool pass = !strcmp(expect, "pass");
	char *prog = test_prog("bondcheck");
	char *scn = scn_path(scenario);
	char *log = tmp_log();
	GPtrArray *argv = g_ptr_array_new();
	GString *what = g_string_new(scenario);
	struct proc_result r;
	JsonParser *p = NULL;
	JsonObject *end, *cov;

	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "run");
	g_ptr_array_add(argv, (gpointer) "--sim");
	g_ptr_array_add(argv, (gpointer) "--time-scale");
	g_ptr_array_add(argv, (gpointer) "0.02");
	/* for every scenario, whether it uses them or not */
	g_ptr_array_add(argv, (gpointer) "--set-new");
	g_ptr_array_add(argv, (gpointer) "CYCLES=2");
	g_ptr_array_add(argv, (gpointer) "--set-new");
	g_ptr_array_add(argv, (gpointer) "BOOT_TIMEOUT=2s");
	g_ptr_array_add(argv, (gpointer) "--json");
	g_ptr_array_add(argv, (gpointer) "--log");
	g_ptr_array_add(argv, log);
	for (int i = 0; faults[i]; i++) {
		g_ptr_array_add(argv, (gpointer) "--fault");
		g_ptr_array_add(argv, (gpointer)faults[i]);
		g_string_append_printf(what, " %s", faults[i]);
	}
	for (int i = 0; extra && extra[i]; i++) {
		g_ptr_array_add(argv, (gpointer)extra[i]);
		g_string_append_printf(what, " %s", extra[i]);
	}
	g_ptr_array_add(argv, scn);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata, NULL, 60000, &r);
	/* the end of the output: the events before run-end */
	ck_assert_msg(r.status == (pass ? 0 : 1), "%s: exit %d\n...%s\n%s",
		what->str, r.status,
		r.out + (strlen(r.out) > 1500 ? strlen(r.out) - 1500 : 0),
		r.err);
	end = check_log(log, true, &p);
	ck_assert_msg(!g_strcmp0(opt_str(end, "verdict"),
			      pass ? "pass" : long_verdict(want[0])),
		"%s: %s, expected %s", what->str, opt_str(end, "verdict"),
		expect);
	if (pass) {
		ck_assert_ptr_null(opt_str(end, "confidence"));
	} else {
		ck_assert_str_eq(opt_str(end, "confidence"),
			!strcmp(want[1], "c") ? "confirmed" : "inferred");
		ck_assert_msg(json_object_get_int_member(end, "line") ==
				      g_ascii_strtoll(want[2], NULL, 10),
			"%s: line %" G_GINT64_FORMAT ", expected %s", what->str,
			json_object_get_int_member(end, "line"), want[2]);
	}
	/* what the run could not have shown is in its run-end */
	cov = json_object_get_object_member(end, "coverage");
	ck_assert_msg(cov && !g_strcmp0(opt_str(cov, "rpa_bugs"), coverage),
		"%s: coverage %s, expected %s", what->str,
		cov ? opt_str(cov, "rpa_bugs") : "(none)", coverage);
	/* --json: the same events, one per line, on stdout */
	ck_assert_ptr_nonnull(strstr(r.out, "\"type\":\"run-end\""));
	ck_assert_ptr_null(strstr(r.out, "PASS"));
	g_object_unref(p);
	g_strfreev(want);
	g_string_free(what, TRUE);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
	g_free(scn);
	g_free(prog);
	g_ptr_array_free(argv, TRUE);
}

START_TEST(each_scenario_against_each_fault)
{
	unsigned row = (unsigned)_i / NCOL, col = (unsigned)_i % NCOL;

	run_and_check(matrix[row].scenario, columns[col], NULL,
		matrix[row].expect[col], "could-not-show");
}
END_TEST

START_TEST(each_fault_by_privacy_and_reboot_kind)
{
	unsigned row = (unsigned)_i / 4, cell = (unsigned)_i % 4;
	const char *extra[] = { "--privacy", cell < 2 ? "on" : "off", "--set",
		cell % 2 ? "REBOOT_KIND=graceful" : "REBOOT_KIND=hard", NULL };

	run_and_check(axes[row].scenario, axes[row].faults, extra,
		axes[row].expect[cell],
		cell < 2 ? "could-show" : "could-not-show");
}
END_TEST

/* ---- --sim-opt: the simulated DUT as the user sets it --------------------- */

/* The log's first line (run-start); free @keep. */
static JsonObject *run_start(const char *path, JsonParser **keep)
{
	char *text = NULL;
	char *nl;

	ck_assert(g_file_get_contents(path, &text, NULL, NULL));
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	*keep = json_parser_new();
	ck_assert(json_parser_load_from_data(*keep, text, -1, NULL));
	g_free(text);
	return json_node_get_object(json_parser_get_root(*keep));
}

static char *sim_run(const char *text, const char *const *extra,
	struct proc_result *r)
{
	char *prog = test_prog("bondcheck");
	char *scn = g_strdup("/tmp/bc-scn-XXXXXX.scn");
	char *log = tmp_log();
	GPtrArray *argv = g_ptr_array_new();
	int fd = g_mkstemp_full(scn, O_RDWR, 0644);

	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "run");
	g_ptr_array_add(argv, (gpointer) "--sim");
	g_ptr_array_add(argv, (gpointer) "--time-scale");
	g_ptr_array_add(argv, (gpointer) "0.02");
	g_ptr_array_add(argv, (gpointer) "--log");
	g_ptr_array_add(argv, log);
	for (size_t i = 0; extra && extra[i]; i++)
		g_ptr_array_add(argv, (gpointer)extra[i]);
	g_ptr_array_add(argv, scn);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata,
		(const char *const[]){ "NO_COLOR=1", NULL }, 60000, r);
	g_ptr_array_free(argv, TRUE);
	unlink(scn);
	g_free(scn);
	g_free(prog);
	return log;
}

START_TEST(sim_settings_change_the_dut_and_are_in_run_start)
{
	const char *extra[] = { "--sim-opt", "name=thermo-2", "--sim-opt",
		"address=c0:ff:ee:00:00:07", "--sim-opt", "io=NoInputNoOutput",
		"--sim-opt", "sc=no", NULL };
	struct proc_result r;
	char *log = sim_run("scan\npair\nexpect paired=yes bonded=yes\n", extra,
		&r);
	JsonParser *p = NULL;
	JsonObject *o, *sim, *set;
	char *text;

	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	o = run_start(log, &p);
	/* --sim follows the DUT to its new address */
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(o, "device"),
				 "address"),
		"C0:FF:EE:00:00:07");
	sim = json_object_get_object_member(o, "sim");
	set = json_object_get_object_member(sim, "settings");
	ck_assert_str_eq(json_object_get_string_member(set, "name"),
		"thermo-2");
	ck_assert_str_eq(json_object_get_string_member(set, "address"),
		"C0:FF:EE:00:00:07");
	ck_assert_str_eq(json_object_get_string_member(set, "io"),
		"NoInputNoOutput");
	ck_assert_str_eq(json_object_get_string_member(set, "sc"), "no");
	/* the ones not given, as in effect */
	ck_assert_str_eq(json_object_get_string_member(set, "bond-table"), "8");
	ck_assert_str_eq(json_object_get_string_member(set, "adapters"), "1");
	/* the simulator paired as told: legacy, Just Works */
	g_file_get_contents(log, &text, NULL, NULL);
	ck_assert_msg(strstr(text, "\"method\":\"just-works\",\"sc\":false"),
		"%s", text);
	g_free(text);
	g_object_unref(p);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
}
END_TEST

/*
 * Issue 18: a reconnect after a reboot connects at the DUT's first
 * advertisement. The reboot step calls Connect() while the DUT is down
 * and the reconnect step takes it over (evidence connect=early); the
 * simulator's link-up says which advertising event each link began at,
 * counted from the DUT's boot (the default, and BONDCHECK_EARLY_CONNECT=yes;
 * with =no, the old way: Connect() after discovery saw the DUT, at a later
 * event). Events and the
 * simulator's event numbers only: nothing here depends on the clock.
 */
static const struct {
	const char *env;
	bool early;
} early_connects[] = {
	{ NULL, true }, /* the default */
	{ "BONDCHECK_EARLY_CONNECT=yes", true },
	{ "BONDCHECK_EARLY_CONNECT=no", false },
};

/* Each line of the log at @log, parsed, to @fn with its type. */
typedef void (*log_line_fn)(JsonObject *o, const char *type, const char *line,
	void *data);

static void each_log_line(const char *log, log_line_fn fn, void *data)
{
	char *text;
	char **lines;

	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++) {
		JsonParser *p = json_parser_new();
		JsonObject *o;

		ck_assert(json_parser_load_from_data(p, lines[i], -1, NULL));
		o = json_node_get_object(json_parser_get_root(p));
		fn(o, json_object_get_string_member(o, "type"), lines[i], data);
		g_object_unref(p);
	}
	g_strfreev(lines);
	g_free(text);
}

static const char *step_name(JsonObject *o)
{
	return json_object_get_string_member(o, "name");
}

static const char *trace_event(JsonObject *o)
{
	return json_object_get_string_member(json_object_get_object_member(o,
						     "trace"),
		"event");
}

struct first_adv {
	bool early;
	unsigned reconnects, links, waiting_at_boot;
	bool booted, connecting;
};

static void first_adv_line(JsonObject *o, const char *type, const char *line,
	void *data)
{
	struct first_adv *f = data;
	JsonObject *ev;

	if (!strcmp(type, "step-end") && !strcmp(step_name(o), "reconnect")) {
		ev = json_object_get_object_member(o, "evidence");
		f->reconnects++;
		ck_assert_msg(!g_strcmp0(opt_str(ev, "connect"),
				      f->early ? "early" : NULL),
			"%s: connect=%s", line, opt_str(ev, "connect"));
	} else if (!strcmp(type, "step-end") &&
		   !strcmp(step_name(o), "reboot")) {
		/* the reboot step still says when the link went and when the
		 * DUT advertised */
		ev = json_object_get_object_member(o, "evidence");
		ck_assert(json_object_has_member(ev, "link_lost_after_ms"));
		ck_assert(json_object_has_member(ev, "advertising_after_ms"));
	} else if (!strcmp(type, "sim")) {
		const char *name = trace_event(o);

		if (!strcmp(name, "connecting")) {
			f->connecting = true;
		} else if (!strcmp(name, "booted")) {
			f->booted = true;
			/* a Connect() already waited for the DUT */
			f->waiting_at_boot += f->connecting;
		} else if (!strcmp(name, "link-up") && f->booted) {
			int64_t k = json_object_get_int_member(
				json_object_get_object_member(o, "trace"),
				"adv_event");

			/* the first link after each boot: at the first
			 * advertising event when a Connect() waited for it;
			 * after discovery saw one, at a later one */
			if (f->connecting && f->early)
				ck_assert_int_eq(k, 0);
			if (!f->early)
				ck_assert_int_ge(k, 1);
			f->booted = false;
			f->links++;
		}
		if (!strcmp(name, "link-up"))
			f->connecting = false;
	}
}

START_TEST(a_reconnect_after_a_reboot_connects_at_the_first_advertisement)
{
	char *prog = test_prog("bondcheck");
	char *scn = scn_path("soak-reboot.scn");
	char *log = tmp_log();
	/* a boot long enough (1.5 s here) that the Connect() made at the
	 * link's drop is waiting when the DUT advertises, also on a loaded
	 * machine; the simulator's trace says whether it was */
	const char *argv[] = { prog, "run", "--sim", "--time-scale", "0.05",
		"--sim-opt", "adv-interval=1s", "--sim-opt", "boot-time=30s",
		"--set", "CYCLES=3", "--set", "BOOT_TIMEOUT=60s", "--log", log,
		scn, NULL };
	struct proc_result r;
	struct first_adv f = { .early = early_connects[_i].early };

	test_run(argv,
		(const char *const[]){ "NO_COLOR=1", early_connects[_i].env,
			NULL },
		60000, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	each_log_line(log, first_adv_line, &f);
	ck_assert_uint_eq(f.reconnects, 3);
	ck_assert_uint_eq(f.links, 3);
	/* the early Connect() is made at the link's drop, before the boot
	 * ends; the old way only after the DUT advertised */
	if (f.early)
		ck_assert_uint_ge(f.waiting_at_boot, 1);
	else
		ck_assert_uint_eq(f.waiting_at_boot, 0);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
	g_free(scn);
	g_free(prog);
}
END_TEST

struct missed_link {
	unsigned retried, unreported, connects;
	bool in_first;
};

static void missed_link_line(JsonObject *o, const char *type, const char *line,
	void *data)
{
	struct missed_link *m = data;

	if (!strcmp(type, "step-start"))
		m->in_first = !strcmp(step_name(o), "reconnect") && !m->retried;
	if (!strcmp(type, "step-end") && !strcmp(step_name(o), "reconnect")) {
		JsonObject *ev = json_object_get_object_member(o, "evidence");

		if (opt_str(ev, "connect_retry")) {
			ck_assert_str_eq(opt_str(ev, "connect_retry"),
				"unreported-link-dropped");
			ck_assert(strstr(line, "Connect() again, once"));
			m->retried++;
		}
		m->in_first = false;
	} else if (!strcmp(type, "bluez") && m->in_first &&
		   !g_strcmp0(opt_str(o, "event"), "call") &&
		   !g_strcmp0(opt_str(o, "method"), "Connect")) {
		m->connects++;
	} else if (!strcmp(type, "sim") &&
		   !strcmp(trace_event(o), "connected-unreported")) {
		m->unreported++;
	}
}

/*
 * bluetoothd 5.66's race (QEMU tier), played by the simulator: the first
 * reconnect's link comes up encrypted and Connect() succeeds, but
 * Connected never goes true and the DUT drops the link. The reconnect
 * calls Connect() once more, says why, and the run passes; with the early
 * Connect() of the reboot step too.
 */
START_TEST(a_link_bluetoothd_never_reported_is_connected_again)
{
	char *prog = test_prog("bondcheck");
	char *scn = scn_path("bond-survives-reboot.scn");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "--sim", "--fault",
		"bluez-misses-link=1", "--log", log, scn, NULL };
	struct proc_result r;
	struct missed_link m = { 0 };

	test_run(argv,
		(const char *const[]){ "NO_COLOR=1", early_connects[_i].env,
			NULL },
		60000, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	each_log_line(log, missed_link_line, &m);
	/* one link missed, one second Connect(), in the first reconnect
	 * (the early one was made in the reboot step) */
	ck_assert_uint_eq(m.unreported, 1);
	ck_assert_uint_eq(m.retried, 1);
	ck_assert_uint_eq(m.connects, early_connects[_i].early ? 1 : 2);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
	g_free(scn);
	g_free(prog);
}
END_TEST

START_TEST(sim_adapters_follow_the_scenario_unless_set)
{
	const char *extra[] = { "--sim-opt", "adapters=3", NULL };
	struct proc_result r;
	char *log = sim_run("central a\ncentral b\nscan as=b\n", extra, &r);
	JsonParser *p = NULL;
	JsonObject *o;

	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	o = run_start(log, &p);
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(
					 json_object_get_object_member(o, "sim"),
					 "settings"),
				 "adapters"),
		"3");
	g_object_unref(p);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
	/* without it: as many as the centrals need */
	log = sim_run("central a\ncentral b\nscan as=b\n", NULL, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	o = run_start(log, &p);
	ck_assert_str_eq(json_object_get_string_member(
				 json_object_get_object_member(
					 json_object_get_object_member(o, "sim"),
					 "settings"),
				 "adapters"),
		"2");
	g_object_unref(p);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
}
END_TEST

/* ---- the simulator as "the system bus": real mode ------------------------ */

static struct simtest st;

static void real_setup(void)
{
	simtest_start(&st,
		(const char *const[]){ "--time-scale", "0.02", NULL });
}

static void real_teardown(void)
{
	simtest_stop(&st);
}

static char *write_scn(const char *text)
{
	char *p = g_strdup("/tmp/bc-scn-XXXXXX.scn");
	int fd = g_mkstemp_full(p, O_RDWR, 0644);

	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return p;
}

static int run_real(const char *scn, const char *const *extra, char *log,
	struct proc_result *r)
{
	char *prog = test_prog("bondcheck");
	const char *env[] = { st.env, "NO_COLOR=1", NULL };
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "run");
	g_ptr_array_add(argv, (gpointer) "-d");
	g_ptr_array_add(argv, (gpointer)SIM_DUT);
	g_ptr_array_add(argv, (gpointer) "--log");
	g_ptr_array_add(argv, log);
	for (size_t i = 0; extra && extra[i]; i++)
		g_ptr_array_add(argv, (gpointer)extra[i]);
	g_ptr_array_add(argv, (gpointer)scn);
	g_ptr_array_add(argv, NULL);
	test_run((const char *const *)argv->pdata, env, 60000, r);
	g_ptr_array_free(argv, TRUE);
	g_free(prog);
	return r->status;
}

START_TEST(on_the_system_bus_the_reboot_characteristic_is_used)
{
	char *scn = scn_path("bond-survives-reboot.scn");
	char *log = tmp_log();
	struct proc_result r;
	char *text;

	ck_assert_msg(run_real(scn, NULL, log, &r) == 0, "%s\n%s", r.out,
		r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "PASSED: 13 of 13"));
	/* no --sim, no --reboot-cmd: the DUT's reboot characteristic */
	g_file_get_contents(log, &text, NULL, NULL);
	/* and, once, whether there is HCI evidence (here: no Bluetooth in
	 * the kernel, or no CAP_NET_RAW) */
	{
		const char *n1 = strstr(text, "\"what\":\"hci\"");

		ck_assert_ptr_nonnull(n1);
		ck_assert_ptr_null(strstr(n1 + 1, "\"what\":\"hci\""));
	}
	ck_assert_ptr_nonnull(strstr(text, "\"via\":\"gatt\""));
	ck_assert(timeline_wait_trace(st.tl, "\"via\":\"gatt\"", 5000));
	g_free(text);
	test_result_clear(&r);
	unlink(log);
	g_free(log);
	g_free(scn);
}
END_TEST

/* ---- several centrals, one DUT, its bond table ---------------------------- */

/*
 * N centrals against one simulated DUT: c1 and c2 bond in turn, c1
 * reconnects (its key is used: overwrite-oldest counts that), the others
 * bond, the DUT reboots, and they reconnect newest first, so which central
 * loses its bond depends on the table's size and policy. Lines 9-13 are
 * comments with two centrals, so the lines are the same for both.
 */
static char *table_scenario(unsigned n)
{
	GString *s = g_string_new("");

	g_string_append_printf(s, "central c count=%u\n", n);
	g_string_append(s, "each-central c1 c2\n  scan\n  pair\n  disconnect\n"
			   "end\nreconnect as=c1\ndisconnect as=c1\n");
	if (n == 4)
		g_string_append(s, "each-central c3 c4\n  scan\n  pair\n"
				   "  disconnect\nend\n");
	else
		g_string_append(s, "#\n#\n#\n#\n#\n");
	g_string_append(s, "reboot via=sim as=c1\neach-central");
	for (unsigned i = n; i >= 1; i--)
		g_string_append_printf(s, " c%u", i);
	g_string_append(s, "\n  reconnect\n  disconnect\nend\n");
	return g_string_free(s, FALSE);
}

/*
 * centrals x table size x policy -> "pass", or VERDICT/LINE/CENTRAL of the
 * step that fails (PRP peer-removed-pairing, EF expectation-failed) and a
 * piece of its message.
 */
static const struct {
	unsigned centrals;
	const char *table;
	const char *policy;
	const char *fault;
	const char *expect;
	const char *message;
} tables[] = {
	{ 2, "1", "round-robin", NULL, "PRP/7/c1",
		"1 central bonded after c1 "
		"(c2); c1's bond was the oldest; the DUT's trace: it evicted "
		"c1's bond for c2's (round-robin, a table of 1)" },
	{ 2, "1", "overwrite-oldest", NULL, "PRP/7/c1",
		"evicted c1's bond "
		"for c2's (overwrite-oldest, a table of 1)" },
	{ 2, "1", "refuse-when-full", NULL, "EF/4/c2",
		"the DUT's trace: it "
		"refused a new bond, its table is full (refuse-when-full)" },
	{ 2, "2", "round-robin", NULL, "pass", NULL },
	{ 2, "2", "overwrite-oldest", NULL, "pass", NULL },
	{ 2, "2", "refuse-when-full", NULL, "pass", NULL },
	{ 2, "3", "round-robin", NULL, "pass", NULL },
	{ 2, "3", "refuse-when-full", NULL, "pass", NULL },
	{ 2, "4", "overwrite-oldest", NULL, "pass", NULL },
	{ 4, "1", "round-robin", NULL, "PRP/7/c1", "c1's bond was the oldest" },
	{ 4, "1", "overwrite-oldest", NULL, "PRP/7/c1", NULL },
	{ 4, "1", "refuse-when-full", NULL, "EF/4/c2", NULL },
	{ 4, "2", "round-robin", NULL, "PRP/16/c2",
		"2 centrals bonded after "
		"c2 (c3, c4); the DUT's trace: it evicted c2's bond for c4's "
		"(round-robin, a table of 2)" },
	{ 4, "2", "overwrite-oldest", NULL, "PRP/16/c2",
		"evicted c2's bond "
		"for c3's (overwrite-oldest, a table of 2)" },
	{ 4, "2", "refuse-when-full", NULL, "EF/11/c3", NULL },
	/* round-robin goes by bonding order, overwrite-oldest by use: c1's
	 * reconnect saves it from the latter */
	{ 4, "3", "round-robin", NULL, "PRP/16/c1",
		"3 centrals bonded after "
		"c1 (c2, c3, c4); c1's bond was the oldest; the DUT's trace: it "
		"evicted c1's bond for c4's (round-robin, a table of 3)" },
	{ 4, "3", "overwrite-oldest", NULL, "PRP/16/c2",
		"2 centrals bonded "
		"after c2 (c3, c4); the DUT's trace: it evicted c2's bond for "
		"c4's (overwrite-oldest, a table of 3)" },
	{ 4, "3", "refuse-when-full", NULL, "EF/11/c4", NULL },
	{ 4, "4", "round-robin", NULL, "pass", NULL },
	{ 4, "4", "overwrite-oldest", NULL, "pass", NULL },
	{ 4, "4", "refuse-when-full", NULL, "pass", NULL },
	/* bond-table-full=N is NimBLE's: round-robin whatever the policy */
	{ 4, "8", "refuse-when-full", "bond-table-full=3", "PRP/16/c1",
		"(round-robin, a table of 3)" },
	/* BTstack #363: after the reboot only the first bond is found */
	{ 2, "8", "round-robin", "lose-later-bonds-on-reboot", "PRP/16/c2",
		"the DUT's trace: after its reboot it kept only its first bond "
		"(public/00:B0:DC:00:00:01) and lost c2's" },
	{ 4, "8", "round-robin", "lose-later-bonds-on-reboot", "PRP/16/c4",
		NULL },
};

static struct simtest tst;

static void tables_teardown(void)
{
	if (tst.bus)
		simtest_stop(&tst);
}

START_TEST(centrals_against_a_bond_table_fail_where_it_evicts)
{
	char n[8];
	const char *args[] = { "--adapters", n, "--bond-table",
		tables[_i].table, "--bond-policy", tables[_i].policy,
		tables[_i].fault ? "--fault" : NULL, tables[_i].fault, NULL };
	char *text = table_scenario(tables[_i].centrals);
	char *scn = write_scn(text);
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--log", log, scn,
		NULL };
	char **want = g_strsplit(tables[_i].expect, "/", 3);
	bool pass = !strcmp(tables[_i].expect, "pass");
	struct proc_result r;
	JsonParser *p = NULL;
	JsonObject *end;
	const char *env[2];

	g_snprintf(n, sizeof(n), "%u", tables[_i].centrals);
	simtest_start(&tst, args);
	env[0] = tst.env;
	env[1] = NULL;
	test_run(argv, env, 60000, &r);
	ck_assert_msg(r.status == (pass ? 0 : 1),
		"%u centrals, table %s %s%s"
		"%s: exit %d\n%s\n%s",
		tables[_i].centrals, tables[_i].table, tables[_i].policy,
		tables[_i].fault ? " " : "",
		tables[_i].fault ? tables[_i].fault : "", r.status, r.out,
		r.err);
	end = check_log(log, true, &p);
	if (pass) {
		ck_assert_str_eq(opt_str(end, "verdict"), "pass");
	} else {
		ck_assert_str_eq(opt_str(end, "verdict"),
			!strcmp(want[0], "EF") ? "expectation-failed" :
						 long_verdict(want[0]));
		ck_assert_int_eq(json_object_get_int_member(end, "line"),
			g_ascii_strtoll(want[1], NULL, 10));
		ck_assert_str_eq(opt_str(end, "central"), want[2]);
	}
	if (tables[_i].message)
		ck_assert_msg(strstr(opt_str(end, "message"),
				      tables[_i].message),
			"no '%s' in '%s'", tables[_i].message,
			opt_str(end, "message"));
	/* the summary says which central it was */
	if (!pass) {
		char *as = g_strdup_printf(" as %s", want[2]);

		ck_assert_msg(strstr(r.out, as), "%s", r.out);
		g_free(as);
	}
	g_object_unref(p);
	g_strfreev(want);
	test_result_clear(&r);
	simtest_stop(&tst);
	memset(&tst, 0, sizeof(tst));
	g_free(prog);
	g_free(text);
	drop_files(log, scn);
}
END_TEST

/* --adapter names the centrals' adapters in order; --sim serves them all */
START_TEST(adapters_named_in_order_are_the_centrals_adapters)
{
	char *prog = test_prog("bondcheck");
	char *scn = scn_path("second-central-survives-reboot.scn");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "--sim", "--time-scale", "0", "-a",
		"hci2,hci0", "--log", log, scn, NULL };
	struct proc_result r;
	char *text;

	test_run(argv, NULL, 60000, &r);
	ck_assert_msg(r.status == 0, "exit %d\n%s\n%s", r.status, r.out, r.err);
	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text,
		"\"centrals\":[{\"name\":\"first\","
		"\"adapter\":{\"path\":\"/org/bluez/hci2\""));
	ck_assert_ptr_nonnull(strstr(text, "{\"name\":\"second\",\"adapter\":"
					   "{\"path\":\"/org/bluez/hci0\""));
	/* the steps and the summary say whose they are */
	ck_assert_ptr_nonnull(strstr(r.out, "first      scan"));
	ck_assert_ptr_nonnull(strstr(r.out, "second     reconnect"));
	g_free(text);
	test_result_clear(&r);
	g_free(prog);
	g_free(scn);
	unlink(log);
	g_free(log);
}
END_TEST

#define SIM_REBOOT_CMD                         \
	"dbus-send --system --dest=org.bluez " \
	"--type=method_call /org/bondcheck/sim org.bondcheck.Sim1.Reboot"

START_TEST(a_reboot_command_is_run_and_logged)
{
	char *scn =
		write_scn("scan\npair\nreboot via=command cmd=\"" SIM_REBOOT_CMD
			  "\"\nreconnect\n");
	char *log = tmp_log();
	struct proc_result r;
	char *text;

	ck_assert_msg(run_real(scn, NULL, log, &r) == 0, "%s\n%s", r.out,
		r.err);
	g_file_get_contents(log, &text, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"via\":\"command\",\"event\":"
					   "\"exit\",\"status\":0"));
	g_free(text);
	test_result_clear(&r);
	drop_files(log, scn);
}
END_TEST

START_TEST(a_reboot_that_never_happens_times_out)
{
	/* the timeout covers the trigger too: 3 s, so that a loaded machine
	 * still runs `echo` within it and the step times out waiting for the
	 * link to drop, as this case means (500 ms could end in triggering) */
	char *scn = write_scn("scan\npair\nreboot timeout=3s\n");
	const char *extra[] = { "--reboot-cmd", "echo did nothing", NULL };
	char *log = tmp_log();
	struct proc_result r;
	char *text;

	ck_assert_int_eq(run_real(scn, extra, log, &r), 1);
	ck_assert_ptr_nonnull(strstr(r.out, "the link never dropped"));
	g_file_get_contents(log, &text, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"line\":\"did nothing\""));
	ck_assert_ptr_nonnull(strstr(text, "\"status\":0"));
	ck_assert_ptr_nonnull(strstr(text,
		"\"verdict\":\"expectation-failed\""));
	g_free(text);
	test_result_clear(&r);
	drop_files(log, scn);
}
END_TEST

/* The step's end, from the log (for its message and elapsed time). */
static JsonObject *step_end_of(const char *log, const char *name,
	JsonParser **keep)
{
	char *text = NULL;
	char **lines;
	JsonObject *found = NULL;

	ck_assert(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	*keep = NULL;
	for (guint i = 0; lines[i] && !found; i++) {
		JsonParser *p = json_parser_new();
		JsonObject *o;

		if (!*lines[i] ||
			!json_parser_load_from_data(p, lines[i], -1, NULL)) {
			g_object_unref(p);
			continue;
		}
		o = json_node_get_object(json_parser_get_root(p));
		if (!g_strcmp0(opt_str(o, "type"), "step-end") &&
			!g_strcmp0(opt_str(o, "name"), name)) {
			found = o;
			*keep = p;
		} else {
			g_object_unref(p);
		}
	}
	g_strfreev(lines);
	g_free(text);
	ck_assert_msg(found, "no step-end of %s in %s", name, log);
	return found;
}

START_TEST(a_failing_reboot_command_fails_its_step_at_once)
{
	/* a timeout no test waits for: the step must end with the command */
	char *scn = write_scn("scan\npair\nreboot timeout=10m\nreconnect\n");
	const char *extra[] = { "--reboot-cmd",
		"echo no board on "
		"/dev/ttyACM0 >&2; echo giving up; exit 3",
		NULL };
	char *log = tmp_log();
	struct proc_result r;
	JsonParser *p;
	JsonObject *end, *ev;

	ck_assert_int_eq(run_real(scn, extra, log, &r), 1);
	end = step_end_of(log, "reboot", &p);
	ck_assert_str_eq(opt_str(end, "verdict"), "expectation-failed");
	ck_assert_msg(strstr(opt_str(end, "message"), "the reboot command "
						      "exited with 3: "),
		"%s", opt_str(end, "message"));
	/* what it said, both streams */
	ck_assert_ptr_nonnull(strstr(opt_str(end, "message"),
		"no board on /dev/ttyACM0"));
	ck_assert_ptr_nonnull(strstr(opt_str(end, "message"), "giving up"));
	/* ended by the command's exit, not by the 10m timeout */
	ck_assert_ptr_null(strstr(opt_str(end, "message"), "within"));
	ev = json_object_get_object_member(end, "evidence");
	ck_assert_int_eq(json_object_get_int_member(ev, "trigger_status"), 3);
	ck_assert_int_eq(json_array_get_length(json_object_get_array_member(ev,
				 "trigger_output")),
		2);
	/* and nothing after it ran */
	ck_assert_ptr_null(strstr(r.out, "reconnect "));
	g_object_unref(p);
	test_result_clear(&r);
	drop_files(log, scn);
}
END_TEST

START_TEST(a_command_that_is_not_there_says_so)
{
	char *scn = write_scn("scan\nreboot via=command cmd=no-such-resetter "
			      "timeout=10m\n");
	char *log = tmp_log();
	struct proc_result r;
	JsonParser *p;
	JsonObject *end;

	ck_assert_int_eq(run_real(scn, NULL, log, &r), 1);
	end = step_end_of(log, "reboot", &p);
	ck_assert_msg(strstr(opt_str(end, "message"), "exited with 127"), "%s",
		opt_str(end, "message"));
	ck_assert_ptr_nonnull(strstr(opt_str(end, "message"),
		"the shell did not find the command"));
	g_object_unref(p);
	test_result_clear(&r);
	drop_files(log, scn);
}
END_TEST

START_TEST(a_serial_port_that_fails_is_an_environment_error_at_once)
{
	char *scn = write_scn("scan\nreboot via=serial port=/dev/bc-no-such-tty "
			      "timeout=10m\n");
	char *log = tmp_log();
	struct proc_result r;
	JsonParser *p;
	JsonObject *end;

	ck_assert_int_eq(run_real(scn, NULL, log, &r), 3);
	end = step_end_of(log, "reboot", &p);
	ck_assert_str_eq(opt_str(end, "verdict"), "environment-error");
	ck_assert_msg(strstr(opt_str(end, "message"), "the reboot port "
						      "failed: ") &&
			      strstr(opt_str(end, "message"),
				      "/dev/bc-no-such-tty"),
		"%s", opt_str(end, "message"));
	ck_assert_ptr_null(strstr(opt_str(end, "message"), "within"));
	g_object_unref(p);
	test_result_clear(&r);
	drop_files(log, scn);
}
END_TEST

struct serial_dut {
	int master;
	GString *got;
	bool rebooted;
};

static gboolean serial_in(gint fd, GIOCondition cond, gpointer data)
{
	struct serial_dut *s = data;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	if (n <= 0)
		return G_SOURCE_CONTINUE;
	g_string_append_len(s->got, buf, n);
	/* a MicroPython REPL that resets when told to */
	if (!s->rebooted && strstr(s->got->str, "machine.reset()\r")) {
		s->rebooted = true;
		timeline_call(st.tl, BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
	}
	return G_SOURCE_CONTINUE;
}

START_TEST(a_serial_reboot_reaches_the_port)
{
	struct serial_dut s = { -1, g_string_new(""), false };
	char name[128];
	int slave;
	char *scn, *log = tmp_log(), *prog = test_prog("bondcheck");
	char *text;
	guint src;
	GPid pid;
	char *o, *e;
	struct proc_result r;
	const char *env[] = { st.env, NULL };

	ck_assert(openpty(&s.master, &slave, name, NULL, NULL) == 0);
	text = g_strdup_printf("scan\npair\nreboot via=serial port=%s "
			       "baud=115200\nreconnect\n",
		name);
	scn = write_scn(text);
	g_free(text);
	src = g_unix_fd_add(s.master, G_IO_IN, serial_in, &s);
	pid = test_start((const char *const[]){ prog, "run", "-d", SIM_DUT,
				 "--log", log, scn, NULL },
		env, &o, &e);
	test_finish(pid, o, e, 60000, &r);
	ck_assert_msg(r.status == 0, "%s\n%s", r.out, r.err);
	ck_assert(s.rebooted);
	/* Ctrl-C twice, then a hard reset, as a REPL needs it */
	ck_assert(g_str_has_prefix(s.got->str, "\x03\x03import machine"));
	g_source_remove(src);
	close(slave);
	close(s.master);
	g_string_free(s.got, TRUE);
	test_result_clear(&r);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

static void reboot_when(struct expect *e, const char *needle)
{
	ck_assert_msg(expect_wait(e, needle, 20000), "%s", expect_output(e));
	timeline_call(st.tl, BC_SIM_PATH, BC_SIM_IFACE, "Reboot", NULL);
}

START_TEST(a_manual_reboot_waits_for_the_person)
{
	char *scn = write_scn("scan\npair\nreboot via=manual\nreconnect\n");
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--json", "--log",
		log, scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e = expect_spawn(argv, env);

	/* the person presses reset once asked (the reboot step started) */
	reboot_when(e, "\"name\":\"reboot\"");
	ck_assert_int_eq(expect_exit(e, 30000), 0);
	expect_free(e);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

/* What ends a run the proper way: Ctrl-C, kill, the terminal closing. */
static const int end_signals[] = { SIGINT, SIGTERM, SIGHUP };

START_TEST(ctrl_c_mid_step_leaves_a_complete_log_and_no_agent)
{
	char *scn = write_scn("scan\npair\nsleep 1m\n");
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--json", "--log",
		log, scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e = expect_spawn(argv, env);
	JsonParser *p = NULL;
	JsonObject *end;
	char *text;

	ck_assert_msg(expect_wait(e, "\"name\":\"sleep\"", 20000), "%s",
		expect_output(e));
	kill(expect_pid(e), end_signals[_i]);
	ck_assert_int_eq(expect_exit(e, 10000), 130);
	end = check_log(log, true, &p);
	ck_assert_str_eq(opt_str(end, "result"), "interrupted");
	g_file_get_contents(log, &text, NULL, NULL);
	/* the agent was unregistered and the DUT disconnected on the way out */
	ck_assert_ptr_nonnull(strstr(text, "\"event\":\"unregistered\""));
	ck_assert_ptr_nonnull(strstr(text, "\"method\":\"Disconnect\""));
	ck_assert(timeline_wait(st.tl, "dev Connected=false", 5000));
	g_free(text);
	g_object_unref(p);
	expect_free(e);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

/*
 * Whatever a run comes to, it ends with the DUT free: a run that failed
 * connected used to leave the link up, and the next run's scan failed
 * not-advertising (issue 12).
 */
static const struct {
	const char *first; /* a run that fails with its link up */
	int status;
} leftovers[] = {
	{ "scan\nconnect\nexpect bonded=yes\n", 1 },
	{ "scan\npair\nread 2a6e expect=ffff\n", 1 },
	{ "scan\nconnect\nreboot via=command cmd=false\n", 1 },
};

START_TEST(a_failed_run_leaves_the_dut_free_for_the_next)
{
	char *first = write_scn(leftovers[_i].first);
	char *next = write_scn("scan timeout=5s\nconnect\n");
	char *log = tmp_log();
	struct proc_result r;

	ck_assert_msg(run_real(first, NULL, log, &r) == leftovers[_i].status,
		"%s\n%s", r.out, r.err);
	test_result_clear(&r);
	/* it took its link down on the way out */
	ck_assert(timeline_wait(st.tl, "dev Connected=false", 5000));
	ck_assert_msg(run_real(next, NULL, log, &r) == 0, "%s\n%s", r.out,
		r.err);
	test_result_clear(&r);
	unlink(first);
	g_free(first);
	drop_files(log, next);
}
END_TEST

/* A second run on a DUT another run is using is refused at once, exit 3,
 * saying who has it, and the first run goes on unharmed. */
START_TEST(a_second_run_on_a_device_in_use_is_refused)
{
	char *scn = write_scn("scan\nconnect\nsleep 1m\n");
	char *other = write_scn("scan\nconnect\n");
	char *prog = test_prog("bondcheck");
	char *log = tmp_log(), *log2 = tmp_log();
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--json", "--log",
		log, scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e = expect_spawn(argv, env);
	JsonParser *p = NULL;
	JsonObject *end;
	struct proc_result r;
	char *who;

	ck_assert_msg(expect_wait(e, "\"name\":\"sleep\"", 20000), "%s",
		expect_output(e));
	ck_assert_int_eq(run_real(other, NULL, log2, &r), 3);
	who = g_strdup_printf("C0:FF:EE:00:13:42 on hci0 is in use by another "
			      "bondcheck run (bondcheck, pid %d)",
		(int)expect_pid(e));
	ck_assert_msg(strstr(r.out, who), "%s\n%s", r.out, r.err);
	test_result_clear(&r);
	end = check_log(log2, true, &p);
	ck_assert_str_eq(opt_str(end, "verdict"), "environment-error");
	ck_assert_int_eq(json_object_get_int_member(
				 json_object_get_object_member(end, "steps"),
				 "run"),
		0);
	g_object_unref(p);
	/* the first run's link is still up and its step still running */
	ck_assert_ptr_null(strstr(expect_output(e), "\"type\":\"run-end\""));
	kill(expect_pid(e), SIGINT);
	ck_assert_int_eq(expect_exit(e, 10000), 130);
	end = check_log(log, true, &p);
	ck_assert_str_eq(opt_str(end, "result"), "interrupted");
	g_object_unref(p);
	/* and once it is over, the DUT is free again */
	ck_assert_int_eq(run_real(other, NULL, log2, &r), 0);
	test_result_clear(&r);
	expect_free(e);
	g_free(who);
	unlink(other);
	g_free(other);
	unlink(log2);
	g_free(log2);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

/* Every other client on the bus, each asked by our test to confirm a
 * pairing with the DUT: the run's agent is one of them. How many said
 * org.bluez.Error.Rejected. */
static int confirm_from_a_stranger(void)
{
	GVariant *names = test_call_ok(st.bus, DBUS_NAME_BUS, DBUS_PATH_BUS,
		DBUS_IFACE_BUS, "ListNames", NULL);
	const char *bluez = bus_name_owner(st.bus, BLUEZ_SERVICE);
	GVariantIter *it;
	const char *name;
	int rejected = 0;

	g_variant_get(names, "(as)", &it);
	while (g_variant_iter_next(it, "&s", &name)) {
		DBusMessage *r;

		if (name[0] != ':' || !g_strcmp0(name, bluez) ||
			!strcmp(name, bus_unique_name(st.bus)))
			continue;
		r = test_call(st.bus, name, BC_AGENT_PATH, BLUEZ_IFACE_AGENT,
			"RequestConfirmation",
			g_variant_new("(ou)", SIM_DEV, 123456), 5000);
		if (r && !g_strcmp0(dbus_message_get_error_name(r),
				 BLUEZ_ERR_REJECTED))
			rejected++;
		if (r)
			dbus_message_unref(r);
	}
	g_variant_iter_free(it);
	g_variant_unref(names);
	return rejected;
}

/* Another peer calling our agent about the DUT is refused, logged as
 * foreign, and changes no step's verdict (issue 12: it turned a read that
 * succeeded into unexpected-pairing-request). */
START_TEST(a_strangers_agent_calls_are_logged_not_classified)
{
	char *scn = write_scn("scan\npair\nread 2a6e\nsleep 300ms\n"
			      "read 2a6e\nread 2a6e\n");
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--json", "--log",
		log, scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e = expect_spawn(argv, env);
	char *text;

	ck_assert_msg(expect_wait(e, "\"name\":\"sleep\"", 20000), "%s",
		expect_output(e));
	ck_assert_int_ge(confirm_from_a_stranger(), 1);
	ck_assert_int_eq(expect_exit(e, 30000), 0);
	g_file_get_contents(log, &text, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(text,
		"\"method\":\"RequestConfirmation\","
		"\"device\":\"" SIM_DEV
		"\",\"passkey\":123456,\"foreign\":true,"
		"\"accepted\":false"));
	g_free(text);
	expect_free(e);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

START_TEST(ctrl_c_while_scanning_stops_discovery)
{
	char *scn = write_scn("scan timeout=1m\n");
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "-d", "11:22:33:44:55:66", "--json",
		"--log", log, scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e = expect_spawn(argv, env);

	ck_assert(expect_wait(e, "\"name\":\"scan\"", 20000));
	ck_assert(timeline_wait(st.tl, "hci0 Discovering=true", 5000));
	kill(expect_pid(e), SIGTERM);
	ck_assert_int_eq(expect_exit(e, 10000), 130);
	ck_assert(timeline_wait(st.tl, "hci0 Discovering=false", 5000));
	expect_free(e);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

START_TEST(a_killed_run_leaves_a_log_whose_lines_all_parse)
{
	char *scn = scn_path("soak-reboot.scn");
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--json", "--log",
		log, "--set", "CYCLES=50", scn, NULL };
	const char *env[] = { st.env, NULL };
	struct expect *e = expect_spawn(argv, env);
	JsonParser *p = NULL;

	ck_assert(expect_wait(e, "\"name\":\"reconnect\"", 20000));
	ck_assert(expect_wait(e, "\"name\":\"reconnect\"", 20000));
	kill(expect_pid(e), SIGKILL);
	ck_assert_int_eq(expect_exit(e, 10000), 128 + SIGKILL);
	ck_assert_ptr_null(check_log(log, false, &p));
	expect_free(e);
	unlink(log);
	g_free(log);
	g_free(scn);
	g_free(prog);
}
END_TEST

START_TEST(no_bluetoothd_exits_3_at_once)
{
	char *scn = write_scn("scan\n");
	char *log = tmp_log();
	struct proc_result r;

	test_kill(st.sim);
	st.sim = 0;
	ck_assert(test_wait_name(st.bus, BLUEZ_SERVICE, false, 5000));
	ck_assert_int_eq(run_real(scn, NULL, log, &r), 3);
	ck_assert_ptr_nonnull(strstr(r.out, "bluetoothd is not running"));
	test_result_clear(&r);
	drop_files(log, scn);
}
END_TEST

/* ---- a log that cannot be written --------------------------------------- */

/*
 * Where the log goes decides nothing about the firmware: a full disk (or
 * a file size limit reached mid-run) is an environment error, exit 3, the
 * reason on stderr, never PASSED; a path that cannot be a log is exit 2,
 * no permission exit 3 (issue 12: /dev/full passed, a bad path exited 1).
 */
static const struct {
	const char *log;   /* NULL: a temporary file */
	const char *fsize; /* prlimit --fsize= for the run, or NULL */
	int status;
	const char *err;
} log_failures[] = {
	{ "/dev/full", NULL, 3,
		"writing the log /dev/full failed: No space left on device" },
	/* run-start and a few lines fit, the rest does not */
	{ NULL, "3000", 3, "failed: File too large" },
	{ "/nonexistent-bc-dir/run.jsonl", NULL, 2,
		"cannot write the log /nonexistent-bc-dir/run.jsonl: No such file "
		"or directory (its directory must exist)" },
	{ "/dev/null/run.jsonl", NULL, 2,
		"cannot write the log /dev/null/run.jsonl: Not a directory" },
	{ "/proc/sys/kernel/ostype", NULL, 3,
		"cannot write the log /proc/sys/kernel/ostype: Permission denied" },
};

START_TEST(a_log_that_cannot_be_written_is_never_a_pass)
{
	char *scn = write_scn("scan\nconnect\npair\nread 2a6e\n");
	char *prog = test_prog("bondcheck");
	char *tmp = tmp_log();
	char *fsize = log_failures[_i].fsize ? g_strdup_printf("--fsize=%s",
						       log_failures[_i].fsize) :
	                                       NULL;
	const char *log = log_failures[_i].log ? log_failures[_i].log : tmp;
	const char *run[] = { prog, "run", "--sim", "--time-scale", "0", "-d",
		SIM_DUT, "--log", log, scn, NULL };
	char *prlimit = g_find_program_in_path("prlimit"); /* util-linux */
	const char *limited[16] = { prlimit, fsize, "--" };
	struct proc_result r;

	ck_assert_ptr_nonnull(prlimit);

	for (size_t i = 0; run[i]; i++)
		limited[3 + i] = run[i];
	test_run(fsize ? limited : run,
		(const char *const[]){ "NO_COLOR=1", NULL }, 60000, &r);
	ck_assert_msg(r.status == log_failures[_i].status, "exit %d\n%s\n%s",
		r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, log_failures[_i].err), "stderr: %s", r.err);
	ck_assert_msg(!strstr(r.out, "PASSED"), "%s", r.out);
	if (fsize) {
		JsonParser *p = NULL;

		/* what fitted is a valid prefix; run-end is not in it */
		ck_assert_ptr_null(check_log(tmp, false, &p));
	}
	test_result_clear(&r);
	g_free(prlimit);
	g_free(fsize);
	unlink(tmp);
	g_free(tmp);
	unlink(scn);
	g_free(scn);
	g_free(prog);
}
END_TEST

/* ---- run --sim when the simulator and its bus die together ------------- */

/*
 * The simulator is stopped first (SIGSTOP: it answers nothing more, the
 * call the run waits for stays pending), then it and its bus are killed
 * at one of the points where the run waits: a step, or each stage of the
 * cleanup after Ctrl-C. The run must end there, with its run-end (issue
 * 12: ~1 run in 7 never exited, and Ctrl-C did nothing).
 */
static const struct {
	const char *scenario;
	const char *device;   /* NULL: the simulated DUT */
	const char *wait_for; /* on stdout (--json) before the kill */
	bool interrupt;       /* Ctrl-C, then the kill during cleanup */
	int status;
	const char *message; /* in run-end's message, or NULL */
} dying[] = {
	/* a scan: StartDiscovery or nothing pending, then StopDiscovery */
	{ "scan timeout=1m\n", "11:22:33:44:55:66", "\"name\":\"scan\"", true,
		130, "interrupted" },
	/* nothing but the agent to unregister */
	{ "sleep 1m\n", NULL, "\"name\":\"sleep\"", true, 130, "interrupted" },
	/* a reboot waiting for the DUT to come back, and its cleanup */
	{ "scan\npair\nreboot timeout=1m\nreconnect\n", NULL,
		"\"name\":\"reboot\"", false, 3,
		"lost the connection to the system bus" },
	{ "scan\npair\nreboot timeout=1m\nreconnect\n", NULL,
		"\"name\":\"reboot\"", true, 130, "interrupted" },
};

START_TEST(the_simulator_and_its_bus_dying_together_end_the_run)
{
	char *scn = write_scn(dying[_i].scenario);
	char *prog = test_prog("bondcheck");
	char *log = tmp_log();
	const char *argv[] = { prog, "run", "--sim", "--fault", "slow-boot=1m",
		"-d", dying[_i].device ? dying[_i].device : SIM_DUT, "--json",
		"--log", log, scn, NULL };
	struct expect *e = expect_spawn(argv, NULL);
	JsonParser *p = NULL;
	JsonObject *end;
	GPid sim, bus;

	/* we kill it: its warning is expected */
	test_allow_sim_warning();
	ck_assert_msg(expect_wait(e, dying[_i].wait_for, 20000), "%s",
		expect_output(e));
	sim = test_child_pid(expect_pid(e), "bondcheck-sim");
	bus = test_child_pid(expect_pid(e), "dbus-daemon");
	ck_assert(sim > 0 && bus > 0);
	ck_assert_int_eq(kill(sim, SIGSTOP), 0);
	if (dying[_i].interrupt) {
		kill(expect_pid(e), SIGINT);
		/* the cleanup has begun: it waits for the stopped simulator */
		ck_assert_msg(expect_wait(e, "\"result\":\"interrupted\"",
				      10000),
			"%s", expect_output(e));
	}
	/* both at once as bondcheck sees it: it is stopped meanwhile (else
	 * it may end and reap the simulator between the two kills); the bus
	 * first, so that nothing tells it org.bluez went before the bus */
	ck_assert_int_eq(kill(expect_pid(e), SIGSTOP), 0);
	ck_assert_int_eq(kill(bus, SIGKILL), 0);
	ck_assert_int_eq(kill(sim, SIGKILL), 0);
	ck_assert_int_eq(kill(expect_pid(e), SIGCONT), 0);
	ck_assert_int_eq(expect_exit(e, 15000), dying[_i].status);
	end = check_log(log, true, &p);
	ck_assert_msg(strstr(opt_str(end, "message"), dying[_i].message), "%s",
		opt_str(end, "message"));
	ck_assert_ptr_nonnull(strstr(expect_errors(e), TEST_SIM_WARNING));
	g_object_unref(p);
	expect_free(e);
	drop_files(log, scn);
	g_free(prog);
}
END_TEST

static const struct {
	const char *args[8];
	const char *err;
} bad_runs[] = {
	{ { "run", NULL }, "needs a scenario file" },
	{ { "run", "SCN", NULL }, "which device?" },
	{ { "run", "--sim", "-d", "nonsense", "SCN", NULL }, "--device takes" },
	{ { "run", "--fault", "no-such", "SCN", NULL }, "unknown fault" },
	{ { "run", "--sim", "--set", "NOEQUALS", "SCN", NULL }, "--set takes" },
	/* a --set the scenario never uses: a typo of what it does use */
	{ { "run", "--sim", "--set", "BOOT_TIMOUT=2m", "VAR", NULL },
		"--set BOOT_TIMOUT=2m: VAR never uses BOOT_TIMOUT (did you mean "
		"'BOOT_TIMEOUT'?); --set-new defines a variable on purpose" },
	{ { "run", "--sim", "--set", "bad name=1", "VAR", NULL },
		"--set 'bad name=1': 'bad name' is not a variable name" },
	{ { "run", "--sim", "--set-new", "9LIVES=1", "VAR", NULL },
		"--set-new '9LIVES=1': '9LIVES' is not a variable name" },
	{ { "check", "VAR", "SCN", "--set", "CYCLE=3", NULL },
		"--set CYCLE=3: none of the 2 scenarios uses CYCLE" },
	{ { "run", "--sim", "BAD", NULL }, ":1:1: unknown step 'conect'" },
	{ { "run", "--sim", "/nonexistent.scn", NULL }, "/nonexistent.scn" },
	{ { "check", "BAD", "SCN", NULL }, ":2:6: unknown parameter" },
	{ { "run", "--sim", "--capture", "x.btsnoop", "SCN", NULL },
		"--capture records a real adapter" },
	{ { "run", "--daemon", "-d", "C0:FF:EE:00:13:42", "--capture", "x",
		  "SCN", NULL },
		"--capture records a real adapter" },
	{ { "run", "--daemon", "-d", "C0:FF:EE:00:13:42", "--no-default-agent",
		  "SCN", NULL },
		"--no-default-agent is for in-process" },
	/* several scenarios, or a directory of them */
	{ { "run", "--sim", "EMPTY", NULL },
		"no scenario (*.scn) in this directory" },
	{ { "run", "--sim", "SCN", "EMPTY", NULL },
		"no scenario (*.scn) in this directory" },
	{ { "run", "-d", "C0:FF:EE:00:13:42", "--capture", "x", "SCN", "SCN",
		  NULL },
		"--capture records one scenario's run" },
	{ { "run", "--daemon", "--sim", "SCN", NULL },
		"--daemon runs on the daemon's BlueZ" },
	{ { "run", "--daemon", "--fault", "lose-bond-on-reboot", "SCN", NULL },
		"--daemon runs on the daemon's BlueZ" },
	{ { "run", "--daemon", "--time-scale", "0", "SCN", NULL },
		"--daemon runs on the daemon's BlueZ" },
	{ { "run", "--daemon", "-d", "C0:FF:EE:00:13:42", "--reboot-cmd",
		  "true", "SCN", NULL },
		"bondcheckd runs no command" },
	{ { "run", "--sim", "--reboot", "m", "SCN", NULL },
		"--reboot METHOD is for --daemon runs" },
	{ { "run", "-d", "C0:FF:EE:00:13:42", "--name", "x", "SCN", NULL },
		"give --device or --name, not both" },
	/* the checks are made in order: the first that fails is said */
	{ { "run", "--daemon", "--sim", "--capture", "x", "SCN", NULL },
		"--daemon runs on the daemon's BlueZ" },
	{ { "run", "-d", "nonsense", "--name", "x", "SCN", NULL },
		"--device takes" },
	/* each central its own adapter: -a names them in order */
	{ { "run", "--sim", "-a", "hci1", "NAMED", NULL },
		"--adapter hci1: centrals A and B would both use hci1" },
	{ { "run", "--sim", "-a", "hci0,hci1,hci2", "NAMED", NULL },
		"--adapter hci0,hci1,hci2: 3 adapters for 2 centrals" },
	{ { "run", "--sim", "-a", "hci0,usb1", "NAMED", NULL },
		"--adapter takes hciN, or hciN,hciN,... for several centrals" },
	{ { "run", "--reboot", "m", "-d", "nonsense", "SCN", NULL },
		"--reboot METHOD is for --daemon runs" },
	{ { "run", "--sim-opt", "ioo=x", "SCN", NULL },
		"--sim-opt ioo=x: unknown simulator setting 'ioo' (did you mean "
		"'io'?)" },
	{ { "run", "--sim-opt", "passkey=1234567", "SCN", NULL },
		"passkey= takes N|random, not '1234567'" },
	{ { "run", "--daemon", "--sim-opt", "io=KeyboardOnly", "SCN", NULL },
		"--daemon runs on the daemon's BlueZ" },
	{ { "run", "--sim-opt", "adapters=1", "TWO", NULL },
		"--sim-opt adapters=1: " },
};

/* bad_runs[]' placeholders: the scenario files they stand for */
struct bad_files {
	char *good, *bad, *two, *named, *var;
	char *empty; /* a directory without scenarios */
};

static void bad_files_make(struct bad_files *f)
{
	f->good = write_scn("scan\n");
	f->bad = write_scn("conect\nscan timeot=1s\n");
	f->two = write_scn("central a\ncentral b\nscan as=b\n");
	f->named = write_scn("central A\ncentral B adapter=hci1\nscan\n");
	f->var = write_scn("set BOOT_TIMEOUT=30s\nscan timeout=${BOOT_TIMEOUT}"
			   "\n");
	f->empty = g_dir_make_tmp("bc-empty-XXXXXX", NULL);
}

static const char *bad_files_arg(const struct bad_files *f, const char *a)
{
	return !strcmp(a, "SCN")   ? f->good :
	       !strcmp(a, "BAD")   ? f->bad :
	       !strcmp(a, "TWO")   ? f->two :
	       !strcmp(a, "NAMED") ? f->named :
	       !strcmp(a, "VAR")   ? f->var :
	       !strcmp(a, "EMPTY") ? f->empty :
	                             a;
}

/* the error bad_runs[] expects, the placeholder's name its file's */
static char *bad_files_want(const struct bad_files *f, const char *err)
{
	char *want = g_strdup(err);
	char *at = strstr(want, "VAR ");

	if (at) {
		*at = '\0';
		at = g_strconcat(want, f->var, at + 3, NULL);
		g_free(want);
		want = at;
	}
	return want;
}

static void bad_files_drop(struct bad_files *f)
{
	char *all[] = { f->good, f->bad, f->two, f->named, f->var };

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		unlink(all[i]);
		g_free(all[i]);
	}
	rmdir(f->empty);
	g_free(f->empty);
}

START_TEST(bad_input_exits_2_with_its_place)
{
	char *prog = test_prog("bondcheck");
	struct bad_files f;
	const char *argv[10] = { prog };
	struct proc_result r;
	char *want;

	bad_files_make(&f);
	for (int i = 0; bad_runs[_i].args[i]; i++)
		argv[i + 1] = bad_files_arg(&f, bad_runs[_i].args[i]);
	test_run(argv, NULL, 10000, &r);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	want = bad_files_want(&f, bad_runs[_i].err);
	ck_assert_msg(strstr(r.err, want), "stderr: %s\nwant: %s", r.err, want);
	g_free(want);
	test_result_clear(&r);
	bad_files_drop(&f);
	g_free(prog);
}
END_TEST

/* --set of a variable a scenario uses or declares; --set-new of any */
START_TEST(set_names_what_a_scenario_uses_and_set_new_anything)
{
	char *prog = test_prog("bondcheck");
	char *uses = write_scn("scan timeout=${T}\n");
	char *declares = write_scn("set UNUSED=1\nscan\n");
	const char *ok1[] = { prog, "check", uses, "--set", "T=2s", NULL };
	const char *ok2[] = { prog, "check", declares, "--set", "UNUSED=2",
		NULL };
	const char *ok3[] = { prog, "check", declares, "--set-new", "X=1",
		NULL };
	const char *ok4[] = { prog, "check", uses, declares, "--set", "T=2s",
		"--set", "UNUSED=3", NULL };
	const char *bad[] = { prog, "check", declares, "--set", "X=1", NULL };
	const char *const *oks[] = { ok1, ok2, ok3, ok4 };
	struct proc_result r;

	for (size_t i = 0; i < G_N_ELEMENTS(oks); i++) {
		test_run(oks[i], NULL, 10000, &r);
		ck_assert_msg(r.status == 0, "%zu: %s", i, r.err);
		test_result_clear(&r);
	}
	test_run(bad, NULL, 10000, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "never uses X"));
	test_result_clear(&r);
	unlink(uses);
	unlink(declares);
	g_free(uses);
	g_free(declares);
	g_free(prog);
}
END_TEST

/*
 * What a run that never started leaves, read the way CI reads it: a log of
 * run-start and run-end with the reason (never an empty file) and a JUnit
 * report whose one error names the reason; the XSD and junitparser agree.
 */
static void left_behind(const char *log, const char *xml, int status,
	const char *type, const char *words)
{
	char *script = test_path("tests/junit/junit_summary.py");
	char *xsd = test_path("tests/junit/junit.xsd");
	const char *py[] = { "/usr/bin/python3", script, xml, NULL };
	const char *lint[] = { "/usr/bin/xmllint", "--noout", "--schema", xsd,
		xml, NULL };
	char *want = g_strdup_printf("| run | error | line= | type=%s", type);
	struct proc_result r;
	JsonParser *p = NULL;
	JsonObject *end;

	if (log) {
		end = check_log(log, true, &p);
		ck_assert_ptr_nonnull(end);
		ck_assert_int_eq(json_object_get_int_member(end, "exit_status"),
			status);
		ck_assert(!json_object_get_boolean_member(end, "started"));
		ck_assert_msg(strstr(json_object_get_string_member(end,
					     "message"),
				      words),
			"%s", json_object_get_string_member(end, "message"));
		g_object_unref(p);
	}
	test_run(lint, NULL, 30000, &r);
	ck_assert_msg(r.status == 0, "%s", r.err);
	test_result_clear(&r);
	test_run(py, NULL, 30000, &r);
	ck_assert_msg(r.status == 0 && strstr(r.out, want), "%s\n%s", r.out,
		r.err);
	test_result_clear(&r);
	g_free(want);
	g_free(script);
	g_free(xsd);
}

START_TEST(bad_input_still_writes_the_log_and_junit)
{
	char *prog = test_prog("bondcheck");
	struct bad_files f;
	char *log = tmp_log();
	char *xml = g_strconcat(log, ".xml", NULL);
	const char *argv[16] = { prog, "run", "--junit", xml, "--log", log };
	struct proc_result r;
	char *want;
	int n = 6;

	bad_files_make(&f);
	if (strcmp(bad_runs[_i].args[0], "run"))
		goto out;
	for (int i = 1; bad_runs[_i].args[i]; i++)
		argv[n++] = bad_files_arg(&f, bad_runs[_i].args[i]);
	test_run(argv, NULL, 10000, &r);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	test_result_clear(&r);
	want = bad_files_want(&f, bad_runs[_i].err);
	left_behind(log, xml, 2, "bad-input", want);
	g_free(want);
out:
	bad_files_drop(&f);
	unlink(log);
	unlink(xml);
	g_free(log);
	g_free(xml);
	g_free(prog);
}
END_TEST

/* No bus at all, and a bus without bondcheckd for --daemon. */
START_TEST(no_bus_or_no_daemon_still_writes_the_log_and_junit)
{
	char *prog = test_prog("bondcheck");
	char *scn = scn_path("bond-survives-reboot.scn");
	char *log = tmp_log();
	char *xml = g_strconcat(log, ".xml", NULL);
	const char *argv[] = { prog, "run", "-d", SIM_DUT, "--junit", xml,
		"--log", log, _i ? "--daemon" : scn, _i ? scn : NULL, NULL };
	const char *nobus[] = {
		"DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus", NULL
	};
	const char *env[] = { st.env, NULL };
	struct proc_result r;
	char *summary;

	test_run(argv, _i ? env : nobus, 20000, &r);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	test_result_clear(&r);
	left_behind(log, xml, 3, "environment-error",
		_i ? "bondcheckd is not running" : "system bus");
	/* ...and every step of the scenario, skipped */
	ck_assert(g_file_get_contents(xml, &summary, NULL, NULL));
	ck_assert_msg(strstr(summary, "tests=\"14\" failures=\"0\" errors="
				      "\"1\" skipped=\"13\""),
		"%s", summary);
	g_free(summary);
	unlink(xml);
	unlink(log);
	g_free(xml);
	g_free(log);
	g_free(scn);
	g_free(prog);
}
END_TEST

START_TEST(check_accepts_the_shipped_scenarios)
{
	char *prog = test_prog("bondcheck");
	char *a = scn_path("bond-survives-reboot.scn");
	char *b = scn_path("soak-reboot.scn");
	const char *argv[] = { prog, "check", a, b, "--set", "CYCLES=500",
		NULL };
	struct proc_result r;

	test_run(argv, NULL, 10000, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\"Reboot soak\", 1503 steps"));
	test_result_clear(&r);
	g_free(a);
	g_free(b);
	g_free(prog);
}
END_TEST

Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *m = tcase_create("matrix");
	TCase *bt = tcase_create("bond-tables");
	TCase *rl = tcase_create("real-mode");
	TCase *u = tcase_create("usage");
	TCase *so = tcase_create("sim-settings");
	TCase *dy = tcase_create("sim-dies");

	tcase_set_timeout(m, 90);
	tcase_add_loop_test(m, each_scenario_against_each_fault, 0,
		G_N_ELEMENTS(matrix) * NCOL);
	tcase_add_loop_test(m, each_fault_by_privacy_and_reboot_kind, 0,
		G_N_ELEMENTS(axes) * 4);
	suite_add_tcase(s, m);

	tcase_add_checked_fixture(bt, NULL, tables_teardown);
	tcase_set_timeout(bt, 120);
	tcase_add_loop_test(bt,
		centrals_against_a_bond_table_fail_where_it_evicts, 0,
		G_N_ELEMENTS(tables));
	tcase_add_test(bt, adapters_named_in_order_are_the_centrals_adapters);
	suite_add_tcase(s, bt);
	tcase_add_checked_fixture(rl, real_setup, real_teardown);
	tcase_set_timeout(rl, 90);
	tcase_add_test(rl, on_the_system_bus_the_reboot_characteristic_is_used);
	tcase_add_loop_test(rl,
		no_bus_or_no_daemon_still_writes_the_log_and_junit, 0, 2);
	tcase_add_test(rl, a_reboot_command_is_run_and_logged);
	tcase_add_test(rl, a_reboot_that_never_happens_times_out);
	tcase_add_test(rl, a_failing_reboot_command_fails_its_step_at_once);
	tcase_add_test(rl, a_command_that_is_not_there_says_so);
	tcase_add_test(rl,
		a_serial_port_that_fails_is_an_environment_error_at_once);
	tcase_add_test(rl, a_serial_reboot_reaches_the_port);
	tcase_add_test(rl, a_manual_reboot_waits_for_the_person);
	tcase_add_loop_test(rl,
		ctrl_c_mid_step_leaves_a_complete_log_and_no_agent, 0,
		G_N_ELEMENTS(end_signals));
	tcase_add_test(rl, ctrl_c_while_scanning_stops_discovery);
	tcase_add_loop_test(rl, a_failed_run_leaves_the_dut_free_for_the_next,
		0, G_N_ELEMENTS(leftovers));
	tcase_add_test(rl, a_second_run_on_a_device_in_use_is_refused);
	tcase_add_test(rl, a_strangers_agent_calls_are_logged_not_classified);
	tcase_add_test(rl, a_killed_run_leaves_a_log_whose_lines_all_parse);
	tcase_add_test(rl, no_bluetoothd_exits_3_at_once);
	suite_add_tcase(s, rl);

	tcase_set_timeout(so, 60);
	tcase_add_test(so, sim_settings_change_the_dut_and_are_in_run_start);
	tcase_add_loop_test(so,
		a_reconnect_after_a_reboot_connects_at_the_first_advertisement,
		0, G_N_ELEMENTS(early_connects));
	tcase_add_loop_test(so,
		a_link_bluetoothd_never_reported_is_connected_again, 0,
		G_N_ELEMENTS(early_connects));
	tcase_add_test(so, sim_adapters_follow_the_scenario_unless_set);
	suite_add_tcase(s, so);
	tcase_set_timeout(dy, 60);
	tcase_add_loop_test(dy,
		the_simulator_and_its_bus_dying_together_end_the_run, 0,
		G_N_ELEMENTS(dying));
	suite_add_tcase(s, dy);

	tcase_set_timeout(u, 30);
	tcase_add_loop_test(u, bad_input_exits_2_with_its_place, 0,
		G_N_ELEMENTS(bad_runs));
	tcase_add_test(u, check_accepts_the_shipped_scenarios);
	tcase_add_test(u, set_names_what_a_scenario_uses_and_set_new_anything);
	tcase_add_loop_test(u, bad_input_still_writes_the_log_and_junit, 0,
		G_N_ELEMENTS(bad_runs));
	tcase_add_loop_test(u, a_log_that_cannot_be_written_is_never_a_pass, 0,
		G_N_ELEMENTS(log_failures));
	suite_add_tcase(s, u);
	return s;
}
