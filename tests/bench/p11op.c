/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p11op: one user-visible operation at a time through the real module
 * (dlopen), with the APDUs and bytes each one cost, read from the virtual
 * card's APDU log ("C hex" / "R hex" lines) right before and right after
 * the call, and the wall time per operation.
 *
 *   p11op -m MODULE.so [-l CARD_LOG] [-p PIN] [-P PUK] [-n N] [-t THREADS] [-x CMD] OP...
 *
 * -x CMD: a shell command run right before each C_Sign of sign-rsa/sign-ec
 * (after the context login; its own APDUs are not counted), e.g. another
 * program selecting the MF, or a fault armed on the virtual card.
 * sign-rsa/sign-ec verify each signature with the public key of the same
 * CKA_ID (C_Verify); one that does not verify is reported as rv=0xc0
 * (CKR_SIGNATURE_INVALID).
 *
 * OPs, run in order on the first slot with a token:
 *   bind       C_Initialize, C_GetSlotList, C_OpenSession, C_GetTokenInfo
 *              (the token is bound on first use); must come first
 *   rebind     N × (C_Finalize, C_Initialize, C_GetSlotList, C_OpenSession):
 *              a re-bind with the on-disk cache warm
 *   info       print the token flags (hex) and the certificate count
 *   login      C_Login(CKU_USER, -p PIN); N times (C_Logout in between,
 *              outside the count)
 *   login-so   C_Login(CKU_SO, -P PUK), once
 *   sign-rsa / sign-ec   C_SignInit (+ context login when the key has
 *              CKA_ALWAYS_AUTHENTICATE) + C_Sign, N times; the APDUs of each
 *              part are counted on the first round
 *   decrypt    C_Encrypt with the public key (software), then
 *              C_DecryptInit + C_Decrypt (CKM_RSA_PKCS), N times
 *   parallel   THREADS threads, thread i on the i-th slot with a token:
 *              login, N × sign-rsa; prints the wall time
 *   parallel-ec  the same with N × sign-ec (CKM_ECDSA over a 48-byte hash:
 *              the e-seal cards' <VKN>SIGN0 key, R48); also prints sigs_per_s
 * Each op prints one line:
 *   op=NAME rv=0xRV apdus=A cbytes=B rbytes=B [init_apdus=..] [ctx_apdus=..] ms=MEAN
 * apdus/cbytes/rbytes are per operation (the first round; for sign-* the
 * C_Sign call alone, all_* the whole SignInit + context login + C_Sign);
 * ms is the mean over N rounds (for sign-* and decrypt, of rounds 2..N). Exit status 0 unless an op
 * could not run at all.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../pkcs11/p11.h"

#define MAX_SLOTS 8

static CK_FUNCTION_LIST *p;
static const char *before_sign; /* -x: a shell command run right before each C_Sign */
static const char *card_log;
static const char *pin = "12345";
static const char *puk = "123456";
static long rounds = 1;
static int nthreads = 1;
static bool parallel_ec; /* parallel-ec: the workers sign with an EC key */
static CK_SLOT_ID slots[MAX_SLOTS];
static CK_ULONG nslots;
static CK_SESSION_HANDLE sess;

struct tally {
	long apdus, cbytes, rbytes;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Bytes of one logged APDU: hex digits / 2; a redacted command (PIN data
 * not logged) counts its 5 header bytes only. */
static long line_bytes(const char *hex)
{
	size_t n = strcspn(hex, "<\r\n");

	return (long)(n / 2);
}

static struct tally log_tally(void)
{
	struct tally t = {0, 0, 0};
	char line[8192];
	FILE *f;

	if (card_log == NULL || (f = fopen(card_log, "r")) == NULL)
		return t;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == 'C' && line[1] == ' ') {
			t.apdus++;
			t.cbytes += line_bytes(line + 2);
		} else if (line[0] == 'R' && line[1] == ' ') {
			t.rbytes += line_bytes(line + 2);
		}
	}
	fclose(f);
	return t;
}

static struct tally tally_diff(struct tally a, struct tally b)
{
	struct tally d = {b.apdus - a.apdus, b.cbytes - a.cbytes, b.rbytes - a.rbytes};

	return d;
}

static void report(const char *op, CK_RV rv, struct tally t, const char *extra, double ms)
{
	if (card_log != NULL)
		printf("op=%s rv=0x%lx apdus=%ld cbytes=%ld rbytes=%ld%s ms=%.3f\n", op,
		       (unsigned long)rv, t.apdus, t.cbytes, t.rbytes, extra, ms);
	else
		printf("op=%s rv=0x%lx%s ms=%.3f\n", op, (unsigned long)rv, extra, ms);
	fflush(stdout);
}

static CK_RV open_first(void)
{
	CK_RV rv;

	nslots = MAX_SLOTS;
	rv = p->C_GetSlotList(CK_TRUE, slots, &nslots);
	if (rv == CKR_OK && nslots == 0)
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv == CKR_OK)
		rv = p->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
		                      &sess);
	return rv;
}

static CK_RV op_bind(void)
{
	CK_TOKEN_INFO ti;
	struct tally a = log_tally();
	double t0 = now_ms();
	CK_RV rv = p->C_Initialize(NULL);

	if (rv == CKR_OK)
		rv = open_first();
	if (rv == CKR_OK)
		rv = p->C_GetTokenInfo(slots[0], &ti);
	report("bind", rv, tally_diff(a, log_tally()), "", now_ms() - t0);
	return rv;
}

static CK_RV op_rebind(void)
{
	struct tally a = {0, 0, 0}, d = {0, 0, 0};
	double total = 0, t0;
	CK_RV rv = CKR_OK;

	for (long i = 0; i < rounds && rv == CKR_OK; i++) {
		p->C_Finalize(NULL);
		if (i == 0)
			a = log_tally();
		t0 = now_ms();
		rv = p->C_Initialize(NULL);
		if (rv == CKR_OK)
			rv = open_first();
		total += now_ms() - t0;
		if (i == 0)
			d = tally_diff(a, log_tally());
	}
	report("rebind", rv, d, "", total / (double)rounds);
	return rv;
}

static CK_RV count_certs(CK_ULONG *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[32];
	CK_RV rv = p->C_FindObjectsInit(sess, tmpl, 1);

	*n = 0;
	if (rv != CKR_OK)
		return rv;
	rv = p->C_FindObjects(sess, h, 32, n);
	p->C_FindObjectsFinal(sess);
	return rv;
}

static CK_RV op_info(void)
{
	CK_TOKEN_INFO ti;
	CK_ULONG ncert = 0;
	struct tally a = log_tally();
	CK_RV rv = p->C_GetTokenInfo(slots[0], &ti);
	char extra[96];

	if (rv == CKR_OK)
		rv = count_certs(&ncert);
	snprintf(extra, sizeof(extra), " flags=0x%lx certs=%lu label=%.32s",
	         rv == CKR_OK ? (unsigned long)ti.flags : 0ul, (unsigned long)ncert,
	         rv == CKR_OK ? (const char *)ti.label : "");
	report("info", rv, tally_diff(a, log_tally()), extra, 0);
	return CKR_OK;
}

static CK_RV op_login_as(const char *name, CK_USER_TYPE who, const char *secret, long n)
{
	struct tally a = {0, 0, 0}, d = {0, 0, 0};
	double total = 0, t0;
	CK_RV rv = CKR_OK;

	for (long i = 0; i < n && rv == CKR_OK; i++) {
		if (i > 0)
			p->C_Logout(sess);
		a = log_tally();
		t0 = now_ms();
		rv = p->C_Login(sess, who, (CK_UTF8CHAR_PTR)secret, (CK_ULONG)strlen(secret));
		total += now_ms() - t0;
		if (i == 0)
			d = tally_diff(a, log_tally());
	}
	report(name, rv, d, "", total / (double)n);
	return CKR_OK; /* the rv is reported; a refused login is a result here */
}

/* The first private key of this type that can do `usage` (CKA_SIGN or
 * CKA_DECRYPT), and whether it wants a PIN per operation. */
static CK_RV find_key(CK_SESSION_HANDLE s, CK_KEY_TYPE type, CK_ATTRIBUTE_TYPE usage,
                      CK_OBJECT_HANDLE *key, CK_BBOOL *always)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                       {CKA_KEY_TYPE, &type, sizeof(type)},
	                       {usage, &yes, sizeof(yes)}};
	CK_ATTRIBUTE aa = {CKA_ALWAYS_AUTHENTICATE, always, sizeof(*always)};
	CK_ULONG n = 0;
	CK_RV rv = p->C_FindObjectsInit(s, tmpl, 3);

	if (rv != CKR_OK)
		return rv;
	rv = p->C_FindObjects(s, key, 1, &n);
	p->C_FindObjectsFinal(s);
	if (rv == CKR_OK && n == 0)
		rv = CKR_KEY_HANDLE_INVALID;
	*always = CK_FALSE;
	if (rv == CKR_OK && p->C_GetAttributeValue(s, *key, &aa, 1) != CKR_OK)
		*always = CK_FALSE;
	return rv;
}

/* SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1) + 32 bytes */
static const CK_BYTE digest_info[51] = {
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
        0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 1,    2,    3,    4,    5,    6,    7,
        8,    9,    10,   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,
        21,   22,   23,   24,   25,   26,   27,   28,   29,   30,   31,   32};

struct sign_ctx {
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_OBJECT_HANDLE pub; /* op_sign: each signature is verified with it */
	bool check;
	CK_BBOOL always;
	CK_MECHANISM mech;
	const CK_BYTE *in;
	CK_ULONG in_len;
};

/* One signature; when t is not NULL, the APDUs of each part go in t[0..2]
 * (init, context login, sign). */
static CK_RV find_pub(CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE *pub);

static CK_RV sign_once(const struct sign_ctx *c, struct tally *t)
{
	CK_BYTE sig[1024];
	CK_ULONG sig_len = sizeof(sig);
	struct tally m0 = {0, 0, 0}, m1 = m0, m2 = m0;
	CK_RV rv;

	if (t != NULL)
		m0 = log_tally();
	rv = p->C_SignInit(c->s, (CK_MECHANISM_PTR)&c->mech, c->key);
	if (t != NULL)
		m1 = log_tally();
	if (rv == CKR_OK && c->always)
		rv = p->C_Login(c->s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin,
		                (CK_ULONG)strlen(pin));
	if (rv == CKR_OK && before_sign != NULL && system(before_sign) != 0)
		rv = CKR_GENERAL_ERROR; /* the -x command failed */
	if (t != NULL)
		m2 = log_tally();
	if (rv == CKR_OK)
		rv = p->C_Sign(c->s, (CK_BYTE_PTR)c->in, c->in_len, sig, &sig_len);
	/* a signature that does not verify is a failure, not a figure */
	if (rv == CKR_OK && c->check) {
		CK_RV vrv = p->C_VerifyInit(c->s, (CK_MECHANISM_PTR)&c->mech, c->pub);
		if (vrv == CKR_OK)
			vrv = p->C_Verify(c->s, (CK_BYTE_PTR)c->in, c->in_len, sig, sig_len);
		if (vrv != CKR_OK)
			rv = CKR_SIGNATURE_INVALID;
	}
	if (t != NULL) {
		t[0] = tally_diff(m0, m1);
		t[1] = tally_diff(m1, m2);
		t[2] = tally_diff(m2, log_tally());
	}
	return rv;
}

static CK_RV sign_setup(CK_SESSION_HANDLE s, bool ec, struct sign_ctx *c)
{
	static const CK_BYTE hash48[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->mech.mechanism = ec ? CKM_ECDSA : CKM_RSA_PKCS;
	c->in = ec ? hash48 : digest_info;
	c->in_len = ec ? sizeof(hash48) : sizeof(digest_info);
	return find_key(s, ec ? CKK_EC : CKK_RSA, CKA_SIGN, &c->key, &c->always);
}

static CK_RV op_sign(bool ec)
{
	struct sign_ctx c;
	struct tally t[3] = {{0, 0, 0}};
	double total = 0, t0;
	char extra[192];
	CK_RV rv = sign_setup(sess, ec, &c);

	if (rv == CKR_OK && find_pub(c.key, &c.pub) == CKR_OK)
		c.check = true;
	for (long i = 0; i < rounds && rv == CKR_OK; i++) {
		t0 = now_ms();
		rv = sign_once(&c, i == 0 ? t : NULL);
		total += now_ms() - t0;
		/* the log reads of round 0 are not part of the operation */
		if (i == 0 && rounds > 1)
			total = 0;
	}
	/* all_*: the whole user-visible operation (SignInit, context login, C_Sign) */
	snprintf(extra, sizeof(extra),
	         " init_apdus=%ld ctx_apdus=%ld always_auth=%d all_apdus=%ld all_cbytes=%ld "
	         "all_rbytes=%ld",
	         t[0].apdus, t[1].apdus, c.always, t[0].apdus + t[1].apdus + t[2].apdus,
	         t[0].cbytes + t[1].cbytes + t[2].cbytes, t[0].rbytes + t[1].rbytes + t[2].rbytes);
	report(ec ? "sign-ec" : "sign-rsa", rv, t[2], extra,
	       rounds > 1 ? total / (double)(rounds - 1) : total);
	return CKR_OK;
}

/* The public key with the private key's CKA_ID. */
static CK_RV find_pub(CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE *pub)
{
	CK_BYTE id[64];
	CK_ATTRIBUTE ida = {CKA_ID, id, sizeof(id)};
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, 0}};
	CK_ULONG n = 0;
	CK_RV rv = p->C_GetAttributeValue(sess, priv, &ida, 1);

	if (rv != CKR_OK)
		return rv;
	tmpl[1].ulValueLen = ida.ulValueLen;
	rv = p->C_FindObjectsInit(sess, tmpl, 2);
	if (rv != CKR_OK)
		return rv;
	rv = p->C_FindObjects(sess, pub, 1, &n);
	p->C_FindObjectsFinal(sess);
	return rv == CKR_OK && n == 0 ? CKR_KEY_HANDLE_INVALID : rv;
}

static CK_RV decrypt_once(CK_OBJECT_HANDLE key, const CK_BYTE *ct, CK_ULONG ct_len, struct tally *t)
{
	CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
	CK_BYTE out[512];
	CK_ULONG out_len = sizeof(out);
	struct tally a = {0, 0, 0};
	CK_RV rv;

	if (t != NULL)
		a = log_tally();
	rv = p->C_DecryptInit(sess, &m, key);
	if (rv == CKR_OK)
		rv = p->C_Decrypt(sess, (CK_BYTE_PTR)ct, ct_len, out, &out_len);
	if (rv == CKR_OK && (out_len != 32 || memcmp(out, digest_info + 19, 32) != 0))
		rv = CKR_GENERAL_ERROR; /* a wrong plaintext is a failure, not a figure */
	if (t != NULL)
		*t = tally_diff(a, log_tally());
	return rv;
}

static CK_RV op_decrypt(void)
{
	CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
	CK_OBJECT_HANDLE key, pub;
	CK_BBOOL always;
	CK_BYTE ct[512];
	CK_ULONG ct_len = sizeof(ct);
	struct tally t = {0, 0, 0};
	double total = 0, t0;
	CK_RV rv = find_key(sess, CKK_RSA, CKA_DECRYPT, &key, &always);

	if (rv == CKR_OK)
		rv = find_pub(key, &pub);
	if (rv == CKR_OK)
		rv = p->C_EncryptInit(sess, &m, pub);
	if (rv == CKR_OK)
		rv = p->C_Encrypt(sess, (CK_BYTE_PTR)digest_info + 19, 32, ct, &ct_len);
	for (long i = 0; i < rounds && rv == CKR_OK; i++) {
		t0 = now_ms();
		rv = decrypt_once(key, ct, ct_len, i == 0 ? &t : NULL);
		total += now_ms() - t0;
		if (i == 0 && rounds > 1)
			total = 0;
	}
	report("decrypt", rv, t, "", rounds > 1 ? total / (double)(rounds - 1) : total);
	return CKR_OK;
}

struct worker {
	CK_SLOT_ID slot;
	CK_RV rv;
};

/* the workers log in, then all start signing together: the time is the signing only */
static pthread_barrier_t start_line;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	CK_SESSION_HANDLE s;
	struct sign_ctx c;
	CK_RV rv = p->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);

	if (rv == CKR_OK) {
		rv = p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
	}
	if (rv == CKR_OK)
		rv = sign_setup(s, parallel_ec, &c);
	pthread_barrier_wait(&start_line);
	for (long i = 0; i < rounds && rv == CKR_OK; i++)
		rv = sign_once(&c, NULL);
	w->rv = rv;
	return NULL;
}

static CK_RV op_parallel(void)
{
	struct worker w[MAX_SLOTS];
	pthread_t th[MAX_SLOTS];
	double t0, ms;
	CK_RV rv = CKR_OK;
	char extra[128];

	if ((CK_ULONG)nthreads > nslots) {
		fprintf(stderr, "p11op: %d threads but %lu tokens\n", nthreads,
		        (unsigned long)nslots);
		return CKR_ARGUMENTS_BAD;
	}
	pthread_barrier_init(&start_line, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		w[i].slot = slots[i];
		w[i].rv = CKR_OK;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	pthread_barrier_wait(&start_line);
	t0 = now_ms();
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		if (w[i].rv != CKR_OK)
			rv = w[i].rv;
	}
	ms = now_ms() - t0;
	pthread_barrier_destroy(&start_line);
	snprintf(extra, sizeof(extra), " threads=%d signs_per_thread=%ld sigs_per_s=%.1f", nthreads,
	         rounds, ms > 0 ? 1000.0 * (double)(nthreads * rounds) / ms : 0.0);
	card_log = NULL;
	report(parallel_ec ? "parallel-ec" : "parallel", rv, (struct tally){0, 0, 0}, extra, ms);
	return rv;
}

static CK_RV run_op(const char *op)
{
	if (strcmp(op, "bind") == 0)
		return op_bind();
	if (strcmp(op, "rebind") == 0)
		return op_rebind();
	if (strcmp(op, "info") == 0)
		return op_info();
	if (strcmp(op, "login") == 0)
		return op_login_as("login", CKU_USER, pin, rounds);
	if (strcmp(op, "login-so") == 0)
		return op_login_as("login-so", CKU_SO, puk, 1);
	if (strcmp(op, "sign-rsa") == 0)
		return op_sign(false);
	if (strcmp(op, "sign-ec") == 0)
		return op_sign(true);
	if (strcmp(op, "decrypt") == 0)
		return op_decrypt();
	if (strcmp(op, "parallel") == 0)
		return op_parallel();
	if (strcmp(op, "parallel-ec") == 0) {
		parallel_ec = true;
		return op_parallel();
	}
	fprintf(stderr, "p11op: unknown op %s\n", op);
	return CKR_ARGUMENTS_BAD;
}

static int usage(void)
{
	fprintf(stderr, "usage: p11op -m MODULE.so [-l CARD_LOG] [-p PIN] [-P PUK] [-n N] "
	                "[-t THREADS] [-x CMD] "
	                "bind|rebind|info|login|login-so|sign-rsa|sign-ec|decrypt|parallel|"
	                "parallel-ec...\n");
	return 2;
}

static int load(const char *module)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "p11op: %s\n", dlerror());
		return -1;
	}
	*(void **)&gfl = dlsym(h, "C_GetFunctionList");
	if (gfl == NULL || gfl(&p) != CKR_OK) {
		fprintf(stderr, "p11op: no C_GetFunctionList in %s\n", module);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *module = NULL;
	int c, status = 0;

	while ((c = getopt(argc, argv, "m:l:p:P:n:t:x:")) != -1) {
		switch (c) {
		case 'm':
			module = optarg;
			break;
		case 'l':
			card_log = optarg;
			break;
		case 'p':
			pin = optarg;
			break;
		case 'P':
			puk = optarg;
			break;
		case 'n':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 'x':
			before_sign = optarg;
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (module == NULL || optind >= argc || rounds < 1 || nthreads < 1 ||
	    nthreads > MAX_SLOTS || strcmp(argv[optind], "bind") != 0)
		return usage();
	if (load(module) != 0)
		return 1;
	for (int i = optind; i < argc && status == 0; i++)
		if (run_op(argv[i]) != CKR_OK)
			status = 1;
	p->C_Finalize(NULL);
	return status;
}
