/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p11_memwait: do the calls answered from memory (R10) wait behind card
 * operations, and does anyone waiting for the card starve? (issue 14)
 *
 *   p11_memwait MODULE PIN SIGNERS SECONDS [SLOTS]
 *
 * SIGNERS threads, each with a session of its own on the slots with a
 * token in turn (the first SLOTS of them, default all), sign without pause (SHA256-RSA-PKCS, or
 * ECDSA on an EC key, with a key that needs no context login) for SECONDS. Meanwhile one thread,
 * with a session of its own on the first slot, calls over and over C_GetTokenInfo,
 * C_GetSessionInfo, C_FindObjectsInit/C_FindObjects/ C_FindObjectsFinal, C_GetAttributeValue (a
 * certificate's value) and C_VerifyInit + C_Verify of a signature made before the run, and keeps
 * the longest time of each. Prints one line per call, "max_ms NAME MS N", one per signer, "signer I
 * slot S signatures N", a line "errors N" (any rv not CKR_OK, or a verify that fails), and exits 0
 * when it could run. "max_ms" lines end with "at T", the ms since the start at which the longest
 * began; a line "gap_ms MS N at T" gives the longest a thread that only sleeps 1 ms at a time
 * overslept (the machine's own pauses, no PKCS#11 call involved).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11/p11.h"

#define MAX_SIGNERS 16
#define MAX_SLOTS   4

static CK_FUNCTION_LIST *p;
static atomic_bool stop;
static atomic_long errors;

enum call { C_TOKEN, C_SESSION, C_FIND, C_ATTR, C_VERIFY, N_CALLS };
static const char *const call_name[N_CALLS] = {
        "C_GetTokenInfo", "C_GetSessionInfo", "C_FindObjects", "C_GetAttributeValue", "C_Verify",
};

struct key {
	CK_OBJECT_HANDLE priv, pub;
	CK_KEY_TYPE type;
};

struct signer {
	pthread_t th;
	CK_SLOT_ID slot;
	long sigs;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void err(const char *what, CK_RV rv)
{
	atomic_fetch_add(&errors, 1);
	fprintf(stderr, "%s: 0x%lx\n", what, (unsigned long)rv);
}

/* The first object of class cls matching one more attribute (or none). */
static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_ATTRIBUTE *extra)
{
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0, i;
	CK_BBOOL aa;

	if (extra != NULL)
		t[1] = *extra;
	if (p->C_FindObjectsInit(s, t, extra != NULL ? 2 : 1) != CKR_OK)
		return CK_INVALID_HANDLE;
	(void)p->C_FindObjects(s, h, 16, &n);
	(void)p->C_FindObjectsFinal(s);
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &aa, sizeof(aa)};
		CK_RV rv;

		if (cls != CKO_PRIVATE_KEY)
			return h[i];
		aa = CK_FALSE; /* a key that needs a context login is not for a loop */
		rv = p->C_GetAttributeValue(s, h[i], &a, 1);
		if ((rv == CKR_OK && aa == CK_FALSE) || rv == CKR_ATTRIBUTE_TYPE_INVALID)
			return h[i];
	}
	return CK_INVALID_HANDLE;
}

/* A signing key without a context login, and its public key. */
static bool find_key(CK_SESSION_HANDLE s, struct key *k)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE sign = {CKA_SIGN, &yes, sizeof(yes)};
	uint8_t id[64];
	CK_ATTRIBUTE a[2] = {{CKA_ID, id, sizeof(id)}, {CKA_KEY_TYPE, &k->type, sizeof(k->type)}};

	k->priv = find_one(s, CKO_PRIVATE_KEY, &sign);
	if (k->priv == CK_INVALID_HANDLE || p->C_GetAttributeValue(s, k->priv, a, 2) != CKR_OK)
		return false;
	k->pub = find_one(s, CKO_PUBLIC_KEY, &a[0]);
	return k->pub != CK_INVALID_HANDLE;
}

static const uint8_t data[32] = "issue 14: memory-only calls....";

static CK_RV sign_once(CK_SESSION_HANDLE s, const struct key *k, uint8_t *sig, CK_ULONG *len)
{
	CK_MECHANISM m = {k->type == CKK_EC ? CKM_ECDSA : CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RV rv = p->C_SignInit(s, &m, k->priv);

	if (rv == CKR_OK)
		rv = p->C_Sign(s, (CK_BYTE_PTR)data, sizeof(data), sig, len);
	return rv;
}

static CK_RV open_logged_in(CK_SLOT_ID slot, const char *pin, CK_SESSION_HANDLE *s)
{
	CK_RV rv = p->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, s);

	if (rv != CKR_OK)
		return rv;
	rv = p->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

static const char *g_pin;

static void *signer_main(void *arg)
{
	struct signer *w = arg;
	CK_SESSION_HANDLE s;
	struct key k;
	uint8_t sig[512];
	CK_ULONG len;
	CK_RV rv = open_logged_in(w->slot, g_pin, &s);

	if (rv != CKR_OK || !find_key(s, &k)) {
		err("signer: session, login or key", rv);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		len = sizeof(sig);
		rv = sign_once(s, &k, sig, &len);
		if (rv != CKR_OK) {
			err("C_Sign", rv);
			break;
		}
		w->sigs++;
	}
	(void)p->C_CloseSession(s);
	return NULL;
}

struct mem {
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	struct key k;
	uint8_t sig[512];
	CK_ULONG sig_len;
	CK_OBJECT_HANDLE cert;
	double max[N_CALLS];
	double at[N_CALLS]; /* when the longest began */
	long n[N_CALLS];
};

static CK_RV one_call(struct mem *m, enum call c)
{
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;
	uint8_t value[4096];
	CK_ATTRIBUTE a = {CKA_VALUE, value, sizeof(value)};
	CK_MECHANISM mech = {m->k.type == CKK_EC ? CKM_ECDSA : CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RV rv = CKR_OK;

	switch (c) {
	case C_TOKEN:
		return p->C_GetTokenInfo(m->slot, &ti);
	case C_SESSION:
		rv = p->C_GetSessionInfo(m->s, &si);
		return rv == CKR_OK && si.state != CKS_RO_USER_FUNCTIONS ? CKR_GENERAL_ERROR : rv;
	case C_FIND:
		rv = p->C_FindObjectsInit(m->s, NULL, 0);
		if (rv == CKR_OK)
			rv = p->C_FindObjects(m->s, h, 16, &n);
		if (rv == CKR_OK)
			rv = p->C_FindObjectsFinal(m->s);
		return rv == CKR_OK && n == 0 ? CKR_GENERAL_ERROR : rv;
	case C_ATTR:
		return p->C_GetAttributeValue(m->s, m->cert, &a, 1);
	case C_VERIFY:
		rv = p->C_VerifyInit(m->s, &mech, m->k.pub);
		if (rv == CKR_OK)
			rv = p->C_Verify(m->s, (CK_BYTE_PTR)data, sizeof(data), m->sig, m->sig_len);
		return rv;
	case N_CALLS:
		break;
	}
	return CKR_GENERAL_ERROR;
}

/* The machine's own pauses, as a yardstick: a thread that asks to sleep
 * 1 ms over and over, and the longest it overslept (a loaded or paused
 * virtual machine shows here, with no PKCS#11 call involved); and when. */
struct gap {
	double max, at;
	long n;
};

static void *gap_main(void *arg)
{
	struct gap *g = arg;
	struct timespec one = {0, 1000000};

	while (!atomic_load(&stop)) {
		double t0 = now_ms();
		nanosleep(&one, NULL);
		double over = now_ms() - t0 - 1.0;
		if (over > g->max) {
			g->max = over;
			g->at = t0;
		}
		g->n++;
	}
	return NULL;
}

static void *mem_main(void *arg)
{
	struct mem *m = arg;

	while (!atomic_load(&stop)) {
		for (int c = 0; c < N_CALLS; c++) {
			double t0 = now_ms();
			CK_RV rv = one_call(m, (enum call)c);
			double dt = now_ms() - t0;

			if (rv != CKR_OK)
				err(call_name[c], rv);
			if (dt > m->max[c]) {
				m->max[c] = dt;
				m->at[c] = t0;
			}
			m->n[c]++;
		}
		usleep(5000);
	}
	return NULL;
}

/* The first-slot session of the memory thread: logged in (the slot's login
 * is token-wide), a signature to verify, a certificate to read. */
static bool mem_setup(struct mem *m, const char *pin)
{
	CK_RV rv = open_logged_in(m->slot, pin, &m->s);

	if (rv != CKR_OK || !find_key(m->s, &m->k))
		return false;
	m->sig_len = sizeof(m->sig);
	if (sign_once(m->s, &m->k, m->sig, &m->sig_len) != CKR_OK)
		return false;
	m->cert = find_one(m->s, CKO_CERTIFICATE, NULL);
	return m->cert != CK_INVALID_HANDLE;
}

static int run(const char *pin, int n_signers, int seconds, CK_ULONG max_slots)
{
	static struct signer w[MAX_SIGNERS];
	static struct mem m;
	static struct gap g;
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG ns = MAX_SLOTS;
	pthread_t mt, gt;

	if (p->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK || ns == 0)
		return fprintf(stderr, "no token\n"), 2;
	if (max_slots > 0 && ns > max_slots)
		ns = max_slots;
	m.slot = slots[0];
	if (!mem_setup(&m, pin))
		return fprintf(stderr, "setup failed\n"), 2;
	g_pin = pin;
	for (int i = 0; i < n_signers; i++) {
		w[i].slot = slots[i % ns];
		pthread_create(&w[i].th, NULL, signer_main, &w[i]);
	}
	usleep(300000); /* the signers are at work */
	double t_start = now_ms();
	pthread_create(&gt, NULL, gap_main, &g);
	pthread_create(&mt, NULL, mem_main, &m);
	sleep((unsigned)seconds);
	atomic_store(&stop, true);
	pthread_join(mt, NULL);
	pthread_join(gt, NULL);
	for (int i = 0; i < n_signers; i++)
		pthread_join(w[i].th, NULL);
	for (int c = 0; c < N_CALLS; c++)
		printf("max_ms %s %.2f %ld at %.0f\n", call_name[c], m.max[c], m.n[c],
		       m.at[c] - t_start);
	printf("gap_ms %.2f %ld at %.0f\n", g.max, g.n, g.at - t_start);
	for (int i = 0; i < n_signers; i++)
		printf("signer %d slot %lu signatures %ld\n", i, (unsigned long)w[i].slot,
		       w[i].sigs);
	printf("errors %ld\n", atomic_load(&errors));
	(void)p->C_CloseSession(m.s);
	return 0;
}

int main(int argc, char **argv)
{
	CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
	CK_C_GetFunctionList get;
	void *lib;
	int n, secs, rc;

	if ((argc != 5 && argc != 6) || (n = atoi(argv[3])) < 1 || n > MAX_SIGNERS ||
	    (secs = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: p11_memwait MODULE PIN SIGNERS SECONDS [SLOTS]\n");
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	get = lib != NULL ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
	if (get == NULL || get(&p) != CKR_OK || p->C_Initialize(&args) != CKR_OK) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 2;
	}
	rc = run(argv[2], n, secs, argc == 6 ? strtoul(argv[5], NULL, 10) : 0);
	(void)p->C_Finalize(NULL);
	return rc;
}
