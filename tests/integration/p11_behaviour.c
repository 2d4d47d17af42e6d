/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The real module (dlopen) through pcscd + vpcd + akis-vcard: R1-R3, R5,
 * R7, R8, R10-R12, R14-R18, R20-R22, R32, R33, R35, and two threads on two
 * cards. The bench is tests/vcardctl ($VCARDCTL); this program brings it up
 * itself (R3: slots appear once pcscd is up) with two cards of the profiles
 * $P11_PROFILES ("P0,P1"), and takes the bench's environment (AKIS_READER_i,
 * AKIS_CARD_DIR_i, AKIS_CARD_LOG_i, AKIS_PROFILE_i) from `vcardctl up`.
 * Card n here is vcardctl's card n+1; card 1 is the one of the login,
 * wrong-PIN, reset, removal and fork tests. The card logs tell which APDUs
 * were sent. Every test starts from fresh_state(). With P11_PCSCD_FOREIGN=1
 * (a pcscd not started by the bench is running) the checks that need pcscd
 * absent or restarted are skipped, with a "# skip:" line.
 *   VCARDCTL=tests/vcardctl P11_PROFILES=akis-2,akis-1.2 p11_behaviour MODULE.so
 * Prints "ok - ..." / "FAIL - ..." lines and "N passed, N failed".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <winscard.h>

#include "../../pkcs11/p11.h"
#include "tap.h"

static CK_FUNCTION_LIST *p;
static char tag[64]; /* "[akis-2+akis-1.2] ": which profile pair a line belongs to */
static bool foreign_pcscd;

static void skip(const char *fmt, ...)
{
	va_list ap;

	printf("# skip: %s", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define CHECK_RV(call, want)                                                                       \
	do {                                                                                       \
		CK_RV rv_ = (call);                                                                \
		check(rv_ == (CK_RV)(want), "%s = 0x%lx (want 0x%lx)", #call, rv_, (CK_RV)(want)); \
	} while (0)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ----- the bench (tests/vcardctl) ----- */

/* The bench's value NAME_<card+1> (AKIS_READER, AKIS_CARD_LOG, ...), or "". */
static const char *card_env(const char *name, int card)
{
	char var[64];
	const char *v;

	snprintf(var, sizeof(var), "%s_%d", name, card + 1);
	v = getenv(var);
	return v ? v : "";
}

/* `vcardctl up`: parse its "export NAME='VALUE'" lines into our environment. */
static bool bench_up(void)
{
	char cmd[512], line[1024];
	const char *prof = getenv("P11_PROFILES");
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s up --cards 2 --profile '%s'", getenv("VCARDCTL"),
	         prof ? prof : "akis-2,akis-1.2");
	f = popen(cmd, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = line + 7, *eq, *val, *end;

		if (strncmp(line, "export ", 7) != 0 || (eq = strchr(name, '=')) == NULL)
			continue;
		*eq = '\0';
		val = eq + 1;
		val[strcspn(val, "\n")] = '\0';
		end = val + strlen(val);
		if (*val == '\'' && end > val + 1 && end[-1] == '\'') {
			end[-1] = '\0';
			val++;
		}
		setenv(name, val, 1);
		n++;
	}
	return pclose(f) == 0 && n > 0;
}

/* Lines of card n's APDU log matching the extended regex `re`. */
static long log_count(int n, const char *re)
{
	char line[4096];
	long c = 0;
	regex_t rx;
	FILE *f;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return -1;
	f = fopen(card_env("AKIS_CARD_LOG", n), "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			c += regexec(&rx, line, 0, NULL, 0) == 0;
		fclose(f);
	}
	regfree(&rx);
	return c;
}

/* The program's bench verbs: "up", "pcscd-stop", "pcscd-start", "restore",
 * "remove N", "insert N", "latency N US", "fault N SPEC" (card N = vcardctl's
 * N+1), and the counters "apdus N", "verifies N", "logouts N". Returns the
 * count, or the verb's exit status (0 = done). */
static long bench(const char *fmt, ...)
{
	char cmd[512], args[256], verb[32] = "", rest[200] = "";
	const char *ctl = getenv("VCARDCTL");
	int n = -1, st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (sscanf(args, "%31s %d %199[^\n]", verb, &n, rest) < 1)
		return -1;
	if (strcmp(verb, "apdus") == 0)
		return log_count(n, "^C ");
	/* VERIFY with data (a PIN sent); the status form "00 20 00 ref" has no Lc */
	if (strcmp(verb, "verifies") == 0)
		return log_count(n, "^C 0020(00|01)(81|82)[0-9A-F]{2}");
	if (strcmp(verb, "logouts") == 0)
		return log_count(n, "^C 801A0000");
	if (strcmp(verb, "up") == 0)
		return bench_up() ? 0 : 1;
	if (strcmp(verb, "pcscd-stop") == 0)
		snprintf(cmd, sizeof(cmd), "%s stop-pcscd", ctl);
	else if (strcmp(verb, "pcscd-start") == 0)
		snprintf(cmd, sizeof(cmd), "%s start-pcscd", ctl);
	else if (strcmp(verb, "restore") == 0)
		snprintf(cmd, sizeof(cmd), "%s restore", ctl);
	else if (strcmp(verb, "latency") == 0)
		snprintf(cmd, sizeof(cmd), "%s latency %d %s 0", ctl, n + 1, rest);
	else
		snprintf(cmd, sizeof(cmd), "%s %s %d %s >/dev/null", ctl, verb, n + 1, rest);
	fflush(stdout);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* What a card of that profile reports as CK_TOKEN_INFO.model (docs/card.md §1). */
static const char *model_of(const char *profile)
{
	if (strcmp(profile, "akis-1.0") == 0)
		return "AKIS v1.0";
	if (strcmp(profile, "akis-1.2") == 0)
		return "AKIS v1.2";
	if (strcmp(profile, "akis-2") == 0)
		return "AKIS v2";
	return "?";
}

/* Keys provisioned with userConsent (a PIN per signature) on card n, from
 * its card.conf ("key = REF ALG USAGE USER_CONSENT PEM"). */
static int consent_keys(int n)
{
	char path[512], line[512], ref[8], alg[32], use[64];
	int uc, c = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/card.conf", card_env("AKIS_CARD_DIR", n));
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "key = %7s %31s %63s %d", ref, alg, use, &uc) == 4 && uc)
			c++;
	fclose(f);
	return c;
}

/* ----- helpers over the module ----- */

static CK_ULONG slot_list(CK_SLOT_ID *ids, CK_ULONG cap, CK_BBOOL present)
{
	CK_ULONG n = 0;

	if (p->C_GetSlotList(present, NULL, &n) != CKR_OK || n > cap)
		return 0;
	if (p->C_GetSlotList(present, ids, &n) != CKR_OK)
		return 0;
	return n;
}

/* Is desc (CK_SLOT_INFO.slotDescription) the reader name, blank-padded (R7)? */
static bool is_reader(const CK_UTF8CHAR desc[64], const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || memcmp(desc, name, len) != 0)
		return false;
	for (size_t i = len; i < 64; i++)
		if (desc[i] != ' ')
			return false;
	return true;
}

/* The slot of card i: its reader is the bench's AKIS_READER_<i+1>. */
static bool slot_of_card(int i, CK_SLOT_ID *out)
{
	CK_SLOT_ID ids[16];
	CK_SLOT_INFO si;
	CK_ULONG n = slot_list(ids, 16, CK_FALSE);

	for (CK_ULONG k = 0; k < n; k++) {
		if (p->C_GetSlotInfo(ids[k], &si) != CKR_OK)
			continue;
		if (is_reader(si.slotDescription, card_env("AKIS_READER", i))) {
			*out = ids[k];
			return true;
		}
	}
	return false;
}

static CK_SESSION_HANDLE open_session(CK_SLOT_ID slot, bool rw)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_FLAGS f = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);

	if (p->C_OpenSession(slot, f, NULL, NULL, &h) != CKR_OK)
		return CK_INVALID_HANDLE;
	return h;
}

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	if (p->C_GetTokenInfo(slot, &ti) != CKR_OK)
		return 0;
	return ti.flags;
}

/* First object of a class (with CKA_ALWAYS_AUTHENTICATE == aa for private
 * keys when aa >= 0). */
static CK_OBJECT_HANDLE find_obj(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int aa)
{
	CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof(cls)};
	CK_OBJECT_HANDLE h[16], found = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	if (p->C_FindObjectsInit(s, &t, 1) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (p->C_FindObjects(s, h, 16, &n) != CKR_OK)
		n = 0;
	p->C_FindObjectsFinal(s);
	for (CK_ULONG i = 0; i < n && found == CK_INVALID_HANDLE; i++) {
		CK_BBOOL v = CK_FALSE;
		CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &v, sizeof(v)};

		if (aa < 0)
			found = h[i];
		else if (p->C_GetAttributeValue(s, h[i], &a, 1) == CKR_OK && (int)v == aa)
			found = h[i];
	}
	return found;
}

static CK_MECHANISM_TYPE sign_mech(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};

	if (p->C_GetAttributeValue(s, key, &a, 1) != CKR_OK)
		return CKM_SHA256_RSA_PKCS;
	return kt == CKK_EC ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS;
}

static CK_RV sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM m = {sign_mech(s, key), NULL, 0};
	CK_BYTE data[] = "akis-pkcs11 behaviour test", sig[1024];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = p->C_SignInit(s, &m, key);

	if (rv != CKR_OK)
		return rv;
	return p->C_Sign(s, data, sizeof(data) - 1, sig, &sl);
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE u, const char *pin)
{
	return p->C_Login(s, u, (CK_UTF8CHAR *)pin, pin ? strlen(pin) : 0);
}

/* Every test starts here: module initialised, no session open (so nobody
 * logged in), both cards inserted with no fault, latency 0 and PINs, tries
 * and life cycle as provisioned (vcardctl restore), both slots with a token,
 * no slot event pending. One failed test must not fail the next ones. */
static void fresh_state(const char *test)
{
	CK_SLOT_ID ids[16], slot, got;
	CK_TOKEN_INFO ti;
	CK_INFO info;
	CK_ULONG n;
	double t;

	if (p->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED && p->C_Initialize(NULL) != CKR_OK)
		printf("# fresh_state before %s: C_Initialize failed\n", test);
	n = slot_list(ids, 16, CK_FALSE);
	for (CK_ULONG k = 0; k < n; k++)
		p->C_CloseAllSessions(ids[k]);
	if (bench("restore") != 0)
		printf("# fresh_state before %s: vcardctl restore failed\n", test);
	for (int i = 0; i < 2; i++) {
		t = now();
		while (!(slot_of_card(i, &slot) && p->C_GetTokenInfo(slot, &ti) == CKR_OK) &&
		       now() - t < 5.0)
			sleep_ms(50);
		if (now() - t >= 5.0)
			printf("# fresh_state before %s: card %d is no token after 5 s\n", test, i);
	}
	while (p->C_WaitForSlotEvent(CKF_DONT_BLOCK, &got, NULL) == CKR_OK)
		; /* drain */
	fflush(stdout);
}

/* ----- R1-R3: before the bench is up ----- */

static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *x = malloc(sizeof(*x));

	pthread_mutex_init(x, NULL);
	*m = x;
	return CKR_OK;
}
static CK_RV app_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}
static CK_RV app_lock(CK_VOID_PTR m)
{
	return pthread_mutex_lock(m) ? CKR_GENERAL_ERROR : CKR_OK;
}
static CK_RV app_unlock(CK_VOID_PTR m)
{
	return pthread_mutex_unlock(m) ? CKR_GENERAL_ERROR : CKR_OK;
}

static void test_init_forms(void)
{
	char nss[] = "configdir='sql:/nonexistent'";
	CK_C_INITIALIZE_ARGS forms[] = {
	        {NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL},
	        {app_create, app_destroy, app_lock, app_unlock,
	         CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS, nss},
	        {app_create, app_destroy, app_lock, app_unlock, 0, NULL},
	        {NULL, NULL, NULL, NULL, 0, nss},
	};
	CK_C_INITIALIZE_ARGS mixed = {app_create, NULL, app_lock, NULL, 0, NULL};

	CHECK_RV(p->C_Initialize(NULL), CKR_OK);
	CHECK_RV(p->C_Finalize(NULL), CKR_OK);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		CK_RV rv = p->C_Initialize(&forms[i]);

		check(rv == CKR_OK, "R1: C_Initialize form %zu = 0x%lx", i, rv);
		CHECK_RV(p->C_Finalize(NULL), CKR_OK);
	}
	CHECK_RV(p->C_Initialize(&mixed), CKR_ARGUMENTS_BAD);
}

static void test_no_pcscd(void)
{
	CK_INFO info;
	CK_ULONG n = 99;
	double t = now();

	CHECK_RV(p->C_Initialize(NULL), CKR_OK);
	CHECK_RV(p->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED); /* R2 */
	CHECK_RV(p->C_GetInfo(&info), CKR_OK);
	CHECK_RV(p->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	if (foreign_pcscd)
		skip("R3: no pcscd: zero slots (a pcscd not started by the bench is running: %lu "
		     "slots)",
		     n);
	else
		check(n == 0, "R3: no pcscd: %lu slots", n);
	check(now() - t < 2.0, "R3: no hang %s (%.2f s)",
	      foreign_pcscd ? "before the cards are up" : "without pcscd", now() - t);
}

/* ----- R3 continued: the bench comes up; slots appear ----- */

static bool test_slots_appear(void)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 0;
	double t;
	bool up = bench("up") == 0;

	check(up && *card_env("AKIS_READER", 0) && *card_env("AKIS_READER", 1),
	      "bench: vcardctl up, readers '%s' (%s) and '%s' (%s)", card_env("AKIS_READER", 0),
	      card_env("AKIS_PROFILE", 0), card_env("AKIS_READER", 1), card_env("AKIS_PROFILE", 1));
	t = now();
	while (now() - t < 5.0 && (n = slot_list(ids, 16, CK_TRUE)) < 2)
		sleep_ms(100);
	check(n >= 2, "R3: slots with a token appear once %s (%lu with a token)",
	      foreign_pcscd ? "the cards are up" : "pcscd is up", n);
	return up;
}

/* ----- R7, R8, R11, R12 ----- */

static void token_info_of(int card, CK_SLOT_ID slot)
{
	const char *prof = card_env("AKIS_PROFILE", card), *model = model_of(prof);
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	bool hex = true;

	CHECK_RV(p->C_GetSlotInfo(slot, &si), CKR_OK);
	check(is_reader(si.slotDescription, card_env("AKIS_READER", card)),
	      "R7: card %d: slotDescription '%.64s' = reader name '%s', blank-padded", card,
	      si.slotDescription, card_env("AKIS_READER", card));
	check((si.flags & (CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | CKF_TOKEN_PRESENT)) ==
	              (CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | CKF_TOKEN_PRESENT),
	      "R7: card %d: slot flags 0x%lx", card, si.flags);
	CHECK_RV(p->C_GetTokenInfo(slot, &ti), CKR_OK);
	check(memcmp(ti.label, "AKIS_", 5) == 0 && ti.label[21] == ' ', "R11: card %d: label %.32s",
	      card, ti.label);
	for (int i = 0; i < 16; i++)
		hex = hex && strchr("0123456789ABCDEF", ti.serialNumber[i]) && ti.serialNumber[i];
	check(hex && memcmp(ti.label + 5, ti.serialNumber, 16) == 0,
	      "R11: card %d: serialNumber %.16s, 16 hex digits, in the label", card,
	      ti.serialNumber);
	check(memcmp(ti.manufacturerID, "TUBITAK BILGEM", 14) == 0,
	      "R11: card %d: manufacturerID %.32s", card, ti.manufacturerID);
	check(memcmp(ti.model, model, strlen(model)) == 0,
	      "R11: card %d (%s): model %.16s (want %s…)", card, prof, ti.model, model);
	check((ti.flags &
	       (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED)) ==
	              (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED),
	      "R12: card %d: token flags 0x%lx", card, ti.flags);
	check(ti.ulMaxSessionCount == CK_EFFECTIVELY_INFINITE &&
	              ti.ulMaxRwSessionCount == CK_EFFECTIVELY_INFINITE,
	      "R12: card %d: session counts effectively infinite", card);
	check(ti.ulMinPinLen == 4 && ti.ulMaxPinLen == 8, "R12: card %d: PIN length %lu..%lu", card,
	      ti.ulMinPinLen, ti.ulMaxPinLen);
}

static void test_slot_token_info(void)
{
	CK_SLOT_ID s0, s1, ids[16];
	CK_TOKEN_INFO t0, t1;
	CK_ULONG n;

	check(slot_of_card(0, &s0) && slot_of_card(1, &s1), "R7: a slot per vpcd reader");
	n = slot_list(ids, 16, CK_FALSE);
	check(n >= 2 && ids[0] != ids[n - 1], "R8: %lu slots listed", n);
	token_info_of(0, s0);
	token_info_of(1, s1);
	check(p->C_GetTokenInfo(s0, &t0) == CKR_OK && p->C_GetTokenInfo(s1, &t1) == CKR_OK &&
	              memcmp(t0.label, t1.label, sizeof(t0.label)) != 0,
	      "R11: the two cards' labels differ");
}

/* ----- R10, R26: no APDU from memory ----- */

static void test_from_memory(void)
{
	CK_SLOT_ID s0;
	CK_SESSION_HANDLE s;
	CK_TOKEN_INFO ti;
	CK_SLOT_INFO si;
	CK_SESSION_INFO ssi;
	CK_OBJECT_HANDLE h[32];
	CK_ULONG n;
	long before, after;
	CK_BYTE buf[4096];
	CK_ATTRIBUTE a = {CKA_VALUE, buf, sizeof(buf)};

	if (!slot_of_card(0, &s0))
		return check(false, "R10: card 0 slot");
	s = open_session(s0, false);
	before = bench("apdus 0");
	for (int i = 0; i < 50; i++) {
		p->C_GetTokenInfo(s0, &ti);
		p->C_GetSlotInfo(s0, &si);
		p->C_GetSessionInfo(s, &ssi);
		p->C_FindObjectsInit(s, NULL, 0);
		n = 0;
		p->C_FindObjects(s, h, 32, &n);
		p->C_FindObjectsFinal(s);
		for (CK_ULONG k = 0; k < n; k++) {
			a.ulValueLen = sizeof(buf);
			p->C_GetAttributeValue(s, h[k], &a, 1);
		}
	}
	after = bench("apdus 0");
	check(before > 0 && after == before, "R10/R26: no APDU over 50 polling loops (%ld → %ld)",
	      before, after);
	p->C_CloseSession(s);
}

/* ----- R14: events ----- */

static CK_RV poll_event(CK_SLOT_ID *slot, double limit)
{
	double t = now();
	CK_RV rv;

	do {
		rv = p->C_WaitForSlotEvent(CKF_DONT_BLOCK, slot, NULL);
		if (rv != CKR_NO_EVENT)
			return rv;
		sleep_ms(50);
	} while (now() - t < limit);
	return rv;
}

struct waiter {
	CK_FLAGS flags;
	CK_RV rv;
	CK_SLOT_ID slot;
	double done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = p->C_WaitForSlotEvent(w->flags, &w->slot, NULL);
	w->done = now();
	return NULL;
}

static void test_events(void)
{
	CK_SLOT_ID s0, got = 999;
	struct waiter w = {0, 0, 0, 0};
	pthread_t th;
	double t;

	if (!slot_of_card(0, &s0))
		return check(false, "R14: card 0 slot");
	while (p->C_WaitForSlotEvent(CKF_DONT_BLOCK, &got, NULL) == CKR_OK)
		; /* drain */
	t = now();
	CHECK_RV(p->C_WaitForSlotEvent(CKF_DONT_BLOCK, &got, NULL), CKR_NO_EVENT);
	check(now() - t < 0.2, "R14: CKF_DONT_BLOCK returns at once");
	bench("remove 0");
	got = 999;
	CHECK_RV(poll_event(&got, 2.0), CKR_OK);
	check(got == s0, "R14: removal reported for slot %lu", got);
	CHECK_RV(poll_event(&got, 0.6), CKR_NO_EVENT); /* exactly once */
	bench("insert 0");
	CHECK_RV(poll_event(&got, 2.0), CKR_OK);
	CHECK_RV(poll_event(&got, 0.6), CKR_NO_EVENT);

	pthread_create(&th, NULL, wait_thread, &w);
	sleep_ms(500);
	t = now();
	bench("remove 0");
	pthread_join(th, NULL);
	check(w.rv == CKR_OK && w.slot == s0 && w.done - t < 1.0,
	      "R14: blocking wait returns 0x%lx for slot %lu within %.2f s", w.rv, w.slot,
	      w.done - t);
	bench("insert 0");
	sleep_ms(300);
	while (p->C_WaitForSlotEvent(CKF_DONT_BLOCK, &got, NULL) == CKR_OK)
		;
}

/* ----- R15, R16 ----- */

static volatile int stop_busy;

static void *busy_thread(void *arg)
{
	CK_SLOT_ID slot = *(CK_SLOT_ID *)arg;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	while (!stop_busy) {
		rv = p->C_GetTokenInfo(slot, &ti);
		if (rv == CKR_CRYPTOKI_NOT_INITIALIZED)
			break;
	}
	return NULL;
}

static void *wait_until_error(void *arg)
{
	struct waiter *w = arg;

	while ((w->rv = p->C_WaitForSlotEvent(0, &w->slot, NULL)) == CKR_OK)
		; /* a real insertion/removal: not what this test waits for */
	w->done = now();
	return NULL;
}

static void test_finalize_races(void)
{
	struct waiter w = {0, 0, 0, 0};
	pthread_t th, busy[2];
	CK_SLOT_ID s0;
	CK_SLOT_ID id;
	double t;

	pthread_create(&th, NULL, wait_until_error, &w);
	sleep_ms(500);
	t = now();
	CHECK_RV(p->C_Finalize(NULL), CKR_OK);
	pthread_join(th, NULL);
	check(w.rv == CKR_CRYPTOKI_NOT_INITIALIZED && w.done - t < 1.0,
	      "R15: C_Finalize wakes C_WaitForSlotEvent: 0x%lx in %.2f s", w.rv, w.done - t);
	CHECK_RV(p->C_Initialize(NULL), CKR_OK); /* immediately */

	if (!slot_of_card(0, &s0))
		return check(false, "R16: card 0 slot");
	id = s0;
	stop_busy = 0;
	pthread_create(&busy[0], NULL, busy_thread, &id);
	pthread_create(&busy[1], NULL, busy_thread, &id);
	sleep_ms(200);
	t = now();
	CHECK_RV(p->C_Finalize(NULL), CKR_OK);
	check(now() - t < 5.0, "R16: C_Finalize with calls in flight returns (%.2f s)", now() - t);
	stop_busy = 1;
	pthread_join(busy[0], NULL);
	pthread_join(busy[1], NULL);
	CHECK_RV(p->C_Initialize(NULL), CKR_OK);
}

/* ----- R17, R18, R21, R22 ----- */

static void test_login(void)
{
	CK_SLOT_ID s1;
	CK_SESSION_HANDLE a, b;
	CK_SESSION_INFO si;
	long v0, v1, lo0;

	if (!slot_of_card(1, &s1))
		return check(false, "R17: card 1 slot");
	a = open_session(s1, false);
	b = open_session(s1, true);
	check(a != CK_INVALID_HANDLE && b != CK_INVALID_HANDLE && a != b, "sessions %lu, %lu", a,
	      b);
	CHECK_RV(login(a, CKU_USER, "12345"), CKR_OK);
	CHECK_RV(p->C_GetSessionInfo(b, &si), CKR_OK);
	check(si.state == CKS_RW_USER_FUNCTIONS,
	      "R17: login on one session logs in all (state %lu)", si.state);
	CHECK_RV(login(b, CKU_USER, "12345"), CKR_USER_ALREADY_LOGGED_IN);
	lo0 = bench("logouts 1");
	CHECK_RV(p->C_Logout(b), CKR_OK);
	check(bench("logouts 1") == lo0 + 1, "R22: C_Logout sends LOGOUT");
	CHECK_RV(p->C_GetSessionInfo(a, &si), CKR_OK);
	check(si.state == CKS_RO_PUBLIC_SESSION, "R17: logout on one session logs out all");
	CHECK_RV(p->C_Logout(a), CKR_USER_NOT_LOGGED_IN);

	/* R18: malformed PINs cost nothing */
	v0 = bench("verifies 1");
	CHECK_RV(login(a, CKU_USER, "12"), CKR_PIN_LEN_RANGE);
	CHECK_RV(login(a, CKU_USER, "123456789"), CKR_PIN_LEN_RANGE);
	CHECK_RV(login(a, CKU_USER, "12a45"), CKR_PIN_INVALID);
	check(bench("verifies 1") == v0, "R18: no VERIFY for malformed PINs");
	check((token_flags(s1) &
	       (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)) == 0,
	      "R18: fresh PIN: no count flags");
	CHECK_RV(login(a, CKU_USER, "11111"), CKR_PIN_INCORRECT);
	check((token_flags(s1) & CKF_USER_PIN_COUNT_LOW) &&
	              !(token_flags(s1) & CKF_USER_PIN_FINAL_TRY),
	      "R18: 2 tries left: COUNT_LOW (0x%lx)", token_flags(s1));
	CHECK_RV(login(a, CKU_USER, "11111"), CKR_PIN_INCORRECT);
	check(token_flags(s1) & CKF_USER_PIN_FINAL_TRY, "R18: 1 try left: FINAL_TRY (0x%lx)",
	      token_flags(s1));
	/* the try that uses up the counter is a wrong PIN (PKCS#11 2.40 §5.6
	 * C_Login); from then on the PIN is locked */
	CHECK_RV(login(a, CKU_USER, "11111"), CKR_PIN_INCORRECT);
	check(token_flags(s1) & CKF_USER_PIN_LOCKED, "R18: 0 tries: LOCKED (0x%lx)",
	      token_flags(s1));
	v1 = bench("verifies 1");
	CHECK_RV(login(a, CKU_USER, "12345"), CKR_PIN_LOCKED);
	check(bench("verifies 1") == v1 && v1 == v0 + 3,
	      "R18: exactly 3 VERIFY with a PIN, none once locked (%ld → %ld)", v0,
	      bench("verifies 1"));

	/* R21: unblock with the PUK */
	CHECK_RV(login(b, CKU_SO, "123456"), CKR_SESSION_READ_ONLY_EXISTS); /* a is R/O */
	CHECK_RV(p->C_CloseSession(a), CKR_OK);
	CHECK_RV(login(b, CKU_SO, "123456"), CKR_OK);
	CHECK_RV(p->C_InitPIN(b, (CK_UTF8CHAR *)"54321", 5), CKR_OK);
	check(!(token_flags(s1) & CKF_USER_PIN_LOCKED), "R21: C_InitPIN unblocks (flags 0x%lx)",
	      token_flags(s1));
	CHECK_RV(p->C_Logout(b), CKR_OK);
	CHECK_RV(login(b, CKU_USER, "54321"), CKR_OK);
	CHECK_RV(p->C_SetPIN(b, (CK_UTF8CHAR *)"54321", 5, (CK_UTF8CHAR *)"12345", 5), CKR_OK);
	CHECK_RV(p->C_Logout(b), CKR_OK);
	CHECK_RV(login(b, CKU_USER, "12345"), CKR_OK);
	lo0 = bench("logouts 1");
	CHECK_RV(p->C_CloseSession(b), CKR_OK);
	check(bench("logouts 1") == lo0 + 1, "R22: closing the last session sends LOGOUT");
}

/* ----- R20: PIN per signature (the akis-2 NES key, wherever it is) ----- */

/* On the token of s (logged in): private keys, how many have
 * CKA_ALWAYS_AUTHENTICATE TRUE, how many let it be read. */
static void count_aa(CK_SESSION_HANDLE s, int *keys, int *aa, int *readable)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof(cls)};
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;

	*keys = *aa = *readable = 0;
	if (p->C_FindObjectsInit(s, &t, 1) != CKR_OK)
		return;
	if (p->C_FindObjects(s, h, 16, &n) != CKR_OK)
		n = 0;
	p->C_FindObjectsFinal(s);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_BBOOL v = CK_FALSE;
		CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &v, sizeof(v)};

		(*keys)++;
		if (p->C_GetAttributeValue(s, h[i], &a, 1) == CKR_OK) {
			(*readable)++;
			*aa += v == CK_TRUE;
		}
	}
}

/* Which card of this run has a key with a PIN per signature (-1: none);
 * checks on each card that CKA_ALWAYS_AUTHENTICATE is TRUE exactly for the
 * keys the card was provisioned with userConsent. */
static int card_with_aa_key(void)
{
	int found = -1, keys, aa, readable, want;
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;

	for (int i = 0; i < 2; i++) {
		if (!slot_of_card(i, &slot)) {
			check(false, "R20: card %d slot", i);
			continue;
		}
		s = open_session(slot, false);
		CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
		count_aa(s, &keys, &aa, &readable);
		want = consent_keys(i);
		check(keys > 0 && readable == keys,
		      "R20: card %d (%s): CKA_ALWAYS_AUTHENTICATE readable on %d of %d private "
		      "keys",
		      i, card_env("AKIS_PROFILE", i), readable, keys);
		check(aa == want,
		      "R20: card %d (%s): %d keys with CKA_ALWAYS_AUTHENTICATE, %d provisioned "
		      "with "
		      "userConsent",
		      i, card_env("AKIS_PROFILE", i), aa, want);
		if (aa > 0 && found < 0)
			found = i;
		p->C_CloseSession(s);
	}
	return found;
}

/* PSO COMPUTE DIGITAL SIGNATURE commands (chained or not) in card n's log. */
static long pso_count(int n)
{
	return log_count(n, "^C [01]02A9E9A");
}

/* NES C_Sign the way MA3 calls it: one call, a 4,096-byte buffer. */
static CK_RV ma3_sign(CK_SESSION_HANDLE s)
{
	CK_BYTE data[] = "signed with a PIN per signature", sig[4096];
	CK_ULONG sl = sizeof(sig);

	return p->C_Sign(s, data, sizeof(data) - 1, sig, &sl);
}

/*
 * R20 and PKCS#11 3.0 §5.13 with one session: without a context login the
 * NES key's C_Sign is CKR_USER_NOT_LOGGED_IN, sends no PSO and ends the
 * operation, so that the session signs on with the authentication key; a
 * size query and CKR_BUFFER_TOO_SMALL keep it; one VERIFY, one signature.
 */
static void aa_one_session(int card, CK_SLOT_ID s0)
{
	CK_SESSION_HANDLE s = open_session(s0, false);
	CK_OBJECT_HANDLE key, auth;
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE data[] = "x", sig[8];
	CK_ULONG sl = 0;
	long pso;

	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	key = find_obj(s, CKO_PRIVATE_KEY, CK_TRUE);
	auth = find_obj(s, CKO_PRIVATE_KEY, CK_FALSE);
	check(key != CK_INVALID_HANDLE && auth != CK_INVALID_HANDLE,
	      "R20: card %d (%s): a key with CKA_ALWAYS_AUTHENTICATE and one without", card,
	      card_env("AKIS_PROFILE", card));
	m.mechanism = sign_mech(s, key);
	pso = pso_count(card);
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_OK);
	CHECK_RV(ma3_sign(s), CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(ma3_sign(s), CKR_OPERATION_NOT_INITIALIZED); /* §5.13: ended */
	check(pso_count(card) == pso, "R20: the refused NES C_Sign sent no PSO");
	CHECK_RV(sign_once(s, auth), CKR_OK); /* the same session goes on */
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_OK);
	CHECK_RV(p->C_Sign(s, data, 1, NULL, &sl), CKR_OK); /* size query: kept */
	sl = 1;
	CHECK_RV(p->C_Sign(s, data, 1, sig, &sl), CKR_BUFFER_TOO_SMALL); /* kept */
	CHECK_RV(login(s, CKU_CONTEXT_SPECIFIC, "12345"), CKR_OK);
	CHECK_RV(ma3_sign(s), CKR_OK);
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_OK); /* the next needs another VERIFY */
	CHECK_RV(ma3_sign(s), CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(sign_once(s, auth), CKR_OK);
	p->C_CloseSession(s);
}

/* R20: the context login is the signing operation's of the session that
 * made it: a second session of this process signing with the NES key gets
 * CKR_USER_NOT_LOGGED_IN without a PSO, and the first one then signs. */
static void aa_two_sessions(int card, CK_SLOT_ID s0)
{
	CK_SESSION_HANDLE s1 = open_session(s0, false), s2 = open_session(s0, false);
	CK_OBJECT_HANDLE key;
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	long pso;

	CHECK_RV(login(s1, CKU_USER, "12345"), CKR_OK);
	key = find_obj(s1, CKO_PRIVATE_KEY, CK_TRUE);
	m.mechanism = sign_mech(s1, key);
	CHECK_RV(p->C_SignInit(s1, &m, key), CKR_OK);
	CHECK_RV(login(s1, CKU_CONTEXT_SPECIFIC, "12345"), CKR_OK);
	CHECK_RV(p->C_SignInit(s2, &m, key), CKR_OK);
	pso = pso_count(card);
	CHECK_RV(ma3_sign(s2), CKR_USER_NOT_LOGGED_IN);
	check(pso_count(card) == pso, "R20: session 2 without a context login sent no PSO");
	CHECK_RV(ma3_sign(s1), CKR_OK);
	check(pso_count(card) == pso + 1, "R20: session 1's signature: one PSO (%ld)",
	      pso_count(card) - pso);
	p->C_CloseSession(s2);
	p->C_CloseSession(s1);
}

static void test_always_authenticate(void)
{
	CK_SLOT_ID s0;
	int card = card_with_aa_key();

	if (card < 0)
		return skip("R20: PIN per signature: no card of this run (%s, %s) has a key with "
		            "CKA_ALWAYS_AUTHENTICATE",
		            card_env("AKIS_PROFILE", 0), card_env("AKIS_PROFILE", 1));
	if (!slot_of_card(card, &s0))
		return check(false, "R20: card %d slot", card);
	aa_one_session(card, s0);
	aa_two_sessions(card, s0);
}

/* ----- R33: reset by another process ----- */

static int reset_card_elsewhere(const char *reader)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		SCARDCONTEXT c;
		SCARDHANDLE h;
		DWORD proto, len = 0;
		char *readers = NULL, *r;

		if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c) != SCARD_S_SUCCESS)
			_exit(2);
		len = SCARD_AUTOALLOCATE;
		if (SCardListReaders(c, NULL, (LPSTR)&readers, &len) != SCARD_S_SUCCESS)
			_exit(3);
		for (r = readers; *r; r += strlen(r) + 1)
			if (strcmp(r, reader) == 0)
				break;
		if (!*r || SCardConnect(c, r, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h, &proto) !=
		                   SCARD_S_SUCCESS)
			_exit(4);
		_exit(SCardDisconnect(h, SCARD_RESET_CARD) == SCARD_S_SUCCESS ? 0 : 5);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_reset(void)
{
	CK_SLOT_ID s1;
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;
	CK_OBJECT_HANDLE key;
	long v0;

	if (!slot_of_card(1, &s1))
		return check(false, "R33: card 1 slot");
	s = open_session(s1, false);
	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	key = find_obj(s, CKO_PRIVATE_KEY, CK_FALSE);
	CHECK_RV(sign_once(s, key), CKR_OK);
	check(reset_card_elsewhere(card_env("AKIS_READER", 1)) == 0,
	      "R33: another process resets the card");
	v0 = bench("verifies 1");
	CHECK_RV(sign_once(s, key), CKR_USER_NOT_LOGGED_IN);
	check(bench("verifies 1") == v0, "R33/R22: no VERIFY sent on our own");
	CHECK_RV(p->C_GetSessionInfo(s, &si), CKR_OK);
	check(si.state == CKS_RO_PUBLIC_SESSION, "R33: session valid, logged out (state %lu)",
	      si.state);
	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	CHECK_RV(sign_once(s, key), CKR_OK);
	p->C_CloseSession(s);
}

/* ----- R32: removal during an operation ----- */

static void test_removal(void)
{
	CK_SLOT_ID s1;
	CK_SESSION_HANDLE s, s2;
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	CK_OBJECT_HANDLE key, cert;
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE data[] = "x", sig[1024], buf[16];
	CK_ULONG sl = sizeof(sig);
	CK_ATTRIBUTE a = {CKA_CLASS, buf, sizeof(buf)};
	CK_RV rv;
	double t, seen;

	if (!slot_of_card(1, &s1))
		return check(false, "R32: card 1 slot");
	s = open_session(s1, false);
	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	key = find_obj(s, CKO_PRIVATE_KEY, CK_FALSE);
	cert = find_obj(s, CKO_CERTIFICATE, -1);
	m.mechanism = sign_mech(s, key);
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_OK);
	bench("remove 1");
	/* give pcscd's vpcd polling time to see the card gone (300 ms was
	 * sometimes too short: the transmit then fails mid-disconnect) */
	sleep_ms(1500);
	rv = p->C_Sign(s, data, 1, sig, &sl);
	check(rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID,
	      "R32: C_Sign after removal: 0x%lx", rv);
	CHECK_RV(p->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	CHECK_RV(p->C_GetTokenInfo(s1, &ti), CKR_TOKEN_NOT_PRESENT);
	bench("insert 1");
	t = now();
	do { /* pcscd (vpcd polling) sees the card: the bench's part */
		CK_SLOT_INFO sli;

		if (p->C_GetSlotInfo(s1, &sli) == CKR_OK && (sli.flags & CKF_TOKEN_PRESENT))
			break;
		sleep_ms(20);
	} while (now() - t < 5.0);
	seen = now();
	rv = p->C_GetTokenInfo(s1, &ti);
	check(rv == CKR_OK && now() - seen < 1.0,
	      "R32: reinserted card is a token again %.2f s after pcscd reports it "
	      "(pcscd took %.2f s)",
	      now() - seen, seen - t);
	s2 = open_session(s1, false);
	CHECK_RV(p->C_GetAttributeValue(s2, cert, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	CHECK_RV(p->C_GetSessionInfo(s2, &si), CKR_OK);
	check(si.state == CKS_RO_PUBLIC_SESSION, "R32: the new token is logged out");
	p->C_CloseSession(s2);
}

/* ----- R32: removal in the middle of C_Sign (fault injection) ----- */

/* Position (1 = the next command after the first `from` ones) of the first
 * PSO COMPUTE DIGITAL SIGNATURE (INS 2A, P1P2 9E9A, docs/card.md) in card
 * N's APDU log, or -1. */
static long pso_position(int n, long from)
{
	char line[4096];
	long c = 0, pos = -1;
	FILE *f;

	f = fopen(card_env("AKIS_CARD_LOG", n), "r");
	if (f == NULL)
		return -1;
	while (pos < 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "C ", 2) != 0)
			continue;
		if (++c > from && strncmp(line + 4, "2A9E9A", 6) == 0)
			pos = c - from;
	}
	fclose(f);
	return pos;
}

/* connected=1 in card N's run.status (the vcard's own view of vpcd). */
static bool card_connected(int n)
{
	char path[512], line[64];
	bool on = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run.status", card_env("AKIS_CARD_DIR", n));
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strcmp(line, "connected=1\n") == 0)
			on = true;
	fclose(f);
	return on;
}

static CK_RV wait_token(CK_SLOT_ID slot, double limit, double *took)
{
	CK_TOKEN_INFO ti;
	double t = now();
	CK_RV rv;

	while ((rv = p->C_GetTokenInfo(slot, &ti)) != CKR_OK && now() - t < limit)
		sleep_ms(20);
	*took = now() - t;
	return rv;
}

static void test_removal_in_sign(void)
{
	CK_SLOT_ID s1;
	CK_SESSION_HANDLE s, s2;
	CK_SESSION_INFO si;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE data[] = "x", sig[1024];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv;
	long c0, k;
	double took;

	if (!slot_of_card(1, &s1) || wait_token(s1, 5.0, &took) != CKR_OK)
		return check(false, "R32 (fault): card 1 slot with a token");
	s = open_session(s1, false);
	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	key = find_obj(s, CKO_PRIVATE_KEY, CK_FALSE);
	m.mechanism = sign_mech(s, key);
	/* learn K: where the PSO falls among the APDUs of one normal C_Sign */
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_OK);
	c0 = bench("apdus 1");
	CHECK_RV(p->C_Sign(s, data, 1, sig, &sl), CKR_OK);
	k = pso_position(1, c0);
	check(k >= 1, "R32 (fault): a C_Sign sends %ld APDUs, the PSO is #%ld",
	      bench("apdus 1") - c0, k);
	if (k < 1)
		return (void)p->C_CloseSession(s);
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_OK);
	bench("fault 1 %ld drop", k);
	sl = sizeof(sig);
	c0 = bench("apdus 1");
	rv = p->C_Sign(s, data, 1, sig, &sl);
	/* pcscd answers the cut SCardTransmit with SCARD_E_NOT_TRANSACTED; the
	 * transport then sees the card leave (apdu/pcsc.c card_gone) */
	check(rv == CKR_DEVICE_REMOVED,
	      "R32: C_Sign cut at its PSO by a card drop = 0x%lx (want CKR_DEVICE_REMOVED)", rv);
	check(pso_position(1, c0) == k, "R32 (fault): the card received the PSO as command #%ld",
	      pso_position(1, c0));
	/* R32: the token's sessions are invalid at once, before any slot call */
	CHECK_RV(p->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	CHECK_RV(p->C_SignInit(s, &m, key), CKR_SESSION_HANDLE_INVALID);
	took = now();
	while (!card_connected(1) && now() - took < 5.0)
		sleep_ms(20);
	check(card_connected(1), "R32 (fault): the card is back %.2f s after the cut",
	      now() - took);
	sleep_ms(800); /* pcscd's 400 ms presence poll sees the removal and the insertion */
	rv = wait_token(s1, 3.0, &took); /* a slot call: the module learns of the removal */
	check(rv == CKR_OK, "R32: the slot has a token again (0x%lx, %.2f s)", rv, took);
	CHECK_RV(p->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	s2 = open_session(s1, false);
	CHECK_RV(p->C_GetSessionInfo(s2, &si), CKR_OK);
	check(si.state == CKS_RO_PUBLIC_SESSION, "R32: the fresh token is logged out (state %lu)",
	      si.state);
	/* private keys are CKA_PRIVATE (R24): invisible while logged out, and
	 * the old token's handle is gone, so the attempt ends at the handle */
	check(find_obj(s2, CKO_PRIVATE_KEY, -1) == CK_INVALID_HANDLE,
	      "R32: logged out, the fresh token shows no private key");
	CHECK_RV(p->C_SignInit(s2, &m, key), CKR_KEY_HANDLE_INVALID);
	CHECK_RV(login(s2, CKU_USER, "12345"), CKR_OK);
	CHECK_RV(sign_once(s2, find_obj(s2, CKO_PRIVATE_KEY, CK_FALSE)), CKR_OK);
	p->C_CloseSession(s2);
}

/* ----- R5: fork ----- */

static void test_fork(void)
{
	CK_SLOT_ID s1;
	CK_SESSION_HANDLE s;
	CK_INFO info;
	pid_t pid;
	int st = 0;

	if (!slot_of_card(1, &s1))
		return check(false, "R5: card 1 slot");
	s = open_session(s1, false);
	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	pid = fork();
	if (pid == 0) {
		CK_TOKEN_INFO ti;
		CK_SLOT_ID c1;
		CK_SESSION_HANDLE cs;
		int bad = 0;

		bad |= (p->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED) << 0;
		bad |= (p->C_GetTokenInfo(s1, &ti) != CKR_CRYPTOKI_NOT_INITIALIZED) << 1;
		bad |= (p->C_Initialize(NULL) != CKR_OK) << 2;
		bad |= (!slot_of_card(1, &c1)) << 3;
		cs = open_session(c1, false);
		bad |= (login(cs, CKU_USER, "12345") != CKR_OK) << 4;
		bad |= (sign_once(cs, find_obj(cs, CKO_PRIVATE_KEY, CK_FALSE)) != CKR_OK) << 5;
		bad |= (p->C_Finalize(NULL) != CKR_OK) << 6;
		_exit(bad);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "R5: child: NOT_INITIALIZED, then its own C_Initialize works (status %d)",
	      WEXITSTATUS(st));
	/* the parent's PC/SC handles still work (the child released nothing);
	 * its card state was cleared by the child's LOGOUT, as a card
	 * shared between processes is */
	CHECK_RV(p->C_GetTokenInfo(s1, &(CK_TOKEN_INFO){0}), CKR_OK);
	p->C_CloseSession(s);
}

/* ----- two threads on two cards ----- */

struct signer {
	CK_SLOT_ID slot;
	int n;
	int ok;
};

static void *sign_thread(void *arg)
{
	struct signer *sg = arg;
	CK_SESSION_HANDLE s = open_session(sg->slot, false);
	CK_OBJECT_HANDLE key;

	if (login(s, CKU_USER, "12345") != CKR_OK)
		return NULL;
	key = find_obj(s, CKO_PRIVATE_KEY, CK_FALSE);
	for (int i = 0; i < sg->n; i++)
		sg->ok += sign_once(s, key) == CKR_OK;
	p->C_CloseSession(s);
	return NULL;
}

static double run_signers(struct signer *sg, int nthreads)
{
	pthread_t th[2];
	double t = now();

	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, sign_thread, &sg[i]);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	return now() - t;
}

static void test_two_cards(void)
{
	struct signer sg[2] = {{0, 8, 0}, {0, 8, 0}};
	double par, ser;

	if (!slot_of_card(0, &sg[0].slot) || !slot_of_card(1, &sg[1].slot))
		return check(false, "two cards: slots");
	bench("latency 0 20000");
	bench("latency 1 20000");
	sleep_ms(200);
	ser = run_signers(&sg[0], 1) + run_signers(&sg[1], 1);
	sg[0].ok = sg[1].ok = 0;
	par = run_signers(sg, 2);
	bench("latency 0 0");
	bench("latency 1 0");
	check(sg[0].ok == 8 && sg[1].ok == 8, "two threads, two cards: %d + %d signatures",
	      sg[0].ok, sg[1].ok);
	check(par < 0.75 * ser,
	      "two cards never wait on each other: parallel %.2f s, serial %.2f s", par, ser);
}

/* ----- R35 (and R8): a pcscd restart ----- */

static void test_pcscd_restart(void)
{
	CK_SLOT_ID s1, ids[16];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_ULONG before, after;
	CK_RV rv;
	double t;

	if (foreign_pcscd)
		return skip("R35: pcscd restart, R8: slot list while pcscd is gone (a pcscd not "
		            "started by the bench is running)");
	if (!slot_of_card(1, &s1))
		return check(false, "R35: card 1 slot");
	before = slot_list(ids, 16, CK_FALSE);
	bench("pcscd-stop");
	rv = p->C_GetTokenInfo(s1, &ti);
	check(rv == CKR_TOKEN_NOT_PRESENT, "R35: pcscd gone: C_GetTokenInfo 0x%lx", rv);
	after = slot_list(ids, 16, CK_FALSE);
	check(after == before, "R8: the slot list never shrinks (%lu → %lu)", before, after);
	bench("pcscd-start");
	t = now();
	while ((rv = p->C_GetTokenInfo(s1, &ti)) != CKR_OK && now() - t < 15.0)
		sleep_ms(200);
	check(rv == CKR_OK, "R35: the token is back after a pcscd restart (%.1f s)", now() - t);
	s = open_session(s1, false);
	CHECK_RV(login(s, CKU_USER, "12345"), CKR_OK);
	CHECK_RV(sign_once(s, find_obj(s, CKO_PRIVATE_KEY, CK_FALSE)), CKR_OK);
	p->C_CloseSession(s);
}

static void (*const tests[])(void) = {
        test_slot_token_info, test_from_memory,
        test_events,          test_finalize_races,
        test_login,           test_always_authenticate,
        test_reset,           test_removal,
        test_removal_in_sign, test_fork,
        test_two_cards,       test_pcscd_restart,
};
static const char *const test_names[] = {
        "slot_token_info",     "from_memory",   "events",  "finalize_races",  "login",
        "always_authenticate", "reset",         "removal", "removal_in_sign", "fork",
        "two_cards",           "pcscd_restart",
};

int main(int argc, char **argv)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	const char *prof = getenv("P11_PROFILES");
	double t0;
	void *lib;
	bool up;

	if (argc != 2 || getenv("VCARDCTL") == NULL) {
		fprintf(stderr,
		        "usage: VCARDCTL=tests/vcardctl [P11_PROFILES=P0,P1] %s MODULE.so\n",
		        argv[0]);
		return 2;
	}
	snprintf(tag, sizeof(tag), "[%s] ", prof ? prof : "akis-2,akis-1.2");
	tap_tag = tag;
	foreign_pcscd =
	        getenv("P11_PCSCD_FOREIGN") && strcmp(getenv("P11_PCSCD_FOREIGN"), "1") == 0;
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	gfl = (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList");
	if (gfl == NULL || gfl(&p) != CKR_OK) {
		fprintf(stderr, "%s: no C_GetFunctionList\n", argv[1]);
		return 2;
	}
	t0 = now();
	test_init_forms();
	test_no_pcscd();
	up = test_slots_appear();
	if (!up)
		printf("# %sno bench: the other tests were not run\n", tag);
	for (size_t i = 0; up && i < sizeof(tests) / sizeof(tests[0]); i++) {
		double t = now();

		fresh_state(test_names[i]);
		printf("# %s%s (at %.1f s, fresh state took %.2f s)\n", tag, test_names[i],
		       now() - t0, now() - t);
		tests[i]();
	}
	p->C_Finalize(NULL);
	return tap_summary();
}
