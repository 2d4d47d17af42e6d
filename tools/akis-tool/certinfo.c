/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate facts for akis-tool, parsed with OpenSSL (R40).
 *
 * Purposes, as the Turkish NES profile uses them:
 *  - qualified electronic signature (NES): KeyUsage nonRepudiation and a
 *    qcStatements extension (RFC 3739 §3.2.6) holding QcCompliance
 *    (ETSI EN 319 412-5 §4.2.1, OID 0.4.0.1862.1.1);
 *  - authentication: digitalSignature without nonRepudiation;
 *  - encryption: keyEncipherment (RSA) or keyAgreement (EC).
 */
#include "certinfo.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../akis/x509.h"

#define OID_QC_STATEMENTS "1.3.6.1.5.5.7.1.3"
#define OID_QC_COMPLIANCE "0.4.0.1862.1.1"

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* First entry of `nid` in the name, as UTF-8. */
static void name_entry(const X509_NAME *name, int nid, char *out, size_t cap)
{
	out[0] = '\0';
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, s);
	if (n >= 0)
		copy_str(out, cap, (const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
}

/* RFC 2253 form, UTF-8 kept as is (not \-escaped). */
static void name_line(const X509_NAME *name, char *out, size_t cap)
{
	out[0] = '\0';
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return;
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
		char *p = NULL;
		long n = BIO_get_mem_data(bio, &p);
		if (n > 0 && p != NULL)
			copy_str(out, cap, p, (size_t)n);
	}
	BIO_free(bio);
}

static void serial_hex(const X509 *x, char *out, size_t cap)
{
	out[0] = '\0';
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	if (hex != NULL)
		copy_str(out, cap, hex, strlen(hex));
	OPENSSL_free(hex);
	BN_free(bn);
}

/* OpenSSL's KU_* encoding → TOOL_KU_* (RFC 5280 bit order). */
static const struct {
	uint32_t ossl;
	unsigned tool;
} ku_map[] = {
        {KU_DIGITAL_SIGNATURE, TOOL_KU_DIGITAL_SIGNATURE},
        {KU_NON_REPUDIATION, TOOL_KU_NON_REPUDIATION},
        {KU_KEY_ENCIPHERMENT, TOOL_KU_KEY_ENCIPHERMENT},
        {KU_DATA_ENCIPHERMENT, TOOL_KU_DATA_ENCIPHERMENT},
        {KU_KEY_AGREEMENT, TOOL_KU_KEY_AGREEMENT},
        {KU_KEY_CERT_SIGN, TOOL_KU_KEY_CERT_SIGN},
        {KU_CRL_SIGN, TOOL_KU_CRL_SIGN},
        {KU_ENCIPHER_ONLY, TOOL_KU_ENCIPHER_ONLY},
        {KU_DECIPHER_ONLY, TOOL_KU_DECIPHER_ONLY},
};

static void key_usage(X509 *x, struct tool_cert *c)
{
	uint32_t flags = X509_get_extension_flags(x);
	c->has_key_usage = (flags & EXFLAG_KUSAGE) != 0;
	c->is_ca = (flags & EXFLAG_CA) != 0 && (flags & EXFLAG_BCONS) != 0;
	uint32_t ku = X509_get_key_usage(x);
	c->key_usage = 0;
	if (!c->has_key_usage)
		return;
	for (size_t i = 0; i < sizeof(ku_map) / sizeof(ku_map[0]); i++)
		if (ku & ku_map[i].ossl)
			c->key_usage |= ku_map[i].tool;
}

/* Is one QCStatement (SEQUENCE { statementId OID, ... }) QcCompliance? */
static bool qc_statement_is_compliance(const ASN1_TYPE *st, const ASN1_OBJECT *want)
{
	if (st == NULL || st->type != V_ASN1_SEQUENCE || st->value.sequence == NULL)
		return false;
	const unsigned char *p = st->value.sequence->data;
	long len = st->value.sequence->length;
	ASN1_SEQUENCE_ANY *inner = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
	bool hit = false;
	if (inner != NULL && sk_ASN1_TYPE_num(inner) >= 1) {
		const ASN1_TYPE *id = sk_ASN1_TYPE_value(inner, 0);
		hit = id->type == V_ASN1_OBJECT && OBJ_cmp(id->value.object, want) == 0;
	}
	sk_ASN1_TYPE_pop_free(inner, ASN1_TYPE_free);
	return hit;
}

/* qcStatements: SEQUENCE OF QCStatement (RFC 3739 §3.2.6). */
static void qc_statements(const X509 *x, struct tool_cert *c)
{
	ASN1_OBJECT *qcs = OBJ_txt2obj(OID_QC_STATEMENTS, 1);
	ASN1_OBJECT *qcc = OBJ_txt2obj(OID_QC_COMPLIANCE, 1);
	ASN1_SEQUENCE_ANY *seq = NULL;
	if (qcs == NULL || qcc == NULL)
		goto out;
	int i = X509_get_ext_by_OBJ(x, qcs, -1);
	if (i < 0)
		goto out;
	c->has_qc_statements = true;
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, i));
	const unsigned char *p = ASN1_STRING_get0_data(v);
	seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(v));
	for (int k = 0; seq != NULL && k < sk_ASN1_TYPE_num(seq); k++)
		if (qc_statement_is_compliance(sk_ASN1_TYPE_value(seq, k), qcc))
			c->qc_compliance = true;
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	ASN1_OBJECT_free(qcs);
	ASN1_OBJECT_free(qcc);
}

static void policies(X509 *x, struct tool_cert *c)
{
	CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	for (int i = 0; cp != NULL && i < sk_POLICYINFO_num(cp); i++) {
		if (c->n_policies >= TOOL_POLICIES_MAX)
			break;
		const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);
		char *dst = c->policies[c->n_policies];
		if (OBJ_obj2txt(dst, (int)TOOL_OID_MAX, pi->policyid, 1) > 0)
			c->n_policies++;
	}
	CERTIFICATEPOLICIES_free(cp);
}

/* A Turkish tax number (VKN): 10 digits, after an optional prefix of
 * letters and '-' or ':' ("VKN", "VATTR-"). */
static bool is_vkn(const char *s)
{
	while (*s != '\0' && (isalpha((unsigned char)*s) || *s == '-' || *s == ':'))
		s++;
	size_t n = strspn(s, "0123456789");
	return n == 10 && s[n] == '\0';
}

bool tool_cert_is_organisation(const struct tool_cert *c)
{
	return c->organization[0] != '\0' && is_vkn(c->subject_serial);
}

unsigned tool_cert_purposes(const struct tool_cert *c)
{
	unsigned p = 0;
	if (c->is_ca || c->authority)
		p |= TOOL_PURPOSE_CA;
	if (!c->has_key_usage)
		return p | TOOL_PURPOSE_ANY;
	if ((c->key_usage & TOOL_KU_NON_REPUDIATION) && tool_cert_is_organisation(c))
		p |= TOOL_PURPOSE_ESEAL;
	else if (c->key_usage & TOOL_KU_NON_REPUDIATION)
		p |= c->qc_compliance ? TOOL_PURPOSE_QUALIFIED : TOOL_PURPOSE_SIGNATURE;
	else if (c->key_usage & TOOL_KU_DIGITAL_SIGNATURE)
		p |= TOOL_PURPOSE_AUTH;
	if (c->key_usage & (TOOL_KU_KEY_ENCIPHERMENT | TOOL_KU_KEY_AGREEMENT))
		p |= TOOL_PURPOSE_ENCRYPT;
	return p;
}

static void clear_parsed(struct tool_cert *c)
{
	char label[sizeof(c->label)];
	char id[sizeof(c->id_hex)];
	bool authority = c->authority;
	memcpy(label, c->label, sizeof(label));
	memcpy(id, c->id_hex, sizeof(id));
	memset(c, 0, sizeof(*c));
	memcpy(c->label, label, sizeof(label));
	memcpy(c->id_hex, id, sizeof(id));
	c->authority = authority;
}

bool tool_cert_parse(const uint8_t *der, size_t len, struct tool_cert *c)
{
	clear_parsed(c);
	if (der == NULL || len == 0 || len > LONG_MAX)
		return false;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL)
		return false;
	bool ok = akis_x509_time(X509_get0_notBefore(x), &c->not_before) &&
	          akis_x509_time(X509_get0_notAfter(x), &c->not_after);
	if (!ok)
		goto out;
	name_entry(X509_get_subject_name(x), NID_commonName, c->holder, sizeof(c->holder));
	name_entry(X509_get_subject_name(x), NID_serialNumber, c->subject_serial,
	           sizeof(c->subject_serial));
	name_entry(X509_get_subject_name(x), NID_organizationName, c->organization,
	           sizeof(c->organization));
	name_entry(X509_get_issuer_name(x), NID_commonName, c->issuer_cn, sizeof(c->issuer_cn));
	name_line(X509_get_subject_name(x), c->subject, sizeof(c->subject));
	name_line(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
	serial_hex(x, c->serial_hex, sizeof(c->serial_hex));
	key_usage(x, c);
	qc_statements(x, c);
	policies(x, c);
	c->purposes = tool_cert_purposes(c);
	c->parsed = true;
out:
	X509_free(x);
	if (!ok)
		clear_parsed(c);
	return ok;
}

enum tool_validity tool_cert_validity(const struct tool_cert *c, time_t now)
{
	if (now < c->not_before)
		return TOOL_NOT_YET_VALID;
	if (now > c->not_after)
		return TOOL_EXPIRED;
	return TOOL_VALID;
}

void tool_time_text(time_t t, char *out, size_t cap)
{
	struct tm tm;
	if (cap == 0)
		return;
	out[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

void tool_time_iso(time_t t, char *out, size_t cap)
{
	struct tm tm;
	if (cap == 0)
		return;
	out[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
