/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry points: sign, verify, encrypt, decrypt, digest, random (R20,
 * R27-R31). Each: check arguments → acquire the session (slot locked) →
 * one call into ops.c → release.
 */
#include "entry.h"
#include "acquire.h"
#include "ops.h"
#include "session.h"

/* Every operation entry point has this shape; what differs is the call. */
enum call_kind { CALL_INIT, CALL_UPDATE, CALL_DO, CALL_FINAL };

struct call {
	enum call_kind call;
	enum p11_op_kind op;
	const CK_MECHANISM *mech;
	CK_OBJECT_HANDLE key;
	const CK_BYTE *in;
	CK_ULONG in_len;
	CK_BYTE_PTR out;
	CK_ULONG_PTR out_len;
	const CK_BYTE *sig; /* verify */
	CK_ULONG sig_len;
};

static CK_RV run_final(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                       const struct call *c)
{
	bool final = c->call == CALL_FINAL;

	switch (c->op) {
	case P11_OP_SIGN:
		return p11_sign_locked(ctx, slot, s, c->in, c->in_len, final, c->out, c->out_len);
	case P11_OP_VERIFY:
		return p11_verify_locked(s, c->in, c->in_len, final, c->sig, c->sig_len);
	case P11_OP_ENCRYPT:
		return p11_encrypt_locked(s, c->in, c->in_len, final, c->out, c->out_len);
	case P11_OP_DECRYPT:
		return p11_decrypt_locked(ctx, slot, s, c->in, c->in_len, final, c->out,
		                          c->out_len);
	case P11_OP_DIGEST:
		return p11_digest_locked(s, c->in, c->in_len, final, c->out, c->out_len);
	}
	return CKR_GENERAL_ERROR;
}

/* Verify, encrypt and digest are done in software with the public key:
 * answered from memory, they never wait for the card (issue 14). */
static bool from_memory(enum p11_op_kind op)
{
	return op == P11_OP_VERIFY || op == P11_OP_ENCRYPT || op == P11_OP_DIGEST;
}

static CK_RV acquire(struct p11_ctx *ctx, CK_SESSION_HANDLE h, enum p11_op_kind op,
                     struct p11_session **s, struct p11_slot **slot)
{
	return from_memory(op) ? p11_acquire_session_mem(ctx, h, s, slot)
	                       : p11_acquire_session(ctx, h, s, slot);
}

static void release(struct p11_ctx *ctx, enum p11_op_kind op, struct p11_slot *slot)
{
	if (from_memory(op))
		p11_release_mem(ctx, slot);
	else
		p11_release(ctx, slot);
}

static CK_RV run(CK_SESSION_HANDLE h, const struct call *c)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = acquire(ctx, h, c->op, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	if (c->call == CALL_INIT)
		rv = p11_op_init_locked(slot, s, c->op, c->mech, c->key);
	else if (c->call == CALL_UPDATE)
		rv = p11_op_update_locked(s, c->op, c->in, c->in_len, c->out_len);
	else
		rv = run_final(ctx, slot, s, c);
	release(ctx, c->op, slot);
out:
	p11_leave();
	return rv;
}

/*
 * Bad arguments to a call that ends its operation on any error (PKCS#11
 * 3.0 §5.2, §5.13, R20: only a size query and CKR_BUFFER_TOO_SMALL keep
 * it): the operation ends, if the session is valid, and the answer is
 * CKR_ARGUMENTS_BAD.
 */
static CK_RV run_bad(CK_SESSION_HANDLE h, const struct call *c)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (acquire(ctx, h, c->op, &s, &slot) == CKR_OK) {
		p11_session_end_op(s, c->op);
		release(ctx, c->op, slot);
	}
	p11_leave();
	return CKR_ARGUMENTS_BAD;
}

/* Argument checks that need no state (R39), then run. */
static CK_RV run_checked(CK_SESSION_HANDLE h, const struct call *c)
{
	bool bad = false;

	/* CALL_INIT with a NULL mechanism: p11_op_init_locked (a cancel) */
	if (c->call == CALL_UPDATE || c->call == CALL_DO)
		bad = c->in == NULL && c->in_len != 0;
	if (c->op == P11_OP_VERIFY && c->call != CALL_INIT && c->call != CALL_UPDATE)
		bad = bad || (c->sig == NULL && c->sig_len != 0);
	else if (c->call == CALL_DO || c->call == CALL_FINAL ||
	         (c->call == CALL_UPDATE && (c->op == P11_OP_ENCRYPT || c->op == P11_OP_DECRYPT)))
		bad = bad || c->out_len == NULL;
	return bad ? run_bad(h, c) : run(h, c);
}

static CK_RV op_init(CK_SESSION_HANDLE h, enum p11_op_kind op, CK_MECHANISM_PTR m,
                     CK_OBJECT_HANDLE key)
{
	struct call c = {CALL_INIT, op, m, key, NULL, 0, NULL, NULL, NULL, 0};

	return run_checked(h, &c);
}

static CK_RV op_update(CK_SESSION_HANDLE h, enum p11_op_kind op, const CK_BYTE *in, CK_ULONG in_len,
                       CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	struct call c = {CALL_UPDATE, op, NULL, 0, in, in_len, out, out_len, NULL, 0};

	return run_checked(h, &c);
}

static CK_RV op_do(CK_SESSION_HANDLE h, enum p11_op_kind op, const CK_BYTE *in, CK_ULONG in_len,
                   CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	struct call c = {CALL_DO, op, NULL, 0, in, in_len, out, out_len, NULL, 0};

	return run_checked(h, &c);
}

static CK_RV op_final(CK_SESSION_HANDLE h, enum p11_op_kind op, CK_BYTE_PTR out,
                      CK_ULONG_PTR out_len)
{
	struct call c = {CALL_FINAL, op, NULL, 0, NULL, 0, out, out_len, NULL, 0};

	return run_checked(h, &c);
}

P11_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, P11_OP_SIGN, m, key);
}

P11_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                        CK_ULONG_PTR sig_len)
{
	return op_do(h, P11_OP_SIGN, data, len, sig, sig_len);
}

P11_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	return op_update(h, P11_OP_SIGN, part, len, NULL, NULL);
}

P11_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	return op_final(h, P11_OP_SIGN, sig, sig_len);
}

P11_EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, P11_OP_VERIFY, m, key);
}

P11_EXPORT CK_RV C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                          CK_ULONG sig_len)
{
	struct call c = {CALL_DO, P11_OP_VERIFY, NULL, 0, data, len, NULL, NULL, sig, sig_len};

	return run_checked(h, &c);
}

P11_EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	return op_update(h, P11_OP_VERIFY, part, len, NULL, NULL);
}

P11_EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	struct call c = {CALL_FINAL, P11_OP_VERIFY, NULL, 0, NULL, 0, NULL, NULL, sig, sig_len};

	return run_checked(h, &c);
}

P11_EXPORT CK_RV C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, P11_OP_ENCRYPT, m, key);
}

P11_EXPORT CK_RV C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR out,
                           CK_ULONG_PTR out_len)
{
	return op_do(h, P11_OP_ENCRYPT, data, len, out, out_len);
}

P11_EXPORT CK_RV C_EncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return op_update(h, P11_OP_ENCRYPT, part, len, out, out_len);
}

P11_EXPORT CK_RV C_EncryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return op_final(h, P11_OP_ENCRYPT, out, out_len);
}

P11_EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, P11_OP_DECRYPT, m, key);
}

P11_EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out,
                           CK_ULONG_PTR out_len)
{
	return op_do(h, P11_OP_DECRYPT, in, len, out, out_len);
}

P11_EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return op_update(h, P11_OP_DECRYPT, part, len, out, out_len);
}

P11_EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return op_final(h, P11_OP_DECRYPT, out, out_len);
}

P11_EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	return op_init(h, P11_OP_DIGEST, m, CK_INVALID_HANDLE);
}

P11_EXPORT CK_RV C_Digest(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR out,
                          CK_ULONG_PTR out_len)
{
	return op_do(h, P11_OP_DIGEST, data, len, out, out_len);
}

P11_EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	return op_update(h, P11_OP_DIGEST, part, len, NULL, NULL);
}

P11_EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return op_final(h, P11_OP_DIGEST, out, out_len);
}

P11_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (out == NULL && len != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session(ctx, h, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_random_locked(ctx, slot, out, len); /* GET CHALLENGE (R31) */
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (seed == NULL && len != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session(ctx, h, &s, &slot);
	if (rv == CKR_OK) {
		p11_release(ctx, slot);
		/* CKF_RNG: the card's GET CHALLENGE takes no seed (PKCS#11 3.0 §5.15) */
		rv = CKR_RANDOM_SEED_NOT_SUPPORTED;
	}
out:
	p11_leave();
	return rv;
}
