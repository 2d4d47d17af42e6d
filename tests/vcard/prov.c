/* Provisioning a card image with OpenSSL (docs/card.md §4): a test CA chain,
 * the holder's NES key + certificate, an authentication key where the profile
 * has one, the PKCS#15 files, card.conf. Nothing here touches a real card. */
#include "prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "image.h"
#include "x509gen.h"

#define DAY (24L * 3600)

static bool mkdirs(const char *dir, const char *sub)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, sub);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return false;
		*s = '/';
	}
	return mkdir(p, 0755) == 0 || errno == EEXIST;
}

static bool write_file(const char *dir, const char *name, const void *b, size_t n)
{
	char p[PATH_MAX];
	FILE *f;
	bool ok;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f)
		return false;
	ok = fwrite(b, 1, n, f) == n;
	return (fclose(f) == 0) && ok;
}

static bool write_pem(const char *dir, const char *name, EVP_PKEY *key, X509 *cert)
{
	char p[PATH_MAX];
	FILE *f;
	bool ok;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f)
		return false;
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1
	         : PEM_write_X509(f, cert) == 1;
	return (fclose(f) == 0) && ok;
}

/* The e-seal (Mali Mühür) layout, docs/card.md §4: <VKN>SIGN0 and
 * <VKN>ENCR0 on P-384, organisation certificates, no userConsent. */
static void plan_seal(struct vc_prov *p)
{
	static const char *const suffix[2] = {"SIGN0", "ENCR0"};
	p->nkeys = 2;
	for (int n = 0; n < 2; n++) {
		struct vc_prov_key *k = &p->keys[n];
		snprintf(p->seal_labels[n], sizeof p->seal_labels[n], "%s%s", p->o->vkn, suffix[n]);
		k->label = p->seal_labels[n];
		k->alg = VC_EC_P384;
		k->seal = true;
		k->agree = n == 1;
		k->not_before = -DAY;
		k->not_after = 3 * 365 * DAY;
	}
}

/* The holder's keys per profile: NES, authentication, an expired NES. */
static void plan_holder(struct vc_prov *p)
{
	const struct vc_init_opts *o = p->o;
	bool two = o->profile == VC_AKIS_2;
	struct vc_prov_key *k;
	p->nkeys = 0;
	k = &p->keys[p->nkeys++];
	k->label = "NES Imza";
	k->alg = !two ? VC_RSA2048 : o->ec_p256 ? VC_EC_P256 : VC_EC_P384;
	k->nes = true;
	k->consent = two;
	k->not_before = o->expired_cert ? -3600 : -DAY;
	k->not_after = o->expires_in > 0 ? o->expires_in * DAY : 3 * 365 * DAY;
	if (o->profile != VC_AKIS_10) {
		k = &p->keys[p->nkeys++];
		k->label = "Kimlik Dogrulama";
		k->alg = VC_RSA2048; /* documented choice: RSA-2048 also on akis-2 */
		k->decrypt = true;
		k->not_before = -DAY;
		k->not_after = 3 * 365 * DAY;
	}
	if (o->expired_cert) {
		k = &p->keys[p->nkeys++];
		k->label = "NES Imza (eski)";
		k->alg = !two ? VC_RSA2048 : o->ec_p256 ? VC_EC_P256 : VC_EC_P384;
		k->nes = true;
		k->consent = two;
		k->not_before = -3 * 365 * DAY;
		k->not_after = -2 * DAY;
	}
}

/* Key n ↔ certificate 2F1n ↔ key reference 2n+1 on 1.x and 0x80|(n+1) on
 * 2.x, the convention of docs/card.md §2 [C]. */
static void plan(struct vc_prov *p)
{
	bool two = p->o->profile == VC_AKIS_2;
	if (p->o->e_seal)
		plan_seal(p);
	else
		plan_holder(p);
	for (int n = 0; n < p->nkeys; n++) {
		p->keys[n].ref = (uint8_t)(two ? 0x80 | (n + 1) : 2 * n + 1);
		p->keys[n].cert_fid = (uint16_t)(0x2F10 + n);
	}
}

static bool key_id(struct vc_prov_key *k)
{
	const ASN1_BIT_STRING *pk = X509_get0_pubkey_bitstr(k->cert);
	unsigned len = 0;
	return pk && EVP_Digest(pk->data, (size_t)pk->length, k->id, &len, EVP_sha1(), NULL) == 1 &&
	       len == sizeof k->id;
}

static bool make_keys(struct vc_prov *p, struct vc_ca *ca)
{
	for (int i = 0; i < p->nkeys; i++) {
		struct vc_prov_key *k = &p->keys[i];
		struct vc_holder h = {.name = p->o->holder,
		                      .tckn = k->seal ? p->o->vkn : p->o->tckn,
		                      .nes = k->nes,
		                      .decrypt = k->decrypt,
		                      .org = k->seal ? p->o->company : NULL,
		                      .agree = k->agree,
		                      .not_before = k->not_before,
		                      .not_after = k->not_after};
		k->key = vc_x509_keygen(k->alg);
		if (!k->key)
			return false;
		k->cert = vc_x509_holder(ca, k->key, &h);
		if (!k->cert || !key_id(k))
			return false;
	}
	/* e-seal: both pairs carry the SIGN0 key's iD in PrKDF, PuKDF and CDF, as
	 * real cards do (docs/card.md §4); the module must tell them apart (R23). */
	if (p->o->e_seal)
		memcpy(p->keys[1].id, p->keys[0].id, sizeof p->keys[1].id);
	return true;
}

typedef bool (*p15_builder)(const struct vc_prov *, struct vc_der *);

static bool write_der(const char *dir, const char *name, const struct vc_prov *p, p15_builder fn)
{
	struct vc_der *d = malloc(sizeof *d);
	bool ok;
	if (!d)
		return false;
	der_init(d);
	ok = fn(p, d) && !d->err && write_file(dir, name, d->b, d->len);
	free(d);
	return ok;
}

static bool efdir_b(const struct vc_prov *p, struct vc_der *d)
{
	(void)p;
	return vc_p15_efdir(d);
}

static bool odf_b(const struct vc_prov *p, struct vc_der *d)
{
	(void)p;
	return vc_p15_odf(d);
}

static bool write_fs(const struct vc_prov *p)
{
	char df[PATH_MAX];
	const char *dir = p->o->dir;
	bool ok = mkdirs(dir, "fs/3F00/3D00") && mkdirs(dir, "certs");
	snprintf(df, sizeof df, "%s/fs/3F00/3D00", dir);
	if (ok && !p->o->no_efdir) {
		char mf[PATH_MAX];
		snprintf(mf, sizeof mf, "%s/fs/3F00", dir);
		ok = write_der(mf, "2F00", p, efdir_b);
	}
	if (ok && !p->o->no_pkcs15)
		ok = write_der(df, "5031", p, odf_b) &&
		     write_der(df, "5032", p, vc_p15_tokeninfo) &&
		     write_der(df, "4401", p, vc_p15_aodf) &&
		     write_der(df, "4402", p, vc_p15_prkdf) &&
		     write_der(df, "4403", p, vc_p15_pukdf) && write_der(df, "4404", p, vc_p15_cdf);
	for (int i = 0; ok && i < p->nkeys; i++) {
		const struct vc_prov_key *k = &p->keys[i];
		uint8_t *der = NULL;
		int n = i2d_X509(k->cert, &der);
		char name[16];
		snprintf(name, sizeof name, "%04X", k->cert_fid);
		ok = n > 0 && write_file(df, name, der, (size_t)n);
		OPENSSL_free(der);
		snprintf(name, sizeof name, "certs/%04X.pem", k->cert_fid);
		ok = ok && write_pem(dir, name, NULL, k->cert);
	}
	return ok;
}

static bool fill_card(const struct vc_prov *p, struct vc_card *c)
{
	const struct vc_init_opts *o = p->o;
	static const struct {
		uint8_t ref;
		const char *def;
	} pins[] = {{0x81, "12345"}, {0x82, "123456"}, {0x01, "44444444"}, {0x02, "88888888"}};
	const uint8_t *atr = vc_profile_atr(o->profile, &c->atr_len);
	snprintf(c->dir, sizeof c->dir, "%s", o->dir);
	c->profile = o->profile;
	memcpy(c->atr, atr, c->atr_len);
	if (o->atr_hex && !vc_hex_decode(o->atr_hex, c->atr, sizeof c->atr, &c->atr_len))
		return false;
	memcpy(c->serial, p->serial, sizeof c->serial);
	c->life_cycle = 0xA5;
	for (int i = 0; i < 4; i++) {
		const char *v = i == 0 && o->pin ? o->pin : i == 1 && o->puk ? o->puk : pins[i].def;
		c->pins[i].ref = pins[i].ref;
		snprintf(c->pins[i].value, sizeof c->pins[i].value, "%s", v);
		c->pins[i].tries = c->pins[i].max = 3;
	}
	c->npins = 4;
	for (int i = 0; i < p->nkeys; i++) {
		struct vc_key *k = &c->keys[i];
		k->ref = p->keys[i].ref;
		k->alg = p->keys[i].alg;
		k->can_sign = !p->keys[i].agree;
		k->can_decrypt = p->keys[i].decrypt;
		k->user_consent = p->keys[i].consent;
		snprintf(k->pem, sizeof k->pem, "key-%02X.pem", k->ref);
	}
	c->nkeys = p->nkeys;
	return vc_image_save(c);
}

static bool write_keys(const struct vc_prov *p, const struct vc_ca *ca)
{
	char name[32];
	bool ok = mkdirs(p->o->dir, "keys") && mkdirs(p->o->dir, "ca") &&
	          write_pem(p->o->dir, "ca/root.pem", NULL, ca->root) &&
	          write_pem(p->o->dir, "ca/issuer.pem", NULL, ca->issuer) &&
	          write_pem(p->o->dir, "ca/issuer-key.pem", ca->issuer_key, NULL);
	for (int i = 0; ok && i < p->nkeys; i++) {
		snprintf(name, sizeof name, "keys/key-%02X.pem", p->keys[i].ref);
		ok = write_pem(p->o->dir, name, p->keys[i].key, NULL);
	}
	return ok;
}

static bool write_info(const struct vc_prov *p)
{
	char path[PATH_MAX], hex[25];
	FILE *f;
	snprintf(path, sizeof path, "%s/info.txt", p->o->dir);
	f = fopen(path, "w");
	if (!f)
		return false;
	vc_hex_encode(p->serial, sizeof p->serial, hex);
	fprintf(f, "profile: %s\nserial: %s\nholder: %s\ntckn: %s\nefdir: %s\npkcs15: %s\n",
	        vc_profile_names[p->o->profile], hex, p->o->holder, p->o->tckn,
	        p->o->no_efdir ? "no" : "yes", p->o->no_pkcs15 ? "no" : "yes");
	if (p->o->e_seal)
		fprintf(f, "e-seal: %s VKN %s (both keys share one iD)\n", p->o->company,
		        p->o->vkn);
	for (int i = 0; i < p->nkeys; i++)
		fprintf(f, "key %02X: %s %s cert %04X%s%s\n", p->keys[i].ref,
		        vc_alg_name(p->keys[i].alg), p->keys[i].label, p->keys[i].cert_fid,
		        p->keys[i].consent ? " userConsent" : "",
		        p->keys[i].not_after < 0 ? " expired" : "");
	return fclose(f) == 0;
}

static bool make_serial(struct vc_prov *p)
{
	size_t n;
	if (!p->o->serial_hex)
		return RAND_bytes(p->serial, sizeof p->serial) == 1;
	return vc_hex_decode(p->o->serial_hex, p->serial, sizeof p->serial, &n) &&
	       n == sizeof p->serial;
}

int vc_init(const struct vc_init_opts *o)
{
	struct vc_prov *p = calloc(1, sizeof *p);
	struct vc_card *c = calloc(1, sizeof *c);
	struct vc_ca ca = {0};
	int rc = 1;
	if (!p || !c)
		goto out;
	p->o = o;
	if (!make_serial(p)) {
		fprintf(stderr, "akis-vcard: --serial wants 24 hex digits\n");
		goto out;
	}
	if (o->e_seal && (o->profile != VC_AKIS_2 || o->ec_p256 || o->expired_cert)) {
		fprintf(stderr, "akis-vcard init: --e-seal makes an AKIS 2.x e-seal card: it needs "
		                "--profile akis-2 and takes neither --ec-curve p256 nor "
		                "--with-expired-cert\n");
		goto out;
	}
	plan(p);
	if (!mkdirs(o->dir, "fs/3F00") || !vc_x509_ca(&ca, o->profile == VC_AKIS_2, o->e_seal) ||
	    !make_keys(p, &ca) || !write_keys(p, &ca) || !write_fs(p) || !fill_card(p, c) ||
	    !write_info(p)) {
		fprintf(stderr, "akis-vcard: provisioning %s failed\n", o->dir);
		ERR_print_errors_fp(stderr);
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; p && i < p->nkeys; i++) {
		EVP_PKEY_free(p->keys[i].key);
		X509_free(p->keys[i].cert);
	}
	vc_x509_ca_free(&ca);
	free(p);
	free(c);
	return rc;
}
