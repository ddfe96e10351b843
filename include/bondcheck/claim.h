/* SPDX-License-Identifier: MIT */
/*
 * claim.h — a run's claim on the DUT through one adapter of one bus, so
 * that a second run on them (another bondcheck, or a bondcheckd run) is
 * refused at its start instead of ending in a false verdict: two centrals
 * driving one link fail each other's steps.
 *
 * A claim is a flock(2)ed file, bondcheck-BUSID-hciN-DEVICE.lock, in
 * $BONDCHECK_LOCK_DIR, else /run/lock (world-writable on Debian, shared by
 * every user and by bondcheckd), else the temporary directory. BUSID is the
 * bus's own GUID: runs on two private buses (two --sim runs, two test
 * buses) never meet. The kernel drops the lock when the process ends, so a
 * killed run leaves no claim behind. Never blocks.
 */
#ifndef BONDCHECK_CLAIM_H
#define BONDCHECK_CLAIM_H

#include <glib.h>

struct claim;

/*
 * Claim @device (an address) through @adapter (its object path or hciN) on
 * the bus whose GUID is @bus_id. NULL with BCERROR_ENVIRONMENT when another
 * run holds it ("C0:FF:EE:00:13:42 on hci0 is in use by another bondcheck
 * run (bondcheckd, pid 812): ..."). A directory where no claim can be made
 * gives a claim that holds nothing (the run goes on, unprotected).
 */
struct claim *claim_take(const char *bus_id, const char *adapter,
	const char *device, GError **error);
/* Let go of it (and remove its file). NULL is fine. */
void claim_free(struct claim *c);
/* The file it holds, or NULL (for tests). */
const char *claim_path(const struct claim *c);

#endif
