/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cryptographic operations and object searches of a session (R26, R28,
 * R30, R31), slot locked and token bound. The software half lives in
 * mech.c; here: the operation's life in the session, the PKCS#11 output
 * rules around it (3.0 §5.2: a size query or CKR_BUFFER_TOO_SMALL sends
 * nothing and keeps the operation), and the card half in one transaction.
 */
#ifndef AKIS_PKCS11_OPS_H
#define AKIS_PKCS11_OPS_H

#include "p11.h"
#include "session.h"
#include "slot.h"

CK_RV p11_op_init_locked(struct p11_slot *slot, struct p11_session *s, enum p11_op_kind kind,
                         const CK_MECHANISM *mech, CK_OBJECT_HANDLE key) P11_WUR;
/* Multi-part update of sign, verify, digest, encrypt, decrypt. For
 * encrypt/decrypt *out_len is set to 0 (output comes at the final step). */
CK_RV p11_op_update_locked(struct p11_session *s, enum p11_op_kind kind, const CK_BYTE *data,
                           CK_ULONG len, CK_ULONG_PTR out_len) P11_WUR;

/* C_Sign (data != NULL or single) / C_SignFinal (final = true). */
CK_RV p11_sign_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                      const CK_BYTE *data, CK_ULONG len, bool final, CK_BYTE_PTR sig,
                      CK_ULONG_PTR sig_len) P11_WUR;
CK_RV p11_verify_locked(struct p11_session *s, const CK_BYTE *data, CK_ULONG len, bool final,
                        const CK_BYTE *sig, CK_ULONG sig_len) P11_WUR;
CK_RV p11_encrypt_locked(struct p11_session *s, const CK_BYTE *data, CK_ULONG len, bool final,
                         CK_BYTE_PTR out, CK_ULONG_PTR out_len) P11_WUR;
CK_RV p11_decrypt_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                         const CK_BYTE *data, CK_ULONG len, bool final, CK_BYTE_PTR out,
                         CK_ULONG_PTR out_len) P11_WUR;
CK_RV p11_digest_locked(struct p11_session *s, const CK_BYTE *data, CK_ULONG len, bool final,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len) P11_WUR;
CK_RV p11_random_locked(struct p11_ctx *ctx, struct p11_slot *slot, CK_BYTE_PTR out,
                        CK_ULONG len) P11_WUR;

CK_RV p11_find_init_locked(struct p11_slot *slot, struct p11_session *s, const CK_ATTRIBUTE *tmpl,
                           CK_ULONG n) P11_WUR;
CK_RV p11_find_locked(struct p11_session *s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                      CK_ULONG_PTR count) P11_WUR;
CK_RV p11_find_final_locked(struct p11_session *s) P11_WUR;

CK_RV p11_mech_list_locked(struct p11_slot *slot, CK_MECHANISM_TYPE_PTR list,
                           CK_ULONG_PTR count) P11_WUR;

#endif
