/* SPDX-License-Identifier: MIT */
/*
 * cli.h — the bondcheck command-line program: one function per subcommand
 * and the few output helpers they share. Subcommands are thin: the work is in
 * the engine library.
 */
#ifndef BONDCHECK_CLI_H
#define BONDCHECK_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

int cmd_scan(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_faults(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);

/* --set and --set-new NAME=VALUE into @vars (--set wins); false (and a
 * message) if one is malformed or not a variable's name */
bool cli_parse_sets(char **sets, char **sets_new, GHashTable *vars);
/* Each --set names a variable one of @scns uses; else a message (with the
 * nearest name they use) and false. */
struct scenario;
bool cli_check_sets(char **sets, struct scenario *const *scns, guint n);
void cli_print_scn_errors(GPtrArray *errors);

/* --fault/--time-scale/--verbose checked and turned into sim arguments */
/*
 * The simulator's arguments; @seed is --seed as given (NULL: one is drawn
 * here, so every run knows the seed it can be replayed with) and
 * *@seed_out the seed passed on.
 */
bool cli_sim_args(char **faults, double scale, const char *seed, bool verbose,
	GPtrArray *out, uint32_t *seed_out);
/*
 * --sim-opt KEY=VALUE, each checked (a message and false if one is bad),
 * applied to @cfg (initialised by the caller) and passed on in @out as
 * bondcheck-sim's --opt.
 */
struct sim_config;
bool cli_sim_settings(char **settings, struct sim_config *cfg, GPtrArray *out);

/* Colour only on a TTY and never with NO_COLOR set. */
bool cli_use_color(FILE *f);
const char *cli_c(FILE *f, const char *sgr); /* "\033[...m" or "" */
void cli_err(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Prints what @b built as one line of JSON on stdout (jsontext's rules)
 * and frees @b. */
void cli_print_json_line(JsonBuilder *b);
/* What the last cli_err() said (bounded; "" before any). */
const char *cli_last_error(void);
/* ...or what an error said without cli_err() (a scenario's errors). */
void cli_set_last_error(const char *text);
void cli_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
struct simhost;
/* Stop the simulator and its bus; a simulator that did not exit 0 (a
 * crash, a leak under AddressSanitizer, killed) is a warning on stderr:
 * "bondcheck: warning: bondcheck-sim ..." (the tests fail on it). */
void cli_stop_sim(struct simhost *h);
/* Print a GError and return the exit status it maps to. */
int cli_fail(const GError *error);
/* A failed call to bondcheckd, said for people (not running, not
 * allowed, ...); the exit status. */
int cli_daemon_fail(const GError *error);
/*
 * What ends a long-running command the proper way: Ctrl-C, SIGTERM and
 * SIGHUP (the terminal closed). @fn runs on the main loop for each;
 * cli_unwatch_signals() removes them.
 */
#define CLI_SIGNALS 3
void cli_watch_signals(guint ids[CLI_SIGNALS], GSourceFunc fn, void *data);
void cli_unwatch_signals(guint ids[CLI_SIGNALS]);
/* GOptionContext parsing with our usage exit status (2), and -V. */
bool cli_parse(GOptionContext *ctx, int *argc, char ***argv);

#endif
