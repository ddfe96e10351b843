/* SPDX-License-Identifier: MIT */
/*
 * bcerror.h — bondcheck's error domain and the two translation tables:
 * D-Bus error names <-> our codes, and our codes -> process exit statuses.
 * Translation happens at the edges only; inside, code passes GError.
 */
#ifndef BONDCHECK_BCERROR_H
#define BONDCHECK_BCERROR_H

#include <glib.h>

#define BCERROR bcerror_quark()
GQuark bcerror_quark(void);

enum bcerror_code {
	BCERROR_FAILED = 1,   /* generic failure, org.bluez.Error.Failed */
	BCERROR_INVALID_ARGS, /* caller passed something wrong */
	BCERROR_IN_PROGRESS,
	BCERROR_ALREADY_EXISTS, /* e.g. Pair() on a bonded device */
	BCERROR_NOT_SUPPORTED,
	BCERROR_NOT_CONNECTED,
	BCERROR_ALREADY_CONNECTED,
	BCERROR_NOT_AVAILABLE,
	BCERROR_DOES_NOT_EXIST,
	BCERROR_NOT_AUTHORIZED,
	BCERROR_NOT_PERMITTED,
	BCERROR_NO_SUCH_ADAPTER,
	BCERROR_AGENT_NOT_AVAILABLE,
	BCERROR_NOT_READY,
	BCERROR_AUTH_FAILED,
	BCERROR_AUTH_CANCELED,
	BCERROR_AUTH_REJECTED,
	BCERROR_AUTH_TIMEOUT,
	BCERROR_CONN_ATTEMPT_FAILED,
	BCERROR_REJECTED,
	BCERROR_CANCELED, /* our own cancellation, or org.bluez.Error.Canceled */
	BCERROR_TIMEOUT,  /* no reply in time */
	BCERROR_NO_SERVICE, /* the name has no owner (no bluetoothd, no daemon) */
	BCERROR_UNKNOWN_OBJECT,
	BCERROR_UNKNOWN_METHOD,
	BCERROR_ACCESS_DENIED, /* bus policy or permissions */
	BCERROR_DISCONNECTED,  /* our bus connection is gone */
	BCERROR_BAD_MESSAGE,   /* a peer sent a message of the wrong shape */
	BCERROR_BAD_INPUT,     /* a file or argument from the user is wrong */
	BCERROR_ENVIRONMENT,   /* no adapter, no permission, missing tool... */
	BCERROR_IO,
	BCERROR_INTERRUPTED,
};

const char *bcerror_code_to_str(enum bcerror_code code);

/* D-Bus error name -> our code. Unknown names map to BCERROR_FAILED. */
enum bcerror_code bcerror_from_dbus_name(const char *name);

/* Our code -> the D-Bus error name we send for it (the first table entry). */
const char *bcerror_to_dbus_name(enum bcerror_code code);

/* Exit statuses of DESIGN.md */
enum bc_exit {
	BC_EXIT_OK = 0,
	BC_EXIT_FAILED = 1, /* a regression or failed expectation */
	BC_EXIT_USAGE = 2,  /* usage or bad input */
	BC_EXIT_ENV = 3,    /* environment */
	BC_EXIT_INTERRUPTED = 130,
};

/* Our code -> exit status, for errors that end a program. */
enum bc_exit bcerror_exit_status(const GError *error);

/*
 * What an error message may quote of a string someone else sent: at most
 * BCERROR_QUOTE_MAX bytes of @s, cut at a character and ended by "...".
 * g_free the result.
 */
#define BCERROR_QUOTE_MAX 64
char *bcerror_quote(const char *s);

#endif
