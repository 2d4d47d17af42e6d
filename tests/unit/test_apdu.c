/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apdu/apdu.c: encoding (ISO 7816-4 §5.1 cases 1-4), command chaining,
 * 61xx accumulation, 6Cxx re-send, transport errors, through the scripted
 * transport (apdu/script.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../apdu/apdu.h"
#include "../../apdu/script.h"

#define HEXBUF (2u * 600u + 1u)

static void hexcat(char *dst, const uint8_t *p, size_t n)
{
	size_t o = strlen(dst);
	for (size_t i = 0; i < n; i++, o += 2)
		sprintf(dst + o, "%02X", p[i]);
}

static uint8_t pattern[1024];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7u + 1u);
}

/* ----- apdu_encode, table-driven ----- */

struct enc_case {
	const char *name;
	struct apdu cmd;
	apdu_rv rv;
	const char *hex; /* expected encoding */
};

static const uint8_t d3[3] = {0x3F, 0x00, 0x01};

static void test_encode_table(void **state)
{
	(void)state;
	static const struct enc_case cases[] = {
	        {"case 1", {0x80, 0x1A, 0x00, 0x00, NULL, 0, 0}, APDU_OK, "801A0000"},
	        {"case 2 Le=F4", {0x00, 0xB0, 0x01, 0x02, NULL, 0, 0xF4}, APDU_OK, "00B00102F4"},
	        {"case 2 Le=1", {0x00, 0x84, 0x00, 0x00, NULL, 0, 1}, APDU_OK, "0084000001"},
	        {"case 2 Le=255", {0x00, 0x84, 0x00, 0x00, NULL, 0, 255}, APDU_OK, "00840000FF"},
	        {"case 2 Le=256 → 00",
	         {0x00, 0xC0, 0x00, 0x00, NULL, 0, 256},
	         APDU_OK,
	         "00C0000000"},
	        {"case 3", {0x00, 0xA4, 0x00, 0x0C, d3, 2, 0}, APDU_OK, "00A4000C023F00"},
	        {"case 4", {0x00, 0xA4, 0x00, 0x00, d3, 3, 256}, APDU_OK, "00A40000033F000100"},
	        {"case 4 Le=10", {0x00, 0xA4, 0x00, 0x00, d3, 1, 0x10}, APDU_OK, "00A40000013F10"},
	        {"Le=257", {0x00, 0xB0, 0x00, 0x00, NULL, 0, 257}, APDU_ERR_ARGS, NULL},
	        {"data NULL with lc", {0x00, 0xA4, 0x00, 0x00, NULL, 2, 0}, APDU_ERR_ARGS, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[APDU_RAW_MAX];
		char hex[HEXBUF] = "";
		size_t n = 0;
		apdu_rv rv = apdu_encode(&cases[i].cmd, out, sizeof(out), &n);
		if (rv != cases[i].rv)
			fail_msg("%s: rv %s", cases[i].name, apdu_rv_name(rv));
		if (cases[i].hex == NULL)
			continue;
		hexcat(hex, out, n);
		if (strcmp(hex, cases[i].hex) != 0)
			fail_msg("%s: got %s want %s", cases[i].name, hex, cases[i].hex);
	}
}

static void test_encode_lc_boundary(void **state)
{
	(void)state;
	uint8_t out[APDU_RAW_MAX + 8];
	size_t n = 0;
	struct apdu c = {0x00, 0x2A, 0x9E, 0x9A, pattern, 255, 256};

	assert_int_equal(apdu_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 4 + 1 + 255 + 1);
	assert_int_equal(out[4], 0xFF);
	assert_memory_equal(out + 5, pattern, 255);
	assert_int_equal(out[260], 0x00);
	/* exactly the right capacity works, one less does not */
	assert_int_equal(apdu_encode(&c, out, 261, &n), APDU_OK);
	assert_int_equal(apdu_encode(&c, out, 260, &n), APDU_ERR_ARGS);
	c.lc = 256;
	assert_int_equal(apdu_encode(&c, out, sizeof(out), &n), APDU_ERR_ARGS);
	assert_int_equal(apdu_encode(NULL, out, sizeof(out), &n), APDU_ERR_ARGS);
}

/* ----- chaining ----- */

/* Script a chained PSO of `total` bytes (CLA 10 parts of 255, last part
 * CLA 00 with Le 00); the last part answers `last_resp`. */
static size_t chain_steps(size_t total, struct apdu_script_step *st, char bufs[][HEXBUF],
                          const char *last_resp)
{
	size_t off = 0, k = 0;

	while (total - off > 255) {
		strcpy(bufs[k], "102A9E9AFF");
		hexcat(bufs[k], pattern + off, 255);
		st[k] = (struct apdu_script_step){bufs[k], "9000", APDU_OK};
		off += 255;
		k++;
	}
	sprintf(bufs[k], "002A9E9A%02X", (unsigned)(total - off));
	hexcat(bufs[k], pattern + off, total - off);
	strcat(bufs[k], "00");
	st[k] = (struct apdu_script_step){bufs[k], last_resp, APDU_OK};
	return k + 1;
}

static void run_chain(size_t total, size_t want_parts)
{
	struct apdu_script_step st[4];
	static char bufs[4][HEXBUF];
	size_t n = chain_steps(total, st, bufs, "A1A29000");
	struct apdu_card *card = apdu_script_open(st, n, NULL);
	struct apdu c = {0x00, 0x2A, 0x9E, 0x9A, pattern, total, 256};
	uint8_t resp[16];
	size_t rlen = 99;
	uint16_t sw = 0;

	assert_non_null(card);
	assert_int_equal(n, want_parts);
	assert_int_equal(apdu_transmit(card, &c, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_true(apdu_script_done(card));
	assert_string_equal(apdu_script_error(card), "");
	assert_int_equal(sw, 0x9000);
	assert_int_equal(rlen, 2);
	assert_int_equal(resp[0], 0xA1);
	assert_int_equal(apdu_card_count(card), want_parts);
	apdu_card_close(card);
}

static void test_chain_255(void **s)
{
	(void)s;
	run_chain(255, 1);
}
static void test_chain_256(void **s)
{
	(void)s;
	run_chain(256, 2);
}
static void test_chain_510(void **s)
{
	(void)s;
	run_chain(510, 2);
}
static void test_chain_511(void **s)
{
	(void)s;
	run_chain(511, 3);
}

static void test_chain_intermediate_error(void **state)
{
	(void)state;
	struct apdu_script_step st[4];
	static char bufs[4][HEXBUF];
	size_t n = chain_steps(511, st, bufs, "9000");
	struct apdu_card *card;
	struct apdu c = {0x00, 0x2A, 0x9E, 0x9A, pattern, 511, 256};
	uint8_t resp[16];
	size_t rlen = 99;
	uint16_t sw = 0;

	assert_int_equal(n, 3);
	st[1].resp = "6A80"; /* second part refused: the third is never sent */
	card = apdu_script_open(st, n, NULL);
	assert_non_null(card);
	assert_int_equal(apdu_transmit(card, &c, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(sw, 0x6A80);
	assert_int_equal(rlen, 0);
	assert_int_equal(apdu_script_pos(card), 2);
	assert_int_equal(apdu_card_count(card), 2);
	apdu_card_close(card);
}

/*
 * 6883 (last command of the chain expected): the card was still inside a
 * chain somebody broke; that answer ended it and the command was not
 * executed, so it is sent once more (issue 9). Only once; a chained
 * command is sent again from its first part.
 */
static void test_6883_resend(void **state)
{
	(void)state;
	static const struct apdu_script_step once[] = {
	        {"00A4080C023D00", "6883", APDU_OK},
	        {"00A4080C023D00", "9000", APDU_OK},
	};
	static const struct apdu_script_step twice[] = {
	        {"00A4080C023D00", "6883", APDU_OK},
	        {"00A4080C023D00", "6883", APDU_OK},
	};
	static const uint8_t df[] = {0x3D, 0x00};
	struct apdu sel = {0x00, 0xA4, 0x08, 0x0C, df, 2, 0};
	uint8_t resp[16];
	size_t rlen = 99;
	uint16_t sw = 0;
	struct apdu_card *card = apdu_script_open(once, 2, NULL);

	assert_int_equal(apdu_transmit(card, &sel, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(sw, 0x9000);
	assert_true(apdu_script_done(card));
	apdu_card_close(card);
	card = apdu_script_open(twice, 2, NULL);
	assert_int_equal(apdu_transmit(card, &sel, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(sw, 0x6883);
	assert_true(apdu_script_done(card));
	apdu_card_close(card);

	/* a chained PSO whose first part meets the broken chain */
	struct apdu_script_step st[4];
	static char bufs[4][HEXBUF];
	size_t n = chain_steps(256, st, bufs, "A1A29000");
	struct apdu_script_step all[5] = {st[0], st[0], st[1]};
	all[0].resp = "6883";
	struct apdu c = {0x00, 0x2A, 0x9E, 0x9A, pattern, 256, 256};
	assert_int_equal(n, 2);
	card = apdu_script_open(all, 3, NULL);
	assert_int_equal(apdu_transmit(card, &c, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(rlen, 2);
	assert_true(apdu_script_done(card));
	apdu_card_close(card);
}

/* An intermediate 61xx is not followed by GET RESPONSE either. */
static void test_chain_intermediate_61xx(void **state)
{
	(void)state;
	struct apdu_script_step st[4];
	static char bufs[4][HEXBUF];
	size_t n = chain_steps(256, st, bufs, "9000");
	struct apdu_card *card;
	struct apdu c = {0x00, 0x2A, 0x9E, 0x9A, pattern, 256, 256};
	uint8_t resp[16];
	size_t rlen = 99;
	uint16_t sw = 0;

	st[0].resp = "6110";
	card = apdu_script_open(st, n, NULL);
	assert_non_null(card);
	assert_int_equal(apdu_transmit(card, &c, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(sw, 0x6110);
	assert_int_equal(apdu_script_pos(card), 1);
	apdu_card_close(card);
}

/* ----- generic table of exchanges ----- */

struct xcase {
	const char *name;
	struct apdu cmd;
	size_t resp_cap;
	struct apdu_script_step steps[6];
	size_t nsteps;
	apdu_rv rv;
	uint16_t sw;
	const char *data; /* expected response data, hex */
	size_t consumed;  /* script steps used */
};

static const uint8_t pso3[3] = {0xAA, 0xBB, 0xCC};

#define RB(le)                                                                                     \
	{                                                                                          \
		0x00, 0xB0, 0x00, 0x00, NULL, 0, (le)                                              \
	}
#define B20 "0102030405060708090A0B0C0D0E0F1011121314"

static const struct xcase xcases[] = {
        {"plain 9000",
         RB(4),
         16,
         {{"00B0000004", "DEADBEEF9000", APDU_OK}},
         1,
         APDU_OK,
         0x9000,
         "DEADBEEF",
         1},
        {"6282 with data",
         RB(4),
         16,
         {{"00B0000004", "01026282", APDU_OK}},
         1,
         APDU_OK,
         0x6282,
         "0102",
         1},
        {"61xx once",
         RB(0xF4),
         16,
         {{"00B00000F4", "0102 6103", APDU_OK}, {"00C0000003", "030405 9000", APDU_OK}},
         2,
         APDU_OK,
         0x9000,
         "0102030405",
         2},
        {"61xx several, last 6282",
         RB(0xF4),
         32,
         {{"00B00000F4", "01 6102", APDU_OK},
          {"00C0000002", "0203 6101", APDU_OK},
          {"00C0000001", "04 6104", APDU_OK},
          {"00C0000004", "05060708 6282", APDU_OK}},
         4,
         APDU_OK,
         0x6282,
         "0102030405060708",
         4},
        {"61xx up to the caller's cap",
         RB(4),
         10,
         {{"00B0000004", "01020304 6106", APDU_OK}, {"00C0000006", "050607080910 9000", APDU_OK}},
         2,
         APDU_OK,
         0x9000,
         "01020304050607080910",
         2},
        {"61xx beyond the caller's cap",
         RB(4),
         10,
         {{"00B0000004", "01020304 6107", APDU_OK}, {NULL, "9000", APDU_OK}},
         2,
         APDU_ERR_PROTOCOL,
         0,
         NULL,
         1},
        {"61xx without data loops",
         RB(4),
         10,
         {{"00B0000004", "6105", APDU_OK}, {"00C0000005", "6105", APDU_OK}},
         2,
         APDU_ERR_PROTOCOL,
         0,
         NULL,
         2},
        {"6Cxx case 2 re-sent once",
         RB(0x10),
         16,
         {{"00B0000010", "6C04", APDU_OK}, {"00B0000004", "0A0B0C0D 9000", APDU_OK}},
         2,
         APDU_OK,
         0x9000,
         "0A0B0C0D",
         2},
        {"6Cxx twice: second returned",
         RB(0x10),
         16,
         {{"00B0000010", "6C04", APDU_OK}, {"00B0000004", "6C03", APDU_OK}},
         2,
         APDU_OK,
         0x6C03,
         "",
         2},
        {"6C00 → Le 00",
         RB(0x10),
         0,
         {{"00B0000010", "6C00", APDU_OK}, {"00B0000000", "6A82", APDU_OK}},
         2,
         APDU_OK,
         0x6A82,
         "",
         2},
        {"6Cxx then 61xx",
         RB(0x10),
         16,
         {{"00B0000010", "6C02", APDU_OK},
          {"00B0000002", "0A0B 6101", APDU_OK},
          {"00C0000001", "0C 9000", APDU_OK}},
         3,
         APDU_OK,
         0x9000,
         "0A0B0C",
         3},
        {"6Cxx with data: not re-sent",
         {0x00, 0x2A, 0x9E, 0x9A, pso3, 3, 256},
         16,
         {{"002A9E9A03AABBCC00", "6C40", APDU_OK}, {NULL, "9000", APDU_OK}},
         2,
         APDU_OK,
         0x6C40,
         "",
         1},
        {"response of 0 bytes",
         RB(4),
         16,
         {{"00B0000004", "", APDU_OK}},
         1,
         APDU_ERR_PROTOCOL,
         0,
         NULL,
         1},
        {"response of 1 byte",
         RB(4),
         16,
         {{"00B0000004", "90", APDU_OK}},
         1,
         APDU_ERR_PROTOCOL,
         0,
         NULL,
         1},
        {"data over resp_cap",
         RB(4),
         3,
         {{"00B0000004", "DEADBEEF9000", APDU_OK}},
         1,
         APDU_ERR_PROTOCOL,
         0,
         NULL,
         1},
        {"resp NULL, SW only",
         {0x80, 0x1A, 0x00, 0x00, NULL, 0, 0},
         0,
         {{"801A0000", "9000", APDU_OK}},
         1,
         APDU_OK,
         0x9000,
         "",
         1},
        {"removed mid-exchange",
         RB(0xF4),
         300,
         {{"00B00000F4", B20 "6110", APDU_OK}, {"00C0000010", NULL, APDU_ERR_NO_CARD}},
         2,
         APDU_ERR_NO_CARD,
         0,
         NULL,
         2},
        {"reset on first command",
         RB(0xF4),
         300,
         {{"00B00000F4", NULL, APDU_ERR_RESET}},
         1,
         APDU_ERR_RESET,
         0,
         NULL,
         1},
        {"wrong command → COMM",
         RB(0xF4),
         300,
         {{"00B00000F0", "9000", APDU_OK}},
         1,
         APDU_ERR_COMM,
         0,
         NULL,
         0},
        {"GET RESPONSE 6Cxx re-sent",
         RB(4),
         16,
         {{"00B0000004", "01 6105", APDU_OK},
          {"00C0000005", "6C02", APDU_OK},
          {"00C0000002", "0203 9000", APDU_OK}},
         3,
         APDU_OK,
         0x9000,
         "010203",
         3},
};

static void run_xcase(const struct xcase *x)
{
	struct apdu_card *card = apdu_script_open(x->steps, x->nsteps, NULL);
	uint8_t resp[512];
	char hex[HEXBUF] = "";
	size_t rlen = 99;
	uint16_t sw = 0x1234;
	apdu_rv rv;

	if (card == NULL)
		fail_msg("%s: bad script", x->name);
	rv = apdu_transmit(card, &x->cmd, x->resp_cap ? resp : NULL, x->resp_cap, &rlen, &sw);
	if (rv != x->rv)
		fail_msg("%s: rv %s want %s (%s)", x->name, apdu_rv_name(rv), apdu_rv_name(x->rv),
		         apdu_script_error(card));
	if (apdu_script_pos(card) != x->consumed)
		fail_msg("%s: %zu steps used, want %zu", x->name, apdu_script_pos(card),
		         x->consumed);
	if (rv != APDU_OK) {
		if (sw != 0 || rlen != 0)
			fail_msg("%s: error left sw %04X len %zu", x->name, sw, rlen);
		apdu_card_close(card);
		return;
	}
	if (sw != x->sw)
		fail_msg("%s: sw %04X want %04X", x->name, sw, x->sw);
	hexcat(hex, resp, rlen);
	if (strcmp(hex, x->data) != 0)
		fail_msg("%s: data %s want %s", x->name, hex, x->data);
	apdu_card_close(card);
}

static void test_exchange_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(xcases) / sizeof(xcases[0]); i++)
		run_xcase(&xcases[i]);
}

/* 61 00 means 256 bytes (ISO 7816-4 §5.1.3). */
static void test_61_00(void **state)
{
	(void)state;
	static char big[HEXBUF];
	struct apdu_script_step st[2] = {{"00B0000004", "6100", APDU_OK},
	                                 {"00C0000000", big, APDU_OK}};
	struct apdu c = RB(4);
	uint8_t resp[300];
	size_t rlen = 0;
	uint16_t sw = 0;
	struct apdu_card *card;

	big[0] = '\0';
	hexcat(big, pattern, 256);
	strcat(big, "9000");
	card = apdu_script_open(st, 2, NULL);
	assert_non_null(card);
	assert_int_equal(apdu_transmit(card, &c, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(rlen, 256);
	assert_memory_equal(resp, pattern, 256);
	assert_true(apdu_script_done(card));
	apdu_card_close(card);
}

/* 244-byte rounds against APDU_CHAIN_CAP (4096) with a larger caller buffer:
 * 16 x 244 + 192 = 4096 fits; one more 61xx does not. */
static void run_cap(size_t last, apdu_rv want, size_t want_steps)
{
	static char bufs[18][HEXBUF];
	struct apdu_script_step st[18];
	static uint8_t resp[APDU_CHAIN_CAP * 2];
	struct apdu c = RB(0xF4);
	size_t rlen = 0, k;
	uint16_t sw = 0;
	struct apdu_card *card;

	for (k = 0; k < 17; k++) {
		size_t len = k < 16 ? 244 : last;
		bufs[k][0] = '\0';
		hexcat(bufs[k], pattern, len);
		if (k < 15)
			strcat(bufs[k], "61F4");
		else if (k == 15)
			sprintf(bufs[k] + strlen(bufs[k]), "61%02X", (unsigned)(last & 0xFF));
		else
			strcat(bufs[k], "9000");
		st[k].cmd = k == 0 ? "00B00000F4" : (k < 16 ? "00C00000F4" : NULL);
		st[k].resp = bufs[k];
		st[k].rv = APDU_OK;
	}
	card = apdu_script_open(st, 17, NULL);
	assert_non_null(card);
	assert_int_equal(apdu_transmit(card, &c, resp, sizeof(resp), &rlen, &sw), want);
	assert_int_equal(apdu_script_pos(card), want_steps);
	if (want == APDU_OK) {
		assert_int_equal(rlen, APDU_CHAIN_CAP);
		assert_int_equal(sw, 0x9000);
	}
	apdu_card_close(card);
}

static void test_61xx_chain_cap(void **s)
{
	(void)s;
	run_cap(192, APDU_OK, 17);
}
static void test_61xx_past_chain_cap(void **s)
{
	(void)s;
	run_cap(193, APDU_ERR_PROTOCOL, 16);
}

static void test_args(void **state)
{
	(void)state;
	struct apdu_script_step st[1] = {{NULL, "9000", APDU_OK}};
	struct apdu_card *card = apdu_script_open(st, 1, NULL);
	struct apdu c = RB(4);
	uint8_t resp[8];
	size_t rlen;
	uint16_t sw;

	assert_non_null(card);
	assert_int_equal(apdu_transmit(NULL, &c, resp, 8, &rlen, &sw), APDU_ERR_ARGS);
	assert_int_equal(apdu_transmit(card, NULL, resp, 8, &rlen, &sw), APDU_ERR_ARGS);
	assert_int_equal(apdu_transmit(card, &c, NULL, 8, &rlen, &sw), APDU_ERR_ARGS);
	assert_int_equal(apdu_transmit(card, &c, resp, 8, NULL, &sw), APDU_ERR_ARGS);
	assert_int_equal(apdu_transmit(card, &c, resp, 8, &rlen, NULL), APDU_ERR_ARGS);
	c.le = 257;
	assert_int_equal(apdu_transmit(card, &c, resp, 8, &rlen, &sw), APDU_ERR_ARGS);
	assert_int_equal(apdu_card_count(card), 0);
	assert_int_equal(apdu_script_pos(card), 0);
	apdu_card_close(card);
}

static void test_count_and_script_state(void **state)
{
	(void)state;
	struct apdu_script_step st[] = {
	        {"00B0000010", "6C02", APDU_OK},
	        {"00B0000002", "0A0B 6101", APDU_OK},
	        {"00C0000001", "0C 9000", APDU_OK},
	        {"801A0000", "9000", APDU_OK},
	};
	struct apdu_card *card = apdu_script_open(st, 4, "3B 9F 96 81");
	struct apdu rb = RB(0x10), lo = {0x80, 0x1A, 0, 0, NULL, 0, 0};
	uint8_t resp[16], atr[APDU_ATR_MAX];
	size_t rlen, alen = 0;
	uint16_t sw;

	assert_non_null(card);
	assert_int_equal(apdu_begin(card), APDU_OK);
	assert_int_equal(apdu_script_tx_depth(card), 1);
	assert_int_equal(apdu_transmit(card, &rb, resp, sizeof(resp), &rlen, &sw), APDU_OK);
	assert_int_equal(apdu_card_count(card), 3);
	assert_false(apdu_script_done(card));
	assert_int_equal(apdu_transmit(card, &lo, NULL, 0, &rlen, &sw), APDU_OK);
	assert_int_equal(apdu_card_count(card), 4);
	assert_true(apdu_script_done(card));
	assert_int_equal(apdu_end(card, false), APDU_OK);
	assert_int_equal(apdu_script_tx_depth(card), 0);
	assert_int_equal(apdu_card_atr(card, atr, &alen), APDU_OK);
	assert_int_equal(alen, 4);
	assert_int_equal(atr[1], 0x9F);
	/* past the end of the script: COMM, recorded */
	assert_int_equal(apdu_transmit(card, &lo, NULL, 0, &rlen, &sw), APDU_ERR_COMM);
	assert_false(apdu_script_done(card));
	assert_non_null(strstr(apdu_script_error(card), "past the end"));
	assert_int_equal(apdu_control(card, 1, NULL, 0, NULL, 0, &rlen), APDU_ERR_NOT_SUPPORTED);
	assert_int_equal(apdu_card_count(NULL), 0);
	apdu_card_close(card);
	apdu_card_close(NULL);
}

static void test_script_mismatch_message(void **state)
{
	(void)state;
	struct apdu_script_step st[] = {{"00A4000C023F00", "9000", APDU_OK}};
	struct apdu_card *card = apdu_script_open(st, 1, NULL);
	struct apdu c = {0x00, 0xA4, 0x00, 0x0C, d3, 2, 0};
	size_t rlen;
	uint16_t sw;

	assert_non_null(card);
	c.p2 = 0x00;
	assert_int_equal(apdu_transmit(card, &c, NULL, 0, &rlen, &sw), APDU_ERR_COMM);
	assert_string_equal(apdu_script_error(card),
	                    "step 0: expected 00A4000C023F00 got 00A40000023F00");
	assert_false(apdu_script_done(card));
	apdu_card_close(card);
	/* malformed scripts are refused */
	struct apdu_script_step bad1[] = {{"00A", "9000", APDU_OK}};
	struct apdu_script_step bad2[] = {{"00A4", NULL, APDU_OK}};
	struct apdu_script_step bad3[] = {{"00A4", "90X0", APDU_OK}};
	assert_null(apdu_script_open(bad1, 1, NULL));
	assert_null(apdu_script_open(bad2, 1, NULL));
	assert_null(apdu_script_open(bad3, 1, NULL));
}

static void test_rv_names(void **state)
{
	(void)state;
	assert_string_equal(apdu_rv_name(APDU_OK), "APDU_OK");
	assert_string_equal(apdu_rv_name(APDU_ERR_RESET), "APDU_ERR_RESET");
	assert_string_equal(apdu_rv_name(APDU_ERR_COMM), "APDU_ERR_COMM");
	assert_string_equal(apdu_rv_name((apdu_rv)999), "APDU_ERR_?");
}

int main(void)
{
	fill_pattern();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encode_table),
	        cmocka_unit_test(test_encode_lc_boundary),
	        cmocka_unit_test(test_chain_255),
	        cmocka_unit_test(test_chain_256),
	        cmocka_unit_test(test_chain_510),
	        cmocka_unit_test(test_chain_511),
	        cmocka_unit_test(test_chain_intermediate_error),
	        cmocka_unit_test(test_chain_intermediate_61xx),
	        cmocka_unit_test(test_6883_resend),
	        cmocka_unit_test(test_exchange_table),
	        cmocka_unit_test(test_61_00),
	        cmocka_unit_test(test_61xx_chain_cap),
	        cmocka_unit_test(test_61xx_past_chain_cap),
	        cmocka_unit_test(test_args),
	        cmocka_unit_test(test_count_and_script_state),
	        cmocka_unit_test(test_script_mismatch_message),
	        cmocka_unit_test(test_rv_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
