/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis/pin.c and pinpad.c byte for byte per profile: host checks (no APDU),
 * status without a try, verify / wrong / blocked, encodings (ASCII, 1.0
 * half-nibble BCD, padding from the AODF), change and unblock in both
 * dialects, logout, and the PC/SC part 10 PIN pad.
 */
#include "akis_fixture.h"

enum op { OP_CHECK, OP_STATUS, OP_VERIFY, OP_CHANGE, OP_UNBLOCK, OP_LOGOUT };

struct pin_case {
	const char *name;
	const char *atr;
	enum op op;
	enum akis_pin_which which;
	const char *pin, *new_pin;
	int pad;                    /* >0: AODF needs-padding storedLength with FF */
	enum akis_pin_encoding enc; /* overrides the profile default when != ASCII */
	const char *cmd;            /* the PIN APDU (NULL: none must be sent) */
	const char *resp;
	akis_rv rv;
	int tries; /* expected tries out (-1 = not set) */
	bool verified, blocked;
};

#define SEL "00A4080C023D00"

static const struct pin_case cases[] = {
        /* host-side checks: no APDU at all */
        {"short", ATR_12, OP_VERIFY, AKIS_PIN_USER, "123", NULL, 0, AKIS_PIN_ENC_ASCII, NULL, NULL,
         AKIS_ERR_PIN_LEN, -1, false, false},
        {"long", ATR_12, OP_VERIFY, AKIS_PIN_USER, "123456789", NULL, 0, AKIS_PIN_ENC_ASCII, NULL,
         NULL, AKIS_ERR_PIN_LEN, -1, false, false},
        {"letters", ATR_2, OP_VERIFY, AKIS_PIN_USER, "12a45", NULL, 0, AKIS_PIN_ENC_ASCII, NULL,
         NULL, AKIS_ERR_PIN_INVALID, -1, false, false},
        {"check ok", ATR_2, OP_CHECK, AKIS_PIN_USER, "12345", NULL, 0, AKIS_PIN_ENC_ASCII, NULL,
         NULL, AKIS_OK, -1, false, false},
        {"change new too short", ATR_2, OP_CHANGE, AKIS_PIN_USER, "12345", "12", 0,
         AKIS_PIN_ENC_ASCII, NULL, NULL, AKIS_ERR_PIN_LEN, -1, false, false},
        /* status: VERIFY without data */
        {"status tries 1.2", ATR_12, OP_STATUS, AKIS_PIN_USER, NULL, NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081", "63C3", AKIS_OK, 3, false, false},
        {"status verified", ATR_2, OP_STATUS, AKIS_PIN_USER, NULL, NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081", "9000", AKIS_OK, -1, true, false},
        {"status blocked 1.x", ATR_12, OP_STATUS, AKIS_PIN_USER, NULL, NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081", "6984", AKIS_OK, 0, false, true},
        {"status blocked 2.x", ATR_2, OP_STATUS, AKIS_PIN_USER, NULL, NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081", "6983", AKIS_OK, 0, false, true},
        {"status PUK", ATR_2, OP_STATUS, AKIS_PIN_SO, NULL, NULL, 0, AKIS_PIN_ENC_ASCII, "00200082",
         "63C1", AKIS_OK, 1, false, false},
        /* verify */
        {"verify 1.2", ATR_12, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081053132333435", "9000", AKIS_OK, -1, false, false},
        {"verify wrong", ATR_12, OP_VERIFY, AKIS_PIN_USER, "12346", NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081053132333436", "63C2", AKIS_ERR_PIN_INCORRECT, 2, false, false},
        {"verify blocked 1.x", ATR_12, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 0,
         AKIS_PIN_ENC_ASCII, "00200081053132333435", "6984", AKIS_ERR_PIN_BLOCKED, -1, false,
         false},
        {"verify blocked 2.x", ATR_2, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 0,
         AKIS_PIN_ENC_ASCII, "00200081053132333435", "6983", AKIS_ERR_PIN_BLOCKED, -1, false,
         false},
        {"verify 6700", ATR_2, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 0, AKIS_PIN_ENC_ASCII,
         "00200081053132333435", "6700", AKIS_ERR_PIN_LEN, -1, false, false},
        {"verify 1.0 half-nibble", ATR_10, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 0,
         AKIS_PIN_ENC_HALF_NIBBLE_BCD, "00200081050102030405", "9000", AKIS_OK, -1, false, false},
        {"verify padded", ATR_12, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 8, AKIS_PIN_ENC_ASCII,
         "00200081083132333435FFFFFF", "9000", AKIS_OK, -1, false, false},
        {"verify BCD", ATR_12, OP_VERIFY, AKIS_PIN_USER, "12345", NULL, 0, AKIS_PIN_ENC_BCD,
         "002000810312345F", "9000", AKIS_OK, -1, false, false},
        {"verify PUK", ATR_2, OP_VERIFY, AKIS_PIN_SO, "123456", NULL, 0, AKIS_PIN_ENC_ASCII,
         "0020008206313233343536", "9000", AKIS_OK, -1, false, false},
        /* change: 1.x Lold old Lnew new with P1 02 P2 ref&7F; 2.x old||new */
        {"change 1.2", ATR_12, OP_CHANGE, AKIS_PIN_USER, "12345", "654321", 0, AKIS_PIN_ENC_ASCII,
         "002402010D053132333435063635343332 31", "9000", AKIS_OK, -1, false, false},
        {"change 1.2 PUK", ATR_12, OP_CHANGE, AKIS_PIN_SO, "123456", "876543", 0,
         AKIS_PIN_ENC_ASCII, "002402020E06313233343536063837363534 33", "9000", AKIS_OK, -1, false,
         false},
        {"change 1.0", ATR_10, OP_CHANGE, AKIS_PIN_USER, "1234", "5678", 0,
         AKIS_PIN_ENC_HALF_NIBBLE_BCD, "002402010A04010203040405060708", "9000", AKIS_OK, -1, false,
         false},
        {"change 2.x", ATR_2, OP_CHANGE, AKIS_PIN_USER, "12345", "654321", 0, AKIS_PIN_ENC_ASCII,
         "002400810B3132333435363534333231", "9000", AKIS_OK, -1, false, false},
        {"change 2.x wrong old", ATR_2, OP_CHANGE, AKIS_PIN_USER, "12345", "654321", 0,
         AKIS_PIN_ENC_ASCII, "002400810B3132333435363534333231", "63C1", AKIS_ERR_PIN_INCORRECT, 1,
         false, false},
        {"change 2.x new refused", ATR_2, OP_CHANGE, AKIS_PIN_USER, "12345", "654321", 0,
         AKIS_PIN_ENC_ASCII, "002400810B3132333435363534333231", "6A80", AKIS_ERR_PIN_INVALID, -1,
         false, false},
        /* unblock: RESET RETRY COUNTER 00 2C 02 81 */
        {"unblock 1.2", ATR_12, OP_UNBLOCK, AKIS_PIN_USER, NULL, "654321", 0, AKIS_PIN_ENC_ASCII,
         "002C028106363534333231", "9000", AKIS_OK, -1, false, false},
        {"unblock 2.x", ATR_2, OP_UNBLOCK, AKIS_PIN_USER, NULL, "654321", 0, AKIS_PIN_ENC_ASCII,
         "002C028106363534333231", "9000", AKIS_OK, -1, false, false},
        {"unblock no PUK", ATR_2, OP_UNBLOCK, AKIS_PIN_USER, NULL, "654321", 0, AKIS_PIN_ENC_ASCII,
         "002C028106363534333231", "6982", AKIS_ERR_NOT_LOGGED_IN, -1, false, false},
        {"logout", ATR_12, OP_LOGOUT, AKIS_PIN_USER, NULL, NULL, 0, AKIS_PIN_ENC_ASCII, "801A0000",
         "9000", AKIS_OK, -1, false, false},
};

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

static akis_rv run_op(struct akis_card *card, const struct pin_case *c, int *tries,
                      struct akis_pin_status *st)
{
	switch (c->op) {
	case OP_CHECK:
		return akis_pin_check(card, c->which, c->pin, slen(c->pin));
	case OP_STATUS:
		return akis_pin_status_tx(card, c->which, st);
	case OP_VERIFY:
		return akis_pin_verify_tx(card, c->which, c->pin, slen(c->pin), tries);
	case OP_CHANGE:
		return akis_pin_change_tx(card, c->which, c->pin, slen(c->pin), c->new_pin,
		                          slen(c->new_pin), tries);
	case OP_UNBLOCK:
		return akis_pin_unblock_tx(card, c->new_pin, slen(c->new_pin));
	case OP_LOGOUT:
		return akis_logout_tx(card);
	}
	return AKIS_ERR_ARGS;
}

static void test_pin_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct pin_case *c = &cases[i];
		struct sb s = {0};
		struct akis_pin_status st;
		int tries = -1;
		if (c->cmd != NULL) {
			sb_step(&s, SEL, "9000");
			sb_step(&s, c->cmd, "%s", c->resp);
		}
		struct akis_card *card = sb_card(&s, c->atr);
		card->pins[c->which].enc = c->enc;
		card->pins[AKIS_PIN_SO].min_len = 6;
		if (c->pad) {
			card->pins[c->which].pad_len = (unsigned)c->pad;
			card->pins[c->which].pad_char = 0xFF;
		}
		memset(&st, 0, sizeof st);
		akis_rv rv = run_op(card, c, &tries, &st);
		if (rv != c->rv)
			fail_msg("%s: %s, expected %s", c->name, akis_rv_name(rv),
			         akis_rv_name(c->rv));
		if (!apdu_script_done(card->io))
			fail_msg("%s: %s", c->name, apdu_script_error(card->io));
		if (c->op == OP_STATUS) {
			if (st.tries_left != c->tries || st.verified != c->verified ||
			    st.blocked != c->blocked)
				fail_msg("%s: status %d/%d/%d", c->name, st.tries_left, st.verified,
				         st.blocked);
		} else if ((c->op == OP_VERIFY || c->op == OP_CHANGE) && tries != c->tries) {
			fail_msg("%s: tries %d, expected %d", c->name, tries, c->tries);
		}
		/* R22: a VERIFY or CHANGE sent whose answer does not say "not
		 * verified" leaves the PIN possibly verified, to be logged out */
		bool maybe = (c->op == OP_VERIFY || c->op == OP_CHANGE) && c->cmd != NULL &&
		             c->rv != AKIS_ERR_PIN_INCORRECT && c->rv != AKIS_ERR_PIN_BLOCKED &&
		             c->rv != AKIS_ERR_PIN_LEN && c->rv != AKIS_ERR_PIN_INVALID;
		if (akis_pin_maybe_verified(card, c->which) != maybe)
			fail_msg("%s: maybe verified %d, expected %d", c->name,
			         akis_pin_maybe_verified(card, c->which), maybe);
		akis_card_free(card);
		sb_free(&s);
	}
}

/* AODF facts drive the encoding: a 1.2 card whose AODF says half-nibble. */
static void test_aodf_drives_encoding(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	memset(&im, 0, sizeof im);
	img_aodf(&im, 3, true);
	sb_step(&s, SEL, "9000");
	sb_step(&s, "00200081080102030405FFFFFF", "9000");
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_p15_aodf(card, im.aodf, im.aodf_len), AKIS_OK);
	assert_int_equal(card->pins[AKIS_PIN_USER].enc, AKIS_PIN_ENC_HALF_NIBBLE_BCD);
	assert_int_equal(card->pins[AKIS_PIN_USER].pad_len, 8);
	assert_int_equal(akis_pin_verify_tx(card, AKIS_PIN_USER, "12345", 5, NULL), AKIS_OK);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* ----- PIN pad ----- */

static struct apdu_ops g_ops;
static uint8_t g_last_in[128];
static size_t g_last_in_len;
static uint32_t g_last_code;
static const char *g_pad_sw = "9000";

static apdu_rv fake_control(void *ctx, uint32_t code, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_cap, size_t *out_len)
{
	(void)ctx;
	/* features: 06 → 0x42330006, 07 → 0x42330007, an unknown 0A with a short value */
	static const uint8_t features[] = {0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x0A, 0x02,
	                                   0x01, 0x02, 0x07, 0x04, 0x42, 0x33, 0x00, 0x07};
	if (code == 0x42000D48u) {
		assert_true(out_cap >= sizeof features);
		memcpy(out, features, sizeof features);
		*out_len = sizeof features;
		return APDU_OK;
	}
	g_last_code = code;
	assert_true(in_len <= sizeof g_last_in);
	memcpy(g_last_in, in, in_len);
	g_last_in_len = in_len;
	assert_true(out_cap >= 2);
	assert_int_equal(sscanf(g_pad_sw, "%2hhx%2hhx", &out[0], &out[1]), 2);
	*out_len = 2;
	return APDU_OK;
}

static void test_pinpad(void **state)
{
	(void)state;
	static const struct {
		const char *sw;
		akis_rv rv;
		int tries;
	} results[] = {
	        {"9000", AKIS_OK, -1},
	        {"63C2", AKIS_ERR_PIN_INCORRECT, 2},
	        {"6400", AKIS_ERR_TIMEOUT, -1},
	        {"6401", AKIS_ERR_CANCELLED, -1},
	        {"6983", AKIS_ERR_PIN_BLOCKED, -1},
	};
	/* bTimerOut 00, bTimerOut2 00, bmFormatString 82, bmPINBlockString 00,
	 * bmPINLengthFormat 00, wPINMaxExtraDigit 0408 LE (08 04), validation 02,
	 * messages 01, wLangId 0409 LE, bMsgIndex 00, TeoPrologue 000000,
	 * ulDataLength 5 LE, 00 20 00 81 00 */
	static const uint8_t expect[] = {0x00, 0x00, 0x82, 0x00, 0x00, 0x08, 0x04, 0x02,
	                                 0x01, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05,
	                                 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x81, 0x00};
	for (size_t i = 0; i < sizeof results / sizeof results[0]; i++) {
		struct sb s = {0};
		int tries = -1;
		sb_step(&s, SEL, "9000");
		struct akis_card *card = sb_card(&s, ATR_2);
		const struct apdu_ops *orig = card->io->ops;
		g_ops = *orig;
		g_ops.control = fake_control;
		card->io->ops = &g_ops;
		assert_int_equal(akis_pinpad_verify_tx(card, AKIS_PIN_USER, &tries),
		                 AKIS_ERR_NOT_SUPPORTED);
		akis_pinpad_discover(card);
		assert_int_equal(card->pinpad_verify_ioctl, 0x42330006u);
		assert_int_equal(card->pinpad_modify_ioctl, 0x42330007u);
		g_pad_sw = results[i].sw;
		assert_int_equal(akis_pinpad_verify_tx(card, AKIS_PIN_USER, &tries), results[i].rv);
		assert_int_equal(tries, results[i].tries);
		assert_int_equal(g_last_code, 0x42330006u);
		assert_int_equal(g_last_in_len, sizeof expect);
		assert_memory_equal(g_last_in, expect, sizeof expect);
		card->io->ops = orig;
		sb_assert_done(card);
		akis_card_free(card);
		sb_free(&s);
	}
}

/*
 * R22 (issue 9): a LOGOUT the card refuses or answers with nonsense does
 * not leave the PIN verified: akis_logout_tx says AKIS_OK and the
 * transaction ends with a card reset (SCARD_RESET_CARD); a LOGOUT that
 * works ends it normally. Either clears what may be verified. A card that
 * is gone is reported, no reset asked.
 */
static void test_logout_fallback(void **state)
{
	static const struct {
		const char *resp;
		akis_rv rv;
		unsigned resets;
	} answers[] = {
	        {"9000", AKIS_OK, 0}, {"6F00", AKIS_OK, 1}, {"6985", AKIS_OK, 1},
	        {"6D00", AKIS_OK, 1}, {"12", AKIS_OK, 1}, /* a 1-byte answer */
	};
	(void)state;
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		struct sb s = {0};
		sb_step(&s, SEL, "9000");
		sb_step(&s,
		        "0020008105"
		        "3132333435",
		        "9000");
		sb_step(&s, "801A0000", "%s", answers[i].resp);
		struct akis_card *card = sb_card(&s, ATR_2);
		bool was_reset = true;
		int tries = -1;
		assert_int_equal(akis_begin(card, &was_reset), AKIS_OK);
		assert_int_equal(akis_pin_verify_tx(card, AKIS_PIN_USER, "12345", 5, &tries),
		                 AKIS_OK);
		assert_true(akis_pin_maybe_verified(card, AKIS_PIN_USER));
		assert_int_equal(akis_logout_tx(card), answers[i].rv);
		akis_end(card);
		if (apdu_script_resets(card->io) != answers[i].resets)
			fail_msg("LOGOUT answered %s: %u resets, expected %u", answers[i].resp,
			         apdu_script_resets(card->io), answers[i].resets);
		assert_false(akis_pin_maybe_verified(card, AKIS_PIN_USER));
		sb_assert_done(card);
		/* the next transaction ends normally again */
		assert_int_equal(akis_begin(card, &was_reset), AKIS_OK);
		akis_end(card);
		assert_int_equal(apdu_script_resets(card->io), answers[i].resets);
		akis_card_free(card);
		sb_free(&s);
	}
	struct sb s = {0};
	sb_step(&s, SEL, "9000");
	sb_err(&s, APDU_ERR_NO_CARD); /* the LOGOUT: the card is gone */
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_logout_tx(card), AKIS_ERR_REMOVED);
	akis_end(card);
	assert_int_equal(apdu_script_resets(card->io), 0);
	akis_card_free(card);
	sb_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pin_table),
	        cmocka_unit_test(test_logout_fallback),
	        cmocka_unit_test(test_aodf_drives_encoding),
	        cmocka_unit_test(test_pinpad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
