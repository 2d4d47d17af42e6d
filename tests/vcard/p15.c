/* PKCS#15 v1.1 / ISO 7816-15 directory files of a provisioned card, as DER.
 * Module PKCS-15 uses IMPLICIT TAGS; CHOICE tags are explicit. Paths are
 * absolute (from 3F00). docs/card.md §2 says which files exist [S]. */
#include "prov.h"

#include <string.h>

static const uint8_t p15_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                  0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
static const uint8_t path_df[] = {0x3F, 0x00, 0x3D, 0x00};

/* Path ::= SEQUENCE { path OCTET STRING, ... } */
static void path_seq(struct vc_der *d, uint16_t fid)
{
	struct vc_der s;
	uint8_t p[6];
	memcpy(p, path_df, 4);
	p[4] = (uint8_t)(fid >> 8);
	p[5] = (uint8_t)fid;
	der_init(&s);
	der_octets(&s, p, fid ? 6 : 4);
	der_wrap(d, 0x30, &s);
}

/* EF.DIR: 61 { 4F AID, 50 label, 51 path } (ISO 7816-4 §8.2.1.1) */
bool vc_p15_efdir(struct vc_der *d)
{
	struct vc_der t;
	der_init(&t);
	der_tlv(&t, 0x4F, p15_aid, sizeof p15_aid);
	der_tlv(&t, 0x50, "AKIS PKCS-15", 12);
	der_tlv(&t, 0x51, path_df, sizeof path_df);
	der_wrap(d, 0x61, &t);
	return !d->err;
}

/* ODF: PKCS15Objects choices privateKeys[0] publicKeys[1] certificates[4]
 * authObjects[8], each a Path. */
bool vc_p15_odf(struct vc_der *d)
{
	static const struct {
		uint8_t tag;
		uint16_t fid;
	} e[] = {{0xA0, 0x4402}, {0xA1, 0x4403}, {0xA4, 0x4404}, {0xA8, 0x4401}};
	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
		struct vc_der s;
		der_init(&s);
		path_seq(&s, e[i].fid);
		der_wrap(d, e[i].tag, &s);
	}
	return !d->err;
}

static void hex16(const uint8_t *b, char *out)
{
	static const char hx[] = "0123456789ABCDEF";
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[16] = '\0';
}

/* TokenInfo ::= SEQUENCE { version, serialNumber, manufacturerID, label [0], tokenflags } */
bool vc_p15_tokeninfo(const struct vc_prov *p, struct vc_der *d)
{
	static const int flags[] = {1, 2}; /* loginRequired, prnGeneration */
	struct vc_der s;
	char label[32], h[17];
	hex16(p->serial + 4, h);
	snprintf(label, sizeof label, "AKIS_%s", h); /* docs/card.md §3 GET DATA [S] */
	der_init(&s);
	der_int(&s, 0);
	der_octets(&s, p->serial, sizeof p->serial);
	der_utf8(&s, "TUBITAK BILGEM");
	der_tlv(&s, 0x80, label, strlen(label));
	der_bits(&s, flags, 2);
	der_wrap(d, 0x30, &s);
	return !d->err;
}

/* CommonObjectAttributes ::= SEQUENCE { label, flags, authId, userConsent } */
static void common_obj(struct vc_der *d, const char *label, bool priv, int auth_id, int consent)
{
	static const int f_private[] = {0}, f_modifiable[] = {1};
	struct vc_der s;
	uint8_t id = (uint8_t)auth_id;
	der_init(&s);
	der_utf8(&s, label);
	der_bits(&s, priv ? f_private : f_modifiable, 1);
	if (auth_id >= 0)
		der_octets(&s, &id, 1);
	if (consent > 0)
		der_int(&s, (unsigned long)consent);
	der_wrap(d, 0x30, &s);
}

/* One PIN object: pinFlags, pinType, minLength, storedLength, maxLength,
 * pinReference [0], path (PKCS#15 v1.1 §6.8.2). */
static void pin_obj(const struct vc_prov *p, struct vc_der *d, bool puk)
{
	static const int f_pin[] = {1, 4};    /* local, initialized */
	static const int f_puk[] = {1, 4, 6}; /* + unblockingPin */
	struct vc_der o, cls, ta, attrs;
	uint8_t id = puk ? 2 : 1, ref = puk ? 0x82 : 0x81;
	bool bcd = p->o->profile == VC_AKIS_10;
	der_init(&o);
	common_obj(&o, puk ? "PUK" : "PIN", false, puk ? -1 : 2, 0);
	der_init(&cls);
	der_octets(&cls, &id, 1);
	der_wrap(&o, 0x30, &cls);
	der_init(&attrs);
	der_bits(&attrs, puk ? f_puk : f_pin, puk ? 3 : 2);
	der_tlv(&attrs, 0x0A, (const uint8_t[]){bcd ? 3 : 1},
	        1); /* half-nibble-bcd / ascii-numeric */
	der_int(&attrs, 4);
	der_int(&attrs, 8);
	der_int(&attrs, 8);
	der_tlv(&attrs, 0x80, &ref, 1);
	path_seq(&attrs, 0);
	der_init(&ta);
	der_wrap(&ta, 0x30, &attrs);
	der_wrap(&o, 0xA1, &ta);
	der_wrap(d, 0x30, &o);
}

bool vc_p15_aodf(const struct vc_prov *p, struct vc_der *d)
{
	pin_obj(p, d, false);
	pin_obj(p, d, true);
	return !d->err;
}

static bool p15_is_ec(enum vc_key_alg a)
{
	return a != VC_RSA2048;
}

/* CommonKeyAttributes ::= SEQUENCE { iD, usage, native, accessFlags, keyReference } */
static void common_key(struct vc_der *d, const struct vc_prov_key *k, bool pub)
{
	int u[6];
	size_t n = 0;
	static const int access[] = {0, 2, 3,
	                             4}; /* sensitive alwaysSensitive neverExtractable local */
	struct vc_der s;
	if (k->agree)
		u[n++] = 8; /* derive (e-seal ENCR0: keyAgreement) */
	else
		u[n++] = pub ? 6 : 2; /* verify / sign */
	if (k->nes || (k->seal && !k->agree))
		u[n++] = 9; /* nonRepudiation */
	if (k->decrypt) {
		u[n++] = pub ? 0 : 1; /* encrypt / decrypt */
		u[n++] = pub ? 4 : 5; /* wrap / unwrap */
	}
	der_init(&s);
	der_octets(&s, k->id, sizeof k->id);
	der_bits(&s, u, n);
	if (!pub) {
		der_bits(&s, access, 4);
		der_int(&s, k->ref);
	}
	der_wrap(d, 0x30, &s);
}

bool vc_p15_prkdf(const struct vc_prov *p, struct vc_der *d)
{
	for (int i = 0; i < p->nkeys; i++) {
		const struct vc_prov_key *k = &p->keys[i];
		struct vc_der o, a, ta;
		der_init(&o);
		common_obj(&o, k->label, true, 1, k->consent ? 1 : 0);
		common_key(&o, k, false);
		der_init(&a);
		path_seq(&a, 0); /* value: the key lives in DF 3D00 */
		if (!p15_is_ec(k->alg))
			der_int(&a, 2048);
		der_init(&ta);
		der_wrap(&ta, 0x30, &a);
		der_wrap(&o, 0xA1, &ta);
		/* privateECKey [0] IMPLICIT (replaces the SEQUENCE tag), else SEQUENCE */
		der_wrap(d, p15_is_ec(k->alg) ? 0xA0 : 0x30, &o);
	}
	return !d->err;
}

/* Public keys given directly: RSA as raw RSAPublicKey, EC as spki [1]
 * (ISO 7816-15 ECPublicKeyChoice), both inside ObjectValue direct [0]. */
static bool pub_value(const struct vc_prov_key *k, struct vc_der *d)
{
	uint8_t *der = NULL;
	int n;
	struct vc_der v;
	der_init(&v);
	if (p15_is_ec(k->alg)) {
		n = i2d_PUBKEY(k->key, &der);
		if (n < 2 || der[0] != 0x30)
			goto fail;
		v.b[0] = 0xA1; /* re-tag the SEQUENCE as [1] IMPLICIT */
		v.len = 1;
		der_raw(&v, der + 1, (size_t)n - 1);
	} else {
		n = i2d_PublicKey(k->key, &der);
		if (n < 2)
			goto fail;
		der_raw(&v, der, (size_t)n);
	}
	OPENSSL_free(der);
	der_wrap(d, 0xA0, &v);
	return true;
fail:
	OPENSSL_free(der);
	return false;
}

bool vc_p15_pukdf(const struct vc_prov *p, struct vc_der *d)
{
	for (int i = 0; i < p->nkeys; i++) {
		const struct vc_prov_key *k = &p->keys[i];
		struct vc_der o, a, ta;
		der_init(&o);
		common_obj(&o, k->label, false, -1, 0);
		common_key(&o, k, true);
		der_init(&a);
		if (!pub_value(k, &a))
			return false;
		if (!p15_is_ec(k->alg))
			der_int(&a, 2048);
		der_init(&ta);
		der_wrap(&ta, 0x30, &a);
		der_wrap(&o, 0xA1, &ta);
		/* publicECKey [0] IMPLICIT (replaces the SEQUENCE tag), else SEQUENCE */
		der_wrap(d, p15_is_ec(k->alg) ? 0xA0 : 0x30, &o);
	}
	return !d->err;
}

/* x509Certificate: { common, CommonCertificateAttributes { iD }, [1] { value Path } } */
bool vc_p15_cdf(const struct vc_prov *p, struct vc_der *d)
{
	for (int i = 0; i < p->nkeys; i++) {
		const struct vc_prov_key *k = &p->keys[i];
		struct vc_der o, c, a, ta;
		der_init(&o);
		common_obj(&o, k->label, false, -1, 0);
		der_init(&c);
		der_octets(&c, k->id, sizeof k->id);
		der_wrap(&o, 0x30, &c);
		der_init(&a);
		path_seq(&a, k->cert_fid);
		der_init(&ta);
		der_wrap(&ta, 0x30, &a);
		der_wrap(&o, 0xA1, &ta);
		der_wrap(d, 0x30, &o);
	}
	return !d->err;
}
