/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apdu_transmit's response handling (61xx GET RESPONSE accumulation, 6Cxx
 * re-send, chaining with a refusal on an intermediate part) and the
 * encoder, over the fuzz transport.
 * Input: u8 shape, u16 lc (0..600, > 255 chains), u16 le (0..256), u8
 * resp_cap selector, then responses (tests/fuzz/fuzz_transport.h).
 */
#include <stdlib.h>
#include <string.h>

#include "../../apdu/apdu.h"
#include "fuzz_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t caps[] = {0, 1, 2, 16, 255, 256, 257, 512, 4096, 8192};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cmd_data[600], resp[8192];
	struct apdu cmd = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 0};
	size_t lc, le, cap, len = 0;
	uint16_t sw = 0;
	struct apdu_card *card;
	uint8_t raw[APDU_RAW_MAX + 8];
	size_t raw_len;

	if (size < 6)
		return 0;
	lc = ((size_t)data[1] << 8 | data[2]) % (sizeof(cmd_data) + 1);
	le = ((size_t)data[3] << 8 | data[4]) % (APDU_SHORT_LE_MAX + 1);
	cap = caps[data[5] % (sizeof(caps) / sizeof(caps[0]))];
	memset(cmd_data, 0xA5, lc);
	cmd.cla = data[0] & 0x80 ? 0x80 : 0x00;
	cmd.ins = data[0] & 0x40 ? 0x2A : 0xB0;
	cmd.data = lc ? cmd_data : NULL;
	cmd.lc = lc;
	cmd.le = le;
	if (apdu_encode(&cmd, raw, sizeof(raw), &raw_len) == APDU_OK && raw_len > sizeof(raw))
		abort(); /* the encoder wrote past what it was given */
	card = fz_card_open(data + 6, size - 6);
	if (card == NULL)
		return 0;
	for (int i = 0; i < 1 + (data[0] & 0x03); i++) {
		apdu_rv rv = apdu_transmit(card, &cmd, cap ? resp : NULL, cap, &len, &sw);

		if (rv == APDU_OK && len > cap)
			abort(); /* more data than the buffer holds */
		if (rv == APDU_ERR_NO_CARD)
			break;
	}
	apdu_card_close(card);
	return 0;
}
