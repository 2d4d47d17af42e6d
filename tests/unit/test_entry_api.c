/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C_* entry points over an emulated AKİS 1.2 card (entry_fixture.h):
 *  - R28: C_SignInit and C_SignUpdate send no APDU; every signing APDU goes
 *    out at C_Sign / C_SignFinal, inside one transaction; R30 at the
 *    entry points: a size query and CKR_BUFFER_TOO_SMALL send nothing and
 *    keep the operation; the signatures verify with OpenSSL.
 *  - R12: object creation, copy, destruction, attribute changes and key
 *    generation are refused cleanly, with no APDU; the token flags, the
 *    session counts and the PIN lengths from the card's AODF.
 *  - C_GetObjectSize (a size from memory), CKF_RNG with C_GenerateRandom
 *    and C_SeedRandom.
 *  - R39: a table of every entry point with a pointer argument: each
 *    pointer NULL in turn (the others valid, the operation active where
 *    there is one) → CKR_ARGUMENTS_BAD, never a crash; before C_Initialize
 *    CKR_CRYPTOKI_NOT_INITIALIZED (or CKR_ARGUMENTS_BAD); the unsupported
 *    functions with every pointer NULL → CKR_FUNCTION_NOT_SUPPORTED.
 */
#include "entry_fixture.h"

/* PKCS#15 AODF with user PIN lengths 5..10 (not the module's defaults 4..8):
 * R12's "min/max PIN length from the card". */
static void emu_aodf_5_10(void)
{
	struct pin_spec user = {"PIN", 0x01, 0x81, 0x12, 1, 5, 10, 10, -1};
	struct pin_spec puk = {"PUK", 0x02, 0x82, 0x52, 1, 6, 8, 8, -1};
	struct wr w = wr_init(g_emu.img.aodf, sizeof g_emu.img.aodf);
	wr_pin(&w, &puk);
	wr_pin(&w, &user);
	assert_true(wr_ok(&w));
	g_emu.img.aodf_len = w.len;
}

static CK_SESSION_HANDLE open_session(CK_SLOT_ID slot, CK_FLAGS extra)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	assert_int_equal(C_OpenSession(slot, CKF_SERIAL_SESSION | extra, NULL, NULL, &h), CKR_OK);
	return h;
}

static void login(CK_SESSION_HANDLE h)
{
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_PIN, 5), CKR_OK);
}

/* ----- R28 + R30 through the entry points ----- */

static void test_sign_apdus_at_final_only(void **state)
{
	static const CK_BYTE part[3][40] = {"first part of the message ",
	                                    "second part of the message ", "third"};
	CK_BYTE msg[120], sig[300];
	size_t msg_len = 0;
	CK_ULONG n;
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	(void)state;

	CK_SLOT_ID slot = emu_open_module();
	CK_SESSION_HANDLE h = open_session(slot, 0);
	login(h);
	CK_OBJECT_HANDLE key = emu_find(h, CKO_PRIVATE_KEY);
	unsigned long before = emu_apdus();
	/* PKCS#11 3.0: *Init(NULL) ends the active operation; with none it is
	 * a bad argument */
	assert_int_equal(C_SignInit(h, &m, key), CKR_OK);
	assert_int_equal(C_SignInit(h, &m, key), CKR_OPERATION_ACTIVE);
	assert_int_equal(C_SignInit(h, NULL, key), CKR_OK);
	assert_int_equal(C_SignUpdate(h, (CK_BYTE_PTR) "x", 1), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_SignInit(h, NULL, key), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SignInit(h, &m, key), CKR_OK);
	for (int i = 0; i < 3; i++) {
		size_t l = strlen((const char *)part[i]);
		assert_int_equal(C_SignUpdate(h, (CK_BYTE_PTR)part[i], l), CKR_OK);
		memcpy(msg + msg_len, part[i], l);
		msg_len += l;
	}
	n = 0;
	assert_int_equal(C_SignFinal(h, NULL, &n), CKR_OK); /* size query */
	assert_int_equal(n, 256);
	n = 255;
	assert_int_equal(C_SignFinal(h, sig, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 256);
	/* R28 and R30: nothing reached the card so far */
	assert_int_equal(emu_apdus(), before);
	int tx_before = atomic_load(&g_emu.tx_max);
	assert_int_equal(C_SignFinal(h, sig, &n), CKR_OK);
	assert_int_equal(n, 256);
	assert_true(emu_apdus() > before);
	assert_int_equal(emu_ins(0x2A), 1); /* one PSO (a DigestInfo fits one APDU) */
	assert_int_equal(atomic_load(&g_emu.tx_max), tx_before > 1 ? tx_before : 1);
	assert_true(emu_rsa_verify("SHA256", msg, msg_len, sig, n));
	/* the operation is finished */
	assert_int_equal(C_SignFinal(h, sig, &n), CKR_OPERATION_NOT_INITIALIZED);

	/* single-part C_Sign, raw RSA: a 256-byte block goes out chained (2 PSO) */
	CK_BYTE block[256];
	CK_MECHANISM raw = {CKM_RSA_X_509, NULL, 0};
	memset(block, 0x33, sizeof block);
	block[0] = 0x00;
	emu_reset_counts();
	assert_int_equal(C_SignInit(h, &raw, key), CKR_OK);
	n = 0;
	assert_int_equal(C_Sign(h, block, sizeof block, NULL, &n), CKR_OK);
	assert_int_equal(n, 256);
	n = 100;
	assert_int_equal(C_Sign(h, block, sizeof block, sig, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(emu_apdus(), 0);
	n = sizeof sig;
	assert_int_equal(C_Sign(h, block, sizeof block, sig, &n), CKR_OK);
	assert_int_equal(n, 256);
	assert_int_equal(emu_ins(0x2A), 2);
	/* multi-part RSA-PKCS is not a thing (PKCS#11 3.0 §6.1.7): refused at
	 * C_SignUpdate without an APDU, or accepted; either way no card access */
	CK_MECHANISM pk = {CKM_RSA_PKCS, NULL, 0};
	emu_reset_counts();
	assert_int_equal(C_SignInit(h, &pk, key), CKR_OK);
	CK_RV rv = C_SignUpdate(h, block, 10);
	assert_true(rv == CKR_OK || rv == CKR_FUNCTION_NOT_SUPPORTED ||
	            rv == CKR_OPERATION_NOT_INITIALIZED || rv == CKR_MECHANISM_INVALID);
	assert_int_equal(emu_apdus(), 0);
	assert_int_equal(atomic_load(&g_emu.bad), 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* ----- R12 ----- */

static void test_read_only_token(void **state)
{
	CK_TOKEN_INFO ti;
	CK_BBOOL f = CK_TRUE;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &f, sizeof f}};
	CK_ATTRIBUTE lab[] = {{CKA_LABEL, "x", 1}};
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
	CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	(void)state;

	emu_aodf_5_10();
	CK_SLOT_ID slot = emu_open_module();
	assert_int_equal(C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_int_equal(
	        ti.flags & (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED),
	        CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED);
	assert_int_equal(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE);
	assert_int_equal(ti.ulMaxRwSessionCount, CK_EFFECTIVELY_INFINITE);
	assert_int_equal(ti.ulMinPinLen, 5); /* from the AODF, not the defaults 4..8 */
	assert_int_equal(ti.ulMaxPinLen, 10);
	print_message("token flags 0x%lx (CKF_WRITE_PROTECTED %s)\n", (unsigned long)ti.flags,
	              (ti.flags & CKF_WRITE_PROTECTED) ? "set" : "not set");

	for (int rw = 0; rw < 2; rw++) {
		CK_SESSION_HANDLE h = open_session(slot, rw ? CKF_RW_SESSION : 0);
		if (rw)
			login(h);
		CK_OBJECT_HANDLE cert = emu_find(h, CKO_CERTIFICATE);
		CK_BBOOL b = CK_TRUE;
		CK_ATTRIBUTE q[] = {{CKA_MODIFIABLE, &b, sizeof b}};
		assert_int_equal(C_GetAttributeValue(h, cert, q, 1), CKR_OK);
		assert_int_equal(b, CK_FALSE);
		emu_reset_counts();
		/* PKCS#11 3.0 §5.7: CKR_ACTION_PROHIBITED for objects whose
		 * CKA_COPYABLE / CKA_MODIFIABLE / CKA_DESTROYABLE is FALSE */
		assert_int_equal(C_CreateObject(h, tmpl, 2, &o), CKR_FUNCTION_NOT_SUPPORTED);
		assert_int_equal(C_CopyObject(h, cert, lab, 1, &o), CKR_ACTION_PROHIBITED);
		assert_int_equal(C_DestroyObject(h, cert), CKR_ACTION_PROHIBITED);
		assert_int_equal(C_SetAttributeValue(h, cert, lab, 1), CKR_ACTION_PROHIBITED);
		assert_int_equal(C_DestroyObject(h, 0x7fff1234), CKR_OBJECT_HANDLE_INVALID);
		assert_int_equal(C_SetAttributeValue(h, 0x7fff1234, lab, 1),
		                 CKR_OBJECT_HANDLE_INVALID);
		assert_int_equal(C_GenerateKeyPair(h, &gen, NULL, 0, NULL, 0, &pub, &priv),
		                 CKR_FUNCTION_NOT_SUPPORTED);
		assert_int_equal(C_GenerateKey(h, &gen, NULL, 0, &o), CKR_FUNCTION_NOT_SUPPORTED);
		assert_int_equal(emu_apdus(), 0);
		/* the object is still there */
		assert_int_equal(emu_find(h, CKO_CERTIFICATE), cert);
		assert_int_equal(C_CloseSession(h), CKR_OK);
	}
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	/* the default AODF back for the other tests */
	img_aodf(&g_emu.img, 1, false);
}

/* ----- PKCS#11 conformance: C_GetObjectSize, random numbers ----- */

/* C_GetObjectSize: the sum of the object's readable attribute value
 * lengths, from memory (no APDU); a bad handle and a private object of a
 * logged-out token → CKR_OBJECT_HANDLE_INVALID. */
static void test_object_size(void **state)
{
	CK_ULONG size = 0, size2 = 0;
	CK_ATTRIBUTE v = {CKA_VALUE, NULL, 0};
	(void)state;

	CK_SLOT_ID slot = emu_open_module();
	CK_SESSION_HANDLE h = open_session(slot, 0);
	login(h);
	CK_OBJECT_HANDLE cert = emu_find(h, CKO_CERTIFICATE);
	CK_OBJECT_HANDLE priv = emu_find(h, CKO_PRIVATE_KEY);
	CK_OBJECT_HANDLE pub = emu_find(h, CKO_PUBLIC_KEY);
	emu_reset_counts();
	assert_int_equal(C_GetAttributeValue(h, cert, &v, 1), CKR_OK);
	assert_int_equal(v.ulValueLen, g_emu.img.cert_len[0]);
	assert_int_equal(C_GetObjectSize(h, cert, &size), CKR_OK);
	assert_true(size > v.ulValueLen); /* the DER and the other attributes */
	assert_int_equal(C_GetObjectSize(h, cert, &size2), CKR_OK);
	assert_int_equal(size2, size);
	size = 0;
	assert_int_equal(C_GetObjectSize(h, priv, &size), CKR_OK);
	assert_true(size > 0);
	assert_int_equal(C_GetObjectSize(h, pub, &size), CKR_OK);
	assert_true(size > 256); /* CKA_MODULUS alone */
	assert_int_equal(C_GetObjectSize(h, 0x7fff1234, &size), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_GetObjectSize(h, cert, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(emu_apdus(), 0);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(C_GetObjectSize(h, priv, &size), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(C_GetObjectSize(h, cert, &size), CKR_OK);
	assert_int_equal(C_GetObjectSize(CK_INVALID_HANDLE, cert, &size),
	                 CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* CKF_RNG agrees with C_GenerateRandom (GET CHALLENGE) and C_SeedRandom
 * (no seed for the card's generator: CKR_RANDOM_SEED_NOT_SUPPORTED; a NULL
 * seed with a length: CKR_ARGUMENTS_BAD). */
static void test_random(void **state)
{
	CK_TOKEN_INFO ti;
	CK_BYTE buf[40], seed[4] = {1, 2, 3, 4};
	(void)state;

	CK_SLOT_ID slot = emu_open_module();
	assert_int_equal(C_GetTokenInfo(slot, &ti), CKR_OK);
	assert_true(ti.flags & CKF_RNG);
	CK_SESSION_HANDLE h = open_session(slot, 0);
	emu_reset_counts();
	memset(buf, 0, sizeof buf);
	assert_int_equal(C_GenerateRandom(h, buf, sizeof buf), CKR_OK);
	assert_true(emu_ins(0x84) >= 1);
	assert_int_equal(buf[0], 0x5A); /* the emulated card's "random" */
	assert_int_equal(C_GenerateRandom(h, NULL, 4), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SeedRandom(h, seed, sizeof seed), CKR_RANDOM_SEED_NOT_SUPPORTED);
	assert_int_equal(C_SeedRandom(h, NULL, 0), CKR_RANDOM_SEED_NOT_SUPPORTED);
	assert_int_equal(C_SeedRandom(h, NULL, 4), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SeedRandom(CK_INVALID_HANDLE, seed, 4), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* ----- R39 ----- */

enum prep { P_NONE, P_FIND, P_SIGN, P_VERIFY, P_DIGEST, P_ENCRYPT, P_DECRYPT };

struct env {
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h, keep;
	CK_OBJECT_HANDLE cert, pub, priv;
};

#define N(i, p) (w == (i) ? NULL : (p))
static CK_BYTE g_buf[512], g_data[16] = "0123456789abcdef";
static CK_ULONG g_len;
static CK_MECHANISM g_sha256 = {CKM_SHA256, NULL, 0};
static CK_MECHANISM g_sign = {CKM_SHA256_RSA_PKCS, NULL, 0};
static CK_MECHANISM g_rsa = {CKM_RSA_PKCS, NULL, 0};

static CK_ULONG *len_of(CK_ULONG v)
{
	g_len = v;
	return &g_len;
}

static CK_RV c_getinfo(const struct env *e, int w)
{
	CK_INFO i;
	(void)e;
	return C_GetInfo(N(0, &i));
}
static CK_RV c_slotlist(const struct env *e, int w)
{
	CK_SLOT_ID l[4];
	(void)e;
	return C_GetSlotList(CK_TRUE, l, N(0, len_of(4)));
}
static CK_RV c_slotinfo(const struct env *e, int w)
{
	CK_SLOT_INFO i;
	return C_GetSlotInfo(e->slot, N(0, &i));
}
static CK_RV c_tokeninfo(const struct env *e, int w)
{
	CK_TOKEN_INFO i;
	return C_GetTokenInfo(e->slot, N(0, &i));
}
static CK_RV c_mechlist(const struct env *e, int w)
{
	CK_MECHANISM_TYPE l[64];
	return C_GetMechanismList(e->slot, l, N(0, len_of(64)));
}
static CK_RV c_mechinfo(const struct env *e, int w)
{
	CK_MECHANISM_INFO i;
	return C_GetMechanismInfo(e->slot, CKM_RSA_PKCS, N(0, &i));
}
static CK_RV c_inittoken(const struct env *e, int w)
{
	CK_UTF8CHAR l[32];
	memset(l, ' ', 32);
	return C_InitToken(e->slot, (CK_UTF8CHAR_PTR) "123456", 6, N(0, l));
}
static CK_RV c_initpin(const struct env *e, int w)
{
	return C_InitPIN(e->h, N(0, (CK_UTF8CHAR_PTR) "54321"), 5);
}
static CK_RV c_setpin(const struct env *e, int w)
{
	return C_SetPIN(e->h, N(0, (CK_UTF8CHAR_PTR) "12345"), 5, N(1, (CK_UTF8CHAR_PTR) "54321"),
	                5);
}
static CK_RV c_opensession(const struct env *e, int w)
{
	CK_SESSION_HANDLE h;
	return C_OpenSession(e->slot, CKF_SERIAL_SESSION, NULL, NULL, N(0, &h));
}
static CK_RV c_sessioninfo(const struct env *e, int w)
{
	CK_SESSION_INFO i;
	return C_GetSessionInfo(e->h, N(0, &i));
}
static CK_RV c_login(const struct env *e, int w)
{
	return C_Login(e->h, CKU_USER, N(0, (CK_UTF8CHAR_PTR) "12345"), 5);
}
static CK_RV c_loginuser(const struct env *e, int w)
{
	return C_LoginUser(e->h, CKU_USER, N(0, (CK_UTF8CHAR_PTR) "12345"), 5,
	                   N(1, (CK_UTF8CHAR_PTR) "user"), 4);
}
static CK_RV c_create(const struct env *e, int w)
{
	CK_OBJECT_CLASS c = CKO_DATA;
	CK_ATTRIBUTE t = {CKA_CLASS, &c, sizeof c};
	CK_OBJECT_HANDLE o;
	return C_CreateObject(e->h, N(0, &t), 1, N(1, &o));
}
static CK_RV c_copy(const struct env *e, int w)
{
	CK_ATTRIBUTE t = {CKA_LABEL, "x", 1};
	CK_OBJECT_HANDLE o;
	return C_CopyObject(e->h, e->cert, N(0, &t), 1, N(1, &o));
}
static CK_RV c_getattr(const struct env *e, int w)
{
	CK_ATTRIBUTE t = {CKA_VALUE, NULL, 0};
	return C_GetAttributeValue(e->h, e->cert, N(0, &t), 1);
}
static CK_RV c_setattr(const struct env *e, int w)
{
	CK_ATTRIBUTE t = {CKA_LABEL, "x", 1};
	return C_SetAttributeValue(e->h, e->cert, N(0, &t), 1);
}
static CK_RV c_findinit(const struct env *e, int w)
{
	CK_OBJECT_CLASS c = CKO_CERTIFICATE;
	CK_ATTRIBUTE t = {CKA_CLASS, &c, sizeof c};
	return C_FindObjectsInit(e->h, N(0, &t), 1);
}
static CK_RV c_find(const struct env *e, int w)
{
	CK_OBJECT_HANDLE o[4];
	return C_FindObjects(e->h, N(0, o), 4, N(1, len_of(0)));
}
static CK_RV c_encinit(const struct env *e, int w)
{
	return C_EncryptInit(e->h, N(0, &g_rsa), e->pub);
}
static CK_RV c_enc(const struct env *e, int w)
{
	return C_Encrypt(e->h, N(0, g_data), 10, g_buf, N(1, len_of(512)));
}
static CK_RV c_encupd(const struct env *e, int w)
{
	return C_EncryptUpdate(e->h, N(0, g_data), 10, g_buf, N(1, len_of(512)));
}
static CK_RV c_encfin(const struct env *e, int w)
{
	return C_EncryptFinal(e->h, g_buf, N(0, len_of(512)));
}
static CK_RV c_decinit(const struct env *e, int w)
{
	return C_DecryptInit(e->h, N(0, &g_rsa), e->priv);
}
static CK_RV c_dec(const struct env *e, int w)
{
	return C_Decrypt(e->h, N(0, g_buf), 256, g_buf, N(1, len_of(512)));
}
static CK_RV c_decupd(const struct env *e, int w)
{
	return C_DecryptUpdate(e->h, N(0, g_buf), 256, g_buf, N(1, len_of(512)));
}
static CK_RV c_decfin(const struct env *e, int w)
{
	return C_DecryptFinal(e->h, g_buf, N(0, len_of(512)));
}
static CK_RV c_diginit(const struct env *e, int w)
{
	return C_DigestInit(e->h, N(0, &g_sha256));
}
static CK_RV c_dig(const struct env *e, int w)
{
	return C_Digest(e->h, N(0, g_data), 10, g_buf, N(1, len_of(512)));
}
static CK_RV c_digupd(const struct env *e, int w)
{
	return C_DigestUpdate(e->h, N(0, g_data), 10);
}
static CK_RV c_digfin(const struct env *e, int w)
{
	return C_DigestFinal(e->h, g_buf, N(0, len_of(512)));
}
static CK_RV c_signinit(const struct env *e, int w)
{
	return C_SignInit(e->h, N(0, &g_sign), e->priv);
}
static CK_RV c_sign(const struct env *e, int w)
{
	return C_Sign(e->h, N(0, g_data), 10, g_buf, N(1, len_of(512)));
}
static CK_RV c_signupd(const struct env *e, int w)
{
	return C_SignUpdate(e->h, N(0, g_data), 10);
}
static CK_RV c_signfin(const struct env *e, int w)
{
	return C_SignFinal(e->h, g_buf, N(0, len_of(512)));
}
static CK_RV c_verinit(const struct env *e, int w)
{
	return C_VerifyInit(e->h, N(0, &g_sign), e->pub);
}
static CK_RV c_ver(const struct env *e, int w)
{
	return C_Verify(e->h, N(0, g_data), 10, N(1, g_buf), 256);
}
static CK_RV c_verupd(const struct env *e, int w)
{
	return C_VerifyUpdate(e->h, N(0, g_data), 10);
}
static CK_RV c_verfin(const struct env *e, int w)
{
	return C_VerifyFinal(e->h, N(0, g_buf), 256);
}
static CK_RV c_random(const struct env *e, int w)
{
	return C_GenerateRandom(e->h, N(0, g_buf), 8);
}
static CK_RV c_seed(const struct env *e, int w)
{
	return C_SeedRandom(e->h, N(0, g_buf), 8);
}
static CK_RV c_objsize(const struct env *e, int w)
{
	return C_GetObjectSize(e->h, e->cert, N(0, len_of(0)));
}
static CK_RV c_wait(const struct env *e, int w)
{
	CK_SLOT_ID s;
	(void)e;
	return C_WaitForSlotEvent(CKF_DONT_BLOCK, N(0, &s), NULL);
}
static CK_RV c_funclist(const struct env *e, int w)
{
	CK_FUNCTION_LIST_PTR p;
	(void)e;
	return C_GetFunctionList(N(0, &p));
}
static CK_RV c_iflist(const struct env *e, int w)
{
	CK_INTERFACE l[8];
	(void)e;
	return C_GetInterfaceList(l, N(0, len_of(8)));
}
static CK_RV c_iface(const struct env *e, int w)
{
	CK_INTERFACE_PTR p;
	(void)e;
	return C_GetInterface(NULL, NULL, N(0, &p), 0);
}

static const struct ncase {
	const char *name;
	CK_RV (*call)(const struct env *, int);
	int nptr;
	enum prep prep;
	bool no_init; /* works before C_Initialize */
} ncases[] = {
        {"C_GetInfo", c_getinfo, 1, P_NONE, false},
        {"C_GetSlotList", c_slotlist, 1, P_NONE, false},
        {"C_GetSlotInfo", c_slotinfo, 1, P_NONE, false},
        {"C_GetTokenInfo", c_tokeninfo, 1, P_NONE, false},
        {"C_GetMechanismList", c_mechlist, 1, P_NONE, false},
        {"C_GetMechanismInfo", c_mechinfo, 1, P_NONE, false},
        {"C_InitToken", c_inittoken, 1, P_NONE, false},
        {"C_InitPIN", c_initpin, 1, P_NONE, false},
        {"C_SetPIN", c_setpin, 2, P_NONE, false},
        {"C_OpenSession", c_opensession, 1, P_NONE, false},
        {"C_GetSessionInfo", c_sessioninfo, 1, P_NONE, false},
        {"C_Login", c_login, 1, P_NONE, false},
        {"C_LoginUser", c_loginuser, 2, P_NONE, false},
        {"C_CreateObject", c_create, 2, P_NONE, false},
        {"C_CopyObject", c_copy, 2, P_NONE, false},
        {"C_GetAttributeValue", c_getattr, 1, P_NONE, false},
        {"C_SetAttributeValue", c_setattr, 1, P_NONE, false},
        {"C_FindObjectsInit", c_findinit, 1, P_NONE, false},
        {"C_FindObjects", c_find, 2, P_FIND, false},
        {"C_EncryptInit", c_encinit, 1, P_NONE, false},
        {"C_Encrypt", c_enc, 2, P_ENCRYPT, false},
        {"C_EncryptUpdate", c_encupd, 2, P_ENCRYPT, false},
        {"C_EncryptFinal", c_encfin, 1, P_ENCRYPT, false},
        {"C_DecryptInit", c_decinit, 1, P_NONE, false},
        {"C_Decrypt", c_dec, 2, P_DECRYPT, false},
        {"C_DecryptUpdate", c_decupd, 2, P_DECRYPT, false},
        {"C_DecryptFinal", c_decfin, 1, P_DECRYPT, false},
        {"C_DigestInit", c_diginit, 1, P_NONE, false},
        {"C_Digest", c_dig, 2, P_DIGEST, false},
        {"C_DigestUpdate", c_digupd, 1, P_DIGEST, false},
        {"C_DigestFinal", c_digfin, 1, P_DIGEST, false},
        {"C_SignInit", c_signinit, 1, P_NONE, false},
        {"C_Sign", c_sign, 2, P_SIGN, false},
        {"C_SignUpdate", c_signupd, 1, P_SIGN, false},
        {"C_SignFinal", c_signfin, 1, P_SIGN, false},
        {"C_VerifyInit", c_verinit, 1, P_NONE, false},
        {"C_Verify", c_ver, 2, P_VERIFY, false},
        {"C_VerifyUpdate", c_verupd, 1, P_VERIFY, false},
        {"C_VerifyFinal", c_verfin, 1, P_VERIFY, false},
        {"C_GenerateRandom", c_random, 1, P_NONE, false},
        {"C_SeedRandom", c_seed, 1, P_NONE, false},
        {"C_GetObjectSize", c_objsize, 1, P_NONE, false},
        {"C_WaitForSlotEvent", c_wait, 1, P_NONE, false},
        {"C_GetFunctionList", c_funclist, 1, P_NONE, true},
        {"C_GetInterfaceList", c_iflist, 1, P_NONE, true},
        {"C_GetInterface", c_iface, 1, P_NONE, true},
};

/* Where PKCS#11 lets a state check or a plain refusal come first, the
 * module may answer that instead of CKR_ARGUMENTS_BAD; these answers are
 * accepted (each a documented return value of the function, given without
 * touching the pointer) and printed. */
static bool also_ok(const struct ncase *c, int w, CK_RV rv)
{
	const char *n = c->name;
	bool ok = false;

	if (strcmp(n, "C_CreateObject") == 0) /* R12: refused, arguments unused */
		ok = rv == CKR_FUNCTION_NOT_SUPPORTED;
	else if (strcmp(n, "C_CopyObject") == 0 || strcmp(n, "C_SetAttributeValue") == 0)
		ok = rv == CKR_ACTION_PROHIBITED; /* R12: every object is read-only */
	else if (strcmp(n, "C_InitPIN") == 0)
		ok = rv == CKR_USER_NOT_LOGGED_IN; /* no SO session here */
	else if (strcmp(n, "C_Login") == 0)
		ok = rv == CKR_USER_ALREADY_LOGGED_IN;
	if (ok)
		print_message("accepted: %s pointer %d NULL → 0x%lx\n", n, w, (unsigned long)rv);
	return ok;
}

static void prep(const struct env *e, enum prep p)
{
	CK_RV rv = CKR_OK;

	switch (p) {
	case P_NONE:
		return;
	case P_FIND:
		rv = C_FindObjectsInit(e->h, NULL, 0);
		break;
	case P_SIGN:
		rv = C_SignInit(e->h, &g_sign, e->priv);
		break;
	case P_VERIFY:
		rv = C_VerifyInit(e->h, &g_sign, e->pub);
		break;
	case P_DIGEST:
		rv = C_DigestInit(e->h, &g_sha256);
		break;
	case P_ENCRYPT:
		rv = C_EncryptInit(e->h, &g_rsa, e->pub);
		break;
	case P_DECRYPT:
		rv = C_DecryptInit(e->h, &g_rsa, e->priv);
		break;
	}
	(void)rv; /* best effort: a key without encrypt/decrypt usage refuses */
}

static int run_table(struct env *e, const char *phase)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof ncases / sizeof ncases[0]; i++) {
		const struct ncase *c = &ncases[i];
		for (int w = 0; w < c->nptr; w++) {
			e->h = open_session(e->slot, CKF_RW_SESSION);
			prep(e, c->prep);
			CK_RV rv = c->call(e, w);
			if (rv != CKR_ARGUMENTS_BAD && !also_ok(c, w, rv)) {
				print_error(
				        "%s: %s pointer %d NULL → 0x%lx, want CKR_ARGUMENTS_BAD\n",
				        phase, c->name, w, (unsigned long)rv);
				bad++;
			}
			(void)C_CloseSession(e->h);
			if (rv == CKR_OK && strcmp(c->name, "C_LoginUser") == 0)
				(void)C_Logout(e->keep); /* back to the phase's state */
		}
	}
	return bad;
}

static void test_null_pointers(void **state)
{
	struct env e = {0};
	int bad = 0;
	(void)state;

	/* before C_Initialize */
	for (size_t i = 0; i < sizeof ncases / sizeof ncases[0]; i++) {
		const struct ncase *c = &ncases[i];
		CK_RV rv = c->call(&e, 0);
		if (c->no_init ? rv != CKR_ARGUMENTS_BAD
		               : rv != CKR_CRYPTOKI_NOT_INITIALIZED && rv != CKR_ARGUMENTS_BAD) {
			print_error("not initialised: %s → 0x%lx\n", c->name, (unsigned long)rv);
			bad++;
		}
	}
	e.slot = emu_open_module();
	CK_SESSION_HANDLE keep = open_session(e.slot, 0); /* holds the login */
	login(keep);
	e.h = e.keep = keep;
	e.cert = emu_find(keep, CKO_CERTIFICATE);
	e.pub = emu_find(keep, CKO_PUBLIC_KEY);
	e.priv = emu_find(keep, CKO_PRIVATE_KEY);
	bad += run_table(&e, "logged in");
	assert_int_equal(C_Logout(keep), CKR_OK);
	bad += run_table(&e, "logged out");
	assert_int_equal(atomic_load(&g_emu.bad), 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(bad, 0);
}

/* Unsupported functions with every pointer NULL: CKR_FUNCTION_NOT_SUPPORTED
 * (or CKR_CRYPTOKI_NOT_INITIALIZED before init), never a crash. */
static void test_unsupported_null(void **state)
{
	(void)state;
	for (int init = 0; init < 2; init++) {
		CK_RV want = init ? CKR_FUNCTION_NOT_SUPPORTED : CKR_CRYPTOKI_NOT_INITIALIZED;
		CK_SESSION_HANDLE h = 1;
		if (init) {
			CK_SLOT_ID slot = emu_open_module();
			h = open_session(slot, 0);
		}
		const CK_RV got[] = {
		        C_GetOperationState(h, NULL, NULL),
		        C_SetOperationState(h, NULL, 5, 0, 0),
		        C_DigestKey(h, 1),
		        C_SignRecoverInit(h, NULL, 1),
		        C_SignRecover(h, NULL, 5, NULL, NULL),
		        C_VerifyRecoverInit(h, NULL, 1),
		        C_VerifyRecover(h, NULL, 5, NULL, NULL),
		        C_DigestEncryptUpdate(h, NULL, 5, NULL, NULL),
		        C_DecryptDigestUpdate(h, NULL, 5, NULL, NULL),
		        C_SignEncryptUpdate(h, NULL, 5, NULL, NULL),
		        C_DecryptVerifyUpdate(h, NULL, 5, NULL, NULL),
		        C_GenerateKey(h, NULL, NULL, 3, NULL),
		        C_GenerateKeyPair(h, NULL, NULL, 3, NULL, 3, NULL, NULL),
		        C_WrapKey(h, NULL, 1, 1, NULL, NULL),
		        C_UnwrapKey(h, NULL, 1, NULL, 5, NULL, 3, NULL),
		        C_DeriveKey(h, NULL, 1, NULL, 3, NULL),
		        C_MessageEncryptInit(h, NULL, 1),
		        C_EncryptMessage(h, NULL, 5, NULL, 5, NULL, 5, NULL, NULL),
		        C_MessageSignInit(h, NULL, 1),
		        C_SignMessage(h, NULL, 5, NULL, 5, NULL, NULL),
		        C_MessageVerifyInit(h, NULL, 1),
		        C_VerifyMessage(h, NULL, 5, NULL, 5, NULL, 5),
		        C_MessageDecryptInit(h, NULL, 1),
		        C_DecryptMessage(h, NULL, 5, NULL, 5, NULL, 5, NULL, NULL),
		};
		for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
			if (got[i] != want)
				fail_msg("unsupported #%zu (init %d) → 0x%lx", i, init,
				         (unsigned long)got[i]);
		if (init)
			assert_int_equal(C_Finalize(NULL), CKR_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_sign_apdus_at_final_only, emu_teardown_each),
	        cmocka_unit_test_teardown(test_read_only_token, emu_teardown_each),
	        cmocka_unit_test_teardown(test_object_size, emu_teardown_each),
	        cmocka_unit_test_teardown(test_random, emu_teardown_each),
	        cmocka_unit_test_teardown(test_null_pointers, emu_teardown_each),
	        cmocka_unit_test_teardown(test_unsupported_null, emu_teardown_each),
	};
	return cmocka_run_group_tests(tests, emu_setup, emu_teardown);
}
