/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PINs (docs/card.md §3): host-side check, status without spending a try,
 * VERIFY, CHANGE REFERENCE DATA in both dialects, RESET RETRY COUNTER,
 * LOGOUT. PIN bytes live in fixed stack buffers wiped with OPENSSL_cleanse
 * at the single exit; PIN values are never logged (the APDU trace redacts
 * INS 20/24/2C by itself).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"

#define INS_VERIFY      0x20
#define INS_CHANGE      0x24
#define INS_RESET_RETRY 0x2C
#define INS_LOGOUT      0x1A
#define PIN_ENC_MAX     AKIS_PIN_MAX /* one encoded PIN: at most a byte per character */

akis_rv akis_pin_check(const struct akis_card *card, enum akis_pin_which which, const char *pin,
                       size_t len)
{
	if (card == NULL || (which != AKIS_PIN_USER && which != AKIS_PIN_SO) ||
	    (pin == NULL && len > 0))
		return AKIS_ERR_ARGS;
	const struct akis_pin_info *pi = &card->pins[which];
	if (len < pi->min_len || len > pi->max_len || len > PIN_ENC_MAX)
		return AKIS_ERR_PIN_LEN;
	bool digits = pi->digits_only || pi->enc != AKIS_PIN_ENC_ASCII;
	for (size_t i = 0; i < len; i++) {
		if (digits && (pin[i] < '0' || pin[i] > '9'))
			return AKIS_ERR_PIN_INVALID;
		if (!digits && (unsigned char)pin[i] < 0x20)
			return AKIS_ERR_PIN_INVALID;
	}
	return AKIS_OK;
}

/* Encode per the AODF's pinType, pad to storedLength if asked (PKCS#15
 * v1.1 §6.8.2). The caller checked the PIN. */
static bool pin_encode(const struct akis_pin_info *pi, const char *pin, size_t len, uint8_t *out,
                       size_t *out_len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t d = (uint8_t)(pin[i] - '0');
		switch (pi->enc) {
		case AKIS_PIN_ENC_ASCII:
			out[n++] = (uint8_t)pin[i];
			break;
		case AKIS_PIN_ENC_HALF_NIBBLE_BCD:
			out[n++] = d;
			break;
		case AKIS_PIN_ENC_BCD:
			if (i & 1u)
				out[n - 1] = (uint8_t)((out[n - 1] & 0xF0u) | d);
			else
				out[n++] = (uint8_t)((d << 4) | 0x0Fu);
			break;
		}
	}
	if (pi->pad_len > PIN_ENC_MAX || (pi->pad_len && n > pi->pad_len))
		return false;
	while (n < pi->pad_len)
		out[n++] = pi->pad_char;
	*out_len = n;
	return true;
}

/* Check and encode in one go. */
static akis_rv pin_prepare(const struct akis_card *card, enum akis_pin_which which, const char *pin,
                           size_t len, uint8_t *out, size_t *out_len)
{
	akis_rv rv = akis_pin_check(card, which, pin, len);
	if (rv == AKIS_OK && card->life_cycle == AKIS_LCS_DEAD)
		rv = AKIS_ERR_DEAD; /* no PIN can be verified any more: send nothing */
	if (rv != AKIS_OK) {
		log_msg(LOG_PIN, "PIN refused on the host: %s", akis_rv_name(rv));
		return rv;
	}
	return pin_encode(&card->pins[which], pin, len, out, out_len) ? AKIS_OK : AKIS_ERR_PIN_LEN;
}

/* Send a PIN command in the application DF (PINs 81/82 are local to it). */
static akis_rv pin_cmd_tx(struct akis_card *card, const struct apdu *cmd, enum akis_sw_context ctx,
                          int *tries, uint16_t *sw_out)
{
	uint16_t sw = 0;
	akis_rv rv = akis_select_app_tx(card);
	if (rv == AKIS_OK)
		rv = akis_xmit_tx(card, cmd, NULL, 0, NULL, &sw);
	if (rv != AKIS_OK)
		return rv;
	if (sw_out != NULL)
		*sw_out = sw;
	rv = akis_sw_ctx(card->atr.profile, sw, ctx, tries);
	log_msg(LOG_PIN, "INS %02X ref %02X: SW %04X -> %s", cmd->ins, cmd->p2, sw,
	        akis_rv_name(rv));
	return rv;
}

akis_rv akis_pin_status_tx(struct akis_card *card, enum akis_pin_which which,
                           struct akis_pin_status *st)
{
	if (card == NULL || st == NULL || (which != AKIS_PIN_USER && which != AKIS_PIN_SO))
		return AKIS_ERR_ARGS;
	struct apdu cmd = {0x00, INS_VERIFY, 0x00, card->pins[which].ref, NULL, 0, 0};
	int tries = -1;
	memset(st, 0, sizeof *st);
	st->tries_left = -1;
	if (card->life_cycle == AKIS_LCS_DEAD) {
		st->blocked = true;
		st->tries_left = 0;
		return AKIS_ERR_DEAD;
	}
	akis_rv rv = pin_cmd_tx(card, &cmd, AKIS_SW_PIN, &tries, NULL);
	if (rv == AKIS_OK) {
		st->verified = true;
	} else if (rv == AKIS_ERR_PIN_INCORRECT) { /* 63Cx: not verified, x tries left */
		st->tries_left = tries;
		st->blocked = tries == 0;
	} else if (rv == AKIS_ERR_PIN_BLOCKED) {
		st->blocked = true;
		st->tries_left = 0;
	} else {
		return rv;
	}
	return AKIS_OK;
}

/*
 * After a VERIFY or CHANGE with data: unless the card's answer says the
 * PIN is not verified (wrong, blocked, or a length refused before any
 * check), it may be now (R22: akis_logout_tx clears it).
 */
static void note_sent(struct akis_card *card, enum akis_pin_which which, akis_rv rv)
{
	switch (rv) {
	case AKIS_ERR_PIN_INCORRECT:
	case AKIS_ERR_PIN_BLOCKED:
	case AKIS_ERR_PIN_LEN:
	case AKIS_ERR_PIN_INVALID:
	case AKIS_ERR_DEAD:
	case AKIS_ERR_ARGS:
	case AKIS_ERR_NOT_SUPPORTED:
	case AKIS_ERR_CANCELLED:
		return;
	case AKIS_OK:
	case AKIS_ERR_NO_MEMORY:
	case AKIS_ERR_BUFFER:
	case AKIS_ERR_NO_SERVICE:
	case AKIS_ERR_REMOVED:
	case AKIS_ERR_RESET:
	case AKIS_ERR_SHARING:
	case AKIS_ERR_COMM:
	case AKIS_ERR_TIMEOUT:
	case AKIS_ERR_NOT_AKIS:
	case AKIS_ERR_CARD_DATA:
	case AKIS_ERR_NOT_FOUND:
	case AKIS_ERR_CONDITIONS:
	case AKIS_ERR_BAD_DATA:
	case AKIS_ERR_NOT_LOGGED_IN:
		break;
	}
	card->maybe_verified[which] = true;
}

void akis_pin_note_sent(struct akis_card *card, enum akis_pin_which which, akis_rv rv)
{
	note_sent(card, which, rv);
	/* nothing of ours verified (a wrong PIN, a refusal before the card
	 * looked at it): the guard has nothing to reset */
	if (!card->maybe_verified[AKIS_PIN_USER] && !card->maybe_verified[AKIS_PIN_SO])
		akis_guard_disarm(card);
}

bool akis_pin_maybe_verified(const struct akis_card *card, enum akis_pin_which which)
{
	return card != NULL && (which == AKIS_PIN_USER || which == AKIS_PIN_SO) &&
	       card->maybe_verified[which];
}

akis_rv akis_pin_verify_tx(struct akis_card *card, enum akis_pin_which which, const char *pin,
                           size_t len, int *tries_left)
{
	uint8_t data[PIN_ENC_MAX];
	size_t n = 0;
	int tries = -1;
	akis_rv rv = pin_prepare(card, which, pin, len, data, &n);
	if (rv == AKIS_OK) {
		struct apdu cmd = {0x00, INS_VERIFY, 0x00, card->pins[which].ref, data, n, 0};
		akis_guard_arm(card); /* before the PIN can be verified */
		rv = pin_cmd_tx(card, &cmd, AKIS_SW_PIN, &tries, NULL);
		akis_pin_note_sent(card, which, rv);
	}
	if (tries_left != NULL)
		*tries_left = tries;
	OPENSSL_cleanse(data, sizeof data);
	return rv;
}

/* 1.x: Lold old Lnew new, P1 02 / P2 ref&7F for a local ref, else P1 01.
 * 2.x: old‖new, P1 00 P2 ref (ISO 7816-4 §11.5.7). */
static akis_rv change_data(const struct akis_card *card, uint8_t ref, const uint8_t *o, size_t on,
                           const uint8_t *nw, size_t nn, uint8_t *buf, size_t cap, struct apdu *cmd)
{
	struct wr w = wr_init(buf, cap);
	bool v1 = card->atr.profile != AKIS_PROFILE_2;
	cmd->cla = 0x00;
	cmd->ins = INS_CHANGE;
	cmd->p1 = v1 ? (ref & 0x80u ? 0x02 : 0x01) : 0x00;
	cmd->p2 = v1 && (ref & 0x80u) ? (uint8_t)(ref & 0x7Fu) : ref;
	if (v1)
		wr_u8(&w, (uint8_t)on);
	wr_bytes(&w, o, on);
	if (v1)
		wr_u8(&w, (uint8_t)nn);
	wr_bytes(&w, nw, nn);
	cmd->data = buf;
	cmd->lc = w.len;
	cmd->le = 0;
	return wr_ok(&w) ? AKIS_OK : AKIS_ERR_PIN_LEN;
}

akis_rv akis_pin_change_tx(struct akis_card *card, enum akis_pin_which which, const char *old_pin,
                           size_t old_len, const char *new_pin, size_t new_len, int *tries_left)
{
	uint8_t o[PIN_ENC_MAX], nw[PIN_ENC_MAX], buf[2 * PIN_ENC_MAX + 2];
	size_t on = 0, nn = 0;
	int tries = -1;
	struct apdu cmd;
	akis_rv rv = pin_prepare(card, which, old_pin, old_len, o, &on);
	if (rv == AKIS_OK)
		rv = pin_prepare(card, which, new_pin, new_len, nw, &nn);
	if (rv == AKIS_OK)
		rv = change_data(card, card->pins[which].ref, o, on, nw, nn, buf, sizeof buf, &cmd);
	if (rv == AKIS_OK) {
		akis_guard_arm(card);
		rv = pin_cmd_tx(card, &cmd, AKIS_SW_NEW_PIN, &tries, NULL);
		akis_pin_note_sent(card, which, rv); /* a change verifies the old PIN */
	}
	if (tries_left != NULL)
		*tries_left = tries;
	OPENSSL_cleanse(o, sizeof o);
	OPENSSL_cleanse(nw, sizeof nw);
	OPENSSL_cleanse(buf, sizeof buf);
	return rv;
}

akis_rv akis_pin_unblock_tx(struct akis_card *card, const char *new_pin, size_t new_len)
{
	uint8_t nw[PIN_ENC_MAX];
	size_t nn = 0;
	akis_rv rv = pin_prepare(card, AKIS_PIN_USER, new_pin, new_len, nw, &nn);
	if (rv == AKIS_OK) {
		/* RESET RETRY COUNTER, P1 02: new reference data (ISO 7816-4 §11.5.10) */
		struct apdu cmd = {
		        0x00, INS_RESET_RETRY, 0x02, card->pins[AKIS_PIN_USER].ref, nw, nn, 0};
		rv = pin_cmd_tx(card, &cmd, AKIS_SW_NEW_PIN, NULL, NULL);
	}
	OPENSSL_cleanse(nw, sizeof nw);
	return rv;
}

akis_rv akis_logout_tx(struct akis_card *card)
{
	if (card == NULL)
		return AKIS_ERR_ARGS;
	struct apdu cmd = {0x80, INS_LOGOUT, 0x00, 0x00, NULL, 0, 0};
	akis_rv rv = pin_cmd_tx(card, &cmd, AKIS_SW_GENERAL, NULL, NULL);
	if (rv == AKIS_OK) {
		card->maybe_verified[AKIS_PIN_USER] = card->maybe_verified[AKIS_PIN_SO] = false;
		akis_guard_disarm(card);
		return AKIS_OK;
	}
	if (rv == AKIS_ERR_REMOVED || rv == AKIS_ERR_NO_SERVICE || rv == AKIS_ERR_RESET) {
		/* the card's volatile state is gone with it (pcscd gone: not known,
		 * the guard stays on) */
		if (rv != AKIS_ERR_NO_SERVICE)
			akis_guard_disarm(card);
		return rv;
	}
	/* R22: never leave a PIN verified behind */
	log_msg(LOG_PIN,
	        "LOGOUT failed (%s): the card will be reset at the end of this "
	        "transaction",
	        akis_rv_name(rv));
	card->reset_at_end = true;
	return AKIS_OK;
}
