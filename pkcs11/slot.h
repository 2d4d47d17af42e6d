/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slots (R7, R8, R14, R32): one slot per PC/SC reader, stable IDs per
 * reader name, presence from reader scans (pcsc-lite's event counter tells
 * a swap between two scans), pending-event flags for C_WaitForSlotEvent.
 * The slot structure also carries its token's state, which token.h
 * manages (binding, login state, PIN counters).
 */
#ifndef AKIS_PKCS11_SLOT_H
#define AKIS_PKCS11_SLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "../akis/akis.h"
#include "ctx.h"
#include "object.h"
#include "pinkeep.h"
#include "p11.h"

enum p11_token_kind {
	P11_TOKEN_NONE,  /* empty reader (or the token was seen removed) */
	P11_TOKEN_AKIS,  /* an AKİS card by ATR */
	P11_TOKEN_OTHER, /* a card we do not speak to (R9) */
};

/* Default tries of a PIN or PUK when the card has not told a higher
 * count (docs/card.md §4: 3 tries each). */
#define P11_PIN_TRIES_DEFAULT 3

/* Atomic: changed inside a card transaction, read meanwhile by calls
 * answered from memory (the token flags). */
struct p11_pin_state {
	_Atomic int tries; /* -1 unknown */
	_Atomic int max;
	_Atomic bool blocked;
};

struct p11_slot {
	CK_SLOT_ID id;
	char reader[AKIS_READER_NAME_MAX];
	/*
	 * Two locks (docs/design.md "Runtime model", issue 14). `lock`, taken
	 * in arrival order, is held for a whole card operation: it serialises
	 * the card and every change of the binding. `state_lock` is short: it
	 * guards what calls answered from memory read (R10: the binding, the
	 * objects, the sessions' lives). A card operation holds both, except
	 * inside a card transaction (p11_token_begin_locked .. _end_locked),
	 * where it lets the state lock go: memory-only calls never wait for
	 * the card. Whatever changes inside a transaction is atomic, or frees
	 * nothing and is not read from memory. Order: lock → state_lock →
	 * scan_lock → reg_lock.
	 */
	struct p11_fair *lock;
	void *state_lock;

	/* ctx->reg_lock */
	bool listed;           /* in the last scan */
	bool seen_present;     /* a card was in the reader at the last scan */
	uint32_t seen_counter; /* its event counter then */
	enum p11_token_kind kind;
	unsigned long token_seq; /* this insertion; 0 none */
	struct akis_atr_info atr;
	bool event; /* insertion/removal not yet reported (R14) */
	unsigned n_sessions, n_rw_sessions;

	/* slot lock (and state_lock to change, state_lock to read) */
	_Atomic bool mem_ok; /* the binding is complete: calls may answer from memory */
	struct akis_card *card;
	unsigned long bound_seq;  /* token_seq of the binding; 0 none */
	unsigned long failed_seq; /* token_seq of the failed binds counted below */
	int failed_binds;         /* card-side bind failures of that insertion */
	struct p11_objset objs;
	_Atomic bool user_in, so_in; /* token-wide login state (R17) */
	_Atomic bool consent_ok; /* context-specific VERIFY done since the last signature (R20) */
	/* R46: the VERIFY of C_Login(CKU_USER) not yet spent by a key with a
	 * PIN per signature: the card lets that key's next signature through
	 * without another (docs/card.md §3) */
	_Atomic bool login_grant;
	unsigned long consent_seq; /* number of the last context login; which session's
	                              signing operation holds it: p11_session.consent_seq */
	/* R46: the user's PIN kept for keys that want one per signature
	 * (pinkeep.h: any thread may wipe it, under the keep lock) */
	struct p11_keep *kept;
	struct p11_pin_state pin[2]; /* enum akis_pin_which */
};

/* Rescan readers (opening or re-opening the PC/SC context as needed, R3,
 * R35). No APDU. */
void p11_slots_refresh(struct p11_ctx *ctx);

/* Slot by ID (no lock taken), or NULL. Slot pointers stay valid until
 * C_Finalize. */
struct p11_slot *p11_slot_get(struct p11_ctx *ctx, CK_SLOT_ID id);

/* IDs for C_GetSlotList, slots with a token first (R8). */
CK_RV p11_slot_list(struct p11_ctx *ctx, bool token_present, CK_SLOT_ID_PTR list,
                    CK_ULONG_PTR count) P11_WUR;
CK_RV p11_slot_info(struct p11_ctx *ctx, struct p11_slot *slot, CK_SLOT_INFO *info) P11_WUR;

/* C_WaitForSlotEvent (R14, R15). */
CK_RV p11_slot_wait(struct p11_ctx *ctx, CK_FLAGS flags, CK_SLOT_ID_PTR slot) P11_WUR;
/* C_Finalize: wake every waiter. */
void p11_slot_cancel_waiters(struct p11_ctx *ctx);
/* C_Finalize: free the slot (its token closed first: p11_token_close_locked). */
void p11_slot_free(struct p11_ctx *ctx, struct p11_slot *slot);

/* Scan merge (separated for unit tests): apply one reader listing to the
 * slot table. `initial`: the first scan raises no event. Caller holds
 * scan_lock. */
void p11_slots_merge(struct p11_ctx *ctx, const struct akis_reader *r, size_t n, bool initial);

#endif
