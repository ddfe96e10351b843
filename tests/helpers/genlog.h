/* SPDX-License-Identifier: MIT */
/*
 * genlog.h — writes a synthetic soak-run log in schema 1: pair once, then
 * cycles of reboot / reconnect / read, each step with raw bluez events. For
 * compare and report tests, and for make bench's million-event logs.
 */
#ifndef BONDCHECK_GENLOG_H
#define BONDCHECK_GENLOG_H

#include <glib.h>
#include <stdio.h>

struct genlog_opts {
	unsigned cycles;       /* iterations of the repeat block */
	unsigned fail_cycle;   /* reconnect fails here and the run ends; 0 */
	unsigned raw_per_step; /* raw events between step-start and -end */
	unsigned reboot_ms;    /* elapsed of each reboot step */
	unsigned line_offset;  /* added to every scenario line */
	const char *label;
	const char *sha256; /* of the "scenario" */
};

void genlog_opts_init(struct genlog_opts *o);
/* Cycles needed for about @events events with @o's other settings. */
unsigned genlog_cycles_for(const struct genlog_opts *o, guint64 events);
/* Write the log; returns the number of lines written. */
guint64 genlog_write(FILE *f, const struct genlog_opts *o);

#endif
