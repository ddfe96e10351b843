/* SPDX-License-Identifier: MIT */
/*
 * clock.c — the engine's clock on the GLib main loop (clock_glib_ops,
 * engine.h). Unit tests plug in a clock that moves only when they say.
 */
#include "bondcheck/engine.h"

static int64_t glib_now(void *data)
{
	(void)data;
	return g_get_monotonic_time();
}

static guint glib_timeout(void *data, int64_t ms, GSourceFunc fn,
	void *user_data)
{
	(void)data;
	return g_timeout_add((guint)CLAMP(ms, 0, G_MAXUINT), fn, user_data);
}

static void glib_cancel(void *data, guint id)
{
	(void)data;
	g_source_remove(id);
}

const struct clock_ops clock_glib_ops = {
	.now_us = glib_now,
	.timeout = glib_timeout,
	.cancel = glib_cancel,
};
