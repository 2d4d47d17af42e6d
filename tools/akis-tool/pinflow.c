/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card side of change PIN, change PUK and unblock (see pinflow.h).
 */
#include "pinflow.h"

#include "card.h"

enum akis_pin_which tool_pinflow_cur(enum tool_pin_op op)
{
	return op == TOOL_OP_CHANGE_PIN ? AKIS_PIN_USER : AKIS_PIN_SO;
}

enum akis_pin_which tool_pinflow_new(enum tool_pin_op op)
{
	return op == TOOL_OP_CHANGE_PUK ? AKIS_PIN_SO : AKIS_PIN_USER;
}

akis_rv tool_pinflow_check(const struct akis_card *card, enum tool_pin_op op, const char *cur,
                           size_t cur_len, const char *nw, size_t nw_len, enum akis_pin_which *bad)
{
	*bad = tool_pinflow_cur(op);
	akis_rv rv = akis_pin_check(card, *bad, cur, cur_len);
	if (rv != AKIS_OK)
		return rv;
	*bad = tool_pinflow_new(op);
	return akis_pin_check(card, *bad, nw, nw_len);
}

/* The commands of the action; the caller holds the transaction. */
static akis_rv action_tx(struct akis_card *card, enum tool_pin_op op, const char *cur,
                         size_t cur_len, const char *nw, size_t nw_len,
                         struct tool_pinflow_result *res)
{
	if (op != TOOL_OP_UNBLOCK)
		return akis_pin_change_tx(card, res->which, cur, cur_len, nw, nw_len, &res->tries);
	akis_rv rv = akis_pin_verify_tx(card, AKIS_PIN_SO, cur, cur_len, &res->tries);
	if (rv != AKIS_OK)
		return rv;
	/* RESET RETRY COUNTER after VERIFY PUK (docs/card.md §3); what fails
	 * now is about the new PIN. */
	res->which = AKIS_PIN_USER;
	res->tries = -1;
	return akis_pin_unblock_tx(card, nw, nw_len);
}

akis_rv tool_pinflow_run(struct akis_card *card, enum tool_pin_op op, const char *cur,
                         size_t cur_len, const char *nw, size_t nw_len,
                         struct tool_pinflow_result *res, struct tool_report *r, time_t now)
{
	bool was_reset = false;
	res->which = tool_pinflow_cur(op);
	res->tries = -1;
	res->rv = akis_begin(card, &was_reset);
	if (res->rv != AKIS_OK)
		return res->rv;
	res->rv = action_tx(card, op, cur, cur_len, nw, nw_len, res);
	akis_rv lrv = akis_logout_tx(card);
	(void)lrv; /* best effort: the action's result is what matters */
	akis_end(card);
	if (r != NULL) {
		akis_rv rrv = tool_card_refresh(card, r, now);
		(void)rrv; /* the counters shown are then the ones read before */
	}
	return res->rv;
}
