/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tokens (R9-R12, R17, R18, R22, R32, R33): the AKİS card in a slot, bound
 * on first use after its insertion (open the card, one transaction to bind
 * it and read its PIN counters, then the objects), its token information
 * from memory, its login state, and what a card result means for it.
 * Every function here wants the slot locked (_locked) or, for _tx, the
 * card's transaction too. Sessions are above this file: dropping a token's
 * sessions is the caller's (acquire.c).
 */
#ifndef AKIS_PKCS11_TOKEN_H
#define AKIS_PKCS11_TOKEN_H

#include <stdbool.h>

#include "../akis/akis.h"
#include "ctx.h"
#include "p11.h"
#include "slot.h"

/*
 * Bind the slot's current token if it is not bound yet. The slot must hold
 * no binding of an earlier token (p11_token_stale_locked). CKR_OK, else
 * CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED, CKR_DEVICE_REMOVED,
 * CKR_DEVICE_ERROR, CKR_HOST_MEMORY (nothing left bound).
 */
CK_RV p11_token_bind_locked(struct p11_ctx *ctx, struct p11_slot *slot) P11_WUR;
/* Does the slot hold the binding of a token that is no longer its current
 * one (removed, or another card since)? */
bool p11_token_stale_locked(struct p11_ctx *ctx, struct p11_slot *slot);
/* Is the binding current (token_seq unchanged since the bind)? */
bool p11_token_bound_locked(struct p11_ctx *ctx, struct p11_slot *slot);
/* Drop the binding: card, objects, login state. The token's sessions must
 * be closed first (p11_session_close_all_locked). */
void p11_token_unbind_locked(struct p11_ctx *ctx, struct p11_slot *slot);
/* C_Finalize: LOGOUT when the card may hold a PIN of ours (R22), wipe the
 * kept PIN (R46), free the binding. */
void p11_token_close_locked(struct p11_ctx *ctx, struct p11_slot *slot);

CK_RV p11_token_info_locked(struct p11_ctx *ctx, struct p11_slot *slot,
                            CK_TOKEN_INFO *info) P11_WUR;

/* The slot's state lock (slot.h): taken after the card lock by acquire.c,
 * let go for the length of a card transaction. A slot without one (made by
 * a unit test) is left alone. */
void p11_token_state_lock(struct p11_ctx *ctx, struct p11_slot *slot);
void p11_token_state_unlock(struct p11_ctx *ctx, struct p11_slot *slot);

/*
 * akis_begin with its consequences: a reset seen there marks the token
 * logged out (R33). On failure returns the CK_RV (slot updated as by
 * p11_token_card_rv_locked).
 */
CK_RV p11_token_begin_locked(struct p11_ctx *ctx, struct p11_slot *slot) P11_WUR;
/* akis_end, and the state lock taken back. */
void p11_token_end_locked(struct p11_ctx *ctx, struct p11_slot *slot);
/* Translate a card result and apply it to the slot: removal → token gone
 * (R32), reset → logged out (R33). */
CK_RV p11_token_card_rv_locked(struct p11_ctx *ctx, struct p11_slot *slot, akis_rv rv) P11_WUR;
/* Read a PIN's tries without spending one (R18) into slot->pin[which]; _tx.
 * An answer not understood keeps what was known (AKIS_OK); the card or
 * pcscd gone is returned for the caller to report (R32). */
akis_rv p11_token_pin_status_tx(struct p11_slot *slot, enum akis_pin_which which) P11_WUR;
/* Does the card perhaps hold a PIN or PUK verified by us (a login, or a
 * PIN command whose answer left it open)? Then it needs a LOGOUT (R22). */
bool p11_token_dirty_locked(const struct p11_slot *slot);
/* Mark logged out (reset seen, logout): wipes the kept PIN (R46). */
void p11_token_logged_out_locked(struct p11_slot *slot);

#endif
