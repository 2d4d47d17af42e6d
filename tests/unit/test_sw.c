/* SPDX-License-Identifier: BSD-3-Clause */
/* akis/sw.c: the status-word table per profile and the apdu_rv translator. */
#include "akis_fixture.h"

struct sw_case {
	enum akis_profile profile;
	uint16_t sw;
	bool new_pin;
	akis_rv rv;
	int tries; /* expected *tries (99 = untouched) */
};

static const struct sw_case cases[] = {
        {AKIS_PROFILE_1_2, 0x9000, false, AKIS_OK, 99},
        {AKIS_PROFILE_2, 0x9000, true, AKIS_OK, 99},
        {AKIS_PROFILE_1_2, 0x63C2, false, AKIS_ERR_PIN_INCORRECT, 2},
        {AKIS_PROFILE_2, 0x63C0, false, AKIS_ERR_PIN_INCORRECT, 0},
        {AKIS_PROFILE_1_0, 0x63CF, true, AKIS_ERR_PIN_INCORRECT, 15},
        {AKIS_PROFILE_1_0, 0x6984, false, AKIS_ERR_PIN_BLOCKED, 99},
        {AKIS_PROFILE_1_2, 0x6984, false, AKIS_ERR_PIN_BLOCKED, 99},
        {AKIS_PROFILE_2, 0x6984, false, AKIS_ERR_CONDITIONS, 99},
        {AKIS_PROFILE_2, 0x6983, false, AKIS_ERR_PIN_BLOCKED, 99},
        {AKIS_PROFILE_1_2, 0x6983, false, AKIS_ERR_PIN_BLOCKED, 99},
        {AKIS_PROFILE_2, 0x6A80, true, AKIS_ERR_PIN_INVALID, 99},
        {AKIS_PROFILE_2, 0x6A80, false, AKIS_ERR_BAD_DATA, 99},
        {AKIS_PROFILE_1_2, 0x6A80, true, AKIS_ERR_PIN_INVALID, 99},
        {AKIS_PROFILE_2, 0x6700, true, AKIS_ERR_PIN_LEN, 99},
        {AKIS_PROFILE_2, 0x6700, false, AKIS_ERR_BAD_DATA, 99},
        {AKIS_PROFILE_2, 0x6982, false, AKIS_ERR_NOT_LOGGED_IN, 99},
        {AKIS_PROFILE_2, 0x6985, false, AKIS_ERR_CONDITIONS, 99},
        {AKIS_PROFILE_1_2, 0x6986, false, AKIS_ERR_CONDITIONS, 99},
        {AKIS_PROFILE_2, 0x6A82, false, AKIS_ERR_NOT_FOUND, 99},
        {AKIS_PROFILE_2, 0x6A88, false, AKIS_ERR_NOT_FOUND, 99},
        {AKIS_PROFILE_2, 0x6A81, false, AKIS_ERR_NOT_SUPPORTED, 99},
        {AKIS_PROFILE_1_2, 0x6A86, false, AKIS_ERR_NOT_SUPPORTED, 99},
        {AKIS_PROFILE_1_2, 0x6D00, false, AKIS_ERR_NOT_SUPPORTED, 99},
        {AKIS_PROFILE_1_2, 0x6E00, false, AKIS_ERR_NOT_SUPPORTED, 99},
        {AKIS_PROFILE_1_2, 0x6B00, false, AKIS_ERR_BAD_DATA, 99},
        {AKIS_PROFILE_2, 0x6400, false, AKIS_ERR_TIMEOUT, 99},
        {AKIS_PROFILE_2, 0x6401, false, AKIS_ERR_CANCELLED, 99},
        {AKIS_PROFILE_2, 0x6F00, false, AKIS_ERR_CARD_DATA, 99},
        {AKIS_PROFILE_2, 0x6282, false, AKIS_ERR_CARD_DATA, 99},
        {AKIS_PROFILE_2, 0x6110, false, AKIS_ERR_CARD_DATA, 99},
        {AKIS_PROFILE_2, 0x63C1 ^ 0x0100, false, AKIS_ERR_CARD_DATA, 99}, /* 62C1 */
};

static void test_sw_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct sw_case *c = &cases[i];
		int tries = 99;
		akis_rv rv = akis_sw_to_rv(c->profile, c->sw, c->new_pin, &tries);
		if (rv != c->rv || tries != c->tries)
			fail_msg("profile %d SW %04X: %s tries %d", (int)c->profile, c->sw,
			         akis_rv_name(rv), tries);
		/* tries may be NULL */
		assert_int_equal(akis_sw_to_rv(c->profile, c->sw, c->new_pin, NULL), c->rv);
	}
}

/* A PIN command's 6700 is a PIN length error; a new PIN's 6A80 invalid. */
static void test_sw_context(void **state)
{
	(void)state;
	assert_int_equal(akis_sw_ctx(AKIS_PROFILE_2, 0x6700, AKIS_SW_PIN, NULL), AKIS_ERR_PIN_LEN);
	assert_int_equal(akis_sw_ctx(AKIS_PROFILE_2, 0x6A80, AKIS_SW_PIN, NULL), AKIS_ERR_BAD_DATA);
	assert_int_equal(akis_sw_ctx(AKIS_PROFILE_2, 0x6984, AKIS_SW_PIN, NULL),
	                 AKIS_ERR_PIN_BLOCKED);
}

static void test_rv_from_apdu(void **state)
{
	(void)state;
	static const struct {
		apdu_rv in;
		akis_rv out;
	} t[] = {
	        {APDU_OK, AKIS_OK},
	        {APDU_ERR_ARGS, AKIS_ERR_ARGS},
	        {APDU_ERR_NO_MEMORY, AKIS_ERR_NO_MEMORY},
	        {APDU_ERR_NO_SERVICE, AKIS_ERR_NO_SERVICE},
	        {APDU_ERR_NO_READER, AKIS_ERR_REMOVED},
	        {APDU_ERR_NO_CARD, AKIS_ERR_REMOVED},
	        {APDU_ERR_RESET, AKIS_ERR_RESET},
	        {APDU_ERR_SHARING, AKIS_ERR_SHARING},
	        {APDU_ERR_PROTOCOL, AKIS_ERR_COMM},
	        {APDU_ERR_TIMEOUT, AKIS_ERR_TIMEOUT},
	        {APDU_ERR_CANCELLED, AKIS_ERR_CANCELLED},
	        {APDU_ERR_NOT_SUPPORTED, AKIS_ERR_NOT_SUPPORTED},
	        {APDU_ERR_COMM, AKIS_ERR_COMM},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(akis_rv_from_apdu(t[i].in), t[i].out);
	for (int rv = AKIS_OK; rv <= AKIS_ERR_DEAD; rv++)
		assert_string_not_equal(akis_rv_name((akis_rv)rv), "AKIS_ERR_?");
	assert_string_equal(akis_rv_name((akis_rv)999), "AKIS_ERR_?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sw_table),
	        cmocka_unit_test(test_sw_context),
	        cmocka_unit_test(test_rv_from_apdu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
