/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry points the card cannot serve: CKR_CRYPTOKI_NOT_INITIALIZED before
 * C_Initialize, else CKR_FUNCTION_NOT_SUPPORTED (PKCS#11 2.40 §5.1).
 * Arguments are not looked at.
 */
#include "entry.h"

#define UNUSED(x) (void)(x)

P11_EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG_PTR len)
{
	UNUSED(h), UNUSED(st), UNUSED(len);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG len,
                                     CK_OBJECT_HANDLE ek, CK_OBJECT_HANDLE ak)
{
	UNUSED(h), UNUSED(st), UNUSED(len), UNUSED(ek), UNUSED(ak);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DigestKey(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SignRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(m), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SignRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s,
                               CK_ULONG_PTR sl)
{
	UNUSED(h), UNUSED(d), UNUSED(dl), UNUSED(s), UNUSED(sl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(m), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_VerifyRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR s, CK_ULONG sl, CK_BYTE_PTR d,
                                 CK_ULONG_PTR dl)
{
	UNUSED(h), UNUSED(s), UNUSED(sl), UNUSED(d), UNUSED(dl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG pl,
                                       CK_BYTE_PTR e, CK_ULONG_PTR el)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(e), UNUSED(el);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR e, CK_ULONG el,
                                       CK_BYTE_PTR p, CK_ULONG_PTR pl)
{
	UNUSED(h), UNUSED(e), UNUSED(el), UNUSED(p), UNUSED(pl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG pl, CK_BYTE_PTR e,
                                     CK_ULONG_PTR el)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(e), UNUSED(el);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR e, CK_ULONG el,
                                       CK_BYTE_PTR p, CK_ULONG_PTR pl)
{
	UNUSED(h), UNUSED(e), UNUSED(el), UNUSED(p), UNUSED(pl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_GenerateKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
                               CK_ULONG n, CK_OBJECT_HANDLE_PTR k)
{
	UNUSED(h), UNUSED(m), UNUSED(t), UNUSED(n), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt,
                                   CK_ULONG pn, CK_ATTRIBUTE_PTR st, CK_ULONG sn,
                                   CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR sk)
{
	UNUSED(h), UNUSED(m), UNUSED(pt), UNUSED(pn), UNUSED(st), UNUSED(sn), UNUSED(pk),
	        UNUSED(sk);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_WrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk,
                           CK_OBJECT_HANDLE k, CK_BYTE_PTR w, CK_ULONG_PTR wl)
{
	UNUSED(h), UNUSED(m), UNUSED(wk), UNUSED(k), UNUSED(w), UNUSED(wl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_UnwrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk,
                             CK_BYTE_PTR w, CK_ULONG wl, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                             CK_OBJECT_HANDLE_PTR k)
{
	UNUSED(h), UNUSED(m), UNUSED(uk), UNUSED(w), UNUSED(wl), UNUSED(t), UNUSED(n), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE bk,
                             CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k)
{
	UNUSED(h), UNUSED(m), UNUSED(bk), UNUSED(t), UNUSED(n), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE h)
{
	UNUSED(h);
	return p11_unsupported() == CKR_FUNCTION_NOT_SUPPORTED ? CKR_FUNCTION_NOT_PARALLEL
	                                                       : CKR_CRYPTOKI_NOT_INITIALIZED;
}

P11_EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE h)
{
	UNUSED(h);
	return p11_unsupported() == CKR_FUNCTION_NOT_SUPPORTED ? CKR_FUNCTION_NOT_PARALLEL
	                                                       : CKR_CRYPTOKI_NOT_INITIALIZED;
}

/* PKCS#11 3.0 message-based functions (§5.10-§5.17): no AEAD or
 * message-signing on this card. */
P11_EXPORT CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(m), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_EncryptMessage(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl, CK_BYTE_PTR a,
                                  CK_ULONG al, CK_BYTE_PTR t, CK_ULONG tl, CK_BYTE_PTR c,
                                  CK_ULONG_PTR cl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(a), UNUSED(al), UNUSED(t), UNUSED(tl), UNUSED(c),
	        UNUSED(cl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl,
                                       CK_BYTE_PTR a, CK_ULONG al)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(a), UNUSED(al);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl,
                                      CK_BYTE_PTR t, CK_ULONG tl, CK_BYTE_PTR c, CK_ULONG_PTR cl,
                                      CK_FLAGS f)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(t), UNUSED(tl), UNUSED(c), UNUSED(cl), UNUSED(f);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE h)
{
	UNUSED(h);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(m), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DecryptMessage(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl, CK_BYTE_PTR a,
                                  CK_ULONG al, CK_BYTE_PTR c, CK_ULONG cl, CK_BYTE_PTR t,
                                  CK_ULONG_PTR tl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(a), UNUSED(al), UNUSED(c), UNUSED(cl), UNUSED(t),
	        UNUSED(tl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl,
                                       CK_BYTE_PTR a, CK_ULONG al)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(a), UNUSED(al);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl,
                                      CK_BYTE_PTR c, CK_ULONG cl, CK_BYTE_PTR t, CK_ULONG_PTR tl,
                                      CK_FLAGS f)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(c), UNUSED(cl), UNUSED(t), UNUSED(tl), UNUSED(f);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE h)
{
	UNUSED(h);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageSignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(m), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SignMessage(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl, CK_BYTE_PTR d,
                               CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG_PTR sl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(d), UNUSED(dl), UNUSED(s), UNUSED(sl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SignMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_SignMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl, CK_BYTE_PTR d,
                                   CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG_PTR sl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(d), UNUSED(dl), UNUSED(s), UNUSED(sl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageSignFinal(CK_SESSION_HANDLE h)
{
	UNUSED(h);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	UNUSED(h), UNUSED(m), UNUSED(k);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_VerifyMessage(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl, CK_BYTE_PTR d,
                                 CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG sl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(d), UNUSED(dl), UNUSED(s), UNUSED(sl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pl, CK_BYTE_PTR d,
                                     CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG sl)
{
	UNUSED(h), UNUSED(p), UNUSED(pl), UNUSED(d), UNUSED(dl), UNUSED(s), UNUSED(sl);
	return p11_unsupported();
}

P11_EXPORT CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE h)
{
	UNUSED(h);
	return p11_unsupported();
}
