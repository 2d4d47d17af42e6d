/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key selection, signing, deciphering in both dialects (docs/card.md §3),
 * and GET CHALLENGE. Keys are local to the application DF: it is made
 * current first (no APDU when it already is), except by akis_sign_here_tx,
 * whose caller proves the signature (docs/design.md "The signature without
 * a SELECT").
 */
#include <string.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"

#define INS_MSE           0x22
#define INS_PSO           0x2A
#define INS_GET_CHALLENGE 0x84
#define MSE_1X_P1         0xC3 /* 1.x: MSE with the key reference in P2 [C] */
#define MSE_SET           0x41 /* ISO 7816-4 §11.5.11: SET for computation */
#define CRT_DST           0xB6
#define CRT_CT            0xB8
#define PSO_CDS_P1        0x9E
#define PSO_CDS_P2        0x9A
#define PSO_DEC_P1        0x80
#define PSO_DEC_P2        0x86
#define IN_MAX            512u /* RSA-4096 block */
#define RANDOM_STEP       128u
#define RANDOM_STEP_SMALL 8u

/* 2.x algorithm references (docs/card.md §3 "alg") */
static const uint8_t alg_ref[] = {
        [AKIS_SIGN_RSA_RAW] = 0x00,
        [AKIS_SIGN_RSA_PKCS1] = 0x02,
        [AKIS_SIGN_RSA_PSS] = 0x05,
        [AKIS_SIGN_ECDSA] = 0x04,
};

bool akis_key_can(const struct akis_card *card, size_t key, enum akis_sign_alg alg)
{
	if (card == NULL || key >= card->n_keys)
		return false;
	const struct akis_key *k = &card->keys[key];
	bool v2 = card->atr.profile == AKIS_PROFILE_2;
	switch (alg) {
	case AKIS_SIGN_RSA_RAW:
	case AKIS_SIGN_RSA_PKCS1:
		return k->type == AKIS_KEY_RSA;
	case AKIS_SIGN_RSA_PSS:
		return v2 && k->type == AKIS_KEY_RSA;
	case AKIS_SIGN_ECDSA:
		return v2 && k->type == AKIS_KEY_EC;
	}
	return false;
}

/* Size of the card's answer, 0 when unknown. */
static size_t result_len(const struct akis_key *k)
{
	size_t n = (k->bits + 7) / 8;
	return k->type == AKIS_KEY_EC ? 2 * n : n;
}

/* The PSO answer has the key's size: raw RSA of modulus length, raw r‖s
 * for ECDSA (docs/card.md §3). An ECDSA answer that is a DER
 * ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE of two INTEGERs, at most
 * 2n + 9 bytes) is let through for pkcs11/mech.c to convert: cheap
 * insurance against a card or applet that answers in DER. */
static bool answer_fits(const struct akis_key *k, const uint8_t *out, size_t len)
{
	size_t want = result_len(k);

	if (want == 0 || len == want)
		return true;
	return k->type == AKIS_KEY_EC && len >= 8 && len <= want + 9 && out[0] == 0x30;
}

static akis_rv check_sw(struct akis_card *card, akis_rv rv, uint16_t sw, const char *what)
{
	if (rv != AKIS_OK)
		return rv;
	rv = akis_sw_ctx(card->atr.profile, sw, AKIS_SW_GENERAL, NULL);
	if (rv != AKIS_OK)
		log_msg(LOG_CARD, "%s: SW %04X -> %s", what, sw, akis_rv_name(rv));
	return rv;
}

/* MSE: 1.x `00 22 C3 ref`; 2.x `00 22 41 crt 06 80 01 alg 84 01 ref`.
 * select: make the application DF current first (no APDU when it is). */
static akis_rv mse_tx(struct akis_card *card, const struct akis_key *k, uint8_t crt, uint8_t alg,
                      bool select)
{
	uint8_t data[6];
	uint16_t sw = 0;
	struct apdu cmd = {0x00, INS_MSE, MSE_1X_P1, k->key_ref, NULL, 0, 0};
	akis_rv rv = select ? akis_select_app_tx(card) : AKIS_OK;
	if (rv != AKIS_OK)
		return rv;
	if (card->atr.profile == AKIS_PROFILE_2) {
		struct wr w = wr_init(data, sizeof data);
		wr_tlv(&w, 0x80, &alg, 1);
		uint8_t ref = (uint8_t)(k->key_ref | 0x80u); /* keyref = 0x80 | key id [C] */
		wr_tlv(&w, 0x84, &ref, 1);
		if (!wr_ok(&w))
			return AKIS_ERR_ARGS;
		cmd.p1 = MSE_SET;
		cmd.p2 = crt;
		cmd.data = data;
		cmd.lc = w.len;
	}
	rv = akis_xmit_tx(card, &cmd, NULL, 0, NULL, &sw);
	return check_sw(card, rv, sw, "MSE");
}

/* PSO with data (chained by apdu_transmit past 255 bytes), Le 00. */
static akis_rv pso_tx(struct akis_card *card, uint8_t p1, uint8_t p2, const uint8_t *in,
                      size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	uint16_t sw = 0;
	struct apdu cmd = {0x00, INS_PSO, p1, p2, in, in_len, APDU_SHORT_LE_MAX};
	akis_rv rv = akis_xmit_tx(card, &cmd, out, out_cap, out_len, &sw);
	return check_sw(card, rv, sw, "PSO");
}

static akis_rv sign_args(const struct akis_key *k, enum akis_sign_alg alg, size_t in_len,
                         size_t out_cap)
{
	size_t klen = (k->bits + 7) / 8, need = result_len(k);
	if (in_len == 0 || in_len > IN_MAX)
		return AKIS_ERR_ARGS;
	if (alg == AKIS_SIGN_RSA_RAW && klen && in_len != klen)
		return AKIS_ERR_ARGS;
	if (alg == AKIS_SIGN_RSA_PKCS1 && klen && in_len + 11 > klen)
		return AKIS_ERR_ARGS;
	if ((alg == AKIS_SIGN_RSA_PSS || alg == AKIS_SIGN_ECDSA) && in_len > 64)
		return AKIS_ERR_ARGS;
	if (out_cap < (need ? need : APDU_SHORT_LE_MAX))
		return AKIS_ERR_BUFFER;
	return AKIS_OK;
}

static akis_rv sign_tx(struct akis_card *card, size_t key, enum akis_sign_alg alg,
                       const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                       size_t *out_len, bool select)
{
	if (card == NULL || in == NULL || out == NULL || out_len == NULL || key >= card->n_keys)
		return AKIS_ERR_ARGS;
	const struct akis_key *k = &card->keys[key];
	if (!akis_key_can(card, key, alg))
		return AKIS_ERR_NOT_SUPPORTED;
	akis_rv rv = sign_args(k, alg, in_len, out_cap);
	if (rv != AKIS_OK)
		return rv;
	*out_len = 0;
	rv = mse_tx(card, k, CRT_DST, alg_ref[alg], select);
	if (rv == AKIS_OK)
		rv = pso_tx(card, PSO_CDS_P1, PSO_CDS_P2, in, in_len, out, out_cap, out_len);
	if (rv == AKIS_OK && !answer_fits(k, out, *out_len)) {
		log_msg(LOG_CARD, "signature of %zu bytes, expected %zu", *out_len, result_len(k));
		rv = AKIS_ERR_CARD_DATA;
	}
	log_msg(LOG_CARD, "sign key %02X alg %d%s: %s", k->key_ref, (int)alg,
	        select ? "" : " (no SELECT)", akis_rv_name(rv));
	return rv;
}

akis_rv akis_sign_tx(struct akis_card *card, size_t key, enum akis_sign_alg alg, const uint8_t *in,
                     size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	return sign_tx(card, key, alg, in, in_len, out, out_cap, out_len, true);
}

akis_rv akis_sign_here_tx(struct akis_card *card, size_t key, enum akis_sign_alg alg,
                          const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
	return sign_tx(card, key, alg, in, in_len, out, out_cap, out_len, false);
}

akis_rv akis_decrypt_tx(struct akis_card *card, size_t key, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len)
{
	uint8_t buf[IN_MAX + 1];
	if (card == NULL || in == NULL || out == NULL || out_len == NULL || key >= card->n_keys)
		return AKIS_ERR_ARGS;
	const struct akis_key *k = &card->keys[key];
	size_t klen = (k->bits + 7) / 8;
	if (k->type != AKIS_KEY_RSA)
		return AKIS_ERR_NOT_SUPPORTED;
	if (in_len == 0 || in_len > IN_MAX || (klen && in_len != klen))
		return AKIS_ERR_ARGS;
	if (out_cap < (klen ? klen : APDU_SHORT_LE_MAX))
		return AKIS_ERR_BUFFER;
	*out_len = 0;
	buf[0] = 0x00; /* padding indicator: none (ISO 7816-8 §5.9) */
	memcpy(buf + 1, in, in_len);
	akis_rv rv = mse_tx(card, k, CRT_CT, 0x00, true);
	if (rv == AKIS_OK)
		rv = pso_tx(card, PSO_DEC_P1, PSO_DEC_P2, buf, in_len + 1, out, out_cap, out_len);
	if (rv == AKIS_OK && klen && *out_len != klen)
		rv = AKIS_ERR_CARD_DATA;
	log_msg(LOG_CARD, "decipher key %02X: %s", k->key_ref, akis_rv_name(rv));
	return rv;
}

akis_rv akis_random_tx(struct akis_card *card, uint8_t *out, size_t len)
{
	size_t off = 0, step = RANDOM_STEP, got;
	uint16_t sw = 0;
	if (card == NULL || (out == NULL && len > 0))
		return AKIS_ERR_ARGS;
	while (off < len) {
		size_t want = len - off < step ? len - off : step;
		struct apdu cmd = {0x00, INS_GET_CHALLENGE, 0x00, 0x00, NULL, 0, want};
		got = 0;
		akis_rv rv = akis_xmit_tx(card, &cmd, out + off, want, &got, &sw);
		if (rv != AKIS_OK)
			return rv;
		if (sw == AKIS_SW_WRONG_LENGTH && step != RANDOM_STEP_SMALL) {
			step = RANDOM_STEP_SMALL; /* a card with a smaller challenge */
			continue;
		}
		rv = check_sw(card, rv, sw, "GET CHALLENGE");
		if (rv != AKIS_OK)
			return rv;
		if (got == 0)
			return AKIS_ERR_CARD_DATA;
		off += got;
	}
	return AKIS_OK;
}
