/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-tool's use of the readers and of the card (akis/reader.h,
 * akis/akis.h): choose a reader, connect, read a report inside one
 * transaction (akis_begin/akis_end).
 */
#ifndef AKIS_TOOL_CARD_H
#define AKIS_TOOL_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../../akis/akis.h"
#include "../../akis/reader.h"
#include "report.h"
#include "tool.h"

/* Open the PC/SC context; prints the reason and returns an exit code
 * (TOOL_EXIT_NO_CARD without pcscd). */
int tool_pcsc_open(struct akis_readers **pc) TOOL_WUR;

/* List readers; on error prints it and returns an exit code. */
int tool_readers(struct akis_readers *pc, struct akis_reader *rd, size_t cap, size_t *n) TOOL_WUR;

/* Does a reader name match --reader? Exact name, else a substring. */
bool tool_reader_matches(const char *name, const char *want);

/* Report for one reader: ATR, and for an AKİS card identity, PIN/PUK
 * state, certificates and warnings. Errors go into r->has_error. */
void tool_report_read(const struct akis_reader *rd, struct tool_report *r, time_t now);

/*
 * For the PIN commands: pick the one AKİS card (--reader, or the only one
 * present), connect, and fill *r as tool_report_read does. Prints what went
 * wrong and returns an exit code; on TOOL_EXIT_OK *card is connected and
 * bound (free with akis_card_free).
 */
int tool_card_open(struct akis_readers *pc, const char *want, struct akis_card **card,
                   struct tool_report *r) TOOL_WUR;

/* The same without a word on stderr (akis-monitor, which shows what went
 * wrong in its window): a card pulled during the read prints nothing. */
int tool_card_open_quiet(struct akis_readers *pc, const char *want, struct akis_card **card,
                         struct tool_report *r) TOOL_WUR;

/* Read the PIN/PUK counters again (one transaction). */
akis_rv tool_card_refresh(struct akis_card *card, struct tool_report *r, time_t now) TOOL_WUR;

/* Print an error line "akis-tool: ..." to stderr (format is translated by
 * the caller). */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
