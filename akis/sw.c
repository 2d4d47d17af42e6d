/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two translators of akis/ (docs/design.md "three error vocabularies"):
 * status word → akis_rv through ONE table, and apdu_rv → akis_rv through
 * one exhaustive switch.
 */
#include "akis.h"
#include "internal.h"
#include "../log/log.h"

#define PROF_1X  ((1u << AKIS_PROFILE_1_0) | (1u << AKIS_PROFILE_1_2))
#define PROF_2X  (1u << AKIS_PROFILE_2)
#define PROF_ALL (PROF_1X | PROF_2X)

struct sw_row {
	uint16_t sw, mask;  /* (sw & mask) == row.sw */
	unsigned profiles;  /* bit per enum akis_profile */
	akis_rv rv;         /* general context */
	akis_rv rv_pin;     /* the command carried a PIN (VERIFY) */
	akis_rv rv_new_pin; /* the command carried a new PIN (CHANGE, RESET RETRY COUNTER) */
	const char *what;
};

/* docs/card.md §5, ISO 7816-4 §5.1.3; first matching row wins. */
static const struct sw_row sw_table[] = {
        {0x9000, 0xFFFF, PROF_ALL, AKIS_OK, AKIS_OK, AKIS_OK, "ok"},
        {0x63C0, 0xFFF0, PROF_ALL, AKIS_ERR_PIN_INCORRECT, AKIS_ERR_PIN_INCORRECT,
         AKIS_ERR_PIN_INCORRECT, "wrong PIN, tries left in low nibble"},
        {0x6984, 0xFFFF, PROF_1X, AKIS_ERR_PIN_BLOCKED, AKIS_ERR_PIN_BLOCKED, AKIS_ERR_PIN_BLOCKED,
         "reference data unusable: PIN blocked (1.x)"},
        {0x6984, 0xFFFF, PROF_2X, AKIS_ERR_CONDITIONS, AKIS_ERR_PIN_BLOCKED, AKIS_ERR_PIN_BLOCKED,
         "reference data unusable"},
        {0x6983, 0xFFFF, PROF_ALL, AKIS_ERR_PIN_BLOCKED, AKIS_ERR_PIN_BLOCKED, AKIS_ERR_PIN_BLOCKED,
         "authentication method blocked (2.x PIN blocked)"},
        {0x6700, 0xFFFF, PROF_ALL, AKIS_ERR_BAD_DATA, AKIS_ERR_PIN_LEN, AKIS_ERR_PIN_LEN,
         "wrong length"},
        {0x6A80, 0xFFFF, PROF_ALL, AKIS_ERR_BAD_DATA, AKIS_ERR_BAD_DATA, AKIS_ERR_PIN_INVALID,
         "incorrect data"},
        {0x6982, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_LOGGED_IN, AKIS_ERR_NOT_LOGGED_IN,
         AKIS_ERR_NOT_LOGGED_IN, "security status not satisfied"},
        {0x6985, 0xFFFF, PROF_ALL, AKIS_ERR_CONDITIONS, AKIS_ERR_CONDITIONS, AKIS_ERR_CONDITIONS,
         "conditions of use not satisfied"},
        {0x6986, 0xFFFF, PROF_ALL, AKIS_ERR_CONDITIONS, AKIS_ERR_CONDITIONS, AKIS_ERR_CONDITIONS,
         "no current EF"},
        {0x6A82, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_FOUND, AKIS_ERR_NOT_FOUND, AKIS_ERR_NOT_FOUND,
         "file not found"},
        {0x6A88, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_FOUND, AKIS_ERR_NOT_FOUND, AKIS_ERR_NOT_FOUND,
         "referenced data not found"},
        {0x6A81, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_SUPPORTED, AKIS_ERR_NOT_SUPPORTED,
         AKIS_ERR_NOT_SUPPORTED, "function not supported"},
        {0x6A86, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_SUPPORTED, AKIS_ERR_NOT_SUPPORTED,
         AKIS_ERR_NOT_SUPPORTED, "incorrect P1/P2"},
        {0x6D00, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_SUPPORTED, AKIS_ERR_NOT_SUPPORTED,
         AKIS_ERR_NOT_SUPPORTED, "INS not supported"},
        {0x6E00, 0xFFFF, PROF_ALL, AKIS_ERR_NOT_SUPPORTED, AKIS_ERR_NOT_SUPPORTED,
         AKIS_ERR_NOT_SUPPORTED, "CLA not supported"},
        {0x6B00, 0xFFFF, PROF_ALL, AKIS_ERR_BAD_DATA, AKIS_ERR_BAD_DATA, AKIS_ERR_BAD_DATA,
         "wrong offset"},
        /* PC/SC part 10 §2.5.2: answers of a PIN pad reader, not of the card. */
        {0x6400, 0xFFFF, PROF_ALL, AKIS_ERR_TIMEOUT, AKIS_ERR_TIMEOUT, AKIS_ERR_TIMEOUT,
         "PIN pad: timeout"},
        {0x6401, 0xFFFF, PROF_ALL, AKIS_ERR_CANCELLED, AKIS_ERR_CANCELLED, AKIS_ERR_CANCELLED,
         "PIN pad: cancelled"},
        {0x6402, 0xFFFF, PROF_ALL, AKIS_ERR_PIN_INVALID, AKIS_ERR_PIN_INVALID, AKIS_ERR_PIN_INVALID,
         "PIN pad: new PINs differ"},
        {0x6403, 0xFFFF, PROF_ALL, AKIS_ERR_PIN_LEN, AKIS_ERR_PIN_LEN, AKIS_ERR_PIN_LEN,
         "PIN pad: PIN length"},
};

/* Answers of cards that do not select by path: P1/P2 wrong, function or
 * INS not supported, data (the path) not understood. */
static const uint16_t no_path_select[] = {0x6A86, 0x6A81, 0x6D00, 0x6A80};

bool akis_sw_no_path_select(uint16_t sw)
{
	for (size_t i = 0; i < sizeof no_path_select / sizeof no_path_select[0]; i++)
		if (sw == no_path_select[i])
			return true;
	return false;
}

akis_rv akis_sw_ctx(enum akis_profile profile, uint16_t sw, enum akis_sw_context ctx, int *tries)
{
	for (size_t i = 0; i < sizeof sw_table / sizeof sw_table[0]; i++) {
		const struct sw_row *row = &sw_table[i];
		if ((sw & row->mask) != row->sw || !(row->profiles & (1u << profile)))
			continue;
		if (row->mask == 0xFFF0 && tries != NULL)
			*tries = (int)(sw & 0x0Fu);
		if (sw != 0x9000)
			log_msg(LOG_CARD, "SW %04X: %s", sw, row->what);
		switch (ctx) {
		case AKIS_SW_GENERAL:
			return row->rv;
		case AKIS_SW_PIN:
			return row->rv_pin;
		case AKIS_SW_NEW_PIN:
			return row->rv_new_pin;
		}
		return row->rv;
	}
	log_msg(LOG_CARD, "SW %04X: unexpected", sw);
	return AKIS_ERR_CARD_DATA;
}

akis_rv akis_sw_to_rv(enum akis_profile profile, uint16_t sw, bool new_pin, int *tries)
{
	return akis_sw_ctx(profile, sw, new_pin ? AKIS_SW_NEW_PIN : AKIS_SW_GENERAL, tries);
}

akis_rv akis_rv_from_apdu(apdu_rv rv)
{
	switch (rv) {
	case APDU_OK:
		return AKIS_OK;
	case APDU_ERR_ARGS:
		return AKIS_ERR_ARGS;
	case APDU_ERR_NO_MEMORY:
		return AKIS_ERR_NO_MEMORY;
	case APDU_ERR_NO_SERVICE:
		return AKIS_ERR_NO_SERVICE;
	case APDU_ERR_NO_READER:
		return AKIS_ERR_REMOVED;
	case APDU_ERR_NO_CARD:
		return AKIS_ERR_REMOVED;
	case APDU_ERR_RESET:
		return AKIS_ERR_RESET;
	case APDU_ERR_SHARING:
		return AKIS_ERR_SHARING;
	case APDU_ERR_PROTOCOL:
		return AKIS_ERR_COMM;
	case APDU_ERR_TIMEOUT:
		return AKIS_ERR_TIMEOUT;
	case APDU_ERR_CANCELLED:
		return AKIS_ERR_CANCELLED;
	case APDU_ERR_NOT_SUPPORTED:
		return AKIS_ERR_NOT_SUPPORTED;
	case APDU_ERR_COMM:
		return AKIS_ERR_COMM;
	}
	return AKIS_ERR_COMM;
}

static const char *const rv_names[] = {
        [AKIS_OK] = "AKIS_OK",
        [AKIS_ERR_ARGS] = "AKIS_ERR_ARGS",
        [AKIS_ERR_NO_MEMORY] = "AKIS_ERR_NO_MEMORY",
        [AKIS_ERR_BUFFER] = "AKIS_ERR_BUFFER",
        [AKIS_ERR_NO_SERVICE] = "AKIS_ERR_NO_SERVICE",
        [AKIS_ERR_REMOVED] = "AKIS_ERR_REMOVED",
        [AKIS_ERR_RESET] = "AKIS_ERR_RESET",
        [AKIS_ERR_SHARING] = "AKIS_ERR_SHARING",
        [AKIS_ERR_COMM] = "AKIS_ERR_COMM",
        [AKIS_ERR_TIMEOUT] = "AKIS_ERR_TIMEOUT",
        [AKIS_ERR_CANCELLED] = "AKIS_ERR_CANCELLED",
        [AKIS_ERR_NOT_AKIS] = "AKIS_ERR_NOT_AKIS",
        [AKIS_ERR_CARD_DATA] = "AKIS_ERR_CARD_DATA",
        [AKIS_ERR_PIN_INCORRECT] = "AKIS_ERR_PIN_INCORRECT",
        [AKIS_ERR_PIN_BLOCKED] = "AKIS_ERR_PIN_BLOCKED",
        [AKIS_ERR_PIN_LEN] = "AKIS_ERR_PIN_LEN",
        [AKIS_ERR_PIN_INVALID] = "AKIS_ERR_PIN_INVALID",
        [AKIS_ERR_NOT_LOGGED_IN] = "AKIS_ERR_NOT_LOGGED_IN",
        [AKIS_ERR_CONDITIONS] = "AKIS_ERR_CONDITIONS",
        [AKIS_ERR_NOT_FOUND] = "AKIS_ERR_NOT_FOUND",
        [AKIS_ERR_BAD_DATA] = "AKIS_ERR_BAD_DATA",
        [AKIS_ERR_NOT_SUPPORTED] = "AKIS_ERR_NOT_SUPPORTED",
        [AKIS_ERR_DEAD] = "AKIS_ERR_DEAD",
};

const char *akis_rv_name(akis_rv rv)
{
	if ((unsigned)rv < sizeof rv_names / sizeof rv_names[0] && rv_names[rv] != NULL)
		return rv_names[rv];
	return "AKIS_ERR_?";
}
