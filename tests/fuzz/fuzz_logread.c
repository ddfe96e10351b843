/* SPDX-License-Identifier: MIT */
/*
 * fuzz_logread.c — libFuzzer target for what reads run logs: logread (with
 * and without skimming), report (as `bondcheck report` feeds it) and
 * compare (the input against itself). Any input: no crash, no leak; each
 * reader either reads it all or fails with a GError whose message starts
 * with the file's name; skimming or not, logread agrees on where it fails.
 */
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bondcheck/compare.h"
#include "bondcheck/logread.h"
#include "bondcheck/report.h"
#include "fuzz/fuzz.h"

/* The input as a file the readers open by name (no disk: a memfd). */
static const char *as_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("bc-fuzz-log", MFD_CLOEXEC);
		if (fd < 0)
			__builtin_trap();
		g_snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 ||
		(size && pwrite(fd, data, size, 0) != (ssize_t)size))
		__builtin_trap();
	return path;
}

static FILE *null_out(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "we");
	return f;
}

static void check_error(GError *err, const char *path)
{
	if (!err || !err->message || !g_str_has_prefix(err->message, path))
		__builtin_trap();
	g_error_free(err);
}

/* Events read, or -1 - the line it failed on. */
static long read_all(const char *path, bool skim)
{
	struct logread *r = logread_open(path, NULL);
	GError *err = NULL;
	JsonObject *ev;
	long n = 0;
	int rc;

	if (!r)
		__builtin_trap();
	logread_set_skim(r, skim);
	while ((rc = logread_next(r, &ev, &err)) > 0) {
		if (!skim && !ev)
			__builtin_trap();
		n++;
	}
	if (rc < 0) {
		n = -1 - (long)logread_lineno(r);
		check_error(err, path);
	}
	logread_free(r);
	return n;
}

int fuzz_logread(const uint8_t *data, size_t size)
{
	const char *path = as_file(data, size);
	struct report *rep = report_new();
	struct logread *lr;
	struct compare *c;
	GError *err = NULL;
	int rc;

	if (read_all(path, false) != read_all(path, true))
		__builtin_trap();

	/* bondcheck report */
	lr = logread_open(path, NULL);
	logread_set_skim(lr, true);
	while ((rc = logread_next(lr, NULL, &err)) > 0)
		report_add(rep, logread_event(lr));
	if (rc < 0)
		check_error(err, path);
	else if (report_finish(rep, &err))
		report_print(rep, null_out(), false,
			REPORT_RUN | REPORT_OUTCOME | REPORT_COUNTS |
				REPORT_LATENCY);
	else
		g_error_free(err);
	err = NULL;
	logread_free(lr);
	report_free(rep);

	/* bondcheck compare LOG LOG */
	c = compare_logs(path, path, NULL, &err);
	if (c) {
		JsonNode *j = compare_to_json(c);

		compare_print(c, null_out(), false, 80);
		json_node_unref(j);
		compare_free(c);
	} else {
		check_error(err, path);
	}
	return 0;
}
