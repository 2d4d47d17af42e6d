/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one way to readers and cards for everything above akis/: the PKCS#11
 * module (pkcs11/), akis-tool and the desktop monitor (docs/design.md
 * "Layers"). List the readers, wait for a change, open the card in a
 * reader, bind it and read its PIN state without spending a try. Nothing
 * above akis/ includes apdu/pcsc.h or sees an apdu_rv: every result here is
 * an akis_rv.
 */
#ifndef AKIS_AKIS_READER_H
#define AKIS_AKIS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "akis.h"

struct akis_readers; /* one PC/SC context */

#define AKIS_READER_NAME_MAX 128u
#define AKIS_READERS_MAX     16u
#define AKIS_ATR_MAX         33u

/* Reader state flags. */
#define AKIS_READER_PRESENT   0x01u /* a card is in the reader */
#define AKIS_READER_EXCLUSIVE 0x02u /* held exclusively by another program */
#define AKIS_READER_MUTE      0x04u /* the card does not answer */
#define AKIS_READER_GONE      0x08u /* the reader went away */

struct akis_reader {
	char name[AKIS_READER_NAME_MAX];
	unsigned state; /* AKIS_READER_* */
	/* insertions and removals counted by pcsc-lite: a different value
	 * with a card present means another card (or the same, reinserted) */
	uint32_t event_counter;
	uint8_t atr[AKIS_ATR_MAX];
	size_t atr_len;
};

/* A context. AKIS_ERR_NO_SERVICE when pcscd is not running. */
akis_rv akis_readers_open(struct akis_readers **out) AKIS_WUR;
/* Release it. Never for a context a forked child inherited: the child
 * calls akis_readers_forget. NULL is fine. */
void akis_readers_close(struct akis_readers *rs);
/* Free the memory only, without any call to pcscd (after fork). */
void akis_readers_forget(struct akis_readers *rs);
/* Still usable? false after pcscd restarted: close and open again. */
bool akis_readers_valid(struct akis_readers *rs);

/*
 * The readers and their state; *n is set to the count (no reader: AKIS_OK,
 * *n = 0). AKIS_ERR_NO_SERVICE when pcscd went away.
 */
akis_rv akis_readers_list(struct akis_readers *rs, struct akis_reader *out, size_t cap,
                          size_t *n) AKIS_WUR;
/*
 * Block until the reader list or a card state differs from `known` (a
 * listing), the timeout passes (AKIS_ERR_TIMEOUT; < 0: forever) or
 * akis_readers_cancel (AKIS_ERR_CANCELLED). A new reader ends the wait.
 * A thread blocked here must use a context nothing else uses.
 */
akis_rv akis_readers_wait(struct akis_readers *rs, const struct akis_reader *known, size_t n,
                          long timeout_ms) AKIS_WUR;
/* Wake akis_readers_wait from another thread. Sticky: every later wait on
 * this context returns AKIS_ERR_CANCELLED at once. */
void akis_readers_cancel(struct akis_readers *rs);

/*
 * Is the card of a listing an AKİS card? Fills *info (profile, version)
 * from its ATR; no APDU (docs/card.md §1).
 */
bool akis_reader_is_akis(const struct akis_reader *r, struct akis_atr_info *info);

/*
 * Reset the card in `reader` (a transaction ended with SCARD_RESET_CARD):
 * every PIN verified on it is gone (R22). For the logout guard
 * (tools/akis-guard), no APDU. AKIS_ERR_REMOVED when there is no card.
 */
akis_rv akis_reader_reset(const char *reader) AKIS_WUR;

/*
 * Connect to the card in `reader` (shared, T=1) and wrap it as an AKİS card
 * of profile *atr; no APDU. Each open card gets a PC/SC context of its own,
 * so that two cards never wait on each other (*out owns it).
 * AKIS_ERR_REMOVED when the reader is empty or gone, AKIS_ERR_NO_SERVICE,
 * AKIS_ERR_SHARING, AKIS_ERR_COMM.
 */
akis_rv akis_card_open(const char *reader, const struct akis_atr_info *atr,
                       struct akis_card **out) AKIS_WUR;

/* A PIN or PUK as its holder needs to know it. */
struct akis_pin_state {
	bool known; /* the card answered the status query in a way we understand */
	bool blocked;
	bool verified;
	int tries_left; /* 0 when blocked; -1 when the card did not say */
};

/*
 * The state of a PIN without spending a try (R18); the caller holds the
 * transaction. AKIS_OK with s->known false when the answer was not
 * understood; the card or pcscd gone is returned (AKIS_ERR_REMOVED,
 * AKIS_ERR_NO_SERVICE, R32) so that the call that was cut says so.
 */
akis_rv akis_pin_state_tx(struct akis_card *card, enum akis_pin_which which,
                          struct akis_pin_state *s) AKIS_WUR;

/*
 * Bind the card (akis_bind_tx) and read both PIN states, in the caller's
 * transaction. pins is indexed by enum akis_pin_which. The life cycle is
 * read when show_life_cycle asks for it (a program that shows it, R40) or
 * when the PUK state does not prove the application alive (a PUK with
 * tries left or verified); card->life_cycle stays 0 otherwise.
 * AKIS_ERR_DEAD when the life cycle is AA: the public data is bound and
 * both PINs are set blocked. Other errors as akis_bind_tx and
 * akis_pin_state_tx.
 */
akis_rv akis_card_read_tx(struct akis_card *card, const char *cache_dir,
                          struct akis_pin_state pins[2], bool show_life_cycle) AKIS_WUR;

#endif
