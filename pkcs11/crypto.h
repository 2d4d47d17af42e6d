/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software crypto helpers of pkcs11/ (OpenSSL 3, non-deprecated API only):
 * the hash table (CKM digest ↔ EVP_MD ↔ DigestInfo ↔ MGF1), public-key
 * facts for the object builders (named curve, uncompressed point, RSA
 * modulus), and the RSA encodings done on the host (EMSA-PSS, OAEP and
 * PKCS#1 v1.5 type 2 decoding) per RFC 8017.
 *
 * Used by pkcs11/object.c and pkcs11/mech.c only.
 */
#ifndef AKIS_PKCS11_CRYPTO_H
#define AKIS_PKCS11_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../akis/x509.h"
#include "p11.h"

#define P11C_WUR      __attribute__((warn_unused_result))

#define P11C_MAX_HASH 64u /* SHA-512 */

struct p11_hash {
	CK_MECHANISM_TYPE digest; /* CKM_SHA_1 ... */
	CK_RSA_PKCS_MGF_TYPE mgf; /* CKG_MGF1_SHA1 ... */
	const char *name;         /* OpenSSL fetch name */
	size_t len;               /* output bytes */
	const uint8_t *di_prefix; /* DigestInfo DER up to the hash value */
	size_t di_prefix_len;
};

/* Lookups in the one static table; NULL when unknown. */
const struct p11_hash *p11_hash_by_ckm(CK_MECHANISM_TYPE digest);
const struct p11_hash *p11_hash_by_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
/* EVP_MD for a table row (fetched by name; the caller frees with EVP_MD_free). */
EVP_MD *p11_hash_md(const struct p11_hash *h) P11C_WUR;

/* ----- public key facts (object builders) ----- */

/* d2i_PUBKEY of an SPKI; NULL on junk. */
EVP_PKEY *p11_pkey_from_spki(const uint8_t *spki, size_t len) P11C_WUR;
/* i2d_PUBKEY into a malloc'd buffer. */
bool p11_pkey_spki(EVP_PKEY *pk, uint8_t **out, size_t *out_len) P11C_WUR;
/* BIGNUM parameter (OSSL_PKEY_PARAM_RSA_N / _E) as unsigned big-endian,
 * malloc'd. */
bool p11_pkey_bn(EVP_PKEY *pk, const char *param, uint8_t **out, size_t *out_len) P11C_WUR;
/* The curve NID of an EC key: named, or explicit parameters that equal a
 * built-in named curve (EC_GROUP_check_named_curve). NID_undef otherwise. */
int p11_pkey_curve_nid(EVP_PKEY *pk);
/* DER OBJECT IDENTIFIER of a curve NID (CKA_EC_PARAMS namedCurve). */
bool p11_curve_oid_der(int nid, uint8_t **out, size_t *out_len) P11C_WUR;
/* Curve NID from DER CKA_EC_PARAMS (namedCurve OID), NID_undef otherwise. */
int p11_curve_from_params(const uint8_t *der, size_t len);
/* Order size in bytes of a curve NID, 0 when unknown. */
size_t p11_curve_order_len(int nid);
/* CKA_EC_POINT: DER OCTET STRING holding the uncompressed point. */
bool p11_pkey_ec_point(EVP_PKEY *pk, int nid, uint8_t **out, size_t *out_len) P11C_WUR;

/* Everything the object builders need from a public key, computed once. */
struct p11_pubfacts {
	CK_KEY_TYPE type; /* CKK_RSA or CKK_EC */
	uint8_t *spki;    /* CKA_PUBLIC_KEY_INFO */
	size_t spki_len;
	uint8_t *modulus, *exponent; /* RSA */
	size_t modulus_len, exponent_len;
	CK_ULONG bits;      /* modulus bits / order bits */
	int curve;          /* EC: NID, NID_undef when not a named curve */
	uint8_t *ec_params; /* EC: namedCurve OID, or the explicit parameters */
	size_t ec_params_len;
	uint8_t *ec_point; /* EC: DER OCTET STRING, uncompressed */
	size_t ec_point_len;
	uint8_t keyid[AKIS_KEY_ID_LEN]; /* akis_x509_key_id */
};
/* false: not RSA/EC, or out of memory (facts freed). */
bool p11_pubfacts_get(EVP_PKEY *pk, struct p11_pubfacts *f) P11C_WUR;
void p11_pubfacts_free(struct p11_pubfacts *f);

/* What the object builders need from a certificate. */
struct p11_certfacts {
	uint8_t *subject, *issuer, *serial; /* DER Name, Name, INTEGER */
	size_t subject_len, issuer_len, serial_len;
	CK_DATE start, end; /* from notBefore / notAfter */
	bool has_start, has_end;
	uint8_t check[3]; /* CKA_CHECK_VALUE: SHA-1(DER)[0..3) */
	char cn[64];      /* subject commonName (UTF-8), "" when none */
	bool is_ca;       /* basicConstraints cA */
	uint32_t ku;      /* X509v3 KU_* bits, UINT32_MAX when absent */
};
/* Parse a DER certificate; NULL unless it is exactly one certificate. */
X509 *p11_x509_parse(const uint8_t *der, size_t len) P11C_WUR;
bool p11_certfacts_get(X509 *x, const uint8_t *der, size_t len, struct p11_certfacts *f) P11C_WUR;
void p11_certfacts_free(struct p11_certfacts *f);

/* ----- RSA encodings (RFC 8017) ----- */

/* MGF1 (RFC 8017 B.2.1): mask = MGF1(seed), XORed into buf[0..len). */
bool p11_mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seed_len, uint8_t *buf,
                  size_t len) P11C_WUR;
/* EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of mhash with salt length slen, for a
 * modulus of mod_bits bits, into a k-byte block (k = ceil(mod_bits/8); a
 * leading zero byte when emLen < k). */
bool p11_pss_encode(const EVP_MD *md, const EVP_MD *mgf_md, size_t slen, const uint8_t *mhash,
                    size_t mhash_len, unsigned mod_bits, uint8_t *block, size_t k) P11C_WUR;
/* EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2 step 3) of a k-byte block:
 * plaintext offset and length. Constant-time over the block. */
bool p11_pkcs1_type2_decode(const uint8_t *em, size_t k, size_t *off, size_t *len) P11C_WUR;
/* EME-OAEP decoding (RFC 8017 §7.1.2 step 3) of a k-byte block, in place:
 * plaintext offset and length within em. */
bool p11_oaep_decode(const EVP_MD *md, const EVP_MD *mgf_md, const uint8_t *label, size_t label_len,
                     uint8_t *em, size_t k, size_t *off, size_t *len) P11C_WUR;

#endif
