/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R34: two processes signing side by side on one card never mix their
 * APDUs, and the module holds no transaction between calls (shared mode);
 * the card's security state, which all applications share, is followed.
 *
 * The parent forks two signers; each loads the module itself (a process of
 * its own, as two applications would), logs in, takes private key number i
 * of the token (i = 0, 1, in the order of C_FindObjects) and, once both are
 * ready, signs ROUNDS distinct messages with it. Every signature is checked
 * with OpenSSL against the certificate of the same CKA_ID: if one process's
 * MSE (key selection) were followed by the other's PSO, the signature would
 * be made with the wrong key and fail. A key with CKA_ALWAYS_AUTHENTICATE
 * gets its C_Login(CKU_CONTEXT_SPECIFIC) before each signature.
 *  - While both sit logged in between calls, the parent, a third PC/SC
 *    client, sends GET DATA: it must get through at once.
 *  - While they sign, the parent keeps selecting EF.DIR (2F00, in the MF)
 *    from its own connection, as another application would, which makes
 *    the MF the current DF: the module must not assume that DF 3D00 is
 *    still current in its next transaction (docs/card.md §3: a 2.x MSE
 *    outside 3D00 is 6A88). Not the MF itself: on 2.x re-selecting the MF
 *    logs the card out for every application (docs/card.md §3).
 *  - Then one process logs out (LOGOUT clears the card's state for all,
 *    R22) while the other has a signature under way: the other's C_Sign
 *    gets CKR_USER_NOT_LOGGED_IN, its token is logged out (not "already
 *    logged in") and the operation ended; after C_Login it signs. Both
 *    ways round.
 *  - On a card with a PIN-per-signature key, both processes use it: one
 *    logs in for a signature, the other signs first and so uses the
 *    card's permission; the first's C_Sign is refused, it stays logged in,
 *    the refusal ended its operation (R20, PKCS#11 §5.13), and a new
 *    C_SignInit with its context login signs.
 *   p11_sharing MODULE.so READER PIN ROUNDS
 * Prints "ok - ..." / "FAIL - ..." lines and "N passed, N failed".
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <winscard.h>

#include "../../pkcs11/p11.h"
#include "tap.h"

#define PAUSE_US 60000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ----- one signer (a child process) ----- */

struct signer {
	CK_FUNCTION_LIST *p;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_BBOOL aa;
	CK_KEY_TYPE type;
	char label[64];
	EVP_PKEY *pub; /* from the certificate with the key's CKA_ID */
};

static CK_FUNCTION_LIST *load(const char *path)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST *p = NULL;
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL)
		return NULL;
	gfl = (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList");
	if (gfl == NULL || gfl(&p) != CKR_OK || p->C_Initialize(NULL) != CKR_OK)
		return NULL;
	return p;
}

/* Object number `nth` of class cls (and CKA_ID = id when id_len > 0). */
static CK_OBJECT_HANDLE find_nth(struct signer *g, CK_OBJECT_CLASS cls, const CK_BYTE *id,
                                 CK_ULONG id_len, int nth)
{
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, id_len}};
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;

	if (g->p->C_FindObjectsInit(g->s, t, id_len > 0 ? 2 : 1) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (g->p->C_FindObjects(g->s, h, 8, &n) != CKR_OK)
		n = 0;
	g->p->C_FindObjectsFinal(g->s);
	return nth < (int)n ? h[nth] : CK_INVALID_HANDLE;
}

static bool load_cert_key(struct signer *g, const CK_BYTE *id, CK_ULONG id_len)
{
	CK_BYTE der[4096];
	CK_ATTRIBUTE v = {CKA_VALUE, der, sizeof(der)};
	CK_OBJECT_HANDLE c = find_nth(g, CKO_CERTIFICATE, id, id_len, 0);
	const unsigned char *q = der;
	X509 *x;

	if (c == CK_INVALID_HANDLE || g->p->C_GetAttributeValue(g->s, c, &v, 1) != CKR_OK)
		return false;
	x = d2i_X509(NULL, &q, (long)v.ulValueLen);
	if (x == NULL)
		return false;
	g->pub = X509_get_pubkey(x);
	X509_free(x);
	return g->pub != NULL;
}

/* Private key number nth of the token becomes the signer's key: its
 * handle, type, label, CKA_ALWAYS_AUTHENTICATE and its certificate's
 * public key (same CKA_ID). */
static bool take_key(struct signer *g, int nth)
{
	CK_BYTE id[64];
	CK_ATTRIBUTE a[4] = {
	        {CKA_ID, id, sizeof(id)},
	        {CKA_ALWAYS_AUTHENTICATE, &g->aa, sizeof(g->aa)},
	        {CKA_KEY_TYPE, &g->type, sizeof(g->type)},
	        {CKA_LABEL, g->label, sizeof(g->label) - 1},
	};

	EVP_PKEY_free(g->pub);
	g->pub = NULL;
	g->key = find_nth(g, CKO_PRIVATE_KEY, NULL, 0, nth);
	if (g->key == CK_INVALID_HANDLE || g->p->C_GetAttributeValue(g->s, g->key, a, 4) != CKR_OK)
		return false;
	g->label[a[3].ulValueLen] = '\0';
	return load_cert_key(g, id, a[0].ulValueLen);
}

static bool signer_setup(struct signer *g, const char *module, const char *pin, int nth)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;

	g->p = load(module);
	if (g->p == NULL || g->p->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n < 1)
		return false;
	if (g->p->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &g->s) != CKR_OK ||
	    g->p->C_Login(g->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK)
		return false;
	return take_key(g, nth);
}

/* PKCS#11 raw r||s → DER for OpenSSL. */
static bool ecdsa_der(const CK_BYTE *sig, CK_ULONG len, unsigned char *der, size_t *der_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *q = der;
	int n;

	if (es == NULL || !ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)len / 2, NULL),
	                                  BN_bin2bn(sig + len / 2, (int)len / 2, NULL))) {
		ECDSA_SIG_free(es);
		return false;
	}
	n = i2d_ECDSA_SIG(es, &q);
	ECDSA_SIG_free(es);
	*der_len = n > 0 ? (size_t)n : 0;
	return n > 0;
}

static bool verify(struct signer *g, const CK_BYTE *msg, size_t msg_len, const CK_BYTE *sig,
                   CK_ULONG sig_len)
{
	unsigned char der[256];
	size_t der_len = sig_len;
	const unsigned char *s = sig;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	if (g->type == CKK_EC) {
		if (!ecdsa_der(sig, sig_len, der, &der_len)) {
			EVP_MD_CTX_free(md);
			return false;
		}
		s = der;
	}
	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, g->pub) == 1 &&
	     EVP_DigestVerify(md, s, der_len, msg, msg_len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

static CK_RV sign_one(struct signer *g, const char *pin, const CK_BYTE *msg, size_t len,
                      CK_BYTE *sig, CK_ULONG *sig_len)
{
	CK_MECHANISM m = {g->type == CKK_EC ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RV rv = g->p->C_SignInit(g->s, &m, g->key);

	if (rv == CKR_OK && g->aa)
		rv = g->p->C_Login(g->s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv == CKR_OK)
		rv = g->p->C_Sign(g->s, (CK_BYTE_PTR)msg, len, sig, sig_len);
	return rv;
}

static char wait_byte(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 ? c : 0;
}

/* A line to the parent: "RESULT ...", "CHECK y|n text", "ACK", "FAIL". */
static void say(FILE *up, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(up, fmt, ap);
	va_end(ap);
	fputc('\n', up);
	fflush(up);
}

static void signer_rounds(struct signer *g, const char *pin, int nth, int rounds, FILE *up)
{
	int good = 0, bad = 0;
	CK_RV first_bad = CKR_OK;
	double t0 = now(), t1;

	for (int r = 0; r < rounds; r++) {
		CK_BYTE msg[64], sig[512];
		CK_ULONG sl = sizeof(sig);
		int len = snprintf((char *)msg, sizeof(msg), "signer %d round %d", nth, r);
		CK_RV rv = sign_one(g, pin, msg, (size_t)len, sig, &sl);

		if (rv == CKR_OK && verify(g, msg, (size_t)len, sig, sl)) {
			good++;
		} else {
			bad++;
			if (first_bad == CKR_OK)
				first_bad = rv == CKR_OK ? CKR_SIGNATURE_INVALID : rv;
		}
		/* an application pauses between signatures: room for the third
		 * one, whose commands pcsc-lite holds back while a transaction
		 * is open (it looks again every 100 ms or so) */
		usleep(PAUSE_US);
	}
	t1 = now();
	say(up, "RESULT %d %d %d 0x%lx %.6f %.6f %s%s", nth, good, bad, first_bad, t0, t1, g->label,
	    g->aa ? " (PIN per signature)" : "");
}

static CK_STATE state_of(struct signer *g)
{
	CK_SESSION_INFO si;

	return g->p->C_GetSessionInfo(g->s, &si) == CKR_OK ? si.state : (CK_STATE)-1;
}

/* 'P': a signature under way: C_SignInit (and the context login). */
static void step_prepare(struct signer *g, const char *pin, FILE *up)
{
	CK_MECHANISM m = {g->type == CKK_EC ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RV rv = g->p->C_SignInit(g->s, &m, g->key);

	if (rv == CKR_OK && g->aa)
		rv = g->p->C_Login(g->s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	say(up, "CHECK %c C_SignInit%s = 0x%lx", rv == CKR_OK ? 'y' : 'n',
	    g->aa ? " + C_Login(CKU_CONTEXT_SPECIFIC)" : "", rv);
}

/* 'S': the signature after another process's LOGOUT. */
static void step_refused(struct signer *g, const char *pin, FILE *up)
{
	static const CK_BYTE msg[] = "after the other's logout";
	CK_BYTE sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = g->p->C_Sign(g->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
	CK_UTF8CHAR_PTR u = (CK_UTF8CHAR_PTR)pin;

	say(up,
	    "CHECK %c C_Sign after the other process's LOGOUT = 0x%lx (want "
	    "CKR_USER_NOT_LOGGED_IN)",
	    rv == CKR_USER_NOT_LOGGED_IN ? 'y' : 'n', rv);
	say(up, "CHECK %c the token is logged out now (state %lu)",
	    state_of(g) == CKS_RO_PUBLIC_SESSION ? 'y' : 'n', state_of(g));
	rv = g->p->C_Login(g->s, CKU_USER, u, strlen(pin));
	say(up, "CHECK %c C_Login(CKU_USER) = 0x%lx", rv == CKR_OK ? 'y' : 'n', rv);
	/* logged out altogether, the operation ended (PKCS#11): start again */
	rv = sign_one(g, pin, msg, sizeof(msg), sig, &sl);
	say(up, "CHECK %c C_SignInit%s + C_Sign again, the signature verifies = 0x%lx",
	    rv == CKR_OK && verify(g, msg, sizeof(msg), sig, sl) ? 'y' : 'n',
	    g->aa ? " + C_Login(CKU_CONTEXT_SPECIFIC)" : "", rv);
}

/* 'A': take over the key of signer 0 (the PIN-per-signature key). */
static void step_adopt(struct signer *g, FILE *up)
{
	bool ok = take_key(g, 0);

	say(up, "CHECK %c took key 0 (%s)", ok ? 'y' : 'n', g->label);
}

/* 'O': one whole signature (with its context login). */
static void step_one(struct signer *g, const char *pin, FILE *up)
{
	static const CK_BYTE msg[] = "one whole signature";
	CK_BYTE sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = sign_one(g, pin, msg, sizeof(msg), sig, &sl);

	say(up, "CHECK %c a whole signature with the same key = 0x%lx",
	    rv == CKR_OK && verify(g, msg, sizeof(msg), sig, sl) ? 'y' : 'n', rv);
}

/* 'R': after 'P', the other process used the permission the card had
 * for this key: C_Sign is refused, the PIN stays verified, and the refusal
 * ended the operation (R20, PKCS#11 §5.13); C_SignInit + the context login
 * + C_Sign then sign. */
static void step_consent_lost(struct signer *g, const char *pin, FILE *up)
{
	static const CK_BYTE m1[] = "refused", m2[] = "signed after a new C_SignInit";
	CK_BYTE sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = g->p->C_Sign(g->s, (CK_BYTE_PTR)m1, sizeof(m1), sig, &sl);

	say(up,
	    "CHECK %c C_Sign after the other used the card's permission = 0x%lx (want "
	    "CKR_USER_NOT_LOGGED_IN)",
	    rv == CKR_USER_NOT_LOGGED_IN ? 'y' : 'n', rv);
	say(up, "CHECK %c still logged in (state %lu)",
	    state_of(g) == CKS_RO_USER_FUNCTIONS ? 'y' : 'n', state_of(g));
	sl = sizeof(sig);
	rv = g->p->C_Sign(g->s, (CK_BYTE_PTR)m1, sizeof(m1), sig, &sl);
	say(up,
	    "CHECK %c the refusal ended the operation: C_Sign again = 0x%lx (want "
	    "CKR_OPERATION_NOT_INITIALIZED)",
	    rv == CKR_OPERATION_NOT_INITIALIZED ? 'y' : 'n', rv);
	sl = sizeof(sig);
	rv = sign_one(g, pin, m2, sizeof(m2), sig, &sl);
	say(up, "CHECK %c C_SignInit + context login + C_Sign then sign = 0x%lx",
	    rv == CKR_OK && verify(g, m2, sizeof(m2), sig, sl) ? 'y' : 'n', rv);
}

/* Child: setup, READY, then commands from the parent until 'C'. */
static int signer_main(const char *module, const char *pin, int nth, int rounds, FILE *up, int down)
{
	struct signer g;
	char c;

	memset(&g, 0, sizeof(g));
	if (!signer_setup(&g, module, pin, nth)) {
		say(up, "FAIL");
		return 2;
	}
	say(up, "READY");
	while ((c = wait_byte(down)) != 'C' && c != 0) {
		CK_RV rv;

		switch (c) {
		case 'G':
			signer_rounds(&g, pin, nth, rounds, up);
			break;
		case 'P':
			step_prepare(&g, pin, up);
			break;
		case 'S':
			step_refused(&g, pin, up);
			break;
		case 'A':
			step_adopt(&g, up);
			break;
		case 'O':
			step_one(&g, pin, up);
			break;
		case 'R':
			step_consent_lost(&g, pin, up);
			break;
		case 'L':
			rv = g.p->C_Logout(g.s);
			say(up, "CHECK %c C_Logout = 0x%lx", rv == CKR_OK ? 'y' : 'n', rv);
			break;
		case 'I':
			rv = g.p->C_Login(g.s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
			say(up, "CHECK %c C_Login = 0x%lx", rv == CKR_OK ? 'y' : 'n', rv);
			break;
		default:
			break;
		}
		say(up, "ACK");
	}
	g.p->C_CloseSession(g.s);
	g.p->C_Finalize(NULL);
	EVP_PKEY_free(g.pub);
	return 0;
}

/* ----- the parent ----- */

struct child {
	pid_t pid;
	FILE *up; /* lines from the child */
	int down; /* command bytes to it */
	char result[512];
};

static bool spawn(struct child *c, const char *module, const char *pin, int nth, int rounds)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		return false;
	c->pid = fork();
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(signer_main(module, pin, nth, rounds, fdopen(up[1], "w"), down[0]));
	}
	close(up[1]);
	close(down[0]);
	c->up = fdopen(up[0], "r");
	c->down = down[1];
	return c->up != NULL;
}

/* Sends cmd to child i and turns its lines into checks up to "ACK";
 * a RESULT line is kept in c->result. False when the child is gone. */
static bool command(struct child *c, int i, char cmd)
{
	char line[512];

	if (cmd != 0 && write(c->down, &cmd, 1) != 1) /* 0: only read the answer */
		return false;
	while (fgets(line, sizeof(line), c->up) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ACK") == 0)
			return true;
		if (strncmp(line, "CHECK ", 6) == 0)
			check(line[6] == 'y', "signer %d: %s", i, line + 8);
		else if (strncmp(line, "RESULT ", 7) == 0)
			snprintf(c->result, sizeof(c->result), "%s", line);
	}
	check(false, "signer %d answers '%c'", i, cmd);
	return false;
}

struct result {
	int nth, good, bad;
	unsigned long first_bad;
	double t0, t1;
	char label[96];
};

static bool parse_result(const char *line, struct result *r)
{
	return sscanf(line, "RESULT %d %d %d %lx %lf %lf %95[^\n]", &r->nth, &r->good, &r->bad,
	              &r->first_bad, &r->t0, &r->t1, r->label) == 7;
}

/* ----- the parent's own PC/SC connection: a third application ----- */

struct third {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	volatile int stop;
	int selects, ok;
};

static bool third_send(struct third *t, const BYTE *cmd, DWORD len, WORD *sw)
{
	BYTE resp[258];
	DWORD rl = sizeof(resp);

	if (SCardTransmit(t->h, SCARD_PCI_T1, cmd, len, NULL, resp, &rl) != SCARD_S_SUCCESS ||
	    rl < 2)
		return false;
	*sw = (WORD)(resp[rl - 2] << 8 | resp[rl - 1]);
	return true;
}

static bool third_open(struct third *t, const char *reader)
{
	DWORD proto = 0;

	memset(t, 0, sizeof(*t));
	return SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &t->ctx) == SCARD_S_SUCCESS &&
	       SCardConnect(t->ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &t->h, &proto) ==
	               SCARD_S_SUCCESS;
}

/* SELECT EF.DIR by path from the MF (ISO 7816-4, P1 08, P2 0C: no answer
 * data) in a loop until stopped. */
static void *third_select_mf(void *arg)
{
	static const BYTE sel_mf[] = {0x00, 0xA4, 0x08, 0x0C, 0x02, 0x2F, 0x00};
	struct third *t = arg;
	WORD sw = 0;

	while (!t->stop) {
		t->selects++;
		if (third_send(t, sel_mf, sizeof(sel_mf), &sw) && sw == 0x9000)
			t->ok++;
		usleep(3000);
	}
	return NULL;
}

static void raw_check(struct third *t)
{
	static const BYTE get_data[] = {0x00, 0xCA, 0x01, 0x06, 0x4D};
	double t0 = now();
	WORD sw = 0;
	bool ok = third_send(t, get_data, sizeof(get_data), &sw);

	check(ok && sw == 0x9000 && now() - t0 < 3.0,
	      "R34: a third application's GET DATA gets through while both signers are logged "
	      "in (SW %04X, %.3f s): shared mode, no transaction held between calls",
	      sw, now() - t0);
}

/* Phase 2: `other` logs out while `victim` has a signature under way. */
static void logout_under(struct child *c, int victim, int other)
{
	command(&c[victim], victim, 'P');
	command(&c[other], other, 'L');
	command(&c[victim], victim, 'S');
}

int main(int argc, char **argv)
{
	struct child c[2];
	struct result r[2];
	struct third t;
	pthread_t th;
	int rounds, st;
	bool ready = true;

	if (argc != 5 || (rounds = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: %s MODULE.so READER PIN ROUNDS\n", argv[0]);
		return 2;
	}
	memset(r, 0, sizeof(r));
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 2; i++) {
		char line[64] = "";

		if (!spawn(&c[i], argv[1], argv[3], i, rounds))
			return 2;
		if (fgets(line, sizeof(line), c[i].up) == NULL || strcmp(line, "READY\n") != 0)
			ready = false;
		check(ready, "signer %d: module loaded, logged in, key %d found", i, i);
	}
	if (!ready || !third_open(&t, argv[2])) {
		check(ready, "the parent's own PC/SC connection to %s", argv[2]);
		for (int i = 0; i < 2; i++) {
			kill(c[i].pid, SIGKILL);
			waitpid(c[i].pid, &st, 0);
		}
		return tap_summary();
	}
	raw_check(&t);
	/* both sign at once, the third application selecting the MF meanwhile */
	pthread_create(&th, NULL, third_select_mf, &t);
	for (int i = 0; i < 2; i++)
		(void)!write(c[i].down, "G", 1);
	for (int i = 0; i < 2; i++) {
		c[i].result[0] = '\0';
		/* 'G' was sent already: read up to its ACK */
		bool got = command(&c[i], i, 0) && parse_result(c[i].result, &r[i]);

		check(got && r[i].good == rounds && r[i].bad == 0,
		      "R34: signer %d (%s): %d/%d signatures verified by OpenSSL against its own "
		      "certificate (first failure 0x%lx)",
		      i, r[i].label, r[i].good, rounds, r[i].first_bad);
	}
	t.stop = 1;
	pthread_join(th, NULL);
	check(t.ok >= 3 && t.ok == t.selects,
	      "R34: the third application selected EF.DIR in the MF %d times (%d answered 9000) "
	      "meanwhile",
	      t.selects, t.ok);
	{
		double lo = r[0].t0 > r[1].t0 ? r[0].t0 : r[1].t0;
		double hi = r[0].t1 < r[1].t1 ? r[0].t1 : r[1].t1;

		check(hi - lo > 0.0,
		      "R34: the two signing windows overlap by %.2f s (%.2f s and %.2f s long)",
		      hi - lo, r[0].t1 - r[0].t0, r[1].t1 - r[1].t0);
	}
	logout_under(c, 1, 0);
	command(&c[0], 0, 'I');
	logout_under(c, 0, 1);
	if (strstr(r[0].label, "(PIN per signature)") != NULL) {
		/* both on the PIN-per-signature key: signer 1's signature uses
		 * the permission signer 0's context login gave the card */
		command(&c[1], 1, 'I');
		command(&c[1], 1, 'A');
		command(&c[0], 0, 'P');
		command(&c[1], 1, 'O');
		command(&c[0], 0, 'R');
	}
	for (int i = 0; i < 2; i++) {
		(void)!write(c[i].down, "C", 1);
		waitpid(c[i].pid, &st, 0);
		check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "signer %d exits 0 (status %d)", i,
		      st);
	}
	SCardDisconnect(t.h, SCARD_LEAVE_CARD);
	SCardReleaseContext(t.ctx);
	return tap_summary();
}
