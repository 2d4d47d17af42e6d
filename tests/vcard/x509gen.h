/* Test certificates made with OpenSSL at provisioning time (docs/card.md §4). */
#ifndef AKIS_VCARD_X509GEN_H
#define AKIS_VCARD_X509GEN_H

#include <openssl/x509.h>

#include "vcard.h"

struct vc_ca {
	EVP_PKEY *root_key, *issuer_key;
	X509 *root, *issuer;
};

struct vc_holder {
	const char *name;
	const char *tckn;
	bool nes;        /* qualified signature certificate */
	bool decrypt;    /* authentication + keyEncipherment */
	const char *org; /* e-seal: subject C=TR, O=org, serialNumber=tckn (the VKN), CN=org */
	bool agree;      /* e-seal: keyAgreement (ENCR0), else digitalSignature+nonRepudiation */
	long not_before; /* seconds relative to now */
	long not_after;
};

EVP_PKEY *vc_x509_keygen(enum vc_key_alg alg);
/* "TEST NES Kök" root and "TEST NES Hizmet Sağlayıcı" issuer; EC P-384 when
 * ec. seal: "TEST Mali Mühür Kök" and "TEST Mali Mühür Hizmet Sağlayıcı" (P-384). */
bool vc_x509_ca(struct vc_ca *ca, bool ec, bool seal) VC_WARN_UNUSED;
void vc_x509_ca_free(struct vc_ca *ca);
X509 *vc_x509_holder(const struct vc_ca *ca, EVP_PKEY *key, const struct vc_holder *h);

#endif
