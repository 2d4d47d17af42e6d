/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apdu/pcsc.c without pcscd: the PC/SC → apdu_rv translator, reader-list
 * parsing (PnP pseudo-reader left out), state mapping and the "changed?"
 * comparison used by apdu_pcsc_wait. The live paths are covered by
 * tests/integration/apdu_pcsc.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../apdu/pcsc.c"

struct rv_case {
	LONG rc;
	apdu_rv rv;
};

static void test_translator(void **state)
{
	(void)state;
	static const struct rv_case cases[] = {
	        {SCARD_S_SUCCESS, APDU_OK},
	        {SCARD_W_REMOVED_CARD, APDU_ERR_NO_CARD},
	        {SCARD_E_NO_SMARTCARD, APDU_ERR_NO_CARD},
	        {SCARD_E_READER_UNAVAILABLE, APDU_ERR_NO_READER},
	        {SCARD_E_UNKNOWN_READER, APDU_ERR_NO_READER},
	        {SCARD_E_NO_READERS_AVAILABLE, APDU_ERR_NO_READER},
	        {SCARD_E_NO_SERVICE, APDU_ERR_NO_SERVICE},
	        {SCARD_E_SERVICE_STOPPED, APDU_ERR_NO_SERVICE},
	        {SCARD_E_INVALID_HANDLE, APDU_ERR_NO_SERVICE},
	        {SCARD_F_COMM_ERROR, APDU_ERR_NO_SERVICE},
	        {SCARD_W_RESET_CARD, APDU_ERR_RESET},
	        {SCARD_E_SHARING_VIOLATION, APDU_ERR_SHARING},
	        {SCARD_E_TIMEOUT, APDU_ERR_TIMEOUT},
	        {SCARD_E_CANCELLED, APDU_ERR_CANCELLED},
	        {SCARD_W_CANCELLED_BY_USER, APDU_ERR_CANCELLED},
	        {SCARD_E_NO_MEMORY, APDU_ERR_NO_MEMORY},
	        {SCARD_E_INVALID_PARAMETER, APDU_ERR_ARGS},
	        {SCARD_E_PROTO_MISMATCH, APDU_ERR_PROTOCOL},
	        {SCARD_E_INSUFFICIENT_BUFFER, APDU_ERR_PROTOCOL},
	        {SCARD_E_UNSUPPORTED_FEATURE, APDU_ERR_NOT_SUPPORTED},
	        {SCARD_W_UNRESPONSIVE_CARD, APDU_ERR_COMM},
	        {SCARD_E_NOT_TRANSACTED, APDU_ERR_COMM},
	        {SCARD_F_INTERNAL_ERROR, APDU_ERR_COMM},
	        {(LONG)0x80100099, APDU_ERR_COMM}, /* unknown code */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		apdu_rv rv = pcsc_rv(cases[i].rc);
		if (rv != cases[i].rv)
			fail_msg("0x%08lX → %s, want %s", (unsigned long)cases[i].rc,
			         apdu_rv_name(rv), apdu_rv_name(cases[i].rv));
	}
}

static void test_split_names(void **state)
{
	(void)state;
	static const char list[] =
	        "Virtual PCD 00 00\0\\\\?PnP?\\Notification\0Virtual PCD 00 01\0";
	static struct name_list nl;
	char big[600];
	size_t o = 0;

	split_names(list, sizeof(list), &nl);
	assert_int_equal(nl.n, 2);
	assert_string_equal(nl.names[0], "Virtual PCD 00 00");
	assert_string_equal(nl.names[1], "Virtual PCD 00 01");
	/* an over-long name is skipped; the list is capped at APDU_READERS_MAX */
	memset(big, 0, sizeof(big));
	memset(big, 'x', 200);
	o = 201;
	for (int i = 0; i < 20 && o + 8 < sizeof(big); i++)
		o += (size_t)sprintf(big + o, "R%02d", i) + 1;
	split_names(big, o + 1, &nl);
	assert_int_equal(nl.n, APDU_READERS_MAX);
	assert_string_equal(nl.names[0], "R00");
	/* an unterminated buffer is not read past its length */
	static const char unterminated[4] = {'a', 'b', 'c', 'd'};
	split_names(unterminated, 2, &nl);
	assert_int_equal(nl.n, 1);
	assert_string_equal(nl.names[0], "ab");
	split_names("", 1, &nl);
	assert_int_equal(nl.n, 0);
}

static void test_state_mapping(void **state)
{
	(void)state;
	SCARD_READERSTATE st;
	struct apdu_reader r;

	memset(&st, 0, sizeof(st));
	st.szReader = "Virtual PCD 00 00";
	st.dwEventState =
	        (7u << 16) | SCARD_STATE_PRESENT | SCARD_STATE_INUSE | SCARD_STATE_CHANGED;
	st.cbAtr = 3;
	st.rgbAtr[0] = 0x3B;
	fill_reader(&r, &st);
	assert_string_equal(r.name, "Virtual PCD 00 00");
	assert_int_equal(r.state, APDU_STATE_PRESENT);
	assert_int_equal(r.event_counter, 7);
	assert_int_equal(r.atr_len, 3);
	st.dwEventState = SCARD_STATE_EMPTY;
	fill_reader(&r, &st);
	assert_int_equal(r.state, 0);
	assert_int_equal(r.atr_len, 0);
	assert_int_equal(
	        state_flags(SCARD_STATE_PRESENT | SCARD_STATE_EXCLUSIVE | SCARD_STATE_MUTE),
	        APDU_STATE_PRESENT | APDU_STATE_EXCLUSIVE | APDU_STATE_MUTE);
	assert_int_equal(state_flags(SCARD_STATE_UNKNOWN), APDU_STATE_UNKNOWN);
}

static void test_same_as_known(void **state)
{
	(void)state;
	SCARD_READERSTATE st[3];
	struct apdu_reader known[2];

	memset(st, 0, sizeof(st));
	st[0].szReader = "A";
	st[0].dwEventState = (1u << 16) | SCARD_STATE_PRESENT | SCARD_STATE_INUSE;
	st[1].szReader = "B";
	st[1].dwEventState = SCARD_STATE_EMPTY;
	fill_reader(&known[1], &st[0]); /* order does not matter */
	fill_reader(&known[0], &st[1]);
	assert_true(same_as_known(st, 2, known, 2));
	/* INUSE alone (another process connected) is not a change for the caller */
	st[0].dwEventState &= ~(DWORD)SCARD_STATE_INUSE;
	assert_true(same_as_known(st, 2, known, 2));
	/* removal and re-insertion: same flags, counter moved */
	st[0].dwEventState = (3u << 16) | SCARD_STATE_PRESENT;
	assert_false(same_as_known(st, 2, known, 2));
	st[0].dwEventState = (1u << 16) | SCARD_STATE_EMPTY;
	assert_false(same_as_known(st, 2, known, 2));
	st[0].dwEventState = (1u << 16) | SCARD_STATE_PRESENT;
	assert_true(same_as_known(st, 2, known, 2));
	/* a reader more or less */
	assert_false(same_as_known(st, 1, known, 2));
	st[2].szReader = "C";
	assert_false(same_as_known(st, 3, known, 2));
	/* a renamed reader */
	st[1].szReader = "D";
	assert_false(same_as_known(st, 2, known, 2));
	assert_true(same_as_known(st, 0, NULL, 0));
}

static void test_args(void **state)
{
	(void)state;
	struct apdu_card *card = (struct apdu_card *)1;
	size_t n = 5;

	assert_int_equal(apdu_pcsc_open(NULL), APDU_ERR_ARGS);
	assert_int_equal(apdu_pcsc_readers(NULL, NULL, 0, &n), APDU_ERR_ARGS);
	assert_int_equal(n, 0);
	assert_int_equal(apdu_pcsc_wait(NULL, NULL, 0, 0), APDU_ERR_ARGS);
	assert_int_equal(apdu_pcsc_connect(NULL, &card), APDU_ERR_ARGS);
	assert_null(card);
	assert_false(apdu_pcsc_valid(NULL));
	apdu_pcsc_close(NULL);
	apdu_pcsc_cancel(NULL);
	apdu_pcsc_forget(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_translator),    cmocka_unit_test(test_split_names),
	        cmocka_unit_test(test_state_mapping), cmocka_unit_test(test_same_as_known),
	        cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
