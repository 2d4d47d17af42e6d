/* APDU engine of the virtual card.
 * ISO 7816-4 §5.1 (short APDUs only, docs/card.md §1), §5.3.4 command
 * chaining (CLA bit 0x10), §5.3.3/§7.6.1 61xx + GET RESPONSE, 6Cxx only for
 * case-2 commands (docs/card.md §1). Every length is checked before use. */
#include "dispatch.h"

#include <string.h>

#include "cryptoop.h"
#include "fs.h"
#include "sec.h"

typedef void (*vc_handler)(struct vc_card *, const struct vc_cmd *, struct vc_resp *);

struct ins_entry {
	uint8_t ins;
	vc_handler fn;
};

static const struct ins_entry ins_table[] = {
        {0xA4, vc_cmd_select},         {0xB0, vc_cmd_read_binary}, {0xCA, vc_cmd_get_data},
        {0x18, vc_cmd_list_files},     {0x20, vc_cmd_verify},      {0x24, vc_cmd_change},
        {0x2C, vc_cmd_reset_retry},    {0x1A, vc_cmd_logout},      {0x84, vc_cmd_get_challenge},
        {0x09, vc_cmd_set_life_cycle}, {0x22, vc_cmd_mse},         {0x2A, vc_cmd_pso},
};

/* ISO 7816-4 §5.1: case 1 (4 bytes), 2 (5), 3 (5+Lc), 4 (5+Lc+1). */
static bool parse(const uint8_t *a, size_t n, struct vc_cmd *cmd)
{
	memset(cmd, 0, sizeof *cmd);
	if (n < 4)
		return false;
	cmd->cla = a[0], cmd->ins = a[1], cmd->p1 = a[2], cmd->p2 = a[3];
	if (n == 4)
		return true;
	if (n == 5) {
		cmd->has_le = true;
		cmd->le = a[4] ? a[4] : 256;
		return true;
	}
	if (a[4] == 0) /* extended length: not on AKIS [C] */
		return false;
	cmd->lc = a[4];
	cmd->data = a + 5;
	if (n == 5 + cmd->lc)
		return true;
	if (n == 6 + cmd->lc) {
		cmd->has_le = true;
		cmd->le = a[n - 1] ? a[n - 1] : 256;
		return true;
	}
	return false;
}

static uint8_t sw61(size_t rest)
{
	return rest > 255 ? 0 : (uint8_t)rest;
}

/* Deliver up to `first` bytes of the pending response, keep the rest. */
static size_t emit(struct vc_card *c, size_t first, uint8_t *out)
{
	size_t rest = c->pend_len - c->pend_off;
	size_t n = rest < first ? rest : first;
	if (n > VC_RESP_CAP)
		n = VC_RESP_CAP;
	memcpy(out, c->pend + c->pend_off, n);
	c->pend_off += n;
	rest -= n;
	if (rest) {
		out[n] = 0x61;
		out[n + 1] = sw61(rest);
	} else {
		out[n] = (uint8_t)(c->pend_sw >> 8);
		out[n + 1] = (uint8_t)c->pend_sw;
		c->pend_len = c->pend_off = 0;
	}
	return n + 2;
}

static size_t sw_only(uint16_t sw, uint8_t *out)
{
	out[0] = (uint8_t)(sw >> 8);
	out[1] = (uint8_t)sw;
	return 2;
}

static bool sw_carries_data(uint16_t sw)
{
	return sw == SW_OK || sw == SW_EOF;
}

static size_t deliver(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r, uint8_t *out)
{
	size_t want = cmd->has_le ? cmd->le : 256; /* P2 00 SELECT answers without Le */
	if (!sw_carries_data(r->sw) || r->len == 0)
		return sw_only(r->sw, out);
	/* 6Cxx: only a case-2 command whose Le is too small (docs/card.md §1) */
	if (!r->sized && cmd->lc == 0 && cmd->has_le && cmd->le < r->len && r->len <= 256)
		return sw_only((uint16_t)(0x6C00 | (r->len & 0xFF)), out);
	memcpy(c->pend, r->data, r->len);
	c->pend_len = r->len;
	c->pend_off = 0;
	c->pend_sw = r->sw;
	return emit(c, want, out);
}

static size_t get_response(struct vc_card *c, const struct vc_cmd *cmd, uint8_t *out)
{
	if (cmd->p1 || cmd->p2)
		return sw_only(SW_P1P2, out);
	if (cmd->lc || !cmd->has_le)
		return sw_only(SW_WRONG_LEN, out);
	if (c->pend_off >= c->pend_len)
		return sw_only(SW_CONDITIONS, out);
	return emit(c, cmd->le, out);
}

static vc_handler ins_lookup(uint8_t ins)
{
	for (size_t i = 0; i < sizeof ins_table / sizeof ins_table[0]; i++)
		if (ins_table[i].ins == ins)
			return ins_table[i].fn;
	return NULL;
}

/* Command chaining, ISO 7816-4 §5.3.4: accumulate parts sent with CLA bit
 * 0x10, each answered 9000; the last part (bit clear) carries the whole. */
static uint16_t chain(struct vc_card *c, struct vc_cmd *cmd, const uint8_t *a)
{
	bool more = (cmd->cla & 0x10) != 0;
	if (c->chaining && memcmp(c->chain_hdr + 1, a + 1, 3) != 0) {
		c->chaining = false;
		c->chain_len = 0;
		return SW_LAST_CHAIN;
	}
	if (!c->chaining && !more)
		return SW_OK;
	if (c->chain_len + cmd->lc > sizeof c->chain) {
		c->chaining = false;
		c->chain_len = 0;
		return SW_WRONG_LEN;
	}
	if (cmd->lc)
		memcpy(c->chain + c->chain_len, cmd->data, cmd->lc);
	c->chain_len += cmd->lc;
	if (more) {
		c->chaining = true;
		memcpy(c->chain_hdr, a, 4);
		return 0x9001; /* internal: "part taken" */
	}
	c->chaining = false;
	cmd->data = c->chain;
	cmd->lc = c->chain_len;
	c->chain_len = 0;
	return SW_OK;
}

static size_t run(struct vc_card *c, struct vc_cmd *cmd, const uint8_t *a, uint8_t *out)
{
	struct vc_resp r;
	vc_handler fn;
	uint16_t sw;
	memset(&r, 0, sizeof r);
	if ((cmd->cla & 0xEF) != 0x00 && (cmd->cla & 0xEF) != 0x80)
		return sw_only(SW_CLA, out);
	if (cmd->ins == 0xC0 && !(cmd->cla & 0x10))
		return get_response(c, cmd, out);
	c->pend_len = c->pend_off = 0; /* any other command drops pending data */
	fn = ins_lookup(cmd->ins);
	if (!fn) {
		c->chaining = false;
		c->chain_len = 0;
		return sw_only(SW_INS, out);
	}
	sw = chain(c, cmd, a);
	if (sw == 0x9001)
		return sw_only(SW_OK, out);
	if (sw != SW_OK)
		return sw_only(sw, out);
	fn(c, cmd, &r);
	return deliver(c, cmd, &r, out);
}

size_t vc_process(struct vc_card *c, const uint8_t *apdu, size_t n, uint8_t *out)
{
	struct vc_cmd cmd;
	if (!parse(apdu, n, &cmd)) {
		c->chaining = false;
		c->chain_len = 0;
		return sw_only(n >= 4 && (apdu[0] & 0xEF) != 0 && (apdu[0] & 0xEF) != 0x80
		                       ? SW_CLA
		                       : SW_WRONG_LEN,
		               out);
	}
	return run(c, &cmd, apdu, out);
}
