/* SPDX-License-Identifier: MIT */
/*
 * rpa.c — resolvable private addresses as the simulator's air carries them:
 * a central with privacy on makes a new one from its IRK, a peripheral that
 * holds the IRK resolves it. Pure. The hash stands in for the Core
 * specification's ah() (AES-128 of the IRK over prand): the simulator models
 * who can resolve an address, not the cipher, so an HMAC-SHA256 truncated to
 * 24 bits does.
 */
#include <stdio.h>
#include <string.h>

#include "bondcheck/sim.h"

static bool parse(const char *addr, uint8_t b[6])
{
	if (!addr || strlen(addr) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = addr + (size_t)i * 3;
		int hi = g_ascii_xdigit_value(p[0]);
		int lo = g_ascii_xdigit_value(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* hash = ah(irk, prand): 3 bytes */
static void ah(const uint8_t irk[16], const uint8_t prand[3], uint8_t out[3])
{
	guint8 digest[32];
	gsize len = sizeof(digest);
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, irk, 16);

	g_hmac_update(h, prand, 3);
	g_hmac_get_digest(h, digest, &len);
	g_hmac_unref(h);
	memcpy(out, digest, 3);
}

void sim_rpa_new(const uint8_t irk[16], const uint8_t random[3],
	char out[SIM_ADDR_LEN])
{
	uint8_t prand[3], hash[3];

	memcpy(prand, random, 3);
	/* the two top bits of prand: 01, a resolvable private address;
	 * and not all zeros or all ones in the rest */
	prand[0] = (uint8_t)(0x40 | (prand[0] & 0x3f));
	if ((prand[0] & 0x3f) == 0 && !prand[1] && !prand[2])
		prand[2] = 1;
	if ((prand[0] & 0x3f) == 0x3f && prand[1] == 0xff && prand[2] == 0xff)
		prand[2] = 0xfe;
	ah(irk, prand, hash);
	g_snprintf(out, SIM_ADDR_LEN, "%02X:%02X:%02X:%02X:%02X:%02X", prand[0],
		prand[1], prand[2], hash[0], hash[1], hash[2]);
}

void sim_irk_of(const char *identity, uint8_t irk[16])
{
	guint8 digest[32];
	gsize len = sizeof(digest);
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(c, (const guchar *)"bondcheck-sim IRK ", 18);
	g_checksum_update(c, (const guchar *)identity,
		(gssize)strlen(identity));
	g_checksum_get_digest(c, digest, &len);
	g_checksum_free(c);
	memcpy(irk, digest, 16);
}

bool sim_addr_is_rpa(const char *addr)
{
	uint8_t b[6];

	return parse(addr, b) && (b[0] & 0xc0) == 0x40;
}

bool sim_rpa_resolves(const uint8_t irk[16], const char *addr)
{
	uint8_t b[6], hash[3];

	if (!parse(addr, b) || (b[0] & 0xc0) != 0x40)
		return false;
	ah(irk, b, hash);
	return memcmp(hash, b + 3, 3) == 0;
}
