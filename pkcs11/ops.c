/* SPDX-License-Identifier: BSD-3-Clause */
#include "ops.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "../log/log.h"
#include "login.h"
#include "out.h"
#include "token.h"

/* Largest card block or answer: RSA-4096 (512 bytes), with room. */
#define P11_CARD_BLOCK_MAX 1024u
#define P11_MECHS_MAX      128u

CK_RV p11_op_init_locked(struct p11_slot *slot, struct p11_session *s, enum p11_op_kind kind,
                         const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	const struct p11_object *obj = NULL;

	/* PKCS#11 3.0 §5.8-5.12: *Init with pMechanism NULL_PTR terminates the
	 * active operation; with none active it is a bad argument (R39) */
	if (mech == NULL) {
		if (s->op[kind] == NULL)
			return CKR_ARGUMENTS_BAD;
		p11_session_end_op(s, kind);
		return CKR_OK;
	}
	if (s->op[kind] != NULL)
		return CKR_OPERATION_ACTIVE;
	if (kind != P11_OP_DIGEST) {
		obj = p11_objects_find_handle(&slot->objs, key);
		if (obj == NULL)
			return CKR_KEY_HANDLE_INVALID;
		if (obj->is_private && !slot->user_in)
			return CKR_USER_NOT_LOGGED_IN;
	}
	return p11_op_new(kind, slot->card, obj, mech, &s->op[kind]);
}

CK_RV p11_op_update_locked(struct p11_session *s, enum p11_op_kind kind, const CK_BYTE *data,
                           CK_ULONG len, CK_ULONG_PTR out_len)
{
	CK_RV rv;

	if (s->op[kind] == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	rv = p11_op_update(s->op[kind], data, len);
	if (rv != CKR_OK)
		p11_session_end_op(s, kind);
	else if (out_len != NULL)
		*out_len = 0;
	return rv;
}

/* PKCS#11 3.0 §5.2 before any work: NULL → size, too small → size and
 * CKR_BUFFER_TOO_SMALL; both keep the operation. *done is set then. */
static CK_RV size_rule(const struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len, bool *done)
{
	CK_ULONG need = p11_op_out_len(op);

	*done = true;
	if (out == NULL) {
		*out_len = need;
		return CKR_OK;
	}
	if (*out_len < need) {
		*out_len = need;
		return CKR_BUFFER_TOO_SMALL;
	}
	*done = false;
	return CKR_OK;
}

static bool key_needs_consent(const struct p11_slot *slot, const struct p11_op *op)
{
	int k = p11_op_key(op);

	return k >= 0 && (size_t)k < slot->card->n_keys && slot->card->keys[k].user_consent;
}

/*
 * The card refused a private-key operation with 6982 (security status not
 * satisfied). True when only the per-signature permission is gone.
 * Its security state is shared by every application: another one's LOGOUT
 * (R22) or signature with the userConsent key may have cleared it. A status
 * VERIFY (docs/card.md §3: never spends a try) tells which: the user PIN
 * still verified → only the per-signature permission is gone; otherwise
 * the token is logged out for us too (R17), so that C_Login(CKU_USER)
 * works again instead of answering CKR_USER_ALREADY_LOGGED_IN.
 */
static bool card_refused_tx(struct p11_slot *slot, bool consent)
{
	struct akis_pin_status st = {false, false, -1};

	slot->consent_ok = false;
	slot->login_grant = false;
	if (consent && akis_pin_status_tx(slot->card, AKIS_PIN_USER, &st) == AKIS_OK && st.verified)
		return true;
	log_msg(LOG_P11, "slot %lu: the card's PIN state was cleared elsewhere: logged out",
	        (unsigned long)slot->id);
	/* and cleared for sure (R22): were the PIN still verified for some
	 * other reason, closing the last session would no longer send LOGOUT */
	if (akis_logout_tx(slot->card) != AKIS_OK)
		log_msg(LOG_P11, "slot %lu: LOGOUT failed", (unsigned long)slot->id);
	p11_token_logged_out_locked(slot);
	return false;
}

/* Did the card answer, rather than the link to it fail? */
static bool card_answered(akis_rv arv)
{
	return arv != AKIS_ERR_NO_SERVICE && arv != AKIS_ERR_REMOVED && arv != AKIS_ERR_RESET &&
	       arv != AKIS_ERR_SHARING && arv != AKIS_ERR_COMM && arv != AKIS_ERR_TIMEOUT &&
	       arv != AKIS_ERR_ARGS && arv != AKIS_ERR_BUFFER && arv != AKIS_ERR_NO_MEMORY;
}

/*
 * MSE + PSO inside the signature's transaction (docs/design.md "The
 * signature without a SELECT"). When the answer can be proved with the
 * key's public half, the first try goes to whatever DF is current — the
 * application DF unless another program selected something else since our
 * last transaction — and only a refusal or an answer that does not verify
 * costs the SELECT and a second try. An answer that still does not verify
 * never leaves the module.
 */
static akis_rv card_sign_tx(struct p11_slot *slot, struct p11_op *op, enum akis_sign_alg alg,
                            const uint8_t *block, size_t block_len, uint8_t *out, size_t cap,
                            size_t *out_len)
{
	size_t key = (size_t)p11_op_key(op);
	akis_rv arv;

	if (!p11_op_sign_checkable(op))
		return akis_sign_tx(slot->card, key, alg, block, block_len, out, cap, out_len);
	arv = akis_sign_here_tx(slot->card, key, alg, block, block_len, out, cap, out_len);
	if (arv == AKIS_OK && p11_op_sign_check(op, out, *out_len) == CKR_OK)
		return AKIS_OK;
	if (arv != AKIS_OK && !card_answered(arv))
		return arv;
	bool wrong = arv == AKIS_OK; /* the card signed, but not what it should have */
	log_msg(LOG_P11, "slot %lu: signature in the current DF %s: selecting the application",
	        (unsigned long)slot->id, wrong ? "does not verify" : akis_rv_name(arv));
	arv = akis_sign_tx(slot->card, key, alg, block, block_len, out, cap, out_len);
	/* A wrong signature is a card fault: it is never returned. A key with a
	 * PIN per signature refusing the second try after a wrong first one
	 * lost its permission to that first PSO: the fault, not a logout. */
	if ((arv == AKIS_OK && p11_op_sign_check(op, out, *out_len) != CKR_OK) ||
	    (wrong && arv == AKIS_ERR_NOT_LOGGED_IN && key_needs_consent(slot, op))) {
		log_msg(LOG_P11,
		        "slot %lu: the card's signature does not verify with the key's "
		        "public half: not returned",
		        (unsigned long)slot->id);
		arv = AKIS_ERR_CARD_DATA;
	}
	return arv;
}

/* The card half of a signature: prepare, one transaction, finish.
 * reverify (R46): VERIFY with the kept PIN first, in the same transaction,
 * unless the login's own VERIFY is still unspent (granted); a refusal
 * then (another program's signature or wrong VERIFY took the permission,
 * docs/card.md §3) costs the VERIFY and a second try, as without it. */
static CK_RV sign_card_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_op *op,
                              bool reverify, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	uint8_t block[P11_CARD_BLOCK_MAX], out[P11_CARD_BLOCK_MAX];
	size_t block_len = 0, out_len = 0;
	enum akis_sign_alg alg;
	akis_rv arv;
	bool granted = false, consent = key_needs_consent(slot, op);
	CK_RV rv = p11_op_sign_prepare(op, &alg, block, sizeof(block), &block_len);

	if (rv != CKR_OK)
		return rv;
	rv = p11_token_begin_locked(ctx, slot);
	if (rv != CKR_OK)
		return rv;
	if (!slot->user_in) {
		p11_token_end_locked(ctx, slot); /* reset seen now (R33) */
		return CKR_USER_NOT_LOGGED_IN;
	}
	rv = reverify ? p11_login_reverify_tx(ctx, slot, &granted) : CKR_OK;
	if (rv != CKR_OK) {
		p11_token_end_locked(ctx, slot);
		return rv;
	}
	arv = card_sign_tx(slot, op, alg, block, block_len, out, sizeof(out), &out_len);
	if (arv == AKIS_ERR_NOT_LOGGED_IN && card_refused_tx(slot, consent) && granted) {
		log_msg(LOG_PIN, "slot %lu: the login's VERIFY was spent elsewhere: VERIFY again",
		        (unsigned long)slot->id);
		rv = p11_login_reverify_again_tx(ctx, slot);
		if (rv != CKR_OK) {
			p11_token_end_locked(ctx, slot);
			return rv;
		}
		arv = card_sign_tx(slot, op, alg, block, block_len, out, sizeof(out), &out_len);
		if (arv == AKIS_ERR_NOT_LOGGED_IN)
			(void)card_refused_tx(slot, consent);
	}
	p11_token_end_locked(ctx, slot);
	if (consent)
		slot->consent_ok = false; /* one signature per VERIFY (docs/card.md §3) */
	/* the login's VERIFY covers a first signature only if nothing else was
	 * signed in between (the card asks less; docs/design.md) */
	slot->login_grant = false;
	rv = p11_token_card_rv_locked(ctx, slot, arv);
	if (rv == CKR_OK)
		rv = p11_op_sign_finish(op, out, out_len, sig, sig_len);
	return rv;
}

/*
 * R20: a key that needs a PIN per signature signs only for the session
 * whose signing operation made the context login (consent_take_locked in
 * login.c), and only once per VERIFY (consent_ok, cleared by the
 * signature). Another session of this process gets no PSO on that
 * VERIFY; between processes only the card decides.
 */
static bool consent_missing(const struct p11_slot *slot, const struct p11_session *s,
                            const struct p11_op *op)
{
	if (!key_needs_consent(slot, op))
		return false;
	return !slot->consent_ok || s->consent_seq == 0 || s->consent_seq != slot->consent_seq;
}

/*
 * C_Sign / C_SignFinal (PKCS#11 3.0 §5.13, R20): only a size query and
 * CKR_BUFFER_TOO_SMALL (size_rule, before any work) keep the operation;
 * every other answer ends it, a refusal for want of a context login
 * included, so that the session can go on with C_SignInit.
 */
CK_RV p11_sign_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                      const CK_BYTE *data, CK_ULONG len, bool final, CK_BYTE_PTR sig,
                      CK_ULONG_PTR sig_len)
{
	struct p11_op *op = s->op[P11_OP_SIGN];
	bool done, reverify;
	CK_RV rv;

	if (op == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	rv = size_rule(op, sig, sig_len, &done);
	if (done)
		return rv;
	/* R46: without this session's context login, the PIN kept at login
	 * (pin_per_signature = login) is sent again in the signature's
	 * transaction */
	reverify = slot->user_in && consent_missing(slot, s, op) && p11_keep_held(&slot->kept);
	if (!slot->user_in || (consent_missing(slot, s, op) && !reverify))
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK && !final)
		rv = p11_op_update(op, data, len);
	if (rv == CKR_OK)
		rv = sign_card_locked(ctx, slot, op, reverify, sig, sig_len);
	p11_session_end_op(s, P11_OP_SIGN);
	return rv;
}

CK_RV p11_verify_locked(struct p11_session *s, const CK_BYTE *data, CK_ULONG len, bool final,
                        const CK_BYTE *sig, CK_ULONG sig_len)
{
	struct p11_op *op = s->op[P11_OP_VERIFY];
	CK_RV rv = CKR_OK;

	if (op == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!final)
		rv = p11_op_update(op, data, len);
	if (rv == CKR_OK)
		rv = p11_op_verify_final(op, sig, sig_len);
	p11_session_end_op(s, P11_OP_VERIFY);
	return rv;
}

/* The software-only operations (encrypt with a public key, digest): §5.2
 * size rule, the last part, the result; CKR_BUFFER_TOO_SMALL keeps the
 * operation. */
static CK_RV soft_final_locked(struct p11_session *s, enum p11_op_kind kind,
                               CK_RV (*finish)(struct p11_op *, CK_BYTE_PTR, CK_ULONG_PTR),
                               const CK_BYTE *data, CK_ULONG len, bool final, CK_BYTE_PTR out,
                               CK_ULONG_PTR out_len)
{
	struct p11_op *op = s->op[kind];
	bool done;
	CK_RV rv;

	if (op == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	rv = size_rule(op, out, out_len, &done);
	if (done)
		return rv;
	if (!final)
		rv = p11_op_update(op, data, len);
	if (rv == CKR_OK)
		rv = finish(op, out, out_len);
	if (rv != CKR_BUFFER_TOO_SMALL)
		p11_session_end_op(s, kind);
	return rv;
}

CK_RV p11_encrypt_locked(struct p11_session *s, const CK_BYTE *data, CK_ULONG len, bool final,
                         CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return soft_final_locked(s, P11_OP_ENCRYPT, p11_op_encrypt_final, data, len, final, out,
	                         out_len);
}

static CK_RV decrypt_card_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_op *op,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	uint8_t raw[P11_CARD_BLOCK_MAX];
	const uint8_t *in = NULL;
	size_t in_len = 0, raw_len = 0;
	akis_rv arv;
	CK_RV rv = p11_op_decrypt_input(op, &in, &in_len);

	if (rv == CKR_OK)
		rv = p11_token_begin_locked(ctx, slot);
	if (rv != CKR_OK)
		return rv;
	if (!slot->user_in) {
		p11_token_end_locked(ctx, slot);
		return CKR_USER_NOT_LOGGED_IN;
	}
	/* R46: a deciphering key with a PIN per use, the PIN kept at login */
	if (key_needs_consent(slot, op) && !slot->consent_ok && p11_keep_held(&slot->kept))
		rv = p11_login_reverify_tx(ctx, slot, NULL);
	if (rv != CKR_OK) {
		p11_token_end_locked(ctx, slot);
		return rv;
	}
	arv = akis_decrypt_tx(slot->card, (size_t)p11_op_key(op), in, in_len, raw, sizeof(raw),
	                      &raw_len);
	slot->login_grant = false; /* as after a signature */
	if (arv == AKIS_ERR_NOT_LOGGED_IN)
		(void)card_refused_tx(slot, false);
	p11_token_end_locked(ctx, slot);
	rv = p11_token_card_rv_locked(ctx, slot, arv);
	if (rv == CKR_OK)
		rv = p11_op_decrypt_finish(op, raw, raw_len, out, out_len);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rv;
}

CK_RV p11_decrypt_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                         const CK_BYTE *data, CK_ULONG len, bool final, CK_BYTE_PTR out,
                         CK_ULONG_PTR out_len)
{
	struct p11_op *op = s->op[P11_OP_DECRYPT];
	CK_RV rv = CKR_OK;

	if (op == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (p11_op_decrypt_done(op)) {
		/* the plaintext is kept: a retry with a larger buffer (§5.2) */
		rv = p11_op_decrypt_finish(op, NULL, 0, out, out_len);
	} else if (out == NULL) {
		*out_len = p11_op_out_len(op); /* upper bound, nothing sent */
		return CKR_OK;
	} else if (*out_len < p11_op_out_len(op)) {
		/* R30: CKR_BUFFER_TOO_SMALL sends nothing to the card and keeps
		 * the operation; the plaintext's length is known only after the
		 * card's answer, so a buffer below the bound is too small */
		*out_len = p11_op_out_len(op);
		return CKR_BUFFER_TOO_SMALL;
	} else {
		rv = slot->user_in ? CKR_OK : CKR_USER_NOT_LOGGED_IN;
		if (rv == CKR_OK && !final)
			rv = p11_op_update(op, data, len);
		if (rv == CKR_OK)
			rv = decrypt_card_locked(ctx, slot, op, out, out_len);
	}
	if (rv != CKR_BUFFER_TOO_SMALL && !(rv == CKR_OK && out == NULL))
		p11_session_end_op(s, P11_OP_DECRYPT);
	return rv;
}

CK_RV p11_digest_locked(struct p11_session *s, const CK_BYTE *data, CK_ULONG len, bool final,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return soft_final_locked(s, P11_OP_DIGEST, p11_op_digest_final, data, len, final, out,
	                         out_len);
}

CK_RV p11_random_locked(struct p11_ctx *ctx, struct p11_slot *slot, CK_BYTE_PTR out, CK_ULONG len)
{
	akis_rv arv;
	CK_RV rv;

	if (len == 0)
		return CKR_OK;
	rv = p11_token_begin_locked(ctx, slot);
	if (rv != CKR_OK)
		return rv;
	arv = akis_random_tx(slot->card, out, len);
	p11_token_end_locked(ctx, slot);
	return p11_token_card_rv_locked(ctx, slot, arv);
}

CK_RV p11_find_init_locked(struct p11_slot *slot, struct p11_session *s, const CK_ATTRIBUTE *tmpl,
                           CK_ULONG n)
{
	const struct p11_object *o;
	size_t i;

	if (s->finding)
		return CKR_OPERATION_ACTIVE;
	s->found = calloc(slot->objs.n ? slot->objs.n : 1, sizeof(*s->found));
	if (s->found == NULL)
		return CKR_HOST_MEMORY;
	s->n_found = s->pos = 0;
	for (i = 0; i < slot->objs.n; i++) {
		o = &slot->objs.objs[i];
		if (o->is_private && !slot->user_in)
			continue; /* private objects only when logged in */
		if (p11_object_match(o, tmpl, n))
			s->found[s->n_found++] = o->handle;
	}
	s->finding = true;
	return CKR_OK;
}

CK_RV p11_find_locked(struct p11_session *s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                      CK_ULONG_PTR count)
{
	CK_ULONG n = 0;

	if (!s->finding)
		return CKR_OPERATION_NOT_INITIALIZED;
	while (n < max && s->pos < s->n_found)
		out[n++] = s->found[s->pos++];
	*count = n;
	return CKR_OK;
}

CK_RV p11_find_final_locked(struct p11_session *s)
{
	if (!s->finding)
		return CKR_OPERATION_NOT_INITIALIZED;
	free(s->found);
	s->found = NULL;
	s->n_found = s->pos = 0;
	s->finding = false;
	return CKR_OK;
}

CK_RV p11_mech_list_locked(struct p11_slot *slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_MECHANISM_TYPE m[P11_MECHS_MAX];
	size_t n = 0;

	p11_mech_list(slot->card, m, P11_MECHS_MAX, &n);
	if (n > P11_MECHS_MAX)
		n = P11_MECHS_MAX;
	return p11_out_array(list, count, m, n, sizeof(m[0]));
}
