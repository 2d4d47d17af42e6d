/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card object, transactions, and the file system: SELECT with a cache
 * of the current file, READ BINARY in 244-byte steps (docs/card.md §1, §3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

/* ISO 7816-4 §7.1.1 */
#define INS_SELECT       0xA4
#define INS_READ_BINARY  0xB0
#define SEL_BY_FID       0x00
#define SEL_PATH_FROM_MF 0x08
#define SEL_P2_FCI       0x00
#define SEL_P2_NONE      0x0C
#define USER_PIN_REF     0x81
#define PUK_REF          0x82

static void card_free_directory(struct akis_card *card)
{
	for (size_t i = 0; i < card->n_certs; i++)
		free(card->certs[i].der);
	for (size_t i = 0; i < card->n_keys; i++)
		free(card->keys[i].spki);
	card->n_certs = 0;
	card->n_keys = 0;
	memset(card->certs, 0, sizeof card->certs);
	memset(card->keys, 0, sizeof card->keys);
	memset(card->pins, 0, sizeof card->pins);
}

/* docs/card.md §3: user PIN 81, PUK 82, 4–8 digits; ASCII except 1.0. */
void akis_pins_default(struct akis_card *card)
{
	static const char *const labels[2] = {"PIN", "PUK"};
	for (unsigned w = 0; w < 2; w++) {
		struct akis_pin_info *p = &card->pins[w];
		memset(p, 0, sizeof *p);
		p->present = true;
		p->ref = w == AKIS_PIN_USER ? USER_PIN_REF : PUK_REF;
		p->enc = card->atr.profile == AKIS_PROFILE_1_0 ? AKIS_PIN_ENC_HALF_NIBBLE_BCD
		                                               : AKIS_PIN_ENC_ASCII;
		p->min_len = 4;
		p->max_len = 8;
		p->digits_only = true;
		snprintf(p->label, sizeof p->label, "%s", labels[w]);
	}
}

akis_rv akis_card_new(struct apdu_card *io, const struct akis_atr_info *atr, struct akis_card **out)
{
	struct akis_atr_info info;
	if (io == NULL || out == NULL)
		return AKIS_ERR_ARGS;
	*out = NULL;
	if (atr != NULL) {
		info = *atr;
	} else {
		uint8_t raw[APDU_ATR_MAX];
		size_t raw_len = sizeof raw;
		apdu_rv arv = apdu_card_atr(io, raw, &raw_len);
		if (arv != APDU_OK)
			return akis_rv_from_apdu(arv);
		if (!akis_atr_match(raw, raw_len, &info))
			return AKIS_ERR_NOT_AKIS;
	}
	struct akis_card *card = calloc(1, sizeof *card);
	if (card == NULL)
		return AKIS_ERR_NO_MEMORY;
	card->io = io;
	card->atr = info;
	card->app_path[0] = 0x3D; /* docs/card.md §2 [C], until the card says otherwise */
	card->app_path[1] = 0x00;
	card->app_path_len = 2;
	akis_pins_default(card);
	*out = card;
	return AKIS_OK;
}

void akis_card_free(struct akis_card *card)
{
	if (card == NULL)
		return;
	/* nothing of ours verified: unmark; else the guard keeps the reader
	 * marked and resets the card when this process ends (R22) */
	if (!card->maybe_verified[AKIS_PIN_USER] && !card->maybe_verified[AKIS_PIN_SO])
		akis_guard_disarm(card);
	card_free_directory(card);
	apdu_card_close(card->io);
	free(card);
}

void akis_card_clear_directory(struct akis_card *card)
{
	card_free_directory(card);
}

void akis_sel_forget(struct akis_card *card)
{
	card->cur_path_len = 0;
	card->cur_is_df = false;
}

akis_rv akis_begin(struct akis_card *card, bool *was_reset)
{
	if (card == NULL)
		return AKIS_ERR_ARGS;
	if (was_reset != NULL)
		*was_reset = false;
	apdu_rv arv = apdu_begin(card->io);
	/* What we selected is known only inside our own transaction: between
	 * two of them another application may have selected the MF or another
	 * DF (R34; a 2.x MSE outside DF 3D00 is 6A88, docs/card.md §3). */
	akis_sel_forget(card);
	if (arv != APDU_ERR_RESET)
		return akis_rv_from_apdu(arv);
	/* docs/design.md "Transactions": the security state is gone; reconnect,
	 * forget the selection, tell the caller. */
	log_msg(LOG_CARD, "card was reset: reconnecting");
	arv = apdu_reconnect(card->io);
	if (arv == APDU_OK)
		arv = apdu_begin(card->io);
	if (arv != APDU_OK)
		return akis_rv_from_apdu(arv);
	card->maybe_verified[AKIS_PIN_USER] = card->maybe_verified[AKIS_PIN_SO] = false;
	akis_guard_disarm(card);
	if (was_reset != NULL)
		*was_reset = true;
	return AKIS_OK;
}

void akis_end(struct akis_card *card)
{
	if (card == NULL)
		return;
	if (!card->reset_at_end) {
		(void)apdu_end(card->io, false);
		return;
	}
	/* R22: the LOGOUT did not clear the card's security state; a reset does */
	apdu_rv arv = apdu_end(card->io, true);
	log_msg(LOG_PIN, "transaction ended with a card reset (the LOGOUT failed): %s",
	        apdu_rv_name(arv));
	card->reset_at_end = false;
	card->maybe_verified[AKIS_PIN_USER] = card->maybe_verified[AKIS_PIN_SO] = false;
	if (arv == APDU_OK)
		akis_guard_disarm(card);
	akis_sel_forget(card);
}

akis_rv akis_xmit_tx(struct akis_card *card, const struct apdu *cmd, uint8_t *resp, size_t cap,
                     size_t *len, uint16_t *sw)
{
	size_t dummy_len = 0;
	apdu_rv arv = apdu_transmit(card->io, cmd, resp, cap, len ? len : &dummy_len, sw);
	if (arv == APDU_ERR_RESET)
		akis_sel_forget(card);
	if (arv != APDU_OK)
		log_msg(LOG_CARD, "transmit INS %02X: %s", cmd->ins, apdu_rv_name(arv));
	return akis_rv_from_apdu(arv);
}

/* FCI (ISO 7816-4 §5.3.3): 62/6F { 80|81 size, … } → *size (0 if absent). */
static void fci_size(const uint8_t *fci, size_t len, size_t *size)
{
	struct rd r = rd_init(fci, len), v, s;
	unsigned tag;
	uint8_t b;
	*size = 0;
	if (!rd_tlv(&r, &tag, &v) || (tag != 0x62 && tag != 0x6F))
		return;
	if (!rd_find(&v, 0x80, &s) && !rd_find(&v, 0x81, &s))
		return;
	if (rd_left(&s) == 0 || rd_left(&s) > 4)
		return;
	size_t n = 0;
	while (rd_u8(&s, &b))
		n = (n << 8) | b;
	*size = n;
}

static void sel_remember(struct akis_card *card, const uint8_t *path, size_t len, bool is_df)
{
	memcpy(card->cur_path, path, len);
	card->cur_path_len = len;
	card->cur_is_df = is_df;
}

/* One SELECT; FCI into fci/fci_len when p2 asks for it. */
static akis_rv select_one_tx(struct akis_card *card, uint8_t p1, const uint8_t *data, size_t n,
                             bool want_fci, uint8_t *fci, size_t *fci_len, uint16_t *sw)
{
	struct apdu cmd = {0x00,
	                   INS_SELECT,
	                   p1,
	                   want_fci ? SEL_P2_FCI : SEL_P2_NONE,
	                   data,
	                   n,
	                   want_fci ? APDU_SHORT_LE_MAX : 0};
	*fci_len = 0;
	return akis_xmit_tx(card, &cmd, fci, want_fci ? APDU_SHORT_LE_MAX : 0, fci_len, sw);
}

/* Fallback when the card refuses P1 08: MF, then FID by FID (P1 00). */
static akis_rv select_by_fids_tx(struct akis_card *card, const uint8_t *path, size_t len,
                                 bool want_fci, uint8_t *fci, size_t *fci_len, uint16_t *sw)
{
	static const uint8_t mf[2] = {0x3F, 0x00};
	akis_rv rv = select_one_tx(card, SEL_BY_FID, mf, 2, want_fci && len == 0, fci, fci_len, sw);
	for (size_t i = 0; rv == AKIS_OK && *sw == AKIS_SW_OK && i + 2 <= len; i += 2) {
		bool last = i + 2 == len;
		rv = select_one_tx(card, SEL_BY_FID, path + i, 2, want_fci && last, fci, fci_len,
		                   sw);
	}
	return rv;
}

akis_rv akis_select_tx(struct akis_card *card, const uint8_t *path, size_t len, bool is_df,
                       size_t *size)
{
	uint8_t fci[APDU_SHORT_LE_MAX];
	size_t fci_len = 0;
	uint16_t sw = 0;
	akis_rv rv;
	if (len > AKIS_PATH_MAX || (len & 1u))
		return AKIS_ERR_ARGS;
	if (size == NULL && card->cur_path_len == len && card->cur_is_df == is_df && len > 0 &&
	    memcmp(card->cur_path, path, len) == 0)
		return AKIS_OK;
	akis_sel_forget(card);
	if (!card->no_path_select && len > 0) {
		rv = select_one_tx(card, SEL_PATH_FROM_MF, path, len, size != NULL, fci, &fci_len,
		                   &sw);
		if (rv != AKIS_OK)
			return rv;
		if (akis_sw_no_path_select(sw)) {
			log_msg(LOG_CARD, "SELECT by path refused (%04X): FID by FID", sw);
			card->no_path_select = true;
		}
	}
	if (card->no_path_select || len == 0) {
		rv = select_by_fids_tx(card, path, len, size != NULL, fci, &fci_len, &sw);
		if (rv != AKIS_OK)
			return rv;
	}
	if (sw != AKIS_SW_OK)
		return akis_sw_ctx(card->atr.profile, sw, AKIS_SW_GENERAL, NULL);
	sel_remember(card, path, len, is_df);
	if (size != NULL)
		fci_size(fci, fci_len, size);
	return AKIS_OK;
}

bool akis_app_current(const struct akis_card *card)
{
	/* An EF in the application DF leaves that DF current (ISO 7816-4 §7.1.1). */
	size_t n = card->app_path_len;
	if (card->cur_path_len == n + 2 && !card->cur_is_df)
		return memcmp(card->cur_path, card->app_path, n) == 0;
	return n > 0 && card->cur_path_len == n && card->cur_is_df &&
	       memcmp(card->cur_path, card->app_path, n) == 0;
}

akis_rv akis_select_app_tx(struct akis_card *card)
{
	if (akis_app_current(card))
		return AKIS_OK;
	return akis_select_tx(card, card->app_path, card->app_path_len, true, NULL);
}

akis_rv akis_read_binary_tx(struct akis_card *card, size_t off, size_t want, uint8_t *dst,
                            size_t *got, uint16_t *sw)
{
	*got = 0;
	if (off > 0x7FFF || want > AKIS_READ_STEP)
		return AKIS_ERR_CARD_DATA; /* P1 bit 8 would mean a short EF id */
	struct apdu cmd = {0x00, INS_READ_BINARY, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, want};
	return akis_xmit_tx(card, &cmd, dst, want, got, sw);
}

/* One READ BINARY at `off` for `want` bytes; *done when the file ended. */
static akis_rv read_step_tx(struct akis_card *card, size_t off, size_t want, uint8_t *dst,
                            size_t *got, bool *done)
{
	uint16_t sw = 0;
	akis_rv rv = akis_read_binary_tx(card, off, want, dst, got, &sw);
	if (rv != AKIS_OK)
		return rv;
	switch (sw) {
	case AKIS_SW_OK:
		*done = *got < want;
		return AKIS_OK;
	case AKIS_SW_EOF:
		*done = true;
		return AKIS_OK; /* end of file before Le (§3) */
	case AKIS_SW_WRONG_OFFSET:
		*done = true;
		*got = 0;
		return AKIS_OK; /* offset at or past the end */
	default:
		return akis_sw_ctx(card->atr.profile, sw, AKIS_SW_GENERAL, NULL);
	}
}

akis_rv akis_read_current_tx(struct akis_card *card, size_t size, uint8_t *buf, size_t cap,
                             size_t *len)
{
	size_t off = 0, got;
	bool done = false;
	akis_rv rv = AKIS_OK;
	size_t limit = size ? size : cap;
	if (size > cap)
		return AKIS_ERR_CARD_DATA;
	while (!done && off < limit) {
		size_t want = limit - off < AKIS_READ_STEP ? limit - off : AKIS_READ_STEP;
		rv = read_step_tx(card, off, want, buf + off, &got, &done);
		if (rv != AKIS_OK)
			return rv;
		off += got;
	}
	if (!done && size == 0 && off == cap) {
		log_msg(LOG_OBJ, "file larger than %zu bytes", cap);
		return AKIS_ERR_CARD_DATA;
	}
	*len = off;
	return AKIS_OK;
}

akis_rv akis_read_file_tx(struct akis_card *card, const uint8_t *path, size_t path_len, size_t cap,
                          uint8_t **out, size_t *out_len)
{
	size_t size = 0, len = 0;
	uint8_t *buf = NULL;
	*out = NULL;
	*out_len = 0;
	akis_rv rv = akis_select_tx(card, path, path_len, false, &size);
	if (rv != AKIS_OK)
		goto out;
	if (size > cap) {
		log_msg(LOG_OBJ, "file of %zu bytes over the cap %zu", size, cap);
		rv = AKIS_ERR_CARD_DATA;
		goto out;
	}
	buf = malloc(size ? size : cap);
	if (buf == NULL) {
		rv = AKIS_ERR_NO_MEMORY;
		goto out;
	}
	rv = akis_read_current_tx(card, size, buf, size ? size : cap, &len);
	if (rv != AKIS_OK)
		goto out;
	card->binds++;
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	return rv;
}
