/* SPDX-License-Identifier: MIT */
/*
 * mgmt.c — the mgmt control channel (AF_BLUETOOTH, BTPROTO_HCI,
 * HCI_CHANNEL_CONTROL) on the GLib main loop, for a controller's address
 * privacy: read it (Read Controller Information), or set it the way the
 * kernel takes it (Set Powered off, Set Privacy, Set Powered on again).
 * Owns the socket and a queue of requests; one command is in flight at a
 * time. A request that fails at any point after it asked for the
 * controller to be powered off (a refusal, no answer in time, a command
 * that cannot be sent) powers it on again before it reports, and its error
 * says whether that worked: a failed privacy change never leaves the
 * adapter unpowered for what comes after (the next run, bluetoothd's
 * other clients). mgmt_free() with such a change half done asks for power
 * on too.
 *
 * Frames (BlueZ doc/mgmt-api.txt): opcode le16, index le16, length le16,
 * parameters. Replies are Command Complete (0x0001: opcode, status, data)
 * or Command Status (0x0002: opcode, status).
 */
#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/mgmt.h"

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define BTPROTO_HCI         1
#define HCI_DEV_NONE        0xffff
#define HCI_CHANNEL_CONTROL 3

#define MGMT_OP_READ_INFO    0x0004
#define MGMT_OP_SET_POWERED  0x0005
#define MGMT_OP_SET_PRIVACY  0x002f
#define MGMT_EV_CMD_COMPLETE 0x0001
#define MGMT_EV_CMD_STATUS   0x0002

#define MGMT_STATUS_REJECTED          0x0b
#define MGMT_STATUS_NOT_SUPPORTED     0x0c
#define MGMT_STATUS_INVALID_INDEX     0x11
#define MGMT_STATUS_PERMISSION_DENIED 0x14

#define READ_INFO_LEN      280 /* its reply's parameters */
#define COMMAND_TIMEOUT_MS 5000
#define POWER_ON_TRIES     3 /* Set Powered on answered unpowered */

struct sockaddr_hci {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

enum step {
	STEP_READ, /* Read Controller Information */
	STEP_POWER_OFF,
	STEP_SET_PRIVACY,
	STEP_POWER_ON,
	STEP_DONE,
};

struct req {
	struct mgmt *m;
	guint id;
	uint16_t index;
	bool set; /* set_privacy (else read_privacy) */
	bool on;
	enum step step;
	bool was_powered;
	bool off_asked;       /* Set Powered off went out */
	unsigned power_tries; /* Set Powered on sent */
	uint16_t op;          /* the command out */
	char address[18];
	GError *error; /* kept while powering on again */
	mgmt_privacy_fn read_fn;
	mgmt_done_fn done_fn;
	void *user_data;
};

struct mgmt {
	int fd;
	guint source;
	guint timer;
	GQueue reqs; /* struct req; the head is in flight */
	bool sent;   /* the head's command is out */
	guint next_id;
	char *storage;
	unsigned timeout_ms; /* per command */
};

static const char *status_text(uint8_t s)
{
	switch (s) {
	case 0x00: return "Success";
	case 0x01: return "Unknown Command";
	case 0x03: return "Failed";
	case 0x0a: return "Busy";
	case MGMT_STATUS_REJECTED: return "Rejected";
	case MGMT_STATUS_NOT_SUPPORTED: return "Not Supported";
	case 0x0d: return "Invalid Parameters";
	case 0x0f: return "Not Powered";
	case MGMT_STATUS_INVALID_INDEX: return "Invalid Index";
	case MGMT_STATUS_PERMISSION_DENIED: return "Permission Denied";
	default: return "error";
	}
}

static const char *op_text(uint16_t op)
{
	switch (op) {
	case MGMT_OP_READ_INFO: return "Read Controller Information";
	case MGMT_OP_SET_POWERED: return "Set Powered";
	case MGMT_OP_SET_PRIVACY: return "Set Privacy";
	default: return "command";
	}
}

static GError *status_error(uint16_t op, uint16_t index, uint8_t status)
{
	int code = status == MGMT_STATUS_PERMISSION_DENIED ?
	                   BCERROR_NOT_PERMITTED :
	           status == MGMT_STATUS_INVALID_INDEX ?
	                   BCERROR_NO_SUCH_ADAPTER :
	           status == MGMT_STATUS_NOT_SUPPORTED ? BCERROR_NOT_SUPPORTED :
	           status == MGMT_STATUS_REJECTED      ? BCERROR_REJECTED :
	                                                 BCERROR_FAILED;

	return g_error_new(BCERROR, code, "mgmt %s on hci%u: %s (0x%02x)",
		op_text(op), index, status_text(status), status);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- the IRK bluetoothd keeps ------------------------------------------- */

bool mgmt_stored_irk(const char *storage, const char *address, uint8_t irk[16])
{
	char *path = g_build_filename(storage, address, "identity", NULL);
	GKeyFile *kf = g_key_file_new();
	char *hex = NULL;
	bool ok = false;

	if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		hex = g_key_file_get_string(kf, "General",
			"IdentityResolvingKey", NULL);
	if (hex && strlen(hex) == 32) {
		ok = true;
		for (int i = 0; i < 16 && ok; i++) {
			int hi = g_ascii_xdigit_value(hex[(size_t)i * 2]);
			int lo = g_ascii_xdigit_value(hex[(size_t)i * 2 + 1]);

			ok = hi >= 0 && lo >= 0;
			/* the file holds it most significant byte first,
			 * mgmt takes it little endian */
			irk[15 - i] = (uint8_t)(hi << 4 | lo);
		}
	}
	g_free(hex);
	g_key_file_unref(kf);
	g_free(path);
	return ok;
}

/* ---- requests ----------------------------------------------------------- */

static void pump(struct mgmt *m);

static void req_free(struct req *r)
{
	if (r->error)
		g_error_free(r->error);
	g_free(r);
}

/* The head request is over: tell its caller, then the next goes. */
static void finish(struct mgmt *m, struct req *r, int privacy, GError *error)
{
	g_queue_remove(&m->reqs, r);
	m->sent = false;
	if (m->timer) {
		g_source_remove(m->timer);
		m->timer = 0;
	}
	if (r->set && r->done_fn)
		r->done_fn(error, r->user_data);
	else if (!r->set && r->read_fn)
		r->read_fn(privacy, error, r->user_data);
	if (error)
		g_error_free(error);
	req_free(r);
	pump(m);
}

static void send_step(struct mgmt *m, struct req *r);

/*
 * The head request failed with @error (taken). A change that may have
 * left the controller powered off (its Set Powered off went out, and the
 * kernel did not refuse that one) powers it on again first, keeping
 * @error; the caller hears @error with what became of the power.
 * @refused: the kernel answered @error with a status to r's command.
 */
static void fail(struct mgmt *m, struct req *r, GError *error, bool refused)
{
	GError *err;

	if (r->step == STEP_POWER_ON) {
		/* powering on (again) failed */
		err = r->error ?
		              g_error_new(r->error->domain, r->error->code,
				      "%s; and hci%u could not be powered on again (%s): it "
				      "is left powered off ('btmgmt --index %u power on' "
				      "powers it)",
				      r->error->message, r->index,
				      error->message, r->index) :
		              g_error_new(error->domain, error->code,
				      "%s: hci%u is "
				      "left powered off ('btmgmt --index %u power on' powers "
				      "it)",
				      error->message, r->index, r->index);
		g_error_free(error);
		finish(m, r, -1, err);
		return;
	}
	if (r->set && r->off_asked && !(refused && r->step == STEP_POWER_OFF)) {
		g_clear_error(&r->error);
		r->error = error;
		r->step = STEP_POWER_ON;
		send_step(m, r);
		return;
	}
	finish(m, r, -1, error);
}

static gboolean command_timeout(gpointer data)
{
	struct mgmt *m = data;
	struct req *r = g_queue_peek_head(&m->reqs);

	m->timer = 0;
	m->sent = false;
	if (r)
		fail(m, r,
			g_error_new(BCERROR, BCERROR_TIMEOUT,
				"mgmt %s on hci%u: no answer from the kernel within "
				"%u ms",
				op_text(r->op), r->index, m->timeout_ms),
			false);
	return G_SOURCE_REMOVE;
}

static bool send_command(struct mgmt *m, uint16_t op, uint16_t index,
	const uint8_t *params, uint16_t len, GError **error)
{
	uint8_t buf[6 + 32];
	ssize_t n;

	le16(buf, op);
	le16(buf + 2, index);
	le16(buf + 4, len);
	if (len)
		memcpy(buf + 6, params, len);
	do
		n = send(m->fd, buf, 6u + len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/*
	 * The kernel takes the whole command (its length back) or refuses it
	 * at once (0 back, and the refusal comes as a Command Status event:
	 * Permission Denied, Invalid Parameters, ...): either way, the event
	 * says how it went.
	 */
	if (n < 0) {
		g_set_error(error, BCERROR, BCERROR_IO,
			"mgmt: cannot send %s: %s", op_text(op),
			g_strerror(errno));
		return false;
	}
	m->sent = true;
	((struct req *)g_queue_peek_head(&m->reqs))->op = op;
	if (op == MGMT_OP_SET_POWERED && !params[0])
		((struct req *)g_queue_peek_head(&m->reqs))->off_asked = true;
	m->timer = g_timeout_add(m->timeout_ms, command_timeout, m);
	return true;
}

/* The command of the head request's step. */
static void send_step(struct mgmt *m, struct req *r)
{
	GError *err = NULL;
	uint8_t p[17];
	uint16_t op = MGMT_OP_READ_INFO, len = 0;

	switch (r->step) {
	case STEP_READ: break;
	case STEP_POWER_OFF:
	case STEP_POWER_ON:
		op = MGMT_OP_SET_POWERED;
		p[0] = r->step == STEP_POWER_ON;
		len = 1;
		break;
	case STEP_SET_PRIVACY:
		op = MGMT_OP_SET_PRIVACY;
		p[0] = r->on;
		/* bluetoothd's own IRK when it keeps one, so the RPAs are
		 * the ones it would make; else a new one */
		if (!r->on || !mgmt_stored_irk(m->storage, r->address, p + 1))
			for (int i = 1; i < 17; i++)
				p[i] = r->on ? (uint8_t)g_random_int_range(0,
						       256) :
				               0;
		len = 17;
		break;
	case STEP_DONE: finish(m, r, -1, NULL); return;
	}
	if (!send_command(m, op, r->index, p, len, &err))
		fail(m, r, err, false);
}

static void pump(struct mgmt *m)
{
	struct req *r = g_queue_peek_head(&m->reqs);

	if (r && !m->sent)
		send_step(m, r);
}

/* The step after @r's, given what the controller said. */
static enum step next_step(struct req *r)
{
	switch (r->step) {
	case STEP_READ:
		return r->was_powered ? STEP_POWER_OFF : STEP_SET_PRIVACY;
	case STEP_POWER_OFF: return STEP_SET_PRIVACY;
	case STEP_SET_PRIVACY:
		return r->was_powered ? STEP_POWER_ON : STEP_DONE;
	case STEP_POWER_ON:
	case STEP_DONE: break;
	}
	return STEP_DONE;
}

static void read_info(struct req *r, const uint8_t *d, size_t len, int *privacy)
{
	uint32_t current;

	if (len < 3 + 6 + 1 + 2 + 4 + 4)
		return;
	d += 3;
	g_snprintf(r->address, sizeof(r->address),
		"%02X:%02X:%02X:%02X:%02X:%02X", d[5], d[4], d[3], d[2], d[1],
		d[0]);
	current = get32(d + 6 + 1 + 2 + 4);
	r->was_powered = current & MGMT_SETTING_POWERED;
	*privacy = (current & MGMT_SETTING_PRIVACY) != 0;
}

static void on_reply(struct mgmt *m, uint16_t op, uint16_t index,
	uint8_t status, const uint8_t *d, size_t len)
{
	struct req *r = g_queue_peek_head(&m->reqs);
	int privacy = -1;
	GError *err;

	if (!r || !m->sent || index != r->index || op != r->op)
		return;
	m->sent = false;
	if (m->timer) {
		g_source_remove(m->timer);
		m->timer = 0;
	}
	if (status) {
		fail(m, r, status_error(op, index, status), true);
		return;
	}
	if (r->step == STEP_READ) {
		read_info(r, d, len, &privacy);
		if (privacy < 0) {
			finish(m, r, -1,
				g_error_new(BCERROR, BCERROR_FAILED,
					"mgmt: a short Read Controller Information "
					"reply (%zu bytes)",
					len));
			return;
		}
		if (!r->set || privacy == r->on) {
			finish(m, r, privacy, NULL);
			return;
		}
	}
	if (r->step == STEP_POWER_ON && len >= 7 &&
		!(get32(d + 3) & MGMT_SETTING_POWERED)) {
		/*
		 * answered, but its settings say unpowered (a Set Powered
		 * answer that is not this one's, or a kernel still powering
		 * down): ask again, a few times, before saying it stays off
		 */
		if (++r->power_tries < POWER_ON_TRIES) {
			send_step(m, r);
			return;
		}
		fail(m, r,
			g_error_new(BCERROR, BCERROR_FAILED,
				"mgmt Set "
				"Powered on hci%u: answered %u times, but the "
				"controller stays powered off",
				r->index, r->power_tries),
			false);
		return;
	}
	if (r->step == STEP_POWER_ON && r->error) {
		/* powered on again after a failure: the failure it was */
		err = g_error_new(r->error->domain, r->error->code,
			"%s (hci%u is powered on again)", r->error->message,
			r->index);
		finish(m, r, -1, err);
		return;
	}
	r->step = next_step(r);
	send_step(m, r);
}

static void on_frame(struct mgmt *m, const uint8_t *b, size_t n)
{
	uint16_t ev, index, len;

	if (n < 6)
		return;
	ev = get16(b);
	index = get16(b + 2);
	len = get16(b + 4);
	if ((size_t)len + 6 > n || len < 3)
		return;
	/* Command Complete: opcode, status, data; Command Status: the same
	 * without data. Anything else (New Settings, ...) is not ours. */
	if (ev == MGMT_EV_CMD_COMPLETE || ev == MGMT_EV_CMD_STATUS)
		on_reply(m, get16(b + 6), index, b[8], b + 6, len);
}

static gboolean readable(gint fd, GIOCondition cond, gpointer data)
{
	struct mgmt *m = data;
	uint8_t buf[6 + 1024];

	(void)cond;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return G_SOURCE_CONTINUE;
		if (n <= 0) {
			struct req *r;

			m->source = 0;
			while ((r = g_queue_peek_head(&m->reqs)))
				finish(m, r, -1,
					g_error_new(BCERROR, BCERROR_IO,
						"mgmt: the socket closed"));
			return G_SOURCE_REMOVE;
		}
		on_frame(m, buf, (size_t)n);
	}
}

/* ---- struct mgmt_ops ---------------------------------------------------- */

static guint enqueue(struct mgmt *m, struct req *r)
{
	r->m = m;
	r->id = ++m->next_id ? m->next_id : ++m->next_id;
	g_queue_push_tail(&m->reqs, r);
	pump(m);
	return r->id;
}

static guint m_read_privacy(void *data, int index, mgmt_privacy_fn fn,
	void *user_data)
{
	struct req *r = g_new0(struct req, 1);

	r->index = (uint16_t)index;
	r->read_fn = fn;
	r->user_data = user_data;
	return enqueue(data, r);
}

static guint m_set_privacy(void *data, int index, bool on, mgmt_done_fn fn,
	void *user_data)
{
	struct req *r = g_new0(struct req, 1);

	r->index = (uint16_t)index;
	r->set = true;
	r->on = on;
	r->done_fn = fn;
	r->user_data = user_data;
	return enqueue(data, r);
}

static void m_cancel(void *data, guint id)
{
	struct mgmt *m = data;

	for (GList *l = m->reqs.head; l; l = l->next) {
		struct req *r = l->data;

		if (r->id != id)
			continue;
		/* a command in flight still gets its answer: the request
		 * goes on without a caller (a controller powered off is
		 * powered on again) */
		r->read_fn = NULL;
		r->done_fn = NULL;
		if (l != m->reqs.head || !m->sent) {
			g_queue_delete_link(&m->reqs, l);
			req_free(r);
		}
		return;
	}
}

const struct mgmt_ops mgmt_ops = {
	.read_privacy = m_read_privacy,
	.set_privacy = m_set_privacy,
	.cancel = m_cancel,
};

/* ---- life cycle --------------------------------------------------------- */

struct mgmt *mgmt_new_fd(int fd)
{
	struct mgmt *m = g_new0(struct mgmt, 1);

	m->fd = fd;
	g_queue_init(&m->reqs);
	m->storage = g_strdup("/var/lib/bluetooth");
	m->timeout_ms = COMMAND_TIMEOUT_MS;
	m->source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP, readable, m);
	return m;
}

struct mgmt *mgmt_new(GError **error)
{
	struct sockaddr_hci sa = { AF_BLUETOOTH, HCI_DEV_NONE,
		HCI_CHANNEL_CONTROL };
	int fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		BTPROTO_HCI);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		g_set_error(error, BCERROR,
			errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT ?
				BCERROR_NOT_SUPPORTED :
				BCERROR_NOT_PERMITTED,
			"cannot open the kernel's Bluetooth management socket: "
			"%s",
			g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return mgmt_new_fd(fd);
}

void mgmt_set_storage(struct mgmt *m, const char *dir)
{
	g_free(m->storage);
	m->storage = g_strdup(dir);
}

void mgmt_set_timeout(struct mgmt *m, unsigned ms)
{
	m->timeout_ms = ms;
}

void mgmt_free(struct mgmt *m)
{
	struct req *r;

	if (!m)
		return;
	/* a change half done: power on asked for, not waited for */
	r = g_queue_peek_head(&m->reqs);
	if (r && r->set && r->off_asked &&
		!(r->step == STEP_POWER_ON && m->sent)) {
		uint8_t on = 1;

		if (m->timer)
			g_source_remove(m->timer);
		m->timer = 0;
		send_command(m, MGMT_OP_SET_POWERED, r->index, &on, 1, NULL);
	}
	while ((r = g_queue_pop_head(&m->reqs)))
		req_free(r);
	if (m->timer)
		g_source_remove(m->timer);
	if (m->source)
		g_source_remove(m->source);
	close(m->fd);
	g_free(m->storage);
	g_free(m);
}
