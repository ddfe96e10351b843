/* SPDX-License-Identifier: MIT */
/*
 * hcibridge.c — the packet logic of bondcheck-bridge (see hcibridge.h):
 * forwarding, link and advertising tracking, and btvirt's shims.
 *
 * Which packet belongs to whom: the DUT's commands and the bridge's own
 * go to the controller in one order, and btvirt answers each command in
 * the order it got them, so the first pending command with the opcode of a
 * Command Complete or Command Status is the one it answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "hcibridge.h"

#define OP_DISCONNECT                    0x0406
#define OP_RESET                         0x0c03
#define OP_SET_EVENT_MASK_PAGE_2         0x0c63
#define OP_READ_BD_ADDR                  0x1009
#define OP_LE_SET_RANDOM_ADDRESS         0x2005
#define OP_LE_SET_ADV_PARAMS             0x2006
#define OP_LE_SET_ADV_ENABLE             0x200a
#define OP_LE_SET_SCAN_ENABLE            0x200c
#define OP_LE_SET_ADV_SET_RANDOM_ADDRESS 0x2035
#define OP_LE_SET_EXT_ADV_PARAMS         0x2036
#define OP_LE_SET_EXT_ADV_ENABLE         0x2039
#define OP_LE_SET_EXT_SCAN_ENABLE        0x2042

#define EVT_DISCONNECT_COMPLETE 0x05
#define EVT_CMD_COMPLETE        0x0e
#define EVT_CMD_STATUS          0x0f
#define EVT_LE_META             0x3e
#define LE_CONN_COMPLETE        0x01
#define LE_CONN_UPDATE_COMPLETE 0x03
#define LE_ENH_CONN_COMPLETE    0x0a
#define LE_ADV_SET_TERMINATED   0x12
#define LE_ENH_CONN_COMPLETE_V2 0x29

#define ERR_UNKNOWN_COMMAND 0x01
#define MAX_SETS            256

struct pending {
	uint16_t opcode;
	bool ours;
	hcib_done_fn done;
	void *data;
	uint8_t *params; /* the DUT's command, for what follows */
	uint8_t plen;
};

struct link {
	uint16_t handle;
	unsigned supervision_ms;
	bool ours;   /* the bridge disconnects it */
	bool silent; /* ... and the DUT is not to hear of it */
};

struct hcib {
	const struct hcib_ops *ops;
	void *data;
	GQueue pending;
	GArray *links; /* struct link */
	bool dut;
	unsigned dropped_from_dut;
	unsigned own_disconnects; /* bridge Disconnects not yet complete */
	uint8_t public_addr[6];
	bool have_public;
	uint8_t random_addr[6];
	bool have_random;
	uint8_t adv_own_type; /* legacy advertising */
	bool adv_on;
	bool scan_on;
	bool ext_scan_on;
	uint8_t set_own_type[MAX_SETS];
	uint8_t set_random[MAX_SETS][6];
	bool set_has_random[MAX_SETS];
	bool set_on[MAX_SETS];
	char address[18];
	char public_str[18];
	unsigned shims[HCIB_SHIM_COUNT];
};

const char *hcib_shim_to_str(enum hcib_shim shim)
{
	switch (shim) {
	case HCIB_SHIM_EVENT_MASK_PAGE_2: return "event-mask-page-2";
	case HCIB_SHIM_OWN_ADDRESS_TYPE: return "own-address-type";
	case HCIB_SHIM_READVERTISE: return "readvertise";
	case HCIB_SHIM_LINK_LOSS_ON_RESET: return "link-loss-on-reset";
	case HCIB_SHIM_POWER_LOSS: return "power-loss";
	case HCIB_SHIM_COUNT: break;
	}
	return "?";
}

G_GNUC_PRINTF(2, 3)
static void say(struct hcib *b, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (!b->ops->log)
		return;
	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	b->ops->log(line, b->data);
	g_free(line);
}

G_GNUC_PRINTF(3, 4)
static void shim(struct hcib *b, enum hcib_shim s, const char *fmt, ...)
{
	va_list ap;
	char *what;

	b->shims[s]++;
	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	say(b, "shim %s: %s", hcib_shim_to_str(s), what);
	g_free(what);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void addr_str(const uint8_t *a, char out[18])
{
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", a[5], a[4], a[3],
		a[2], a[1], a[0]);
}

static void to_dut(struct hcib *b, const uint8_t *pkt, size_t len)
{
	if (b->dut)
		b->ops->send(HCIB_SIDE_DUT, pkt, len, b->data);
}

static void to_ctrl(struct hcib *b, const uint8_t *pkt, size_t len)
{
	b->ops->send(HCIB_SIDE_CTRL, pkt, len, b->data);
}

static struct pending *push(struct hcib *b, uint16_t opcode, bool ours)
{
	struct pending *p = g_new0(struct pending, 1);

	p->opcode = opcode;
	p->ours = ours;
	g_queue_push_tail(&b->pending, p);
	return p;
}

static void pending_free(struct pending *p)
{
	g_free(p->params);
	g_free(p);
}

static struct pending *pop(struct hcib *b, uint16_t opcode)
{
	for (GList *l = b->pending.head; l; l = l->next) {
		struct pending *p = l->data;

		if (p->opcode == opcode) {
			g_queue_delete_link(&b->pending, l);
			return p;
		}
	}
	return NULL;
}

static struct link *find_link(struct hcib *b, uint16_t handle)
{
	for (guint i = 0; i < b->links->len; i++) {
		struct link *l = &g_array_index(b->links, struct link, i);

		if (l->handle == handle)
			return l;
	}
	return NULL;
}

static void remove_link(struct hcib *b, uint16_t handle)
{
	for (guint i = 0; i < b->links->len; i++) {
		if (g_array_index(b->links, struct link, i).handle == handle) {
			g_array_remove_index(b->links, i);
			break;
		}
	}
	if (!b->links->len && b->ops->links_down)
		b->ops->links_down(b->data);
}

static void update_address(struct hcib *b, uint8_t own_type,
	const uint8_t *random, bool have_random)
{
	/* 0x00/0x02: public (0x02 without a resolving list entry) */
	if (!(own_type & 1)) {
		if (b->have_public)
			addr_str(b->public_addr, b->address);
	} else if (have_random) {
		addr_str(random, b->address);
	}
}

void hcib_command(struct hcib *b, uint16_t opcode, const uint8_t *params,
	uint8_t len, hcib_done_fn done, void *data)
{
	uint8_t pkt[4 + 255];
	struct pending *p;

	pkt[0] = HCIB_PKT_CMD;
	pkt[1] = (uint8_t)(opcode & 0xff);
	pkt[2] = (uint8_t)(opcode >> 8);
	pkt[3] = len;
	if (len)
		memcpy(pkt + 4, params, len);
	p = push(b, opcode, true);
	p->done = done;
	p->data = data;
	to_ctrl(b, pkt, 4u + len);
}

/* ---- from the DUT ------------------------------------------------------- */

static void dut_reset(struct hcib *b)
{
	unsigned n = 0;

	for (guint i = 0; i < b->links->len; i++) {
		struct link *l = &g_array_index(b->links, struct link, i);
		uint8_t p[3] = { (uint8_t)(l->handle & 0xff),
			(uint8_t)(l->handle >> 8), HCIB_REASON_TIMEOUT };

		if (l->ours)
			continue;
		l->ours = l->silent = true;
		b->own_disconnects++;
		hcib_command(b, OP_DISCONNECT, p, 3, NULL, NULL);
		n++;
	}
	if (n)
		shim(b, HCIB_SHIM_LINK_LOSS_ON_RESET,
			"the DUT sent HCI Reset "
			"with %u link(s) up; btvirt would drop them without "
			"a word to the central, so the bridge disconnected "
			"them first with reason 0x08 (Connection Timeout), "
			"what the central sees when a reset peer stops "
			"answering",
			n);
}

static void from_dut_cmd(struct hcib *b, const uint8_t *pkt, size_t len)
{
	uint16_t opcode;
	uint8_t plen;
	uint8_t copy[4 + 255];
	const uint8_t *out = pkt;
	struct pending *p;

	if (len < 4 || len != 4u + pkt[3]) {
		to_ctrl(b, pkt, len); /* not ours to judge; btvirt will */
		return;
	}
	opcode = get16(pkt + 1);
	plen = pkt[3];
	memcpy(copy, pkt, len);
	if (opcode == OP_RESET)
		dut_reset(b);
	if ((opcode == OP_LE_SET_ADV_PARAMS && plen >= 6) ||
		(opcode == OP_LE_SET_EXT_ADV_PARAMS && plen >= 11)) {
		uint8_t *own = copy + 4 +
		               (opcode == OP_LE_SET_ADV_PARAMS ? 5 : 10);

		if (*own == 0x02 || *own == 0x03) {
			uint8_t was = *own;

			*own &= 0x01;
			shim(b, HCIB_SHIM_OWN_ADDRESS_TYPE,
				"LE Set %sAdvertising "
				"Parameters with own address type 0x%02x "
				"(resolvable private, else %s): btvirt makes "
				"every connection to such an advertiser fail "
				"(0x3e) and has no resolving list to take an "
				"RPA from; sent 0x%02x (%s), what a controller "
				"with no local IRK for the peer uses",
				opcode == OP_LE_SET_EXT_ADV_PARAMS ?
					"Extended " :
					"",
				was, was == 0x02 ? "public" : "random", *own,
				*own ? "random" : "public");
		}
		out = copy;
	}
	p = push(b, opcode, false);
	p->params = g_memdup2(out + 4, plen);
	p->plen = plen;
	to_ctrl(b, out, len);
}

/* ---- from the controller ------------------------------------------------ */

static void clear_state(struct hcib *b)
{
	bool had = b->links->len > 0;

	if (had)
		say(b, "the controller was reset with %u link(s) still up",
			b->links->len);
	g_array_set_size(b->links, 0);
	b->own_disconnects = 0;
	b->adv_on = b->scan_on = b->ext_scan_on = false;
	b->have_random = false;
	memset(b->set_on, 0, sizeof(b->set_on));
	memset(b->set_has_random, 0, sizeof(b->set_has_random));
	memset(b->set_own_type, 0, sizeof(b->set_own_type));
	b->adv_own_type = 0;
	if (had && b->ops->links_down)
		b->ops->links_down(b->data);
}

static void advertising_on(struct hcib *b)
{
	say(b, "the DUT advertises as %s", b->address[0] ? b->address : "?");
	if (b->ops->advertising)
		b->ops->advertising(b->address, b->data);
}

/* A command of the DUT's completed with @status: what it changed. */
static void dut_command_done(struct hcib *b, const struct pending *p,
	uint8_t status)
{
	const uint8_t *a = p->params;

	if (status)
		return;
	switch (p->opcode) {
	case OP_LE_SET_RANDOM_ADDRESS:
		if (p->plen >= 6) {
			memcpy(b->random_addr, a, 6);
			b->have_random = true;
		}
		break;
	case OP_LE_SET_ADV_PARAMS:
		if (p->plen >= 6)
			b->adv_own_type = a[5];
		break;
	case OP_LE_SET_ADV_SET_RANDOM_ADDRESS:
		if (p->plen >= 7) {
			memcpy(b->set_random[a[0]], a + 1, 6);
			b->set_has_random[a[0]] = true;
		}
		break;
	case OP_LE_SET_EXT_ADV_PARAMS:
		if (p->plen >= 11)
			b->set_own_type[a[0]] = a[10];
		break;
	case OP_LE_SET_ADV_ENABLE:
		if (p->plen >= 1) {
			b->adv_on = a[0] != 0;
			if (b->adv_on) {
				update_address(b, b->adv_own_type,
					b->random_addr, b->have_random);
				advertising_on(b);
			}
		}
		break;
	case OP_LE_SET_EXT_ADV_ENABLE:
		if (p->plen >= 2) {
			unsigned n = a[1];
			int first = -1;

			if (!a[0] && !n)
				memset(b->set_on, 0, sizeof(b->set_on));
			for (unsigned i = 0; i < n && 2u + 4 * i + 4 <= p->plen;
				i++) {
				uint8_t h = a[2 + 4 * i];

				b->set_on[h] = a[0] != 0;
				if (first < 0)
					first = h;
			}
			if (a[0] && first >= 0) {
				update_address(b, b->set_own_type[first],
					b->set_random[first],
					b->set_has_random[first]);
				advertising_on(b);
			}
		}
		break;
	case OP_LE_SET_SCAN_ENABLE:
		if (p->plen >= 1)
			b->scan_on = a[0] != 0;
		break;
	case OP_LE_SET_EXT_SCAN_ENABLE:
		if (p->plen >= 1)
			b->ext_scan_on = a[0] != 0;
		break;
	default: break;
	}
}

static void answered(struct hcib *b, const uint8_t *pkt, size_t len,
	uint16_t opcode, int status, uint8_t ncmd, bool complete)
{
	struct pending *p = pop(b, opcode);

	if (status == 0 && opcode == OP_RESET && complete)
		clear_state(b);
	if (complete && status == 0 && opcode == OP_READ_BD_ADDR && len >= 13) {
		memcpy(b->public_addr, pkt + 7, 6);
		b->have_public = true;
		addr_str(b->public_addr, b->public_str);
	}
	if (!p) {
		to_dut(b, pkt, len); /* unsolicited (ncmd only) */
		return;
	}
	if (p->ours) {
		if (p->done)
			p->done(status, p->data);
		pending_free(p);
		return;
	}
	if (opcode == OP_SET_EVENT_MASK_PAGE_2 &&
		status == ERR_UNKNOWN_COMMAND) {
		uint8_t cc[] = { HCIB_PKT_EVT, EVT_CMD_COMPLETE, 4, ncmd,
			(uint8_t)(opcode & 0xff), (uint8_t)(opcode >> 8),
			0x00 };

		shim(b, HCIB_SHIM_EVENT_MASK_PAGE_2,
			"btvirt answered HCI Set "
			"Event Mask Page 2 with 0x01 (Unknown HCI Command), "
			"which makes NimBLE reset for ever; a 4.1+ controller "
			"accepts it: the DUT got Command Complete, success");
		to_dut(b, cc, sizeof(cc));
		pending_free(p);
		return;
	}
	if (status >= 0)
		dut_command_done(b, p, (uint8_t)status);
	pending_free(p);
	to_dut(b, pkt, len);
}

static void conn_complete(struct hcib *b, const uint8_t *e, size_t n,
	size_t sup_at)
{
	struct link l = { 0 };

	if (n < sup_at + 2 || e[0] != 0)
		return;
	l.handle = get16(e + 1) & 0x0fff;
	l.supervision_ms = get16(e + sup_at) * 10u;
	if (find_link(b, l.handle))
		return;
	g_array_append_val(b->links, l);
	/* a peripheral's connectable advertising ends with the connection */
	if (e[3] == 0x01)
		b->adv_on = false;
	say(b, "link 0x%04x up (%s), supervision timeout %u ms%s", l.handle,
		e[3] ? "the DUT is peripheral" : "the DUT is central",
		l.supervision_ms, b->dut ? "" : " — no DUT is running");
}

static void le_meta(struct hcib *b, const uint8_t *e, size_t n)
{
	if (n < 1)
		return;
	switch (e[0]) {
	case LE_CONN_COMPLETE: conn_complete(b, e + 1, n - 1, 15); break;
	case LE_ENH_CONN_COMPLETE:
	case LE_ENH_CONN_COMPLETE_V2: conn_complete(b, e + 1, n - 1, 27); break;
	case LE_CONN_UPDATE_COMPLETE:
		if (n >= 10 && e[1] == 0) {
			struct link *l = find_link(b, get16(e + 2) & 0x0fff);

			if (l)
				l->supervision_ms = get16(e + 8) * 10u;
		}
		break;
	case LE_ADV_SET_TERMINATED:
		if (n >= 2)
			b->set_on[e[2]] = false;
		break;
	default: break;
	}
}

static void from_ctrl_evt(struct hcib *b, const uint8_t *pkt, size_t len)
{
	const uint8_t *e = pkt + 3;
	size_t n;

	if (len < 3 || len != 3u + pkt[2]) {
		to_dut(b, pkt, len);
		return;
	}
	n = pkt[2];
	switch (pkt[1]) {
	case EVT_CMD_COMPLETE:
		if (n >= 3) {
			answered(b, pkt, len, get16(e + 1), n >= 4 ? e[3] : -1,
				e[0], true);
			return;
		}
		break;
	case EVT_CMD_STATUS:
		if (n >= 4) {
			answered(b, pkt, len, get16(e + 2), e[0], e[1], false);
			return;
		}
		break;
	case EVT_DISCONNECT_COMPLETE:
		if (n >= 4) {
			uint16_t h = get16(e + 1) & 0x0fff;
			struct link *l = e[0] ? NULL : find_link(b, h);
			bool silent = false;

			if (l) {
				silent = l->silent;
				if (l->ours && b->own_disconnects)
					b->own_disconnects--;
				say(b, "link 0x%04x down, reason 0x%02x%s", h,
					e[3],
					silent ? " (the DUT is not told)" : "");
			} else if (e[0] && b->own_disconnects) {
				b->own_disconnects--;
				silent = true;
			}
			if (!silent)
				to_dut(b, pkt, len);
			if (l)
				remove_link(b, h);
			return;
		}
		break;
	case EVT_LE_META: le_meta(b, e, n); break;
	default: break;
	}
	to_dut(b, pkt, len);
}

void hcib_input(struct hcib *b, enum hcib_side from, const uint8_t *pkt,
	size_t len)
{
	if (!len)
		return;
	if (from == HCIB_SIDE_DUT) {
		if (!b->dut) {
			if (!b->dropped_from_dut++)
				say(b, "dropping what comes from the DUT's "
				       "side while no DUT runs");
			return;
		}
		if (pkt[0] == HCIB_PKT_CMD)
			from_dut_cmd(b, pkt, len);
		else
			to_ctrl(b, pkt, len);
		return;
	}
	if (pkt[0] == HCIB_PKT_EVT)
		from_ctrl_evt(b, pkt, len);
	else
		to_dut(b, pkt, len);
}

/* ---- the bridge's own actions ------------------------------------------- */

struct hcib *hcib_new(const struct hcib_ops *ops, void *data)
{
	struct hcib *b = g_new0(struct hcib, 1);

	b->ops = ops;
	b->data = data;
	b->links = g_array_new(FALSE, TRUE, sizeof(struct link));
	g_queue_init(&b->pending);
	b->dut = true;
	return b;
}

void hcib_free(struct hcib *b)
{
	if (!b)
		return;
	g_queue_clear_full(&b->pending, (GDestroyNotify)pending_free);
	g_array_free(b->links, TRUE);
	g_free(b);
}

void hcib_set_dut_present(struct hcib *b, bool present)
{
	if (b->dut == present)
		return;
	b->dut = present;
	b->dropped_from_dut = 0;
	if (!present) {
		/* the DUT's commands in flight die with it */
		for (GList *l = b->pending.head, *next; l; l = next) {
			struct pending *p = l->data;

			next = l->next;
			if (!p->ours) {
				p->ours = true;
				p->done = NULL;
			}
		}
	}
}

bool hcib_dut_present(const struct hcib *b)
{
	return b->dut;
}

unsigned hcib_links(const struct hcib *b)
{
	return b->links->len;
}

unsigned hcib_supervision_ms(const struct hcib *b)
{
	unsigned ms = 0;

	for (guint i = 0; i < b->links->len; i++)
		ms = MAX(ms,
			g_array_index(b->links, struct link, i).supervision_ms);
	return ms;
}

unsigned hcib_disconnect_all(struct hcib *b, uint8_t reason, bool tell_dut)
{
	unsigned n = 0;

	for (guint i = 0; i < b->links->len; i++) {
		struct link *l = &g_array_index(b->links, struct link, i);
		uint8_t p[3] = { (uint8_t)(l->handle & 0xff),
			(uint8_t)(l->handle >> 8), reason };

		if (l->ours)
			continue;
		l->ours = true;
		l->silent = !tell_dut;
		b->own_disconnects++;
		hcib_command(b, OP_DISCONNECT, p, 3, NULL, NULL);
		n++;
	}
	if (n && reason == HCIB_REASON_TIMEOUT && !tell_dut)
		shim(b, HCIB_SHIM_POWER_LOSS,
			"the DUT is gone with %u link(s) "
			"up and btvirt has no supervision timeout: after "
			"%u ms of silence the bridge disconnected them with "
			"reason 0x08 (Connection Timeout), what a central sees "
			"when its peer loses power",
			n, hcib_supervision_ms(b));
	else if (n)
		say(b, "disconnecting %u link(s) with reason 0x%02x", n,
			reason);
	return n;
}

void hcib_radio_off(struct hcib *b)
{
	static const uint8_t off1[] = { 0x00 };
	static const uint8_t off2[] = { 0x00, 0x00 };
	static const uint8_t ext_scan_off[] = { 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00 };
	bool any_set = false;

	for (unsigned i = 0; i < MAX_SETS; i++)
		any_set |= b->set_on[i];
	if (b->adv_on)
		hcib_command(b, OP_LE_SET_ADV_ENABLE, off1, 1, NULL, NULL);
	if (any_set)
		hcib_command(b, OP_LE_SET_EXT_ADV_ENABLE, off2, 2, NULL, NULL);
	if (b->scan_on)
		hcib_command(b, OP_LE_SET_SCAN_ENABLE, off2, 2, NULL, NULL);
	if (b->ext_scan_on)
		hcib_command(b, OP_LE_SET_EXT_SCAN_ENABLE, ext_scan_off,
			sizeof(ext_scan_off), NULL, NULL);
	if (b->adv_on || any_set || b->scan_on || b->ext_scan_on)
		say(b, "radio off: the DUT's advertising and scanning stop");
	b->adv_on = b->scan_on = b->ext_scan_on = false;
	memset(b->set_on, 0, sizeof(b->set_on));
}

bool hcib_readvertise(struct hcib *b, const char *why)
{
	static const uint8_t off[] = { 0x00 };
	static const uint8_t on[] = { 0x01 };
	uint8_t ext[2 + 4 * 16];
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_SETS && n < 16; i++) {
		if (!b->set_on[i])
			continue;
		ext[2 + (size_t)4 * n] = (uint8_t)i;
		memset(ext + 3 + (size_t)4 * n, 0,
			3); /* no duration, no limit */
		n++;
	}
	if (!b->dut || (!b->adv_on && !n))
		return false;
	/*
	 * Not while the DUT waits for an answer: it may be changing its
	 * advertising, and parameters cannot change while advertising is on.
	 * Between its commands the controller is as the DUT believes.
	 */
	for (GList *l = b->pending.head; l; l = l->next) {
		if (!((struct pending *)l->data)->ours) {
			say(b,
				"%s, but the DUT has a command in flight: "
				"advertising left as it is",
				why);
			return false;
		}
	}
	if (b->adv_on) {
		hcib_command(b, OP_LE_SET_ADV_ENABLE, off, 1, NULL, NULL);
		hcib_command(b, OP_LE_SET_ADV_ENABLE, on, 1, NULL, NULL);
	}
	if (n) {
		ext[0] = 0x00;
		ext[1] = (uint8_t)n;
		hcib_command(b, OP_LE_SET_EXT_ADV_ENABLE, ext,
			(uint8_t)(2 + 4 * n), NULL, NULL);
		ext[0] = 0x01;
		hcib_command(b, OP_LE_SET_EXT_ADV_ENABLE, ext,
			(uint8_t)(2 + 4 * n), NULL, NULL);
	}
	shim(b, HCIB_SHIM_READVERTISE,
		"%s; btvirt reports an advertiser "
		"only when advertising or scanning is enabled, so the "
		"bridge re-enabled the DUT's advertising",
		why);
	return true;
}

bool hcib_advertising(const struct hcib *b)
{
	bool any = b->adv_on;

	for (unsigned i = 0; i < MAX_SETS && !any; i++)
		any = b->set_on[i];
	return any;
}

const char *hcib_address(const struct hcib *b)
{
	return b->address;
}

const char *hcib_public_address(const struct hcib *b)
{
	return b->public_str;
}

unsigned hcib_shim_count(const struct hcib *b, enum hcib_shim s)
{
	return s < HCIB_SHIM_COUNT ? b->shims[s] : 0;
}

/* ---- H4 over a byte stream ---------------------------------------------- */

struct h4_reader {
	uint8_t buf[5 + 65535]; /* the longest: ACL, 4 + 1 header bytes */
	size_t have;
	size_t need; /* bytes of the whole packet, once known */
};

struct h4_reader *h4_reader_new(void)
{
	return g_new0(struct h4_reader, 1);
}

void h4_reader_free(struct h4_reader *r)
{
	g_free(r);
}

void h4_reader_reset(struct h4_reader *r)
{
	r->have = r->need = 0;
}

/* The header length of packet type @t, 0 if @t starts no packet. */
static size_t header_len(uint8_t t)
{
	switch (t) {
	case HCIB_PKT_CMD:
	case HCIB_PKT_SCO: return 3;
	case HCIB_PKT_ACL:
	case HCIB_PKT_ISO: return 4;
	case HCIB_PKT_EVT: return 2;
	default: return 0;
	}
}

static size_t packet_len(const uint8_t *p)
{
	switch (p[0]) {
	case HCIB_PKT_CMD:
	case HCIB_PKT_SCO: return 4u + p[3];
	case HCIB_PKT_ACL: return 5u + get16(p + 3);
	case HCIB_PKT_ISO: return 5u + (get16(p + 3) & 0x3fff);
	case HCIB_PKT_EVT: return 3u + p[2];
	default: return 0;
	}
}

size_t h4_reader_feed(struct h4_reader *r, const uint8_t *buf, size_t n,
	h4_packet_fn fn, void *data)
{
	size_t skipped = 0;

	for (size_t i = 0; i < n; i++) {
		if (!r->have && !header_len(buf[i])) {
			skipped++;
			continue;
		}
		r->buf[r->have++] = buf[i];
		if (!r->need && r->have == 1 + header_len(r->buf[0]))
			r->need = packet_len(r->buf);
		if (r->need && r->have == r->need) {
			fn(r->buf, r->have, data);
			r->have = r->need = 0;
		}
	}
	return skipped;
}
