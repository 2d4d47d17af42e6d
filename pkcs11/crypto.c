/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hash table and public-key facts for pkcs11/ (see crypto.h). OpenSSL 3
 * provider API only (no EC_KEY / RSA structures).
 */
#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* DigestInfo prefixes: RFC 8017 §9.2, Note 1. */
static const uint8_t di_sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                  0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
static const uint8_t di_sha224[] = {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c};
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

static const struct p11_hash hashes[] = {
        {CKM_SHA_1, CKG_MGF1_SHA1, "SHA1", 20, di_sha1, sizeof di_sha1},
        {CKM_SHA224, CKG_MGF1_SHA224, "SHA224", 28, di_sha224, sizeof di_sha224},
        {CKM_SHA256, CKG_MGF1_SHA256, "SHA256", 32, di_sha256, sizeof di_sha256},
        {CKM_SHA384, CKG_MGF1_SHA384, "SHA384", 48, di_sha384, sizeof di_sha384},
        {CKM_SHA512, CKG_MGF1_SHA512, "SHA512", 64, di_sha512, sizeof di_sha512},
};

const struct p11_hash *p11_hash_by_ckm(CK_MECHANISM_TYPE digest)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].digest == digest)
			return &hashes[i];
	return NULL;
}

const struct p11_hash *p11_hash_by_mgf(CK_RSA_PKCS_MGF_TYPE mgf)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].mgf == mgf)
			return &hashes[i];
	return NULL;
}

EVP_MD *p11_hash_md(const struct p11_hash *h)
{
	return h ? EVP_MD_fetch(NULL, h->name, NULL) : NULL;
}

EVP_PKEY *p11_pkey_from_spki(const uint8_t *spki, size_t len)
{
	const unsigned char *p = spki;
	if (!spki || len == 0 || len > 0x7fffffff)
		return NULL;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk && p != spki + len) { /* trailing bytes: not one SPKI */
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

bool p11_pkey_spki(EVP_PKEY *pk, uint8_t **out, size_t *out_len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	if (n <= 0)
		return false;
	*out = malloc((size_t)n);
	if (*out)
		memcpy(*out, der, (size_t)n);
	*out_len = (size_t)n;
	OPENSSL_free(der);
	return *out != NULL;
}

bool p11_pkey_bn(EVP_PKEY *pk, const char *param, uint8_t **out, size_t *out_len)
{
	BIGNUM *bn = NULL;
	bool ok = false;
	*out = NULL;
	if (!EVP_PKEY_get_bn_param(pk, param, &bn))
		goto out;
	size_t n = (size_t)BN_num_bytes(bn);
	*out = malloc(n ? n : 1);
	if (!*out)
		goto out;
	if (n == 0)
		(*out)[n++] = 0; /* zero is one zero byte, never an empty value */
	else
		BN_bn2bin(bn, *out);
	*out_len = n;
	ok = true;
out:
	BN_free(bn);
	return ok;
}

static int curve_nid_by_name(EVP_PKEY *pk)
{
	char name[80];
	size_t len = 0;
	if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
	                                    &len))
		return NID_undef;
	int nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	if (nid == NID_undef)
		nid = OBJ_txt2nid(name);
	return nid;
}

/* Explicit parameters (ANSI X9.62 ECParameters, as some cards and
 * certificates carry them): compare with the built-in named curves. */
static int curve_nid_explicit(EVP_PKEY *pk)
{
	OSSL_PARAM *params = NULL;
	EC_GROUP *grp = NULL;
	int nid = NID_undef;
	if (!EVP_PKEY_todata(pk, EVP_PKEY_KEY_PARAMETERS, &params))
		goto out;
	grp = EC_GROUP_new_from_params(params, NULL, NULL);
	if (!grp)
		goto out;
	nid = EC_GROUP_get_curve_name(grp);
	if (nid == NID_undef)
		nid = EC_GROUP_check_named_curve(grp, 0, NULL);
	if (nid < 0)
		nid = NID_undef;
out:
	EC_GROUP_free(grp);
	OSSL_PARAM_free(params);
	return nid;
}

int p11_pkey_curve_nid(EVP_PKEY *pk)
{
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return NID_undef;
	int nid = curve_nid_by_name(pk);
	return nid != NID_undef ? nid : curve_nid_explicit(pk);
}

bool p11_curve_oid_der(int nid, uint8_t **out, size_t *out_len)
{
	const ASN1_OBJECT *obj = OBJ_nid2obj(nid);
	*out = NULL;
	if (!obj || OBJ_length(obj) == 0)
		return false;
	int n = i2d_ASN1_OBJECT(obj, NULL);
	if (n <= 0)
		return false;
	*out = malloc((size_t)n);
	if (!*out)
		return false;
	unsigned char *p = *out;
	i2d_ASN1_OBJECT(obj, &p);
	*out_len = (size_t)n;
	return true;
}

int p11_curve_from_params(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	if (!der || len == 0 || len > 0x7fffffff)
		return NID_undef;
	ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, (long)len);
	int nid = (obj && p == der + len) ? OBJ_obj2nid(obj) : NID_undef;
	ASN1_OBJECT_free(obj);
	return nid;
}

size_t p11_curve_order_len(int nid)
{
	EC_GROUP *grp = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
	size_t n = grp ? ((size_t)EC_GROUP_order_bits(grp) + 7) / 8 : 0;
	EC_GROUP_free(grp);
	return n;
}

/* Encoded public point as the key holds it (any form). */
static bool ec_point_raw(EVP_PKEY *pk, uint8_t *buf, size_t cap, size_t *len)
{
	return EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, buf, cap, len) &&
	       *len > 0;
}

/* Re-encode a point uncompressed (X9.62 04‖X‖Y). */
static bool ec_point_uncompressed(int nid, const uint8_t *in, size_t in_len, uint8_t *buf,
                                  size_t cap, size_t *len)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	bool ok = false;
	if (!pt || !EC_POINT_oct2point(grp, pt, in, in_len, NULL))
		goto out;
	*len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, buf, cap, NULL);
	ok = *len > 0;
out:
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return ok;
}

static bool der_octet_string(const uint8_t *v, size_t n, uint8_t **out, size_t *out_len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	unsigned char *der = NULL;
	bool ok = false;
	if (!os || !ASN1_OCTET_STRING_set(os, v, (int)n))
		goto out;
	int len = i2d_ASN1_OCTET_STRING(os, &der);
	if (len <= 0)
		goto out;
	*out = malloc((size_t)len);
	if (!*out)
		goto out;
	memcpy(*out, der, (size_t)len);
	*out_len = (size_t)len;
	ok = true;
out:
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

bool p11_pkey_ec_point(EVP_PKEY *pk, int nid, uint8_t **out, size_t *out_len)
{
	uint8_t raw[160], pt[160]; /* P-521 uncompressed is 133 bytes */
	size_t raw_len = 0, pt_len = 0;
	*out = NULL;
	if (!ec_point_raw(pk, raw, sizeof raw, &raw_len))
		return false;
	if (nid == NID_undef || !ec_point_uncompressed(nid, raw, raw_len, pt, sizeof pt, &pt_len)) {
		memcpy(pt, raw, raw_len); /* unknown curve: as the key holds it */
		pt_len = raw_len;
	}
	return der_octet_string(pt, pt_len, out, out_len);
}

/* ----- facts for the object builders ----- */

static bool pubfacts_rsa(EVP_PKEY *pk, struct p11_pubfacts *f)
{
	f->type = CKK_RSA;
	return p11_pkey_bn(pk, OSSL_PKEY_PARAM_RSA_N, &f->modulus, &f->modulus_len) &&
	       p11_pkey_bn(pk, OSSL_PKEY_PARAM_RSA_E, &f->exponent, &f->exponent_len);
}

/* CKA_EC_PARAMS: the named curve OID (what NSS accepts); explicit
 * parameters only for a curve that is none of the built-in ones. */
static bool pubfacts_ec(EVP_PKEY *pk, struct p11_pubfacts *f)
{
	f->type = CKK_EC;
	f->curve = p11_pkey_curve_nid(pk);
	if (f->curve != NID_undef) {
		if (!p11_curve_oid_der(f->curve, &f->ec_params, &f->ec_params_len))
			return false;
	} else {
		unsigned char *der = NULL;
		int n = i2d_KeyParams(pk, &der);
		if (n <= 0)
			return false;
		f->ec_params = malloc((size_t)n);
		if (f->ec_params)
			memcpy(f->ec_params, der, (size_t)n);
		f->ec_params_len = (size_t)n;
		OPENSSL_free(der);
		if (!f->ec_params)
			return false;
	}
	return p11_pkey_ec_point(pk, f->curve, &f->ec_point, &f->ec_point_len);
}

bool p11_pubfacts_get(EVP_PKEY *pk, struct p11_pubfacts *f)
{
	memset(f, 0, sizeof *f);
	f->curve = NID_undef;
	bool ok = false;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		ok = pubfacts_rsa(pk, f);
		break;
	case EVP_PKEY_EC:
		ok = pubfacts_ec(pk, f);
		break;
	default:
		break;
	}
	int bits = EVP_PKEY_get_bits(pk);
	f->bits = bits > 0 ? (CK_ULONG)bits : 0;
	ok = ok && p11_pkey_spki(pk, &f->spki, &f->spki_len) && akis_x509_key_id(pk, f->keyid);
	if (!ok)
		p11_pubfacts_free(f);
	return ok;
}

void p11_pubfacts_free(struct p11_pubfacts *f)
{
	free(f->spki);
	free(f->modulus);
	free(f->exponent);
	free(f->ec_params);
	free(f->ec_point);
	memset(f, 0, sizeof *f);
}

X509 *p11_x509_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	if (!der || len == 0 || len > 0x7fffffff)
		return NULL;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* i2d into a malloc'd copy (OpenSSL's buffer freed). */
#define I2D_COPY(fn, obj, out, out_len)                                                            \
	do {                                                                                       \
		unsigned char *der_ = NULL;                                                        \
		int n_ = fn(obj, &der_);                                                           \
		*(out) = n_ > 0 ? malloc((size_t)n_) : NULL;                                       \
		if (*(out))                                                                        \
			memcpy(*(out), der_, (size_t)n_);                                          \
		*(out_len) = n_ > 0 ? (size_t)n_ : 0;                                              \
		OPENSSL_free(der_);                                                                \
	} while (0)

/* CK_DATE from an X.509 time (PKCS#11 3.0 §3.3: "YYYY" "MM" "DD" digits). */
static bool ck_date(const ASN1_TIME *t, CK_DATE *d)
{
	struct tm tm;
	char buf[16];
	time_t when;
	if (!akis_x509_time(t, &when) || gmtime_r(&when, &tm) == NULL)
		return false;
	unsigned y = (unsigned)tm.tm_year + 1900u, m = (unsigned)tm.tm_mon + 1u,
	         day = (unsigned)tm.tm_mday;
	if (y > 9999 || m < 1 || m > 12 || day < 1 || day > 31)
		return false;
	snprintf(buf, sizeof buf, "%04u%02u%02u", y % 10000u, m % 100u, day % 100u);
	memcpy(d->year, buf, 4);
	memcpy(d->month, buf + 4, 2);
	memcpy(d->day, buf + 6, 2);
	return true;
}

static void subject_cn(X509 *x, char *cn, size_t cap)
{
	cn[0] = 0;
	const X509_NAME *nm = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	const ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)) : NULL;
	unsigned char *utf8 = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
	if (n > 0) {
		size_t len = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
		memcpy(cn, utf8, len);
		cn[len] = 0;
	}
	OPENSSL_free(utf8);
}

bool p11_certfacts_get(X509 *x, const uint8_t *der, size_t len, struct p11_certfacts *f)
{
	uint8_t sha[20];
	memset(f, 0, sizeof *f);
	I2D_COPY(i2d_X509_NAME, X509_get_subject_name(x), &f->subject, &f->subject_len);
	I2D_COPY(i2d_X509_NAME, X509_get_issuer_name(x), &f->issuer, &f->issuer_len);
	I2D_COPY(i2d_ASN1_INTEGER, X509_get0_serialNumber(x), &f->serial, &f->serial_len);
	if (!f->subject || !f->issuer || !f->serial ||
	    !EVP_Digest(der, len, sha, NULL, EVP_sha1(), NULL)) {
		p11_certfacts_free(f);
		return false;
	}
	memcpy(f->check, sha, sizeof f->check);
	f->has_start = ck_date(X509_get0_notBefore(x), &f->start);
	f->has_end = ck_date(X509_get0_notAfter(x), &f->end);
	subject_cn(x, f->cn, sizeof f->cn);
	f->is_ca = X509_check_ca(x) != 0;
	f->ku = X509_get_key_usage(x);
	return true;
}

void p11_certfacts_free(struct p11_certfacts *f)
{
	free(f->subject);
	free(f->issuer);
	free(f->serial);
	memset(f, 0, sizeof *f);
}
