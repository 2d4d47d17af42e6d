/* SPDX-License-Identifier: BSD-3-Clause */
/* Entry points: objects (R12, R26). The token is read-only. */
#include "entry.h"
#include "acquire.h"
#include "ops.h"
#include "session.h"

P11_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                                   CK_ULONG ulCount)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pTemplate == NULL && ulCount != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_find_init_locked(slot, s, pTemplate, ulCount);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                               CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if ((phObject == NULL && ulMaxObjectCount != 0) || pulObjectCount == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_find_locked(s, phObject, ulMaxObjectCount, pulObjectCount);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	rv = p11_find_final_locked(s);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	const struct p11_object *o;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pTemplate == NULL && ulCount != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	o = p11_session_object_locked(slot, hObject);
	rv = o == NULL ? CKR_OBJECT_HANDLE_INVALID : p11_object_get_attrs(o, pTemplate, ulCount);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

/* Object management on a read-only token (R12): an existing object →
 * CKR_ACTION_PROHIBITED, creation → CKR_FUNCTION_NOT_SUPPORTED. */
static CK_RV object_refused(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, bool exists)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	if (!exists)
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else if (p11_session_object_locked(slot, hObject) == NULL)
		rv = CKR_OBJECT_HANDLE_INVALID;
	else
		rv = CKR_ACTION_PROHIBITED;
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                                CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	(void)pTemplate;
	(void)ulCount;
	(void)phObject;
	return object_refused(hSession, CK_INVALID_HANDLE, false);
}

P11_EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                              CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                              CK_OBJECT_HANDLE_PTR phNewObject)
{
	(void)pTemplate;
	(void)ulCount;
	(void)phNewObject;
	return object_refused(hSession, hObject, true);
}

P11_EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	return object_refused(hSession, hObject, true);
}

P11_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	(void)pTemplate;
	(void)ulCount;
	return object_refused(hSession, hObject, true);
}

/*
 * C_GetObjectSize (PKCS#11 3.0 §5.7.4: "the approximate amount of token
 * memory"): the sum of the lengths of the attribute values the object
 * holds, the ones C_GetAttributeValue can return (sensitive ones, which it
 * never returns, are not counted). The card's own file sizes are not
 * asked (no APDU, like every object call, R26). A private object of a
 * logged-out token is invisible: CKR_OBJECT_HANDLE_INVALID.
 */
static CK_ULONG object_size(const struct p11_object *o)
{
	CK_ULONG n = 0;
	size_t i;

	for (i = 0; i < o->n_attrs; i++)
		if (!o->attrs[i].sensitive)
			n += o->attrs[i].len;
	return n;
}

P11_EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                 CK_ULONG_PTR pulSize)
{
	struct p11_ctx *ctx;
	struct p11_session *s;
	struct p11_slot *slot;
	const struct p11_object *o;
	CK_RV rv = p11_enter(&ctx);

	if (rv != CKR_OK)
		return rv;
	if (pulSize == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_acquire_session_mem(ctx, hSession, &s, &slot);
	if (rv != CKR_OK)
		goto out;
	o = p11_session_object_locked(slot, hObject);
	if (o == NULL)
		rv = CKR_OBJECT_HANDLE_INVALID;
	else
		*pulSize = object_size(o);
	p11_release_mem(ctx, slot);
out:
	p11_leave();
	return rv;
}
