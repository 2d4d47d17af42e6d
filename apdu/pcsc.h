/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PC/SC (pcsc-lite) implementation of the transport: one context per
 * user (the PKCS#11 module has one per C_Initialize; akis-tool one per run),
 * reader listing with hot-plug, status-change waiting, and connecting a
 * card in shared mode with T=1.
 *
 * apdu/pcsc.c is the only file of the project that includes <winscard.h>.
 */
#ifndef AKIS_APDU_PCSC_H
#define AKIS_APDU_PCSC_H

#include "apdu.h"

struct apdu_pcsc; /* one SCARDCONTEXT */

/* SCardControl codes as pcsc-lite builds them (SCARD_CTL_CODE), for
 * apdu_control without <winscard.h>: PC/SC part 10 GET_FEATURE_REQUEST. */
#define APDU_PCSC_CTL_CODE(c)         (0x42000000u + (uint32_t)(c))
#define APDU_PCSC_GET_FEATURE_REQUEST APDU_PCSC_CTL_CODE(3400)

/* Establish a context. APDU_ERR_NO_SERVICE when pcscd is not running. */
apdu_rv apdu_pcsc_open(struct apdu_pcsc **out) APDU_WUR;
/* Release the context. Must not be called in a forked child for the
 * parent's context: a child just forgets it (apdu_pcsc_forget). */
void apdu_pcsc_close(struct apdu_pcsc *pc);
/* Free the memory only, without any SCard* call (after fork). */
void apdu_pcsc_forget(struct apdu_pcsc *pc);

/* Is the context still valid (SCardIsValidContext)? Re-open when not
 * (pcscd restarted, R35). */
bool apdu_pcsc_valid(struct apdu_pcsc *pc);

#define APDU_READER_NAME_MAX 128u
#define APDU_READERS_MAX     16u

/* Reader state flags, a subset of SCARD_STATE_* */
#define APDU_STATE_PRESENT   0x01u /* a card is in the reader */
#define APDU_STATE_EXCLUSIVE 0x02u /* held exclusively by someone */
#define APDU_STATE_MUTE      0x04u /* card does not answer */
#define APDU_STATE_UNKNOWN   0x08u /* reader gone */

struct apdu_reader {
	char name[APDU_READER_NAME_MAX];
	unsigned state;         /* APDU_STATE_* */
	uint32_t event_counter; /* pcsc-lite's insertion/removal counter (high 16 bits of
	                           dwEventState) */
	uint8_t atr[APDU_ATR_MAX];
	size_t atr_len;
};

/*
 * List the readers (never the "\\?PnP?\\Notification" pseudo-reader) with
 * their current state; *n is set to the count. No reader: APDU_OK, *n = 0.
 */
apdu_rv apdu_pcsc_readers(struct apdu_pcsc *pc, struct apdu_reader *out, size_t cap,
                          size_t *n) APDU_WUR;

/*
 * Block until a reader list or card state differs from `known` (as
 * returned by apdu_pcsc_readers), the timeout passes (APDU_ERR_TIMEOUT;
 * timeout_ms < 0 = forever) or apdu_pcsc_cancel (APDU_ERR_CANCELLED).
 * Watches the PnP pseudo-reader too, so a new reader ends the wait.
 */
apdu_rv apdu_pcsc_wait(struct apdu_pcsc *pc, const struct apdu_reader *known, size_t n,
                       long timeout_ms) APDU_WUR;
/* Wake a blocked apdu_pcsc_wait (SCardCancel). Safe from another thread.
 * Sticky: every later apdu_pcsc_wait on this pc returns APDU_ERR_CANCELLED
 * at once, so a cancel that lands just before the wait is not lost (C_Finalize
 * racing C_WaitForSlotEvent, R15). */
void apdu_pcsc_cancel(struct apdu_pcsc *pc);

/*
 * Connect shared, T=1 only. APDU_ERR_NO_CARD when empty.
 * pcsc-lite serialises the calls made on one SCARDCONTEXT, so each
 * connected card gets a context of its own (two cards never wait on each
 * other), and a thread blocked in apdu_pcsc_wait must use an apdu_pcsc
 * that nothing else uses.
 */
apdu_rv apdu_pcsc_connect(const char *reader, struct apdu_card **out) APDU_WUR;

#endif
