/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R20 at the C_* entry points, over the emulated card of entry_fixture.h
 * whose signing key is given userConsent here (its PrKDF rewritten; the
 * emulated 1.2 card itself does not enforce it, so every refusal below is
 * the module's own, and "no PSO" is what proves it):
 *  - PKCS#11 3.0 §5.13: a C_Sign / C_SignFinal refused for want of a
 *    context login ends the operation (the next C_SignInit works); a size
 *    query and CKR_BUFFER_TOO_SMALL keep it; bad arguments end it too.
 *  - a context login belongs to the signing operation of the session that
 *    made it: another session gets CKR_USER_NOT_LOGGED_IN and no APDU
 *    reaches the card; the login is consumed by the signature and dropped
 *    when its operation ends any other way (C_SignInit(NULL),
 *    C_SessionCancel, a refused call).
 *  - MA3's call: one C_Sign with a 4,096-byte buffer, no size query.
 */
#include "entry_fixture.h"

static const CK_BYTE g_msg[] = "document to sign";

/* The emulated card's key with userConsent = 1 (CKA_ALWAYS_AUTHENTICATE). */
static int consent_setup(void **state)
{
	struct key_spec k = {"Imza", false, {0}, 0x01, 0x01, (1u << 2) | (1u << 9), 2048, 1};
	struct wr w;

	emu_setup(state);
	memcpy(k.id, g_emu.img.id[0], 20);
	w = wr_init(g_emu.img.prkdf, sizeof g_emu.img.prkdf);
	wr_prkey(&w, &k);
	assert_true(wr_ok(&w));
	g_emu.img.prkdf_len = w.len;
	return 0;
}

static CK_SESSION_HANDLE open_session(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	assert_int_equal(C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
	return h;
}

static void sign_init(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};

	assert_int_equal(C_SignInit(h, &m, key), CKR_OK);
}

static void context_login(CK_SESSION_HANDLE h)
{
	assert_int_equal(C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)EMU_PIN, 5), CKR_OK);
}

static CK_RV sign(CK_SESSION_HANDLE h, CK_BYTE *sig, CK_ULONG *n)
{
	return C_Sign(h, (CK_BYTE_PTR)g_msg, sizeof g_msg, sig, n);
}

/* Logged in, the key found and showing CKA_ALWAYS_AUTHENTICATE. */
static CK_OBJECT_HANDLE start(CK_SLOT_ID *slot, CK_SESSION_HANDLE *h)
{
	CK_BBOOL aa = CK_FALSE;
	CK_ATTRIBUTE q = {CKA_ALWAYS_AUTHENTICATE, &aa, sizeof aa};
	CK_OBJECT_HANDLE key;

	*slot = emu_open_module();
	*h = open_session(*slot);
	assert_int_equal(C_Login(*h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_PIN, 5), CKR_OK);
	key = emu_find(*h, CKO_PRIVATE_KEY);
	assert_int_equal(C_GetAttributeValue(*h, key, &q, 1), CKR_OK);
	assert_int_equal(aa, CK_TRUE);
	return key;
}

static void test_refused_sign_ends_op(void **state)
{
	CK_BYTE sig[4096];
	CK_ULONG n;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	(void)state;

	CK_OBJECT_HANDLE key = start(&slot, &h);
	emu_reset_counts();
	/* single-part: the two §5.2 answers keep it, the refusal ends it */
	sign_init(h, key);
	n = 0;
	assert_int_equal(sign(h, NULL, &n), CKR_OK);
	assert_int_equal(n, 256);
	n = 255;
	assert_int_equal(sign(h, sig, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 256);
	n = sizeof sig;
	assert_int_equal(sign(h, sig, &n), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(sign(h, sig, &n), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(emu_apdus(), 0);
	/* multi-part: the same for C_SignFinal */
	sign_init(h, key);
	assert_int_equal(C_SignUpdate(h, (CK_BYTE_PTR)g_msg, sizeof g_msg), CKR_OK);
	n = sizeof sig;
	assert_int_equal(C_SignFinal(h, sig, &n), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_SignFinal(h, sig, &n), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(emu_apdus(), 0);
	/* bad arguments end it as well */
	sign_init(h, key);
	assert_int_equal(C_Sign(h, (CK_BYTE_PTR)g_msg, sizeof g_msg, sig, NULL), CKR_ARGUMENTS_BAD);
	/* the session goes on: MA3's one C_Sign, a 4,096-byte buffer */
	sign_init(h, key);
	context_login(h);
	n = sizeof sig;
	assert_int_equal(sign(h, sig, &n), CKR_OK);
	assert_int_equal(n, 256);
	assert_true(emu_rsa_verify("SHA256", g_msg, sizeof g_msg, sig, n));
	assert_int_equal(emu_ins(0x2A), 1);
	assert_int_equal(atomic_load(&g_emu.bad), 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

static void test_consent_per_session(void **state)
{
	CK_BYTE sig[300];
	CK_ULONG n;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h1, h2;
	(void)state;

	CK_OBJECT_HANDLE key = start(&slot, &h1);
	h2 = open_session(slot);
	sign_init(h1, key);
	context_login(h1);
	sign_init(h2, key);
	emu_reset_counts();
	n = sizeof sig;
	assert_int_equal(sign(h2, sig, &n), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(emu_apdus(), 0); /* no MSE, no PSO */
	n = sizeof sig;
	assert_int_equal(sign(h1, sig, &n), CKR_OK);
	assert_true(emu_rsa_verify("SHA256", g_msg, sizeof g_msg, sig, n));
	assert_int_equal(emu_ins(0x2A), 1);
	/* consumed by the signature */
	sign_init(h1, key);
	emu_reset_counts();
	n = sizeof sig;
	assert_int_equal(sign(h1, sig, &n), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(emu_apdus(), 0);
	/* a later context login of session 2 takes it from session 1 */
	sign_init(h1, key);
	context_login(h1);
	sign_init(h2, key);
	context_login(h2);
	emu_reset_counts();
	n = sizeof sig;
	assert_int_equal(sign(h1, sig, &n), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(emu_apdus(), 0);
	n = sizeof sig;
	assert_int_equal(sign(h2, sig, &n), CKR_OK);
	assert_int_equal(emu_ins(0x2A), 1);
	assert_int_equal(atomic_load(&g_emu.bad), 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* A context login ends with its operation, however that ends. */
static void test_consent_ends_with_op(void **state)
{
	CK_BYTE sig[300];
	CK_ULONG n;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	(void)state;

	CK_OBJECT_HANDLE key = start(&slot, &h);
	for (int how = 0; how < 3; how++) {
		sign_init(h, key);
		context_login(h);
		if (how == 0)
			assert_int_equal(C_SignInit(h, NULL, key), CKR_OK);
		else if (how == 1)
			assert_int_equal(C_SessionCancel(h, CKF_SIGN), CKR_OK);
		else
			assert_int_equal(C_SignUpdate(h, NULL, 5), CKR_ARGUMENTS_BAD);
		sign_init(h, key);
		emu_reset_counts();
		n = sizeof sig;
		assert_int_equal(sign(h, sig, &n), CKR_USER_NOT_LOGGED_IN);
		assert_int_equal(emu_apdus(), 0);
	}
	/* a context login with only a decryption active is nobody's signature */
	CK_MECHANISM rsa = {CKM_RSA_PKCS, NULL, 0};
	if (C_DecryptInit(h, &rsa, key) == CKR_OK) {
		context_login(h);
		assert_int_equal(C_DecryptInit(h, NULL, key), CKR_OK);
		sign_init(h, key);
		emu_reset_counts();
		n = sizeof sig;
		assert_int_equal(sign(h, sig, &n), CKR_USER_NOT_LOGGED_IN);
		assert_int_equal(emu_apdus(), 0);
	}
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_refused_sign_ends_op, emu_teardown_each),
	        cmocka_unit_test_teardown(test_consent_per_session, emu_teardown_each),
	        cmocka_unit_test_teardown(test_consent_ends_with_op, emu_teardown_each),
	};
	return cmocka_run_group_tests(tests, consent_setup, emu_teardown);
}
