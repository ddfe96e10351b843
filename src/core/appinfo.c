/* SPDX-License-Identifier: MIT */
/*
 * appinfo.c — the shared version option and the installed-or-source paths
 * of the documentation. Reads /proc/self/exe; never touches the files.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bondcheck/appinfo.h"

static const char *version_program = "bondcheck";

static gboolean print_version(const char *option, const char *value,
	gpointer data, GError **error)
{
	(void)option;
	(void)value;
	(void)data;
	(void)error;
	printf("%s %s\n", version_program, BONDCHECK_VERSION);
	exit(0);
}

void appinfo_add_version_option(GOptionContext *ctx, const char *program)
{
	GOptionEntry entries[] = {
		{ "version", 'V', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
			(gpointer)print_version, "print the version and exit",
			NULL },
		{ NULL },
	};

	version_program = program;
	g_option_context_add_main_entries(ctx, entries, NULL);
}

/* PREFIX when the running program is PREFIX/bin/x or PREFIX/sbin/x. */
static char *installed_prefix(void)
{
	char *self = g_file_read_link("/proc/self/exe", NULL);
	char *bin, *base, *prefix = NULL;

	if (!self)
		return NULL;
	bin = g_path_get_dirname(self);
	base = g_path_get_basename(bin);
	if (!g_strcmp0(base, "bin") || !g_strcmp0(base, "sbin"))
		prefix = g_path_get_dirname(bin);
	g_free(base);
	g_free(bin);
	g_free(self);
	return prefix;
}

static char *installed_or(const char *rel, const char *src)
{
	char *prefix = installed_prefix();
	char *p = prefix ? g_build_filename(prefix, rel, NULL) : NULL;

	g_free(prefix);
	if (p && g_file_test(p, G_FILE_TEST_EXISTS))
		return p;
	g_free(p);
	return g_strdup(src);
}

char *appinfo_doc_path(const char *name)
{
	char *rel = g_build_filename("share", "doc", "bondcheck", name, NULL);
	char *src = g_build_filename("doc", name, NULL);
	char *p = installed_or(rel, src);

	g_free(rel);
	g_free(src);
	return p;
}

char *appinfo_scenarios_dir(void)
{
	return installed_or("share/bondcheck/scenarios", "scenarios");
}
