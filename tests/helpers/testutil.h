/* SPDX-License-Identifier: MIT */
/*
 * testutil.h — what the suites share: a private dbus-daemon per test, helper
 * processes that die with the test (PR_SET_PDEATHSIG), waits on the main loop
 * with a timeout (never sleeps), synchronous calls for test code only, and
 * running our own programs with their output captured.
 */
#ifndef BONDCHECK_TESTUTIL_H
#define BONDCHECK_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <glib.h>

#include "bondcheck/bus.h"

/*
 * A wait in a test catches a hang; it never measures speed (make bench
 * does). Whatever a caller asks, every wait below (test_wait and all that
 * use it, test_call, test_run, test_finish, test_signal_wait, test_kill)
 * lasts at least TEST_HANG_MS before it gives up, so a loaded machine or a
 * sanitizer build does not fail a test that would pass given the time.
 * A wait returns as soon as what it waits for holds, so this costs time
 * only when a test fails. Check's own per-test limits are widened the same
 * way (tests/runner.c). The one deliberate short wait is
 * testbus_start_within(), which its caller uses to prove a wait ends.
 */
#define TEST_HANG_MS 30000
int test_hang_ms(int timeout_ms);

/* Where the build and the source tree are (set by `make test`). */
const char *test_builddir(void);
const char *test_srcdir(void);
char *test_path(const char *rel);  /* source-relative path, g_free it */
char *test_prog(const char *name); /* path of a built program */

struct testbus {
	GPid pid;
	char *address;
};

/* Start a private bus (tests/dbus-test.conf); false if it cannot. */
bool testbus_start(struct testbus *tb);
/* Same, with another configuration file (policy tests). */
bool testbus_start_conf(struct testbus *tb, const char *config);
/* Same, waiting at most @timeout_ms for the bus's address (the others wait
 * TEST_HANG_MS); false, with the process killed, when it does not come. */
bool testbus_start_within(struct testbus *tb, const char *config,
	int timeout_ms);
void testbus_stop(struct testbus *tb);

/*
 * Spawn a helper process; it is killed when the test process exits.
 * @env_extra: "NAME=VALUE" strings added to the environment (NULL-ended).
 * stdout/stderr go to @log (a file path) when given, else /dev/null.
 */
GPid test_spawn(const char *const *argv, const char *const *env_extra,
	const char *log);
void test_kill(GPid pid); /* SIGTERM, wait for it (bounded) */
/* Send @sig, wait up to @timeout_ms: its exit status (128+signal when
 * killed), or -1 if it did not exit (it is left running). */
int test_signal_wait(GPid pid, int sig, int timeout_ms);

/* The child of @parent (a process the test started) whose name is @comm
 * (/proc/PID/stat), or 0. */
GPid test_child_pid(GPid parent, const char *comm);

/* Run the main loop until @cond(@data) holds or @timeout_ms passes. */
typedef bool (*test_cond_fn)(void *data);
bool test_wait(test_cond_fn cond, void *data, int timeout_ms);

/* Wait until @name has (or, with @present false, has lost) an owner. */
bool test_wait_name(struct bus *bus, const char *name, bool present,
	int timeout_ms);

/* A method call for test code: runs the loop until the reply arrives. */
DBusMessage *test_call(struct bus *bus, const char *dest, const char *path,
	const char *iface, const char *method, GVariant *args, int timeout_ms);
/* Same, failing the test on an error reply; returns the body or NULL. */
GVariant *test_call_ok(struct bus *bus, const char *dest, const char *path,
	const char *iface, const char *method, GVariant *args);

/* Run a program to completion (killed after @timeout_ms). */
struct proc_result {
	int status; /* exit status, or 128+signal, -1 on timeout */
	char *out;
	char *err;
};
void test_run(const char *const *argv, const char *const *env_extra,
	int timeout_ms, struct proc_result *res);
/* Same, but the child is started and left running; wait with test_finish */
GPid test_start(const char *const *argv, const char *const *env_extra,
	char **out_path, char **err_path);
void test_finish(GPid pid, char *out_path, char *err_path, int timeout_ms,
	struct proc_result *res);
void test_result_clear(struct proc_result *res);

/*
 * What bondcheck says on stderr when the simulator it ran for --sim did
 * not exit 0 (a crash, or a leak under AddressSanitizer). test_finish()
 * and expect_exit() fail the test when they see it, unless the test has
 * called test_allow_sim_warning() (it kills the simulator on purpose).
 */
#define TEST_SIM_WARNING "bondcheck: warning: bondcheck-sim "
void test_allow_sim_warning(void);
void test_check_sim_warning(const char *stderr_text);

/* Start python-dbusmock's bluez5 template on @tb; returns its pid. */
GPid test_start_dbusmock(struct testbus *tb, struct bus *bus);

#endif
