/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scripted transport (apdu/script.h): expected raw command → canned raw
 * response, for unit tests of every layer above apdu/.
 */
#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_ERR_MAX (4u * APDU_RAW_MAX + 128u) /* two full APDUs in hex */

struct script_step {
	bool any;         /* accept any command */
	uint32_t control; /* non-zero: an apdu_control exchange with this code */
	uint8_t cmd[APDU_RAW_MAX];
	size_t cmd_len;
	uint8_t resp[APDU_RAW_RESP_MAX + 16u]; /* a bit more, to script oversize answers */
	size_t resp_len;
	apdu_rv rv;
};

struct script_ctx {
	struct script_step *steps;
	size_t n;
	size_t pos;
	bool mismatch;
	char error[SCRIPT_ERR_MAX];
	int tx_depth;
	unsigned resets;  /* transactions ended with a card reset */
	bool has_control; /* some step is a control exchange */
	uint8_t atr[APDU_ATR_MAX];
	size_t atr_len;
};

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex (spaces ignored) → bytes. False on a bad digit, odd count or overflow. */
static bool __attribute__((warn_unused_result))
parse_hex(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		int v = hex_nibble(*s);
		if (v < 0)
			return false;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return false;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return false;
	*out_len = n;
	return true;
}

static void hex_str(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02X", p[i]);
}

/* "ctl 42330006 " before a control exchange, "" before an APDU. */
static void kind_str(uint32_t control, char *out, size_t cap)
{
	out[0] = '\0';
	if (control != 0)
		snprintf(out, cap, "ctl %08X ", (unsigned)control);
}

/* control = 0: an APDU. */
static void record_mismatch(struct script_ctx *s, uint32_t control, const uint8_t *cmd, size_t len)
{
	char got[2u * APDU_RAW_MAX + 1u];
	char want[2u * APDU_RAW_MAX + 1u];
	char got_kind[16], want_kind[16];
	const struct script_step *st;

	if (s->mismatch)
		return; /* keep the first one */
	s->mismatch = true;
	hex_str(cmd, len, got, sizeof(got));
	kind_str(control, got_kind, sizeof(got_kind));
	if (s->pos >= s->n) {
		snprintf(s->error, sizeof(s->error),
		         "step %zu: past the end of the script, got %s%s", s->pos, got_kind, got);
		return;
	}
	st = &s->steps[s->pos];
	hex_str(st->cmd, st->cmd_len, want, sizeof(want));
	kind_str(st->control, want_kind, sizeof(want_kind));
	snprintf(s->error, sizeof(s->error), "step %zu: expected %s%s got %s%s", s->pos, want_kind,
	         st->any ? "(any)" : want, got_kind, got);
}

static apdu_rv script_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                               size_t *resp_len)
{
	struct script_ctx *s = ctx;
	const struct script_step *st;

	*resp_len = 0;
	if (s->pos >= s->n) {
		record_mismatch(s, 0, cmd, cmd_len);
		return APDU_ERR_COMM;
	}
	st = &s->steps[s->pos];
	if (st->control != 0 ||
	    (!st->any && (st->cmd_len != cmd_len || memcmp(st->cmd, cmd, cmd_len) != 0))) {
		record_mismatch(s, 0, cmd, cmd_len);
		return APDU_ERR_COMM;
	}
	s->pos++;
	if (st->rv != APDU_OK)
		return st->rv;
	/* A real reader refuses to overflow the receive buffer (PC/SC
	 * SCARD_E_INSUFFICIENT_BUFFER); report it as a malformed answer. */
	if (st->resp_len > APDU_RAW_RESP_MAX)
		return APDU_ERR_PROTOCOL;
	memcpy(resp, st->resp, st->resp_len);
	*resp_len = st->resp_len;
	return APDU_OK;
}

/* SCardControl over the script (PC/SC part 10 features, PIN pad). */
static apdu_rv script_control(void *ctx, uint32_t code, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct script_ctx *s = ctx;
	const struct script_step *st;

	*out_len = 0;
	if (!s->has_control)
		return APDU_ERR_NOT_SUPPORTED; /* a reader without control codes */
	st = s->pos < s->n ? &s->steps[s->pos] : NULL;
	if (st == NULL || st->control != code ||
	    (!st->any &&
	     (st->cmd_len != in_len || (in_len > 0 && memcmp(st->cmd, in, in_len) != 0)))) {
		record_mismatch(s, code, in, in_len);
		return APDU_ERR_COMM;
	}
	s->pos++;
	if (st->rv != APDU_OK)
		return st->rv;
	if (st->resp_len > out_cap)
		return APDU_ERR_PROTOCOL; /* SCARD_E_INSUFFICIENT_BUFFER */
	memcpy(out, st->resp, st->resp_len);
	*out_len = st->resp_len;
	return APDU_OK;
}

static apdu_rv script_begin(void *ctx)
{
	struct script_ctx *s = ctx;
	s->tx_depth++;
	return APDU_OK;
}

static apdu_rv script_end(void *ctx, bool reset)
{
	struct script_ctx *s = ctx;
	s->tx_depth--;
	if (reset)
		s->resets++;
	return APDU_OK;
}

static apdu_rv script_reconnect(void *ctx)
{
	(void)ctx;
	return APDU_OK;
}

static apdu_rv script_atr(void *ctx, uint8_t *atr, size_t *atr_len)
{
	struct script_ctx *s = ctx;

	memcpy(atr, s->atr, s->atr_len);
	*atr_len = s->atr_len;
	return APDU_OK;
}

static void script_close(void *ctx)
{
	struct script_ctx *s = ctx;

	if (s == NULL)
		return;
	free(s->steps);
	free(s);
}

static const struct apdu_ops script_ops = {
        .transmit = script_transmit,
        .begin = script_begin,
        .end = script_end,
        .reconnect = script_reconnect,
        .control = script_control,
        .atr = script_atr,
        .close = script_close,
        .forget = script_close, /* nothing outside memory */
};

#define SCRIPT_CTL_PREFIX "ctl:"

/* "ctl:42330006 0102": the control code, *cmd left at the input. A command
 * without the prefix is an APDU (*control = 0). */
static bool __attribute__((warn_unused_result)) parse_control(const char **cmd, uint32_t *control)
{
	size_t plen = strlen(SCRIPT_CTL_PREFIX);
	uint32_t code = 0;
	const char *p = *cmd;

	*control = 0;
	if (strncmp(p, SCRIPT_CTL_PREFIX, plen) != 0)
		return true;
	p += plen;
	for (int i = 0; i < 8; i++, p++) {
		int v = hex_nibble(*p);
		if (v < 0)
			return false;
		code = code << 4 | (uint32_t)v;
	}
	if (code == 0 || (*p != '\0' && *p != ' '))
		return false;
	*control = code;
	*cmd = p;
	return true;
}

static bool __attribute__((warn_unused_result))
copy_step(struct script_step *dst, const struct apdu_script_step *src)
{
	const char *cmd = src->cmd;

	dst->rv = src->rv;
	dst->any = cmd == NULL;
	if (!dst->any && !parse_control(&cmd, &dst->control))
		return false;
	if (!dst->any && !parse_hex(cmd, dst->cmd, sizeof(dst->cmd), &dst->cmd_len))
		return false;
	if (src->rv != APDU_OK || src->resp == NULL)
		return src->rv != APDU_OK; /* an OK step needs a response */
	return parse_hex(src->resp, dst->resp, sizeof(dst->resp), &dst->resp_len);
}

/* Returns NULL on allocation failure or a malformed script (bad hex, an
 * APDU_OK step without response). */
struct apdu_card *apdu_script_open(const struct apdu_script_step *steps, size_t n,
                                   const char *atr_hex)
{
	struct apdu_card *card = calloc(1, sizeof(*card));
	struct script_ctx *s = calloc(1, sizeof(*s));

	if (card == NULL || s == NULL || (n > 0 && steps == NULL))
		goto fail;
	s->steps = calloc(n > 0 ? n : 1, sizeof(*s->steps));
	if (s->steps == NULL)
		goto fail;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!copy_step(&s->steps[i], &steps[i]))
			goto fail;
		if (s->steps[i].control != 0)
			s->has_control = true;
	}
	if (atr_hex != NULL && !parse_hex(atr_hex, s->atr, sizeof(s->atr), &s->atr_len))
		goto fail;
	card->ops = &script_ops;
	card->ctx = s;
	snprintf(card->reader, sizeof(card->reader), "script");
	return card;
fail:
	script_close(s);
	free(card);
	return NULL;
}

static const struct script_ctx *ctx_of(const struct apdu_card *card)
{
	if (card == NULL || card->ops != &script_ops)
		return NULL;
	return card->ctx;
}

size_t apdu_script_pos(const struct apdu_card *card)
{
	const struct script_ctx *s = ctx_of(card);
	return s != NULL ? s->pos : 0;
}

bool apdu_script_done(const struct apdu_card *card)
{
	const struct script_ctx *s = ctx_of(card);
	return s != NULL && !s->mismatch && s->pos == s->n;
}

const char *apdu_script_error(const struct apdu_card *card)
{
	const struct script_ctx *s = ctx_of(card);
	if (s == NULL)
		return "not a scripted card";
	return s->error;
}

int apdu_script_tx_depth(const struct apdu_card *card)
{
	const struct script_ctx *s = ctx_of(card);
	return s != NULL ? s->tx_depth : 0;
}

unsigned apdu_script_resets(const struct apdu_card *card)
{
	const struct script_ctx *s = ctx_of(card);
	return s != NULL ? s->resets : 0;
}
