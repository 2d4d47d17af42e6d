/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-signature PIN compatibility mode through the real module on the
 * bench (R46, issue 13; run by p11_keep.sh with AKIS_PIN_PER_SIGNATURE=login
 * and one card, `vcardctl up` done). The card's APDU log is the witness:
 *  - CKA_ALWAYS_AUTHENTICATE reads FALSE; one C_Login(CKU_USER), then every
 *    signature with the NES key (the card wants a PIN per signature) works,
 *    each verified, with one VERIFY per signature but the first, which the
 *    card lets through on the login's own VERIFY (docs/card.md §3); the RSA
 *    key signs with none; the pages of the kept PIN are locked (VmLck grows
 *    while it is held, and shrinks back);
 *  - another program spending that permission first costs one VERIFY, not
 *    the signature, and counts once against the bounds; after C_SetPIN the
 *    kept PIN is the new one, so the next signature spends no try on the
 *    old one; a wrong old PIN, 6700 or 6A80 to the change leaves it;
 *  - after C_Logout, closing the last session, C_Finalize, a removal, a
 *    reset by another process, another process's LOGOUT (seen as 6982), a
 *    wrong or garbled answer to the re-sent VERIFY, an answer to C_SetPIN
 *    that leaves the card's PIN unknown (then nothing stays verified, seen
 *    from another process), and the bounds of the configuration, the next
 *    signature fails without any VERIFY;
 *  - a context-specific login is still accepted, its PIN is the one used;
 *  - the PUK is never sent.
 * On a card without a PIN-per-signature key (akis-1.x) nothing is kept.
 *   p11_keep MODULE VCARDCTL
 */
#include <dlfcn.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../pkcs11/p11.h"
#include "tap.h"

#define PIN "12345"

static CK_FUNCTION_LIST *p;
static CK_SLOT_ID g_slot;
static const char *g_ctl;

static long log_count(const char *re)
{
	char line[4096];
	long c = 0;
	regex_t rx;
	FILE *f = fopen(getenv("AKIS_CARD_LOG_1"), "r");

	if (f == NULL || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		c += regexec(&rx, line, 0, NULL, 0) == 0;
	fclose(f);
	regfree(&rx);
	return c;
}

/* VERIFY of the user PIN with data (the card log writes it as <redacted>;
 * a status VERIFY carries none, with or without Le). */
static long verifies(void)
{
	return log_count("^C 00200081[0-9A-F]{2}<redacted>");
}

/* The module's status VERIFY of the user PIN (no Lc, no Le). */
static long status_queries(void)
{
	return log_count("^C 00200081[[:space:]]*$");
}

static long puk_sent(void)
{
	return log_count("^C 0020008[2][0-9A-F]{2}|^C 002C");
}

static int ctl(const char *fmt, const char *arg)
{
	char cmd[512];
	int st;

	snprintf(cmd, sizeof(cmd), "%s ", g_ctl);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, arg);
	strncat(cmd, " >/dev/null 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	fflush(stdout);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static CK_SLOT_ID find_slot(void)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 8;

	/* a NULL list makes the module look at the readers again */
	if (p->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n == 0 || n > 8 ||
	    p->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n == 0)
		return (CK_SLOT_ID)-1;
	return slots[0];
}

static CK_SESSION_HANDLE open_login(bool login)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	if (p->C_OpenSession(g_slot, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (login && p->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 5) != CKR_OK)
		return CK_INVALID_HANDLE;
	return h;
}

/* The private key whose CKA_KEY_TYPE is kt, its public twin, and whether
 * the card wants a PIN per signature for it (akis-2: the EC NES key). */
struct key {
	CK_OBJECT_HANDLE priv, pub;
	CK_KEY_TYPE type;
};

static bool find_key(CK_SESSION_HANDLE h, CK_KEY_TYPE kt, struct key *k)
{
	CK_OBJECT_CLASS pc = CKO_PRIVATE_KEY, uc = CKO_PUBLIC_KEY;
	CK_BYTE id[64];
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &pc, sizeof(pc)}, {CKA_KEY_TYPE, &kt, sizeof(kt)}};
	CK_ATTRIBUTE ia = {CKA_ID, id, sizeof(id)};
	CK_ATTRIBUTE u[] = {{CKA_CLASS, &uc, sizeof(uc)}, {CKA_ID, id, 0}};
	CK_ULONG n = 0;

	k->type = kt;
	if (p->C_FindObjectsInit(h, t, 2) != CKR_OK ||
	    p->C_FindObjects(h, &k->priv, 1, &n) != CKR_OK || p->C_FindObjectsFinal(h) != CKR_OK ||
	    n != 1)
		return false;
	if (p->C_GetAttributeValue(h, k->priv, &ia, 1) != CKR_OK)
		return false;
	u[1].ulValueLen = ia.ulValueLen;
	return p->C_FindObjectsInit(h, u, 2) == CKR_OK &&
	       p->C_FindObjects(h, &k->pub, 1, &n) == CKR_OK &&
	       p->C_FindObjectsFinal(h) == CKR_OK && n == 1;
}

/* One signature with C_Sign, checked with C_Verify (software, R31). */
static CK_RV sign_once(CK_SESSION_HANDLE h, const struct key *k, bool context)
{
	CK_MECHANISM m = {k->type == CKK_EC ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE data[] = "an invoice hash stands here", sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = p->C_SignInit(h, &m, k->priv);

	if (rv != CKR_OK)
		return rv;
	if (context &&
	    (rv = p->C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)PIN, 5)) != CKR_OK)
		return rv;
	rv = p->C_Sign(h, data, sizeof(data) - 1, sig, &sl);
	if (rv != CKR_OK)
		return rv;
	if (p->C_VerifyInit(h, &m, k->pub) != CKR_OK)
		return CKR_GENERAL_ERROR;
	return p->C_Verify(h, data, sizeof(data) - 1, sig, sl) == CKR_OK ? CKR_OK
	                                                                 : CKR_SIGNATURE_INVALID;
}

static CK_BBOOL always_auth(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	CK_BBOOL b = 0xFF;
	CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &b, sizeof(b)};

	return p->C_GetAttributeValue(h, o, &a, 1) == CKR_OK ? b : 0xFF;
}

/* After `what`, the NES key's next signature fails with `want` and sends no
 * VERIFY. h: a session (re-opened by the caller when needed). */
static void refused_without_verify(CK_SESSION_HANDLE h, const struct key *nes, CK_RV want,
                                   const char *what)
{
	long v0 = verifies();
	CK_RV rv = sign_once(h, nes, false);

	check(rv == want, "%s: the next NES signature → 0x%lx (got 0x%lx)", what, want, rv);
	check(verifies() == v0, "%s: no VERIFY sent (%ld)", what, verifies() - v0);
}

static void test_signing(const struct key *nes, const struct key *rsa, long lck0)
{
	CK_SESSION_HANDLE h = open_login(true);
	long v0 = verifies(), rsa0;
	int ok = 0;
	CK_RV rv;

	check(vmlck_kb() > lck0, "the kept PIN's page is locked (VmLck %ld → %ld kB)", lck0,
	      vmlck_kb());
	rv = sign_once(h, nes, false);
	check(rv == CKR_OK && verifies() == v0,
	      "the first NES signature after C_Login goes on the login's VERIFY: none sent "
	      "(0x%lx, %ld)",
	      rv, verifies() - v0);
	for (int i = 0; i < 5; i++)
		ok += sign_once(h, nes, false) == CKR_OK;
	check(ok == 5, "then 5 NES signatures without a context login, each verified (%d)", ok);
	check(verifies() - v0 == 5, "exactly one VERIFY for each of them (%ld for 5)",
	      verifies() - v0);
	rsa0 = verifies();
	check(sign_once(h, rsa, false) == CKR_OK && verifies() == rsa0,
	      "the RSA key (no PIN per signature) signs with no VERIFY");
	v0 = verifies();
	rv = sign_once(h, nes, true);
	check(rv == CKR_OK && verifies() - v0 == 1,
	      "a context-specific login is still accepted, and its VERIFY is the only one (%ld)",
	      verifies() - v0);
	check(p->C_Logout(h) == CKR_OK, "C_Logout");
	check(vmlck_kb() == lck0, "after C_Logout the kept PIN's page is gone (VmLck %ld kB)",
	      vmlck_kb());
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "C_Logout");
	p->C_CloseSession(h);
}

static void test_close_finalize(const struct key *nes)
{
	CK_SESSION_HANDLE h = open_login(true);

	check(p->C_CloseSession(h) == CKR_OK, "close the last session");
	h = open_login(false);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "last session closed");
	p->C_CloseSession(h);
	h = open_login(true);
	(void)h;
	check(p->C_Finalize(NULL) == CKR_OK && p->C_Initialize(NULL) == CKR_OK,
	      "C_Finalize with a PIN kept, C_Initialize");
	g_slot = find_slot();
	h = open_login(false);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "C_Finalize");
	p->C_CloseSession(h);
}

/* Removal: the session goes; reset: the login goes (R32, R33). */
static void test_removal_reset(struct key *nes, struct key *rsa, long lck0)
{
	CK_SESSION_HANDLE h = open_login(true);
	CK_ULONG n = 0;
	long v0 = verifies();
	CK_RV rv;

	ctl("remove 1", NULL);
	usleep(1500 * 1000);
	p->C_GetSlotList(CK_FALSE, NULL, &n); /* the module looks at the readers */
	check(vmlck_kb() == lck0, "removal: the kept PIN is wiped once it is seen (VmLck %ld kB)",
	      vmlck_kb());
	rv = sign_once(h, nes, false);
	check(rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_REMOVED,
	      "removal: the old session's signature → 0x%lx", rv);
	ctl("insert 1", NULL);
	usleep(1500 * 1000);
	check(verifies() == v0, "removal: no VERIFY after it");
	g_slot = find_slot();
	h = open_login(true);
	check(h != CK_INVALID_HANDLE && find_key(h, CKK_EC, nes) && find_key(h, CKK_RSA, rsa),
	      "the card back: log in again (a new binding: new handles)");
	ctl("pcsc-reset 1", NULL);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "a reset by another process");
	p->C_CloseSession(h);
}

/* Another process's LOGOUT is seen as 6982 on the RSA key. */
static void test_foreign_logout(const struct key *nes, const struct key *rsa)
{
	CK_SESSION_HANDLE h = open_login(true);
	char cmd[512];
	CK_RV rv;

	snprintf(cmd, sizeof(cmd), "%s send '%s' 00A4080C023D00 801A0000 >/dev/null",
	         getenv("PCSC_APDU"), getenv("AKIS_READER_1"));
	check(system(cmd) == 0, "another process sends LOGOUT");
	rv = sign_once(h, rsa, false);
	check(rv == CKR_USER_NOT_LOGGED_IN, "another process's LOGOUT: the RSA key → 0x%lx", rv);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "another process's LOGOUT seen");
	p->C_CloseSession(h);
}

/* The re-sent VERIFY answered other than 9000: never re-sent. After a
 * first signature (on the login's VERIFY), the NES signature's commands
 * are SELECT, VERIFY, MSE, PSO: the VERIFY is #2. */
static void test_bad_answer(const struct key *nes, const char *spec, CK_RV want)
{
	CK_SESSION_HANDLE h = open_login(true);
	char what[64];
	long v0;
	CK_RV rv;

	check(sign_once(h, nes, false) == CKR_OK, "%s: a first signature", spec);
	ctl("fault 1 '2 %s'", spec);
	v0 = verifies();
	rv = sign_once(h, nes, false);
	ctl("fault 1 clear", NULL);
	snprintf(what, sizeof(what), "the re-sent VERIFY answered '%s'", spec);
	check(rv == want, "%s → 0x%lx (got 0x%lx)", what, want, rv);
	check(verifies() - v0 == 1, "%s: it was sent once (%ld)", what, verifies() - v0);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, what);
	p->C_CloseSession(h);
}

/* Another program takes the permission of our login's VERIFY (its own
 * VERIFY and a PSO with the NES key, raw): our first signature is refused
 * by the card, then made with one VERIFY of the kept PIN. */
static bool other_program_signs(void)
{
	char cmd[768], pso[2 * 48 + 1];

	memset(pso, 'C', sizeof(pso) - 1);
	pso[sizeof(pso) - 1] = 0;
	snprintf(cmd, sizeof(cmd),
	         "%s send '%s' 00A4080C023D00 00200081053132333435 002241B606800104840181 "
	         "002A9E9A30%s00 | tail -1 | grep -q '9000$'",
	         getenv("PCSC_APDU"), getenv("AKIS_READER_1"), pso);
	return system(cmd) == 0;
}

/* Another process's status VERIFY of the user PIN, in the application DF,
 * answers a status word matching re (an ERE); false also when the card does
 * not answer. */
static bool pin_status_outside(const char *re)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "%s send '%s' 00A4080C023D00 0020008100 | tail -1 | grep -qE '%s$'",
	         getenv("PCSC_APDU"), getenv("AKIS_READER_1"), re);
	return system(cmd) == 0;
}

/* 9000: the user PIN is verified. */
static bool pin_verified_seen_outside(void)
{
	return pin_status_outside("9000");
}

static void test_grant_taken(const struct key *nes)
{
	CK_SESSION_HANDLE h = open_login(true);
	long v0;

	check(other_program_signs(), "another program signs with the NES key on its own VERIFY");
	v0 = verifies();
	check(sign_once(h, nes, false) == CKR_OK,
	      "the login's VERIFY spent elsewhere: our NES signature is still made");
	check(verifies() - v0 == 1, "… with one VERIFY of the kept PIN (%ld)", verifies() - v0);
	p->C_CloseSession(h);
}

/* C_SetPIN while a PIN is kept: the kept PIN becomes the new one. */
static CK_RV set_pin(CK_SESSION_HANDLE h, const char *old_pin, const char *new_pin)
{
	return p->C_SetPIN(h, (CK_UTF8CHAR_PTR)old_pin, strlen(old_pin), (CK_UTF8CHAR_PTR)new_pin,
	                   strlen(new_pin));
}

static bool pin_tries_full(void)
{
	CK_TOKEN_INFO ti;

	return p->C_GetTokenInfo(g_slot, &ti) == CKR_OK &&
	       !(ti.flags &
	         (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));
}

static void test_set_pin(const struct key *nes)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	long v0;
	CK_RV rv;

	if (p->C_OpenSession(g_slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) !=
	            CKR_OK ||
	    p->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 5) != CKR_OK) {
		check(false, "C_SetPIN: a read-write session, logged in");
		return;
	}
	check(sign_once(h, nes, false) == CKR_OK, "C_SetPIN: a first NES signature");
	check(set_pin(h, PIN, "54321") == CKR_OK, "C_SetPIN 12345 → 54321 while the PIN is kept");
	v0 = verifies();
	rv = sign_once(h, nes, false);
	check(rv == CKR_OK && verifies() - v0 == 1,
	      "after C_SetPIN the next NES signature is made with the new PIN (0x%lx, %ld VERIFY)",
	      rv, verifies() - v0);
	check(pin_tries_full(), "after C_SetPIN no try was spent on the old PIN");
	check(set_pin(h, "54321", PIN) == CKR_OK, "C_SetPIN back to 12345");
	check(sign_once(h, nes, false) == CKR_OK && pin_tries_full(),
	      "and the next NES signature again, no try spent");
	/* answers of the card that prove its PIN unchanged leave the kept one:
	 * 63Cx (a wrong old PIN), 6700 and 6A80 (made by the bench in place of
	 * the card's answer, the change not run) */
	rv = set_pin(h, "99999", "54321");
	check(rv == CKR_PIN_INCORRECT, "C_SetPIN with a wrong old PIN → CKR_PIN_INCORRECT (0x%lx)",
	      rv);
	for (int i = 0; i < 2; i++) {
		static const char *const spec[] = {"sw 6700", "sw 6A80"};
		static const CK_RV want[] = {CKR_PIN_LEN_RANGE, CKR_PIN_INVALID};
		long c0 = log_count("^C 00240081");

		ctl("fault 1 '2 %s'", spec[i]);
		rv = set_pin(h, PIN, "54321");
		ctl("fault 1 clear", NULL);
		check(rv == want[i] && log_count("^C 00240081") - c0 == 1,
		      "C_SetPIN answered '%s' → 0x%lx (0x%lx)", spec[i], want[i], rv);
	}
	v0 = verifies();
	rv = sign_once(h, nes, false);
	check(rv == CKR_OK && verifies() - v0 == 1 && pin_tries_full(),
	      "after them the kept PIN still signs, one VERIFY, tries full again (0x%lx, %ld)", rv,
	      verifies() - v0);
	p->C_Logout(h);
	p->C_CloseSession(h);
}

/* The re-sent VERIFY answered unclearly (6F00, the command not run) and
 * the card is gone at the status query that follows: C_Sign says
 * CKR_DEVICE_REMOVED (not CKR_DEVICE_ERROR), the kept PIN was sent once
 * and is wiped; with the card back nothing is verified and the module
 * sends no VERIFY on its own (docs/design.md "Per-signature PIN
 * compatibility mode"). After a first signature the NES signature's
 * commands are SELECT, VERIFY (#2), then the status VERIFY (#3). */
static void test_gone_at_status(struct key *nes, struct key *rsa, long lck0)
{
	CK_SESSION_HANDLE h = open_login(true);
	const char *what = "card gone at the status query after the kept PIN's VERIFY";
	CK_TOKEN_INFO ti;
	long v0, s0;
	CK_RV rv;

	check(sign_once(h, nes, false) == CKR_OK, "%s: a first signature", what);
	ctl("fault 1 '2 sw 6F00'", NULL);
	ctl("fault-add 1 '3 drop'", NULL);
	v0 = verifies();
	s0 = status_queries();
	rv = sign_once(h, nes, false);
	ctl("fault 1 clear", NULL);
	check(rv == CKR_DEVICE_REMOVED, "%s → CKR_DEVICE_REMOVED (got 0x%lx)", what, rv);
	check(verifies() - v0 == 1 && status_queries() - s0 == 1,
	      "%s: one VERIFY with the kept PIN, one status query (%ld, %ld)", what,
	      verifies() - v0, status_queries() - s0);
	check(vmlck_kb() == lck0, "%s: the kept PIN is wiped (VmLck %ld kB)", what, vmlck_kb());
	usleep(2500 * 1000); /* the bench brings the card back after 1.2 s */
	g_slot = find_slot();
	check(pin_status_outside("63C[1-3]"),
	      "%s: the card back, another process finds the PIN not verified (63Cx)", what);
	h = open_login(false);
	check(h != CK_INVALID_HANDLE && p->C_GetTokenInfo(g_slot, &ti) == CKR_OK,
	      "%s: the card back, a public session on the new token", what);
	check(verifies() - v0 == 1, "%s: the card back and bound again, no VERIFY since (%ld)",
	      what, verifies() - v0 - 1);
	p->C_CloseSession(h);
	h = open_login(true); /* the keys' new handles, for what follows */
	check(h != CK_INVALID_HANDLE && find_key(h, CKK_EC, nes) && find_key(h, CKK_RSA, rsa),
	      "%s: log in again, a new binding", what);
	p->C_Logout(h);
	p->C_CloseSession(h);
}

/* An answer to CHANGE REFERENCE DATA that leaves the module unsure which
 * PIN the card holds (here the card kept the old one, unchanged by the
 * fault; it could as well have taken the new one): the kept PIN is never
 * sent again and the login ends; nothing stays verified on the card. */
static void test_set_pin_unclear(const struct key *nes, const char *spec)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_SESSION_INFO si;
	char what[96];
	long c0;
	CK_RV rv;

	snprintf(what, sizeof(what), "C_SetPIN answered '%s'", spec);
	if (p->C_OpenSession(g_slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) !=
	            CKR_OK ||
	    p->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 5) != CKR_OK) {
		check(false, "%s: a read-write session, logged in", what);
		return;
	}
	check(sign_once(h, nes, false) == CKR_OK, "%s: a first NES signature", what);
	c0 = log_count("^C 00240081");
	/* the transaction's commands: SELECT, CHANGE REFERENCE DATA */
	ctl("fault 1 '2 %s'", spec);
	rv = set_pin(h, PIN, "54321");
	ctl("fault 1 clear", NULL);
	check(rv != CKR_OK && log_count("^C 00240081") - c0 == 1,
	      "%s: the change was sent once and is an error (0x%lx)", what, rv);
	memset(&si, 0xFF, sizeof(si));
	rv = p->C_GetSessionInfo(h, &si);
	check(rv == CKR_OK && si.state == CKS_RW_PUBLIC_SESSION,
	      "%s: the login has ended (0x%lx, state %lu)", what, rv, si.state);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, what);
	check(!pin_verified_seen_outside(), "%s: another process finds the PIN not verified", what);
	check(other_program_signs(), "%s: the card's PIN is still 12345", what);
	p->C_CloseSession(h);
}

static void test_bounds(const struct key *nes)
{
	CK_SESSION_HANDLE h = open_login(true);
	int ok = 0;

	for (int i = 0; i < 3; i++)
		ok += sign_once(h, nes, false) == CKR_OK;
	check(ok == 3, "pin_per_signature_max_signatures = 3: three signatures");
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "the fourth, past the bound");
	p->C_CloseSession(h);
	/* the login's VERIFY spent by another program: the first signature
	 * takes two tries on the card, and still counts once */
	h = open_login(true);
	check(other_program_signs(), "bounds: another program spends the login's VERIFY");
	ok = 0;
	for (int i = 0; i < 3; i++)
		ok += sign_once(h, nes, false) == CKR_OK;
	check(ok == 3, "bounds: three signatures all the same, the first one re-tried (%d)", ok);
	refused_without_verify(h, nes, CKR_USER_NOT_LOGGED_IN, "bounds: the fourth");
	p->C_CloseSession(h);
}

int main(int argc, char **argv)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	void *lib;
	struct key nes, rsa;
	CK_SESSION_HANDLE h;
	long lck0;
	bool consent;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MODULE VCARDCTL basic|bounds\n", argv[0]);
		return 2;
	}
	g_ctl = argv[2];
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	gfl = lib ? (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList") : NULL;
	if (gfl == NULL || gfl(&p) != CKR_OK || p->C_Initialize(NULL) != CKR_OK ||
	    (g_slot = find_slot()) == (CK_SLOT_ID)-1)
		return 2;
	tap_tag = getenv("AKIS_PROFILE_1") ? getenv("AKIS_PROFILE_1") : "";
	lck0 = vmlck_kb();
	h = open_login(true); /* private keys are visible once logged in */
	consent = find_key(h, CKK_EC, &nes);
	check(find_key(h, CKK_RSA, &rsa), ": an RSA key");
	if (!consent) { /* akis-1.x: no key wants a PIN per signature */
		check(vmlck_kb() == lck0, ": no PIN-per-signature key, nothing kept (VmLck %ld kB)",
		      vmlck_kb());
		check(sign_once(h, &rsa, false) == CKR_OK, ": the RSA key signs");
		p->C_Finalize(NULL);
		check(puk_sent() == 0, ": the PUK was never sent");
		return tap_summary();
	}
	tap_tag = "akis-2: ";
	check(always_auth(h, nes.priv) == CK_FALSE,
	      "the NES key reads CKA_ALWAYS_AUTHENTICATE = FALSE in this mode");
	p->C_Logout(h);
	p->C_CloseSession(h);
	if (strcmp(argv[3], "bounds") == 0) {
		test_bounds(&nes);
	} else {
		test_signing(&nes, &rsa, lck0);
		test_close_finalize(&nes);
		test_removal_reset(&nes, &rsa, lck0);
		test_foreign_logout(&nes, &rsa);
		test_grant_taken(&nes);
		test_set_pin(&nes);
		test_set_pin_unclear(&nes, "sw 6F00");
		test_set_pin_unclear(&nes, "garbage 1");
		test_set_pin_unclear(&nes, "sw 6D00"); /* no status word proves anything */
		test_bad_answer(&nes, "sw 63C2", CKR_PIN_INCORRECT);
		test_bad_answer(&nes, "sw 6F00", CKR_DEVICE_ERROR);
		test_bad_answer(&nes, "garbage 1", CKR_DEVICE_ERROR);
		test_gone_at_status(&nes, &rsa, lck0);
		test_bad_answer(&nes, "sw 6983",
		                CKR_PIN_LOCKED); /* last: the token thinks it blocked */
	}
	p->C_Finalize(NULL);
	check(puk_sent() == 0, "the PUK was never sent");
	return tap_summary();
}
