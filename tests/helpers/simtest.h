/* SPDX-License-Identifier: MIT */
/*
 * simtest.h — a private bus with bondcheck-sim on it, a scripted agent, and
 * a driver for interactive programs (bluetoothctl) that waits on their
 * output, never on the clock.
 */
#ifndef BONDCHECK_SIMTEST_H
#define BONDCHECK_SIMTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/bus.h"
#include "helpers/testutil.h"
#include "helpers/timeline.h"

#define SIM_DUT    "C0:FF:EE:00:13:42"
#define SIM_DEV    "/org/bluez/hci0/dev_C0_FF_EE_00_13_42"
#define SIM_TEMP   SIM_DEV "/service000a/char000b"
#define SIM_CCCD   SIM_TEMP "/desc000d"
#define SIM_REBOOT SIM_DEV "/service000e/char000f"
#define SIM_HCI    "/org/bluez/hci0"

struct simtest {
	struct testbus tb;
	GPid sim;
	struct bus *bus;
	struct timeline *tl;
	char *env; /* "DBUS_SYSTEM_BUS_ADDRESS=..." */
};

/* Start bus + sim (fast timing and --seed 1 unless @args override) and a
 * timeline. */
void simtest_start(struct simtest *st, const char *const *args);
void simtest_stop(struct simtest *st);
/* Stop only the simulator, with @sig; its exit status (128+N if signal N
 * killed it, -1 if it did not exit within 10 s). Under ASan a leak or
 * another error found at exit makes the status non-zero. */
int simtest_stop_sim(struct simtest *st, int sig);
/* Start discovery and wait until the DUT's Device1 is there. */
void simtest_discover(struct simtest *st);
/* A synchronous call through the timeline: waits for its reply line and
 * returns it ("ok" or "NAME text"); g_free the result. */
char *simtest_call(struct simtest *st, const char *path, const char *iface,
	const char *method, GVariant *args);

enum testagent_mode {
	TESTAGENT_ACCEPT,
	TESTAGENT_REJECT,
	TESTAGENT_SILENT, /* never answers */
};

struct testagent;
struct testagent *testagent_new(struct bus *bus, struct timeline *tl,
	const char *capability, enum testagent_mode mode, uint32_t passkey);
void testagent_free(struct testagent *a);

/* An interactive program driven through pipes. */
struct expect;
struct expect *expect_spawn(const char *const *argv, const char *const *env);
void expect_send(struct expect *e, const char *line);
/* Wait for @needle in output not yet matched; consume through it. */
bool expect_wait(struct expect *e, const char *needle, int timeout_ms);
const char *expect_output(struct expect *e);
/* What it wrote on stderr so far. */
const char *expect_errors(struct expect *e);
GPid expect_pid(struct expect *e);
/* Wait for the program to exit; its status (128+signal if killed), or -1. */
int expect_exit(struct expect *e, int timeout_ms);
void expect_free(struct expect *e);

#endif
