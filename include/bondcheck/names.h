/* SPDX-License-Identifier: MIT */
/*
 * names.h — every bus name, object path, interface, member and error name
 * bondcheck uses, in one place. Code never spells these strings itself.
 */
#ifndef BONDCHECK_NAMES_H
#define BONDCHECK_NAMES_H

/* The message bus itself */
#define DBUS_NAME_BUS             "org.freedesktop.DBus"
#define DBUS_PATH_BUS             "/org/freedesktop/DBus"
#define DBUS_IFACE_BUS            "org.freedesktop.DBus"
#define DBUS_IFACE_PROPERTIES     "org.freedesktop.DBus.Properties"
#define DBUS_IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define DBUS_IFACE_INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define DBUS_IFACE_PEER           "org.freedesktop.DBus.Peer"
#define DBUS_IFACE_LOCAL          "org.freedesktop.DBus.Local"

#define DBUS_ERR_FAILED            "org.freedesktop.DBus.Error.Failed"
#define DBUS_ERR_NO_REPLY          "org.freedesktop.DBus.Error.NoReply"
#define DBUS_ERR_TIMEOUT           "org.freedesktop.DBus.Error.Timeout"
#define DBUS_ERR_SERVICE_UNKNOWN   "org.freedesktop.DBus.Error.ServiceUnknown"
#define DBUS_ERR_NAME_HAS_NO_OWNER "org.freedesktop.DBus.Error.NameHasNoOwner"
#define DBUS_ERR_UNKNOWN_OBJECT    "org.freedesktop.DBus.Error.UnknownObject"
#define DBUS_ERR_UNKNOWN_METHOD    "org.freedesktop.DBus.Error.UnknownMethod"
#define DBUS_ERR_UNKNOWN_INTERFACE "org.freedesktop.DBus.Error.UnknownInterface"
#define DBUS_ERR_UNKNOWN_PROPERTY  "org.freedesktop.DBus.Error.UnknownProperty"
#define DBUS_ERR_PROPERTY_READ_ONLY \
	"org.freedesktop.DBus.Error.PropertyReadOnly"
#define DBUS_ERR_INVALID_ARGS      "org.freedesktop.DBus.Error.InvalidArgs"
#define DBUS_ERR_INVALID_SIGNATURE "org.freedesktop.DBus.Error.InvalidSignature"
#define DBUS_ERR_ACCESS_DENIED     "org.freedesktop.DBus.Error.AccessDenied"
#define DBUS_ERR_AUTH_FAILED       "org.freedesktop.DBus.Error.AuthFailed"
#define DBUS_ERR_DISCONNECTED      "org.freedesktop.DBus.Error.Disconnected"
#define DBUS_ERR_NO_MEMORY         "org.freedesktop.DBus.Error.NoMemory"
#define DBUS_ERR_LIMITS_EXCEEDED   "org.freedesktop.DBus.Error.LimitsExceeded"
#define DBUS_ERR_NOT_SUPPORTED     "org.freedesktop.DBus.Error.NotSupported"

/* BlueZ (bluetoothd) */
#define BLUEZ_SERVICE               "org.bluez"
#define BLUEZ_PATH_ROOT             "/"
#define BLUEZ_PATH                  "/org/bluez"
#define BLUEZ_IFACE_ADAPTER         "org.bluez.Adapter1"
#define BLUEZ_IFACE_DEVICE          "org.bluez.Device1"
#define BLUEZ_IFACE_AGENT_MANAGER   "org.bluez.AgentManager1"
#define BLUEZ_IFACE_AGENT           "org.bluez.Agent1"
#define BLUEZ_IFACE_GATT_SERVICE    "org.bluez.GattService1"
#define BLUEZ_IFACE_GATT_CHRC       "org.bluez.GattCharacteristic1"
#define BLUEZ_IFACE_GATT_DESC       "org.bluez.GattDescriptor1"
#define BLUEZ_IFACE_GATT_MANAGER    "org.bluez.GattManager1"
#define BLUEZ_IFACE_ADV_MANAGER     "org.bluez.LEAdvertisingManager1"
#define BLUEZ_IFACE_ADVERTISEMENT   "org.bluez.LEAdvertisement1"
#define BLUEZ_IFACE_MEDIA           "org.bluez.Media1"
#define BLUEZ_IFACE_PROFILE_MANAGER "org.bluez.ProfileManager1"
#define BLUEZ_IFACE_HEALTH_MANAGER  "org.bluez.HealthManager1"

#define BLUEZ_ERR_PREFIX              "org.bluez.Error."
#define BLUEZ_ERR_FAILED              "org.bluez.Error.Failed"
#define BLUEZ_ERR_INVALID_ARGS        "org.bluez.Error.InvalidArguments"
#define BLUEZ_ERR_IN_PROGRESS         "org.bluez.Error.InProgress"
#define BLUEZ_ERR_ALREADY_EXISTS      "org.bluez.Error.AlreadyExists"
#define BLUEZ_ERR_NOT_SUPPORTED       "org.bluez.Error.NotSupported"
#define BLUEZ_ERR_NOT_CONNECTED       "org.bluez.Error.NotConnected"
#define BLUEZ_ERR_ALREADY_CONNECTED   "org.bluez.Error.AlreadyConnected"
#define BLUEZ_ERR_NOT_AVAILABLE       "org.bluez.Error.NotAvailable"
#define BLUEZ_ERR_DOES_NOT_EXIST      "org.bluez.Error.DoesNotExist"
#define BLUEZ_ERR_NOT_AUTHORIZED      "org.bluez.Error.NotAuthorized"
#define BLUEZ_ERR_NOT_PERMITTED       "org.bluez.Error.NotPermitted"
#define BLUEZ_ERR_NO_SUCH_ADAPTER     "org.bluez.Error.NoSuchAdapter"
#define BLUEZ_ERR_AGENT_NOT_AVAILABLE "org.bluez.Error.AgentNotAvailable"
#define BLUEZ_ERR_NOT_READY           "org.bluez.Error.NotReady"
#define BLUEZ_ERR_AUTH_FAILED         "org.bluez.Error.AuthenticationFailed"
#define BLUEZ_ERR_AUTH_CANCELED       "org.bluez.Error.AuthenticationCanceled"
#define BLUEZ_ERR_AUTH_REJECTED       "org.bluez.Error.AuthenticationRejected"
#define BLUEZ_ERR_AUTH_TIMEOUT        "org.bluez.Error.AuthenticationTimeout"
#define BLUEZ_ERR_CONN_ATTEMPT_FAILED "org.bluez.Error.ConnectionAttemptFailed"
#define BLUEZ_ERR_REJECTED            "org.bluez.Error.Rejected"
#define BLUEZ_ERR_CANCELED            "org.bluez.Error.Canceled"
#define BLUEZ_ERR_PROFILE_UNAVAILABLE "org.bluez.Error.ProfileUnavailable"
#define BLUEZ_ERR_NOT_ACQUIRED        "org.bluez.Error.NotAcquired"

/* Connect() failure messages (BlueZ src/error.h, LE connection reasons) */
#define BLUEZ_LE_ABORT_BY_LOCAL  "le-connection-abort-by-local"
#define BLUEZ_LE_ABORT_BY_REMOTE "le-connection-abort-by-remote"
#define BLUEZ_LE_KEY_MISSING     "le-connection-key-missing"
#define BLUEZ_LE_CONN_TIMEOUT    "le-connection-timeout"

/* Device1.Disconnected(s reason, s message), BlueZ 5.83+ */
#define BLUEZ_REASON_UNKNOWN "org.bluez.Reason.Unknown"
#define BLUEZ_REASON_TIMEOUT "org.bluez.Reason.Timeout"
#define BLUEZ_REASON_LOCAL   "org.bluez.Reason.Local"
#define BLUEZ_REASON_REMOTE  "org.bluez.Reason.Remote"
#define BLUEZ_REASON_AUTH    "org.bluez.Reason.Authentication"
#define BLUEZ_REASON_SUSPEND "org.bluez.Reason.Suspend"

/* bondcheck's own names */
#define BC_AGENT_PATH         "/org/bondcheck/agent"
#define BC_SIM_PATH           "/org/bondcheck/sim"
#define BC_SIM_IFACE          "org.bondcheck.Sim1"
#define BC_SERVICE            "org.bondcheck"
#define BC_MANAGER_PATH       "/org/bondcheck"
#define BC_MANAGER_IFACE      "org.bondcheck.Manager1"
#define BC_RUN_IFACE          "org.bondcheck.Run1"
#define BC_RUN_PATH_PREFIX    "/org/bondcheck/run/"
#define BC_ERR_PREFIX         "org.bondcheck.Error."
#define BC_ERR_INVALID_ARGS   "org.bondcheck.Error.InvalidArguments"
#define BC_ERR_UNKNOWN_FAULT  "org.bondcheck.Error.UnknownFault"
#define BC_ERR_NOT_PERMITTED  "org.bondcheck.Error.NotPermitted"
#define BC_ERR_FAILED         "org.bondcheck.Error.Failed"
#define BC_ERR_NOT_RUNNING    "org.bondcheck.Error.NotRunning"
#define BC_ERR_BAD_SCENARIO   "org.bondcheck.Error.BadScenario"
#define BC_ERR_UNKNOWN_REBOOT "org.bondcheck.Error.UnknownRebootMethod"
#define BC_ERR_QUEUE_FULL     "org.bondcheck.Error.QueueFull"
#define BC_ERR_SHUTTING_DOWN  "org.bondcheck.Error.ShuttingDown"
/* a reply of the wrong shape from BlueZ (the run log's name for it) */
#define BC_ERR_BAD_REPLY "org.bondcheck.Error.BadReply"

#endif
