/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mechanisms (R27-R31): the per-profile mechanism table, and the software
 * half of every operation — hashing, DigestInfo, PSS encoding, OAEP/PKCS#1
 * unpadding, verification and encryption with public keys, digests — with
 * OpenSSL. The card half (akis_sign_tx / akis_decrypt_tx) is called by the
 * session code between p11_op_*_prepare and p11_op_*_finish, under the
 * slot lock and inside one transaction.
 *
 * Owned by pkcs11/mech.c (+ helpers); used by the session code in pkcs11/.
 */
#ifndef AKIS_PKCS11_MECH_H
#define AKIS_PKCS11_MECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../akis/akis.h"
#include "object.h"
#include "p11.h"

/* Mechanisms of this card, honest per profile (R27). Fills up to cap,
 * sets *n to the full count. */
void p11_mech_list(const struct akis_card *card, CK_MECHANISM_TYPE *out, size_t cap, size_t *n);
/* CKR_OK, or CKR_MECHANISM_INVALID when the card does not offer it. */
CK_RV p11_mech_info(const struct akis_card *card, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

enum p11_op_kind { P11_OP_SIGN, P11_OP_VERIFY, P11_OP_ENCRYPT, P11_OP_DECRYPT, P11_OP_DIGEST };

struct p11_op; /* opaque: mechanism, parameters, key facts, hash state, buffered data */

/*
 * Start an operation. key may be NULL only for P11_OP_DIGEST. Checks the
 * mechanism against the key (type, usage flags: CKR_KEY_FUNCTION_NOT_PERMITTED,
 * CKR_KEY_TYPE_INCONSISTENT), parameters (CKR_MECHANISM_PARAM_INVALID at
 * init, R30). Never touches the card.
 */
CK_RV p11_op_new(enum p11_op_kind kind, const struct akis_card *card, const struct p11_object *key,
                 const CK_MECHANISM *mech, struct p11_op **out);
void p11_op_free(struct p11_op *op);
enum p11_op_kind p11_op_kind(const struct p11_op *op);
/* Index of the card key (akis_card.keys) this operation uses, or -1. */
int p11_op_key(const struct p11_op *op);

/* Multi-part input (sign, verify, digest, and encrypt/decrypt update).
 * CKR_OPERATION_ACTIVE style errors are the caller's business. */
CK_RV p11_op_update(struct p11_op *op, const uint8_t *data, size_t len);

/* Exact (or, for decrypt, maximum) output size of the final step. */
CK_ULONG p11_op_out_len(const struct p11_op *op);

/*
 * Sign: compute what the card must sign. After this the op is "prepared"
 * (hash finalised); the caller sends it with akis_sign_tx(alg, block) and
 * passes the card's answer to p11_op_sign_finish. Only call once the
 * caller's buffer is known to be large enough (R30: a size query sends
 * nothing and leaves the op active).
 */
CK_RV p11_op_sign_prepare(struct p11_op *op, enum akis_sign_alg *alg, uint8_t *block, size_t cap,
                          size_t *block_len);
/* Card answer → PKCS#11 signature (RSA: as is; ECDSA: raw r‖s left-padded
 * to twice the order size, R29). */
CK_RV p11_op_sign_finish(struct p11_op *op, const uint8_t *card_out, size_t card_len,
                         CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);

/* Can the card's answer to this prepared signature be proved in software
 * (the key's public half is known, and the card signs the block as given
 * or pads it with PKCS#1 v1.5)? */
bool p11_op_sign_checkable(const struct p11_op *op);
/* CKR_OK when the card's answer verifies with the key's public half over
 * exactly the block the card was sent, else CKR_SIGNATURE_INVALID. */
CK_RV p11_op_sign_check(struct p11_op *op, const uint8_t *card_out, size_t card_len);

/* Verify in software: CKR_OK or CKR_SIGNATURE_INVALID / CKR_SIGNATURE_LEN_RANGE. */
CK_RV p11_op_verify_final(struct p11_op *op, const uint8_t *sig, size_t sig_len);
/* Encrypt in software with the public key (single-part final). */
CK_RV p11_op_encrypt_final(struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len);
/* Decrypt: the ciphertext gathered so far (for akis_decrypt_tx). */
CK_RV p11_op_decrypt_input(struct p11_op *op, const uint8_t **in, size_t *in_len);
/* Decrypt: raw RSA result from the card → unpadded plaintext (PKCS#1 v1.5
 * or OAEP), kept inside the op so that a too-small buffer can be retried
 * without a second card operation. */
CK_RV p11_op_decrypt_finish(struct p11_op *op, const uint8_t *raw, size_t raw_len, CK_BYTE_PTR out,
                            CK_ULONG_PTR out_len);
/* True once p11_op_decrypt_finish has the plaintext. */
bool p11_op_decrypt_done(const struct p11_op *op);
/* Digest final (software). */
CK_RV p11_op_digest_final(struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len);

#endif
