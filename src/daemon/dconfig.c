/* SPDX-License-Identifier: MIT */
/*
 * dconfig.c — the daemon's configuration file. Owns the parsed values;
 * never runs or checks the reboot commands themselves.
 *
 * Not GKeyFile, on purpose (measured with GLib 2.74): GKeyFile reports no
 * line or column for any mistake ("Key file contains line ... which is not a
 * key-value pair"), silently merges a repeated [reboot NAME] group and keeps
 * the last of a repeated key (a pasted method runs the wrong command), and
 * rejects the ';' comments this file has always allowed. This parser gives
 * FILE:LINE:COL for every mistake and refuses both repetitions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/dconfig.h"

void dconfig_init(struct dconfig *c)
{
	c->retention = DCONFIG_DEFAULT_RETENTION;
	c->max_state_size = DCONFIG_DEFAULT_MAX_STATE_SIZE;
	c->max_queued = DCONFIG_DEFAULT_MAX_QUEUED;
	c->reboot = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		g_free);
}

void dconfig_clear(struct dconfig *c)
{
	if (c->reboot)
		g_hash_table_destroy(c->reboot);
	c->reboot = NULL;
}

const char *dconfig_reboot(const struct dconfig *c, const char *name)
{
	return name ? g_hash_table_lookup(c->reboot, name) : NULL;
}

static bool method_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

G_GNUC_PRINTF(5, 6)
static bool fail(GError **error, const char *file, unsigned line, unsigned col,
	const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, BCERROR, BCERROR_BAD_INPUT, "%s:%u:%u: %s", file,
		line, col, msg);
	g_free(msg);
	return false;
}

/* Trim in place without moving the text, so columns stay true. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s &&
		(end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static bool number(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end = NULL;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || !*v || *end || !g_ascii_isdigit(*v) || n < lo || n > hi)
		return false;
	*out = (unsigned)n;
	return true;
}

/* "512K", "100M", "1G" (binary units) or bytes; 4K to 1T */
static bool size(const char *v, guint64 *out)
{
	static const char units[] = "KMGT";
	char *end = NULL;
	guint64 n;
	const char *u;

	if (!g_ascii_isdigit(*v))
		return false;
	errno = 0;
	n = g_ascii_strtoull(v, &end, 10);
	if (errno)
		return false;
	if (*end) {
		if (end[1] || !(u = strchr(units, g_ascii_toupper(*end))))
			return false;
		for (const char *k = units; k <= u; k++) {
			if (n > G_MAXUINT64 / 1024)
				return false;
			n *= 1024;
		}
	}
	if (n < 4096 || n > (1ull << 40))
		return false;
	*out = n;
	return true;
}

bool dconfig_parse(struct dconfig *c, const char *text, const char *file,
	GError **error)
{
	char **lines = g_strsplit(text, "\n", -1);
	char *method = NULL; /* the [reboot NAME] being read */
	unsigned method_line = 0;
	enum { NONE, DAEMON, REBOOT } section = NONE;
	/* "[section] key" -> its line: a key given twice is a mistake */
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
		g_free, NULL);
	bool ok = true;
	unsigned ln = 0;

	if (!g_utf8_validate(text, -1, NULL)) {
		g_strfreev(lines);
		g_hash_table_destroy(seen);
		return fail(error, file, 1, 1, "not UTF-8 text");
	}
	for (char **l = lines; ok && *l; l++) {
		char *line = trim(*l);
		unsigned col = (unsigned)(line - *l) + 1;
		char *eq, *key, *val;

		ln++;
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');
			char *name;

			if (method && !dconfig_reboot(c, method)) {
				ok = fail(error, file, method_line, 1,
					"reboot method '%s' has no command",
					method);
				break;
			}
			g_clear_pointer(&method, g_free);
			if (!end || end[1]) {
				ok = fail(error, file, ln, col,
					"a section is [daemon] or "
					"[reboot NAME]");
				break;
			}
			*end = '\0';
			name = trim(line + 1);
			if (!strcmp(name, "daemon")) {
				section = DAEMON;
			} else if (g_str_has_prefix(name, "reboot ")) {
				char *m = trim(name + 7);

				if (!method_name_ok(m)) {
					ok = fail(error, file, ln,
						(unsigned)(m - *l) + 1,
						"a reboot method's name is "
						"letters, digits, '-', '_' or "
						"'.': '%s'",
						m);
					break;
				}
				if (dconfig_reboot(c, m)) {
					ok = fail(error, file, ln, col,
						"reboot method '%s' is "
						"defined twice",
						m);
					break;
				}
				section = REBOOT;
				method = g_strdup(m);
				method_line = ln;
			} else {
				ok = fail(error, file, ln, col,
					"unknown section [%s] (there are "
					"[daemon] and [reboot NAME])",
					name);
				break;
			}
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			ok = fail(error, file, ln, col,
				"expected KEY = VALUE, a [section] or a "
				"comment");
			break;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (section != NONE) {
			char *id = g_strdup_printf("%s %s",
				section == DAEMON ? "daemon" : method, key);
			unsigned first =
				GPOINTER_TO_UINT(g_hash_table_lookup(seen, id));

			if (first) {
				g_free(id);
				ok = fail(error, file, ln, col,
					"'%s' is set twice in this section "
					"(first on line %u)",
					key, first);
				break;
			}
			g_hash_table_insert(seen, id, GUINT_TO_POINTER(ln));
		}
		switch (section) {
		case NONE:
			ok = fail(error, file, ln, col,
				"'%s' outside a section", key);
			break;
		case DAEMON:
			if (!strcmp(key, "retention")) {
				if (!number(val, 1, 100000, &c->retention))
					ok = fail(error, file, ln,
						(unsigned)(val - *l) + 1,
						"retention is a number of runs "
						"from 1 to 100000");
			} else if (!strcmp(key, "max-state-size")) {
				if (!size(val, &c->max_state_size))
					ok = fail(error, file, ln,
						(unsigned)(val - *l) + 1,
						"max-state-size is a size from "
						"4K to 1T (bytes, or with K, M, "
						"G or T)");
			} else if (!strcmp(key, "max-queued")) {
				if (!number(val, 1, 10000, &c->max_queued))
					ok = fail(error, file, ln,
						(unsigned)(val - *l) + 1,
						"max-queued is a number from 1 "
						"to 10000");
			} else {
				ok = fail(error, file, ln, col,
					"unknown key '%s' in [daemon] "
					"(retention, max-state-size, "
					"max-queued)",
					key);
			}
			break;
		case REBOOT:
			if (strcmp(key, "command")) {
				ok = fail(error, file, ln, col,
					"unknown key '%s' in [reboot %s] "
					"(command)",
					key, method);
			} else if (!*val) {
				ok = fail(error, file, ln,
					(unsigned)(val - *l) + 1,
					"an empty command");
			} else {
				g_hash_table_replace(c->reboot,
					g_strdup(method), g_strdup(val));
			}
			break;
		}
	}
	if (ok && method && !dconfig_reboot(c, method))
		ok = fail(error, file, method_line, 1,
			"reboot method '%s' has no command", method);
	g_free(method);
	g_strfreev(lines);
	g_hash_table_destroy(seen);
	return ok;
}

bool dconfig_load(struct dconfig *c, const char *path, bool must_exist,
	GError **error)
{
	GError *err = NULL;
	char *text = NULL;
	gsize len = 0;
	bool ok;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		bool missing = g_error_matches(err, G_FILE_ERROR,
			G_FILE_ERROR_NOENT);

		g_set_error(error, BCERROR, BCERROR_BAD_INPUT, "%s: %s", path,
			err->message);
		g_error_free(err);
		if (missing && !must_exist) {
			g_clear_error(error);
			return true;
		}
		return false;
	}
	if (memchr(text, '\0', len)) {
		g_free(text);
		return fail(error, path, 1, 1, "NUL byte: not a text file");
	}
	ok = dconfig_parse(c, text, path, error);
	g_free(text);
	return ok;
}
