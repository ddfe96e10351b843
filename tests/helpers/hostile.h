/* SPDX-License-Identifier: MIT */
/*
 * hostile.h — the hostile inputs of issue 12, made one way for every suite
 * that feeds them to something (the parser, check and run, bondcheckd, the
 * log readers, a Trace signal).
 */
#ifndef BONDCHECK_HOSTILE_H
#define BONDCHECK_HOSTILE_H

#include <glib.h>

/* 22 `set` lines that each double a 16-byte value (64 MiB if expanded),
 * then @use (with ${V22} in it, e.g. "read ${V22}\n"). */
GString *hostile_doubling(const char *use);
/* @levels `repeat 2` lines, a scan, then @ends `end` lines. */
GString *hostile_repeats(int levels, int ends);
/* A 12 KB file whose ${...} add 1.2 MB: a 4000-byte value used by 300
 * reboot lines (the 1 MiB budget stops it at 264:24). */
GString *hostile_expansion(void);
/* Two nested `repeat 1000000` around a scan: 10^12 steps in 46 bytes. */
GString *hostile_steps(void);
/* @prefix, @levels '[' and as many ']', then @suffix: JSON nested deep. */
GString *hostile_nesting(const char *prefix, int levels, const char *suffix);

#endif
