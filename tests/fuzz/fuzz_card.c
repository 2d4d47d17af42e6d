/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis/ over the fuzz transport: every response a card gives reaches the
 * real parsers (SELECT/FCI, GET DATA identity, EF.DIR, ODF, TokenInfo,
 * AODF, PrKDF, PuKDF, CDF, certificates, the no-directory fallback, PIN
 * status words, MSE/PSO answers, GET CHALLENGE).
 * Input: u8 ATR length (≤ 33), the ATR, then the responses
 * (tests/fuzz/fuzz_transport.h) — the same format as fuzz_module, so the
 * recorded sessions serve as seeds for both.
 */
#include <stdlib.h>
#include <string.h>

#include "../../akis/akis.h"
#include "fuzz_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use_keys(struct akis_card *card)
{
	static const uint8_t in[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                               0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	uint8_t out[1024], block[256] = {0};
	size_t len = 0;

	for (size_t k = 0; k < card->n_keys; k++) {
		if (card->keys[k].type == AKIS_KEY_EC)
			(void)akis_sign_tx(card, k, AKIS_SIGN_ECDSA, in + 19, 32, out, sizeof(out),
			                   &len);
		else
			(void)akis_sign_tx(card, k, AKIS_SIGN_RSA_PKCS1, in, sizeof(in), out,
			                   sizeof(out), &len);
		if (card->keys[k].type == AKIS_KEY_RSA)
			(void)akis_decrypt_tx(card, k, block, sizeof(block), out, sizeof(out),
			                      &len);
	}
}

static void session(struct akis_card *card)
{
	struct akis_pin_status st;
	uint8_t rnd[40];
	int tries = -1;
	bool was_reset = false;

	if (akis_begin(card, &was_reset) != AKIS_OK)
		return;
	if (akis_bind_tx(card, NULL) == AKIS_OK) {
		(void)akis_pin_status_tx(card, AKIS_PIN_USER, &st);
		(void)akis_pin_status_tx(card, AKIS_PIN_SO, &st);
		(void)akis_pin_verify_tx(card, AKIS_PIN_USER, "12345", 5, &tries);
		use_keys(card);
		(void)akis_random_tx(card, rnd, sizeof(rnd));
		(void)akis_pin_change_tx(card, AKIS_PIN_USER, "12345", 5, "54321", 5, &tries);
		(void)akis_logout_tx(card);
	}
	akis_end(card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct akis_atr_info atr;
	struct akis_card *card = NULL;
	struct apdu_card *io;

	if (size < 1 || data[0] > APDU_ATR_MAX || size < 1u + data[0])
		return 0;
	if (!akis_atr_match(data + 1, data[0], &atr))
		return 0;
	io = fz_card_open(data + 1 + data[0], size - 1 - data[0]);
	if (io == NULL)
		return 0;
	if (akis_card_new(io, &atr, &card) != AKIS_OK) {
		apdu_card_close(io);
		return 0;
	}
	session(card);
	akis_card_free(card);
	return 0;
}
