/* SPDX-License-Identifier: MIT */
/*
 * trigger_os.h — the real trigger_ops: a shell command (its output lines
 * and exit status are reported) and bytes written to a serial port. No
 * D-Bus; lives beside the bus back ends as the other "outside world" code.
 */
#ifndef BONDCHECK_TRIGGER_OS_H
#define BONDCHECK_TRIGGER_OS_H

#include <stdio.h>

#include "bondcheck/engine.h"

struct trigger_os;

extern const struct trigger_ops trigger_os_ops;

/* @prompt_to: where `via=manual` asks (NULL: nowhere, it is only logged). */
struct trigger_os *trigger_os_new(FILE *prompt_to);
void trigger_os_free(struct trigger_os *t);

#endif
