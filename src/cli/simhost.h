/* SPDX-License-Identifier: MIT */
/*
 * simhost.h — a private dbus-daemon with bondcheck-sim on it, for `bondcheck
 * sim` and `bondcheck run --sim`. Both children run in their own process
 * group (a Ctrl-C reaches only us, and we tear them down in order) and die
 * with us if we die (PR_SET_PDEATHSIG).
 */
#ifndef BONDCHECK_SIMHOST_H
#define BONDCHECK_SIMHOST_H

#include <stdbool.h>
#include <glib.h>

struct simhost {
	GPid bus_pid;
	GPid sim_pid;
	char *address;
	char *dir;
	guint sim_watch;
	bool sim_exited;
	int sim_status;
	/* called once if the simulator dies while we still need it */
	void (*on_exit)(struct simhost *h, void *user_data);
	void *exit_data;
};

/* Start both and wait (bounded) until the simulator owns org.bluez. */
bool simhost_start(struct simhost *h, const char *const *sim_args,
	GError **error);
void simhost_stop(struct simhost *h);

/* Where bondcheck-sim is: $BONDCHECK_SIM, beside us, or on $PATH. */
char *simhost_find_sim(void);

#endif
