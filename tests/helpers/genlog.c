/* SPDX-License-Identifier: MIT */
/*
 * genlog.c — the synthetic soak log. Lines are printed, not built with
 * json-glib, so that generating a million events costs seconds.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "helpers/genlog.h"

#define DEV             "/org/bluez/hci0/dev_C0_FF_EE_00_13_42"
#define STEPS_BEFORE    2 /* scan, pair */
#define STEPS_PER_CYCLE 3 /* reboot, reconnect, read */

void genlog_opts_init(struct genlog_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cycles = 10;
	o->raw_per_step = 6;
	o->reboot_ms = 800;
	o->label = "gen";
	o->sha256 = "0000000000000000000000000000000000000000000000000000000000"
		    "00aa00";
}

unsigned genlog_cycles_for(const struct genlog_opts *o, guint64 events)
{
	guint64 per_step = o->raw_per_step + 2;
	guint64 fixed = 3 + STEPS_BEFORE * per_step;

	if (events <= fixed)
		return 1;
	return (unsigned)((events - fixed) / (STEPS_PER_CYCLE * per_step) + 1);
}

struct gen {
	FILE *f;
	guint64 t;
	guint64 lines;
	unsigned index;
	const struct genlog_opts *o;
};

static void line(struct gen *g, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void line(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(g->f, fmt, ap);
	va_end(ap);
	fputc('\n', g->f);
	g->lines++;
	g->t += 1500;
}

static void raw(struct gen *g, unsigned n, bool fail)
{
	for (unsigned i = 0; i < n; i++) {
		switch (i % 3) {
		case 0:
			line(g,
				"{\"type\":\"bluez\",\"t\":%" G_GUINT64_FORMAT
				",\"event\":\"call\",\"method\":\"Connect\","
				"\"path\":\"" DEV "\"}",
				g->t);
			break;
		case 1:
			line(g,
				"{\"type\":\"bluez\",\"t\":%" G_GUINT64_FORMAT
				",\"event\":\"property\",\"path\":\"" DEV "\","
				"\"iface\":\"org.bluez.Device1\",\"name\":"
				"\"Connected\",\"value\":%s}",
				g->t, fail && i + 2 >= n ? "false" : "true");
			break;
		default:
			line(g,
				"{\"type\":\"sim\",\"t\":%" G_GUINT64_FORMAT
				",\"trace\":{\"event\":\"ltk-request\","
				"\"t_us\":%" G_GUINT64_FORMAT ",\"peer\":"
				"\"00:B0:DC:00:00:01\",\"found\":%s}}",
				g->t, g->t + 7, fail ? "false" : "true");
			break;
		}
	}
}

static void step(struct gen *g, unsigned lineno, unsigned cycle,
	const char *name, unsigned ms, bool fail, gint64 latency)
{
	char it[32] = "[]";

	if (cycle)
		g_snprintf(it, sizeof(it), "[%u]", cycle);
	g->index++;
	lineno += g->o->line_offset;
	line(g,
		"{\"type\":\"step-start\",\"t\":%" G_GUINT64_FORMAT
		",\"index\":%u,\"line\":%u,\"iteration\":%s,\"name\":\"%s\","
		"\"text\":\"%s\",\"timeout_ms\":15000}",
		g->t, g->index, lineno, it, name, name);
	raw(g, g->o->raw_per_step, fail);
	if (fail)
		line(g,
			"{\"type\":\"step-end\",\"t\":%" G_GUINT64_FORMAT
			",\"index\":%u,\"line\":%u,\"iteration\":%s,\"name\":"
			"\"%s\",\"result\":\"fail\",\"verdict\":"
			"\"peer-removed-pairing\",\"confidence\":\"confirmed\","
			"\"elapsed_ms\":%u,\"message\":\"the link dropped\","
			"\"evidence\":{\"disconnected_reason\":"
			"\"org.bluez.Reason.Authentication\"}}",
			g->t, g->index, lineno, it, name, ms);
	else
		line(g,
			"{\"type\":\"step-end\",\"t\":%" G_GUINT64_FORMAT
			",\"index\":%u,\"line\":%u,\"iteration\":%s,\"name\":"
			"\"%s\",\"result\":\"pass\",\"verdict\":\"pass\","
			"\"confidence\":null,\"elapsed_ms\":%u,\"message\":null,"
			"\"evidence\":{\"latency_ms\":%" G_GINT64_FORMAT "}}",
			g->t, g->index, lineno, it, name, ms, latency);
}

guint64 genlog_write(FILE *f, const struct genlog_opts *o)
{
	struct gen g = { f, 1000, 0, 0, o };
	unsigned total = STEPS_BEFORE + STEPS_PER_CYCLE * o->cycles;
	bool failed = false;

	line(&g,
		"{\"type\":\"run-start\",\"t\":0,\"schema\":1,\"tool\":"
		"\"bondcheck\",\"version\":\"gen\",\"scenario\":{\"name\":"
		"\"Generated soak\",\"file\":\"gen.scn\",\"sha256\":\"%s\","
		"\"steps\":%u,\"plan\":[{\"line\":%u,\"step\":\"scan\"},"
		"{\"line\":%u,\"step\":\"pair\"},{\"line\":%u,\"repeat\":%u,"
		"\"steps\":[{\"line\":%u,\"step\":\"reboot\"},{\"line\":%u,"
		"\"step\":\"reconnect\"},{\"line\":%u,\"step\":\"read\"}]}]},"
		"\"label\":\"%s\",\"device\":{\"address\":"
		"\"C0:FF:EE:00:13:42\",\"name\":null},\"adapter\":{\"path\":"
		"\"/org/bluez/hci0\",\"address\":\"00:B0:DC:00:00:01\"},"
		"\"bluez_version\":\"generated\",\"kernel\":\"x\","
		"\"started_at\":\"2026-11-23T12:00:00.000000Z\"}",
		o->sha256, total, 5 + o->line_offset, 6 + o->line_offset,
		8 + o->line_offset, o->cycles, 9 + o->line_offset,
		10 + o->line_offset, 11 + o->line_offset, o->label);
	step(&g, 5, 0, "scan", 20, false, -1);
	step(&g, 6, 0, "pair", 400, false, -1);
	for (unsigned c = 1; c <= o->cycles && !failed; c++) {
		failed = c == o->fail_cycle;
		step(&g, 9, c, "reboot", o->reboot_ms, false, -1);
		step(&g, 10, c, "reconnect", failed ? 15000 : 40 + c % 50,
			failed, 40 + c % 50);
		if (!failed)
			step(&g, 11, c, "read", 12, false, -1);
	}
	if (failed)
		line(&g,
			"{\"type\":\"run-end\",\"t\":%" G_GUINT64_FORMAT
			",\"result\":\"failed\",\"verdict\":"
			"\"peer-removed-pairing\",\"confidence\":\"confirmed\","
			"\"steps\":{\"run\":%u,\"passed\":%u,\"total\":%u},"
			"\"elapsed_ms\":%" G_GUINT64_FORMAT ",\"message\":"
			"\"peer-removed-pairing at gen.scn:10\",\"line\":%u,"
			"\"exit_status\":1}",
			g.t, g.index, g.index - 1, total, g.t / 1000,
			10 + o->line_offset);
	else
		line(&g,
			"{\"type\":\"run-end\",\"t\":%" G_GUINT64_FORMAT
			",\"result\":\"passed\",\"verdict\":\"pass\","
			"\"confidence\":null,\"steps\":{\"run\":%u,\"passed\":"
			"%u,\"total\":%u},\"elapsed_ms\":%" G_GUINT64_FORMAT
			",\"message\":null,\"line\":null,\"exit_status\":0}",
			g.t, g.index, g.index, total, g.t / 1000);
	return g.lines;
}
