/* SPDX-License-Identifier: MIT */
/*
 * hcimon.c — reads the HCI monitor channel (AF_BLUETOOTH, BTPROTO_HCI,
 * HCI_CHANNEL_MONITOR) on the GLib main loop and decodes the few events
 * that make a verdict confirmed. Owns the socket and a table of LE
 * connection handles to peer addresses; never writes to the socket.
 *
 * Frame layout (Linux, as btmon reads it): opcode le16, index le16,
 * len le16, then the packet. Constants are from the Bluetooth Core
 * specification (HCI events) and the kernel's monitor ABI.
 */
#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/hcimon.h"
#include "bondcheck/logschema.h"

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define BTPROTO_HCI         1
#define HCI_DEV_NONE        0xffff
#define HCI_CHANNEL_MONITOR 2

/* monitor opcodes */
#define MON_COMMAND_PKT 2
#define MON_EVENT_PKT   3
#define MON_ACL_TX_PKT  4
#define MON_ACL_RX_PKT  5

/* ATT (L2CAP channel 0x0004): what the peer pushes */
#define L2CAP_CID_ATT        0x0004
#define ATT_HANDLE_VALUE_NTF 0x1b
#define ATT_HANDLE_VALUE_IND 0x1d

/* SMP (L2CAP channel 0x0006) */
#define L2CAP_CID_SMP        0x0006
#define SMP_PAIRING_REQUEST  0x01
#define SMP_PAIRING_FAILED   0x05
#define SMP_SECURITY_REQUEST 0x0b

/* HCI events */
#define EVT_DISCONN_COMPLETE    0x05
#define EVT_ENCRYPT_CHANGE      0x08
#define EVT_ENCRYPT_KEY_REFRESH 0x30
#define EVT_LE_META             0x3e
#define EVT_ENCRYPT_CHANGE_V2   0x59
#define LE_CONN_COMPLETE        0x01
#define LE_LTK_REQUEST          0x05
#define LE_ENH_CONN_COMPLETE    0x0a
#define LE_ENH_CONN_COMPLETE_V2 0x29

/* HCI commands (OGF 0x08 LE) */
#define CMD_LE_SET_RANDOM_ADDRESS 0x2005
#define CMD_LE_CREATE_CONN        0x200d
#define CMD_LE_EXT_CREATE_CONN    0x2043
#define CMD_LE_START_ENCRYPTION   0x2019
#define CMD_LE_LTK_REPLY          0x201a
#define CMD_LE_LTK_NEG_REPLY      0x201b

struct sockaddr_hci {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

struct hcimon {
	int fd;
	guint source;
	int index;
	hcimon_event_fn fn;
	void *user_data;
	GHashTable *handles;  /* handle -> "AA:BB:..." */
	char *random_address; /* LE Set Random Address, last */
};

static const char *status_text(int s)
{
	switch (s) {
	case 0x00: return "Success";
	case 0x05: return "Authentication Failure";
	case 0x06: return "PIN or Key Missing";
	case 0x08: return "Connection Timeout";
	case 0x13: return "Remote User Terminated Connection";
	case 0x15:
		return "Remote Device Terminated Connection due to Power "
		       "Off";
	case 0x16: return "Connection Terminated By Local Host";
	case 0x1f: return "Unspecified Error";
	case 0x22: return "LL Response Timeout";
	case 0x3b: return "Unacceptable Connection Parameters";
	case 0x3d: return "Connection Terminated due to MIC Failure";
	case 0x3e: return "Connection Failed to be Established";
	default: return "";
	}
}

int hcimon_index_of(const char *adapter)
{
	return bluez_adapter_index(adapter);
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static char *addr_str(const uint8_t *b)
{
	/* over the air little endian; people read it the other way */
	return g_strdup_printf("%02X:%02X:%02X:%02X:%02X:%02X", b[5], b[4],
		b[3], b[2], b[1], b[0]);
}

static void report(struct hcimon *m, const char *what, uint16_t handle,
	int status, int reason, char *text)
{
	struct engine_hci_event ev = { what, m->index, NULL, status, reason,
		text, -1, NULL };

	ev.address = g_hash_table_lookup(m->handles, GUINT_TO_POINTER(handle));
	m->fn(&ev, m->user_data);
	g_free(text);
}

static bool le_meta(struct hcimon *m, const uint8_t *p, size_t len)
{
	uint16_t handle;

	if (len < 1)
		return false;
	switch (p[0]) {
	case LE_CONN_COMPLETE:
	case LE_ENH_CONN_COMPLETE:
	case LE_ENH_CONN_COMPLETE_V2:
		if (len < 12)
			return false;
		handle = le16(p + 2) & 0x0fff;
		if (p[1] == 0)
			g_hash_table_replace(m->handles,
				GUINT_TO_POINTER(handle), addr_str(p + 6));
		report(m, LOG_HCI_LE_CONNECTION, handle, p[1], -1,
			g_strdup_printf("LE Connection Complete status 0x%02x%s"
					"%s%s, role %s",
				p[1], p[1] ? " (" : "",
				p[1] ? status_text(p[1]) : "", p[1] ? ")" : "",
				p[4] ? "peripheral" : "central"));
		return true;
	case LE_LTK_REQUEST:
		if (len < 13)
			return false;
		handle = le16(p + 1) & 0x0fff;
		report(m, LOG_HCI_LTK_REQUEST, handle, -1, -1,
			g_strdup("LE Long Term Key Request"));
		return true;
	default: return false;
	}
}

static bool event(struct hcimon *m, const uint8_t *p, size_t len)
{
	uint8_t code, plen;
	uint16_t handle;

	if (len < 2)
		return false;
	code = p[0];
	plen = p[1];
	if ((size_t)plen + 2 > len)
		return false;
	p += 2;
	switch (code) {
	case EVT_DISCONN_COMPLETE:
		if (plen < 4)
			return false;
		handle = le16(p + 1) & 0x0fff;
		report(m, LOG_HCI_DISCONNECT, handle, p[0], p[3],
			g_strdup_printf("Disconnect Complete reason 0x%02x (%s)",
				p[3], status_text(p[3])));
		g_hash_table_remove(m->handles, GUINT_TO_POINTER(handle));
		return true;
	case EVT_ENCRYPT_CHANGE:
	case EVT_ENCRYPT_CHANGE_V2:
		if (plen < 4)
			return false;
		handle = le16(p + 1) & 0x0fff;
		report(m, LOG_HCI_ENCRYPTION_CHANGE, handle, p[0], -1,
			g_strdup_printf("Encryption Change status 0x%02x%s%s%s,"
					" encryption %s",
				p[0], p[0] ? " (" : "",
				p[0] ? status_text(p[0]) : "", p[0] ? ")" : "",
				p[3] ? "on" : "off"));
		return true;
	case EVT_ENCRYPT_KEY_REFRESH:
		if (plen < 3)
			return false;
		handle = le16(p + 1) & 0x0fff;
		report(m, LOG_HCI_ENCRYPTION_CHANGE, handle, p[0], -1,
			g_strdup_printf("Encryption Key Refresh status 0x%02x",
				p[0]));
		return true;
	case EVT_LE_META: return le_meta(m, p, plen);
	default: return false;
	}
}

static const char *own_type_text(uint8_t t)
{
	switch (t) {
	case 0x00: return "public";
	case 0x01: return "random";
	case 0x02:
		return "resolvable private from the resolving list, "
		       "else public";
	case 0x03:
		return "resolvable private from the resolving list, "
		       "else random";
	default: return "unknown";
	}
}

/* The central's own address on a connection it starts: which type, and
 * the random address it last set (an RPA when privacy is on). */
static bool create_connection(struct hcimon *m, uint8_t own, const char *peer)
{
	struct engine_hci_event ev = { LOG_HCI_LE_CREATE_CONNECTION, m->index,
		peer, -1, -1, NULL, own,
		own == 0x01 ? m->random_address : NULL };
	char *text = g_strdup_printf("LE Create Connection, own address "
				     "%s%s%s",
		own_type_text(own), own == 0x01 ? " " : "",
		own == 0x01 ? m->random_address : "");

	ev.text = text;
	m->fn(&ev, m->user_data);
	g_free(text);
	return true;
}

static bool command(struct hcimon *m, const uint8_t *p, size_t len)
{
	struct engine_hci_event ev = { LOG_HCI_LE_SET_RANDOM_ADDRESS, m->index,
		NULL, -1, -1, NULL, -1, NULL };
	char *peer;
	bool ok;
	uint16_t op;

	if (len < 3 || (size_t)p[2] + 3 > len)
		return false;
	op = le16(p);
	switch (op) {
	case CMD_LE_SET_RANDOM_ADDRESS:
		if (p[2] < 6)
			return false;
		g_free(m->random_address);
		m->random_address = addr_str(p + 3);
		ev.own_address = m->random_address;
		ev.text = "LE Set Random Address";
		m->fn(&ev, m->user_data);
		return true;
	case CMD_LE_CREATE_CONN:
		/* scan interval, window, filter policy, peer type, peer
		 * address, own address type, ... */
		if (p[2] < 13)
			return false;
		peer = addr_str(p + 3 + 6);
		ok = create_connection(m, p[3 + 12], peer);
		g_free(peer);
		return ok;
	case CMD_LE_EXT_CREATE_CONN:
		/* filter policy, own address type, peer type, peer address */
		if (p[2] < 9)
			return false;
		peer = addr_str(p + 3 + 3);
		ok = create_connection(m, p[3 + 1], peer);
		g_free(peer);
		return ok;
	case CMD_LE_START_ENCRYPTION:
		if (p[2] < 2)
			return false;
		report(m, LOG_HCI_START_ENCRYPTION, le16(p + 3) & 0x0fff, -1,
			-1,
			g_strdup("LE Start Encryption (with the stored LTK)"));
		return true;
	case CMD_LE_LTK_NEG_REPLY:
		if (p[2] < 2)
			return false;
		report(m, LOG_HCI_LTK_NEGATIVE_REPLY, le16(p + 3) & 0x0fff, -1,
			-1,
			g_strdup("LE Long Term Key Request Negative Reply"));
		return true;
	default: return false;
	}
}

static const char *smp_name(uint8_t code)
{
	static const char *const names[] = { NULL, "Pairing Request",
		"Pairing Response", "Pairing Confirm", "Pairing Random",
		"Pairing Failed", "Encryption Information",
		"Central Identification", "Identity Information",
		"Identity Address Information", "Signing Information",
		"Security Request", "Pairing Public Key", "Pairing DHKey Check",
		"Keypress Notification" };

	return code < G_N_ELEMENTS(names) && names[code] ? names[code] : NULL;
}

/* An SMP or ATT event, with which way it went. */
static void report_pdu(struct hcimon *m, const char *what, uint16_t handle,
	int reason, bool tx, int smp_code, char *text)
{
	struct engine_hci_event ev = { what, m->index, NULL, -1, reason, text,
		-1, NULL, tx, smp_code };

	ev.address = g_hash_table_lookup(m->handles, GUINT_TO_POINTER(handle));
	m->fn(&ev, m->user_data);
	g_free(text);
}

/* ATT: a notification or indication the peer sent (a CCCD it keeps, or
 * ignores, shows here whether or not BlueZ passes it on). */
static bool att(struct hcimon *m, bool tx, uint16_t handle, const uint8_t *p,
	uint16_t llen)
{
	if (tx || llen < 3 ||
		(p[0] != ATT_HANDLE_VALUE_NTF && p[0] != ATT_HANDLE_VALUE_IND))
		return false;
	report_pdu(m, LOG_HCI_ATT_NOTIFICATION, handle, -1, false, 0,
		g_strdup_printf("ATT Handle Value %s received, handle 0x%04x",
			p[0] == ATT_HANDLE_VALUE_NTF ? "Notification" :
						       "Indication",
			le16(p + 1)));
	return true;
}

static char *authreq_text(uint8_t a)
{
	return g_strdup_printf("0x%02x: %s%s%s", a,
		(a & 0x03) == 0x01 ? "Bonding" : "No Bonding",
		a & 0x04 ? ", MITM" : ", No MITM", a & 0x08 ? ", SC" : "");
}

/* SMP over an ACL packet: a new pairing, a security request, a failure. */
static bool acl(struct hcimon *m, bool tx, const uint8_t *p, size_t len)
{
	uint16_t handle, dlen, llen, cid;
	char *auth;

	if (len < 9)
		return false;
	handle = le16(p) & 0x0fff;
	/* only the start of an L2CAP frame carries its header */
	if (((le16(p) >> 12) & 0x3) == 0x1)
		return false;
	dlen = le16(p + 2);
	if ((size_t)dlen + 4 > len || dlen < 5)
		return false;
	llen = le16(p + 4);
	cid = le16(p + 6);
	if (llen < 1 || (size_t)llen + 4 > dlen)
		return false;
	if (cid == L2CAP_CID_ATT)
		return att(m, tx, handle, p + 8, llen);
	if (cid != L2CAP_CID_SMP)
		return false;
	p += 8;
	switch (p[0]) {
	case SMP_PAIRING_REQUEST:
		if (llen < 7)
			return false;
		auth = authreq_text(p[3]);
		report_pdu(m, LOG_HCI_SMP_PAIRING_REQUEST, handle, -1, tx, p[0],
			g_strdup_printf("SMP Pairing Request %s (auth %s): "
					"a new pairing",
				tx ? "sent" : "received", auth));
		g_free(auth);
		return true;
	case SMP_SECURITY_REQUEST:
		if (llen < 2)
			return false;
		auth = authreq_text(p[1]);
		report_pdu(m, LOG_HCI_SMP_SECURITY_REQUEST, handle, -1, tx,
			p[0],
			g_strdup_printf("SMP Security Request %s (auth "
					"%s)",
				tx ? "sent" : "received", auth));
		g_free(auth);
		return true;
	case SMP_PAIRING_FAILED:
		if (llen < 2)
			return false;
		report_pdu(m, LOG_HCI_SMP_PAIRING_FAILED, handle, p[1], tx,
			p[0],
			g_strdup_printf("SMP Pairing Failed %s, reason "
					"0x%02x",
				tx ? "sent" : "received", p[1]));
		return true;
	default:
		/* the rest of a pairing: where one that stalls stopped */
		if (!smp_name(p[0]))
			return false;
		report_pdu(m, LOG_HCI_SMP, handle, -1, tx, p[0],
			g_strdup_printf("SMP %s %s", smp_name(p[0]),
				tx ? "sent" : "received"));
		return true;
	}
}

bool hcimon_feed(struct hcimon *m, uint16_t opcode, uint16_t index,
	const uint8_t *data, size_t len)
{
	if (m->index < 0 || index != (uint16_t)m->index)
		return false;
	switch (opcode) {
	case MON_EVENT_PKT: return event(m, data, len);
	case MON_COMMAND_PKT: return command(m, data, len);
	case MON_ACL_TX_PKT:
	case MON_ACL_RX_PKT: return acl(m, opcode == MON_ACL_TX_PKT, data, len);
	default: return false;
	}
}

static gboolean readable(gint fd, GIOCondition cond, gpointer data)
{
	struct hcimon *m = data;
	uint8_t buf[1024 + 6];

	(void)cond;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		uint16_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return G_SOURCE_CONTINUE;
		if (n <= 0) {
			m->source = 0;
			return G_SOURCE_REMOVE;
		}
		if (n < 6)
			continue;
		len = le16(buf + 4);
		if ((size_t)len + 6 > (size_t)n)
			continue; /* truncated: not ours to guess */
		hcimon_feed(m, le16(buf), le16(buf + 2), buf + 6, len);
	}
}

struct hcimon *hcimon_new_detached(int index, hcimon_event_fn fn,
	void *user_data)
{
	struct hcimon *m = g_new0(struct hcimon, 1);

	m->fd = -1;
	m->index = index;
	m->fn = fn;
	m->user_data = user_data;
	m->handles = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
		g_free);
	return m;
}

struct hcimon *hcimon_new(int index, hcimon_event_fn fn, void *user_data,
	GError **error)
{
	struct sockaddr_hci sa = { AF_BLUETOOTH, HCI_DEV_NONE,
		HCI_CHANNEL_MONITOR };
	struct hcimon *m;
	int fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		BTPROTO_HCI);

	if (fd < 0) {
		g_set_error(error, BCERROR,
			errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT ?
				BCERROR_NOT_SUPPORTED :
				BCERROR_NOT_PERMITTED,
			"cannot open the HCI monitor channel: %s",
			g_strerror(errno));
		return NULL;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		g_set_error(error, BCERROR,
			errno == EPERM || errno == EACCES ?
				BCERROR_NOT_PERMITTED :
				BCERROR_NOT_SUPPORTED,
			"cannot open the HCI monitor channel: %s%s",
			g_strerror(errno),
			errno == EPERM ? " (it needs root "
					 "or CAP_NET_RAW)" :
					 "");
		close(fd);
		return NULL;
	}
	m = hcimon_new_detached(index, fn, user_data);
	m->fd = fd;
	m->source = g_unix_fd_add(fd, G_IO_IN, readable, m);
	return m;
}

void hcimon_set_index(struct hcimon *m, int index)
{
	m->index = index;
	g_hash_table_remove_all(m->handles);
	g_clear_pointer(&m->random_address, g_free);
}

void hcimon_free(struct hcimon *m)
{
	if (!m)
		return;
	if (m->source)
		g_source_remove(m->source);
	if (m->fd >= 0)
		close(m->fd);
	g_hash_table_destroy(m->handles);
	g_free(m->random_address);
	g_free(m);
}
