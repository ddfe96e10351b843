/* SPDX-License-Identifier: MIT */
/*
 * vmsay.h — the log line of the VM tier's own programs (bondcheck-vmdut,
 * bondcheck-bridge): "WHO SECONDS.MS: message" on stderr, monotonic time,
 * so that their logs and the guest's line up.
 */
#ifndef BONDCHECK_VMSAY_H
#define BONDCHECK_VMSAY_H

#include <stdarg.h>
#include <stdio.h>
#include <glib.h>

static inline void vm_vsay(const char *who, const char *fmt, va_list ap)
{
	gint64 t = g_get_monotonic_time() / 1000;

	fprintf(stderr, "%s %" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT ": ", who,
		t / 1000, t % 1000);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#endif
