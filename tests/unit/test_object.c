/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkcs11/object.c: objects of a hand-built card (R13, R23-R26), template
 * matching, C_GetAttributeValue rules, p11_output. Keys and certificates
 * are paired by akis_keys_complete (fx_pair); test_pairing.c checks the
 * pairing itself in depth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include "../../log/log.h"
#include "../../pkcs11/object.h"
#include "../../pkcs11/out.h"
#include "object_fixtures.h"

/* log/log.c may be absent from a scratch link: a weak stand-in. */
__attribute__((weak)) void log_msg(enum log_cat cat, const char *fmt, ...)
{
	(void)cat;
	(void)fmt;
}

#define FIRST 100

static void build(struct fx_objs *t)
{
	assert_int_equal(p11_objects_build(t->f.card, FIRST, &t->set), CKR_OK);
}

/* The one object of a class with this CKA_ID (fails the test otherwise). */
static const struct p11_object *find1(const struct p11_objset *set, CK_OBJECT_CLASS klass,
                                      const void *id, size_t id_len)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &klass, sizeof klass}, {CKA_ID, (void *)id, id_len}};
	const struct p11_object *found = NULL;
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		if (p11_object_match(&set->objs[i], tmpl, id ? 2 : 1)) {
			found = &set->objs[i];
			n++;
		}
	assert_int_equal(n, 1);
	return found;
}

static size_t count(const struct p11_objset *set, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	size_t c = 0;
	for (size_t i = 0; i < set->n; i++)
		c += p11_object_match(&set->objs[i], tmpl, n);
	return c;
}

static void expect_bool(const struct p11_object *o, CK_ATTRIBUTE_TYPE t, bool v)
{
	CK_BBOOL b = 0xAA;
	CK_ATTRIBUTE a = {t, &b, sizeof b};
	assert_int_equal(p11_object_get_attrs(o, &a, 1), CKR_OK);
	assert_int_equal(a.ulValueLen, 1);
	assert_int_equal(b, v ? CK_TRUE : CK_FALSE);
}

static void expect_ulong(const struct p11_object *o, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	CK_ULONG u = 0xdead;
	CK_ATTRIBUTE a = {t, &u, sizeof u};
	assert_int_equal(p11_object_get_attrs(o, &a, 1), CKR_OK);
	assert_int_equal(a.ulValueLen, sizeof u);
	assert_int_equal(u, v);
}

static void expect_bytes(const struct p11_object *o, CK_ATTRIBUTE_TYPE t, const void *v, size_t len)
{
	uint8_t buf[4096];
	CK_ATTRIBUTE a = {t, buf, sizeof buf};
	assert_int_equal(p11_object_get_attrs(o, &a, 1), CKR_OK);
	assert_int_equal(a.ulValueLen, len);
	if (len)
		assert_memory_equal(buf, v, len);
}

static void expect_absent(const struct p11_object *o, CK_ATTRIBUTE_TYPE t)
{
	uint8_t buf[64];
	CK_ATTRIBUTE a = {t, buf, sizeof buf};
	assert_int_equal(p11_object_get_attrs(o, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void expect_sensitive(const struct p11_object *o, CK_ATTRIBUTE_TYPE t)
{
	uint8_t buf[600];
	CK_ATTRIBUTE a = {t, buf, sizeof buf};
	assert_int_equal(p11_object_get_attrs(o, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

/* DER of a certificate's subject / issuer / serial, computed here. */
static size_t cert_part(const struct akis_cert *c, int which, uint8_t *out)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	unsigned char *q = out;
	int n = which == 0   ? i2d_X509_NAME(X509_get_subject_name(x), &q)
	        : which == 1 ? i2d_X509_NAME(X509_get_issuer_name(x), &q)
	                     : i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &q);
	X509_free(x);
	return (size_t)n;
}

/* The subjectKeyIdentifier OpenSSL put in the certificate ("hash":
 * SHA-1 of the public key bit string) — an independent check of R23's
 * derived ID. */
static void cert_ski(const struct akis_cert *c, uint8_t ski[20])
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	const ASN1_OCTET_STRING *s = X509_get0_subject_key_id(x);
	assert_non_null(s);
	assert_int_equal(ASN1_STRING_length(s), 20);
	memcpy(ski, ASN1_STRING_get0_data(s), 20);
	X509_free(x);
}

static size_t bn_param(EVP_PKEY *pk, const char *name, uint8_t *out)
{
	BIGNUM *bn = NULL;
	assert_true(EVP_PKEY_get_bn_param(pk, name, &bn));
	size_t n = (size_t)BN_bn2bin(bn, out);
	BN_free(bn);
	return n;
}

/* ----- tests ----- */

static void test_build_shape(void **state)
{
	struct fx_objs *t = *state;
	build(t);
	/* 3 private, 3 public, 3 certificates (2 own + CA), 1 profile */
	assert_int_equal(t->set.n, 10);
	for (size_t i = 0; i < t->set.n; i++) {
		assert_int_equal(t->set.objs[i].handle, FIRST + i);
		assert_ptr_equal(p11_objects_find_handle(&t->set, FIRST + i), &t->set.objs[i]);
	}
	assert_null(p11_objects_find_handle(&t->set, FIRST + 10));
	assert_null(p11_objects_find_handle(&t->set, 0));
	CK_OBJECT_CLASS k = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE c[] = {{CKA_CLASS, &k, sizeof k}};
	assert_int_equal(count(&t->set, c, 1), 3);
	k = CKO_PUBLIC_KEY;
	assert_int_equal(count(&t->set, c, 1), 3);
	k = CKO_CERTIFICATE;
	assert_int_equal(count(&t->set, c, 1), 3);
	k = CKO_PROFILE;
	assert_int_equal(count(&t->set, c, 1), 1);
}

static void test_private_rsa(void **state)
{
	struct fx_objs *t = *state;
	uint8_t buf[1024], id = 0x01;
	build(t);
	const struct p11_object *o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	assert_true(o->is_private);
	assert_int_equal(o->key, 0);
	expect_ulong(o, CKA_CLASS, CKO_PRIVATE_KEY);
	expect_ulong(o, CKA_KEY_TYPE, CKK_RSA);
	expect_bool(o, CKA_TOKEN, true);
	expect_bool(o, CKA_PRIVATE, true);
	expect_bool(o, CKA_SENSITIVE, true);
	expect_bool(o, CKA_EXTRACTABLE, false);
	expect_bool(o, CKA_NEVER_EXTRACTABLE, true);
	expect_bool(o, CKA_ALWAYS_SENSITIVE, true);
	expect_bool(o, CKA_MODIFIABLE, false);
	expect_bool(o, CKA_LOCAL, false);
	expect_bool(o, CKA_SIGN, true); /* sign + nonRepudiation */
	expect_bool(o, CKA_DECRYPT, false);
	expect_bool(o, CKA_UNWRAP, false);
	expect_bool(o, CKA_SIGN_RECOVER, false);
	expect_bool(o, CKA_DERIVE, false);
	expect_bool(o, CKA_ALWAYS_AUTHENTICATE, true);
	expect_bytes(o, CKA_ID, &id, 1);
	expect_bytes(o, CKA_LABEL, "NES_imza", 8); /* ':' replaced */
	expect_bytes(o, CKA_SUBJECT, buf, cert_part(&t->f.card->certs[1], 0, buf));
	size_t n = 0;
	uint8_t *spki = fx_spki(t->f.rsa, &n);
	expect_bytes(o, CKA_PUBLIC_KEY_INFO, spki, n);
	free(spki);
	expect_bytes(o, CKA_MODULUS, buf, bn_param(t->f.rsa, OSSL_PKEY_PARAM_RSA_N, buf));
	expect_bytes(o, CKA_PUBLIC_EXPONENT, "\x01\x00\x01", 3);
	expect_ulong(o, CKA_MODULUS_BITS, 2048);
	expect_sensitive(o, CKA_PRIVATE_EXPONENT);
	expect_sensitive(o, CKA_PRIME_1);
	expect_absent(o, CKA_VALUE);
	expect_absent(o, CKA_EC_PARAMS);
}

static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* CKA_EC_POINT: 04 len 04‖X‖Y */
static size_t ec_point_der(EVP_PKEY *pk, uint8_t *out)
{
	size_t n = 0;
	assert_true(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, out + 2, 200, &n));
	assert_int_equal(out[2], 0x04); /* generated uncompressed */
	out[0] = 0x04;
	out[1] = (uint8_t)n;
	return n + 2;
}

static void test_private_public_ec(void **state)
{
	struct fx_objs *t = *state;
	uint8_t buf[256], id = 0x02;
	build(t);
	const struct p11_object *o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	expect_ulong(o, CKA_KEY_TYPE, CKK_EC);
	expect_bool(o, CKA_ALWAYS_AUTHENTICATE, false); /* R20: present, FALSE */
	expect_bool(o, CKA_SIGN, true);
	expect_bool(o, CKA_DECRYPT, false);
	expect_bytes(o, CKA_EC_PARAMS, oid_p384, sizeof oid_p384);
	expect_bytes(o, CKA_LABEL, "Auth", 4);
	expect_sensitive(o, CKA_VALUE);
	expect_absent(o, CKA_MODULUS);
	const struct p11_object *p = find1(&t->set, CKO_PUBLIC_KEY, &id, 1);
	assert_false(p->is_private);
	expect_ulong(p, CKA_CLASS, CKO_PUBLIC_KEY);
	expect_ulong(p, CKA_KEY_TYPE, CKK_EC);
	expect_bool(p, CKA_PRIVATE, false);
	expect_bool(p, CKA_TOKEN, true);
	expect_bool(p, CKA_VERIFY, true);
	expect_bool(p, CKA_ENCRYPT, false);
	expect_bool(p, CKA_WRAP, false);
	expect_bool(p, CKA_VERIFY_RECOVER, false);
	expect_bytes(p, CKA_EC_PARAMS, oid_p384, sizeof oid_p384);
	expect_bytes(p, CKA_EC_POINT, buf, ec_point_der(t->f.ec384, buf));
	expect_bytes(p, CKA_LABEL, "Auth", 4);
	expect_bytes(p, CKA_SUBJECT, buf, cert_part(&t->f.card->certs[2], 0, buf));
	/* keys[2]: SPKI only (no certificate) still gives a public key */
	id = 0x03;
	p = find1(&t->set, CKO_PUBLIC_KEY, &id, 1);
	expect_bytes(p, CKA_EC_PARAMS, oid_p256, sizeof oid_p256);
	expect_bytes(p, CKA_EC_POINT, buf, ec_point_der(t->f.ec256, buf));
	expect_bytes(p, CKA_LABEL, "Auth (2)", 8); /* R25: de-duplicated */
	expect_bytes(p, CKA_SUBJECT, NULL, 0);
}

static void test_public_rsa(void **state)
{
	struct fx_objs *t = *state;
	uint8_t buf[600], id = 0x01;
	t->f.card->keys[0].usage |= AKIS_USAGE_DECRYPT | AKIS_USAGE_UNWRAP;
	build(t);
	const struct p11_object *p = find1(&t->set, CKO_PUBLIC_KEY, &id, 1);
	expect_bool(p, CKA_VERIFY, true);
	expect_bool(p, CKA_ENCRYPT, true); /* mirrors decrypt */
	expect_bool(p, CKA_WRAP, true);    /* mirrors unwrap */
	expect_bool(p, CKA_PRIVATE, false);
	expect_bool(p, CKA_MODIFIABLE, false);
	expect_bytes(p, CKA_MODULUS, buf, bn_param(t->f.rsa, OSSL_PKEY_PARAM_RSA_N, buf));
	expect_bytes(p, CKA_PUBLIC_EXPONENT, "\x01\x00\x01", 3);
	expect_ulong(p, CKA_MODULUS_BITS, 2048);
	expect_absent(p, CKA_PRIVATE_EXPONENT);
	const struct p11_object *o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	expect_bool(o, CKA_DECRYPT, true);
	expect_bool(o, CKA_UNWRAP, true);
}

static void test_certificate(void **state)
{
	struct fx_objs *t = *state;
	uint8_t buf[2048], id = 0x01;
	const struct akis_cert *c = &t->f.card->certs[1];
	build(t);
	const struct p11_object *o = find1(&t->set, CKO_CERTIFICATE, &id, 1);
	assert_false(o->is_private);
	expect_ulong(o, CKA_CLASS, CKO_CERTIFICATE);
	expect_ulong(o, CKA_CERTIFICATE_TYPE, CKC_X_509);
	expect_ulong(o, CKA_CERTIFICATE_CATEGORY, 1);
	expect_bool(o, CKA_TRUSTED, false);
	expect_bool(o, CKA_PRIVATE, false);
	expect_bool(o, CKA_TOKEN, true);
	expect_bool(o, CKA_MODIFIABLE, false);
	expect_bytes(o, CKA_VALUE, c->der, c->der_len);
	expect_bytes(o, CKA_SUBJECT, buf, cert_part(c, 0, buf));
	expect_bytes(o, CKA_ISSUER, buf, cert_part(c, 1, buf));
	expect_bytes(o, CKA_SERIAL_NUMBER, "\x02\x03\x00\x80\x01", 5); /* DER INTEGER 0x8001 */
	expect_bytes(o, CKA_START_DATE, "20240102", 8);
	expect_bytes(o, CKA_END_DATE, "20300615", 8);
	SHA1(c->der, c->der_len, buf);
	expect_bytes(o, CKA_CHECK_VALUE, buf, 3);
	expect_bytes(o, CKA_URL, NULL, 0);
	expect_bytes(o, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, NULL, 0);
	expect_bytes(o, CKA_HASH_OF_ISSUER_PUBLIC_KEY, NULL, 0);
	expect_ulong(o, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
	expect_bytes(o, CKA_LABEL, "NES Sertifikasi", 15);
	expect_bytes(o, CKA_ID, &id, 1);
	/* the CA certificate: authority, its own iD, ':' replaced */
	id = 0xCA;
	o = find1(&t->set, CKO_CERTIFICATE, &id, 1);
	expect_ulong(o, CKA_CERTIFICATE_CATEGORY, 2);
	expect_bytes(o, CKA_LABEL, "CA_root", 7);
	expect_bytes(o, CKA_SUBJECT, buf, cert_part(&t->f.card->certs[0], 0, buf));
}

static void test_profile(void **state)
{
	struct fx_objs *t = *state;
	build(t);
	const struct p11_object *o = find1(&t->set, CKO_PROFILE, NULL, 0);
	expect_ulong(o, CKA_PROFILE_ID, CKP_PUBLIC_CERTIFICATES_TOKEN);
	expect_bool(o, CKA_PRIVATE, false);
	expect_bool(o, CKA_TOKEN, true);
}

/* R23: one CKA_ID per pair, unique on the token. */
static void test_id_shared(void **state)
{
	struct fx_objs *t = *state;
	build(t);
	for (uint8_t id = 1; id <= 3; id++) {
		CK_ATTRIBUTE tmpl[] = {{CKA_ID, &id, 1}};
		assert_int_equal(count(&t->set, tmpl, 1), id == 3 ? 2 : 3);
	}
}

static void expect_derived(const struct fx_objs *t, size_t key, size_t cert)
{
	uint8_t ski[20];
	cert_ski(&t->f.card->certs[cert], ski);
	find1(&t->set, CKO_PRIVATE_KEY, ski, 20);
	find1(&t->set, CKO_PUBLIC_KEY, ski, 20);
	const struct p11_object *c = find1(&t->set, CKO_CERTIFICATE, ski, 20);
	assert_int_equal(c->key, -1);
	(void)key;
}

static void test_id_missing(void **state)
{
	struct fx_objs *t = *state;
	t->f.card->keys[0].id_len = 0;
	t->f.card->certs[1].id_len = 0;
	fx_pair(t->f.card); /* the real pairing, by key type and size here */
	build(t);
	expect_derived(t, 0, 1);
	uint8_t id = 0x02; /* the others keep the card's iD */
	find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
}

static void test_id_collision(void **state)
{
	struct fx_objs *t = *state;
	t->f.card->keys[1].id[0] = 0x01;  /* keys 0 and 1 both say iD 01, */
	t->f.card->certs[2].id[0] = 0x01; /* so do their certificates */
	fx_pair(t->f.card);
	build(t);
	expect_derived(t, 0, 1);
	expect_derived(t, 1, 2);
	uint8_t id = 0x01;
	CK_ATTRIBUTE tmpl[] = {{CKA_ID, &id, 1}};
	assert_int_equal(count(&t->set, tmpl, 1), 0);
}

/* A CA certificate's iD equal to a key's must not pair it with the key. */
static void test_id_ca_collision(void **state)
{
	struct fx_objs *t = *state;
	uint8_t ski[20], id = 0x02;
	t->f.card->certs[0].id[0] = 0x02;
	fx_pair(t->f.card);
	build(t);
	CK_ATTRIBUTE tmpl[] = {{CKA_ID, &id, 1}};
	assert_int_equal(count(&t->set, tmpl, 1), 3);
	cert_ski(&t->f.card->certs[0], ski);
	const struct p11_object *o = find1(&t->set, CKO_CERTIFICATE, ski, 20);
	expect_ulong(o, CKA_CERTIFICATE_CATEGORY, 2);
}

/* No certificate and no PuKDF entry: no public key object (the brief),
 * the private key still has its size and a non-empty ID. */
static void test_no_public_key(void **state)
{
	struct fx_objs *t = *state;
	free(t->f.card->keys[2].spki);
	t->f.card->keys[2].spki = NULL;
	t->f.card->keys[2].spki_len = 0;
	t->f.card->keys[2].id_len = 0;
	t->f.card->keys[2].type = AKIS_KEY_RSA;
	t->f.card->keys[2].bits = 2048;
	fx_pair(t->f.card);
	build(t);
	assert_int_equal(t->set.n, 9);
	uint8_t id = 0x83; /* the key reference */
	const struct p11_object *o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	expect_ulong(o, CKA_MODULUS_BITS, 2048);
	expect_absent(o, CKA_MODULUS);
	expect_bytes(o, CKA_PUBLIC_KEY_INFO, NULL, 0);
	CK_OBJECT_CLASS k = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &k, sizeof k}};
	assert_int_equal(count(&t->set, tmpl, 1), 2);
}

/* Explicit EC parameters from the card → the named curve OID. */
static void test_ec_explicit_params(void **state)
{
	struct fx_objs *t = *state;
	EVP_PKEY *ex = EVP_PKEY_dup(t->f.ec256);
	assert_true(EVP_PKEY_set_utf8_string_param(ex, OSSL_PKEY_PARAM_EC_ENCODING,
	                                           OSSL_PKEY_EC_ENCODING_EXPLICIT));
	free(t->f.card->keys[2].spki);
	t->f.card->keys[2].spki = fx_spki(ex, &t->f.card->keys[2].spki_len);
	EVP_PKEY_free(ex);
	assert_true(t->f.card->keys[2].spki_len > 200); /* really explicit */
	build(t);
	uint8_t id = 0x03;
	const struct p11_object *o = find1(&t->set, CKO_PUBLIC_KEY, &id, 1);
	expect_bytes(o, CKA_EC_PARAMS, oid_p256, sizeof oid_p256);
	o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	expect_bytes(o, CKA_EC_PARAMS, oid_p256, sizeof oid_p256);
}

static void test_labels(void **state)
{
	struct fx_objs *t = *state;
	snprintf(t->f.card->keys[0].label, AKIS_LABEL_MAX, "Auth");
	t->f.card->keys[1].label[0] = 0; /* falls back to the certificate's label */
	build(t);
	uint8_t id = 0x01;
	expect_bytes(find1(&t->set, CKO_PRIVATE_KEY, &id, 1), CKA_LABEL, "Auth", 4);
	id = 0x02;
	expect_bytes(find1(&t->set, CKO_PRIVATE_KEY, &id, 1), CKA_LABEL, "Auth (2)", 8);
	id = 0x03;
	expect_bytes(find1(&t->set, CKO_PRIVATE_KEY, &id, 1), CKA_LABEL, "Auth (3)", 8);
	for (size_t i = 0; i < t->set.n; i++) {
		const struct p11_attr *a = p11_object_attr(&t->set.objs[i], CKA_LABEL);
		if (a)
			assert_null(memchr(a->value, ':', a->len));
	}
}

static void test_unparsable_cert(void **state)
{
	struct fx_objs *t = *state;
	struct akis_cert *c = &t->f.card->certs[3];
	c->der = malloc(4);
	memcpy(c->der, "\x30\x02\x05\x00", 4);
	c->der_len = 4;
	t->f.card->n_certs = 4;
	build(t);
	assert_int_equal(t->set.n, 10); /* skipped */
}

/* R26 */
static void test_match(void **state)
{
	struct fx_objs *t = *state;
	uint8_t issuer[512], serial[32], subject[512], id = 0x01;
	build(t);
	assert_int_equal(count(&t->set, NULL, 0), 10);
	CK_OBJECT_CLASS k = CKO_CERTIFICATE;
	CK_ATTRIBUTE by_id[] = {{CKA_ID, &id, 1}};
	assert_int_equal(count(&t->set, by_id, 1), 3);
	CK_ATTRIBUTE by_label[] = {{CKA_LABEL, "NES_imza", 8}};
	assert_int_equal(count(&t->set, by_label, 1), 2);
	CK_ATTRIBUTE by_label2[] = {{CKA_LABEL, "NES_imz", 7}}; /* byte-exact */
	assert_int_equal(count(&t->set, by_label2, 1), 0);
	size_t ni = cert_part(&t->f.card->certs[1], 1, issuer);
	size_t ns = cert_part(&t->f.card->certs[1], 2, serial);
	CK_ATTRIBUTE by_is[] = {{CKA_CLASS, &k, sizeof k},
	                        {CKA_ISSUER, issuer, ni},
	                        {CKA_SERIAL_NUMBER, serial, ns}};
	assert_int_equal(count(&t->set, by_is, 3), 1);
	size_t nsub = cert_part(&t->f.card->certs[1], 0, subject);
	CK_ATTRIBUTE by_subject[] = {{CKA_SUBJECT, subject, nsub}};
	assert_int_equal(count(&t->set, by_subject, 1), 3); /* cert + both keys */
	CK_ATTRIBUTE cert_subject[] = {{CKA_CLASS, &k, sizeof k}, {CKA_SUBJECT, subject, nsub}};
	assert_int_equal(count(&t->set, cert_subject, 2), 1);
	CK_BBOOL tr = CK_TRUE;
	CK_ATTRIBUTE priv[] = {{CKA_PRIVATE, &tr, 1}};
	assert_int_equal(count(&t->set, priv, 1), 3);
	CK_ATTRIBUTE sens[] = {{CKA_PRIVATE_EXPONENT, NULL, 0}}; /* never matches */
	assert_int_equal(count(&t->set, sens, 1), 0);
	CK_ATTRIBUTE none[] = {{CKA_ID, "\x09", 1}};
	assert_int_equal(count(&t->set, none, 1), 0);
}

/* PKCS#11 3.0 §5.7.5 */
static void test_get_attrs_rules(void **state)
{
	struct fx_objs *t = *state;
	uint8_t id = 0x01, small[4], big[600];
	CK_ULONG bits = 0;
	build(t);
	const struct p11_object *o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	CK_ATTRIBUTE a[] = {
	        {CKA_MODULUS, NULL, 0},                 /* size query */
	        {CKA_MODULUS, small, sizeof small},     /* too small */
	        {CKA_MODULUS_BITS, &bits, sizeof bits}, /* still processed */
	        {CKA_LABEL, big, sizeof big},
	};
	assert_int_equal(p11_object_get_attrs(o, a, 4), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(a[0].ulValueLen, 256);
	assert_int_equal(a[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(bits, 2048);
	assert_int_equal(a[3].ulValueLen, 8);
	assert_memory_equal(big, "NES_imza", 8);
	CK_ATTRIBUTE b[] = {
	        {CKA_PRIVATE_EXPONENT, big, sizeof big},
	        {CKA_VALUE_LEN, big, sizeof big}, /* not an attribute of this object */
	        {CKA_MODULUS_BITS, &bits, sizeof bits},
	};
	bits = 0;
	assert_int_equal(p11_object_get_attrs(o, b, 3), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(b[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(b[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(b[2].ulValueLen, sizeof bits);
	assert_int_equal(bits, 2048);
	CK_ATTRIBUTE c[] = {{CKA_VALUE_LEN, big, sizeof big}, {CKA_ID, big, 1}};
	assert_int_equal(p11_object_get_attrs(o, c, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(c[1].ulValueLen, 1);
	assert_int_equal(big[0], 0x01);
	CK_ATTRIBUTE d[] = {{CKA_ID, big, 1}};
	assert_int_equal(p11_object_get_attrs(o, d, 1), CKR_OK);
	assert_int_equal(p11_object_get_attrs(o, NULL, 1), CKR_ARGUMENTS_BAD);
}

static void test_output(void **state)
{
	(void)state;
	uint8_t out[8] = {0};
	CK_ULONG n = 0;
	assert_int_equal(p11_output("abcd", 4, NULL, &n), CKR_OK);
	assert_int_equal(n, 4);
	n = 3;
	assert_int_equal(p11_output("abcd", 4, out, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 0); /* nothing copied */
	n = sizeof out;
	assert_int_equal(p11_output("abcd", 4, out, &n), CKR_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "abcd", 4);
	n = 0;
	assert_int_equal(p11_output("", 0, out, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(p11_output("abcd", 4, out, NULL), CKR_ARGUMENTS_BAD);
}

/* Without a directory the card tells no usage: the certificate's
 * keyUsage decides. */
static void test_usage_fallback(void **state)
{
	struct fx_objs *t = *state;
	t->f.card->keys[0].usage = 0;
	build(t);
	uint8_t id = 0x01;
	const struct p11_object *o = find1(&t->set, CKO_PRIVATE_KEY, &id, 1);
	expect_bool(o, CKA_SIGN, true);
	expect_bool(o, CKA_DECRYPT, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_build_shape, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_private_rsa, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_private_public_ec, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_public_rsa, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_certificate, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_profile, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_id_shared, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_id_missing, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_id_collision, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_id_ca_collision, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_no_public_key, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_ec_explicit_params, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_labels, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_unparsable_cert, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_match, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_get_attrs_rules, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_usage_fallback, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test(test_output),
	};
	return cmocka_run_group_tests(tests, NULL, fx_group_teardown);
}
