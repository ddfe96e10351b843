/* SPDX-License-Identifier: MIT */
/*
 * bcerror.c — the error tables. Owns the mapping between BlueZ/D-Bus error
 * names and our codes, and between our codes and exit statuses; nothing else
 * in the tree compares error-name strings.
 */
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/names.h"

G_DEFINE_QUARK(bondcheck - error - quark, bcerror)

static const struct {
	const char *name;
	enum bcerror_code code;
} dbus_table[] = {
	{ BLUEZ_ERR_FAILED, BCERROR_FAILED },
	{ BLUEZ_ERR_INVALID_ARGS, BCERROR_INVALID_ARGS },
	{ BLUEZ_ERR_IN_PROGRESS, BCERROR_IN_PROGRESS },
	{ BLUEZ_ERR_ALREADY_EXISTS, BCERROR_ALREADY_EXISTS },
	{ BLUEZ_ERR_NOT_SUPPORTED, BCERROR_NOT_SUPPORTED },
	{ BLUEZ_ERR_NOT_CONNECTED, BCERROR_NOT_CONNECTED },
	{ BLUEZ_ERR_ALREADY_CONNECTED, BCERROR_ALREADY_CONNECTED },
	{ BLUEZ_ERR_NOT_AVAILABLE, BCERROR_NOT_AVAILABLE },
	{ BLUEZ_ERR_DOES_NOT_EXIST, BCERROR_DOES_NOT_EXIST },
	{ BLUEZ_ERR_NOT_AUTHORIZED, BCERROR_NOT_AUTHORIZED },
	{ BLUEZ_ERR_NOT_PERMITTED, BCERROR_NOT_PERMITTED },
	{ BLUEZ_ERR_NO_SUCH_ADAPTER, BCERROR_NO_SUCH_ADAPTER },
	{ BLUEZ_ERR_AGENT_NOT_AVAILABLE, BCERROR_AGENT_NOT_AVAILABLE },
	{ BLUEZ_ERR_NOT_READY, BCERROR_NOT_READY },
	{ BLUEZ_ERR_AUTH_FAILED, BCERROR_AUTH_FAILED },
	{ BLUEZ_ERR_AUTH_CANCELED, BCERROR_AUTH_CANCELED },
	{ BLUEZ_ERR_AUTH_REJECTED, BCERROR_AUTH_REJECTED },
	{ BLUEZ_ERR_AUTH_TIMEOUT, BCERROR_AUTH_TIMEOUT },
	{ BLUEZ_ERR_CONN_ATTEMPT_FAILED, BCERROR_CONN_ATTEMPT_FAILED },
	{ BLUEZ_ERR_REJECTED, BCERROR_REJECTED },
	{ BLUEZ_ERR_CANCELED, BCERROR_CANCELED },
	{ BLUEZ_ERR_PROFILE_UNAVAILABLE, BCERROR_NOT_AVAILABLE },
	{ BC_ERR_FAILED, BCERROR_FAILED },
	{ BC_ERR_INVALID_ARGS, BCERROR_INVALID_ARGS },
	{ BC_ERR_NOT_PERMITTED, BCERROR_NOT_PERMITTED },
	{ BC_ERR_UNKNOWN_FAULT, BCERROR_INVALID_ARGS },
	{ BC_ERR_NOT_RUNNING, BCERROR_NOT_AVAILABLE },
	{ BC_ERR_BAD_SCENARIO, BCERROR_BAD_INPUT },
	{ BC_ERR_UNKNOWN_REBOOT, BCERROR_BAD_INPUT },
	{ BC_ERR_QUEUE_FULL, BCERROR_ENVIRONMENT },
	{ BC_ERR_SHUTTING_DOWN, BCERROR_ENVIRONMENT },
	{ DBUS_ERR_NO_REPLY, BCERROR_TIMEOUT },
	{ DBUS_ERR_TIMEOUT, BCERROR_TIMEOUT },
	{ DBUS_ERR_SERVICE_UNKNOWN, BCERROR_NO_SERVICE },
	{ DBUS_ERR_NAME_HAS_NO_OWNER, BCERROR_NO_SERVICE },
	{ DBUS_ERR_UNKNOWN_OBJECT, BCERROR_UNKNOWN_OBJECT },
	{ DBUS_ERR_UNKNOWN_METHOD, BCERROR_UNKNOWN_METHOD },
	{ DBUS_ERR_UNKNOWN_INTERFACE, BCERROR_UNKNOWN_METHOD },
	{ DBUS_ERR_UNKNOWN_PROPERTY, BCERROR_INVALID_ARGS },
	{ DBUS_ERR_PROPERTY_READ_ONLY, BCERROR_NOT_PERMITTED },
	{ DBUS_ERR_INVALID_ARGS, BCERROR_INVALID_ARGS },
	{ DBUS_ERR_ACCESS_DENIED, BCERROR_ACCESS_DENIED },
	{ DBUS_ERR_AUTH_FAILED, BCERROR_ACCESS_DENIED },
	{ DBUS_ERR_DISCONNECTED, BCERROR_DISCONNECTED },
	{ DBUS_ERR_NOT_SUPPORTED, BCERROR_NOT_SUPPORTED },
	{ DBUS_ERR_FAILED, BCERROR_FAILED },
};

const char *bcerror_code_to_str(enum bcerror_code code)
{
	switch (code) {
	case BCERROR_FAILED: return "failed";
	case BCERROR_INVALID_ARGS: return "invalid-arguments";
	case BCERROR_IN_PROGRESS: return "in-progress";
	case BCERROR_ALREADY_EXISTS: return "already-exists";
	case BCERROR_NOT_SUPPORTED: return "not-supported";
	case BCERROR_NOT_CONNECTED: return "not-connected";
	case BCERROR_ALREADY_CONNECTED: return "already-connected";
	case BCERROR_NOT_AVAILABLE: return "not-available";
	case BCERROR_DOES_NOT_EXIST: return "does-not-exist";
	case BCERROR_NOT_AUTHORIZED: return "not-authorized";
	case BCERROR_NOT_PERMITTED: return "not-permitted";
	case BCERROR_NO_SUCH_ADAPTER: return "no-such-adapter";
	case BCERROR_AGENT_NOT_AVAILABLE: return "agent-not-available";
	case BCERROR_NOT_READY: return "not-ready";
	case BCERROR_AUTH_FAILED: return "authentication-failed";
	case BCERROR_AUTH_CANCELED: return "authentication-canceled";
	case BCERROR_AUTH_REJECTED: return "authentication-rejected";
	case BCERROR_AUTH_TIMEOUT: return "authentication-timeout";
	case BCERROR_CONN_ATTEMPT_FAILED: return "connection-attempt-failed";
	case BCERROR_REJECTED: return "rejected";
	case BCERROR_CANCELED: return "canceled";
	case BCERROR_TIMEOUT: return "timeout";
	case BCERROR_NO_SERVICE: return "no-service";
	case BCERROR_UNKNOWN_OBJECT: return "unknown-object";
	case BCERROR_UNKNOWN_METHOD: return "unknown-method";
	case BCERROR_ACCESS_DENIED: return "access-denied";
	case BCERROR_DISCONNECTED: return "disconnected";
	case BCERROR_BAD_MESSAGE: return "bad-message";
	case BCERROR_BAD_INPUT: return "bad-input";
	case BCERROR_ENVIRONMENT: return "environment";
	case BCERROR_IO: return "io";
	case BCERROR_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}

enum bcerror_code bcerror_from_dbus_name(const char *name)
{
	if (!name)
		return BCERROR_FAILED;
	for (size_t i = 0; i < G_N_ELEMENTS(dbus_table); i++)
		if (strcmp(dbus_table[i].name, name) == 0)
			return dbus_table[i].code;
	return BCERROR_FAILED;
}

const char *bcerror_to_dbus_name(enum bcerror_code code)
{
	for (size_t i = 0; i < G_N_ELEMENTS(dbus_table); i++)
		if (dbus_table[i].code == code)
			return dbus_table[i].name;
	return DBUS_ERR_FAILED;
}

enum bc_exit bcerror_exit_status(const GError *error)
{
	if (!error || error->domain != BCERROR)
		return BC_EXIT_FAILED;

	switch ((enum bcerror_code)error->code) {
	case BCERROR_BAD_INPUT:
	case BCERROR_INVALID_ARGS: return BC_EXIT_USAGE;
	case BCERROR_NO_SERVICE:
	case BCERROR_ACCESS_DENIED:
	case BCERROR_DISCONNECTED:
	case BCERROR_NO_SUCH_ADAPTER:
	case BCERROR_ENVIRONMENT:
	case BCERROR_NOT_READY:
	case BCERROR_UNKNOWN_OBJECT:
	case BCERROR_UNKNOWN_METHOD: return BC_EXIT_ENV;
	case BCERROR_INTERRUPTED: return BC_EXIT_INTERRUPTED;
	case BCERROR_FAILED:
	case BCERROR_IN_PROGRESS:
	case BCERROR_ALREADY_EXISTS:
	case BCERROR_NOT_SUPPORTED:
	case BCERROR_NOT_CONNECTED:
	case BCERROR_ALREADY_CONNECTED:
	case BCERROR_NOT_AVAILABLE:
	case BCERROR_DOES_NOT_EXIST:
	case BCERROR_NOT_PERMITTED:
	case BCERROR_NOT_AUTHORIZED:
	case BCERROR_AGENT_NOT_AVAILABLE:
	case BCERROR_AUTH_FAILED:
	case BCERROR_AUTH_CANCELED:
	case BCERROR_AUTH_REJECTED:
	case BCERROR_AUTH_TIMEOUT:
	case BCERROR_CONN_ATTEMPT_FAILED:
	case BCERROR_REJECTED:
	case BCERROR_CANCELED:
	case BCERROR_TIMEOUT:
	case BCERROR_BAD_MESSAGE:
	case BCERROR_IO: return BC_EXIT_FAILED;
	}
	return BC_EXIT_FAILED;
}

char *bcerror_quote(const char *s)
{
	char *q;
	size_t n;

	if (!s)
		return g_strdup("");
	if (strlen(s) <= BCERROR_QUOTE_MAX)
		return g_strdup(s);
	/* back to the first byte of a UTF-8 character (or any other byte) */
	n = BCERROR_QUOTE_MAX - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	q = g_malloc(n + 4);
	memcpy(q, s, n);
	memcpy(q + n, "...", 4);
	return q;
}
