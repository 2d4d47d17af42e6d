/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Login state and PIN operations (R17-R22), all with the slot locked and
 * the token bound. PINs are copied into a fixed stack buffer, checked on
 * the host before any APDU (akis_pin_check), wiped at the single exit; the
 * module never sends VERIFY on its own, but for the one configured
 * exception of R46 (p11_login_reverify_tx).
 */
#ifndef AKIS_PKCS11_LOGIN_H
#define AKIS_PKCS11_LOGIN_H

#include "p11.h"
#include "session.h"
#include "slot.h"

/* Longest PIN accepted at the interface (longer: CKR_PIN_LEN_RANGE). */
#define P11_PIN_MAX AKIS_PIN_MAX

CK_RV p11_login_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                       CK_USER_TYPE type, const CK_UTF8CHAR *pin, CK_ULONG len) P11_WUR;
CK_RV p11_logout_locked(struct p11_ctx *ctx, struct p11_slot *slot) P11_WUR;
CK_RV p11_set_pin_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                         const CK_UTF8CHAR *old_pin, CK_ULONG old_len, const CK_UTF8CHAR *new_pin,
                         CK_ULONG new_len) P11_WUR;
/*
 * R46 (pin_per_signature = login), inside the transaction of an operation
 * with a key that wants a PIN per signature: VERIFY with the PIN kept at
 * C_Login(CKU_USER). CKR_OK when the card accepted it. When granted is not
 * NULL and the login's own VERIFY is still unspent (slot->login_grant), no
 * VERIFY is sent: *granted becomes true and the caller, should the card
 * refuse the signature all the same (the permission taken by another
 * program, docs/card.md §3), calls p11_login_reverify_again_tx. The
 * bounds count either way. No PIN kept →
 * CKR_USER_NOT_LOGGED_IN (R20); a bound reached (signatures, idle time) →
 * the token is logged out, CKR_USER_NOT_LOGGED_IN. Any answer but success
 * wipes the PIN, logs the token out and is returned (CKR_PIN_INCORRECT,
 * CKR_PIN_LOCKED, …): the module never tries it again.
 */
CK_RV p11_login_reverify_tx(struct p11_ctx *ctx, struct p11_slot *slot, bool *granted) P11_WUR;
/* The same signature's second try, after a granted first one was refused:
 * VERIFY with the kept PIN as above, but the try is not counted against
 * the bounds again (the first one counted). */
CK_RV p11_login_reverify_again_tx(struct p11_ctx *ctx, struct p11_slot *slot) P11_WUR;
CK_RV p11_init_pin_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                          const CK_UTF8CHAR *pin, CK_ULONG len) P11_WUR;

#endif
