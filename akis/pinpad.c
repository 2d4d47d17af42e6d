/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PIN pad readers (PC/SC part 10 v2.02): feature discovery and
 * FEATURE_VERIFY_PIN_DIRECT with a PIN_VERIFY_STRUCTURE.
 */
#include <string.h>

#include "akis.h"
#include "internal.h"
#include "../apdu/log.h"
#include "../apdu/tlv.h"

/* SCARD_CTL_CODE(3400) on pcsc-lite: 0x42000000 + 3400 (PC/SC part 10 §2.2) */
#define CM_IOCTL_GET_FEATURE_REQUEST 0x42000D48u
#define FEATURE_VERIFY_PIN_DIRECT 0x06u
#define FEATURE_MODIFY_PIN_DIRECT 0x07u
#define PINPAD_STRUCT_MAX 64u

void akis_pinpad_discover(struct akis_card *card)
{
	uint8_t out[256];
	size_t len = 0;
	card->pinpad_verify_ioctl = 0;
	card->pinpad_modify_ioctl = 0;
	if (apdu_control(card->io, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, out, sizeof out, &len) !=
	    APDU_OK)
		return;
	/* PC/SC part 10 §2.3: TLV list, tag 1 byte, length 1 byte (4), code big-endian */
	struct rd r = rd_init(out, len), v;
	uint8_t tag, l;
	while (rd_u8(&r, &tag) && rd_u8(&r, &l) && rd_sub(&r, l, &v)) {
		uint16_t hi, lo;
		if (l != 4 || !rd_u16be(&v, &hi) || !rd_u16be(&v, &lo))
			continue;
		uint32_t code = ((uint32_t)hi << 16) | lo;
		if (tag == FEATURE_VERIFY_PIN_DIRECT)
			card->pinpad_verify_ioctl = code;
		if (tag == FEATURE_MODIFY_PIN_DIRECT)
			card->pinpad_modify_ioctl = code;
	}
	log_msg(LOG_PIN, "PIN pad: verify %08X modify %08X", card->pinpad_verify_ioctl,
		card->pinpad_modify_ioctl);
}

static void wr_u16le(struct wr *w, uint16_t v)
{
	wr_u8(w, (uint8_t)v);
	wr_u8(w, (uint8_t)(v >> 8));
}

static void wr_u32le(struct wr *w, uint32_t v)
{
	wr_u16le(w, (uint16_t)v);
	wr_u16le(w, (uint16_t)(v >> 16));
}

/* PIN_VERIFY_STRUCTURE, PC/SC part 10 §2.5.2 (little-endian fields). */
static size_t verify_struct(const struct akis_pin_info *pi, uint8_t *buf, size_t cap)
{
	static const uint8_t fmt[] = {
		[AKIS_PIN_ENC_ASCII] = 0x82,           /* byte units, pos 0, left, ASCII */
		[AKIS_PIN_ENC_HALF_NIBBLE_BCD] = 0x80, /* byte units, binary: one digit a byte */
		[AKIS_PIN_ENC_BCD] = 0x81,             /* BCD */
	};
	bool pad = pi->pad_len > 0 && pi->pad_len <= 15;
	struct wr w = wr_init(buf, cap);
	wr_u8(&w, 0x00);                           /* bTimerOut: reader default */
	wr_u8(&w, 0x00);                           /* bTimerOut2 */
	wr_u8(&w, fmt[pi->enc]);                   /* bmFormatString */
	wr_u8(&w, pad ? (uint8_t)pi->pad_len : 0); /* bmPINBlockString: block size */
	wr_u8(&w, 0x00);                           /* bmPINLengthFormat: no length field */
	wr_u16le(&w, (uint16_t)((pi->min_len << 8) | (pi->max_len & 0xFFu))); /* wPINMaxExtraDigit */
	wr_u8(&w, 0x02);                           /* bEntryValidationCondition: OK key */
	wr_u8(&w, 0x01);                           /* bNumberMessage */
	wr_u16le(&w, 0x0409);                      /* wLangId */
	wr_u8(&w, 0x00);                           /* bMsgIndex */
	wr_bytes(&w, "\0\0\0", 3);                 /* bTeoPrologue */
	size_t apdu_len = 5 + (pad ? pi->pad_len : 0);
	wr_u32le(&w, (uint32_t)apdu_len);          /* ulDataLength */
	/* abData: the VERIFY template; Lc and padding filled by the reader */
	wr_u8(&w, 0x00);
	wr_u8(&w, 0x20);
	wr_u8(&w, 0x00);
	wr_u8(&w, pi->ref);
	wr_u8(&w, pad ? (uint8_t)pi->pad_len : 0);
	for (unsigned i = 0; pad && i < pi->pad_len; i++)
		wr_u8(&w, pi->pad_char);
	return wr_ok(&w) ? w.len : 0;
}

akis_rv akis_pinpad_verify_tx(struct akis_card *card, enum akis_pin_which which, int *tries_left)
{
	uint8_t st[PINPAD_STRUCT_MAX], out[16];
	size_t st_len, out_len = 0;
	uint16_t sw = 0;
	int tries = -1;
	if (card == NULL || (which != AKIS_PIN_USER && which != AKIS_PIN_SO))
		return AKIS_ERR_ARGS;
	if (card->pinpad_verify_ioctl == 0)
		return AKIS_ERR_NOT_SUPPORTED;
	st_len = verify_struct(&card->pins[which], st, sizeof st);
	if (st_len == 0)
		return AKIS_ERR_ARGS;
	akis_rv rv = akis_select_app_tx(card);
	if (rv != AKIS_OK)
		return rv;
	rv = akis_rv_from_apdu(apdu_control(card->io, card->pinpad_verify_ioctl, st, st_len, out,
					    sizeof out, &out_len));
	if (rv != AKIS_OK)
		return rv;
	struct rd r = rd_init(out, out_len);
	if (out_len != 2 || !rd_u16be(&r, &sw))
		return AKIS_ERR_COMM;
	rv = akis_sw_ctx(card->atr.profile, sw, AKIS_SW_PIN, &tries);
	log_msg(LOG_PIN, "PIN pad verify ref %02X: SW %04X -> %s", card->pins[which].ref, sw,
		akis_rv_name(rv));
	if (tries_left != NULL)
		*tries_left = tries;
	return rv;
}
