/* SPDX-License-Identifier: MIT */
/*
 * step-scan.c — `scan`: wait until the DUT advertises, then stop our
 * discovery (RSSI is invalidated when it stops, so a later return of the
 * DUT is visible to the steps after).
 */
#include "step.h"

enum scan_phase {
	SCAN_PHASE_START,
	SCAN_PHASE_DISCOVERING,
	SCAN_PHASE_STOPPING,
};

static const char *scan_phase_to_str(int phase)
{
	switch ((enum scan_phase)phase) {
	case SCAN_PHASE_START: return "start";
	case SCAN_PHASE_DISCOVERING: return "discovering";
	case SCAN_PHASE_STOPPING: return "stopping-discovery";
	}
	return "unknown";
}

static void scan_found(struct engine *e, const char *path)
{
	struct central *c = step_central(e);

	central_adopt(c, path); /* @path may be freed now: use c->dev_path */
	c->dut_seen_us = engine_now(e);
	step_timeline(e, "%s advertises (%s)",
		e->dev_address ? e->dev_address : "", c->dev_path);
	step_extra_str(e, LOG_KEY_ADDRESS, e->dev_address);
	step_enter_phase(e, SCAN_PHASE_STOPPING);
	central_stop_discovery(c);
}

static void scan_start(struct engine *e)
{
	struct central *c = step_central(e);
	const char *p;

	if (central_dut_in_range(c, &p)) {
		scan_found(e, p);
		return;
	}
	step_enter_phase(e, SCAN_PHASE_DISCOVERING);
	central_start_discovery(c);
}

static void scan_dut_seen(struct engine *e, const char *path)
{
	if (e->st.phase == SCAN_PHASE_DISCOVERING)
		scan_found(e, path);
}

static void scan_discovery_stopped(struct engine *e)
{
	if (e->st.phase == SCAN_PHASE_STOPPING)
		step_pass(e);
}

static void scan_timeout(struct engine *e, const char *d)
{
	step_fail(e, VERDICT_NOT_ADVERTISING, CONFIDENCE_INFERRED,
		"the DUT was not seen advertising within %s", d);
}

const struct step_ops step_scan_ops = {
	.start = scan_start,
	.dut_seen = scan_dut_seen,
	.discovery_stopped = scan_discovery_stopped,
	.timeout = scan_timeout,
	.phase_to_str = scan_phase_to_str,
};
