/* SPDX-License-Identifier: BSD-3-Clause */
/* Entry points: sessions and login (R17-R22). */
#include "entry.h"
#include "acquire.h"
#include "token.h"
#include "login.h"
#include "ops.h"
#include "session.h"

P11_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
                               CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	struct p11_ctx *ctx;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	(void)pApplication;
	(void)Notify; /* no callbacks: PKCS#11 allows not calling them */
	if (rv != CKR_OK)
		return rv;
	if (phSession == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	rv = p11_acquire_slot(ctx, slotID, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_session_open_locked(ctx, slot, flags, phSession);
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	p11_session_close_locked(ctx, slot, s); /* the last one logs out (R22) */
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	struct p11_ctx *ctx;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_slot_any(ctx, slotID, &slot);
	if (rv != CKR_OK)
		goto out;
	p11_session_close_all_locked(ctx, slot, p11_token_bound_locked(ctx, slot));
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	p11_session_info_locked(slot, s, pInfo); /* from memory (R10) */
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                         CK_ULONG ulPinLen)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_login_locked(ctx, slot, s, userType, pPin, ulPinLen);
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                             CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername,
                             CK_ULONG ulUsernameLen)
{
	struct p11_ctx *ctx;
	CK_RV rv;

	/* no user name: C_Login; a name (or a NULL one with a length, R39) is
	 * a bad argument either way */
	(void)pUsername;
	if (ulUsernameLen == 0)
		return C_Login(hSession, userType, pPin, ulPinLen);
	rv = p11_enter(&ctx);
	if (rv != CKR_OK)
		return rv;
	p11_leave();
	return CKR_ARGUMENTS_BAD; /* PKCS#11 3.0 §5.6.9: the card has no user names */
}

P11_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_logout_locked(ctx, slot);
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_init_pin_locked(ctx, slot, s, pPin, ulPinLen);
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
                          CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_set_pin_locked(ctx, slot, s, pOldPin, ulOldLen, pNewPin, ulNewLen);
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}

/* PKCS#11 3.0 §5.6.3: flags name the operations to end. */
static const struct {
	CK_FLAGS flag;
	int kind; /* enum p11_op_kind, -1 = find */
} cancel_table[] = {
        {CKF_SIGN, P11_OP_SIGN},       {CKF_VERIFY, P11_OP_VERIFY}, {CKF_ENCRYPT, P11_OP_ENCRYPT},
        {CKF_DECRYPT, P11_OP_DECRYPT}, {CKF_DIGEST, P11_OP_DIGEST}, {CKF_FIND_OBJECTS, -1},
};

P11_EXPORT CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	size_t i;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	for (i = 0; i < sizeof(cancel_table) / sizeof(cancel_table[0]); i++) {
		if (!(flags & cancel_table[i].flag))
			continue;
		if (cancel_table[i].kind >= 0)
			p11_session_end_op(s, (enum p11_op_kind)cancel_table[i].kind);
		else if (s->finding)
			rv = p11_find_final_locked(s);
	}
	p11_release(ctx, slot);
out:
	p11_leave();
	return rv;
}
