/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A card transport whose answers come from the fuzz input (shared by the
 * fuzz targets, header-only). The input is a stream of responses, each a
 * 2-byte big-endian length then that many bytes (data + SW1 SW2); a length
 * over APDU_RAW_RESP_MAX is cut to it; the end of the input is a removed
 * card (APDU_ERR_NO_CARD), so every run terminates. Commands are ignored.
 * tests/fuzz/make-seeds.sh writes seeds in this format from real sessions.
 */
#ifndef AKIS_FUZZ_TRANSPORT_H
#define AKIS_FUZZ_TRANSPORT_H

#include <stdlib.h>
#include <string.h>

#include "../../apdu/apdu.h"

#define FZ_FN static __attribute__((unused))

struct fz_stream {
	const uint8_t *p;
	size_t n;
};

FZ_FN apdu_rv fz_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                          size_t *resp_len)
{
	struct fz_stream *s = ctx;
	size_t len;

	(void)cmd;
	(void)cmd_len;
	if (s->n < 2)
		return APDU_ERR_NO_CARD;
	len = (size_t)s->p[0] << 8 | s->p[1];
	s->p += 2;
	s->n -= 2;
	if (len > s->n)
		len = s->n;
	if (len > APDU_RAW_RESP_MAX)
		len = APDU_RAW_RESP_MAX;
	memcpy(resp, s->p, len);
	*resp_len = len;
	s->p += len;
	s->n -= len;
	return APDU_OK;
}

FZ_FN apdu_rv fz_ok(void *ctx)
{
	(void)ctx;
	return APDU_OK;
}

FZ_FN apdu_rv fz_end(void *ctx, bool reset)
{
	(void)ctx;
	(void)reset;
	return APDU_OK;
}

FZ_FN apdu_rv fz_control(void *ctx, uint32_t code, const uint8_t *in, size_t in_len, uint8_t *out,
                         size_t out_cap, size_t *out_len)
{
	(void)ctx, (void)code, (void)in, (void)in_len, (void)out, (void)out_cap;
	*out_len = 0;
	return APDU_ERR_NOT_SUPPORTED;
}

FZ_FN apdu_rv fz_atr(void *ctx, uint8_t *atr, size_t *atr_len)
{
	(void)ctx, (void)atr;
	*atr_len = 0;
	return APDU_ERR_NOT_SUPPORTED;
}

FZ_FN void fz_close(void *ctx)
{
	free(ctx);
}

static const struct apdu_ops fz_ops __attribute__((unused)) = {
        .transmit = fz_transmit,
        .begin = fz_ok,
        .end = fz_end,
        .reconnect = fz_ok,
        .control = fz_control,
        .atr = fz_atr,
        .close = fz_close,
        .forget = fz_close,
};

/* A card answering from data[0..n) (the bytes must outlive the card). */
FZ_FN struct apdu_card *fz_card_open(const uint8_t *data, size_t n)
{
	struct apdu_card *card = calloc(1, sizeof(*card));
	struct fz_stream *s = calloc(1, sizeof(*s));

	if (card == NULL || s == NULL) {
		free(card);
		free(s);
		return NULL;
	}
	s->p = data;
	s->n = n;
	card->ops = &fz_ops;
	card->ctx = s;
	strcpy(card->reader, "fuzz");
	return card;
}

#endif
