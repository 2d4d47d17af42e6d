/* Test CA chain and holder certificates (docs/card.md §4).
 * NES certificate: subject C=TR, serialNumber=TCKN, CN=holder; KeyUsage
 * critical digitalSignature+nonRepudiation; certificatePolicies
 * 2.16.792.1.2.1.1.5.7.1.1; qcStatements (RFC 3739 §3.2.6) with QcCompliance
 * 0.4.0.1862.1.1 (ETSI EN 319 412-5) and a 5070-law statement.
 * SYNTHETIC: the 5070 statement uses statementId 2.16.792.1.61.0.1.5070.1.1
 * with a UTF8String text as statementInfo; this project chose that form, no
 * public source fixes it.
 * E-seal (Mali Mühür) certificate: subject C=TR, O=company, serialNumber=VKN,
 * CN=company; SIGN0 digitalSignature+nonRepudiation, ENCR0 keyAgreement;
 * issued by a "TEST Mali Mühür" P-384 chain. */
#include "x509gen.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "der.h"

#define DAY (24L * 3600)

EVP_PKEY *vc_x509_keygen(enum vc_key_alg alg)
{
	switch (alg) {
	case VC_RSA2048:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case VC_EC_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case VC_EC_P384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	}
	return NULL;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return false;
	ok = X509_add_ext(cert, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static bool name_add(X509_NAME *n, const char *field, const char *v)
{
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1,
	                                  0) == 1;
}

/* A certificate skeleton: version 3, random serial, validity, subject, key. */
static X509 *skeleton(EVP_PKEY *key, X509_NAME *subject, long nb, long na)
{
	X509 *c = X509_new();
	BIGNUM *bn = BN_new();
	bool ok = c && bn && X509_set_version(c, 2) == 1 && BN_rand(bn, 64, 0, 0) == 1 &&
	          BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) != NULL &&
	          X509_gmtime_adj(X509_getm_notBefore(c), nb) != NULL &&
	          X509_gmtime_adj(X509_getm_notAfter(c), na) != NULL &&
	          X509_set_subject_name(c, subject) == 1 && X509_set_pubkey(c, key) == 1;
	BN_free(bn);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

static const EVP_MD *md_for(EVP_PKEY *signer)
{
	return EVP_PKEY_get_base_id(signer) == EVP_PKEY_EC ? EVP_sha384() : EVP_sha256();
}

static X509 *make_ca(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, bool root)
{
	X509_NAME *n = X509_NAME_new();
	X509 *c = NULL;
	bool ok = n && name_add(n, "C", "TR") && name_add(n, "O", "TEST Akis Vcard") &&
	          name_add(n, "CN", cn);
	if (ok)
		c = skeleton(key, n, -365 * DAY, 10 * 365 * DAY);
	ok = c && X509_set_issuer_name(c, root ? n : X509_get_subject_name(issuer)) == 1 &&
	     add_ext(c, root ? c : issuer, NID_basic_constraints,
	             root ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:0") &&
	     add_ext(c, root ? c : issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
	     add_ext(c, root ? c : issuer, NID_subject_key_identifier, "hash") &&
	     (root || add_ext(c, issuer, NID_authority_key_identifier, "keyid:always")) &&
	     X509_sign(c, ikey, md_for(ikey)) > 0;
	X509_NAME_free(n);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

bool vc_x509_ca(struct vc_ca *ca, bool ec, bool seal)
{
	enum vc_key_alg a = ec || seal ? VC_EC_P384 : VC_RSA2048;
	const char *kind = seal ? "TEST Mali M\xC3\xBCh\xC3\xBCr" : "TEST NES";
	char root_cn[64], issuer_cn[80];
	snprintf(root_cn, sizeof root_cn, "%s K\xC3\xB6k", kind);
	snprintf(issuer_cn, sizeof issuer_cn,
	         "%s Hizmet Sa\xC4\x9Flay\xC4\xB1"
	         "c\xC4\xB1",
	         kind);
	ca->root_key = vc_x509_keygen(a);
	ca->issuer_key = vc_x509_keygen(a);
	if (!ca->root_key || !ca->issuer_key)
		return false;
	ca->root = make_ca(ca->root_key, root_cn, NULL, ca->root_key, true);
	if (!ca->root)
		return false;
	ca->issuer = make_ca(ca->issuer_key, issuer_cn, ca->root, ca->root_key, false);
	return ca->issuer != NULL;
}

void vc_x509_ca_free(struct vc_ca *ca)
{
	EVP_PKEY_free(ca->root_key);
	EVP_PKEY_free(ca->issuer_key);
	X509_free(ca->root);
	X509_free(ca->issuer);
	memset(ca, 0, sizeof *ca);
}

static bool add_raw_ext(X509 *c, int nid, const struct vc_der *value)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	bool ok = os && !value->err && ASN1_OCTET_STRING_set(os, value->b, (int)value->len) == 1 &&
	          (ext = X509_EXTENSION_create_by_NID(NULL, nid, 0, os)) != NULL &&
	          X509_add_ext(c, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

/* qcStatements value: SEQUENCE OF QCStatement (RFC 3739 §3.2.6). */
static bool add_qc(X509 *c)
{
	static const uint8_t oid_qcc[] = {0x04, 0x00, 0x8E, 0x46, 0x01, 0x01};
	static const uint8_t oid_5070[] = {0x60, 0x86, 0x18, 0x01, 0x3D, 0x00,
	                                   0x01, 0xA7, 0x4E, 0x01, 0x01};
	struct vc_der all, st;
	der_init(&all);
	der_init(&st);
	der_tlv(&st, 0x06, oid_qcc, sizeof oid_qcc);
	der_wrap(&all, 0x30, &st);
	der_init(&st);
	der_tlv(&st, 0x06, oid_5070, sizeof oid_5070);
	der_utf8(&st, "Bu sertifika 5070 say\xC4\xB1l\xC4\xB1 Elektronik \xC4\xB0mza Kanunu "
	              "kapsam\xC4\xB1nda "
	              "nitelikli elektronik sertifikad\xC4\xB1r (TEST)");
	der_wrap(&all, 0x30, &st);
	der_init(&st);
	der_wrap(&st, 0x30, &all);
	return add_raw_ext(c, NID_qcStatements, &st);
}

/* certificatePolicies { PolicyInformation { 2.16.792.1.2.1.1.5.7.1.1 } } (RFC 5280 §4.2.1.4) */
static bool add_nes_policy(X509 *c)
{
	static const uint8_t oid_nes[] = {0x60, 0x86, 0x18, 0x01, 0x02, 0x01,
	                                  0x01, 0x05, 0x07, 0x01, 0x01};
	struct vc_der pi, seq;
	der_init(&pi);
	der_tlv(&pi, 0x06, oid_nes, sizeof oid_nes);
	der_init(&seq);
	der_wrap(&seq, 0x30, &pi);
	der_init(&pi);
	der_wrap(&pi, 0x30, &seq);
	return add_raw_ext(c, NID_certificate_policies, &pi);
}

static bool holder_exts(X509 *c, const struct vc_ca *ca, const struct vc_holder *h)
{
	bool ok = add_ext(c, ca->issuer, NID_basic_constraints, "critical,CA:FALSE") &&
	          add_ext(c, ca->issuer, NID_subject_key_identifier, "hash") &&
	          add_ext(c, ca->issuer, NID_authority_key_identifier, "keyid:always");
	if (h->org)
		return ok && add_ext(c, ca->issuer, NID_key_usage,
		                     h->agree ? "critical,keyAgreement"
		                              : "critical,digitalSignature,nonRepudiation");
	if (h->nes)
		return ok &&
		       add_ext(c, ca->issuer, NID_key_usage,
		               "critical,digitalSignature,nonRepudiation") &&
		       add_nes_policy(c) && add_qc(c);
	return ok &&
	       add_ext(c, ca->issuer, NID_key_usage,
	               h->decrypt ? "critical,digitalSignature,keyEncipherment"
	                          : "critical,digitalSignature") &&
	       add_ext(c, ca->issuer, NID_ext_key_usage, "clientAuth,emailProtection");
}

X509 *vc_x509_holder(const struct vc_ca *ca, EVP_PKEY *key, const struct vc_holder *h)
{
	X509_NAME *n = X509_NAME_new();
	X509 *c = NULL;
	bool ok = n && name_add(n, "C", "TR") && (!h->org || name_add(n, "O", h->org)) &&
	          name_add(n, "serialNumber", h->tckn) &&
	          name_add(n, "CN", h->org ? h->org : h->name);
	if (ok)
		c = skeleton(key, n, h->not_before, h->not_after);
	ok = c && X509_set_issuer_name(c, X509_get_subject_name(ca->issuer)) == 1 &&
	     holder_exts(c, ca, h) && X509_sign(c, ca->issuer_key, md_for(ca->issuer_key)) > 0;
	X509_NAME_free(n);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}
