/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PIN actions on the card, written once for akis-tool (cmd_pin.c) and
 * akis-monitor (worker.c), issue 10, R41: which secret each entry is, the
 * host checks (a malformed secret never costs a try, docs/card.md §3), and
 * the card-side sequence in one transaction ended by LOGOUT (docs/design.md
 * "Logout hygiene"). Prompts, dialogs and messages stay in each front end.
 */
#ifndef AKIS_TOOL_PINFLOW_H
#define AKIS_TOOL_PINFLOW_H

#include <stddef.h>
#include <time.h>

#include "../../akis/akis.h"
#include "report.h"
#include "tool.h"

enum tool_pin_op {
	TOOL_OP_CHANGE_PIN, /* current PIN, new PIN */
	TOOL_OP_CHANGE_PUK, /* current PUK, new PUK */
	TOOL_OP_UNBLOCK,    /* PUK, new PIN */
};

/* The secret of the first entry (the current one) and of the new one. */
enum akis_pin_which tool_pinflow_cur(enum tool_pin_op op);
enum akis_pin_which tool_pinflow_new(enum tool_pin_op op);

/*
 * Both secrets against the card's rules, on the host (no APDU). AKIS_OK,
 * or akis_pin_check's answer with *bad set to the refused secret (its rule
 * is card->pins[*bad]).
 */
akis_rv tool_pinflow_check(const struct akis_card *card, enum tool_pin_op op, const char *cur,
                           size_t cur_len, const char *nw, size_t nw_len,
                           enum akis_pin_which *bad) TOOL_WUR;

struct tool_pinflow_result {
	akis_rv rv;
	enum akis_pin_which which; /* the secret the failing command was about */
	int tries;                 /* the card's count after a wrong entry, -1 unknown */
};

/*
 * The action on the card, in one transaction: CHANGE REFERENCE DATA, or
 * VERIFY of the PUK then RESET RETRY COUNTER (docs/card.md §3); LOGOUT;
 * end. Then, when r is not NULL, the PIN and PUK counters are read again
 * into *r (another transaction; a failure there keeps the old counters).
 * The result is res->rv: AKIS_OK, AKIS_ERR_PIN_INCORRECT (res->tries),
 * AKIS_ERR_PIN_BLOCKED, AKIS_ERR_DEAD, a transport error.
 */
akis_rv tool_pinflow_run(struct akis_card *card, enum tool_pin_op op, const char *cur,
                         size_t cur_len, const char *nw, size_t nw_len,
                         struct tool_pinflow_result *res, struct tool_report *r,
                         time_t now) TOOL_WUR;

#endif
