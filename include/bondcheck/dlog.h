/* SPDX-License-Identifier: MIT */
/*
 * dlog.h — bondcheckd's log output and its messages to systemd, through
 * libsystemd's sd-daemon:
 *
 * - every GLib message (g_message, g_warning, g_debug, ...) goes to stderr;
 *   when stderr is the journal (systemd's JOURNAL_STREAM names it) each line
 *   carries its syslog priority as a "<N>" prefix (sd-daemon(3)), so
 *   `journalctl -p warning -u bondcheckd` works; on a terminal or a file it
 *   reads "bondcheckd: warning: ...". Debug lines only with
 *   G_MESSAGES_DEBUG (bondcheckd -v).
 * - readiness, status and stopping go to the service manager with
 *   sd_notify(3) (nothing happens without NOTIFY_SOCKET).
 */
#ifndef BONDCHECK_DLOG_H
#define BONDCHECK_DLOG_H

#include <glib.h>
#include <stdbool.h>

/* Route GLib's log messages through dlog_write(). */
void dlog_init(void);

/* The syslog priority (LOG_ERR ... LOG_DEBUG) of a GLib log level. */
int dlog_priority(GLogLevelFlags level);

/* Is @fd the journal's stream (JOURNAL_STREAM=DEVICE:INODE matches)? */
bool dlog_fd_is_journal(int fd);

/* Format one message as written on stderr: "<N>text\n" for the journal,
 * "bondcheckd: LEVEL: text\n" otherwise. */
char *dlog_format(GLogLevelFlags level, const char *message, bool journal);

/* An error of bondcheckd itself (bad option, no bus): LOG_ERR. */
void dlog_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* sd_notify(0, @state): "READY=1", "STOPPING=1", "STATUS=..." */
void dlog_notify(const char *state);

#endif
