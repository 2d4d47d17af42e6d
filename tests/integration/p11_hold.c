/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One application's life with a PIN, for the "after the program ends"
 * checks of issue 9 / R22 (tests/integration/p11_secstate.sh). It loads the
 * module, binds the token in the reader given (C_GetTokenInfo), opens a
 * R/W session, does one PIN path, then ends the way it is told, printing
 * one line per step ("<step> 0x<rv>"). A second process then looks at the
 * card from outside.
 *
 *   p11_hold MODULE READER PATH END [PIN PUK]
 *
 * PATH: bind       nothing more (a failed C_GetTokenInfo is asked once more:
 *                  R32, the call after a cut one)
 *       login      C_Login(CKU_USER)
 *       login-so   C_Login(CKU_SO)
 *       context    C_Login(CKU_USER), then C_SignInit + C_Login(CKU_CONTEXT_SPECIFIC)
 *                  + C_Sign with every private key (a context login only for
 *                  keys with CKA_ALWAYS_AUTHENTICATE)
 *       setpin     C_SetPIN(PIN → PIN) in a public R/W session (no login)
 *       setpin-user C_Login(CKU_USER) + C_SetPIN(PIN → PIN)
 *       setpin-so  C_Login(CKU_SO) + C_SetPIN(PUK → PUK)
 *       initpin    C_Login(CKU_SO) + C_InitPIN(PIN)
 *       sign       C_Login(CKU_USER) + C_Sign with every key that needs no
 *                  context login
 *       decrypt    C_Login(CKU_USER), then with the first RSA key that can
 *                  decrypt: C_Encrypt in software with its public key, and
 *                  C_Decrypt twice ("decrypt1", "decrypt2", and "plain 0x0"
 *                  when the second one gave the message back)
 * END:  logout     C_Logout, C_CloseSession, C_Finalize
 *       close      C_CloseSession (the last one), C_Finalize
 *       finalize   C_Finalize with the session open and logged in
 *       exit       return from main without C_Finalize (exit() runs)
 *       unload     dlclose without C_Finalize
 *       kill       print "ready", then sleep until killed (SIGKILL: nothing runs)
 * The PIN keeps its value (set to itself), so that the card's state is the
 * same for the next case. PIN "-": read from standard input (a line), and
 * wiped from this program's memory once the path is done, so that a core
 * dump shows only what the module kept (R46 tests). Exit status 0 when
 * every step returned CKR_OK.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../pkcs11/p11.h"

#define HOLD_MAX_OBJ 16

static CK_FUNCTION_LIST *p;
static int bad;
static char stdin_pin[80];
/* The bench's PIN and PUK, built at run time: the core dump test looks for
 * the PIN's digits, which must not stand in this program's own text. */
static char def_pin[6], def_puk[7];

static void default_pins(void)
{
	for (int i = 0; i < 6; i++)
		def_puk[i] = (char)('1' + i);
	memcpy(def_pin, def_puk, 5);
}

/* What this program's calls left on the dead part of its stack, and in
 * registers spilled there, is the application's, not what the module
 * keeps: cleared before a core dump is taken of it. */
static __attribute__((noinline)) void scrub_stack(void)
{
	volatile char area[256 * 1024];

	explicit_bzero((void *)area, sizeof(area));
}

static CK_RV step(const char *name, CK_RV rv)
{
	printf("%s 0x%lx\n", name, (unsigned long)rv);
	fflush(stdout);
	if (rv != CKR_OK)
		bad = 1;
	return rv;
}

/* The slot whose description is the reader's name (R7: blank-padded). */
static CK_SLOT_ID find_slot(const char *reader)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	size_t l = strlen(reader);

	if (p->C_GetSlotList(CK_FALSE, slots, &n) != CKR_OK)
		return (CK_SLOT_ID)-1;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_SLOT_INFO si;

		if (p->C_GetSlotInfo(slots[i], &si) == CKR_OK && l <= sizeof(si.slotDescription) &&
		    memcmp(si.slotDescription, reader, l) == 0 &&
		    (l == sizeof(si.slotDescription) || si.slotDescription[l] == ' '))
			return slots[i];
	}
	return (CK_SLOT_ID)-1;
}

/* One signature with key k; a context login first when the key asks for it. */
static void sign_with(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k, const char *pin, bool context)
{
	CK_KEY_TYPE kt = 0;
	CK_BBOOL always = CK_FALSE;
	CK_ATTRIBUTE a[] = {{CKA_KEY_TYPE, &kt, sizeof(kt)},
	                    {CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always)}};
	CK_MECHANISM rsa = {CKM_SHA256_RSA_PKCS, NULL, 0}, ec = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE data[32] = "akis-pkcs11 secstate", sig[512];
	CK_ULONG sig_len = sizeof(sig);

	if (p->C_GetAttributeValue(h, k, a, 2) != CKR_OK) {
		step("getattr", CKR_GENERAL_ERROR);
		return;
	}
	if (always && !context)
		return;
	if (step("signinit", p->C_SignInit(h, kt == CKK_EC ? &ec : &rsa, k)) != CKR_OK)
		return;
	if (always)
		step("login-context",
		     p->C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
	step("sign", p->C_Sign(h, data, sizeof(data), sig, &sig_len));
}

static void sign_all(CK_SESSION_HANDLE h, const char *pin, bool context)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof(cls)};
	CK_OBJECT_HANDLE keys[HOLD_MAX_OBJ];
	CK_ULONG n = 0;

	if (p->C_FindObjectsInit(h, &t, 1) != CKR_OK ||
	    p->C_FindObjects(h, keys, HOLD_MAX_OBJ, &n) != CKR_OK ||
	    p->C_FindObjectsFinal(h) != CKR_OK || n == 0) {
		step("findkeys", CKR_GENERAL_ERROR);
		return;
	}
	for (CK_ULONG i = 0; i < n; i++)
		sign_with(h, keys[i], pin, context);
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	CK_ULONG got = 0;

	if (p->C_FindObjectsInit(h, t, n) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (p->C_FindObjects(h, &o, 1, &got) != CKR_OK || got != 1)
		o = CK_INVALID_HANDLE;
	(void)p->C_FindObjectsFinal(h);
	return o;
}

static void decrypt_twice(CK_SESSION_HANDLE h)
{
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, pub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id[64], msg[] = "akis-pkcs11 chain", ct[512], pt[512];
	CK_ATTRIBUTE tk[] = {{CKA_CLASS, &priv, sizeof(priv)},
	                     {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
	                     {CKA_DECRYPT, &yes, sizeof(yes)}};
	CK_ATTRIBUTE ti = {CKA_ID, id, sizeof(id)};
	CK_ATTRIBUTE tp[] = {{CKA_CLASS, &pub, sizeof(pub)}, {CKA_ID, id, 0}};
	CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
	CK_ULONG ct_len = sizeof(ct), pt_len;
	CK_OBJECT_HANDLE k = find_one(h, tk, 3), pk;

	if (k == CK_INVALID_HANDLE || p->C_GetAttributeValue(h, k, &ti, 1) != CKR_OK) {
		step("findkey", CKR_GENERAL_ERROR);
		return;
	}
	tp[1].ulValueLen = ti.ulValueLen;
	pk = find_one(h, tp, 2);
	if (step("encryptinit", p->C_EncryptInit(h, &m, pk)) != CKR_OK ||
	    step("encrypt", p->C_Encrypt(h, msg, sizeof(msg), ct, &ct_len)) != CKR_OK)
		return;
	for (int i = 1; i <= 2; i++) {
		char name[24];

		pt_len = sizeof(pt);
		snprintf(name, sizeof(name), "decrypt%d", i);
		if (p->C_DecryptInit(h, &m, k) != CKR_OK) {
			step("decryptinit", CKR_GENERAL_ERROR);
			return;
		}
		printf("%s 0x%lx\n", name, (unsigned long)p->C_Decrypt(h, ct, ct_len, pt, &pt_len));
	}
	step("plain",
	     pt_len == sizeof(msg) && memcmp(pt, msg, pt_len) == 0 ? CKR_OK : CKR_GENERAL_ERROR);
}

static void do_path(CK_SESSION_HANDLE h, const char *path, const char *pin, const char *puk)
{
	CK_UTF8CHAR_PTR u = (CK_UTF8CHAR_PTR)pin, s = (CK_UTF8CHAR_PTR)puk;
	CK_ULONG ul = strlen(pin), sl = strlen(puk);

	if (strcmp(path, "setpin") == 0) {
		step("setpin", p->C_SetPIN(h, u, ul, u, ul));
		return;
	}
	if (strcmp(path, "login-so") == 0 || strcmp(path, "setpin-so") == 0 ||
	    strcmp(path, "initpin") == 0) {
		step("login-so", p->C_Login(h, CKU_SO, s, sl));
		if (strcmp(path, "setpin-so") == 0)
			step("setpin-so", p->C_SetPIN(h, s, sl, s, sl));
		if (strcmp(path, "initpin") == 0)
			step("initpin", p->C_InitPIN(h, u, ul));
		return;
	}
	step("login", p->C_Login(h, CKU_USER, u, ul));
	if (strcmp(path, "setpin-user") == 0)
		step("setpin-user", p->C_SetPIN(h, u, ul, u, ul));
	else if (strcmp(path, "context") == 0)
		sign_all(h, pin, true);
	else if (strcmp(path, "sign") == 0)
		sign_all(h, pin, false);
	else if (strcmp(path, "decrypt") == 0)
		decrypt_twice(h);
}

static int do_end(void *lib, CK_SESSION_HANDLE h, const char *end)
{
	if (strcmp(end, "kill") == 0) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (strcmp(end, "logout") == 0)
		step("logout", p->C_Logout(h));
	if (strcmp(end, "logout") == 0 || strcmp(end, "close") == 0)
		step("close", p->C_CloseSession(h));
	if (strcmp(end, "logout") == 0 || strcmp(end, "close") == 0 || strcmp(end, "finalize") == 0)
		step("finalize", p->C_Finalize(NULL));
	if (strcmp(end, "unload") == 0)
		step("dlclose", dlclose(lib) == 0 ? CKR_OK : CKR_GENERAL_ERROR);
	return bad;
}

int main(int argc, char **argv)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	void *lib;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: %s MODULE READER PATH END [PIN PUK]\n", argv[0]);
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	gfl = lib ? (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList") : NULL;
	if (gfl == NULL || gfl(&p) != CKR_OK || p->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "%s: cannot load\n", argv[1]);
		return 2;
	}
	slot = find_slot(argv[2]);
	if (slot == (CK_SLOT_ID)-1) {
		fprintf(stderr, "no slot for reader %s\n", argv[2]);
		return 2;
	}
	if (step("tokeninfo", p->C_GetTokenInfo(slot, &ti)) != CKR_OK) {
		printf("tokeninfo-again 0x%lx\n", (unsigned long)p->C_GetTokenInfo(slot, &ti));
		return 1;
	}
	if (strcmp(argv[3], "bind") == 0 && strcmp(argv[4], "kill") != 0)
		return bad;
	if (step("open", p->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                                  &h)) != CKR_OK)
		return 2;
	if (argc == 7 && strcmp(argv[5], "-") == 0) {
		ssize_t n = read(0, stdin_pin, sizeof(stdin_pin) - 1); /* no newline: printf %s */

		stdin_pin[n > 0 ? n : 0] = '\0';
		argv[5] = stdin_pin;
	}
	if (argc != 7)
		default_pins();
	do_path(h, argv[3], argc == 7 ? argv[5] : def_pin, argc == 7 ? argv[6] : def_puk);
	explicit_bzero(stdin_pin, sizeof(stdin_pin));
	scrub_stack();
	return do_end(lib, h, argv[4]);
}
