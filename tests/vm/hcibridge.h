/* SPDX-License-Identifier: MIT */
/*
 * hcibridge.h — what bondcheck-bridge does to the HCI packets between a
 * DUT's own Bluetooth stack and btvirt's virtual controller (hci1 in the
 * QEMU guest): it forwards them, keeps track of the links and of the DUT's
 * advertising, and covers btvirt's gaps as shims, each logged when used.
 *
 * Pure packet logic: it never reads or writes a file descriptor, never
 * starts or kills a process and never waits; bridge.c moves the bytes and
 * owns the timers. Every packet is H4-framed (its first byte is the packet
 * type) and comes from outside: lengths are checked before any field is
 * read, and a malformed packet is forwarded untouched, never parsed past
 * its end.
 */
#ifndef BONDCHECK_HCIBRIDGE_H
#define BONDCHECK_HCIBRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HCIB_PKT_CMD 0x01
#define HCIB_PKT_ACL 0x02
#define HCIB_PKT_SCO 0x03
#define HCIB_PKT_EVT 0x04
#define HCIB_PKT_ISO 0x05

/* HCI error codes the bridge uses as disconnect reasons */
#define HCIB_REASON_TIMEOUT     0x08 /* Connection Timeout (supervision) */
#define HCIB_REASON_REMOTE_USER 0x13 /* Remote User Terminated */

enum hcib_side {
	HCIB_SIDE_DUT,  /* the DUT's stack (pty or user channel) */
	HCIB_SIDE_CTRL, /* btvirt's controller */
};

/* The gaps of btvirt (BlueZ 5.66) the bridge covers; doc/own-firmware.md */
enum hcib_shim {
	HCIB_SHIM_EVENT_MASK_PAGE_2, /* rejected; real 4.1+ controllers accept */
	HCIB_SHIM_OWN_ADDRESS_TYPE,  /* 0x02/0x03 break every connection */
	HCIB_SHIM_READVERTISE,       /* reports an advertiser only on enable */
	HCIB_SHIM_LINK_LOSS_ON_RESET, /* HCI Reset drops links silently */
	HCIB_SHIM_POWER_LOSS,         /* a killed DUT: the peer must time out */
	HCIB_SHIM_COUNT,
};

const char *hcib_shim_to_str(enum hcib_shim shim);

struct hcib_ops {
	/* one whole H4 packet to @to */
	void (*send)(enum hcib_side to, const uint8_t *pkt, size_t len,
		void *data);
	/* one line for the bridge's log (shims, links, the DUT's state) */
	void (*log)(const char *line, void *data);
	/* the DUT enabled advertising; @address is what centrals see */
	void (*advertising)(const char *address, void *data);
	/* the last link is gone */
	void (*links_down)(void *data);
};

struct hcib;

struct hcib *hcib_new(const struct hcib_ops *ops, void *data);
void hcib_free(struct hcib *b);

/* A whole H4 packet that arrived from @from. */
void hcib_input(struct hcib *b, enum hcib_side from, const uint8_t *pkt,
	size_t len);

/*
 * Whether a DUT is there. Without one (the process is gone: power loss)
 * nothing is sent to the DUT's side and what comes from it is dropped; the
 * bridge still tracks links and answers its own commands.
 */
void hcib_set_dut_present(struct hcib *b, bool present);
bool hcib_dut_present(const struct hcib *b);

unsigned hcib_links(const struct hcib *b);
/* The longest supervision timeout of the links up, in ms (0: none up). */
unsigned hcib_supervision_ms(const struct hcib *b);

/*
 * Disconnect every link with @reason (HCI Disconnect from the bridge).
 * @tell_dut: the DUT gets the Disconnection Complete events (a graceful
 * reboot: the firmware sees its link end); otherwise they are swallowed.
 * Returns the number of links being disconnected; links_down follows.
 */
unsigned hcib_disconnect_all(struct hcib *b, uint8_t reason, bool tell_dut);

/* Power loss: the radio goes quiet (advertising and scanning off). */
void hcib_radio_off(struct hcib *b);

/*
 * A command of the bridge's own; its Command Complete or Command Status
 * goes to @done (status, or -1 if the controller answered with nothing
 * parseable), never to the DUT.
 */
typedef void (*hcib_done_fn)(int status, void *data);
void hcib_command(struct hcib *b, uint16_t opcode, const uint8_t *params,
	uint8_t len, hcib_done_fn done, void *data);

/*
 * Advertising off and on again (the DUT's own parameters and data stay),
 * so that btvirt reports the advertiser to a central that scans now.
 * Returns false when the DUT does not advertise, or has a command of its
 * own in flight (it may be changing its advertising).
 */
bool hcib_readvertise(struct hcib *b, const char *why);

bool hcib_advertising(const struct hcib *b);
/* The address the DUT advertises with ("AA:BB:..."), "" if not known. */
const char *hcib_address(const struct hcib *b);
/* The controller's public address, "" until Read BD_ADDR was answered. */
const char *hcib_public_address(const struct hcib *b);
unsigned hcib_shim_count(const struct hcib *b, enum hcib_shim shim);

/*
 * H4 over a byte stream (a UART or a pty): whole packets out of the bytes
 * as they come. Bytes that cannot start a packet are skipped and counted.
 */
struct h4_reader;
typedef void (*h4_packet_fn)(const uint8_t *pkt, size_t len, void *data);

struct h4_reader *h4_reader_new(void);
void h4_reader_free(struct h4_reader *r);
/* Feed @n bytes; @fn for every packet they complete. Bytes skipped. */
size_t h4_reader_feed(struct h4_reader *r, const uint8_t *buf, size_t n,
	h4_packet_fn fn, void *data);
/* Forget a partial packet (the stream was reopened). */
void h4_reader_reset(struct h4_reader *r);

#endif
