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
/* @prefix, @levels '[' and as many ']', then @suffix: JSON nested deep. */
GString *hostile_nesting(const char *prefix, int levels, const char *suffix);

#endif
