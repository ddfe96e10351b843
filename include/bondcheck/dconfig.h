/* SPDX-License-Identifier: MIT */
/*
 * dconfig.h — bondcheckd's configuration file (/etc/bondcheck/bondcheckd.conf):
 *
 *   # comments start with # or ;
 *   [daemon]
 *   retention = 100          finished runs kept listable on the bus
 *   max-state-size = 1G      logs and scenario texts kept, at most
 *   max-queued = 64          runs waiting, over all adapters
 *
 *   [reboot mpremote]        a reboot method callers may name
 *   command = mpremote connect /dev/ttyACM0 reset
 *
 * Callers of StartRun name a reboot method; they never send a command. The
 * parser is strict: an unknown section or key, a bad number or a method
 * without a command is an error at FILE:LINE:COL.
 */
#ifndef BONDCHECK_DCONFIG_H
#define BONDCHECK_DCONFIG_H

#include <glib.h>
#include <stdbool.h>

#define DCONFIG_DEFAULT_PATH           "/etc/bondcheck/bondcheckd.conf"
#define DCONFIG_DEFAULT_RETENTION      100
#define DCONFIG_DEFAULT_MAX_QUEUED     64
#define DCONFIG_DEFAULT_MAX_STATE_SIZE (1024ull * 1024 * 1024)

struct dconfig {
	unsigned retention;
	unsigned max_queued;
	guint64 max_state_size; /* bytes of STATE_DIR/logs */
	GHashTable *reboot;     /* method name -> shell command */
};

void dconfig_init(struct dconfig *c);
void dconfig_clear(struct dconfig *c);
/* A missing file at the default path is an empty configuration. */
bool dconfig_load(struct dconfig *c, const char *path, bool must_exist,
	GError **error);
bool dconfig_parse(struct dconfig *c, const char *text, const char *file,
	GError **error);
/* The command of reboot method @name, or NULL. */
const char *dconfig_reboot(const struct dconfig *c, const char *name);

#endif
