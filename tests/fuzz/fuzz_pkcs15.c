/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the PKCS#15 directory parsers of akis/ and the ATR
 * matcher: the first byte chooses the parser, the rest is the file.
 *   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_pkcs15.c \
 *     akis/[a-z]*.c apdu/apdu.c log/log.c apdu/tlv.c -lcrypto -o fuzz_pkcs15
 */
#include <stdlib.h>
#include <string.h>

#include "../../akis/akis.h"
#include "../../akis/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct akis_card *fuzz_card(enum akis_profile profile)
{
	struct akis_card *card = calloc(1, sizeof *card);
	if (card == NULL)
		return NULL;
	card->atr.profile = profile;
	card->app_path[0] = 0x3D;
	card->app_path_len = 2;
	akis_pins_default(card);
	return card;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct akis_odf odf;
	struct akis_atr_info info;
	if (size < 1)
		return 0;
	struct akis_card *card = fuzz_card(data[0] & 0x80 ? AKIS_PROFILE_2 : AKIS_PROFILE_1_2);
	if (card == NULL)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] & 0x07) {
	case 0:
		(void)akis_p15_efdir(card, p, n);
		break;
	case 1:
		(void)akis_p15_odf(card, p, n, &odf);
		break;
	case 2:
		(void)akis_p15_tokeninfo(card, p, n);
		break;
	case 3:
		(void)akis_p15_aodf(card, p, n);
		break;
	case 4:
		(void)akis_p15_prkdf(card, p, n);
		(void)akis_p15_pukdf(card, p, n);
		break;
	case 5:
		(void)akis_p15_cdf(card, p, n);
		break;
	case 6:
		(void)akis_atr_match(p, n, &info);
		break;
	default:
		if (akis_p15_prkdf(card, p, n) == AKIS_OK && akis_p15_cdf(card, p, n) == AKIS_OK)
			akis_keys_complete(card);
		break;
	}
	akis_card_clear_directory(card);
	free(card);
	return 0;
}
