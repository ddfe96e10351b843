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

/* One child: watched from its start until it is reaped, so its exit is
 * never missed (a second watch on a reaped pid would wait for ever). */
struct simchild {
	GPid pid;
	guint watch;
	bool exited;
	int status; /* as waitpid(2) gives it */
};

struct simhost {
	struct simchild bus;
	struct simchild sim;
	char *address;
	char *dir;
	/* called once if the simulator dies while we still need it */
	void (*on_exit)(struct simhost *h, void *user_data);
	void *exit_data;
};

/* Start both and wait (bounded) until the simulator owns org.bluez. */
bool simhost_start(struct simhost *h, const char *const *sim_args,
	GError **error);
/*
 * Stop both (SIGTERM; SIGKILL after 20 s for the simulator, 5 s for the
 * bus) and wait for them. Returns
 * NULL if the simulator exited 0 (on our SIGTERM or before), else how it
 * ended ("exited with status 23", "was killed by signal 11"), for the
 * caller to report: a simulator that crashed or leaked (AddressSanitizer
 * exits non-zero) is a bug, even if the run passed. g_free() it.
 */
char *simhost_stop(struct simhost *h);
/* While simhost_stop() waits: SIGKILL the simulator now (a Ctrl-C). */
void simhost_hurry(struct simhost *h);
/* How a waitpid(2) status ended a process, for people; NULL if exit 0. */
char *simhost_describe_exit(int status);

/* Where bondcheck-sim is: $BONDCHECK_SIM, beside us, or on $PATH. */
char *simhost_find_sim(void);

#endif
