/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PIN pad readers (PC/SC part 10 v2.02): feature discovery,
 * FEATURE_VERIFY_PIN_DIRECT with a PIN_VERIFY_STRUCTURE (§2.5.2) and
 * FEATURE_MODIFY_PIN_DIRECT with a PIN_MODIFY_STRUCTURE (§2.5.3) for
 * CHANGE REFERENCE DATA and RESET RETRY COUNTER (docs/card.md §3).
 *
 * The reader builds the APDU from our template: it formats each PIN typed
 * on its keypad into a PIN block (bmFormatString, bmPINBlockString) and
 * inserts the block at a fixed offset of the data field
 * (bInsertionOffsetOld/New, bytes from the first byte after Lc). With a
 * block size of 0 (variable-length PINs) the reader inserts only the
 * digits typed and sets Lc; for a change it appends the new PIN right
 * after the old one (offsets 0 and 0), which is exactly ISO `old‖new`.
 * The 1.x layout `Lold old Lnew new` cannot be described that way: the
 * place of Lnew depends on the length of the old PIN. It can only be
 * described with fixed blocks (the AODF's storedLength with padding),
 * where Lold and Lnew are constants of the template. No PIN digit ever
 * passes through the host.
 */
#include <string.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

/* SCARD_CTL_CODE(3400) on pcsc-lite: 0x42000000 + 3400 (PC/SC part 10 §2.2) */
#define CM_IOCTL_GET_FEATURE_REQUEST 0x42000D48u
#define FEATURE_VERIFY_PIN_DIRECT    0x06u
#define FEATURE_MODIFY_PIN_DIRECT    0x07u
#define PINPAD_STRUCT_MAX            96u
#define PINPAD_BLOCK_MAX             15u /* bmPINBlockString bits 3-0 */
#define PINPAD_APDU_MAX              (5u + 2u * (1u + PINPAD_BLOCK_MAX))

/* bConfirmPIN (PC/SC part 10 §2.5.3): bit 0 the new PIN is typed twice,
 * bit 1 the current PIN is typed first (else bInsertionOffsetOld is unused). */
#define CONFIRM_NEW     0x01u
#define CONFIRM_CURRENT 0x02u

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

/* bmFormatString: byte units, the PIN at position 0 of its block,
 * left-justified, coded as the AODF's pinType says (PC/SC part 10 §2.5.2). */
static uint8_t pin_format(const struct akis_pin_info *pi)
{
	switch (pi->enc) {
	case AKIS_PIN_ENC_ASCII:
		return 0x82;
	case AKIS_PIN_ENC_HALF_NIBBLE_BCD:
		return 0x80; /* "binary": one digit 0x00-0x09 a byte */
	case AKIS_PIN_ENC_BCD:
		return 0x81;
	}
	return 0x82;
}

/* The fixed PIN block, or 0 for variable-length PINs. */
static unsigned pin_block(const struct akis_pin_info *pi)
{
	return pi->pad_len > 0 && pi->pad_len <= PINPAD_BLOCK_MAX ? pi->pad_len : 0;
}

/* wPINMaxExtraDigit: min digits in the high byte, max in the low one (AODF). */
static uint16_t pin_min_max(const struct akis_pin_info *pi)
{
	return (uint16_t)(((pi->min_len & 0xFFu) << 8) | (pi->max_len & 0xFFu));
}

/* PIN_VERIFY_STRUCTURE, PC/SC part 10 §2.5.2 (little-endian fields). */
static size_t verify_struct(const struct akis_pin_info *pi, uint8_t *buf, size_t cap)
{
	unsigned blk = pin_block(pi);
	struct wr w = wr_init(buf, cap);
	wr_u8(&w, 0x00);                   /* bTimerOut: reader default */
	wr_u8(&w, 0x00);                   /* bTimerOut2 */
	wr_u8(&w, pin_format(pi));         /* bmFormatString */
	wr_u8(&w, (uint8_t)blk);           /* bmPINBlockString: block size */
	wr_u8(&w, 0x00);                   /* bmPINLengthFormat: no length field */
	wr_u16le(&w, pin_min_max(pi));     /* wPINMaxExtraDigit */
	wr_u8(&w, 0x02);                   /* bEntryValidationCondition: OK key */
	wr_u8(&w, 0x01);                   /* bNumberMessage */
	wr_u16le(&w, 0x0409);              /* wLangId */
	wr_u8(&w, 0x00);                   /* bMsgIndex */
	wr_bytes(&w, "\0\0\0", 3);         /* bTeoPrologue */
	wr_u32le(&w, (uint32_t)(5 + blk)); /* ulDataLength */
	/* abData: the VERIFY template; Lc and padding filled by the reader */
	wr_u8(&w, 0x00);
	wr_u8(&w, 0x20);
	wr_u8(&w, 0x00);
	wr_u8(&w, pi->ref);
	wr_u8(&w, (uint8_t)blk);
	for (unsigned i = 0; i < blk; i++)
		wr_u8(&w, pi->pad_char);
	return wr_ok(&w) ? w.len : 0;
}

/* What a PIN_MODIFY_STRUCTURE carries besides the format of the PINs. */
struct modify_tpl {
	uint8_t confirm;          /* bConfirmPIN */
	uint8_t off_old, off_new; /* bInsertionOffsetOld/New */
	uint8_t apdu[PINPAD_APDU_MAX];
	size_t apdu_len;
};

static void wr_block(struct wr *w, const struct akis_pin_info *pi, unsigned blk)
{
	for (unsigned i = 0; i < blk; i++)
		wr_u8(w, pi->pad_char);
}

/*
 * CHANGE REFERENCE DATA template (docs/card.md §3), the APDU the keyboard
 * path (akis_pin_change_tx) would send with the PIN blocks left as padding.
 * 1.x `00 24 P1 P2 Lc Lold old Lnew new` only with fixed blocks: Lold = Lnew
 * = storedLength, as the keyboard path sends a padded PIN; 2.x ISO
 * `00 24 00 ref Lc old‖new`: fixed blocks at 0 and blk, or variable-length
 * PINs both at offset 0 (the reader appends the new PIN, sets Lc).
 */
static bool change_tpl(const struct akis_card *card, const struct akis_pin_info *pi,
                       struct modify_tpl *t)
{
	unsigned blk = pin_block(pi);
	bool v1 = card->atr.profile != AKIS_PROFILE_2;
	bool local = (pi->ref & 0x80u) != 0;
	struct wr w = wr_init(t->apdu, sizeof t->apdu);
	if (v1 && blk == 0)
		return false;
	t->confirm = CONFIRM_CURRENT | CONFIRM_NEW;
	wr_u8(&w, 0x00);
	wr_u8(&w, 0x24);
	wr_u8(&w, v1 ? (local ? 0x02 : 0x01) : 0x00);
	wr_u8(&w, v1 && local ? (uint8_t)(pi->ref & 0x7Fu) : pi->ref);
	wr_u8(&w, (uint8_t)(v1 ? 2 + 2 * blk : 2 * blk)); /* Lc: 0 = set by the reader */
	if (v1)
		wr_u8(&w, (uint8_t)blk); /* Lold */
	wr_block(&w, pi, blk);
	if (v1)
		wr_u8(&w, (uint8_t)blk); /* Lnew */
	wr_block(&w, pi, blk);
	t->off_old = v1 ? 1 : 0;
	t->off_new = (uint8_t)(v1 ? 2 + blk : blk);
	t->apdu_len = w.len;
	return wr_ok(&w);
}

/* RESET RETRY COUNTER `00 2C 02 ref Lc new` (docs/card.md §3, both
 * dialects): only a new PIN, typed twice, no current PIN. */
static bool reset_tpl(const struct akis_pin_info *pi, struct modify_tpl *t)
{
	unsigned blk = pin_block(pi);
	struct wr w = wr_init(t->apdu, sizeof t->apdu);
	t->confirm = CONFIRM_NEW;
	wr_u8(&w, 0x00);
	wr_u8(&w, 0x2C);
	wr_u8(&w, 0x02);
	wr_u8(&w, pi->ref);
	wr_u8(&w, (uint8_t)blk);
	wr_block(&w, pi, blk);
	t->off_old = 0;
	t->off_new = 0;
	t->apdu_len = w.len;
	return wr_ok(&w);
}

/* PIN_MODIFY_STRUCTURE, PC/SC part 10 §2.5.3 (little-endian fields).
 * Messages: 3 (current, new, confirm) or 2 (new, confirm); the indexes
 * 00 01 02 of the reader's table, as CCID readers expect them. */
static size_t modify_struct(const struct akis_pin_info *pi, const struct modify_tpl *t,
                            uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	wr_u8(&w, 0x00);                                 /* bTimerOut: reader default */
	wr_u8(&w, 0x00);                                 /* bTimerOut2 */
	wr_u8(&w, pin_format(pi));                       /* bmFormatString */
	wr_u8(&w, (uint8_t)pin_block(pi));               /* bmPINBlockString */
	wr_u8(&w, 0x00);                                 /* bmPINLengthFormat: none */
	wr_u8(&w, t->off_old);                           /* bInsertionOffsetOld */
	wr_u8(&w, t->off_new);                           /* bInsertionOffsetNew */
	wr_u16le(&w, pin_min_max(pi));                   /* wPINMaxExtraDigit */
	wr_u8(&w, t->confirm);                           /* bConfirmPIN */
	wr_u8(&w, 0x02);                                 /* bEntryValidationCondition: OK key */
	wr_u8(&w, t->confirm & CONFIRM_CURRENT ? 3 : 2); /* bNumberMessage */
	wr_u16le(&w, 0x0409);                            /* wLangId */
	wr_bytes(&w, "\x00\x01\x02", 3);                 /* bMsgIndex1..3 */
	wr_bytes(&w, "\0\0\0", 3);                       /* bTeoPrologue */
	wr_u32le(&w, (uint32_t)t->apdu_len);             /* ulDataLength */
	wr_bytes(&w, t->apdu, t->apdu_len);              /* abData */
	return wr_ok(&w) ? w.len : 0;
}

/* One exchange with the reader in the application DF; its answer is the
 * card's status word, or the reader's own (64xx). */
static akis_rv pad_exchange_tx(struct akis_card *card, uint32_t ioctl, const uint8_t *st,
                               size_t st_len, enum akis_sw_context ctx, int *tries, uint16_t *sw)
{
	uint8_t out[16];
	size_t out_len = 0;
	akis_rv rv = akis_select_app_tx(card);
	if (rv != AKIS_OK)
		return rv;
	rv = akis_rv_from_apdu(
	        apdu_control(card->io, ioctl, st, st_len, out, sizeof out, &out_len));
	if (rv != AKIS_OK)
		return rv;
	struct rd r = rd_init(out, out_len);
	if (out_len != 2 || !rd_u16be(&r, sw))
		return AKIS_ERR_COMM;
	return akis_sw_ctx(card->atr.profile, *sw, ctx, tries);
}

akis_rv akis_pinpad_verify_tx(struct akis_card *card, enum akis_pin_which which, int *tries_left)
{
	uint8_t st[PINPAD_STRUCT_MAX];
	size_t st_len;
	uint16_t sw = 0;
	int tries = -1;
	if (card == NULL || (which != AKIS_PIN_USER && which != AKIS_PIN_SO))
		return AKIS_ERR_ARGS;
	if (card->pinpad_verify_ioctl == 0)
		return AKIS_ERR_NOT_SUPPORTED;
	st_len = verify_struct(&card->pins[which], st, sizeof st);
	if (st_len == 0)
		return AKIS_ERR_ARGS;
	akis_guard_arm(card);
	akis_rv rv = pad_exchange_tx(card, card->pinpad_verify_ioctl, st, st_len, AKIS_SW_PIN,
	                             &tries, &sw);
	/* 64xx: the reader's own answer (timeout, cancel): nothing reached the card */
	akis_pin_note_sent(card, which, (sw >> 8) == 0x64 ? AKIS_ERR_CANCELLED : rv);
	log_msg(LOG_PIN, "PIN pad verify ref %02X: SW %04X -> %s", card->pins[which].ref, sw,
	        akis_rv_name(rv));
	if (tries_left != NULL)
		*tries_left = tries;
	return rv;
}

/* The template for a change (or, which == AKIS_PIN_USER && reset, a
 * RESET RETRY COUNTER), false with the reason logged. No exchange. */
static bool modify_plan(const struct akis_card *card, enum akis_pin_which which, bool reset,
                        struct modify_tpl *t)
{
	const struct akis_pin_info *pi;
	if (card == NULL || (which != AKIS_PIN_USER && which != AKIS_PIN_SO))
		return false;
	pi = &card->pins[which];
	if (card->pinpad_modify_ioctl == 0) {
		log_msg(LOG_PIN, "PIN pad: the reader has no FEATURE_MODIFY_PIN_DIRECT");
		return false;
	}
	if (pi->pad_len > PINPAD_BLOCK_MAX) {
		log_msg(LOG_PIN,
		        "PIN pad: ref %02X: a %u-byte PIN block does not fit a "
		        "PIN_MODIFY_STRUCTURE (at most %u)",
		        pi->ref, pi->pad_len, PINPAD_BLOCK_MAX);
		return false;
	}
	if (reset ? reset_tpl(pi, t) : change_tpl(card, pi, t))
		return true;
	log_msg(LOG_PIN,
	        "PIN pad: ref %02X: the 1.x CHANGE REFERENCE DATA (Lold old Lnew new) "
	        "with variable-length PINs cannot be described in a PIN_MODIFY_STRUCTURE (the "
	        "place of the new PIN depends on the old PIN's length): PINs must be given",
	        pi->ref);
	return false;
}

bool akis_pinpad_can_change(const struct akis_card *card, enum akis_pin_which which)
{
	struct modify_tpl t;
	return modify_plan(card, which, false, &t);
}

bool akis_pinpad_can_unblock(const struct akis_card *card)
{
	struct modify_tpl t;
	return modify_plan(card, AKIS_PIN_USER, true, &t);
}

static akis_rv modify_tx(struct akis_card *card, enum akis_pin_which which, bool reset,
                         int *tries_left)
{
	uint8_t st[PINPAD_STRUCT_MAX];
	struct modify_tpl t;
	uint16_t sw = 0;
	int tries = -1;
	akis_rv rv = AKIS_ERR_NOT_SUPPORTED;
	size_t st_len = 0;
	if (card != NULL && card->life_cycle == AKIS_LCS_DEAD)
		rv = AKIS_ERR_DEAD; /* no PIN can be changed any more: ask nothing */
	else if (modify_plan(card, which, reset, &t))
		st_len = modify_struct(&card->pins[which], &t, st, sizeof st);
	if (st_len > 0) {
		akis_guard_arm(card);
		rv = pad_exchange_tx(card, card->pinpad_modify_ioctl, st, st_len, AKIS_SW_NEW_PIN,
		                     &tries, &sw);
		if (!reset) /* a change verifies the old PIN on the card */
			akis_pin_note_sent(card, which,
			                   (sw >> 8) == 0x64 ? AKIS_ERR_CANCELLED : rv);
	}
	if (st_len > 0)
		log_msg(LOG_PIN, "PIN pad %s ref %02X: SW %04X -> %s",
		        reset ? "RESET RETRY COUNTER" : "CHANGE", card->pins[which].ref, sw,
		        akis_rv_name(rv));
	if (tries_left != NULL)
		*tries_left = tries;
	return rv;
}

akis_rv akis_pinpad_change_tx(struct akis_card *card, enum akis_pin_which which, int *tries_left)
{
	return modify_tx(card, which, false, tries_left);
}

akis_rv akis_pinpad_unblock_tx(struct akis_card *card)
{
	return modify_tx(card, AKIS_PIN_USER, true, NULL);
}
