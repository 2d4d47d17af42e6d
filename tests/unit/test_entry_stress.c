/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R4: 8 threads on ONE token for a few seconds (AKIS_STRESS_SECONDS,
 * default 3), each in a loop of random calls: C_OpenSession, find,
 * C_GetAttributeValue, C_Login, C_SignInit + C_Sign, C_CloseSession,
 * C_CloseAllSessions, C_Logout, C_GetTokenInfo, C_GetSessionInfo, over the
 * emulated card of entry_fixture.h. Checked: no crash or hang, every
 * answer one that PKCS#11 allows for that call in such a race, every
 * signature verifies (no APDUs of two threads mixed), every APDU inside a
 * transaction and never two transactions open at once (R34).
 * Also built with -fsanitize=thread by hand (see the report of issue 3).
 */
#include "entry_fixture.h"

#include <time.h>

#define THREADS 8

struct stats {
	atomic_ulong calls, signs, sign_ok, bad;
};

static struct stats g_st;
static atomic_bool g_stop;
static CK_SLOT_ID g_slot;

static bool allowed(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
	case CKR_USER_NOT_LOGGED_IN:     /* another thread logged out */
	case CKR_USER_ALREADY_LOGGED_IN: /* another thread logged in */
	case CKR_SESSION_HANDLE_INVALID: /* C_CloseAllSessions from another thread */
	case CKR_SESSION_CLOSED:
	case CKR_OPERATION_NOT_INITIALIZED:
	case CKR_OPERATION_ACTIVE:
		return true;
	default:
		return false;
	}
}

static void check(const char *what, CK_RV rv)
{
	atomic_fetch_add(&g_st.calls, 1);
	if (!allowed(rv)) {
		atomic_fetch_add(&g_st.bad, 1);
		print_error("%s → 0x%lx\n", what, (unsigned long)rv);
	}
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE h, CK_OBJECT_CLASS klass)
{
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &klass, sizeof klass}};
	CK_OBJECT_HANDLE o[8];
	CK_ULONG n = 0;
	CK_RV rv = C_FindObjectsInit(h, t, 1);

	check("C_FindObjectsInit", rv);
	if (rv != CKR_OK)
		return CK_INVALID_HANDLE;
	check("C_FindObjects", C_FindObjects(h, o, 8, &n));
	check("C_FindObjectsFinal", C_FindObjectsFinal(h));
	return n > 0 ? o[0] : CK_INVALID_HANDLE;
}

static void do_sign(CK_SESSION_HANDLE h, unsigned seed)
{
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE msg[32], sig[300];
	CK_ULONG n = sizeof sig;
	CK_OBJECT_HANDLE k = find_one(h, CKO_PRIVATE_KEY);
	CK_RV rv;

	if (k == CK_INVALID_HANDLE)
		return; /* logged out: private objects are not found */
	memset(msg, (int)(seed & 0xff), sizeof msg);
	rv = C_SignInit(h, &m, k);
	check("C_SignInit", rv);
	if (rv != CKR_OK)
		return;
	atomic_fetch_add(&g_st.signs, 1);
	rv = C_Sign(h, msg, sizeof msg, sig, &n);
	check("C_Sign", rv);
	if (rv == CKR_OK) {
		if (n != 256 || !emu_rsa_verify("SHA256", msg, sizeof msg, sig, n)) {
			atomic_fetch_add(&g_st.bad, 1);
			print_error("a signature does not verify\n");
		}
		atomic_fetch_add(&g_st.sign_ok, 1);
	}
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	while (!atomic_load(&g_stop)) {
		int op = rand_r(&seed) % 100;
		CK_RV rv;
		if (h == CK_INVALID_HANDLE || op < 5) {
			if (h != CK_INVALID_HANDLE)
				check("C_CloseSession", C_CloseSession(h));
			h = CK_INVALID_HANDLE;
			rv = C_OpenSession(g_slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
			check("C_OpenSession", rv);
			if (rv != CKR_OK)
				h = CK_INVALID_HANDLE;
			continue;
		}
		if (op < 25) {
			(void)find_one(h, CKO_CERTIFICATE);
		} else if (op < 45) {
			CK_BYTE val[4096];
			CK_ATTRIBUTE a[] = {{CKA_VALUE, val, sizeof val}, {CKA_LABEL, val, 64}};
			CK_OBJECT_HANDLE c = find_one(h, CKO_CERTIFICATE);
			if (c != CK_INVALID_HANDLE)
				check("C_GetAttributeValue", C_GetAttributeValue(h, c, a, 1));
		} else if (op < 55) {
			check("C_Login", C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)EMU_PIN, 5));
		} else if (op < 75) {
			do_sign(h, seed);
		} else if (op < 80) {
			rv = C_Logout(h);
			if (rv != CKR_USER_NOT_LOGGED_IN)
				check("C_Logout", rv);
		} else if (op < 82) {
			check("C_CloseAllSessions", C_CloseAllSessions(g_slot));
		} else if (op < 92) {
			CK_TOKEN_INFO ti;
			check("C_GetTokenInfo", C_GetTokenInfo(g_slot, &ti));
		} else {
			CK_SESSION_INFO si;
			rv = C_GetSessionInfo(h, &si);
			check("C_GetSessionInfo", rv);
			if (rv == CKR_SESSION_HANDLE_INVALID)
				h = CK_INVALID_HANDLE;
		}
	}
	if (h != CK_INVALID_HANDLE)
		(void)C_CloseSession(h);
	return NULL;
}

static void test_stress_one_token(void **state)
{
	pthread_t th[THREADS];
	const char *env = getenv("AKIS_STRESS_SECONDS");
	int secs = env != NULL ? atoi(env) : 3;
	(void)state;

	if (secs <= 0)
		secs = 3;
	g_slot = emu_open_module();
	atomic_store(&g_emu.tx_max, 0);
	atomic_store(&g_stop, false);
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
	sleep((unsigned)secs);
	atomic_store(&g_stop, true);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	print_message("%d threads, %d s: %lu calls, %lu signatures started, %lu made and "
	              "verified, %lu APDUs, max open transactions %d\n",
	              THREADS, secs, atomic_load(&g_st.calls), atomic_load(&g_st.signs),
	              atomic_load(&g_st.sign_ok), emu_apdus(), atomic_load(&g_emu.tx_max));
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(atomic_load(&g_st.bad), 0);
	assert_int_equal(atomic_load(&g_emu.bad), 0);    /* every APDU in a transaction */
	assert_int_equal(atomic_load(&g_emu.tx_max), 1); /* one at a time on the card */
	assert_int_equal(atomic_load(&g_emu.tx_depth), 0);
	assert_true(atomic_load(&g_st.sign_ok) > 0); /* the loop did real work */
	assert_true(atomic_load(&g_st.calls) > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_stress_one_token, emu_teardown_each),
	};
	return cmocka_run_group_tests(tests, emu_setup, emu_teardown);
}
