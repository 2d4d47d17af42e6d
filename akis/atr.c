/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ATR → AKİS profile, version, chip (docs/card.md §1).
 *
 * The ATR is parsed per ISO 7816-3 §8.2 (T0, interface bytes chained by
 * TDi, K historical bytes, TCK when a protocol other than T=0 is offered)
 * through the bounded reader, the TCK is checked (XOR of T0..TCK = 0), and
 * the historical bytes are matched against a table of forms:
 *   1.x: "UEKAE" followed by the version word (high byte major.minor, low
 *        nibble of the low byte the chip), or "UEKAE V1.0";
 *   2.x: category 80, tag 6 len 5 "TC…" (80 65 54 43 …), ending with the
 *        life-cycle status 81 05.
 * Known full ATRs refine the version string.
 */
#include <stdio.h>
#include <string.h>

#include "akis.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

#define ATR_HIST_MAX 15u

struct atr_known {
	uint8_t hist[ATR_HIST_MAX];
	size_t hist_len;
	const char *version;
	const char *chip;
};

/* Historical bytes of ATRs whose version the doc names (docs/card.md §1). */
static const struct atr_known atr_known[] = {
        {{0x55, 0x45, 0x4B, 0x41, 0x45, 0x20, 0x56, 0x31, 0x2E, 0x30}, 10, "1.0", ""},
        {{0x80, 0x67, 0x55, 0x45, 0x4B, 0x41, 0x45, 0x12, 0x92, 0x31, 0x80, 0x73, 0xB3, 0xA1, 0x80},
         15,
         "1.2.2",
         "Infineon"},
        {{0x80, 0x65, 0x54, 0x43, 0x53, 0x22, 0x82, 0x31, 0xC0, 0x73, 0xF6, 0x21, 0x80, 0x81, 0x05},
         15,
         "2.5.2",
         "NXP"},
        {{0x80, 0x65, 0x54, 0x43, 0xD2, 0x21, 0x08, 0x31, 0xC0, 0x73, 0xF6, 0x21, 0x80, 0x81, 0x05},
         15,
         "2.2.8",
         ""},
};

static const uint8_t uekae[] = {0x55, 0x45, 0x4B, 0x41, 0x45};     /* "UEKAE" */
static const uint8_t uekae_v10[] = {0x20, 0x56, 0x31, 0x2E, 0x30}; /* " V1.0" */
static const uint8_t tc_prefix[] = {0x80, 0x65, 0x54, 0x43};       /* 80, tag 6 len 5, "TC" */
static const uint8_t life_cycle_tail[] = {0x81, 0x05};

/* Split an ATR into its historical bytes; check TCK. ISO 7816-3 §8.2. */
static bool atr_parse(const uint8_t *atr, size_t len, uint8_t *hist, size_t *hist_len)
{
	struct rd r = rd_init(atr, len);
	uint8_t ts, t0, y, td = 0, b;
	bool tck_needed = false;
	if (!rd_u8(&r, &ts) || (ts != 0x3B && ts != 0x3F) || !rd_u8(&r, &t0))
		return false;
	*hist_len = t0 & 0x0Fu;
	y = t0 >> 4;
	for (;;) {
		for (unsigned bit = 0; bit < 3; bit++)
			if ((y & (1u << bit)) && !rd_u8(&r, &b))
				return false;
		if (!(y & 0x08u))
			break;
		if (!rd_u8(&r, &td))
			return false;
		if ((td & 0x0Fu) != 0)
			tck_needed = true;
		y = td >> 4;
	}
	if (!rd_bytes(&r, hist, *hist_len))
		return false;
	if (tck_needed) {
		uint8_t x = 0;
		struct rd all = rd_init(atr + 1, len - 1);
		while (rd_u8(&all, &b))
			x ^= b;
		if (x != 0 || !rd_skip(&r, 1))
			return false;
	}
	return rd_empty(&r);
}

static bool find_bytes(const uint8_t *h, size_t n, const uint8_t *pat, size_t m, size_t *at)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(h + i, pat, m) == 0) {
			*at = i;
			return true;
		}
	return false;
}

/* 1.x: "UEKAE" + version word, or "UEKAE V1.0". */
static bool match_1x(const uint8_t *h, size_t n, struct akis_atr_info *info)
{
	size_t at;
	if (!find_bytes(h, n, uekae, sizeof uekae, &at))
		return false;
	struct rd r = rd_init(h + at + sizeof uekae, n - at - sizeof uekae);
	uint8_t vhi, vlo;
	if (rd_left(&r) >= sizeof uekae_v10 && memcmp(r.p, uekae_v10, sizeof uekae_v10) == 0) {
		info->profile = AKIS_PROFILE_1_0;
		snprintf(info->version, sizeof info->version, "1.0");
		return true;
	}
	if (!rd_u8(&r, &vhi) || !rd_u8(&r, &vlo) || (vhi >> 4) != 1)
		return false;
	info->profile = (vhi == 0x10) ? AKIS_PROFILE_1_0 : AKIS_PROFILE_1_2;
	snprintf(info->version, sizeof info->version, "%u.%u", vhi >> 4, vhi & 0x0Fu);
	/* Low nibble 2 is the Infineon chip of the 1.2.2 ATR; others unknown. */
	snprintf(info->chip, sizeof info->chip, "%s", (vlo & 0x0Fu) == 2 ? "Infineon" : "");
	return true;
}

/* 2.x: 80 65 54 43 … 81 05. The national ID card shares this form and is
 * not told apart by anything public (docs/card.md §1): accepted. */
static bool match_2x(const uint8_t *h, size_t n, struct akis_atr_info *info)
{
	if (n < sizeof tc_prefix + sizeof life_cycle_tail)
		return false;
	if (memcmp(h, tc_prefix, sizeof tc_prefix) != 0 ||
	    memcmp(h + n - sizeof life_cycle_tail, life_cycle_tail, sizeof life_cycle_tail) != 0)
		return false;
	info->profile = AKIS_PROFILE_2;
	snprintf(info->version, sizeof info->version, "2");
	info->chip[0] = '\0';
	return true;
}

bool akis_atr_match(const uint8_t *atr, size_t len, struct akis_atr_info *info)
{
	uint8_t hist[ATR_HIST_MAX];
	size_t hist_len = 0;
	struct akis_atr_info tmp;
	memset(&tmp, 0, sizeof tmp);
	if (atr == NULL || len > APDU_ATR_MAX || !atr_parse(atr, len, hist, &hist_len))
		return false;
	if (!match_1x(hist, hist_len, &tmp) && !match_2x(hist, hist_len, &tmp))
		return false;
	for (size_t i = 0; i < sizeof atr_known / sizeof atr_known[0]; i++) {
		const struct atr_known *k = &atr_known[i];
		if (k->hist_len == hist_len && memcmp(k->hist, hist, hist_len) == 0) {
			snprintf(tmp.version, sizeof tmp.version, "%s", k->version);
			snprintf(tmp.chip, sizeof tmp.chip, "%s", k->chip);
		}
	}
	log_msg(LOG_CARD, "ATR: AKIS profile %d version %s chip %s", (int)tmp.profile, tmp.version,
	        tmp.chip[0] ? tmp.chip : "?");
	if (info != NULL)
		*info = tmp;
	return true;
}
