/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * APDU codec and apdu_transmit: the one function that knows command
 * chaining, 61xx and 6Cxx (docs/style.md, docs/card.md §1).
 */
#include "apdu.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../log/log.h"

_Static_assert(APDU_RAW_MAX <= LOG_RAW_MAX, "the trace holds a whole short APDU");

#define CLA_CHAIN              0x10u /* ISO 7816-4 §5.1.1.1: command chaining bit */
#define INS_GET_RESPONSE       0xC0u
#define SW1_MORE               0x61u /* ISO 7816-4 §5.1.3: SW2 bytes still available */
#define SW1_WRONG_LE           0x6Cu /* wrong Le; SW2 = exact length */
#define SW_OK                  0x9000u
#define SW_CHAIN_LAST_EXPECTED 0x6883u /* ISO 7816-4 §5.1.3: last command of the chain expected */

const char *apdu_rv_name(apdu_rv rv)
{
	switch (rv) {
	case APDU_OK:
		return "APDU_OK";
	case APDU_ERR_ARGS:
		return "APDU_ERR_ARGS";
	case APDU_ERR_NO_MEMORY:
		return "APDU_ERR_NO_MEMORY";
	case APDU_ERR_NO_SERVICE:
		return "APDU_ERR_NO_SERVICE";
	case APDU_ERR_NO_READER:
		return "APDU_ERR_NO_READER";
	case APDU_ERR_NO_CARD:
		return "APDU_ERR_NO_CARD";
	case APDU_ERR_RESET:
		return "APDU_ERR_RESET";
	case APDU_ERR_SHARING:
		return "APDU_ERR_SHARING";
	case APDU_ERR_PROTOCOL:
		return "APDU_ERR_PROTOCOL";
	case APDU_ERR_TIMEOUT:
		return "APDU_ERR_TIMEOUT";
	case APDU_ERR_CANCELLED:
		return "APDU_ERR_CANCELLED";
	case APDU_ERR_NOT_SUPPORTED:
		return "APDU_ERR_NOT_SUPPORTED";
	case APDU_ERR_COMM:
		return "APDU_ERR_COMM";
	}
	return "APDU_ERR_?";
}

/* ISO 7816-4 §5.1: case 1 (header), 2 (+Le), 3 (+Lc data), 4 (+Lc data Le);
 * short form only, Le = 256 is encoded 00. */
apdu_rv apdu_encode(const struct apdu *cmd, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n = 4;

	if (cmd == NULL || out == NULL || out_len == NULL)
		return APDU_ERR_ARGS;
	if (cmd->lc > APDU_SHORT_LC_MAX || cmd->le > APDU_SHORT_LE_MAX ||
	    (cmd->lc > 0 && cmd->data == NULL))
		return APDU_ERR_ARGS;
	n += cmd->lc > 0 ? 1 + cmd->lc : 0;
	n += cmd->le > 0 ? 1 : 0;
	if (n > cap)
		return APDU_ERR_ARGS;
	out[0] = cmd->cla;
	out[1] = cmd->ins;
	out[2] = cmd->p1;
	out[3] = cmd->p2;
	n = 4;
	if (cmd->lc > 0) {
		out[n++] = (uint8_t)cmd->lc;
		memcpy(out + n, cmd->data, cmd->lc);
		n += cmd->lc;
	}
	if (cmd->le > 0)
		out[n++] = (uint8_t)(cmd->le == APDU_SHORT_LE_MAX ? 0 : cmd->le);
	*out_len = n;
	return APDU_OK;
}

/* Response data accumulated over 61xx (bounded by `cap`). */
struct acc {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* One raw exchange: encode, count, trace, transmit, check length. The
 * encoded command may carry a PIN (VERIFY, CHANGE REFERENCE DATA, RESET
 * RETRY COUNTER): wiped at the single exit (R22). */
static apdu_rv APDU_WUR raw_exchange(struct apdu_card *card, const struct apdu *c, uint8_t *resp,
                                     size_t *resp_len)
{
	uint8_t raw[APDU_RAW_MAX];
	size_t raw_len = 0;
	apdu_rv rv = apdu_encode(c, raw, sizeof(raw), &raw_len);

	*resp_len = 0;
	if (rv != APDU_OK)
		goto out;
	card->count++;
	log_apdu_cmd(card->reader, raw, raw_len);
	rv = card->ops->transmit(card->ctx, raw, raw_len, resp, resp_len);
	if (rv != APDU_OK) {
		log_msg(LOG_APDU, "%s: transmit: %s", card->reader, apdu_rv_name(rv));
		*resp_len = 0;
		goto out;
	}
	log_apdu_resp(card->reader, resp, *resp_len);
	if (*resp_len < 2 || *resp_len > APDU_RAW_RESP_MAX) {
		log_msg(LOG_APDU, "%s: response of %zu bytes", card->reader, *resp_len);
		rv = APDU_ERR_PROTOCOL;
	}
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rv;
}

static apdu_rv APDU_WUR acc_add(struct acc *a, const uint8_t *p, size_t n)
{
	if (n > a->cap - a->len)
		return APDU_ERR_PROTOCOL;
	if (n > 0)
		memcpy(a->buf + a->len, p, n);
	a->len += n;
	return APDU_OK;
}

/*
 * Send one short APDU and append its response data. 6Cxx to a command
 * without data (case 1/2) is answered by one re-send with Le = xx
 * (ISO 7816-4 §5.1.3); with data it is returned as is: a re-send could
 * repeat a signature (docs/card.md §1).
 */
static apdu_rv APDU_WUR exchange(struct apdu_card *card, const struct apdu *c, struct acc *a,
                                 uint16_t *sw)
{
	uint8_t resp[APDU_RAW_RESP_MAX];
	size_t n = 0;
	struct apdu again = *c;
	apdu_rv rv = raw_exchange(card, c, resp, &n);

	if (rv != APDU_OK)
		goto out;
	*sw = (uint16_t)(resp[n - 2] << 8 | resp[n - 1]);
	if ((*sw >> 8) == SW1_WRONG_LE && c->lc == 0) {
		again.le = (*sw & 0xFFu) == 0 ? APDU_SHORT_LE_MAX : (*sw & 0xFFu);
		log_msg(LOG_APDU, "%s: 6C%02X: re-send with Le=%zu", card->reader, *sw & 0xFFu,
		        again.le);
		rv = raw_exchange(card, &again, resp, &n);
		if (rv != APDU_OK)
			goto out;
		*sw = (uint16_t)(resp[n - 2] << 8 | resp[n - 1]);
	}
	rv = acc_add(a, resp, n - 2);
out:
	OPENSSL_cleanse(resp, sizeof(resp)); /* may hold a deciphered block */
	return rv;
}

/* ISO 7816-4 §5.1.1.1: all parts but the last carry CLA | 0x10. Stops at
 * the first intermediate part whose SW is not 9000 (*stopped = true). */
static apdu_rv APDU_WUR send_chain(struct apdu_card *card, const struct apdu *cmd, struct acc *a,
                                   uint16_t *sw, bool *stopped)
{
	struct apdu part = *cmd;
	size_t off = 0;
	apdu_rv rv;

	part.cla = (uint8_t)(cmd->cla | CLA_CHAIN);
	part.le = 0;
	while (cmd->lc - off > APDU_SHORT_LC_MAX) {
		part.data = cmd->data + off;
		part.lc = APDU_SHORT_LC_MAX;
		rv = exchange(card, &part, a, sw);
		if (rv != APDU_OK || *sw != SW_OK) {
			*stopped = true;
			return rv;
		}
		off += APDU_SHORT_LC_MAX;
	}
	part = *cmd;
	part.data = cmd->lc > 0 ? cmd->data + off : NULL;
	part.lc = cmd->lc - off;
	return exchange(card, &part, a, sw);
}

/* 61xx: GET RESPONSE 00 C0 00 00 xx until a final SW. Every round must
 * bring data, so the accumulation cap also bounds the number of rounds. */
static apdu_rv APDU_WUR get_responses(struct apdu_card *card, struct acc *a, uint16_t *sw)
{
	struct apdu gr = {0x00, INS_GET_RESPONSE, 0x00, 0x00, NULL, 0, 0};
	apdu_rv rv = APDU_OK;

	while ((*sw >> 8) == SW1_MORE) {
		size_t before = a->len;
		gr.le = (*sw & 0xFFu) == 0 ? APDU_SHORT_LE_MAX : (*sw & 0xFFu);
		if (gr.le > a->cap - a->len) {
			log_msg(LOG_APDU, "%s: 61xx past the response cap %zu", card->reader,
			        a->cap);
			return APDU_ERR_PROTOCOL;
		}
		rv = exchange(card, &gr, a, sw);
		if (rv != APDU_OK)
			return rv;
		if (a->len == before && (*sw >> 8) == SW1_MORE)
			return APDU_ERR_PROTOCOL; /* 61xx without data: no progress */
	}
	return rv;
}

apdu_rv apdu_transmit(struct apdu_card *card, const struct apdu *cmd, uint8_t *resp,
                      size_t resp_cap, size_t *resp_len, uint16_t *sw)
{
	struct acc a = {resp, resp_cap < APDU_CHAIN_CAP ? resp_cap : APDU_CHAIN_CAP, 0};
	bool stopped = false;
	apdu_rv rv;

	if (resp_len != NULL)
		*resp_len = 0;
	if (sw != NULL)
		*sw = 0;
	if (card == NULL || card->ops == NULL || cmd == NULL || resp_len == NULL || sw == NULL ||
	    (resp == NULL && resp_cap > 0) || (cmd->lc > 0 && cmd->data == NULL) ||
	    cmd->le > APDU_SHORT_LE_MAX)
		return APDU_ERR_ARGS;
	rv = send_chain(card, cmd, &a, sw, &stopped);
	if (rv == APDU_OK && *sw == SW_CHAIN_LAST_EXPECTED && a.len == 0) {
		/* the card was still in someone's broken chain: this answer ended
		 * it and the command was not executed (ISO 7816-4 §5.1.1.1) */
		log_msg(LOG_APDU,
		        "%s: 6883: the card was left inside a command chain; "
		        "sending the command again",
		        card->reader);
		stopped = false;
		rv = send_chain(card, cmd, &a, sw, &stopped);
	}
	if (rv == APDU_OK && !stopped && (*sw >> 8) == SW1_MORE)
		rv = get_responses(card, &a, sw);
	if (rv != APDU_OK) {
		*sw = 0;
		return rv;
	}
	*resp_len = a.len;
	return APDU_OK;
}

apdu_rv apdu_begin(struct apdu_card *card)
{
	if (card == NULL || card->ops == NULL)
		return APDU_ERR_ARGS;
	return card->ops->begin(card->ctx);
}

apdu_rv apdu_end(struct apdu_card *card, bool reset)
{
	if (card == NULL || card->ops == NULL)
		return APDU_ERR_ARGS;
	return card->ops->end(card->ctx, reset);
}

apdu_rv apdu_reconnect(struct apdu_card *card)
{
	if (card == NULL || card->ops == NULL)
		return APDU_ERR_ARGS;
	log_msg(LOG_APDU, "%s: reconnect", card->reader);
	return card->ops->reconnect(card->ctx);
}

apdu_rv apdu_control(struct apdu_card *card, uint32_t code, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (card == NULL || card->ops == NULL || out_len == NULL || (in == NULL && in_len > 0) ||
	    (out == NULL && out_cap > 0))
		return APDU_ERR_ARGS;
	*out_len = 0;
	if (card->ops->control == NULL)
		return APDU_ERR_NOT_SUPPORTED;
	return card->ops->control(card->ctx, code, in, in_len, out, out_cap, out_len);
}

apdu_rv apdu_card_atr(struct apdu_card *card, uint8_t *atr, size_t *atr_len)
{
	if (card == NULL || card->ops == NULL || atr == NULL || atr_len == NULL)
		return APDU_ERR_ARGS;
	*atr_len = 0;
	return card->ops->atr(card->ctx, atr, atr_len);
}

void apdu_card_close(struct apdu_card *card)
{
	if (card == NULL)
		return;
	if (card->ops != NULL && card->ops->close != NULL)
		card->ops->close(card->ctx);
	free(card);
}

void apdu_card_forget(struct apdu_card *card)
{
	if (card == NULL)
		return;
	if (card->ops != NULL && card->ops->forget != NULL)
		card->ops->forget(card->ctx);
	free(card);
}

unsigned long apdu_card_count(const struct apdu_card *card)
{
	return card != NULL ? card->count : 0;
}
