/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scripted transport for unit tests: a list of expected raw commands and
 * canned raw responses (or transport errors). A command that differs from
 * the script, or one past its end, fails the exchange with APDU_ERR_COMM
 * and is recorded so that the test can assert on it.
 *
 * Reader control (apdu_control, PC/SC SCardControl: PC/SC part 10 PIN pad
 * features) is scripted in the same sequence: a step whose cmd reads
 * "ctl:CODE" or "ctl:CODE INPUT" (CODE 8 hex digits, INPUT hex, none when
 * absent) is an exchange with that control code, and resp its output (no
 * status word added). A script without any control step answers every
 * control with APDU_ERR_NOT_SUPPORTED (a reader without features), as it
 * always did.
 */
#ifndef AKIS_APDU_SCRIPT_H
#define AKIS_APDU_SCRIPT_H

#include "apdu.h"

struct apdu_script_step {
	const char *cmd;  /* expected command, hex ("00A4000C023F00"); spaces ignored;
	                     NULL = accept any command */
	const char *resp; /* response hex incl. SW ("9000"); ignored when rv != APDU_OK */
	apdu_rv rv;       /* transport result of this step (APDU_OK normally) */
};

/* A card over a script; steps are copied. atr_hex may be NULL. */
struct apdu_card *apdu_script_open(const struct apdu_script_step *steps, size_t n,
                                   const char *atr_hex);
/* Steps consumed so far. */
size_t apdu_script_pos(const struct apdu_card *card);
/* True when every step was consumed and no command mismatched. */
bool apdu_script_done(const struct apdu_card *card);
/* Description of the first mismatch ("step 3: expected … got …"), or "". */
const char *apdu_script_error(const struct apdu_card *card);
/* Transactions currently open (begin minus end), for lock tests. */
int apdu_script_tx_depth(const struct apdu_card *card);
/* Transactions ended with a card reset (apdu_end(card, true)). */
unsigned apdu_script_resets(const struct apdu_card *card);

#endif
