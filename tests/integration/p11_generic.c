/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic PKCS#11 behaviour (docs/design.md "Tests", the reference layer):
 * argument checks (R39), output-buffer rules (R30, PKCS#11 3.0 §5.2),
 * session and login states, operation states (§5.13: what ends one),
 * C_GetObjectSize, CKF_RNG with the random functions. Nothing here is specific to
 * AKİS: the same program runs against SoftHSM2, a mature software token,
 * and against our module on the virtual cards; where the two disagree the
 * check is questioned before the module is changed.
 *
 * It needs a token with a user PIN and one RSA private key without
 * CKA_ALWAYS_AUTHENTICATE (plus its public key), and never enters a wrong
 * PIN (a real card would lose a try).
 *   p11_generic MODULE.so PIN [NAME]
 * Prints "ok - ..." / "FAIL - ..." lines and "N passed, N failed".
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pkcs11/p11.h"
#include "tap.h"

static CK_FUNCTION_LIST *p;
static const char *name = "";
static char tag[80];
static const char *pin;

#define RV(call, want)                                                                             \
	do {                                                                                       \
		CK_RV rv_ = (call);                                                                \
		check(rv_ == (CK_RV)(want), "%s = 0x%lx (want 0x%lx)", #call, rv_, (CK_RV)(want)); \
	} while (0)

/* Where the specification allows either of two answers (it lists both and
 * fixes no order between the conditions), either passes; the line says
 * which one came. */
#define RV_EITHER(call, a, b)                                                                      \
	do {                                                                                       \
		CK_RV rv_ = (call);                                                                \
		check(rv_ == (CK_RV)(a) || rv_ == (CK_RV)(b),                                      \
		      "%s = 0x%lx (PKCS#11 allows 0x%lx or 0x%lx)", #call, rv_, (CK_RV)(a),        \
		      (CK_RV)(b));                                                                 \
	} while (0)

/* The reference itself departs from the specification here: on SoftHSM2
 * (name "softhsm2") its known answer passes with a note; every other
 * module must give what PKCS#11 says. */
#define RV_REF(call, want, softhsm)                                                                \
	do {                                                                                       \
		CK_RV rv_ = (call);                                                                \
		bool ref_ = strcmp(name, "softhsm2") == 0 && rv_ == (CK_RV)(softhsm);              \
		check(rv_ == (CK_RV)(want) || ref_, "%s = 0x%lx (want 0x%lx%s)", #call, rv_,       \
		      (CK_RV)(want), ref_ ? "; SoftHSM2's known departure" : "");                  \
	} while (0)

static CK_RV login(CK_SESSION_HANDLE s)
{
	return p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_SLOT_ID first_token_slot(void)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16;

	if (p->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK || n == 0)
		return (CK_SLOT_ID)-1;
	return ids[0];
}

/* ----- before and around C_Initialize ----- */

static void test_init(void)
{
	CK_INFO info;
	CK_C_INITIALIZE_ARGS bad = {NULL, NULL, NULL, NULL, 0, NULL};
	int dummy;

	RV(p->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	RV(p->C_GetSlotList(CK_FALSE, NULL, &(CK_ULONG){0}), CKR_CRYPTOKI_NOT_INITIALIZED);
	bad.CreateMutex = (CK_CREATEMUTEX)(void *)&dummy; /* a mix of NULL and non-NULL */
	RV(p->C_Initialize(&bad), CKR_ARGUMENTS_BAD);
	RV(p->C_Initialize(NULL), CKR_OK);
	RV(p->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	RV(p->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_GetInfo(&info), CKR_OK);
	check(info.cryptokiVersion.major >= 2, "C_GetInfo: Cryptoki %d.%d",
	      info.cryptokiVersion.major, info.cryptokiVersion.minor);
}

/* ----- slots, tokens, mechanisms: pointers and output buffers ----- */

static void test_slots(CK_SLOT_ID slot)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 0, all = 0;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_TYPE mechs[128];
	CK_MECHANISM_INFO mi;

	RV(p->C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	check(n >= 1, "C_GetSlotList size query: %lu slot(s) with a token", n);
	all = 0;
	RV(p->C_GetSlotList(CK_TRUE, ids, &all), CKR_BUFFER_TOO_SMALL);
	check(all == n, "C_GetSlotList too small: count set to %lu (want %lu)", all, n);
	RV(p->C_GetSlotInfo(slot, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_GetSlotInfo((CK_SLOT_ID)0x7fffdead, &si), CKR_SLOT_ID_INVALID);
	RV(p->C_GetTokenInfo(slot, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_GetTokenInfo((CK_SLOT_ID)0x7fffdead, &ti), CKR_SLOT_ID_INVALID);
	RV(p->C_GetTokenInfo(slot, &ti), CKR_OK);
	check((ti.flags & CKF_TOKEN_INITIALIZED) && (ti.flags & CKF_LOGIN_REQUIRED),
	      "token flags 0x%lx: initialized, login required", ti.flags);
	RV(p->C_GetMechanismList(slot, NULL, NULL), CKR_ARGUMENTS_BAD);
	n = 0;
	RV(p->C_GetMechanismList(slot, NULL, &n), CKR_OK);
	check(n >= 1 && n <= 128, "C_GetMechanismList size query: %lu", n);
	all = 1;
	RV(p->C_GetMechanismList(slot, mechs, &all), n > 1 ? CKR_BUFFER_TOO_SMALL : CKR_OK);
	check(all == n, "C_GetMechanismList too small: count set to %lu", all);
	RV(p->C_GetMechanismInfo(slot, CKM_VENDOR_DEFINED | 0x4B4Eu, &mi), CKR_MECHANISM_INVALID);
	RV(p->C_GetMechanismInfo(slot, CKM_RSA_PKCS, NULL), CKR_ARGUMENTS_BAD);
}

/* ----- sessions and login states ----- */

static CK_STATE state_of(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	return p->C_GetSessionInfo(s, &si) == CKR_OK ? si.state : (CK_STATE)-1;
}

static void test_sessions(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE ro, rw, h;
	CK_SESSION_INFO si;

	RV(p->C_OpenSession(slot, 0, NULL, NULL, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	RV(p->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_OpenSession((CK_SLOT_ID)0x7fffdead, CKF_SERIAL_SESSION, NULL, NULL, &h),
	   CKR_SLOT_ID_INVALID);
	RV(p->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
	RV(p->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
	RV(p->C_GetSessionInfo(ro, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_GetSessionInfo((CK_SESSION_HANDLE)0x7fffdead, &si), CKR_SESSION_HANDLE_INVALID);
	check(state_of(ro) == CKS_RO_PUBLIC_SESSION, "RO session: CKS_RO_PUBLIC_SESSION");
	check(state_of(rw) == CKS_RW_PUBLIC_SESSION, "RW session: CKS_RW_PUBLIC_SESSION");
	RV_EITHER(p->C_Logout(ro), CKR_USER_NOT_LOGGED_IN, CKR_OK);
	RV(p->C_Login(ro, CKU_USER, NULL, 4), CKR_ARGUMENTS_BAD);
	RV(p->C_Login(ro, 77, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_USER_TYPE_INVALID);
	RV(login(ro), CKR_OK);
	check(state_of(ro) == CKS_RO_USER_FUNCTIONS,
	      "after C_Login: RO session CKS_RO_USER_FUNCTIONS");
	check(state_of(rw) == CKS_RW_USER_FUNCTIONS,
	      "after C_Login on another session: RW session CKS_RW_USER_FUNCTIONS (R17)");
	RV(login(rw), CKR_USER_ALREADY_LOGGED_IN);
	RV_EITHER(p->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6),
	          CKR_USER_ANOTHER_ALREADY_LOGGED_IN, CKR_SESSION_READ_ONLY_EXISTS);
	RV(p->C_Logout(rw), CKR_OK);
	check(state_of(ro) == CKS_RO_PUBLIC_SESSION, "C_Logout on one session logs all out (R17)");
	/* an SO login needs no RO session around (PKCS#11 §5.6: CKR_SESSION_READ_ONLY_EXISTS) */
	RV(p->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6), CKR_SESSION_READ_ONLY_EXISTS);
	RV(p->C_CloseSession(ro), CKR_OK);
	RV(p->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);
	RV(p->C_GetSessionInfo(ro, &si), CKR_SESSION_HANDLE_INVALID);
	RV(p->C_CloseSession(rw), CKR_OK);
	RV(p->C_CloseAllSessions((CK_SLOT_ID)0x7fffdead), CKR_SLOT_ID_INVALID);
}

/* ----- objects ----- */

/* The first object of class cls with key type RSA (and CKA_ID = id when
 * id_len > 0); for private keys, one without CKA_ALWAYS_AUTHENTICATE. */
static CK_OBJECT_HANDLE find_rsa(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const CK_BYTE *id,
                                 CK_ULONG id_len)
{
	CK_KEY_TYPE kt = CKK_RSA;
	CK_ATTRIBUTE t[3] = {{CKA_CLASS, &cls, sizeof(cls)},
	                     {CKA_KEY_TYPE, &kt, sizeof(kt)},
	                     {CKA_ID, (void *)id, id_len}};
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;

	if (p->C_FindObjectsInit(s, t, id_len > 0 ? 3 : 2) != CKR_OK)
		return CK_INVALID_HANDLE;
	(void)p->C_FindObjects(s, h, 16, &n);
	p->C_FindObjectsFinal(s);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_BBOOL aa = CK_FALSE;
		CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &aa, sizeof(aa)};

		if (cls != CKO_PRIVATE_KEY ||
		    (p->C_GetAttributeValue(s, h[i], &a, 1) == CKR_OK && !aa))
			return h[i];
	}
	return CK_INVALID_HANDLE;
}

static CK_OBJECT_HANDLE public_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv)
{
	CK_BYTE id[128];
	CK_ATTRIBUTE a = {CKA_ID, id, sizeof(id)};

	if (priv == CK_INVALID_HANDLE || p->C_GetAttributeValue(s, priv, &a, 1) != CKR_OK ||
	    a.ulValueLen == 0)
		return CK_INVALID_HANDLE;
	return find_rsa(s, CKO_PUBLIC_KEY, id, a.ulValueLen);
}

static void test_find(CK_SESSION_HANDLE s)
{
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof(cls)};

	RV(p->C_FindObjects(s, h, 4, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV(p->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
	RV(p->C_FindObjectsInit(s, NULL, 1), CKR_ARGUMENTS_BAD);
	RV(p->C_FindObjectsInit(s, &t, 1), CKR_OK);
	RV(p->C_FindObjectsInit(s, &t, 1), CKR_OPERATION_ACTIVE);
	RV(p->C_FindObjects(s, NULL, 4, &n), CKR_ARGUMENTS_BAD);
	RV(p->C_FindObjects(s, h, 4, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_FindObjects(s, h, 4, &n), CKR_OK);
	check(n == 0, "logged out: no private key found (%lu)", n);
	RV(p->C_FindObjectsFinal(s), CKR_OK);
}

static void test_attributes(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
	CK_BYTE mod[1024], small[4];
	CK_ULONG bits = 0;
	CK_ATTRIBUTE a = {CKA_MODULUS, NULL, 0};
	CK_ATTRIBUTE two[2] = {{CKA_MODULUS_BITS, &bits, sizeof(bits)},
	                       {CKA_VENDOR_DEFINED | 0x4B4Eu, small, sizeof(small)}};
	CK_ATTRIBUTE sens[2] = {{CKA_PRIVATE_EXPONENT, small, sizeof(small)},
	                        {CKA_MODULUS, mod, sizeof(mod)}};

	RV(p->C_GetAttributeValue(s, pub, NULL, 1), CKR_ARGUMENTS_BAD);
	RV(p->C_GetAttributeValue(s, (CK_OBJECT_HANDLE)0x7fffdead, &a, 1),
	   CKR_OBJECT_HANDLE_INVALID);
	RV(p->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);
	check(a.ulValueLen >= 128 && a.ulValueLen <= sizeof(mod), "CKA_MODULUS size query: %lu",
	      a.ulValueLen);
	a.pValue = small;
	a.ulValueLen = sizeof(small);
	RV(p->C_GetAttributeValue(s, pub, &a, 1), CKR_BUFFER_TOO_SMALL);
	check(a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
	      "too small: ulValueLen = CK_UNAVAILABLE_INFORMATION (0x%lx)", a.ulValueLen);
	RV(p->C_GetAttributeValue(s, pub, two, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	check(bits >= 1024 && two[1].ulValueLen == CK_UNAVAILABLE_INFORMATION,
	      "an unknown attribute: its length unavailable, the others filled (%lu bits)", bits);
	RV(p->C_GetAttributeValue(s, priv, sens, 2), CKR_ATTRIBUTE_SENSITIVE);
	check(sens[0].ulValueLen == CK_UNAVAILABLE_INFORMATION && sens[1].ulValueLen * 8 == bits,
	      "CKA_PRIVATE_EXPONENT: sensitive, length unavailable; CKA_MODULUS still given (%lu "
	      "bytes)",
	      sens[1].ulValueLen);
}

/* ----- signing: operation states and output buffers ----- */

static void test_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_MECHANISM bad = {CKM_VENDOR_DEFINED | 0x4B4Eu, NULL, 0};
	CK_MECHANISM pss = {CKM_SHA256_RSA_PKCS_PSS, NULL, 0};
	CK_RSA_PKCS_PSS_PARAMS pp = {CKM_SHA_1, CKG_MGF1_SHA1, 20}; /* hashAlg ≠ SHA-256 */
	CK_BYTE data[] = "generic", sig[1024];
	CK_ULONG sl = 0, k = 0;

	RV(p->C_Sign(s, data, sizeof(data), sig, &sl), CKR_OPERATION_NOT_INITIALIZED);
	RV(p->C_SignInit(s, NULL, priv), CKR_ARGUMENTS_BAD);
	RV(p->C_SignInit(s, &bad, priv), CKR_MECHANISM_INVALID);
	/* R30 */
	RV_REF(p->C_SignInit(s, &pss, priv), CKR_MECHANISM_PARAM_INVALID, CKR_ARGUMENTS_BAD);
	pss.pParameter = &pp;
	pss.ulParameterLen = sizeof(pp);
	RV_REF(p->C_SignInit(s, &pss, priv), CKR_MECHANISM_PARAM_INVALID, CKR_ARGUMENTS_BAD);
	RV_REF(p->C_SignInit(s, &m, (CK_OBJECT_HANDLE)0x7fffdead), CKR_KEY_HANDLE_INVALID,
	       CKR_OBJECT_HANDLE_INVALID);
	RV(p->C_SignInit(s, &m, priv), CKR_OK);
	RV(p->C_SignInit(s, &m, priv), CKR_OPERATION_ACTIVE);
	RV(p->C_Sign(s, data, sizeof(data), NULL, NULL), CKR_ARGUMENTS_BAD);
	/* §5.13: every C_Sign answer but a size query and CKR_BUFFER_TOO_SMALL
	 * ends the operation, CKR_ARGUMENTS_BAD included */
	k = 0;
	RV_REF(p->C_Sign(s, data, sizeof(data), NULL, &k), CKR_OPERATION_NOT_INITIALIZED, CKR_OK);
	sl = sizeof(sig);
	if (k != 0) /* the reference's operation survived: end it */
		(void)p->C_Sign(s, data, sizeof(data), sig, &sl);
	RV(p->C_SignInit(s, &m, priv), CKR_OK);
	RV(p->C_Sign(s, data, sizeof(data), NULL, &k), CKR_OK);
	check(k >= 128 && k <= sizeof(sig), "C_Sign size query: %lu, operation kept", k);
	sl = k - 1;
	RV(p->C_Sign(s, data, sizeof(data), sig, &sl), CKR_BUFFER_TOO_SMALL);
	check(sl == k, "C_Sign too small: length %lu, operation kept", sl);
	sl = sizeof(sig);
	RV(p->C_Sign(s, data, sizeof(data), sig, &sl), CKR_OK);
	check(sl == k, "C_Sign: %lu bytes", sl);
	RV(p->C_Sign(s, data, sizeof(data), sig, &sl), CKR_OPERATION_NOT_INITIALIZED);
	/* the signature verifies in software with the public key; a flipped bit does not */
	RV(p->C_VerifyInit(s, &m, pub), CKR_OK);
	RV(p->C_Verify(s, data, sizeof(data), sig, sl), CKR_OK);
	sig[sl / 2] ^= 1;
	RV(p->C_VerifyInit(s, &m, pub), CKR_OK);
	RV(p->C_Verify(s, data, sizeof(data), sig, sl), CKR_SIGNATURE_INVALID);
	RV(p->C_VerifyInit(s, &m, pub), CKR_OK);
	RV(p->C_Verify(s, data, sizeof(data), sig, sl - 1), CKR_SIGNATURE_LEN_RANGE);
	/* multi-part: Final with a size query keeps the operation */
	RV(p->C_SignInit(s, &m, priv), CKR_OK);
	RV(p->C_SignUpdate(s, data, 3), CKR_OK);
	RV(p->C_SignUpdate(s, data + 3, sizeof(data) - 3), CKR_OK);
	sl = 0;
	RV(p->C_SignFinal(s, NULL, &sl), CKR_OK);
	sl = sizeof(sig);
	RV(p->C_SignFinal(s, sig, &sl), CKR_OK);
	RV(p->C_VerifyInit(s, &m, pub), CKR_OK);
	RV(p->C_Verify(s, data, sizeof(data), sig, sl), CKR_OK);
}

static void test_digest_random(CK_SESSION_HANDLE s)
{
	CK_MECHANISM m = {CKM_SHA256, NULL, 0};
	CK_BYTE out[64];
	CK_ULONG n = 0;

	RV(p->C_DigestInit(s, &m), CKR_OK);
	RV(p->C_Digest(s, (CK_BYTE_PTR) "abc", 3, NULL, &n), CKR_OK);
	check(n == 32, "C_Digest size query: %lu", n);
	n = 31;
	RV(p->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n), CKR_BUFFER_TOO_SMALL);
	n = sizeof(out);
	RV(p->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &n), CKR_OK);
	check(n == 32 && out[0] == 0xba && out[31] == 0xad, "SHA-256(\"abc\")");
	RV(p->C_GenerateRandom(s, NULL, 8), CKR_ARGUMENTS_BAD);
	RV(p->C_GenerateRandom(s, out, 16), CKR_OK);
}

/* CKF_RNG and the two random functions agree (PKCS#11 3.0 §5.15): a token
 * with a generator generates; it may refuse a seed. */
static void test_rng(CK_SLOT_ID slot, CK_SESSION_HANDLE s)
{
	CK_TOKEN_INFO ti;
	CK_BYTE seed[8] = "seedseed", out[8];

	RV(p->C_GetTokenInfo(slot, &ti), CKR_OK);
	check((ti.flags & CKF_RNG) != 0, "CKF_RNG in the token flags (0x%lx)", ti.flags);
	RV(p->C_GenerateRandom(s, out, sizeof(out)), CKR_OK);
	RV(p->C_SeedRandom(s, NULL, 4), CKR_ARGUMENTS_BAD);
	RV_EITHER(p->C_SeedRandom(s, seed, sizeof(seed)), CKR_OK, CKR_RANDOM_SEED_NOT_SUPPORTED);
}

/* C_GetObjectSize (PKCS#11 3.0 §5.7.4): a size for a public object and
 * a private one while logged in, CKR_OBJECT_HANDLE_INVALID for a bad
 * handle and for a private object once logged out. */
static void test_object_size(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
	CK_ULONG n = 0;

	RV(p->C_GetObjectSize(s, pub, NULL), CKR_ARGUMENTS_BAD);
	RV(p->C_GetObjectSize(s, (CK_OBJECT_HANDLE)0x7fffdead, &n), CKR_OBJECT_HANDLE_INVALID);
	RV(p->C_GetObjectSize(s, pub, &n), CKR_OK);
	check(n == CK_UNAVAILABLE_INFORMATION ? strcmp(name, "softhsm2") == 0 : n >= 128,
	      "C_GetObjectSize(public key): %lu%s", n,
	      n == CK_UNAVAILABLE_INFORMATION ? " (CK_UNAVAILABLE_INFORMATION: SoftHSM2's answer)"
	                                      : "");
	RV(p->C_GetObjectSize(s, priv, &n), CKR_OK);
	RV(p->C_Logout(s), CKR_OK);
	RV(p->C_GetObjectSize(s, priv, &n), CKR_OBJECT_HANDLE_INVALID);
	RV(p->C_GetObjectSize(s, pub, &n), CKR_OK);
	RV(login(s), CKR_OK);
}

int main(int argc, char **argv)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv, pub;
	CK_SLOT_ID slot;
	void *lib;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODULE.so PIN [NAME]\n", argv[0]);
		return 2;
	}
	pin = argv[2];
	name = argc > 3 ? argv[3] : argv[1];
	snprintf(tag, sizeof(tag), "%s: ", name);
	tap_tag = tag;
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	gfl = lib ? (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList") : NULL;
	if (gfl == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], dlerror());
		return 2;
	}
	RV(gfl(NULL), CKR_ARGUMENTS_BAD);
	RV(gfl(&p), CKR_OK);
	test_init();
	slot = first_token_slot();
	test_slots(slot);
	test_sessions(slot);
	RV(p->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
	test_find(s);
	RV(login(s), CKR_OK);
	priv = find_rsa(s, CKO_PRIVATE_KEY, NULL, 0);
	pub = public_of(s, priv);
	check(priv != CK_INVALID_HANDLE && pub != CK_INVALID_HANDLE, "an RSA key pair");
	test_attributes(s, pub, priv);
	test_sign(s, priv, pub);
	test_digest_random(s);
	test_rng(slot, s);
	test_object_size(s, pub, priv);
	RV(p->C_CloseSession(s), CKR_OK);
	RV(p->C_Finalize((CK_VOID_PTR)1), CKR_ARGUMENTS_BAD);
	RV(p->C_Finalize(NULL), CKR_OK);
	RV(p->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	return tap_summary();
}
