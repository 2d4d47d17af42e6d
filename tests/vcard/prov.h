/* `akis-vcard init`: provisioning a card image (docs/card.md §4). */
#ifndef AKIS_VCARD_PROV_H
#define AKIS_VCARD_PROV_H

#include <openssl/x509.h>

#include "der.h"
#include "vcard.h"

struct vc_init_opts {
	const char *dir;
	enum vc_profile profile;
	bool no_efdir;
	bool no_pkcs15;
	bool expired_cert;
	const char *pin, *puk;
	const char *serial_hex;
	const char *holder;
	const char *tckn;
	const char *atr_hex; /* --atr: overrides the profile's ATR (validated by the caller) */
	bool ec_p256;        /* --ec-curve p256: akis-2 NES keys on P-256 (default P-384) */
	bool e_seal;         /* --e-seal: a Mali Mühür card (akis-2 only, docs/card.md §4) */
	const char *company; /* --company: the e-seal's organisation */
	const char *vkn;     /* --vkn: its 10-digit tax number */
	int expires_in;      /* --expires-in DAYS: the holder's NES certificate ends then
	                        (0: the usual 3 years), for the expiry warnings (R51) */
};

#define VC_PROV_KEYS 4

struct vc_prov_key {
	const char *label;
	enum vc_key_alg alg;
	bool nes;     /* qualified signing key (NES) */
	bool decrypt; /* also an encryption key (keyEncipherment) */
	bool consent; /* userConsent (akis-2 NES) */
	bool seal;    /* e-seal organisation certificate (subject O=, serialNumber=VKN) */
	bool agree;   /* keyAgreement only: the e-seal ENCR0 key, no signing */
	uint8_t ref;
	uint16_t cert_fid;
	long not_before; /* seconds relative to now */
	long not_after;
	EVP_PKEY *key;
	X509 *cert;
	uint8_t id[20]; /* PKCS#15 iD = SHA-1 of the subjectPublicKey (RFC 5280 §4.2.1.2 (1)) */
};

struct vc_prov {
	const struct vc_init_opts *o;
	uint8_t serial[12];
	struct vc_prov_key keys[VC_PROV_KEYS];
	int nkeys;
	char seal_labels[2][24]; /* <VKN>SIGN0, <VKN>ENCR0 */
};

int vc_init(const struct vc_init_opts *o);

/* PKCS#15 files (p15.c). Each returns false on overflow. */
bool vc_p15_efdir(struct vc_der *d) VC_WARN_UNUSED;
bool vc_p15_odf(struct vc_der *d) VC_WARN_UNUSED;
bool vc_p15_tokeninfo(const struct vc_prov *p, struct vc_der *d) VC_WARN_UNUSED;
bool vc_p15_aodf(const struct vc_prov *p, struct vc_der *d) VC_WARN_UNUSED;
bool vc_p15_prkdf(const struct vc_prov *p, struct vc_der *d) VC_WARN_UNUSED;
bool vc_p15_pukdf(const struct vc_prov *p, struct vc_der *d) VC_WARN_UNUSED;
bool vc_p15_cdf(const struct vc_prov *p, struct vc_der *d) VC_WARN_UNUSED;

#endif
