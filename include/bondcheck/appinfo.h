/* SPDX-License-Identifier: MIT */
/*
 * appinfo.h — what every program says about itself: the -V/--version option
 * they all share, and where its documentation and shipped scenarios are, so
 * that hints name the installed files when the program runs installed and
 * the source tree's files when it runs from build/.
 */
#ifndef BONDCHECK_APPINFO_H
#define BONDCHECK_APPINFO_H

#include <glib.h>

/*
 * Add -V/--version to @ctx's main group: it prints "@program VERSION" on
 * stdout and exits 0 during g_option_context_parse(), as --help does.
 * @program must stay valid until the parse.
 */
void appinfo_add_version_option(GOptionContext *ctx, const char *program);

/*
 * The path of documentation file @name ("simulator.md") or of the shipped
 * scenarios directory (@name "scenarios"): PREFIX/share/doc/bondcheck/@name
 * or PREFIX/share/bondcheck/scenarios when the running program is
 * PREFIX/bin/... and those exist (wherever PREFIX is: /usr, /usr/local, a
 * temporary root); otherwise the source tree's doc/@name or scenarios.
 */
char *appinfo_doc_path(const char *name);
char *appinfo_scenarios_dir(void);

#endif
