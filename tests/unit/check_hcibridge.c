/* SPDX-License-Identifier: MIT */
/*
 * check_hcibridge.c — bondcheck-bridge's packet logic: what reaches the
 * controller and the DUT for each packet, each shim with the HCI exchange
 * that needs it (doc/own-firmware.md), the links it tracks, the DUT's
 * advertising address, H4 framing over a byte stream, and broken packets
 * passed on untouched.
 */
#include <check.h>
#include <string.h>
#include <glib.h>

#include "vm/hcibridge.h"
#include "suites.h"

struct rig {
	struct hcib *b;
	GPtrArray *ctrl; /* GBytes sent to the controller */
	GPtrArray *dut;  /* ... and to the DUT */
	GPtrArray *logs;
	char adv[18];
	int advertised;
	int links_down;
	int done_status;
	int done_calls;
};

static void rig_send(enum hcib_side to, const uint8_t *pkt, size_t len,
	void *data)
{
	struct rig *r = data;

	g_ptr_array_add(to == HCIB_SIDE_CTRL ? r->ctrl : r->dut,
		g_bytes_new(pkt, len));
}

static void rig_log(const char *line, void *data)
{
	struct rig *r = data;

	g_ptr_array_add(r->logs, g_strdup(line));
}

static void rig_adv(const char *address, void *data)
{
	struct rig *r = data;

	g_strlcpy(r->adv, address, sizeof(r->adv));
	r->advertised++;
}

static void rig_down(void *data)
{
	struct rig *r = data;

	r->links_down++;
}

static const struct hcib_ops rig_ops = {
	rig_send,
	rig_log,
	rig_adv,
	rig_down,
};

static struct rig *rig_new(void)
{
	struct rig *r = g_new0(struct rig, 1);

	r->ctrl = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->dut = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->logs = g_ptr_array_new_with_free_func(g_free);
	r->b = hcib_new(&rig_ops, r);
	return r;
}

static void rig_free(struct rig *r)
{
	hcib_free(r->b);
	g_ptr_array_free(r->ctrl, TRUE);
	g_ptr_array_free(r->dut, TRUE);
	g_ptr_array_free(r->logs, TRUE);
	g_free(r);
}

static void rig_clear(struct rig *r)
{
	g_ptr_array_set_size(r->ctrl, 0);
	g_ptr_array_set_size(r->dut, 0);
}

static bool sent_is(GPtrArray *a, guint i, const uint8_t *want, size_t n)
{
	gsize len;
	const uint8_t *d;

	if (i >= a->len)
		return false;
	d = g_bytes_get_data(g_ptr_array_index(a, i), &len);
	return len == n && !memcmp(d, want, n);
}

static bool logged(struct rig *r, const char *part)
{
	for (guint i = 0; i < r->logs->len; i++)
		if (strstr(g_ptr_array_index(r->logs, i), part))
			return true;
	return false;
}

#define IN(r, side, ...)                                     \
	do {                                                 \
		static const uint8_t p_[] = { __VA_ARGS__ }; \
		hcib_input((r)->b, side, p_, sizeof(p_));    \
	} while (0)
#define SENT(a, i, ...)                                                \
	do {                                                           \
		static const uint8_t w_[] = { __VA_ARGS__ };           \
		ck_assert_msg(sent_is(a, i, w_, sizeof(w_)),           \
			"packet %u of %s differs", (unsigned)(i), #a); \
	} while (0)

/* LE Connection Complete: handle 0x0040, the DUT peripheral, 420 ms */
#define LE_CONN                                                               \
	0x04, 0x3e, 19, 0x01, 0x00, 0x40, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, \
		0x04, 0x05, 0x06, 0x18, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00

START_TEST(packets_pass_through_both_ways)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_DUT, 0x01, 0x01, 0x10, 0x00); /* Read Local Version */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x01, 0x10, 0x00);
	IN(r, HCIB_SIDE_DUT, 0x02, 0x40, 0x00, 0x01, 0x00, 0xaa);
	IN(r, HCIB_SIDE_CTRL, 0x02, 0x40, 0x20, 0x01, 0x00, 0xbb);
	SENT(r->ctrl, 0, 0x01, 0x01, 0x10, 0x00);
	SENT(r->ctrl, 1, 0x02, 0x40, 0x00, 0x01, 0x00, 0xaa);
	SENT(r->dut, 0, 0x04, 0x0e, 0x04, 0x01, 0x01, 0x10, 0x00);
	SENT(r->dut, 1, 0x02, 0x40, 0x20, 0x01, 0x00, 0xbb);
	ck_assert_uint_eq(r->ctrl->len, 2);
	ck_assert_uint_eq(r->dut->len, 2);
	rig_free(r);
}
END_TEST

/* Broken lengths: forwarded untouched, nothing read past the end. */
START_TEST(broken_packets_are_forwarded_untouched)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_DUT, 0x01, 0x06, 0x20, 0x0f, 0x00);  /* says 15 */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x09, 0x01);       /* says 9 */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x3e, 0x02, 0x01, 0x00); /* short conn */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x05, 0x01, 0x00);       /* short disc */
	IN(r, HCIB_SIDE_CTRL, 0x04);
	SENT(r->ctrl, 0, 0x01, 0x06, 0x20, 0x0f, 0x00);
	SENT(r->dut, 0, 0x04, 0x0e, 0x09, 0x01);
	SENT(r->dut, 1, 0x04, 0x3e, 0x02, 0x01, 0x00);
	SENT(r->dut, 2, 0x04, 0x05, 0x01, 0x00);
	SENT(r->dut, 3, 0x04);
	ck_assert_uint_eq(hcib_links(r->b), 0);
	rig_free(r);
}
END_TEST

/*
 * Set Event Mask Page 2: btvirt says Unknown HCI Command (as Command
 * Status or Command Complete); the DUT gets success. A success passes.
 */
static const struct {
	const char *name;
	uint8_t answer[8];
	size_t n;
	bool shimmed;
} emp2[] = {
	{ "command status 0x01", { 0x04, 0x0f, 0x04, 0x01, 0x01, 0x63, 0x0c },
		7, true },
	{ "command complete 0x01", { 0x04, 0x0e, 0x04, 0x01, 0x63, 0x0c, 0x01 },
		7, true },
	{ "command complete 0x00", { 0x04, 0x0e, 0x04, 0x01, 0x63, 0x0c, 0x00 },
		7, false },
	{ "command complete 0x12", { 0x04, 0x0e, 0x04, 0x01, 0x63, 0x0c, 0x12 },
		7, false },
};

START_TEST(event_mask_page_2_rejected_is_answered_success)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_DUT, 0x01, 0x63, 0x0c, 0x08, 0, 0, 0, 0, 0, 0, 0, 0);
	hcib_input(r->b, HCIB_SIDE_CTRL, emp2[_i].answer, emp2[_i].n);
	ck_assert_uint_eq(r->dut->len, 1);
	if (emp2[_i].shimmed) {
		SENT(r->dut, 0, 0x04, 0x0e, 0x04, 0x01, 0x63, 0x0c, 0x00);
		ck_assert(logged(r, "shim event-mask-page-2"));
	} else {
		ck_assert(sent_is(r->dut, 0, emp2[_i].answer, emp2[_i].n));
	}
	ck_assert_uint_eq(hcib_shim_count(r->b, HCIB_SHIM_EVENT_MASK_PAGE_2),
		emp2[_i].shimmed ? 1 : 0);
	rig_free(r);
}
END_TEST

/* Own address type 0x02/0x03 -> 0x00/0x01, legacy and extended. */
static const struct {
	uint16_t opcode;
	uint8_t at; /* offset of own address type */
	uint8_t own, sent;
} owns[] = {
	{ 0x2006, 5, 0x00, 0x00 },
	{ 0x2006, 5, 0x01, 0x01 },
	{ 0x2006, 5, 0x02, 0x00 },
	{ 0x2006, 5, 0x03, 0x01 },
	{ 0x2036, 10, 0x02, 0x00 },
	{ 0x2036, 10, 0x03, 0x01 },
	{ 0x2036, 10, 0x01, 0x01 },
};

START_TEST(own_address_type_rpa_becomes_identity)
{
	struct rig *r = rig_new();
	uint8_t cmd[4 + 25] = { 0x01 };
	uint8_t plen = owns[_i].opcode == 0x2006 ? 15 : 25;
	uint8_t want[sizeof(cmd)];

	cmd[1] = (uint8_t)(owns[_i].opcode & 0xff);
	cmd[2] = (uint8_t)(owns[_i].opcode >> 8);
	cmd[3] = plen;
	cmd[4 + owns[_i].at] = owns[_i].own;
	memcpy(want, cmd, sizeof(cmd));
	want[4 + owns[_i].at] = owns[_i].sent;
	hcib_input(r->b, HCIB_SIDE_DUT, cmd, 4u + plen);
	ck_assert(sent_is(r->ctrl, 0, want, 4u + plen));
	ck_assert_uint_eq(hcib_shim_count(r->b, HCIB_SHIM_OWN_ADDRESS_TYPE),
		owns[_i].own != owns[_i].sent);
	rig_free(r);
}
END_TEST

START_TEST(links_are_tracked_with_their_supervision_timeout)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_CTRL, LE_CONN);
	ck_assert_uint_eq(hcib_links(r->b), 1);
	ck_assert_uint_eq(hcib_supervision_ms(r->b), 420);
	/* LE Connection Update Complete: 2 s */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x3e, 0x0a, 0x03, 0x00, 0x40, 0x00, 0x18,
		0x00, 0x00, 0x00, 0xc8, 0x00);
	ck_assert_uint_eq(hcib_supervision_ms(r->b), 2000);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13);
	ck_assert_uint_eq(hcib_links(r->b), 0);
	ck_assert_int_eq(r->links_down, 1);
	ck_assert_uint_eq(r->dut->len, 3); /* all three reached the DUT */
	rig_free(r);
}
END_TEST

/*
 * btvirt drops links silently on HCI Reset: the bridge disconnects them
 * (0x08) first; the DUT does not hear of it, then gets its Reset answer.
 */
START_TEST(reset_with_a_link_up_times_the_link_out_first)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_CTRL, LE_CONN);
	rig_clear(r);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x03, 0x0c, 0x00);
	SENT(r->ctrl, 0, 0x01, 0x06, 0x04, 0x03, 0x40, 0x00, 0x08);
	SENT(r->ctrl, 1, 0x01, 0x03, 0x0c, 0x00);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0f, 0x04, 0x00, 0x01, 0x06, 0x04);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x08);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	ck_assert_uint_eq(r->dut->len, 1);
	SENT(r->dut, 0, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	ck_assert_uint_eq(hcib_links(r->b), 0);
	ck_assert_uint_eq(hcib_shim_count(r->b, HCIB_SHIM_LINK_LOSS_ON_RESET),
		1);
	/* a reset with no link up needs nothing */
	rig_clear(r);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x03, 0x0c, 0x00);
	ck_assert_uint_eq(r->ctrl->len, 1);
	ck_assert_uint_eq(hcib_shim_count(r->b, HCIB_SHIM_LINK_LOSS_ON_RESET),
		1);
	rig_free(r);
}
END_TEST

/* A hard reboot: no DUT, the link timed out with 0x08, nobody told. */
START_TEST(power_loss_drops_links_with_connection_timeout)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_CTRL, LE_CONN);
	rig_clear(r);
	hcib_set_dut_present(r->b, false);
	/* the central keeps talking to a DUT that is gone */
	IN(r, HCIB_SIDE_CTRL, 0x02, 0x40, 0x20, 0x01, 0x00, 0xbb);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x03, 0x0c, 0x00);
	ck_assert_uint_eq(hcib_disconnect_all(r->b, HCIB_REASON_TIMEOUT, false),
		1);
	SENT(r->ctrl, 0, 0x01, 0x06, 0x04, 0x03, 0x40, 0x00, 0x08);
	ck_assert_uint_eq(r->ctrl->len, 1);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0f, 0x04, 0x00, 0x01, 0x06, 0x04);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x08);
	ck_assert_uint_eq(r->dut->len, 0);
	ck_assert_int_eq(r->links_down, 1);
	ck_assert_uint_eq(hcib_shim_count(r->b, HCIB_SHIM_POWER_LOSS), 1);
	ck_assert(logged(r, "reason 0x08"));
	rig_free(r);
}
END_TEST

/* A graceful reboot: the DUT sees its link end (and saves its keys). */
START_TEST(graceful_disconnect_is_seen_by_the_dut)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_CTRL, LE_CONN);
	rig_clear(r);
	ck_assert_uint_eq(hcib_disconnect_all(r->b, HCIB_REASON_REMOTE_USER,
				  true),
		1);
	SENT(r->ctrl, 0, 0x01, 0x06, 0x04, 0x03, 0x40, 0x00, 0x13);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0f, 0x04, 0x00, 0x01, 0x06, 0x04);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13);
	ck_assert_uint_eq(r->dut->len, 1);
	SENT(r->dut, 0, 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13);
	ck_assert_int_eq(r->links_down, 1);
	ck_assert_uint_eq(hcib_shim_count(r->b, HCIB_SHIM_POWER_LOSS), 0);
	/* nothing left to disconnect */
	ck_assert_uint_eq(hcib_disconnect_all(r->b, 0x13, true), 0);
	rig_free(r);
}
END_TEST

static void done(int status, void *data)
{
	struct rig *r = data;

	r->done_status = status;
	r->done_calls++;
}

/* The bridge's own commands: answered to it, never to the DUT. */
START_TEST(own_commands_are_answered_to_the_bridge)
{
	struct rig *r = rig_new();

	hcib_command(r->b, 0x0c03, NULL, 0, done, r);
	SENT(r->ctrl, 0, 0x01, 0x03, 0x0c, 0x00);
	/* the DUT's Reset of the same opcode was sent after ours */
	IN(r, HCIB_SIDE_DUT, 0x01, 0x03, 0x0c, 0x00);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x0c);
	ck_assert_int_eq(r->done_calls, 1);
	ck_assert_int_eq(r->done_status, 0x0c);
	ck_assert_uint_eq(r->dut->len, 0);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	ck_assert_int_eq(r->done_calls, 1);
	SENT(r->dut, 0, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	/* a Command Complete nobody asked for (ncmd) goes to the DUT */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x03, 0x01, 0x00, 0x00);
	ck_assert_uint_eq(r->dut->len, 2);
	rig_free(r);
}
END_TEST

/* The DUT's commands in flight when it dies are nobody's to answer. */
START_TEST(answers_for_a_dead_dut_are_dropped)
{
	struct rig *r = rig_new();

	IN(r, HCIB_SIDE_DUT, 0x01, 0x01, 0x10, 0x00);
	hcib_set_dut_present(r->b, false);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x01, 0x10, 0x00);
	hcib_set_dut_present(r->b, true);
	ck_assert_uint_eq(r->dut->len, 0);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x01, 0x10, 0x00);
	ck_assert_uint_eq(r->dut->len, 1);
	rig_free(r);
}
END_TEST

static void advertise(struct rig *r, uint8_t own)
{
	uint8_t params[4 + 15] = { 0x01, 0x06, 0x20, 15 };

	params[4 + 5] = own;
	hcib_input(r->b, HCIB_SIDE_DUT, params, sizeof(params));
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x06, 0x20, 0x00);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x0a, 0x20, 0x01, 0x01);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x0a, 0x20, 0x00);
}

START_TEST(advertising_reports_the_address_centrals_see)
{
	struct rig *r = rig_new();

	hcib_command(r->b, 0x1009, NULL, 0, NULL, NULL);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x01,
		0x00, 0x00, 0x01, 0xaa, 0x00);
	ck_assert_str_eq(hcib_public_address(r->b), "00:AA:01:00:00:01");
	advertise(r, 0x02); /* shimmed to public */
	ck_assert_int_eq(r->advertised, 1);
	ck_assert_str_eq(r->adv, "00:AA:01:00:00:01");
	ck_assert(hcib_advertising(r->b));
	/* a static random address */
	IN(r, HCIB_SIDE_DUT, 0x01, 0x05, 0x20, 0x06, 0x42, 0x13, 0x00, 0xee,
		0xff, 0xc0);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x05, 0x20, 0x00);
	advertise(r, 0x01);
	ck_assert_int_eq(r->advertised, 2);
	ck_assert_str_eq(hcib_address(r->b), "C0:FF:EE:00:13:42");
	/* a connection ends connectable advertising */
	IN(r, HCIB_SIDE_CTRL, LE_CONN);
	ck_assert(!hcib_advertising(r->b));
	rig_free(r);
}
END_TEST

START_TEST(extended_advertising_is_tracked_per_set)
{
	struct rig *r = rig_new();
	uint8_t params[4 + 25] = { 0x01, 0x36, 0x20, 25, 0x03 };

	IN(r, HCIB_SIDE_DUT, 0x01, 0x35, 0x20, 0x07, 0x03, 0x01, 0x02, 0x03,
		0x04, 0x05, 0xc6);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x35, 0x20, 0x00);
	params[4 + 10] = 0x01;
	hcib_input(r->b, HCIB_SIDE_DUT, params, sizeof(params));
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x05, 0x01, 0x36, 0x20, 0x00, 0x00);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x39, 0x20, 0x06, 0x01, 0x01, 0x03, 0x00,
		0x00, 0x00);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x39, 0x20, 0x00);
	ck_assert_int_eq(r->advertised, 1);
	ck_assert_str_eq(r->adv, "C6:05:04:03:02:01");
	rig_clear(r);
	ck_assert(hcib_readvertise(r->b, "a central scans"));
	SENT(r->ctrl, 0, 0x01, 0x39, 0x20, 0x06, 0x00, 0x01, 0x03, 0, 0, 0);
	SENT(r->ctrl, 1, 0x01, 0x39, 0x20, 0x06, 0x01, 0x01, 0x03, 0, 0, 0);
	/* the set ends with a connection: LE Advertising Set Terminated */
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x3e, 0x06, 0x12, 0x00, 0x03, 0x40, 0x00,
		0x00);
	ck_assert(!hcib_advertising(r->b));
	rig_free(r);
}
END_TEST

/* Re-advertising: off and on again, both answers swallowed. */
START_TEST(readvertise_toggles_advertising_unseen_by_the_dut)
{
	struct rig *r = rig_new();

	ck_assert(!hcib_readvertise(r->b, "nothing to re-enable"));
	ck_assert_uint_eq(r->ctrl->len, 0);
	advertise(r, 0x00);
	rig_clear(r);
	ck_assert(hcib_readvertise(r->b, "hci0 discovers"));
	SENT(r->ctrl, 0, 0x01, 0x0a, 0x20, 0x01, 0x00);
	SENT(r->ctrl, 1, 0x01, 0x0a, 0x20, 0x01, 0x01);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x0a, 0x20, 0x00);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x0a, 0x20, 0x00);
	ck_assert_uint_eq(r->dut->len, 0);
	ck_assert_int_eq(r->advertised, 1);
	ck_assert(hcib_advertising(r->b));
	ck_assert(logged(r, "shim readvertise: hci0 discovers"));
	/* nor while the DUT waits for an answer of its own */
	rig_clear(r);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x08, 0x20, 0x01, 0x00);
	ck_assert(!hcib_readvertise(r->b, "hci0 discovers"));
	ck_assert_uint_eq(r->ctrl->len, 1);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x08, 0x20, 0x00);
	ck_assert(hcib_readvertise(r->b, "hci0 discovers"));
	ck_assert_uint_eq(r->ctrl->len, 3);
	/* no re-enabling for a DUT that is gone */
	hcib_set_dut_present(r->b, false);
	ck_assert(!hcib_readvertise(r->b, "hci0 discovers"));
	rig_free(r);
}
END_TEST

START_TEST(radio_off_stops_advertising_and_scanning)
{
	struct rig *r = rig_new();

	advertise(r, 0x00);
	IN(r, HCIB_SIDE_DUT, 0x01, 0x0c, 0x20, 0x02, 0x01, 0x00);
	IN(r, HCIB_SIDE_CTRL, 0x04, 0x0e, 0x04, 0x01, 0x0c, 0x20, 0x00);
	rig_clear(r);
	hcib_radio_off(r->b);
	SENT(r->ctrl, 0, 0x01, 0x0a, 0x20, 0x01, 0x00);
	SENT(r->ctrl, 1, 0x01, 0x0c, 0x20, 0x02, 0x00, 0x00);
	ck_assert(!hcib_advertising(r->b));
	rig_clear(r);
	hcib_radio_off(r->b);
	ck_assert_uint_eq(r->ctrl->len, 0);
	rig_free(r);
}
END_TEST

/* H4 over a byte stream */
struct got {
	GPtrArray *pkts;
};

static void got_pkt(const uint8_t *pkt, size_t len, void *data)
{
	struct got *g = data;

	g_ptr_array_add(g->pkts, g_bytes_new(pkt, len));
}

START_TEST(h4_stream_is_cut_into_packets)
{
	static const uint8_t stream[] = {
		0x00, 0xff,                                     /* noise */
		0x01, 0x03, 0x0c, 0x00,                         /* Reset */
		0x02, 0x40, 0x00, 0x03, 0x00, 0x01, 0x02, 0x03, /* ACL */
		0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00,       /* CC */
		0x05, 0x01, 0x00, 0x01, 0x40, 0x09, /* ISO, 14-bit len */
		0x03, 0x01, 0x00, 0x01, 0x07,       /* SCO */
	};
	struct h4_reader *rd = h4_reader_new();
	struct got g = {
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)
	};
	size_t skipped = 0;

	/* byte by byte: every split point */
	for (size_t i = 0; i < sizeof(stream); i++)
		skipped += h4_reader_feed(rd, stream + i, 1, got_pkt, &g);
	ck_assert_uint_eq(skipped, 2);
	ck_assert_uint_eq(g.pkts->len, 5);
	ck_assert(sent_is(g.pkts, 0, stream + 2, 4));
	ck_assert(sent_is(g.pkts, 1, stream + 6, 8));
	ck_assert(sent_is(g.pkts, 2, stream + 14, 7));
	ck_assert(sent_is(g.pkts, 3, stream + 21, 6));
	ck_assert(sent_is(g.pkts, 4, stream + 27, 5));
	/* all at once */
	g_ptr_array_set_size(g.pkts, 0);
	ck_assert_uint_eq(h4_reader_feed(rd, stream, sizeof(stream), got_pkt,
				  &g),
		2);
	ck_assert_uint_eq(g.pkts->len, 5);
	/* a partial packet is forgotten on reset */
	g_ptr_array_set_size(g.pkts, 0);
	h4_reader_feed(rd, stream + 2, 2, got_pkt, &g);
	h4_reader_reset(rd);
	h4_reader_feed(rd, stream + 14, 7, got_pkt, &g);
	ck_assert_uint_eq(g.pkts->len, 1);
	ck_assert(sent_is(g.pkts, 0, stream + 14, 7));
	g_ptr_array_free(g.pkts, TRUE);
	h4_reader_free(rd);
}
END_TEST

/* The longest packets the framing allows: no byte past the buffer. */
START_TEST(h4_longest_packets_fit)
{
	static const uint8_t heads[][5] = {
		{ 0x02, 0x40, 0x00, 0xff, 0xff }, /* ACL, 65535 bytes */
		{ 0x05, 0x40, 0x00, 0xff, 0x3f }, /* ISO, 16383 bytes */
		{ 0x04, 0x3e, 0xff },             /* event, 255 bytes */
	};
	static const size_t lens[] = { 5 + 65535, 5 + 16383, 3 + 255 };
	static const size_t hl[] = { 5, 5, 3 };
	struct h4_reader *rd = h4_reader_new();
	struct got g = {
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)
	};
	uint8_t *pkt = g_malloc0(5 + 65535);

	for (size_t i = 0; i < G_N_ELEMENTS(heads); i++) {
		memset(pkt, 0xa5, lens[i]);
		memcpy(pkt, heads[i], hl[i]);
		g_ptr_array_set_size(g.pkts, 0);
		ck_assert_uint_eq(h4_reader_feed(rd, pkt, lens[i], got_pkt, &g),
			0);
		ck_assert_uint_eq(g.pkts->len, 1);
		ck_assert(sent_is(g.pkts, 0, pkt, lens[i]));
	}
	g_free(pkt);
	g_ptr_array_free(g.pkts, TRUE);
	h4_reader_free(rd);
}
END_TEST

START_TEST(every_shim_has_a_name)
{
	for (int s = 0; s < HCIB_SHIM_COUNT; s++)
		ck_assert_str_ne(hcib_shim_to_str((enum hcib_shim)s), "?");
	ck_assert_str_eq(hcib_shim_to_str(HCIB_SHIM_COUNT), "?");
}
END_TEST

Suite *hcibridge_suite(void)
{
	Suite *s = suite_create("hcibridge");
	TCase *tc = tcase_create("hcibridge");

	tcase_add_test(tc, packets_pass_through_both_ways);
	tcase_add_test(tc, broken_packets_are_forwarded_untouched);
	tcase_add_loop_test(tc, event_mask_page_2_rejected_is_answered_success,
		0, G_N_ELEMENTS(emp2));
	tcase_add_loop_test(tc, own_address_type_rpa_becomes_identity, 0,
		G_N_ELEMENTS(owns));
	tcase_add_test(tc, links_are_tracked_with_their_supervision_timeout);
	tcase_add_test(tc, reset_with_a_link_up_times_the_link_out_first);
	tcase_add_test(tc, power_loss_drops_links_with_connection_timeout);
	tcase_add_test(tc, graceful_disconnect_is_seen_by_the_dut);
	tcase_add_test(tc, own_commands_are_answered_to_the_bridge);
	tcase_add_test(tc, answers_for_a_dead_dut_are_dropped);
	tcase_add_test(tc, advertising_reports_the_address_centrals_see);
	tcase_add_test(tc, extended_advertising_is_tracked_per_set);
	tcase_add_test(tc, readvertise_toggles_advertising_unseen_by_the_dut);
	tcase_add_test(tc, radio_off_stops_advertising_and_scanning);
	tcase_add_test(tc, h4_stream_is_cut_into_packets);
	tcase_add_test(tc, h4_longest_packets_fit);
	tcase_add_test(tc, every_shim_has_a_name);
	suite_add_tcase(s, tc);
	return s;
}
