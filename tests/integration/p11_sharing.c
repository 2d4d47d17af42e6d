/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R34: two processes signing side by side on one card never mix their
 * APDUs, and the module holds no transaction between calls (shared mode).
 *
 * The parent forks two signers; each loads the module itself (a process of
 * its own, as two applications would), logs in, takes private key number i
 * of the token (i = 0, 1, in the order of C_FindObjects) and, once both are
 * ready, signs ROUNDS distinct messages with it. Every signature is checked
 * with OpenSSL against the certificate of the same CKA_ID: if one process's
 * MSE (key selection) were followed by the other's PSO, the signature would
 * be made with the wrong key and fail. A key with CKA_ALWAYS_AUTHENTICATE
 * gets its C_Login(CKU_CONTEXT_SPECIFIC) before each signature; the card
 * clears that permission on any signature with that key only (AKIS-CARD.md
 * §3), so the other process's signatures with another key must not disturb
 * it. While both signers sit logged in between calls, the parent runs
 * $P11_RAWCHECK (a raw PC/SC GET DATA from a third process): it must get
 * through at once. The signing windows of the two processes must overlap,
 * or the test proved nothing.
 *   P11_RAWCHECK='cmd' p11_sharing MODULE.so PIN ROUNDS
 * Prints "ok - ..." / "FAIL - ..." lines and "N passed, N failed".
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../../pkcs11/p11.h"
#include "tap.h"


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
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
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
	CK_ATTRIBUTE v = { CKA_VALUE, der, sizeof(der) };
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

static bool signer_setup(struct signer *g, const char *module, const char *pin, int nth)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_BYTE id[64];
	CK_ATTRIBUTE a[4] = {
		{ CKA_ID, id, sizeof(id) },
		{ CKA_ALWAYS_AUTHENTICATE, &g->aa, sizeof(g->aa) },
		{ CKA_KEY_TYPE, &g->type, sizeof(g->type) },
		{ CKA_LABEL, g->label, sizeof(g->label) - 1 },
	};

	g->p = load(module);
	if (g->p == NULL || g->p->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n < 1)
		return false;
	if (g->p->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &g->s) != CKR_OK ||
	    g->p->C_Login(g->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK)
		return false;
	g->key = find_nth(g, CKO_PRIVATE_KEY, NULL, 0, nth);
	if (g->key == CK_INVALID_HANDLE || g->p->C_GetAttributeValue(g->s, g->key, a, 4) != CKR_OK)
		return false;
	g->label[a[3].ulValueLen] = '\0';
	return load_cert_key(g, id, a[0].ulValueLen);
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
	CK_MECHANISM m = { g->type == CKK_EC ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS, NULL, 0 };
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

/* Child: setup, 'R' (ready), wait 'G', sign, report, 'D' (done), wait 'C'. */
static int signer_main(const char *module, const char *pin, int nth, int rounds, int up, int down)
{
	struct signer g;
	int good = 0, bad = 0;
	CK_RV first_bad = CKR_OK;
	double t0, t1;

	memset(&g, 0, sizeof(g));
	if (!signer_setup(&g, module, pin, nth)) {
		printf("# signer %d: setup failed\n", nth);
		(void)!write(up, "F", 1);
		return 2;
	}
	(void)!write(up, "R", 1);
	if (wait_byte(down) != 'G')
		return 2;
	t0 = now();
	for (int r = 0; r < rounds; r++) {
		CK_BYTE msg[64], sig[512];
		CK_ULONG sl = sizeof(sig);
		int len = snprintf((char *)msg, sizeof(msg), "signer %d round %d", nth, r);
		CK_RV rv = sign_one(&g, pin, msg, (size_t)len, sig, &sl);

		if (rv == CKR_OK && verify(&g, msg, (size_t)len, sig, sl)) {
			good++;
		} else {
			bad++;
			if (first_bad == CKR_OK)
				first_bad = rv == CKR_OK ? CKR_SIGNATURE_INVALID : rv;
		}
	}
	t1 = now();
	/* one line the parent parses: nth good bad first_bad t0 t1 label */
	printf("RESULT %d %d %d 0x%lx %.6f %.6f %s%s\n", nth, good, bad, first_bad, t0, t1, g.label,
	       g.aa ? " (PIN per signature)" : "");
	fflush(stdout);
	(void)!write(up, "D", 1);
	(void)wait_byte(down); /* 'C': both are done, close now (LOGOUT) */
	g.p->C_CloseSession(g.s);
	g.p->C_Finalize(NULL);
	EVP_PKEY_free(g.pub);
	return bad ? 1 : 0;
}

/* ----- the parent ----- */

struct child {
	pid_t pid;
	int up, down, out; /* pipes: child → parent bytes, parent → child, child's stdout */
};

static bool spawn(struct child *c, const char *module, const char *pin, int nth, int rounds)
{
	int up[2], down[2], out[2];

	if (pipe(up) || pipe(down) || pipe(out))
		return false;
	c->pid = fork();
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		close(up[0]);
		close(down[1]);
		close(out[0]);
		dup2(out[1], STDOUT_FILENO);
		_exit(signer_main(module, pin, nth, rounds, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	close(out[1]);
	c->up = up[0];
	c->down = down[1];
	c->out = out[0];
	return true;
}

struct result {
	int nth, good, bad;
	unsigned long first_bad;
	double t0, t1;
	char label[96];
};

static bool read_result(struct child *c, struct result *r)
{
	char buf[4096];
	ssize_t n = read(c->out, buf, sizeof(buf) - 1);
	char *line;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	fputs(buf, stdout); /* the signer's own lines, for the log */
	line = strstr(buf, "RESULT ");
	return line != NULL && sscanf(line, "RESULT %d %d %d %lx %lf %lf %95[^\n]", &r->nth,
				      &r->good, &r->bad, &r->first_bad, &r->t0, &r->t1,
				      r->label) == 7;
}

static void raw_check(void)
{
	const char *cmd = getenv("P11_RAWCHECK");
	double t = now();
	int st;

	if (cmd == NULL || *cmd == '\0')
		return check(false, "R34: P11_RAWCHECK not set");
	st = system(cmd);
	check(st == 0 && now() - t < 3.0,
	      "R34: a third process's raw GET DATA gets through while both signers are logged in "
	      "(exit %d, %.2f s): shared mode, no transaction held between calls",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1, now() - t);
}

int main(int argc, char **argv)
{
	struct child c[2];
	struct result r[2];
	int rounds, st;

	if (argc != 4 || (rounds = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: P11_RAWCHECK=cmd %s MODULE.so PIN ROUNDS\n", argv[0]);
		return 2;
	}
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 2; i++)
		if (!spawn(&c[i], argv[1], argv[2], i, rounds))
			return 2;
	bool ready = true;

	for (int i = 0; i < 2; i++) {
		bool ok = wait_byte(c[i].up) == 'R';

		check(ok, "signer %d: module loaded, logged in, key %d found", i, i);
		ready = ready && ok;
	}
	if (!ready) {
		for (int i = 0; i < 2; i++) {
			kill(c[i].pid, SIGKILL);
			waitpid(c[i].pid, &st, 0);
		}
		return tap_summary();
	}
	raw_check();
	for (int i = 0; i < 2; i++)
		(void)!write(c[i].down, "G", 1);
	for (int i = 0; i < 2; i++) {
		bool got = wait_byte(c[i].up) == 'D' && read_result(&c[i], &r[i]);

		check(got && r[i].good == rounds && r[i].bad == 0,
		      "R34: signer %d (%s): %d/%d signatures verified by OpenSSL against its own "
		      "certificate (first failure 0x%lx)", i, r[i].label, r[i].good, rounds,
		      r[i].first_bad);
	}
	{
		double lo = r[0].t0 > r[1].t0 ? r[0].t0 : r[1].t0;
		double hi = r[0].t1 < r[1].t1 ? r[0].t1 : r[1].t1;

		check(hi - lo > 0.0,
		      "R34: the two signing windows overlap by %.2f s (%.2f s and %.2f s long)",
		      hi - lo, r[0].t1 - r[0].t0, r[1].t1 - r[1].t0);
	}
	for (int i = 0; i < 2; i++) {
		(void)!write(c[i].down, "C", 1);
		waitpid(c[i].pid, &st, 0);
		check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "signer %d exits 0 (status %d)", i, st);
	}
	return tap_summary();
}
