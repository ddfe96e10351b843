/* SPDX-License-Identifier: MIT */
/*
 * scenario.h — the scenario language (*.scn): parsing into steps.
 *
 * One step per line; '#' starts a comment; words split like a shell (single
 * and double quotes, backslash escapes in double quotes); key=value
 * parameters; ${NAME} variables from `set NAME=VALUE` lines and --set (which
 * wins); `repeat N` ... `end` blocks, nested. The parser is pure and reports
 * every error of a file at once, each at FILE:LINE:COL.
 * doc/scenario-language.md is the user's reference; keep it in step.
 */
#ifndef BONDCHECK_SCENARIO_H
#define BONDCHECK_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

enum scn_step_type {
	SCN_STEP_SCAN,
	SCN_STEP_CONNECT,
	SCN_STEP_PAIR,
	SCN_STEP_TRUST,
	SCN_STEP_DISCONNECT,
	SCN_STEP_REBOOT,
	SCN_STEP_RECONNECT,
	SCN_STEP_READ,
	SCN_STEP_WRITE,
	SCN_STEP_SUBSCRIBE,
	SCN_STEP_EXPECT_NOTIFY,
	SCN_STEP_EXPECT,
	SCN_STEP_REMOVE_BOND,
	SCN_STEP_SLEEP,
	SCN_STEP_EXPECT_NO_NOTIFY,
	SCN_STEP_EXPECT_ADV,
	SCN_STEP_REPEAT,
	SCN_STEP_COUNT, /* keep last: the number of step types */
};

const char *scn_step_type_to_str(enum scn_step_type type);

enum scn_via {
	SCN_VIA_SIM,
	SCN_VIA_COMMAND,
	SCN_VIA_SERIAL,
	SCN_VIA_GATT,
	SCN_VIA_MANUAL,
};

const char *scn_via_to_str(enum scn_via via);

/*
 * What a reboot does to the link (`reboot kind=`). Hard: a reset button, a
 * power cut, machine.reset() or a watchdog: the DUT sends nothing and the
 * central sees the link drop when its supervision timeout expires (HCI
 * reason 0x08). Graceful: the firmware ends its links first (0x13, Remote
 * User Terminated) and then restarts. Firmware that saves its keys on a
 * disconnect keeps a new bond only through a graceful reboot.
 */
enum scn_reboot_kind {
	SCN_REBOOT_HARD, /* the default */
	SCN_REBOOT_GRACEFUL,
};

const char *scn_reboot_kind_to_str(enum scn_reboot_kind kind);

/* The association model a pair step asserts (`pair method=`): what our
 * agent was asked decides which one BlueZ used. */
enum scn_method {
	SCN_METHOD_ANY,                /* not said */
	SCN_METHOD_JUST_WORKS,         /* no confirmation, no passkey */
	SCN_METHOD_NUMERIC_COMPARISON, /* RequestConfirmation */
	SCN_METHOD_PASSKEY_ENTRY,      /* RequestPasskey, DisplayPasskey */
};

const char *scn_method_to_str(enum scn_method method);

enum scn_prop {
	SCN_PROP_CONNECTED,
	SCN_PROP_PAIRED,
	SCN_PROP_BONDED,
	SCN_PROP_TRUSTED,
	SCN_PROP_SERVICES_RESOLVED,
};

const char *scn_prop_to_str(enum scn_prop prop);
const char *scn_prop_bluez_name(enum scn_prop prop);

struct scn_expect {
	enum scn_prop prop;
	bool value;
};

/* A central's address privacy as the scenario asks for it (issue 14 gives
 * it its meaning; --privacy overrides it). */
enum scn_privacy {
	SCN_PRIVACY_DEFAULT, /* not said: the adapter as it is */
	SCN_PRIVACY_ON,
	SCN_PRIVACY_OFF,
};

const char *scn_privacy_to_str(enum scn_privacy privacy);

/*
 * A central: one adapter of the host and the DUT as that adapter sees it.
 * Declared by a header line `central [NAME] [adapter=hciN] [privacy=on|off]
 * [count=N]`; a file that declares none has one implicit central.
 */
struct scn_central {
	char *name;    /* NULL: the single unnamed central */
	char *adapter; /* "hciN" from adapter=, or NULL: chosen when
				  * the run starts (--adapter, or the first
				  * powered adapter no other central has) */
	enum scn_privacy privacy;
	int line; /* where it is declared; 0: implicit */
	int col;
};

/* The name logs, reports and messages show: its name, or "default" for the
 * unnamed central. */
const char *scn_central_label(const struct scn_central *c);

struct scn_step {
	enum scn_step_type type;
	int line;
	int col;
	char *text; /* the line as written, trimmed */
	int64_t timeout_ms;
	/* pair */
	bool bond;
	char *io;
	long passkey; /* -1: none */
	enum scn_method method;
	bool reject; /* confirm=reject */
	/* reboot */
	enum scn_via via;
	bool via_given;
	char *cmd;
	char *port;
	int baud;
	GBytes *send; /* serial bytes */
	enum scn_reboot_kind kind;
	bool kind_given;
	/* read, write, subscribe, expect-notify, expect-no-notify, reboot
	 * via=gatt */
	char *uuid;    /* normalised 128-bit */
	GBytes *value; /* write/reboot value, read and
				  * expect-notify expect= */
	bool write_command;
	/* read, write expect-error=: a BlueZ error name in kebab case
	 * ("not-permitted"), or "att-0xNN" */
	char *expect_error;
	/* expect */
	GArray *expects; /* struct scn_expect */
	/* expect-adv: what the DUT advertises (Device1's Name, UUIDs,
	 * ManufacturerData, Appearance); each unset when not asked */
	char *adv_name;
	GPtrArray *adv_uuids; /* normalised 128-bit, NULL: none asked */
	int adv_mfr_id;       /* company ID, -1: not asked */
	GBytes *adv_mfr;
	int adv_appearance; /* -1: not asked */
	/* sleep; expect-no-notify for= (how long nothing may come) */
	int64_t sleep_ms;
	/* as=NAME: the central the step acts as (an index into
	 * scenario->centrals); without it, the central of the innermost
	 * each-central block around the step, else the first */
	unsigned central;
	bool central_given;
	/* repeat, each-central */
	unsigned count;
	GPtrArray *children; /* struct scn_step */
	GArray *each;        /* each-central: the central (unsigned
				  * index) of each iteration; NULL: repeat */
};

struct scenario {
	char *name;
	char *file;
	char *sha256;
	GPtrArray *steps;     /* struct scn_step, top level */
	GPtrArray *centrals;  /* struct scn_central, as declared; never
				  * empty (one implicit central) */
	GHashTable *vars;     /* the variables as finally used */
	GHashTable *names;    /* every variable the file names: ${NAME}
				  * or a set line (a set of strings) */
	unsigned total_steps; /* steps that will run, repeats expanded */
};

struct scn_error {
	char *file;
	int line;
	int col;
	char *message;
};

/* "FILE:LINE:COL: message", or "FILE: message" for the file as a whole
 * (it cannot be opened or read; line 0) */
char *scn_error_format(const struct scn_error *e);

struct scenario_options {
	GHashTable *vars;     /* --set NAME=VALUE: name -> value */
	bool have_reboot_cmd; /* --reboot-cmd given: via=command needs no cmd= */
};

/*
 * Parse @text (@len bytes; need not be NUL-terminated). Returns NULL when
 * there are errors; then *errors holds every one (struct scn_error *), in
 * file order. @errors may be NULL.
 */
struct scenario *scenario_parse(const char *text, gsize len, const char *file,
	const struct scenario_options *opts, GPtrArray **errors);
/* @path must be a regular file (a FIFO, a device or a directory is an
 * error, never a blocking or endless read); at most SCN_MAX_SIZE bytes. */
struct scenario *scenario_load(const char *path,
	const struct scenario_options *opts, GPtrArray **errors);
void scenario_free(struct scenario *scn);
void scn_error_free(void *e);

/* A variable's name: letters, digits and _, not starting with a digit. */
bool scenario_var_name_ok(const char *name);
/*
 * Whether --set @name means something to @scns (@n of them): NULL when one
 * of them names it (${NAME}, or a set line), else why not, for people
 * ("t.scn never uses BOOT_TIMOUT (did you mean 'BOOT_TIMEOUT'?)"); free it.
 */
char *scenario_unused_var(struct scenario *const *scns, guint n,
	const char *name);

/* Defaults, for docs and the engine. */
#define SCN_DEFAULT_IO           "KeyboardDisplay"
#define SCN_DEFAULT_NO_NOTIFY_MS 5000 /* expect-no-notify for= */
#define SCN_REBOOT_UUID          "b0dc0002-0000-4000-8000-00805f9b34fb"
#define SCN_MAX_REPEAT           1000000u
#define SCN_MAX_DEPTH            8
#define SCN_MAX_CENTRALS         16u
#define SCN_MAX_NAME             32u /* bytes of a central's name */

/*
 * Limits on what a scenario may make the parser do (doc/scenario-language.md
 * "Limits"): each breach is an error at its FILE:LINE:COL, found in bounded
 * memory and time. The parser never recurses over the input.
 */
#define SCN_MAX_SIZE     (256u * 1024)  /* bytes of a file or a text */
#define SCN_MAX_LINE     8192u          /* bytes of a line, ${...} expanded */
#define SCN_MAX_VALUE    4096u          /* bytes of a variable's value */
#define SCN_MAX_EXPANDED (1024u * 1024) /* bytes ${...} adds to a file */
#define SCN_MAX_STEPS    100000000u     /* steps run, repeats expanded */
#define SCN_MAX_ERRORS   100u           /* errors reported, then it stops */
#define SCN_MAX_MESSAGE  512u           /* bytes of one error's message */

int64_t scn_default_timeout(enum scn_step_type type);

/* The central @s acts as, given the each-central iteration around it
 * (@each: the central of the innermost block, or -1 outside any). */
unsigned scn_step_central(const struct scn_step *s, int each);
/*
 * The adapter each central is given by name: @given[i] (a run's list,
 * `--adapter hci0,hci2`: NULL-terminated, may be shorter, NULL: none), else
 * its adapter=; NULL where the run chooses. A new array of one entry per
 * central (g_free it; the strings are borrowed), or NULL with @error
 * (BCERROR_BAD_INPUT) when the list is longer than the centrals, or two
 * centrals would share an adapter.
 */
const char **scenario_adapter_names(const struct scenario *scn,
	const char *const *given, GError **error);
/*
 * The adapters hci0 .. hciN-1 a host needs so that each central gets one:
 * N, counting the ones named in @names (scenario_adapter_names()). The
 * simulator of `run --sim` is started with that many.
 */
unsigned scenario_adapters_needed(const struct scenario *scn,
	const char *const *names);
/* Which central is called @name (NULL or "default": the unnamed one);
 * -1 if none. */
int scenario_find_central(const struct scenario *scn, const char *name);

#endif
