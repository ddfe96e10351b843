/* SPDX-License-Identifier: MIT */
/*
 * mgmt.h — the kernel's Bluetooth management interface (the mgmt control
 * channel btmgmt and bluetoothd use) for the one thing BlueZ's D-Bus API
 * does not show: a controller's address privacy. It implements the
 * engine's struct mgmt_ops.
 *
 * Reading (Read Controller Information) needs no privilege. Changing it
 * (Set Powered off, Set Privacy, Set Powered on) needs CAP_NET_ADMIN: the
 * kernel answers Permission Denied otherwise, which comes back as
 * BCERROR_NOT_PERMITTED. One command is in flight at a time; every command
 * has a timeout. Opcodes, settings bits and status codes are those of
 * BlueZ's doc/mgmt-api.txt.
 */
#ifndef BONDCHECK_MGMT_H
#define BONDCHECK_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "bondcheck/engine.h"

#define MGMT_SETTING_POWERED (1u << 0)
#define MGMT_SETTING_PRIVACY (1u << 13)

struct mgmt;

/* Open the control channel; NULL with BCERROR_NOT_SUPPORTED when the
 * kernel has no Bluetooth. */
struct mgmt *mgmt_new(GError **error);
void mgmt_free(struct mgmt *m);

extern const struct mgmt_ops mgmt_ops;

/*
 * The IRK bluetoothd keeps for the adapter at @address (its identity file
 * under @storage, /var/lib/bluetooth normally), in @irk; false when there
 * is none (privacy never configured) or it cannot be read.
 */
bool mgmt_stored_irk(const char *storage, const char *address, uint8_t irk[16]);

/* Over @fd (a socket that keeps frames apart, as the control channel
 * does), which it takes: for tests, one end of a SOCK_SEQPACKET pair. */
struct mgmt *mgmt_new_fd(int fd);
/* Where mgmt_stored_irk() looks (default /var/lib/bluetooth). */
void mgmt_set_storage(struct mgmt *m, const char *dir);
/* How long each command waits for the kernel's answer (default 5 s). */
void mgmt_set_timeout(struct mgmt *m, unsigned ms);

#endif
