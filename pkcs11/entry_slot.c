/* SPDX-License-Identifier: BSD-3-Clause */
/* Entry points: slots, tokens, mechanisms, events (R3, R7-R12, R14, R15). */
#include "../log/log.h"
#include "ops.h"
#include "acquire.h"
#include "token.h"
#include "slot.h"

P11_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                               CK_ULONG_PTR pulCount)
{
	struct p11_ctx *ctx;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = pulCount == NULL ? CKR_ARGUMENTS_BAD
	                      : p11_slot_list(ctx, tokenPresent != CK_FALSE, pSlotList, pulCount);
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	struct p11_ctx *ctx;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_slots_refresh(ctx); /* Firefox polls this to see insertions */
	slot = p11_slot_get(ctx, slotID);
	rv = slot == NULL ? CKR_SLOT_ID_INVALID : p11_slot_info(ctx, slot, pInfo);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	struct p11_ctx *ctx;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_slot_mem(ctx, slotID, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_token_info_locked(ctx, slot, pInfo); /* from memory (R10) */
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                                    CK_ULONG_PTR pulCount)
{
	struct p11_ctx *ctx;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pulCount == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_slot_mem(ctx, slotID, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_mech_list_locked(slot, pMechanismList, pulCount);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                                    CK_MECHANISM_INFO_PTR pInfo)
{
	struct p11_ctx *ctx;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_slot_mem(ctx, slotID, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_mech_info(slot->card, type, pInfo);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                             CK_UTF8CHAR_PTR pLabel)
{
	struct p11_ctx *ctx;
	CK_RV rv = p11_enter(&ctx);

	(void)pPin;
	(void)ulPinLen;
	if (rv != CKR_OK)
		return rv;
	if (pLabel == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = p11_slot_get(ctx, slotID) == NULL ? CKR_SLOT_ID_INVALID
		                                       : CKR_FUNCTION_NOT_SUPPORTED;
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	struct p11_ctx *ctx;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pSlot == NULL || pReserved != NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = p11_slot_wait(ctx, flags, pSlot); /* no lock held while blocked */
	p11_leave();
	return rv;
}
