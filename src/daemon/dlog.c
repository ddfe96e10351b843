/* SPDX-License-Identifier: MIT */
/*
 * dlog.c — bondcheckd's log writer (syslog priorities the journal reads) and
 * its notifications to systemd, both through libsystemd's sd-daemon. Never
 * decides what is logged: that stays with the callers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "bondcheck/dlog.h"

int dlog_priority(GLogLevelFlags level)
{
	switch (level & G_LOG_LEVEL_MASK) {
	case G_LOG_LEVEL_ERROR: return LOG_ERR;
	case G_LOG_LEVEL_CRITICAL: return LOG_CRIT;
	case G_LOG_LEVEL_WARNING: return LOG_WARNING;
	case G_LOG_LEVEL_MESSAGE: return LOG_NOTICE;
	case G_LOG_LEVEL_INFO: return LOG_INFO;
	case G_LOG_LEVEL_DEBUG:
	default: return LOG_DEBUG;
	}
}

/* sd-daemon's prefixes, by priority */
static const char *const prefixes[] = {
	[LOG_EMERG] = SD_EMERG,
	[LOG_ALERT] = SD_ALERT,
	[LOG_CRIT] = SD_CRIT,
	[LOG_ERR] = SD_ERR,
	[LOG_WARNING] = SD_WARNING,
	[LOG_NOTICE] = SD_NOTICE,
	[LOG_INFO] = SD_INFO,
	[LOG_DEBUG] = SD_DEBUG,
};

static const char *const words[] = {
	[LOG_EMERG] = "emergency: ",
	[LOG_ALERT] = "alert: ",
	[LOG_CRIT] = "critical: ",
	[LOG_ERR] = "error: ",
	[LOG_WARNING] = "warning: ",
	[LOG_NOTICE] = "",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

bool dlog_fd_is_journal(int fd)
{
	const char *js = g_getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	/* "DEV:INO", decimal, nothing else */
	if (!js || !g_ascii_isdigit(*js))
		return false;
	dev = g_ascii_strtoull(js, &end, 10);
	if (*end != ':' || !g_ascii_isdigit(end[1]))
		return false;
	ino = g_ascii_strtoull(end + 1, &end, 10);
	if (*end)
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

char *dlog_format(GLogLevelFlags level, const char *message, bool journal)
{
	int p = dlog_priority(level);

	if (journal)
		return g_strdup_printf("%s%s\n", prefixes[p], message);
	return g_strdup_printf("bondcheckd: %s%s\n", words[p], message);
}

static bool journal = false;

static void put(GLogLevelFlags level, const char *message)
{
	char *line = dlog_format(level, message, journal);
	/* one write per line: lines of concurrent writers never mix */
	ssize_t w = write(STDERR_FILENO, line, strlen(line));

	(void)w;
	g_free(line);
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields,
	gsize n_fields, gpointer data)
{
	const char *message = NULL, *domain = NULL;

	(void)data;
	for (gsize i = 0; i < n_fields; i++) {
		if (!g_strcmp0(fields[i].key, "MESSAGE"))
			message = fields[i].value;
		else if (!g_strcmp0(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
	}
	if (g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;
	put(level, message ? message : "(no message)");
	return G_LOG_WRITER_HANDLED;
}

void dlog_init(void)
{
	journal = dlog_fd_is_journal(STDERR_FILENO);
	g_log_set_writer_func(writer, NULL, NULL);
}

void dlog_error(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	put(G_LOG_LEVEL_ERROR, msg);
	g_free(msg);
}

void dlog_notify(const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0)
		g_warning("sd_notify(%s): %s", state, g_strerror(-r));
}
