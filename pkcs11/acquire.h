/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How an entry point takes what it works on (docs/style.md "Shape"): a
 * slot by ID or a session by handle, with the slot locked (slot.h: its card
 * lock and state lock) and its token bound, and gives it back with
 * p11_release. Sessions of a token that has gone are closed here, on the
 * way in.
 */
#ifndef AKIS_PKCS11_ACQUIRE_H
#define AKIS_PKCS11_ACQUIRE_H

#include "ctx.h"
#include "p11.h"
#include "session.h"
#include "slot.h"

/*
 * Rescan, find the slot, lock it, bind its token when needed (closing the
 * sessions of an earlier token first). CKR_OK with the slot locked, else
 * CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED,
 * CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, CKR_HOST_MEMORY (unlocked).
 */
CK_RV p11_acquire_slot(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out) P11_WUR;
/*
 * The session and its slot, locked. CKR_SESSION_HANDLE_INVALID when the
 * handle is unknown or its token is gone (R32: then every session of that
 * token is closed and the binding dropped).
 */
CK_RV p11_acquire_session(struct p11_ctx *ctx, CK_SESSION_HANDLE h, struct p11_session **s,
                          struct p11_slot **slot) P11_WUR;
/* The slot locked as it is, for C_CloseAllSessions: no rescan, no bind.
 * CKR_SLOT_ID_INVALID. */
CK_RV p11_acquire_slot_any(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out) P11_WUR;
/* Give back what p11_acquire_slot, _slot_any or _session took. */
void p11_release(struct p11_ctx *ctx, struct p11_slot *slot);

/*
 * For the calls answered from memory (R10: C_GetTokenInfo,
 * C_GetSessionInfo, C_GetAttributeValue, C_FindObjects*, the software
 * operations): the same, with the slot's state lock only, never the card
 * lock, so that they do not wait behind a card operation (issue 14). A
 * token not bound yet, or gone, takes the card's way first (bind, or close
 * its sessions), then lets the card lock go. The caller may read the
 * binding and change only its own session's find state and software
 * operations. Give back with p11_release_mem.
 */
CK_RV p11_acquire_slot_mem(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out) P11_WUR;
CK_RV p11_acquire_session_mem(struct p11_ctx *ctx, CK_SESSION_HANDLE h, struct p11_session **s,
                              struct p11_slot **slot) P11_WUR;
void p11_release_mem(struct p11_ctx *ctx, struct p11_slot *slot);

#endif
