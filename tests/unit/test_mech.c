/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkcs11/mech.c: mechanism list and info per profile (R27), the software
 * half of every operation checked against OpenSSL playing the card
 * (raw RSA / PKCS#1 signing / ECDSA with the test's own private keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/ec.h>

#include "../../log/log.h"
#include "../../pkcs11/crypto.h"
#include "../../pkcs11/mech.h"
#include "../../pkcs11/ops.h"
#include "../../pkcs11/session.h"
#include "../../pkcs11/slot.h"
#include "object_fixtures.h"

__attribute__((weak)) void log_msg(enum log_cat cat, const char *fmt, ...)
{
	(void)cat;
	(void)fmt;
}

#define ALL_USAGE                                                                                  \
	(AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION | AKIS_USAGE_DECRYPT | AKIS_USAGE_UNWRAP)

struct tctx {
	struct fx f;
	struct p11_objset set;
	struct p11_op *op;
};

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof *t);
	t->f = fx_card(ALL_USAGE);
	assert_int_equal(p11_objects_build(t->f.card, 1, &t->set), CKR_OK);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;
	p11_op_free(t->op);
	p11_objects_free(&t->set);
	fx_card_free(&t->f);
	free(t);
	return 0;
}

static const struct p11_object *obj(struct tctx *t, CK_OBJECT_CLASS klass, uint8_t id)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &klass, sizeof klass}, {CKA_ID, &id, 1}};
	for (size_t i = 0; i < t->set.n; i++)
		if (p11_object_match(&t->set.objs[i], tmpl, 2))
			return &t->set.objs[i];
	fail_msg("no object");
	return NULL;
}

static CK_RV start(struct tctx *t, enum p11_op_kind kind, CK_OBJECT_CLASS klass, uint8_t id,
                   CK_MECHANISM_TYPE m, void *param, CK_ULONG plen)
{
	CK_MECHANISM mech = {m, param, plen};
	p11_op_free(t->op);
	t->op = NULL;
	return p11_op_new(kind, t->f.card, kind == P11_OP_DIGEST ? NULL : obj(t, klass, id), &mech,
	                  &t->op);
}

static size_t prepare(struct tctx *t, enum akis_sign_alg want, uint8_t *block)
{
	enum akis_sign_alg alg;
	size_t len = 0;
	assert_int_equal(p11_op_sign_prepare(t->op, &alg, block, 512, &len), CKR_OK);
	assert_int_equal(alg, want);
	return len;
}

/* ----- OpenSSL as the card and as the referee ----- */

static size_t pkey_op(EVP_PKEY *pk, int op, int pad, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	size_t n = 1024;
	int ok = op == 0   ? EVP_PKEY_decrypt_init(ctx)
	         : op == 1 ? EVP_PKEY_sign_init(ctx)
	                   : EVP_PKEY_encrypt_init(ctx);
	assert_int_equal(ok, 1);
	if (pad)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, pad) > 0);
	ok = op == 0   ? EVP_PKEY_decrypt(ctx, out, &n, in, len)
	     : op == 1 ? EVP_PKEY_sign(ctx, out, &n, in, len)
	               : EVP_PKEY_encrypt(ctx, out, &n, in, len);
	assert_int_equal(ok, 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}
/* The card's raw RSA (sign RAW, decipher): block^d mod n. */
#define CARD_RAW(pk, in, len, out) pkey_op(pk, 0, RSA_NO_PADDING, in, len, out)
/* The card's PKCS#1 v1.5 signature of a DigestInfo. */
#define CARD_PKCS1(pk, in, len, out) pkey_op(pk, 1, RSA_PKCS1_PADDING, in, len, out)

static void md_hash(const char *name, const void *d, size_t len, uint8_t *out, size_t *out_len)
{
	unsigned n = 0;
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	assert_true(EVP_Digest(d, len, out, &n, md, NULL));
	EVP_MD_free(md);
	*out_len = n;
}

/* ----- mechanism list and info (R27) ----- */

static bool listed(const CK_MECHANISM_TYPE *l, size_t n, CK_MECHANISM_TYPE m)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == m)
			return true;
	return false;
}

static void test_list_profiles(void **state)
{
	struct tctx *t = *state;
	CK_MECHANISM_TYPE l[64];
	size_t n = 0;
	p11_mech_list(t->f.card, l, 64, &n);
	assert_int_equal(n, 25); /* akis-2, RSA + EC keys */
	static const CK_MECHANISM_TYPE must[] = {CKM_RSA_PKCS,        CKM_RSA_X_509,
	                                         CKM_RSA_PKCS_PSS,    CKM_RSA_PKCS_OAEP,
	                                         CKM_SHA256_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS,
	                                         CKM_ECDSA,           CKM_ECDSA_SHA384,
	                                         CKM_SHA_1,           CKM_SHA512};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		assert_true(listed(l, n, must[i]));
	size_t n2 = 0;
	p11_mech_list(t->f.card, l, 3, &n2); /* cap: fills 3, tells all */
	assert_int_equal(n2, 25);
	/* a 1.x card: RSA only — no ECDSA offered */
	t->f.card->atr.profile = AKIS_PROFILE_1_2;
	t->f.card->n_keys = 1;
	p11_mech_list(t->f.card, l, 64, &n);
	assert_int_equal(n, 19);
	assert_false(listed(l, n, CKM_ECDSA));
	assert_true(listed(l, n, CKM_RSA_PKCS_PSS)); /* R27: PSS on every profile */
	CK_MECHANISM_INFO info;
	assert_int_equal(p11_mech_info(t->f.card, CKM_ECDSA, &info), CKR_MECHANISM_INVALID);
	/* EC keys only: no RSA mechanisms */
	t->f.card->atr.profile = AKIS_PROFILE_2;
	t->f.card->keys[0] = t->f.card->keys[1];
	p11_mech_list(t->f.card, l, 64, &n);
	assert_int_equal(n, 11);
	assert_false(listed(l, n, CKM_RSA_PKCS));
	assert_int_equal(p11_mech_info(t->f.card, CKM_RSA_PKCS, &info), CKR_MECHANISM_INVALID);
	assert_int_equal(p11_mech_info(t->f.card, CKM_MD5, &info), CKR_MECHANISM_INVALID);
}

static void test_mech_info(void **state)
{
	struct tctx *t = *state;
	CK_MECHANISM_INFO i;
	assert_int_equal(p11_mech_info(t->f.card, CKM_RSA_PKCS, &i), CKR_OK);
	assert_int_equal(i.ulMinKeySize, 1024);
	assert_int_equal(i.ulMaxKeySize, 2048);
	assert_int_equal(i.flags, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_DECRYPT | CKF_ENCRYPT);
	assert_int_equal(p11_mech_info(t->f.card, CKM_SHA256_RSA_PKCS_PSS, &i), CKR_OK);
	assert_int_equal(i.flags, CKF_HW | CKF_SIGN | CKF_VERIFY);
	assert_int_equal(p11_mech_info(t->f.card, CKM_RSA_PKCS_OAEP, &i), CKR_OK);
	assert_int_equal(i.flags, CKF_HW | CKF_DECRYPT | CKF_ENCRYPT);
	assert_int_equal(p11_mech_info(t->f.card, CKM_ECDSA_SHA256, &i), CKR_OK);
	assert_int_equal(i.ulMinKeySize, 256);
	assert_int_equal(i.ulMaxKeySize, 384);
	assert_int_equal(i.flags, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	                                  CKF_EC_UNCOMPRESS);
	assert_int_equal(p11_mech_info(t->f.card, CKM_SHA384, &i), CKR_OK);
	assert_int_equal(i.flags, CKF_DIGEST);
	t->f.card->keys[0].bits = 4096; /* the card's sizes widen the range */
	assert_int_equal(p11_mech_info(t->f.card, CKM_RSA_X_509, &i), CKR_OK);
	assert_int_equal(i.ulMaxKeySize, 4096);
	assert_int_equal(p11_mech_info(t->f.card, CKM_RSA_X_509, NULL), CKR_ARGUMENTS_BAD);
}

/* ----- signing with PKCS#1 v1.5 (DigestInfo, RFC 8017 §9.2 note 1) ----- */

static const struct {
	CK_MECHANISM_TYPE mech;
	const char *md;
	const char *prefix;
	size_t prefix_len;
} di_cases[] = {
        {CKM_SHA1_RSA_PKCS, "SHA1", "\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14",
         15},
        {CKM_SHA224_RSA_PKCS, "SHA224",
         "\x30\x2d\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x04\x05\x00\x04\x1c", 19},
        {CKM_SHA256_RSA_PKCS, "SHA256",
         "\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20", 19},
        {CKM_SHA384_RSA_PKCS, "SHA384",
         "\x30\x41\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02\x05\x00\x04\x30", 19},
        {CKM_SHA512_RSA_PKCS, "SHA512",
         "\x30\x51\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x03\x05\x00\x04\x40", 19},
};

static void test_digestinfo(void **state)
{
	struct tctx *t = *state;
	uint8_t block[512], want[128], sig[512];
	size_t hlen = 0;
	for (size_t i = 0; i < sizeof di_cases / sizeof di_cases[0]; i++) {
		assert_int_equal(
		        start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, di_cases[i].mech, NULL, 0),
		        CKR_OK);
		assert_int_equal(p11_op_out_len(t->op), 256);
		assert_int_equal(p11_op_update(t->op, (const uint8_t *)"ab", 2), CKR_OK);
		assert_int_equal(p11_op_update(t->op, (const uint8_t *)"c", 1), CKR_OK);
		size_t n = prepare(t, AKIS_SIGN_RSA_PKCS1, block);
		memcpy(want, di_cases[i].prefix, di_cases[i].prefix_len);
		md_hash(di_cases[i].md, "abc", 3, want + di_cases[i].prefix_len, &hlen);
		assert_int_equal(n, di_cases[i].prefix_len + hlen);
		assert_memory_equal(block, want, n);
		/* the card signs it; OpenSSL's own hash-and-verify accepts it */
		size_t slen = CARD_PKCS1(t->f.rsa, block, n, sig);
		uint8_t out[512];
		CK_ULONG olen = sizeof out;
		assert_int_equal(p11_op_sign_finish(t->op, sig, slen, out, &olen), CKR_OK);
		assert_int_equal(olen, 256);
		EVP_MD *md = EVP_MD_fetch(NULL, di_cases[i].md, NULL);
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestVerifyInit(c, NULL, md, NULL, t->f.rsa), 1);
		assert_int_equal(EVP_DigestVerify(c, out, olen, (const uint8_t *)"abc", 3), 1);
		EVP_MD_CTX_free(c);
		EVP_MD_free(md);
		/* and so does our software verify with the public key object */
		assert_int_equal(
		        start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1, di_cases[i].mech, NULL, 0),
		        CKR_OK);
		assert_int_equal(p11_op_update(t->op, (const uint8_t *)"abc", 3), CKR_OK);
		assert_int_equal(p11_op_verify_final(t->op, out, olen), CKR_OK);
		assert_int_equal(
		        start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1, di_cases[i].mech, NULL, 0),
		        CKR_OK);
		assert_int_equal(p11_op_update(t->op, (const uint8_t *)"abd", 3), CKR_OK);
		assert_int_equal(p11_op_verify_final(t->op, out, olen), CKR_SIGNATURE_INVALID);
	}
}

static void test_rsa_pkcs_raw_input(void **state)
{
	struct tctx *t = *state;
	uint8_t data[256], block[512];
	memset(data, 0x5a, sizeof data);
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 36), CKR_OK); /* TLS 1.1 MD5‖SHA-1 */
	assert_int_equal(prepare(t, AKIS_SIGN_RSA_PKCS1, block), 36);
	assert_memory_equal(block, data, 36);
	/* > k-11 */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 246), CKR_OK);
	enum akis_sign_alg alg;
	size_t n = 0;
	assert_int_equal(p11_op_sign_prepare(t->op, &alg, block, sizeof block, &n),
	                 CKR_DATA_LEN_RANGE);
	/* beyond the buffer cap at update */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 200), CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 57), CKR_DATA_LEN_RANGE);
	/* CKM_RSA_X_509: left-padded to k, raw */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_X_509, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 10), CKR_OK);
	assert_int_equal(prepare(t, AKIS_SIGN_RSA_RAW, block), 256);
	for (size_t i = 0; i < 246; i++)
		assert_int_equal(block[i], 0);
	assert_memory_equal(block + 246, data, 10);
	uint8_t sig[256], out[256];
	size_t sl = CARD_RAW(t->f.rsa, block, 256, sig);
	CK_ULONG ol = sizeof out;
	assert_int_equal(p11_op_sign_finish(t->op, sig, sl, out, &ol), CKR_OK);
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1, CKM_RSA_X_509, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 10), CKR_OK);
	assert_int_equal(p11_op_verify_final(t->op, out, ol), CKR_OK);
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1, CKM_RSA_X_509, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 11), CKR_OK);
	assert_int_equal(p11_op_verify_final(t->op, out, ol), CKR_SIGNATURE_INVALID);
}

/* ----- PSS (RFC 8017 §9.1.1) ----- */

static int ossl_pss_verify(EVP_PKEY *pk, const char *md, const char *mgf, int slen,
                           const uint8_t *h, size_t hl, const uint8_t *sig, size_t sl)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	EVP_MD *m = EVP_MD_fetch(NULL, md, NULL), *g = EVP_MD_fetch(NULL, mgf, NULL);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, m) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, g) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, slen) > 0);
	int r = EVP_PKEY_verify(ctx, sig, sl, h, hl);
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_free(m);
	EVP_MD_free(g);
	return r;
}

static const struct {
	CK_MECHANISM_TYPE mech, hash;
	CK_RSA_PKCS_MGF_TYPE mgf;
	const char *md, *mgf_md;
	CK_ULONG slen;
} pss_cases[] = {
        {CKM_SHA1_RSA_PKCS_PSS, CKM_SHA_1, CKG_MGF1_SHA1, "SHA1", "SHA1", 20},
        {CKM_SHA224_RSA_PKCS_PSS, CKM_SHA224, CKG_MGF1_SHA224, "SHA224", "SHA224", 28},
        {CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, "SHA256", "SHA256", 32},
        {CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384, "SHA384", "SHA384", 48},
        {CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512, "SHA512", "SHA512", 64},
        {CKM_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, "SHA256", "SHA256", 32}, /* TLS 1.3 */
        {CKM_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, "SHA256", "SHA256", 0},
        {CKM_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA1, "SHA256", "SHA1", 222}, /* max sLen */
        {CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA256, "SHA384", "SHA256", 10},
};

static void test_pss(void **state)
{
	struct tctx *t = *state;
	uint8_t block[512], sig[512], h[64], out[512];
	const uint8_t msg[] = "the quick brown fox";
	for (size_t i = 0; i < sizeof pss_cases / sizeof pss_cases[0]; i++) {
		CK_RSA_PKCS_PSS_PARAMS p = {pss_cases[i].hash, pss_cases[i].mgf, pss_cases[i].slen};
		size_t hl = 0;
		bool prehashed = pss_cases[i].mech == CKM_RSA_PKCS_PSS;
		md_hash(pss_cases[i].md, msg, sizeof msg, h, &hl);
		assert_int_equal(
		        start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, pss_cases[i].mech, &p, sizeof p),
		        CKR_OK);
		if (prehashed)
			assert_int_equal(p11_op_update(t->op, h, hl), CKR_OK);
		else
			assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
		assert_int_equal(prepare(t, AKIS_SIGN_RSA_RAW, block), 256);
		size_t sl = CARD_RAW(t->f.rsa, block, 256, sig);
		CK_ULONG ol = sizeof out;
		assert_int_equal(p11_op_sign_finish(t->op, sig, sl, out, &ol), CKR_OK);
		assert_int_equal(ossl_pss_verify(t->f.rsa, pss_cases[i].md, pss_cases[i].mgf_md,
		                                 (int)pss_cases[i].slen, h, hl, out, ol),
		                 1);
		/* our verify agrees, and rejects a changed signature */
		for (int bad = 0; bad < 2; bad++) {
			assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1,
			                       pss_cases[i].mech, &p, sizeof p),
			                 CKR_OK);
			assert_int_equal(prehashed ? p11_op_update(t->op, h, hl)
			                           : p11_op_update(t->op, msg, sizeof msg),
			                 CKR_OK);
			out[100] ^= (uint8_t)bad;
			assert_int_equal(p11_op_verify_final(t->op, out, ol),
			                 bad ? CKR_SIGNATURE_INVALID : CKR_OK);
		}
	}
}

static void test_pss_bad_params(void **state)
{
	struct tctx *t = *state;
	CK_RSA_PKCS_PSS_PARAMS ok = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_RSA_PKCS_PSS_PARAMS p;
	for (int kind = 0; kind < 2; kind++) {
		enum p11_op_kind k = kind ? P11_OP_VERIFY : P11_OP_SIGN;
		CK_OBJECT_CLASS c = kind ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY;
		assert_int_equal(start(t, k, c, 1, CKM_SHA256_RSA_PKCS_PSS, &ok, sizeof ok),
		                 CKR_OK);
		assert_int_equal(start(t, k, c, 1, CKM_SHA256_RSA_PKCS_PSS, NULL, 0),
		                 CKR_MECHANISM_PARAM_INVALID);
		assert_null(t->op);
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_PSS, &ok, sizeof ok - 1),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.hashAlg = CKM_SHA_1; /* not the mechanism's hash */
		assert_int_equal(start(t, k, c, 1, CKM_SHA256_RSA_PKCS_PSS, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.hashAlg = CKM_MD5;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_PSS, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.mgf = 0x99;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_PSS, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.sLen = 223; /* emLen - hLen - 2 = 222 */
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_PSS, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p.sLen = 222;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_PSS, &p, sizeof p), CKR_OK);
	}
	/* CKM_RSA_PKCS_PSS takes a hash of the parameter's length */
	assert_int_equal(
	        start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS_PSS, &ok, sizeof ok),
	        CKR_OK);
	assert_int_equal(p11_op_update(t->op, (const uint8_t *)"short", 5), CKR_OK);
	uint8_t block[512];
	size_t n = 0;
	enum akis_sign_alg alg;
	assert_int_equal(p11_op_sign_prepare(t->op, &alg, block, sizeof block, &n),
	                 CKR_DATA_LEN_RANGE);
}

/* ----- ECDSA (R29) ----- */

/* OpenSSL signs `in` with the EC key, DER → raw r‖s of 2n bytes. */
static size_t card_ecdsa(EVP_PKEY *pk, const uint8_t *in, size_t len, size_t n, uint8_t *raw)
{
	uint8_t der[256];
	size_t dl = pkey_op(pk, 1, 0, in, len, der);
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, (int)n);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + n, (int)n);
	ECDSA_SIG_free(s);
	return 2 * n;
}

static void test_ecdsa(void **state)
{
	struct tctx *t = *state;
	uint8_t block[512], h[64], raw[200], out[200];
	const uint8_t msg[] = "ecdsa message";
	size_t hl = 0;
	/* P-384 with SHA-512: the hash truncated to 48 bytes */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 2, CKM_ECDSA_SHA512, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_out_len(t->op), 96);
	assert_int_equal(p11_op_update(t->op, msg, 5), CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg + 5, sizeof msg - 5), CKR_OK);
	md_hash("SHA512", msg, sizeof msg, h, &hl);
	assert_int_equal(prepare(t, AKIS_SIGN_ECDSA, block), 48);
	assert_memory_equal(block, h, 48);
	size_t rl = card_ecdsa(t->f.ec384, block, 48, 48, raw);
	CK_ULONG ol = sizeof out;
	assert_int_equal(p11_op_sign_finish(t->op, raw, rl, out, &ol), CKR_OK);
	assert_int_equal(ol, 96);
	assert_memory_equal(out, raw, 96);
	/* verified in software with the public key (raw r‖s → DER) */
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 2, CKM_ECDSA_SHA512, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
	assert_int_equal(p11_op_verify_final(t->op, out, 96), CKR_OK);
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 2, CKM_ECDSA_SHA512, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
	assert_int_equal(p11_op_verify_final(t->op, out, 95), CKR_SIGNATURE_LEN_RANGE);
	out[95] ^= 1;
	assert_int_equal(p11_op_verify_final(t->op, out, 96), CKR_SIGNATURE_INVALID);
	/* CKM_ECDSA on P-256 with a 64-byte input: truncated to 32 */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 3, CKM_ECDSA, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, h, 64), CKR_OK);
	assert_int_equal(prepare(t, AKIS_SIGN_ECDSA, block), 32);
	assert_memory_equal(block, h, 32);
	assert_int_equal(p11_op_out_len(t->op), 64);
}

/* The card's answer: short halves are left-padded; DER is accepted. */
static void test_ecdsa_padding(void **state)
{
	struct tctx *t = *state;
	uint8_t block[512], card[96], out[128], want[96];
	for (size_t i = 0; i < sizeof card; i++)
		card[i] = (uint8_t)(i + 1);
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 2, CKM_ECDSA, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, (const uint8_t *)"0123456789abcdef0123", 20), CKR_OK);
	assert_int_equal(prepare(t, AKIS_SIGN_ECDSA, block),
	                 20); /* shorter than the order: as is */
	CK_ULONG ol = sizeof out;
	/* a short answer is refused: where r ends cannot be known */
	assert_int_equal(p11_op_sign_finish(t->op, card, 94, out, &ol), CKR_DEVICE_ERROR);
	ol = sizeof out;
	assert_int_equal(p11_op_sign_finish(t->op, card, 96, out, &ol), CKR_OK);
	assert_int_equal(ol, 96);
	assert_memory_equal(out, card, 96);
	/* DER ECDSA-Sig-Value: 30 08 02 02 00 80 02 02 01 02 → r = 0x80, s = 0x0102 */
	const uint8_t der[] = {0x30, 0x08, 0x02, 0x02, 0x00, 0x80, 0x02, 0x02, 0x01, 0x02};
	ol = sizeof out;
	assert_int_equal(p11_op_sign_finish(t->op, der, sizeof der, out, &ol), CKR_OK);
	memset(want, 0, sizeof want);
	want[47] = 0x80;
	want[94] = 0x01;
	want[95] = 0x02;
	assert_memory_equal(out, want, 96);
	ol = sizeof out;
	assert_int_equal(p11_op_sign_finish(t->op, card, 95, out, &ol), CKR_DEVICE_ERROR);
	ol = 10; /* output convention */
	assert_int_equal(p11_op_sign_finish(t->op, card, 96, out, &ol), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(ol, 96);
}

/* ----- decryption: raw on the card, unpadding here ----- */

static void decrypt_case(struct tctx *t, CK_MECHANISM_TYPE m, void *param, CK_ULONG plen,
                         const uint8_t *ct, size_t ctl, CK_RV want, const uint8_t *plain, size_t pl)
{
	uint8_t raw[512], out[512];
	const uint8_t *in = NULL;
	size_t inl = 0;
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, m, param, plen), CKR_OK);
	assert_int_equal(p11_op_update(t->op, ct, ctl), CKR_OK);
	assert_int_equal(p11_op_decrypt_input(t->op, &in, &inl), CKR_OK);
	assert_int_equal(inl, 256);
	assert_memory_equal(in, ct, 256);
	size_t rl = CARD_RAW(t->f.rsa, in, inl, raw);
	size_t skip = 0;
	while (skip < rl && raw[skip] == 0) /* a card may drop leading zeros */
		skip++;
	CK_ULONG ol = 1;
	CK_RV rv = p11_op_decrypt_finish(t->op, raw + skip, rl - skip, out, &ol);
	if (want != CKR_OK) {
		assert_int_equal(rv, want);
		assert_false(p11_op_decrypt_done(t->op));
		return;
	}
	assert_int_equal(rv, pl > 1 ? CKR_BUFFER_TOO_SMALL : CKR_OK);
	assert_int_equal(ol, pl);
	assert_true(p11_op_decrypt_done(t->op));
	assert_int_equal(p11_op_out_len(t->op), pl);
	ol = sizeof out; /* retry without the card */
	assert_int_equal(p11_op_decrypt_finish(t->op, NULL, 0, out, &ol), CKR_OK);
	assert_int_equal(ol, pl);
	assert_memory_equal(out, plain, pl);
}

static size_t ossl_oaep_encrypt(EVP_PKEY *pk, const char *md, const char *mgf, const char *label,
                                const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	EVP_MD *m = EVP_MD_fetch(NULL, md, NULL), *g = EVP_MD_fetch(NULL, mgf, NULL);
	size_t n = 512;
	assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, m) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, g) > 0);
	if (label)
		assert_true(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_strdup(label),
		                                             (int)strlen(label)) > 0);
	assert_int_equal(EVP_PKEY_encrypt(ctx, out, &n, in, len), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_free(m);
	EVP_MD_free(g);
	return n;
}

static void test_decrypt_pkcs1(void **state)
{
	struct tctx *t = *state;
	uint8_t ct[512];
	const uint8_t msg[] = "session key 0123";
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_out_len(t->op), 245);
	for (int round = 0; round < 20; round++) { /* random PS, sometimes a leading 00 */
		size_t cl = pkey_op(t->f.rsa, 2, RSA_PKCS1_PADDING, msg, sizeof msg, ct);
		decrypt_case(t, CKM_RSA_PKCS, NULL, 0, ct, cl, CKR_OK, msg, sizeof msg);
	}
	size_t cl = pkey_op(t->f.rsa, 2, RSA_PKCS1_PADDING, msg, 1, ct);
	decrypt_case(t, CKM_RSA_PKCS, NULL, 0, ct, cl, CKR_OK, msg, 1);
	/* a block that is not type 2: raw-encrypt a type-1-looking block */
	uint8_t em[256];
	memset(em, 0xff, sizeof em);
	em[0] = 0;
	em[1] = 1;
	em[200] = 0;
	cl = pkey_op(t->f.rsa, 2, RSA_NO_PADDING, em, 256, ct);
	decrypt_case(t, CKM_RSA_PKCS, NULL, 0, ct, cl, CKR_ENCRYPTED_DATA_INVALID, NULL, 0);
	em[1] = 2;
	em[5] = 0; /* PS shorter than 8 bytes */
	cl = pkey_op(t->f.rsa, 2, RSA_NO_PADDING, em, 256, ct);
	decrypt_case(t, CKM_RSA_PKCS, NULL, 0, ct, cl, CKR_ENCRYPTED_DATA_INVALID, NULL, 0);
	em[5] = 0xff;
	cl = pkey_op(t->f.rsa, 2, RSA_NO_PADDING, em, 256, ct);
	decrypt_case(t, CKM_RSA_PKCS, NULL, 0, ct, cl, CKR_OK, em + 201, 55);
	/* raw: the whole block */
	decrypt_case(t, CKM_RSA_X_509, NULL, 0, ct, cl, CKR_OK, em, 256);
	/* wrong ciphertext length */
	const uint8_t *in = NULL;
	size_t inl = 0;
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, ct, 255), CKR_OK);
	assert_int_equal(p11_op_decrypt_input(t->op, &in, &inl), CKR_ENCRYPTED_DATA_LEN_RANGE);
}

/* R30 at the C_Decrypt level (ops.c): a NULL size query and a buffer below
 * the bound answer without the card (slot.card is NULL here: an APDU
 * attempt would crash) and keep the operation; the data is not taken. */
static void test_decrypt_buffer_rules(void **state)
{
	struct tctx *t = *state;
	struct p11_ctx ctx;
	struct p11_slot slot;
	struct p11_session s;
	CK_BYTE ct[256] = {1}, out[512];
	CK_ULONG n = 0;

	memset(&ctx, 0, sizeof ctx);
	memset(&slot, 0, sizeof slot);
	memset(&s, 0, sizeof s);
	slot.user_in = true;
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_OK);
	s.op[P11_OP_DECRYPT] = t->op;
	t->op = NULL;
	assert_int_equal(p11_decrypt_locked(&ctx, &slot, &s, ct, sizeof ct, false, NULL, &n),
	                 CKR_OK);
	assert_int_equal(n, 256 - 11);
	n = 244;
	assert_int_equal(p11_decrypt_locked(&ctx, &slot, &s, ct, sizeof ct, false, out, &n),
	                 CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 256 - 11);
	assert_non_null(s.op[P11_OP_DECRYPT]);
	assert_false(p11_op_decrypt_done(s.op[P11_OP_DECRYPT]));
	/* nothing was buffered: the operation still takes exactly one block */
	const uint8_t *in = NULL;
	size_t inl = 0;
	assert_int_equal(p11_op_update(s.op[P11_OP_DECRYPT], ct, sizeof ct), CKR_OK);
	assert_int_equal(p11_op_decrypt_input(s.op[P11_OP_DECRYPT], &in, &inl), CKR_OK);
	assert_int_equal(inl, 256);
	/* OAEP-SHA256: bound k - 2 hLen - 2 */
	p11_session_end_op(&s, P11_OP_DECRYPT);
	CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
	assert_int_equal(
	        start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
	        CKR_OK);
	s.op[P11_OP_DECRYPT] = t->op;
	t->op = NULL;
	n = 256 - 66 - 1;
	assert_int_equal(p11_decrypt_locked(&ctx, &slot, &s, ct, sizeof ct, false, out, &n),
	                 CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 256 - 66);
	assert_non_null(s.op[P11_OP_DECRYPT]);
	p11_session_end_op(&s, P11_OP_DECRYPT);
}

static void test_decrypt_oaep(void **state)
{
	struct tctx *t = *state;
	uint8_t ct[512];
	const uint8_t msg[] = "oaep plaintext";
	CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "lbl", 3};
	size_t cl = ossl_oaep_encrypt(t->f.rsa, "SHA256", "SHA256", "lbl", msg, sizeof msg, ct);
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p, sizeof p, ct, cl, CKR_OK, msg, sizeof msg);
	assert_int_equal(
	        start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
	        CKR_OK);
	assert_int_equal(p11_op_out_len(t->op), 256 - 2 * 32 - 2);
	p.pSourceData = "lbx"; /* wrong label */
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p, sizeof p, ct, cl, CKR_ENCRYPTED_DATA_INVALID, NULL,
	             0);
	CK_RSA_PKCS_OAEP_PARAMS p1 = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
	cl = ossl_oaep_encrypt(t->f.rsa, "SHA1", "SHA1", NULL, msg, sizeof msg, ct);
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p1, sizeof p1, ct, cl, CKR_OK, msg, sizeof msg);
	p1.mgf = CKG_MGF1_SHA256; /* different MGF hash than the encryptor */
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p1, sizeof p1, ct, cl, CKR_ENCRYPTED_DATA_INVALID, NULL,
	             0);
	cl = ossl_oaep_encrypt(t->f.rsa, "SHA384", "SHA1", NULL, msg, 1, ct);
	CK_RSA_PKCS_OAEP_PARAMS p2 = {CKM_SHA384, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p2, sizeof p2, ct, cl, CKR_OK, msg, 1);
}

/* An OAEP block built here (RFC 8017 §7.1.1 step 2) with one PS byte
 * that is neither 00 nor 01 must be rejected; the same block with a clean
 * PS decodes. */
static void oaep_block(uint8_t *em, uint8_t ps_byte, const uint8_t *msg, size_t ml)
{
	uint8_t *seed = em + 1, *db = em + 33;
	size_t db_len = 256 - 33, hl = 0;
	memset(em, 0, 256);
	md_hash("SHA256", "", 0, db, &hl);
	db[40] = ps_byte;
	db[db_len - ml - 1] = 0x01;
	memcpy(db + db_len - ml, msg, ml);
	for (size_t i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x11 * i + 3);
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	assert_true(p11_mgf1_xor(md, seed, 32, db, db_len));
	assert_true(p11_mgf1_xor(md, db, db_len, seed, 32));
	EVP_MD_free(md);
}

static void test_oaep_bad_ps(void **state)
{
	struct tctx *t = *state;
	uint8_t em[256], ct[512];
	CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
	oaep_block(em, 0x00, (const uint8_t *)"hi", 2);
	size_t cl = pkey_op(t->f.rsa, 2, RSA_NO_PADDING, em, 256, ct);
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p, sizeof p, ct, cl, CKR_OK, (const uint8_t *)"hi", 2);
	oaep_block(em, 0x05, (const uint8_t *)"hi", 2);
	cl = pkey_op(t->f.rsa, 2, RSA_NO_PADDING, em, 256, ct);
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p, sizeof p, ct, cl, CKR_ENCRYPTED_DATA_INVALID, NULL,
	             0);
}

static void test_oaep_bad_params(void **state)
{
	struct tctx *t = *state;
	CK_RSA_PKCS_OAEP_PARAMS ok = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
	CK_RSA_PKCS_OAEP_PARAMS p;
	for (int kind = 0; kind < 2; kind++) {
		enum p11_op_kind k = kind ? P11_OP_ENCRYPT : P11_OP_DECRYPT;
		CK_OBJECT_CLASS c = kind ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_OAEP, &ok, sizeof ok), CKR_OK);
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_OAEP, NULL, 0),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.source = 2;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.ulSourceDataLen = 4; /* length without data */
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.hashAlg = CKM_MD5;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
		p = ok;
		p.mgf = 0;
		assert_int_equal(start(t, k, c, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
		                 CKR_MECHANISM_PARAM_INVALID);
	}
}

/* ----- encryption and digests in software (R31) ----- */

static void test_encrypt(void **state)
{
	struct tctx *t = *state;
	uint8_t ct[512], pt[512];
	const uint8_t msg[] = "to the card";
	/* PKCS#1 v1.5, with the output convention */
	assert_int_equal(start(t, P11_OP_ENCRYPT, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
	CK_ULONG n = 0;
	assert_int_equal(p11_op_encrypt_final(t->op, NULL, &n), CKR_OK);
	assert_int_equal(n, 256);
	n = 100;
	assert_int_equal(p11_op_encrypt_final(t->op, ct, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 256);
	n = sizeof ct;
	assert_int_equal(p11_op_encrypt_final(t->op, ct, &n), CKR_OK);
	assert_int_equal(pkey_op(t->f.rsa, 0, RSA_PKCS1_PADDING, ct, n, pt), sizeof msg);
	assert_memory_equal(pt, msg, sizeof msg);
	/* OAEP with a label, decrypted by OpenSSL */
	CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "lbl", 3};
	assert_int_equal(
	        start(t, P11_OP_ENCRYPT, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS_OAEP, &p, sizeof p),
	        CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
	n = sizeof ct;
	assert_int_equal(p11_op_encrypt_final(t->op, ct, &n), CKR_OK);
	/* ... and by ourselves through the "card" */
	decrypt_case(t, CKM_RSA_PKCS_OAEP, &p, sizeof p, ct, n, CKR_OK, msg, sizeof msg);
	/* raw */
	assert_int_equal(start(t, P11_OP_ENCRYPT, CKO_PUBLIC_KEY, 1, CKM_RSA_X_509, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
	n = sizeof ct;
	assert_int_equal(p11_op_encrypt_final(t->op, ct, &n), CKR_OK);
	assert_int_equal(CARD_RAW(t->f.rsa, ct, n, pt), 256);
	assert_memory_equal(pt + 256 - sizeof msg, msg, sizeof msg);
	/* too long for PKCS#1 */
	uint8_t big[256] = {0};
	assert_int_equal(start(t, P11_OP_ENCRYPT, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, big, 246), CKR_OK);
	n = sizeof ct;
	assert_int_equal(p11_op_encrypt_final(t->op, ct, &n), CKR_DATA_LEN_RANGE);
}

static void test_digest(void **state)
{
	struct tctx *t = *state;
	static const uint8_t sha1_abc[] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
	                                   0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
	                                   0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
	uint8_t out[64], one[64];
	assert_int_equal(start(t, P11_OP_DIGEST, 0, 0, CKM_SHA_1, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_key(t->op), -1);
	assert_int_equal(p11_op_update(t->op, (const uint8_t *)"a", 1), CKR_OK);
	assert_int_equal(p11_op_update(t->op, (const uint8_t *)"bc", 2), CKR_OK);
	CK_ULONG n = 0;
	assert_int_equal(p11_op_digest_final(t->op, NULL, &n), CKR_OK);
	assert_int_equal(n, 20);
	n = 19;
	assert_int_equal(p11_op_digest_final(t->op, out, &n), CKR_BUFFER_TOO_SMALL);
	n = sizeof out;
	assert_int_equal(p11_op_digest_final(t->op, out, &n), CKR_OK);
	assert_int_equal(n, 20);
	assert_memory_equal(out, sha1_abc, 20);
	/* multi-part equals single-part, every hash */
	static const CK_MECHANISM_TYPE m[] = {CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512};
	static const char *names[] = {"SHA224", "SHA256", "SHA384", "SHA512"};
	for (size_t i = 0; i < 4; i++) {
		size_t hl = 0;
		md_hash(names[i], "hello world", 11, one, &hl);
		assert_int_equal(start(t, P11_OP_DIGEST, 0, 0, m[i], NULL, 0), CKR_OK);
		for (size_t j = 0; j < 11; j++)
			assert_int_equal(
			        p11_op_update(t->op, (const uint8_t *)"hello world" + j, 1),
			        CKR_OK);
		n = sizeof out;
		assert_int_equal(p11_op_digest_final(t->op, out, &n), CKR_OK);
		assert_int_equal(n, hl);
		assert_memory_equal(out, one, hl);
	}
	assert_int_equal(start(t, P11_OP_DIGEST, 0, 0, CKM_RSA_PKCS, NULL, 0),
	                 CKR_MECHANISM_INVALID);
}

/* R28: multi-part equals single-part for hash-and-sign. */
static void test_multipart(void **state)
{
	struct tctx *t = *state;
	static const CK_MECHANISM_TYPE m[] = {CKM_SHA384_RSA_PKCS, CKM_ECDSA_SHA256};
	static const uint8_t ids[] = {1, 2};
	uint8_t a[512], b[512];
	uint8_t data[1000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < 2; i++) {
		enum akis_sign_alg alg = i ? AKIS_SIGN_ECDSA : AKIS_SIGN_RSA_PKCS1;
		assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, ids[i], m[i], NULL, 0),
		                 CKR_OK);
		assert_int_equal(p11_op_update(t->op, data, sizeof data), CKR_OK);
		size_t la = prepare(t, alg, a);
		/* a retry (after a card error) gets the same block */
		assert_int_equal(prepare(t, alg, b), la);
		assert_memory_equal(a, b, la);
		assert_int_equal(p11_op_update(t->op, data, 1), CKR_OPERATION_ACTIVE);
		assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, ids[i], m[i], NULL, 0),
		                 CKR_OK);
		for (size_t off = 0; off < sizeof data; off += 333)
			assert_int_equal(
			        p11_op_update(t->op, data + off,
			                      sizeof data - off < 333 ? sizeof data - off : 333),
			        CKR_OK);
		assert_int_equal(prepare(t, alg, b), la);
		assert_memory_equal(a, b, la);
	}
}

static void test_key_checks(void **state)
{
	struct tctx *t = *state;
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_ECDSA, NULL, 0),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 2, CKM_SHA256_RSA_PKCS, NULL, 0),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 2, CKM_RSA_PKCS, NULL, 0),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED); /* EC key: no CKA_DECRYPT */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS_OAEP, NULL, 0),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_SHA256_RSA_PKCS, NULL, 0),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_MD5_RSA_PKCS, NULL, 0),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_SHA256_RSA_PKCS, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_key(t->op), 0);
	assert_int_equal(p11_op_kind(t->op), P11_OP_SIGN);
	/* a signing-only card key: decrypt not permitted */
	p11_op_free(t->op);
	t->op = NULL;
	p11_objects_free(&t->set);
	t->f.card->keys[0].usage = AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION;
	assert_int_equal(p11_objects_build(t->f.card, 1, &t->set), CKR_OK);
	assert_int_equal(start(t, P11_OP_DECRYPT, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(start(t, P11_OP_ENCRYPT, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS, NULL, 0),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
}

static void test_verify_rsa_pkcs(void **state)
{
	struct tctx *t = *state;
	uint8_t sig[512], di[64];
	/* CKM_RSA_PKCS verify: the input is the DigestInfo */
	memcpy(di, di_cases[2].prefix, 19);
	size_t hl = 0;
	md_hash("SHA256", "x", 1, di + 19, &hl);
	size_t sl = CARD_PKCS1(t->f.rsa, di, 19 + hl, sig);
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, di, 19 + hl), CKR_OK);
	assert_int_equal(p11_op_verify_final(t->op, sig, sl), CKR_OK);
	assert_int_equal(start(t, P11_OP_VERIFY, CKO_PUBLIC_KEY, 1, CKM_RSA_PKCS, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, di, 19 + hl - 1), CKR_OK);
	assert_int_equal(p11_op_verify_final(t->op, sig, sl), CKR_SIGNATURE_INVALID);
	assert_int_equal(p11_op_verify_final(t->op, sig, sl - 1), CKR_SIGNATURE_LEN_RANGE);
}

/* R52: the card's answer proved with the key's public half before it is
 * returned (p11_op_sign_check): PKCS#1 v1.5 padded by the card (down to
 * the k-11 boundary), raw RSA, ECDSA over the truncated hash; one bit off,
 * or another key's signature, is refused. */
static void check_answer(struct tctx *t, uint8_t *sig, size_t sl)
{
	assert_true(p11_op_sign_checkable(t->op));
	assert_int_equal(p11_op_sign_check(t->op, sig, sl), CKR_OK);
	sig[sl / 2] ^= 0x01;
	assert_int_equal(p11_op_sign_check(t->op, sig, sl), CKR_SIGNATURE_INVALID);
	sig[sl / 2] ^= 0x01;
}

static void test_sign_check(void **state)
{
	struct tctx *t = *state;
	uint8_t data[256], block[512], sig[512], raw[200];
	size_t n, sl;
	memset(data, 0x3c, sizeof data);
	/* not prepared yet: nothing to prove */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0), CKR_OK);
	assert_false(p11_op_sign_checkable(t->op));
	/* PKCS#1 v1.5, the card pads: a DigestInfo, then exactly k-11 bytes */
	for (size_t len = 51; len <= 245; len += 194) {
		assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_PKCS, NULL, 0),
		                 CKR_OK);
		assert_int_equal(p11_op_update(t->op, data, len), CKR_OK);
		n = prepare(t, AKIS_SIGN_RSA_PKCS1, block);
		assert_int_equal(n, len);
		sl = CARD_PKCS1(t->f.rsa, block, n, sig);
		check_answer(t, sig, sl);
		/* a signature of other data (what another key or DF would give) */
		block[0] ^= 0xFF;
		sl = CARD_PKCS1(t->f.rsa, block, n, sig);
		assert_int_equal(p11_op_sign_check(t->op, sig, sl), CKR_SIGNATURE_INVALID);
	}
	/* raw RSA (CKM_RSA_X_509; host-encoded PSS goes the same way) */
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 1, CKM_RSA_X_509, NULL, 0), CKR_OK);
	assert_int_equal(p11_op_update(t->op, data, 20), CKR_OK);
	n = prepare(t, AKIS_SIGN_RSA_RAW, block);
	sl = CARD_RAW(t->f.rsa, block, n, sig);
	check_answer(t, sig, sl);
	assert_int_equal(p11_op_sign_check(t->op, sig, sl - 1), CKR_SIGNATURE_INVALID);
	/* ECDSA, P-384 with SHA-512: proved over the 48 bytes the card got */
	const uint8_t msg[] = "proved";
	assert_int_equal(start(t, P11_OP_SIGN, CKO_PRIVATE_KEY, 2, CKM_ECDSA_SHA512, NULL, 0),
	                 CKR_OK);
	assert_int_equal(p11_op_update(t->op, msg, sizeof msg), CKR_OK);
	n = prepare(t, AKIS_SIGN_ECDSA, block);
	assert_int_equal(n, 48);
	sl = card_ecdsa(t->f.ec384, block, n, 48, raw);
	check_answer(t, raw, sl);
	/* the P-256 key's signature is not the P-384 key's */
	sl = card_ecdsa(t->f.ec256, block, 32, 32, raw);
	assert_int_equal(p11_op_sign_check(t->op, raw, sl), CKR_SIGNATURE_INVALID);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_list_profiles),
	        T(test_mech_info),
	        T(test_digestinfo),
	        T(test_rsa_pkcs_raw_input),
	        T(test_pss),
	        T(test_pss_bad_params),
	        T(test_ecdsa),
	        T(test_ecdsa_padding),
	        T(test_decrypt_pkcs1),
	        T(test_decrypt_oaep),
	        T(test_decrypt_buffer_rules),
	        T(test_oaep_bad_params),
	        T(test_encrypt),
	        T(test_digest),
	        T(test_multipart),
	        T(test_key_checks),
	        T(test_verify_rsa_pkcs),
	        T(test_oaep_bad_ps),
	        T(test_sign_check),
	};
	return cmocka_run_group_tests(tests, NULL, fx_group_teardown);
}
