/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Login state and PIN operations (R17-R22), all with the slot locked and
 * the token bound. PINs are copied into a fixed stack buffer, checked on
 * the host before any APDU (akis_pin_check), wiped at the single exit; the
 * module never sends VERIFY on its own.
 */
#ifndef AKIS_PKCS11_LOGIN_H
#define AKIS_PKCS11_LOGIN_H

#include "p11.h"
#include "session.h"
#include "slot.h"

/* Longest PIN accepted at the interface (longer: CKR_PIN_LEN_RANGE). */
#define P11_PIN_MAX 64u

CK_RV p11_login_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
		       CK_USER_TYPE type, const CK_UTF8CHAR *pin, CK_ULONG len) P11_WUR;
CK_RV p11_logout_locked(struct p11_ctx *ctx, struct p11_slot *slot) P11_WUR;
CK_RV p11_set_pin_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
			 const CK_UTF8CHAR *old_pin, CK_ULONG old_len, const CK_UTF8CHAR *new_pin,
			 CK_ULONG new_len) P11_WUR;
CK_RV p11_init_pin_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
			  const CK_UTF8CHAR *pin, CK_ULONG len) P11_WUR;

#endif
