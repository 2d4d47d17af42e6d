/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis/key.c byte for byte per dialect: MSE forms, PSO CDS / DECIPHER,
 * command chaining of 256/257-byte input, GET RESPONSE of 256-byte output,
 * capability table, buffer checks (nothing sent), GET CHALLENGE.
 */
#include "akis_fixture.h"

#define SEL "00A4080C023D00"

static uint8_t g_in[256], g_out[256];

static struct akis_card *key_card(struct sb *s, const char *atr, enum akis_key_type type,
                                  unsigned bits, uint8_t ref)
{
	struct akis_card *card = sb_card(s, atr);
	card->n_keys = 1;
	card->keys[0].type = type;
	card->keys[0].bits = bits;
	card->keys[0].key_ref = ref;
	card->keys[0].cert = -1;
	return card;
}

/* 256 bytes of result: 244 + 61 0C, then GET RESPONSE 00 C0 00 00 0C. */
static void sb_result_256(struct sb *s, const char *cmd)
{
	char *h = hex_of(g_out, 0xF4);
	sb_step(s, cmd, "%s610C", h);
	free(h);
	sb_data(s, "00C000000C", g_out + 0xF4, 12, 0x9000);
}

static void test_sign_12_pkcs1(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[256];
	size_t out_len = 0;
	char cmd[256];
	char *h = hex_of(g_in, 51);
	snprintf(cmd, sizeof cmd, "002A9E9A33%s00", h);
	free(h);
	sb_step(&s, SEL, "9000");
	sb_step(&s, "0022C301", "9000"); /* MSE, case 1 [C] */
	sb_result_256(&s, cmd);
	struct akis_card *card = key_card(&s, ATR_12, AKIS_KEY_RSA, 2048, 0x01);
	assert_int_equal(
	        akis_sign_tx(card, 0, AKIS_SIGN_RSA_PKCS1, g_in, 51, out, sizeof out, &out_len),
	        AKIS_OK);
	assert_int_equal(out_len, 256);
	assert_memory_equal(out, g_out, 256);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* 256-byte raw input: 10 2A … FF <255> then 00 2A … 01 <1> 00. */
static void test_sign_12_raw_chained(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[256];
	size_t out_len = 0;
	char cmd[600];
	char *h = hex_of(g_in, 255);
	snprintf(cmd, sizeof cmd, "102A9E9AFF%s", h);
	free(h);
	sb_step(&s, SEL, "9000");
	sb_step(&s, "0022C303", "9000");
	sb_step(&s, cmd, "9000");
	snprintf(cmd, sizeof cmd, "002A9E9A01%02X00", g_in[255]);
	sb_result_256(&s, cmd);
	struct akis_card *card = key_card(&s, ATR_12, AKIS_KEY_RSA, 2048, 0x03);
	assert_int_equal(
	        akis_sign_tx(card, 0, AKIS_SIGN_RSA_RAW, g_in, 256, out, sizeof out, &out_len),
	        AKIS_OK);
	assert_memory_equal(out, g_out, 256);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* 1.x decipher: 00‖cryptogram = 257 bytes: FF part + 02 part. */
static void test_decrypt_12(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[256];
	size_t out_len = 0;
	char cmd[600];
	char *h = hex_of(g_in, 254);
	snprintf(cmd, sizeof cmd, "102A8086FF00%s", h);
	free(h);
	sb_step(&s, SEL, "9000");
	sb_step(&s, "0022C301", "9000");
	sb_step(&s, cmd, "9000");
	snprintf(cmd, sizeof cmd, "002A808602%02X%02X00", g_in[254], g_in[255]);
	sb_result_256(&s, cmd);
	struct akis_card *card = key_card(&s, ATR_12, AKIS_KEY_RSA, 2048, 0x01);
	assert_int_equal(akis_decrypt_tx(card, 0, g_in, 256, out, sizeof out, &out_len), AKIS_OK);
	assert_int_equal(out_len, 256);
	assert_memory_equal(out, g_out, 256);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

struct v2_case {
	const char *name;
	enum akis_key_type type;
	unsigned bits;
	enum akis_sign_alg alg;
	size_t in_len, out_len;
	const char *mse;
};

static const struct v2_case v2_cases[] = {
        {"PKCS1", AKIS_KEY_RSA, 2048, AKIS_SIGN_RSA_PKCS1, 51, 256, "002241B606800102840182"},
        {"PSS", AKIS_KEY_RSA, 2048, AKIS_SIGN_RSA_PSS, 32, 256, "002241B606800105840182"},
        {"raw", AKIS_KEY_RSA, 2048, AKIS_SIGN_RSA_RAW, 256, 256, "002241B606800100840182"},
        {"ECDSA P-384", AKIS_KEY_EC, 384, AKIS_SIGN_ECDSA, 48, 96, "002241B606800104840182"},
        {"ECDSA P-256", AKIS_KEY_EC, 256, AKIS_SIGN_ECDSA, 32, 64, "002241B606800104840182"},
};

static void test_sign_2(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof v2_cases / sizeof v2_cases[0]; i++) {
		const struct v2_case *c = &v2_cases[i];
		struct sb s = {0};
		uint8_t out[256];
		size_t out_len = 0;
		char cmd[600];
		sb_step(&s, SEL, "9000");
		sb_step(&s, c->mse, "9000");
		if (c->in_len > 255) {
			char *h = hex_of(g_in, 255);
			snprintf(cmd, sizeof cmd, "102A9E9AFF%s", h);
			free(h);
			sb_step(&s, cmd, "9000");
			snprintf(cmd, sizeof cmd, "002A9E9A01%02X00", g_in[255]);
		} else {
			char *h = hex_of(g_in, c->in_len);
			snprintf(cmd, sizeof cmd, "002A9E9A%02zX%s00", c->in_len, h);
			free(h);
		}
		if (c->out_len == 256)
			sb_result_256(&s, cmd);
		else
			sb_data(&s, cmd, g_out, c->out_len, 0x9000);
		struct akis_card *card = key_card(&s, ATR_2, c->type, c->bits, 0x82);
		akis_rv rv =
		        akis_sign_tx(card, 0, c->alg, g_in, c->in_len, out, sizeof out, &out_len);
		if (rv != AKIS_OK || !apdu_script_done(card->io))
			fail_msg("%s: %s %s", c->name, akis_rv_name(rv),
			         apdu_script_error(card->io));
		assert_int_equal(out_len, c->out_len);
		assert_memory_equal(out, g_out, c->out_len);
		akis_card_free(card);
		sb_free(&s);
	}
}

/* 2.x: MSE SET CT, keys local to 3D00: an MSE answered 6A88 is NOT_FOUND. */
static void test_decrypt_2(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[256];
	size_t out_len = 0;
	sb_step(&s, SEL, "9000");
	sb_step(&s, "002241B806800100840182", "6A88");
	struct akis_card *card = key_card(&s, ATR_2, AKIS_KEY_RSA, 2048, 0x82);
	assert_int_equal(akis_decrypt_tx(card, 0, g_in, 256, out, sizeof out, &out_len),
	                 AKIS_ERR_NOT_FOUND);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* Needs a PIN per signature: 6982 is NOT_LOGGED_IN. */
static void test_sign_2_not_logged_in(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[96];
	size_t out_len = 0;
	char cmd[256];
	char *h = hex_of(g_in, 48);
	snprintf(cmd, sizeof cmd, "002A9E9A30%s00", h);
	free(h);
	sb_step(&s, SEL, "9000");
	sb_step(&s, "002241B606800104840181", "9000");
	sb_step(&s, cmd, "6982");
	struct akis_card *card = key_card(&s, ATR_2, AKIS_KEY_EC, 384, 0x81);
	assert_int_equal(
	        akis_sign_tx(card, 0, AKIS_SIGN_ECDSA, g_in, 48, out, sizeof out, &out_len),
	        AKIS_ERR_NOT_LOGGED_IN);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* An ECDSA answer in DER (RFC 3279 ECDSA-Sig-Value) passes to the caller
 * for conversion; one of any other length is CARD_DATA. */
static void test_sign_2_der_answer(void **state)
{
	(void)state;
	for (int der = 1; der >= 0; der--) {
		struct sb s = {0};
		uint8_t out[128];
		size_t out_len = 0;
		char cmd[256];
		char *h = hex_of(g_in, 48);
		snprintf(cmd, sizeof cmd, "002A9E9A30%s00", h);
		free(h);
		sb_step(&s, SEL, "9000");
		sb_step(&s, "002241B606800104840181", "9000");
		/* SEQUENCE { INTEGER 0x80 (with its 00), INTEGER 0x0102 } / 10 bytes of raw */
		sb_step(&s, cmd, der ? "300802020080020201029000" : "010203040506070809109000");
		struct akis_card *card = key_card(&s, ATR_2, AKIS_KEY_EC, 384, 0x81);
		assert_int_equal(
		        akis_sign_tx(card, 0, AKIS_SIGN_ECDSA, g_in, 48, out, sizeof out, &out_len),
		        der ? AKIS_OK : AKIS_ERR_CARD_DATA);
		if (der) {
			assert_int_equal(out_len, 10);
			assert_int_equal(out[0], 0x30);
		}
		sb_assert_done(card);
		akis_card_free(card);
		sb_free(&s);
	}
}

/* Nothing is sent for what cannot work. */
static void test_refusals_send_nothing(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[256];
	size_t out_len = 0;
	struct akis_card *card = key_card(&s, ATR_12, AKIS_KEY_RSA, 2048, 0x01);
	assert_int_equal(akis_sign_tx(card, 0, AKIS_SIGN_RSA_PKCS1, g_in, 51, out, 255, &out_len),
	                 AKIS_ERR_BUFFER);
	assert_int_equal(akis_sign_tx(card, 0, AKIS_SIGN_RSA_PSS, g_in, 32, out, 256, &out_len),
	                 AKIS_ERR_NOT_SUPPORTED);
	assert_int_equal(akis_sign_tx(card, 0, AKIS_SIGN_ECDSA, g_in, 32, out, 256, &out_len),
	                 AKIS_ERR_NOT_SUPPORTED);
	assert_int_equal(akis_sign_tx(card, 0, AKIS_SIGN_RSA_RAW, g_in, 255, out, 256, &out_len),
	                 AKIS_ERR_ARGS);
	assert_int_equal(akis_sign_tx(card, 0, AKIS_SIGN_RSA_PKCS1, g_in, 246, out, 256, &out_len),
	                 AKIS_ERR_ARGS);
	assert_int_equal(akis_sign_tx(card, 1, AKIS_SIGN_RSA_PKCS1, g_in, 51, out, 256, &out_len),
	                 AKIS_ERR_ARGS);
	assert_int_equal(akis_decrypt_tx(card, 0, g_in, 256, out, 100, &out_len), AKIS_ERR_BUFFER);
	card->keys[0].type = AKIS_KEY_EC;
	assert_int_equal(akis_decrypt_tx(card, 0, g_in, 256, out, 256, &out_len),
	                 AKIS_ERR_NOT_SUPPORTED);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

static void test_key_can(void **state)
{
	(void)state;
	static const struct {
		const char *atr;
		enum akis_key_type type;
		bool can[4]; /* RAW, PKCS1, PSS, ECDSA */
	} t[] = {
	        {ATR_10, AKIS_KEY_RSA, {true, true, false, false}},
	        {ATR_12, AKIS_KEY_RSA, {true, true, false, false}},
	        {ATR_2, AKIS_KEY_RSA, {true, true, true, false}},
	        {ATR_2, AKIS_KEY_EC, {false, false, false, true}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sb s = {0};
		struct akis_card *card = key_card(&s, t[i].atr, t[i].type, 2048, 1);
		for (int a = 0; a < 4; a++)
			if (akis_key_can(card, 0, (enum akis_sign_alg)a) != t[i].can[a])
				fail_msg("row %zu alg %d", i, a);
		assert_false(akis_key_can(card, 1, AKIS_SIGN_RSA_RAW));
		akis_card_free(card);
		sb_free(&s);
	}
}

static void test_random(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t out[136];
	sb_data(&s, "0084000080", g_out, 128, 0x9000);
	sb_data(&s, "0084000008", g_out + 128, 8, 0x9000);
	sb_step(&s, "0084000010", "6700"); /* a card with a smaller challenge */
	sb_data(&s, "0084000008", g_out, 8, 0x9000);
	sb_data(&s, "0084000008", g_out + 8, 8, 0x9000);
	struct akis_card *card = key_card(&s, ATR_12, AKIS_KEY_RSA, 2048, 1);
	assert_int_equal(akis_random_tx(card, out, 136), AKIS_OK);
	assert_memory_equal(out, g_out, 136);
	assert_int_equal(akis_random_tx(card, out, 16), AKIS_OK);
	assert_memory_equal(out, g_out, 16);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

int main(void)
{
	for (size_t i = 0; i < sizeof g_in; i++) {
		g_in[i] = (uint8_t)(i * 7 + 1);
		g_out[i] = (uint8_t)(0xA5 ^ i);
	}
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sign_12_pkcs1),
	        cmocka_unit_test(test_sign_12_raw_chained),
	        cmocka_unit_test(test_decrypt_12),
	        cmocka_unit_test(test_sign_2),
	        cmocka_unit_test(test_decrypt_2),
	        cmocka_unit_test(test_sign_2_not_logged_in),
	        cmocka_unit_test(test_sign_2_der_answer),
	        cmocka_unit_test(test_refusals_send_nothing),
	        cmocka_unit_test(test_key_can),
	        cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
