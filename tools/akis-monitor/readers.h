/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-monitor's only contact with the readers: list, wait for a change,
 * read one reader's report, open its card for a PIN action. Every
 * akis_readers_* call and struct akis_reader of the monitor is in readers.c,
 * the one file that knows the reader layer (akis/reader.h). Called
 * from the worker thread only (never the GTK main thread).
 */
#ifndef AKIS_MONITOR_READERS_H
#define AKIS_MONITOR_READERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../../akis/akis.h"
#include "../akis-tool/report.h"

#define MON_READERS_MAX 16u

/* One reader as the window shows it: the shared report, plus the
 * certificates' DER (fingerprints, export). */
struct mon_card {
	struct tool_report r;
	uint8_t *der[AKIS_MAX_CERTS]; /* malloc'd, NULL when unknown */
	size_t der_len[AKIS_MAX_CERTS];
};

struct mon_readers;

/* Open the PC/SC context. false: pcscd not reachable (try again later). */
bool mon_readers_open(struct mon_readers **out);
void mon_readers_close(struct mon_readers *m);

/*
 * Wait up to timeout_ms for a reader or card change, then list the
 * readers: *n readers, changed[i] true for a reader whose card changed
 * since the last call (every reader on the first call). false when PC/SC
 * failed (the caller reopens).
 */
bool mon_readers_poll(struct mon_readers *m, long timeout_ms, bool *changed, size_t cap, size_t *n);

/* Name of reader i of the last poll. */
const char *mon_readers_name(const struct mon_readers *m, size_t i);

/* Read reader i of the last poll into *c (replacing what it held). */
void mon_readers_read(struct mon_readers *m, size_t i, struct mon_card *c, time_t now);

/* Open the AKİS card in `reader` for a PIN action, bound, with *r filled
 * (tool_card_open_quiet: nothing on stderr). AKIS_OK or why not. */
akis_rv mon_readers_card_open(struct mon_readers *m, const char *reader, struct akis_card **card,
                              struct tool_report *r) __attribute__((warn_unused_result));

/* Free the DER copies of *c. */
void mon_card_clear(struct mon_card *c);
/* Deep copy (DER included). false: out of memory (*dst cleared). */
bool mon_card_copy(struct mon_card *dst, const struct mon_card *src)
        __attribute__((warn_unused_result));

#endif
