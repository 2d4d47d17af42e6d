/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hand-built struct akis_card for test_object.c and test_mech.c: keys
 * and certificates generated with OpenSSL at test time (no card, no
 * APDU). Keys are paired with certificates by the module's own pairing
 * (akis_keys_complete, as after a bind), never by hand: a test that
 * changes iDs, types or PuKDF entries calls fx_pair() again. Layout of
 * fx_card() (the pairing the card data leads to):
 *
 *   certs[0]  CA root "TEST NES Kok" (RSA-2048, self-signed), authority,
 *             iD CA, label "CA:root"
 *   certs[1]  holder NES certificate of keys[0] (RSA-2048), serial 0x8001,
 *             2024-01-02 .. 2030-06-15, iD 01
 *   certs[2]  holder authentication certificate of keys[1] (EC P-384), iD 02
 *   keys[0]   RSA-2048, iD 01, "NES:imza", sign+nonRepudiation(+decrypt
 *             when asked), userConsent
 *   keys[1]   EC P-384, iD 02, "Auth", sign, cert 2
 *   keys[2]   EC P-256, iD 03, "Auth", sign, no certificate, SPKI only
 */
#ifndef AKIS_TEST_OBJECT_FIXTURES_H
#define AKIS_TEST_OBJECT_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../akis/akis.h"
#include "../../akis/internal.h"

struct fx {
	struct akis_card *card;
	EVP_PKEY *ca, *rsa, *ec384, *ec256;
};

static EVP_PKEY *fx_keys_cache[4]; /* generated once per test binary (RSA is slow) */

static inline void fx_name(X509_NAME *nm, const char *cn, const char *serial)
{
	X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"TR", -1, -1, 0);
	if (serial)
		X509_NAME_add_entry_by_txt(nm, "serialNumber", MBSTRING_ASC,
		                           (const unsigned char *)serial, -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
}

static inline void fx_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		abort();
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate of `key`, issued by (issuer_cert, issuer_key) or
 * self-signed when issuer_cert is NULL. Returns malloc'd DER. */
static inline uint8_t *fx_cert(EVP_PKEY *key, const char *cn, const char *serial_hex,
                               X509 *issuer_cert, EVP_PKEY *issuer_key, bool ca, const char *ku,
                               size_t *len, X509 **keep)
{
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	X509_set_version(x, 2);
	BN_hex2bn(&bn, serial_hex);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	fx_name(X509_get_subject_name(x), cn, ca ? NULL : "12345678901");
	X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert)
	                                    : X509_get_subject_name(x));
	ASN1_TIME_set_string(X509_getm_notBefore(x), "20240102030405Z");
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20300615120000Z");
	X509_set_pubkey(x, key);
	fx_ext(x, issuer_cert ? issuer_cert : x, NID_basic_constraints,
	       ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	fx_ext(x, issuer_cert ? issuer_cert : x, NID_key_usage, ku);
	fx_ext(x, issuer_cert ? issuer_cert : x, NID_subject_key_identifier, "hash");
	if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
		abort();
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	uint8_t *out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	if (keep)
		*keep = x;
	else
		X509_free(x);
	return out;
}

static inline uint8_t *fx_spki(EVP_PKEY *pk, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	uint8_t *out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

static inline void fx_key(struct akis_key *k, uint8_t id, const char *label, enum akis_key_type t,
                          unsigned bits, unsigned usage, uint8_t ref)
{
	memset(k, 0, sizeof *k);
	k->id[0] = id;
	k->id_len = 1;
	snprintf(k->label, sizeof k->label, "%s", label);
	k->type = t;
	k->bits = bits;
	k->usage = usage;
	k->cert = -1; /* as the PrKDF parser leaves it */
	k->key_ref = ref;
	k->auth_pin_ref = 0x81;
}

static inline void fx_certent(struct akis_cert *c, uint8_t id, const char *label, bool authority,
                              uint8_t *der, size_t len)
{
	memset(c, 0, sizeof *c);
	c->id[0] = id;
	c->id_len = 1;
	snprintf(c->label, sizeof c->label, "%s", label);
	c->authority = authority;
	c->der = der;
	c->der_len = len;
}

static inline void fx_keys(struct fx *f)
{
	if (!fx_keys_cache[0]) {
		fx_keys_cache[0] = EVP_RSA_gen(2048);
		fx_keys_cache[1] = EVP_RSA_gen(2048);
		fx_keys_cache[2] = EVP_EC_gen("P-384");
		fx_keys_cache[3] = EVP_EC_gen("P-256");
	}
	f->ca = fx_keys_cache[0];
	f->rsa = fx_keys_cache[1];
	f->ec384 = fx_keys_cache[2];
	f->ec256 = fx_keys_cache[3];
}

/* Forget any pairing and pair again as a bind does (akis/nodir.c). */
static inline void fx_pair(struct akis_card *c)
{
	for (size_t i = 0; i < c->n_keys; i++)
		c->keys[i].cert = -1;
	akis_keys_complete(c);
}

/* rsa_usage: usage bits of keys[0]. */
static inline struct fx fx_card(unsigned rsa_usage)
{
	struct fx f;
	X509 *ca = NULL;
	size_t len = 0;
	fx_keys(&f);
	struct akis_card *c = calloc(1, sizeof *c);
	c->atr.profile = AKIS_PROFILE_2;
	uint8_t *der = fx_cert(f.ca, "TEST NES K\xc3\xb6k", "01", NULL, NULL, true,
	                       "critical,keyCertSign,cRLSign", &len, &ca);
	fx_certent(&c->certs[0], 0xCA, "CA:root", true, der, len);
	der = fx_cert(f.rsa, "Test Holder", "8001", ca, f.ca, false,
	              "critical,digitalSignature,nonRepudiation", &len, NULL);
	fx_certent(&c->certs[1], 0x01, "NES Sertifikasi", false, der, len);
	der = fx_cert(f.ec384, "Test Holder Auth", "8002", ca, f.ca, false,
	              "critical,digitalSignature,keyAgreement", &len, NULL);
	fx_certent(&c->certs[2], 0x02, "Auth", false, der, len);
	c->n_certs = 3;
	X509_free(ca);
	fx_key(&c->keys[0], 0x01, "NES:imza", AKIS_KEY_RSA, 2048, rsa_usage, 0x81);
	c->keys[0].user_consent = true;
	fx_key(&c->keys[1], 0x02, "Auth", AKIS_KEY_EC, 384, AKIS_USAGE_SIGN, 0x82);
	fx_key(&c->keys[2], 0x03, "Auth", AKIS_KEY_EC, 256, AKIS_USAGE_SIGN, 0x83);
	c->keys[2].spki = fx_spki(f.ec256, &c->keys[2].spki_len);
	c->n_keys = 3;
	fx_pair(c);
	f.card = c;
	return f;
}

static inline void fx_card_free(struct fx *f)
{
	if (!f->card)
		return;
	for (size_t i = 0; i < AKIS_MAX_CERTS; i++)
		free(f->card->certs[i].der);
	for (size_t i = 0; i < AKIS_MAX_KEYS; i++)
		free(f->card->keys[i].spki);
	free(f->card);
	f->card = NULL;
}

static inline void fx_keys_free(void)
{
	for (size_t i = 0; i < 4; i++) {
		EVP_PKEY_free(fx_keys_cache[i]);
		fx_keys_cache[i] = NULL;
	}
}

/* cmocka group teardown: the generated keys are shared by a whole group. */
static inline int fx_group_teardown(void **state)
{
	(void)state;
	fx_keys_free();
	return 0;
}

#ifdef AKIS_PKCS11_OBJECT_H
/* A fixture card and the objects built from it (tests of pkcs11/object.c). */
struct fx_objs {
	struct fx f;
	struct p11_objset set;
};

static inline int fx_objs_setup(void **state)
{
	struct fx_objs *t = calloc(1, sizeof *t);
	t->f = fx_card(AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION);
	*state = t;
	return 0;
}

static inline int fx_objs_teardown(void **state)
{
	struct fx_objs *t = *state;
	p11_objects_free(&t->set);
	fx_card_free(&t->f);
	free(t);
	return 0;
}
#endif

#endif
