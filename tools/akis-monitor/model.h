/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the window says, without GTK: certificate states with the old/new
 * rule (R51), results of the PIN actions in the holder's words, and the
 * test dump of the view. Pure: no card, no clock, tested by
 * tests/unit/test_monitor.c.
 */
#ifndef AKIS_MONITOR_MODEL_H
#define AKIS_MONITOR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "../akis-tool/report.h"
#include "readers.h"

enum mon_cert_state {
	MON_CERT_USABLE,
	MON_CERT_EXPIRES_SOON,  /* usable, ends within TOOL_EXPIRY_SOON_DAYS */
	MON_CERT_NOT_YET_VALID, /* before notBefore; when = first usable moment */
	MON_CERT_WAITS_FOR_OLD, /* valid, but an older one of the same role is still valid:
	                           usable when that one expires (when) */
	MON_CERT_EXPIRED,
	MON_CERT_UNREADABLE,
};

struct mon_cert_view {
	enum mon_cert_state state;
	time_t when; /* usable from (NOT_YET_VALID, WAITS_FOR_OLD), until (others) */
	int old;     /* WAITS_FOR_OLD / NOT_YET_VALID behind an old one: its index, else -1 */
	int days;    /* EXPIRES_SOON: days left */
};

/* State of certificate i: the report's warnings (tool_report_warnings) plus
 * the issuer's rule that a new certificate is not used before the old one
 * of the same role expires. */
void mon_cert_view(const struct tool_report *r, size_t i, time_t now, struct mon_cert_view *v);
/* Stable name for the dump ("usable", "waits_for_old", ...). */
const char *mon_cert_state_name(enum mon_cert_state s);
/* One sentence for the holder, translated ("Usable until 2027-01-31"). */
void mon_cert_state_text(const struct tool_report *r, const struct mon_cert_view *v, char *out,
                         size_t cap);
/* Purposes as translated words, ", "-separated. */
void mon_purpose_text(unsigned purposes, char *out, size_t cap);

enum mon_op { MON_OP_CHANGE_PIN, MON_OP_CHANGE_PUK, MON_OP_UNBLOCK };

struct mon_op_result {
	enum mon_op op;
	akis_rv rv;
	int tries;                 /* the card's count after a wrong entry, -1 unknown */
	unsigned min_len, max_len; /* the secret's rule, 0 unknown */
	bool entries_differ;       /* the two new entries differed: nothing sent */
};

/* The result in the holder's words; a PIN that ends blocked gets the
 * blocked-PIN advice of the shared core (tool_pin_advice_text, R50) drawn
 * from r (the card after the action). */
void mon_op_result_text(const struct mon_op_result *res, const struct tool_report *r, char *out,
                        size_t cap);
/* "ok", "wrong", "blocked", "dead", "format", "error" (dump). */
const char *mon_op_result_code(const struct mon_op_result *res);

/* The view as JSON (AKIS_MONITOR_TEST_DUMP): readers with their reports
 * (akis-tool's schema), the monitor's certificate states and PIN advice,
 * the open dialog and the last result. */
struct mon_dump_extra {
	const char *dialog;      /* NULL: none open */
	const char *result_code; /* NULL: none yet */
	const char *result_text;
	unsigned notifications; /* sent since start */
};
void mon_dump_json(FILE *f, const struct mon_card *cards, size_t n, time_t now,
                   const struct mon_dump_extra *x);

#endif
